/* Vehicle storage, vehicle-type defaults, route planning at junctions
 * (the connection and the lanes a vehicle takes) and arrival. Departures
 * and insertion: road_insert.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_step_internal.h"

void city_vtype_defaults(CityVTypeDef *d, uint32_t vclass)
{
    memset(d, 0, sizeof *d);
    /* SUMO's vehicle-type defaults per class (sumo.dlr.de, "Vehicle Type Parameter Defaults") */
    d->vclass = vclass;
    d->length_m = 5.0;
    d->min_gap_m = 2.5;
    d->max_speed_mps = 55.56;
    d->accel_mps2 = 2.6;
    d->decel_mps2 = 4.5;
    d->emergency_decel_mps2 = 9.0;
    d->tau_s = 1.0;
    d->delta = 4.0;
    d->speed_factor = 1.0;
    d->speed_dev = 0.1;
    d->lc_politeness = 0.3;
    d->lc_threshold_mps2 = 0.1;
    road_ev_defaults(d, vclass);
    switch (vclass) {
    case CITY_VC_BUS:
        d->length_m = 12.0, d->max_speed_mps = 27.78, d->accel_mps2 = 1.2, d->decel_mps2 = 4.0;
        d->emergency_decel_mps2 = 7.0;
        break;
    case CITY_VC_TRUCK:
        d->length_m = 7.1, d->max_speed_mps = 36.11, d->accel_mps2 = 1.3, d->decel_mps2 = 4.0;
        d->emergency_decel_mps2 = 7.0;
        break;
    case CITY_VC_EMERGENCY:
        d->length_m = 6.5, d->speed_factor = 1.5;
        break;
    case CITY_VC_MOTORCYCLE:
        d->length_m = 2.2, d->accel_mps2 = 6.0, d->decel_mps2 = 10.0, d->emergency_decel_mps2 = 10.0;
        break;
    case CITY_VC_BICYCLE:
        d->length_m = 1.6, d->min_gap_m = 0.5, d->max_speed_mps = 5.56, d->accel_mps2 = 1.2;
        d->decel_mps2 = 3.0, d->emergency_decel_mps2 = 7.0;
        break;
    default:
        break;
    }
}

/* Grows one per-vehicle array from the old capacity vh->cap to `need`
 * (every array doubles the same way, so they all end at the same length). */
#define GROW_ARRAY(arr, need)                                                                                          \
    do {                                                                                                               \
        int32_t c_ = (int32_t)vh->cap;                                                                                 \
        if (!city_array_grow((void **)&(arr), &c_, (int32_t)(need), sizeof *(arr)))                                    \
            return CITY_ERR_NOMEM;                                                                                     \
    } while (0)

CityStatus road_vehicles_reserve(CityRoad *road, uint32_t n)
{
    RoadVehicles *vh = &road->veh;
    if (n <= vh->cap)
        return CITY_OK;
    if (n > INT32_MAX / 2)
        return CITY_ERR_NOMEM;
    /* at least doubling, like city_array_grow */
    uint32_t cap = vh->cap > 0 ? vh->cap : 16;
    while (cap < n)
        cap = cap > (uint32_t)INT32_MAX / 2 ? (uint32_t)INT32_MAX : cap * 2;
    for (int k = 0; k < 2; k++) { /* the records and the reorder's second buffer */
        RoadVehRec **arr = k == 0 ? &vh->rec : &vh->rec_alt;
        RoadVehRec *rec = aligned_alloc(64, (size_t)cap * sizeof *rec);
        if (!rec)
            return CITY_ERR_NOMEM;
        if (vh->cap > 0)
            memcpy(rec, *arr, (size_t)vh->cap * sizeof *rec);
        memset(rec + vh->cap, 0, (size_t)(cap - vh->cap) * sizeof *rec);
        free(*arr);
        *arr = rec;
    }
    RoadVehStep *step = aligned_alloc(64, (size_t)cap * sizeof *step);
    if (!step)
        return CITY_ERR_NOMEM;
    if (vh->cap > 0)
        memcpy(step, vh->step, (size_t)vh->cap * sizeof *step);
    memset(step + vh->cap, 0, (size_t)(cap - vh->cap) * sizeof *step);
    free(vh->step);
    vh->step = step;
    GROW_ARRAY(vh->depart_s, cap);
    GROW_ARRAY(vh->depart_delay_s, cap);
    GROW_ARRAY(vh->ev_start_kwh, cap);
    GROW_ARRAY(vh->edge_enter_s, cap);
    GROW_ARRAY(vh->live, cap);
    GROW_ARRAY(vh->live_pos, cap);
    GROW_ARRAY(vh->good, cap);
    GROW_ARRAY(vh->handle, cap);
    GROW_ARRAY(vh->slot, cap);
    GROW_ARRAY(vh->order, cap);
    GROW_ARRAY(vh->name, cap);
    memset(vh->name + vh->cap, 0, (cap - vh->cap) * sizeof *vh->name);
    memset(vh->handle + vh->cap, 0xff, (cap - vh->cap) * sizeof *vh->handle);
    memset(vh->slot + vh->cap, 0xff, (cap - vh->cap) * sizeof *vh->slot);
    vh->cap = cap;
    return CITY_OK;
}

