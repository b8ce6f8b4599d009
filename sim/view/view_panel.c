/* The panel docked in the right margin: the state of the run, the live
 * charts, every layer with its key and its colour legend, the inspector
 * and the operator panel. `h` collapses it to a one-line bar at the
 * bottom; `?` lists the keys. Sizes follow v->ui (view_layout). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "city_grid_sim.h"
#include "city_ped.h"
#include "city_road.h"
#include "view_internal.h"

static const SDL_Color fg = {225, 228, 235, 255}, dim = {140, 145, 160, 255}, head = {150, 200, 255, 255},
                       alert_c = {255, 110, 90, 255};

/* the key list of `?`, one panel line each */
static const char *const key_help[] = {
    "space pause   . step   [ ] speed   0 fastest", "drag or arrows pan   wheel or + - zoom   f fit",
    "click inspect   x close/open lane, trip line", "c vehicles by class   w people by waiting",
    "1-7 layers   h hide this panel   ? keys",      "o fold the operator panel   q quit",
};

double view_mean_speed_kmh(const View *v)
{
    const ViewChart *c = &v->charts.speed;
    return c->n ? c->values[(c->head + c->n - 1) % VIEW_CHART_N] : NAN;
}

static void clock_text(double t, char *out, size_t len)
{
    snprintf(out, len, "%02d:%02d:%02d", (int)(t / 3600), (int)fmod(t / 60, 60), (int)fmod(t, 60));
}

static void draw_chart(View *v, const ViewChart *c, int x, int y, int w, int h)
{
    view_rect(v, (float)x, (float)y, (float)w, (float)h, (SDL_Color){28, 31, 40, 255});
    view_flush(v);
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
    view_text(v, x + 4, y + 1, fg, "%s  %.1f", c->title, c->n ? c->values[(c->head + c->n - 1) % VIEW_CHART_N] : 0.0);
    if (c->n < 2)
        return;
    char range[48];
    snprintf(range, sizeof range, "%.3g-%.3g", lo, hi);
    int tw = 0;
    TTF_SizeUTF8(v->cv->font, range, &tw, NULL);
    view_text(v, x + w - tw - 4, y + h - v->line_h, dim, "%s", range);
    SDL_FPoint pts[VIEW_CHART_N];
    int top = y + v->line_h + 2;
    for (int i = 0; i < c->n; i++) {
        double val = c->values[(c->head + i) % VIEW_CHART_N];
        pts[i].x = (float)(x + 4 + (w - 8) * (double)i / (VIEW_CHART_N - 1));
        pts[i].y = (float)(y + h - 4 - (h - 4 - (top - y)) * (val - lo) / (hi - lo));
    }
    SDL_SetRenderDrawColor(v->r, 90, 200, 255, 255);
    SDL_RenderDrawLinesF(v->r, pts, c->n);
}

/* The state of the run; returns the next y. */
static int draw_state(View *v, int x, int y)
{
    const CityWorld *w = v->world;
    char clock[32];
    clock_text(city_world_time_s(w), clock, sizeof clock);
    view_text(v, x, y, head, "%s  t = %s%s", city_scenario_name(v->sc), clock, v->paused ? "  PAUSED" : "");
    y += v->line_h;
    view_text(v, x, y, dim, "seed %llu, dt %d ms", (unsigned long long)city_world_seed(w), (int)city_world_dt_ms(w));
    y += v->line_h;
    const CityRoad *road = city_road_of(w);
    if (road) {
        CityRoadStats s;
        city_road_stats(road, &s);
        double mean = view_mean_speed_kmh(v);
        view_text(v, x, y, fg, "vehicles %llu  arrived %llu  mean %.1f km/h", (unsigned long long)s.running,
                  (unsigned long long)s.arrived, isnan(mean) ? 0.0 : mean);
        y += v->line_h;
        view_text(v, x, y, fg, "mean travel time %.0f s  gridlock %llu",
                  s.arrived ? s.sum_travel_time_s / (double)s.arrived : 0.0, (unsigned long long)s.gridlock_warnings);
        y += v->line_h;
    }
    const CityPed *ped = city_ped_of(w);
    if (ped) {
        CityPedStats ps;
        city_ped_stats(ped, &ps);
        view_text(v, x, y, fg, "people walking %zu  arrived %llu", city_ped_count(ped), (unsigned long long)ps.arrived);
        y += v->line_h;
    }
    const CityGridTotals *gt = city_grid_sim_totals(w);
    if (gt) {
        view_text(v, x, y, fg, "grid: peak %.0f kW  min V %.3f pu", gt->peak_demand_kw, gt->min_voltage_pu);
        y += v->line_h;
    }
    if (v->status[0]) {
        view_text(v, x, y, dim, "%s", v->status);
        y += v->line_h;
    }
    return y;
}

