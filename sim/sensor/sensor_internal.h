/* Private to sim/sensor: one channel's definition and state. */
#ifndef SENSOR_INTERNAL_H
#define SENSOR_INTERNAL_H

#include "city_array.h"
#include "city_sensor.h"
#include "city_strmap.h"

typedef struct Sensor {
    CitySensorDef def;                   /* as added (name owned) */
    char key[CITY_SENSOR_NAME_MAX + 16]; /* "name/quantity", the map key and RNG stream name */
    CityRng rng;                         /* this channel's stream */
    int64_t period_ticks;                /* sampling period in ticks (>= 1) */
    int64_t offset_tick;                 /* samples on ticks where (tick - offset) % period == 0 */
    int64_t latency_ms;                  /* arrival delay */
    int64_t fail_ms;                     /* when the fault starts (INT64_MAX: never) */
    double kappa_term;                   /* rh_kappa / 1.65, the humidity growth's numerator */
    double quantum_steps;                /* 1 / quantum rounded: steps per unit of a decimal quantum */
    bool quantum_decimal;                /* 1 / quantum is a whole number (0.1, 0.5, 1): divide by steps */
    double instant;                      /* latest fed value (AGG_LAST), NaN before the first */
    double acc_sum;                      /* sum of values added this interval */
    uint64_t acc_n;                      /* values added this interval */
    double rh_pct;                       /* humidity it sees (PM channels), NaN when never fed */
    uint64_t samples;                    /* samples taken */
    uint64_t readings;                   /* readings reported */
    bool has_last;                       /* `last` holds a reading */
    CityReading last;                    /* the last reading reported */
    double last_truth;                   /* truth at its measurement */
} Sensor;

/* A queued reading waiting for its arrival time. */
typedef struct Pending {
    CityReading r;
    uint64_t seq;    /* measurement order, the tie-break */
    int32_t channel; /* its channel (index in `sensors`) */
} Pending;

struct CitySensors {
    CityWorld *world; /* the owner */
    Sensor *sensors;  /* channels in the order added */
    int32_t n, cap;
    /* The schedule, apart from the channels so that finding the few due in a
     * tick reads 8 bytes per channel, not a whole Sensor. */
    int64_t *next_tick; /* per channel: the next tick it samples at (cap entries) */
    bool resync;        /* next_tick must be recomputed (after a checkpoint load) */
    int32_t *due;       /* channels due at due_tick, ascending (cap entries) */
    int32_t n_due;
    int64_t due_tick; /* the tick `due` lists (-1: none) */
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
    uint64_t seq; /* readings queued so far */
};

/* Takes one sample of channel c at time now_ms (sensor_sample.c); now_h is
 * now_ms / 3.6e6, the drift's clock, computed once per tick by the caller. */
CityStatus sensor_sample(CitySensors *s, Sensor *c, int64_t now_ms, double now_h);
/* Fills the channel's constants of the measurement model from its definition (sensor_sample.c). */
void sensor_sample_init(Sensor *c);
/* Keeps a reported reading of channel i when history is on (sensor_history.c). */
CityStatus sensor_history_push(CitySensors *s, int32_t i, const CityReading *r, double truth);
/* Frees the kept readings (sensor_history.c). */
void sensor_history_free(CitySensors *s);
/* Queues a reading of channel i for delivery (sensor.c). */
CityStatus sensor_queue(CitySensors *s, int32_t i, const CityReading *r);

#endif
