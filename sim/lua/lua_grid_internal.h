/* Private to the city.grid binding files (lua_grid*.c): what they share. */
#ifndef LUA_GRID_INTERNAL_H
#define LUA_GRID_INTERNAL_H

#include <lua.h>

#include "city_grid.h"

/* The world's grid, created (and attached as the "power" subsystem) on first use. */
CityGrid *lua_grid_of(lua_State *L);
/* Raises a Lua error "what: <the grid's last error>". */
int lua_grid_raise(lua_State *L, CityGrid *g, const char *what);
/* "nr" or "sweep"; any other name raises a Lua error saying which to use. */
CityPfMethod lua_grid_method(lua_State *L, const char *name);
/* Drops the profile names of the old grid when a new grid replaces it. */
void lua_grid_forget_profiles(lua_State *L);

/* Each adds its bindings to the city.grid table on top of the stack. */
void lua_grid_open_net(lua_State *L);
void lua_grid_open_devices(lua_State *L);
void lua_grid_open_events(lua_State *L);
void lua_grid_open_results(lua_State *L);

#endif
