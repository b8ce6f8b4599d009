/* One traffic step. Reads state(t), writes state(t+dt), in phases:
 *   1. lights advance on what detectors saw in the previous step;
 *   2. lane changes (MOBIL + strategic), evaluated once a second per vehicle;
 *   3. every vehicle picks its speed (IDM against its leader, the next
 *      lanes of its path, stop lines it may not pass, speed limits ahead);
 *   4. vehicles about to cross a stop line are granted the junction in a
 *      fixed order, so two vehicles on crossing paths never enter together;
 *   5. everyone moves (Euler update, like SUMO), crosses lane ends, arrives;
 *   6. detectors and lane counts are updated, waiting vehicles inserted.
 * Junction rules: a link may be entered when its signal or sign allows it,
 * no crossing (foe) link is occupied, and, for a yielding link, no vehicle
 * with priority (response bits) is due before we would have cleared. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "road_internal.h"

#define ROAD_HALT_MPS 0.1        /* below this a vehicle is standing (SUMO's halting threshold) */
#define ROAD_YIELD_MARGIN_S 1.0  /* safety time a yielding vehicle leaves a priority one */
#define ROAD_APPROACH_M 150.0    /* vehicles closer than this to a junction announce themselves */
#define ROAD_IMPATIENCE_S 20.0   /* after waiting this long a yielding vehicle ignores standing foes */
#define ROAD_STOP_LINE_M 1.0     /* vehicles stop this far before a line they may not pass */
#define ROAD_TAIL_RELEASE_S 60.0 /* see move_all */
#define ROAD_MISSED_TURN_S 30.0  /* standing this long on the wrong lane, a driver gives up the turn */

typedef struct StepCtx {
    CityRoad *road;
    const CityRoadNet *net;
    double now_s, dt_s;
    int32_t *cand; /* vehicles wanting to cross a stop line this step */
    int32_t n_cand;
} StepCtx;

/* fmin/fmax without NaN handling: inlined (libm's are calls under -fno-fast-math) */
static inline double min2(double a, double b)
{
    return a < b ? a : b;
}
static inline double max2(double a, double b)
{
    return a > b ? a : b;
}

static inline const RoadVType *vtype_of(const CityRoad *road, int32_t v)
{
    return &road->vtypes[road->veh.vtype[v]];
}

/* IDM acceleration of a vehicle at speed v with desired speed v0 behind an
 * obstacle at gap s moving at speed vl (s = INFINITY: free road). */
static inline double idm_accel(const RoadVType *t, double v, double v0, double s, double vl)
{
    double r = v0 > 0.01 ? v / v0 : 2.0;
    double free_term = t->def.delta == 4.0 ? r * r * r * r : pow(r, t->def.delta);
    double a = t->def.accel_mps2 * (1.0 - free_term);
    if (isfinite(s)) {
        double s_star = t->def.min_gap_m + max2(0.0, v * t->def.tau_s + v * (v - vl) / t->sqrt_ab);
        double ss = s > 0.01 ? s : 0.01;
        double q = s_star / ss;
        a -= t->def.accel_mps2 * q * q;
    }
    return a;
}

/* Time to drive d metres from speed v with acceleration a up to vmax. */
static double time_to_cover(double d, double v, double a, double vmax)
{
    if (d <= 0)
        return 0.0;
    if (vmax < 0.1)
        vmax = 0.1;
    if (v >= vmax)
        return d / vmax;
    double t_acc = (vmax - v) / a;
    double d_acc = v * t_acc + 0.5 * a * t_acc * t_acc;
    if (d_acc >= d)
        return (-v + sqrt(v * v + 2.0 * a * d)) / a;
    return t_acc + (d - d_acc) / vmax;
}

static double via_length(const CityRoadNet *net, const CityConnection *c)
{
    double len = 0.0;
    for (int32_t k = 0; k < c->via_count; k++)
        len += net->lanes[net->via[c->via_first + k]].length_m;
    return len;
}

static char link_state(const CityRoad *road, const CityConnection *c)
{
    if (c->tls >= 0 && c->tls_link >= 0)
        return road_signals_state(road->signals, c->tls)[c->tls_link];
    return c->state;
}

/* Keep the junction clear: enter only when the exit lane has room for us
 * behind its last vehicle (or that vehicle is moving off), counting the
 * vehicles already inside on our path. */
static bool exit_has_room_at(const CityRoad *road, int32_t v, const CityConnection *c, int32_t rp, int depth);

static bool exit_has_room(const CityRoad *road, int32_t v, const CityConnection *c)
{
    return exit_has_room_at(road, v, c, road->veh.route_pos[v], 0);
}

/* An exit lane shorter than the vehicle (joined junctions leave lanes of a
 * few decimetres) only helps if the vehicle can go on through the next
 * junction at once: otherwise it would stand with its tail in this one. */
