/* city.road: road networks (SUMO files or built from nodes, edges, grids),
 * vehicle types, routes and demand, signal commands and readings. This
 * file holds what the city.road files share and loading SUMO files; the
 * other bindings are grouped by topic:
 *   lua_road_build.c   networks built from nodes and edges, grids, arterials
 *   lua_road_demand.c  vehicle types, routes, trips, flows, OD matrices
 *   lua_road_state.c   lane and signal commands, readings of the running traffic */
#include <math.h>
#include <string.h>

#include <lauxlib.h>

#include "city_lua.h"
#include "lua_modules.h"
#include "lua_fields.h"
#include "lua_road_internal.h"
#include "city_road.h"
#include "city_sumo.h"
#include "city_text.h"

/* ---- shared by the city.road files --------------------------------------- */

CityRoad *lua_road_of(lua_State *L)
{
    CityRoad *road = city_road_of(city_lua_world(L));
    if (!road)
        luaL_error(L, "the city has no road network yet; call city.road.load_sumo, city.road.grid or "
                      "city.road.build first");
    return road;
}

int32_t lua_road_edge(lua_State *L, CityRoad *road, const char *id, const char *what)
{
    int32_t e = city_road_net_find_edge(city_road_net(road), id);
    if (e < 0 || city_road_net(road)->edges[e].internal)
        luaL_error(L, "%s: no road edge '%s' in the network; check the edge id", what, id);
    return e;
}

/* An array of edge ids (a Lua list or a space-separated string) as indices
 * in a GC-owned buffer. */
int32_t *lua_road_edge_list(lua_State *L, CityRoad *road, int t, const char *key, int32_t *n, const char *what)
{
    lua_getfield(L, t, key);
    int idx = lua_gettop(L);
    *n = 0;
    if (lua_isnil(L, idx)) {
        lua_pop(L, 1);
        return NULL;
    }
    int32_t *buf;
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tostring(L, idx);
        size_t len = strlen(s);
        buf = lua_newuserdatauv(L, (len / 2 + 1) * sizeof *buf, 0);
        char id[512];
        for (size_t k; (k = city_list_next(&s, id, sizeof id)) > 0;) {
            if (k >= sizeof id)
                luaL_error(L, "%s: edge id too long", what);
            buf[(*n)++] = lua_road_edge(L, road, id, what);
        }
    } else {
        luaL_checktype(L, idx, LUA_TTABLE);
        lua_Integer len = luaL_len(L, idx);
        buf = lua_newuserdatauv(L, (size_t)(len + 1) * sizeof *buf, 0);
        for (lua_Integer i = 1; i <= len; i++) {
            lua_rawgeti(L, idx, i);
            buf[(*n)++] = lua_road_edge(L, road, luaL_checkstring(L, -1), what);
            lua_pop(L, 1);
        }
    }
    /* keep the buffer alive in the registry-free way: leave it below the
     * arguments on the stack until the C function returns */
    lua_replace(L, idx);
    return buf;
}

uint32_t lua_road_class(lua_State *L, const char *name)
{
    uint32_t bit = city_vclass_from_name(name);
    if (!bit)
        luaL_error(L,
                   "unknown vehicle class '%s'; use passenger, taxi, bus, truck, emergency, motorcycle, "
                   "bicycle or pedestrian",
                   name);
    return bit;
}
int lua_road_raise(lua_State *L)
{
    return city_lua_raise(L, city_lua_world(L), CITY_ERR_INVALID);
}

/* ---- networks ----------------------------------------------------------- */

