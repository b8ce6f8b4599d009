/* Departures and arrivals: spawn requests, flows between places, and the
 * COMMIT phase that removes arrivals and inserts people whose spot is
 * free, in a fixed order (arrivals by slot, departures in queue order).
 * Departures draw from their own stream ("ped_demand"), never the one the
 * physics pushes draw from: who sets off when, where and how fast depends
 * on the seed and the demand only, not on how many walk (which traffic at
 * the crossings changes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "ped_internal.h"

void city_ped_spawn_defaults(CityPedSpawnDef *def)
{
    memset(def, 0, sizeof *def);
}

void ped_pending_free(PedPending *p)
{
    free(p->route);
    p->route = NULL;
}

/* Normal draw truncated to [lo, hi] by redrawing (a few tries, then clamp). */
static double draw_truncated(CityRng *rng, double mean, double sd, double lo, double hi)
{
    for (int k = 0; k < 16; k++) {
        double v = mean + sd * city_rng_normal(rng);
        if (v >= lo && v <= hi)
            return v;
    }
    return mean < lo ? lo : mean > hi ? hi : mean;
}

/* Refuses a start or end point (what) on a crossing of a road: people
 * placed there would appear on the carriageway in front of vehicles
 * (school_zone.lua's bus stop once stood on one, and at seed 10 a car hit
 * a person who had just appeared there). */
static bool refuse_on_crossing(CityPed *ped, const char *what, double x, double y)
{
    int32_t c = city_ped_crossing_reached(ped, x, y, 0.0);
    if (c < 0)
        return false;
    ped_fail(ped, CITY_ERR_INVALID,
             "ped: %s (%.2f, %.2f) lies on crossing %s, on the carriageway: people would appear there in front "
             "of vehicles; move it onto a sidewalk or walking area",
             what, x, y, city_ped_crossing_get(ped, c)->id);
    return true;
}

CityStatus city_ped_spawn(CityPed *ped, const CityPedSpawnDef *def)
{
    if (!isfinite(def->x) || !isfinite(def->y) ||
        (!def->use_heading && (!isfinite(def->to_x) || !isfinite(def->to_y))) ||
        (def->use_heading && !isfinite(def->heading_rad)) || !isfinite(def->speed_mps) || !isfinite(def->radius_m) ||
        def->speed_mps > 10 || def->radius_m > CITY_PED_MAX_RADIUS_M)
        return ped_fail(ped, CITY_ERR_INVALID,
                        "ped: person at (%g, %g) needs finite start, destination or heading, a speed under 10 m/s and "
                        "a radius under 1.5 m",
                        def->x, def->y);
    CityStatus st = ped_space_seal(ped);
    if (st != CITY_OK)
        return st;
    if (refuse_on_crossing(ped, "start point", def->x, def->y) ||
        (!def->use_heading && refuse_on_crossing(ped, "destination", def->to_x, def->to_y)))
        return CITY_ERR_INVALID;
    PedPending p = {.def = *def, .queued_s = city_world_time_s(ped->world)};
    if (def->use_heading) {
        if (city_ped_area_at(ped, def->x, def->y) < 0)
            return ped_fail(ped, CITY_ERR_INVALID, "ped: start point (%.2f, %.2f) is outside every walkable area",
                            def->x, def->y);
    } else {
        p.route_len = ped_space_route(ped, def->x, def->y, def->to_x, def->to_y, &p.route);
        if (p.route_len < 0)
            return city_world_error(ped->world)[0] ? CITY_ERR_INVALID : CITY_ERR_NOMEM;
    }
    const CityPedParams *pp = &ped->p;
    p.speed_mps = def->speed_mps > 0 ? def->speed_mps
                                     : draw_truncated(ped->demand_rng, pp->speed_mean_mps, pp->speed_sd_mps,
                                                      pp->speed_min_mps, pp->speed_max_mps);
    p.radius_m = def->radius_m > 0
                     ? def->radius_m
                     : draw_truncated(ped->demand_rng, pp->radius_mean_m, pp->radius_sd_m,
                                      pp->radius_mean_m - 3 * pp->radius_sd_m, pp->radius_mean_m + 3 * pp->radius_sd_m);
    double k = p.radius_m / pp->radius_mean_m;
    p.mass_kg = pp->mass_kg * k * k;
    if (!city_array_grow((void **)&ped->pending, &ped->cap_pending, ped->n_pending + 1, sizeof(PedPending))) {
        free(p.route);
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory queueing a person");
    }
    ped->pending[ped->n_pending++] = p;
    return CITY_OK;
}

