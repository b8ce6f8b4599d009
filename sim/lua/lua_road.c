/* city.road: road network, vehicles, signals and demand bindings. */
#include <lauxlib.h>

#include "city_lua.h"

void city_lua_open_road(lua_State *L)
{
    lua_newtable(L);
    lua_setfield(L, -2, "road");
}
