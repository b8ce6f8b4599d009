/* Departures: the trips that fall due join the queue of vehicles waiting
 * to enter (routed by citylab's router when they name no route, dropped
 * under an access restriction), and each step the waiting vehicles are put
 * on the road where there is room for them and for the vehicle behind
 * (COMMIT). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_step_internal.h"

CityStatus city_road_restrict(CityRoad *road, int32_t slot, uint32_t vclass_mask, const double *zone_m)
{
    if (slot < 0 || slot >= CITY_ROAD_RESTRICT_MAX)
        return road_fail(road, CITY_ERR_INVALID, "access restriction slot %d is not 0..%d", (int)slot,
                         CITY_ROAD_RESTRICT_MAX - 1);
    road->access[slot].vclass_mask = vclass_mask;
    const double anywhere[4] = {0, 0, -1, -1};
    memcpy(road->access[slot].zone_m, zone_m ? zone_m : anywhere, sizeof anywhere);
    return CITY_OK;
}

uint32_t city_road_restricted(const CityRoad *road, int32_t slot)
{
    return slot >= 0 && slot < CITY_ROAD_RESTRICT_MAX ? road->access[slot].vclass_mask : 0;
}

/* True when a departure falls under an access restriction. */
static bool restricted(const CityRoad *road, const RoadDeparture *dep)
{
    const uint32_t vclass = road->vtypes[dep->vtype >= 0 ? dep->vtype : road->default_vtype].def.vclass;
    for (int32_t k = 0; k < CITY_ROAD_RESTRICT_MAX; k++) {
        const double *z = road->access[k].zone_m;
        if (!(road->access[k].vclass_mask & vclass))
            continue;
        if (z[2] < z[0])
            return true;
        const int32_t e = dep->route >= 0 ? road->route_edges[road->routes[dep->route].first] : dep->from_edge;
        if (e < 0)
            continue;
        CityPoint p;
        city_road_lane_point(road->net, road->net->edges[e].lane_first, 0.0, &p, NULL);
        if (p.x >= z[0] && p.x <= z[2] && p.y >= z[1] && p.y <= z[3])
            return true;
    }
    return false;
}

static CityStatus queue_departure(void *user, const RoadDeparture *departure)
{
    CityRoad *road = user;
    RoadDeparture mixed;
    const RoadDeparture *dep = departure;
    if (dep->vtype < 0 && road->n_mix > 0) { /* the default car stands for a fleet */
        mixed = *dep;
        mixed.vtype = road_ev_pick_vtype(road);
        dep = &mixed;
    }
    int32_t route = dep->route;
    if (restricted(road, dep)) {
        road->stats.restricted++; /* the trip is not made */
        return CITY_OK;
    }
    if (route < 0) {
        /* route the trip with our router: from -> via... -> to */
        uint32_t vclass = road->vtypes[dep->vtype >= 0 ? dep->vtype : road->default_vtype].def.vclass;
        if (!city_array_grow((void **)&road->route_buf, &road->cap_route_buf, road->net->n_edges + 1,
                             sizeof *road->route_buf))
            return CITY_ERR_NOMEM;
        const double *cost = road->opt.reroute_period_s > 0 ? road->edge_tt_s : NULL;
        /* with the free-flow costs the route is a pure function of the
         * trip's edges and class: the memo has it after the first */
        int32_t key[64];
        const int32_t key_n = dep->n_via + 3;
        const bool memo = !cost && key_n <= 64 && !road->opt.search_every_route &&
                          (road->route_memo || (road->route_memo = road_route_memo_create()));
        int32_t len = 0;
        const int32_t *known = NULL;
        if (memo) {
            key[0] = dep->from_edge;
            key[1] = dep->to_edge;
            key[2] = (int32_t)vclass;
            if (dep->n_via > 0)
                memcpy(key + 3, dep->via, (size_t)dep->n_via * sizeof *key);
            known = road_route_memo_get(road->route_memo, road->closure_epoch, key, key_n, &len);
        }
        if (known) {
            if (len > 0)
                memcpy(road->route_buf, known, (size_t)len * sizeof *road->route_buf);
        } else {
            len = road_route_search(road, dep->from_edge, dep->to_edge, dep->via, dep->n_via, vclass, cost);
            if (len == INT32_MIN)
                return CITY_ERR_NOMEM;
            if (memo) /* out of memory here only forgets: the next trip searches */
                (void)road_route_memo_put(road->route_memo, road->closure_epoch, key, key_n, road->route_buf, len);
        }
        if (len < 0) {
            city_world_log(road->world, "warning", "vehicle %s: no route from %s to %s; trip dropped", dep->name,
                           road->net->edges[dep->from_edge].id, road->net->edges[dep->to_edge].id);
            return CITY_OK;
        }
        route = road_route_store(road, NULL, road->route_buf, len);
        if (route < 0)
            return CITY_ERR_NOMEM;
    } else if (road->closure_epoch > 0) {
        /* a declared route falling due after a lane on it closed takes the
         * way round now, as those waiting when it closed did; before, it
         * drove to the closed lane and stood there until it gave up */
        uint32_t vclass = road->vtypes[dep->vtype >= 0 ? dep->vtype : road->default_vtype].def.vclass;
        if (road_route_around_closures(road, &route, vclass) != CITY_OK)
            return CITY_ERR_NOMEM;
    }
    if (road->n_pending == road->cap_pending &&
        !city_array_grow((void **)&road->pending, &road->cap_pending, road->n_pending + 1, sizeof *road->pending))
        return CITY_ERR_NOMEM;
    RoadPending *p = &road->pending[road->n_pending];
    p->dep = *dep;
    p->dep.via = NULL;
    p->dep.n_via = 0;
    size_t nl = strlen(dep->name) + 1;
    char *name = malloc(nl);
    if (!name)
        return CITY_ERR_NOMEM;
    memcpy(name, dep->name, nl);
    p->dep.name = name;
    p->route = route;
    p->seq = road->pending_seq++;
    road->n_pending++;
    return CITY_OK;
}

