/* The viewer: offscreen screenshots are valid PNGs of the requested size
 * with a real picture in them; under Xvfb the window opens, renders,
 * obeys scripted keys and quits; a viewed run ends with the same state
 * hash as a headless run of the same scenario and seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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

#include "test_support.h"

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
    char *text = city_test_read_file(CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", NULL);
    assert_non_null(text);
    assert_true(city_test_write_file(net, text));
    free(text);
    return path;
}

/* Reads a PNG; returns its size and whether it holds more than one colour. */
static void read_png(const char *path, int *w, int *h, int *colours_seen)
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
    png_set_strip_16(png);
    png_set_expand(png);
    png_read_update_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    unsigned char *row = malloc(rowbytes);
    unsigned char first[4] = {0};
    int distinct = 1;
    int channels = png_get_channels(png, info);
    for (int y = 0; y < *h; y++) {
        png_read_row(png, row, NULL);
        for (int x = 0; x < *w; x++) {
            unsigned char *p = row + (size_t)x * (size_t)channels;
            if (x == 0 && y == 0)
                memcpy(first, p, (size_t)(channels < 4 ? channels : 4));
            else if (memcmp(first, p, (size_t)(channels < 4 ? channels : 4)) != 0)
                distinct = 2;
        }
    }
    *colours_seen = distinct;
    free(row);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
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
        "--size", "800x500", "--keys", "until:60,click:400:150,x,wait:20,click:300:250,x,wait:10,x,end,q",
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
        cmocka_unit_test(test_window_renders_and_quits),
        cmocka_unit_test(test_view_matches_headless),
        cmocka_unit_test(test_session_replays),
    };
    return cmocka_run_group_tests(tests, start_xvfb, stop_xvfb);
}
