/* What the files of the traffic step share (internal to sim/road): the
 * step context, the driving thresholds and the small formulas every part
 * of the step uses (IDM, time to cover a distance, approach announcements).
 *
 * The parts of the step, one file each, in the phase they run in
 * (road_step.c registers them):
 *   CONTROL  the lights (on the lane counts)  road_signals.c
 *   PHYSICS  lane changes                     road_lanechange.c
 *            speed choice (car following)     road_follow.c
 *            junction admission               road_junction.c
 *            movement, lane ends, leavers     road_move.c
 *   COMMIT   removals                         road_vehicles.c
 *            insertions                       road_insert.c
 *            rerouting                        road_reroute.c */
#ifndef ROAD_STEP_INTERNAL_H
#define ROAD_STEP_INTERNAL_H

#include <math.h>

#include "city_array.h"
#include "road_internal.h"

#define ROAD_HALT_MPS 0.1               /* below this a vehicle is standing (SUMO's halting threshold) */
#define ROAD_MOVING_OFF_MPS 2.0         /* a queue whose last vehicle is faster than this moves off (road_junction.c) */
#define ROAD_YIELD_MARGIN_S 1.0         /* safety time a yielding vehicle leaves a priority one */
#define ROAD_APPROACH_M 150.0           /* vehicles closer than this to a junction announce themselves */
#define ROAD_IMPATIENCE_S 20.0          /* after waiting this long a yielding vehicle ignores standing foes */
#define ROAD_TIME_TO_IMPATIENCE_S 180.0 /* SUMO's --time-to-impatience: waiting this long, any gap will do */
#define ROAD_STOP_LINE_M 1.0            /* vehicles stop this far before a line they may not pass */
#define ROAD_FOE_VISIBILITY_M 4.5       /* a yielding vehicle sees its foes this near its line (SUMO's default) */
#define ROAD_TAIL_RELEASE_S 60.0        /* see road_move_vehicles */
#define ROAD_MISSED_TURN_S 30.0         /* standing this long on the wrong lane, a driver gives up the turn */
#define ROAD_SHORT_LANE_M 3.0           /* lanes shorter than this are changed on as soon as entered */
#define ROAD_PATHS_MEET_M 0.5           /* paths through a junction closer than this meet (road_junction.c) */
#define ROAD_BRAKE_ROUNDING_MPS 1e-9    /* speed drops this close to the emergency rate's are at that rate */

/* One tick of the physics phase: state(t) in, state(t+dt) out. */
typedef struct RoadStepCtx {
    CityRoad *road;
    const CityRoadNet *net;
    double now_s, dt_s; /* start of the step and its length (s) */
    int32_t *cand;      /* vehicles wanting to cross a stop line this step */
    int32_t n_cand;
    /* movement (road_move_lane.h, road_move.c) */
    int32_t n_held;      /* road->held[0 .. n_held): lanes whose front is in cand, by active position */
    int32_t n_past_late; /* lanes whose front passed the end, in road->active_tmp[n_active - n .. n_active) */
    int32_t n_recheck;   /* lanes that may have emptied in the step, in road->recheck */
    bool defer_release;  /* links given back go to road->released until admission has run */
    uint64_t moved;      /* vehicle updates */
    int64_t sum_speed_q; /* their speeds, in 2^-32 m/s (road_fixed) */
} RoadStepCtx;

/* fmin/fmax without NaN handling: inlined (libm's are calls under -fno-fast-math) */
static inline double road_min2(double a, double b)
{
    return a < b ? a : b;
}
static inline double road_max2(double a, double b)
{
    return a > b ? a : b;
}

static inline const RoadVType *road_vtype_of(const CityRoad *road, int32_t v)
{
    return &road->vtypes[road->veh.rec[v].vtype];
}

/* IDM's free-road acceleration of a vehicle at speed v with desired speed v0. */
static inline double road_idm_free(const RoadVType *t, double v, double v0)
{
    double r = v0 > 0.01 ? v / v0 : 2.0;
    double free_term = t->def.delta == 4.0 ? r * r * r * r : pow(r, t->def.delta);
    return t->def.accel_mps2 * (1.0 - free_term);
}

/* IDM acceleration of a vehicle at speed v whose free-road acceleration is
 * a_free (road_idm_free) behind an obstacle at gap s moving at speed vl
 * (s = INFINITY: free road). The speed choice asks this of one vehicle for
 * its leader, the lines and the lanes ahead and any merging vehicle: the
 * free term (a division and a power) is computed once for all of them. */
