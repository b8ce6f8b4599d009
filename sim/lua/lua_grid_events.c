/* city.grid during a run: weather curves, EVs plugging in and out,
 * outages, switching and load shedding. */
#include <lauxlib.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_lua.h"
#include "lua_fields.h"
#include "lua_grid_internal.h"
#include "lua_result.h"

static int read_curve(lua_State *L, int t, const char *key, double **ts, double **vs)
{
    lua_getfield(L, t, key);
    int idx = lua_gettop(L);
    if (lua_isnil(L, idx)) {
        lua_pop(L, 1);
        return -1;
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_Integer n = luaL_len(L, idx);
    if (n < 1 || n > 1000000)
        luaL_error(L, "%s: give a list of {time_s, value} points", key);
    double *buf = lua_newuserdatauv(L, (size_t)n * 2 * sizeof *buf, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        if (!lua_istable(L, -1))
            luaL_error(L, "%s point %d must be {time_s, value}", key, (int)i);
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        buf[i - 1] = luaL_checknumber(L, -2);
        buf[n + i - 1] = luaL_checknumber(L, -1);
        lua_pop(L, 3);
    }
    lua_replace(L, idx); /* keep the buffer alive on the stack */
    *ts = buf;
    *vs = buf + n;
    return (int)n;
}

/* city.grid.environment{ temperature = {{t_s, deg_c}, ...}, irradiance = {{t_s, w_m2}, ...}, daily = false } */
static int l_environment(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    bool daily = city_lua_field_bool(L, 1, "daily", false);
    double *tt = NULL, *tv = NULL, *it = NULL, *iv = NULL;
    int nt = read_curve(L, 1, "temperature", &tt, &tv);
    int ni = read_curve(L, 1, "irradiance", &it, &iv);
    if (nt > 0 && city_grid_set_temperature(g, tt, tv, nt, daily) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.environment");
    if (ni > 0 && city_grid_set_irradiance(g, it, iv, ni, daily) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.environment");
    return 0;
}

static int l_temperature(lua_State *L)
{
    double t = luaL_optnumber(L, 1, city_world_time_s(city_lua_world(L)));
    lua_pushnumber(L, city_grid_temperature_c(lua_grid_of(L), t));
    return 1;
}

static int l_irradiance(lua_State *L)
{
    double t = luaL_optnumber(L, 1, city_world_time_s(city_lua_world(L)));
    lua_pushnumber(L, city_grid_irradiance_wm2(lua_grid_of(L), t));
    return 1;
}

/* ---- EVs ------------------------------------------------------------------------------ */

static uint64_t ev_key(lua_State *L, int arg)
{
    lua_Integer k = luaL_checkinteger(L, arg);
    luaL_argcheck(L, k >= 0, arg, "EV keys are non-negative integers");
    return (uint64_t)k;
}

/* city.grid.find_charger(x, y [, max_dist_m]) -> id or nil */
static int l_find_charger(lua_State *L)
{
    double x = luaL_checknumber(L, 1), y = luaL_checknumber(L, 2), d = luaL_optnumber(L, 3, 0);
    int32_t id = city_grid_charger_find(lua_grid_of(L), x, y, d);
    if (id < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, id);
    return 1;
}

/* city.grid.plug_ev{ key=, energy_kwh=, capacity_kwh=, charger= | x=, y=, max_dist= } -> charger id, or nil, msg */
static int l_plug_ev(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    lua_getfield(L, 1, "key");
    uint64_t key = ev_key(L, lua_gettop(L));
    lua_pop(L, 1);
    double e = city_lua_field_number(L, 1, "energy_kwh", -1), cap = city_lua_field_number(L, 1, "capacity_kwh", 0);
    int32_t ch = city_lua_field_int(L, 1, "charger", false, -1);
    if (ch < 0) {
        if (!city_lua_field_has(L, 1, "x") || !city_lua_field_has(L, 1, "y"))
            luaL_error(L, "city.grid.plug_ev: give charger= or a position x=, y=");
        ch = city_grid_charger_find(g, city_lua_field_number(L, 1, "x", 0), city_lua_field_number(L, 1, "y", 0),
                                    city_lua_field_number(L, 1, "max_dist", 0));
        if (ch < 0) {
            lua_pushnil(L);
            lua_pushstring(L, "no charger with a free port in reach");
            return 2;
        }
    }
    CityStatus st = city_grid_ev_plug(g, ch, key, e, cap);
    if (st == CITY_ERR_LIMIT) {
        lua_pushnil(L);
        lua_pushstring(L, city_grid_error(g));
        return 2;
    }
    if (st != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.plug_ev");
    lua_pushinteger(L, ch);
    return 1;
}

/* city.grid.unplug_ev(key) -> energy_kwh */
static int l_unplug_ev(lua_State *L)
{
    uint64_t key = ev_key(L, 1);
    CityGrid *g = lua_grid_of(L);
    double e;
    if (city_grid_ev_unplug(g, key, &e) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.unplug_ev");
    lua_pushnumber(L, e);
    return 1;
}

/* ---- events ----------------------------------------------------------------------------- */

static int set_branch(lua_State *L, int32_t id, bool closed, const char *what)
{
    lua_grid_of(L);
    CityWorld *w = city_lua_world(L);
    if (city_grid_sim_set_branch(w, id, closed) != CITY_OK)
        return luaL_error(L, "%s: %s", what, city_world_error(w));
    return 0;
}

static int l_outage(lua_State *L)
{
    return set_branch(L, (int32_t)luaL_checkinteger(L, 1), false, "city.grid.outage");
}
static int l_restore(lua_State *L)
{
    return set_branch(L, (int32_t)luaL_checkinteger(L, 1), true, "city.grid.restore");
}

static int l_switch(lua_State *L)
{
    int32_t id = (int32_t)luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    return set_branch(L, id, lua_toboolean(L, 2), "city.grid.switch");
}

/* city.grid.shed(load_id, fraction) */
static int l_shed(lua_State *L)
{
    int32_t id = (int32_t)luaL_checkinteger(L, 1);
    double f = luaL_checknumber(L, 2);
    CityGrid *g = lua_grid_of(L);
    if (city_grid_load_shed(g, id, f) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.shed");
    city_world_log(city_lua_world(L), "power", "load %d shed to %.0f%%", (int)id, 100.0 * f);
    return 0;
}

void lua_grid_open_events(lua_State *L)
{
    static const luaL_Reg fns[] = {{"environment", l_environment},
                                   {"temperature", l_temperature},
                                   {"irradiance", l_irradiance},
                                   {"find_charger", l_find_charger},
                                   {"plug_ev", l_plug_ev},
                                   {"unplug_ev", l_unplug_ev},
                                   {"outage", l_outage},
                                   {"restore", l_restore},
                                   {"switch", l_switch},
                                   {"shed", l_shed},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
