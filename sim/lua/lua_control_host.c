/* A Lua controller: its own lua_State with a capped allocator and an
 * instruction budget per tick, only base (without files, load, pcall,
 * pairs), table, string and math, and the device API: now, every, after,
 * read, subscribe, command, param, log, random. It never sees the world:
 * readings come in, commands go out through its port (the control domain
 * in a run, MQTT in citylab-agent: scenarios/DEVICE_API.md). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "city_array.h"
#include "city_rng.h"
#include "city_text.h"
#include "lua_control_internal.h"

/* Instructions between budget checks. A larger count would not be cheaper:
 * with any count hook set, Lua 5.4 traps every VM instruction (it counts
 * down in luaG_traceexec), which is about a third of a small controller's
 * step (callgrind, scenarios/bench_control.lua); the count only sets how
 * often the hook itself runs. */
#define HOOK_EVERY 1000
#define CONTROLLER_MAX_BYTES ((size_t)16 << 20) /* bytes of a controller file */

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    CityController *c = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        ctl_arena_realloc(c->arena, ptr, old, 0);
        c->mem_used -= old;
        return NULL;
    }
    if (nsize > old && c->mem_used - old + nsize > c->mem_limit)
        return NULL;
    void *p = ctl_arena_realloc(c->arena, ptr, old, nsize);
    if (p)
        c->mem_used = c->mem_used - old + nsize;
    return p;
}

static CityController *self_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    CityController *c = self_of(L);
    if (c->epoch && *c->epoch != c->epoch_seen) { /* a new tick since it last counted */
        c->epoch_seen = *c->epoch;
        c->instr_used = 0;
    }
    c->instr_used += HOOK_EVERY;
    if (c->instr_used > c->instr_limit) {
        c->over_budget = true;
        luaL_error(L, "instruction budget of %I per tick exceeded", (lua_Integer)c->instr_limit);
    }
}

int64_t controller_now_ms(const CityController *c)
{
    return c->port.now_ms(c->port.ctx);
}

void controller_log(CityController *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->port.log(c->port.ctx, msg);
}

/* ---- the device API ------------------------------------------------------ */

static int d_now(lua_State *L)
{
    lua_pushnumber(L, (double)controller_now_ms(self_of(L)) / 1000.0);
    return 1;
}

