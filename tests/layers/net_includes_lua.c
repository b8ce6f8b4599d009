/* Must NOT compile: only sim/lua includes lua.h. */
#include <lua.h>