static bool short_exit_passable(const CityRoad *road, int32_t v, const CityConnection *c, int32_t rp, int depth)
{
    if (depth >= 3)
        return false;
    int32_t next = road_plan_conn_at(road, v, c->to_lane, rp + 1);
    if (next < 0)
        return true; /* it arrives on this lane */
    const CityRoadNet *net = road->net;
    const CityConnection *c2 = &net->conns[next];
    char st = link_state(road, c2);
    if (st == 'r' || st == 'u' || st == 'y' || st == 'Y' || road->lane_closed[c2->to_lane])
        return false;
    /* nobody is crossing the next junction on a conflicting path right now */
    if (c2->link >= 0) {
        const CityLink *lk = &net->links[c2->link];
        int32_t base = net->junctions[lk->junction].link_first;
        const uint64_t *foes = city_road_link_foes(net, c2->link);
        for (int32_t w = 0; w < lk->mask_words; w++)
            for (uint64_t m = foes[w]; m; m &= m - 1) {
                int32_t j = base + w * 64 + __builtin_ctzll(m);
                if (road->link_occupied[j] > 0 && j != c2->link)
                    return false;
            }
    }
    return exit_has_room_at(road, v, c2, rp + 1, depth + 1);
}

static bool exit_has_room_at(const CityRoad *road, int32_t v, const CityConnection *c, int32_t rp, int depth)
{
    const CityRoadNet *net = road->net;
    const RoadVehicles *vh = &road->veh;
    const RoadVType *t = vtype_of(road, v);
    double need = t->def.length_m + t->def.min_gap_m;
    for (int32_t k = 0; k < c->via_count; k++) {
        int32_t l = net->via[c->via_first + k];
        for (int32_t i = 0; i < road_lane_count(road, l); i++) {
            const RoadVType *tu = vtype_of(road, road_lane_at(road, l, i));
            need += tu->def.length_m + tu->def.min_gap_m;
        }
    }
    int32_t n = road_lane_count(road, c->to_lane);
    if (net->lanes[c->to_lane].length_m < need && road->routes[vh->route[v]].count > rp + 2)
        return n == 0 && short_exit_passable(road, v, c, rp, depth);
    if (n == 0)
        return true;
    int32_t u = road_lane_at(road, c->to_lane, n - 1);
    return vh->pos[u] - vtype_of(road, u)->def.length_m >= need || vh->speed[u] > 2.0;
}

/* May vehicle v, dist metres before the stop line, enter connection ci now? */
static bool link_allowed(const StepCtx *x, int32_t v, int32_t ci, double dist)
{
    const CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    const CityConnection *c = &net->conns[ci];
    const RoadVehicles *vh = &road->veh;
    const RoadVType *t = vtype_of(road, v);
    if (road->lane_closed[c->to_lane] || !exit_has_room(road, v, c))
        return false;
    bool minor;
    double v_now = vh->speed[v];
    bool pulled_in = (vh->flags[v] & ROAD_VF_PULLED_IN) != 0;
    char state = link_state(road, c);
    /* an emergency vehicle on duty treats red and yellow as a give-way
     * sign: it crosses when no vehicle on any crossing path is due */
    bool yield_all = false;
    if (t->def.vclass == CITY_VC_EMERGENCY && (state == 'r' || state == 'u' || state == 'y' || state == 'Y')) {
        state = 'm';
        yield_all = true;
    }
    switch (state) {
    case 'r':
    case 'u':
        if (!pulled_in)
            return false;
        minor = false; /* in the junction already: clear it */
        break;
    case 'y':
    case 'Y':
        /* stop if we comfortably can, otherwise clear the junction */
        if (!pulled_in && v_now * v_now / (2.0 * t->def.decel_mps2) <= dist)
            return false;
        minor = false;
        break;
    case 's':
    case 'w':
        if (!(vh->flags[v] & ROAD_VF_STOPPED_AT_LINE))
            return false;
        minor = true;
        break;
    case 'g':
    case 'm':
    case '=':
    case 'o':
    case 'Z':
        minor = true;
        break;
    default: /* 'G', 'O', 'M', '-' */
        minor = false;
        break;
    }
    if (c->link < 0)
        return true;
    const CityLink *lk = &net->links[c->link];
    int32_t base = net->junctions[lk->junction].link_first;
    const uint64_t *foes = city_road_link_foes(net, c->link);
    for (int32_t w = 0; w < lk->mask_words; w++)
        for (uint64_t m = foes[w]; m; m &= m - 1) {
            int32_t j = base + w * 64 + __builtin_ctzll(m);
            if (road->link_occupied[j] > 0 && j != c->link)
                return false;
        }
    if (!minor)
        return true;
    double vmax = road_desired_speed(road, v, c->via_count > 0 ? net->via[c->via_first] : c->to_lane);
    double t_clear = time_to_cover(dist + via_length(net, c) + t->def.length_m, v_now, t->def.accel_mps2, vmax);
    double limit = x->now_s + t_clear + ROAD_YIELD_MARGIN_S;
    bool impatient = vh->halt_s[v] > ROAD_IMPATIENCE_S;
    const uint64_t *resp = yield_all ? foes : city_road_link_response(net, c->link);
    for (int32_t w = 0; w < lk->mask_words; w++)
        for (uint64_t m = resp[w]; m; m &= m - 1) {
            int32_t j = base + w * 64 + __builtin_ctzll(m);
            double eta = road->link_eta_prev[j];
            if (eta < limit && !(impatient && eta < x->now_s - 0.5))
                return false;
        }
    return true;
}

