/* The environment layers: the air-quality heat map (PM2.5, background plus
 * the traffic share, one texture pixel per grid cell) and the sensors
 * (an icon by kind, grey once failed; the inspector shows a sensor's last
 * readings against the truth). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "city_env.h"
#include "city_sensor.h"
#include "view_internal.h"

/* ---- air quality -------------------------------------------------------- */

/* PM2.5 colour stops (ug/m3) at the bounds of Korea's daily PM2.5 bands:
 * good up to 15, moderate up to 35, bad up to 75, very bad above. */
#define AIR_MAX_UGM3 100.0
#define AIR_OPAQUE_MIN_UGM3 0.05 /* a traffic share below this is never drawn opaque */
static const double air_at[] = {0, 15, 35, 75, 100};
static const SDL_Color air_stop[] = {
    {50, 100, 220, 255}, {40, 180, 120, 255}, {230, 200, 40, 255}, {240, 100, 40, 255}, {200, 30, 70, 255}};

static SDL_Color air_color(double ugm3)
{
    if (!(ugm3 > 0))
        return air_stop[0];
    for (int k = 1; k < 5; k++)
        if (ugm3 <= air_at[k]) {
            double f = (ugm3 - air_at[k - 1]) / (air_at[k] - air_at[k - 1]);
            SDL_Color a = air_stop[k - 1], b = air_stop[k];
            return (SDL_Color){(Uint8)(a.r + f * (b.r - a.r)), (Uint8)(a.g + f * (b.g - a.g)),
                               (Uint8)(a.b + f * (b.b - a.b)), 255};
        }
    return air_stop[4];
}

static SDL_Color air_scale(double f)
{
    return air_color(f * AIR_MAX_UGM3);
}

/* The largest traffic share of PM2.5 in the grid (ug/m3). */
static double air_top(const CityEnv *env, int32_t nx, int32_t ny)
{
    const double *field = city_env_air_field(env, CITY_SPECIES_PM25);
    double top = 0;
    for (size_t k = 0; k < (size_t)nx * (size_t)ny; k++)
        top = fmax(top, field[k]);
    return top;
}

/* Refills the field texture when the world has moved on. */
static bool air_texture(View *v, const CityEnv *env, int32_t nx, int32_t ny)
{
    ViewCanvas *cv = v->cv;
    if (cv->air && (cv->air_w != nx || cv->air_h != ny)) {
        SDL_DestroyTexture(cv->air);
        cv->air = NULL;
    }
    if (!cv->air) {
        cv->air = SDL_CreateTexture(v->r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, nx, ny);
        if (!cv->air)
            return false;
        cv->air_w = nx, cv->air_h = ny;
        cv->air_tick = -1;
        SDL_SetTextureBlendMode(cv->air, SDL_BLENDMODE_BLEND);
    }
    int64_t tick = city_world_tick(v->world);
    if (cv->air_tick == tick)
        return true;
    void *pixels;
    int pitch;
    if (SDL_LockTexture(cv->air, NULL, &pixels, &pitch) != 0)
        return false;
    const double *field = city_env_air_field(env, CITY_SPECIES_PM25);
    double bg = city_env_background(env, CITY_SPECIES_PM25, city_world_time_s(v->world));
    double top = fmax(air_top(env, nx, ny), AIR_OPAQUE_MIN_UGM3);
    for (int32_t j = 0; j < ny; j++) {
        Uint32 *row = (Uint32 *)((Uint8 *)pixels + (size_t)(ny - 1 - j) * (size_t)pitch); /* north up */
        for (int32_t i = 0; i < nx; i++) {
            double traffic = field[(size_t)j * (size_t)nx + (size_t)i];
            SDL_Color c = air_color(bg + traffic);
            /* the background tints the city; the traffic share stands out,
             * most opaque in the cell with the most */
            double f = fmin(fmax(traffic / top, 0), 1);
            Uint32 a = (Uint32)lround(60 + 160 * f);
            row[i] = a << 24 | (Uint32)c.r << 16 | (Uint32)c.g << 8 | c.b;
        }
    }
    SDL_UnlockTexture(cv->air);
    cv->air_tick = tick;
    return true;
}

void view_draw_air(View *v)
{
    const CityEnv *env = city_env_of(v->world);
    if (!env || !city_env_air_ready(env))
        return;
    int32_t nx, ny;
    city_env_air_size(env, &nx, &ny);
    const CityAirOptions *o = city_env_air_options(env);
    if (nx < 1 || ny < 1 || !view_box_visible(v, o->x0_m, o->y0_m, o->x1_m, o->y1_m) || !air_texture(v, env, nx, ny))
        return;
    float x0, y0, x1, y1;
    view_world_to_screen(v, o->x0_m, o->y0_m + ny * o->cell_m, &x0, &y0);
    view_world_to_screen(v, o->x0_m + nx * o->cell_m, o->y0_m, &x1, &y1);
    SDL_FRect dst = {x0, y0, x1 - x0, y1 - y0};
    view_flush(v);
    SDL_RenderCopyF(v->r, v->cv->air, NULL, &dst);
}

