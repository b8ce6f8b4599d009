/* Operator commands and their replay (see city_command.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_command.h"
#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_road.h"

/* Splits "verb arg" (one space, an argument without spaces). */
static bool split(const char *command, char *verb, size_t verb_len, char *arg, size_t arg_len)
{
    const char *sp = strchr(command, ' ');
    if (!sp || (size_t)(sp - command) >= verb_len || strlen(sp + 1) >= arg_len || !sp[1] || strchr(sp + 1, ' '))
        return false;
    memcpy(verb, command, (size_t)(sp - command));
    verb[sp - command] = '\0';
    strcpy(arg, sp + 1);
    return true;
}

/* On failure, puts "'command': " before the world's last error. */
static CityStatus prefix_error(CityWorld *world, CityStatus st, const char *command)
{
    if (st == CITY_OK)
        return st;
    char msg[CITY_ERROR_MAX];
    snprintf(msg, sizeof msg, "%s", city_world_error(world));
    return city_world_fail(world, st, "'%s': %s", command, msg);
}

static CityStatus lane_command(CityWorld *world, const char *command, const char *lane_id, bool closed)
{
    CityRoad *road = city_road_of(world);
    if (!road)
        return city_world_fail(world, CITY_ERR_INVALID, "'%s': the city has no road network", command);
    int32_t lane = city_road_net_find_lane(city_road_net(road), lane_id);
    if (lane < 0)
        return city_world_fail(world, CITY_ERR_INVALID,
                               "'%s': no lane '%s' in the network (lane ids look like 'edge_0')", command, lane_id);
    city_world_log(world, "command", "%s", command);
    return prefix_error(world, city_road_close_lane(road, lane, closed), command);
}

static CityStatus branch_command(CityWorld *world, const char *command, const char *arg, bool closed)
{
    CityGrid *grid = city_grid_of(world);
    char *end;
    errno = 0;
    long id = strtol(arg, &end, 10);
    if (!grid || *end || errno || id < INT32_MIN || id > INT32_MAX || city_grid_branch_index(grid, (int32_t)id) < 0) {
        return city_world_fail(world, CITY_ERR_INVALID, "'%s': %s", command,
                               grid ? "no branch with that id in the grid (ids are the scenario's whole numbers)"
                                    : "the city has no power grid");
    }
    city_world_log(world, "command", "%s", command);
    return prefix_error(world, city_grid_sim_set_branch(world, (int32_t)id, closed), command);
}

CityStatus city_command_apply(CityWorld *world, const char *command)
{
    char verb[32], arg[256];
    if (!split(command, verb, sizeof verb, arg, sizeof arg))
        return city_world_fail(world, CITY_ERR_INVALID,
                               "'%s' is not a command; write a verb and one argument, e.g. 'close_lane E1_0'", command);
    if (!strcmp(verb, "close_lane") || !strcmp(verb, "open_lane"))
        return lane_command(world, command, arg, verb[0] == 'c');
    if (!strcmp(verb, "open_branch") || !strcmp(verb, "close_branch"))
        return branch_command(world, command, arg, verb[0] == 'c');
    return city_world_fail(world, CITY_ERR_INVALID,
                           "unknown command '%s'; known: close_lane, open_lane, open_branch, close_branch", verb);
}

/* ---- replay ------------------------------------------------------------------ */

typedef struct ReplayCommand {
    char *text;   /* the command as logged, owned */
    int32_t line; /* its line in the event log */
} ReplayCommand;

struct CityReplay {
    char *file;              /* the event log, for messages */
    ReplayCommand *commands; /* in log order; the event arg indexes it */
    size_t n, cap;
};
typedef CityReplay Replay;

void city_replay_free(CityReplay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->commands[i].text);
    free(r->commands);
    free(r->file);
    free(r);
}

