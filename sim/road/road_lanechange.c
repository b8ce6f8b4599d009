/* Lane changes: MOBIL (Kesting, Treiber, Helbing 2007) for discretionary
 * changes, a strategic urge to reach the lanes of the next turn, merge
 * requests to the lane a vehicle must enter, and the missed turn of a
 * driver who waited too long. Evaluated once a second per vehicle (every
 * step for a vehicle on the wrong lane). */
#include <stdlib.h>

#include "city_array.h"
#include "road_step_internal.h"

#define ROAD_FEED_LOOK_M 100.0 /* see feeder_brakes */
#define ROAD_URGENT_GAP_M 0.5  /* the least gap an urgent change takes to its new leader and follower */

bool road_lane_sides_init(CityRoad *road)
{
    const CityRoadNet *net = road->net;
    road->lane_side = calloc((size_t)net->n_lanes + 1, sizeof *road->lane_side);
    if (!road->lane_side)
        return false;
    for (int32_t l = 0; l < net->n_lanes; l++) {
        const CityLane *ln = &net->lanes[l];
        const CityEdge *e = &net->edges[ln->edge];
        RoadLaneSide *sd = &road->lane_side[l];
        sd->index = ln->index;
        sd->lanes = e->lane_count;
        sd->allow_right = ln->index > 0 ? net->lanes[l - 1].allow : 0;
        sd->allow_left = ln->index + 1 < e->lane_count ? net->lanes[l + 1].allow : 0;
    }
    return true;
}

