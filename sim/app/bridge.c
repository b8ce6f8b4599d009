/* citylab run --bridge: the run's side of the lockstep exchange with
 * citylab-agent over MQTT (scenarios/DEVICE_API.md). For each exchange of
 * a bridged controller it publishes the readings and the clock, applies the
 * commands that come back in their order (each once, however often it is
 * sent), answers each on .../state, and returns at the agent's done; a
 * tick that sees no done within the timeout is a miss. A broker that goes
 * away is waited for: the tick is sent again after the reconnect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_controller.h"
#include "city_mqtt.h"
#include "city_net_msg.h"
#include "commands.h"

#define RESEND_S 1.0 /* a tick not answered after this long is sent again */
/* Connecting to the broker is given at least this long, whatever the
 * exchange timeout: a short --bridge-timeout-ms bounds each control
 * period, not how fast a loaded machine gets a TCP connection through. */
#define CONNECT_MIN_S 10.0

typedef struct Answer {
    char actuator[CITY_NET_ID_MAX];
    CityNetState state;
} Answer;

struct CityRunBridge {
    CityControlBridge iface;
    CityMqtt *mqtt;
    char site[CITY_NET_ID_MAX];
    int timeout_ms;
    /* the exchange in progress */
    bool active;
    const CityBridgeTick *tick;
    CityBridgeApply apply;
    void *apply_ctx;
    Answer *answers; /* by seq */
    size_t n_answers, cap_answers;
    bool done;
    CityNetDone done_msg;
    /* agents seen online */
    char online[16][CITY_NET_ID_MAX];
    int n_online;
    uint64_t exchanges, misses, commands, rejected[CITY_NET_REJECT_COUNT];
};

static void reject(CityRunBridge *b, CityNetReject r, const char *topic, const char *why)
{
    b->rejected[r]++;
    fprintf(stderr, "citylab: bridge: refused (%s) on %s: %s\n", city_net_reject_name(r), topic, why);
}

static void publish(CityRunBridge *b, CityNetTopic kind, const char *id, const char *payload, size_t len)
{
    char topic[CITY_NET_TOPIC_MAX];
    if (city_net_topic(topic, sizeof topic, b->site, kind, id))
        city_mqtt_publish(b->mqtt, topic, payload, len, false);
}

static void answer(CityRunBridge *b, const Answer *a)
{
    char buf[CITY_NET_MSG_MAX];
    size_t len = city_net_state_format(buf, sizeof buf, &a->state);
    publish(b, CITY_TOPIC_STATE, a->actuator, buf, len);
}

static void on_set(CityRunBridge *b, const char *topic, const char *actuator, const void *payload, size_t len)
{
    CityNetCommand c;
    CityError why;
    if (!city_net_command_parse(payload, len, &c, &why)) {
        reject(b, CITY_NET_MALFORMED, topic, why.msg);
        return;
    }
    if (c.seq < 0 || c.x_ms < 0 || !c.src[0]) {
        reject(b, CITY_NET_MALFORMED, topic, "a bridged run takes commands with \"src\", \"x\" and \"seq\"");
        return;
    }
    if (!b->active || strcmp(c.src, b->tick->controller) || c.x_ms != b->tick->now_ms || (size_t)c.seq > b->n_answers) {
        reject(b, CITY_NET_STRAY, topic, "not a command of the exchange in progress");
        return;
    }
    if ((size_t)c.seq < b->n_answers) { /* sent again: the same answer again */
        answer(b, &b->answers[c.seq]);
        return;
    }
    if (!city_grow((void **)&b->answers, &b->cap_answers, b->n_answers + 1, sizeof *b->answers)) {
        reject(b, CITY_NET_MALFORMED, topic, "out of memory");
        return;
    }
    Answer *a = &b->answers[b->n_answers++];
    snprintf(a->actuator, sizeof a->actuator, "%s", actuator);
    const char *refused = b->apply(b->apply_ctx, actuator, c.value, c.issued_ms);
    b->commands++;
    a->state = (CityNetState){c.value, b->tick->now_ms, "ack", "", c.x_ms, c.seq};
    snprintf(a->state.src, sizeof a->state.src, "%s", c.src);
    if (refused) {
        snprintf(a->state.result, sizeof a->state.result, "%s", refused);
        b->rejected[strcmp(refused, "unknown_actuator") ? CITY_NET_REFUSED : CITY_NET_UNKNOWN_ACTUATOR]++;
    }
    answer(b, a);
}

