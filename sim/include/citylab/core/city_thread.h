/* A helper thread for work beside the run (the sensors' sampling, the
 * readings' writer). The simulation itself is one thread; a helper only
 * does, in the same order, what the run's thread would have done, and the
 * run's thread waits for it before anything depends on the result. */
#ifndef CITY_THREAD_H
#define CITY_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/* One job at a time: the owner sets the job's inputs in its own structures
 * while the worker is idle (after city_worker_wait), posts it, and waits
 * for it before it reads the results or changes the inputs again. */
typedef struct CityWorker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t ready, done;
    bool busy;    /* a job is posted and not finished */
    bool quit;    /* the thread ends when idle */
    bool started; /* the thread runs */
    void (*run)(void *arg);
    void *arg;
} CityWorker;

/* Starts a thread that runs run(arg) for every job posted. It takes no
 * signals (the run's thread handles them, and removes its staged outputs)
 * and has a small stack (the default 8 MB is address space a memory cap
 * may count). False when no thread can be had, or when this process may
 * use only one CPU (w->started false): the caller then does the work
 * itself, with the same result. */
bool city_worker_start(CityWorker *w, void (*run)(void *arg), void *arg);
/* CPUs this process may run on (its affinity mask; at least 1). */
int city_cpus_available(void);
/* Waits until the job posted last is done (at once when none is). */
void city_worker_wait(CityWorker *w);
/* Posts a job (after the previous one is done). */
void city_worker_post(CityWorker *w);
/* Whether the last job posted is finished, without waiting: when true,
 * what it wrote may be read (a city_worker_wait is then immediate). */
bool city_worker_done(CityWorker *w);
/* Waits for the last job and ends the thread (nothing when not started). */
void city_worker_stop(CityWorker *w);

#endif
