/* Routes over doors (A*) and the local target that steers a person along
 * its route. A node is a door crossed in one direction (door*2: a->b,
 * door*2+1: b->a); the cost is the straight distance between door
 * midpoints, the heuristic the straight distance to the destination (both
 * areas are convex, so a straight line inside one never leaves it). Ties
 * break on the node number: a route is a pure function of the space and
 * the two points. */
#include <math.h>
#include <stdlib.h>

#include "city_array.h"
#include "ped_internal.h"

static int32_t step_from(const PedSpace *s, int32_t step)
{
    const PedDoor *d = &s->doors[step >> 1];
    return (step & 1) ? d->b : d->a;
}

static int32_t step_to(const PedSpace *s, int32_t step)
{
    const PedDoor *d = &s->doors[step >> 1];
    return (step & 1) ? d->a : d->b;
}

typedef struct PedHeapItem {
    double f;
    int32_t node;
} HeapItem;

typedef struct Heap {
    HeapItem *items;
    int32_t n, cap;
} Heap;

static bool heap_less(HeapItem a, HeapItem b)
{
    return a.f < b.f || (a.f == b.f && a.node < b.node);
}

static bool heap_push(Heap *h, double f, int32_t node)
{
    if (h->n >= h->cap && !city_array_grow((void **)&h->items, &h->cap, h->n + 1, sizeof(HeapItem)))
        return false;
    int32_t i = h->n++;
    h->items[i] = (HeapItem){f, node};
    while (i > 0 && heap_less(h->items[i], h->items[(i - 1) / 2])) {
        HeapItem t = h->items[i];
        h->items[i] = h->items[(i - 1) / 2];
        h->items[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return true;
}

static HeapItem heap_pop(Heap *h)
{
    HeapItem top = h->items[0];
    h->items[0] = h->items[--h->n];
    int32_t i = 0;
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_less(h->items[l], h->items[m]))
            m = l;
        if (r < h->n && heap_less(h->items[r], h->items[m]))
            m = r;
        if (m == i)
            break;
        HeapItem t = h->items[i];
        h->items[i] = h->items[m];
        h->items[m] = t;
        i = m;
    }
    return top;
}

/* Relaxes a node: g is its cost so far. */
static bool relax(PedSpace *s, Heap *h, int32_t node, double g, int32_t from, double tx, double ty)
{
    if (s->closed[node] == s->stamp || (s->seen[node] == s->stamp && g >= s->g_cost[node]))
        return true;
    s->seen[node] = s->stamp;
    s->g_cost[node] = g;
    s->came_from[node] = from;
    double hx = 0, hy = 0;
    if (node < 2 * s->n_doors) {
        hx = s->doors[node >> 1].mx - tx;
        hy = s->doors[node >> 1].my - ty;
    }
    return heap_push(h, g + sqrt(hx * hx + hy * hy), node);
}

bool ped_route_graph_build(PedSpace *s)
{
    int32_t nodes = 2 * s->n_doors;
    s->node_first = malloc(((size_t)nodes + 1) * sizeof(int32_t));
    if (!s->node_first)
        return false;
    for (int pass = 0; pass < 2; pass++) {
        int32_t n = 0;
        for (int32_t node = 0; node < nodes; node++) {
            const PedDoor *d = &s->doors[node >> 1];
            int32_t area = step_to(s, node);
            if (pass == 0)
                s->node_first[node] = n;
            for (int32_t k = s->area_door_first[area]; k < s->area_door_first[area + 1]; k++) {
                int32_t e = s->area_doors[k];
                if (e == node >> 1)
                    continue;
                if (pass == 1) {
                    s->node_next[n] = 2 * e + (s->doors[e].a == area ? 0 : 1);
                    s->node_cost[n] = hypot(s->doors[e].mx - d->mx, s->doors[e].my - d->my);
                }
                n++;
            }
        }
        if (pass == 0) {
            s->node_first[nodes] = n;
            s->node_next = malloc(((size_t)n + 1) * sizeof(int32_t));
            s->node_cost = malloc(((size_t)n + 1) * sizeof(double));
            if (!s->node_next || !s->node_cost)
                return false;
        }
    }
    return true;
}

