/* Checkpoints: a run restored at S ends on the state hash and the outputs
 * of the uninterrupted run, for the Jamsil hour (road traffic) and
 * the heat-wave day (power grid, EVs, the scenario's own Lua tables and
 * the closures it makes during the run) and pedestrians at a station; refusals are clear (state that
 * cannot be rebuilt, another version, a damaged file); forks are
 * deterministic and differ from their parent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define DEFAULT_SCENARIO CITY_SOURCE_DIR "/scenarios/jamsil.lua" /* the hour of car traffic */
#define HEATWAVE CITY_SOURCE_DIR "/scenarios/heatwave.lua"
#define PEAK_SHAVE CITY_SOURCE_DIR "/scenarios/peak_shave.lua"

/* The "state_hash ..." line of a run's stdout (static buffer). */
static const char *hash_of(const CityTestRun *r)
{
    static char h[64];
    const char *p = strstr(r->out, "state_hash ");
    if (!p)
        fail_msg("no state hash in: %s\n%s", r->out, r->err);
    snprintf(h, sizeof h, "%.*s", (int)strcspn(p, "\n"), p);
    return h;
}

/* Every output file of two runs is byte-identical, except the wall-clock
 * line of summary.json. */
static void same_outputs(const char *a, const char *b)
{
    static const char *const files[] = {
        "summary.json",           "events.csv",   "trips.csv", "edges.csv", "grid.csv", "series_vehicles.csv",
        "series_temperature.csv", "commands.csv", NULL};
    for (int i = 0; files[i]; i++) {
        char pa[4400], pb[4400];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        char *ta = city_test_read_file(pa, NULL), *tb = city_test_read_file(pb, NULL);
        if (!ta || !tb) {
            assert_true(!ta && !tb); /* a file one run has, the other has too */
            continue;
        }
        if (i == 0) { /* drop the wall-clock line */
            char *la = strstr(ta, "\"wall_time_s\""), *lb = strstr(tb, "\"wall_time_s\"");
            assert_non_null(la);
            assert_non_null(lb);
            memmove(la, strchr(la, '\n'), strlen(strchr(la, '\n')) + 1);
            memmove(lb, strchr(lb, '\n'), strlen(strchr(lb, '\n')) + 1);
        }
        if (strcmp(ta, tb) != 0)
            fail_msg("%s differs between %s and %s", files[i], a, b);
        free(ta);
        free(tb);
    }
}

/* Runs the scenario whole, then for each time: to the end with a
 * checkpoint at that time, and restored from it; all three agree. */
static void check_restores(const char *name, const char *scenario, const char *until, const char *const *times,
                           int n_times)
{
    const char *dir = city_test_scratch(name);
    char full[4300];
    snprintf(full, sizeof full, "%s/full", dir);
    const char *a_full[] = {"run", scenario, "--until", until, "--out", full, "--quiet", NULL};
    CityTestRun r = city_test_run(a_full, 600);
    assert_true(r.exit_code == 0 || r.exit_code == 1);
    char expect[64];
    snprintf(expect, sizeof expect, "%s", hash_of(&r));
    city_test_run_free(&r);
    for (int i = 0; i < n_times; i++) {
        char state[4300], saved[4300], restored[4300];
        snprintf(state, sizeof state, "%s/at%s.state", dir, times[i]);
        snprintf(saved, sizeof saved, "%s/saved%s", dir, times[i]);
        snprintf(restored, sizeof restored, "%s/restored%s", dir, times[i]);
        const char *a_save[] = {"run",  scenario, "--until", until, "--save-state", state,
                                "--at", times[i], "--out",   saved, "--quiet",      NULL};
        r = city_test_run(a_save, 600);
        if (strcmp(hash_of(&r), expect) != 0)
            fail_msg("%s: taking a checkpoint at %s s changed the run: %s vs %s", name, times[i], hash_of(&r), expect);
        city_test_run_free(&r);
        const char *a_rest[] = {"run", "--restore", state, "--until", until, "--out", restored, "--quiet", NULL};
        r = city_test_run(a_rest, 600);
        if (strcmp(hash_of(&r), expect) != 0)
            fail_msg("%s restored at %s s: %s, uninterrupted: %s\n%s", name, times[i], hash_of(&r), expect, r.err);
        city_test_run_free(&r);
        same_outputs(full, restored);
    }
}

