/* city.grid: the power grid (MATPOWER cases or buses and lines built from
 * Lua), buildings from SUMO polygon files, loads, rooftop PV, batteries,
 * EV chargers, streetlights, weather curves, outages, switching and load
 * shedding, and the results. The grid is created on first use and runs as
 * the world's "power" subsystem every solve period. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_lua.h"
#include "lua_fields.h"
#include "city_matpower.h"
#include "city_sumo_poly.h"

static const char PROFILES_KEY = 'p'; /* registry: profile name -> index */

/* Illustrative daily shapes (multipliers of p_kw at each hour), not
 * measured data: a residential evening peak and a commercial day plateau. */
static const double RESIDENTIAL[24] = {0.55, 0.50, 0.47, 0.45, 0.45, 0.50, 0.60, 0.70, 0.70, 0.65, 0.62, 0.62,
                                       0.63, 0.62, 0.62, 0.65, 0.72, 0.85, 0.95, 1.00, 0.98, 0.90, 0.78, 0.65};
static const double COMMERCIAL[24] = {0.35, 0.33, 0.32, 0.32, 0.33, 0.38, 0.50, 0.70, 0.88, 0.97, 1.00, 1.00,
                                      0.98, 1.00, 1.00, 0.98, 0.95, 0.90, 0.80, 0.70, 0.60, 0.50, 0.42, 0.38};

/* ---- helpers ------------------------------------------------------------------ */

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, bool v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

static CityGrid *grid_or_create(lua_State *L)
{
    CityWorld *w = city_lua_world(L);
    CityGrid *g = city_grid_of(w);
    if (g)
        return g;
    g = city_grid_create(10.0);
    if (!g)
        luaL_error(L, "not enough memory");
    if (city_grid_sim_attach(w, g, NULL) != CITY_OK)
        return city_lua_raise(L, w, CITY_ERR_INVALID), NULL;
    return g;
}

static int raise_grid(lua_State *L, CityGrid *g, const char *what)
{
    return luaL_error(L, "%s: %s", what, city_grid_error(g));
}

static bool grid_empty(CityGrid *g)
{
    int32_t nb, nl, np;
    city_grid_buses(g, &nb);
    city_grid_loads(g, &nl);
    city_grid_pvs(g, &np);
    return nb == 0 && nl == 0 && np == 0;
}

/* Profile names map to indices of one grid: a new grid starts without them. */
static void forget_profiles(lua_State *L)
{
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &PROFILES_KEY);
}

/* ---- configuration and cases ---------------------------------------------------- */

static CityPfMethod method_of(lua_State *L, const char *m)
{
    if (!strcmp(m, "nr"))
        return CITY_PF_NR;
    if (!strcmp(m, "sweep"))
        return CITY_PF_SWEEP;
    luaL_error(L, "method '%s': use \"nr\" (Newton-Raphson) or \"sweep\" (radial feeders)", m);
    return CITY_PF_NR;
}

/* city.grid.config{ period_s=, method=, tol=, max_iter=, flat_start=, enforce_q_lims=, vmin=, vmax=, base_mva= } */
static int l_config(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityWorld *w = city_lua_world(L);
    CityGrid *g = grid_or_create(L);
    CityGridSimConfig c = *city_grid_sim_config(w);
    c.period_s = city_lua_field_number(L, 1, "period_s", c.period_s);
    c.pf.method = method_of(L, city_lua_field_string(L, 1, "method", c.pf.method == CITY_PF_SWEEP ? "sweep" : "nr"));
    c.pf.tol_pu = city_lua_field_number(L, 1, "tol", c.pf.tol_pu);
    c.pf.max_iter = city_lua_field_int(L, 1, "max_iter", false, c.pf.max_iter);
    c.pf.flat_start = city_lua_field_bool(L, 1, "flat_start", c.pf.flat_start);
    c.pf.enforce_q_lims = city_lua_field_int(L, 1, "enforce_q_lims", false, c.pf.enforce_q_lims);
    c.vmin_pu = city_lua_field_number(L, 1, "vmin", c.vmin_pu);
    c.vmax_pu = city_lua_field_number(L, 1, "vmax", c.vmax_pu);
    double base = city_lua_field_number(L, 1, "base_mva", city_grid_base_mva(g));
    if (!(c.period_s > 0 && c.period_s <= 86400))
        luaL_error(L, "city.grid.config: period_s %f is out of range; use 1 to 86400 seconds", c.period_s);
    if (!(c.pf.tol_pu > 0 && c.pf.tol_pu <= 1) || c.pf.max_iter < 0 || c.pf.max_iter > 100000)
        luaL_error(L, "city.grid.config: tol must be in (0, 1] pu and max_iter in 0..100000");
    if (c.pf.enforce_q_lims < 0 || c.pf.enforce_q_lims > 2)
        luaL_error(L, "city.grid.config: enforce_q_lims must be 0 (off), 1 (all at once) or 2 (one at a time)");
    if (!(c.vmin_pu < c.vmax_pu))
        luaL_error(L, "city.grid.config: vmin must be below vmax");
    if (!(base > 0))
        luaL_error(L, "city.grid.config: base_mva must be > 0");
    if (base != city_grid_base_mva(g)) {
        if (!grid_empty(g))
            luaL_error(L, "city.grid.config: set base_mva before adding buses");
        CityGrid *ng = city_grid_create(base);
        if (!ng || city_grid_sim_replace(w, ng) != CITY_OK)
            return city_lua_raise(L, w, CITY_ERR_INVALID);
        forget_profiles(L);
    }
    if (city_grid_sim_configure(w, &c) != CITY_OK)
        return city_lua_raise(L, w, CITY_ERR_INVALID);
    return 0;
}

