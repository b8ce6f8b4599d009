/* Speed choice (car following): every vehicle picks its speed for the step
 * with IDM against its leader, the next lanes of its path, stop lines it
 * may not pass and slower lanes ahead, and opens gaps for vehicles asking
 * to merge in. Front vehicles that will cross a stop line become junction
 * candidates; the others move in the same pass (road_plan_and_move). */
#include "city_compiler.h"
#include "road_move_lane.h"

/* Opening a gap for a vehicle that asked to merge in ahead (closer than the
 * leader at gap `s_leader`), when that takes no more than comfortable braking;
 * head: the lane's first request (road->merge_head), -1 for none. */
static double merge_accel_list(const CityRoad *road, int32_t head, int32_t v, const RoadVType *t, double a_free,
                               double s_leader)
{
    double a = INFINITY;
    for (int32_t k = head; k >= 0; k = road->merges[k].next) {
        const RoadMerge *m = &road->merges[k];
        double s = m->back_m - road->veh.rec[v].pos;
        if (s <= 0.5 || s >= s_leader)
            continue;
        double vv = road->veh.rec[v].speed;
        if (vv * vv / (2.0 * s) > t->def.decel_mps2)
            continue; /* too close to stop for it: let it wait for the next one */
        a = road_min2(a, road_idm_behind(t, a_free, vv, s, m->speed_mps));
    }
    return a;
}
/* The same, without a call on a lane no vehicle asks to merge onto (most lanes). */
static inline double merge_accel(const CityRoad *road, int32_t head, int32_t v, const RoadVType *t, double a_free,
                                 double s_leader)
{
    return head < 0 ? INFINITY : merge_accel_list(road, head, v, t, a_free, s_leader);
}

/* A line the vehicle would reach in this step, at the end of lane `lane`
 * (edge rp of its route) dist metres ahead: the connection it may cross in
 * the same step, or -1 to stop at the line. At 1 s steps the chains of
 * short lanes between joined junctions would otherwise cost a near stop at
 * every line. */
static int32_t chain_conn(RoadStepCtx *x, int32_t v, int32_t lane, int32_t rp, double dist, double v_now)
{
    const RoadVType *t = road_vtype_of(x->road, v);
    if (rp + 1 >= x->road->veh.rec[v].route_n || dist >= (v_now + t->def.accel_mps2 * x->dt_s) * x->dt_s)
        return -1; /* it arrives on this lane, or does not reach the line in this step */
    int32_t ci = road_plan_conn_at(x->road, v, lane, rp);
    if (ci < 0 || !road_link_allowed(x, v, t, ci, dist, rp))
        return -1;
    double eta = v_now > 0.1 ? dist / v_now : x->dt_s;
    road_announce(x->road, x->road->connq[ci].link, x->now_s + eta);
    return ci;
}

/* The connection vehicle v takes at the end of the exit lane of its
 * connection (at the end of route edge route_pos + 1), as
 * road_plan_conn_at picks it, or -1: asked every step while that line is
 * within its horizon, kept until its connection or a closure changes (the
 * search looks along the lanes beyond: on jamsil-p1 a tenth of the step) */
static int32_t far_conn(CityRoad *road, int32_t v)
{
    RoadVehRec *r = &road->veh.rec[v];
    if (r->far_conn == ROAD_FAR_UNKNOWN)
        r->far_conn = r->conn >= 0 && r->route_pos + 2 < r->route_n
                          ? road_plan_conn_at(road, v, road->connq[r->conn].to_lane, r->route_pos + 1)
                          : -1;
    return r->far_conn;
}

/* How far ahead a vehicle of type t at speed v looks along its path (the
 * speed choice, plan_front): its braking distance at the comfortable rate,
 * a headway, two gaps and 20 m. */
static double look_horizon(const RoadVType *t, double v)
{
    return v * v / (2.0 * t->def.decel_mps2) + v * t->def.tau_s + 2.0 * t->def.min_gap_m + 20.0;
}

/* Whether a line showing `shown` is one its vehicles yield at: a minor
 * link, a yielding green, an all-way stop, a light that is off. */
static bool yields_at(char shown)
{
    return shown == 'm' || shown == 'g' || shown == '=' || shown == 'o';
}

/* The acceleration at most from which a vehicle of type t at v_now can
 * still stop `stop` metres ahead braking at the comfortable rate, and at
 * least minus twice that rate. */
static double stop_able_accel(const RoadStepCtx *x, const RoadVType *t, double v_now, double stop)
{
    double b = t->def.decel_mps2, bdt = b * x->dt_s;
    double v_max = sqrt(bdt * bdt + 2.0 * b * road_max2(stop, 0.0)) - bdt;
    return road_max2((v_max - v_now) / x->dt_s, -2.0 * b);
}

