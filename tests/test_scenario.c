/* The scenario runtime in-process: sandbox, limits, deterministic pairs and
 * random numbers, callbacks, checks, KPIs and series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "city_scenario.h"
#include "test_support.h"

typedef struct Loaded {
    CityStatus status;
    CityScenario *sc;
    CityError err;
} Loaded;

static Loaded load_text(const char *name, const char *text, size_t mem_mb, uint64_t instructions, uint64_t seed)
{
    Loaded r;
    const char *dir = city_test_scratch(name);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.lua", dir, name);
    assert_true(city_test_write_file(path, text));
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = seed;
    o.until_s = -1;
    o.memory_limit_bytes = mem_mb << 20;
    o.instruction_limit = instructions;
    r.status = city_scenario_load(&o, &r.sc, &r.err);
    return r;
}

/* Runs a loaded scenario to its end; returns the status of the run. */
static CityStatus run_to_end(CityScenario *sc, char *err, size_t len)
{
    CityWorld *w = city_scenario_world(sc);
    int64_t end = city_scenario_end_tick(sc);
    CityStatus st = CITY_OK;
    while (st == CITY_OK && city_world_tick(w) < end && !city_world_stopped(w))
        st = city_scenario_step(sc);
    if (st == CITY_OK)
        st = city_scenario_finish(sc);
    snprintf(err, len, "%s", st == CITY_OK ? "" : city_world_error(w));
    return st;
}

static void expect_load_error(const char *name, const char *text, CityStatus want, const char *needle)
{
    Loaded r = load_text(name, text, 64, 0, 1);
    if (r.status != want || !strstr(r.err.msg, needle))
        fail_msg("%s: status %d (want %d), message: %s (want '%s')", name, r.status, want, r.err.msg, needle);
    assert_null(r.sc);
}

static void test_sandbox_closes_the_doors(void **state)
{
    (void)state;
    expect_load_error("os_exec", "os.execute('touch /tmp/citylab-pwned')", CITY_ERR_SCRIPT, "global 'os'");
    expect_load_error("io_open", "local f = io.open('/etc/passwd')", CITY_ERR_SCRIPT, "global 'io'");
    expect_load_error("dofile", "dofile('/etc/passwd')", CITY_ERR_SCRIPT, "global 'dofile'");
    expect_load_error("debug", "debug.getinfo(1)", CITY_ERR_SCRIPT, "global 'debug'");
    expect_load_error("package", "package.loadlib('libc.so.6', 'system')", CITY_ERR_SCRIPT, "global 'package'");
    expect_load_error("binary", "assert(load(string.char(27) .. 'LuaT\\0\\25\\147', 'x', 'b'))", CITY_ERR_SCRIPT,
                      "binary chunks are not allowed");
    expect_load_error("binary_t", "assert(load(string.char(27) .. 'LuaT\\0\\25\\147'))", CITY_ERR_SCRIPT,
                      "binary chunk");
    expect_load_error("dump", "local s = string.dump(function() end)", CITY_ERR_SCRIPT, "field 'dump'");
    expect_load_error("req_path", "require('../../etc/passwd')", CITY_ERR_SCRIPT, "paths are not allowed");
    expect_load_error("req_abs", "require('/etc/passwd')", CITY_ERR_SCRIPT, "paths are not allowed");
    expect_load_error("req_missing", "require('nothere')", CITY_ERR_SCRIPT, "no file nothere.lua");
    expect_load_error("seed", "math.randomseed(42)", CITY_ERR_SCRIPT, "--seed");
    expect_load_error("syntax", "local x = = 1", CITY_ERR_PARSE, "syntax.lua:1:");
    assert_false(city_test_exists("/tmp/citylab-pwned"));
}

static void test_require_inside_folder(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("req_ok");
    char path[4200];
    snprintf(path, sizeof path, "%s/helper.lua", dir);
    assert_true(city_test_write_file(path, "return { answer = 42 }"));
    snprintf(path, sizeof path, "%s/req_ok.lua", dir);
    assert_true(city_test_write_file(path, "local h = require('helper'); city.kpi('answer', h.answer)\n"
                                           "assert(require('helper') == h)"));
    CityScenarioOptions o = {0};
    o.path = path;
    o.until_s = 0;
    CityScenario *sc;
    CityError err;
    assert_int_equal(city_scenario_load(&o, &sc, &err), CITY_OK);
    double v = 0;
    assert_true(city_world_kpi_get(city_scenario_world(sc), "answer", &v));
    assert_true(v == 42);
    city_scenario_destroy(sc);
}

