/* MATPOWER case files: parse, build the grid, one Newton solve. */
#include "fuzz_common.h"

#include "city_grid.h"
#include "city_matpower.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CityError err;
    CityMpCase mp;
    if (city_matpower_parse((const char *)data, size, "fuzz.m", &mp, &err) != CITY_OK)
        return 0;
    CityGrid *grid = NULL;
    if (city_matpower_to_grid(&mp, "fuzz.m", &grid, &err) == CITY_OK) {
        CityPfOptions o;
        city_pf_options_default(&o);
        CityPfReport report;
        city_grid_solve(grid, &o, &report);
        city_grid_destroy(grid);
    }
    city_matpower_free(&mp);
    return 0;
}
