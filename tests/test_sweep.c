/* Sweeps: city.param, sweep files, the local process pool (killed half-way
 * and resumed), a real single-node Slurm, and collect (rows, hashes and
 * Student t confidence intervals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "city_collect.h"
#include "test_support.h"

#define RING CITY_SOURCE_DIR "/tests/data/sweep/ring.lua"

/* 3 demand levels x 4 seeds; dt and end time make a run take ~0.2 s. */
static const char *write_sweep(const char *dir)
{
    static char path[4300];
    snprintf(path, sizeof path, "%s/demand.lua", dir);
    char text[8000];
    snprintf(text, sizeof text,
             "return {\n"
             "  scenario = \"%s\",\n"
             "  params = { rate = { 300, 600, 900 } },\n"
             "  seeds = range(1, 4),\n"
             "  dt_ms = 100, until_s = 3600,\n"
             "}\n",
             RING);
    assert_true(city_test_write_file(path, text));
    return path;
}

/* A CSV (no quoted fields) as rows of fields; returns the row count. */
typedef struct Csv {
    char *text;
    char *cells[64][64];
    int rows, cols;
} Csv;

static void csv_read(Csv *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->text = city_test_read_file(path, NULL);
    assert_non_null(c->text);
    char *save = NULL;
    for (char *line = strtok_r(c->text, "\n", &save); line && c->rows < 64; line = strtok_r(NULL, "\n", &save)) {
        int n = 0;
        for (char *p = line; p && n < 64; n++) {
            c->cells[c->rows][n] = p;
            p = strchr(p, ',');
            if (p)
                *p++ = '\0';
        }
        if (c->rows == 0)
            c->cols = n;
        c->rows++;
    }
}

static int csv_col(const Csv *c, const char *name)
{
    for (int i = 0; i < c->cols; i++)
        if (!strcmp(c->cells[0][i], name))
            return i;
    fail_msg("column %s not found", name);
    return -1;
}

static int count_done(const char *out)
{
    char runs[4300];
    snprintf(runs, sizeof runs, "%s/runs", out);
    DIR *d = opendir(runs);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[4600];
        snprintf(p, sizeof p, "%s/%s/summary.json", runs, e->d_name);
        n += e->d_name[0] != '.' && city_test_exists(p);
    }
    closedir(d);
    return n;
}

/* Every row of results.csv has the state hash of the same run done alone
 * with `citylab run`. */
static void check_rows_match_single_runs(const char *out, const char *scratch)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/results.csv", out);
    Csv c;
    csv_read(&c, path);
    assert_int_equal(c.rows, 13); /* header + 12 runs */
    int run = csv_col(&c, "run"), seed = csv_col(&c, "seed"), rate = csv_col(&c, "param.rate"),
        hash = csv_col(&c, "state_hash");
    static const char *const ids[12] = {"p0000-s1", "p0000-s2", "p0000-s3", "p0000-s4", "p0001-s1", "p0001-s2",
                                        "p0001-s3", "p0001-s4", "p0002-s1", "p0002-s2", "p0002-s3", "p0002-s4"};
    for (int i = 1; i < c.rows; i++) {
        assert_string_equal(c.cells[i][run], ids[i - 1]);
        char param[64], one[4400];
        snprintf(param, sizeof param, "rate=%s", c.cells[i][rate]);
        snprintf(one, sizeof one, "%s/one-%s", scratch, c.cells[i][run]);
        const char *args[] = {"run", RING,      "--seed", c.cells[i][seed], "--param", param,     "--dt",
                              "100", "--until", "3600",   "--out",          one,       "--quiet", NULL};
        CityTestRun r = city_test_run(args, 120);
        assert_int_equal(r.exit_code, 0);
        char expect[64];
        snprintf(expect, sizeof expect, "state_hash %s\n", c.cells[i][hash]);
        if (!strstr(r.out, expect))
            fail_msg("%s: sweep hash %s, alone: %s", c.cells[i][run], c.cells[i][hash], r.out);
        city_test_run_free(&r);
    }
    /* the three demand levels give three different cities */
    assert_string_not_equal(c.cells[1][hash], c.cells[5][hash]);
    assert_string_not_equal(c.cells[5][hash], c.cells[9][hash]);
    free(c.text);
}