/* The checkpoint file itself is an output: the same run saved twice, by
 * two processes (so their memory differs), gives the same bytes. A record
 * saved whole with uninitialised padding (a struct's holes), or a Lua
 * table saved in Lua's own order (its string hashes are seeded at random
 * in each process), shows here; the message names the section around the
 * first difference. */
static void same_checkpoint_bytes(const char *name, const char *scenario, const char *until, const char *at)
{
    const char *dir = city_test_scratch(name);
    char st[2][4300], out[2][4300];
    for (int k = 0; k < 2; k++) {
        snprintf(st[k], sizeof st[k], "%s/%d.state", dir, k);
        snprintf(out[k], sizeof out[k], "%s/out%d", dir, k);
        const char *args[] = {"run",  scenario, "--until", until,  "--save-state", st[k],
                              "--at", at,       "--out",   out[k], "--quiet",      NULL};
        CityTestRun r = city_test_run(args, 600);
        if (r.exit_code != 0 && r.exit_code != 1)
            fail_msg("%s: the run failed (%d): %s", name, r.exit_code, r.err);
        city_test_run_free(&r);
    }
    size_t na, nb;
    char *a = city_test_read_file(st[0], &na), *b = city_test_read_file(st[1], &nb);
    assert_non_null(a);
    assert_non_null(b);
    size_t i = 0;
    while (i < na && i < nb && a[i] == b[i])
        i++;
    if (i < na || i < nb) {
        /* the last section tag (four capitals) or subsystem name before it */
        size_t t = i;
        while (t > 0 && !(t + 4 <= na && a[t] >= 'A' && a[t] <= 'Z' && a[t + 1] >= 'A' && a[t + 1] <= 'Z' &&
                          a[t + 2] >= 'A' && a[t + 2] <= 'Z' && (a[t + 3] >= 'A' && a[t + 3] <= 'Z')))
            t--;
        fail_msg("%s at %s s: the checkpoints of two runs differ at byte %zu of %zu/%zu, %zu bytes into "
                 "section %.4s",
                 name, at, i, na, nb, i - t, a + t);
    }
    free(a);
    free(b);
}

static void test_checkpoint_bytes_deterministic(void **state)
{
    (void)state;
    /* every subsystem that saves state (the fuzzed checkpoints' scenario) */
    same_checkpoint_bytes("ckpt_bytes_all", CITY_SOURCE_DIR "/tests/fuzz/checkpoint.lua", "400", "300");
    same_checkpoint_bytes("ckpt_bytes_all8", CITY_SOURCE_DIR "/tests/fuzz/checkpoint.lua", "60", "8");
    same_checkpoint_bytes("ckpt_bytes_heatwave", HEATWAVE, "50500", "50400");
    /* the Jamsil rush: vehicles waiting to enter, arrivals, a global table */
    same_checkpoint_bytes("ckpt_bytes_rush", CITY_SOURCE_DIR "/scenarios/jamsil_rush.lua", "130", "120");
}

static void test_default_scenario_restores(void **state)
{
    (void)state;
    static const char *const times[] = {"0", "450", "1234.5"};
    check_restores("ckpt_default", DEFAULT_SCENARIO, "1800", times, 3);
}

static void test_heatwave_restores(void **state)
{
    (void)state;
    /* 03:00 (night, lights dimmed), 14:00 (EVs plugged in, each with its
     * unplug callback pending: closures made during the run; the outage
     * starts), 22:00 (after demand response and the last EV) */
    static const char *const times[] = {"10800", "50400", "79200"};
    check_restores("ckpt_heatwave", HEATWAVE, "86400", times, 3);
}

/* Pedestrians at a station (Chipmunk bodies, routes, flows), restored at
 * 60 s and 200 s. */
static void test_ped_station_restores(void **state)
{
    (void)state;
    static const char *const times[] = {"60", "200"};
    check_restores("ckpt_ped", CITY_SOURCE_DIR "/scenarios/ped_station.lua", "300", times, 2);
}

