/* Movement after junction admission: the front vehicles that waited for
 * it drive the speed they chose (the others moved as their lanes were
 * planned: road_move_lane.h, road_follow.c), and vehicles cross lane ends
 * onto their next lanes or leave their last lanes (noted here, removed in
 * COMMIT). */
#include "road_move_lane.h"

/* A vehicle that reaches a second line in one step (it planned to cross
 * it, road_follow.c) takes that junction now if it still may; the grant of
 * the junction behind it goes, as its front has left it. */
static bool grant_chained(RoadStepCtx *x, int32_t v, const RoadConnQ *c, int32_t ci)
{
    CityRoad *road = x->road;
    RoadVehicles *vh = &road->veh;
    const RoadVType *t = road_vtype_of(road, v);
    if (c->link < 0 || !road_link_allowed(x, v, t, ci, 0.0, vh->rec[v].route_pos))
        return false;
    if (vh->rec[v].occ_link >= 0)
        road_link_unhold(road, vh->rec[v].occ_link);
    vh->rec[v].occ_link = c->link;
    road_link_hold(road, c->link);
    vh->rec[v].occ_left_m = c->via_len_m + t->def.length_m;
    return true;
}

/* Moves v from the end of its lane onto the next one (or arrives). */
static CityStatus cross_lane_end(RoadStepCtx *x, int32_t v, bool *arrived)
{
    CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    RoadVehicles *vh = &road->veh;
    int32_t lane = vh->rec[v].lane;
    double len = road_lane_length(road, lane);
    *arrived = false;
    int32_t k = vh->rec[v].via_pos;
    int32_t ci = vh->rec[v].conn;
    int32_t next;
    if (k < 0 && (vh->rec[v].flags & ROAD_VF_ABORT)) {
        road_lane_pop_front(road, lane);
        *arrived = true;
        return road_leave(road, v, false);
    }
    if (k < 0) {
        if (vh->rec[v].route_pos + 1 >= vh->rec[v].route_n) {
            road_lane_pop_front(road, lane);
            *arrived = true;
            return road_leave(road, v, true);
        }
        if (ci < 0 || (road->connq[ci].link >= 0 && vh->rec[v].occ_link != road->connq[ci].link &&
                       !grant_chained(x, v, &road->connq[ci], ci))) {
            /* not granted (a second line it planned to cross closed meanwhile): hold at the line */
            vh->rec[v].dist_m -= vh->rec[v].pos - (len - 0.01);
            vh->rec[v].pos = len - 0.01;
            vh->rec[v].speed = 0.0;
            vh->step[v].next_speed = 0.0;
            return CITY_OK;
        }
        const RoadConnQ *c = &road->connq[ci]; /* the net's connection as its record copies it */
        int32_t e = road->lanes[lane].edge;
        road->edge_stats[e].left++;
        double tt = x->now_s + x->dt_s - vh->edge_enter_s[road_handle(road, v)];
        road->edge_stats[e].travel_s += tt;
        road->edge_tt_s[e] = 0.8 * road->edge_tt_s[e] + 0.2 * tt;
        next = c->first_lane;
        vh->rec[v].via_pos = c->via_count > 0 ? 0 : -1;
    } else {
        const RoadConnQ *c = &road->connq[ci];
        if (k + 1 < c->via_count) {
            next = net->via[net->conns[ci].via_first + k + 1]; /* (a second internal lane: rare) */
            vh->rec[v].via_pos = (int8_t)(k + 1);
        } else {
            next = c->to_lane;
            vh->rec[v].via_pos = -1;
        }
    }
    road_lane_pop_front(road, lane);
    vh->rec[v].pos -= len;
    vh->rec[v].lane = next;
    if (!(vh->rec[v].flags & ROAD_VF_HALTING)) /* (a clock kept while creeping at the line: road_move_lane.h) */
        vh->rec[v].halt_s = 0.0;
    /* entering past the detector (lanes shorter than the detector offset
     * have theirs at the start, as SUMO places them): it sees the vehicle */
    if (vh->rec[v].pos >= road_max2(0.0, road_lane_length(road, next) - road->opt.detector_offset_m))
        road->sense_detect_s[next] = x->now_s + x->dt_s;
    if (k < 0 && vh->rec[v].occ_link >= 0 && vh->rec[v].occ_left_m <= 0) { /* crossed the whole junction in this step */
        road_link_unhold(road, vh->rec[v].occ_link);
        vh->rec[v].occ_link = -1;
    }
    if (vh->rec[v].via_pos < 0) { /* onto the next edge of the route */
        vh->rec[v].route_pos++;
        vh->rec[v].flags &= (uint8_t) ~(ROAD_VF_STOPPED_AT_LINE | ROAD_VF_PULLED_IN);
        vh->edge_enter_s[road_handle(road, v)] = x->now_s + x->dt_s;
        road->edge_stats[road->lanes[next].edge].entered++;
        /* next is the exit lane of connection ci, just crossed: the turn at
         * its end is the one the speed choice asked for ahead (far_conn),
         * when it did, from the same route, lane, position and closures */
        int32_t far = vh->rec[v].far_conn;
#ifndef NDEBUG /* (debug builds, which the sanitizer tests use, check that it is the same answer) */
        CITY_ASSERT(far == ROAD_FAR_UNKNOWN || far == road_plan_conn(road, v, next));
#endif
        road_set_conn(road, v, far != ROAD_FAR_UNKNOWN ? far : road_plan_conn(road, v, next));
    }
    return road_lane_insert_sorted(road, next, v);
}

