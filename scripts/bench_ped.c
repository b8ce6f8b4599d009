/* Pedestrian benchmark (not a test): N people on the Jamsil walkable
 * network (SUMO sidewalks, crossings and walking areas) at dt 100 ms, each
 * walking between two random doors of the network's largest piece. Prints
 * pedestrian-updates per second of simulation loop (loading and spawning
 * excluded; processor time, and wall time for reference) and the share of
 * that time spent in Chipmunk's cpSpaceStep (measured by wrapping it at
 * link time: -Wl,--wrap=cpSpaceStep; it includes the broad phase of
 * sim/ped/ped_index.c, which Chipmunk calls). With BENCH_VEHICLES=1 the
 * same world also runs the Jamsil road network under random car traffic
 * (50 Poisson flows of 120 veh/h between arterial edges, as
 * scenarios/jamsil.lua with rate 120), warmed up for 5 minutes first; the
 * figures then count the whole loop, vehicles included. Target: 1 million
 * pedestrian-updates per second on one core at dt 100 ms. spawn_s is the
 * processor time of spawning (requests in batches of 2,000, each followed
 * by a tick, until 90% walk), route_s its part in city_ped_spawn (the
 * routes), s_tick the ticks it took (people start at the doors, a little
 * to either side, and wait for a free spot: BENCH_SPREAD=1 starts them
 * anywhere on the piece instead). The last column
 * is the world's state hash at the end: a change meant to be a pure speed-up
 * leaves it as it was.
 * Built and run by scripts/bench_ped.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "city_ped.h"
#include "city_road.h"
#include "city_road_net.h"
#include "city_sumo.h"
#include "city_sumo_walk.h"

/* Under valgrind --tool=callgrind --collect-atstart=no, only the measured
 * loop is counted. */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

/* Processor time of this process: the machine may be shared, and the
 * target is per core. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double chipmunk_s;
struct cpSpace;
void __real_cpSpaceStep(struct cpSpace *space, double dt);
void __wrap_cpSpaceStep(struct cpSpace *space, double dt);
void __wrap_cpSpaceStep(struct cpSpace *space, double dt)
{
    double t0 = now();
    __real_cpSpaceStep(space, dt);
    chipmunk_s += now() - t0;
}

static int32_t *parent;
static int32_t find(int32_t a)
{
    while (parent[a] != a)
        a = parent[a] = parent[parent[a]];
    return a;
}

static void door_mid(CityPed *ped, int32_t k, double *x, double *y, int32_t *area)
{
    int32_t a, b;
    double x1, y1, x2, y2;
    city_ped_door_get(ped, k, &a, &b, &x1, &y1, &x2, &y2);
    *x = 0.5 * (x1 + x2);
    *y = 0.5 * (y1 + y2);
    *area = a;
}

/* Cars on the Jamsil streets: 50 Poisson flows of 120 veh/h between
 * connected arterial edges (2+ lanes, 100+ m), then 5 minutes to fill. */
static void add_vehicles(CityWorld *w, const char *path)
{
    CityRoadNet *net;
    CityError err = {0};
    CityRoadOptions o;
    city_road_options_defaults(&o);
    o.trip_output = o.edge_output = false;
    CityRoad *road;
    if (city_sumo_load_net(path, &net, &err) != CITY_OK || city_road_create(w, net, &o, &road) != CITY_OK) {
        fprintf(stderr, "bench_ped: road: %s%s\n", err.msg, city_world_error(w));
        exit(2);
    }
    const CityRoadNet *rn = city_road_net(road);
    int32_t *art = malloc((size_t)rn->n_edges * sizeof *art), n_art = 0, path_buf[4096];
    for (int32_t e = 0; e < rn->n_edges; e++)
        if (!rn->edges[e].internal && rn->edges[e].lane_count >= 2 && rn->edges[e].length_m >= 100)
            art[n_art++] = e;
    uint64_t s = 99;
    for (int made = 0, tries = 0; made < 50 && tries < 1000 && n_art > 1; tries++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int32_t from = art[(s >> 33) % (uint64_t)n_art];
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int32_t to = art[(s >> 33) % (uint64_t)n_art];
        if (from == to || city_road_path(road, from, to, CITY_VC_PASSENGER, path_buf, 4096) < 0)
            continue;
        CityFlowDef f = {.vtype = -1,
                         .end_s = 7200,
                         .veh_per_hour = 120,
                         .spacing = CITY_FLOW_POISSON,
                         .route = -1,
                         .from_edge = from,
                         .to_edge = to,
                         .depart = {.lane = CITY_DEPART_LANE_BEST, .pos_m = -1, .speed_mps = 0}};
        if (city_road_add_flow(road, &f) != CITY_OK) {
            fprintf(stderr, "bench_ped: road flow: %s\n", city_world_error(w));
            exit(2);
        }
        made++;
    }
    free(art);
    for (int t = 0; t < 3000; t++)
        if (city_world_step(w) != CITY_OK) {
            fprintf(stderr, "bench_ped: %s\n", city_world_error(w));
            exit(2);
        }
}

