/* Sensors: exact truth without noise or faults, the statistics of noise,
 * bias and dropout within their sampling tolerance, stuck and dead faults,
 * latency, quantization and range, the humidity growth of optical PM
 * sensors, and determinism with every model on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_hash.h"
#include "city_thread.h"
#include "city_senml.h"
#include "city_sensor.h"
#include "city_state.h"

typedef struct Capture {
    CityReading *r;
    double *truth;
    size_t n, cap;
} Capture;

static void capture_sink(void *user, const CityReading *r, double truth)
{
    Capture *c = user;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->r = realloc(c->r, c->cap * sizeof *c->r);
        c->truth = realloc(c->truth, c->cap * sizeof *c->truth);
    }
    c->r[c->n] = *r;
    c->truth[c->n++] = truth;
}

static void capture_free(Capture *c)
{
    free(c->r);
    free(c->truth);
    memset(c, 0, sizeof *c);
}

static CityWorld *world(uint64_t seed, int32_t dt_ms)
{
    CityWorldConfig cfg = {seed, dt_ms};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    return w;
}

/* Steps the world, feeding channel `ch` the value fn(tick) after every
 * step as a coupling would in COMMIT. */
static void run_feeding(CityWorld *w, int32_t ch, int64_t ticks, double (*fn)(int64_t), bool add)
{
    CitySensors *s = city_sensors_of(w);
    for (int64_t t = 0; t < ticks; t++) {
        assert_int_equal(city_world_step(w), CITY_OK);
        if (add)
            city_sensor_feed_add(s, ch, fn(t));
        else
            city_sensor_feed_value(s, ch, fn(t));
    }
}

static double counts(int64_t t)
{
    return (double)((t * 7) % 3); /* 0, 1, 2 vehicles per tick */
}
static double ten(int64_t t)
{
    (void)t;
    return 10.0;
}

static void test_exact_without_noise(void **state)
{
    (void)state;
    CityWorld *w = world(1, 100);
    CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_COUNT, "loop.a");
    d.period_s = 60.0;
    assert_int_equal(city_sensor_add(w, &d), 0);
    Capture cap = {0};
    city_sensors_set_sink(city_sensors_of(w), capture_sink, &cap);
    run_feeding(w, 0, 6001, counts, true);
    assert_int_equal(cap.n, 10);
    for (size_t i = 0; i < cap.n; i++) {
        /* the interval ending at tick 600 (i + 1) holds ticks 600 i .. 600 i + 599 */
        double expect = 0;
        for (int64_t t = 600 * (int64_t)i; t < 600 * (int64_t)(i + 1); t++)
            expect += counts(t);
        assert_true(cap.r[i].value == expect);
        assert_true(cap.truth[i] == expect);
        assert_int_equal(cap.r[i].measured_ms, 60000 * (int64_t)(i + 1));
        assert_int_equal(cap.r[i].arrives_ms, cap.r[i].measured_ms);
        assert_int_equal(cap.r[i].quality, CITY_QUALITY_GOOD);
    }
    capture_free(&cap);
    city_world_destroy(w);
}

static void test_noise_bias_dropout_statistics(void **state)
{
    (void)state;
    CityWorld *w = world(42, 100);
    CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_TEMPERATURE, "t.1");
    d.period_s = 0.1;
    d.noise_sd = 2.0;
    d.bias = 0.5;
    d.dropout_p = 0.2;
    assert_int_equal(city_sensor_add(w, &d), 0);
    Capture cap = {0};
    city_sensors_set_sink(city_sensors_of(w), capture_sink, &cap);
    const int64_t samples = 40000;
    run_feeding(w, 0, samples + 1, ten, false);
    CitySensorStatus st;
    city_sensor_status(city_sensors_of(w), 0, &st);
    assert_int_equal(st.samples, samples);
    /* dropout: binomial, 4 standard deviations */
    const double p = 0.2, kept_expect = samples * (1 - p), kept_sd = sqrt(samples * p * (1 - p));
    assert_true(fabs((double)cap.n - kept_expect) < 4 * kept_sd);
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < cap.n; i++) {
        sum += cap.r[i].value - cap.truth[i];
        sum2 += (cap.r[i].value - cap.truth[i]) * (cap.r[i].value - cap.truth[i]);
    }
    const double n = (double)cap.n, mean = sum / n, sd = sqrt((sum2 - n * mean * mean) / (n - 1));
    /* mean error: bias within 4 sd/sqrt(n); sd within 4 sd/sqrt(2n) */
    assert_true(fabs(mean - 0.5) < 4 * 2.0 / sqrt(n));
    assert_true(fabs(sd - 2.0) < 4 * 2.0 / sqrt(2 * n));
    assert_true(fabs(mean - 0.5) > 0 && sd != 2.0); /* really random */
    capture_free(&cap);
    city_world_destroy(w);
}

