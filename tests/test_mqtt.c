/* The deployment path end to end: a real mosquitto on a free loopback
 * port, citylab-agent running a controller file, and `citylab run
 * --bridge` in lockstep. The same scenario run in-process and through the
 * broker writes byte-identical commands.csv and KPIs, for the Lua
 * controller and its C twin; a broker killed and restarted mid-run loses
 * no command; malformed payloads, unknown sensors, unknown actuators and
 * out-of-limits values are refused with counted reasons while the agent
 * keeps running. No timing is asserted: timeouts only bound a broken
 * run. Without mosquitto these tests FAIL (scripts/setup.sh installs it).
 * The processes are run by support/mqtt_harness.c; the payload formats
 * are tested on their own in test_mqtt_payload.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "city_mqtt.h"
#include "city_net_msg.h"
#include "mqtt_harness.h"
#include "test_support.h"

static void identity(const char *name, const char *agent_file, const char *scenario_controller)
{
    char scenario[1024];
    const char *dir = mqtt_test_scenario_dir(name, scenario, sizeof scenario);
    pid_t local = mqtt_test_start_run(dir, scenario, "inproc", 0, scenario_controller);
    assert_int_equal(mqtt_test_wait_child(local, PROC_TIMEOUT_S), 0);
    const int port = mqtt_test_free_port();
    pid_t broker = mqtt_test_start_broker(dir, port);
    pid_t agent = mqtt_test_start_agent(dir, port, agent_file);
    pid_t run = mqtt_test_start_run(dir, scenario, "bridged", port, scenario_controller);
    assert_int_equal(mqtt_test_wait_child(run, PROC_TIMEOUT_S), 0);
    mqtt_test_stop(agent, SIGTERM);
    mqtt_test_stop(broker, SIGTERM);
    /* a day at one command a minute: the first minute has no reading yet */
    assert_int_equal(mqtt_test_assert_same_runs(dir, "inproc", "bridged"), 1439);
    char *ao = mqtt_test_read_in(dir, "agent.out"), *re = mqtt_test_read_in(dir, "bridged.err");
    assert_int_equal(mqtt_test_counter(ao, "commands"), 1439);
    assert_int_equal(mqtt_test_counter(ao, "(acks"), 1439);
    assert_non_null(strstr(re, "1440 exchanges, 0 missed, 1439 commands"));
    free(ao);
    free(re);
}

static void test_identity_lua(void **state)
{
    (void)state;
    identity("mqtt_lua", CITY_SOURCE_DIR "/scenarios/controllers/peak_shave.lua", NULL);
}

static void test_identity_c(void **state)
{
    (void)state;
    identity("mqtt_so", CITY_CONTROLLERS_DIR "/peak_shave.so", "controllers/peak_shave.so");
}

/* The run's clocks as a test client sees them. */
typedef struct Watch {
    int64_t last_t;
    bool online;
} Watch;

static void on_watch(void *user, const char *topic, const void *payload, size_t len)
{
    Watch *w = user;
    char id[CITY_NET_ID_MAX];
    CityNetClock c;
    CityNetTopic kind = city_net_topic_parse(SITE, topic, id, sizeof id);
    if (kind == CITY_TOPIC_CLOCK && city_net_clock_parse(payload, len, &c, NULL) && c.t_ms > w->last_t)
        w->last_t = c.t_ms;
    if (kind == CITY_TOPIC_STATUS)
        w->online = len == 6 && !memcmp(payload, "online", 6);
}

static CityMqtt *watch(int port, const char *controller, Watch *w)
{
    static char url[64], clock[CITY_NET_TOPIC_MAX], status[CITY_NET_TOPIC_MAX];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", port);
    city_net_topic(clock, sizeof clock, SITE, CITY_TOPIC_CLOCK, controller);
    city_net_topic(status, sizeof status, SITE, CITY_TOPIC_STATUS, controller);
    const char *subs[] = {clock, status};
    const CityMqttOptions o = {.url = url, .client_id = "citylab-test", .subscriptions = subs, .n_subscriptions = 2};
    *w = (Watch){-1, false};
    CityMqtt *m = city_mqtt_create(&o, on_watch, w, NULL);
    assert_non_null(m);
    for (int i = 0; i < 15000 && !city_mqtt_ready(m); i++)
        city_mqtt_poll(m, 20);
    assert_true(city_mqtt_ready(m));
    return m;
}

/* "<n> <name>" in text (e.g. "2 reconnects"), or -1. */
static long counter_before(const char *text, const char *name)
{
    const char *p = strstr(text, name);
    if (!p || p == text)
        return -1;
    while (p > text && p[-1] == ' ')
        p--;
    while (p > text && p[-1] >= '0' && p[-1] <= '9')
        p--;
    return strtol(p, NULL, 10);
}

