/* People -> sensors: a camera or radar channel measuring `people` counts
 * the people whose centre is within radius_m of it when it samples (the
 * people domain's public positions; its vehicle channels are
 * couple_sensor_road.c's). Fed in COMMIT of the tick before each sample,
 * for the channels due only. */

#include "city_ped.h"
#include "city_sensor.h"
#include "couple_internal.h"

static CityStatus sensor_ped_step(CityWorld *w, void *self, int64_t tick)
{
    (void)self;
    CitySensors *s = city_sensors_of(w);
    const CityPed *ped = city_ped_of(w);
    CITY_ASSERT(s && ped);
    int32_t n_due;
    const int32_t *due = city_sensors_due(s, tick + 1, &n_due);
    const size_t n = city_ped_count(ped);
    for (int32_t k = 0; k < n_due; k++) {
        const CitySensorDef *d = city_sensor_def(s, due[k]);
        if ((d->kind != CITY_SENSOR_CAMERA && d->kind != CITY_SENSOR_RADAR) || d->quantity != CITY_QTY_PEOPLE)
            continue;
        const double r2 = d->radius_m * d->radius_m;
        int32_t seen = 0;
        for (size_t i = 0; i < n; i++) {
            CityPedView v;
            city_ped_at(ped, i, &v);
            const double dx = v.x_m - d->x_m, dy = v.y_m - d->y_m;
            seen += dx * dx + dy * dy <= r2;
        }
        city_sensor_feed_value(s, due[k], (double)seen);
    }
    return CITY_OK;
}

CityStatus couple_sensor_ped_attach(CityWorld *world, const char *name)
{
    if (!city_sensors_of(world) || !city_ped_of(world))
        return CITY_OK;
    return couple_attach_stateless(world, name, sensor_ped_step, NULL);
}