static void announce(CityRoad *road, int32_t link, double eta_s)
{
    if (link < 0)
        return;
    if (road->link_eta[link] == INFINITY) {
        if (road->n_touched == road->cap_touched) {
            int32_t cap = road->cap_touched ? road->cap_touched * 2 : 256;
            int32_t *p = realloc(road->link_touched, (size_t)cap * sizeof *p);
            if (!p)
                return; /* an unannounced approach only makes yielding vehicles bolder for one step */
            road->link_touched = p;
            road->cap_touched = cap;
        }
        road->link_touched[road->n_touched++] = link;
    }
    if (eta_s < road->link_eta[link])
        road->link_eta[link] = eta_s;
}

/* ---- speed choice ------------------------------------------------------- */

/* Opening a gap for a vehicle that asked to merge in ahead (closer than the
 * leader at gap `s_leader`), when that takes no more than comfortable braking. */
static double merge_accel(const CityRoad *road, int32_t lane, int32_t v, const RoadVType *t, double v0, double s_leader)
{
    double a = INFINITY;
    for (int32_t k = road->merge_head[lane]; k >= 0; k = road->merges[k].next) {
        const RoadMerge *m = &road->merges[k];
        double s = m->back_m - road->veh.pos[v];
        if (s <= 0.5 || s >= s_leader)
            continue;
        double vv = road->veh.speed[v];
        if (vv * vv / (2.0 * s) > t->def.decel_mps2)
            continue; /* too close to stop for it: let it wait for the next one */
        a = min2(a, idm_accel(t, vv, v0, s, m->speed_mps));
    }
    return a;
}

/* Speed for the front vehicle of a lane: looks along its path for the next
 * vehicle, stop lines it may not pass and slower lanes ahead. */
static double plan_front(StepCtx *x, int32_t v, double a_free, double v0, bool *crossing)
{
    CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    const RoadVehicles *vh = &road->veh;
    const RoadVType *t = vtype_of(road, v);
    double v_now = vh->speed[v];
    int32_t lane = vh->lane[v];
    double dist = net->lanes[lane].length_m - vh->pos[v];
    double horizon = v_now * v_now / (2.0 * t->def.decel_mps2) + v_now * t->def.tau_s + 2.0 * t->def.min_gap_m + 20.0;
    double a = a_free;
    double cap_disp = INFINITY; /* never pass a second stop line in one step */
    int32_t ci = vh->conn[v];
    int32_t k = vh->via_pos[v]; /* -1: on the normal lane before the junction */
    int route_n = road->routes[vh->route[v]].count;
    bool last_edge = vh->route_pos[v] + 1 >= route_n;
    *crossing = false;
    for (int seg = 0; seg < 4; seg++) {
        int32_t next;
        if (k == -1) {
            if (ci < 0) {
                if (!last_edge && !(vh->flags[v] & ROAD_VF_ABORT)) /* wrong lane: wait at the lane end for a gap */
                    a = min2(a, idm_accel(t, v_now, v0, dist - ROAD_STOP_LINE_M + t->def.min_gap_m, 0.0));
                break;
            }
            if (dist < horizon || dist < v_now * x->dt_s + 1.0) {
                if (!link_allowed(x, v, ci, dist)) {
                    a = min2(a, idm_accel(t, v_now, v0, dist - ROAD_STOP_LINE_M + t->def.min_gap_m, 0.0));
                    break;
                }
                *crossing = true;
            } else {
                break; /* junction beyond the horizon */
            }
            const CityConnection *c = &net->conns[ci];
            next = c->via_count > 0 ? net->via[c->via_first] : c->to_lane;
            k = c->via_count > 0 ? 0 : -2;
        } else if (k >= 0) {
            const CityConnection *c = &net->conns[ci];
            if (k + 1 < c->via_count) {
                next = net->via[c->via_first + k + 1];
                k++;
            } else {
                next = c->to_lane;
                k = -2;
            }
        } else {
            /* k == -2: we are looking along the lane after the junction; its end is the next line */
            cap_disp = dist;
            break;
        }
        int32_t n = road_lane_count(road, next);
        /* slower lane ahead (a turn): be at its speed when we reach it */
        double v_next = road_desired_speed(road, v, next);
        if (v_next < v_now) {
            double d = dist > 0.1 ? dist : 0.1;
            double need = (v_now * v_now - v_next * v_next) / (2.0 * d);
            a = min2(a, max2(-need, -2.0 * t->def.decel_mps2));
        }
        if (n > 0) {
            int32_t u = road_lane_at(road, next, n - 1);
            double s = dist + vh->pos[u] - vtype_of(road, u)->def.length_m;
            a = min2(a, idm_accel(t, v_now, v0, s, vh->speed[u]));
            double room = s - 0.01;
            if (room < cap_disp)
                cap_disp = room;
            break;
        }
        dist += net->lanes[next].length_m;
        if (dist > horizon && k == -2)
            break;
        if (k == -2 && vh->route_pos[v] + 2 >= route_n)
            break; /* the lane after the junction is the last one: we arrive at its end */
    }
    double vn = v_now + a * x->dt_s;
    if (vn < 0)
        vn = 0;
    if (vn * x->dt_s > cap_disp)
        vn = cap_disp > 0 ? cap_disp / x->dt_s : 0.0;
    return vn;
}

