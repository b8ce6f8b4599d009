/* Must NOT compile: a domain never includes another domain (a rule that
 * needs both is a coupling in sim/couple). */
#include "city_grid.h"
