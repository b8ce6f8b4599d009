/* The SDL2 viewer: draws a running scenario's world through read-only
 * views, and renders the same picture offscreen for screenshots. */
#ifndef CITY_VIEW_H
#define CITY_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "city_scenario.h"

typedef struct CityViewOptions {
    int width, height;          /* window or image size in pixels */
    const char *out_dir;        /* where the run's outputs go when the scenario ends (NULL: none) */
    const char *script_keys;    /* scripted input for tests, e.g. "space,wait:30,q" (NULL: none) */
} CityViewOptions;

/* Runs the interactive viewer on a loaded scenario until the window is
 * closed or `q` is pressed. The scenario advances with the same steps as a
 * headless run. Returns a process exit code (0, 1 checks failed, 2 error). */
int city_view_run(CityScenario *scenario, const CityViewOptions *options);

/* Renders the scenario's current state offscreen into a PNG file of the
 * given size, with the default camera (whole city). Callable between steps. */
CityStatus city_view_screenshot(CityScenario *scenario, const char *png_path, int width, int height, char *err,
                                size_t err_len);

#endif
