/* SUMO demand features that would change the results are supported or
 * refused with the file and line, never silently dropped: <stop>, random
 * departure positions and speeds, vType sigma and other car-following
 * models, distributions of several routes or types, and every attribute
 * citylab neither reads nor knows to change nothing. A distribution of one route
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

/* Every attribute is read, known to change nothing, or refused: SUMO reads
 * these and citylab would drive the file unlike SUMO without them. */
static void test_attributes_refused(void **state)
{
    (void)state;
    expect_refused("lc.rou.xml", "<routes>\n  <vType id=\"k\" lcStrategic=\"0.5\"/>\n</routes>\n", 2,
                   "<vType id=\"k\"> lcStrategic=\"0.5\" is not supported: citylab's vehicles change lanes with MOBIL");
    expect_refused("jm.rou.xml", "<routes>\n\n  <vType id=\"k\" jmIgnoreFoeProb=\"0.2\"/>\n</routes>\n", 3,
                   "jmIgnoreFoeProb=\"0.2\" is not supported");
    expect_refused("stepping.rou.xml",
                   "<routes>\n  <vType id=\"k\" carFollowModel=\"IDM\" stepping=\"1\"/>\n</routes>\n", 2,
                   "stepping=\"1\" is not supported");
    expect_refused("apparent.rou.xml", "<routes>\n  <vType id=\"k\" decel=\"4.5\" apparentDecel=\"3\"/>\n</routes>\n",
                   2, "apparentDecel=\"3\" is not supported");
    expect_refused("lcm.rou.xml", "<routes>\n  <vType id=\"k\" laneChangeModel=\"SL2015\"/>\n</routes>\n", 2,
                   "laneChangeModel=\"SL2015\" is not supported");
    expect_refused("unknown.rou.xml",
                   "<routes>\n  <trip id=\"t\" depart=\"0\" from=\"A0A1\" to=\"A1A2\" colour=\"red\"/>\n</routes>\n", 2,
                   "<trip id=\"t\"> colour=\"red\" is not supported: citylab does not read it; remove it");
    expect_refused("factor.rou.xml",
                   "<routes>\n  <trip id=\"t\" depart=\"0\" from=\"A0A1\" to=\"A1A2\" speedFactor=\"0\"/>\n"
                   "</routes>\n",
                   2, "speedFactor=\"0\": write a multiplier of the speed limit from above 0 to 10");
    expect_refused("arrival.rou.xml",
                   "<routes>\n  <flow id=\"f\" begin=\"0\" end=\"60\" number=\"3\" from=\"A0A1\" to=\"A1A2\" "
                   "arrivalPos=\"20\"/>\n</routes>\n",
                   2, "<flow id=\"f\"> arrivalPos=\"20\" is not supported");
    expect_refused("xy.rou.xml", "<routes>\n  <trip id=\"t\" depart=\"0\" fromXY=\"0,0\" toXY=\"200,0\"/>\n</routes>\n",
                   2, "fromXY=\"0,0\" is not supported: give the trip's edges");
    expect_refused("repeat.rou.xml", "<routes>\n  <route id=\"r\" edges=\"A0A1 A1A2\" repeat=\"2\"/>\n</routes>\n", 2,
                   "<route id=\"r\"> repeat=\"2\" is not supported");
    expect_refused("tdist.rou.xml",
                   "<routes>\n  <vTypeDistribution id=\"mix\">\n    <vType id=\"a\" probability=\"0.7\"/>\n"
                   "    <vType id=\"b\" accel=\"1.5\" probability=\"0.3\"/>\n  </vTypeDistribution>\n"
                   "  <trip id=\"t\" type=\"mix\" depart=\"0\" from=\"A0A1\" to=\"A1A2\"/>\n</routes>\n",
                   2, "<vTypeDistribution id=\"mix\"> has 2 types");
    expect_refused("interval.rou.xml",
                   "<routes>\n  <interval begin=\"0\" end=\"60\">\n    <flow id=\"f\" number=\"3\" from=\"A0A1\" "
                   "to=\"A1A2\"/>\n  </interval>\n</routes>\n",
                   2, "<interval> is not supported");
    expect_refused("person.rou.xml",
                   "<routes>\n  <person id=\"p\" depart=\"0\">\n    <walk edges=\"A0A1\"/>\n  </person>\n</routes>\n",
                   2, "city.ped.load_sumo");
    expect_refused("device.rou.xml",
                   "<routes>\n  <vType id=\"k\">\n    <param key=\"has.rerouting.device\" value=\"true\"/>\n"
                   "  </vType>\n</routes>\n",
                   3,
                   "<param key=\"has.rerouting.device\"> is not supported: citylab's vehicles have no SUMO rerouting");
    expect_refused("device2.rou.xml",
                   "<routes>\n  <trip id=\"t\" depart=\"0\" from=\"A0A1\" to=\"A1A2\">\n"
                   "    <param key=\"device.driverstate.minAwareness\" value=\"0.5\"/>\n  </trip>\n</routes>\n",
                   3, "no SUMO driverstate device");
    expect_refused("element.rou.xml", "<routes>\n  <busStop id=\"s\" lane=\"A0A1_0\"/>\n</routes>\n", 2,
                   "<busStop> is not an element of SUMO route files that citylab reads");
}

/* What changes nothing, or spells out SUMO's default, is accepted; a
 * distribution of one type stands for it. */
static void test_attributes_accepted(void **state)
{
    (void)state;
    char err[1024];
    CityRoadStats s;
    const char *ok =
        "<routes>\n"
        "  <vType id=\"car\" decel=\"4.5\" apparentDecel=\"4.5\" laneChangeModel=\"LC2013\" "
        "carFollowModel=\"IDM\" stepping=\"0.250\" color=\"1,0,0\" guiShape=\"passenger\" width=\"1.8\" "
        "latAlignment=\"center\" impatience=\"0\" sigmaStep=\"1\"/>\n"
        "  <vTypeDistribution id=\"one\">\n"
        "    <vType id=\"only\" accel=\"2.0\" probability=\"1\"/>\n"
        "  </vTypeDistribution>\n"
        "  <route id=\"r\" edges=\"A0A1 A1A2\" color=\"green\" repeat=\"0\"/>\n"
        "  <vehicle id=\"v0\" type=\"car\" route=\"r\" depart=\"0\" arrivalPos=\"max\" arrivalLane=\"current\" "
        "arrivalSpeed=\"current\" insertionChecks=\"all\" departPosLat=\"center\" color=\"blue\">\n"
        "    <param key=\"note\" value=\"x\"/>\n"
        "    <param key=\"has.battery.device\" value=\"true\"/>\n"
        "    <param key=\"has.rerouting.device\" value=\"false\"/>\n"
        "  </vehicle>\n"
        "  <trip id=\"t1\" type=\"one\" depart=\"5\" from=\"A0A1\" to=\"A1A2\" fromTaz=\"z1\" toTaz=\"z2\" "
        "reroute=\"false\"/>\n"
        "</routes>\n";
    if (load("attrs_ok.rou.xml", ok, err, sizeof err, &s) != CITY_OK)
        fail_msg("%s", err);
    assert_int_equal(s.inserted, 2);
    assert_int_equal(s.arrived, 2);
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
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_refused), cmocka_unit_test(test_supported),
                                       cmocka_unit_test(test_attributes_refused),
                                       cmocka_unit_test(test_attributes_accepted)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
