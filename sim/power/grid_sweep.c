/* Backward/forward sweep for radial feeders. Backward: from the leaves to
 * the reference, each bus's demand current (ZIP load, shunt, minus local
 * generation) plus its children's currents flows through its parent
 * branch. Forward: from the reference out, each bus's voltage is its
 * parent's minus the series drop. Branches use MATPOWER's pi model with
 * the ideal tap at the from side, so the fixed point is the very same
 * solution Newton-Raphson finds; convergence is judged on the same power
 * mismatch. Meshed networks and PV buses are refused with a clear message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid_internal.h"

static CityStatus build_tree(CityGrid *g)
{
    GridPf *pf = &g->pf;
    uint64_t sig = grid_pf_class_signature(pf);
    if (pf->tree_for == sig)
        return CITY_OK;
    int32_t n = pf->n;
    for (int32_t i = 0; i < n; i++)
        if (pf->cls[i] == GRID_PV)
            return grid_fail(g, CITY_ERR_INVALID,
                             "the sweep handles one slack bus per feeder and PQ buses, but bus %d is a PV bus with a "
                             "generator; use the Newton-Raphson method (--method nr)",
                             (int)g->bus[i].id);
    free(pf->order);
    free(pf->parent_br);
    free(pf->is);
    free(pf->acc);
    free(pf->bz);
    free(pf->bt);
    free(pf->bsh);
    free(pf->parent_is_from);
    size_t nn = (size_t)n + 1;
    pf->order = malloc(nn * sizeof *pf->order);
    pf->parent_br = malloc(nn * sizeof *pf->parent_br);
    pf->is = calloc(nn, sizeof *pf->is);
    pf->acc = calloc(nn, sizeof *pf->acc);
    pf->bz = calloc(nn, sizeof *pf->bz);
    pf->bt = calloc(nn, sizeof *pf->bt);
    pf->bsh = calloc(nn, sizeof *pf->bsh);
    pf->parent_is_from = calloc(nn, 1);
    /* branch adjacency of the energised part (CSR) */
    int32_t *adj_p = calloc(nn + 1, sizeof *adj_p), *adj = malloc(2 * ((size_t)g->n_br + 1) * sizeof *adj);
    uint8_t *seen = calloc(nn, 1);
    if (!pf->order || !pf->parent_br || !pf->is || !pf->acc || !pf->bz || !pf->bt || !pf->bsh || !pf->parent_is_from ||
        !adj_p || !adj || !seen) {
        free(adj_p);
        free(adj);
        free(seen);
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory for the sweep tree");
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t k = 0; k < g->n_br; k++) {
            const CityGridBranch *b = &g->br[k];
            int32_t f = grid_map_get(&g->bus_ids, b->from_bus), t = grid_map_get(&g->bus_ids, b->to_bus);
            if (!b->closed || pf->cls[f] == GRID_DEAD || pf->cls[t] == GRID_DEAD)
                continue;
            if (pass == 0) {
                adj_p[f + 1]++;
                adj_p[t + 1]++;
            } else {
                adj[adj_p[f]++] = k;
                adj[adj_p[t]++] = k;
            }
        }
        if (pass == 0)
            for (int32_t i = 0; i < n; i++)
                adj_p[i + 1] += adj_p[i];
        else
            for (int32_t i = n; i > 0; i--)
                adj_p[i] = adj_p[i - 1];
        if (pass == 1)
            adj_p[0] = 0;
    }
    CityStatus st = CITY_OK;
    int32_t cnt = 0;
    for (int32_t r = 0; r < n && st == CITY_OK; r++) {
        if (pf->cls[r] != GRID_REF || seen[r])
            continue;
        int32_t head = cnt;
        pf->order[cnt++] = r;
        pf->parent_br[r] = -1;
        seen[r] = 1;
        while (head < cnt && st == CITY_OK) {
            int32_t u = pf->order[head++];
            for (int32_t a = adj_p[u]; a < adj_p[u + 1]; a++) {
                int32_t k = adj[a];
                if (k == pf->parent_br[u])
                    continue;
                const CityGridBranch *b = &g->br[k];
                int32_t f = grid_map_get(&g->bus_ids, b->from_bus), t = grid_map_get(&g->bus_ids, b->to_bus);
                int32_t c = f == u ? t : f;
                if (seen[c]) {
                    st = grid_fail(g, CITY_ERR_INVALID,
                                   pf->cls[c] == GRID_REF
                                       ? "the sweep needs one slack bus per radial feeder, but bus %d and bus %d are "
                                         "both references of one connected part; use --method nr"
                                       : "the sweep needs a radial network, but branch %d (bus %d to %d) closes a "
                                         "loop; open it, or use the Newton-Raphson method (--method nr)",
                                   pf->cls[c] == GRID_REF ? (int)g->bus[r].id : (int)b->id, (int)b->from_bus,
                                   (int)b->to_bus);
                    break;
                }
                seen[c] = 1;
                pf->order[cnt++] = c;
                pf->parent_br[c] = k;
                pf->parent_is_from[c] = f == u;
                double tap = b->ratio == 0 ? 1.0 : b->ratio, sh = b->shift_deg * (M_PI / 180.0);
                pf->bz[c] = b->r_pu + I * b->x_pu;
                pf->bt[c] = tap * (cos(sh) + I * sin(sh));
                pf->bsh[c] = I * (b->b_pu / 2.0);
            }
        }
    }
    pf->n_order = cnt;
    free(adj_p);
    free(adj);
    free(seen);
    if (st == CITY_OK)
        pf->tree_for = sig;
    return st;
}

