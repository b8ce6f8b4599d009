/* Sensor and air-quality benchmark (not a test). Runs
 * scenarios/bench_sensors.lua (10 minutes of Jamsil traffic at dt 100 ms)
 * without sensors and with N low-cost PM2.5 sensors sampling at 1 Hz,
 * every reading formatted as SenML and CSV (into memory, as a run writes
 * them), and reports the added run time (target: at most 10 % for 10,000).
 * Then advances the air field alone at 10 m cells over the Jamsil network
 * plus 100 m for an hour with a 2 m/s wind and reports how many times
 * faster than real time it is (target: at least 100). Built and run by
 * scripts/bench_sensor.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "city_env.h"
#include "city_road.h"
#include "city_scenario.h"
#include "city_senml.h"
#include "city_sensor.h"

/* CPU time of this process: the machine may be shared, and the figure wanted is the cost. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct Sink {
    unsigned long long readings, bytes;
    char line[2 * CITY_SENML_LINE_MAX];
    FILE *null;
} Sink;

static void sink(void *user, const CityReading *r, double truth)
{
    Sink *s = user;
    size_t n = city_senml_format(s->line, sizeof s->line, r, truth);
    city_reading_csv_write(s->null, r, truth); /* CSV formatting, written to /dev/null */
    s->bytes += n;
    s->readings++;
}

/* Runs the scenario; returns the cpu time of the stepping (loading excluded). */
static double run(const char *path, const char *sensors, const char *air, double *extent, Sink *s)
{
    const char *params[2] = {sensors, air};
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = 1;
    o.until_s = 600;
    o.params = params;
    o.n_params = 2;
    CityScenario *sc = NULL;
    CityError err = {0};
    if (city_scenario_load(&o, &sc, &err) != CITY_OK) {
        fprintf(stderr, "bench_sensor: %s\n", err.msg);
        exit(2);
    }
    CityWorld *w = city_scenario_world(sc);
    CitySensors *ss = city_sensors_of(w);
    if (ss)
        city_sensors_set_sink(ss, sink, s);
    if (extent) {
        const CityRoadNet *net = city_road_net(city_road_of(w));
        extent[0] = net->min_x - 100, extent[1] = net->min_y - 100;
        extent[2] = net->max_x + 100, extent[3] = net->max_y + 100;
    }
    const int64_t end = city_scenario_end_tick(sc);
    double t0 = now();
    while (city_world_tick(w) < end)
        if (city_scenario_step(sc) != CITY_OK) {
            fprintf(stderr, "bench_sensor: %s\n", city_world_error(w));
            exit(2);
        }
    double cpu = now() - t0;
    printf("  %-14s %-6s sensors %5d  %6.2f s cpu for %.0f s  (%llu readings)\n", sensors, air, city_sensor_count(ss),
           cpu, city_world_time_s(w), s->readings);
    city_scenario_destroy(sc);
    return cpu;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_sensor scenarios/bench_sensors.lua [SENSORS]\n");
        return 2;
    }
    char sensors[64];
    snprintf(sensors, sizeof sensors, "sensors=%s", argc > 2 ? argv[2] : "10000");
    Sink s = {0};
    s.null = fopen("/dev/null", "w");
    double extent[4];
    printf("sensors: 10 minutes of Jamsil traffic, dt 100 ms\n");
    const double base = run(argv[1], "sensors=0", "air=0", extent, &s);
    s.readings = 0;
    const double with = run(argv[1], sensors, "air=0", NULL, &s);
    printf("  sensors add %.1f %% to the run time (target <= 10 %%); %.2f us per reading\n",
           100.0 * (with - base) / base, s.readings ? (with - base) / (double)s.readings * 1e6 : 0.0);

    CityWorldConfig cfg = {1, 1000};
    CityWorld *w = city_world_create(&cfg);
    CityEnv *env = city_env_ensure(w);
    CityAirOptions o = city_air_options_default();
    o.x0_m = extent[0], o.y0_m = extent[1], o.x1_m = extent[2], o.y1_m = extent[3];
    if (city_env_air_setup(env, &o) != CITY_OK) {
        fprintf(stderr, "bench_sensor: %s\n", city_world_error(w));
        return 2;
    }
    int32_t nx, ny;
    city_env_air_size(env, &nx, &ny);
    double t0 = now();
    for (int k = 0; k < 720; k++) {
        for (int i = 0; i < 500; i++) /* 500 emitting vehicles */
            city_env_air_emit(env, (CitySpecies)(i % 3), o.x0_m + (i * 37 + k) % (nx * 10),
                              o.y0_m + (i * 53 + 2 * k) % (ny * 10), 10.0);
        city_env_air_advance(env, 5.0, 2.0, 225.0);
    }
    double cpu = now() - t0;
    printf("air: %d x %d cells of 10 m, 3 species, 1 h in 5 s steps (wind 2 m/s): %.2f s cpu, %.0fx real time "
           "(target >= 100x)\n",
           nx, ny, cpu, 3600.0 / cpu);
    city_world_destroy(w);
    fclose(s.null);
    return 0;
}
