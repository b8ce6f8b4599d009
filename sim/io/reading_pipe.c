/* The readings' writer on its own thread (city_reading_pipe_*).
 *
 * 10,000 sensors at 1 Hz make formatting and writing their readings about
 * half of what the sensors cost the run (SenML and CSV lines with the
 * truth beside each value). The simulation's thread only copies each batch
 * (32 bytes a reading) into the load it fills; when a new measured time
 * begins and the load holds enough to be worth a wake-up, the load is
 * handed to the writer's thread, which formats and writes it while the
 * simulation goes on. The bytes and their order are the writer's, as if
 * every batch had been written at once: the thread is only where they
 * are formatted.
 *
 * Two loads take turns (the one being filled and the one being written);
 * the simulation waits only when the thread has not finished the previous
 * load by the time the next one is full. The thread reads the channels'
 * ids from a copy the pipe keeps: a sensor added during the run may move
 * the sensors' own table, so the copy is renewed, with the thread idle,
 * when the count of channels changes. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_senml.h"

/* A load worth waking the thread for: below this many readings (2 MB),
 * batches of later measured times are added to the same load. A wake-up
 * costs tens of microseconds on a virtual machine: one per tick of 10,000
 * readings was a fifth of what the sensors cost the run's thread. */
#define HANDOFF_MIN 65536
#define THREAD_STACK (256 * 1024) /* the writer's frames are small; the default 8 MB is address space a cap may count  \
                                   */

/* Readings to write, in order: batch k is the next batch_n[k] readings, measured at batch_ms[k]. */
typedef struct Load {
    CitySensorReport *r;
    size_t n, cap;
    int64_t *batch_ms;
    size_t *batch_n;
    size_t n_batch, cap_batch;
} Load;

struct CityReadingPipe {
    CityReadingWriter *w;
    bool threaded; /* the thread runs; false: batches are written in the caller's thread */
    bool made;     /* the mutex and condition variables were made */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work_ready, work_done;
    Load fill;       /* the simulation's: being filled */
    Load work;       /* the thread's while busy */
    bool busy;       /* work holds a load the thread has not finished */
    bool quit;       /* the thread ends when it finds no work */
    char *ids;       /* the channels' ids as city_sensors_ids gives them, copied */
    uint32_t *at;    /* at[0 .. n_ids] */
    int32_t n_ids;   /* channels copied */
    int64_t last_ms; /* the measured time of the last batch put into fill */
};

static void load_clear(Load *l)
{
    l->n = 0;
    l->n_batch = 0;
}

static void load_free(Load *l)
{
    free(l->r);
    free(l->batch_ms);
    free(l->batch_n);
}

/* Appends a batch; false when out of memory (nothing added). */
static bool load_add(Load *l, int64_t measured_ms, const CitySensorReport *r, size_t n)
{
    const bool same = l->n_batch > 0 && l->batch_ms[l->n_batch - 1] == measured_ms;
    if (!city_grow((void **)&l->r, &l->cap, l->n + n, sizeof *l->r))
        return false;
    if (!same) {
        size_t cap_ms = l->cap_batch, cap_n = l->cap_batch;
        if (!city_grow((void **)&l->batch_ms, &cap_ms, l->n_batch + 1, sizeof *l->batch_ms) ||
            !city_grow((void **)&l->batch_n, &cap_n, l->n_batch + 1, sizeof *l->batch_n))
            return false;
        l->cap_batch = cap_ms < cap_n ? cap_ms : cap_n;
        l->batch_ms[l->n_batch] = measured_ms;
        l->batch_n[l->n_batch++] = 0;
    }
    memcpy(l->r + l->n, r, n * sizeof *r);
    l->n += n;
    l->batch_n[l->n_batch - 1] += n;
    return true;
}

/* Writes a load, batch by batch, with the pipe's copy of the ids. */
static void load_write(CityReadingPipe *p, const Load *l)
{
    const CitySensorReport *r = l->r;
    for (size_t b = 0; b < l->n_batch; b++) {
        city_reading_writer_put_batch(p->w, p->ids, p->at, l->batch_ms[b], r, l->batch_n[b]);
        r += l->batch_n[b];
    }
}