/* The broker dies at noon of the bridged day and comes back: the run waits, sends the tick again, and the
 * command log is the in-process one. */
static void test_broker_restart(void **state)
{
    (void)state;
    char scenario[1024];
    const char *dir = mqtt_test_scenario_dir("mqtt_restart", scenario, sizeof scenario);
    pid_t local = mqtt_test_start_run(dir, scenario, "inproc", 0, NULL);
    assert_int_equal(mqtt_test_wait_child(local, PROC_TIMEOUT_S), 0);
    const int port = mqtt_test_free_port();
    pid_t broker = mqtt_test_start_broker(dir, port);
    pid_t agent = mqtt_test_start_agent(dir, port, CITY_SOURCE_DIR "/scenarios/controllers/peak_shave.lua");
    pid_t run = mqtt_test_start_run(dir, scenario, "bridged", port, NULL);
    Watch w;
    CityMqtt *m = watch(port, "ps", &w);
    for (int i = 0; i < 60000 && w.last_t < 43200000; i++)
        city_mqtt_poll(m, 10);
    assert_true(w.last_t >= 43200000 && w.last_t < 86400000);
    city_mqtt_destroy(m);
    mqtt_test_stop(broker, SIGKILL);
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    broker = mqtt_test_start_broker(dir, port);
    assert_int_equal(mqtt_test_wait_child(run, PROC_TIMEOUT_S), 0);
    mqtt_test_stop(agent, SIGTERM);
    mqtt_test_stop(broker, SIGTERM);
    assert_int_equal(mqtt_test_assert_same_runs(dir, "inproc", "bridged"), 1439);
    char *ao = mqtt_test_read_in(dir, "agent.out"), *re = mqtt_test_read_in(dir, "bridged.err");
    assert_true(mqtt_test_counter(ao, "reconnects") >= 1);
    assert_true(counter_before(re, "reconnects") >= 1);
    assert_int_equal(counter_before(re, "missed"), 0);
    free(ao);
    free(re);
}

static const char ROGUE_SCENARIO[] =
    "city.config{ dt_ms = 1000, until_s = 36000, name = 'rogue' }\n"
    "city.param('controller', '')\n"
    "city.control.actuator{ name = 'bat', kind = 'generic', min = -1000, max = 1000 }\n"
    "city.control.actuator{ name = 'b2', kind = 'generic', min = 0, max = 1 }\n"
    "city.control.attach{ file = 'controllers/rogue.lua', name = 'rogue', actuators = { 'bat' }, period = 60,\n"
    "                     bridge = true }\n"
    "city.control.attach{ file = 'controllers/local.lua', name = 'local', actuators = { 'b2' }, period = 60 }\n";
/* Each step: an unknown actuator, a value out of limits, and one good command. */
static const char ROGUE_CONTROLLER[] = "local n = 0\n"
                                       "function step()\n"
                                       "  n = n + 1\n"
                                       "  command('nope', 1)\n"
                                       "  command('bat', 5000)\n"
                                       "  command('bat', n)\n"
                                       "end\n";

static void publish_retained(CityMqtt *m, CityNetTopic kind, const char *id, const char *payload)
{
    char topic[CITY_NET_TOPIC_MAX];
    assert_true(city_net_topic(topic, sizeof topic, SITE, kind, id));
    assert_true(city_mqtt_publish(m, topic, payload, strlen(payload), true));
}

/* Refusals on both sides are counted with their reasons; the agent and the run go on to the same log as
 * in-process. The bad messages are retained, so each side gets each exactly once. */
