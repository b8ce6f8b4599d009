/* city.control: declare actuators, attach controllers, send commands from
 * the scenario, read actuator status and command counts. The
 * "controllers" subsystem (CONTROL phase, every tick) hands each
 * controller the readings of its sensors as they arrive, then runs its
 * timers and step(). See scenarios/DEVICE_API.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_array.h"
#include "city_control.h"
#include "city_lua.h"
#include "city_road.h"
#include "city_scenario.h"
#include "city_sensor.h"
#include "city_controller.h"
#include "lua_control_internal.h"
#include "lua_fields.h"
#include "lua_modules.h"

#define CONTROLLERS_NAME "controllers"
#define READ_BATCH 256

/* Who reads a channel: controller, its slot, and the next reader. */
typedef struct Route {
    int32_t ctl, slot, next;
} Route;

/* When a controller runs: what the loop over them every tick reads, apart from the controllers. */
typedef struct Sched {
    int32_t period_ticks; /* step() every this many ticks */
    bool quiet;           /* after its last run: nothing to do between two periods (city_controller_quiet) */
} Sched;

typedef struct Controllers {
    CityController **list;
    Sched *sched;             /* of each */
    uint64_t epoch;           /* ticks run: a controller's instruction budget starts again when it changes */
    struct WorldPort **ports; /* of each (owned by the controller): its actuators */
    int32_t n, cap;
    int32_t routed;   /* controllers indexed below (rebuilt when one is attached) */
    bool reroute;     /* a controller stopped taking readings directly: index again before the next tick */
    int32_t n_head;   /* sensor channels indexed (those added later have no reader) */
    int32_t *head;    /* per sensor channel (city_sensor_def index): its first route, -1 none */
    Route *routes;    /* per channel a list in attach order */
    CityChunkCache *chunks; /* the files attached, compiled once (NULL: out of memory, compiled each time) */
} Controllers;

/* A controller's port in a run: the world's control domain, limited to its actuators. */
typedef struct WorldPort {
    CityWorld *world;
    char *name;
    int32_t *allowed;
    int32_t n_allowed;
} WorldPort;

static int64_t wp_now_ms(void *ctx)
{
    const WorldPort *p = ctx;
    return city_world_tick(p->world) * city_world_dt_ms(p->world);
}

static const char *wp_command(void *ctx, const char *actuator, double value, int64_t issued_ms)
{
    WorldPort *p = ctx;
    CityCommandResult r = city_control_command(p->world, p->name, actuator, value, issued_ms, p->allowed, p->n_allowed);
    return r == CITY_CMD_ACK ? NULL : city_command_result_name(r);
}

static void wp_log(void *ctx, const char *message)
{
    city_world_log(((WorldPort *)ctx)->world, "controller", "%s", message);
}

static void wp_failsafe(void *ctx, const char *why)
{
    WorldPort *p = ctx;
    for (int32_t i = 0; i < p->n_allowed; i++)
        city_control_failsafe(p->world, p->allowed[i], why);
}

static void wp_release(void *ctx)
{
    WorldPort *p = ctx;
    for (int32_t i = 0; i < p->n_allowed; i++)
        city_control_release(p->world, p->allowed[i]);
}

static void wp_destroy(void *ctx)
{
    WorldPort *p = ctx;
    if (!p)
        return;
    free(p->name);
    free(p->allowed);
    free(p);
}

static void controllers_destroy(void *self)
{
    Controllers *cs = self;
    for (int32_t i = 0; i < cs->n; i++)
        city_controller_free(cs->list[i]);
    free(cs->list);
    free(cs->sched);
    free(cs->ports);
    free(cs->head);
    free(cs->routes);
    city_chunk_cache_free(cs->chunks);
    free(cs);
}

/* Indexes every controller's channels by sensor channel, so that a reading
 * goes only to the controllers that read it, in attach order; a controller
 * that may take a channel's readings directly (lua_control_direct.c) is
 * not among its readers. */
