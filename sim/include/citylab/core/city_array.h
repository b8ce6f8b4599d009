/* Growing heap arrays, the one way citylab grows an array (city_array_grow
 * for int32_t counts as the domain modules keep them, city_grow for size_t
 * counts, city_resize for an array kept at an exact size), and the one
 * string copy. */
#ifndef CITY_ARRAY_H
#define CITY_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Makes *arr hold at least `need` elements of `size` bytes, doubling the
 * capacity (from 16); false when out of memory (*arr is left as it was). */
bool city_array_grow(void **arr, int32_t *cap, int32_t need, size_t size);
/* The same with a size_t capacity (doubling from 8). */
bool city_grow(void **arr, size_t *cap, size_t need, size_t size);
/* Makes *arr hold exactly n (> 0) elements of `size` bytes, keeping the
 * first ones; false when out of memory or n * size overflows (*arr is left
 * as it was). For arrays sized to a count known up front, not grown by one. */
bool city_resize(void **arr, size_t n, size_t size);

/* A heap copy of s (the caller frees it); NULL when s is NULL or out of
 * memory. */
char *city_strdup(const char *s);

/* Strings copied into blocks that never move and are freed together: a
 * reader that keeps every attribute of a large file makes one allocation
 * per block of 64 KB, not one per string. Zero-initialised is empty. */
typedef struct CityStrArena {
    struct CityStrBlock *blocks; /* newest first */
    size_t used, cap;            /* bytes used and held in the newest block */
} CityStrArena;
/* A copy of s in the arena, valid until city_arena_free (NULL for NULL,
 * or when out of memory). */
char *city_arena_strdup(CityStrArena *a, const char *s);
/* Frees every string of the arena and leaves it empty. */
void city_arena_free(CityStrArena *a);

#endif
