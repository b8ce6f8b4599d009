/* Road -> sensors through a scenario: on one 1 km lane with 600 veh/h,
 * a loop without noise counts exactly the vehicles that passed (every one
 * of them, the road's own trip count), every reading equals its truth, and
 * occupancy and the camera's count match the flow's q L / v and q d / v.
 * Traffic -> emissions -> air: the grid's budget balances in a run. */
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
#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_ped.h"
#include "city_road.h"
#include "city_scenario.h"
#include "city_sensor.h"
#include "test_support.h"

static const char *const LOOP_LUA =
    "city.config{ dt_ms = 100, until_s = 1500 }\n"
    "city.road.build{ nodes = { {id = 'a', x = 0, y = 0}, {id = 'b', x = 1000, y = 0} },\n"
    "                 edges = { {id = 'ab', from = 'a', to = 'b', lanes = 1, speed = 13.89} } }\n"
    "city.road.flow{ id = 'f', from = 'ab', to = 'ab', rate = 600, begin = 0, ['end'] = 1200 }\n"
    "for _, q in ipairs{'count', 'speed', 'occupancy'} do\n"
    "  city.sensor.add{ name = 'loop1', kind = 'loop', quantity = q, lane = 'ab_0', pos_m = 500, period_s = 60 }\n"
    "end\n"
    "city.sensor.add{ name = 'cam', kind = 'camera', quantity = 'count', x = 500, y = 0, radius_m = 100,\n"
    "                 period_s = 10 }\n"
    "city.env.weather{ {hour = 0, wind_mps = 0} }\n"
    "city.env.air{ cell_m = 10, x0 = -100, y0 = -200, x1 = 1100, y1 = 200 }\n";

typedef struct Capture {
    CityReading r[4096];
    double truth[4096];
    size_t n;
} Capture;

static void capture_sink(void *user, const CityReading *r, double truth)
{
    Capture *c = user;
    assert_true(c->n < 4096);
    c->r[c->n] = *r;
    c->truth[c->n++] = truth;
}

static void test_loop_and_camera_against_the_road(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("couple_sensor");
    char path[4200];
    snprintf(path, sizeof path, "%s/loop.lua", dir);
    assert_true(city_test_write_file(path, LOOP_LUA));
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = 3;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err = {0};
    assert_int_equal(city_scenario_load(&o, &sc, &err), CITY_OK);
    CityWorld *w = city_scenario_world(sc);
    static Capture cap;
    cap.n = 0;
    city_sensors_set_sink(city_sensors_of(w), capture_sink, &cap);
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end)
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    assert_int_equal(city_scenario_finish(sc), CITY_OK);

    CityRoadStats rs;
    city_road_stats(city_road_of(w), &rs);
    assert_true(rs.arrived > 150 && rs.arrived == rs.inserted);
    double counted = 0, occ = 0, speed = 0, cam = 0;
    int n_occ = 0, n_speed = 0, n_cam = 0;
    for (size_t i = 0; i < cap.n; i++) {
        const CityReading *r = &cap.r[i];
        assert_true(r->value == cap.truth[i]); /* no noise, no faults: the truth exactly */
        assert_int_equal(r->arrives_ms, r->measured_ms);
        const bool steady = r->measured_ms > 300000 && r->measured_ms <= 1200000;
        if (!strcmp(r->sensor, "loop1") && r->quantity == CITY_QTY_COUNT)
            counted += r->value;
        else if (r->quantity == CITY_QTY_OCCUPANCY && steady)
            occ += r->value, n_occ++;
        else if (r->quantity == CITY_QTY_SPEED && steady)
            speed += r->value, n_speed++;
        else if (!strcmp(r->sensor, "cam") && steady)
            cam += r->value, n_cam++;
    }
    /* every vehicle crossed the loop once, and all have arrived */
    assert_true(counted == (double)rs.arrived);
    assert_true(n_occ == 15 && n_speed == 15 && n_cam == 90);
    const double q = 600.0 / 3600.0, v = speed / n_speed; /* veh/s, m/s */
    assert_true(v > 12.0 && v < 16.0);
    /* occupancy = q L / v for 5 m cars; camera count = density q / v times its 200 m */
    assert_true(fabs(occ / n_occ - q * 5.0 / v) < 0.15 * q * 5.0 / v);
    assert_true(fabs(cam / n_cam - q / v * 200.0) < 0.15 * q / v * 200.0);

    /* the traffic's emissions reached the air and balance to 1e-9 */
    CityAirBudget b;
    city_env_air_budget(city_env_of(w), CITY_SPECIES_PM10, &b);
    assert_true(b.emitted_ug > 0);
    assert_true(fabs(b.mass_ug + b.pending_ug - (b.emitted_ug + b.pending_ug - b.outflow_ug - b.vented_ug)) <=
                1e-9 * b.emitted_ug);
    double kpi = 0;
    assert_true(city_world_kpi_get(w, "traffic_pm10_g", &kpi));
    assert_true(fabs(kpi * 1e6 - (b.emitted_ug + b.pending_ug)) <= 1e-9 * kpi * 1e6);
    /* with no wind, the street's cell is above one 100 m away */
    assert_true(city_env_air_traffic(city_env_of(w), CITY_SPECIES_PM10, 505, 0) >
                2 * city_env_air_traffic(city_env_of(w), CITY_SPECIES_PM10, 505, 100));
    city_scenario_destroy(sc);
}

