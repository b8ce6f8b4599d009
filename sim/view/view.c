/* The interactive viewer: window, input, scripted input for tests, the
 * run loop and offscreen screenshots.
 *
 * The world advances only through city_scenario_step, exactly as a
 * headless run does: how many steps fall into one frame depends on the
 * wall clock, but the sequence of states does not, so a viewed run ends
 * with the same state hash. Keys that change the city go through operator
 * commands (city_command.h): the same functions a scenario calls, logged
 * to events.csv, so `citylab run --replay events.csv` repeats a session. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_command.h"
#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_road.h"
#include "view_internal.h"

static void view_init(View *v, CityScenario *sc, SDL_Renderer *r, TTF_Font *font, int w, int h)
{
    memset(v, 0, sizeof *v);
    v->sc = sc;
    v->world = city_scenario_world_const(sc);
    v->r = r;
    v->font = font;
    v->width = w;
    v->height = h;
    v->speed = 3; /* x10 */
    view_charts_init(&v->charts);
    view_fit(v);
}

static void view_free(View *v)
{
    free(v->bld);
}

CityStatus city_view_screenshot(CityScenario *scenario, const CityViewCharts *charts, const char *png_path, int width,
                                int height, CityError *err)
{
    city_error_clear(err);
    if (!city_view_size_valid(width, height))
        return city_error_set(err, CITY_ERR_INVALID,
                              "screenshot size %dx%d is out of range; use --size WxH between %d and %d", width, height,
                              CITY_VIEW_SIZE_MIN_PX, CITY_VIEW_SIZE_MAX_PX);
    if (TTF_WasInit() == 0 && TTF_Init() != 0)
        return city_error_set(err, CITY_ERR_INVALID, "cannot start SDL_ttf: %s", TTF_GetError());
    SDL_Surface *surface = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = surface ? SDL_CreateSoftwareRenderer(surface) : NULL;
    TTF_Font *font = r ? view_open_font(13, err) : NULL;
    if (!surface || !r || !font) {
        if (!err || err->status == CITY_OK) /* not the font's own message */
            city_error_set(err, CITY_ERR_INVALID, "cannot create an offscreen picture of %dx%d: %s", width, height,
                           SDL_GetError());
        if (r)
            SDL_DestroyRenderer(r);
        SDL_FreeSurface(surface);
        return CITY_ERR_INVALID;
    }
    View v;
    view_init(&v, scenario, r, font, width, height);
    v.offscreen = true;
    if (charts)
        v.charts = *charts;
    city_view_charts_sample(&v.charts, v.world);
    view_draw_frame(&v);
    SDL_RenderPresent(r);
    bool ok = view_write_png(surface, png_path, err);
    view_free(&v);
    TTF_CloseFont(font);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(surface);
    return ok ? CITY_OK : CITY_ERR_IO;
}

/* ---- scripted input ----------------------------------------------------- */

/* Scripted input (tests, demos): comma-separated tokens, one per frame:
 *   wait:N      render N frames doing nothing
 *   end         run as fast as possible until the scenario's end
 *   until:T     run as fast as possible until simulated time T (s)
 *   speed:X     set the speed to xX (1, 2, 5, 10, 30, 100, 300, 1000) and play
 *   stats       start measuring frames (printed on stderr when the viewer quits)
 *   click:X:Y   click at pixel X,Y
 *   shot:FILE   save the current window picture as a PNG
 *   KEY         press a key by its SDL name: space, q, f, c, 1, 2, ..., [, ], Left, +, -, .
 */
typedef struct Script {
    const char *p;
    int wait;
    bool until_end;
    double until_s; /* < 0: none */
    bool measure;   /* frame statistics requested */
} Script;

static void push_key(SDL_Keycode key)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = key;
    SDL_PushEvent(&e);
}

