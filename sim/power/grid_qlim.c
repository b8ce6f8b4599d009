/* Generator outputs and reactive limits, as MATPOWER computes them.
 *
 * grid_gen_outputs follows pfsoln.m: the Q of a PV or reference bus
 * (injection plus local load) goes to its generators in proportion to
 * their Q ranges (an infinite limit counts as the bus's total |Q| plus its
 * finite limits); the first generator of a reference bus takes the slack P.
 *
 * grid_qlim_enforce follows runpf.m with pf.enforce_q_lims: after a
 * converged solve, every generator past Qmax (or Qmin) by more than
 * 5e-6 MVAr (opf.violation) is held at the limit and its bus turned PQ;
 * the flow is solved again from the last voltages, until no generator
 * violates. Option 2 takes the largest violation only, one per pass. A
 * reference bus may be turned PQ when it is the only one; the first PV bus
 * then becomes the reference and the angles are shifted back so the
 * original reference keeps its angle. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grid_internal.h"

#define QLIM_VIOLATION_MVAR 5e-6 /* MATPOWER's mpopt.opf.violation */
#define DBL_EPS 2.220446049250313e-16

const CityGridGenOut *city_grid_gen_outputs(const CityGrid *g, int32_t *count)
{
    *count = g->gen_out ? g->n_gen_out : 0;
    return g->gen_out;
}

/* On generators at PV and reference buses: the ones whose outputs the solve decides. */
static bool decided(const CityGrid *g, int32_t k)
{
    const CityGridGen *gen = &g->gen[k];
    if (!gen->on)
        return false;
    int8_t c = g->pf.cls[grid_map_get(&g->bus_ids, gen->bus)];
    return c == GRID_PV || c == GRID_REF;
}

/* Splits bus i's total Q (MVAr) among its n decided generators gens[0..n). */
static void split_q(CityGrid *g, const int32_t *gens, int32_t n, double q_bus)
{
    double m = 0, qmin_sum = 0, qmax_sum = 0;
    for (int32_t j = 0; j < n; j++) {
        const CityGridGen *gen = &g->gen[gens[j]];
        m += fabs(q_bus / n) + (isinf(gen->qmax_mvar) ? 0 : fabs(gen->qmax_mvar)) +
             (isinf(gen->qmin_mvar) ? 0 : fabs(gen->qmin_mvar));
    }
    for (int32_t j = 0; j < n; j++) {
        const CityGridGen *gen = &g->gen[gens[j]];
        qmin_sum += isinf(gen->qmin_mvar) ? copysign(m, gen->qmin_mvar) : gen->qmin_mvar;
        qmax_sum += isinf(gen->qmax_mvar) ? copysign(m, gen->qmax_mvar) : gen->qmax_mvar;
    }
    bool no_range = fabs(qmin_sum - qmax_sum) < 10 * DBL_EPS;
    for (int32_t j = 0; j < n; j++) {
        const CityGridGen *gen = &g->gen[gens[j]];
        double lo = isinf(gen->qmin_mvar) ? copysign(m, gen->qmin_mvar) : gen->qmin_mvar;
        double hi = isinf(gen->qmax_mvar) ? copysign(m, gen->qmax_mvar) : gen->qmax_mvar;
        g->gen_out[gens[j]].qg_mvar = no_range ? lo + (q_bus - qmin_sum) / n
                                               : lo + (q_bus - qmin_sum) / (qmax_sum - qmin_sum + DBL_EPS) * (hi - lo);
    }
}

/* Bus i's output: Q split among its decided generators gens[0..n), the
 * slack P to the first of them at a reference bus. */
