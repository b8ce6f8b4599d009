#include "lua_fields.h"

#include <math.h>

#include <lauxlib.h>

#include "lua_modules.h"

double city_lua_field_number(lua_State *L, int t, const char *key, double dflt)
{
    city_lua_strict_check(L, t);
    lua_getfield(L, t, key);
    double v = dflt;
    if (!lua_isnil(L, -1)) {
        int ok;
        v = lua_tonumberx(L, -1, &ok);
        if (!ok || !isfinite(v))
            luaL_error(L, "field '%s' must be a finite number, got %s", key, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return v;
}

const char *city_lua_field_string(lua_State *L, int t, const char *key, const char *dflt)
{
    city_lua_strict_check(L, t);
    lua_getfield(L, t, key);
    const char *s = dflt;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "field '%s' must be a string, got %s", key, luaL_typename(L, -1));
        s = lua_tostring(L, -1);
    }
    lua_pop(L, 1); /* the string stays alive: the argument table references it */
    return s;
}

bool city_lua_field_bool(lua_State *L, int t, const char *key, bool dflt)
{
    city_lua_strict_check(L, t);
    lua_getfield(L, t, key);
    bool b = lua_isnil(L, -1) ? dflt : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return b;
}

int32_t city_lua_field_int(lua_State *L, int t, const char *key, bool required, int32_t dflt)
{
    city_lua_strict_check(L, t);
    lua_getfield(L, t, key);
    if (lua_isnil(L, -1)) {
        if (required)
            luaL_error(L, "field '%s' (a whole number) is required", key);
        lua_pop(L, 1);
        return dflt;
    }
    int ok;
    lua_Integer v = lua_tointegerx(L, -1, &ok);
    if (!ok || v < INT32_MIN || v > INT32_MAX)
        luaL_error(L, "field '%s' must be a whole number, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return (int32_t)v;
}

int64_t city_lua_field_count(lua_State *L, int t, const char *key, int64_t dflt, int64_t lo, int64_t hi)
{
    city_lua_strict_check(L, t);
    lua_getfield(L, t, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return dflt;
    }
    int ok;
    double v = lua_tonumberx(L, -1, &ok);
    if (!ok || !(v >= (double)lo && v <= (double)hi) || v != floor(v))
        luaL_error(L, "field '%s' must be a whole number from %I to %I, got %s", key, (lua_Integer)lo, (lua_Integer)hi,
                   lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
    lua_pop(L, 1);
    return (int64_t)v;
}

bool city_lua_field_has(lua_State *L, int t, const char *key)
{
    city_lua_strict_check(L, t);
    lua_getfield(L, t, key);
    bool has = !lua_isnil(L, -1);
    lua_pop(L, 1);
    return has;
}