/* The acceleration at most with which a vehicle of type t at v_now
 * approaches a line it yields at, `stop` metres ahead, until it sees its
 * foes: able to stop there (stop_able_accel); INFINITY once that would
 * take more than twice the comfortable rate. Past that point it goes on,
 * as SUMO's vehicles do (they slow for a minor link only while they could
 * brake for it: couldBrakeForMinor), and its foes' gaps are judged as an
 * impatient driver's (road_link_allowed). A car at 20 m/s 37 m before a
 * left turn whose light changed from protected to yielding green braked
 * at 9 m/s^2 for half a second (jamsil-p1 at 0.1 s steps). */
static double yield_approach_accel(const RoadStepCtx *x, const RoadVType *t, double v_now, double stop)
{
    double a = stop_able_accel(x, t, v_now, stop);
    return a > -2.0 * t->def.decel_mps2 ? a : INFINITY;
}

/* The acceleration at most that a line dist metres ahead leaves vehicle v
 * (at speed v_now, free-road acceleration a_free), whose path crosses it
 * on connection ci (-1: none leads on from its lane) at the end of route
 * edge rp, when it would stop `stop` metres ahead for it: INFINITY when v
 * may cross now and nothing slows it; *allowed says which. A yielding
 * link is approached as SUMO's vehicles approach one: able to stop at its
 * line (braking at b, as for a slower lane in plan_front) until near
 * enough to see its foes (ROAD_FOE_VISIBILITY_M), where the vehicle goes
 * on for good, or until it could no longer stop for it
 * (yield_approach_accel). Driven at full speed to the line, it was
 * stopped from full speed by a foe that came into view at the last
 * moment. A line it may
 * not pass is braked for as a standing leader is (road_idm_behind_line):
 * IDM alone asked 12.8 m/s^2 of a car at 12.9 m/s 15.7 m before a line
 * whose exit (a lane of 1.2 m past Jamsil's 218899409#2) had filled in
 * the step before, and it stood in one step (jamsil-p1 at 1 s: 38 such
 * stops from over 9 m/s, 1 now). */
static double line_accel(RoadStepCtx *x, int32_t v, const RoadVType *t, double v_now, double a_free, int32_t ci,
                         double dist, double stop, int32_t rp, bool *allowed)
{
    *allowed = ci >= 0 && road_link_allowed(x, v, t, ci, dist, rp);
    if (!*allowed)
        return road_idm_behind_line(t, a_free, v_now, stop + t->def.min_gap_m, x->dt_s);
    char shown = x->road->connq[ci].state; /* what road_link_allowed just read */
    if (!yields_at(shown) || stop <= ROAD_FOE_VISIBILITY_M)
        return INFINITY;
    return yield_approach_accel(x, t, v_now, stop);
}

/* The acceleration at most that the vehicle last onto lane `first` (the
 * first lane past the line dist metres ahead of vehicle v) leaves v while
 * its back is still over that line; INFINITY otherwise. One that stands
 * inside a junction a few metres past its line (held there by a person
 * on a crossing ahead, or by a full exit) sticks out behind it: the
 * vehicles behind braked for the line only, when it was closed to them,
 * and stood a metre into its back (a queue of such pairs in every cycle
 * of the school zone's southern junction). The same obstacle when the
 * line is open is the leader plan_front finds past it. *cap_disp: the
 * step's displacement, kept short of its back. */
static double tail_over_line(const CityRoad *road, int32_t v, const RoadVType *t, int32_t first, double dist,
                             double a_free, double *cap_disp)
{
    RoadTail u;
    if (!road_back_over_line(road, first, &u))
        return INFINITY; /* no vehicle there, or wholly past the line */
    double s = dist + u.pos - u.length_m;
    *cap_disp = road_min2(*cap_disp, road_max2(s - 0.01, 0.0));
    return road_idm_behind(t, a_free, road->veh.rec[v].speed, s, u.speed);
}

/* Where a vehicle of type t that may not pass the line at the end of lane
 * `lane`, dist metres ahead, stops: ROAD_STOP_LINE_M before it, or at it
 * on a lane too short to hold the vehicle with that margin (its back would
 * stay over the line behind, in the junction it crossed, and keep that
 * junction's foes waiting: teleports on jamsil-p1). The same wherever the
 * line is seen from: planned a metre farther while it was the second line
 * ahead, the stop point moved back when it became the first, and cost a
 * 0.1 s step 8.4 m/s^2 (test_far_give_way_line_braked_for). */
