/* The one rendering path: a View draws into a canvas (an offscreen surface
 * and SDL's software renderer). Screenshots and time-lapse frames write
 * the canvas to PNG files; the window (view.c) copies it to the screen. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_road.h"
#include "view_internal.h"

ViewCanvas *view_canvas_create(int w, int h, CityError *err)
{
    if (!city_view_size_valid(w, h)) {
        city_error_set(err, CITY_ERR_INVALID, "picture size %dx%d is out of range; use --size WxH between %d and %d", w,
                       h, CITY_VIEW_SIZE_MIN_PX, CITY_VIEW_SIZE_MAX_PX);
        return NULL;
    }
    if (TTF_WasInit() == 0 && TTF_Init() != 0) {
        city_error_set(err, CITY_ERR_INVALID, "cannot start SDL_ttf: %s", TTF_GetError());
        return NULL;
    }
    ViewCanvas *cv = calloc(1, sizeof *cv);
    if (!cv) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory for a %dx%d picture", w, h);
        return NULL;
    }
    /* the font follows the picture's scale (13 px at 1280x800) */
    double s = fmin(fmax(fmin(w / 1280.0, h / 800.0), 0.7), 2.5);
    cv->font_px = (int)lround(13 * s);
    cv->air_tick = -1;
    cv->surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    cv->r = cv->surface ? SDL_CreateSoftwareRenderer(cv->surface) : NULL;
    cv->font = cv->r ? view_open_font(cv->font_px, err) : NULL;
    if (!cv->font) {
        if (!err || err->status == CITY_OK) /* not the font's own message */
            city_error_set(err, CITY_ERR_INVALID, "cannot create a picture of %dx%d: %s", w, h, SDL_GetError());
        view_canvas_free(cv);
        return NULL;
    }
    return cv;
}

void view_canvas_free(ViewCanvas *cv)
{
    if (!cv)
        return;
    for (int i = 0; i < VIEW_TEXT_CACHE_N; i++)
        if (cv->text[i].tex)
            SDL_DestroyTexture(cv->text[i].tex);
    if (cv->still)
        SDL_DestroyTexture(cv->still);
    if (cv->air)
        SDL_DestroyTexture(cv->air);
    if (cv->font)
        TTF_CloseFont(cv->font);
    if (cv->r)
        SDL_DestroyRenderer(cv->r);
    SDL_FreeSurface(cv->surface);
    free(cv);
}

void view_init(View *v, CityScenario *sc, ViewCanvas *cv)
{
    memset(v, 0, sizeof *v);
    v->sc = sc;
    v->world = city_scenario_world_const(sc);
    v->cv = cv;
    v->r = cv->r;
    v->width = cv->surface->w;
    v->height = cv->surface->h;
    v->speed = 3; /* x10 */
    for (int i = 0; i < view_layer_count && i < VIEW_MAX_LAYERS; i++)
        v->layer_on[i] = view_layers[i].on_at_start;
    view_charts_init(&v->charts);
    view_layout(v);
    view_fit(v);
}

void view_free(View *v)
{
    free(v->bld);
    free(v->batch);
    v->bld = NULL;
    v->batch = NULL;
}

/* The static layers (roads, buildings, walls) of the map viewport, drawn
 * once per camera into a texture. */
static void draw_still(View *v)
{
    ViewCanvas *cv = v->cv;
    unsigned layers = 0;
    for (int i = 0; i < view_layer_count; i++)
        if (v->layer_on[i] && view_layers[i].draw_static)
            layers |= 1u << i;
    if (cv->still) {
        int tw, th;
        SDL_QueryTexture(cv->still, NULL, NULL, &tw, &th);
        if (tw != v->map_w || th != v->map_h) {
            SDL_DestroyTexture(cv->still);
            cv->still = NULL;
        }
    }
    if (!cv->still) {
        cv->still = SDL_CreateTexture(v->r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, v->map_w, v->map_h);
        cv->still_ok = false;
    }
    if (!cv->still)
        return;
    if (!cv->still_ok || cv->still_cx != v->cx || cv->still_cy != v->cy || cv->still_s != v->scale ||
        cv->still_layers != layers) {
        SDL_SetRenderTarget(v->r, cv->still);
        SDL_SetRenderDrawBlendMode(v->r, SDL_BLENDMODE_NONE);
        SDL_SetRenderDrawColor(v->r, 16, 18, 24, 255);
        SDL_RenderClear(v->r);
        int mx = v->map_x, my = v->map_y; /* the texture's own origin */
        v->map_x = v->map_y = 0;
        for (int i = 0; i < view_layer_count; i++)
            if (layers & (1u << i)) {
                view_layers[i].draw_static(v);
                view_flush(v);
            }
        v->map_x = mx, v->map_y = my;
        SDL_SetRenderTarget(v->r, NULL);
        cv->still_cx = v->cx, cv->still_cy = v->cy, cv->still_s = v->scale;
        cv->still_layers = layers;
        cv->still_ok = true;
    }
    SDL_Rect dst = {v->map_x, v->map_y, v->map_w, v->map_h};
    SDL_SetTextureBlendMode(cv->still, SDL_BLENDMODE_NONE);
    SDL_RenderCopy(v->r, cv->still, NULL, &dst);
}

