/* Networks from a few nodes and edges, the way netconvert builds them
 * (simplified): lane geometry, turn connections with curved internal
 * lanes, conflicts from crossing paths, right of way and default signal
 * programs. Grid and arterial generators sit on top. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_build_internal.h"

#define BUILD_LANE_W 3.2

CityRoadBuilder *city_road_builder_create(void)
{
    return calloc(1, sizeof(CityRoadBuilder));
}

void city_road_builder_destroy(CityRoadBuilder *b)
{
    if (!b)
        return;
    for (int32_t i = 0; i < b->n_nodes; i++) {
        free(b->nodes[i].durations);
        for (int32_t k = 0; k < b->nodes[i].n_phases; k++)
            free(b->nodes[i].states[k]);
        free(b->nodes[i].states);
    }
    for (int32_t i = 0; i < b->n_edges; i++)
        free(b->edges[i].shape);
    city_strmap_free(&b->node_ids);
    city_strmap_free(&b->edge_ids);
    free(b->nodes);
    free(b->edges);
    free(b);
}

_Static_assert(offsetof(BNode, id) == 0 && offsetof(BEdge, id) == 0, "an element's id is its first field");

/* Makes room for one more element of an array whose ids (each element's
 * first field, `id`) key `ids`; when the array moves, the map is made
 * again over the moved ids (at each doubling: linear in all). False when
 * out of memory. */
static bool grow_indexed(void **arr, int32_t *cap, int32_t n, size_t size, CityStrMap *ids)
{
    const void *before = *arr;
    if (!city_array_grow(arr, cap, n + 1, size))
        return false;
    if (*arr == before)
        return true;
    city_strmap_free(ids);
    for (int32_t i = 0; i < n; i++)
        if (!city_strmap_put(ids, (const char *)*arr + (size_t)i * size, i))
            return false;
    return true;
}

int32_t city_road_builder_node(CityRoadBuilder *b, const char *id, double x, double y, CityJunctionType type,
                               CityError *err)
{
    if (!id || !*id || strlen(id) >= sizeof b->nodes[0].id || city_strmap_get(&b->node_ids, id) >= 0) {
        city_error_set(err, CITY_ERR_INVALID, "node '%s' is %s; give every node its own id (under 64 characters)",
                       id ? id : "", id && *id ? "defined twice or too long" : "without an id");
        return -1;
    }
    if (!isfinite(x) || !isfinite(y) ||
        (type != CITY_JUNCTION_PRIORITY && type != CITY_JUNCTION_TRAFFIC_LIGHT &&
         type != CITY_JUNCTION_RIGHT_BEFORE_LEFT && type != CITY_JUNCTION_ALLWAY_STOP)) {
        city_error_set(err, CITY_ERR_INVALID,
                       "node '%s' needs a finite position and a priority, traffic_light, right_before_left "
                       "or allway_stop type",
                       id);
        return -1;
    }
    if (!grow_indexed((void **)&b->nodes, &b->cap_nodes, b->n_nodes, sizeof *b->nodes, &b->node_ids))
        return -1;
    BNode *n = &b->nodes[b->n_nodes];
    memset(n, 0, sizeof *n);
    snprintf(n->id, sizeof n->id, "%s", id);
    if (!city_strmap_put(&b->node_ids, n->id, b->n_nodes))
        return -1;
    n->x = x;
    n->y = y;
    n->type = type;
    return b->n_nodes++;
}

