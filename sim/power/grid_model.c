/* The network model: buses, branches, generators, feeders, id lookup and
 * the state hash. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid_internal.h"

CityStatus grid_fail(CityGrid *grid, CityStatus status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    city_error_setv(&grid->error, status, fmt, ap);
    va_end(ap);
    return status;
}

/* ---- id map (open addressing, integer keys) ------------------------------ */

static uint32_t mix(int32_t key)
{
    uint32_t x = (uint32_t)key * 0x9E3779B1u;
    return x ^ (x >> 16);
}

int32_t grid_map_get(const GridIdMap *map, int32_t key)
{
    if (!map->cap)
        return -1;
    uint32_t mask = (uint32_t)map->cap - 1;
    for (uint32_t i = mix(key) & mask;; i = (i + 1) & mask) {
        if (!map->used[i])
            return -1;
        if (map->keys[i] == key)
            return map->vals[i];
    }
}

bool grid_map_put(GridIdMap *map, int32_t key, int32_t val)
{
    if ((map->count + 1) * 2 > map->cap) {
        int32_t cap = map->cap ? map->cap * 2 : 64;
        GridIdMap m = {calloc((size_t)cap, sizeof(int32_t)), calloc((size_t)cap, sizeof(int32_t)),
                       calloc((size_t)cap, 1), cap, 0};
        if (!m.keys || !m.vals || !m.used) {
            grid_map_free(&m);
            return false;
        }
        for (int32_t i = 0; i < map->cap; i++)
            if (map->used[i])
                grid_map_put(&m, map->keys[i], map->vals[i]);
        grid_map_free(map);
        *map = m;
    }
    uint32_t mask = (uint32_t)map->cap - 1;
    for (uint32_t i = mix(key) & mask;; i = (i + 1) & mask) {
        if (!map->used[i]) {
            map->used[i] = 1;
            map->keys[i] = key;
            map->vals[i] = val;
            map->count++;
            return true;
        }
        if (map->keys[i] == key) {
            map->vals[i] = val;
            return true;
        }
    }
}

void grid_map_free(GridIdMap *map)
{
    free(map->keys);
    free(map->vals);
    free(map->used);
    memset(map, 0, sizeof *map);
}

/* ---- life cycle ------------------------------------------------------------ */

CityGrid *city_grid_create(double base_mva)
{
    if (!(base_mva > 0) || !isfinite(base_mva))
        return NULL;
    CityGrid *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->base_mva = base_mva;
    g->topo_version = 1;
    snprintf(g->feeder_names[0], sizeof g->feeder_names[0], "main");
    g->n_feeders = 1;
    klu_defaults(&g->pf.common);
    return g;
}

void city_grid_destroy(CityGrid *g)
{
    if (!g)
        return;
    grid_pf_free(&g->pf);
    free(g->bus);
    free(g->br);
    free(g->gen);
    free(g->flow);
    free(g->gen_out);
    free(g->qlim_pq);
    free(g->energised);
    grid_map_free(&g->bus_ids);
    grid_map_free(&g->br_ids);
    free(g->load);
    free(g->pv);
    free(g->bat);
    free(g->chg);
    free(g->lights);
    free(g->ev);
    free(g->profiles);
    free(g->temperature.t_s);
    free(g->temperature.v);
    free(g->irradiance.t_s);
    free(g->irradiance.v);
    free(g->load_kw_now);
    free(g->load_kvar_now);
    free(g->load_full_now);
    free(g->pv_kw_now);
    free(g->chg_kw_now);
    free(g);
}

const char *city_grid_error(const CityGrid *g)
{
    return g->error.msg;
}
double city_grid_base_mva(const CityGrid *g)
{
    return g->base_mva;
}

