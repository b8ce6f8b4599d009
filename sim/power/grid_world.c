/* The grid as the world's "power" subsystem: runs every tick, solves once
 * per period, keeps running totals, KPIs and per-feeder tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_grid_sim.h"
#include "grid_internal.h"

#define GRID_SUBSYSTEM "power"

typedef struct GridSim {
    CityGrid *grid; /* owned */
    CityGridSimConfig cfg;
    CityGridTotals tot;
    CityGridStep last;
    bool has_last;
    int64_t next_tick; /* next tick a period starts */
} GridSim;

void city_grid_sim_config_default(CityGridSimConfig *c)
{
    c->period_s = 900;
    city_pf_options_default(&c->pf);
    c->vmin_pu = 0.95;
    c->vmax_pu = 1.05;
}

static GridSim *sim_of(const CityWorld *w)
{
    return city_world_subsystem(w, GRID_SUBSYSTEM);
}

CityGrid *city_grid_of(const CityWorld *w)
{
    GridSim *s = sim_of(w);
    return s ? s->grid : NULL;
}

CityStatus city_grid_sim_set_branch(CityWorld *w, int32_t branch_id, bool closed)
{
    CityGrid *g = city_grid_of(w);
    if (!g)
        return city_world_fail(w, CITY_ERR_INVALID, "the city has no power grid; build one with city.grid first");
    CityStatus st = city_grid_branch_set_closed(g, branch_id, closed);
    if (st != CITY_OK)
        return city_world_fail(w, st, "%s", city_grid_error(g));
    city_world_log(w, "power", "branch %d %s", (int)branch_id, closed ? "closed" : "opened");
    return CITY_OK;
}

static int64_t period_ticks(CityWorld *w, const GridSim *s)
{
    int64_t p = city_world_ticks_for(w, s->cfg.period_s);
    return p < 1 ? 1 : p;
}

static void set_kpis(CityWorld *w, const CityGridTotals *t)
{
    city_world_kpi_set(w, "grid_losses_kwh", t->losses_kwh);
    city_world_kpi_set(w, "min_voltage_pu", t->min_voltage_pu);
    city_world_kpi_set(w, "max_line_loading_pct", t->max_line_loading_pct);
    city_world_kpi_set(w, "peak_demand_kw", t->peak_demand_kw);
    city_world_kpi_set(w, "voltage_violation_min", t->voltage_violation_min);
    city_world_kpi_set(w, "voltage_violation_bus_min", t->voltage_violation_bus_min);
    city_world_kpi_set(w, "storage_throughput_kwh", t->storage_throughput_kwh);
    city_world_kpi_set(w, "ev_energy_kwh", t->ev_kwh);
    city_world_kpi_set(w, "unserved_energy_kwh", t->unserved_kwh);
    city_world_kpi_set(w, "pv_energy_kwh", t->pv_kwh);
    city_world_kpi_set(w, "demand_energy_kwh", t->demand_kwh);
    city_world_kpi_set(w, "energy_balance_max_rel_err", t->balance_max_rel_err);
    city_world_kpi_set(w, "grid_solves", (double)t->solves);
}