static int add_timer(lua_State *L, bool repeat)
{
    CityController *c = self_of(L);
    const double s = luaL_checknumber(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (!(s >= 0 && s <= CONTROLLER_MAX_DELAY_S) || (repeat && llround(s * 1000.0) < 1))
        return luaL_error(L, "%s: give a delay in seconds %s and at most %s", repeat ? "every" : "after",
                          repeat ? "of 0.001 or more" : ">= 0", CONTROLLER_MAX_DELAY_TEXT);
    const int64_t ms = (int64_t)llround(s * 1000.0);
    void *arr = c->timers;
    if (!city_array_grow(&arr, &c->cap_timers, c->n_timers + 1, sizeof *c->timers))
        return luaL_error(L, "out of memory");
    c->timers = arr;
    lua_pushvalue(L, 2);
    c->timers[c->n_timers++] = (Timer){controller_now_ms(c) + ms, repeat ? ms : 0, luaL_ref(L, LUA_REGISTRYINDEX)};
    return 0;
}

static int d_every(lua_State *L)
{
    return add_timer(L, true);
}

static int d_after(lua_State *L)
{
    return add_timer(L, false);
}

const Slot *controller_find_slot(const CityController *c, const char *id)
{
    for (int32_t i = 0; i < c->n_slots; i++)
        if (!strcmp(c->slot_info[i].key, id))
            return &c->slots[i];
    for (int32_t i = 0; i < c->n_slots; i++)
        if (!strcmp(c->slot_info[i].name, id))
            return &c->slots[i];
    return NULL;
}

/* The slot that read() was given `id` for by its string's address: the
 * ids in read's table (see push_read) are kept alive as its keys, and a
 * string the controller passes is the same object when it has the same
 * short content (Lua interns short strings), so equal addresses mean equal
 * ids; a long id built at run time misses here and is found in the table.
 * Controllers read their sensors in the same order every period, so the
 * search starts after the last hit. -1 when not found. */
static int32_t read_cached(CityController *c, const char *id)
{
    const int32_t n = c->n_rkeys;
    int32_t k = c->rkey_next;
    for (int32_t m = 0; m < n; m++) {
        if (c->rkeys[k].id == id) {
            c->rkey_next = k + 1 < n ? k + 1 : 0;
            return c->rkeys[k].slot;
        }
        k = k + 1 < n ? k + 1 : 0;
    }
    return -1;
}

/* read(sensor) -> value, measured time (s), quality; nil when nothing arrived yet.
 * Upvalues: 1 the ids known at attach ("name/quantity" and "name") -> slot
 * index (made once, so a read is one table look-up, not a search by
 * string; read_cached first), 2.. the quality names. */
static int d_read(lua_State *L)
{
    CityController *c = self_of(L);
    const char *id = lua_tolstring(L, 1, NULL);
    if (!id)
        id = luaL_checkstring(L, 1); /* raises */
    const Slot *s = NULL;
    const int32_t k = read_cached(c, id);
    if (k >= 0) {
        s = &c->slots[k];
    } else {
        lua_pushvalue(L, 1);
        if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNUMBER)
            s = &c->slots[lua_tointeger(L, -1)];
        else if (!(s = controller_find_slot(c, id)) && !controller_reads(c, id))
            return luaL_error(L, "read: sensor '%s' is not among this controller's sensors", id);
    }
    if (!s || !s->has) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushnumber(L, s->last.value);
    lua_pushnumber(L, (double)s->last.measured_ms / 1000.0);
    if ((unsigned)s->last.quality < CITY_QUALITY_COUNT_OF)
        lua_pushvalue(L, lua_upvalueindex(2 + (int)s->last.quality));
    else
        lua_pushstring(L, city_quality_name(s->last.quality));
    return 3;
}

/* Pushes read() with its look-up table of the slots there are now (slots
 * added later, by the agent, are found by controller_find_slot), and
 * records the table's keys for read_cached (none when out of memory: read
 * then only uses the table). */
static void push_read(lua_State *L, CityController *c)
{
    lua_createtable(L, 0, 2 * c->n_slots);
    free(c->rkeys);
    c->rkeys = malloc((2 * (size_t)c->n_slots + 1) * sizeof *c->rkeys);
    c->n_rkeys = c->rkey_next = 0;
    for (int32_t i = 0; i < c->n_slots; i++) {
        const char *ids[2] = {c->slot_info[i].key, c->slot_info[i].name};
        for (int k = 0; k < 2; k++) {
            if (controller_find_slot(c, ids[k]) != &c->slots[i])
                continue; /* a name read as its first channel */
            const char *key = lua_pushstring(L, ids[k]); /* the table's key: alive as long as read */
            lua_pushinteger(L, i);
            lua_rawset(L, -3);
            if (c->rkeys)
                c->rkeys[c->n_rkeys++] = (ReadKey){key, i};
        }
    }
    for (int q = 0; q < CITY_QUALITY_COUNT_OF; q++)
        lua_pushstring(L, city_quality_name((CityQuality)q));
    lua_pushcclosure(L, d_read, 1 + CITY_QUALITY_COUNT_OF);
}

static int d_subscribe(lua_State *L)
{
    CityController *c = self_of(L);
    const char *pat = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    controller_direct_stop(c); /* its readings are delivered from now on, to call fn */
    void *arr = c->subs;
    char *p = city_strdup(pat);
    if (!p || !city_array_grow(&arr, &c->cap_subs, c->n_subs + 1, sizeof *c->subs)) {
        free(p);
        return luaL_error(L, "out of memory");
    }
    c->subs = arr;
    lua_pushvalue(L, 2);
    c->subs[c->n_subs++] = (Sub){p, luaL_ref(L, LUA_REGISTRYINDEX)};
    return 0;
}