static void test_rejections(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("mqtt_rogue");
    char path[1200], cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/controllers", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/controllers/rogue.lua", dir);
    assert_true(city_test_write_file(path, ROGUE_CONTROLLER));
    snprintf(path, sizeof path, "%s/controllers/local.lua", dir);
    assert_true(city_test_write_file(path, "function step() command('b2', 1) end\n"));
    snprintf(path, sizeof path, "%s/rogue.lua", dir);
    assert_true(city_test_write_file(path, ROGUE_SCENARIO));
    pid_t local = mqtt_test_start_run(dir, path, "inproc", 0, NULL);
    assert_int_equal(mqtt_test_wait_child(local, PROC_TIMEOUT_S), 0);

    const int port = mqtt_test_free_port();
    pid_t broker = mqtt_test_start_broker(dir, port);
    char file[1200];
    snprintf(file, sizeof file, "%s/controllers/rogue.lua", dir);
    const char *const more[] = {"--sensor", "feeder", NULL};
    pid_t agent = mqtt_test_start_lockstep_agent(dir, port, file, more);
    Watch w;
    CityMqtt *m = watch(port, "rogue", &w);
    for (int i = 0; i < 30000 && !w.online; i++)
        city_mqtt_poll(m, 10);
    assert_true(w.online);
    publish_retained(m, CITY_TOPIC_SENSOR, "feeder", "{oops");                            /* agent: malformed */
    publish_retained(m, CITY_TOPIC_SENSOR, "ghost", "[{\"n\":\"ghost/power\",\"v\":1}]"); /* unknown_sensor */
    publish_retained(m, CITY_TOPIC_CLOCK, "rogue", "{\"t\":1}");                          /* malformed: no seed */
    publish_retained(m, CITY_TOPIC_SET, "heater", "nonsense"); /* run: malformed (one retained per topic) */
    publish_retained(m, CITY_TOPIC_SET, "lamp", "{\"v\":1}");  /* malformed: no t */
    publish_retained(m, CITY_TOPIC_SET, "bat", "{\"v\":1,\"t\":0,\"src\":\"x\",\"x\":0,\"seq\":0}"); /* stray */
    for (int i = 0; i < 20; i++)
        city_mqtt_poll(m, 10);
    pid_t run = mqtt_test_start_run_with(dir, path, "bridged", port, NULL, false); /* only rogue has bridge = true */
    assert_int_equal(mqtt_test_wait_child(run, PROC_TIMEOUT_S), 0);
    city_mqtt_destroy(m);
    mqtt_test_stop(agent, SIGTERM);
    mqtt_test_stop(broker, SIGTERM);
    /* 600 steps of 3 commands from rogue (bridged) and 1 from local (in-process), the same rows both ways */
    assert_int_equal(mqtt_test_assert_same_runs(dir, "inproc", "bridged"), 2400);
    char *ao = mqtt_test_read_in(dir, "agent.out"), *re = mqtt_test_read_in(dir, "bridged.err"),
         *kpi = mqtt_test_kpi_text(dir, "bridged");
    assert_non_null(strstr(kpi, "\"control.refused\": 1200\n"));
    assert_int_equal(mqtt_test_counter(ao, "commands"), 1800);
    assert_int_equal(mqtt_test_counter(ao, "(acks"), 600);
    assert_int_equal(mqtt_test_counter(ao, "refused"), 1200);
    assert_int_equal(mqtt_test_counter(ao, "malformed"), 2);
    assert_int_equal(mqtt_test_counter(ao, "unknown_sensor"), 1);
    assert_int_equal(mqtt_test_counter(re, "malformed"), 2);
    assert_int_equal(mqtt_test_counter(re, "stray"), 1);
    assert_int_equal(mqtt_test_counter(re, "unknown_actuator"), 600);
    assert_non_null(strstr(re, "refused 600"));
    assert_non_null(strstr(re, "600 exchanges, 0 missed, 1800 commands")); /* local ran in-process */
    free(ao);
    free(re);
    free(kpi);
}

/* Writes DIR/NAME.lua (a scenario) and DIR/controllers/CTL.lua; returns the scenario's path (static). */
static const char *write_scenario(const char *dir, const char *scenario, const char *ctl_name, const char *ctl)
{
    static char path[1200];
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/controllers", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/controllers/%s.lua", dir, ctl_name);
    assert_true(city_test_write_file(path, ctl));
    snprintf(path, sizeof path, "%s/scenario.lua", dir);
    assert_true(city_test_write_file(path, scenario));
    return path;
}

static const char ONE_SCENARIO[] = "city.config{ dt_ms = 1000, until_s = 600, name = 'one' }\n"
                                   "city.param('controller', '')\n"
                                   "city.control.actuator{ name = 'b2', kind = 'generic', min = 0, max = 1 }\n"
                                   "city.control.attach{ file = 'controllers/one.lua', name = 'one', "
                                   "actuators = { 'b2' }, period = 60 }\n";

