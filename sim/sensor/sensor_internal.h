/* Private to sim/sensor: one channel's definition and state.
 *
 * A channel lives in three arrays, by how often a sample touches it (10,000
 * channels at 1 Hz make sampling a hot loop whose data must not evict the
 * traffic's from the caches):
 *   SensorHot    what every sample reads and writes, 128 bytes, in channel order;
 *   SensorModel  the numbers of the measurement model, shared by every
 *                channel with the same ones (a bulk placement has one);
 *   Sensor       the definition, key and schedule, read when added, saved,
 *                inspected, and by couplings that index the channels.
 * The channels due at a tick are found through their schedule group (same
 * period and phase), not by visiting every channel. */
#ifndef SENSOR_INTERNAL_H
#define SENSOR_INTERNAL_H

#include "city_array.h"
#include "city_sensor.h"
#include "city_strmap.h"

#define ID_SLACK CITY_SENSOR_NAME_MAX /* zero bytes past the last id (see city_sensor_id) */
#define BATCH_MAX 256                 /* readings a batch sink gets at once at most (8 KiB) */

/* The measurement model of sensor_sample.c, as numbers a sample reads. */
typedef struct SensorModel {
    double noise_sd, bias, drift_per_h; /* as in CitySensorDef */
    double quantum;                     /* resolution (0: none) */
    double quantum_steps;               /* 1 / quantum rounded: steps per unit of a decimal quantum */
    double min, max;                    /* range (clipped and flagged uncertain outside) */
    double dropout_p;                   /* probability a reading is lost */
    double kappa_term;                  /* rh_kappa / 1.65, the humidity growth's numerator */
    double fault_size;                  /* OFFSET's offset, CHATTER's jump */
    int64_t latency_ms;                 /* arrival delay */
    const char *unit;                   /* the quantity's SenML unit (static) */
    uint8_t quantity;                   /* CityQuantity */
    uint8_t agg;                        /* CitySensorAgg */
    uint8_t fault;                      /* CitySensorFault */
    bool quantum_decimal;               /* 1 / quantum is a whole number (0.1, 0.5, 1): divide by steps */
    bool quantum_one;                   /* quantum is 1: the value needs no division before rounding */
    bool rh_growth;                     /* a PM channel with rh_kappa > 0: humidity grows its value */
} SensorModel;

/* What a sample reads and writes of one channel (96 bytes: three lines
 * for two channels, walked in order). */
typedef struct SensorHot {
    CityRng rng;          /* this channel's stream */
    int64_t fail_ms;      /* when the fault starts (INT64_MAX: never) */
    uint64_t samples;     /* samples taken */
    uint64_t readings;    /* readings reported */
    double last_value;    /* the last reading reported: its value, */
    double last_truth;    /* the truth at its measurement, */
    int64_t last_ms;      /* its measured time, */
    int64_t last_arrives; /* its arrival time */
    int32_t model;        /* index in CitySensors.models */
    uint8_t last_quality; /* and its CityQuality */
    bool has_last;        /* the last_* fields hold a reading */
} SensorHot;

/* What the couplings feed a channel, apart from its hot record (32 bytes,
 * two channels a line). The feeds run on the run's thread and a sampling
 * aside reads these on its own (sensor_aside.c): in the hot record, which
 * the sample writes, every feed found its line in the other core's cache.
 * A sample writes here only to reset an interval that had observations. */
typedef struct SensorFeed {
    double instant; /* latest fed value (AGG_LAST), NaN before the first */
    double acc_sum; /* sum of values added this interval (0 when acc_n is) */
    uint64_t acc_n; /* values added this interval */
    double rh_pct;  /* humidity it sees (PM channels), NaN when never fed */
} SensorFeed;

/* The rest of a channel. */
typedef struct Sensor {
    CitySensorDef def;                   /* as added (name owned) */
    char key[CITY_SENSOR_NAME_MAX + 16]; /* "name/quantity", the map key and RNG stream name */
    int64_t period_ticks;                /* sampling period in ticks (>= 1) */
    int64_t offset_tick;                 /* samples on ticks where (tick - offset) % period == 0 */
} Sensor;

