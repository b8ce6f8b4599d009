/* People -> sensors: a camera or radar channel measuring `people` counts
 * the people whose centre is within radius_m of it when it samples (the
 * people domain's public positions; its vehicle channels are
 * couple_sensor_road.c's). Fed in COMMIT of the tick before each sample,
 * for the channels due only. */

#include <stdlib.h>

#include "city_array.h"
#include "city_ped.h"
#include "city_sensor.h"
#include "couple_internal.h"

/* The channels that count people, ascending: an index rebuilt from the
 * sensors (nothing for a checkpoint), so that a tick does not visit the
 * definitions of every channel due (10,000 air sensors, say). */
typedef struct CoupleSensorPed {
    int32_t known; /* channels indexed */
    int32_t *channels;
    int32_t n, cap;
} CoupleSensorPed;

static bool index_new(CoupleSensorPed *c, const CitySensors *s)
{
    const int32_t n = city_sensor_count(s);
    for (int32_t i = c->known; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if ((d->kind != CITY_SENSOR_CAMERA && d->kind != CITY_SENSOR_RADAR) || d->quantity != CITY_QTY_PEOPLE)
            continue;
        if (!city_array_grow((void **)&c->channels, &c->cap, c->n + 1, sizeof *c->channels))
            return false;
        c->channels[c->n++] = i;
    }
    c->known = n;
    return true;
}

static CityStatus sensor_ped_step(CityWorld *w, void *self, int64_t tick)
{
    CoupleSensorPed *c = self;
    CitySensors *s = city_sensors_of(w);
    const CityPed *ped = city_ped_of(w);
    CITY_ASSERT(s && ped);
    if (c->known != city_sensor_count(s) && !index_new(c, s))
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory indexing people counters");
    const size_t n = city_ped_count(ped);
    for (int32_t k = 0; k < c->n; k++) {
        if (!city_sensor_samples_at(s, c->channels[k], tick + 1))
            continue;
        const CitySensorDef *d = city_sensor_def(s, c->channels[k]);
        const double r2 = d->radius_m * d->radius_m;
        int32_t seen = 0;
        for (size_t i = 0; i < n; i++) {
            CityPedView v;
            city_ped_at(ped, i, &v);
            const double dx = v.x_m - d->x_m, dy = v.y_m - d->y_m;
            seen += dx * dx + dy * dy <= r2;
        }
        city_sensor_feed_value(s, c->channels[k], (double)seen);
    }
    return CITY_OK;
}

static void sensor_ped_destroy(void *self)
{
    CoupleSensorPed *c = self;
    free(c->channels);
    free(c);
}

CityStatus couple_sensor_ped_attach(CityWorld *world, const char *name)
{
    if (!city_sensors_of(world) || !city_ped_of(world))
        return CITY_OK;
    CoupleSensorPed *c = calloc(1, sizeof *c);
    if (!c)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    return couple_attach_commit(world, name, c, sensor_ped_step, sensor_ped_destroy, NULL);
}
