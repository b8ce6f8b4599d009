/* SUMO network import: the real Jamsil district and netgenerate networks
 * load with every element accounted for; malformed files fail with the
 * file name and the line at fault. Expected counts are taken from the
 * files themselves by counting their XML elements independently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_sumo.h"
#include "test_support.h"

static CityError err_buf;

/* Occurrences of `needle` in a file (a crude element count). */
static int count_in_file(const char *path, const char *needle)
{
    size_t len;
    char *text = city_test_read_file(path, &len);
    assert_non_null(text);
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    free(text);
    return n;
}

static void check_net(const char *path)
{
    CityError err;
    CityRoadNet *net = NULL;
    CityStatus st = city_sumo_load_net(path, &net, &err);
    if (st != CITY_OK)
        fail_msg("%s", err.msg);
    int edges = count_in_file(path, "<edge ");
    int crossings = count_in_file(path, "function=\"crossing\"") + count_in_file(path, "function=\"walkingarea\"");
    int junctions = count_in_file(path, "<junction ");
    int tls = count_in_file(path, "<tlLogic ");
    int requests = count_in_file(path, "<request ");
    assert_int_equal(net->n_edges, edges - crossings);
    assert_int_equal(net->n_junctions, junctions);
    assert_int_equal(net->n_tls, tls);
    assert_int_equal(net->n_links, requests);
    /* every vehicle connection joins two normal lanes and carries its link */
    int with_link = 0;
    for (int32_t c = 0; c < net->n_conns; c++) {
        const CityConnection *cn = &net->conns[c];
        assert_false(net->edges[net->lanes[cn->from_lane].edge].internal);
        assert_false(net->edges[net->lanes[cn->to_lane].edge].internal);
        for (int32_t k = 0; k < cn->via_count; k++)
            assert_true(net->edges[net->lanes[net->via[cn->via_first + k]].edge].internal);
        if (cn->link >= 0) {
            assert_int_equal(net->links[cn->link].conn, c);
            with_link++;
        }
        if (cn->tls >= 0) {
            assert_true(cn->tls_link >= 0 && cn->tls_link < net->tls[cn->tls].link_count);
            /* the junction knows its light, even when the light is a
             * cluster's ("GS_cluster_...") and has another id */
            assert_int_equal(net->junctions[cn->junction].tls, cn->tls);
        }
    }
    int linked = 0;
    for (int32_t k = 0; k < net->n_links; k++)
        linked += net->links[k].conn >= 0;
    assert_int_equal(with_link, linked);
    for (int32_t l = 0; l < net->n_lanes; l++)
        assert_true(net->lanes[l].length_m > 0);
    for (int32_t t = 0; t < net->n_tls; t++)
        for (int32_t p = 0; p < net->tls[t].phase_count; p++)
            assert_int_equal((int)strlen(city_road_phase_state(net, net->tls[t].phase_first + p)),
                             net->tls[t].link_count);
    city_road_net_destroy(net);
}

static void test_jamsil(void **state)
{
    (void)state;
    check_net(CITY_SOURCE_DIR "/assets/jamsil/jamsil.net.xml");
}

