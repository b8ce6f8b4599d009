#include "city_array.h"
#include "city_status.h"

#include <stdlib.h>

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
    void *q = realloc(*arr, (size_t)c * size);
    if (!q)
        return false;
    *arr = q;
    *cap = (int32_t)c;
    return true;
}
