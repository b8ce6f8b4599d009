/* Crossings shared with vehicles: a registry of the areas and doors that
 * lie on a carriageway, for the pedestrian-vehicle coupling (see
 * city_ped.h). The walking model does not read it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_text.h"
#include "ped_internal.h"

struct PedCrossings {
    CityPedCrossingDef *items; /* strings owned */
    int32_t n, cap;
    int32_t *of_area; /* per walkable area up to the last crossing's: its crossing, -1 */
    int32_t n_of_area;
};

void ped_crossings_free(struct PedCrossings *c)
{
    if (!c)
        return;
    for (int32_t i = 0; i < c->n; i++) {
        free((char *)c->items[i].id);
        free((char *)c->items[i].junction);
        free((char *)c->items[i].tls);
    }
    free(c->items);
    free(c->of_area);
    free(c);
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = city_strdup(s);
    if (!d)
        *ok = false;
    return d;
}

int32_t city_ped_crossing_add(CityPed *ped, const CityPedCrossingDef *def)
{
    int32_t na = city_ped_area_count(ped), nd = city_ped_door_count(ped);
    if (!def->id || def->first_area < 0 || def->last_area < def->first_area || def->last_area >= na ||
        def->door_in_a < -1 || def->door_in_a >= nd || def->door_in_b < -1 || def->door_in_b >= nd) {
        ped_fail(ped, CITY_ERR_INVALID, "ped: crossing '%s' names areas or doors the walkable space does not have",
                 def->id ? def->id : "?");
        return -1;
    }
    if (!ped->crossings && !(ped->crossings = calloc(1, sizeof *ped->crossings))) {
        ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory adding crossing '%s'", def->id);
        return -1;
    }
    struct PedCrossings *c = ped->crossings;
    bool ok = city_array_grow((void **)&c->items, &c->cap, c->n + 1, sizeof *c->items);
    if (ok && def->last_area >= c->n_of_area) {
        int32_t *grown = realloc(c->of_area, (size_t)(def->last_area + 1) * sizeof *grown);
        if (grown) {
            for (int32_t a = c->n_of_area; a <= def->last_area; a++)
                grown[a] = -1;
            c->of_area = grown;
            c->n_of_area = def->last_area + 1;
        }
        ok = grown != NULL;
    }
    CityPedCrossingDef d = *def;
    d.id = dup_or_null(def->id, &ok);
    d.junction = dup_or_null(def->junction, &ok);
    d.tls = dup_or_null(def->tls, &ok);
    if (!ok) {
        free((char *)d.id);
        free((char *)d.junction);
        free((char *)d.tls);
        ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory adding crossing '%s'", def->id);
        return -1;
    }
    c->items[c->n] = d;
    for (int32_t a = def->first_area; a <= def->last_area; a++)
        c->of_area[a] = c->n;
    return c->n++;
}

int32_t city_ped_crossing_count(const CityPed *ped)
{
    return ped->crossings ? ped->crossings->n : 0;
}

const CityPedCrossingDef *city_ped_crossing_get(const CityPed *ped, int32_t i)
{
    return i >= 0 && i < city_ped_crossing_count(ped) ? &ped->crossings->items[i] : NULL;
}

int32_t city_ped_crossing_find(const CityPed *ped, const char *id)
{
    for (int32_t i = 0; i < city_ped_crossing_count(ped); i++)
        if (strcmp(ped->crossings->items[i].id, id) == 0)
            return i;
    return -1;
}

/* Whether the disc (x, y, r) reaches into the convex polygon pts[0 .. n):
 * its centre inside (off the boundary), or an edge closer than r. A point
 * on the boundary (a door on the kerb line) does not reach it. */
static bool disc_reaches(const double *pts, int32_t n, double x, double y, double r)
{
    bool inside = n >= 3;
    for (int32_t i = 0; i < n; i++) {
        const double *a = pts + 2 * i, *b = i + 1 < n ? a + 2 : pts;
        double ex = b[0] - a[0], ey = b[1] - a[1], len2 = ex * ex + ey * ey;
        if (ex * (y - a[1]) - ey * (x - a[0]) <= 1e-6 * sqrt(len2)) /* not 1 um left of a counter-clockwise edge */
            inside = false;
        double t = len2 > 0 ? ((x - a[0]) * ex + (y - a[1]) * ey) / len2 : 0.0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double dx = a[0] + t * ex - x, dy = a[1] + t * ey - y;
        if (dx * dx + dy * dy < r * r)
            return true;
    }
    return inside;
}

/* The crossing walkable area `area` belongs to (on the carriageway), or -1. */
static int32_t ped_area_crossing(const CityPed *ped, int32_t area)
{
    const struct PedCrossings *c = ped->crossings;
    return c && area >= 0 && area < c->n_of_area ? c->of_area[area] : -1;
}

int32_t city_ped_crossing_reached(const CityPed *ped, double x, double y, double radius_m)
{
    if (!ped->crossings)
        return -1;
    const int32_t *near;
    int32_t n_near = radius_m > 0 ? -1 : ped_space_cell_areas(&ped->space, x, y, &near);
    if (n_near >= 0) { /* a point, once the space is sealed: the areas of its cell only */
        for (int32_t k = 0; k < n_near; k++) {
            int32_t c = ped_area_crossing(ped, near[k]), n;
            const double *pts = c >= 0 ? city_ped_area_points(ped, near[k], &n) : NULL;
            if (pts && disc_reaches(pts, n, x, y, 0.0))
                return c;
        }
        return -1;
    }
    for (int32_t i = 0; i < city_ped_crossing_count(ped); i++) {
        const CityPedCrossingDef *c = &ped->crossings->items[i];
        for (int32_t a = c->first_area; a <= c->last_area; a++) {
            int32_t n;
            const double *pts = city_ped_area_points(ped, a, &n);
            if (pts && disc_reaches(pts, n, x, y, radius_m))
                return i;
        }
    }
    return -1;
}

CityStatus city_ped_crossing_set_priority(CityPed *ped, int32_t i, bool priority)
{
    if (i < 0 || i >= city_ped_crossing_count(ped))
        return ped_fail(ped, CITY_ERR_INVALID, "ped: no crossing %d", (int)i);
    ped->crossings->items[i].priority = priority;
    return CITY_OK;
}
