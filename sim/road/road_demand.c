/* Demand: trips, flows and OD slices turned into departures, lazily. A
 * min-heap holds the next departure of every definition, ordered by
 * (time, definition order, sequence); a flow puts its next vehicle back
 * after each departure, and so does each pair of an OD slice (its trips
 * leave at uniform random times, drawn one at a time in time order). A
 * day of demand therefore costs memory per definition and OD pair, not
 * per vehicle. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_demand.h"

typedef enum { DEF_TRIP, DEF_FLOW, DEF_OD } DefKind;

typedef struct DemandDef {
    DefKind kind;
    char *id;
    int32_t vtype, route, from, to;
    int32_t *via;
    int32_t n_via;
    CityDepartDef depart;
    double begin_s, end_s;
    /* flows */
    double headway_s;   /* uniform spacing (0: not uniform) */
    double rate_per_s;  /* Poisson rate (0: not Poisson) */
    double probability; /* per-second chance (0: not Bernoulli) */
    int64_t number;     /* cap on departures (0: none) */
    int64_t emitted;
    /* OD */
    int32_t n_pairs;
    int32_t *od_from, *od_to;
    double *od_trips;
    int64_t *od_left; /* trips of each pair still to leave (drawn at the slice's start) */
} DemandDef;

/* Saved whole in checkpoints: no holes (a hole's bytes are whatever the
 * memory held, and the file would differ from one process to the next). */
typedef struct Item {
    double t;     /* departure time */
    int64_t seq;  /* sequence inside the definition */
    int32_t def;  /* definition (its order) */
    int32_t pair; /* OD slices: the pair whose next trip this is (-1: the slice's start) */
} Item;
_Static_assert(sizeof(Item) == 24, "a demand queue entry has no padding");

struct RoadDemand {
    DemandDef *defs;
    int32_t n_defs, cap_defs;
    Item *heap;
    int32_t n_heap, cap_heap;
    int64_t emitted;
    char name[320];
};

static bool item_before(const Item *a, const Item *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    if (a->def != b->def)
        return a->def < b->def;
    return a->seq < b->seq;
}

static bool push(RoadDemand *d, Item it)
{
    if (d->n_heap == INT32_MAX ||
        (d->n_heap == d->cap_heap && !city_array_grow((void **)&d->heap, &d->cap_heap, d->n_heap + 1, sizeof *d->heap)))
        return false;
    int64_t i = d->n_heap++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!item_before(&it, &d->heap[p]))
            break;
        d->heap[i] = d->heap[p];
        i = p;
    }
    d->heap[i] = it;
    return true;
}

static Item pop(RoadDemand *d)
{
    Item top = d->heap[0], last = d->heap[--d->n_heap];
    int64_t i = 0, n = d->n_heap;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && item_before(&d->heap[c + 1], &d->heap[c]))
            c++;
        if (!item_before(&d->heap[c], &last))
            break;
        d->heap[i] = d->heap[c];
        i = c;
    }
    if (n > 0)
        d->heap[i] = last;
    return top;
}

RoadDemand *road_demand_create(void)
{
    return calloc(1, sizeof(RoadDemand));
}

void road_demand_destroy(RoadDemand *d)
{
    if (!d)
        return;
    for (int32_t i = 0; i < d->n_defs; i++) {
        free(d->defs[i].id);
        free(d->defs[i].via);
        free(d->defs[i].od_from);
        free(d->defs[i].od_to);
        free(d->defs[i].od_trips);
        free(d->defs[i].od_left);
    }
    free(d->defs);
    free(d->heap);
    free(d);
}

