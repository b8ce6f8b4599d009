/* The SDL2 viewer: draws a running scenario's world through read-only
 * views, and renders the same picture offscreen for screenshots. */
#ifndef CITY_VIEW_H
#define CITY_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_scenario.h"

#define CITY_VIEW_DEFAULT_WIDTH_PX 1280 /* window and screenshot size when none is given */
#define CITY_VIEW_DEFAULT_HEIGHT_PX 800
#define CITY_VIEW_SIZE_MIN_PX 16    /* smallest picture side accepted */
#define CITY_VIEW_SIZE_MAX_PX 16384 /* largest picture side accepted */

/* True when a window or screenshot of w x h pixels can be made. */
static inline bool city_view_size_valid(int w, int h)
{
    return w >= CITY_VIEW_SIZE_MIN_PX && h >= CITY_VIEW_SIZE_MIN_PX && w <= CITY_VIEW_SIZE_MAX_PX &&
           h <= CITY_VIEW_SIZE_MAX_PX;
}

/* A time-lapse: a PNG of the default picture every `every_s` simulated
 * seconds, DIR/frame-NNNNNN.png where NNNNNN is the simulated time divided
 * by every_s (frame-000000.png at t = 0). */
typedef struct CityViewFrames CityViewFrames;

typedef struct CityViewOptions {
    int width, height;       /* window or image size in pixels (<= 0: the defaults above) */
    const char *script_keys; /* scripted input for tests and demos, e.g. "wait:30,end,q" (NULL: none);
                              * the grammar is documented in view.c and in `citylab --help` */
    CityViewFrames *frames;  /* --frames: written as the viewed run steps (NULL: none; not owned) */
} CityViewOptions;

/* Whether a display can be opened: CITY_OK, or an error with one line
 * saying what to do (no SDL details). Callable before loading a scenario. */
CityStatus city_view_display_check(CityError *err);

/* Runs the interactive viewer on a loaded scenario until the window is
 * closed or `q` is pressed. The scenario advances with the same steps as a
 * headless run; the caller writes the outputs afterwards. Returns 0, or 2
 * when the display or the scenario failed (the message is on stderr). */
int city_view_run(CityScenario *scenario, const CityViewOptions *options);

/* The HUD's live charts (mean speed, grid demand), sampled every
 * CITY_KPI_PERIOD_S of simulated time. A headless run that will take a screenshot samples them
 * as it goes, so the picture shows the history the window would show. */
typedef struct CityViewCharts CityViewCharts;
/* Empty charts, owned by the caller (NULL when out of memory). */
CityViewCharts *city_view_charts_create(void);
/* Adds a sample when a chart period has passed since the last; call after each step. */
void city_view_charts_sample(CityViewCharts *charts, const CityWorld *world);
void city_view_charts_free(CityViewCharts *charts);

/* Renders the scenario's current state offscreen into a PNG file of the
 * given size, with the default camera (whole city) and the charts sampled
 * so far (NULL: the present value only). Callable between steps. On
 * error err says what and how to fix (the world is not touched). */
CityStatus city_view_screenshot(CityScenario *scenario, const CityViewCharts *charts, const char *png_path, int width,
                                int height, CityError *err);

/* A time-lapse writer into an existing folder (the caller prepares it);
 * pictures of width x height. NULL with err set. Owned by the caller. */
CityViewFrames *city_view_frames_create(const char *dir, double every_s, int width, int height, CityError *err);
/* Call once before the first step and after every step: samples the
 * charts and writes a frame when the time is a multiple of every_s. */
CityStatus city_view_frames_step(CityViewFrames *frames, CityScenario *scenario, CityError *err);
/* Frames written so far. */
int64_t city_view_frames_written(const CityViewFrames *frames);
void city_view_frames_free(CityViewFrames *frames);

#endif
