/* The road subsystem: creation, vehicle types, routes, demand, commands,
 * readers and the state hash. The step itself is in road_step.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_internal.h"

/* ---- helpers ------------------------------------------------------------ */

CityStatus road_fail(CityRoad *road, CityStatus status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    city_world_failv(road->world, status, fmt, ap);
    va_end(ap);
    return status;
}

void city_road_options_defaults(CityRoadOptions *o)
{
    memset(o, 0, sizeof *o);
    o->reroute_period_s = 0.0;
    o->gridlock_time_s = 300.0;
    o->time_to_teleport_s = 300.0;
    o->detector_offset_m = 30.0;
    o->trip_output = true;
    o->edge_output = true;
    o->ev_charge_below = 0.3;
    o->ev_charger_radius_m = 1000.0;
    o->ev_dwell_s = 3600.0;
}

/* ---- lifecycle ---------------------------------------------------------- */

static void road_destroy(void *self)
{
    CityRoad *road = self;
    if (!road)
        return;
    for (int32_t i = 0; i < road->n_vtypes; i++)
        free((char *)road->vtypes[i].def.id);
    free(road->vtypes);
    for (int32_t i = 0; i < road->n_routes; i++)
        free(road->routes[i].id);
    free(road->routes);
    free(road->route_edges);
    city_strmap_free(&road->vtype_index);
    city_strmap_free(&road->route_index);
    RoadVehicles *vh = &road->veh;
    if (vh->name)
        for (uint32_t i = 0; i < vh->cap; i++)
            free(vh->name[i]);
    free(vh->rec);
    free(vh->rec_alt);
    free(vh->step);
    free(vh->handle);
    free(vh->slot);
    free(vh->order);
    free(vh->depart_s);
    free(vh->depart_delay_s);
    free(vh->ev_start_kwh);
    free(vh->edge_enter_s);
    free(vh->name);
    free(vh->live);
    free(vh->live_pos);
    free(vh->good);
    city_pool_destroy(&vh->pool);
    if (road->lanes && road->net)
        for (int32_t i = 0; i < road->net->n_lanes; i++)
            if (road->lanes[i].v != road->lanes[i].inl)
                free(road->lanes[i].v);
    free(road->lanes);
    free(road->active);
    free(road->active_pos);
    free(road->active_tmp);
    free(road->active_sort);
    free(road->held);
    free(road->recheck);
    free(road->tail_start);
    free(road->released);
    free(road->teleport_order);
    free(road->lane_closed);
    free(road->lane_n);
    road_conns_free(road);
    free(road->lane_side);
    free(road->outs);
    free(road->lane_out);
    free(road->feed_first);
    free(road->feed);
    free(road->sense_detect_s);
    free(road->link_occupied);
    free(road->link_held);
    free(road->link_blocked);
    free(road->link_eta);
    free(road->link_eta_prev);
    free(road->link_touched);
    free(road->link_touched_prev);
    free(road->edge_stats);
    free(road->edge_flow);
    free(road->edge_tt_s);
    for (int32_t i = 0; i < road->n_pending; i++)
        free((char *)road->pending[i].dep.name);
    free(road->pending);
    free(road->scratch);
    free(road->insert_block);
    free(road->merge_head);
    road_arrivals_free(road);
    free(road->leaving);
    free(road->merges);
    free(road->teleport_due);
    free(road->give_up);
    free(road->route_buf);
    free(road->route_kept);
    road_signals_destroy(road->signals);
    road_router_destroy(road->router);
    road_route_memo_destroy(road->route_memo);
    road_demand_destroy(road->demand);
    city_road_net_destroy(road->net);
    free(road);
}

