/* Pedestrians: validation of the social-force model on Chipmunk2D against
 * published figures, each with its source and tolerance:
 *  - RiMEA test 1 (RiMEA guideline 3.0, 2016): one walker at 1.33 m/s
 *    along a 2 m x 40 m corridor arrives in 26-34 s;
 *  - RiMEA test 6: 20 walkers round an L-shaped corner, none passes
 *    through a wall (every centre stays in the walkable space at every step);
 *  - RiMEA test 4 / Weidmann (1993) fundamental diagram: mean speed in a
 *    periodic corridor at 0.5, 1, 2 and 3 persons/m2 within 20% of
 *    1.34 (1 - exp(-1.913 (1/rho - 1/5.4)));
 *  - bottleneck: specific flow through a 1 m door between 1.2 and 2.0
 *    persons/m/s (Seyfried et al. 2009, Kretz et al. 2006, and the spread
 *    of experiments in the SFPE handbook: 1.2-1.9);
 *  - counter-flow forms lanes (Helbing and Molnar 1995): the band index
 *    (Yamori 1998) rises well above that of the random start;
 *  - determinism: same seed, same state hash; another seed, another hash;
 *  - conservation: departed = arrived + walking + (never lost);
 *  - a closed door (a red pedestrian light) holds walkers until it opens. */
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

static CityWorld *new_world(uint64_t seed)
{
    CityWorldConfig cfg = {.seed = seed, .dt_ms = 100};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    return w;
}

static CityPed *new_ped(CityWorld *w)
{
    CityPed *ped = NULL;
    CityStatus st = city_ped_create(w, NULL, &ped);
    if (st != CITY_OK)
        fail_msg("%s", city_world_error(w));
    return ped;
}

static int32_t rect(CityPed *ped, double x0, double y0, double x1, double y1)
{
    double xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    int32_t a = city_ped_area_add(ped, xy, 4);
    if (a < 0)
        fail_msg("%s", city_world_error(city_ped_world(ped)));
    return a;
}

static int32_t door(CityPed *ped, int32_t a, int32_t b, double width)
{
    int32_t d = city_ped_door_add(ped, a, b, width);
    if (d < 0)
        fail_msg("%s", city_world_error(city_ped_world(ped)));
    return d;
}

static void spawn(CityPed *ped, double x, double y, double tx, double ty, double speed)
{
    CityPedSpawnDef d;
    city_ped_spawn_defaults(&d);
    d.x = x;
    d.y = y;
    d.to_x = tx;
    d.to_y = ty;
    d.speed_mps = speed;
    if (city_ped_spawn(ped, &d) != CITY_OK)
        fail_msg("%s", city_world_error(city_ped_world(ped)));
}

static void spawn_heading(CityPed *ped, double x, double y, double heading, double speed)
{
    CityPedSpawnDef d;
    city_ped_spawn_defaults(&d);
    d.x = x;
    d.y = y;
    d.use_heading = true;
    d.heading_rad = heading;
    d.at_speed = true;
    d.speed_mps = speed;
    if (city_ped_spawn(ped, &d) != CITY_OK)
        fail_msg("%s", city_world_error(city_ped_world(ped)));
}

static void step(CityWorld *w)
{
    if (city_world_step(w) != CITY_OK)
        fail_msg("%s", city_world_error(w));
}

/* RiMEA test 1: 40 m in a 2 m corridor at 1.33 m/s takes 26-34 s. */
static void test_rimea1_corridor(void **state)
{
    (void)state;
    CityWorld *w = new_world(1);
    CityPed *ped = new_ped(w);
    rect(ped, 0, 0, 42, 2);
    spawn(ped, 0.3, 1.0, 41.5, 1.0, 1.33);
    double crossed_s = -1;
    for (int t = 0; t < 600 && crossed_s < 0; t++) {
        step(w);
        CityPedView v;
        city_ped_at(ped, 0, &v);
        if (v.x_m >= 40.3)
            crossed_s = city_world_time_s(w) - v.depart_s;
    }
    printf("rimea1: 40 m in %.2f s (RiMEA: 26-34 s)\n", crossed_s);
    assert_true(crossed_s >= 26.0 && crossed_s <= 34.0);
    city_world_destroy(w);
}

