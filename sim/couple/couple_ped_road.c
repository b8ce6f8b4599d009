/* People and vehicles at crossings (see city_ped_road.h). Runs in CONTROL,
 * every tick, on the state the last step committed:
 *   1. people on or stepping onto each crossing;
 *   2. vehicles approaching each crossing: their time to arrival, whether
 *      they can still stop, conflicts with those people, passages (PET);
 *   3. vehicle pairs inside junctions;
 *   4. per crossing: its doors (light, or gaps) and the links it blocks;
 *   5. encounters that ended become conflicts.
 * A person steps onto a crossing without a light when every approaching
 * vehicle is more than the critical gap away (people yield: HCM 2010
 * eq. 18-17), at a zebra when every vehicle that could not stop
 * comfortably (3 m/s2) is (drivers yield). With yielding off drivers
 * ignore people, who still expect them to stop at zebras: that is where
 * conflicts appear. A red walker (a share of people, drawn per person)
 * crosses on red when the gap allows; those waiting with them follow. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_group.h"
#include "couple_internal.h"
#include "couple_ped_road.h"

#define PR_ABOUT_M 3.0      /* someone within this of a crossing's door, heading for it, is stepping on */
#define PR_LOOK_M 80.0      /* vehicles farther from a crossing are not followed */
#define PR_COMFORT_MPS2 3.0 /* a driver stops for a person when it takes no harder braking */
#define PR_ACCEL_MPS2 2.6   /* a vehicle pulling away (SUMO's passenger car) */
#define PR_STUB_M 20.0      /* a lane shorter than this between two junctions is a stub */
#define PR_STANDING_S 5.0   /* a vehicle standing longer than this is not about to arrive */
#define PR_CELL_M 40.0      /* grid over the crossings */

static const char *const PR_NAME = "ped_road";