static const int32_t *route_edges(const CityRoad *road, int32_t v, int32_t *n)
{
    const RoadVehRec *r = &road->veh.rec[v];
    *n = r->route_n;
    return road->route_edges + r->route_first;
}

bool road_outs_init(CityRoad *road)
{
    const CityRoadNet *net = road->net;
    road->outs = calloc((size_t)net->n_conns + 1, sizeof *road->outs);
    road->lane_out = calloc((size_t)net->n_lanes + 1, sizeof *road->lane_out);
    if (!road->outs || !road->lane_out)
        return false;
    for (int32_t ci = 0; ci < net->n_conns; ci++) {
        const CityLane *to = &net->lanes[net->conns[ci].to_lane];
        road->outs[ci] =
            (RoadOut){net->conns[ci].to_lane, to->edge, to->allow, to->length_m < ROAD_SHORT_EDGE_M, false};
    }
    for (int32_t l = 0; l < net->n_lanes; l++)
        road->lane_out[l] = (RoadLaneOut){net->lanes[l].out_first, net->lanes[l].out_count, net->lanes[l].allow, false};
    /* the lanes feeding each lane (every connection's lane before the
     * junction and internal lanes), grouped by the lane fed (a counting sort) */
    road->feed_first = calloc((size_t)net->n_lanes + 2, sizeof *road->feed_first);
    road->feed = malloc(((size_t)net->n_conns + (size_t)net->n_via + 1) * sizeof *road->feed);
    if (!road->feed_first || !road->feed)
        return false;
    for (int32_t ci = 0; ci < net->n_conns; ci++)
        road->feed_first[net->conns[ci].to_lane + 1] += 1 + net->conns[ci].via_count;
    for (int32_t l = 0; l < net->n_lanes; l++)
        road->feed_first[l + 1] += road->feed_first[l];
    for (int32_t ci = 0; ci < net->n_conns; ci++) {
        const CityConnection *c = &net->conns[ci];
        double ahead = 0.0; /* from the last internal lane back to the lane before the junction */
        for (int32_t k = c->via_count - 1; k >= -1; k--) {
            int32_t from = k >= 0 ? net->via[c->via_first + k] : c->from_lane;
            /* each group's start moves to its end */
            road->feed[road->feed_first[c->to_lane]++] = (RoadFeed){from, ahead};
            ahead += k >= 0 ? net->lanes[from].length_m : 0.0;
        }
    }
    for (int32_t l = net->n_lanes; l > 0; l--) /* then back */
        road->feed_first[l] = road->feed_first[l - 1];
    road->feed_first[0] = 0;
    road_closures_mirror(road, -1);
    return true;
}

void road_closures_mirror(CityRoad *road, int32_t lane)
{
    const CityRoadNet *net = road->net;
    const int32_t lo = lane < 0 ? 0 : lane, hi = lane < 0 ? net->n_lanes : lane + 1;
    for (int32_t l = lo; l < hi; l++)
        road->lane_out[l].closed = road->lane_closed[l];
    /* a lane's incoming connections are not listed: a closure (a rare
     * command) walks them all */
    for (int32_t ci = 0; ci < net->n_conns; ci++) {
        int32_t to = road->outs[ci].to_lane;
        if (lane >= 0 && to != lane)
            continue;
        road->outs[ci].closed = road->lane_closed[to];
        road->connq[ci].flags = (uint8_t)((road->connq[ci].flags & ~ROAD_CQ_EXIT_CLOSED) |
                                          (road->lane_closed[to] ? ROAD_CQ_EXIT_CLOSED : 0));
    }
}

