/* city.map: static geometry for the picture (building footprints, land use). */
#include <lauxlib.h>

#include "city_lua.h"
#include "lua_fields.h"
#include "lua_files.h"
#include "lua_modules.h"
#include "city_map.h"
#include "city_sumo_poly.h"

/* city.map.load_polygons{ poly = "x.poly.xml", net = "y.net.xml", types = "building", layer = "buildings" }
 * -> number of polygons added */
static int l_load_polygons(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *layer = city_lua_field_string(L, 1, "layer", "buildings");
    CityPolySet set;
    city_lua_read_polygons(L, 1, "city.map.load_polygons", &set);
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