/* Feeds the next scripted token; returns false on a bad token. */
static bool script_next(Script *s, View *v, bool at_end, CityError *err)
{
    if (!s->p || !*s->p)
        return true;
    if (s->until_end) {
        if (!at_end)
            return true;
        s->until_end = false;
    }
    if (s->until_s >= 0) {
        if (!at_end && city_world_time_s(v->world) < s->until_s)
            return true;
        s->until_s = -1;
        v->speed = 0;
    }
    if (s->wait > 0) {
        s->wait--;
        return true;
    }
    char tok[256];
    size_t n = strcspn(s->p, ",");
    if (n >= sizeof tok)
        n = sizeof tok - 1;
    memcpy(tok, s->p, n);
    tok[n] = '\0';
    s->p += n + (s->p[n] == ',');
    if (strncmp(tok, "wait:", 5) == 0) {
        s->wait = atoi(tok + 5);
    } else if (strcmp(tok, "end") == 0) {
        v->speed = view_speed_count - 1;
        v->paused = false;
        s->until_end = true;
    } else if (strncmp(tok, "until:", 6) == 0) {
        s->until_s = atof(tok + 6);
        v->speed = view_speed_count - 1;
        v->paused = false;
    } else if (strncmp(tok, "speed:", 6) == 0) {
        double want = atof(tok + 6);
        for (int i = 0; i < view_speed_count; i++)
            if (view_speeds[i] == want)
                v->speed = i;
        v->paused = false;
    } else if (strcmp(tok, "stats") == 0) {
        s->measure = true;
        v->frames = 0;
        v->frame_real_s = v->frame_sim_s = v->worst_frame_s = 0;
    } else if (strncmp(tok, "click:", 6) == 0) {
        int x, y;
        if (sscanf(tok + 6, "%d:%d", &x, &y) != 2) {
            city_error_set(err, CITY_ERR_INVALID, "view script: '%s' should be click:X:Y", tok);
            return false;
        }
        view_pick(v, x, y);
    } else if (strncmp(tok, "shot:", 5) == 0) {
        SDL_Surface *s2 = SDL_CreateRGBSurfaceWithFormat(0, v->width, v->height, 32, SDL_PIXELFORMAT_ARGB8888);
        if (!s2 || SDL_RenderReadPixels(v->r, NULL, SDL_PIXELFORMAT_ARGB8888, s2->pixels, s2->pitch) != 0 ||
            !view_write_png(s2, tok + 5, err)) {
            if (err->status == CITY_OK)
                city_error_set(err, CITY_ERR_IO, "view script: cannot save %s: %s", tok + 5, SDL_GetError());
            SDL_FreeSurface(s2);
            return false;
        }
        SDL_FreeSurface(s2);
    } else {
        SDL_Keycode k = SDL_GetKeyFromName(tok);
        if (k == SDLK_UNKNOWN) {
            city_error_set(err, CITY_ERR_INVALID,
                           "view script: unknown key '%s' (use SDL key names like space, q, Left)", tok);
            return false;
        }
        push_key(k);
    }
    return true;
}

/* ---- commands ------------------------------------------------------------ */

/* x: closes or reopens the selected lane, trips or restores the selected
 * line, through an operator command (logged, so --replay repeats it). */
static void command_on_selection(View *v)
{
    CityWorld *w = city_scenario_world(v->sc);
    char cmd[300];
    if (city_world_tick(w) >= city_scenario_end_tick(v->sc) || city_world_stopped(w)) {
        snprintf(v->status, sizeof v->status, "the run has ended: commands no longer apply");
        return;
    }
    if (v->pick == VIEW_PICK_LANE && city_road_of(w)) {
        CityRoad *road = city_road_of(w);
        int32_t lane = (int32_t)v->pick_id;
        snprintf(cmd, sizeof cmd, "%s %s", city_road_lane_closed(road, lane) ? "open_lane" : "close_lane",
                 city_road_net(road)->lanes[lane].id);
    } else if (v->pick == VIEW_PICK_BRANCH && city_grid_of(w)) {
        int32_t n;
        const CityGridBranch *br = city_grid_branches(city_grid_of(w), &n);
        if (v->pick_id >= n)
            return;
        snprintf(cmd, sizeof cmd, "%s %d", br[v->pick_id].closed ? "open_branch" : "close_branch",
                 (int)br[v->pick_id].id);
    } else {
        snprintf(v->status, sizeof v->status, "select a lane or a power line first (click it), then x");
        return;
    }
    if (city_command_apply(w, cmd) == CITY_OK)
        snprintf(v->status, sizeof v->status, "%s", cmd);
    else
        snprintf(v->status, sizeof v->status, "%s", city_world_error(w));
}

