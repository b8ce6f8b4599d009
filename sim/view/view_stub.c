/* Placeholder until the viewer lands: reports that it is not built. */
#include <stdio.h>

#include "city_view.h"

int city_view_run(CityScenario *scenario, const CityViewOptions *options)
{
    (void)scenario;
    (void)options;
    fprintf(stderr, "citylab view: the viewer is not built yet\n");
    return 2;
}

CityStatus city_view_screenshot(CityScenario *scenario, const char *png_path, int width, int height, char *err,
                                size_t err_len)
{
    (void)scenario;
    (void)width;
    (void)height;
    snprintf(err, err_len, "%s: screenshots are not available yet", png_path);
    return CITY_ERR_INVALID;
}
