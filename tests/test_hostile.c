/* Hostile use of the citylab binary: output folders it did not write are
 * never replaced, killed runs leave nothing behind, command lines are
 * strict, and scripts that attack the budgets end with exit 2 and a message
 * naming the cap that held. */
#define _DEFAULT_SOURCE /* wait4 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

static const char *write_scenario(const char *dir, const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s.lua", dir, name);
    assert_true(city_test_write_file(path, text));
    return path;
}

static void expect_run(const char *const *args, int code, const char *needle)
{
    CityTestRun r = city_test_run(args, 60);
    if (r.exit_code != code || (needle && !strstr(r.err, needle)))
        fail_msg("%s %s: exit %d (want %d), stderr: %s (want '%s')", args[0], args[1] ? args[1] : "", r.exit_code, code,
                 r.err, needle ? needle : "");
    city_test_run_free(&r);
}

/* --- output folders --- */

static void test_out_refuses_what_citylab_did_not_write(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("hostile_out");
    char scn[4300], mine[4300], file[4300], precious[4400], run[4300], marker[4400];
    snprintf(scn, sizeof scn, "%s", write_scenario(dir, "tiny", "city.config{ until_s = 1 } city.kpi('v', 1)"));
    snprintf(mine, sizeof mine, "%s/thesis", dir);
    snprintf(precious, sizeof precious, "%s/chapter1.tex", mine);
    snprintf(file, sizeof file, "%s/notes.txt", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(marker, sizeof marker, "%s/.citylab-run", run);
    assert_int_equal(mkdir(mine, 0755), 0);
    assert_true(city_test_write_file(precious, "years of work"));
    assert_true(city_test_write_file(file, "a file"));

    const char *a1[] = {"run", scn, "--out", mine, NULL};
    expect_run(a1, 2, "is not a citylab run");
    char *kept = city_test_read_file(precious, NULL);
    assert_non_null(kept);
    assert_string_equal(kept, "years of work");
    free(kept);
    assert_int_equal(city_test_count_entries(mine), 1);

    const char *a2[] = {"run", scn, "--out", file, NULL};
    expect_run(a2, 2, "is a file");
    kept = city_test_read_file(file, NULL);
    assert_string_equal(kept, "a file");
    free(kept);

    /* a run folder carries the marker, and a second run replaces it */
    const char *a3[] = {"run", scn, "--out", run, NULL};
    expect_run(a3, 0, NULL);
    assert_true(city_test_exists(marker));
    expect_run(a3, 0, NULL);
    assert_true(city_test_exists(marker));
    /* scenario, thesis, notes.txt, run: no hidden leftovers */
    assert_int_equal(city_test_count_entries(dir), 4);
}

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

/* Staging folders of killed runs are removed by the next run in that place
 * when their process is gone; a foreign folder with a similar name stays. */
static void test_stale_stages_are_cleaned(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("hostile_stale");
    char scn[4300], stale[4300], foreign[4300], path[4400];
    snprintf(scn, sizeof scn, "%s", write_scenario(dir, "tiny", "city.config{ until_s = 1 }"));
    pid_t gone = dead_pid();
    snprintf(stale, sizeof stale, "%s/.out.partial-%ld", dir, (long)gone);
    snprintf(foreign, sizeof foreign, "%s/.out.old-%ld", dir, (long)gone);
    assert_int_equal(mkdir(stale, 0755), 0);
    assert_int_equal(mkdir(foreign, 0755), 0);
    snprintf(path, sizeof path, "%s/.citylab-run", stale);
    assert_true(city_test_write_file(path, "x"));
    snprintf(path, sizeof path, "%s/events.csv", stale);
    assert_true(city_test_write_file(path, "time_s,kind,message\n"));
    snprintf(path, sizeof path, "%s/diary.txt", foreign);
    assert_true(city_test_write_file(path, "mine"));
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"run", scn, "--out", out, NULL};
    expect_run(args, 0, NULL);
    assert_false(city_test_exists(stale));
    assert_true(city_test_exists(path));
    assert_int_equal(city_test_count_entries(dir), 3); /* tiny.lua, out, the foreign folder */
}