/* city.grid.load_case(path) -> {buses=, branches=, gens=, base_mva=} */
static int l_load_case(lua_State *L)
{
    char path[4096], err[1024];
    city_lua_data_path(L, 1, path, sizeof path);
    CityWorld *w = city_lua_world(L);
    CityGrid *g = grid_or_create(L);
    if (!grid_empty(g))
        luaL_error(L, "city.grid.load_case: the grid already has buses or devices; load the case first");
    CityMpCase mp;
    if (city_matpower_read(path, &mp, err, sizeof err) != CITY_OK)
        luaL_error(L, "%s", err);
    CityGrid *ng = NULL;
    CityStatus st = city_matpower_to_grid(&mp, path, &ng, err, sizeof err);
    city_matpower_free(&mp);
    if (st != CITY_OK)
        luaL_error(L, "%s", err);
    if (city_grid_sim_replace(w, ng) != CITY_OK)
        return city_lua_raise(L, w, CITY_ERR_INVALID);
    forget_profiles(L);
    int32_t nb, nbr, ng_;
    city_grid_buses(ng, &nb);
    city_grid_branches(ng, &nbr);
    city_grid_gens(ng, &ng_);
    lua_createtable(L, 0, 4);
    set_int(L, "buses", nb);
    set_int(L, "branches", nbr);
    set_int(L, "gens", ng_);
    set_num(L, "base_mva", city_grid_base_mva(ng));
    return 1;
}

/* ---- network building ------------------------------------------------------------ */

static CityBusType bus_type(lua_State *L, const char *s)
{
    if (!strcmp(s, "pq"))
        return CITY_BUS_PQ;
    if (!strcmp(s, "pv"))
        return CITY_BUS_PV;
    if (!strcmp(s, "slack") || !strcmp(s, "ref"))
        return CITY_BUS_SLACK;
    if (!strcmp(s, "isolated"))
        return CITY_BUS_ISOLATED;
    luaL_error(L, "bus type '%s': use \"pq\", \"pv\", \"slack\" or \"isolated\"", s);
    return CITY_BUS_PQ;
}

