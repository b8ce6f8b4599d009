/* A Lua controller: its own lua_State with a capped allocator and an
 * instruction budget per tick, only base (without files, load, pcall,
 * pairs), table, string and math, and the device API: now, every, after,
 * read, subscribe, command, param, log, random. It never sees the world:
 * readings come in, commands go out through the control domain. The same
 * calls run in citylab-agent against MQTT (scenarios/DEVICE_API.md). */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "city_array.h"
#include "city_control.h"
#include "city_rng.h"
#include "city_sensor.h"
#include "device.h"
#include "lua_control_internal.h"

#define HOOK_EVERY 1000 /* instructions between budget checks */

typedef struct Slot {
    char key[CITY_SENSOR_NAME_MAX + 16]; /* "name/quantity" */
    char name[CITY_SENSOR_NAME_MAX];     /* "name" */
    bool has;
    CityReading last;
} Slot;

typedef struct Timer {
    int64_t due_ms, every_ms; /* every_ms 0: once */
    int ref;                  /* the function, LUA_NOREF when spent */
} Timer;

typedef struct Sub {
    char *pattern; /* glob: '*' any run of characters */
    int ref;
} Sub;

struct Controller {
    CityWorld *world;
    char *name;
    lua_State *L;
    size_t mem_used, mem_limit;
    uint64_t instr_used, instr_limit;
    Slot *slots;
    int32_t n_slots;
    int32_t *allowed;
    int32_t n_allowed;
    char **pkeys, **pvals;
    int32_t n_params;
    Timer *timers;
    int32_t n_timers, cap_timers;
    Sub *subs;
    int32_t n_subs, cap_subs;
    int32_t period_ticks;
    int64_t stale_ms, last_input_ms;
    bool stale, failed, over_budget;
    uint64_t activations;
    CityRng rng;
    void *dl;                        /* C controller: the shared object, */
    const CityDeviceController *dev; /* its entry points, */
    void *dstate;                    /* its state */
    CityDeviceHost host;             /* and what it calls */
};

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    Controller *c = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        c->mem_used -= old;
        return NULL;
    }
    if (nsize > old && c->mem_used - old + nsize > c->mem_limit)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p)
        c->mem_used = c->mem_used - old + nsize;
    return p;
}

static Controller *self_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    Controller *c = self_of(L);
    c->instr_used += HOOK_EVERY;
    if (c->instr_used > c->instr_limit) {
        c->over_budget = true;
        luaL_error(L, "instruction budget of %I per tick exceeded", (lua_Integer)c->instr_limit);
    }
}

static int64_t now_ms(const Controller *c)
{
    return city_world_tick(c->world) * city_world_dt_ms(c->world);
}

/* ---- the device API ------------------------------------------------------ */

static int d_now(lua_State *L)
{
    lua_pushnumber(L, (double)now_ms(self_of(L)) / 1000.0);
    return 1;
}