/* No agent answers: each of the 10 periods is a miss (KPI and event), and the run still ends. */
static void test_missed_periods(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("mqtt_miss");
    const char *path = write_scenario(dir, ONE_SCENARIO, "one", "function step() command('b2', 1) end\n");
    const int port = mqtt_test_free_port();
    pid_t broker = mqtt_test_start_broker(dir, port);
    char url[64], out_dir[1200];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", port);
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    const char *args[] = {
        "run", path, "--quiet", "--out", out_dir, "--bridge", url, "--bridge-all", "--bridge-timeout-ms", "50", NULL};
    CityTestRun r = city_test_run(args, PROC_TIMEOUT_S);
    mqtt_test_stop(broker, SIGTERM);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "10 exchanges, 10 missed, 0 commands"));
    /* no broker at all: one line, exit 2, no outputs */
    const char *none[] = {"run", path, "--quiet", "--out", out_dir, "--bridge", url, "--bridge-timeout-ms",
                          "200", NULL};
    char gone[1200];
    snprintf(gone, sizeof gone, "%s/gone", dir);
    none[4] = gone;
    CityTestRun r2 = city_test_run(none, PROC_TIMEOUT_S);
    assert_int_equal(r2.exit_code, 2);
    assert_non_null(strstr(r2.err, "no broker answers at mqtt://127.0.0.1:"));
    assert_false(city_test_exists(gone));
    city_test_run_free(&r2);
    char *kpi = mqtt_test_kpi_text(dir, "out"), *events = mqtt_test_read_in(dir, "out/events.csv");
    assert_non_null(strstr(kpi, "\"control.bridge_misses\": 10,"));
    assert_non_null(strstr(kpi, "\"control.commands\": 0,"));
    int missed = 0;
    for (const char *p = events; (p = strstr(p, "missed the exchange")); p++)
        missed++;
    assert_int_equal(missed, 10);
    free(kpi);
    free(events);
    city_test_run_free(&r);
}

/* Sensor groups (group, first, sum, wake_on) and wake_at answer the same in the agent, whose slots are made as
 * readings arrive, as in-process: the same commands, which depend on every answer. */
static void test_identity_groups(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("mqtt_groups");
    const char *path =
        write_scenario(dir,
                       "city.config{ dt_ms = 1000, until_s = 120, name = 'groups' }\n"
                       "city.param('controller', '')\n"
                       "city.sensor.add{ name = 'g1', kind = 'manual', quantity = 'count', period_s = 1 }\n"
                       "city.sensor.add{ name = 'g3', kind = 'manual', quantity = 'count', period_s = 2 }\n"
                       "city.every(1, function() local t = city.time()\n"
                       "  city.sensor.feed('g1', 'count', t % 5); city.sensor.feed('g3', 'count', t % 7) end, 0)\n"
                       "city.control.actuator{ name = 'b2', kind = 'generic', min = 0, max = 1e6 }\n"
                       "city.control.attach{ file = 'controllers/grp.lua', name = 'grp', sensors = { 'g1', 'g3' }, "
                       "actuators = { 'b2' }, period = 1 }\n",
                       "grp",
                       "local g = group('g3 g1/count')\n"
                       "function step()\n"
                       "  local i, v = first(g, 2); local s, n = sum(g)\n"
                       "  if n > 0 then command('b2', (i or 0) * 1000 + (v or 0) * 100 + s * 10 + n) end\n"
                       "  if not i then return wake_on(g, 2) end\n"
                       "  if i == 1 then return wake_at(now() + 1.5) end\n"
                       "end\n");
    pid_t local = mqtt_test_start_run(dir, path, "inproc", 0, NULL);
    assert_int_equal(mqtt_test_wait_child(local, PROC_TIMEOUT_S), 0);
    const int port = mqtt_test_free_port();
    pid_t broker = mqtt_test_start_broker(dir, port);
    char file[1200];
    snprintf(file, sizeof file, "%s/controllers/grp.lua", dir);
    static const char *const more[] = {"--name", "grp", "--sensor", "g1", "--sensor", "g3", NULL};
    pid_t agent = mqtt_test_start_lockstep_agent(dir, port, file, more);
    pid_t run = mqtt_test_start_run(dir, path, "bridged", port, NULL);
    assert_int_equal(mqtt_test_wait_child(run, PROC_TIMEOUT_S), 0);
    mqtt_test_stop(agent, SIGTERM);
    mqtt_test_stop(broker, SIGTERM);
    /* Steps at 1 .. 119 s have readings (none at 0 s); a step that finds nothing above 2 waits
     * (wake_on) for a period where first(g, 2) does, one that finds g3 waits 1.5 s (wake_at). g1
     * reads t % 5; g3 (every 2 s) what was fed in its 2 s: (t - 1) % 7 + t % 7 at an even t, kept
     * through the next second. */
    int runs = 0, wait = 0; /* 1 on the group, 2 until `at` */
    double at = 0;
    for (int t = 0; t < 120; t++) {
        const int t3 = t - t % 2, g3 = t3 >= 2 ? (t3 - 1) % 7 + t3 % 7 : 0, g1 = t % 5;
        const bool found = g3 > 2 || g1 > 2;
        if ((wait == 1 && !found) || (wait == 2 && t < at))
            continue;
        runs += t >= 1; /* it commands once it has a reading */
        wait = !found ? 1 : g3 > 2 ? 2 : 0;
        at = t + 1.5;
    }
    assert_true(runs > 60 && runs < 119); /* some periods wait */
    assert_int_equal(mqtt_test_assert_same_runs(dir, "inproc", "bridged"), runs);
    char *cmds = mqtt_test_read_in(dir, "inproc/commands.csv");
    /* a manual count adds up what was fed in its interval: g3 (every 2 s) reads 1 + 2 = 3 at 2 s and
     * 3 + 4 = 7 at 4 s, g1 (every 1 s) t % 5. At 4 s g3 = 7 > 2 comes first: 1 * 1000 + 7 * 100 +
     * (7 + 4) * 10 + 2 readings; g3 came first, so it waits until 5.5 s: no step at 5 s, and at 6 s
     * g3 = 5 + 6, g1 1: 1000 + 1100 + 120 + 2. */
    assert_non_null(strstr(cmds, "\n4.000,4000,grp,b2,1812,ack\n"));
    assert_null(strstr(cmds, "\n5.000,"));
    assert_non_null(strstr(cmds, "\n6.000,6000,grp,b2,2222,ack\n"));
    free(cmds);
}