/* A run stopped by SIGINT or SIGTERM removes its staging folder. */
static void test_signals_leave_nothing(void **state)
{
    (void)state;
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t k = 0; k < 2; k++) {
        const char *dir = city_test_scratch("hostile_signal");
        const char *scn = write_scenario(dir, "long",
                                         "city.config{ until_s = 1e9, dt_ms = 1000 }\n"
                                         "city.sensor.add{ name = 'm', kind = 'manual', quantity = 'count' }\n"
                                         "city.every(1, function() local x = 0 for i = 1, 1000 do x = x + i end\n"
                                         "  city.sensor.feed('m', 'count', x) end)\n");
        char out[4300];
        snprintf(out, sizeof out, "%s/out", dir);
        pid_t pid = fork();
        if (pid == 0) {
            if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout))
                _exit(127);
            execl(CITYLAB_BIN, CITYLAB_BIN, "run", scn, "--out", out, (char *)NULL);
            _exit(127);
        }
        /* wait (up to a minute, however loaded the machine) for the stage */
        bool staged = false;
        for (int i = 0; i < 6000 && !staged; i++) {
            staged = city_test_count_entries(dir) == 2;
            if (!staged)
                nanosleep(&(struct timespec){0, 10000000}, NULL);
        }
        assert_true(staged);
        kill(pid, sigs[k]);
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), sigs[k]);
        assert_int_equal(city_test_count_entries(dir), 1); /* only long.lua */
    }
}

/* --- budgets --- */

/* Each script attacks a budget; each run ends with exit 2 within seconds,
 * naming the cap that held, and leaves no output folder. */
static void test_every_budget_holds(void **state)
{
    (void)state;
    static const struct {
        const char *name, *text, *needle;
    } cases[] = {
        {"gc_loop", "setmetatable({}, { __gc = function() while true do end end })", "'__gc' finalizers"},
        {"gc_late",
         "local mt = {} local t = setmetatable({}, mt) mt.__gc = function() while true do end end\n"
         "city.config{ until_s = 2 } city.every(1, function() local x = {} end)",
         NULL},
        {"pattern_find", "local s = ('a'):rep(2e5) city.every(1, function() s:find('.-.-.-.-.-.-b') end)",
         "instruction budget held"},
        {"pattern_gsub", "local s = ('a'):rep(2e5) local r = s:gsub('.-.-.-.-.-b', 'x')", "instruction budget held"},
        {"rearm_now", "local function again() city.at(city.time(), again) while true do end end city.at(1, again)",
         "instruction budget held"},
        /* one budget for the whole step: ten callbacks of 0.2 M instructions each against 1 M */
        {"many_callbacks", "for k = 1, 10 do city.every(1, function() for i = 1, 200000 do end end) end",
         "instruction budget held"},
        {"coroutine", "local co = coroutine.wrap(function() while true do end end) co()", "global 'coroutine'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = city_test_scratch(cases[i].name);
        const char *scn = write_scenario(dir, cases[i].name, cases[i].text);
        char out[4300];
        snprintf(out, sizeof out, "%s/out", dir);
        const char *args[] = {"run", scn, "--out", out, "--lua-instructions", "1000000", "--lua-mem-mb", "64", NULL};
        CityTestRun r = city_test_run(args, 60);
        int want = cases[i].needle ? 2 : 0;
        if (r.exit_code != want || (cases[i].needle && !strstr(r.err, cases[i].needle)))
            fail_msg("%s: exit %d (want %d), stderr: %s", cases[i].name, r.exit_code, want, r.err);
        if (want == 2) {
            assert_false(city_test_exists(out));
            assert_int_equal(city_test_count_entries(dir), 1);
        }
        city_test_run_free(&r);
    }
}

/* A callback that re-arms itself at the current time runs once per tick,
 * and the closures of callbacks that ran are released: 2000 of them, each
 * holding 100 kB, fit in 16 MiB. */
static void test_rearming_runs_next_tick_and_releases(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("rearm");
    const char *scn = write_scenario(dir, "rearm",
                                     "city.config{ until_s = 200, dt_ms = 100 }\n"
                                     "local calls = 0\n"
                                     "local function arm()\n"
                                     "  local big = string.rep('x', 100000) .. city.tick()\n"
                                     "  city.at(city.time(), function() calls = calls + #big // #big arm() end)\n"
                                     "end\n"
                                     "arm()\n"
                                     "local h = city.at(50, function() calls = calls + 1e6 end)\n"
                                     "city.cancel(h)\n"
                                     "city.kpi('calls', function() return calls end)\n");
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"run", scn, "--out", out, "--lua-mem-mb", "16", NULL};
    CityTestRun r = city_test_run(args, 60);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    city_test_run_free(&r);
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *json = city_test_read_file(path, NULL);
    assert_non_null(json);
    /* 2000 ticks: armed at load for tick 0, then once per tick */
    if (!strstr(json, "\"calls\": 2000"))
        fail_msg("%s", json);
    free(json);
}

