/* Control: commands are acknowledged or refused with the right reason and
 * counted; Lua controllers see readings only through the device API and
 * drive actuators; errors, budget overruns and stale inputs put the
 * actuators at their safe defaults while the run goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_control.h"
#include "city_road.h"
#include "city_scenario.h"
#include "test_support.h"

static void test_commands_checked_and_counted(void **state)
{
    (void)state;
    CityWorldConfig cfg = {.seed = 1, .dt_ms = 100};
    CityWorld *w = city_world_create(&cfg);
    CityActuatorDef d = city_actuator_def_default(CITY_ACT_STORAGE, "bat1");
    d.min = -50;
    d.max = 50;
    assert_int_equal(city_actuator_add(w, &d), 0);
    CityActuatorDef l = city_actuator_def_default(CITY_ACT_STREETLIGHT, "lights");
    l.min = 0;
    l.max = 1;
    assert_int_equal(city_actuator_add(w, &l), 1);
    assert_int_equal(city_actuator_add(w, &d), -1); /* duplicate */
    CityActuatorDef bad = city_actuator_def_default(CITY_ACT_GENERIC, "bad");
    bad.min = 1;
    bad.max = 2; /* safe 0 outside */
    assert_int_equal(city_actuator_add(w, &bad), -1);
    bad.name = "no/slash";
    bad.min = -1;
    assert_int_equal(city_actuator_add(w, &bad), -1);

    CityControl *c = city_control_of(w);
    assert_int_equal(city_control_command(w, "t", "bat1", 20, 0, NULL, 0), CITY_CMD_ACK);
    assert_true(city_actuator_value(c, 0) == 20.0);
    assert_int_equal(city_control_command(w, "t", "bat1", 60, 0, NULL, 0), CITY_CMD_OUT_OF_LIMITS);
    assert_int_equal(city_control_command(w, "t", "nope", 1, 0, NULL, 0), CITY_CMD_UNKNOWN_ACTUATOR);
    assert_int_equal(city_control_command(w, "t", "bat1", NAN, 0, NULL, 0), CITY_CMD_NOT_A_NUMBER);
    const int32_t only_lights[] = {1};
    assert_int_equal(city_control_command(w, "t", "bat1", 5, 0, only_lights, 1), CITY_CMD_NOT_ALLOWED);
    assert_int_equal(city_control_command(w, "t", "lights", 0.5, 0, only_lights, 1), CITY_CMD_ACK);
    assert_true(city_actuator_value(c, 0) == 20.0); /* refusals change nothing */

    city_control_failsafe(w, 0, "test");
    city_control_failsafe(w, 0, "again"); /* no second event */
    assert_true(city_actuator_value(c, 0) == 0.0);
    assert_int_equal(city_control_command(w, "t", "bat1", 10, 0, NULL, 0), CITY_CMD_FAILSAFE);
    city_control_release(w, 0);
    assert_int_equal(city_control_command(w, "t", "bat1", -10, 0, NULL, 0), CITY_CMD_ACK);
    assert_true(city_actuator_value(c, 0) == -10.0);

    CityControlStats st;
    city_control_stats(c, &st);
    assert_int_equal(st.commands, 8);
    assert_int_equal(st.results[CITY_CMD_ACK], 3);
    assert_int_equal(st.results[CITY_CMD_OUT_OF_LIMITS], 1);
    assert_int_equal(st.results[CITY_CMD_UNKNOWN_ACTUATOR], 1);
    assert_int_equal(st.results[CITY_CMD_NOT_A_NUMBER], 1);
    assert_int_equal(st.results[CITY_CMD_NOT_ALLOWED], 1);
    assert_int_equal(st.results[CITY_CMD_FAILSAFE], 1);
    assert_int_equal(st.failsafe_events, 1);
    CityActuatorStatus as;
    city_actuator_status(c, 0, &as);
    assert_int_equal(as.acks, 2);
    assert_int_equal(as.refusals, 4);
    assert_int_equal(as.failsafes, 1);
    /* one row per command in commands.csv */
    const CityTable *t = NULL;
    for (size_t i = 0; i < city_world_table_count(w); i++)
        if (!strcmp(city_table_name(city_world_table_at(w, i)), "commands"))
            t = city_world_table_at(w, i);
    assert_non_null(t);
    assert_int_equal(city_table_rows(t), 8);
    city_world_destroy(w);
}

/* A manual sensor fed a ramp (value = t) every second, read every second with 0.5 s latency;
 * it dies (reports nothing) at the given time. */
