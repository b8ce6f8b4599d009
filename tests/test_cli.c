/* The citylab binary: exit codes, error lines, output folders and
 * byte-for-byte determinism of a whole run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static char *write_scenario(const char *dir, const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s.lua", dir, name);
    assert_true(city_test_write_file(path, text));
    return path;
}

/* Each hostile scenario must end with exit 2, a message naming the cause,
 * and leave no output folder (not even a partial one). (How fast is for
 * benchmarks: a loaded machine or a sanitizer build must not fail this.) */
static void test_hostile_scenarios_exit_2(void **state)
{
    (void)state;
    static const struct {
        const char *name, *text, *needle;
    } cases[] = {
        {"os_execute", "os.execute('touch /tmp/citylab-cli-pwned')", "global 'os'"},
        {"io_open", "io.open('/etc/passwd')", "global 'io'"},
        {"binary_load", "assert(load(string.char(27) .. 'LuaT', 'x', 'b'))", "binary chunks are not allowed"},
        {"require_outside", "require('..secret')", "paths are not allowed"},
        {"endless_loop", "while true do end", "Lua instructions"},
        {"memory_bomb", "local t = {} while true do t[#t + 1] = string.rep('x', 1 << 20) .. #t end",
         "memory reached the limit"},
        {"loop_in_callback", "city.every(1, function() while true do end end)", "Lua instructions"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = city_test_scratch(cases[i].name);
        char *scenario = write_scenario(dir, cases[i].name, cases[i].text);
        char out[4300];
        snprintf(out, sizeof out, "%s/out", dir);
        const char *args[] = {"run",      scenario, "--out", out, "--lua-mem-mb", "64", "--lua-instructions",
                              "20000000", NULL};
        CityTestRun r = city_test_run(args, 60);
        if (r.exit_code != 2 || !strstr(r.err, cases[i].needle))
            fail_msg("%s: exit %d, stderr: %s", cases[i].name, r.exit_code, r.err);
        assert_non_null(strstr(r.err, "citylab: error: "));
        assert_false(city_test_exists(out));
        assert_int_equal(city_test_count_entries(dir), 1); /* only the scenario: no partial folder */
        city_test_run_free(&r);
    }
    assert_false(city_test_exists("/tmp/citylab-cli-pwned"));
}

static void test_failing_check_exits_1(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("failing_check");
    char *scenario = write_scenario(dir, "failing",
                                    "city.config{ until_s = 5 }\n"
                                    "city.check('fine', function() return true end)\n"
                                    "city.check('queue_short', function() return false, 'queue 42 > 10' end)\n");
    char out[4300], summary[4400];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(summary, sizeof summary, "%s/summary.json", out);
    const char *args[] = {"run", scenario, "--out", out, NULL};
    CityTestRun r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.out, "FAIL queue_short: queue 42 > 10"));
    char *json = city_test_read_file(summary, NULL);
    assert_non_null(json);
    assert_non_null(strstr(
        json, "{\"name\": \"queue_short\", \"pass\": false, \"status\": \"fail\", \"message\": \"queue 42 > 10\"}"));
    assert_non_null(strstr(json, "{\"name\": \"fine\", \"pass\": true"));
    assert_non_null(strstr(json, "\"checks_passed\": false"));
    assert_non_null(strstr(json, "\"sim_time_s\": 5,"));
    free(json);
    city_test_run_free(&r);
}

/* summary.json without its wall-clock line. */
static char *summary_without_wall(const char *dir)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *s = city_test_read_file(path, NULL);
    assert_non_null(s);
    char *w = strstr(s, "  \"wall_time_s\"");
    assert_non_null(w);
    char *eol = strchr(w, '\n');
    memmove(w, eol + 1, strlen(eol + 1) + 1);
    return s;
}

static char *file_in(const char *dir, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = city_test_read_file(path, NULL);
    if (!s)
        fail_msg("missing output %s", path);
    return s;
}