static void test_netgenerate(void **state)
{
    (void)state;
    check_net(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml");
    check_net(CITY_SOURCE_DIR "/tests/data/road/spider.net.xml");
    check_net(CITY_SOURCE_DIR "/tests/data/road/rand.net.xml");
}

/* Writes a broken copy of the 3x3 grid and expects "FILE:LINE:" in the error. */
static void expect_error(const char *name, const char *find, const char *replace, int expect_line)
{
    size_t len;
    char *text = city_test_read_file(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", &len);
    assert_non_null(text);
    char *at = strstr(text, find);
    assert_non_null(at);
    int line = 1;
    for (char *p = text; p < at; p++)
        line += *p == '\n';
    if (expect_line > 0)
        line = expect_line;
    size_t out_len = len - strlen(find) + strlen(replace) + 1;
    char *out = malloc(out_len);
    assert_non_null(out);
    snprintf(out, out_len, "%.*s%s%s", (int)(at - text), text, replace, at + strlen(find));
    char path[512];
    snprintf(path, sizeof path, "%s/%s", city_test_scratch("sumo_net"), name);
    assert_true(city_test_write_file(path, out));
    CityError err;
    char want[600];
    CityRoadNet *net = (CityRoadNet *)1;
    CityStatus st = city_sumo_load_net(path, &net, &err);
    assert_int_equal(st, CITY_ERR_PARSE);
    assert_int_equal(err.status, CITY_ERR_PARSE);
    assert_null(net);
    snprintf(want, sizeof want, "%s:%d:", path, line);
    if (!strstr(err.msg, want))
        fail_msg("expected '%s' in '%s'", want, err.msg);
    free(text);
    free(out);
}

static void test_bad_files(void **state)
{
    (void)state;
    /* truncated XML: the error is at the end of the file */
    expect_error("unknown_edge.net.xml", "<connection from=\"A0A1\"", "<connection from=\"NOPE\"", 0);
    expect_error("bad_number.net.xml", "speed=\"13.89\"", "speed=\"fast\"", 0);
    expect_error("bad_state.net.xml", "duration=\"42\" state=\"GG\"", "duration=\"42\" state=\"GGG\"", 0);
    expect_error("bad_xml.net.xml", "<junction id=\"A0\"", "<junction id=\"A0\" <", 0);
}

/* A demand file with every element kind loads into the road subsystem and
 * its vehicles drive; an unknown edge is reported at its line. */
static void test_routes(void **state)
{
    (void)state;
    const char *rou =
        "<routes>\n"
        "  <vType id=\"car\" vClass=\"passenger\" accel=\"2.0\" speedFactor=\"normc(1,0.1,0.2,2)\"/>\n"
        "  <vType id=\"bus\" vClass=\"bus\"/>\n"
        "  <route id=\"r0\" edges=\"A0A1 A1A2\"/>\n"
        "  <vehicle id=\"v0\" type=\"car\" depart=\"0\" route=\"r0\"/>\n"
        "  <vehicle id=\"v1\" type=\"bus\" depart=\"5\" departLane=\"best\" departSpeed=\"max\">\n"
        "    <route edges=\"A0A1 A1B1 B1C1\"/>\n"
        "  </vehicle>\n"
        "  <trip id=\"t0\" depart=\"10\" from=\"A0A1\" to=\"C1C2\"/>\n"
        "  <flow id=\"f0\" type=\"car\" begin=\"0\" end=\"100\" number=\"10\" from=\"B0B1\" to=\"B1B2\"/>\n"
        "  <flow id=\"f1\" begin=\"0\" end=\"100\" period=\"exp(0.1)\" route=\"r0\"/>\n"
        "</routes>\n";
    char path[512];
    snprintf(path, sizeof path, "%s/ok.rou.xml", city_test_scratch("sumo_routes"));
    assert_true(city_test_write_file(path, rou));
    CityWorldConfig cfg = {.seed = 5, .dt_ms = 500};
    CityWorld *w = city_world_create(&cfg);
    CityRoadNet *net = NULL;
    assert_int_equal(city_sumo_load_net(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", &net, &err_buf), CITY_OK);
    CityRoad *road;
    assert_int_equal(city_road_create(w, net, NULL, &road), CITY_OK);
    if (city_sumo_load_routes(road, path) != CITY_OK)
        fail_msg("%s", city_world_error(w));
    assert_true(city_road_find_vtype(road, "bus") >= 0);
    assert_true(city_road_find_route(road, "r0") >= 0);
    assert_int_equal(city_world_run_until(w, city_world_ticks_for(w, 400)), CITY_OK);
    CityRoadStats st;
    city_road_stats(road, &st);
    /* 3 single vehicles + 10 of f0 + the Poisson flow (rate 0.1/s over 100 s) */
    assert_true(st.inserted >= 13 + 1 && st.inserted <= 13 + 30);
    assert_int_equal(st.arrived + st.aborted + st.running, st.inserted);
    assert_int_equal(st.running, 0);
    city_world_destroy(w);

    /* an unknown edge on line 3 */
    snprintf(path, sizeof path, "%s/bad.rou.xml", city_test_scratch("sumo_routes"));
    assert_true(city_test_write_file(
        path, "<routes>\n  <vType id=\"car\"/>\n  <route id=\"r\" edges=\"A0A1 NOPE\"/>\n</routes>\n"));
    w = city_world_create(&cfg);
    assert_int_equal(city_sumo_load_net(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", &net, &err_buf), CITY_OK);
    assert_int_equal(city_road_create(w, net, NULL, &road), CITY_OK);
    assert_int_equal(city_sumo_load_routes(road, path), CITY_ERR_PARSE);
    char want[600];
    snprintf(want, sizeof want, "%s:3:", path);
    if (!strstr(city_world_error(w), want) || !strstr(city_world_error(w), "NOPE"))
        fail_msg("expected '%s' and the edge id in '%s'", want, city_world_error(w));
    city_world_destroy(w);
}

/* The internal lanes a connection enters through a minor link (what SUMO's
 * routers charge their minor penalty for), counted by hand from
 * center.net.xml's connection elements: the connection's own state, then
 * those of the connections between its internal lanes (internal waiting
 * points); a light's links ('o' here) count none. */
static void test_minor_hops(void **state)
{
    (void)state;
    CityError err;
    CityRoadNet *net = NULL;
    if (city_sumo_load_net(CITY_SOURCE_DIR "/tests/data/road/real/center.net.xml", &net, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    static const struct {
        const char *from, *to;
        int from_lane, via, hops;
    } want[] = {
        {"867821845#5", "-867821845#5", 0, 2, 2}, /* U-turn: 'm', then the waiting point's 'm' */
        {"70998398#1", "481374924#0", 1, 2, 1},   /* light ('o'), then the waiting point's 'm' */
        {"-867821845#3", "172059022#0", 0, 1, 1}, /* 'm', one internal lane */
        {"867821845#3", "867821845#5", 0, 1, 0},  /* light ('o') */
        {"-908608598", "-867821845#5", 0, 1, 0},  /* major ('M') */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int32_t fe = city_road_net_find_edge(net, want[i].from), te = city_road_net_find_edge(net, want[i].to);
        assert_true(fe >= 0 && te >= 0);
        int found = 0;
        for (int32_t c = 0; c < net->n_conns; c++) {
            const CityConnection *cn = &net->conns[c];
            if (cn->from_lane != net->edges[fe].lane_first + want[i].from_lane || net->lanes[cn->to_lane].edge != te)
                continue;
            found++;
            assert_int_equal(cn->via_count, want[i].via);
            assert_int_equal(cn->minor_hops, want[i].hops);
        }
        assert_int_equal(found, 1);
    }
    city_road_net_destroy(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jamsil), cmocka_unit_test(test_netgenerate), cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_routes), cmocka_unit_test(test_minor_hops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
