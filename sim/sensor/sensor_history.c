/* Kept readings for inspectors: a ring of the last few reported readings
 * per channel, beside their truth. Off (and free) unless asked for. */
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "sensor_internal.h"

#define HISTORY_MAX 64 /* readings kept per channel at most */

void sensor_history_free(CitySensors *s)
{
    free(s->hist);
    free(s->hist_head);
    free(s->hist_count);
    s->hist = NULL;
    s->hist_head = s->hist_count = NULL;
    s->hist_n = 0;
}

CityStatus city_sensors_keep_history(CitySensors *s, int32_t depth)
{
    sensor_join(s);
    if (depth < 0 || depth > HISTORY_MAX)
        return city_world_fail(s->world, CITY_ERR_INVALID, "sensor history depth %d is not 0..%d", (int)depth,
                               HISTORY_MAX);
    sensor_history_free(s);
    s->hist_depth = depth;
    return CITY_OK;
}

/* Covers channels [0, n) (new ones start empty). */
static bool cover(CitySensors *s, int32_t n)
{
    const size_t d = (size_t)s->hist_depth;
    void *h = s->hist, *head = s->hist_head, *count = s->hist_count;
    const bool ok = city_resize(&h, (size_t)n * d, sizeof *s->hist) &&
                    city_resize(&head, (size_t)n, sizeof *s->hist_head) &&
                    city_resize(&count, (size_t)n, sizeof *s->hist_count);
    s->hist = h;
    s->hist_head = head;
    s->hist_count = count;
    if (!ok)
        return false;
    memset(s->hist_head + s->hist_n, 0, (size_t)(n - s->hist_n) * sizeof *s->hist_head);
    memset(s->hist_count + s->hist_n, 0, (size_t)(n - s->hist_n) * sizeof *s->hist_count);
    s->hist_n = n;
    return true;
}

CityStatus sensor_history_push(CitySensors *s, int32_t i, const CityReading *r, double truth)
{
    if (i >= s->hist_n && !cover(s, s->n))
        return city_world_fail(s->world, CITY_ERR_NOMEM, "out of memory keeping sensor readings");
    const int32_t d = s->hist_depth;
    s->hist[(size_t)i * (size_t)d + (size_t)s->hist_head[i]] =
        (CitySensorSample){r->value, truth, r->measured_ms, r->arrives_ms, r->quality};
    s->hist_head[i] = (s->hist_head[i] + 1) % d;
    if (s->hist_count[i] < d)
        s->hist_count[i]++;
    return CITY_OK;
}

int32_t city_sensor_history(const CitySensors *s, int32_t i, CitySensorSample *out, int32_t cap)
{
    sensor_join(s);
    CITY_ASSERT(i >= 0 && i < s->n);
    if (i >= s->hist_n || s->hist_depth == 0)
        return 0;
    const int32_t d = s->hist_depth, n = s->hist_count[i] < cap ? s->hist_count[i] : cap;
    for (int32_t k = 0; k < n; k++)
        out[k] = s->hist[(size_t)i * (size_t)d + (size_t)((s->hist_head[i] - 1 - k + 2 * d) % d)];
    return n;
}
