/* Lane closures and routing: a turn is made only from an open lane onto an
 * open lane, an edge closed all across is entered by no route (one may
 * start on it), a restored run sees the closures, and reopening gives
 * back the routes of before; on the 3x3 grid no route made after a
 * closure (departures, rerouting around it, periodic rerouting) enters
 * the closed roads; a vehicle stuck on a lane that leads nowhere searches
 * again only when a lane opens or closes. The closures of
 * tests/test_road_traffic.c (road works on the grid) are the traffic side
 * of the same rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_hash.h"
#include "city_road.h"
#include "city_sumo.h"
#include "road_step_internal.h"
#include "test_support.h"

static CityError err;

static void run(CityWorld *w, double seconds)
{
    int64_t end = city_world_tick(w) + city_world_ticks_for(w, seconds);
    if (city_world_run_until(w, end) != CITY_OK)
        fail_msg("%s", city_world_error(w));
}

/* ---- a fork: one two-lane approach, a lane for each way ---------------- */

/* U (one lane) feeds both lanes of A; at J1 lane 0 of A turns right onto
 * B, lane 1 goes straight onto C; C leads on to E. With `detour`, F joins
 * B's end to E's start too, so E has two ways in: straight (A C E) and
 * right (A B F E, longer). 13.89 m/s everywhere.
 *
 *   J4 --U--> J0 ==A==> J1 --C--> J3 --E--> J5
 *                        |         ^
 *                        B         F (detour)
 *                        v         |
 *                        J2 -------+                                     */
typedef struct Fork {
    CityWorld *w;
    CityRoad *road;
    int32_t u, a, b, c, e, f; /* edges (f: -1 without the detour) */
} Fork;

static void fork_connect(CityRoadNet *net, int32_t from_lane, int32_t to_lane, int32_t junction, char dir)
{
    if (city_road_net_add_connection(net, from_lane, to_lane, NULL, 0, junction, -1, -1, dir, 'M', &err) < 0)
        fail_msg("%s", err.msg);
}

