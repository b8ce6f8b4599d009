/* The citylab subcommands and the option parsing they share. */
#ifndef CITY_COMMANDS_H
#define CITY_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "city_command.h"
#include "city_output.h"
#include "city_scenario.h"

/* Options common to `run` and `view`. */
/* Credentials and TLS files of the run's broker connection (--bridge); NULL: not given. */
typedef struct CityBridgeAuth {
    const char *user;     /* MQTT username */
    const char *password; /* MQTT password (needs user) */
    const char *cafile;   /* mqtts://: the broker's CA certificate (PEM) */
    const char *cert;     /* mqtts://: a client certificate (PEM, with key) */
    const char *key;      /* its private key (PEM) */
} CityBridgeAuth;

typedef struct CityCliOptions {
    CityScenarioOptions scenario; /* what to load and how (seed, dt, until, limits) */
    const char *scenario_path;    /* positional SCENARIO.lua, or NULL */
    const char *net_path;         /* --net FILE.net.xml */
    const char *routes_path;      /* --routes FILE.rou.xml (comma-separated list allowed) */
    const char *out_dir;          /* --out DIR, or NULL for out/<scenario>-<seed>/ */
    const char *screenshot_path;  /* --screenshot FILE.png */
    double screenshot_at_s;       /* --at SECONDS (default: the end) */
    const char *frames_dir;       /* --frames DIR: a time-lapse PNG every --every seconds */
    double frames_every_s;        /* --every SECONDS (default 60) */
    int width, height;            /* --size WxH for screenshots and the window */
    bool quiet;                   /* --quiet: no progress line */
    size_t mem_limit_bytes;       /* --mem-mb: cap on the run's C heap (0: the default) */
    const char *script_keys;      /* --keys SCRIPT: scripted viewer input */
    const char *replay_path;      /* --replay EVENTS.csv: operator commands to apply again */
    const char *save_state_path;  /* --save-state FILE: checkpoint at --at (default: the end) */
    const char *restore_path;     /* --restore FILE: continue a checkpointed run */
    bool seed_given;              /* --seed was on the command line (with --restore: a fork) */
    char net_name[256];           /* run name for --net: the network file's stem */
    double time_to_teleport_s;    /* --time-to-teleport S for --net (when set) */
    bool time_to_teleport_set;
    const char *bridge_url;     /* --bridge mqtt://HOST:PORT: bridged controllers run by citylab-agent */
    const char *bridge_site;    /* --site NAME: the topic level of the run (default "lab") */
    int bridge_timeout_ms;      /* --bridge-timeout-ms: wait for an agent's done this long (default 10000) */
    CityBridgeAuth bridge_auth; /* --bridge-user, --bridge-password, --bridge-cafile, --bridge-cert, --bridge-key */
    const char **params;        /* --param NAME=VALUE strings (array owned, strings in argv) */
    size_t cap_params;          /* entries allocated in params */
} CityCliOptions;

/* Parses argv[first..] into o. Returns 0 on success, 2 after printing one
 * clear error line, or 1 when --help was printed (exit 0). */
int city_cli_parse(int argc, char **argv, int first, const char *command, CityCliOptions *o);
void city_cli_options_free(CityCliOptions *o);
/* Evaluates the checks of a --net run (no_gridlock, demand_served) at its end. */
CityStatus city_net_checks_report(CityWorld *world);
/* Full path of the default scenario (scenarios/default.lua in the data folder). */
const char *city_cli_default_scenario(void);

int city_cmd_run(int argc, char **argv);
/* `run` with options starting at argv[first] (1 for a bare `citylab ...`). */
int city_cmd_run_from(int argc, char **argv, int first);
int city_cmd_view(int argc, char **argv);
/* Starts a run: loads the scenario, schedules a --replay, opens the
 * outputs. Returns 0, or 2 after printing the error (nothing is left to free).
 * The replay (NULL without --replay) is freed after the scenario. */
/* Ends a run that was stepped by `run` or `view`: finishes the scenario,
 * takes a pending screenshot, commits the outputs and prints the summary.
 * Returns the exit code (0, 1 a check failed, 2 error). Frees nothing. */
int city_run_begin(const CityCliOptions *o, CityScenario **sc, CityOutput **out, CityReplay **replay, double *load_s);
/* loop_cpu_s: process CPU seconds of the simulation loop (< 0: not measured);
 * loop_wall_s: its wall seconds (< 0: the time since loading ended). */
int city_run_conclude(CityScenario *sc, const CityCliOptions *o, CityOutput *out, double t0, double load_s,
                      double loop_cpu_s, double loop_wall_s);
/* Process CPU time (s): what a busy machine does not add to, unlike wall time. */
double city_cpu_now(void);
struct CityViewFrames; /* city_view.h (absent without the viewer) */
/* --frames: prepares the folder and the writer (NULL without --frames);
 * 0 or 2 after printing the error. */
int city_run_frames_begin(const CityCliOptions *o, struct CityViewFrames **frames);
void city_run_frames_end(struct CityViewFrames *frames);
/* Removes the outputs of a run that failed (the destination is untouched)
 * and stops watching for signals; frees out. */
void city_run_abort(CityOutput *out, CityWorld *world);
double city_wall_now(void);
/* Turns on the world's per-subsystem wall-time account for a run (after load). */
void city_run_wall_start(CityWorld *w);
/* Prints the run's wall time and each subsystem's share of it to stdout. */
void city_run_wall_print(const CityWorld *w, double wall_s, double load_s, double loop_s);
/* The run's memory cap (memcap.c): C heap bytes the process may hold,
 * counted by citylab's malloc (0: none). Set once, before the run. */
#define CITY_DEFAULT_MEM_MB 4096u
void city_memcap_set(size_t bytes);
/* "" or " (the memory cap held: ...)" to append to an error line. */
const char *city_memcap_note(void);
/* The choice (NULL-terminated list) nearest to a mistyped word, or NULL
 * when none is close enough to suggest. */
const char *city_cli_nearest(const char *word, const char *const *choices);
int city_cmd_pf(int argc, char **argv);
/* run_state.c: --restore (before and after loading the scenario) and
 * --save-state. Each returns 0 or an exit code after printing the error. */
int city_run_restore_prepare(CityCliOptions *o, CityCheckpointInfo *ck, bool *fork, uint64_t *fork_seed);
int city_run_restore_apply(CityScenario *sc, const CityCliOptions *o, CityOutput *out, bool fork, uint64_t fork_seed);
int city_run_save_state(CityScenario *sc, const CityCliOptions *o, CityOutput *out);
/* bridge.c: the run's MQTT side of `--bridge`. Create before loading the
 * scenario (its interface goes in the scenario options), destroy after the
 * scenario; report prints its counters on stderr. */
typedef struct CityRunBridge CityRunBridge;
/* NULL with err filled when the URL is bad, the broker refuses the
 * credentials or no broker answers in time; auth may be NULL. */
CityRunBridge *city_run_bridge_create(const char *url, const char *site, int timeout_ms, const CityBridgeAuth *auth,
                                      CityError *err);
const struct CityControlBridge *city_run_bridge_iface(const CityRunBridge *b);
void city_run_bridge_destroy(CityRunBridge *b, bool report);
/* citylab sweep SWEEP.lua and citylab collect SWEEP_OUT (exit codes). */
int city_cmd_sweep(int argc, char **argv);
int city_cmd_collect(int argc, char **argv);
/* `citylab report OUT_DIR`: writes OUT_DIR/report.html; exit 0, or 2 for a folder that is not a run. */
int city_cmd_report(int argc, char **argv);

#endif
