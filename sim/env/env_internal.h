/* Private to sim/env. */
#ifndef ENV_INTERNAL_H
#define ENV_INTERNAL_H

#include "city_env.h"

typedef struct EnvAir {
    CityAirOptions o;                         /* as set up */
    int32_t nx, ny;                           /* cells along x and y */
    double *mass[CITY_SPECIES_COUNT];         /* ug per cell, row-major from (x0, y0) */
    double *pending[CITY_SPECIES_COUNT];      /* emitted ug per cell waiting for the next step */
    double *conc[CITY_SPECIES_COUNT];         /* ug/m3 per cell (mass / cell volume), kept in step */
    double *flux;                             /* scratch: mass change per cell in a substep */
    CityAirBudget budget[CITY_SPECIES_COUNT]; /* since setup */
} EnvAir;

struct CityEnv {
    CityWorld *world;
    CityWeather *weather; /* series, t_s increasing */
    size_t n_weather;
    CityEpisode *episodes;
    size_t n_episodes;
    double background[CITY_SPECIES_COUNT]; /* ug/m3 outside episodes */
    EnvAir air;                            /* nx == 0 without a grid */
    int64_t air_last_ms;                   /* when the field last advanced */
};

/* Frees the grid arrays (env_air.c). */
void env_air_free(EnvAir *air);

#endif