static DemandDef *new_def(RoadDemand *d, DefKind kind, const char *id, int32_t vtype, const int32_t *via, int32_t n_via,
                          CityDepartDef depart, CityError *err)
{
    if (!city_array_grow((void **)&d->defs, &d->cap_defs, d->n_defs + 1, sizeof *d->defs)) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding demand");
        return NULL;
    }
    DemandDef *def = &d->defs[d->n_defs];
    memset(def, 0, sizeof *def);
    def->kind = kind;
    char gen[32];
    if (!id) {
        snprintf(gen, sizeof gen, "veh%d", (int)d->n_defs);
        id = gen;
    }
    size_t n = strlen(id) + 1;
    def->id = malloc(n);
    def->via = n_via > 0 ? malloc((size_t)n_via * sizeof *via) : NULL;
    if (!def->id || (n_via > 0 && !def->via)) {
        free(def->id);
        free(def->via);
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding demand");
        return NULL;
    }
    memcpy(def->id, id, n);
    if (n_via > 0)
        memcpy(def->via, via, (size_t)n_via * sizeof *via);
    def->n_via = n_via;
    def->vtype = vtype;
    def->depart = depart;
    def->route = -1;
    def->from = def->to = -1;
    return def;
}

CityStatus road_demand_add_trip(RoadDemand *d, const CityTripDef *t, CityError *err)
{
    if (!isfinite(t->depart_s) || t->depart_s < 0) {
        city_error_set(err, CITY_ERR_INVALID, "vehicle '%s': depart %.3f s must be a time >= 0", t->id ? t->id : "?",
                       t->depart_s);
        return CITY_ERR_INVALID;
    }
    DemandDef *def = new_def(d, DEF_TRIP, t->id, t->vtype, t->via, t->n_via, t->depart, err);
    if (!def)
        return CITY_ERR_NOMEM;
    def->route = t->route;
    def->from = t->from_edge;
    def->to = t->to_edge;
    def->begin_s = t->depart_s;
    if (!push(d, (Item){.t = t->depart_s, .seq = 0, .def = d->n_defs, .pair = -1})) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding demand");
        return CITY_ERR_NOMEM;
    }
    d->n_defs++;
    return CITY_OK;
}

CityStatus road_demand_add_flow(RoadDemand *d, const CityFlowDef *f, CityError *err)
{
    const char *id = f->id ? f->id : "flow";
    if (!isfinite(f->begin_s) || !isfinite(f->end_s) || f->begin_s < 0 || f->end_s < f->begin_s) {
        city_error_set(err, CITY_ERR_INVALID, "flow '%s': begin %.3f s and end %.3f s must satisfy 0 <= begin <= end",
                       id, f->begin_s, f->end_s);
        return CITY_ERR_INVALID;
    }
    if (f->veh_per_hour < 0 || f->period_s < 0 || f->probability < 0 || f->probability > 1 || f->number < 0) {
        city_error_set(err, CITY_ERR_INVALID,
                       "flow '%s': rate, period and number must be >= 0 and probability in [0, 1]", id);
        return CITY_ERR_INVALID;
    }
    if (f->veh_per_hour <= 0 && f->period_s <= 0 && f->probability <= 0 && f->number <= 0) {
        city_error_set(err, CITY_ERR_INVALID,
                       "flow '%s' needs a rate (veh/h), a period, a probability or a number of vehicles", id);
        return CITY_ERR_INVALID;
    }
    DemandDef *def = new_def(d, DEF_FLOW, id, f->vtype, f->via, f->n_via, f->depart, err);
    if (!def)
        return CITY_ERR_NOMEM;
    def->route = f->route;
    def->from = f->from_edge;
    def->to = f->to_edge;
    def->begin_s = f->begin_s;
    def->end_s = f->end_s;
    if (f->period_s > 0)
        def->headway_s = f->period_s;
    else if (f->number > 0 && f->veh_per_hour <= 0 && f->probability <= 0) {
        def->number = f->number;
        def->headway_s = (f->end_s - f->begin_s) / (double)f->number;
    } else if (f->veh_per_hour > 0) {
        if (f->spacing == CITY_FLOW_POISSON)
            def->rate_per_s = f->veh_per_hour / 3600.0;
        else
            def->headway_s = 3600.0 / f->veh_per_hour;
    } else {
        def->probability = f->probability;
    }
    if (f->number > 0)
        def->number = f->number;
    /* the first departure is placed when the run draws it (Poisson and
     * Bernoulli flows need the rng): a marker item at begin */
    if (!push(d, (Item){.t = f->begin_s, .seq = -1, .def = d->n_defs, .pair = -1})) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding demand");
        return CITY_ERR_NOMEM;
    }
    d->n_defs++;
    return CITY_OK;
}