static double lcg_unit(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * 0x1.0p-53;
}

/* A point uniformly over the areas of the piece (BENCH_SPREAD=1): an area
 * by its surface, a triangle of its fan by its surface, a point in it. */
static void spread_point(CityPed *ped, const int32_t *areas, const double *cum, int32_t n, uint64_t *s, double *x,
                         double *y)
{
    double u = lcg_unit(s) * cum[n - 1];
    int32_t k = 0;
    while (k < n - 1 && cum[k] <= u)
        k++;
    int32_t np;
    const double *p = city_ped_area_points(ped, areas[k], &np);
    double total = 0;
    for (int32_t t = 1; t + 1 < np; t++)
        total += fabs((p[2 * t] - p[0]) * (p[2 * t + 3] - p[1]) - (p[2 * t + 2] - p[0]) * (p[2 * t + 1] - p[1]));
    double v = lcg_unit(s) * total;
    int32_t t = 1;
    for (; t + 2 < np; t++) {
        v -= fabs((p[2 * t] - p[0]) * (p[2 * t + 3] - p[1]) - (p[2 * t + 2] - p[0]) * (p[2 * t + 1] - p[1]));
        if (v <= 0)
            break;
    }
    double r1 = sqrt(lcg_unit(s)), r2 = lcg_unit(s);
    *x = (1 - r1) * p[0] + r1 * (1 - r2) * p[2 * t] + r1 * r2 * p[2 * t + 2];
    *y = (1 - r1) * p[1] + r1 * (1 - r2) * p[2 * t + 1] + r1 * r2 * p[2 * t + 3];
}

