/* citylab-agent's command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "city_array.h"

static void usage(FILE *f)
{
    fputs("usage: citylab-agent CONTROLLER.(lua|so) --broker mqtt://HOST:PORT --site NAME [options]\n"
          "\n"
          "Runs a controller (the same file a scenario attaches) against an MQTT broker: readings arrive\n"
          "on citylab/<site>/sensor/<id> (SenML), commands go out on citylab/<site>/actuator/<id>/set and\n"
          "their acknowledgements come back on .../state (see scenarios/DEVICE_API.md).\n"
          "\n"
          "options:\n"
          "  --broker URL           mqtt://HOST:PORT or mqtts://HOST:PORT (TLS)\n"
          "  --site NAME            the site's topic level\n"
          "  --name N               controller name (default: the file's stem)\n"
          "  --param NAME=VALUE     a parameter the controller reads with param() (repeatable)\n"
          "  --sensor ID            a sensor it reads: \"name\" or \"name/quantity\" (repeatable)\n"
          "  --period S             step() every S seconds of wall time (default 1; field mode)\n"
          "  --stale S              no reading for S seconds: fail-safe (default 0: never; field mode)\n"
          "  --seed N               seed of random() (default 1; field mode)\n"
          "  --lockstep             follow the clock of `citylab run --bridge` instead of wall time\n"
          "  --ack-timeout-ms MS    wait this long for a command's acknowledgement (default 10000)\n"
          "  --user U --password P  broker credentials\n"
          "  --cafile F             CA certificate for mqtts:// (with --cert F --key F: client certificate)\n"
          "  --instructions N       Lua instruction budget per tick (default 1e6)\n"
          "  --memory-kb K          Lua heap budget (default 4096)\n"
          "  --quiet                no controller log lines on stdout\n"
          "  -h, --help             this help\n"
          "\n"
          "Stops on SIGINT or SIGTERM and prints its counters. Exit codes: 0 stopped, 2 bad input.\n",
          f);
}

static int bad(const char *flag, const char *value, const char *want)
{
    fprintf(stderr, "citylab-agent: %s '%s' is not valid: expected %s (see citylab-agent --help)\n", flag,
            value ? value : "", want);
    return 2;
}

static bool number(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

/* --param NAME=VALUE */
static int add_param(AgentOptions *o, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v)
        return bad("--param", v, "NAME=VALUE");
    if (o->n_params >= AGENT_MAX_LIST)
        return bad("--param", v, "at most 64 parameters");
    char *k = city_strdup(v);
    if (!k)
        return bad("--param", v, "memory to hold it");
    k[eq - v] = '\0';
    o->param_copy[o->n_params] = k;
    o->param_keys[o->n_params] = k;
    o->param_vals[o->n_params++] = eq + 1;
    return 0;
}

