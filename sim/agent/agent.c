/* citylab-agent's runtime: the MQTT client, the controller and its port,
 * lockstep exchanges with a bridged run (clock in, commands and done out,
 * idempotent when the run sends a tick again) and field mode on wall time. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "city_array.h"
#include "city_control.h"
#include "city_controller.h"
#include "city_mqtt.h"

#define RESEND_S 1.0 /* a command not acknowledged after this long is sent again */

typedef struct Sent {
    char actuator[CITY_NET_ID_MAX];
    CityNetCommand cmd;
} Sent;

typedef struct Agent {
    const AgentOptions *o;
    CityMqtt *mqtt;
    CityController *ctl;
    double t0_wall;
    int64_t now_ms;  /* lockstep: the clock being served */
    int64_t last_t;  /* lockstep: last clock answered (-1 none) */
    bool have_clock; /* a clock waits to be served */
    CityNetClock clock;
    CityReading *buf; /* readings not yet given to the controller */
    size_t n_buf, cap_buf;
    Sent *sent; /* this tick's commands, for a resend */
    size_t n_sent, cap_sent;
    CityNetDone done;    /* the last done, for a resend */
    const char *waiting; /* actuator whose state is awaited */
    int64_t waiting_seq;
    bool got_state;
    char result[32];
    uint64_t readings, commands, acks, refusals, timeouts, failsafes;
    uint64_t rejected[CITY_NET_REJECT_COUNT];
} Agent;

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void reject(Agent *a, CityNetReject r, const char *topic, const char *why)
{
    a->rejected[r]++;
    fprintf(stderr, "citylab-agent: %s: refused (%s) on %s: %s\n", a->o->name, city_net_reject_name(r), topic, why);
}

static bool reads_sensor(const Agent *a, const CityReading *r)
{
    char key[CITY_SENSOR_NAME_MAX + 16];
    snprintf(key, sizeof key, "%s/%s", r->sensor, city_quantity_name(r->quantity));
    for (int32_t i = 0; i < a->o->n_sensors; i++)
        if (!strcmp(a->o->sensors[i], r->sensor) || !strcmp(a->o->sensors[i], key))
            return true;
    return false;
}

static void keep_reading(Agent *a, const CityReading *r, const char *topic)
{
    for (size_t i = 0; i < a->n_buf; i++) /* the run sent its tick again */
        if (!strcmp(a->buf[i].sensor, r->sensor) && a->buf[i].quantity == r->quantity &&
            a->buf[i].measured_ms == r->measured_ms && a->buf[i].arrives_ms == r->arrives_ms)
            return;
    if (!city_grow((void **)&a->buf, &a->cap_buf, a->n_buf + 1, sizeof *a->buf)) {
        reject(a, CITY_NET_MALFORMED, topic, "out of memory");
        return;
    }
    a->buf[a->n_buf++] = *r;
}

static int64_t wall_ms(const Agent *a)
{
    return (int64_t)((city_mqtt_wall_s() - a->t0_wall) * 1000.0);
}

static void on_sensor(Agent *a, const char *topic, const char *id, const void *payload, size_t len)
{
    CityReading r;
    CityError why;
    if (!city_net_reading_parse(id, payload, len, &r, &why)) {
        reject(a, CITY_NET_MALFORMED, topic, why.msg);
        return;
    }
    if (!reads_sensor(a, &r)) {
        city_error_set(&why, CITY_ERR_INVALID, "sensor '%s/%s' is not among its --sensor ids", r.sensor,
                       city_quantity_name(r.quantity));
        reject(a, CITY_NET_UNKNOWN_SENSOR, topic, why.msg);
        return;
    }
    if (a->o->lockstep && r.arrives_ms <= a->last_t)
        return; /* a tick already served, sent again */
    if (!a->o->lockstep)
        r.arrives_ms = wall_ms(a);
    keep_reading(a, &r, topic);
}

