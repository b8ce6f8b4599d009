/* People and vehicles at crossings (sim/couple/couple_ped_road.c) on a
 * small SUMO network (tests/data/road/crossings.net.xml, netconvert 1.15
 * with sidewalks and walking areas, the light's program edited to give
 * people 20 s of a 60 s cycle): a two-lane street W-A-B-E, 450 m, with a
 * signalised crossing at A (x = 150) and a zebra (a priority crossing) at
 * B (x = 300). Vehicles run both ways, people cross back and forth.
 *
 * Expected figures, each a property of the rules rather than a tuned
 * number:
 *  - signalised crossing, people cross on green only: never hit, and no
 *    vehicle-pedestrian conflict with TTC under 1.5 s (the threshold of
 *    the Swedish Traffic Conflict Technique, Hyden 1987): vehicles have red
 *    whenever people have green (the program has no conflicting greens);
 *  - zebra with yielding on: a person steps on only when every vehicle
 *    can stop at 3 m/s2, and vehicles stop before the junction while
 *    someone is on it: vehicles stand before B while people cross, no
 *    collision, no TTC under 1.5 s;
 *  - zebra with yielding off: people still expect drivers to stop, drivers
 *    do not: conflicts with TTC under 1.5 s appear (at least one per 5
 *    minutes at these flows);
 *  - one seed, the same conflicts.csv byte for byte;
 *  - red walkers: with a share of 0 nobody steps onto the signalised
 *    crossing in its red; with 0.5 people do (they step on in gaps) and
 *    nobody is hit (drivers yield to a person on the crossing);
 *  - who walks when does not depend on the traffic: the people's
 *    departures draw from a stream of their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_couple.h"
#include "city_ped.h"
#include "city_ped_road.h"
#include "city_road.h"
#include "city_sumo.h"
#include "city_sumo_walk.h"

#define NET CITY_SOURCE_DIR "/tests/data/road/crossings.net.xml"
#define JAMSIL_NET CITY_SOURCE_DIR "/assets/jamsil/jamsil.net.xml"

typedef struct Bed {
    CityWorld *w;
    CityRoad *road;
    CityPed *ped;
    int32_t zebra; /* crossing index of B */
} Bed;

static int32_t edge(const CityRoad *road, const char *id)
{
    int32_t e = city_road_net_find_edge(city_road_net(road), id);
    assert_true(e >= 0);
    return e;
}

static void vehicle_flow(Bed *b, const char *id, const char *from, const char *to, double vph)
{
    CityVTypeDef t;
    city_vtype_defaults(&t, CITY_VC_PASSENGER);
    CityFlowDef f = {.id = id,
                     .vtype = -1,
                     .begin_s = 0,
                     .end_s = 3600,
                     .veh_per_hour = vph,
                     .spacing = CITY_FLOW_POISSON,
                     .route = -1,
                     .from_edge = edge(b->road, from),
                     .to_edge = edge(b->road, to),
                     .depart = {.lane = CITY_DEPART_LANE_BEST, .pos_m = -1, .speed_mps = CITY_DEPART_SPEED_MAX}};
    f.vtype = city_road_find_vtype(b->road, "car");
    if (f.vtype < 0) {
        t.id = "car";
        f.vtype = city_road_add_vtype(b->road, &t);
    }
    assert_int_equal(city_road_add_flow(b->road, &f), CITY_OK);
}

/* People across the crossing at x (both ways), persons_per_hour each way. */
static void ped_flows(Bed *b, double x, double pph)
{
    CityPedFlowDef there = {x + 8, -4.2, 0.5, x - 8, 4.2, 0.5, 0, 3600, pph, true};
    CityPedFlowDef back = {x - 8, 4.2, 0.5, x + 8, -4.2, 0.5, 0, 3600, pph, true};
    assert_int_equal(city_ped_flow_add(b->ped, &there), CITY_OK);
    assert_int_equal(city_ped_flow_add(b->ped, &back), CITY_OK);
}

static Bed bed_with(uint64_t seed, bool yield, double red_walkers, double x, double vph, double pph);

static Bed bed(uint64_t seed, bool yield, double x, double vph, double pph)
{
    return bed_with(seed, yield, 0.0, x, vph, pph);
}

