/* A Lua controller's own data in a checkpoint. A restore attaches the
 * controller afresh (its file's top level and init() run again, rebuilding
 * every function, timer and subscription made there) and then puts back the
 * data that changed: its globals and the upvalues of every function
 * reachable from init, step, its subscriptions and its timers, as nil,
 * booleans, numbers, strings and tables of those. Tables are refilled in
 * place, so functions sharing a table still share it. Functions are not
 * written: each is the one the fresh attach built at the same place.
 *
 * The limits, refused when saving with a message naming the controller:
 * a table reachable from itself, nesting deeper than CTL_DEPTH, keys that
 * are not numbers or strings. A global or upvalue that held one function at
 * attach and another one later keeps the first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_lua.h"
#include "city_state.h"
#include "lua_control_internal.h"

#define CTL_DEPTH 32              /* deepest table nesting saved */
#define CTL_BUILTIN "ctl.builtin" /* registry: global names the sandbox opened (not saved) */
#define CTL_VISITED "ctl.visited" /* registry while saving: tables on the current path */
enum { T_NIL, T_FALSE, T_TRUE, T_INT, T_FLT, T_STR, T_TABLE, T_KEEP };

typedef struct CtlWalk {
    lua_State *L;
    CityStateWriter *out;
    CityStateReader *in;
    CityError *err;    /* saving: first problem (NULL while loading) */
    const char *where; /* what is being written, for messages */
} CtlWalk;

void control_lua_mark_builtins(lua_State *L)
{
    lua_createtable(L, 0, 50); /* the sandbox's globals (SANDBOX_GLOBALS): filled without growing */
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, -5);
    }
    lua_pop(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, CTL_BUILTIN);
}

static bool walk_fail(CtlWalk *w, const char *what)
{
    if (w->err && w->err->status == CITY_OK)
        city_error_set(w->err, CITY_ERR_INVALID, "%s: %s", w->where, what);
    return false;
}

/* The keys of the table at t, in pairs()'s order (city_lua_sorted_keys),
 * as a new array on top of the stack; false (nothing pushed) on a key that
 * is not a number or a string, or out of memory. */
static bool sorted_keys(CtlWalk *w, int t)
{
    lua_State *L = w->L;
    const int n = city_lua_sorted_keys(L, t);
    if (n < 0)
        return walk_fail(w, "out of memory");
    for (int i = 1; i <= n; i++) {
        const int kt = lua_rawgeti(L, -1, i);
        lua_pop(L, 1);
        if (kt != LUA_TNUMBER && kt != LUA_TSTRING) {
            lua_pop(L, 1);
            return walk_fail(w, "a table has a key that is not a number or a string");
        }
    }
    return true;
}

static bool save_value(CtlWalk *w, int idx, int depth);

/* Writes the table at t: its entry count, then key and value per entry in key order. */
static bool save_table(CtlWalk *w, int t, int depth)
{
    lua_State *L = w->L;
    if (depth > CTL_DEPTH)
        return walk_fail(w, "tables nested too deep");
    lua_getfield(L, LUA_REGISTRYINDEX, CTL_VISITED);
    lua_pushvalue(L, t);
    if (lua_rawget(L, -2) != LUA_TNIL) {
        lua_pop(L, 2);
        return walk_fail(w, "a table is reachable from itself");
    }
    lua_pop(L, 1);
    lua_pushvalue(L, t);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    if (!lua_checkstack(L, 8))
        return walk_fail(w, "out of memory");
    if (!sorted_keys(w, t))
        return false;
    const int keys = lua_gettop(L);
    const lua_Integer n = (lua_Integer)lua_rawlen(L, keys);
    city_state_put_u8(w->out, T_TABLE);
    city_state_put_i64(w->out, n);
    bool ok = true;
    for (lua_Integer i = 1; i <= n && ok; i++) {
        lua_rawgeti(L, keys, i);
        ok = save_value(w, lua_gettop(L), depth + 1);
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        ok = ok && save_value(w, lua_gettop(L), depth + 1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, CTL_VISITED);
    lua_pushvalue(L, t);
    lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return ok;
}

static bool save_value(CtlWalk *w, int idx, int depth)
{
    lua_State *L = w->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        city_state_put_u8(w->out, T_NIL);
        return true;
    case LUA_TBOOLEAN:
        city_state_put_u8(w->out, lua_toboolean(L, idx) ? T_TRUE : T_FALSE);
        return true;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            city_state_put_u8(w->out, T_INT);
            city_state_put_i64(w->out, lua_tointeger(L, idx));
        } else {
            city_state_put_u8(w->out, T_FLT);
            city_state_put_f64(w->out, lua_tonumber(L, idx));
        }
        return true;
    case LUA_TSTRING:
        city_state_put_u8(w->out, T_STR);
        city_state_put_str(w->out, lua_tostring(L, idx));
        return true;
    case LUA_TTABLE:
        return save_table(w, lua_absindex(L, idx), depth);
    default: /* functions: the fresh attach rebuilt them */
        city_state_put_u8(w->out, T_KEEP);
        return true;
    }
}