static void test_stuck_dead_and_latency(void **state)
{
    (void)state;
    CityWorld *w = world(3, 100);
    CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_PM25, "pm.stuck");
    d.noise_sd = 1.0;
    d.fault = CITY_FAULT_STUCK;
    d.fault_at_s = 30.5;
    d.latency_s = 1.3;
    assert_int_equal(city_sensor_add(w, &d), 0);
    d.name = "pm.dead";
    d.fault = CITY_FAULT_DEAD;
    assert_int_equal(city_sensor_add(w, &d), 1);
    CitySensors *s = city_sensors_of(w);
    Capture cap = {0};
    city_sensors_set_sink(s, capture_sink, &cap);
    city_sensors_enable_delivery(s, true);
    size_t delivered = 0;
    for (int64_t t = 0; t <= 600; t++) {
        assert_int_equal(city_world_step(w), CITY_OK);
        city_sensor_feed_value(s, 0, 20.0 + t * 0.01);
        city_sensor_feed_value(s, 1, 20.0);
        CityReading got[4];
        const int64_t now_ms = city_world_tick(w) * 100;
        size_t k = city_sensors_poll(s, now_ms, got, 4);
        for (size_t i = 0; i < k; i++) {
            /* delivered exactly when due: not earlier, and by the first poll after */
            assert_true(got[i].arrives_ms <= now_ms && got[i].arrives_ms > now_ms - 100);
            assert_int_equal(got[i].arrives_ms - got[i].measured_ms, 1300);
        }
        delivered += k;
    }
    /* one sample a second from 1 s to 60 s; the dead one stops at 30.5 s */
    size_t stuck = 0, dead = 0;
    double held = NAN;
    for (size_t i = 0; i < cap.n; i++) {
        const CityReading *r = &cap.r[i];
        assert_int_equal(r->arrives_ms - r->measured_ms, 1300);
        if (!strcmp(r->sensor, "pm.dead")) {
            dead++;
            assert_true(r->measured_ms < 30500);
        } else if (r->measured_ms < 30500) {
            held = r->value;
        } else {
            stuck++;
            assert_true(r->value == held);
            assert_true(r->value != cap.truth[i]);
        }
    }
    assert_int_equal(dead, 30);
    assert_int_equal(stuck, 30);
    assert_int_equal(delivered, cap.n - 2); /* the 59 and 60 s readings arrive after the last poll at 60.1 s */
    capture_free(&cap);
    city_world_destroy(w);
}

static void test_quantum_range_and_humidity(void **state)
{
    (void)state;
    /* Crilley et al. 2018 eq. 4 at 85 % RH, kappa 0.4: 1 + (0.4 / 1.65) / (100 / 85 - 1) */
    assert_true(fabs(city_sensor_rh_factor(0.4, 85.0) - (1.0 + 0.4 / 1.65 / (100.0 / 85.0 - 1.0))) < 1e-15);
    assert_true(fabs(city_sensor_rh_factor(0.4, 85.0) - 2.373737) < 1e-6);
    assert_true(city_sensor_rh_factor(0.0, 85.0) == 1.0);
    CityWorld *w = world(3, 1000);
    CitySensorDef d = city_sensor_def_default(CITY_SENSOR_AIR, CITY_QTY_PM25, "pm.opc");
    d.quantum = 1.0;
    d.max = 50.0;
    d.rh_kappa = 0.4;
    assert_int_equal(city_sensor_add(w, &d), 0);
    CitySensors *s = city_sensors_of(w);
    Capture cap = {0};
    city_sensors_set_sink(s, capture_sink, &cap);
    const double rh[3] = {0.0, 50.0, 85.0};
    for (int t = 0; t < 4; t++) {
        assert_int_equal(city_world_step(w), CITY_OK);
        city_sensor_feed_value(s, 0, t == 2 ? 25.0 : 20.3);
        city_sensor_feed_rh(s, 0, rh[t % 3]);
    }
    assert_int_equal(cap.n, 3);
    assert_true(cap.r[0].value == 20.0); /* dry: 20.3 rounded to the quantum */
    assert_true(cap.r[1].value == nearbyint(20.3 * city_sensor_rh_factor(0.4, 50.0)));
    assert_int_equal(cap.r[1].quality, CITY_QUALITY_GOOD);
    /* 25 at 85 % RH reads 59.3: clipped to the 50 of its range, flagged */
    assert_true(cap.r[2].value == 50.0);
    assert_int_equal(cap.r[2].quality, CITY_QUALITY_UNCERTAIN);
    assert_true(cap.truth[2] == 25.0);
    capture_free(&cap);
    city_world_destroy(w);
}