static void on_message(void *user, const char *topic, const void *payload, size_t len)
{
    Agent *a = user;
    char id[CITY_NET_ID_MAX];
    CityError why;
    switch (city_net_topic_parse(a->o->site, topic, id, sizeof id)) {
    case CITY_TOPIC_SENSOR:
        on_sensor(a, topic, id, payload, len);
        return;
    case CITY_TOPIC_STATE: {
        CityNetState s;
        if (!city_net_state_parse(payload, len, &s, &why)) {
            reject(a, CITY_NET_MALFORMED, topic, why.msg);
            return;
        }
        if (a->waiting && !strcmp(id, a->waiting) && (s.seq < 0 || s.seq == a->waiting_seq) &&
            (!s.src[0] || !strcmp(s.src, a->o->name))) {
            a->got_state = true;
            snprintf(a->result, sizeof a->result, "%s", s.result);
        }
        return;
    }
    case CITY_TOPIC_CLOCK:
        if (!city_net_clock_parse(payload, len, &a->clock, &why)) {
            reject(a, CITY_NET_MALFORMED, topic, why.msg);
            return;
        }
        a->have_clock = true;
        return;
    default:
        reject(a, CITY_NET_BAD_TOPIC, topic, "not a topic the agent reads");
    }
}

static void publish(Agent *a, CityNetTopic kind, const char *id, const char *payload, size_t len)
{
    char topic[CITY_NET_TOPIC_MAX];
    if (city_net_topic(topic, sizeof topic, a->o->site, kind, id))
        city_mqtt_publish(a->mqtt, topic, payload, len, false);
}

static void send_command(Agent *a, const Sent *s)
{
    char buf[CITY_NET_MSG_MAX];
    size_t len = city_net_command_format(buf, sizeof buf, &s->cmd);
    publish(a, CITY_TOPIC_SET, s->actuator, buf, len);
}

/* A refusal's reason as a static string. */
static const char *static_reason(const char *result)
{
    for (int r = 0; r < CITY_CMD_RESULT_COUNT; r++)
        if (!strcmp(result, city_command_result_name((CityCommandResult)r)))
            return city_command_result_name((CityCommandResult)r);
    return "refused";
}

/* ---- the controller's port -------------------------------------------- */

static int64_t p_now_ms(void *ctx)
{
    Agent *a = ctx;
    return a->o->lockstep ? a->now_ms : wall_ms(a);
}

/* Sends a command and waits for its state (resending it until then). */
static const char *p_command(void *ctx, const char *actuator, double value, int64_t issued_ms)
{
    Agent *a = ctx;
    if (strlen(actuator) >= CITY_NET_ID_MAX || strchr(actuator, '/') || strchr(actuator, '+') ||
        strchr(actuator, '#') || !actuator[0])
        return city_command_result_name(CITY_CMD_UNKNOWN_ACTUATOR);
    if (!city_grow((void **)&a->sent, &a->cap_sent, a->n_sent + 1, sizeof *a->sent))
        return "out_of_memory";
    Sent *s = &a->sent[a->n_sent++];
    snprintf(s->actuator, sizeof s->actuator, "%s", actuator);
    s->cmd = (CityNetCommand){value, issued_ms, "", a->o->lockstep ? a->now_ms : -1,
                              a->o->lockstep ? (int64_t)(a->n_sent - 1) : -1};
    snprintf(s->cmd.src, sizeof s->cmd.src, "%s", a->o->name);
    a->commands++;
    a->waiting = s->actuator;
    a->waiting_seq = s->cmd.seq;
    a->got_state = false;
    const double start = city_mqtt_wall_s();
    double sent_at = -1;
    while (!a->got_state && city_mqtt_wall_s() - start < a->o->ack_timeout_ms / 1000.0 && !stop_flag) {
        if (city_mqtt_ready(a->mqtt) && (sent_at < 0 || city_mqtt_wall_s() - sent_at > RESEND_S)) {
            send_command(a, s);
            sent_at = city_mqtt_wall_s();
        }
        city_mqtt_poll(a->mqtt, 20);
    }
    a->waiting = NULL;
    if (!a->got_state) {
        a->timeouts += !stop_flag; /* a wait cut short by SIGTERM is no timeout */
        return "timeout";
    }
    if (!strcmp(a->result, "ack")) {
        a->acks++;
        return NULL;
    }
    a->refusals++;
    return static_reason(a->result);
}