static void load_table(CtlWalk *w, int cur, int depth);

/* Pushes the value read (a table is refilled into the one at `cur` when there is one);
 * T_KEEP pushes nothing and returns false. */
static bool load_value(CtlWalk *w, int cur, int depth)
{
    lua_State *L = w->L;
    const uint8_t tag = city_state_get_u8(w->in);
    if (w->in->bad)
        return false;
    switch (tag) {
    case T_NIL:
        lua_pushnil(L);
        return true;
    case T_FALSE:
    case T_TRUE:
        lua_pushboolean(L, tag == T_TRUE);
        return true;
    case T_INT:
        lua_pushinteger(L, (lua_Integer)city_state_get_i64(w->in));
        return true;
    case T_FLT:
        lua_pushnumber(L, city_state_get_f64(w->in));
        return true;
    case T_STR: {
        char *s = city_state_get_str(w->in);
        lua_pushstring(L, s ? s : "");
        free(s);
        return true;
    }
    case T_TABLE:
        if (cur > 0 && lua_type(L, cur) == LUA_TTABLE)
            lua_pushvalue(L, cur);
        else
            lua_newtable(L);
        load_table(w, lua_gettop(L), depth);
        return true;
    case T_KEEP:
        return false;
    default:
        city_state_fail(w->in, "%s: damaged controller state (value tag %u)", w->where, (unsigned)tag);
        return false;
    }
}

/* Refills the table at t: the saved entries come back (a table into the
 * table at the same key), data entries not saved go; functions stay. */
static void load_table(CtlWalk *w, int t, int depth)
{
    lua_State *L = w->L;
    if (depth > CTL_DEPTH || !lua_checkstack(L, 8)) {
        city_state_fail(w->in, "%s: controller state nested too deep", w->where);
        return;
    }
    lua_newtable(L); /* the data keys now */
    const int drop = lua_gettop(L);
    lua_newtable(L); /* the keys loaded */
    const int loaded = lua_gettop(L);
    lua_Integer n_drop = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        const int vt = lua_type(L, -1);
        lua_pop(L, 1);
        if (vt != LUA_TFUNCTION && vt != LUA_TUSERDATA && vt != LUA_TTHREAD) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, drop, ++n_drop);
        }
    }
    const int64_t n = city_state_get_i64(w->in);
    for (int64_t i = 0; i < n && !w->in->bad; i++) {
        if (!load_value(w, 0, depth + 1) || lua_isnil(L, -1) ||
            (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) != lua_tonumber(L, -1))) { /* a key: not nil, NaN */
            city_state_fail(w->in, "%s: damaged controller state (table key)", w->where);
            break;
        }
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, loaded);
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        const int old = lua_gettop(L);
        if (load_value(w, old, depth + 1)) {
            lua_remove(L, old);
            lua_rawset(L, t); /* t[key] = value */
        } else {
            lua_pop(L, 2); /* kept as rebuilt */
        }
    }
    for (lua_Integer i = 1; i <= n_drop && !w->in->bad; i++) {
        lua_rawgeti(L, drop, i);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, loaded) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushnil(L);
            lua_rawset(L, t);
        } else {
            lua_pop(L, 2);
        }
    }
    lua_pop(L, 2);
}

/* The functions whose upvalues are state: the roots given, then every
 * function found in their upvalues, once each, in discovery order, into a
 * new array on top of the stack. */
