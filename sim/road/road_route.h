/* Shortest-time routing on the edge graph (internal to sim/road).
 * A* with an admissible straight-line heuristic (distance / fastest speed
 * of the net); edges a class may not use, and turns it may not make
 * (CityRoadNet.succ_allow), are skipped. Ties break on edge index, so a
 * route is a pure function of (net, costs, from, to). */
#ifndef ROAD_ROUTE_H
#define ROAD_ROUTE_H

#include <stdint.h>

#include "city_road_net.h"

typedef struct RoadRouter RoadRouter;

/* A router for a finalized net (keeps scratch arrays sized to it). */
RoadRouter *road_router_create(const CityRoadNet *net);
void road_router_destroy(RoadRouter *router);

/* Fastest path from the start of from_edge to the end of to_edge for a
 * vehicle class. edge_cost_s[e] is the time to traverse edge e (NULL:
 * free-flow length / speed limit). Writes the edges (from_edge first,
 * to_edge last) into out and returns their number; -1 when to_edge cannot
 * be reached; -2 when cap is too small. */
int32_t road_router_route(RoadRouter *router, int32_t from_edge, int32_t to_edge, uint32_t vclass,
                          const double *edge_cost_s, int32_t *out, int32_t cap);

#endif
