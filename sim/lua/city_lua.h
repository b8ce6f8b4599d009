/* Internal to sim/lua: the runtime interface the binding files
 * (lua_road*.c, lua_grid*.c, lua_map.c, ...) use, and the only thing of
 * the scenario runtime they see. Binding style (Lua 5.4's own): check all
 * arguments first, then act; misuse raises luaL_error with what and how to
 * fix; an expected failure returns nil, message. Results that are lists
 * come back as arrays sorted by id, never as hash tables to iterate. */
#ifndef CITY_LUA_H
#define CITY_LUA_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "city_world.h"

/* What the bindings need of the running scenario; owned by the scenario. */
typedef struct CityLuaRuntime {
    CityWorld *world;                       /* the scenario's world */
    const char *dir;                        /* folder of the scenario file, "" for inline */
    bool trusted;                           /* inline CLI scenario: may read any path */
    const struct CityControlBridge *bridge; /* citylab run --bridge: where bridged controllers run, or NULL */
    bool bridge_all;                        /* --bridge-all: every controller runs there */
} CityLuaRuntime;

/* Binds the runtime to an interpreter (and its coroutines); the scenario
 * calls it once after creating the state, rt outlives the state. */
void city_lua_runtime_bind(lua_State *L, const CityLuaRuntime *rt);

/* The world of the running scenario. */
CityWorld *city_lua_world(lua_State *L);

/* Pushes an array of the keys of the table at index t in the one order
 * citylab walks tables in (pairs() in scenarios, checkpoints): numbers by
 * value, then strings bytewise, then booleans, other keys last in table
 * order. Lua's own order changes from process to process (its string
 * hashes are seeded at random). Returns their count; -1 when out of memory
 * (nothing pushed). */
int city_lua_sorted_keys(lua_State *L, int t);

/* Resolves a data file named by a script (argument `arg`). A scenario may
 * only read relative paths without "..", found in its own folder or in
 * citylab's assets folder; the CLI's own inline scenario may name any path.
 * Raises a Lua error naming the file when it is not found. */
const char *city_lua_data_path(lua_State *L, int arg, char *buf, size_t len);

/* The run's bridge (NULL without --bridge) and whether every controller goes through it. */
const struct CityControlBridge *city_lua_bridge(lua_State *L);
bool city_lua_bridge_all(lua_State *L);

/* Raises a Lua error carrying the world's last error message. */
int city_lua_raise(lua_State *L, CityWorld *world, CityStatus status);

/* A heap copy of s owned by the caller (free it); raises a Lua error when
 * out of memory. */
char *city_lua_strdup(lua_State *L, const char *s);

/* Whether path names a regular file; callable anywhere. */
bool city_lua_regular_file(const char *path);

#endif