/* command(actuator, value) -> true, or false and the reason. */
static int d_command(lua_State *L)
{
    CityController *c = self_of(L);
    const char *act = luaL_checkstring(L, 1);
    const double v = luaL_checknumber(L, 2);
    const char *why = c->port.command(c->port.ctx, act, v, controller_now_ms(c));
    lua_pushboolean(L, why == NULL);
    if (!why)
        return 1;
    lua_pushstring(L, why);
    return 2;
}

/* param(name) -> a number when it reads as one, else the string; nil when not given. */
static int d_param(lua_State *L)
{
    CityController *c = self_of(L);
    const char *k = luaL_checkstring(L, 1);
    for (int32_t i = 0; i < c->n_params; i++)
        if (!strcmp(c->pkeys[i], k)) {
            if (!lua_stringtonumber(L, c->pvals[i]))
                lua_pushstring(L, c->pvals[i]);
            return 1;
        }
    lua_pushnil(L);
    return 1;
}

static int d_log(lua_State *L)
{
    CityController *c = self_of(L);
    const int n = lua_gettop(L); /* before the buffer, which may push a box of its own */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        if (lua_type(L, i) == LUA_TSTRING || lua_type(L, i) == LUA_TNUMBER || lua_type(L, i) == LUA_TBOOLEAN ||
            lua_isnil(L, i)) {
            luaL_tolstring(L, i, NULL);
            luaL_addvalue(&b);
        } else
            luaL_addstring(&b, luaL_typename(L, i));
    }
    luaL_pushresult(&b);
    controller_log(c, "%s: %s", c->name, lua_tostring(L, -1));
    return 0;
}

/* random() -> [0, 1); random(n) -> 1..n; random(m, n) -> m..n. From the controller's own seeded stream. */
static int d_random(lua_State *L)
{
    CityController *c = self_of(L);
    if (lua_gettop(L) == 0) {
        lua_pushnumber(L, city_rng_uniform(&c->rng));
        return 1;
    }
    lua_Integer lo = 1, hi = luaL_checkinteger(L, 1);
    if (lua_gettop(L) >= 2) {
        lo = hi;
        hi = luaL_checkinteger(L, 2);
    }
    luaL_argcheck(L, lo <= hi, 1, "interval is empty");
    lua_pushinteger(L, lo + (lua_Integer)city_rng_below(&c->rng, (uint64_t)(hi - lo) + 1));
    return 1;
}

/* tostring without addresses: tables and functions print as their type. */
static int d_tostring(lua_State *L)
{
    luaL_checkany(L, 1);
    int t = lua_type(L, 1);
    if (t == LUA_TSTRING || t == LUA_TNUMBER || t == LUA_TBOOLEAN || t == LUA_TNIL)
        luaL_tolstring(L, 1, NULL);
    else
        lua_pushstring(L, luaL_typename(L, 1));
    return 1;
}

static const luaL_Reg device_fns[] = {
    {"now", d_now},     {"every", d_every}, {"after", d_after},   {"read", NULL}, {"subscribe", d_subscribe},
    {"command", d_command}, {"param", d_param}, {"log", d_log},     {"random", d_random},
    {"group", controller_api_group}, {"first", controller_api_first}, {"sum", controller_api_sum},
    {"wake_on", controller_api_wake_on}, {"wake_at", controller_api_wake_at}, {NULL, NULL}};

/* Globals of a fresh sandbox: base's 25 (some closed again), 3 libraries, the device API. */
#define SANDBOX_GLOBALS 50

static void open_sandbox(lua_State *L, CityController *c)
{
    /* a globals table of the size it will have, not grown (and rehashed) 6 times as base fills it */
    lua_createtable(L, 0, SANDBOX_GLOBALS);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    lua_pop(L, 4);
    static const char *const closed[] = {"dofile", "loadfile", "load", "require", "collectgarbage", "pcall",
                                         "xpcall", "pairs",    "next", "print",   "rawlen",         NULL};
    for (int i = 0; closed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, closed[i]);
    }
    lua_getglobal(L, "math");
    lua_pushnil(L);
    lua_setfield(L, -2, "random");
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pushnil(L);
    lua_setfield(L, -2, "format"); /* %p prints addresses */
    lua_pop(L, 1);
    lua_pushcfunction(L, d_tostring);
    lua_setglobal(L, "tostring");
    luaL_newlib(L, device_fns);
    push_read(L, c);
    lua_setfield(L, -2, "read");
    for (const luaL_Reg *f = device_fns; f->name; f++) {
        lua_getfield(L, -1, f->name);
        lua_setglobal(L, f->name);
    }
    lua_setglobal(L, "device");
}

