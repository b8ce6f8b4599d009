/* Networks built from nodes and edges: counts follow from the spec, every
 * lane leads somewhere, lengths match shapes, right of way follows the
 * rules (priority roads, left turns yield to oncoming traffic, right
 * before left), signal phases never show conflicting priority greens, and
 * bad input names the edge at fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_road_build.h"
#include "test_support.h"
#include <stdio.h>

static CityError err;

static bool bit(const uint64_t *m, int32_t k)
{
    return (m[k / 64] >> (k % 64)) & 1u;
}

static void test_grid_counts_and_geometry(void **state)
{
    (void)state;
    CityRoadBuilder *b = city_road_builder_create();
    CityGridSpec g = {.prefix = "",
                      .nx = 3,
                      .ny = 3,
                      .spacing_m = 150,
                      .lanes = 2,
                      .speed_mps = 13.89,
                      .junction = CITY_JUNCTION_TRAFFIC_LIGHT};
    assert_int_equal(city_road_builder_grid(b, &g, &err), CITY_OK);
    CityRoadNet *net = city_road_builder_build(b, &err);
    if (!net)
        fail_msg("%s", err.msg);
    city_road_builder_destroy(b);
    int normal_edges = 0, normal_lanes = 0;
    for (int32_t e = 0; e < net->n_edges; e++)
        if (!net->edges[e].internal) {
            normal_edges++;
            normal_lanes += net->edges[e].lane_count;
        }
    /* 3x3 nodes: 2*3 + 3*2 = 12 streets, both ways, 2 lanes each */
    assert_int_equal(net->n_junctions, 9);
    assert_int_equal(normal_edges, 24);
    assert_int_equal(normal_lanes, 48);
    assert_int_equal(net->n_tls, 1); /* only the centre node is inside the border */
    for (int32_t l = 0; l < net->n_lanes; l++) {
        const CityLane *ln = &net->lanes[l];
        double geo = 0;
        for (int32_t k = 1; k < ln->shape_count; k++) {
            const CityPoint *p = net->points + ln->shape_first;
            geo += hypot(p[k].x - p[k - 1].x, p[k].y - p[k - 1].y);
        }
        assert_true(ln->length_m > 0);
        assert_true(fabs(ln->length_m - geo) <= 1e-6 * geo);
        if (!net->edges[ln->edge].internal)
            assert_true(ln->out_count >= 1);
    }
    /* foes are symmetric; a signal phase never has two conflicting 'G' links */
    for (int32_t j = 0; j < net->n_junctions; j++) {
        const CityJunction *jn = &net->junctions[j];
        for (int32_t a = 0; a < jn->link_count; a++)
            for (int32_t c = 0; c < jn->link_count; c++)
                assert_int_equal(bit(city_road_link_foes(net, jn->link_first + a), c),
                                 bit(city_road_link_foes(net, jn->link_first + c), a));
        if (jn->tls < 0)
            continue;
        const CityTls *t = &net->tls[jn->tls];
        assert_int_equal(t->link_count, jn->link_count);
        assert_int_equal(t->phase_count, 4);
        for (int32_t p = 0; p < t->phase_count; p++) {
            const char *s = city_road_phase_state(net, t->phase_first + p);
            assert_int_equal((int)strlen(s), t->link_count);
            for (int32_t a = 0; a < t->link_count; a++)
                for (int32_t c = 0; c < t->link_count; c++)
                    if (s[a] == 'G' && s[c] == 'G')
                        assert_false(bit(city_road_link_foes(net, jn->link_first + a), c));
        }
    }
    city_road_net_destroy(net);
}

/* A four-arm crossing of a major east-west road and a minor north-south one. */
static CityRoadNet *crossing(CityJunctionType type, int major_priority, int minor_priority)
{
    CityRoadBuilder *b = city_road_builder_create();
    int32_t c = city_road_builder_node(b, "C", 0, 0, type, &err);
    int32_t w = city_road_builder_node(b, "W", -200, 0, CITY_JUNCTION_PRIORITY, &err);
    int32_t e = city_road_builder_node(b, "E", 200, 0, CITY_JUNCTION_PRIORITY, &err);
    int32_t s = city_road_builder_node(b, "S", 0, -200, CITY_JUNCTION_PRIORITY, &err);
    int32_t n = city_road_builder_node(b, "N", 0, 200, CITY_JUNCTION_PRIORITY, &err);
    CityEdgeSpec roads[] = {
        {.id = "WC", .from = w, .to = c, .lanes = 1, .speed_mps = 13.89, .priority = major_priority},
        {.id = "EC", .from = e, .to = c, .lanes = 1, .speed_mps = 13.89, .priority = major_priority},
        {.id = "SC", .from = s, .to = c, .lanes = 1, .speed_mps = 13.89, .priority = minor_priority},
        {.id = "NC", .from = n, .to = c, .lanes = 1, .speed_mps = 13.89, .priority = minor_priority},
    };
    for (int i = 0; i < 4; i++)
        assert_int_equal(city_road_builder_road(b, &roads[i], &err), CITY_OK);
    CityRoadNet *net = city_road_builder_build(b, &err);
    if (!net)
        fail_msg("%s", err.msg);
    city_road_builder_destroy(b);
    return net;
}

