/* SUMO .net.xml: read, build the road subsystem, step it a few ticks. */
#include "fuzz_common.h"

#include "city_road.h"
#include "city_sumo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(data, size);
    CityError err;
    CityRoadNet *net = NULL;
    if (city_sumo_load_net(path, &net, &err) != CITY_OK)
        return 0;
    CityWorldConfig cfg = {1, 500};
    CityWorld *w = city_world_create(&cfg);
    CityRoad *road = NULL;
    if (city_road_create(w, net, NULL, &road) == CITY_OK)
        for (int i = 0; i < 4; i++)
            if (city_world_step(w) != CITY_OK)
                break;
    city_world_destroy(w);
    return 0;
}
