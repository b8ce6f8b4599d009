/* city.grid devices: daily load profiles, loads, rooftop PV, batteries, EV
 * chargers and streetlights. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_lua.h"
#include "lua_fields.h"
#include "lua_grid_internal.h"
#include "lua_result.h"

static const char PROFILES_KEY = 'p'; /* registry: profile name -> index */

/* Illustrative daily shapes (multipliers of p_kw at each hour), not
 * measured data: a residential evening peak and a commercial day plateau. */
static const double RESIDENTIAL[24] = {0.55, 0.50, 0.47, 0.45, 0.45, 0.50, 0.60, 0.70, 0.70, 0.65, 0.62, 0.62,
                                       0.63, 0.62, 0.62, 0.65, 0.72, 0.85, 0.95, 1.00, 0.98, 0.90, 0.78, 0.65};
static const double COMMERCIAL[24] = {0.35, 0.33, 0.32, 0.32, 0.33, 0.38, 0.50, 0.70, 0.88, 0.97, 1.00, 1.00,
                                      0.98, 1.00, 1.00, 0.98, 0.95, 0.90, 0.80, 0.70, 0.60, 0.50, 0.42, 0.38};

/* Profile names map to indices of one grid: a new grid starts without them. */
void lua_grid_forget_profiles(lua_State *L)
{
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &PROFILES_KEY);
}

/* Reads 24 hourly multipliers from the table at idx into a new profile of
 * the grid; `what` starts the error messages. */
static int32_t add_hourly(lua_State *L, CityGrid *g, int idx, const char *what)
{
    double h[24];
    if (luaL_len(L, idx) != 24)
        luaL_error(L, "%s: give 24 hourly multipliers", what);
    for (int i = 0; i < 24; i++) {
        lua_rawgeti(L, idx, i + 1);
        h[i] = luaL_checknumber(L, -1);
        lua_pop(L, 1);
    }
    int32_t k = city_grid_add_profile(g, h);
    if (k < 0)
        luaL_error(L, "%s: multipliers must be finite and >= 0", what);
    return k;
}

/* Pushes the registry table of profile names, creating it on first use. */
static void push_profile_names(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &PROFILES_KEY);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &PROFILES_KEY);
    }
}

static int32_t profile_index(lua_State *L, CityGrid *g, int t)
{
    lua_getfield(L, t, "profile");
    int idx = lua_gettop(L);
    int32_t k = -1;
    if (lua_isnil(L, idx)) {
        lua_pop(L, 1);
        return -1;
    }
    if (lua_istable(L, idx)) {
        k = add_hourly(L, g, idx, "profile");
        lua_pop(L, 1);
        return k;
    }
    const char *name = luaL_checkstring(L, idx);
    push_profile_names(L);
    lua_getfield(L, -1, name);
    if (lua_isinteger(L, -1)) {
        k = (int32_t)lua_tointeger(L, -1);
    } else {
        const double *h = !strcmp(name, "residential") ? RESIDENTIAL : !strcmp(name, "commercial") ? COMMERCIAL : NULL;
        if (!h)
            luaL_error(L,
                       "profile '%s' is not defined; use \"residential\", \"commercial\", a name given to "
                       "city.grid.profile, or a table of 24 multipliers",
                       name);
        k = city_grid_add_profile(g, h);
        lua_pushinteger(L, k);
        lua_setfield(L, -3, name);
    }
    lua_pop(L, 3);
    return k;
}

/* city.grid.profile(name, {24 hourly multipliers}) */
static int l_profile(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    char what[160];
    snprintf(what, sizeof what, "city.grid.profile('%s')", name);
    int32_t k = add_hourly(L, g, 2, what);
    push_profile_names(L);
    lua_pushinteger(L, k);
    lua_setfield(L, -2, name);
    return 0;
}

/* city.grid.load{ id=, bus=, p_kw=, q_kvar= | pf=, zip={z,i,p}, profile=, cooling_pct_per_c=, t_base_c=24,
 * area_m2= } */
static int l_load(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    CityGridLoad l = {0};
    l.id = city_lua_field_int(L, 1, "id", true, 0);
    l.bus = city_lua_field_int(L, 1, "bus", true, 0);
    l.p_kw = city_lua_field_number(L, 1, "p_kw", 0);
    double pf = city_lua_field_number(L, 1, "pf", 0.95);
    if (!(pf > 0 && pf <= 1))
        luaL_error(L, "city.grid.load %d: pf must be in (0, 1]", (int)l.id);
    l.q_kvar = city_lua_field_number(L, 1, "q_kvar", l.p_kw * tan(acos(pf)));
    l.cooling_pct_per_c = city_lua_field_number(L, 1, "cooling_pct_per_c", 0);
    l.t_base_c = city_lua_field_number(L, 1, "t_base_c", 24);
    l.area_m2 = city_lua_field_number(L, 1, "area_m2", 0);
    lua_getfield(L, 1, "zip");
    if (lua_istable(L, -1)) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        lua_rawgeti(L, -3, 3);
        l.zip_z = luaL_checknumber(L, -3);
        l.zip_i = luaL_checknumber(L, -2);
        l.zip_p = luaL_checknumber(L, -1);
        lua_pop(L, 3);
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "city.grid.load %d: zip must be {z, i, p} shares summing to 1", (int)l.id);
    }
    lua_pop(L, 1);
    l.profile = profile_index(L, g, 1);
    if (city_grid_add_load(g, &l) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.load");
    return 0;
}

