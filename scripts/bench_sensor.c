/* Sensor and air-quality benchmark (not a test). Runs
 * scenarios/bench_sensors.lua (10 minutes of Jamsil at dt 100 ms) without
 * and with N low-cost PM2.5 sensors sampling at 1 Hz, every reading
 * formatted as SenML and CSV and written (to /dev/null) as a run writes
 * them (sampled aside on the sensors' thread, written on the writer's),
 * and reports the added run time (target: at most 10 % for 10,000), and
 * beside it the added CPU time of the process, every thread, and the CPU
 * time of the run's own thread. It does so for three scenarios, because the
 * figure is a ratio: the hour's demand of jamsil.lua (a few hundred
 * vehicles, so cheap that no per-reading cost can fit in 10 % of it),
 * jamsil_rush.lua's (thousands of vehicles), and fine_dust.lua whole (its
 * hour of traffic, people, the dust episode on a 10 m air grid and its own
 * sensors: truths read off the air grid, arbitrary doubles, where the
 * others' are whole numbers). For the hour and fine_dust a third run with
 * the readings not written splits the cost into sampling (with the noise
 * and fault models) and formatting plus writing.
 * Then advances the air field alone at 10 m cells over the Jamsil network
 * plus 100 m for an hour with a 2 m/s wind and reports how many times
 * faster than real time it is (target: at least 100). Built and run by
 * scripts/bench_sensor.sh.
 *   bench_sensor scenarios/bench_sensors.lua [SENSORS [MODE [REPEAT]]]
 * MODE is all (the default), hour, rush, fine_dust or air: those
 * measurements, each variant REPEAT times (default 3) taking turns, the
 * best of each reported. once-hour, once-rush and once-fine_dust make one
 * run only, with SENSORS sensors (0: none) and the readings written: the
 * process to count instructions and cache misses of under valgrind, one
 * run with sensors against one without. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "city_env.h"
#include "city_road.h"
#include "city_scenario.h"
#include "city_senml.h"
#include "city_sensor.h"
#include "city_thread.h"

/* A clock's time, s. */
static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
/* CPU time of this process, every thread's: the cost. */
static double now(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

typedef struct Sink {
    unsigned long long readings;
    CityReadingWriter *writer; /* as a run writes them, into /dev/null; NULL: not written */
    CityReadingPipe *pipe;     /* the writer on its own thread, as a run has it */
} Sink;

/* As a run takes them: in batches, through the writer's thread (the sink's only work). */
static void sink(void *user, const CitySensors *ss, int64_t measured_ms, const CitySensorReport *r, size_t n)
{
    Sink *s = user;
    if (s->pipe)
        city_reading_pipe_sink(s->pipe, ss, measured_ms, r, n);
    s->readings += n;
}

/* The times of a run's stepping (loading excluded), s. */
typedef struct Times {
    double cpu;  /* CPU time of the process, every thread */
    double wall; /* run time */
    double main; /* CPU time of the run's own thread */
} Times;

/* Runs the scenario for 10 minutes; returns the times of the stepping
 * and counts the readings into s. */
static Times run(const char *path, int sensors, const char *traffic, bool air, double *extent, Sink *s)
{
    char p_sensors[64], p_traffic[64];
    snprintf(p_sensors, sizeof p_sensors, "sensors=%d", sensors);
    snprintf(p_traffic, sizeof p_traffic, "traffic=%s", traffic);
    const char *params[3] = {p_sensors, p_traffic, air ? "air=1" : "air=0"};
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = 1;
    o.until_s = 600;
    o.params = params;
    o.n_params = 3;
    CityScenario *sc = NULL;
    CityError err = {0};
    if (city_scenario_load(&o, &sc, &err) != CITY_OK) {
        fprintf(stderr, "bench_sensor: %s\n", err.msg);
        exit(2);
    }
    CityWorld *w = city_scenario_world(sc);
    CitySensors *ss = city_sensors_of(w);
    s->readings = 0;
    s->pipe = s->writer ? city_reading_pipe_create(s->writer, true) : NULL;
    if (ss && ((s->writer && !s->pipe) || !city_sensors_set_batch_sink(ss, sink, s))) {
        fprintf(stderr, "bench_sensor: out of memory\n");
        exit(2);
    }
    if (extent) {
        const CityRoadNet *net = city_road_net(city_road_of(w));
        extent[0] = net->min_x - 100, extent[1] = net->min_y - 100;
        extent[2] = net->max_x + 100, extent[3] = net->max_y + 100;
    }
    const int64_t end = city_scenario_end_tick(sc);
    const double t0 = now(), w0 = clock_s(CLOCK_MONOTONIC), m0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    while (city_world_tick(w) < end)
        if (city_scenario_step(sc) != CITY_OK) {
            fprintf(stderr, "bench_sensor: %s\n", city_world_error(w));
            exit(2);
        }
    if (ss)
        city_sensors_set_batch_sink(ss, NULL, NULL); /* waits for a sampling still aside */
    city_reading_pipe_close(s->pipe);                /* the last load and block are part of the cost */
    s->pipe = NULL;
    if (s->writer)
        city_reading_writer_flush(s->writer);
    const Times t = {now() - t0, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_THREAD_CPUTIME_ID) - m0};
    CityRoadStats st;
    city_road_stats(city_road_of(w), &st);
    printf("  %-9s %5d sensors%-12s %5.2f s run time, %5.2f s cpu (%5.2f s the run's thread) for %.0f s, %7llu "
           "readings, %5d vehicles\n",
           traffic, (int)city_sensor_count(ss), ss && !s->writer ? " (unwritten)" : "", t.wall, t.cpu, t.main,
           city_world_time_s(w), s->readings, (int)st.running);
    city_scenario_destroy(sc);
    return t;
}

