#include "city_ids.h"
#include "city_array.h"

#include <stdlib.h>
#include <string.h>

/* city_grow for the uint32_t capacities the id tables keep. */
static bool grow_u32(uint32_t **arr, uint32_t *cap, uint32_t need)
{
    size_t c = *cap;
    if (!city_grow((void **)arr, &c, need, sizeof **arr))
        return false;
    *cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    return true;
}

void city_pool_init(CityPool *pool)
{
    memset(pool, 0, sizeof *pool);
}

void city_pool_destroy(CityPool *pool)
{
    free(pool->gen);
    free(pool->free_list);
    memset(pool, 0, sizeof *pool);
}

CityId city_pool_alloc(CityPool *pool)
{
    uint32_t index;
    if (pool->free_count > 0) {
        index = pool->free_list[--pool->free_count];
    } else {
        if (pool->used == UINT32_MAX)
            return CITY_ID_NULL;
        uint32_t cap = pool->cap, cap2 = pool->cap;
        if (!grow_u32(&pool->gen, &cap, pool->used + 1) || !grow_u32(&pool->free_list, &cap2, pool->used + 1))
            return CITY_ID_NULL;
        pool->cap = cap < cap2 ? cap : cap2;
        index = pool->used++;
        pool->gen[index] = 0;
    }
    /* Generations are odd while live; skipping 0 keeps the null id unique. */
    uint32_t g = pool->gen[index] + 1;
    if (g == 0)
        g = 1;
    pool->gen[index] = g;
    pool->live++;
    return (CityId){index, g};
}

bool city_pool_valid(const CityPool *pool, CityId id)
{
    return id.gen != 0 && id.index < pool->used && pool->gen[id.index] == id.gen && (id.gen & 1u);
}

CityStatus city_pool_free(CityPool *pool, CityId id)
{
    if (!city_pool_valid(pool, id))
        return CITY_ERR_STALE;
    CITY_ASSERT(pool->free_count < pool->cap); /* a slot is freed at most once per generation */
    pool->gen[id.index] = id.gen + 1;          /* even: free */
    pool->free_list[pool->free_count++] = id.index;
    pool->live--;
    return CITY_OK;
}

bool city_pool_consistent(const CityPool *pool)
{
    if (pool->used > pool->cap || pool->free_count > pool->used || pool->live > pool->used ||
        pool->live + pool->free_count != pool->used)
        return false;
    uint32_t live = 0;
    for (uint32_t i = 0; i < pool->used; i++)
        live += pool->gen[i] & 1u;
    if (live != pool->live)
        return false;
    uint8_t *seen = calloc((size_t)pool->used + 1, 1);
    bool ok = seen != NULL;
    for (uint32_t k = 0; ok && k < pool->free_count; k++) {
        uint32_t i = pool->free_list[k];
        ok = i < pool->used && !(pool->gen[i] & 1u) && !seen[i];
        if (ok)
            seen[i] = 1;
    }
    free(seen);
    return ok;
}

void city_dense_init(CityDense *dense)
{
    memset(dense, 0, sizeof *dense);
    city_pool_init(&dense->pool);
}

void city_dense_destroy(CityDense *dense)
{
    city_pool_destroy(&dense->pool);
    free(dense->slot_of);
    free(dense->index_of);
    memset(dense, 0, sizeof *dense);
}

CityId city_dense_add(CityDense *dense, uint32_t *slot_out)
{
    if (!grow_u32(&dense->index_of, &dense->cap_slots, dense->count + 1))
        return CITY_ID_NULL;
    CityId id = city_pool_alloc(&dense->pool);
    if (city_id_is_null(id))
        return id;
    if (!grow_u32(&dense->slot_of, &dense->cap_index, dense->pool.used)) {
        city_pool_free(&dense->pool, id);
        return CITY_ID_NULL;
    }
    uint32_t slot = dense->count++;
    dense->slot_of[id.index] = slot;
    dense->index_of[slot] = id.index;
    if (slot_out)
        *slot_out = slot;
    return id;
}

CityStatus city_dense_remove(CityDense *dense, CityId id, uint32_t *moved_from, uint32_t *moved_to)
{
    if (!city_pool_valid(&dense->pool, id))
        return CITY_ERR_STALE;
    uint32_t slot = dense->slot_of[id.index];
    uint32_t last = dense->count - 1;
    if (slot != last) {
        uint32_t moved_index = dense->index_of[last];
        dense->index_of[slot] = moved_index;
        dense->slot_of[moved_index] = slot;
    }
    dense->count--;
    city_pool_free(&dense->pool, id);
    if (moved_from)
        *moved_from = last;
    if (moved_to)
        *moved_to = slot;
    return CITY_OK;
}

uint32_t city_dense_slot(const CityDense *dense, CityId id)
{
    if (!city_pool_valid(&dense->pool, id))
        return UINT32_MAX;
    return dense->slot_of[id.index];
}

bool city_dense_consistent(const CityDense *dense)
{
    const CityPool *pool = &dense->pool;
    if (!city_pool_consistent(pool) || dense->count != pool->live || dense->count > dense->cap_slots ||
        pool->used > dense->cap_index)
        return false;
    for (uint32_t s = 0; s < dense->count; s++) {
        uint32_t i = dense->index_of[s];
        if (i >= pool->used || !(pool->gen[i] & 1u) || dense->slot_of[i] != s)
            return false; /* with count == live, also: no index in two slots */
    }
    return true;
}

CityId city_dense_id(const CityDense *dense, uint32_t slot)
{
    uint32_t index = dense->index_of[slot];
    return (CityId){index, dense->pool.gen[index]};
}
