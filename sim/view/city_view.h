/* The SDL2 viewer: draws a running scenario's world through read-only
 * views, and renders the same picture offscreen for screenshots. */
#ifndef CITY_VIEW_H
#define CITY_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "city_scenario.h"

typedef struct CityViewOptions {
    int width, height;       /* window or image size in pixels */
    const char *script_keys; /* scripted input for tests and demos, e.g. "wait:30,end,q" (NULL: none);
                              * the grammar is documented in view.c and in `citylab --help` */
} CityViewOptions;

/* Runs the interactive viewer on a loaded scenario until the window is
 * closed or `q` is pressed. The scenario advances with the same steps as a
 * headless run; the caller writes the outputs afterwards. Returns 0, or 2
 * when the display or the scenario failed (the message is on stderr). */
int city_view_run(CityScenario *scenario, const CityViewOptions *options);

/* Renders the scenario's current state offscreen into a PNG file of the
 * given size, with the default camera (whole city). Callable between steps. */
CityStatus city_view_screenshot(CityScenario *scenario, const char *png_path, int width, int height, char *err,
                                size_t err_len);

#endif
