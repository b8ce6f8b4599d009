/* Movement of one lane's vehicles (internal to sim/road): each drives the
 * speed it chose (Euler update, like SUMO), accumulates its trip figures,
 * releases junction links its tail has cleared and passes the lane's
 * detector. Shared by the pass that plans and moves lane by lane
 * (road_follow.c) and the movement of the fronts that waited for junction
 * admission (road_move.c). Inline: it runs once per active lane and step. */
#ifndef ROAD_MOVE_LANE_H
#define ROAD_MOVE_LANE_H

#include "road_step_internal.h"

/* Gives junction link `link` back: at once, or, while the step's lanes are
 * still being planned, once junction admission has run (the speed choice
 * and admission read the links as they were held at the step's start). */
static inline void road_release_link(RoadStepCtx *x, int32_t link)
{
    CityRoad *road = x->road;
    if (x->defer_release)
        road->released[road->n_released++] = link; /* room for one per vehicle (road_step.c) */
    else
        road_link_unhold(road, link);
}

/* Whether a vehicle that stood at a line where it yields (a minor link)
 * and now moves is only creeping there: it keeps its standing clock, and
 * its impatience (road_junction.c) grows on. Foes that stood at their own
 * lines announce themselves only once they move, a step late: a yielding
 * vehicle that started then stopped again in the next step and, its
 * clock reset, never grew impatient (on Jamsil's 0.2 m -426094557#5 it
 * started and stopped every 35 s or so for over 300 s, and the vehicle
 * behind it was teleported: jamsil-p1 at 0.1 s steps, seed 3). cross_lane_end
 * clears the clock when it leaves the lane. */
static inline bool road_creeps_at_yield(CityRoad *road, const RoadVehRec *r, double pos, double len)
{
    if (!(r->flags & ROAD_VF_STOPPED_AT_LINE) || r->via_pos >= 0 || pos >= len || r->conn < 0)
        return false;
    char st = road_conn_shown(road, r->conn);
    return st == 'm' || st == 'g' || st == '=' || st == 'o' || st == 's' || st == 'w';
}

/* The vehicles at places i0 .. i1 of lane road->active[a] drive the speeds
 * they chose: their trip figures, standing times, batteries, junction
 * links and the lane's detector. Adds the sum of their speeds (in their
 * order on the lane) to *sum_speed_q, in 2^-32 m/s (road_fixed); the last
 * one's state before it moved goes to *tail (when not NULL). Returns
 * whether the front (place 0, when i0 is 0) passed the lane's end. */