static double line_stop(const CityRoad *road, const RoadVType *t, int32_t lane, double dist)
{
    return dist - (road_lane_length(road, lane) >= t->def.length_m + ROAD_STOP_LINE_M ? ROAD_STOP_LINE_M : 0.01);
}

/* The acceleration at most that the end of its lane, dist metres ahead,
 * leaves a vehicle (record r, type t, free-road acceleration a_free) on
 * the wrong lane for its turn (no movement of its lane leads on along its
 * route): it stops at the end to wait for a gap. INFINITY for any other. */
static double wrong_lane_end(const RoadVehRec *r, const RoadVType *t, double a_free, double dist)
{
    if (r->conn >= 0 || r->route_pos + 1 >= r->route_n || (r->flags & ROAD_VF_ABORT))
        return INFINITY;
    return road_idm_behind(t, a_free, r->speed, dist - ROAD_STOP_LINE_M + t->def.min_gap_m, 0.0);
}

/* The acceleration at most that lane `next`, dist metres ahead, leaves
 * vehicle v (type t, at v_now) when it is slower (a turn): be at its speed
 * when we reach it, braking late at the comfortable rate b, as SUMO's free
 * speed does: the speed after this step's move (Euler) is at most the one
 * from which braking at b still reaches v_next at the line, the root of
 * vn^2 + 2 b dt vn = v_next^2 + 2 b dist, or v_next itself when that
 * crosses the line in this step (the root is below v_next only then).
 * (Braking all the way from the horizon at the rate that just arrives at
 * v_next cost a second or two a turn against SUMO at 0.1 s steps.)
 * INFINITY when it is not slower. */
static CITY_ALWAYS_INLINE double slower_lane_accel(const RoadStepCtx *x, int32_t v, const RoadVType *t, double v_now,
                                                   int32_t next, double dist)
{
    double v_next = road_desired_speed_t(x->road, t, v, next);
    if (v_next >= v_now)
        return INFINITY;
    double b = t->def.decel_mps2, bdt = b * x->dt_s;
    double v_max = sqrt(bdt * bdt + v_next * v_next + 2.0 * b * road_max2(dist, 0.0)) - bdt;
    v_max = road_max2(v_max, v_next);
    return road_max2((v_max - v_now) / x->dt_s, -2.0 * b);
}

/* The acceleration at most that the line at the end of a lane past a line
 * looked past (plan_front), dist metres ahead on connection ci, leaves a
 * vehicle of type t at v_now: a yielding line is approached able to stop
 * at it until its foes are in sight (yield_approach_accel), and a light
 * that stops the vehicle able to stop at it, braking at the comfortable
 * rate, as line_accel has the nearer lines approached; INFINITY for any
 * other. Seen only from the lane before it, the yielding left turn at the
 * end of Jamsil's 16 m -490868631 (two short lanes past -490868630's
 * line) took 9 m/s^2 for up to half a second from cars at 25 m/s
 * (jamsil-p1 at 0.1 s: 20 of its 260 emergency brakes on
 * -490868630_1). */
static double far_line_accel(const RoadStepCtx *x, const RoadVType *t, double v_now, int32_t ci, int32_t lane,
                             double dist)
{
    double stop = line_stop(x->road, t, lane, dist);
    if (road_light_stops(x->road, ci, t))
        return stop_able_accel(x, t, v_now, stop);
    if (!(yields_at(road_conn_shown(x->road, ci)) && stop > ROAD_FOE_VISIBILITY_M))
        return INFINITY;
    return yield_approach_accel(x, t, v_now, stop);
}

/* The acceleration at most that its turn at the end of lane `next` (the
 * lane after the junction at the end of route edge rp, k -2), dist metres
 * ahead, leaves front vehicle v when the look along its path stops at a
 * vehicle on that lane: it slows for that turn whatever the vehicle ahead
 * does, as own_turn_accel has a vehicle behind a leader on its own lane
 * do. Seen only once on that lane, the right turn (6.5 m/s) at the end of
 * Jamsil's 65 m 473966575#1 took 9 m/s^2 for half a second from cars at
 * 27 m/s that came off the ramp behind a car going straight on (jamsil-p1
 * at 0.1 s). INFINITY beyond the horizon, or with no turn there. */
static double turn_behind_accel(RoadStepCtx *x, int32_t v, const RoadVType *t, double v_now, int32_t next, int32_t k,
                                int32_t rp, double dist, double horizon)
{
    CityRoad *road = x->road;
    const RoadVehRec *r = &road->veh.rec[v];
    double at_end = dist + road_lane_length(road, next);
    if (k != -2 || rp + 2 >= r->route_n || at_end >= horizon)
        return INFINITY;
    int32_t tc = rp == r->route_pos ? far_conn(road, v) : road_plan_conn_at(road, v, next, rp + 1);
    return tc >= 0 ? slower_lane_accel(x, v, t, v_now, road->connq[tc].first_lane, at_end) : INFINITY;
}