static int32_t astar(PedSpace *s, int32_t from_area, int32_t to_area, double x, double y, double tx, double ty)
{
    int32_t goal = 2 * s->n_doors;
    if (s->stamp == INT32_MAX) {
        for (int32_t i = 0; i <= goal; i++)
            s->seen[i] = s->closed[i] = 0;
        s->stamp = 0;
    }
    s->stamp++;
    Heap h = {s->heap, 0, s->cap_heap};
    bool ok = true;
    for (int32_t k = s->area_door_first[from_area]; ok && k < s->area_door_first[from_area + 1]; k++) {
        int32_t d = s->area_doors[k];
        int32_t node = 2 * d + (s->doors[d].a == from_area ? 0 : 1);
        ok = relax(s, &h, node, hypot(s->doors[d].mx - x, s->doors[d].my - y), -1, tx, ty);
    }
    while (ok && h.n > 0) {
        HeapItem it = heap_pop(&h);
        int32_t node = it.node;
        if (s->closed[node] == s->stamp)
            continue;
        s->closed[node] = s->stamp;
        if (node == goal)
            break;
        const PedDoor *d = &s->doors[node >> 1];
        int32_t area = step_to(s, node);
        if (area == to_area)
            ok = relax(s, &h, goal, s->g_cost[node] + hypot(tx - d->mx, ty - d->my), node, tx, ty);
        for (int32_t k = s->node_first[node]; ok && k < s->node_first[node + 1]; k++)
            ok = relax(s, &h, s->node_next[k], s->g_cost[node] + s->node_cost[k], node, tx, ty);
    }
    s->heap = h.items;
    s->cap_heap = h.cap;
    if (!ok)
        return -2;
    return s->closed[goal] == s->stamp ? s->came_from[goal] : -1;
}

int32_t ped_space_route(CityPed *ped, double x, double y, double tx, double ty, int32_t **out)
{
    PedSpace *s = &ped->space;
    *out = NULL;
    int32_t from_area = city_ped_area_at(ped, x, y), to_area = city_ped_area_at(ped, tx, ty);
    if (from_area < 0 || to_area < 0) {
        ped_fail(ped, CITY_ERR_INVALID, "ped: %s point (%.2f, %.2f) is outside every walkable area",
                 from_area < 0 ? "start" : "destination", from_area < 0 ? x : tx, from_area < 0 ? y : ty);
        return -1;
    }
    if (from_area == to_area)
        return 0;
    int32_t last = astar(s, from_area, to_area, x, y, tx, ty);
    if (last < 0) {
        ped_fail(ped, last == -2 ? CITY_ERR_NOMEM : CITY_ERR_INVALID,
                 "ped: no walkable path from (%.2f, %.2f) in area %d to (%.2f, %.2f) in area %d; join them with doors",
                 x, y, (int)from_area, tx, ty, (int)to_area);
        return -1;
    }
    int32_t n = 0;
    for (int32_t node = last; node >= 0; node = s->came_from[node])
        n++;
    int32_t *route = malloc((size_t)n * sizeof(int32_t));
    if (!route) {
        ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory storing a route");
        return -1;
    }
    int32_t i = n;
    for (int32_t node = last; node >= 0; node = s->came_from[node])
        route[--i] = node;
    *out = route;
    return n;
}

/* Whether the door of a step is closed in the step's direction (a red light for those stepping through). */
static bool way_closed(const PedSpace *s, int32_t step)
{
    return (s->doors[step >> 1].closed >> (step & 1)) & 1u;
}

/* Signed distance of (x, y) past the door of a step, along its direction. */
static double past_door(const PedSpace *s, int32_t step, double x, double y)
{
    const PedDoor *d = &s->doors[step >> 1];
    double sd = (x - d->mx) * d->nx + (y - d->my) * d->ny;
    return (step & 1) ? -sd : sd;
}

/* The point of a door a person of radius r aims at: the nearest point of
 * the door kept r + 0.02 m from its posts.
 * Someone already in front of the opening aims half a metre beyond it
 * (straight through); someone off to the side aims at the door line
 * itself, so that the straight line there clears the post. Someone who has
 * stood for PED_STUCK_S aims at the middle of the door. */
static void door_aim(const PedSpace *s, int32_t step, double x, double y, double r, bool stuck, double *gx, double *gy)
{
    const PedDoor *d = &s->doors[step >> 1];
    double ex = d->x2 - d->x1, ey = d->y2 - d->y1;
    double len = sqrt(ex * ex + ey * ey);
    double margin = r + 0.02;
    double t = 0.5 * len, beyond = 0.5;
    if (len > 2 * margin && !stuck) {
        double u = ((x - d->x1) * ex + (y - d->y1) * ey) / len;
        t = u < margin ? margin : u > len - margin ? len - margin : u;
        if (t != u)
            beyond = 0.0;
    }
    double sign = (step & 1) ? -1.0 : 1.0;
    *gx = d->x1 + ex / len * t + sign * d->nx * beyond;
    *gy = d->y1 + ey / len * t + sign * d->ny * beyond;
}

/* Where a walker waits for a closed door: the door's point nearest to it
 * (kept r from the posts), r + 0.3 m back on the near side. */
