/* What the operator sees of control: a signal's mode now (its own plan,
 * a phase held by a controller, fail-safe) and the operator panel
 * (controllers, their state, their actuators' last commands, fail-safe
 * marked). Read from the road and control domains' live state. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "city_control.h"
#include "city_road.h"
#include "view_internal.h"

static const char *type_name(CityTlsType t)
{
    switch (t) {
    case CITY_TLS_STATIC:
        return "fixed-time plan";
    case CITY_TLS_ACTUATED:
        return "actuated (gap)";
    case CITY_TLS_MAX_PRESSURE:
        return "max-pressure";
    default:
        return "held by a controller";
    }
}

void view_signal_mode(const View *v, int32_t tls, char *out, size_t len)
{
    const CityRoad *road = city_road_of(v->world);
    if (!road) {
        snprintf(out, len, "?");
        return;
    }
    CityTlsType now = city_road_tls_type(road, tls);
    const CityControl *c = city_control_of(v->world);
    for (int32_t i = 0; c && i < city_actuator_count(c); i++) {
        const CityActuatorDef *d = city_actuator_def(c, i);
        if (d->kind != CITY_ACT_SIGNAL || d->target != tls)
            continue;
        CityActuatorStatus st;
        city_actuator_status(c, i, &st);
        if (st.failsafe)
            snprintf(out, len, "FAIL-SAFE: %s (%s)", type_name(now), d->name);
        else if (now == CITY_TLS_EXTERNAL)
            snprintf(out, len, "phase %d held by %s", (int)lround(st.value) + 1, d->name);
        else
            snprintf(out, len, "%s (%s idle)", type_name(now), d->name);
        return;
    }
    snprintf(out, len, "%s", now == CITY_TLS_EXTERNAL ? "held phase (set by a command)" : type_name(now));
}

static void actuator_line(const CityControl *c, int32_t a, char *line, bool *alert)
{
    const CityActuatorDef *d = city_actuator_def(c, a);
    CityActuatorStatus st;
    city_actuator_status(c, a, &st);
    char last[48] = "no command yet";
    if (st.last_ms >= 0)
        snprintf(last, sizeof last, "last cmd %.0f s", st.last_ms / 1000.0);
    snprintf(line, 160, "  %s %s = %.3g, %s%s", city_actuator_kind_name(d->kind), d->name, st.value, last,
             st.failsafe ? "  FAIL-SAFE" : "");
    *alert = st.failsafe;
}

int view_operator_lines(const View *v, char lines[][160], bool alert[], int max)
{
    const CityControl *c = city_control_of(v->world);
    if (!c || max < 1)
        return 0;
    int n = 0;
    CityControlStats cs;
    city_control_stats(c, &cs);
    snprintf(lines[n], 160, "commands %llu, refused %llu, fail-safe events %llu", (unsigned long long)cs.commands,
             (unsigned long long)(cs.commands - cs.results[CITY_CMD_ACK]), (unsigned long long)cs.failsafe_events);
    alert[n++] = false;
    int32_t n_act = city_actuator_count(c);
    bool shown[1024] = {false}; /* actuators listed under a controller */
    CityControllerInfo info;
    for (int32_t k = 0; n < max && city_scenario_controller_at(v->sc, k, &info); k++) {
        snprintf(lines[n], 160, "%s: %s, %llu runs", info.name, info.failed ? "STOPPED (error or budget)" : "running",
                 (unsigned long long)info.activations);
        alert[n++] = info.failed;
        for (int32_t j = 0; j < info.n_actuators && n < max; j++) {
            int32_t a = info.actuators[j];
            if (a < 0 || a >= n_act)
                continue;
            actuator_line(c, a, lines[n], &alert[n]);
            n++;
            if (a < 1024)
                shown[a] = true;
        }
    }
    bool header = false;
    for (int32_t a = 0; a < n_act && n < max; a++) {
        if (a < 1024 && shown[a])
            continue;
        if (!header) {
            snprintf(lines[n], 160, "driven by the scenario:");
            alert[n++] = false;
            header = true;
            if (n >= max)
                break;
        }
        actuator_line(c, a, lines[n], &alert[n]);
        n++;
    }
    return n;
}
