/* SUMO <person> and <personFlow> demand (city_sumo_persons_load) on the
 * walkable space and roads of a fixed network with sidewalks and crossings
 * (tests/data/road/crossings.net.xml): read, then walk for 30 s of
 * simulated time. */
#include "fuzz_common.h"

#include "city_couple.h"
#include "city_road.h"
#include "city_sumo.h"
#include "city_sumo_walk.h"

#define NET CITY_SOURCE_DIR "/tests/data/road/crossings.net.xml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CityWorldConfig cfg = {1, 500};
    CityWorld *w = city_world_create(&cfg);
    CityPed *ped = NULL;
    CityRoadNet *net = NULL;
    CityRoad *road = NULL;
    CityError err;
    if (!w || city_ped_create(w, NULL, &ped) != CITY_OK || city_sumo_walk_load(ped, NET, NULL, &err) != CITY_OK ||
        city_sumo_load_net(NET, &net, &err) != CITY_OK || city_road_create(w, net, NULL, &road) != CITY_OK)
        abort();
    CitySumoPersonsInfo info;
    if (city_sumo_persons_load(ped, NET, fuzz_path(data, size), &info, &err) == CITY_OK &&
        city_couple_attach_all(w) == CITY_OK)
        for (int i = 0; i < 60; i++)
            if (city_world_step(w) != CITY_OK)
                break;
    city_world_destroy(w);
    return 0;
}