static Fork fork_road(int32_t dt_ms, bool detour)
{
    Fork k;
    k.w = city_test_world(dt_ms, 5);
    CityRoadNet *net = city_road_net_create();
    int32_t j4 = city_test_junction(net, "J4", CITY_JUNCTION_DEAD_END, -200, 0);
    int32_t j0 = city_test_junction(net, "J0", CITY_JUNCTION_PRIORITY, 0, 0);
    int32_t j1 = city_test_junction(net, "J1", CITY_JUNCTION_PRIORITY, 200, 0);
    int32_t j2 = city_test_junction(net, "J2", detour ? CITY_JUNCTION_PRIORITY : CITY_JUNCTION_DEAD_END, 200, -200);
    int32_t j3 = city_test_junction(net, "J3", CITY_JUNCTION_PRIORITY, 400, 0);
    int32_t j5 = city_test_junction(net, "J5", CITY_JUNCTION_DEAD_END, 600, 0);
    k.u = city_test_edge(net, "U", j4, j0, (CityPoint){-200, -1.6}, (CityPoint){0, -1.6}, 1, 13.89);
    k.a = city_test_edge(net, "A", j0, j1, (CityPoint){0, -1.6}, (CityPoint){200, -1.6}, 2, 13.89);
    k.b = city_test_edge(net, "B", j1, j2, (CityPoint){201.6, 0}, (CityPoint){201.6, -200}, 1, 13.89);
    k.c = city_test_edge(net, "C", j1, j3, (CityPoint){200, -1.6}, (CityPoint){400, -1.6}, 1, 13.89);
    k.e = city_test_edge(net, "E", j3, j5, (CityPoint){400, -1.6}, (CityPoint){600, -1.6}, 1, 13.89);
    k.f = detour ? city_test_edge(net, "F", j2, j3, (CityPoint){200, -201.6}, (CityPoint){400, -1.6}, 1, 13.89) : -1;
    const int32_t ua = net->edges[k.u].lane_first, a0 = net->edges[k.a].lane_first;
    fork_connect(net, ua, a0, j0, 's');
    fork_connect(net, ua, a0 + 1, j0, 's');
    fork_connect(net, a0, net->edges[k.b].lane_first, j1, 'r');
    fork_connect(net, a0 + 1, net->edges[k.c].lane_first, j1, 's');
    fork_connect(net, net->edges[k.c].lane_first, net->edges[k.e].lane_first, j3, 's');
    if (detour) {
        fork_connect(net, net->edges[k.b].lane_first, net->edges[k.f].lane_first, j2, 'l');
        fork_connect(net, net->edges[k.f].lane_first, net->edges[k.e].lane_first, j3, 'l');
    }
    if (city_road_net_finalize(net, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    CityRoadOptions o;
    city_road_options_defaults(&o);
    o.trip_output = o.edge_output = false;
    if (city_road_create(k.w, net, &o, &k.road) != CITY_OK)
        fail_msg("%s", city_world_error(k.w));
    return k;
}

static void close_lane(CityRoad *road, int32_t edge, int32_t index, bool closed)
{
    assert_int_equal(city_road_close_lane(road, city_road_net(road)->edges[edge].lane_first + index, closed), CITY_OK);
}

/* The free-flow path between two edges as a string of edge ids ("-" when
 * there is none). */
static const char *path(CityRoad *road, int32_t from, int32_t to)
{
    static char buf[128];
    const CityRoadNet *rn = city_road_net(road);
    int32_t edges[16];
    int32_t n = city_road_path(road, from, to, CITY_VC_PASSENGER, edges, 16);
    if (n < 0)
        return "-";
    buf[0] = '\0';
    for (int32_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", rn->edges[edges[i]].id);
    return buf;
}

/* The router's turns past the closures, on the fork with its detour: a
 * turn needs an open lane on both sides, an edge closed all across is
 * entered by no route but a search may start on it, and reopening gives
 * back the routes of before. (Before the router knew closures, U to E
 * went straight on past the closed lane 1 of A, through the closed C, and
 * U to B through the closed A.) */
static void test_closure_turns(void **state)
{
    (void)state;
    Fork k = fork_road(1000, true);
    assert_string_equal(path(k.road, k.u, k.e), "U A C E");
    assert_string_equal(path(k.road, k.u, k.b), "U A B");
    close_lane(k.road, k.a, 1, true); /* the only lane that goes straight */
    assert_string_equal(path(k.road, k.u, k.e), "U A B F E");
    assert_string_equal(path(k.road, k.u, k.c), "-");
    assert_string_equal(path(k.road, k.a, k.e), "A B F E");
    close_lane(k.road, k.a, 1, false);
    close_lane(k.road, k.c, 0, true); /* the lane the straight turn leads onto */
    assert_string_equal(path(k.road, k.u, k.e), "U A B F E");
    close_lane(k.road, k.c, 0, false);
    close_lane(k.road, k.a, 0, true);
    close_lane(k.road, k.a, 1, true); /* A closed all across */
    assert_string_equal(path(k.road, k.u, k.b), "-");
    assert_string_equal(path(k.road, k.u, k.e), "-");
    assert_string_equal(path(k.road, k.a, k.e), "A C E"); /* from a vehicle on it */
    close_lane(k.road, k.a, 0, false);
    assert_string_equal(path(k.road, k.u, k.b), "U A B");
    assert_string_equal(path(k.road, k.u, k.e), "U A B F E");
    close_lane(k.road, k.a, 1, false);
    assert_string_equal(path(k.road, k.u, k.e), "U A C E");
    assert_string_equal(path(k.road, k.u, k.b), "U A B");
    city_world_destroy(k.w);
}

/* Closing a closed lane (or opening an open one) changes nothing: the
 * closure epoch, which keys the route memo and the stuck vehicles' retries,
 * stays (before, every such call emptied the memo and rerouted anew). */
static void test_closure_repeated(void **state)
{
    (void)state;
    Fork k = fork_road(1000, true);
    const uint32_t e0 = k.road->closure_epoch;
    close_lane(k.road, k.a, 1, false); /* open already */
    assert_int_equal(k.road->closure_epoch, e0);
    close_lane(k.road, k.a, 1, true);
    assert_int_equal(k.road->closure_epoch, e0 + 1);
    close_lane(k.road, k.a, 1, true);
    assert_int_equal(k.road->closure_epoch, e0 + 1);
    assert_string_equal(path(k.road, k.u, k.e), "U A B F E");
    city_world_destroy(k.w);
}

/* The router's view of the closures is not in a checkpoint but made again
 * from the lanes' on restore: a fork with lane 1 of A closed, restored
 * into a fresh one, routes round it (the trip from U to E due after the
 * restore takes the detour) and ends as the run it came from. */
static void test_closure_restored(void **state)
{
    (void)state;
    Fork k[2] = {fork_road(100, true), fork_road(100, true)};
    for (int i = 0; i < 2; i++) {
        CityTripDef trip = {.id = "later",
                            .vtype = -1,
                            .depart_s = 20,
                            .route = -1,
                            .from_edge = k[i].u,
                            .to_edge = k[i].e,
                            .depart = {.lane = CITY_DEPART_LANE_BEST, .pos_m = -1, .speed_mps = 0}};
        assert_int_equal(city_road_add_trip(k[i].road, &trip), CITY_OK);
    }
    run(k[0].w, 5.0);
    close_lane(k[0].road, k[0].a, 1, true);
    run(k[0].w, 5.0);
    CityStateWriter out = {0};
    assert_int_equal(city_world_save(k[0].w, &out), CITY_OK);
    assert_false(out.oom);
    CityStateReader in = {.data = out.data, .len = out.len};
    if (city_world_load(k[1].w, &in) != CITY_OK)
        fail_msg("restore: %s / %s", in.error, city_world_error(k[1].w));
    city_state_writer_free(&out);
    assert_string_equal(path(k[1].road, k[1].u, k[1].e), "U A B F E");
    for (int i = 0; i < 2; i++)
        run(k[i].w, 100.0);
    assert_true(city_world_hash(k[0].w) == city_world_hash(k[1].w));
    CityRoadStats st;
    city_road_stats(k[1].road, &st);
    assert_int_equal(st.arrived, 1);
    assert_true(st.sum_route_length_m > 1000); /* U A B F E: 1,078 m (U A C E: 800 m) */
    for (int i = 0; i < 2; i++)
        city_world_destroy(k[i].w);
}

/* The route of a vehicle as edge ids, from its current edge on. */
static const char *route_rest(const CityRoad *road, CityId id)
{
    static char buf[128];
    CityVehicleView v;
    if (!city_road_vehicle_get(road, id, &v))
        return "gone";
    const CityRoadNet *rn = city_road_net(road);
    buf[0] = '\0';
    for (int32_t i = v.route_pos; i < v.route_len; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i > v.route_pos ? " " : "",
                 rn->edges[v.route[i]].id);
    return buf;
}

static CityId vehicle_named(const CityRoad *road, const char *name)
{
    for (size_t i = 0; i < city_road_vehicle_count(road); i++) {
        CityVehicleView v;
        city_road_vehicle_at(road, i, &v);
        if (!strcmp(v.name, name))
            return v.id;
    }
    fail_msg("no vehicle %s on the road", name);
    return (CityId){0};
}

/* On the fork with its detour, lane 1 of A (the only one that goes
 * straight) closes at 5 s under a vehicle driving on it to E: its own lane
 * still turns onto C, so it keeps its route and arrives that way, not
 * rerouted. A trip from U to E that falls due after it takes the detour
 * (before the router knew closures it was routed straight on, entered on
 * lane 0, the only open one, and stood at the stop line until it gave up
 * the turn). */
static void test_closure_departures(void **state)
{
    (void)state;
    Fork k = fork_road(100, true);
    CityTripDef on_it = {.id = "on_it",
                         .vtype = -1,
                         .depart_s = 0,
                         .route = -1,
                         .from_edge = k.a,
                         .to_edge = k.e,
                         .depart = {.lane = 1, .pos_m = -1, .speed_mps = 0}};
    CityTripDef later = {.id = "later",
                         .vtype = -1,
                         .depart_s = 10,
                         .route = -1,
                         .from_edge = k.u,
                         .to_edge = k.e,
                         .depart = {.lane = CITY_DEPART_LANE_BEST, .pos_m = -1, .speed_mps = 0}};
    assert_int_equal(city_road_add_trip(k.road, &on_it), CITY_OK);
    assert_int_equal(city_road_add_trip(k.road, &later), CITY_OK);
    run(k.w, 5.0);
    CityId v = vehicle_named(k.road, "on_it");
    assert_string_equal(route_rest(k.road, v), "A C E");
    close_lane(k.road, k.a, 1, true);
    assert_string_equal(route_rest(k.road, v), "A C E");
    run(k.w, 6.0);
    assert_string_equal(route_rest(k.road, vehicle_named(k.road, "later")), "U A B F E");
    run(k.w, 200.0);
    CityRoadStats st;
    city_road_stats(k.road, &st);
    assert_int_equal(st.arrived, 2);
    assert_int_equal(k.road->missed_turns, 0);
    assert_int_equal(k.road->closure_reroutes, 0);
    city_world_destroy(k.w);
}

/* The fork at 0.1 s steps with lane 1 of A (the only one going straight)
 * closed and one vehicle bound for C on lane 0, after 100 s: it stands at
 * the line of a lane whose one movement (right onto B) leads nowhere near C. */
static Fork stuck_at_the_line(void)
{
    Fork k = fork_road(100, false);
    close_lane(k.road, k.a, 1, true);
    const int32_t edges[2] = {k.a, k.c};
    CityTripDef trip = {.id = "stuck",
                        .vtype = -1,
                        .depart_s = 0,
                        .route = city_road_add_route(k.road, "to_c", edges, 2),
                        .depart = {.lane = 0, .pos_m = -1, .speed_mps = 0}};
    assert_true(trip.route >= 0);
    assert_int_equal(city_road_add_trip(k.road, &trip), CITY_OK);
    run(k.w, 100.0);
    CityVehicleView v;
    city_road_vehicle_at(k.road, 0, &v);
    assert_true(v.halt_s > ROAD_MISSED_TURN_S); /* it stands at the line, given up on */
    return k;
}

/* On the fork without its detour, lane 1 of A (the only way to C) is
 * closed and a vehicle bound to C enters on lane 0: that lane turns only
 * onto B, a dead end, and it cannot change to the closed lane. It stands
 * at the stop line; after ROAD_MISSED_TURN_S it looks for a movement of its
 * lane that leads to C, finds none and, the edge having another lane,
 * waits for time_to_teleport. Whether such a movement leads anywhere
 * changes only when a lane opens or closes (the router's costs change the
 * way, not whether there is one): it searches once, then once after each
 * lane opened or closed, not every step (at 0.1 s steps it made 2,700
 * searches in the 270 s it stood). time_to_teleport then moves it on, as
 * before. */
static void test_stuck_vehicle_searches_on_change(void **state)
{
    (void)state;
    Fork k = stuck_at_the_line();
    const uint64_t at_100 = road_router_searches(k.road->router);
    run(k.w, 100.0);
    assert_int_equal(road_router_searches(k.road->router), at_100);
    /* a closure anywhere (the vehicle cannot know where it matters): one
     * search as it closes (its route, still through the closed lane, is
     * looked for another way), one for its lane's one movement */
    close_lane(k.road, k.e, 0, true);
    run(k.w, 10.0);
    assert_int_equal(road_router_searches(k.road->router), at_100 + 2);
    close_lane(k.road, k.e, 0, false); /* a lane that opens: its movement only */
    run(k.w, 10.0);
    assert_int_equal(road_router_searches(k.road->router), at_100 + 3);
    run(k.w, 150.0);
    CityRoadStats st;
    city_road_stats(k.road, &st);
    assert_int_equal(st.teleports, 1);
    assert_int_equal(st.arrived, 1);
    assert_int_equal(k.road->missed_turns, 0);
    city_world_destroy(k.w);
}

/* The same vehicle, given up on at the line of A's lane 0 (its one
 * movement, right onto B, leads nowhere near C), when the straight lane 1
 * opens: a change over is its way on, so it keeps asking for a gap after
 * giving the turn up, changes lanes and arrives without a teleport (it
 * used to stop asking once it had given up, and stood until
 * time_to_teleport moved it on). */
static void test_stuck_vehicle_changes_when_lane_opens(void **state)
{
    (void)state;
    Fork k = stuck_at_the_line();
    close_lane(k.road, k.a, 1, false);
    run(k.w, 60.0);
    CityRoadStats st;
    city_road_stats(k.road, &st);
    assert_int_equal(st.arrived, 1);
    assert_int_equal(st.teleports, 0);
    assert_int_equal(st.aborted, 0);
    city_world_destroy(k.w);
}

/* A declared route (a SUMO route file's, city.road.route's) that falls
 * due after a lane on it closed departs on the way round, as the vehicles
 * waiting when it closed do (before, it drove up to the closed lane and
 * stood at the line until it gave the turn up). */
static void test_declared_route_due_after_closure(void **state)
{
    (void)state;
    Fork k = fork_road(1000, true);
    const int32_t edges[4] = {k.u, k.a, k.c, k.e};
    CityTripDef trip = {.id = "declared",
                        .vtype = -1,
                        .depart_s = 20,
                        .route = city_road_add_route(k.road, "straight", edges, 4),
                        .depart = {.lane = -1, .pos_m = -1, .speed_mps = -1}};
    assert_true(trip.route >= 0);
    assert_int_equal(city_road_add_trip(k.road, &trip), CITY_OK);
    run(k.w, 5.0);
    close_lane(k.road, k.c, 0, true);
    assert_int_equal(k.road->closure_reroutes, 0); /* nobody on its way yet */
    run(k.w, 20.0);
    assert_int_equal(city_road_vehicle_count(k.road), 1);
    CityVehicleView v;
    city_road_vehicle_at(k.road, 0, &v);
    const CityRoadNet *rn = city_road_net(k.road);
    char route[128] = "";
    for (int32_t i = 0; i < v.route_len; i++)
        snprintf(route + strlen(route), sizeof route - strlen(route), "%s%s", i ? " " : "", rn->edges[v.route[i]].id);
    assert_string_equal(route, "U A B F E");
    assert_int_equal(k.road->closure_reroutes, 1);
    run(k.w, 120.0);
    CityRoadStats st;
    city_road_stats(k.road, &st);
    assert_int_equal(st.arrived, 1);
    assert_int_equal(k.road->missed_turns, 0);
    city_world_destroy(k.w);
}

/* ---- the 3x3 grid -------------------------------------------------------- */

/* A hash of the free-flow paths between every two edges of the net. */
static uint64_t all_paths_hash(CityRoad *road)
{
    const CityRoadNet *rn = city_road_net(road);
    int32_t *edges = malloc(((size_t)rn->n_edges + 1) * sizeof *edges);
    assert_non_null(edges);
    CityHash h;
    city_hash_init(&h);
    for (int32_t a = 0; a < rn->n_edges; a++)
        for (int32_t b = 0; b < rn->n_edges; b++) {
            int32_t n = city_road_path(road, a, b, CITY_VC_PASSENGER, edges, rn->n_edges + 1);
            city_hash_u64(&h, (uint64_t)(int64_t)n);
            if (n > 0)
                city_hash_u32_array(&h, (const uint32_t *)edges, (size_t)n);
        }
    free(edges);
    return city_hash_value(&h);
}

/* Road works on the 3x3 grid of tests/data/road/grid3.net.xml: flows
 * between a third of the edge pairs for 30 minutes, every vehicle
 * rerouted on the travel-time estimates each minute, and two roads closed
 * from 600 to 1200 s: B1B2 in the centre and the border road A1A2 (the
 * only way to A2B2). From a step after the closure until it ends no
 * vehicle's route ahead of it enters them: the vehicles rerouted around
 * them when they closed, the trips that fall due later (those to A2B2
 * find no route) and the periodic reroutes; one trip, from B0B1 to B2A2
 * at 595 s, is sure to be on its way through B1B2 when it closes. A vehicle
 * already on the road to A2B2 has no other way: it keeps its route and
 * stands at its line (it gives up the turn after 30 s); it must never drive
 * onto A1A2. (Before the router knew
 * closures, the periodic reroutes sent vehicles back onto them, and trips
 * to A2B2 set off on a route through A1A2.) A minute after they reopen
 * routes use them again, and the router's paths between every two edges
 * are those of before. */
static void test_closure_routes_keep_off(void **state)
{
    (void)state;
    CityWorld *w = city_test_world(1000, 11);
    CityRoad *road = city_test_grid3(w, 60, false);
    const CityRoadNet *rn = city_road_net(road);
    const int32_t closed[2] = {city_road_net_find_edge(rn, "A1A2"), city_road_net_find_edge(rn, "B1B2")};
    const int32_t cut_off = city_road_net_find_edge(rn, "A2B2"); /* reached only through A1A2 */
    assert_true(closed[0] >= 0 && closed[1] >= 0 && cut_off >= 0);
    assert_true(city_test_grid_flows(road, 3, 6, closed, 2) > 0);
    CityTripDef trip = {.id = "through",
                        .vtype = -1,
                        .depart_s = 595,
                        .route = -1,
                        .from_edge = city_road_net_find_edge(rn, "B0B1"),
                        .to_edge = city_road_net_find_edge(rn, "B2A2"),
                        .depart = {.lane = CITY_DEPART_LANE_BEST, .pos_m = -1, .speed_mps = 0}};
    assert_int_equal(city_road_add_trip(road, &trip), CITY_OK);
    const uint64_t open_paths = all_paths_hash(road);
    int64_t routes_checked = 0, routes_through = 0;
    for (int t = 0; t < 1800; t++) {
        if (t == 900)
            assert_true(all_paths_hash(road) != open_paths);
        if (t == 600 || t == 1200)
            for (int c = 0; c < 2; c++)
                assert_int_equal(city_road_close_lane(road, rn->edges[closed[c]].lane_first, t == 600), CITY_OK);
        assert_int_equal(city_world_step(w), CITY_OK);
        for (size_t i = 0; i < city_road_vehicle_count(road); i++) {
            CityVehicleView v;
            city_road_vehicle_at(road, i, &v);
            bool through = false;
            for (int32_t k = v.route_pos + 1; k < v.route_len; k++)
                through |= v.route[k] == closed[0] || v.route[k] == closed[1];
            if (t >= 600 && t < 1200) {
                const int32_t on = rn->lanes[v.lane].edge;
                if (on == closed[0] || on == closed[1])
                    fail_msg("%s at %d s: on the closed road %s", v.name, t, rn->edges[on].id);
                if (through && v.route[v.route_len - 1] != cut_off)
                    fail_msg("%s at %d s: its route enters a closed road", v.name, t);
                routes_checked++;
            } else if (t >= 1260) {
                routes_through += through;
            }
        }
    }
    CityRoadStats st;
    city_road_stats(road, &st);
    print_message("closed A1A2 and B1B2: %lld routes checked, %llu inserted, %llu rerouted around them, %lld "
                  "routes through them after\n",
                  (long long)routes_checked, (unsigned long long)st.inserted,
                  (unsigned long long)road->closure_reroutes, (long long)routes_through);
    assert_true(routes_checked > 9000); /* (the vehicle-steps seen while closed: about 10,000) */
    assert_true(road->closure_reroutes > 0);
    assert_true(routes_through > 0);
    assert_true(all_paths_hash(road) == open_paths);
    city_world_destroy(w);
}

/* A lane inside a junction is crossed by the vehicles granted its link and
 * has no queue to stop them: closing it is refused, saying so, and changes
 * nothing (before, it was accepted and ignored: vehicles drove on through). */
static void test_closure_inside_junction_refused(void **state)
{
    (void)state;
    CityWorld *w = city_test_world(1000, 11);
    CityRoad *road = city_test_grid3(w, 0, false);
    const CityRoadNet *rn = city_road_net(road);
    int32_t inner = -1;
    for (int32_t l = 0; l < rn->n_lanes && inner < 0; l++)
        if (rn->edges[rn->lanes[l].edge].internal)
            inner = l;
    assert_true(inner >= 0);
    const uint32_t epoch = road->closure_epoch;
    assert_int_equal(city_road_close_lane(road, inner, true), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(w), "inside a junction"));
    assert_non_null(strstr(city_world_error(w), rn->lanes[inner].id));
    assert_false(city_road_lane_closed(road, inner));
    assert_int_equal(road->closure_epoch, epoch);
    city_world_destroy(w);
}

/* --- out of memory is not "no path" --- */

/* While refuse_alloc is set, malloc, calloc and realloc fail as on an
 * exhausted heap (or under --mem-mb), as the run's own memory cap makes
 * them fail. A sanitizer build keeps its allocator (and no cap). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REFUSE_ALLOC 0
#else
#define REFUSE_ALLOC 1
#include <errno.h>
static bool refuse_alloc;
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *malloc(size_t n)
{
    if (refuse_alloc) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
    if (refuse_alloc) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
    if (refuse_alloc && n > 0) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n);
}
#endif

/* A path search that runs out of memory says so (CITY_ROAD_PATH_NOMEM and
 * the world's error), where it answered -1, "no path", before: a scenario
 * asking city.road.path then took a reachable destination for an
 * unreachable one. The same search with memory finds the path. */
static void test_path_out_of_memory(void **state)
{
    (void)state;
#if !REFUSE_ALLOC
    skip();
#else
    Fork k = fork_road(1000, true);
    const CityRoadNet *rn = city_road_net(k.road);
    int32_t edges[16];
    refuse_alloc = true;
    int32_t n = city_road_path(k.road, k.u, k.e, CITY_VC_PASSENGER, edges, 16);
    refuse_alloc = false;
    assert_int_equal(n, CITY_ROAD_PATH_NOMEM);
    assert_non_null(strstr(city_world_error(k.w), "out of memory searching the path from edge U to edge E"));
    assert_int_equal(city_road_path(k.road, k.u, k.e, CITY_VC_PASSENGER, edges, 16), 4);
    assert_string_equal(rn->edges[edges[3]].id, "E");
    assert_string_equal(path(k.road, k.u, k.c), "U A C");
    city_world_destroy(k.w);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closure_turns),
        cmocka_unit_test(test_closure_repeated),
        cmocka_unit_test(test_closure_restored),
        cmocka_unit_test(test_closure_departures),
        cmocka_unit_test(test_stuck_vehicle_searches_on_change),
        cmocka_unit_test(test_stuck_vehicle_changes_when_lane_opens),
        cmocka_unit_test(test_declared_route_due_after_closure),
        cmocka_unit_test(test_closure_routes_keep_off),
        cmocka_unit_test(test_closure_inside_junction_refused),
        cmocka_unit_test(test_path_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