/* A controller that raises in the agent is stopped by the run as in-process: the same commands, the
 * same fail-safe count. */
static void test_remote_failure(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("mqtt_crash");
    const char *path = write_scenario(dir, ONE_SCENARIO, "one",
                                      "local n = 0\n"
                                      "function step()\n"
                                      "  n = n + 1\n"
                                      "  command('b2', n % 2)\n"
                                      "  if n == 5 then error('boom') end\n"
                                      "end\n");
    pid_t local = mqtt_test_start_run(dir, path, "inproc", 0, NULL);
    assert_int_equal(mqtt_test_wait_child(local, PROC_TIMEOUT_S), 0);
    const int port = mqtt_test_free_port();
    pid_t broker = mqtt_test_start_broker(dir, port);
    char file[1200];
    snprintf(file, sizeof file, "%s/controllers/one.lua", dir);
    pid_t agent = mqtt_test_start_lockstep_agent(dir, port, file, NULL);
    pid_t run = mqtt_test_start_run(dir, path, "bridged", port, NULL);
    assert_int_equal(mqtt_test_wait_child(run, PROC_TIMEOUT_S), 0);
    mqtt_test_stop(agent, SIGTERM);
    mqtt_test_stop(broker, SIGTERM);
    assert_int_equal(mqtt_test_assert_same_runs(dir, "inproc", "bridged"), 5);
    char *kpi = mqtt_test_kpi_text(dir, "bridged");
    assert_non_null(strstr(kpi, "\"control.failsafe_events\": 1,"));
    free(kpi);
}

/* mqtts:// with a username and password: a broker that takes nothing else (TLS with a throw-away CA,
 * a password file, no anonymous clients) sees the agent's birth, and a client with the same
 * credentials reads it. */
