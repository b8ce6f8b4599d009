/* One power flow: classify buses (islands, references, PV/PQ), set the
 * specified injections, run the chosen method, then derive generation,
 * branch flows, losses and the report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid_internal.h"

void city_pf_options_default(CityPfOptions *o)
{
    o->method = CITY_PF_NR;
    o->tol_pu = 1e-8;
    o->max_iter = 0; /* method default */
    o->flat_start = false;
    o->full_newton = false;
    o->enforce_q_lims = 0;
}

/* Finds connected parts over active branches; each part with a reference
 * (or, failing that, a PV bus with a generator, promoted as MATPOWER does)
 * is energised, the rest is dead. Numbers the unknowns. */
/* The bus type the solver sees: a PV or reference bus turned PQ by the
 * Q-limit loop counts as PQ. */
static CityBusType solver_type(const CityGrid *g, int32_t i)
{
    return g->qlim_pq[i] ? CITY_BUS_PQ : g->bus[i].type;
}

static CityStatus classify(CityGrid *g, CityPfReport *r)
{
    GridPf *pf = &g->pf;
    int32_t n = g->n_bus;
    int32_t *list = malloc((size_t)n * sizeof *list), *stack = malloc((size_t)n * sizeof *stack);
    uint8_t *has_gen = calloc((size_t)n, 1), *seen = calloc((size_t)n, 1);
    if (!list || !stack || !has_gen || !seen) {
        free(list);
        free(stack);
        free(has_gen);
        free(seen);
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory classifying buses");
    }
    for (int32_t i = 0; i < g->n_gen; i++)
        if (g->gen[i].on)
            has_gen[grid_map_get(&g->bus_ids, g->gen[i].bus)] = 1;
    r->n_islands = 0;
    for (int32_t s = 0; s < n; s++) {
        if (seen[s])
            continue;
        /* depth-first over Ybus columns: the active topology */
        int32_t top = 0, cnt = 0, ref = -1, pv = -1;
        stack[top++] = s;
        seen[s] = 1;
        while (top) {
            int32_t k = stack[--top];
            list[cnt++] = k;
            CityBusType type = solver_type(g, k);
            if (type == CITY_BUS_SLACK && (ref < 0 || k < ref))
                ref = k;
            if (type == CITY_BUS_PV && has_gen[k] && (pv < 0 || k < pv))
                pv = k;
            for (int32_t p = pf->yp[k]; p < pf->yp[k + 1]; p++) {
                int32_t i = pf->yi[p];
                if (!seen[i]) {
                    seen[i] = 1;
                    stack[top++] = i;
                }
            }
        }
        if (ref < 0 && pv >= 0)
            ref = pv; /* MATPOWER's rule: the first PV bus becomes the reference */
        if (ref >= 0)
            r->n_islands++;
        for (int32_t m = 0; m < cnt; m++) {
            int32_t i = list[m];
            CityBusType type = solver_type(g, i);
            int8_t c;
            if (ref < 0 || type == CITY_BUS_ISOLATED)
                c = GRID_DEAD;
            else if (i == ref || type == CITY_BUS_SLACK)
                c = GRID_REF;
            else if (type == CITY_BUS_PV && has_gen[i])
                c = GRID_PV;
            else
                c = GRID_PQ; /* PV buses without a generator in service become PQ, as in MATPOWER */
            pf->cls[i] = c;
        }
    }
    pf->nj = 0;
    r->n_dead = 0;
    r->first_dead_bus = 0;
    for (int32_t i = 0; i < n; i++) {
        int8_t c = pf->cls[i];
        pf->col_va[i] = pf->col_vm[i] = -1;
        if (c == GRID_PQ || c == GRID_PV)
            pf->col_va[i] = pf->nj++;
        if (c == GRID_PQ)
            pf->col_vm[i] = pf->nj++;
        if (c == GRID_DEAD) {
            r->n_dead++;
            if (!r->first_dead_bus || g->bus[i].id < r->first_dead_bus)
                r->first_dead_bus = g->bus[i].id;
        }
    }
    r->n_energised = n - r->n_dead;
    free(list);
    free(stack);
    free(has_gen);
    free(seen);
    return CITY_OK;
}