/* The junction link index of the movement from edge `from` to edge `to`. */
static int32_t link_of(const CityRoadNet *net, const char *from, const char *to)
{
    int32_t fe = city_road_net_find_edge(net, from), te = city_road_net_find_edge(net, to);
    for (int32_t c = 0; c < net->n_conns; c++)
        if (net->lanes[net->conns[c].from_lane].edge == fe && net->lanes[net->conns[c].to_lane].edge == te)
            return net->conns[c].link - net->junctions[net->conns[c].junction].link_first;
    fail_msg("no movement %s -> %s", from, to);
    return -1;
}

static bool yields(const CityRoadNet *net, int32_t a, int32_t b)
{
    int32_t j = city_road_net_find_junction(net, "C");
    return bit(city_road_link_response(net, net->junctions[j].link_first + a), b);
}

static void test_priority_rules(void **state)
{
    (void)state;
    CityRoadNet *net = crossing(CITY_JUNCTION_PRIORITY, 3, 1);
    int32_t minor_straight = link_of(net, "SC", "-NC"), major_we = link_of(net, "WC", "-EC"),
            major_ew = link_of(net, "EC", "-WC"), major_left = link_of(net, "WC", "-NC");
    assert_true(yields(net, minor_straight, major_we));
    assert_true(yields(net, minor_straight, major_ew));
    int32_t j = city_road_net_find_junction(net, "C");
    for (int32_t k = 0; k < net->junctions[j].link_count; k++)
        assert_false(yields(net, major_we, k));     /* the major straight yields to nobody */
    assert_true(yields(net, major_left, major_ew)); /* left turn gives way to oncoming traffic */
    city_road_net_destroy(net);
}

static void test_right_before_left(void **state)
{
    (void)state;
    CityRoadNet *net = crossing(CITY_JUNCTION_RIGHT_BEFORE_LEFT, 1, 1);
    /* going north (from S), traffic from the right comes from the east (EC) */
    int32_t north = link_of(net, "SC", "-NC"), west = link_of(net, "EC", "-WC"), east = link_of(net, "WC", "-EC"),
            south = link_of(net, "NC", "-SC");
    assert_true(yields(net, north, west));
    assert_false(yields(net, north, east));
    assert_false(yields(net, north, south));
    assert_true(yields(net, west, south));
    assert_true(yields(net, south, east));
    assert_true(yields(net, east, north));
    city_road_net_destroy(net);
}

static void test_bad_input(void **state)
{
    (void)state;
    CityRoadBuilder *b = city_road_builder_create();
    int32_t a = city_road_builder_node(b, "A", 0, 0, CITY_JUNCTION_PRIORITY, &err);
    CityEdgeSpec e = {.id = "AB", .from = a, .to = 7, .lanes = 1, .speed_mps = 10};
    assert_true(city_road_builder_edge(b, &e, &err) < 0);
    assert_non_null(strstr(err.msg, "'AB'"));
    int32_t c = city_road_builder_node(b, "B", 100, 0, CITY_JUNCTION_PRIORITY, &err);
    CityEdgeSpec z = {.id = "AB0", .from = a, .to = c, .lanes = 0, .speed_mps = 10};
    assert_true(city_road_builder_edge(b, &z, &err) < 0);
    assert_non_null(strstr(err.msg, "'AB0'"));
    assert_true(city_road_builder_node(b, "A", 5, 5, CITY_JUNCTION_PRIORITY, &err) < 0);
    assert_non_null(strstr(err.msg, "'A'"));
    city_road_builder_destroy(b);
}

