/* A map from strings to int32 indices (open addressing, FNV-1a), for the
 * id lookups of importers and subsystems. Keys are borrowed: they must
 * outlive the map (they are usually the ids stored in the indexed array). */
#ifndef CITY_STRMAP_H
#define CITY_STRMAP_H

#include <stdbool.h>
#include <stdint.h>

/* One slot: the key's hash beside it, so a probe compares strings only
 * when the hashes agree (a key lives elsewhere: reading it is a cache
 * miss), and the slot is one 16-byte read. */
typedef struct CityStrSlot {
    const char *key; /* borrowed (NULL: empty slot); the caller keeps it alive */
    uint32_t hash;   /* FNV-1a of key */
    int32_t val;
} CityStrSlot;

typedef struct CityStrMap {
    CityStrSlot *slots; /* open-addressing table */
    uint32_t cap, n;    /* slots allocated, keys stored */
} CityStrMap;           /* zero-initialised is an empty map */

/* The value stored for key, or -1. */
int32_t city_strmap_get(const CityStrMap *map, const char *key);
/* Adds key -> val (the caller checks that key is new); false when out of memory. */
bool city_strmap_put(CityStrMap *map, const char *key, int32_t val);
/* Frees the table (not the keys) and leaves an empty map. */
void city_strmap_free(CityStrMap *map);

#endif