/* Speed for the front vehicle v of lane `lane`, whose acceleration is at
 * most a_start so far and a_free on a free road (road_idm_free): looks
 * along its path for the next vehicle, stop lines it may not pass and
 * slower lanes ahead. */
static double plan_front(RoadStepCtx *x, int32_t v, const RoadVType *t, int32_t lane, double a_start, double a_free,
                         bool *crossing)
{
    CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    const RoadVehicles *vh = &road->veh;
    double v_now = vh->rec[v].speed;
    double dist = road_lane_length(road, lane) - vh->rec[v].pos;
    double horizon = look_horizon(t, v_now);
    double a = a_start;
    double cap_disp = INFINITY; /* no farther than a line it may not cross in this step */
    int32_t ci = vh->rec[v].conn;
    int32_t k = vh->rec[v].via_pos; /* -1: on the normal lane before the junction */
    int route_n = vh->rec[v].route_n;
    int32_t rp = vh->rec[v].route_pos; /* route index of the edge whose end line is ahead */
    int32_t cur = lane;                /* the lane dist ends at */
    bool looked_past = false;          /* past an open line it does not reach in this step */
    *crossing = false;
    if (road_link_holds(road, v))
        return 0.0;
    for (int seg = 0; seg < 6; seg++) {
        int32_t next;
        if (k == -1) {
            if (ci < 0) {
                a = road_min2(a, wrong_lane_end(&vh->rec[v], t, a_free, dist)); /* wait at the lane end for a gap */
                break;
            }
            if (dist < ROAD_APPROACH_M)
                a = road_min2(a, tail_over_line(road, v, t, road->connq[ci].first_lane, dist, a_free, &cap_disp));
            if (dist < horizon || dist < v_now * x->dt_s + 1.0) {
                a = road_min2(
                    a, line_accel(x, v, t, v_now, a_free, ci, dist, line_stop(road, t, cur, dist), rp, crossing));
                if (!*crossing)
                    break;
            } else {
                break; /* junction beyond the horizon */
            }
            const RoadConnQ *c = &road->connq[ci]; /* what road_link_allowed just read */
            next = c->first_lane;
            k = c->via_count > 0 ? 0 : -2;
        } else if (k >= 0) {
            const RoadConnQ *c = &road->connq[ci];
            if (k == 0 && (c->flags & ROAD_CQ_CONT) && !road_internal_allowed(x, v, ci, dist)) {
                /* it waits at the internal junction at the end of this
                 * lane, braking for it as for a line it may not pass */
                a = road_min2(a, road_idm_behind_line(t, a_free, v_now, dist - 0.01 + t->def.min_gap_m, x->dt_s));
                cap_disp = road_min2(cap_disp, road_max2(dist - 0.01, 0.0));
                break;
            }
            if (k + 1 < c->via_count) {
                next = net->via[net->conns[ci].via_first + k + 1]; /* (a second internal lane: rare) */
                k++;
            } else {
                next = c->to_lane;
                k = -2;
            }
        } else {
            /* k == -2: we are looking along the lane after the junction; its end is the next line */
            if (looked_past) {
                /* (a lane past a line looked past is not surely its lane:
                 * it may change lanes first.) Its turn at the end, as route
                 * following picks it from this lane, is braked for already:
                 * seen only from the short lane before, the turn at the end
                 * of Jamsil's 14.8 m 172059022#4 (two lines past
                 * 172059022#2) took 9 m/s^2 for a second from cars at
                 * 21 m/s (jamsil-p1 at 0.1 s: 135 of its 573 emergency
                 * brakes). When no movement of that lane leads on, so that
                 * it must change lanes there, it approaches that lane's end
                 * able to stop at it (as plan_front has the lane past its
                 * own line approached): seen only from the lane before it,
                 * the end of Jamsil's 29 m 908242253#6_1 (the turn is from
                 * #6_0; the lane before reaches #6_1 alone) took 9 to
                 * 12.7 m/s^2 for half a second from cars at 28 m/s */
                int32_t tc = rp + 2 < route_n ? road_plan_conn_at(road, v, cur, rp + 1) : -1;
                if (tc >= 0) {
                    a = road_min2(a, slower_lane_accel(x, v, t, v_now, road->connq[tc].first_lane, dist));
                    a = road_min2(a, far_line_accel(x, t, v_now, tc, cur, dist));
                } else if (rp + 2 < route_n) {
                    a = road_min2(a, stop_able_accel(x, t, v_now, line_stop(road, t, cur, dist)));
                }
                break;
            }
            int32_t nc = rp < vh->rec[v].route_pos + 2 ? chain_conn(x, v, cur, rp + 1, dist, v_now) : -1;
            if (nc < 0) {
                cap_disp = road_min2(cap_disp, dist);
                /* the line is within the horizon: brake for it now, as for
                 * the first (a lane of a few metres between joined
                 * junctions was otherwise entered at full speed towards a
                 * closed line; its vehicle stopped from up to 25 m/s in
                 * 26 m). It stops where it would at that line as the first
                 * (line_stop), never past the line (the cap above) */
                int32_t pc = rp + 2 >= route_n            ? -1
                             : rp == vh->rec[v].route_pos ? far_conn(road, v) /* (cur: its conn's exit lane) */
                                                          : road_plan_conn_at(road, v, cur, rp + 1);
                /* pc -1: it arrives on that lane, or no movement of that
                 * lane leads on and it must change lanes there first:
                 * then it approaches that lane's end able to stop at it,
                 * as at a closed line. Driven at full speed onto a lane
                 * it could only leave by a lane change, it was stopped at
                 * the lane's end in one step (on Jamsil's 0.2 m edge
                 * 218899424, from 30 m/s to 0 at 1 s steps) */
                bool open = false;
                if (pc >= 0 || rp + 2 < route_n)
                    a = road_min2(
                        a, line_accel(x, v, t, v_now, a_free, pc, dist, line_stop(road, t, cur, dist), rp + 1, &open));
                if (!open)
                    break;
                if (rp != vh->rec[v].route_pos) {
                    /* a line farther on (past a chain of short lanes): the
                     * look stops there, but the turn past it is braked for
                     * already (as past a line looked past, above) */
                    a = road_min2(a, slower_lane_accel(x, v, t, v_now, road->connq[pc].first_lane, dist));
                    break;
                }
                /* that line (the one past its connection's exit lane) is
                 * open: the look goes on past it, not to cross it in this
                 * step (the cap holds the vehicle short of it), to whoever
                 * is in the junction beyond. Stopping the look at the line,
                 * a car at 18.4 m/s found a car crawling 10 m into the
                 * junction only at the line before it, and braked from
                 * 20.4 m/s to 3.0 in one step (jamsil-p1, vehicle 0 at 38 s) */
                looked_past = true;
                nc = pc;
            }
            const RoadConnQ *c = &road->connq[nc];
            ci = nc;
            rp++;
            next = c->first_lane;
            k = c->via_count > 0 ? 0 : -2;
        }
        /* the count from the lane's record, which the speed limit below
         * reads anyway (lane_n is a second line, far off on a big map) */
        int32_t n = road->lanes[next].n;
        a = road_min2(a, slower_lane_accel(x, v, t, v_now, next, dist));
        if (n > 0) {
            RoadTail u = road_tail_start(road, next);
            double s = dist + u.pos - u.length_m;
            if (looked_past) {
                /* a vehicle past a line it will not reach in this step is
                 * approached as SUMO's drivers approach a leader, able to
                 * stop behind it braking at b (were it to stop too), not by
                 * IDM's gap: IDM's wish to keep its time gap to a vehicle two
                 * junctions on slowed the queue into Jamsil's
                 * 1206205737#0 and cost 4 s a trip on jamsil-p1 at 1 s */
                double v_max = road_safe_speed(t, s, u.speed, x->dt_s);
                a = road_min2(a, road_max2((v_max - v_now) / x->dt_s, -2.0 * t->def.decel_mps2));
                break;
            }
            a = road_min2(a, road_idm_behind_held(t, a_free, v_now, s, u.speed, x->dt_s));
            double room = s - 0.01;
            if (room < cap_disp)
                cap_disp = room;
            a = road_min2(a, turn_behind_accel(x, v, t, v_now, next, k, rp, dist, horizon));
            break;
        }
        dist += road_lane_length(road, next);
        cur = next;
        if (dist > horizon && k == -2)
            break;
        if (k == -2 && rp + 2 >= route_n)
            break; /* the lane after the junction is the last one: we arrive at its end */
    }
    double vn = v_now + a * x->dt_s;
    if (vn < 0)
        vn = 0;
    if (vn * x->dt_s > cap_disp)
        vn = cap_disp > 0 ? cap_disp / x->dt_s : 0.0;
    return vn;
}

