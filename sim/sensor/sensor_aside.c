/* Sampling aside: a tick's sampling on a thread of the sensors' own.
 *
 * 10,000 sensors at 1 Hz cost the run's thread about 20 ns a reading to
 * sample (the truth, three draws, the measurement model, the hot record's
 * two cache lines) even with their readings written on another thread. When
 * the only consumer of the readings is the batch sink (no per-reading sink,
 * no history, no delivery to controllers), nothing in the tick needs them
 * before the next time the sensors are touched: the sampling is handed to
 * this thread and the run goes on. Every function of the sensors that
 * reads or changes their state first waits for it (sensor_join), so the
 * readings, the state and its hash are those of sampling in place, in the
 * same order; only the thread differs.
 *
 * The batch sink is then called on this thread, never two calls at once,
 * and always done before the sensors' next function returns. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sensor_internal.h"

#define THREAD_STACK (256 * 1024) /* sampling's frames are small; the default 8 MB is address space a cap may count */

struct SensorAside {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t job_ready, job_done;
    bool busy; /* a job is posted and not finished */
    bool quit;
    /* the job: the channels due (copied: the schedule's list may be rebuilt meanwhile) and the time */
    int32_t *due;
    int32_t n_due, cap_due;
    int64_t now_ms;
};

static void *aside_main(void *arg)
{
    CitySensors *s = arg;
    SensorAside *a = s->aside;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->busy && !a->quit)
            pthread_cond_wait(&a->job_ready, &a->mu);
        if (!a->busy)
            break;
        pthread_mutex_unlock(&a->mu);
        /* only the batch sink takes readings here, so nothing in it fails (sensor_aside_fits) */
        sensor_sample_due(s, a->due, a->n_due, a->now_ms);
        pthread_mutex_lock(&a->mu);
        a->busy = false;
        pthread_cond_signal(&a->job_done);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* Starts the thread; false when there is none to be had (sampling stays in place). */
static bool aside_start(CitySensors *s)
{
    SensorAside *a = calloc(1, sizeof *a);
    if (!a)
        return false;
    /* (on Linux these inits do not fail: they only fill in the structures) */
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->job_ready, NULL);
    pthread_cond_init(&a->job_done, NULL);
    s->aside = a;
    pthread_attr_t attr;
    sigset_t all, saved;
    sigfillset(&all);
    /* the thread takes no signals: the run's thread handles them */
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    const bool attr_ok = pthread_attr_init(&attr) == 0;
    if (attr_ok)
        pthread_attr_setstacksize(&attr, THREAD_STACK);
    const bool started = pthread_create(&a->thread, attr_ok ? &attr : NULL, aside_main, s) == 0;
    if (attr_ok)
        pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (!started) {
        pthread_cond_destroy(&a->job_ready);
        pthread_cond_destroy(&a->job_done);
        pthread_mutex_destroy(&a->mu);
        free(a);
        s->aside = NULL;
        s->aside_min = 0; /* not asked again */
    }
    return started;
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
    /* the thread is idle: every sensors function joins it, and so did this step's caller */
    if (!city_array_grow((void **)&a->due, &a->cap_due, n, sizeof *a->due))
        return false;
    memcpy(a->due, due, (size_t)n * sizeof *due);
    a->n_due = n;
    a->now_ms = now_ms;
    pthread_mutex_lock(&a->mu);
    a->busy = true;
    pthread_cond_signal(&a->job_ready);
    pthread_mutex_unlock(&a->mu);
    s->aside_pending = true;
    return true;
}

void sensor_join_wait(CitySensors *s)
{
    SensorAside *a = s->aside;
    pthread_mutex_lock(&a->mu);
    while (a->busy)
        pthread_cond_wait(&a->job_done, &a->mu);
    pthread_mutex_unlock(&a->mu);
    s->aside_pending = false;
}

void sensor_aside_stop(CitySensors *s)
{
    SensorAside *a = s->aside;
    if (!a)
        return;
    sensor_join(s);
    pthread_mutex_lock(&a->mu);
    a->quit = true;
    pthread_cond_signal(&a->job_ready);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->job_ready);
    pthread_cond_destroy(&a->job_done);
    pthread_mutex_destroy(&a->mu);
    free(a->due);
    free(a);
    s->aside = NULL;
}

void city_sensors_set_aside(CitySensors *s, int32_t min_due)
{
    sensor_join(s);
    s->aside_min = min_due > 0 ? min_due : 0;
}
