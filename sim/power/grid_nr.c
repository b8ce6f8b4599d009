/* Full AC Newton-Raphson in polar form. Unknowns: the angle of every PV
 * and PQ bus and the magnitude of every PQ bus; equations: P at PV/PQ
 * buses, Q at PQ buses, numbered alike so the Jacobian is structurally
 * symmetric. The Jacobian lives in compressed columns on the Ybus pattern;
 * KLU analyses that pattern once (klu_analyze) and later solves only
 * refactor the numbers (klu_refactor), until the topology or the bus
 * classes change.
 *
 * Warm solves (quasi-static series) first try chord steps on the factors
 * of the previous solve: each costs a triangular solve instead of a
 * refactorisation. After the first step (which may overshoot in the max
 * norm, as a Newton step may too) each chord step must cut the mismatch at
 * least fourfold; otherwise it is undone and the solve continues with full
 * Newton steps. Convergence is judged on the same mismatch either way, so
 * the answer is the same to the tolerance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid_internal.h"

static CityStatus jacobian_pattern(CityGrid *g)
{
    GridPf *pf = &g->pf;
    uint64_t sig = grid_pf_class_signature(pf);
    if (pf->jac_for == sig && pf->sym)
        return CITY_OK;
    if (pf->num)
        klu_free_numeric(&pf->num, &pf->common);
    if (pf->sym)
        klu_free_symbolic(&pf->sym, &pf->common);
    free(pf->jp);
    free(pf->ji);
    free(pf->jx);
    free(pf->jpos);
    int32_t n = pf->n, nj = pf->nj, ynz = pf->yp[n];
    pf->jp = malloc(((size_t)nj + 1) * sizeof *pf->jp);
    pf->jpos = malloc((size_t)ynz * 4 * sizeof *pf->jpos);
    if (!pf->jp || !pf->jpos)
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory for the Jacobian (%d unknowns)", (int)nj);
    /* count */
    pf->jp[0] = 0;
    for (int32_t k = 0; k < n; k++) {
        int32_t rows = 0;
        for (int32_t p = pf->yp[k]; p < pf->yp[k + 1]; p++) {
            int32_t i = pf->yi[p];
            rows += (pf->col_va[i] >= 0) + (pf->col_vm[i] >= 0);
        }
        if (pf->col_va[k] >= 0)
            pf->jp[pf->col_va[k] + 1] = rows;
        if (pf->col_vm[k] >= 0)
            pf->jp[pf->col_vm[k] + 1] = rows;
    }
    for (int32_t c = 0; c < nj; c++)
        pf->jp[c + 1] += pf->jp[c];
    int32_t jnz = pf->jp[nj];
    pf->ji = malloc(((size_t)jnz + 1) * sizeof *pf->ji);
    pf->jx = malloc(((size_t)jnz + 1) * sizeof *pf->jx);
    if (!pf->ji || !pf->jx)
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory for the Jacobian (%d entries)", (int)jnz);
    /* fill: rows ascend because unknowns are numbered in bus order */
    for (int32_t k = 0; k < n; k++) {
        int32_t ca = pf->col_va[k], cm = pf->col_vm[k];
        int32_t wa = ca >= 0 ? pf->jp[ca] : 0, wm = cm >= 0 ? pf->jp[cm] : 0;
        for (int32_t p = pf->yp[k]; p < pf->yp[k + 1]; p++) {
            int32_t i = pf->yi[p], ra = pf->col_va[i], rm = pf->col_vm[i];
            int32_t *pos = &pf->jpos[4 * (size_t)p];
            pos[0] = pos[1] = pos[2] = pos[3] = -1;
            if (ca >= 0) {
                if (ra >= 0) {
                    pos[0] = wa;
                    pf->ji[wa++] = ra;
                }
                if (rm >= 0) {
                    pos[1] = wa;
                    pf->ji[wa++] = rm;
                }
            }
            if (cm >= 0) {
                if (ra >= 0) {
                    pos[2] = wm;
                    pf->ji[wm++] = ra;
                }
                if (rm >= 0) {
                    pos[3] = wm;
                    pf->ji[wm++] = rm;
                }
            }
        }
    }
    if (nj > 0) {
        pf->sym = klu_analyze(nj, pf->jp, pf->ji, &pf->common);
        if (!pf->sym)
            return grid_fail(g, CITY_ERR_NUMERIC, "KLU could not analyse the Jacobian (%d unknowns, status %d)",
                             (int)nj, pf->common.status);
    }
    pf->jac_for = sig;
    return CITY_OK;
}