static void test_runaway_loop_is_stopped(void **state)
{
    (void)state;
    Loaded r = load_text("loop", "local n = 0\nwhile true do n = n + 1 end", 64, 2000000, 1);
    assert_int_equal(r.status, CITY_ERR_LIMIT);
    assert_non_null(strstr(r.err.msg, "loop.lua:2"));
    assert_non_null(strstr(r.err.msg, "--lua-instructions"));
    /* pcall must not swallow the abort */
    r = load_text("loop_pcall", "while true do pcall(function() while true do end end) end", 64, 2000000, 1);
    assert_int_equal(r.status, CITY_ERR_LIMIT);
    r = load_text("loop_xpcall", "while true do xpcall(function() while true do end end, print) end", 64, 2000000, 1);
    assert_int_equal(r.status, CITY_ERR_LIMIT);
    /* a loop inside a callback is stopped too, with the run's error */
    r = load_text("loop_cb", "city.at(1, function() while true do end end)", 64, 2000000, 1);
    assert_int_equal(r.status, CITY_OK);
    char err[2048];
    assert_int_equal(run_to_end(r.sc, err, sizeof err), CITY_ERR_LIMIT);
    assert_non_null(strstr(err, "loop_cb.lua:1"));
    city_scenario_destroy(r.sc);
}

static void test_memory_bomb_is_stopped(void **state)
{
    (void)state;
    Loaded r =
        load_text("bomb", "local t = {}\nwhile true do t[#t + 1] = string.rep('x', 1000000) .. #t end", 32, 0, 1);
    assert_int_equal(r.status, CITY_ERR_LIMIT);
    assert_non_null(strstr(r.err.msg, "memory"));
    assert_non_null(strstr(r.err.msg, "--lua-mem-mb"));
    r = load_text("bomb_pcall",
                  "local t = {}\nwhile true do pcall(function() t[#t + 1] = string.rep('y', 1e6) .. #t end) end", 32, 0,
                  1);
    assert_int_equal(r.status, CITY_ERR_LIMIT);
    /* one giant string is refused as well */
    r = load_text("bomb_rep", "local s = string.rep('x', 1 << 30)", 32, 0, 1);
    assert_int_equal(r.status, CITY_ERR_LIMIT);
}

/* Loads the scenario text under a Lua heap cap of cap_kb; the status. */
static CityStatus load_with_cap(const char *name, const char *text, size_t cap_kb)
{
    const char *dir = city_test_scratch(name);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.lua", dir, name);
    assert_true(city_test_write_file(path, text));
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = 1;
    o.until_s = -1;
    o.memory_limit_bytes = cap_kb << 10;
    CityScenario *sc = NULL;
    CityError err;
    CityStatus st = city_scenario_load(&o, &sc, &err);
    if (st != CITY_OK && st != CITY_ERR_LIMIT)
        fail_msg("%s under %zu KB: %s", name, cap_kb, err.msg);
    city_scenario_destroy(sc);
    return st;
}

/* city.grid.read_buildings holds C memory (the polygons and their order)
 * while it builds the result table: a Lua heap cap that runs out midway must
 * stop the scenario without leaking it (the sanitizer build checks the
 * leak). Caps between what an empty scenario needs and what the 1359 Jamsil
 * buildings need are cut inside the copy. */
static void test_read_buildings_out_of_memory(void **state)
{
    (void)state;
    const size_t step_kb = 16, empty_kb = 96;
    /* under some 30 KB the libraries cannot even open: a clean limit error, not an abort */
    assert_int_equal(load_with_cap("tiny_cap", "local x = 1\n", 8), CITY_ERR_LIMIT);
    assert_int_equal(load_with_cap("empty_cap", "local x = 1\n", empty_kb), CITY_OK);
    const char *text =
        "local b = city.grid.read_buildings{ poly = 'jamsil/jamsil.poly.xml', net = 'jamsil/jamsil.net.xml' }\n"
        "assert(#b == 1359, 'buildings: ' .. #b)\n"
        "for i = 2, #b do assert(b[i - 1].id < b[i].id, 'not sorted by id') end\n";
    size_t cap_kb = empty_kb;
    int n_cut = 0;
    while (cap_kb < 16384 && load_with_cap("buildings_cap", text, cap_kb) != CITY_OK) {
        n_cut++;
        cap_kb += step_kb;
    }
    printf("  an empty scenario fits in %zu KB, the buildings in %zu KB: %d loads cut inside the copy\n", empty_kb,
           cap_kb, n_cut);
    assert_true(cap_kb < 16384);
    assert_true(n_cut >= 5); /* the result (some 100 KB of tables and strings) was cut at several points */
}

