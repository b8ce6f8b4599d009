/* The static road network: growable element arrays, id lookup, the
 * builder calls and the readers. Finalize (derived tables and consistency
 * checks) is in road_net_finalize.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_hash.h"
#include "road_net_internal.h"

/* id -> index maps, one per element kind (open addressing, FNV-1a) */
struct RoadNetIndex {
    CityStrMap junctions, edges, lanes, tls;
};

bool road_net_grow(CityRoadNet *net, void **arr, int kind, size_t need, size_t size)
{
    if (need > INT32_MAX)
        return false;
    int32_t cap = (int32_t)net->caps[kind];
    if (!city_array_grow(arr, &cap, (int32_t)need, size))
        return false;
    net->caps[kind] = (size_t)cap;
    return true;
}

/* ---- vehicle classes ---------------------------------------------------- */

static const struct {
    const char *name;
    uint32_t bit;
} class_names[] = {
    {"passenger", CITY_VC_PASSENGER},
    {"private", CITY_VC_PASSENGER},
    {"hov", CITY_VC_PASSENGER},
    {"vip", CITY_VC_PASSENGER},
    {"evehicle", CITY_VC_PASSENGER},
    {"custom1", CITY_VC_PASSENGER},
    {"custom2", CITY_VC_PASSENGER},
    {"taxi", CITY_VC_TAXI},
    {"bus", CITY_VC_BUS},
    {"coach", CITY_VC_BUS},
    {"truck", CITY_VC_TRUCK},
    {"trailer", CITY_VC_TRUCK},
    {"delivery", CITY_VC_TRUCK},
    {"emergency", CITY_VC_EMERGENCY},
    {"authority", CITY_VC_EMERGENCY},
    {"army", CITY_VC_EMERGENCY},
    {"motorcycle", CITY_VC_MOTORCYCLE},
    {"moped", CITY_VC_MOTORCYCLE},
    {"bicycle", CITY_VC_BICYCLE},
    {"pedestrian", CITY_VC_PEDESTRIAN},
    {"tram", CITY_VC_RAIL},
    {"rail_urban", CITY_VC_RAIL},
    {"rail", CITY_VC_RAIL},
    {"rail_electric", CITY_VC_RAIL},
    {"rail_fast", CITY_VC_RAIL},
    {"cable_car", CITY_VC_RAIL},
    {"subway", CITY_VC_RAIL},
    {"ship", CITY_VC_SHIP},
    {"container", CITY_VC_SHIP},
    {"aircraft", CITY_VC_SHIP},
    {"wheelchair", CITY_VC_PEDESTRIAN},
    {"scooter", CITY_VC_BICYCLE},
    {"drone", CITY_VC_SHIP},
};

uint32_t city_vclass_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof class_names / sizeof class_names[0]; i++)
        if (strcmp(name, class_names[i].name) == 0)
            return class_names[i].bit;
    return 0;
}

const char *city_vclass_name(uint32_t bit)
{
    static const char *names[] = {"passenger",  "taxi",    "bus",        "truck", "emergency",
                                  "motorcycle", "bicycle", "pedestrian", "rail",  "ship"};
    for (int i = 0; i < 10; i++)
        if (bit == (1u << i))
            return names[i];
    return "unknown";
}

/* ---- lifecycle ---------------------------------------------------------- */

CityRoadNet *city_road_net_create(void)
{
    CityRoadNet *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->index = calloc(1, sizeof *net->index);
    if (!net->index) {
        free(net);
        return NULL;
    }
    return net;
}

void city_road_net_destroy(CityRoadNet *net)
{
    if (!net)
        return;
    for (int32_t i = 0; i < net->n_junctions; i++)
        free(net->junctions[i].id);
    for (int32_t i = 0; i < net->n_edges; i++) {
        free(net->edges[i].id);
        free(net->edges[i].name);
    }
    for (int32_t i = 0; i < net->n_lanes; i++)
        free(net->lanes[i].id);
    for (int32_t i = 0; i < net->n_tls; i++) {
        free(net->tls[i].id);
        free(net->tls[i].program_id);
    }
    free(net->junctions);
    free(net->edges);
    free(net->lanes);
    free(net->conns);
    free(net->links);
    free(net->tls);
    free(net->phases);
    free(net->points);
    free(net->via);
    free(net->succ);
    free(net->succ_allow);
    free(net->masks);
    free(net->chars);
    if (net->index) {
        city_strmap_free(&net->index->junctions);
        city_strmap_free(&net->index->edges);
        city_strmap_free(&net->index->lanes);
        city_strmap_free(&net->index->tls);
        free(net->index);
    }
    free(net);
}

