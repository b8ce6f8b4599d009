/* Option parsing shared by `citylab run` and `citylab view`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "city_array.h"
#include "city_paths.h"
#include "city_sumo.h"
#include "city_mqtt.h"
#include "city_net_msg.h"
#include "commands.h"
#include "city_view.h" /* sizes and defaults only: the viewer may be absent */

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static void usage_run(FILE *f, const char *command)
{
    fprintf(f,
            "usage: citylab %s [SCENARIO.lua] [options]\n"
            "       citylab %s --net FILE.net.xml [--routes FILE.rou.xml[,MORE]] [options]\n"
            "\n"
            "Runs a scenario%s. Without SCENARIO.lua and --net, runs the default\n"
            "scenario (%s).\n"
            "\n"
            "options:\n"
            "  --seed N               run seed (default 1); same seed, same city, byte for byte\n"
            "  --until SECONDS        simulated time to stop at (default: the scenario's, else 3600)\n"
            "  --dt MS                tick length in milliseconds (default: the scenario's, else %d)\n"
            "  --out DIR              output folder (default out/<scenario>-<seed>/)\n"
            "  --net FILE.net.xml     run a SUMO network directly\n"
            "  --routes FILES         SUMO demand files (.rou.xml; comma-separated) for --net\n"
            "  --time-to-teleport S   for --net: a vehicle standing S seconds at its lane's front moves on,\n"
            "                         counted (default 300; 0: never)\n"
            "  --param NAME=VALUE     set a parameter the scenario reads with city.param (repeatable)\n"
            "  --lua-instructions N   Lua instruction budget per step (all callbacks in it) (default %llu)\n"
            "  --lua-mem-mb N         Lua memory cap in MiB (default %u)\n"
            "  --mem-mb N             memory cap of the whole run in MiB: networks, demand, vehicles, grids\n"
            "                         and Lua (default %u; peak memory stays under it plus about 64 MiB)\n"
            "  --screenshot FILE.png  render the city to a PNG without a window (run only)\n"
            "  --at SECONDS           when to take the screenshot or the checkpoint (default: at the end)\n"
            "  --frames DIR           a time-lapse: DIR/frame-NNNNNN.png every --every simulated seconds\n"
            "                         (NNNNNN = time / every); DIR must be new or one citylab wrote\n"
            "  --every SECONDS        simulated seconds between --frames pictures (default 60)\n"
            "  --save-state FILE      write a checkpoint of the whole run at --at (the run goes on to its end)\n"
            "  --restore FILE         continue a checkpointed run from where it was saved (its scenario, seed,\n"
            "                         dt and parameters); with --seed N, a fork: every random stream reseeded\n"
            "  --size WxH             screenshot or window size in pixels (default %dx%d)\n"
            "  --replay EVENTS.csv    apply again the operator commands (viewer keys that changed the city)\n"
            "                         logged in an earlier run's events.csv, at the same times\n"
            "  --quiet                no progress line on stderr\n"
            "  --bridge URL           run only: controllers attached with bridge = true run in citylab-agent\n"
            "                         through the MQTT broker at URL (mqtt://HOST:PORT), in lockstep\n"
            "  --bridge-all           with --bridge: every controller runs there\n"
            "  --site NAME            with --bridge: the site's topic level (default lab)\n"
            "  --bridge-timeout-ms MS with --bridge: wait this long for a tick's commands, then count a miss\n"
            "                         (default 10000)\n"
            "  --bridge-user U        with --bridge: the broker's username (--bridge-password P: its password)\n"
            "  --bridge-cafile F      with --bridge mqtts://HOST:PORT (TLS): the broker's CA certificate\n"
            "                         (--bridge-cert F --bridge-key F: a client certificate)\n"
            "  --keys SCRIPT          view only: scripted input, comma-separated: wait:N (frames), end (run\n"
            "                         to the scenario's end), click:X:Y, shot:FILE.png, or a key name\n"
            "                         (space, q, f, c, w, h, 1-7, [, ], x, Left ...); e.g. \"wait:30,end,q\"\n"
            "                         x closes or reopens the selected lane, trips or restores the\n"
            "                         selected power line; h hides or shows the panel, ? lists the keys,\n"
            "                         o folds the operator panel\n"
            "  -h, --help             this help\n"
            "\n"
            "exit codes: 0 all checks passed, 1 a check failed, 2 bad input or error\n",
            command, command, strcmp(command, "view") == 0 ? " in an SDL2 window" : " headless",
            city_cli_default_scenario(), CITY_DEFAULT_DT_MS, (unsigned long long)CITY_LUA_DEFAULT_INSTRUCTIONS,
            CITY_LUA_DEFAULT_MEMORY_MB, CITY_DEFAULT_MEM_MB, CITY_VIEW_DEFAULT_WIDTH_PX, CITY_VIEW_DEFAULT_HEIGHT_PX);
}

