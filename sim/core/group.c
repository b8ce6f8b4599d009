#include "city_group.h"

#include <stdlib.h>
#include <string.h>

/* A stable counting sort: count per key, prefix sums, then place the items
 * in increasing order, so each group keeps the items' own order. */
bool city_groups_build(CityGroups *g, const int32_t *key, int32_t n, int32_t n_groups)
{
    *g = (CityGroups){0};
    if (n < 0 || n_groups < 0)
        return false;
    int32_t *first = calloc((size_t)n_groups + 1, sizeof *first);
    int32_t *items = malloc(((size_t)n + 1) * sizeof *items);
    int32_t *fill = malloc(((size_t)n_groups + 1) * sizeof *fill);
    if (!first || !items || !fill) {
        free(first);
        free(items);
        free(fill);
        return false;
    }
    for (int32_t i = 0; i < n; i++)
        if (key[i] >= 0 && key[i] < n_groups)
            first[key[i] + 1]++;
    for (int32_t k = 0; k < n_groups; k++)
        first[k + 1] += first[k];
    memcpy(fill, first, (size_t)n_groups * sizeof *fill);
    for (int32_t i = 0; i < n; i++)
        if (key[i] >= 0 && key[i] < n_groups)
            items[fill[key[i]]++] = i;
    free(fill);
    *g = (CityGroups){first, items, n_groups};
    return true;
}

void city_groups_free(CityGroups *g)
{
    free(g->first);
    free(g->items);
    *g = (CityGroups){0};
}