static int32_t add_points(CityRoadNet *net, const CityPoint *pts, int32_t n)
{
    if (n <= 0)
        return net->n_points;
    if (!road_net_grow(net, (void **)&net->points, CAP_PT, (size_t)net->n_points + (size_t)n, sizeof *net->points))
        return -1;
    int32_t first = net->n_points;
    memcpy(net->points + first, pts, (size_t)n * sizeof *pts);
    net->n_points += n;
    return first;
}

static bool check_open(const CityRoadNet *net, CityError *err)
{
    if (net->finalized) {
        city_error_set(err, CITY_ERR_INVALID,
                       "the road network is finalized; add elements before city_road_net_finalize");
        return false;
    }
    return true;
}

/* ---- builders ----------------------------------------------------------- */

int32_t city_road_net_add_junction(CityRoadNet *net, const char *id, CityJunctionType type, double x, double y,
                                   const CityPoint *shape, int32_t n_shape, CityError *err)
{
    if (!check_open(net, err))
        return -1;
    if (!id || !*id || city_strmap_get(&net->index->junctions, id) >= 0) {
        city_error_set(err, CITY_ERR_INVALID, "junction '%s' is %s; give every junction its own id", id ? id : "",
                       id && *id ? "defined twice" : "without an id");
        return -1;
    }
    if ((unsigned)type >= CITY_JUNCTION_TYPE_COUNT || !isfinite(x) || !isfinite(y)) {
        city_error_set(err, CITY_ERR_INVALID, "junction '%s' has a bad type or position", id);
        return -1;
    }
    if (!road_net_grow(net, (void **)&net->junctions, CAP_J, (size_t)net->n_junctions + 1, sizeof *net->junctions))
        goto oom;
    CityJunction *j = &net->junctions[net->n_junctions];
    memset(j, 0, sizeof *j);
    j->id = city_strdup(id);
    j->type = type;
    j->pos = (CityPoint){x, y};
    j->shape_first = add_points(net, shape, n_shape);
    j->shape_count = n_shape > 0 ? n_shape : 0;
    j->link_first = -1;
    j->link_count = 0;
    j->tls = -1;
    if (!j->id || j->shape_first < 0 || !city_strmap_put(&net->index->junctions, j->id, net->n_junctions)) {
        free(j->id);
        goto oom;
    }
    return net->n_junctions++;
oom:
    city_error_set(err, CITY_ERR_NOMEM, "out of memory adding junction '%s'", id);
    return -1;
}

int32_t city_road_net_add_edge(CityRoadNet *net, const char *id, int32_t from, int32_t to, int32_t priority,
                               bool internal, const char *name, CityError *err)
{
    if (!check_open(net, err))
        return -1;
    if (!id || !*id || city_strmap_get(&net->index->edges, id) >= 0) {
        city_error_set(err, CITY_ERR_INVALID, "edge '%s' is %s; give every edge its own id", id ? id : "",
                       id && *id ? "defined twice" : "without an id");
        return -1;
    }
    if (!internal && (from < 0 || from >= net->n_junctions || to < 0 || to >= net->n_junctions)) {
        city_error_set(err, CITY_ERR_INVALID,
                       "edge '%s' joins unknown junctions; define its from and to junctions first", id);
        return -1;
    }
    if (!road_net_grow(net, (void **)&net->edges, CAP_E, (size_t)net->n_edges + 1, sizeof *net->edges))
        goto oom;
    CityEdge *e = &net->edges[net->n_edges];
    memset(e, 0, sizeof *e);
    e->id = city_strdup(id);
    e->name = city_strdup(name);
    e->from = internal ? -1 : from;
    e->to = internal ? -1 : to;
    e->priority = priority;
    e->internal = internal;
    e->lane_first = net->n_lanes;
    if (!e->id || (name && !e->name) || !city_strmap_put(&net->index->edges, e->id, net->n_edges)) {
        free(e->id);
        free(e->name);
        goto oom;
    }
    return net->n_edges++;
oom:
    city_error_set(err, CITY_ERR_NOMEM, "out of memory adding edge '%s'", id);
    return -1;
}

