/* Conflict measures of the pedestrian-vehicle coupling (see city_ped_road.h).
 *
 * Time to collision (TTC): parties keep their headings and accelerations
 * (a braking vehicle stops; modified TTC, Ozbay et al. 2008); a person is
 * a circle, a vehicle a 1.8 m wide box behind its front bumper; TTC is
 * when the person's centre first enters the box grown by the person's
 * radius (for two vehicles: either front enters the other's box grown by
 * half a width). A person is hit by the front metre of a moving vehicle:
 * one meeting a standing or creeping vehicle (under 1 m/s, walking pace),
 * or brushing the side or
 * rear of a crawling queue (the walkers do not see vehicles), is no
 * conflict. Collisions are counted between vehicles and people only:
 * vehicle boxes that meet inside a junction are the lane model's internal
 * lanes converging (TTC 0, no collision). An encounter with TTC under 5 s is followed while it lasts and
 * keeps its least TTC (Hayward 1972; threshold 1.5 s as in the Swedish
 * Traffic Conflict Technique, Hyden 1987).
 * Post-encroachment time (PET): the time between the first party leaving
 * a point of a crossing and the second reaching it (Allen, Shin and Cooper
 * 1978), measured along the crossing in strips as wide as a vehicle.
 * Deceleration rate to avoid a crash (DRAC): v_rel^2 / (2 d) with
 * d = v_rel * TTC, i.e. v_rel / (2 TTC) (Cooper and Ferguson 1976; Archer
 * 2005), the largest over the encounter.
 * Rows are written when an encounter ends, the tick's rows sorted by
 * (type, vehicle id, other id): the output does not depend on the order
 * in which pairs were met. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "couple_ped_road.h"

#define PR_HORIZON_S 5.0    /* encounters are followed while TTC is below this */
#define PR_HALF_WIDTH_M 0.9 /* half a car's width (1.8 m) */
#define PR_PET_STRIP_M 1.0  /* a person within this of a vehicle's path point shares it */
#define PR_VV_RANGE_M 30.0  /* vehicle pairs farther apart are not compared */
#define PR_STANDING_MPS 0.1 /* a vehicle slower than this stands */
#define PR_MOVING_MPS 1.0   /* a vehicle slower than this (walking pace) at contact is creeping */
#define PR_FRONT_M 1.0      /* a person is hit by the front metre of a vehicle */

/* A party moving along a fixed heading at speed v with acceleration a
 * (it stops when braking brings it to rest): its travel after t seconds. */
static double travel(double v, double a, double t)
{
    if (a < 0 && v + a * t <= 0)
        return v > 0 ? -v * v / (2.0 * a) : 0.0;
    return v * t + 0.5 * a * t * t;
}

/* A mover: position, heading (unit), speed and acceleration. */
typedef struct Mover {
    double x, y, ux, uy, v, a;
    double max_m; /* it stops after this travel (a red light or a blocked link ahead) */
} Mover;

/* Time to collision of point p against the box of vehicle f (its front
 * bumper, length len, half width PR_HALF_WIDTH_M, grown by r), both
 * keeping their accelerations (the modified TTC of Ozbay, Yang, Bartin and
 * Mudigonda 2008: a braking driver who will stop short is no conflict);
 * sampled every 0.1 s up to the horizon. 0: touching now; INFINITY: no
 * contact within the horizon. */
static double ttc_point_box(const Mover *p, const Mover *f, double len, double r, bool box_moving)
{
    for (int k = 0; k <= (int)(PR_HORIZON_S * 10.0 + 0.5); k++) {
        double t = 0.1 * k, dp = fmin(p->max_m, travel(p->v, p->a, t)), df = fmin(f->max_m, travel(f->v, f->a, t));
        if (box_moving && (df >= f->max_m || f->v + f->a * t < PR_MOVING_MPS))
            continue; /* a person walking into a standing vehicle: no traffic conflict */
        double dx = p->x + p->ux * dp - (f->x + f->ux * df), dy = p->y + p->uy * dp - (f->y + f->uy * df);
        double lx = dx * f->ux + dy * f->uy, ly = -dx * f->uy + dy * f->ux;
        if (lx <= r && lx >= -(box_moving ? PR_FRONT_M : len) - r && fabs(ly) <= PR_HALF_WIDTH_M + r)
            return t;
    }
    return INFINITY;
}

