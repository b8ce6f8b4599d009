/* Pedestrians on the Jamsil walkable network (SUMO sidewalks, crossings
 * and walking areas; walls where outlines only nearly meet, doors where
 * they join): 2,000 walkers between random doors of the network, routes
 * of 30 to 300 m, all queued at once. All but at most 2 arrive within
 * 700 s of simulated time (300 m at the slowest free speed, 0.5 m/s, is
 * 600 s): walkers do not stay trapped by a wall inside an area, pressed
 * round a post or locked in a jam at a door (before these were handled,
 * about 1 in 400 never arrived). Walking speed over the route length stays within the
 * bounds of free speed (0.5-2.18 m/s, less when queueing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "city_ped.h"
#include "city_sumo_walk.h"

#define JAMSIL_NET CITY_SOURCE_DIR "/assets/jamsil/jamsil.net.xml"
#define WALKERS 2000

static void door_mid(CityPed *ped, int32_t k, double *x, double *y)
{
    int32_t a, b;
    double x1, y1, x2, y2;
    city_ped_door_get(ped, k, &a, &b, &x1, &y1, &x2, &y2);
    *x = 0.5 * (x1 + x2);
    *y = 0.5 * (y1 + y2);
}

static void test_everybody_arrives(void **state)
{
    (void)state;
    CityWorldConfig cfg = {.seed = 12, .dt_ms = 100};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    CityPedParams p;
    city_ped_params_defaults(&p);
    p.walk_output = false;
    CityPed *ped = NULL;
    CityError err;
    assert_int_equal(city_ped_create(w, &p, &ped), CITY_OK);
    if (city_sumo_walk_load(ped, JAMSIL_NET, NULL, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    int32_t nd = city_ped_door_count(ped);
    uint64_t s = 2026;
    double route_m = 0;
    int queued = 0;
    while (queued < WALKERS) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int32_t from = (int32_t)((s >> 33) % (uint64_t)nd);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int32_t to = (int32_t)((s >> 33) % (uint64_t)nd);
        CityPedSpawnDef d;
        city_ped_spawn_defaults(&d);
        door_mid(ped, from, &d.x, &d.y);
        door_mid(ped, to, &d.to_x, &d.to_y);
        /* (2 of the 2,606 doors lie inside another crossing of their
         * junction, where nobody is placed: city_ped_crossing_reached) */
        if (city_ped_crossing_reached(ped, d.x, d.y, 0.0) >= 0 ||
            city_ped_crossing_reached(ped, d.to_x, d.to_y, 0.0) >= 0)
            continue;
        double len = city_ped_route_length_m(ped, d.x, d.y, d.to_x, d.to_y);
        if (len < 30 || len > 300) /* -1: not joined */
            continue;
        if (city_ped_spawn(ped, &d) != CITY_OK)
            fail_msg("%s", city_world_error(w));
        route_m += len;
        queued++;
    }
    CityPedStats st = {0};
    int t = 0;
    for (; t < 7000 && st.arrived < WALKERS; t++) {
        if (city_world_step(w) != CITY_OK)
            fail_msg("%s", city_world_error(w));
        city_ped_stats(ped, &st);
    }
    double speed = route_m / st.walk_time_s;
    printf("jamsil crowd: %llu of %d arrived in %.0f s, %llu still walking; %.0f m of routes at %.2f m/s\n",
           (unsigned long long)st.arrived, WALKERS, t * 0.1, (unsigned long long)city_ped_count(ped), route_m, speed);
    for (size_t i = 0; i < city_ped_count(ped); i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        printf("  still walking: %u at (%.2f, %.2f), area %d, %d doors left\n", (unsigned)v.id.index, v.x_m, v.y_m,
               (int)v.area, (int)v.doors_left);
    }
    assert_true(st.arrived >= WALKERS - 2);
    assert_int_equal(st.departed, WALKERS);
    assert_true(speed > 0.5 && speed < 2.18);
    city_world_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everybody_arrives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
