/* city.map: static geometry for the picture (building footprints, land use). */
#include <lauxlib.h>

#include "city_lua.h"
#include "lua_modules.h"
#include "city_map.h"
#include "city_sumo_poly.h"

/* city.map.load_polygons{ poly = "x.poly.xml", net = "y.net.xml", types = "building", layer = "buildings" }
 * -> number of polygons added */
static int l_load_polygons(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    char poly[4096], net[4096];
    CityError err;
    lua_getfield(L, 1, "poly");
    if (lua_isnil(L, -1))
        luaL_error(L, "city.map.load_polygons needs poly = \"FILE.poly.xml\"");
    city_lua_data_path(L, lua_gettop(L), poly, sizeof poly);
    lua_pop(L, 1);
    CitySumoLocation loc;
    const CitySumoLocation *locp = NULL;
    lua_getfield(L, 1, "net");
    if (!lua_isnil(L, -1)) {
        city_lua_data_path(L, lua_gettop(L), net, sizeof net);
        if (city_sumo_location_read(net, &loc, &err) != CITY_OK)
            luaL_error(L, "%s", err.msg);
        locp = &loc;
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "types");
    const char *types = luaL_optstring(L, -1, "building");
    lua_getfield(L, 1, "layer");
    const char *layer = luaL_optstring(L, -1, "buildings");
    CityPolySet set;
    if (city_sumo_poly_read(poly, locp, types, &set, &err) != CITY_OK)
        luaL_error(L, "%s", err.msg);
    CityWorld *w = city_lua_world(L);
    int32_t added = 0;
    for (int32_t i = 0; i < set.n; i++) {
        const CityPolygon *p = &set.poly[i];
        if (p->n < 3)
            continue;
        if (city_map_add_polygon(w, layer, set.xy + 2 * p->first, p->n) != CITY_OK) {
            city_poly_set_free(&set);
            return city_lua_raise(L, w, CITY_ERR_NOMEM);
        }
        added++;
    }
    city_poly_set_free(&set);
    lua_pushinteger(L, added);
    return 1;
}

int city_lua_open_map(lua_State *L)
{
    static const luaL_Reg fns[] = {{"load_polygons", l_load_polygons}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
