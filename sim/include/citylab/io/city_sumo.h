/* SUMO file import: networks (.net.xml, as written by netconvert and
 * netgenerate) and demand (.rou.xml / .trips.xml: vTypes, routes,
 * vehicles, trips and flows). Parsed with expat; every error names the
 * file and line, what is wrong and how to fix it. */
#ifndef CITY_SUMO_H
#define CITY_SUMO_H

#include <stddef.h>

#include "city_road.h"
#include "city_road_net.h"

/* Loads a network and finalizes it; *out is owned by the caller. On error
 * *out is NULL and err holds "FILE:LINE: what; how to fix". */
CityStatus city_sumo_load_net(const char *path, CityRoadNet **out, CityError *err);

/* Adds the vehicle types, routes, vehicles, trips and flows of a demand
 * file to a road subsystem (its network must contain every edge named).
 * On error the world's last error holds "FILE:LINE: what; how to fix". */
CityStatus city_sumo_load_routes(CityRoad *road, const char *path);

#endif