static void plan_lane(StepCtx *x, int32_t lane)
{
    CityRoad *road = x->road;
    RoadVehicles *vh = &road->veh;
    int32_t n = road_lane_count(road, lane);
    double dt = x->dt_s;
    double lane_len = x->net->lanes[lane].length_m;
    for (int32_t i = 0; i < n; i++) {
        int32_t v = road_lane_at(road, lane, i);
        const RoadVType *t = vtype_of(road, v);
        double v_now = vh->speed[v];
        double v0 = road_desired_speed(road, v, lane);
        double vn;
        if (i > 0) {
            int32_t u = road_lane_at(road, lane, i - 1);
            double s = vh->pos[u] - vtype_of(road, u)->def.length_m - vh->pos[v];
            double a = idm_accel(t, v_now, v0, s, vh->speed[u]);
            a = min2(a, merge_accel(road, lane, v, t, v0, s));
            vn = v_now + a * dt;
            if (vn < 0)
                vn = 0;
            /* leaders only move forward: never drive into the space they hold now */
            if (vn * dt > s)
                vn = s > 0 ? s / dt : 0.0;
        } else {
            bool crossing;
            double a_free = min2(idm_accel(t, v_now, v0, INFINITY, 0.0), merge_accel(road, lane, v, t, v0, INFINITY));
            vn = plan_front(x, v, a_free, v0, &crossing);
            int32_t ci = vh->conn[v];
            if (vh->via_pos[v] < 0 && ci >= 0) {
                double dist = lane_len - vh->pos[v];
                /* a vehicle standing at a line it may not pass announces nothing:
                 * yielding to it would only wait for each other */
                if (dist < ROAD_APPROACH_M && (crossing || v_now > ROAD_HALT_MPS)) {
                    double eta = time_to_cover(dist, v_now, t->def.accel_mps2, v0);
                    announce(road, x->net->conns[ci].link, x->now_s + eta);
                }
                if (crossing && vh->pos[v] + vn * dt >= lane_len)
                    x->cand[x->n_cand++] = v;
            }
        }
        vh->next_speed[v] = vn;
    }
}

/* ---- junction grants ---------------------------------------------------- */

static void grant_junctions(StepCtx *x)
{
    CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    RoadVehicles *vh = &road->veh;
    /* fixed order: by link (then vehicle index) */
    for (int32_t i = 1; i < x->n_cand; i++) {
        int32_t v = x->cand[i], j = i;
        int32_t lv = net->conns[vh->conn[v]].link;
        while (j > 0) {
            int32_t u = x->cand[j - 1];
            int32_t lu = net->conns[vh->conn[u]].link;
            if (lu < lv || (lu == lv && u < v))
                break;
            x->cand[j] = u;
            j--;
        }
        x->cand[j] = v;
    }
    for (int32_t i = 0; i < x->n_cand; i++) {
        int32_t v = x->cand[i];
        int32_t ci = vh->conn[v];
        const CityConnection *c = &net->conns[ci];
        double dist = net->lanes[vh->lane[v]].length_m - vh->pos[v];
        if (!link_allowed(x, v, ci, dist)) {
            /* a vehicle granted just before us took a crossing path: stop at the line */
            double vn = (dist - 0.01) / x->dt_s;
            vh->next_speed[v] = vn > 0 ? vn : 0.0;
            if (vh->speed[v] - vh->next_speed[v] > vtype_of(road, v)->def.emergency_decel_mps2 * x->dt_s)
                road->emergency_brakes++;
            continue;
        }
        if (vh->occ_link[v] >= 0)
            road->link_occupied[vh->occ_link[v]]--;
        vh->occ_link[v] = c->link;
        if (c->link >= 0) {
            road->link_occupied[c->link]++;
            vh->occ_left_m[v] = dist + via_length(net, c) + vtype_of(road, v)->def.length_m;
        }
    }
}

/* ---- lane changes ------------------------------------------------------- */

/* Leader and follower of position pos on a lane (-1 when none). */
static void neighbours(const CityRoad *road, int32_t lane, double pos, int32_t *lead, int32_t *follow)
{
    int32_t n = road_lane_count(road, lane);
    int32_t lo = 0, hi = n; /* first index whose pos <= pos */
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (road->veh.pos[road_lane_at(road, lane, mid)] > pos)
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
    const RoadVType *t = vtype_of(road, v);
    double v0 = road_desired_speed(road, v, lane);
    if (lead < 0)
        return idm_accel(t, vh->speed[v], v0, INFINITY, 0.0);
    double s = vh->pos[lead] - vtype_of(road, lead)->def.length_m - pos_v;
    return idm_accel(t, vh->speed[v], v0, s, vh->speed[lead]);
}

/* MOBIL (Kesting, Treiber, Helbing 2007) with a strategic urge: returns the
 * gain of moving v to `target`, or -INFINITY when unsafe. */