static void test_tls_and_password(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("mqtt_tls");
    const int port = mqtt_test_free_port();
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 "
             "-subj /CN=citylab-test-ca 2>/dev/null && "
             "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 "
             "2>/dev/null && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
             "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 "
             "-extfile san.ext 2>/dev/null && mosquitto_passwd -b -c pw lab s3cret && "
             "chmod 644 server.key pw && " /* the broker drops root for its own user */
             "printf 'listener %d 127.0.0.1\\ncafile %s/ca.crt\\ncertfile %s/server.crt\\nkeyfile "
             "%s/server.key\\nallow_anonymous false\\npassword_file %s/pw\\npersistence false\\n' > tls.conf",
             dir, port, dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0); /* openssl and mosquitto_passwd: scripts/setup.sh */
    char conf[1200], out[1200], err[1200], url[64], ca[1200];
    snprintf(conf, sizeof conf, "%s/tls.conf", dir);
    snprintf(out, sizeof out, "%s/mosquitto.out", dir);
    snprintf(err, sizeof err, "%s/mosquitto.err", dir);
    const char *bargv[] = {mqtt_test_mosquitto_bin(), "-c", conf, NULL};
    assert_non_null(bargv[0]);
    pid_t broker = mqtt_test_spawn(bargv, out, err);
    snprintf(url, sizeof url, "mqtts://127.0.0.1:%d", port);
    snprintf(ca, sizeof ca, "%s/ca.crt", dir);
    snprintf(out, sizeof out, "%s/agent.out", dir);
    snprintf(err, sizeof err, "%s/agent.err", dir);
    const char *aargv[] = {CITYLAB_AGENT_BIN, CITY_SOURCE_DIR "/scenarios/controllers/peak_shave.lua",
                           "--broker",        url,
                           "--site",          SITE,
                           "--name",          "ps",
                           "--cafile",        ca,
                           "--user",          "lab",
                           "--password",      "s3cret",
                           "--quiet",         "--param",
                           "sensor=feeder",   "--param",
                           "battery=bat",     NULL};
    pid_t agent = mqtt_test_spawn(aargv, out, err);
    char status[CITY_NET_TOPIC_MAX];
    city_net_topic(status, sizeof status, SITE, CITY_TOPIC_STATUS, "ps");
    const char *subs[] = {status};
    const CityMqttOptions o = {.url = url,
                               .client_id = "citylab-test-tls",
                               .username = "lab",
                               .password = "s3cret",
                               .cafile = ca,
                               .subscriptions = subs,
                               .n_subscriptions = 1};
    Watch w = {-1, false};
    CityError why = {0};
    CityMqtt *m = city_mqtt_create(&o, on_watch, &w, &why);
    assert_non_null(m);
    for (int i = 0; i < 30000 && !w.online; i++)
        city_mqtt_poll(m, 10);
    assert_true(w.online);
    mqtt_test_stop(agent, SIGTERM);
    for (int i = 0; i < 30000 && w.online; i++) /* a clean exit says offline */
        city_mqtt_poll(m, 10);
    assert_false(w.online);
    city_mqtt_destroy(m);
    /* citylab run --bridge over the same TLS listener with the same credentials: every exchange answered */
    const char *path = write_scenario(dir, ONE_SCENARIO, "one", "function step() command('b2', 1) end\n");
    char file[1200], run_out[1200], bad_out[1200];
    snprintf(file, sizeof file, "%s/controllers/one.lua", dir);
    snprintf(run_out, sizeof run_out, "%s/bridged", dir);
    snprintf(bad_out, sizeof bad_out, "%s/refused", dir);
    snprintf(out, sizeof out, "%s/agent2.out", dir);
    snprintf(err, sizeof err, "%s/agent2.err", dir);
    const char *largv[] = {CITYLAB_AGENT_BIN, file, "--broker", url,   "--site",     SITE,     "--lockstep", "--quiet",
                           "--cafile",        ca,   "--user",   "lab", "--password", "s3cret", NULL};
    agent = mqtt_test_spawn(largv, out, err);
    const char *rargs[] = {"run",
                           path,
                           "--quiet",
                           "--out",
                           run_out,
                           "--bridge",
                           url,
                           "--bridge-all",
                           "--site",
                           SITE,
                           "--bridge-cafile",
                           ca,
                           "--bridge-user",
                           "lab",
                           "--bridge-password",
                           "s3cret",
                           "--bridge-timeout-ms",
                           "60000",
                           NULL};
    CityTestRun r = city_test_run(rargs, PROC_TIMEOUT_S);
    assert_int_equal(r.exit_code, 0);
    if (!strstr(r.err, "10 exchanges, 0 missed, 10 commands"))
        fail_msg("the bridged run over TLS says '%s'", r.err);
    city_test_run_free(&r);
    /* a wrong password: the broker's refusal in one line, exit 2, nothing written */
    rargs[4] = bad_out;
    rargs[15] = "wrong";
    r = city_test_run(rargs, PROC_TIMEOUT_S);
    assert_int_equal(r.exit_code, 2);
    if (!strstr(r.err, "refused the connection") || !strstr(r.err, "--bridge-password"))
        fail_msg("a refused bridge says '%s'", r.err);
    assert_false(city_test_exists(bad_out));
    city_test_run_free(&r);
    mqtt_test_stop(agent, SIGTERM);
    mqtt_test_stop(broker, SIGTERM);
    /* TLS files need mqtts://, and mqtts:// needs a CA */
    const CityMqttOptions plain = {.url = "mqtt://127.0.0.1:1", .client_id = "x", .cafile = ca};
    assert_null(city_mqtt_create(&plain, on_watch, &w, &why));
    assert_int_equal(why.status, CITY_ERR_INVALID);
    assert_non_null(strstr(why.msg, "mqtts://"));
    const CityMqttOptions no_ca = {.url = "mqtts://127.0.0.1:1", .client_id = "x"};
    assert_null(city_mqtt_create(&no_ca, on_watch, &w, &why));
    assert_int_equal(why.status, CITY_ERR_INVALID);
    assert_non_null(strstr(why.msg, "--cafile"));
}