static void p_log(void *ctx, const char *message)
{
    Agent *a = ctx;
    if (!a->o->quiet)
        printf("%.3f controller %s\n", (double)p_now_ms(a) / 1000.0, message);
}

static void p_failsafe(void *ctx, const char *why)
{
    Agent *a = ctx;
    a->failsafes++;
    fprintf(stderr, "citylab-agent: %s: fail-safe: %s\n", a->o->name, why);
}

static void p_release(void *ctx)
{
    (void)ctx;
}

static bool start_controller(Agent *a, uint64_t seed, CityError *err)
{
    const AgentOptions *o = a->o;
    CityControllerSpec spec = {.name = o->name,
                               .path = o->file,
                               .sensors = (const char **)o->sensors,
                               .n_sensors = o->n_sensors,
                               .param_keys = (const char **)o->param_keys,
                               .param_vals = (const char **)o->param_vals,
                               .n_params = o->n_params,
                               .period_ticks = 1,
                               .stale_s = o->lockstep ? 0.0 : o->stale_s, /* the run checks staleness */
                               .instr_limit = o->instr_limit,
                               .mem_limit = o->mem_limit,
                               .seed = seed};
    const CityControllerPort port = {a, p_now_ms, p_command, p_log, p_failsafe, p_release, NULL};
    a->ctl = city_controller_new(&spec, &port, err);
    return a->ctl != NULL;
}

/* Gives the controller the kept readings up to t_ms (all of them: t_ms < 0), in arrival order. */
static void deliver(Agent *a, int64_t t_ms)
{
    size_t k = 0;
    for (size_t i = 0; i < a->n_buf; i++) {
        if (t_ms < 0 || a->buf[i].arrives_ms <= t_ms) {
            a->readings++;
            city_controller_reading(a->ctl, &a->buf[i]);
        } else {
            a->buf[k++] = a->buf[i];
        }
    }
    a->n_buf = k;
}

static void send_done(Agent *a)
{
    char buf[CITY_NET_MSG_MAX];
    size_t len = city_net_done_format(buf, sizeof buf, &a->done);
    publish(a, CITY_TOPIC_DONE, a->o->name, buf, len);
}

/* Serves the waiting clock once its readings are all here; false when it cannot start the controller. */
static bool serve_clock(Agent *a, CityError *err)
{
    const CityNetClock c = a->clock;
    if (c.t_ms <= a->last_t) {
        a->have_clock = false;
        if (c.t_ms == a->last_t) { /* the run missed our answer: the same commands and done again */
            for (size_t i = 0; i < a->n_sent; i++)
                send_command(a, &a->sent[i]);
            send_done(a);
        }
        return true;
    }
    int64_t here = 0;
    for (size_t i = 0; i < a->n_buf; i++)
        here += a->buf[i].arrives_ms <= c.t_ms;
    if (here < c.n)
        return true; /* the rest is on its way (or the run sends the tick again) */
    a->have_clock = false;
    a->now_ms = c.t_ms;
    a->n_sent = 0;
    if (!a->ctl && !start_controller(a, c.seed, err))
        return false;
    city_controller_new_budget(a->ctl);
    deliver(a, c.t_ms);
    city_controller_run(a->ctl, c.step);
    const char *failed = city_controller_failure(a->ctl);
    a->done = (CityNetDone){c.t_ms, (int64_t)a->n_sent, city_controller_next_timer_ms(a->ctl), ""};
    snprintf(a->done.failed, sizeof a->done.failed, "%s", failed ? failed : "");
    a->last_t = c.t_ms;
    send_done(a);
    return true;
}