static int32_t feeder_field(lua_State *L, CityGrid *g, int t)
{
    const char *f = city_lua_field_string(L, t, "feeder", NULL);
    if (!f)
        return 0;
    int32_t k = city_grid_feeder(g, f);
    if (k < 0)
        luaL_error(L, "feeder '%s': names are 1-63 characters and at most 64 feeders", f);
    for (const char *p = f; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            luaL_error(L, "feeder '%s': use letters, digits, '_' and '-' (it names a CSV file)", f);
    return k;
}

/* city.grid.bus{ id=, type="pq", kv=, vm_pu=1, va_deg=0, x=, y=, feeder=, pd_kw=, qd_kvar=, gs_kw=, bs_kvar= } */
static int l_bus(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = grid_or_create(L);
    CityGridBus b = {0};
    b.id = city_lua_field_int(L, 1, "id", true, 0);
    b.type = bus_type(L, city_lua_field_string(L, 1, "type", "pq"));
    b.base_kv = city_lua_field_number(L, 1, "kv", 0);
    b.vm_pu = city_lua_field_number(L, 1, "vm_pu", 1.0);
    b.va_deg = city_lua_field_number(L, 1, "va_deg", 0.0);
    b.x_m = city_lua_field_number(L, 1, "x", 0);
    b.y_m = city_lua_field_number(L, 1, "y", 0);
    b.pd_mw = city_lua_field_number(L, 1, "pd_kw", 0) / 1000.0;
    b.qd_mvar = city_lua_field_number(L, 1, "qd_kvar", 0) / 1000.0;
    b.gs_mw = city_lua_field_number(L, 1, "gs_kw", 0) / 1000.0;
    b.bs_mvar = city_lua_field_number(L, 1, "bs_kvar", 0) / 1000.0;
    b.feeder = feeder_field(L, g, 1);
    if (!(b.vm_pu > 0.5 && b.vm_pu < 1.5) || b.base_kv < 0)
        luaL_error(L, "city.grid.bus %d: vm_pu must be in (0.5, 1.5) and kv >= 0", (int)b.id);
    if (city_grid_add_bus(g, &b) != CITY_OK)
        return raise_grid(L, g, "city.grid.bus");
    if (b.type == CITY_BUS_SLACK || b.type == CITY_BUS_PV) {
        CityGridGen gen = {b.id, city_lua_field_number(L, 1, "p_kw", 0) / 1000.0, 0, 0, 0, b.vm_pu, true};
        if (city_grid_add_gen(g, &gen) != CITY_OK)
            return raise_grid(L, g, "city.grid.bus");
    }
    return 0;
}

static CityBranchKind branch_kind(lua_State *L, const char *s)
{
    if (!strcmp(s, "line"))
        return CITY_BRANCH_LINE;
    if (!strcmp(s, "transformer"))
        return CITY_BRANCH_TRANSFORMER;
    if (!strcmp(s, "switch"))
        return CITY_BRANCH_SWITCH;
    luaL_error(L, "kind '%s': use \"line\", \"transformer\" or \"switch\"", s);
    return CITY_BRANCH_LINE;
}

/* city.grid.line{ id=, from=, to=, r_ohm= | r_pu=, x_ohm= | x_pu=, b_us= | b_pu=, length_km=1 (scales the
 * *_ohm and b_us values given per km), rate_kva=, kind="line", ratio=, shift_deg=, closed=true } */
static int l_line(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = grid_or_create(L);
    CityGridBranch b = {0};
    b.id = city_lua_field_int(L, 1, "id", true, 0);
    b.from_bus = city_lua_field_int(L, 1, "from", true, 0);
    b.to_bus = city_lua_field_int(L, 1, "to", true, 0);
    b.kind = branch_kind(L, city_lua_field_string(L, 1, "kind", "line"));
    b.closed = city_lua_field_bool(L, 1, "closed", true);
    b.ratio = city_lua_field_number(L, 1, "ratio", 0);
    b.shift_deg = city_lua_field_number(L, 1, "shift_deg", 0);
    b.rate_mva = city_lua_field_number(L, 1, "rate_kva", 0) / 1000.0;
    double len = city_lua_field_number(L, 1, "length_km", 1.0);
    bool ohm =
        city_lua_field_has(L, 1, "r_ohm") || city_lua_field_has(L, 1, "x_ohm") || city_lua_field_has(L, 1, "b_us");
    if (ohm) {
        int32_t fi = city_grid_bus_index(g, b.from_bus);
        int32_t n;
        const CityGridBus *bus = city_grid_buses(g, &n);
        if (fi < 0 || !(bus[fi].base_kv > 0))
            luaL_error(L, "city.grid.line %d: ohm values need the from bus %d to exist with kv set", (int)b.id,
                       (int)b.from_bus);
        double zbase = bus[fi].base_kv * bus[fi].base_kv / city_grid_base_mva(g);
        b.r_pu = city_lua_field_number(L, 1, "r_ohm", 0) * len / zbase;
        b.x_pu = city_lua_field_number(L, 1, "x_ohm", 0) * len / zbase;
        b.b_pu = city_lua_field_number(L, 1, "b_us", 0) * 1e-6 * len * zbase;
    } else {
        b.r_pu = city_lua_field_number(L, 1, "r_pu", 0);
        b.x_pu = city_lua_field_number(L, 1, "x_pu", 0);
        b.b_pu = city_lua_field_number(L, 1, "b_pu", 0);
    }
    if (!(len > 0) || b.r_pu < 0 || b.rate_mva < 0)
        luaL_error(L, "city.grid.line %d: length_km must be > 0, resistance and rate_kva >= 0", (int)b.id);
    if (city_grid_add_branch(g, &b) != CITY_OK)
        return raise_grid(L, g, "city.grid.line");
    return 0;
}

/* city.grid.gen{ bus=, p_kw=0, q_kvar=0, vm_pu=1 } */
static int l_gen(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = grid_or_create(L);
    CityGridGen gen = {0};
    gen.bus = city_lua_field_int(L, 1, "bus", true, 0);
    gen.pg_mw = city_lua_field_number(L, 1, "p_kw", 0) / 1000.0;
    gen.qg_mvar = city_lua_field_number(L, 1, "q_kvar", 0) / 1000.0;
    gen.vg_pu = city_lua_field_number(L, 1, "vm_pu", 1.0);
    gen.on = city_lua_field_bool(L, 1, "on", true);
    if (city_grid_add_gen(g, &gen) != CITY_OK)
        return raise_grid(L, g, "city.grid.gen");
    return 0;
}

/* ---- devices ---------------------------------------------------------------------- */

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
        double h[24];
        if (luaL_len(L, idx) != 24)
            luaL_error(L, "profile: give 24 hourly multipliers");
        for (int i = 0; i < 24; i++) {
            lua_rawgeti(L, idx, i + 1);
            h[i] = luaL_checknumber(L, -1);
            lua_pop(L, 1);
        }
        k = city_grid_add_profile(g, h);
        if (k < 0)
            luaL_error(L, "profile: multipliers must be finite and >= 0");
        lua_pop(L, 1);
        return k;
    }
    const char *name = luaL_checkstring(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &PROFILES_KEY);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &PROFILES_KEY);
    }
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
    CityGrid *g = grid_or_create(L);
    double h[24];
    if (luaL_len(L, 2) != 24)
        luaL_error(L, "city.grid.profile('%s'): give 24 hourly multipliers", name);
    for (int i = 0; i < 24; i++) {
        lua_rawgeti(L, 2, i + 1);
        h[i] = luaL_checknumber(L, -1);
        lua_pop(L, 1);
    }
    int32_t k = city_grid_add_profile(g, h);
    if (k < 0)
        luaL_error(L, "city.grid.profile('%s'): multipliers must be finite and >= 0", name);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &PROFILES_KEY);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &PROFILES_KEY);
    }
    lua_pushinteger(L, k);
    lua_setfield(L, -2, name);
    return 0;
}