static void test_param_sets_and_records(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("sweep_param");
    char out1[4300], out2[4300], summary[4400];
    snprintf(out1, sizeof out1, "%s/a", dir);
    snprintf(out2, sizeof out2, "%s/b", dir);
    const char *a1[] = {"run", RING, "--param", "rate=1200", "--param", "speed=10", "--out", out1, "--quiet", NULL};
    CityTestRun r1 = city_test_run(a1, 60);
    assert_int_equal(r1.exit_code, 0);
    snprintf(summary, sizeof summary, "%s/summary.json", out1);
    char *json = city_test_read_file(summary, NULL);
    assert_non_null(strstr(json, "\"params\": {\"rate\": 1200, \"speed\": 10, \"fail\": false}"));
    free(json);
    const char *a2[] = {"run", RING, "--out", out2, "--quiet", NULL};
    CityTestRun r2 = city_test_run(a2, 60);
    assert_int_equal(r2.exit_code, 0);
    snprintf(summary, sizeof summary, "%s/summary.json", out2);
    json = city_test_read_file(summary, NULL);
    assert_non_null(strstr(json, "\"params\": {\"rate\": 600, \"speed\": 13.9, \"fail\": false}"));
    free(json);
    assert_string_not_equal(strstr(r1.out, "state_hash"), strstr(r2.out, "state_hash"));
    city_test_run_free(&r1);
    city_test_run_free(&r2);

    static const struct {
        const char *param, *needle;
    } bad[] = {{"raet=900", "never reads city.param(\"raet\""},
               {"rate=fast", "value 'fast' is not a number"},
               {"fail=maybe", "not true or false"},
               {"=3", "expected NAME=VALUE"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *args[] = {"run", RING, "--param", bad[i].param, "--out", out1, "--quiet", NULL};
        CityTestRun r = city_test_run(args, 60);
        if (r.exit_code != 2 || !strstr(r.err, bad[i].needle))
            fail_msg("--param %s: exit %d, stderr %s", bad[i].param, r.exit_code, r.err);
        city_test_run_free(&r);
    }
}

static void test_sweep_file_errors(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("sweep_errors");
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"return 3", "must return a table"},
        {"return { scenario = 'nowhere.lua' }", "file not found"},
        {"return { scenario = '" RING "', parms = {} }", "unknown field 'parms'"},
        {"return { scenario = '" RING "', params = { rate = 5 } }", "params.rate: expected a non-empty list"},
        {"return { scenario = '" RING "', lhs = { samples = 4, params = { rate = {9, 1} } } }", "low < high"},
        {"return { scenario = '" RING "', seeds = {1, 1} }", "listed twice"},
        {"while true do end", "instructions"},
        {"return { scenario = io.open('x') }", "global 'io'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[4300], out[4300];
        snprintf(path, sizeof path, "%s/bad%zu.lua", dir, i);
        snprintf(out, sizeof out, "%s/out%zu", dir, i);
        assert_true(city_test_write_file(path, cases[i].text));
        const char *args[] = {"sweep", path, "--out", out, NULL};
        CityTestRun r = city_test_run(args, 60);
        if (r.exit_code != 2 || !strstr(r.err, cases[i].needle) || !strstr(r.err, path))
            fail_msg("case %zu: exit %d, stderr %s", i, r.exit_code, r.err);
        assert_false(city_test_exists(out));
        city_test_run_free(&r);
    }
}

/* Latin hypercube: with N samples, each parameter has exactly one value in
 * each of its N equal strata; the draw depends on the sweep's seed only. */
static void test_latin_hypercube(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("sweep_lhs");
    char path[4300];
    snprintf(path, sizeof path, "%s/lhs.lua", dir);
    for (int seed = 1; seed <= 2; seed++) {
        char text[4000];
        snprintf(text, sizeof text,
                 "return { scenario = '%s', seed = %d, seeds = 2, params = { fail = {false} },\n"
                 "  lhs = { samples = 10, params = { rate = {100, 1100}, speed = {5.0, 15.0} } } }\n",
                 RING, seed);
        assert_true(city_test_write_file(path, text));
        const char *args[] = {"sweep", path, "--dry-run", NULL};
        CityTestRun r = city_test_run(args, 60);
        assert_int_equal(r.exit_code, 0);
        assert_non_null(strstr(r.err, "10 points x 2 seeds = 20 runs"));
        CityTestRun again = city_test_run(args, 60);
        assert_string_equal(r.out, again.out); /* same seed, same samples */
        city_test_run_free(&again);
        char list[4400];
        snprintf(list, sizeof list, "%s/runs%d.csv", dir, seed);
        assert_true(city_test_write_file(list, r.out));
        Csv c;
        csv_read(&c, list);
        assert_int_equal(c.rows, 21);
        int rate = csv_col(&c, "rate"), speed = csv_col(&c, "speed");
        int seen_rate[10] = {0}, seen_speed[10] = {0};
        for (int i = 1; i < c.rows; i += 2) {
            double v = atof(c.cells[i][rate]), s = atof(c.cells[i][speed]);
            assert_true(v == floor(v)); /* integer bounds give whole numbers */
            seen_rate[(int)((v - 100) / 100.1)]++;
            seen_speed[(int)((s - 5.0) / 1.0)]++;
            assert_string_equal(c.cells[i][rate], c.cells[i + 1][rate]); /* both seeds, one point */
        }
        for (int k = 0; k < 10; k++) {
            assert_int_equal(seen_rate[k], 1);
            assert_int_equal(seen_speed[k], 1);
        }
        free(c.text);
        city_test_run_free(&r);
    }
}

