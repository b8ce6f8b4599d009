/* Scenario lifecycle: create the sandbox and the world, run the script's
 * top level (which builds the city), step, and evaluate end-of-run checks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>

#include "city_couple.h"
#include "city_lua.h"
#include "scenario_internal.h"

#define DEFAULT_UNTIL_S 3600.0

CityScenario *city_scenario_from_state(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
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

/* Runs the scenario's top level (file or inline text), or its C builder. */
static CityStatus build_city(CityScenario *sc, const CityScenarioOptions *o)
{
    if (o->build)
        return o->build(sc->world, o->build_user);
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
    if (st != LUA_OK)
        return city_world_fail(sc->world, CITY_ERR_PARSE, "%s", lua_tostring(sc->L, -1));
    CityStatus cs = city_sandbox_call(sc, 0, 0);
    if (cs != CITY_OK)
        return cs == CITY_ERR_LIMIT ? cs : CITY_ERR_SCRIPT;
    return CITY_OK;
}

/* A load that failed after the world existed: its last error goes to err. */
static CityStatus load_failed(CityScenario *sc, CityStatus st, CityError *err)
{
    city_error_set(err, st, "%s", city_world_error(sc->world));
    city_scenario_destroy(sc);
    return st;
}

/* Opens the sandboxed libraries and the city API inside a protected call:
 * under a tiny memory cap the allocation fails there, and an unprotected
 * Lua error would abort the whole process. */
static int open_libraries_protected(lua_State *L)
{
    CityScenario *sc = lua_touserdata(L, 1);
    city_sandbox_open(sc);
    city_lua_open_city(sc);
    return 0;
}

static CityStatus open_libraries(CityScenario *sc)
{
    lua_pushcfunction(sc->L, open_libraries_protected);
    lua_pushlightuserdata(sc->L, sc);
    if (lua_pcall(sc->L, 1, 0, 0) == LUA_OK)
        return CITY_OK;
    lua_pop(sc->L, 1);
    return city_world_fail(
        sc->world, CITY_ERR_LIMIT,
        "the Lua memory cap (%zu bytes) is too small to open citylab's libraries; raise --lua-mem-mb", sc->mem_limit);
}