/* Lines of text with a section title; returns the next y (stops at bottom). */
static int draw_lines(View *v, int x, int y, int bottom, const char *title, char lines[][160], const bool *alert, int n)
{
    if (n <= 0 || y + 2 * v->line_h > bottom)
        return y;
    y += 4;
    view_text(v, x, y, head, "%s", title);
    y += v->line_h;
    for (int i = 0; i < n && y + v->line_h <= bottom; i++, y += v->line_h)
        view_text(v, x, y, alert && alert[i] ? alert_c : fg, "%s", lines[i]);
    return y;
}

static void draw_bar(View *v)
{
    int y = v->height - v->line_h - 4;
    view_rect(v, 0, (float)y, (float)v->width, (float)(v->line_h + 4), (SDL_Color){24, 26, 33, 255});
    char clock[32];
    clock_text(city_world_time_s(v->world), clock, sizeof clock);
    double mean = view_mean_speed_kmh(v);
    char speed[48] = "";
    if (!isnan(mean))
        snprintf(speed, sizeof speed, "  mean %.1f km/h", mean);
    view_text(v, 8, y + 2, fg, "%s  t = %s%s%s   (h shows the panel)", city_scenario_name(v->sc), clock,
              v->paused ? "  PAUSED" : "", speed);
}

void view_draw_panel(View *v)
{
    if (v->panel_hidden) {
        draw_bar(v);
        return;
    }
    const int px = v->panel_x, pw = v->panel_w, pad = (int)lround(8 * v->ui);
    view_rect(v, (float)px, 0, (float)pw, (float)v->height, (SDL_Color){24, 26, 33, 255});
    view_rect(v, (float)px, 0, 1, (float)v->height, (SDL_Color){96, 104, 128, 255}); /* the edge */
    const int x = px + pad, w = pw - 2 * pad, bottom = v->height - v->line_h - pad;
    int y = draw_state(v, x, pad);
    /* charts */
    int ch = (int)lround(64 * v->ui);
    const ViewChart *charts[2] = {&v->charts.speed, &v->charts.load};
    for (int i = 0; i < 2; i++)
        if (charts[i]->n && y + ch + 4 <= bottom) {
            draw_chart(v, charts[i], x, y + 4, w, ch);
            y += ch + 6;
        }
    /* layers, each with its legend when on */
    y += 4;
    int order[VIEW_MAX_LAYERS]; /* listed by key, drawn in table order */
    for (int i = 0; i < view_layer_count; i++) {
        int k = i;
        for (; k > 0 && view_layers[order[k - 1]].key > view_layers[i].key; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
    for (int j = 0; j < view_layer_count && y + v->line_h <= bottom; j++) {
        const int i = order[j];
        bool on = v->layer_on[i];
        int ly = y + v->line_h, h = 0;
        if (on && view_layers[i].legend && ly + 2 * v->line_h <= bottom)
            h = view_layers[i].legend(v, x + pad, ly, w - pad); /* -1: nothing of it in this city */
        view_text(v, x, y, on && h >= 0 ? fg : dim, "%s  %s%s", SDL_GetKeyName(view_layers[i].key), view_layers[i].name,
                  !on     ? " (off)"
                  : h < 0 ? " (none here)"
                          : "");
        y = ly + (h > 0 ? h : 0);
    }
    char lines[24][160];
    bool alert[24];
    if (v->show_keys) {
        int n = 0;
        for (size_t k = 0; k < sizeof key_help / sizeof key_help[0]; k++)
            snprintf(lines[n++], 160, "%s", key_help[k]);
        y = draw_lines(v, x, y, bottom, "keys", lines, NULL, n);
    }
    int n = view_inspector_lines(v, lines, 12);
    y = draw_lines(v, x, y, bottom, "inspector", lines, NULL, n);
    n = view_operator_lines(v, lines, alert, v->hide_operator ? 1 : 24);
    y = draw_lines(v, x, y, bottom, v->hide_operator ? "operator (o unfolds)" : "operator: controllers and actuators",
                   lines, alert, n);
    view_text(v, x, v->height - v->line_h - 2, dim, "h hides this panel   ? keys");
}