/* Newton-Raphson's warm solves take chord steps on the previous solve's
 * factors: a restore factors the saved Jacobian values again (the pivots
 * and the last numbers), so the grid, the peak-shaving controller's
 * commands and the hash resume bit for bit (before: 1e-9 pu apart from the
 * first solve on, and different commands by 01:30). 00:01, 12:00:10 and
 * 18:00, mid-discharge. */
static void test_newton_grid_restores(void **state)
{
    (void)state;
    static const char *const times[] = {"60", "43210", "64800"};
    check_restores("ckpt_peak_shave", PEAK_SHAVE, "86400", times, 3);
}

/* Controllers: a restore attaches each afresh and puts back the actuators,
 * the fail-safe state, the counts, the timers and the Lua controller's own
 * data (pre-emption: held lights and their hold timers; the drill: stopped
 * controllers and stale inputs), and the run goes on byte for byte. */
/* A checkpoint at 0 s, before the grid's first solve (no flows or bus
 * states yet): it is written (it copied from a NULL array before) and
 * restores to the uninterrupted run. */
static void test_grid_restores_before_first_solve(void **state)
{
    (void)state;
    static const char *const times[] = {"0"};
    check_restores("ckpt_grid_start", PEAK_SHAVE, "3600", times, 1);
}

static void test_controllers_restore(void **state)
{
    (void)state;
    static const char *const em[] = {"0", "650", "1234.5"};
    check_restores("ckpt_emergency", CITY_SOURCE_DIR "/scenarios/emergency.lua", "1500", em, 3);
    static const char *const fs[] = {"150", "310"};
    check_restores("ckpt_failsafe", CITY_SOURCE_DIR "/scenarios/signal_failsafe.lua", "420", fs, 2);
}

/* A controller waiting in wake_on or wake_at at the checkpoint waits on
 * after the restore: its step() (which counts its runs in every command) is
 * skipped until its group's reading is above the line again, or the time
 * has come, as uninterrupted. */
static void test_wake_on_restores(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("ckpt_wake");
    char path[4300];
    snprintf(path, sizeof path, "%s/ctl.lua", dir);
    assert_true(city_test_write_file(path, "local g = group('s1')\nlocal n = 0\n"
                                           "function step()\n"
                                           "  local i = first(g, 3)\n"
                                           "  n = n + 1; command('a1', n * 1000 + now())\n"
                                           "  if not i then return wake_on(g, 3) end\n"
                                           "  if n % 2 == 0 then return wake_at(now() + 2.5) end\n"
                                           "end\n"));
    snprintf(path, sizeof path, "%s/s.lua", dir);
    /* s1 = t mod 8: above 3 at 4 .. 7 s of every 8 */
    assert_true(city_test_write_file(
        path, "city.config{ dt_ms = 500, until_s = 40 }\n"
              "city.sensor.add{ name = 's1', kind = 'manual', quantity = 'count', period_s = 1 }\n"
              "city.every(1, function() city.sensor.feed('s1', 'count', city.time() % 8) end, 0)\n"
              "city.control.actuator{ name = 'a1', kind = 'generic', min = 0, max = 1e9 }\n"
              "city.control.attach{ file = 'ctl.lua', sensors = {'s1'}, actuators = {'a1'}, period = 1 }\n"));
    /* waiting at 1.5 and 10 s on the group, at 5.5 and 14.5 s for a time */
    static const char *const times[] = {"1.5", "5.5", "10", "14.5"};
    check_restores("ckpt_wake_run", path, "40", times, 4);
}

/* A real network at 1 s steps (Jamsil, SUMO's random trips at one a
 * second), restored at 300 and 400 s with vehicles on the wrong lane for
 * their next turn: their lane-change mark comes back with them (restored
 * before the route lengths it needs, it marked none, and both restores
 * went another way from there). A lane closed at 200 s stays closed for
 * route following and junction admission too, which keep their own copy
 * of the closures. */
static void test_real_network_restores(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("ckpt_real");
    char path[4300];
    snprintf(path, sizeof path, "%s/jamsil-p1.rou.xml", dir);
    city_test_copy_file(CITY_SOURCE_DIR "/tests/data/road/real/jamsil-p1.rou.xml", path);
    snprintf(path, sizeof path, "%s/s.lua", dir);
    assert_true(city_test_write_file(path, "city.config{ dt_ms = 1000, name = 'ckpt_real' }\n"
                                           "city.road.load_sumo{ net = 'jamsil/jamsil.net.xml', "
                                           "routes = {'jamsil-p1.rou.xml'} }\n"
                                           /* a closure in force at both checkpoints (372 of the
                                              routes use its edge) */
                                           "city.at(200, function() city.road.close_lane('426094557#2_1') end)\n"));
    static const char *const times[] = {"300", "400"};
    check_restores("ckpt_real_run", path, "900", times, 2);
}