/* A fake device for field mode: the commands it receives, acknowledged on .../state. */
typedef struct Device {
    CityMqtt *m;
    int commands;
    double first_v, last_v;
    bool bad;
} Device;

static void on_device(void *user, const char *topic, const void *payload, size_t len)
{
    Device *d = user;
    char id[CITY_NET_ID_MAX], buf[CITY_NET_MSG_MAX], state[CITY_NET_TOPIC_MAX];
    CityNetCommand c;
    if (city_net_topic_parse(SITE, topic, id, sizeof id) != CITY_TOPIC_SET)
        return;
    if (!city_net_command_parse(payload, len, &c, NULL) || c.x_ms != -1 || c.seq != -1) {
        d->bad = true; /* field commands carry no exchange */
        return;
    }
    if (d->commands++ == 0)
        d->first_v = c.value;
    d->last_v = c.value;
    const CityNetState st = {c.value, c.issued_ms, "ack", "", -1, -1};
    size_t n = city_net_state_format(buf, sizeof buf, &st);
    city_net_topic(state, sizeof state, SITE, CITY_TOPIC_STATE, id);
    city_mqtt_publish(d->m, state, buf, n, false);
}

/* Field mode: wall time, a device that answers. The agent reads the meter and asks the battery for what
 * the feeder draws above the limit (500 - 450 kW); each command is acknowledged. */
static void test_field_mode(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("mqtt_field");
    const int port = mqtt_test_free_port();
    pid_t broker = mqtt_test_start_broker(dir, port);
    static char url[64], out[1024], err[1024];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", port);
    snprintf(out, sizeof out, "%s/agent.out", dir);
    snprintf(err, sizeof err, "%s/agent.err", dir);
    const char *argv[] = {CITYLAB_AGENT_BIN, CITY_SOURCE_DIR "/scenarios/controllers/peak_shave.lua",
                          "--broker",        url,
                          "--site",          SITE,
                          "--name",          "ps",
                          "--period",        "0.05",
                          "--quiet",         "--sensor",
                          "feeder",          "--param",
                          "sensor=feeder",   "--param",
                          "battery=bat",     "--param",
                          "limit_kw=450",    "--param",
                          "floor_kw=300",    "--param",
                          "power_kw=150",    NULL};
    pid_t agent = mqtt_test_spawn(argv, out, err);
    char sets[CITY_NET_TOPIC_MAX], status[CITY_NET_TOPIC_MAX];
    city_net_topic(sets, sizeof sets, SITE, CITY_TOPIC_SET, "+");
    city_net_topic(status, sizeof status, SITE, CITY_TOPIC_STATUS, "ps");
    Device d = {0};
    const char *subs[] = {sets};
    const CityMqttOptions o = {
        .url = url, .client_id = "citylab-test-device", .subscriptions = subs, .n_subscriptions = 1};
    d.m = city_mqtt_create(&o, on_device, &d, NULL);
    assert_non_null(d.m);
    Watch w;
    CityMqtt *wm = watch(port, "ps", &w);
    for (int i = 0; i < 30000 && !(w.online && city_mqtt_ready(d.m)); i++) {
        city_mqtt_poll(wm, 5);
        city_mqtt_poll(d.m, 5);
    }
    assert_true(w.online);
    CityReading r;
    char buf[CITY_NET_MSG_MAX], topic[CITY_NET_TOPIC_MAX];
    city_reading_init(&r, "feeder", CITY_QTY_POWER, 500.0, 1000, 1000, CITY_QUALITY_GOOD);
    size_t n = city_net_reading_format(buf, sizeof buf, &r);
    city_net_topic(topic, sizeof topic, SITE, CITY_TOPIC_SENSOR, "feeder");
    assert_true(city_mqtt_publish(d.m, topic, buf, n, true));
    for (int i = 0; i < 60000 && d.commands < 4; i++) /* the 4th comes once the 3rd's ack is in */
        city_mqtt_poll(d.m, 5);
    assert_true(d.commands >= 4);
    assert_false(d.bad);
    /* the first asks for 50 kW; the meter still says 500 with 50 kW set (load 550): 100, then 150 (its
     * power), and 150 from then on */
    assert_true(d.first_v == 50.0);
    assert_true(d.last_v == 150.0);
    city_mqtt_destroy(wm);
    city_mqtt_destroy(d.m);
    mqtt_test_stop(agent, SIGTERM);
    mqtt_test_stop(broker, SIGTERM);
    char *ao = mqtt_test_read_in(dir, "agent.out");
    assert_int_equal(mqtt_test_counter(ao, "readings"), 1);
    assert_true(mqtt_test_counter(ao, "(acks") >= 3);
    assert_int_equal(mqtt_test_counter(ao, "timeouts"), 0);
    free(ao);
}

