/* Sensors: what the city's IoT network says, late, noisy and sometimes
 * wrong. The sensor domain knows no other domain: couplings (sim/couple)
 * read each domain's public state in COMMIT and feed every sensor's truth
 * (city_sensor_feed_*); the "sensors" subsystem samples in SENSE of a
 * later tick, so a reading is always of committed state.
 *
 * A channel measures one quantity. A device with several quantities (an
 * inductive loop: count, occupancy, speed) is several channels with the
 * same name; a reading's SenML name is "<name>/<quantity>". Each channel
 * has its own RNG stream (seeded from the run seed and "<name>/<quantity>")
 * and draws, per sample and in this order whatever is configured: dropout
 * (uniform), noise (normal, by the ziggurat: city_rng_normal_zig), chatter
 * (uniform); its time to failure is drawn once when it is added. So
 * switching one model on or off never shifts another channel's numbers. */
#ifndef CITY_SENSOR_H
#define CITY_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_reading.h"
#include "city_world.h"

typedef struct CitySensors CitySensors;

/* What a channel is, i.e. which coupling feeds it. */
typedef enum CitySensorKind {
    CITY_SENSOR_LOOP = 0,    /* inductive loop on a lane: count, occupancy, speed per interval */
    CITY_SENSOR_CAMERA,      /* counts vehicles (count) or people (people) in a field of view (a disc) */
    CITY_SENSOR_RADAR,       /* counts and mean speed of vehicles, or people, in a field of view */
    CITY_SENSOR_AIR,         /* PM2.5 / PM10 / NOx at a point (low-cost optical for PM) */
    CITY_SENSOR_WEATHER,     /* temperature, humidity, irradiance, wind at a point */
    CITY_SENSOR_METER,       /* smart meter: energy of a building per interval */
    CITY_SENSOR_FEEDER,      /* voltage, current, power at a bus or line */
    CITY_SENSOR_CHARGER,     /* EV charger status */
    CITY_SENSOR_STREETLIGHT, /* streetlight status */
    CITY_SENSOR_MANUAL,      /* fed by the scenario (city.sensor.feed) */
    CITY_SENSOR_QUEUE,       /* queue detector (video) on lane `target`: vehicles on the lane when it samples */
    CITY_SENSOR_EMERGENCY,   /* priority-request detector on lane `target`: emergency vehicles on it when it samples */
    CITY_SENSOR_KIND_COUNT
} CitySensorKind;

/* How the fed truth becomes the value of an interval. */
typedef enum CitySensorAgg {
    CITY_AGG_LAST = 0, /* the latest fed value (instantaneous quantities) */
    CITY_AGG_SUM,      /* the sum of what was added during the interval (counts, energy) */
    CITY_AGG_MEAN,     /* the mean of what was added during the interval (mean speed; NaN when none) */
} CitySensorAgg;

typedef enum CitySensorFault {
    CITY_FAULT_NONE = 0,
    CITY_FAULT_STUCK,   /* repeats the last value it reported, quality good */
    CITY_FAULT_DEAD,    /* reports nothing */
    CITY_FAULT_CHATTER, /* each reading jumps by +-fault_size at random, quality good */
    CITY_FAULT_OFFSET,  /* adds fault_size to every reading, quality good */
    CITY_FAULT_COUNT
} CitySensorFault;