CityStatus road_demand_add_od(RoadDemand *d, const CityOdDef *o, CityError *err)
{
    const char *id = o->id ? o->id : "od";
    if (!isfinite(o->begin_s) || !isfinite(o->end_s) || o->begin_s < 0 || o->end_s <= o->begin_s || o->n_pairs < 0) {
        city_error_set(err, CITY_ERR_INVALID, "OD matrix '%s': needs 0 <= begin < end and a list of pairs", id);
        return CITY_ERR_INVALID;
    }
    for (int32_t i = 0; i < o->n_pairs; i++)
        if (!(o->trips[i] >= 0) || !isfinite(o->trips[i])) {
            city_error_set(err, CITY_ERR_INVALID, "OD matrix '%s': pair %d has %.3f trips; use a number >= 0", id,
                           (int)i + 1, o->trips[i]);
            return CITY_ERR_INVALID;
        }
    DemandDef *def = new_def(d, DEF_OD, id, o->vtype, NULL, 0, o->depart, err);
    if (!def)
        return CITY_ERR_NOMEM;
    size_t n = (size_t)o->n_pairs + 1;
    def->od_from = malloc(n * sizeof *def->od_from);
    def->od_to = malloc(n * sizeof *def->od_to);
    def->od_trips = malloc(n * sizeof *def->od_trips);
    def->od_left = calloc(n, sizeof *def->od_left);
    if (!def->od_from || !def->od_to || !def->od_trips || !def->od_left) {
        free(def->od_from);
        free(def->od_to);
        free(def->od_trips);
        free(def->od_left);
        free(def->id);
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding demand");
        return CITY_ERR_NOMEM;
    }
    memcpy(def->od_from, o->from_edge, (size_t)o->n_pairs * sizeof *def->od_from);
    memcpy(def->od_to, o->to_edge, (size_t)o->n_pairs * sizeof *def->od_to);
    memcpy(def->od_trips, o->trips, (size_t)o->n_pairs * sizeof *def->od_trips);
    def->n_pairs = o->n_pairs;
    def->begin_s = o->begin_s;
    def->end_s = o->end_s;
    if (!push(d, (Item){.t = o->begin_s, .seq = -1, .def = d->n_defs, .pair = -1})) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding demand");
        return CITY_ERR_NOMEM;
    }
    d->n_defs++;
    return CITY_OK;
}

/* Time of a flow's departure number k+1 after the one at t (or its first
 * when k == -1); returns false when the flow is over. */
static bool flow_next(const DemandDef *f, double t, int64_t k, CityRng *rng, double *next)
{
    if (f->number > 0 && f->emitted >= f->number)
        return false;
    double n;
    if (f->headway_s > 0) {
        n = f->begin_s + (double)(k + 1) * f->headway_s; /* from begin, so no rounding drift */
    } else if (f->rate_per_s > 0) {
        n = (k < 0 ? f->begin_s : t) + city_rng_exponential(rng, f->rate_per_s);
    } else {
        /* one chance per whole second from begin */
        double s = k < 0 ? f->begin_s : t + 1.0;
        while (s < f->end_s && !(city_rng_uniform(rng) < f->probability))
            s += 1.0;
        n = s;
    }
    if (n >= f->end_s)
        return false;
    *next = n;
    return true;
}

/* The earliest of `left` uniform random times in [t, end): the next trip
 * of an OD pair, drawn in time order without drawing the others. */
static double od_next(double t, double end, int64_t left, CityRng *rng)
{
    double u = city_rng_uniform(rng);
    double next = t + (end - t) * (1.0 - pow(1.0 - u, 1.0 / (double)left));
    return next < end ? next : t;
}

bool road_demand_due(const RoadDemand *d, double end_s)
{
    return d->n_heap > 0 && d->heap[0].t < end_s;
}

