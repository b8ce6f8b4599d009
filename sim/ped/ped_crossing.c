/* Crossings shared with vehicles: a registry of the areas and doors that
 * lie on a carriageway, for the pedestrian-vehicle coupling (see
 * city_ped.h). The walking model does not read it. */
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_text.h"
#include "ped_internal.h"

struct PedCrossings {
    CityPedCrossingDef *items; /* strings owned */
    int32_t n, cap;
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

CityStatus city_ped_crossing_set_priority(CityPed *ped, int32_t i, bool priority)
{
    if (i < 0 || i >= city_ped_crossing_count(ped))
        return ped_fail(ped, CITY_ERR_INVALID, "ped: no crossing %d", (int)i);
    ped->crossings->items[i].priority = priority;
    return CITY_OK;
}
