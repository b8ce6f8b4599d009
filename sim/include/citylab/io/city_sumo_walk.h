/* The walkable space of a SUMO network (.net.xml built by netconvert with
 * sidewalks and crossings): every lane whose allow list names
 * "pedestrian" (sidewalks, footways), every `crossing` and every
 * `walkingarea` becomes walkable areas of a CityPed.
 *  - a sidewalk or crossing lane is a chain of convex quads along its
 *    shape, as wide as the lane (mitred at bends), joined by doors;
 *    sidewalks have walls along both sides, crossings none (netconvert's
 *    walking areas overlap their ends, and a side wall reaching into a
 *    walking area pins walkers who aim past it);
 *  - a walking area is the convex hull of its shape and of the ends of the
 *    lanes that meet it (netconvert's outlines are sometimes not convex and
 *    sometimes collapse to a line), without walls;
 *  - every <connection> between a lane and a walking area is a door across
 *    the lane's end;
 *  - every crossing is declared (city_ped_crossing_add) with its junction
 *    link (its place in the junction's intLanes), the light and link index
 *    of the connection onto it, and priority when that connection's state
 *    is 'M' without a light (a zebra).
 * Edge walls of areas are turned off: the imported outlines only nearly
 * meet, and walkers keep to their areas by their local targets. */
#ifndef CITY_SUMO_WALK_H
#define CITY_SUMO_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "city_ped.h"
#include "city_status.h"

typedef struct CitySumoWalkInfo {
    int32_t sidewalks;    /* pedestrian lanes of normal edges read */
    int32_t crossings;    /* crossing lanes read */
    int32_t walkingareas; /* walking areas read */
    int32_t areas;        /* walkable areas made */
    int32_t doors;        /* doors made */
    int32_t walls;        /* walls made */
    int32_t skipped;      /* lanes or walking areas that gave no area (too short, degenerate) */
    int32_t declared;     /* crossings declared to the pedestrian model (city_ped_crossing_add) */
} CitySumoWalkInfo;

/* Adds the walkable space of the network at `path` to `ped` (before any
 * person departs). On error `err` says file, line and how to fix it;
 * `info` may be NULL. */
CityStatus city_sumo_walk_load(CityPed *ped, const char *path, CitySumoWalkInfo *info, CityError *err);

typedef struct CitySumoPersonsInfo {
    int32_t persons;      /* <person> elements read (one departure each) */
    int32_t person_flows; /* <personFlow> elements read */
} CitySumoPersonsInfo;

/* Pedestrian demand from a SUMO route file: every <person depart=> and
 * <personFlow begin= end= period=|perHour=|number=|probability=> whose
 * plan is <walk> stages (edges="a b c" or from= to=) becomes departures
 * from the first edge's sidewalk (departPos, default 0 m) to the last
 * edge's (arrivalPos, default its end), on the walkable space loaded from
 * the same network (city_sumo_walk_load first). Other stages (ride, stop,
 * personTrip) are refused with the line that holds them. `info` may be
 * NULL; on error `err` names file, line and fix. */
CityStatus city_sumo_persons_load(CityPed *ped, const char *net_path, const char *routes_path,
                                  CitySumoPersonsInfo *info, CityError *err);

#endif
