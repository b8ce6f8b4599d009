/* Internal to sim/lua: what domain bindings (lua_road.c, lua_grid.c, ...)
 * need from the scenario runtime. Binding style (Lua 5.4's own): check all
 * arguments first, then act; misuse raises luaL_error with what and how to
 * fix; an expected failure returns nil, message. Results that are lists
 * come back as arrays sorted by id, never as hash tables to iterate. */
#ifndef CITY_LUA_H
#define CITY_LUA_H

#include <lua.h>
#include <stddef.h>

#include "city_world.h"

/* The world of the running scenario. */
CityWorld *city_lua_world(lua_State *L);

/* Resolves a data file named by a script (argument `arg`). A scenario may
 * only read relative paths without "..", found in its own folder or in
 * citylab's assets folder; the CLI's own inline scenario may name any path.
 * Raises a Lua error naming the file when it is not found. */
const char *city_lua_data_path(lua_State *L, int arg, char *buf, size_t len);

/* Raises a Lua error carrying the world's last error message. */
int city_lua_raise(lua_State *L, CityWorld *world, CityStatus status);

/* Registers a domain namespace: called with the `city` table on top of
 * the stack; sets city.<name>. One per domain binding file. */
void city_lua_open_road(lua_State *L);
void city_lua_open_grid(lua_State *L);
void city_lua_open_map(lua_State *L);

#endif