static const char *hash_of(const CityTestRun *r)
{
    static char h[64];
    const char *p = strstr(r->out, "state_hash ");
    if (!p)
        fail_msg("no state hash in: %s\n%s", r->out, r->err);
    snprintf(h, sizeof h, "%.*s", (int)strcspn(p, "\n"), p);
    return h;
}

/* With noisy, failing sensors and the air grid: the same seed gives the
 * same readings file byte for byte, another seed other readings, and a run
 * restored from a checkpoint ends with the uninterrupted run's hash. */
static void test_determinism_and_checkpoint(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("couple_sensor_det");
    char path[4200], a[4300], b[4300], c[4300], st[4300], rest[4300];
    snprintf(path, sizeof path, "%s/noisy.lua", dir);
    char text[4096];
    snprintf(text, sizeof text,
             "%s city.sensor.add{ name = 'pm', kind = 'air', quantity = 'pm10', x = 505, y = 0, noise_sd = 3,"
             " drift_per_h = 1, quantum = 0.5, dropout = 0.1, rh_kappa = 0.4, latency_s = 0.7, fault = 'chatter',"
             " mttf_s = 300, fault_size = 4 }\n"
             "city.sensor.loops{ all = true, noise_sd = 0.5, dropout = 0.05, fault = 'stuck', mttf_s = 600 }\n",
             LOOP_LUA);
    assert_true(city_test_write_file(path, text));
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(c, sizeof c, "%s/c", dir);
    snprintf(st, sizeof st, "%s/at.state", dir);
    snprintf(rest, sizeof rest, "%s/rest", dir);
    const char *ra[] = {"run", path, "--seed", "5", "--out", a, "--quiet", NULL};
    const char *rb[] = {"run", path, "--seed", "5", "--out", b, "--save-state", st, "--at", "777.7", "--quiet", NULL};
    const char *rc[] = {"run", path, "--seed", "6", "--out", c, "--quiet", NULL};
    const char *rr[] = {"run", "--restore", st, "--out", rest, "--quiet", NULL};
    CityTestRun r1 = city_test_run(ra, 600), r2 = city_test_run(rb, 600), r3 = city_test_run(rc, 600),
                r4 = city_test_run(rr, 600);
    char h1[64];
    snprintf(h1, sizeof h1, "%s", hash_of(&r1));
    assert_string_equal(h1, hash_of(&r2));
    assert_string_equal(h1, hash_of(&r4));
    assert_string_not_equal(h1, hash_of(&r3));
    const char *files[] = {"readings.senml.jsonl", "readings.csv"};
    for (int i = 0; i < 2; i++) {
        char fa[4400], fb[4400], fc[4400];
        snprintf(fa, sizeof fa, "%s/%s", a, files[i]);
        snprintf(fb, sizeof fb, "%s/%s", b, files[i]);
        snprintf(fc, sizeof fc, "%s/%s", c, files[i]);
        size_t la = 0, lc = 0;
        char *ta = city_test_read_file(fa, &la), *tb = city_test_read_file(fb, NULL),
             *tc = city_test_read_file(fc, &lc);
        assert_true(ta && tb && tc && la > 10000);
        assert_string_equal(ta, tb);
        assert_string_not_equal(ta, tc);
        free(ta);
        free(tb);
        free(tc);
    }
    city_test_run_free(&r1);
    city_test_run_free(&r2);
    city_test_run_free(&r3);
    city_test_run_free(&r4);
}

