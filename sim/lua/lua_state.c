/* The scenario's own state in a checkpoint. A restore runs the scenario's
 * top level again (which rebuilds every closure, table and callback as
 * they were at tick 0) and then puts back the data that changed: the
 * globals, the loaded modules and the upvalues of every function reachable
 * from the callbacks, as nil, booleans, numbers, strings and tables of
 * those, restored in place so that closures sharing a table still share
 * it. A function value is matched with the function at the same place in
 * the rebuilt state; pending callbacks that the run itself made are
 * written as verified bytecode (see "callbacks made during the run"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_array.h"
#include "city_lua.h"
#include "lua_state_internal.h"

bool lua_walk_fail(Walk *w, const char *what)
{
    if (!w->failed)
        snprintf(w->msg, sizeof w->msg, "%s: %s", w->where, what);
    w->failed = true;
    if (w->in)
        city_state_fail(w->in, "%s", w->msg);
    return false;
}

/* The library tables a scenario starts with: written by name, never by content. */
static void collect_builtins(Walk *w, bool by_name)
{
    lua_State *L = w->L;
    lua_newtable(L);
    w->builtins = lua_gettop(L);
    static const char *const libs[] = {"string", "table", "math", "utf8", "city", NULL};
    lua_pushglobaltable(L);
    if (by_name)
        lua_setfield(L, w->builtins, "_G");
    else {
        lua_pushstring(L, "_G");
        lua_rawset(L, w->builtins);
    }
    for (int i = 0; libs[i]; i++) {
        if (lua_getglobal(L, libs[i]) != LUA_TTABLE) {
            lua_pop(L, 1);
            continue;
        }
        int lib = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, lib)) { /* city.road, city.grid, ... */
            if (lua_type(L, -1) == LUA_TTABLE && lua_type(L, -2) == LUA_TSTRING) {
                lua_pushfstring(L, "%s.%s", libs[i], lua_tostring(L, -2));
                if (by_name) {
                    lua_pushvalue(L, -2);
                    lua_rawset(L, w->builtins);
                } else {
                    lua_pushvalue(L, -2);
                    lua_insert(L, -2);
                    lua_rawset(L, w->builtins);
                }
            }
            lua_pop(L, 1);
        }
        lua_pushstring(L, libs[i]);
        if (by_name) {
            lua_pushvalue(L, lib);
            lua_rawset(L, w->builtins);
            lua_pop(L, 1);
        } else {
            lua_rawset(L, w->builtins); /* lib -> name */
        }
    }
}

static bool plain_key(lua_State *L, int idx)
{
    int t = lua_type(L, idx);
    return t == LUA_TNUMBER || t == LUA_TSTRING || t == LUA_TBOOLEAN;
}

static void put_scalar(Walk *w, int idx)
{
    lua_State *L = w->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        city_state_put_u8(w->out, V_NIL);
        break;
    case LUA_TBOOLEAN:
        city_state_put_u8(w->out, lua_toboolean(L, idx) ? V_TRUE : V_FALSE);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            city_state_put_u8(w->out, V_INT);
            city_state_put_i64(w->out, lua_tointeger(L, idx));
        } else {
            city_state_put_u8(w->out, V_FLT);
            city_state_put_f64(w->out, lua_tonumber(L, idx));
        }
        break;
    default: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        city_state_put_u8(w->out, V_STR);
        city_state_put_array(w->out, s, len, 1);
    }
    }
}

