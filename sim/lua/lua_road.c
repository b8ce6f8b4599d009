/* city.road: road networks (SUMO files or built from nodes, edges, grids),
 * vehicle types, routes and demand, signal commands and readings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_lua.h"
#include "lua_fields.h"
#include "city_road.h"
#include "city_road_build.h"
#include "city_sumo.h"

/* ---- helpers ------------------------------------------------------------ */

static CityRoad *road_or_raise(lua_State *L)
{
    CityRoad *road = city_road_of(city_lua_world(L));
    if (!road)
        luaL_error(L, "the city has no road network yet; call city.road.load_sumo, city.road.grid or "
                      "city.road.build first");
    return road;
}

static int32_t edge_by_id(lua_State *L, CityRoad *road, const char *id, const char *what)
{
    int32_t e = city_road_net_find_edge(city_road_net(road), id);
    if (e < 0 || city_road_net(road)->edges[e].internal)
        luaL_error(L, "%s: no road edge '%s' in the network; check the edge id", what, id);
    return e;
}

/* An array of edge ids (a Lua list or a space-separated string) as indices
 * in a GC-owned buffer. */
static int32_t *edge_list(lua_State *L, CityRoad *road, int t, const char *key, int32_t *n, const char *what)
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
        while (*s) {
            while (*s == ' ')
                s++;
            size_t k = 0;
            while (s[k] && s[k] != ' ')
                k++;
            if (!k)
                break;
            if (k >= sizeof id)
                luaL_error(L, "%s: edge id too long", what);
            memcpy(id, s, k);
            id[k] = '\0';
            buf[(*n)++] = edge_by_id(L, road, id, what);
            s += k;
        }
    } else {
        luaL_checktype(L, idx, LUA_TTABLE);
        lua_Integer len = luaL_len(L, idx);
        buf = lua_newuserdatauv(L, (size_t)(len + 1) * sizeof *buf, 0);
        for (lua_Integer i = 1; i <= len; i++) {
            lua_rawgeti(L, idx, i);
            buf[(*n)++] = edge_by_id(L, road, luaL_checkstring(L, -1), what);
            lua_pop(L, 1);
        }
    }
    /* keep the buffer alive in the registry-free way: leave it below the
     * arguments on the stack until the C function returns */
    lua_replace(L, idx);
    return buf;
}

static uint32_t class_bit(lua_State *L, const char *name)
{
    uint32_t bit = city_vclass_from_name(name);
    if (!bit)
        luaL_error(L,
                   "unknown vehicle class '%s'; use passenger, taxi, bus, truck, emergency, motorcycle, "
                   "bicycle or pedestrian",
                   name);
    return bit;
}

static void depart_fields(lua_State *L, int t, CityDepartDef *d)
{
    const char *lane = city_lua_field_string(L, t, "depart_lane", "best");
    if (strcmp(lane, "best") == 0)
        d->lane = CITY_DEPART_LANE_BEST;
    else if (strcmp(lane, "free") == 0)
        d->lane = CITY_DEPART_LANE_FREE;
    else if (strcmp(lane, "random") == 0)
        d->lane = CITY_DEPART_LANE_RANDOM;
    else if (strcmp(lane, "first") == 0)
        d->lane = CITY_DEPART_LANE_FIRST;
    else {
        char *end;
        long v = strtol(lane, &end, 10);
        if (*end || v < 0)
            luaL_error(L, "depart_lane '%s': use best, free, random, first or a lane number", lane);
        d->lane = (int32_t)v;
    }
    d->pos_m = city_lua_field_number(L, t, "depart_pos", -1.0);
    lua_getfield(L, t, "depart_speed");
    if (lua_type(L, -1) == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        if (strcmp(s, "max") == 0)
            d->speed_mps = CITY_DEPART_SPEED_MAX;
        else if (strcmp(s, "desired") == 0)
            d->speed_mps = CITY_DEPART_SPEED_DESIRED;
        else
            luaL_error(L, "depart_speed '%s': use max, desired or a number of m/s", s);
    } else {
        d->speed_mps = lua_isnil(L, -1) ? 0.0 : luaL_checknumber(L, -1);
        if (d->speed_mps < 0)
            luaL_error(L, "depart_speed must be >= 0 m/s");
    }
    lua_pop(L, 1);
}