static const char *const RAMP_LUA =
    "city.config{ dt_ms = 100, until_s = %d }\n"
    "city.sensor.add{ name = 's1', kind = 'manual', quantity = 'power', period_s = 1, latency_s = 0.5,\n"
    "                 fault = 'dead', fault_at_s = %d }\n"
    "city.every(1, function() city.sensor.feed('s1', 'power', city.time()) end, 0)\n"
    "city.control.actuator{ name = 'a1', kind = 'generic', min = -100, max = 100, safe = -1 }\n"
    "city.control.actuator{ name = 'a2', kind = 'generic', min = 0, max = 1 }\n"
    "city.control.attach{ file = 'ctl.lua', sensors = {'s1'}, actuators = {'a1'}, params = { gain = 2, tag = 'x' },\n"
    "                     period = 1, stale_s = %g, instructions = 200000 }\n";

typedef struct RunOut {
    double a1;
    bool failsafe;
    uint64_t commands, acks, failsafes, refusals;
    uint64_t hash;
} RunOut;

static void run_ramp(const char *ctl, int until_s, int feed_until_s, double stale_s, uint64_t seed, RunOut *out)
{
    const char *dir = city_test_scratch("control_ramp");
    char path[4200], text[2048];
    snprintf(path, sizeof path, "%s/ctl.lua", dir);
    assert_true(city_test_write_file(path, ctl));
    snprintf(path, sizeof path, "%s/ramp.lua", dir);
    snprintf(text, sizeof text, RAMP_LUA, until_s, feed_until_s, stale_s);
    assert_true(city_test_write_file(path, text));
    CityScenario *sc = city_test_scenario_run(path, seed);
    CityWorld *w = city_scenario_world(sc);
    CityControl *c = city_control_of(w);
    CityActuatorStatus as;
    city_actuator_status(c, 0, &as);
    CityControlStats st;
    city_control_stats(c, &st);
    *out = (RunOut){as.value,           as.failsafe,
                    st.commands,        st.results[CITY_CMD_ACK],
                    st.failsafe_events, st.commands - st.results[CITY_CMD_ACK],
                    city_world_hash(w)};
    city_scenario_destroy(sc);
}

/* Follows the sensor: a1 = gain * reading, and reports what it saw. */
static const char *const FOLLOW = "local g = param('gain')\n"
                                  "assert(param('tag') == 'x' and param('none') == nil and g == 2)\n"
                                  "function step()\n"
                                  "  local v, t, q = read('s1')\n"
                                  "  if v then assert(q == 'good' and now() - t >= 0.5); command('a1', g * v) end\n"
                                  "end\n";

static void test_lua_controller_follows_readings(void **state)
{
    (void)state;
    RunOut a, b, c;
    run_ramp(FOLLOW, 30, 100, 0, 7, &a);
    /* the last step (t = 29 s) sees the newest arrived reading: measured at 28 s (arrived 28.5 s),
     * value 28, so a1 = gain 2 * 28 */
    assert_false(a.failsafe);
    assert_int_equal(a.refusals, 0);
    assert_true(a.a1 == 56.0);
    /* the first sample is at 1 s and arrives at 1.5 s: commands from the 2 s step to 29 s */
    assert_int_equal(a.commands, 28);
    assert_int_equal(a.commands, a.acks);
    run_ramp(FOLLOW, 30, 100, 0, 7, &b);
    assert_true(a.hash == b.hash);
    assert_true(a.a1 == b.a1);
    run_ramp(FOLLOW, 30, 100, 0, 8, &c);
    assert_true(c.a1 == a.a1); /* nothing random in it */
}

static void test_refusals_counted_not_fatal(void **state)
{
    (void)state;
    RunOut a;
    run_ramp("function step()\n"
             "  local ok, why = command('a2', 0.5); assert(not ok and why == 'not_allowed')\n"
             "  ok, why = command('zz', 1); assert(not ok and why == 'unknown_actuator')\n"
             "  ok, why = command('a1', 1000); assert(not ok and why == 'out_of_limits')\n"
             "  assert(command('a1', 3))\n"
             "end\n",
             10, 100, 0, 1, &a);
    /* steps at t = 0 .. 9 s: 10 steps of 4 commands, 3 refused each */
    assert_int_equal(a.commands, 40);
    assert_int_equal(a.refusals, 30);
    assert_true(a.a1 == 3.0);
}

/* A repeating timer on ticks longer than its period runs at most once a
 * tick and skips the due times it missed, as on a busy device: every 1.5 s
 * on 1 s ticks is due at 1.5, 3, 4.5, 6 ... s and runs at 2, 3, 5, 6, 8, 9 s.
 * A delay longer than any run (or not a number) is refused. */
