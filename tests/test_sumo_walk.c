/* The walkable space of the Jamsil network (SUMO, netconvert with
 * sidewalks and crossings): every crossing and walking area of the file
 * is read (450 and 696: counted with grep on the file), the pieces of the
 * walkable graph are SUMO's own, walkers route over sidewalks, crossings
 * and walking areas, a route is never shorter than the straight line
 * between its ends (triangle inequality), and one walk takes its length
 * over the walker's speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_ped.h"
#include "city_sumo_walk.h"
#include "test_support.h"

#define JAMSIL_NET CITY_SOURCE_DIR "/assets/jamsil/jamsil.net.xml"

static CityWorld *world;
static CityPed *ped;
static CitySumoWalkInfo info;

static int setup(void **state)
{
    (void)state;
    CityWorldConfig cfg = {.seed = 1, .dt_ms = 100};
    world = city_world_create(&cfg);
    if (!world || city_ped_create(world, NULL, &ped) != CITY_OK)
        return -1;
    CityError err;
    if (city_sumo_walk_load(ped, JAMSIL_NET, &info, &err) != CITY_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    city_world_destroy(world);
    return 0;
}

static void test_counts(void **state)
{
    (void)state;
    printf("jamsil walk: %d sidewalks, %d crossings, %d walking areas -> %d areas, %d doors, %d walls, %d skipped\n",
           (int)info.sidewalks, (int)info.crossings, (int)info.walkingareas, (int)info.areas, (int)info.doors,
           (int)info.walls, (int)info.skipped);
    assert_int_equal(info.crossings, 450);
    assert_int_equal(info.walkingareas, 696);
    assert_int_equal(city_ped_area_count(ped), info.areas);
    assert_int_equal(city_ped_door_count(ped), info.doors);
    /* Nearly everything becomes walkable: at most 2% skipped. */
    assert_true(info.skipped * 50 <= info.sidewalks + info.crossings + info.walkingareas);
}

/* The midpoint of door k: a point on the walkable network. */
static void door_mid(int32_t k, double *x, double *y)
{
    int32_t a, b;
    double x1, y1, x2, y2;
    city_ped_door_get(ped, k, &a, &b, &x1, &y1, &x2, &y2);
    *x = 0.5 * (x1 + x2);
    *y = 0.5 * (y1 + y2);
}

static int32_t *parent;

static int32_t find(int32_t a)
{
    while (parent[a] != a)
        a = parent[a] = parent[parent[a]];
    return a;
}

/* Pieces of the walkable graph (union-find over doors). SUMO's own
 * <connection>s between pedestrian lanes split the file's 1759 sidewalk,
 * crossing and walking-area lanes into 107 pieces (the largest with
 * 22.8 km of the 59.2 km of lanes: OpenStreetMap maps few sidewalks in
 * Seoul); the import must keep exactly those pieces. */
static void test_routes(void **state)
{
    (void)state;
    int32_t na = city_ped_area_count(ped), nd = city_ped_door_count(ped);
    parent = malloc((size_t)na * sizeof(int32_t));
    assert_non_null(parent);
    for (int32_t i = 0; i < na; i++)
        parent[i] = i;
    for (int32_t k = 0; k < nd; k++) {
        int32_t a, b;
        double x1, y1, x2, y2;
        city_ped_door_get(ped, k, &a, &b, &x1, &y1, &x2, &y2);
        parent[find(a)] = find(b);
    }
    int pieces = 0;
    for (int32_t i = 0; i < na; i++)
        pieces += find(i) == i;
    int found = 0, tried = 0;
    double worst = 0;
    /* Door midpoints 200 m or more apart in one piece, spread over the file. */
    for (int k = 0; k < 4000 && tried < 40; k++) {
        int32_t da = (int32_t)((int64_t)k * 7919 % nd), db = (int32_t)((int64_t)(k * 104729 + 17) % nd);
        int32_t a1, b1, a2, b2;
        double x1, y1, x2, y2, x, y, tx, ty;
        city_ped_door_get(ped, da, &a1, &b1, &x1, &y1, &x2, &y2);
        x = 0.5 * (x1 + x2), y = 0.5 * (y1 + y2);
        city_ped_door_get(ped, db, &a2, &b2, &x1, &y1, &x2, &y2);
        tx = 0.5 * (x1 + x2), ty = 0.5 * (y1 + y2);
        double straight = hypot(tx - x, ty - y);
        if (straight < 200 || find(a1) != find(a2))
            continue;
        tried++;
        double len = city_ped_route_length_m(ped, x, y, tx, ty);
        if (len < 0)
            continue;
        found++;
        assert_true(len >= straight - 1e-6);
        worst = fmax(worst, len / straight);
    }
    printf("jamsil walk: %d pieces; %d of %d far pairs in one piece routed, worst route/straight %.2f\n", pieces, found,
           tried, worst);
    free(parent);
    assert_int_equal(pieces, 107);
    assert_true(tried >= 20);
    assert_int_equal(found, tried);
}