/* Moves the vehicles past the end of a lane onto their next lanes; a
 * vehicle that also overshoots a short next lane is moved on again. */
static CityStatus settle(RoadStepCtx *x, int32_t lane)
{
    RoadVehicles *vh = &x->road->veh;
    while (x->road->lanes[lane].n > 0) { /* (the queue's line, not lane_n's too) */
        int32_t v = road_lane_at(x->road, lane, 0);
        if (vh->rec[v].pos < road_lane_length(x->road, lane))
            break;
        bool arrived;
        CityStatus st = cross_lane_end(x, v, &arrived);
        if (st != CITY_OK)
            return st;
        if (!arrived && vh->rec[v].lane != lane) {
            st = settle(x, vh->rec[v].lane);
            if (st != CITY_OK)
                return st;
        }
    }
    return CITY_OK;
}

/* The record of the front vehicle of lane `lane` (which has one). */
static const RoadVehRec *front_rec(const CityRoad *road, int32_t lane)
{
    const RoadLaneQ *q = &road->lanes[lane];
    return &road->veh.rec[q->v[q->head]];
}

/* The lane ends of a step, past_end[0 .. n), in stages ahead of settle:
 * a vehicle crossing a lane end reads some twenty lines of a big map's
 * arrays (its lane's and edge's figures, its connection, the lanes beyond,
 * its route, the next edge's connections and those of the lanes they lead
 * to), most of them depending on the one before. On a 40x40 grid at 1 s
 * these chains were about a fifth of the step (settle, road_plan_conn_at,
 * lane_leads_on), each line a trip to memory. Each stage below asks for
 * what the stage after it reads, so that when settle reaches a lane its
 * lines are at hand. Lanes in past_end are settled in this order: the
 * stage distances count lane ends, each a few hundred nanoseconds. */