static CityStatus grid_step(CityWorld *w, void *self, int64_t tick)
{
    GridSim *s = self;
    if (tick < s->next_tick)
        return CITY_OK;
    int64_t pt = period_ticks(w, s);
    s->next_tick = tick + pt;
    int32_t n_bus;
    city_grid_buses(s->grid, &n_bus);
    if (n_bus == 0)
        return CITY_OK; /* nothing built yet (a scenario only set the weather, say) */
    double dt_s = (double)pt * city_world_dt_ms(w) / 1000.0, t = city_world_time_s(w);
    CityGridStep st;
    int32_t dead_before = s->tot.dead_buses;
    CityStatus rc = city_grid_advance(s->grid, &s->cfg.pf, t, dt_s, &st);
    if (rc != CITY_OK)
        return city_world_fail(w, rc, "power grid at t = %.0f s: %s", t, city_grid_error(s->grid));
    s->last = st;
    s->has_last = true;
    CityGridTotals *tot = &s->tot;
    double dt_h = dt_s / 3600.0;
    tot->solves++;
    if (st.pf.iterations > tot->max_iterations)
        tot->max_iterations = st.pf.iterations;
    tot->losses_kwh += st.losses_kw * dt_h;
    tot->demand_kwh += st.demand_kw * dt_h;
    tot->pv_kwh += st.pv_kw * dt_h;
    tot->unserved_kwh += st.unserved_kw * dt_h;
    tot->peak_demand_kw = fmax(tot->peak_demand_kw, st.demand_kw);
    if (st.pf.n_energised > 0)
        tot->min_voltage_pu = tot->solves == 1 ? st.pf.min_vm_pu : fmin(tot->min_voltage_pu, st.pf.min_vm_pu);
    tot->max_line_loading_pct = fmax(tot->max_line_loading_pct, st.pf.max_loading_pct);
    tot->balance_max_rel_err = fmax(tot->balance_max_rel_err, st.balance_rel_err);
    int32_t n_bat, n_chg, out = 0;
    const CityGridBus *bus = city_grid_buses(s->grid, &n_bus);
    for (int32_t i = 0; i < n_bus; i++)
        if (city_grid_bus_energised(s->grid, i) && (bus[i].vm_pu < s->cfg.vmin_pu || bus[i].vm_pu > s->cfg.vmax_pu))
            out++;
    if (out > 0)
        tot->voltage_violation_min += dt_s / 60.0;
    tot->voltage_violation_bus_min += out * dt_s / 60.0;
    const CityGridBattery *bat = city_grid_batteries(s->grid, &n_bat);
    tot->storage_throughput_kwh = 0;
    for (int32_t i = 0; i < n_bat; i++)
        tot->storage_throughput_kwh += bat[i].throughput_kwh;
    const CityGridCharger *chg = city_grid_chargers(s->grid, &n_chg);
    tot->ev_kwh = 0;
    for (int32_t i = 0; i < n_chg; i++)
        tot->ev_kwh += chg[i].delivered_kwh;
    tot->dead_buses = st.pf.n_dead;
    if (st.pf.n_dead != dead_before) {
        if (st.pf.n_dead)
            city_world_log(w, "power", "%d bus(es) de-energised (no path to a source; first bus %d), %.1f kW unserved",
                           (int)st.pf.n_dead, (int)st.pf.first_dead_bus, st.unserved_kw);
        else
            city_world_log(w, "power", "every bus energised again");
    }
    set_kpis(w, tot);
    CityTable *tb = city_world_table(w, "grid",
                                     "time_s,temperature_c,irradiance_wm2,demand_kw,pv_kw,battery_kw,ev_kw,"
                                     "source_kw,losses_kw,unserved_kw,min_vm_pu,max_loading_pct,iterations,"
                                     "balance_rel_err");
    if (!tb || city_table_row(tb, "%.3f,%.4f,%.4f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.8f,%.4f,%d,%.3e", t,
                              st.temperature_c, st.irradiance_wm2, st.demand_kw, st.pv_kw, st.battery_kw, st.ev_kw,
                              st.gen_kw, st.losses_kw, st.unserved_kw, st.pf.min_vm_pu, st.pf.max_loading_pct,
                              (int)st.pf.iterations, st.balance_rel_err) != CITY_OK)
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory writing the grid table");
    int32_t nf;
    const CityGridFeederStep *fs = city_grid_feeder_steps(s->grid, &nf);
    for (int32_t f = 0; f < nf; f++) {
        char name[96];
        snprintf(name, sizeof name, "grid_feeder_%s", city_grid_feeder_name(s->grid, f));
        CityTable *ft = city_world_table(w, name,
                                         "time_s,demand_kw,pv_kw,battery_kw,ev_kw,losses_kw,unserved_kw,"
                                         "min_vm_pu,max_loading_pct");
        if (!ft || city_table_row(ft, "%.3f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.8f,%.4f", t, fs[f].demand_kw, fs[f].pv_kw,
                                  fs[f].battery_kw, fs[f].ev_kw, fs[f].losses_kw, fs[f].unserved_kw, fs[f].min_vm_pu,
                                  fs[f].max_loading_pct) != CITY_OK)
            return city_world_fail(w, CITY_ERR_NOMEM, "out of memory writing the feeder table");
    }
    return CITY_OK;
}

static void grid_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const GridSim *s = self;
    city_grid_hash(s->grid, h);
    city_hash_i64(h, s->next_tick);
    city_hash_i64(h, s->tot.solves);
    double v[] = {s->tot.losses_kwh,     s->tot.demand_kwh,           s->tot.pv_kwh, s->tot.unserved_kwh, s->tot.ev_kwh,
                  s->tot.min_voltage_pu, s->tot.voltage_violation_min};
    city_hash_f64_array(h, v, sizeof v / sizeof v[0]);
}

