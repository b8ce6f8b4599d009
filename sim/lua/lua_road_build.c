/* city.road networks built in Lua: from nodes and edges, or generated
 * grids and arterials, with their default signal programs. */
#include <string.h>

#include <lauxlib.h>

#include "city_lua.h"
#include "lua_fields.h"
#include "lua_road_internal.h"
#include "city_road.h"
#include "city_road_build.h"
#include "city_text.h"

static CityJunctionType junction_type(lua_State *L, const char *s)
{
    static const char *names[] = {"priority", "traffic_light", "right_before_left", "allway_stop", NULL};
    static const CityJunctionType types[] = {CITY_JUNCTION_PRIORITY, CITY_JUNCTION_TRAFFIC_LIGHT,
                                             CITY_JUNCTION_RIGHT_BEFORE_LEFT, CITY_JUNCTION_ALLWAY_STOP};
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            return types[i];
    luaL_error(L, "junction type '%s': use priority, traffic_light, right_before_left or allway_stop", s);
    return CITY_JUNCTION_PRIORITY;
}

/* Builder in a userdata with a __gc, so a Lua error never leaks it. */
static int builder_gc(lua_State *L)
{
    CityRoadBuilder **b = lua_touserdata(L, 1);
    city_road_builder_destroy(*b);
    *b = NULL;
    return 0;
}