/* The line past the next junction, when front vehicle v (on its route
 * edge rp, or in the junction after it) reaches it within ROAD_APPROACH_M:
 * its link learns when v may arrive, as its next line's does. Joined
 * junctions leave lanes of a few metres between their lines; a vehicle
 * announced only at its next line appeared to those yielding at the line
 * after it a second before it arrived, and they (and the priority
 * vehicles they then blocked) stopped from full speed. (Announcing up to
 * four lines ahead took 6 % more off jamsil-p1's emergency braking at 1 s
 * steps and cost 8 % more of the step.) `ahead`: the distance to the
 * start of ci's exit lane. */
static void announce_beyond(RoadStepCtx *x, int32_t v, const RoadVType *t, int32_t ci, double ahead, double v0)
{
    CityRoad *road = x->road;
    const RoadVehRec *r = &road->veh.rec[v]; /* (ci is its connection) */
    const RoadConnQ *c = &road->connq[ci];
    double line = ahead + c->to_len_m; /* the exit lane's own line */
    if (line >= ROAD_APPROACH_M || r->route_pos + 2 >= r->route_n)
        return; /* (the exit lane is its last: it arrives there) */
    /* the turn it takes there: route following's pick, the one it brakes for (plan_front) */
    int32_t fc = far_conn(road, v);
    if (fc >= 0)
        road_announce(road, road->connq[fc].link, x->now_s + road_time_to_cover(line, r->speed, t->def.accel_mps2, v0));
}

