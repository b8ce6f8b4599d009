/* Seeded random streams: xoshiro256** seeded through splitmix64.
 * One stream per subsystem keeps subsystems independent: adding a draw in
 * one never shifts the numbers another sees. Never use rand() in citylab. */
#ifndef CITY_RNG_H
#define CITY_RNG_H

#include <stdint.h>

typedef struct CityRng {
    uint64_t s[4]; /* xoshiro256** state, never all zero */
} CityRng;

/* Seeds a stream from a run seed and a stream number; same pair, same numbers. */
void city_rng_seed(CityRng *rng, uint64_t seed, uint64_t stream);
/* Stream number for a subsystem name (a 64-bit hash of the name). */
uint64_t city_rng_stream_id(const char *name);
uint64_t city_rng_next(CityRng *rng);
/* Uniform double in [0, 1) with 53 random bits. */
double city_rng_uniform(CityRng *rng);

/* The same draws as city_rng_next and city_rng_uniform, inlined where a
 * hot loop draws for thousands of channels per tick (sensors). */
static inline uint64_t city_rng_next_inline(CityRng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t x = s[1] * 5;
    const uint64_t result = ((x << 7) | (x >> 57)) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}
static inline double city_rng_uniform_inline(CityRng *rng)
{
    return (double)(city_rng_next_inline(rng) >> 11) * 0x1.0p-53;
}
/* Uniform integer in [0, n) without modulo bias; n must be > 0. */
uint64_t city_rng_below(CityRng *rng, uint64_t n);
/* Exponential variate with the given rate (1/mean), rate > 0. */
double city_rng_exponential(CityRng *rng, double rate);
/* Standard normal variate (Marsaglia polar method). */
double city_rng_normal(CityRng *rng);
/* Standard normal variate by the ziggurat method (rng_ziggurat.c): one
 * draw of the stream in 98.5 % of calls, no log; other numbers than
 * city_rng_normal's for the same stream. */
double city_rng_normal_zig(CityRng *rng);

/* The ziggurat's layer edges (rng_ziggurat.c), and the rest of a draw
 * whose first 64 bits `bits` missed their layer's rectangle. */
extern const double CITY_RNG_ZIG_X[257];
double city_rng_normal_zig_rest(CityRng *rng, uint64_t bits);
/* city_rng_normal_zig with its first try inlined (the same numbers): the
 * 98.5 % of draws that end there cost no call (sensors draw one per sample). */
static inline double city_rng_normal_zig_inline(CityRng *rng)
{
    const uint64_t bits = city_rng_next_inline(rng);
    const int i = (int)(bits & 0xffu);
    const double x = ((double)(int64_t)(bits >> 12) * 0x1.0p-51 - 1.0) * CITY_RNG_ZIG_X[i];
    if ((x < 0 ? -x : x) < CITY_RNG_ZIG_X[i + 1])
        return x;
    return city_rng_normal_zig_rest(rng, bits);
}

#endif
