/* The `city` namespace every scenario sees: configuration, time, timed and
 * periodic callbacks, checks, KPIs, time series and the event log. Domain
 * namespaces (city.road, city.grid, ...) are added by their own files. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_array.h"
#include "city_lua.h"
#include "lua_modules.h"
#include "scenario_internal.h"

static CityScenario *scenario(lua_State *L)
{
    return city_scenario_from_state(L);
}

/* Names become file names and JSON keys: keep them plain. */
static const char *check_name(lua_State *L, int arg, const char *what)
{
    const char *name = luaL_checkstring(L, arg);
    bool ok = name[0] != '\0' && strlen(name) < 128;
    for (const char *p = name; *p && ok; p++)
        ok = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.';
    if (!ok)
        luaL_error(L, "%s name '%s' must be 1-127 letters, digits, '_', '-' or '.'", what, name);
    return name;
}

static int64_t seconds_to_ticks(lua_State *L, int arg, const char *what, bool positive)
{
    double s = luaL_checknumber(L, arg);
    CityWorld *w = scenario(L)->world;
    if (!(s == s) || s < 0 || s > 1e9)
        luaL_error(L, "%s %f s is out of range; use a number of seconds from 0 to 1e9", what, s);
    int64_t t = city_world_ticks_for(w, s);
    if (positive && t < 1)
        luaL_error(L, "%s %f s is shorter than one tick (%d ms); use a longer period or a smaller --dt", what, s,
                   (int)city_world_dt_ms(w));
    return t;
}

/* --- config and time --- */

static int l_config(lua_State *L)
{
    CityScenario *sc = scenario(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    city_lua_strict_check(L, 1);
    lua_getfield(L, 1, "dt_ms");
    lua_getfield(L, 1, "until_s");
    lua_getfield(L, 1, "name");
    if (!lua_isnil(L, -3)) {
        lua_Integer dt = luaL_checkinteger(L, -3);
        if (!city_dt_ms_valid(dt))
            luaL_error(L, "city.config: dt_ms %I is out of range; use %d to %d", (LUAI_UACINT)dt, CITY_DT_MS_MIN,
                       CITY_DT_MS_MAX);
        if (!sc->dt_forced && city_world_set_dt_ms(sc->world, (int32_t)dt) != CITY_OK)
            return city_lua_raise(L, sc->world, CITY_ERR_INVALID);
    }
    if (!lua_isnil(L, -2)) {
        double u = luaL_checknumber(L, -2);
        if (!(u >= 0 && u <= 1e9))
            luaL_error(L, "city.config: until_s %f is out of range; use 0 to 1e9 seconds", u);
        sc->config_until_s = u;
        if (!sc->until_forced)
            sc->until_s = u;
    }
    if (!lua_isnil(L, -1))
        snprintf(sc->name, sizeof sc->name, "%s", check_name(L, -1, "scenario"));
    return 0;
}

static int l_time(lua_State *L)
{
    lua_pushnumber(L, city_world_time_s(scenario(L)->world));
    return 1;
}

static int l_tick(lua_State *L)
{
    lua_pushinteger(L, city_world_tick(scenario(L)->world));
    return 1;
}

static int l_dt(lua_State *L)
{
    lua_pushnumber(L, city_world_dt_ms(scenario(L)->world) / 1000.0);
    return 1;
}

static int l_seed(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)city_world_seed(scenario(L)->world));
    return 1;
}

static int l_until(lua_State *L)
{
    lua_pushnumber(L, scenario(L)->until_s);
    return 1;
}

static int l_stop(lua_State *L)
{
    city_world_stop(scenario(L)->world);
    return 0;
}

/* --- callbacks --- */

/* C bytes a callback slot stands for (its entry and its timed event),
 * charged to the Lua memory cap so re-arming cannot grow C memory freely. */
#define CALLBACK_BYTES (sizeof(CityCallback) + 48)