static void door_wait(const PedSpace *s, int32_t step, double x, double y, double r, double *gx, double *gy)
{
    const PedDoor *d = &s->doors[step >> 1];
    double ex = d->x2 - d->x1, ey = d->y2 - d->y1;
    double len = sqrt(ex * ex + ey * ey);
    double t = ((x - d->x1) * ex + (y - d->y1) * ey) / len;
    t = len < 2 * r ? 0.5 * len : t < r ? r : t > len - r ? len - r : t;
    double sign = (step & 1) ? -1.0 : 1.0;
    *gx = d->x1 + ex / len * t - sign * d->nx * (r + 0.3);
    *gy = d->y1 + ey / len * t - sign * d->ny * (r + 0.3);
}

/* The way back onto walker i's route from area `here` next to it: a door
 * of `here` into the area it walks through or into a later area of its
 * route (not past a red light), the latest such area, then the rest of
 * the route from there. Returns the new route's length (*out owned by the
 * caller), 0 when no door of `here` leads onto the route, -1 when out of
 * memory. Pushed off their area, walkers nearly always stand in an area
 * next to it: this is a few comparisons where A* over the whole walkable
 * space costs hundreds of thousands of instructions. */
static int32_t rejoin(CityPed *ped, uint32_t i, int32_t here, int32_t **out)
{
    const PedSpace *s = &ped->space;
    const int32_t *route = ped->route[i];
    int32_t leg = ped->leg[i], len = ped->route_len[i];
    /* The areas the walker may go on from: its own (from leg), then the
     * one after each later step, up to the first red light. */
    int32_t last = leg;
    while (last < len && !way_closed(s, route[last]))
        last++;
    int32_t best_step = -1, best_from = -1;
    for (int32_t k = s->area_door_first[here]; k < s->area_door_first[here + 1]; k++) {
        int32_t d = s->area_doors[k];
        int32_t step = 2 * d + (s->doors[d].a == here ? 0 : 1), other = step_to(s, step);
        if (other == here)
            continue;
        /* from: where the rest of the route starts once in `other`. */
        int32_t from = other == ped->area[i] ? leg : -1;
        for (int32_t j = leg; j < last; j++)
            if (step_to(s, route[j]) == other)
                from = j + 1;
        if (from > best_from) {
            best_from = from;
            best_step = step;
        }
    }
    if (best_from < 0)
        return 0;
    int32_t n = 1 + len - best_from;
    int32_t *r = malloc((size_t)n * sizeof *r);
    if (!r)
        return -1;
    r[0] = best_step;
    for (int32_t j = best_from; j < len; j++)
        r[1 + j - best_from] = route[j];
    *out = r;
    return n;
}

/* A walker found off the area it walks through (pushed round the end of a
 * wall, or through a gap between outlines that only nearly meet) takes up
 * its route from where it is: a later area of the route skips ahead to
 * it (unless a red light lies between), any other area gets a new route
 * from there (A*). */
static void relocate(CityPed *ped, uint32_t i, double x, double y)
{
    const PedSpace *s = &ped->space;
    int32_t here = city_ped_area_at(ped, x, y);
    if (here < 0 || here == ped->area[i])
        return;
    for (int32_t k = ped->leg[i]; k < ped->route_len[i]; k++) {
        int32_t step = ped->route[i][k];
        if (way_closed(s, step))
            return; /* never past a red light: back to the waiting point */
        if (step_to(s, step) == here) {
            ped->leg[i] = k + 1;
            ped->area[i] = here;
            return;
        }
    }
    int32_t *route = NULL;
    int32_t n = rejoin(ped, i, here, &route);
    if (n == 0)
        n = ped_space_route(ped, x, y, ped->tx[i], ped->ty[i], &route);
    if (n < 0)
        return; /* no way on from here (or out of memory): the old route leads back */
    free(ped->route[i]);
    ped->route[i] = route;
    ped->route_len[i] = n;
    ped->leg[i] = 0;
    ped->area[i] = here;
    ped->reroutes++;
}

/* Whether walker i stands on its area, allowing PED_OFF_AREA_M outside:
 * the full test once it has moved farther than the slack the last one
 * left (the same answer: within the slack every edge is still cleared). */
static bool on_area(CityPed *ped, uint32_t i, double x, double y)
{
    double dx = x - ped->in_x[i], dy = y - ped->in_y[i];
    if (ped->in_area[i] == ped->area[i] && dx * dx + dy * dy < ped->in_slack2[i])
        return true;
    double slack;
    bool in = ped_space_contains_slack(&ped->space, ped->area[i], x, y, -PED_OFF_AREA_M, &slack);
    ped->in_x[i] = x;
    ped->in_y[i] = y;
    ped->in_slack2[i] = slack * slack;
    ped->in_area[i] = in ? ped->area[i] : -1;
    return in;
}

