/* The control subsystem: actuators, command checking and logging, fail-safe. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_control.h"
#include "city_hash.h"
#include "city_reading.h"

#define CONTROL_NAME "control" /* subsystem name */
#define COMMANDS_HEADER "time_s,issued_ms,source,actuator,value,result"

typedef struct Actuator {
    CityActuatorDef def; /* name owned here */
    CityActuatorStatus st;
} Actuator;

struct CityControl {
    Actuator *acts;
    int32_t n, cap;
    CityControlStats stats;
    CityTable *log;   /* the "commands" table, created with the first command */
    uint64_t changes; /* actuator values set so far (city_control_changes) */
};

static const char *const kind_names[CITY_ACT_KIND_COUNT] = {"signal",  "storage", "streetlight", "charger",
                                                            "generic", "load",    "access"};
static const char *const result_names[CITY_CMD_RESULT_COUNT] = {"ack",          "unknown_actuator", "out_of_limits",
                                                                "not_a_number", "not_allowed",      "failsafe"};

const char *city_actuator_kind_name(CityActuatorKind k)
{
    return (unsigned)k < CITY_ACT_KIND_COUNT ? kind_names[k] : NULL;
}

bool city_actuator_kind_parse(const char *name, CityActuatorKind *out)
{
    for (int k = 0; k < CITY_ACT_KIND_COUNT; k++)
        if (!strcmp(name, kind_names[k])) {
            *out = (CityActuatorKind)k;
            return true;
        }
    return false;
}

const char *city_command_result_name(CityCommandResult r)
{
    return (unsigned)r < CITY_CMD_RESULT_COUNT ? result_names[r] : NULL;
}

CityActuatorDef city_actuator_def_default(CityActuatorKind kind, const char *name)
{
    CityActuatorDef d = {.name = name,
                         .kind = kind,
                         .target = -1,
                         .min = -INFINITY,
                         .max = INFINITY,
                         .min_green_s = CITY_SIGNAL_MIN_GREEN_S,
                         .zone_m = {0, 0, -1, -1}};
    d.safe_value = kind == CITY_ACT_SIGNAL ? -1.0 : kind == CITY_ACT_STREETLIGHT ? 1.0 : 0.0;
    return d;
}

static void control_destroy(void *self)
{
    CityControl *c = self;
    for (int32_t i = 0; i < c->n; i++)
        free((char *)c->acts[i].def.name);
    free(c->acts);
    free(c);
}

static CityStatus control_step(CityWorld *w, void *self, int64_t tick)
{
    (void)w;
    (void)self;
    (void)tick;
    return CITY_OK;
}

static void control_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const CityControl *c = self;
    city_hash_i64(h, c->n);
    for (int32_t i = 0; i < c->n; i++) {
        const Actuator *a = &c->acts[i];
        city_hash_str(h, a->def.name);
        city_hash_f64(h, a->st.value);
        city_hash_u64(h, a->st.failsafe);
        city_hash_i64(h, a->st.last_ms);
        city_hash_u64(h, a->st.acks);
        city_hash_u64(h, a->st.refusals);
        city_hash_u64(h, a->st.failsafes);
    }
}

static CityStatus control_finish(CityWorld *w, void *self)
{
    const CityControl *c = self;
    CityStatus st = city_world_kpi_set(w, "control.commands", (double)c->stats.commands);
    if (st == CITY_OK)
        st = city_world_kpi_set(w, "control.refused", (double)(c->stats.commands - c->stats.results[CITY_CMD_ACK]));
    if (st == CITY_OK)
        st = city_world_kpi_set(w, "control.failsafe_events", (double)c->stats.failsafe_events);
    return st;
}

/* Everything a run changes: each actuator's status and the totals. The
 * commands table is the world's (restored with the other outputs). */
static CityStatus control_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const CityControl *c = self;
    city_state_put_i64(out, c->n);
    for (int32_t i = 0; i < c->n; i++) {
        const CityActuatorStatus *st = &c->acts[i].st;
        city_state_put_str(out, c->acts[i].def.name);
        city_state_put_f64(out, st->value);
        city_state_put_u8(out, st->failsafe);
        city_state_put_i64(out, st->last_ms);
        city_state_put_u64(out, st->acks);
        city_state_put_u64(out, st->refusals);
        city_state_put_u64(out, st->failsafes);
    }
    city_state_put_u64(out, c->stats.commands);
    city_state_put_array(out, c->stats.results, CITY_CMD_RESULT_COUNT, sizeof c->stats.results[0]);
    city_state_put_u64(out, c->stats.failsafe_events);
    return CITY_OK;
}

