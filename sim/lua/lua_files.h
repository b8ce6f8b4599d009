/* Data files the city.* bindings read, shared by the binding files. */
#ifndef CITY_LUA_FILES_H
#define CITY_LUA_FILES_H

#include <lua.h>

#include "city_sumo_poly.h"

/* Reads the SUMO polygons named by the fields of table t: poly= (required),
 * net= (a network whose <location> projects geo shapes) and types= (a
 * comma-separated list, default "building"). Raises a Lua error naming the
 * file and line, or "what needs poly = ..." when poly= is missing. The
 * caller frees *set with city_poly_set_free (nothing is left to free when
 * it raises). */
void city_lua_read_polygons(lua_State *L, int t, const char *what, CityPolySet *set);

#endif