static int32_t vtype_field(lua_State *L, CityRoad *road, int t)
{
    const char *id = city_lua_field_string(L, t, "type", NULL);
    if (!id)
        return -1;
    int32_t k = city_road_find_vtype(road, id);
    if (k < 0)
        luaL_error(L, "unknown vehicle type '%s'; define it with city.road.vtype first", id);
    return k;
}

static int raise_world(lua_State *L)
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
    o->detector_offset_m = city_lua_field_number(L, t, "detector_offset", o->detector_offset_m);
    o->trip_output = city_lua_field_bool(L, t, "trip_output", true);
    o->edge_output = city_lua_field_bool(L, t, "edge_output", true);
    o->ev_charge_below = city_lua_field_number(L, t, "ev_charge_below", o->ev_charge_below);
    o->ev_charger_radius_m = city_lua_field_number(L, t, "ev_charger_radius", o->ev_charger_radius_m);
    o->ev_dwell_s = city_lua_field_number(L, t, "ev_dwell", o->ev_dwell_s);
    if (o->reroute_period_s < 0 || !(o->gridlock_time_s > 0) || o->detector_offset_m < 0)
        luaL_error(L, "reroute_period must be >= 0, gridlock_time > 0 and detector_offset >= 0");
    if (!(o->ev_charge_below >= 0 && o->ev_charge_below <= 1) || !(o->ev_charger_radius_m >= 0) || !(o->ev_dwell_s > 0))
        luaL_error(L, "ev_charge_below must be in [0, 1], ev_charger_radius >= 0 and ev_dwell > 0");
}

static CityRoad *install(lua_State *L, CityRoadNet *net, int opt_table)
{
    CityWorld *w = city_lua_world(L);
    if (city_road_of(w)) {
        city_road_net_destroy(net);
        luaL_error(L, "the city already has a road network; load or build it once per scenario");
    }
    CityRoadOptions o;
    read_options(L, opt_table, &o);
    CityRoad *road;
    if (city_road_create(w, net, &o, &road) != CITY_OK)
        raise_world(L);
    return road;
}

static void load_routes(lua_State *L, CityRoad *road, const char *arg_path, int arg)
{
    char path[4096], err[1024];
    lua_pushstring(L, arg_path);
    city_lua_data_path(L, lua_gettop(L), path, sizeof path);
    lua_pop(L, 1);
    (void)arg;
    if (city_sumo_load_routes(road, path, err, sizeof err) != CITY_OK)
        luaL_error(L, "%s", err);
}

static int l_load_sumo(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *net_arg = city_lua_field_string(L, 1, "net", NULL);
    if (!net_arg)
        luaL_error(L, "city.road.load_sumo needs net = \"FILE.net.xml\"");
    char path[4096], err[1024];
    lua_pushstring(L, net_arg);
    city_lua_data_path(L, lua_gettop(L), path, sizeof path);
    lua_pop(L, 1);
    CityRoadNet *net = NULL;
    if (city_sumo_load_net(path, &net, err, sizeof err) != CITY_OK)
        luaL_error(L, "%s", err);
    CityRoad *road = install(L, net, 1);
    lua_getfield(L, 1, "routes");
    int r = lua_gettop(L);
    if (lua_type(L, r) == LUA_TSTRING) {
        load_routes(L, road, lua_tostring(L, r), r);
    } else if (lua_type(L, r) == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, r);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, r, i);
            load_routes(L, road, luaL_checkstring(L, -1), lua_gettop(L));
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
    CityRoad *road = road_or_raise(L);
    load_routes(L, road, luaL_checkstring(L, 1), 1);
    return 0;
}

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
    char err[1024];
    CityRoadNet *net = city_road_builder_build(*b, err, sizeof err);
    if (!net)
        luaL_error(L, "%s", err);
    install(L, net, opt_table);
}

