/* Scenario lifecycle: create the sandbox and the world, run the script's
 * top level (which builds the city), step, and evaluate end-of-run checks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>

#include "city_lua.h"
#include "scenario_internal.h"

#define DEFAULT_UNTIL_S 3600.0

CityScenario *city_scenario_from_state(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

CityWorld *city_lua_world(lua_State *L)
{
    return city_scenario_from_state(L)->world;
}

int city_lua_raise(lua_State *L, CityWorld *world, CityStatus status)
{
    const char *msg = city_world_error(world);
    return luaL_error(L, "%s", msg[0] ? msg : city_status_name(status));
}

/* --- data folder and paths --- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *city_lua_data_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    const char *env = getenv("CITYLAB_DATA");
    if (env && env[0]) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    char exe[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 32];
            snprintf(cand, sizeof cand, "%s/../share/citylab/scenarios", exe);
            if (is_dir(cand)) {
                snprintf(dir, sizeof dir, "%s/../share/citylab", exe);
                return dir;
            }
        }
    }
#ifdef CITY_SOURCE_DIR
    if (is_dir(CITY_SOURCE_DIR "/scenarios")) {
        snprintf(dir, sizeof dir, "%s", CITY_SOURCE_DIR);
        return dir;
    }
#endif
#ifdef CITY_DATA_INSTALL_DIR
    snprintf(dir, sizeof dir, "%s", CITY_DATA_INSTALL_DIR);
#else
    snprintf(dir, sizeof dir, ".");
#endif
    return dir;
}

static bool regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const char *city_lua_data_path(lua_State *L, int arg, char *buf, size_t len)
{
    CityScenario *sc = city_scenario_from_state(L);
    const char *name = luaL_checkstring(L, arg);
    if (sc->trusted) {
        if (!regular_file(name))
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
    const char *roots[3] = {sc->dir[0] ? sc->dir : NULL, NULL, NULL};
    char assets[PATH_MAX];
    snprintf(assets, sizeof assets, "%s/assets", city_lua_data_dir());
    roots[1] = assets;
    roots[2] = city_lua_data_dir();
    for (int i = 0; i < 3; i++) {
        if (!roots[i])
            continue;
        snprintf(buf, len, "%s/%s", roots[i], name);
        if (regular_file(buf))
            return buf;
    }
    luaL_error(L, "file '%s' not found in the scenario's folder (%s) or in %s", name, sc->dir[0] ? sc->dir : "-",
               assets);
    return NULL;
}

/* --- lifecycle --- */

