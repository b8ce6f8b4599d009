/* The sensors subsystem: channels, feeding, delivery by arrival time. The
 * measurement model is in sensor_sample.c. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_state.h"
#include "sensor_internal.h"

#define SENSORS_NAME "sensors" /* subsystem name */

static void heap_sift_down(Pending *heap, size_t n, size_t i, const Pending *t);

static const char *const kind_names[CITY_SENSOR_KIND_COUNT] = {"loop",        "camera", "radar",  "air",
                                                               "weather",     "meter",  "feeder", "charger",
                                                               "streetlight", "manual", "queue",  "emergency"};
static const char *const fault_names[CITY_FAULT_COUNT] = {"none", "stuck", "dead", "chatter", "offset"};

const char *city_sensor_kind_name(CitySensorKind k)
{
    return (unsigned)k < CITY_SENSOR_KIND_COUNT ? kind_names[k] : NULL;
}
bool city_sensor_kind_parse(const char *name, CitySensorKind *out)
{
    for (int k = 0; k < CITY_SENSOR_KIND_COUNT; k++)
        if (!strcmp(name, kind_names[k])) {
            *out = (CitySensorKind)k;
            return true;
        }
    return false;
}
const char *city_sensor_fault_name(CitySensorFault f)
{
    return (unsigned)f < CITY_FAULT_COUNT ? fault_names[f] : NULL;
}
bool city_sensor_fault_parse(const char *name, CitySensorFault *out)
{
    for (int k = 0; k < CITY_FAULT_COUNT; k++)
        if (!strcmp(name, fault_names[k])) {
            *out = (CitySensorFault)k;
            return true;
        }
    return false;
}

CitySensorDef city_sensor_def_default(CitySensorKind kind, CityQuantity quantity, const char *name)
{
    CitySensorAgg agg = CITY_AGG_LAST;
    /* cameras and radar count what is in view when they sample; loops what passed in the interval */
    const bool snapshot = kind == CITY_SENSOR_CAMERA || kind == CITY_SENSOR_RADAR || kind == CITY_SENSOR_QUEUE ||
                          kind == CITY_SENSOR_EMERGENCY;
    if ((quantity == CITY_QTY_COUNT && !snapshot) || quantity == CITY_QTY_ENERGY)
        agg = CITY_AGG_SUM;
    else if (quantity == CITY_QTY_SPEED && kind != CITY_SENSOR_WEATHER)
        agg = CITY_AGG_MEAN;
    return (CitySensorDef){.name = name,
                           .kind = kind,
                           .quantity = quantity,
                           .agg = agg,
                           .target = -1,
                           .radius_m = 30.0,
                           .period_s = 1.0,
                           .min = -INFINITY,
                           .max = INFINITY,
                           .fault_at_s = -1.0};
}

static CityStatus sensors_step(CityWorld *w, void *self, int64_t tick)
{
    CitySensors *s = self;
    int32_t n_due;
    const int32_t *due = city_sensors_due(s, tick, &n_due); /* (a sampling aside has its own copy) */
    if (n_due == 0)
        return CITY_OK; /* nothing to sample: a sampling aside may go on */
    sensor_join(s);
    const int64_t now_ms = tick * (int64_t)city_world_dt_ms(w);
    if (sensor_aside_fits(s, n_due) && sensor_aside_post(s, due, n_due, now_ms))
        return CITY_OK;
    return sensor_sample_due(s, due, n_due, now_ms);
}

static void sensors_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const CitySensors *s = self;
    sensor_join(s);
    city_hash_u64(h, (uint64_t)s->n);
    for (int32_t i = 0; i < s->n; i++) {
        const SensorHot *c = &s->hot[i];
        city_hash_bytes(h, c->rng.s, sizeof c->rng.s);
        city_hash_u64(h, c->samples);
        city_hash_u64(h, c->readings);
        city_hash_u64(h, (uint64_t)c->fail_ms);
        city_hash_bytes(h, &s->feed[i].acc_sum, sizeof s->feed[i].acc_sum);
        city_hash_u64(h, s->feed[i].acc_n);
        if (c->has_last)
            city_hash_bytes(h, &c->last_value, sizeof c->last_value);
    }
    city_hash_u64(h, s->seq);
}

