/* city.road while it runs: closing lanes, signal modes and phases, and
 * readings (signals, statistics, vehicles, edges, paths). */
#include <lauxlib.h>

#include "city_lua.h"
#include "lua_fields.h"
#include "lua_road_internal.h"
#include "city_road.h"
#include "lua_result.h"

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
    CityRoad *road = lua_road_of(L);
    const char *id = luaL_checkstring(L, 1);
    bool closed = lua_isnone(L, 2) ? true : lua_toboolean(L, 2);
    int32_t lane = city_road_net_find_lane(city_road_net(road), id);
    if (lane < 0)
        luaL_error(L, "close_lane: no lane '%s' in the network", id);
    if (city_road_close_lane(road, lane, closed) != CITY_OK)
        return lua_road_raise(L);
    return 0;
}

static int l_signal_mode(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    int32_t t = tls_by_id(L, road, 1);
    static const char *const modes[] = {"static", "actuated", "max_pressure", "external", NULL};
    int m = luaL_checkoption(L, 2, NULL, modes);
    if (city_road_tls_set_type(road, t, (CityTlsType)m) != CITY_OK)
        return lua_road_raise(L);
    return 0;
}

static int l_set_phase(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    int32_t t = tls_by_id(L, road, 1);
    lua_Integer p = luaL_checkinteger(L, 2);
    if (city_road_tls_set_phase(road, t, (int32_t)p - 1) != CITY_OK)
        return lua_road_raise(L);
    return 0;
}

/* city.road.signals() -> array sorted by id of {id=, state=, phase=} */
static int l_signals(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    const CityRoadNet *net = city_road_net(road);
    lua_createtable(L, net->n_tls, 0);
    for (int32_t t = 0; t < net->n_tls; t++) {
        lua_createtable(L, 0, 3);
        city_lua_set_string(L, "id", net->tls[t].id);
        city_lua_set_string(L, "state", city_road_tls_state(road, t));
        city_lua_set_int(L, "phase", city_road_tls_phase(road, t) + 1);
        lua_rawseti(L, -2, t + 1);
    }
    return 1;
}

static int l_stats(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    CityRoadStats s;
    city_road_stats(road, &s);
    lua_createtable(L, 0, 10);
    city_lua_set_int(L, "inserted", (lua_Integer)s.inserted);
    city_lua_set_int(L, "arrived", (lua_Integer)s.arrived);
    city_lua_set_int(L, "running", (lua_Integer)s.running);
    city_lua_set_int(L, "waiting", (lua_Integer)s.waiting_insert);
    city_lua_set_int(L, "vehicle_updates", (lua_Integer)s.vehicle_updates);
    city_lua_set_int(L, "gridlock_warnings", (lua_Integer)s.gridlock_warnings);
    city_lua_set_int(L, "teleports", (lua_Integer)s.teleports);
    city_lua_set_int(L, "aborted", (lua_Integer)s.aborted);
    city_lua_set_int(L, "restricted", (lua_Integer)s.restricted);
    city_lua_set_number(L, "mean_speed", s.mean_speed_mps);
    city_lua_set_number(L, "mean_travel_time", s.arrived ? s.sum_travel_time_s / (double)s.arrived : 0.0);
    city_lua_set_int(L, "ev_inserted", (lua_Integer)s.ev_inserted);
    city_lua_set_number(L, "ev_km", s.ev_dist_m / 1000.0);
    city_lua_set_number(L, "ev_used_kwh", s.ev_used_kwh);
    city_lua_set_number(L, "ev_start_kwh", s.ev_start_kwh);
    city_lua_set_number(L, "ev_left_kwh", s.ev_left_kwh);
    return 1;
}