/* The channels with one period and phase, ascending: due together. */
typedef struct SensorGroup {
    int64_t period_ticks; /* their period */
    int64_t phase;        /* offset_tick % period_ticks */
    int64_t all_from;     /* the latest first sample of the members: from then on all are due together */
    int32_t *members;     /* channel indices, ascending */
    int32_t n, cap;
} SensorGroup;

/* A queued reading waiting for its arrival time: what varies between two
 * readings of a channel (40 bytes, not a CityReading's 112: the id, the
 * quantity and the unit are the channel's, filled in when polled). */
typedef struct Pending {
    CitySensorArrival a; /* first: arrives_ms, the heap's key */
    uint64_t seq;        /* measurement order, the tie-break */
} Pending;

typedef struct SensorAside SensorAside; /* sensor_aside.c */

struct CitySensors {
    CityWorld *world; /* the owner */
    Sensor *sensors;  /* channels in the order added */
    SensorHot *hot;   /* per channel: what sampling touches (cap entries, 64-byte aligned) */
    SensorFeed *feed; /* per channel: the truth fed (cap_feed entries, 64-byte aligned) */
    int32_t cap_feed;
    int32_t n, cap;
    /* the channels' ids, packed (a reading's first field, 10,000 a second
     * in the outputs): channel i's is ids[id_at[i], id_at[i + 1] - 1), NUL
     * after it, and ID_SLACK zero bytes past the last, for fixed-size copies */
    char *ids;
    uint32_t *id_at; /* n + 1 offsets into ids */
    int32_t cap_id_at;
    size_t ids_len, ids_cap;
    /* readings waiting for the batch sink (sensor_sample.c): sampling hands
     * them over BATCH_MAX at a time and at the end of each sampling */
    CitySensorBatchSink batch_sink;
    void *batch_user;
    CitySensorReport *batch; /* BATCH_MAX entries, allocated with the sink */
    int64_t batch_ms;        /* the measured time of the readings in it */
    SensorModel *models;     /* distinct measurement models */
    int32_t n_models, cap_models;
    SensorGroup *groups; /* the schedule: channels by period and phase */
    int32_t n_groups, cap_groups;
    int32_t *due; /* channels due at due_tick when they come from several groups, ascending */
    int32_t cap_due;
    int32_t *merge; /* scratch of the merge (2 n entries) */
    int32_t cap_merge;
    const int32_t *due_list; /* the channels due at due_tick: `due` or one group's members */
    int32_t n_due;
    int64_t due_tick; /* the tick due_list lists (-1: none) */
    /* kept readings for inspectors (sensor_history.c), depth 0: none */
    int32_t hist_depth;     /* readings kept per channel */
    int32_t hist_n;         /* channels the arrays below cover */
    CitySensorSample *hist; /* hist_n rings of hist_depth */
    int32_t *hist_head;     /* per channel: next slot to write */
    int32_t *hist_count;    /* per channel: readings kept (<= hist_depth) */
    CityStrMap by_key;      /* "name/quantity" -> index */
    const Sensor *keyed;    /* the array by_key's keys point into */
    CityReadingSink sink;   /* where readings go when measured */
    void *sink_user;
    bool deliver;  /* queue readings for city_sensors_poll */
    uint8_t *only; /* when not NULL: per channel, 1 = queue its readings (channels from n_only on: not queued) */
    int32_t n_only;
    Pending *heap; /* min-heap on (arrives_ms, seq): readings that arrive out of order */
    size_t n_heap, cap_heap;
    /* Readings queued in (arrives_ms, seq) order, the common case (one
     * latency): appended and taken in O(1); fifo[fifo_head..n_fifo) wait. */
    Pending *fifo;
    size_t fifo_head, n_fifo, cap_fifo;
    uint64_t seq;      /* readings queued so far */
    int32_t reporting; /* channels that have reported a reading (has_last) */
    /* sampling aside (sensor_aside.c): its thread (NULL until first used),
     * the channels due at least to use it (0: never), and whether a
     * sampling is there not yet joined (the run's thread's own flag) */
    SensorAside *aside;
    int32_t aside_min;
    bool aside_pending;
};

/* Sampling aside (sensor_aside.c). Whether a tick's sampling of n_due
 * channels may go aside: enough of them, and only the batch sink takes
 * readings (nothing else may see them during the tick). */
bool sensor_aside_fits(const CitySensors *s, int32_t n_due);
/* Hands the sampling of due[0, n) at now_ms to the thread; false when it
 * cannot (no thread, out of memory): then sample in place. */
