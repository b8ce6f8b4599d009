/* The energy and environment controller library's scenarios, run as CI
 * runs them: every check passes and the KPI difference each one claims
 * against its baseline (a twin in the same run) holds. Adaptive
 * streetlights save energy and are full on when someone was seen;
 * heat-wave demand response cuts the feeder peak; peak shaving with PV
 * self-consumption cuts the peak and the export; the fine-dust response
 * lowers the traffic dust along a sidewalk; the resilience drill
 * puts each actuator in its safe default within its set time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "city_scenario.h"
#include "test_support.h"

/* Runs a library scenario to its end (seed 1); checks must all pass. */
static CityScenario *run(const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/scenarios/%s", CITY_SOURCE_DIR, file);
    CityScenario *sc = city_test_scenario_load(path, 1);
    CityWorld *w = city_scenario_world(sc);
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end)
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    assert_int_equal(city_scenario_finish(sc), CITY_OK);
    if (!city_world_checks_pass(w))
        fail_msg("%s: a check failed (run it with citylab to see which)", file);
    return sc;
}

static double kpi(CityScenario *sc, const char *name)
{
    double v = 0;
    if (!city_world_kpi_get(city_scenario_world(sc), name, &v))
        fail_msg("no KPI %s", name);
    return v;
}

static void test_adaptive_streetlights(void **state)
{
    (void)state;
    CityScenario *sc = run("adaptive_streetlights.lua");
    const double always = kpi(sc, "lights_always_kwh"), adaptive = kpi(sc, "lights_adaptive_kwh");
    printf("streetlights: %.1f kWh always on, %.1f kWh adaptive\n", always, adaptive);
    /* 40 lamps of 150 W for 5 dark hours */
    assert_true(always > 29.9 && always < 30.1);
    /* never below the 30 % dim level, and a real saving */
    assert_true(adaptive >= 0.3 * always && adaptive < 0.8 * always);
    assert_true(kpi(sc, "control.failsafe_events") == 0);
    city_scenario_destroy(sc);
}

static void test_heatwave_dr(void **state)
{
    (void)state;
    CityScenario *sc = run("heatwave_dr.lua");
    const double base = kpi(sc, "peak_base_kw"), dr = kpi(sc, "peak_dr_kw");
    printf("heat-wave DR: feeder peak %.0f kW without, %.0f kW with; %.0f kWh pre-cooled, %.0f kWh curtailed\n", base,
           dr, kpi(sc, "precooled_kwh"), kpi(sc, "curtailed_kwh"));
    assert_true(dr < 0.95 * base);
    /* ten 60 kW offices at the plateau, +3 %/C over 24 C at the 35 C of the heat wave: about 800 kW */
    assert_true(base > 760 && base < 840);
    assert_true(kpi(sc, "precooled_kwh") > 0 && kpi(sc, "curtailed_kwh") > 0);
    city_scenario_destroy(sc);
}

static void test_pv_selfconsume(void **state)
{
    (void)state;
    CityScenario *sc = run("pv_selfconsume.lua");
    const double base = kpi(sc, "peak_base_kw"), ctl = kpi(sc, "peak_ctl_kw");
    printf("peak shaving + PV: peak %.0f kW without, %.0f kW with; PV self-use %.0f %% -> %.0f %%\n", base, ctl,
           kpi(sc, "pv_self_use_base_pct"), kpi(sc, "pv_self_use_ctl_pct"));
    assert_true(ctl < base - 50);
    /* the limit is 380 kW; one minute of meter lag lets the feeder pass it a little */
    assert_true(ctl < 380 * 1.03);
    assert_true(kpi(sc, "pv_export_ctl_kwh") < 0.5 * kpi(sc, "pv_export_base_kwh"));
    city_scenario_destroy(sc);
}

static void test_fine_dust_response(void **state)
{
    (void)state;
    CityScenario *sc = run("fine_dust_response.lua");
    const double base = kpi(sc, "walker_traffic_pm25_base_ug_m3"), resp = kpi(sc, "walker_traffic_pm25_response_ug_m3");
    printf("fine-dust response: sidewalk traffic PM2.5 %.2f ug/m3 without, %.2f with; %g trucks not driven\n", base,
           resp, kpi(sc, "trucks_not_driven"));
    assert_true(resp < 0.85 * base);
    /* 100 trucks/h each way from about 1400 s to 7200 s: some 320 trips not made */
    assert_true(kpi(sc, "trucks_not_driven") > 250 && kpi(sc, "trucks_not_driven") < 400);
    city_scenario_destroy(sc);
}

static void test_resilience(void **state)
{
    (void)state;
    CityScenario *sc = run("resilience.lua");
    const double bat = kpi(sc, "failsafe_bat_s"), lamps = kpi(sc, "failsafe_lamps_s");
    printf("resilience: battery idle at %.0f s, lamps full on at %.0f s\n", bat, lamps);
    /* the meter's last reading was measured at 3540 s: stale 300 s later, acted on within a tick */
    assert_true(bat >= 3840 && bat <= 3842);
    /* the cameras' last readings at 10795 s: stale 60 s later, polled each second */
    assert_true(lamps >= 10855 && lamps <= 10857);
    assert_true(kpi(sc, "control.failsafe_events") == 2);
    city_scenario_destroy(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adaptive_streetlights),
        cmocka_unit_test(test_heatwave_dr),
        cmocka_unit_test(test_pv_selfconsume),
        cmocka_unit_test(test_fine_dust_response),
        cmocka_unit_test(test_resilience),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
