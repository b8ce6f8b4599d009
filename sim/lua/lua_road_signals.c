/* city.road.signal_plan(id): what the network says about a light, for a
 * scenario that wires a controller to it. A controller never reads the
 * network (it would not run unchanged in the field), so the scenario finds
 * each green phase's incoming and outgoing lanes here and hands them to
 * the controller as sensor names in its params. */
#include <lauxlib.h>

#include "city_lua.h"
#include "lua_result.h"
#include "lua_road_internal.h"

/* Pushes the program phases of light t: {index (0-based, the actuator
 * value), state, duration, green (some G/g and no yellow)}. */
static void push_phases(lua_State *L, const CityRoadNet *net, int32_t t)
{
    const CityTls *tls = &net->tls[t];
    lua_createtable(L, tls->phase_count, 0);
    for (int32_t k = 0; k < tls->phase_count; k++) {
        const CityTlsPhase *ph = &net->phases[tls->phase_first + k];
        const char *st = net->chars + ph->state_first;
        bool green = false, yellow = false;
        for (int32_t i = 0; i < tls->link_count; i++) {
            green = green || st[i] == 'G' || st[i] == 'g';
            yellow = yellow || st[i] == 'y' || st[i] == 'Y' || st[i] == 'u';
        }
        lua_createtable(L, 0, 4);
        city_lua_set_int(L, "index", k);
        lua_pushlstring(L, st, (size_t)tls->link_count);
        lua_setfield(L, -2, "state");
        lua_pushnumber(L, ph->duration_s);
        lua_setfield(L, -2, "duration");
        lua_pushboolean(L, green && !yellow);
        lua_setfield(L, -2, "green");
        lua_rawseti(L, -2, k + 1);
    }
}

/* city.road.signal_plan(id) -> { phases = {...}, links = { {index = 1-based position in the state string,
 * from = lane id, to = lane id}, ... } in network connection order } */
static int l_signal_plan(lua_State *L)
{
    CityRoad *road = lua_road_of(L);
    const CityRoadNet *net = city_road_net(road);
    const char *id = luaL_checkstring(L, 1);
    const int32_t t = city_road_net_find_tls(net, id);
    if (t < 0)
        return luaL_error(L, "city.road.signal_plan: no traffic light '%s' in the network", id);
    lua_createtable(L, 0, 2);
    push_phases(L, net, t);
    lua_setfield(L, -2, "phases");
    lua_newtable(L);
    lua_Integer n = 0;
    for (int32_t c = 0; c < net->n_conns; c++) {
        const CityConnection *cn = &net->conns[c];
        if (cn->tls != t || cn->tls_link < 0)
            continue;
        lua_createtable(L, 0, 3);
        city_lua_set_int(L, "index", cn->tls_link + 1);
        city_lua_set_string(L, "from", net->lanes[cn->from_lane].id);
        city_lua_set_string(L, "to", net->lanes[cn->to_lane].id);
        lua_rawseti(L, -2, ++n);
    }
    lua_setfield(L, -2, "links");
    return 1;
}

void lua_road_open_signals(lua_State *L)
{
    static const luaL_Reg fns[] = {{"signal_plan", l_signal_plan}, {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
