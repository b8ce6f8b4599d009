/* CITY_ASSERT's failure path: a broken invariant is a bug in citylab, so
 * the run stops at once, saying which condition failed where. */
#include <stdio.h>
#include <stdlib.h>

#include "city_status.h"

_Noreturn void city_assert_fail(const char *cond, const char *file, int line, const char *func)
{
    fprintf(stderr, "citylab: internal error: %s:%d: %s: assertion '%s' failed; please report this bug\n", file, line,
            func, cond);
    fflush(stderr);
    abort();
}