int32_t city_road_builder_edge(CityRoadBuilder *b, const CityEdgeSpec *s, CityError *err)
{
    const char *id = s->id ? s->id : "";
    if (!*id || strlen(id) >= sizeof b->edges[0].id) {
        city_error_set(err, CITY_ERR_INVALID, "edge '%s' needs an id of 1 to 63 characters", id);
        return -1;
    }
    if (city_strmap_get(&b->edge_ids, id) >= 0) {
        city_error_set(err, CITY_ERR_INVALID, "edge '%s' is defined twice; give each edge its own id", id);
        return -1;
    }
    if (s->from < 0 || s->from >= b->n_nodes || s->to < 0 || s->to >= b->n_nodes || s->from == s->to) {
        city_error_set(err, CITY_ERR_INVALID, "edge '%s' must join two different existing nodes", id);
        return -1;
    }
    if (s->lanes < 1 || s->lanes > 16 || !(s->speed_mps > 0) || s->n_shape < 0) {
        city_error_set(err, CITY_ERR_INVALID, "edge '%s': lanes must be 1 to 16 and speed > 0 m/s", id);
        return -1;
    }
    if (!grow_indexed((void **)&b->edges, &b->cap_edges, b->n_edges, sizeof *b->edges, &b->edge_ids))
        return -1;
    BEdge *e = &b->edges[b->n_edges];
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    e->from = s->from;
    e->to = s->to;
    e->lanes = s->lanes;
    e->priority = s->priority;
    e->speed = s->speed_mps;
    e->width = s->lane_width_m > 0 ? s->lane_width_m : BUILD_LANE_W;
    e->allow = s->allow ? s->allow : (CITY_VC_ALL & ~(CITY_VC_PEDESTRIAN | CITY_VC_RAIL | CITY_VC_SHIP));
    if (s->n_shape > 0) {
        e->shape = malloc((size_t)s->n_shape * sizeof *e->shape);
        if (!e->shape)
            return -1;
        memcpy(e->shape, s->shape, (size_t)s->n_shape * sizeof *e->shape);
        e->n_shape = s->n_shape;
    }
    if (!city_strmap_put(&b->edge_ids, e->id, b->n_edges)) {
        free(e->shape);
        return -1;
    }
    return b->n_edges++;
}

CityStatus city_road_builder_road(CityRoadBuilder *b, const CityEdgeSpec *s, CityError *err)
{
    if (city_road_builder_edge(b, s, err) < 0)
        return CITY_ERR_INVALID;
    CityEdgeSpec r = *s;
    char id[80];
    snprintf(id, sizeof id, "-%s", s->id);
    r.id = id;
    r.from = s->to;
    r.to = s->from;
    CityPoint rev[64];
    if (s->n_shape > 64) {
        city_error_set(err, CITY_ERR_INVALID, "edge '%s': at most 64 shape points", s->id);
        return CITY_ERR_INVALID;
    }
    for (int32_t i = 0; i < s->n_shape; i++)
        rev[i] = s->shape[s->n_shape - 1 - i];
    r.shape = rev;
    return city_road_builder_edge(b, &r, err) < 0 ? CITY_ERR_INVALID : CITY_OK;
}

CityStatus city_road_builder_program(CityRoadBuilder *b, int32_t node, const double *durations_s,
                                     const char *const *states, int32_t n_phases, CityError *err)
{
    if (node < 0 || node >= b->n_nodes || n_phases < 1) {
        city_error_set(err, CITY_ERR_INVALID, "signal program for an unknown node or without phases");
        return CITY_ERR_INVALID;
    }
    BNode *n = &b->nodes[node];
    n->durations = malloc((size_t)n_phases * sizeof *n->durations);
    n->states = calloc((size_t)n_phases, sizeof *n->states);
    if (!n->durations || !n->states)
        return CITY_ERR_NOMEM;
    for (int32_t k = 0; k < n_phases; k++) {
        n->durations[k] = durations_s[k];
        size_t len = strlen(states[k]) + 1;
        n->states[k] = malloc(len);
        if (!n->states[k])
            return CITY_ERR_NOMEM;
        memcpy(n->states[k], states[k], len);
    }
    n->n_phases = n_phases;
    return CITY_OK;
}

/* ---- generators --------------------------------------------------------- */

