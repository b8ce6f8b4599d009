/* The scenario runtime: loads a Lua 5.4 scenario into a sandbox, builds
 * its world, runs it and evaluates its checks. Used by the CLI, the viewer
 * and the tests; the only public face of sim/lua. */
#ifndef CITY_SCENARIO_H
#define CITY_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_world.h"

#define CITY_LUA_DEFAULT_INSTRUCTIONS 200000000ull /* per step */
#define CITY_LUA_DEFAULT_MEMORY_MB 512u

/* Builds the city in C instead of a script (e.g. `citylab run --net`):
 * called once with the fresh world at tick 0. Returns CITY_OK, or an error
 * status with one clear line (what, where, how to fix) in the world's last
 * error (city_world_fail). */
typedef CityStatus (*CityScenarioBuildFn)(CityWorld *world, void *user);

typedef struct CityScenarioOptions {
    const char *path;                       /* scenario file; NULL when `source` or `build` is given */
    const char *source;                     /* inline scenario text (trusted: built by the caller) */
    CityScenarioBuildFn build;              /* or: builds the city in C (no script runs) */
    void *build_user;                       /* passed to build */
    const char *source_name;                /* name of the inline or built scenario (for messages and outputs) */
    uint64_t seed;                          /* run seed */
    int32_t dt_ms;                          /* tick length; 0 = the scenario's or the default */
    double until_s;                         /* end time; < 0 = the scenario's or its default */
    uint64_t instruction_limit;             /* Lua VM instructions per step (shared by all calls); 0 = default */
    size_t memory_limit_bytes;              /* Lua heap cap; 0 = default */
    const char *const *params;              /* "name=value" strings read by city.param (--param); not copied */
    size_t n_params;                        /* number of entries in params */
    const struct CityControlBridge *bridge; /* --bridge: controllers run by citylab-agent through it (may be NULL) */
    bool bridge_all;                        /* --bridge-all: all of them, not only those attached with bridge = true */
} CityScenarioOptions;

typedef struct CityScenario CityScenario;

/* Loads and runs the scenario's top-level code, which builds the city.
 * On failure returns an error status and fills err (there is no world left
 * to hold it) with one clear line: file:line, what, how to fix, and a
 * traceback for script errors. */
CityStatus city_scenario_load(const CityScenarioOptions *options, CityScenario **out, CityError *err);
/* Destroys the scenario and its world. */
void city_scenario_destroy(CityScenario *scenario);

/* The world the scenario built; owned by the scenario. */
CityWorld *city_scenario_world(CityScenario *scenario);
const CityWorld *city_scenario_world_const(const CityScenario *scenario);
/* Scenario name (file stem), e.g. "default". */
const char *city_scenario_name(const CityScenario *scenario);
/* Tick at which the run ends (from --until, the scenario, or its default). */
int64_t city_scenario_end_tick(const CityScenario *scenario);

/* Advances one tick; an error (e.g. a failing script callback) is the
 * world's last error, worded like city_scenario_load's. */
CityStatus city_scenario_step(CityScenario *scenario);
/* The i-th parameter the scenario read with city.param (in first-read
 * order): its name, effective value as text, and whether that text is a
 * literal (a number, or true/false) rather than a string.
 * Returns false past the end. Strings are owned by the scenario. */
bool city_scenario_param_at(const CityScenario *scenario, size_t i, const char **name, const char **value,
                            bool *literal);

/* ---- checkpoints ---------------------------------------------------------
 * A checkpoint file holds the whole run at a tick: the world (clock, RNG
 * streams, pending events, KPIs, checks, output tables, every subsystem)
 * and the scenario's own Lua data, in a versioned binary format, plus an
 * opaque block for the caller (the event log written so far). */

typedef struct CityCheckpointInfo {
    char version[64];     /* citylab version that wrote it */
    char scenario[4096];  /* scenario file it was taken from ("" for a built-in one) */
    uint64_t source_hash; /* of the scenario file's bytes */
    uint64_t seed;        /* the run seed */
    int32_t dt_ms;        /* tick length */
    int64_t tick;         /* the tick it was taken at */
    size_t n_params;      /* --param values the run was given */
    char **params;        /* "name=value" (owned) */
    size_t body_at;       /* where the state after the header (the world's) starts in the file */
} CityCheckpointInfo;

/* Reads a checkpoint's header; refuses a file that is not one, is damaged,
 * or comes from another citylab version or format (one clear line in err). */
CityStatus city_checkpoint_peek(const char *path, CityCheckpointInfo *info, CityError *err);
void city_checkpoint_info_free(CityCheckpointInfo *info);
/* Writes a checkpoint of the scenario between steps, with `extra` (may be
 * NULL) stored alongside; written whole or not at all. Errors are the
 * world's last error. */
CityStatus city_scenario_save(CityScenario *scenario, const char *path, const void *extra, size_t extra_len);
/* Restores a checkpoint into a scenario just loaded with the options the
 * checkpoint names (same file, seed, dt and parameters). *extra receives a
 * heap copy of the stored block (the caller frees it). Errors are the
 * world's last error. */
CityStatus city_scenario_restore(CityScenario *scenario, const char *path, void **extra, size_t *extra_len);

/* Evaluates end-of-run checks and KPIs; call once after the last step.
 * Errors as city_scenario_step. */
CityStatus city_scenario_finish(CityScenario *scenario);

/* A controller the scenario attached (city.control.attach), for the viewer. */
typedef struct CityControllerInfo {
    const char *name;         /* owned by the scenario */
    bool failed;              /* stopped after an error or a budget overrun (its actuators fail safe) */
    uint64_t activations;     /* step() and timer calls so far */
    const int32_t *actuators; /* indices of the actuators it drives (city_control.h), owned by the scenario */
    int32_t n_actuators;
} CityControllerInfo;
/* The i-th controller in attach order; false past the last. Between steps. */
bool city_scenario_controller_at(const CityScenario *scenario, int32_t i, CityControllerInfo *out);

#endif