static void test_timers_skip_missed_times(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("control_timers");
    char path[4200];
    snprintf(path, sizeof path, "%s/ctl.lua", dir);
    assert_true(city_test_write_file(path, "local fired, at = 0, {}\n"
                                           "every(1.5, function() fired = fired + 1; at[#at + 1] = now() end)\n"
                                           "function step()\n"
                                           "  command('a1', fired)\n"
                                           "  if now() == 9 then command('a2', table.concat(at, ',') == "
                                           "'2.0,3.0,5.0,6.0,8.0,9.0' and 1 or 0) end\n"
                                           "end\n"));
    snprintf(path, sizeof path, "%s/timers.lua", dir);
    assert_true(
        city_test_write_file(path, "city.config{ dt_ms = 1000, until_s = 10 }\n"
                                   "city.control.actuator{ name = 'a1', kind = 'generic', min = 0, max = 100 }\n"
                                   "city.control.actuator{ name = 'a2', kind = 'generic', min = 0, max = 1 }\n"
                                   "city.control.attach{ file = 'ctl.lua', actuators = {'a1', 'a2'}, period = 1 }\n"));
    CityScenario *sc = city_test_scenario_run(path, 1);
    CityControl *c = city_control_of(city_scenario_world(sc));
    CityActuatorStatus fired, times_right;
    city_actuator_status(c, 0, &fired);
    city_actuator_status(c, 1, &times_right);
    assert_true(fired.value == 6.0);
    assert_true(times_right.value == 1.0);
    city_scenario_destroy(sc);
    const char *const too_long[] = {"every(2e9, function() end)\n", "after(1e300, function() end)\n",
                                    "after(0/0, function() end)\n"};
    for (size_t i = 0; i < sizeof too_long / sizeof too_long[0]; i++) {
        snprintf(path, sizeof path, "%s/ctl.lua", dir);
        assert_true(city_test_write_file(path, too_long[i]));
        snprintf(path, sizeof path, "%s/timers.lua", dir);
        CityScenarioOptions o = {.path = path, .seed = 1, .until_s = -1};
        CityError err;
        sc = NULL;
        assert_int_not_equal(city_scenario_load(&o, &sc, &err), CITY_OK);
        if (!strstr(err.msg, "give a delay in seconds") || !strstr(err.msg, "at most 1e9"))
            fail_msg("%s", err.msg);
    }
}

static void test_failsafe_on_error(void **state)
{
    (void)state;
    RunOut a;
    run_ramp("function step() command('a1', 5); if now() >= 5 then error('boom') end end\n", 20, 100, 0, 1, &a);
    assert_true(a.failsafe);
    assert_true(a.a1 == -1.0); /* safe default */
    assert_int_equal(a.failsafes, 1);
    assert_int_equal(a.commands, 6); /* t = 0..5; none after it stopped */
}

static void test_failsafe_on_budget(void **state)
{
    (void)state;
    RunOut a;
    run_ramp("function step() command('a1', 5); if now() >= 3 then while true do end end end\n", 20, 100, 0, 1, &a);
    assert_true(a.failsafe);
    assert_true(a.a1 == -1.0);
    assert_int_equal(a.failsafes, 1);
    assert_int_equal(a.commands, 4);
}

/* The budget (200,000 instructions) is per tick: a step of about 120,000 every second runs for ever,
 * one of about 300,000 is stopped at once. */
static void test_budget_per_tick(void **state)
{
    (void)state;
    RunOut a;
    run_ramp("function step() local x = 0; for i = 1, 60000 do x = x + i end; command('a1', 1) end\n", 10, 100, 0,
             1, &a);
    assert_false(a.failsafe);
    assert_int_equal(a.commands, 10);
    run_ramp("function step() local x = 0; for i = 1, 150000 do x = x + i end; command('a1', 1) end\n", 10, 100, 0,
             1, &a);
    assert_true(a.failsafe);
    assert_int_equal(a.commands, 0);
}

static void test_failsafe_on_memory(void **state)
{
    (void)state;
    RunOut a;
    run_ramp("local t = {}\nfunction step() command('a1', 5)\n"
             "  if now() >= 2 then for i = 1, 1e6 do t[#t + 1] = string.rep('x', 100) .. i end end end\n",
             10, 100, 0, 1, &a);
    assert_true(a.failsafe);
    assert_true(a.a1 == -1.0);
    assert_int_equal(a.failsafes, 1);
}