static void put_reading(CityStateWriter *out, const CityReading *r)
{
    city_state_put_str(out, r->sensor);
    city_state_put_u32(out, (uint32_t)r->quantity);
    city_state_put_f64(out, r->value);
    city_state_put_i64(out, r->measured_ms);
    city_state_put_i64(out, r->arrives_ms);
    city_state_put_u32(out, (uint32_t)r->quality);
}

static void get_reading(CityStateReader *in, CityReading *r)
{
    char *name = city_state_get_str(in);
    uint32_t q = city_state_get_u32(in);
    double v = city_state_get_f64(in);
    int64_t m = city_state_get_i64(in), a = city_state_get_i64(in);
    uint32_t quality = city_state_get_u32(in);
    if (!name || !city_sensor_name_valid(name) || q >= CITY_QTY_COUNT_OF || quality >= CITY_QUALITY_COUNT_OF)
        city_state_fail(in, "a saved reading is damaged");
    else
        city_reading_init(r, name, (CityQuantity)q, v, m, a, (CityQuality)quality);
    free(name);
}

/* The channels themselves come from the scenario, which rebuilds them; a
 * checkpoint holds what a run changes: streams, accumulators, faults, the
 * last readings and the readings on their way. */
static CityStatus sensors_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const CitySensors *s = self;
    sensor_join(s);
    city_state_put_tag(out, "SENS");
    city_state_put_u32(out, (uint32_t)s->n);
    for (int32_t i = 0; i < s->n; i++) {
        const SensorHot *c = &s->hot[i];
        city_state_put_str(out, s->sensors[i].key);
        city_state_put_array(out, c->rng.s, 4, sizeof(uint64_t));
        city_state_put_i64(out, c->fail_ms);
        const SensorFeed *f = &s->feed[i];
        city_state_put_f64(out, f->instant);
        city_state_put_f64(out, f->acc_sum);
        city_state_put_u64(out, f->acc_n);
        city_state_put_f64(out, f->rh_pct);
        city_state_put_u64(out, c->samples);
        city_state_put_u64(out, c->readings);
        city_state_put_u8(out, c->has_last);
        if (c->has_last) {
            CityReading last;
            sensor_last_reading(s, i, &last);
            put_reading(out, &last);
            city_state_put_f64(out, c->last_truth);
        }
    }
    city_state_put_u8(out, s->deliver);
    city_state_put_u64(out, s->seq);
    city_state_put_u64(out, s->n_heap + (s->n_fifo - s->fifo_head)); /* the queue, in no particular order */
    CityReading r;
    for (size_t i = 0; i < s->n_heap; i++) {
        city_sensor_arrival_reading(s, &s->heap[i].a, &r);
        put_reading(out, &r);
        city_state_put_u64(out, s->heap[i].seq);
    }
    for (size_t i = s->fifo_head; i < s->n_fifo; i++) {
        city_sensor_arrival_reading(s, &s->fifo[i].a, &r);
        put_reading(out, &r);
        city_state_put_u64(out, s->fifo[i].seq);
    }
    return CITY_OK;
}