/* The walkable space of RiMEA test 6: a 2 m corridor 12 m long, a 2 m x 2 m
 * corner, and 12 m up. */
static void build_corner(CityPed *ped)
{
    int32_t a = rect(ped, 0, 0, 12, 2);
    int32_t c = rect(ped, 12, 0, 14, 2);
    int32_t b = rect(ped, 12, 2, 14, 14);
    door(ped, a, c, 0);
    door(ped, c, b, 0);
}

/* Distance from a point to the nearest wall segment. */
static double wall_clearance(const CityPed *ped, double x, double y)
{
    double best = INFINITY;
    for (int32_t i = 0; i < city_ped_wall_count(ped); i++) {
        double x1, y1, x2, y2;
        city_ped_wall_get(ped, i, &x1, &y1, &x2, &y2);
        double ex = x2 - x1, ey = y2 - y1;
        double t = ((x - x1) * ex + (y - y1) * ey) / (ex * ex + ey * ey);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        best = fmin(best, hypot(x - x1 - t * ex, y - y1 - t * ey));
    }
    return best;
}

static void test_rimea6_corner(void **state)
{
    (void)state;
    CityWorld *w = new_world(6);
    CityPed *ped = new_ped(w);
    build_corner(ped);
    for (int k = 0; k < 20; k++)
        spawn(ped, 0.5 + 0.55 * (k / 3), 0.45 + 0.55 * (k % 3), 13.0, 13.5, 0);
    int outside = 0;
    double min_gap = INFINITY;
    for (int t = 0; t < 1200; t++) {
        step(w);
        for (size_t i = 0; i < city_ped_count(ped); i++) {
            CityPedView v;
            city_ped_at(ped, i, &v);
            if (city_ped_area_at(ped, v.x_m, v.y_m) < 0)
                outside++;
            min_gap = fmin(min_gap, wall_clearance(ped, v.x_m, v.y_m) - v.radius_m);
        }
    }
    CityPedStats s;
    city_ped_stats(ped, &s);
    printf("rimea6: %llu of 20 arrived, %d centre-steps outside, least wall clearance %.3f m\n",
           (unsigned long long)s.arrived, outside, min_gap);
    assert_int_equal(s.arrived, 20);
    assert_int_equal(outside, 0);
    /* Chipmunk allows slop_m (1 cm) of overlap with a wall's 5 cm skin. */
    assert_true(min_gap > -0.02);
    city_world_destroy(w);
}

static double weidmann_mps(double rho)
{
    return 1.34 * (1.0 - exp(-1.913 * (1.0 / rho - 1.0 / 5.4)));
}

/* Mean speed in a periodic corridor 20 m x 4 m at density rho, everyone
 * at Weidmann's mean free speed 1.34 m/s: with a spread of free speeds a
 * periodic corridor turns into platoons behind its slowest walkers, which
 * is a property of the ring, not of the density. 20 s to settle, then 40 s
 * of samples; the mean of three runs (seeds: body sizes). */
static double periodic_speed(double rho, uint64_t seed)
{
    CityWorld *w = new_world(seed);
    CityPed *ped = new_ped(w);
    const double len = 20, width = 4;
    rect(ped, 0, 0, len, width);
    assert_int_equal(city_ped_set_periodic_x(ped, 0, len), CITY_OK);
    int n = (int)lround(rho * len * width);
    int rows = (int)ceil(sqrt(n * width / len)), cols = (n + rows - 1) / rows;
    for (int k = 0; k < n; k++)
        spawn_heading(ped, (k / rows + 0.5) * len / cols, (k % rows + 0.5) * width / rows, 0.0, 1.34);
    double sum = 0;
    long samples = 0;
    for (int t = 0; t < 600; t++) {
        step(w);
        if (t < 200)
            continue;
        for (size_t i = 0; i < city_ped_count(ped); i++) {
            CityPedView v;
            city_ped_at(ped, i, &v);
            sum += v.vx_mps;
            samples++;
        }
    }
    assert_int_equal(city_ped_count(ped), n);
    city_world_destroy(w);
    return sum / (double)samples;
}

