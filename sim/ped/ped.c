/* The pedestrian subsystem: parameters, people in dense arrays, the step
 * (forces, Chipmunk, routing progress) and the state hash. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ped_internal.h"

#define PED_SUBSYSTEM "ped"

void city_ped_params_defaults(CityPedParams *p)
{
    memset(p, 0, sizeof *p);
    p->speed_mean_mps = 1.34;
    p->speed_sd_mps = 0.26;
    p->speed_min_mps = 0.5; /* symmetric about the mean: the mean stays 1.34 */
    p->speed_max_mps = 2.18;
    p->max_speed_factor = 1.3;
    p->tau_s = 0.5;
    p->radius_mean_m = 0.2;
    p->radius_sd_m = 0.015;
    p->mass_kg = 80.0;
    p->a_n = 2000.0;
    p->b_m = 0.04;
    p->lambda = 0.3;
    p->wall_a_n = 2000.0;
    p->wall_b_m = 0.06;
    p->cutoff_m = 2.0;
    p->headway_a_m = 0.25;
    p->headway_t_s = 0.7;
    p->path_share = 0.6;
    p->evade_mps2 = 1.0;
    p->noise_mps2 = 0.5;
    p->iterations = 6;
    p->slop_m = 0.01;
    p->wall_radius_m = 0.05;
    p->max_substep_s = 0.1;
    p->arrive_radius_m = 0.5;
    p->walk_output = true;
    p->yield = true;
    p->red_walker_share = 0.0;
    p->critical_gap_s = 0.0;
    p->gap_speed_mps = 1.07;
    p->gap_startup_s = 3.0;
    p->conflict_ttc_s = 1.5;
    p->conflict_pet_s = 5.0;
}

CityStatus ped_fail(CityPed *ped, CityStatus status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    city_world_failv(ped->world, status, fmt, ap);
    va_end(ap);
    return status;
}

static CityStatus check_params(CityWorld *w, const CityPedParams *p)
{
    struct {
        const char *name;
        double v;
        double lo;
    } pos[] = {{"speed_mean_mps", p->speed_mean_mps, 0},
               {"speed_min_mps", p->speed_min_mps, 0},
               {"max_speed_factor", p->max_speed_factor, 1},
               {"tau_s", p->tau_s, 0},
               {"radius_mean_m", p->radius_mean_m, 0},
               {"mass_kg", p->mass_kg, 0},
               {"b_m", p->b_m, 0},
               {"wall_b_m", p->wall_b_m, 0},
               {"cutoff_m", p->cutoff_m, 0},
               {"slop_m", p->slop_m, -1e-300},
               {"wall_radius_m", p->wall_radius_m, -1e-300},
               {"max_substep_s", p->max_substep_s, 0},
               {"arrive_radius_m", p->arrive_radius_m, 0},
               {"gap_speed_mps", p->gap_speed_mps, 0},
               {"gap_startup_s", p->gap_startup_s, -1e-300},
               {"critical_gap_s", p->critical_gap_s, -1e-300},
               {"conflict_ttc_s", p->conflict_ttc_s, 0},
               {"conflict_pet_s", p->conflict_pet_s, 0}};
    if (!(p->red_walker_share >= 0 && p->red_walker_share <= 1))
        return city_world_fail(w, CITY_ERR_INVALID, "ped: parameter red_walker_share must be in [0, 1]");
    if (!isfinite(p->path_share) || p->path_share <= 0 || p->path_share > 1)
        return city_world_fail(w, CITY_ERR_INVALID, "ped: parameter path_share must be in (0, 1]");
    if (!isfinite(p->noise_mps2) || p->noise_mps2 < 0)
        return city_world_fail(w, CITY_ERR_INVALID, "ped: parameter noise_mps2 must be a number >= 0");
    if (!isfinite(p->evade_mps2) || p->evade_mps2 < 0)
        return city_world_fail(w, CITY_ERR_INVALID, "ped: parameter evade_mps2 must be a number >= 0");
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (!isfinite(pos[i].v) || !(pos[i].v > pos[i].lo))
            return city_world_fail(w, CITY_ERR_INVALID, "ped: parameter %s = %g must be a number above %g", pos[i].name,
                                   pos[i].v, pos[i].lo < 0 ? 0 : pos[i].lo);
    double rest[] = {p->speed_sd_mps, p->speed_max_mps, p->radius_sd_m, p->a_n, p->wall_a_n, p->lambda};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        if (!isfinite(rest[i]) || rest[i] < 0)
            return city_world_fail(w, CITY_ERR_INVALID,
                                   "ped: parameters speed_sd_mps, speed_max_mps, radius_sd_m, a_n, wall_a_n and "
                                   "lambda must be finite and not negative");
    if (p->speed_max_mps < p->speed_min_mps || p->lambda > 1 || p->iterations < 1 || p->iterations > 100 ||
        p->radius_sd_m > 0.5 * p->radius_mean_m || p->radius_mean_m + 3 * p->radius_sd_m > CITY_PED_MAX_RADIUS_M)
        return city_world_fail(w, CITY_ERR_INVALID,
                               "ped: need speed_min <= speed_max, 0 <= lambda <= 1, 1 <= iterations <= 100, "
                               "radius_sd_m <= radius_mean_m / 2 and radius_mean_m + 3 radius_sd_m <= %g m",
                               CITY_PED_MAX_RADIUS_M);
    return CITY_OK;
}

