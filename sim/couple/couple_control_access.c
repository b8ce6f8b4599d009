/* Controllers -> road access: an ACCESS actuator restricts the vehicle
 * classes of its target mask (value 1) or lifts it (0, the safe default):
 * trips of a restricted class that start in its zone and fall due are not
 * made (a fine-dust heavy-vehicle ban; vehicles already driving go on).
 * The k-th access actuator owns the road's restriction slot k, set in
 * COMMIT when it changed, so it acts on departures from the next tick on;
 * it is derived from the actuators alone, so a checkpoint load sets it
 * again. */

#include "city_control.h"
#include "city_road.h"
#include "couple_internal.h"

/* Sets every access actuator's road slot (the k-th access actuator owns slot k). */
static CityStatus apply_all(CityWorld *w, bool log)
{
    const CityControl *c = city_control_of(w);
    CityRoad *road = city_road_of(w);
    int32_t slot = 0;
    for (int32_t i = 0; i < city_actuator_count(c); i++) {
        const CityActuatorDef *d = city_actuator_def(c, i);
        if (d->kind != CITY_ACT_ACCESS)
            continue;
        const uint32_t mask = city_actuator_value(c, i) >= 0.5 ? (uint32_t)d->target : 0u;
        if (mask != city_road_restricted(road, slot)) {
            if (city_road_restrict(road, slot, mask, d->zone_m) != CITY_OK)
                return CITY_ERR_INVALID;
            if (log)
                city_world_log(w, "control", "road access: %s %s", d->name, mask ? "restricts" : "lifted");
        }
        slot++;
    }
    return CITY_OK;
}

static CityStatus access_step(CityWorld *w, void *self, int64_t tick)
{
    (void)self;
    (void)tick;
    return apply_all(w, true);
}

static CityStatus access_load(CityWorld *w, void *self, CityStateReader *in)
{
    (void)self;
    (void)in;
    return apply_all(w, false);
}

CityStatus couple_control_access_attach(CityWorld *world, const char *name)
{
    const CityControl *c = city_control_of(world);
    if (!c || !city_road_of(world))
        return CITY_OK;
    int32_t n = 0;
    for (int32_t i = 0; i < city_actuator_count(c); i++)
        n += city_actuator_def(c, i)->kind == CITY_ACT_ACCESS;
    if (n == 0)
        return CITY_OK;
    if (n > CITY_ROAD_RESTRICT_MAX)
        return city_world_fail(world, CITY_ERR_INVALID, "%d access actuators; the road takes at most %d", (int)n,
                               CITY_ROAD_RESTRICT_MAX);
    return couple_attach_stateless(world, name, access_step, access_load);
}
