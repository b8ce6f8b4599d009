/* Private to lua_state.c and lua_closure.c: the walk over a scenario's
 * Lua state that writes it into a checkpoint or reads it back. */
#ifndef CITY_LUA_STATE_INTERNAL_H
#define CITY_LUA_STATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "scenario_internal.h"

enum { V_NIL, V_FALSE, V_TRUE, V_INT, V_FLT, V_STR, V_TABLE, V_TREF, V_FUNC, V_FREF, V_CFUNC, V_BUILTIN };

typedef struct Walk {
    CityScenario *sc;
    lua_State *L;
    CityStateWriter *out; /* saving */
    CityStateReader *in;  /* loading */
    int builtins;         /* stack index: library table -> name (save), name -> table (load) */
    int seen;             /* stack index: table/function -> id (save), unused on load */
    int tables;           /* stack index: id -> table (load) */
    int funcs;            /* stack index: id -> function, in discovery order */
    int cells;            /* stack index: upvalue id -> where first seen, function * 1024 + index (save) */
    int made;             /* stack index: closures made during the run, by number (load) */
    lua_Integer n_tables, n_funcs;
    lua_Integer next_func; /* first function whose upvalues are not walked yet */
    size_t *runtime;       /* pending callbacks made during the run (save) */
    size_t n_runtime;
    const char *where;   /* what is being walked, for messages */
    char where_buf[320]; /* storage for a composed `where` */
    bool failed;
    char msg[512];
} Walk;

/* Records the first failure (with w->where) and marks the reader bad. */
bool lua_walk_fail(Walk *w, const char *what);
/* Writes the value at idx (tables by content, functions by place). */
void lua_walk_save_value(Walk *w, int idx);
/* Pushes the saved value, reading into `cur` (a stack index or 0) in place. */
void lua_walk_load_value(Walk *w, int cur);

/* lua_closure.c: pending callbacks made during the run, as verified bytecode */
void lua_walk_save_closures(Walk *w);
void lua_walk_load_closures(Walk *w);

#endif