/* The Lua helpers: an explicit network and a grid carry traffic end to end. */
static void test_lua_networks(void **state)
{
    (void)state;
    const char *scn =
        "city.config{ until_s = 900, dt_ms = 500 }\n"
        "city.road.build{\n"
        "  nodes = { {id='W', x=-300, y=0}, {id='C', x=0, y=0, type='traffic_light'}, {id='E', x=300, y=0},\n"
        "            {id='N', x=0, y=300}, {id='S', x=0, y=-300} },\n"
        "  edges = { {id='WC', from='W', to='C', lanes=2, speed=13.89, two_way=true},\n"
        "            {id='CE', from='C', to='E', lanes=2, speed=13.89, two_way=true},\n"
        "            {id='NC', from='N', to='C', two_way=true}, {id='CS', from='C', to='S', two_way=true} } }\n"
        "city.road.flow{ id='we', from='WC', to='CE', rate=600, ['end']=600 }\n"
        "city.road.flow{ id='ns', from='NC', to='CS', rate=300, ['end']=600 }\n"
        "city.road.flow{ id='left', from='WC', to='CS', rate=120, ['end']=600 }\n"
        "city.check('all_arrived', function() local s = city.road.stats()\n"
        "  return s.running == 0 and s.arrived > 150, s.arrived .. ' arrived' end)\n";
    char path[512], out[600];
    snprintf(path, sizeof path, "%s/cross.lua", city_test_scratch("build_lua"));
    snprintf(out, sizeof out, "%s/out", city_test_scratch("build_lua_out"));
    assert_true(city_test_write_file(path, scn));
    const char *args[] = {"run", path, "--out", out, "--quiet", NULL};
    CityTestRun r = city_test_run(args, 120);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s %s", r.exit_code, r.out, r.err);
    city_test_run_free(&r);
}

/* A trip's own speed factor (speed_factor =) in place of its type's: alone
 * on a 1,000 m road of 10 m/s, the car at half the limit takes about
 * twice as long as the one at the limit; a factor of 0 is refused. */
static void test_lua_speed_factor(void **state)
{
    (void)state;
    const char *road = "city.config{ until_s = 900, dt_ms = 500 }\n"
                       "city.road.build{ nodes = { {id='W', x=0, y=0}, {id='E', x=1000, y=0} },\n"
                       "  edges = { {id='WE', from='W', to='E', speed=10} } }\n"
                       "city.road.vtype{ id='car', speed_dev=0 }\n";
    const char *trips[] = {"city.road.trip{ type='car', from='WE', to='WE', depart=0 }\n",
                           "city.road.trip{ type='car', from='WE', to='WE', depart=0, speed_factor=0.5 }\n",
                           "city.road.trip{ type='car', from='WE', to='WE', depart=0, speed_factor=0 }\n"};
    double tt[2];
    for (int k = 0; k < 3; k++) {
        char scn[1024], path[512], out[600];
        snprintf(scn, sizeof scn,
                 "%s%scity.check('one', function() local s = city.road.stats()\n"
                 "  return s.arrived == 1, string.format('%%.3f', s.mean_travel_time) end)\n",
                 road, trips[k]);
        snprintf(path, sizeof path, "%s/factor%d.lua", city_test_scratch("build_lua"), k);
        snprintf(out, sizeof out, "%s/out%d", city_test_scratch("build_lua_out"), k);
        assert_true(city_test_write_file(path, scn));
        const char *args[] = {"run", path, "--out", out, NULL};
        CityTestRun r = city_test_run(args, 120);
        if (k == 2) {
            assert_int_equal(r.exit_code, 2);
            if (!strstr(r.err, "speed_factor 0: use a multiplier"))
                fail_msg("%s", r.err);
        } else {
            const char *m = strstr(r.out, "one");
            if (r.exit_code != 0 || !m || !(m = strpbrk(m, "0123456789")))
                fail_msg("exit %d: %s %s", r.exit_code, r.out, r.err);
            tt[k] = strtod(m, NULL);
        }
        city_test_run_free(&r);
    }
    print_message("travel time %.1f s at the limit, %.1f s at half of it\n", tt[0], tt[1]);
    /* its front from 5 m in to the end: 99.5 s and 199 s of cruising, and
     * the start from rest (about 2 s at the limit, under 1 s at half) */
    assert_true(tt[0] > 99 && tt[0] < 106);
    assert_true(tt[1] > 195 && tt[1] < 205);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_counts_and_geometry),
        cmocka_unit_test(test_priority_rules),
        cmocka_unit_test(test_right_before_left),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_lua_networks),
        cmocka_unit_test(test_lua_speed_factor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