bool ped_flow_def_ok(const CityPedFlowDef *def)
{
    double nums[] = {def->from_x,  def->from_y, def->from_radius_m,   def->to_x, def->to_y, def->to_radius_m,
                     def->begin_s, def->end_s,  def->persons_per_hour};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (!isfinite(nums[i]))
            return false;
    return def->persons_per_hour > 0 && def->persons_per_hour <= CITY_PED_FLOW_MAX_PER_HOUR &&
           def->persons_per_hour / 3600.0 * (def->end_s - def->begin_s) <= CITY_PED_FLOW_MAX_PERSONS &&
           def->end_s > def->begin_s && def->from_radius_m >= 0 && def->to_radius_m >= 0;
}

CityStatus city_ped_flow_add(CityPed *ped, const CityPedFlowDef *def)
{
    if (!ped_flow_def_ok(def))
        return ped_fail(ped, CITY_ERR_INVALID,
                        "ped: flow %d needs finite numbers, 0 < persons_per_hour <= %.0f, end_s > begin_s, at "
                        "most %.0f people in all and radii >= 0 (lower the rate or split the flow)",
                        (int)ped->n_flows, CITY_PED_FLOW_MAX_PER_HOUR, CITY_PED_FLOW_MAX_PERSONS);
    CityStatus st = ped_space_seal(ped);
    if (st != CITY_OK)
        return st;
    if (refuse_on_crossing(ped, "flow start", def->from_x, def->from_y) ||
        refuse_on_crossing(ped, "flow end", def->to_x, def->to_y))
        return CITY_ERR_INVALID;
    int32_t *route = NULL;
    int32_t len = ped_space_route(ped, def->from_x, def->from_y, def->to_x, def->to_y, &route);
    free(route);
    if (len < 0)
        return CITY_ERR_INVALID;
    if (!city_array_grow((void **)&ped->flows, &ped->cap_flows, ped->n_flows + 1, sizeof(PedFlow)))
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory adding a flow");
    PedFlow *f = &ped->flows[ped->n_flows++];
    f->def = *def;
    double headway = 3600.0 / def->persons_per_hour;
    f->next_s = def->begin_s + (def->poisson ? city_rng_exponential(ped->demand_rng, 1.0 / headway) : 0.0);
    return CITY_OK;
}

/* A point uniformly in a disc, inside the walkable space and off the
 * crossings (a few tries, then the centre, which city_ped_flow_add keeps
 * off them). */
static void draw_in_disc(CityPed *ped, double cx, double cy, double radius, double *x, double *y)
{
    *x = cx;
    *y = cy;
    if (radius <= 0)
        return;
    for (int k = 0; k < 8; k++) {
        double r = radius * sqrt(city_rng_uniform(ped->demand_rng)), a = 2 * M_PI * city_rng_uniform(ped->demand_rng);
        double px = cx + r * cos(a), py = cy + r * sin(a);
        if (city_ped_area_at(ped, px, py) >= 0 && city_ped_crossing_reached(ped, px, py, 0.0) < 0) {
            *x = px;
            *y = py;
            return;
        }
    }
}

/* Queues the departures of every flow that fall before the end of this tick. */
static CityStatus flows_depart(CityPed *ped)
{
    double now = city_world_time_s(ped->world) + city_world_dt_ms(ped->world) / 1000.0;
    for (int32_t i = 0; i < ped->n_flows; i++) {
        PedFlow *f = &ped->flows[i];
        double headway = 3600.0 / f->def.persons_per_hour;
        while (f->next_s < now && f->next_s < f->def.end_s) {
            CityPedSpawnDef d;
            city_ped_spawn_defaults(&d);
            draw_in_disc(ped, f->def.from_x, f->def.from_y, f->def.from_radius_m, &d.x, &d.y);
            draw_in_disc(ped, f->def.to_x, f->def.to_y, f->def.to_radius_m, &d.to_x, &d.to_y);
            CityStatus st = city_ped_spawn(ped, &d);
            if (st != CITY_OK)
                return st;
            f->next_s += f->def.poisson ? city_rng_exponential(ped->demand_rng, 1.0 / headway) : headway;
        }
    }
    return CITY_OK;
}