/* ---- running -------------------------------------------------------------- */

void controller_fail(CityController *c, const char *why)
{
    c->failed = true;
    snprintf(c->failure, sizeof c->failure, "%s", why);
    controller_log(c, "%s stopped: %s", c->name, why);
    c->port.failsafe(c->port.ctx, why);
}

void city_controller_stop(CityController *c, const char *why)
{
    if (!c->failed)
        controller_fail(c, why);
}

/* Calls the function on top of the stack with nargs arguments below it... pushed after it. */
static bool call(CityController *c, int nargs)
{
    if (c->failed) {
        lua_pop(c->L, nargs + 1);
        return false;
    }
    c->activations++;
    int rc = lua_pcall(c->L, nargs, 0, 0);
    if (rc == LUA_OK)
        return true;
    char why[512];
    if (rc == LUA_ERRMEM)
        snprintf(why, sizeof why, "memory budget of %zu bytes exceeded", c->mem_limit);
    else
        snprintf(why, sizeof why, "%s%s", c->over_budget ? "budget: " : "error: ",
                 lua_isstring(c->L, -1) ? lua_tostring(c->L, -1) : "(no message)");
    lua_pop(c->L, 1);
    controller_fail(c, why);
    return false;
}

static bool glob(const char *p, const char *s)
{
    if (*p == '\0')
        return *s == '\0';
    if (*p == '*')
        return glob(p + 1, s) || (*s && glob(p, s + 1));
    return *s == *p && glob(p + 1, s + 1);
}

bool controller_reads(const CityController *c, const char *id)
{
    const char *slash = strchr(id, '/');
    const size_t name_len = slash ? (size_t)(slash - id) : strlen(id);
    for (int32_t i = 0; i < c->n_sensors; i++)
        if (!strcmp(c->sensors[i], id) || (strlen(c->sensors[i]) == name_len && !strncmp(c->sensors[i], id, name_len)))
            return true;
    return false;
}

static Slot *add_slot(CityController *c, const char *key)
{
    void *arr = c->slots, *info = c->slot_info;
    int32_t cap = c->cap_slots;
    if (!city_array_grow(&info, &cap, c->n_slots + 1, sizeof *c->slot_info))
        return NULL;
    c->slot_info = info;
    if (!city_array_grow(&arr, &c->cap_slots, c->n_slots + 1, sizeof *c->slots))
        return NULL;
    c->slots = arr;
    Slot *s = &c->slots[c->n_slots];
    SlotInfo *sl = &c->slot_info[c->n_slots++];
    memset(s, 0, sizeof *s);
    memset(sl, 0, sizeof *sl);
    sl->channel = -1; /* none known until a run marks it (controller_direct_mark) */
    sl->base_ms = INT64_MIN;
    snprintf(sl->key, sizeof sl->key, "%s", key);
    snprintf(sl->name, sizeof sl->name, "%s", key);
    char *slash = strchr(sl->name, '/');
    if (slash)
        *slash = '\0';
    return s;
}

/* Input again after stale: its actuators leave the fail-safe. */
static void input_arrived(CityController *c, int64_t arrives_ms)
{
    c->last_input_ms = arrives_ms;
    if (c->stale) {
        c->stale = false;
        controller_log(c, "%s: inputs fresh again", c->name);
        c->port.release(c->port.ctx);
    }
}

bool city_controller_reading(CityController *c, const CityReading *r)
{
    char key[CITY_SENSOR_NAME_MAX + 16];
    snprintf(key, sizeof key, "%s/%s", r->sensor, city_quantity_name(r->quantity));
    Slot *s = NULL;
    for (int32_t i = 0; i < c->n_slots && !s; i++)
        if (!strcmp(c->slot_info[i].key, key))
            s = &c->slots[i];
    if (!s && controller_reads(c, key))
        s = add_slot(c, key); /* a channel not known in advance (the agent) */
    if (!s)
        return false;
    return controller_deliver(c, s, r);
}