static void ped_destroy(void *self)
{
    CityPed *ped = self;
    if (!ped)
        return;
    for (uint32_t i = 0; ped->route && i < ped->dense.count; i++) /* a restore may stop before the arrays exist */
        free(ped->route[i]);
    ped_physics_destroy(ped->phys);
    for (int32_t i = 0; i < ped->n_pending; i++)
        ped_pending_free(&ped->pending[i]);
    free(ped->pending);
    free(ped->flows);
    void *arrays[] = {ped->x,         ped->y,          ped->vx,         ped->vy,        ped->fx,
                      ped->fy,        ped->ex,         ped->ey,         ped->share,     ped->r,
                      ped->m,         ped->v0,         ped->tx,         ped->ty,        ped->heading,
                      ped->depart_s,  ped->stuck_s,    ped->leg,        ped->area,      ped->route_len,
                      ped->route,     ped->body,       ped->arrived,    ped->near,      ped->near_wall,
                      ped->cell_of,   ped->cell_first, ped->cell_items, ped->bucket_of, ped->sorted_cell,
                      ped->sx,        ped->sy,         ped->sr,         ped->sex,       ped->sey,
                      ped->in_x,      ped->in_y,       ped->in_slack2,  ped->in_area,   ped->spot_first,
                      ped->spot_cell, ped->spot_item,  ped->spot_taken, ped->waiting};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    city_dense_destroy(&ped->dense);
    ped_space_free(&ped->space);
    ped_crossings_free(ped->crossings);
    free(ped);
}