static double lane_change_gain(const CityRoad *road, int32_t v, int32_t cur, int32_t target, bool urgent)
{
    const RoadVehicles *vh = &road->veh;
    const RoadVType *t = vtype_of(road, v);
    double pos = vh->pos[v], len = t->def.length_m;
    int32_t nl, nf;
    neighbours(road, target, pos, &nl, &nf);
    if (nl >= 0 && vh->pos[nl] - vtype_of(road, nl)->def.length_m - pos < (urgent ? 0.5 : t->def.min_gap_m * 0.5))
        return -INFINITY;
    if (nf >= 0 && pos - len - vh->pos[nf] < (urgent ? 0.5 : vtype_of(road, nf)->def.min_gap_m * 0.5))
        return -INFINITY;
    double b_safe = urgent ? vtype_of(road, v)->def.decel_mps2 * 1.5 : vtype_of(road, v)->def.decel_mps2;
    double an_new = 0.0, an_old = 0.0;
    if (nf >= 0) {
        const RoadVType *tf = vtype_of(road, nf);
        double s = pos - len - vh->pos[nf];
        an_new = idm_accel(tf, vh->speed[nf], road_desired_speed(road, nf, target), s, vh->speed[v]);
        if (an_new < -b_safe)
            return -INFINITY;
        an_old = accel_behind(road, nf, nl, vh->pos[nf], target);
    }
    if (urgent)
        return INFINITY;
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
        ao_gain = accel_behind(road, of, ol, vh->pos[of], cur) - accel_behind(road, of, v, vh->pos[of], cur);
    return ac_new - ac_old + t->def.lc_politeness * ((an_new - an_old) + ao_gain) - t->def.lc_threshold_mps2;
}

/* A vehicle that stood at the end of the wrong lane too long gives up its
 * turn, takes a movement its lane allows (straight first) and reroutes
 * from there, as drivers do. */
static void miss_turn(CityRoad *road, int32_t v, int32_t lane)
{
    const CityRoadNet *net = road->net;
    RoadVehicles *vh = &road->veh;
    const RoadRoute *r = &road->routes[vh->route[v]];
    int32_t dest = road->route_edges[r->first + r->count - 1];
    uint32_t vclass = vtype_of(road, v)->def.vclass;
    const CityLane *ln = &net->lanes[lane];
    int32_t need = net->n_edges + 2;
    if (road->cap_route_buf < need) {
        int32_t *b = realloc(road->route_buf, (size_t)need * sizeof *b);
        if (!b)
            return;
        road->route_buf = b;
        road->cap_route_buf = need;
    }
    for (int pass = 0; pass < 2; pass++)
        for (int32_t k = 0; k < ln->out_count; k++) {
            const CityConnection *c = &net->conns[ln->out_first + k];
            if ((pass == 0) != (c->dir == 's') || !(net->lanes[c->to_lane].allow & vclass) ||
                road->lane_closed[c->to_lane])
                continue;
            int32_t next = net->lanes[c->to_lane].edge;
            road->route_buf[0] = ln->edge;
            int32_t got = road_router_route(road->router, next, dest, vclass, road->edge_tt_s, road->route_buf + 1,
                                            road->cap_route_buf - 1);
            if (got < 1)
                continue;
            int32_t nr = road_route_store(road, NULL, road->route_buf, got + 1);
            if (nr < 0)
                return;
            vh->route[v] = nr;
            vh->route_pos[v] = 0;
            vh->conn[v] = road_plan_conn(road, v, lane);
            road->missed_turns++;
            return;
        }
    /* nowhere to go from here: the trip ends on this lane, reported (never a silent teleport) */
    vh->flags[v] |= ROAD_VF_ABORT;
    city_world_log(road->world, "warning", "vehicle %s cannot reach %s from lane %s; trip aborted", vh->name[v],
                   net->edges[dest].id, ln->id);
}

static void add_merge(CityRoad *road, int32_t lane, int32_t v)
{
    if (road->n_merges == road->cap_merges) {
        int32_t cap = road->cap_merges ? road->cap_merges * 2 : 64;
        RoadMerge *m = realloc(road->merges, (size_t)cap * sizeof *m);
        if (!m)
            return; /* without the request the vehicle only waits longer */
        road->merges = m;
        road->cap_merges = cap;
    }
    RoadMerge *m = &road->merges[road->n_merges];
    m->lane = lane;
    m->back_m = road->veh.pos[v] - vtype_of(road, v)->def.length_m;
    m->speed_mps = road->veh.speed[v];
    m->next = road->merge_head[lane];
    road->merge_head[lane] = road->n_merges++;
}