typedef struct CitySensorDef {
    const char *name;      /* device id (city_sensor_name_valid); copied */
    CitySensorKind kind;   /* which coupling feeds it */
    CityQuantity quantity; /* what it measures */
    CitySensorAgg agg;     /* how an interval's value is formed */
    double x_m, y_m;       /* position, world frame (m) */
    int32_t target;        /* what it watches in its domain (lane, bus, building index; -1 none) */
    double pos_m;          /* loops: distance of the loop from the start of lane `target` (m) */
    double radius_m;       /* field of view of cameras and radar (m) */
    double period_s;       /* sampling period (> 0; rounded to whole ticks, at least one) */
    double latency_s;      /* arrival - measurement (>= 0; rounded to whole ms) */
    double noise_sd;       /* standard deviation of additive Gaussian noise, in the unit */
    double bias;           /* constant additive error, in the unit */
    double drift_per_h;    /* additive error growing with time, unit per hour of simulation */
    double quantum;        /* resolution: values are rounded to multiples of it (0: none) */
    double min, max;       /* range: values outside are clipped and flagged uncertain (min < max; +-inf ok) */
    double dropout_p;      /* probability a reading is lost (0..1) */
    double rh_kappa;       /* PM only: hygroscopic growth kappa of a low-cost optical sensor (0: none) */
    CitySensorFault fault; /* failure mode once failed */
    double fault_at_s;     /* scheduled failure time (s, < 0: none) */
    double mttf_s;         /* mean time to a random failure (s, 0: never) */
    double fault_size;     /* offset of OFFSET, jump of CHATTER, in the unit */
} CitySensorDef;

/* A definition with the defaults: no noise, no faults, range (-inf, inf),
 * period 1 s, aggregation by quantity (count and energy sum, except the
 * instantaneous count of cameras, radar, queue and emergency detectors;
 * speed mean; else last), target -1. Fill name, kind and quantity at least.
 */
CitySensorDef city_sensor_def_default(CitySensorKind kind, CityQuantity quantity, const char *name);

/* Receives every reading when it is measured, with the truth beside it
 * (the run's readings files). Dropped readings never reach it. */
typedef void (*CityReadingSink)(void *user, const CityReading *reading, double truth);

/* Creates the "sensors" subsystem (SENSE, every tick) in the world, which
 * owns it; or returns the existing one. NULL on OOM. */
CitySensors *city_sensors_ensure(CityWorld *world);
/* The world's sensors, or NULL when none were added. */
CitySensors *city_sensors_of(const CityWorld *world);
/* Adds a channel; returns its index (>= 0) or -1 with the world error set
 * (bad name, duplicate name and quantity, bad numbers). Before or during a run. */
int32_t city_sensor_add(CityWorld *world, const CitySensorDef *def);
/* Number of channels, and the definition of one (names owned by the sensors). */
int32_t city_sensor_count(const CitySensors *s);
const CitySensorDef *city_sensor_def(const CitySensors *s, int32_t i);
/* The channel with this name and quantity, or -1. */
int32_t city_sensor_find(const CitySensors *s, const char *name, CityQuantity q);
/* The same by its key "name/quantity" (a channel's key as readings name it), or -1. */
int32_t city_sensor_find_key(const CitySensors *s, const char *key);

/* Feeding the truth (couplings, in COMMIT; the scenario for MANUAL):
 * set the instantaneous value, or add one observation to the interval. */
void city_sensor_feed_value(CitySensors *s, int32_t i, double value);
void city_sensor_feed_add(CitySensors *s, int32_t i, double value);
/* True when channel i samples at `tick`: a coupling feeding instantaneous
 * values in COMMIT of tick t - 1 may skip the channels that do not sample at t. */
bool city_sensor_samples_at(const CitySensors *s, int32_t i, int64_t tick);
/* The channels that sample at `tick` (the current tick or the next one),
 * ascending: couplings feeding instantaneous values in COMMIT of tick t
 * ask for t + 1 and visit only those. Owned by the sensors; valid until
 * the next add or sensors step. */
const int32_t *city_sensors_due(CitySensors *s, int64_t tick, int32_t *n);
/* Relative humidity (%) seen by a PM channel with rh_kappa > 0. */
void city_sensor_feed_rh(CitySensors *s, int32_t i, double rh_pct);
/* city_sensor_feed_value and city_sensor_feed_rh in one call (air channels, 10,000 per second). */
void city_sensor_feed_air(CitySensors *s, int32_t i, double value, double rh_pct);

/* Where readings go as they are measured (one sink; NULL to stop). */
void city_sensors_set_sink(CitySensors *s, CityReadingSink sink, void *user);
/* A reading as a batch sink gets it: what varies from one reading to the
 * next; the id and the unit are the channel's (city_sensor_id, the
 * quantity's unit). 32 bytes, where a CityReading copies a 64-byte id. */
