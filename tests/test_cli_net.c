/* `citylab run --net FILE.net.xml --routes A.rou.xml,B.rou.xml`: the city is
 * built in C from the SUMO files, and it is the same city, byte for byte, as
 * the scenario that loads the same files with city.road.load_sumo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static const char routes_a[] =
    "<routes>\n"
    "  <vType id=\"car\" accel=\"2.6\" decel=\"4.5\" length=\"5\" maxSpeed=\"14\"/>\n"
    "  <flow id=\"f1\" type=\"car\" from=\"A0B0\" to=\"B2C2\" begin=\"0\" end=\"900\" period=\"7\"/>\n"
    "  <flow id=\"f2\" type=\"car\" from=\"C2C1\" to=\"A1A0\" begin=\"0\" end=\"900\" period=\"11\"/>\n"
    "  <trip id=\"t1\" type=\"car\" from=\"B0B1\" to=\"C1C2\" depart=\"5\"/>\n"
    "</routes>\n";
static const char routes_b[] =
    "<routes>\n"
    "  <vType id=\"van\" accel=\"2.0\" decel=\"4.0\" length=\"7\" maxSpeed=\"12\"/>\n"
    "  <flow id=\"g1\" type=\"van\" from=\"A2B2\" to=\"C0B0\" begin=\"60\" end=\"600\" period=\"13\"/>\n"
    "</routes>\n";

/* The "state_hash XXXXXXXXXXXXXXXX" line of a run's stdout. */
static void hash_line(const CityTestRun *r, char *out, size_t len)
{
    const char *h = strstr(r->out, "state_hash ");
    if (!h)
        fail_msg("no state_hash in: %s\n%s", r->out, r->err);
    snprintf(out, len, "%.27s", h);
}

static double kpi_of(const char *dir, const char *name)
{
    char path[4200], key[200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *s = city_test_read_file(path, NULL);
    assert_non_null(s);
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *at = strstr(s, key);
    if (!at)
        fail_msg("KPI %s missing from %s", name, path);
    double v = strtod(at + strlen(key), NULL);
    free(s);
    return v;
}

static void test_net_is_the_scenario_city(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("cli_net");
    char net[4200], ra[4200], rb[4200], routes[8500], lua[4200], out_net[4300], out_lua[4300];
    snprintf(net, sizeof net, "%s/grid3.net.xml", dir);
    snprintf(ra, sizeof ra, "%s/a.rou.xml", dir);
    snprintf(rb, sizeof rb, "%s/b.rou.xml", dir);
    snprintf(lua, sizeof lua, "%s/grid3.lua", dir);
    snprintf(routes, sizeof routes, "%s,%s", ra, rb);
    snprintf(out_net, sizeof out_net, "%s/out_net", dir);
    snprintf(out_lua, sizeof out_lua, "%s/out_lua", dir);
    city_test_copy_file(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", net);
    assert_true(city_test_write_file(ra, routes_a));
    assert_true(city_test_write_file(rb, routes_b));
    assert_true(city_test_write_file(
        lua, "city.road.load_sumo{ net = 'grid3.net.xml', routes = { 'a.rou.xml', 'b.rou.xml' } }\n"));

    /* long enough for every trip to end: a --net run checks demand_served */
    const char *by_net[] = {"run",  "--net",   net,     "--routes", routes, "--until",
                            "1500", "--quiet", "--out", out_net,    NULL};
    const char *by_lua[] = {"run", lua, "--until", "1500", "--quiet", "--out", out_lua, NULL};
    CityTestRun a = city_test_run(by_net, 60), b = city_test_run(by_lua, 60);
    if (a.exit_code != 0 || b.exit_code != 0)
        fail_msg("--net: exit %d %s\nscenario: exit %d %s", a.exit_code, a.err, b.exit_code, b.err);
    char ha[40], hb[40];
    hash_line(&a, ha, sizeof ha);
    hash_line(&b, hb, sizeof hb);
    assert_string_equal(ha, hb);
    assert_non_null(strstr(a.out, "scenario   grid3 "));
    assert_non_null(strstr(a.out, "check      ok   no_gridlock: 0 teleports"));
    assert_non_null(strstr(a.out, "check      ok   demand_served: 254 of 254 trips completed"));
    city_test_run_free(&a);
    city_test_run_free(&b);

    /* Both demand files were read: 129 + 82 from the flows, one trip, 42 vans. */
    double inserted = kpi_of(out_net, "vehicles_inserted"), done = kpi_of(out_net, "trips_completed");
    double running = kpi_of(out_net, "vehicles_running"), aborted = kpi_of(out_net, "trips_aborted");
    double waiting = kpi_of(out_net, "vehicles_waiting_to_insert");
    assert_true(inserted + waiting == 129.0 + 82.0 + 1.0 + 42.0);
    assert_true(inserted == done + running + aborted);
    assert_true(done == kpi_of(out_lua, "trips_completed"));
}

/* A missing network or demand file: one line naming it, exit 2, no outputs. */
static void test_net_missing_files(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("cli_net_missing");
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *no_net[] = {"run", "--net", "/nonexistent/x.net.xml", "--quiet", "--out", out, NULL};
    CityTestRun r = city_test_run(no_net, 30);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "/nonexistent/x.net.xml"));
    assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
    city_test_run_free(&r);
    const char *no_routes[] = {"run",
                               "--net",
                               CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml",
                               "--routes",
                               "/nonexistent/y.rou.xml",
                               "--quiet",
                               "--out",
                               out,
                               NULL};
    r = city_test_run(no_routes, 30);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "/nonexistent/y.rou.xml"));
    assert_false(city_test_exists(out));
    city_test_run_free(&r);
}

