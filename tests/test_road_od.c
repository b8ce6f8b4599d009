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

static OdRun run_od(const char *source)
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
    CityWorld *w = city_scenario_world(sc);
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end && !city_world_stopped(w))
        if (city_scenario_step(sc) != CITY_OK)
            fail_msg("%s", city_world_error(w));
    if (city_scenario_finish(sc) != CITY_OK)
        fail_msg("%s", city_world_error(w));
    OdRun r = {0};
    city_road_stats(city_road_of(w), &r.stats);
    for (size_t i = 0; i < city_world_table_count(w); i++) {
        const CityTable *t = city_world_table_at(w, i);
        if (strcmp(city_table_name(t), "trips"))
            continue;
        size_t len;
        char *data = strdup(city_table_data(t, &len));
        assert_non_null(data);
        for (char *row = strtok(data, "\n"); row; row = strtok(NULL, "\n")) {
            double s = scheduled(row);
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

static void test_od_counts(void **state)
{
    (void)state;
    char src[4096];
    snprintf(
        src, sizeof src,
        "city.config{ dt_ms = 500, until_s = 3000 }\n"
        "city.road.grid{ nx = 3, ny = 3, spacing = 300, lanes = 2, speed = 13.9 }\n"
        "city.road.od{ id = 'am', begin = 0, ['end'] = 600, trips = {\n"
        "  { from = 'A0B0', to = 'B2C2', n = 40 }, { from = 'C2C1', to = 'A1A0', n = 25 } } }\n"
        "city.road.od{ id = 'pm', begin = 900, ['end'] = 1200, trips = { { from = 'B0B1', to = 'C1C2', n = 1 } } }\n"
        "local pairs = {}\n"
        "for i = 1, 400 do pairs[i] = { from = 'A0A1', to = 'C2B2', n = 0.25 } end\n"
        "city.road.od{ id = 'frac', begin = 0, ['end'] = 1800, trips = pairs }\n");
    OdRun r = run_od(src);
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_od_counts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
