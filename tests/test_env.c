/* Environment: the weather series and episodes, the emission factors
 * against the EMEP/EEA arithmetic, and the air grid: mass balance to
 * 1e-9, linearity (twice the traffic, twice its share), decay with
 * distance from a road, and transport downwind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_couple.h"
#include "city_env.h"
#include "city_weather_csv.h"
#include "test_support.h"

static CityWorld *world(void)
{
    CityWorldConfig cfg = {1, 1000};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    return w;
}

static void test_weather_and_episodes(void **state)
{
    (void)state;
    CityWorld *w = world();
    CityEnv *env = city_env_ensure(w);
    CityWeather wx;
    city_env_weather_at(env, 13.5 * 3600, &wx);
    assert_true(fabs(wx.temp_c - (30.8 + 31.1) / 2) < 1e-12);
    /* over midnight the series wraps: 23:30 of day 2 is between 25.7 and 25.4 */
    city_env_weather_at(env, 86400 + 23.5 * 3600, &wx);
    assert_true(fabs(wx.temp_c - (25.7 + 25.4) / 2) < 1e-12);
    /* the wind turns the short way: 260 -> 250 at 05:30-06:00 */
    city_env_weather_at(env, 5.5 * 3600, &wx);
    assert_true(fabs(wx.wind_from_deg - 255.0) < 1e-9);
    CityEpisode heat = {CITY_EPISODE_HEAT, 3600, 7200, 3600, 4.0};
    CityEpisode dust = {CITY_EPISODE_DUST, 0, 4 * 3600, 3600, 95.0};
    assert_int_equal(city_env_add_episode(env, &heat), CITY_OK);
    assert_int_equal(city_env_add_episode(env, &dust), CITY_OK);
    city_env_weather_at(env, 2 * 3600, &wx); /* half way up the heat ramp */
    assert_true(fabs(wx.temp_c - (24.6 + 2.0)) < 1e-12);
    /* dust half way: PM2.5 15 -> 55, PM10 keeps its 25/15 ratio to the rise */
    assert_true(fabs(city_env_background(env, CITY_SPECIES_PM25, 2 * 3600) - 55.0) < 1e-12);
    assert_true(fabs(city_env_background(env, CITY_SPECIES_PM10, 2 * 3600) - (25.0 + 40.0 * 25.0 / 15.0)) < 1e-12);
    assert_true(fabs(city_env_background(env, CITY_SPECIES_PM25, 4.5 * 3600) - 95.0) < 1e-12);
    assert_true(fabs(city_env_background(env, CITY_SPECIES_PM25, 10 * 3600) - 15.0) < 1e-12);
    CityWeather bad[2] = {{0, 20, 50, 0, 1, 0}, {0, 20, 50, 0, 1, 0}};
    assert_int_equal(city_env_set_weather(env, bad, 2), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(w), "weather sample 2"));
    city_world_destroy(w);
}

static void test_emission_factors(void **state)
{
    (void)state;
    /* EV at 50 km/h: EMEP/EEA 1.A.3.b.vi-vii Tier 2 car TSP x PM10 fraction x speed correction,
     * plus the resuspension assumption; no exhaust, no NOx */
    const double v = 50.0;
    const double pm10 =
        0.0107 * 0.6 * (1.78 - 0.00974 * v) + 0.0075 * 0.98 * (2.75 - 0.0270 * v) + 0.0150 * 0.5 + 0.020;
    assert_true(fabs(city_emission_factor(CITY_EMIT_CAR_EV, CITY_SPECIES_PM10, v / 3.6) - pm10) < 1e-15);
    assert_true(city_emission_factor(CITY_EMIT_CAR_EV, CITY_SPECIES_NOX, v / 3.6) == 0.0);
    /* a diesel car emits the EV's non-exhaust plus its exhaust */
    const double d = city_emission_factor(CITY_EMIT_CAR_DIESEL, CITY_SPECIES_PM25, 10.0) -
                     city_emission_factor(CITY_EMIT_CAR_EV, CITY_SPECIES_PM25, 10.0);
    assert_true(fabs(d - city_emission_exhaust(CITY_EMIT_CAR_DIESEL, CITY_SPECIES_PM25, 10.0)) < 1e-15);
    /* non-exhaust dominates urban PM10 for a modern petrol car */
    assert_true(city_emission_exhaust(CITY_EMIT_CAR_PETROL, CITY_SPECIES_PM10, 10.0) <
                0.1 * city_emission_factor(CITY_EMIT_CAR_PETROL, CITY_SPECIES_PM10, 10.0));
    /* below 40 km/h brake and tyre wear use their constant corrections (1.67, 1.39) */
    const double slow = 0.0107 * 0.42 * 1.39 + 0.0075 * 0.39 * 1.67 + 0.0150 * 0.27 + 0.020 * 0.15;
    assert_true(fabs(city_emission_factor(CITY_EMIT_CAR_EV, CITY_SPECIES_PM25, 5.0) - slow) < 1e-15);
}