static void test_pairs_order_is_sorted(void **state)
{
    (void)state;
    Loaded r = load_text("pairs",
                         "local t = {}\n"
                         "for _, k in ipairs({'pear', 'apple', 'fig', 'banana'}) do t[k] = #k end\n"
                         "t[10] = 1; t[2] = 1; t[true] = 1; t[-1.5] = 1\n"
                         "local seen = {}\n"
                         "for k in pairs(t) do seen[#seen + 1] = tostring(k) end\n"
                         "city.check('order', table.concat(seen, ' ') == '-1.5 2 10 apple banana fig pear true',"
                         " table.concat(seen, ' '))\n",
                         64, 0, 1);
    assert_int_equal(r.status, CITY_OK);
    const CityCheck *c = city_world_check_at(city_scenario_world(r.sc), 0);
    if (!c->pass)
        fail_msg("pairs order: %s", c->message);
    city_scenario_destroy(r.sc);
}

static void test_no_addresses_leak(void **state)
{
    (void)state;
    Loaded r = load_text("names",
                         "local a, b = {}, function() end\n"
                         "city.check('numbered', tostring(a) == 'table: #1' and tostring(b) == 'function: #2'"
                         " and tostring(a) == 'table: #1' and tostring(7) == '7', tostring(a) .. ' ' .. tostring(b))\n"
                         "city.check('format', ('%5.1f|%s'):format(2.25, 'x') == '  2.2|x' or"
                         " ('%5.1f|%s'):format(2.25, 'x') == '  2.3|x')\n",
                         64, 0, 1);
    assert_int_equal(r.status, CITY_OK);
    for (size_t i = 0; i < 2; i++) {
        const CityCheck *c = city_world_check_at(city_scenario_world(r.sc), i);
        if (!c->pass)
            fail_msg("%s: %s", c->name, c->message);
    }
    city_scenario_destroy(r.sc);
    expect_load_error("format_p", "local s = string.format('%p', {})", CITY_ERR_SCRIPT, "memory address");
}

static double random_kpi(uint64_t seed)
{
    Loaded r = load_text("rand",
                         "local s = 0 for i = 1, 100 do s = s + math.random(1, 6) + math.random() end\n"
                         "city.kpi('sum', s)",
                         64, 0, seed);
    assert_int_equal(r.status, CITY_OK);
    double v;
    assert_true(city_world_kpi_get(city_scenario_world(r.sc), "sum", &v));
    city_scenario_destroy(r.sc);
    return v;
}

static void test_random_follows_the_seed(void **state)
{
    (void)state;
    double a = random_kpi(7), b = random_kpi(7), c = random_kpi(8);
    assert_true(a == b);
    assert_true(a != c);
    /* 100 dice plus 100 uniforms: mean 400, sd ~18; 6 sigma bounds */
    assert_true(a > 290 && a < 510);
}

static void test_callbacks_checks_kpis_series(void **state)
{
    (void)state;
    Loaded r =
        load_text("cb",
                  "city.config{ dt_ms = 500, until_s = 10 }\n"
                  "local fired, every = {}, 0\n"
                  "city.at(2.0, function() fired[#fired + 1] = city.time() end)\n"
                  "local h = city.every(1.0, function() every = every + 1 end)\n"
                  "city.at(5.0, function() city.cancel(h) end)\n"
                  "city.series('every', function() return every end, { every = 2.5, unit = 'count' })\n"
                  "city.check('always_small', function() return every < 100, 'every=' .. every end, { every = 1 })\n"
                  "city.check('ends_at_5', function() return every == 5, 'every=' .. every end)\n"
                  "city.check('goes_wrong', function() return city.time() < 4, 't=' .. city.time() end,"
                  " { every = 1 })\n"
                  "city.kpi('first_at', function() return fired[1] end)\n",
                  64, 0, 1);
    assert_int_equal(r.status, CITY_OK);
    CityWorld *w = city_scenario_world(r.sc);
    assert_int_equal(city_world_dt_ms(w), 500);
    assert_int_equal(city_scenario_end_tick(r.sc), 20);
    char err[2048];
    assert_int_equal(run_to_end(r.sc, err, sizeof err), CITY_OK);
    double v;
    assert_true(city_world_kpi_get(w, "first_at", &v));
    assert_true(v == 2.0);
    /* every fired at t = 0,1,2,3,4 and was cancelled at 5 before its 5th... */
    const CityCheck *c0 = city_world_check_at(w, 0), *c1 = city_world_check_at(w, 1), *c2 = city_world_check_at(w, 2);
    assert_true(c0->pass);
    if (!c1->pass)
        fail_msg("ends_at_5: %s", c1->message);
    assert_false(c2->pass);
    assert_non_null(strstr(c2->message, "at 4.000 s")); /* the first failing evaluation is kept */
    const CityTable *t = city_world_table_at(w, 0);
    assert_string_equal(city_table_name(t), "series_every");
    assert_string_equal(city_table_header(t), "time_s,every_count");
    size_t len;
    /* Same-tick callbacks fire in the order they were declared: at t=0 the
     * every-callback (declared first) has already run once. */
    assert_string_equal(city_table_data(t, &len), "0.000,1\n2.500,3\n5.000,5\n7.500,5\n");
    city_scenario_destroy(r.sc);
}

