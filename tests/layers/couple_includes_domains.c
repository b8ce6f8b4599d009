/* Must compile: a coupling includes the domains it joins. */
#include "city_grid.h"
#include "city_road.h"

int layer_probe_couple_ok(void);
int layer_probe_couple_ok(void)
{
    return CITY_DEFAULT_DT_MS;
}