/* A street along y = 250 m across a 500 m x 500 m grid of 10 m cells. */
static CityEnv *street_grid(CityWorld *w)
{
    CityEnv *env = city_env_ensure(w);
    CityAirOptions o = city_air_options_default();
    o.x1_m = 500;
    o.y1_m = 500;
    assert_int_equal(city_env_air_setup(env, &o), CITY_OK);
    return env;
}

static void emit_street(CityEnv *env, double ug_per_cell)
{
    for (double x = 105; x < 400; x += 10)
        city_env_air_emit(env, CITY_SPECIES_PM25, x, 255, ug_per_cell);
}

static void test_doubling_and_distance(void **state)
{
    (void)state;
    CityWorld *w1 = world(), *w2 = world();
    CityEnv *a = street_grid(w1), *b = street_grid(w2);
    for (int k = 0; k < 120; k++) { /* 10 minutes, no wind */
        emit_street(a, 1000.0);
        emit_street(b, 2000.0);
        city_env_air_advance(a, 5.0, 0.0, 0.0);
        city_env_air_advance(b, 5.0, 0.0, 0.0);
    }
    const double on = city_env_air_traffic(a, CITY_SPECIES_PM25, 250, 255);
    assert_true(on > 0);
    assert_true(city_env_air_traffic(b, CITY_SPECIES_PM25, 250, 255) == 2.0 * on);
    /* the background is not doubled: only the traffic share */
    const double bg = city_env_background(a, CITY_SPECIES_PM25, 0);
    assert_true(city_env_air_at(b, CITY_SPECIES_PM25, 250, 255) - bg ==
                2.0 * (city_env_air_at(a, CITY_SPECIES_PM25, 250, 255) - bg));
    double prev = on;
    for (double d = 10; d <= 150; d += 10) {
        const double c = city_env_air_traffic(a, CITY_SPECIES_PM25, 250, 255 + d);
        assert_true(c < prev);
        assert_true(fabs(c - city_env_air_traffic(a, CITY_SPECIES_PM25, 250, 255 - d)) <= 1e-12 * on); /* symmetric */
        prev = c;
    }
    city_world_destroy(w1);
    city_world_destroy(w2);
}

static void test_mass_balance_and_wind(void **state)
{
    (void)state;
    CityWorld *w = world();
    CityEnv *env = street_grid(w);
    double emitted = 0;
    for (int k = 0; k < 720; k++) { /* an hour with a turning wind, emissions also outside */
        for (int i = 0; i < 7; i++) {
            const double x = fmod(37.0 * (k + i * 13), 560.0) - 30, y = fmod(53.0 * (k * 3 + i), 520.0) - 10;
            city_env_air_emit(env, CITY_SPECIES_NOX, x, y, 500.0 + i);
            emitted += 500.0 + i;
        }
        city_env_air_advance(env, 5.0, 0.5 + 3.0 * fabs(sin(k * 0.01)), fmod(k * 0.7, 360.0));
    }
    CityAirBudget b;
    city_env_air_budget(env, CITY_SPECIES_NOX, &b);
    assert_true(fabs(b.emitted_ug - emitted) <= 1e-12 * emitted);
    assert_true(b.mass_ug > 0 && b.outflow_ug > 0 && b.vented_ug > 0);
    assert_true(fabs(b.mass_ug - (b.emitted_ug - b.outflow_ug - b.vented_ug)) <= 1e-9 * b.emitted_ug);
    /* no negative masses: the step keeps the scheme monotone */
    int32_t nx, ny;
    city_env_air_size(env, &nx, &ny);
    const double *f = city_env_air_field(env, CITY_SPECIES_NOX);
    for (int32_t i = 0; i < nx * ny; i++)
        assert_true(f[i] >= 0);
    city_world_destroy(w);

    /* a west wind (from 270 deg) carries the street's share east */
    w = world();
    env = street_grid(w);
    for (int k = 0; k < 60; k++) {
        city_env_air_emit(env, CITY_SPECIES_PM10, 255, 255, 1e4);
        city_env_air_advance(env, 5.0, 2.0, 270.0);
    }
    assert_true(city_env_air_traffic(env, CITY_SPECIES_PM10, 305, 255) >
                10 * city_env_air_traffic(env, CITY_SPECIES_PM10, 205, 255));
    city_world_destroy(w);
}

/* Reads a weather CSV written to the scratch folder; returns the status and
 * leaves the message in err. */
static CityStatus read_csv(const char *text, CityWeather **wx, size_t *n, CityError *err)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/weather.csv", city_test_scratch("env_weather_csv"));
    assert_true(city_test_write_file(path, text));
    return city_weather_csv_read(path, wx, n, err);
}

/* A message from the reader, with the scratch folder cut off the file name. */
static const char *tail_of(const CityError *err)
{
    const char *p = strstr(err->msg, "weather.csv");
    return p ? p : err->msg;
}