void view_render(View *v)
{
    view_layout(v);
    SDL_SetRenderDrawBlendMode(v->r, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(v->r, 16, 18, 24, 255);
    SDL_RenderClear(v->r);
    for (int i = 0; i < VIEW_TEXT_CACHE_N; i++)
        v->cv->text[i].used = false;
    draw_still(v);
    SDL_Rect map = {v->map_x, v->map_y, v->map_w, v->map_h};
    SDL_RenderSetClipRect(v->r, &map);
    SDL_SetRenderDrawBlendMode(v->r, SDL_BLENDMODE_BLEND);
    for (int i = 0; i < view_layer_count; i++)
        if (v->layer_on[i] && view_layers[i].draw) {
            view_layers[i].draw(v);
            view_flush(v);
        }
    SDL_RenderSetClipRect(v->r, NULL);
    view_draw_panel(v);
    view_flush(v);
    SDL_RenderPresent(v->r);
}

/* ---- screenshots and time-lapse frames ------------------------------------- */

CityStatus city_view_screenshot(CityScenario *scenario, const CityViewCharts *charts, const char *png_path, int width,
                                int height, CityError *err)
{
    city_error_clear(err);
    ViewCanvas *cv = view_canvas_create(width, height, err);
    if (!cv)
        return err && err->status != CITY_OK ? err->status : CITY_ERR_INVALID;
    View v;
    view_init(&v, scenario, cv);
    if (charts)
        v.charts = *charts;
    city_view_charts_sample(&v.charts, v.world);
    view_render(&v);
    bool ok = view_write_png(cv->surface, png_path, err);
    view_free(&v);
    view_canvas_free(cv);
    return ok ? CITY_OK : CITY_ERR_IO;
}

struct CityViewFrames {
    char dir[3072];
    int64_t every_ticks; /* 0 until the first call (the world's dt is known then) */
    double every_s;
    int64_t written;
    ViewCanvas *cv;
    View view; /* keeps its caches between frames */
    bool ready;
};

CityViewFrames *city_view_frames_create(const char *dir, double every_s, int width, int height, CityError *err)
{
    city_error_clear(err);
    if (!(every_s > 0)) {
        city_error_set(err, CITY_ERR_INVALID, "--every %g: give the simulated seconds between frames (> 0)", every_s);
        return NULL;
    }
    CityViewFrames *f = calloc(1, sizeof *f);
    if (!f) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    f->every_s = every_s;
    if (!(f->cv = view_canvas_create(width, height, err))) {
        free(f);
        return NULL;
    }
    return f;
}

CityStatus city_view_frames_step(CityViewFrames *f, CityScenario *scenario, CityError *err)
{
    if (!f->ready) {
        view_init(&f->view, scenario, f->cv);
        f->every_ticks = city_world_ticks_for(f->view.world, f->every_s);
        if (f->every_ticks < 1)
            f->every_ticks = 1;
        f->ready = true;
    }
    View *v = &f->view;
    city_view_charts_sample(&v->charts, v->world);
    int64_t tick = city_world_tick(v->world);
    if (tick % f->every_ticks != 0)
        return CITY_OK;
    char path[3200];
    snprintf(path, sizeof path, "%s/frame-%06lld.png", f->dir, (long long)(tick / f->every_ticks));
    view_render(v);
    if (!view_write_png(f->cv->surface, path, err))
        return CITY_ERR_IO;
    f->written++;
    return CITY_OK;
}

int64_t city_view_frames_written(const CityViewFrames *f)
{
    return f ? f->written : 0;
}

void city_view_frames_free(CityViewFrames *f)
{
    if (!f)
        return;
    if (f->ready)
        view_free(&f->view);
    view_canvas_free(f->cv);
    free(f);
}