static void road_hash(const CityWorld *world, const void *self, CityHash *h)
{
    (void)world;
    const CityRoad *road = self;
    const RoadVehicles *vh = &road->veh;
    city_hash_u64(h, city_road_net_hash(road->net));
    road_signals_hash(road->signals, h);
    road_demand_hash(road->demand, h);
    city_hash_u64(h, (uint64_t)road->n_pending);
    /* vehicles in lane order: the order the model itself sees */
    for (int32_t l = 0; l < road->net->n_lanes; l++) {
        int32_t n = road_lane_count(road, l);
        if (!n)
            continue;
        city_hash_u64(h, (uint64_t)l);
        for (int32_t i = 0; i < n; i++) {
            int32_t v = road_lane_at(road, l, i);
            city_hash_u64(h, (uint64_t)vh->handle[v]); /* the handle: slots change with the memory layout */
            city_hash_bytes(h, &vh->rec[v].pos, sizeof(double));
            city_hash_bytes(h, &vh->rec[v].speed, sizeof(double));
            city_hash_u64(h, (uint64_t)(int64_t)vh->rec[v].route_pos);
            city_hash_u64(h, (uint64_t)(int64_t)vh->rec[v].conn);
            city_hash_bytes(h, &vh->rec[v].energy_kwh, sizeof(double));
        }
    }
    city_hash_u64(h, road->stats.inserted);
    city_hash_u64(h, road->stats.arrived);
    for (int32_t l = 0; l < road->net->n_lanes; l++)
        if (road->lane_closed[l])
            city_hash_u64(h, (uint64_t)l);
}

static CityStatus road_finish(CityWorld *world, void *self)
{
    CityRoad *road = self;
    road_publish_kpis(road);
    return road_flush_edges(road, city_world_time_s(world));
}

/* A zeroed array of n records of `size` bytes that starts on a cache line,
 * so that records of a line's size (or a divisor of it) each lie in one
 * line: malloc's blocks start 16 bytes into one, and a 64-byte record then
 * spans two (every read of a lane's queue record was two lines). */
