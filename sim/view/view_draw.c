/* Camera, drawing primitives, the HUD and the live charts. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_paths.h"
#include "city_map.h"
#include "city_road.h"
#include "city_grid_sim.h"
#include "view_internal.h"

const double view_speeds[] = {1, 2, 5, 10, 30, 100, 300, 1000, INFINITY};
const int view_speed_count = (int)(sizeof view_speeds / sizeof view_speeds[0]);

void view_world_to_screen(const View *v, double x, double y, float *sx, float *sy)
{
    *sx = (float)((x - v->cx) * v->scale + v->width * 0.5);
    *sy = (float)(v->height * 0.5 - (y - v->cy) * v->scale);
}

void view_screen_to_world(const View *v, double sx, double sy, double *x, double *y)
{
    *x = (sx - v->width * 0.5) / v->scale + v->cx;
    *y = (v->height * 0.5 - sy) / v->scale + v->cy;
}

bool view_box_visible(const View *v, double x0, double y0, double x1, double y1)
{
    double wx0, wy0, wx1, wy1;
    view_screen_to_world(v, 0, v->height, &wx0, &wy0);
    view_screen_to_world(v, v->width, 0, &wx1, &wy1);
    return !(x1 < wx0 || x0 > wx1 || y1 < wy0 || y0 > wy1);
}

SDL_Color view_speed_color(double f, Uint8 blue)
{
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    Uint8 r = (Uint8)(f < 0.5 ? 240 : 240 * (1 - f) * 2);
    Uint8 g = (Uint8)(f < 0.5 ? 60 + 360 * f : 240);
    return (SDL_Color){r, g, blue, 255};
}

/* The whole city in the picture: the road network, else the map, else the grid. */
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
    double sx = v->width / (x1 - x0), sy = v->height / (y1 - y0);
    v->scale = 0.95 * (sx < sy ? sx : sy);
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
    SDL_Vertex q[6];
    float x, y;
    view_world_to_screen(v, ax + nx, ay + ny, &x, &y);
    q[0] = (SDL_Vertex){{x, y}, c, {0, 0}};
    view_world_to_screen(v, ax - nx, ay - ny, &x, &y);
    q[1] = (SDL_Vertex){{x, y}, c, {0, 0}};
    view_world_to_screen(v, bx - nx, by - ny, &x, &y);
    q[2] = (SDL_Vertex){{x, y}, c, {0, 0}};
    q[3] = q[0];
    q[4] = q[2];
    view_world_to_screen(v, bx + nx, by + ny, &x, &y);
    q[5] = (SDL_Vertex){{x, y}, c, {0, 0}};
    SDL_RenderGeometry(v->r, NULL, q, 6, NULL, 0);
}

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

void view_text(View *v, int x, int y, SDL_Color c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!v->font || !buf[0])
        return;
    SDL_Surface *s = TTF_RenderUTF8_Blended(v->font, buf, c);
    if (!s)
        return;
    SDL_Texture *t = SDL_CreateTextureFromSurface(v->r, s);
    if (t) {
        SDL_Rect dst = {x, y, s->w, s->h};
        SDL_RenderCopy(v->r, t, NULL, &dst);
        SDL_DestroyTexture(t);
    }
    SDL_FreeSurface(s);
}

static void chart_push(ViewChart *c, double value)
{
    c->values[(c->head + c->n) % VIEW_CHART_N] = value;
    if (c->n < VIEW_CHART_N)
        c->n++;
    else
        c->head = (c->head + 1) % VIEW_CHART_N;
}

/* One sample per simulated 10 s: mean speed of the vehicles, total grid demand. */
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

