/* The viewer's state and the pieces its files share (internal to sim/view).
 *
 * One code path draws every picture: a View renders into its canvas, an
 * offscreen surface with SDL's software renderer (view_canvas.c). A
 * screenshot writes that surface to a PNG; the window copies the same
 * surface to the screen each frame. So the window, --screenshot and
 * --frames show the same pixels for the same state, size and camera.
 *
 * The picture is the map viewport (the city) and a panel docked in the
 * right margin (HUD, charts, legends, inspector, operator panel): the
 * panel never covers the city. `h` collapses it to a one-line bar at the
 * bottom. Sizes scale with the picture (view_layout).
 *
 * Drawing reads the world through const views only. */
#ifndef VIEW_INTERNAL_H
#define VIEW_INTERNAL_H

#include <SDL.h>
#include <SDL_ttf.h>
#include <stdbool.h>

#include "city_scenario.h"
#include "city_view.h"

#define VIEW_CHART_N 240 /* samples kept by each live chart */
/* Wall time a frame may spend stepping the simulation (s): about 30 fps
 * when the simulation is the bottleneck. */
#define VIEW_FRAME_BUDGET_S 0.025
/* Simulated time the viewer may fall behind its speed setting (s) before
 * it stops trying to catch up. */
#define VIEW_MAX_SIM_DEBT_S 10.0
#define VIEW_TEXT_CACHE_N 160 /* rendered text lines kept between frames */
#define VIEW_MAX_LAYERS 16

typedef struct View View;

/* A layer of the picture: a row in view_layers[] (view_layers.c). Its
 * static part (roads, buildings, walls) is drawn once into a cached
 * texture and redrawn only when the camera moves; its dynamic part every
 * frame. Each may be NULL. `legend` draws its colour scale in the panel
 * and returns the height used (px), or -1 when the city has nothing of
 * the layer (no grid, no sensors, ...). */
typedef struct ViewLayer {
    const char *name; /* shown in the panel */
    SDL_Keycode key;  /* toggles it */
    bool on_at_start;
    void (*draw_static)(View *v);
    void (*draw)(View *v);
    int (*legend)(View *v, int x, int y, int w);
} ViewLayer;

typedef enum ViewPickKind {
    VIEW_PICK_NONE,
    VIEW_PICK_VEHICLE,
    VIEW_PICK_LANE,
    VIEW_PICK_BUS,
    VIEW_PICK_BRANCH,
    VIEW_PICK_PERSON,
    VIEW_PICK_SENSOR
} ViewPickKind;

typedef struct ViewChart {
    const char *title; /* with unit */
    double values[VIEW_CHART_N];
    int n, head; /* ring buffer */
} ViewChart;

struct CityViewCharts {
    ViewChart speed, load;
    int64_t last_tick; /* of the last sample, -1 before the first */
};

typedef struct ViewText {
    char s[160];
    SDL_Color c;
    SDL_Texture *tex;
    int w, h;
    bool used; /* drawn in the current frame */
} ViewText;

/* Where a View draws: a surface, the software renderer on it, the font at
 * the picture's scale, and what is cached between frames. */
typedef struct ViewCanvas {
    SDL_Surface *surface; /* ARGB8888, the picture */
    SDL_Renderer *r;
    TTF_Font *font;
    int font_px;
    ViewText text[VIEW_TEXT_CACHE_N];
    SDL_Texture *still;                 /* static layers of the map viewport */
    double still_cx, still_cy, still_s; /* camera it was drawn with */
    unsigned still_layers;              /* static layers in it (bit per layer) */
    bool still_ok;
    SDL_Texture *air; /* the air-quality field, one pixel per cell */
    int air_w, air_h;
    int64_t air_tick; /* tick it was filled at (-1: never) */
} ViewCanvas;

struct View {
    CityScenario *sc;
    const CityWorld *world;
    ViewCanvas *cv;
    SDL_Renderer *r; /* cv->r */
    int width, height;
    /* layout (view_layout): the map viewport and the panel */
    int map_x, map_y, map_w, map_h;
    int panel_x, panel_w; /* panel_w 0 when collapsed */
    double ui;            /* scale of the panel's sizes (1 at 1280x800) */
    int line_h;           /* text line height (px) */
    bool panel_hidden;    /* `h` */
    bool show_keys;       /* `?`: the key list in the panel */
    bool hide_operator;   /* `o`: the operator panel folded */
    /* camera: world metres -> pixels of the map viewport */
    double cx, cy; /* world point at the centre of the map viewport */
    double scale;  /* pixels per metre */
    bool layer_on[VIEW_MAX_LAYERS];
    /* run control */
    bool paused;
    int speed;         /* index into view_speeds; the last is "as fast as possible" */
    double sim_debt_s; /* simulated time owed to the real clock */
    double speedup;    /* measured sim seconds per real second */
    bool color_by_class;
    bool people_by_waiting; /* `w`: people coloured by waiting instead of speed */
    /* selection */
    ViewPickKind pick;
    int64_t pick_id; /* packed vehicle or person id, lane, bus, branch or sensor index */
    /* charts */
    CityViewCharts charts;
    /* cached geometry */
    SDL_Vertex *bld; /* building triangles (world coordinates in position) */
    int n_bld;
    bool bld_ready;
    /* batched triangles (flushed by view_flush) */
    SDL_Vertex *batch;
    int n_batch;       /* vertices queued for the next view_flush */
    int32_t cap_batch; /* vertices batch has room for */
    char status[256];  /* last command or error, shown in the panel */
    /* frame statistics (the `stats` script token) */
    int64_t frames;
    double frame_real_s, frame_sim_s, worst_frame_s;
};

