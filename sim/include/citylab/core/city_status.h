/* Status codes shared by every layer of citylab. */
#ifndef CITY_STATUS_H
#define CITY_STATUS_H

typedef enum CityStatus {
    CITY_OK = 0,      /* success */
    CITY_ERR_INVALID, /* bad argument or bad user input (exit code 2) */
    CITY_ERR_PARSE,   /* malformed input file (exit code 2) */
    CITY_ERR_IO,      /* file system error */
    CITY_ERR_NOMEM,   /* allocation failed */
    CITY_ERR_LIMIT,   /* a configured limit was hit (time, memory, capacity) */
    CITY_ERR_STALE,   /* an id whose entity no longer exists */
    CITY_ERR_NUMERIC, /* a numerical method failed (no convergence, singular matrix) */
    CITY_ERR_SCRIPT   /* an error raised inside a scenario script */
} CityStatus;

/* Short constant name of a status ("CITY_ERR_PARSE"); never NULL. */
const char *city_status_name(CityStatus status);

/* Programmer errors (a broken invariant, never bad user input: public entry
 * points check their arguments and return an error). On failure prints the
 * condition and where to stderr and aborts, in every build type. */
#define CITY_ASSERT(cond) ((cond) ? (void)0 : city_assert_fail(#cond, __FILE__, __LINE__, __func__))
_Noreturn void city_assert_fail(const char *cond, const char *file, int line, const char *func);

#endif