static size_t add_callback(lua_State *L, CityCallbackKind kind, int fn_arg, int64_t period, const char *name)
{
    CityScenario *sc = scenario(L);
    if (!sc->free_callback && sc->n_callbacks == sc->cap_callbacks) {
        size_t old_cap = sc->cap_callbacks;
        if (sc->mem_used + (old_cap ? old_cap : 8) * CALLBACK_BYTES > sc->mem_limit ||
            !city_grow((void **)&sc->callbacks, &sc->cap_callbacks, sc->n_callbacks + 1, sizeof *sc->callbacks))
            luaL_error(L, "not enough memory");
        sc->mem_used += (sc->cap_callbacks - old_cap) * CALLBACK_BYTES;
    }
    char *copy = name ? city_lua_strdup(L, name) : NULL;
    lua_pushvalue(L, fn_arg);
    size_t i;
    uint32_t generation = 0;
    if (sc->free_callback) {
        i = sc->free_callback - 1;
        sc->free_callback = sc->callbacks[i].next_free;
        generation = sc->callbacks[i].generation + 1;
    } else {
        i = sc->n_callbacks++;
    }
    CityCallback *cb = &sc->callbacks[i];
    cb->kind = kind;
    cb->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    cb->period_ticks = period;
    cb->name = copy;
    cb->cancelled = false;
    cb->live = true;
    cb->generation = generation;
    cb->next_free = 0;
    cb->made_in_run = sc->top_done;
    cb->last_tick = INT64_MAX;
    return i;
}

/* Releases a slot whose function will not run again: its registry
 * reference goes, and the slot is reused by the next callback. */
static void release_callback(CityScenario *sc, size_t i)
{
    CityCallback *cb = &sc->callbacks[i];
    luaL_unref(sc->L, LUA_REGISTRYINDEX, cb->fn_ref);
    free(cb->name);
    cb->name = NULL;
    cb->fn_ref = LUA_NOREF;
    cb->live = false;
    cb->next_free = sc->free_callback;
    sc->free_callback = i + 1;
}

/* A handle names a slot and its generation: cancelling a callback that
 * already ran is a no-op even after its slot was reused. */
static lua_Integer handle_of(const CityScenario *sc, size_t i)
{
    return ((lua_Integer)sc->callbacks[i].generation << 32) | (lua_Integer)(i + 1);
}

/* Inside a step, "now" has begun firing: a callback scheduled at or before
 * now runs next tick, so a callback that re-arms itself cannot loop inside
 * one tick. */
static void schedule(lua_State *L, size_t index, int64_t tick)
{
    CityScenario *sc = scenario(L);
    int64_t now = city_world_tick(sc->world);
    if (tick < now || (sc->in_step && tick == now))
        tick = now + (sc->in_step ? 1 : 0);
    if (city_world_at(sc->world, tick, city_lua_fire_callback, sc, (int64_t)index) != CITY_OK)
        city_lua_raise(L, sc->world, CITY_ERR_INVALID);
}

static int64_t start_tick(lua_State *L, int arg)
{
    CityWorld *w = scenario(L)->world;
    int64_t now = city_world_tick(w);
    if (lua_isnoneornil(L, arg))
        return now;
    int64_t t = seconds_to_ticks(L, arg, "start time", false);
    return t < now ? now : t;
}

static int l_at(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    CityWorld *w = scenario(L)->world;
    int64_t tick = seconds_to_ticks(L, 1, "city.at time", false);
    (void)w; /* a time that has passed runs at the next tick */
    size_t i = add_callback(L, CITY_CB_AT, 2, 0, NULL);
    schedule(L, i, tick);
    lua_pushinteger(L, handle_of(scenario(L), i));
    return 1;
}

static int l_every(lua_State *L)
{
    int64_t period = seconds_to_ticks(L, 1, "city.every period", true);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int64_t first = start_tick(L, 3);
    size_t i = add_callback(L, CITY_CB_EVERY, 2, period, NULL);
    schedule(L, i, first);
    lua_pushinteger(L, handle_of(scenario(L), i));
    return 1;
}