static void test_failsafe_on_stale_inputs(void **state)
{
    (void)state;
    RunOut a;
    /* feed stops after 10 s: the last reading (measured 11 s) arrives at 11.5 s;
     * 3 s later (14.5 s < t) the actuator goes safe and commands are refused */
    run_ramp(FOLLOW, 20, 10, 3, 1, &a);
    assert_true(a.failsafe);
    assert_true(a.a1 == -1.0);
    assert_int_equal(a.failsafes, 1);
    assert_true(a.refusals >= 4); /* steps at 15..19 s refused */
    RunOut b;
    run_ramp(FOLLOW, 20, 100, 3, 1, &b); /* fed all along: never stale */
    assert_false(b.failsafe);
    assert_int_equal(b.failsafes, 0);
}

/* Three counts every second: g1 = t except at multiples of 4 (0), clipped at 5 (above it "uncertain");
 * g2 dead from the start (never reports); g3 = t mod 3. */
static const char *const GROUP_LUA =
    "city.config{ dt_ms = 500, until_s = 30 }\n"
    "city.sensor.add{ name = 'g1', kind = 'manual', quantity = 'count', period_s = 1, max = 5 }\n"
    "city.sensor.add{ name = 'g2', kind = 'manual', quantity = 'count', period_s = 1, fault = 'dead', fault_at_s = 0 }\n"
    "city.sensor.add{ name = 'g3', kind = 'manual', quantity = 'count', period_s = 1 }\n"
    "city.every(1, function() local t = city.time()\n"
    "  city.sensor.feed('g1', 'count', t %% 4 == 0 and 0 or t); city.sensor.feed('g2', 'count', 1)\n"
    "  city.sensor.feed('g3', 'count', t %% 3) end, 0)\n"
    "city.control.actuator{ name = 'a1', kind = 'generic', min = -1e9, max = 1e9, safe = -1 }\n"
    "city.control.attach{ file = 'ctl.lua', sensors = {'g1', 'g2', 'g3'}, actuators = {'a1'}, period = 1%s }\n";

/* Runs GROUP_LUA with the controller ctl (more attach options in `extra`); a1 at the end, commands, fail-safe. */
static void run_group_with(const char *ctl, const char *extra, RunOut *out)
{
    const char *dir = city_test_scratch("control_group");
    char path[4200];
    snprintf(path, sizeof path, "%s/ctl.lua", dir);
    assert_true(city_test_write_file(path, ctl));
    snprintf(path, sizeof path, "%s/group.lua", dir);
    char text[2048];
    snprintf(text, sizeof text, GROUP_LUA, extra);
    assert_true(city_test_write_file(path, text));
    CityScenario *sc = city_test_scenario_run(path, 1);
    CityWorld *w = city_scenario_world(sc);
    CityActuatorStatus as;
    city_actuator_status(city_control_of(w), 0, &as);
    CityControlStats st;
    city_control_stats(city_control_of(w), &st);
    *out = (RunOut){.a1 = as.value,
                    .failsafe = as.failsafe,
                    .commands = st.commands,
                    .failsafes = st.failsafe_events,
                    .hash = city_world_hash(w)};
    city_scenario_destroy(sc);
}

static void run_group(const char *ctl, RunOut *out)
{
    run_group_with(ctl, "", out);
}

/* group/first/sum give what loops of read() give, and a1 accumulates them so that a wrong answer shows. */
static const char *const GROUP_CTL =
    "local ids = {'g1', 'g2/count', 'g3'}\n"
    "local g, h = group(ids), group('g3  g1/count')\n"
    "local function ref_first(list, above)\n"
    "  for i, id in ipairs(list) do local v, _, q = read(id)\n"
    "    if v and q ~= 'bad' and v > above then return i, v end end\n"
    "end\n"
    "local function ref_sum(list)\n"
    "  local s, n = 0, 0\n"
    "  for _, id in ipairs(list) do local v, _, q = read(id); if v and q ~= 'bad' then s, n = s + v, n + 1 end end\n"
    "  return s, n\n"
    "end\n"
    "local acc, uncertain = 0, 0\n"
    "function step()\n"
    "  local i, v = first(g); local ri, rv = ref_first(ids, 0); assert(i == ri and v == rv)\n"
    "  local j, w = first(h, 1); local rj, rw = ref_first({'g3', 'g1'}, 1); assert(j == rj and w == rw)\n"
    "  local s, n = sum(g); local rs, rn = ref_sum(ids); assert(s == rs and n == rn)\n"
    "  if select(3, read('g1')) == 'uncertain' then uncertain = uncertain + 1 end\n"
    "  acc = acc + (i or 0) * 1000 + (j or 0) * 100 + s + n\n"
    "  command('a1', acc + uncertain * 1e5)\n"
    "end\n";