static int l_grid(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGridSpec g = {0};
    g.prefix = city_lua_field_string(L, 1, "prefix", "");
    g.nx = (int32_t)city_lua_field_number(L, 1, "nx", 3);
    g.ny = (int32_t)city_lua_field_number(L, 1, "ny", g.nx);
    g.spacing_m = city_lua_field_number(L, 1, "spacing", 200.0);
    g.lanes = (int32_t)city_lua_field_number(L, 1, "lanes", 1);
    g.speed_mps = city_lua_field_number(L, 1, "speed", 13.89);
    g.junction = junction_type(L, city_lua_field_string(L, 1, "junction", "traffic_light"));
    g.green_s = city_lua_field_number(L, 1, "green", 0);
    g.yellow_s = city_lua_field_number(L, 1, "yellow", 0);
    CityRoadBuilder **b = new_builder(L);
    char err[1024];
    if (city_road_builder_grid(*b, &g, err, sizeof err) != CITY_OK)
        luaL_error(L, "city.road.grid: %s", err);
    finish_build(L, b, 1);
    return 0;
}

static int l_arterial(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityArterialSpec a = {0};
    a.prefix = city_lua_field_string(L, 1, "prefix", "");
    a.n_cross = (int32_t)city_lua_field_number(L, 1, "cross_streets", 3);
    a.spacing_m = city_lua_field_number(L, 1, "spacing", 300.0);
    a.cross_length_m = city_lua_field_number(L, 1, "cross_length", 200.0);
    a.lanes = (int32_t)city_lua_field_number(L, 1, "lanes", 2);
    a.cross_lanes = (int32_t)city_lua_field_number(L, 1, "cross_lanes", 1);
    a.speed_mps = city_lua_field_number(L, 1, "speed", 16.67);
    a.cross_speed_mps = city_lua_field_number(L, 1, "cross_speed", 13.89);
    a.junction = junction_type(L, city_lua_field_string(L, 1, "junction", "traffic_light"));
    a.green_s = city_lua_field_number(L, 1, "green", 0);
    a.yellow_s = city_lua_field_number(L, 1, "yellow", 0);
    CityRoadBuilder **b = new_builder(L);
    char err[1024];
    if (city_road_builder_arterial(*b, &a, err, sizeof err) != CITY_OK)
        luaL_error(L, "city.road.arterial: %s", err);
    finish_build(L, b, 1);
    return 0;
}

/* city.road.build{nodes = {{id=, x=, y=, type=}...}, edges = {{id=, from=, to=, lanes=, speed=, priority=,
 * allow=, two_way=}...}} */
static int l_build(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityRoadBuilder **b = new_builder(L);
    char err[1024];
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
                                   junction_type(L, city_lua_field_string(L, t, "type", "priority")), err, sizeof err);
        if (k < 0)
            luaL_error(L, "city.road.build: %s", err);
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
        e.lanes = (int32_t)city_lua_field_number(L, t, "lanes", 1);
        e.speed_mps = city_lua_field_number(L, t, "speed", 13.89);
        e.priority = (int32_t)city_lua_field_number(L, t, "priority", 1);
        const char *allow = city_lua_field_string(L, t, "allow", NULL);
        e.allow = 0;
        if (allow) {
            char word[64];
            for (const char *p = allow; *p;) {
                while (*p == ' ')
                    p++;
                size_t k = 0;
                while (p[k] && p[k] != ' ' && k + 1 < sizeof word) {
                    word[k] = p[k];
                    k++;
                }
                word[k] = '\0';
                if (k)
                    e.allow |= class_bit(L, word);
                p += k;
            }
        }
        CityStatus st = city_lua_field_bool(L, t, "two_way", false)
                            ? city_road_builder_road(*b, &e, err, sizeof err)
                            : (city_road_builder_edge(*b, &e, err, sizeof err) < 0 ? CITY_ERR_INVALID : CITY_OK);
        if (st != CITY_OK)
            luaL_error(L, "city.road.build: %s", err);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    finish_build(L, b, 1);
    return 0;
}