/* city.grid.load{ id=, bus=, p_kw=, q_kvar= | pf=, zip={z,i,p}, profile=, cooling_pct_per_c=, t_base_c=24,
 * area_m2= } */
static int l_load(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = grid_or_create(L);
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
        return raise_grid(L, g, "city.grid.load");
    return 0;
}

/* city.grid.pv{ id=, bus=, kwp=, derate=0.86 } */
static int l_pv(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = grid_or_create(L);
    CityGridPv pv = {city_lua_field_int(L, 1, "id", true, 0), city_lua_field_int(L, 1, "bus", true, 0),
                     city_lua_field_number(L, 1, "kwp", 0), city_lua_field_number(L, 1, "derate", 0.86)};
    if (city_grid_add_pv(g, &pv) != CITY_OK)
        return raise_grid(L, g, "city.grid.pv");
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
    CityGrid *g = grid_or_create(L);
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
        return raise_grid(L, g, "city.grid.battery");
    return 0;
}

/* city.grid.battery_set(id, mode [, setpoint_kw]) */
static int l_battery_set(lua_State *L)
{
    int32_t id = (int32_t)luaL_checkinteger(L, 1);
    CityBatteryMode m = battery_mode(L, luaL_checkstring(L, 2));
    double sp = luaL_optnumber(L, 3, 0);
    CityGrid *g = grid_or_create(L);
    if (city_grid_battery_set(g, id, m, sp) != CITY_OK)
        return raise_grid(L, g, "city.grid.battery_set");
    return 0;
}

/* city.grid.charger{ id=, bus=, x=, y=, power_kw=, ports=1, efficiency=0.93 } */
static int l_charger(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = grid_or_create(L);
    CityGridCharger c = {0};
    c.id = city_lua_field_int(L, 1, "id", true, 0);
    c.bus = city_lua_field_int(L, 1, "bus", true, 0);
    c.x_m = city_lua_field_number(L, 1, "x", 0);
    c.y_m = city_lua_field_number(L, 1, "y", 0);
    c.power_kw = city_lua_field_number(L, 1, "power_kw", 0);
    c.ports = city_lua_field_int(L, 1, "ports", false, 1);
    c.efficiency = city_lua_field_number(L, 1, "efficiency", 0.93);
    if (city_grid_add_charger(g, &c) != CITY_OK)
        return raise_grid(L, g, "city.grid.charger");
    return 0;
}