int32_t city_road_net_add_lane(CityRoadNet *net, int32_t edge, const char *id, double speed_mps, double length_m,
                               double width_m, uint32_t allow, const CityPoint *shape, int32_t n_shape, CityError *err)
{
    if (!check_open(net, err))
        return -1;
    if (edge < 0 || edge >= net->n_edges) {
        city_error_set(err, CITY_ERR_INVALID, "lane '%s' belongs to no known edge", id ? id : "");
        return -1;
    }
    CityEdge *e = &net->edges[edge];
    if (e->lane_first + e->lane_count != net->n_lanes) {
        city_error_set(err, CITY_ERR_INVALID, "lane '%s': lanes of edge '%s' must be added one after another",
                       id ? id : "", e->id);
        return -1;
    }
    if (!id || !*id || city_strmap_get(&net->index->lanes, id) >= 0) {
        city_error_set(err, CITY_ERR_INVALID, "lane '%s' is %s; give every lane its own id", id ? id : "",
                       id && *id ? "defined twice" : "without an id");
        return -1;
    }
    if (n_shape < 2 || !(speed_mps > 0) || !isfinite(speed_mps)) {
        city_error_set(err, CITY_ERR_INVALID, "lane '%s' needs a shape of at least 2 points and a speed > 0", id);
        return -1;
    }
    double geo = 0.0;
    for (int32_t i = 1; i < n_shape; i++)
        geo += hypot(shape[i].x - shape[i - 1].x, shape[i].y - shape[i - 1].y);
    if (!(length_m > 0))
        length_m = geo;
    if (!(length_m > 0)) /* SUMO gives zero-length lanes 0.1 m */
        length_m = 0.1;
    if (!road_net_grow(net, (void **)&net->lanes, CAP_L, (size_t)net->n_lanes + 1, sizeof *net->lanes))
        goto oom;
    CityLane *l = &net->lanes[net->n_lanes];
    memset(l, 0, sizeof *l);
    l->id = city_strdup(id);
    l->edge = edge;
    l->index = e->lane_count;
    l->length_m = length_m;
    l->speed_mps = speed_mps;
    l->width_m = width_m > 0 ? width_m : 3.2;
    l->allow = allow;
    l->shape_first = add_points(net, shape, n_shape);
    l->shape_count = n_shape;
    if (!l->id || l->shape_first < 0 || !city_strmap_put(&net->index->lanes, l->id, net->n_lanes)) {
        free(l->id);
        goto oom;
    }
    e->lane_count++;
    return net->n_lanes++;
oom:
    city_error_set(err, CITY_ERR_NOMEM, "out of memory adding lane '%s'", id);
    return -1;
}

int32_t city_road_net_add_connection(CityRoadNet *net, int32_t from_lane, int32_t to_lane, const int32_t *via,
                                     int32_t n_via, int32_t junction, int32_t tls, int32_t tls_link, char dir,
                                     char state, CityError *err)
{
    if (!check_open(net, err))
        return -1;
    if (from_lane < 0 || from_lane >= net->n_lanes || to_lane < 0 || to_lane >= net->n_lanes || junction < 0 ||
        junction >= net->n_junctions) {
        city_error_set(err, CITY_ERR_INVALID, "connection names an unknown lane or junction");
        return -1;
    }
    for (int32_t k = 0; k < n_via; k++)
        if (via[k] < 0 || via[k] >= net->n_lanes) {
            city_error_set(err, CITY_ERR_INVALID, "connection %s -> %s passes an unknown internal lane",
                           net->lanes[from_lane].id, net->lanes[to_lane].id);
            return -1;
        }
    if (tls >= net->n_tls || (tls >= 0 && (tls_link < 0 || tls_link >= net->tls[tls].link_count))) {
        city_error_set(err, CITY_ERR_INVALID,
                       "connection %s -> %s: traffic light link index %d is out of range for light '%s'",
                       net->lanes[from_lane].id, net->lanes[to_lane].id, (int)tls_link,
                       tls >= 0 && tls < net->n_tls ? net->tls[tls].id : "?");
        return -1;
    }
    if (!road_net_grow(net, (void **)&net->conns, CAP_C, (size_t)net->n_conns + 1, sizeof *net->conns) ||
        !road_net_grow(net, (void **)&net->via, CAP_VIA, (size_t)net->n_via + (size_t)n_via + 1, sizeof *net->via)) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding a connection");
        return -1;
    }
    CityConnection *c = &net->conns[net->n_conns];
    c->from_lane = from_lane;
    c->to_lane = to_lane;
    c->via_first = net->n_via;
    c->via_count = n_via;
    if (n_via > 0)
        memcpy(net->via + net->n_via, via, (size_t)n_via * sizeof *via);
    net->n_via += n_via;
    c->junction = junction;
    c->link = -1;
    c->tls = tls;
    c->tls_link = tls >= 0 ? tls_link : -1;
    c->dir = dir ? dir : 's';
    c->state = state ? state : 'M';
    c->minor_hops = n_via > 0 && city_link_state_minor(c->state) ? 1 : 0;
    return net->n_conns++;
}