static CityStatus sensors_load(CityWorld *w, void *self, CityStateReader *in)
{
    CitySensors *s = self;
    sensor_join(s);
    city_state_expect_tag(in, "SENS");
    s->reporting = 0;
    if (city_state_get_u32(in) != (uint32_t)s->n && !in->bad)
        city_state_fail(in, "the checkpoint has another number of sensor channels than the scenario");
    for (int32_t i = 0; i < s->n && !in->bad; i++) {
        SensorHot *c = &s->hot[i];
        char *key = city_state_get_str(in);
        if (!key || strcmp(key, s->sensors[i].key) != 0)
            city_state_fail(in, "sensor channel %d is %s in the scenario but another in the checkpoint", (int)i,
                            s->sensors[i].key);
        free(key);
        city_state_get_array(in, c->rng.s, 4, sizeof(uint64_t), "sensor stream");
        c->fail_ms = city_state_get_i64(in);
        SensorFeed *f = &s->feed[i];
        f->instant = city_state_get_f64(in);
        f->acc_sum = city_state_get_f64(in);
        f->acc_n = city_state_get_u64(in);
        f->rh_pct = city_state_get_f64(in);
        c->samples = city_state_get_u64(in);
        c->readings = city_state_get_u64(in);
        c->has_last = city_state_get_u8(in) != 0;
        s->reporting += c->has_last;
        if (c->has_last) {
            CityReading last;
            memset(&last, 0, sizeof last);
            get_reading(in, &last);
            c->last_value = last.value;
            c->last_ms = last.measured_ms;
            c->last_arrives = last.arrives_ms;
            c->last_quality = (uint8_t)last.quality;
            c->last_truth = city_state_get_f64(in);
        }
    }
    s->deliver = city_state_get_u8(in) != 0;
    s->seq = city_state_get_u64(in);
    uint64_t n = city_state_get_u64(in);
    s->n_heap = s->fifo_head = s->n_fifo = 0;
    if (!in->bad && (!city_state_count_fits(in, n, 48) /* a reading (40 bytes) and a sequence */ ||
                     !city_grow((void **)&s->heap, &s->cap_heap, (size_t)n, sizeof *s->heap)))
        city_state_fail(in, "the queue of readings does not fit in memory");
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        Pending *p = &s->heap[i];
        CityReading r;
        memset(&r, 0, sizeof r);
        get_reading(in, &r);
        p->seq = city_state_get_u64(in);
        p->a = (CitySensorArrival){r.arrives_ms, r.measured_ms, r.value, city_sensor_find(s, r.sensor, r.quantity),
                                   r.quality};
        if (p->a.channel < 0 && !in->bad)
            city_state_fail(in, "a queued reading of %s is of no sensor channel", r.sensor);
        s->n_heap = (size_t)i + 1;
    }
    for (size_t i = s->n_heap / 2; i-- > 0;) { /* heapify: saved in no particular order */
        const Pending t = s->heap[i];
        heap_sift_down(s->heap, s->n_heap, i, &t);
    }
    return in->bad ? city_world_fail(w, CITY_ERR_PARSE, "sensors: damaged checkpoint (%s)", in->error) : CITY_OK;
}

static void sensors_destroy(void *self)
{
    CitySensors *s = self;
    sensor_aside_stop(s);
    for (int32_t i = 0; i < s->n; i++)
        free((char *)s->sensors[i].def.name);
    free(s->sensors);
    free(s->hot);
    free(s->feed);
    free(s->ids);
    free(s->id_at);
    free(s->batch);
    free(s->models);
    sensor_schedule_free(s);
    sensor_history_free(s);
    city_strmap_free(&s->by_key);
    free(s->heap);
    free(s->fifo);
    free(s->only);
    free(s);
}

CitySensors *city_sensors_of(const CityWorld *world)
{
    return city_world_subsystem(world, SENSORS_NAME);
}

/* A fork (city_world_reseed): every channel's stream from the new seed, by
 * its key as at creation, so forks of one checkpoint draw their own noise,
 * dropouts and chatter. Fault times already drawn stay as they are. */
static void sensors_reseed(void *self, uint64_t mixed)
{
    CitySensors *s = self;
    sensor_join(s);
    for (int32_t i = 0; i < s->n; i++)
        city_rng_seed(&s->hot[i].rng, mixed, city_rng_stream_id(s->sensors[i].key));
}

CitySensors *city_sensors_ensure(CityWorld *world)
{
    CitySensors *s = city_sensors_of(world);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->world = world;
    s->due_tick = -1;
    s->aside_min = CITY_SENSORS_ASIDE_MIN;
    CitySubsystemDef def = {SENSORS_NAME, CITY_PHASE_SENSE, 1,           0, sensors_step, sensors_hash, sensors_destroy,
                            NULL,         sensors_save,     sensors_load};
    if (city_world_add_subsystem(world, &def, s) != CITY_OK) {
        free(s);
        return NULL;
    }
    if (city_world_on_reseed(world, sensors_reseed, s) != CITY_OK)
        return NULL; /* owned by the world already; the world's error says out of memory */
    return s;
}

