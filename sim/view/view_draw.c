/* Camera, layout, drawing primitives (batched triangles, cached text) and
 * the live charts' samples. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_grid_sim.h"
#include "city_map.h"
#include "city_paths.h"
#include "city_road.h"
#include "view_internal.h"

const double view_speeds[] = {1, 2, 5, 10, 30, 100, 300, 1000, INFINITY};
const int view_speed_count = (int)(sizeof view_speeds / sizeof view_speeds[0]);

void view_world_to_screen(const View *v, double x, double y, float *sx, float *sy)
{
    *sx = (float)((x - v->cx) * v->scale + v->map_x + v->map_w * 0.5);
    *sy = (float)(v->map_y + v->map_h * 0.5 - (y - v->cy) * v->scale);
}

void view_screen_to_world(const View *v, double sx, double sy, double *x, double *y)
{
    *x = (sx - v->map_x - v->map_w * 0.5) / v->scale + v->cx;
    *y = (v->map_y + v->map_h * 0.5 - sy) / v->scale + v->cy;
}

bool view_box_visible(const View *v, double x0, double y0, double x1, double y1)
{
    double wx0, wy0, wx1, wy1;
    view_screen_to_world(v, v->map_x, v->map_y + v->map_h, &wx0, &wy0);
    view_screen_to_world(v, v->map_x + v->map_w, v->map_y, &wx1, &wy1);
    return !(x1 < wx0 || x0 > wx1 || y1 < wy0 || y0 > wy1);
}

SDL_Color view_speed_color(double f, Uint8 blue)
{
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    Uint8 r = (Uint8)(f < 0.5 ? 240 : 240 * (1 - f) * 2);
    Uint8 g = (Uint8)(f < 0.5 ? 60 + 360 * f : 240);
    return (SDL_Color){r, g, blue, 255};
}

/* The panel takes the right margin: 340 px at 1280x800, scaled with the
 * picture, at most 45% of its width. Collapsed, a one-line bar at the
 * bottom remains. */
void view_layout(View *v)
{
    double s = fmin(v->width / 1280.0, v->height / 800.0);
    v->ui = fmin(fmax(s, 0.7), 2.5);
    v->line_h = v->cv && v->cv->font ? TTF_FontLineSkip(v->cv->font) + 2 : (int)lround(18 * v->ui);
    v->map_x = v->map_y = 0;
    if (v->panel_hidden) {
        v->panel_w = 0;
        v->panel_x = v->width;
        v->map_w = v->width;
        v->map_h = v->height - v->line_h - 4;
    } else {
        v->panel_w = (int)fmin(lround(340 * v->ui), 0.45 * v->width);
        v->panel_x = v->width - v->panel_w;
        v->map_w = v->panel_x;
        v->map_h = v->height;
    }
    if (v->map_h < 1)
        v->map_h = 1;
    if (v->map_w < 1)
        v->map_w = 1;
}

/* The whole city in the map viewport: the road network, else the map, else the grid. */
void view_fit(View *v)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    const CityRoad *road = city_road_of(v->world);
    if (road) {
        const CityRoadNet *net = city_road_net(road);
        x0 = net->min_x, y0 = net->min_y, x1 = net->max_x, y1 = net->max_y;
    }
    const CityMapLayer *b = city_map_layer(v->world, "buildings");
    if (b && b->n_polys) {
        x0 = fmin(x0, b->min_x), y0 = fmin(y0, b->min_y), x1 = fmax(x1, b->max_x), y1 = fmax(y1, b->max_y);
    }
    if (!(x1 > x0) || !(y1 > y0))
        view_people_bounds(v, &x0, &y0, &x1, &y1);
    if (!(x1 > x0) || !(y1 > y0)) {
        CityGrid *g = city_grid_of(v->world);
        int32_t n = 0;
        const CityGridBus *bus = g ? city_grid_buses(g, &n) : NULL;
        for (int32_t i = 0; i < n; i++) {
            x0 = fmin(x0, bus[i].x_m), y0 = fmin(y0, bus[i].y_m);
            x1 = fmax(x1, bus[i].x_m), y1 = fmax(y1, bus[i].y_m);
        }
    }
    if (!(x1 > x0) || !(y1 > y0)) {
        x0 = y0 = -500;
        x1 = y1 = 500;
    }
    v->cx = 0.5 * (x0 + x1);
    v->cy = 0.5 * (y0 + y1);
    double sx = v->map_w / (x1 - x0), sy = v->map_h / (y1 - y0);
    v->scale = 0.95 * (sx < sy ? sx : sy);
}

/* ---- batched triangles ---------------------------------------------------- */