static Mover vehicle_mover(const CityVehicleView *v)
{
    return (Mover){v->xy.x, v->xy.y, cos(v->heading_rad), sin(v->heading_rad), v->speed_mps, v->accel_mps2, INFINITY};
}

/* The open encounter (type, a, b), created when missing; NULL on OOM. */
static PrEncounter *encounter(PedRoad *pr, int32_t type, uint64_t a, uint64_t b, bool *created)
{
    int32_t lo = 0, hi = pr->n_enc;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        const PrEncounter *e = &pr->enc[mid];
        bool less = e->type != type ? e->type < type : e->a != a ? e->a < a : e->b < b;
        if (less)
            lo = mid + 1;
        else
            hi = mid;
    }
    *created = false;
    if (lo < pr->n_enc && pr->enc[lo].type == type && pr->enc[lo].a == a && pr->enc[lo].b == b)
        return &pr->enc[lo];
    if (!city_array_grow((void **)&pr->enc, &pr->cap_enc, pr->n_enc + 1, sizeof *pr->enc))
        return NULL;
    memmove(&pr->enc[lo + 1], &pr->enc[lo], (size_t)(pr->n_enc - lo) * sizeof *pr->enc);
    pr->n_enc++;
    PrEncounter *e = &pr->enc[lo];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->a = a;
    e->b = b;
    e->ttc_s = e->pet_s = INFINITY;
    *created = true;
    return e;
}

/* Folds one TTC measurement into an encounter. */
static void fold_ttc(PedRoad *pr, const CityWorld *w, PrEncounter *e, double ttc, double vrel, double x, double y,
                     double speed_a, double speed_b)
{
    (void)pr;
    e->seen = city_world_tick(w);
    /* two vehicles "touching" inside a junction are internal lanes of the
     * lane model meeting, not a crash: TTC 0, no collision */
    if (ttc <= 0.0 && e->type == CITY_CONFLICT_VEH_PED)
        e->collision = true;
    if (ttc > 0.05 && vrel / (2.0 * ttc) > e->drac_mps2)
        e->drac_mps2 = vrel / (2.0 * ttc);
    if (ttc < e->ttc_s) {
        e->ttc_s = ttc;
        e->time_s = city_world_time_s(w);
        e->x = x;
        e->y = y;
        e->speed_a = speed_a;
        e->speed_b = speed_b;
    }
}

CityStatus pr_pair_ped(PedRoad *pr, const CityWorld *w, const CityVehicleView *v, double stop_m, const PrNear *p,
                       int32_t crossing)
{
    double vfx = v->speed_mps * cos(v->heading_rad), vfy = v->speed_mps * sin(v->heading_rad);
    double sp = hypot(p->vx, p->vy);
    Mover who = {p->x, p->y, sp > 0 ? p->vx / sp : 0.0, sp > 0 ? p->vy / sp : 0.0, sp, 0.0, INFINITY};
    Mover car = vehicle_mover(v);
    car.max_m = stop_m;
    double ttc = ttc_point_box(&who, &car, v->length_m, p->r, true);
    if (!(ttc < PR_HORIZON_S))
        return CITY_OK;
    bool created;
    PrEncounter *e = encounter(pr, CITY_CONFLICT_VEH_PED, city_id_pack(v->id), p->key, &created);
    if (!e)
        return city_world_fail((CityWorld *)w, CITY_ERR_NOMEM, "out of memory measuring conflicts");
    if (created) {
        snprintf(e->name_a, sizeof e->name_a, "%s", v->name);
        snprintf(e->name_b, sizeof e->name_b, "ped%llu", (unsigned long long)p->key);
        snprintf(e->place, sizeof e->place, "%s", city_ped_crossing_get(city_ped_of(w), pr->x[crossing].ped)->id);
    }
    double vrel = hypot(vfx - p->vx, vfy - p->vy);
    fold_ttc(pr, w, e, ttc, vrel, p->x, p->y, v->speed_mps, hypot(p->vx, p->vy));
    return CITY_OK;
}