static void *writer_main(void *arg)
{
    CityReadingPipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->busy && !p->quit)
            pthread_cond_wait(&p->work_ready, &p->mu);
        if (!p->busy)
            break;
        pthread_mutex_unlock(&p->mu);
        load_write(p, &p->work);
        pthread_mutex_lock(&p->mu);
        p->busy = false;
        pthread_cond_signal(&p->work_done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Waits until the thread has written what it was given. */
static void wait_idle(CityReadingPipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->busy)
        pthread_cond_wait(&p->work_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* Gives the filled load to the thread (after the one it has) and takes an empty one to fill. */
static void hand_over(CityReadingPipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->busy)
        pthread_cond_wait(&p->work_done, &p->mu);
    const Load done = p->work;
    p->work = p->fill;
    p->fill = done;
    load_clear(&p->fill);
    p->busy = true;
    pthread_cond_signal(&p->work_ready);
    pthread_mutex_unlock(&p->mu);
}

/* Renews the copy of the ids for s's channels, the thread idle; false when out of memory. */
static bool copy_ids(CityReadingPipe *p, const CitySensors *s)
{
    const int32_t n = city_sensor_count(s);
    const uint32_t *at;
    const char *ids = city_sensors_ids(s, &at);
    const size_t len = at[n] + CITY_SENSOR_NAME_MAX; /* readable past the last id, as the sensors' own */
    wait_idle(p);
    char *new_ids = realloc(p->ids, len);
    if (new_ids)
        p->ids = new_ids;
    uint32_t *new_at = new_ids ? realloc(p->at, ((size_t)n + 1) * sizeof *p->at) : NULL;
    if (!new_at)
        return false;
    p->at = new_at;
    memcpy(p->ids, ids, at[n]);
    memset(p->ids + at[n], 0, CITY_SENSOR_NAME_MAX);
    memcpy(p->at, at, ((size_t)n + 1) * sizeof *p->at);
    p->n_ids = n;
    return true;
}

/* From now on every batch is written in the caller's thread: what the
 * thread has is written first, and the ids come from the sensors again. */
static void go_inline(CityReadingPipe *p)
{
    if (p->fill.n > 0)
        hand_over(p);
    wait_idle(p);
    p->threaded = false;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_signal(&p->work_ready);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
}

CityReadingPipe *city_reading_pipe_create(CityReadingWriter *w, bool threaded)
{
    CityReadingPipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->w = w;
    if (!threaded)
        return p;
    /* (on Linux these inits do not fail: they only fill in the structures) */
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_ready, NULL);
    pthread_cond_init(&p->work_done, NULL);
    p->made = true;
    pthread_attr_t attr;
    sigset_t all, saved;
    sigfillset(&all);
    /* the thread takes no signals: the run's thread handles them (and removes its staged outputs) */
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    const bool attr_ok = pthread_attr_init(&attr) == 0;
    if (attr_ok)
        pthread_attr_setstacksize(&attr, THREAD_STACK);
    p->threaded = pthread_create(&p->thread, attr_ok ? &attr : NULL, writer_main, p) == 0;
    if (attr_ok)
        pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return p;
}

void city_reading_pipe_sink(void *user, const CitySensors *s, int64_t measured_ms, const CitySensorReport *r, size_t n)
{
    CityReadingPipe *p = user;
    if (p->threaded && city_sensor_count(s) != p->n_ids && !copy_ids(p, s))
        go_inline(p); /* out of memory for the copy */
    if (!p->threaded) {
        city_reading_writer_put_reports(p->w, s, measured_ms, r, n);
        return;
    }
    if (p->fill.n >= HANDOFF_MIN && measured_ms != p->last_ms)
        hand_over(p);
    p->last_ms = measured_ms;
    if (load_add(&p->fill, measured_ms, r, n))
        return;
    /* out of memory for the load: what came before goes first, then this batch from here */
    if (p->fill.n > 0)
        hand_over(p);
    wait_idle(p);
    city_reading_writer_put_batch(p->w, p->ids, p->at, measured_ms, r, n);
}

void city_reading_pipe_close(CityReadingPipe *p)
{
    if (!p)
        return;
    if (p->threaded)
        go_inline(p);
    if (p->made) {
        pthread_cond_destroy(&p->work_ready);
        pthread_cond_destroy(&p->work_done);
        pthread_mutex_destroy(&p->mu);
    }
    load_free(&p->fill);
    load_free(&p->work);
    free(p->ids);
    free(p->at);
    free(p);
}
