/* Reading the fields of a Lua argument table, for the city.* bindings.
 * Each raises a Lua error naming the field when its type is wrong. */
#ifndef CITY_LUA_FIELDS_H
#define CITY_LUA_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include <lua.h>

/* A finite number, or dflt when the field is nil. */
double city_lua_field_number(lua_State *L, int t, const char *key, double dflt);
/* A string (alive as long as the table references it), or dflt. */
const char *city_lua_field_string(lua_State *L, int t, const char *key, const char *dflt);
/* Lua truthiness, or dflt when nil. */
bool city_lua_field_bool(lua_State *L, int t, const char *key, bool dflt);
/* A whole number in int32 range; nil gives dflt, or an error when required. */
int32_t city_lua_field_int(lua_State *L, int t, const char *key, bool required, int32_t dflt);
/* A whole number (integer or integral float) from lo to hi, or dflt when
 * nil: a count or an index from the script, checked before it becomes an
 * integer (1e300 is an error naming the field, never a wrapped value). */
int64_t city_lua_field_count(lua_State *L, int t, const char *key, int64_t dflt, int64_t lo, int64_t hi);
/* Whether the field is set (not nil). */
bool city_lua_field_has(lua_State *L, int t, const char *key);

#endif
