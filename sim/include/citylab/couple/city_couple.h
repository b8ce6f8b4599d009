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

#include <stdbool.h>

#include "city_env.h"
#include "city_road.h"
#include "city_world.h"

/* Attaches every coupling whose domains are present, in table order. Call
 * once, after the scenario built its domains and before the first step
 * (the scenario runtime does; C callers that build worlds by hand do it
 * themselves). Calling again attaches nothing twice. On error the world
 * error says which coupling failed. */
CityStatus city_couple_attach_all(CityWorld *world);

/* Pedestrian exposure to PM2.5 (couple_ped_env.c): concentration x time,
 * summed over everyone walking, once a second of simulation, at each
 * person's position: the truth (background plus the traffic share of the
 * air cell) and what the sensor network says (the last reading of the
 * nearest PM2.5 air sensor that has reported). */
typedef struct CityPedExposure {
    double persons;       /* people who entered the walkable space */
    double person_h;      /* person-hours walked (h) */
    double true_ugh_m3;   /* summed true exposure (ug h / m3) */
    double sensed_ugh_m3; /* summed exposure as the sensors say (ug h / m3; NAN without PM2.5 sensors) */
} CityPedExposure;

/* The totals so far; false (and zeros) when the world has no pedestrians
 * or no environment. Callable any time. */
bool city_couple_ped_exposure(const CityWorld *world, CityPedExposure *out);

/* EV charging (couple_ev.c): EVs that arrived low near a charger, what
 * their drive left them, what they took home. */
typedef struct CityEvCharging {
    uint64_t sessions;     /* EVs that plugged in */
    uint64_t finished;     /* of those, unplugged again */
    uint64_t no_charger;   /* arrived low and found no free charger in reach */
    uint64_t lost;         /* finished sessions that left with less than they came with (a fault: 0) */
    int32_t plugged;       /* plugged in now */
    double plugged_in_kwh; /* battery energy they plugged in with, summed */
    double set_off_kwh;    /* battery energy those EVs had set off with, summed */
    double charged_kwh;    /* energy finished sessions took home */
    double peak_kw;        /* highest draw of all chargers together */
} CityEvCharging;

/* The totals so far; false (and zeros) when the world has no road or no
 * grid. Callable any time. */
bool city_couple_ev_charging(const CityWorld *world, CityEvCharging *out);

/* The emission class the traffic-emission coupling (couple_emission.c)
 * gives vehicle v: by its vehicle class; a car electric when it carries a
 * battery, else diesel for 30 % of cars by a hash of its name, so a trip
 * keeps its fuel whatever else the traffic does. */
CityEmissionClass city_couple_emission_class(const CityVehicleView *v);

#endif