CityStatus city_road_builder_grid(CityRoadBuilder *b, const CityGridSpec *g, CityError *err)
{
    if (g->nx < 2 || g->ny < 2 || g->nx > 26 * 26 || !(g->spacing_m > 0) || g->lanes < 1) {
        city_error_set(err, CITY_ERR_INVALID, "grid: nx and ny must be >= 2, spacing > 0 m and lanes >= 1");
        return CITY_ERR_INVALID;
    }
    const char *pre = g->prefix ? g->prefix : "";
    int32_t base = b->n_nodes;
    for (int32_t i = 0; i < g->nx; i++)
        for (int32_t j = 0; j < g->ny; j++) {
            char id[64];
            /* netgenerate's names: column letter(s), row number */
            if (i < 26)
                snprintf(id, sizeof id, "%s%c%d", pre, 'A' + i, (int)j);
            else
                snprintf(id, sizeof id, "%s%c%c%d", pre, 'A' + i / 26 - 1, 'A' + i % 26, (int)j);
            bool border = i == 0 || j == 0 || i == g->nx - 1 || j == g->ny - 1;
            if (city_road_builder_node(b, id, i * g->spacing_m, j * g->spacing_m,
                                       border ? CITY_JUNCTION_PRIORITY : g->junction, err) < 0)
                return CITY_ERR_INVALID;
        }
    for (int32_t i = 0; i < g->nx; i++)
        for (int32_t j = 0; j < g->ny; j++) {
            int32_t a = base + i * g->ny + j;
            int32_t nb[2] = {i + 1 < g->nx ? a + g->ny : -1, j + 1 < g->ny ? a + 1 : -1};
            for (int k = 0; k < 2; k++) {
                if (nb[k] < 0)
                    continue;
                char id[160];
                snprintf(id, sizeof id, "%s%s", b->nodes[a].id, b->nodes[nb[k]].id + strlen(pre));
                CityEdgeSpec e = {
                    .id = id, .from = a, .to = nb[k], .lanes = g->lanes, .speed_mps = g->speed_mps, .priority = 1};
                if (city_road_builder_edge(b, &e, err) < 0)
                    return CITY_ERR_INVALID;
                snprintf(id, sizeof id, "%s%s", b->nodes[nb[k]].id, b->nodes[a].id + strlen(pre));
                e.from = nb[k];
                e.to = a;
                if (city_road_builder_edge(b, &e, err) < 0)
                    return CITY_ERR_INVALID;
            }
        }
    return CITY_OK;
}

CityStatus city_road_builder_arterial(CityRoadBuilder *b, const CityArterialSpec *a, CityError *err)
{
    if (a->n_cross < 1 || !(a->spacing_m > 0) || !(a->cross_length_m > 0) || a->lanes < 1 || a->cross_lanes < 1) {
        city_error_set(err, CITY_ERR_INVALID,
                       "arterial: cross_streets >= 1, spacing and cross_length > 0 m, lanes >= 1");
        return CITY_ERR_INVALID;
    }
    const char *pre = a->prefix ? a->prefix : "";
    char id[96];
    int32_t n = a->n_cross;
    int32_t prev = -1;
    for (int32_t i = 0; i <= n + 1; i++) {
        snprintf(id, sizeof id, "%sM%d", pre, (int)i);
        bool end = i == 0 || i == n + 1;
        int32_t m = city_road_builder_node(b, id, i * a->spacing_m, 0, end ? CITY_JUNCTION_PRIORITY : a->junction, err);
        if (m < 0)
            return CITY_ERR_INVALID;
        if (prev >= 0) {
            snprintf(id, sizeof id, "%sM%dM%d", pre, (int)i - 1, (int)i);
            CityEdgeSpec e = {
                .id = id, .from = prev, .to = m, .lanes = a->lanes, .speed_mps = a->speed_mps, .priority = 3};
            if (city_road_builder_road(b, &e, err) != CITY_OK)
                return CITY_ERR_INVALID;
        }
        if (!end)
            for (int side = -1; side <= 1; side += 2) {
                snprintf(id, sizeof id, "%s%c%d", pre, side < 0 ? 'S' : 'N', (int)i);
                int32_t c = city_road_builder_node(b, id, i * a->spacing_m, side * a->cross_length_m,
                                                   CITY_JUNCTION_PRIORITY, err);
                if (c < 0)
                    return CITY_ERR_INVALID;
                char eid[96];
                snprintf(eid, sizeof eid, "%s%c%dM%d", pre, side < 0 ? 'S' : 'N', (int)i, (int)i);
                CityEdgeSpec e = {.id = eid,
                                  .from = c,
                                  .to = m,
                                  .lanes = a->cross_lanes,
                                  .speed_mps = a->cross_speed_mps > 0 ? a->cross_speed_mps : a->speed_mps,
                                  .priority = 2};
                if (city_road_builder_road(b, &e, err) != CITY_OK)
                    return CITY_ERR_INVALID;
            }
        prev = m;
    }
    return CITY_OK;
}