CityStatus pr_pet(PedRoad *pr, const CityWorld *w, int32_t c, bool vehicle, uint64_t key, const char *name, double s_m,
                  double x, double y, double speed_mps)
{
    PrCrossing *cr = &pr->x[c];
    const double now = city_world_time_s(w);
    const double keep = city_ped_params(city_ped_of(w))->conflict_pet_s;
    PrSamples *mine = vehicle ? &cr->vehs : &cr->peds, *other = vehicle ? &cr->peds : &cr->vehs;
    /* drop what is older than the PET threshold (samples are in time order) */
    for (PrSamples *q = mine; q; q = q == mine ? other : NULL) {
        int32_t k = 0;
        while (k < q->n && now - q->a[k].time_s > keep)
            k++;
        if (k > 0) {
            memmove(q->a, q->a + k, (size_t)(q->n - k) * sizeof *q->a);
            q->n -= k;
        }
    }
    const double strip = PR_HALF_WIDTH_M + PR_PET_STRIP_M;
    for (int32_t k = other->n - 1; k >= 0; k--) { /* newest first: the least PET per party */
        const PrSample *o = &other->a[k];
        if (fabs(o->s_m - s_m) > strip || o->time_s >= now)
            continue;
        uint64_t va = vehicle ? key : o->key, pb = vehicle ? o->key : key;
        bool created;
        PrEncounter *e = encounter(pr, CITY_CONFLICT_VEH_PED, va, pb, &created);
        if (!e)
            return city_world_fail((CityWorld *)w, CITY_ERR_NOMEM, "out of memory measuring conflicts");
        if (created) {
            snprintf(e->name_a, sizeof e->name_a, "%s", vehicle ? name : o->name);
            snprintf(e->name_b, sizeof e->name_b, "ped%llu", (unsigned long long)pb);
            snprintf(e->place, sizeof e->place, "%s", city_ped_crossing_get(city_ped_of(w), cr->ped)->id);
        }
        e->seen = city_world_tick(w);
        if (now - o->time_s < e->pet_s) {
            e->pet_s = now - o->time_s;
            if (!(e->ttc_s < INFINITY)) {
                e->time_s = now;
                e->x = x;
                e->y = y;
                e->speed_a = vehicle ? speed_mps : o->speed_mps;
                e->speed_b = vehicle ? o->speed_mps : speed_mps;
            }
        }
    }
    if (!city_array_grow((void **)&mine->a, &mine->cap, mine->n + 1, sizeof *mine->a))
        return city_world_fail((CityWorld *)w, CITY_ERR_NOMEM, "out of memory measuring conflicts");
    PrSample *smp = &mine->a[mine->n++];
    smp->key = key;
    smp->s_m = s_m;
    smp->time_s = now;
    smp->speed_mps = speed_mps;
    snprintf(smp->name, sizeof smp->name, "%s", name ? name : "");
    return CITY_OK;
}

/* The junction of an internal lane ":J_3_0" -> "J" (as far as ids allow). */
static void junction_of_lane(const char *lane, char *out, size_t cap)
{
    snprintf(out, cap, "%s", lane[0] == ':' ? lane + 1 : lane);
    for (int k = 0; k < 2; k++) {
        char *us = strrchr(out, '_');
        if (us)
            *us = '\0';
    }
}

