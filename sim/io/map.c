/* Static map geometry kept by the "map" subsystem. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_map.h"

typedef struct CityMap {
    CityMapLayer *layers;
    int32_t n, cap;
} CityMap;

static CityStatus map_step(CityWorld *world, void *self, int64_t tick)
{
    (void)world, (void)self, (void)tick;
    return CITY_OK;
}

static void map_hash(const CityWorld *world, const void *self, CityHash *h)
{
    (void)world;
    const CityMap *m = self;
    for (int32_t i = 0; i < m->n; i++) {
        city_hash_str(h, m->layers[i].name);
        city_hash_f64_array(h, m->layers[i].xy, (size_t)m->layers[i].n_pts * 2);
    }
}

static void map_destroy(void *self)
{
    CityMap *m = self;
    for (int32_t i = 0; i < m->n; i++) {
        free(m->layers[i].name);
        free(m->layers[i].xy);
        free(m->layers[i].first);
        free(m->layers[i].count);
    }
    free(m->layers);
    free(m);
}

/* The map is built by the scenario's top level and never changes during a
 * run: a checkpoint holds only its size, to catch a rebuilt map that differs. */
static CityStatus map_save(const CityWorld *world, const void *self, CityStateWriter *out)
{
    (void)world;
    const CityMap *m = self;
    city_state_put_i64(out, m->n);
    return CITY_OK;
}

static CityStatus map_load(CityWorld *world, void *self, CityStateReader *in)
{
    const CityMap *m = self;
    if (city_state_get_i64(in) != m->n && !in->bad)
        city_state_fail(in, "the map has other layers than the saved run's");
    (void)world;
    return in->bad ? CITY_ERR_PARSE : CITY_OK;
}

static CityMap *map_of(CityWorld *world, bool create)
{
    CityMap *m = city_world_subsystem(world, "map");
    if (m || !create)
        return m;
    m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    CitySubsystemDef def = {.name = "map",
                            .phase = CITY_PHASE_REPORT,
                            .period_ticks = 0,
                            .step = map_step,
                            .hash = map_hash,
                            .destroy = map_destroy,
                            .save = map_save,
                            .load = map_load};
    if (city_world_add_subsystem(world, &def, m) != CITY_OK) {
        free(m);
        return NULL;
    }
    return m;
}

CityStatus city_map_add_polygon(CityWorld *world, const char *layer, const double *xy, int32_t n)
{
    if (n < 3)
        return city_world_fail(world, CITY_ERR_INVALID, "map polygon in layer '%s' has %d points; it needs 3 or more",
                               layer, (int)n);
    CityMap *m = map_of(world, true);
    if (!m)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory adding map layer '%s'", layer);
    CityMapLayer *l = NULL;
    for (int32_t i = 0; i < m->n; i++)
        if (strcmp(m->layers[i].name, layer) == 0)
            l = &m->layers[i];
    if (!l) {
        if (!city_array_grow((void **)&m->layers, &m->cap, m->n + 1, sizeof *m->layers))
            return CITY_ERR_NOMEM;
        l = &m->layers[m->n];
        memset(l, 0, sizeof *l);
        size_t len = strlen(layer) + 1;
        l->name = malloc(len);
        if (!l->name)
            return CITY_ERR_NOMEM;
        memcpy(l->name, layer, len);
        l->min_x = l->min_y = INFINITY;
        l->max_x = l->max_y = -INFINITY;
        m->n++;
    }
    int32_t cap_first = l->cap_polys, cap_count = l->cap_polys;
    if (!city_array_grow((void **)&l->xy, &l->cap_pts, 2 * (l->n_pts + n), sizeof *l->xy) ||
        !city_array_grow((void **)&l->first, &cap_first, l->n_polys + 1, sizeof *l->first) ||
        !city_array_grow((void **)&l->count, &cap_count, l->n_polys + 1, sizeof *l->count))
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory adding map layer '%s'", layer);
    l->cap_polys = cap_first < cap_count ? cap_first : cap_count;
    memcpy(l->xy + 2 * l->n_pts, xy, (size_t)n * 2 * sizeof *xy);
    for (int32_t i = 0; i < n; i++) {
        l->min_x = fmin(l->min_x, xy[2 * i]);
        l->max_x = fmax(l->max_x, xy[2 * i]);
        l->min_y = fmin(l->min_y, xy[2 * i + 1]);
        l->max_y = fmax(l->max_y, xy[2 * i + 1]);
    }
    l->first[l->n_polys] = l->n_pts;
    l->count[l->n_polys] = n;
    l->n_polys++;
    l->n_pts += n;
    return CITY_OK;
}

const CityMapLayer *city_map_layer(const CityWorld *world, const char *layer)
{
    const CityMap *m = city_world_subsystem(world, "map");
    if (!m)
        return NULL;
    for (int32_t i = 0; i < m->n; i++)
        if (strcmp(m->layers[i].name, layer) == 0)
            return &m->layers[i];
    return NULL;
}
