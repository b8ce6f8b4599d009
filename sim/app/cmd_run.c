/* citylab run: load a scenario, step it to the end headless, evaluate its
 * checks and write the outputs. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "city_command.h"
#include "city_output.h"
#include "commands.h"
#ifdef CITY_HAVE_VIEWER
#include "city_view.h"
#endif

double city_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double city_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(double t0, const CityWorld *w, int64_t end_tick, bool final)
{
    double wall = city_wall_now() - t0;
    double sim = city_world_time_s(w);
    double end_s = (double)end_tick * city_world_dt_ms(w) / 1000.0;
    double speed = wall > 0 ? sim / wall : 0;
    double eta = speed > 0 ? (end_s - sim) / speed : 0;
    fprintf(stderr, "\r  sim %9.1f / %.0f s   x%-8.1f  ETA %6.1f s ", sim, end_s, speed, eta);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* When stderr is not a terminal (CI logs, pipes): a line per 10% of the
 * simulated time, once the run has taken longer than a few seconds of wall
 * time (CITYLAB_PROGRESS_AFTER seconds, default 3). Only on stderr: never
 * in the outputs, and nothing the simulation reads. */
typedef struct LogProgress {
    double after_s;  /* wall seconds before the first line */
    int last_decile; /* last 10% step printed */
} LogProgress;

static LogProgress log_progress_start(void)
{
    const char *env = getenv("CITYLAB_PROGRESS_AFTER");
    char *end = NULL;
    double after = env ? strtod(env, &end) : 3.0;
    if (!env || end == env || !(after >= 0))
        after = 3.0;
    return (LogProgress){after, 0};
}

static void log_progress(LogProgress *p, double t0, const CityWorld *w, int64_t end_tick)
{
    if (end_tick <= 0)
        return;
    int decile = (int)(city_world_tick(w) * 10 / end_tick);
    if (decile <= p->last_decile)
        return;
    double wall = city_wall_now() - t0;
    if (wall < p->after_s)
        return;
    p->last_decile = decile;
    fprintf(stderr, "citylab: %3d%%  sim %.0f of %.0f s  wall %.1f s\n", decile * 10, city_world_time_s(w),
            (double)end_tick * city_world_dt_ms(w) / 1000.0, wall);
    fflush(stderr);
}

#ifdef CITY_HAVE_VIEWER
/* The HUD charts of a headless run that takes a screenshot (one run per
 * process), sampled after every step so the picture has their history. */
static CityViewCharts *shot_charts;
#endif

static void sample_charts(const CityWorld *w)
{
#ifdef CITY_HAVE_VIEWER
    if (shot_charts)
        city_view_charts_sample(shot_charts, w);
#else
    (void)w;
#endif
}

static void free_charts(void)
{
#ifdef CITY_HAVE_VIEWER
    city_view_charts_free(shot_charts);
    shot_charts = NULL;
#endif
}

static int take_screenshot(CityScenario *sc, const CityCliOptions *o, CityError *err)
{
#ifdef CITY_HAVE_VIEWER
    if (city_view_screenshot(sc, shot_charts, o->screenshot_path, o->width, o->height, err) != CITY_OK)
        return 2;
    return 0;
#else
    (void)sc;
    city_error_set(err, CITY_ERR_INVALID,
                   "%s: this citylab was built without the viewer; rebuild with -DCITY_BUILD_VIEWER=ON",
                   o->screenshot_path);
    return 2;
#endif
}

int city_run_frames_begin(const CityCliOptions *o, struct CityViewFrames **frames)
{
    *frames = NULL;
    if (!o->frames_dir)
        return 0;
#ifdef CITY_HAVE_VIEWER
    CityError ferr;
    if (city_output_frames_dir(o->frames_dir, &ferr) != CITY_OK) {
        fprintf(stderr, "citylab: error: %s\n", ferr.msg);
        return 2;
    }
    *frames = city_view_frames_create(o->frames_dir, o->frames_every_s > 0 ? o->frames_every_s : 60.0, o->width,
                                      o->height, &ferr);
    if (!*frames) {
        fprintf(stderr, "citylab: error: %s\n", ferr.msg);
        return 2;
    }
    return 0;
#else
    fprintf(stderr,
            "citylab: error: --frames %s: this citylab was built without the viewer; rebuild with "
            "-DCITY_BUILD_VIEWER=ON\n",
            o->frames_dir);
    return 2;
#endif
}