static CityStatus route_build(CityWorld *w, Controllers *cs)
{
    const CitySensors *s = city_sensors_of(w);
    const int32_t n_ch = city_sensor_count(s);
    int32_t total = 0;
    for (int32_t k = 0; k < cs->n; k++)
        total += cs->list[k]->n_slots;
    void *rv = cs->routes, *hv = cs->head;
    const bool room = city_resize(&rv, (size_t)total + 1, sizeof *cs->routes) &&
                      city_resize(&hv, (size_t)n_ch + 1, sizeof *cs->head);
    cs->routes = rv;
    cs->head = hv;
    if (!room)
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory routing readings to controllers");
    Route *r = cs->routes;
    int32_t *head = cs->head;
    cs->n_head = n_ch;
    for (int32_t ch = 0; ch < n_ch; ch++)
        head[ch] = -1;
    int32_t n_routes = 0;
    for (int32_t k = cs->n - 1; k >= 0; k--) { /* prepending: the lists end up in attach order */
        CityController *c = cs->list[k];
        const bool pull = controller_direct_begin(c, s, &cs->reroute);
        for (int32_t sl = 0; pull && sl < c->n_slots; sl++) {
            const int32_t ch = c->slot_info[sl].channel;
            if (ch >= 0 && ch < n_ch && city_sensor_latency_ms(s, ch) == 0 && !controller_direct_add(c, sl, ch))
                return city_world_fail(w, CITY_ERR_NOMEM, "out of memory routing readings to controllers");
        }
        controller_groups_direct(c);
        for (int32_t sl = c->n_slots - 1; sl >= 0; sl--) {
            const int32_t ch = c->slot_info[sl].channel;
            if (ch < 0 || ch >= n_ch || (pull && city_sensor_latency_ms(s, ch) == 0))
                continue;
            r[n_routes] = (Route){k, sl, head[ch]};
            head[ch] = n_routes++;
        }
    }
    cs->routed = cs->n;
    cs->reroute = false;
    /* the sensors queue only what some controller reads (the rest was dropped here) */
    uint8_t *wanted = malloc((size_t)n_ch + 1);
    if (!wanted)
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory routing readings to controllers");
    bool any = false;
    for (int32_t ch = 0; ch < n_ch; ch++)
        any |= wanted[ch] = head[ch] >= 0;
    const bool ok = city_sensors_deliver_only(city_sensors_of(w), wanted, n_ch);
    free(wanted);
    /* nothing to queue for anyone (every controller takes its readings directly): no delivery, so
     * sampling does not count each reading for a queue nobody reads (a subscription routes again) */
    city_sensors_enable_delivery(city_sensors_of(w), any);
    return ok ? CITY_OK : city_world_fail(w, CITY_ERR_NOMEM, "out of memory routing readings to controllers");
}

/* Hands out the readings that arrived by now to the controllers that read them: a Lua controller
 * in-process without subscriptions only keeps the values, the others get the whole reading. */
static CityStatus deliver(CityWorld *w, Controllers *cs, CitySensors *s, int64_t now_ms)
{
    if (cs->routed != cs->n || cs->reroute) {
        CityStatus st = route_build(w, cs);
        if (st != CITY_OK)
            return st;
    }
    CitySensorArrival batch[READ_BATCH];
    size_t got;
    do {
        got = city_sensors_poll_arrivals(s, now_ms, batch, READ_BATCH);
        for (size_t r = 0; r < got; r++) {
            const CitySensorArrival *a = &batch[r];
            const SlotReading v = {a->value, a->measured_ms, a->arrives_ms, a->quality};
            for (int32_t i = a->channel < cs->n_head ? cs->head[a->channel] : -1; i >= 0; i = cs->routes[i].next) {
                CityController *c = cs->list[cs->routes[i].ctl];
                Slot *slot = &c->slots[cs->routes[i].slot];
                if (!controller_keep(c, slot, &v)) {
                    CityReading whole;
                    city_sensor_arrival_reading(s, a, &whole);
                    controller_deliver(c, slot, &whole);
                }
            }
        }
    } while (got == READ_BATCH);
    return CITY_OK;
}