CityStatus city_road_net_set_junction_links(CityRoadNet *net, int32_t junction, int32_t n_links, CityError *err)
{
    if (!check_open(net, err))
        return CITY_ERR_INVALID;
    if (junction < 0 || junction >= net->n_junctions || n_links < 0) {
        city_error_set(err, CITY_ERR_INVALID, "set_junction_links: bad junction or link count");
        return CITY_ERR_INVALID;
    }
    CityJunction *j = &net->junctions[junction];
    if (j->link_first >= 0) {
        city_error_set(err, CITY_ERR_INVALID, "junction '%s' already has its links", j->id);
        return CITY_ERR_INVALID;
    }
    int32_t words = (n_links + 63) / 64;
    if (!road_net_grow(net, (void **)&net->links, CAP_K, (size_t)net->n_links + (size_t)n_links, sizeof *net->links) ||
        !road_net_grow(net, (void **)&net->masks, CAP_MASK, (size_t)net->n_masks + 2u * (size_t)words * (size_t)n_links,
                       sizeof *net->masks)) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding the links of junction '%s'", j->id);
        return CITY_ERR_NOMEM;
    }
    j->link_first = net->n_links;
    j->link_count = n_links;
    for (int32_t k = 0; k < n_links; k++) {
        CityLink *lk = &net->links[net->n_links + k];
        lk->conn = -1;
        lk->junction = junction;
        lk->mask_first = net->n_masks + 2 * words * k;
        lk->mask_words = words;
        lk->cont = false;
    }
    memset(net->masks + net->n_masks, 0, 2u * (size_t)words * (size_t)n_links * sizeof *net->masks);
    net->n_links += n_links;
    net->n_masks += 2 * words * n_links;
    return CITY_OK;
}

/* SUMO bit strings: the rightmost character is link 0. */
static bool parse_bits(const char *s, int32_t n, uint64_t *words)
{
    if (!s || (int32_t)strlen(s) != n)
        return false;
    for (int32_t k = 0; k < n; k++) {
        char ch = s[n - 1 - k];
        if (ch == '1')
            words[k / 64] |= 1ull << (k % 64);
        else if (ch != '0')
            return false;
    }
    return true;
}

CityStatus city_road_net_set_request(CityRoadNet *net, int32_t junction, int32_t index, int32_t conn,
                                     const char *response, const char *foes, bool cont, CityError *err)
{
    if (!check_open(net, err))
        return CITY_ERR_INVALID;
    if (junction < 0 || junction >= net->n_junctions) {
        city_error_set(err, CITY_ERR_INVALID, "request for an unknown junction");
        return CITY_ERR_INVALID;
    }
    CityJunction *j = &net->junctions[junction];
    if (index < 0 || index >= j->link_count) {
        city_error_set(err, CITY_ERR_INVALID, "junction '%s': request index %d is outside its %d links", j->id,
                       (int)index, (int)j->link_count);
        return CITY_ERR_INVALID;
    }
    if (conn < 0 || conn >= net->n_conns || net->conns[conn].junction != junction) {
        city_error_set(err, CITY_ERR_INVALID, "junction '%s': request %d names a connection of another junction", j->id,
                       (int)index);
        return CITY_ERR_INVALID;
    }
    int32_t g = j->link_first + index;
    CityLink *lk = &net->links[g];
    uint64_t *m = net->masks + lk->mask_first;
    memset(m, 0, 2u * (size_t)lk->mask_words * sizeof *m);
    if (!parse_bits(response, j->link_count, m) || !parse_bits(foes, j->link_count, m + lk->mask_words)) {
        city_error_set(err, CITY_ERR_INVALID,
                       "junction '%s': request %d needs response and foes strings of %d characters '0'/'1'", j->id,
                       (int)index, (int)j->link_count);
        return CITY_ERR_INVALID;
    }
    lk->conn = conn;
    lk->cont = cont;
    net->conns[conn].link = g;
    return CITY_OK;
}

