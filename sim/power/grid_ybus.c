/* The bus admittance matrix in compressed-column form. Only closed
 * branches between in-service buses enter it; every bus keeps its diagonal
 * entry so the pattern stays square even for de-energised buses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grid_internal.h"

void grid_branch_y(const CityGridBranch *b, double complex *yff, double complex *yft, double complex *ytf,
                   double complex *ytt)
{
    double complex ys = 1.0 / (b->r_pu + I * b->x_pu);
    double tap = b->ratio == 0 ? 1.0 : b->ratio;
    double sh = b->shift_deg * (M_PI / 180.0);
    double complex t = tap * (cos(sh) + I * sin(sh));
    double complex yt = ys + I * (b->b_pu / 2.0);
    *ytt = yt;
    *yff = yt / (tap * tap);
    *yft = -ys / conj(t);
    *ytf = -ys / t;
}

uint64_t grid_pf_class_signature(const GridPf *pf)
{
    uint64_t h = 14695981039346656037ull ^ pf->built_for; /* FNV-1a */
    for (int32_t i = 0; i < pf->n; i++)
        h = (h ^ (uint8_t)pf->cls[i]) * 1099511628211ull;
    return h | 1u;
}

void grid_pf_free(GridPf *pf)
{
    if (pf->num)
        klu_free_numeric(&pf->num, &pf->common);
    if (pf->sym)
        klu_free_symbolic(&pf->sym, &pf->common);
    free(pf->yp);
    free(pf->yi);
    free(pf->yx);
    free(pf->ydiag);
    free(pf->cls);
    free(pf->col_va);
    free(pf->col_vm);
    free(pf->jp);
    free(pf->ji);
    free(pf->jx);
    free(pf->jx_piv);
    free(pf->ck_piv);
    free(pf->ck_jx);
    free(pf->jpos);
    free(pf->rhs);
    free(pf->v);
    free(pf->vm);
    free(pf->va);
    free(pf->vm_old);
    free(pf->va_old);
    free(pf->ibus);
    free(pf->sg);
    free(pf->sd_p);
    free(pf->sd_i);
    free(pf->sd_z);
    free(pf->order);
    free(pf->parent_br);
    free(pf->is);
    free(pf->acc);
    free(pf->bz);
    free(pf->bt);
    free(pf->bsh);
    free(pf->parent_is_from);
    klu_common c = pf->common;
    memset(pf, 0, sizeof *pf);
    pf->common = c;
}

