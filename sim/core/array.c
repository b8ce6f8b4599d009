#include "city_array.h"
#include "city_status.h"

#include <stdlib.h>
#include <string.h>

bool city_array_grow(void **arr, int32_t *cap, int32_t need, size_t size)
{
    CITY_ASSERT(need >= 0 && *cap >= 0 && size > 0);
    if (need <= *cap)
        return true;
    int64_t c = *cap > 0 ? *cap : 16;
    while (c < need)
        c *= 2;
    if (c > INT32_MAX)
        c = INT32_MAX;
    if (!city_resize(arr, (size_t)c, size))
        return false;
    *cap = (int32_t)c;
    return true;
}

bool city_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    if (!city_resize(arr, ncap, size))
        return false;
    *cap = ncap;
    return true;
}

bool city_resize(void **arr, size_t n, size_t size)
{
    CITY_ASSERT(n > 0 && size > 0);
    if (n > SIZE_MAX / size)
        return false;
    void *p = realloc(*arr, n * size);
    if (!p)
        return false;
    *arr = p;
    return true;
}

char *city_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* ---- string arena ---- */

struct CityStrBlock {
    struct CityStrBlock *next;
    char data[];
};

#define ARENA_BLOCK (64 * 1024) /* bytes of a block; a string over a quarter of it gets its own */

char *city_arena_strdup(CityStrArena *a, const char *s)
{
    if (!s)
        return NULL;
    const size_t n = strlen(s) + 1;
    if (n > a->cap - a->used) {
        if (n > ARENA_BLOCK / 4) { /* its own block, behind the newest, whose room stays in use */
            struct CityStrBlock *b = malloc(sizeof *b + n);
            if (!b)
                return NULL;
            if (a->blocks) {
                b->next = a->blocks->next;
                a->blocks->next = b;
            } else {
                b->next = NULL;
                a->blocks = b;
                a->used = a->cap = n;
            }
            memcpy(b->data, s, n);
            return b->data;
        }
        struct CityStrBlock *b = malloc(sizeof *b + ARENA_BLOCK);
        if (!b)
            return NULL;
        b->next = a->blocks;
        a->blocks = b;
        a->used = 0;
        a->cap = ARENA_BLOCK;
    }
    char *p = a->blocks->data + a->used;
    memcpy(p, s, n);
    a->used += n;
    return p;
}

void city_arena_free(CityStrArena *a)
{
    for (struct CityStrBlock *b = a->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->blocks = NULL;
    a->used = a->cap = 0;
}