/* --- deterministic outputs --- */

static void test_printed_names_are_stable(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("names");
    const char *scn = write_scenario(dir, "names",
                                     "city.config{ until_s = 1 }\n"
                                     "city.log('built ' .. tostring({}))\n"
                                     "local named = setmetatable({}, { __name = 'thing' })\n"
                                     "city.at(0.5, function()\n"
                                     "  city.log(string.format('%s %s %s %5s', {}, print, named, 7))\n"
                                     "  city.log(tostring(named) .. ' ' .. tostring(print))\n"
                                     "end)\n");
    char *logs[2];
    for (int k = 0; k < 2; k++) {
        char out[4300], path[4400];
        snprintf(out, sizeof out, "%s/out%d", dir, k);
        const char *args[] = {"run", scn, "--out", out, NULL};
        expect_run(args, 0, NULL);
        snprintf(path, sizeof path, "%s/events.csv", out);
        logs[k] = city_test_read_file(path, NULL);
        assert_non_null(logs[k]);
    }
    assert_string_equal(logs[0], logs[1]);
    assert_null(strstr(logs[0], "0x"));
    /* the top-level line is kept, at time 0 */
    assert_non_null(strstr(logs[0], "0.000,scenario,built table: #1\n"));
    assert_non_null(strstr(logs[0], "0.500,scenario,table: #2 function: #3 table: #4     7\n"));
    assert_non_null(strstr(logs[0], "0.500,scenario,table: #4 function: #3\n"));
    free(logs[0]);
    free(logs[1]);
}

/* --- hostile input files --- */

/* Demand files asking for absurd numbers of vehicles, and networks with
 * numbers no integer holds, are refused with a message naming the
 * attribute; a network without connections loads without undefined
 * behaviour (the sanitizer build aborts on any). */
static void test_hostile_files(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("hostile_files");
    char *grid = city_test_read_file(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", NULL);
    assert_non_null(grid);
    char path[4400];
    snprintf(path, sizeof path, "%s/grid.net.xml", dir);
    assert_true(city_test_write_file(path, grid));
    /* every priority 1e20, and no <connection> at all */
    size_t n = strlen(grid);
    char *prio = malloc(n * 2 + 1), *noconn = malloc(n + 1);
    size_t a = 0, b = 0;
    for (const char *p = grid; *p;) {
        if (!strncmp(p, "priority=\"", 10)) {
            a += (size_t)sprintf(prio + a, "priority=\"1e20\"");
            p = strchr(p + 10, '"') + 1;
        } else {
            prio[a++] = *p++;
        }
    }
    prio[a] = '\0';
    for (const char *p = grid; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p + 1) : strlen(p);
        if (!strstr(p, "<connection") || (eol && strstr(p, "<connection") > eol)) {
            memcpy(noconn + b, p, len);
            b += len;
        }
        p += len;
    }
    noconn[b] = '\0';
    snprintf(path, sizeof path, "%s/prio.net.xml", dir);
    assert_true(city_test_write_file(path, prio));
    snprintf(path, sizeof path, "%s/noconn.net.xml", dir);
    assert_true(city_test_write_file(path, noconn));
    free(prio);
    free(noconn);
    free(grid);
    static const struct {
        const char *net, *routes, *needle;
    } cases[] = {
        {"prio", NULL, "priority=\"1e20\" must be a whole number from -1e9 to 1e9"},
        {"noconn", NULL, NULL},
        {"grid", "<routes><flow id='a' begin='0' end='3600' number='1000000000' from='A0A1' to='A1A2'/></routes>",
         "number=\"1000000000\" is out of range"},
        {"grid", "<routes><flow id='a' begin='0' end='3600' vehsPerHour='1e300' from='A0A1' to='A1A2'/></routes>",
         "vehsPerHour asks for 1e+300 vehicles"},
        {"grid", "<routes><flow id='a' begin='0' end='3600' period='1e-300' from='A0A1' to='A1A2'/></routes>",
         "the maximum is 1000000 per flow"},
        {"grid", "<routes><flow id='a' begin='0' end='3600' probability='7' from='A0A1' to='A1A2'/></routes>",
         "probability=7"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char net[4400], rou[4400], out[4400];
        snprintf(net, sizeof net, "%s/%s.net.xml", dir, cases[i].net);
        snprintf(rou, sizeof rou, "%s/d%zu.rou.xml", dir, i);
        snprintf(out, sizeof out, "%s/out%zu", dir, i);
        if (cases[i].routes)
            assert_true(city_test_write_file(rou, cases[i].routes));
        const char *args[] = {"run", "--net", net, "--until", "10", "--out", out, "--quiet", NULL, NULL, NULL};
        if (cases[i].routes) {
            args[8] = "--routes";
            args[9] = rou;
        }
        expect_run(args, cases[i].needle ? 2 : 0, cases[i].needle);
    }
}

/* Runs citylab with args, output discarded; returns its exit code and
 * stores its peak resident memory in *rss_kb. */
static int run_measured(const char *const *args, long *rss_kb)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        const char *argv[16] = {CITYLAB_BIN};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        execv(CITYLAB_BIN, (char **)argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Numbers from a script are range-checked before they become integers,
 * and an option error raised after a network was built frees it: 3000
 * failing calls in a pcall loop took 140 MB of C memory before. */
static void test_script_numbers_and_leaks(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("hostile_numbers");
    const char *scn =
        write_scenario(dir, "numbers",
                       "city.config{ until_s = 1 }\n"
                       "for i = 1, 3000 do pcall(city.road.grid, { nx = 3, reroute_period = 0 / 0 }) end\n"
                       "local function try(t) local ok, e = pcall(city.road.grid, t) city.log(e) end\n"
                       "try{ nx = 1e300 }\n"
                       "try{ nx = 3, lanes = -1e300 }\n"
                       "try{ nx = 3, reroute_period = 1e300 }\n");
    char out[4300], path[4400];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"run", scn, "--out", out, "--quiet", NULL};
    long rss_kb = 0;
    assert_int_equal(run_measured(args, &rss_kb), 0);
#if !defined(__SANITIZE_ADDRESS__) &&                                                                                  \
    !defined(__SANITIZE_THREAD__) /* the leak checker tells; shadow memory inflates the peak */
    if (rss_kb > 60 * 1024)
        fail_msg("peak memory %ld kB: the networks of failed calls leaked", rss_kb);
#endif
    snprintf(path, sizeof path, "%s/events.csv", out);
    char *log = city_test_read_file(path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "field 'nx' must be a whole number from 0 to 676, got 1e+300"));
    assert_non_null(strstr(log, "field 'lanes' must be a whole number from 0 to 64, got -1e+300"));
    assert_non_null(strstr(log, "reroute_period must be in [0, 1e9] s"));
    free(log);
}