/* One line on the first bad number of a definition, or NULL. */
static const char *def_problem(const CitySensorDef *d)
{
    if ((unsigned)d->kind >= CITY_SENSOR_KIND_COUNT)
        return "kind is not a sensor kind";
    if ((unsigned)d->quantity >= CITY_QTY_COUNT_OF)
        return "quantity is not a known quantity";
    if ((unsigned)d->agg > CITY_AGG_MEAN)
        return "aggregation is not last, sum or mean";
    if ((unsigned)d->fault >= CITY_FAULT_COUNT)
        return "fault is not none, stuck, dead, chatter or offset";
    if (!(d->period_s > 0) || d->period_s > 86400.0)
        return "period_s must be in (0, 86400]";
    if (!(d->latency_s >= 0) || d->latency_s > 86400.0)
        return "latency_s must be in [0, 86400]";
    if (!(d->noise_sd >= 0) || !isfinite(d->noise_sd))
        return "noise_sd must be a finite number >= 0";
    if (!isfinite(d->bias) || !isfinite(d->drift_per_h) || !isfinite(d->fault_size) || !isfinite(d->x_m) ||
        !isfinite(d->y_m))
        return "bias, drift_per_h, fault_size, x and y must be finite";
    if (!(d->quantum >= 0) || !isfinite(d->quantum))
        return "quantum must be a finite number >= 0";
    if (!(d->min < d->max))
        return "min must be below max";
    if (!(d->dropout_p >= 0 && d->dropout_p <= 1))
        return "dropout must be in [0, 1]";
    if (!(d->rh_kappa >= 0 && d->rh_kappa <= 2))
        return "rh_kappa must be in [0, 2]";
    if (!(d->mttf_s >= 0) || !isfinite(d->mttf_s) || isnan(d->fault_at_s))
        return "mttf_s must be a finite number >= 0 and fault_at_s a number";
    if (!(d->radius_m >= 0) || !isfinite(d->radius_m))
        return "radius_m must be a finite number >= 0";
    return NULL;
}

/* The schedule and the starting state of a new channel c. */
static void sensor_init_state(CityWorld *w, Sensor *c, SensorHot *h)
{
    const CitySensorDef *d = &c->def;
    const double dt_s = city_world_dt_ms(w) / 1000.0;
    c->period_ticks = llround(d->period_s / dt_s);
    if (c->period_ticks < 1)
        c->period_ticks = 1;
    /* the first sample closes the first full interval from now */
    c->offset_tick = city_world_tick(w) + c->period_ticks;
    memset(h, 0, sizeof *h);
    city_rng_seed(&h->rng, city_world_seed(w), city_rng_stream_id(c->key));
    /* always one draw, so mttf on or off never shifts the sample draws */
    double ttf_s = city_rng_exponential(&h->rng, 1.0);
    double fail_s = INFINITY;
    if (d->fault != CITY_FAULT_NONE) {
        if (d->fault_at_s >= 0)
            fail_s = d->fault_at_s;
        if (d->mttf_s > 0 && city_world_time_s(w) + ttf_s * d->mttf_s < fail_s)
            fail_s = city_world_time_s(w) + ttf_s * d->mttf_s;
    }
    h->fail_ms = fail_s < 9.0e15 ? llround(fail_s * 1000.0) : INT64_MAX;
}

/* The index of a model equal to m among the last few, appending it when
 * none is; -1 when out of memory. Channels placed together share one, so
 * the sampling loop reads one model for all of them. */
static int32_t model_index(CitySensors *s, const SensorModel *m)
{
    const size_t bytes = offsetof(SensorModel, rh_growth) + sizeof m->rh_growth; /* no padding in between */
    for (int32_t k = s->n_models - 1; k >= 0 && k >= s->n_models - 8; k--)
        if (memcmp(&s->models[k], m, bytes) == 0)
            return k;
    if (!city_array_grow((void **)&s->models, &s->cap_models, s->n_models + 1, sizeof *s->models))
        return -1;
    s->models[s->n_models] = *m;
    return s->n_models++;
}