static int l_cancel(lua_State *L)
{
    CityScenario *sc = scenario(L);
    lua_Integer h = luaL_checkinteger(L, 1);
    lua_Integer slot = h & 0xffffffff;
    luaL_argcheck(L, h >= 1 && slot >= 1 && (size_t)slot <= sc->n_callbacks, 1,
                  "not a handle from city.at or city.every");
    CityCallback *cb = &sc->callbacks[slot - 1];
    if (cb->live && (lua_Integer)cb->generation == (h >> 32))
        cb->cancelled = true; /* released when its event comes up */
    return 0;
}

static CityEndItem *add_end_item(lua_State *L, int fn_arg, const char *name, bool is_kpi)
{
    CityScenario *sc = scenario(L);
    if (sc->finished)
        luaL_error(L, "'%s' declared after the run ended", name);
    if (!city_grow((void **)&sc->end_items, &sc->cap_end_items, sc->n_end_items + 1, sizeof *sc->end_items))
        luaL_error(L, "not enough memory");
    char *copy = city_lua_strdup(L, name);
    lua_pushvalue(L, fn_arg);
    sc->end_items[sc->n_end_items] = (CityEndItem){luaL_ref(L, LUA_REGISTRYINDEX), copy, is_kpi, 0, -1, false};
    return &sc->end_items[sc->n_end_items++];
}

/* The window a check covers, from its options: {every =, from =, to =, whole_run =}. */
typedef struct CheckOpts {
    int64_t every, from, to; /* ticks; to -1: the end of the run */
    bool whole_run;          /* the window ends at the scenario's configured until_s */
} CheckOpts;

static CheckOpts check_opts(lua_State *L, int arg, const char *name)
{
    CheckOpts o = {0, 0, -1, false};
    if (lua_isnoneornil(L, arg))
        return o;
    if (!lua_istable(L, arg))
        luaL_error(L, "city.check('%s', fn, opts): opts must be a table like {every = 60, from = 0, to = 3600}", name);
    lua_getfield(L, arg, "every");
    if (!lua_isnil(L, -1))
        o.every = seconds_to_ticks(L, -1, "check period", true);
    lua_getfield(L, arg, "from");
    if (!lua_isnil(L, -1))
        o.from = seconds_to_ticks(L, -1, "check window start (from)", false);
    lua_getfield(L, arg, "to");
    if (!lua_isnil(L, -1))
        o.to = seconds_to_ticks(L, -1, "check window end (to)", false);
    lua_getfield(L, arg, "whole_run");
    o.whole_run = lua_toboolean(L, -1);
    lua_pop(L, 4);
    if (o.to >= 0 && o.to <= o.from)
        luaL_error(L, "city.check('%s', fn, opts): the window ends (to) before it starts (from); give to > from", name);
    if (o.to >= 0 && o.whole_run)
        luaL_error(L, "city.check('%s', fn, opts): give either to = s or whole_run = true, not both", name);
    return o;
}

/* city.check(name, fn [, {every = s}]) or city.check(name, ok [, message]) */
static int l_check(lua_State *L)
{
    CityScenario *sc = scenario(L);
    const char *name = check_name(L, 1, "check");
    if (lua_isboolean(L, 2)) {
        const char *msg = luaL_optstring(L, 3, "");
        if (city_world_check_report(sc->world, name, lua_toboolean(L, 2), msg) != CITY_OK)
            luaL_error(L, "not enough memory");
        return 0;
    }
    if (!lua_isfunction(L, 2))
        luaL_error(L,
                   "city.check('%s', ...): the second argument must be a function (evaluated later) or a "
                   "boolean (a verdict now), got %s",
                   name, luaL_typename(L, 2));
    CheckOpts o = check_opts(L, 3, name);
    if (city_world_check_declare(sc->world, name) != CITY_OK)
        luaL_error(L, "not enough memory");
    int64_t now = city_world_tick(sc->world);
    if (o.every > 0) {
        size_t i = add_callback(L, CITY_CB_CHECK, 2, o.every, name);
        sc->callbacks[i].last_tick = o.to >= 0 ? o.to : INT64_MAX;
        schedule(L, i, o.from > now ? o.from : now + o.every);
    }
    if (o.to >= 0) /* the verdict is taken when the window closes */
        schedule(L, add_callback(L, CITY_CB_CHECK, 2, 0, name), o.to);
    CityEndItem *item = add_end_item(L, 2, name, false);
    item->from_tick = o.from;
    item->to_tick = o.to;
    item->whole_run = o.whole_run;
    return 0;
}

