/* Controllers -> traffic lights: a SIGNAL actuator's value is the phase to
 * hold (the light becomes EXTERNAL), or < 0 for the light's own plan as the
 * network declared it (the fail-safe default). Applied in COMMIT, so a
 * command acts from the next tick on.
 *
 * A controller cannot switch unsafely: a commanded phase is asked of the
 * road only once the running phase has lasted the actuator's min_green_s,
 * and the road leaves a green through a yellow (the program's or a
 * synthesized one) and lets a yellow or all-red phase run out. Until the
 * light shows the commanded phase it is asked again every tick. */
#include <math.h>
#include <stdlib.h>

#include "city_control.h"
#include "city_road.h"
#include "couple_internal.h"

typedef struct SignalLink {
    int32_t n;         /* actuators */
    int32_t n_held;    /* signals held on a commanded phase after the last step (asked again every tick) */
    uint64_t seen;     /* city_control_changes when last applied (UINT64_MAX: apply at the next tick) */
    double *applied;   /* last value acted on per actuator (< 0: the plan runs) */
    CityTlsType *plan; /* the light's declared type per actuator */
} SignalLink;

static void signal_destroy(void *self)
{
    SignalLink *s = self;
    free(s->applied);
    free(s->plan);
    free(s);
}

/* Acts on one signal actuator's value v (the road sets the world error on failure). */
static CityStatus apply(CityRoad *road, SignalLink *s, const CityActuatorDef *d, int32_t i, double v, double now_s)
{
    if (v < 0) {
        if (s->applied[i] < 0)
            return CITY_OK;
        s->applied[i] = v;
        return city_road_tls_set_type(road, d->target, s->plan[i]);
    }
    if (s->applied[i] < 0) {
        CityStatus st = city_road_tls_set_type(road, d->target, CITY_TLS_EXTERNAL);
        if (st != CITY_OK)
            return st;
    }
    s->applied[i] = v;
    const int32_t phase = (int32_t)lround(v);
    if (city_road_tls_phase(road, d->target) == phase ||
        now_s - city_road_tls_phase_start_s(road, d->target) < d->min_green_s)
        return CITY_OK;
    return city_road_tls_switch_phase(road, d->target, phase);
}

static CityStatus signal_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    SignalLink *s = self;
    CityControl *c = city_control_of(w);
    CityRoad *road = city_road_of(w);
    const uint64_t changes = city_control_changes(c);
    if (s->n_held == 0 && changes == s->seen)
        return CITY_OK; /* every light on its plan, as the values already applied say: nothing to ask */
    const double now_s = city_world_time_s(w);
    s->n_held = 0;
    s->seen = changes;
    for (int32_t i = 0; i < s->n; i++) {
        const CityActuatorDef *d = city_actuator_def(c, i);
        if (d->kind != CITY_ACT_SIGNAL)
            continue;
        CityStatus st = apply(road, s, d, i, city_actuator_value(c, i), now_s);
        if (st != CITY_OK) {
            s->seen = UINT64_MAX;
            return st;
        }
        s->n_held += s->applied[i] >= 0;
    }
    return CITY_OK;
}

static CityStatus signal_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const SignalLink *s = self;
    couple_save_applied(out, s->n, s->applied);
    return CITY_OK;
}

static CityStatus signal_load(CityWorld *w, void *self, CityStateReader *in)
{
    (void)w;
    SignalLink *s = self;
    s->seen = UINT64_MAX; /* what was applied is the checkpoint's now */
    return couple_load_applied(in, s->n, s->applied);
}

CityStatus couple_control_road_attach(CityWorld *world, const char *name)
{
    CityControl *c = city_control_of(world);
    CityRoad *road = city_road_of(world);
    if (!c || !road)
        return CITY_OK;
    const CityRoadNet *net = city_road_net(road);
    const int32_t n = city_actuator_count(c);
    SignalLink *s = calloc(1, sizeof *s);
    if (s) {
        s->n = n;
        s->seen = UINT64_MAX;
        s->applied = calloc((size_t)n + 1, sizeof *s->applied);
        s->plan = calloc((size_t)n + 1, sizeof *s->plan);
    }
    if (!s || !s->applied || !s->plan) {
        if (s)
            signal_destroy(s);
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    }
    for (int32_t i = 0; i < n; i++) {
        const CityActuatorDef *d = city_actuator_def(c, i);
        s->applied[i] = -1.0; /* the declared plan runs at start */
        if (d->kind != CITY_ACT_SIGNAL)
            continue;
        if (d->target < 0 || d->target >= net->n_tls) {
            signal_destroy(s);
            return city_world_fail(world, CITY_ERR_INVALID,
                                   "signal actuator '%s' names no traffic light of the network (tls = \"<id>\")",
                                   d->name);
        }
        s->plan[i] = net->tls[d->target].type;
    }
    CitySubsystemDef def = {name, CITY_PHASE_COMMIT, 1,    0,           signal_step,
                            NULL, signal_destroy,    NULL, signal_save, signal_load};
    CityStatus st = city_world_add_subsystem(world, &def, s);
    if (st != CITY_OK)
        signal_destroy(s);
    return st;
}