/* city.sensor.readings(quantity) gives, in one call, what city.sensor.last
 * gives channel by channel: the same values, truths, times and qualities,
 * for exactly the channels of that quantity that have reported (some drop
 * readings, some are fed nothing, some measure another quantity), in the
 * order added. The check compares every field every 7 s. */
static void test_readings_in_bulk_as_last(void **state)
{
    (void)state;
    Loaded r = load_text(
        "bulk",
        "city.config{ dt_ms = 500, until_s = 120 }\n"
        "for i = 1, 40 do\n"
        "  city.sensor.add{ name = 'm' .. i, kind = 'manual', quantity = i % 3 == 0 and 'count' or 'pm25',\n"
        "                   period_s = 1 + i % 4, noise_sd = 1.5, dropout = 0.2, latency_s = i % 2, quantum = 0.1 }\n"
        "end\n"
        "city.every(0.5, function()\n"
        "  for i = 1, 40 do\n"
        "    if i % 5 ~= 0 then\n"
        "      city.sensor.feed('m' .. i, i % 3 == 0 and 'count' or 'pm25', 10 + i + city.time() / 10)\n"
        "    end\n"
        "  end\n"
        "end)\n"
        "local compared, bad = 0, nil\n"
        "city.every(7, function()\n"
        "  local b, k = city.sensor.readings('pm25'), 0\n"
        "  for _, s in ipairs(city.sensor.list()) do\n"
        "    if s.quantity == 'pm25' then\n"
        "      local one = city.sensor.last(s.name, 'pm25')\n"
        "      if one.value then\n"
        "        k = k + 1\n"
        "        compared = compared + 1\n"
        "        if b.name[k] ~= s.name or b.value[k] ~= one.value or b.truth[k] ~= one.truth\n"
        "           or b.measured_s[k] ~= one.measured_s or b.arrives_s[k] ~= one.arrives_s\n"
        "           or b.quality[k] ~= one.quality then bad = bad or (s.name .. ' at ' .. city.time()) end\n"
        "      end\n"
        "    end\n"
        "  end\n"
        "  if b.n ~= k or #b.name ~= k then bad = bad or ('count ' .. b.n .. ' vs ' .. k) end\n"
        "end)\n"
        "city.check('bulk_as_last', function() return not bad and compared > 300, (bad or '') .. ' '\n"
        "  .. compared end)\n",
        64, 0, 1);
    assert_int_equal(r.status, CITY_OK);
    char err[2048];
    assert_int_equal(run_to_end(r.sc, err, sizeof err), CITY_OK);
    const CityCheck *c = city_world_check_at(city_scenario_world(r.sc), 0);
    if (!c->pass)
        fail_msg("bulk_as_last: %s", c->message);
    city_scenario_destroy(r.sc);
}

/* A check states the window it covers: a run cut short scores what it
 * covered and reports the rest as not reached, never as a failure. */
static const char WINDOWS[] =
    "city.config{ dt_ms = 1000, until_s = 100 }\n"
    "local n = 0\n"
    "city.every(1, function() n = n + 1 end)\n"
    "city.check('whole', function() return n == 100, 'n=' .. n end, { whole_run = true })\n"
    "city.check('early', function() return city.time() == 20, 't=' .. city.time() end, { to = 20 })\n"
    "city.check('late', function() return city.time() == 60, 't=' .. city.time() end, { from = 50, to = 60 })\n"
    "city.check('inside', function() local t = city.time() return t >= 10 and t <= 25, 't=' .. t end,"
    " { every = 5, from = 10, to = 25 })\n"
    "city.check('plain', function() return n > 0, 'n=' .. n end)\n";