/* One flag with its value. */
static int flag_value(AgentOptions *o, const char *a, const char *v)
{
    double d;
    if (!strcmp(a, "--broker"))
        o->broker = v;
    else if (!strcmp(a, "--site"))
        o->site = v;
    else if (!strcmp(a, "--name"))
        o->name = v;
    else if (!strcmp(a, "--user"))
        o->user = v;
    else if (!strcmp(a, "--password"))
        o->password = v;
    else if (!strcmp(a, "--cafile"))
        o->cafile = v;
    else if (!strcmp(a, "--cert"))
        o->cert = v;
    else if (!strcmp(a, "--key"))
        o->key = v;
    else if (!strcmp(a, "--param"))
        return add_param(o, v);
    else if (!strcmp(a, "--sensor")) {
        if (o->n_sensors >= AGENT_MAX_LIST || !v[0])
            return bad(a, v, "a sensor id (at most 64 of them)");
        o->sensors[o->n_sensors++] = v;
    } else if (!strcmp(a, "--period")) {
        if (!number(v, 0.001, 86400, &o->period_s))
            return bad(a, v, "seconds from 0.001 to 86400");
    } else if (!strcmp(a, "--stale")) {
        if (!number(v, 0, 1e9, &o->stale_s))
            return bad(a, v, "seconds >= 0");
    } else if (!strcmp(a, "--seed")) {
        if (!number(v, 0, 9.0e15, &d) || d != (double)(uint64_t)d)
            return bad(a, v, "a whole number");
        o->seed = (uint64_t)d;
    } else if (!strcmp(a, "--ack-timeout-ms")) {
        if (!number(v, 1, 3.6e6, &d))
            return bad(a, v, "milliseconds from 1 to 3600000");
        o->ack_timeout_ms = (int)d;
    } else if (!strcmp(a, "--instructions")) {
        if (!number(v, 1e3, 1e12, &d))
            return bad(a, v, "1e3 to 1e12");
        o->instr_limit = (uint64_t)d;
    } else if (!strcmp(a, "--memory-kb")) {
        if (!number(v, 64, 4194304, &d))
            return bad(a, v, "64 to 4194304");
        o->mem_limit = (size_t)(d * 1024.0);
    } else {
        fprintf(stderr, "citylab-agent: unknown option '%s' (see citylab-agent --help)\n", a);
        return 2;
    }
    return 0;
}

/* The checks between options once all are read. */
static int finish(AgentOptions *o)
{
    if (!o->file) {
        fprintf(stderr, "citylab-agent: give the controller file (CONTROLLER.lua or .so); see --help\n");
        return 2;
    }
    if (access(o->file, R_OK) != 0) {
        fprintf(stderr, "citylab-agent: %s: cannot read the controller file (%s); check the path\n", o->file,
                strerror(errno));
        return 2;
    }
    if (!o->broker || !o->site) {
        fprintf(stderr, "citylab-agent: give --broker mqtt://HOST:PORT and --site NAME\n");
        return 2;
    }
    if (!city_net_id_valid(o->site))
        return bad("--site", o->site, "a topic level of 1 to 63 bytes without '/', '+' or '#'");
    if (!o->name) {
        const char *base = strrchr(o->file, '/');
        snprintf(o->name_buf, sizeof o->name_buf, "%s", base ? base + 1 : o->file);
        char *dot = strrchr(o->name_buf, '.');
        if (dot)
            *dot = '\0';
        o->name = o->name_buf;
    }
    if (!city_sensor_name_valid(o->name))
        return bad("--name", o->name, "an id of [A-Za-z0-9] then [A-Za-z0-9-:._]");
    return 0;
}

int agent_parse(int argc, char **argv, AgentOptions *o)
{
    memset(o, 0, sizeof *o);
    o->period_s = 1.0;
    o->seed = 1;
    o->ack_timeout_ms = 10000;
    o->instr_limit = 1000000;
    o->mem_limit = 4096u * 1024u;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--lockstep") || !strcmp(a, "--quiet")) {
            *(!strcmp(a, "--quiet") ? &o->quiet : &o->lockstep) = true;
            continue;
        }
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) {
                fprintf(stderr, "citylab-agent: %s needs a value (see citylab-agent --help)\n", a);
                return 2;
            }
            int rc = flag_value(o, a, argv[++i]);
            if (rc)
                return rc;
            continue;
        }
        if (o->file) {
            fprintf(stderr, "citylab-agent: more than one controller file ('%s' and '%s'); run one per agent\n",
                    o->file, a);
            return 2;
        }
        o->file = a;
    }
    return finish(o);
}

void agent_options_free(AgentOptions *o)
{
    for (int32_t i = 0; i < o->n_params; i++)
        free(o->param_copy[i]);
    o->n_params = 0;
}

int main(int argc, char **argv)
{
    AgentOptions o;
    int rc = agent_parse(argc, argv, &o);
    if (rc == 0)
        rc = agent_run(&o);
    agent_options_free(&o);
    return rc == 1 ? 0 : rc;
}
