/* Helpers shared by the cmocka tests: run the citylab binary with a time
 * limit, read files, make and remove scratch folders. */
#ifndef CITY_TEST_SUPPORT_H
#define CITY_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_road.h"
#include "city_road_net.h"
#include "city_scenario.h"

typedef struct CityTestRun {
    int exit_code;  /* process exit code, or 128+signal, or -1 on timeout */
    char *out;      /* captured stdout (NUL-terminated, owned) */
    char *err;      /* captured stderr (NUL-terminated, owned) */
    double seconds; /* wall time it took */
} CityTestRun;

/* Runs CITYLAB_BIN with argv (NULL-terminated, without argv[0]); kills it
 * after timeout_s. Free with city_test_run_free. */
CityTestRun city_test_run(const char *const *args, double timeout_s);
void city_test_run_free(CityTestRun *run);

/* Whole file as a NUL-terminated string (NULL if unreadable); *len optional. */
char *city_test_read_file(const char *path, size_t *len);
/* dir/name read whole; a test failure naming the file when it is missing. */
char *city_test_read_in(const char *dir, const char *name);
/* Writes a file (creating parent folders is the caller's job). */
bool city_test_write_file(const char *path, const char *text);
/* Copies the text file `from` to `to`; a test failure naming the file
 * that cannot be read or written. */
void city_test_copy_file(const char *from, const char *to);
bool city_test_exists(const char *path);
/* rm -rf of a scratch path under CITY_TEST_TMP only. */
void city_test_rmtree(const char *path);
/* A fresh empty scratch folder CITY_TEST_TMP/<name>; returns a static buffer. */
const char *city_test_scratch(const char *name);
/* Number of entries in a folder (-1 if it does not exist). */
int city_test_count_entries(const char *dir);

/* Loads the scenario at path with `seed` and its own until_s; fails the
 * running cmocka test with the load error when it does not load. Destroy
 * it with city_scenario_destroy. */
CityScenario *city_test_scenario_load(const char *path, uint64_t seed);

/* city_test_scenario_load, then every step to the scenario's end and its
 * finish, each asserted CITY_OK. Destroy it with city_scenario_destroy. */
CityScenario *city_test_scenario_run(const char *path, uint64_t seed);

/* A world of ticks of dt_ms with `seed`; a failure fails the test. */
CityWorld *city_test_world(int32_t dt_ms, uint64_t seed);

/* The SUMO network at net_path as w's road with options o; a load or
 * create error fails the test. */
CityRoad *city_test_road(CityWorld *w, const char *net_path, const CityRoadOptions *o);
/* SUMO's 3x3 grid of lights, tests/data/road/grid3.net.xml, as w's road
 * without trip and edge outputs, rerouting every reroute_period_s (0:
 * never); search_every_route: no route memo. */
CityRoad *city_test_grid3(CityWorld *w, double reroute_period_s, bool search_every_route);

/* Random (Poisson) trips for 30 minutes, rate veh/h each, between the
 * pairs of edges a != b (not inside junctions, none of except[0, n_except))
 * with (7a + b) % every == 0, as flows "f0", "f1", ...; how many. */
int city_test_grid_flows(CityRoad *road, int every, double rate, const int32_t *except, int n_except);

/* Network builders for road tests: a junction, and an edge of `lanes`
 * lanes ("ID_0", "ID_1", ...: every class, 3.2 m wide, at speed_mps)
 * along p0 -> p1; its index. A builder's error fails the running test. */
int32_t city_test_junction(CityRoadNet *net, const char *id, CityJunctionType type, double x, double y);
int32_t city_test_edge(CityRoadNet *net, const char *id, int32_t from, int32_t to, CityPoint p0, CityPoint p1,
                       int lanes, double speed_mps);

#endif
