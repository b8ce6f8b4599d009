/* Must compile: the control case. A domain includes the core and its own
 * headers, so the probes above fail for the header they name and nothing else. */
#include "city_road.h"
#include "city_world.h"
#include "road_internal.h"

int layer_probe_road_ok(void);
int layer_probe_road_ok(void)
{
    return CITY_DEFAULT_DT_MS;
}