/* Room in the packed ids for one more channel's id of len bytes, its NUL
 * and the zero slack past it, and for its offset; false when out of memory. */
static bool ids_room(CitySensors *s, size_t len)
{
    const size_t need = s->ids_len + len + 1 + ID_SLACK;
    if (need > s->ids_cap) {
        size_t cap = s->ids_cap ? s->ids_cap : 1024;
        while (cap < need)
            cap *= 2;
        char *ids = realloc(s->ids, cap);
        if (!ids)
            return false;
        memset(ids + s->ids_cap, 0, cap - s->ids_cap);
        s->ids = ids;
        s->ids_cap = cap;
    }
    if (!city_array_grow((void **)&s->id_at, &s->cap_id_at, s->n + 2, sizeof *s->id_at))
        return false;
    s->id_at[0] = 0;
    return true;
}

/* city_array_grow at a cache line's boundary: the records of hot and feed
 * then share no line with other data, and a feed record (32 bytes) never
 * straddles two. */
static bool grow_aligned(void **arr, int32_t *cap, int32_t need, size_t size)
{
    if (need <= *cap)
        return true;
    int64_t c = *cap > 0 ? *cap : 16;
    while (c < need)
        c *= 2;
    if (c > INT32_MAX)
        c = INT32_MAX;
    void *a = aligned_alloc(64, (size_t)c * size);
    if (!a)
        return false;
    if (*cap > 0)
        memcpy(a, *arr, (size_t)*cap * size);
    free(*arr);
    *arr = a;
    *cap = (int32_t)c;
    return true;
}

/* Undoes sensor_schedule_add of the last channel i (an add that failed later). */
static void unschedule(CitySensors *s, int32_t i)
{
    for (int32_t g = s->n_groups - 1; g >= 0; g--)
        if (s->groups[g].n > 0 && s->groups[g].members[s->groups[g].n - 1] == i) {
            s->groups[g].n--;
            break;
        }
    s->due_tick = -1;
}

int32_t city_sensor_add(CityWorld *world, const CitySensorDef *def)
{
    CitySensors *s = city_sensors_ensure(world);
    if (!s) {
        city_world_fail(world, CITY_ERR_NOMEM, "out of memory adding a sensor");
        return -1;
    }
    sensor_join(s);
    if (!city_sensor_name_valid(def->name)) {
        city_world_fail(world, CITY_ERR_INVALID,
                        "sensor name \"%.80s\" is not valid; use 1-63 of A-Z a-z 0-9 - : . _ (no '/'), "
                        "starting with a letter or digit",
                        def->name ? def->name : "");
        return -1;
    }
    const char *problem = def_problem(def);
    if (problem) {
        city_world_fail(world, CITY_ERR_INVALID, "sensor %s: %s", def->name, problem);
        return -1;
    }
    Sensor c;
    memset(&c, 0, sizeof c);
    snprintf(c.key, sizeof c.key, "%s/%s", def->name, city_quantity_name(def->quantity));
    if (city_strmap_get(&s->by_key, c.key) >= 0) {
        city_world_fail(world, CITY_ERR_INVALID, "sensor %s: a channel of that name already measures %s; rename one",
                        def->name, city_quantity_name(def->quantity));
        return -1;
    }
    c.def = *def;
    c.def.name = city_strdup(def->name);
    SensorModel m;
    sensor_model_init(&m, def);
    int32_t cap_hot = s->cap;
    const int32_t model = c.def.name ? model_index(s, &m) : -1;
    _Static_assert(sizeof *s->hot == 96 && sizeof *s->feed == 32, "hot records three lines for two, feeds two a line");
    if (model < 0 || !grow_aligned((void **)&s->hot, &cap_hot, s->n + 1, sizeof *s->hot) ||
        !grow_aligned((void **)&s->feed, &s->cap_feed, s->n + 1, sizeof *s->feed) || !ids_room(s, strlen(c.def.name)) ||
        !city_array_grow((void **)&s->sensors, &s->cap, s->n + 1, sizeof *s->sensors)) {
        free((char *)c.def.name);
        city_world_fail(world, CITY_ERR_NOMEM, "out of memory adding a sensor");
        return -1;
    }
    SensorHot h;
    sensor_init_state(world, &c, &h);
    h.model = model;
    s->sensors[s->n] = c;
    s->hot[s->n] = h;
    s->feed[s->n] = (SensorFeed){NAN, 0.0, 0, NAN};
    /* the map borrows the keys inside the array: re-key it when the array moved */
    bool ok = sensor_schedule_add(s, s->n);
    if (ok && s->sensors != s->keyed) {
        city_strmap_free(&s->by_key);
        for (int32_t i = 0; ok && i < s->n; i++)
            ok = city_strmap_put(&s->by_key, s->sensors[i].key, i);
        s->keyed = s->sensors;
    }
    if (!ok || !city_strmap_put(&s->by_key, s->sensors[s->n].key, s->n)) {
        free((char *)c.def.name);
        city_strmap_free(&s->by_key);
        s->keyed = NULL;
        unschedule(s, s->n);
        city_world_fail(world, CITY_ERR_NOMEM, "out of memory adding a sensor");
        return -1;
    }
    /* the id, in the room made above (a valid name is shorter than CITY_SENSOR_NAME_MAX) */
    const size_t len = strlen(c.def.name);
    memcpy(s->ids + s->ids_len, c.def.name, len); /* its NUL and the slack are zeros already */
    s->ids_len += len + 1;
    s->id_at[s->n + 1] = (uint32_t)s->ids_len;
    return s->n++;
}