static void read_options(lua_State *L, int t, CityRoadOptions *o)
{
    city_road_options_defaults(o);
    if (t == 0)
        return;
    o->reroute_period_s = city_lua_field_number(L, t, "reroute_period", 0.0);
    o->gridlock_time_s = city_lua_field_number(L, t, "gridlock_time", o->gridlock_time_s);
    o->time_to_teleport_s = city_lua_field_number(L, t, "time_to_teleport", o->time_to_teleport_s);
    o->detector_offset_m = city_lua_field_number(L, t, "detector_offset", o->detector_offset_m);
    o->trip_output = city_lua_field_bool(L, t, "trip_output", true);
    o->edge_output = city_lua_field_bool(L, t, "edge_output", true);
    o->ev_charge_below = city_lua_field_number(L, t, "ev_charge_below", o->ev_charge_below);
    o->ev_charger_radius_m = city_lua_field_number(L, t, "ev_charger_radius", o->ev_charger_radius_m);
    o->ev_dwell_s = city_lua_field_number(L, t, "ev_dwell", o->ev_dwell_s);
    if (!(o->reroute_period_s >= 0 && o->reroute_period_s <= 1e9) ||
        !(o->gridlock_time_s > 0 && o->gridlock_time_s <= 1e9) ||
        !(o->detector_offset_m >= 0 && o->detector_offset_m <= 1e6) || !(o->time_to_teleport_s <= 1e9))
        luaL_error(L, "reroute_period must be in [0, 1e9] s, gridlock_time in (0, 1e9] s, detector_offset in "
                      "[0, 1e6] m and time_to_teleport a number up to 1e9 s (<= 0: never)");
    if (!(o->ev_charge_below >= 0 && o->ev_charge_below <= 1) ||
        !(o->ev_charger_radius_m >= 0 && o->ev_charger_radius_m <= 1e7) || !(o->ev_dwell_s > 0 && o->ev_dwell_s <= 1e9))
        luaL_error(L, "ev_charge_below must be in [0, 1], ev_charger_radius >= 0 and ev_dwell > 0");
}

static int read_options_protected(lua_State *L)
{
    read_options(L, lua_isnil(L, 2) ? 0 : 2, lua_touserdata(L, 1));
    return 0;
}

CityRoad *lua_road_install(lua_State *L, CityRoadNet *net, int opt_table)
{
    CityWorld *w = city_lua_world(L);
    if (city_road_of(w)) {
        city_road_net_destroy(net);
        luaL_error(L, "the city already has a road network; load or build it once per scenario");
    }
    /* Read under protection: an option error must not leak the network. */
    CityRoadOptions o;
    opt_table = opt_table ? lua_absindex(L, opt_table) : 0;
    lua_pushcfunction(L, read_options_protected);
    lua_pushlightuserdata(L, &o);
    if (opt_table)
        lua_pushvalue(L, opt_table);
    else
        lua_pushnil(L);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        city_road_net_destroy(net);
        lua_error(L);
    }
    CityRoad *road;
    if (city_road_create(w, net, &o, &road) != CITY_OK)
        lua_road_raise(L);
    return road;
}

static void load_routes(lua_State *L, CityRoad *road, const char *arg_path)
{
    char path[4096];
    lua_pushstring(L, arg_path);
    city_lua_data_path(L, lua_gettop(L), path, sizeof path);
    lua_pop(L, 1);
    if (city_sumo_load_routes(road, path) != CITY_OK)
        lua_road_raise(L);
}

static int l_load_sumo(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *net_arg = city_lua_field_string(L, 1, "net", NULL);
    if (!net_arg)
        luaL_error(L, "city.road.load_sumo needs net = \"FILE.net.xml\"");
    char path[4096];
    lua_pushstring(L, net_arg);
    city_lua_data_path(L, lua_gettop(L), path, sizeof path);
    lua_pop(L, 1);
    CityRoadNet *net = NULL;
    CityError err;
    if (city_sumo_load_net(path, &net, &err) != CITY_OK)
        luaL_error(L, "%s", err.msg);
    CityRoad *road = lua_road_install(L, net, 1);
    lua_getfield(L, 1, "routes");
    int r = lua_gettop(L);
    if (lua_type(L, r) == LUA_TSTRING) {
        load_routes(L, road, lua_tostring(L, r));
    } else if (lua_type(L, r) == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, r);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, r, i);
            load_routes(L, road, luaL_checkstring(L, -1));
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, r)) {
        luaL_error(L, "routes must be a file name or a list of file names");
    }
    lua_pop(L, 1);
    return 0;
}

static int l_load_routes(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    load_routes(L, road, luaL_checkstring(L, 1));
    return 0;
}

int city_lua_open_road(lua_State *L)
{
    static const luaL_Reg fns[] = {{"load_sumo", l_load_sumo}, {"load_routes", l_load_routes}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_road_open_build(L);
    lua_road_open_demand(L);
    lua_road_open_state(L);
    lua_road_open_signals(L);
    return 1;
}