static void print_counters(const Agent *a)
{
    printf("citylab-agent: %s: readings %llu, commands %llu (acks %llu, refused %llu, timeouts %llu), "
           "fail-safes %llu, reconnects %llu, rejected:",
           a->o->name, (unsigned long long)a->readings, (unsigned long long)a->commands, (unsigned long long)a->acks,
           (unsigned long long)a->refusals, (unsigned long long)a->timeouts, (unsigned long long)a->failsafes,
           (unsigned long long)city_mqtt_reconnects(a->mqtt));
    for (int r = 0; r < CITY_NET_REJECT_COUNT; r++)
        printf(" %s %llu", city_net_reject_name((CityNetReject)r), (unsigned long long)a->rejected[r]);
    printf("\n");
    fflush(stdout);
}

/* Field mode: wall time, step() every period. */
static void run_field(Agent *a)
{
    double next_step = city_mqtt_wall_s() - a->t0_wall;
    while (!stop_flag) {
        city_mqtt_poll(a->mqtt, 20);
        city_controller_new_budget(a->ctl);
        deliver(a, -1);
        const double now = city_mqtt_wall_s() - a->t0_wall;
        const bool step = now >= next_step;
        if (step)
            next_step += a->o->period_s * (1 + (int64_t)((now - next_step) / a->o->period_s));
        city_controller_run(a->ctl, step);
    }
}

static int serve(Agent *a)
{
    CityError err = {0};
    if (!a->o->lockstep && !start_controller(a, a->o->seed, &err)) {
        fprintf(stderr, "citylab-agent: %s\n", err.msg);
        return 2;
    }
    if (!a->o->lockstep) {
        run_field(a);
        return 0;
    }
    while (!stop_flag) {
        city_mqtt_poll(a->mqtt, 100);
        if (a->have_clock && !serve_clock(a, &err)) {
            fprintf(stderr, "citylab-agent: %s\n", err.msg);
            return 2;
        }
    }
    return 0;
}

int agent_run(const AgentOptions *o)
{
    Agent a = {.o = o, .last_t = -1, .t0_wall = city_mqtt_wall_s()};
    char status[CITY_NET_TOPIC_MAX], sensors[CITY_NET_TOPIC_MAX], states[CITY_NET_TOPIC_MAX], clock[CITY_NET_TOPIC_MAX],
        client[CITY_NET_TOPIC_MAX];
    city_net_topic(status, sizeof status, o->site, CITY_TOPIC_STATUS, o->name);
    city_net_topic(sensors, sizeof sensors, o->site, CITY_TOPIC_SENSOR, "+");
    city_net_topic(states, sizeof states, o->site, CITY_TOPIC_STATE, "+");
    city_net_topic(clock, sizeof clock, o->site, CITY_TOPIC_CLOCK, o->name);
    snprintf(client, sizeof client, "citylab-agent/%s/%s", o->site, o->name);
    const char *subs[] = {sensors, states, clock};
    const CityMqttOptions mo = {o->broker, client, o->user,  o->password, o->cafile, o->cert,
                                o->key,    status, "online", "offline",   subs,      o->lockstep ? 3u : 2u,
                                10};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    CityError err = {0};
    a.mqtt = city_mqtt_create(&mo, on_message, &a, &err);
    if (!a.mqtt) {
        fprintf(stderr, "citylab-agent: %s\n", err.msg);
        return 2;
    }
    int rc = serve(&a);
    if (rc == 0)
        print_counters(&a);
    city_controller_free(a.ctl);
    city_mqtt_destroy(a.mqtt);
    free(a.buf);
    free(a.sent);
    return rc;
}
