/* A* routing on the edge graph: costs are edge traversal times plus turn
 * costs (road_route.h). The heuristic is the straight-line distance from
 * the end of an edge to the end of the target times the least cost per
 * metre any single step of a route (a turn and the edge after it) has on
 * this net, measured between the same end points: by the triangle
 * inequality no route can do better, so the estimate never overestimates
 * and never decreases by more than a step costs (every route found is a
 * fastest one). Junction centres and the top speed made no such bound on
 * real networks, where a lane may be much shorter than the distance
 * between the centres of the joined junctions it links: one route in 20 on
 * Jamsil came out slower than the fastest. Scratch arrays live in the
 * router and are reset lazily with a query stamp, so a query costs what it
 * visits, not the net size.
 *
 * On free-flow costs the straight line is a weak estimate where speeds
 * differ (it prices every metre at the top speed of the net), so searches
 * also use landmarks (ALT: Goldberg and Harrelson, "Computing the shortest
 * path: A* search meets graph theory", SODA 2005): the costs from and to a
 * few edges at the net's rim, computed once, bound the cost from any edge
 * to the target by the triangle inequality. They are computed on every
 * turn of the net, so they stay lower bounds for a class that may make
 * fewer turns and past closed lanes (fewer turns still); the estimate is
 * the larger of the two. On Jamsil (randomTrips' trips, free flow) a
 * search took 274 edges from its queue with the straight line alone, 65
 * with 16 landmarks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_route.h"

typedef struct HeapItem {
    double f; /* cost so far + heuristic */
    int32_t edge;
} HeapItem;

/* What a search knows of one edge, in one record (two a cache line): a
 * relaxation reads and writes them together, and edges are reached in no
 * order the memory can foresee. */
typedef struct SearchNode {
    double g;       /* best known cost to the end of the edge */
    double h;       /* its estimate to the target (computed once per query) */
    int32_t prev;   /* predecessor edge on that path */
    uint32_t stamp; /* query in which the fields were set */
    uint8_t closed; /* settled in the current query (valid when stamp matches) */
} SearchNode;

struct RoadRouter {
    const CityRoadNet *net;
    double per_m;     /* the least cost per metre of a step between edge ends (s/m; see above) */
    CityPoint *end;   /* per edge: the end point of its first lane, where its estimate is measured from */
    double *free_s;   /* per edge: its free-flow time (road_edge_free_time_s; the net does not change) */
    SearchNode *node; /* per edge: the current query's state */
    uint32_t query;
    double *turn_s; /* per successor entry (CityRoadNet.succ): its turn cost */
    HeapItem *heap;
    int32_t n_heap, cap_heap;
    uint64_t searches; /* road_router_route calls (for tests) */

    /* Landmarks (made at the first free-flow search; NULL before, and
     * when the memory was not there: the straight line serves alone). */
    double *mark;      /* per normal edge a row of ROAD_MARKS pairs: cost from landmark i to its end, and back */
    int32_t *mark_row; /* per edge: its row in mark; -1 inside a junction (no search reaches those) */
    int32_t n_rows;    /* rows: the normal edges */
    int32_t n_marks;   /* landmarks placed (fewer than ROAD_MARKS on a net with fewer edges) */
    bool marks_tried;  /* made, or failed for want of memory */

    /* Lane closures (NULL until a lane first closes; the net's own
     * succ_allow serves until then). */
    uint32_t *turn_open; /* per succ entry: classes that can make that turn past the closed lanes (turn_classes) */
    int32_t *open_lanes; /* per edge: its lanes not closed */
    int32_t *in_first;   /* per lane l: the connections onto it are in_conn[in_first[l] .. in_first[l + 1]) */
    int32_t *in_conn;
};

/* The time to drive connection c's internal lanes at their limits, plus
 * the minor penalty for each entered through a minor link (SUMO's
 * routers: a via edge's travel time and time penalty; a U-turn through an
 * internal waiting point pays it twice, as theirs). */