static CityStatus control_load(CityWorld *w, void *self, CityStateReader *in)
{
    (void)w;
    CityControl *c = self;
    if (city_state_get_i64(in) != c->n) {
        city_state_fail(in, "the checkpoint has another number of actuators than the scenario declares");
        return CITY_ERR_PARSE;
    }
    for (int32_t i = 0; i < c->n && !in->bad; i++) {
        CityActuatorStatus *st = &c->acts[i].st;
        char *name = city_state_get_str(in);
        if (!name || strcmp(name, c->acts[i].def.name) != 0)
            city_state_fail(in, "actuator '%s': the checkpoint has another actuator here", c->acts[i].def.name);
        free(name);
        st->value = city_state_get_f64(in);
        c->changes++;
        st->failsafe = city_state_get_u8(in) != 0;
        st->last_ms = city_state_get_i64(in);
        st->acks = city_state_get_u64(in);
        st->refusals = city_state_get_u64(in);
        st->failsafes = city_state_get_u64(in);
    }
    c->stats.commands = city_state_get_u64(in);
    city_state_get_array(in, c->stats.results, CITY_CMD_RESULT_COUNT, sizeof c->stats.results[0], "command counts");
    c->stats.failsafe_events = city_state_get_u64(in);
    return in->bad ? CITY_ERR_PARSE : CITY_OK;
}

CityControl *city_control_of(const CityWorld *world)
{
    return city_world_subsystem(world, CONTROL_NAME);
}

CityControl *city_control_ensure(CityWorld *world)
{
    CityControl *c = city_control_of(world);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const CitySubsystemDef def = {.name = CONTROL_NAME,
                                  .phase = CITY_PHASE_CONTROL,
                                  .period_ticks = 0,
                                  .step = control_step,
                                  .hash = control_hash,
                                  .destroy = control_destroy,
                                  .finish = control_finish,
                                  .save = control_save,
                                  .load = control_load};
    if (city_world_add_subsystem(world, &def, c) != CITY_OK) {
        free(c);
        return NULL;
    }
    return c;
}

int32_t city_actuator_add(CityWorld *world, const CityActuatorDef *def)
{
    if (!def->name || !city_sensor_name_valid(def->name)) {
        city_world_fail(world, CITY_ERR_INVALID,
                        "actuator id '%s' is not valid: use [A-Za-z0-9] then [A-Za-z0-9-:._], under %d bytes",
                        def->name ? def->name : "(none)", CITY_ACTUATOR_NAME_MAX);
        return -1;
    }
    if ((unsigned)def->kind >= CITY_ACT_KIND_COUNT || isnan(def->min) || isnan(def->max) || def->min > def->max ||
        !(def->safe_value >= def->min && def->safe_value <= def->max) ||
        !(def->min_green_s >= 0 && def->min_green_s <= 3600)) {
        city_world_fail(world, CITY_ERR_INVALID,
                        "actuator '%s': limits [%g, %g] must be ordered and hold its safe value %g, and min_green "
                        "%g s be in [0, 3600]",
                        def->name, def->min, def->max, def->safe_value, def->min_green_s);
        return -1;
    }
    CityControl *c = city_control_ensure(world);
    if (!c) {
        city_world_fail(world, CITY_ERR_NOMEM, "out of memory adding actuator '%s'", def->name);
        return -1;
    }
    if (city_actuator_find(c, def->name) >= 0) {
        city_world_fail(world, CITY_ERR_INVALID, "actuator '%s' is declared twice: give each its own id", def->name);
        return -1;
    }
    char *name = city_strdup(def->name);
    if (!name || !city_array_grow((void **)&c->acts, &c->cap, c->n + 1, sizeof *c->acts)) {
        free(name);
        city_world_fail(world, CITY_ERR_NOMEM, "out of memory adding actuator '%s'", def->name);
        return -1;
    }
    Actuator *a = &c->acts[c->n];
    a->def = *def;
    a->def.name = name;
    a->st = (CityActuatorStatus){.value = def->safe_value, .last_ms = -1};
    c->changes++;
    return c->n++;
}

int32_t city_actuator_count(const CityControl *c)
{
    return c ? c->n : 0;
}

