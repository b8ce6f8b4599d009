/* citylab view: the same scenario as `run`, in an SDL2 window. */
#include <stdio.h>

#include "commands.h"
#ifdef CITY_HAVE_VIEWER
#include "city_view.h"
#endif

int city_cmd_view(int argc, char **argv)
{
    /* flags first, in every build: a wrong flag gets the same message with or without the viewer */
    CityCliOptions o;
    int rc = city_cli_parse(argc, argv, 2, "view", &o);
    if (rc != 0) {
        city_cli_options_free(&o);
        return rc == 1 ? 0 : rc;
    }
#ifdef CITY_HAVE_VIEWER
    CityError derr;
    if (city_view_display_check(&derr) != CITY_OK) { /* before the scenario loads: nothing to undo */
        fprintf(stderr, "citylab view: %s\n", derr.msg);
        city_cli_options_free(&o);
        return 2;
    }
    double t0 = city_wall_now(), load_s = 0;
    CityScenario *sc;
    CityOutput *out;
    CityReplay *replay;
    if ((rc = city_run_begin(&o, &sc, &out, &replay, &load_s)) != 0) {
        city_cli_options_free(&o);
        return rc;
    }
    CityViewFrames *frames = NULL;
    rc = city_run_frames_begin(&o, &frames);
    CityViewOptions vo = {o.width, o.height, o.script_keys, frames};
    if (rc == 0)
        rc = city_view_run(sc, &vo);
    city_run_frames_end(frames);
    if (rc == 0)
        rc = city_run_conclude(sc, &o, out, t0, load_s, -1.0, -1.0);
    else
        city_run_abort(out, city_scenario_world(sc));
    city_scenario_destroy(sc);
    city_replay_free(replay);
    city_cli_options_free(&o);
    return rc;
#else
    city_cli_options_free(&o);
    fprintf(stderr, "citylab view: built without the viewer; rebuild with -DCITY_BUILD_VIEWER=ON\n");
    return 2;
#endif
}