/* Leader and follower of position pos on a lane (-1 when none). */
static void neighbours(const CityRoad *road, int32_t lane, double pos, int32_t *lead, int32_t *follow)
{
    int32_t n = road->lanes[lane].n; /* with the queue read below: one line, not two */
    int32_t lo = 0, hi = n;          /* first index whose pos <= pos */
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (road->veh.rec[road_lane_at(road, lane, mid)].pos > pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    *lead = lo > 0 ? road_lane_at(road, lane, lo - 1) : -1;
    *follow = lo < n ? road_lane_at(road, lane, lo) : -1;
}

static double accel_behind(const CityRoad *road, int32_t v, int32_t lead, double pos_v, int32_t lane)
{
    const RoadVehicles *vh = &road->veh;
    const RoadVType *t = road_vtype_of(road, v);
    double v0 = road_desired_speed(road, v, lane);
    if (lead < 0)
        return road_idm_accel(t, vh->rec[v].speed, v0, INFINITY, 0.0);
    double s = vh->rec[lead].pos - road_vtype_of(road, lead)->def.length_m - pos_v;
    return road_idm_accel(t, vh->rec[v].speed, v0, s, vh->rec[lead].speed);
}

/* The speed a vehicle at v, accelerating at a, plans for a step of dt
 * behind a leader whose back is s ahead: never into the space the leader
 * holds now (the speed choice, road_follow.c). */
static double speed_behind(double v, double a, double s, double dt)
{
    return road_max2(0.0, road_min2(v + a * dt, road_max2(s, 0.0) / dt));
}

/* Whether v, moved to `target` behind that lane's vehicle nl, would take
 * off more than b_safe * dt of its speed in the next step, as the speed
 * choice then plans it (IDM behind nl, never into the space nl holds). An
 * urgent change checked the new follower only: at 1 s steps a car at
 * 16.4 m/s changed into a gap of 3.3 m behind one at 14.5 m/s and stood
 * in the next step (jamsil-p2, vehicle 16 at 155 s). SUMO refuses such a
 * change too: its front gap must be secure. */
static bool brakes_behind(const CityRoad *road, int32_t v, int32_t nl, int32_t target, double b_safe, double dt)
{
    const RoadVehicles *vh = &road->veh;
    double v_now = vh->rec[v].speed;
    double s = vh->rec[nl].pos - road_vtype_of(road, nl)->def.length_m - vh->rec[v].pos;
    double a = road_idm_accel(road_vtype_of(road, v), v_now, road_desired_speed(road, v, target), s, vh->rec[nl].speed);
    return v_now - speed_behind(v_now, a, s, dt) > b_safe * dt;
}

/* Whether a vehicle bound for lane `target` from the lanes feeding it
 * (through the junction before it) would brake harder than b_safe behind v
 * were v's back at `back` on that lane, or could not keep the least gap.
 * The target's own vehicles were the only followers asked: a car that
 * had just departed on Jamsil's 0.2 m 218899409#0 changed lanes twice in
 * two steps onto the lane a car crossing the junction at 10 m/s was bound
 * for, 12.6 m before it, which then stood in the junction behind it; with
 * the queues it held, four cars waited for each other until teleported
 * (jamsil-p1 at 1 s steps, seed 10). SUMO asks the followers on the lanes
 * before too. Farther back than ROAD_FEED_LOOK_M from the lane's start,
 * no follower brakes that hard for a vehicle at any speed a city sees. */
static bool feeder_brakes(const CityRoad *road, int32_t v, int32_t target, double back, bool urgent, double b_safe)
{
    const RoadVehicles *vh = &road->veh;
    for (int32_t k = road->feed_first[target]; k < road->feed_first[target + 1]; k++) {
        double to_start;
        int32_t u = road_feed_nearest(road, k, target, &to_start);
        if (u < 0)
            continue;
        const RoadVType *tu = road_vtype_of(road, u);
        double s = to_start + back;
        if (s < (urgent ? ROAD_URGENT_GAP_M : tu->def.min_gap_m * 0.5))
            return true;
        double a = road_idm_accel(tu, vh->rec[u].speed, road_desired_speed(road, u, target), s, vh->rec[v].speed);
        if (a < -b_safe)
            return true;
    }
    return false;
}

/* MOBIL (Kesting, Treiber, Helbing 2007) with a strategic urge: returns the
 * gain of moving v to `target`, or -INFINITY when unsafe. */
static double lane_change_gain(const CityRoad *road, int32_t v, int32_t cur, int32_t target, bool urgent, double dt)
{
    const RoadVehicles *vh = &road->veh;
    const RoadVType *t = road_vtype_of(road, v);
    double pos = vh->rec[v].pos, len = t->def.length_m;
    int32_t nl, nf;
    neighbours(road, target, pos, &nl, &nf);
    double lead_gap = urgent ? ROAD_URGENT_GAP_M : t->def.min_gap_m * 0.5;
    if (nl >= 0 && vh->rec[nl].pos - road_vtype_of(road, nl)->def.length_m - pos < lead_gap)
        return -INFINITY;
    /* (a back over the target's end stands at least the longest type's
     * length before it, as fronts are never behind their lane's start:
     * a vehicle farther back than that need not look at the lanes past it) */
    if (nl < 0 && road_lane_length(road, target) - road->longest_m - pos < lead_gap &&
        road_overhang_back(road, target, NULL) - pos < lead_gap)
        return -INFINITY;
    if (nf >= 0 &&
        pos - len - vh->rec[nf].pos < (urgent ? ROAD_URGENT_GAP_M : road_vtype_of(road, nf)->def.min_gap_m * 0.5))
        return -INFINITY;
    double b_safe = urgent ? road_vtype_of(road, v)->def.decel_mps2 * 1.5 : road_vtype_of(road, v)->def.decel_mps2;
    double an_new = 0.0, an_old = 0.0;
    if (nf >= 0) {
        const RoadVType *tf = road_vtype_of(road, nf);
        double s = pos - len - vh->rec[nf].pos;
        double vf = vh->rec[nf].speed;
        an_new = road_idm_accel(tf, vf, road_desired_speed(road, nf, target), s, vh->rec[v].speed);
        /* as the follower's speed choice plans it (speed_behind, as
         * brakes_behind asks of the changer). With IDM alone, at 1 s steps a car
         * changed 12.4 m in front of one at 24.1 m/s, which then drove
         * 12.4 m in the step: 11.7 m/s off (jamsil-p2, vehicle 241 at 557 s).
         * IDM's own deceleration counts only for a follower that can lose
         * that much speed in the step: of a standing one it asked 13 m/s^2
         * 1.1 m behind the gap, and two cars at the end of Jamsil's
         * -426094556, each on the other's turn lane, stood there until one
         * was teleported (jamsil-p1 at 0.1 s, seed 11) */
        if ((an_new < -b_safe && vf > b_safe * dt) || vf - speed_behind(vf, an_new, s, dt) > b_safe * dt)
            return -INFINITY;
        an_old = accel_behind(road, nf, nl, vh->rec[nf].pos, target);
    }
    /* (the followers bound for the lane from before it are asked last, and
     * only of a change that would be made: a gain of 0 or less never is) */
    bool feed_asked = nf < 0 && pos - len < ROAD_FEED_LOOK_M;
    if (urgent) /* MOBIL's safety criterion, for the changer too (its gain is not asked) */
        return (nl >= 0 && brakes_behind(road, v, nl, target, b_safe, dt)) ||
                       (feed_asked && feeder_brakes(road, v, target, pos - len, true, b_safe))
                   ? -INFINITY
                   : INFINITY;
    double ac_new = accel_behind(road, v, nl, pos, target);
    int32_t ol, of;
    neighbours(road, cur, pos, &ol, &of);
    /* `of` may be v itself when positions tie; the old follower is the one behind v */
    if (of == v) {
        int32_t n = road_lane_count(road, cur);
        of = -1;
        for (int32_t i = 0; i + 1 < n; i++)
            if (road_lane_at(road, cur, i) == v) {
                of = road_lane_at(road, cur, i + 1);
                break;
            }
    }
    double ac_old = accel_behind(road, v, ol, pos, cur);
    double ao_gain = 0.0;
    if (of >= 0)
        ao_gain = accel_behind(road, of, ol, vh->rec[of].pos, cur) - accel_behind(road, of, v, vh->rec[of].pos, cur);
    double gain = ac_new - ac_old + t->def.lc_politeness * ((an_new - an_old) + ao_gain) - t->def.lc_threshold_mps2;
    return gain > 0.0 && feed_asked && feeder_brakes(road, v, target, pos - len, false, b_safe) ? -INFINITY : gain;
}

/* A vehicle that stood at the end of the wrong lane too long gives up its
 * turn, takes a movement its lane allows (straight first) and reroutes
 * from there, as drivers do. Called every step while it stands there.
 * `avoid`: a movement not to take (-1: none), the turn a vehicle gives up
 * on a lane that has it: then, when no other movement leads on, it keeps
 * its turn. */
static void miss_turn(CityRoad *road, int32_t v, int32_t lane, int32_t avoid)
{
    const CityRoadNet *net = road->net;
    RoadVehicles *vh = &road->veh;
    RoadVehRec *rec = &vh->rec[v];
    /* Whether a movement of this lane leads to its destination depends on
     * the lane, the destination, the class and the closures only: the
     * travel-time estimates change the way found, never whether there is
     * one. A vehicle that found none searches again only once a lane has
     * opened or closed (not each step until time_to_teleport: 3,000 times
     * at 0.1 s steps, a search for each movement every time). */
    if (rec->stuck_epoch == road->closure_epoch + 1 && rec->stuck_lane == lane)
        return;
    const RoadRoute *r = &road->routes[rec->route];
    int32_t dest = road->route_edges[r->first + r->count - 1];
    uint32_t vclass = road_vtype_of(road, v)->def.vclass;
    const CityLane *ln = &net->lanes[lane];
    int32_t need = net->n_edges + 2;
    if (!city_array_grow((void **)&road->route_buf, &road->cap_route_buf, need, sizeof *road->route_buf))
        return;
    for (int pass = 0; pass < 2; pass++)
        for (int32_t k = 0; k < ln->out_count; k++) {
            const CityConnection *c = &net->conns[ln->out_first + k];
            if ((pass == 0) != (c->dir == 's') || !(net->lanes[c->to_lane].allow & vclass) ||
                road->lane_closed[c->to_lane] || ln->out_first + k == avoid)
                continue;
            int32_t next = net->lanes[c->to_lane].edge;
            road->route_buf[0] = ln->edge;
            int32_t got = road_router_route(road->router, next, dest, vclass, road->edge_tt_s, road->route_buf + 1,
                                            road->cap_route_buf - 1);
            if (got < 1) /* (no route needs a closed lane: none leads a vehicle cut off back to this line) */
                continue;
            int32_t nr = road_route_store(road, NULL, road->route_buf, got + 1);
            if (nr < 0)
                return;
            road_route_begin(road, v, nr);
            road_set_conn(road, v, ln->out_first + k); /* the movement the new route was made from */
            road->missed_turns++;
            return;
        }
    if (avoid >= 0)
        return;
    /* no movement from this lane leads anywhere: on an edge with other
     * lanes it waits (time_to_teleport moves it on, unless a lane that
     * opens or closes gives it a way first); otherwise the trip ends on
     * this lane, reported (never silently) */
    if (net->edges[ln->edge].lane_count > 1 && road->opt.time_to_teleport_s > 0) {
        rec->stuck_lane = lane;
        rec->stuck_epoch = road->closure_epoch + 1;
        return;
    }
    rec->flags |= ROAD_VF_ABORT;
    city_world_log(road->world, "warning", "vehicle %s cannot reach %s from lane %s; trip aborted",
                   vh->name[road_handle(road, v)], net->edges[dest].id, ln->id);
}

void road_give_up_turns(CityRoad *road)
{
    /* the first of a pair in lane order gives its turn up, takes another
     * movement of its lane and reroutes, as a driver would after standing
     * so long; the other then finds its exit moving off (and no longer
     * waits for the first's lane: it is not asked). On Jamsil's 0.2 m
     * edges either side of the junction north of Jamsil station, two
     * U-turns so placed stood 300 s in the day (am.450 and am.485 at
     * 07:48), until teleported. */
    int32_t *g = road->give_up; /* (a pair or two: by insertion, on lane then slot) */
    for (int32_t i = 1; i < road->n_give_up; i++) {
        int32_t v = g[i], lv = road->veh.rec[v].lane, j = i;
        for (; j > 0 && (road->veh.rec[g[j - 1]].lane > lv || (road->veh.rec[g[j - 1]].lane == lv && g[j - 1] > v));
             j--)
            g[j] = g[j - 1];
        g[j] = v;
    }
    for (int32_t k = 0; k < road->n_give_up; k++) {
        int32_t v = road->give_up[k];
        if (road_turns_held_mutually(road, v))
            miss_turn(road, v, road->veh.rec[v].lane, road->veh.rec[v].conn);
    }
    road->n_give_up = 0;
}

/* The scan's prefetch: the queue record of lane active[a + 8] and the step
 * records of the first vehicles of lane active[a + 4] (what it reads of
 * every vehicle; a vehicle's record it reads only when its clock runs out). */
static void scan_prefetch(const CityRoad *road, int32_t a)
{
    if (road->n_active < ROAD_PREFETCH_MIN_ACTIVE)
        return;
    if (a + 8 < road->n_active)
        road_prefetch(&road->lanes[road->active[a + 8]]);
    if (a + 4 < road->n_active) {
        const RoadLaneQ *q = &road->lanes[road->active[a + 4]];
        if (q->n > 0)
            road_prefetch(&road->veh.step[q->v[q->head]]);
    }
}

/* The candidates' first record lines and cached good lanes eight ahead;
 * what the evaluation reads of the lane and its neighbours four ahead;
 * two ahead, for a vehicle new to its edge, the connections of its lane
 * and the lanes beside it (road_good_lanes). The collection pass read
 * them, but on a big city the pass over every active lane evicts them
 * before the evaluation comes. `lanes`: the candidates' lanes. */
static void cand_prefetch(const CityRoad *road, const int32_t *cand, const int32_t *lanes, int32_t m, int32_t i)
{
    const RoadVehicles *vh = &road->veh;
    if (i + 8 < m) {
        road_prefetch(&vh->rec[cand[i + 8]]);
        road_prefetch(&vh->good[cand[i + 8]]);
    }
    if (i + 4 < m) {
        int32_t lane = lanes[i + 4];
        road_prefetch(&road->lane_side[lane]);
        road_prefetch(&road->lanes[lane]);
        road_prefetch(&road->lanes[lane + 1]); /* (lanes has a record past the last) */
        if (lane > 0)
            road_prefetch(&road->lanes[lane - 1]);
        road_prefetch(&road->lane_out[lane]);
    }
    if (i + 2 < m && !road_good_valid(road, cand[i + 2])) {
        int32_t lane = lanes[i + 2];
        const RoadLaneSide *sd = &road->lane_side[lane];
        road_prefetch_outs(road, lane);
        if (sd->index > 0)
            road_prefetch_outs(road, lane - 1);
        if (sd->index + 1 < sd->lanes)
            road_prefetch_outs(road, lane + 1);
    }
}

static void add_merge(CityRoad *road, int32_t lane, int32_t v)
{
    if (road->n_merges == road->cap_merges &&
        !city_array_grow((void **)&road->merges, &road->cap_merges, road->n_merges + 1, sizeof *road->merges))
        return; /* without the request the vehicle only waits longer */
    RoadMerge *m = &road->merges[road->n_merges];
    m->lane = lane;
    m->back_m = road->veh.rec[v].pos - road_vtype_of(road, v)->def.length_m;
    m->speed_mps = road->veh.rec[v].speed;
    m->next = road->merge_head[lane];
    road->merge_head[lane] = road->n_merges++;
    road->lanes[lane].merging = true;
}

/* A vehicle that must change lanes and finds a vehicle alongside (or just
 * ahead) on the target lane slows to drop in behind it, as SUMO's do,
 * instead of driving beside it to the end of the lane. */
static void drop_behind(CityRoad *road, int32_t target, int32_t v)
{
    RoadVehicles *vh = &road->veh;
    int32_t nl, nf;
    neighbours(road, target, vh->rec[v].pos, &nl, &nf);
    if (nl < 0 || vh->rec[nl].pos - road_vtype_of(road, nl)->def.length_m - vh->rec[v].pos >= ROAD_URGENT_GAP_M)
        return;
    float cap = (float)(vh->rec[nl].speed - 1.0);
    vh->step[v].lc_vmax_mps = cap > 0.0f ? cap : 0.0f;
}

/* Whether a vehicle of length len with its front at `front` fits on lane
 * `lane` beside its vehicles other than `skip` (no overlap). */
static bool fits_on(const CityRoad *road, int32_t lane, int32_t skip, double front, double len)
{
    const RoadVehicles *vh = &road->veh;
    for (int32_t i = 0; i < road->lanes[lane].n; i++) {
        int32_t u = road_lane_at(road, lane, i);
        double uf = vh->rec[u].pos, ub = uf - road_vtype_of(road, u)->def.length_m;
        if (u != skip && uf > front - len && ub < front)
            return false;
    }
    return true;
}

/* Two vehicles standing side by side at the end of their lanes, each on
 * the other's lane for its turn, would wait for a gap the other holds
 * until both gave their turns up (ROAD_MISSED_TURN_S) and were rerouted:
 * at 1 s steps on Jamsil's 975305196#0, vehicles 717 and 688 did. They
 * swap places (drivers there would let each other pass). v (on
 * `lane`, wrong for its turn) swaps with the vehicle beside it on
 * `target` when that one stands there too, wrong for its own turn, with
 * v's lane among the ones that lead to it or on its way to them, and each
 * fits in the other's place. Returns whether they swapped. (One two lanes
 * off its turn, beside one that needed its lane, stood with it until both
 * were teleported: jamsil-hour at 1 s, vehicles 2040 and 2064 on
 * -426094556, lanes 1 and 2, turns from lanes 1 and 3.) */
static bool swap_with_blocker(CityRoad *road, int32_t v, int32_t lane, int32_t target, int32_t lo, int32_t hi)
{
    RoadVehicles *vh = &road->veh;
    RoadVehRec *r = &vh->rec[v];
    const double near_end = ROAD_STOP_LINE_M + 3.0;
    /* v stands at its lane's end, or first on its lane a little short of
     * it: held back by the one beside it (drop_behind), a car stood 5.3 m
     * short of the end beside one at the end that wanted its lane, and
     * both stood until teleported (jamsil-hour at 1 s, vehicles 2040 and
     * 2084 on -426094556) */
    if (r->speed >= ROAD_HALT_MPS ||
        (road_lane_length(road, lane) - r->pos >= near_end && road_lane_at(road, lane, 0) != v))
        return false;
    int32_t ti = road->lane_side[target].index;
    if (ti < lo || ti > hi)
        return false; /* the target lane does not lead to its turn either */
    double len = road_vtype_of(road, v)->def.length_m;
    int32_t nl, nf, u = -1;
    neighbours(road, target, r->pos, &nl, &nf);
    /* beside it, or nearer than the least gap an urgent change takes
     * (lane_change_gain): a car stood with its front 0.2 m behind the back
     * of one on the lane it needed, which needed its lane, and both stood
     * until one was teleported (jamsil-hour at 0.1 s, seed 9, vehicles 2040
     * and 2106 on -426094556) */
    if (nl >= 0 && vh->rec[nl].pos - road_vtype_of(road, nl)->def.length_m < r->pos + ROAD_URGENT_GAP_M)
        u = nl; /* beside it, a little ahead */
    else if (nf >= 0 && vh->rec[nf].pos > r->pos - len - ROAD_URGENT_GAP_M)
        u = nf; /* beside it, a little behind */
    if (u < 0)
        return false;
    RoadVehRec *ru = &vh->rec[u];
    int32_t ulo, uhi;
    if (ru->speed >= ROAD_HALT_MPS || road_lane_length(road, target) - ru->pos >= near_end ||
        !(ru->conn < 0 && ru->route_pos + 1 < ru->route_n) || !road_good_lanes(road, u, target, &ulo, &uhi))
        return false;
    int32_t idx = road->lane_side[lane].index;
    double ulen = road_vtype_of(road, u)->def.length_m;
    if ((idx < ulo && idx < ti) || (idx > uhi && idx > ti) || !fits_on(road, target, u, ru->pos, len) ||
        !fits_on(road, lane, v, r->pos, ulen))
        return false;
    double pos_v = r->pos, pos_u = ru->pos;
    road_lane_remove(road, lane, v);
    road_lane_remove(road, target, u);
    r->pos = pos_u;
    r->lane = target;
    ru->pos = pos_v;
    ru->lane = lane;
    road_lane_insert_sorted(road, target, v);
    road_lane_insert_sorted(road, lane, u);
    road_set_conn(road, v, road_plan_conn(road, v, target));
    road_set_conn(road, u, road_plan_conn(road, u, lane));
    road->lane_swaps++;
    return true;
}

void road_change_lanes(RoadStepCtx *x, int32_t period)
{
    CityRoad *road = x->road;
    RoadVehicles *vh = &road->veh;
    /* last step's merge requests expire */
    for (int32_t k = 0; k < road->n_merges; k++) {
        road->merge_head[road->merges[k].lane] = -1;
        road->lanes[road->merges[k].lane].merging = false;
    }
    road->n_merges = 0;
    /* collect first: changes reorder lane queues. Each candidate's lane is
     * noted beside it (a lane of cand_lane), which the evaluation then
     * reads instead of the record's second line; only a swap
     * (swap_with_blocker) moves another vehicle than the one evaluated,
     * and from the first swap of the step on the records are read. */
    int32_t m = 0;
    int32_t *cand_lane = x->cand + vh->n_live + 1; /* (the scratch holds both: road_physics) */
    const uint64_t swaps_before = road->lane_swaps;
    for (int32_t a = 0; a < road->n_active; a++) {
        scan_prefetch(road, a);
        int32_t lane = road->active[a];
        const RoadLaneQ *q = &road->lanes[lane]; /* the net's lane and edge as the queue record copies them */
        if (q->internal)
            continue;
        /* on a one-lane edge a vehicle's turn only counts its clock down,
         * and one on the wrong lane (left by a turn it could not take) may
         * give the turn up: only those go on */
        bool one_lane = q->edge_lanes < 2;
        double lane_len = q->length_m;
        int32_t n = q->n; /* (lane_n is a second line, far off on a big map) */
        for (int32_t i = 0; i < n; i++) {
            int32_t v = q->v[q->head + i];
            /* a vehicle on the wrong lane for its turn tries every step; the
             * others, whose clock runs on, are skipped without reading their
             * record (at 0.1 s steps, nine in ten) */
            RoadVehStep *st = &vh->step[v];
            bool wrong = st->wrong;
            if (--st->lc_wait > 0 && !wrong)
                continue;
            st->lc_wait = (int16_t)period; /* at most 1000 (1 ms steps) */
            /* no lane beside its own leads on: the evaluation below would
             * find nothing to change to (its record is not read) */
            if (st->stay)
                continue;
            if (one_lane && !(wrong && vh->rec[v].halt_s > ROAD_MISSED_TURN_S &&
                              lane_len - vh->rec[v].pos < ROAD_STOP_LINE_M + 3.0))
                continue;
            /* what the evaluation below drops at once for a vehicle on a lane
             * that leads on (still entering its lane, or unhindered) depends
             * on its own state only, which no other vehicle's change alters:
             * decided here, with its record and lane at hand, instead of a
             * second visit to each */
            /* (taken without a branch: whether a vehicle is entering or
             * hindered follows no pattern from one vehicle to the next) */
            const RoadVType *t = road_vtype_of(road, v);
            bool entering = (vh->rec[v].pos < t->def.length_m) & (lane_len >= ROAD_SHORT_LANE_M);
            bool unhindered =
                vh->rec[v].accel > accel_behind(road, v, -1, vh->rec[v].pos, lane) - t->def.lc_threshold_mps2;
            cand_lane[m] = lane;
            x->cand[m] = v;
            m += wrong | !(entering | unhindered);
        }
    }
    for (int32_t i = 0; i < m; i++) {
        if (road->n_active >= ROAD_PREFETCH_DEEP_MIN_ACTIVE)
            cand_prefetch(road, x->cand, cand_lane, m, i);
        else if (i + 4 < m) /* the collection pass fetched them, but a big city's vehicles do not stay in the caches */
            road_prefetch(&vh->rec[x->cand[i + 4]]);
        int32_t v = x->cand[i];
        int32_t lane = road->lane_swaps == swaps_before ? cand_lane[i] : vh->rec[v].lane;
#ifndef NDEBUG /* (debug builds, which the sanitizer tests use, read the record's lane after all to check the note) */
        CITY_ASSERT(lane == vh->rec[v].lane);
#endif
        const RoadLaneQ *q = &road->lanes[lane]; /* its length and edge, as the scan read them */
        const RoadLaneSide *sd = &road->lane_side[lane];
        bool wrong = vh->rec[v].conn < 0 && vh->rec[v].route_pos + 1 < vh->rec[v].route_n;
        if (wrong && vh->rec[v].halt_s > ROAD_MISSED_TURN_S && q->length_m - vh->rec[v].pos < ROAD_STOP_LINE_M + 3.0) {
            miss_turn(road, v, lane, -1);
            /* a movement of this lane now leads on, or the trip ends here;
             * else no movement of this lane leads anywhere, and a change to
             * a lane that does stays its only way on: it keeps asking for a
             * gap until time_to_teleport */
            if (vh->rec[v].conn >= 0 || (vh->rec[v].flags & ROAD_VF_ABORT))
                continue;
        }
        /* nowhere to change to, or still entering the lane (a lane shorter
         * than the vehicle, left by joined junctions, is changed on at once:
         * some turns can only be reached that way) */
        if (sd->lanes < 2 ||
            (vh->rec[v].pos < road_vtype_of(road, v)->def.length_m && q->length_m >= ROAD_SHORT_LANE_M))
            continue;
        /* MOBIL's own gain can only be positive for a vehicle its leader
         * holds back: an unhindered one makes no discretionary change
         * (it forgoes changes made only to let followers pass), and one on
         * a lane that leads on makes no other */
        /* (its last acceleration tells: what its leader and the road ahead
         * allowed). The scan kept only hindered vehicles among those on a
         * lane that leads on, and no other vehicle's change alters it. */
        bool unhindered = wrong && vh->rec[v].accel > accel_behind(road, v, -1, vh->rec[v].pos, lane) -
                                                          road_vtype_of(road, v)->def.lc_threshold_mps2;
        int32_t lo, hi;
        int32_t idx = sd->index;
        /* on a lane that leads on, a change must keep the turn reachable
         * (below): with no such lane beside it, it has none to make until
         * its route, lane or the closures change (road_set_conn,
         * road_route_begin, a closure), and the scan skips it till then */
        if (!road_good_lanes(road, v, lane, &lo, &hi) ||
            (!wrong && !(lo <= idx - 1 && idx - 1 <= hi) && !(lo <= idx + 1 && idx + 1 <= hi))) {
            vh->step[v].stay = !wrong;
            continue;
        }
        uint32_t vclass = road_vtype_of(road, v)->def.vclass;
        int32_t best = -1;
        double best_gain = 0.0;
        for (int d = -1; d <= 1; d += 2) {
            int32_t ti = idx + d;
            if (ti < 0 || ti >= sd->lanes)
                continue;
            int32_t target = lane + d;
            bool urgent = wrong && ((idx < lo && d > 0) || (idx > hi && d < 0));
            if (!urgent && (ti < lo || ti > hi))
                continue; /* a discretionary change must keep the turn reachable */
            if (!urgent && unhindered)
                continue;
            if (!((d < 0 ? sd->allow_right : sd->allow_left) & vclass) || road->lane_closed[target])
                continue;
            double gain = lane_change_gain(road, v, lane, target, urgent, x->dt_s);
            if (gain > best_gain) {
                best_gain = gain;
                best = target;
            }
        }
        if (best < 0) {
            if (wrong) { /* ask the target lane to open a gap */
                int32_t ti = idx < lo ? idx + 1 : idx - 1;
                if (ti >= 0 && ti < sd->lanes && swap_with_blocker(road, v, lane, lane + (ti - idx), lo, hi))
                    continue;
                if (ti >= 0 && ti < sd->lanes) {
                    add_merge(road, lane + (ti - idx), v);
                    drop_behind(road, lane + (ti - idx), v);
                }
            }
            continue;
        }
        road_lane_remove(road, lane, v);
        vh->rec[v].lane = best;
        road_lane_insert_sorted(road, best, v);
        road_set_conn(road, v, road_plan_conn(road, v, best));
    }
}
