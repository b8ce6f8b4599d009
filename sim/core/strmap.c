#include "city_strmap.h"

#include <stdlib.h>
#include <string.h>

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int32_t city_strmap_get(const CityStrMap *m, const char *key)
{
    if (!m->cap || !key)
        return -1;
    const uint32_t h = fnv1a(key);
    for (uint32_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const CityStrSlot *e = &m->slots[i];
        if (!e->key)
            return -1;
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e->val;
    }
}

/* Puts a slot into a table of cap slots with room for it. */
static void place(CityStrSlot *slots, uint32_t cap, const CityStrSlot *e)
{
    uint32_t i = e->hash & (cap - 1);
    while (slots[i].key)
        i = (i + 1) & (cap - 1);
    slots[i] = *e;
}

bool city_strmap_put(CityStrMap *m, const char *key, int32_t val)
{
    if ((m->n + 1) * 2 > m->cap) { /* at most half full */
        const uint32_t cap = m->cap ? m->cap * 2 : 64;
        CityStrSlot *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return false;
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                place(slots, cap, &m->slots[i]);
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    const CityStrSlot e = {key, fnv1a(key), val};
    place(m->slots, m->cap, &e);
    m->n++;
    return true;
}

void city_strmap_free(CityStrMap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}