/* The grid's temperature and irradiance follow the environment's weather, heat wave included. */
static void test_weather_reaches_the_grid(void **state)
{
    (void)state;
    CityWorldConfig cfg = {1, 1000};
    CityWorld *w = city_world_create(&cfg);
    CityEnv *env = city_env_ensure(w);
    CityEpisode heat = {CITY_EPISODE_HEAT, 86400 + 6 * 3600, 3 * 3600, 6 * 3600, 5.0};
    assert_int_equal(city_env_add_episode(env, &heat), CITY_OK);
    CityGridSimConfig gc;
    city_grid_sim_config_default(&gc);
    assert_int_equal(city_grid_sim_attach(w, city_grid_create(10.0), &gc), CITY_OK);
    assert_int_equal(city_couple_attach_all(w), CITY_OK);
    CityGrid *grid = city_grid_of(w);
    for (double t = 0; t < 3 * 86400; t += 3000) { /* multiples of the 600 s sampling step */
        CityWeather wx;
        city_env_weather_at(env, t, &wx);
        assert_true(fabs(city_grid_temperature_c(grid, t) - wx.temp_c) < 1e-9);
        assert_true(fabs(city_grid_irradiance_wm2(grid, t) - wx.ghi_wm2) < 1e-9);
    }
    /* the heat wave's peak is in the grid: 5 deg C above the same hour a day before */
    assert_true(
        fabs(city_grid_temperature_c(grid, 86400 + 12 * 3600) - city_grid_temperature_c(grid, 12 * 3600) - 5.0) < 1e-9);
    city_world_destroy(w);
}

/* People -> cameras and air -> exposure on a 100 m x 10 m walkway: a
 * camera's people count equals the people within its radius at the
 * state it sampled (counted here independently), and with a constant
 * background and no air grid the exposure is exactly background x
 * person-hours; a noise-free air sensor's estimate of it misses only the
 * seconds before its first reading. */
typedef struct PedCam {
    CityWorld *w;
    int readings, nonzero;
} PedCam;

static void ped_cam_sink(void *user, const CityReading *r, double truth)
{
    PedCam *pc = user;
    if (r->quantity != CITY_QTY_PEOPLE)
        return;
    const CityPed *ped = city_ped_of(pc->w);
    int seen = 0;
    for (size_t i = 0; i < city_ped_count(ped); i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        seen += (v.x_m - 50) * (v.x_m - 50) + (v.y_m - 5) * (v.y_m - 5) <= 15.0 * 15.0;
    }
    assert_true(r->value == truth);
    assert_true(r->value == (double)seen);
    pc->readings++;
    pc->nonzero += seen > 0;
}

static void test_people_camera_and_exposure(void **state)
{
    (void)state;
    CityWorldConfig cfg = {.seed = 3, .dt_ms = 100};
    CityWorld *w = city_world_create(&cfg);
    CityPed *ped = NULL;
    assert_int_equal(city_ped_create(w, NULL, &ped), CITY_OK);
    const double xy[8] = {0, 0, 100, 0, 100, 10, 0, 10};
    assert_true(city_ped_area_add(ped, xy, 4) >= 0);
    CityPedFlowDef f = {5, 5, 2, 95, 5, 2, 0, 300, 600, false};
    assert_int_equal(city_ped_flow_add(ped, &f), CITY_OK);
    CityEnv *env = city_env_ensure(w);
    assert_int_equal(city_env_set_background(env, 20, 30, 10), CITY_OK);
    CitySensorDef cam = city_sensor_def_default(CITY_SENSOR_CAMERA, CITY_QTY_PEOPLE, "cam");
    cam.x_m = 50, cam.y_m = 5, cam.radius_m = 15;
    CitySensorDef air = city_sensor_def_default(CITY_SENSOR_AIR, CITY_QTY_PM25, "pm");
    air.x_m = 50, air.y_m = 5;
    assert_true(city_sensor_add(w, &cam) >= 0 && city_sensor_add(w, &air) >= 0);
    assert_int_equal(city_couple_attach_all(w), CITY_OK);
    PedCam pc = {w, 0, 0};
    city_sensors_set_sink(city_sensors_of(w), ped_cam_sink, &pc);
    for (int t = 0; t < 4000; t++)
        assert_int_equal(city_world_step(w), CITY_OK);
    assert_int_equal(pc.readings, 399); /* at 1 s, 2 s, ... 399 s: ticks 10 to 3990 */
    assert_true(pc.nonzero > 100);
    CityPedExposure e;
    assert_true(city_couple_ped_exposure(w, &e));
    assert_true(e.persons == 50); /* 600 persons/h for 300 s */
    assert_true(e.person_h > 0.1);
    assert_true(fabs(e.true_ugh_m3 - 20.0 * e.person_h) <= 1e-12 * e.true_ugh_m3);
    /* the first reading arrives at 1 s: at most that second is missing from the estimate */
    assert_true(e.sensed_ugh_m3 <= e.true_ugh_m3 && e.sensed_ugh_m3 >= e.true_ugh_m3 - 20.0 * 2.0 / 3600.0);
    city_world_destroy(w);
}