static inline double road_idm_behind(const RoadVType *t, double a_free, double v, double s, double vl)
{
    double a = a_free;
    if (isfinite(s)) {
        double s_star = t->def.min_gap_m + road_max2(0.0, v * t->def.tau_s + v * (v - vl) / t->sqrt_ab);
        double ss = s > 0.01 ? s : 0.01;
        double q = s_star / ss;
        a -= t->def.accel_mps2 * q * q;
    }
    return a;
}

/* Krauss's safe speed, as SUMO's drivers keep to a leader: the highest
 * speed for the next step from which a vehicle of type t can still stop
 * behind a leader at gap s moving at vl, its minimum gap kept, both braking
 * at the comfortable rate b, the follower reaction_s seconds late. */
static inline double road_safe_speed(const RoadVType *t, double s, double vl, double reaction_s)
{
    double b = t->def.decel_mps2, bt = b * reaction_s;
    double g = s - t->def.min_gap_m > 0.0 ? s - t->def.min_gap_m : 0.0;
    return sqrt(bt * bt + vl * vl + 2.0 * b * g) - bt;
}

/* IDM behind a leader (gap s, speed vl) for a step of dt, its braking
 * held to what safety needs: when IDM takes more than the comfortable rate
 * b off in the step, the speed is raised to the least of v - b dt and the
 * safe speed (road_safe_speed, reacting after reaction_s: behind a
 * leader, road_idm_behind_held, the type's tau), where that is above
 * IDM's. IDM alone braked at up to 7 m/s^2 where braking at b was safe,
 * and at 1 s steps the vehicle behind, planning on the leader's speed at
 * the start of the step, found it standing (jamsil-p1, vehicle 42 at
 * 98 s: 9.9 m/s to 0 in one step behind vehicle 2, which had braked from
 * 7.6 to 0.4 m/s behind a car stopping at its line). */
static inline double road_idm_behind_held_after(const RoadVType *t, double a_free, double v, double s, double vl,
                                                double dt, double reaction_s)
{
    double a = road_idm_behind(t, a_free, v, s, vl);
    double b = t->def.decel_mps2;
    if (a >= -b)
        return a;
    double v_safe = road_safe_speed(t, s, vl, reaction_s);
    double v_held = v - b * dt < v_safe ? v - b * dt : v_safe;
    double a_held = (v_held - v) / dt;
    return a_held > a ? a_held : a;
}
static inline double road_idm_behind_held(const RoadVType *t, double a_free, double v, double s, double vl, double dt)
{
    return road_idm_behind_held_after(t, a_free, v, s, vl, dt, t->def.tau_s > dt ? t->def.tau_s : dt);
}
/* The same before a line it may not pass (s: to the stop point, its
 * minimum gap added), which stands still and cannot brake: safe is what
 * stops there from the next step on, reacting within the step (SUMO's
 * stopSpeed, whose headway is the action step). Reacting after tau, as
 * behind a leader, a car at 7.2 m/s 5.7 m before a yielding line whose
 * foe came into view braked at 8.9 m/s^2 (IDM's) where 4.5, the
 * comfortable rate, stopped it there (jamsil-p1 at 0.1 s steps). */
static inline double road_idm_behind_line(const RoadVType *t, double a_free, double v, double s, double dt)
{
    return road_idm_behind_held_after(t, a_free, v, s, 0.0, dt, dt);
}

/* IDM acceleration of a vehicle at speed v with desired speed v0 behind an
 * obstacle at gap s moving at speed vl (s = INFINITY: free road). */
static inline double road_idm_accel(const RoadVType *t, double v, double v0, double s, double vl)
{
    return road_idm_behind(t, road_idm_free(t, v, v0), v, s, vl);
}

/* Time (s) to drive d metres from speed v with acceleration a up to vmax. */
static inline double road_time_to_cover(double d, double v, double a, double vmax)
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

/* Records that a vehicle may reach a junction link at eta_s (yielding
 * vehicles read it next step). Inline: it runs for every approaching vehicle. */