/* A walker crosses part of the district and arrives. */
static void test_walk_arrives(void **state)
{
    (void)state;
    int32_t nd = city_ped_door_count(ped);
    double x, y, tx = 0, ty = 0, len = -1;
    door_mid(nd / 3, &x, &y);
    for (int32_t k = nd / 2; k < nd && len < 0; k += 37) {
        door_mid(k, &tx, &ty);
        double d = hypot(tx - x, ty - y);
        if (d > 150 && d < 400)
            len = city_ped_route_length_m(ped, x, y, tx, ty);
    }
    assert_true(len > 0);
    CityPedSpawnDef d;
    city_ped_spawn_defaults(&d);
    d.x = x;
    d.y = y;
    d.to_x = tx;
    d.to_y = ty;
    d.speed_mps = 1.34;
    assert_int_equal(city_ped_spawn(ped, &d), CITY_OK);
    CityPedStats s = {0};
    for (int t = 0; t < 12000 && s.arrived == 0; t++) {
        assert_int_equal(city_world_step(world), CITY_OK);
        city_ped_stats(ped, &s);
    }
    double walk = s.arrived ? s.walk_time_s : -1;
    printf("jamsil walk: route %.0f m walked in %.0f s (%.2f m/s)\n", len, walk, len / walk);
    assert_int_equal(s.arrived, 1);
    /* The route through door midpoints is a little longer than the walked
     * line; at 1.34 m/s the walk takes 0.6-1.2 times len / 1.34. */
    assert_true(walk > 0.6 * len / 1.34 && walk < 1.2 * len / 1.34);
}

/* A sidewalk point 1e115 m out (a fuzz finding: the pedestrian space's
 * grid over it cast a double far beyond int64 to an integer, undefined
 * behaviour) is refused with the lane and the bound; 1e7 m (a UTM
 * northing) is read. */
static void test_far_coordinates_refused(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("walk_far");
    const char *ys[] = {"-1e7", "-8e114"};
    for (int k = 0; k < 2; k++) {
        char path[4300], text[600];
        snprintf(path, sizeof path, "%s/far%d.net.xml", dir, k);
        snprintf(text, sizeof text,
                 "<net>\n<edge id=\"e\">\n<lane id=\"e_0\" index=\"0\" allow=\"pedestrian\" speed=\"1\" "
                 "length=\"10\" width=\"2\" shape=\"0,0 10,%s\"/>\n</edge>\n</net>\n",
                 ys[k]);
        assert_true(city_test_write_file(path, text));
        CityWorldConfig cfg = {.seed = 1, .dt_ms = 100};
        CityWorld *w = city_world_create(&cfg);
        CityPed *p = NULL;
        assert_int_equal(city_ped_create(w, NULL, &p), CITY_OK);
        CityError err;
        CityStatus st = city_sumo_walk_load(p, path, NULL, &err);
        if (k == 0) {
            if (st != CITY_OK)
                fail_msg("%s", err.msg);
            (void)city_ped_route_length_m(p, 0, 0, 10, -1e7); /* seals the space: its grid */
        } else {
            assert_int_equal(st, CITY_ERR_PARSE);
            assert_non_null(strstr(err.msg, "lane 'e_0' has a malformed shape"));
            assert_non_null(strstr(err.msg, "within 1e8 m"));
        }
        city_world_destroy(w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_walk_arrives),
        cmocka_unit_test(test_far_coordinates_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