static void test_weidmann_fundamental_diagram(void **state)
{
    (void)state;
    const double rhos[] = {0.5, 1.0, 2.0, 3.0};
    int bad = 0;
    for (size_t k = 0; k < 4; k++) {
        double v = 0, ref = weidmann_mps(rhos[k]);
        for (uint64_t seed = 0; seed < 3; seed++)
            v += periodic_speed(rhos[k], 40 + 10 * k + seed) / 3;
        printf("weidmann: rho %.1f /m2: %.3f m/s (Weidmann %.3f, %+.0f%%)\n", rhos[k], v, ref, 100 * (v / ref - 1));
        if (fabs(v / ref - 1) > 0.20)
            bad++;
    }
    assert_int_equal(bad, 0);
}

/* 60 people leave an 8 m x 8 m room through a 1 m door: the specific
 * flow from the 10th to the 50th person through. */
static double bottleneck_flow(uint64_t seed)
{
    CityWorld *w = new_world(seed);
    CityPed *ped = new_ped(w);
    int32_t room = rect(ped, 0, 0, 8, 8);
    int32_t out = rect(ped, 8, 0, 16, 8);
    door(ped, room, out, 1.0);
    for (int k = 0; k < 60; k++)
        spawn(ped, 0.5 + 0.7 * (k / 10), 0.6 + 0.75 * (k % 10), 15.0, 4.0, 0);
    double t_cross[60];
    int n_cross = 0;
    uint8_t seen[64] = {0};
    for (int t = 0; t < 1800 && n_cross < 60; t++) {
        step(w);
        for (size_t i = 0; i < city_ped_count(ped); i++) {
            CityPedView v;
            city_ped_at(ped, i, &v);
            if (v.x_m > 8.0 && !seen[v.id.index]) {
                seen[v.id.index] = 1;
                t_cross[n_cross++] = city_world_time_s(w);
            }
        }
    }
    assert_int_equal(n_cross, 60); /* nobody is left stuck at the door */
    city_world_destroy(w);
    return 40.0 / (t_cross[49] - t_cross[9]);
}

static void test_bottleneck_flow(void **state)
{
    (void)state;
    double sum = 0, lo = INFINITY, hi = 0;
    for (uint64_t seed = 9; seed < 13; seed++) {
        double f = bottleneck_flow(seed);
        sum += f;
        lo = fmin(lo, f);
        hi = fmax(hi, f);
    }
    printf("bottleneck: specific flow %.2f /m/s (runs %.2f-%.2f) through a 1 m door (experiments: 1.2-2.0)\n", sum / 4,
           lo, hi);
    assert_true(sum / 4 >= 1.2 && sum / 4 <= 2.0);
}

/* Band index (Yamori 1998): the corridor cut into 0.5 m lanes along the
 * flow; per lane |n_east - n_west| summed over lanes, over the people. */
static uint8_t eastbound[256];

static double band_index(const CityPed *ped, double width)
{
    int east[64] = {0}, west[64] = {0};
    int bands = (int)(width / 0.5);
    for (size_t i = 0; i < city_ped_count(ped); i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        int b = (int)(v.y_m / 0.5);
        b = b < 0 ? 0 : b >= bands ? bands - 1 : b;
        if (eastbound[v.id.index])
            east[b]++;
        else
            west[b]++;
    }
    int diff = 0, all = 0;
    for (int b = 0; b < bands; b++) {
        diff += abs(east[b] - west[b]);
        all += east[b] + west[b];
    }
    return all ? (double)diff / all : 0;
}