int32_t city_road_net_add_tls(CityRoadNet *net, const char *id, const char *program_id, CityTlsType type,
                              double offset_s, int32_t link_count, CityError *err)
{
    if (!check_open(net, err))
        return -1;
    if (!id || !*id || city_strmap_get(&net->index->tls, id) >= 0) {
        city_error_set(err, CITY_ERR_INVALID, "traffic light '%s' is %s; give every light its own id", id ? id : "",
                       id && *id ? "defined twice" : "without an id");
        return -1;
    }
    if (link_count < 0 || !isfinite(offset_s)) {
        city_error_set(err, CITY_ERR_INVALID, "traffic light '%s' has a bad link count or offset", id);
        return -1;
    }
    if (!road_net_grow(net, (void **)&net->tls, CAP_T, (size_t)net->n_tls + 1, sizeof *net->tls))
        goto oom;
    CityTls *t = &net->tls[net->n_tls];
    memset(t, 0, sizeof *t);
    t->id = city_strdup(id);
    t->program_id = city_strdup(program_id ? program_id : "0");
    t->type = type;
    t->offset_s = offset_s;
    t->link_count = link_count;
    t->phase_first = net->n_phases;
    if (!t->id || !t->program_id || !city_strmap_put(&net->index->tls, t->id, net->n_tls)) {
        free(t->id);
        free(t->program_id);
        goto oom;
    }
    return net->n_tls++;
oom:
    city_error_set(err, CITY_ERR_NOMEM, "out of memory adding traffic light '%s'", id);
    return -1;
}

int32_t city_road_net_add_phase(CityRoadNet *net, int32_t tls, double duration_s, double min_s, double max_s,
                                const char *state, CityError *err)
{
    if (!check_open(net, err))
        return -1;
    if (tls < 0 || tls >= net->n_tls) {
        city_error_set(err, CITY_ERR_INVALID, "phase for an unknown traffic light");
        return -1;
    }
    CityTls *t = &net->tls[tls];
    if (t->phase_first + t->phase_count != net->n_phases) {
        city_error_set(err, CITY_ERR_INVALID, "traffic light '%s': add its phases one after another", t->id);
        return -1;
    }
    if (!state || (int32_t)strlen(state) != t->link_count) {
        city_error_set(err, CITY_ERR_INVALID,
                       "traffic light '%s' phase %d: state '%s' has %d characters, the light has %d links", t->id,
                       (int)t->phase_count, state ? state : "", state ? (int)strlen(state) : 0, (int)t->link_count);
        return -1;
    }
    for (const char *p = state; *p; p++)
        if (!strchr("GgryYuosOw-", *p)) {
            city_error_set(err, CITY_ERR_INVALID,
                           "traffic light '%s' phase %d: '%c' is not a SUMO signal state (use GgryYuosO)", t->id,
                           (int)t->phase_count, *p);
            return -1;
        }
    if (!(duration_s > 0) || !isfinite(duration_s)) {
        city_error_set(err, CITY_ERR_INVALID, "traffic light '%s' phase %d: duration must be > 0 s", t->id,
                       (int)t->phase_count);
        return -1;
    }
    if (!(min_s > 0))
        min_s = duration_s;
    if (!(max_s > 0))
        max_s = duration_s;
    if (min_s > max_s) {
        city_error_set(err, CITY_ERR_INVALID, "traffic light '%s' phase %d: minDur %.1f s exceeds maxDur %.1f s", t->id,
                       (int)t->phase_count, min_s, max_s);
        return -1;
    }
    if (!road_net_grow(net, (void **)&net->phases, CAP_P, (size_t)net->n_phases + 1, sizeof *net->phases) ||
        !road_net_grow(net, (void **)&net->chars, CAP_CHAR, (size_t)net->n_chars + (size_t)t->link_count + 1,
                       sizeof *net->chars)) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory adding a phase to light '%s'", t->id);
        return -1;
    }
    CityTlsPhase *ph = &net->phases[net->n_phases];
    ph->duration_s = duration_s;
    ph->min_s = min_s;
    ph->max_s = max_s;
    ph->state_first = net->n_chars;
    memcpy(net->chars + net->n_chars, state, (size_t)t->link_count + 1);
    net->n_chars += t->link_count + 1;
    t->phase_count++;
    return net->n_phases++;
}