/* city.grid.pv{ id=, bus=, kwp=, derate=0.86 } */
static int l_pv(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    CityGridPv pv = {city_lua_field_int(L, 1, "id", true, 0), city_lua_field_int(L, 1, "bus", true, 0),
                     city_lua_field_number(L, 1, "kwp", 0), city_lua_field_number(L, 1, "derate", 0.86)};
    if (city_grid_add_pv(g, &pv) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.pv");
    return 0;
}

static CityBatteryMode battery_mode(lua_State *L, const char *s)
{
    if (!strcmp(s, "idle"))
        return CITY_BATTERY_IDLE;
    if (!strcmp(s, "manual"))
        return CITY_BATTERY_MANUAL;
    if (!strcmp(s, "peak_shave"))
        return CITY_BATTERY_PEAK_SHAVE;
    luaL_error(L, "battery mode '%s': use \"idle\", \"manual\" or \"peak_shave\"", s);
    return CITY_BATTERY_IDLE;
}

/* city.grid.battery{ id=, bus=, energy_kwh=, power_kw=, efficiency=0.9, soc=0.5, soc_min=0.1, soc_max=0.9,
 * mode="peak_shave", discharge_above_kw=, charge_below_kw=, setpoint_kw= } */
static int l_battery(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    CityGridBattery b = {0};
    b.id = city_lua_field_int(L, 1, "id", true, 0);
    b.bus = city_lua_field_int(L, 1, "bus", true, 0);
    b.energy_kwh = city_lua_field_number(L, 1, "energy_kwh", 0);
    b.power_kw = city_lua_field_number(L, 1, "power_kw", 0);
    b.efficiency = city_lua_field_number(L, 1, "efficiency", 0.9);
    b.soc = city_lua_field_number(L, 1, "soc", 0.5);
    b.soc_min = city_lua_field_number(L, 1, "soc_min", 0.1);
    b.soc_max = city_lua_field_number(L, 1, "soc_max", 0.9);
    b.mode = battery_mode(L, city_lua_field_string(L, 1, "mode", "peak_shave"));
    b.discharge_above_kw = city_lua_field_number(L, 1, "discharge_above_kw", 1e300);
    b.charge_below_kw = city_lua_field_number(L, 1, "charge_below_kw", -1e300);
    b.setpoint_kw = city_lua_field_number(L, 1, "setpoint_kw", 0);
    if (city_grid_add_battery(g, &b) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.battery");
    return 0;
}

/* city.grid.battery_set(id, mode [, setpoint_kw]) */
static int l_battery_set(lua_State *L)
{
    int32_t id = (int32_t)luaL_checkinteger(L, 1);
    CityBatteryMode m = battery_mode(L, luaL_checkstring(L, 2));
    double sp = luaL_optnumber(L, 3, 0);
    CityGrid *g = lua_grid_of(L);
    if (city_grid_battery_set(g, id, m, sp) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.battery_set");
    return 0;
}

/* city.grid.charger{ id=, bus=, x=, y=, power_kw=, ports=1, efficiency=0.93 } */
static int l_charger(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    CityGridCharger c = {0};
    c.id = city_lua_field_int(L, 1, "id", true, 0);
    c.bus = city_lua_field_int(L, 1, "bus", true, 0);
    c.x_m = city_lua_field_number(L, 1, "x", 0);
    c.y_m = city_lua_field_number(L, 1, "y", 0);
    c.power_kw = city_lua_field_number(L, 1, "power_kw", 0);
    c.ports = city_lua_field_int(L, 1, "ports", false, 1);
    c.efficiency = city_lua_field_number(L, 1, "efficiency", 0.93);
    if (city_grid_add_charger(g, &c) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.charger");
    return 0;
}

/* city.grid.lights{ id=, bus=, count=, w_each=, dim=1, on_below_wm2=20 } */
static int l_lights(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    CityGridLights s = {0};
    s.id = city_lua_field_int(L, 1, "id", true, 0);
    s.bus = city_lua_field_int(L, 1, "bus", true, 0);
    s.count = city_lua_field_int(L, 1, "count", true, 0);
    s.w_each = city_lua_field_number(L, 1, "w_each", 100);
    s.dim = city_lua_field_number(L, 1, "dim", 1);
    s.on_below_wm2 = city_lua_field_number(L, 1, "on_below_wm2", 20);
    if (city_grid_add_lights(g, &s) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.lights");
    return 0;
}

static int l_dim(lua_State *L)
{
    int32_t id = (int32_t)luaL_checkinteger(L, 1);
    double level = luaL_checknumber(L, 2);
    CityGrid *g = lua_grid_of(L);
    if (city_grid_lights_dim(g, id, level) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.dim");
    return 0;
}

void lua_grid_open_devices(lua_State *L)
{
    static const luaL_Reg fns[] = {{"profile", l_profile},
                                   {"load", l_load},
                                   {"pv", l_pv},
                                   {"battery", l_battery},
                                   {"battery_set", l_battery_set},
                                   {"charger", l_charger},
                                   {"lights", l_lights},
                                   {"dim", l_dim},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