static void test_counterflow_lanes(void **state)
{
    (void)state;
    CityWorld *w = new_world(11);
    CityPed *ped = new_ped(w);
    const double len = 30, width = 4;
    rect(ped, 0, 0, len, width);
    assert_int_equal(city_ped_set_periodic_x(ped, 0, len), CITY_OK);
    /* 72 people on a lattice, directions alternating: a mixed start. */
    for (int k = 0; k < 72; k++)
        spawn_heading(ped, (k / 6 + 0.5) * len / 12, (k % 6 + 0.5) * width / 6, ((k / 6 + k % 6) % 2) ? M_PI : 0.0, 0);
    step(w);
    for (size_t i = 0; i < city_ped_count(ped); i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        eastbound[v.id.index] = v.vx_mps > 0;
    }
    double start = band_index(ped, width);
    for (int t = 0; t < 1200; t++)
        step(w);
    double end = band_index(ped, width);
    printf("counter-flow: band index %.2f at the start, %.2f after 120 s\n", start, end);
    assert_true(start < 0.3);
    assert_true(end > 0.7);
    city_world_destroy(w);
}

static uint64_t flow_run_hash(uint64_t seed, CityPedStats *stats)
{
    CityWorld *w = new_world(seed);
    CityPed *ped = new_ped(w);
    build_corner(ped);
    CityPedFlowDef f = {.from_x = 2,
                        .from_y = 1,
                        .from_radius_m = 0.8,
                        .to_x = 13,
                        .to_y = 13,
                        .to_radius_m = 0.5,
                        .begin_s = 0,
                        .end_s = 60,
                        .persons_per_hour = 1800,
                        .poisson = true};
    assert_int_equal(city_ped_flow_add(ped, &f), CITY_OK);
    for (int t = 0; t < 900; t++)
        step(w);
    city_ped_stats(ped, stats);
    assert_int_equal(stats->departed, stats->arrived + city_ped_count(ped));
    uint64_t h = city_world_hash(w);
    city_world_destroy(w);
    return h;
}

static void test_determinism(void **state)
{
    (void)state;
    CityPedStats a, b, c;
    uint64_t h1 = flow_run_hash(5, &a), h2 = flow_run_hash(5, &b), h3 = flow_run_hash(6, &c);
    printf("determinism: %llu departed, %llu arrived, hash %016llx\n", (unsigned long long)a.departed,
           (unsigned long long)a.arrived, (unsigned long long)h1);
    assert_true(h1 == h2);
    assert_true(h1 != h3);
    /* 1800/h for 60 s as a Poisson stream: 30 expected, 3 sd is 16. */
    assert_true(a.departed >= 14 && a.departed <= 46);
    assert_int_equal(a.arrived, a.departed);
}

/* Bad input is refused with a message that names the fault. */
static void test_space_errors(void **state)
{
    (void)state;
    CityWorld *w = new_world(1);
    CityPed *ped = new_ped(w);
    const double arrow[] = {0, 0, 4, 0, 2, 1, 4, 4, 0, 4};
    assert_int_equal(city_ped_area_add(ped, arrow, 5), -1);
    assert_non_null(strstr(city_world_error(w), "not convex"));
    int32_t a = rect(ped, 0, 0, 4, 4), b = rect(ped, 5, 0, 9, 4), c = rect(ped, 4, 0, 5, 4);
    assert_int_equal(city_ped_door_add(ped, a, b, 1.0), -1);
    assert_non_null(strstr(city_world_error(w), "share no edge"));
    door(ped, a, c, 1.0);
    CityPedSpawnDef d;
    city_ped_spawn_defaults(&d);
    d.x = 2;
    d.y = 2;
    d.to_x = 7;
    d.to_y = 2;
    assert_int_equal(city_ped_spawn(ped, &d), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(w), "no walkable path"));
    d.x = 20;
    assert_int_equal(city_ped_spawn(ped, &d), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(w), "outside every walkable area"));
    /* Sealed once people are queued: no more geometry. */
    d.x = 2;
    d.to_x = 4.5;
    assert_int_equal(city_ped_spawn(ped, &d), CITY_OK);
    const double sq[] = {20, 20, 21, 20, 21, 21};
    assert_int_equal(city_ped_area_add(ped, sq, 3), -1);
    city_world_destroy(w);
}

/* A* takes the short way round: a room with two doors into a corridor
 * that loops back; the walk takes about the shortest path's length over
 * the free speed. */