/* Picks the lane a departure enters on, or -1. */
static int32_t depart_lane(CityRoad *road, const RoadPending *p, uint32_t vclass, int32_t next_edge)
{
    const CityRoadNet *net = road->net;
    const CityEdge *e = &net->edges[road->route_edges[road->routes[p->route].first]];
    int32_t mode = p->dep.depart.lane;
    if (mode >= 0) {
        if (mode >= e->lane_count)
            return -1;
        int32_t l = e->lane_first + mode;
        return (net->lanes[l].allow & vclass) && !road->lane_closed[l] ? l : -1;
    }
    int32_t best = -1, best_n = INT32_MAX, allowed = 0;
    for (int32_t i = 0; i < e->lane_count; i++) {
        int32_t l = e->lane_first + i;
        if (!(net->lanes[l].allow & vclass) || road->lane_closed[l])
            continue;
        allowed++;
        if (mode == CITY_DEPART_LANE_FIRST)
            return l;
        if (mode == CITY_DEPART_LANE_BEST && next_edge >= 0 && !road_lane_reaches(road, l, next_edge, vclass))
            continue;
        int32_t n = road_lane_count(road, l);
        if (n < best_n) {
            best_n = n;
            best = l;
        }
    }
    if (mode == CITY_DEPART_LANE_RANDOM && allowed > 0) {
        int32_t pick = (int32_t)city_rng_below(road->rng, (uint64_t)allowed);
        for (int32_t i = 0; i < e->lane_count; i++) {
            int32_t l = e->lane_first + i;
            if ((net->lanes[l].allow & vclass) && !road->lane_closed[l] && pick-- == 0)
                return l;
        }
    }
    if (best < 0 && mode == CITY_DEPART_LANE_BEST) /* no lane leads on: any allowed lane */
        for (int32_t i = 0; i < e->lane_count && best < 0; i++) {
            int32_t l = e->lane_first + i;
            if ((net->lanes[l].allow & vclass) && !road->lane_closed[l])
                best = l;
        }
    return best;
}

/* Whether vehicle u, at speed su and `gap` metres behind the back of a
 * vehicle entering at speed v, keeps at least its IDM gap s* behind it. */
static bool keeps_gap(const CityRoad *road, int32_t u, double gap, double v)
{
    const RoadVType *tu = &road->vtypes[road->veh.rec[u].vtype];
    double su = road->veh.rec[u].speed;
    double dyn = su * tu->def.tau_s + su * (su - v) / tu->sqrt_ab;
    return gap >= tu->def.min_gap_m + (dyn > 0 ? dyn : 0.0);
}

