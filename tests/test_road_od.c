/* city.road.od: OD matrix slices become trips lazily, pair by pair, at
 * uniform random times inside the slice. Counts are exact for whole
 * numbers; a fractional count rounds up with its fraction's chance, so
 * 400 pairs of 0.25 trips make 100 on average (binomial, sd 8.66). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_road.h"
#include "city_scenario.h"
#include "test_support.h"

typedef struct OdRun {
    CityRoadStats stats;
    int n_am, n_pm, n_frac;     /* trips.csv rows per slice (by name prefix) */
    int am_outside, pm_outside; /* scheduled departures outside their slice */
    uint64_t demand;            /* the OD trips' names and scheduled departures (to the ms), summed hashes */
    uint64_t hash;              /* the state hash at the end */
} OdRun;

/* Scheduled departure (s) of a trips.csv row: depart_s - depart_delay_s. */
static double scheduled(const char *row)
{
    const char *c = strchr(row, ',');
    c = c ? strchr(c + 1, ',') : NULL;
    if (!c)
        return -1;
    char *end;
    double depart = strtod(c + 1, &end);
    double delay = strtod(end + 1, NULL);
    return depart - delay;
}

static CityScenario *load_od(const char *source)
{
    CityScenarioOptions o = {0};
    o.source = source;
    o.source_name = "od";
    o.seed = 5;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err;
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    return sc;
}

static void step_to(CityScenario *sc, int64_t end)
{
    CityWorld *w = city_scenario_world(sc);
    while (city_world_tick(w) < end && !city_world_stopped(w))
        if (city_scenario_step(sc) != CITY_OK)
            fail_msg("%s", city_world_error(w));
}

/* Runs the scenario on to its end and counts its trips; destroys it. */
static OdRun finish_od(CityScenario *sc)
{
    CityWorld *w = city_scenario_world(sc);
    step_to(sc, city_scenario_end_tick(sc));
    if (city_scenario_finish(sc) != CITY_OK)
        fail_msg("%s", city_world_error(w));
    OdRun r = {0};
    city_road_stats(city_road_of(w), &r.stats);
    r.hash = city_world_hash(w);
    for (size_t i = 0; i < city_world_table_count(w); i++) {
        const CityTable *t = city_world_table_at(w, i);
        if (strcmp(city_table_name(t), "trips"))
            continue;
        size_t len;
        char *data = strdup(city_table_data(t, &len));
        assert_non_null(data);
        for (char *row = strtok(data, "\n"); row; row = strtok(NULL, "\n")) {
            double s = scheduled(row);
            if (!strncmp(row, "am.", 3) || !strncmp(row, "pm.", 3) || !strncmp(row, "frac.", 5)) {
                char key[96];
                snprintf(key, sizeof key, "%.*s@%.3f", (int)strcspn(row, ","), row, s);
                uint64_t h = 14695981039346656037ull;
                for (const char *k = key; *k; k++)
                    h = (h ^ (unsigned char)*k) * 1099511628211ull;
                r.demand += h;
            }
            if (!strncmp(row, "am.", 3)) {
                r.n_am++;
                r.am_outside += s < 0.0 || s >= 600.0;
            } else if (!strncmp(row, "pm.", 3)) {
                r.n_pm++;
                r.pm_outside += s < 900.0 || s >= 1200.0;
            } else if (!strncmp(row, "frac.", 5)) {
                r.n_frac++;
            }
        }
        free(data);
    }
    city_scenario_destroy(sc);
    return r;
}

static OdRun run_od(const char *source)
{
    return finish_od(load_od(source));
}

static const char od_scenario[] =
    "city.config{ dt_ms = 500, until_s = 3000 }\n"
    "city.road.grid{ nx = 3, ny = 3, spacing = 300, lanes = 2, speed = 13.9 }\n"
    "city.road.od{ id = 'am', begin = 0, ['end'] = 600, trips = {\n"
    "  { from = 'A0B0', to = 'B2C2', n = 40 }, { from = 'C2C1', to = 'A1A0', n = 25 } } }\n"
    "city.road.od{ id = 'pm', begin = 900, ['end'] = 1200, trips = { { from = 'B0B1', to = 'C1C2', n = 1 } } }\n"
    "local pairs = {}\n"
    "for i = 1, 400 do pairs[i] = { from = 'A0A1', to = 'C2B2', n = 0.25 } end\n"
    "city.road.od{ id = 'frac', begin = 0, ['end'] = 1800, trips = pairs }\n";

static void test_od_counts(void **state)
{
    (void)state;
    OdRun r = run_od(od_scenario);
    print_message("am %d pm %d frac %d; inserted %llu arrived %llu running %llu\n", r.n_am, r.n_pm, r.n_frac,
                  (unsigned long long)r.stats.inserted, (unsigned long long)r.stats.arrived,
                  (unsigned long long)r.stats.running);
    assert_int_equal(r.n_am, 65);
    assert_int_equal(r.n_pm, 1);
    assert_int_equal(r.am_outside, 0);
    assert_int_equal(r.pm_outside, 0);
    assert_true(abs(r.n_frac - 100) <= 35); /* 4 standard deviations */
    assert_int_equal(r.stats.inserted, r.stats.arrived + r.stats.aborted + r.stats.running);
    assert_int_equal(r.stats.arrived, (uint64_t)(r.n_am + r.n_pm + r.n_frac));
    assert_int_equal(r.stats.running, 0);
}