static void test_sensor_groups(void **state)
{
    (void)state;
    RunOut a;
    run_group(GROUP_CTL, &a);
    assert_false(a.failsafe);
    assert_int_equal(a.commands, 30); /* steps at 0 .. 29 s */
    /* The step at t sees the readings measured at t (manual sensors, no latency; none at 0 s). With
     * g1(t) = min(t, 5) unless t % 4 == 0 (then 0) and g3(t) = t % 3: first(g) is 1 when g1 > 0, else 3
     * when g3 > 0; first(h, 1) is 1 when g3 > 1, else 2 when g1 > 1; sum(g) = g1 + g3 over 2 readings. */
    double acc = 0;
    int uncertain = 0;
    for (int t = 1; t < 30; t++) {
        const double g1 = t % 4 == 0 ? 0 : (t > 5 ? 5 : t), g3 = t % 3;
        const int i = g1 > 0 ? 1 : g3 > 0 ? 3 : 0, j = g3 > 1 ? 1 : g1 > 1 ? 2 : 0;
        acc += i * 1000 + j * 100 + g1 + g3 + 2;
        uncertain += t % 4 != 0 && t > 5;
    }
    assert_true(uncertain > 0);
    assert_true(a.a1 == acc + uncertain * 1e5);
}

/* A controller that only keeps last readings takes those of channels with
 * no latency from the sensors when it runs; one with a stale check has each
 * delivered. Both see the same readings, and so command the same. */
static void test_direct_readings_match_delivery(void **state)
{
    (void)state;
    RunOut direct, delivered;
    run_group(GROUP_CTL, &direct);
    run_group_with(GROUP_CTL, ", stale_s = 1000", &delivered);
    assert_int_equal(direct.commands, 30);
    assert_int_equal(delivered.commands, direct.commands);
    assert_true(delivered.a1 == direct.a1);
    assert_false(delivered.failsafe);
}

/* A subscription made in step() gets every reading from the next sample
 * on, although until then the controller took its readings directly. */
static void test_subscribe_after_init(void **state)
{
    (void)state;
    RunOut a;
    run_group("local n, late = 0, false\n"
              "function step()\n"
              "  local v = read('g3')\n"
              "  if now() >= 10 and not late then\n"
              "    assert(v == 10 % 3); late = true\n"
              "    subscribe('g3', function(id, value) assert(value == now() % 3); n = n + 1 end)\n"
              "  end\n"
              "  command('a1', n)\n"
              "end\n",
              &a);
    assert_false(a.failsafe);
    assert_int_equal(a.commands, 30);
    assert_true(a.a1 == 19.0); /* the readings measured at 11 .. 29 s */
}

/* wake_on(g, above): step() is skipped until a period where first(g, above)
 * finds a reading, and each skipped period counts as a step that returned at
 * once: the run is the one of a controller that tests first() itself. Both
 * command (a count of the steps that did something) only when they act. */
static const char *const WAKE_CTL = "local g = group('g2 g1')\n"
                                     "local n = 0\n"
                                     "function step()\n"
                                     "  local i = first(g, 3)\n"
                                     "  n = n + 1; command('a1', n * 1000 + now() * 10 + (i or 0))\n"
                                     "  if not i then return wake_on(g, 3) end\n"
                                     "end\n";
static const char *const WAKE_REF = "local g = group('g2 g1')\n"
                                    "local n, waiting = 0, false\n"
                                    "function step()\n"
                                    "  local i = first(g, 3)\n"
                                    "  if waiting and not i then return end\n"
                                    "  waiting = false\n"
                                    "  n = n + 1; command('a1', n * 1000 + now() * 10 + (i or 0))\n"
                                    "  if not i then waiting = true end\n"
                                    "end\n";

static void test_wake_on(void **state)
{
    (void)state;
    RunOut wake, ref, every;
    run_group(WAKE_CTL, &wake);
    run_group(WAKE_REF, &ref);
    run_group("local g = group('g2 g1')\nlocal n = 0\n"
              "function step() local i = first(g, 3); n = n + 1; command('a1', n * 1000 + now() * 10 + (i or 0)) end\n",
              &every);
    assert_false(wake.failsafe);
    /* g1 (position 2; g2 is dead) is t, clipped at 5, and 0 at multiples of 4. The step at 0 s finds
     * nothing above 3 and waits; 1 .. 4 s have g1 <= 3: skipped; from 5 s on g1 is 5 but at 8, 12, ...
     * (0), where the step runs (it did not wait) and waits, and the next second's 5 wakes it. */
    assert_int_equal(wake.commands, 30 - 4);
    assert_true(wake.a1 == 26 * 1000 + 29 * 10 + 2);
    assert_int_equal(ref.commands, wake.commands);
    assert_true(ref.a1 == wake.a1);
    assert_true(ref.hash == wake.hash); /* the skipped periods count as steps run */
    assert_int_equal(every.commands, 30);
    assert_true(every.hash != wake.hash);
    /* misuse: not a group */
    run_group("function step() command('a1', 1); if now() >= 2 then wake_on(3) end end\n", &wake);
    assert_true(wake.failsafe);
    assert_int_equal(wake.commands, 3);
}

