/* Hints to the compiler for the few hot loops that measure better with
 * them (sensor sampling, the readings writer, the road's rows); empty
 * where unsupported. */
#ifndef CITY_COMPILER_H
#define CITY_COMPILER_H

#if defined(__GNUC__)
#define CITY_ALWAYS_INLINE inline __attribute__((always_inline))
#define CITY_NOINLINE __attribute__((noinline))
#else
#define CITY_ALWAYS_INLINE inline
#define CITY_NOINLINE
#endif

/* A buffer every call writes before it reads, left out of the zeroing of
 * locals (CITY_ZERO_LOCALS): a trip row's buffer, zeroed on every call,
 * cost as much as formatting the row. */
#if defined(__has_attribute)
#if __has_attribute(uninitialized)
#define CITY_UNINIT __attribute__((uninitialized))
#endif
#endif
#ifndef CITY_UNINIT
#define CITY_UNINIT
#endif

#endif