CityStatus city_scenario_load(const CityScenarioOptions *o, CityScenario **out, CityError *err)
{
    *out = NULL;
    city_error_clear(err);
    if (!o->path && !o->source && !o->build)
        return city_error_set(err, CITY_ERR_INVALID, "no scenario given; pass SCENARIO.lua or --net FILE.net.xml");
    if (o->path && !city_lua_regular_file(o->path))
        return city_error_set(err, CITY_ERR_INVALID, "%s: scenario file not found (%s); check the path", o->path,
                              errno ? strerror(errno) : "not a file");
    CityScenario *sc = calloc(1, sizeof *sc);
    if (!sc)
        return city_error_set(err, CITY_ERR_NOMEM, "out of memory");
    set_name_and_dir(sc, o);
    sc->trusted = o->path == NULL;
    sc->mem_limit = o->memory_limit_bytes ? o->memory_limit_bytes : (size_t)CITY_LUA_DEFAULT_MEMORY_MB << 20;
    sc->instr_limit = o->instruction_limit ? o->instruction_limit : CITY_LUA_DEFAULT_INSTRUCTIONS;
    sc->dt_forced = o->dt_ms > 0;
    sc->until_forced = o->until_s >= 0;
    sc->until_s = sc->until_forced ? o->until_s : DEFAULT_UNTIL_S;
    sc->config_until_s = -1;

    CityWorldConfig cfg = {o->seed, o->dt_ms > 0 ? o->dt_ms : CITY_DEFAULT_DT_MS};
    sc->world = city_world_create(&cfg);
    sc->L = sc->world ? lua_newstate(city_sandbox_alloc, sc) : NULL;
    if (!sc->L) {
        city_scenario_destroy(sc);
        return city_error_set(err, CITY_ERR_NOMEM, "out of memory creating the scenario");
    }
    sc->rt = (CityLuaRuntime){sc->world, sc->dir, sc->trusted, o->bridge, o->bridge_all};
    city_lua_runtime_bind(sc->L, &sc->rt);
    CityStatus pst = city_param_init(sc, o->params, o->n_params);
    if (pst != CITY_OK)
        return load_failed(sc, pst, err);
    if (open_libraries(sc) != CITY_OK)
        return load_failed(sc, CITY_ERR_LIMIT, err);
    CityStatus ns = city_world_name_event(sc->world, "lua.callback", city_lua_fire_callback, sc);
    if (ns != CITY_OK)
        return load_failed(sc, ns, err);

    city_sandbox_new_budget(sc);
    CityStatus cs = build_city(sc, o);
    if (cs != CITY_OK)
        return load_failed(sc, cs, err);
    /* The script built the domains; the couplings between them join now. */
    if ((cs = city_couple_attach_all(sc->world)) != CITY_OK)
        return load_failed(sc, cs, err);
    if ((cs = city_param_check_used(sc)) != CITY_OK)
        return load_failed(sc, cs, err);
    sc->n_top_callbacks = sc->n_callbacks;
    sc->top_done = true;
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
    city_param_free(sc);
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

CityStatus city_scenario_step(CityScenario *sc)
{
    city_sandbox_new_budget(sc);
    sc->in_step = true;
    CityStatus st = city_world_step(sc->world);
    sc->in_step = false;
    return st;
}

/* Where a check stands when the run ends: its window was not reached (the
 * run stopped first), its verdict was taken when the window closed, or it
 * is judged now. */
typedef enum WindowState { WINDOW_NOT_REACHED, WINDOW_CLOSED, WINDOW_JUDGE_NOW } WindowState;

static WindowState window_state(const CityScenario *sc, const CityEndItem *item, double *need_s)
{
    const CityWorld *w = sc->world;
    int64_t now = city_world_tick(w), dt = city_world_dt_ms(w);
    int64_t need = item->to_tick >= 0 ? item->to_tick : item->from_tick;
    if (item->whole_run && item->to_tick < 0) {
        double until = sc->config_until_s >= 0 ? sc->config_until_s : sc->until_s;
        int64_t t = (int64_t)ceil(until * 1000.0 / (double)dt - 1e-9);
        need = t > need ? t : need;
    }
    *need_s = (double)need * (double)dt / 1000.0;
    if (now < need)
        return WINDOW_NOT_REACHED;
    return item->to_tick >= 0 && now > item->to_tick ? WINDOW_CLOSED : WINDOW_JUDGE_NOW;
}

/* Evaluates the end-of-run KPIs and the checks whose window the run covered. */
static CityStatus finish_items(CityScenario *sc)
{
    lua_State *L = sc->L;
    for (size_t i = 0; i < sc->n_end_items; i++) {
        CityEndItem *item = &sc->end_items[i];
        double need_s = 0;
        WindowState ws = item->is_kpi ? WINDOW_JUDGE_NOW : window_state(sc, item, &need_s);
        if (ws == WINDOW_NOT_REACHED) {
            char msg[200];
            snprintf(msg, sizeof msg, "not reached: the run ended at %.1f s, its window needs %.1f s",
                     city_world_time_s(sc->world), need_s);
            if (city_world_check_not_reached(sc->world, item->name, msg) != CITY_OK)
                return CITY_ERR_NOMEM;
            continue;
        }
        if (ws == WINDOW_CLOSED)
            continue;
        lua_rawgeti(L, LUA_REGISTRYINDEX, item->fn_ref);
        CityStatus st = city_sandbox_call(sc, 0, 2);
        if (st != CITY_OK)
            return st;
        if (item->is_kpi) {
            int isnum;
            double v = lua_tonumberx(L, -2, &isnum);
            if (!isnum) {
                CityStatus st = city_world_fail(sc->world, CITY_ERR_SCRIPT, "%s: KPI '%s' must return a number, got %s",
                                                sc->name, item->name, luaL_typename(L, -2));
                lua_pop(L, 2);
                return st;
            }
            city_world_kpi_set(sc->world, item->name, v);
        } else {
            const char *msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
            city_world_check_report(sc->world, item->name, lua_toboolean(L, -2), msg);
        }
        lua_pop(L, 2);
    }
    return CITY_OK;
}

CityStatus city_scenario_finish(CityScenario *sc)
{
    if (sc->finished)
        return CITY_OK;
    sc->finished = true;
    CityStatus fst = city_world_finish(sc->world);
    if (fst != CITY_OK)
        return fst;
    city_sandbox_new_budget(sc);
    CityStatus st = finish_items(sc);
    if (st != CITY_OK)
        return st;
    /* A check declared for periodic evaluation that never ran fails. */
    for (size_t i = 0; i < city_world_check_count(sc->world); i++) {
        const CityCheck *c = city_world_check_at(sc->world, i);
        if (!c->evaluated && !c->not_reached)
            city_world_check_report(sc->world, c->name, false,
                                    "never evaluated (the run ended before its first evaluation)");
    }
    return CITY_OK;
}