static CityStatus replay_fire(CityWorld *world, void *user, int64_t arg)
{
    Replay *r = user;
    if (arg < 0 || (uint64_t)arg >= r->n) /* only from a damaged checkpoint */
        return city_world_fail(world, CITY_ERR_INVALID, "%s: no replayed command %lld (a damaged checkpoint?)", r->file,
                               (long long)arg);
    const ReplayCommand *c = &r->commands[arg];
    if (city_command_apply(world, c->text) != CITY_OK) {
        char msg[CITY_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s", city_world_error(world));
        return city_world_fail(world, CITY_ERR_INVALID, "%s:%d: %s", r->file, (int)c->line, msg);
    }
    return CITY_OK;
}

/* Reads one CSV field at *p (quoted or not) into out; advances past the
 * comma that must follow it (more) or checks that the line ends there. */
static bool csv_field(const char **p, char *out, size_t out_len, bool more)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '"') {
        for (s++;; s++) {
            if (!*s)
                return false;
            if (*s == '"') {
                if (s[1] != '"')
                    break;
                s++;
            }
            if (n + 1 >= out_len)
                return false;
            out[n++] = *s;
        }
        s++;
    } else {
        for (; *s && *s != ','; s++) {
            if (n + 1 >= out_len)
                return false;
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    if (more ? *s != ',' : *s != '\0')
        return false;
    *p = s + more;
    return true;
}

static CityStatus add_command(Replay *r, const char *command, int32_t line)
{
    char *text = city_strdup(command);
    if (!text || !city_grow((void **)&r->commands, &r->cap, r->n + 1, sizeof *r->commands)) {
        free(text);
        return CITY_ERR_NOMEM;
    }
    r->commands[r->n++] = (ReplayCommand){text, line};
    return CITY_OK;
}

static CityStatus parse_log(FILE *f, Replay *r, CityWorld *world)
{
    char buf[2048], when[64], kind[64], message[1024];
    int32_t line = 0;
    const int32_t dt_ms = city_world_dt_ms(world);
    while (fgets(buf, sizeof buf, f)) {
        line++;
        size_t len = strlen(buf);
        if (len && buf[len - 1] != '\n' && !feof(f))
            return city_world_fail(world, CITY_ERR_PARSE, "%s:%d: line longer than %zu bytes; is this an events.csv?",
                                   r->file, (int)line, sizeof buf - 1);
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        if (line == 1) {
            if (strcmp(buf, "time_s,kind,message") != 0)
                return city_world_fail(world, CITY_ERR_PARSE,
                                       "%s:1: expected the header 'time_s,kind,message' of an events.csv", r->file);
            continue;
        }
        const char *p = buf;
        if (!csv_field(&p, when, sizeof when, true) || !csv_field(&p, kind, sizeof kind, true) ||
            !csv_field(&p, message, sizeof message, false))
            return city_world_fail(world, CITY_ERR_PARSE, "%s:%d: expected 'time_s,kind,message'", r->file, (int)line);
        if (strcmp(kind, "command") != 0)
            continue;
        char *end;
        double t = strtod(when, &end);
        if (*end || !isfinite(t) || t < 0)
            return city_world_fail(world, CITY_ERR_PARSE, "%s:%d: time '%s' is not a number of seconds >= 0", r->file,
                                   (int)line, when);
        long long ms = llround(t * 1000.0);
        if (ms % dt_ms != 0)
            return city_world_fail(
                world, CITY_ERR_INVALID,
                "%s:%d: %.3f s is not on a tick of %d ms; replay with the --dt of the run that wrote the log", r->file,
                (int)line, t, (int)dt_ms);
        int64_t tick = ms / dt_ms;
        if (tick < city_world_tick(world))
            return city_world_fail(world, CITY_ERR_INVALID, "%s:%d: %.3f s is already past", r->file, (int)line, t);
        char verb[32], arg[256];
        if (!split(message, verb, sizeof verb, arg, sizeof arg))
            return city_world_fail(world, CITY_ERR_PARSE, "%s:%d: '%s' is not a command", r->file, (int)line, message);
        if (add_command(r, message, line) != CITY_OK ||
            city_world_at(world, tick, replay_fire, r, (int64_t)(r->n - 1)) != CITY_OK)
            return city_world_fail(world, CITY_ERR_NOMEM, "%s:%d: cannot schedule the command (out of memory)", r->file,
                                   (int)line);
    }
    if (ferror(f))
        return city_world_fail(world, CITY_ERR_IO, "%s: read error", r->file);
    return CITY_OK;
}

CityStatus city_command_replay(CityWorld *world, const char *events_csv, CityReplay **out)
{
    *out = NULL;
    FILE *f = fopen(events_csv, "r");
    if (!f)
        return city_world_fail(world, CITY_ERR_IO, "%s: cannot read the event log to replay (%s)", events_csv,
                               strerror(errno));
    Replay *r = calloc(1, sizeof *r);
    if (!r || !(r->file = city_strdup(events_csv))) {
        free(r);
        fclose(f);
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory");
    }
    /* named, so that a checkpoint can hold the pending commands */
    CityStatus st = city_world_name_event(world, "command.replay", replay_fire, r);
    if (st == CITY_OK)
        st = parse_log(f, r, world);
    fclose(f);
    *out = r; /* even on error: events may already point into it */
    return st;
}
