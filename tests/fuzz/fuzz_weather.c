/* Weather CSV (city_weather_csv.h): what reads must hold the format's
 * promises (at least one sample, times finite and increasing, every value
 * in its range or NaN for a column left out), else abort, a finding; then
 * the series goes into an environment and is looked up between, on and
 * beyond its samples, as city.env.weather{ csv = } does. */
#include "fuzz_common.h"

#include <math.h>

#include "city_env.h"
#include "city_weather_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void in_range_or_abort(double v, double lo, double hi)
{
    if (!isnan(v) && !(v >= lo && v <= hi))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CityError err;
    CityWeather *wx = NULL;
    size_t n = 0;
    if (city_weather_csv_read(fuzz_path(data, size), &wx, &n, &err) != CITY_OK) {
        if (wx || !err.msg[0])
            abort();
        return 0;
    }
    if (!wx || n < 1)
        abort();
    CityWorldConfig cfg = {1, 1000};
    CityWorld *w = city_world_create(&cfg);
    CityEnv *env = w ? city_env_ensure(w) : NULL;
    if (!env)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(wx[i].t_s) || (i > 0 && !(wx[i].t_s > wx[i - 1].t_s)))
            abort();
        in_range_or_abort(wx[i].temp_c, -90.0, 70.0);
        in_range_or_abort(wx[i].rh_pct, 0.0, 100.0);
        in_range_or_abort(wx[i].ghi_wm2, 0.0, 2000.0);
        in_range_or_abort(wx[i].wind_mps, 0.0, 100.0);
        if (isinf(wx[i].wind_from_deg))
            abort();
        /* a column left out keeps the environment's default (lua_env.c) */
        CityWeather d;
        city_env_weather_at(env, wx[i].t_s, &d);
        double *own[] = {&wx[i].temp_c, &wx[i].rh_pct, &wx[i].ghi_wm2, &wx[i].wind_mps, &wx[i].wind_from_deg};
        const double dflt[] = {d.temp_c, d.rh_pct, d.ghi_wm2, d.wind_mps, d.wind_from_deg};
        for (int k = 0; k < 5; k++)
            if (isnan(*own[k]))
                *own[k] = dflt[k];
    }
    if (city_env_set_weather(env, wx, n) == CITY_OK) {
        const double t0 = wx[0].t_s, t1 = wx[n - 1].t_s;
        const double at[] = {t0 - 1.0, t0, (t0 + t1) / 2, t1, t1 + 1.0, 0.0, 86400.0, 1e300, -1e300};
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            CityWeather o;
            city_env_weather_at(env, at[i], &o);
            if (isnan(o.temp_c) || isnan(o.rh_pct) || isnan(o.wind_mps))
                abort();
        }
        for (int i = 0; i < 5; i++)
            if (city_world_step(w) != CITY_OK)
                break;
    }
    city_world_destroy(w);
    free(wx);
    return 0;
}