/* ---- demand ------------------------------------------------------------- */

static int l_vtype(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityVTypeDef d;
    city_vtype_defaults(&d, class_bit(L, city_lua_field_string(L, 1, "class", "passenger")));
    d.id = city_lua_field_string(L, 1, "id", NULL);
    if (!d.id)
        luaL_error(L, "city.road.vtype needs an id");
    d.length_m = city_lua_field_number(L, 1, "length", d.length_m);
    d.min_gap_m = city_lua_field_number(L, 1, "min_gap", d.min_gap_m);
    d.max_speed_mps = city_lua_field_number(L, 1, "max_speed", d.max_speed_mps);
    d.accel_mps2 = city_lua_field_number(L, 1, "accel", d.accel_mps2);
    d.decel_mps2 = city_lua_field_number(L, 1, "decel", d.decel_mps2);
    d.emergency_decel_mps2 = city_lua_field_number(L, 1, "emergency_decel", d.emergency_decel_mps2);
    d.tau_s = city_lua_field_number(L, 1, "tau", d.tau_s);
    d.delta = city_lua_field_number(L, 1, "delta", d.delta);
    d.speed_factor = city_lua_field_number(L, 1, "speed_factor", d.speed_factor);
    d.speed_dev = city_lua_field_number(L, 1, "speed_dev", d.speed_dev);
    d.lc_politeness = city_lua_field_number(L, 1, "politeness", d.lc_politeness);
    d.lc_threshold_mps2 = city_lua_field_number(L, 1, "lc_threshold", d.lc_threshold_mps2);
    d.ev = city_lua_field_bool(L, 1, "ev", false);
    d.battery_kwh = city_lua_field_number(L, 1, "battery_kwh", d.ev ? 60.0 : 0.0);
    d.consumption_kwh_per_km = city_lua_field_number(L, 1, "consumption_kwh_per_km", d.ev ? 0.16 : 0.0);
    if (city_road_add_vtype(road, &d) < 0)
        return raise_world(L);
    return 0;
}

static int l_route(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *id = city_lua_field_string(L, 1, "id", NULL);
    if (!id)
        luaL_error(L, "city.road.route needs an id");
    int32_t n;
    int32_t *edges = edge_list(L, road, 1, "edges", &n, "city.road.route");
    if (city_road_add_route(road, id, edges, n) < 0)
        return raise_world(L);
    return 0;
}

static void od_fields(lua_State *L, CityRoad *road, int t, int32_t *route, int32_t *from, int32_t *to,
                      const int32_t **via, int32_t *n_via, const char *what)
{
    const char *r = city_lua_field_string(L, t, "route", NULL);
    *route = -1;
    *from = *to = -1;
    if (r) {
        *route = city_road_find_route(road, r);
        if (*route < 0)
            luaL_error(L, "%s: unknown route '%s'; define it with city.road.route first", what, r);
    } else {
        const char *f = city_lua_field_string(L, t, "from", NULL), *o = city_lua_field_string(L, t, "to", NULL);
        if (!f || !o)
            luaL_error(L, "%s needs route = ID or from = EDGE and to = EDGE", what);
        *from = edge_by_id(L, road, f, what);
        *to = edge_by_id(L, road, o, what);
    }
    *via = edge_list(L, road, t, "via", n_via, what);
}