/* The trips an OD matrix makes depend on the seed alone, not on the
 * traffic: with a stream of other vehicles on the fractional pairs'
 * first edge, which delays their insertions, every OD trip keeps its name
 * and scheduled departure, and the fractional pairs make the same trips.
 * While the matrices drew from the stream that insertion draws from (a
 * free lane, a speed factor), the busy run made other trips. */
static void test_od_independent_of_traffic(void **state)
{
    (void)state;
    OdRun quiet = run_od(od_scenario);
    char busy_src[sizeof od_scenario + 200];
    snprintf(busy_src, sizeof busy_src, "%s%s", od_scenario,
             "city.road.flow{ id = 'busy', from = 'A0A1', to = 'C2B2', period = 6, ['end'] = 1800 }\n");
    OdRun busy = run_od(busy_src);
    print_message("frac trips %d quiet, %d busy; vehicles inserted %llu and %llu\n", quiet.n_frac, busy.n_frac,
                  (unsigned long long)quiet.stats.inserted, (unsigned long long)busy.stats.inserted);
    assert_true(busy.stats.inserted >= quiet.stats.inserted + 250); /* the stream ran */
    assert_int_equal(busy.stats.running, 0);
    assert_int_equal(busy.n_am, quiet.n_am);
    assert_int_equal(busy.n_frac, quiet.n_frac);
    assert_true(busy.demand == quiet.demand);
}

/* A run checkpointed in the middle of the slices (300 s: 'am' and 'frac'
 * under way, 'pm' to come) and restored ends as the uninterrupted run:
 * the same trips of every slice and the same state hash. Before the trips
 * each pair still had to leave were saved, the restored pairs stopped
 * after their next trip (am: 38 of 65; frac, at most one trip a pair, lost none). */
static void test_od_restores_mid_slice(void **state)
{
    (void)state;
    OdRun full = run_od(od_scenario);
    char path[4200];
    snprintf(path, sizeof path, "%s/mid.state", city_test_scratch("od_restore"));
    CityScenario *sc = load_od(od_scenario);
    step_to(sc, 600); /* 300 s at 500 ms */
    assert_int_equal(city_scenario_save(sc, path, NULL, 0), CITY_OK);
    city_scenario_destroy(sc);
    sc = load_od(od_scenario);
    void *extra = NULL;
    size_t extra_len = 0;
    if (city_scenario_restore(sc, path, &extra, &extra_len) != CITY_OK)
        fail_msg("%s", city_world_error(city_scenario_world(sc)));
    free(extra);
    OdRun restored = finish_od(sc);
    print_message("uninterrupted: am %d pm %d frac %d; restored at 300 s: am %d pm %d frac %d\n", full.n_am, full.n_pm,
                  full.n_frac, restored.n_am, restored.n_pm, restored.n_frac);
    assert_int_equal(restored.n_am, 65);
    assert_int_equal(restored.n_pm, 1);
    assert_int_equal(restored.n_frac, full.n_frac);
    assert_int_equal(restored.stats.arrived, full.stats.arrived);
    assert_int_equal(restored.stats.running, 0);
    if (restored.hash != full.hash)
        fail_msg("state hash %016llx restored, %016llx uninterrupted", (unsigned long long)restored.hash,
                 (unsigned long long)full.hash);
    /* more trips left than the pair has (40) is refused, naming it: after
     * the demand's tag, its 3 definitions' counts, the queue and the count
     * of departures come 'am''s 2 pairs */
    size_t len;
    unsigned char *data = (unsigned char *)city_test_read_file(path, &len);
    assert_non_null(data);
    size_t at = 0;
    for (size_t i = 0; !at && i + 12 <= len; i++)
        if (!memcmp(data + i, "DMND", 4) && data[i + 4] == 3 && !memcmp(data + i + 5, "\0\0\0\0\0\0\0", 7))
            at = i + 12 + 3 * 8;
    assert_true(at > 0);
    uint64_t n_heap, item;
    memcpy(&n_heap, data + at, 8);
    memcpy(&item, data + at + 8, 8);
    at += 16 + n_heap * item + 8;
    uint64_t n_pairs, left;
    memcpy(&n_pairs, data + at, 8);
    assert_int_equal(n_pairs, 2);
    memcpy(&left, data + at + 16, 8);
    assert_true(left > 0 && left < 40); /* pair 1 is under way */
    left = 41;
    memcpy(data + at + 16, &left, 8);
    uint64_t h = 14695981039346656037ull; /* the checksum: FNV-1a of all but the last 8 bytes */
    for (size_t i = 0; i + 8 < len; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    memcpy(data + len - 8, &h, 8);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(data);
    sc = load_od(od_scenario);
    assert_int_not_equal(city_scenario_restore(sc, path, &extra, &extra_len), CITY_OK);
    const char *msg = city_world_error(city_scenario_world(sc));
    if (!strstr(msg, "OD matrix 'am' pair 1 has 41 trips to leave of 40.000"))
        fail_msg("a damaged count of trips to leave: %s", msg);
    city_scenario_destroy(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_od_counts),
                                       cmocka_unit_test(test_od_independent_of_traffic),
                                       cmocka_unit_test(test_od_restores_mid_slice)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
