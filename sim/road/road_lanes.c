/* Lane queues (vehicles front first) and the list of lanes carrying vehicles. */
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_internal.h"

static void activate(CityRoad *road, int32_t lane)
{
    if (road->active_pos[lane] >= 0)
        return;
    road->active_pos[lane] = road->n_active;
    road->active[road->n_active++] = lane; /* capacity = lane count, reserved at creation */
}

/* Makes room for one more entry at the back. */
static CityStatus lane_room(RoadLaneQ *q)
{
    if (q->head + q->n < q->cap)
        return CITY_OK;
    if (!q->v) {
        q->v = q->inl;
        q->cap = ROAD_LANEQ_INLINE;
        q->head = 0;
        return CITY_OK;
    }
    if (q->head > 0) { /* slide the live part to the front before growing */
        memmove(q->v, q->v + q->head, (size_t)q->n * sizeof *q->v);
        q->head = 0;
        if (q->n < q->cap)
            return CITY_OK;
    }
    if (q->v == q->inl) { /* out of the record onto the heap */
        int32_t *heap = NULL, cap = 0;
        if (!city_array_grow((void **)&heap, &cap, 2 * ROAD_LANEQ_INLINE, sizeof *heap))
            return CITY_ERR_NOMEM;
        memcpy(heap, q->inl, (size_t)q->n * sizeof *heap);
        q->v = heap;
        q->cap = cap;
        return CITY_OK;
    }
    return city_array_grow((void **)&q->v, &q->cap, q->n + 1, sizeof *q->v) ? CITY_OK : CITY_ERR_NOMEM;
}

CityStatus road_lane_push_back(CityRoad *road, int32_t lane, int32_t v)
{
    RoadLaneQ *q = &road->lanes[lane];
    if (lane_room(q) != CITY_OK)
        return CITY_ERR_NOMEM;
    q->v[q->head + q->n++] = v;
    road->lane_n[lane] = q->n;
    activate(road, lane);
    return CITY_OK;
}

CityStatus road_lane_insert_sorted(CityRoad *road, int32_t lane, int32_t v)
{
    RoadLaneQ *q = &road->lanes[lane];
    if (lane_room(q) != CITY_OK)
        return CITY_ERR_NOMEM;
    const RoadVehRec *rec = road->veh.rec;
    int32_t *a = q->v + q->head;
    int32_t i = q->n;
    /* front first: walk from the back while the one ahead is behind v
     * (ties: the newcomer goes behind) */
    while (i > 0 && rec[a[i - 1]].pos < rec[v].pos)
        i--;
    if (i < q->n) /* (most enter behind the lane's last vehicle: no call) */
        memmove(a + i + 1, a + i, (size_t)(q->n - i) * sizeof *a);
    a[i] = v;
    q->n++;
    road->lane_n[lane] = q->n;
    activate(road, lane);
    return CITY_OK;
}

/* A queue that outgrew its record goes back into it once it is short
 * again (a few vehicles: not at every crossing of the inline capacity),
 * so most lanes keep their vehicles in the lane's own cache line. */
static void lane_shrink(RoadLaneQ *q)
{
    if (q->v == q->inl || q->n > ROAD_LANEQ_INLINE / 2)
        return;
    memcpy(q->inl, q->v + q->head, (size_t)q->n * sizeof *q->v);
    free(q->v);
    q->v = q->inl;
    q->head = 0;
    q->cap = ROAD_LANEQ_INLINE;
}

void road_lane_remove(CityRoad *road, int32_t lane, int32_t v)
{
    RoadLaneQ *q = &road->lanes[lane];
    int32_t *a = q->v + q->head;
    for (int32_t i = 0; i < q->n; i++) {
        if (a[i] == v) {
            if (i == 0) {
                road_lane_pop_front(road, lane);
                return;
            }
            memmove(a + i, a + i + 1, (size_t)(q->n - i - 1) * sizeof *a);
            q->n--;
            road->lane_n[lane] = q->n;
            lane_shrink(q);
            return;
        }
    }
}

void road_lane_pop_front(CityRoad *road, int32_t lane)
{
    RoadLaneQ *q = &road->lanes[lane];
    q->head++;
    q->n--;
    road->lane_n[lane] = q->n;
    if (q->n == 0)
        q->head = 0;
    lane_shrink(q);
}

