/* A* routing on the edge graph: costs are edge traversal times, the
 * heuristic is straight-line distance over the network's top speed (never
 * overestimates). Scratch arrays live in the router and are reset lazily
 * with a query stamp, so a query costs what it visits, not the net size. */
#include <math.h>
#include <stdlib.h>

#include "city_array.h"
#include "road_route.h"

typedef struct HeapItem {
    double f; /* cost so far + heuristic */
    int32_t edge;
} HeapItem;

struct RoadRouter {
    const CityRoadNet *net;
    double inv_top_speed; /* 1 / fastest speed limit of the net */
    double *g;            /* best known cost to the end of each edge */
    int32_t *prev;        /* predecessor edge on that path */
    uint32_t *stamp;      /* query in which g/prev were set */
    uint8_t *closed;      /* settled in the current query (valid when stamp matches) */
    uint32_t query;
    HeapItem *heap;
    int32_t n_heap, cap_heap;
};

RoadRouter *road_router_create(const CityRoadNet *net)
{
    RoadRouter *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t n = (size_t)net->n_edges + 1;
    r->net = net;
    r->g = malloc(n * sizeof *r->g);
    r->prev = malloc(n * sizeof *r->prev);
    r->stamp = calloc(n, sizeof *r->stamp);
    r->closed = calloc(n, sizeof *r->closed);
    if (!r->g || !r->prev || !r->stamp || !r->closed) {
        road_router_destroy(r);
        return NULL;
    }
    double top = 0.1;
    for (int32_t e = 0; e < net->n_edges; e++)
        if (net->edges[e].speed_mps > top)
            top = net->edges[e].speed_mps;
    r->inv_top_speed = 1.0 / top;
    return r;
}

void road_router_destroy(RoadRouter *r)
{
    if (!r)
        return;
    free(r->g);
    free(r->prev);
    free(r->stamp);
    free(r->closed);
    free(r->heap);
    free(r);
}

/* Heap order: smaller f first, ties by edge index (deterministic). */
static inline bool before(HeapItem a, HeapItem b)
{
    return a.f < b.f || (a.f == b.f && a.edge < b.edge);
}

static bool heap_push(RoadRouter *r, HeapItem it)
{
    if (r->n_heap == r->cap_heap && !city_array_grow((void **)&r->heap, &r->cap_heap, r->n_heap + 1, sizeof *r->heap))
        return false;
    int32_t i = r->n_heap++;
    while (i > 0) {
        int32_t p = (i - 1) / 2;
        if (!before(it, r->heap[p]))
            break;
        r->heap[i] = r->heap[p];
        i = p;
    }
    r->heap[i] = it;
    return true;
}

static HeapItem heap_pop(RoadRouter *r)
{
    HeapItem top = r->heap[0], last = r->heap[--r->n_heap];
    int32_t i = 0, n = r->n_heap;
    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(r->heap[c + 1], r->heap[c]))
            c++;
        if (!before(r->heap[c], last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (n > 0)
        r->heap[i] = last;
    return top;
}

static double heuristic(const RoadRouter *r, int32_t edge, int32_t target)
{
    const CityRoadNet *net = r->net;
    CityPoint a = net->junctions[net->edges[edge].to].pos, b = net->junctions[net->edges[target].from].pos;
    return hypot(a.x - b.x, a.y - b.y) * r->inv_top_speed;
}

static double edge_cost(const CityRoadNet *net, int32_t e, const double *cost)
{
    return cost ? cost[e] : road_edge_free_time_s(&net->edges[e]);
}

static bool edge_allows(const CityRoadNet *net, int32_t e, uint32_t vclass)
{
    const CityEdge *ed = &net->edges[e];
    for (int32_t i = 0; i < ed->lane_count; i++)
        if (net->lanes[ed->lane_first + i].allow & vclass)
            return true;
    return false;
}

int32_t road_router_route(RoadRouter *r, int32_t from, int32_t to, uint32_t vclass, const double *cost, int32_t *out,
                          int32_t cap)
{
    const CityRoadNet *net = r->net;
    /* (an edge inside a junction has no junctions at its ends for the
     * heuristic, and no successors: no route starts or ends on one) */
    if (from < 0 || to < 0 || from >= net->n_edges || to >= net->n_edges || net->edges[from].internal ||
        net->edges[to].internal || !edge_allows(net, from, vclass) || !edge_allows(net, to, vclass))
        return -1;
    if (++r->query == 0) { /* stamp wrapped: clear once every 4 billion queries */
        for (int32_t e = 0; e < net->n_edges; e++)
            r->stamp[e] = 0;
        r->query = 1;
    }
    uint32_t q = r->query;
    r->n_heap = 0;
    r->g[from] = edge_cost(net, from, cost);
    r->prev[from] = -1;
    r->stamp[from] = q;
    r->closed[from] = 0;
    if (!heap_push(r, (HeapItem){r->g[from] + (from == to ? 0.0 : heuristic(r, from, to)), from}))
        return -1;
    bool found = false;
    while (r->n_heap > 0) {
        HeapItem it = heap_pop(r);
        int32_t e = it.edge;
        if (r->closed[e])
            continue;
        r->closed[e] = 1;
        if (e == to) {
            found = true;
            break;
        }
        const CityEdge *ed = &net->edges[e];
        for (int32_t k = 0; k < ed->succ_count; k++) {
            int32_t s = net->succ[ed->succ_first + k];
            if (!(net->succ_allow[ed->succ_first + k] & vclass))
                continue;
            double g = r->g[e] + edge_cost(net, s, cost);
            if (r->stamp[s] != q) {
                r->stamp[s] = q;
                r->closed[s] = 0;
            } else if (r->closed[s] || g >= r->g[s]) {
                continue;
            }
            r->g[s] = g;
            r->prev[s] = e;
            if (!heap_push(r, (HeapItem){g + (s == to ? 0.0 : heuristic(r, s, to)), s}))
                return -1;
        }
    }
    if (!found)
        return -1;
    int32_t n = 0;
    for (int32_t e = to; e >= 0; e = r->prev[e])
        n++;
    if (n > cap)
        return -2;
    int32_t i = n;
    for (int32_t e = to; e >= 0; e = r->prev[e])
        out[--i] = e;
    return n;
}
