/* The MQTT topics and payloads of citylab's deployment path
 * (scenarios/DEVICE_API.md): readings as SenML, commands and their
 * acknowledgements, and the lockstep clock/done pair between
 * `citylab run --bridge` and citylab-agent. Plain text in, plain text out:
 * no network here. Every parser is strict: unknown or duplicate keys,
 * wrong types, non-finite numbers or trailing bytes are refused with a
 * reason and one line of detail. */
#ifndef CITY_NET_MSG_H
#define CITY_NET_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_reading.h"
#include "city_status.h"

#define CITY_NET_TOPIC_MAX 256 /* bytes of a topic including the NUL */
#define CITY_NET_ID_MAX 64     /* bytes of a site, sensor, actuator or controller id including the NUL */
#define CITY_NET_MSG_MAX 1024  /* bytes a formatted payload needs at most (NUL included) */

/* Why a message was refused; counted by the receiver. Append at the end. */
typedef enum CityNetReject {
    CITY_NET_MALFORMED = 0,    /* not the payload the topic carries (JSON, SenML, keys, types) */
    CITY_NET_BAD_TOPIC,        /* a topic under the site that names nothing citylab speaks */
    CITY_NET_UNKNOWN_SENSOR,   /* a reading of a sensor the controller does not read */
    CITY_NET_UNKNOWN_ACTUATOR, /* a command to an actuator the run does not have */
    CITY_NET_REFUSED,          /* a command the control domain refused (limits, not allowed, fail-safe, not a number) */
    CITY_NET_STRAY,            /* a well-formed message for another exchange (a late duplicate) */
    CITY_NET_REJECT_COUNT
} CityNetReject;

/* What a topic under citylab/<site>/ is. */
typedef enum CityNetTopic {
    CITY_TOPIC_NONE = 0, /* not under the site, or unknown */
    CITY_TOPIC_SENSOR,   /* sensor/<id>: a SenML reading */
    CITY_TOPIC_SET,      /* actuator/<id>/set: a command */
    CITY_TOPIC_STATE,    /* actuator/<id>/state: its acknowledgement or refusal */
    CITY_TOPIC_CLOCK,    /* controller/<name>/clock: lockstep tick from the run */
    CITY_TOPIC_DONE,     /* controller/<name>/done: the tick's commands are complete */
    CITY_TOPIC_STATUS    /* controller/<name>/status: online / offline */
} CityNetTopic;

/* A command, on actuator/<id>/set. */
typedef struct CityNetCommand {
    double value;              /* "v" (null: not a number, refused as such) */
    int64_t issued_ms;         /* "t", s with ms precision */
    char src[CITY_NET_ID_MAX]; /* "src": controller name ("" for a field device) */
    int64_t x_ms;              /* "x": time of the exchange it belongs to (-1: none, field) */
    int64_t seq;               /* "seq": its number in the exchange from 0 (-1: none) */
} CityNetCommand;

/* An acknowledgement, on actuator/<id>/state. */
typedef struct CityNetState {
    double value;              /* "v": the value asked for */
    int64_t t_ms;              /* "t" */
    char result[32];           /* "result": "ack" or the refusal ("out_of_limits", ...) */
    char src[CITY_NET_ID_MAX]; /* "src", "" when absent */
    int64_t x_ms, seq;         /* as the command's (-1 when absent) */
} CityNetState;

/* The run's tick for one controller, on controller/<name>/clock. */
typedef struct CityNetClock {
    int64_t t_ms;  /* "t": simulation time */
    uint64_t seed; /* "seed" (a decimal string): the run seed */
    bool step;     /* "step": its control period is due */
    int64_t n;     /* "n": readings published for this tick, before it */
} CityNetClock;

/* The agent's end of a tick, on controller/<name>/done. */
typedef struct CityNetDone {
    int64_t t_ms;     /* "t": the clock it answers */
    int64_t n;        /* "n": commands it sent in this tick */
    int64_t wake_ms;  /* "wake": its next due timer (-1: none) */
    char failed[256]; /* "failed": why the controller stopped ("" running) */
} CityNetDone;

/* Name of a reason ("malformed", ...); static. */
const char *city_net_reject_name(CityNetReject r);

/* True when s can be one topic level (a site, sensor, actuator or controller id): 1 to 63 bytes,
 * no '/', '+', '#' or control characters. */
bool city_net_id_valid(const char *s);
/* Splits a topic under citylab/<site>/: its kind and id (sensor, actuator
 * or controller). CITY_TOPIC_NONE when it is not one citylab speaks. */
CityNetTopic city_net_topic_parse(const char *site, const char *topic, char *id, size_t id_len);
/* Writes citylab/<site>/<kind part>/<id>[/<suffix>] into buf; false when it does not fit. */
bool city_net_topic(char *buf, size_t cap, const char *site, CityNetTopic kind, const char *id);

/* A reading as its SenML pack; 0 when cap is too small. */
size_t city_net_reading_format(char *buf, size_t cap, const CityReading *r);
/* The reading of a sensor/<id> payload: exactly one SenML record naming
 * that sensor. false with err filled (CITY_ERR_PARSE; err may be NULL). */
bool city_net_reading_parse(const char *sensor_id, const void *payload, size_t len, CityReading *out, CityError *err);

/* Formatters: the payload text, its length (0 when cap is too small). */
size_t city_net_command_format(char *buf, size_t cap, const CityNetCommand *c);
size_t city_net_state_format(char *buf, size_t cap, const CityNetState *s);
size_t city_net_clock_format(char *buf, size_t cap, const CityNetClock *c);
size_t city_net_done_format(char *buf, size_t cap, const CityNetDone *d);
/* Strict parsers: false with err filled ("what: problem", CITY_ERR_PARSE;
 * err may be NULL). */
bool city_net_command_parse(const void *payload, size_t len, CityNetCommand *out, CityError *err);
bool city_net_state_parse(const void *payload, size_t len, CityNetState *out, CityError *err);
bool city_net_clock_parse(const void *payload, size_t len, CityNetClock *out, CityError *err);
bool city_net_done_parse(const void *payload, size_t len, CityNetDone *out, CityError *err);

#endif