/* Runs `citylab sweep` in its own process group, kills the whole group
 * (the sweep and its runs, as a lost node would) once `after` runs are
 * done; returns how many were done at that moment. */
static int sweep_killed_after(const char *sweep, const char *out, int after)
{
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(CITYLAB_BIN, CITYLAB_BIN, "sweep", sweep, "--local", "2", "--out", out, (char *)NULL);
        _exit(127);
    }
    int done = 0, status;
    for (int i = 0; i < 12000 && (done = count_done(out)) < after; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("the sweep ended before it could be killed (exit %d)", WEXITSTATUS(status));
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    return done;
}

static void test_local_sweep_killed_resumes(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("sweep_local");
    const char *sweep = write_sweep(dir);
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    int before = sweep_killed_after(sweep, out, 3);
    assert_true(before >= 3);
    int after_kill = count_done(out);
    assert_true(after_kill < 12); /* killed half-way */

    const char *args[] = {"sweep", sweep, "--local", "2", "--out", out, NULL};
    CityTestRun r = city_test_run(args, 300);
    assert_int_equal(r.exit_code, 0);
    char expect[128];
    snprintf(expect, sizeof expect, "%d done before, %d ran, 0 failed", after_kill, 12 - after_kill);
    if (!strstr(r.out, expect))
        fail_msg("expected '%s' in: %s", expect, r.out);
    city_test_run_free(&r);

    const char *collect[] = {"collect", out, NULL};
    r = city_test_run(collect, 120);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "collected 12 runs (3 parameter points"));
    city_test_run_free(&r);
    check_rows_match_single_runs(out, dir);
}

/* A failed run is reported with its log line and retried by the next call. */
static void test_failed_run_reported_and_retried(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("sweep_fail");
    char sweep[4300], out[4300], text[4000];
    snprintf(sweep, sizeof sweep, "%s/f.lua", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(text, sizeof text, "return { scenario = '%s', params = { fail = {false, true} }, seeds = 1 }", RING);
    assert_true(city_test_write_file(sweep, text));
    const char *args[] = {"sweep", sweep, "--local", "2", "--out", out, NULL};
    for (int round = 0; round < 2; round++) {
        CityTestRun r = city_test_run(args, 120);
        assert_int_equal(r.exit_code, 1);
        assert_non_null(strstr(r.err, "p0001-s1 FAILED with exit 2"));
        assert_non_null(strstr(r.err, "failing on purpose"));
        snprintf(text, sizeof text, "%d done before, %d ran, 1 failed", round, 1 - round);
        if (!strstr(r.out, text))
            fail_msg("round %d: %s", round, r.out);
        city_test_run_free(&r);
    }
    /* --commands lists exactly the unfinished run, with its parameters */
    const char *cmds[] = {"sweep", sweep, "--commands", "--out", out, NULL};
    CityTestRun r = city_test_run(cmds, 60);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, " run "));
    assert_non_null(strstr(r.out, "--param fail=true"));
    assert_null(strstr(r.out, "fail=false"));
    assert_null(strchr(strchr(r.out, '\n') + 1, '\n')); /* one line */
    city_test_run_free(&r);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0)
        fail_msg("no free port");
    close(s);
    return ntohs(a.sin_port);
}

/* A real Slurm: a single-node cluster started here, the same sweep
 * submitted as a job array, the same 12 rows and hashes. */
