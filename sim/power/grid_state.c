/* The grid in a checkpoint: what a run changes (bus voltages, branch
 * states and flows, device states, plugged-in EVs, the device powers of
 * the current period, the topology version); the network's static data
 * and the profiles come from the scenario's top level on restore. The
 * solver's cached structures are dropped and rebuilt from the restored
 * topology. The backward/forward sweep starts from the bus voltages only;
 * Newton-Raphson's warm solves take chord steps on the previous solve's
 * factors, so the Jacobian values behind them are saved too (those whose
 * factorisation chose the pivots and those last refactored) and the next
 * solve factors them again: both resume bit for bit. */
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "grid_internal.h"

#define PUT(arr, n) city_state_put_array(out, (arr), (size_t)(n), sizeof *(arr))
#define GET(arr, n, what) city_state_get_array(in, (arr), (size_t)(n), sizeof *(arr), (what))

CityStatus grid_state_save(const CityGrid *g, CityStateWriter *out)
{
    city_state_put_tag(out, "GRID");
    PUT(g->bus, g->n_bus);
    PUT(g->br, g->n_br);
    PUT(g->gen, g->n_gen);
    PUT(g->flow, g->flow ? g->n_br : 0); /* none before the first solve */
    PUT(g->energised, g->energised ? g->n_bus : 0);
    city_state_put_u64(out, g->topo_version);
    city_state_put_u8(out, g->solved);
    PUT(g->feeder_step, g->n_feeders);
    PUT(g->load, g->n_load);
    PUT(g->pv, g->n_pv);
    PUT(g->bat, g->n_bat);
    PUT(g->chg, g->n_chg);
    PUT(g->lights, g->n_lights);
    PUT(g->ev, g->n_ev);
    PUT(g->load_kw_now, g->load_kw_now ? g->n_load : 0);
    PUT(g->load_kvar_now, g->load_kvar_now ? g->n_load : 0);
    PUT(g->load_full_now, g->load_full_now ? g->n_load : 0);
    PUT(g->pv_kw_now, g->pv_kw_now ? g->n_pv : 0);
    PUT(g->chg_kw_now, g->chg_kw_now ? g->n_chg : 0);
    city_state_put_f64(out, g->dev_t_s);
    city_state_put_f64(out, g->dev_dt_s);
    city_state_put_u8(out, g->dev_valid);
    const GridPf *pf = &g->pf;
    const size_t nnz = pf->num && pf->jx_piv ? (size_t)pf->jp[pf->nj] : 0;
    city_state_put_u64(out, pf->jac_for);
    city_state_put_u64(out, pf->built_for);
    city_state_put_array(out, pf->jx_piv, nnz, sizeof *pf->jx_piv);
    city_state_put_array(out, pf->jx, nnz, sizeof *pf->jx);
    return CITY_OK;
}

/* A per-device array of the period's powers: its saved length is either 0
 * (not evaluated yet) or the device count. */
static void get_now(CityStateReader *in, double **arr, int32_t *cap, int32_t n, const char *what)
{
    size_t got;
    double *p = city_state_get_alloc(in, &got, sizeof *p);
    if (in->bad)
        return;
    if (got != 0 && got != (size_t)n) {
        free(p);
        city_state_fail(in, "%s: the checkpoint holds %zu values for %d devices", what, got, (int)n);
        return;
    }
    if (!got)
        return;
    free(*arr);
    *arr = p;
    *cap = n;
}

/* A per-branch or per-bus array of the last solve's results: its saved
 * length is the element count, or 0 when saved before the first solve
 * (then zeros: not energised, no flow, as the hash and readers take a
 * missing array). The array always exists after a load. */
static void get_result(CityStateReader *in, void **arr, int32_t *cap, int32_t n, size_t size, const char *what)
{
    size_t got;
    void *p = city_state_get_alloc(in, &got, size);
    if (in->bad)
        return;
    if (got != 0 && got != (size_t)n) {
        free(p);
        city_state_fail(in, "%s: the checkpoint holds %zu values for %d elements", what, got, (int)n);
        return;
    }
    if (!p && !(p = calloc((size_t)n + 1, size))) {
        city_state_fail(in, "out of memory for the grid's results");
        return;
    }
    free(*arr);
    *arr = p;
    *cap = got ? n : n + 1;
}

CityStatus grid_state_load(CityGrid *g, CityStateReader *in)
{
    city_state_expect_tag(in, "GRID");
    GET(g->bus, g->n_bus, "grid buses");
    GET(g->br, g->n_br, "grid branches");
    GET(g->gen, g->n_gen, "grid generators");
    /* a scenario rebuilt for a restore has not solved yet: its result arrays may not exist */
    get_result(in, (void **)&g->flow, &g->cap_flow, g->n_br, sizeof *g->flow, "grid flows");
    get_result(in, (void **)&g->energised, &g->cap_energised, g->n_bus, sizeof *g->energised, "grid bus states");
    g->topo_version = city_state_get_u64(in);
    g->solved = city_state_get_u8(in);
    GET(g->feeder_step, g->n_feeders, "feeder results");
    GET(g->load, g->n_load, "loads");
    GET(g->pv, g->n_pv, "PV systems");
    GET(g->bat, g->n_bat, "batteries");
    GET(g->chg, g->n_chg, "chargers");
    GET(g->lights, g->n_lights, "streetlights");
    size_t n_ev;
    CityGridEv *ev = city_state_get_alloc(in, &n_ev, sizeof *ev); /* EVs come and go */
    if (!in->bad) {
        free(g->ev);
        g->ev = ev;
        g->n_ev = g->cap_ev = (int32_t)n_ev;
    }
    get_now(in, &g->load_kw_now, &g->cap_now[0], g->n_load, "load powers");
    get_now(in, &g->load_kvar_now, &g->cap_now[1], g->n_load, "load reactive powers");
    get_now(in, &g->load_full_now, &g->cap_now[2], g->n_load, "load demands");
    get_now(in, &g->pv_kw_now, &g->cap_now[3], g->n_pv, "PV powers");
    get_now(in, &g->chg_kw_now, &g->cap_now[4], g->n_chg, "charger powers");
    g->dev_t_s = city_state_get_f64(in);
    g->dev_dt_s = city_state_get_f64(in);
    g->dev_valid = city_state_get_u8(in);
    /* solver caches belong to the rebuilt run: rebuild them on the next solve */
    grid_pf_free(&g->pf);
    GridPf *pf = &g->pf;
    pf->ck_sig = city_state_get_u64(in);
    pf->ck_built_for = city_state_get_u64(in);
    size_t n_piv = 0, n_jx = 0;
    pf->ck_piv = city_state_get_alloc(in, &n_piv, sizeof *pf->ck_piv);
    pf->ck_jx = city_state_get_alloc(in, &n_jx, sizeof *pf->ck_jx);
    if (!in->bad && n_piv != n_jx)
        city_state_fail(in, "grid factors: %zu pivot values against %zu Jacobian values", n_piv, n_jx);
    pf->ck_nnz = in->bad ? 0 : n_jx;
    if (!pf->ck_nnz) {
        free(pf->ck_piv);
        free(pf->ck_jx);
        pf->ck_piv = pf->ck_jx = NULL;
    }
    return in->bad ? CITY_ERR_PARSE : CITY_OK;
}
