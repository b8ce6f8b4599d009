/* Controllers -> traffic lights: a SIGNAL actuator's value is the phase to
 * hold (the light becomes EXTERNAL), or < 0 for the light's own plan as the
 * network declared it (the fail-safe default). Applied in COMMIT when the
 * value changed, so a command acts from the next tick on. */
#include <math.h>
#include <stdlib.h>

#include "city_control.h"
#include "city_road.h"
#include "couple_internal.h"

typedef struct SignalLink {
    int32_t n;         /* actuators */
    double *applied;   /* last value applied per actuator (NAN: none yet) */
    CityTlsType *plan; /* the light's declared type per actuator */
} SignalLink;

static void signal_destroy(void *self)
{
    SignalLink *s = self;
    free(s->applied);
    free(s->plan);
    free(s);
}

static CityStatus apply(CityRoad *road, SignalLink *s, const CityActuatorDef *d, int32_t i, double v)
{
    CityStatus st;
    if (v < 0) {
        st = city_road_tls_set_type(road, d->target, s->plan[i]);
    } else {
        st = city_road_tls_set_type(road, d->target, CITY_TLS_EXTERNAL);
        if (st == CITY_OK)
            st = city_road_tls_set_phase(road, d->target, (int32_t)lround(v));
    }
    if (st != CITY_OK)
        return st; /* the road set the world error */
    s->applied[i] = v;
    return CITY_OK;
}

static CityStatus signal_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    SignalLink *s = self;
    CityControl *c = city_control_of(w);
    CityRoad *road = city_road_of(w);
    for (int32_t i = 0; i < s->n; i++) {
        const CityActuatorDef *d = city_actuator_def(c, i);
        const double v = city_actuator_value(c, i);
        if (d->kind != CITY_ACT_SIGNAL || v == s->applied[i] || (v < 0 && s->applied[i] < 0))
            continue;
        CityStatus st = apply(road, s, d, i, v);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
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
    CitySubsystemDef def = {name, CITY_PHASE_COMMIT, 1, 0, signal_step, NULL, signal_destroy, NULL, NULL, NULL};
    CityStatus st = city_world_add_subsystem(world, &def, s);
    if (st != CITY_OK)
        signal_destroy(s);
    return st;
}