static void zoom_at(View *v, double factor, int sx, int sy)
{
    double wx, wy;
    view_screen_to_world(v, sx, sy, &wx, &wy);
    v->scale = fmin(fmax(v->scale * factor, 1e-4), 200.0);
    double nx, ny;
    view_screen_to_world(v, sx, sy, &nx, &ny);
    v->cx += wx - nx;
    v->cy += wy - ny;
}

/* Applies one input event; returns false when the user quits. */
static bool handle_event(View *v, const SDL_Event *e, bool *step_once, bool *dragging)
{
    switch (e->type) {
    case SDL_QUIT:
        return false;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            v->width = e->window.data1;
            v->height = e->window.data2;
        }
        break;
    case SDL_MOUSEWHEEL: {
        int mx, my;
        SDL_GetMouseState(&mx, &my);
        zoom_at(v, e->wheel.y > 0 ? 1.25 : 0.8, mx, my);
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button == SDL_BUTTON_LEFT) {
            *dragging = false;
            view_pick(v, e->button.x, e->button.y);
        } else {
            *dragging = true;
        }
        break;
    case SDL_MOUSEBUTTONUP:
        *dragging = false;
        break;
    case SDL_MOUSEMOTION:
        if (*dragging || (e->motion.state & SDL_BUTTON_LMASK)) {
            v->cx -= e->motion.xrel / v->scale;
            v->cy += e->motion.yrel / v->scale;
        }
        break;
    case SDL_KEYDOWN: {
        SDL_Keycode k = e->key.keysym.sym;
        double pan = 0.1 * v->width / v->scale;
        if (k == SDLK_q || k == SDLK_ESCAPE)
            return false;
        if (k == SDLK_SPACE)
            v->paused = !v->paused;
        else if (k == SDLK_PERIOD || k == SDLK_n)
            *step_once = true, v->paused = true;
        else if (k == SDLK_PLUS || k == SDLK_EQUALS || k == SDLK_KP_PLUS)
            zoom_at(v, 1.25, v->width / 2, v->height / 2);
        else if (k == SDLK_MINUS || k == SDLK_KP_MINUS)
            zoom_at(v, 0.8, v->width / 2, v->height / 2);
        else if (k == SDLK_LEFT)
            v->cx -= pan;
        else if (k == SDLK_RIGHT)
            v->cx += pan;
        else if (k == SDLK_UP)
            v->cy += pan;
        else if (k == SDLK_DOWN)
            v->cy -= pan;
        else if (k == SDLK_f)
            view_fit(v);
        else if (k == SDLK_c)
            v->color_by_class = !v->color_by_class;
        else if (k == SDLK_LEFTBRACKET && v->speed > 0)
            v->speed--;
        else if (k == SDLK_RIGHTBRACKET && v->speed + 1 < view_speed_count)
            v->speed++;
        else if (k == SDLK_0)
            v->speed = view_speed_count - 1;
        else if (k == SDLK_x)
            command_on_selection(v);
        for (int i = 0; i < view_layer_count; i++)
            if (k == view_layers[i].key)
                view_layers[i].enabled = !view_layers[i].enabled;
        break;
    }
    default:
        break;
    }
    return true;
}

/* ---- the loop ------------------------------------------------------------ */

