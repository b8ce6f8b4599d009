/* EVs on the road (sim/road/road_ev.c): the battery energy model and the
 * fleet behind the default car.
 *  - the model against figures worked out by hand from its physics (a
 *    Kona-like car at a steady 50 km/h; the kinetic energy of a start, put
 *    in and got back through the drive train's efficiencies), whatever the
 *    step length;
 *  - classes: at one speed a bus uses more than a truck, a truck more than
 *    a car, a car more than a scooter;
 *  - on a road: a lone EV on 5 km of free road spends what the model says
 *    for its start, the distance and the time; EVs' books balance (what
 *    they set off with less what they used is in the batteries that left
 *    or still drive); a mix of 25 % makes a binomial share of the trips and
 *    leaves the traffic as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "city_road.h"
#include "city_scenario.h"
#include "test_support.h"

static CityVTypeDef car(void)
{
    CityVTypeDef d;
    city_vtype_defaults(&d, CITY_VC_PASSENGER);
    d.ev = true;
    return d;
}

/* 50 km/h on the level: rolling 1760 kg x 9.81 x 0.009 = 155.39 N, air
 * 0.6 x 0.29 x 2.3 x 13.889^2 = 77.21 N; 232.60 N over 1 km through 0.85 is
 * 273.65 kJ = 0.07601 kWh, and 72 s of 0.5 kW auxiliaries 0.01 kWh. */
static void test_steady_speed(void **state)
{
    (void)state;
    CityVTypeDef d = car();
    const double v = 50.0 / 3.6, t = 1000.0 / v;
    double kwh = city_vtype_ev_step_kwh(&d, v, v, 1000.0, t);
    assert_true(fabs(kwh - 0.08601) < 0.00005);
    /* the instantaneous power says the same at a steady speed */
    assert_true(fabs(city_vtype_ev_power_kw(&d, v, 0.0) * t / 3600.0 - kwh) < 1e-12);
    /* standing: only the auxiliaries */
    assert_true(fabs(city_vtype_ev_power_kw(&d, 0.0, 0.0) - 0.5) < 1e-12);
    assert_true(fabs(city_vtype_ev_step_kwh(&d, 0.0, 0.0, 0.0, 3600.0) - 0.5) < 1e-12);
}

/* A start to 20 m/s puts 1/2 x 1.05 x 1760 kg x 400 = 369.6 kJ in motion:
 * 434.8 kJ from the battery through 0.85, in one step or in forty; braking
 * back to a stop returns 0.65 of it. */
static void test_start_and_stop(void **state)
{
    (void)state;
    CityVTypeDef d = car();
    d.roll_coeff = d.drag_coeff = d.aux_kw = 0.0; /* inertia alone */
    const double ke_j = 0.5 * 1.05 * 1760.0 * 400.0;
    for (int steps = 1; steps <= 40; steps *= 40) {
        double up = 0.0, down = 0.0;
        for (int i = 0; i < steps; i++) {
            double v0 = 20.0 * i / steps, v1 = 20.0 * (i + 1) / steps;
            up += city_vtype_ev_step_kwh(&d, v0, v1, 0.5 * (v0 + v1), 1.0);
            down += city_vtype_ev_step_kwh(&d, v1, v0, 0.5 * (v0 + v1), 1.0);
        }
        assert_true(fabs(up * 3.6e6 - ke_j / 0.85) < 1e-6);
        assert_true(fabs(down * 3.6e6 + ke_j * 0.65) < 1e-6);
    }
}

static double cruise_kwh_per_km(uint32_t vclass)
{
    CityVTypeDef d;
    city_vtype_defaults(&d, vclass);
    const double v = 50.0 / 3.6;
    return city_vtype_ev_step_kwh(&d, v, v, 1000.0, 1000.0 / v);
}

static void test_classes(void **state)
{
    (void)state;
    double bus = cruise_kwh_per_km(CITY_VC_BUS), truck = cruise_kwh_per_km(CITY_VC_TRUCK);
    double pass = cruise_kwh_per_km(CITY_VC_PASSENGER), moto = cruise_kwh_per_km(CITY_VC_MOTORCYCLE);
    assert_true(bus > 4 * pass && truck > pass && pass > 3 * moto && moto > 0);
    CityVTypeDef d;
    city_vtype_defaults(&d, CITY_VC_BUS);
    assert_true(d.battery_kwh > 200 && d.mass_kg > 10000);
}

/* Runs an inline scenario to its end at seed 1 and returns the road's
 * stats and (optional) the energy in the batteries still on the road. */
static CityRoadStats run_stats_driving(const char *source, double *driving_kwh)
{
    CityScenarioOptions o = {0};
    o.source = source;
    o.source_name = "road_ev";
    o.seed = 1;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err;
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    CityWorld *w = city_scenario_world(sc);
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end)
        if (city_scenario_step(sc) != CITY_OK)
            fail_msg("%s", city_world_error(w));
    if (city_scenario_finish(sc) != CITY_OK)
        fail_msg("%s", city_world_error(w));
    if (!city_world_checks_pass(w))
        fail_msg("a check failed");
    CityRoadStats s;
    const CityRoad *road = city_road_of(w);
    city_road_stats(road, &s);
    if (driving_kwh) {
        *driving_kwh = 0.0;
        for (size_t i = 0; i < city_road_vehicle_count(road); i++) {
            CityVehicleView vv;
            city_road_vehicle_at(road, i, &vv);
            *driving_kwh += vv.energy_kwh;
        }
    }
    city_scenario_destroy(sc);
    return s;
}