static CityStatus controllers_step(CityWorld *w, void *self, int64_t tick)
{
    Controllers *cs = self;
    cs->epoch++; /* a new budget for each, without touching each */
    CitySensors *s = city_sensors_of(w);
    if (s) {
        CityStatus st = deliver(w, cs, s, tick * city_world_dt_ms(w));
        if (st != CITY_OK)
            return st;
    }
    for (int32_t k = 0; k < cs->n; k++) {
        Sched *sc = &cs->sched[k];
        const bool step = tick % sc->period_ticks == 0;
        if (step || !sc->quiet) {
            city_controller_run(cs->list[k], step);
            sc->quiet = city_controller_quiet(cs->list[k]);
        }
    }
    /* one subscribed: its channels are queued again from the next sample on */
    return cs->reroute ? route_build(w, cs) : CITY_OK;
}

static CityStatus controllers_finish(CityWorld *w, void *self)
{
    const Controllers *cs = self;
    uint64_t misses = 0; /* 0 in-process: the KPIs of a bridged run and an in-process one compare line by line */
    for (int32_t k = 0; k < cs->n; k++)
        misses += city_controller_misses(cs->list[k]);
    return city_world_kpi_set(w, "control.bridge_misses", (double)misses);
}

static void controllers_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const Controllers *cs = self;
    city_hash_i64(h, cs->n);
    for (int32_t k = 0; k < cs->n; k++) {
        city_hash_str(h, city_controller_name(cs->list[k]));
        city_hash_u64(h, city_controller_failure(cs->list[k]) != NULL);
        city_hash_u64(h, city_controller_activations(cs->list[k]));
    }
}

static CityStatus controllers_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    const Controllers *cs = self;
    city_state_put_i64(out, cs->n);
    CityError err = {0};
    for (int32_t k = 0; k < cs->n; k++)
        if (!controller_save(cs->list[k], out, &err))
            return city_world_fail((CityWorld *)w, CITY_ERR_INVALID, "cannot checkpoint: %s", err.msg);
    return CITY_OK;
}

static void controllers_reseed(void *self, uint64_t mixed)
{
    Controllers *cs = self;
    for (int32_t k = 0; k < cs->n; k++)
        city_controller_reseed(cs->list[k], mixed);
}

static CityStatus controllers_load(CityWorld *w, void *self, CityStateReader *in)
{
    (void)w;
    Controllers *cs = self;
    if (city_state_get_i64(in) != cs->n) {
        city_state_fail(in, "the checkpoint has another number of controllers than the scenario attaches");
        return CITY_ERR_PARSE;
    }
    for (int32_t k = 0; k < cs->n && !in->bad; k++) {
        controller_load(cs->list[k], in);
        cs->sched[k].quiet = false; /* its timers and state are the checkpoint's now */
    }
    return in->bad ? CITY_ERR_PARSE : CITY_OK;
}

static Controllers *controllers_ensure(lua_State *L, CityWorld *w)
{
    Controllers *cs = city_world_subsystem(w, CONTROLLERS_NAME);
    if (cs)
        return cs;
    cs = calloc(1, sizeof *cs);
    if (!cs)
        luaL_error(L, "out of memory");
    cs->chunks = city_chunk_cache_new(); /* NULL: each attach compiles its file */
    const CitySubsystemDef def = {.name = CONTROLLERS_NAME,
                                  .phase = CITY_PHASE_CONTROL,
                                  .period_ticks = 1,
                                  .step = controllers_step,
                                  .hash = controllers_hash,
                                  .finish = controllers_finish,
                                  .destroy = controllers_destroy,
                                  .save = controllers_save,
                                  .load = controllers_load};
    if (city_world_add_subsystem(w, &def, cs) != CITY_OK) {
        free(cs);
        city_lua_raise(L, w, CITY_ERR_INVALID);
    }
    if (city_world_on_reseed(w, controllers_reseed, cs) != CITY_OK) /* owned by the world from here */
        city_lua_raise(L, w, CITY_ERR_NOMEM);
    return cs;
}

