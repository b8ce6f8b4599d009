/* Filling the result tables the city.* bindings return. */
#ifndef CITY_LUA_RESULT_H
#define CITY_LUA_RESULT_H

#include <stdbool.h>

#include <lua.h>

/* Each sets t[key] = v on the table on top of the stack; callable from any binding. */
void city_lua_set_number(lua_State *L, const char *key, double v);
void city_lua_set_int(lua_State *L, const char *key, lua_Integer v);
void city_lua_set_bool(lua_State *L, const char *key, bool v);
void city_lua_set_string(lua_State *L, const char *key, const char *v);

#endif