static void collect_functions(lua_State *L, int first, int last)
{
    lua_newtable(L);
    const int list = lua_gettop(L);
    lua_newtable(L);
    const int seen = lua_gettop(L);
    lua_Integer n = 0;
    for (int i = first; i <= last; i++) {
        lua_pushvalue(L, i);
        if (lua_type(L, -1) != LUA_TFUNCTION || lua_rawget(L, seen) != LUA_TNIL) {
            lua_pop(L, 1);
            continue;
        }
        lua_pop(L, 1);
        lua_pushvalue(L, i);
        lua_pushboolean(L, 1);
        lua_rawset(L, seen);
        lua_pushvalue(L, i);
        lua_rawseti(L, list, ++n);
    }
    for (lua_Integer k = 1; k <= n; k++) {
        lua_rawgeti(L, list, k);
        const int f = lua_gettop(L);
        const char *name;
        for (int u = 1; (name = lua_getupvalue(L, f, u)) != NULL; u++) {
            if (lua_type(L, -1) == LUA_TFUNCTION) {
                lua_pushvalue(L, -1);
                if (lua_rawget(L, seen) == LUA_TNIL) {
                    lua_pushvalue(L, -2);
                    lua_pushboolean(L, 1);
                    lua_rawset(L, seen);
                    lua_pushvalue(L, -2);
                    lua_rawseti(L, list, ++n);
                }
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* seen */
}

/* Each data global, sorted by name, then each upvalue of each function
 * (except _ENV: the globals). Roots are the stack values first..last. */
static bool walk(CtlWalk *w, int first, int last)
{
    lua_State *L = w->L;
    const int top = lua_gettop(L);
    bool ok = true;
    w->where = "globals";
    lua_getfield(L, LUA_REGISTRYINDEX, CTL_BUILTIN);
    const int builtin = lua_gettop(L);
    lua_pushglobaltable(L);
    const int g = lua_gettop(L);
    lua_newtable(L); /* the data globals, as a table to write or fill */
    const int data = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, g)) {
        lua_pushvalue(L, -2);
        const bool skip = lua_type(L, -2) == LUA_TFUNCTION || lua_rawget(L, builtin) != LUA_TNIL;
        lua_pop(L, 1);
        if (skip) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, data);
    }
    if (w->out) {
        ok = save_table(w, data, 0);
    } else if (city_state_get_u8(w->in) == T_TABLE) {
        load_table(w, data, 0);
        lua_pushnil(L);
        while (lua_next(L, g)) { /* globals that are data now but were not saved: nil */
            lua_pushvalue(L, -2);
            const bool keep = lua_type(L, -2) == LUA_TFUNCTION || lua_rawget(L, builtin) != LUA_TNIL;
            lua_pop(L, 2);
            if (!keep) {
                lua_pushvalue(L, -1);
                lua_pushnil(L);
                lua_rawset(L, g);
            }
        }
        lua_pushnil(L);
        while (lua_next(L, data)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, g);
        }
    } else {
        city_state_fail(w->in, "damaged controller state (globals)");
    }
    collect_functions(L, first, last);
    const int list = lua_gettop(L);
    const lua_Integer n = (lua_Integer)lua_rawlen(L, list);
    for (lua_Integer k = 1; k <= n && ok && (!w->in || !w->in->bad); k++) {
        lua_rawgeti(L, list, k);
        const int f = lua_gettop(L);
        const char *name;
        for (int u = 1; (name = lua_getupvalue(L, f, u)) != NULL && ok; u++) {
            const int cur = lua_gettop(L);
            if (!strcmp(name, "_ENV")) {
                lua_pop(L, 1);
                continue;
            }
            char where[128];
            snprintf(where, sizeof where, "upvalue '%s'", name);
            w->where = where;
            if (w->out) {
                ok = save_value(w, cur, 0);
            } else if (load_value(w, cur, 0)) {
                lua_setupvalue(L, f, u);
            }
            lua_settop(L, cur - 1);
            if (w->in && w->in->bad)
                break;
        }
        lua_settop(L, f - 1);
    }
    lua_settop(L, top);
    return ok && (!w->in || !w->in->bad);
}

static bool control_lua_save(lua_State *L, int first, int last, CityStateWriter *out, CityError *err)
{
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, CTL_VISITED);
    city_error_clear(err);
    CtlWalk w = {.L = L, .out = out, .err = err, .where = ""};
    const bool ok = walk(&w, first, last);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, CTL_VISITED);
    return ok;
}

