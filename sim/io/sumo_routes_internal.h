/* Pieces of the SUMO routes reader (internal to sim/io). */
#ifndef SUMO_ROUTES_INTERNAL_H
#define SUMO_ROUTES_INTERNAL_H

#include <stdbool.h>

#include "sumo_xml.h"

/* Refuses (sumo_fail, false) the first attribute of a demand element
 * (vType, vehicle, trip, flow, route, routeDistribution,
 * vTypeDistribution) that citylab neither reads nor knows to change
 * nothing, or whose value is not the one citylab accepts; true otherwise
 * and for other elements. */
bool sumo_routes_check_attrs(SumoParse *p, const char *element, const char **attrs);

#endif