int view_air_legend(View *v, int x, int y, int w)
{
    const CityEnv *env = city_env_of(v->world);
    if (!env || !city_env_air_ready(env))
        return -1;
    static const char *const ticks[] = {"0", "15", "35", "75", "100 \xC2\xB5g/m\xC2\xB3"};
    static const double at[] = {0, 0.15, 0.35, 0.75, 1};
    int h = view_legend_bar(v, x, y, w, air_scale, ticks, at, 5);
    int32_t nx, ny;
    city_env_air_size(env, &nx, &ny);
    double top = air_top(env, nx, ny);
    double bg = city_env_background(env, CITY_SPECIES_PM25, city_world_time_s(v->world));
    SDL_Color fg = {200, 205, 215, 255};
    view_text(v, x, y + h, fg, "background %.1f, highest cell %.1f \xC2\xB5g/m\xC2\xB3", bg, bg + top);
    view_text(v, x, y + h + v->line_h, fg, "opacity: traffic share, most in the highest cell");
    return h + 2 * v->line_h;
}

/* ---- sensors ------------------------------------------------------------- */

static SDL_Color kind_color(CitySensorKind k)
{
    switch (k) {
    case CITY_SENSOR_LOOP:
        return (SDL_Color){250, 220, 60, 255};
    case CITY_SENSOR_CAMERA:
        return (SDL_Color){240, 110, 240, 255};
    case CITY_SENSOR_RADAR:
        return (SDL_Color){90, 230, 240, 255};
    case CITY_SENSOR_AIR:
        return (SDL_Color){140, 240, 140, 255};
    case CITY_SENSOR_WEATHER:
        return (SDL_Color){130, 170, 255, 255};
    case CITY_SENSOR_METER:
        return (SDL_Color){255, 170, 80, 255};
    case CITY_SENSOR_FEEDER:
        return (SDL_Color){90, 140, 255, 255};
    case CITY_SENSOR_CHARGER:
        return (SDL_Color){60, 220, 160, 255};
    case CITY_SENSOR_STREETLIGHT:
        return (SDL_Color){255, 250, 190, 255};
    case CITY_SENSOR_QUEUE:
        return (SDL_Color){255, 200, 140, 255};
    case CITY_SENSOR_EMERGENCY:
        return (SDL_Color){255, 90, 90, 255};
    default: /* manual, and kinds added later */
        return (SDL_Color){235, 235, 235, 255};
    }
}

static const SDL_Color failed_grey = {120, 120, 125, 255};

/* Icons: loops and meters squares, cameras and radar triangles, air and
 * lights discs, weather a diamond; r pixels across. */
static void icon(View *v, CitySensorKind k, float x, float y, float r, SDL_Color c)
{
    switch (k) {
    case CITY_SENSOR_CAMERA:
    case CITY_SENSOR_RADAR: {
        float xs[3] = {x - r, x + r, x}, ys[3] = {y + r * 0.8f, y + r * 0.8f, y - r};
        view_triangle(v, xs, ys, c);
        break;
    }
    case CITY_SENSOR_WEATHER: {
        float xs[3] = {x - r, x + r, x}, ys[3] = {y, y, y - r};
        view_triangle(v, xs, ys, c);
        ys[2] = y + r;
        view_triangle(v, xs, ys, c);
        break;
    }
    case CITY_SENSOR_AIR:
    case CITY_SENSOR_STREETLIGHT:
    case CITY_SENSOR_MANUAL: {
        double wx, wy;
        view_screen_to_world(v, x, y, &wx, &wy);
        view_disc(v, wx, wy, 0, r, c);
        break;
    }
    default:
        view_rect(v, x - r * 0.8f, y - r * 0.8f, 1.6f * r, 1.6f * r, c);
        break;
    }
}

void view_draw_sensors(View *v)
{
    const CitySensors *s = city_sensors_of(v->world);
    if (!s)
        return;
    float r = (float)fmax(4 * v->ui, 2.5 * v->scale);
    if (r > 14 * v->ui)
        r = (float)(14 * v->ui);
    for (int32_t i = 0; i < city_sensor_count(s); i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if (i > 0) { /* one icon per device: its channels follow each other */
            const CitySensorDef *p = city_sensor_def(s, i - 1);
            if (!strcmp(p->name, d->name) && p->x_m == d->x_m && p->y_m == d->y_m)
                continue;
        }
        double fov = (d->kind == CITY_SENSOR_CAMERA || d->kind == CITY_SENSOR_RADAR) ? d->radius_m : 0;
        if (!view_box_visible(v, d->x_m - fov - 5, d->y_m - fov - 5, d->x_m + fov + 5, d->y_m + fov + 5))
            continue;
        CitySensorStatus st;
        city_sensor_status(s, i, &st);
        SDL_Color c = st.failed ? failed_grey : kind_color(d->kind);
        if (v->pick == VIEW_PICK_SENSOR && v->pick_id >= 0 && v->pick_id < city_sensor_count(s) &&
            !strcmp(city_sensor_def(s, (int32_t)v->pick_id)->name, d->name))
            c = (SDL_Color){80, 160, 255, 255};
        if (fov * v->scale > 12) { /* the field of view, faint */
            SDL_Color f = c;
            f.a = 28;
            view_disc(v, d->x_m, d->y_m, fov, 0, f);
        }
        float sx, sy;
        view_world_to_screen(v, d->x_m, d->y_m, &sx, &sy);
        icon(v, d->kind, sx, sy, r + 1, (SDL_Color){10, 10, 12, 255}); /* outline */
        icon(v, d->kind, sx, sy, r, c);
    }
}