/* city.kpi(name, number) sets now; city.kpi(name, fn) evaluates at the end;
 * city.kpi(name) reads. */
static int l_kpi(lua_State *L)
{
    CityScenario *sc = scenario(L);
    const char *name = check_name(L, 1, "KPI");
    if (lua_isnoneornil(L, 2)) {
        double v;
        if (city_world_kpi_get(sc->world, name, &v))
            lua_pushnumber(L, v);
        else
            lua_pushnil(L);
        return 1;
    }
    if (lua_isfunction(L, 2)) {
        add_end_item(L, 2, name, true);
        return 0;
    }
    double v = luaL_checknumber(L, 2);
    if (city_world_kpi_set(sc->world, name, v) != CITY_OK)
        luaL_error(L, "not enough memory");
    return 0;
}

/* city.kpis() -> array of {name=, value=} sorted by name */
static int l_kpis(lua_State *L)
{
    CityWorld *w = scenario(L)->world;
    size_t n = city_world_kpi_count(w);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        double v;
        city_world_kpi_at(w, i, &name, &v);
        lua_createtable(L, 0, 2);
        lua_pushstring(L, name);
        lua_setfield(L, -2, "name");
        lua_pushnumber(L, v);
        lua_setfield(L, -2, "value");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* city.series(name, fn, {every = s, unit = "mps"}): writes series_<name>.csv */
static int l_series(lua_State *L)
{
    CityScenario *sc = scenario(L);
    const char *name = check_name(L, 1, "series");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "every");
    if (lua_isnil(L, -1))
        luaL_error(L, "city.series('%s', fn, opts): opts.every (seconds between samples) is required", name);
    int64_t every = seconds_to_ticks(L, -1, "series period", true);
    lua_getfield(L, 3, "unit");
    const char *unit = lua_isnil(L, -1) ? NULL : check_name(L, -1, "unit");
    char table[160], header[320];
    snprintf(table, sizeof table, "series_%s", name);
    snprintf(header, sizeof header, "time_s,%s%s%s", name, unit ? "_" : "", unit ? unit : "");
    if (!city_world_table(sc->world, table, header))
        luaL_error(L, "not enough memory");
    size_t i = add_callback(L, CITY_CB_SERIES, 2, every, table);
    schedule(L, i, city_world_tick(sc->world));
    return 0;
}

static int l_log(lua_State *L)
{
    CityScenario *sc = scenario(L);
    const char *kind = "scenario", *msg;
    if (lua_gettop(L) >= 2) {
        kind = check_name(L, 1, "log kind");
        msg = luaL_checkstring(L, 2);
    } else {
        msg = luaL_checkstring(L, 1);
    }
    city_world_log(sc->world, kind, "%s", msg);
    return 0;
}

static int l_normal(lua_State *L)
{
    double mean = luaL_optnumber(L, 1, 0.0), sd = luaL_optnumber(L, 2, 1.0);
    CityRng *rng = city_world_rng(scenario(L)->world, "lua");
    lua_pushnumber(L, mean + sd * city_rng_normal(rng));
    return 1;
}

