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
 *    the lane's end.
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
} CitySumoWalkInfo;

/* Adds the walkable space of the network at `path` to `ped` (before any
 * person departs). On error `err` says file, line and how to fix it;
 * `info` may be NULL. */
CityStatus city_sumo_walk_load(CityPed *ped, const char *path, CitySumoWalkInfo *info, CityError *err);

#endif