/* dS/dVa and dS/dVm on the Ybus pattern (MATPOWER's dSbus_dV, entry by
 * entry), plus the voltage dependence of ZIP loads on the diagonal. */
static void jacobian_values(GridPf *pf)
{
    for (int32_t k = 0; k < pf->n; k++) {
        if (pf->col_va[k] < 0 && pf->col_vm[k] < 0)
            continue;
        double complex vk = pf->v[k];
        double vmk = cabs(vk);
        double complex ek = vk / vmk;
        for (int32_t p = pf->yp[k]; p < pf->yp[k + 1]; p++) {
            const int32_t *pos = &pf->jpos[4 * (size_t)p];
            if (pos[0] < 0 && pos[1] < 0 && pos[2] < 0 && pos[3] < 0)
                continue;
            int32_t i = pf->yi[p];
            double complex y = pf->yx[p], vi = pf->v[i], dsa, dsm;
            if (i != k) {
                dsa = -I * vi * conj(y * vk);
                dsm = vi * conj(y * ek);
            } else {
                dsa = I * vi * conj(pf->ibus[i] - y * vi);
                dsm = vi * conj(y * ek) + conj(pf->ibus[i]) * ek + pf->sd_i[i] + 2.0 * pf->sd_z[i] * vmk;
            }
            if (pos[0] >= 0)
                pf->jx[pos[0]] = creal(dsa);
            if (pos[1] >= 0)
                pf->jx[pos[1]] = cimag(dsa);
            if (pos[2] >= 0)
                pf->jx[pos[2]] = creal(dsm);
            if (pos[3] >= 0)
                pf->jx[pos[3]] = cimag(dsm);
        }
    }
}

static CityStatus factor(CityGrid *g, int32_t iter)
{
    GridPf *pf = &g->pf;
    if (pf->num && !klu_refactor(pf->jp, pf->ji, pf->jx, pf->sym, pf->num, &pf->common))
        klu_free_numeric(&pf->num, &pf->common);
    if (!pf->num) {
        pf->num = klu_factor(pf->jp, pf->ji, pf->jx, pf->sym, &pf->common);
        /* kept for checkpoints: a restore factors these again to get the same pivots */
        const size_t nnz = (size_t)pf->jp[pf->nj];
        free(pf->jx_piv);
        pf->jx_piv = NULL; /* a failed factorisation leaves none (and a later free must not see the old one) */
        if (pf->num && (pf->jx_piv = malloc(nnz * sizeof *pf->jx_piv)))
            memcpy(pf->jx_piv, pf->jx, nnz * sizeof *pf->jx_piv);
    }
    if (!pf->num)
        return grid_fail(g, CITY_ERR_NUMERIC,
                         "power flow failed: the Jacobian is singular at iteration %d (KLU status %d); a part of the "
                         "grid may be connected only through open or zero-impedance branches, or the load is beyond "
                         "what the network can carry",
                         (int)iter, pf->common.status);
    return CITY_OK;
}

static CityStatus not_converged(CityGrid *g, CityPfReport *r, int32_t iter, double norm, int32_t worst, char kind,
                                const char *why)
{
    r->converged = false;
    r->iterations = iter;
    r->max_mismatch_pu = norm;
    r->worst_bus = worst >= 0 ? g->bus[worst].id : 0;
    r->worst_kind = kind;
    return grid_fail(g, CITY_ERR_NUMERIC,
                     "power flow did not converge%s: %d iterations, largest mismatch %.3g pu (%c) at bus %d; "
                     "check the loads and impedances, or raise the iteration limit",
                     why, (int)iter, norm, kind, (int)r->worst_bus);
}

/* After a restore: the factors the saved run held, when the restored
 * pattern is the one they belong to (as the run would have kept them):
 * the pivots come from factoring the values that chose them, the numbers
 * from refactoring the last values. */
