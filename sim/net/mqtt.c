/* The MQTT client (city_mqtt.h) over libmosquitto's single-threaded loop. */
#include "city_mqtt.h"

#include "city_array.h"

#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_S 0.1
#define BACKOFF_MAX_S 5.0

struct CityMqtt {
    struct mosquitto *mosq;
    char host[256];
    int port;
    int keepalive_s;
    char *status_topic, *birth, *will;
    char **subs;
    size_t n_subs;
    int pending_subs; /* SUBACKs still awaited */
    bool connected;   /* TCP + CONNACK */
    bool ready;       /* subscribed and born */
    bool ever;        /* was connected once */
    double backoff_s, next_try_s;
    uint64_t reconnects;
    CityMqttHandler on_message;
    void *user;
    int refused;          /* the broker's last CONNACK refusal (0: none) */
    char last_error[160]; /* why the last connection attempt or loop failed ("" none) */
};

static int lib_users;

double city_mqtt_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool city_mqtt_url_parse(const char *url, char *host, size_t host_len, int *port, bool *tls)
{
    const char *rest;
    if (!strncmp(url, "mqtt://", 7)) {
        rest = url + 7;
        *tls = false;
    } else if (!strncmp(url, "mqtts://", 8)) {
        rest = url + 8;
        *tls = true;
    } else {
        return false;
    }
    const char *colon = strrchr(rest, ':');
    const size_t n = colon ? (size_t)(colon - rest) : strlen(rest);
    if (n == 0 || n >= host_len || strchr(rest, '/'))
        return false;
    memcpy(host, rest, n);
    host[n] = '\0';
    *port = *tls ? 8883 : 1883;
    if (colon) {
        char *end = NULL;
        long p = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || p < 1 || p > 65535)
            return false;
        *port = (int)p;
    }
    return true;
}

static void on_connect(struct mosquitto *mosq, void *ud, int rc)
{
    CityMqtt *m = ud;
    if (rc != 0) {
        m->refused = rc;
        snprintf(m->last_error, sizeof m->last_error, "%s", mosquitto_connack_string(rc));
        return;
    }
    m->refused = 0;
    m->last_error[0] = '\0';
    m->connected = true;
    m->backoff_s = BACKOFF_MIN_S;
    if (m->ever)
        m->reconnects++;
    m->ever = true;
    m->pending_subs = 0;
    for (size_t i = 0; i < m->n_subs; i++)
        if (mosquitto_subscribe(mosq, NULL, m->subs[i], 1) == MOSQ_ERR_SUCCESS)
            m->pending_subs++;
    if (m->pending_subs == 0) {
        if (m->status_topic && m->birth)
            mosquitto_publish(mosq, NULL, m->status_topic, (int)strlen(m->birth), m->birth, 1, true);
        m->ready = true;
    }
}

static void on_subscribe(struct mosquitto *mosq, void *ud, int mid, int n, const int *granted)
{
    (void)mid;
    (void)n;
    (void)granted;
    CityMqtt *m = ud;
    if (m->pending_subs > 0 && --m->pending_subs == 0) {
        if (m->status_topic && m->birth)
            mosquitto_publish(mosq, NULL, m->status_topic, (int)strlen(m->birth), m->birth, 1, true);
        m->ready = true;
    }
}

static void on_disconnect(struct mosquitto *mosq, void *ud, int rc)
{
    (void)mosq;
    (void)rc;
    CityMqtt *m = ud;
    m->connected = m->ready = false;
}

static void on_message(struct mosquitto *mosq, void *ud, const struct mosquitto_message *msg)
{
    (void)mosq;
    CityMqtt *m = ud;
    m->on_message(m->user, msg->topic, msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0);
}