static int l_trip(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityTripDef d = {0};
    d.id = city_lua_field_string(L, 1, "id", NULL);
    d.vtype = vtype_field(L, road, 1);
    d.depart_s = city_lua_field_number(L, 1, "depart", city_world_time_s(city_lua_world(L)));
    od_fields(L, road, 1, &d.route, &d.from_edge, &d.to_edge, &d.via, &d.n_via, "city.road.trip");
    depart_fields(L, 1, &d.depart);
    if (city_road_add_trip(road, &d) != CITY_OK)
        return raise_world(L);
    return 0;
}

static int l_flow(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityFlowDef d = {0};
    d.id = city_lua_field_string(L, 1, "id", NULL);
    if (!d.id)
        luaL_error(L, "city.road.flow needs an id");
    d.vtype = vtype_field(L, road, 1);
    d.begin_s = city_lua_field_number(L, 1, "begin", 0.0);
    d.end_s = city_lua_field_number(L, 1, "end", 86400.0);
    d.veh_per_hour = city_lua_field_number(L, 1, "rate", 0.0);
    d.period_s = city_lua_field_number(L, 1, "period", 0.0);
    d.probability = city_lua_field_number(L, 1, "probability", 0.0);
    d.number = (int64_t)city_lua_field_number(L, 1, "number", 0.0);
    d.spacing = city_lua_field_bool(L, 1, "poisson", false) ? CITY_FLOW_POISSON : CITY_FLOW_UNIFORM;
    od_fields(L, road, 1, &d.route, &d.from_edge, &d.to_edge, &d.via, &d.n_via, "city.road.flow");
    depart_fields(L, 1, &d.depart);
    if (city_road_add_flow(road, &d) != CITY_OK)
        return raise_world(L);
    return 0;
}

/* city.road.od{id=, type=, begin=, ["end"]=, trips = {{from=, to=, n=}, ...}} */
static int l_od(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityOdDef d = {0};
    d.id = city_lua_field_string(L, 1, "id", "od");
    d.vtype = vtype_field(L, road, 1);
    d.begin_s = city_lua_field_number(L, 1, "begin", 0.0);
    d.end_s = city_lua_field_number(L, 1, "end", 3600.0);
    depart_fields(L, 1, &d.depart);
    lua_getfield(L, 1, "trips");
    luaL_checktype(L, -1, LUA_TTABLE);
    int tt = lua_gettop(L);
    lua_Integer n = luaL_len(L, tt);
    int32_t *from = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *from, 0);
    int32_t *to = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *to, 0);
    double *trips = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *trips, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, tt, i);
        int t = lua_gettop(L);
        luaL_checktype(L, t, LUA_TTABLE);
        from[i - 1] = edge_by_id(L, road, city_lua_field_string(L, t, "from", ""), "city.road.od");
        to[i - 1] = edge_by_id(L, road, city_lua_field_string(L, t, "to", ""), "city.road.od");
        trips[i - 1] = city_lua_field_number(L, t, "n", 0.0);
        lua_pop(L, 1);
    }
    d.n_pairs = (int32_t)n;
    d.from_edge = from;
    d.to_edge = to;
    d.trips = trips;
    if (city_road_add_od(road, &d) != CITY_OK)
        return raise_world(L);
    return 0;
}

/* ---- commands and readings ---------------------------------------------- */

static int32_t tls_by_id(lua_State *L, CityRoad *road, int arg)
{
    const char *id = luaL_checkstring(L, arg);
    int32_t t = city_road_net_find_tls(city_road_net(road), id);
    if (t < 0)
        luaL_error(L, "no traffic light '%s' in the network; check the id (city.road.signals() lists them)", id);
    return t;
}

static int l_close_lane(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    const char *id = luaL_checkstring(L, 1);
    bool closed = lua_isnone(L, 2) ? true : lua_toboolean(L, 2);
    int32_t lane = city_road_net_find_lane(city_road_net(road), id);
    if (lane < 0)
        luaL_error(L, "close_lane: no lane '%s' in the network", id);
    if (city_road_close_lane(road, lane, closed) != CITY_OK)
        return raise_world(L);
    return 0;
}