/* Air channels read the truth where they stand: every reading's truth is
 * the background plus the traffic share of its sensor's cell at the
 * measurement, as city_env_air_traffic gives it, also after the grid was
 * replaced by one of another origin and cell size mid-run (the coupling
 * keeps each channel's cell and must find it again). */
typedef struct AirCheck {
    CityWorld *w;
    double xy[4][2];
    int readings, on_field; /* readings, and those with a traffic share */
} AirCheck;

static void air_sink(void *user, const CityReading *r, double truth)
{
    AirCheck *a = user;
    const int k = r->sensor[3] - '0';
    CityEnv *env = city_env_of(a->w);
    const double want = city_env_background(env, CITY_SPECIES_PM25, r->measured_ms / 1000.0) +
                        city_env_air_traffic(env, CITY_SPECIES_PM25, a->xy[k][0], a->xy[k][1]);
    assert_true(truth == want);
    a->readings++;
    a->on_field += truth > city_env_background(env, CITY_SPECIES_PM25, r->measured_ms / 1000.0);
}

static void test_air_channels_read_their_cell(void **state)
{
    (void)state;
    CityWorldConfig cfg = {.seed = 4, .dt_ms = 500};
    CityWorld *w = city_world_create(&cfg);
    CityEnv *env = city_env_ensure(w);
    CityAirOptions o = city_air_options_default();
    o.x0_m = 0, o.y0_m = 0, o.x1_m = 400, o.y1_m = 300, o.cell_m = 10, o.step_s = 1;
    assert_int_equal(city_env_air_setup(env, &o), CITY_OK);
    AirCheck a = {w, {{55, 45}, {203, 151}, {390, 12}, {450, 100}}, 0, 0}; /* the last outside */
    for (int k = 0; k < 4; k++) {
        char name[8];
        snprintf(name, sizeof name, "air%d", k);
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_AIR, CITY_QTY_PM25, name);
        d.x_m = a.xy[k][0], d.y_m = a.xy[k][1];
        assert_true(city_sensor_add(w, &d) >= 0);
    }
    assert_int_equal(city_couple_attach_all(w), CITY_OK);
    city_sensors_set_sink(city_sensors_of(w), air_sink, &a);
    for (int t = 0; t < 1200; t++) {
        if (t == 601) { /* another grid (origin, cell size and size), before a tick that feeds the next sample */
            o.x0_m = -35, o.y0_m = -20, o.x1_m = 420, o.y1_m = 260, o.cell_m = 7;
            assert_int_equal(city_env_air_setup(env, &o), CITY_OK);
        }
        for (int k = 0; k < 3; k++) /* sources next to the three sensors on the grid */
            city_env_air_emit(env, CITY_SPECIES_PM25, a.xy[k][0] + 3, a.xy[k][1] - 2, 5.0e4);
        assert_int_equal(city_world_step(w), CITY_OK);
    }
    assert_int_equal(a.readings, 4 * 599); /* every second from 1 s to 599 s */
    assert_true(a.on_field > 2 * 500);
    city_world_destroy(w);
}

/* A scenario with sensors on the road, the air and a Lua-built grid (a
 * slack bus, lights, a battery) restored from a checkpoint taken mid-run
 * ends in the same state hash and writes the same readings from there on
 * as the run never interrupted (the grid's result arrays did not exist yet in the
 * rebuilt scenario: restoring crashed). */
