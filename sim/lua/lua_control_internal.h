/* Internal to sim/lua: Lua controllers, each in its own sandboxed
 * lua_State with its own instruction and memory budgets, seeing the world
 * only through the device API (lua_control_host.c); the "controllers"
 * subsystem that feeds them readings and runs them (lua_control.c). */
#ifndef LUA_CONTROL_INTERNAL_H
#define LUA_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_reading.h"
#include "city_world.h"

typedef struct Controller Controller;

typedef struct ControllerSpec {
    const char *name;        /* controller name (logs, commands.csv source, RNG stream) */
    const char *path;        /* resolved Lua file */
    const char **sensors;    /* sensor ids it may read: "name" (all quantities) or "name/quantity" */
    int32_t n_sensors;       /* */
    const int32_t *allowed;  /* actuator indices it may drive */
    int32_t n_allowed;       /* */
    const char **param_keys; /* params, as strings */
    const char **param_vals; /* */
    int32_t n_params;        /* */
    int32_t period_ticks;    /* step() every this many ticks (>= 1) */
    double stale_s;          /* inputs older than this put its actuators in fail-safe (0: never) */
    uint64_t instr_limit;    /* Lua instructions per tick */
    size_t mem_limit;        /* bytes of its Lua heap */
} ControllerSpec;

/* Creates a controller and runs its file's top level; NULL with err filled
 * (what, where, how to fix) on a bad spec or a file that does not load. */
Controller *control_host_new(CityWorld *w, const ControllerSpec *spec, char *err, size_t err_len);
/* Closes its state and frees it. */
void control_host_free(Controller *c);
/* A reading arrived: stored if the controller reads that sensor, then its subscribers run. */
void control_host_reading(Controller *c, const CityReading *r);
/* One tick: stale check, due timers, step() on its period. Errors and budget overruns put its
 * actuators in fail-safe and stop it; the run goes on. */
void control_host_tick(Controller *c, int64_t tick);
/* Starts a fresh instruction budget (the subsystem, at the start of each tick). */
void control_host_new_budget(Controller *c);
/* Name, failure state and counters for hashes and Lua. */
const char *control_host_name(const Controller *c);
bool control_host_failed(const Controller *c);
uint64_t control_host_activations(const Controller *c);
/* The actuator indices it may drive (owned by the controller). */
const int32_t *control_host_actuators(const Controller *c, int32_t *n);

#endif
