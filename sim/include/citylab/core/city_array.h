/* Growing heap arrays with int32_t counts, as the domain modules keep them,
 * and the one string copy. */
#ifndef CITY_ARRAY_H
#define CITY_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Makes *arr hold at least `need` elements of `size` bytes, doubling the
 * capacity (from 16); false when out of memory (*arr is left as it was). */
bool city_array_grow(void **arr, int32_t *cap, int32_t need, size_t size);

/* A heap copy of s (the caller frees it), or NULL when out of memory. */
char *city_strdup(const char *s);

#endif