typedef struct CitySensorReport {
    double value;       /* as reported, in the quantity's unit */
    double truth;       /* the true value at its measurement (NaN: unknown) */
    int64_t arrives_ms; /* when it reaches a consumer, ms */
    int32_t channel;    /* index of city_sensor_def */
    uint8_t quantity;   /* the channel's CityQuantity */
    uint8_t quality;    /* CityQuality */
} CitySensorReport;
/* Receives the readings measured at measured_ms, r[0, n) (n >= 1) in the
 * order they were measured, a few hundred at a time and at the end of each
 * tick's sampling: what a CityReadingSink gets, without a call and a
 * reading built per reading (10,000 sensors at 1 Hz). r is valid during the call. */
typedef void (*CitySensorBatchSink)(void *user, const CitySensors *s, int64_t measured_ms, const CitySensorReport *r,
                                    size_t n);
/* Where readings go in batches, beside the per-reading sink (one batch
 * sink; NULL to stop). False when out of memory (nothing changed). When it
 * is the readings' only consumer, a tick's sampling may run on a thread of
 * the sensors' own (city_sensors_set_aside), and the sink with it: never
 * two calls at once, each done before the sensors' next function returns.
 * Inside, it may call only city_sensor_count, city_sensor_def,
 * city_sensor_id and city_sensors_ids, and not the world. */
bool city_sensors_set_batch_sink(CitySensors *s, CitySensorBatchSink sink, void *user);
/* Sampling aside: a tick's sampling of at least min_due channels, when the
 * batch sink is the readings' only consumer (no per-reading sink, no
 * history, no delivery), is handed to a thread of the sensors' own while
 * the tick goes on; every sensors function first waits for it to finish.
 * The readings, the state and its hash are those of sampling in place.
 * min_due 0: never. The default, CITY_SENSORS_ASIDE_MIN, is where it pays
 * on a virtual machine: handing over and waking the thread costs tens of
 * microseconds, sampling some 15 ns a channel. */
#define CITY_SENSORS_ASIDE_MIN 4096
void city_sensors_set_aside(CitySensors *s, int32_t min_due);
/* Channel i's id (its definition's name) and its length; the
 * CITY_SENSOR_NAME_MAX bytes from the returned pointer on are readable
 * (the id, its NUL, then other ids or zeros), so a writer may copy a fixed
 * 32 or 64 bytes and keep len of them. Valid until the next add. */
const char *city_sensor_id(const CitySensors *s, int32_t i, size_t *len);
/* Every channel's id at once, for a loop over many: channel i's is
 * ids + at[i], at[i + 1] - at[i] - 1 bytes, as city_sensor_id gives it.
 * Returns ids; *at is set. Valid until the next add. */
const char *city_sensors_ids(const CitySensors *s, const uint32_t **at);
/* Delivery to consumers by arrival time: once enabled, readings queue
 * until city_sensors_poll hands out those with arrives_ms <= now_ms, in
 * (arrives_ms, measurement order). Returns how many were written to out. */
void city_sensors_enable_delivery(CitySensors *s, bool on);
size_t city_sensors_poll(CitySensors *s, int64_t now_ms, CityReading *out, size_t cap);
/* Queues only the readings of the channels i < n with wanted[i] != 0 (a
 * copy is kept; NULL: every channel, the default): readings no consumer
 * reads are not copied around. False when out of memory (nothing changed). */
bool city_sensors_deliver_only(CitySensors *s, const uint8_t *wanted, int32_t n);
/* As city_sensors_poll, and each reading's channel (the index of
 * city_sensor_def) into channel[] (may be NULL). */
size_t city_sensors_poll_channels(CitySensors *s, int64_t now_ms, CityReading *out, int32_t *channel, size_t cap);
/* A delivered reading without what its channel tells (id, quantity, unit):
 * what a consumer that knows its channels keeps. */
