/* Pedestrians in a checkpoint: the id pool and the people (positions,
 * velocities, Chipmunk's bias velocities, routes and progress, bodies,
 * free speeds, stand times), the departures waiting for a spot, every
 * flow (with its next departure), door states (red per way), which
 * crossings are zebras, counters and the largest
 * radius seen (Chipmunk's broad phase and the walls by cell follow it).
 * The walkable space comes from the scenario's top level on restore; the
 * rng stream and the walks table are the world's. Chipmunk keeps nothing
 * else from a step to the next (no warm start, ped_physics.c), so bodies
 * rebuilt in slot order continue the run exactly. Forces, directions and
 * grids are recomputed at every substep and are not saved. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "ped_internal.h"

#define PUT(arr, n) city_state_put_array(out, (arr), (size_t)(n), sizeof *(arr))
#define GET(arr, n, what) city_state_get_array(in, (arr), (size_t)(n), sizeof *(arr), (what))

/* The per-person arrays of doubles, in one list so save and load agree. */
#define PED_F64_ARRAYS(X) X(x) X(y) X(vx) X(vy) X(r) X(m) X(v0) X(tx) X(ty) X(heading) X(depart_s) X(stuck_s)
#define PED_I32_ARRAYS(X) X(leg) X(area) X(route_len)

static void put_spawn(CityStateWriter *out, const CityPedSpawnDef *d)
{
    double v[] = {d->x, d->y, d->to_x, d->to_y, d->heading_rad, d->speed_mps, d->radius_m};
    PUT(v, 7);
    city_state_put_u8(out, d->use_heading);
    city_state_put_u8(out, d->at_speed);
}

static void get_spawn(CityStateReader *in, CityPedSpawnDef *d)
{
    double v[7] = {0};
    GET(v, 7, "departure");
    *d = (CityPedSpawnDef){
        .x = v[0], .y = v[1], .to_x = v[2], .to_y = v[3], .heading_rad = v[4], .speed_mps = v[5], .radius_m = v[6]};
    d->use_heading = city_state_get_u8(in) != 0;
    d->at_speed = city_state_get_u8(in) != 0;
}

static void save_dense(const CityDense *dense, CityStateWriter *out)
{
    const CityPool *pool = &dense->pool;
    city_state_put_u32(out, pool->used);
    PUT(pool->gen, pool->used);
    PUT(pool->free_list, pool->free_count);
    city_state_put_u32(out, pool->live);
    city_state_put_u32(out, dense->count);
    PUT(dense->index_of, dense->count);
    PUT(dense->slot_of, pool->used);
}

/* Grows the (empty) set by handing out `used` ids, then overwrites it. */
static bool load_dense(CityDense *dense, CityStateReader *in)
{
    uint32_t used = city_state_get_u32(in);
    /* a slot takes its generation and its slot number at least: a damaged count asks for no room */
    if (in->bad || used > (1u << 28) || !city_state_count_fits(in, used, 8))
        return city_state_fail(in, "ped: damaged id pool");
    for (uint32_t k = 0; k < used; k++)
        if (city_id_is_null(city_dense_add(dense, NULL)))
            return city_state_fail(in, "ped: out of memory restoring %u people", used);
    CityPool *pool = &dense->pool;
    GET(pool->gen, used, "person generations");
    size_t n_free;
    uint32_t *free_list = city_state_get_alloc(in, &n_free, sizeof *free_list);
    if (n_free > pool->cap) {
        free(free_list);
        return city_state_fail(in, "ped: damaged free list");
    }
    if (n_free)
        memcpy(pool->free_list, free_list, n_free * sizeof *free_list);
    free(free_list);
    pool->free_count = (uint32_t)n_free;
    pool->used = used;
    pool->live = city_state_get_u32(in);
    uint32_t count = city_state_get_u32(in);
    if (count > used || pool->live != count)
        return city_state_fail(in, "ped: damaged id pool (%u live of %u)", count, used);
    dense->count = count;
    GET(dense->index_of, count, "person slots");
    GET(dense->slot_of, used, "person indices");
    if (!in->bad && !city_dense_consistent(dense))
        return city_state_fail(in, "ped: damaged id pool (slots and indices disagree)");
    return !in->bad;
}

static void save_flows(const CityPed *ped, CityStateWriter *out)
{
    city_state_put_u32(out, (uint32_t)ped->n_flows);
    for (int32_t i = 0; i < ped->n_flows; i++) {
        const CityPedFlowDef *f = &ped->flows[i].def;
        double v[] = {f->from_x, f->from_y,           f->from_radius_m,    f->to_x, f->to_y, f->to_radius_m, f->begin_s,
                      f->end_s,  f->persons_per_hour, ped->flows[i].next_s};
        PUT(v, 10);
        city_state_put_u8(out, f->poisson);
    }
}