/* Specified injections and start voltages (warm: the last pass's). A
 * bus turned PQ by the Q-limit loop injects its generators' running
 * outputs (the limit for those at one). */
static void set_injections(CityGrid *g, const CityPfOptions *o, bool warm)
{
    GridPf *pf = &g->pf;
    double base = g->base_mva;
    for (int32_t i = 0; i < g->n_bus; i++) {
        const CityGridBus *b = &g->bus[i];
        pf->sg[i] = 0;
        pf->sd_p[i] = (b->pd_mw + I * b->qd_mvar) / base;
        pf->sd_i[i] = pf->sd_z[i] = 0;
    }
    double *vset = malloc((size_t)g->n_bus * sizeof *vset);
    for (int32_t i = 0; i < g->n_bus && vset; i++)
        vset[i] = -1;
    for (int32_t k = 0; k < g->n_gen; k++) {
        const CityGridGen *gen = &g->gen[k];
        if (!gen->on)
            continue;
        int32_t i = grid_map_get(&g->bus_ids, gen->bus);
        if (g->qlim_pq[i])
            pf->sg[i] += (g->gen_out[k].pg_mw + I * g->gen_out[k].qg_mvar) / base;
        else
            pf->sg[i] += (gen->pg_mw + I * gen->qg_mvar) / base;
        if (vset && vset[i] < 0 && gen->vg_pu > 0)
            vset[i] = gen->vg_pu;
    }
    grid_devices_inject(g);
    for (int32_t i = 0; i < g->n_bus; i++) {
        const CityGridBus *b = &g->bus[i];
        int8_t c = pf->cls[i];
        double vm = warm ? pf->vm[i] : b->vm_pu, va = warm ? pf->va[i] : b->va_deg * (M_PI / 180.0);
        if (c == GRID_DEAD) {
            pf->v[i] = 0;
            pf->vm[i] = pf->va[i] = 0;
            continue;
        }
        if ((o->flat_start && !warm) || !(vm > 0)) {
            vm = 1.0;
            va = c == GRID_REF ? va : 0.0;
        }
        if ((c == GRID_REF || c == GRID_PV) && vset && vset[i] > 0)
            vm = vset[i];
        pf->v[i] = vm * (cos(va) + I * sin(va));
        pf->vm[i] = vm;
        pf->va[i] = va;
    }
    free(vset);
}

double grid_mismatch(CityGrid *g, int32_t *worst, char *kind, double *rhs)
{
    GridPf *pf = &g->pf;
    grid_ybus_mul(pf, pf->v, pf->ibus);
    double big = 0;
    *worst = -1;
    *kind = 'P';
    for (int32_t i = 0; i < pf->n; i++) {
        if (pf->col_va[i] < 0)
            continue;
        double complex v = pf->v[i];
        double vm = cabs(v);
        double complex mis = v * conj(pf->ibus[i]) - pf->sg[i] + pf->sd_p[i] + pf->sd_i[i] * vm + pf->sd_z[i] * vm * vm;
        double p = creal(mis), q = cimag(mis);
        if (rhs)
            rhs[pf->col_va[i]] = p;
        if (!(fabs(p) <= big)) {
            big = isnan(p) ? INFINITY : fabs(p);
            *worst = i;
            *kind = 'P';
        }
        if (pf->col_vm[i] >= 0) {
            if (rhs)
                rhs[pf->col_vm[i]] = q;
            if (!(fabs(q) <= big)) {
                big = isnan(q) ? INFINITY : fabs(q);
                *worst = i;
                *kind = 'Q';
            }
        }
    }
    return big;
}