static void settle_prefetch(const CityRoad *road, const int32_t *past_end, int32_t n, int32_t k)
{
    const RoadVehicles *vh = &road->veh;
    if (k + 12 < n)
        road_prefetch(&road->lanes[past_end[k + 12]]);
    if (k + 10 < n) {
        const RoadLaneQ *q = &road->lanes[past_end[k + 10]];
        const RoadVehRec *r = front_rec(road, past_end[k + 10]);
        road_prefetch(r);
        road_prefetch(&r->halt_s); /* the second line: lane, route_first, occ_left_m */
        if (!q->internal) {
            road_prefetch(&road->edge_stats[q->edge]);
            road_prefetch(&road->edge_tt_s[q->edge]);
        }
    }
    if (k + 8 < n) {
        const RoadVehRec *r = front_rec(road, past_end[k + 8]);
        road_prefetch(&vh->edge_enter_s[vh->handle[r - vh->rec]]);
        if (r->conn >= 0) {
            road_prefetch(&road->connq[r->conn]);
            road_prefetch(&road->outs[r->conn]);
        }
        if (r->route_pos + 2 < r->route_n)
            road_prefetch(&road->route_edges[r->route_first + r->route_pos + 1]);
    }
    if (k + 6 < n) {
        const RoadVehRec *r = front_rec(road, past_end[k + 6]);
        if (r->conn >= 0) {
            const RoadConnQ *c = &road->connq[r->conn];
            road_prefetch(&road->lanes[c->first_lane]);
            road_prefetch(&road->lanes[c->to_lane]);
            road_prefetch(&road->lane_out[c->to_lane]);
            road_prefetch(&road->lane_n[c->first_lane]);
            road_prefetch(&road->lane_n[c->to_lane]);
            road_prefetch(&road->active_pos[c->first_lane]);
            road_prefetch(&road->active_pos[c->to_lane]);
            road_prefetch(&road->edge_stats[road->outs[r->conn].to_edge]);
        }
    }
    if (k + 4 < n) {
        const RoadVehRec *r = front_rec(road, past_end[k + 4]);
        if (r->conn >= 0)
            road_prefetch_outs(road, road->connq[r->conn].to_lane);
    }
    /* route following on the next edge asks, of each of its connections
     * onto the edge after, whether the lane it leads to leads on */
    for (int32_t d = 2; d >= 1; d--) {
        if (k + d >= n)
            continue;
        const RoadVehRec *r = front_rec(road, past_end[k + d]);
        if (r->conn < 0 || r->route_pos + 2 >= r->route_n)
            continue;
        int32_t after = road->route_edges[r->route_first + r->route_pos + 2];
        RoadLaneOut lo = road->lane_out[road->connq[r->conn].to_lane];
        for (int32_t j = 0; j < lo.count && j < 4; j++) {
            const RoadOut *o = &road->outs[lo.first + j];
            if (o->to_edge != after)
                continue;
            if (d == 2)
                road_prefetch(&road->lane_out[o->to_lane]);
            else
                road_prefetch_outs(road, o->to_lane);
        }
    }
}

CityStatus road_move_held(RoadStepCtx *x)
{
    CityRoad *road = x->road;
    RoadVehicles *vh = &road->veh;
    for (int32_t i = 0; i < road->n_released; i++)
        road_link_unhold(road, road->released[i]);
    road->n_released = 0;
    x->defer_release = false;
    /* the fronts that waited for admission move; the lanes whose front
     * passed the end go to past_end in active order: these, merged with
     * the others' (past_end[top .. n_active), noted from the last lane
     * down). The merge writes at most as far as it has read. */
    int32_t *past_end = road->active_tmp;
    int32_t top = road->n_active - x->n_past_late, r = top, n_past_end = 0;
    for (int32_t k = 0; k < x->n_held; k++) {
        int32_t a = road->held[k];
        if (k + 4 < x->n_held) {
            const RoadLaneQ *q = &road->lanes[road->active[road->held[k + 4]]];
            road_prefetch(&vh->rec[q->v[q->head]]);
        }
        CityStatus st;
        bool past = road_move_vehicles(x, a, 0, 1, &x->sum_speed_q, NULL, &st);
        if (st != CITY_OK)
            return st;
        x->moved++;
        if (!past)
            continue;
        for (; r < road->n_active && past_end[r] < a; r++) {
            road->recheck[x->n_recheck++] = past_end[r];
            past_end[n_past_end++] = road->active[past_end[r]];
        }
        road->recheck[x->n_recheck++] = a;
        past_end[n_past_end++] = road->active[a];
    }
    for (; r < road->n_active; r++) {
        road->recheck[x->n_recheck++] = past_end[r]; /* (only lanes whose front moved on can empty in settle) */
        past_end[n_past_end++] = road->active[past_end[r]];
    }
    road->seen_read = ROAD_SEEN_NONE; /* every vehicle has moved: the lanes' records are what they show */
    road->stats.vehicle_updates += x->moved;
    road->sum_speed = (double)x->sum_speed_q * 0x1p-32;
    road->stats.mean_speed_mps = x->moved ? road->sum_speed / (double)x->moved : 0.0;
    /* lane ends: front vehicles past the end move on, lane by lane in
     * active order. Only the lanes noted above can have one: a vehicle
     * moved onto a lane past its end is settled there at once (settle
     * recurses), so a pass over every active lane would find nothing more,
     * and on a big city it costs a cache miss or two per lane. */
    bool hint = road->n_active >= ROAD_PREFETCH_DEEP_MIN_ACTIVE;
    for (int32_t k = 0; k < n_past_end; k++) {
        if (hint)
            settle_prefetch(road, past_end, n_past_end, k);
        CityStatus st = settle(x, past_end[k]);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}
