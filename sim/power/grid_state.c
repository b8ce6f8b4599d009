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

/* The scenario's records, before a load overwrites them. */
typedef struct GridStatic {
    CityGridBus *bus;
    CityGridBranch *br;
    CityGridGen *gen;
    CityGridLoad *load;
    CityGridPv *pv;
    CityGridBattery *bat;
    CityGridCharger *chg;
    CityGridLights *lights;
} GridStatic;

static void *copy_of(const void *p, int32_t n, size_t size)
{
    void *c = malloc((size_t)n * size + 1);
    if (c && n > 0)
        memcpy(c, p, (size_t)n * size);
    return c;
}

static bool static_copy(const CityGrid *g, GridStatic *s)
{
    s->bus = copy_of(g->bus, g->n_bus, sizeof *g->bus);
    s->br = copy_of(g->br, g->n_br, sizeof *g->br);
    s->gen = copy_of(g->gen, g->n_gen, sizeof *g->gen);
    s->load = copy_of(g->load, g->n_load, sizeof *g->load);
    s->pv = copy_of(g->pv, g->n_pv, sizeof *g->pv);
    s->bat = copy_of(g->bat, g->n_bat, sizeof *g->bat);
    s->chg = copy_of(g->chg, g->n_chg, sizeof *g->chg);
    s->lights = copy_of(g->lights, g->n_lights, sizeof *g->lights);
    return s->bus && s->br && s->gen && s->load && s->pv && s->bat && s->chg && s->lights;
}

static void static_free(GridStatic *s)
{
    free(s->bus);
    free(s->br);
    free(s->gen);
    free(s->load);
    free(s->pv);
    free(s->bat);
    free(s->chg);
    free(s->lights);
}

/* at = the first index i < n where `same` fails (a = restored, b = the scenario's), or -1. */
#define FIRST_CHANGED(at, arr, saved, n, same)                                                                         \
    do {                                                                                                               \
        for (int32_t i_ = 0; i_ < (n) && (at) < 0; i_++) {                                                             \
            const __typeof__(*(arr)) *a = &(arr)[i_], *b = &(saved)[i_];                                               \
            (void)b;                                                                                                   \
            if (!(same))                                                                                               \
                (at) = i_;                                                                                             \
        }                                                                                                              \
    } while (0)

/* The fields that tie the network and its devices together (ids, the buses
 * they stand on, profiles, ports, modes): a checkpoint holds whole records,
 * but these come from the scenario, and a changed one would send the
 * lookups by id that the solver and the devices make astray. */
static void static_check(const CityGrid *g, const GridStatic *s, CityStateReader *in)
{
    enum { BUS, BR, GEN, LOAD, PV, BAT, CHG, LIGHTS, EV, N };
    static const char *const what[N] = {"bus",     "branch",  "generator",   "load",         "PV system",
                                        "battery", "charger", "streetlight", "plugged-in EV"};
    int32_t at[N] = {-1, -1, -1, -1, -1, -1, -1, -1, -1};
    FIRST_CHANGED(at[BUS], g->bus, s->bus, g->n_bus, a->id == b->id && a->feeder == b->feeder && a->type == b->type);
    FIRST_CHANGED(at[BR], g->br, s->br, g->n_br,
                  a->id == b->id && a->from_bus == b->from_bus && a->to_bus == b->to_bus && a->kind == b->kind);
    FIRST_CHANGED(at[GEN], g->gen, s->gen, g->n_gen, a->bus == b->bus);
    FIRST_CHANGED(at[LOAD], g->load, s->load, g->n_load,
                  a->id == b->id && a->bus == b->bus && a->profile == b->profile);
    FIRST_CHANGED(at[PV], g->pv, s->pv, g->n_pv, a->id == b->id && a->bus == b->bus);
    FIRST_CHANGED(at[BAT], g->bat, s->bat, g->n_bat,
                  a->id == b->id && a->bus == b->bus && a->mode >= CITY_BATTERY_IDLE &&
                      a->mode <= CITY_BATTERY_PEAK_SHAVE);
    FIRST_CHANGED(at[CHG], g->chg, s->chg, g->n_chg, a->id == b->id && a->bus == b->bus && a->ports == b->ports);
    FIRST_CHANGED(at[LIGHTS], g->lights, s->lights, g->n_lights, a->id == b->id && a->bus == b->bus);
    FIRST_CHANGED(at[EV], g->ev, g->ev, g->n_ev, grid_find_sorted(g->chg, g->n_chg, sizeof *g->chg, a->charger) >= 0);
    for (int k = 0; k < N && !in->bad; k++)
        if (at[k] >= 0)
            city_state_fail(in,
                            "grid: %s %d in the checkpoint is not the scenario's (its id, bus or kind differs); the "
                            "checkpoint is damaged",
                            what[k], (int)at[k]);
}

CityStatus grid_state_load(CityGrid *g, CityStateReader *in)
{
    city_state_expect_tag(in, "GRID");
    GridStatic saved = {0};
    if (!static_copy(g, &saved))
        city_state_fail(in, "grid: out of memory checking the checkpoint");
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
    if (!in->bad)
        static_check(g, &saved, in);
    static_free(&saved);
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
