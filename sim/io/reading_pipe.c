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
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_senml.h"
#include "city_thread.h"

/* A load worth waking the thread for: below this many readings (2 MB),
 * batches of later measured times are added to the same load. A wake-up
 * costs tens of microseconds on a virtual machine: one per tick of 10,000
 * readings was a fifth of what the sensors cost the run's thread. */
#define HANDOFF_MIN 65536

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
    CityWorker worker; /* started: batches go to it; not: written in the caller's thread */
    Load fill;         /* the simulation's: being filled */
    Load work;         /* the worker's while a job is posted */
    char *ids;         /* the channels' ids as city_sensors_ids gives them, copied */
    uint32_t *at;      /* at[0 .. n_ids] */
    int32_t n_ids;     /* channels copied */
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

/* The worker's job: the load handed over. */
static void write_work(void *arg)
{
    CityReadingPipe *p = arg;
    load_write(p, &p->work);
}

/* Gives the filled load to the worker (after the one it has) and takes an empty one to fill. */
static void hand_over(CityReadingPipe *p)
{
    city_worker_wait(&p->worker);
    const Load done = p->work;
    p->work = p->fill;
    p->fill = done;
    load_clear(&p->fill);
    city_worker_post(&p->worker);
}

/* Renews the copy of the ids for s's channels, the thread idle; false when out of memory. */
static bool copy_ids(CityReadingPipe *p, const CitySensors *s)
{
    const int32_t n = city_sensor_count(s);
    const uint32_t *at;
    const char *ids = city_sensors_ids(s, &at);
    const size_t len = at[n] + CITY_SENSOR_NAME_MAX; /* readable past the last id, as the sensors' own */
    city_worker_wait(&p->worker);
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
 * worker has is written first, and the ids come from the sensors again. */
static void go_inline(CityReadingPipe *p)
{
    if (p->fill.n > 0)
        hand_over(p);
    city_worker_stop(&p->worker);
}

CityReadingPipe *city_reading_pipe_create(CityReadingWriter *w, bool threaded)
{
    CityReadingPipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->w = w;
    if (threaded)
        city_worker_start(&p->worker, write_work, p);
    return p;
}

void city_reading_pipe_sink(void *user, const CitySensors *s, int64_t measured_ms, const CitySensorReport *r, size_t n)
{
    CityReadingPipe *p = user;
    if (p->worker.started && city_sensor_count(s) != p->n_ids && !copy_ids(p, s))
        go_inline(p); /* out of memory for the copy */
    if (!p->worker.started) {
        city_reading_writer_put_reports(p->w, s, measured_ms, r, n);
        return;
    }
    const Load *f = &p->fill; /* (a load that holds readings holds a batch) */
    if (f->n >= HANDOFF_MIN && f->batch_ms[f->n_batch - 1] != measured_ms)
        hand_over(p);
    if (load_add(&p->fill, measured_ms, r, n))
        return;
    /* out of memory for the load: what came before goes first, then this batch from here */
    if (p->fill.n > 0)
        hand_over(p);
    city_worker_wait(&p->worker);
    city_reading_writer_put_batch(p->w, p->ids, p->at, measured_ms, r, n);
}

void city_reading_pipe_close(CityReadingPipe *p)
{
    if (!p)
        return;
    go_inline(p);
    load_free(&p->fill);
    load_free(&p->work);
    free(p->ids);
    free(p->at);
    free(p);
}