static void test_weather_csv(void **state)
{
    (void)state;
    CityWeather *wx = NULL;
    size_t n = 0;
    CityError err = {0};
    /* any column order, hours, CRLF, comments and blank lines; left-out columns NAN */
    assert_int_equal(read_csv("# Seoul, two samples\r\ntemp_c, hour ,rh_pct\r\n\r\n24.5,0,88\r\n"
                              "# noon\n31.25,12,60\n",
                              &wx, &n, &err),
                     CITY_OK);
    assert_int_equal(n, 2);
    assert_true(wx[1].t_s == 43200.0 && wx[1].temp_c == 31.25 && wx[1].rh_pct == 60.0);
    assert_true(wx[0].t_s == 0.0 && wx[0].temp_c == 24.5 && isnan(wx[0].ghi_wm2) && isnan(wx[0].wind_mps));
    free(wx);
    /* every refusal names file, line and column, and nothing is returned */
    const struct {
        const char *text, *msg;
    } bad[] = {
        {"t_s,temp_c\n0,25\n60,2x5\n", "weather.csv:3:2: temp_c \"2x5\" is not a finite number"},
        {"t_s,temp_c\n0,25\n60,\n", "weather.csv:3:2: temp_c \"\" is not a finite number"},
        {"t_s,rh_pct\n0,101\n", "weather.csv:2:2: rh_pct 101 is outside 0..100"},
        {"t_s,temp_c\n0,25,1\n", "weather.csv:2:3: 3 cells where the header has 2 columns"},
        {"t_s,temp_c\n0,25\n0,26\n", "weather.csv:3:1: time 0 s is not after the line before; sort by time"},
        {"t_s,tmp_c\n", "weather.csv:1:2: unknown column \"tmp_c\"; use hour or t_s, temp_c, rh_pct, ghi_wm2, "
                        "wind_mps, wind_from_deg"},
        {"temp_c\n25\n", "weather.csv:1:1: no time column; add hour (h) or t_s (s)"},
        {"hour,t_s\n", "weather.csv:1:2: column \"t_s\" repeats the time or a column; give each once (hour or t_s, "
                       "not both)"},
        {"# nothing\nhour\n", "weather.csv:3:1: no samples; give a header and at least one line"},
        {"hour,wind_mps\n1,nan\n", "weather.csv:2:2: wind_mps \"nan\" is not a finite number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wx = (CityWeather *)&err; /* must come back NULL */
        assert_int_equal(read_csv(bad[i].text, &wx, &n, &err), CITY_ERR_PARSE);
        assert_null(wx);
        assert_int_equal(n, 0);
        assert_string_equal(tail_of(&err), bad[i].msg);
    }
}

/* A car's fuel (the emission class the traffic coupling gives it) follows
 * its name, not its handle: the road reuses a handle once its vehicle has
 * left, so a trip whose fuel came from its handle took another fuel
 * whenever the vehicles before it left in another order, and the Jamsil
 * day's traffic NOx moved by 4 % and 35 % with changes that moved its
 * travel times by 0.1 s. 10,000 names, each seen with two handles: the
 * same fuel both times, diesel for 30 % of them (within 1.5 points). */
static void test_fuel_follows_the_name(void **state)
{
    (void)state;
    char name[32];
    int diesel = 0, differ = 0;
    for (uint32_t k = 0; k < 10000; k++) {
        snprintf(name, sizeof name, "car.%u", (unsigned)k);
        CityVehicleView a = {.name = name, .vclass = CITY_VC_PASSENGER, .id = {.index = k}};
        CityVehicleView b = a;
        b.id.index = 7 * k + 3;
        CityEmissionClass ca = city_couple_emission_class(&a), cb = city_couple_emission_class(&b);
        differ += ca != cb;
        diesel += ca == CITY_EMIT_CAR_DIESEL;
        assert_true(ca == CITY_EMIT_CAR_DIESEL || ca == CITY_EMIT_CAR_PETROL);
    }
    print_message("fuel by name: %d of 10000 diesel, %d changed with the handle\n", diesel, differ);
    assert_int_equal(differ, 0);
    assert_true(diesel >= 2850 && diesel <= 3150);
    CityVehicleView ev = {.name = "ev.1", .vclass = CITY_VC_PASSENGER, .energy_kwh = 20.0};
    assert_int_equal(city_couple_emission_class(&ev), CITY_EMIT_CAR_EV);
    CityVehicleView bus = {.name = "bus.1", .vclass = CITY_VC_BUS};
    assert_int_equal(city_couple_emission_class(&bus), CITY_EMIT_BUS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weather_and_episodes),  cmocka_unit_test(test_emission_factors),
        cmocka_unit_test(test_fuel_follows_the_name), cmocka_unit_test(test_doubling_and_distance),
        cmocka_unit_test(test_mass_balance_and_wind), cmocka_unit_test(test_weather_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