static int l_exponential(lua_State *L)
{
    double rate = luaL_checknumber(L, 1);
    luaL_argcheck(L, rate > 0, 1, "rate must be > 0");
    lua_pushnumber(L, city_rng_exponential(city_world_rng(scenario(L)->world, "lua"), rate));
    return 1;
}

/* --- firing --- */

CityStatus city_lua_fire_callback(CityWorld *world, void *user, int64_t arg)
{
    CityScenario *sc = user;
    lua_State *L = sc->L;
    if (arg < 0 || (uint64_t)arg >= sc->n_callbacks) /* only from a damaged checkpoint */
        return city_world_fail(world, CITY_ERR_INVALID, "no callback %lld to fire (a damaged checkpoint?)",
                               (long long)arg);
    CityCallback *cb = &sc->callbacks[arg];
    if (cb->cancelled) {
        release_callback(sc, (size_t)arg);
        return CITY_OK;
    }
    if (cb->period_ticks > 0 && city_world_tick(world) + cb->period_ticks <= cb->last_tick) {
        CityStatus st =
            city_world_at(world, city_world_tick(world) + cb->period_ticks, city_lua_fire_callback, sc, arg);
        if (st != CITY_OK)
            return st;
    }
    const CityCallbackKind kind = cb->kind;
    char name[256]; /* a one-shot's slot (and name) is released before its call */
    snprintf(name, sizeof name, "%s", cb->name ? cb->name : "");
    lua_rawgeti(L, LUA_REGISTRYINDEX, cb->fn_ref);
    if (cb->period_ticks == 0) /* one-shot: the stack holds the function now */
        release_callback(sc, (size_t)arg);
    CityStatus st = city_sandbox_call(sc, 0, 2);
    if (st != CITY_OK)
        return st;
    if (kind == CITY_CB_CHECK) {
        const char *msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
        char full[CITY_ERROR_MAX];
        snprintf(full, sizeof full, "at %.3f s: %s", city_world_time_s(world), msg);
        city_world_check_report(world, name, lua_toboolean(L, -2), lua_toboolean(L, -2) ? msg : full);
    } else if (kind == CITY_CB_SERIES) {
        int isnum;
        double v = lua_tonumberx(L, -2, &isnum);
        if (!isnum) {
            const char *got = luaL_typename(L, -2);
            CityStatus fail = city_world_fail(world, CITY_ERR_SCRIPT, "%s: series '%s' must return a number, got %s",
                                              sc->name, name + strlen("series_"), got);
            lua_pop(L, 2);
            return fail;
        }
        CityTable *t = city_world_table(world, name, "");
        city_table_row(t, "%.3f,%.17g", city_world_time_s(world), v);
    }
    lua_pop(L, 2);
    return CITY_OK;
}

void city_lua_open_city(CityScenario *sc)
{
    static const luaL_Reg fns[] = {{"config", l_config},
                                   {"time", l_time},
                                   {"tick", l_tick},
                                   {"dt", l_dt},
                                   {"seed", l_seed},
                                   {"until_s", l_until},
                                   {"stop", l_stop},
                                   {"at", l_at},
                                   {"every", l_every},
                                   {"cancel", l_cancel},
                                   {"check", l_check},
                                   {"kpi", l_kpi},
                                   {"kpis", l_kpis},
                                   {"series", l_series},
                                   {"log", l_log},
                                   {"normal", l_normal},
                                   {"exponential", l_exponential},
                                   {NULL, NULL}};
    lua_State *L = sc->L;
    luaL_newlib(L, fns);
    lua_getglobal(L, "math");
    lua_getfield(L, -1, "random");
    lua_setfield(L, -3, "random");
    lua_pop(L, 1);
    lua_pushstring(L, CITY_VERSION_STRING);
    lua_setfield(L, -2, "version");
    city_lua_open_param(L);
    city_lua_open_modules(L);
    city_lua_strict_keys(L);
    lua_setglobal(L, "city");
}
