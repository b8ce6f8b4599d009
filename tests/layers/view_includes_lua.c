/* Must NOT compile: the viewer reads the world, never the Lua state. */
#include <lua.h>
