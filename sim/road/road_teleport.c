/* Time-to-teleport, as in SUMO: a vehicle at the front of its lane that
 * has stood longer than time_to_teleport_s (a jam it cannot leave, a lane
 * it cannot change out of; those queued behind it wait their turn at the
 * front, road_move_vehicles) is taken off its lane in the COMMIT phase and put at the start of
 * the next edge of its route with room for it; with no room anywhere ahead
 * it arrives at its destination. Every teleport is counted and logged. */
#include "city_array.h"
#include "road_step_internal.h"

CityStatus road_teleport_mark(CityRoad *road, int32_t v, uint64_t order)
{
    if (road->veh.rec[v].flags & ROAD_VF_TELEPORT)
        return CITY_OK;
    int32_t n = road->n_teleport_due;
    if (!city_array_grow((void **)&road->teleport_due, &road->cap_teleport_due, n + 1, sizeof *road->teleport_due) ||
        !city_array_grow((void **)&road->teleport_order, &road->cap_teleport_order, n + 1,
                         sizeof *road->teleport_order))
        return road_fail(road, CITY_ERR_NOMEM, "out of memory marking a vehicle to teleport");
    road->veh.rec[v].flags |= ROAD_VF_TELEPORT;
    road->teleport_due[n] = v;
    road->teleport_order[n] = order;
    road->n_teleport_due = n + 1;
    return CITY_OK;
}

/* A lane of route edge rp where v fits at the start (preferring one that
 * leads on along the route), or -1. */
static int32_t landing_lane(const CityRoad *road, int32_t v, int32_t rp, bool last)
{
    const CityRoadNet *net = road->net;
    const RoadVehicles *vh = &road->veh;
    const RoadRoute *r = &road->routes[vh->rec[v].route];
    const CityEdge *e = &net->edges[road->route_edges[r->first + rp]];
    const RoadVType *t = road_vtype_of(road, v);
    double need = t->def.length_m + t->def.min_gap_m;
    int32_t fallback = -1;
    for (int32_t i = 0; i < e->lane_count; i++) {
        int32_t l = e->lane_first + i;
        if (!(net->lanes[l].allow & t->def.vclass) || road->lane_closed[l] || net->lanes[l].length_m < need)
            continue;
        int32_t n = road_lane_count(road, l);
        if (n > 0) {
            int32_t u = road_lane_at(road, l, n - 1);
            if (vh->rec[u].pos - road_vtype_of(road, u)->def.length_m < need)
                continue;
        }
        if (last || road_plan_conn_at(road, v, l, rp) >= 0)
            return l;
        if (fallback < 0)
            fallback = l;
    }
    return fallback;
}

static CityStatus teleport(RoadStepCtx *x, int32_t v)
{
    CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    RoadVehicles *vh = &road->veh;
    double now_s = x->now_s + x->dt_s;
    int32_t from = vh->rec[v].lane;
    const RoadRoute *r = &road->routes[vh->rec[v].route];
    road_lane_remove(road, from, v);
    if (vh->rec[v].occ_link >= 0) {
        road_link_unhold(road, vh->rec[v].occ_link);
        vh->rec[v].occ_link = -1;
    }
    road->stats.teleports++;
    for (int32_t rp = vh->rec[v].route_pos + 1; rp < r->count; rp++) {
        int32_t lane = landing_lane(road, v, rp, rp + 1 >= r->count);
        if (lane < 0)
            continue;
        city_world_log(road->world, "warning", "vehicle %s teleported from lane %s to lane %s (stood %.0f s)",
                       vh->name[road_handle(road, v)], net->lanes[from].id, net->lanes[lane].id, vh->rec[v].halt_s);
        vh->rec[v].lane = lane;
        vh->rec[v].pos = road_vtype_of(road, v)->def.length_m;
        vh->rec[v].speed = vh->step[v].next_speed = 0.0;
        vh->rec[v].accel = 0.0f;
        vh->rec[v].route_pos = rp;
        vh->rec[v].via_pos = -1;
        vh->rec[v].halt_s = 0.0;
        vh->rec[v].flags = ROAD_VF_HALTING;
        vh->edge_enter_s[road_handle(road, v)] = now_s;
        road->edge_stats[net->lanes[lane].edge].entered++;
        CityStatus st = road_lane_insert_sorted(road, lane, v);
        road_set_conn(road, v, road_plan_conn(road, v, lane));
        return st;
    }
    city_world_log(road->world, "warning", "vehicle %s teleported from lane %s to its destination (stood %.0f s)",
                   vh->name[road_handle(road, v)], net->lanes[from].id, vh->rec[v].halt_s);
    return road_leave(road, v, true);
}

CityStatus road_teleport_due(RoadStepCtx *x)
{
    CityRoad *road = x->road;
    /* in the order they stand (movement marks them in another): a step
     * marks a few at most */
    for (int32_t i = 1; i < road->n_teleport_due; i++) {
        int32_t v = road->teleport_due[i], j = i;
        uint64_t o = road->teleport_order[i];
        for (; j > 0 && road->teleport_order[j - 1] > o; j--) {
            road->teleport_due[j] = road->teleport_due[j - 1];
            road->teleport_order[j] = road->teleport_order[j - 1];
        }
        road->teleport_due[j] = v;
        road->teleport_order[j] = o;
    }
    for (int32_t i = 0; i < road->n_teleport_due; i++) {
        int32_t v = road->teleport_due[i];
        if (!(road->veh.rec[v].flags & ROAD_VF_TELEPORT))
            continue; /* it left the road in this step after all */
        road->veh.rec[v].flags &= (uint8_t)~ROAD_VF_TELEPORT;
        CityStatus st = teleport(x, v);
        if (st != CITY_OK)
            return st;
    }
    road->n_teleport_due = 0;
    return CITY_OK;
}