int32_t city_sensor_count(const CitySensors *s)
{
    return s ? s->n : 0;
}
const CitySensorDef *city_sensor_def(const CitySensors *s, int32_t i)
{
    CITY_ASSERT(i >= 0 && i < s->n);
    return &s->sensors[i].def;
}
int32_t city_sensor_find(const CitySensors *s, const char *name, CityQuantity q)
{
    if (!s || !city_sensor_name_valid(name) || !city_quantity_name(q))
        return -1;
    /* the key as city_sensor_add makes it, without printf (a scenario may ask every channel each minute) */
    char key[CITY_SENSOR_NAME_MAX + 16];
    const char *qty = city_quantity_name(q);
    const size_t n = strlen(name), nq = strlen(qty); /* a valid name is shorter than CITY_SENSOR_NAME_MAX */
    if (n + 1 + nq >= sizeof key)
        return -1;
    memcpy(key, name, n);
    key[n] = '/';
    memcpy(key + n + 1, qty, nq + 1);
    return city_strmap_get(&s->by_key, key);
}

int32_t city_sensor_find_key(const CitySensors *s, const char *key)
{
    return s ? city_strmap_get(&s->by_key, key) : -1;
}

void city_sensor_feed_value(CitySensors *s, int32_t i, double value)
{
    CITY_ASSERT(i >= 0 && i < s->n);
    sensor_feed(s, i, SENSOR_FEED_VALUE, value, 0.0);
}
void city_sensor_feed_add(CitySensors *s, int32_t i, double value)
{
    CITY_ASSERT(i >= 0 && i < s->n);
    sensor_feed(s, i, SENSOR_FEED_ADD, value, 0.0);
}
bool city_sensor_samples_at(const CitySensors *s, int32_t i, int64_t tick)
{
    CITY_ASSERT(i >= 0 && i < s->n);
    const Sensor *c = &s->sensors[i];
    return tick >= c->offset_tick && (tick - c->offset_tick) % c->period_ticks == 0;
}

void city_sensor_feed_rh(CitySensors *s, int32_t i, double rh_pct)
{
    CITY_ASSERT(i >= 0 && i < s->n);
    sensor_feed(s, i, SENSOR_FEED_RH, 0.0, rh_pct);
}
void city_sensor_feed_air(CitySensors *s, int32_t i, double value, double rh_pct)
{
    CITY_ASSERT(i >= 0 && i < s->n);
    sensor_feed(s, i, SENSOR_FEED_AIR, value, rh_pct);
}

