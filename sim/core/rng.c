#include "city_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void city_rng_seed(CityRng *rng, uint64_t seed, uint64_t stream)
{
    /* Mix seed and stream through splitmix64 so nearby seeds and streams
     * give unrelated states. */
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);
    uint64_t mix = splitmix64(&x);
    x ^= mix;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = 1;
}

uint64_t city_rng_stream_id(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t city_rng_next(CityRng *rng)
{
    return city_rng_next_inline(rng);
}

double city_rng_uniform(CityRng *rng)
{
    return city_rng_uniform_inline(rng);
}

uint64_t city_rng_below(CityRng *rng, uint64_t n)
{
    /* Lemire's nearly divisionless method with rejection. */
    uint64_t x = city_rng_next(rng);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            x = city_rng_next(rng);
            m = (__uint128_t)x * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double city_rng_exponential(CityRng *rng, double rate)
{
    /* 1 - u lies in (0, 1], so the log is finite. */
    return -log(1.0 - city_rng_uniform(rng)) / rate;
}

double city_rng_normal(CityRng *rng)
{
    double u, v, s;
    do {
        u = 2.0 * city_rng_uniform(rng) - 1.0;
        v = 2.0 * city_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}