/* Saving the scenario (and its controller, when given) in a scratch folder
 * at 30 s is refused with exit code 2 and both messages, writing nothing. */
static void expect_save_refused(const char *name, const char *scenario_text, const char *controller_text,
                                const char *msg1, const char *msg2)
{
    const char *dir = city_test_scratch(name);
    char st[4300], out[4300], scenario[4300], ctl[4300];
    snprintf(st, sizeof st, "%s/x.state", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(scenario, sizeof scenario, "%s/s.lua", dir);
    snprintf(ctl, sizeof ctl, "%s/ctl.lua", dir);
    assert_true(city_test_write_file(scenario, scenario_text));
    assert_true(!controller_text || city_test_write_file(ctl, controller_text));
    const char *args[] = {"run", scenario, "--save-state", st, "--at", "30", "--out", out, "--quiet", NULL};
    CityTestRun r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, msg1));
    assert_non_null(strstr(r.err, msg2));
    assert_false(city_test_exists(st));
    assert_false(city_test_exists(out));
    city_test_run_free(&r);
}

/* A timer a controller made after init cannot be rebuilt by a fresh
 * attach: saving refuses, names the controller, and writes nothing. */
static void test_refuses_controller_timer(void **state)
{
    (void)state;
    expect_save_refused("ckpt_ctl_timer",
                        "city.config{ dt_ms = 1000, until_s = 60 }\n"
                        "city.control.actuator{ name = 'g', kind = 'generic' }\n"
                        "city.control.attach{ file = 'ctl.lua', name = 'late', actuators = {'g'} }\n",
                        "function step()\n"
                        "  if now() == 5 then after(100, function() command('g', 1) end) end\n"
                        "end\n",
                        "controller 'late' has a timer pending that it made after init", "cannot checkpoint");
}

/* A table used as a key cannot be matched with a rebuilt one: saving
 * refuses, names the local that holds it, and writes nothing. */
static void test_refuses_unsaveable_state(void **state)
{
    (void)state;
    expect_save_refused("ckpt_refuse",
                        "city.config{ dt_ms = 1000, until_s = 60 }\n"
                        "local index = {}\n"
                        "city.every(10, function() index[{}] = city.time() end)\n",
                        NULL, "local 'index' of the function at",
                        "a table has a key that is not a number, string or boolean");
}

/* A controller's state holds only number and string keys: a boolean key
 * is refused by name, and nothing is written. */
static void test_refuses_controller_boolean_key(void **state)
{
    (void)state;
    expect_save_refused("ckpt_ctl_key",
                        "city.config{ dt_ms = 1000, until_s = 60 }\n"
                        "city.control.actuator{ name = 'g', kind = 'generic' }\n"
                        "city.control.attach{ file = 'ctl.lua', name = 'flags', actuators = {'g'} }\n",
                        "local seen = {}\n"
                        "function step() seen[true] = now() end\n",
                        "controller 'flags'", "a table has a key that is not a number or a string");
}