/* --- progress for logs --- */

/* With stderr a pipe, a run prints a line per 10% of simulated time (here
 * from the start, not after 3 s of wall time), and nothing else changes. */
static void test_progress_lines_on_pipes(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("progress");
    const char *scn = write_scenario(dir, "p",
                                     "city.config{ until_s = 20, dt_ms = 100 }\n"
                                     "city.every(2, function() city.log('tick ' .. city.tick()) end)\n");
    char a[4300], b[4300], pa[4400], pb[4400];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    setenv("CITYLAB_PROGRESS_AFTER", "0", 1);
    const char *args[] = {"run", scn, "--out", a, NULL};
    CityTestRun r = city_test_run(args, 60);
    unsetenv("CITYLAB_PROGRESS_AFTER");
    assert_int_equal(r.exit_code, 0);
    int lines = 0;
    for (const char *p = r.err; (p = strstr(p, "citylab: ")); p++)
        lines++;
    assert_int_equal(lines, 10);
    assert_non_null(strstr(r.err, "citylab:  10%  sim 2 of 20 s"));
    assert_non_null(strstr(r.err, "citylab: 100%  sim 20 of 20 s"));
    city_test_run_free(&r);
    const char *quiet[] = {"run", scn, "--out", b, "--quiet", NULL};
    r = city_test_run(quiet, 60);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.err, "");
    city_test_run_free(&r);
    snprintf(pa, sizeof pa, "%s/events.csv", a);
    snprintf(pb, sizeof pb, "%s/events.csv", b);
    char *ea = city_test_read_file(pa, NULL), *eb = city_test_read_file(pb, NULL);
    assert_non_null(ea);
    assert_non_null(eb);
    assert_string_equal(ea, eb);
    free(ea);
    free(eb);
}

/* --- the run's memory cap --- */

/* Growth on the C side (a grid of ever more buses) and in the Lua heap
 * (under a Lua cap far above the run's) both stop at --mem-mb with a message
 * naming the cap, and the peak memory stays under the cap plus the
 * documented 64 MiB. */