/* wake_at(t): step() is skipped while now() < t, as a step that begins
 * with `if now() < t then return end`. The step at s waits until
 * s + n % 4 + 0.5 (n its count), so the next runs at the second after. */
static void test_wake_at(void **state)
{
    (void)state;
    RunOut wake, ref;
    run_group("local n = 0\n"
              "function step()\n"
              "  n = n + 1; command('a1', n * 1000 + now())\n"
              "  return wake_at(now() + n % 4 + 0.5)\n"
              "end\n",
              &wake);
    run_group("local n, at = 0, 0\n"
              "function step()\n"
              "  if now() < at then return end\n"
              "  n = n + 1; command('a1', n * 1000 + now())\n"
              "  at = now() + n % 4 + 0.5\n"
              "end\n",
              &ref);
    int n = 0, last = 0;
    for (double t = 0, at = 0; t < 30; t++)
        if (!(t < at)) {
            n++;
            last = (int)t;
            at = t + n % 4 + 0.5;
        }
    assert_false(wake.failsafe);
    assert_int_equal(wake.commands, n);
    assert_true(n < 20);
    assert_true(wake.a1 == n * 1000 + last);
    assert_int_equal(ref.commands, wake.commands);
    assert_true(ref.a1 == wake.a1);
    assert_true(ref.hash == wake.hash);
}

/* Misuse stops the controller (fail-safe) or refuses the attach. */
static void test_sensor_group_misuse(void **state)
{
    (void)state;
    RunOut a;
    run_group("function step() command('a1', 1); if now() >= 3 then group({'g1'}) end end\n", &a); /* too late */
    assert_true(a.failsafe);
    assert_true(a.a1 == -1.0);
    assert_int_equal(a.commands, 4);
    run_group("function step() command('a1', 1); if now() >= 2 then first(7) end end\n", &a); /* no such group */
    assert_true(a.failsafe);
    assert_int_equal(a.commands, 3);
    run_group("local g = group{'g1'}\nfunction step() command('a1', 1); sum(g + 1) end\n", &a);
    assert_true(a.failsafe);
    assert_int_equal(a.commands, 1);
    const char *dir = city_test_scratch("control_group");
    char path[4200], text[2048];
    snprintf(path, sizeof path, "%s/group.lua", dir);
    snprintf(text, sizeof text, GROUP_LUA, "");
    assert_true(city_test_write_file(path, text));
    snprintf(path, sizeof path, "%s/ctl.lua", dir);
    const char *bad[] = {"group{'g1', 'nope'}\n", "group{'g1', 5}\n", "group(5)\n"};
    for (int k = 0; k < 3; k++) {
        assert_true(city_test_write_file(path, bad[k]));
        snprintf(path, sizeof path, "%s/group.lua", dir);
        CityScenarioOptions o = {.path = path, .seed = 1, .until_s = -1};
        CityScenario *sc = NULL;
        CityError err = {0};
        assert_int_not_equal(city_scenario_load(&o, &sc, &err), CITY_OK);
        assert_non_null(strstr(err.msg, k == 0 ? "group: sensor 'nope' is not among" : "group"));
        snprintf(path, sizeof path, "%s/ctl.lua", dir);
    }
}

/* Feeder power 100 + 80 sin(2 pi t / 60) kW, read every 2 s; a battery of +-50 kW shaving above 150 kW
 * and filling below 60 kW, by the Lua controller or its C twin. */
static const char *const SHAVE_LUA =
    "city.config{ dt_ms = 500, until_s = 240 }\n"
    "city.sensor.add{ name = 'feeder', kind = 'manual', quantity = 'power', period_s = 2 }\n"
    "city.every(1, function() city.sensor.feed('feeder', 'power', 100 + 80 * math.sin(2 * math.pi * city.time() / 60)) "
    "end, 0)\n"
    "city.control.actuator{ name = 'bat', kind = 'generic', min = -50, max = 50 }\n"
    "city.control.attach{ file = '%s', name = 'ps', sensors = {'feeder'}, actuators = {'bat'}, period = 2,\n"
    "  params = { sensor = 'feeder', battery = 'bat', limit_kw = 150, floor_kw = 60, power_kw = 50 } }\n";