/* Bad input to the agent: one line on stderr naming what and how to fix, exit 2. */
static void test_agent_bad_input(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("mqtt_agent_cli");
    const char *lua = CITY_SOURCE_DIR "/scenarios/controllers/peak_shave.lua";
    const struct {
        const char *argv[12];
        const char *says;
    } cases[] = {
        {{CITYLAB_AGENT_BIN, "/nonexistent/x.lua", "--broker", "mqtt://127.0.0.1:1", "--site", "lab", NULL},
         "cannot read the controller file"},
        {{CITYLAB_AGENT_BIN, lua, "--site", "lab", NULL}, "give --broker"},
        {{CITYLAB_AGENT_BIN, lua, "--broker", "http://x:1", "--site", "lab", NULL}, "is not a URL"},
        {{CITYLAB_AGENT_BIN, lua, "--broker", "mqtt://127.0.0.1:1", "--site", "a/b", NULL}, "--site 'a/b'"},
        {{CITYLAB_AGENT_BIN, lua, "--broker", "mqtt://127.0.0.1:1", "--site", "lab", "--period", "0", NULL},
         "--period '0'"},
        {{CITYLAB_AGENT_BIN, lua, "--broker", "mqtt://127.0.0.1:1", "--site", "lab", "--cafile", "ca.crt", NULL},
         "need an mqtts://"},
        {{CITYLAB_AGENT_BIN, lua, "--broker", "mqtt://127.0.0.1:1", "--site", "lab", "--bogus", "1", NULL},
         "unknown option '--bogus'"},
    };
    char out[1200], err[1200];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t pid = mqtt_test_spawn(cases[i].argv, out, err);
        assert_int_equal(mqtt_test_wait_child(pid, PROC_TIMEOUT_S), 2);
        char *e = mqtt_test_read_in(dir, "err");
        if (!strstr(e, cases[i].says))
            fail_msg("case %zu: '%s' does not say '%s'", i, e, cases[i].says);
        int lines = 0;
        for (const char *p = e; *p; p++)
            lines += *p == '\n';
        assert_int_equal(lines, 1);
        free(e);
    }
    /* and to citylab run's bridge flags */
    const char *scenario = CITY_SOURCE_DIR "/scenarios/peak_shave.lua";
    const struct {
        const char *args[10];
        const char *says;
    } run_cases[] = {
        {{"run", scenario, "--bridge-user", "lab", NULL}, "go with --bridge"},
        {{"run", scenario, "--bridge", "mqtt://127.0.0.1:1", "--bridge-cafile", "ca.crt", NULL}, "mqtts://HOST:PORT"},
        {{"run", scenario, "--bridge", "mqtts://127.0.0.1:1", NULL}, "needs --bridge-cafile"},
        {{"run", scenario, "--bridge", "mqtt://127.0.0.1:1", "--bridge-password", "p", NULL}, "needs --bridge-user"},
        {{"run", scenario, "--bridge", "mqtts://127.0.0.1:1", "--bridge-cafile", "ca.crt", "--bridge-cert", "c.crt",
          NULL},
         "go together"},
        {{"run", scenario, "--bridge", "mqtts://127.0.0.1:1", "--bridge-cafile", "/nonexistent/ca.crt", NULL},
         "/nonexistent/ca.crt"},
        {{"run", scenario, "--bridge", "http://x:1", NULL}, "--bridge 'http://x:1' is not valid"},
        {{"run", scenario, "--bridge-all", NULL}, "go with --bridge"},
        {{"run", scenario, "--bridge", "mqtt://127.0.0.1:1", "--site", "a+b", NULL}, "--site 'a+b'"},
        {{"view", scenario, "--bridge", "mqtt://127.0.0.1:1", NULL}, "applies to citylab run only"},
    };
    for (size_t i = 0; i < sizeof run_cases / sizeof run_cases[0]; i++) {
        CityTestRun r = city_test_run(run_cases[i].args, PROC_TIMEOUT_S);
        assert_int_equal(r.exit_code, 2);
        if (!strstr(r.err, run_cases[i].says))
            fail_msg("run case %zu: '%s' does not say '%s'", i, r.err, run_cases[i].says);
        city_test_run_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_identity_lua, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_identity_c, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_broker_restart, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_rejections, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_missed_periods, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_remote_failure, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_identity_groups, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_tls_and_password, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_field_mode, mqtt_test_kill_children),
        cmocka_unit_test_teardown(test_agent_bad_input, mqtt_test_kill_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
