/* Entity ids with generations, and dense storage that swaps the last
 * element into a removed slot (Box2D v3 style).
 *
 * A CityId is {index, generation}. The pool bumps the generation of an
 * index each time it is freed, so an id kept after its entity died is
 * detected as stale and never used to reach the new occupant. */
#ifndef CITY_IDS_H
#define CITY_IDS_H

#include <stdbool.h>
#include <stdint.h>

#include "city_status.h"

typedef struct CityId {
    uint32_t index; /* slot in the pool */
    uint32_t gen;   /* generation; 0 is never valid (the null id) */
} CityId;

#define CITY_ID_NULL ((CityId){0u, 0u})

static inline bool city_id_is_null(CityId id)
{
    return id.gen == 0u;
}
static inline bool city_id_equal(CityId a, CityId b)
{
    return a.index == b.index && a.gen == b.gen;
}
/* Packs an id into 64 bits (for Lua, hashes and files) and back. */
static inline uint64_t city_id_pack(CityId id)
{
    return ((uint64_t)id.gen << 32) | id.index;
}
static inline CityId city_id_unpack(uint64_t v)
{
    return (CityId){(uint32_t)v, (uint32_t)(v >> 32)};
}

typedef struct CityPool {
    uint32_t *gen;       /* generation per index; odd = live, even = free */
    uint32_t *free_list; /* stack of free indices, reused last-freed first */
    uint32_t free_count; /* entries on the free stack */
    uint32_t used;       /* indices ever handed out (high-water mark) */
    uint32_t cap;        /* allocated length of gen and free_list */
    uint32_t live;       /* ids currently alive */
} CityPool;

/* Initialises an empty pool; free it with city_pool_destroy. */
void city_pool_init(CityPool *pool);
void city_pool_destroy(CityPool *pool);
/* Hands out a new live id; CITY_ID_NULL when memory runs out. */
CityId city_pool_alloc(CityPool *pool);
/* True when the id names a live entity of this pool. */
bool city_pool_valid(const CityPool *pool, CityId id);
/* Frees a live id; CITY_ERR_STALE when it is not live. */
CityStatus city_pool_free(CityPool *pool, CityId id);
/* Whether a pool read back from a file holds together: every free-list
 * entry a distinct free index below `used`, and as many live (odd)
 * generations as `live` says, the rest on the free list. */
bool city_pool_consistent(const CityPool *pool);

/* Dense set: ids plus a compact slot array. Callers keep their own
 * structure-of-arrays data indexed by slot and mirror the swap that
 * city_dense_remove reports. */
typedef struct CityDense {
    CityPool pool;      /* id allocator */
    uint32_t *slot_of;  /* index -> dense slot (valid while live) */
    uint32_t *index_of; /* dense slot -> index */
    uint32_t count;     /* live entries, slots [0, count) */
    uint32_t cap_slots; /* allocated length of index_of */
    uint32_t cap_index; /* allocated length of slot_of */
} CityDense;

/* Makes an empty set (caller-owned struct); city_dense_destroy frees it. */
void city_dense_init(CityDense *dense);
void city_dense_destroy(CityDense *dense);
/* Adds an entry at slot dense->count - 1 after the call; NULL id on OOM. */
CityId city_dense_add(CityDense *dense, uint32_t *slot_out);
/* Removes an entry. The last slot moves into the freed one: *moved_from
 * is that last slot and *moved_to the freed slot (equal when nothing moved).
 * The caller copies its arrays from moved_from to moved_to. */
CityStatus city_dense_remove(CityDense *dense, CityId id, uint32_t *moved_from, uint32_t *moved_to);
/* Slot of a live id, or UINT32_MAX when stale. */
uint32_t city_dense_slot(const CityDense *dense, CityId id);
/* Id stored at a slot (slot < count). */
CityId city_dense_id(const CityDense *dense, uint32_t slot);
/* Whether a set read back from a file holds together: a consistent pool,
 * one slot per live index, and slot_of the inverse of index_of. */
bool city_dense_consistent(const CityDense *dense);

#endif