static void run_default(const char *out, const char *seed)
{
    /* the day's first half hour: cars, grid, sensors, air, controllers */
    const char *args[] = {
        "run", CITY_SOURCE_DIR "/scenarios/default.lua", "--seed", seed, "--until", "1800", "--out", out, "--quiet",
        NULL};
    CityTestRun r = city_test_run(args, 600);
    if (r.exit_code != 0)
        fail_msg("default scenario exit %d: %s", r.exit_code, r.err);
    city_test_run_free(&r);
}

/* The README's example cuts the day short: the checks whose windows lie
 * later are reported as not reached, not failed, and the run exits 0. */
static void test_short_run_is_not_a_failure(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("short_run");
    char out[4300], summary[4400];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(summary, sizeof summary, "%s/summary.json", out);
    const char *args[] = {
        "run", CITY_SOURCE_DIR "/scenarios/default.lua", "--seed", "7", "--until", "600", "--dt", "100", "--out", out,
        NULL};
    CityTestRun r = city_test_run(args, 120);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(
        strstr(r.out, "--   demand_served: not reached: the run ended at 600.0 s, its window needs 86400.0 s"));
    assert_non_null(strstr(r.out, "--   morning_peak_flows_like_sumo: not reached"));
    assert_non_null(strstr(r.out, "ok   no_gridlock"));
    assert_non_null(strstr(r.out, "ok   energy_balance"));
    assert_null(strstr(r.out, "FAIL"));
    char *json = city_test_read_file(summary, NULL);
    assert_non_null(json);
    assert_non_null(strstr(json, "{\"name\": \"demand_served\", \"pass\": null, \"status\": \"not reached\""));
    assert_non_null(strstr(json, "\"checks_passed\": true"));
    /* the loop's CPU time (what the road benchmark divides by) sits on the wall-clock line */
    const char *cpu = strstr(json, ", \"loop_cpu_s\": ");
    assert_non_null(cpu);
    assert_ptr_equal(strchr(strstr(json, "\"wall_time_s\""), '\n'), strchr(cpu, '\n'));
    assert_true(strtod(cpu + strlen(", \"loop_cpu_s\": "), NULL) > 0.0);
    /* so does the loop's wall time (what the SUMO comparison divides by): a
     * part of the run's wall time less loading */
    const char *wall = strstr(json, ", \"loop_wall_time_s\": ");
    assert_non_null(wall);
    assert_ptr_equal(strchr(strstr(json, "\"wall_time_s\""), '\n'), strchr(wall, '\n'));
    double loop_wall = strtod(wall + strlen(", \"loop_wall_time_s\": "), NULL);
    double run_wall = strtod(strstr(json, "\"wall_time_s\": ") + strlen("\"wall_time_s\": "), NULL);
    double load_wall = strtod(strstr(json, "\"load_wall_time_s\": ") + strlen("\"load_wall_time_s\": "), NULL);
    assert_true(loop_wall > 0.0 && loop_wall <= run_wall - load_wall);
    free(json);
    /* the printed account adds up: load + simulation + end = wall, no part
     * below zero, and the share lines sum to the wall time (each printed to
     * 0.01 s) */
    const char *line = strstr(r.out, "\nwall       ");
    assert_non_null(line);
    double t_wall, t_load, t_sim, t_end;
    assert_int_equal(sscanf(line, "\nwall %lf s (scenario load %lf s, simulation %lf s, end and outputs %lf s)",
                            &t_wall, &t_load, &t_sim, &t_end),
                     4);
    assert_true(t_load >= 0.0 && t_sim > 0.0 && t_end >= 0.0);
    assert_true(fabs(t_load + t_sim + t_end - t_wall) <= 0.0151);
    double shares = 0.0;
    int n_shares = 0;
    for (const char *q = strstr(r.out, "\nshare "); q; q = strstr(q + 1, "\nshare ")) {
        const char *sec = strstr(q, " %");
        assert_non_null(sec);
        double s;
        assert_int_equal(sscanf(sec, " %% %lf s", &s), 1);
        assert_true(s >= 0.0);
        shares += s;
        n_shares++;
    }
    assert_true(n_shares >= 3);
    assert_true(fabs(shares - t_wall) <= 0.0051 * n_shares + 0.0051);
    city_test_run_free(&r);
}

