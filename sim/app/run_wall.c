/* The wall-time account of a run: the world times each subsystem's steps on
 * the application's monotonic clock, and the run prints the total and each
 * subsystem's share of it at the end (stdout only: wall time never enters the
 * outputs or the state hash). */
#include <stdio.h>
#include <time.h>

#include "commands.h"

#define WALL_MAX_SHARES 128  /* subsystems listed at most (the rest fold into "other") */
#define WALL_MIN_SHARE 0.001 /* shares below 0.1 % of the wall time fold into "other" */

static uint64_t wall_clock_ns(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The account times one tick in WALL_SAMPLE_ONE_IN (after the first
 * ones): a clock read costs tens of nanoseconds on a virtual machine, and a
 * small network's tick at 1 s only a few microseconds. */
#define WALL_SAMPLE_ONE_IN 16

void city_run_wall_start(CityWorld *w)
{
    city_world_set_wall_clock(w, wall_clock_ns, NULL);
    city_world_set_wall_sampling(w, WALL_SAMPLE_ONE_IN);
}

void city_run_wall_print(const CityWorld *w, double wall_s, double load_s, double loop_s)
{
    static CityWallShare shares[WALL_MAX_SHARES];
    size_t n = city_world_wall_shares(w, shares, WALL_MAX_SHARES);
    if (n > WALL_MAX_SHARES)
        n = WALL_MAX_SHARES;
    if (wall_s <= 0)
        return;
    /* the loop's time is measured (two clock reads); the subsystems' shares
     * of it are estimates from the sampled ticks: when their sum overshoots
     * the measured loop, they are scaled down to fit it */
    double stepped = 0;
    for (size_t i = 0; i < n; i++)
        stepped += (double)shares[i].ns * 1e-9;
    const double fit = stepped > loop_s && stepped > 0 ? loop_s / stepped : 1.0;
    const double end_s = wall_s - load_s - loop_s; /* the end-of-run checks and outputs */
    double other = loop_s - stepped * fit;         /* the loop's own work and the folded shares */
    printf("wall       %.2f s (scenario load %.2f s, simulation %.2f s, end and outputs %.2f s)\n", wall_s, load_s,
           loop_s, end_s > 0 ? end_s : 0.0);
    printf("share      %-20s %5.1f %% %8.2f s\n", "scenario load", 100.0 * load_s / wall_s, load_s);
    for (size_t i = 0; i < n; i++) {
        double s = (double)shares[i].ns * 1e-9 * fit;
        if (s < WALL_MIN_SHARE * wall_s) {
            other += s;
            continue;
        }
        printf("share      %-20s %5.1f %% %8.2f s\n", shares[i].name, 100.0 * s / wall_s, s);
    }
    printf("share      %-20s %5.1f %% %8.2f s\n", "other", 100.0 * other / wall_s, other);
    if (end_s > 0)
        printf("share      %-20s %5.1f %% %8.2f s\n", "end and outputs", 100.0 * end_s / wall_s, end_s);
}
