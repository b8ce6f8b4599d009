/* The viewer: offscreen screenshots are valid PNGs of the requested size
 * with a real picture in them; under Xvfb the window opens, renders,
 * obeys scripted keys and quits; a viewed run ends with the same state
 * hash as a headless run of the same scenario and seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "city_control.h"
#include "city_road.h"
#include "test_support.h"
#include "view_internal.h"

/* A small scenario: a 3x3 signalised grid with traffic and the map. */
static const char *scenario_text = "city.config{ until_s = 300, dt_ms = 500 }\n"
                                   "city.road.load_sumo{ net = 'grid3.net.xml' }\n"
                                   "for i, e in ipairs({ {'A0A1', 'A1A2'}, {'B0B1', 'B1B2'}, {'A1B1', 'B1C1'} }) do\n"
                                   "  city.road.flow{ id = 'f' .. i, from = e[1], to = e[2], rate = 600 }\n"
                                   "end\n";

static const char *write_scenario(void)
{
    static char path[512];
    const char *dir = city_test_scratch("view_scn");
    snprintf(path, sizeof path, "%s/grid.lua", dir);
    assert_true(city_test_write_file(path, scenario_text));
    char net[512];
    snprintf(net, sizeof net, "%s/grid3.net.xml", dir);
    city_test_copy_file(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", net);
    return path;
}

/* A PNG's pixels as RGB rows (owned by the caller). */
static unsigned char *load_rgb(const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("%s is not a valid PNG", path);
    png_init_io(png, f);
    png_read_info(png, info);
    *w = (int)png_get_image_width(png, info);
    *h = (int)png_get_image_height(png, info);
    assert_int_equal(png_get_color_type(png, info), PNG_COLOR_TYPE_RGB);
    png_read_update_info(png, info);
    unsigned char *px = malloc((size_t)*w * (size_t)*h * 3);
    assert_non_null(px);
    for (int y = 0; y < *h; y++)
        png_read_row(png, px + (size_t)y * (size_t)*w * 3, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return px;
}

static bool pixel_is(const unsigned char *px, int w, int x, int y, int r, int g, int b)
{
    const unsigned char *p = px + ((size_t)y * (size_t)w + (size_t)x) * 3;
    return p[0] == r && p[1] == g && p[2] == b;
}

/* Pixels of exactly this colour in the box [x0, x1) x [y0, y1). */
static int count_colour(const unsigned char *px, int w, int x0, int y0, int x1, int y1, int r, int g, int b)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += pixel_is(px, w, x, y, r, g, b);
    return n;
}

/* Reads a PNG; returns its size and whether it holds more than one colour. */
static void read_png(const char *path, int *w, int *h, int *colours_seen)
{
    unsigned char *px = load_rgb(path, w, h);
    *colours_seen = 1;
    for (size_t k = 1; k < (size_t)*w * (size_t)*h && *colours_seen == 1; k++)
        if (memcmp(px, px + 3 * k, 3) != 0)
            *colours_seen = 2;
    free(px);
}

static void test_screenshot(void **state)
{
    (void)state;
    const char *scn = write_scenario();
    char png[600], out[600];
    snprintf(png, sizeof png, "%s/shot.png", city_test_scratch("view_shot"));
    snprintf(out, sizeof out, "%s/out", city_test_scratch("view_shot_out"));
    const char *args[] = {"run",    scn,       "--screenshot", png, "--at",    "120",
                          "--size", "640x400", "--out",        out, "--quiet", NULL};
    CityTestRun r = city_test_run(args, 120);
    if (r.exit_code != 0)
        fail_msg("screenshot run exit %d: %s", r.exit_code, r.err);
    int w, h, colours;
    read_png(png, &w, &h, &colours);
    assert_int_equal(w, 640);
    assert_int_equal(h, 400);
    assert_int_equal(colours, 2);
    city_test_run_free(&r);
}

/* Same scenario, same seed, same time: the same PNG, byte for byte. The
 * picture is laid out as documented: the panel takes the right margin
 * (its edge line at x = 1280 - 340 at 1280x800), the city keeps the rest,
 * and the vehicle-speed legend bar is in the panel. */
static void test_screenshot_same_bytes_and_layout(void **state)
{
    (void)state;
    const char *scn = write_scenario();
    char png[2][600];
    char *bytes[2];
    size_t len[2];
    for (int i = 0; i < 2; i++) {
        char out[600];
        snprintf(png[i], sizeof png[i], "%s/shot.png", city_test_scratch(i ? "view_same_b" : "view_same_a"));
        snprintf(out, sizeof out, "%s/out", city_test_scratch(i ? "view_same_b_out" : "view_same_a_out"));
        const char *args[] = {"run",  scn,   "--seed", "5", "--screenshot", png[i],
                              "--at", "150", "--out",  out, "--quiet",      NULL};
        CityTestRun r = city_test_run(args, 120);
        if (r.exit_code != 0)
            fail_msg("screenshot run exit %d: %s", r.exit_code, r.err);
        city_test_run_free(&r);
        bytes[i] = city_test_read_file(png[i], &len[i]);
        assert_non_null(bytes[i]);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(bytes[0], bytes[1], len[0]);
    free(bytes[0]);
    free(bytes[1]);
    int w, h;
    unsigned char *px = load_rgb(png[0], &w, &h);
    assert_int_equal(w, CITY_VIEW_DEFAULT_WIDTH_PX);
    const int panel_x = 1280 - 340;
    for (int y = 0; y < h; y += 50) {
        assert_true(pixel_is(px, w, panel_x, y, 96, 104, 128));    /* the panel's edge */
        assert_true(pixel_is(px, w, panel_x - 1, y, 16, 18, 24) || /* the map's background, or the city on it */
                    !pixel_is(px, w, panel_x - 1, y, 24, 26, 33));
    }
    /* the first step of the vehicle-speed legend: view_speed_color(0.5 / 48, 60) */
    SDL_Color c = view_speed_color(0.5 / 48, 60);
    int in_panel = count_colour(px, w, panel_x, 0, w, h, c.r, c.g, c.b);
    assert_true(in_panel >= 6 * 8); /* a bar segment: 1/48 of the legend's width, 8 px high */
    free(px);
}

/* --frames DIR --every S: a PNG at t = 0, S, 2S, ... named by time / S;
 * a folder citylab did not write is refused with one line and exit 2; a
 * second time-lapse into citylab's folder replaces the first one's frames. */
static void test_frames(void **state)
{
    (void)state;
    const char *scn = write_scenario();
    char frames[600], out[600], path[700];
    snprintf(frames, sizeof frames, "%s/lapse", city_test_scratch("view_frames"));
    snprintf(out, sizeof out, "%s/out", city_test_scratch("view_frames_out"));
    const char *a1[] = {"run", scn,      "--until", "300",   "--frames", frames,    "--every",
                        "60",  "--size", "320x200", "--out", out,        "--quiet", NULL};
    CityTestRun r = city_test_run(a1, 120);
    if (r.exit_code != 0)
        fail_msg("frames run exit %d: %s", r.exit_code, r.err);
    city_test_run_free(&r);
    /* 0, 60, ..., 300 s: six frames and the marker */
    assert_int_equal(city_test_count_entries(frames), 6 + 1);
    for (int k = 0; k <= 5; k++) {
        snprintf(path, sizeof path, "%s/frame-%06d.png", frames, k);
        int w, h, colours;
        read_png(path, &w, &h, &colours);
        assert_int_equal(w, 320);
        assert_int_equal(h, 200);
        assert_int_equal(colours, 2);
    }
    const char *a2[] = {"run", scn,      "--until", "200",   "--frames", frames,    "--every",
                        "100", "--size", "320x200", "--out", out,        "--quiet", NULL};
    r = city_test_run(a2, 120);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    assert_int_equal(city_test_count_entries(frames), 3 + 1);
    snprintf(path, sizeof path, "%s/frame-000002.png", frames);
    assert_true(city_test_exists(path));
    snprintf(path, sizeof path, "%s/frame-000003.png", frames);
    assert_false(city_test_exists(path));

    char mine[600];
    snprintf(mine, sizeof mine, "%s", city_test_scratch("view_frames_mine"));
    snprintf(path, sizeof path, "%s/notes.txt", mine);
    assert_true(city_test_write_file(path, "mine\n"));
    const char *a3[] = {"run", scn, "--until", "60", "--frames", mine, "--out", out, "--quiet", NULL};
    r = city_test_run(a3, 120);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--frames"));
    assert_null(strchr(r.err, '\n') == r.err + strlen(r.err) - 1 ? NULL : "more than one line");
    city_test_run_free(&r);
    assert_int_equal(city_test_count_entries(mine), 1); /* untouched */
}

/* No display: one line that says what to do, exit 2, no SDL details. */
static void test_no_display(void **state)
{
    (void)state;
    const char *scn = write_scenario();
    char *saved = getenv("DISPLAY") ? strdup(getenv("DISPLAY")) : NULL;
    char *saved_wl = getenv("WAYLAND_DISPLAY") ? strdup(getenv("WAYLAND_DISPLAY")) : NULL;
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    char out[600];
    snprintf(out, sizeof out, "%s/out", city_test_scratch("view_nodisplay"));
    const char *args[] = {"view", scn, "--out", out, NULL};
    CityTestRun r = city_test_run(args, 120);
    if (saved)
        setenv("DISPLAY", saved, 1);
    if (saved_wl)
        setenv("WAYLAND_DISPLAY", saved_wl, 1);
    free(saved);
    free(saved_wl);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "citylab view: no display found (DISPLAY is not set)"));
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1); /* one line */
    assert_false(city_test_exists(out));
    city_test_run_free(&r);
}