static double conn_turn_s(const CityRoadNet *net, const CityConnection *c)
{
    double t = 0.0;
    for (int32_t k = 0; k < c->via_count; k++)
        t += road_lane_free_time_s(&net->lanes[net->via[c->via_first + k]]);
    return t + ROAD_MINOR_PENALTY_S * c->minor_hops;
    return t;
}

/* Every successor entry's turn cost: the cheapest connection from the
 * edge's lanes onto that successor (whichever classes may take it: one
 * cost per turn, not per class). */
static void turn_costs(const CityRoadNet *net, double *turn_s)
{
    for (int32_t i = 0; i < net->n_succ; i++)
        turn_s[i] = INFINITY;
    for (int32_t e = 0; e < net->n_edges; e++) {
        const CityEdge *ed = &net->edges[e];
        for (int32_t i = 0; i < ed->lane_count; i++) {
            const CityLane *ln = &net->lanes[ed->lane_first + i];
            for (int32_t k = 0; k < ln->out_count; k++) {
                const CityConnection *c = &net->conns[ln->out_first + k];
                const int32_t to = net->lanes[c->to_lane].edge;
                for (int32_t s = ed->succ_first; s < ed->succ_first + ed->succ_count; s++)
                    if (net->succ[s] == to) {
                        turn_s[s] = fmin(turn_s[s], conn_turn_s(net, c));
                        break;
                    }
            }
        }
    }
}

/* The straight distance between two edges' ends (m), which the estimates
 * are made of (sqrt of the squares: hypot's care for overflow cost about a
 * seventh of a search, and city coordinates are far from overflowing). */
static double end_distance(const RoadRouter *r, int32_t a, int32_t b)
{
    const double dx = r->end[a].x - r->end[b].x, dy = r->end[a].y - r->end[b].y;
    return sqrt(dx * dx + dy * dy);
}

/* The estimate's scale: the least cost per metre of straight-line
 * distance between the ends of two consecutive route edges, over every
 * turn of the net (0 when a step costs nothing: no estimate then). */
static double least_cost_per_m(const RoadRouter *r)
{
    const CityRoadNet *net = r->net;
    double per_m = INFINITY;
    for (int32_t e = 0; e < net->n_edges; e++) {
        const CityEdge *ed = &net->edges[e];
        for (int32_t s = ed->succ_first; s < ed->succ_first + ed->succ_count; s++) {
            const int32_t to = net->succ[s];
            const double d = end_distance(r, e, to);
            if (d > 0)
                per_m = fmin(per_m, (r->turn_s[s] + r->free_s[to]) / d);
        }
    }
    return isfinite(per_m) ? per_m : 0.0;
}

RoadRouter *road_router_create(const CityRoadNet *net)
{
    RoadRouter *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t n = (size_t)net->n_edges + 1;
    r->net = net;
    r->node = calloc(n, sizeof *r->node);
    r->free_s = malloc(n * sizeof *r->free_s);
    r->turn_s = malloc(((size_t)net->n_succ + 1) * sizeof *r->turn_s);
    r->end = malloc(n * sizeof *r->end);
    if (!r->node || !r->free_s || !r->turn_s || !r->end) {
        road_router_destroy(r);
        return NULL;
    }
    for (int32_t e = 0; e < net->n_edges; e++) {
        const CityLane *ln = &net->lanes[net->edges[e].lane_first];
        r->end[e] = net->points[ln->shape_first + ln->shape_count - 1];
        r->free_s[e] = road_edge_free_time_s(&net->edges[e]);
    }
    turn_costs(net, r->turn_s);
    r->per_m = least_cost_per_m(r);
    return r;
}

void road_router_destroy(RoadRouter *r)
{
    if (!r)
        return;
    free(r->node);
    free(r->free_s);
    free(r->turn_s);
    free(r->end);
    free(r->heap);
    free(r->mark);
    free(r->mark_row);
    free(r->turn_open);
    free(r->open_lanes);
    free(r->in_first);
    free(r->in_conn);
    free(r);
}