/* Advances every person by one tick in equal substeps. */
static CityStatus ped_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    CityPed *ped = self;
    uint32_t n = ped->dense.count;
    if (n == 0)
        return CITY_OK;
    double dt_s = city_world_dt_ms(w) / 1000.0;
    int32_t subs = (int32_t)ceil(dt_s / ped->p.max_substep_s - 1e-9);
    subs = subs < 1 ? 1 : subs;
    double h = dt_s / subs;
    const PedSpace *s = &ped->space;
    for (int32_t sub = 0; sub < subs; sub++) {
        CityStatus st = ped_forces(ped, h);
        if (st != CITY_OK)
            return st;
        for (uint32_t i = 0; i < n; i++) {
            double vx = ped->vx[i] + ped->fx[i] / ped->m[i] * h;
            double vy = ped->vy[i] + ped->fy[i] / ped->m[i] * h;
            /* People do not walk backwards (Lakoba, Kaup and Finkelstein
             * 2005): the part of the velocity against the desired
             * direction goes; contacts may still push them back. */
            double back = vx * ped->ex[i] + vy * ped->ey[i];
            if (back < 0) {
                vx -= back * ped->ex[i];
                vy -= back * ped->ey[i];
            }
            double vmax = ped->p.max_speed_factor * ped->v0[i], v = sqrt(vx * vx + vy * vy);
            if (v > vmax) {
                vx *= vmax / v;
                vy *= vmax / v;
            }
            ped_physics_set_velocity(ped->body[i], vx, vy);
        }
        if (!ped_physics_step(ped->phys, h, ped->near, ped->near_wall))
            return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory finding contacts");
        for (uint32_t i = 0; i < n; i++) {
            ped_physics_get(ped->body[i], &ped->x[i], &ped->y[i], &ped->vx[i], &ped->vy[i]);
            if (s->periodic && (ped->x[i] < s->px0 || ped->x[i] >= s->px1)) {
                double len = s->px1 - s->px0;
                ped->x[i] -= floor((ped->x[i] - s->px0) / len) * len;
                ped_physics_set_position(ped->body[i], ped->x[i], ped->y[i]);
            }
        }
    }
    ped->stats.updates += n;
    return CITY_OK;
}

static CityStatus ped_commit(CityWorld *w, void *self, int64_t tick)
{
    (void)w;
    (void)tick;
    return ped_demand_commit(self);
}

static void ped_hash(const CityWorld *w, const void *self, CityHash *hash)
{
    (void)w;
    const CityPed *ped = self;
    uint32_t n = ped->dense.count;
    city_hash_u64(hash, n);
    for (uint32_t i = 0; i < n; i++) {
        city_hash_u64(hash, city_id_pack(city_dense_id(&ped->dense, i)));
        city_hash_i64(hash, ped->leg[i]);
        city_hash_i64(hash, ped->area[i]);
    }
    city_hash_f64_array(hash, ped->x, n);
    city_hash_f64_array(hash, ped->y, n);
    city_hash_f64_array(hash, ped->vx, n);
    city_hash_f64_array(hash, ped->vy, n);
    city_hash_f64_array(hash, ped->stuck_s, n);
    city_hash_u64(hash, ped->reroutes);
    city_hash_u64(hash, ped->strays);
    city_hash_u64(hash, ped->stats.departed);
    city_hash_u64(hash, ped->stats.arrived);
    city_hash_u64(hash, ped->stats.updates);
    city_hash_f64(hash, ped->stats.walk_time_s);
    city_hash_u64(hash, (uint64_t)ped->n_pending);
    for (int32_t i = 0; i < ped->n_flows; i++)
        city_hash_f64(hash, ped->flows[i].next_s);
    for (int32_t i = 0; i < ped->space.n_doors; i++)
        if (ped->space.doors[i].closed)
            city_hash_i64(hash,
                          ped->space.doors[i].closed == 3u ? i : -1 - (int64_t)i * 4 - ped->space.doors[i].closed);
}

static void set_kpis(CityPed *ped)
{
    city_world_kpi_set(ped->world, "ped_trips", (double)ped->stats.arrived);
    city_world_kpi_set(ped->world, "ped_updates", (double)ped->stats.updates);
    city_world_kpi_set(ped->world, "mean_walk_time_s",
                       ped->stats.arrived ? ped->stats.walk_time_s / (double)ped->stats.arrived : 0.0);
}

static CityStatus ped_finish(CityWorld *w, void *self)
{
    (void)w;
    set_kpis(self);
    return CITY_OK;
}