/* Every example scenario, cut short at 120 s as a user trying one does:
 * its checks about the whole scenario (who arrived, what the controller
 * achieved by the end) are not reached, never failed, and it exits 0. (12
 * of them failed this way, with exit 1, before their checks said so.) */
static void test_every_scenario_cut_short(void **state)
{
    (void)state;
    DIR *d = opendir(CITY_SOURCE_DIR "/scenarios");
    assert_non_null(d);
    char names[64][64];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        /* (the benchmarks' scenarios are inputs of scripts/, not examples) */
        if (len > 4 && len < 64 && !strcmp(e->d_name + len - 4, ".lua") && strncmp(e->d_name, "bench_", 6) && n < 64)
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    }
    closedir(d);
    assert_true(n >= 19);
    const char *dir = city_test_scratch("cut_short");
    for (int i = 0; i < n; i++) {
        char path[4200], out[4300];
        snprintf(path, sizeof path, "%s/scenarios/%s", CITY_SOURCE_DIR, names[i]);
        snprintf(out, sizeof out, "%s/%d", dir, i);
        const char *args[] = {"run", path, "--until", "120", "--out", out, NULL};
        CityTestRun r = city_test_run(args, 300);
        if (r.exit_code != 0 || strstr(r.out, "FAIL"))
            fail_msg("%s cut short at 120 s: exit %d\n%s%s", names[i], r.exit_code, r.out, r.err);
        city_test_run_free(&r);
    }
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    const char *base = city_test_scratch("determinism");
    char a[4300], b[4300], c[4300];
    snprintf(a, sizeof a, "%s/a", base);
    snprintf(b, sizeof b, "%s/b", base);
    snprintf(c, sizeof c, "%s/c", base);
    run_default(a, "11");
    run_default(b, "11");
    run_default(c, "12");
    char *sa = summary_without_wall(a), *sb = summary_without_wall(b), *sc = summary_without_wall(c);
    assert_string_equal(sa, sb);
    char *ha = strstr(sa, "\"state_hash\""), *hc = strstr(sc, "\"state_hash\"");
    assert_non_null(ha);
    assert_non_null(hc);
    assert_memory_not_equal(ha, hc, 32); /* another seed, another city */
    /* every other file, byte for byte */
    int n = city_test_count_entries(a);
    assert_true(n >= 2);
    assert_int_equal(n, city_test_count_entries(b));
    DIR *d = opendir(a);
    assert_non_null(d);
    struct dirent *e;
    int compared = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "summary.json"))
            continue;
        char *fa = file_in(a, e->d_name), *fb = file_in(b, e->d_name);
        if (strcmp(fa, fb) != 0)
            fail_msg("%s differs between two runs with the same seed", e->d_name);
        free(fa);
        free(fb);
        compared++;
    }
    closedir(d);
    assert_int_equal(compared, n - 2); /* all but summary.json and the .citylab-run marker */
    free(sa);
    free(sb);
    free(sc);
}

static void test_failed_run_keeps_previous_outputs(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("keep_previous");
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    char *good = write_scenario(dir, "good", "city.config{ until_s = 1 } city.kpi('v', 1)");
    const char *args[] = {"run", good, "--out", out, NULL};
    CityTestRun r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    char *bad =
        write_scenario(dir, "bad", "city.config{ until_s = 5 } city.at(2, function() error('sensor 7 offline') end)");
    const char *args2[] = {"run", bad, "--out", out, NULL};
    r = city_test_run(args2, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "bad.lua:1: sensor 7 offline"));
    assert_non_null(strstr(r.err, "stack traceback"));
    char *json = file_in(out, "summary.json");
    assert_non_null(strstr(json, "\"scenario\": \"good\""));
    free(json);
    assert_int_equal(city_test_count_entries(dir), 3); /* good.lua, bad.lua, out */
    city_test_run_free(&r);
}

