/* city.grid network building: buses (with their generator for slack and PV
 * buses), lines, transformers and switches, extra generators. */
#include <string.h>

#include <lauxlib.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_lua.h"
#include "lua_fields.h"
#include "lua_grid_internal.h"
#include "lua_result.h"

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
    CityGrid *g = lua_grid_of(L);
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
        return lua_grid_raise(L, g, "city.grid.bus");
    if (b.type == CITY_BUS_SLACK || b.type == CITY_BUS_PV) {
        CityGridGen gen = {b.id, city_lua_field_number(L, 1, "p_kw", 0) / 1000.0, 0, 0, 0, b.vm_pu, true};
        if (city_grid_add_gen(g, &gen) != CITY_OK)
            return lua_grid_raise(L, g, "city.grid.bus");
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
    CityGrid *g = lua_grid_of(L);
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
        return lua_grid_raise(L, g, "city.grid.line");
    return 0;
}

/* city.grid.gen{ bus=, p_kw=0, q_kvar=0, vm_pu=1 } */
static int l_gen(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *g = lua_grid_of(L);
    CityGridGen gen = {0};
    gen.bus = city_lua_field_int(L, 1, "bus", true, 0);
    gen.pg_mw = city_lua_field_number(L, 1, "p_kw", 0) / 1000.0;
    gen.qg_mvar = city_lua_field_number(L, 1, "q_kvar", 0) / 1000.0;
    gen.vg_pu = city_lua_field_number(L, 1, "vm_pu", 1.0);
    gen.on = city_lua_field_bool(L, 1, "on", true);
    if (city_grid_add_gen(g, &gen) != CITY_OK)
        return lua_grid_raise(L, g, "city.grid.gen");
    return 0;
}

void lua_grid_open_net(lua_State *L)
{
    static const luaL_Reg fns[] = {{"bus", l_bus}, {"line", l_line}, {"gen", l_gen}, {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
