/* The walkable space of a SUMO network (city_sumo_walk.h): sidewalks,
 * crossings and walking areas of the fuzzed .net.xml become areas, doors
 * and walls; then, as a scenario with city.road.load_sumo and
 * city.ped.load_sumo on one file does, the same file is the road network
 * and a fixed demand of people walks on it (on the edges of the seed
 * network tests/data/road/crossings.net.xml), with routes asked between
 * areas, for 20 s of simulated time. */
#include "fuzz_common.h"

#include <string.h>

#include "city_couple.h"
#include "city_road.h"
#include "city_sumo.h"
#include "city_sumo_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char PEOPLE[] =
    "<routes>\n"
    "  <person id=\"a\" depart=\"0\"><walk edges=\"WA AB\"/></person>\n"
    "  <person id=\"b\" depart=\"1\" departPos=\"20\"><walk from=\"BE\" to=\"EB\"/></person>\n"
    "  <personFlow id=\"f\" begin=\"0\" end=\"20\" period=\"2\"><walk edges=\"AB BE\"/></personFlow>\n"
    "</routes>\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *people;
    if (!people)
        people = fuzz_fixed_path(PEOPLE, strlen(PEOPLE));
    CityWorldConfig cfg = {1, 500};
    CityWorld *w = city_world_create(&cfg);
    CityPed *ped = NULL;
    if (!w || city_ped_create(w, NULL, &ped) != CITY_OK)
        abort();
    const char *path = fuzz_path(data, size);
    CityError err;
    CitySumoWalkInfo info;
    if (city_sumo_walk_load(ped, path, &info, &err) != CITY_OK) {
        city_world_destroy(w);
        return 0;
    }
    if (info.areas != city_ped_area_count(ped) || info.doors != city_ped_door_count(ped))
        abort();
    const int32_t n = city_ped_area_count(ped);
    for (int32_t i = 0; i < n && i < 8; i++) {
        int32_t na, nb;
        const double *a = city_ped_area_points(ped, i, &na);
        const double *b = city_ped_area_points(ped, n - 1 - i, &nb);
        if (na > 0 && nb > 0)
            (void)city_ped_route_length_m(ped, a[0], a[1], b[0], b[1]);
    }
    CityRoadNet *net = NULL;
    CityRoad *road = NULL;
    if (city_sumo_load_net(path, &net, &err) == CITY_OK && city_road_create(w, net, NULL, &road) != CITY_OK)
        abort();
    if (city_sumo_persons_load(ped, path, people, NULL, &err) == CITY_OK && city_couple_attach_all(w) == CITY_OK)
        for (int i = 0; i < 40; i++)
            if (city_world_step(w) != CITY_OK)
                break;
    city_world_destroy(w);
    return 0;
}