/* Whether a vehicle entering lane `lane` with its back at `back` and speed
 * v leaves the vehicle behind it room to follow (SUMO checks the
 * follower's secure gap on insertion): the nearest one behind on the lane
 * (`behind`, -1 for none), else the nearest vehicle bound for it on each
 * lane feeding it through the junction before (its internal lanes and the
 * lanes before it). Checked on the lane alone, a car was put standing
 * 0.9 m in front of one that came out of the junction at 17 m/s (Jamsil
 * day, 07:59), and on jamsil-p1 at 1 s 37 times in front of one that could not
 * stop behind it braking at 4.5 m/s^2 (coming at up to 28.5 m/s). */
static bool follower_has_room(const CityRoad *road, int32_t lane, double back, double v, int32_t behind)
{
    if (behind >= 0)
        return keeps_gap(road, behind, back - road->veh.rec[behind].pos, v);
    for (int32_t k = road->feed_first[lane]; k < road->feed_first[lane + 1]; k++) {
        double to_start;
        int32_t u = road_feed_nearest(road, k, lane, &to_start);
        if (u >= 0 && !keeps_gap(road, u, to_start + back, v))
            return false;
    }
    return true;
}

/* IDM's gap wanted by a vehicle of type t entering at speed v behind a
 * leader at lead_v: s0 + v T + v (v - lead_v) / (2 sqrt(ab)). */
static double idm_gap_wanted(const RoadVType *t, double v, double lead_v)
{
    return t->def.min_gap_m + v * t->def.tau_s + v * (v - lead_v) / t->sqrt_ab;
}

/* The fastest exact departure speed SUMO 1.15 lets a vehicle of type t
 * with speed factor `factor` keep on a lane whose limit is lane_v
 * (MSEdge::validateDepartSpeed): its desired speed there, min(lane_v x
 * factor, top speed), times 1.01 when the factor is the vehicle's own
 * (own), plus 0.01 m/s (SPEED_EPS; tried on SUMO 1.15: 13.9 m/s passes on
 * a 13.89 m/s lane, 13.9001 does not). */
static double depart_speed_keeps(const CityVTypeDef *t, double lane_v, double factor, bool own)
{
    double v = lane_v * factor < t->max_speed_mps ? lane_v * factor : t->max_speed_mps;
    return (own ? v * 1.01 : v) + 0.01;
}

double road_depart_speed_max(const CityRoad *road, const CityVTypeDef *t, double own_factor, int32_t edge, int32_t lane)
{
    const CityEdge *e = &road->net->edges[edge];
    const double factor = own_factor > 0 ? own_factor : t->speed_factor;
    double best = -1.0;
    for (int32_t i = 0; i < e->lane_count; i++) {
        const CityLane *l = &road->net->lanes[e->lane_first + i];
        if ((lane >= 0 && i != lane) || (lane < 0 && !(l->allow & t->vclass)))
            continue;
        double v = depart_speed_keeps(t, l->speed_mps, factor, own_factor > 0);
        best = v > best ? v : best;
    }
    return best >= 0 ? best : INFINITY; /* (no lane it may use: road.c's check_route_start, or the router, says so) */
}