const CityActuatorDef *city_actuator_def(const CityControl *c, int32_t i)
{
    return &c->acts[i].def;
}

int32_t city_actuator_find(const CityControl *c, const char *name)
{
    for (int32_t i = 0; c && i < c->n; i++)
        if (!strcmp(c->acts[i].def.name, name))
            return i;
    return -1;
}

void city_actuator_status(const CityControl *c, int32_t i, CityActuatorStatus *out)
{
    *out = c->acts[i].st;
}

uint64_t city_control_changes(const CityControl *c)
{
    return c ? c->changes : 0;
}

double city_actuator_value(const CityControl *c, int32_t i)
{
    return c->acts[i].st.value;
}

void city_control_stats(const CityControl *c, CityControlStats *out)
{
    *out = c->stats;
}

static CityCommandResult check(const CityControl *c, int32_t i, double value, const int32_t *allowed, int32_t n_allowed)
{
    if (i < 0)
        return CITY_CMD_UNKNOWN_ACTUATOR;
    if (!isfinite(value))
        return CITY_CMD_NOT_A_NUMBER;
    if (value < c->acts[i].def.min || value > c->acts[i].def.max)
        return CITY_CMD_OUT_OF_LIMITS;
    if (allowed) {
        bool ok = false;
        for (int32_t k = 0; k < n_allowed && !ok; k++)
            ok = allowed[k] == i;
        if (!ok)
            return CITY_CMD_NOT_ALLOWED;
    }
    if (c->acts[i].st.failsafe)
        return CITY_CMD_FAILSAFE;
    return CITY_CMD_ACK;
}

/* A CSV field without commas, quotes or line breaks (ids are validated, sources are not). */
static void csv_safe(char *out, size_t len, const char *s)
{
    size_t k = 0;
    for (; s && s[k] && k + 1 < len; k++)
        out[k] = (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r') ? '_' : s[k];
    out[k] = '\0';
}

CityCommandResult city_control_command(CityWorld *world, const char *source, const char *actuator, double value,
                                       int64_t issued_ms, const int32_t *allowed, int32_t n_allowed)
{
    CityControl *c = city_control_ensure(world);
    if (!c)
        return CITY_CMD_UNKNOWN_ACTUATOR;
    const int32_t i = actuator ? city_actuator_find(c, actuator) : -1;
    const CityCommandResult r = check(c, i, value, allowed, n_allowed);
    c->stats.commands++;
    c->stats.results[r]++;
    if (r == CITY_CMD_ACK) {
        c->acts[i].st.value = value;
        c->changes++;
        c->acts[i].st.last_ms = issued_ms;
        c->acts[i].st.acks++;
    } else {
        if (i >= 0)
            c->acts[i].st.refusals++;
        char act[CITY_ACTUATOR_NAME_MAX];
        csv_safe(act, sizeof act, actuator ? actuator : "(none)");
        city_world_log(world, "control", "%s: command %s=%g refused: %s", source ? source : "?", act, value,
                       result_names[r]);
    }
    if (!c->log)
        c->log = city_world_table(world, "commands", COMMANDS_HEADER);
    if (c->log) {
        char src[64], act[CITY_ACTUATOR_NAME_MAX];
        csv_safe(src, sizeof src, source ? source : "?");
        csv_safe(act, sizeof act, actuator ? actuator : "");
        city_table_row(c->log, "%.3f,%lld,%s,%s,%.17g,%s", city_world_time_s(world), (long long)issued_ms, src, act,
                       value, result_names[r]);
    }
    return r;
}

void city_control_failsafe(CityWorld *world, int32_t i, const char *reason)
{
    CityControl *c = city_control_of(world);
    if (!c || i < 0 || i >= c->n || c->acts[i].st.failsafe)
        return;
    Actuator *a = &c->acts[i];
    a->st.failsafe = true;
    a->st.value = a->def.safe_value;
    c->changes++;
    a->st.failsafes++;
    c->stats.failsafe_events++;
    city_world_log(world, "failsafe", "%s -> safe default %g: %s", a->def.name, a->def.safe_value,
                   reason ? reason : "");
}

void city_control_release(CityWorld *world, int32_t i)
{
    CityControl *c = city_control_of(world);
    if (!c || i < 0 || i >= c->n || !c->acts[i].st.failsafe)
        return;
    c->acts[i].st.failsafe = false;
    city_world_log(world, "control", "%s released from fail-safe", c->acts[i].def.name);
}
