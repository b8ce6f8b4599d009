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
#include <time.h>

#include "city_command.h"
#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_road.h"
#include "view_internal.h"

CityStatus city_view_display_check(CityError *err)
{
    city_error_clear(err);
    const char *x11 = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY"), *drv = getenv("SDL_VIDEODRIVER");
    bool named = (x11 && *x11) || (wl && *wl) || (drv && *drv);
    /* With no display named, SDL would try other back ends (and some print
     * their own errors or open nothing visible): stop here instead. */
    if (named && !(drv && *drv)) /* only the back ends of the displays named */
        SDL_SetHint(SDL_HINT_VIDEODRIVER, x11 && *x11 && wl && *wl ? "wayland,x11" : x11 && *x11 ? "x11" : "wayland");
    if (named && (SDL_WasInit(SDL_INIT_VIDEO) || SDL_Init(SDL_INIT_VIDEO) == 0))
        return CITY_OK;
    char where[160];
    if ((x11 && *x11) || (wl && *wl))
        snprintf(where, sizeof where, "cannot connect to the display %s", x11 && *x11 ? x11 : wl);
    else
        snprintf(where, sizeof where, "DISPLAY is not set");
    return city_error_set(err, CITY_ERR_INVALID,
                          "no display found (%s); run it on a desktop or under xvfb-run, or draw without a window: "
                          "citylab run SCENARIO --screenshot FILE.png or --frames DIR",
                          where);
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
 *   KEY         press a key by its SDL name: space, q, f, c, h, w, 1, 2, ..., [, ], Left, +, -, .
 */
typedef struct Script {
    const char *p;
    int wait;
    bool until_end;
    double until_s; /* < 0: none */
    bool measure;   /* frame statistics requested */
    clock_t cpu0;   /* process CPU time when they started */
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
        s->cpu0 = clock();
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
        /* the picture on the screen is the canvas: write it as it is */
        if (!view_write_png(v->cv->surface, tok + 5, err))
            return false;
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

/* h: the panel collapses to a bar (or comes back); the city keeps its
 * centre and scale, so the map only gains room. */
static void toggle_panel(View *v)
{
    v->panel_hidden = !v->panel_hidden;
    view_layout(v);
}

/* Applies one input event; returns false when the user quits. */
static bool handle_event(View *v, const SDL_Event *e, bool *step_once, bool *dragging, bool *resized)
{
    switch (e->type) {
    case SDL_QUIT:
        return false;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
            *resized = true;
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
            if (e->button.x < v->map_x + v->map_w && e->button.y < v->map_y + v->map_h)
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
        double pan = 0.1 * v->map_w / v->scale;
        if (k == SDLK_q || k == SDLK_ESCAPE)
            return false;
        if (k == SDLK_SPACE)
            v->paused = !v->paused;
        else if (k == SDLK_PERIOD || k == SDLK_n)
            *step_once = true, v->paused = true;
        else if (k == SDLK_PLUS || k == SDLK_EQUALS || k == SDLK_KP_PLUS)
            zoom_at(v, 1.25, v->map_x + v->map_w / 2, v->map_y + v->map_h / 2);
        else if (k == SDLK_MINUS || k == SDLK_KP_MINUS)
            zoom_at(v, 0.8, v->map_x + v->map_w / 2, v->map_y + v->map_h / 2);
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
        else if (k == SDLK_w)
            v->people_by_waiting = !v->people_by_waiting;
        else if (k == SDLK_h)
            toggle_panel(v);
        else if (k == SDLK_o)
            v->hide_operator = !v->hide_operator;
        else if (k == SDLK_SLASH || k == SDLK_QUESTION || k == SDLK_F1)
            v->show_keys = !v->show_keys;
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
                v->layer_on[i] = !v->layer_on[i];
        break;
    }
    default:
        break;
    }
    return true;
}

/* ---- the window ------------------------------------------------------------ */

/* The window shows the canvas; a resized window gets a canvas of its new
 * size (the camera, the selection and the charts stay). */
static bool resize_canvas(SDL_Window *win, View *v, CityError *err)
{
    int w, h;
    SDL_GetWindowSize(win, &w, &h);
    if (w == v->width && h == v->height)
        return true;
    if (!city_view_size_valid(w, h))
        return true; /* keep drawing at the old size until it is usable */
    ViewCanvas *cv = view_canvas_create(w, h, err);
    if (!cv)
        return false;
    view_canvas_free(v->cv);
    v->cv = cv;
    v->r = cv->r;
    v->width = w;
    v->height = h;
    view_layout(v);
    return true;
}

static void show_canvas(SDL_Window *win, const View *v)
{
    SDL_Surface *screen = SDL_GetWindowSurface(win);
    if (!screen)
        return;
    SDL_BlitSurface(v->cv->surface, NULL, screen, NULL);
    SDL_UpdateWindowSurface(win);
}

/* Run controls live in the title bar, so the picture is the screenshot's. */
static void update_title(SDL_Window *win, const View *v)
{
    char title[256], want[48], got[48] = "";
    double sp = view_speeds[v->speed];
    snprintf(want, sizeof want, isinf(sp) ? "as fast as possible" : "x%g", sp);
    if (!v->paused && v->speedup > 0) /* measured over the last half second */
        snprintf(got, sizeof got, ", running at x%.*f", v->speedup < 10 ? 1 : 0, v->speedup);
    snprintf(title, sizeof title, "citylab: %s  %s  speed %s%s", city_scenario_name(v->sc), v->paused ? "PAUSED" : "",
             want, got);
    if (strcmp(title, SDL_GetWindowTitle(win)) != 0)
        SDL_SetWindowTitle(win, title);
}

static int open_window(const CityViewOptions *options, SDL_Window **win, ViewCanvas **cv)
{
    int width = options->width > 0 ? options->width : CITY_VIEW_DEFAULT_WIDTH_PX;
    int height = options->height > 0 ? options->height : CITY_VIEW_DEFAULT_HEIGHT_PX;
    CityError err = {CITY_OK, ""};
    if (city_view_display_check(&err) != CITY_OK) {
        fprintf(stderr, "citylab view: %s\n", err.msg);
        return 2;
    }
    /* the canvas goes straight to the display's own framebuffer (X11: shared
     * memory), not through an OpenGL texture, which without a GPU costs more
     * than the drawing */
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    *win = SDL_CreateWindow("citylab", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, width, height,
                            SDL_WINDOW_RESIZABLE);
    *cv = *win ? view_canvas_create(width, height, &err) : NULL;
    if (!*win || !*cv) {
        fprintf(stderr, "citylab view: %s\n", err.msg[0] ? err.msg : "cannot open a window on this display");
        if (*win)
            SDL_DestroyWindow(*win);
        TTF_Quit();
        SDL_Quit();
        return 2;
    }
    return 0;
}

/* Steps the scenario for one frame: as much simulated time as the speed
 * asks, or as fast as possible within a frame budget. False on an error. */
static bool advance(View *v, const CityViewOptions *options, const Script *script, bool step_once, double real_dt,
                    double freq)
{
    const int64_t end_tick = city_scenario_end_tick(v->sc);
    const double dt_s = city_world_dt_ms(v->world) / 1000.0;
    double speed = view_speeds[v->speed];
    double budget_end = (double)SDL_GetPerformanceCounter() / freq + VIEW_FRAME_BUDGET_S;
    /* A scripted session (--keys) advances a fixed 1/30 s of real time per
     * frame, so "wait:N" covers the same simulated time however loaded the
     * machine is. */
    const double frame_dt = options->script_keys ? 1.0 / 30.0 : real_dt;
    if (!step_once)
        v->sim_debt_s = isinf(speed) ? INFINITY : fmin(v->sim_debt_s + frame_dt * speed, VIEW_MAX_SIM_DEBT_S);
    int64_t steps = 0;
    /* a scripted until:T stops on the tick of T, however fast it runs */
    const int64_t hold_tick = script->until_s >= 0 ? city_world_ticks_for(v->world, script->until_s) : INT64_MAX;
    bool ok = true;
    while (city_world_tick(v->world) < end_tick && !city_world_stopped(v->world)) {
        if ((step_once ? steps >= 1 : v->sim_debt_s < dt_s) || city_world_tick(v->world) >= hold_tick)
            break;
        if (city_scenario_step(v->sc) != CITY_OK) {
            fprintf(stderr, "citylab view: %s\n", city_world_error(v->world));
            ok = false;
            break;
        }
        steps++;
        if (!isinf(v->sim_debt_s))
            v->sim_debt_s -= dt_s;
        city_view_charts_sample(&v->charts, v->world);
        CityError err;
        if (options->frames && city_view_frames_step(options->frames, v->sc, &err) != CITY_OK) {
            fprintf(stderr, "citylab view: %s\n", err.msg);
            ok = false;
            break;
        }
        if (!step_once && (double)SDL_GetPerformanceCounter() / freq > budget_end)
            break;
    }
    if (isinf(v->sim_debt_s))
        v->sim_debt_s = 0;
    return ok;
}

/* ---- the loop ------------------------------------------------------------ */

int city_view_run(CityScenario *scenario, const CityViewOptions *options)
{
    SDL_Window *win;
    ViewCanvas *cv;
    int rc = open_window(options, &win, &cv);
    if (rc != 0)
        return rc;
    CityError err = {CITY_OK, ""};
    View v;
    view_init(&v, scenario, cv);
    city_view_charts_sample(&v.charts, v.world);
    if (options->frames && city_view_frames_step(options->frames, scenario, &err) != CITY_OK) {
        fprintf(stderr, "citylab view: %s\n", err.msg);
        rc = 2;
    }
    Script script = {options->script_keys, 0, false, -1, false, 0};
    const int64_t end_tick = city_scenario_end_tick(scenario);
    bool running = rc == 0, dragging = false;
    Uint64 last = SDL_GetPerformanceCounter();
    const double freq = (double)SDL_GetPerformanceFrequency();
    double sim_window = 0, real_window = 0;
    while (running) {
        bool step_once = false, resized = false;
        bool at_end = city_world_tick(v.world) >= end_tick || city_world_stopped(v.world);
        if (!script_next(&script, &v, at_end, &err)) {
            fprintf(stderr, "citylab view: %s\n", err.msg);
            rc = 2;
            break;
        }
        SDL_Event e;
        while (SDL_PollEvent(&e))
            if (!handle_event(&v, &e, &step_once, &dragging, &resized))
                running = false;
        if (resized && !resize_canvas(win, &v, &err)) {
            fprintf(stderr, "citylab view: %s\n", err.msg);
            rc = 2;
            break;
        }
        Uint64 now = SDL_GetPerformanceCounter();
        double real_dt = (double)(now - last) / freq;
        last = now;
        double sim_before = city_world_time_s(v.world);
        if ((!v.paused || step_once) && !advance(&v, options, &script, step_once, real_dt, freq)) {
            rc = 2;
            running = false;
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
        view_render(&v);
        show_canvas(win, &v);
        update_title(win, &v);
        /* at most about 60 frames a second when a person watches */
        double spent = (double)(SDL_GetPerformanceCounter() - now) / freq;
        if (!options->script_keys && spent < 1.0 / 60)
            SDL_Delay((Uint32)((1.0 / 60 - spent) * 1000));
    }
    if (script.measure && v.frames > 1 && v.frame_real_s > 0) {
        size_t nveh = city_road_of(v.world) ? city_road_vehicle_count(city_road_of(v.world)) : 0;
        double cpu_ms = 1000.0 * (double)(clock() - script.cpu0) / CLOCKS_PER_SEC / (double)v.frames;
        fprintf(stderr,
                "view: %lld frames in %.2f s: %.1f fps (slowest frame %.1f ms), %.1f ms of CPU per frame "
                "(%.0f fps on a free core), sim x%.2f real time, %zu vehicles\n",
                (long long)v.frames, v.frame_real_s, (double)v.frames / v.frame_real_s, 1000 * v.worst_frame_s, cpu_ms,
                cpu_ms > 0 ? 1000 / cpu_ms : 0.0, v.frame_sim_s / v.frame_real_s, nveh);
    }
    view_canvas_free(v.cv);
    view_free(&v);
    SDL_DestroyWindow(win);
    TTF_Quit();
    SDL_Quit();
    return rc;
}