bool road_lane_reaches(const CityRoad *road, int32_t lane, int32_t to, uint32_t vclass)
{
    const RoadLaneOut lo = road->lane_out[lane];
    for (int32_t k = 0; k < lo.count; k++) {
        const RoadOut *o = &road->outs[lo.first + k];
        if (o->to_edge == to && (o->allow & vclass))
            return true;
    }
    return false;
}

/* Whether lane `lane` (on route edge rp) is long enough for the lane
 * changes that take a vehicle from it to a lane with a movement onto the
 * next route edge: ROAD_SHORT_EDGE_M for each. */
static bool changes_fit(const CityRoad *road, const int32_t *edges, int32_t n, int32_t rp, int32_t lane,
                        uint32_t vclass)
{
    if (rp + 1 >= n || road_lane_reaches(road, lane, edges[rp + 1], vclass))
        return true;
    const RoadLaneSide *sd = &road->lane_side[lane];
    double len = road_lane_length(road, lane);
    int32_t first = lane - sd->index;
    for (int32_t d = 1; d < sd->lanes && d * ROAD_SHORT_EDGE_M <= len; d++)
        for (int s = -1; s <= 1; s += 2) {
            int32_t i = sd->index + s * d;
            if (i >= 0 && i < sd->lanes && (road->lane_out[first + i].allow & vclass) &&
                !road->lane_out[first + i].closed && road_lane_reaches(road, first + i, edges[rp + 1], vclass))
                return true;
        }
    return false;
}

/* True when, from `lane` on route edge rp, the vehicle can follow its route
 * through the next edges it does not change lanes on: with `drivable`,
 * those on which it cannot (shorter than ROAD_CHANGE_EDGE_M: whether a
 * route can be driven at all); else those too short to plan a change on
 * (ROAD_SHORT_EDGE_M: which lane plans best). */
static bool lane_follows(const CityRoad *road, const int32_t *edges, int32_t n, int32_t rp, int32_t lane,
                         uint32_t vclass, int depth, bool drivable)
{
    if (rp + 1 >= n)
        return true;
    const RoadLaneOut lo = road->lane_out[lane];
    for (int32_t k = 0; k < lo.count; k++) {
        const RoadOut *o = &road->outs[lo.first + k];
        if (o->to_edge != edges[rp + 1] || !(o->allow & vclass) || o->closed)
            continue;
        if (depth >= 4)
            return true;
        if (drivable ? road->lanes[o->to_lane].length_m >= ROAD_CHANGE_EDGE_M : !o->short_) {
            /* an edge long enough to change lanes on: for lane choice, long
             * enough for the changes it needs too (a car entering Jamsil's
             * 80 m -921209274#0 at 27 m/s on lane 2, its turn off lane 0,
             * braked by 12 m/s in a step for the end of its lane when it
             * had made the first: it could have changed on the 78 m before) */
            if (drivable || changes_fit(road, edges, n, rp + 1, o->to_lane, vclass))
                return true;
            continue;
        }
        if (lane_follows(road, edges, n, rp + 1, o->to_lane, vclass, depth + 1, drivable))
            return true;
    }
    return false;
}

static bool lane_leads_on(const CityRoad *road, const int32_t *edges, int32_t n, int32_t rp, int32_t lane,
                          uint32_t vclass, int depth)
{
    return lane_follows(road, edges, n, rp, lane, vclass, depth, false);
}

int32_t road_plan_conn(const CityRoad *road, int32_t v, int32_t lane)
{
    return road_plan_conn_at(road, v, lane, road->veh.rec[v].route_pos);
}

