/* Demand of the road subsystem (internal to sim/road): trips, flows and
 * OD-matrix slices turned into departures, tick by tick. Random demand
 * (Poisson flows, OD departure times) draws from the rng passed in, in a
 * fixed order, so the same seed gives the same departures. */
#ifndef ROAD_DEMAND_H
#define ROAD_DEMAND_H

#include <stdint.h>

#include <stdbool.h>

#include "city_hash.h"
#include "city_state.h"
#include "city_rng.h"
#include "city_road.h"

/* One vehicle due to enter. Pointers stay valid until the next
 * road_demand_emit call. */
typedef struct RoadDeparture {
    const char *name; /* vehicle name ("flowid.7", trip id, ...) */
    int32_t vtype;    /* -1: default car */
    double depart_s;  /* scheduled time (may be < now for late insertion) */
    int32_t route;    /* route index, or -1: from/to via */
    int32_t from_edge, to_edge;
    const int32_t *via;
    int32_t n_via;
    CityDepartDef depart;
} RoadDeparture;

typedef CityStatus (*RoadDepartFn)(void *user, const RoadDeparture *departure);

typedef struct RoadDemand RoadDemand;

RoadDemand *road_demand_create(void);
void road_demand_destroy(RoadDemand *demand);

/* Adds definitions (copied). Errors describe the definition. */
CityStatus road_demand_add_trip(RoadDemand *demand, const CityTripDef *def, CityError *err);
CityStatus road_demand_add_flow(RoadDemand *demand, const CityFlowDef *def, CityError *err);
CityStatus road_demand_add_od(RoadDemand *demand, const CityOdDef *def, CityError *err);

/* Calls fn for every departure with depart time < end_s not emitted yet,
 * ordered by (depart time, definition order, sequence). */
CityStatus road_demand_emit(RoadDemand *demand, double end_s, CityRng *rng, RoadDepartFn fn, void *user);
/* Whether road_demand_emit would emit a departure before end_s. */
bool road_demand_due(const RoadDemand *demand, double end_s);

/* Departures still to come (for "all demand served" checks); a flow
 * without an end counts as infinite (INT64_MAX). */
int64_t road_demand_pending(const RoadDemand *demand);

void road_demand_hash(const RoadDemand *demand, CityHash *hash);
/* Checkpoints: what each definition emitted and the departures to come. */
void road_demand_save(const RoadDemand *demand, CityStateWriter *out);
bool road_demand_load(RoadDemand *demand, CityStateReader *in);
/* After a load: each OD pair's trips still to leave lie between 0 and its
 * trips rounded up, and every pair with a trip queued has
 * one left; false (the reader failed with the pair) otherwise. */
bool road_demand_check(const RoadDemand *demand, CityStateReader *in);

#endif