/* Every noise and fault model on, for many channels: a hash of the lines. */
static uint64_t noisy_run(uint64_t seed, bool extra)
{
    CityWorld *w = world(seed, 100);
    const CitySensorFault faults[] = {CITY_FAULT_STUCK, CITY_FAULT_DEAD, CITY_FAULT_CHATTER, CITY_FAULT_OFFSET};
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "s%d", i);
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_PM10, name);
        d.period_s = 0.5 + 0.1 * (i % 5);
        d.latency_s = 0.25 * (i % 3);
        d.noise_sd = 1.5;
        d.bias = 0.2;
        d.drift_per_h = 3.0;
        d.quantum = 0.1;
        d.min = 0;
        d.max = 80;
        d.dropout_p = 0.1;
        d.rh_kappa = 0.3;
        d.fault = faults[i % 4];
        d.mttf_s = 120.0;
        d.fault_size = 5.0;
        assert_true(city_sensor_add(w, &d) >= 0);
    }
    if (extra) { /* another channel added must not change the others */
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_PM25, "zz");
        d.noise_sd = 3;
        assert_true(city_sensor_add(w, &d) >= 0);
    }
    CitySensors *s = city_sensors_of(w);
    Capture cap = {0};
    city_sensors_set_sink(s, capture_sink, &cap);
    for (int64_t t = 0; t < 3000; t++) {
        assert_int_equal(city_world_step(w), CITY_OK);
        for (int i = 0; i < 40; i++) {
            city_sensor_feed_value(s, i, 30.0 + 10.0 * sin(t * 0.01 + i));
            city_sensor_feed_rh(s, i, 60.0);
        }
    }
    CityHash h;
    city_hash_init(&h);
    size_t counted = 0;
    for (size_t i = 0; i < cap.n; i++) {
        if (!strcmp(cap.r[i].sensor, "zz"))
            continue;
        char line[CITY_SENML_LINE_MAX];
        size_t len = city_senml_format(line, sizeof line, &cap.r[i], cap.truth[i]);
        city_hash_bytes(&h, line, len);
        counted++;
    }
    assert_true(counted > 3000);
    capture_free(&cap);
    city_world_destroy(w);
    return city_hash_value(&h);
}

static void test_determinism_all_models(void **state)
{
    (void)state;
    const uint64_t a = noisy_run(9, false);
    assert_true(a == noisy_run(9, false));
    assert_true(a == noisy_run(9, true));
    assert_true(a != noisy_run(10, false));
}

static void test_refusals(void **state)
{
    (void)state;
    CityWorld *w = world(1, 100);
    CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_COUNT, "a/b");
    assert_int_equal(city_sensor_add(w, &d), -1);
    assert_non_null(strstr(city_world_error(w), "sensor name \"a/b\" is not valid"));
    d.name = "a";
    d.dropout_p = 1.5;
    assert_int_equal(city_sensor_add(w, &d), -1);
    assert_non_null(strstr(city_world_error(w), "sensor a: dropout must be in [0, 1]"));
    d.dropout_p = 0;
    assert_int_equal(city_sensor_add(w, &d), 0);
    assert_int_equal(city_sensor_add(w, &d), -1);
    assert_non_null(strstr(city_world_error(w), "already measures count"));
    d.quantity = CITY_QTY_SPEED;
    assert_int_equal(city_sensor_add(w, &d), 1);
    assert_int_equal(city_sensor_find(city_sensors_of(w), "a", CITY_QTY_SPEED), 1);
    city_world_destroy(w);
}

/* Kept readings for inspectors: the last four of a noisy, dropping
 * channel, newest first, are exactly the last four the sink received,
 * truth included; channels added later are covered; depth 0 keeps none. */