int city_view_run(CityScenario *scenario, const CityViewOptions *options)
{
    int width = options->width > 0 ? options->width : CITY_VIEW_DEFAULT_WIDTH_PX;
    int height = options->height > 0 ? options->height : CITY_VIEW_DEFAULT_HEIGHT_PX;
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "citylab view: cannot open a display (%s); set DISPLAY, or use `citylab run --screenshot`\n",
                SDL_GetError());
        return 2;
    }
    if (TTF_Init() != 0) {
        fprintf(stderr, "citylab view: cannot start SDL_ttf: %s\n", TTF_GetError());
        SDL_Quit();
        return 2;
    }
    CityError err = {CITY_OK, ""};
    SDL_Window *win = SDL_CreateWindow("citylab", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, width, height,
                                       SDL_WINDOW_RESIZABLE);
    SDL_Renderer *r = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC) : NULL;
    if (win && !r)
        r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    TTF_Font *font = r ? view_open_font(13, &err) : NULL;
    if (!win || !r || !font) {
        fprintf(stderr, "citylab view: %s\n", err.msg[0] ? err.msg : SDL_GetError());
        if (r)
            SDL_DestroyRenderer(r);
        if (win)
            SDL_DestroyWindow(win);
        TTF_Quit();
        SDL_Quit();
        return 2;
    }
    View v;
    view_init(&v, scenario, r, font, width, height);
    Script script = {options->script_keys, 0, false, -1, false};
    const int64_t end_tick = city_scenario_end_tick(scenario);
    const double dt_s = city_world_dt_ms(v.world) / 1000.0;
    int rc = 0;
    bool running = true, dragging = false;
    Uint64 last = SDL_GetPerformanceCounter();
    const double freq = (double)SDL_GetPerformanceFrequency();
    double sim_window = 0, real_window = 0;
    while (running) {
        bool step_once = false;
        bool at_end = city_world_tick(v.world) >= end_tick || city_world_stopped(v.world);
        if (!script_next(&script, &v, at_end, &err)) {
            fprintf(stderr, "citylab view: %s\n", err.msg);
            rc = 2;
            break;
        }
        SDL_Event e;
        while (SDL_PollEvent(&e))
            if (!handle_event(&v, &e, &step_once, &dragging))
                running = false;
        Uint64 now = SDL_GetPerformanceCounter();
        double real_dt = (double)(now - last) / freq;
        last = now;
        double sim_before = city_world_time_s(v.world);
        /* advance: as much simulated time as the speed asks, or as fast as
         * possible within a frame budget */
        double speed = view_speeds[v.speed];
        if (!v.paused || step_once) {
            double budget_end = (double)SDL_GetPerformanceCounter() / freq + VIEW_FRAME_BUDGET_S;
            /* A scripted session (--keys) advances a fixed 1/30 s of real
             * time per frame, so "wait:N" covers the same simulated time
             * however loaded the machine is. */
            const double frame_dt = options->script_keys ? 1.0 / 30.0 : real_dt;
            if (!step_once)
                v.sim_debt_s = isinf(speed) ? INFINITY : fmin(v.sim_debt_s + frame_dt * speed, VIEW_MAX_SIM_DEBT_S);
            int64_t steps = 0;
            /* a scripted until:T stops on the tick of T, however fast it runs */
            const int64_t hold_tick = script.until_s >= 0 ? city_world_ticks_for(v.world, script.until_s) : INT64_MAX;
            while (city_world_tick(v.world) < end_tick && !city_world_stopped(v.world)) {
                if ((step_once ? steps >= 1 : v.sim_debt_s < dt_s) || city_world_tick(v.world) >= hold_tick)
                    break;
                if (city_scenario_step(scenario) != CITY_OK) {
                    fprintf(stderr, "citylab view: %s\n", city_world_error(v.world));
                    rc = 2;
                    running = false;
                    break;
                }
                steps++;
                if (!isinf(v.sim_debt_s))
                    v.sim_debt_s -= dt_s;
                city_view_charts_sample(&v.charts, v.world);
                if (!step_once && (double)SDL_GetPerformanceCounter() / freq > budget_end)
                    break;
            }
            if (isinf(v.sim_debt_s))
                v.sim_debt_s = 0;
        }
        sim_window += city_world_time_s(v.world) - sim_before;
        v.frames++;
        v.frame_real_s += real_dt;
        v.frame_sim_s += city_world_time_s(v.world) - sim_before;
        if (real_dt > v.worst_frame_s)
            v.worst_frame_s = real_dt;
        real_window += real_dt;
        if (real_window > 0.5) {
            v.speedup = sim_window / real_window;
            sim_window = real_window = 0;
        }
        view_draw_frame(&v);
        SDL_RenderPresent(r);
    }
    if (script.measure && v.frames > 1 && v.frame_real_s > 0) {
        size_t nveh = city_road_of(v.world) ? city_road_vehicle_count(city_road_of(v.world)) : 0;
        fprintf(stderr,
                "view: %lld frames in %.2f s: %.1f fps (slowest frame %.1f ms), sim x%.2f real time, %zu vehicles\n",
                (long long)v.frames, v.frame_real_s, (double)v.frames / v.frame_real_s, 1000 * v.worst_frame_s,
                v.frame_sim_s / v.frame_real_s, nveh);
    }
    view_free(&v);
    TTF_CloseFont(font);
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
    TTF_Quit();
    SDL_Quit();
    return rc;
}