static int l_signal_mode(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    int32_t t = tls_by_id(L, road, 1);
    static const char *const modes[] = {"static", "actuated", "max_pressure", "external", NULL};
    int m = luaL_checkoption(L, 2, NULL, modes);
    if (city_road_tls_set_type(road, t, (CityTlsType)m) != CITY_OK)
        return raise_world(L);
    return 0;
}

static int l_set_phase(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    int32_t t = tls_by_id(L, road, 1);
    lua_Integer p = luaL_checkinteger(L, 2);
    if (city_road_tls_set_phase(road, t, (int32_t)p - 1) != CITY_OK)
        return raise_world(L);
    return 0;
}

/* city.road.signals() -> array sorted by id of {id=, state=, phase=} */
static int l_signals(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    const CityRoadNet *net = city_road_net(road);
    lua_createtable(L, net->n_tls, 0);
    for (int32_t t = 0; t < net->n_tls; t++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, net->tls[t].id);
        lua_setfield(L, -2, "id");
        lua_pushstring(L, city_road_tls_state(road, t));
        lua_setfield(L, -2, "state");
        lua_pushinteger(L, city_road_tls_phase(road, t) + 1);
        lua_setfield(L, -2, "phase");
        lua_rawseti(L, -2, t + 1);
    }
    return 1;
}

static int l_stats(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    CityRoadStats s;
    city_road_stats(road, &s);
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, (lua_Integer)s.inserted);
    lua_setfield(L, -2, "inserted");
    lua_pushinteger(L, (lua_Integer)s.arrived);
    lua_setfield(L, -2, "arrived");
    lua_pushinteger(L, (lua_Integer)s.running);
    lua_setfield(L, -2, "running");
    lua_pushinteger(L, (lua_Integer)s.waiting_insert);
    lua_setfield(L, -2, "waiting");
    lua_pushinteger(L, (lua_Integer)s.vehicle_updates);
    lua_setfield(L, -2, "vehicle_updates");
    lua_pushinteger(L, (lua_Integer)s.gridlock_warnings);
    lua_setfield(L, -2, "gridlock_warnings");
    lua_pushnumber(L, s.mean_speed_mps);
    lua_setfield(L, -2, "mean_speed");
    lua_pushnumber(L, s.arrived ? s.sum_travel_time_s / (double)s.arrived : 0.0);
    lua_setfield(L, -2, "mean_travel_time");
    return 1;
}