/* The acceleration at most that its own turn at the end of its lane,
 * dist metres ahead, leaves a vehicle behind a leader (type t, at v_now):
 * it slows for the turn's lane as the front vehicle does (plan_front),
 * whatever its leader does, as SUMO's vehicles each brake for the speeds
 * of the lanes ahead. Slowing only once it was the front, a car that
 * changed onto Jamsil's -218855802#1_0 for its right turn behind a car
 * going straight on sped up from 17.5 to 19.6 m/s behind it, then braked
 * at 9 m/s^2 for 1 s from 22.7 m before the line when it had gone
 * (jamsil-p1 at 0.1 s, vehicle 7 at 83.5 s). INFINITY beyond the
 * horizon plan_front looks to, or with no turn there. */
static double own_turn_accel(const RoadStepCtx *x, int32_t v, const RoadVType *t, double v_now, double dist)
{
    const RoadVehRec *r = &x->road->veh.rec[v];
    if (r->conn < 0 || r->via_pos >= 0)
        return INFINITY;
    if (dist >= look_horizon(t, v_now))
        return INFINITY;
    return slower_lane_accel(x, v, t, v_now, x->road->connq[r->conn].first_lane, dist);
}

static bool plan_lane(RoadStepCtx *x, int32_t lane)
{
    bool held = false;
    CityRoad *road = x->road;
    RoadVehicles *vh = &road->veh;
    const RoadLaneQ *q = &road->lanes[lane]; /* count and length in the one line the pass reads of a lane */
    int32_t n = q->n;
    double dt = x->dt_s;
    double lane_len = q->length_m;
    /* the lane's merge requests (on most lanes there are none: then the
     * per-lane list, a line far off on a big map, is not read) */
    int32_t merge_head = q->merging ? road->merge_head[lane] : -1;
    for (int32_t i = 0; i < n; i++) {
        int32_t v = road_lane_at(road, lane, i);
        const RoadVType *t = road_vtype_of(road, v);
        double v_now = vh->rec[v].speed;
        double v0 = road_desired_speed_t(road, t, v, lane);
        double a_free = road_idm_free(t, v_now, v0);
        double vn;
        if (i > 0) {
            int32_t u = road_lane_at(road, lane, i - 1);
            double s = vh->rec[u].pos - road_vtype_of(road, u)->def.length_m - vh->rec[v].pos;
            double a = road_idm_behind_held(t, a_free, v_now, s, vh->rec[u].speed, dt);
            a = road_min2(a, merge_accel(road, merge_head, v, t, a_free, s));
            /* on the wrong lane, its lane's end is its line whatever its
             * leader does: following a leader that turned there, a car
             * came at 15.7 m/s to 10 m before the end of Jamsil's
             * 921209274#1 and stood in one step when its leader had gone
             * (jamsil-p2, 1 s) */
            a = road_min2(a, wrong_lane_end(&vh->rec[v], t, a_free, lane_len - vh->rec[v].pos));
            a = road_min2(a, own_turn_accel(x, v, t, v_now, lane_len - vh->rec[v].pos));
            vn = v_now + a * dt;
            if (vn < 0)
                vn = 0;
            /* leaders only move forward: never drive into the space they hold now */
            if (vn * dt > s)
                vn = s > 0 ? s / dt : 0.0;
        } else {
            bool crossing;
            double a_start = road_min2(a_free, merge_accel(road, merge_head, v, t, a_free, INFINITY));
            vn = plan_front(x, v, t, lane, a_start, a_free, &crossing);
            int32_t ci = vh->rec[v].conn;
            if (vh->rec[v].via_pos < 0 && ci >= 0) {
                double dist = lane_len - vh->rec[v].pos;
                /* a vehicle standing at a line it may not pass announces nothing:
                 * yielding to it would only wait for each other; nor does
                 * one that will stop at a red or yellow light, as SUMO's
                 * vehicles set no request on a link they brake for (their
                 * approach does not block its foes: MSLink::blockedAtTime
                 * skips an approach that will not pass). Announced, the
                 * cars braking for a red kept a left turn on its protected
                 * green waiting at its internal junction: on a joined light
                 * of Seoul's south-west district (6 s of it a cycle) the
                 * turns queued 635 s on average, SUMO's about 100 s */
                if (dist < ROAD_APPROACH_M &&
                    (crossing || (v_now > ROAD_HALT_MPS && !road_light_stops(road, vh->rec[v].conn, t)))) {
                    double eta = road_time_to_cover(dist, v_now, t->def.accel_mps2, v0);
                    road_announce(road, road->connq[ci].link, x->now_s + eta);
                    if (dist + road->connq[ci].via_len_m + road->connq[ci].to_len_m < ROAD_APPROACH_M)
                        announce_beyond(x, v, t, ci, dist + road->connq[ci].via_len_m, v0);
                }
                if (crossing && vh->rec[v].pos + vn * dt >= lane_len) {
                    x->cand[x->n_cand++] = v;
                    held = true;
                }
            } else if (ci >= 0 && v_now > ROAD_HALT_MPS) { /* in the junction: the lines beyond it */
                double ahead = lane_len - vh->rec[v].pos;  /* (to the exit lane: most paths cross one internal lane) */
                if (ahead + road->connq[ci].to_len_m < ROAD_APPROACH_M)
                    announce_beyond(x, v, t, ci, ahead, v0);
            }
        }
        if (vn > vh->step[v].lc_vmax_mps) { /* dropping behind a vehicle on the lane it must change to */
            double floor = v_now - road_vtype_of(road, v)->def.decel_mps2 * dt;
            vn = road_max2(road_max2(vh->step[v].lc_vmax_mps, floor), 0.0);
        }
        vh->step[v].lc_vmax_mps = INFINITY;
        vh->step[v].next_speed = vn;
        /* a front vehicle that may end the step standing at its line: movement
         * asks whether the line shows a yielding green; the answer is
         * taken here, where plan_front has just read the connection and
         * its light (movement would fetch both again). The distance test
         * holds whenever movement's does: the speed can only drop further
         * (junction admission) and 1 m covers rounding. */
        if (i == 0 && vh->rec[v].via_pos < 0 && vh->rec[v].conn >= 0 &&
            lane_len - vh->rec[v].pos < ROAD_STOP_LINE_M + 3.0 + vn * dt &&
            road_conn_shown(road, vh->rec[v].conn) == 'g')
            vh->rec[v].flags |= ROAD_VF_LINE_G;
    }
    return held;
}