/* Sorts vehicles into the grid cells of the road network's bounding box. */
static CityStatus vgrid_build(PedRoad *pr, const CityRoad *road, int32_t n)
{
    const CityRoadNet *net = city_road_net(road);
    if (!pr->vcell_first) {
        pr->vgx0 = net->min_x;
        pr->vgy0 = net->min_y;
        pr->vgnx = (int32_t)((net->max_x - net->min_x) / PR_VV_RANGE_M) + 1;
        pr->vgny = (int32_t)((net->max_y - net->min_y) / PR_VV_RANGE_M) + 1;
        pr->vcell_first = calloc((size_t)pr->vgnx * (size_t)pr->vgny + 1, sizeof *pr->vcell_first);
        if (!pr->vcell_first)
            return CITY_ERR_NOMEM;
    }
    if (!city_array_grow((void **)&pr->vcell_items, &pr->cap_vitems, n + 1, sizeof(int32_t)) ||
        !city_array_grow((void **)&pr->vcell_of, &pr->cap_vcells, n + 1, sizeof(int32_t)))
        return CITY_ERR_NOMEM;
    int32_t nc = pr->vgnx * pr->vgny;
    memset(pr->vcell_first, 0, ((size_t)nc + 1) * sizeof *pr->vcell_first);
    for (int32_t i = 0; i < n; i++) {
        CityVehicleView v;
        city_road_vehicle_at(road, (size_t)i, &v);
        int32_t cx = (int32_t)((v.xy.x - pr->vgx0) / PR_VV_RANGE_M),
                cy = (int32_t)((v.xy.y - pr->vgy0) / PR_VV_RANGE_M);
        cx = cx < 0 ? 0 : cx >= pr->vgnx ? pr->vgnx - 1 : cx;
        cy = cy < 0 ? 0 : cy >= pr->vgny ? pr->vgny - 1 : cy;
        pr->vcell_of[i] = cy * pr->vgnx + cx;
        pr->vcell_first[pr->vcell_of[i] + 1]++;
    }
    for (int32_t c = 0; c < nc; c++)
        pr->vcell_first[c + 1] += pr->vcell_first[c];
    /* fill in slot order, each cell's start moving to its end; then shift back */
    for (int32_t i = 0; i < n; i++)
        pr->vcell_items[pr->vcell_first[pr->vcell_of[i]]++] = i;
    memmove(pr->vcell_first + 1, pr->vcell_first, (size_t)nc * sizeof *pr->vcell_first);
    pr->vcell_first[0] = 0;
    return CITY_OK;
}

/* Whether vehicle b has just taken the junction vehicle a is in (on an
 * internal lane) beside a: from a's edge onto another lane of a's exit
 * edge. Connections from one edge to one edge run side by side (SUMO puts
 * them on the lanes of one internal edge), and no vehicle changes lanes
 * inside a junction: their paths there do not meet. The straight course
 * the measurement draws along each heading crosses the lane beside it on
 * a curve: 40 of the Jamsil day's 621 vehicle-vehicle rows were pairs side
 * by side, all with TTC under 1.5 s (4 of them 0), moving at 6 to 27 m/s,
 * 12 in junction 4254083553 (tests/test_ped_road.c). While both are before
 * or in the junction, paths_apart covers them (parallel links are no foes). */
static bool past_beside(const CityRoadNet *net, const CityVehicleView *a, const CityVehicleView *b)
{
    if (a->next_lane < 0 || b->lane == a->lane)
        return false;
    int32_t from = a->route[a->route_pos], exit_edge = net->lanes[a->next_lane].edge, lb = net->lanes[b->lane].edge;
    return lb == exit_edge && b->lane != a->next_lane && b->route_pos > 0 && b->route[b->route_pos - 1] == from;
}

/* The junction link vehicle v has just come through, while its tail is
 * still over the line behind it (on a normal lane, less than its length
 * in): the link from its previous route edge onto its lane, -1 when it is
 * not just past a junction or the lanes of that edge reach its lane by
 * more than one link. */
static int32_t link_just_left(const CityRoadNet *net, const CityVehicleView *v)
{
    if (net->edges[net->lanes[v->lane].edge].internal || v->pos_m >= v->length_m || v->route_pos < 1)
        return -1;
    const CityEdge *e = &net->edges[v->route[v->route_pos - 1]];
    int32_t link = -1;
    for (int32_t l = e->lane_first; l < e->lane_first + e->lane_count; l++) {
        const CityLane *from = &net->lanes[l];
        for (int32_t k = from->out_first; k < from->out_first + from->out_count; k++) {
            int32_t lk = net->conns[k].link;
            if (net->conns[k].to_lane != v->lane || lk < 0 || lk == link)
                continue;
            if (link >= 0)
                return -1;
            link = lk;
        }
    }
    return link;
}

/* Whether vehicles a (in a junction) and b take two links of that
 * junction that its logic (SUMO's request table) says do not cross, onto
 * two lanes: their paths there do not meet, whichever way their straight
 * courses point (oncoming through movements passing each other on a bend,
 * movements diverging or side by side). SUMO's own conflict measure (its
 * SSM device) looks for conflicts only where lanes cross, merge or follow
 * each other. In the Jamsil day, with pairs side by side already left out,
 * 435 of the 599 encounter samples with TTC under 1.5 s were such pairs,
 * 12 of the 22 with TTC 0 (tests/test_ped_road.c). b may be before the
 * junction, in it, or just past it with its tail still in it
 * (link_just_left): a car leaving the junction onto one side of a two-way
 * street passes one that enters the junction from the other side, and
 * their courses, drawn straight from the junction's mouth, met: 6 of the
 * day's 10 vehicle-vehicle rows with TTC 0 left were such pairs, moving at
 * 6 to 24 m/s on links that do not cross. */