/* Tries to put one waiting vehicle on the network; false when there is no room. */
static bool try_insert(CityRoad *road, const RoadPending *p, double now_s, CityStatus *st)
{
    *st = CITY_OK;
    const CityRoadNet *net = road->net;
    int32_t vt = p->dep.vtype >= 0 ? p->dep.vtype : road->default_vtype;
    const RoadVType *t = &road->vtypes[vt];
    const RoadRoute *r = &road->routes[p->route];
    int32_t next_edge = r->count > 1 ? road->route_edges[r->first + 1] : -1;
    int32_t lane = depart_lane(road, p, t->def.vclass, next_edge);
    if (lane < 0)
        return false;
    double len = net->lanes[lane].length_m;
    double pos = p->dep.depart.pos_m >= 0 ? p->dep.depart.pos_m + t->def.length_m : t->def.length_m;
    if (pos > len)
        pos = len;
    /* room between the vehicles around the insertion point (front first on the lane) */
    double gap = INFINITY, lead_v = 0.0;
    int32_t n = road_lane_count(road, lane), behind = -1;
    const RoadVehicles *vh = &road->veh;
    for (int32_t i = n - 1; i >= 0; i--) {
        int32_t u = road_lane_at(road, lane, i);
        const RoadVType *tu = &road->vtypes[vh->rec[u].vtype];
        if (vh->rec[u].pos > pos) { /* the nearest vehicle ahead */
            gap = vh->rec[u].pos - tu->def.length_m - pos;
            lead_v = vh->rec[u].speed;
            break;
        }
        if (pos - t->def.length_m - vh->rec[u].pos < tu->def.min_gap_m)
            return false; /* no room in front of a vehicle behind */
        /* the nearest behind so far */
        behind = u;
    }
    if (!isfinite(gap)) { /* none ahead on the lane: one that has just left it may still stick out over its end */
        double back = road_overhang_back(road, lane, &lead_v);
        gap = back - pos;
    }
    if (gap < t->def.min_gap_m)
        return false;
    const double lane_v = net->lanes[lane].speed_mps;
    double want = p->dep.depart.speed_mps;
    const bool own = p->dep.depart.speed_factor > 0;
    double factor = own ? p->dep.depart.speed_factor : t->def.speed_factor;
    if (!own && t->def.speed_dev > 0) {
        double z = city_rng_normal(road->rng);
        if (z > 2.0)
            z = 2.0;
        if (z < -2.0)
            z = -2.0;
        factor *= 1.0 + t->def.speed_dev * z;
    }
    /* an exact departure speed above what the factor allows (by SUMO's
     * margin: depart_speed_keeps) on a type with a speed deviation: SUMO
     * gives the vehicle the factor that makes that speed its desired one
     * (MSEdge::validateDepartSpeed, "Choosing new speed factor"), for the
     * whole trip, its own factor too; a car of maxSpeed 20 sent off at
     * 18 m/s on a 13.89 m/s lane drove 181 m in 11.0 s in SUMO 1.15 and,
     * slowing to its drawn desired speed, in 13.5 s here. (A type without
     * one was refused when the trip was added: road.c.) */
    if (t->def.speed_dev > 0 && want >= 0 && want > depart_speed_keeps(&t->def, lane_v, factor, own) &&
        want <= t->def.max_speed_mps && lane_v > 0)
        factor = want / lane_v;
    double limit = lane_v * factor;
    double vdes = limit < t->def.max_speed_mps ? limit : t->def.max_speed_mps;
    double v = 0.0;
    if (want == CITY_DEPART_SPEED_MAX || want == CITY_DEPART_SPEED_DESIRED)
        want = vdes;
    /* (a type drawn from the default mix may be slower than the default car the speed was checked against) */
    else if (want > t->def.max_speed_mps)
        want = t->def.max_speed_mps;
    if (want > 0) {
        /* the fastest speed up to `want` that keeps an IDM-safe gap: s >= s0 + v T + v dv / (2 sqrt(ab)).
         * `want` itself first: the search below only closes in on it from
         * below, and an exact departSpeed that fitted was refused (a flow
         * at departSpeed="10" every 3 s on plus.net.xml's three-lane
         * approach entered only when its lane was empty: 107 vehicles in
         * 20 minutes, 409 s late on average; SUMO 379, none late) */
        double safe = want;
        if (isfinite(gap) && idm_gap_wanted(t, want, lead_v) > gap) {
            double lo = 0.0, hi = want;
            for (int it = 0; it < 30; it++) {
                double mid = 0.5 * (lo + hi);
                if (idm_gap_wanted(t, mid, lead_v) <= gap)
                    lo = mid;
                else
                    hi = mid;
            }
            safe = lo;
            if (p->dep.depart.speed_mps >= 0 && safe < want) /* an exact speed that does not fit waits */
                return false;
        }
        v = safe;
    }
    if (!follower_has_room(road, lane, pos - t->def.length_m, v, behind))
        return false;
    CityId id = city_pool_alloc(&road->veh.pool);
    if (city_id_is_null(id)) {
        *st = CITY_ERR_NOMEM;
        return false;
    }
    RoadVehicles *w = &road->veh;
    uint32_t need = w->pool.used > w->n_slots + 1 ? w->pool.used : w->n_slots + 1;
    if (road_vehicles_reserve(road, need) != CITY_OK) {
        city_pool_free(&w->pool, id);
        *st = CITY_ERR_NOMEM;
        return false;
    }
    const uint32_t h = id.index;     /* its handle: the per-handle fields */
    const uint32_t idx = w->n_slots; /* its slot, after the last: the next reorder puts it in lane order */
    w->n_slots++;
    w->handle[idx] = (int32_t)h;
    w->slot[h] = (int32_t)idx;
    w->rec[idx].lane = lane;
    w->rec[idx].pos = pos;
    w->rec[idx].speed = v;
    w->step[idx].next_speed = v;
    w->rec[idx].accel = 0.0f;
    w->rec[idx].vtype = (int16_t)vt; /* at most ROAD_VTYPES_MAX types */
    road_route_begin(road, (int32_t)idx, p->route);
    w->rec[idx].via_pos = -1;
    w->rec[idx].occ_link = -1;
    w->rec[idx].occ_left_m = 0.0;
    w->rec[idx].v0_factor = factor;
    /* like SUMO's tripinfo: the trip starts when the vehicle gets on the
     * road; the wait before that is the departure delay */
    w->depart_s[h] = now_s;
    w->depart_delay_s[h] = now_s - p->dep.depart_s > 0 ? now_s - p->dep.depart_s : 0.0;
    w->rec[idx].time_loss_s = 0.0;
    w->rec[idx].dist_m = 0.0;
    w->rec[idx].halt_s = 0.0;
    w->rec[idx].wait_s = 0.0;
    road_ev_depart(road, (int32_t)idx, &t->def);
    w->edge_enter_s[h] = now_s;
    w->rec[idx].stops = 0;
    w->rec[idx].flags = v < 0.1 ? ROAD_VF_HALTING : 0;
    w->step[idx].lc_wait = (int16_t)(h % 8u);
    w->rec[idx].stuck_epoch = 0;
    w->step[idx].lc_vmax_mps = INFINITY;
    free(w->name[h]);
    w->name[h] = (char *)p->dep.name; /* ownership moves to the vehicle */
    w->live_pos[idx] = (int32_t)w->n_live;
    w->live[w->n_live++] = (int32_t)idx;
    if (road_lane_insert_sorted(road, lane, (int32_t)idx) != CITY_OK) {
        *st = CITY_ERR_NOMEM;
        return false;
    }
    road_set_conn(road, (int32_t)idx, road_plan_conn(road, (int32_t)idx, lane));
    road->edge_stats[net->lanes[lane].edge].entered++;
    road->stats.inserted++;
    return true;
}

