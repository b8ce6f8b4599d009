/* Road -> sensors. Inductive loops (kind loop, on lane `target` at pos_m):
 * a vehicle is counted, and its speed averaged, in the tick its front
 * bumper crosses the loop (position before the tick = position - speed dt,
 * as the road moves vehicles); occupancy is the share of ticks in which a
 * vehicle covers the loop. Cameras count the vehicles whose front is
 * within radius_m of them; radar also gives their mean speed. Fed in
 * COMMIT after the road moved; the sensors sample in a later SENSE. */
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_road.h"
#include "city_sensor.h"
#include "couple_internal.h"

/* Its state is an index rebuilt from the sensors and per-tick scratch:
 * nothing for a checkpoint. */
typedef struct CoupleSensorRoad {
    int32_t known;   /* sensor channels indexed so far */
    int32_t n_lanes; /* lanes of the network */
    int32_t *first;  /* per lane: loops[first[l] .. first[l + 1]) (CSR) */
    int32_t *loops;  /* loop channel indices grouped by lane */
    bool *covered;   /* per loop entry: a vehicle covers it this tick */
    int32_t *views;  /* camera and radar channels */
    int32_t n_loops, n_views;
} CoupleSensorRoad;

static void index_free(CoupleSensorRoad *c)
{
    free(c->first);
    free(c->loops);
    free(c->covered);
    free(c->views);
    c->first = c->loops = c->views = NULL;
    c->covered = NULL;
    c->n_loops = c->n_views = 0;
}

/* (Re)builds the lane index when channels were added since the last tick. */
static CityStatus index_build(CityWorld *w, CoupleSensorRoad *c, const CitySensors *s, int32_t n_lanes)
{
    index_free(c);
    const int32_t n = city_sensor_count(s);
    c->n_lanes = n_lanes;
    c->first = calloc((size_t)n_lanes + 1, sizeof *c->first);
    c->loops = malloc(((size_t)n + 1) * sizeof *c->loops);
    c->covered = calloc((size_t)n + 1, sizeof *c->covered);
    c->views = malloc(((size_t)n + 1) * sizeof *c->views);
    if (!c->first || !c->loops || !c->covered || !c->views)
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory indexing road sensors");
    for (int32_t i = 0; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if (d->kind == CITY_SENSOR_LOOP && d->target >= 0 && d->target < n_lanes)
            c->first[d->target + 1]++;
        else if ((d->kind == CITY_SENSOR_CAMERA || d->kind == CITY_SENSOR_RADAR) && d->quantity != CITY_QTY_PEOPLE)
            c->views[c->n_views++] = i; /* people are couple_sensor_ped.c's */
    }
    for (int32_t l = 0; l < n_lanes; l++)
        c->first[l + 1] += c->first[l];
    int32_t *fill = calloc((size_t)n_lanes + 1, sizeof *fill);
    if (!fill)
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory indexing road sensors");
    for (int32_t i = 0; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if (d->kind == CITY_SENSOR_LOOP && d->target >= 0 && d->target < n_lanes)
            c->loops[c->first[d->target] + fill[d->target]++] = i;
    }
    free(fill);
    c->n_loops = c->first[n_lanes];
    c->known = n;
    return CITY_OK;
}

static void feed_loops(CoupleSensorRoad *c, CitySensors *s, const CityVehicleView *v, double dt_s)
{
    if (v->lane < 0 || v->lane >= c->n_lanes)
        return;
    const double before = v->pos_m - v->speed_mps * dt_s;
    for (int32_t k = c->first[v->lane]; k < c->first[v->lane + 1]; k++) {
        const int32_t ch = c->loops[k];
        const CitySensorDef *d = city_sensor_def(s, ch);
        const double p = d->pos_m;
        if (d->quantity == CITY_QTY_OCCUPANCY) {
            if (v->pos_m - v->length_m <= p && p <= v->pos_m)
                c->covered[k] = true;
        } else if (before < p && p <= v->pos_m) {
            city_sensor_feed_add(s, ch, d->quantity == CITY_QTY_SPEED ? v->speed_mps : 1.0);
        }
    }
}

static CityStatus sensor_road_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    CoupleSensorRoad *c = self;
    CitySensors *s = city_sensors_of(w);
    CityRoad *road = city_road_of(w);
    CITY_ASSERT(s && road);
    if (c->known != city_sensor_count(s) || !c->first) {
        CityStatus st = index_build(w, c, s, city_road_net(road)->n_lanes);
        if (st != CITY_OK)
            return st;
    }
    if (c->n_loops == 0 && c->n_views == 0)
        return CITY_OK; /* air or weather networks only: no vehicle to look at (7,000 at rush hour) */
    const double dt_s = city_world_dt_ms(w) / 1000.0;
    const size_t n = city_road_vehicle_count(road);
    memset(c->covered, 0, (size_t)c->n_loops * sizeof *c->covered);
    double *view_sum = NULL;
    int32_t *view_n = NULL;
    if (c->n_views > 0) {
        view_sum = calloc((size_t)c->n_views, sizeof *view_sum);
        view_n = calloc((size_t)c->n_views, sizeof *view_n);
        if (!view_sum || !view_n) {
            free(view_sum);
            free(view_n);
            return city_world_fail(w, CITY_ERR_NOMEM, "out of memory feeding cameras");
        }
    }
    for (size_t i = 0; i < n; i++) {
        CityVehicleView v;
        city_road_vehicle_at(road, i, &v);
        if (c->n_loops > 0)
            feed_loops(c, s, &v, dt_s);
        for (int32_t k = 0; k < c->n_views; k++) {
            const CitySensorDef *d = city_sensor_def(s, c->views[k]);
            const double dx = v.xy.x - d->x_m, dy = v.xy.y - d->y_m;
            if (dx * dx + dy * dy <= d->radius_m * d->radius_m) {
                view_sum[k] += v.speed_mps;
                view_n[k]++;
            }
        }
    }
    for (int32_t l = 0; l < c->n_lanes && c->n_loops > 0; l++)
        for (int32_t k = c->first[l]; k < c->first[l + 1]; k++)
            if (city_sensor_def(s, c->loops[k])->quantity == CITY_QTY_OCCUPANCY)
                city_sensor_feed_add(s, c->loops[k], c->covered[k] ? 1.0 : 0.0);
    for (int32_t k = 0; k < c->n_views; k++) {
        const CitySensorDef *d = city_sensor_def(s, c->views[k]);
        if (d->quantity == CITY_QTY_SPEED) {
            if (view_n[k] > 0)
                city_sensor_feed_add(s, c->views[k], view_sum[k] / view_n[k]);
        } else {
            city_sensor_feed_value(s, c->views[k], (double)view_n[k]);
        }
    }
    free(view_sum);
    free(view_n);
    return CITY_OK;
}

static void sensor_road_destroy(void *self)
{
    index_free(self);
    free(self);
}

CityStatus couple_sensor_road_attach(CityWorld *world, const char *name)
{
    if (!city_sensors_of(world) || !city_road_of(world))
        return CITY_OK;
    CoupleSensorRoad *c = calloc(1, sizeof *c);
    if (!c)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    return couple_attach_commit(world, name, c, sensor_road_step, sensor_road_destroy, NULL);
}
