/* Road -> lane detectors. A queue detector (kind queue, a video detector
 * over lane `target`) reports the vehicles on its lane when it samples:
 * the queue x(l) that max-pressure control weighs. An emergency detector
 * (kind emergency, the priority-request receiver of a pre-emption system)
 * reports the emergency vehicles (class emergency) on its lane. Both are
 * instantaneous counts, fed in COMMIT of the tick before they sample. */
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_road.h"
#include "city_sensor.h"
#include "couple_internal.h"

/* An index of the lane channels rebuilt from the sensors, and per-tick
 * scratch: nothing for a checkpoint. */
typedef struct CoupleSensorLane {
    int32_t known;     /* sensor channels indexed so far */
    int32_t *channels; /* queue and emergency channels */
    int32_t n_channels, cap_channels;
    int32_t n_lanes;
    uint32_t *all;       /* per lane: vehicles on it this tick */
    uint32_t *emergency; /* per lane: of those, class emergency */
} CoupleSensorLane;

static void lane_free(void *self)
{
    CoupleSensorLane *c = self;
    free(c->channels);
    free(c->all);
    free(c->emergency);
    free(c);
}

static CityStatus lane_index(CityWorld *w, CoupleSensorLane *c, const CitySensors *s)
{
    const int32_t n = city_sensor_count(s);
    void *ch = c->channels;
    if (!city_array_grow(&ch, &c->cap_channels, n + 1, sizeof *c->channels))
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory indexing lane detectors");
    c->channels = ch;
    c->n_channels = 0;
    for (int32_t i = 0; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if ((d->kind == CITY_SENSOR_QUEUE || d->kind == CITY_SENSOR_EMERGENCY) && d->target >= 0 &&
            d->target < c->n_lanes)
            c->channels[c->n_channels++] = i;
    }
    c->known = n;
    return CITY_OK;
}

static CityStatus sensor_lane_step(CityWorld *w, void *self, int64_t tick)
{
    CoupleSensorLane *c = self;
    CitySensors *s = city_sensors_of(w);
    CityRoad *road = city_road_of(w);
    if (c->known != city_sensor_count(s)) {
        CityStatus st = lane_index(w, c, s);
        if (st != CITY_OK)
            return st;
    }
    bool due = false;
    for (int32_t k = 0; k < c->n_channels && !due; k++)
        due = city_sensor_samples_at(s, c->channels[k], tick + 1);
    if (!due)
        return CITY_OK;
    memset(c->all, 0, (size_t)c->n_lanes * sizeof *c->all);
    memset(c->emergency, 0, (size_t)c->n_lanes * sizeof *c->emergency);
    const size_t n = city_road_vehicle_count(road);
    for (size_t i = 0; i < n; i++) {
        CityVehicleView v;
        city_road_vehicle_at(road, i, &v);
        if (v.lane < 0 || v.lane >= c->n_lanes)
            continue;
        c->all[v.lane]++;
        if (v.vclass == CITY_VC_EMERGENCY)
            c->emergency[v.lane]++;
    }
    for (int32_t k = 0; k < c->n_channels; k++) {
        const int32_t i = c->channels[k];
        if (!city_sensor_samples_at(s, i, tick + 1))
            continue;
        const CitySensorDef *d = city_sensor_def(s, i);
        const uint32_t *count = d->kind == CITY_SENSOR_QUEUE ? c->all : c->emergency;
        city_sensor_feed_value(s, i, (double)count[d->target]);
    }
    return CITY_OK;
}

CityStatus couple_sensor_lane_attach(CityWorld *world, const char *name)
{
    CitySensors *s = city_sensors_of(world);
    CityRoad *road = city_road_of(world);
    if (!s || !road)
        return CITY_OK;
    bool any = false;
    for (int32_t i = 0; i < city_sensor_count(s) && !any; i++) {
        const CitySensorKind k = city_sensor_def(s, i)->kind;
        any = k == CITY_SENSOR_QUEUE || k == CITY_SENSOR_EMERGENCY;
    }
    if (!any) /* no lane detector: no cost per tick, and the state hash stays as it was */
        return CITY_OK;
    CoupleSensorLane *c = calloc(1, sizeof *c);
    if (c) {
        c->n_lanes = city_road_net(road)->n_lanes;
        c->all = calloc((size_t)c->n_lanes + 1, sizeof *c->all);
        c->emergency = calloc((size_t)c->n_lanes + 1, sizeof *c->emergency);
    }
    if (!c || !c->all || !c->emergency) {
        if (c)
            lane_free(c);
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    }
    return couple_attach_commit(world, name, c, sensor_lane_step, lane_free, NULL);
}
