/* Nearest-point index (core): every answer equals a scan of all points
 * (smallest squared distance, lowest index on ties) on random, clustered,
 * degenerate and tied sets, with queries inside and far outside the set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "city_points.h"
#include "city_rng.h"

static int32_t scan(int32_t n, const double *x, const double *y, double qx, double qy)
{
    double best = INFINITY;
    int32_t id = -1;
    for (int32_t i = 0; i < n; i++) {
        const double dx = x[i] - qx, dy = y[i] - qy, d2 = dx * dx + dy * dy;
        if (d2 < best) {
            best = d2;
            id = i;
        }
    }
    return id;
}

/* Builds the index on (x, y) and compares q random queries over a box
 * twice the set's size with the scan. */
static void check_against_scan(int32_t n, const double *x, const double *y, CityRng *rng, int q, double span)
{
    CityPoints *p = city_points_new();
    assert_non_null(p);
    assert_true(city_points_build(p, n, x, y));
    for (int k = 0; k < q; k++) {
        const double qx = (city_rng_uniform(rng) * 2.0 - 0.5) * span;
        const double qy = (city_rng_uniform(rng) * 2.0 - 0.5) * span;
        assert_int_equal(city_points_nearest(p, qx, qy), scan(n, x, y, qx, qy));
    }
    /* and at every point itself */
    for (int32_t i = 0; i < n; i++)
        assert_int_equal(city_points_nearest(p, x[i], y[i]), scan(n, x, y, x[i], y[i]));
    city_points_free(p);
}

static void test_random_sets(void **state)
{
    (void)state;
    CityRng rng;
    city_rng_seed(&rng, 7, 1);
    const int32_t sizes[] = {1, 2, 3, 10, 100, 1000, 5000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        const int32_t n = sizes[s];
        double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
        for (int32_t i = 0; i < n; i++) {
            x[i] = city_rng_uniform(&rng) * 4000.0 + 1e5; /* away from the origin, as map coordinates are */
            y[i] = city_rng_uniform(&rng) * 3000.0 + 2e5;
        }
        CityPoints *p = city_points_new();
        assert_true(city_points_build(p, n, x, y));
        for (int k = 0; k < 2000; k++) {
            const double qx = city_rng_uniform(&rng) * 12000.0 + 1e5 - 4000.0;
            const double qy = city_rng_uniform(&rng) * 9000.0 + 2e5 - 3000.0;
            assert_int_equal(city_points_nearest(p, qx, qy), scan(n, x, y, qx, qy));
        }
        city_points_free(p);
        free(x);
        free(y);
    }
}

static void test_clusters_and_ties(void **state)
{
    (void)state;
    CityRng rng;
    city_rng_seed(&rng, 7, 2);
    enum { N = 600 };
    double x[N], y[N];
    /* three tight clusters far apart, and points on a 10 m lattice (many
     * equal distances), and exact duplicates */
    for (int32_t i = 0; i < N; i++) {
        if (i < 300) {
            const int c = i % 3;
            x[i] = c * 5000.0 + city_rng_uniform(&rng) * 0.5;
            y[i] = c * 100.0 + city_rng_uniform(&rng) * 0.5;
        } else if (i < 500) {
            x[i] = (double)((i - 300) % 20) * 10.0;
            y[i] = (double)((i - 300) / 20) * 10.0 + 1000.0;
        } else {
            x[i] = x[i - 200]; /* duplicates of lattice points: a higher index never wins */
            y[i] = y[i - 200];
        }
    }
    check_against_scan(N, x, y, &rng, 5000, 10000.0);
    /* lattice queries at the midpoints between points: exact ties */
    CityPoints *p = city_points_new();
    assert_true(city_points_build(p, N, x, y));
    for (int i = 0; i < 19; i++)
        for (int j = 0; j < 9; j++) {
            const double qx = i * 10.0 + 5.0, qy = j * 10.0 + 1005.0;
            assert_int_equal(city_points_nearest(p, qx, qy), scan(N, x, y, qx, qy));
        }
    city_points_free(p);
}

static void test_degenerate(void **state)
{
    (void)state;
    CityRng rng;
    city_rng_seed(&rng, 7, 3);
    enum { N = 200 };
    double x[N], y[N];
    for (int32_t i = 0; i < N; i++) { /* all on one horizontal line */
        x[i] = city_rng_uniform(&rng) * 1000.0;
        y[i] = 50.0;
    }
    check_against_scan(N, x, y, &rng, 2000, 1000.0);
    for (int32_t i = 0; i < N; i++) { /* all at one place */
        x[i] = 3.0;
        y[i] = 4.0;
    }
    check_against_scan(N, x, y, &rng, 200, 10.0);

    CityPoints *p = city_points_new();
    assert_true(city_points_build(p, 0, x, y)); /* empty */
    assert_int_equal(city_points_nearest(p, 0.0, 0.0), -1);
    const double nx[3] = {NAN, 5.0, INFINITY}, ny[3] = {0.0, 5.0, 0.0};
    assert_true(city_points_build(p, 3, nx, ny)); /* points that are not finite are left out */
    assert_int_equal(city_points_nearest(p, 0.0, 0.0), 1);
    assert_int_equal(city_points_nearest(p, NAN, 0.0), -1);
    assert_int_equal(city_points_nearest(p, 1e100, -1e100), 1);
    city_points_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sets),
        cmocka_unit_test(test_clusters_and_ties),
        cmocka_unit_test(test_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
