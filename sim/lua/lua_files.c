#include "lua_files.h"

#include <lauxlib.h>

#include "city_lua.h"
#include "lua_fields.h"

void city_lua_read_polygons(lua_State *L, int t, const char *what, CityPolySet *set)
{
    char poly[4096], net[4096];
    CityError err;
    lua_getfield(L, t, "poly");
    if (lua_isnil(L, -1))
        luaL_error(L, "%s needs poly = \"FILE.poly.xml\"", what);
    city_lua_data_path(L, lua_gettop(L), poly, sizeof poly);
    lua_pop(L, 1);
    CitySumoLocation loc;
    const CitySumoLocation *locp = NULL;
    lua_getfield(L, t, "net");
    if (!lua_isnil(L, -1)) {
        city_lua_data_path(L, lua_gettop(L), net, sizeof net);
        if (city_sumo_location_read(net, &loc, &err) != CITY_OK)
            luaL_error(L, "%s", err.msg);
        locp = &loc;
    }
    lua_pop(L, 1);
    const char *types = city_lua_field_string(L, t, "types", "building");
    if (city_sumo_poly_read(poly, locp, types, set, &err) != CITY_OK)
        luaL_error(L, "%s", err.msg);
}
