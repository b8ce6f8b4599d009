/* Status codes shared by every layer of citylab, and the one error channel:
 * a status plus a message that names the file and line or the entity at
 * fault, what is wrong and how to fix it. Code that runs with a world
 * reports into the world's last error (city_world_fail); readers that run
 * without one (file formats, the grid on its own) fill a CityError. */
#ifndef CITY_STATUS_H
#define CITY_STATUS_H

#include <stdarg.h>

#define CITY_ERROR_MAX 2048 /* bytes of an error message (a script error carries its traceback) */

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

/* A status and its message; the world's last error is one. Zeroed (or
 * cleared) it means no error. */
typedef struct CityError {
    CityStatus status;        /* CITY_OK while nothing failed */
    char msg[CITY_ERROR_MAX]; /* "where: what; how to fix", "" while nothing failed */
} CityError;

/* Records status and message in err (ignored when err is NULL) and returns
 * status; a later error replaces an earlier one. Callable anywhere. */
CityStatus city_error_set(CityError *err, CityStatus status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
CityStatus city_error_setv(CityError *err, CityStatus status, const char *fmt, va_list ap);
/* Back to "no error"; callable anywhere, err may be NULL. */
void city_error_clear(CityError *err);

/* Programmer errors (a broken invariant, never bad user input: public entry
 * points check their arguments and return an error). On failure prints the
 * condition and where to stderr and aborts, in every build type. */
#define CITY_ASSERT(cond) ((cond) ? (void)0 : city_assert_fail(#cond, __FILE__, __LINE__, __func__))
_Noreturn void city_assert_fail(const char *cond, const char *file, int line, const char *func);

#endif