static bool paths_apart(const PedRoad *pr, const CityRoadNet *net, const CityVehicleView *a, const CityVehicleView *b)
{
    double d;
    int32_t la = pr_vehicle_link(pr, net, a, &d);
    if (la < 0)
        return false;
    int32_t j = net->links[la].junction;
    int32_t lb = pr_vehicle_link(pr, net, b, &d), b_to = b->next_lane;
    if (lb < 0 || net->links[lb].junction != j) { /* past a's junction, maybe just */
        lb = link_just_left(net, b);
        b_to = b->lane;
    }
    if (lb < 0 || la == lb || a->next_lane == b_to || net->links[lb].junction != j)
        return false;
    int32_t k = lb - net->junctions[j].link_first;
    return ((city_road_link_foes(net, la)[k / 64] >> (k % 64)) & 1) == 0;
}

/* One vehicle pair: the least of either front running into the other. */
static CityStatus pair_veh(PedRoad *pr, CityWorld *w, const CityRoadNet *net, const CityVehicleView *a,
                           const CityVehicleView *b)
{
    double ax = a->speed_mps * cos(a->heading_rad), ay = a->speed_mps * sin(a->heading_rad);
    double bx = b->speed_mps * cos(b->heading_rad), by = b->speed_mps * sin(b->heading_rad);
    Mover ma = vehicle_mover(a), mb = vehicle_mover(b);
    double t1 = ttc_point_box(&ma, &mb, b->length_m, PR_HALF_WIDTH_M, false);
    double t2 = ttc_point_box(&mb, &ma, a->length_m, PR_HALF_WIDTH_M, false);
    double ttc = t1 < t2 ? t1 : t2;
    if (!(ttc < PR_HORIZON_S))
        return CITY_OK;
    /* two vehicles standing with their boxes touching are the lane model's
     * geometry (straight boxes on curved lanes meeting in a junction), not
     * a course to collide: the Jamsil day had 11 such rows with TTC 0, 10
     * of them pairs waiting in one big junction (tests/test_day.c) */
    if (ttc <= 0.0 && a->speed_mps < PR_STANDING_MPS && b->speed_mps < PR_STANDING_MPS)
        return CITY_OK;
    uint64_t ka = city_id_pack(a->id), kb = city_id_pack(b->id);
    const CityVehicleView *first = ka < kb ? a : b, *second = ka < kb ? b : a;
    bool created;
    PrEncounter *e = encounter(pr, CITY_CONFLICT_VEH_VEH, ka < kb ? ka : kb, ka < kb ? kb : ka, &created);
    if (!e)
        return CITY_ERR_NOMEM;
    if (created) {
        snprintf(e->name_a, sizeof e->name_a, "%s", first->name);
        snprintf(e->name_b, sizeof e->name_b, "%s", second->name);
        junction_of_lane(net->lanes[a->lane].id, e->place, sizeof e->place);
    }
    const CityVehicleView *hit = t1 <= t2 ? a : b; /* the front that runs in */
    fold_ttc(pr, w, e, ttc, hypot(ax - bx, ay - by), hit->xy.x, hit->xy.y, first->speed_mps, second->speed_mps);
    return CITY_OK;
}