void city_sensors_set_sink(CitySensors *s, CityReadingSink sink, void *user)
{
    sensor_join(s);
    s->sink = sink;
    s->sink_user = user;
}
bool city_sensors_set_batch_sink(CitySensors *s, CitySensorBatchSink sink, void *user)
{
    sensor_join(s);
    if (sink && !s->batch) {
        s->batch = malloc(BATCH_MAX * sizeof *s->batch);
        if (!s->batch)
            return false;
    }
    s->batch_sink = sink;
    s->batch_user = user;
    return true;
}
const char *city_sensor_id(const CitySensors *s, int32_t i, size_t *len)
{
    CITY_ASSERT(i >= 0 && i < s->n);
    *len = s->id_at[i + 1] - s->id_at[i] - 1;
    return sensor_id(s, i);
}
const char *city_sensors_ids(const CitySensors *s, const uint32_t **at)
{
    *at = s->id_at;
    return s->ids;
}
void city_sensors_enable_delivery(CitySensors *s, bool on)
{
    sensor_join(s);
    s->deliver = on;
}

bool city_sensors_deliver_only(CitySensors *s, const uint8_t *wanted, int32_t n)
{
    sensor_join(s);
    uint8_t *only = NULL;
    if (wanted) {
        only = malloc((size_t)n + 1);
        if (!only)
            return false;
        memcpy(only, wanted, (size_t)n);
    }
    free(s->only);
    s->only = only;
    s->n_only = wanted ? n : 0;
    return true;
}

static bool pending_before(const Pending *a, const Pending *b)
{
    return a->a.arrives_ms < b->a.arrives_ms || (a->a.arrives_ms == b->a.arrives_ms && a->seq < b->seq);
}

/* Moves the hole at i down to where t belongs in the heap of n entries, and puts t there. */
static void heap_sift_down(Pending *heap, size_t n, size_t i, const Pending *t)
{
    for (;;) {
        size_t m = 2 * i + 1;
        if (m >= n)
            break;
        if (m + 1 < n && pending_before(&heap[m + 1], &heap[m]))
            m++;
        if (!pending_before(&heap[m], t))
            break;
        heap[i] = heap[m];
        i = m;
    }
    heap[i] = *t;
}