static void test_route_shortest(void **state)
{
    (void)state;
    CityWorld *w = new_world(3);
    CityPed *ped = new_ped(w);
    /* Three rooms in a row (0-10, 10-20, 20-30 m) and a long detour above
     * the first two: the direct way from 5 to 25 is 20 m. */
    int32_t r0 = rect(ped, 0, 0, 10, 4), r1 = rect(ped, 10, 0, 20, 4), r2 = rect(ped, 20, 0, 30, 4);
    int32_t up = rect(ped, 0, 4, 30, 30);
    door(ped, r0, r1, 2.0);
    door(ped, r1, r2, 2.0);
    door(ped, r0, up, 2.0);
    door(ped, up, r2, 2.0);
    spawn(ped, 5, 2, 25, 2, 1.25);
    for (int t = 0; t < 600 && city_ped_count(ped) + (t == 0) > 0; t++)
        step(w);
    CityPedStats s;
    city_ped_stats(ped, &s);
    double mean = s.walk_time_s / (double)s.arrived;
    printf("route: 19.5 m at 1.25 m/s walked in %.1f s\n", mean);
    assert_int_equal(s.arrived, 1);
    /* 19.5 m (arrival radius 0.5 m) at 1.25 m/s is 15.6 s; the detour is 50 m. */
    assert_true(mean > 15.0 && mean < 18.0);
    (void)r2;
    city_world_destroy(w);
}

/* Two 10 m rooms side by side (x 0-10 and 10-20, h high) joined by a
 * door `width` wide, closed: a red pedestrian light at x = 10. */
static int32_t red_door(CityPed *ped, double h, double width)
{
    int32_t a = rect(ped, 0, 0, 10, h), b = rect(ped, 10, 0, 20, h); /* (in this order: the areas' numbers) */
    int32_t d = door(ped, a, b, width);
    assert_int_equal(city_ped_door_set_open(ped, d, false), CITY_OK);
    return d;
}

/* A closed door is a red pedestrian light: 10 walkers come up to it and
 * wait (none crosses its line in 30 s, all stand within 3 m of it), then
 * cross when it opens and all arrive. */
static void test_red_light_waits(void **state)
{
    (void)state;
    CityWorld *w = new_world(21);
    CityPed *ped = new_ped(w);
    int32_t d = red_door(ped, 4.0, 4.0);
    for (int k = 0; k < 10; k++)
        spawn(ped, 1.0 + 0.8 * (k / 5), 0.5 + 0.75 * (k % 5), 18.0, 2.0, 0);
    int crossed = 0;
    for (int t = 0; t < 300; t++) {
        step(w);
        for (size_t i = 0; i < city_ped_count(ped); i++) {
            CityPedView v;
            city_ped_at(ped, i, &v);
            crossed += v.x_m > 10.0;
        }
    }
    double farthest = 0;
    for (size_t i = 0; i < city_ped_count(ped); i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        farthest = fmax(farthest, 10.0 - v.x_m);
    }
    assert_false(city_ped_door_open(ped, d));
    assert_int_equal(city_ped_door_set_open(ped, d, true), CITY_OK);
    CityPedStats s;
    for (int t = 0; t < 300; t++)
        step(w);
    city_ped_stats(ped, &s);
    printf("red light: %d centre-steps past a red door, queue within %.2f m, %llu of 10 arrived on green\n", crossed,
           farthest, (unsigned long long)s.arrived);
    assert_int_equal(crossed, 0);
    assert_true(farthest < 3.0);
    assert_int_equal(s.arrived, 10);
    city_world_destroy(w);
}

/* A crowd at a red light stays behind its line: 40 walkers bound for the
 * far room crowd a closed 2 m door for 2 minutes, with the random push on
 * every one, and no body gets over the door's line (centre plus radius).
 * Before, a walker squeezed a few centimetres over it was counted as
 * through and walked on (25 of the 40 did); once that was mended, the
 * waiting crowd still churned, those stepping back to their waiting
 * points and those walking up to theirs stepping aside for each other
 * as for oncoming walkers, and pressed the front row's centres up to
 * 0.79 m over the line. All 40 are there when it opens, and arrive. */
