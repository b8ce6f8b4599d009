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
/* Refuses (sumo_fail, false) a <param> that equips a vehicle or type with
 * one of SUMO's devices that change how it drives or where it goes
 * (has.rerouting.device="true", device.rerouting.period, ...); true for
 * every other parameter (outputs' devices, emission models' figures, keys
 * SUMO does not read). */
bool sumo_routes_check_param(SumoParse *p, const char **attrs);

#endif