static void on_status(CityRunBridge *b, const char *name, const void *payload, size_t len)
{
    const bool online = len == 6 && !memcmp(payload, "online", 6);
    int k = 0;
    while (k < b->n_online && strcmp(b->online[k], name))
        k++;
    if (online && k == b->n_online && k < 16)
        snprintf(b->online[b->n_online++], CITY_NET_ID_MAX, "%s", name);
    else if (!online && k < b->n_online)
        b->online[k][0] = '\0';
}

static void on_message(void *user, const char *topic, const void *payload, size_t len)
{
    CityRunBridge *b = user;
    char id[CITY_NET_ID_MAX];
    CityError why;
    switch (city_net_topic_parse(b->site, topic, id, sizeof id)) {
    case CITY_TOPIC_SET:
        on_set(b, topic, id, payload, len);
        return;
    case CITY_TOPIC_DONE: {
        CityNetDone d;
        if (!city_net_done_parse(payload, len, &d, &why))
            reject(b, CITY_NET_MALFORMED, topic, why.msg);
        else if (!b->active || strcmp(id, b->tick->controller) || d.t_ms != b->tick->now_ms)
            reject(b, CITY_NET_STRAY, topic, "not the done of the exchange in progress");
        else {
            b->done = true;
            b->done_msg = d;
        }
        return;
    }
    case CITY_TOPIC_STATUS:
        on_status(b, id, payload, len);
        return;
    default:
        reject(b, CITY_NET_BAD_TOPIC, topic, "not a topic the run reads");
    }
}

static bool agent_online(const CityRunBridge *b, const char *name)
{
    for (int k = 0; k < b->n_online; k++)
        if (!strcmp(b->online[k], name))
            return true;
    return false;
}

/* Publishes the tick's readings, then its clock. */
static void send_tick(CityRunBridge *b, const CityBridgeTick *t)
{
    char buf[CITY_NET_MSG_MAX];
    for (size_t i = 0; i < t->n_readings; i++) {
        size_t len = city_net_reading_format(buf, sizeof buf, &t->readings[i]);
        publish(b, CITY_TOPIC_SENSOR, t->readings[i].sensor, buf, len);
    }
    const CityNetClock c = {t->now_ms, t->seed, t->step, (int64_t)t->n_readings};
    size_t len = city_net_clock_format(buf, sizeof buf, &c);
    publish(b, CITY_TOPIC_CLOCK, t->controller, buf, len);
}

static void exchange(void *ctx, const CityBridgeTick *t, CityBridgeApply apply, void *apply_ctx, CityBridgeResult *out)
{
    CityRunBridge *b = ctx;
    const double start = city_mqtt_wall_s(), limit_s = b->timeout_ms / 1000.0;
    b->exchanges++;
    while (!(city_mqtt_ready(b->mqtt) && agent_online(b, t->controller)) && city_mqtt_wall_s() - start < limit_s)
        city_mqtt_poll(b->mqtt, 20);
    b->active = true;
    b->tick = t;
    b->apply = apply;
    b->apply_ctx = apply_ctx;
    b->n_answers = 0;
    b->done = false;
    double sent_at = -1;
    uint64_t reconnects = city_mqtt_reconnects(b->mqtt);
    while (!(b->done && (int64_t)b->n_answers >= b->done_msg.n) && city_mqtt_wall_s() - start < limit_s) {
        const bool again =
            sent_at < 0 || city_mqtt_wall_s() - sent_at > RESEND_S || city_mqtt_reconnects(b->mqtt) != reconnects;
        if (city_mqtt_ready(b->mqtt) && again) {
            send_tick(b, t);
            sent_at = city_mqtt_wall_s();
            reconnects = city_mqtt_reconnects(b->mqtt);
        }
        city_mqtt_poll(b->mqtt, 20);
    }
    out->done = b->done && (int64_t)b->n_answers >= b->done_msg.n;
    out->commands = b->n_answers;
    if (out->done) {
        out->wake_ms = b->done_msg.wake_ms;
        snprintf(out->failed, sizeof out->failed, "%s", b->done_msg.failed);
    } else {
        b->misses++;
    }
    b->active = false;
    b->tick = NULL;
}