static void grid_destroy(void *self)
{
    GridSim *s = self;
    city_grid_destroy(s->grid);
    free(s);
}

static CityStatus grid_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const GridSim *s = self;
    city_state_put_array(out, &s->cfg, 1, sizeof s->cfg);
    city_state_put_array(out, &s->tot, 1, sizeof s->tot);
    city_state_put_array(out, &s->last, 1, sizeof s->last);
    city_state_put_u8(out, s->has_last);
    city_state_put_i64(out, s->next_tick);
    return grid_state_save(s->grid, out);
}

static CityStatus grid_load(CityWorld *w, void *self, CityStateReader *in)
{
    (void)w;
    GridSim *s = self;
    city_state_get_array(in, &s->cfg, 1, sizeof s->cfg, "grid configuration");
    city_state_get_array(in, &s->tot, 1, sizeof s->tot, "grid totals");
    city_state_get_array(in, &s->last, 1, sizeof s->last, "grid step");
    s->has_last = city_state_get_u8(in);
    s->next_tick = city_state_get_i64(in);
    const CityGridSimConfig *c = &s->cfg; /* the ranges city.grid.config accepts */
    if (!in->bad && (!(c->period_s > 0 && c->period_s <= 86400) || !(c->pf.tol_pu > 0 && c->pf.tol_pu <= 1) ||
                     c->pf.max_iter < 0 || c->pf.max_iter > 100000 || c->pf.enforce_q_lims < 0 ||
                     c->pf.enforce_q_lims > 2 || (c->pf.method != CITY_PF_NR && c->pf.method != CITY_PF_SWEEP) ||
                     !(c->vmin_pu < c->vmax_pu) || s->next_tick < 0))
        city_state_fail(in, "grid: damaged configuration in the checkpoint (period, tolerance, method or band)");
    return in->bad ? CITY_ERR_PARSE : grid_state_load(s->grid, in);
}

static CityStatus grid_finish(CityWorld *w, void *self)
{
    GridSim *s = self;
    set_kpis(w, &s->tot);
    return CITY_OK;
}

CityStatus city_grid_sim_attach(CityWorld *w, CityGrid *grid, const CityGridSimConfig *cfg)
{
    if (sim_of(w)) {
        city_grid_destroy(grid);
        return city_world_fail(w, CITY_ERR_INVALID, "the world already has a power grid");
    }
    GridSim *s = calloc(1, sizeof *s);
    if (!s) {
        city_grid_destroy(grid);
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory for the power grid");
    }
    s->grid = grid;
    if (cfg)
        s->cfg = *cfg;
    else
        city_grid_sim_config_default(&s->cfg);
    s->next_tick = city_world_tick(w);
    CitySubsystemDef def = {GRID_SUBSYSTEM, CITY_PHASE_PHYSICS, 1,           0,         grid_step,
                            grid_hash,      grid_destroy,       grid_finish, grid_save, grid_load};
    CityStatus st = city_world_add_subsystem(w, &def, s);
    if (st != CITY_OK)
        grid_destroy(s);
    return st;
}

CityStatus city_grid_sim_replace(CityWorld *w, CityGrid *grid)
{
    GridSim *s = sim_of(w);
    if (!s || s->has_last) {
        city_grid_destroy(grid);
        return city_world_fail(w, CITY_ERR_INVALID, "the power grid can only be replaced before it first runs");
    }
    city_grid_destroy(s->grid);
    s->grid = grid;
    return CITY_OK;
}

CityStatus city_grid_sim_configure(CityWorld *w, const CityGridSimConfig *cfg)
{
    GridSim *s = sim_of(w);
    if (!s)
        return city_world_fail(w, CITY_ERR_INVALID, "no power grid to configure");
    if (!(cfg->period_s > 0) || !(cfg->vmin_pu < cfg->vmax_pu))
        return city_world_fail(w, CITY_ERR_INVALID, "grid period must be > 0 and vmin < vmax");
    s->cfg = *cfg;
    return CITY_OK;
}

const CityGridSimConfig *city_grid_sim_config(const CityWorld *w)
{
    GridSim *s = sim_of(w);
    return s ? &s->cfg : NULL;
}

const CityGridTotals *city_grid_sim_totals(const CityWorld *w)
{
    GridSim *s = sim_of(w);
    return s ? &s->tot : NULL;
}

const CityGridStep *city_grid_sim_last(const CityWorld *w)
{
    GridSim *s = sim_of(w);
    return s && s->has_last ? &s->last : NULL;
}
