/* Pedestrians in a checkpoint: a run saved half-way (people walking and
 * touching, departures waiting for a spot, a Poisson flow, a red light)
 * and restored into a world freshly built by the same setup continues
 * byte for byte: the same state hash at every later tick, the same
 * positions bit for bit, the same counters. A world that already has
 * people refuses the restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_ped.h"
#include "city_state.h"

/* A room with a 1 m door into a corridor that turns a corner; a crowd
 * queued in the room, a stream into the corridor, the door red at first. */
static CityWorld *build(CityPed **out)
{
    CityWorldConfig cfg = {.seed = 77, .dt_ms = 100};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    CityPed *ped = NULL;
    assert_int_equal(city_ped_create(w, NULL, &ped), CITY_OK);
    double room[] = {0, 0, 6, 0, 6, 6, 0, 6}, hall[] = {6, 2, 20, 2, 20, 4, 6, 4},
           up[] = {20, 2, 22, 2, 22, 14, 20, 14};
    int32_t a = city_ped_area_add(ped, room, 4), b = city_ped_area_add(ped, hall, 4), c = city_ped_area_add(ped, up, 4);
    int32_t d = city_ped_door_add(ped, a, b, 1.0);
    assert_true(d >= 0 && city_ped_door_add(ped, b, c, 0) >= 0);
    assert_int_equal(city_ped_door_set_open(ped, d, false), CITY_OK);
    for (int k = 0; k < 46; k++) { /* the last six on one spot: they enter one by one */
        CityPedSpawnDef s;
        city_ped_spawn_defaults(&s);
        s.x = k < 40 ? 0.5 + 0.6 * (k / 8) : 3.0;
        s.y = k < 40 ? 0.5 + 0.7 * (k % 8) : 3.0;
        s.to_x = 21;
        s.to_y = 13;
        assert_int_equal(city_ped_spawn(ped, &s), CITY_OK);
    }
    CityPedFlowDef f = {.from_x = 3,
                        .from_y = 3,
                        .from_radius_m = 2.5,
                        .to_x = 21,
                        .to_y = 12,
                        .to_radius_m = 1,
                        .begin_s = 0,
                        .end_s = 120,
                        .persons_per_hour = 1200,
                        .poisson = true};
    assert_int_equal(city_ped_flow_add(ped, &f), CITY_OK);
    *out = ped;
    return w;
}

static void run_to(CityWorld *w, CityPed *ped, int64_t tick)
{
    while (city_world_tick(w) < tick) {
        if (city_world_tick(w) == 150) /* green after 15 s */
            assert_int_equal(city_ped_door_set_open(ped, 0, true), CITY_OK);
        if (city_world_step(w) != CITY_OK)
            fail_msg("%s", city_world_error(w));
    }
}

static void test_restore_continues(void **state)
{
    (void)state;
    CityPed *pa, *pb;
    CityWorld *a = build(&pa), *b = build(&pb);
    run_to(a, pa, 120);
    CityStateWriter out = {0};
    assert_int_equal(city_world_save(a, &out), CITY_OK);
    assert_false(out.oom);
    CityStateReader in = {.data = out.data, .len = out.len};
    if (city_world_load(b, &in) != CITY_OK)
        fail_msg("restore: %s / %s", in.error, city_world_error(b));
    CityPedStats sa, sb;
    city_ped_stats(pa, &sa);
    printf("ped checkpoint at 12 s: %zu walking, %llu waiting, %llu arrived, %zu bytes\n", city_ped_count(pa),
           (unsigned long long)sa.waiting, (unsigned long long)sa.arrived, out.len);
    assert_true(city_ped_count(pa) > 10 && sa.waiting > 0);
    int differ = 0;
    for (int64_t t = 120; t < 1320; t += 120) {
        run_to(a, pa, t + 120);
        run_to(b, pb, t + 120);
        differ += city_world_hash(a) != city_world_hash(b);
    }
    city_ped_stats(pa, &sa);
    city_ped_stats(pb, &sb);
    assert_int_equal(city_ped_count(pa), city_ped_count(pb));
    for (size_t i = 0; i < city_ped_count(pa); i++) {
        CityPedView va, vb;
        city_ped_at(pa, i, &va);
        city_ped_at(pb, i, &vb);
        assert_true(city_id_pack(va.id) == city_id_pack(vb.id));
        assert_memory_equal(&va.x_m, &vb.x_m, sizeof va.x_m);
        assert_memory_equal(&va.vy_mps, &vb.vy_mps, sizeof va.vy_mps);
    }
    printf("ped checkpoint: after 132 s %llu/%llu departed, %llu/%llu arrived, %d of 10 hashes differ\n",
           (unsigned long long)sa.departed, (unsigned long long)sb.departed, (unsigned long long)sa.arrived,
           (unsigned long long)sb.arrived, differ);
    assert_int_equal(differ, 0);
    assert_true(sa.departed == sb.departed && sa.arrived == sb.arrived && sa.updates == sb.updates);
    assert_true(sa.arrived > 30);
    /* A world with people walking refuses. */
    CityStateReader again = {.data = out.data, .len = out.len};
    assert_int_not_equal(city_world_load(a, &again), CITY_OK);
    city_state_writer_free(&out);
    city_world_destroy(a);
    city_world_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_continues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