/* A flow's next departure as a step leaves it: from its begin on, and
 * not before the checkpoint's time unless the flow is over (the world's
 * clock is restored before the subsystems). One far before would have the
 * next step queue every person in between: a million-person flow at once,
 * or, from -1e300 (where a time plus a headway is the same time), no end. */
static bool flow_clock_ok(const CityPed *ped, const PedFlow *f)
{
    const double next = f->next_s, dt = city_world_dt_ms(ped->world) / 1000.0;
    if (!isfinite(next) || next < f->def.begin_s)
        return false;
    return city_world_tick(ped->world) == 0 || next >= fmin(city_world_time_s(ped->world), f->def.end_s) - dt;
}

static bool load_flows(CityPed *ped, CityStateReader *in)
{
    uint32_t n = city_state_get_u32(in);
    if (in->bad || n > (1u << 24) || !city_state_count_fits(in, n, 16 + 10 * 8 + 1) || /* 10 numbers, a flag */
        !city_array_grow((void **)&ped->flows, &ped->cap_flows, (int32_t)n + 1, sizeof(PedFlow)))
        return city_state_fail(in, "ped: cannot restore %u flows", n);
    for (uint32_t i = 0; i < n; i++) {
        double v[10] = {0};
        GET(v, 10, "flow");
        ped->flows[i] = (PedFlow){.def = {.from_x = v[0],
                                          .from_y = v[1],
                                          .from_radius_m = v[2],
                                          .to_x = v[3],
                                          .to_y = v[4],
                                          .to_radius_m = v[5],
                                          .begin_s = v[6],
                                          .end_s = v[7],
                                          .persons_per_hour = v[8]},
                                  .next_s = v[9]};
        ped->flows[i].def.poisson = city_state_get_u8(in) != 0;
        if (!in->bad && (!ped_flow_def_ok(&ped->flows[i].def) || !flow_clock_ok(ped, &ped->flows[i])))
            return city_state_fail(in, "ped: flow %u is damaged in the checkpoint", i);
    }
    ped->n_flows = (int32_t)n;
    return !in->bad;
}

/* Signed door steps (door * 2 + way) of the walkable space. */
static bool route_ok(const CityPed *ped, const int32_t *route, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (route[k] < 0 || route[k] / 2 >= ped->space.n_doors)
            return false;
    return true;
}

/* How far outside the box of the walkable space a restored person may
 * stand (m): people pushed out of it are counted as strays, not lost. */
#define PED_RESTORE_MARGIN_M 1000.0
/* The fastest a restored person may move (m/s), whatever pushed them. */
#define PED_RESTORE_MAX_SPEED_MPS 100.0

/* Numbers that become forces, Chipmunk's bodies and cells of the grids:
 * finite (a NaN would reach Chipmunk, which aborts on it), a position near
 * the walkable space, a speed and size a person can have (a radius of
 * 1e12 m listed the walls in 1e24 cells); the heading may be NaN (none). */
static bool person_numbers_ok(const CityPed *ped, uint32_t i)
{
    const double v[] = {ped->vx[i], ped->vy[i], ped->v0[i],       ped->tx[i],     ped->ty[i],
                        ped->x[i],  ped->y[i],  ped->depart_s[i], ped->stuck_s[i]};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
        if (!isfinite(v[k]))
            return false;
    const PedSpace *s = &ped->space;
    const double m = PED_RESTORE_MARGIN_M, x1 = s->gx0 + s->gnx * s->cell_w, y1 = s->gy0 + s->gny * s->cell_h;
    return ped->v0[i] >= 0 && ped->v0[i] <= PED_RESTORE_MAX_SPEED_MPS && !isinf(ped->heading[i]) &&
           fabs(ped->vx[i]) <= PED_RESTORE_MAX_SPEED_MPS && fabs(ped->vy[i]) <= PED_RESTORE_MAX_SPEED_MPS &&
           ped->r[i] > 0 && ped->r[i] <= CITY_PED_MAX_RADIUS_M && ped->m[i] > 0 && isfinite(ped->m[i]) &&
           ped->x[i] >= s->gx0 - m && ped->x[i] <= x1 + m && ped->y[i] >= s->gy0 - m && ped->y[i] <= y1 + m;
}

/* The radius the walls and the physics were fitted to: a person's at most. */
static bool radius_ok(double r)
{
    return r >= 0 && r <= CITY_PED_MAX_RADIUS_M; /* false for NaN */
}

