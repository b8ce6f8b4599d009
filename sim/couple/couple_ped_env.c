/* Air -> people: PM2.5 exposure, concentration x time per person. Once a
 * second of simulation (in COMMIT, after people moved) every person
 * walking adds the concentration at their position times that second,
 * twice: the truth (background plus the traffic share of their air cell)
 * and the estimate a city would make from its sensors (the last reading
 * of the nearest PM2.5 air sensor that has reported). The KPIs are the
 * means per person who entered (ped_exposure_ugh_per_m3 and
 * ped_exposure_sensed_ugh_per_m3, ug h / m3). */
#include <math.h>
#include <stdlib.h>

#include "city_couple.h"
#include "city_env.h"
#include "city_ped.h"
#include "city_points.h"
#include "city_sensor.h"
#include "couple_internal.h"

#define PED_ENV_NAME "ped_env" /* as in the table of couple.c */

typedef struct PedEnv {
    CityPedExposure sum; /* totals (persons is filled when read) */
    /* the PM2.5 air channels, rebuilt when channels are added (no state) */
    int32_t known;     /* sensor channels seen when the index was built */
    int32_t n_pm, *pm; /* their indices */
    /* the channels that have reported (in channel order), their places and
     * an index of those, rebuilt when that set grows (a channel that has
     * reported stays so): a person's estimate is then the last value of
     * one channel, read when needed */
    int32_t n_has, *has;
    int32_t reporting; /* city_sensors_reporting when the set was last made */
    double *x, *y;
    CityPoints *near;
} PedEnv;

static CityStatus index_pm(CityWorld *w, PedEnv *p, const CitySensors *s)
{
    const int32_t n = city_sensor_count(s);
    free(p->pm);
    free(p->has);
    free(p->x);
    free(p->y);
    p->n_has = 0; /* the index is made again */
    p->reporting = -1;
    p->pm = malloc(((size_t)n + 1) * sizeof *p->pm);
    p->has = malloc(((size_t)n + 1) * sizeof *p->has);
    p->x = malloc(((size_t)n + 1) * sizeof *p->x);
    p->y = malloc(((size_t)n + 1) * sizeof *p->y);
    p->n_pm = 0;
    if (!p->near)
        p->near = city_points_new();
    if (!p->pm || !p->has || !p->x || !p->y || !p->near)
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory indexing air sensors");
    for (int32_t i = 0; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if (d->kind == CITY_SENSOR_AIR && d->quantity == CITY_QTY_PM25)
            p->pm[p->n_pm++] = i;
    }
    p->known = n;
    return CITY_OK;
}

/* Indexes the places of the PM2.5 channels that have reported, in channel
 * order, when more channels have reported since it was last done: the
 * nearest to a person is then found in about constant time, not by a scan
 * of every sensor per person. (Rebuilt, or even only read, every second
 * for every channel, it cost more than 10,000 sensors' sampling.) */
static CityStatus index_reported(CityWorld *w, PedEnv *p, const CitySensors *s)
{
    const int32_t reporting = city_sensors_reporting(s);
    if (reporting == p->reporting)
        return CITY_OK; /* the same channels (the set only grows): the index stands */
    p->reporting = reporting;
    int32_t n = 0;
    for (int32_t k = 0; k < p->n_pm; k++) {
        double v;
        if (city_sensor_last_value(s, p->pm[k], &v))
            p->has[n++] = p->pm[k];
    }
    if (n == p->n_has)
        return CITY_OK; /* another quantity's channels reported */
    for (int32_t k = 0; k < n; k++) {
        const CitySensorDef *d = city_sensor_def(s, p->has[k]);
        p->x[k] = d->x_m;
        p->y[k] = d->y_m;
    }
    p->n_has = n;
    if (!city_points_build(p->near, n, p->x, p->y))
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory indexing air sensors");
    return CITY_OK;
}

/* The last value of the nearest PM2.5 sensor that has one (lowest channel on ties), or NAN. */
static double sensed_at(const PedEnv *p, const CitySensors *s, double x, double y)
{
    const int32_t k = p->n_has > 0 ? city_points_nearest(p->near, x, y) : -1;
    double v;
    return k >= 0 && city_sensor_last_value(s, p->has[k], &v) ? v : NAN;
}