/* Generation, flows, losses and extremes from the converged voltages. */
static void finish(CityGrid *g, CityPfReport *r)
{
    GridPf *pf = &g->pf;
    double base = g->base_mva;
    grid_ybus_mul(pf, pf->v, pf->ibus);
    r->total_pd_mw = r->total_qd_mvar = r->total_pg_mw = r->total_qg_mvar = 0;
    r->shunt_p_mw = 0;
    r->min_vm_pu = INFINITY;
    r->max_vm_pu = -INFINITY;
    r->max_abs_va_deg = -1;
    r->min_vm_bus = r->max_vm_bus = r->max_va_bus = 0;
    for (int32_t i = 0; i < g->n_bus; i++) {
        CityGridBus *b = &g->bus[i];
        g->energised[i] = pf->cls[i] != GRID_DEAD;
        if (!g->energised[i]) {
            b->vm_pu = 0;
            b->va_deg = 0;
            continue;
        }
        double complex v = pf->v[i];
        double vm = pf->vm[i];
        double complex sd = pf->sd_p[i] + pf->sd_i[i] * vm + pf->sd_z[i] * vm * vm;
        double complex sinj = v * conj(pf->ibus[i]);
        double gsh = b->gs_mw / base * vm * vm;
        r->shunt_p_mw += gsh * base;
        /* generation = injection + demand (+ shunt, which sits in Ybus) */
        double complex sgen = pf->cls[i] == GRID_PQ ? pf->sg[i] : sinj + sd;
        if (pf->cls[i] == GRID_PV)
            sgen = creal(pf->sg[i]) + I * cimag(sinj + sd);
        r->total_pd_mw += creal(sd) * base;
        r->total_qd_mvar += cimag(sd) * base;
        r->total_pg_mw += creal(sgen) * base;
        r->total_qg_mvar += cimag(sgen) * base;
        b->vm_pu = vm;
        b->va_deg = pf->va[i] * (180.0 / M_PI);
        if (vm < r->min_vm_pu || (vm == r->min_vm_pu && b->id < r->min_vm_bus)) {
            r->min_vm_pu = vm;
            r->min_vm_bus = b->id;
        }
        if (vm > r->max_vm_pu) {
            r->max_vm_pu = vm;
            r->max_vm_bus = b->id;
        }
        if (fabs(b->va_deg) > r->max_abs_va_deg) {
            r->max_abs_va_deg = fabs(b->va_deg);
            r->max_va_bus = b->id;
        }
    }
    if (r->n_energised == 0)
        r->min_vm_pu = r->max_vm_pu = r->max_abs_va_deg = 0;
    grid_gen_outputs(g);
    r->p_loss_mw = r->q_loss_mvar = 0;
    r->max_loading_pct = 0;
    r->max_loading_branch = 0;
    for (int32_t k = 0; k < g->n_br; k++) {
        const CityGridBranch *b = &g->br[k];
        CityGridFlow *fl = &g->flow[k];
        memset(fl, 0, sizeof *fl);
        int32_t f = grid_map_get(&g->bus_ids, b->from_bus), t = grid_map_get(&g->bus_ids, b->to_bus);
        if (!b->closed || !g->energised[f] || !g->energised[t])
            continue;
        double complex yff, yft, ytf, ytt;
        grid_branch_y(b, &yff, &yft, &ytf, &ytt);
        double complex vf = pf->v[f], vt = pf->v[t];
        double complex sf = vf * conj(yff * vf + yft * vt), st = vt * conj(ytf * vf + ytt * vt);
        fl->pf_mw = creal(sf) * base;
        fl->qf_mvar = cimag(sf) * base;
        fl->pt_mw = creal(st) * base;
        fl->qt_mvar = cimag(st) * base;
        /* series loss |Is|^2 z, as MATPOWER's get_losses (charging is not a loss) */
        double tap = b->ratio == 0 ? 1.0 : b->ratio, sh = b->shift_deg * (M_PI / 180.0);
        double complex z = b->r_pu + I * b->x_pu;
        double complex is = (vf / (tap * (cos(sh) + I * sin(sh))) - vt) / z;
        double complex loss = is * conj(is) * z * base;
        fl->ploss_mw = creal(loss);
        fl->qloss_mvar = cimag(loss);
        r->p_loss_mw += creal(loss);
        r->q_loss_mvar += cimag(loss);
        if (b->rate_mva > 0) {
            double s = fmax(cabs(sf), cabs(st)) * base;
            fl->loading_pct = 100.0 * s / b->rate_mva;
            if (fl->loading_pct > r->max_loading_pct) {
                r->max_loading_pct = fl->loading_pct;
                r->max_loading_branch = b->id;
            }
        }
    }
}

