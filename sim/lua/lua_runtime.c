/* The runtime interface the binding files use (city_lua.h): the running
 * scenario's world, its data files and raising its errors. It knows nothing
 * of the scenario's internals: the scenario binds a CityLuaRuntime to the
 * interpreter when it creates it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>

#include "city_array.h"
#include "city_lua.h"
#include "city_paths.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

void city_lua_runtime_bind(lua_State *L, const CityLuaRuntime *rt)
{
    *(const CityLuaRuntime **)lua_getextraspace(L) = rt;
}

static const CityLuaRuntime *runtime(lua_State *L)
{
    return *(const CityLuaRuntime **)lua_getextraspace(L);
}

CityWorld *city_lua_world(lua_State *L)
{
    return runtime(L)->world;
}

const struct CityControlBridge *city_lua_bridge(lua_State *L)
{
    return runtime(L)->bridge;
}

bool city_lua_bridge_all(lua_State *L)
{
    return runtime(L)->bridge_all;
}

int city_lua_raise(lua_State *L, CityWorld *world, CityStatus status)
{
    const char *msg = city_world_error(world);
    return luaL_error(L, "%s", msg[0] ? msg : city_status_name(status));
}

/* --- data folder and paths --- */

bool city_lua_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const char *city_lua_data_path(lua_State *L, int arg, char *buf, size_t len)
{
    const CityLuaRuntime *rt = runtime(L);
    const char *name = luaL_checkstring(L, arg);
    if (rt->trusted) {
        if (!city_lua_regular_file(name))
            luaL_error(L, "file not found: %s", name);
        snprintf(buf, len, "%s", name);
        return buf;
    }
    bool bad = name[0] == '/' || name[0] == '\0' || strstr(name, "..") != NULL;
    if (bad)
        luaL_error(L,
                   "'%s': a scenario may only name files by a relative path without '..', found in its "
                   "own folder or in citylab's assets folder",
                   name);
    const char *roots[3] = {rt->dir[0] ? rt->dir : NULL, NULL, NULL};
    char assets[PATH_MAX];
    snprintf(assets, sizeof assets, "%s/assets", city_data_dir());
    roots[1] = assets;
    roots[2] = city_data_dir();
    for (int i = 0; i < 3; i++) {
        if (!roots[i])
            continue;
        snprintf(buf, len, "%s/%s", roots[i], name);
        if (city_lua_regular_file(buf))
            return buf;
    }
    luaL_error(L, "file '%s' not found in the scenario's folder (%s) or in %s", name, rt->dir[0] ? rt->dir : "-",
               assets);
    return NULL;
}

char *city_lua_strdup(lua_State *L, const char *s)
{
    char *p = city_strdup(s);
    if (!p)
        luaL_error(L, "not enough memory");
    return p;
}