int32_t road_plan_conn_at(const CityRoad *road, int32_t v, int32_t lane, int32_t rp)
{
    int32_t n;
    const int32_t *edges = route_edges(road, v, &n);
    if (rp + 1 >= n)
        return -1;
    int32_t next = edges[rp + 1];
    uint32_t vclass = road->vtypes[road->veh.rec[v].vtype].def.vclass;
    const RoadLaneOut lo = road->lane_out[lane];
    int32_t first = -1;
    for (int32_t k = 0; k < lo.count; k++) {
        int32_t ci = lo.first + k;
        const RoadOut *o = &road->outs[ci];
        if (o->to_edge != next || !(o->allow & vclass) || o->closed)
            continue;
        /* prefer an exit lane from which the rest of the route can be followed */
        if (rp + 2 >= n || lane_leads_on(road, edges, n, rp + 1, o->to_lane, vclass, 0))
            return ci;
        if (first < 0)
            first = ci;
    }
    if (first < 0 || rp + 2 >= n || lane_leads_on(road, edges, n, rp, lane, vclass, 0))
        return first;
    /* a connection that does not lead on is only taken when no lane of this
     * edge does better (the change then happens on the short edges ahead);
     * otherwise the vehicle waits at the lane end to change lanes, as SUMO's do */
    const RoadLaneSide *sd = &road->lane_side[lane]; /* (the edge's lanes are consecutive) */
    for (int32_t l = lane - sd->index; l < lane - sd->index + sd->lanes; l++) {
        if (l != lane && (road->lane_out[l].allow & vclass) && !road->lane_out[l].closed &&
            lane_leads_on(road, edges, n, rp, l, vclass, 0))
            return -1;
    }
    return first;
}

bool road_good_lanes(CityRoad *road, int32_t v, int32_t lane, int32_t *lo, int32_t *hi)
{
    RoadVehicles *vc = &road->veh;
    RoadGood *g = &vc->good[v];
    int32_t rp = road->veh.rec[v].route_pos;
    if (road_good_valid(road, v)) {
        *lo = g->lo;
        *hi = g->hi;
        return *hi >= 0;
    }
    const RoadLaneSide *sd = &road->lane_side[lane]; /* (the edge's lanes are consecutive) */
    const int32_t lane_first = lane - sd->index;
    int32_t n;
    const int32_t *edges = route_edges(road, v, &n);
    uint32_t vclass = road->vtypes[road->veh.rec[v].vtype].def.vclass;
    *lo = INT32_MAX;
    *hi = -1;
    /* strict: lanes from which the route can be followed through the short
     * edges ahead; when none can (the changes must happen on those short
     * edges), any lane with a movement onto the next route edge */
    for (int pass = 0; pass < 2 && *hi < 0; pass++)
        for (int32_t i = 0; i < sd->lanes; i++) {
            int32_t l = lane_first + i;
            if (!(road->lane_out[l].allow & vclass) || road->lane_out[l].closed)
                continue;
            if (rp + 1 < n && (pass == 0 ? !lane_leads_on(road, edges, n, rp, l, vclass, 0)
                                         : !road_lane_reaches(road, l, edges[rp + 1], vclass)))
                continue;
            if (i < *lo)
                *lo = i;
            if (i > *hi)
                *hi = i;
        }
    *g = (RoadGood){.route_pos = rp, .epoch = (uint8_t)road->closure_epoch, .lo = (int8_t)(*hi >= 0 ? *lo : 0),
                    .hi = (int8_t)*hi};
    return *hi >= 0;
}

/* ---- insertion ---------------------------------------------------------- */

/* Routes a trip from -> via... -> to into road->route_buf, never making
 * the turns ban[0, n_ban); its length or -1 (also when the legs together
 * list more than n_edges + 1 edges). */
static int32_t route_legs(CityRoad *road, int32_t from, int32_t to_edge, const int32_t *via, int32_t n_via,
                          uint32_t vclass, const double *cost, const int32_t *ban, int32_t n_ban)
{
    const int32_t cap = road->net->n_edges + 1; /* route_buf holds at least this many */
    int32_t len = 0;
    for (int32_t k = 0; k <= n_via; k++) {
        int32_t to = k < n_via ? via[k] : to_edge;
        int32_t got = road_router_route_avoiding(road->router, from, to, vclass, cost, ban, n_ban,
                                                 road->route_buf + len, cap - len);
        if (got < 0)
            return -1;
        if (len > 0) { /* legs share their joint edge */
            memmove(road->route_buf + len, road->route_buf + len + 1, (size_t)(got - 1) * sizeof(int32_t));
            got--;
        }
        len += got;
        from = to;
    }
    return len;
}

/* Index of the first route edge that cannot be reached from the one before
 * (lane by lane through the edges too short to change lanes on), or -1
 * when the whole route can be driven. */