static int add_timer(lua_State *L, bool repeat)
{
    Controller *c = self_of(L);
    const double s = luaL_checknumber(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    const int64_t ms = (int64_t)llround(s * 1000.0);
    if (!(s >= 0) || (repeat && ms < 1))
        return luaL_error(L, "%s: give a delay in seconds %s", repeat ? "every" : "after", repeat ? "> 0" : ">= 0");
    void *arr = c->timers;
    if (!city_array_grow(&arr, &c->cap_timers, c->n_timers + 1, sizeof *c->timers))
        return luaL_error(L, "out of memory");
    c->timers = arr;
    lua_pushvalue(L, 2);
    c->timers[c->n_timers++] = (Timer){now_ms(c) + ms, repeat ? ms : 0, luaL_ref(L, LUA_REGISTRYINDEX)};
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

static const Slot *find_slot(const Controller *c, const char *id)
{
    for (int32_t i = 0; i < c->n_slots; i++)
        if (!strcmp(c->slots[i].key, id))
            return &c->slots[i];
    for (int32_t i = 0; i < c->n_slots; i++)
        if (!strcmp(c->slots[i].name, id))
            return &c->slots[i];
    return NULL;
}

/* read(sensor) -> value, measured time (s), quality; nil when nothing arrived yet. */
static int d_read(lua_State *L)
{
    Controller *c = self_of(L);
    const char *id = luaL_checkstring(L, 1);
    const Slot *s = find_slot(c, id);
    if (!s)
        return luaL_error(L, "read: sensor '%s' is not among this controller's sensors", id);
    if (!s->has) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushnumber(L, s->last.value);
    lua_pushnumber(L, (double)s->last.measured_ms / 1000.0);
    lua_pushstring(L, city_quality_name(s->last.quality));
    return 3;
}

static int d_subscribe(lua_State *L)
{
    Controller *c = self_of(L);
    const char *pat = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
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
    Controller *c = self_of(L);
    const char *act = luaL_checkstring(L, 1);
    const double v = luaL_checknumber(L, 2);
    CityCommandResult r = city_control_command(c->world, c->name, act, v, now_ms(c), c->allowed, c->n_allowed);
    lua_pushboolean(L, r == CITY_CMD_ACK);
    if (r == CITY_CMD_ACK)
        return 1;
    lua_pushstring(L, city_command_result_name(r));
    return 2;
}

/* param(name) -> a number when it reads as one, else the string; nil when not given. */
static int d_param(lua_State *L)
{
    Controller *c = self_of(L);
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
    Controller *c = self_of(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= lua_gettop(L); i++) {
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
    city_world_log(c->world, "controller", "%s: %s", c->name, lua_tostring(L, -1));
    return 0;
}

/* random() -> [0, 1); random(n) -> 1..n; random(m, n) -> m..n. From the controller's own seeded stream. */
static int d_random(lua_State *L)
{
    Controller *c = self_of(L);
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
    {"now", d_now},         {"every", d_every}, {"after", d_after}, {"read", d_read},     {"subscribe", d_subscribe},
    {"command", d_command}, {"param", d_param}, {"log", d_log},     {"random", d_random}, {NULL, NULL}};

static void open_sandbox(lua_State *L)
{
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
    for (const luaL_Reg *f = device_fns; f->name; f++) {
        lua_getfield(L, -1, f->name);
        lua_setglobal(L, f->name);
    }
    lua_setglobal(L, "device");
}

/* ---- running -------------------------------------------------------------- */

static void fail(Controller *c, const char *why)
{
    c->failed = true;
    city_world_log(c->world, "controller", "%s stopped: %s", c->name, why);
    for (int32_t i = 0; i < c->n_allowed; i++)
        city_control_failsafe(c->world, c->allowed[i], why);
}

/* Calls the function on top of the stack with nargs arguments below it... pushed after it. */
static bool call(Controller *c, int nargs)
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
    fail(c, why);
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

void control_host_reading(Controller *c, const CityReading *r)
{
    char key[CITY_SENSOR_NAME_MAX + 16];
    snprintf(key, sizeof key, "%s/%s", r->sensor, city_quantity_name(r->quantity));
    Slot *s = NULL;
    for (int32_t i = 0; i < c->n_slots && !s; i++)
        if (!strcmp(c->slots[i].key, key))
            s = &c->slots[i];
    if (!s || c->failed)
        return;
    s->has = true;
    s->last = *r;
    c->last_input_ms = r->arrives_ms;
    if (c->stale) {
        c->stale = false;
        city_world_log(c->world, "controller", "%s: inputs fresh again", c->name);
        for (int32_t i = 0; i < c->n_allowed; i++)
            city_control_release(c->world, c->allowed[i]);
    }
    if (c->dev) {
        if (c->dev->on_reading &&
            c->dev->on_reading(c->dstate, key, r->value, (double)r->measured_ms / 1000.0, (int)r->quality) != 0)
            fail(c, "on_reading returned an error");
        return;
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
}

static void run_timers(Controller *c, int64_t t)
{
    /* timers added while running wait for the next tick */
    const int32_t n = c->n_timers;
    for (int32_t i = 0; i < n && !c->failed; i++) {
        Timer *tm = &c->timers[i];
        if (tm->ref == LUA_NOREF || tm->due_ms > t)
            continue;
        const int ref = tm->ref;
        if (tm->every_ms > 0) {
            while (tm->due_ms <= t)
                tm->due_ms += tm->every_ms;
        } else {
            tm->ref = LUA_NOREF;
        }
        lua_rawgeti(c->L, LUA_REGISTRYINDEX, ref);
        if (c->timers[i].ref == LUA_NOREF)
            luaL_unref(c->L, LUA_REGISTRYINDEX, ref);
        call(c, 0);
    }
}

void control_host_tick(Controller *c, int64_t tick)
{
    if (c->failed)
        return;
    const int64_t t = now_ms(c);
    if (c->stale_ms > 0 && c->n_slots > 0 && !c->stale && t - c->last_input_ms > c->stale_ms) {
        c->stale = true;
        char why[128];
        snprintf(why, sizeof why, "%s: no input for %.3f s", c->name, (double)(t - c->last_input_ms) / 1000.0);
        city_world_log(c->world, "controller", "%s", why);
        for (int32_t i = 0; i < c->n_allowed; i++)
            city_control_failsafe(c->world, c->allowed[i], why);
    }
    if (c->dev) {
        c->activations++;
        if (tick % c->period_ticks == 0 && c->dev->step(c->dstate) != 0)
            fail(c, "step returned an error");
        return;
    }
    run_timers(c, t);
    if (!c->failed && tick % c->period_ticks == 0) {
        if (lua_getglobal(c->L, "step") == LUA_TFUNCTION)
            call(c, 0);
        else
            lua_pop(c->L, 1);
    }
}

void control_host_new_budget(Controller *c)
{
    c->instr_used = 0;
}

/* ---- C controllers (device.h) ------------------------------------------- */

static double h_now(void *host)
{
    return (double)now_ms(host) / 1000.0;
}

static int h_read(void *host, const char *sensor, double *value, double *measured_s, int *quality)
{
    const Slot *s = find_slot(host, sensor);
    if (!s)
        return -1;
    if (!s->has)
        return 0;
    *value = s->last.value;
    *measured_s = (double)s->last.measured_ms / 1000.0;
    *quality = (int)s->last.quality;
    return 1;
}

static int h_command(void *host, const char *actuator, double value, const char **reason)
{
    Controller *c = host;
    CityCommandResult r = city_control_command(c->world, c->name, actuator, value, now_ms(c), c->allowed, c->n_allowed);
    if (reason)
        *reason = r == CITY_CMD_ACK ? NULL : city_command_result_name(r);
    return r == CITY_CMD_ACK;
}

static void h_log(void *host, const char *message)
{
    Controller *c = host;
    city_world_log(c->world, "controller", "%s: %s", c->name, message ? message : "");
}

static const char *h_param(void *host, const char *name)
{
    Controller *c = host;
    for (int32_t i = 0; i < c->n_params; i++)
        if (!strcmp(c->pkeys[i], name))
            return c->pvals[i];
    return NULL;
}

static double h_random(void *host)
{
    return city_rng_uniform(&((Controller *)host)->rng);
}

static bool open_so(Controller *c, const char *path, char *err, size_t err_len)
{
    c->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!c->dl)
        return snprintf(err, err_len, "controller '%s': cannot load %s (%s)", c->name, path, dlerror()), false;
    const CityDeviceController *(*entry)(void) = NULL;
    *(void **)&entry = dlsym(c->dl, "city_device_controller");
    c->dev = entry ? entry() : NULL;
    if (!c->dev || c->dev->api_version != CITY_DEVICE_API_VERSION || !c->dev->init || !c->dev->step) {
        c->dev = NULL;
        return snprintf(err, err_len,
                        "controller '%s': %s does not export city_device_controller() of device API version %d "
                        "with init and step",
                        c->name, path, CITY_DEVICE_API_VERSION),
               false;
    }
    c->host = (CityDeviceHost){CITY_DEVICE_API_VERSION, c, h_now, h_read, h_command, h_log, h_param, h_random};
    if (c->dev->init(&c->host, &c->dstate) != 0) {
        c->dev = NULL; /* no fini without a successful init */
        snprintf(err, err_len, "controller '%s': init of %s returned an error", c->name, path);
        return false;
    }
    return true;
}

/* ---- life cycle ----------------------------------------------------------- */

const char *control_host_name(const Controller *c)
{
    return c->name;
}

bool control_host_failed(const Controller *c)
{
    return c->failed;
}

uint64_t control_host_activations(const Controller *c)
{
    return c->activations;
}

const int32_t *control_host_actuators(const Controller *c, int32_t *n)
{
    *n = c->n_allowed;
    return c->allowed;
}

void control_host_free(Controller *c)
{
    if (!c)
        return;
    if (c->L)
        lua_close(c->L);
    if (c->dev && c->dev->fini)
        c->dev->fini(c->dstate);
    if (c->dl)
        dlclose(c->dl);
    for (int32_t i = 0; i < c->n_subs; i++)
        free(c->subs[i].pattern);
    for (int32_t i = 0; i < c->n_params; i++) {
        free(c->pkeys[i]);
        free(c->pvals[i]);
    }
    free(c->subs);
    free(c->timers);
    free(c->pkeys);
    free(c->pvals);
    free(c->slots);
    free(c->allowed);
    free(c->name);
    free(c);
}

/* One slot per channel of the world's sensors that the spec names. */
static bool make_slots(Controller *c, const ControllerSpec *spec, char *err, size_t err_len)
{
    CitySensors *s = city_sensors_of(c->world);
    const int32_t n = s ? city_sensor_count(s) : 0;
    c->slots = calloc((size_t)n + 1, sizeof *c->slots);
    if (!c->slots)
        return snprintf(err, err_len, "out of memory"), false;
    for (int32_t k = 0; k < spec->n_sensors; k++) {
        bool found = false;
        for (int32_t i = 0; i < n; i++) {
            const CitySensorDef *d = city_sensor_def(s, i);
            char key[sizeof c->slots->key];
            snprintf(key, sizeof key, "%s/%s", d->name, city_quantity_name(d->quantity));
            if (strcmp(spec->sensors[k], d->name) && strcmp(spec->sensors[k], key))
                continue;
            found = true;
            if (find_slot(c, key))
                continue;
            Slot *sl = &c->slots[c->n_slots++];
            snprintf(sl->key, sizeof sl->key, "%s", key);
            snprintf(sl->name, sizeof sl->name, "%s", d->name);
        }
        if (!found)
            return snprintf(err, err_len,
                            "controller '%s': no sensor '%s'; declare it with city.sensor.add before attaching",
                            spec->name, spec->sensors[k]),
                   false;
    }
    return true;
}

static bool copy_spec(Controller *c, const ControllerSpec *spec)
{
    c->name = city_strdup(spec->name);
    c->allowed = malloc(((size_t)spec->n_allowed + 1) * sizeof *c->allowed);
    c->pkeys = calloc((size_t)spec->n_params + 1, sizeof *c->pkeys);
    c->pvals = calloc((size_t)spec->n_params + 1, sizeof *c->pvals);
    if (!c->name || !c->allowed || !c->pkeys || !c->pvals)
        return false;
    memcpy(c->allowed, spec->allowed, (size_t)spec->n_allowed * sizeof *c->allowed);
    c->n_allowed = spec->n_allowed;
    for (int32_t i = 0; i < spec->n_params; i++) {
        c->pkeys[i] = city_strdup(spec->param_keys[i]);
        c->pvals[i] = city_strdup(spec->param_vals[i]);
        c->n_params = i + 1;
        if (!c->pkeys[i] || !c->pvals[i])
            return false;
    }
    return true;
}

Controller *control_host_new(CityWorld *w, const ControllerSpec *spec, char *err, size_t err_len)
{
    Controller *c = calloc(1, sizeof *c);
    if (!c || !copy_spec(c, spec)) {
        control_host_free(c);
        snprintf(err, err_len, "out of memory creating controller '%s'", spec->name);
        return NULL;
    }
    c->world = w;
    c->mem_limit = spec->mem_limit;
    c->instr_limit = spec->instr_limit;
    c->period_ticks = spec->period_ticks > 0 ? spec->period_ticks : 1;
    c->stale_ms = (int64_t)llround(spec->stale_s * 1000.0);
    c->last_input_ms = now_ms(c);
    char stream[128];
    snprintf(stream, sizeof stream, "controller/%s", spec->name);
    city_rng_seed(&c->rng, city_world_seed(w), city_rng_stream_id(stream));
    if (!make_slots(c, spec, err, err_len)) {
        control_host_free(c);
        return NULL;
    }
    const size_t len = strlen(spec->path);
    if (len > 3 && !strcmp(spec->path + len - 3, ".so")) {
        if (!open_so(c, spec->path, err, err_len)) {
            control_host_free(c);
            return NULL;
        }
        return c;
    }
    c->L = lua_newstate(host_alloc, c);
    if (!c->L) {
        snprintf(err, err_len, "controller '%s': its memory budget (%zu bytes) is too small", spec->name, c->mem_limit);
        control_host_free(c);
        return NULL;
    }
    open_sandbox(c->L);
    lua_sethook(c->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    int rc = luaL_loadfilex(c->L, spec->path, "t");
    if (rc == LUA_OK)
        rc = lua_pcall(c->L, 0, 0, 0);
    if (rc == LUA_OK && lua_getglobal(c->L, "init") == LUA_TFUNCTION)
        rc = lua_pcall(c->L, 0, 0, 0);
    else if (rc == LUA_OK)
        lua_pop(c->L, 1);
    if (rc != LUA_OK) {
        snprintf(err, err_len, "controller '%s': %s", spec->name,
                 lua_isstring(c->L, -1) ? lua_tostring(c->L, -1) : "does not load");
        control_host_free(c);
        return NULL;
    }
    c->instr_used = 0;
    return c;
}