static void test_slurm_job_array(void **state)
{
    (void)state;
    if (geteuid() != 0 || !city_test_exists("/usr/sbin/slurmctld") || !city_test_exists("/usr/sbin/munged")) {
        printf("skipped: needs root and Debian's slurm-wlm and munge (scripts/setup.sh installs them)\n");
        skip();
    }
    const char *dir = city_test_scratch("sweep_slurm");
    char cluster[4300], cmd[9000], conf[4400];
    snprintf(cluster, sizeof cluster, "%s/cluster", dir);
    mkdir(cluster, 0755);
    int p1 = free_port(), p2 = free_port();
    if (p2 == p1)
        p2 = free_port();
    snprintf(cmd, sizeof cmd, "%s/tests/support/slurm_local.sh start %s %d %d >%s/start.log 2>&1", CITY_SOURCE_DIR,
             cluster, p1, p2, dir);
    if (system(cmd) != 0) {
        snprintf(cmd, sizeof cmd, "cat %s/start.log %s/*.log >&2", dir, cluster);
        (void)system(cmd);
        fail_msg("could not start the test Slurm cluster");
    }
    snprintf(conf, sizeof conf, "%s/slurm.conf", cluster);
    setenv("SLURM_CONF", conf, 1);
    const char *sweep = write_sweep(dir);
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"sweep", sweep,        "--slurm", "--wait", "--out", out, "--runs-per-task",
                          "5",     "--throttle", "2",       "--time", "10:00", NULL};
    CityTestRun r = city_test_run(args, 500);
    snprintf(cmd, sizeof cmd, "%s/tests/support/slurm_local.sh stop %s", CITY_SOURCE_DIR, cluster);
    int stopped = system(cmd);
    unsetenv("SLURM_CONF");
    if (r.exit_code != 0)
        fail_msg("sweep --slurm: exit %d\n%s\n%s", r.exit_code, r.out, r.err);
    assert_int_equal(stopped, 0);
    assert_non_null(strstr(r.out, "3 tasks of up to 5 runs"));
    assert_non_null(strstr(r.out, "12 of 12 runs done"));
    city_test_run_free(&r);
    char script[4500];
    snprintf(script, sizeof script, "%s/slurm/demand.sbatch", out);
    char *text = city_test_read_file(script, NULL);
    assert_non_null(strstr(text, "#SBATCH --array=0-2%2\n"));
    assert_non_null(strstr(text, "#SBATCH --time=10:00\n"));
    free(text);
    const char *collect[] = {"collect", out, NULL};
    r = city_test_run(collect, 120);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    check_rows_match_single_runs(out, dir);
}

/* Student t quantiles against the published table (e.g. NIST/SEMATECH
 * e-Handbook of Statistical Methods, 1.3.6.7.2, upper critical values). */
static void test_student_t_table(void **state)
{
    (void)state;
    static const struct {
        double df, t975;
    } table[] = {{1, 12.706}, {2, 4.303}, {3, 3.182}, {5, 2.571}, {10, 2.228}, {20, 2.086}, {30, 2.042}, {100, 1.984}};
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        assert_float_equal(city_student_t_quantile(0.975, table[i].df), table[i].t975, 0.0005);
    assert_float_equal(city_student_t_quantile(0.95, 4), 2.132, 0.0005);
    assert_float_equal(city_student_t_quantile(0.975, 1e9), 1.959964, 1e-5); /* the normal limit */
    assert_float_equal(city_student_t_quantile(0.025, 3), -3.182, 0.0005);
}

/* collect on hand-made summaries: KPI 1, 2, 3, 4 over four seeds has mean
 * 2.5, s = 1.2909944, half-width t(0.975, 3) s / 2 = 2.0542603. */
