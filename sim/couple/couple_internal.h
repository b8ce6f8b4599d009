/* Private to sim/couple: the table entry of a coupling. */
#ifndef CITY_COUPLE_INTERNAL_H
#define CITY_COUPLE_INTERNAL_H

#include "city_couple.h"
#include "city_state.h"

typedef struct CouplingDef {
    const char *name; /* subsystem name, unique */
    /* Registers the coupling as a COMMIT subsystem when the domains it
     * joins are present; returns CITY_OK without registering otherwise. */
    CityStatus (*attach)(CityWorld *world, const char *name);
} CouplingDef;

/* Registers a coupling with no state of its own as a COMMIT subsystem that
 * runs `step` every tick (load: NULL for city_state_load_none); its self is a
 * placeholder so the world can find it by name (couple.c). */
/* Registers `self` (owned by the world from then on; freed with `destroy`
 * when registering fails) as a COMMIT subsystem that runs `step` every tick
 * and saves nothing in checkpoints (load: NULL for city_state_load_none). */
CityStatus couple_attach_commit(CityWorld *world, const char *name, void *self,
                                CityStatus (*step)(CityWorld *world, void *self, int64_t tick),
                                void (*destroy)(void *self),
                                CityStatus (*load)(CityWorld *world, void *self, CityStateReader *in));

CityStatus couple_attach_stateless(CityWorld *world, const char *name,
                                   CityStatus (*step)(CityWorld *world, void *self, int64_t tick),
                                   CityStatus (*load)(CityWorld *world, void *self, CityStateReader *in));

/* Checkpoint of what a controller coupling last applied per actuator (couple.c). */
void couple_save_applied(CityStateWriter *out, int32_t n, const double *applied);
CityStatus couple_load_applied(CityStateReader *in, int32_t n, double *applied);

/* One attach function per coupling file. */
CityStatus couple_ev_attach(CityWorld *world, const char *name);             /* couple_ev.c */
CityStatus couple_emission_attach(CityWorld *world, const char *name);       /* couple_emission.c */
CityStatus couple_sensor_road_attach(CityWorld *world, const char *name);    /* couple_sensor_road.c */
CityStatus couple_sensor_lane_attach(CityWorld *world, const char *name);    /* couple_sensor_lane.c */
CityStatus couple_sensor_env_attach(CityWorld *world, const char *name);     /* couple_sensor_env.c */
CityStatus couple_weather_power_attach(CityWorld *world, const char *name);  /* couple_weather_power.c */
CityStatus couple_sensor_power_attach(CityWorld *world, const char *name);   /* couple_sensor_power.c */
CityStatus couple_control_road_attach(CityWorld *world, const char *name);   /* couple_control_road.c */
CityStatus couple_control_power_attach(CityWorld *world, const char *name);  /* couple_control_power.c */
CityStatus couple_ped_env_attach(CityWorld *world, const char *name);        /* couple_ped_env.c */
CityStatus couple_sensor_ped_attach(CityWorld *world, const char *name);     /* couple_sensor_ped.c */
CityStatus couple_control_access_attach(CityWorld *world, const char *name); /* couple_control_access.c */
CityStatus couple_ped_road_attach(CityWorld *world, const char *name);       /* couple_ped_road.c */

#endif