static CityStatus queue_pending(CitySensors *s, const Pending *p)
{
    if (s->n_fifo == s->fifo_head || !pending_before(p, &s->fifo[s->n_fifo - 1])) {
        /* in order (seq grows, so only an earlier arrival is out of order): the FIFO */
        if (s->fifo_head > 0 && s->n_fifo == s->cap_fifo) {
            memmove(s->fifo, s->fifo + s->fifo_head, (s->n_fifo - s->fifo_head) * sizeof *s->fifo);
            s->n_fifo -= s->fifo_head;
            s->fifo_head = 0;
        }
        if (s->n_fifo == s->cap_fifo && !city_grow((void **)&s->fifo, &s->cap_fifo, s->n_fifo + 1, sizeof *s->fifo))
            return city_world_fail(s->world, CITY_ERR_NOMEM, "out of memory queueing readings");
        s->fifo[s->n_fifo++] = *p;
        return CITY_OK;
    }
    if (!city_grow((void **)&s->heap, &s->cap_heap, s->n_heap + 1, sizeof *s->heap))
        return city_world_fail(s->world, CITY_ERR_NOMEM, "out of memory queueing readings");
    size_t i = s->n_heap++;
    while (i > 0 && pending_before(p, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = *p;
    return CITY_OK;
}

CityStatus sensor_queue(CitySensors *s, int32_t i, const CityReading *r)
{
    if (!s->deliver)
        return CITY_OK;
    const uint64_t seq = s->seq++; /* counted when not queued too: the state hash is that of queueing all */
    if (s->only && (i >= s->n_only || !s->only[i]))
        return CITY_OK;
    const Pending p = {{r->arrives_ms, r->measured_ms, r->value, i, r->quality}, seq};
    return queue_pending(s, &p);
}

void city_sensor_arrival_reading(const CitySensors *s, const CitySensorArrival *a, CityReading *out)
{
    CITY_ASSERT(a->channel >= 0 && a->channel < s->n);
    city_reading_init(out, sensor_id(s, a->channel), s->sensors[a->channel].def.quantity, a->value, a->measured_ms,
                      a->arrives_ms, a->quality);
}

bool city_sensor_newer(const CitySensors *s, int32_t i, int64_t after_ms, CitySensorArrival *out)
{
    sensor_join(s);
    CITY_ASSERT(i >= 0 && i < s->n);
    const SensorHot *h = &s->hot[i];
    if (!h->has_last || h->last_ms <= after_ms)
        return false;
    *out = (CitySensorArrival){h->last_arrives, h->last_ms, h->last_value, i, (CityQuality)h->last_quality};
    return true;
}

int64_t city_sensor_latency_ms(const CitySensors *s, int32_t i)
{
    sensor_join(s);
    CITY_ASSERT(i >= 0 && i < s->n);
    return s->models[s->hot[i].model].latency_ms;
}

/* The next queued reading that has arrived by now_ms, taken off the queue (copied to *out); false when none. */
static bool take(CitySensors *s, int64_t now_ms, CitySensorArrival *out)
{
    const Pending *f = s->fifo_head < s->n_fifo ? &s->fifo[s->fifo_head] : NULL;
    const bool from_heap = s->n_heap > 0 && (!f || pending_before(&s->heap[0], f));
    const Pending *p = from_heap ? &s->heap[0] : f;
    if (!p || p->a.arrives_ms > now_ms)
        return false;
    *out = p->a;
    if (from_heap) {
        if (--s->n_heap > 0)
            heap_sift_down(s->heap, s->n_heap, 0, &s->heap[s->n_heap]);
    } else if (++s->fifo_head == s->n_fifo) {
        s->fifo_head = s->n_fifo = 0;
    }
    return true;
}

size_t city_sensors_poll_arrivals(CitySensors *s, int64_t now_ms, CitySensorArrival *out, size_t cap)
{
    sensor_join(s);
    size_t n = 0;
    while (n < cap && take(s, now_ms, &out[n]))
        n++;
    return n;
}

size_t city_sensors_poll_channels(CitySensors *s, int64_t now_ms, CityReading *out, int32_t *channel, size_t cap)
{
    sensor_join(s);
    size_t n = 0;
    CitySensorArrival a;
    while (n < cap && take(s, now_ms, &a)) {
        city_sensor_arrival_reading(s, &a, &out[n]);
        if (channel)
            channel[n] = a.channel;
        n++;
    }
    return n;
}

size_t city_sensors_poll(CitySensors *s, int64_t now_ms, CityReading *out, size_t cap)
{
    return city_sensors_poll_channels(s, now_ms, out, NULL, cap);
}

int32_t city_sensors_reporting(const CitySensors *s)
{
    sensor_join(s);
    return s->reporting;
}

bool city_sensor_last_value(const CitySensors *s, int32_t i, double *value)
{
    sensor_join(s);
    CITY_ASSERT(i >= 0 && i < s->n);
    if (!s->hot[i].has_last)
        return false;
    *value = s->hot[i].last_value;
    return true;
}

void city_sensor_status(const CitySensors *s, int32_t i, CitySensorStatus *out)
{
    sensor_join(s);
    CITY_ASSERT(i >= 0 && i < s->n);
    const SensorHot *c = &s->hot[i];
    const int64_t now_ms = city_world_tick(s->world) * (int64_t)city_world_dt_ms(s->world);
    *out = (CitySensorStatus){.failed = s->sensors[i].def.fault != CITY_FAULT_NONE && now_ms >= c->fail_ms,
                              .fail_time_s = c->fail_ms == INT64_MAX ? INFINITY : c->fail_ms / 1000.0,
                              .samples = c->samples,
                              .readings = c->readings,
                              .has_last = c->has_last,
                              .last_truth = c->last_truth};
    if (c->has_last)
        sensor_last_reading(s, i, &out->last);
}