static void test_history_keeps_last_readings(void **state)
{
    (void)state;
    CityWorld *w = world(5, 1000);
    CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_COUNT, "c");
    d.noise_sd = 1.5;
    d.dropout_p = 0.3;
    d.latency_s = 0.25;
    const int32_t ch = city_sensor_add(w, &d);
    CitySensors *s = city_sensors_of(w);
    assert_int_equal(city_sensors_keep_history(s, 4), CITY_OK);
    assert_int_equal(city_sensors_keep_history(s, 65), CITY_ERR_INVALID);
    assert_int_equal(city_sensors_keep_history(s, 4), CITY_OK);
    Capture cap = {0};
    city_sensors_set_sink(s, capture_sink, &cap);
    run_feeding(w, ch, 50, counts, true);
    CitySensorDef d2 = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_POWER, "p");
    const int32_t ch2 = city_sensor_add(w, &d2);
    run_feeding(w, ch2, 5, ten, false);
    CitySensorSample h[8];
    size_t seen = 0;
    for (size_t k = 0; k < cap.n; k++)
        seen += !strcmp(cap.r[k].sensor, "c");
    assert_true(seen > 20 && seen < 50); /* some dropped */
    assert_int_equal(city_sensor_history(s, ch, h, 8), 4);
    size_t k = cap.n;
    for (int32_t j = 0; j < 4; j++) {
        do
            k--;
        while (strcmp(cap.r[k].sensor, "c") != 0);
        assert_true(h[j].value == cap.r[k].value && h[j].truth == cap.truth[k]);
        assert_int_equal(h[j].measured_ms, cap.r[k].measured_ms);
        assert_int_equal(h[j].arrives_ms, cap.r[k].measured_ms + 250);
    }
    assert_int_equal(city_sensor_history(s, ch2, h, 2), 2);
    assert_true(h[0].value == 10.0 && h[0].measured_ms > h[1].measured_ms);
    assert_int_equal(city_sensors_keep_history(s, 0), CITY_OK);
    assert_int_equal(city_sensor_history(s, ch, h, 8), 0);
    capture_free(&cap);
    city_world_destroy(w);
}

/* Three channels of different latencies (so readings arrive out of their
 * measurement order): each poll hands out what has arrived in (arrival,
 * measurement) order with its channel, and a world restored from a
 * checkpoint with readings on their way hands out the same. */
static CityWorld *latency_world(void)
{
    CityWorld *w = world(9, 100);
    const double latency_s[3] = {2.5, 0.0, 1.05};
    const char *names[3] = {"slow", "fast", "mid"};
    for (int32_t i = 0; i < 3; i++) {
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_PM25, names[i]);
        d.latency_s = latency_s[i];
        d.period_s = i == 2 ? 0.3 : 1.0;
        assert_int_equal(city_sensor_add(w, &d), i);
    }
    city_sensors_enable_delivery(city_sensors_of(w), true);
    return w;
}

/* Steps to `until` ticks, polling three at a time; appends to got/ch (n). */
static void poll_until(CityWorld *w, int64_t until, CityReading *got, int32_t *ch, size_t *n, size_t cap)
{
    CitySensors *s = city_sensors_of(w);
    while (city_world_tick(w) < until) {
        for (int32_t i = 0; i < 3; i++)
            city_sensor_feed_value(s, i, (double)city_world_tick(w) + i / 10.0);
        assert_int_equal(city_world_step(w), CITY_OK);
        size_t k;
        do {
            assert_true(*n + 3 <= cap);
            k = city_sensors_poll_channels(s, city_world_tick(w) * 100, got + *n, ch + *n, 3);
            *n += k;
        } while (k == 3);
    }
}

static void test_delivery_order_and_channels(void **state)
{
    (void)state;
    enum { CAP = 512 };
    CityReading got[CAP], again[CAP];
    int32_t ch[CAP], ch_again[CAP];
    size_t n = 0, n_again = 0;
    CityWorld *w = latency_world();
    poll_until(w, 300, got, ch, &n, CAP);
    assert_true(n > 140);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(got[i].sensor, city_sensor_def(city_sensors_of(w), ch[i])->name);
        if (i > 0) /* arrival order; one channel's readings in measurement order */
            assert_true(got[i - 1].arrives_ms <= got[i].arrives_ms);
        for (size_t j = 0; j < i; j++)
            if (ch[j] == ch[i])
                assert_true(got[j].measured_ms < got[i].measured_ms);
    }
    bool overtaken = false; /* the fast channel's readings overtake the slow one's */
    for (size_t i = 1; i < n; i++)
        overtaken |= got[i].measured_ms < got[i - 1].measured_ms;
    assert_true(overtaken);
    /* a checkpoint at 15 s (readings of the slow and mid channels on their way), restored and run on */
    CityWorld *a = latency_world(), *b = latency_world();
    size_t n_a = 0;
    poll_until(a, 150, again, ch_again, &n_a, CAP);
    CityStateWriter out = {0};
    assert_int_equal(city_world_save(a, &out), CITY_OK);
    CityStateReader in = {.data = out.data, .len = out.len};
    if (city_world_load(b, &in) != CITY_OK)
        fail_msg("restore: %s / %s", in.error, city_world_error(b));
    n_again = n_a;
    poll_until(b, 300, again, ch_again, &n_again, CAP);
    assert_int_equal(n_again, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(again[i].sensor, got[i].sensor);
        assert_int_equal(ch_again[i], ch[i]);
        assert_int_equal(again[i].measured_ms, got[i].measured_ms);
        assert_true(again[i].value == got[i].value);
    }
    city_state_writer_free(&out);
    city_world_destroy(a);
    city_world_destroy(b);
    city_world_destroy(w);
}

