/* city.road demand: vehicle types, routes, single trips, flows and OD
 * matrices, with their departure lane, position and speed. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_lua.h"
#include "lua_fields.h"
#include "lua_road_internal.h"
#include "city_road.h"

/* At most this many vehicles per flow or per OD pair: demand is expanded
 * into vehicles, so an absurd number would take the machine's memory. */
#define CITY_LUA_MAX_VEHICLES 1000000

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
    d->speed_factor = 0.0; /* drawn from the type */
    if (lua_getfield(L, t, "speed_factor") != LUA_TNIL) {
        d->speed_factor = luaL_checknumber(L, -1);
        if (!(d->speed_factor > 0 && d->speed_factor <= 10))
            luaL_error(L,
                       "speed_factor %s: use a multiplier of the speed limit from above 0 to 10 (or leave it out: "
                       "drawn from the vehicle type)",
                       lua_tostring(L, -1));
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

/* ---- demand ------------------------------------------------------------- */

static int l_vtype(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityVTypeDef d;
    city_vtype_defaults(&d, lua_road_class(L, city_lua_field_string(L, 1, "class", "passenger")));
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
    /* EVs: the class's battery and physical model unless the type gives its own (road_ev.c) */
    d.battery_kwh = city_lua_field_number(L, 1, "battery_kwh", d.ev ? d.battery_kwh : 0.0);
    d.consumption_kwh_per_km = city_lua_field_number(L, 1, "consumption_kwh_per_km", 0.0);
    d.mass_kg = city_lua_field_number(L, 1, "mass", d.mass_kg);
    d.front_area_m2 = city_lua_field_number(L, 1, "front_area", d.front_area_m2);
    d.drag_coeff = city_lua_field_number(L, 1, "drag_coeff", d.drag_coeff);
    d.roll_coeff = city_lua_field_number(L, 1, "roll_coeff", d.roll_coeff);
    d.aux_kw = city_lua_field_number(L, 1, "aux_kw", d.aux_kw);
    d.drive_eff = city_lua_field_number(L, 1, "drive_eff", d.drive_eff);
    d.regen_eff = city_lua_field_number(L, 1, "regen_eff", d.regen_eff);
    d.soc_min = city_lua_field_number(L, 1, "soc_min", d.soc_min);
    d.soc_max = city_lua_field_number(L, 1, "soc_max", d.soc_max);
    if (city_road_add_vtype(road, &d) < 0)
        return lua_road_raise(L);
    return 0;
}

static int l_route(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *id = city_lua_field_string(L, 1, "id", NULL);
    if (!id)
        luaL_error(L, "city.road.route needs an id");
    int32_t n;
    int32_t *edges = lua_road_edge_list(L, road, 1, "edges", &n, "city.road.route");
    if (city_road_add_route(road, id, edges, n) < 0)
        return lua_road_raise(L);
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
        *from = lua_road_edge(L, road, f, what);
        *to = lua_road_edge(L, road, o, what);
    }
    *via = lua_road_edge_list(L, road, t, "via", n_via, what);
}

static int l_trip(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityTripDef d = {0};
    d.id = city_lua_field_string(L, 1, "id", NULL);
    d.vtype = vtype_field(L, road, 1);
    d.depart_s = city_lua_field_number(L, 1, "depart", city_world_time_s(city_lua_world(L)));
    od_fields(L, road, 1, &d.route, &d.from_edge, &d.to_edge, &d.via, &d.n_via, "city.road.trip");
    depart_fields(L, 1, &d.depart);
    if (city_road_add_trip(road, &d) != CITY_OK)
        return lua_road_raise(L);
    return 0;
}

static int l_flow(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
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
    d.number = city_lua_field_count(L, 1, "number", 0, 0, CITY_LUA_MAX_VEHICLES);
    d.spacing = city_lua_field_bool(L, 1, "poisson", false) ? CITY_FLOW_POISSON : CITY_FLOW_UNIFORM;
    double span = d.end_s - d.begin_s;
    double asked = d.veh_per_hour > 0 ? d.veh_per_hour / 3600.0 * span
                   : d.period_s > 0   ? span / d.period_s
                                      : d.probability * span;
    if (!(d.begin_s >= 0 && d.end_s <= 1e9 && span >= 0) || !(asked <= CITY_LUA_MAX_VEHICLES))
        luaL_error(L,
                   "city.road.flow '%s': begin/end must satisfy 0 <= begin <= end <= 1e9 s and the flow may ask for "
                   "at most %d vehicles (it asks for %.3g)",
                   d.id, CITY_LUA_MAX_VEHICLES, asked);
    od_fields(L, road, 1, &d.route, &d.from_edge, &d.to_edge, &d.via, &d.n_via, "city.road.flow");
    depart_fields(L, 1, &d.depart);
    if (city_road_add_flow(road, &d) != CITY_OK)
        return lua_road_raise(L);
    return 0;
}

/* city.road.od{id=, type=, begin=, ["end"]=, trips = {{from=, to=, n=}, ...}} */
static int l_od(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
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
        from[i - 1] = lua_road_edge(L, road, city_lua_field_string(L, t, "from", ""), "city.road.od");
        to[i - 1] = lua_road_edge(L, road, city_lua_field_string(L, t, "to", ""), "city.road.od");
        trips[i - 1] = city_lua_field_number(L, t, "n", 0.0);
        if (!(trips[i - 1] >= 0 && trips[i - 1] <= CITY_LUA_MAX_VEHICLES))
            luaL_error(L, "city.road.od: trips[%d].n = %g is out of range; use 0 to %d trips per pair", (int)i,
                       trips[i - 1], CITY_LUA_MAX_VEHICLES);
        lua_pop(L, 1);
    }
    d.n_pairs = (int32_t)n;
    d.from_edge = from;
    d.to_edge = to;
    d.trips = trips;
    if (city_road_add_od(road, &d) != CITY_OK)
        return lua_road_raise(L);
    return 0;
}

/* city.road.default_mix{ { type = "ev_car", share = 0.1 }, ... }: who makes the default car's trips */
static int l_default_mix(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n > CITY_ROAD_MIX_MAX)
        luaL_error(L, "city.road.default_mix: at most %d vehicle types", CITY_ROAD_MIX_MAX);
    int32_t types[CITY_ROAD_MIX_MAX];
    double shares[CITY_ROAD_MIX_MAX];
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        if (!lua_istable(L, -1))
            luaL_error(L, "city.road.default_mix: entry %d must be a table { type =, share = }", (int)i);
        int t = lua_gettop(L);
        types[i - 1] = vtype_field(L, road, t);
        if (types[i - 1] < 0)
            luaL_error(L, "city.road.default_mix: entry %d needs type = a vehicle type id", (int)i);
        lua_getfield(L, t, "share");
        shares[i - 1] = luaL_checknumber(L, -1);
        lua_pop(L, 2);
    }
    if (city_road_set_default_mix(road, types, shares, (int32_t)n) != CITY_OK)
        return lua_road_raise(L);
    return 0;
}

void lua_road_open_demand(lua_State *L)
{
    static const luaL_Reg fns[] = {{"vtype", l_vtype}, {"route", l_route}, {"trip", l_trip},
                                   {"flow", l_flow},   {"od", l_od},       {"default_mix", l_default_mix},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
