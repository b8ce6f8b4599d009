/* Finalize: the checks and derived tables a network needs before a run
 * (edge lengths and speeds, default junction rules, connections sorted by
 * lane, successor edges with the classes that may make each turn, the
 * bounding box). Each step is its own function; finalize lists them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_group.h"
#include "road_net_internal.h"

static bool is_major(char state)
{
    return state == 'M' || state == 'O' || state == 'G';
}

/* Do the straight chords of two connections (end of the from-lane to the
 * start of the to-lane) cross? */
static bool chords_cross(const CityRoadNet *net, const CityConnection *ca, const CityConnection *cb)
{
    const CityLane *fa = &net->lanes[ca->from_lane], *ta = &net->lanes[ca->to_lane];
    const CityLane *fb = &net->lanes[cb->from_lane], *tb = &net->lanes[cb->to_lane];
    CityPoint p1 = net->points[fa->shape_first + fa->shape_count - 1], p2 = net->points[ta->shape_first];
    CityPoint q1 = net->points[fb->shape_first + fb->shape_count - 1], q2 = net->points[tb->shape_first];
    double d1 = (q2.x - q1.x) * (p1.y - q1.y) - (q2.y - q1.y) * (p1.x - q1.x);
    double d2 = (q2.x - q1.x) * (p2.y - q1.y) - (q2.y - q1.y) * (p2.x - q1.x);
    double d3 = (p2.x - p1.x) * (q1.y - p1.y) - (p2.y - p1.y) * (q1.x - p1.x);
    double d4 = (p2.x - p1.x) * (q2.y - p1.y) - (p2.y - p1.y) * (q2.x - p1.x);
    return ((d1 > 0) != (d2 > 0)) && ((d3 > 0) != (d4 > 0));
}

/* Links of junction jn from its n connections conn[] (in connection
 * order); two links conflict when they come from different edges and go to
 * the same edge or cross; a minor link yields to every major foe. */
static bool junction_default_links(CityRoadNet *net, int32_t jn, const int32_t *conn, int32_t n, CityError *err)
{
    if (city_road_net_set_junction_links(net, jn, n, err) != CITY_OK)
        return false;
    CityJunction *j = &net->junctions[jn];
    for (int32_t k = 0; k < n; k++) {
        net->links[j->link_first + k].conn = conn[k];
        net->conns[conn[k]].link = j->link_first + k;
    }
    for (int32_t a = 0; a < n; a++) {
        CityLink *la = &net->links[j->link_first + a];
        const CityConnection *ca = &net->conns[la->conn];
        uint64_t *resp = net->masks + la->mask_first, *foes = resp + la->mask_words;
        for (int32_t b = 0; b < n; b++) {
            if (a == b)
                continue;
            const CityConnection *cb = &net->conns[net->links[j->link_first + b].conn];
            if (net->lanes[ca->from_lane].edge == net->lanes[cb->from_lane].edge)
                continue;
            bool conflict = net->lanes[ca->to_lane].edge == net->lanes[cb->to_lane].edge;
            if (!conflict && !chords_cross(net, ca, cb))
                continue;
            foes[b / 64] |= 1ull << (b % 64);
            if (!is_major(ca->state) && is_major(cb->state))
                resp[b / 64] |= 1ull << (b % 64);
        }
    }
    return true;
}

/* The connections of each junction, in connection order; false when out
 * of memory. */
static bool group_by_junction(const CityRoadNet *net, CityGroups *g)
{
    int32_t *key = malloc(((size_t)net->n_conns + 1) * sizeof *key);
    if (!key)
        return false;
    for (int32_t c = 0; c < net->n_conns; c++)
        key[c] = net->conns[c].junction;
    bool ok = city_groups_build(g, key, net->n_conns, net->n_junctions);
    free(key);
    return ok;
}

/* Junctions without request tables get one (junction_default_links). The
 * connections are grouped by junction first, so the step stays linear in
 * the network's size (not one scan of every connection per junction). */
