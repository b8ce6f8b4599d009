/* Items grouped by a small integer key, in one counting sort (a CSR
 * layout): what a loader uses instead of scanning every item once per key
 * (the connections of each junction, of each light, of each lane). */
#ifndef CITY_GROUP_H
#define CITY_GROUP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct CityGroups {
    int32_t *first;   /* group g holds items[first[g] .. first[g + 1]); n_groups + 1 entries */
    int32_t *items;   /* item indices, grouped by key, in increasing order within a group */
    int32_t n_groups; /* number of keys */
} CityGroups;         /* zero-initialised is an empty grouping */

/* Groups items 0 .. n - 1 by key[i] (n entries), leaving out the items
 * whose key is outside [0, n_groups); time O(n + n_groups). False when out
 * of memory (g is then empty). The caller frees g with city_groups_free. */
bool city_groups_build(CityGroups *g, const int32_t *key, int32_t n, int32_t n_groups);
/* Frees the arrays and leaves an empty grouping. */
void city_groups_free(CityGroups *g);

#endif
