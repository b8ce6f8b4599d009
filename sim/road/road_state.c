/* The road in a checkpoint: every vehicle (structure-of-arrays by handle up
 * to the pool's high-water mark, names of the live ones; slots are a memory
 * layout and are not saved: a restored run starts with slot = handle), lane queues and the
 * active-lane list, lane closures, detector and junction-link state, this
 * tick's arrivals, merge requests, per-edge aggregates and travel-time
 * estimates, vehicles waiting to enter, routes our router added, counters,
 * the lights and the demand. The network, vehicle types and the routes the
 * scenario declared come from its top level on restore. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_internal.h"

#define PUT(arr, n) city_state_put_array(out, (arr), (size_t)(n), sizeof *(arr))
#define GET(arr, n, what) city_state_get_array(in, (arr), (size_t)(n), sizeof *(arr), (what))

/* The vehicle fields, in one list so save and load cannot drift apart;
 * each is written as one array over the handles (X: a record's field, T: a
 * step record's field, S: another per-slot array, A: a per-handle array),
 * in the order of the arrays the records replaced. */
#define ROAD_VEH_FIELDS(X, A, S, T)                                                                                    \
    X(lane)                                                                                                            \
    X(pos)                                                                                                             \
    X(speed)                                                                                                           \
    T(next_speed)                                                                                                      \
    X(accel)                                                                                                           \
    X(vtype)                                                                                                           \
    X(route)                                                                                                           \
    X(route_pos)                                                                                                       \
    X(conn)                                                                                                            \
    X(via_pos)                                                                                                         \
    X(occ_link)                                                                                                        \
    X(occ_left_m)                                                                                                      \
    X(v0_factor)                                                                                                       \
    A(depart_s)                                                                                                        \
    A(depart_delay_s)                                                                                                  \
    X(time_loss_s)                                                                                                     \
    X(dist_m)                                                                                                          \
    X(halt_s)                                                                                                          \
    X(wait_s)                                                                                                          \
    X(energy_kwh)                                                                                                      \
    A(ev_start_kwh)                                                                                                    \
    A(edge_enter_s)                                                                                                    \
    X(stops)                                                                                                           \
    X(flags)                                                                                                           \
    T(lc_wait)                                                                                                         \
    S(live_pos)                                                                                                        \
    T(lc_vmax_mps)

/* A per-slot field (at byte `off` of elements `stride` bytes apart from
 * `base`) as an array over the `used` handles, zero for a free handle. */
static void put_by_handle(CityStateWriter *out, const RoadVehicles *vh, uint32_t used, const void *base, size_t stride,
                          size_t off, size_t size)
{
    unsigned char *buf = used ? calloc(used, size) : NULL;
    if (used && !buf) {
        city_state_put_array(out, NULL, 0, size); /* the restore then fails on the length */
        return;
    }
    for (uint32_t i = 0; i < used; i++)
        if (vh->slot[i] >= 0)
            memcpy(buf + (size_t)i * size, (const unsigned char *)base + (size_t)vh->slot[i] * stride + off, size);
    city_state_put_array(out, buf, used, size);
    free(buf);
}

/* Slots (lane queue entries, the readers' list, leavers) as handles. */
static void put_handles(CityStateWriter *out, const RoadVehicles *vh, const int32_t *slots, int32_t n)
{
    int32_t *buf = n > 0 ? malloc((size_t)n * sizeof *buf) : NULL;
    if (n > 0 && !buf) {
        city_state_put_array(out, NULL, 0, sizeof *buf); /* the restore then fails on the length */
        return;
    }
    for (int32_t i = 0; i < n; i++)
        buf[i] = vh->handle[slots[i]];
    city_state_put_array(out, buf, (size_t)(n > 0 ? n : 0), sizeof *buf);
    free(buf);
}

static void get_field(CityStateReader *in, void *base, size_t stride, uint32_t used, size_t off, size_t size,
                      const char *what)
{
    unsigned char *buf = used ? malloc((size_t)used * size) : NULL;
    if (used && !buf) {
        city_state_fail(in, "road: out of memory restoring vehicles");
        return;
    }
    city_state_get_array(in, buf, used, size, what);
    for (uint32_t i = 0; i < used && !in->bad; i++)
        memcpy((unsigned char *)base + (size_t)i * stride + off, buf + (size_t)i * size, size);
    free(buf);
}

