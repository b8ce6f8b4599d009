/* Broker round trip (not a test): one client publishes a QoS 1 message to
 * a topic it subscribes to and waits for it to come back, N times; prints
 * the median and the 99th percentile in microseconds.
 *   bench_mqtt_rtt mqtt://127.0.0.1:PORT [N]   (default 2000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_mqtt.h"

static int got;

static void on_message(void *user, const char *topic, const void *payload, size_t len)
{
    (void)user;
    (void)topic;
    (void)payload;
    (void)len;
    got++;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_mqtt_rtt mqtt://HOST:PORT [N]\n");
        return 2;
    }
    const int n = argc > 2 ? atoi(argv[2]) : 2000;
    const char *subs[] = {"citylab/bench/rtt"};
    const CityMqttOptions o = {
        .url = argv[1], .client_id = "citylab-bench-rtt", .subscriptions = subs, .n_subscriptions = 1};
    CityError err = {0};
    CityMqtt *m = city_mqtt_create(&o, on_message, NULL, &err);
    if (!m || n < 1) {
        fprintf(stderr, "bench_mqtt_rtt: %s\n", m ? "N must be >= 1" : err.msg);
        return 2;
    }
    for (int i = 0; i < 1000 && !city_mqtt_ready(m); i++)
        city_mqtt_poll(m, 10);
    double *us = calloc((size_t)n, sizeof *us);
    for (int i = 0; us && i < n; i++) {
        const int want = got + 1;
        const double t0 = city_mqtt_wall_s();
        city_mqtt_publish(m, subs[0], "x", 1, false);
        while (got < want && city_mqtt_wall_s() - t0 < 5.0)
            city_mqtt_poll(m, 5);
        us[i] = (city_mqtt_wall_s() - t0) * 1e6;
    }
    qsort(us, (size_t)n, sizeof *us, cmp);
    printf("broker round trip (QoS 1, publish -> receive): median %.0f us, p99 %.0f us over %d messages\n", us[n / 2],
           us[(n * 99) / 100], n);
    free(us);
    city_mqtt_destroy(m);
    return 0;
}
