/* Control: actuators, commands and fail-safe. A controller (Lua, C shared
 * object, or a device in the field through citylab-agent) never touches a
 * domain: it sends commands {actuator, value, issued_ms}; this domain
 * acknowledges or refuses each with a reason, counts and logs it (the
 * "commands" table, commands.csv), and holds each actuator's value. The
 * couplings in sim/couple apply the values to the domains (signals,
 * batteries, streetlights, chargers).
 *
 * Every actuator has a safe default. When its controller errors, exceeds
 * its budget or its inputs go stale, the actuator falls back to it (fail
 * safe, logged and counted) and refuses commands until released. Plain C:
 * core only. */
#ifndef CITY_CONTROL_H
#define CITY_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "city_world.h"

#define CITY_ACTUATOR_NAME_MAX 64   /* bytes of an actuator id including the NUL */
#define CITY_SIGNAL_MIN_GREEN_S 5.0 /* default shortest phase a signal actuator lets a controller cut (s) */

typedef struct CityControl CityControl;

/* What an actuator drives, i.e. which coupling applies its value. */
typedef enum CityActuatorKind {
    CITY_ACT_SIGNAL = 0,  /* traffic light: value = phase index; < 0 = its fixed-time plan (safe default -1) */
    CITY_ACT_STORAGE,     /* battery: value = setpoint kW, + discharge, - charge (safe default 0: idle) */
    CITY_ACT_STREETLIGHT, /* streetlight group: value = dimming level 0..1 (safe default 1: full on) */
    CITY_ACT_CHARGER,     /* EV charger: value = power limit per port kW (safe default: rated) */
    CITY_ACT_GENERIC,     /* a value no coupling reads (tests, KPIs of the scenario itself) */
    CITY_ACT_LOAD,        /* building load: cooling thermostat offset deg C, - pre-cool, + curtail (safe default 0) */
    CITY_ACT_ACCESS,      /* road access: 1 = trips of the classes in target (a mask) not made, 0 = open (safe) */
    CITY_ACT_KIND_COUNT
} CityActuatorKind;

typedef struct CityActuatorDef {
    const char *name;      /* id, [A-Za-z0-9] then [A-Za-z0-9-:._] (as a sensor id); copied */
    CityActuatorKind kind; /* which coupling applies it */
    int32_t target;        /* index in its domain (light, battery id, charger id); -1 none */
    double safe_value;     /* the fail-safe value, also the value at start; within [min, max] */
    double min, max;       /* limits: commands outside are refused (min <= max) */
    double min_green_s;    /* signal: a commanded change waits until the current phase ran this long (s) */
    double zone_m[4];      /* access: x0, y0, x1, y1 where the trips it stops start (x1 < x0: anywhere) */
} CityActuatorDef;

/* Outcome of a command. Append at the end: the numbers appear in hashes. */
typedef enum CityCommandResult {
    CITY_CMD_ACK = 0,          /* applied */
    CITY_CMD_UNKNOWN_ACTUATOR, /* no actuator with that id */
    CITY_CMD_OUT_OF_LIMITS,    /* value outside [min, max] */
    CITY_CMD_NOT_A_NUMBER,     /* NaN or infinite value */
    CITY_CMD_NOT_ALLOWED,      /* the actuator is not among the sender's actuators */
    CITY_CMD_FAILSAFE,         /* the actuator is held at its safe default */
    CITY_CMD_RESULT_COUNT
} CityCommandResult;

typedef struct CityActuatorStatus {
    double value;       /* current value (what the coupling applies) */
    bool failsafe;      /* held at the safe default */
    int64_t last_ms;    /* issued time of the last acknowledged command (-1 none) */
    uint64_t acks;      /* acknowledged commands */
    uint64_t refusals;  /* refused commands naming it */
    uint64_t failsafes; /* times it fell back to the safe default */
} CityActuatorStatus;

typedef struct CityControlStats {
    uint64_t commands;                       /* all commands submitted */
    uint64_t results[CITY_CMD_RESULT_COUNT]; /* by outcome */
    uint64_t failsafe_events;                /* fall-backs to safe defaults (all actuators) */
} CityControlStats;

/* A definition with limits (-inf, inf), safe value 0 (signal: -1, streetlight: 1), target -1,
 * min_green_s CITY_SIGNAL_MIN_GREEN_S. */
CityActuatorDef city_actuator_def_default(CityActuatorKind kind, const char *name);

/* Creates the "control" subsystem in the world, which owns it; or returns
 * the existing one. NULL on OOM. */
CityControl *city_control_ensure(CityWorld *world);
/* The world's control domain, or NULL when no actuator was declared. */
CityControl *city_control_of(const CityWorld *world);
/* Adds an actuator; returns its index (>= 0) or -1 with the world error set
 * (bad or duplicate id, bad limits, safe value outside them). Before the run. */
int32_t city_actuator_add(CityWorld *world, const CityActuatorDef *def);
/* Number of actuators, one's definition (owned by the domain), and the index of an id or -1. */
int32_t city_actuator_count(const CityControl *c);
const CityActuatorDef *city_actuator_def(const CityControl *c, int32_t i);
int32_t city_actuator_find(const CityControl *c, const char *name);
/* The live status of an actuator (couplings, Lua, tests). */
void city_actuator_status(const CityControl *c, int32_t i, CityActuatorStatus *out);
/* The value a coupling applies now. */
double city_actuator_value(const CityControl *c, int32_t i);
/* How many times an actuator value was set so far (added, acknowledged
 * command, fail-safe, checkpoint load): a coupling that applied every value
 * and has nothing pending may skip a tick on which this has not moved. */
uint64_t city_control_changes(const CityControl *c);

/* Submits a command from `source` (controller name, logged). Checks the id,
 * the number, the limits and the fail-safe state, in that order; an ACK sets
 * the value. Every command is counted and written to the commands table;
 * refusals are also logged as "control" events. `allowed` (may be NULL: all)
 * is a set of actuator indices the sender may drive, of length n_allowed. */
CityCommandResult city_control_command(CityWorld *world, const char *source, const char *actuator, double value,
                                       int64_t issued_ms, const int32_t *allowed, int32_t n_allowed);
/* Puts an actuator into fail-safe (value = safe default, commands refused)
 * with a reason (logged, counted); no effect when it already is. */
void city_control_failsafe(CityWorld *world, int32_t i, const char *reason);
/* Ends an actuator's fail-safe (a controller that recovered); value stays safe until the next command. */
void city_control_release(CityWorld *world, int32_t i);
/* Totals since the start. */
void city_control_stats(const CityControl *c, CityControlStats *out);

/* Names ("signal", "storage", ...; "ack", "unknown_actuator", ...) and parsing back. */
const char *city_actuator_kind_name(CityActuatorKind k);
bool city_actuator_kind_parse(const char *name, CityActuatorKind *out);
const char *city_command_result_name(CityCommandResult r);

#endif
