/* One traffic step: state(t) in, state(t+dt) out, as a list of its parts
 * (each in its own file, see road_step_internal.h):
 *   1. vehicles due by now enter (road_vehicles.c);
 *   2. lights advance on what detectors saw in the previous step;
 *   3. lane changes (MOBIL + strategic), evaluated once a second per vehicle;
 *   4. every vehicle picks its speed (IDM against its leader, the next
 *      lanes of its path, stop lines it may not pass, speed limits ahead);
 *   5. vehicles about to cross a stop line are granted the junction in a
 *      fixed order, so two vehicles on crossing paths never enter together;
 *   6. everyone moves (Euler update, like SUMO), crosses lane ends, arrives;
 *   7. detectors and lane counts are updated; rerouting and EV charging. */
#include "city_array.h"
#include "road_step_internal.h"

#define ROAD_KPI_PERIOD_S 10.0 /* KPIs are published this often (and at the end) */

/* Lane changes, speed choice, junction grants, movement. */
static CityStatus road_physics(RoadStepCtx *x)
{
    CityRoad *road = x->road;
    uint32_t live = road->veh.n_live;
    if (!city_array_grow((void **)&road->scratch, &road->cap_scratch, (int32_t)live + 1, sizeof *road->scratch))
        return road_fail(road, CITY_ERR_NOMEM, "out of memory in the traffic step");
    x->cand = road->scratch;
    if (live == 0)
        return CITY_OK;
    int32_t period = (int32_t)lround(1.0 / x->dt_s);
    road_change_lanes(x, period < 1 ? 1 : period);
    x->n_cand = 0;
    for (int32_t a = 0; a < road->n_active; a++)
        road_plan_lane(x, road->active[a]);
    road_grant_junctions(x);
    CityStatus st = road_move_all(x);
    if (st == CITY_OK && road->n_teleport_due > 0)
        st = road_teleport_due(x);
    if (st != CITY_OK)
        return st;
    road_sense_lanes(road);
    road_lanes_compact_active(road);
    return CITY_OK;
}

CityStatus road_step(CityWorld *world, void *self, int64_t tick)
{
    CityRoad *road = self;
    int32_t dt_ms = city_world_dt_ms(world);
    RoadStepCtx x = {.road = road, .net = road->net, .dt_s = dt_ms / 1000.0};
    x.now_s = (double)tick * x.dt_s;
    /* vehicles due by now enter first (spawns of the previous step's end) */
    CityStatus st = road_insert_pending(road, x.now_s);
    if (st != CITY_OK)
        return st;
    RoadLaneSense sense = {road->sense_count, road->sense_halting, road->sense_detect_s};
    road_signals_step(road->signals, tick * (int64_t)dt_ms, dt_ms, &sense);
    road_junction_rotate_announcements(road);
    st = road_physics(&x);
    if (st != CITY_OK)
        return st;
    if (road->opt.reroute_period_s > 0) {
        int64_t every = city_world_ticks_for(world, road->opt.reroute_period_s);
        if (every > 0 && tick > 0 && tick % every == 0) {
            st = road_reroute_all(road);
            if (st != CITY_OK)
                return road_fail(road, st, "out of memory rerouting");
        }
    }
    road->stats.running = road->veh.n_live;
    /* city.road.stats() is the live view; the KPIs follow it every ROAD_KPI_PERIOD_S */
    int64_t kpi_every = city_world_ticks_for(world, ROAD_KPI_PERIOD_S);
    if (kpi_every < 1 || tick % kpi_every == 0)
        road_publish_kpis(road);
    return CITY_OK;
}
