#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "city_thread.h"

#include <sched.h>
#include <signal.h>

#define THREAD_STACK (256 * 1024) /* a helper's frames are small */

static void *worker_main(void *arg)
{
    CityWorker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->busy && !w->quit)
            pthread_cond_wait(&w->ready, &w->mu);
        if (!w->busy)
            break;
        pthread_mutex_unlock(&w->mu);
        w->run(w->arg);
        pthread_mutex_lock(&w->mu);
        __atomic_store_n(&w->busy, false, __ATOMIC_RELEASE); /* (city_worker_done reads it unlocked) */
        pthread_cond_signal(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int city_cpus_available(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    const int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

bool city_worker_start(CityWorker *w, void (*run)(void *arg), void *arg)
{
    *w = (CityWorker){.run = run, .arg = arg};
    if (city_cpus_available() < 2)
        return false; /* a helper would only take turns with the run's thread */
    /* (on Linux these inits do not fail: they only fill in the structures) */
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->ready, NULL);
    pthread_cond_init(&w->done, NULL);
    pthread_attr_t attr;
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved); /* the new thread inherits the mask */
    const bool attr_ok = pthread_attr_init(&attr) == 0;
    if (attr_ok)
        pthread_attr_setstacksize(&attr, THREAD_STACK);
    w->started = pthread_create(&w->thread, attr_ok ? &attr : NULL, worker_main, w) == 0;
    if (attr_ok)
        pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (!w->started) {
        pthread_cond_destroy(&w->ready);
        pthread_cond_destroy(&w->done);
        pthread_mutex_destroy(&w->mu);
    }
    return w->started;
}

void city_worker_wait(CityWorker *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->busy)
        pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* Once the last job is done, tells the thread: a new job (busy) or to end (quit). */
static void tell_when_idle(CityWorker *w, bool *flag)
{
    pthread_mutex_lock(&w->mu);
    while (w->busy)
        pthread_cond_wait(&w->done, &w->mu);
    __atomic_store_n(flag, true, __ATOMIC_RELEASE);
    pthread_cond_signal(&w->ready);
    pthread_mutex_unlock(&w->mu);
}

bool city_worker_done(CityWorker *w)
{
    return !__atomic_load_n(&w->busy, __ATOMIC_ACQUIRE);
}

void city_worker_post(CityWorker *w)
{
    tell_when_idle(w, &w->busy);
}

void city_worker_stop(CityWorker *w)
{
    if (!w->started)
        return;
    tell_when_idle(w, &w->quit);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->ready);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    w->started = false;
}