CityStatus road_insert_pending(CityRoad *road, double now_s)
{
    /* departures scheduled up to now join the queue (1 us slack for times
     * like 0.3 that are not exact in binary) */
    CityStatus st = road_demand_emit(road->demand, now_s + 1e-6, road->demand_rng, queue_departure, road);
    if (st != CITY_OK)
        return road_fail(road, st, "road demand: %s", st == CITY_ERR_NOMEM ? "out of memory" : "bad departure");
    if (road->n_pending == 0)
        return CITY_OK;
    /* one failure per first edge per step: later vehicles queue behind it
     * (SUMO's insertion order); insert_block[e] holds the stamp of a failure */
    int32_t stamp = ++road->insert_stamp;
    int32_t keep = 0;
    for (int32_t i = 0; i < road->n_pending; i++) {
        RoadPending *p = &road->pending[i];
        int32_t e = road->route_edges[road->routes[p->route].first];
        if (road->insert_block[e] != stamp) {
            CityStatus ist;
            if (try_insert(road, p, now_s, &ist))
                continue; /* inserted: the name now belongs to the vehicle */
            if (ist != CITY_OK)
                return road_fail(road, ist, "out of memory inserting vehicles");
            road->insert_block[e] = stamp;
        }
        road->pending[keep++] = *p;
    }
    road->n_pending = keep;
    road->stats.waiting_insert = (uint64_t)keep;
    return CITY_OK;
}