bool controller_keep(CityController *c, Slot *s, const SlotReading *r)
{
    if (c->bridge || c->dev || c->n_subs > 0)
        return false;
    if (!c->failed) {
        s->has = true;
        s->last = *r;
        input_arrived(c, r->arrives_ms);
    }
    return true;
}

bool controller_deliver(CityController *c, Slot *s, const CityReading *r)
{
    const char *key = c->slot_info[s - c->slots].key;
    if (c->failed)
        return true;
    s->has = true;
    s->last = (SlotReading){r->value, r->measured_ms, r->arrives_ms, r->quality};
    input_arrived(c, r->arrives_ms);
    if (c->bridge)
        return controller_remote_keep(c, r);
    if (c->dev) {
        controller_device_reading(c, key, r);
        return true;
    }
    for (int32_t i = 0; i < c->n_subs && !c->failed; i++) {
        if (!glob(c->subs[i].pattern, key) && !glob(c->subs[i].pattern, r->sensor))
            continue;
        lua_rawgeti(c->L, LUA_REGISTRYINDEX, c->subs[i].ref);
        lua_pushstring(c->L, key);
        lua_pushnumber(c->L, r->value);
        lua_pushnumber(c->L, (double)r->measured_ms / 1000.0);
        lua_pushstring(c->L, city_quality_name(r->quality));
        call(c, 4);
    }
    return true;
}

static void run_timers(CityController *c, int64_t t)
{
    /* timers added while running wait for the next tick */
    const int32_t n = c->n_timers;
    for (int32_t i = 0; i < n && !c->failed; i++) {
        Timer *tm = &c->timers[i];
        if (tm->ref == LUA_NOREF || tm->due_ms > t)
            continue;
        const int ref = tm->ref;
        if (tm->every_ms > 0) { /* the first due time after t: times missed (a coarse tick) are skipped */
            tm->due_ms += ((t - tm->due_ms) / tm->every_ms + 1) * tm->every_ms;
        } else {
            tm->ref = LUA_NOREF;
        }
        lua_rawgeti(c->L, LUA_REGISTRYINDEX, ref);
        if (c->timers[i].ref == LUA_NOREF)
            luaL_unref(c->L, LUA_REGISTRYINDEX, ref);
        call(c, 0);
    }
}

/* No input for stale_ms: its actuators go safe until a reading arrives. */
static void check_stale(CityController *c, int64_t t)
{
    if (c->stale_ms > 0 && c->n_sensors > 0 && !c->stale && t - c->last_input_ms > c->stale_ms) {
        c->stale = true;
        char why[128];
        snprintf(why, sizeof why, "%s: no input for %.3f s", c->name, (double)(t - c->last_input_ms) / 1000.0);
        controller_log(c, "%s", why);
        c->port.failsafe(c->port.ctx, why);
    }
}

void city_controller_run(CityController *c, bool step)
{
    if (c->failed)
        return;
    if (!step && city_controller_quiet(c))
        return; /* between two periods a Lua controller with no timer has nothing to do */
    if (step && c->wake_group != 0 && c->n_timers == 0 && c->stale_ms <= 0 && !controller_wake_due(c)) {
        /* waiting (wake_on) with nothing else to do: its direct slots are brought up to date when it next
         * runs, or before a checkpoint, as if taken now (the newest reading of each) */
        c->activations++; /* as if step() had run and returned at once */
        return;
    }
    if (c->n_direct > 0)
        controller_direct_pull(c);
    /* the clock only when something asks it (a period of a quiet controller does not) */
    const int64_t t = c->stale_ms > 0 || c->n_timers > 0 || c->bridge || c->dev ? controller_now_ms(c) : 0;
    check_stale(c, t);
    if (c->bridge) {
        controller_remote_run(c, step);
        return;
    }
    if (c->dev) {
        c->activations++;
        if (step)
            controller_device_step(c);
        return;
    }
    if (c->n_timers > 0)
        run_timers(c, t);
    if (!c->failed && step) {
        if (c->wake_group != 0 && !controller_wake_due(c)) {
            c->activations++; /* as if step() had run and returned at once (wake_on) */
            return;
        }
        c->wake_group = 0;
        if (lua_getglobal(c->L, "step") == LUA_TFUNCTION)
            call(c, 0);
        else
            lua_pop(c->L, 1);
    }
}