bool ped_people_reserve(CityPed *ped, uint32_t need)
{
    if ((int64_t)need <= ped->cap)
        return true;
    if (need > INT32_MAX)
        return false;
    int32_t cap = ped->cap; /* every array grows from the same capacity to the same one */
    void **d8[] = {(void **)&ped->x,       (void **)&ped->y,     (void **)&ped->vx,       (void **)&ped->vy,
                   (void **)&ped->fx,      (void **)&ped->fy,    (void **)&ped->ex,       (void **)&ped->ey,
                   (void **)&ped->share,   (void **)&ped->r,     (void **)&ped->m,        (void **)&ped->v0,
                   (void **)&ped->tx,      (void **)&ped->ty,    (void **)&ped->heading,  (void **)&ped->depart_s,
                   (void **)&ped->stuck_s, (void **)&ped->route, (void **)&ped->body,     (void **)&ped->sx,
                   (void **)&ped->sy,      (void **)&ped->sr,    (void **)&ped->sex,      (void **)&ped->sey,
                   (void **)&ped->in_x,    (void **)&ped->in_y,  (void **)&ped->in_slack2};
    for (size_t i = 0; i < sizeof d8 / sizeof d8[0]; i++) {
        cap = ped->cap;
        if (!city_array_grow(d8[i], &cap, (int32_t)need, 8))
            return false;
    }
    void **d4[] = {(void **)&ped->leg,         (void **)&ped->area,       (void **)&ped->route_len,
                   (void **)&ped->cell_of,     (void **)&ped->cell_items, (void **)&ped->bucket_of,
                   (void **)&ped->sorted_cell, (void **)&ped->in_area};
    for (size_t i = 0; i < sizeof d4 / sizeof d4[0]; i++) {
        cap = ped->cap;
        if (!city_array_grow(d4[i], &cap, (int32_t)need, 4))
            return false;
    }
    cap = ped->cap;
    if (!city_array_grow((void **)&ped->arrived, &cap, (int32_t)need, 1))
        return false;
    cap = ped->cap;
    if (!city_array_grow((void **)&ped->near, &cap, (int32_t)need, 1))
        return false;
    cap = ped->cap;
    if (!city_array_grow((void **)&ped->waiting, &cap, (int32_t)need, 1))
        return false;
    cap = ped->cap;
    if (!city_array_grow((void **)&ped->near_wall, &cap, (int32_t)need, PED_NEAR_WALLS * sizeof(int32_t)))
        return false;
    ped->cap = cap;
    return true;
}

/* Whether two people at (x, y) and (px, py) with radii r and pr would
 * stand too close (the margin between a new person and anyone). */
static bool too_close(const PedSpace *s, double x, double y, double r, double px, double py, double pr)
{
    double dx = x - px, dy = y - py;
    if (s->periodic)
        dx = ped_wrap_dx(s, dx);
    double need = r + pr + 0.05;
    return dx * dx + dy * dy < need * need;
}

/* Calls visit(ped, k, cx, cy) for the cells of the neighbour grid round
 * waiting departure k's spot: its own and the eight about it (wrapped
 * when periodic, clipped to the grid otherwise). */
static void spot_cells(CityPed *ped, int32_t k, void (*visit)(CityPed *, int32_t, int32_t, int32_t))
{
    const PedSpace *s = &ped->space;
    int32_t gx, gy;
    ped_grid_cell(s, ped->pending[k].def.x, ped->pending[k].def.y, &gx, &gy);
    for (int32_t cy = gy - 1; cy <= gy + 1; cy++) {
        if (cy < 0 || cy >= s->gny)
            continue;
        for (int32_t d = -1; d <= 1; d++) {
            int32_t cx = gx + d;
            if (s->periodic)
                cx = (cx + s->gnx) % s->gnx;
            else if (cx < 0 || cx >= s->gnx)
                continue;
            visit(ped, k, cx, cy);
        }
    }
}

static void spot_count(CityPed *ped, int32_t k, int32_t cx, int32_t cy)
{
    (void)k;
    ped->spot_first[ped_cell_bucket(cx, cy, ped->spot_mask) + 1]++;
}

static void spot_list(CityPed *ped, int32_t k, int32_t cx, int32_t cy)
{
    int32_t q = ped->spot_first[ped_cell_bucket(cx, cy, ped->spot_mask)]++;
    ped->spot_cell[q] = cy * ped->space.gnx + cx;
    ped->spot_item[q] = k;
}

/* Marks in spot_taken the waiting departures that one of the people of
 * slots 0 .. n-1 stands too close to. The same pairs and the same test as
 * looking round each spot in a grid of everyone (a person counts for a
 * spot when its cell is one of the 3 x 3 round the spot's), for one pass
 * over the positions instead of sorting everyone. */
