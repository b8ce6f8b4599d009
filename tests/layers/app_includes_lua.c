/* Must NOT compile: the scenario runtime's internal header (and lua.h with
 * it) stays inside sim/lua; the CLI asks city_paths.h for the data folder. */
#include "city_lua.h"