/* city.grid.lights{ id=, bus=, count=, w_each=, dim=1, on_below_wm2=20 } */
static int l_lights(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = grid_or_create(L);
    CityGridLights s = {0};
    s.id = city_lua_field_int(L, 1, "id", true, 0);
    s.bus = city_lua_field_int(L, 1, "bus", true, 0);
    s.count = city_lua_field_int(L, 1, "count", true, 0);
    s.w_each = city_lua_field_number(L, 1, "w_each", 100);
    s.dim = city_lua_field_number(L, 1, "dim", 1);
    s.on_below_wm2 = city_lua_field_number(L, 1, "on_below_wm2", 20);
    if (city_grid_add_lights(g, &s) != CITY_OK)
        return raise_grid(L, g, "city.grid.lights");
    return 0;
}

static int l_dim(lua_State *L)
{
    int32_t id = (int32_t)luaL_checkinteger(L, 1);
    double level = luaL_checknumber(L, 2);
    CityGrid *g = grid_or_create(L);
    if (city_grid_lights_dim(g, id, level) != CITY_OK)
        return raise_grid(L, g, "city.grid.dim");
    return 0;
}

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
    CityGrid *g = grid_or_create(L);
    bool daily = city_lua_field_bool(L, 1, "daily", false);
    double *tt = NULL, *tv = NULL, *it = NULL, *iv = NULL;
    int nt = read_curve(L, 1, "temperature", &tt, &tv);
    int ni = read_curve(L, 1, "irradiance", &it, &iv);
    if (nt > 0 && city_grid_set_temperature(g, tt, tv, nt, daily) != CITY_OK)
        return raise_grid(L, g, "city.grid.environment");
    if (ni > 0 && city_grid_set_irradiance(g, it, iv, ni, daily) != CITY_OK)
        return raise_grid(L, g, "city.grid.environment");
    return 0;
}

static int l_temperature(lua_State *L)
{
    double t = luaL_optnumber(L, 1, city_world_time_s(city_lua_world(L)));
    lua_pushnumber(L, city_grid_temperature_c(grid_or_create(L), t));
    return 1;
}

static int l_irradiance(lua_State *L)
{
    double t = luaL_optnumber(L, 1, city_world_time_s(city_lua_world(L)));
    lua_pushnumber(L, city_grid_irradiance_wm2(grid_or_create(L), t));
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
    int32_t id = city_grid_charger_find(grid_or_create(L), x, y, d);
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
    CityGrid *g = grid_or_create(L);
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
        return raise_grid(L, g, "city.grid.plug_ev");
    lua_pushinteger(L, ch);
    return 1;
}

/* city.grid.unplug_ev(key) -> energy_kwh */
static int l_unplug_ev(lua_State *L)
{
    uint64_t key = ev_key(L, 1);
    CityGrid *g = grid_or_create(L);
    double e;
    if (city_grid_ev_unplug(g, key, &e) != CITY_OK)
        return raise_grid(L, g, "city.grid.unplug_ev");
    lua_pushnumber(L, e);
    return 1;
}

/* ---- events ----------------------------------------------------------------------------- */

static int set_branch(lua_State *L, int32_t id, bool closed, const char *what)
{
    CityGrid *g = grid_or_create(L);
    if (city_grid_sim_set_branch(city_lua_world(L), id, closed) != CITY_OK)
        return raise_grid(L, g, what);
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
    CityGrid *g = grid_or_create(L);
    if (city_grid_load_shed(g, id, f) != CITY_OK)
        return raise_grid(L, g, "city.grid.shed");
    city_world_log(city_lua_world(L), "power", "load %d shed to %.0f%%", (int)id, 100.0 * f);
    return 0;
}

/* ---- results ------------------------------------------------------------------------------ */

static void push_report(lua_State *L, const CityPfReport *r)
{
    lua_createtable(L, 0, 16);
    set_bool(L, "converged", r->converged);
    set_int(L, "iterations", r->iterations);
    set_num(L, "max_mismatch_pu", r->max_mismatch_pu);
    set_num(L, "load_kw", r->total_pd_mw * 1000.0);
    set_num(L, "gen_kw", r->total_pg_mw * 1000.0);
    set_num(L, "losses_kw", r->p_loss_mw * 1000.0);
    set_num(L, "min_vm_pu", r->min_vm_pu);
    set_int(L, "min_vm_bus", r->min_vm_bus);
    set_num(L, "max_vm_pu", r->max_vm_pu);
    set_num(L, "max_loading_pct", r->max_loading_pct);
    set_int(L, "max_loading_branch", r->max_loading_branch);
    set_int(L, "dead_buses", r->n_dead);
    set_int(L, "first_dead_bus", r->first_dead_bus);
    set_int(L, "islands", r->n_islands);
    set_int(L, "q_limited", r->n_q_limited);
}