const char *city_cli_default_scenario(void)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/scenarios/default.lua", city_data_dir());
    return path;
}

static bool parse_u64(const char *s, unsigned long long *v)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool parse_double(const char *s, double *v)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno == 0 && *end == '\0' && *v == *v;
}

/* Every flag of run and view, for suggestions. */
static const char *const run_flags[] = {"--seed",
                                        "--until",
                                        "--dt",
                                        "--out",
                                        "--net",
                                        "--routes",
                                        "--time-to-teleport",
                                        "--lua-instructions",
                                        "--lua-mem-mb",
                                        "--mem-mb",
                                        "--param",
                                        "--screenshot",
                                        "--at",
                                        "--frames",
                                        "--every",
                                        "--size",
                                        "--replay",
                                        "--quiet",
                                        "--keys",
                                        "--bridge",
                                        "--bridge-all",
                                        "--bridge-timeout-ms",
                                        "--bridge-user",
                                        "--bridge-password",
                                        "--bridge-cafile",
                                        "--bridge-cert",
                                        "--bridge-key",
                                        "--site",
                                        "--help",
                                        NULL};

static int unknown_flag(const char *command, const char *flag)
{
    const char *near = city_cli_nearest(flag, run_flags);
    if (near)
        fprintf(stderr, "citylab %s: unknown option '%s'; did you mean %s? (see citylab %s --help)\n", command, flag,
                near, command);
    else
        fprintf(stderr, "citylab %s: unknown option '%s' (see citylab %s --help)\n", command, flag, command);
    return 2;
}

/* A flag of the other command: --keys drives the window, --screenshot and
 * --at render without one. */
static int not_here(const char *command, const char *flag, const char *other)
{
    fprintf(stderr, "citylab %s: %s applies to citylab %s only; remove it or use citylab %s\n", command, flag, other,
            other);
    return 2;
}

static bool png_name(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcasecmp(path + n - 4, ".png") == 0;
}

static int bad(const char *command, const char *flag, const char *value, const char *want)
{
    fprintf(stderr, "citylab %s: %s '%s' is not valid: expected %s (see citylab %s --help)\n", command, flag,
            value ? value : "", want, command);
    return 2;
}

/* Builds the `--net` city in C: the SUMO network, a road subsystem with
 * default options, and the demand files in the order given. */