/* Sizes the per-branch, per-bus and per-generator results and resets the
 * running generator outputs to the schedule. */
static CityStatus result_arrays(CityGrid *g)
{
    if (!city_array_grow((void **)&g->flow, &g->cap_flow, g->n_br + 1, sizeof *g->flow) ||
        !city_array_grow((void **)&g->energised, &g->cap_energised, g->n_bus + 1, sizeof *g->energised) ||
        !city_array_grow((void **)&g->qlim_pq, &g->cap_qlim_pq, g->n_bus + 1, sizeof *g->qlim_pq) ||
        !city_array_grow((void **)&g->gen_out, &g->cap_gen_out, g->n_gen + 1, sizeof *g->gen_out))
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory for branch flows");
    memset(g->qlim_pq, 0, (size_t)g->n_bus);
    for (int32_t k = 0; k < g->n_gen; k++) {
        const CityGridGen *gen = &g->gen[k];
        g->gen_out[k].pg_mw = gen->on ? gen->pg_mw : 0;
        g->gen_out[k].qg_mvar = gen->on ? gen->qg_mvar : 0;
        g->gen_out[k].at_q_limit = false;
    }
    g->n_gen_out = g->n_gen;
    return CITY_OK;
}

CityStatus grid_pf_pass(CityGrid *g, const CityPfOptions *o, CityPfReport *r, bool warm)
{
    CityStatus st = classify(g, r);
    if (st != CITY_OK)
        return st;
    set_injections(g, o, warm);
    return o->method == CITY_PF_SWEEP ? grid_sweep_solve(g, o, r) : grid_nr_solve(g, o, r);
}

CityStatus city_grid_solve(CityGrid *g, const CityPfOptions *opt, CityPfReport *r)
{
    CityPfOptions o;
    if (opt)
        o = *opt;
    else
        city_pf_options_default(&o);
    memset(r, 0, sizeof *r);
    if (g->n_bus == 0)
        return grid_fail(g, CITY_ERR_INVALID, "the grid has no buses; add buses or load a case first");
    if (!(o.tol_pu > 0) || o.tol_pu > 1)
        return grid_fail(g, CITY_ERR_INVALID, "power-flow tolerance %g is out of range; use 1e-12 to 1 pu", o.tol_pu);
    if (o.max_iter <= 0)
        o.max_iter = o.method == CITY_PF_SWEEP ? 100 : 10;
    CityStatus st = grid_ybus_build(g);
    if (st != CITY_OK)
        return st;
    if (o.enforce_q_lims < 0 || o.enforce_q_lims > 2)
        return grid_fail(g, CITY_ERR_INVALID,
                         "enforce_q_lims %d is not valid; use 0 (off), 1 (all at once) or 2 (one at a time)",
                         (int)o.enforce_q_lims);
    if ((st = result_arrays(g)) != CITY_OK)
        return st;
    if (!g->dev_valid && (g->n_load || g->n_pv || g->n_bat || g->n_chg || g->n_lights) &&
        (st = grid_devices_eval(g, g->dev_t_s, g->dev_dt_s)) != CITY_OK)
        return st;
    st = grid_pf_pass(g, &o, r, false);
    if (st == CITY_OK && o.enforce_q_lims)
        st = grid_qlim_enforce(g, &o, r);
    if (st != CITY_OK) {
        snprintf(r->message, sizeof r->message, "%s", g->error.msg);
        return st;
    }
    finish(g, r);
    return CITY_OK;
}