static int32_t route_unfollowable(const CityRoad *road, const int32_t *edges, int32_t n, uint32_t vclass)
{
    const CityRoadNet *net = road->net;
    for (int32_t i = 0; i + 1 < n; i++) {
        const CityEdge *e = &net->edges[edges[i]];
        bool ok = false;
        for (int32_t l = 0; l < e->lane_count && !ok; l++)
            ok = (net->lanes[e->lane_first + l].allow & vclass) &&
                 lane_follows(road, edges, n, i, e->lane_first + l, vclass, 0, true);
        if (!ok)
            return i + 1;
    }
    return -1;
}

int32_t road_route_search(CityRoad *road, int32_t from, int32_t to, const int32_t *via, int32_t n_via, uint32_t vclass,
                          const double *cost)
{
    const int32_t cap = road->net->n_edges + 1;
    if (!city_array_grow((void **)&road->route_buf, &road->cap_route_buf, cap, sizeof *road->route_buf))
        return INT32_MIN;
    /* a route whose lanes do not lead on from a turn (through the short
     * edges beyond it) is searched again without that turn. Banning the
     * turn, not its edge, keeps the edge for the routes that reach it by
     * another turn: with the edge banned, a search for a destination
     * behind it can only fail, after visiting every edge it reaches (on
     * Jamsil's trips at 1 s steps, banning turns took 12 % off the loop's
     * time, and the routes came closer to SUMO's). */
    enum { ATTEMPTS = 4 };
    int32_t ban[ATTEMPTS - 1];
    int32_t len = -1, kept = -1;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        len = route_legs(road, from, to, via, n_via, vclass, cost, ban, attempt);
        if (len < 0)
            break;
        int32_t bad = route_unfollowable(road, road->route_buf, len, vclass);
        if (bad < 0 || attempt + 1 == ATTEMPTS)
            break;
        if (!city_array_grow((void **)&road->route_kept, &road->cap_route_kept, cap, sizeof *road->route_kept))
            return INT32_MIN;
        memcpy(road->route_kept, road->route_buf, (size_t)len * sizeof *road->route_buf);
        kept = len;
        ban[attempt] = road_router_turn(road->router, road->route_buf[bad - 1], road->route_buf[bad]);
    }
    if (len < 0 && kept > 0) { /* no route avoids the turns banned: the last one found stands */
        memcpy(road->route_buf, road->route_kept, (size_t)kept * sizeof *road->route_buf);
        len = kept;
    }
    return len;
}

static void remove_vehicle(CityRoad *road, int32_t v)
{
    RoadVehicles *vh = &road->veh;
    if (vh->rec[v].occ_link >= 0) {
        road_link_unhold(road, vh->rec[v].occ_link);
        vh->rec[v].occ_link = -1;
    }
    int32_t at = vh->live_pos[v];
    int32_t last = vh->live[--vh->n_live];
    vh->live[at] = last;
    vh->live_pos[last] = at;
    int32_t h = vh->handle[v];
    free(vh->name[h]); /* NULL when the arrival took it */
    vh->name[h] = NULL;
    vh->slot[h] = -1;
    vh->handle[v] = -1; /* the slot stays empty until the next reorder */
    city_pool_free(&vh->pool, (CityId){(uint32_t)h, vh->pool.gen[h]});
}

CityStatus road_leave(CityRoad *road, int32_t v, bool arrived)
{
    if (road->n_leaving == road->cap_leaving &&
        !city_array_grow((void **)&road->leaving, &road->cap_leaving, road->n_leaving + 1, sizeof *road->leaving))
        return road_fail(road, CITY_ERR_NOMEM, "out of memory noting a vehicle that leaves the road");
    road->leaving[road->n_leaving++] = (RoadLeaving){v, arrived};
    road->veh.rec[v].flags &= (uint8_t)~ROAD_VF_TELEPORT; /* it left by itself: nothing to move on */
    return CITY_OK;
}

CityStatus road_remove_leavers(CityRoad *road, double now_s)
{
    CityStatus st = CITY_OK;
    for (int32_t i = 0; i < road->n_leaving && st == CITY_OK; i++) {
        int32_t v = road->leaving[i].v;
        if (road->leaving[i].arrived) {
            st = road_record_trip(road, v, now_s);
            if (st == CITY_OK)
                st = road_arrival_record(road, v, now_s);
            road->stats.arrived++;
        } else {
            road->stats.aborted++;
        }
        road_ev_leave(road, v);
        remove_vehicle(road, v);
    }
    road->n_leaving = 0;
    return st;
}