typedef struct CitySensorArrival {
    int64_t arrives_ms;  /* when it reaches a consumer, ms */
    int64_t measured_ms; /* when sampled, ms */
    double value;        /* in the quantity's unit */
    int32_t channel;     /* index of city_sensor_def */
    CityQuality quality;
} CitySensorArrival;
/* As city_sensors_poll_channels without building whole readings (a
 * reading's 64-byte id is most of its copy); city_sensor_arrival_reading
 * makes one of an arrival when needed. */
size_t city_sensors_poll_arrivals(CitySensors *s, int64_t now_ms, CitySensorArrival *out, size_t cap);
void city_sensor_arrival_reading(const CitySensors *s, const CitySensorArrival *a, CityReading *out);
/* Channel i's last reported reading as an arrival, when it was measured
 * after after_ms (true, *out filled); false, *out untouched, when there is
 * none newer. With no latency that reading has arrived as soon as measured,
 * so a consumer that only keeps the last value may take it from here when
 * it looks instead of having each reading queued for it. */
bool city_sensor_newer(const CitySensors *s, int32_t i, int64_t after_ms, CitySensorArrival *out);
/* Channel i's arrival delay (ms): 0 when a reading arrives as it is measured. */
int64_t city_sensor_latency_ms(const CitySensors *s, int32_t i);

typedef struct CitySensorStatus {
    bool failed;        /* the fault has started */
    double fail_time_s; /* when it starts or started (inf: never) */
    uint64_t samples;   /* samples taken */
    uint64_t readings;  /* of which reported (not dropped, not dead) */
    bool has_last;      /* a reading was reported */
    CityReading last;   /* the last one */
    double last_truth;  /* the truth at its measurement */
} CitySensorStatus;
/* The live status of a channel (viewer, Lua, tests). */
void city_sensor_status(const CitySensors *s, int32_t i, CitySensorStatus *out);
/* Channel i's last reported value into *value, without the rest of its
 * status; false, *value untouched, while it has reported nothing. Once
 * true, true for the run. */
bool city_sensor_last_value(const CitySensors *s, int32_t i, double *value);
/* How many channels have reported a reading: it only grows, so a coupling
 * that keeps the set of channels with a value rebuilds it only when this
 * changed, not by asking every channel each second. */
int32_t city_sensors_reporting(const CitySensors *s);

/* One kept reading (city_sensors_keep_history): what an inspector shows
 * beside the truth. */
typedef struct CitySensorSample {
    double value;        /* as reported */
    double truth;        /* the true value at its measurement (NAN: unknown) */
    int64_t measured_ms; /* when measured */
    int64_t arrives_ms;  /* when it reaches a consumer */
    CityQuality quality; /* as reported */
} CitySensorSample;
/* Keeps the last `depth` reported readings of every channel (0..64; 0
 * stops and frees them) for inspectors such as the viewer; nothing is kept
 * or paid while 0. Not part of the state hash or of checkpoints (a restored
 * run starts with none). Any time. */
CityStatus city_sensors_keep_history(CitySensors *s, int32_t depth);
/* The kept readings of channel i, newest first, into out[0, cap); returns how many. */
int32_t city_sensor_history(const CitySensors *s, int32_t i, CitySensorSample *out, int32_t cap);

/* Names of kinds, aggregations and faults ("loop", "sum", "stuck", ...); parse them back. */
const char *city_sensor_kind_name(CitySensorKind k);
bool city_sensor_kind_parse(const char *name, CitySensorKind *out);
const char *city_sensor_fault_name(CitySensorFault f);
bool city_sensor_fault_parse(const char *name, CitySensorFault *out);

/* The multiplicative overestimate of a low-cost optical PM sensor at
 * relative humidity rh_pct for hygroscopic growth kappa (Crilley et al.
 * 2018, AMT 11:709, eq. 4): 1 + (kappa / 1.65) / (100 / rh - 1), rh capped at 99%. */
double city_sensor_rh_factor(double kappa, double rh_pct);

#endif
