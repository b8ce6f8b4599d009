/* Private to sim/couple: the table entry of a coupling. */
#ifndef CITY_COUPLE_INTERNAL_H
#define CITY_COUPLE_INTERNAL_H

#include "city_couple.h"

typedef struct CouplingDef {
    const char *name; /* subsystem name, unique */
    /* Registers the coupling as a COMMIT subsystem when the domains it
     * joins are present; returns CITY_OK without registering otherwise. */
    CityStatus (*attach)(CityWorld *world, const char *name);
} CouplingDef;

/* One attach function per coupling file. */
CityStatus couple_ev_attach(CityWorld *world, const char *name); /* couple_ev.c */

#endif