/* The batch sink: a run's readings file path. Both sinks on at once. */
typedef struct BatchCapture {
    Capture cap;               /* the readings rebuilt from the reports */
    size_t calls, most;        /* batches handed over, the largest */
    CityReadingWriter *writer; /* the reports written as a run writes them */
} BatchCapture;

static void batch_sink(void *user, const CitySensors *s, int64_t measured_ms, const CitySensorReport *r, size_t n)
{
    BatchCapture *b = user;
    assert_true(n >= 1);
    b->calls++;
    b->most = n > b->most ? n : b->most;
    for (size_t k = 0; k < n; k++) {
        size_t len;
        const char *id = city_sensor_id(s, r[k].channel, &len);
        assert_int_equal(len, strlen(id));
        assert_int_equal(r[k].quantity, city_sensor_def(s, r[k].channel)->quantity);
        CityReading rd;
        city_reading_init(&rd, id, (CityQuantity)r[k].quantity, r[k].value, measured_ms, r[k].arrives_ms,
                          (CityQuality)r[k].quality);
        capture_sink(&b->cap, &rd, r[k].truth);
    }
    city_reading_writer_put_reports(b->writer, s, measured_ms, r, n);
}

static void put_sink(void *user, const CityReading *r, double truth)
{
    city_reading_writer_put(user, r, truth);
}

/* A batch sink gets every reading the per-reading sink gets, in the same
 * order and with the same numbers, in batches of at most a few hundred
 * (300 channels sample together), and the writer writes the same bytes
 * from the reports as from the readings: ids of 1 to 63 characters (the
 * longest end at the packed ids' end), noise, faults, dropout, two
 * latencies, range clips, channels added during the run. */
static void test_batch_sink_as_reading_sink(void **state)
{
    (void)state;
    CityWorld *w = world(5, 100);
    char name[CITY_SENSOR_NAME_MAX];
    const CitySensorFault faults[] = {CITY_FAULT_NONE, CITY_FAULT_STUCK, CITY_FAULT_DEAD, CITY_FAULT_CHATTER};
    for (int i = 0; i < 300; i++) {
        if (i % 50 == 7) { /* 33 to 63 characters */
            memset(name, 'x', sizeof name);
            snprintf(name, 8, "long%03d", i);
            name[7] = 'x';
            name[33 + i % 31] = '\0';
        } else {
            snprintf(name, sizeof name, i % 2 ? "p%d" : "pm25.%d.%d", i, i / 7);
        }
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, i % 3 ? CITY_QTY_PM25 : CITY_QTY_COUNT, name);
        d.noise_sd = 2.0;
        d.quantum = i % 4 ? 1.0 : 0.1;
        d.min = 0;
        d.max = 60;
        d.dropout_p = 0.1;
        d.latency_s = i % 5 ? 2.0 : 0.5;
        d.fault = faults[i % 4];
        d.mttf_s = 200.0;
        d.fault_size = 4.0;
        d.period_s = i < 290 ? 1.0 : 3.0;
        assert_true(city_sensor_add(w, &d) >= 0);
    }
    CitySensors *s = city_sensors_of(w);
    char *want = NULL, *got = NULL, *want_csv = NULL, *got_csv = NULL;
    size_t n_want = 0, n_got = 0, n_wc = 0, n_gc = 0;
    FILE *fw = open_memstream(&want, &n_want), *fg = open_memstream(&got, &n_got);
    FILE *fwc = open_memstream(&want_csv, &n_wc), *fgc = open_memstream(&got_csv, &n_gc);
    CityReadingWriter *ww = city_reading_writer_create(fw, fwc);
    BatchCapture b = {{0}, 0, 0, city_reading_writer_create(fg, fgc)};
    city_sensors_set_sink(s, put_sink, ww);
    assert_true(city_sensors_set_batch_sink(s, batch_sink, &b));
    Capture one = {0};
    for (int64_t t = 0; t < 3000; t++) {
        if (t == 1500) { /* a channel added mid-run, with the longest id */
            memset(name, 'z', sizeof name);
            name[CITY_SENSOR_NAME_MAX - 1] = '\0';
            CitySensorDef d = city_sensor_def_default(CITY_SENSOR_MANUAL, CITY_QTY_PM25, name);
            d.noise_sd = 1.0;
            assert_true(city_sensor_add(w, &d) >= 0);
        }
        if (t == 2000) /* a per-reading sink that captures, from here on */
            city_sensors_set_sink(s, capture_sink, &one);
        assert_int_equal(city_world_step(w), CITY_OK);
        for (int32_t i = 0; i < city_sensor_count(s); i++)
            city_sensor_feed_value(s, i, 30.0 + 40.0 * sin(t * 0.003 + i));
    }
    assert_true(b.calls > 300 && b.most == 256);
    assert_true(b.cap.n > 40000 && one.n > 0);
    /* the readings since the capture began are the batches' last ones, the same */
    const size_t from = b.cap.n - one.n;
    for (size_t i = 0; i < one.n; i++) {
        const CityReading *x = &one.r[i], *y = &b.cap.r[from + i];
        assert_memory_equal(x->sensor, y->sensor, sizeof x->sensor); /* NUL-padded both */
        assert_int_equal(x->quantity, y->quantity);
        assert_memory_equal(&x->value, &y->value, sizeof x->value);
        assert_ptr_equal(x->unit, y->unit);
        assert_int_equal(x->measured_ms, y->measured_ms);
        assert_int_equal(x->arrives_ms, y->arrives_ms);
        assert_int_equal(x->quality, y->quality);
        assert_memory_equal(&one.truth[i], &b.cap.truth[from + i], sizeof(double));
    }
    city_sensors_set_sink(s, NULL, NULL);
    assert_true(city_sensors_set_batch_sink(s, NULL, NULL));
    assert_true(city_reading_writer_flush(ww) && city_reading_writer_flush(b.writer));
    fclose(fw);
    fclose(fg);
    fclose(fwc);
    fclose(fgc);
    /* the writers agree until tick 2000, when the capture took the per-reading sink */
    assert_true(n_want > 1000000 && n_got > n_want && n_gc > n_wc);
    assert_memory_equal(got, want, n_want);
    assert_memory_equal(got_csv, want_csv, n_wc);
    city_reading_writer_destroy(ww);
    city_reading_writer_destroy(b.writer);
    free(want);
    free(got);
    free(want_csv);
    free(got_csv);
    capture_free(&one);
    capture_free(&b.cap);
    city_world_destroy(w);
}

