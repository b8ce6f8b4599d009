/* city.grid: power grid, buildings, storage and charger bindings. */
#include <lauxlib.h>

#include "city_lua.h"

void city_lua_open_grid(lua_State *L)
{
    lua_newtable(L);
    lua_setfield(L, -2, "grid");
}
