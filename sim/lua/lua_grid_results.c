/* city.grid results: a power-flow solve on demand, and the buses, lines,
 * devices, feeders and totals of the last period, as arrays sorted by id. */
#include <stdlib.h>

#include <lauxlib.h>

#include "city_couple.h"
#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_lua.h"
#include "lua_fields.h"
#include "lua_grid_internal.h"
#include "lua_result.h"

static void push_report(lua_State *L, const CityPfReport *r)
{
    lua_createtable(L, 0, 16);
    city_lua_set_bool(L, "converged", r->converged);
    city_lua_set_int(L, "iterations", r->iterations);
    city_lua_set_number(L, "max_mismatch_pu", r->max_mismatch_pu);
    city_lua_set_number(L, "load_kw", r->total_pd_mw * 1000.0);
    city_lua_set_number(L, "gen_kw", r->total_pg_mw * 1000.0);
    city_lua_set_number(L, "losses_kw", r->p_loss_mw * 1000.0);
    city_lua_set_number(L, "min_vm_pu", r->min_vm_pu);
    city_lua_set_int(L, "min_vm_bus", r->min_vm_bus);
    city_lua_set_number(L, "max_vm_pu", r->max_vm_pu);
    city_lua_set_number(L, "max_loading_pct", r->max_loading_pct);
    city_lua_set_int(L, "max_loading_branch", r->max_loading_branch);
    city_lua_set_int(L, "dead_buses", r->n_dead);
    city_lua_set_int(L, "first_dead_bus", r->first_dead_bus);
    city_lua_set_int(L, "islands", r->n_islands);
    city_lua_set_int(L, "q_limited", r->n_q_limited);
}

/* city.grid.solve([{method=, tol=, max_iter=, flat_start=}]) -> report, or nil, message */
static int l_solve(lua_State *L)
{
    CityWorld *w = city_lua_world(L);
    CityGrid *g = lua_grid_of(L);
    CityPfOptions o = city_grid_sim_config(w)->pf;
    if (lua_istable(L, 1)) {
        o.method =
            lua_grid_method(L, city_lua_field_string(L, 1, "method", o.method == CITY_PF_SWEEP ? "sweep" : "nr"));
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
        return lua_grid_raise(L, g, "city.grid.solve");
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
    CityGrid *g = lua_grid_of(L);
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
        city_lua_set_int(L, "id", b->id);
        city_lua_set_number(L, "vm_pu", b->vm_pu);
        city_lua_set_number(L, "va_deg", b->va_deg);
        city_lua_set_bool(L, "energised", city_grid_bus_energised(g, (int32_t)(b - bus)));
        city_lua_set_string(L, "feeder", city_grid_feeder_name(g, b->feeder));
        city_lua_set_number(L, "kv", b->base_kv);
        city_lua_set_number(L, "x", b->x_m);
        city_lua_set_number(L, "y", b->y_m);
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
    CityGrid *g = lua_grid_of(L);
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
        city_lua_set_int(L, "id", b->id);
        city_lua_set_int(L, "from", b->from_bus);
        city_lua_set_int(L, "to", b->to_bus);
        city_lua_set_bool(L, "closed", b->closed);
        city_lua_set_number(L, "p_from_kw", f.pf_mw * 1000.0);
        city_lua_set_number(L, "q_from_kvar", f.qf_mvar * 1000.0);
        city_lua_set_number(L, "p_to_kw", f.pt_mw * 1000.0);
        city_lua_set_number(L, "q_to_kvar", f.qt_mvar * 1000.0);
        city_lua_set_number(L, "loss_kw", (f.pf_mw + f.pt_mw) * 1000.0);
        city_lua_set_number(L, "loading_pct", f.loading_pct);
        lua_rawseti(L, -2, k + 1);
    }
    return 1;
}

/* city.grid.batteries() -> { {id=, bus=, soc=, p_kw=, energy_kwh=, power_kw=, soc_min=, soc_max=,
 * throughput_kwh=}, ... } */
static int l_batteries(lua_State *L)
{
    int32_t n;
    const CityGridBattery *b = city_grid_batteries(lua_grid_of(L), &n);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 9);
        city_lua_set_int(L, "id", b[i].id);
        city_lua_set_int(L, "bus", b[i].bus);
        city_lua_set_number(L, "soc", b[i].soc);
        city_lua_set_number(L, "p_kw", b[i].p_kw);
        city_lua_set_number(L, "energy_kwh", b[i].energy_kwh);
        city_lua_set_number(L, "power_kw", b[i].power_kw);
        city_lua_set_number(L, "soc_min", b[i].soc_min);
        city_lua_set_number(L, "soc_max", b[i].soc_max);
        city_lua_set_number(L, "throughput_kwh", b[i].throughput_kwh);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.grid.chargers() -> { {id=, bus=, x=, y=, power_kw=, ports=, p_kw=, delivered_kwh=}, ... } */
static int l_chargers(lua_State *L)
{
    int32_t n;
    const CityGridCharger *c = city_grid_chargers(lua_grid_of(L), &n);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 8);
        city_lua_set_int(L, "id", c[i].id);
        city_lua_set_int(L, "bus", c[i].bus);
        city_lua_set_number(L, "x", c[i].x_m);
        city_lua_set_number(L, "y", c[i].y_m);
        city_lua_set_number(L, "power_kw", c[i].power_kw);
        city_lua_set_int(L, "ports", c[i].ports);
        city_lua_set_number(L, "p_kw", c[i].p_kw);
        city_lua_set_number(L, "delivered_kwh", c[i].delivered_kwh);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.grid.evs() -> { {key=, charger=, energy_kwh=, capacity_kwh=, arrived_kwh=}, ... } sorted by key */