CityStatus city_ped_create(CityWorld *world, const CityPedParams *params, CityPed **out)
{
    *out = NULL;
    if (city_ped_of(world))
        return city_world_fail(world, CITY_ERR_INVALID, "ped: the world already has pedestrians; create them once");
    CityPedParams p;
    if (params)
        p = *params;
    else
        city_ped_params_defaults(&p);
    CityStatus st = check_params(world, &p);
    if (st != CITY_OK)
        return st;
    CityPed *ped = calloc(1, sizeof *ped);
    if (!ped)
        return city_world_fail(world, CITY_ERR_NOMEM, "ped: out of memory");
    ped->world = world;
    ped->p = p;
    ped->rng = city_world_rng(world, PED_SUBSYSTEM);
    ped->demand_rng = city_world_rng(world, "ped_demand");
    if (!ped->rng || !ped->demand_rng) {
        free(ped);
        return city_world_fail(world, CITY_ERR_NOMEM, "ped: out of memory");
    }
    city_dense_init(&ped->dense);
    CitySubsystemDef def = {.name = PED_SUBSYSTEM,
                            .phase = CITY_PHASE_PHYSICS,
                            .period_ticks = 1,
                            .step = ped_step,
                            .hash = ped_hash,
                            .destroy = ped_destroy,
                            .finish = ped_finish,
                            .save = ped_state_save,
                            .load = ped_state_load};
    st = city_world_add_subsystem(world, &def, ped);
    if (st != CITY_OK) {
        ped_destroy(ped);
        return st;
    }
    /* The commit half shares `self`; the "ped" entry owns it. */
    CitySubsystemDef commit = {.name = "ped_commit",
                               .phase = CITY_PHASE_COMMIT,
                               .period_ticks = 1,
                               .step = ped_commit,
                               .save = city_state_save_none,
                               .load = city_state_load_none};
    st = city_world_add_subsystem(world, &commit, ped);
    if (st != CITY_OK)
        return st;
    if (p.walk_output)
        ped->walks = city_world_table(world, "walks", "id,depart_s,arrival_s,walk_time_s");
    set_kpis(ped);
    *out = ped;
    return CITY_OK;
}

CityPed *city_ped_of(const CityWorld *world)
{
    return city_world_subsystem(world, PED_SUBSYSTEM);
}

CityWorld *city_ped_world(const CityPed *ped)
{
    return ped->world;
}

const CityPedParams *city_ped_params(const CityPed *ped)
{
    return &ped->p;
}

size_t city_ped_count(const CityPed *ped)
{
    return ped->dense.count;
}

void city_ped_at(const CityPed *ped, size_t slot, CityPedView *o)
{
    uint32_t i = (uint32_t)slot;
    o->id = city_dense_id(&ped->dense, i);
    o->x_m = ped->x[i];
    o->y_m = ped->y[i];
    o->vx_mps = ped->vx[i];
    o->vy_mps = ped->vy[i];
    o->radius_m = ped->r[i];
    o->mass_kg = ped->m[i];
    o->free_speed_mps = ped->v0[i];
    o->depart_s = ped->depart_s[i];
    o->area = ped->area[i];
    bool heading = !isnan(ped->heading[i]);
    o->to_x = heading ? NAN : ped->tx[i];
    o->to_y = heading ? NAN : ped->ty[i];
    o->doors_left = ped->route_len[i] - ped->leg[i];
    o->next_door = o->doors_left > 0 ? ped->route[i][ped->leg[i]] >> 1 : -1;
}

bool city_ped_get(const CityPed *ped, CityId id, CityPedView *out)
{
    uint32_t slot = city_dense_slot(&ped->dense, id);
    if (slot == UINT32_MAX)
        return false;
    city_ped_at(ped, slot, out);
    return true;
}

int32_t city_ped_contacts(const CityPed *ped, size_t slot, uint64_t *out, int32_t cap)
{
    if (slot >= ped->dense.count)
        return 0;
    return ped_physics_contacts(ped->body[slot], out, cap);
}

void city_ped_stats(const CityPed *ped, CityPedStats *out)
{
    *out = ped->stats;
    out->waiting = (uint64_t)ped->n_pending;
}