static void sweep_once(CityGrid *g)
{
    GridPf *pf = &g->pf;
    double base = g->base_mva;
    for (int32_t m = 0; m < pf->n_order; m++) {
        int32_t i = pf->order[m];
        double complex v = pf->v[i];
        double vm = cabs(v);
        double complex s = pf->sd_p[i] + pf->sd_i[i] * vm + pf->sd_z[i] * vm * vm - pf->sg[i];
        double complex ysh = (g->bus[i].gs_mw + I * g->bus[i].bs_mvar) / base;
        pf->acc[i] = conj(s / v) + ysh * v;
    }
    /* backward: leaves first */
    for (int32_t m = pf->n_order - 1; m > 0; m--) {
        int32_t c = pf->order[m], k = pf->parent_br[c];
        if (k < 0)
            continue;
        const CityGridBranch *b = &g->br[k];
        int32_t p = grid_map_get(&g->bus_ids, pf->parent_is_from[c] ? b->from_bus : b->to_bus);
        double complex t = pf->bt[c], ysh = pf->bsh[c], ic = pf->acc[c], is, idraw;
        if (pf->parent_is_from[c]) {
            double complex vint = pf->v[p] / t;
            is = ic + ysh * pf->v[c];
            idraw = (is + ysh * vint) / conj(t);
        } else {
            double complex vint = pf->v[c] / t;
            is = conj(t) * ic + ysh * vint;
            idraw = is + ysh * pf->v[p];
        }
        pf->is[c] = is;
        pf->acc[p] += idraw;
    }
    /* forward: from the references out */
    for (int32_t m = 0; m < pf->n_order; m++) {
        int32_t c = pf->order[m], k = pf->parent_br[c];
        if (k < 0)
            continue;
        const CityGridBranch *b = &g->br[k];
        int32_t p = grid_map_get(&g->bus_ids, pf->parent_is_from[c] ? b->from_bus : b->to_bus);
        if (pf->parent_is_from[c])
            pf->v[c] = pf->v[p] / pf->bt[c] - pf->bz[c] * pf->is[c];
        else
            pf->v[c] = pf->bt[c] * (pf->v[p] - pf->bz[c] * pf->is[c]);
    }
}

CityStatus grid_sweep_solve(CityGrid *g, const CityPfOptions *o, CityPfReport *r)
{
    GridPf *pf = &g->pf;
    CityStatus st = build_tree(g);
    if (st != CITY_OK)
        return st;
    int32_t worst, iter = 0;
    char kind;
    double norm = grid_mismatch(g, &worst, &kind, NULL);
    while (!(norm < o->tol_pu)) {
        if (iter >= o->max_iter || !isfinite(norm)) {
            r->iterations = iter;
            r->max_mismatch_pu = norm;
            r->worst_bus = worst >= 0 ? g->bus[worst].id : 0;
            r->worst_kind = kind;
            return grid_fail(g, CITY_ERR_NUMERIC,
                             "sweep did not converge%s: %d sweeps, largest mismatch %.3g pu (%c) at bus %d; the "
                             "feeder may be overloaded, or raise the iteration limit",
                             isfinite(norm) ? "" : " (it diverged)", (int)iter, norm, kind, (int)r->worst_bus);
        }
        sweep_once(g);
        iter++;
        norm = grid_mismatch(g, &worst, &kind, NULL);
    }
    for (int32_t i = 0; i < pf->n; i++) {
        if (pf->cls[i] == GRID_PQ) {
            pf->vm[i] = cabs(pf->v[i]);
            pf->va[i] = carg(pf->v[i]);
        }
    }
    r->converged = true;
    r->iterations = iter;
    r->max_mismatch_pu = norm;
    r->worst_bus = worst >= 0 ? g->bus[worst].id : 0;
    r->worst_kind = kind;
    return CITY_OK;
}