static void save_pending(const CityPed *ped, CityStateWriter *out)
{
    city_state_put_u32(out, (uint32_t)ped->n_pending);
    for (int32_t i = 0; i < ped->n_pending; i++) {
        const PedPending *p = &ped->pending[i];
        put_spawn(out, &p->def);
        PUT(p->route, p->route_len);
        double v[] = {p->speed_mps, p->radius_m, p->mass_kg, p->queued_s};
        PUT(v, 4);
    }
}

static bool load_pending(CityPed *ped, CityStateReader *in)
{
    for (int32_t i = 0; i < ped->n_pending; i++)
        ped_pending_free(&ped->pending[i]);
    ped->n_pending = 0;
    uint32_t n = city_state_get_u32(in);
    /* a departure, a route and 4 numbers: 3 arrays (48 bytes), 11 numbers and 2 flags */
    if (in->bad || n > (1u << 26) || !city_state_count_fits(in, n, 48 + 11 * 8 + 2) ||
        !city_array_grow((void **)&ped->pending, &ped->cap_pending, (int32_t)n + 1, sizeof(PedPending)))
        return city_state_fail(in, "ped: cannot restore %u waiting departures", n);
    for (uint32_t i = 0; i < n && !in->bad; i++) {
        PedPending *p = &ped->pending[ped->n_pending++];
        *p = (PedPending){0};
        get_spawn(in, &p->def);
        size_t len;
        p->route = city_state_get_alloc(in, &len, sizeof *p->route);
        p->route_len = (int32_t)len;
        if (!in->bad && !route_ok(ped, p->route, len))
            city_state_fail(in, "ped: waiting departure %u has a damaged route", i);
        double v[4] = {0};
        GET(v, 4, "departure");
        p->speed_mps = v[0];
        p->radius_m = v[1];
        p->mass_kg = v[2];
        p->queued_s = v[3];
        const CityPedSpawnDef *d = &p->def;
        const double nums[] = {d->x, d->y, d->to_x, d->to_y, d->speed_mps, d->radius_m, v[0], v[3]};
        bool ok = p->radius_m > 0 && p->mass_kg > 0 && isfinite(p->radius_m) && isfinite(p->mass_kg) &&
                  isfinite(d->heading_rad);
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
            ok = ok && isfinite(nums[k]);
        if (!in->bad && !ok)
            city_state_fail(in, "ped: waiting departure %u has a number out of range", i);
    }
    return !in->bad;
}

CityStatus ped_state_save(const CityWorld *world, const void *self, CityStateWriter *out)
{
    (void)world;
    const CityPed *ped = self;
    uint32_t n = ped->dense.count;
    city_state_put_tag(out, "PEDS");
    city_state_put_u8(out, ped->space.sealed);
    city_state_put_f64(out, ped->phys ? ped_physics_max_radius(ped->phys) : 0.0);
    city_state_put_f64(out, ped->space.wall_hash_r_m);
    save_dense(&ped->dense, out);
#define SAVE_ONE(f) PUT(ped->f, n);
    PED_F64_ARRAYS(SAVE_ONE)
    PED_I32_ARRAYS(SAVE_ONE)
#undef SAVE_ONE
    PUT(ped->arrived, n);
    for (uint32_t i = 0; i < n; i++) {
        PUT(ped->route[i], ped->route_len[i]);
        double bias[2];
        ped_physics_get_bias(ped->body[i], &bias[0], &bias[1]);
        PUT(bias, 2);
    }
    save_pending(ped, out);
    save_flows(ped, out);
    city_state_put_u32(out, (uint32_t)ped->space.n_doors);
    for (int32_t d = 0; d < ped->space.n_doors; d++)
        city_state_put_u8(out, ped->space.doors[d].closed);
    city_state_put_u32(out, (uint32_t)city_ped_crossing_count(ped));
    for (int32_t c = 0; c < city_ped_crossing_count(ped); c++)
        city_state_put_u8(out, city_ped_crossing_get(ped, c)->priority);
    uint64_t counters[] = {ped->stats.departed, ped->stats.arrived, ped->stats.updates, ped->reroutes, ped->strays};
    PUT(counters, 5);
    city_state_put_f64(out, ped->stats.walk_time_s);
    return CITY_OK;
}

