/* The measurement model of one channel, applied in this order:
 *   truth (by aggregation) -> humidity growth (PM) -> bias + drift + noise
 *   -> fault -> quantization -> range clip (uncertain) -> dropout
 * and the reading is stamped measured now, arriving latency later. */
#include <math.h>
#include <string.h>

#include "sensor_internal.h"

double city_sensor_rh_factor(double kappa, double rh_pct)
{
    if (!(kappa > 0) || !(rh_pct > 0))
        return 1.0;
    const double rh = rh_pct < 99.0 ? rh_pct : 99.0;
    return 1.0 + (kappa / 1.65) / (100.0 / rh - 1.0);
}

/* The constants of the model, so that a sample (10,000 channels at 1 Hz)
 * divides only where the value needs it; every number comes out as
 * city_sensor_rh_factor and the quantization below compute it. */
void sensor_model_init(SensorModel *m, const CitySensorDef *d)
{
    memset(m, 0, sizeof *m);
    m->noise_sd = d->noise_sd;
    m->bias = d->bias;
    m->drift_per_h = d->drift_per_h;
    m->quantum = d->quantum;
    m->min = d->min;
    m->max = d->max;
    m->dropout_p = d->dropout_p;
    m->kappa_term = d->rh_kappa / 1.65;
    m->fault_size = d->fault_size;
    m->latency_ms = llround(d->latency_s * 1000.0);
    m->unit = city_quantity_unit(d->quantity);
    m->quantity = (uint8_t)d->quantity;
    m->agg = (uint8_t)d->agg;
    m->fault = (uint8_t)d->fault;
    m->rh_growth = d->rh_kappa > 0 && (d->quantity == CITY_QTY_PM25 || d->quantity == CITY_QTY_PM10);
    m->quantum_steps = 1.0;
    m->quantum_decimal = false;
    m->quantum_one = false;
    if (d->quantum > 0) {
        /* a decimal quantum (0.1) divides, so 257 steps print as 25.7, not 25.700000000000003 */
        const double inv = 1.0 / d->quantum;
        m->quantum_steps = nearbyint(inv);
        m->quantum_decimal = fabs(inv - nearbyint(inv)) < 1e-9 * inv;
        m->quantum_one = d->quantum == 1.0;
    }
}

/* What one tick's sampling keeps in locals, not in the sensors: stores
 * into the hot records may alias the sensors' fields as far as the
 * compiler knows, which then loads them again for every sample. */
typedef struct SampleRun {
    CitySensorReport *out, *out_end;         /* the batch's next free entry and its end */
    double rh_seen, kappa_seen, factor_seen; /* the humidity factor last computed, and for what */
} SampleRun;

/* city_sensor_rh_factor with kappa / 1.65 kept (rh_growth: kappa > 0).
 * Every PM channel of a tick sees the weather's one humidity, so the last
 * factor is kept and two divisions per sample become two compares. */
static double rh_factor(SampleRun *run, const SensorModel *m, const SensorHot *h)
{
    if (!(h->rh_pct > 0))
        return 1.0;
    if (h->rh_pct == run->rh_seen && m->kappa_term == run->kappa_seen)
        return run->factor_seen;
    const double rh = h->rh_pct < 99.0 ? h->rh_pct : 99.0;
    run->rh_seen = h->rh_pct;
    run->kappa_seen = m->kappa_term;
    run->factor_seen = 1.0 + m->kappa_term / (100.0 / rh - 1.0);
    return run->factor_seen;
}

/* nearbyint(x) in the default rounding mode (to nearest, ties to even),
 * without a call: below 2^52 adding 2^52 leaves no fraction bits, so the
 * addition rounds x to an integer, and subtracting 2^52 back is exact.
 * Zeros and NaN come back as they are, as from nearbyint. */
static inline double round_even(double x)
{
    const double big = 0x1.0p52;
    if (x > 0)
        return x < big ? (x + big) - big : x;
    if (x < 0)
        return x > -big ? -((-x + big) - big) : x;
    return x;
}

/* The true value of the interval that ends now; resets the accumulators. */
static double interval_truth(SensorHot *h, int agg)
{
    double v;
    switch (agg) {
    case CITY_AGG_SUM:
        v = h->acc_sum;
        break;
    case CITY_AGG_MEAN:
        v = h->acc_n ? h->acc_sum / (double)h->acc_n : NAN;
        break;
    default:
        v = h->instant;
    }
    h->acc_sum = 0.0;
    h->acc_n = 0;
    return v;
}

void sensor_last_reading(const CitySensors *s, int32_t i, CityReading *out)
{
    const SensorHot *h = &s->hot[i];
    city_reading_init(out, sensor_id(s, i), s->sensors[i].def.quantity, h->last_value, h->last_ms, h->last_arrives,
                      (CityQuality)h->last_quality);
}

/* Hands the batch, up to run->out, to the batch sink and empties it. */
static void batch_flush(CitySensors *s, SampleRun *run)
{
    if (run->out > s->batch)
        s->batch_sink(s->batch_user, s, s->batch_ms, s->batch, (size_t)(run->out - s->batch));
    run->out = s->batch;
}

/* Takes one sample of channel i (hot record h, model m) at time now_ms;
 * now_h is now_ms / 3.6e6, the drift's clock; others: a consumer besides
 * the batch sink takes readings. */