bool city_scenario_controller_at(const CityScenario *scenario, int32_t i, CityControllerInfo *out)
{
    const Controllers *cs = city_world_subsystem(city_scenario_world_const(scenario), CONTROLLERS_NAME);
    if (!cs || i < 0 || i >= cs->n)
        return false;
    const CityController *c = cs->list[i];
    out->name = city_controller_name(c);
    out->failed = city_controller_failure(c) != NULL;
    out->activations = city_controller_activations(c);
    out->actuators = cs->ports[i]->allowed;
    out->n_actuators = cs->ports[i]->n_allowed;
    return true;
}

/* The target of an actuator from tls = "<id>", battery = <id>, lights = <id> or target = <index>. */
static void actuator_target(lua_State *L, CityWorld *w, CityActuatorDef *d)
{
    d->target = city_lua_field_int(L, 1, "target", false, -1);
    if (d->kind == CITY_ACT_SIGNAL) {
        const char *tls = city_lua_field_string(L, 1, "tls", NULL);
        CityRoad *road = city_road_of(w);
        if (!road || !tls)
            luaL_error(L, "city.control.actuator: a signal needs a road network and tls = \"<light id>\"");
        const CityRoadNet *net = city_road_net(road);
        d->target = city_road_net_find_tls(net, tls);
        if (d->target < 0)
            luaL_error(L, "city.control.actuator: no traffic light '%s' in the network", tls);
        d->min = -1;
        d->max = net->tls[d->target].phase_count - 1;
    } else if (d->kind == CITY_ACT_STORAGE) {
        d->target = city_lua_field_int(L, 1, "battery", d->target < 0, d->target);
    } else if (d->kind == CITY_ACT_STREETLIGHT) {
        d->target = city_lua_field_int(L, 1, "lights", d->target < 0, d->target);
        d->min = 0;
        d->max = 1;
    } else if (d->kind == CITY_ACT_ACCESS) {
        const char *classes = city_lua_field_string(L, 1, "classes", "truck");
        uint32_t mask = 0;
        char word[32];
        for (const char *p = classes; *p;) {
            size_t n = strcspn(p, " ,");
            if (n > 0) {
                snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word - 1 ? n : sizeof word - 1), p);
                uint32_t bit = city_vclass_from_name(word);
                if (!bit)
                    luaL_error(L, "city.control.actuator: '%s' in classes is not a vehicle class (truck, bus, ...)",
                               word);
                mask |= bit;
            }
            p += n;
            p += strspn(p, " ,");
        }
        if (!mask)
            luaL_error(L, "city.control.actuator: an access actuator needs classes = \"truck ...\"");
        d->target = (int32_t)mask;
        d->min = 0;
        d->max = 1;
        if (city_lua_field_has(L, 1, "zone")) {
            lua_getfield(L, 1, "zone");
            for (int k = 0; k < 4; k++) {
                lua_rawgeti(L, -1 - k, k + 1);
                if (!lua_isnumber(L, -1))
                    luaL_error(L, "city.control.actuator: zone = {x0, y0, x1, y1} (m) needs four numbers");
                d->zone_m[k] = lua_tonumber(L, -1);
            }
            lua_pop(L, 5);
            if (!(d->zone_m[2] > d->zone_m[0] && d->zone_m[3] > d->zone_m[1]))
                luaL_error(L, "city.control.actuator: zone = {x0, y0, x1, y1} needs x1 > x0 and y1 > y0");
        }
    } else if (d->kind == CITY_ACT_LOAD) {
        d->target = city_lua_field_int(L, 1, "load", d->target < 0, d->target);
        d->min = -10;
        d->max = 10;
    } else if (d->kind == CITY_ACT_CHARGER) {
        d->target = city_lua_field_int(L, 1, "charger", d->target < 0, d->target);
        d->min = 0;
    }
}