/* Bodies for the restored people, in slot order (the broad phase's order). */
static bool load_bodies(CityPed *ped, CityStateReader *in)
{
    uint32_t n = ped->dense.count;
    for (uint32_t i = 0; i < n && !in->bad; i++) {
        size_t len;
        ped->route[i] = city_state_get_alloc(in, &len, sizeof *ped->route[i]);
        if ((int32_t)len != ped->route_len[i] || !route_ok(ped, ped->route[i], len) || ped->leg[i] < 0 ||
            ped->leg[i] > ped->route_len[i] || ped->area[i] < -1 || ped->area[i] >= ped->space.n_areas ||
            !person_numbers_ok(ped, i))
            return city_state_fail(in, "ped: person %u has a damaged route, area or state", i);
        double bias[2] = {0};
        GET(bias, 2, "bias velocity");
        ped->in_area[i] = -1; /* no inside test yet */
        ped->body[i] = ped_physics_add_body(ped->phys, ped->x[i], ped->y[i], ped->r[i], ped->m[i],
                                            city_id_pack(city_dense_id(&ped->dense, i)));
        if (!ped->body[i])
            return city_state_fail(in, "ped: person %u cannot be put back into the physics", i);
        ped_physics_set_velocity(ped->body[i], ped->vx[i], ped->vy[i]);
        ped_physics_set_bias(ped->body[i], bias[0], bias[1]);
    }
    return !in->bad;
}

static bool load_people(CityPed *ped, CityStateReader *in)
{
    if (ped->dense.count != 0)
        return city_state_fail(in, "ped: people were walking before the restore; restore a world at tick 0");
    bool sealed = city_state_get_u8(in) != 0;
    double max_r = city_state_get_f64(in), wall_r = city_state_get_f64(in);
    if (!in->bad && (!radius_ok(max_r) || !radius_ok(wall_r)))
        return city_state_fail(in, "ped: the widest person's radius is damaged in the checkpoint (%g m, %g m)", max_r,
                               wall_r);
    if (sealed && ped_space_seal(ped) != CITY_OK)
        return city_state_fail(in, "%s", city_world_error(ped->world));
    if (sealed && ped_space_fit_radius(ped, wall_r) != CITY_OK)
        return city_state_fail(in, "%s", city_world_error(ped->world));
    if (sealed)
        ped_physics_fit_radius(ped->phys, max_r);
    if (!load_dense(&ped->dense, in)) {
        ped->dense.count = 0; /* the per-person arrays were not made: nobody to free */
        return false;
    }
    uint32_t n = ped->dense.count;
    if (n > 0 && (!sealed || !ped_people_reserve(ped, n))) {
        ped->dense.count = 0; /* nobody to free */
        return city_state_fail(in, "ped: cannot make room for %u people", n);
    }
#define LOAD_ONE(f) GET(ped->f, n, "person " #f);
    PED_F64_ARRAYS(LOAD_ONE)
    PED_I32_ARRAYS(LOAD_ONE)
#undef LOAD_ONE
    GET(ped->arrived, n, "arrivals");
    for (uint32_t i = 0; i < n; i++)
        ped->route[i] = NULL; /* freed by the destroy hook even if the restore stops half-way */
    return !in->bad && load_bodies(ped, in);
}

CityStatus ped_state_load(CityWorld *world, void *self, CityStateReader *in)
{
    (void)world;
    CityPed *ped = self;
    if (!city_state_expect_tag(in, "PEDS") || !load_people(ped, in) || !load_pending(ped, in) || !load_flows(ped, in))
        return CITY_ERR_PARSE;
    uint32_t n_doors = city_state_get_u32(in);
    if (!in->bad && n_doors != (uint32_t)ped->space.n_doors)
        city_state_fail(in, "ped: the checkpoint has %u doors, the scenario %d", n_doors, (int)ped->space.n_doors);
    for (int32_t d = 0; d < ped->space.n_doors && !in->bad; d++)
        ped->space.doors[d].closed = city_state_get_u8(in) & 3u; /* red per way */
    uint32_t n_cross = city_state_get_u32(in);
    if (!in->bad && n_cross != (uint32_t)city_ped_crossing_count(ped))
        city_state_fail(in, "ped: the checkpoint has %u crossings, the scenario %d", n_cross,
                        (int)city_ped_crossing_count(ped));
    for (int32_t c = 0; c < city_ped_crossing_count(ped) && !in->bad; c++)
        city_ped_crossing_set_priority(ped, c, city_state_get_u8(in) != 0);
    uint64_t counters[5] = {0};
    GET(counters, 5, "counters");
    ped->stats.departed = counters[0];
    ped->stats.arrived = counters[1];
    ped->stats.updates = counters[2];
    ped->reroutes = counters[3];
    ped->strays = counters[4];
    ped->stats.walk_time_s = city_state_get_f64(in);
    return in->bad ? CITY_ERR_PARSE : CITY_OK;
}
