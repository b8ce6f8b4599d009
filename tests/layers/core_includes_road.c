/* Must NOT compile: the core knows no domain. */
#include "city_road.h"