static int l_evs(lua_State *L)
{
    int32_t n;
    const CityGridEv *e = city_grid_evs(lua_grid_of(L), &n);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 5);
        city_lua_set_int(L, "key", (lua_Integer)e[i].key);
        city_lua_set_int(L, "charger", e[i].charger);
        city_lua_set_number(L, "energy_kwh", e[i].energy_kwh);
        city_lua_set_number(L, "capacity_kwh", e[i].capacity_kwh);
        city_lua_set_number(L, "arrived_kwh", e[i].arrived_kwh);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.grid.ev_charging() -> the EV-charging coupling's totals (zeros without a road) */
static int l_ev_charging(lua_State *L)
{
    lua_grid_of(L);
    CityEvCharging t;
    city_couple_ev_charging(city_lua_world(L), &t);
    lua_createtable(L, 0, 9);
    city_lua_set_int(L, "sessions", (lua_Integer)t.sessions);
    city_lua_set_int(L, "finished", (lua_Integer)t.finished);
    city_lua_set_int(L, "no_charger", (lua_Integer)t.no_charger);
    city_lua_set_int(L, "lost", (lua_Integer)t.lost);
    city_lua_set_int(L, "plugged", t.plugged);
    city_lua_set_number(L, "plugged_in_kwh", t.plugged_in_kwh);
    city_lua_set_number(L, "set_off_kwh", t.set_off_kwh);
    city_lua_set_number(L, "charged_kwh", t.charged_kwh);
    city_lua_set_number(L, "peak_kw", t.peak_kw);
    return 1;
}

/* city.grid.last() -> the last period's figures, or nil before the first */
static int l_last(lua_State *L)
{
    lua_grid_of(L);
    const CityGridStep *s = city_grid_sim_last(city_lua_world(L));
    if (!s) {
        lua_pushnil(L);
        return 1;
    }
    push_report(L, &s->pf);
    city_lua_set_number(L, "time_s", s->t_s);
    city_lua_set_number(L, "demand_kw", s->demand_kw);
    city_lua_set_number(L, "pv_kw", s->pv_kw);
    city_lua_set_number(L, "battery_kw", s->battery_kw);
    city_lua_set_number(L, "ev_kw", s->ev_kw);
    city_lua_set_number(L, "source_kw", s->gen_kw);
    city_lua_set_number(L, "losses_kw", s->losses_kw);
    city_lua_set_number(L, "unserved_kw", s->unserved_kw);
    city_lua_set_number(L, "balance_rel_err", s->balance_rel_err);
    city_lua_set_number(L, "temperature_c", s->temperature_c);
    city_lua_set_number(L, "irradiance_wm2", s->irradiance_wm2);
    return 1;
}

/* city.grid.feeders() -> { {name=, demand_kw=, pv_kw=, battery_kw=, ev_kw=, losses_kw=, unserved_kw=,
 * min_vm_pu=, max_loading_pct=}, ... } of the last period, in feeder order ("main" first) */
static int l_feeders(lua_State *L)
{
    CityGrid *g = lua_grid_of(L);
    int32_t n;
    const CityGridFeederStep *f = city_grid_feeder_steps(g, &n);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 9);
        city_lua_set_string(L, "name", city_grid_feeder_name(g, i));
        city_lua_set_number(L, "demand_kw", f[i].demand_kw);
        city_lua_set_number(L, "pv_kw", f[i].pv_kw);
        city_lua_set_number(L, "battery_kw", f[i].battery_kw);
        city_lua_set_number(L, "ev_kw", f[i].ev_kw);
        city_lua_set_number(L, "losses_kw", f[i].losses_kw);
        city_lua_set_number(L, "unserved_kw", f[i].unserved_kw);
        city_lua_set_number(L, "min_vm_pu", f[i].min_vm_pu);
        city_lua_set_number(L, "max_loading_pct", f[i].max_loading_pct);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.grid.totals() -> running totals since the start */
static int l_totals(lua_State *L)
{
    lua_grid_of(L);
    const CityGridTotals *t = city_grid_sim_totals(city_lua_world(L));
    lua_createtable(L, 0, 14);
    city_lua_set_int(L, "solves", t->solves);
    city_lua_set_int(L, "max_iterations", t->max_iterations);
    city_lua_set_number(L, "losses_kwh", t->losses_kwh);
    city_lua_set_number(L, "demand_kwh", t->demand_kwh);
    city_lua_set_number(L, "pv_kwh", t->pv_kwh);
    city_lua_set_number(L, "unserved_kwh", t->unserved_kwh);
    city_lua_set_number(L, "ev_kwh", t->ev_kwh);
    city_lua_set_number(L, "storage_throughput_kwh", t->storage_throughput_kwh);
    city_lua_set_number(L, "peak_demand_kw", t->peak_demand_kw);
    city_lua_set_number(L, "min_voltage_pu", t->min_voltage_pu);
    city_lua_set_number(L, "max_line_loading_pct", t->max_line_loading_pct);
    city_lua_set_number(L, "voltage_violation_min", t->voltage_violation_min);
    city_lua_set_number(L, "balance_max_rel_err", t->balance_max_rel_err);
    city_lua_set_int(L, "dead_buses", t->dead_buses);
    return 1;
}

void lua_grid_open_results(lua_State *L)
{
    static const luaL_Reg fns[] = {{"solve", l_solve},
                                   {"buses", l_buses},
                                   {"lines", l_lines},
                                   {"batteries", l_batteries},
                                   {"chargers", l_chargers},
                                   {"evs", l_evs},
                                   {"last", l_last},
                                   {"totals", l_totals},
                                   {"feeders", l_feeders},
                                   {"ev_charging", l_ev_charging},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
