/* Sampling aside: a tick's sampling on a thread of the sensors' own.
 *
 * 10,000 sensors at 1 Hz cost the run's thread about 15 ns a reading to
 * sample (the truth, three draws, the measurement model, the hot record)
 * even with their readings written on another thread. When
 * the only consumer of the readings is the batch sink (no per-reading sink,
 * no history, no delivery to controllers), nothing in the tick needs them
 * before the next time the sensors are touched: the sampling is handed to
 * this thread and the run goes on. Every function of the sensors that
 * reads or changes their state first waits for it (sensor_join), so the
 * readings, the state and its hash are those of sampling in place, in the
 * same order; only the thread differs. The one exception: the loops' and
 * cameras' feeds of the ticks after it (sensor_feed) are logged while it
 * runs and applied when it is joined, as if made after it, as they were;
 * without the log the next tick's first feed waited for the whole sampling.
 *
 * The batch sink is then called on this thread, never two calls at once,
 * and always done before the sensors' next function returns. */
#include <stdlib.h>
#include <string.h>

#include "city_thread.h"
#include "sensor_internal.h"

struct SensorAside {
    CityWorker worker;
    /* the job: the channels due (copied: the schedule's list may be rebuilt meanwhile) and the time */
    int32_t *due;
    int32_t n_due, cap_due;
    int64_t now_ms;
    /* feeds made meanwhile (sensor_feed_later), applied in order at the join */
    struct FeedLater {
        int32_t i;
        SensorFeedOp op;
        double v, rh_pct;
    } * log;
    int32_t n_log, cap_log;
};

/* Feeds logged per sampling at most (24 bytes each); beyond, a feed joins
 * (a tick's loops and cameras make tens to hundreds). */
#define FEED_LOG_MAX 1024

/* The worker's job: the sampling posted. Only the batch sink takes
 * readings here, so nothing in it fails (sensor_aside_fits). */
static void sample_job(void *arg)
{
    CitySensors *s = arg;
    sensor_sample_due(s, s->aside->due, s->aside->n_due, s->aside->now_ms);
}

/* Starts the worker; false when there is none to be had (sampling stays in place, and is not asked again). */
static bool aside_start(CitySensors *s)
{
    SensorAside *a = calloc(1, sizeof *a);
    if (!a || !city_worker_start(&a->worker, sample_job, s)) {
        free(a);
        s->aside_min = 0;
        return false;
    }
    s->aside = a;
    return true;
}

bool sensor_aside_fits(const CitySensors *s, int32_t n_due)
{
    return s->aside_min > 0 && n_due >= s->aside_min && s->batch_sink && !s->sink && s->hist_depth == 0 && !s->deliver;
}

bool sensor_aside_post(CitySensors *s, const int32_t *due, int32_t n, int64_t now_ms)
{
    if (!s->aside && !aside_start(s))
        return false;
    SensorAside *a = s->aside;
    /* the worker is idle: every sensors function joins it, and so did this step's caller */
    if (!city_array_grow((void **)&a->due, &a->cap_due, n, sizeof *a->due))
        return false;
    memcpy(a->due, due, (size_t)n * sizeof *due);
    a->n_due = n;
    a->now_ms = now_ms;
    city_worker_post(&a->worker);
    s->aside_pending = true;
    return true;
}

bool sensor_feed_later(CitySensors *s, int32_t i, SensorFeedOp op, double v, double rh_pct)
{
    SensorAside *a = s->aside;
    if (city_worker_done(&a->worker))
        return false; /* the join will not wait: feed at once */
    if (a->n_log == a->cap_log &&
        (a->n_log >= FEED_LOG_MAX || !city_array_grow((void **)&a->log, &a->cap_log, a->n_log + 1, sizeof *a->log)))
        return false;
    a->log[a->n_log++] = (struct FeedLater){i, op, v, rh_pct};
    return true;
}

void sensor_join_wait(CitySensors *s)
{
    SensorAside *a = s->aside;
    city_worker_wait(&a->worker);
    s->aside_pending = false;
    /* the feeds made meanwhile, as if made after the sampling (as they were) */
    for (int32_t k = 0; k < a->n_log; k++)
        sensor_feed_apply(&s->feed[a->log[k].i], a->log[k].op, a->log[k].v, a->log[k].rh_pct);
    a->n_log = 0;
}

void sensor_aside_stop(CitySensors *s)
{
    SensorAside *a = s->aside;
    if (!a)
        return;
    sensor_join(s);
    city_worker_stop(&a->worker);
    free(a->due);
    free(a->log);
    free(a);
    s->aside = NULL;
}

void city_sensors_set_aside(CitySensors *s, int32_t min_due)
{
    sensor_join(s);
    s->aside_min = min_due > 0 ? min_due : 0;
}