static const char *const RESTORE_LUA =
    "city.config{ dt_ms = 500, until_s = 900 }\n"
    "city.road.build{ nodes = { {id = 'a', x = 0, y = 0}, {id = 'b', x = 1000, y = 0} },\n"
    "                 edges = { {id = 'ab', from = 'a', to = 'b', lanes = 1, speed = 13.89} } }\n"
    "city.road.flow{ id = 'f', from = 'ab', to = 'ab', rate = 300, poisson = true, begin = 0, ['end'] = 900 }\n"
    "city.env.air{ cell_m = 10, x0 = -100, y0 = -200, x1 = 1100, y1 = 200 }\n"
    "city.grid.config{ period_s = 60, method = 'nr', base_mva = 1 }\n"
    "city.grid.bus{ id = 1, type = 'slack', kv = 22.9 }\n"
    "city.grid.bus{ id = 2, kv = 22.9, feeder = 'F' }\n"
    "city.grid.line{ id = 1, from = 1, to = 2, r_ohm = 0.1, x_ohm = 0.2, length_km = 1 }\n"
    "city.grid.lights{ id = 1, bus = 2, count = 10, w_each = 150 }\n"
    "city.sensor.add{ name = 'cam', kind = 'camera', quantity = 'count', x = 500, y = 0, radius_m = 100,\n"
    "                 period_s = 5, noise_sd = 0.5, dropout = 0.1 }\n"
    "city.sensor.add{ name = 'pm', kind = 'air', quantity = 'pm25', x = 500, y = 5, period_s = 10,\n"
    "                 noise_sd = 1, fault = 'stuck', fault_at_s = 600 }\n"
    "city.sensor.add{ name = 'feed', kind = 'feeder', quantity = 'power', branch = 1, period_s = 60 }\n";

static char *hash_line(const CityTestRun *r)
{
    const char *p = strstr(r->out, "state_hash ");
    if (!p)
        fail_msg("no state hash in: %s\n%s", r->out, r->err);
    char *h = malloc(64);
    snprintf(h, 64, "%.*s", (int)strcspn(p, "\n"), p);
    return h;
}

static void test_sensors_restore(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("couple_sensor_restore");
    char path[4300], full[4300], saved[4300], restored[4300], st[4300];
    snprintf(path, sizeof path, "%s/s.lua", dir);
    snprintf(full, sizeof full, "%s/full", dir);
    snprintf(saved, sizeof saved, "%s/saved", dir);
    snprintf(restored, sizeof restored, "%s/restored", dir);
    snprintf(st, sizeof st, "%s/at.state", dir);
    assert_true(city_test_write_file(path, RESTORE_LUA));
    const char *a_full[] = {"run", path, "--out", full, "--quiet", NULL};
    const char *a_save[] = {"run", path, "--save-state", st, "--at", "457", "--out", saved, "--quiet", NULL};
    const char *a_rest[] = {"run", "--restore", st, "--out", restored, "--quiet", NULL};
    CityTestRun r = city_test_run(a_full, 600);
    char *expect = hash_line(&r);
    city_test_run_free(&r);
    r = city_test_run(a_save, 600);
    city_test_run_free(&r);
    r = city_test_run(a_rest, 600);
    if (r.exit_code != 0 && r.exit_code != 1)
        fail_msg("restore exited %d: %s", r.exit_code, r.err);
    char *got = hash_line(&r);
    assert_string_equal(got, expect);
    city_test_run_free(&r);
    char pa[4400], pb[4400];
    snprintf(pa, sizeof pa, "%s/readings.csv", full);
    snprintf(pb, sizeof pb, "%s/readings.csv", restored);
    char *ta = city_test_read_file(pa, NULL), *tb = city_test_read_file(pb, NULL);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_true(strlen(ta) > 1000);
    /* the restored run writes the readings from the checkpoint on: the same rows, byte for byte */
    const char *rows = strchr(tb, '\n') + 1;
    char first[256];
    snprintf(first, sizeof first, "\n%.*s\n", (int)strcspn(rows, "\n"), rows);
    assert_non_null(strstr(first, ",460.000,")); /* the first sample after 457 s */
    const char *from = strstr(ta, first);
    assert_non_null(from);
    assert_string_equal(from + 1, rows);
    free(ta);
    free(tb);
    free(expect);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_and_camera_against_the_road),
        cmocka_unit_test(test_weather_reaches_the_grid),
        cmocka_unit_test(test_determinism_and_checkpoint),
        cmocka_unit_test(test_people_camera_and_exposure),
        cmocka_unit_test(test_sensors_restore),
        cmocka_unit_test(test_air_channels_read_their_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
