/* Hints to the compiler for the few hot loops that measure better with
 * them (sensor sampling, the readings writer); empty where unsupported. */
#ifndef CITY_COMPILER_H
#define CITY_COMPILER_H

#if defined(__GNUC__)
#define CITY_ALWAYS_INLINE inline __attribute__((always_inline))
#define CITY_NOINLINE __attribute__((noinline))
#else
#define CITY_ALWAYS_INLINE inline
#define CITY_NOINLINE
#endif

#endif