static CityStatus default_requests(CityRoadNet *net, CityError *err)
{
    CityGroups by_junction;
    if (!group_by_junction(net, &by_junction)) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory finalizing the road network");
        return CITY_ERR_NOMEM;
    }
    CityStatus st = CITY_OK;
    for (int32_t jn = 0; jn < net->n_junctions && st == CITY_OK; jn++) {
        const int32_t *conn = by_junction.items + by_junction.first[jn];
        int32_t n = by_junction.first[jn + 1] - by_junction.first[jn];
        /* unregulated junctions have no rules: their links stay free (-1) */
        if (net->junctions[jn].link_first >= 0 || net->junctions[jn].type == CITY_JUNCTION_UNREGULATED || n == 0)
            continue;
        if (!junction_default_links(net, jn, conn, n, err))
            st = CITY_ERR_INVALID;
    }
    city_groups_free(&by_junction);
    return st;
}

/* Every edge has lanes; its length is its first lane's, its speed its fastest lane's. */
static CityStatus summarize_edges(CityRoadNet *net, CityError *err)
{
    for (int32_t e = 0; e < net->n_edges; e++) {
        CityEdge *ed = &net->edges[e];
        if (ed->lane_count < 1) {
            city_error_set(err, CITY_ERR_INVALID, "edge '%s' has no lanes; every edge needs at least one lane", ed->id);
            return CITY_ERR_INVALID;
        }
        ed->length_m = net->lanes[ed->lane_first].length_m;
        ed->speed_mps = 0.0;
        for (int32_t i = 0; i < ed->lane_count; i++)
            if (net->lanes[ed->lane_first + i].speed_mps > ed->speed_mps)
                ed->speed_mps = net->lanes[ed->lane_first + i].speed_mps;
    }
    return CITY_OK;
}

static CityStatus check_connections(const CityRoadNet *net, CityError *err)
{
    for (int32_t c = 0; c < net->n_conns; c++) {
        const CityConnection *cn = &net->conns[c];
        if (net->edges[net->lanes[cn->from_lane].edge].internal || net->edges[net->lanes[cn->to_lane].edge].internal) {
            city_error_set(err, CITY_ERR_INVALID,
                           "connection %s -> %s must join two normal lanes (internal lanes go in via)",
                           net->lanes[cn->from_lane].id, net->lanes[cn->to_lane].id);
            return CITY_ERR_INVALID;
        }
    }
    return CITY_OK;
}

/* Lanes' outgoing connections: a stable counting sort on the from-lane
 * (setting each lane's out_first/out_count), then by to-lane inside each
 * lane; links follow their connections to the new positions. */
static CityStatus sort_connections(CityRoadNet *net, CityError *err)
{
    CityConnection *sorted = malloc(((size_t)net->n_conns + 1) * sizeof *sorted);
    int32_t *count = calloc((size_t)net->n_lanes + 1, sizeof *count);
    int32_t *next = malloc(((size_t)net->n_lanes + 1) * sizeof *next);
    if (!sorted || !count || !next) {
        free(sorted);
        free(count);
        free(next);
        city_error_set(err, CITY_ERR_NOMEM, "out of memory finalizing the road network");
        return CITY_ERR_NOMEM;
    }
    for (int32_t c = 0; c < net->n_conns; c++)
        count[net->conns[c].from_lane + 1]++;
    for (int32_t l = 0; l < net->n_lanes; l++)
        count[l + 1] += count[l];
    for (int32_t l = 0; l < net->n_lanes; l++) {
        net->lanes[l].out_first = count[l];
        net->lanes[l].out_count = count[l + 1] - count[l];
    }
    memcpy(next, count, (size_t)net->n_lanes * sizeof *next);
    for (int32_t c = 0; c < net->n_conns; c++)
        sorted[next[net->conns[c].from_lane]++] = net->conns[c];
    /* within a lane: by to-lane (short lists: insertion sort) */
    for (int32_t l = 0; l < net->n_lanes; l++) {
        CityConnection *a = sorted + net->lanes[l].out_first;
        int32_t n = net->lanes[l].out_count;
        for (int32_t i = 1; i < n; i++) {
            CityConnection ci = a[i];
            int32_t j = i;
            while (j > 0 && a[j - 1].to_lane > ci.to_lane) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = ci;
        }
    }
    for (int32_t c = 0; c < net->n_conns; c++)
        if (sorted[c].link >= 0)
            net->links[sorted[c].link].conn = c;
    if (net->n_conns > 0) /* conns is NULL in a network without connections */
        memcpy(net->conns, sorted, (size_t)net->n_conns * sizeof *sorted);
    free(sorted);
    free(count);
    free(next);
    return CITY_OK;
}