/* What the speed choice reads, in stages ahead of the lane it plans (the
 * lanes are planned from the last active one down; `a` is the lane about to
 * be planned). On a map whose lanes and junctions outgrow the core's caches
 * a front vehicle near its line reads a chain of lines last read when
 * another vehicle came that way, each found only through the one before:
 * its lane's queue, its record, its connection (RoadConnQ), the lanes past
 * the line, the junction's link occupancy and approach times. Each stage
 * asks for what the next one reads:
 *   a - 8, a - 4  the lane's queue record, then its first vehicles' records
 *   a - 2         the front vehicle's connection
 *   a - 1         the lanes past its line and its junction's link state
 *                 (with ROAD_PREFETCH_DEEP_MIN_ACTIVE lanes active or more)
 * Junction admission reads the connection first thing; the lane past the
 * line was the most missed read of the speed choice on a 40x40 grid.
 * (Stages farther ahead measured no faster there.) */
static void plan_prefetch(const CityRoad *road, int32_t a, bool deep)
{
    const RoadVehicles *vh = &road->veh;
    if (a - 8 >= 0)
        road_prefetch(&road->lanes[road->active[a - 8]]);
    if (a - 4 >= 0) {
        const RoadLaneQ *q = &road->lanes[road->active[a - 4]];
        int32_t n = q->n < 4 ? q->n : 4;
        for (int32_t i = 0; i < n; i++)
            road_prefetch(&vh->rec[q->v[q->head + i]]);
    }
    if (a - 2 >= 0) {
        const RoadLaneQ *q = &road->lanes[road->active[a - 2]];
        if (q->n > 0 && vh->rec[q->v[q->head]].conn >= 0)
            road_prefetch(&road->connq[vh->rec[q->v[q->head]].conn]);
    }
    if (!deep || a - 1 < 0)
        return;
    const RoadLaneQ *q = &road->lanes[road->active[a - 1]];
    if (q->n == 0)
        return;
    const RoadVehRec *r = &vh->rec[q->v[q->head]];
    if (r->conn < 0 || q->length_m - r->pos > ROAD_APPROACH_M)
        return; /* not near enough to its line to ask for the junction */
    const RoadConnQ *c = &road->connq[r->conn];
    road_prefetch(&road->lanes[c->to_lane]);
    if (r->via_pos < 0) {
        road_prefetch(&road->lanes[c->first_lane]);
        if (c->link >= 0) {
            road_prefetch(&road->link_held[c->link_base]);
            road_prefetch(&road->link_eta_prev[c->link_base]);
            road_prefetch(&road->link_eta[c->link]);
        }
    }
}

