/* The architecture's contracts: CITY_ASSERT stops a broken invariant, the
 * tick length has one valid range everywhere, couplings attach once and
 * only between domains that exist, and the road's published arrivals add
 * up to its trips. (The layer rules themselves are checked by the build:
 * tests/layers, ctest -L layers.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "city_couple.h"
#include "city_road.h"
#include "city_scenario.h"
#include "city_world.h"
#include "test_support.h"

static void test_assert_stops_the_run(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        volatile int two = 2;
        CITY_ASSERT(two + two == 5);
        _exit(0); /* not reached */
    }
    close(fds[1]);
    char buf[1024] = "";
    size_t n = 0;
    ssize_t k;
    while (n + 1 < sizeof buf && (k = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(buf, "assertion 'two + two == 5' failed"));
    assert_non_null(strstr(buf, "test_arch.c:"));
}

static CityScenario *load_inline(const char *text, char *err, size_t len)
{
    CityScenarioOptions o = {0};
    o.source = text;
    o.source_name = "arch";
    o.seed = 1;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError e;
    city_scenario_load(&o, &sc, &e);
    snprintf(err, len, "%s", e.msg);
    return sc;
}

/* One range, CITY_DT_MS_MIN..CITY_DT_MS_MAX, in the world, the scenario
 * runtime and the command line alike. */
static void test_dt_range_everywhere(void **state)
{
    (void)state;
    assert_int_equal(CITY_DT_MS_MIN, 1);
    assert_int_equal(CITY_DT_MS_MAX, 3600000);
    assert_false(city_dt_ms_valid(0));
    assert_true(city_dt_ms_valid(1));
    assert_true(city_dt_ms_valid(3600000));
    assert_false(city_dt_ms_valid(3600001));

    CityWorldConfig bad = {1, CITY_DT_MS_MAX + 1}, good = {1, CITY_DT_MS_MAX};
    assert_null(city_world_create(&bad));
    CityWorld *w = city_world_create(&good);
    assert_non_null(w);
    assert_int_equal(city_world_set_dt_ms(w, CITY_DT_MS_MAX + 1), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(w), "use 1 to 3600000 ms"));
    assert_int_equal(city_world_set_dt_ms(w, CITY_DT_MS_MIN), CITY_OK);
    assert_int_equal(city_world_dt_ms(w), 1);
    city_world_destroy(w);

    char err[2048];
    CityScenario *sc = load_inline("city.config{ dt_ms = 3600001 }", err, sizeof err);
    assert_null(sc);
    assert_non_null(strstr(err, "use 1 to 3600000"));
    sc = load_inline("city.config{ dt_ms = 3600000 }", err, sizeof err);
    assert_non_null(sc);
    assert_int_equal(city_world_dt_ms(city_scenario_world(sc)), 3600000);
    city_scenario_destroy(sc);

    const char *args[] = {"run", "--dt", "3600001", "--quiet", NULL};
    CityTestRun r = city_test_run(args, 30);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "milliseconds from 1 to 3600000"));
    city_test_run_free(&r);
}

static const char road_only[] = "city.road.grid{ nx = 2, ny = 2, spacing = 200 }\n";
static const char road_and_grid[] = "city.road.grid{ nx = 2, ny = 2, spacing = 200 }\n"
                                    "city.grid.bus{ id = 1, type = 'slack', kv = 22.9 }\n";

/* A coupling joins only the domains that exist, and only once. */
static void test_couplings_attach_once(void **state)
{
    (void)state;
    char err[2048];
    CityScenario *sc = load_inline(road_only, err, sizeof err);
    assert_non_null(sc);
    CityWorld *w = city_scenario_world(sc);
    assert_null(city_world_subsystem(w, "ev_charging"));
    uint64_t h = city_world_hash(w);
    assert_int_equal(city_couple_attach_all(w), CITY_OK);
    assert_true(city_world_hash(w) == h);
    city_scenario_destroy(sc);

    sc = load_inline(road_and_grid, err, sizeof err);
    assert_non_null(sc);
    w = city_scenario_world(sc);
    assert_non_null(city_world_subsystem(w, "ev_charging"));
    h = city_world_hash(w);
    assert_int_equal(city_couple_attach_all(w), CITY_OK);
    assert_true(city_world_hash(w) == h);
    city_scenario_destroy(sc);
}

