/* The measurement model of one channel, applied in this order:
 *   truth (by aggregation) -> humidity growth (PM) -> bias + drift + noise
 *   -> fault -> quantization -> range clip (uncertain) -> dropout
 * and the reading is stamped measured now, arriving latency later. */
#include <math.h>
#include <string.h>

#include "city_compiler.h"
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
static double rh_factor(SampleRun *run, const SensorModel *m, const SensorFeed *f)
{
    if (!(f->rh_pct > 0))
        return 1.0;
    if (f->rh_pct == run->rh_seen && m->kappa_term == run->kappa_seen)
        return run->factor_seen;
    const double rh = f->rh_pct < 99.0 ? f->rh_pct : 99.0;
    run->rh_seen = f->rh_pct;
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

/* Starts a new interval: writes only when the last one had observations
 * (acc_sum is 0 when acc_n is), so sampling an instantaneous channel
 * leaves its feed record to the feeds (sensor_aside.c). */
static inline void interval_reset(SensorFeed *f)
{
    if (f->acc_n) {
        f->acc_sum = 0.0;
        f->acc_n = 0;
    }
}

/* The true value of the interval that ends now; resets the accumulators. */
static double interval_truth(SensorFeed *f, int agg)
{
    double v;
    switch (agg) {
    case CITY_AGG_SUM:
        v = f->acc_sum;
        break;
    case CITY_AGG_MEAN:
        v = f->acc_n ? f->acc_sum / (double)f->acc_n : NAN;
        break;
    default:
        v = f->instant;
    }
    interval_reset(f);
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

/* The three draws of a sample, always all and in this order (see
 * city_sensor.h): the dropout's uniform, the noise's normal (the
 * ziggurat's), and the chatter's uniform (its 64 bits: converted only by a
 * chattering channel). */
typedef struct Draws {
    double u_drop, z;
    uint64_t chatter_bits;
} Draws;

/* The normal and the chatter's bits when the ziggurat's first try, `bits`,
 * missed its rectangle (1.5 % of samples): the rest from the stream in h. */
static CITY_NOINLINE void draw_rest(SensorHot *h, uint64_t bits, Draws *d)
{
    d->z = city_rng_normal_zig_rest(&h->rng, bits);
    d->chatter_bits = city_rng_next_inline(&h->rng);
}

/* The draws from a copy of the stream that stays in registers, stored back
 * once: city_rng_normal_zig_inline's first try, spelled out so that the
 * copy's address is taken by no call. */
static CITY_ALWAYS_INLINE Draws draw3(SensorHot *h)
{
    CityRng r = h->rng;
    Draws d;
    d.u_drop = city_rng_uniform_inline(&r);
    const uint64_t bits = city_rng_next_inline(&r);
    const int layer = (int)(bits & 0xffu);
    d.z = ((double)(int64_t)(bits >> 12) * 0x1.0p-51 - 1.0) * CITY_RNG_ZIG_X[layer];
    if (fabs(d.z) < CITY_RNG_ZIG_X[layer + 1]) {
        d.chatter_bits = city_rng_next_inline(&r);
        h->rng = r;
    } else {
        h->rng = r;
        draw_rest(h, bits, &d);
    }
    return d;
}

/* What others than the batch sink take of a reading (the per-reading sink,
 * the history, delivery), built whole here. */
static CityStatus sample_others(CitySensors *s, int32_t i, const SensorModel *m, double v, double truth, int64_t now_ms,
                                int64_t arrives_ms, CityQuality q)
{
    if (!s->sink && s->hist_depth == 0 && !sensor_queued(s, i)) {
        s->seq++; /* delivery is on but nobody reads this channel: counted as sensor_queue counts it */
        return CITY_OK;
    }
    CityReading r;
    const char *id = sensor_id(s, i);
    const size_t n_id = s->id_at[i + 1] - s->id_at[i]; /* with its NUL */
    memcpy(r.sensor, id, n_id);
    memset(r.sensor + n_id, 0, sizeof r.sensor - n_id);
    r.quantity = (CityQuantity)m->quantity;
    r.value = v;
    r.unit = m->unit;
    r.measured_ms = now_ms;
    r.arrives_ms = arrives_ms;
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

/* Keeps a reading as channel i's last (hot record h) and puts it in the
 * batch, handing the batch over when full: the sink sees every channel's
 * last reading as reported. */
static CITY_ALWAYS_INLINE void keep_and_batch(CitySensors *s, SampleRun *run, int32_t i, SensorHot *h, uint8_t quantity,
                                              double v, double truth, int64_t now_ms, int64_t arrives_ms, CityQuality q)
{
    h->readings++;
    h->last_value = v;
    h->last_truth = truth;
    h->last_ms = now_ms;
    h->last_arrives = arrives_ms;
    s->reporting += !h->has_last;
    h->has_last = true;
    h->last_quality = (uint8_t)q;
    CitySensorReport *out = run->out;
    if (out) {
        *out++ = (CitySensorReport){v, truth, arrives_ms, i, quantity, (uint8_t)q};
        run->out = out;
        if (out == run->out_end)
            batch_flush(s, run);
    }
}

/* Records the reading of channel i as its last and reports it. */
static inline CityStatus report(CitySensors *s, SampleRun *run, int32_t i, SensorHot *h, const SensorModel *m, double v,
                                double truth, int64_t now_ms, CityQuality q, bool others)
{
    const int64_t arrives_ms = now_ms + m->latency_ms;
    keep_and_batch(s, run, i, h, m->quantity, v, truth, now_ms, arrives_ms, q);
    return others ? sample_others(s, i, m, v, truth, now_ms, arrives_ms, q) : CITY_OK;
}

/* The measurement model of a sample of channel i (hot record h, feed f, model m)
 * at time now_ms, after its truth and draws; now_h is now_ms / 3.6e6, the
 * drift's clock; others: a consumer besides the batch sink takes readings. */
static CityStatus sample_model(CitySensors *s, SampleRun *run, int32_t i, SensorHot *h, const SensorFeed *f,
                               const SensorModel *m, int64_t now_ms, double now_h, bool others, double truth,
                               const Draws *d)
{
    const bool failed = m->fault != CITY_FAULT_NONE && now_ms >= h->fail_ms;
    if (failed && m->fault == CITY_FAULT_DEAD)
        return CITY_OK;
    const bool stuck = failed && m->fault == CITY_FAULT_STUCK;
    if (isnan(truth) && !stuck)
        return CITY_OK; /* nothing to measure yet (no vehicle passed a speed trap, nothing fed) */

    double v = truth;
    if (m->rh_growth)
        v *= rh_factor(run, m, f);
    v += m->bias + m->drift_per_h * now_h + m->noise_sd * d->z;
    CityQuality q = CITY_QUALITY_GOOD;
    if (failed) {
        if (stuck && h->has_last)
            v = h->last_value;
        else if (m->fault == CITY_FAULT_CHATTER)
            v += (double)(d->chatter_bits >> 11) * 0x1.0p-53 < 0.5 ? -m->fault_size : m->fault_size;
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
    if (d->u_drop < m->dropout_p || isnan(v))
        return CITY_OK;
    return report(s, run, i, h, m, v, truth, now_ms, q, others);
}

/* Samples the channels due[*k, n) from *k on while they have model m (index
 * model, any model); *k is left at the first not sampled. */
static CityStatus sample_general(CitySensors *s, SampleRun *run, const int32_t *due, int32_t *k_io, int32_t n,
                                 int32_t model, const SensorModel *m, int64_t now_ms, double now_h, bool others)
{
    for (int32_t k = *k_io; k < n; k++) {
        SensorHot *h = &s->hot[due[k]];
        if (h->model != model) {
            *k_io = k;
            return CITY_OK;
        }
        h->samples++;
        SensorFeed *f = &s->feed[due[k]];
        const double truth = interval_truth(f, m->agg);
        const Draws d = draw3(h);
        const CityStatus st = sample_model(s, run, due[k], h, f, m, now_ms, now_h, others, truth, &d);
        if (st != CITY_OK)
            return st;
    }
    *k_io = n;
    return CITY_OK;
}

/* sample_general for a model that reads the last value fed (AGG_LAST) and
 * quantizes to 1 (one) or not at all, the bulk placements' kind: the same
 * numbers by fewer steps. The model's tests are made once for the run, the
 * bias and drift summed once (as sample_model sums them first), the
 * humidity factor kept for the one humidity every channel sees, the
 * batch's cursor kept in a local, and a channel whose fault has started
 * takes sample_model. */
static CITY_ALWAYS_INLINE CityStatus sample_last(CitySensors *s, SampleRun *run, const int32_t *due, int32_t *k_io,
                                                 int32_t n, int32_t model, const SensorModel *m, int64_t now_ms,
                                                 double now_h, bool others, bool one)
{
    const double offset = m->bias + m->drift_per_h * now_h, sd = m->noise_sd;
    const double lo = m->min, hi = m->max, dropout_p = m->dropout_p;
    const int64_t arrives_ms = now_ms + m->latency_ms;
    const uint8_t quantity = m->quantity;
    const bool growth = m->rh_growth;
    double rh_seen = NAN, factor_seen = 1.0; /* NaN equals no humidity: the first computes */
    CityStatus st = CITY_OK;
    int32_t k = *k_io;
    for (; k < n; k++) {
        const int32_t i = due[k];
        SensorHot *h = &s->hot[i];
        if (h->model != model)
            break;
        h->samples++;
        SensorFeed *f = &s->feed[i];
        const double truth = f->instant;
        interval_reset(f);
        const Draws d = draw3(h);
        if (now_ms >= h->fail_ms) {
            st = sample_model(s, run, i, h, f, m, now_ms, now_h, others, truth, &d);
            if (st != CITY_OK)
                break;
            continue;
        }
        if (isnan(truth))
            continue; /* nothing fed yet */
        double v = truth;
        if (growth) {
            if (f->rh_pct != rh_seen) {
                rh_seen = f->rh_pct;
                factor_seen = rh_factor(run, m, f);
            }
            v *= factor_seen;
        }
        v += offset + sd * d.z;
        if (one)
            v = round_even(v);
        CityQuality q = CITY_QUALITY_GOOD;
        if (v < lo || v > hi) {
            v = v < lo ? lo : hi;
            q = CITY_QUALITY_UNCERTAIN;
        }
        if (d.u_drop < dropout_p || isnan(v))
            continue;
        keep_and_batch(s, run, i, h, quantity, v, truth, now_ms, arrives_ms, q);
        if (others && (st = sample_others(s, i, m, v, truth, now_ms, arrives_ms, q)) != CITY_OK)
            break;
    }
    *k_io = k;
    return st;
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
    /* runs of channels with one model (a bulk placement's share one),
     * sampled with a local copy of it: a copy is not re-read after every
     * store into the hot records and the batch (which the compiler must
     * assume may change the shared one) */
    for (int32_t k = 0; k < n && st == CITY_OK;) {
        const int32_t model = s->hot[due[k]].model;
        const SensorModel m = s->models[model];
        if (m.agg == CITY_AGG_LAST && m.quantum_one)
            st = sample_last(s, &run, due, &k, n, model, &m, now_ms, now_h, others, true);
        else if (m.agg == CITY_AGG_LAST && !(m.quantum > 0))
            st = sample_last(s, &run, due, &k, n, model, &m, now_ms, now_h, others, false);
        else
            st = sample_general(s, &run, due, &k, n, model, &m, now_ms, now_h, others);
    }
    if (run.out)
        batch_flush(s, &run); /* what was measured, also when a later sample failed */
    return st;
}
