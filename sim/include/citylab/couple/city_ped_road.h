/* People and vehicles at crossings (sim/couple/couple_ped_road.c): the
 * public face of the coupling for scenarios, the viewer and tests.
 *
 * The coupling attaches (city_couple_attach_all) when the world has both
 * a road and pedestrians with declared crossings (city_ped_crossing_add,
 * done by the SUMO walk loader). Every tick, in CONTROL, it
 *  - sets the crossings' doors from the traffic lights (link state G/g:
 *    open, anything else: closed for those stepping on) and, without a
 *    light, from the gaps people see in the traffic;
 *  - blocks the vehicle links that cross a crossing with a person on it,
 *    and at zebras with a person stepping onto it (city_road_link_set_blocked);
 *  - measures conflicts: time to collision, post-encroachment time and
 *    deceleration rate to avoid a crash, for vehicle-pedestrian pairs at
 *    crossings and vehicle-vehicle pairs inside junctions, and writes
 *    conflicts.csv and the KPIs conflicts, collisions, ped_conflicts_ttc. */
#ifndef CITY_PED_ROAD_H
#define CITY_PED_ROAD_H

#include <stdbool.h>
#include <stdint.h>

#include "city_world.h"

typedef enum CityConflictType {
    CITY_CONFLICT_VEH_PED = 0, /* a vehicle and a person at a crossing */
    CITY_CONFLICT_VEH_VEH = 1  /* two vehicles inside a junction */
} CityConflictType;

/* A measured conflict, as the viewer marks it. */
typedef struct CityConflictMark {
    double time_s;         /* when it was closest (or when the second party passed) */
    double x_m, y_m;       /* where */
    CityConflictType type; /* parties */
    double ttc_s;          /* least time to collision (INFINITY: none measured) */
    double pet_s;          /* post-encroachment time (INFINITY: none measured) */
    bool collision;        /* the parties touched */
} CityConflictMark;

/* The most recent conflicts (at most 256 kept) closed at or after since_s,
 * oldest first: copies up to cap into out and returns how many there are.
 * 0 when the coupling is not attached. Callable any time between steps. */
int32_t city_ped_road_conflicts(const CityWorld *world, double since_s, CityConflictMark *out, int32_t cap);

/* Counts so far: conflicts (rows of conflicts.csv), collisions (vehicle
 * and person touching) and vehicle-pedestrian conflicts with TTC under
 * the threshold. False (all 0) when the coupling is not attached. Any time. */
bool city_ped_road_counts(const CityWorld *world, uint64_t *conflicts, uint64_t *collisions, uint64_t *ped_ttc);

/* Switches vehicles' yielding to people at crossings on or off during a
 * run (the initial value is CityPedParams.yield). Between steps. */
CityStatus city_ped_road_set_yield(CityWorld *world, bool yield);

#endif