/* Indices in view_layers[] that other code refers to. */
enum { VIEW_LAYER_SENSORS = 6 };

extern const ViewLayer view_layers[];
extern const int view_layer_count;
extern const double view_speeds[];
extern const int view_speed_count;

/* view_canvas.c: the one rendering path */
/* A canvas of w x h pixels (NULL with err set). */
ViewCanvas *view_canvas_create(int w, int h, CityError *err);
void view_canvas_free(ViewCanvas *cv);
/* Sets up a View on a canvas: default camera (the whole city), layers at their defaults. */
void view_init(View *v, CityScenario *sc, ViewCanvas *cv);
void view_free(View *v);
/* Draws the current state into v->cv->surface. */
void view_render(View *v);
bool view_write_png(SDL_Surface *surface, const char *path, CityError *err);

/* view_draw.c: camera and primitives */
void view_world_to_screen(const View *v, double x, double y, float *sx, float *sy);
void view_screen_to_world(const View *v, double sx, double sy, double *x, double *y);
/* Whether a world-space box (metres) is at least partly in the map viewport. */
bool view_box_visible(const View *v, double x0, double y0, double x1, double y1);
/* Red (f = 0: standing) through yellow to green (f >= 1: free), with the given blue. */
SDL_Color view_speed_color(double f, Uint8 blue);
/* Places the map viewport and the panel for the picture size and `h`. */
void view_layout(View *v);
void view_fit(View *v);
/* Text at a pixel (cached textures); returns its width in px. */
int view_text(View *v, int x, int y, SDL_Color c, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A filled quad from a to b, `w_m` metres wide (batched). */
void view_thick_line(View *v, double ax, double ay, double bx, double by, double w_m, SDL_Color c);
/* A filled disc of radius r_m (at least min_px pixels), batched. */
void view_disc(View *v, double x, double y, double r_m, double min_px, SDL_Color c);
/* A filled screen triangle (batched). */
void view_triangle(View *v, const float x[3], const float y[3], SDL_Color c);
/* A filled screen rectangle (batched). */
void view_rect(View *v, float x, float y, float w, float h, SDL_Color c);
/* Draws the batched triangles. */
void view_flush(View *v);
/* A horizontal colour bar of f in 0..1 with tick labels; returns the height used. */
int view_legend_bar(View *v, int x, int y, int w, SDL_Color (*color)(double f), const char *const *ticks,
                    const double *at, int n_ticks);
/* One swatch and its label; returns the width used. */
int view_legend_swatch(View *v, int x, int y, SDL_Color c, const char *label);
void view_charts_init(CityViewCharts *c);
TTF_Font *view_open_font(int size, CityError *err);

/* view_panel.c: the docked panel (HUD, charts, legends, inspector, operator) */
void view_draw_panel(View *v);
/* The mean vehicle speed the panel and its chart show (km/h; NAN without a sample). */
double view_mean_speed_kmh(const View *v);

/* view_layers.c */
void view_pick(View *v, int sx, int sy);
/* Inspector lines for the selection; returns how many (0: nothing selected any more). */
int view_inspector_lines(View *v, char lines[][160], int max);
void view_draw_roads_static(View *v);
void view_draw_buildings(View *v);

/* view_ped.c: the pedestrian layer */
void view_draw_walls(View *v);
void view_draw_people(View *v);
int view_people_legend(View *v, int x, int y, int w);
/* The person nearest (x, y) within tol_m (packed id), or -1. */
int64_t view_pick_person(const View *v, double x, double y, double tol_m);
/* Inspector lines for the picked person; false when it has arrived. */
bool view_person_lines(const View *v, int64_t id, char lines[][160], int *n, int max);
/* Widens the box to the walkable space; false when there are no pedestrians. */
bool view_people_bounds(const View *v, double *x0, double *y0, double *x1, double *y1);

/* view_env.c: sensors and the air-quality heat map */
void view_draw_air(View *v);
int view_air_legend(View *v, int x, int y, int w);
void view_draw_sensors(View *v);
int view_sensor_legend(View *v, int x, int y, int w);
/* The sensor channel nearest (x, y) within tol_m, or -1. */
int32_t view_pick_sensor(const View *v, double x, double y, double tol_m);
/* Inspector lines: every channel of the picked sensor, last reading against the truth. */
void view_sensor_lines(const View *v, int32_t ch, char lines[][160], int *n, int max);

/* view_control.c: signals' modes and the operator panel */
/* "fixed-time plan", "held phase 2 by sig.A", "fail-safe: fixed-time plan", ... */
void view_signal_mode(const View *v, int32_t tls, char *out, size_t len);
/* Operator panel lines: controllers, their actuators, last commands, fail-safe marked. */
int view_operator_lines(const View *v, char lines[][160], bool alert[], int max);

#endif