/* The least of each of a variant's times over the rounds. */
static void keep_best(Times *best, Times t)
{
    best->cpu = t.cpu < best->cpu ? t.cpu : best->cpu;
    best->wall = t.wall < best->wall ? t.wall : best->wall;
    best->main = t.main < best->main ? t.main : best->main;
}

/* Without sensors, with them, and (for the hour and fine_dust) with them
 * unwritten, `repeat` rounds in which the variants take turns, so a spell
 * of load on a shared machine falls on all of them alike; each variant's
 * best (least time) is reported, the run least disturbed by others, and
 * the spread of the added run time over the rounds beside it, what one
 * round alone would have said. The target is on the run time (wall
 * clock): the readings are sampled and written beside the run, as a run
 * does it. The CPU time, every thread's, says what they cost. */
static void traffic_load(const char *path, int sensors, const char *traffic, double *extent, CityReadingWriter *writer,
                         int repeat)
{
    const bool split = strcmp(traffic, "rush") != 0;
    Times base = {INFINITY, INFINITY, INFINITY}, with = base, unwritten = base;
    double share_lo = INFINITY, share_hi = -INFINITY;
    unsigned long long readings = 0;
    for (int r = 0; r < repeat; r++) {
        Sink s = {0, writer, NULL};
        const Times b = run(path, 0, traffic, false, extent, &s);
        const Times w = run(path, sensors, traffic, false, NULL, &s);
        if (r > 0 && s.readings != readings) {
            fprintf(stderr, "bench_sensor: %llu readings in round %d, %llu in the first: not the same work\n",
                    s.readings, r + 1, readings);
            exit(2);
        }
        readings = s.readings;
        keep_best(&base, b);
        keep_best(&with, w);
        const double share = 100.0 * (w.wall - b.wall) / b.wall;
        share_lo = share < share_lo ? share : share_lo;
        share_hi = share > share_hi ? share : share_hi;
        if (split && readings) {
            s.writer = NULL;
            keep_best(&unwritten, run(path, sensors, traffic, false, NULL, &s));
        }
    }
    printf("  %s, best of %d: run time %.2f s without sensors, %.2f s with: sensors add %.1f %% (target <= 10 %%; "
           "%.1f to %.1f %% round by round)\n",
           traffic, repeat, base.wall, with.wall, 100.0 * (with.wall - base.wall) / base.wall, share_lo, share_hi);
    printf("  %s, cpu time (every thread) %.2f s without, %.2f s with: %.1f %% more, %.3f us per reading; the run's "
           "thread %.2f s with\n",
           traffic, base.cpu, with.cpu, 100.0 * (with.cpu - base.cpu) / base.cpu,
           readings ? (with.cpu - base.cpu) / (double)readings * 1e6 : 0.0, with.main);
    /* All threads' CPU time spread evenly over the CPUs is the least run
     * time any schedule gives: when even that exceeds the target, no
     * sampling beside the run can reach it on this machine, only a
     * cheaper reading (a load where the simulation costs far less than
     * its sensors). */
    const int cpus = city_cpus_available();
    const double floor_s = with.cpu / cpus;
    if (floor_s > 1.1 * base.wall)
        printf("  %s: out of reach on %d CPUs: the CPU time with sensors, %.2f s, is at least %.2f s of run time, "
               "%.0f %% more than without\n",
               traffic, cpus, with.cpu, floor_s, 100.0 * (floor_s - base.wall) / base.wall);
    if (split && readings)
        printf("  per reading, cpu: %.3f us sampling (truth, noise, faults), %.3f us SenML + CSV formatting and "
               "writing\n",
               (unwritten.cpu - base.cpu) / (double)readings * 1e6,
               (with.cpu - unwritten.cpu) / (double)readings * 1e6);
}

/* The air field alone, `repeat` times (the best reported): 10 m cells
 * over the network's extent, 500 emitting vehicles, an hour in 5 s steps. */
