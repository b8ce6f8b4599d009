/* A restored road checked against its network before it runs: every index
 * that a later step uses to reach into an array (lanes, vehicle types,
 * routes and positions on them, connections and the internal lanes they
 * cross, junction links, lane queues and the vehicles they hold, merge
 * requests, waiting departures) lies inside what the scenario built. A
 * checkpoint is a file like any other: damaged or hostile bytes are
 * refused with the first thing found wrong, never followed. */
#include <math.h>
#include <stdlib.h>

#include "road_internal.h"

/* The farthest along its lane (either way) and the fastest a restored
 * vehicle may be: far beyond any lane and any vehicle type's top speed. */
#define ROAD_RESTORE_MAX_POS_M 1e7
#define ROAD_RESTORE_MAX_SPEED_MPS 1000.0

static bool in_range(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v < hi;
}

static bool is_live(const CityRoad *road, int64_t v)
{
    return in_range(v, 0, road->veh.pool.used) && (road->veh.pool.gen[v] & 1u);
}

/* One live vehicle's record: the fields that the step uses as indices. */
static bool check_vehicle(const CityRoad *road, uint32_t v, CityStateReader *in)
{
    const CityRoadNet *net = road->net;
    const RoadVehRec *r = &road->veh.rec[v];
    const char *what = NULL;
    if (!in_range(r->lane, 0, net->n_lanes))
        what = "lane";
    else if (!in_range(r->vtype, 0, road->n_vtypes))
        what = "vehicle type";
    else if (!in_range(r->route, 0, road->n_routes))
        what = "route";
    else if (!in_range(r->route_pos, 0, road->routes[r->route].count))
        what = "position on its route";
    else if (!in_range(r->conn, -1, net->n_conns))
        what = "planned connection";
    else if (r->via_pos >= 0 && (r->conn < 0 || r->via_pos >= net->conns[r->conn].via_count))
        what = "place inside a junction";
    else if (!in_range(r->occ_link, -1, net->n_links))
        what = "junction link";
    else if (!road->veh.name[v])
        what = "name";
    if (what)
        return city_state_fail(in,
                               "road: vehicle %u has a %s out of range (lane %d, route %d at %d, type %d); the "
                               "checkpoint is damaged",
                               v, what, (int)r->lane, (int)r->route, (int)r->route_pos, (int)r->vtype);
    return true;
}

/* One live vehicle's numbers: finite (a NaN position or speed would spread
 * through its followers' speed choices), a position and speed a vehicle can
 * have, counters that only grow from 0 (a stop count of INT32_MIN made
 * trips.csv negate it: undefined behaviour). */
static bool check_numbers(const CityRoad *road, uint32_t v, CityStateReader *in)
{
    const RoadVehRec *r = &road->veh.rec[v];
    const double x[] = {r->pos,    r->speed,      r->v0_factor, r->dist_m,     r->time_loss_s,
                        r->halt_s, r->occ_left_m, r->wait_s,    r->energy_kwh, (double)r->accel};
    bool ok = r->stops >= 0 && fabs(r->pos) <= ROAD_RESTORE_MAX_POS_M && r->speed >= 0 &&
              r->speed <= ROAD_RESTORE_MAX_SPEED_MPS && r->v0_factor >= 0 && r->halt_s >= 0 && r->wait_s >= 0;
    for (size_t k = 0; ok && k < sizeof x / sizeof x[0]; k++)
        ok = isfinite(x[k]);
    if (!ok)
        return city_state_fail(in,
                               "road: vehicle %u (%s) has a position, speed, time or count out of range (position "
                               "%g m, speed %g m/s, %d stops); the checkpoint is damaged",
                               v, road->veh.name[v], r->pos, r->speed, (int)r->stops);
    return true;
}

/* A vehicle (its indices in range) stands where its route says: on a normal
 * lane, one of the route position's edge; inside a junction, on an internal
 * lane of its connection, which leads from that edge onto the route's next.
 * Otherwise the step would plan turns from an edge the vehicle is not on. */
static bool check_on_route(const CityRoad *road, uint32_t v, CityStateReader *in)
{
    const CityRoadNet *net = road->net;
    const RoadVehRec *r = &road->veh.rec[v];
    const RoadRoute *route = &road->routes[r->route];
    const int32_t *edges = road->route_edges + route->first;
    const int32_t here = edges[r->route_pos];
    const char *lane_id = net->lanes[r->lane].id, *edge_id = net->edges[here].id;
    if (r->via_pos < 0 && net->lanes[r->lane].edge != here)
        return city_state_fail(in,
                               "road: vehicle %u (%s) is on lane %s, not on edge %s at position %d of its route; "
                               "the checkpoint is damaged",
                               v, road->veh.name[v], lane_id, edge_id, (int)r->route_pos);
    if (r->via_pos < 0)
        return true;
    const CityConnection *c = &net->conns[r->conn];
    if (net->via[c->via_first + r->via_pos] != r->lane || net->lanes[c->from_lane].edge != here ||
        r->route_pos + 1 >= route->count || net->lanes[c->to_lane].edge != edges[r->route_pos + 1])
        return city_state_fail(in,
                               "road: vehicle %u (%s) is on lane %s inside a junction, not on its connection from "
                               "edge %s at position %d of its route to the next; the checkpoint is damaged",
                               v, road->veh.name[v], lane_id, edge_id, (int)r->route_pos);
    return true;
}