static char *shave_commands(const char *file, double *sum_pos, double *sum_neg)
{
    const char *dir = city_test_scratch("control_shave");
    char path[4200], text[2048];
    snprintf(text, sizeof text, "cp %s/controllers/peak_shave.lua %s/peak_shave.so %s/", CITY_SOURCE_DIR "/scenarios",
             CITY_CONTROLLERS_DIR, dir);
    assert_int_equal(system(text), 0);
    snprintf(path, sizeof path, "%s/shave.lua", dir);
    snprintf(text, sizeof text, SHAVE_LUA, file);
    assert_true(city_test_write_file(path, text));
    CityScenario *sc = city_test_scenario_run(path, 1);
    CityWorld *w = city_scenario_world(sc);
    char *out = NULL;
    *sum_pos = *sum_neg = 0;
    for (size_t i = 0; i < city_world_table_count(w); i++) {
        const CityTable *t = city_world_table_at(w, i);
        if (strcmp(city_table_name(t), "commands"))
            continue;
        size_t len;
        const char *data = city_table_data(t, &len);
        out = strndup(data, len);
        for (const char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
            double t_s, v;
            long long ms;
            if (sscanf(line, "%lf,%lld,ps,bat,%lf,ack", &t_s, &ms, &v) == 3)
                *(v > 0 ? sum_pos : sum_neg) += v;
        }
    }
    city_scenario_destroy(sc);
    assert_non_null(out);
    return out;
}

static void test_c_controller_twin_of_lua(void **state)
{
    (void)state;
    double pos_lua, neg_lua, pos_c, neg_c;
    char *lua = shave_commands("peak_shave.lua", &pos_lua, &neg_lua);
    char *so = shave_commands("peak_shave.so", &pos_c, &neg_c);
    assert_string_equal(lua, so); /* identical command logs */
    /* every reading (measured at 2, 4, ..., 238 s, no latency) gives the command of the rule */
    /* (here the meter does not see the battery, so "reading + last setpoint" overshoots) */
    double pos = 0, neg = 0, last = 0;
    for (int t = 2; t < 240; t += 2) {
        const double p = 100 + 80 * sin(2 * M_PI * t / 60) + last;
        const double set = p > 150 ? fmin(p - 150, 50) : p < 60 ? -fmin(60 - p, 50) : 0;
        *(set > 0 ? &pos : &neg) += set;
        last = set;
    }
    assert_true(pos > 0 && neg < 0);
    assert_true(fabs(pos_lua - pos) < 1e-9 * pos && fabs(neg_lua - neg) < 1e-9 * -neg);
    assert_true(pos_c == pos_lua && neg_c == neg_lua);
    free(lua);
    free(so);
}

/* scenarios/peak_shave.lua: the feeder's peak against the uncontrolled day. */
/* A C controller's state is its shared object's: a checkpoint of a run
 * with one is refused by name (exit 2, nothing written), never saved
 * without it. */
static void test_checkpoint_refuses_c_controller(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("control_ckpt_so");
    char path[4200], text[2048], st[4200], out[4200];
    snprintf(text, sizeof text, "cp %s/peak_shave.so %s/", CITY_CONTROLLERS_DIR, dir);
    assert_int_equal(system(text), 0);
    snprintf(path, sizeof path, "%s/shave.lua", dir);
    snprintf(text, sizeof text, SHAVE_LUA, "peak_shave.so");
    assert_true(city_test_write_file(path, text));
    snprintf(st, sizeof st, "%s/x.state", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"run", path, "--save-state", st, "--at", "30", "--out", out, "--quiet", NULL};
    CityTestRun r = city_test_run(args, 120);
    assert_int_equal(r.exit_code, 2);
    if (!strstr(r.err, "controller 'ps' is a C shared object") || !strstr(r.err, "cannot checkpoint"))
        fail_msg("a checkpoint with a C controller says '%s'", r.err);
    assert_false(city_test_exists(st));
    assert_false(city_test_exists(out));
    city_test_run_free(&r);
}

static double peak_shave_kpi(const char *param, bool *checks_pass)
{
    const char *params[] = {param};
    CityScenarioOptions o = {0};
    o.path = CITY_SOURCE_DIR "/scenarios/peak_shave.lua";
    o.seed = 1;
    o.until_s = -1;
    o.params = params;
    o.n_params = param ? 1 : 0;
    CityScenario *sc = NULL;
    CityError err = {0};
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("load: %s", err.msg);
    CityWorld *w = city_scenario_world(sc);
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end)
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    assert_int_equal(city_scenario_finish(sc), CITY_OK);
    double peak = -1;
    assert_true(city_world_kpi_get(w, "peak_feeder_kw", &peak));
    *checks_pass = city_world_checks_pass(w);
    city_scenario_destroy(sc);
    return peak;
}

