/* Must NOT compile: the pedestrian domain never includes another domain
 * (people meet vehicles in a coupling in sim/couple). */
#include "city_road.h"