static CityWorld *run_windows(Loaded *r, const char *extra, int64_t stop_tick)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s", WINDOWS, extra);
    *r = load_text("windows", text, 64, 0, 1);
    assert_int_equal(r->status, CITY_OK);
    CityWorld *w = city_scenario_world(r->sc);
    while (city_world_tick(w) < stop_tick)
        assert_int_equal(city_scenario_step(r->sc), CITY_OK);
    assert_int_equal(city_scenario_finish(r->sc), CITY_OK);
    return w;
}

static const CityCheck *check_named(const CityWorld *w, const char *name)
{
    for (size_t i = 0; i < city_world_check_count(w); i++)
        if (!strcmp(city_world_check_at(w, i)->name, name))
            return city_world_check_at(w, i);
    fail_msg("no check '%s'", name);
    return NULL;
}

static void test_check_windows(void **state)
{
    (void)state;
    Loaded r;
    CityWorld *w = run_windows(&r, "", 100); /* the whole run */
    const char *names[] = {"whole", "early", "late", "inside", "plain"};
    for (size_t i = 0; i < 5; i++) {
        const CityCheck *c = check_named(w, names[i]);
        if (!c->evaluated || !c->pass || c->not_reached)
            fail_msg("%s: %s", names[i], c->message);
    }
    assert_string_equal(check_named(w, "early")->message, "t=20.0"); /* judged when its window closed */
    assert_string_equal(check_named(w, "late")->message, "t=60.0");
    assert_true(city_world_checks_pass(w));
    city_scenario_destroy(r.sc);

    w = run_windows(&r, "", 30); /* cut short at 30 s, as --until 30 does */
    assert_true(check_named(w, "whole")->not_reached);
    assert_non_null(strstr(check_named(w, "whole")->message, "needs 100.0 s"));
    assert_true(check_named(w, "late")->not_reached);
    assert_true(check_named(w, "early")->pass && !check_named(w, "early")->not_reached);
    assert_true(check_named(w, "inside")->pass && check_named(w, "plain")->pass);
    assert_true(city_world_checks_pass(w)); /* exit 0: nothing failed */
    city_scenario_destroy(r.sc);

    /* A failure inside the covered part stands even if the window is not finished. */
    w = run_windows(&r,
                    "city.check('real', function() return city.time() < 10, 't=' .. city.time() end,"
                    " { every = 5, to = 40 })\n",
                    30);
    const CityCheck *c = check_named(w, "real");
    assert_false(c->pass || c->not_reached);
    assert_non_null(strstr(c->message, "at 10.000 s"));
    assert_false(city_world_checks_pass(w));
    city_scenario_destroy(r.sc);

    expect_load_error("window_inverted", "city.check('x', function() return true end, { from = 20, to = 10 })\n",
                      CITY_ERR_SCRIPT, "the window ends (to) before it starts (from)");
}

static void test_bad_api_use_is_explained(void **state)
{
    (void)state;
    expect_load_error("bad_every", "city.every(0, function() end)", CITY_ERR_SCRIPT, "shorter than one tick");
    expect_load_error("bad_check", "city.check('x', 42)", CITY_ERR_SCRIPT, "must be a function");
    expect_load_error("bad_name", "city.kpi('a b', 1)", CITY_ERR_SCRIPT, "letters, digits");
    expect_load_error("bad_at", "city.at(-1, function() end)", CITY_ERR_SCRIPT, "out of range");
    expect_load_error("bad_config", "city.config{ dt_ms = 0 }", CITY_ERR_SCRIPT, "dt_ms 0 is out of range");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox_closes_the_doors),
        cmocka_unit_test(test_require_inside_folder),
        cmocka_unit_test(test_runaway_loop_is_stopped),
        cmocka_unit_test(test_memory_bomb_is_stopped),
        cmocka_unit_test(test_read_buildings_out_of_memory),
        cmocka_unit_test(test_pairs_order_is_sorted),
        cmocka_unit_test(test_random_follows_the_seed),
        cmocka_unit_test(test_no_addresses_leak),
        cmocka_unit_test(test_callbacks_checks_kpis_series),
        cmocka_unit_test(test_readings_in_bulk_as_last),
        cmocka_unit_test(test_check_windows),
        cmocka_unit_test(test_bad_api_use_is_explained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