/* city.road.vehicles() -> array sorted by id of {id=, name=, lane=, edge=, pos=, speed=} */
static int l_vehicles(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    const CityRoadNet *net = city_road_net(road);
    size_t n = city_road_vehicle_count(road);
    uint64_t *ids = lua_newuserdatauv(L, (n + 1) * sizeof *ids, 0);
    CityVehicleView vv;
    for (size_t i = 0; i < n; i++) {
        city_road_vehicle_at(road, i, &vv);
        ids[i] = ((uint64_t)vv.id.index << 32) | (uint64_t)i; /* sort by index (unique while live) */
    }
    for (size_t i = 1; i < n; i++) { /* insertion sort keeps it dependency-free; n is modest here */
        uint64_t k = ids[i];
        size_t j = i;
        while (j > 0 && ids[j - 1] > k) {
            ids[j] = ids[j - 1];
            j--;
        }
        ids[j] = k;
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        city_road_vehicle_at(road, (size_t)(ids[i] & 0xffffffffu), &vv);
        lua_createtable(L, 0, 7);
        lua_pushinteger(L, (lua_Integer)city_id_pack(vv.id));
        lua_setfield(L, -2, "id");
        lua_pushstring(L, vv.name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, net->lanes[vv.lane].id);
        lua_setfield(L, -2, "lane");
        lua_pushstring(L, net->edges[net->lanes[vv.lane].edge].id);
        lua_setfield(L, -2, "edge");
        lua_pushnumber(L, vv.pos_m);
        lua_setfield(L, -2, "pos");
        lua_pushnumber(L, vv.speed_mps);
        lua_setfield(L, -2, "speed");
        lua_pushnumber(L, vv.energy_kwh);
        lua_setfield(L, -2, "energy_kwh");
        lua_pushnumber(L, vv.halt_s);
        lua_setfield(L, -2, "halt_s");
        if (vv.next_lane >= 0) {
            lua_pushstring(L, net->lanes[vv.next_lane].id);
            lua_setfield(L, -2, "next_lane");
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* city.road.edges() -> array in network order of {id=, from=, to=, lanes=, length=, speed=, passenger=} */
static int l_edges(lua_State *L)
{
    const CityRoadNet *net = city_road_net(road_or_raise(L));
    lua_createtable(L, net->n_edges, 0);
    int k = 0;
    for (int32_t e = 0; e < net->n_edges; e++) {
        const CityEdge *ed = &net->edges[e];
        if (ed->internal)
            continue;
        bool car = false;
        for (int32_t i = 0; i < ed->lane_count; i++)
            car = car || (net->lanes[ed->lane_first + i].allow & CITY_VC_PASSENGER);
        lua_createtable(L, 0, 7);
        lua_pushstring(L, ed->id);
        lua_setfield(L, -2, "id");
        lua_pushstring(L, net->junctions[ed->from].id);
        lua_setfield(L, -2, "from");
        lua_pushstring(L, net->junctions[ed->to].id);
        lua_setfield(L, -2, "to");
        lua_pushinteger(L, ed->lane_count);
        lua_setfield(L, -2, "lanes");
        lua_pushnumber(L, ed->length_m);
        lua_setfield(L, -2, "length");
        lua_pushnumber(L, ed->speed_mps);
        lua_setfield(L, -2, "speed");
        lua_pushboolean(L, car);
        lua_setfield(L, -2, "passenger");
        lua_rawseti(L, -2, ++k);
    }
    return 1;
}

/* city.road.path(from, to [, class]) -> array of edge ids of the fastest free-flow path, or nil */
static int l_path(lua_State *L)
{
    CityRoad *road = road_or_raise(L);
    int32_t from = edge_by_id(L, road, luaL_checkstring(L, 1), "city.road.path");
    int32_t to = edge_by_id(L, road, luaL_checkstring(L, 2), "city.road.path");
    uint32_t vclass = class_bit(L, luaL_optstring(L, 3, "passenger"));
    const CityRoadNet *net = city_road_net(road);
    int32_t *buf = lua_newuserdatauv(L, ((size_t)net->n_edges + 1) * sizeof *buf, 0);
    int32_t n = city_road_path(road, from, to, vclass, buf, net->n_edges + 1);
    if (n < 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_pushstring(L, net->edges[buf[i]].id);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int l_edge_count(lua_State *L)
{
    const CityRoadNet *net = city_road_net(road_or_raise(L));
    int32_t n = 0;
    for (int32_t e = 0; e < net->n_edges; e++)
        n += !net->edges[e].internal;
    lua_pushinteger(L, n);
    return 1;
}

void city_lua_open_road(lua_State *L)
{
    static const luaL_Reg fns[] = {{"load_sumo", l_load_sumo},
                                   {"load_routes", l_load_routes},
                                   {"grid", l_grid},
                                   {"arterial", l_arterial},
                                   {"build", l_build},
                                   {"vtype", l_vtype},
                                   {"route", l_route},
                                   {"trip", l_trip},
                                   {"flow", l_flow},
                                   {"od", l_od},
                                   {"close_lane", l_close_lane},
                                   {"signal_mode", l_signal_mode},
                                   {"set_phase", l_set_phase},
                                   {"signals", l_signals},
                                   {"stats", l_stats},
                                   {"vehicles", l_vehicles},
                                   {"edge_count", l_edge_count},
                                   {"edges", l_edges},
                                   {"path", l_path},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_setfield(L, -2, "road");
}