static CityStatus spots_taken(CityPed *ped, uint32_t n)
{
    const PedSpace *s = &ped->space;
    int32_t np = ped->n_pending;
    uint32_t nb = 64;
    while (nb < 18u * (uint32_t)np && nb < (1u << 28))
        nb <<= 1;
    if (!city_array_grow((void **)&ped->spot_first, &ped->cap_spot_first, (int32_t)nb + 1, sizeof(int32_t)) ||
        !city_array_grow((void **)&ped->spot_taken, &ped->cap_spot_taken, np, 1))
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory checking spots for departures");
    int32_t cap = ped->cap_spot_entries;
    if (!city_array_grow((void **)&ped->spot_cell, &cap, 9 * np, sizeof(int32_t)) ||
        !city_array_grow((void **)&ped->spot_item, &ped->cap_spot_entries, 9 * np, sizeof(int32_t)))
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory checking spots for departures");
    ped->spot_mask = nb - 1;
    int32_t *first = ped->spot_first;
    memset(first, 0, ((size_t)nb + 1) * sizeof *first);
    memset(ped->spot_taken, 0, (size_t)np);
    for (int32_t k = 0; k < np; k++)
        spot_cells(ped, k, spot_count);
    for (uint32_t b = 0; b < nb; b++)
        first[b + 1] += first[b];
    for (int32_t k = 0; k < np; k++)
        spot_cells(ped, k, spot_list);
    memmove(first + 1, first, (size_t)nb * sizeof *first);
    first[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        double x = ped->x[i], y = ped->y[i];
        int32_t cx, cy;
        ped_grid_cell(s, x, y, &cx, &cy);
        int32_t cell = cy * s->gnx + cx;
        uint32_t b = ped_cell_bucket(cx, cy, ped->spot_mask);
        for (int32_t q = first[b]; q < first[b + 1]; q++) {
            int32_t k = ped->spot_item[q];
            if (ped->spot_cell[q] != cell || ped->spot_taken[k])
                continue;
            const PedPending *p = &ped->pending[k];
            if (too_close(s, p->def.x, p->def.y, p->radius_m, x, y, ped->r[i]))
                ped->spot_taken[k] = 1;
        }
    }
    return CITY_OK;
}

/* True when nobody stands within the person's radius plus a margin: the
 * people present at the start of this commit (slots below grid_n: see
 * spots_taken), those who entered since one by one. */
static bool spot_free(const CityPed *ped, uint32_t grid_n, int32_t k)
{
    if (ped->spot_taken[k])
        return false;
    const PedPending *p = &ped->pending[k];
    for (uint32_t i = grid_n; i < ped->dense.count; i++)
        if (too_close(&ped->space, p->def.x, p->def.y, p->radius_m, ped->x[i], ped->y[i], ped->r[i]))
            return false;
    return true;
}

static CityStatus insert(CityPed *ped, PedPending *p)
{
    if (!ped_people_reserve(ped, ped->dense.count + 1))
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory adding a person");
    CityStatus st = ped_space_fit_radius(ped, p->radius_m);
    if (st != CITY_OK)
        return st;
    uint32_t i;
    CityId id = city_dense_add(&ped->dense, &i);
    if (city_id_is_null(id))
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory adding a person");
    const CityPedSpawnDef *d = &p->def;
    double x = d->x, y = d->y;
    int32_t area = city_ped_area_at(ped, x, y);
    ped->body[i] = ped_physics_add_body(ped->phys, x, y, p->radius_m, p->mass_kg, city_id_pack(id));
    if (!ped->body[i]) {
        uint32_t from, to;
        city_dense_remove(&ped->dense, id, &from, &to);
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: could not add person %u to the physics", (unsigned)id.index);
    }
    ped->x[i] = x;
    ped->y[i] = y;
    ped->r[i] = p->radius_m;
    ped->m[i] = p->mass_kg;
    ped->v0[i] = p->speed_mps;
    ped->tx[i] = d->to_x;
    ped->ty[i] = d->to_y;
    ped->heading[i] = d->use_heading ? d->heading_rad : NAN;
    ped->depart_s[i] = city_world_time_s(ped->world) + city_world_dt_ms(ped->world) / 1000.0;
    ped->stuck_s[i] = 0;
    ped->leg[i] = 0;
    ped->area[i] = area;
    ped->in_area[i] = -1;
    ped->route[i] = p->route;
    ped->route_len[i] = p->route_len;
    p->route = NULL;
    ped->arrived[i] = 0;
    ped->vx[i] = ped->vy[i] = ped->fx[i] = ped->fy[i] = 0;
    if (d->at_speed) {
        double ex, ey;
        double share;
        bool waiting;
        ped_local_target(ped, i, &ex, &ey, &share, &waiting);
        ped->vx[i] = p->speed_mps * ex;
        ped->vy[i] = p->speed_mps * ey;
        ped->arrived[i] = 0;
    }
    ped_physics_set_velocity(ped->body[i], ped->vx[i], ped->vy[i]);
    ped->stats.departed++;
    return CITY_OK;
}