/* A person's draw in [0, 1), from the run seed and its id (splitmix64). */
static double person_draw(uint64_t seed, uint64_t key)
{
    uint64_t z = seed ^ (key * 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static int cmp_near(const void *a, const void *b)
{
    const PrNear *p = a, *q = b;
    if (p->crossing != q->crossing)
        return p->crossing < q->crossing ? -1 : 1;
    return (p->key > q->key) - (p->key < q->key);
}

/* Step 1: people on each crossing or within PR_ABOUT_M of stepping on. */
static CityStatus collect_people(PedRoad *pr, CityWorld *w, const CityPed *ped)
{
    pr->n_near = 0;
    size_t n = city_ped_count(ped);
    for (size_t i = 0; i < n; i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        int32_t c = v.area >= 0 && v.area < pr->n_areas ? pr->x_of_area[v.area] : -1;
        bool on = c >= 0;
        if (!on && v.next_door >= 0 && v.next_door < pr->n_doors && pr->x_of_door[v.next_door] >= 0) {
            int32_t k = pr->x_of_door[v.next_door];
            const PrCrossing *x = &pr->x[k];
            int32_t side = x->door[0] == v.next_door ? 0 : 1;
            if (hypot(v.x_m - x->door_x[side], v.y_m - x->door_y[side]) < PR_ABOUT_M)
                c = k;
        }
        if (c < 0)
            continue;
        if (!city_array_grow((void **)&pr->near, &pr->cap_near, pr->n_near + 1, sizeof *pr->near))
            return city_world_fail(w, CITY_ERR_NOMEM, "out of memory following people at crossings");
        pr->near[pr->n_near++] = (PrNear){c, city_id_pack(v.id), v.x_m, v.y_m, v.vx_mps, v.vy_mps, v.radius_m, on};
    }
    if (pr->n_near > 1)
        qsort(pr->near, (size_t)pr->n_near, sizeof *pr->near, cmp_near);
    const double share = city_ped_params(ped)->red_walker_share;
    for (int32_t k = 0, i = 0; k <= pr->n_x; k++) {
        pr->near_first[k] = i;
        if (k == pr->n_x)
            break;
        PrCrossing *x = &pr->x[k];
        x->n_on = x->n_about = x->n_red = 0;
        x->tta_any_s = x->tta_nostop_s = INFINITY;
        for (; i < pr->n_near && pr->near[i].crossing == k; i++) {
            const PrNear *p = &pr->near[i];
            if (p->on) {
                x->n_on++;
                double s = (p->x - x->x1) * x->ux + (p->y - x->y1) * x->uy;
                CityStatus st = pr_pet(pr, w, k, false, p->key, NULL, s, p->x, p->y, hypot(p->vx, p->vy));
                if (st != CITY_OK)
                    return st;
            } else {
                x->n_about++;
                if (share > 0 && person_draw(pr->seed, p->key) < share)
                    x->n_red++;
            }
        }
    }
    return CITY_OK;
}

/* How far a vehicle still travels before its stop line when the link it
 * takes there shows red or is blocked (drivers obey); INFINITY otherwise. */
static double stop_ahead_m(const CityRoad *road, const CityRoadNet *net, const CityVehicleView *v)
{
    const CityLane *lane = &net->lanes[v->lane];
    if (net->edges[lane->edge].internal || v->next_lane < 0)
        return INFINITY;
    for (int32_t k = lane->out_first; k < lane->out_first + lane->out_count; k++) {
        const CityConnection *c = &net->conns[k];
        if (c->to_lane != v->next_lane)
            continue;
        const char *state = c->tls >= 0 ? city_road_tls_state(road, c->tls) : NULL;
        char ch = state && c->tls_link >= 0 ? state[c->tls_link] : 'G';
        if (ch == 'r' || ch == 'u' || (c->link >= 0 && city_road_link_blocked(road, c->link)))
            return fmax(0.0, lane->length_m - v->pos_m - 1.0);
        return INFINITY;
    }
    return INFINITY;
}

/* Step 2 for one vehicle and one crossing. */
static bool crosses(const PrCrossing *x, int32_t link)
{
    for (int32_t f = 0; f < x->n_foes; f++)
        if (x->foes[f] == link)
            return true;
    return false;
}

int32_t pr_vehicle_link(const PedRoad *pr, const CityRoadNet *net, const CityVehicleView *v, double *dist_m)
{
    const CityLane *lane = &net->lanes[v->lane];
    *dist_m = 0.0;
    if (net->edges[lane->edge].internal)
        return pr->link_of_lane[v->lane];
    for (int32_t k = lane->out_first; k < lane->out_first + lane->out_count; k++)
        if (net->conns[k].to_lane == v->next_lane) {
            *dist_m = lane->length_m - v->pos_m;
            return net->conns[k].link;
        }
    return -1;
}

/* Whether a vehicle's body (front, middle or rear) stands on the crossing:
 * a queue that spills back over it (people do not walk into cars). */
static bool on_crossing(const PrCrossing *x, const CityVehicleView *v)
{
    for (int k = 0; k < 3; k++) {
        double back = 0.5 * k * v->length_m;
        double rx = v->xy.x - back * cos(v->heading_rad) - x->x1, ry = v->xy.y - back * sin(v->heading_rad) - x->y1;
        double s = rx * x->ux + ry * x->uy, nrm = -rx * x->uy + ry * x->ux;
        if (s > -0.5 && s < x->len_m + 0.5 && fabs(nrm) < x->half_w_m + 0.5)
            return true;
    }
    return false;
}

/* Distance along its route from a vehicle to the first junction link it
 * will take that crosses x, within PR_LOOK_M; INFINITY when none (a
 * vehicle leaving a joined junction meets the next one metres later).
 * Inside a junction the internal lanes it has passed are not counted
 * again: they were, and a car in the joined junction south of the school
 * zone's zebra (internal lanes of 28 and 38 m) looked up to 50 m farther
 * from it than it was to people judging their gap. */
static double route_meets(const PrCrossing *x, const CityRoadNet *net, const CityVehicleView *v)
{
    const CityLane *lane = &net->lanes[v->lane];
    const bool inside = net->edges[lane->edge].internal;
    double dist = lane->length_m - v->pos_m;
    for (int32_t k = v->route_pos + 1; k < v->route_len && dist < PR_LOOK_M; k++) {
        const CityEdge *from = &net->edges[v->route[k - 1]];
        const CityConnection *via = NULL; /* a connection from edge k-1 to edge k */
        for (int32_t l = from->lane_first; l < from->lane_first + from->lane_count && !via; l++)
            for (int32_t c = net->lanes[l].out_first; c < net->lanes[l].out_first + net->lanes[l].out_count; c++)
                if (net->lanes[net->conns[c].to_lane].edge == v->route[k]) {
                    via = &net->conns[c];
                    break;
                }
        if (!via)
            return INFINITY;
        if (via->link >= 0 && crosses(x, via->link))
            return dist;
        /* the junction's internal lanes: those after the vehicle's own
         * when it is inside this one (its lane's rest is counted above) */
        int32_t i = 0;
        if (k == v->route_pos + 1 && inside) {
            while (i < via->via_count && net->via[via->via_first + i] != v->lane)
                i++;
            i = i < via->via_count ? i + 1 : via->via_count; /* (another lane's connection: none) */
        }
        for (; i < via->via_count; i++)
            dist += net->lanes[net->via[via->via_first + i]].length_m;
        dist += net->edges[v->route[k]].length_m;
    }
    return INFINITY;
}

/* The link vehicle v crossed into the lane it is on (a normal lane, from
 * the previous edge of its route), or -1. */
static int32_t link_behind(const CityRoadNet *net, const CityVehicleView *v)
{
    if (net->edges[net->lanes[v->lane].edge].internal || v->route_pos < 1 || v->route_pos > v->route_len - 1)
        return -1;
    const CityEdge *from = &net->edges[v->route[v->route_pos - 1]];
    for (int32_t l = from->lane_first; l < from->lane_first + from->lane_count; l++)
        for (int32_t c = net->lanes[l].out_first; c < net->lanes[l].out_first + net->lanes[l].out_count; c++)
            if (net->conns[c].to_lane == v->lane)
                return net->conns[c].link;
    return -1;
}

/* Whether vehicle v's path crosses crossing x as its junction has it: the
 * link v takes next or is on (`link`), or has just left with its back
 * perhaps still over x, is one of x's foes or feeds a stub before one, or
 * its route meets x further on. Conflicts with the people on x are
 * measured for those vehicles only, the ones x's people hold back: the
 * junction lets people and the other vehicles pass each other.
 * netconvert draws some crossings over the lane of a link that is no foe
 * of theirs (in Jamsil :1809564335_c0, across a side road's mouth, lies
 * 1.6 m from the arterial's through lane beside it); measured by shape
 * alone, cars going straight on at 80 km/h "hit" the people walking
 * over the side road there: 40 collisions in 11 of 24 runs of
 * jamsil_walk. `along`: route_meets, or the distance to the line of a foe link. */
static bool path_meets(const PrCrossing *x, const CityRoadNet *net, const CityVehicleView *v, int32_t link,
                       double along)
{
    if (isfinite(along))
        return true;
    for (int32_t b = 0; link >= 0 && b < x->n_block; b++)
        if (x->block[b] == link)
            return true; /* (block: the foes, then the links feeding stubs before them) */
    int32_t behind = link_behind(net, v);
    return behind >= 0 && crosses(x, behind);
}

/* Folds a vehicle's arrival at crossing x into the gaps people see: a
 * vehicle closing in on the crossing (heading within 60 degrees of it) or
 * bound for a link that crosses it arrives after its distance over its
 * speed; one inside a junction on such a link, or standing on the
 * crossing, counts as arriving now (the lane model stops nobody inside a
 * junction). s: its front along the crossing; along: its distance along
 * its route to a link that crosses it (INFINITY: none within PR_LOOK_M). */
static void approach(PrCrossing *x, const CityRoadNet *net, const CityVehicleView *v, int32_t link, bool foe,
                     double along, double s)
{
    bool feeds = false;
    for (int32_t b = x->n_foes; link >= 0 && b < x->n_block && !feeds; b++)
        feeds = x->block[b] == link; /* in a junction just before it, beyond a stub */
    /* a vehicle that has stood for a while (a queue, a car waiting to
     * turn) is not about to arrive: people cross in front of it */
    bool standing = v->speed_mps < 0.5 && v->halt_s > PR_STANDING_S;
    if ((!standing && (foe || feeds) && net->edges[net->lanes[v->lane].edge].internal) || on_crossing(x, v)) {
        x->tta_any_s = x->tta_nostop_s = 0.0;
        return;
    }
    if (standing)
        return;
    double sc = fmin(fmax(s, 0.0), x->len_m); /* nearest point of the centre line */
    double dx = x->x1 + x->ux * sc - v->xy.x, dy = x->y1 + x->uy * sc - v->xy.y;
    double d = fmax(0.0, hypot(dx, dy) - x->half_w_m);
    double toward = d > 0 ? (dx * cos(v->heading_rad) + dy * sin(v->heading_rad)) / hypot(dx, dy) : 1.0;
    if (isfinite(along))
        d = fmin(d, along);
    else if (toward < 0.5)
        return; /* moving past or away */
    /* a vehicle routed over it may pull away from a light any moment: it
     * arrives as if accelerating (2.6 m/s2, SUMO's passenger car) */
    double v0 = v->speed_mps, tta = isfinite(along) ? (sqrt(v0 * v0 + 2.0 * PR_ACCEL_MPS2 * d) - v0) / PR_ACCEL_MPS2
                                    : v0 > 0.1      ? d / v0
                                                    : INFINITY;
    x->tta_any_s = fmin(x->tta_any_s, tta);
    if (v->speed_mps * v->speed_mps / (2.0 * PR_COMFORT_MPS2) >= d - 1.0)
        x->tta_nostop_s = fmin(x->tta_nostop_s, tta);
}

static CityStatus vehicle_at(PedRoad *pr, CityWorld *w, const CityRoad *road, const CityVehicleView *v, int32_t link,
                             double dist_m, int32_t k)
{
    const CityRoadNet *net = city_road_net(road);
    PrCrossing *x = &pr->x[k];
    double rx = v->xy.x - x->x1, ry = v->xy.y - x->y1;
    double s = rx * x->ux + ry * x->uy, nrm = -rx * x->uy + ry * x->ux; /* along and across the crossing */
    if (fabs(nrm) > PR_LOOK_M || s < -PR_LOOK_M || s > x->len_m + PR_LOOK_M)
        return CITY_OK;
    double hn = -cos(v->heading_rad) * x->uy + sin(v->heading_rad) * x->ux; /* heading across the crossing */
    bool foe = link >= 0 && crosses(x, link);
    double along = foe ? dist_m : route_meets(x, net, v);
    approach(x, net, v, link, foe, along, s);
    if (!path_meets(x, net, v, link, along))
        return CITY_OK; /* no conflict by the junction's account (see path_meets) */
    /* a passage over the centre line this tick (for PET) */
    double dt_s = city_world_dt_ms(w) / 1000.0, back = v->speed_mps * dt_s;
    double nrm_prev = nrm - back * hn, s_cross = s;
    if (back > 0 && (nrm_prev < 0) != (nrm < 0) && s_cross > -0.5 && s_cross < x->len_m + 0.5) {
        CityStatus st = pr_pet(pr, w, k, true, city_id_pack(v->id), v->name, s_cross, v->xy.x, v->xy.y, v->speed_mps);
        if (st != CITY_OK)
            return st;
    }
    double stop_m = pr->near_first[k + 1] > pr->near_first[k] ? stop_ahead_m(road, net, v) : INFINITY;
    for (int32_t i = pr->near_first[k]; i < pr->near_first[k + 1]; i++) {
        if (!pr->near[i].on)
            continue; /* measured on the crossing only: netconvert's walking areas overlap turning paths */
        CityStatus st = pr_pair_ped(pr, w, v, stop_m, &pr->near[i], k);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}

/* Step 2: every vehicle against the crossings of its grid cell. */
static CityStatus follow_vehicles(PedRoad *pr, CityWorld *w, const CityRoad *road)
{
    size_t n = city_road_vehicle_count(road);
    for (size_t i = 0; i < n; i++) {
        CityVehicleView v;
        city_road_vehicle_at(road, i, &v);
        int32_t cx = (int32_t)floor((v.xy.x - pr->gx0) / pr->cell_m),
                cy = (int32_t)floor((v.xy.y - pr->gy0) / pr->cell_m);
        if (cx < 0 || cy < 0 || cx >= pr->gnx || cy >= pr->gny)
            continue;
        int32_t c = cy * pr->gnx + cx;
        double dist_m = 0;
        int32_t link =
            pr->cell_first[c] < pr->cell_first[c + 1] ? pr_vehicle_link(pr, city_road_net(road), &v, &dist_m) : -1;
        for (int32_t j = pr->cell_first[c]; j < pr->cell_first[c + 1]; j++) {
            CityStatus st = vehicle_at(pr, w, road, &v, link, dist_m, pr->cell_items[j]);
            if (st != CITY_OK)
                return st;
        }
    }
    return CITY_OK;
}

/* Opens or closes a crossing's doors, for those stepping on only, as x->open says. */
static CityStatus apply_doors(CityPed *ped, const PrCrossing *x)
{
    const bool open = x->open != 0;
    for (int k = 0; k < 2; k++) {
        if (x->door[k] < 0)
            continue;
        CityStatus st =
            city_ped_door_set_open_ways(ped, x->door[k], x->in_ab[k] ? open : true, x->in_ab[k] ? true : open);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}

/* Step 4 for one crossing: open or close its doors for those stepping on. */
static CityStatus set_doors(PedRoad *pr, CityPed *ped, const CityRoad *road, PrCrossing *x)
{
    bool open;
    if (x->signal) {
        const char *state = city_road_tls_state(road, x->tls);
        char c = state ? state[x->tls_link] : 'r';
        open = c == 'G' || c == 'g' || (x->n_red > 0 && x->tta_any_s > x->gap_s);
    } else {
        open = (city_ped_crossing_get(ped, x->ped)->priority ? x->tta_nostop_s : x->tta_any_s) > x->gap_s;
    }
    (void)pr;
    if (x->open == (int8_t)open)
        return CITY_OK;
    x->open = (int8_t)open;
    return apply_doors(ped, x);
}

/* Step 4: doors, then the links to block (those no longer wanted are freed). */
static CityStatus control_crossings(PedRoad *pr, CityPed *ped, CityRoad *road)
{
    for (int32_t k = 0; k < pr->n_x; k++) {
        PrCrossing *x = &pr->x[k];
        CityStatus st = set_doors(pr, ped, road, x);
        if (st != CITY_OK)
            return st;
        bool zebra = !x->signal && city_ped_crossing_get(ped, x->ped)->priority;
        if (!pr->yield || !(x->n_on > 0 || (zebra && x->open && x->n_about > 0)))
            continue;
        for (int32_t f = 0; f < x->n_block; f++)
            pr->want[x->block[f]] = 1;
    }
    int32_t keep = 0;
    for (int32_t i = 0; i < pr->n_blocked; i++) {
        int32_t l = pr->blocked[i];
        if (pr->want[l]) {
            pr->blocked[keep++] = l;
            pr->want[l] = 2; /* already blocked */
        } else if (city_road_link_set_blocked(road, l, false) != CITY_OK) {
            return CITY_ERR_INVALID;
        }
    }
    pr->n_blocked = keep;
    for (int32_t k = 0; k < pr->n_x; k++)
        for (int32_t f = 0; f < pr->x[k].n_block; f++) {
            int32_t l = pr->x[k].block[f];
            if (pr->want[l] == 1) {
                if (!city_array_grow((void **)&pr->blocked, &pr->cap_blocked, pr->n_blocked + 1, sizeof(int32_t)) ||
                    city_road_link_set_blocked(road, l, true) != CITY_OK)
                    return city_world_fail(city_road_world(road), CITY_ERR_NOMEM, "out of memory blocking links");
                pr->blocked[pr->n_blocked++] = l;
            }
            pr->want[l] = 0;
        }
    for (int32_t i = 0; i < pr->n_blocked; i++)
        pr->want[pr->blocked[i]] = 0;
    return CITY_OK;
}

static void set_kpis(CityWorld *w, const PedRoad *pr)
{
    city_world_kpi_set(w, "conflicts", (double)pr->conflicts);
    city_world_kpi_set(w, "collisions", (double)pr->collisions);
    city_world_kpi_set(w, "ped_conflicts_ttc", (double)pr->ped_ttc);
}

static CityStatus pr_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    PedRoad *pr = self;
    CityPed *ped = city_ped_of(w);
    CityRoad *road = city_road_of(w);
    CityStatus st = collect_people(pr, w, ped);
    if (st == CITY_OK)
        st = follow_vehicles(pr, w, road);
    if (st == CITY_OK)
        st = pr_pairs_veh(pr, w, road);
    if (st == CITY_OK)
        st = control_crossings(pr, ped, road);
    uint64_t before = pr->conflicts;
    if (st == CITY_OK)
        st = pr_close(pr, w, ped, road, false);
    if (st == CITY_OK && pr->conflicts != before)
        set_kpis(w, pr);
    return st;
}

static CityStatus pr_finish(CityWorld *w, void *self)
{
    PedRoad *pr = self;
    CityStatus st = pr_close(pr, w, city_ped_of(w), city_road_of(w), true);
    set_kpis(w, pr);
    return st;
}

static void pr_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const PedRoad *pr = self;
    city_hash_u64(h, pr->conflicts);
    city_hash_u64(h, pr->collisions);
    city_hash_u64(h, (uint64_t)pr->n_enc);
    for (int32_t i = 0; i < pr->n_enc; i++) {
        city_hash_u64(h, pr->enc[i].a);
        city_hash_u64(h, pr->enc[i].b);
        city_hash_f64(h, pr->enc[i].ttc_s);
    }
    for (int32_t i = 0; i < pr->n_blocked; i++)
        city_hash_u64(h, (uint64_t)pr->blocked[i]);
}

static CityStatus pr_save_hook(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    return pr_save(self, out);
}

/* Reads the state back, then gives the domains the doors and blocked links it implies. */
static CityStatus pr_load_hook(CityWorld *w, void *self, CityStateReader *in)
{
    PedRoad *pr = self;
    CityStatus st = pr_load(pr, w, in);
    CityPed *ped = city_ped_of(w);
    CityRoad *road = city_road_of(w);
    for (int32_t i = 0; st == CITY_OK && i < pr->n_x; i++)
        if (pr->x[i].open >= 0)
            st = apply_doors(ped, &pr->x[i]);
    for (int32_t i = 0; st == CITY_OK && i < pr->n_blocked; i++)
        st = city_road_link_set_blocked(road, pr->blocked[i], true);
    return st;
}

static void pr_destroy(void *self)
{
    PedRoad *pr = self;
    if (!pr)
        return;
    pr_safety_free(pr);
    for (int32_t i = 0; i < pr->n_x; i++) {
        free(pr->x[i].foes);
        free(pr->x[i].block);
    }
    free(pr->x);
    free(pr->x_of_area);
    free(pr->x_of_door);
    free(pr->link_of_lane);
    free(pr->cell_first);
    free(pr->cell_items);
    free(pr->want);
    free(pr->blocked);
    free(pr->near);
    free(pr->near_first);
    free(pr);
}

/* The vehicle links crossing k crosses: those whose foes name its
 * junction link (the road keeps no request row of its own for a crossing). */
static CityStatus crossing_foes(PrCrossing *x, const CityRoadNet *net, const CityPedCrossingDef *d)
{
    int32_t j = d->junction ? city_road_net_find_junction(net, d->junction) : -1;
    if (j < 0 || d->junction_link < 0 || d->junction_link >= net->junctions[j].link_count)
        return CITY_OK; /* a crossing the road does not know: doors and measures only */
    int32_t base = net->junctions[j].link_first, n = net->junctions[j].link_count, bit = d->junction_link;
    x->foes = malloc(((size_t)n + 1) * sizeof *x->foes);
    if (!x->foes)
        return CITY_ERR_NOMEM;
    for (int32_t l = base; l < base + n; l++)
        if (net->links[l].conn >= 0 && (city_road_link_foes(net, l)[bit / 64] >> (bit % 64)) & 1u)
            x->foes[x->n_foes++] = l;
    return CITY_OK;
}

/* The links a person on crossing x blocks: its foes, and the links that
 * feed a foe's lane when that lane is a stub (joined junctions of
 * OpenStreetMap networks leave lanes of decimetres between two stop
 * lines): a vehicle must wait before the first junction, as it cannot
 * stop on the stub. */
static CityStatus crossing_blocks(PrCrossing *x, const CityRoadNet *net, const CityGroups *into)
{
    int32_t cap = x->n_foes + 1;
    x->block = malloc((size_t)cap * sizeof *x->block);
    if (!x->block)
        return CITY_ERR_NOMEM;
    for (int32_t f = 0; f < x->n_foes; f++)
        x->block[x->n_block++] = x->foes[f];
    for (int32_t i = 0; i < x->n_block; i++) { /* grows while it runs: feeders of feeders */
        int32_t lane = net->conns[net->links[x->block[i]].conn].from_lane;
        if (net->lanes[lane].length_m >= PR_STUB_M || i >= 4 * x->n_foes)
            continue;
        for (int32_t k = into->first[lane]; k < into->first[lane + 1]; k++) { /* the connections onto it */
            int32_t l = net->conns[into->items[k]].link;
            if (l < 0)
                continue;
            bool seen = false;
            for (int32_t k = 0; k < x->n_block && !seen; k++)
                seen = x->block[k] == l;
            if (seen)
                continue;
            if (!city_array_grow((void **)&x->block, &cap, x->n_block + 1, sizeof *x->block))
                return CITY_ERR_NOMEM;
            x->block[x->n_block++] = l;
        }
    }
    return CITY_OK;
}

/* Geometry, doors, light and critical gap of crossing k. */
static CityStatus crossing_setup(PedRoad *pr, const CityPed *ped, const CityRoadNet *net, const CityGroups *into,
                                 int32_t k)
{
    const CityPedCrossingDef *d = city_ped_crossing_get(ped, k);
    const CityPedParams *p = city_ped_params(ped);
    PrCrossing *x = &pr->x[k];
    x->ped = k;
    x->open = -1;
    x->x1 = d->x1;
    x->y1 = d->y1;
    x->len_m = hypot(d->x2 - d->x1, d->y2 - d->y1);
    x->ux = x->len_m > 0 ? (d->x2 - d->x1) / x->len_m : 1.0;
    x->uy = x->len_m > 0 ? (d->y2 - d->y1) / x->len_m : 0.0;
    x->half_w_m = 0.5 * d->width_m;
    x->gap_s = p->critical_gap_s > 0 ? p->critical_gap_s : x->len_m / p->gap_speed_mps + p->gap_startup_s;
    x->tls = d->tls ? city_road_net_find_tls(net, d->tls) : -1;
    x->tls_link = x->tls >= 0 && d->tls_link >= 0 && d->tls_link < net->tls[x->tls].link_count ? d->tls_link : -1;
    x->signal = x->tls_link >= 0;
    for (int32_t a = d->first_area; a <= d->last_area; a++)
        pr->x_of_area[a] = k;
    const int32_t doors[2] = {d->door_in_a, d->door_in_b};
    for (int s = 0; s < 2; s++) {
        x->door[s] = doors[s];
        if (doors[s] < 0)
            continue;
        int32_t a, b;
        double x1, y1, x2, y2;
        city_ped_door_get(ped, doors[s], &a, &b, &x1, &y1, &x2, &y2);
        x->in_ab[s] = b >= d->first_area && b <= d->last_area;
        x->door_x[s] = 0.5 * (x1 + x2);
        x->door_y[s] = 0.5 * (y1 + y2);
        pr->x_of_door[doors[s]] = k;
    }
    CityStatus st = crossing_foes(x, net, d);
    return st == CITY_OK ? crossing_blocks(x, net, into) : st;
}

/* The grid that lists, per cell, the crossings within PR_LOOK_M. */
static CityStatus crossing_grid(PedRoad *pr)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int32_t k = 0; k < pr->n_x; k++) {
        const PrCrossing *x = &pr->x[k];
        double ex = x->x1 + x->ux * x->len_m, ey = x->y1 + x->uy * x->len_m;
        x0 = fmin(x0, fmin(x->x1, ex));
        y0 = fmin(y0, fmin(x->y1, ey));
        x1 = fmax(x1, fmax(x->x1, ex));
        y1 = fmax(y1, fmax(x->y1, ey));
    }
    pr->cell_m = PR_CELL_M;
    pr->gx0 = x0 - PR_LOOK_M;
    pr->gy0 = y0 - PR_LOOK_M;
    pr->gnx = (int32_t)((x1 - x0 + 2 * PR_LOOK_M) / PR_CELL_M) + 1;
    pr->gny = (int32_t)((y1 - y0 + 2 * PR_LOOK_M) / PR_CELL_M) + 1;
    int32_t nc = pr->gnx * pr->gny, n_items = 0;
    pr->cell_first = calloc((size_t)nc + 1, sizeof *pr->cell_first);
    if (!pr->cell_first)
        return CITY_ERR_NOMEM;
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t k = 0; k < pr->n_x; k++) {
            const PrCrossing *x = &pr->x[k];
            double ex = x->x1 + x->ux * x->len_m, ey = x->y1 + x->uy * x->len_m;
            int32_t cx0 = (int32_t)((fmin(x->x1, ex) - PR_LOOK_M - pr->gx0) / PR_CELL_M);
            int32_t cx1 = (int32_t)((fmax(x->x1, ex) + PR_LOOK_M - pr->gx0) / PR_CELL_M);
            int32_t cy0 = (int32_t)((fmin(x->y1, ey) - PR_LOOK_M - pr->gy0) / PR_CELL_M);
            int32_t cy1 = (int32_t)((fmax(x->y1, ey) + PR_LOOK_M - pr->gy0) / PR_CELL_M);
            for (int32_t cy = cy0 < 0 ? 0 : cy0; cy <= cy1 && cy < pr->gny; cy++)
                for (int32_t cx = cx0 < 0 ? 0 : cx0; cx <= cx1 && cx < pr->gnx; cx++) {
                    int32_t c = cy * pr->gnx + cx;
                    if (pass == 0)
                        pr->cell_first[c + 1]++;
                    else
                        pr->cell_items[pr->cell_first[c]++] = k;
                }
        }
        if (pass == 0) {
            for (int32_t c = 0; c < nc; c++)
                pr->cell_first[c + 1] += pr->cell_first[c];
            n_items = pr->cell_first[nc];
            pr->cell_items = malloc(((size_t)n_items + 1) * sizeof *pr->cell_items);
            if (!pr->cell_items)
                return CITY_ERR_NOMEM;
        }
    }
    memmove(pr->cell_first + 1, pr->cell_first, (size_t)nc * sizeof *pr->cell_first);
    pr->cell_first[0] = 0;
    return CITY_OK;
}