static inline bool road_move_vehicles(RoadStepCtx *x, int32_t a, int32_t i0, int32_t i1, int64_t *sum_speed_q,
                                      RoadTail *tail, CityStatus *status)
{
    CityRoad *road = x->road;
    RoadVehicles *vh = &road->veh;
    RoadVehRec *rec = vh->rec; /* (held here: the flags are bytes, whose stores may alias any pointer) */
    const RoadVType *vtypes = road->vtypes;
    const double dt = x->dt_s;
    int32_t lane = road->active[a];
    const RoadLaneQ *q = &road->lanes[lane];
    const int32_t *queue = q->v + q->head;
    const double len = q->length_m, lane_speed = q->speed_mps;
    const double det_pos = road_max2(0.0, len - road->opt.detector_offset_m);
    /* the edge's figures, summed here in the same order as into the
     * record (which the stores into vehicle records keep the compiler
     * from doing); internal edges' figures are never read (edges.csv
     * has normal edges only), so their records are not touched */
    RoadEdgeFlow *es = q->internal ? NULL : &road->edge_flow[q->edge];
    double es_sampled_s = es ? es->sampled_s : 0.0, es_dist_m = es ? es->dist_m : 0.0;
    double sum = 0.0;
    bool front_past = false, detected = false; /* detected: a vehicle passed the detector */
    *status = CITY_OK;
    for (int32_t i = i0; i < i1; i++) {
        int32_t v = queue[i];
        RoadVehRec *r = &rec[v];
        const CityVTypeDef *t = &vtypes[r->vtype].def;
        double vn = vh->step[v].next_speed;
        double disp = vn * dt;
        uint8_t flags = r->flags;
        bool line_g = (flags & ROAD_VF_LINE_G) != 0;
        flags &= (uint8_t)~ROAD_VF_LINE_G;
        double old = r->pos, v_old = r->speed;
        if (tail && i == i1 - 1)
            *tail = (RoadTail){.pos = old, .speed = v_old, .length_m = t->length_m};
        r->accel = (float)((vn - v_old) / dt);
        /* an emergency brake, as SUMO warns of one: a step that takes the
         * emergency rate off the speed, or more. Most hard braking the speed
         * choice plans is at twice the comfortable rate, a car's emergency
         * rate, and its subtraction lands a rounding error either side of it. Counted
         * only when beyond the rate, jamsil-p1 at 0.1 s steps counted 172 of
         * its 366: 94 beyond it and 78 at it by a rounding error up */
        if (v_old - vn >= t->emergency_decel_mps2 * dt - ROAD_BRAKE_ROUNDING_MPS)
            road->emergency_brakes++;
        r->speed = vn;
        double pos = old + disp;
        r->pos = pos;
        r->dist_m += disp;
        double limit = lane_speed * r->v0_factor; /* road_desired_speed */
        double v0 = limit < t->max_speed_mps ? limit : t->max_speed_mps;
        if (v0 > 0.01 && vn < v0)
            r->time_loss_s += dt * (1.0 - vn / v0);
        if (vn < ROAD_HALT_MPS) {
            if (!(flags & ROAD_VF_HALTING)) {
                flags |= ROAD_VF_HALTING;
                r->stops++;
            }
            r->halt_s += dt;
            r->wait_s += dt;
            if (len - pos < ROAD_STOP_LINE_M + 2.0 && i == 0 && r->via_pos < 0) {
                flags |= ROAD_VF_STOPPED_AT_LINE;
                if (r->conn >= 0 && line_g) /* its line shows 'g' (road_follow.c) */
                    flags |= ROAD_VF_PULLED_IN;
                if (r->halt_s > ROAD_MISSED_TURN_S && road_turns_held_mutually(road, v)) {
                    if (!city_array_grow((void **)&road->give_up, &road->cap_give_up, road->n_give_up + 1,
                                         sizeof *road->give_up)) {
                        *status = road_fail(road, CITY_ERR_NOMEM, "out of memory in the traffic step");
                        return false;
                    }
                    road->give_up[road->n_give_up++] = v;
                }
            }
            if (r->halt_s > road->opt.gridlock_time_s && !(flags & ROAD_VF_GRIDLOCK)) {
                flags |= ROAD_VF_GRIDLOCK;
                road->stats.gridlock_warnings++;
                city_world_log(road->world, "warning", "vehicle %s has stood %.0f s on lane %s (gridlock?)",
                               vh->name[road_handle(road, v)], r->halt_s, x->net->lanes[lane].id);
            }
            /* only a lane's first vehicle is moved on, as SUMO's are: the
             * ones queued behind it wait their turn at the front */
            double tp = road->opt.time_to_teleport_s;
            if (tp > 0 && r->halt_s > tp && i == 0) {
                r->flags = flags;
                CityStatus st = road_teleport_mark(road, v, ((uint64_t)a << 32) + (uint64_t)i);
                if (st != CITY_OK) {
                    *status = st;
                    return false;
                }
                flags = r->flags; /* (it sets ROAD_VF_TELEPORT) */
            }
        } else if (flags & ROAD_VF_HALTING) { /* halt_s is 0 while the flag is clear, but while it creeps at a yield */
            flags &= (uint8_t)~ROAD_VF_HALTING;
            if (!road_creeps_at_yield(road, r, pos, len))
                r->halt_s = 0.0;
        }
        r->flags = flags;
        /* energy_kwh is 0 for other types: their second line stays untouched */
        if (t->ev && r->energy_kwh > 0.0)
            road_ev_drive(road, v, vn, r->accel, disp, dt);
        if (r->occ_link >= 0) {
            r->occ_left_m -= disp;
            /* a vehicle standing past the junction with its tail still in it
             * (exit lanes of a few decimetres in joined junctions) gives the
             * junction back after a while, or queues around a block of such
             * lanes could wait for each other for ever */
            /* a vehicle that crosses its stop line in this step keeps the
             * grant until cross_lane_end has moved it on (at long steps its
             * displacement can exceed the whole junction) */
            bool crossing_now = r->via_pos < 0 && pos >= len;
            if (!crossing_now && (r->occ_left_m <= 0 || (r->via_pos < 0 && r->halt_s > ROAD_TAIL_RELEASE_S))) {
                road_release_link(x, r->occ_link);
                r->occ_link = -1;
            }
        }
        detected |= (old < det_pos) & (pos >= det_pos); /* (no branch: which vehicle passes it follows no pattern) */
        es_sampled_s += dt;
        es_dist_m += disp;
        sum += vn;
        if (i == 0)
            front_past = pos >= len;
    }
    if (es) {
        es->sampled_s = es_sampled_s;
        es->dist_m = es_dist_m;
    }
    if (detected)
        road->sense_detect_s[lane] = x->now_s + dt;
    *sum_speed_q += road_fixed(sum, 0x1p32);
    return front_past;
}

#endif