bool sensor_aside_post(CitySensors *s, const int32_t *due, int32_t n, int64_t now_ms);
/* Waits for a sampling aside to finish (sensor_join's slow path). */
void sensor_join_wait(CitySensors *s);
/* Ends the thread (when there is one). */
void sensor_aside_stop(CitySensors *s);
/* The truth a coupling feeds channel i (city_sensor_feed_*). */
typedef enum SensorFeedOp { SENSOR_FEED_VALUE, SENSOR_FEED_ADD, SENSOR_FEED_RH, SENSOR_FEED_AIR } SensorFeedOp;
static inline void sensor_feed_apply(SensorFeed *f, SensorFeedOp op, double v, double rh_pct)
{
    switch (op) {
    case SENSOR_FEED_VALUE:
        f->instant = v;
        break;
    case SENSOR_FEED_ADD:
        f->acc_sum += v;
        f->acc_n++;
        break;
    case SENSOR_FEED_RH:
        f->rh_pct = rh_pct;
        break;
    case SENSOR_FEED_AIR:
        f->instant = v;
        f->rh_pct = rh_pct;
        break;
    }
}
/* Logs a feed made while a sampling is aside, applied in order when it is
 * joined; false when the sampling is done (the join will not wait), or the
 * log is full or out of memory: then join first. */
bool sensor_feed_later(CitySensors *s, int32_t i, SensorFeedOp op, double v, double rh_pct);
/* Every function that reads or changes the channels' state calls this
 * first (the feeds through sensor_feed, which may log instead): a sampling
 * aside is finished before. Not the ones a batch sink
 * calls (count, definitions, ids), which read what only an add changes,
 * and an add joins. const: the wait changes no state a caller sees. */
static inline void sensor_join(const CitySensors *s)
{
    if (s->aside_pending)
        sensor_join_wait((CitySensors *)s);
}
/* Feeds channel i: at once, or after the sampling aside (which reads the
 * feeds), so the tick after a sampling does not wait for it. An air feed
 * (the truth of a channel due next tick, 10,000 of them a second) waits
 * instead: logging and replaying those cost more than the wait, when the
 * sampling is not done by then. */
static inline void sensor_feed(CitySensors *s, int32_t i, SensorFeedOp op, double v, double rh_pct)
{
    if (s->aside_pending && op != SENSOR_FEED_AIR && sensor_feed_later(s, i, op, v, rh_pct))
        return;
    sensor_join(s);
    sensor_feed_apply(&s->feed[i], op, v, rh_pct);
}

/* Channel i's id (NUL-terminated). */
static inline const char *sensor_id(const CitySensors *s, int32_t i)
{
    return s->ids + s->id_at[i];
}
/* Takes one sample of each channel due[0, n) at time now_ms, in that order (sensor_sample.c). */
CityStatus sensor_sample_due(CitySensors *s, const int32_t *due, int32_t n, int64_t now_ms);
/* The measurement model of a definition (sensor_sample.c). */
void sensor_model_init(SensorModel *m, const CitySensorDef *d);
/* Channel i's last reading, rebuilt from its hot record and name. */
void sensor_last_reading(const CitySensors *s, int32_t i, CityReading *out);
/* Keeps a reported reading of channel i when history is on (sensor_history.c). */
CityStatus sensor_history_push(CitySensors *s, int32_t i, const CityReading *r, double truth);
/* Frees the kept readings (sensor_history.c). */
void sensor_history_free(CitySensors *s);
/* Queues a reading of channel i for delivery (sensor.c). */
CityStatus sensor_queue(CitySensors *s, int32_t i, const CityReading *r);
/* False when delivery is on but nobody takes channel i's readings: sampling
 * then only counts the reading (sensor_queue's seq) without the call. */
static inline bool sensor_queued(const CitySensors *s, int32_t i)
{
    return !s->only || (i < s->n_only && s->only[i]);
}
/* Puts channel i (just added, the highest index) in its schedule group
 * (sensor_schedule.c); false when out of memory. */
bool sensor_schedule_add(CitySensors *s, int32_t i);
/* Frees the schedule (sensor_schedule.c). */
void sensor_schedule_free(CitySensors *s);

#endif