static inline CityStatus sample(CitySensors *s, SampleRun *run, int32_t i, SensorHot *h, const SensorModel *m,
                                int64_t now_ms, double now_h, bool others)
{
    h->samples++;
    const double truth = interval_truth(h, m->agg);
    /* the draws, always all and in this order (see city_sensor.h) */
    const double u_drop = city_rng_uniform_inline(&h->rng);
    const double z = city_rng_normal_zig_inline(&h->rng);
    const double u_chatter = city_rng_uniform_inline(&h->rng);

    const bool failed = m->fault != CITY_FAULT_NONE && now_ms >= h->fail_ms;
    if (failed && m->fault == CITY_FAULT_DEAD)
        return CITY_OK;
    const bool stuck = failed && m->fault == CITY_FAULT_STUCK;
    if (isnan(truth) && !stuck)
        return CITY_OK; /* nothing to measure yet (no vehicle passed a speed trap, nothing fed) */

    double v = truth;
    if (m->rh_growth)
        v *= rh_factor(run, m, h);
    v += m->bias + m->drift_per_h * now_h + m->noise_sd * z;
    CityQuality q = CITY_QUALITY_GOOD;
    if (failed) {
        if (stuck && h->has_last)
            v = h->last_value;
        else if (m->fault == CITY_FAULT_CHATTER)
            v += u_chatter < 0.5 ? -m->fault_size : m->fault_size;
        else if (m->fault == CITY_FAULT_OFFSET)
            v += m->fault_size;
    }
    if (m->quantum > 0 && !stuck) {
        const double steps = round_even(m->quantum_one ? v : v / m->quantum); /* v / 1 is v */
        /* x / 1 is x exactly: a quantum of 1 needs no division */
        v = !m->quantum_decimal ? m->quantum * steps : m->quantum_steps == 1.0 ? steps : steps / m->quantum_steps;
    }
    if (v < m->min || v > m->max) {
        v = v < m->min ? m->min : m->max;
        q = CITY_QUALITY_UNCERTAIN;
    }
    if (u_drop < m->dropout_p || isnan(v))
        return CITY_OK;

    h->readings++;
    h->has_last = true;
    h->last_value = v;
    h->last_truth = truth;
    h->last_ms = now_ms;
    h->last_arrives = now_ms + m->latency_ms;
    h->last_quality = (uint8_t)q;
    if (run->out) {
        *run->out++ = (CitySensorReport){v, truth, h->last_arrives, i, m->quantity, (uint8_t)q};
        if (run->out == run->out_end)
            batch_flush(s, run);
    }
    if (!others)
        return CITY_OK; /* nobody else takes the reading */
    if (!s->sink && s->hist_depth == 0 && !sensor_queued(s, i)) {
        s->seq++; /* delivery is on but nobody reads this channel: counted as sensor_queue counts it */
        return CITY_OK;
    }
    /* the reading, built whole here */
    CityReading r;
    const char *id = sensor_id(s, i);
    const size_t n_id = s->id_at[i + 1] - s->id_at[i]; /* with its NUL */
    memcpy(r.sensor, id, n_id);
    memset(r.sensor + n_id, 0, sizeof r.sensor - n_id);
    r.quantity = (CityQuantity)m->quantity;
    r.value = v;
    r.unit = m->unit;
    r.measured_ms = now_ms;
    r.arrives_ms = h->last_arrives;
    r.quality = q;
    if (s->sink)
        s->sink(s->sink_user, &r, truth);
    if (s->hist_depth > 0) {
        CityStatus st = sensor_history_push(s, i, &r, truth);
        if (st != CITY_OK)
            return st;
    }
    if (s->deliver && !sensor_queued(s, i)) {
        s->seq++; /* as sensor_queue counts it: the state hash is that of queueing all */
        return CITY_OK;
    }
    return s->deliver ? sensor_queue(s, i, &r) : CITY_OK;
}

CityStatus sensor_sample_due(CitySensors *s, const int32_t *due, int32_t n, int64_t now_ms)
{
    const double now_h = now_ms / 3.6e6;
    s->batch_ms = now_ms;
    const bool others = s->sink || s->hist_depth > 0 || s->deliver; /* once, not per sample */
    SampleRun run = {NULL, NULL, 0.0, 0.0, 0.0};                    /* out NULL: no batch sink */
    if (s->batch_sink) {
        run.out = s->batch;
        run.out_end = s->batch + BATCH_MAX;
    }
    CityStatus st = CITY_OK;
    /* the model of the channels sampled, copied here: a bulk placement's
     * channels share one, and a local copy is not re-read after every store
     * into the hot records and the batch (which the compiler must assume
     * may change the shared one) */
    SensorModel m = {0};
    int32_t model = -1;
    for (int32_t k = 0; k < n && st == CITY_OK; k++) {
        const int32_t i = due[k];
        SensorHot *h = &s->hot[i];
        if (h->model != model) {
            model = h->model;
            m = s->models[model];
        }
        st = sample(s, &run, i, h, &m, now_ms, now_h, others);
    }
    if (run.out)
        batch_flush(s, &run); /* what was measured, also when a later sample failed */
    return st;
}
