/* Environment -> sensors: air-quality channels read the background plus the
 * traffic share of their cell and the humidity (for the optical PM
 * overestimate); weather channels read the weather. Fed in COMMIT of the
 * tick before each sample (SENSE of the next tick). */

#include "city_env.h"
#include "city_sensor.h"
#include "couple_internal.h"

static double weather_value(const CityWeather *wx, CityQuantity q)
{
    switch (q) {
    case CITY_QTY_HUMIDITY:
        return wx->rh_pct;
    case CITY_QTY_IRRADIANCE:
        return wx->ghi_wm2;
    case CITY_QTY_WIND_SPEED:
        return wx->wind_mps;
    case CITY_QTY_WIND_DIR:
        return wx->wind_from_deg;
    default:
        return wx->temp_c;
    }
}

static CityStatus sensor_env_step(CityWorld *w, void *self, int64_t tick)
{
    (void)self;
    CitySensors *s = city_sensors_of(w);
    CityEnv *env = city_env_of(w);
    CITY_ASSERT(s && env);
    /* the state at the end of this tick, which the next SENSE samples; the
     * weather and the backgrounds once per tick, then only the channels due */
    const double t_s = (city_world_tick(w) + 1) * (city_world_dt_ms(w) / 1000.0);
    CityWeather wx;
    city_env_weather_at(env, t_s, &wx);
    double background[CITY_SPECIES_COUNT];
    for (int sp = 0; sp < CITY_SPECIES_COUNT; sp++)
        background[sp] = city_env_background(env, (CitySpecies)sp, t_s);
    int32_t n_due;
    const int32_t *due = city_sensors_due(s, tick + 1, &n_due);
    for (int32_t k = 0; k < n_due; k++) {
        const int32_t i = due[k];
        const CitySensorDef *d = city_sensor_def(s, i);
        if (d->kind == CITY_SENSOR_AIR) {
            CitySpecies sp = d->quantity == CITY_QTY_PM10  ? CITY_SPECIES_PM10
                             : d->quantity == CITY_QTY_NOX ? CITY_SPECIES_NOX
                                                           : CITY_SPECIES_PM25;
            city_sensor_feed_value(s, i, background[sp] + city_env_air_traffic(env, sp, d->x_m, d->y_m));
            city_sensor_feed_rh(s, i, wx.rh_pct);
        } else if (d->kind == CITY_SENSOR_WEATHER) {
            city_sensor_feed_value(s, i, weather_value(&wx, d->quantity));
        }
    }
    return CITY_OK;
}

CityStatus couple_sensor_env_attach(CityWorld *world, const char *name)
{
    if (!city_sensors_of(world) || !city_env_of(world))
        return CITY_OK;
    return couple_attach_stateless(world, name, sensor_env_step, NULL);
}