/* city.grid.solve([{method=, tol=, max_iter=, flat_start=}]) -> report, or nil, message */
static int l_solve(lua_State *L)
{
    CityWorld *w = city_lua_world(L);
    CityGrid *g = grid_or_create(L);
    CityPfOptions o = city_grid_sim_config(w)->pf;
    if (lua_istable(L, 1)) {
        o.method = method_of(L, city_lua_field_string(L, 1, "method", o.method == CITY_PF_SWEEP ? "sweep" : "nr"));
        o.tol_pu = city_lua_field_number(L, 1, "tol", o.tol_pu);
        o.max_iter = city_lua_field_int(L, 1, "max_iter", false, o.max_iter);
        o.flat_start = city_lua_field_bool(L, 1, "flat_start", o.flat_start);
    }
    CityPfReport r;
    CityStatus st = city_grid_solve(g, &o, &r);
    if (st == CITY_ERR_NUMERIC || st == CITY_ERR_INVALID) {
        lua_pushnil(L);
        lua_pushstring(L, city_grid_error(g));
        return 2;
    }
    if (st != CITY_OK)
        return raise_grid(L, g, "city.grid.solve");
    push_report(L, &r);
    return 1;
}

static int cmp_bus(const void *a, const void *b)
{
    int32_t ia = (*(const CityGridBus *const *)a)->id, ib = (*(const CityGridBus *const *)b)->id;
    return (ia > ib) - (ia < ib);
}

/* city.grid.buses() -> { {id=, vm_pu=, va_deg=, energised=, feeder=, kv=, x=, y=}, ... } sorted by id */
static int l_buses(lua_State *L)
{
    CityGrid *g = grid_or_create(L);
    int32_t n;
    const CityGridBus *bus = city_grid_buses(g, &n);
    const CityGridBus **order = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof *order, 0);
    for (int32_t i = 0; i < n; i++)
        order[i] = &bus[i];
    qsort(order, (size_t)n, sizeof *order, cmp_bus);
    lua_createtable(L, n, 0);
    for (int32_t k = 0; k < n; k++) {
        const CityGridBus *b = order[k];
        lua_createtable(L, 0, 8);
        set_int(L, "id", b->id);
        set_num(L, "vm_pu", b->vm_pu);
        set_num(L, "va_deg", b->va_deg);
        set_bool(L, "energised", city_grid_bus_energised(g, (int32_t)(b - bus)));
        lua_pushstring(L, city_grid_feeder_name(g, b->feeder));
        lua_setfield(L, -2, "feeder");
        set_num(L, "kv", b->base_kv);
        set_num(L, "x", b->x_m);
        set_num(L, "y", b->y_m);
        lua_rawseti(L, -2, k + 1);
    }
    return 1;
}

static int cmp_branch(const void *a, const void *b)
{
    int32_t ia = (*(const CityGridBranch *const *)a)->id, ib = (*(const CityGridBranch *const *)b)->id;
    return (ia > ib) - (ia < ib);
}

/* city.grid.lines() -> { {id=, from=, to=, closed=, p_from_kw=, q_from_kvar=, p_to_kw=, q_to_kvar=, loss_kw=,
 * loading_pct=}, ... } sorted by id */
static int l_lines(lua_State *L)
{
    CityGrid *g = grid_or_create(L);
    int32_t n, nf;
    const CityGridBranch *br = city_grid_branches(g, &n);
    const CityGridFlow *fl = city_grid_flows(g, &nf);
    const CityGridBranch **order = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof *order, 0);
    for (int32_t i = 0; i < n; i++)
        order[i] = &br[i];
    qsort(order, (size_t)n, sizeof *order, cmp_branch);
    lua_createtable(L, n, 0);
    for (int32_t k = 0; k < n; k++) {
        const CityGridBranch *b = order[k];
        int32_t i = (int32_t)(b - br);
        CityGridFlow f = i < nf ? fl[i] : (CityGridFlow){0};
        lua_createtable(L, 0, 10);
        set_int(L, "id", b->id);
        set_int(L, "from", b->from_bus);
        set_int(L, "to", b->to_bus);
        set_bool(L, "closed", b->closed);
        set_num(L, "p_from_kw", f.pf_mw * 1000.0);
        set_num(L, "q_from_kvar", f.qf_mvar * 1000.0);
        set_num(L, "p_to_kw", f.pt_mw * 1000.0);
        set_num(L, "q_to_kvar", f.qt_mvar * 1000.0);
        set_num(L, "loss_kw", (f.pf_mw + f.pt_mw) * 1000.0);
        set_num(L, "loading_pct", f.loading_pct);
        lua_rawseti(L, -2, k + 1);
    }
    return 1;
}