CityStatus road_demand_emit(RoadDemand *d, double end_s, CityRng *rng, RoadDepartFn fn, void *user)
{
    while (d->n_heap > 0 && d->heap[0].t < end_s) {
        Item it = pop(d);
        DemandDef *def = &d->defs[it.def];
        if (def->kind == DEF_OD && it.pair < 0) {
            /* the slice starts: each pair's count (integer trips plus one
             * with the fractional chance) and its first departure */
            for (int32_t i = 0; i < def->n_pairs; i++) {
                double x = def->od_trips[i];
                int64_t n = (int64_t)floor(x);
                if (city_rng_uniform(rng) < x - (double)n)
                    n++;
                def->od_left[i] = n;
                if (n > 0 &&
                    !push(d,
                          (Item){.t = od_next(def->begin_s, def->end_s, n, rng), .seq = 0, .def = it.def, .pair = i}))
                    return CITY_ERR_NOMEM;
            }
            continue;
        }
        if (def->kind == DEF_FLOW && it.seq < 0) { /* marker: place the first vehicle */
            double first;
            if (flow_next(def, 0.0, -1, rng, &first) &&
                !push(d, (Item){.t = first, .seq = 0, .def = it.def, .pair = -1}))
                return CITY_ERR_NOMEM;
            continue;
        }
        RoadDeparture dep = {.vtype = def->vtype,
                             .depart_s = it.t,
                             .route = def->route,
                             .from_edge = def->from,
                             .to_edge = def->to,
                             .via = def->via,
                             .n_via = def->n_via,
                             .depart = def->depart};
        if (def->kind == DEF_TRIP) {
            dep.name = def->id;
        } else {
            snprintf(d->name, sizeof d->name, "%s.%lld", def->id, (long long)it.seq);
            dep.name = d->name;
        }
        if (def->kind == DEF_OD) {
            int32_t i = it.pair;
            dep.route = -1;
            dep.from_edge = def->od_from[i];
            dep.to_edge = def->od_to[i];
            snprintf(d->name, sizeof d->name, "%s.%lld", def->id, (long long)def->emitted);
            def->emitted++;
            if (--def->od_left[i] > 0 && !push(d, (Item){.t = od_next(it.t, def->end_s, def->od_left[i], rng),
                                                         .seq = it.seq + 1,
                                                         .def = it.def,
                                                         .pair = i}))
                return CITY_ERR_NOMEM;
        }
        if (def->kind == DEF_FLOW) {
            def->emitted++;
            double next;
            if (flow_next(def, it.t, it.seq, rng, &next) &&
                !push(d, (Item){.t = next, .seq = it.seq + 1, .def = it.def, .pair = -1}))
                return CITY_ERR_NOMEM;
        }
        d->emitted++;
        CityStatus st = fn(user, &dep);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}

int64_t road_demand_pending(const RoadDemand *d)
{
    int64_t n = 0;
    for (int64_t i = 0; i < d->n_heap; i++) {
        const DemandDef *def = &d->defs[d->heap[i].def];
        const Item *it = &d->heap[i];
        if (def->kind == DEF_TRIP)
            n++;
        else if (def->kind == DEF_OD && it->pair >= 0)
            n += def->od_left[it->pair];
        else if (def->kind == DEF_FLOW)
            n = def->number > 0 && n < INT64_MAX - def->number ? n + def->number - def->emitted : INT64_MAX;
        else
            n++;
        if (n == INT64_MAX)
            return n;
    }
    return n;
}

void road_demand_hash(const RoadDemand *d, CityHash *h)
{
    city_hash_u64(h, (uint64_t)d->emitted);
    city_hash_u64(h, (uint64_t)d->n_heap);
    for (int32_t i = 0; i < d->n_defs; i++)
        city_hash_u64(h, (uint64_t)d->defs[i].emitted);
}

/* ---- checkpoints: departures to come ----------------------------------- */

void road_demand_save(const RoadDemand *d, CityStateWriter *out)
{
    city_state_put_tag(out, "DMND");
    city_state_put_u64(out, (uint64_t)d->n_defs);
    for (int32_t i = 0; i < d->n_defs; i++)
        city_state_put_i64(out, d->defs[i].emitted);
    city_state_put_array(out, d->heap, (size_t)d->n_heap, sizeof *d->heap);
    city_state_put_i64(out, d->emitted);
    for (int32_t i = 0; i < d->n_defs; i++) /* each OD slice: its pairs' trips still to leave */
        if (d->defs[i].kind == DEF_OD)
            city_state_put_array(out, d->defs[i].od_left, (size_t)d->defs[i].n_pairs, sizeof *d->defs[i].od_left);
}

/* Whether a queued departure's time can be one of the definition's: a
 * trip's own time, a flow's or OD slice's inside [begin, end]. From a time
 * far before the run's clock, a Poisson or per-second flow would emit every
 * departure in between at the next step (and never stop from -1e300, where
 * a time plus a gap is the same time). */
static bool item_time_ok(const DemandDef *def, double t)
{
    if (def->kind == DEF_TRIP)
        return t == def->begin_s;
    return t >= def->begin_s && t <= def->end_s; /* false for NaN */
}

bool road_demand_load(RoadDemand *d, CityStateReader *in)
{
    city_state_expect_tag(in, "DMND");
    if (city_state_get_u64(in) != (uint64_t)d->n_defs && !in->bad)
        return city_state_fail(in, "the scenario declares other demand than the saved run's; was it edited?");
    for (int32_t i = 0; i < d->n_defs && !in->bad; i++)
        d->defs[i].emitted = city_state_get_i64(in);
    size_t n;
    Item *heap = city_state_get_alloc(in, &n, sizeof *heap);
    if (in->bad) {
        free(heap);
        return false;
    }
    for (size_t i = 0; i < n; i++) /* a definition of the scenario, one of its pairs, a time inside its window */
        if (heap[i].def < 0 || heap[i].def >= d->n_defs || heap[i].pair < -1 ||
            heap[i].pair >= d->defs[heap[i].def].n_pairs || !item_time_ok(&d->defs[heap[i].def], heap[i].t) ||
            heap[i].seq < -1) {
            free(heap);
            return city_state_fail(in, "road: damaged demand queue in the checkpoint (entry %zu)", i);
        }
    if (n > INT32_MAX) {
        free(heap);
        return city_state_fail(in, "road: damaged demand queue in the checkpoint");
    }
    free(d->heap);
    d->heap = heap;
    d->n_heap = d->cap_heap = (int32_t)n;
    d->emitted = city_state_get_i64(in);
    for (int32_t i = 0; i < d->n_defs && !in->bad; i++)
        if (d->defs[i].kind == DEF_OD)
            city_state_get_array(in, d->defs[i].od_left, (size_t)d->defs[i].n_pairs, sizeof *d->defs[i].od_left,
                                 "OD trips to leave");
    return !in->bad;
}

bool road_demand_check(const RoadDemand *d, CityStateReader *in)
{
    for (int32_t k = 0; k < d->n_defs; k++) {
        const DemandDef *def = &d->defs[k];
        for (int32_t i = 0; def->kind == DEF_OD && i < def->n_pairs; i++) /* a pair's draw: n rounded down or up */
            if (def->od_left[i] < 0 || (double)def->od_left[i] > ceil(def->od_trips[i]))
                return city_state_fail(in,
                                       "road: OD matrix '%s' pair %d has %lld trips to leave of %.3f in the "
                                       "checkpoint; the checkpoint is damaged",
                                       def->id, (int)i + 1, (long long)def->od_left[i], def->od_trips[i]);
    }
    for (int32_t i = 0; i < d->n_heap; i++) /* a pair's next trip is one of those left */
        if (d->heap[i].pair >= 0 && d->defs[d->heap[i].def].od_left[d->heap[i].pair] < 1)
            return city_state_fail(in,
                                   "road: OD matrix '%s' pair %d has a trip queued but none to leave in the "
                                   "checkpoint; the checkpoint is damaged",
                                   d->defs[d->heap[i].def].id, (int)d->heap[i].pair + 1);
    return true;
}