void ped_local_target(CityPed *ped, uint32_t i, double *ex, double *ey, double *speed_share, bool *waiting)
{
    const PedSpace *s = &ped->space;
    *speed_share = 1.0;
    *waiting = false;
    if (!isnan(ped->heading[i])) {
        *ex = cos(ped->heading[i]);
        *ey = sin(ped->heading[i]);
        return;
    }
    double x = ped->x[i], y = ped->y[i];
    /* Crossed the next door: the next area begins. Pushed back well behind
     * the last one and out of the area: that area again. Anywhere else off
     * the area: the route taken up from there. A closed door is not
     * crossed: someone pushed over its line (a crowd waiting at a crossing
     * presses its front row forward, the random push does too) stays in
     * the area before it and steps back to the waiting point. Were it
     * crossed, the next door would be the far side's and the walker would
     * set off over a crossing its light or the traffic closed (a person
     * squeezed 5 cm over a zebra's line at its post walked into a turning
     * car). */
    while (ped->leg[i] < ped->route_len[i] && !way_closed(s, ped->route[i][ped->leg[i]]) &&
           past_door(s, ped->route[i][ped->leg[i]], x, y) > 0) {
        ped->area[i] = step_to(s, ped->route[i][ped->leg[i]]);
        ped->leg[i]++;
    }
    bool off = ped->area[i] >= 0 && !on_area(ped, i, x, y);
    if (off && ped->leg[i] > 0 && past_door(s, ped->route[i][ped->leg[i] - 1], x, y) < -PED_OFF_AREA_M) {
        ped->leg[i]--;
        ped->area[i] = step_from(s, ped->route[i][ped->leg[i]]);
        off = !ped_space_contains(s, ped->area[i], x, y, -PED_OFF_AREA_M);
    }
    if (off)
        relocate(ped, i, x, y);
    const int32_t *route = ped->route[i];
    int32_t n = ped->route_len[i];
    double gx, gy;
    bool wait = false;
    if (ped->leg[i] < n) {
        int32_t step = route[ped->leg[i]];
        door_aim(s, step, x, y, ped->r[i], ped->stuck_s[i] >= PED_STUCK_S, &gx, &gy);
        /* A closed door: walk up to the waiting point and stand. */
        if (way_closed(s, step)) {
            door_wait(s, step, x, y, ped->r[i], &gx, &gy);
            wait = *waiting = true;
        }
    } else {
        gx = ped->tx[i];
        gy = ped->ty[i];
        if ((gx - x) * (gx - x) + (gy - y) * (gy - y) < ped->p.arrive_radius_m * ped->p.arrive_radius_m)
            ped->arrived[i] = 1;
    }
    double dx = gx - x, dy = gy - y, d = sqrt(dx * dx + dy * dy);
    if (wait)
        *speed_share = d < 1.0 ? d : 1.0; /* slow down over the last metre */
    double v2 = ped->vx[i] * ped->vx[i] + ped->vy[i] * ped->vy[i];
    ped->stuck_s[i] = wait || v2 >= 0.04 ? 0.0 : ped->stuck_s[i] + ped->h_s;
    if (d < 1e-9) {
        *ex = *ey = 0;
        return;
    }
    *ex = dx / d;
    *ey = dy / d;
}

CityStatus city_ped_door_set_open(CityPed *ped, int32_t door, bool open)
{
    if (door < 0 || door >= ped->space.n_doors)
        return ped_fail(ped, CITY_ERR_INVALID, "ped: no door %d; doors are numbered from 0 to %d", (int)door,
                        (int)ped->space.n_doors - 1);
    ped->space.doors[door].closed = open ? 0u : 3u;
    return CITY_OK;
}

CityStatus city_ped_door_set_open_ways(CityPed *ped, int32_t door, bool open_a_to_b, bool open_b_to_a)
{
    CityStatus st = city_ped_door_set_open(ped, door, true);
    if (st == CITY_OK)
        ped->space.doors[door].closed = (uint8_t)((open_a_to_b ? 0u : 1u) | (open_b_to_a ? 0u : 2u));
    return st;
}

bool city_ped_door_open(const CityPed *ped, int32_t door)
{
    return door >= 0 && door < ped->space.n_doors && !ped->space.doors[door].closed;
}

double city_ped_route_length_m(CityPed *ped, double x, double y, double tx, double ty)
{
    if (ped_space_seal(ped) != CITY_OK)
        return -1;
    int32_t *route = NULL;
    int32_t n = ped_space_route(ped, x, y, tx, ty, &route);
    if (n < 0)
        return -1;
    double len = 0, px = x, py = y;
    for (int32_t i = 0; i < n; i++) {
        const PedDoor *d = &ped->space.doors[route[i] >> 1];
        len += hypot(d->mx - px, d->my - py);
        px = d->mx;
        py = d->my;
    }
    free(route);
    return len + hypot(tx - px, ty - py);
}