static void set_name_and_dir(CityScenario *sc, const CityScenarioOptions *o)
{
    if (o->path) {
        char *real = realpath(o->path, NULL);
        snprintf(sc->path, sizeof sc->path, "%s", real ? real : o->path);
        free(real);
        snprintf(sc->dir, sizeof sc->dir, "%s", sc->path);
        char *slash = strrchr(sc->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(sc->dir, sizeof sc->dir, ".");
        const char *base = strrchr(o->path, '/');
        base = base ? base + 1 : o->path;
        snprintf(sc->name, sizeof sc->name, "%s", base);
    } else {
        snprintf(sc->name, sizeof sc->name, "%s", o->source_name ? o->source_name : "inline");
    }
    char *dot = strrchr(sc->name, '.');
    if (dot && strcmp(dot, ".lua") == 0)
        *dot = '\0';
}

CityStatus city_scenario_load(const CityScenarioOptions *o, CityScenario **out, char *err, size_t err_len)
{
    *out = NULL;
    err[0] = '\0';
    if (!o->path && !o->source) {
        snprintf(err, err_len, "no scenario given; pass SCENARIO.lua or --net FILE.net.xml");
        return CITY_ERR_INVALID;
    }
    if (o->path && !regular_file(o->path)) {
        snprintf(err, err_len, "%s: scenario file not found (%s); check the path", o->path,
                 errno ? strerror(errno) : "not a file");
        return CITY_ERR_INVALID;
    }
    CityScenario *sc = calloc(1, sizeof *sc);
    if (!sc) {
        snprintf(err, err_len, "out of memory");
        return CITY_ERR_NOMEM;
    }
    set_name_and_dir(sc, o);
    sc->trusted = o->path == NULL;
    sc->mem_limit = o->memory_limit_bytes ? o->memory_limit_bytes : (size_t)CITY_LUA_DEFAULT_MEMORY_MB << 20;
    sc->instr_limit = o->instruction_limit ? o->instruction_limit : CITY_LUA_DEFAULT_INSTRUCTIONS;
    sc->dt_forced = o->dt_ms > 0;
    sc->until_forced = o->until_s >= 0;
    sc->until_s = sc->until_forced ? o->until_s : DEFAULT_UNTIL_S;
    sc->err = err;
    sc->err_len = err_len;

    CityWorldConfig cfg = {o->seed, o->dt_ms > 0 ? o->dt_ms : CITY_DEFAULT_DT_MS};
    sc->world = city_world_create(&cfg);
    sc->L = sc->world ? lua_newstate(city_sandbox_alloc, sc) : NULL;
    if (!sc->L) {
        snprintf(err, err_len, "out of memory creating the scenario");
        city_scenario_destroy(sc);
        return CITY_ERR_NOMEM;
    }
    city_sandbox_open(sc);
    city_lua_open_city(sc);

    int st;
    if (o->path) {
        char chunk[PATH_MAX + 1];
        snprintf(chunk, sizeof chunk, "@%s", o->path);
        st = city_sandbox_loadfile(sc->L, o->path, chunk);
    } else {
        char chunk[300];
        snprintf(chunk, sizeof chunk, "=%s", sc->name);
        st = luaL_loadbufferx(sc->L, o->source, strlen(o->source), chunk, "t");
    }
    if (st != LUA_OK) {
        snprintf(err, err_len, "%s", lua_tostring(sc->L, -1));
        city_scenario_destroy(sc);
        return CITY_ERR_PARSE;
    }
    city_sandbox_new_budget(sc);
    CityStatus cs = city_sandbox_call(sc, 0, 0);
    if (cs != CITY_OK) {
        city_scenario_destroy(sc);
        return cs == CITY_ERR_LIMIT ? cs : CITY_ERR_SCRIPT;
    }
    *out = sc;
    return CITY_OK;
}

void city_scenario_destroy(CityScenario *sc)
{
    if (!sc)
        return;
    if (sc->L)
        lua_close(sc->L);
    for (size_t i = 0; i < sc->n_callbacks; i++)
        free(sc->callbacks[i].name);
    free(sc->callbacks);
    for (size_t i = 0; i < sc->n_end_items; i++)
        free(sc->end_items[i].name);
    free(sc->end_items);
    city_world_destroy(sc->world);
    free(sc);
}

CityWorld *city_scenario_world(CityScenario *sc)
{
    return sc->world;
}
const CityWorld *city_scenario_world_const(const CityScenario *sc)
{
    return sc->world;
}
const char *city_scenario_name(const CityScenario *sc)
{
    return sc->name;
}

int64_t city_scenario_end_tick(const CityScenario *sc)
{
    return city_world_ticks_for(sc->world, sc->until_s);
}

CityStatus city_scenario_step(CityScenario *sc, char *err, size_t err_len)
{
    sc->err = err;
    sc->err_len = err_len;
    err[0] = '\0';
    city_sandbox_new_budget(sc);
    sc->in_step = true;
    CityStatus st = city_world_step(sc->world);
    sc->in_step = false;
    if (st != CITY_OK && err[0] == '\0')
        snprintf(err, err_len, "%s", city_world_error(sc->world));
    return st;
}

CityStatus city_scenario_finish(CityScenario *sc, char *err, size_t err_len)
{
    sc->err = err;
    sc->err_len = err_len;
    err[0] = '\0';
    if (sc->finished)
        return CITY_OK;
    sc->finished = true;
    CityStatus fst = city_world_finish(sc->world);
    if (fst != CITY_OK) {
        snprintf(err, err_len, "%s", city_world_error(sc->world));
        return fst;
    }
    lua_State *L = sc->L;
    city_sandbox_new_budget(sc);
    for (size_t i = 0; i < sc->n_end_items; i++) {
        CityEndItem *item = &sc->end_items[i];
        lua_rawgeti(L, LUA_REGISTRYINDEX, item->fn_ref);
        CityStatus st = city_sandbox_call(sc, 0, 2);
        if (st != CITY_OK)
            return st;
        if (item->is_kpi) {
            int isnum;
            double v = lua_tonumberx(L, -2, &isnum);
            if (!isnum) {
                snprintf(err, err_len, "%s: KPI '%s' must return a number, got %s", sc->name, item->name,
                         luaL_typename(L, -2));
                lua_pop(L, 2);
                return CITY_ERR_SCRIPT;
            }
            city_world_kpi_set(sc->world, item->name, v);
        } else {
            const char *msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
            city_world_check_report(sc->world, item->name, lua_toboolean(L, -2), msg);
        }
        lua_pop(L, 2);
    }
    /* A check declared for periodic evaluation that never ran fails. */
    for (size_t i = 0; i < city_world_check_count(sc->world); i++) {
        const CityCheck *c = city_world_check_at(sc->world, i);
        if (!c->evaluated)
            city_world_check_report(sc->world, c->name, false,
                                    "never evaluated (the run ended before its first evaluation)");
    }
    return CITY_OK;
}