void city_run_frames_end(struct CityViewFrames *frames)
{
#ifdef CITY_HAVE_VIEWER
    city_view_frames_free(frames);
#else
    (void)frames;
#endif
}

/* A time-lapse frame when one is due (after loading and after each step). */
static int frames_step(struct CityViewFrames *frames, CityScenario *sc, CityError *err)
{
#ifdef CITY_HAVE_VIEWER
    if (frames && city_view_frames_step(frames, sc, err) != CITY_OK)
        return 2;
#else
    (void)frames, (void)sc, (void)err;
#endif
    return 0;
}

/* One error line, with the memory cap's note (if it held) on that line,
 * before a traceback. */
static void print_error(const char *err)
{
    const char *nl = strchr(err, '\n');
    int len = nl ? (int)(nl - err) : (int)strlen(err);
    fprintf(stderr, "citylab: error: %.*s%s%s\n", len, err, city_memcap_note(), nl ? nl : "");
}

/* The output folder of the run in progress, for the signal handler: a
 * run stopped by SIGINT, SIGTERM or SIGHUP leaves no staging folder. */
static CityOutput *volatile running_out;

static void on_signal(int sig)
{
    city_output_remove_stage_now(running_out);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void watch_signals(CityOutput *out)
{
    running_out = out;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = out ? on_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void city_run_abort(CityOutput *out, CityWorld *world)
{
    watch_signals(NULL);
    city_output_abort(out, world);
}

int city_cmd_run(int argc, char **argv)
{
    return city_cmd_run_from(argc, argv, 2);
}

/* Loads the scenario and opens its output folder; 0 or an exit code. */
int city_run_begin(const CityCliOptions *o, CityScenario **sc, CityOutput **out, CityReplay **replay, double *load_s)
{
    CityError err = {0};
    double t0 = city_wall_now();
    *sc = NULL;
    *out = NULL;
    *replay = NULL;
    city_memcap_set(o->mem_limit_bytes ? o->mem_limit_bytes : (size_t)CITY_DEFAULT_MEM_MB << 20);
    CityStatus st = city_scenario_load(&o->scenario, sc, &err);
    if (st == CITY_OK && o->replay_path)
        if ((st = city_command_replay(city_scenario_world(*sc), o->replay_path, replay)) != CITY_OK)
            city_error_set(&err, CITY_ERR_INVALID, "%s", city_world_error(city_scenario_world(*sc)));
    if (st == CITY_OK) {
        CityWorld *w = city_scenario_world(*sc);
        *load_s = city_wall_now() - t0;
        char out_dir[1024];
        if (o->out_dir)
            snprintf(out_dir, sizeof out_dir, "%s", o->out_dir);
        else
            snprintf(out_dir, sizeof out_dir, "out/%s-%llu", city_scenario_name(*sc),
                     (unsigned long long)city_world_seed(w));
        /* from the staging folder's creation on, a signal removes it */
        sigset_t block, saved;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigprocmask(SIG_BLOCK, &block, &saved);
        if ((st = city_output_begin(out_dir, out, &err)) == CITY_OK)
            watch_signals(*out);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        if (st == CITY_OK)
            st = city_output_attach_log(*out, w, &err);
        if (st == CITY_OK)
            st = city_output_attach_readings(*out, w, &err);
    }
    if (st == CITY_OK)
        return 0;
    print_error(err.msg[0] ? err.msg : city_status_name(st));
    city_run_abort(*out, *sc ? city_scenario_world(*sc) : NULL);
    *out = NULL;
    city_scenario_destroy(*sc);
    *sc = NULL;
    city_replay_free(*replay);
    *replay = NULL;
    return 2;
}

int city_run_conclude(CityScenario *sc, const CityCliOptions *o, CityOutput *out, double t0, double load_s,
                      double loop_cpu_s, double loop_wall_s)
{
    CityError err = {0};
    CityWorld *w = city_scenario_world(sc);
    /* the loop ends here: what follows (checks, the domains' end of run,
     * the outputs) is timed apart, as SUMO's UPS leaves out its own */
    double loop_s = loop_wall_s >= 0 ? loop_wall_s : city_wall_now() - t0 - load_s;
    CityStatus st = o->net_path ? city_net_checks_report(w) : CITY_OK;
    if (st == CITY_OK)
        st = city_scenario_finish(sc);
    if (st != CITY_OK)
        city_error_set(&err, CITY_ERR_INVALID, "%s", city_world_error(w));
    if (st == CITY_OK && o->screenshot_path && o->screenshot_at_s < 0 && take_screenshot(sc, o, &err) != 0)
        st = CITY_ERR_INVALID;
    if (st != CITY_OK) {
        print_error(err.msg[0] ? err.msg : city_status_name(st));
        city_run_abort(out, w);
        return 2;
    }
    char out_dir[1024];
    snprintf(out_dir, sizeof out_dir, "%s", city_output_dir(out));
    watch_signals(NULL); /* the commit blocks signals itself and frees out */
    CityRunParam params[64];
    size_t n_params = 0;
    while (n_params < 64 && city_scenario_param_at(sc, n_params, &params[n_params].name, &params[n_params].value,
                                                   &params[n_params].literal))
        n_params++;
    CityRunInfo info = {
        city_scenario_name(sc), CITY_VERSION, city_wall_now() - t0, load_s, params, n_params, loop_cpu_s, loop_s};
    if ((st = city_output_commit(out, w, &info, &err)) != CITY_OK) {
        print_error(err.msg[0] ? err.msg : city_status_name(st));
        return 2;
    }
    bool pass = city_world_checks_pass(w);
    printf("scenario   %s (seed %llu, dt %d ms)\n", city_scenario_name(sc), (unsigned long long)city_world_seed(w),
           (int)city_world_dt_ms(w));
    printf("sim time   %.1f s in %.2f s wall\n", city_world_time_s(w), info.wall_time_s);
    printf("state_hash %016llx\n", (unsigned long long)city_world_hash(w));
    for (size_t i = 0; i < city_world_check_count(w); i++) {
        const CityCheck *c = city_world_check_at(w, i);
        const char *verdict = c->not_reached ? "--" : c->evaluated && c->pass ? "ok" : "FAIL";
        printf("check      %-4s %s%s%s\n", verdict, c->name, c->message[0] ? ": " : "", c->message);
    }
    printf("outputs    %s/\n", out_dir);
    city_run_wall_print(w, info.wall_time_s, load_s, loop_s);
    double teleports = 0, aborted = 0;
    city_world_kpi_get(w, "teleports", &teleports);
    city_world_kpi_get(w, "trips_aborted", &aborted);
    if (teleports > 0 || aborted > 0)
        fprintf(stderr,
                "citylab: %.0f vehicles teleported (stood longer than the time to teleport), %.0f trips aborted "
                "(destination unreachable from their lane); see events.csv\n",
                teleports, aborted);
    return pass ? 0 : 1;
}

/* The run itself, once the options are parsed (and the bridge is up). */
static int run_parsed(CityCliOptions *o)
{
    int rc;
    double t0 = city_wall_now(), load_s = 0;
    CityScenario *sc;
    CityOutput *out;
    CityReplay *replay;
    CityCheckpointInfo ck = {0};
    bool fork = false;
    uint64_t fork_seed = 0;
    if ((o->restore_path && (rc = city_run_restore_prepare(o, &ck, &fork, &fork_seed)) != 0) ||
        (rc = city_run_begin(o, &sc, &out, &replay, &load_s)) != 0) {
        city_checkpoint_info_free(&ck);
        city_cli_options_free(o);
        return rc;
    }
    if (o->restore_path && city_run_restore_apply(sc, o, out, fork, fork_seed) != 0) {
        city_checkpoint_info_free(&ck);
        city_run_abort(out, city_scenario_world(sc));
        city_scenario_destroy(sc);
        city_replay_free(replay);
        city_cli_options_free(o);
        return 2;
    }
    city_checkpoint_info_free(&ck);
    CityError err = {0};
    CityWorld *w = city_scenario_world(sc);
    city_run_wall_start(w);
    struct CityViewFrames *frames = NULL;
    const int64_t end_tick = city_scenario_end_tick(sc);
    const int64_t shot_tick =
        o->screenshot_path && o->screenshot_at_s >= 0 ? city_world_ticks_for(w, o->screenshot_at_s) : -1;
    const bool show = !o->quiet && isatty(STDERR_FILENO);
    const bool log_lines = !o->quiet && !show;
    LogProgress lp = log_progress_start();
    int64_t save_tick = !o->save_state_path       ? -1
                        : o->screenshot_at_s >= 0 ? city_world_ticks_for(w, o->screenshot_at_s)
                                                  : end_tick;
    if (save_tick >= 0 && save_tick < city_world_tick(w)) {
        city_error_set(&err, CITY_ERR_INVALID, "--at %.1f s is before the restored run's time (%.1f s)",
                       o->screenshot_at_s, city_world_time_s(w));
        goto fail;
    }
    double last_print = t0;
#ifdef CITY_HAVE_VIEWER
    if (o->screenshot_path && !(shot_charts = city_view_charts_create())) {
        city_error_set(&err, CITY_ERR_INVALID, "out of memory");
        goto fail;
    }
#endif
    sample_charts(w);
    if (city_run_frames_begin(o, &frames) != 0)
        goto failed;
    if (frames_step(frames, sc, &err) != 0)
        goto fail;
    /* the loop's own time: the output folder made after loading is not in
     * it (SUMO opens its outputs before its Duration starts) */
    const double cpu0 = city_cpu_now(), wall0 = city_wall_now();
    while (city_world_tick(w) < end_tick && !city_world_stopped(w)) {
        if (shot_tick >= 0 && city_world_tick(w) == shot_tick && take_screenshot(sc, o, &err) != 0)
            goto fail;
        if (city_world_tick(w) == save_tick && city_run_save_state(sc, o, out) != 0)
            goto failed;
        if (city_scenario_step(sc) != CITY_OK) {
            city_error_set(&err, CITY_ERR_INVALID, "%s", city_world_error(w));
            goto fail;
        }
        sample_charts(w);
        if (frames_step(frames, sc, &err) != 0)
            goto fail;
        if (log_lines)
            log_progress(&lp, t0, w, end_tick);
        if (show && (city_world_tick(w) & 63) == 0) {
            double now = city_wall_now();
            if (now - last_print > 0.25) {
                progress(t0, w, end_tick, false);
                last_print = now;
            }
        }
    }
    const double loop_cpu_s = city_cpu_now() - cpu0, loop_wall_s = city_wall_now() - wall0;
    if (show)
        progress(t0, w, end_tick, true);
    if (save_tick >= city_world_tick(w)) {
        if (save_tick > city_world_tick(w)) {
            city_error_set(&err, CITY_ERR_INVALID,
                           "--at %.1f s is after the end of the run (%.1f s); nothing was saved", o->screenshot_at_s,
                           city_world_time_s(w));
            goto fail;
        }
        if (city_run_save_state(sc, o, out) != 0)
            goto failed;
    }
    /* a screenshot asked for at (or after) the end */
    if (shot_tick >= city_world_tick(w) && take_screenshot(sc, o, &err) != 0)
        goto fail;
    rc = city_run_conclude(sc, o, out, t0, load_s, loop_cpu_s, loop_wall_s);
    city_run_frames_end(frames);
    city_scenario_destroy(sc);
    city_replay_free(replay);
    city_cli_options_free(o);
    free_charts();
    return rc;

fail:
    print_error(err.msg);
failed:
    city_run_frames_end(frames);
    city_run_abort(out, w);
    city_scenario_destroy(sc);
    city_replay_free(replay);
    city_cli_options_free(o);
    free_charts();
    return 2;
}

int city_cmd_run_from(int argc, char **argv, int first)
{
    CityCliOptions o;
    int rc = city_cli_parse(argc, argv, first, "run", &o);
    if (rc != 0) {
        city_cli_options_free(&o);
        return rc == 1 ? 0 : rc;
    }
    CityRunBridge *bridge = NULL;
    if (o.bridge_url) {
        CityError err = {0};
        bridge = city_run_bridge_create(o.bridge_url, o.bridge_site ? o.bridge_site : "lab",
                                        o.bridge_timeout_ms ? o.bridge_timeout_ms : 10000, &o.bridge_auth, &err);
        if (!bridge) {
            fprintf(stderr, "citylab: error: --bridge: %s\n", err.msg);
            city_cli_options_free(&o);
            return 2;
        }
        o.scenario.bridge = city_run_bridge_iface(bridge);
    }
    rc = run_parsed(&o);
    city_run_bridge_destroy(bridge, true);
    return rc;
}