CityRunBridge *city_run_bridge_create(const char *url, const char *site, int timeout_ms, const CityBridgeAuth *auth,
                                      CityError *err)
{
    CityRunBridge *b = calloc(1, sizeof *b);
    if (!b) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(b->site, sizeof b->site, "%s", site);
    b->timeout_ms = timeout_ms;
    b->iface = (CityControlBridge){b, exchange};
    char sets[CITY_NET_TOPIC_MAX], dones[CITY_NET_TOPIC_MAX], status[CITY_NET_TOPIC_MAX], client[CITY_NET_TOPIC_MAX];
    city_net_topic(sets, sizeof sets, site, CITY_TOPIC_SET, "+");
    city_net_topic(dones, sizeof dones, site, CITY_TOPIC_DONE, "+");
    city_net_topic(status, sizeof status, site, CITY_TOPIC_STATUS, "+");
    snprintf(client, sizeof client, "citylab-run/%s", site);
    const char *subs[] = {sets, dones, status};
    const CityBridgeAuth none = {0};
    if (!auth)
        auth = &none;
    const CityMqttOptions mo = {.url = url,
                                .client_id = client,
                                .username = auth->user,
                                .password = auth->password,
                                .cafile = auth->cafile,
                                .certfile = auth->cert,
                                .keyfile = auth->key,
                                .subscriptions = subs,
                                .n_subscriptions = 3};
    b->mqtt = city_mqtt_create(&mo, on_message, b, err);
    const double start = city_mqtt_wall_s();
    const double connect_s = timeout_ms / 1000.0 > CONNECT_MIN_S ? timeout_ms / 1000.0 : CONNECT_MIN_S;
    while (b->mqtt && !city_mqtt_ready(b->mqtt) && !city_mqtt_refused(b->mqtt) &&
           city_mqtt_wall_s() - start < connect_s)
        city_mqtt_poll(b->mqtt, 20);
    if (b->mqtt && city_mqtt_refused(b->mqtt))
        city_error_set(err, CITY_ERR_IO,
                       "the broker at %s refused the connection (%s); check --bridge-user and --bridge-password "
                       "against its password file",
                       url, city_mqtt_last_error(b->mqtt));
    else if (b->mqtt && !city_mqtt_ready(b->mqtt))
        city_error_set(err, CITY_ERR_IO,
                       "no broker answers at %s within %.0f s%s%s%s; start mosquitto there (see README, Deploying a "
                       "controller)",
                       url, connect_s, city_mqtt_last_error(b->mqtt) ? " (last error: " : "",
                       city_mqtt_last_error(b->mqtt) ? city_mqtt_last_error(b->mqtt) : "",
                       city_mqtt_last_error(b->mqtt) ? ")" : "");
    if (!b->mqtt || !city_mqtt_ready(b->mqtt)) {
        city_mqtt_destroy(b->mqtt);
        free(b);
        return NULL;
    }
    return b;
}

const CityControlBridge *city_run_bridge_iface(const CityRunBridge *b)
{
    return b ? &b->iface : NULL;
}

void city_run_bridge_destroy(CityRunBridge *b, bool report)
{
    if (!b)
        return;
    if (report) {
        fprintf(stderr, "citylab: bridge: %llu exchanges, %llu missed, %llu commands, %llu reconnects, refused:",
                (unsigned long long)b->exchanges, (unsigned long long)b->misses, (unsigned long long)b->commands,
                (unsigned long long)city_mqtt_reconnects(b->mqtt));
        for (int r = 0; r < CITY_NET_REJECT_COUNT; r++)
            fprintf(stderr, " %s %llu", city_net_reject_name((CityNetReject)r), (unsigned long long)b->rejected[r]);
        fputc('\n', stderr);
    }
    city_mqtt_destroy(b->mqtt);
    free(b->answers);
    free(b);
}