static void change_lanes(StepCtx *x, int32_t period)
{
    CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    RoadVehicles *vh = &road->veh;
    /* last step's merge requests expire */
    for (int32_t k = 0; k < road->n_merges; k++)
        road->merge_head[road->merges[k].lane] = -1;
    road->n_merges = 0;
    /* collect first: changes reorder lane queues */
    int32_t m = 0;
    for (int32_t a = 0; a < road->n_active; a++) {
        int32_t lane = road->active[a];
        if (net->edges[net->lanes[lane].edge].internal)
            continue;
        int32_t n = road_lane_count(road, lane);
        for (int32_t i = 0; i < n; i++) {
            int32_t v = road_lane_at(road, lane, i);
            /* a vehicle on the wrong lane for its turn tries every step */
            bool wrong = vh->conn[v] < 0 && vh->route_pos[v] + 1 < road->routes[vh->route[v]].count;
            if (--vh->lc_wait[v] > 0 && !wrong)
                continue;
            vh->lc_wait[v] = period;
            x->cand[m++] = v;
        }
    }
    for (int32_t i = 0; i < m; i++) {
        int32_t v = x->cand[i];
        int32_t lane = vh->lane[v];
        const CityLane *ln = &net->lanes[lane];
        const CityEdge *e = &net->edges[ln->edge];
        bool wrong = vh->conn[v] < 0 && vh->route_pos[v] + 1 < road->routes[vh->route[v]].count;
        if (wrong && vh->halt_s[v] > ROAD_MISSED_TURN_S && ln->length_m - vh->pos[v] < ROAD_STOP_LINE_M + 3.0) {
            miss_turn(road, v, lane);
            continue;
        }
        if (e->lane_count < 2 || vh->pos[v] < vtype_of(road, v)->def.length_m)
            continue; /* nowhere to change to, or still entering the lane */
        int32_t lo, hi;
        if (!road_good_lanes(road, v, ln->edge, &lo, &hi))
            continue;
        uint32_t vclass = vtype_of(road, v)->def.vclass;
        int32_t best = -1;
        double best_gain = 0.0;
        int32_t idx = ln->index;
        /* MOBIL's own gain can only be positive for a vehicle its leader
         * holds back: an unhindered one makes no discretionary change
         * (it forgoes changes made only to let followers pass) */
        /* (its last acceleration tells: what its leader and the road ahead allowed) */
        bool unhindered =
            vh->accel[v] > accel_behind(road, v, -1, vh->pos[v], lane) - vtype_of(road, v)->def.lc_threshold_mps2;
        for (int d = -1; d <= 1; d += 2) {
            int32_t ti = idx + d;
            if (ti < 0 || ti >= e->lane_count)
                continue;
            int32_t target = e->lane_first + ti;
            if (!(net->lanes[target].allow & vclass) || road->lane_closed[target])
                continue;
            bool urgent = wrong && ((idx < lo && d > 0) || (idx > hi && d < 0));
            if (!urgent && (ti < lo || ti > hi))
                continue; /* a discretionary change must keep the turn reachable */
            if (!urgent && unhindered)
                continue;
            double gain = lane_change_gain(road, v, lane, target, urgent);
            if (gain > best_gain) {
                best_gain = gain;
                best = target;
            }
        }
        if (best < 0) {
            if (wrong) { /* ask the target lane to open a gap */
                int32_t ti = idx < lo ? idx + 1 : idx - 1;
                if (ti >= 0 && ti < e->lane_count)
                    add_merge(road, e->lane_first + ti, v);
            }
            continue;
        }
        road_lane_remove(road, lane, v);
        vh->lane[v] = best;
        road_lane_insert_sorted(road, best, v);
        vh->conn[v] = road_plan_conn(road, v, best);
    }
}

/* ---- moving ------------------------------------------------------------- */

/* Moves v from the end of its lane onto the next one (or arrives). */
static CityStatus cross_lane_end(StepCtx *x, int32_t v, bool *arrived)
{
    CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    RoadVehicles *vh = &road->veh;
    int32_t lane = vh->lane[v];
    double len = net->lanes[lane].length_m;
    *arrived = false;
    int32_t k = vh->via_pos[v];
    int32_t ci = vh->conn[v];
    int32_t next;
    if (k < 0 && (vh->flags[v] & ROAD_VF_ABORT)) {
        road_lane_pop_front(road, lane);
        *arrived = true;
        return road_abort(road, v);
    }
    if (k < 0) {
        bool last = vh->route_pos[v] + 1 >= road->routes[vh->route[v]].count;
        if (last || ci < 0 || (net->conns[ci].link >= 0 && vh->occ_link[v] != net->conns[ci].link)) {
            if (last) {
                road_lane_pop_front(road, lane);
                *arrived = true;
                return road_arrive(road, v, x->now_s + x->dt_s);
            }
            /* not granted (cannot happen with a consistent plan): hold at the line */
            vh->pos[v] = len - 0.01;
            vh->next_speed[v] = 0.0;
            return CITY_OK;
        }
        const CityConnection *c = &net->conns[ci];
        int32_t e = net->lanes[lane].edge;
        road->edge_stats[e].left++;
        double tt = x->now_s + x->dt_s - vh->edge_enter_s[v];
        road->edge_stats[e].travel_s += tt;
        road->edge_tt_s[e] = 0.8 * road->edge_tt_s[e] + 0.2 * tt;
        next = c->via_count > 0 ? net->via[c->via_first] : c->to_lane;
        vh->via_pos[v] = c->via_count > 0 ? 0 : -1;
    } else {
        const CityConnection *c = &net->conns[ci];
        if (k + 1 < c->via_count) {
            next = net->via[c->via_first + k + 1];
            vh->via_pos[v] = (int8_t)(k + 1);
        } else {
            next = c->to_lane;
            vh->via_pos[v] = -1;
        }
    }
    road_lane_pop_front(road, lane);
    vh->pos[v] -= len;
    vh->lane[v] = next;
    if (vh->via_pos[v] < 0) { /* onto the next edge of the route */
        vh->route_pos[v]++;
        vh->flags[v] &= (uint8_t) ~(ROAD_VF_STOPPED_AT_LINE | ROAD_VF_PULLED_IN);
        vh->edge_enter_s[v] = x->now_s + x->dt_s;
        road->edge_stats[net->lanes[next].edge].entered++;
        vh->conn[v] = road_plan_conn(road, v, next);
    }
    return road_lane_insert_sorted(road, next, v);
}