void city_controller_reseed(CityController *c, uint64_t mixed)
{
    char stream[128];
    snprintf(stream, sizeof stream, "controller/%s", c->name);
    city_rng_seed(&c->rng, mixed, city_rng_stream_id(stream));
}

void city_controller_new_budget(CityController *c)
{
    c->instr_used = 0;
}

void city_controller_share_epoch(CityController *c, const uint64_t *epoch)
{
    c->epoch = epoch;
    c->epoch_seen = epoch ? *epoch : 0;
}

bool city_controller_quiet(const CityController *c)
{
    return c->failed || (c->L && !c->bridge && !c->dev && c->n_timers == 0 && c->n_subs == 0 && c->stale_ms <= 0);
}

int64_t city_controller_next_timer_ms(const CityController *c)
{
    if (c->bridge)
        return c->wake_ms;
    int64_t next = -1;
    for (int32_t i = 0; i < c->n_timers; i++)
        if (c->timers[i].ref != LUA_NOREF && (next < 0 || c->timers[i].due_ms < next))
            next = c->timers[i].due_ms;
    return next;
}

/* ---- life cycle ----------------------------------------------------------- */

const char *city_controller_name(const CityController *c)
{
    return c->name;
}

const char *city_controller_failure(const CityController *c)
{
    return c->failed ? c->failure : NULL;
}

uint64_t city_controller_activations(const CityController *c)
{
    return c->activations;
}

uint64_t city_controller_misses(const CityController *c)
{
    return c->misses;
}

