/* The viewer's state and the pieces its files share (internal to sim/view).
 *
 * Drawing reads the world through const views only. The same draw code
 * serves the window and offscreen screenshots: it takes an SDL_Renderer,
 * whatever it renders into. */
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
#define VIEW_FRAME_BUDGET_S 0.030
/* Simulated time the viewer may fall behind its speed setting (s) before
 * it stops trying to catch up. */
#define VIEW_MAX_SIM_DEBT_S 10.0

typedef struct View View;

/* A layer of the picture. New subsystems (pedestrians, sensors, air
 * quality) add one row to the table in view_layers.c and one file. */
typedef struct ViewLayer {
    const char *name; /* shown in the HUD */
    SDL_Keycode key;  /* toggles it */
    bool enabled;
    void (*draw)(View *v);
} ViewLayer;

typedef enum ViewPickKind {
    VIEW_PICK_NONE,
    VIEW_PICK_VEHICLE,
    VIEW_PICK_LANE,
    VIEW_PICK_BUS,
    VIEW_PICK_BRANCH,
    VIEW_PICK_PERSON
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

struct View {
    CityScenario *sc;
    const CityWorld *world;
    SDL_Renderer *r;
    TTF_Font *font;
    int width, height;
    /* camera: world metres -> pixels */
    double cx, cy; /* world point at the centre of the picture */
    double scale;  /* pixels per metre */
    /* run control */
    bool paused;
    int speed;         /* index into view_speeds; the last is "as fast as possible" */
    double sim_debt_s; /* simulated time owed to the real clock */
    double speedup;    /* measured sim seconds per real second */
    bool color_by_class;
    /* selection */
    ViewPickKind pick;
    int64_t pick_id; /* packed vehicle id, lane index or bus index */
    /* charts */
    CityViewCharts charts;
    /* cached geometry */
    SDL_Vertex *bld; /* building triangles (world coordinates in position) */
    int n_bld;
    bool bld_ready;
    char status[256]; /* last command or error, shown in the HUD */
    bool offscreen;   /* a screenshot: no run controls in the HUD */
    /* frame statistics (the `stats` script token) */
    int64_t frames;
    double frame_real_s, frame_sim_s, worst_frame_s;
};

extern ViewLayer view_layers[];
extern const int view_layer_count;
extern const double view_speeds[];
extern const int view_speed_count;

/* view_draw.c */
void view_world_to_screen(const View *v, double x, double y, float *sx, float *sy);
void view_screen_to_world(const View *v, double sx, double sy, double *x, double *y);
/* Whether a world-space box (metres) is at least partly on screen. */
bool view_box_visible(const View *v, double x0, double y0, double x1, double y1);
/* Red (f = 0: standing) through yellow to green (f >= 1: free), with the given blue. */
SDL_Color view_speed_color(double f, Uint8 blue);
void view_fit(View *v);
void view_draw_frame(View *v);
void view_text(View *v, int x, int y, SDL_Color c, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A filled quad from a to b, `w_m` metres wide. */
void view_thick_line(View *v, double ax, double ay, double bx, double by, double w_m, SDL_Color c);
void view_charts_init(CityViewCharts *c);
TTF_Font *view_open_font(int size, CityError *err);

/* view_layers.c */
void view_pick(View *v, int sx, int sy);
/* view_ped.c: the pedestrian layer, and the box of the walkable space
 * (widens *x0.. *y1; false when there are no pedestrians). */
void view_draw_people(View *v);
/* The person nearest (x, y) within tol_m (packed id), or -1. */
int64_t view_pick_person(const View *v, double x, double y, double tol_m);
/* Inspector lines for the picked person; false when it has arrived. */
bool view_person_lines(const View *v, int64_t id, char lines[][160], int *n, int max);
bool view_people_bounds(const View *v, double *x0, double *y0, double *x1, double *y1);
void view_draw_inspector(View *v);

/* view_png.c */
bool view_write_png(SDL_Surface *surface, const char *path, CityError *err);

#endif
