/* The coupling layer: the one place where domains meet. A coupling reads
 * one domain's committed state and writes another domain's inputs, at a
 * fixed phase of the tick (COMMIT), as a world subsystem of its own. The
 * domains never include each other; only sim/couple includes two of them.
 *
 * Each coupling is one file in sim/couple/ and one line in the table of
 * sim/couple/couple.c. It attaches only when the domains it joins exist in
 * the world, so a world without them hashes and runs exactly as before. */
#ifndef CITY_COUPLE_H
#define CITY_COUPLE_H

#include "city_world.h"

/* Attaches every coupling whose domains are present, in table order. Call
 * once, after the scenario built its domains and before the first step
 * (the scenario runtime does; C callers that build worlds by hand do it
 * themselves). Calling again attaches nothing twice. On error the world
 * error says which coupling failed. */
CityStatus city_couple_attach_all(CityWorld *world);

#endif