static bool live_index(const CityPool *pool, uint32_t i)
{
    return (pool->gen[i] & 1u) != 0;
}

static void save_vehicles(const CityRoad *road, CityStateWriter *out)
{
    const RoadVehicles *vh = &road->veh;
    const CityPool *pool = &vh->pool;
    uint32_t used = pool->used;
    city_state_put_u32(out, used);
    PUT(pool->gen, used);
    PUT(pool->free_list, pool->free_count);
    city_state_put_u32(out, pool->live);
#define SAVE_FIELD(f)                                                                                                  \
    put_by_handle(out, vh, used, vh->rec, sizeof *vh->rec, offsetof(RoadVehRec, f), sizeof vh->rec->f);
#define SAVE_ONE(f) PUT(vh->f, used);
#define SAVE_SLOT(f) put_by_handle(out, vh, used, vh->f, sizeof *vh->f, 0, sizeof *vh->f);
#define SAVE_STEP(f)                                                                                                   \
    put_by_handle(out, vh, used, vh->step, sizeof *vh->step, offsetof(RoadVehStep, f), sizeof vh->step->f);
    ROAD_VEH_FIELDS(SAVE_FIELD, SAVE_ONE, SAVE_SLOT, SAVE_STEP)
#undef SAVE_FIELD
#undef SAVE_ONE
#undef SAVE_SLOT
#undef SAVE_STEP
    put_handles(out, vh, vh->live, (int32_t)vh->n_live);
    for (uint32_t i = 0; i < used; i++)
        city_state_put_str(out, live_index(pool, i) ? vh->name[i] : NULL);
}

/* Bytes a saved vehicle slot takes at least: its generation, every field
 * and its name (the empty string's length). */
#define VEH_FIELD_BYTES(f) +sizeof(((RoadVehRec *)0)->f)
#define VEH_STEP_BYTES(f) +sizeof(((RoadVehStep *)0)->f)
#define VEH_ARRAY_BYTES(f) +sizeof(*((RoadVehicles *)0)->f)
static const size_t VEH_MIN_BYTES =
    sizeof(uint32_t) + 8 ROAD_VEH_FIELDS(VEH_FIELD_BYTES, VEH_ARRAY_BYTES, VEH_ARRAY_BYTES, VEH_STEP_BYTES);
#undef VEH_FIELD_BYTES
#undef VEH_STEP_BYTES
#undef VEH_ARRAY_BYTES