static inline void road_announce(CityRoad *road, int32_t link, double eta_s)
{
    if (link < 0)
        return;
    /* a place for the link in the step's list first (as good as never
     * short: the lists are made with one per link, city_road_create) */
    if (road->n_touched == road->cap_touched && !city_array_grow((void **)&road->link_touched, &road->cap_touched,
                                                                 road->n_touched + 1, sizeof *road->link_touched))
        return; /* an unannounced approach only makes yielding vehicles bolder for one step */
    /* listed when it is the link's first announcement of the step, taken
     * without a branch: which vehicle is first at a link follows no pattern */
    double eta = road->link_eta[link];
    road->link_touched[road->n_touched] = link;
    road->n_touched += eta == INFINITY;
    road->link_eta[link] = eta_s < eta ? eta_s : eta;
}

/* The last vehicle of lane `lane` (which has one) as it stood at the
 * start of the step: what the vehicles behind it plan on, and junction
 * admission reads, though the lane may have moved already
 * (road_plan_and_move).
 * Its record once the vehicles waiting at junctions have moved too. */
static inline RoadTail road_tail_start(const CityRoad *road, int32_t lane)
{
    const RoadLaneQ *q = &road->lanes[lane];
    if (q->seen == road->seen_read)
        return road->tail_start[q->walk_at];
    const RoadVehRec *r = &road->veh.rec[q->v[q->head + q->n - 1]];
    return (RoadTail){.pos = r->pos, .speed = r->speed, .length_m = road->vtypes[r->vtype].def.length_m};
}

/* Whether the last vehicle onto lane `first` (the first lane past a stop
 * line) still sticks out behind that line, as it stood at the start of
 * the step (*u): its back is then u->pos - u->length_m before the line.
 * A vehicle that has crossed a line is no longer on the queue of the lane
 * before it; the speed choice of the vehicle behind (road_follow.c) and a
 * lane change beside it (road_lanechange.c) must still keep off its back. */
static inline bool road_back_over_line(const CityRoad *road, int32_t first, RoadTail *u)
{
    if (road_lane_count(road, first) == 0) /* (mostly empty: the counts' dense line, not the queue's) */
        return false;
    *u = road_tail_start(road, first);
    return u->pos < u->length_m;
}

/* Where, on lane `lane`, the back of a vehicle that has crossed its line
 * but still sticks out over it stands (its nearest such back, through
 * each of the lane's connections, and that vehicle's speed in *speed when
 * not NULL), INFINITY when none does. The lane's queue does not hold such
 * a vehicle: a vehicle standing at the line beside it changed lanes into
 * its tail (school zone, seed 44: 3.0 m into the back of one that had just
 * pulled into the junction), and one departing on a lane of 0.2 m was put
 * there standing inside the tail of one that had just left it (Jamsil day,
 * 07:00 and 11:46, in the joined junction north of Jamsil station). */
static inline double road_overhang_back(const CityRoad *road, int32_t lane, double *speed)
{
    double back = INFINITY;
    const RoadLaneOut lo = road->lane_out[lane];
    for (int32_t k = 0; k < lo.count; k++) {
        RoadTail u;
        if (!road_back_over_line(road, road->connq[lo.first + k].first_lane, &u))
            continue;
        double at = road_lane_length(road, lane) + u.pos - u.length_m;
        if (at < back) {
            back = at;
            if (speed)
                *speed = u.speed;
        }
    }
    return back;
}

/* The nearest vehicle bound for lane `lane` on the lane of its feed k
 * (road->feed: a lane before the junction or an internal lane), -1 for
 * none; *to_start: the distance from its front to the start of `lane`. */
static inline int32_t road_feed_nearest(const CityRoad *road, int32_t k, int32_t lane, double *to_start)
{
    const RoadFeed *f = &road->feed[k];
    const RoadVehicles *vh = &road->veh;
    for (int32_t i = 0; i < road->lanes[f->lane].n; i++) {
        int32_t u = road_lane_at(road, f->lane, i);
        if (vh->rec[u].conn < 0 || road->connq[vh->rec[u].conn].to_lane != lane)
            continue; /* bound elsewhere */
        *to_start = road_lane_length(road, f->lane) - vh->rec[u].pos + f->ahead_m;
        return u;
    }
    return -1;
}

/* road_junction.c: who may enter a junction, in a fixed order */
/* Last step's approach announcements become readable; older ones are cleared. */
void road_junction_rotate_announcements(CityRoad *road);
/* road_link_allowed past a red light (road_junction.c). */
bool road_link_allowed_unless_red(const RoadStepCtx *x, int32_t v, const RoadVType *t, int32_t ci, double dist,
                                  int32_t rp);