static void test_memory_cap_holds(void **state)
{
    (void)state;
    static const struct {
        const char *text, *mem_mb, *needle;
    } cases[] = {
        {"for i = 1, 1e7 do city.grid.bus{ id = i, kv = 10 } end", "24",
         "city.grid.bus: out of memory adding bus 131073 (the memory cap held: the run needed more than --mem-mb 24 "
         "MiB"},
        {"local t = {} for i = 1, 1e8 do t[i] = i end", "64", "the run's memory cap held with the Lua heap at"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = city_test_scratch("hostile_mem");
        const char *scn = write_scenario(dir, "mem", cases[i].text);
        char out[4300];
        snprintf(out, sizeof out, "%s/out", dir);
        const char *args[] = {"run", scn, "--out", out, "--mem-mb", cases[i].mem_mb, "--lua-mem-mb", "1024", NULL};
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        skip(); /* the sanitizer's allocator replaces citylab's: no cap to test */
#endif
        expect_run(args, 2, cases[i].needle);
        long rss_kb = 0;
        assert_int_equal(run_measured(args, &rss_kb), 2);
        long cap_kb = atol(cases[i].mem_mb) * 1024;
        if (rss_kb > cap_kb + 64 * 1024)
            fail_msg("case %zu: peak %ld kB over the cap %ld kB + 64 MiB", i, rss_kb, cap_kb);
    }
}

/* --- strict API tables --- */

static void test_api_tables_are_strict(void **state)
{
    (void)state;
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"city.config{ untl_s = 10 }", "keys.lua:1: city.config: unknown key 'untl_s'; did you mean 'until_s'?"},
        {"city.road.grid{ nx = 3, lanse = 2 }", "city.road.grid: unknown key 'lanse'; did you mean 'lanes'?"},
        {"city.road.grid{ nx = 3, reroute_perod = 60 }", "did you mean 'reroute_period'?"},
        {"city.road.grid{ nx = 3 }\ncity.road.flow{ id = 'f', from = 'A0A1', to = 'A1A2', rat = 600 }",
         "keys.lua:2: city.road.flow: unknown key 'rat'; did you mean 'rate'?"},
        {"city.road.grid{ nx = 3, zzzzzz = 1 }", "unknown key 'zzzzzz' (see scenarios/API.md)"},
        {"city.ped.config{ speed_maen = 1.3 }",
         "city.ped.config: unknown key 'speed_maen'; did you mean 'speed_mean'?"},
        {"city.env.episode{ kind = 'dust', levl = 80 }", "city.env.episode: unknown key 'levl'; did you mean 'level'?"},
        {"city.sensor.add{ name = 's', period = 2 }",
         "city.sensor.add: unknown key 'period'; did you mean 'period_s'?"},
        {"city.control.actuator{ name = 'a', saef = 0 }",
         "city.control.actuator: unknown key 'saef'; did you mean 'safe'?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = city_test_scratch("hostile_keys");
        const char *scn = write_scenario(dir, "keys", cases[i].text);
        char out[4300];
        snprintf(out, sizeof out, "%s/out", dir);
        const char *args[] = {"run", scn, "--out", out, NULL};
        expect_run(args, 2, cases[i].needle);
    }
}

/* --- strict command lines --- */

static void test_command_lines_are_strict(void **state)
{
    (void)state;
    static const struct {
        const char *args[6], *needle;
    } cases[] = {
        {{"run", "--sed", "3", NULL}, "did you mean --seed?"},
        {{"run", "--lua-mem", "8", NULL}, "did you mean --lua-mem-mb?"},
        {{"run", "--untill", "8", NULL}, "did you mean --until?"},
        {{"run", "--keys", "q", NULL}, "--keys applies to citylab view only"},
        {{"view", "--screenshot", "a.png", NULL}, "--screenshot applies to citylab run only"},
        {{"run", "--screenshot", "x.jpg", NULL}, "screenshots are PNG files"},
        {{"rnu", NULL}, "did you mean citylab run?"},
        {{"pf", "--metod", "nr", NULL}, "did you mean --method?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_run(cases[i].args, 2, cases[i].needle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_refuses_what_citylab_did_not_write),
        cmocka_unit_test(test_stale_stages_are_cleaned),
        cmocka_unit_test(test_signals_leave_nothing),
        cmocka_unit_test(test_every_budget_holds),
        cmocka_unit_test(test_rearming_runs_next_tick_and_releases),
        cmocka_unit_test(test_printed_names_are_stable),
        cmocka_unit_test(test_command_lines_are_strict),
        cmocka_unit_test(test_progress_lines_on_pipes),
        cmocka_unit_test(test_hostile_files),
        cmocka_unit_test(test_script_numbers_and_leaks),
        cmocka_unit_test(test_api_tables_are_strict),
        cmocka_unit_test(test_memory_cap_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