static bool load_vehicles(CityRoad *road, CityStateReader *in)
{
    RoadVehicles *vh = &road->veh;
    CityPool *pool = &vh->pool;
    if (pool->used != 0)
        return city_state_fail(in, "road: vehicles existed before the restore");
    uint32_t used = city_state_get_u32(in);
    /* a damaged count asks for no room */
    if (in->bad || !city_state_count_fits(in, used, VEH_MIN_BYTES) ||
        road_vehicles_reserve(road, used > 0 ? used : 1) != CITY_OK)
        return city_state_fail(in, "road: cannot make room for %u vehicles", used);
    while (pool->cap < used) { /* the pool grows by its own allocations: make room the same way */
        CityId id = city_pool_alloc(pool);
        if (city_id_is_null(id))
            return city_state_fail(in, "road: out of memory restoring vehicles");
    }
    GET(pool->gen, used, "vehicle generations");
    size_t n_free;
    uint32_t *free_list = city_state_get_alloc(in, &n_free, sizeof *free_list);
    if (n_free > pool->cap) {
        free(free_list);
        return city_state_fail(in, "road: damaged free list");
    }
    if (n_free)
        memcpy(pool->free_list, free_list, n_free * sizeof *free_list);
    free(free_list);
    pool->free_count = (uint32_t)n_free;
    pool->used = used;
    pool->live = city_state_get_u32(in);
#define LOAD_FIELD(f)                                                                                                  \
    get_field(in, vh->rec, sizeof *vh->rec, used, offsetof(RoadVehRec, f), sizeof vh->rec->f, "vehicle " #f);
#define LOAD_STEP(f)                                                                                                   \
    get_field(in, vh->step, sizeof *vh->step, used, offsetof(RoadVehStep, f), sizeof vh->step->f, "vehicle " #f);
#define LOAD_ONE(f) GET(vh->f, used, "vehicle " #f);
    ROAD_VEH_FIELDS(LOAD_FIELD, LOAD_ONE, LOAD_ONE, LOAD_STEP) /* restored with slot = handle */
#undef LOAD_FIELD
#undef LOAD_STEP
#undef LOAD_ONE
    for (uint32_t i = 0; i < used; i++)
        vh->slot[i] = vh->handle[i] = live_index(pool, i) ? (int32_t)i : -1;
    vh->n_slots = used;
    size_t n_live;
    int32_t *live = city_state_get_alloc(in, &n_live, sizeof *live);
    bool live_ok = n_live <= vh->cap;
    for (size_t i = 0; live_ok && i < n_live; i++)
        live_ok = live[i] >= 0 && (uint32_t)live[i] < used;
    if (!live_ok) {
        free(live);
        return city_state_fail(in, "road: damaged vehicle list");
    }
    if (n_live)
        memcpy(vh->live, live, n_live * sizeof *live);
    free(live);
    vh->n_live = (uint32_t)n_live;
    for (uint32_t i = 0; i < used && !in->bad; i++) {
        free(vh->name[i]);
        vh->name[i] = city_state_get_str(in);
    }
    return !in->bad;
}

static void save_lanes(const CityRoad *road, CityStateWriter *out)
{
    int32_t nl = road->net->n_lanes;
    for (int32_t l = 0; l < nl; l++) {
        const RoadLaneQ *q = &road->lanes[l];
        put_handles(out, &road->veh, q->v ? q->v + q->head : NULL, q->n);
    }
    PUT(road->active, road->n_active);
    /* each listed lane's position in the list (the step keeps only marks) */
    int32_t *pos = malloc(((size_t)nl + 1) * sizeof *pos);
    if (pos) {
        for (int32_t l = 0; l < nl; l++)
            pos[l] = -1;
        for (int32_t i = 0; i < road->n_active; i++)
            pos[road->active[i]] = i;
    }
    city_state_put_array(out, pos, pos ? (size_t)nl : 0, sizeof *pos); /* the restore fails on a short one */
    free(pos);
    PUT(road->lane_closed, nl);
    city_state_put_u32(out, road->closure_epoch);
    PUT(road->sense_detect_s, nl);
    PUT(road->merges, road->n_merges);
    PUT(road->merge_head, nl);
}

/* A heap array of any saved length into *arr (capacity *cap). */
static bool get_grow(CityStateReader *in, void **arr, int32_t *n, int32_t *cap, size_t size)
{
    size_t got;
    void *p = city_state_get_alloc(in, &got, size);
    if (in->bad)
        return false;
    if (got > INT32_MAX || !city_array_grow(arr, cap, (int32_t)got, size)) {
        free(p);
        return city_state_fail(in, "road: out of memory restoring the checkpoint");
    }
    if (got)
        memcpy(*arr, p, got * size);
    free(p);
    *n = (int32_t)got;
    return true;
}

static bool load_lanes(CityRoad *road, CityStateReader *in)
{
    int32_t nl = road->net->n_lanes;
    for (int32_t l = 0; l < nl && !in->bad; l++) {
        RoadLaneQ *q = &road->lanes[l];
        if (q->v == q->inl) { /* restored onto the heap */
            q->v = NULL;
            q->cap = 0;
        }
        q->head = 0;
        get_grow(in, (void **)&q->v, &q->n, &q->cap, sizeof *q->v);
        road->lane_n[l] = q->n;
    }
    size_t n_active; /* into the array as created: its capacity is the lane count */
    int32_t *active = city_state_get_alloc(in, &n_active, sizeof *active);
    if (n_active > (size_t)nl) {
        free(active);
        return city_state_fail(in, "road: damaged active-lane list");
    }
    if (n_active)
        memcpy(road->active, active, n_active * sizeof *active);
    free(active);
    road->n_active = (int32_t)n_active;
    road->n_active_sorted = 0; /* the next compaction sorts the whole list */
    GET(road->active_pos, nl, "active lanes");
    GET(road->lane_closed, nl, "lane closures");
    const unsigned char *closed = (const unsigned char *)road->lane_closed; /* bytes: a bool other than 0 or 1 is UB */
    for (int32_t l = 0; l < nl && !in->bad; l++)
        if (closed[l] > 1)
            return city_state_fail(in, "road: damaged lane closures (lane %d)", (int)l);
    road->closure_epoch = city_state_get_u32(in);
    if (!in->bad && !road_router_set_closures(road->router, road->lane_closed)) /* derived, not saved */
        return city_state_fail(in, "road: out of memory restoring lane closures");
    if (!in->bad)
        road_closures_mirror(road, -1); /* derived, not saved */
    GET(road->sense_detect_s, nl, "detector times");
    get_grow(in, (void **)&road->merges, &road->n_merges, &road->cap_merges, sizeof *road->merges);
    GET(road->merge_head, nl, "merge requests");
    /* derived, not saved (the requests expire before the next step's plan reads them) */
    for (int32_t l = 0; l < nl && !in->bad; l++)
        road->lanes[l].merging = road->merge_head[l] >= 0;
    for (int32_t l = 0; l < nl; l++)
        road->lanes[l].seen = 0; /* no lane has moved in a step begun (road_tail_start) */
    return !in->bad;
}

static void save_links_and_edges(const CityRoad *road, CityStateWriter *out)
{
    int32_t nk = road->net->n_links, ne = road->net->n_edges;
    PUT(road->link_occupied, nk);
    PUT(road->link_eta, nk);
    PUT(road->link_eta_prev, nk);
    PUT(road->link_touched, road->n_touched);
    PUT(road->link_touched_prev, road->n_touched_prev);
    PUT(road->edge_stats, ne);
    PUT(road->edge_flow, ne);
    PUT(road->edge_tt_s, ne);
    city_state_put_f64(out, road->stats_begin_s);
    PUT(road->insert_block, ne + 1);
    city_state_put_i64(out, road->insert_stamp);
}

static bool load_links_and_edges(CityRoad *road, CityStateReader *in)
{
    int32_t nk = road->net->n_links, ne = road->net->n_edges;
    GET(road->link_occupied, nk, "junction links");
    memset(road->link_held, 0, ((size_t)nk + 1) * sizeof *road->link_held); /* (made from the counts, not saved) */
    for (int32_t j = 0; j < nk; j++)
        if (road->link_occupied[j] > 0)
            road_link_held_flip(road, j);
    GET(road->link_eta, nk, "link arrivals");
    GET(road->link_eta_prev, nk, "link arrivals");
    get_grow(in, (void **)&road->link_touched, &road->n_touched, &road->cap_touched, sizeof *road->link_touched);
    get_grow(in, (void **)&road->link_touched_prev, &road->n_touched_prev, &road->cap_touched_prev,
             sizeof *road->link_touched_prev);
    GET(road->edge_stats, ne, "edge aggregates");
    GET(road->edge_flow, ne, "edge aggregates");
    GET(road->edge_tt_s, ne, "edge travel times");
    road->stats_begin_s = city_state_get_f64(in);
    GET(road->insert_block, ne + 1, "insertion stamps");
    road->insert_stamp = (int32_t)city_state_get_i64(in);
    return !in->bad;
}

/* The records below are saved whole: copied field by field into zeroed
 * ones, so that their holes (struct padding) are zeros, not whatever the
 * memory held (the file would differ from one process to the next). The
 * pointers are left NULL: the names are saved apart, and queued departures
 * carry no via list (road_insert.c). */
static void arrival_canon(CityRoadArrival *c, const CityRoadArrival *a)
{
    _Static_assert(sizeof(CityRoadArrival) == 72, "a new field of CityRoadArrival: copy it here");
    memset(c, 0, sizeof *c);
    c->key = a->key;
    c->vtype = a->vtype;
    c->lane = a->lane;
    c->time_s = a->time_s;
    c->pos_m = a->pos_m;
    c->energy_kwh = a->energy_kwh;
    c->battery_kwh = a->battery_kwh;
    c->start_kwh = a->start_kwh;
    c->dist_m = a->dist_m;
}
static void pending_canon(RoadPending *c, const RoadPending *p)
{
    _Static_assert(sizeof(RoadPending) == 104, "a new field of RoadPending or RoadDeparture: copy it here");
    memset(c, 0, sizeof *c);
    c->dep.vtype = p->dep.vtype;
    c->dep.depart_s = p->dep.depart_s;
    c->dep.route = p->dep.route;
    c->dep.from_edge = p->dep.from_edge;
    c->dep.to_edge = p->dep.to_edge;
    c->dep.n_via = p->dep.n_via;
    c->dep.depart.lane = p->dep.depart.lane;
    c->dep.depart.pos_m = p->dep.depart.pos_m;
    c->dep.depart.speed_mps = p->dep.depart.speed_mps;
    c->dep.depart.speed_factor = p->dep.depart.speed_factor;
    c->route = p->route;
    c->seq = p->seq;
}

static void save_lists(const CityRoad *road, CityStateWriter *out)
{
    city_state_put_u64(out, (uint64_t)road->n_arrivals);
    for (int32_t i = 0; i < road->n_arrivals; i++) {
        CityRoadArrival a;
        arrival_canon(&a, &road->arrivals[i]);
        city_state_put_str(out, road->arrivals[i].name);
        city_state_put_array(out, &a, 1, sizeof a);
    }
    city_state_put_i64(out, road->arrivals_tick);
    city_state_put_u64(out, (uint64_t)road->n_pending);
    for (int32_t i = 0; i < road->n_pending; i++) {
        RoadPending p;
        pending_canon(&p, &road->pending[i]);
        city_state_put_str(out, road->pending[i].dep.name);
        city_state_put_array(out, &p, 1, sizeof p);
    }
    city_state_put_u64(out, road->pending_seq);
    city_state_put_u8(out, road->started);
    RoadLeaving *leaving = road->n_leaving > 0 ? malloc((size_t)road->n_leaving * sizeof *leaving) : NULL;
    for (int32_t i = 0; leaving && i < road->n_leaving; i++) /* by handle, as the vehicles */
        leaving[i] = (RoadLeaving){road->veh.handle[road->leaving[i].v], road->leaving[i].arrived};
    PUT(leaving, leaving ? road->n_leaving : 0); /* empty between ticks, when checkpoints are taken */
    free(leaving);
    put_handles(out, &road->veh, road->teleport_due, road->n_teleport_due);
    /* routes: the ones our router added during the run come after the scenario's */
    city_state_put_u64(out, (uint64_t)road->n_routes);
    for (int32_t i = 0; i < road->n_routes; i++) {
        city_state_put_str(out, road->routes[i].id);
        PUT(road->route_edges + road->routes[i].first, road->routes[i].count);
    }
    city_state_put_array(out, &road->stats, 1, sizeof road->stats);
    city_state_put_f64(out, road->sum_speed);
    city_state_put_u64(out, road->emergency_brakes);
    city_state_put_u64(out, road->missed_turns);
    city_state_put_u64(out, road->lane_swaps);
    city_state_put_u64(out, road->closure_reroutes);
    city_state_put_u64(out, road->trips_aborted);
}

static bool load_routes(CityRoad *road, CityStateReader *in)
{
    uint64_t n = city_state_get_u64(in);
    if (!in->bad && n < (uint64_t)road->n_routes)
        return city_state_fail(in, "road: the scenario declares more routes than the saved run had");
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        char *id = city_state_get_str(in);
        size_t count;
        int32_t *edges = city_state_get_alloc(in, &count, sizeof *edges);
        bool valid = count <= INT32_MAX;
        for (size_t k = 0; valid && k < count; k++)
            valid = edges[k] >= 0 && edges[k] < road->net->n_edges;
        if (!in->bad && !valid)
            city_state_fail(in, "road: damaged route %llu in the checkpoint", (unsigned long long)i);
        else if (!in->bad && (int64_t)i >= road->n_routes &&
                 road_route_store(road, id, edges ? edges : (int32_t[]){0}, (int32_t)count) < 0)
            city_state_fail(in, "road: out of memory restoring routes");
        else if (!in->bad && (int64_t)i < road->n_routes &&
                 ((size_t)road->routes[i].count != count ||
                  (count && memcmp(road->route_edges + road->routes[i].first, edges, count * sizeof *edges))))
            city_state_fail(in, "road: route %llu differs from the saved run's; was the scenario edited?",
                            (unsigned long long)i);
        free(id);
        free(edges);
    }
    return !in->bad;
}

static bool load_lists(CityRoad *road, CityStateReader *in)
{
    uint64_t n = city_state_get_u64(in);
    road_arrivals_free(road);
    /* each: a name (8 bytes or more) and an array of one (16 and the record) */
    if (in->bad || n > INT32_MAX || !city_state_count_fits(in, n, 24 + sizeof(CityRoadArrival)) ||
        !city_array_grow((void **)&road->arrivals, &road->cap_arrivals, (int32_t)n, sizeof *road->arrivals))
        return city_state_fail(in, "road: damaged arrivals");
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        char *name = city_state_get_str(in);
        CityRoadArrival *a = &road->arrivals[road->n_arrivals++];
        city_state_get_array(in, a, 1, sizeof *a, "arrival");
        a->name = name;
    }
    road->arrivals_tick = city_state_get_i64(in);
    n = city_state_get_u64(in);
    if (in->bad || n > INT32_MAX || !city_state_count_fits(in, n, 24 + sizeof(RoadPending)) || road->n_pending != 0 ||
        !city_array_grow((void **)&road->pending, &road->cap_pending, (int32_t)n, sizeof *road->pending))
        return city_state_fail(in, "road: damaged waiting vehicles");
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        char *name = city_state_get_str(in);
        RoadPending *p = &road->pending[road->n_pending++];
        city_state_get_array(in, p, 1, sizeof *p, "waiting vehicle");
        p->dep.name = name;
        p->dep.via = NULL;
    }
    road->pending_seq = city_state_get_u64(in);
    road->started = city_state_get_u8(in);
    get_grow(in, (void **)&road->leaving, &road->n_leaving, &road->cap_leaving, sizeof *road->leaving);
    get_grow(in, (void **)&road->teleport_due, &road->n_teleport_due, &road->cap_teleport_due,
             sizeof *road->teleport_due);
    /* (a step's marks are moved on within it: the list is saved empty) */
    if (!in->bad && road->n_teleport_due > 0 &&
        !city_array_grow((void **)&road->teleport_order, &road->cap_teleport_order, road->n_teleport_due,
                         sizeof *road->teleport_order))
        return city_state_fail(in, "road: out of memory restoring vehicles to teleport");
    for (int32_t i = 0; i < road->n_teleport_due && !in->bad; i++)
        road->teleport_order[i] = (uint64_t)i; /* in the saved order */
    load_routes(road, in);
    city_state_get_array(in, &road->stats, 1, sizeof road->stats, "road statistics");
    road->sum_speed = city_state_get_f64(in);
    road->emergency_brakes = city_state_get_u64(in);
    road->missed_turns = city_state_get_u64(in);
    road->lane_swaps = city_state_get_u64(in);
    road->closure_reroutes = city_state_get_u64(in);
    road->trips_aborted = city_state_get_u64(in);
    return !in->bad;
}