static CityStatus ped_env_step(CityWorld *w, void *self, int64_t tick)
{
    PedEnv *p = self;
    const int64_t dt_ms = city_world_dt_ms(w);
    const int64_t every = dt_ms >= 1000 ? 1 : (1000 + dt_ms - 1) / dt_ms; /* ticks per integration step */
    if ((tick + 1) % every != 0)
        return CITY_OK;
    const double h = (double)(every * dt_ms) / 3.6e6; /* the step in hours */
    const CityPed *ped = city_ped_of(w);
    const CityEnv *env = city_env_of(w);
    CitySensors *s = city_sensors_of(w);
    if (s && p->known != city_sensor_count(s)) {
        CityStatus st = index_pm(w, p, s);
        if (st != CITY_OK)
            return st;
    }
    if (s && p->n_pm > 0) {
        CityStatus st = index_reported(w, p, s);
        if (st != CITY_OK)
            return st;
    }
    const double t_s = (double)(tick + 1) * (double)dt_ms / 1000.0;
    const double bg = city_env_background(env, CITY_SPECIES_PM25, t_s);
    const size_t n = city_ped_count(ped);
    for (size_t i = 0; i < n; i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        p->sum.true_ugh_m3 += (bg + city_env_air_traffic(env, CITY_SPECIES_PM25, v.x_m, v.y_m)) * h;
        p->sum.person_h += h;
        if (p->n_pm > 0) {
            const double c = sensed_at(p, s, v.x_m, v.y_m);
            if (!isnan(c))
                p->sum.sensed_ugh_m3 += c * h;
        }
    }
    return CITY_OK;
}

bool city_couple_ped_exposure(const CityWorld *world, CityPedExposure *out)
{
    const PedEnv *p = city_world_subsystem(world, PED_ENV_NAME);
    *out = (CityPedExposure){0};
    if (!p)
        return false;
    *out = p->sum;
    CityPedStats st;
    city_ped_stats(city_ped_of(world), &st);
    out->persons = (double)st.departed;
    if (p->n_pm == 0)
        out->sensed_ugh_m3 = NAN;
    return true;
}

static CityStatus ped_env_finish(CityWorld *w, void *self)
{
    (void)self;
    CityPedExposure e;
    city_couple_ped_exposure(w, &e);
    const double n = e.persons > 0 ? e.persons : 1.0;
    city_world_kpi_set(w, "ped_exposure_ugh_per_m3", e.true_ugh_m3 / n);
    if (!isnan(e.sensed_ugh_m3))
        city_world_kpi_set(w, "ped_exposure_sensed_ugh_per_m3", e.sensed_ugh_m3 / n);
    return CITY_OK;
}

static void ped_env_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const PedEnv *p = self;
    city_hash_bytes(h, &p->sum, sizeof p->sum);
}

static CityStatus ped_env_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const PedEnv *p = self;
    city_state_put_f64(out, p->sum.person_h);
    city_state_put_f64(out, p->sum.true_ugh_m3);
    city_state_put_f64(out, p->sum.sensed_ugh_m3);
    return CITY_OK;
}

static CityStatus ped_env_load(CityWorld *w, void *self, CityStateReader *in)
{
    PedEnv *p = self;
    p->sum.person_h = city_state_get_f64(in);
    p->sum.true_ugh_m3 = city_state_get_f64(in);
    p->sum.sensed_ugh_m3 = city_state_get_f64(in);
    return in->bad ? city_world_fail(w, CITY_ERR_PARSE, "ped_env: damaged checkpoint (%s)", in->error) : CITY_OK;
}

static void ped_env_destroy(void *self)
{
    PedEnv *p = self;
    free(p->pm);
    free(p->has);
    free(p->x);
    free(p->y);
    city_points_free(p->near);
    free(p);
}

CityStatus couple_ped_env_attach(CityWorld *world, const char *name)
{
    if (!city_ped_of(world) || !city_env_of(world))
        return CITY_OK;
    PedEnv *p = calloc(1, sizeof *p);
    if (!p)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    p->known = -1;
    CitySubsystemDef def = {
        name,           CITY_PHASE_COMMIT, 1,           0, ped_env_step, ped_env_hash, ped_env_destroy,
        ped_env_finish, ped_env_save,      ped_env_load};
    CityStatus st = city_world_add_subsystem(world, &def, p);
    if (st != CITY_OK)
        free(p);
    return st;
}