/* city.control.actuator{ name=, kind=, tls= | battery= | lights= | charger=, safe=, min=, max=, min_green= } */
static int l_actuator(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityWorld *w = city_lua_world(L);
    const char *name = city_lua_field_string(L, 1, "name", NULL);
    const char *kind_s = city_lua_field_string(L, 1, "kind", "generic");
    CityActuatorKind kind;
    if (!name)
        return luaL_error(L, "city.control.actuator: give name = \"...\"");
    if (!city_actuator_kind_parse(kind_s, &kind))
        return luaL_error(
            L, "city.control.actuator: kind '%s' is not signal, storage, streetlight, charger, load, access or generic",
            kind_s);
    CityActuatorDef d = city_actuator_def_default(kind, name);
    actuator_target(L, w, &d);
    d.min = city_lua_field_number(L, 1, "min", d.min);
    d.max = city_lua_field_number(L, 1, "max", d.max);
    d.safe_value = city_lua_field_number(L, 1, "safe", d.safe_value);
    d.min_green_s = city_lua_field_number(L, 1, "min_green", d.min_green_s);
    if (city_actuator_add(w, &d) < 0)
        return city_lua_raise(L, w, CITY_ERR_INVALID);
    lua_pushstring(L, name);
    return 1;
}

/* Strings of the array field `key` of table 1 onto a Lua-owned userdata of pointers (kept on the stack). */
static const char **string_list(lua_State *L, const char *key, int32_t *n)
{
    lua_getfield(L, 1, key);
    const int t = lua_gettop(L);
    *n = 0;
    if (lua_isnil(L, t))
        return lua_newuserdatauv(L, sizeof(char *), 0);
    if (!lua_istable(L, t))
        luaL_error(L, "city.control.attach: %s must be a list of ids", key);
    const lua_Integer len = luaL_len(L, t);
    const char **out = lua_newuserdatauv(L, (size_t)(len + 1) * sizeof(char *), 0);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_rawgeti(L, t, i);
        if (!lua_isstring(L, -1))
            luaL_error(L, "city.control.attach: %s[%d] is not an id", key, (int)i);
        out[(*n)++] = lua_tostring(L, -1);
        lua_rawseti(L, t, i); /* keep the string referenced */
    }
    return out;
}

/* params = { k = v, ... } as sorted string pairs (deterministic order). */
static int32_t param_list(lua_State *L, const char ***keys, const char ***vals)
{
    lua_getfield(L, 1, "params");
    const int t = lua_gettop(L);
    int32_t n = 0;
    if (lua_istable(L, t)) {
        lua_pushnil(L);
        while (lua_next(L, t)) {
            n++;
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, t)) {
        luaL_error(L, "city.control.attach: params must be a table { name = value }");
    }
    *keys = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof(char *), 0);
    *vals = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof(char *), 0);
    int32_t k = 0;
    if (n > 0) {
        lua_newtable(L); /* keeps the converted strings alive */
        const int keep = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (lua_type(L, -2) != LUA_TSTRING || !(lua_isstring(L, -1) || lua_isboolean(L, -1)))
                luaL_error(L, "city.control.attach: params must map names to numbers or strings");
            (*keys)[k] = lua_tostring(L, -2);
            (*vals)[k] = luaL_tolstring(L, -1, NULL);
            lua_rawseti(L, keep, k + 1);
            lua_pop(L, 1);
            k++;
        }
        for (int32_t i = 1; i < n; i++) /* insertion sort by key */
            for (int32_t j = i; j > 0 && strcmp((*keys)[j - 1], (*keys)[j]) > 0; j--) {
                const char *tk = (*keys)[j], *tv = (*vals)[j];
                (*keys)[j] = (*keys)[j - 1];
                (*vals)[j] = (*vals)[j - 1];
                (*keys)[j - 1] = tk;
                (*vals)[j - 1] = tv;
            }
    }
    return n;
}

/* The sensor channels an attach id names, ascending: "name/quantity" one,
 * "name" each quantity the sensor has (looked up by key, not by a scan of
 * every sensor: 100 controllers of 4 sensors on a city of 1,000 sensors
 * would compare 400,000 names). Returns how many (0: none). */