static CityRoadBuilder **new_builder(lua_State *L)
{
    CityRoadBuilder **b = lua_newuserdatauv(L, sizeof *b, 0);
    *b = NULL;
    lua_newtable(L);
    lua_pushcfunction(L, builder_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    *b = city_road_builder_create();
    if (!*b)
        luaL_error(L, "not enough memory");
    return b;
}

static void finish_build(lua_State *L, CityRoadBuilder **b, int opt_table)
{
    CityError err;
    CityRoadNet *net = city_road_builder_build(*b, &err);
    if (!net)
        luaL_error(L, "%s", err.msg);
    lua_road_install(L, net, opt_table);
}

static int l_grid(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGridSpec g = {0};
    g.prefix = city_lua_field_string(L, 1, "prefix", "");
    g.nx = (int32_t)city_lua_field_count(L, 1, "nx", 3, 0, 26 * 26);
    g.ny = (int32_t)city_lua_field_count(L, 1, "ny", g.nx, 0, 26 * 26);
    g.spacing_m = city_lua_field_number(L, 1, "spacing", 200.0);
    g.lanes = (int32_t)city_lua_field_count(L, 1, "lanes", 1, 0, 64);
    g.speed_mps = city_lua_field_number(L, 1, "speed", 13.89);
    g.junction = junction_type(L, city_lua_field_string(L, 1, "junction", "traffic_light"));
    g.green_s = city_lua_field_number(L, 1, "green", 0);
    g.yellow_s = city_lua_field_number(L, 1, "yellow", 0);
    CityRoadBuilder **b = new_builder(L);
    CityError err;
    if (city_road_builder_grid(*b, &g, &err) != CITY_OK)
        luaL_error(L, "city.road.grid: %s", err.msg);
    finish_build(L, b, 1);
    return 0;
}

static int l_arterial(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityArterialSpec a = {0};
    a.prefix = city_lua_field_string(L, 1, "prefix", "");
    a.n_cross = (int32_t)city_lua_field_count(L, 1, "cross_streets", 3, 0, 10000);
    a.spacing_m = city_lua_field_number(L, 1, "spacing", 300.0);
    a.cross_length_m = city_lua_field_number(L, 1, "cross_length", 200.0);
    a.lanes = (int32_t)city_lua_field_count(L, 1, "lanes", 2, 0, 64);
    a.cross_lanes = (int32_t)city_lua_field_count(L, 1, "cross_lanes", 1, 0, 64);
    a.speed_mps = city_lua_field_number(L, 1, "speed", 16.67);
    a.cross_speed_mps = city_lua_field_number(L, 1, "cross_speed", 13.89);
    a.junction = junction_type(L, city_lua_field_string(L, 1, "junction", "traffic_light"));
    a.green_s = city_lua_field_number(L, 1, "green", 0);
    a.yellow_s = city_lua_field_number(L, 1, "yellow", 0);
    CityRoadBuilder **b = new_builder(L);
    CityError err;
    if (city_road_builder_arterial(*b, &a, &err) != CITY_OK)
        luaL_error(L, "city.road.arterial: %s", err.msg);
    finish_build(L, b, 1);
    return 0;
}

/* city.road.build{nodes = {{id=, x=, y=, type=}...}, edges = {{id=, from=, to=, lanes=, speed=, priority=,
 * allow=, two_way=}...}} */
static int l_build(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityRoadBuilder **b = new_builder(L);
    CityError err;
    lua_newtable(L); /* node id -> builder index */
    int ids = lua_gettop(L);
    lua_getfield(L, 1, "nodes");
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_Integer nn = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= nn; i++) {
        lua_rawgeti(L, -1, i);
        int t = lua_gettop(L);
        luaL_checktype(L, t, LUA_TTABLE);
        const char *id = city_lua_field_string(L, t, "id", NULL);
        if (!id)
            luaL_error(L, "city.road.build: node %d has no id", (int)i);
        int32_t k =
            city_road_builder_node(*b, id, city_lua_field_number(L, t, "x", 0), city_lua_field_number(L, t, "y", 0),
                                   junction_type(L, city_lua_field_string(L, t, "type", "priority")), &err);
        if (k < 0)
            luaL_error(L, "city.road.build: %s", err.msg);
        lua_pushinteger(L, k);
        lua_setfield(L, ids, id);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "edges");
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_Integer ne = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= ne; i++) {
        lua_rawgeti(L, -1, i);
        int t = lua_gettop(L);
        luaL_checktype(L, t, LUA_TTABLE);
        CityEdgeSpec e = {0};
        e.id = city_lua_field_string(L, t, "id", NULL);
        const char *from = city_lua_field_string(L, t, "from", NULL), *to = city_lua_field_string(L, t, "to", NULL);
        if (!e.id || !from || !to)
            luaL_error(L, "city.road.build: edge %d needs id, from and to", (int)i);
        lua_getfield(L, ids, from);
        lua_getfield(L, ids, to);
        if (lua_isnil(L, -2) || lua_isnil(L, -1))
            luaL_error(L, "city.road.build: edge '%s' joins unknown node '%s'; list it under nodes", e.id,
                       lua_isnil(L, -2) ? from : to);
        e.from = (int32_t)lua_tointeger(L, -2);
        e.to = (int32_t)lua_tointeger(L, -1);
        lua_pop(L, 2);
        e.lanes = (int32_t)city_lua_field_count(L, t, "lanes", 1, 0, 64);
        e.speed_mps = city_lua_field_number(L, t, "speed", 13.89);
        e.priority = (int32_t)city_lua_field_count(L, t, "priority", 1, -1000000, 1000000);
        const char *allow = city_lua_field_string(L, t, "allow", NULL);
        e.allow = 0;
        char word[64];
        for (const char *p = allow ? allow : ""; city_list_next(&p, word, sizeof word) > 0;)
            e.allow |= lua_road_class(L, word); /* a cut name is no class either: the error names it */
        CityStatus st = city_lua_field_bool(L, t, "two_way", false)
                            ? city_road_builder_road(*b, &e, &err)
                            : (city_road_builder_edge(*b, &e, &err) < 0 ? CITY_ERR_INVALID : CITY_OK);
        if (st != CITY_OK)
            luaL_error(L, "city.road.build: %s", err.msg);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    finish_build(L, b, 1);
    return 0;
}

void lua_road_open_build(lua_State *L)
{
    static const luaL_Reg fns[] = {{"grid", l_grid}, {"arterial", l_arterial}, {"build", l_build}, {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
