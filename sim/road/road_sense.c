/* Sensing (SENSE phase): per lane, how many vehicles there are, in the
 * committed state. The lights read the counts in CONTROL (max-pressure),
 * with the detector times movement records. A lane that empties leaves
 * the active list with its count zeroed (road_lanes.c). No light reads
 * how many stand, so none is kept: a count needs no vehicle record, and
 * this is one store per lane that carries vehicles. */
#include "road_step_internal.h"

void road_sense_lanes(CityRoad *road)
{
    for (int32_t a = 0; a < road->n_active; a++) {
        int32_t lane = road->active[a];
        int32_t n = road_lane_count(road, lane);
        road->sense_count[lane] = (uint16_t)(n < 65535 ? n : 65535);
    }
}
