/* city.grid: the power grid (MATPOWER cases or buses and lines built from
 * Lua), buildings from SUMO polygon files, loads, rooftop PV, batteries,
 * EV chargers, streetlights, weather curves, outages, switching and load
 * shedding, and the results. The grid is created on first use and runs as
 * the world's "power" subsystem every solve period. This file holds what
 * the city.grid files share, the configuration and the file inputs (cases
 * and buildings); the bindings themselves are grouped by topic:
 *   lua_grid_net.c      buses, lines, generators
 *   lua_grid_devices.c  load profiles, loads, PV, batteries, chargers, lights
 *   lua_grid_events.c   weather curves, EVs plugging in, outages, switching, shedding
 *   lua_grid_results.c  solves and result tables */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_lua.h"
#include "lua_modules.h"
#include "lua_fields.h"
#include "lua_files.h"
#include "lua_grid_internal.h"
#include "lua_result.h"
#include "city_matpower.h"
#include "city_sumo_poly.h"

/* ---- shared by the city.grid files ----------------------------------------------- */

CityGrid *lua_grid_of(lua_State *L)
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

int lua_grid_raise(lua_State *L, CityGrid *g, const char *what)
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

CityPfMethod lua_grid_method(lua_State *L, const char *m)
{
    if (!strcmp(m, "nr"))
        return CITY_PF_NR;
    if (!strcmp(m, "sweep"))
        return CITY_PF_SWEEP;
    luaL_error(L, "method '%s': use \"nr\" (Newton-Raphson) or \"sweep\" (radial feeders)", m);
    return CITY_PF_NR;
}

/* ---- configuration and cases ---------------------------------------------------- */

/* city.grid.config{ period_s=, method=, tol=, max_iter=, flat_start=, enforce_q_lims=, vmin=, vmax=, base_mva= } */
static int l_config(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityWorld *w = city_lua_world(L);
    CityGrid *g = lua_grid_of(L);
    CityGridSimConfig c = *city_grid_sim_config(w);
    c.period_s = city_lua_field_number(L, 1, "period_s", c.period_s);
    c.pf.method =
        lua_grid_method(L, city_lua_field_string(L, 1, "method", c.pf.method == CITY_PF_SWEEP ? "sweep" : "nr"));
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
        lua_grid_forget_profiles(L);
    }
    if (city_grid_sim_configure(w, &c) != CITY_OK)
        return city_lua_raise(L, w, CITY_ERR_INVALID);
    return 0;
}

/* city.grid.load_case(path) -> {buses=, branches=, gens=, base_mva=} */
static int l_load_case(lua_State *L)
{
    char path[4096];
    CityError err;
    city_lua_data_path(L, 1, path, sizeof path);
    CityWorld *w = city_lua_world(L);
    CityGrid *g = lua_grid_of(L);
    if (!grid_empty(g))
        luaL_error(L, "city.grid.load_case: the grid already has buses or devices; load the case first");
    CityMpCase mp;
    if (city_matpower_read(path, &mp, &err) != CITY_OK)
        luaL_error(L, "%s", err.msg);
    CityGrid *ng = NULL;
    CityStatus st = city_matpower_to_grid(&mp, path, &ng, &err);
    city_matpower_free(&mp);
    if (st != CITY_OK)
        luaL_error(L, "%s", err.msg);
    if (city_grid_sim_replace(w, ng) != CITY_OK)
        return city_lua_raise(L, w, CITY_ERR_INVALID);
    lua_grid_forget_profiles(L);
    int32_t nb, nbr, ng_;
    city_grid_buses(ng, &nb);
    city_grid_branches(ng, &nbr);
    city_grid_gens(ng, &ng_);
    lua_createtable(L, 0, 4);
    city_lua_set_int(L, "buses", nb);
    city_lua_set_int(L, "branches", nbr);
    city_lua_set_int(L, "gens", ng_);
    city_lua_set_number(L, "base_mva", city_grid_base_mva(ng));
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

/* The polygon set and sort order of one read_buildings call, in a userdata
 * whose __gc frees them: building the result table can raise (out of
 * memory) midway, and the collector then frees what C allocated. */
typedef struct BuildingsTmp {
    CityPolySet set;
    int32_t *order;
} BuildingsTmp;

#define BUILDINGS_TMP_MT "city.grid.buildings_tmp"

static void buildings_tmp_free(BuildingsTmp *tmp)
{
    free(tmp->order);
    tmp->order = NULL;
    city_poly_set_free(&tmp->set);
}

static int buildings_tmp_gc(lua_State *L)
{
    buildings_tmp_free(luaL_checkudata(L, 1, BUILDINGS_TMP_MT));
    return 0;
}

/* city.grid.read_buildings{ poly=, net=, types="building" } -> { {id=, type=, area_m2=, x=, y=}, ... }
 * sorted by id (bytewise) */
static int l_read_buildings(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    BuildingsTmp *tmp = lua_newuserdatauv(L, sizeof *tmp, 0);
    memset(tmp, 0, sizeof *tmp);
    if (luaL_newmetatable(L, BUILDINGS_TMP_MT)) {
        lua_pushcfunction(L, buildings_tmp_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    city_lua_read_polygons(L, 1, "city.grid.read_buildings", &tmp->set);
    const CityPolySet *set = &tmp->set;
    tmp->order = malloc(((size_t)set->n + 1) * sizeof *tmp->order);
    if (!tmp->order)
        luaL_error(L, "not enough memory");
    for (int32_t i = 0; i < set->n; i++)
        tmp->order[i] = i;
    sort_set = set;
    qsort(tmp->order, (size_t)set->n, sizeof *tmp->order, cmp_poly);
    sort_set = NULL;
    lua_createtable(L, set->n, 0);
    for (int32_t k = 0; k < set->n; k++) {
        const CityPolygon *p = &set->poly[tmp->order[k]];
        lua_createtable(L, 0, 5);
        city_lua_set_string(L, "id", p->id);
        city_lua_set_string(L, "type", p->type);
        city_lua_set_number(L, "area_m2", p->area_m2);
        city_lua_set_number(L, "x", p->cx_m);
        city_lua_set_number(L, "y", p->cy_m);
        lua_rawseti(L, -2, k + 1);
    }
    buildings_tmp_free(tmp); /* now rather than at the next collection */
    return 1;
}

int city_lua_open_grid(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"config", l_config}, {"load_case", l_load_case}, {"read_buildings", l_read_buildings}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_grid_open_net(L);
    lua_grid_open_devices(L);
    lua_grid_open_events(L);
    lua_grid_open_results(L);
    return 1;
}