/* city.grid.batteries() -> { {id=, bus=, soc=, p_kw=, energy_kwh=, power_kw=, soc_min=, soc_max=,
 * throughput_kwh=}, ... } */
static int l_batteries(lua_State *L)
{
    int32_t n;
    const CityGridBattery *b = city_grid_batteries(grid_or_create(L), &n);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 9);
        set_int(L, "id", b[i].id);
        set_int(L, "bus", b[i].bus);
        set_num(L, "soc", b[i].soc);
        set_num(L, "p_kw", b[i].p_kw);
        set_num(L, "energy_kwh", b[i].energy_kwh);
        set_num(L, "power_kw", b[i].power_kw);
        set_num(L, "soc_min", b[i].soc_min);
        set_num(L, "soc_max", b[i].soc_max);
        set_num(L, "throughput_kwh", b[i].throughput_kwh);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.grid.chargers() -> { {id=, bus=, x=, y=, power_kw=, ports=, p_kw=, delivered_kwh=}, ... } */
static int l_chargers(lua_State *L)
{
    int32_t n;
    const CityGridCharger *c = city_grid_chargers(grid_or_create(L), &n);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 8);
        set_int(L, "id", c[i].id);
        set_int(L, "bus", c[i].bus);
        set_num(L, "x", c[i].x_m);
        set_num(L, "y", c[i].y_m);
        set_num(L, "power_kw", c[i].power_kw);
        set_int(L, "ports", c[i].ports);
        set_num(L, "p_kw", c[i].p_kw);
        set_num(L, "delivered_kwh", c[i].delivered_kwh);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.grid.evs() -> { {key=, charger=, energy_kwh=, capacity_kwh=, arrived_kwh=}, ... } sorted by key */
static int l_evs(lua_State *L)
{
    int32_t n;
    const CityGridEv *e = city_grid_evs(grid_or_create(L), &n);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 5);
        set_int(L, "key", (lua_Integer)e[i].key);
        set_int(L, "charger", e[i].charger);
        set_num(L, "energy_kwh", e[i].energy_kwh);
        set_num(L, "capacity_kwh", e[i].capacity_kwh);
        set_num(L, "arrived_kwh", e[i].arrived_kwh);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.grid.last() -> the last period's figures, or nil before the first */
static int l_last(lua_State *L)
{
    grid_or_create(L);
    const CityGridStep *s = city_grid_sim_last(city_lua_world(L));
    if (!s) {
        lua_pushnil(L);
        return 1;
    }
    push_report(L, &s->pf);
    set_num(L, "time_s", s->t_s);
    set_num(L, "demand_kw", s->demand_kw);
    set_num(L, "pv_kw", s->pv_kw);
    set_num(L, "battery_kw", s->battery_kw);
    set_num(L, "ev_kw", s->ev_kw);
    set_num(L, "source_kw", s->gen_kw);
    set_num(L, "losses_kw", s->losses_kw);
    set_num(L, "unserved_kw", s->unserved_kw);
    set_num(L, "balance_rel_err", s->balance_rel_err);
    set_num(L, "temperature_c", s->temperature_c);
    set_num(L, "irradiance_wm2", s->irradiance_wm2);
    return 1;
}

/* city.grid.feeders() -> { {name=, demand_kw=, pv_kw=, battery_kw=, ev_kw=, losses_kw=, unserved_kw=,
 * min_vm_pu=, max_loading_pct=}, ... } of the last period, in feeder order ("main" first) */
static int l_feeders(lua_State *L)
{
    CityGrid *g = grid_or_create(L);
    int32_t n;
    const CityGridFeederStep *f = city_grid_feeder_steps(g, &n);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 9);
        lua_pushstring(L, city_grid_feeder_name(g, i));
        lua_setfield(L, -2, "name");
        set_num(L, "demand_kw", f[i].demand_kw);
        set_num(L, "pv_kw", f[i].pv_kw);
        set_num(L, "battery_kw", f[i].battery_kw);
        set_num(L, "ev_kw", f[i].ev_kw);
        set_num(L, "losses_kw", f[i].losses_kw);
        set_num(L, "unserved_kw", f[i].unserved_kw);
        set_num(L, "min_vm_pu", f[i].min_vm_pu);
        set_num(L, "max_loading_pct", f[i].max_loading_pct);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.grid.totals() -> running totals since the start */
