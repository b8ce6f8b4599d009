/* Replay logs (events.csv with operator commands) on a world with a road
 * network: parse, then step through the commands. */
#include "fuzz_common.h"

#include "city_command.h"
#include "city_road.h"
#include "city_sumo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CityError err;
    CityRoadNet *net = NULL;
    if (city_sumo_load_net(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", &net, &err) != CITY_OK)
        abort();
    CityWorldConfig cfg = {1, 500};
    CityWorld *w = city_world_create(&cfg);
    CityRoad *road = NULL;
    if (city_road_create(w, net, NULL, &road) != CITY_OK)
        abort();
    CityReplay *replay = NULL;
    const char *path = fuzz_path(data, size);
    if (city_command_replay(w, path, &replay) == CITY_OK)
        for (int i = 0; i < 40; i++)
            if (city_world_step(w) != CITY_OK)
                break;
    city_world_destroy(w);
    city_replay_free(replay);
    return 0;
}
