/* The road's tick, phase by phase. The world runs every subsystem's SENSE
 * step, then CONTROL, PHYSICS, COMMIT and REPORT; the road takes part in
 * each but SENSE with one entry of the table below (one world subsystem per
 * phase, "road" itself being the PHYSICS entry that owns the state):
 *   CONTROL  the lights advance on the lane counts and detector times
 *            (road_signals.c)
 *   PHYSICS  lane changes (road_lanechange.c), speed choice (road_follow.c)
 *            with movement (road_move_lane.h) lane by lane, junction
 *            admission (road_junction.c), then the movement of the vehicles
 *            that waited for it (road_move.c): state(t) in, state(t+dt)
 *            out; vehicles that leave are noted
 *   COMMIT   vehicles that stood time_to_teleport_s move on (road_teleport.c),
 *            leavers are removed (trips recorded, arrivals published for
 *            the couplings), vehicles reroute (road_reroute.c), vehicles due
 *            by the end of the step enter (road_insert.c), and every
 *            ROAD_REORDER_PERIOD_S the vehicle records are put in lane
 *            order (road_order.c)
 *   REPORT   the running count and, every ROAD_KPI_PERIOD_S, the KPIs */
#include "city_array.h"
#include "road_step_internal.h"

#define ROAD_KPI_PERIOD_S CITY_KPI_PERIOD_S /* KPIs are published this often (and at the end) */

static RoadStepCtx step_ctx(CityWorld *world, CityRoad *road, int64_t tick)
{
    RoadStepCtx x = {.road = road, .net = road->net, .dt_s = city_world_dt_ms(world) / 1000.0};
    x.now_s = (double)tick * x.dt_s;
    return x;
}

static CityStatus road_control(CityWorld *world, void *self, int64_t tick)
{
    CityRoad *road = self;
    const int32_t dt_ms = city_world_dt_ms(world);
    /* the lane counts are the committed state until PHYSICS: the lights
     * read them where the queues keep them (no copy made every step) */
    RoadLaneSense sense = {road->lane_n, road->sense_detect_s};
    road_signals_step(road->signals, tick * (int64_t)dt_ms, dt_ms, &sense);
    return CITY_OK;
}

static CityStatus road_physics(CityWorld *world, void *self, int64_t tick)
{
    CityRoad *road = self;
    RoadStepCtx x = step_ctx(world, road, tick);
    if (!road->started) { /* no COMMIT came before the first step: what is due at its start enters now */
        road->started = true;
        CityStatus st = road_insert_pending(road, x.now_s);
        if (st != CITY_OK)
            return st;
    }
    road_tls_shown_refresh(road); /* lights changed by CONTROL or a command since the last step */
    road_junction_rotate_announcements(road);
    uint32_t live = road->veh.n_live;
    /* the step's candidates (lane changes, then junctions), one a vehicle,
     * and after them the lane changes' candidates' lanes */
    if (road->cap_scratch < 2 * ((int32_t)live + 1) &&
        !city_array_grow((void **)&road->scratch, &road->cap_scratch, 2 * ((int32_t)live + 1), sizeof *road->scratch))
        return road_fail(road, CITY_ERR_NOMEM, "out of memory in the traffic step");
    x.cand = road->scratch;
    if (live == 0)
        return CITY_OK;
    if (road->cap_released <= (int32_t)live &&
        !city_array_grow((void **)&road->released, &road->cap_released, (int32_t)live + 1, sizeof *road->released))
        return road_fail(road, CITY_ERR_NOMEM, "out of memory in the traffic step");
    int32_t period = (int32_t)lround(1.0 / x.dt_s);
    road_change_lanes(&x, period < 1 ? 1 : period);
    CityStatus st = road_plan_and_move(&x);
    if (st != CITY_OK)
        return st;
    road_grant_junctions(&x);
    if ((st = road_move_held(&x)) != CITY_OK)
        return st;
    road_lanes_compact_active(road, road->recheck, x.n_recheck);
    return CITY_OK;
}

/* Putting the records in lane order pays once they outgrow the L1 cache
 * (ROAD_REORDER_MIN_SLOTS records of 128 bytes: 32 KB); below that the
 * passes find them there in any order, and the reorder only reclaims the
 * slots of vehicles gone, which it does when they are half the slots. At
 * 1 s steps it ran every tick: 8 % of center-p6's step, some 11 vehicles
 * on the road at a time. */