static void test_collect_confidence_interval(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("sweep_collect");
    for (int p = 0; p < 2; p++) {
        for (int s = 1; s <= 4; s++) {
            char run[4300], path[4400], json[1000];
            snprintf(run, sizeof run, "%s/runs/p%04d-s%d", dir, p, s);
            snprintf(path, sizeof path, "%s/runs", dir);
            mkdir(path, 0755);
            mkdir(run, 0755);
            snprintf(path, sizeof path, "%s/summary.json", run);
            snprintf(json, sizeof json,
                     "{\"scenario\": \"x\", \"seed\": %d, \"sim_time_s\": 10, \"wall_time_s\": 0.5,"
                     " \"params\": {\"mode\": \"%s\"}, \"state_hash\": \"%016x\", \"checks_passed\": %s,"
                     " \"checks\": [{\"name\": \"ok\", \"pass\": %s, \"message\": \"\"}],"
                     " \"kpi\": {\"delay_s\": %d, \"flow\": %g}}",
                     s, p ? "b,c" : "a", p * 16 + s, s == 2 ? "false" : "true", s == 2 ? "false" : "true", s + 10 * p,
                     7.0);
            assert_true(city_test_write_file(path, json));
        }
    }
    char hidden[4400];
    snprintf(hidden, sizeof hidden, "%s/runs/.p0000-s9.partial-1", dir);
    mkdir(hidden, 0755); /* a killed run's staging folder is not a run */
    char runs[4400], points[4400];
    CityError err;
    snprintf(runs, sizeof runs, "%s/results.csv", dir);
    snprintf(points, sizeof points, "%s/points.csv", dir);
    CityCollectResult res;
    assert_int_equal(city_collect(dir, runs, points, &res, &err), CITY_OK);
    assert_int_equal(res.runs, 8);
    assert_int_equal(res.points, 2);
    char *text = city_test_read_file(points, NULL);
    assert_non_null(strstr(text, "param.mode,runs,runs_checks_passed,kpi.delay_s.mean,kpi.delay_s.ci95_low,"
                                 "kpi.delay_s.ci95_high,kpi.flow.mean,kpi.flow.ci95_low,kpi.flow.ci95_high\n"));
    double mean, lo, hi;
    char *row = strstr(text, "\na,4,3,");
    assert_non_null(row);
    assert_int_equal(sscanf(row, "\na,4,3,%lf,%lf,%lf", &mean, &lo, &hi), 3);
    assert_float_equal(mean, 2.5, 1e-12);
    assert_float_equal(hi - mean, 2.0542603, 1e-6);
    assert_float_equal(mean - lo, 2.0542603, 1e-6);
    row = strstr(text, "\n\"b,c\",4,3,12.5,");
    assert_non_null(row);
    assert_non_null(strstr(row, ",7,7,7\n")); /* no spread, no interval */
    free(text);
    text = city_test_read_file(runs, NULL);
    assert_non_null(strstr(text, "run,seed,param.mode,state_hash,wall_time_s,sim_time_s,checks_passed,check.ok,"
                                 "kpi.delay_s,kpi.flow\n"
                                 "p0000-s1,1,a,0000000000000001,0.5,10,true,true,1,7\n"
                                 "p0000-s2,2,a,0000000000000002,0.5,10,false,false,2,7\n"));
    free(text);
    /* a broken summary is named, and nothing is written */
    char broken[4400];
    snprintf(broken, sizeof broken, "%s/runs/p0001-s4/summary.json", dir);
    assert_true(city_test_write_file(broken, "{\"seed\": 4,"));
    unlink(runs);
    unlink(points);
    assert_int_equal(city_collect(dir, runs, points, &res, &err), CITY_ERR_PARSE);
    assert_non_null(strstr(err.msg, "p0001-s4/summary.json: not a valid summary"));
    assert_false(city_test_exists(runs));
    assert_false(city_test_exists(points));
}

/* A run with no parameters, checks or KPIs (empty lists: sorting them
 * passed a NULL array to qsort, which the sanitizer build refuses; a fuzz
 * finding). */
static void test_collect_empty_lists(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("sweep_collect_empty");
    char path[4400], runs[4400], points[4400];
    snprintf(path, sizeof path, "%s/runs", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/runs/only", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/runs/only/summary.json", dir);
    assert_true(city_test_write_file(path, "{\"seed\": 3, \"params\": {}, \"checks\": [], \"kpi\": {}}"));
    snprintf(runs, sizeof runs, "%s/results.csv", dir);
    snprintf(points, sizeof points, "%s/points.csv", dir);
    CityCollectResult res;
    CityError err;
    assert_int_equal(city_collect(dir, runs, points, &res, &err), CITY_OK);
    assert_int_equal(res.runs, 1);
    assert_int_equal(res.points, 1);
    assert_int_equal(res.params, 0);
    assert_int_equal(res.kpis, 0);
    char *text = city_test_read_file(runs, NULL);
    assert_non_null(strstr(text, "only,3,"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_sets_and_records),
        cmocka_unit_test(test_sweep_file_errors),
        cmocka_unit_test(test_latin_hypercube),
        cmocka_unit_test(test_student_t_table),
        cmocka_unit_test(test_collect_confidence_interval),
        cmocka_unit_test(test_collect_empty_lists),
        cmocka_unit_test(test_failed_run_reported_and_retried),
        cmocka_unit_test(test_local_sweep_killed_resumes),
        cmocka_unit_test(test_slurm_job_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
