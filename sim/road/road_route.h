/* Shortest-time routing on the edge graph (internal to sim/road).
 * A* with admissible estimates, the straight line's and 16 landmarks'
 * (road_route.c); edges a class may not use, and turns it may not make
 * (CityRoadNet.succ_allow, or past the closed lanes: see
 * road_router_lane_changed), are skipped. Ties break on edge index, so a
 * route is a pure function of (net, closures, costs, from, to).
 *
 * A route's cost counts its junctions as SUMO's routers count them (the
 * connection's internal lanes are edges of their graph): each turn from
 * edge a onto edge b costs the time to drive the internal lanes of the
 * quickest connection from a to b at their speed limits, plus
 * ROAD_MINOR_PENALTY_S for each of those internal lanes entered through a
 * minor link outside a light (CityConnection.minor_hops: a U-turn through
 * an internal waiting point pays it twice, as in duarouter's costs; paid
 * once a turn, such U-turns were taken where duarouter's routes go round:
 * 12 of the 30 routes of center-p6's trips that differed from
 * duarouter's). Without the junctions' costs every turn was free: on a
 * grid, routes that tie in edge time took left turns and U-turns as
 * readily as straight runs, and the traffic they added to the junctions'
 * conflicts locked a 3 x 3 grid of lights at one trip every 2 s where SUMO
 * serves it in 80 s a trip. */
#ifndef ROAD_ROUTE_H
#define ROAD_ROUTE_H

#include <stdint.h>

#include "city_road_net.h"

typedef struct RoadRouter RoadRouter;

/* The time (s) to drive edge e at its speed limit: its cost when no
 * estimate is given, and where the estimates start; and lane l's. */
static inline double road_edge_free_time_s(const CityEdge *e)
{
    return e->length_m / (e->speed_mps > 0.1 ? e->speed_mps : 0.1);
}
static inline double road_lane_free_time_s(const CityLane *l)
{
    return l->length_m / (l->speed_mps > 0.1 ? l->speed_mps : 0.1);
}

/* SUMO's --weights.minor-penalty (its default): the time a route pays for
 * each internal lane entered through a link of state m, =, s or w (a minor
 * link, a junction of equal roads, a stop or an all-way stop; a light's
 * links pay none: city_link_state_minor). */
#define ROAD_MINOR_PENALTY_S 1.5

/* A router for a finalized net (keeps scratch arrays sized to it). */
RoadRouter *road_router_create(const CityRoadNet *net);
void road_router_destroy(RoadRouter *router);

/* Fastest path from the start of from_edge to the end of to_edge for a
 * vehicle class. edge_cost_s[e] is the time to traverse edge e up to its
 * stop line (NULL: free-flow length / speed limit); the junctions between
 * edges add their turn costs (above) to either. Writes the edges (from_edge first,
 * to_edge last) into out and returns their number; -1 when to_edge cannot
 * be reached; -2 when cap is too small. */
int32_t road_router_route(RoadRouter *router, int32_t from_edge, int32_t to_edge, uint32_t vclass,
                          const double *edge_cost_s, int32_t *out, int32_t cap);

/* The same, never making the turns ban[0, n_ban) (indices into
 * CityRoadNet.succ: road_router_turn). */
int32_t road_router_route_avoiding(RoadRouter *router, int32_t from_edge, int32_t to_edge, uint32_t vclass,
                                   const double *edge_cost_s, const int32_t *ban, int32_t n_ban, int32_t *out,
                                   int32_t cap);
/* The turn from edge a onto edge b (its index into CityRoadNet.succ), or -1. */
int32_t road_router_turn(const RoadRouter *router, int32_t a, int32_t b);

/* Lane closures. lane_closed[l] tells whether lane l of the net is closed
 * (no vehicle enters it). A turn from edge a onto edge b is then made only
 * from an open lane of a onto an open lane of b, and an edge closed all
 * across is entered by no route (one may start on it: its vehicles were
 * on it when it closed, or wait to enter it when it opens): every turn
 * of a route found can be made past the closures. Closures are rare and
 * routing is hot: the router keeps the turns' classes past the closures
 * and takes anew only those a lane's change touches; a search costs the
 * same with lanes closed or not.
 * After lane `lane` opened or closed (lane_closed already says which);
 * false when out of memory (the router then still sees the old closures). */
bool road_router_lane_changed(RoadRouter *router, const bool *lane_closed, int32_t lane);
/* Every lane at once (a restored checkpoint); false when out of memory. */
bool road_router_set_closures(RoadRouter *router, const bool *lane_closed);
/* Index i of the first turn edges[i - 1] -> edges[i] of a route that a
 * class cannot make now (as a search from edges[0] sees the closures), or
 * -1 when it can make them all. */
int32_t road_router_blocked_at(const RoadRouter *router, const int32_t *edges, int32_t n, uint32_t vclass);
/* The searches road_router_route made so far (tests count them). */
uint64_t road_router_searches(const RoadRouter *router);

/* The routes found for departures while the costs are the free-flow ones
 * (a route is then a pure function of its key): trips and flows between
 * the same edges take the route found for the first, not a search each.
 * Keys are int32 lists (from, to, class, via...); the results hold for one
 * closure epoch (a lane closed or opened changes which routes can be
 * driven) and are forgotten when it changes or when they fill the memo's
 * bound. A speed-up only: every result equals the search's. No state for
 * a checkpoint (a restored run searches again and finds the same). */
typedef struct RoadRouteMemo RoadRouteMemo;

RoadRouteMemo *road_route_memo_create(void);
void road_route_memo_destroy(RoadRouteMemo *memo);
/* The remembered result for key[0, n) under epoch: its edges, with their
 * number in *len (-1: no route; the pointer is then not NULL but holds
 * nothing); NULL when there is none. Valid until the next put. */
const int32_t *road_route_memo_get(RoadRouteMemo *memo, uint32_t epoch, const int32_t *key, int32_t n, int32_t *len);
/* Remembers edges[0, len) (len -1: no route) for key[0, n) under epoch;
 * false when out of memory (nothing remembered, the memo still works). */
bool road_route_memo_put(RoadRouteMemo *memo, uint32_t epoch, const int32_t *key, int32_t n, const int32_t *edges,
                         int32_t len);

#endif