/* The numbers of the channels sampling takes its short way for (the last
 * value, a quantum of 1 or none) pinned to those of the general model:
 * the hash of every reading's SenML line and of the sensors' state, taken
 * when every channel took the general model (commit ed40a88). Channels of
 * seven models interleaved (so runs of one model start and stop), one of
 * them sampled the general way (quantum 0.1); humidity growth with two
 * humidities in turn and none; every fault by random time to failure; a
 * range that clips; dropout; two latencies; some channels fed nothing for
 * a while (NaN truth); a per-reading sink and a batch sink both on. */
static void batch_count(void *user, const CitySensors *s, int64_t measured_ms, const CitySensorReport *r, size_t n)
{
    (void)s, (void)measured_ms, (void)r;
    *(size_t *)user += n;
}

/* The pinned test's world: 210 channels of seven models interleaved. */
static CityWorld *pinned_world(void)
{
    CityWorld *w = world(3, 100);
    const CitySensorFault faults[] = {CITY_FAULT_NONE, CITY_FAULT_STUCK, CITY_FAULT_DEAD, CITY_FAULT_CHATTER,
                                      CITY_FAULT_OFFSET};
    for (int i = 0; i < 210; i++) {
        char name[32];
        snprintf(name, sizeof name, "a%d", i);
        const int model = (i / 3) % 7; /* runs of three channels of one model */
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_AIR, CITY_QTY_PM25, name);
        d.noise_sd = 1.0 + 0.5 * (model % 3);
        d.bias = model == 2 ? -0.7 : 0.3;
        d.drift_per_h = model == 4 ? 5.0 : 0.0;
        d.quantum = model == 6 ? 0.1 : model % 2 ? 0.0 : 1.0;
        d.min = 0;
        d.max = model == 3 ? 40 : 1000;
        d.dropout_p = model == 1 ? 0.3 : 0.05;
        d.latency_s = model == 5 ? 1.5 : 0.0;
        d.rh_kappa = model == 0 || model == 3 || model == 6 ? 0.4 : 0.0;
        d.fault = faults[i % 5];
        d.mttf_s = 300.0;
        d.fault_size = 3.0;
        assert_true(city_sensor_add(w, &d) >= 0);
    }
    return w;
}