/* Labels true to the state: the inspector's signal mode follows what the
 * scenario and the control domain did to the light, and the panel's mean
 * speed is the chart's last sample, which is the road's mean at that tick. */
static void test_labels_follow_state(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("view_labels");
    char path[600], net[600];
    snprintf(net, sizeof net, "%s/grid3.net.xml", dir);
    city_test_copy_file(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", net);
    snprintf(path, sizeof path, "%s/labels.lua", dir);
    assert_true(city_test_write_file(path, "city.config{ until_s = 300, dt_ms = 500 }\n"
                                           "city.road.load_sumo{ net = 'grid3.net.xml' }\n"
                                           "city.road.flow{ id = 'f', from = 'A0A1', to = 'A1A2', rate = 600 }\n"
                                           "city.control.actuator{ name = 'sigB1', kind = 'signal', tls = 'B1' }\n"
                                           "city.at(60, function() city.road.signal_mode('A1', 'external') end)\n"));
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = 1;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err;
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    ViewCanvas *cv = view_canvas_create(640, 400, &err);
    assert_non_null(cv);
    View v;
    view_init(&v, sc, cv);
    const CityRoad *road = city_road_of(city_scenario_world(sc));
    const CityRoadNet *net_ = city_road_net(road);
    int32_t a1 = city_road_net_find_tls(net_, "A1"), b1 = city_road_net_find_tls(net_, "B1");
    char mode[160];
    view_signal_mode(&v, a1, mode, sizeof mode);
    assert_string_equal(mode, "fixed-time plan");
    while (city_world_time_s(v.world) < 70) {
        assert_int_equal(city_scenario_step(sc), CITY_OK);
        city_view_charts_sample(&v.charts, v.world);
    }
    view_signal_mode(&v, a1, mode, sizeof mode);
    assert_string_equal(mode, "held phase (set by a command)");
    view_signal_mode(&v, b1, mode, sizeof mode);
    assert_string_equal(mode, "fixed-time plan (sigB1 idle)");
    CityWorld *w = city_scenario_world(sc);
    city_control_failsafe(w, city_actuator_find(city_control_of(w), "sigB1"), "test");
    view_signal_mode(&v, b1, mode, sizeof mode);
    assert_string_equal(mode, "FAIL-SAFE: fixed-time plan (sigB1)");
    /* the inspector on a lane into B1 says so too */
    for (int32_t l = 0; l < net_->n_lanes && v.pick == VIEW_PICK_NONE; l++)
        for (int32_t k = 0; k < net_->lanes[l].out_count; k++)
            if (net_->conns[net_->lanes[l].out_first + k].tls == b1) {
                v.pick = VIEW_PICK_LANE;
                v.pick_id = l;
            }
    char lines[12][160];
    int n = view_inspector_lines(&v, lines, 12);
    bool seen = false;
    for (int i = 0; i < n; i++)
        seen |= strstr(lines[i], "mode: FAIL-SAFE: fixed-time plan (sigB1)") != NULL;
    assert_true(seen);
    /* at t = 70 s (a sample tick) the chart, the panel and the road agree */
    CityRoadStats rs;
    city_road_stats(road, &rs);
    assert_true(rs.running > 0);
    assert_true(fabs(view_mean_speed_kmh(&v) - rs.mean_speed_mps * 3.6) < 1e-12);
    view_free(&v);
    view_canvas_free(cv);
    city_scenario_destroy(sc);
}

/* The sensor layer: a working sensor in its kind's colour, a failed one
 * grey, at their positions; the inspector gives the last reading against
 * the truth fed to it. */
static void test_sensor_layer(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("view_sensors");
    char path[600], net[600];
    snprintf(net, sizeof net, "%s/grid3.net.xml", dir);
    city_test_copy_file(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", net);
    snprintf(path, sizeof path, "%s/sensors.lua", dir);
    assert_true(city_test_write_file(
        path, "city.config{ until_s = 120, dt_ms = 500 }\n"
              "city.road.load_sumo{ net = 'grid3.net.xml' }\n"
              "city.sensor.add{ name = 'ok1', kind = 'manual', quantity = 'temperature', x = 50, y = 50 }\n"
              "city.sensor.add{ name = 'bad1', kind = 'manual', quantity = 'temperature', x = 150, y = 150,\n"
              "                 fault = 'dead', fault_at_s = 20 }\n"
              "city.every(1, function() city.sensor.feed('ok1', 'temperature', 21.5 + city.time() / 100)\n"
              "  city.sensor.feed('bad1', 'temperature', 30) end)\n"));
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = 1;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err;
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    while (city_world_time_s(city_scenario_world(sc)) < 60)
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    ViewCanvas *cv = view_canvas_create(640, 400, &err);
    assert_non_null(cv);
    View v;
    view_init(&v, sc, cv);
    view_render(&v);
    SDL_Surface *surf = cv->surface;
    float sx, sy;
    Uint8 r, g, b;
    view_world_to_screen(&v, 50, 50, &sx, &sy);
    SDL_GetRGB(((Uint32 *)surf->pixels)[(int)sy * surf->pitch / 4 + (int)sx], surf->format, &r, &g, &b);
    assert_int_equal(r, 235); /* manual sensors are light grey-white */
    assert_int_equal(g, 235);
    assert_int_equal(b, 235);
    view_world_to_screen(&v, 150, 150, &sx, &sy);
    SDL_GetRGB(((Uint32 *)surf->pixels)[(int)sy * surf->pitch / 4 + (int)sx], surf->format, &r, &g, &b);
    assert_int_equal(r, 120); /* failed: grey */
    assert_int_equal(g, 120);
    assert_int_equal(b, 125);
    char lines[12][160];
    int n = 0;
    view_sensor_lines(&v, view_pick_sensor(&v, 50, 50, 5), lines, &n, 12);
    assert_int_equal(n, 2);
    assert_non_null(strstr(lines[0], "sensor ok1 (manual)"));
    /* sampled each second, the last at 59 s: 21.5 + 59 / 100, no noise configured */
    assert_non_null(strstr(lines[1], "temperature 22.09 Cel, truth 22.09 (good, t 59 s)"));
    n = 0;
    view_sensor_lines(&v, view_pick_sensor(&v, 150, 150, 5), lines, &n, 12);
    assert_int_equal(n, 3);
    assert_non_null(strstr(lines[2], "FAILED since 20 s (dead)"));
    view_free(&v);
    view_canvas_free(cv);
    city_scenario_destroy(sc);
}

/* ---- under Xvfb ---------------------------------------------------------- */

static pid_t xvfb_pid;
static char display[32];

/* In a sanitizer build, a viewer that opens a real window inherits
 * allocations D-Bus and the X11 client libraries keep for the life of the
 * process; SDL loads and unloads those libraries at run time, so their
 * frames cannot even be named in a suppression list. Leak checking stays on
 * for everything else (the offscreen screenshot above and every other test
 * run the same code without a display); here it is off for the windowed
 * children only. Other sanitizer checks stay on. */
static void quiet_display_leaks(void)
{
    const char *old = getenv("ASAN_OPTIONS");
    char opts[1024];
    snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", old ? old : "", old && *old ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
}

static int start_xvfb(void **state)
{
    (void)state;
    if (access("/usr/bin/Xvfb", X_OK) != 0)
        return 0; /* the tests below skip */
    for (int n = 90 + (int)(getpid() % 50); n < 200; n++) {
        char lock[64];
        snprintf(lock, sizeof lock, "/tmp/.X%d-lock", n);
        if (access(lock, F_OK) == 0)
            continue;
        snprintf(display, sizeof display, ":%d", n);
        xvfb_pid = fork();
        if (xvfb_pid == 0) {
            /* the display server goes with this test, however the test ends */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (!freopen("/dev/null", "w", stderr))
                _exit(127);
            execl("/usr/bin/Xvfb", "Xvfb", display, "-screen", "0", "1024x768x24", "-nolisten", "tcp", (char *)NULL);
            _exit(127);
        }
        char sock[64];
        snprintf(sock, sizeof sock, "/tmp/.X11-unix/X%d", n);
        /* up to a minute: a loaded machine starts Xvfb slowly */
        for (int i = 0; i < 1200 && access(sock, F_OK) != 0 && waitpid(xvfb_pid, NULL, WNOHANG) == 0; i++)
            nanosleep(&(struct timespec){0, 50000000}, NULL);
        if (access(sock, F_OK) == 0) {
            setenv("DISPLAY", display, 1);
            quiet_display_leaks();
            return 0;
        }
        kill(xvfb_pid, SIGTERM);
        waitpid(xvfb_pid, NULL, 0);
        xvfb_pid = 0;
    }
    return 0;
}

static int stop_xvfb(void **state)
{
    (void)state;
    if (xvfb_pid > 0) {
        kill(xvfb_pid, SIGTERM);
        waitpid(xvfb_pid, NULL, 0);
    }
    return 0;
}

static char *hash_of(const char *out_dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/summary.json", out_dir);
    char *s = city_test_read_file(path, NULL);
    assert_non_null(s);
    char *h = strstr(s, "\"state_hash\": \"");
    assert_non_null(h);
    char *v = strndup(h + 15, 16);
    free(s);
    return v;
}

static void test_window_renders_and_quits(void **state)
{
    (void)state;
    if (xvfb_pid <= 0)
        skip();
    const char *scn = write_scenario();
    char out[600], png[600], keys[800];
    snprintf(out, sizeof out, "%s/out", city_test_scratch("view_win"));
    snprintf(png, sizeof png, "%s/frame.png", city_test_scratch("view_frame"));
    snprintf(keys, sizeof keys, "wait:10,space,wait:5,f,c,click:320:200,shot:%s,q", png);
    const char *args[] = {"view", scn, "--keys", keys, "--size", "800x500", "--out", out, NULL};
    CityTestRun r = city_test_run(args, 120);
    int code = r.exit_code;
    if (code != 0)
        print_error("%s\n", r.err);
    city_test_run_free(&r);
    assert_int_equal(code, 0);
    int w, h, colours;
    read_png(png, &w, &h, &colours); /* a frame the window really rendered */
    assert_int_equal(w, 800);
    assert_int_equal(h, 500);
    assert_int_equal(colours, 2);
}

/* One code path: the window's picture at t = 120 s is the PNG of
 * `run --screenshot --at 120`, byte for byte; `h` then gives the city the
 * whole width, the panel a one-line bar at the bottom. */
static void test_window_is_the_screenshot(void **state)
{
    (void)state;
    if (xvfb_pid <= 0)
        skip();
    const char *scn = write_scenario();
    char out[600], win[600], bar[600], shot[600], keys[1600];
    snprintf(out, sizeof out, "%s/out", city_test_scratch("view_one_v"));
    snprintf(win, sizeof win, "%s/win.png", city_test_scratch("view_one_w"));
    snprintf(bar, sizeof bar, "%s/bar.png", city_test_scratch("view_one_b"));
    snprintf(keys, sizeof keys, "until:120,shot:%s,h,wait:1,shot:%s,q", win, bar);
    const char *va[] = {"view", scn, "--seed", "2", "--size", "800x500", "--keys", keys, "--out", out, NULL};
    CityTestRun r = city_test_run(va, 300);
    int code = r.exit_code;
    if (code != 0)
        print_error("%s\n", r.err);
    city_test_run_free(&r);
    assert_int_equal(code, 0);
    snprintf(shot, sizeof shot, "%s/shot.png", city_test_scratch("view_one_s"));
    snprintf(out, sizeof out, "%s/out", city_test_scratch("view_one_h"));
    const char *ha[] = {"run", scn,    "--seed", "2",     "--size", "800x500", "--screenshot",
                        shot,  "--at", "120",    "--out", out,      "--quiet", NULL};
    r = city_test_run(ha, 300);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    size_t la, lb;
    char *a = city_test_read_file(win, &la), *b = city_test_read_file(shot, &lb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
    int w, h;
    unsigned char *px = load_rgb(bar, &w, &h);
    int panel_x = 800 - (int)lround(340 * 0.7); /* ui scale 0.7 at 800x500 */
    int edge = 0;
    for (int y = 0; y < h - 30; y++)
        edge += pixel_is(px, w, panel_x, y, 96, 104, 128);
    assert_int_equal(edge, 0);                                                /* no panel edge */
    assert_int_equal(count_colour(px, w, 0, h - 2, w, h, 24, 26, 33), 2 * w); /* the bar */
    free(px);
}

static void test_view_matches_headless(void **state)
{
    (void)state;
    if (xvfb_pid <= 0)
        skip();
    const char *scn = write_scenario();
    char viewed[600], headless[600];
    snprintf(viewed, sizeof viewed, "%s/out", city_test_scratch("view_same_v"));
    snprintf(headless, sizeof headless, "%s/out", city_test_scratch("view_same_h"));
    const char *va[] = {"view", scn, "--seed", "4", "--keys", "wait:3,space,wait:3,space,end,q", "--out", viewed, NULL};
    CityTestRun r = city_test_run(va, 300);
    int code = r.exit_code;
    if (code != 0)
        print_error("%s\n", r.err);
    city_test_run_free(&r);
    assert_int_equal(code, 0);
    const char *ha[] = {"run", scn, "--seed", "4", "--out", headless, "--quiet", NULL};
    r = city_test_run(ha, 300);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    char *a = hash_of(viewed), *b = hash_of(headless);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* A session replays: lanes closed and reopened from the viewer (click a
 * lane, x) are operator commands in events.csv; `run --replay` applies them
 * at the same ticks and reaches the viewed run's state hash and event log,
 * and a run without them does not. */
static void test_session_replays(void **state)
{
    (void)state;
    if (xvfb_pid <= 0)
        skip();
    const char *scn = write_scenario();
    char viewed[600], replayed[600], plain[600], events[700];
    snprintf(viewed, sizeof viewed, "%s/out", city_test_scratch("view_replay_v"));
    snprintf(replayed, sizeof replayed, "%s/out", city_test_scratch("view_replay_r"));
    snprintf(plain, sizeof plain, "%s/out", city_test_scratch("view_replay_p"));
    snprintf(events, sizeof events, "%s/events.csv", viewed);
    const char *va[] = {
        "view",   scn,       "--seed", "3",
        "--size", "800x500", "--keys", "until:60,click:282:150,x,wait:20,click:150:478,x,wait:10,x,end,q",
        "--out",  viewed,    NULL};
    CityTestRun r = city_test_run(va, 300);
    int code = r.exit_code;
    if (code != 0)
        print_error("%s\n", r.err);
    city_test_run_free(&r);
    assert_int_equal(code, 0);
    char *log_v = city_test_read_file(events, NULL);
    assert_non_null(log_v);
    assert_non_null(strstr(log_v, "60.000,command,close_lane "));
    assert_non_null(strstr(log_v, ",command,open_lane "));

    const char *ra[] = {"run", scn, "--seed", "3", "--replay", events, "--out", replayed, "--quiet", NULL};
    r = city_test_run(ra, 300);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    const char *pa[] = {"run", scn, "--seed", "3", "--out", plain, "--quiet", NULL};
    r = city_test_run(pa, 300);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);

    char *hv = hash_of(viewed), *hr = hash_of(replayed), *hp = hash_of(plain);
    assert_string_equal(hv, hr);
    assert_string_not_equal(hv, hp);
    char path[700];
    snprintf(path, sizeof path, "%s/events.csv", replayed);
    char *log_r = city_test_read_file(path, NULL);
    assert_non_null(log_r);
    assert_string_equal(log_v, log_r);
    free(log_v);
    free(log_r);
    free(hv);
    free(hr);
    free(hp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_screenshot),
        cmocka_unit_test(test_screenshot_same_bytes_and_layout),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_no_display),
        cmocka_unit_test(test_labels_follow_state),
        cmocka_unit_test(test_sensor_layer),
        cmocka_unit_test(test_window_is_the_screenshot),
        cmocka_unit_test(test_window_renders_and_quits),
        cmocka_unit_test(test_view_matches_headless),
        cmocka_unit_test(test_session_replays),
    };
    return cmocka_run_group_tests(tests, start_xvfb, stop_xvfb);
}
