/* citylab-agent: one controller file (Lua or a device.h shared object)
 * run against an MQTT broker. Field mode: wall time, step every period.
 * Lockstep mode (--lockstep, with `citylab run --bridge`): the run's clock
 * messages drive it tick by tick. Topics and payloads: scenarios/DEVICE_API.md. */
#ifndef CITY_AGENT_H
#define CITY_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_net_msg.h"

#define AGENT_MAX_LIST 64 /* --param and --sensor entries */

typedef struct AgentOptions {
    const char *file;   /* CONTROLLER.lua or .so */
    const char *broker; /* --broker URL */
    const char *site;   /* --site NAME */
    const char *name;   /* --name N (default: the file's stem) */
    char name_buf[CITY_NET_ID_MAX];
    const char *user, *password, *cafile, *cert, *key;
    const char *param_keys[AGENT_MAX_LIST], *param_vals[AGENT_MAX_LIST];
    char *param_copy[AGENT_MAX_LIST];
    int32_t n_params;
    const char *sensors[AGENT_MAX_LIST]; /* --sensor ID */
    int32_t n_sensors;
    double period_s;      /* --period S (field mode; default 1) */
    double stale_s;       /* --stale S (field mode; 0 never) */
    uint64_t seed;        /* --seed N (field mode; lockstep takes the run's) */
    bool lockstep;        /* --lockstep */
    int ack_timeout_ms;   /* --ack-timeout-ms (default 10000) */
    uint64_t instr_limit; /* --instructions N */
    size_t mem_limit;     /* --memory-kb K */
    bool quiet;           /* --quiet: no log lines on stdout */
} AgentOptions;

/* Parses argv; 0, 1 after --help (exit 0) or 2 after one clear error line. */
int agent_parse(int argc, char **argv, AgentOptions *o);
void agent_options_free(AgentOptions *o);
/* Runs until SIGINT/SIGTERM; the exit code (0, or 2 when it cannot start). */
int agent_run(const AgentOptions *o);

#endif