/* What the pinned test's coupling feeds after step t. */
static void pinned_feed(CitySensors *s, int64_t t)
{
    for (int i = 0; i < 210; i++) {
        if (i % 11 == 4 && t < 900)
            continue; /* nothing fed yet: NaN truth */
        city_sensor_feed_air(s, i, 25.0 + 20.0 * sin(t * 0.002 + i), i % 13 == 0 ? NAN : t / 1200 % 2 ? 70.0 : 85.0);
    }
}

/* The hash of readings' SenML lines, in order. */
static void hash_line(CityHash *h, const CityReading *r, double truth)
{
    char line[CITY_SENML_LINE_MAX];
    const size_t len = city_senml_format(line, sizeof line, r, truth);
    city_hash_bytes(h, line, len);
}

#define PINNED_READINGS 101608
#define PINNED_LINES 0xc39968ec1e453f96ull
#define PINNED_STATE 0xb42e2dc69e92e032ull

static void test_last_value_models_pinned(void **state)
{
    (void)state;
    CityWorld *w = pinned_world();
    CitySensors *s = city_sensors_of(w);
    Capture cap = {0};
    size_t batched = 0;
    city_sensors_set_sink(s, capture_sink, &cap);
    assert_true(city_sensors_set_batch_sink(s, batch_count, &batched));
    for (int64_t t = 0; t < 6000; t++) {
        assert_int_equal(city_world_step(w), CITY_OK);
        pinned_feed(s, t);
    }
    CityHash h;
    city_hash_init(&h);
    for (size_t i = 0; i < cap.n; i++)
        hash_line(&h, &cap.r[i], cap.truth[i]);
    const uint64_t lines = city_hash_value(&h);
    const uint64_t world_hash = city_world_hash(w);
    if (cap.n != PINNED_READINGS || lines != PINNED_LINES || world_hash != PINNED_STATE)
        printf("# %zu readings, lines %016llx, state %016llx\n", cap.n, (unsigned long long)lines,
               (unsigned long long)world_hash);
    assert_int_equal(batched, cap.n);
    assert_int_equal(cap.n, PINNED_READINGS);
    assert_true(lines == PINNED_LINES);
    assert_true(world_hash == PINNED_STATE);
    capture_free(&cap);
    city_world_destroy(w);
}

/* A batch sink that hashes the readings' lines as they come. Held: a call
 * on a thread other than `main` (a sampling aside) first waits until
 * `released_ms` reaches its measured time, and is counted in `held`. */
typedef struct LineHash {
    CityHash h;
    size_t n;
    bool hold;
    pthread_t main;
    int64_t released_ms; /* (atomic) */
    size_t held;
} LineHash;

static void batch_hash(void *user, const CitySensors *s, int64_t measured_ms, const CitySensorReport *r, size_t n)
{
    LineHash *lh = user;
    if (lh->hold && !pthread_equal(pthread_self(), lh->main)) {
        lh->held++;
        while (__atomic_load_n(&lh->released_ms, __ATOMIC_ACQUIRE) < measured_ms)
            sched_yield();
    }
    for (size_t k = 0; k < n; k++) {
        size_t len;
        CityReading rd;
        city_reading_init(&rd, city_sensor_id(s, r[k].channel, &len), (CityQuantity)r[k].quantity, r[k].value,
                          measured_ms, r[k].arrives_ms, (CityQuality)r[k].quality);
        hash_line(&lh->h, &rd, r[k].truth);
    }
    lh->n += n;
}

/* aside_run's feeds of tick t beside the pinned ones: the loop's, and channel 211's once added. */
static void feed_extra(CitySensors *s, int32_t loop, int64_t t)
{
    city_sensor_feed_add(s, loop, (double)(t % 3));
    if (city_sensor_count(s) > 211)
        city_sensor_feed_value(s, 211, 40.0 + (double)(t % 7));
}

/* What aside_run adds to the pinned world. */
enum {
    ASIDE_PINNED, /* nothing */
    ASIDE_EXTRA,  /* the channels and reads below */
    ASIDE_FEEDS,  /* those, with the tick's feeds made before its reads while a sampling aside is held */
};

/* One run of the pinned world with only a batch sink, sampling aside from
 * aside_min channels due (0: never). ASIDE_EXTRA: a loop channel (sums of
 * observations) fed every tick and a channel added mid-run, and every tick
 * a channel's last value and status read right after the step (when a
 * sampling aside may still run) into *reads, with a checkpoint's bytes
 * once. ASIDE_FEEDS: the loop and a channel fed before those reads, while
 * the tick's sampling aside (if any) is held in the sink, so the feeds are
 * made during it. Returns the state hash. */