typedef struct ArrivalProbe {
    uint64_t seen;     /* arrivals read */
    uint64_t electric; /* of which with a battery */
    uint64_t bad;      /* arrivals whose fields break their contract */
} ArrivalProbe;

/* A stand-in coupling: reads the road's arrivals in COMMIT. */
static CityStatus probe_step(CityWorld *w, void *self, int64_t tick)
{
    ArrivalProbe *p = self;
    size_t n;
    const CityRoadArrival *a = city_road_arrivals(city_road_of(w), &n);
    const CityRoadNet *net = city_road_net(city_road_of(w));
    const double end_s = (double)(tick + 1) * city_world_dt_ms(w) / 1000.0;
    for (size_t i = 0; i < n; i++) {
        p->seen++;
        if (a[i].battery_kwh > 0)
            p->electric++;
        if (!a[i].name || a[i].energy_kwh > a[i].battery_kwh || a[i].energy_kwh < 0 || a[i].time_s > end_s + 1e-9 ||
            a[i].time_s < end_s - 1e-9 - city_world_dt_ms(w) / 1000.0 || a[i].lane < 0 || a[i].lane >= net->n_lanes ||
            a[i].pos_m < 0)
            p->bad++;
        /* where it stopped: on its lane's line, as the lane's own point at that distance */
        CityPoint xy = city_road_arrival_xy(city_road_of(w), &a[i]), want;
        city_road_lane_point(net, a[i].lane, a[i].pos_m, &want, NULL);
        if (xy.x != want.x || xy.y != want.y)
            p->bad++;
    }
    return CITY_OK;
}

/* Every trip that ends is published once, in the tick it ends (and gone
 * when the clock moves on), with a battery no fuller than its capacity:
 * the arrivals add up to the road's completed trips. */
static void test_arrivals_add_up(void **state)
{
    (void)state;
    char err[2048];
    CityScenario *sc = load_inline(
        "city.config{ until_s = 900 }\n"
        "city.road.grid{ nx = 3, ny = 3, spacing = 300 }\n"
        "city.road.vtype{ id = 'ev', ev = true, battery_kwh = 40.0 }\n"
        "city.road.flow{ id = 'a', from = 'A0B0', to = 'B2C2', begin = 0, ['end'] = 600, period = 20 }\n"
        "city.road.flow{ id = 'b', type = 'ev', from = 'C2C1', to = 'A1A0', begin = 0, ['end'] = 600, period = 30 }\n",
        err, sizeof err);
    if (!sc)
        fail_msg("%s", err);
    CityWorld *w = city_scenario_world(sc);
    ArrivalProbe *probe = calloc(1, sizeof *probe);
    CitySubsystemDef def = {"arrival_probe", CITY_PHASE_COMMIT, 1, 0, probe_step, NULL, free, NULL, NULL, NULL};
    assert_int_equal(city_world_add_subsystem(w, &def, probe), CITY_OK);
    while (city_world_tick(w) < city_scenario_end_tick(sc)) {
        assert_int_equal(city_scenario_step(sc), CITY_OK);
        size_t n;
        city_road_arrivals(city_road_of(w), &n);
        assert_int_equal(n, 0);
    }
    assert_int_equal(city_scenario_finish(sc), CITY_OK);
    double trips = -1;
    assert_true(city_world_kpi_get(w, "trips_completed", &trips));
    assert_true(trips > 30);
    assert_true((double)probe->seen == trips);
    assert_true(probe->electric > 5 && probe->electric < probe->seen);
    assert_int_equal(probe->bad, 0);
    city_scenario_destroy(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assert_stops_the_run),
        cmocka_unit_test(test_dt_range_everywhere),
        cmocka_unit_test(test_couplings_attach_once),
        cmocka_unit_test(test_arrivals_add_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