void city_view_charts_sample(CityViewCharts *c, const CityWorld *w)
{
    int64_t tick = city_world_tick(w);
    int64_t every = city_world_ticks_for(w, CITY_KPI_PERIOD_S);
    if (every < 1)
        every = 1;
    if (tick - c->last_tick < every && c->last_tick >= 0)
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

static void draw_chart(View *v, const ViewChart *c, int x, int y, int w, int h)
{
    SDL_SetRenderDrawBlendMode(v->r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(v->r, 20, 22, 28, 200);
    SDL_Rect box = {x, y, w, h};
    SDL_RenderFillRect(v->r, &box);
    SDL_SetRenderDrawColor(v->r, 90, 95, 110, 255);
    SDL_RenderDrawRect(v->r, &box);
    /* the vertical range follows the data, so a 10 % swing is visible */
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < c->n; i++) {
        double val = c->values[(c->head + i) % VIEW_CHART_N];
        lo = fmin(lo, val);
        hi = fmax(hi, val);
    }
    double pad = fmax(0.05 * (hi - lo), 1e-6 * fmax(fabs(hi), 1.0));
    lo = fmax(0.0, lo - pad);
    hi += pad;
    SDL_Color fg = {200, 205, 215, 255}, dim = {130, 135, 150, 255};
    view_text(v, x + 4, y + 2, fg, "%s  %.1f", c->title, c->n ? c->values[(c->head + c->n - 1) % VIEW_CHART_N] : 0.0);
    if (c->n < 2)
        return;
    view_text(v, x + w - 70, y + 2, dim, "%.3g-%.3g", lo, hi);
    SDL_FPoint pts[VIEW_CHART_N];
    for (int i = 0; i < c->n; i++) {
        double val = c->values[(c->head + i) % VIEW_CHART_N];
        pts[i].x = (float)(x + 4 + (w - 8) * (double)i / (VIEW_CHART_N - 1));
        pts[i].y = (float)(y + h - 4 - (h - 24) * (val - lo) / (hi - lo));
    }
    SDL_SetRenderDrawColor(v->r, 90, 200, 255, 255);
    SDL_RenderDrawLinesF(v->r, pts, c->n);
}

static void draw_hud(View *v)
{
    const CityWorld *w = v->world;
    SDL_SetRenderDrawBlendMode(v->r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(v->r, 20, 22, 28, 210);
    SDL_Rect box = {8, 8, 330, 0};
    int lines = 6 + view_layer_count;
    box.h = 8 + 18 * lines;
    SDL_RenderFillRect(v->r, &box);
    SDL_Color fg = {225, 228, 235, 255}, dim = {140, 145, 160, 255};
    int y = 12;
    double t = city_world_time_s(w);
    double sp = view_speeds[v->speed];
    view_text(v, 14, y, fg, "%s  t = %02d:%02d:%02d  %s", city_scenario_name(v->sc), (int)(t / 3600),
              (int)fmod(t / 60, 60), (int)fmod(t, 60), v->paused ? "PAUSED" : "");
    y += 18;
    if (v->offscreen)
        view_text(v, 14, y, fg, "seed %llu, dt %d ms", (unsigned long long)city_world_seed(w),
                  (int)city_world_dt_ms(w));
    else {
        char want[48], got[48] = "";
        snprintf(want, sizeof want, isinf(sp) ? "as fast as possible" : "x%g", sp);
        if (!v->paused && v->speedup > 0) /* measured over the last half second */
            snprintf(got, sizeof got, ", running at x%.*f", v->speedup < 10 ? 1 : 0, v->speedup);
        view_text(v, 14, y, fg, "speed: %s%s", want, got);
    }
    y += 18;
    const CityRoad *road = city_road_of(w);
    if (road) {
        CityRoadStats s;
        city_road_stats(road, &s);
        view_text(v, 14, y, fg, "vehicles %llu  arrived %llu  mean %.0f km/h", (unsigned long long)s.running,
                  (unsigned long long)s.arrived, s.mean_speed_mps * 3.6);
        y += 18;
        view_text(v, 14, y, fg, "mean travel time %.0f s  gridlock %llu",
                  s.arrived ? s.sum_travel_time_s / (double)s.arrived : 0.0, (unsigned long long)s.gridlock_warnings);
    } else {
        view_text(v, 14, y, dim, "no road network");
    }
    y += 18;
    const CityGridTotals *gt = city_grid_sim_totals(w);
    if (gt)
        view_text(v, 14, y, fg, "grid: peak %.0f kW  min V %.3f pu  losses %.0f kWh", gt->peak_demand_kw,
                  gt->min_voltage_pu, gt->losses_kwh);
    else
        view_text(v, 14, y, dim, "no power grid");
    y += 18;
    view_text(v, 14, y, dim, "%s",
              v->status[0]   ? v->status
              : v->offscreen ? ""
                             : "space pause  . step  [ ] speed  f fit  c colour");
    y += 18;
    for (int i = 0; i < view_layer_count; i++, y += 18)
        view_text(v, 14, y, view_layers[i].enabled ? fg : dim, "%s %s", SDL_GetKeyName(view_layers[i].key),
                  view_layers[i].name);
    int cw = 260, ch = 90;
    if (v->charts.speed.n)
        draw_chart(v, &v->charts.speed, v->width - cw - 8, v->height - 2 * ch - 16, cw, ch);
    if (v->charts.load.n)
        draw_chart(v, &v->charts.load, v->width - cw - 8, v->height - ch - 8, cw, ch);
}

void view_draw_frame(View *v)
{
    SDL_SetRenderDrawBlendMode(v->r, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(v->r, 16, 18, 24, 255);
    SDL_RenderClear(v->r);
    for (int i = 0; i < view_layer_count; i++)
        if (view_layers[i].enabled)
            view_layers[i].draw(v);
    view_draw_inspector(v);
    draw_hud(v);
}