/* The pool, the dense list of live vehicles and its inverse. */
static bool check_pool(const CityRoad *road, CityStateReader *in)
{
    const RoadVehicles *vh = &road->veh;
    if (!city_pool_consistent(&vh->pool) || vh->n_live != vh->pool.live)
        return city_state_fail(in, "road: damaged vehicle pool (%u live of %u)", vh->pool.live, vh->pool.used);
    for (uint32_t i = 0; i < vh->n_live; i++) {
        int32_t v = vh->live[i];
        if (!is_live(road, v) || vh->live_pos[v] != (int32_t)i)
            return city_state_fail(in, "road: damaged vehicle list at entry %u", i);
    }
    for (uint32_t i = 0; i < vh->n_live; i++)
        if (!check_vehicle(road, (uint32_t)vh->live[i], in) || !check_on_route(road, (uint32_t)vh->live[i], in) ||
            !check_numbers(road, (uint32_t)vh->live[i], in))
            return false;
    return true;
}

/* Every live vehicle stands in the queue of its own lane, once. */
static bool check_lanes(const CityRoad *road, CityStateReader *in)
{
    const RoadVehicles *vh = &road->veh;
    uint8_t *seen = calloc((size_t)vh->pool.used + 1, 1);
    if (!seen)
        return city_state_fail(in, "road: out of memory checking the checkpoint");
    uint64_t queued = 0;
    bool ok = true;
    for (int32_t l = 0; ok && l < road->net->n_lanes; l++) {
        const RoadLaneQ *q = &road->lanes[l];
        for (int32_t i = 0; ok && i < q->n; i++) {
            int32_t v = q->v[q->head + i];
            ok = is_live(road, v) && !seen[v] && road->veh.rec[v].lane == l;
            if (ok)
                seen[v] = 1;
        }
        queued += (uint64_t)q->n;
        if (!ok)
            city_state_fail(in, "road: the queue of lane %d holds a vehicle that is not on it", (int)l);
    }
    free(seen);
    if (ok && queued != vh->n_live)
        ok = city_state_fail(in, "road: %llu vehicles in lane queues but %u live", (unsigned long long)queued,
                             vh->n_live);
    return ok;
}

/* Lists of lanes and links, merge requests (each points to an earlier one
 * of the same lane: no cycle), vehicles leaving or teleporting. */
static bool check_lists(const CityRoad *road, CityStateReader *in)
{
    const CityRoadNet *net = road->net;
    for (int32_t i = 0; i < road->n_active; i++)
        if (!in_range(road->active[i], 0, net->n_lanes) || road->active_pos[road->active[i]] != i)
            return city_state_fail(in, "road: damaged active-lane list at entry %d", (int)i);
    for (int32_t l = 0; l < net->n_lanes; l++) {
        int32_t a = road->active_pos[l];
        if (a != -1 && (!in_range(a, 0, road->n_active) || road->active[a] != l))
            return city_state_fail(in, "road: damaged active-lane list at lane %d", (int)l);
        int32_t h = road->merge_head[l];
        if (!in_range(h, -1, road->n_merges) || (h >= 0 && road->merges[h].lane != l))
            return city_state_fail(in, "road: damaged merge requests of lane %d", (int)l);
    }
    for (int32_t k = 0; k < road->n_merges; k++) {
        const RoadMerge *m = &road->merges[k];
        if (!in_range(m->lane, 0, net->n_lanes) || !in_range(m->next, -1, k) ||
            (m->next >= 0 && road->merges[m->next].lane != m->lane))
            return city_state_fail(in, "road: damaged merge request %d", (int)k);
    }
    for (int32_t i = 0; i < road->n_touched; i++)
        if (!in_range(road->link_touched[i], 0, net->n_links))
            return city_state_fail(in, "road: damaged list of junction links");
    for (int32_t i = 0; i < road->n_touched_prev; i++)
        if (!in_range(road->link_touched_prev[i], 0, net->n_links))
            return city_state_fail(in, "road: damaged list of junction links");
    for (int32_t i = 0; i < road->n_leaving; i++)
        if (!is_live(road, road->leaving[i].v))
            return city_state_fail(in, "road: damaged list of leaving vehicles");
    for (int32_t i = 0; i < road->n_teleport_due; i++)
        if (!is_live(road, road->teleport_due[i]))
            return city_state_fail(in, "road: damaged list of teleporting vehicles");
    return true;
}

/* Departures waiting for room: their type, route or end edges. */
static bool check_pending(const CityRoad *road, CityStateReader *in)
{
    const CityRoadNet *net = road->net;
    for (int32_t i = 0; i < road->n_pending; i++) {
        const RoadPending *p = &road->pending[i];
        const RoadDeparture *d = &p->dep;
        bool ok = d->name && in_range(d->vtype, -1, road->n_vtypes) && in_range(p->route, 0, road->n_routes) &&
                  road->routes[p->route].count > 0 && in_range(d->route, -1, road->n_routes) && d->n_via == 0 &&
                  (d->route >= 0 || (in_range(d->from_edge, 0, net->n_edges) && in_range(d->to_edge, 0, net->n_edges)));
        if (!ok)
            return city_state_fail(in, "road: waiting vehicle %d is damaged (type %d, route %d)", (int)i, (int)d->vtype,
                                   (int)p->route);
    }
    for (int32_t i = 0; i < road->n_arrivals; i++)
        if (!road->arrivals[i].name || !in_range(road->arrivals[i].vtype, 0, road->n_vtypes))
            return city_state_fail(in, "road: damaged arrival %d", (int)i);
    return true;
}

bool road_state_check(CityRoad *road, CityStateReader *in)
{
    return !in->bad && check_pool(road, in) && check_lanes(road, in) && check_lists(road, in) &&
           check_pending(road, in) && road_demand_check(road->demand, in);
}