/* The search's heap has four children a node (half the levels of a
 * binary one: a pop, which walks them down, was half a search's time).
 * Its order is total (f, then edge), so any heap pops the same sequence. */
#define HEAP_ARITY 4

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
        int32_t p = (i - 1) / HEAP_ARITY;
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
        const int32_t first = HEAP_ARITY * i + 1;
        if (first >= n)
            break;
        const int32_t end = first + HEAP_ARITY < n ? first + HEAP_ARITY : n;
        int32_t c = first;
        for (int32_t k = first + 1; k < end; k++)
            if (before(r->heap[k], r->heap[c]))
                c = k;
        if (!before(r->heap[c], last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (n > 0)
        r->heap[i] = last;
    return top;
}

/* ---- landmarks ---------------------------------------------------------- */

/* Landmarks a net gets. On Jamsil 4, 8, 16 and 32 of them made a search
 * take 179, 145, 65 and 49 edges from its queue; each adds two costs an
 * edge to the estimate's reads (16: 256 bytes a normal edge). */
#define ROAD_MARKS 16

/* The predecessors of every edge (the succ lists turned round), as
 * succ entries: the turns onto edge e are turn[first[e] .. first[e + 1]),
 * each the index k of a succ entry (net->succ[k] == e) whose edge is
 * edge_of[k]. */
typedef struct Preds {
    int32_t *first, *turn, *edge_of;
} Preds;

static void preds_free(Preds *p)
{
    free(p->first);
    free(p->turn);
    free(p->edge_of);
}

static bool preds_make(const CityRoadNet *net, Preds *p)
{
    p->first = calloc((size_t)net->n_edges + 2, sizeof *p->first);
    p->turn = malloc(((size_t)net->n_succ + 1) * sizeof *p->turn);
    p->edge_of = malloc(((size_t)net->n_succ + 1) * sizeof *p->edge_of);
    if (!p->first || !p->turn || !p->edge_of) {
        preds_free(p);
        return false;
    }
    for (int32_t e = 0; e < net->n_edges; e++) {
        const CityEdge *ed = &net->edges[e];
        for (int32_t k = ed->succ_first; k < ed->succ_first + ed->succ_count; k++) {
            p->edge_of[k] = e;
            p->first[net->succ[k] + 2]++;
        }
    }
    for (int32_t e = 2; e <= net->n_edges + 1; e++)
        p->first[e] += p->first[e - 1];
    for (int32_t k = 0; k < net->n_succ; k++)
        p->turn[p->first[net->succ[k] + 1]++] = k;
    return true;
}

/* Edge e's row of landmark costs (e a normal edge). */
static double *mark_of(const RoadRouter *r, int32_t e)
{
    return r->mark + (size_t)r->mark_row[e] * 2 * ROAD_MARKS;
}

/* Free-flow costs from edge `from` to every edge (forward: from the end
 * of `from` to the end of each, as a search counts them), or from every
 * edge to `from` (backward), over every turn of the net, into
 * mark_of(r, e)[slot] (INFINITY where there is no path), with the
 * search's heap. */
static bool mark_costs(RoadRouter *r, const Preds *p, int32_t from, bool forward, int32_t slot)
{
    const CityRoadNet *net = r->net;
    const int32_t stride = 2 * ROAD_MARKS;
    for (int32_t i = 0; i < r->n_rows; i++)
        r->mark[(size_t)i * stride + slot] = INFINITY;
    mark_of(r, from)[slot] = 0.0;
    r->n_heap = 0;
    if (!heap_push(r, (HeapItem){0.0, from}))
        return false;
    while (r->n_heap > 0) {
        const HeapItem it = heap_pop(r);
        const int32_t e = it.edge;
        if (it.f > mark_of(r, e)[slot])
            continue; /* a stale entry */
        const CityEdge *ed = &net->edges[e];
        const int32_t n = forward ? ed->succ_count : p->first[e + 1] - p->first[e];
        for (int32_t i = 0; i < n; i++) {
            const int32_t k = forward ? ed->succ_first + i : p->turn[p->first[e] + i];
            const int32_t o = forward ? net->succ[k] : p->edge_of[k];
            /* a turn a -> b costs its turn and b's own time, either way round */
            const double g = it.f + r->turn_s[k] + r->free_s[forward ? o : e];
            double *d = &mark_of(r, o)[slot];
            if (g < *d) {
                *d = g;
                if (!heap_push(r, (HeapItem){g, o}))
                    return false;
            }
        }
    }
    return true;
}

/* The landmarks: normal edges spread to the net's rim, each the one
 * farthest (straight line, ties to the lower index) from those placed
 * before, the first the one farthest from the centre of them all. */
static void marks_make(RoadRouter *r)
{
    const CityRoadNet *net = r->net;
    r->marks_tried = true;
    Preds p = {0};
    double *near = malloc(((size_t)net->n_edges + 1) * sizeof *near);
    r->mark_row = malloc(((size_t)net->n_edges + 1) * sizeof *r->mark_row);
    if (!near || !r->mark_row || !preds_make(net, &p))
        goto fail;
    r->n_rows = 0;
    for (int32_t e = 0; e < net->n_edges; e++)
        r->mark_row[e] = net->edges[e].internal ? -1 : r->n_rows++;
    r->mark = malloc(((size_t)r->n_rows + 1) * 2 * ROAD_MARKS * sizeof *r->mark);
    if (!r->mark || r->n_rows == 0)
        goto fail;
    double cx = 0.0, cy = 0.0;
    for (int32_t e = 0; e < net->n_edges; e++)
        if (!net->edges[e].internal) {
            cx += r->end[e].x;
            cy += r->end[e].y;
        }
    cx /= r->n_rows;
    cy /= r->n_rows;
    for (int32_t e = 0; e < net->n_edges; e++) {
        const double dx = r->end[e].x - cx, dy = r->end[e].y - cy;
        near[e] = sqrt(dx * dx + dy * dy);
    }
    r->n_marks = 0;
    while (r->n_marks < ROAD_MARKS && r->n_marks < r->n_rows) {
        int32_t best = -1;
        for (int32_t e = 0; e < net->n_edges; e++)
            if (!net->edges[e].internal && (best < 0 || near[e] > near[best]))
                best = e;
        if (near[best] <= 0.0 && r->n_marks > 0)
            break; /* every edge ends on a landmark's end already */
        const int32_t i = r->n_marks;
        if (!mark_costs(r, &p, best, true, 2 * i) || !mark_costs(r, &p, best, false, 2 * i + 1))
            goto fail;
        r->n_marks++;
        for (int32_t e = 0; e < net->n_edges; e++)
            near[e] = fmin(near[e], end_distance(r, e, best));
    }
    free(near);
    preds_free(&p);
    return;
fail:
    free(near);
    preds_free(&p);
    free(r->mark);
    free(r->mark_row);
    r->mark = NULL;
    r->mark_row = NULL;
    r->n_marks = 0;
}

/* A query's view of the landmarks: the target's costs, each term of the
 * estimate kept only where it is defined (a cost from the landmark to the
 * target, or from the target to it). */
typedef struct Marks {
    int32_t n;
    double to_t[ROAD_MARKS];   /* landmark i -> target (the forward terms), INFINITY: no term */
    double from_t[ROAD_MARKS]; /* target -> landmark i (the backward terms), INFINITY: no term */
} Marks;

static void marks_for(const RoadRouter *r, int32_t target, Marks *m)
{
    m->n = r->mark ? r->n_marks : 0;
    const double *t = r->mark ? mark_of(r, target) : NULL;
    for (int32_t i = 0; i < m->n; i++) {
        m->to_t[i] = t[2 * i];
        m->from_t[i] = t[2 * i + 1];
    }
}

/* The landmarks' bound on the cost from edge to the target: for each,
 * cost(L, t) - cost(L, e) and cost(e, L) - cost(t, L) (-INFINITY when
 * none is defined; INFINITY when the edge cannot reach a landmark the
 * target reaches: it cannot reach the target either). */
static double marks_bound(const RoadRouter *r, const Marks *m, int32_t edge)
{
    const double *x = mark_of(r, edge);
    double h = -INFINITY;
    for (int32_t i = 0; i < m->n; i++) {
        if (m->to_t[i] < INFINITY && m->to_t[i] - x[2 * i] > h)
            h = m->to_t[i] - x[2 * i];
        if (m->from_t[i] < INFINITY && x[2 * i + 1] - m->from_t[i] > h)
            h = x[2 * i + 1] - m->from_t[i];
    }
    return h;
}

/* The estimate from edge to target: 0 at the target and for a plain
 * Dijkstra (scale 0: the distance times 0 is 0, so it is not measured);
 * else the larger of the straight line's and the landmarks'. */
static double heuristic(const RoadRouter *r, const Marks *m, int32_t edge, int32_t target, double scale)
{
    if (edge == target || scale == 0.0)
        return 0.0;
    const double line = end_distance(r, edge, target) * r->per_m * scale;
    if (m->n == 0)
        return line;
    const double h = marks_bound(r, m, edge);
    return h > line ? h : line;
}

static double edge_cost(const RoadRouter *r, int32_t e, const double *cost)
{
    return cost ? cost[e] : r->free_s[e];
}

static bool edge_allows(const CityRoadNet *net, int32_t e, uint32_t vclass)
{
    const CityEdge *ed = &net->edges[e];
    for (int32_t i = 0; i < ed->lane_count; i++)
        if (net->lanes[ed->lane_first + i].allow & vclass)
            return true;
    return false;
}

/* Whether turn t (an index into net->succ) is in ban[0, n). */
static bool turn_banned(const int32_t *ban, int32_t n, int32_t t)
{
    for (int32_t i = 0; i < n; i++)
        if (ban[i] == t)
            return true;
    return false;
}

/* The search, never making the turns ban[0, n_ban). */
static int32_t search(RoadRouter *r, int32_t from, int32_t to, uint32_t vclass, const double *cost, const int32_t *ban,
                      int32_t n_ban, int32_t *out, int32_t cap)
{
    const CityRoadNet *net = r->net;
    const uint32_t *turn_allow = r->turn_open ? r->turn_open : net->succ_allow;
    r->searches++;
    /* (an edge inside a junction has no successors: no route starts or
     * ends on one) */
    if (from < 0 || to < 0 || from >= net->n_edges || to >= net->n_edges || net->edges[from].internal ||
        net->edges[to].internal || !edge_allows(net, from, vclass) || !edge_allows(net, to, vclass))
        return -1;
    if (++r->query == 0) { /* stamp wrapped: clear once every 4 billion queries */
        for (int32_t e = 0; e < net->n_edges; e++)
            r->node[e].stamp = 0;
        r->query = 1;
    }
    uint32_t q = r->query;
    /* estimates bound free-flow costs only: with travel times as
     * measured (which a vehicle faster than the limit can make shorter
     * than free flow), a plain Dijkstra */
    const double scale = cost == NULL ? 1.0 : 0.0; /* (a ban only adds cost: they still bound it) */
    if (scale > 0.0 && !r->marks_tried)
        marks_make(r); /* (it uses the heap, not the nodes) */
    Marks m = {0};
    if (scale > 0.0)
        marks_for(r, to, &m);
    r->n_heap = 0;
    SearchNode *node = r->node;
    node[from] = (SearchNode){edge_cost(r, from, cost), heuristic(r, &m, from, to, scale), -1, q, 0};
    if (!heap_push(r, (HeapItem){node[from].g + node[from].h, from}))
        return -1;
    bool found = false;
    while (r->n_heap > 0) {
        HeapItem it = heap_pop(r);
        int32_t e = it.edge;
        if (node[e].closed)
            continue;
        node[e].closed = 1;
        if (e == to) {
            found = true;
            break;
        }
        const CityEdge *ed = &net->edges[e];
        for (int32_t k = 0; k < ed->succ_count; k++) {
            int32_t s = net->succ[ed->succ_first + k];
            if (!(turn_allow[ed->succ_first + k] & vclass) ||
                (n_ban > 0 && turn_banned(ban, n_ban, ed->succ_first + k)))
                continue;
            double g = node[e].g + r->turn_s[ed->succ_first + k] + edge_cost(r, s, cost);
            SearchNode *ns = &node[s];
            if (ns->stamp != q) {
                ns->stamp = q;
                ns->closed = 0;
                ns->h = heuristic(r, &m, s, to, scale);
            } else if (ns->closed || g >= ns->g) {
                continue;
            }
            ns->g = g;
            ns->prev = e;
            if (!heap_push(r, (HeapItem){g + ns->h, s}))
                return -1;
        }
    }
    if (!found)
        return -1;
    int32_t n = 0;
    for (int32_t e = to; e >= 0; e = node[e].prev)
        n++;
    if (n > cap)
        return -2;
    int32_t i = n;
    for (int32_t e = to; e >= 0; e = node[e].prev)
        out[--i] = e;
    return n;
}

int32_t road_router_route(RoadRouter *r, int32_t from, int32_t to, uint32_t vclass, const double *cost, int32_t *out,
                          int32_t cap)
{
    return search(r, from, to, vclass, cost, NULL, 0, out, cap);
}

int32_t road_router_route_avoiding(RoadRouter *r, int32_t from, int32_t to, uint32_t vclass, const double *cost,
                                   const int32_t *ban, int32_t n_ban, int32_t *out, int32_t cap)
{
    return search(r, from, to, vclass, cost, ban, n_ban, out, cap);
}

int32_t road_router_turn(const RoadRouter *r, int32_t a, int32_t b)
{
    const CityRoadNet *net = r->net;
    if (a < 0 || a >= net->n_edges)
        return -1;
    const CityEdge *ed = &net->edges[a];
    for (int32_t k = 0; k < ed->succ_count; k++)
        if (net->succ[ed->succ_first + k] == b)
            return ed->succ_first + k;
    return -1;
}

uint64_t road_router_searches(const RoadRouter *r)
{
    return r->searches;
}

/* ---- lane closures ------------------------------------------------------ */

/* The classes that can drive from edge a onto edge b past the closed
 * lanes: those of a connection from an open lane of a onto an open lane of
 * b. On an edge closed all across any of its lanes counts: no route enters
 * it, so only a search that starts there reads its turns, for a vehicle
 * that was on it when it closed or waits to enter it when it opens. With
 * no lane closed this is the net's succ_allow. */
static uint32_t turn_classes(const RoadRouter *r, const bool *lane_closed, int32_t a, int32_t b)
{
    const CityRoadNet *net = r->net;
    const CityEdge *ed = &net->edges[a];
    const bool any_lane = r->open_lanes[a] == 0;
    uint32_t allow = 0;
    for (int32_t l = ed->lane_first; l < ed->lane_first + ed->lane_count; l++) {
        if (lane_closed[l] && !any_lane)
            continue;
        const CityLane *ln = &net->lanes[l];
        for (int32_t k = 0; k < ln->out_count; k++) {
            const int32_t to = net->conns[ln->out_first + k].to_lane;
            if (net->lanes[to].edge == b && !lane_closed[to])
                allow |= ln->allow & net->lanes[to].allow;
        }
    }
    return allow;
}

/* Takes the turns from edge a (onto edge b only, or all when b < 0) anew. */
static void update_turns(RoadRouter *r, const bool *lane_closed, int32_t a, int32_t b)
{
    const CityEdge *ed = &r->net->edges[a];
    for (int32_t k = ed->succ_first; k < ed->succ_first + ed->succ_count; k++)
        if (b < 0 || r->net->succ[k] == b)
            r->turn_open[k] = turn_classes(r, lane_closed, a, r->net->succ[k]);
}

static void count_open_lanes(RoadRouter *r, const bool *lane_closed, int32_t e)
{
    const CityEdge *ed = &r->net->edges[e];
    r->open_lanes[e] = 0;
    for (int32_t l = ed->lane_first; l < ed->lane_first + ed->lane_count; l++)
        r->open_lanes[e] += !lane_closed[l];
}

/* The closure tables, made when a lane first closes: the turns as the net
 * has them, every lane open, and each lane's incoming connections (what a
 * closure touches). */
static bool closures_init(RoadRouter *r)
{
    const CityRoadNet *net = r->net;
    r->turn_open = malloc(((size_t)net->n_succ + 1) * sizeof *r->turn_open);
    r->open_lanes = malloc(((size_t)net->n_edges + 1) * sizeof *r->open_lanes);
    r->in_first = calloc((size_t)net->n_lanes + 2, sizeof *r->in_first);
    r->in_conn = malloc(((size_t)net->n_conns + 1) * sizeof *r->in_conn);
    if (!r->turn_open || !r->open_lanes || !r->in_first || !r->in_conn) {
        free(r->turn_open);
        free(r->open_lanes);
        free(r->in_first);
        free(r->in_conn);
        r->turn_open = NULL;
        r->open_lanes = r->in_first = r->in_conn = NULL;
        return false;
    }
    if (net->n_succ > 0)
        memcpy(r->turn_open, net->succ_allow, (size_t)net->n_succ * sizeof *r->turn_open);
    for (int32_t e = 0; e < net->n_edges; e++)
        r->open_lanes[e] = net->edges[e].lane_count;
    /* counts at in_first[l + 2], summed, then each connection placed at
     * in_first[l + 1]++: that leaves in_first[l] at lane l's first */
    for (int32_t c = 0; c < net->n_conns; c++)
        r->in_first[net->conns[c].to_lane + 2]++;
    for (int32_t l = 2; l <= net->n_lanes + 1; l++)
        r->in_first[l] += r->in_first[l - 1];
    for (int32_t c = 0; c < net->n_conns; c++)
        r->in_conn[r->in_first[net->conns[c].to_lane + 1]++] = c;
    return true;
}

bool road_router_lane_changed(RoadRouter *r, const bool *lane_closed, int32_t lane)
{
    if (!r->turn_open && !closures_init(r))
        return false;
    const CityRoadNet *net = r->net;
    const int32_t e = net->lanes[lane].edge;
    count_open_lanes(r, lane_closed, e);
    update_turns(r, lane_closed, e, -1);
    for (int32_t i = r->in_first[lane]; i < r->in_first[lane + 1]; i++)
        update_turns(r, lane_closed, net->lanes[net->conns[r->in_conn[i]].from_lane].edge, e);
    return true;
}

bool road_router_set_closures(RoadRouter *r, const bool *lane_closed)
{
    const CityRoadNet *net = r->net;
    bool any = false;
    for (int32_t l = 0; l < net->n_lanes && !any; l++)
        any = lane_closed[l];
    if (!any && !r->turn_open)
        return true;
    if (!r->turn_open && !closures_init(r))
        return false;
    for (int32_t e = 0; e < net->n_edges; e++)
        count_open_lanes(r, lane_closed, e);
    for (int32_t e = 0; e < net->n_edges; e++)
        update_turns(r, lane_closed, e, -1);
    return true;
}

int32_t road_router_blocked_at(const RoadRouter *r, const int32_t *edges, int32_t n, uint32_t vclass)
{
    const CityRoadNet *net = r->net;
    const uint32_t *turn_allow = r->turn_open ? r->turn_open : net->succ_allow;
    for (int32_t i = 1; i < n; i++) {
        const CityEdge *ed = &net->edges[edges[i - 1]];
        int32_t k = ed->succ_first;
        while (k < ed->succ_first + ed->succ_count && net->succ[k] != edges[i])
            k++;
        if (k == ed->succ_first + ed->succ_count || !(turn_allow[k] & vclass))
            return i;
    }
    return -1;
}