static void *calloc_lines(size_t n, size_t size)
{
    size_t bytes = (n * size + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

CityStatus city_road_create(CityWorld *world, CityRoadNet *net, const CityRoadOptions *options, CityRoad **out)
{
    *out = NULL;
    if (!net || !net->finalized) {
        city_road_net_destroy(net);
        return city_world_fail(world, CITY_ERR_INVALID,
                               "road network is not finalized; call city_road_net_finalize first");
    }
    if (city_world_subsystem(world, "road")) {
        city_road_net_destroy(net);
        return city_world_fail(world, CITY_ERR_INVALID,
                               "the city already has a road network; load or build it once per scenario");
    }
    CityRoad *road = calloc(1, sizeof *road);
    if (!road) {
        city_road_net_destroy(net);
        return CITY_ERR_NOMEM;
    }
    road->world = world;
    road->arrivals_tick = -1;
    road->net = net;
    if (options)
        road->opt = *options;
    else
        city_road_options_defaults(&road->opt);
    road->rng = city_world_rng(world, "road");
    city_pool_init(&road->veh.pool);
    int32_t nl = net->n_lanes, nk = net->n_links > 0 ? net->n_links : 1, ne = net->n_edges;
    road->lanes = calloc_lines((size_t)nl + 1, sizeof *road->lanes);
    road->lane_n = calloc((size_t)nl + 1, sizeof *road->lane_n);
    road->active = calloc((size_t)nl + 1, sizeof *road->active);
    road->active_pos = malloc(((size_t)nl + 1) * sizeof *road->active_pos);
    road->active_tmp = malloc(((size_t)nl + 1) * sizeof *road->active_tmp);
    road->active_sort = malloc(((size_t)nl + 1) * sizeof *road->active_sort);
    road->held = malloc(((size_t)nl + 1) * sizeof *road->held);
    road->recheck = malloc(((size_t)nl + 1) * sizeof *road->recheck);
    road->tail_start = calloc_lines((size_t)nl + 1, sizeof *road->tail_start);
    road->lane_closed = calloc((size_t)nl + 1, sizeof *road->lane_closed);
    road->sense_detect_s = malloc(((size_t)nl + 1) * sizeof *road->sense_detect_s);
    road->link_occupied = calloc((size_t)nk, sizeof *road->link_occupied);
    road->link_held = calloc((size_t)nk + 1, sizeof *road->link_held);
    road->link_touched = malloc(((size_t)nk + 1) * sizeof *road->link_touched); /* (road_announce) */
    road->link_touched_prev = malloc(((size_t)nk + 1) * sizeof *road->link_touched_prev);
    road->cap_touched = road->cap_touched_prev = nk + 1;
    road->link_eta = malloc((size_t)nk * sizeof *road->link_eta);
    road->link_eta_prev = malloc((size_t)nk * sizeof *road->link_eta_prev);
    road->edge_stats = calloc((size_t)ne + 1, sizeof *road->edge_stats);
    road->edge_flow = calloc((size_t)ne + 1, sizeof *road->edge_flow);
    road->edge_tt_s = malloc(((size_t)ne + 1) * sizeof *road->edge_tt_s);
    road->insert_block = calloc((size_t)ne + 1, sizeof *road->insert_block);
    road->merge_head = malloc(((size_t)nl + 1) * sizeof *road->merge_head);
    road->signals = road_signals_create(net);
    road->router = road_router_create(net);
    road->demand = road_demand_create();
    if (!road->lanes || !road->lane_n || !road->active || !road->active_pos || !road->active_tmp ||
        !road->active_sort || !road->held || !road->recheck || !road->tail_start || !road->lane_closed ||
        !road->sense_detect_s || !road->link_occupied || !road->link_held || !road->link_touched ||
        !road->link_touched_prev || !road->link_eta || !road->link_eta_prev || !road->edge_stats || !road->edge_flow ||
        !road->edge_tt_s || !road->insert_block || !road->merge_head || !road->signals || !road->router ||
        !road->demand || !road_conns_init(road) || !road_lane_sides_init(road) || !road_outs_init(road)) {
        road_destroy(road);
        return CITY_ERR_NOMEM;
    }
    road_tls_shown_refresh(road);
    road->seen_mark = 1;
    road->seen_read = ROAD_SEEN_NONE;
    for (int32_t i = 0; i < nl; i++) {
        const CityLane *ln = &net->lanes[i];
        const CityEdge *ed = &net->edges[ln->edge];
        RoadLaneQ *q = &road->lanes[i];
        q->length_m = ln->length_m;
        q->speed_mps = ln->speed_mps;
        q->edge = ln->edge;
        q->edge_lanes = (int16_t)(ed->lane_count < INT16_MAX ? ed->lane_count : INT16_MAX);
        q->internal = ed->internal;
    }
    for (int32_t i = 0; i <= nl; i++) {
        road->active_pos[i] = -1;
        road->merge_head[i] = -1;
        road->sense_detect_s[i] = -1e30;
    }
    for (int32_t i = 0; i < nk; i++)
        road->link_eta[i] = road->link_eta_prev[i] = INFINITY;
    for (int32_t e = 0; e < ne; e++)
        road->edge_tt_s[e] = road_edge_free_time_s(&net->edges[e]);
    CityVTypeDef car;
    city_vtype_defaults(&car, CITY_VC_PASSENGER);
    car.id = "DEFAULT_VEHTYPE";
    road->default_vtype = city_road_add_vtype(road, &car);
    if (road->default_vtype < 0) {
        road_destroy(road);
        return CITY_ERR_NOMEM;
    }
    CitySubsystemDef owner = {.hash = road_hash,
                              .destroy = road_destroy,
                              .finish = road_finish,
                              .save = road_state_save,
                              .load = road_state_load};
    CityStatus st = road_step_register(world, road, &owner);
    if (st != CITY_OK) {
        if (city_world_subsystem(world, "road") != road)
            road_destroy(road);
        return st;
    }
    if (road->opt.trip_output)
        road->trips = city_world_table(world, "trips",
                                       "id,vtype,depart_s,depart_delay_s,arrival_s,route_length_m,travel_time_s,"
                                       "time_loss_s,waiting_time_s,stops");
    if (road->opt.edge_output)
        road->edges_table = city_world_table(world, "edges",
                                             "begin_s,end_s,edge,entered,left,mean_speed_mps,mean_travel_time_s,"
                                             "vehicle_seconds_s");
    *out = road;
    return CITY_OK;
}

CityRoad *city_road_of(const CityWorld *world)
{
    return city_world_subsystem(world, "road");
}
const CityRoadNet *city_road_net(const CityRoad *road)
{
    return road->net;
}
CityWorld *city_road_world(const CityRoad *road)
{
    return road->world;
}

/* ---- vehicle types ------------------------------------------------------ */

int32_t city_road_add_vtype(CityRoad *road, const CityVTypeDef *def)
{
    if (!def->id || !*def->id) {
        road_fail(road, CITY_ERR_INVALID, "vehicle type without an id; give every vType an id");
        return -1;
    }
    if (city_strmap_get(&road->vtype_index, def->id) >= 0) {
        road_fail(road, CITY_ERR_INVALID, "vehicle type '%s' is defined twice; give each vType its own id", def->id);
        return -1;
    }
    if (!(def->length_m > 0) || !(def->max_speed_mps > 0) || !(def->accel_mps2 > 0) || !(def->decel_mps2 > 0) ||
        !(def->tau_s > 0) || def->min_gap_m < 0 || !(def->speed_factor > 0) || def->speed_dev < 0 ||
        !(def->delta > 0)) {
        road_fail(road, CITY_ERR_INVALID,
                  "vehicle type '%s': length, maxSpeed, accel, decel, tau, delta and speedFactor must be > 0 and "
                  "minGap, speedDev >= 0",
                  def->id);
        return -1;
    }
    if (road_ev_check_vtype(road, def) != CITY_OK)
        return -1;
    if (road->n_vtypes >= ROAD_VTYPES_MAX) {
        road_fail(road, CITY_ERR_INVALID, "vehicle type '%s': a road holds at most %d vehicle types", def->id,
                  ROAD_VTYPES_MAX);
        return -1;
    }
    if (!city_array_grow((void **)&road->vtypes, &road->cap_vtypes, road->n_vtypes + 1, sizeof *road->vtypes))
        return -1;
    RoadVType *t = &road->vtypes[road->n_vtypes];
    t->def = *def;
    t->def.id = city_strdup(def->id);
    if (!t->def.id)
        return -1;
    if (!(t->def.emergency_decel_mps2 >= t->def.decel_mps2))
        t->def.emergency_decel_mps2 = t->def.decel_mps2 * 2.0;
    t->sqrt_ab = 2.0 * sqrt(t->def.accel_mps2 * t->def.decel_mps2);
    if (t->def.length_m > road->longest_m)
        road->longest_m = t->def.length_m;
    if (!city_strmap_put(&road->vtype_index, t->def.id, road->n_vtypes)) {
        free((char *)t->def.id);
        return -1;
    }
    return road->n_vtypes++;
}

int32_t city_road_find_vtype(const CityRoad *road, const char *id)
{
    return city_strmap_get(&road->vtype_index, id);
}

/* ---- routes ------------------------------------------------------------- */

int32_t road_route_store(CityRoad *road, const char *id, const int32_t *edges, int32_t n)
{
    if (!city_array_grow((void **)&road->routes, &road->cap_routes, road->n_routes + 1, sizeof *road->routes) ||
        !city_array_grow((void **)&road->route_edges, &road->cap_route_edges, road->n_route_edges + n,
                         sizeof *road->route_edges)) {
        road_fail(road, CITY_ERR_NOMEM, "out of memory storing a route");
        return -1;
    }
    RoadRoute *r = &road->routes[road->n_routes];
    r->id = NULL;
    if (id) {
        r->id = city_strdup(id);
        if (!r->id || !city_strmap_put(&road->route_index, r->id, road->n_routes)) {
            free(r->id);
            road_fail(road, CITY_ERR_NOMEM, "out of memory storing a route");
            return -1;
        }
    }
    r->first = road->n_route_edges;
    r->count = n;
    if (n > 0) /* an empty route may come with no edge array yet */
        memcpy(road->route_edges + r->first, edges, (size_t)n * sizeof *edges);
    road->n_route_edges += n;
    return road->n_routes++;
}

/* True when some lane of edge a connects to some lane of edge b. */
static bool edges_connected(const CityRoadNet *net, int32_t a, int32_t b)
{
    const CityEdge *e = &net->edges[a];
    for (int32_t k = 0; k < e->succ_count; k++)
        if (net->succ[e->succ_first + k] == b)
            return true;
    return false;
}

int32_t city_road_add_route(CityRoad *road, const char *id, const int32_t *edges, int32_t n)
{
    const CityRoadNet *net = road->net;
    if (n < 1) {
        road_fail(road, CITY_ERR_INVALID, "route '%s' has no edges; list at least one edge", id ? id : "?");
        return -1;
    }
    if (id && city_strmap_get(&road->route_index, id) >= 0) {
        road_fail(road, CITY_ERR_INVALID, "route '%s' is defined twice; give each route its own id", id);
        return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        if (edges[i] < 0 || edges[i] >= net->n_edges || net->edges[edges[i]].internal) {
            road_fail(road, CITY_ERR_INVALID, "route '%s': edge %d is not a road edge of the network", id ? id : "?",
                      (int)i + 1);
            return -1;
        }
        if (i > 0 && !edges_connected(net, edges[i - 1], edges[i])) {
            road_fail(road, CITY_ERR_INVALID,
                      "route '%s': no connection from edge '%s' to edge '%s'; the edges must follow each other "
                      "through a junction",
                      id ? id : "?", net->edges[edges[i - 1]].id, net->edges[edges[i]].id);
            return -1;
        }
    }
    return road_route_store(road, id, edges, n);
}

int32_t city_road_find_route(const CityRoad *road, const char *id)
{
    return city_strmap_get(&road->route_index, id);
}

/* ---- demand ------------------------------------------------------------- */

static bool check_vtype(CityRoad *road, int32_t vtype, const char *what)
{
    if (vtype < -1 || vtype >= road->n_vtypes) {
        road_fail(road, CITY_ERR_INVALID, "%s names an unknown vehicle type; define the vType first", what);
        return false;
    }
    return true;
}

static bool check_od_edges(CityRoad *road, int32_t route, int32_t from, int32_t to, const char *what)
{
    if (route >= 0) {
        if (route >= road->n_routes) {
            road_fail(road, CITY_ERR_INVALID, "%s names an unknown route", what);
            return false;
        }
        return true;
    }
    int32_t ne = road->net->n_edges;
    if (from < 0 || from >= ne || to < 0 || to >= ne || road->net->edges[from].internal ||
        road->net->edges[to].internal) {
        road_fail(road, CITY_ERR_INVALID, "%s needs a route or valid from/to edges", what);
        return false;
    }
    return true;
}

/* The edge a trip or flow starts on: its route's first, or from_edge
 * (check_od_edges has checked both). */
static int32_t first_edge_of(const CityRoad *road, int32_t route, int32_t from_edge)
{
    return route >= 0 ? road->route_edges[road->routes[route].first] : from_edge;
}

/* A declared route whose first edge has no lane the vehicle's class may
 * use: SUMO stops ("is not allowed to depart on any lane of edge"), and
 * the vehicle would wait to enter for ever. (A trip between two edges is
 * routed when it is due: one with no way for its class is logged and not
 * made.) */
static bool check_route_start(CityRoad *road, int32_t vtype, int32_t route, const char *what)
{
    if (route < 0)
        return true;
    const CityVTypeDef *t = &road->vtypes[vtype >= 0 ? vtype : road->default_vtype].def;
    const int32_t first = first_edge_of(road, route, -1);
    if (isfinite(road_depart_speed_max(road, t, 0, first, -1)))
        return true;
    road_fail(road, CITY_ERR_INVALID,
              "%s: no lane of the first edge of its route, %s, allows its vehicle class %s; start the route on an "
              "edge its class may use, or give it a type of a class the edge allows",
              what, road->net->edges[first].id, city_vclass_name(t->vclass));
    return false;
}

/* The departure's fields, checked here for every caller (the routes
 * reader and the Lua functions check them too, with their own located
 * messages): a lane mode or an index its first edge has (first_edge; -1:
 * not known yet), a finite position, a speed that is one of the modes or
 * a number up to the type's top speed (SUMO refuses a higher departSpeed
 * as "too high for the vehicle type"), a speed factor that is 0 (drawn
 * from the type) or in (0, 10], and, for a type without a speed
 * deviation, a speed it may drive on its first edge ("too high for the
 * departure edge"). */
static bool check_depart(CityRoad *road, int32_t vtype, const CityDepartDef *d, int32_t first_edge, const char *what)
{
    const CityVTypeDef *t = &road->vtypes[vtype >= 0 ? vtype : road->default_vtype].def;
    const double v = d->speed_mps;
    if (d->lane < CITY_DEPART_LANE_FIRST || !isfinite(d->pos_m)) {
        road_fail(road, CITY_ERR_INVALID,
                  "%s: departure lane %d or position %g is not valid; use a lane index >= 0 or a lane mode, and a "
                  "position in metres (< 0: the edge's start)",
                  what, (int)d->lane, d->pos_m);
        return false;
    }
    /* a lane the first edge does not have: SUMO stops ("Invalid departlane definition"); the vehicle
     * would wait to enter for ever */
    if (first_edge >= 0 && d->lane >= road->net->edges[first_edge].lane_count) {
        const CityEdge *e = &road->net->edges[first_edge];
        road_fail(road, CITY_ERR_INVALID,
                  "%s: departure lane %d is not on its first edge %s, which has %d lane(s); use a lane from 0 to %d "
                  "or a lane mode (best, free, random, first)",
                  what, (int)d->lane, e->id, (int)e->lane_count, (int)e->lane_count - 1);
        return false;
    }
    if (!(v >= 0 || v == CITY_DEPART_SPEED_MAX || v == CITY_DEPART_SPEED_DESIRED) || v > t->max_speed_mps) {
        road_fail(road, CITY_ERR_INVALID,
                  "%s: departure speed %g m/s is not valid; use a speed from 0 to its type's top speed %g m/s, or "
                  "max or desired",
                  what, v, t->max_speed_mps);
        return false;
    }
    if (!(d->speed_factor == 0 || (d->speed_factor > 0 && d->speed_factor <= 10))) {
        road_fail(road, CITY_ERR_INVALID,
                  "%s: speed factor %g is not valid; use a multiplier of the speed limit from above 0 to 10, or 0 "
                  "to draw it from the vehicle type",
                  what, d->speed_factor);
        return false;
    }
    /* a type without a speed deviation keeps its speed factor: an exact
     * departure speed it could not drive on any lane it may depart on is
     * refused, as SUMO 1.15 refuses it when the vehicle is inserted (a
     * type with a deviation takes the factor that fits: road_insert.c) */
    double fastest;
    if (vtype >= 0 && v >= 0 && first_edge >= 0 && t->speed_dev <= 0 &&
        v > (fastest = road_depart_speed_max(road, t, d->speed_factor, first_edge, d->lane))) {
        const CityEdge *e = &road->net->edges[first_edge];
        road_fail(road, CITY_ERR_INVALID,
                  "%s: departure speed %g m/s is too high for its first edge %s, where it drives at most %.2f m/s "
                  "(speed factor %g; its type has no speed deviation to fit one to the speed); use a lower speed, "
                  "max or desired, or a higher speed factor",
                  what, v, e->id, fastest, d->speed_factor > 0 ? d->speed_factor : t->speed_factor);
        return false;
    }
    return true;
}

CityStatus city_road_add_trip(CityRoad *road, const CityTripDef *def)
{
    char what[160];
    snprintf(what, sizeof what, "vehicle '%s'", def->id ? def->id : "?");
    if (!check_vtype(road, def->vtype, what) || !check_od_edges(road, def->route, def->from_edge, def->to_edge, what) ||
        !check_depart(road, def->vtype, &def->depart, first_edge_of(road, def->route, def->from_edge), what) ||
        !check_route_start(road, def->vtype, def->route, what))
        return CITY_ERR_INVALID;
    if (road_demand_add_trip(road->demand, def, &road->err) != CITY_OK)
        return road_fail(road, road->err.status, "%s", road->err.msg);
    return CITY_OK;
}

/* The stream random demand draws from (made with the first random flow or
 * OD matrix, so that runs without one hash as before it existed). */
static bool demand_stream(CityRoad *road)
{
    if (!road->demand_rng)
        road->demand_rng = city_world_rng(road->world, "road_demand");
    return road->demand_rng != NULL;
}

CityStatus city_road_add_flow(CityRoad *road, const CityFlowDef *def)
{
    char what[160];
    snprintf(what, sizeof what, "flow '%s'", def->id ? def->id : "?");
    if (!check_vtype(road, def->vtype, what) || !check_od_edges(road, def->route, def->from_edge, def->to_edge, what) ||
        !check_depart(road, def->vtype, &def->depart, first_edge_of(road, def->route, def->from_edge), what) ||
        !check_route_start(road, def->vtype, def->route, what))
        return CITY_ERR_INVALID;
    if (road_demand_add_flow(road->demand, def, &road->err) != CITY_OK)
        return road_fail(road, road->err.status, "%s", road->err.msg);
    if ((def->spacing == CITY_FLOW_POISSON || def->probability > 0) && !demand_stream(road))
        return road_fail(road, CITY_ERR_NOMEM, "out of memory adding flow '%s'", def->id ? def->id : "");
    return CITY_OK;
}

CityStatus city_road_add_od(CityRoad *road, const CityOdDef *def)
{
    char what[160];
    snprintf(what, sizeof what, "OD matrix '%s'", def->id ? def->id : "?");
    if (!check_vtype(road, def->vtype, what) || !check_depart(road, def->vtype, &def->depart, -1, what))
        return CITY_ERR_INVALID;
    for (int32_t i = 0; i < def->n_pairs; i++)
        if (!check_od_edges(road, -1, def->from_edge[i], def->to_edge[i], what) ||
            !check_depart(road, def->vtype, &def->depart, def->from_edge[i], what))
            return CITY_ERR_INVALID;
    if (road_demand_add_od(road->demand, def, &road->err) != CITY_OK)
        return road_fail(road, road->err.status, "%s", road->err.msg);
    if (!demand_stream(road))
        return road_fail(road, CITY_ERR_NOMEM, "out of memory adding OD matrix '%s'", def->id ? def->id : "");
    return CITY_OK;
}

/* The path a trip from from_edge to to_edge would take at free-flow
 * speeds: the search that routes departures (road_route_search), which
 * also keeps off turns whose lanes do not lead on along the rest of the
 * route. The router's fastest path alone went, on Jamsil, through the
 * 0.2 m edge 218899424, which no vehicle takes that way: the day's
 * ambulance drove another road, and the receivers placed along this path
 * for its pre-emption heard it at one of the two lights it crossed. */
int32_t city_road_path(CityRoad *road, int32_t from_edge, int32_t to_edge, uint32_t vclass, int32_t *out, int32_t cap)
{
    int32_t n = road_route_search(road, from_edge, to_edge, NULL, 0, vclass, NULL);
    if (n == INT32_MIN) {
        road_fail(road, CITY_ERR_NOMEM, "out of memory searching the path from edge %s to edge %s",
                  road->net->edges[from_edge].id, road->net->edges[to_edge].id);
        return CITY_ROAD_PATH_NOMEM;
    }
    if (n < 0 || n > cap)
        return -1;
    memcpy(out, road->route_buf, (size_t)n * sizeof *out);
    return n;
}

/* ---- commands ----------------------------------------------------------- */

CityStatus city_road_close_lane(CityRoad *road, int32_t lane, bool closed)
{
    if (lane < 0 || lane >= road->net->n_lanes)
        return road_fail(road, CITY_ERR_INVALID, "close_lane: no lane number %d in the network", (int)lane);
    const CityRoadNet *net = road->net;
    if (net->edges[net->lanes[lane].edge].internal) /* crossed by vehicles granted a link: no queue to stop */
        return road_fail(road, CITY_ERR_INVALID,
                         "close_lane: lane %s lies inside a junction; close a lane that leads into or out of it",
                         net->lanes[lane].id);
    const bool was = road->lane_closed[lane];
    if (was == closed)
        return CITY_OK; /* nothing changes: the route memo and the routes stand */
    road->lane_closed[lane] = closed;
    if (!road_router_lane_changed(road->router, road->lane_closed, lane)) {
        road->lane_closed[lane] = was;
        return road_fail(road, CITY_ERR_NOMEM, "out of memory closing lane %s", road->net->lanes[lane].id);
    }
    road_closures_mirror(road, lane);
    road->closure_epoch++;
    for (uint32_t i = 0; i < road->veh.n_live; i++) { /* the turns they planned beyond the next junction */
        road->veh.rec[road->veh.live[i]].far_conn = ROAD_FAR_UNKNOWN;
        road->veh.step[road->veh.live[i]].stay = false; /* and the lanes that lead on */
    }
    city_world_log(road->world, "road", "lane %s %s", road->net->lanes[lane].id, closed ? "closed" : "opened");
    /* those whose way it closed take another now, as SUMO's rerouters send them */
    if (closed && road_reroute_blocked(road) != CITY_OK)
        return road_fail(road, CITY_ERR_NOMEM, "out of memory rerouting around lane %s", road->net->lanes[lane].id);
    return CITY_OK;
}

CityStatus city_road_tls_set_type(CityRoad *road, int32_t tls, CityTlsType type)
{
    if (tls < 0 || tls >= road->net->n_tls)
        return road_fail(road, CITY_ERR_INVALID, "no traffic light number %d in the network", (int)tls);
    if (road_signals_set_type(road->signals, tls, type, &road->err) != CITY_OK)
        return road_fail(road, road->err.status, "%s", road->err.msg);
    city_world_log(road->world, "signal", "light %s control type %d", road->net->tls[tls].id, (int)type);
    return CITY_OK;
}

CityStatus city_road_tls_set_phase(CityRoad *road, int32_t tls, int32_t phase)
{
    if (tls < 0 || tls >= road->net->n_tls)
        return road_fail(road, CITY_ERR_INVALID, "no traffic light number %d in the network", (int)tls);
    if (road_signals_set_phase(road->signals, tls, phase, city_world_time_s(road->world), &road->err) != CITY_OK)
        return road_fail(road, road->err.status, "%s", road->err.msg);
    city_world_log(road->world, "signal", "light %s set to phase %d", road->net->tls[tls].id, (int)phase);
    return CITY_OK;
}

CityStatus city_road_tls_switch_phase(CityRoad *road, int32_t tls, int32_t phase)
{
    if (tls < 0 || tls >= road->net->n_tls)
        return road_fail(road, CITY_ERR_INVALID, "no traffic light number %d in the network", (int)tls);
    if (road_signals_switch(road->signals, tls, phase, city_world_time_s(road->world), &road->err) != CITY_OK)
        return road_fail(road, road->err.status, "%s", road->err.msg);
    return CITY_OK;
}

double city_road_tls_phase_start_s(const CityRoad *road, int32_t tls)
{
    return road_signals_phase_start_s(road->signals, tls);
}

/* ---- readers ------------------------------------------------------------ */

static void fill_view(const CityRoad *road, int32_t v, CityVehicleView *out)
{
    const RoadVehicles *vh = &road->veh;
    const RoadVType *t = &road->vtypes[vh->rec[v].vtype];
    const RoadRoute *r = &road->routes[vh->rec[v].route];
    const int32_t h = vh->handle[v];
    out->id = (CityId){(uint32_t)h, vh->pool.gen[h]};
    out->name = vh->name[h];
    out->vtype = vh->rec[v].vtype;
    out->vclass = t->def.vclass;
    out->lane = vh->rec[v].lane;
    out->pos_m = vh->rec[v].pos;
    out->speed_mps = vh->rec[v].speed;
    out->accel_mps2 = vh->rec[v].accel;
    out->length_m = t->def.length_m;
    city_road_lane_point(road->net, vh->rec[v].lane, vh->rec[v].pos, &out->xy, &out->heading_rad);
    out->route_pos = vh->rec[v].route_pos;
    out->route_len = r->count;
    out->route = road->route_edges + r->first;
    out->depart_s = vh->depart_s[h];
    out->energy_kwh = vh->rec[v].energy_kwh;
    out->halt_s = (vh->rec[v].flags & ROAD_VF_HALTING) ? vh->rec[v].halt_s : 0.0; /* (not a yield line's creep) */
    out->next_lane = vh->rec[v].conn >= 0 ? road->net->conns[vh->rec[v].conn].to_lane : -1;
}

size_t city_road_vehicle_count(const CityRoad *road)
{
    return road->veh.pool.live;
}

void city_road_vehicle_at(const CityRoad *road, size_t slot, CityVehicleView *out)
{
    if (slot >= road->veh.n_live) {
        memset(out, 0, sizeof *out);
        return;
    }
    fill_view(road, road->veh.live[slot], out);
}

bool city_road_vehicle_get(const CityRoad *road, CityId id, CityVehicleView *out)
{
    if (!city_pool_valid(&road->veh.pool, id))
        return false;
    fill_view(road, road->veh.slot[id.index], out);
    return true;
}

bool city_road_lane_closed(const CityRoad *road, int32_t lane)
{
    return lane >= 0 && lane < road->net->n_lanes && road->lane_closed[lane];
}

const char *city_road_tls_state(const CityRoad *road, int32_t tls)
{
    if (tls < 0 || tls >= road->net->n_tls)
        return "";
    return road_signals_state(road->signals, tls);
}

int32_t city_road_tls_phase(const CityRoad *road, int32_t tls)
{
    if (tls < 0 || tls >= road->net->n_tls)
        return -1;
    return road_signals_phase(road->signals, tls);
}

CityTlsType city_road_tls_type(const CityRoad *road, int32_t tls)
{
    if (tls < 0 || tls >= road->net->n_tls)
        return CITY_TLS_STATIC;
    return road_signals_type(road->signals, tls);
}

void city_road_stats(const CityRoad *road, CityRoadStats *out)
{
    *out = road->stats;
}