static void run(const char *net, int people, int ticks, bool vehicles)
{
    CityWorldConfig cfg = {.seed = 7, .dt_ms = 100};
    CityWorld *w = city_world_create(&cfg);
    CityPedParams p;
    city_ped_params_defaults(&p);
    p.walk_output = false;
    CityPed *ped;
    CityError err;
    if (!w || city_ped_create(w, &p, &ped) != CITY_OK || city_sumo_walk_load(ped, net, NULL, &err)) {
        fprintf(stderr, "bench_ped: %s\n", err.msg);
        exit(2);
    }
    if (vehicles)
        add_vehicles(w, net);
    int32_t na = city_ped_area_count(ped), nd = city_ped_door_count(ped);
    parent = malloc((size_t)na * sizeof *parent);
    int32_t *size = calloc((size_t)na, sizeof *size);
    for (int32_t i = 0; i < na; i++)
        parent[i] = i;
    for (int32_t k = 0; k < nd; k++) {
        int32_t a, b;
        double x1, y1, x2, y2;
        city_ped_door_get(ped, k, &a, &b, &x1, &y1, &x2, &y2);
        parent[find(a)] = find(b);
    }
    int32_t big = 0;
    for (int32_t i = 0; i < na; i++)
        if (++size[find(i)] > size[big])
            big = find(i);
    int32_t *doors = malloc((size_t)nd * sizeof *doors), nbig = 0;
    for (int32_t k = 0; k < nd; k++) {
        double x, y;
        int32_t a;
        door_mid(ped, k, &x, &y, &a);
        if (find(a) == big)
            doors[nbig++] = k;
    }
    /* Areas of the piece by cumulated surface, for BENCH_SPREAD. */
    bool spread = getenv("BENCH_SPREAD") && atoi(getenv("BENCH_SPREAD")) > 0;
    int32_t *areas = malloc((size_t)na * sizeof *areas), n_areas = 0;
    double *cum = malloc((size_t)na * sizeof *cum);
    for (int32_t a = 0; a < na; a++) {
        if (find(a) != big)
            continue;
        int32_t np;
        const double *p = city_ped_area_points(ped, a, &np);
        double twice = 0;
        for (int32_t i = 0; i < np; i++)
            twice += p[2 * i] * p[2 * ((i + 1) % np) + 1] - p[2 * ((i + 1) % np)] * p[2 * i + 1];
        cum[n_areas] = (n_areas ? cum[n_areas - 1] : 0) + fabs(0.5 * twice);
        areas[n_areas++] = a;
    }
    /* People enter in batches (a spot must be free): at the doors of the
     * piece (a little to either side), or with BENCH_SPREAD=1 anywhere on
     * it; each walks to a door of the piece. */
    uint64_t s = 12345;
    int spawned = 0, spawn_ticks = 0;
    double t_spawn = now(), t_route = 0;
    while (spawned < people || city_ped_count(ped) < (size_t)people * 9 / 10) {
        for (int k = 0; k < 2000 && spawned < people; k++, spawned++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int32_t da = doors[(s >> 33) % (uint64_t)nbig];
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int32_t db = doors[(s >> 33) % (uint64_t)nbig];
            CityPedSpawnDef d;
            city_ped_spawn_defaults(&d);
            int32_t a;
            door_mid(ped, da, &d.x, &d.y, &a);
            door_mid(ped, db, &d.to_x, &d.to_y, &a);
            d.x += 0.6 * (double)((s >> 20) % 5) - 1.2;
            if (spread)
                spread_point(ped, areas, cum, n_areas, &s, &d.x, &d.y);
            double t_r = now();
            if (city_ped_spawn(ped, &d) != CITY_OK) {
                d.x = 0.5 * (d.x + d.x); /* off the walkable space: start at the door itself */
                door_mid(ped, da, &d.x, &d.y, &a);
                city_ped_spawn(ped, &d);
            }
            t_route += now() - t_r;
        }
        spawn_ticks++;
        if (city_world_step(w) != CITY_OK) {
            fprintf(stderr, "bench_ped: %s\n", city_world_error(w));
            exit(2);
        }
    }
    t_spawn = now() - t_spawn;
    CityPedStats st0, st1;
    city_ped_stats(ped, &st0);
    chipmunk_s = 0;
    double t0 = now(), w0 = wall_now();
    CALLGRIND_START_INSTRUMENTATION;
    for (int t = 0; t < ticks; t++)
        if (city_world_step(w) != CITY_OK) {
            fprintf(stderr, "bench_ped: %s\n", city_world_error(w));
            exit(2);
        }
    CALLGRIND_STOP_INSTRUMENTATION;
    double cpu = now() - t0, wall = wall_now() - w0;
    city_ped_stats(ped, &st1);
    double updates = (double)(st1.updates - st0.updates);
    CityRoadStats rs = {0};
    if (vehicles)
        city_road_stats(city_road_of(w), &rs);
    printf("%8d %9zu %8d %12.0f %12.0f %10.2f %9.2f %9.1f %8.1f %6d %9llu %016llx\n", people, city_ped_count(ped),
           ticks, updates / cpu, updates / wall, 100.0 * chipmunk_s / cpu, 1e6 * cpu / updates, t_spawn, t_route,
           spawn_ticks, (unsigned long long)rs.running, (unsigned long long)city_world_hash(w));
    fflush(stdout);
    free(doors);
    free(areas);
    free(cum);
    free(size);
    free(parent);
    city_world_destroy(w);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_ped NET.net.xml [PEOPLE ...]\n");
        return 2;
    }
    bool vehicles = getenv("BENCH_VEHICLES") && atoi(getenv("BENCH_VEHICLES")) > 0;
    printf("%8s %9s %8s %12s %12s %10s %9s %9s %8s %6s %9s %16s\n", "people", "walking", "ticks", "updates/cpu",
           "updates/wall", "chipmunk%", "us/update", "spawn_s", "route_s", "s_tick", "vehicles", "state_hash");
    int counts[16] = {1000, 5000, 10000, 20000, 50000}, n = 5;
    if (argc > 2) {
        n = 0;
        for (int i = 2; i < argc && n < 16; i++)
            counts[n++] = atoi(argv[i]);
    }
    for (int i = 0; i < n; i++)
        run(argv[1], counts[i],
            getenv("BENCH_TICKS") ? atoi(getenv("BENCH_TICKS"))
            : counts[i] >= 20000  ? 50
                                  : 100,
            vehicles);
    return 0;
}