static int32_t id_channels(const CitySensors *s, const char *id, int32_t out[CITY_QTY_COUNT_OF])
{
    const char *slash = strchr(id, '/');
    char key[CITY_SENSOR_NAME_MAX + 32]; /* "name/quantity": looked up as is, no formatting per quantity */
    const size_t len = slash ? (size_t)(slash - id) : strlen(id);
    if (len >= CITY_SENSOR_NAME_MAX) /* an id that is no sensor name is no key either: not found */
        return 0;
    CityQuantity q;
    if (slash) {
        if (!city_quantity_parse(slash + 1, &q))
            return 0;
        snprintf(key, sizeof key, "%.*s/%s", (int)len, id, city_quantity_name(q));
        out[0] = city_sensor_find_key(s, key);
        return out[0] >= 0;
    }
    memcpy(key, id, len);
    key[len] = '/';
    int32_t n = 0;
    for (int k = 0; k < CITY_QTY_COUNT_OF; k++) {
        const char *qn = city_quantity_name((CityQuantity)k);
        const size_t qlen = strlen(qn);
        if (len + 1 + qlen >= sizeof key)
            continue;
        memcpy(key + len + 1, qn, qlen + 1);
        const int32_t ch = city_sensor_find_key(s, key);
        if (ch < 0)
            continue;
        int32_t j = n++; /* insertion: a handful at most */
        for (; j > 0 && out[j - 1] > ch; j--)
            out[j] = out[j - 1];
        out[j] = ch;
    }
    return n;
}

/* The channels ("name/quantity") of the world's sensors that the spec names, each id's in the world's
 * order, as a Lua-owned list (kept on the stack); raises when a name matches no sensor. */
static const char **sensor_channels(lua_State *L, CityWorld *w, const CityControllerSpec *spec, int32_t *n_out)
{
    CitySensors *s = city_sensors_of(w);
    const char **out = lua_newuserdatauv(L, ((size_t)spec->n_sensors * CITY_QTY_COUNT_OF + 1) * sizeof *out, 1);
    lua_createtable(L, spec->n_sensors, 0); /* keeps the strings */
    *n_out = 0;
    for (int32_t k = 0; k < spec->n_sensors; k++) {
        int32_t chs[CITY_QTY_COUNT_OF];
        const int32_t n = s ? id_channels(s, spec->sensors[k], chs) : 0;
        for (int32_t m = 0; m < n; m++) {
            const CitySensorDef *d = city_sensor_def(s, chs[m]);
            char key[CITY_SENSOR_NAME_MAX + 16];
            snprintf(key, sizeof key, "%s/%s", d->name, city_quantity_name(d->quantity));
            bool dup = false;
            for (int32_t j = 0; j < *n_out && !dup; j++)
                dup = !strcmp(out[j], key);
            if (dup)
                continue;
            lua_pushstring(L, key);
            out[*n_out] = lua_tostring(L, -1);
            lua_rawseti(L, -2, ++*n_out);
        }
        if (n == 0)
            luaL_error(L,
                       "city.control.attach: controller '%s': no sensor '%s'; declare it with city.sensor.add before "
                       "attaching",
                       spec->name, spec->sensors[k]);
    }
    lua_setiuservalue(L, -2, 1);
    return out;
}

/* The port of a controller in this run: its actuators in the world's control domain. */
static CityControllerPort world_port(lua_State *L, CityWorld *w, const char *name, const int32_t *allowed, int32_t n)
{
    WorldPort *p = calloc(1, sizeof *p);
    if (p) {
        p->world = w;
        p->name = city_strdup(name);
        p->allowed = malloc(((size_t)n + 1) * sizeof *p->allowed);
        p->n_allowed = n;
    }
    if (!p || !p->name || !p->allowed) {
        wp_destroy(p);
        luaL_error(L, "out of memory");
    }
    memcpy(p->allowed, allowed, (size_t)n * sizeof *allowed);
    return (CityControllerPort){p, wp_now_ms, wp_command, wp_log, wp_failsafe, wp_release, wp_destroy};
}