static void test_refuses_other_version_and_damage(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("ckpt_version");
    char st[4300], out[4300], bad[4300];
    snprintf(st, sizeof st, "%s/a.state", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    const char *save[] = {"run",  HEATWAVE, "--until", "7200", "--save-state", st,
                          "--at", "3600",   "--out",   out,    "--quiet",      NULL};
    CityTestRun r = city_test_run(save, 600);
    assert_int_equal(r.exit_code, 0); /* the day's whole-run checks are not reached at 02:00: no failure */
    assert_true(city_test_exists(st));
    city_test_run_free(&r);
    size_t len;
    char *data = city_test_read_file(st, &len);
    assert_non_null(data);
    /* the version string follows magic (8+16), format (4) and byte order (16+4), after its length (8) */
    char *ver = data + 8 + 16 + 4 + 16 + 4 + 8;
    assert_memory_equal(ver, "0.", 2);
    ver[0] = '9';
    snprintf(bad, sizeof bad, "%s/other.state", dir);
    FILE *f = fopen(bad, "wb");
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    const char *other[] = {"run", "--restore", bad, "--out", out, "--quiet", NULL};
    r = city_test_run(other, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "checkpoint from citylab 9."));
    assert_non_null(strstr(r.err, "restores only in the version that wrote it"));
    city_test_run_free(&r);
    ver[0] = '0';
    /* format 5 (before the road saved its lane swaps), this version */
    const uint32_t format_now = 8; /* this version's (scenario_state.c: CKPT_FORMAT) */
    char now_msg[96];
    snprintf(now_msg, sizeof now_msg, "(format %u): a checkpoint restores only in the version that wrote it",
             (unsigned)format_now);
    uint32_t format;
    memcpy(&format, data + 8 + 16, 4);
    assert_int_equal(format, format_now);
    format = 5;
    memcpy(data + 8 + 16, &format, 4);
    f = fopen(bad, "wb");
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    r = city_test_run(other, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "(format 5); this is citylab"));
    assert_non_null(strstr(r.err, now_msg));
    city_test_run_free(&r);
    format = format_now;
    memcpy(data + 8 + 16, &format, 4);
    data[len / 2] ^= 0x5a; /* one damaged byte in the middle */
    f = fopen(bad, "wb");
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    r = city_test_run(other, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "damaged (checksum mismatch)"));
    city_test_run_free(&r);
    free(data);
    const char *with_param[] = {"run", "--restore", st, "--param", "x=1", "--out", out, NULL};
    r = city_test_run(with_param, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "drop --param"));
    city_test_run_free(&r);
}

/* A checkpoint whose bytes were made by hand, checksum and all: the
 * controller state of scenarios/tutorial.lua (night_dim's table of loop
 * counts) with a NaN for the key 1 of its first entry (the same length).
 * Lua refuses a NaN key with an error that no protected call caught, and
 * the default panic aborted the process; now the restore is refused
 * (exit 2) with the place. A fuzz finding. */
