/* Must NOT compile: a domain never includes another domain. */
#include "city_road.h"