static void move_slot(CityPed *ped, uint32_t from, uint32_t to)
{
    ped->x[to] = ped->x[from];
    ped->y[to] = ped->y[from];
    ped->vx[to] = ped->vx[from];
    ped->vy[to] = ped->vy[from];
    ped->fx[to] = ped->fx[from];
    ped->fy[to] = ped->fy[from];
    ped->r[to] = ped->r[from];
    ped->m[to] = ped->m[from];
    ped->v0[to] = ped->v0[from];
    ped->tx[to] = ped->tx[from];
    ped->ty[to] = ped->ty[from];
    ped->heading[to] = ped->heading[from];
    ped->depart_s[to] = ped->depart_s[from];
    ped->stuck_s[to] = ped->stuck_s[from];
    ped->leg[to] = ped->leg[from];
    ped->area[to] = ped->area[from];
    ped->route_len[to] = ped->route_len[from];
    ped->route[to] = ped->route[from];
    ped->body[to] = ped->body[from];
    ped->arrived[to] = ped->arrived[from];
    ped->in_x[to] = ped->in_x[from];
    ped->in_y[to] = ped->in_y[from];
    ped->in_slack2[to] = ped->in_slack2[from];
    ped->in_area[to] = ped->in_area[from];
}

/* Removes the people flagged as arrived, lowest slot first. */
static CityStatus remove_arrived(CityPed *ped)
{
    double now = city_world_time_s(ped->world) + city_world_dt_ms(ped->world) / 1000.0;
    uint32_t i = 0;
    while (i < ped->dense.count) {
        if (!ped->arrived[i]) {
            i++;
            continue;
        }
        CityId id = city_dense_id(&ped->dense, i);
        double walk_s = now - ped->depart_s[i];
        ped->stats.arrived++;
        ped->stats.walk_time_s += walk_s;
        if (ped->walks) {
            CityStatus st = city_table_row(ped->walks, "%llu,%.3f,%.3f,%.3f", (unsigned long long)city_id_pack(id),
                                           ped->depart_s[i], now, walk_s);
            if (st != CITY_OK)
                return st;
        }
        free(ped->route[i]);
        ped_physics_remove_body(ped->phys, ped->body[i]);
        uint32_t from, to;
        city_dense_remove(&ped->dense, id, &from, &to);
        if (from != to)
            move_slot(ped, from, to);
        /* Slot i now holds the former last person: look at it again. */
    }
    return CITY_OK;
}

/* A walker that stands outside every area (pressed through a wall by a
 * crowd, or around the end of one) is put back at the nearest point of
 * the area it walks through: Chipmunk keeps bodies from overlapping
 * walls, not from having crossed one. */
static void return_strays(CityPed *ped)
{
    for (uint32_t i = 0; i < ped->dense.count; i++) {
        if (ped->stuck_s[i] < PED_STUCK_S || ped->area[i] < 0 || !isnan(ped->heading[i]) ||
            city_ped_area_at(ped, ped->x[i], ped->y[i]) >= 0)
            continue;
        ped_space_nearest_inside(&ped->space, ped->area[i], ped->r[i] + ped->p.wall_radius_m + 0.05, &ped->x[i],
                                 &ped->y[i]);
        ped_physics_set_position(ped->body[i], ped->x[i], ped->y[i]);
        ped->stuck_s[i] = 0;
        ped->strays++;
    }
}

CityStatus ped_demand_commit(CityPed *ped)
{
    return_strays(ped);
    CityStatus st = remove_arrived(ped);
    if (st == CITY_OK)
        st = flows_depart(ped);
    uint32_t grid_n = ped->dense.count;
    if (st == CITY_OK && ped->n_pending > 0)
        st = spots_taken(ped, grid_n);
    int32_t kept = 0;
    for (int32_t k = 0; k < ped->n_pending; k++) {
        PedPending *p = &ped->pending[k];
        if (st == CITY_OK && spot_free(ped, grid_n, k)) {
            st = insert(ped, p);
            ped_pending_free(p);
        } else {
            ped->pending[kept++] = *p;
        }
    }
    ped->n_pending = kept;
    city_world_kpi_set(ped->world, "ped_trips", (double)ped->stats.arrived);
    city_world_kpi_set(ped->world, "ped_updates", (double)ped->stats.updates);
    city_world_kpi_set(ped->world, "mean_walk_time_s",
                       ped->stats.arrived ? ped->stats.walk_time_s / (double)ped->stats.arrived : 0.0);
    return st;
}