CityStatus road_state_save(const CityWorld *world, const void *self, CityStateWriter *out)
{
    (void)world;
    const CityRoad *road = self;
    city_state_put_tag(out, "ROAD");
    save_vehicles(road, out);
    save_lanes(road, out);
    save_links_and_edges(road, out);
    save_lists(road, out);
    road_signals_save(road->signals, out);
    road_demand_save(road->demand, out);
    return CITY_OK;
}

CityStatus road_state_load(CityWorld *world, void *self, CityStateReader *in)
{
    (void)world;
    CityRoad *road = self;
    road->next_reorder_tick = road->next_kpi_tick = 0; /* the clock moves to the checkpoint's */
    if (city_state_expect_tag(in, "ROAD") && load_vehicles(road, in) && load_lanes(road, in) &&
        load_links_and_edges(road, in) && load_lists(road, in) && road_signals_load(road->signals, in))
        road_demand_load(road->demand, in);
    if (!in->bad && road_state_check(road, in)) /* the routes are restored after the vehicles */
        for (uint32_t i = 0; i < road->veh.n_live; i++) {
            int32_t v = road->veh.live[i];
            RoadVehRec *r = &road->veh.rec[v];
            r->route_first = road->routes[r->route].first;
            r->route_n = road->routes[r->route].count;
            /* not saved: a stuck vehicle searches once more, and finds the same */
            r->stuck_epoch = 0;
            road_good_forget(road, v); /* (a cache: not saved) */
            road_set_conn(road, v, r->conn); /* the wrong-lane mark, from the restored fields */
        }
    road_tls_shown_reset(road); /* the lights' restored states are not listed as changes */
    return in->bad ? CITY_ERR_PARSE : CITY_OK;
}