/* The actuator indices of attach's actuators = {...} (Lua-owned, on the stack). */
static int32_t *allowed_list(lua_State *L, CityWorld *w, int32_t *n_act)
{
    const char **acts = string_list(L, "actuators", n_act);
    CityControl *ctl = city_control_of(w);
    int32_t *allowed = lua_newuserdatauv(L, ((size_t)*n_act + 1) * sizeof *allowed, 0);
    for (int32_t i = 0; i < *n_act; i++) {
        allowed[i] = ctl ? city_actuator_find(ctl, acts[i]) : -1;
        if (allowed[i] < 0)
            luaL_error(L, "city.control.attach: no actuator '%s'; declare it with city.control.actuator first",
                       acts[i]);
    }
    return allowed;
}

/* city.control.attach{ file=, name=, sensors={...}, actuators={...}, params={...}, period=,
 *                      stale_s=, instructions=, memory_kb=, bridge= } */
static int l_attach(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityWorld *w = city_lua_world(L);
    lua_getfield(L, 1, "file");
    if (!lua_isstring(L, -1))
        return luaL_error(L, "city.control.attach: give file = \"controllers/<name>.lua\"");
    const char *file = lua_tostring(L, -1); /* stays on the stack */
    char path[4096];
    city_lua_data_path(L, lua_gettop(L), path, sizeof path);
    CityControllerSpec spec = {0};
    spec.name = city_lua_field_string(L, 1, "name", lua_tostring(L, -1));
    spec.sensors = string_list(L, "sensors", &spec.n_sensors);
    int32_t n_act = 0;
    const int32_t *allowed = allowed_list(L, w, &n_act);
    spec.n_params = param_list(L, &spec.param_keys, &spec.param_vals);
    spec.path = path;
    spec.source_name = file; /* messages name it as given, not where the checkout is */
    const double period_s = city_lua_field_number(L, 1, "period", 1.0);
    if (!(period_s > 0))
        return luaL_error(L, "city.control.attach: period must be > 0 s");
    spec.period_ticks = (int32_t)city_world_ticks_for(w, period_s);
    spec.stale_s = city_lua_field_number(L, 1, "stale_s", 0.0);
    const double instr = city_lua_field_number(L, 1, "instructions", 1e6);
    const double mem_kb = city_lua_field_number(L, 1, "memory_kb", 4096);
    if (!(instr >= 1e3 && instr <= 1e12) || !(mem_kb >= 64 && mem_kb <= 4194304) || !(spec.stale_s >= 0))
        return luaL_error(L, "city.control.attach: instructions must be 1e3..1e12 per tick, memory_kb 64..4194304 and "
                             "stale_s >= 0");
    spec.instr_limit = (uint64_t)instr;
    spec.mem_limit = (size_t)(mem_kb * 1024.0);
    spec.seed = city_world_seed(w);
    spec.channels = sensor_channels(L, w, &spec, &spec.n_channels);
    const CityControlBridge *bridge = city_lua_bridge(L);
    if (bridge && (city_lua_bridge_all(L) || city_lua_field_bool(L, 1, "bridge", false)))
        spec.bridge = bridge;
    Controllers *cs = controllers_ensure(L, w);
    spec.chunks = cs->chunks;
    if (city_sensors_of(w)) { /* sensors declared since an earlier attach deliver too, until routed */
        city_sensors_enable_delivery(city_sensors_of(w), true);
        if (!city_sensors_deliver_only(city_sensors_of(w), NULL, 0))
            return luaL_error(L, "out of memory");
    }
    void *arr = cs->list;
    int32_t cap = cs->cap;
    if (!city_array_grow(&arr, &cap, cs->n + 1, sizeof *cs->list))
        return luaL_error(L, "out of memory");
    cs->list = arr;
    arr = cs->ports;
    cap = cs->cap;
    if (!city_array_grow(&arr, &cap, cs->n + 1, sizeof *cs->ports))
        return luaL_error(L, "out of memory");
    cs->ports = arr;
    arr = cs->sched;
    if (!city_array_grow(&arr, &cs->cap, cs->n + 1, sizeof *cs->sched))
        return luaL_error(L, "out of memory");
    cs->sched = arr;
    CityError err = {0};
    CityControllerPort port = world_port(L, w, spec.name, allowed, n_act);
    CityController *c = city_controller_new(&spec, &port, &err);
    if (!c)
        return luaL_error(L, "city.control.attach: %s", err.msg);
    controller_direct_mark(c, city_sensors_of(w));
    cs->sched[cs->n] = (Sched){spec.period_ticks, false};
    city_controller_share_epoch(c, &cs->epoch);
    cs->ports[cs->n] = port.ctx;
    cs->list[cs->n++] = c;
    lua_pushstring(L, spec.name);
    return 1;
}