CityStatus city_road_net_set_junction_tls(CityRoadNet *net, int32_t junction, int32_t tls, CityError *err)
{
    if (!check_open(net, err))
        return CITY_ERR_INVALID;
    if (junction < 0 || junction >= net->n_junctions || tls < -1 || tls >= net->n_tls) {
        city_error_set(err, CITY_ERR_INVALID, "set_junction_tls: unknown junction or light");
        return CITY_ERR_INVALID;
    }
    net->junctions[junction].tls = tls;
    return CITY_OK;
}

/* ---- reading ------------------------------------------------------------ */

int32_t city_road_net_find_junction(const CityRoadNet *net, const char *id)
{
    return city_strmap_get(&net->index->junctions, id);
}
int32_t city_road_net_find_edge(const CityRoadNet *net, const char *id)
{
    return city_strmap_get(&net->index->edges, id);
}
int32_t city_road_net_find_lane(const CityRoadNet *net, const char *id)
{
    return city_strmap_get(&net->index->lanes, id);
}
int32_t city_road_net_find_tls(const CityRoadNet *net, const char *id)
{
    return city_strmap_get(&net->index->tls, id);
}

void city_road_lane_point(const CityRoadNet *net, int32_t lane, double s_m, CityPoint *out, double *heading_rad)
{
    const CityLane *l = &net->lanes[lane];
    const CityPoint *p = net->points + l->shape_first;
    double geo = 0.0;
    for (int32_t i = 1; i < l->shape_count; i++)
        geo += hypot(p[i].x - p[i - 1].x, p[i].y - p[i - 1].y);
    double target = geo > 0 ? s_m * geo / l->length_m : 0.0;
    if (target < 0)
        target = 0;
    for (int32_t i = 1; i < l->shape_count; i++) {
        double seg = hypot(p[i].x - p[i - 1].x, p[i].y - p[i - 1].y);
        if (target <= seg || i == l->shape_count - 1) {
            double f = seg > 0 ? fmin(target / seg, 1.0) : 0.0;
            out->x = p[i - 1].x + f * (p[i].x - p[i - 1].x);
            out->y = p[i - 1].y + f * (p[i].y - p[i - 1].y);
            if (heading_rad)
                *heading_rad = atan2(p[i].y - p[i - 1].y, p[i].x - p[i - 1].x);
            return;
        }
        target -= seg;
    }
    *out = p[0];
    if (heading_rad)
        *heading_rad = 0.0;
}

uint64_t city_road_net_hash(const CityRoadNet *net)
{
    CityHash h;
    city_hash_init(&h);
    city_hash_u64(&h, (uint64_t)net->n_junctions);
    city_hash_u64(&h, (uint64_t)net->n_edges);
    city_hash_u64(&h, (uint64_t)net->n_lanes);
    city_hash_u64(&h, (uint64_t)net->n_conns);
    city_hash_u64(&h, (uint64_t)net->n_links);
    city_hash_u64(&h, (uint64_t)net->n_tls);
    for (int32_t l = 0; l < net->n_lanes; l++) {
        city_hash_str(&h, net->lanes[l].id);
        city_hash_f64(&h, net->lanes[l].length_m);
        city_hash_f64(&h, net->lanes[l].speed_mps);
        city_hash_u64(&h, net->lanes[l].allow);
    }
    for (int32_t c = 0; c < net->n_conns; c++) {
        city_hash_u64(&h, (uint64_t)(uint32_t)net->conns[c].from_lane);
        city_hash_u64(&h, (uint64_t)(uint32_t)net->conns[c].to_lane);
        city_hash_u64(&h, (uint64_t)(uint32_t)net->conns[c].link);
    }
    city_hash_bytes(&h, net->masks, (size_t)net->n_masks * sizeof *net->masks);
    city_hash_bytes(&h, net->chars, (size_t)net->n_chars);
    return city_hash_value(&h);
}
