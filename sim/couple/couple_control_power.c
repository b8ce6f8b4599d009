/* Controllers -> grid devices: a STORAGE actuator's value is a battery
 * setpoint in kW (+ discharge, - charge; 0 with the safe default: idle), a
 * STREETLIGHT actuator's value the dimming level 0..1 of a lights group
 * (safe default 1: full on), a LOAD actuator's value the cooling
 * thermostat offset of a building load in deg C (safe default 0: normal). Applied in COMMIT when the value changed; the
 * grid takes them from its next period on. */
#include <math.h>
#include <stdlib.h>

#include "city_control.h"
#include "city_grid_sim.h"
#include "couple_internal.h"

typedef struct PowerLink {
    int32_t n;       /* actuators */
    double *applied; /* last value applied per actuator (NAN: none yet) */
} PowerLink;

static void power_destroy(void *self)
{
    PowerLink *p = self;
    free(p->applied);
    free(p);
}

static CityStatus apply(CityGrid *grid, const CityActuatorDef *d, double v, bool safe)
{
    CityStatus st = CITY_OK;
    if (d->kind == CITY_ACT_STORAGE)
        st = city_grid_battery_set(grid, d->target, safe && v == 0 ? CITY_BATTERY_IDLE : CITY_BATTERY_MANUAL, v);
    else if (d->kind == CITY_ACT_STREETLIGHT)
        st = city_grid_lights_dim(grid, d->target, v);
    else if (d->kind == CITY_ACT_LOAD)
        st = city_grid_load_setpoint(grid, d->target, v);
    if (st != CITY_OK)
        return st; /* the grid set the world error */
    return CITY_OK;
}

static CityStatus power_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    PowerLink *p = self;
    CityControl *c = city_control_of(w);
    CityGrid *grid = city_grid_of(w);
    for (int32_t i = 0; i < p->n; i++) {
        const CityActuatorDef *d = city_actuator_def(c, i);
        if (d->kind != CITY_ACT_STORAGE && d->kind != CITY_ACT_STREETLIGHT && d->kind != CITY_ACT_LOAD)
            continue;
        CityActuatorStatus as;
        city_actuator_status(c, i, &as);
        if (as.value == p->applied[i])
            continue;
        CityStatus st = apply(grid, d, as.value, as.failsafe || as.acks == 0);
        if (st != CITY_OK)
            return st;
        p->applied[i] = as.value;
    }
    return CITY_OK;
}

static CityStatus power_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const PowerLink *p = self;
    couple_save_applied(out, p->n, p->applied);
    return CITY_OK;
}

static CityStatus power_load(CityWorld *w, void *self, CityStateReader *in)
{
    (void)w;
    PowerLink *p = self;
    return couple_load_applied(in, p->n, p->applied);
}

CityStatus couple_control_power_attach(CityWorld *world, const char *name)
{
    CityControl *c = city_control_of(world);
    CityGrid *grid = city_grid_of(world);
    if (!c || !grid)
        return CITY_OK;
    const int32_t n = city_actuator_count(c);
    PowerLink *p = calloc(1, sizeof *p);
    if (p) {
        p->n = n;
        p->applied = malloc(((size_t)n + 1) * sizeof *p->applied);
    }
    if (!p || !p->applied) {
        if (p)
            power_destroy(p);
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    }
    for (int32_t i = 0; i < n; i++)
        p->applied[i] = NAN; /* first step applies every safe default */
    CitySubsystemDef def = {name, CITY_PHASE_COMMIT, 1,    0,          power_step,
                            NULL, power_destroy,     NULL, power_save, power_load};
    CityStatus st = city_world_add_subsystem(world, &def, p);
    if (st != CITY_OK)
        power_destroy(p);
    return st;
}