static CityRoadStats run_stats(const char *source)
{
    return run_stats_driving(source, NULL);
}

#define ROAD_5KM                                                                                                       \
    "city.road.build{ nodes = { {id = 'a', x = 0, y = 0}, {id = 'b', x = 5000, y = 0} },\n"                            \
    "                 edges = { {id = 'ab', from = 'a', to = 'b', lanes = 1, speed = 13.89} } }\n"

static void test_lone_ev_on_a_free_road(void **state)
{
    (void)state;
    CityRoadStats s = run_stats("city.config{ dt_ms = 1000, until_s = 900 }\n" ROAD_5KM
                                "city.road.vtype{ id = 'ev', ev = true, speed_dev = 0, soc_min = 0.5, soc_max = 0.5 }\n"
                                "city.road.trip{ id = 'one', type = 'ev', from = 'ab', to = 'ab', depart = 0 }\n");
    assert_int_equal(s.ev_inserted, 1);
    assert_int_equal(s.arrived, 1);
    assert_true(fabs(s.ev_start_kwh - 32.0) < 1e-12);
    assert_true(s.ev_dist_m > 4900 && s.ev_dist_m <= 5000);
    /* the start to 13.89 m/s, the resistances over the distance at that
     * speed and the auxiliaries over the trip's time */
    double ke_j = 0.5 * 1.05 * 1760.0 * 13.89 * 13.89;
    double f_n = 1760.0 * 9.81 * 0.009 + 0.6 * 0.29 * 2.3 * 13.89 * 13.89;
    double want = ((ke_j + f_n * s.ev_dist_m) / 0.85 + 500.0 * s.sum_travel_time_s) / 3.6e6;
    if (fabs(s.ev_used_kwh - want) > 0.02 * want)
        fail_msg("the EV used %.4f kWh, the model's figure is %.4f kWh", s.ev_used_kwh, want);
    assert_true(fabs(s.ev_start_kwh - s.ev_used_kwh - s.ev_left_kwh) < 1e-12);
}

#define MIX_FLOW(share)                                                                                                \
    "city.config{ dt_ms = 1000, until_s = 1300 }\n" ROAD_5KM                                                           \
    "city.road.vtype{ id = 'ev', ev = true, soc_min = 0.2, soc_max = 0.4 }\n"                                          \
    "city.road.default_mix{ { type = 'ev', share = " share " } }\n"                                                    \
    "city.road.flow{ id = 'f', from = 'ab', to = 'ab', number = 400, begin = 0, ['end'] = 1200 }\n"

static void test_mix_share_and_books(void **state)
{
    (void)state;
    double driving = 0.0;
    CityRoadStats mixed = run_stats_driving(MIX_FLOW("0.25"), &driving), plain = run_stats(MIX_FLOW("0"));
    /* 400 trips at 0.25: 100 EVs, binomial sd 8.7 */
    if (fabs((double)mixed.ev_inserted - 100.0) > 26.0)
        fail_msg("%llu EVs of 400 trips at a share of 0.25", (unsigned long long)mixed.ev_inserted);
    assert_int_equal(plain.ev_inserted, 0);
    /* EVs drive as the cars they replace: the traffic is the same */
    assert_int_equal(mixed.inserted, plain.inserted);
    assert_int_equal(mixed.arrived, plain.arrived);
    assert_true(mixed.sum_travel_time_s == plain.sum_travel_time_s);
    /* they set off with 20-40 % of 64 kWh; the books balance with vehicles still on the road */
    double mean = mixed.ev_start_kwh / (double)mixed.ev_inserted;
    assert_true(mean > 12.8 && mean < 25.6);
    assert_true(mixed.running > 0 && mixed.ev_used_kwh > 0);
    assert_true(driving > 0);
    assert_true(fabs(mixed.ev_start_kwh - mixed.ev_used_kwh - mixed.ev_left_kwh - driving) < 1e-9 * mixed.ev_start_kwh);
}

static void test_bad_ev_type(void **state)
{
    (void)state;
    CityScenarioOptions o = {0};
    o.source = "city.config{ until_s = 10 }\n" ROAD_5KM "city.road.vtype{ id = 'ev', ev = true, drive_eff = 0 }\n";
    o.source_name = "bad_ev";
    o.seed = 1;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err;
    assert_int_not_equal(city_scenario_load(&o, &sc, &err), CITY_OK);
    assert_non_null(strstr(err.msg, "drive efficiency"));
    o.source = "city.config{ until_s = 10 }\n" ROAD_5KM "city.road.vtype{ id = 'ev', ev = true }\n"
               "city.road.default_mix{ { type = 'ev', share = 1.5 } }\n";
    assert_int_not_equal(city_scenario_load(&o, &sc, &err), CITY_OK);
    assert_non_null(strstr(err.msg, "share"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_speed),
        cmocka_unit_test(test_start_and_stop),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_lone_ev_on_a_free_road),
        cmocka_unit_test(test_mix_share_and_books),
        cmocka_unit_test(test_bad_ev_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