/* city.control.command(actuator, value) -> true | false, reason (source "scenario") */
static int l_command(lua_State *L)
{
    CityWorld *w = city_lua_world(L);
    const char *act = luaL_checkstring(L, 1);
    const double v = luaL_checknumber(L, 2);
    const int64_t now = city_world_tick(w) * city_world_dt_ms(w);
    CityCommandResult r = city_control_command(w, "scenario", act, v, now, NULL, 0);
    lua_pushboolean(L, r == CITY_CMD_ACK);
    if (r == CITY_CMD_ACK)
        return 1;
    lua_pushstring(L, city_command_result_name(r));
    return 2;
}

/* city.control.status(actuator) -> { value, failsafe, acks, refusals, failsafes, last_s } */
static int l_status(lua_State *L)
{
    CityControl *c = city_control_of(city_lua_world(L));
    const char *name = luaL_checkstring(L, 1);
    const int32_t i = c ? city_actuator_find(c, name) : -1;
    if (i < 0)
        return luaL_error(L, "city.control.status: no actuator '%s'", name);
    CityActuatorStatus st;
    city_actuator_status(c, i, &st);
    lua_createtable(L, 0, 6);
    lua_pushnumber(L, st.value);
    lua_setfield(L, -2, "value");
    lua_pushboolean(L, st.failsafe);
    lua_setfield(L, -2, "failsafe");
    lua_pushinteger(L, (lua_Integer)st.acks);
    lua_setfield(L, -2, "acks");
    lua_pushinteger(L, (lua_Integer)st.refusals);
    lua_setfield(L, -2, "refusals");
    lua_pushinteger(L, (lua_Integer)st.failsafes);
    lua_setfield(L, -2, "failsafes");
    lua_pushnumber(L, st.last_ms < 0 ? -1.0 : (double)st.last_ms / 1000.0);
    lua_setfield(L, -2, "last_s");
    return 1;
}

/* city.control.stats() -> { commands, failsafe_events, ack, unknown_actuator, out_of_limits, ... } */
static int l_stats(lua_State *L)
{
    CityControl *c = city_control_of(city_lua_world(L));
    CityControlStats st = {0};
    if (c)
        city_control_stats(c, &st);
    lua_createtable(L, 0, CITY_CMD_RESULT_COUNT + 2);
    lua_pushinteger(L, (lua_Integer)st.commands);
    lua_setfield(L, -2, "commands");
    lua_pushinteger(L, (lua_Integer)st.failsafe_events);
    lua_setfield(L, -2, "failsafe_events");
    for (int r = 0; r < CITY_CMD_RESULT_COUNT; r++) {
        lua_pushinteger(L, (lua_Integer)st.results[r]);
        lua_setfield(L, -2, city_command_result_name((CityCommandResult)r));
    }
    return 1;
}

int city_lua_open_control(lua_State *L)
{
    static const luaL_Reg fns[] = {{"actuator", l_actuator}, {"attach", l_attach}, {"command", l_command},
                                   {"status", l_status},     {"stats", l_stats},   {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
