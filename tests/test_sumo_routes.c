/* SUMO demand features that would change the results are supported or
 * refused with the file and line, never silently dropped: <stop>, random
 * departure positions and speeds, vType sigma and other car-following
 * models, distributions of several routes. A distribution of one route
 * stands for it; a vehicle's own distribution (duarouter's .alt files)
 * uses the route its `last` attribute names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "city_road.h"
#include "city_sumo.h"
#include "test_support.h"

#define GRID3 CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml"

/* Loads routes text on grid3 into a fresh world; its status, the world
 * error in err, and (when loaded) the road stats after 600 s. */
static CityStatus load(const char *name, const char *text, char *err, size_t len, CityRoadStats *stats)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", city_test_scratch("sumo_routes_features"), name);
    assert_true(city_test_write_file(path, text));
    CityWorldConfig cfg = {.seed = 3, .dt_ms = 500};
    CityWorld *w = city_world_create(&cfg);
    CityRoadNet *net = NULL;
    CityError e;
    assert_int_equal(city_sumo_load_net(GRID3, &net, &e), CITY_OK);
    CityRoad *road;
    assert_int_equal(city_road_create(w, net, NULL, &road), CITY_OK);
    CityStatus st = city_sumo_load_routes(road, path);
    snprintf(err, len, "%s", st == CITY_OK ? "" : city_world_error(w));
    if (st == CITY_OK && stats) {
        assert_int_equal(city_world_run_until(w, city_world_ticks_for(w, 600)), CITY_OK);
        city_road_stats(road, stats);
    }
    city_world_destroy(w);
    return st;
}

static void expect_refused(const char *name, const char *text, int line, const char *what)
{
    char err[1024], want[600];
    assert_int_equal(load(name, text, err, sizeof err, NULL), CITY_ERR_PARSE);
    snprintf(want, sizeof want, "%s:%d:", name, line);
    if (!strstr(err, want) || !strstr(err, what))
        fail_msg("%s: expected '%s' and '%s' in '%s'", name, want, what, err);
}

static void test_refused(void **state)
{
    (void)state;
    expect_refused("stop.rou.xml",
                   "<routes>\n  <vehicle id=\"v\" depart=\"0\">\n    <route edges=\"A0A1 A1A2\"/>\n"
                   "    <stop lane=\"A1A2_0\" duration=\"20\"/>\n  </vehicle>\n</routes>\n",
                   4, "<stop> is not supported");
    expect_refused(
        "pos.rou.xml",
        "<routes>\n  <trip id=\"t\" depart=\"0\" from=\"A0A1\" to=\"A1A2\" departPos=\"random\"/>\n</routes>\n", 2,
        "departPos=\"random\"");
    expect_refused(
        "speed.rou.xml",
        "<routes>\n\n  <trip id=\"t\" depart=\"0\" from=\"A0A1\" to=\"A1A2\" departSpeed=\"avg\"/>\n</routes>\n", 3,
        "departSpeed=\"avg\"");
    expect_refused("lane.rou.xml",
                   "<routes>\n  <trip id=\"t\" depart=\"0\" from=\"A0A1\" to=\"A1A2\" departLane=\"-1\"/>\n</routes>\n",
                   2, "departLane=\"-1\"");
    expect_refused("sigma.rou.xml", "<routes>\n  <vType id=\"k\" sigma=\"0.5\"/>\n</routes>\n", 2, "sigma=\"0.5\"");
    expect_refused("asl.rou.xml", "<routes>\n  <vType id=\"k\" actionStepLength=\"2\"/>\n</routes>\n", 2,
                   "actionStepLength=\"2\" is not supported");
    /* a nested element's parameters, once accepted and never read */
    expect_refused("cfm3.rou.xml",
                   "<routes>\n  <vType id=\"k\" carFollowModel=\"IDM\">\n    <carFollowing-IDM accel=\"1.2\"/>\n"
                   "  </vType>\n</routes>\n",
                   3, "<carFollowing-IDM accel=\"1.2\"> is not supported");
    expect_refused("cfm.rou.xml", "<routes>\n  <vType id=\"k\" carFollowModel=\"Krauss\"/>\n</routes>\n", 2,
                   "carFollowModel=\"Krauss\"");
    expect_refused("cfm2.rou.xml",
                   "<routes>\n  <vType id=\"k\">\n    <carFollowing-Krauss sigma=\"0\"/>\n  </vType>\n</routes>\n", 3,
                   "<carFollowing-Krauss>");
    expect_refused("dist.rou.xml",
                   "<routes>\n  <routeDistribution id=\"d\">\n"
                   "    <route id=\"a\" edges=\"A0A1 A1A2\" probability=\"0.5\"/>\n"
                   "    <route id=\"b\" edges=\"A0A1 A1B1\" probability=\"0.5\"/>\n"
                   "  </routeDistribution>\n</routes>\n",
                   2, "has 2 routes");
}

static void test_supported(void **state)
{
    (void)state;
    char err[1024];
    CityRoadStats s;
    /* a distribution of one route, named by a vehicle; IDM and sigma 0 said
     * explicitly, and IDM with a sigma (SUMO's IDM reads none) and a bare
     * <carFollowing-IDM>; a vehicle's own distribution, using route 1 of 2;
     * exact departure speed and lane */
    const char *ok = "<routes>\n"
                     "  <vType id=\"idm\" carFollowModel=\"IDM\" sigma=\"0\"/>\n"
                     "  <vType id=\"idm_sigma\" carFollowModel=\"IDM\" sigma=\"0.5\">\n"
                     "    <carFollowing-IDM/>\n"
                     "  </vType>\n"
                     "  <routeDistribution id=\"d\">\n"
                     "    <route id=\"only\" edges=\"A0A1 A1A2\" probability=\"1\"/>\n"
                     "  </routeDistribution>\n"
                     "  <vehicle id=\"v0\" type=\"idm\" depart=\"0\" route=\"d\"/>\n"
                     "  <vehicle id=\"v2\" type=\"idm_sigma\" depart=\"10\" route=\"d\"/>\n"
                     "  <vehicle id=\"v1\" depart=\"5\" departSpeed=\"3.5\" departLane=\"0\" departPos=\"base\">\n"
                     "    <routeDistribution last=\"1\">\n"
                     "      <route cost=\"90\" probability=\"0.5\" edges=\"A0A1 A1A2\"/>\n"
                     "      <route cost=\"80\" probability=\"0.5\" edges=\"B0B1 B1B2\"/>\n"
                     "    </routeDistribution>\n"
                     "  </vehicle>\n"
                     "</routes>\n";
    if (load("ok.rou.xml", ok, err, sizeof err, &s) != CITY_OK)
        fail_msg("%s", err);
    assert_int_equal(s.inserted, 3);
    assert_int_equal(s.arrived, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_refused), cmocka_unit_test(test_supported)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