static CityStatus build_net(CityWorld *world, void *user)
{
    const CityCliOptions *o = user;
    CityRoadNet *net = NULL;
    CityError load_err;
    CityStatus st = city_sumo_load_net(o->net_path, &net, &load_err);
    if (st != CITY_OK)
        return city_world_fail(world, st, "%s", load_err.msg);
    CityRoadOptions ro;
    city_road_options_defaults(&ro);
    if (o->time_to_teleport_set)
        ro.time_to_teleport_s = o->time_to_teleport_s;
    CityRoad *road;
    if ((st = city_road_create(world, net, &ro, &road)) != CITY_OK) {
        char msg[CITY_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s", city_world_error(world));
        return city_world_fail(world, st, "%s: %s", o->net_path, msg);
    }
    /* a run of SUMO files is checked as SUMO users read its log: nobody
     * stood long enough to be teleported, and every trip ended in time */
    if ((st = city_world_check_declare(world, "no_gridlock")) != CITY_OK ||
        (st = city_world_check_declare(world, "demand_served")) != CITY_OK)
        return st;
    if (!o->routes_path)
        return CITY_OK;
    char *list = city_strdup(o->routes_path), *save = NULL;
    if (!list)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory");
    for (char *file = strtok_r(list, ",", &save); file && st == CITY_OK; file = strtok_r(NULL, ",", &save))
        st = city_sumo_load_routes(road, file);
    free(list);
    return st;
}

CityStatus city_net_checks_report(CityWorld *world)
{
    CityRoad *road = city_road_of(world);
    if (!road)
        return CITY_OK;
    CityRoadStats s;
    city_road_stats(road, &s);
    char msg[256];
    snprintf(msg, sizeof msg, "%llu teleports, %llu gridlock warnings", (unsigned long long)s.teleports,
             (unsigned long long)s.gridlock_warnings);
    CityStatus st = city_world_check_report(world, "no_gridlock", s.teleports == 0 && s.gridlock_warnings == 0, msg);
    if (st != CITY_OK)
        return st;
    snprintf(msg, sizeof msg, "%llu of %llu trips completed, %llu still running, %llu waiting to enter, %llu aborted",
             (unsigned long long)s.arrived, (unsigned long long)s.inserted, (unsigned long long)s.running,
             (unsigned long long)s.waiting_insert, (unsigned long long)s.aborted);
    return city_world_check_report(world, "demand_served", s.running == 0 && s.waiting_insert == 0 && s.aborted == 0,
                                   msg);
}

static int build_net_scenario(CityCliOptions *o)
{
    o->scenario.build = build_net;
    o->scenario.build_user = o;
    /* Name the run after the network file: "grid.net.xml" -> "grid". */
    const char *base = strrchr(o->net_path, '/');
    snprintf(o->net_name, sizeof o->net_name, "%s", base ? base + 1 : o->net_path);
    char *dot = strstr(o->net_name, ".net.xml");
    if (dot)
        *dot = '\0';
    o->scenario.source_name = o->net_name;
    return 0;
}

/* One flag that takes a value (`a` is the flag, `v` its value) into o:
 * 0, or the exit code after printing the one-line error. */
static int parse_flag_value(const char *command, const char *a, const char *v, CityCliOptions *o)
{
    unsigned long long u;
    double d;
    if (!strcmp(a, "--seed")) {
        if (!parse_u64(v, &u))
            return bad(command, a, v, "a whole number >= 0");
        o->scenario.seed = u;
        o->seed_given = true;
    } else if (!strcmp(a, "--save-state")) {
        o->save_state_path = v;
    } else if (!strcmp(a, "--restore")) {
        o->restore_path = v;
    } else if (!strcmp(a, "--until")) {
        if (!parse_double(v, &d) || d < 0 || d > 1e9)
            return bad(command, a, v, "seconds from 0 to 1e9");
        o->scenario.until_s = d;
    } else if (!strcmp(a, "--dt")) {
        if (!parse_u64(v, &u) || u > (unsigned long long)CITY_DT_MS_MAX || !city_dt_ms_valid((int64_t)u)) {
            char want[64];
            snprintf(want, sizeof want, "milliseconds from %d to %d", CITY_DT_MS_MIN, CITY_DT_MS_MAX);
            return bad(command, a, v, want);
        }
        o->scenario.dt_ms = (int32_t)u;
    } else if (!strcmp(a, "--out")) {
        o->out_dir = v;
    } else if (!strcmp(a, "--net")) {
        o->net_path = v;
    } else if (!strcmp(a, "--time-to-teleport")) {
        if (!parse_double(v, &d) || d < 0 || d > 1e9)
            return bad(command, a, v, "seconds from 0 (never) to 1e9");
        o->time_to_teleport_s = d;
        o->time_to_teleport_set = true;
    } else if (!strcmp(a, "--routes")) {
        o->routes_path = v;
    } else if (!strcmp(a, "--lua-instructions")) {
        if (!parse_u64(v, &u) || u < 1000)
            return bad(command, a, v, "a whole number >= 1000");
        o->scenario.instruction_limit = u;
    } else if (!strcmp(a, "--mem-mb")) {
        if (!parse_u64(v, &u) || u < 16 || u > 1048576)
            return bad(command, a, v, "MiB from 16 to 1048576");
        o->mem_limit_bytes = (size_t)u << 20;
    } else if (!strcmp(a, "--lua-mem-mb")) {
        if (!parse_u64(v, &u) || u < 1 || u > 65536)
            return bad(command, a, v, "MiB from 1 to 65536");
        o->scenario.memory_limit_bytes = (size_t)u << 20;
    } else if (!strcmp(a, "--param")) {
        if (!city_grow((void **)&o->params, &o->cap_params, o->scenario.n_params + 1, sizeof *o->params))
            return bad(command, a, v, "less memory use");
        o->params[o->scenario.n_params++] = v;
        o->scenario.params = o->params;
    } else if (!strcmp(a, "--replay")) {
        o->replay_path = v;
    } else if (!strcmp(a, "--bridge")) {
        o->bridge_url = v;
    } else if (!strcmp(a, "--site")) {
        o->bridge_site = v;
    } else if (!strcmp(a, "--bridge-user")) {
        o->bridge_auth.user = v;
    } else if (!strcmp(a, "--bridge-password")) {
        o->bridge_auth.password = v;
    } else if (!strcmp(a, "--bridge-cafile")) {
        o->bridge_auth.cafile = v;
    } else if (!strcmp(a, "--bridge-cert")) {
        o->bridge_auth.cert = v;
    } else if (!strcmp(a, "--bridge-key")) {
        o->bridge_auth.key = v;
    } else if (!strcmp(a, "--bridge-timeout-ms")) {
        if (!parse_u64(v, &u) || u < 1 || u > 3600000)
            return bad(command, a, v, "milliseconds from 1 to 3600000");
        o->bridge_timeout_ms = (int)u;
    } else if (!strcmp(a, "--keys")) {
        o->script_keys = v;
    } else if (!strcmp(a, "--screenshot")) {
        o->screenshot_path = v;
    } else if (!strcmp(a, "--at")) {
        if (!parse_double(v, &d) || d < 0)
            return bad(command, a, v, "seconds >= 0");
        o->screenshot_at_s = d;
    } else if (!strcmp(a, "--frames")) {
        o->frames_dir = v;
    } else if (!strcmp(a, "--every")) {
        if (!parse_double(v, &d) || !(d > 0) || d > 1e9)
            return bad(command, a, v, "simulated seconds > 0 between frames");
        o->frames_every_s = d;
    } else if (!strcmp(a, "--size")) {
        int w, h;
        char extra;
        if (sscanf(v, "%dx%d%c", &w, &h, &extra) != 2 || !city_view_size_valid(w, h)) {
            char want[80];
            snprintf(want, sizeof want, "WIDTHxHEIGHT like %dx%d (%d to %d)", CITY_VIEW_DEFAULT_WIDTH_PX,
                     CITY_VIEW_DEFAULT_HEIGHT_PX, CITY_VIEW_SIZE_MIN_PX, CITY_VIEW_SIZE_MAX_PX);
            return bad(command, a, v, want);
        }
        o->width = w;
        o->height = h;
    } else {
        return unknown_flag(command, a);
    }
    return 0;
}

/* --bridge and the flags that go with it: 0, or 2 after the one-line error. */
static int check_bridge_flags(const char *command, const CityCliOptions *o)
{
    if (o->bridge_url && strcmp(command, "run") != 0)
        return not_here(command, "--bridge", "run");
    const CityBridgeAuth *a = &o->bridge_auth;
    const bool tls_files = a->cafile || a->cert || a->key;
    if (!o->bridge_url &&
        (o->scenario.bridge_all || o->bridge_site || o->bridge_timeout_ms || a->user || a->password || tls_files)) {
        fprintf(stderr,
                "citylab %s: --bridge-all, --site, --bridge-timeout-ms, --bridge-user, --bridge-password and the TLS "
                "files go with --bridge mqtt://HOST:PORT (or mqtts://)\n",
                command);
        return 2;
    }
    char host[256];
    int port;
    bool tls = false;
    if (o->bridge_url && !city_mqtt_url_parse(o->bridge_url, host, sizeof host, &port, &tls))
        return bad(command, "--bridge", o->bridge_url, "a broker URL like mqtt://127.0.0.1:1883 or mqtts://HOST:8883");
    if (o->bridge_url && a->password && !a->user) {
        fprintf(stderr, "citylab %s: --bridge-password needs --bridge-user NAME (MQTT has no password alone)\n",
                command);
        return 2;
    }
    if (o->bridge_url && !tls && tls_files) {
        fprintf(stderr,
                "citylab %s: --bridge-cafile, --bridge-cert and --bridge-key are for TLS: give the broker as "
                "mqtts://HOST:PORT\n",
                command);
        return 2;
    }
    if (o->bridge_url && tls && !a->cafile) {
        fprintf(stderr, "citylab %s: --bridge %s (TLS) needs --bridge-cafile FILE, the broker's CA certificate\n",
                command, o->bridge_url);
        return 2;
    }
    if (o->bridge_url && !a->cert != !a->key) {
        fprintf(stderr, "citylab %s: --bridge-cert and --bridge-key go together: give both or neither\n", command);
        return 2;
    }
    if (o->bridge_site && !city_net_id_valid(o->bridge_site))
        return bad(command, "--site", o->bridge_site, "a topic level of 1 to 63 bytes without '/', '+' or '#'");
    return 0;
}

/* The rules between flags (which go together, which belong to run or to
 * view): 0, or 2 after printing the one-line error. */
static int check_flag_combinations(const char *command, const CityCliOptions *o)
{
    if (check_bridge_flags(command, o) != 0)
        return 2;
    if (o->routes_path && !o->net_path) {
        fprintf(stderr, "citylab %s: --routes needs --net FILE.net.xml\n", command);
        return 2;
    }
    if (o->time_to_teleport_set && !o->net_path) {
        fprintf(stderr,
                "citylab %s: --time-to-teleport is for --net runs; a scenario sets time_to_teleport in "
                "city.road.load_sumo{...}\n",
                command);
        return 2;
    }
    if (o->net_path && o->scenario_path) {
        fprintf(stderr,
                "citylab %s: give either a scenario or --net, not both (a scenario loads its own network "
                "with city.road.load_sumo)\n",
                command);
        return 2;
    }
    bool view = strcmp(command, "view") == 0;
    if (!view && o->script_keys)
        return not_here(command, "--keys", "view");
    if (view && o->screenshot_path)
        return not_here(command, "--screenshot", "run");
    if (view && o->screenshot_at_s >= 0)
        return not_here(command, "--at", "run");
    if (o->screenshot_path && !png_name(o->screenshot_path)) {
        fprintf(stderr, "citylab %s: --screenshot '%s': screenshots are PNG files; name it FILE.png\n", command,
                o->screenshot_path);
        return 2;
    }
    if (view && (o->save_state_path || o->restore_path))
        return not_here(command, o->save_state_path ? "--save-state" : "--restore", "run");
    if (o->screenshot_at_s >= 0 && !o->screenshot_path && !o->save_state_path) {
        fprintf(stderr, "citylab %s: --at needs --screenshot FILE.png or --save-state FILE\n", command);
        return 2;
    }
    if (o->frames_every_s > 0 && !o->frames_dir) {
        fprintf(stderr, "citylab %s: --every needs --frames DIR (the folder of the time-lapse)\n", command);
        return 2;
    }
    if (o->frames_dir && o->out_dir && strcmp(o->frames_dir, o->out_dir) == 0) {
        fprintf(stderr, "citylab %s: --frames %s is also the --out folder; give the time-lapse a folder of its own\n",
                command, o->frames_dir);
        return 2;
    }
    if (o->restore_path && (o->net_path || o->scenario.n_params || o->replay_path)) {
        fprintf(stderr, "citylab %s: --restore continues the saved run with its own scenario and parameters; drop %s\n",
                command,
                o->net_path      ? "--net"
                : o->replay_path ? "--replay"
                                 : "--param");
        return 2;
    }
    return 0;
}

int city_cli_parse(int argc, char **argv, int first, const char *command, CityCliOptions *o)
{
    memset(o, 0, sizeof *o);
    o->scenario.seed = 1;
    o->scenario.until_s = -1;
    o->screenshot_at_s = -1;
    o->width = CITY_VIEW_DEFAULT_WIDTH_PX;
    o->height = CITY_VIEW_DEFAULT_HEIGHT_PX;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage_run(stdout, command);
            return 1;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = true;
            continue;
        } else if (!strcmp(a, "--bridge-all")) {
            o->scenario.bridge_all = true;
            continue;
        } else if (a[0] == '-' && a[1] == '-') {
            if (!v) {
                bool known = false; /* "--sed" at the end: a typo, not a missing value */
                for (size_t k = 0; run_flags[k] && !known; k++)
                    known = strcmp(a, run_flags[k]) == 0;
                return known ? bad(command, a, "", "a value after the flag") : unknown_flag(command, a);
            }
            i++;
            int rc = parse_flag_value(command, a, v, o);
            if (rc != 0)
                return rc;
        } else if (a[0] == '-') {
            return unknown_flag(command, a);
        } else if (!o->scenario_path) {
            o->scenario_path = a;
        } else {
            fprintf(stderr, "citylab %s: more than one scenario given ('%s' and '%s'); run one at a time\n", command,
                    o->scenario_path, a);
            return 2;
        }
    }
    int rc = check_flag_combinations(command, o);
    if (rc != 0)
        return rc;
    if (o->net_path)
        return build_net_scenario(o);
    o->scenario.path = o->scenario_path ? o->scenario_path : city_cli_default_scenario();
    return 0;
}

void city_cli_options_free(CityCliOptions *o)
{
    free(o->params);
    o->params = NULL;
    o->cap_params = 0;
    o->scenario.params = NULL;
    o->scenario.n_params = 0;
}
