/* Private to sim/lua: the scenario runtime's state, shared by scenario.c
 * (lifecycle), sandbox.c (limits, safe library) and lua_city.c (the `city`
 * namespace). */
#ifndef CITY_SCENARIO_INTERNAL_H
#define CITY_SCENARIO_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <lua.h>

#include "city_lua.h"
#include "city_scenario.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

typedef enum CityAbort {
    CITY_ABORT_NONE = 0,
    CITY_ABORT_INSTRUCTIONS, /* instruction budget of one call used up */
    CITY_ABORT_MEMORY        /* heap cap reached */
} CityAbort;

typedef enum CityCallbackKind {
    CITY_CB_AT,    /* one-shot timed callback */
    CITY_CB_EVERY, /* periodic callback */
    CITY_CB_CHECK, /* periodic check */
    CITY_CB_SERIES /* periodic time-series sample */
} CityCallbackKind;

typedef struct CityCallback {
    CityCallbackKind kind; /* what firing it means */
    int fn_ref;            /* registry reference of the Lua function */
    int64_t period_ticks;  /* repeat period (0 for one-shot) */
    char *name;            /* check or series name (NULL otherwise) */
    bool cancelled;        /* set by city.cancel; the event is then ignored */
    bool live;             /* in use (false: on the free list, fn_ref released) */
    uint32_t generation;   /* bumped on every reuse of the slot; part of the handle */
    size_t next_free;      /* free list link (index + 1; 0 = end) */
    bool made_in_run;      /* registered after the top level (a checkpoint cannot rebuild it by rerunning) */
    int64_t last_tick;     /* a periodic callback is not re-armed past this tick (INT64_MAX: never ends) */
} CityCallback;

typedef struct CityEndItem {
    int fn_ref;        /* registry reference */
    char *name;        /* check or KPI name */
    bool is_kpi;       /* KPI (number) or check (boolean, message) */
    int64_t from_tick; /* check window start (0: the run's start) */
    int64_t to_tick;   /* check window end, its verdict taken then (-1: the end of the run) */
    bool whole_run;    /* the window ends at the scenario's configured until_s */
} CityEndItem;

typedef struct CityParam {
    char *name;   /* parameter name */
    char *value;  /* effective value as text (numbers as %.17g) */
    bool literal; /* the default was a number or boolean (value is a literal) */
    bool given;   /* set by --param (else the default) */
    bool read;    /* city.param asked for it */
} CityParam;

struct CityScenario {
    lua_State *L;        /* the sandboxed interpreter */
    CityWorld *world;    /* owned */
    CityLuaRuntime rt;   /* what the bindings see: world, dir, trusted */
    char name[256];      /* scenario name (file stem) */
    char path[PATH_MAX]; /* scenario file, "" for inline */
    char dir[PATH_MAX];  /* folder of the scenario file, "" for inline */
    bool trusted;        /* inline CLI scenario: may read any path */

    size_t mem_used;       /* bytes the Lua heap holds */
    size_t mem_limit;      /* cap on mem_used */
    bool heap_refused;     /* the C heap refused an allocation (the run's --mem-mb cap) */
    uint64_t instr_limit;  /* VM instructions (and charged C work) per step */
    uint64_t instr_used;   /* used in the current step */
    CityAbort abort;       /* why the script was stopped, sticky */
    char abort_where[512]; /* file:line where it was stopped */

    bool dt_forced;        /* --dt given: city.config cannot change it */
    bool until_forced;     /* --until given */
    double until_s;        /* end time */
    double config_until_s; /* until_s the scenario configured (-1: none), even under --until */

    CityCallback *callbacks; /* index = event arg */
    size_t n_callbacks, cap_callbacks;
    CityEndItem *end_items; /* evaluated by city_scenario_finish */
    size_t n_end_items, cap_end_items;
    bool finished;        /* city_scenario_finish ran */
    bool in_step;         /* inside city_scenario_step: "now" has begun firing */
    size_t free_callback; /* head of the list of free slots (index + 1; 0 = none) */

    CityParam *params; /* --param values first, then defaults read; index = first-read order among read ones */
    size_t n_params, cap_params;
    size_t *param_order; /* indices into params in first-read order */
    size_t n_param_order, cap_param_order;

    size_t n_top_callbacks; /* callbacks the top level registered (a restore rebuilds exactly these) */
    bool top_done;          /* the top level has run: callbacks from now on are made during the run */
};

/* sandbox.c */
void *city_sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
void city_sandbox_open(CityScenario *sc);
/* Calls the function below nargs arguments on the stack, with the
 * instruction budget reset and a traceback on error. On error writes the
 * message into the world's last error and returns its status. */
CityStatus city_sandbox_call(CityScenario *sc, int nargs, int nresults);
/* Charges C-side work done for the script (pattern matching steps, loops
 * on counts it gave) to the step's instruction budget; raises the budget
 * error when it is used up. Callable only from C functions called by Lua. */
void city_sandbox_charge(lua_State *L, uint64_t instructions);
/* Starts a new instruction budget: one for the top level, one per step
 * (every callback in it shares it), one for the end-of-run items. */
void city_sandbox_new_budget(CityScenario *sc);

/* sandbox_pattern.c: string.find, match, gmatch, gsub under the budget, and
 * string.rep, table.move, table.concat charged for their loops. */
void city_sandbox_open_patterns(lua_State *L);
/* Loads a text chunk from a file with the sandbox's globals as its _ENV. */
int city_sandbox_loadfile(lua_State *L, const char *path, const char *chunkname);

/* lua_city.c */
void city_lua_open_city(CityScenario *sc);
CityStatus city_lua_fire_callback(CityWorld *world, void *user, int64_t arg);

/* lua_param.c: --param values, city.param, and the check that every given
 * parameter was read. */
CityStatus city_param_init(CityScenario *sc, const char *const *given, size_t n);
CityStatus city_param_check_used(CityScenario *sc);
void city_param_free(CityScenario *sc);
void city_lua_open_param(lua_State *L);

/* lua_state.c: the scenario's own state in checkpoints: callbacks and the
 * plain data (nil, booleans, numbers, strings, tables of those) that its
 * globals, loaded modules and the upvalues of its functions hold. */
CityStatus city_lua_state_save(CityScenario *sc, CityStateWriter *out);
CityStatus city_lua_state_load(CityScenario *sc, CityStateReader *in);

/* scenario.c */
CityScenario *city_scenario_from_state(lua_State *L);

#endif