/* Keeps why a connection attempt or the loop failed (rc a MOSQ_ERR_*). */
static void note_error(CityMqtt *m, int rc)
{
    if (rc == MOSQ_ERR_SUCCESS || m->refused)
        return; /* a refusal says more than the disconnection that follows it */
    snprintf(m->last_error, sizeof m->last_error, "%s",
             rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
}

/* TLS, credentials and the will; false with err filled. */
static bool configure(CityMqtt *m, const CityMqttOptions *o, bool tls, CityError *err)
{
    if (tls) {
        if (!o->cafile)
            return city_error_set(err, CITY_ERR_INVALID,
                                  "%s: mqtts:// needs --cafile FILE (the broker's CA certificate)", o->url),
                   false;
        if (!o->certfile != !o->keyfile)
            return city_error_set(err, CITY_ERR_INVALID, "--cert and --key go together: give both or neither"), false;
        int rc = mosquitto_tls_set(m->mosq, o->cafile, NULL, o->certfile, o->keyfile, NULL);
        if (rc != MOSQ_ERR_SUCCESS)
            return city_error_set(err, CITY_ERR_IO, "TLS files (CA certificate %s): %s", o->cafile,
                                  mosquitto_strerror(rc)),
                   false;
    } else if (o->cafile || o->certfile || o->keyfile) {
        return city_error_set(err, CITY_ERR_INVALID, "%s: TLS files need an mqtts:// broker URL", o->url), false;
    }
    if ((o->username || o->password) &&
        mosquitto_username_pw_set(m->mosq, o->username ? o->username : "", o->password) != MOSQ_ERR_SUCCESS)
        return city_error_set(err, CITY_ERR_NOMEM, "cannot set the username and password"), false;
    if (m->status_topic && m->will &&
        mosquitto_will_set(m->mosq, m->status_topic, (int)strlen(m->will), m->will, 1, true) != MOSQ_ERR_SUCCESS)
        return city_error_set(err, CITY_ERR_INVALID, "cannot set the last will on %s", m->status_topic), false;
    mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_subscribe_callback_set(m->mosq, on_subscribe);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_message_callback_set(m->mosq, on_message);
    return true;
}

CityMqtt *city_mqtt_create(const CityMqttOptions *o, CityMqttHandler handler, void *user, CityError *err)
{
    char host[256];
    int port;
    bool tls;
    if (!o->url || !city_mqtt_url_parse(o->url, host, sizeof host, &port, &tls)) {
        city_error_set(err, CITY_ERR_INVALID,
                       "broker '%s' is not a URL like mqtt://127.0.0.1:1883 or mqtts://host:8883",
                       o->url ? o->url : "");
        return NULL;
    }
    if (lib_users++ == 0)
        mosquitto_lib_init();
    CityMqtt *m = calloc(1, sizeof *m);
    if (m) {
        snprintf(m->host, sizeof m->host, "%s", host);
        m->port = port;
        m->keepalive_s = o->keepalive_s > 0 ? o->keepalive_s : 10;
        m->on_message = handler;
        m->user = user;
        m->backoff_s = BACKOFF_MIN_S;
        m->status_topic = city_strdup(o->status_topic);
        m->birth = city_strdup(o->birth);
        m->will = city_strdup(o->will);
        m->subs = calloc(o->n_subscriptions + 1, sizeof *m->subs);
        for (size_t i = 0; m->subs && i < o->n_subscriptions; i++)
            if ((m->subs[m->n_subs] = city_strdup(o->subscriptions[i])))
                m->n_subs++;
        m->mosq = mosquitto_new(o->client_id, true, m);
    }
    if (!m || !m->mosq || !m->subs || m->n_subs != o->n_subscriptions) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory creating the MQTT client");
        city_mqtt_destroy(m);
        return NULL;
    }
    if (!configure(m, o, tls, err)) {
        city_mqtt_destroy(m);
        return NULL;
    }
    const int rc = mosquitto_connect(m->mosq, m->host, m->port, m->keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) {
        note_error(m, rc);
        m->next_try_s = city_mqtt_wall_s() + m->backoff_s; /* not up yet: poll retries */
    } else
        m->connected = false; /* CONNACK pending: on_connect sets it */
    m->ever = false;
    return m;
}

/* One reconnection attempt when it is due; the back-off doubles on failure. */
static void reconnect_when_due(CityMqtt *m, int timeout_ms)
{
    double now = city_mqtt_wall_s();
    if (now < m->next_try_s) {
        double wait = m->next_try_s - now;
        if (wait > timeout_ms / 1000.0)
            wait = timeout_ms / 1000.0;
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
        return;
    }
    const int rc = mosquitto_reconnect(m->mosq);
    if (rc == MOSQ_ERR_SUCCESS) {
        m->next_try_s = 0;
        return;
    }
    note_error(m, rc);
    m->next_try_s = now + m->backoff_s;
    m->backoff_s = m->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : m->backoff_s * 2;
}

bool city_mqtt_poll(CityMqtt *m, int timeout_ms)
{
    if (m->next_try_s > 0) {
        reconnect_when_due(m, timeout_ms);
        return m->ready;
    }
    int rc = mosquitto_loop(m->mosq, timeout_ms, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
        note_error(m, rc);
        m->connected = m->ready = false;
        m->next_try_s = city_mqtt_wall_s() + m->backoff_s;
        m->backoff_s = m->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : m->backoff_s * 2;
    }
    return m->ready;
}

bool city_mqtt_ready(const CityMqtt *m)
{
    return m->ready;
}

bool city_mqtt_publish(CityMqtt *m, const char *topic, const void *payload, size_t len, bool retain)
{
    if (!m->connected)
        return false;
    return mosquitto_publish(m->mosq, NULL, topic, (int)len, payload, 1, retain) == MOSQ_ERR_SUCCESS;
}

bool city_mqtt_refused(const CityMqtt *m)
{
    return m->refused != 0;
}

const char *city_mqtt_last_error(const CityMqtt *m)
{
    return m->last_error[0] ? m->last_error : NULL;
}

uint64_t city_mqtt_reconnects(const CityMqtt *m)
{
    return m->reconnects;
}

void city_mqtt_destroy(CityMqtt *m)
{
    if (!m)
        return;
    if (m->mosq) {
        if (m->connected && m->status_topic && m->will) {
            mosquitto_publish(m->mosq, NULL, m->status_topic, (int)strlen(m->will), m->will, 1, true);
            for (int i = 0; i < 20 && mosquitto_want_write(m->mosq); i++)
                mosquitto_loop(m->mosq, 10, 1);
            mosquitto_disconnect(m->mosq);
            mosquitto_loop(m->mosq, 10, 1);
        }
        mosquitto_destroy(m->mosq);
    }
    for (size_t i = 0; i < m->n_subs; i++)
        free(m->subs[i]);
    free(m->subs);
    free(m->status_topic);
    free(m->birth);
    free(m->will);
    free(m);
    if (--lib_users == 0)
        mosquitto_lib_cleanup();
}