CityStatus pr_pairs_veh(PedRoad *pr, CityWorld *w, const CityRoad *road)
{
    const CityRoadNet *net = city_road_net(road);
    int32_t n = (int32_t)city_road_vehicle_count(road);
    if (vgrid_build(pr, road, n) != CITY_OK)
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory measuring vehicle conflicts");
    for (int32_t i = 0; i < n; i++) {
        CityVehicleView a;
        city_road_vehicle_at(road, (size_t)i, &a);
        if (!net->edges[net->lanes[a.lane].edge].internal)
            continue; /* pairs are compared inside junctions only */
        int32_t cx = pr->vcell_of[i] % pr->vgnx, cy = pr->vcell_of[i] / pr->vgnx;
        for (int32_t yy = cy - 1; yy <= cy + 1; yy++)
            for (int32_t xx = cx - 1; xx <= cx + 1; xx++) {
                if (xx < 0 || yy < 0 || xx >= pr->vgnx || yy >= pr->vgny)
                    continue;
                int32_t c = yy * pr->vgnx + xx;
                for (int32_t k = pr->vcell_first[c]; k < pr->vcell_first[c + 1]; k++) {
                    int32_t j = pr->vcell_items[k];
                    if (j == i)
                        continue;
                    CityVehicleView b;
                    city_road_vehicle_at(road, (size_t)j, &b);
                    bool b_inside = net->edges[net->lanes[b.lane].edge].internal;
                    if ((b_inside && j < i) || hypot(b.xy.x - a.xy.x, b.xy.y - a.xy.y) > PR_VV_RANGE_M)
                        continue; /* a pair inside a junction is compared once */
                    if (past_beside(net, &a, &b) || (b_inside && past_beside(net, &b, &a)) ||
                        paths_apart(pr, net, &a, &b))
                        continue;
                    if (pair_veh(pr, w, net, &a, &b) != CITY_OK)
                        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory measuring vehicle conflicts");
                }
            }
    }
    return CITY_OK;
}

static void field(char *buf, size_t cap, double v)
{
    if (isfinite(v))
        snprintf(buf, cap, "%.3f", v);
    else
        buf[0] = '\0';
}

/* One conflict: its row, its mark for the viewer, the KPIs. */
static CityStatus emit(PedRoad *pr, CityWorld *w, const PrEncounter *e)
{
    char ttc[32], pet[32];
    field(ttc, sizeof ttc, e->ttc_s);
    field(pet, sizeof pet, e->pet_s);
    pr->conflicts++;
    if (e->collision)
        pr->collisions++;
    const CityPedParams *p = city_ped_params(city_ped_of(w));
    if (e->type == CITY_CONFLICT_VEH_PED && e->ttc_s < p->conflict_ttc_s)
        pr->ped_ttc++;
    CityConflictMark *m = &pr->recent[pr->recent_head];
    *m = (CityConflictMark){e->time_s, e->x, e->y, (CityConflictType)e->type, e->ttc_s, e->pet_s, e->collision};
    pr->recent_head = (pr->recent_head + 1) % PR_RECENT;
    if (pr->n_recent < PR_RECENT)
        pr->n_recent++;
    if (!pr->table)
        return CITY_OK;
    return city_table_row(pr->table, "%.3f,%.3f,%.3f,%s,%s,%s,%s,%s,%s,%.3f,%.3f,%.3f,%d", e->time_s, e->x, e->y,
                          e->place, e->name_a, e->name_b,
                          e->type == CITY_CONFLICT_VEH_PED ? "vehicle-pedestrian" : "vehicle-vehicle", ttc, pet,
                          e->drac_mps2, e->speed_a, e->speed_b, e->collision ? 1 : 0);
}

CityStatus pr_close(PedRoad *pr, CityWorld *w, const CityPed *ped, const CityRoad *road, bool all)
{
    (void)road;
    const CityPedParams *p = city_ped_params(ped);
    const int64_t tick = city_world_tick(w);
    int32_t keep = 0;
    CityStatus st = CITY_OK;
    for (int32_t i = 0; i < pr->n_enc; i++) { /* in (type, a, b) order */
        const PrEncounter *e = &pr->enc[i];
        if (!all && e->seen >= tick) {
            pr->enc[keep++] = *e;
            continue;
        }
        if (st == CITY_OK && (e->ttc_s < p->conflict_ttc_s || e->pet_s < p->conflict_pet_s || e->collision))
            st = emit(pr, w, e);
    }
    pr->n_enc = keep;
    return st;
}

void pr_safety_free(PedRoad *pr)
{
    for (int32_t i = 0; i < pr->n_x; i++) {
        free(pr->x[i].peds.a);
        free(pr->x[i].vehs.a);
    }
    free(pr->enc);
    free(pr->done);
    free(pr->vcell_first);
    free(pr->vcell_items);
    free(pr->vcell_of);
}