static void test_red_light_holds_a_crowd(void **state)
{
    (void)state;
    CityWorld *w = new_world(5);
    CityPed *ped = new_ped(w);
    int32_t d = red_door(ped, 6.0, 2.0);
    for (int k = 0; k < 40; k++)
        spawn(ped, 9.3 - 0.6 * (k / 8), 1.2 + 0.6 * (k % 8), 18.0, 3.0, 0);
    double deepest = -INFINITY; /* the front of the body farthest over the line (m) */
    for (int t = 0; t < 1200; t++) {
        step(w);
        for (size_t i = 0; i < city_ped_count(ped); i++) {
            CityPedView v;
            city_ped_at(ped, i, &v);
            deepest = fmax(deepest, v.x_m + v.radius_m - 10.0);
        }
    }
    printf("red light, crowd of 40: the body farthest forward %.2f m past the line\n", deepest);
    assert_int_equal(city_ped_count(ped), 40);
    assert_true(deepest < 0.0);
    assert_int_equal(city_ped_door_set_open(ped, d, true), CITY_OK);
    CityPedStats s;
    for (int t = 0; t < 900; t++)
        step(w);
    city_ped_stats(ped, &s);
    assert_int_equal(s.arrived, 40);
    city_world_destroy(w);
}

/* Contacts come back sorted by id and symmetric (i touches j exactly when
 * j touches i), whatever order Chipmunk keeps its arbiters in: 16 people
 * pressed against the east wall of a 3 m x 3 m room (weak repulsion and
 * no headway term, so that bodies touch). */
static void test_contacts_sorted_and_symmetric(void **state)
{
    (void)state;
    CityWorld *w = new_world(8);
    CityPedParams p;
    city_ped_params_defaults(&p);
    p.a_n = p.wall_a_n = 50;
    p.headway_t_s = 0;
    CityPed *ped = NULL;
    assert_int_equal(city_ped_create(w, &p, &ped), CITY_OK);
    rect(ped, 0, 0, 3, 3);
    for (int k = 0; k < 16; k++)
        spawn_heading(ped, 0.4 + 0.7 * (k / 4), 0.4 + 0.7 * (k % 4), 0.0, 1.3);
    for (int t = 0; t < 100; t++)
        step(w);
    size_t n = city_ped_count(ped);
    assert_int_equal(n, 16);
    uint64_t ids[16], c[16][16];
    int32_t nc[16];
    int pairs = 0, walls = 0;
    for (size_t i = 0; i < n; i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        ids[i] = city_id_pack(v.id);
        nc[i] = city_ped_contacts(ped, i, c[i], 16);
        assert_true(nc[i] <= 16);
        for (int32_t k = 1; k < nc[i]; k++)
            assert_true(c[i][k - 1] <= c[i][k]);
    }
    for (size_t i = 0; i < n; i++)
        for (int32_t k = 0; k < nc[i]; k++) {
            if (c[i][k] == UINT64_MAX) {
                walls++;
                continue;
            }
            pairs++;
            size_t j = 0;
            while (j < n && ids[j] != c[i][k])
                j++;
            assert_true(j < n);
            bool back = false;
            for (int32_t q = 0; q < nc[j]; q++)
                back = back || c[j][q] == ids[i];
            assert_true(back);
        }
    printf("contacts: %d person-person (each counted twice), %d person-wall\n", pairs, walls);
    assert_true(walls >= 4); /* the front row leans on the east wall */
    city_world_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rimea1_corridor),
        cmocka_unit_test(test_rimea6_corner),
        cmocka_unit_test(test_weidmann_fundamental_diagram),
        cmocka_unit_test(test_bottleneck_flow),
        cmocka_unit_test(test_counterflow_lanes),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_space_errors),
        cmocka_unit_test(test_route_shortest),
        cmocka_unit_test(test_red_light_waits),
        cmocka_unit_test(test_red_light_holds_a_crowd),
        cmocka_unit_test(test_contacts_sorted_and_symmetric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