/* A run that teleports vehicles, or ends with trips unfinished, fails its
 * checks (exit 1) and says so on stderr. The Olympic Park district and one
 * vehicle a second, more than its streets carry: at 1 s steps SUMO 1.15
 * teleports 227 vehicles there and completes 1,507 of 1,619 trips
 * (tests/data/road/real/sumo.csv), citylab 11 and all 1,633; at 0.1 s steps
 * SUMO 30 and citylab 15. Never teleporting, vehicles stand for minutes in
 * citylab's jams at 0.1 s: each is warned of once, and the run fails. (The
 * jams clear within the hour since a vehicle behind a leader slows for its
 * own turn: 1,632 of 1,633 trips done, one aborted. Before, they lasted to
 * the end: 691 done, 728 standing.) */
/* The vehicles the gridlock warnings of run folder `out` name (events.csv:
 * "vehicle NAME has stood N s on lane L (gridlock?)"), each counted once;
 * fails on a vehicle warned of twice. */
static int distinct_gridlock_warnings(const char *out)
{
    char *ev = city_test_read_in(out, "events.csv");
    assert_non_null(ev);
    static char names[4096][32];
    int n = 0;
    for (char *line = strtok(ev, "\n"); line; line = strtok(NULL, "\n")) {
        const char *w = strstr(line, ",warning,vehicle ");
        if (!w || !strstr(line, "(gridlock?)"))
            continue;
        char name[32];
        assert_int_equal(sscanf(w, ",warning,vehicle %31s has stood", name), 1);
        for (int i = 0; i < n; i++)
            if (strcmp(names[i], name) == 0)
                fail_msg("vehicle %s warned of twice", name);
        assert_true(n < 4096);
        strcpy(names[n++], name);
    }
    free(ev);
    return n;
}

static void test_net_checks_fail(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("cli_net_checks");
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *real = CITY_SOURCE_DIR "/tests/data/road/real";
    char net[4200], rou[4200];
    snprintf(net, sizeof net, "%s/east.net.xml", real);
    snprintf(rou, sizeof rou, "%s/east-p1.rou.xml", real);
    const char *jam[] = {"run",     "--net", net,       "--routes", rou, "--dt", "1000",
                         "--until", "3600",  "--quiet", "--out",    out, NULL};
    CityTestRun r = city_test_run(jam, 120);
    assert_int_equal(r.exit_code, 1);
    const char *tp = strstr(r.out, "check      FAIL no_gridlock: ");
    const char *said = strstr(r.err, "citylab: ");
    assert_non_null(tp);
    assert_non_null(said);
    int teleported = 0, reported = 0;
    assert_int_equal(sscanf(tp, "check      FAIL no_gridlock: %d teleports", &teleported), 1);
    assert_int_equal(sscanf(said, "citylab: %d vehicles teleported", &reported), 1);
    assert_true(teleported >= 1);
    assert_int_equal(reported, teleported);
    city_test_run_free(&r);
    /* never teleporting: vehicles that stand long are warned of, not moved on */
    const char *never[] = {"run",  "--net",   net,       "--routes", rou,
                           "--dt", "100",     "--until", "3600",     "--time-to-teleport",
                           "0",    "--quiet", "--out",   out,        NULL};
    r = city_test_run(never, 120);
    assert_int_equal(r.exit_code, 1);
    /* each vehicle that stood long warned of once, every trip accounted for
     * (whether or not the jams dissolve by the end) */
    const char *g = strstr(r.out, "check      FAIL no_gridlock: 0 teleports, ");
    const char *d = strstr(r.out, " demand_served: ");
    assert_non_null(g);
    assert_non_null(d);
    int warned = 0, done = 0, inserted = 0, running = 0, waiting = 0, aborted = 0;
    assert_int_equal(sscanf(g, "check      FAIL no_gridlock: 0 teleports, %d gridlock warnings", &warned), 1);
    assert_int_equal(sscanf(d,
                            " demand_served: %d of %d trips completed, %d still running, %d waiting to enter, %d "
                            "aborted",
                            &done, &inserted, &running, &waiting, &aborted),
                     5);
    assert_true(warned > 0);
    assert_int_equal(done + running + aborted, inserted);
    assert_int_equal(distinct_gridlock_warnings(out), warned);
    city_test_run_free(&r);
    const char *early[] = {"run", "--net", net, "--routes", rou, "--until", "600", "--quiet", "--out", out, NULL};
    r = city_test_run(early, 120);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.out, "check      FAIL demand_served: "));
    assert_non_null(strstr(r.out, "still running"));
    city_test_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_is_the_scenario_city),
        cmocka_unit_test(test_net_missing_files),
        cmocka_unit_test(test_net_checks_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
