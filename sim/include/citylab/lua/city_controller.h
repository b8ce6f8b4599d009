/* A controller (Lua file in its own sandboxed state, or a C shared object
 * through device.h) and the host it runs against. The controller never
 * sees the world: readings come in through city_controller_reading, its
 * commands, log lines and fail-safe requests go out through a
 * CityControllerPort. citylab's port is the control domain of the run;
 * citylab-agent's is an MQTT broker. The same code runs both.
 *
 * Also the bridge interface: a scenario's controller attached with
 * `bridge = true` (or all of them with `citylab run --bridge`) is run by a
 * remote agent; the run hands each exchange to a CityControlBridge. */
#ifndef CITY_CONTROLLER_H
#define CITY_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_reading.h"
#include "city_status.h"

typedef struct CityController CityController;
typedef struct CityControlBridge CityControlBridge;
/* Compiled Lua controller files, shared by the controllers of one run so
 * that a file attached to 100 lights is compiled once (lua_control_chunks.c). */
typedef struct CityChunkCache CityChunkCache;

/* Where a controller's calls go. Every function receives ctx. */
typedef struct CityControllerPort {
    void *ctx;
    /* Time now, ms (simulation time in a run, the clock or wall time in the agent). */
    int64_t (*now_ms)(void *ctx);
    /* Sends a command; NULL when acknowledged, else the reason it was refused (static). */
    const char *(*command)(void *ctx, const char *actuator, double value, int64_t issued_ms);
    /* A line for the event log of kind "controller" (already prefixed with the controller's name). */
    void (*log)(void *ctx, const char *message);
    /* Puts the controller's actuators at their safe defaults (error, budget, stale inputs). */
    void (*failsafe)(void *ctx, const char *why);
    /* Ends the fail-safe of stale inputs (fresh readings again). */
    void (*release)(void *ctx);
    /* Frees ctx with the controller (may be NULL). */
    void (*destroy)(void *ctx);
} CityControllerPort;

typedef struct CityControllerSpec {
    const char *name;                /* controller name (logs, commands.csv source, RNG stream) */
    const char *path;                /* its file: .lua, or .so (device.h) */
    const char *source_name;         /* the file as the scenario named it, for messages (NULL: path) */
    const char **sensors;            /* sensor ids it may read: "name" (all quantities) or "name/quantity" */
    int32_t n_sensors;               /* */
    const char **channels;           /* "name/quantity" channels known in advance (may be NULL) */
    int32_t n_channels;              /* */
    const char **param_keys;         /* params, as strings */
    const char **param_vals;         /* */
    int32_t n_params;                /* */
    int32_t period_ticks;            /* step() every this many ticks (>= 1) of city_controller_tick */
    double stale_s;                  /* no input for this long puts its actuators in fail-safe (0: never) */
    uint64_t instr_limit;            /* Lua instructions per tick */
    size_t mem_limit;                /* bytes of its Lua heap */
    uint64_t seed;                   /* run seed: with the name, seeds random() */
    const CityControlBridge *bridge; /* non-NULL: run by a remote agent through it (path unused) */
    CityChunkCache *chunks;          /* a Lua file's compiled chunk is kept and looked up here (NULL: none) */
} CityControllerSpec;

/* An empty cache of compiled controller files; NULL when out of memory
 * (then give the spec none). Freed by city_chunk_cache_free (NULL is fine)
 * once no controller is being created with it. */
CityChunkCache *city_chunk_cache_new(void);
void city_chunk_cache_free(CityChunkCache *cache);

/* Creates a controller and runs its file's top level and init(); NULL with
 * err filled (what, where, how to fix; CITY_ERR_SCRIPT when its code
 * fails, err may be NULL). The port is copied; its destroy runs with
 * city_controller_free (also on failure here). */
CityController *city_controller_new(const CityControllerSpec *spec, const CityControllerPort *port, CityError *err);
/* Closes its state, frees it and its port. NULL is fine. */
void city_controller_free(CityController *c);
/* A reading arrived: stored and given to its subscribers (or on_reading)
 * when it is one of its sensors; false when it is not (nothing happens). */
bool city_controller_reading(CityController *c, const CityReading *r);
/* One tick: stale check, due timers, then step() when `step` is true.
 * Errors and budget overruns put its actuators in fail-safe and stop it. */
void city_controller_run(CityController *c, bool step);
/* A fork of a restored run: its random() stream starts again from `mixed`
 * (the new seed mixed with the tick, see city_world_reseed). */
void city_controller_reseed(CityController *c, uint64_t mixed);
/* Starts a fresh instruction budget (at the start of each tick). */
void city_controller_new_budget(CityController *c);
/* The budget also starts again whenever *epoch has changed since the
 * controller last counted (a run bumps one counter per tick instead of
 * touching every controller); epoch outlives the controller (NULL: off). */
void city_controller_share_epoch(CityController *c, const uint64_t *epoch);
/* True when city_controller_run(c, false) would do nothing until the
 * controller runs again (a Lua controller with no timer, subscription or
 * stale check, or a stopped one): a caller may skip it between periods. */
bool city_controller_quiet(const CityController *c);
/* Name; NULL or why it stopped; number of calls into it; its earliest due timer in ms (-1: none). */
const char *city_controller_name(const CityController *c);
const char *city_controller_failure(const CityController *c);
uint64_t city_controller_activations(const CityController *c);
int64_t city_controller_next_timer_ms(const CityController *c);
/* Bridge exchanges that timed out (0 for a controller run in-process). */
uint64_t city_controller_misses(const CityController *c);
/* Stops it as if it had raised `why` (a remote controller that failed): fail-safe, logged. */
void city_controller_stop(CityController *c, const char *why);

/* ---- bridge: a scenario's controller run by citylab-agent -------------- */

/* One lockstep exchange, from the run to the remote controller. */
typedef struct CityBridgeTick {
    const char *controller;      /* its name */
    int64_t now_ms;              /* the run's time (ms): the exchange's key */
    uint64_t seed;               /* run seed (random() of the remote) */
    bool step;                   /* its control period is due */
    const CityReading *readings; /* its readings that arrived since the last exchange */
    size_t n_readings;           /* */
} CityBridgeTick;

/* What came back. */
typedef struct CityBridgeResult {
    bool done;         /* false: no "done" before the timeout (a missed period) */
    int64_t wake_ms;   /* the remote's next due timer, ms (-1: none) */
    char failed[256];  /* non-empty: the remote controller stopped, and why */
    uint64_t commands; /* commands applied in this exchange */
    uint64_t rejected; /* messages refused (malformed, unknown) in this exchange */
} CityBridgeResult;

/* Applies one command of the remote through the run's control domain: NULL (ack) or the refusal reason. */
typedef const char *(*CityBridgeApply)(void *apply_ctx, const char *actuator, double value, int64_t issued_ms);

/* The run's link to the broker (citylab run --bridge); outlives the scenario. */
struct CityControlBridge {
    void *ctx;
    /* Publishes the tick (readings, clock), applies the commands that come back
     * through apply, and returns when the remote says done or the timeout passes. */
    void (*exchange)(void *ctx, const CityBridgeTick *t, CityBridgeApply apply, void *apply_ctx, CityBridgeResult *out);
};

#endif