/* Sorts lane ids a[0 .. m) (each below n_lanes): a radix sort, a byte
 * at a time from the lowest, through buf (m entries). A step on a 40x40
 * grid brings some 700 new lanes at 1 s steps; libc's qsort, with a call
 * per comparison, took 1.2 % of the step for them. */
static void sort_lanes(int32_t *a, int32_t *buf, int32_t m, int32_t n_lanes)
{
    int32_t *from = a, *to = buf;
    for (int shift = 0; shift < 31 && ((n_lanes - 1) >> shift) > 0; shift += 8) {
        int32_t start[257] = {0};
        for (int32_t i = 0; i < m; i++)
            start[((from[i] >> shift) & 255) + 1]++;
        for (int b = 0; b < 256; b++)
            start[b + 1] += start[b];
        for (int32_t i = 0; i < m; i++) /* stable: the lower bytes' order stays within a bucket */
            to[start[(from[i] >> shift) & 255]++] = from[i];
        int32_t *t = from;
        from = to;
        to = t;
    }
    if (from != a)
        memcpy(a, from, (size_t)m * sizeof *a);
}

/* Drops active[p] (a lane with no vehicle left) from the active list. */
static int32_t drop_if_empty(CityRoad *road, int32_t p)
{
    int32_t lane = road->active[p];
    if (lane < 0 || road->lanes[lane].n > 0)
        return 0;
    road->active_pos[lane] = -1;
    road->lanes[lane].seen = 0; /* (its mark comes round again in two steps) */
    road->active[p] = -1;
    return 1;
}

/* Drops emptied lanes from the active list and puts the rest in lane
 * order: the step then walks per-lane state (queues, lanes, edges) in
 * address order instead of the order lanes filled, which on a big map
 * costs a cache miss per lane and pass. The list stays sorted between
 * steps, so only the lanes that filled since are sorted and merged in.
 * Only the lanes the caller names (active positions) and those added since
 * the last compaction are looked at: on a big city, reading every active
 * lane's queue record for its count was a pass of its own over lines
 * the step's passes had left, a tenth of its cache misses. The lanes that
 * stay keep their active_pos mark (>= 0) as it is: rewriting every
 * position after the first change was a scattered store per active lane
 * and step. */
void road_lanes_compact_active(CityRoad *road, const int32_t *recheck, int32_t n_recheck)
{
    int32_t *a = road->active, *tmp = road->active_tmp;
    const int32_t n_sorted = road->n_active_sorted, n = road->n_active;
    int32_t first_drop = n_sorted; /* the first place in the sorted part that lost its lane */
    for (int32_t i = 0; i < n_recheck; i++)
        if (drop_if_empty(road, recheck[i]) && recheck[i] < first_drop)
            first_drop = recheck[i];
    /* the lanes that filled since the last compaction and still carry
     * vehicles, sorted apart: up to 32 by insertion as they are found,
     * more (a big city's step) appended and then radix sorted */
    int32_t m = 0;
    for (int32_t p = n_sorted; p < n; p++) {
        drop_if_empty(road, p);
        int32_t lane = a[p];
        if (lane < 0)
            continue;
        int32_t j = m++;
        if (m <= 32)
            for (; j > 0 && tmp[j - 1] > lane; j--)
                tmp[j] = tmp[j - 1];
        tmp[j] = lane;
    }
    if (m > 32)
        sort_lanes(tmp, road->active_sort, m, road->net->n_lanes);
    /* the sorted part closes its gaps from the first one only, then the
     * new lanes are merged in from the back: a step that empties or fills
     * a few lanes moves the part of the list after them, not all of it */
    int32_t k = first_drop;
    for (int32_t i = first_drop; i < n_sorted; i++) { /* (without a branch: where the drops fall is no pattern) */
        a[k] = a[i];
        k += a[i] >= 0;
    }
    int32_t i = k - 1, j = m - 1, o = k + m - 1;
    while (j >= 0) { /* o > i: never over an entry still to read; one entry a round, chosen without a branch */
        int32_t ai = a[i > 0 ? i : 0], lane = tmp[j];
        bool old = i >= 0 && ai > lane;
        a[o--] = old ? ai : lane;
        i -= old;
        j -= !old;
    }
    road->n_active = k + m;
    road->n_active_sorted = k + m;
#ifndef NDEBUG /* (debug builds, which the sanitizer tests use: in lane order, each lane marked) */
    for (int32_t i = 0; i < road->n_active; i++)
        CITY_ASSERT((i == 0 || a[i - 1] < a[i]) && road->active_pos[a[i]] >= 0);
#endif
}