static void bus_outputs(CityGrid *g, int32_t i, const int32_t *gens, int32_t n, bool split)
{
    GridPf *pf = &g->pf;
    double base = g->base_mva, vm = pf->vm[i];
    double complex s = pf->v[i] * conj(pf->ibus[i]) + pf->sd_p[i] + pf->sd_i[i] * vm + pf->sd_z[i] * vm * vm;
    if (split)
        split_q(g, gens, n, cimag(s) * base);
    else
        g->gen_out[gens[0]].qg_mvar = cimag(s) * base;
    if (pf->cls[i] == GRID_REF) {
        double others = 0;
        for (int32_t j = 1; j < n; j++)
            others += g->gen_out[gens[j]].pg_mw;
        g->gen_out[gens[0]].pg_mw = creal(s) * base - others;
    }
}

void grid_gen_outputs(CityGrid *g)
{
    GridPf *pf = &g->pf;
    /* decided generators listed per bus, in generator order */
    int32_t *first = malloc(((size_t)g->n_bus + 1) * sizeof *first);
    int32_t *next = malloc(((size_t)g->n_gen + 1) * sizeof *next);
    int32_t *last = malloc(((size_t)g->n_bus + 1) * sizeof *last);
    int32_t *gens = malloc(((size_t)g->n_gen + 1) * sizeof *gens);
    int32_t n_decided = 0;
    for (int32_t i = 0; first && last && i < g->n_bus; i++)
        first[i] = last[i] = -1;
    for (int32_t k = 0; k < g->n_gen; k++) {
        const CityGridGen *gen = &g->gen[k];
        int32_t i = grid_map_get(&g->bus_ids, gen->bus);
        if (!gen->on || pf->cls[i] == GRID_DEAD)
            g->gen_out[k].pg_mw = g->gen_out[k].qg_mvar = 0;
        if (!gen->on || (pf->cls[i] != GRID_PV && pf->cls[i] != GRID_REF) || !first || !next || !last)
            continue;
        n_decided++;
        next[k] = -1;
        if (last[i] < 0)
            first[i] = k;
        else
            next[last[i]] = k;
        last[i] = k;
    }
    for (int32_t i = 0; first && next && last && gens && i < g->n_bus; i++) {
        int32_t n = 0;
        for (int32_t k = first[i]; k >= 0; k = next[k])
            gens[n++] = k;
        if (n > 0)
            bus_outputs(g, i, gens, n, n_decided > 1);
    }
    free(first);
    free(next);
    free(last);
    free(gens);
}

/* The violating generators of this pass in viol[] (upper limits first, as
 * MATPOWER lists mx before mn); their count. */
static int32_t violations(const CityGrid *g, int32_t *viol, int32_t *n_upper)
{
    int32_t n = 0;
    *n_upper = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int32_t k = 0; k < g->n_gen; k++) {
            const CityGridGen *gen = &g->gen[k];
            if (!gen->on || g->pf.cls[grid_map_get(&g->bus_ids, gen->bus)] == GRID_DEAD)
                continue;
            double q = g->gen_out[k].qg_mvar;
            if (pass == 0 ? q > gen->qmax_mvar + QLIM_VIOLATION_MVAR : q < gen->qmin_mvar - QLIM_VIOLATION_MVAR)
                viol[n++] = k;
        }
    for (int32_t j = 0; j < n; j++)
        if (g->gen_out[viol[j]].qg_mvar > g->gen[viol[j]].qmax_mvar + QLIM_VIOLATION_MVAR)
            (*n_upper)++;
    return n;
}

/* MATPOWER gives up when every generator still regulating voltage violates
 * the same kind of limit. */
static bool infeasible(const CityGrid *g, const int32_t *viol, int32_t n, int32_t n_upper)
{
    if (n_upper != 0 && n_upper != n)
        return false;
    int32_t remaining = 0;
    for (int32_t k = 0; k < g->n_gen; k++)
        remaining += decided(g, k);
    if (remaining != n)
        return false;
    for (int32_t j = 0; j < n; j++)
        if (!decided(g, viol[j]))
            return false;
    return true;
}

