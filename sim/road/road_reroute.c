/* Rerouting: vehicles re-plan the rest of their route on the current
 * travel-time estimates (edge_tt_s, smoothed from vehicles that left each
 * edge), and around lanes that close. */
#include <string.h>

#include "city_array.h"
#include "road_step_internal.h"

/* Vehicle v takes the route in road->route_buf[0, n), from its current
 * edge on, with the connection it plans from its lane. */
static CityStatus take_route(CityRoad *road, int32_t v, int32_t n)
{
    RoadVehicles *vh = &road->veh;
    int32_t nr = road_route_store(road, NULL, road->route_buf, n);
    if (nr < 0)
        return CITY_ERR_NOMEM;
    road_route_begin(road, v, nr);
    road_set_conn(road, v, road_plan_conn(road, v, vh->rec[v].lane));
    return CITY_OK;
}

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
        if (take_route(road, v, got) != CITY_OK)
            return CITY_ERR_NOMEM;
    }
    return CITY_OK;
}

/* Whether vehicle v can still drive the rest of its route, rest[0, n),
 * past the closed lanes: the turn at the end of its edge from its own lane
 * (a closed one it was on when it closed) or from another it may change
 * to, the later ones as the router sees them. */
static bool can_drive_on(const CityRoad *road, int32_t v, const int32_t *rest, int32_t n, uint32_t vclass)
{
    const int32_t bad = road_router_blocked_at(road->router, rest, n, vclass);
    return bad < 0 || (bad == 1 && road_plan_conn(road, v, road->veh.rec[v].lane) >= 0 &&
                       road_router_blocked_at(road->router, rest + 1, n - 1, vclass) < 0);
}

CityStatus road_reroute_blocked(CityRoad *road)
{
    RoadVehicles *vh = &road->veh;
    const double *cost = road->opt.reroute_period_s > 0 ? road->edge_tt_s : NULL;
    for (uint32_t i = 0; i < vh->n_live; i++) {
        int32_t v = vh->live[i];
        if (vh->rec[v].via_pos >= 0)
            continue; /* inside a junction: its exit was granted before the closure */
        const RoadRoute *r = &road->routes[vh->rec[v].route];
        const int32_t rp = vh->rec[v].route_pos, *rest = road->route_edges + r->first + rp;
        const uint32_t vclass = road_vtype_of(road, v)->def.vclass;
        if (rp + 1 >= r->count || can_drive_on(road, v, rest, r->count - rp, vclass))
            continue;
        int32_t got = road_route_search(road, rest[0], rest[r->count - rp - 1], NULL, 0, vclass, cost);
        if (got == INT32_MIN)
            return CITY_ERR_NOMEM;
        if (got < 2) {
            /* no other way: it plans its turn again (none leads on past the
             * closure), so it stands at its line as on the wrong lane and
             * gives up the turn after ROAD_MISSED_TURN_S (its trip ends
             * when no movement leads anywhere), or time_to_teleport moves
             * it on; keeping the closed movement planned, it stood at the
             * line until teleported, whatever its lane */
            road_set_conn(road, v, road_plan_conn(road, v, vh->rec[v].lane));
            continue;
        }
        if (take_route(road, v, got) != CITY_OK)
            return CITY_ERR_NOMEM;
        road->closure_reroutes++;
    }
    for (int32_t i = 0; i < road->n_pending; i++) {
        RoadPending *p = &road->pending[i];
        const uint32_t vclass = road->vtypes[p->dep.vtype >= 0 ? p->dep.vtype : road->default_vtype].def.vclass;
        if (road_route_around_closures(road, &p->route, vclass) != CITY_OK)
            return CITY_ERR_NOMEM;
    }
    return CITY_OK;
}

CityStatus road_route_around_closures(CityRoad *road, int32_t *route, uint32_t vclass)
{
    const RoadRoute *r = &road->routes[*route];
    const int32_t *edges = road->route_edges + r->first;
    if (road_router_blocked_at(road->router, edges, r->count, vclass) < 0)
        return CITY_OK;
    const double *cost = road->opt.reroute_period_s > 0 ? road->edge_tt_s : NULL;
    int32_t got = road_route_search(road, edges[0], edges[r->count - 1], NULL, 0, vclass, cost);
    if (got == INT32_MIN)
        return CITY_ERR_NOMEM;
    if (got < 1)
        return CITY_OK; /* no way round: it keeps its route and meets the closure (see road_reroute_blocked) */
    int32_t nr = road_route_store(road, NULL, road->route_buf, got);
    if (nr < 0)
        return CITY_ERR_NOMEM;
    *route = nr;
    road->closure_reroutes++;
    return CITY_OK;
}