static bool branch_active(const CityGrid *g, const CityGridBranch *b, int32_t *f, int32_t *t)
{
    if (!b->closed)
        return false;
    *f = grid_map_get(&g->bus_ids, b->from_bus);
    *t = grid_map_get(&g->bus_ids, b->to_bus);
    return g->bus[*f].type != CITY_BUS_ISOLATED && g->bus[*t].type != CITY_BUS_ISOLATED;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int32_t find_entry(const GridPf *pf, int32_t row, int32_t col)
{
    int32_t lo = pf->yp[col], hi = pf->yp[col + 1] - 1;
    while (lo <= hi) {
        int32_t mid = (lo + hi) / 2;
        if (pf->yi[mid] == row)
            return mid;
        if (pf->yi[mid] < row)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

CityStatus grid_ybus_build(CityGrid *g)
{
    GridPf *pf = &g->pf;
    if (pf->built_for == g->topo_version && pf->n == g->n_bus)
        return CITY_OK;
    int32_t n = g->n_bus;
    /* restored factors survive the first build if their topology is the restored one */
    GridPf ck = *pf;
    if (ck.ck_built_for != g->topo_version) {
        free(ck.ck_piv);
        free(ck.ck_jx);
        ck.ck_piv = ck.ck_jx = NULL;
        ck.ck_nnz = 0;
    }
    pf->ck_piv = pf->ck_jx = NULL;
    grid_pf_free(pf);
    pf->ck_piv = ck.ck_piv;
    pf->ck_jx = ck.ck_jx;
    pf->ck_nnz = ck.ck_nnz;
    pf->ck_sig = ck.ck_sig;
    pf->n = n;
    size_t nn = (size_t)n;
    pf->yp = calloc(nn + 1, sizeof *pf->yp);
    pf->ydiag = malloc(nn * sizeof *pf->ydiag);
    pf->cls = calloc(nn, 1);
    pf->col_va = malloc(nn * sizeof *pf->col_va);
    pf->col_vm = malloc(nn * sizeof *pf->col_vm);
    pf->v = calloc(nn, sizeof *pf->v);
    pf->vm = calloc(nn, sizeof *pf->vm);
    pf->va = calloc(nn, sizeof *pf->va);
    pf->vm_old = calloc(nn, sizeof *pf->vm_old);
    pf->va_old = calloc(nn, sizeof *pf->va_old);
    pf->ibus = calloc(nn, sizeof *pf->ibus);
    pf->sg = calloc(nn, sizeof *pf->sg);
    pf->sd_p = calloc(nn, sizeof *pf->sd_p);
    pf->sd_i = calloc(nn, sizeof *pf->sd_i);
    pf->sd_z = calloc(nn, sizeof *pf->sd_z);
    pf->rhs = malloc((2 * nn + 1) * sizeof *pf->rhs);
    int32_t *cnt = calloc(nn + 1, sizeof *cnt);
    if (!pf->yp || !pf->ydiag || !pf->cls || !pf->col_va || !pf->col_vm || !pf->v || !pf->vm || !pf->va ||
        !pf->vm_old || !pf->va_old || !pf->ibus || !pf->sg || !pf->sd_p || !pf->sd_i || !pf->sd_z || !pf->rhs || !cnt) {
        free(cnt);
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory building the admittance matrix (%d buses)", (int)n);
    }
    /* pattern: diagonal plus both off-diagonals of every active branch */
    for (int32_t k = 0; k < n; k++)
        cnt[k] = 1;
    for (int32_t i = 0; i < g->n_br; i++) {
        int32_t f, t;
        if (branch_active(g, &g->br[i], &f, &t)) {
            cnt[f]++;
            cnt[t]++;
        }
    }
    pf->yp[0] = 0;
    for (int32_t k = 0; k < n; k++)
        pf->yp[k + 1] = pf->yp[k] + cnt[k];
    int32_t nz = pf->yp[n];
    pf->yi = malloc((size_t)nz * sizeof *pf->yi);
    pf->yx = calloc((size_t)nz, sizeof *pf->yx);
    if (!pf->yi || !pf->yx) {
        free(cnt);
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory building the admittance matrix (%d entries)", (int)nz);
    }
    for (int32_t k = 0; k < n; k++) {
        cnt[k] = pf->yp[k];
        pf->yi[cnt[k]++] = k;
    }
    for (int32_t i = 0; i < g->n_br; i++) {
        int32_t f, t;
        if (branch_active(g, &g->br[i], &f, &t)) {
            pf->yi[cnt[t]++] = f; /* row f in column t */
            pf->yi[cnt[f]++] = t;
        }
    }
    free(cnt);
    /* sort rows in each column and squeeze out duplicates (parallel branches) */
    int32_t w = 0;
    for (int32_t k = 0; k < n; k++) {
        int32_t a = pf->yp[k], b = pf->yp[k + 1];
        qsort(pf->yi + a, (size_t)(b - a), sizeof *pf->yi, cmp_i32);
        pf->yp[k] = w;
        for (int32_t p = a; p < b; p++)
            if (p == a || pf->yi[p] != pf->yi[p - 1])
                pf->yi[w++] = pf->yi[p];
    }
    pf->yp[n] = w;
    /* values */
    for (int32_t k = 0; k < n; k++) {
        int32_t d = find_entry(pf, k, k);
        pf->ydiag[k] = d;
        if (g->bus[k].type != CITY_BUS_ISOLATED)
            pf->yx[d] = (g->bus[k].gs_mw + I * g->bus[k].bs_mvar) / g->base_mva;
    }
    for (int32_t i = 0; i < g->n_br; i++) {
        int32_t f, t;
        if (!branch_active(g, &g->br[i], &f, &t))
            continue;
        double complex yff, yft, ytf, ytt;
        grid_branch_y(&g->br[i], &yff, &yft, &ytf, &ytt);
        pf->yx[pf->ydiag[f]] += yff;
        pf->yx[pf->ydiag[t]] += ytt;
        pf->yx[find_entry(pf, f, t)] += yft;
        pf->yx[find_entry(pf, t, f)] += ytf;
    }
    pf->built_for = g->topo_version;
    pf->jac_for = 0;
    pf->tree_for = 0;
    return CITY_OK;
}

void grid_ybus_mul(const GridPf *pf, const double complex *v, double complex *out)
{
    for (int32_t i = 0; i < pf->n; i++)
        out[i] = 0;
    for (int32_t k = 0; k < pf->n; k++) {
        double complex vk = v[k];
        if (vk == 0)
            continue;
        for (int32_t p = pf->yp[k]; p < pf->yp[k + 1]; p++)
            out[pf->yi[p]] += pf->yx[p] * vk;
    }
}