/* city.road.vehicles() -> array sorted by id of {id=, name=, lane=, edge=, pos=, speed=} */
static int l_vehicles(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
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
        city_lua_set_int(L, "id", (lua_Integer)city_id_pack(vv.id));
        city_lua_set_string(L, "name", vv.name);
        city_lua_set_string(L, "lane", net->lanes[vv.lane].id);
        city_lua_set_string(L, "edge", net->edges[net->lanes[vv.lane].edge].id);
        city_lua_set_number(L, "pos", vv.pos_m);
        city_lua_set_number(L, "speed", vv.speed_mps);
        city_lua_set_number(L, "energy_kwh", vv.energy_kwh);
        city_lua_set_number(L, "halt_s", vv.halt_s);
        if (vv.next_lane >= 0)
            city_lua_set_string(L, "next_lane", net->lanes[vv.next_lane].id);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* city.road.edges() -> array in network order of {id=, from=, to=, x0=, y0=, x1=, y1=, lanes=, length=, speed=,
 * passenger=} (x0, y0 and x1, y1: centres of the from and to junctions) */
static int l_edges(lua_State *L)
{
    const CityRoadNet *net = city_road_net(lua_road_of(L));
    lua_createtable(L, net->n_edges, 0);
    int k = 0;
    for (int32_t e = 0; e < net->n_edges; e++) {
        const CityEdge *ed = &net->edges[e];
        if (ed->internal)
            continue;
        bool car = false;
        for (int32_t i = 0; i < ed->lane_count; i++)
            car = car || (net->lanes[ed->lane_first + i].allow & CITY_VC_PASSENGER);
        lua_createtable(L, 0, 11);
        city_lua_set_string(L, "id", ed->id);
        city_lua_set_string(L, "from", net->junctions[ed->from].id);
        city_lua_set_string(L, "to", net->junctions[ed->to].id);
        city_lua_set_number(L, "x0", net->junctions[ed->from].pos.x);
        city_lua_set_number(L, "y0", net->junctions[ed->from].pos.y);
        city_lua_set_number(L, "x1", net->junctions[ed->to].pos.x);
        city_lua_set_number(L, "y1", net->junctions[ed->to].pos.y);
        city_lua_set_int(L, "lanes", ed->lane_count);
        city_lua_set_number(L, "length", ed->length_m);
        city_lua_set_number(L, "speed", ed->speed_mps);
        city_lua_set_bool(L, "passenger", car);
        lua_rawseti(L, -2, ++k);
    }
    return 1;
}

/* city.road.path(from, to [, class]) -> array of edge ids of the fastest free-flow path, or nil */
static int l_path(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    int32_t from = lua_road_edge(L, road, luaL_checkstring(L, 1), "city.road.path");
    int32_t to = lua_road_edge(L, road, luaL_checkstring(L, 2), "city.road.path");
    uint32_t vclass = lua_road_class(L, luaL_optstring(L, 3, "passenger"));
    const CityRoadNet *net = city_road_net(road);
    int32_t *buf = lua_newuserdatauv(L, ((size_t)net->n_edges + 1) * sizeof *buf, 0);
    int32_t n = city_road_path(road, from, to, vclass, buf, net->n_edges + 1);
    if (n == CITY_ROAD_PATH_NOMEM)
        return luaL_error(L, "city.road.path: %s", city_world_error(city_lua_world(L)));
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
    const CityRoadNet *net = city_road_net(lua_road_of(L));
    int32_t n = 0;
    for (int32_t e = 0; e < net->n_edges; e++)
        n += !net->edges[e].internal;
    lua_pushinteger(L, n);
    return 1;
}

void lua_road_open_state(lua_State *L)
{
    static const luaL_Reg fns[] = {{"close_lane", l_close_lane},
                                   {"signal_mode", l_signal_mode},
                                   {"set_phase", l_set_phase},
                                   {"signals", l_signals},
                                   {"stats", l_stats},
                                   {"vehicles", l_vehicles},
                                   {"edge_count", l_edge_count},
                                   {"edges", l_edges},
                                   {"path", l_path},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
