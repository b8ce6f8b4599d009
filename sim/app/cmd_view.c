/* citylab view: the same scenario as `run`, in an SDL2 window. */
#include <stdio.h>

#include "commands.h"
#ifdef CITY_HAVE_VIEWER
#include "city_view.h"
#endif

int city_cmd_view(int argc, char **argv)
{
#ifdef CITY_HAVE_VIEWER
    CityCliOptions o;
    int rc = city_cli_parse(argc, argv, 2, "view", &o);
    if (rc != 0) {
        city_cli_options_free(&o);
        return rc == 1 ? 0 : rc;
    }
    char err[CITY_ERROR_MAX * 2] = "";
    CityScenario *sc = NULL;
    if (city_scenario_load(&o.scenario, &sc, err, sizeof err) != CITY_OK) {
        fprintf(stderr, "citylab: error: %s\n", err);
        city_cli_options_free(&o);
        return 2;
    }
    CityViewOptions vo = {o.width, o.height, o.out_dir, NULL};
    rc = city_view_run(sc, &vo);
    city_scenario_destroy(sc);
    city_cli_options_free(&o);
    return rc;
#else
    (void)argc;
    (void)argv;
    fprintf(stderr, "citylab view: built without the viewer; rebuild with -DCITY_BUILD_VIEWER=ON\n");
    return 2;
#endif
}
