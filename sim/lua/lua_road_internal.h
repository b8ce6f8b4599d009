/* Private to the city.road binding files (lua_road*.c): what they share. */
#ifndef LUA_ROAD_INTERNAL_H
#define LUA_ROAD_INTERNAL_H

#include <stdint.h>

#include <lua.h>

#include "city_road.h"

/* The world's road subsystem; raises a Lua error when there is none yet. */
CityRoad *lua_road_of(lua_State *L);
/* Index of a normal (not internal) edge; raises "what: no road edge ..." otherwise. */
int32_t lua_road_edge(lua_State *L, CityRoad *road, const char *id, const char *what);
/* Field `key` of table t (a Lua list or a space-separated string of edge
 * ids) as edge indices in a buffer the Lua stack keeps alive until the
 * binding returns; NULL and *n = 0 when the field is nil. */
int32_t *lua_road_edge_list(lua_State *L, CityRoad *road, int t, const char *key, int32_t *n, const char *what);
/* The class bit of a vehicle class name; raises a Lua error naming the classes otherwise. */
uint32_t lua_road_class(lua_State *L, const char *name);
/* Raises a Lua error carrying the world's last error. */
int lua_road_raise(lua_State *L);
/* Makes the network the world's road subsystem, with the options in table
 * opt_table (0: defaults); takes ownership of net, raises on failure. */
CityRoad *lua_road_install(lua_State *L, CityRoadNet *net, int opt_table);

/* Each adds its bindings to the city.road table on top of the stack. */
void lua_road_open_build(lua_State *L);
void lua_road_open_demand(lua_State *L);
void lua_road_open_state(lua_State *L);
void lua_road_open_signals(lua_State *L); /* lua_road_signals.c */

#endif