int view_sensor_legend(View *v, int x, int y, int w)
{
    const CitySensors *s = city_sensors_of(v->world);
    if (!s)
        return -1;
    bool seen[CITY_SENSOR_KIND_COUNT] = {false};
    int32_t failed = 0, n = city_sensor_count(s);
    for (int32_t i = 0; i < n; i++) {
        CitySensorStatus st;
        city_sensor_status(s, i, &st);
        failed += st.failed;
        seen[city_sensor_def(s, i)->kind] = true;
    }
    int dx = 0, dy = 0;
    float r = (float)(4 * v->ui);
    SDL_Color fg = {200, 205, 215, 255};
    for (int k = 0; k <= CITY_SENSOR_KIND_COUNT; k++) {
        bool grey = k == CITY_SENSOR_KIND_COUNT;
        if (!grey && !seen[k])
            continue;
        const char *label = grey ? "failed" : city_sensor_kind_name((CitySensorKind)k);
        int tw = 0;
        TTF_SizeUTF8(v->cv->font, label, &tw, NULL);
        int need = (int)(2 * r) + 4 + tw + (int)(10 * v->ui);
        if (dx > 0 && dx + need > w)
            dx = 0, dy += v->line_h;
        icon(v, grey ? CITY_SENSOR_LOOP : (CitySensorKind)k, (float)(x + dx) + r, (float)(y + dy) + v->line_h * 0.5f, r,
             grey ? failed_grey : kind_color((CitySensorKind)k));
        view_text(v, x + dx + (int)(2 * r) + 4, y + dy, fg, "%s", label);
        dx += need;
    }
    dy += v->line_h;
    view_text(v, x, y + dy, fg, "%d channels, %d failed", (int)n, (int)failed);
    return dy + v->line_h;
}

int32_t view_pick_sensor(const View *v, double x, double y, double tol_m)
{
    const CitySensors *s = city_sensors_of(v->world);
    if (!s)
        return -1;
    int32_t best_i = -1;
    double best = fmax(tol_m, 5 * v->ui / v->scale);
    for (int32_t i = 0; i < city_sensor_count(s); i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        double dist = hypot(d->x_m - x, d->y_m - y);
        if (dist < best) {
            best = dist;
            best_i = i;
        }
    }
    return best_i;
}

static const char *quality_name(CityQuality q)
{
    return q == CITY_QUALITY_GOOD ? "good" : q == CITY_QUALITY_UNCERTAIN ? "uncertain" : "bad";
}

void view_sensor_lines(const View *v, int32_t ch, char lines[][160], int *n, int max)
{
    const CitySensors *s = city_sensors_of(v->world);
    if (!s || ch < 0 || ch >= city_sensor_count(s))
        return;
    const CitySensorDef *d0 = city_sensor_def(s, ch);
    if (*n < max)
        snprintf(lines[(*n)++], 160, "sensor %s (%s) at (%.0f, %.0f)", d0->name, city_sensor_kind_name(d0->kind),
                 d0->x_m, d0->y_m);
    for (int32_t i = 0; i < city_sensor_count(s) && *n < max; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if (strcmp(d->name, d0->name) != 0)
            continue;
        CitySensorStatus st;
        city_sensor_status(s, i, &st);
        const char *q = city_quantity_name(d->quantity);
        if (!st.has_last) {
            snprintf(lines[(*n)++], 160, "  %s: no reading yet%s", q ? q : "?", st.failed ? " (FAILED)" : "");
            continue;
        }
        const CityReading *r = &st.last;
        snprintf(lines[(*n)++], 160, "  %s %.4g %s, truth %.4g (%s, t %.0f s)", q ? q : "?", r->value, r->unit,
                 st.last_truth, quality_name(r->quality), r->measured_ms / 1000.0);
        if (st.failed && *n < max)
            snprintf(lines[(*n)++], 160, "    FAILED since %.0f s (%s)", st.fail_time_s,
                     city_sensor_fault_name(d->fault));
    }
}
