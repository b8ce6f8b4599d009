/* The controller library's scenarios, run as CI runs them: every check
 * passes and the KPI difference each one claims holds. Signal control:
 * max-pressure and gap-actuated lose less delay than fixed time on a
 * saturated grid. Pre-emption: the ambulance arrives sooner, never faster
 * than free flow allows. Fail-safe drill: a controller that errors, one
 * that loops for ever and one whose sensors die each leave their light on
 * its fixed-time plan within the set time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "city_control.h"
#include "city_road.h"
#include "city_scenario.h"
#include "test_support.h"

/* Loads a library scenario (seed 1, its own until_s). */
static CityScenario *load(const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/scenarios/%s", CITY_SOURCE_DIR, file);
    return city_test_scenario_load(path, 1);
}

static void run_to_end(CityScenario *sc)
{
    CityWorld *w = city_scenario_world(sc);
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end)
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    assert_int_equal(city_scenario_finish(sc), CITY_OK);
}

static double kpi(const CityWorld *w, const char *name)
{
    double v = 0;
    if (!city_world_kpi_get(w, name, &v))
        fail_msg("no KPI %s", name);
    return v;
}

static void test_signal_control(void **state)
{
    (void)state;
    CityScenario *sc = load("signal_control.lua");
    run_to_end(sc);
    CityWorld *w = city_scenario_world(sc);
    assert_true(city_world_checks_pass(w));
    const double fixed = kpi(w, "delay_fixed_s"), act = kpi(w, "delay_actuated_s"), mp = kpi(w, "delay_max_pressure_s");
    printf("mean delay: fixed %.1f s, gap-actuated %.1f s, max-pressure %.1f s\n", fixed, act, mp);
    assert_true(mp < fixed && act < fixed);
    /* the north-south approaches are loaded past the 31 s green's capacity: fixed time queues */
    assert_true(fixed > 60.0);
    assert_true(kpi(w, "control.failsafe_events") == 0.0);
    assert_true(kpi(w, "vehicles_waiting_to_insert") < 10.0); /* the demand reached the network */
    city_scenario_destroy(sc);
}

static void test_emergency_preemption(void **state)
{
    (void)state;
    CityScenario *sc = load("emergency.lua");
    run_to_end(sc);
    CityWorld *w = city_scenario_world(sc);
    assert_true(city_world_checks_pass(w));
    const double with = kpi(w, "ambulance_time_preempt_s"), without = kpi(w, "ambulance_time_plan_s");
    printf("ambulance travel time: %.1f s with pre-emption, %.1f s without\n", with, without);
    assert_true(with > 0 && with < without);
    /* 400 + 3 x 250 + 400 m of road at 1.3 x 13.89 m/s is 86 s at best */
    assert_true(with > 86.0);
    city_scenario_destroy(sc);
}

/* Keeps the controller lines of the event log. */
static void keep_controller_lines(void *user, double time_s, const char *kind, const char *message)
{
    (void)time_s;
    char *buf = user;
    if (strcmp(kind, "controller") == 0 && strlen(buf) + strlen(message) + 2 < 4096) {
        strcat(buf, message);
        strcat(buf, "\n");
    }
}

static void test_failsafe_drill(void **state)
{
    (void)state;
    CityScenario *sc = load("signal_failsafe.lua");
    CityWorld *w = city_scenario_world(sc);
    static char log[4096];
    log[0] = '\0';
    city_world_set_log_sink(w, keep_controller_lines, log);
    CityRoad *road = city_road_of(w);
    const CityRoadNet *net = city_road_net(road);
    int32_t changes[3] = {0, 0, 0}, prev[3] = {-1, -1, -1};
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end) {
        assert_int_equal(city_scenario_step(sc), CITY_OK);
        for (int32_t i = 0; i < 3; i++) {
            char id[16];
            snprintf(id, sizeof id, "X%d_1", (int)i + 1);
            const int32_t ph = city_road_tls_phase(road, city_road_net_find_tls(net, id));
            if (city_world_time_s(w) > 330 && prev[i] >= 0 && ph != prev[i])
                changes[i]++;
            prev[i] = ph;
        }
    }
    assert_int_equal(city_scenario_finish(sc), CITY_OK);
    assert_true(city_world_checks_pass(w));
    /* seen by the scenario's 0.5 s poll right after the failing step at 300 s */
    assert_true(kpi(w, "failsafe_at_error_s") == 300.5);
    assert_true(kpi(w, "failsafe_at_endless_loop_s") == 300.5);
    /* the last reading was measured at 299 s: stale after 20 s, seen within a tick */
    const double dead = kpi(w, "failsafe_at_dead_sensors_s");
    assert_true(dead >= 319.0 && dead <= 320.5);
    assert_true(kpi(w, "control.failsafe_events") == 3.0);
    /* the error names the file as the scenario did: the log is the same wherever the checkout is */
    assert_non_null(strstr(log, "errs stopped: error: controllers/faulty_signal.lua:"));
    assert_null(strstr(log, CITY_SOURCE_DIR));
    for (int i = 0; i < 3; i++) /* 90 s of the 68 s fixed-time cycle: at least two changes */
        assert_true(changes[i] >= 2);
    city_scenario_destroy(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_control),
        cmocka_unit_test(test_emergency_preemption),
        cmocka_unit_test(test_failsafe_drill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