static void test_peak_shaving_scenario(void **state)
{
    (void)state;
    bool ok_base, ok_ctl;
    const double base = peak_shave_kpi("control=false", &ok_base);
    const double ctl = peak_shave_kpi(NULL, &ok_ctl);
    assert_true(ok_base && ok_ctl);
    /* residential profile peak x 600 kW, as served (losses subtracted) */
    assert_true(fabs(base - 600.0) < 0.5);
    /* shaved to the 450 kW limit, plus one minute of load growth before the meter sees it */
    assert_true(ctl >= 450.0 && ctl < 455.0);
}

/* A signal actuator: the controller holds phase 2 of light B1 from 10 s; the light leaves its
 * green phase 0 through the yellow phase 1 (3 s), never straight to the crossing green; the
 * controller fails at 60 s and the light goes back to its own fixed-time plan. */
static void test_signal_held_then_failsafe_plan(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("control_signal");
    char path[4200];
    snprintf(path, sizeof path, "%s/hold.lua", dir);
    assert_true(city_test_write_file(path, "function step()\n"
                                           "  if now() >= 60 then error('lost') end\n"
                                           "  if now() >= 10 then assert(command('sig', 2)) end\n"
                                           "end\n"));
    snprintf(path, sizeof path, "%s/sig.lua", dir);
    assert_true(city_test_write_file(path,
                                     "city.config{ dt_ms = 500, until_s = 200 }\n"
                                     "city.road.grid{ nx = 3, ny = 3, spacing = 200, lanes = 1, speed = 13.89 }\n"
                                     "city.control.actuator{ name = 'sig', kind = 'signal', tls = 'B1' }\n"
                                     "city.control.attach{ file = 'hold.lua', actuators = {'sig'}, period = 1 }\n"));
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = 1;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err = {0};
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("load: %s", err.msg);
    CityWorld *w = city_scenario_world(sc);
    CityRoad *road = city_road_of(w);
    const int32_t tls = city_road_net_find_tls(city_road_net(road), "B1");
    assert_true(tls >= 0);
    int32_t held_wrong = 0, changes_after = 0, prev = -1, unsafe = 0, yellow_at = -1;
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end) {
        assert_int_equal(city_scenario_step(sc), CITY_OK);
        const double t = city_world_time_s(w);
        const int32_t ph = city_road_tls_phase(road, tls);
        if (t >= 14 && t < 60 && ph != 2)
            held_wrong++;
        if (prev >= 0 && ((prev == 0 && ph == 2) || (prev == 2 && ph == 0)))
            unsafe++; /* green to crossing green without the yellow */
        if (ph == 1 && yellow_at < 0)
            yellow_at = (int32_t)(t * 10);
        if (t >= 62 && prev >= 0 && ph != prev)
            changes_after++;
        prev = ph;
    }
    assert_int_equal(held_wrong, 0);
    assert_int_equal(unsafe, 0);
    assert_int_equal(yellow_at, 105); /* commanded in CONTROL at 10 s, applied in that COMMIT: shown at 10.5 s */
    assert_true(changes_after >= 3);  /* the fixed-time plan cycles again */
    CityControl *c = city_control_of(w);
    CityActuatorStatus as;
    city_actuator_status(c, 0, &as);
    assert_true(as.failsafe && as.value == -1.0);
    assert_int_equal(as.acks, 50); /* steps at 10, 11, ..., 59 s */
    city_scenario_destroy(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_checked_and_counted),
        cmocka_unit_test(test_lua_controller_follows_readings),
        cmocka_unit_test(test_refusals_counted_not_fatal),
        cmocka_unit_test(test_failsafe_on_error), cmocka_unit_test(test_timers_skip_missed_times),
        cmocka_unit_test(test_failsafe_on_budget),
        cmocka_unit_test(test_budget_per_tick),
        cmocka_unit_test(test_failsafe_on_memory),
        cmocka_unit_test(test_failsafe_on_stale_inputs),
        cmocka_unit_test(test_sensor_groups),
        cmocka_unit_test(test_sensor_group_misuse),
        cmocka_unit_test(test_wake_on),
        cmocka_unit_test(test_wake_at),
        cmocka_unit_test(test_direct_readings_match_delivery),
        cmocka_unit_test(test_subscribe_after_init),
        cmocka_unit_test(test_c_controller_twin_of_lua),
        cmocka_unit_test(test_peak_shaving_scenario),
        cmocka_unit_test(test_signal_held_then_failsafe_plan),
        cmocka_unit_test(test_checkpoint_refuses_c_controller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
