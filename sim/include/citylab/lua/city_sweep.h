/* A sweep file: a sandboxed Lua file that names a scenario, the values of
 * its parameters (lists, ranges, Latin hypercube samples drawn with the
 * sweep's own seed) and the seeds; expanded here into a fixed list of
 * runs, one per parameter point and seed. Reading it needs Lua, so it
 * lives in sim/lua; running the runs is the CLI's business. */
#ifndef CITY_SWEEP_H
#define CITY_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_status.h"

typedef struct CitySweep {
    char *name;         /* sweep file stem, e.g. "demand" */
    char *path;         /* the sweep file (absolute) */
    char *scenario;     /* the scenario file (absolute); NULL when forking from a checkpoint */
    char *restore;      /* checkpoint every run forks from (absolute), or NULL */
    uint64_t seed;      /* the sweep's own seed (Latin hypercube samples) */
    double until_s;     /* end time for every run; < 0 = the scenario's */
    int32_t dt_ms;      /* tick length for every run; 0 = the scenario's */
    size_t n_params;    /* parameters, sorted by name */
    char **param_names; /* n_params names */
    size_t n_points;    /* parameter points (every list combination x every sample) */
    char **values;      /* n_points x n_params values as text, row-major */
    size_t n_seeds;     /* seeds per point */
    uint64_t *seeds;    /* the run seeds */
} CitySweep;

/* Reads and expands a sweep file. On error returns a status and one clear
 * line (file, what, how to fix) in err. Free with city_sweep_free. */
CityStatus city_sweep_load(const char *path, CitySweep **out, CityError *err);
void city_sweep_free(CitySweep *sweep);

/* Number of runs (points x seeds); run i is point i / n_seeds with seed
 * seeds[i % n_seeds]. */
size_t city_sweep_run_count(const CitySweep *sweep);
/* The run's folder name, "p0003-s4" (point 3, seed 4); stable for a sweep. */
void city_sweep_run_id(const CitySweep *sweep, size_t run, char *buf, size_t len);
/* Value of parameter p at point `point`. */
const char *city_sweep_value(const CitySweep *sweep, size_t point, size_t p);

#endif