/* The load under lua_pcall (arguments: the walk, then the roots): bytes
 * from a damaged or hostile file must not raise a Lua error where nothing
 * catches it (the default panic aborts the process). */
static int load_protected(lua_State *L)
{
    CtlWalk *w = lua_touserdata(L, 1);
    lua_pushboolean(L, walk(w, 2, lua_gettop(L)));
    return 1;
}

static bool control_lua_load(lua_State *L, int first, int last, CityStateReader *in)
{
    CtlWalk w = {.L = L, .in = in, .err = NULL, .where = ""};
    if (!lua_checkstack(L, last - first + 3))
        return city_state_fail(in, "controller state: out of Lua stack");
    lua_pushcfunction(L, load_protected);
    lua_pushlightuserdata(L, &w);
    for (int i = first; i <= last; i++)
        lua_pushvalue(L, i);
    if (lua_pcall(L, last - first + 2, 1, 0) != LUA_OK) {
        city_state_fail(in, "%s: damaged controller state (%s)", w.where,
                        lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error");
        lua_pop(L, 1);
        return false;
    }
    const bool ok = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return ok;
}

/* Pushes the functions whose upvalues hold the controller's data: init,
 * step, every subscription and every pending timer made by init. Returns
 * the stack position of the first. */
static int push_roots(CityController *c)
{
    const int first = lua_gettop(c->L) + 1;
    lua_checkstack(c->L, c->n_subs + c->n_init_timers + 4);
    lua_getglobal(c->L, "init");
    lua_getglobal(c->L, "step");
    for (int32_t i = 0; i < c->n_subs; i++)
        lua_rawgeti(c->L, LUA_REGISTRYINDEX, c->subs[i].ref);
    for (int32_t i = 0; i < c->n_init_timers && i < c->n_timers; i++)
        if (c->timers[i].ref != LUA_NOREF)
            lua_rawgeti(c->L, LUA_REGISTRYINDEX, c->timers[i].ref);
    return first;
}

/* Why a controller cannot be saved, or NULL. */
static const char *unsaveable(const CityController *c)
{
    if (c->dev)
        return "is a C shared object, whose state citylab cannot read";
    if (c->bridge)
        return "runs in citylab-agent through the bridge";
    for (int32_t i = c->n_init_timers; i < c->n_timers; i++)
        if (c->timers[i].ref != LUA_NOREF)
            return "has a timer pending that it made after init; only timers made by init are restored";
    if (c->n_subs != c->n_init_subs)
        return "subscribed after init; only init's subscriptions are restored";
    return NULL;
}

bool controller_save(CityController *c, CityStateWriter *out, CityError *err)
{
    const char *why = unsaveable(c);
    if (why)
        return city_error_set(err, CITY_ERR_INVALID, "controller '%s' %s", c->name, why), false;
    controller_direct_pull(c); /* its slots as delivery would have left them */
    city_state_put_str(out, c->name);
    city_state_put_i64(out, c->n_slots);
    for (int32_t i = 0; i < c->n_slots; i++) {
        const Slot *sl = &c->slots[i];
        city_state_put_str(out, c->slot_info[i].key);
        city_state_put_u8(out, sl->has);
        city_state_put_f64(out, sl->last.value);
        city_state_put_i64(out, sl->last.measured_ms);
        city_state_put_i64(out, sl->last.arrives_ms);
        city_state_put_u8(out, (uint8_t)sl->last.quality);
    }
    city_state_put_i64(out, c->n_init_timers);
    for (int32_t i = 0; i < c->n_init_timers; i++) {
        city_state_put_i64(out, c->timers[i].due_ms);
        city_state_put_u8(out, c->timers[i].ref != LUA_NOREF);
    }
    city_state_put_i64(out, c->last_input_ms);
    const bool waits = c->wake_group != 0; /* a checkpoint of a controller that never waited reads as before */
    city_state_put_u8(out, (uint8_t)(c->stale | c->failed << 1 | c->over_budget << 2 | waits << 3));
    city_state_put_str(out, c->failure);
    city_state_put_u64(out, c->activations);
    city_state_put_array(out, c->rng.s, 4, sizeof c->rng.s[0]);
    if (waits) {
        city_state_put_i64(out, c->wake_group); /* -1: wake_at, then its time */
        city_state_put_f64(out, c->wake_group < 0 ? c->wake_at_s : c->groups[c->wake_group - 1].wake_above);
    }
    if (c->failed) /* a stopped controller never runs again: its data does not matter */
        return true;
    const int top = lua_gettop(c->L), first = push_roots(c);
    CityError walk_err = {0};
    const bool ok = control_lua_save(c->L, first, lua_gettop(c->L), out, &walk_err);
    lua_settop(c->L, top);
    if (!ok)
        city_error_set(err, walk_err.status, "controller '%s': %s", c->name, walk_err.msg);
    return ok;
}

bool controller_load(CityController *c, CityStateReader *in)
{
    char *name = city_state_get_str(in);
    const bool same = name && !strcmp(name, c->name);
    free(name);
    if (!same || city_state_get_i64(in) != c->n_slots)
        return city_state_fail(in, "controller '%s': the checkpoint has another controller here", c->name);
    for (int32_t i = 0; i < c->n_slots && !in->bad; i++) {
        Slot *sl = &c->slots[i];
        char *key = city_state_get_str(in);
        if (!key || strcmp(key, c->slot_info[i].key) != 0)
            city_state_fail(in, "controller '%s': the checkpoint has another sensor channel here", c->name);
        free(key);
        sl->has = city_state_get_u8(in) != 0;
        sl->last.value = city_state_get_f64(in);
        sl->last.measured_ms = city_state_get_i64(in);
        sl->last.arrives_ms = city_state_get_i64(in);
        const uint8_t quality = city_state_get_u8(in);
        if (quality >= CITY_QUALITY_COUNT_OF && !in->bad)
            city_state_fail(in, "controller '%s': damaged reading quality in the checkpoint", c->name);
        sl->last.quality = (CityQuality)(quality < CITY_QUALITY_COUNT_OF ? quality : 0);
    }
    controller_direct_resync(c);
    if (city_state_get_i64(in) != c->n_init_timers)
        return city_state_fail(in, "controller '%s': init made another number of timers", c->name);
    for (int32_t i = 0; i < c->n_init_timers && !in->bad; i++) {
        c->timers[i].due_ms = city_state_get_i64(in);
        if (!in->bad && (c->timers[i].due_ms < 0 || c->timers[i].due_ms > (int64_t)(4 * CONTROLLER_MAX_DELAY_S * 1000)))
            return city_state_fail(in, "controller '%s': timer %d is due at a damaged time in the checkpoint", c->name,
                                   (int)i + 1);
        if (!city_state_get_u8(in) && c->timers[i].ref != LUA_NOREF) {
            luaL_unref(c->L, LUA_REGISTRYINDEX, c->timers[i].ref);
            c->timers[i].ref = LUA_NOREF;
        }
    }
    c->last_input_ms = city_state_get_i64(in);
    const uint8_t flags = city_state_get_u8(in);
    c->stale = flags & 1;
    c->failed = (flags >> 1) & 1;
    c->over_budget = (flags >> 2) & 1;
    char *failure = city_state_get_str(in);
    snprintf(c->failure, sizeof c->failure, "%s", failure ? failure : "");
    free(failure);
    c->activations = city_state_get_u64(in);
    city_state_get_array(in, c->rng.s, 4, sizeof c->rng.s[0], "controller random stream");
    c->wake_group = 0;
    if (flags & 8) { /* wake_on or wake_at pending: groups are made by the file and init (the fresh attach has them) */
        const int64_t g = city_state_get_i64(in);
        const double v = city_state_get_f64(in); /* wake_on's line or wake_at's time */
        if (!in->bad && (g < -1 || g == 0 || g > c->n_groups))
            return city_state_fail(in, "controller '%s': the checkpoint waits on a group it does not have", c->name);
        if (!in->bad) {
            c->wake_group = (int32_t)g;
            if (g < 0)
                c->wake_at_s = v;
            else
                c->groups[g - 1].wake_above = v;
        }
    }
    if (c->failed || in->bad)
        return !in->bad;
    const int top = lua_gettop(c->L), first = push_roots(c);
    const bool ok = control_lua_load(c->L, first, lua_gettop(c->L), in);
    lua_settop(c->L, top);
    return ok;
}
