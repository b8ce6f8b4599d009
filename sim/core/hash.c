#include "city_hash.h"

#include <math.h>
#include <string.h>

/* A word-at-a-time mix (multiply, rotate, xor-shift), far faster than a
 * byte-wise FNV over large structure-of-arrays state. */
static inline uint64_t mix(uint64_t h, uint64_t v)
{
    v *= 0x87c37b91114253d5ull;
    v = (v << 31) | (v >> 33);
    v *= 0x4cf5ad432745937full;
    h ^= v;
    h = (h << 27) | (h >> 37);
    return h * 5 + 0x52dce729;
}

void city_hash_init(CityHash *hash)
{
    hash->h = 0x9e3779b97f4a7c15ull;
}

void city_hash_u64(CityHash *hash, uint64_t value)
{
    hash->h = mix(hash->h, value);
}

void city_hash_i64(CityHash *hash, int64_t value)
{
    hash->h = mix(hash->h, (uint64_t)value);
}

void city_hash_f64(CityHash *hash, double value)
{
    uint64_t bits;
    if (value == 0.0)
        value = 0.0; /* fold -0.0 */
    if (isnan(value))
        bits = 0x7ff8000000000000ull;
    else
        memcpy(&bits, &value, sizeof bits);
    hash->h = mix(hash->h, bits);
}

void city_hash_bytes(CityHash *hash, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = hash->h;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix(h, w);
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    h = mix(h, tail ^ ((uint64_t)len << 56));
    hash->h = h;
}

void city_hash_str(CityHash *hash, const char *s)
{
    city_hash_bytes(hash, s, strlen(s));
}

void city_hash_f64_array(CityHash *hash, const double *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        city_hash_f64(hash, values[i]);
}

void city_hash_u32_array(CityHash *hash, const uint32_t *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        hash->h = mix(hash->h, values[i]);
}

uint64_t city_hash_value(const CityHash *hash)
{
    uint64_t h = hash->h;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}