/* Moves the vehicles past the end of a lane onto their next lanes; a
 * vehicle that also overshoots a short next lane is moved on again. */
static CityStatus settle(StepCtx *x, int32_t lane)
{
    RoadVehicles *vh = &x->road->veh;
    while (road_lane_count(x->road, lane) > 0) {
        int32_t v = road_lane_at(x->road, lane, 0);
        if (vh->pos[v] < x->net->lanes[lane].length_m)
            break;
        bool arrived;
        CityStatus st = cross_lane_end(x, v, &arrived);
        if (st != CITY_OK)
            return st;
        if (!arrived && vh->lane[v] != lane) {
            st = settle(x, vh->lane[v]);
            if (st != CITY_OK)
                return st;
        }
    }
    return CITY_OK;
}

static CityStatus move_all(StepCtx *x)
{
    CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    RoadVehicles *vh = &road->veh;
    double dt = x->dt_s;
    double det = road->opt.detector_offset_m;
    double sum_speed = 0.0;
    uint64_t moved = 0;
    for (int32_t a = 0; a < road->n_active; a++) {
        int32_t lane = road->active[a];
        int32_t n = road_lane_count(road, lane);
        const CityLane *ln = &net->lanes[lane];
        double det_pos = ln->length_m - det;
        RoadEdgeStats *es = &road->edge_stats[ln->edge];
        for (int32_t i = 0; i < n; i++) {
            int32_t v = road_lane_at(road, lane, i);
            double vn = vh->next_speed[v];
            double disp = vn * dt;
            double old = vh->pos[v];
            vh->accel[v] = (float)((vn - vh->speed[v]) / dt);
            vh->speed[v] = vn;
            vh->pos[v] = old + disp;
            vh->dist_m[v] += disp;
            double v0 = road_desired_speed(road, v, lane);
            if (v0 > 0.01 && vn < v0)
                vh->time_loss_s[v] += dt * (1.0 - vn / v0);
            if (vn < ROAD_HALT_MPS) {
                if (!(vh->flags[v] & ROAD_VF_HALTING)) {
                    vh->flags[v] |= ROAD_VF_HALTING;
                    vh->stops[v]++;
                }
                vh->halt_s[v] += dt;
                vh->wait_s[v] += dt;
                if (ln->length_m - vh->pos[v] < ROAD_STOP_LINE_M + 2.0 && i == 0 && vh->via_pos[v] < 0) {
                    vh->flags[v] |= ROAD_VF_STOPPED_AT_LINE;
                    if (vh->conn[v] >= 0 && link_state(road, &net->conns[vh->conn[v]]) == 'g')
                        vh->flags[v] |= ROAD_VF_PULLED_IN;
                }
                if (vh->halt_s[v] > road->opt.gridlock_time_s && !(vh->flags[v] & ROAD_VF_GRIDLOCK)) {
                    vh->flags[v] |= ROAD_VF_GRIDLOCK;
                    road->stats.gridlock_warnings++;
                    city_world_log(road->world, "warning", "vehicle %s has stood %.0f s on lane %s (gridlock?)",
                                   vh->name[v], vh->halt_s[v], ln->id);
                }
            } else {
                vh->flags[v] &= (uint8_t)~ROAD_VF_HALTING;
                vh->halt_s[v] = 0.0;
            }
            if (vh->energy_kwh[v] > 0.0) {
                double e = vh->energy_kwh[v] - vtype_of(road, v)->def.consumption_kwh_per_km * disp / 1000.0;
                vh->energy_kwh[v] = e > 0 ? e : 0.0;
            }
            if (vh->occ_link[v] >= 0) {
                vh->occ_left_m[v] -= disp;
                /* a vehicle standing past the junction with its tail still in it
                 * (exit lanes of a few decimetres in joined junctions) gives the
                 * junction back after a while, or queues around a block of such
                 * lanes could wait for each other for ever */
                if (vh->occ_left_m[v] <= 0 || (vh->via_pos[v] < 0 && vh->halt_s[v] > ROAD_TAIL_RELEASE_S)) {
                    road->link_occupied[vh->occ_link[v]]--;
                    vh->occ_link[v] = -1;
                }
            }
            if (old < det_pos && vh->pos[v] >= det_pos)
                road->sense_detect_s[lane] = x->now_s + dt;
            es->sampled_s += dt;
            es->dist_m += disp;
            sum_speed += vn;
        }
        moved += (uint64_t)n;
    }
    road->stats.vehicle_updates += moved;
    road->sum_speed = sum_speed;
    road->stats.mean_speed_mps = moved ? sum_speed / (double)moved : 0.0;
    /* lane ends: front vehicles past the end move on */
    int32_t n_active = road->n_active;
    for (int32_t a = 0; a < n_active; a++) {
        CityStatus st = settle(x, road->active[a]);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}

static void update_sense(CityRoad *road)
{
    for (int32_t a = 0; a < road->n_active; a++) {
        int32_t lane = road->active[a];
        int32_t n = road_lane_count(road, lane);
        uint16_t halting = 0;
        for (int32_t i = 0; i < n; i++)
            if (road->veh.flags[road_lane_at(road, lane, i)] & ROAD_VF_HALTING)
                halting++;
        road->sense_count[lane] = (uint16_t)(n < 65535 ? n : 65535);
        road->sense_halting[lane] = halting;
    }
}

static CityStatus reroute_all(CityRoad *road)
{
    RoadVehicles *vh = &road->veh;
    int32_t need = road->net->n_edges + 1;
    if (road->cap_route_buf < need) {
        int32_t *b = realloc(road->route_buf, (size_t)need * sizeof *b);
        if (!b)
            return CITY_ERR_NOMEM;
        road->route_buf = b;
        road->cap_route_buf = need;
    }
    for (uint32_t i = 0; i < vh->n_live; i++) {
        int32_t v = vh->live[i];
        if (vh->via_pos[v] >= 0)
            continue;
        const RoadRoute *r = &road->routes[vh->route[v]];
        int32_t rp = vh->route_pos[v];
        if (rp + 2 >= r->count)
            continue;
        int32_t from = road->route_edges[r->first + rp], to = road->route_edges[r->first + r->count - 1];
        int32_t got = road_router_route(road->router, from, to, vtype_of(road, v)->def.vclass, road->edge_tt_s,
                                        road->route_buf, road->cap_route_buf);
        if (got < 2)
            continue;
        if (got == r->count - rp &&
            memcmp(road->route_buf, road->route_edges + r->first + rp, (size_t)got * sizeof(int32_t)) == 0)
            continue;
        int32_t nr = road_route_store(road, NULL, road->route_buf, got);
        if (nr < 0)
            return CITY_ERR_NOMEM;
        vh->route[v] = nr;
        vh->route_pos[v] = 0;
        vh->conn[v] = road_plan_conn(road, v, vh->lane[v]);
    }
    return CITY_OK;
}

CityStatus road_step(CityWorld *world, void *self, int64_t tick)
{
    CityRoad *road = self;
    StepCtx x = {.road = road, .net = road->net, .dt_s = city_world_dt_ms(world) / 1000.0};
    x.now_s = (double)tick * x.dt_s;
    /* vehicles due by now enter first (spawns of the previous step's end) */
    CityStatus ist = road_insert_pending(road, x.now_s);
    if (ist != CITY_OK)
        return ist;
    RoadLaneSense sense = {road->sense_count, road->sense_halting, road->sense_detect_s};
    road_signals_step(road->signals, x.now_s, x.dt_s, &sense);

    /* approach announcements: last step's become readable, older ones are cleared */
    double *tmp = road->link_eta_prev;
    road->link_eta_prev = road->link_eta;
    road->link_eta = tmp;
    int32_t *tl = road->link_touched_prev;
    int32_t tc = road->cap_touched_prev, tn = road->n_touched_prev;
    road->link_touched_prev = road->link_touched;
    road->cap_touched_prev = road->cap_touched;
    road->n_touched_prev = road->n_touched;
    road->link_touched = tl;
    road->cap_touched = tc;
    for (int32_t i = 0; i < tn; i++)
        road->link_eta[tl[i]] = INFINITY;
    road->n_touched = 0;

    uint32_t live = road->veh.n_live;
    if (road->cap_scratch < (int32_t)live + 1) {
        int32_t cap = (int32_t)live * 2 + 64;
        int32_t *s = realloc(road->scratch, (size_t)cap * sizeof *s);
        if (!s)
            return road_fail(road, CITY_ERR_NOMEM, "out of memory in the traffic step");
        road->scratch = s;
        road->cap_scratch = cap;
    }
    x.cand = road->scratch;

    if (live > 0) {
        int32_t period = (int32_t)lround(1.0 / x.dt_s);
        change_lanes(&x, period < 1 ? 1 : period);
        x.n_cand = 0;
        for (int32_t a = 0; a < road->n_active; a++)
            plan_lane(&x, road->active[a]);
        grant_junctions(&x);
        CityStatus st = move_all(&x);
        if (st != CITY_OK)
            return st;
        update_sense(road);
        road_lanes_compact_active(road);
    }
    if (road->opt.reroute_period_s > 0) {
        int64_t every = city_world_ticks_for(world, road->opt.reroute_period_s);
        if (every > 0 && tick > 0 && tick % every == 0) {
            CityStatus st = reroute_all(road);
            if (st != CITY_OK)
                return road_fail(road, st, "out of memory rerouting");
        }
    }
    road->stats.running = road->veh.n_live;
    /* KPIs are published every 10 s of simulated time (and at the end):
     * city.road.stats() is the live view */
    int64_t kpi_every = city_world_ticks_for(world, 10.0);
    if (kpi_every < 1 || tick % kpi_every == 0)
        road_publish_kpis(road);
    return CITY_OK;
}