static SDL_Vertex *batch_room(View *v, int n)
{
    void *b = v->batch;
    if (!city_array_grow(&b, &v->cap_batch, v->n_batch + n, sizeof *v->batch))
        return NULL;
    v->batch = b;
    SDL_Vertex *out = v->batch + v->n_batch;
    v->n_batch += n;
    return out;
}

void view_flush(View *v)
{
    if (v->n_batch > 0)
        SDL_RenderGeometry(v->r, NULL, v->batch, v->n_batch, NULL, 0);
    v->n_batch = 0;
}

static void quad(View *v, const float *x, const float *y, SDL_Color c)
{
    SDL_Vertex *q = batch_room(v, 6);
    if (!q)
        return;
    static const int order[6] = {0, 1, 2, 0, 2, 3};
    for (int k = 0; k < 6; k++)
        q[k] = (SDL_Vertex){{x[order[k]], y[order[k]]}, c, {0, 0}};
}

void view_thick_line(View *v, double ax, double ay, double bx, double by, double w_m, SDL_Color c)
{
    double dx = bx - ax, dy = by - ay, len = hypot(dx, dy);
    if (len <= 0)
        return;
    double hw = 0.5 * w_m;
    if (hw * v->scale < 0.75)
        hw = 0.75 / v->scale; /* 1.5 px at least: thinner triangles lose pixels */
    double nx = -dy / len * hw, ny = dx / len * hw;
    float x[4], y[4];
    view_world_to_screen(v, ax + nx, ay + ny, &x[0], &y[0]);
    view_world_to_screen(v, ax - nx, ay - ny, &x[1], &y[1]);
    view_world_to_screen(v, bx - nx, by - ny, &x[2], &y[2]);
    view_world_to_screen(v, bx + nx, by + ny, &x[3], &y[3]);
    quad(v, x, y, c);
}

void view_triangle(View *v, const float x[3], const float y[3], SDL_Color c)
{
    SDL_Vertex *t = batch_room(v, 3);
    if (!t)
        return;
    for (int k = 0; k < 3; k++)
        t[k] = (SDL_Vertex){{x[k], y[k]}, c, {0, 0}};
}

void view_rect(View *v, float x, float y, float w, float h, SDL_Color c)
{
    float xs[4] = {x, x + w, x + w, x}, ys[4] = {y, y, y + h, y + h};
    quad(v, xs, ys, c);
}

void view_disc(View *v, double x, double y, double r_m, double min_px, SDL_Color c)
{
    float sx, sy;
    view_world_to_screen(v, x, y, &sx, &sy);
    double r = fmax(r_m * v->scale, min_px);
    if (r < 2.5) { /* a few pixels: a square is the same picture */
        view_rect(v, sx - (float)r, sy - (float)r, (float)(2 * r), (float)(2 * r), c);
        return;
    }
    enum { SEG = 12 };
    SDL_Vertex *t = batch_room(v, 3 * SEG);
    if (!t)
        return;
    for (int k = 0; k < SEG; k++) {
        double a0 = 2 * M_PI * k / SEG, a1 = 2 * M_PI * (k + 1) / SEG;
        t[3 * k] = (SDL_Vertex){{sx, sy}, c, {0, 0}};
        t[3 * k + 1] = (SDL_Vertex){{sx + (float)(r * cos(a0)), sy + (float)(r * sin(a0))}, c, {0, 0}};
        t[3 * k + 2] = (SDL_Vertex){{sx + (float)(r * cos(a1)), sy + (float)(r * sin(a1))}, c, {0, 0}};
    }
}

/* ---- text ------------------------------------------------------------------ */

TTF_Font *view_open_font(int size, CityError *err)
{
    char path[4096];
    const char *dirs[] = {city_data_dir(), CITY_SOURCE_ASSETS "/.."};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/assets/fonts/DejaVuSans.ttf", dirs[i]);
        TTF_Font *f = TTF_OpenFont(path, size);
        if (f)
            return f;
    }
    city_error_set(err, CITY_ERR_IO, "%s: cannot open the viewer's font (%s); reinstall citylab's assets", path,
                   TTF_GetError());
    return NULL;
}

