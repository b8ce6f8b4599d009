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
/* Registers the functions whose argument tables are checked for unknown
 * keys (lua_strict.c); called once with the finished `city` table on top. */
void city_lua_strict_keys(lua_State *L);
/* Inside a binding: if the running binding is a checked one, raises an
 * error for a key of table t it does not know (once per table). */
void city_lua_strict_check(lua_State *L, int t);

#endif
