/* SUMO .poly.xml: polygons in local or geo coordinates, all types and a
 * type filter. */
#include "fuzz_common.h"

#include "city_sumo_poly.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static CitySumoLocation loc;
    static int have_loc = -1;
    CityError err;
    if (have_loc < 0)
        have_loc = city_sumo_location_read(CITY_SOURCE_DIR "/assets/jamsil/jamsil.net.xml", &loc, &err) == CITY_OK;
    const char *path = fuzz_path(data, size);
    CityPolySet set;
    if (city_sumo_poly_read(path, have_loc ? &loc : NULL, NULL, &set, &err) == CITY_OK)
        city_poly_set_free(&set);
    if (city_sumo_poly_read(path, NULL, "building,park", &set, &err) == CITY_OK)
        city_poly_set_free(&set);
    return 0;
}