static void test_help_documents_every_flag(void **state)
{
    (void)state;
    const char *args[] = {"run", "--help", NULL};
    CityTestRun r = city_test_run(args, 30);
    assert_int_equal(r.exit_code, 0);
    static const char *flags[] = {
        "--seed",       "--until",      "--dt", "--out",  "--net",   "--routes", "--lua-instructions",
        "--lua-mem-mb", "--screenshot", "--at", "--size", "--quiet", "--help",   NULL};
    for (int i = 0; flags[i]; i++)
        if (!strstr(r.out, flags[i]))
            fail_msg("run --help does not mention %s", flags[i]);
    city_test_run_free(&r);
    const char *top[] = {"--help", NULL};
    r = city_test_run(top, 30);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "citylab pf"));
    assert_non_null(strstr(r.out, "citylab view"));
    city_test_run_free(&r);
    const char *ver[] = {"--version", NULL};
    r = city_test_run(ver, 30);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "citylab 0."));
    city_test_run_free(&r);
}

static void test_bad_command_lines_exit_2(void **state)
{
    (void)state;
    static const char *const cases[][4] = {
        {"run", "--seed", "minus", NULL},       {"run", "--dt", "0", NULL},        {"run", "--until", "-5", NULL},
        {"run", "--bogus", "1", NULL},          {"run", "/nonexistent.lua", NULL}, {"frobnicate", NULL},
        {"run", "--routes", "x.rou.xml", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CityTestRun r = city_test_run(cases[i], 30);
        if (r.exit_code != 2 || strlen(r.err) < 10)
            fail_msg("case %zu (%s %s): exit %d, stderr '%s'", i, cases[i][0], cases[i][1] ? cases[i][1] : "",
                     r.exit_code, r.err);
        city_test_run_free(&r);
    }
}

/* A replay that cannot be applied is one clear error naming the file and
 * line, exit 2, and no output folder. */
static void test_bad_replay_exits_2(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("bad_replay");
    char *scn = write_scenario(dir, "plain", "city.config{ until_s = 5, dt_ms = 100 }");
    struct {
        const char *log, *needle;
    } cases[] = {
        {NULL, "cannot read the event log to replay"},
        {"t,k,m\n", "replay.csv:1: expected the header 'time_s,kind,message'"},
        {"time_s,kind,message\n1.000,command\n", "replay.csv:2: expected 'time_s,kind,message'"},
        {"time_s,kind,message\n0.050,command,close_lane E1_0\n", "replay.csv:2: 0.050 s is not on a tick of 100 ms"},
        {"time_s,kind,message\nsoon,command,close_lane E1_0\n", "replay.csv:2: time 'soon' is not a number"},
        {"time_s,kind,message\n1.000,command,take off\n", "replay.csv:2: unknown command 'take'"},
        {"time_s,kind,message\n1.000,road,x\n2.000,command,close_lane E1_0\n",
         "replay.csv:3: 'close_lane E1_0': the city has no road network"},
        {"time_s,kind,message\n1.000,command,open_branch 4\n",
         "replay.csv:2: 'open_branch 4': the city has no power grid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char log[4300], out[4300];
        snprintf(log, sizeof log, "%s/replay.csv", dir);
        snprintf(out, sizeof out, "%s/out%zu", dir, i);
        remove(log);
        if (cases[i].log)
            assert_true(city_test_write_file(log, cases[i].log));
        const char *args[] = {"run", scn, "--replay", log, "--out", out, NULL};
        CityTestRun r = city_test_run(args, 60);
        if (r.exit_code != 2 || !strstr(r.err, cases[i].needle))
            print_error("case %zu: exit %d, stderr: %s\n", i, r.exit_code, r.err);
        assert_int_equal(r.exit_code, 2);
        assert_non_null(strstr(r.err, cases[i].needle));
        assert_false(city_test_exists(out));
        city_test_run_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_scenarios_exit_2),  cmocka_unit_test(test_failing_check_exits_1),
        cmocka_unit_test(test_same_seed_same_bytes),      cmocka_unit_test(test_failed_run_keeps_previous_outputs),
        cmocka_unit_test(test_help_documents_every_flag), cmocka_unit_test(test_bad_command_lines_exit_2),
        cmocka_unit_test(test_bad_replay_exits_2),        cmocka_unit_test(test_short_run_is_not_a_failure),
        cmocka_unit_test(test_every_scenario_cut_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