/* A line of text as a texture, from the cache or rendered now. */
static ViewText *text_get(View *v, const char *s, SDL_Color c)
{
    ViewCanvas *cv = v->cv;
    ViewText *free_slot = NULL;
    for (int i = 0; i < VIEW_TEXT_CACHE_N; i++) {
        ViewText *t = &cv->text[i];
        if (t->tex && !memcmp(&t->c, &c, sizeof c) && !strcmp(t->s, s)) {
            t->used = true;
            return t;
        }
        if (!free_slot && (!t->tex || !t->used))
            free_slot = &cv->text[i];
    }
    if (!free_slot)
        return NULL;
    if (free_slot->tex)
        SDL_DestroyTexture(free_slot->tex);
    free_slot->tex = NULL;
    SDL_Surface *surf = TTF_RenderUTF8_Blended(cv->font, s, c);
    if (!surf)
        return NULL;
    free_slot->tex = SDL_CreateTextureFromSurface(v->r, surf);
    free_slot->w = surf->w;
    free_slot->h = surf->h;
    SDL_FreeSurface(surf);
    if (!free_slot->tex)
        return NULL;
    snprintf(free_slot->s, sizeof free_slot->s, "%s", s);
    free_slot->c = c;
    free_slot->used = true;
    return free_slot;
}

int view_text(View *v, int x, int y, SDL_Color c, const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!v->cv || !v->cv->font || !buf[0])
        return 0;
    view_flush(v); /* triangles drawn before stay below the text */
    ViewText *t = text_get(v, buf, c);
    if (!t)
        return 0;
    SDL_Rect dst = {x, y, t->w, t->h};
    SDL_RenderCopy(v->r, t->tex, NULL, &dst);
    return t->w;
}

/* ---- legends ---------------------------------------------------------------- */

int view_legend_bar(View *v, int x, int y, int w, SDL_Color (*color)(double f), const char *const *ticks,
                    const double *at, int n_ticks)
{
    int bar_h = (int)lround(8 * v->ui), steps = 48;
    for (int k = 0; k < steps; k++) {
        float x0 = (float)(x + (double)w * k / steps), x1 = (float)(x + (double)w * (k + 1) / steps);
        view_rect(v, x0, (float)y, x1 - x0 + 1.0f, (float)bar_h, color((k + 0.5) / steps)); /* no gaps */
    }
    view_flush(v);
    SDL_Color dim = {170, 175, 190, 255};
    for (int k = 0; k < n_ticks; k++) {
        int tx = x + (int)lround(w * at[k]);
        int tw = 0;
        TTF_SizeUTF8(v->cv->font, ticks[k], &tw, NULL);
        tx -= at[k] <= 0 ? 0 : at[k] >= 1 ? tw : tw / 2;
        view_text(v, tx, y + bar_h + 1, dim, "%s", ticks[k]);
    }
    return bar_h + v->line_h + 2;
}

int view_legend_swatch(View *v, int x, int y, SDL_Color c, const char *label)
{
    int s = (int)lround(9 * v->ui);
    view_rect(v, (float)x, (float)(y + (v->line_h - s) / 2), (float)s, (float)s, c);
    int w = view_text(v, x + s + 4, y, (SDL_Color){200, 205, 215, 255}, "%s", label);
    return s + 4 + w + (int)lround(10 * v->ui);
}

/* ---- live charts ------------------------------------------------------------ */

static void chart_push(ViewChart *c, double value)
{
    c->values[(c->head + c->n) % VIEW_CHART_N] = value;
    if (c->n < VIEW_CHART_N)
        c->n++;
    else
        c->head = (c->head + 1) % VIEW_CHART_N;
}

/* One sample per simulated CITY_KPI_PERIOD_S: mean speed of the vehicles, total grid demand. */
void view_charts_init(CityViewCharts *c)
{
    memset(c, 0, sizeof *c);
    c->last_tick = -1;
    c->speed.title = "mean speed, km/h";
    c->load.title = "grid demand, MW";
}

CityViewCharts *city_view_charts_create(void)
{
    CityViewCharts *c = malloc(sizeof *c);
    if (c)
        view_charts_init(c);
    return c;
}

void city_view_charts_free(CityViewCharts *c)
{
    free(c);
}

/* Samples fall on whole multiples of the period, so every sampler (the
 * window, a screenshot run, a time-lapse) holds the same series. */
void city_view_charts_sample(CityViewCharts *c, const CityWorld *w)
{
    int64_t tick = city_world_tick(w);
    int64_t every = city_world_ticks_for(w, CITY_KPI_PERIOD_S);
    if (every < 1)
        every = 1;
    if (tick % every != 0 || tick == c->last_tick)
        return;
    c->last_tick = tick;
    const CityRoad *road = city_road_of(w);
    if (road) {
        CityRoadStats s;
        city_road_stats(road, &s);
        chart_push(&c->speed, s.mean_speed_mps * 3.6);
    }
    const CityGridStep *g = city_grid_sim_last(w);
    if (g)
        chart_push(&c->load, g->demand_kw / 1000.0);
}
