/* 64-bit state hash used to prove determinism: two runs with one seed
 * must produce the same value. Doubles are hashed by bit pattern after
 * folding -0.0 into 0.0 and every NaN into one NaN. */
#ifndef CITY_HASH_H
#define CITY_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct CityHash {
    uint64_t h; /* running value; read it with city_hash_value */
} CityHash;

/* Starts an empty hash (caller-owned value; no allocation). */
void city_hash_init(CityHash *hash);
/* Mixes in one value; the order of calls matters (the hash is a sequence). */
void city_hash_u64(CityHash *hash, uint64_t value);
void city_hash_i64(CityHash *hash, int64_t value);
/* Mixes in the bit pattern of a double (so -0.0 and 0.0 differ). */
void city_hash_f64(CityHash *hash, double value);
/* Mixes in len raw bytes; never hash padding or pointer values. */
void city_hash_bytes(CityHash *hash, const void *data, size_t len);
/* Mixes in a NUL-terminated string and its length. */
void city_hash_str(CityHash *hash, const char *s);
/* Array helpers for dense structure-of-arrays state. */
void city_hash_f64_array(CityHash *hash, const double *values, size_t count);
void city_hash_u32_array(CityHash *hash, const uint32_t *values, size_t count);
uint64_t city_hash_value(const CityHash *hash);

#endif
