/* city.param(name, default): a scenario's tunable numbers and switches,
 * set from the command line (--param name=value) or by a sweep, so one
 * scenario file runs alone or as one point of a parameter study. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_array.h"
#include "city_lua.h"
#include "scenario_internal.h"

static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 127)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

static CityParam *param_find(CityScenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->n_params; i++)
        if (!strcmp(sc->params[i].name, name))
            return &sc->params[i];
    return NULL;
}

static CityParam *param_add(CityScenario *sc, const char *name, size_t name_len, const char *value)
{
    if (!city_grow((void **)&sc->params, &sc->cap_params, sc->n_params + 1, sizeof *sc->params) ||
        !city_grow((void **)&sc->param_order, &sc->cap_param_order, sc->n_params + 1, sizeof *sc->param_order))
        return NULL;
    CityParam *p = &sc->params[sc->n_params];
    memset(p, 0, sizeof *p);
    p->name = malloc(name_len + 1);
    p->value = city_strdup(value);
    if (!p->name || !p->value) {
        free(p->name);
        free(p->value);
        return NULL;
    }
    memcpy(p->name, name, name_len);
    p->name[name_len] = '\0';
    sc->n_params++;
    return p;
}

CityStatus city_param_init(CityScenario *sc, const char *const *given, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(given[i], '=');
        size_t len = eq ? (size_t)(eq - given[i]) : 0;
        if (!eq || !valid_name(given[i], len))
            return city_world_fail(sc->world, CITY_ERR_INVALID,
                                   "--param '%s': expected NAME=VALUE with a name of letters, digits, '_', '-' or '.' "
                                   "(e.g. --param rate=900)",
                                   given[i]);
        char name[128];
        memcpy(name, given[i], len);
        name[len] = '\0';
        if (param_find(sc, name))
            return city_world_fail(sc->world, CITY_ERR_INVALID, "--param %s is given twice; give each parameter once",
                                   name);
        CityParam *p = param_add(sc, name, len, eq + 1);
        if (!p)
            return city_world_fail(sc->world, CITY_ERR_NOMEM, "out of memory");
        p->given = true;
    }
    return CITY_OK;
}

CityStatus city_param_check_used(CityScenario *sc)
{
    for (size_t i = 0; i < sc->n_params; i++) {
        if (sc->params[i].given && !sc->params[i].read)
            return city_world_fail(
                sc->world, CITY_ERR_INVALID,
                "--param %s: scenario %s never reads city.param(\"%s\", ...) in its top level; check "
                "the name (a typo would silently run the default)",
                sc->params[i].name, sc->name, sc->params[i].name);
    }
    return CITY_OK;
}

void city_param_free(CityScenario *sc)
{
    for (size_t i = 0; i < sc->n_params; i++) {
        free(sc->params[i].name);
        free(sc->params[i].value);
    }
    free(sc->params);
    free(sc->param_order);
    sc->params = NULL;
    sc->param_order = NULL;
    sc->n_params = sc->cap_params = sc->n_param_order = sc->cap_param_order = 0;
}

bool city_scenario_param_at(const CityScenario *sc, size_t i, const char **name, const char **value, bool *literal)
{
    if (i >= sc->n_param_order)
        return false;
    const CityParam *p = &sc->params[sc->param_order[i]];
    *name = p->name;
    *value = p->value;
    *literal = p->literal;
    return true;
}

/* Pushes a --param text converted to the type of the default at index 2. */
static void push_given(lua_State *L, const CityParam *p, int type)
{
    const char *v = p->value;
    if (type == LUA_TNUMBER) {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(d))
            luaL_error(L,
                       "city.param('%s'): value '%s' is not a number, and the default is one; pass e.g. --param %s=1.5",
                       p->name, v, p->name);
        if (lua_isinteger(L, 2) && d == floor(d) && fabs(d) < 9e15)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else if (type == LUA_TBOOLEAN) {
        bool t = !strcmp(v, "true") || !strcmp(v, "1"), f = !strcmp(v, "false") || !strcmp(v, "0");
        if (!t && !f)
            luaL_error(L, "city.param('%s'): value '%s' is not true or false, and the default is a boolean", p->name,
                       v);
        lua_pushboolean(L, t);
    } else {
        lua_pushstring(L, v);
    }
}

/* city.param(name, default) -> the --param value converted to the
 * default's type (number, boolean or string), else the default. */
static int l_param(lua_State *L)
{
    CityScenario *sc = city_scenario_from_state(L);
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    if (!valid_name(name, len))
        luaL_error(L, "city.param: name '%s' must be 1-127 letters, digits, '_', '-' or '.'", name);
    int type = lua_type(L, 2);
    if (type != LUA_TNUMBER && type != LUA_TBOOLEAN && type != LUA_TSTRING)
        luaL_error(L, "city.param('%s', default): the default must be a number, boolean or string (got %s)", name,
                   luaL_typename(L, 2));
    CityParam *p = param_find(sc, name);
    if (p && p->given) {
        push_given(L, p, type);
    } else {
        lua_pushvalue(L, 2);
    }
    if (!p || !p->read) {
        char text[64];
        const char *shown;
        if (type == LUA_TNUMBER) {
            lua_Number d = lua_tonumber(L, -1);
            if (lua_isinteger(L, -1))
                snprintf(text, sizeof text, "%lld", (long long)lua_tointeger(L, -1));
            else if (snprintf(text, sizeof text, "%.15g", (double)d) > 0 && strtod(text, NULL) != d)
                snprintf(text, sizeof text, "%.17g", (double)d);
            shown = text;
        } else if (type == LUA_TBOOLEAN) {
            shown = lua_toboolean(L, -1) ? "true" : "false";
        } else {
            shown = lua_tostring(L, -1);
        }
        if (!p && !(p = param_add(sc, name, len, shown)))
            luaL_error(L, "not enough memory");
        if (p->given && strcmp(p->value, shown) != 0) {
            char *copy = city_lua_strdup(L, shown);
            free(p->value);
            p->value = copy;
        }
        p->literal = type != LUA_TSTRING;
        p->read = true;
        sc->param_order[sc->n_param_order++] = (size_t)(p - sc->params);
    }
    return 1;
}

void city_lua_open_param(lua_State *L)
{
    lua_pushcfunction(L, l_param);
    lua_setfield(L, -2, "param");
}
