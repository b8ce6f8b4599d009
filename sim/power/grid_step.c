/* One quasi-static period: device powers, a power flow, then energies
 * (battery state of charge, EV batteries, delivered and unserved energy)
 * integrated over the period, with an energy-balance check:
 * generation (sources + PV + discharge) = load + losses + charging
 * (+ export back through a source). */
#include <math.h>
#include <string.h>

#include "grid_internal.h"

static CityGridFeederStep *feeder_of(CityGrid *g, int32_t bus_id)
{
    return &g->feeder_step[g->bus[grid_map_get(&g->bus_ids, bus_id)].feeder];
}

static bool live(const CityGrid *g, int32_t bus_id)
{
    return g->energised[grid_map_get(&g->bus_ids, bus_id)];
}

CityStatus city_grid_advance(CityGrid *g, const CityPfOptions *o, double t, double dt_s, CityGridStep *s)
{
    memset(s, 0, sizeof *s);
    if (!(dt_s >= 0) || !isfinite(t))
        return grid_fail(g, CITY_ERR_INVALID, "advance: time %g and period %g s must be finite and >= 0", t, dt_s);
    s->t_s = t;
    s->dt_s = dt_s;
    s->temperature_c = city_grid_temperature_c(g, t);
    s->irradiance_wm2 = city_grid_irradiance_wm2(g, t);
    CityStatus st = grid_devices_eval(g, t, dt_s);
    if (st != CITY_OK)
        return st;
    if ((st = city_grid_solve(g, o, &s->pf)) != CITY_OK)
        return st;
    double dt_h = dt_s / 3600.0;
    memset(g->feeder_step, 0, sizeof g->feeder_step);
    for (int32_t f = 0; f < g->n_feeders; f++)
        g->feeder_step[f].min_vm_pu = INFINITY;
    for (int32_t i = 0; i < g->n_bus; i++) {
        const CityGridBus *b = &g->bus[i];
        CityGridFeederStep *fs = &g->feeder_step[b->feeder];
        if (g->energised[i]) {
            fs->demand_kw += b->pd_mw * 1000.0;
            fs->min_vm_pu = fmin(fs->min_vm_pu, b->vm_pu);
        } else {
            fs->unserved_kw += b->pd_mw * 1000.0;
        }
    }
    for (int32_t i = 0; i < g->n_load; i++) {
        const CityGridLoad *l = &g->load[i];
        CityGridFeederStep *fs = feeder_of(g, l->bus);
        double full = g->load_full_now[i];
        if (live(g, l->bus)) {
            double v = g->bus[grid_map_get(&g->bus_ids, l->bus)].vm_pu;
            fs->demand_kw += g->load_kw_now[i] * (l->zip_p + l->zip_i * v + l->zip_z * v * v);
            fs->unserved_kw += full - g->load_kw_now[i];
        } else {
            fs->unserved_kw += full;
        }
    }
    for (int32_t i = 0; i < g->n_lights; i++) {
        CityGridFeederStep *fs = feeder_of(g, g->lights[i].bus);
        if (live(g, g->lights[i].bus))
            fs->demand_kw += g->lights[i].p_kw;
        else
            fs->unserved_kw += g->lights[i].p_kw;
    }
    for (int32_t i = 0; i < g->n_pv; i++)
        if (live(g, g->pv[i].bus)) /* PV inverters trip when their bus is de-energised */
            feeder_of(g, g->pv[i].bus)->pv_kw += g->pv_kw_now[i];
    for (int32_t i = 0; i < g->n_ev; i++) {
        CityGridEv *ev = &g->ev[i];
        int32_t c = grid_find_sorted(g->chg, g->n_chg, sizeof *g->chg, ev->charger);
        CityGridCharger *ch = &g->chg[c];
        if (!live(g, ch->bus)) {
            feeder_of(g, ch->bus)->unserved_kw += grid_ev_power(g, ev, dt_h);
            continue;
        }
        double p = grid_ev_power(g, ev, dt_h), e = p * ch->efficiency * dt_h;
        ev->energy_kwh = fmin(ev->capacity_kwh, ev->energy_kwh + e);
        ch->delivered_kwh += e;
        feeder_of(g, ch->bus)->ev_kw += p;
        feeder_of(g, ch->bus)->demand_kw += p;
    }
    for (int32_t i = 0; i < g->n_chg; i++)
        if (!live(g, g->chg[i].bus))
            g->chg[i].p_kw = 0;
    for (int32_t i = 0; i < g->n_bat; i++) {
        CityGridBattery *b = &g->bat[i];
        if (!live(g, b->bus))
            b->p_kw = 0;
        double eta = sqrt(b->efficiency), p = b->p_kw;
        if (p > 0)
            b->soc -= p * dt_h / eta / b->energy_kwh;
        else
            b->soc += -p * dt_h * eta / b->energy_kwh;
        /* the limits were applied when p was chosen; this only trims rounding */
        b->soc = fmin(b->soc_max, fmax(b->soc_min, b->soc));
        b->throughput_kwh += fabs(p) * dt_h;
        feeder_of(g, b->bus)->battery_kw += p;
        s->battery_kw += p;
        if (p < 0)
            s->charge_kw += -p;
    }
    for (int32_t k = 0; k < g->n_br; k++) {
        const CityGridBranch *b = &g->br[k];
        CityGridFeederStep *fs = feeder_of(g, b->to_bus);
        fs->losses_kw += (g->flow[k].pf_mw + g->flow[k].pt_mw) * 1000.0;
        fs->max_loading_pct = fmax(fs->max_loading_pct, g->flow[k].loading_pct);
    }
    for (int32_t f = 0; f < g->n_feeders; f++) {
        CityGridFeederStep *fs = &g->feeder_step[f];
        if (!isfinite(fs->min_vm_pu))
            fs->min_vm_pu = 0;
        s->demand_kw += fs->demand_kw;
        s->pv_kw += fs->pv_kw;
        s->ev_kw += fs->ev_kw;
        s->unserved_kw += fs->unserved_kw;
    }
    const CityPfReport *r = &s->pf;
    s->losses_kw = (r->p_loss_mw + r->shunt_p_mw) * 1000.0;
    /* sources: everything the buses generate minus what devices injected */
    s->gen_kw = r->total_pg_mw * 1000.0 - s->pv_kw - s->battery_kw;
    double discharge = s->battery_kw + s->charge_kw;
    /* power exported through a source counts on the use side */
    double generation = fmax(s->gen_kw, 0.0) + s->pv_kw + discharge;
    double use = s->demand_kw + s->losses_kw + s->charge_kw + fmax(-s->gen_kw, 0.0);
    double scale = fmax(fabs(generation), fabs(use));
    s->balance_rel_err = scale > 0 ? fabs(generation - use) / scale : 0.0;
    return CITY_OK;
}

double city_grid_load_served_kw(const CityGrid *g, int32_t i)
{
    if (i < 0 || i >= g->n_load || !g->load_kw_now || !g->energised || !live(g, g->load[i].bus))
        return 0.0;
    const CityGridLoad *l = &g->load[i];
    double v = g->bus[grid_map_get(&g->bus_ids, l->bus)].vm_pu;
    return g->load_kw_now[i] * (l->zip_p + l->zip_i * v + l->zip_z * v * v);
}