static bool finite_all(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

/* The network's records into zeroed ones (see GRID_COPY) */
static void bus_canon(CityGridBus *d, const CityGridBus *s)
{
    _Static_assert(sizeof(CityGridBus) == 88, "a new field of CityGridBus: copy it here");
    memset(d, 0, sizeof *d);
    GRID_COPY(id), GRID_COPY(type), GRID_COPY(pd_mw), GRID_COPY(qd_mvar), GRID_COPY(gs_mw), GRID_COPY(bs_mvar);
    GRID_COPY(vm_pu), GRID_COPY(va_deg), GRID_COPY(base_kv), GRID_COPY(x_m), GRID_COPY(y_m), GRID_COPY(feeder);
}
static void branch_canon(CityGridBranch *d, const CityGridBranch *s)
{
    _Static_assert(sizeof(CityGridBranch) == 72, "a new field of CityGridBranch: copy it here");
    memset(d, 0, sizeof *d);
    GRID_COPY(id), GRID_COPY(from_bus), GRID_COPY(to_bus), GRID_COPY(r_pu), GRID_COPY(x_pu), GRID_COPY(b_pu);
    GRID_COPY(rate_mva), GRID_COPY(ratio), GRID_COPY(shift_deg), GRID_COPY(kind), GRID_COPY(closed);
}
static void gen_canon(CityGridGen *d, const CityGridGen *s)
{
    _Static_assert(sizeof(CityGridGen) == 56, "a new field of CityGridGen: copy it here");
    memset(d, 0, sizeof *d);
    GRID_COPY(bus), GRID_COPY(pg_mw), GRID_COPY(qg_mvar), GRID_COPY(qmax_mvar), GRID_COPY(qmin_mvar);
    GRID_COPY(vg_pu), GRID_COPY(on);
}

CityStatus city_grid_add_bus(CityGrid *g, const CityGridBus *b)
{
    if (b->id <= 0)
        return grid_fail(g, CITY_ERR_INVALID, "bus id %d must be a positive integer", (int)b->id);
    if (grid_map_get(&g->bus_ids, b->id) >= 0)
        return grid_fail(g, CITY_ERR_INVALID, "bus %d is defined twice; give every bus its own id", (int)b->id);
    if (b->type < CITY_BUS_PQ || b->type > CITY_BUS_ISOLATED)
        return grid_fail(g, CITY_ERR_INVALID, "bus %d has type %d; use 1 (PQ), 2 (PV), 3 (slack) or 4 (isolated)",
                         (int)b->id, (int)b->type);
    double nums[] = {b->pd_mw, b->qd_mvar, b->gs_mw, b->bs_mvar, b->vm_pu, b->va_deg, b->base_kv, b->x_m, b->y_m};
    if (!finite_all(nums, 9))
        return grid_fail(g, CITY_ERR_INVALID, "bus %d has a value that is not a finite number", (int)b->id);
    if (!city_array_grow((void **)&g->bus, &g->cap_bus, g->n_bus + 1, sizeof *g->bus) ||
        !grid_map_put(&g->bus_ids, b->id, g->n_bus))
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory adding bus %d", (int)b->id);
    CityGridBus *nb = &g->bus[g->n_bus++];
    bus_canon(nb, b);
    if (!(nb->vm_pu > 0))
        nb->vm_pu = 1.0;
    if (nb->feeder < 0 || nb->feeder >= g->n_feeders)
        nb->feeder = 0;
    g->topo_version++;
    return CITY_OK;
}

CityStatus city_grid_add_branch(CityGrid *g, const CityGridBranch *b)
{
    if (grid_map_get(&g->br_ids, b->id) >= 0)
        return grid_fail(g, CITY_ERR_INVALID, "branch %d is defined twice; give every branch its own id", (int)b->id);
    if (grid_map_get(&g->bus_ids, b->from_bus) < 0 || grid_map_get(&g->bus_ids, b->to_bus) < 0)
        return grid_fail(g, CITY_ERR_INVALID,
                         "branch %d connects bus %d to bus %d, but bus %d does not exist; add "
                         "the bus first or fix the number",
                         (int)b->id, (int)b->from_bus, (int)b->to_bus,
                         (int)(grid_map_get(&g->bus_ids, b->from_bus) < 0 ? b->from_bus : b->to_bus));
    if (b->from_bus == b->to_bus)
        return grid_fail(g, CITY_ERR_INVALID, "branch %d connects bus %d to itself; a branch needs two buses",
                         (int)b->id, (int)b->from_bus);
    double nums[] = {b->r_pu, b->x_pu, b->b_pu, b->rate_mva, b->ratio, b->shift_deg};
    if (!finite_all(nums, 6))
        return grid_fail(g, CITY_ERR_INVALID, "branch %d has a value that is not a finite number", (int)b->id);
    CityGridBranch nb = *b;
    if (nb.kind == CITY_BRANCH_SWITCH && nb.r_pu == 0 && nb.x_pu == 0)
        nb.x_pu = 1e-6; /* a closed breaker: tiny but finite impedance keeps Ybus regular */
    if (nb.r_pu == 0 && nb.x_pu == 0)
        return grid_fail(g, CITY_ERR_INVALID,
                         "branch %d (bus %d to %d) has zero impedance (r = x = 0); give it a "
                         "small reactance such as x = 1e-4 pu, or make it a switch",
                         (int)b->id, (int)b->from_bus, (int)b->to_bus);
    if (nb.ratio < 0)
        return grid_fail(g, CITY_ERR_INVALID, "branch %d has a negative tap ratio %g; use a positive ratio (0 means 1)",
                         (int)b->id, b->ratio);
    if (!city_array_grow((void **)&g->br, &g->cap_br, g->n_br + 1, sizeof *g->br) ||
        !grid_map_put(&g->br_ids, b->id, g->n_br))
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory adding branch %d", (int)b->id);
    branch_canon(&g->br[g->n_br++], &nb);
    g->topo_version++;
    return CITY_OK;
}

CityStatus city_grid_add_gen(CityGrid *g, const CityGridGen *gen)
{
    if (grid_map_get(&g->bus_ids, gen->bus) < 0)
        return grid_fail(g, CITY_ERR_INVALID, "generator at bus %d: no such bus; add the bus first or fix the number",
                         (int)gen->bus);
    double nums[] = {gen->pg_mw, gen->qg_mvar, gen->vg_pu};
    if (!finite_all(nums, 3))
        return grid_fail(g, CITY_ERR_INVALID, "generator at bus %d has a value that is not a finite number",
                         (int)gen->bus);
    if (!city_array_grow((void **)&g->gen, &g->cap_gen, g->n_gen + 1, sizeof *g->gen))
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory adding a generator");
    gen_canon(&g->gen[g->n_gen++], gen);
    g->topo_version++;
    return CITY_OK;
}

const CityGridBus *city_grid_buses(const CityGrid *g, int32_t *count)
{
    *count = g->n_bus;
    return g->bus;
}

const CityGridBranch *city_grid_branches(const CityGrid *g, int32_t *count)
{
    *count = g->n_br;
    return g->br;
}

const CityGridGen *city_grid_gens(const CityGrid *g, int32_t *count)
{
    *count = g->n_gen;
    return g->gen;
}

int32_t city_grid_bus_index(const CityGrid *g, int32_t id)
{
    return grid_map_get(&g->bus_ids, id);
}
int32_t city_grid_branch_index(const CityGrid *g, int32_t id)
{
    return grid_map_get(&g->br_ids, id);
}

CityStatus city_grid_bus_place(CityGrid *g, int32_t id, double x_m, double y_m)
{
    int32_t i = grid_map_get(&g->bus_ids, id);
    if (i < 0)
        return grid_fail(g, CITY_ERR_INVALID, "no bus %d to place", (int)id);
    g->bus[i].x_m = x_m;
    g->bus[i].y_m = y_m;
    return CITY_OK;
}

CityStatus city_grid_bus_set_load(CityGrid *g, int32_t id, double pd_mw, double qd_mvar)
{
    int32_t i = grid_map_get(&g->bus_ids, id);
    if (i < 0)
        return grid_fail(g, CITY_ERR_INVALID, "no bus %d to load", (int)id);
    if (!isfinite(pd_mw) || !isfinite(qd_mvar))
        return grid_fail(g, CITY_ERR_INVALID, "bus %d: load must be finite", (int)id);
    g->bus[i].pd_mw = pd_mw;
    g->bus[i].qd_mvar = qd_mvar;
    return CITY_OK;
}

int32_t city_grid_feeder(CityGrid *g, const char *name)
{
    for (int32_t i = 0; i < g->n_feeders; i++)
        if (!strcmp(g->feeder_names[i], name))
            return i;
    if (g->n_feeders == GRID_MAX_FEEDERS || strlen(name) >= sizeof g->feeder_names[0] || !name[0])
        return -1;
    snprintf(g->feeder_names[g->n_feeders], sizeof g->feeder_names[0], "%s", name);
    return g->n_feeders++;
}

CityStatus city_grid_bus_set_feeder(CityGrid *g, int32_t id, int32_t feeder)
{
    int32_t i = grid_map_get(&g->bus_ids, id);
    if (i < 0 || feeder < 0 || feeder >= g->n_feeders)
        return grid_fail(g, CITY_ERR_INVALID, "bus %d or feeder %d does not exist", (int)id, (int)feeder);
    g->bus[i].feeder = feeder;
    return CITY_OK;
}

int32_t city_grid_feeder_count(const CityGrid *g)
{
    return g->n_feeders;
}

const char *city_grid_feeder_name(const CityGrid *g, int32_t f)
{
    return f >= 0 && f < g->n_feeders ? g->feeder_names[f] : "";
}

CityStatus city_grid_branch_set_closed(CityGrid *g, int32_t id, bool closed)
{
    int32_t i = grid_map_get(&g->br_ids, id);
    if (i < 0)
        return grid_fail(g, CITY_ERR_INVALID, "no branch %d to %s; check the branch id", (int)id,
                         closed ? "close" : "open");
    if (g->br[i].closed != closed) {
        g->br[i].closed = closed;
        g->topo_version++;
    }
    return CITY_OK;
}

const CityGridFlow *city_grid_flows(const CityGrid *g, int32_t *count)
{
    *count = g->flow ? g->n_br : 0;
    return g->flow;
}

bool city_grid_bus_energised(const CityGrid *g, int32_t i)
{
    return g->energised && i >= 0 && i < g->n_bus && g->energised[i];
}

const CityGridFeederStep *city_grid_feeder_steps(const CityGrid *g, int32_t *count)
{
    *count = g->n_feeders;
    return g->feeder_step;
}

void city_grid_hash(const CityGrid *g, CityHash *h)
{
    city_hash_f64(h, g->base_mva);
    city_hash_u64(h, (uint64_t)g->n_bus);
    for (int32_t i = 0; i < g->n_bus; i++) {
        const CityGridBus *b = &g->bus[i];
        city_hash_i64(h, b->id);
        city_hash_i64(h, b->type);
        double v[] = {b->pd_mw, b->qd_mvar, b->gs_mw, b->bs_mvar, b->vm_pu, b->va_deg, b->x_m, b->y_m};
        city_hash_f64_array(h, v, 8);
        city_hash_u64(h, g->energised ? g->energised[i] : 0);
    }
    for (int32_t i = 0; i < g->n_br; i++) {
        const CityGridBranch *b = &g->br[i];
        city_hash_i64(h, b->id);
        city_hash_u64(h, b->closed);
        double v[] = {b->r_pu, b->x_pu, b->b_pu, b->ratio, b->shift_deg};
        city_hash_f64_array(h, v, 5);
    }
    for (int32_t i = 0; i < g->n_gen; i++) {
        double v[] = {g->gen[i].pg_mw, g->gen[i].qg_mvar, g->gen[i].vg_pu};
        city_hash_f64_array(h, v, 3);
    }
    for (int32_t i = 0; i < g->n_load; i++) {
        double v[] = {g->load[i].p_kw, g->load[i].q_kvar, g->load[i].shed};
        city_hash_f64_array(h, v, 3);
    }
    for (int32_t i = 0; i < g->n_load; i++) /* demand response: only loads that ever had an offset */
        if (g->load[i].setpoint_offset_c != 0.0) {
            city_hash_i64(h, i);
            city_hash_f64_array(h, &g->load[i].setpoint_offset_c, 1);
        }
    for (int32_t i = 0; i < g->n_bat; i++) {
        const CityGridBattery *b = &g->bat[i];
        double v[] = {b->soc, b->p_kw, b->throughput_kwh, b->setpoint_kw};
        city_hash_i64(h, b->id);
        city_hash_i64(h, b->mode);
        city_hash_f64_array(h, v, 4);
    }
    for (int32_t i = 0; i < g->n_chg; i++) {
        city_hash_f64(h, g->chg[i].p_kw);
        city_hash_f64(h, g->chg[i].delivered_kwh);
    }
    for (int32_t i = 0; i < g->n_lights; i++)
        city_hash_f64(h, g->lights[i].dim);
    for (int32_t i = 0; i < g->n_ev; i++) {
        city_hash_u64(h, g->ev[i].key);
        city_hash_i64(h, g->ev[i].charger);
        city_hash_f64(h, g->ev[i].energy_kwh);
    }
}