static CityStatus pr_build(CityWorld *w, PedRoad *pr, const CityPed *ped, const CityRoad *road)
{
    const CityRoadNet *net = city_road_net(road);
    pr->n_x = city_ped_crossing_count(ped);
    pr->n_areas = city_ped_area_count(ped);
    pr->n_doors = city_ped_door_count(ped);
    pr->x = calloc((size_t)pr->n_x, sizeof *pr->x);
    pr->x_of_area = malloc(((size_t)pr->n_areas + 1) * sizeof *pr->x_of_area);
    pr->x_of_door = malloc(((size_t)pr->n_doors + 1) * sizeof *pr->x_of_door);
    pr->near_first = calloc((size_t)pr->n_x + 1, sizeof *pr->near_first);
    pr->want = calloc((size_t)net->n_links + 1, 1);
    pr->link_of_lane = malloc(((size_t)net->n_lanes + 1) * sizeof *pr->link_of_lane);
    if (!pr->x || !pr->x_of_area || !pr->x_of_door || !pr->near_first || !pr->want || !pr->link_of_lane)
        return CITY_ERR_NOMEM;
    for (int32_t l = 0; l < net->n_lanes; l++)
        pr->link_of_lane[l] = -1;
    for (int32_t c = 0; c < net->n_conns; c++)
        for (int32_t k = 0; k < net->conns[c].via_count; k++)
            pr->link_of_lane[net->via[net->conns[c].via_first + k]] = net->conns[c].link;
    memset(pr->x_of_area, 0xff, ((size_t)pr->n_areas + 1) * sizeof *pr->x_of_area);
    memset(pr->x_of_door, 0xff, ((size_t)pr->n_doors + 1) * sizeof *pr->x_of_door);
    /* the connections grouped by the lane they lead onto, once: a scan of
     * every connection per stub was quadratic in the city's size */
    CityGroups into = {0};
    int32_t *to_lane = malloc(((size_t)net->n_conns + 1) * sizeof *to_lane);
    bool ok = to_lane != NULL;
    for (int32_t c = 0; ok && c < net->n_conns; c++)
        to_lane[c] = net->conns[c].to_lane;
    ok = ok && city_groups_build(&into, to_lane, net->n_conns, net->n_lanes);
    free(to_lane);
    for (int32_t k = 0; ok && k < pr->n_x; k++)
        ok = crossing_setup(pr, ped, net, &into, k) == CITY_OK;
    city_groups_free(&into);
    if (!ok)
        return CITY_ERR_NOMEM;
    pr->yield = city_ped_params(ped)->yield;
    pr->seed = city_world_seed(w);
    pr->table = city_world_table(w, "conflicts",
                                 "time_s,x_m,y_m,place,party_a,party_b,type,ttc_s,pet_s,drac_mps2,speed_a_mps,"
                                 "speed_b_mps,collision");
    return pr->table ? crossing_grid(pr) : CITY_ERR_NOMEM;
}