static void air_field(const double *extent, int repeat)
{
    double best = INFINITY;
    int32_t nx = 0, ny = 0;
    for (int r = 0; r < repeat; r++) {
        CityWorldConfig cfg = {1, 1000};
        CityWorld *w = city_world_create(&cfg);
        CityEnv *env = city_env_ensure(w);
        CityAirOptions o = city_air_options_default();
        o.x0_m = extent[0], o.y0_m = extent[1], o.x1_m = extent[2], o.y1_m = extent[3];
        if (city_env_air_setup(env, &o) != CITY_OK) {
            fprintf(stderr, "bench_sensor: %s\n", city_world_error(w));
            exit(2);
        }
        city_env_air_size(env, &nx, &ny);
        const double t0 = now();
        for (int k = 0; k < 720; k++) {
            for (int i = 0; i < 500; i++) /* 500 emitting vehicles */
                city_env_air_emit(env, (CitySpecies)(i % 3), o.x0_m + (i * 37 + k) % (nx * 10),
                                  o.y0_m + (i * 53 + 2 * k) % (ny * 10), 10.0);
            city_env_air_advance(env, 5.0, 2.0, 225.0);
        }
        const double cpu = now() - t0;
        best = cpu < best ? cpu : best;
        city_world_destroy(w);
    }
    printf("air: %d x %d cells of 10 m, 3 species, 1 h in 5 s steps (wind 2 m/s), best of %d: %.2f s cpu, %.0fx real "
           "time (target >= 100x)\n",
           nx, ny, repeat, best, 3600.0 / best);
}

#define USAGE                                                                                                          \
    "usage: bench_sensor scenarios/bench_sensors.lua [SENSORS [all|hour|rush|fine_dust|air|once-hour|once-rush|"       \
    "once-fine_dust [REPEAT]]]\n"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) {
        fputs(USAGE, stderr);
        return 2;
    }
    char *end;
    const long sensors = argc > 2 ? strtol(argv[2], &end, 10) : 10000;
    if (argc > 2 && (*end || end == argv[2] || sensors < 0 || sensors > 1000000)) {
        fprintf(stderr, "bench_sensor: SENSORS '%s' is not a count from 0 to 1000000\n" USAGE, argv[2]);
        return 2;
    }
    const char *mode = argc > 3 ? argv[3] : "all";
    const bool once = !strcmp(mode, "once-hour") || !strcmp(mode, "once-rush") || !strcmp(mode, "once-fine_dust");
    if (!once && strcmp(mode, "all") && strcmp(mode, "hour") && strcmp(mode, "rush") && strcmp(mode, "air") &&
        strcmp(mode, "fine_dust")) {
        fprintf(stderr, "bench_sensor: unknown mode '%s'; use all, hour, rush, fine_dust, air or once-*\n" USAGE, mode);
        return 2;
    }
    const long repeat = argc > 4 ? strtol(argv[4], &end, 10) : 3;
    if (argc > 4 && (*end || end == argv[4] || repeat < 1 || repeat > 100 || once)) {
        fprintf(stderr, "bench_sensor: REPEAT '%s' is not a count from 1 to 100 (nor allowed with once-*)\n" USAGE,
                argv[4]);
        return 2;
    }
    FILE *null = fopen("/dev/null", "w");
    CityReadingWriter *writer = null ? city_reading_writer_create(null, null) : NULL;
    if (!writer) {
        fprintf(stderr, "bench_sensor: cannot open /dev/null\n");
        return 2;
    }
    if (once) {
        Sink s = {0, writer, NULL};
        run(argv[1], (int)sensors, mode + 5, false, NULL, &s);
    } else {
        const bool all = !strcmp(mode, "all");
        double extent[4];
        printf("sensors: 10 minutes of Jamsil (dt 100 ms), %ld PM2.5 sensors at 1 Hz, readings written as\n"
               "SenML and CSV to /dev/null beside the run (its sensors' and its writer's threads)\n",
               sensors);
        if (all || !strcmp(mode, "hour"))
            traffic_load(argv[1], (int)sensors, "hour", extent, writer, (int)repeat);
        else if (!strcmp(mode, "air")) {
            Sink s = {0, NULL, NULL};
            run(argv[1], 0, "hour", false, extent, &s); /* the network's extent */
        }
        if (all || !strcmp(mode, "rush"))
            traffic_load(argv[1], (int)sensors, "rush", extent, writer, (int)repeat);
        if (all || !strcmp(mode, "fine_dust"))
            traffic_load(argv[1], (int)sensors, "fine_dust", extent, writer, (int)repeat);
        if (all || !strcmp(mode, "air"))
            air_field(extent, (int)repeat);
    }
    city_reading_writer_destroy(writer);
    fclose(null);
    return 0;
}