/* Option 2: keeps only the largest violation (the first on a tie). */
static int32_t largest_only(const CityGrid *g, int32_t *viol, int32_t n, int32_t n_upper)
{
    int32_t best = 0;
    double worst = -INFINITY;
    for (int32_t j = 0; j < n; j++) {
        const CityGridGen *gen = &g->gen[viol[j]];
        double q = g->gen_out[viol[j]].qg_mvar;
        double by = j < n_upper ? q - gen->qmax_mvar : gen->qmin_mvar - q;
        if (by > worst) {
            worst = by;
            best = j;
        }
    }
    viol[0] = viol[best];
    return 1;
}

/* Holds the violating generators at their limits and turns their buses PQ. */
static CityStatus hold_at_limits(CityGrid *g, const int32_t *viol, int32_t n, int32_t n_refs)
{
    for (int32_t j = 0; j < n; j++) {
        const CityGridGen *gen = &g->gen[viol[j]];
        CityGridGenOut *out = &g->gen_out[viol[j]];
        int32_t i = grid_map_get(&g->bus_ids, gen->bus);
        if (g->pf.cls[i] == GRID_REF && n_refs > 1)
            return grid_fail(g, CITY_ERR_INVALID,
                             "generator at bus %d exceeds its Q limit at a reference bus, and Q limits cannot be "
                             "enforced at reference buses when there are %d of them (as in MATPOWER); give the "
                             "generator wider limits or keep one reference bus",
                             (int)gen->bus, (int)n_refs);
        out->qg_mvar = out->qg_mvar > gen->qmax_mvar ? gen->qmax_mvar : gen->qmin_mvar;
        out->at_q_limit = true;
        g->qlim_pq[i] = 1;
    }
    return CITY_OK;
}

CityStatus grid_qlim_enforce(CityGrid *g, const CityPfOptions *o, CityPfReport *r)
{
    GridPf *pf = &g->pf;
    int32_t n_refs = 0, ref0 = -1;
    for (int32_t i = 0; i < g->n_bus; i++)
        if (pf->cls[i] == GRID_REF && n_refs++ == 0)
            ref0 = i;
    double va0 = ref0 >= 0 ? pf->va[ref0] : 0;
    int32_t *viol = malloc(((size_t)g->n_gen + 1) * sizeof *viol);
    if (!viol)
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory enforcing Q limits");
    int32_t iterations = r->iterations, limited = 0;
    CityPfOptions full = *o; /* later passes take full Newton steps, as MATPOWER does */
    full.full_newton = true;
    CityStatus st = CITY_OK;
    for (;;) {
        grid_ybus_mul(pf, pf->v, pf->ibus);
        grid_gen_outputs(g);
        int32_t n_upper, n = violations(g, viol, &n_upper);
        if (n == 0)
            break;
        if (infeasible(g, viol, n, n_upper)) {
            st = grid_fail(g, CITY_ERR_NUMERIC,
                           "power flow with Q limits is infeasible: all %d generators still holding their voltage "
                           "exceed their %s limits; add reactive support or widen the limits",
                           (int)n, n_upper ? "Qmax" : "Qmin");
            break;
        }
        if (o->enforce_q_lims == 2)
            n = largest_only(g, viol, n, n_upper);
        if ((st = hold_at_limits(g, viol, n, n_refs)) != CITY_OK)
            break;
        limited += n;
        if ((st = grid_pf_pass(g, &full, r, true)) != CITY_OK)
            break;
        iterations += r->iterations;
    }
    free(viol);
    r->iterations = iterations;
    r->n_q_limited = limited;
    if (st == CITY_OK && ref0 >= 0 && pf->cls[ref0] != GRID_REF) {
        double shift = va0 - pf->va[ref0];
        for (int32_t i = 0; i < g->n_bus; i++)
            if (pf->cls[i] != GRID_DEAD) {
                pf->va[i] += shift;
                pf->v[i] = pf->vm[i] * (cos(pf->va[i]) + I * sin(pf->va[i]));
            }
    }
    return st;
}
