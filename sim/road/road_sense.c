/* Sensing (SENSE phase): per lane, how many vehicles there are and how
 * many stand, in the committed state. The lights read it in CONTROL, with
 * the detector times movement records. A lane that empties leaves the
 * active list with its counts zeroed (road_lanes.c). */
#include "road_step_internal.h"

void road_sense_lanes(CityRoad *road)
{
    for (int32_t a = 0; a < road->n_active; a++) {
        road_prefetch_active(road, a);
        int32_t lane = road->active[a];
        int32_t n = road_lane_count(road, lane);
        uint16_t halting = 0;
        for (int32_t i = 0; i < n; i++)
            if (road->veh.rec[road_lane_at(road, lane, i)].flags & ROAD_VF_HALTING)
                halting++;
        road->sense_count[lane] = (uint16_t)(n < 65535 ? n : 65535);
        road->sense_halting[lane] = halting;
    }
}