static Bed bed_with(uint64_t seed, bool yield, double red_walkers, double x, double vph, double pph)
{
    Bed b = {0};
    CityWorldConfig cfg = {.seed = seed, .dt_ms = 100};
    b.w = city_world_create(&cfg);
    assert_non_null(b.w);
    CityRoadNet *net;
    CityError err;
    if (city_sumo_load_net(NET, &net, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(city_road_create(b.w, net, NULL, &b.road), CITY_OK);
    CityPedParams p;
    city_ped_params_defaults(&p);
    p.yield = yield;
    p.red_walker_share = red_walkers;
    p.walk_output = false;
    assert_int_equal(city_ped_create(b.w, &p, &b.ped), CITY_OK);
    CitySumoWalkInfo info;
    if (city_sumo_walk_load(b.ped, NET, &info, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(info.declared, 2);
    b.zebra = city_ped_crossing_find(b.ped, ":B_c0");
    assert_true(b.zebra >= 0);
    vehicle_flow(&b, "east", "WA", "BE", vph);
    vehicle_flow(&b, "west", "EB", "AW", vph);
    ped_flows(&b, x, pph);
    assert_int_equal(city_couple_attach_all(b.w), CITY_OK);
    return b;
}

static double kpi(const Bed *b, const char *name)
{
    double v = -1;
    assert_true(city_world_kpi_get(b->w, name, &v));
    return v;
}

static void run(Bed *b, double seconds)
{
    if (city_world_run_until(b->w, city_world_ticks_for(b->w, seconds)) != CITY_OK ||
        city_world_finish(b->w) != CITY_OK)
        fail_msg("%s", city_world_error(b->w));
}

/* Green for people is red for vehicles: 0 collisions, no TTC < 1.5 s. */
static void test_signal_green_never_hit(void **state)
{
    (void)state;
    Bed b = bed(11, true, 150.0, 600, 300);
    run(&b, 900);
    CityPedStats ps;
    city_ped_stats(b.ped, &ps);
    CityRoadStats rs;
    city_road_stats(b.road, &rs);
    printf("signal: %llu people crossed, %llu vehicles passed, conflicts %.0f, ped TTC<1.5 %.0f, collisions %.0f\n",
           (unsigned long long)ps.arrived, (unsigned long long)rs.arrived, kpi(&b, "conflicts"),
           kpi(&b, "ped_conflicts_ttc"), kpi(&b, "collisions"));
    assert_true(ps.arrived > 100); /* 600 people/h for 15 min, less those still walking */
    assert_true(rs.arrived > 200);
    assert_true(kpi(&b, "collisions") == 0);
    assert_true(kpi(&b, "ped_conflicts_ttc") == 0);
    city_world_destroy(b.w);
}

/* A zebra with yielding on: vehicles stand before it while people cross. */
static void test_zebra_vehicles_stop(void **state)
{
    (void)state;
    Bed b = bed(12, true, 300.0, 600, 300);
    const CityPedCrossingDef *z = city_ped_crossing_get(b.ped, b.zebra);
    int64_t end = city_world_ticks_for(b.w, 900), stood = 0, crossed_ticks = 0;
    while (city_world_tick(b.w) < end) {
        assert_int_equal(city_world_step(b.w), CITY_OK);
        bool someone_on = false;
        for (size_t i = 0; i < city_ped_count(b.ped); i++) {
            CityPedView v;
            city_ped_at(b.ped, i, &v);
            someone_on |= v.area >= z->first_area && v.area <= z->last_area;
        }
        if (!someone_on)
            continue;
        crossed_ticks++;
        for (size_t i = 0; i < city_road_vehicle_count(b.road); i++) {
            CityVehicleView v;
            city_road_vehicle_at(b.road, i, &v);
            double ahead = v.heading_rad > -1.6 && v.heading_rad < 1.6 ? 300.0 - v.xy.x : v.xy.x - 300.0;
            if (ahead > 0 && ahead < 12 && v.speed_mps < 0.1)
                stood++;
        }
    }
    assert_int_equal(city_world_finish(b.w), CITY_OK);
    printf("zebra: %lld ticks with someone on it, %lld vehicle-ticks standing before it, ped TTC<1.5 %.0f, "
           "collisions %.0f\n",
           (long long)crossed_ticks, (long long)stood, kpi(&b, "ped_conflicts_ttc"), kpi(&b, "collisions"));
    assert_true(crossed_ticks > 600); /* 600 people/h cross 6.4 m: about 10 % of the time occupied */
    assert_true(stood > 100);
    assert_true(kpi(&b, "collisions") == 0);
    assert_true(kpi(&b, "ped_conflicts_ttc") == 0);
    city_world_destroy(b.w);
}

/* Yielding off: drivers do not stop, people still step on: conflicts. */
static void test_zebra_no_yield_conflicts(void **state)
{
    (void)state;
    Bed b = bed(12, false, 300.0, 600, 300);
    run(&b, 900);
    printf("zebra, no yielding: conflicts %.0f, ped TTC<1.5 %.0f, collisions %.0f\n", kpi(&b, "conflicts"),
           kpi(&b, "ped_conflicts_ttc"), kpi(&b, "collisions"));
    assert_true(kpi(&b, "ped_conflicts_ttc") >= 3);
    CityConflictMark marks[8];
    int32_t n = city_ped_road_conflicts(b.w, 0.0, marks, 8);
    assert_true(n > 0);
    assert_true(marks[0].x_m > 290 && marks[0].x_m < 310); /* at the zebra */
    city_world_destroy(b.w);
}

static char *conflicts_csv(uint64_t seed)
{
    Bed b = bed(seed, false, 300.0, 600, 300);
    run(&b, 600);
    const CityTable *t = NULL;
    for (size_t i = 0; i < city_world_table_count(b.w); i++)
        if (strcmp(city_table_name(city_world_table_at(b.w, i)), "conflicts") == 0)
            t = city_world_table_at(b.w, i);
    assert_non_null(t);
    size_t len;
    const char *data = city_table_data(t, &len);
    char *copy = malloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    city_world_destroy(b.w);
    return copy;
}

static void test_same_seed_same_csv(void **state)
{
    (void)state;
    char *a = conflicts_csv(5), *b = conflicts_csv(5), *c = conflicts_csv(6);
    assert_true(strlen(a) > 0);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    free(a);
    free(b);
    free(c);
}

/* People who step onto the signalised crossing during its red (from 1 s
 * into it: the light and the people's doors change in one tick), and the
 * person-ticks on it more than 8 s into its red. Someone who stepped on at
 * the end of green may still be on it then (6.4 m at 0.5 m/s, the slowest
 * free speed, take 12.8 s), so only the first tells a red walker. */
static int64_t on_red(double red_walkers, int64_t *late_ticks)
{
    Bed b = bed_with(21, true, red_walkers, 150.0, 300, 600);
    int32_t k = city_ped_crossing_find(b.ped, ":A_c0");
    const CityPedCrossingDef *z = city_ped_crossing_get(b.ped, k);
    int32_t tls = city_road_net_find_tls(city_road_net(b.road), "A");
    int64_t end = city_world_ticks_for(b.w, 900), stepped = 0, red_ticks = 0;
    static uint8_t was_on[4096], is_on[4096]; /* by person index: on the crossing last tick, this tick */
    memset(was_on, 0, sizeof was_on);
    *late_ticks = 0;
    while (city_world_tick(b.w) < end) {
        assert_int_equal(city_world_step(b.w), CITY_OK);
        bool red = city_road_tls_state(b.road, tls)[2] != 'G';
        red_ticks = red ? red_ticks + 1 : 0;
        memset(is_on, 0, sizeof is_on);
        for (size_t i = 0; i < city_ped_count(b.ped); i++) {
            CityPedView v;
            city_ped_at(b.ped, i, &v);
            assert_true(v.id.index < sizeof is_on);
            if (v.area < z->first_area || v.area > z->last_area)
                continue;
            is_on[v.id.index] = 1;
            stepped += red_ticks >= 10 && !was_on[v.id.index];
            *late_ticks += red_ticks >= 80;
        }
        memcpy(was_on, is_on, sizeof was_on);
    }
    printf("red walkers %.1f: %lld people stepped onto the crossing in its red, %lld person-ticks on it 8 s into "
           "red, collisions %.0f\n",
           red_walkers, (long long)stepped, (long long)*late_ticks, kpi(&b, "collisions"));
    assert_true(kpi(&b, "collisions") == 0);
    city_world_destroy(b.w);
    return stepped;
}

/* Nobody steps onto a crossing on red unless the scenario sets a share of
 * red walkers. */
static void test_red_walkers(void **state)
{
    (void)state;
    int64_t late0, late5;
    assert_int_equal(on_red(0.0, &late0), 0);
    assert_true(on_red(0.5, &late5) > 50); /* 118 and 131 at two draws of the walkers */
    assert_true(late5 > 100);
}

/* Who walks when at the zebra with a given vehicle flow: for each tick of
 * 10 minutes, the departures asked for so far (entered or waiting for
 * room), and the free speed of each person who entered, in order. */
typedef struct Walkers {
    uint64_t asked[6000];
    double speed[1024]; /* of the k-th person to enter */
    uint64_t departed;  /* people who entered */
    uint64_t vehicles;  /* that entered */
    double walk_s;      /* the people's summed walk times */
} Walkers;

/* Runs tick t of b and hands fn each person who entered in it (k: how
 * many entered before); returns how many have entered so far. */
typedef void (*EntrantFn)(const CityPedView *v, uint64_t k, void *user);
static uint64_t tick_entrants(Bed *b, int64_t t, uint64_t entered, CityPedStats *ps, EntrantFn fn, void *user)
{
    if (city_world_run_until(b->w, t + 1) != CITY_OK)
        fail_msg("%s", city_world_error(b->w));
    city_ped_stats(b->ped, ps);
    size_t n = city_ped_count(b->ped); /* those who entered this tick are the last slots */
    for (uint64_t k = entered; k < ps->departed; k++) {
        CityPedView v;
        city_ped_at(b->ped, n - (size_t)(ps->departed - k), &v);
        fn(&v, k, user);
    }
    return ps->departed;
}

static void note_speed(const CityPedView *v, uint64_t k, void *user)
{
    Walkers *out = user;
    if (k < 1024)
        out->speed[k] = v->free_speed_mps;
}

static void walkers(double vph, Walkers *out)
{
    memset(out, 0, sizeof *out);
    Bed b = bed(3, true, 300.0, vph, 600);
    uint64_t entered = 0;
    for (int64_t t = 0; t < 6000; t++) {
        CityPedStats ps;
        entered = tick_entrants(&b, t, entered, &ps, note_speed, out);
        out->asked[t] = ps.departed + ps.waiting;
    }
    assert_int_equal(city_world_finish(b.w), CITY_OK);
    CityPedStats ps;
    city_ped_stats(b.ped, &ps);
    CityRoadStats rs;
    city_road_stats(b.road, &rs);
    out->vehicles = rs.inserted;
    out->departed = ps.departed;
    out->walk_s = ps.walk_time_s;
    city_world_destroy(b.w);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* People's departures (their times, places and speeds) come from the
 * walkers' own stream: four times the vehicles at the zebra change how long
 * people wait there, and so how many walk at a time (each draws a push
 * every tick), but not who sets off when or how fast. Before, departures
 * and the pushes shared one stream and the second run's walkers left at
 * other times. (Who enters first among people due at nearly the same time
 * may differ: one waits for room at a crowded start. So the speeds are
 * compared as the set of those who entered.) */
static void test_departures_independent_of_traffic(void **state)
{
    (void)state;
    static Walkers few, many;
    walkers(150, &few);
    walkers(600, &many);
    printf("vehicles %llu vs %llu, people asked %llu vs %llu, walked %.0f s vs %.0f s\n",
           (unsigned long long)few.vehicles, (unsigned long long)many.vehicles, (unsigned long long)few.asked[5999],
           (unsigned long long)many.asked[5999], few.walk_s, many.walk_s);
    assert_true(many.vehicles > 2 * few.vehicles);
    assert_true(few.walk_s != many.walk_s); /* the traffic did change the walks */
    assert_true(few.asked[5999] > 100);     /* 1,200 people an hour for 10 minutes */
    for (int t = 0; t < 6000; t++)
        if (few.asked[t] != many.asked[t])
            fail_msg("at %.1f s %llu people had set off with 150 vehicles/h, %llu with 600", (t + 1) / 10.0,
                     (unsigned long long)few.asked[t], (unsigned long long)many.asked[t]);
    assert_int_equal(few.departed, many.departed);
    size_t n = few.departed < 1024 ? (size_t)few.departed : 1024;
    qsort(few.speed, n, sizeof few.speed[0], cmp_double);
    qsort(many.speed, n, sizeof many.speed[0], cmp_double);
    assert_memory_equal(few.speed, many.speed, n * sizeof few.speed[0]);
}

static void off_crossings(const CityPedView *v, uint64_t k, void *user)
{
    if (city_ped_crossing_reached(user, v->x_m, v->y_m, 0.0) >= 0)
        fail_msg("person %llu appeared on the crossing at (%.2f, %.2f)", (unsigned long long)k, v->x_m, v->y_m);
}

/* Nobody is placed on a crossing: a spawn whose start or destination, or
 * a flow whose disc, reaches one is refused with its id (people would
 * appear on the carriageway in front of vehicles); the disc test is exact:
 * a point 1 m beside the zebra's strip is reached by a disc of 1.1 m and
 * not by one of 0.9 m. */
static void test_no_start_on_crossing(void **state)
{
    (void)state;
    Bed b = bed(1, true, 300.0, 100, 100);
    const CityPedCrossingDef *c = city_ped_crossing_get(b.ped, b.zebra);
    double mx = (c->x1 + c->x2) / 2, my = (c->y1 + c->y2) / 2;
    double len = hypot(c->x2 - c->x1, c->y2 - c->y1), nx = -(c->y2 - c->y1) / len, ny = (c->x2 - c->x1) / len;
    double px = mx + nx * (c->width_m / 2 + 1.0), py = my + ny * (c->width_m / 2 + 1.0);
    assert_int_equal(city_ped_crossing_reached(b.ped, mx, my, 0.0), b.zebra);
    assert_int_equal(city_ped_crossing_reached(b.ped, px, py, 0.9), -1);
    assert_int_equal(city_ped_crossing_reached(b.ped, px, py, 1.1), b.zebra);

    CityPedSpawnDef d;
    city_ped_spawn_defaults(&d);
    d.x = mx;
    d.y = my;
    d.to_x = 308.0;
    d.to_y = -4.2;
    assert_int_equal(city_ped_spawn(b.ped, &d), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(b.w), "start point"));
    assert_non_null(strstr(city_world_error(b.w), "lies on crossing :B_c0"));
    d.x = 308.0;
    d.to_x = mx;
    d.to_y = my;
    assert_int_equal(city_ped_spawn(b.ped, &d), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(b.w), "destination"));
    CityPedFlowDef onto = {308.0, -4.2, 0.5, mx, my, 0.5, 0, 3600, 100, false};
    assert_int_equal(city_ped_flow_add(b.ped, &onto), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(b.w), "flow end"));
    /* a flow whose start disc (8 m round the kerb) covers half the zebra:
     * its people appear on the sidewalk part only */
    CityPedFlowDef wide = {308.0, -4.2, 8.0, 292.0, 4.2, 0.5, 0, 3600, 3600, false};
    assert_int_equal(city_ped_flow_add(b.ped, &wide), CITY_OK);
    assert_true(city_ped_crossing_reached(b.ped, wide.from_x, wide.from_y, wide.from_radius_m) == b.zebra);
    uint64_t entered = 0;
    for (int64_t t = 0; t < 3000; t++) {
        CityPedStats ps;
        entered = tick_entrants(&b, t, entered, &ps, off_crossings, b.ped);
    }
    print_message("%llu people entered, none on the crossing\n", (unsigned long long)entered);
    assert_true(entered > 150);
    city_world_destroy(b.w);
}

/* A flow of cars through the Jamsil network for the conflict tests below. */
typedef struct JamsilFlow {
    const char *id, *from, *to;
    int32_t lane; /* depart lane index on `from` */
    double pos_m; /* depart position on `from` */
} JamsilFlow;

/* Cars at 360 an hour for 300 s on each of the n flows (all departing
 * together, at 13 m/s), on the Jamsil network
 * with its walking areas, run for 360 s (`what` names it): all but 5 of
 * them arrive, and no conflict is measured. */
static void expect_no_conflicts(const char *what, const JamsilFlow *flows, int n)
{
    CityWorldConfig cfg = {.seed = 1, .dt_ms = 100};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    CityRoadNet *net;
    CityError err;
    if (city_sumo_load_net(JAMSIL_NET, &net, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    CityRoad *road;
    assert_int_equal(city_road_create(w, net, NULL, &road), CITY_OK);
    CityPedParams p;
    city_ped_params_defaults(&p);
    p.walk_output = false;
    CityPed *ped;
    assert_int_equal(city_ped_create(w, &p, &ped), CITY_OK);
    if (city_sumo_walk_load(ped, JAMSIL_NET, NULL, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    CityVTypeDef t;
    city_vtype_defaults(&t, CITY_VC_PASSENGER);
    t.id = "car";
    int32_t vt = city_road_add_vtype(road, &t);
    assert_true(vt >= 0);
    for (int i = 0; i < n; i++) {
        CityFlowDef f = {.id = flows[i].id,
                         .vtype = vt,
                         .begin_s = 0,
                         .end_s = 300,
                         .veh_per_hour = 360,
                         .spacing = CITY_FLOW_UNIFORM,
                         .route = -1,
                         .from_edge = city_road_net_find_edge(net, flows[i].from),
                         .to_edge = city_road_net_find_edge(net, flows[i].to),
                         .depart = {.lane = flows[i].lane, .pos_m = flows[i].pos_m, .speed_mps = 13.0}};
        assert_true(f.from_edge >= 0 && f.to_edge >= 0);
        assert_int_equal(city_road_add_flow(road, &f), CITY_OK);
    }
    assert_int_equal(city_couple_attach_all(w), CITY_OK);
    if (city_world_run_until(w, city_world_ticks_for(w, 360)) != CITY_OK || city_world_finish(w) != CITY_OK)
        fail_msg("%s", city_world_error(w));
    CityRoadStats rs;
    city_road_stats(road, &rs);
    uint64_t conflicts, collisions, ped_ttc;
    assert_true(city_ped_road_counts(w, &conflicts, &collisions, &ped_ttc));
    print_message("%s: %llu vehicles through, %llu conflicts\n", what, (unsigned long long)rs.arrived,
                  (unsigned long long)conflicts);
    assert_true(rs.arrived + 5 >= 30 * (uint64_t)n);
    assert_int_equal(conflicts, 0);
    city_world_destroy(w);
}

/* Two vehicles side by side on two lanes of one junction's internal edge,
 * each going on to its own lane beyond, are no conflict: no vehicle changes
 * lanes inside a junction, so their paths there do not meet. The straight
 * course the measurement draws along each heading crosses the other lane on
 * a curve: 40 of the Jamsil day's 621 vehicle-vehicle rows were such pairs
 * (also with one of the two still before the junction or already past it),
 * 12 of them in junction 4254083553. Here, pairs side by side through it
 * (lanes 1 and 2 of edge 516725215 straight on into 426094557#0): 30
 * conflicts before, none now. */
static void test_side_by_side_in_a_junction(void **state)
{
    (void)state;
    const JamsilFlow flows[] = {{"right", "516725215", "426094557#0", 1, 100.0},
                                {"left", "516725215", "426094557#0", 2, 100.0}};
    expect_no_conflicts("side by side", flows, 2);
}

/* Two movements of one junction that do not cross (SUMO's request table
 * says they are no foes) are no conflict, whichever way the vehicles'
 * straight courses point: oncoming cars passing each other on the bend of
 * junction 4254083553 (516725215 on into 426094557#0, and -426094557#0 on
 * into -426094556: the Jamsil day had such a pair with TTC 0 at 12.5 and
 * 13.3 m/s). Pairs meeting there: 13 conflicts before, none now. */
static void test_oncoming_in_a_junction(void **state)
{
    (void)state;
    /* both 94 m before the junction, on its fast lanes */
    const JamsilFlow flows[] = {{"north", "516725215", "426094557#0", 2, 110.0},
                                {"south", "-426094557#0", "-426094556", 2, 2.0}};
    expect_no_conflicts("oncoming", flows, 2);
}

/* A car that has just left a junction onto one side of a two-way street
 * (its tail still over the line) and one entering the junction from the
 * other side are no conflict when their movements do not cross: they pass
 * each other at the junction's mouth, and their courses, drawn straight,
 * met there (6 of the Jamsil day's 10 vehicle-vehicle rows with TTC 0, at
 * 6 to 24 m/s; 2 of them at junction 4187713492). Here, cars turning right
 * out of 169794654#15 onto 70998383#3 (from 20 m before the junction)
 * and cars turning right from -70998383#3, the other side, onto
 * 418339414#0 (from 25 m before it): 18 conflicts before, none now. */
static void test_passing_at_a_junction_mouth(void **state)
{
    (void)state;
    const JamsilFlow flows[] = {{"out", "169794654#15", "70998383#3", 0, 26.0},
                                {"in", "-70998383#3", "418339414#0", 0, 289.0}};
    expect_no_conflicts("passing at a junction's mouth", flows, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_green_never_hit),
        cmocka_unit_test(test_zebra_vehicles_stop),
        cmocka_unit_test(test_zebra_no_yield_conflicts),
        cmocka_unit_test(test_same_seed_same_csv),
        cmocka_unit_test(test_red_walkers),
        cmocka_unit_test(test_departures_independent_of_traffic),
        cmocka_unit_test(test_no_start_on_crossing),
        cmocka_unit_test(test_side_by_side_in_a_junction),
        cmocka_unit_test(test_oncoming_in_a_junction),
        cmocka_unit_test(test_passing_at_a_junction_mouth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