static void reverse(int32_t *a, int32_t n)
{
    for (int32_t i = 0, j = n - 1; i < j; i++, j--) {
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* The speed choice and movement, lane by lane: each lane's vehicles pick
 * their speeds (plan_lane) and those that need no junction admission move
 * at once (road_move_vehicles), while the lane's lines are at hand. On a
 * city whose vehicles and lanes outgrow the core's caches, a pass of its
 * own for movement read every vehicle's record and every lane's queue from
 * memory a second time in each step. The speed choice reads the state at
 * the start of the step: a lane's own vehicles are planned before any of
 * them moves, the last vehicle of a lane that has moved is read as it was
 * (road_tail_start), and the links its vehicles give back are given back
 * after admission. The fronts that will cross a stop line (x->cand) wait
 * for admission (road_grant_junctions) and move after it (road_move_held).
 * The result is the one of planning every lane, admitting, then moving.
 *
 * The lanes are taken from the last active one to the first: each lane's
 * plan reads only the state at the start of the step and writes its own
 * vehicles' speeds (approach times are minima, and the junction
 * candidates are put in a fixed order before they are granted), so the
 * order changes nothing but which memory is at hand and the order of
 * float sums (edge figures, the mean speed). The lane-change scan before
 * it walks the list forwards: a pass that starts where the last one ended
 * finds that pass's most recent lines still in the cache, where one that
 * starts at the same end finds them all evicted. */
CityStatus road_plan_and_move(RoadStepCtx *x)
{
    CityRoad *road = x->road;
    x->n_cand = x->n_held = x->n_past_late = x->n_recheck = 0;
    x->defer_release = true;
    road->seen_mark = road->seen_mark == 1 ? 2 : 1;
    road->seen_read = road->seen_mark;
    RoadTail *tail_start = road->tail_start;
    bool hint = road->n_active >= ROAD_PREFETCH_MIN_ACTIVE;
    bool deep = road->n_active >= ROAD_PREFETCH_DEEP_MIN_ACTIVE;
    int64_t sum_speed_q = 0;
    uint64_t moved = 0;
    for (int32_t a = road->n_active - 1; a >= 0; a--) {
        if (hint)
            plan_prefetch(road, a, deep);
        int32_t lane = road->active[a];
        int32_t first = plan_lane(x, lane) ? 1 : 0;
        if (first)
            road->held[x->n_held++] = a;
        RoadLaneQ *q = &road->lanes[lane];
        int32_t n = q->n;
        if (n == 0) /* emptied since it was listed (a lane change, a teleport) */
            road->recheck[x->n_recheck++] = a;
        /* its last vehicle moves now: the lanes behind read what it was */
        q->seen = n > first ? road->seen_mark : 0; /* (0: a mark from two steps ago is no longer trusted) */
        q->walk_at = a;
        CityStatus st;
        if (road_move_vehicles(x, a, first, n, &sum_speed_q, &tail_start[a], &st))
            road->active_tmp[road->n_active - 1 - x->n_past_late++] = a; /* the lanes come from the last one down */
        if (st != CITY_OK)
            return st;
        moved += (uint64_t)(n - first);
    }
    x->moved = moved;
    x->sum_speed_q = sum_speed_q;
    /* the candidates and their lanes in the lanes' order: junction
     * admission sorts them by insertion, which is quick on the nearly
     * sorted order the lanes give and quadratic on its reverse (a fifth of
     * the step's instructions at 1 s on a 40x40 grid) */
    reverse(x->cand, x->n_cand);
    reverse(road->held, x->n_held);
    return CITY_OK;
}