static uint64_t aside_run(int32_t aside_min, int mode, LineHash *lh, uint64_t *reads)
{
    const bool extra = mode != ASIDE_PINNED;
    CityWorld *w = pinned_world();
    CitySensors *s = city_sensors_of(w);
    int32_t loop = -1;
    if (extra) {
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_LOOP, CITY_QTY_COUNT, "loop");
        d.noise_sd = 0.5;
        loop = city_sensor_add(w, &d);
        assert_true(loop >= 0);
    }
    city_sensors_set_aside(s, aside_min);
    *lh = (LineHash){.n = 0, .hold = mode == ASIDE_FEEDS, .main = pthread_self(), .released_ms = -1};
    city_hash_init(&lh->h);
    assert_true(city_sensors_set_batch_sink(s, batch_hash, lh));
    CityHash rh;
    city_hash_init(&rh);
    for (int64_t t = 0; t < 6000; t++) {
        if (extra && t == 3000) {
            CitySensorDef d = city_sensor_def_default(CITY_SENSOR_AIR, CITY_QTY_PM10, "late");
            d.noise_sd = 1.0;
            assert_true(city_sensor_add(w, &d) >= 0);
        }
        assert_int_equal(city_world_step(w), CITY_OK);
        if (mode == ASIDE_FEEDS) {
            feed_extra(s, loop, t);
            __atomic_store_n(&lh->released_ms, t * 100, __ATOMIC_RELEASE);
        }
        if (extra) {
            double v = NAN;
            CitySensorStatus st;
            const int32_t i = (int32_t)(t % city_sensor_count(s));
            city_sensor_last_value(s, i, &v);
            city_sensor_status(s, i, &st);
            city_hash_bytes(&rh, &v, sizeof v);
            city_hash_u64(&rh, st.samples);
            city_hash_u64(&rh, st.readings);
            city_hash_u64(&rh, (uint64_t)city_sensors_reporting(s));
            if (t == 4500) { /* a checkpoint taken while a sampling may be aside */
                CityStateWriter out = {0};
                assert_int_equal(city_world_save(w, &out), CITY_OK);
                city_hash_bytes(&rh, out.data, out.len);
                free(out.data);
            }
            if (mode == ASIDE_EXTRA)
                feed_extra(s, loop, t);
        }
        pinned_feed(s, t);
    }
    __atomic_store_n(&lh->released_ms, INT64_MAX, __ATOMIC_RELEASE);
    *reads = city_hash_value(&rh);
    assert_true(city_sensors_set_batch_sink(s, NULL, NULL));
    const uint64_t state = city_world_hash(w);
    city_world_destroy(w);
    return state;
}

/* Sampling aside, on the sensors' own thread, is sampling in place: the
 * pinned world with only a batch sink and every tick's sampling aside
 * gives the pinned readings and state; with a channel fed sums, a channel
 * added mid-run and the state read and saved while a sampling may be
 * aside, the same readings, reads, checkpoint and state as sampling in place. */
static void test_sampling_aside_as_in_place(void **state)
{
    (void)state;
    LineHash aside, in_place;
    uint64_t reads_aside, reads_in_place;
    assert_true(aside_run(1, ASIDE_PINNED, &aside, &reads_aside) == PINNED_STATE);
    assert_int_equal(aside.n, PINNED_READINGS);
    assert_true(city_hash_value(&aside.h) == PINNED_LINES);
    for (int mode = ASIDE_EXTRA; mode <= ASIDE_FEEDS; mode++) {
        const uint64_t st_aside = aside_run(1, mode, &aside, &reads_aside);
        const uint64_t st_in_place = aside_run(0, mode, &in_place, &reads_in_place);
        assert_true(aside.n > PINNED_READINGS);
        assert_int_equal(aside.n, in_place.n);
        assert_true(city_hash_value(&aside.h) == city_hash_value(&in_place.h));
        assert_true(reads_aside == reads_in_place);
        assert_true(st_aside == st_in_place);
        if (mode == ASIDE_FEEDS && city_cpus_available() >= 2)
            assert_true(aside.held > 500); /* of the 600 samplings, so many had feeds made during them */
        assert_int_equal(in_place.held, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_without_noise),         cmocka_unit_test(test_noise_bias_dropout_statistics),
        cmocka_unit_test(test_stuck_dead_and_latency),      cmocka_unit_test(test_quantum_range_and_humidity),
        cmocka_unit_test(test_determinism_all_models),      cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_history_keeps_last_readings), cmocka_unit_test(test_delivery_order_and_channels),
        cmocka_unit_test(test_batch_sink_as_reading_sink),  cmocka_unit_test(test_last_value_models_pinned),
        cmocka_unit_test(test_sampling_aside_as_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