static void save_table(Walk *w, int t)
{
    lua_State *L = w->L;
    city_state_put_u8(w->out, V_TABLE);
    lua_pushvalue(L, t);
    lua_pushinteger(L, ++w->n_tables);
    lua_rawset(L, w->seen);
    if (lua_getmetatable(L, t)) {
        city_state_put_u8(w->out, 1);
        lua_walk_save_value(w, lua_gettop(L));
        lua_pop(L, 1);
    } else {
        city_state_put_u8(w->out, 0);
    }
    /* the entries in the order pairs() gives (the same in every process:
     * the file, and the numbers tables and functions get, are the run's) */
    int n = city_lua_sorted_keys(L, t);
    if (n < 0) {
        lua_walk_fail(w, "out of memory saving a table");
        return;
    }
    const int keys = lua_gettop(L);
    city_state_put_u64(w->out, (uint64_t)n);
    for (int i = 1; i <= n && !w->failed; i++) {
        lua_rawgeti(L, keys, i);
        if (!plain_key(L, -1)) {
            lua_walk_fail(w, "a table has a key that is not a number, string or boolean; a checkpoint cannot hold it");
            lua_pop(L, 1);
            break;
        }
        put_scalar(w, lua_gettop(L));
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        lua_walk_save_value(w, lua_gettop(L));
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

void lua_walk_save_value(Walk *w, int idx)
{
    lua_State *L = w->L;
    idx = lua_absindex(L, idx);
    int type = lua_type(L, idx);
    if (type == LUA_TNIL || type == LUA_TBOOLEAN || type == LUA_TNUMBER || type == LUA_TSTRING) {
        put_scalar(w, idx);
        return;
    }
    if (type == LUA_TTABLE || type == LUA_TFUNCTION) {
        lua_pushvalue(L, idx);
        if (lua_rawget(L, w->builtins) == LUA_TSTRING) {
            city_state_put_u8(w->out, V_BUILTIN);
            city_state_put_str(w->out, lua_tostring(L, -1));
            lua_pop(L, 1);
            return;
        }
        lua_pop(L, 1);
        if (type == LUA_TFUNCTION && lua_iscfunction(L, idx)) {
            city_state_put_u8(w->out, V_CFUNC);
            return;
        }
        lua_pushvalue(L, idx);
        if (lua_rawget(L, w->seen) == LUA_TNUMBER) {
            city_state_put_u8(w->out, type == LUA_TTABLE ? V_TREF : V_FREF);
            city_state_put_i64(w->out, lua_tointeger(L, -1));
            lua_pop(L, 1);
            return;
        }
        lua_pop(L, 1);
        if (type == LUA_TTABLE) {
            save_table(w, idx);
            return;
        }
        city_state_put_u8(w->out, V_FUNC);
        lua_pushvalue(L, idx);
        lua_pushinteger(L, ++w->n_funcs);
        lua_rawset(L, w->seen);
        lua_pushvalue(L, idx);
        lua_rawseti(L, w->funcs, w->n_funcs);
        return;
    }
    lua_walk_fail(w, lua_pushfstring(L,
                                     "holds a %s, which a checkpoint cannot hold (only nil, booleans, numbers, strings "
                                     "and tables of those)",
                                     luaL_typename(L, idx)));
    lua_pop(L, 1);
}

/* Reads a saved table into `cur` when that is a table of the rebuilt
 * state (in place), else into a new one; pushes it. */
static void load_table(Walk *w, int cur)
{
    lua_State *L = w->L;
    if (cur && lua_type(L, cur) == LUA_TTABLE)
        lua_pushvalue(L, cur);
    else
        lua_newtable(L);
    int t = lua_gettop(L);
    lua_pushvalue(L, t);
    lua_rawseti(L, w->tables, ++w->n_tables);
    if (city_state_get_u8(w->in)) {
        int had = lua_getmetatable(L, t);
        lua_walk_load_value(w, had ? lua_gettop(L) : 0);
        lua_setmetatable(L, t);
        if (had)
            lua_pop(L, 1);
    }
    uint64_t n = city_state_get_u64(w->in);
    lua_newtable(L); /* keys restored */
    int mark = lua_gettop(L);
    for (uint64_t i = 0; i < n && !w->in->bad; i++) {
        lua_walk_load_value(w, 0); /* the key */
        if (lua_isnil(L, -1)) {
            lua_walk_fail(w, "damaged table in the checkpoint");
            lua_pop(L, 1);
            break;
        }
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        lua_walk_load_value(w, lua_gettop(L));
        lua_remove(L, -2);
        lua_pushvalue(L, -2);
        lua_pushboolean(L, 1);
        lua_rawset(L, mark);
        lua_rawset(L, t);
    }
    /* data the rebuilt state has and the saved one had not */
    lua_newtable(L);
    int drop = lua_gettop(L), n_drop = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        int vt = lua_type(L, -1);
        lua_pushvalue(L, -2);
        if (lua_rawget(L, mark) == LUA_TNIL && vt != LUA_TFUNCTION) {
            lua_pushvalue(L, -3);
            lua_rawseti(L, drop, ++n_drop);
        }
        lua_pop(L, 2);
    }
    for (int i = 1; i <= n_drop; i++) {
        lua_rawgeti(L, drop, i);
        lua_pushnil(L);
        lua_rawset(L, t);
    }
    lua_pop(L, 2);
}

void lua_walk_load_value(Walk *w, int cur)
{
    lua_State *L = w->L;
    if (cur)
        cur = lua_absindex(L, cur);
    int tag = city_state_get_u8(w->in);
    if (w->in->bad) {
        lua_pushnil(L);
        return;
    }
    switch (tag) {
    case V_NIL:
        lua_pushnil(L);
        return;
    case V_FALSE:
    case V_TRUE:
        lua_pushboolean(L, tag == V_TRUE);
        return;
    case V_INT:
        lua_pushinteger(L, city_state_get_i64(w->in));
        return;
    case V_FLT:
        lua_pushnumber(L, city_state_get_f64(w->in));
        return;
    case V_STR: {
        size_t len;
        char *s = city_state_get_alloc(w->in, &len, 1);
        lua_pushlstring(L, s ? s : "", len);
        free(s);
        return;
    }
    case V_BUILTIN: {
        char *name = city_state_get_str(w->in);
        lua_getfield(L, w->builtins, name ? name : "");
        if (lua_isnil(L, -1))
            lua_walk_fail(w, "the checkpoint names a library table this citylab does not have");
        free(name);
        return;
    }
    case V_TABLE:
        load_table(w, cur);
        return;
    case V_TREF:
    case V_FREF:
        lua_rawgeti(L, tag == V_TREF ? w->tables : w->funcs, city_state_get_i64(w->in));
        return;
    case V_CFUNC:
        if (cur && lua_iscfunction(L, cur))
            lua_pushvalue(L, cur);
        else {
            lua_walk_fail(w, "a built-in function of the saved state is missing in the rebuilt scenario");
            lua_pushnil(L);
        }
        return;
    case V_FUNC:
        if (cur && lua_type(L, cur) == LUA_TFUNCTION && !lua_iscfunction(L, cur)) {
            lua_pushvalue(L, cur);
            lua_pushvalue(L, cur);
            lua_rawseti(L, w->funcs, ++w->n_funcs);
        } else {
            lua_walk_fail(w, "a function of the saved state was created during the run and the scenario's top level "
                             "does not rebuild it; was the scenario edited?");
            lua_pushnil(L);
        }
        return;
    default:
        lua_walk_fail(w, "damaged value in the checkpoint");
        lua_pushnil(L);
    }
}

/* The globals, minus the libraries and built-in functions: in place. */
static void save_globals(Walk *w)
{
    lua_State *L = w->L;
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    lua_newtable(L);
    int keys = lua_gettop(L), n = 0;
    int n_all = city_lua_sorted_keys(L, g); /* in pairs()'s order, as save_table */
    if (n_all < 0) {
        lua_walk_fail(w, "out of memory saving the globals");
        lua_pop(L, 2);
        return;
    }
    for (int i = 1; i <= n_all; i++) {
        lua_rawgeti(L, -1, i); /* the key */
        lua_pushvalue(L, -1);
        lua_rawget(L, g);
        bool skip = lua_iscfunction(L, -1) || lua_type(L, -2) != LUA_TSTRING;
        if (!skip) {
            lua_pushvalue(L, -1);
            skip = lua_rawget(L, w->builtins) != LUA_TNIL;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (!skip)
            lua_rawseti(L, keys, ++n);
        else
            lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the sorted keys */
    city_state_put_u64(w->out, (uint64_t)n);
    for (int i = 1; i <= n && !w->failed; i++) {
        lua_rawgeti(L, keys, i);
        snprintf(w->where_buf, sizeof w->where_buf, "global '%s'", lua_tostring(L, -1));
        w->where = w->where_buf;
        put_scalar(w, lua_gettop(L));
        lua_rawget(L, g);
        lua_walk_save_value(w, lua_gettop(L));
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

static void load_globals(Walk *w)
{
    lua_State *L = w->L;
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    uint64_t n = city_state_get_u64(w->in);
    for (uint64_t i = 0; i < n && !w->in->bad; i++) {
        lua_walk_load_value(w, 0);
        lua_pushvalue(L, -1);
        lua_rawget(L, g);
        lua_walk_load_value(w, lua_gettop(L));
        lua_remove(L, -2);
        lua_rawset(L, g);
    }
    lua_pop(L, 1);
}

/* Upvalues of every function found, breadth first; a shared upvalue is
 * written once. */
static void save_upvalues(Walk *w)
{
    lua_State *L = w->L;
    for (lua_Integer i = w->next_func + 1; i <= w->n_funcs && !w->failed; w->next_func = i++) {
        lua_rawgeti(L, w->funcs, i);
        int f = lua_gettop(L);
        lua_Debug ar;
        lua_pushvalue(L, f);
        lua_getinfo(L, ">S", &ar);
        int n = 0;
        while (lua_getupvalue(L, f, n + 1)) {
            n++;
            lua_pop(L, 1);
        }
        city_state_put_u32(w->out, (uint32_t)n);
        for (int j = 1; j <= n && !w->failed; j++) {
            const char *name = lua_getupvalue(L, f, j);
            snprintf(w->where_buf, sizeof w->where_buf, "local '%s' of the function at %s:%d",
                     name && *name ? name : "?", ar.short_src, ar.linedefined);
            w->where = w->where_buf;
            lua_pushlightuserdata(L, lua_upvalueid(L, f, j));
            if (lua_rawget(L, w->cells) != LUA_TNIL) {
                city_state_put_u8(w->out, 0); /* written with another function */
                lua_pop(L, 2);
                continue;
            }
            lua_pop(L, 1);
            lua_pushlightuserdata(L, lua_upvalueid(L, f, j));
            lua_pushinteger(L, i * 1024 + j);
            lua_rawset(L, w->cells);
            city_state_put_u8(w->out, 1);
            lua_walk_save_value(w, lua_gettop(L));
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
}

static void load_upvalues(Walk *w)
{
    lua_State *L = w->L;
    for (lua_Integer i = w->next_func + 1; i <= w->n_funcs && !w->in->bad; w->next_func = i++) {
        lua_rawgeti(L, w->funcs, i);
        int f = lua_gettop(L), n = 0;
        while (lua_getupvalue(L, f, n + 1)) {
            n++;
            lua_pop(L, 1);
        }
        if ((int)city_state_get_u32(w->in) != n)
            lua_walk_fail(w, "a function of the rebuilt scenario has other locals than the saved one; was it edited?");
        for (int j = 1; j <= n && !w->in->bad; j++) {
            if (!city_state_get_u8(w->in))
                continue;
            lua_getupvalue(L, f, j);
            lua_walk_load_value(w, lua_gettop(L));
            lua_setupvalue(L, f, j);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
}

static void open_walk(Walk *w, CityScenario *sc, bool loading)
{
    w->sc = sc;
    w->L = sc->L;
    w->where = "scenario";
    collect_builtins(w, loading);
    lua_newtable(w->L);
    w->seen = lua_gettop(w->L);
    lua_newtable(w->L);
    w->tables = lua_gettop(w->L);
    lua_newtable(w->L);
    w->funcs = lua_gettop(w->L);
    lua_newtable(w->L);
    w->cells = lua_gettop(w->L);
    lua_newtable(w->L);
    w->made = lua_gettop(w->L);
}

/* Callbacks, slot by slot (slots are reused): a live one the top level
 * made by its function's state; one made during the run by its kind, its
 * closure coming later if its event is still pending; free slots as they
 * are, so handles and the free list stay valid. */
static CityStatus save_callbacks(Walk *w)
{
    CityScenario *sc = w->sc;
    lua_State *L = w->L;
    city_state_put_u64(w->out, sc->n_top_callbacks);
    city_state_put_u64(w->out, sc->n_callbacks);
    city_state_put_u64(w->out, sc->free_callback);
    for (size_t i = 0; i < sc->n_callbacks; i++) {
        CityCallback *cb = &sc->callbacks[i];
        bool top = cb->live && !cb->made_in_run;
        bool due = cb->live && cb->made_in_run && !cb->cancelled &&
                   city_world_event_pending(sc->world, city_lua_fire_callback, sc, (int64_t)i);
        city_state_put_u8(w->out, (uint8_t)(cb->live | top << 1 | due << 2 | cb->cancelled << 3));
        city_state_put_u8(w->out, (uint8_t)cb->kind);
        city_state_put_i64(w->out, cb->period_ticks);
        city_state_put_str(w->out, cb->name);
        city_state_put_u64(w->out, cb->generation);
        city_state_put_u64(w->out, cb->next_free);
        if (top) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, cb->fn_ref);
            w->where = "a callback";
            lua_walk_save_value(w, lua_gettop(L));
            lua_pop(L, 1);
        } else if (due) { /* its closure is written after the state it captures */
            w->runtime[w->n_runtime++] = i;
        }
    }
    for (size_t i = 0; i < sc->n_end_items; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, sc->end_items[i].fn_ref);
        lua_walk_save_value(w, lua_gettop(L));
        lua_pop(L, 1);
    }
    return w->failed ? CITY_ERR_INVALID : CITY_OK;
}

CityStatus city_lua_state_save(CityScenario *sc, CityStateWriter *out)
{
    Walk w = {0};
    w.out = out;
    if (!(w.runtime = malloc((sc->n_callbacks + 1) * sizeof *w.runtime)))
        return city_world_fail(sc->world, CITY_ERR_NOMEM, "out of memory saving the scenario's state");
    int top = lua_gettop(sc->L);
    open_walk(&w, sc, false);
    city_state_put_tag(out, "LUA.");
    CityStatus st = save_callbacks(&w);
    if (st == CITY_OK) {
        save_globals(&w);
        w.where = "a module loaded with require";
        lua_getfield(sc->L, LUA_REGISTRYINDEX, "city.loaded");
        lua_walk_save_value(&w, lua_gettop(sc->L));
        lua_pop(sc->L, 1);
        save_upvalues(&w);
        lua_walk_save_closures(&w);
        save_upvalues(&w); /* what those closures reach */
        lua_getfield(sc->L, LUA_REGISTRYINDEX, "city.names.next");
        city_state_put_i64(out, lua_tointeger(sc->L, -1));
        lua_pop(sc->L, 1);
    }
    lua_settop(sc->L, top);
    free(w.runtime);
    if (w.failed)
        return city_world_fail(sc->world, CITY_ERR_INVALID, "cannot save the scenario's state: %s", w.msg);
    return out->oom ? CITY_ERR_NOMEM : CITY_OK;
}

/* Releases what the rerun top level put in a slot the saved run reused. */
static void clear_slot(lua_State *L, CityCallback *cb)
{
    luaL_unref(L, LUA_REGISTRYINDEX, cb->fn_ref);
    free(cb->name);
    cb->name = NULL;
    cb->fn_ref = LUA_NOREF;
}

static void load_callbacks(Walk *w)
{
    CityScenario *sc = w->sc;
    lua_State *L = w->L;
    uint64_t n_top = city_state_get_u64(w->in), n = city_state_get_u64(w->in);
    uint64_t free_head = city_state_get_u64(w->in);
    if (!w->in->bad && (free_head > n || !city_state_count_fits(w->in, n, 34))) { /* 34 bytes a callback at least */
        lua_walk_fail(w, "damaged callback list in the checkpoint");
        return;
    }
    if (!w->in->bad && (n_top != sc->n_top_callbacks || sc->n_callbacks != n_top || n < n_top)) {
        lua_walk_fail(w, "the scenario's top level registers other callbacks than the saved run's; was it edited?");
        return;
    }
    if (!w->in->bad && !city_grow((void **)&sc->callbacks, &sc->cap_callbacks, (size_t)n, sizeof *sc->callbacks)) {
        lua_walk_fail(w, "out of memory");
        return;
    }
    for (size_t i = 0; i < n && !w->in->bad; i++) {
        uint8_t flags = city_state_get_u8(w->in);
        CityCallbackKind kind = (CityCallbackKind)city_state_get_u8(w->in);
        int64_t period = city_state_get_i64(w->in);
        char *name = city_state_get_str(w->in);
        uint64_t generation = city_state_get_u64(w->in), next_free = city_state_get_u64(w->in);
        if (!w->in->bad &&
            (next_free > n || kind > CITY_CB_SERIES || period < 0 || period > ((int64_t)1 << 40) ||
             ((flags & 1) && next_free != 0))) { /* links are index + 1; live slots are not on the list */
            free(name);
            lua_walk_fail(w, "damaged callback list in the checkpoint");
            return;
        }
        CityCallback *cb = &sc->callbacks[i];
        bool top = flags & 2;
        if (i >= sc->n_callbacks) {
            *cb = (CityCallback){.fn_ref = LUA_NOREF};
            sc->n_callbacks = i + 1;
        } else if (!top) {
            clear_slot(L, cb); /* the saved run freed or reused this slot */
        }
        if (top) {
            free(name);
            if (i >= n_top || cb->fn_ref == LUA_NOREF) {
                lua_walk_fail(w, "damaged callback list in the checkpoint");
                return;
            }
            lua_rawgeti(L, LUA_REGISTRYINDEX, cb->fn_ref);
            lua_walk_load_value(w, lua_gettop(L));
            lua_pop(L, 2);
        } else {
            cb->kind = kind;
            cb->period_ticks = period;
            cb->name = name;
            cb->made_in_run = true;
            cb->last_tick = INT64_MAX; /* a window of a check made during the run is not saved */
        }
        cb->live = flags & 1;
        cb->cancelled = flags & 8;
        cb->generation = (uint32_t)generation;
        cb->next_free = (size_t)next_free;
    }
    sc->free_callback = (size_t)free_head;
    /* the free list: slots not live, each once (a cycle would hand one slot out for ever) */
    size_t steps = 0;
    for (size_t i = sc->free_callback; i && !w->in->bad; i = sc->callbacks[i - 1].next_free)
        if (++steps > n || sc->callbacks[i - 1].live)
            lua_walk_fail(w, "damaged list of free callback slots in the checkpoint");
    for (size_t i = 0; i < sc->n_end_items && !w->in->bad; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, sc->end_items[i].fn_ref);
        lua_walk_load_value(w, lua_gettop(L));
        lua_pop(L, 2);
    }
}

/* The load proper, under lua_pcall (its argument: the walk): bytes from a
 * damaged or hostile file must not raise a Lua error (a nil or NaN key, a
 * memory error) where nothing catches it, as the default panic aborts. */
static int load_protected(lua_State *L)
{
    Walk *w = lua_touserdata(L, 1);
    CityStateReader *in = w->in;
    CityScenario *sc = w->sc;
    open_walk(w, sc, true);
    w->where = "the scenario's state";
    city_state_expect_tag(in, "LUA.");
    if (!in->bad)
        load_callbacks(w);
    if (!in->bad)
        load_globals(w);
    if (!in->bad) {
        lua_getfield(L, LUA_REGISTRYINDEX, "city.loaded");
        lua_walk_load_value(w, lua_gettop(L));
        lua_setfield(L, LUA_REGISTRYINDEX, "city.loaded");
        lua_pop(L, 1);
    }
    if (!in->bad)
        load_upvalues(w);
    if (!in->bad)
        lua_walk_load_closures(w);
    if (!in->bad)
        load_upvalues(w);
    lua_Integer next = city_state_get_i64(in);
    if (!in->bad) {
        lua_pushinteger(L, next);
        lua_setfield(L, LUA_REGISTRYINDEX, "city.names.next");
    }
    return 0;
}

CityStatus city_lua_state_load(CityScenario *sc, CityStateReader *in)
{
    Walk w = {0};
    w.in = in;
    w.sc = sc;
    w.where = "the scenario's state";
    int top = lua_gettop(sc->L);
    lua_pushcfunction(sc->L, load_protected);
    lua_pushlightuserdata(sc->L, &w);
    if (lua_pcall(sc->L, 1, 0, 0) != LUA_OK)
        city_state_fail(in, "%s: damaged (%s)", w.where,
                        lua_type(sc->L, -1) == LUA_TSTRING ? lua_tostring(sc->L, -1) : "error");
    lua_settop(sc->L, top);
    if (in->bad)
        return city_world_fail(sc->world, CITY_ERR_PARSE, "cannot restore the scenario's state: %s", in->error);
    return CITY_OK;
}