static void restore_factors(GridPf *pf, uint64_t *sig_before)
{
    const size_t nnz = pf->sym ? (size_t)pf->jp[pf->nj] : 0;
    if (pf->ck_sig == pf->jac_for && pf->ck_nnz == nnz && nnz > 0 && !pf->num) {
        memcpy(pf->jx, pf->ck_piv, nnz * sizeof *pf->jx);
        pf->num = klu_factor(pf->jp, pf->ji, pf->jx, pf->sym, &pf->common);
        memcpy(pf->jx, pf->ck_jx, nnz * sizeof *pf->jx);
        if (pf->num && klu_refactor(pf->jp, pf->ji, pf->jx, pf->sym, pf->num, &pf->common)) {
            free(pf->jx_piv);
            pf->jx_piv = pf->ck_piv;
            pf->ck_piv = NULL;
            *sig_before = pf->jac_for;
        } else if (pf->num) {
            klu_free_numeric(&pf->num, &pf->common);
        }
    }
    free(pf->ck_piv);
    free(pf->ck_jx);
    pf->ck_piv = pf->ck_jx = NULL;
    pf->ck_nnz = 0;
}

CityStatus grid_nr_solve(CityGrid *g, const CityPfOptions *o, CityPfReport *r)
{
    GridPf *pf = &g->pf;
    uint64_t sig_before = pf->jac_for;
    CityStatus st = jacobian_pattern(g);
    if (st != CITY_OK)
        return st;
    if (pf->ck_jx)
        restore_factors(pf, &sig_before);
    int32_t worst;
    char kind;
    int32_t iter = 0;
    /* chord steps only on factors of this very pattern from an earlier solve */
    bool chord = !o->full_newton && pf->num && pf->jac_for == sig_before;
    double norm = grid_mismatch(g, &worst, &kind, pf->rhs);
    while (!(norm < o->tol_pu)) {
        if (!isfinite(norm))
            return not_converged(g, r, iter, norm, worst, kind, " (the iteration diverged)");
        if (iter >= o->max_iter)
            return not_converged(g, r, iter, norm, worst, kind, "");
        if (chord && iter >= o->max_iter / 2)
            chord = false;
        if (chord) {
            for (int32_t i = 0; i < pf->n; i++) {
                pf->vm_old[i] = pf->vm[i];
                pf->va_old[i] = pf->va[i];
            }
        } else {
            jacobian_values(pf);
            if ((st = factor(g, iter)) != CITY_OK)
                return st;
        }
        if (!klu_solve(pf->sym, pf->num, pf->nj, 1, pf->rhs, &pf->common))
            return grid_fail(g, CITY_ERR_NUMERIC, "KLU could not solve the Newton step (status %d)", pf->common.status);
        for (int32_t i = 0; i < pf->n; i++) {
            int32_t ca = pf->col_va[i], cm = pf->col_vm[i];
            if (ca < 0)
                continue;
            double va = pf->va[i] -= pf->rhs[ca];
            double vm = cm >= 0 ? (pf->vm[i] -= pf->rhs[cm]) : pf->vm[i];
            pf->v[i] = vm * (cos(va) + I * sin(va));
        }
        iter++;
        double before = norm;
        norm = grid_mismatch(g, &worst, &kind, pf->rhs);
        if (chord && !(norm <= (iter == 1 ? 10.0 : 0.25) * before)) {
            /* the old factors no longer fit: undo the step, go full Newton */
            chord = false;
            for (int32_t i = 0; i < pf->n; i++) {
                pf->vm[i] = pf->vm_old[i];
                pf->va[i] = pf->va_old[i];
                if (pf->cls[i] != GRID_DEAD)
                    pf->v[i] = pf->vm[i] * (cos(pf->va[i]) + I * sin(pf->va[i]));
            }
            norm = grid_mismatch(g, &worst, &kind, pf->rhs);
        }
    }
    r->converged = true;
    r->iterations = iter;
    r->max_mismatch_pu = norm;
    r->worst_bus = worst >= 0 ? g->bus[worst].id : 0;
    r->worst_kind = kind;
    return CITY_OK;
}