CityStatus couple_ped_road_attach(CityWorld *w, const char *name)
{
    CityPed *ped = city_ped_of(w);
    CityRoad *road = city_road_of(w);
    if (!ped || !road || city_ped_crossing_count(ped) == 0)
        return CITY_OK;
    PedRoad *pr = calloc(1, sizeof *pr);
    CityStatus st = pr ? pr_build(w, pr, ped, road) : CITY_ERR_NOMEM;
    if (st != CITY_OK) {
        pr_destroy(pr);
        return city_world_fail(w, st, "out of memory attaching %s", name);
    }
    CitySubsystemDef def = {name,      CITY_PHASE_CONTROL, 1,           0, pr_step, pr_hash, pr_destroy,
                            pr_finish, pr_save_hook,       pr_load_hook};
    st = city_world_add_subsystem(w, &def, pr);
    if (st != CITY_OK)
        pr_destroy(pr);
    return st;
}

int32_t city_ped_road_conflicts(const CityWorld *world, double since_s, CityConflictMark *out, int32_t cap)
{
    const PedRoad *pr = city_world_subsystem(world, PR_NAME);
    if (!pr)
        return 0;
    int32_t n = 0;
    for (int32_t i = 0; i < pr->n_recent; i++) {
        const CityConflictMark *m = &pr->recent[(pr->recent_head - pr->n_recent + i + PR_RECENT) % PR_RECENT];
        if (m->time_s < since_s)
            continue;
        if (n < cap)
            out[n] = *m;
        n++;
    }
    return n;
}

bool city_ped_road_counts(const CityWorld *world, uint64_t *conflicts, uint64_t *collisions, uint64_t *ped_ttc)
{
    const PedRoad *pr = city_world_subsystem(world, PR_NAME);
    *conflicts = pr ? pr->conflicts : 0;
    *collisions = pr ? pr->collisions : 0;
    *ped_ttc = pr ? pr->ped_ttc : 0;
    return pr != NULL;
}

CityStatus city_ped_road_set_yield(CityWorld *world, bool yield)
{
    PedRoad *pr = city_world_subsystem(world, PR_NAME);
    if (!pr)
        return city_world_fail(world, CITY_ERR_INVALID,
                               "yielding at crossings: no crossings shared with vehicles (load a road and a SUMO "
                               "walkable space first)");
    pr->yield = yield;
    return CITY_OK;
}
