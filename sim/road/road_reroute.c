/* Rerouting: vehicles re-plan the rest of their route on the current
 * travel-time estimates (edge_tt_s, smoothed from vehicles that left each
 * edge). */
#include <string.h>

#include "city_array.h"
#include "road_step_internal.h"

CityStatus road_reroute_all(CityRoad *road)
{
    RoadVehicles *vh = &road->veh;
    int32_t need = road->net->n_edges + 1;
    if (!city_array_grow((void **)&road->route_buf, &road->cap_route_buf, need, sizeof *road->route_buf))
        return CITY_ERR_NOMEM;
    for (uint32_t i = 0; i < vh->n_live; i++) {
        int32_t v = vh->live[i];
        if (vh->rec[v].via_pos >= 0)
            continue;
        const RoadRoute *r = &road->routes[vh->rec[v].route];
        int32_t rp = vh->rec[v].route_pos;
        if (rp + 2 >= r->count)
            continue;
        int32_t from = road->route_edges[r->first + rp], to = road->route_edges[r->first + r->count - 1];
        int32_t got = road_router_route(road->router, from, to, road_vtype_of(road, v)->def.vclass, road->edge_tt_s,
                                        road->route_buf, road->cap_route_buf);
        if (got < 2)
            continue;
        if (got == r->count - rp &&
            memcmp(road->route_buf, road->route_edges + r->first + rp, (size_t)got * sizeof(int32_t)) == 0)
            continue;
        int32_t nr = road_route_store(road, NULL, road->route_buf, got);
        if (nr < 0)
            return CITY_ERR_NOMEM;
        vh->rec[v].route = nr;
        vh->rec[v].route_n = got;
        vh->rec[v].route_pos = 0;
        road_set_conn(road, v, road_plan_conn(road, v, vh->rec[v].lane));
    }
    return CITY_OK;
}
