/* Internal to sim/lua: the binding modules, each a namespace of the `city`
 * table. Adding a domain's bindings is one line in lua_modules.c and one
 * open function here. */
#ifndef CITY_LUA_MODULES_H
#define CITY_LUA_MODULES_H

#include <lua.h>

/* Each pushes its namespace table (city.road, city.grid, ...) and returns 1,
 * like a Lua library's luaopen_ function. */
int city_lua_open_road(lua_State *L);
int city_lua_open_grid(lua_State *L);
int city_lua_open_map(lua_State *L);
int city_lua_open_ped(lua_State *L);
int city_lua_open_env(lua_State *L);
int city_lua_open_sensor(lua_State *L);
int city_lua_open_control(lua_State *L);

/* Sets city.<name> for every module, with the `city` table on top of the
 * stack; the scenario runtime calls it once per interpreter. */
void city_lua_open_modules(lua_State *L);

#endif