static void free_list(char **list, int32_t n)
{
    for (int32_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

void city_controller_free(CityController *c)
{
    if (!c)
        return;
    if (c->L)
        lua_close(c->L);
    ctl_arena_free(c->arena);
    controller_device_close(c);
    for (int32_t i = 0; i < c->n_subs; i++)
        free(c->subs[i].pattern);
    free_list(c->pkeys, c->n_params);
    free_list(c->pvals, c->n_params);
    free_list(c->sensors, c->n_sensors);
    free(c->subs);
    controller_groups_free(c);
    free(c->timers);
    free(c->slots);
    free(c->slot_info);
    free(c->direct);
    free(c->rkeys);
    free(c->pending);
    free(c->name);
    if (c->port.destroy)
        c->port.destroy(c->port.ctx);
    free(c);
}

/* A heap copy of n strings; false when out of memory (what was copied stays in *out for the free). */
static bool copy_list(char ***out, int32_t *n_out, const char **src, int32_t n)
{
    *out = calloc((size_t)n + 1, sizeof **out);
    if (!*out)
        return false;
    for (int32_t i = 0; i < n; i++) {
        (*out)[i] = city_strdup(src[i]);
        *n_out = i + 1;
        if (!(*out)[i])
            return false;
    }
    return true;
}

static bool copy_spec(CityController *c, const CityControllerSpec *spec)
{
    int32_t nk = 0, nv = 0;
    c->name = city_strdup(spec->name);
    bool ok = c->name && copy_list(&c->sensors, &c->n_sensors, spec->sensors, spec->n_sensors) &&
              copy_list(&c->pkeys, &nk, spec->param_keys, spec->n_params) &&
              copy_list(&c->pvals, &nv, spec->param_vals, spec->n_params);
    c->n_params = nk > nv ? nk : nv;
    if (ok && spec->n_channels > 0) { /* the channels given, exactly: small blocks, no doubling from 16 */
        void *slots = NULL, *info = NULL;
        ok = city_resize(&slots, (size_t)spec->n_channels, sizeof *c->slots) &&
             city_resize(&info, (size_t)spec->n_channels, sizeof *c->slot_info);
        c->slots = slots;
        c->slot_info = info;
        c->cap_slots = ok ? spec->n_channels : 0;
    }
    for (int32_t i = 0; ok && i < spec->n_channels; i++)
        ok = controller_find_slot(c, spec->channels[i]) || add_slot(c, spec->channels[i]);
    return ok;
}

/* Opens the sandbox, runs the file's top level and init(); false with err filled. */
static bool open_lua(CityController *c, const CityControllerSpec *spec, CityError *err)
{
    c->arena = ctl_arena_new(c->mem_limit);
    c->L = c->arena ? lua_newstate(host_alloc, c) : NULL;
    if (!c->L)
        return city_error_set(err, CITY_ERR_LIMIT, "controller '%s': its memory budget (%zu bytes) is too small",
                              spec->name, c->mem_limit),
               false;
    open_sandbox(c->L, c);
    control_lua_mark_builtins(c->L);
    lua_sethook(c->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    /* messages (events.csv) name the file as the scenario did, not where the checkout is */
    char chunk[512];
    snprintf(chunk, sizeof chunk, "@%s", spec->source_name ? spec->source_name : spec->path);
    size_t len;
    char *src = city_file_read(spec->path, CONTROLLER_MAX_BYTES, &len);
    int rc = LUA_ERRFILE;
    if (src)
        rc = controller_load_chunk(c->L, spec->chunks, src, len, chunk);
    else
        lua_pushfstring(c->L, "cannot open %s", chunk + 1);
    free(src);
    if (rc == LUA_OK)
        rc = lua_pcall(c->L, 0, 0, 0);
    if (rc == LUA_OK && lua_getglobal(c->L, "init") == LUA_TFUNCTION)
        rc = lua_pcall(c->L, 0, 0, 0);
    else if (rc == LUA_OK)
        lua_pop(c->L, 1);
    if (rc != LUA_OK)
        return city_error_set(err, CITY_ERR_SCRIPT, "controller '%s': %s", spec->name,
                              lua_isstring(c->L, -1) ? lua_tostring(c->L, -1) : "does not load"),
               false;
    c->instr_used = 0;
    c->started = true;
    c->n_init_timers = c->n_timers;
    c->n_init_subs = c->n_subs;
    return true;
}

CityController *city_controller_new(const CityControllerSpec *spec, const CityControllerPort *port, CityError *err)
{
    /* on cache lines of its own: its first two hold what a period touches */
    const size_t bytes = (sizeof(CityController) + 63) / 64 * 64;
    CityController *c = aligned_alloc(64, bytes);
    if (c)
        memset(c, 0, bytes);
    if (!c) {
        if (port->destroy)
            port->destroy(port->ctx);
        city_error_set(err, CITY_ERR_NOMEM, "out of memory creating controller '%s'", spec->name);
        return NULL;
    }
    c->port = *port;
    c->wake_ms = -1;
    if (!copy_spec(c, spec)) {
        city_controller_free(c);
        city_error_set(err, CITY_ERR_NOMEM, "out of memory creating controller '%s'", spec->name);
        return NULL;
    }
    c->mem_limit = spec->mem_limit;
    c->instr_limit = spec->instr_limit;
    c->period_ticks = spec->period_ticks > 0 ? spec->period_ticks : 1;
    c->stale_ms = (int64_t)llround(spec->stale_s * 1000.0);
    c->last_input_ms = controller_now_ms(c);
    c->seed = spec->seed;
    char stream[128];
    snprintf(stream, sizeof stream, "controller/%s", spec->name);
    city_rng_seed(&c->rng, spec->seed, city_rng_stream_id(stream));
    const size_t len = spec->path ? strlen(spec->path) : 0;
    bool ok;
    if (spec->bridge)
        ok = (c->bridge = spec->bridge) != NULL;
    else if (len > 3 && !strcmp(spec->path + len - 3, ".so"))
        ok = controller_device_open(c, spec->path, err);
    else
        ok = open_lua(c, spec, err);
    if (!ok) {
        city_controller_free(c);
        return NULL;
    }
    return c;
}