/* May vehicle v, dist metres before the stop line at the end of its route
 * edge rp (its current edge, or one ahead when it crosses two lines in one
 * step), enter connection ci now? A red or red-yellow light is answered
 * here: most of the vehicles that ask stand at one (on center-p6 at 1 s
 * steps, most of the 23,000 questions), and the answer needs no more than
 * the light and whether the vehicle has pulled in at that line already (it
 * clears the junction) or is an emergency vehicle (it yields instead). */
static inline bool road_link_allowed(const RoadStepCtx *x, int32_t v, const RoadVType *t, int32_t ci, double dist,
                                     int32_t rp)
{
    const char state = road_conn_shown(x->road, ci);
    const RoadVehRec *r = &x->road->veh.rec[v];
    if ((state == 'r' || state == 'u') && t->def.vclass != CITY_VC_EMERGENCY &&
        !((r->flags & ROAD_VF_PULLED_IN) && rp == r->route_pos))
        return false;
    return road_link_allowed_unless_red(x, v, t, ci, dist, rp);
}
/* At the internal junction of a cont link (road_junction.c). */
bool road_internal_allowed(const RoadStepCtx *x, int32_t v, int32_t ci, double dist);
/* Whether v, at its line, and the one vehicle on the exit lane of its turn
 * each wait to turn onto the other's lane. Where both lanes are shorter
 * than a car (Jamsil's 0.2 m 218899409#0 and -218899409#1, between joined
 * junctions), each one's body still fills the end of the other's path, and
 * neither can ever enter: movement notes such vehicles (road->give_up) and
 * COMMIT has one of each pair give its turn up (road_give_up_turns). */
bool road_turns_held_mutually(const CityRoad *road, int32_t v);
/* COMMIT: one of each pair in road->give_up gives its turn up (road_lanechange.c). */
void road_give_up_turns(CityRoad *road);

/* Whether connection ci's light (red, red-yellow or yellow) stops a
 * vehicle of type t that may not cross it: an emergency vehicle on duty
 * treats them as a give-way sign (road_link_allowed), and waits for a gap. */
static inline bool road_light_stops(CityRoad *road, int32_t ci, const RoadVType *t)
{
    return road_state_stops(road_conn_shown(road, ci)) && t->def.vclass != CITY_VC_EMERGENCY;
}

/* A vehicle creeping inside a junction (under 1 m/s) on a link a coupling
 * blocked (a person on the crossing ahead of it) stands still. Inline: every
 * front vehicle asks, every step, and no link is blocked in most runs. */
static inline bool road_link_holds(const CityRoad *road, int32_t v)
{
    const RoadVehRec *r = &road->veh.rec[v];
    if (!road->link_blocked || r->via_pos < 0 || r->conn < 0 || r->speed > 1.0)
        return false;
    int32_t link = road->net->conns[r->conn].link;
    return link >= 0 && road->link_blocked[link];
}
/* Grants the junction to the candidates in x->cand by link, then vehicle index. */
void road_grant_junctions(RoadStepCtx *x);

/* road_lanechange.c: MOBIL and strategic lane changes, once per `period` ticks per vehicle */
void road_change_lanes(RoadStepCtx *x, int32_t period);

/* road_follow.c: every vehicle on an active lane picks its speed for the
 * step, lane by lane, and those not in x->cand (front vehicles that will
 * cross a stop line) move; links they give back wait in road->released */
CityStatus road_plan_and_move(RoadStepCtx *x);
/* road_move.c: after junction admission, the links are given back, the
 * fronts in road->held move, and vehicles cross lane ends and arrive */
CityStatus road_move_held(RoadStepCtx *x);

/* road_reroute.c: every vehicle re-plans on current travel times */
CityStatus road_reroute_all(CityRoad *road);

/* road_teleport.c: vehicles that stood time_to_teleport_s move on along their route */
/* Marks v to be moved on at the end of this step (once); `order`: where
 * it stands ((active position << 32) + place in its lane), the order the
 * marked vehicles move on in. */
CityStatus road_teleport_mark(CityRoad *road, int32_t v, uint64_t order);
/* Moves the marked vehicles on (COMMIT, before the leavers are removed). */
CityStatus road_teleport_due(RoadStepCtx *x);

#endif