/* Successor edges of every normal edge, with the classes that can make each turn. */
static CityStatus build_successors(CityRoadNet *net, CityError *err)
{
    int32_t cap_allow = 0; /* succ_allow is as long as succ */
    net->n_succ = 0;
    for (int32_t e = 0; e < net->n_edges; e++) {
        CityEdge *ed = &net->edges[e];
        ed->succ_first = net->n_succ;
        ed->succ_count = 0;
        if (ed->internal)
            continue;
        for (int32_t i = 0; i < ed->lane_count; i++) {
            const CityLane *ln = &net->lanes[ed->lane_first + i];
            for (int32_t k = 0; k < ln->out_count; k++) {
                const CityConnection *c = &net->conns[ln->out_first + k];
                int32_t to = net->lanes[c->to_lane].edge;
                int32_t s;
                for (s = 0; s < ed->succ_count; s++)
                    if (net->succ[ed->succ_first + s] == to)
                        break;
                if (s == ed->succ_count) {
                    if (!road_net_grow(net, (void **)&net->succ, CAP_SUCC, (size_t)net->n_succ + 1,
                                       sizeof *net->succ) ||
                        !city_array_grow((void **)&net->succ_allow, &cap_allow, net->n_succ + 1,
                                         sizeof *net->succ_allow)) {
                        city_error_set(err, CITY_ERR_NOMEM, "out of memory finalizing the road network");
                        return CITY_ERR_NOMEM;
                    }
                    net->succ[net->n_succ] = to;
                    net->succ_allow[net->n_succ] = 0;
                    net->n_succ++;
                    ed->succ_count++;
                }
                net->succ_allow[ed->succ_first + s] |= ln->allow & net->lanes[c->to_lane].allow;
            }
        }
    }
    return CITY_OK;
}

static void bounding_box(CityRoadNet *net)
{
    net->min_x = net->min_y = INFINITY;
    net->max_x = net->max_y = -INFINITY;
    for (int32_t i = 0; i < net->n_points; i++) {
        CityPoint p = net->points[i];
        net->min_x = fmin(net->min_x, p.x);
        net->min_y = fmin(net->min_y, p.y);
        net->max_x = fmax(net->max_x, p.x);
        net->max_y = fmax(net->max_y, p.y);
    }
    if (net->n_points == 0)
        net->min_x = net->min_y = net->max_x = net->max_y = 0.0;
}

CityStatus city_road_net_finalize(CityRoadNet *net, CityError *err)
{
    if (net->finalized)
        return CITY_OK;
    CityStatus st = summarize_edges(net, err);
    if (st == CITY_OK)
        st = check_connections(net, err);
    /* links may lack a connection: SUMO numbers pedestrian crossings as
     * links too, and we do not model them; such links are never occupied */
    if (st == CITY_OK)
        st = default_requests(net, err);
    if (st == CITY_OK)
        st = sort_connections(net, err);
    if (st == CITY_OK)
        st = build_successors(net, err);
    if (st != CITY_OK)
        return st;
    bounding_box(net);
    net->finalized = true;
    return CITY_OK;
}