#define ROAD_REORDER_MIN_SLOTS 256
static bool reorder_pays(const CityRoad *road)
{
    return road->veh.n_slots > ROAD_REORDER_MIN_SLOTS || road->veh.n_slots > 2 * road->veh.n_live;
}

/* Whether tick is a multiple of `every` (at least 1), dividing only once
 * per period: *next is the next multiple not yet reached (0: not known). */
static bool every_due(int64_t tick, int64_t every, int64_t *next)
{
    if (every <= 1)
        return true;
    if (tick < *next)
        return false;
    int64_t r = tick % every;
    *next = tick - r + every;
    return r == 0;
}

/* A period in ticks, at least 1 (*every: computed at first use). */
static int64_t ticks_every(CityWorld *world, int64_t *every, double seconds)
{
    if (*every == 0) {
        int64_t k = city_world_ticks_for(world, seconds);
        *every = k > 1 ? k : 1;
    }
    return *every;
}

static CityStatus road_commit(CityWorld *world, void *self, int64_t tick)
{
    CityRoad *road = self;
    /* most steps of a city with few vehicles about commit nothing: no
     * teleport due, no leaver, no rerouting, no departure queued or due by
     * the next tick's start, no reorder (on center-p6 at 1 s, 0.6 % of
     * the loop's instructions) */
    if (road->n_teleport_due == 0 && road->n_leaving == 0 && road->n_give_up == 0 && road->opt.reroute_period_s <= 0 &&
        road->n_pending == 0 && tick + 1 < road->next_reorder_tick &&
        !road_demand_due(road->demand, step_ctx(world, road, tick + 1).now_s + 1e-6))
        return CITY_OK;
    RoadStepCtx x = step_ctx(world, road, tick);
    if (road->n_give_up > 0)
        road_give_up_turns(road);
    CityStatus st = road->n_teleport_due > 0 ? road_teleport_due(&x) : CITY_OK;
    if (st == CITY_OK)
        st = road_remove_leavers(road, x.now_s + x.dt_s);
    if (st != CITY_OK)
        return st;
    if (road->opt.reroute_period_s > 0) {
        int64_t every = city_world_ticks_for(world, road->opt.reroute_period_s);
        if (every > 0 && tick > 0 && tick % every == 0 && (st = road_reroute_all(road)) != CITY_OK)
            return road_fail(road, st, "out of memory rerouting");
    }
    /* entering at the next tick's start, its clock computed as that tick computes it */
    if ((st = road_insert_pending(road, step_ctx(world, road, tick + 1).now_s)) != CITY_OK)
        return st;
    if (every_due(tick + 1, ticks_every(world, &road->reorder_every, ROAD_REORDER_PERIOD_S),
                  &road->next_reorder_tick) &&
        reorder_pays(road))
        road_vehicles_reorder(road);
    return CITY_OK;
}

static CityStatus road_report(CityWorld *world, void *self, int64_t tick)
{
    CityRoad *road = self;
    road->stats.running = road->veh.n_live;
    /* city.road.stats() is the live view; the KPIs follow it every ROAD_KPI_PERIOD_S */
    if (every_due(tick, ticks_every(world, &road->kpi_every, ROAD_KPI_PERIOD_S), &road->next_kpi_tick))
        road_publish_kpis(road);
    return CITY_OK;
}

/* The road's step: one entry per phase, every tick. */
static const struct {
    const char *name;
    CityPhase phase;
    CityStatus (*step)(CityWorld *world, void *self, int64_t tick);
} road_step[] = {
    {"road", CITY_PHASE_PHYSICS, road_physics}, /* first: it owns the state */
    {"road.control", CITY_PHASE_CONTROL, road_control},
    {"road.commit", CITY_PHASE_COMMIT, road_commit},
    {"road.report", CITY_PHASE_REPORT, road_report},
};

CityStatus road_step_register(CityWorld *world, CityRoad *road, const CitySubsystemDef *owner)
{
    for (size_t i = 0; i < sizeof road_step / sizeof road_step[0]; i++) {
        CitySubsystemDef def = {
            .name = road_step[i].name, .phase = road_step[i].phase, .period_ticks = 1, .step = road_step[i].step};
        if (i == 0) {
            def.hash = owner->hash;
            def.destroy = owner->destroy;
            def.finish = owner->finish;
            def.save = owner->save;
            def.load = owner->load;
        } else { /* the other phases share the state "road" saves */
            def.save = city_state_save_none;
            def.load = city_state_load_none;
        }
        CityStatus st = city_world_add_subsystem(world, &def, road);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}
