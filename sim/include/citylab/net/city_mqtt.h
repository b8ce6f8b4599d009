/* An MQTT client for citylab's deployment path (libmosquitto, single
 * threaded): connects to mqtt://HOST:PORT or mqtts://HOST:PORT with
 * optional username/password and TLS files, subscribes, publishes a
 * retained birth message once subscribed and leaves a retained last will,
 * QoS 1 throughout, and reconnects with exponential back-off (100 ms
 * doubling to 5 s) whenever the broker goes away. Messages are handed to
 * the caller's handler from inside city_mqtt_poll only. Uses wall time for
 * the back-off, never for anything the simulation reads. */
#ifndef CITY_MQTT_H
#define CITY_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_status.h"

typedef struct CityMqtt CityMqtt;

typedef struct CityMqttOptions {
    const char *url;                  /* mqtt://HOST:PORT or mqtts://HOST:PORT (port default 1883 / 8883) */
    const char *client_id;            /* unique per client on the broker */
    const char *username;             /* may be NULL */
    const char *password;             /* may be NULL */
    const char *cafile;               /* TLS: CA certificate file (mqtts:// needs it or capath) */
    const char *certfile;             /* TLS client certificate (with keyfile), may be NULL */
    const char *keyfile;              /* */
    const char *status_topic;         /* where birth and will go (NULL: none) */
    const char *birth;                /* retained on status_topic once subscribed, e.g. "online" */
    const char *will;                 /* retained last will on status_topic, e.g. "offline" */
    const char *const *subscriptions; /* topic filters, QoS 1, renewed on every reconnect */
    size_t n_subscriptions;           /* */
    int keepalive_s;                  /* 0: 10 s */
} CityMqttOptions;

/* Called for each arriving message, from inside city_mqtt_poll. */
typedef void (*CityMqttHandler)(void *user, const char *topic, const void *payload, size_t len);

/* Splits a broker URL; false when it is not mqtt:// or mqtts://HOST[:PORT]. */
bool city_mqtt_url_parse(const char *url, char *host, size_t host_len, int *port, bool *tls);
/* Creates the client and starts connecting (a broker that is not up yet is
 * retried by city_mqtt_poll); the caller frees it with city_mqtt_destroy.
 * NULL with err filled (CITY_ERR_INVALID for bad options, CITY_ERR_IO for
 * unreadable TLS files, CITY_ERR_NOMEM); err may be NULL. */
CityMqtt *city_mqtt_create(const CityMqttOptions *o, CityMqttHandler on_message, void *user, CityError *err);
/* Runs the network for up to timeout_ms: reads and writes, hands messages
 * to the handler, reconnects when due. Returns true when ready (connected,
 * subscribed, birth sent). */
bool city_mqtt_poll(CityMqtt *m, int timeout_ms);
/* Connected, subscribed and born. */
bool city_mqtt_ready(const CityMqtt *m);
/* Publishes at QoS 1; false when not connected (the caller retries). */
bool city_mqtt_publish(CityMqtt *m, const char *topic, const void *payload, size_t len, bool retain);
/* True when the broker answered the last connection attempt with a
 * refusal (bad username or password, not authorised, ...). */
bool city_mqtt_refused(const CityMqtt *m);
/* Why the last connection attempt failed (the broker's refusal, a TLS or
 * socket error), or NULL; valid until the next poll. */
const char *city_mqtt_last_error(const CityMqtt *m);
/* Times it lost the broker and got it back. */
uint64_t city_mqtt_reconnects(const CityMqtt *m);
/* Publishes the will's text retained (a clean goodbye), disconnects and frees. NULL is fine. */
void city_mqtt_destroy(CityMqtt *m);
/* Wall-clock seconds (monotonic), for timeouts of the network only. */
double city_mqtt_wall_s(void);

#endif