static int l_totals(lua_State *L)
{
    grid_or_create(L);
    const CityGridTotals *t = city_grid_sim_totals(city_lua_world(L));
    lua_createtable(L, 0, 14);
    set_int(L, "solves", t->solves);
    set_int(L, "max_iterations", t->max_iterations);
    set_num(L, "losses_kwh", t->losses_kwh);
    set_num(L, "demand_kwh", t->demand_kwh);
    set_num(L, "pv_kwh", t->pv_kwh);
    set_num(L, "unserved_kwh", t->unserved_kwh);
    set_num(L, "ev_kwh", t->ev_kwh);
    set_num(L, "storage_throughput_kwh", t->storage_throughput_kwh);
    set_num(L, "peak_demand_kw", t->peak_demand_kw);
    set_num(L, "min_voltage_pu", t->min_voltage_pu);
    set_num(L, "max_line_loading_pct", t->max_line_loading_pct);
    set_num(L, "voltage_violation_min", t->voltage_violation_min);
    set_num(L, "balance_max_rel_err", t->balance_max_rel_err);
    set_int(L, "dead_buses", t->dead_buses);
    return 1;
}

/* ---- buildings ------------------------------------------------------------------------------ */

static const CityPolySet *sort_set;
static int cmp_poly(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    int c = strcmp(sort_set->poly[x].id, sort_set->poly[y].id);
    return c ? c : (x > y) - (x < y); /* file order breaks ties: qsort is not stable */
}

/* city.grid.read_buildings{ poly=, net=, types="building" } -> { {id=, type=, area_m2=, x=, y=}, ... }
 * sorted by id (bytewise) */
static int l_read_buildings(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    char poly[4096], net[4096], err[1024];
    lua_getfield(L, 1, "poly");
    city_lua_data_path(L, lua_gettop(L), poly, sizeof poly);
    lua_pop(L, 1);
    CitySumoLocation loc;
    bool has_net = city_lua_field_has(L, 1, "net");
    if (has_net) {
        lua_getfield(L, 1, "net");
        city_lua_data_path(L, lua_gettop(L), net, sizeof net);
        lua_pop(L, 1);
        if (city_sumo_location_read(net, &loc, err, sizeof err) != CITY_OK)
            luaL_error(L, "%s", err);
    }
    const char *types = city_lua_field_string(L, 1, "types", "building");
    CityPolySet set;
    if (city_sumo_poly_read(poly, has_net ? &loc : NULL, types, &set, err, sizeof err) != CITY_OK)
        luaL_error(L, "%s", err);
    int32_t *order = malloc(((size_t)set.n + 1) * sizeof *order);
    if (!order) {
        city_poly_set_free(&set);
        luaL_error(L, "not enough memory");
    }
    for (int32_t i = 0; i < set.n; i++)
        order[i] = i;
    sort_set = &set;
    qsort(order, (size_t)set.n, sizeof *order, cmp_poly);
    sort_set = NULL;
    /* copy out before any Lua call that could raise, so nothing leaks */
    lua_createtable(L, set.n, 0);
    for (int32_t k = 0; k < set.n; k++) {
        const CityPolygon *p = &set.poly[order[k]];
        lua_createtable(L, 0, 5);
        lua_pushstring(L, p->id);
        lua_setfield(L, -2, "id");
        lua_pushstring(L, p->type);
        lua_setfield(L, -2, "type");
        set_num(L, "area_m2", p->area_m2);
        set_num(L, "x", p->cx_m);
        set_num(L, "y", p->cy_m);
        lua_rawseti(L, -2, k + 1);
    }
    free(order);
    city_poly_set_free(&set);
    return 1;
}

void city_lua_open_grid(lua_State *L)
{
    static const luaL_Reg fns[] = {{"config", l_config},
                                   {"load_case", l_load_case},
                                   {"bus", l_bus},
                                   {"line", l_line},
                                   {"gen", l_gen},
                                   {"profile", l_profile},
                                   {"load", l_load},
                                   {"pv", l_pv},
                                   {"battery", l_battery},
                                   {"battery_set", l_battery_set},
                                   {"charger", l_charger},
                                   {"lights", l_lights},
                                   {"dim", l_dim},
                                   {"environment", l_environment},
                                   {"temperature", l_temperature},
                                   {"irradiance", l_irradiance},
                                   {"find_charger", l_find_charger},
                                   {"plug_ev", l_plug_ev},
                                   {"unplug_ev", l_unplug_ev},
                                   {"outage", l_outage},
                                   {"restore", l_restore},
                                   {"switch", l_switch},
                                   {"shed", l_shed},
                                   {"solve", l_solve},
                                   {"buses", l_buses},
                                   {"lines", l_lines},
                                   {"batteries", l_batteries},
                                   {"chargers", l_chargers},
                                   {"evs", l_evs},
                                   {"last", l_last},
                                   {"totals", l_totals},
                                   {"feeders", l_feeders},
                                   {"read_buildings", l_read_buildings},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_setfield(L, -2, "grid");
}