static void test_refuses_hostile_controller_state(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("ckpt_hostile");
    char st[4300], out[4300], bad[4300];
    snprintf(st, sizeof st, "%s/a.state", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(bad, sizeof bad, "%s/bad.state", dir);
    const char *save[] = {"run",          CITY_SOURCE_DIR "/scenarios/tutorial.lua",
                          "--until",      "1200",
                          "--save-state", st,
                          "--at",         "900",
                          "--out",        out,
                          "--quiet",      NULL};
    CityTestRun r = city_test_run(save, 600);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    size_t len;
    unsigned char *data = (unsigned char *)city_test_read_file(st, &len);
    assert_non_null(data);
    /* key 1 (T_INT 3, little-endian 1) of an entry that is a table (T_TABLE 6) */
    static const unsigned char key_one[] = {3, 1, 0, 0, 0, 0, 0, 0, 0, 6};
    unsigned char *at = NULL;
    for (size_t i = 0; !at && i + sizeof key_one <= len; i++)
        if (!memcmp(data + i, key_one, sizeof key_one))
            at = data + i;
    assert_non_null(at);
    const double nan = NAN;
    at[0] = 4; /* T_FLT */
    memcpy(at + 1, &nan, 8);
    uint64_t h = 14695981039346656037ull; /* the checksum: FNV-1a of all but the last 8 bytes */
    for (size_t i = 0; i + 8 < len; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    memcpy(data + len - 8, &h, 8);
    FILE *f = fopen(bad, "wb");
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    free(data);
    const char *restore[] = {"run", "--restore", bad, "--out", out, "--quiet", NULL};
    r = city_test_run(restore, 60);
    if (r.exit_code != 2 || !strstr(r.err, "upvalue 'counts': damaged controller state (table key)"))
        fail_msg("exit %d: %s", r.exit_code, r.err);
    city_test_run_free(&r);
}

/* A fork (--restore with another --seed) is a run of its own: the same
 * fork twice is byte-identical, and it differs from its parent. */
static void test_forks(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("ckpt_fork");
    char st[4300], a[4300], b[4300], c[4300];
    snprintf(st, sizeof st, "%s/warm.state", dir);
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(c, sizeof c, "%s/parent", dir);
    const char *warm[] = {"run", DEFAULT_SCENARIO, "--until", "900", "--save-state", st, "--at", "600", "--out",
                          c,     "--quiet",        NULL};
    CityTestRun r = city_test_run(warm, 600);
    char parent[64];
    snprintf(parent, sizeof parent, "%s", hash_of(&r));
    city_test_run_free(&r);
    const char *fa[] = {"run", "--restore", st, "--seed", "7", "--until", "900", "--out", a, "--quiet", NULL};
    const char *fb[] = {"run", "--restore", st, "--seed", "7", "--until", "900", "--out", b, "--quiet", NULL};
    CityTestRun ra = city_test_run(fa, 600), rb = city_test_run(fb, 600);
    char ha[64];
    snprintf(ha, sizeof ha, "%s", hash_of(&ra));
    assert_string_equal(ha, hash_of(&rb));
    assert_string_not_equal(ha, parent);
    same_outputs(a, b);
    city_test_run_free(&ra);
    city_test_run_free(&rb);
}

/* A fork reseeds the controllers' random() too ("every random stream
 * reseeded"): a controller that commands random values commands others in
 * a fork than in its parent, and the same ones in the same fork twice. */
static void test_fork_reseeds_controllers(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("ckpt_fork_ctl");
    char path[4300], st[4300], parent[4300], a[4300], b[4300];
    snprintf(path, sizeof path, "mkdir -p %s/controllers", dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/controllers/rnd.lua", dir);
    assert_true(city_test_write_file(path, "function step() command('g', random(1000)) end\n"));
    snprintf(path, sizeof path, "%s/rnd.lua", dir);
    assert_true(city_test_write_file(path,
                                     "city.config{ dt_ms = 1000, until_s = 600, name = 'rnd' }\n"
                                     "city.control.actuator{ name = 'g', kind = 'generic', min = 0, max = 1000 }\n"
                                     "city.control.attach{ file = 'controllers/rnd.lua', name = 'rnd', "
                                     "actuators = { 'g' }, period = 60 }\n"));
    snprintf(st, sizeof st, "%s/rnd.state", dir);
    snprintf(parent, sizeof parent, "%s/parent", dir);
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    const char *run[] = {"run", path, "--save-state", st, "--at", "300", "--out", parent, "--quiet", NULL};
    CityTestRun r = city_test_run(run, 120);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    const char *fa[] = {"run", "--restore", st, "--seed", "7", "--out", a, "--quiet", NULL};
    const char *fb[] = {"run", "--restore", st, "--seed", "7", "--out", b, "--quiet", NULL};
    CityTestRun ra = city_test_run(fa, 120), rb = city_test_run(fb, 120);
    assert_int_equal(ra.exit_code, 0);
    assert_int_equal(rb.exit_code, 0);
    same_outputs(a, b);
    char pp[4400], pa[4400];
    snprintf(pp, sizeof pp, "%s/commands.csv", parent);
    snprintf(pa, sizeof pa, "%s/commands.csv", a);
    char *tp = city_test_read_file(pp, NULL), *ta = city_test_read_file(pa, NULL);
    assert_non_null(tp);
    assert_non_null(ta);
    int rows_p = 0, rows_a = 0; /* as many commands in both, one a minute */
    for (const char *q = tp; *q; q++)
        rows_p += *q == '\n';
    for (const char *q = ta; *q; q++)
        rows_a += *q == '\n';
    assert_int_equal(rows_p, rows_a);
    assert_true(rows_p >= 10);
    if (!strcmp(tp, ta))
        fail_msg("the fork's commands are its parent's: its controller kept the parent's random stream");
    free(tp);
    free(ta);
    city_test_run_free(&ra);
    city_test_run_free(&rb);
}

/* Field k (1-based) of a CSV row. */
static const char *csv_field(const char *row, int k)
{
    for (; k > 1 && row; k--)
        row = strchr(row, ',') ? strchr(row, ',') + 1 : NULL;
    if (!row)
        fail_msg("a short row in readings.csv");
    return row;
}

/* One column (1-based) of the rows of a run folder's readings.csv measured
 * after from_s, joined by ';' (a new string). */
static char *readings_column(const char *dir, int col, double from_s)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/readings.csv", dir);
    char *text = city_test_read_file(path, NULL);
    if (!text)
        fail_msg("no readings in %s", dir);
    char *out = calloc(strlen(text) + 1, 1), *o = out;
    assert_non_null(out);
    for (const char *row = strchr(text, '\n'); row && row[1]; row = strchr(row + 1, '\n')) {
        if (strtod(csv_field(row + 1, 5), NULL) <= from_s) /* measured_s */
            continue;
        const char *f = csv_field(row + 1, col);
        size_t n = strcspn(f, ",\n");
        memcpy(o, f, n);
        o += n;
        *o++ = ';';
    }
    free(text);
    return out;
}

/* A fork reseeds every sensor channel's stream: forks of one checkpoint
 * with other seeds read other noise on the same truth (a weather sensor:
 * the temperature profile draws nothing), the same seed twice reads the
 * same. Before, every fork drew its parent's noise. */
static void test_fork_reseeds_sensors(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("ckpt_fork_sensor");
    char path[4300], st[4300], run[4][4300];
    snprintf(path, sizeof path, "%s/noisy.lua", dir);
    assert_true(city_test_write_file(path, "city.config{ dt_ms = 1000, until_s = 600, name = 'noisy' }\n"
                                           "city.env.background{ pm25 = 15 }\n"
                                           "city.sensor.add{ name = 'thermo', kind = 'weather', "
                                           "quantity = 'temperature', period_s = 10, noise_sd = 0.5 }\n"));
    snprintf(st, sizeof st, "%s/noisy.state", dir);
    static const char *const names[] = {"parent", "a7", "b7", "c8"};
    for (int i = 0; i < 4; i++)
        snprintf(run[i], sizeof run[i], "%s/%s", dir, names[i]);
    const char *parent[] = {"run", path, "--save-state", st, "--at", "300", "--out", run[0], "--quiet", NULL};
    CityTestRun r = city_test_run(parent, 120);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    static const char *const seeds[] = {NULL, "7", "7", "8"};
    for (int i = 1; i < 4; i++) {
        const char *fork[] = {"run", "--restore", st, "--seed", seeds[i], "--out", run[i], "--quiet", NULL};
        r = city_test_run(fork, 120);
        assert_int_equal(r.exit_code, 0);
        city_test_run_free(&r);
    }
    char *value[4], *truth[4];
    for (int i = 0; i < 4; i++) {
        value[i] = readings_column(run[i], 3, 300.0);
        truth[i] = readings_column(run[i], 8, 300.0);
    }
    print_message("value %.60s\ntruth %.60s\n", value[0], truth[0]);
    assert_true(strlen(value[0]) > 60); /* 30 readings after the fork */
    for (int i = 1; i < 4; i++)
        assert_string_equal(truth[i], truth[0]);
    assert_string_equal(value[1], value[2]);
    if (!strcmp(value[1], value[3]))
        fail_msg("forks with seeds 7 and 8 read the same noise: the sensor streams were not reseeded");
    if (!strcmp(value[1], value[0]))
        fail_msg("the fork reads its parent's noise: the sensor streams were not reseeded");
    for (int i = 0; i < 4; i++) {
        free(value[i]);
        free(truth[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_bytes_deterministic),
        cmocka_unit_test(test_default_scenario_restores),
        cmocka_unit_test(test_heatwave_restores),
        cmocka_unit_test(test_ped_station_restores),
        cmocka_unit_test(test_real_network_restores),
        cmocka_unit_test(test_newton_grid_restores),
        cmocka_unit_test(test_grid_restores_before_first_solve),
        cmocka_unit_test(test_controllers_restore),
        cmocka_unit_test(test_wake_on_restores),
        cmocka_unit_test(test_refuses_controller_timer),
        cmocka_unit_test(test_refuses_unsaveable_state),
        cmocka_unit_test(test_refuses_controller_boolean_key),
        cmocka_unit_test(test_refuses_other_version_and_damage),
        cmocka_unit_test(test_refuses_hostile_controller_state),
        cmocka_unit_test(test_forks),
        cmocka_unit_test(test_fork_reseeds_controllers),
        cmocka_unit_test(test_fork_reseeds_sensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
