/* The memo of departures' routes under free-flow costs; see road_route.h. */
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_hash.h"
#include "road_route.h"

#define MEMO_MAX_INTS ((int32_t)1 << 22) /* 16 MiB of keys and edges, then the memo starts again */

typedef struct MemoEntry {
    uint64_t hash;
    int32_t at;    /* its key, then its edges, in ints */
    int32_t key_n; /* the key's length */
    int32_t len;   /* the route's edges (-1: no route) */
} MemoEntry;

struct RoadRouteMemo {
    uint32_t epoch;
    int32_t *slot; /* open addressing: entry index, -1 empty */
    size_t n_slots;
    MemoEntry *entry;
    int32_t n_entries, cap_entries;
    int32_t *ints;
    int32_t n_ints, cap_ints; /* at most MEMO_MAX_INTS */
};

RoadRouteMemo *road_route_memo_create(void)
{
    return calloc(1, sizeof(RoadRouteMemo));
}

void road_route_memo_destroy(RoadRouteMemo *m)
{
    if (!m)
        return;
    free(m->slot);
    free(m->entry);
    free(m->ints);
    free(m);
}

static uint64_t key_hash(const int32_t *key, int32_t n)
{
    CityHash h;
    city_hash_init(&h);
    city_hash_u32_array(&h, (const uint32_t *)key, (size_t)n);
    return city_hash_value(&h);
}

static void forget_all(RoadRouteMemo *m, uint32_t epoch)
{
    m->epoch = epoch;
    m->n_entries = 0;
    m->n_ints = 0;
    for (size_t i = 0; i < m->n_slots; i++)
        m->slot[i] = -1;
}

/* The slot of key (its entry's or the empty one where it would go). */
static size_t find_slot(const RoadRouteMemo *m, uint64_t h, const int32_t *key, int32_t n)
{
    size_t i = (size_t)h & (m->n_slots - 1);
    for (;;) {
        const int32_t e = m->slot[i];
        if (e < 0)
            return i;
        const MemoEntry *x = &m->entry[e];
        if (x->hash == h && x->key_n == n && memcmp(m->ints + x->at, key, (size_t)n * sizeof *key) == 0)
            return i;
        i = (i + 1) & (m->n_slots - 1);
    }
}

const int32_t *road_route_memo_get(RoadRouteMemo *m, uint32_t epoch, const int32_t *key, int32_t n, int32_t *len)
{
    if (m->epoch != epoch)
        forget_all(m, epoch);
    if (m->n_entries == 0)
        return NULL;
    const int32_t e = m->slot[find_slot(m, key_hash(key, n), key, n)];
    if (e < 0)
        return NULL;
    *len = m->entry[e].len;
    return m->ints + m->entry[e].at + n;
}

/* Twice the entries' slots at least (a power of two), entries put in again. */
static bool rehash(RoadRouteMemo *m, int32_t want)
{
    size_t n = 256;
    while (n < 2 * (size_t)want)
        n *= 2;
    if (n <= m->n_slots)
        return true;
    int32_t *slot = malloc(n * sizeof *slot);
    if (!slot)
        return false;
    free(m->slot);
    m->slot = slot;
    m->n_slots = n;
    for (size_t i = 0; i < n; i++)
        slot[i] = -1;
    for (int32_t e = 0; e < m->n_entries; e++) {
        const MemoEntry *x = &m->entry[e];
        slot[find_slot(m, x->hash, m->ints + x->at, x->key_n)] = e;
    }
    return true;
}

bool road_route_memo_put(RoadRouteMemo *m, uint32_t epoch, const int32_t *key, int32_t n, const int32_t *edges,
                         int32_t len)
{
    if (m->epoch != epoch)
        forget_all(m, epoch);
    if (n < 0 || n > MEMO_MAX_INTS || len > MEMO_MAX_INTS - n)
        return false; /* larger than the whole memo: not kept */
    const int32_t ints = n + (len > 0 ? len : 0);
    if (m->n_ints > MEMO_MAX_INTS - ints)
        forget_all(m, epoch);
    if (!rehash(m, m->n_entries + 1) ||
        !city_array_grow((void **)&m->entry, &m->cap_entries, m->n_entries + 1, sizeof *m->entry) ||
        !city_array_grow((void **)&m->ints, &m->cap_ints, m->n_ints + ints, sizeof *m->ints))
        return false;
    const uint64_t h = key_hash(key, n);
    const size_t s = find_slot(m, h, key, n);
    if (m->slot[s] >= 0)
        return true; /* known already */
    MemoEntry *x = &m->entry[m->n_entries];
    x->hash = h;
    x->at = m->n_ints;
    x->key_n = n;
    x->len = len;
    memcpy(m->ints + m->n_ints, key, (size_t)n * sizeof *key);
    if (len > 0)
        memcpy(m->ints + m->n_ints + n, edges, (size_t)len * sizeof *edges);
    m->n_ints += ints;
    m->slot[s] = m->n_entries++;
    return true;
}
