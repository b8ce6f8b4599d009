/* The measurement model of one channel, applied in this order:
 *   truth (by aggregation) -> humidity growth (PM) -> bias + drift + noise
 *   -> fault -> quantization -> range clip (uncertain) -> dropout
 * and the reading is stamped measured now, arriving latency later. */
#include <math.h>

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
void sensor_sample_init(Sensor *c)
{
    const CitySensorDef *d = &c->def;
    c->kappa_term = d->rh_kappa / 1.65;
    c->quantum_steps = 1.0;
    c->quantum_decimal = false;
    if (d->quantum > 0) {
        /* a decimal quantum (0.1) divides, so 257 steps print as 25.7, not 25.700000000000003 */
        const double inv = 1.0 / d->quantum;
        c->quantum_steps = nearbyint(inv);
        c->quantum_decimal = fabs(inv - nearbyint(inv)) < 1e-9 * inv;
    }
}

/* city_sensor_rh_factor with kappa / 1.65 kept. */
static double rh_factor(const Sensor *c)
{
    if (!(c->def.rh_kappa > 0) || !(c->rh_pct > 0))
        return 1.0;
    const double rh = c->rh_pct < 99.0 ? c->rh_pct : 99.0;
    return 1.0 + c->kappa_term / (100.0 / rh - 1.0);
}

/* The true value of the interval that ends now; resets the accumulators. */
static double interval_truth(Sensor *c)
{
    double v;
    switch (c->def.agg) {
    case CITY_AGG_SUM:
        v = c->acc_sum;
        break;
    case CITY_AGG_MEAN:
        v = c->acc_n ? c->acc_sum / (double)c->acc_n : NAN;
        break;
    default:
        v = c->instant;
    }
    c->acc_sum = 0.0;
    c->acc_n = 0;
    return v;
}

CityStatus sensor_sample(CitySensors *s, Sensor *c, int64_t now_ms, double now_h)
{
    const CitySensorDef *d = &c->def;
    c->samples++;
    const double truth = interval_truth(c);
    /* the draws, always all and in this order (see city_sensor.h) */
    const double u_drop = city_rng_uniform(&c->rng);
    const double z = city_rng_normal(&c->rng);
    const double u_chatter = city_rng_uniform(&c->rng);

    const bool failed = d->fault != CITY_FAULT_NONE && now_ms >= c->fail_ms;
    if (failed && d->fault == CITY_FAULT_DEAD)
        return CITY_OK;
    if (isnan(truth) && !(failed && d->fault == CITY_FAULT_STUCK))
        return CITY_OK; /* nothing to measure yet (no vehicle passed a speed trap, nothing fed) */

    double v = truth;
    if (d->rh_kappa > 0 && (d->quantity == CITY_QTY_PM25 || d->quantity == CITY_QTY_PM10))
        v *= rh_factor(c);
    v += d->bias + d->drift_per_h * now_h + d->noise_sd * z;
    CityQuality q = CITY_QUALITY_GOOD;
    if (failed) {
        if (d->fault == CITY_FAULT_STUCK && c->has_last)
            v = c->last.value;
        else if (d->fault == CITY_FAULT_CHATTER)
            v += u_chatter < 0.5 ? -d->fault_size : d->fault_size;
        else if (d->fault == CITY_FAULT_OFFSET)
            v += d->fault_size;
    }
    if (d->quantum > 0 && !(failed && d->fault == CITY_FAULT_STUCK)) {
        const double steps = nearbyint(v / d->quantum);
        /* x / 1 is x exactly: a quantum of 1 needs no division */
        v = !c->quantum_decimal       ? d->quantum * steps
            : c->quantum_steps == 1.0 ? steps
                                      : steps / c->quantum_steps;
    }
    if (v < d->min || v > d->max) {
        v = v < d->min ? d->min : d->max;
        q = CITY_QUALITY_UNCERTAIN;
    }
    if (u_drop < d->dropout_p || isnan(v))
        return CITY_OK;

    /* the reading is built in place of the last one: after the first, only
     * its numbers change (10,000 channels at 1 Hz make this the hot path) */
    CityReading *r = &c->last;
    if (!c->has_last)
        city_reading_init(r, d->name, d->quantity, v, now_ms, now_ms + c->latency_ms, q);
    r->value = v;
    r->measured_ms = now_ms;
    r->arrives_ms = now_ms + c->latency_ms;
    r->quality = q;
    c->readings++;
    c->has_last = true;
    c->last_truth = truth;
    if (s->sink)
        s->sink(s->sink_user, r, truth);
    if (s->hist_depth > 0) {
        CityStatus st = sensor_history_push(s, (int32_t)(c - s->sensors), r, truth);
        if (st != CITY_OK)
            return st;
    }
    return sensor_queue(s, (int32_t)(c - s->sensors), r);
}
