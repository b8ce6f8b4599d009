#include "city_status.h"

#include <stdio.h>

const char *city_status_name(CityStatus status)
{
    switch (status) {
    case CITY_OK:
        return "CITY_OK";
    case CITY_ERR_INVALID:
        return "CITY_ERR_INVALID";
    case CITY_ERR_PARSE:
        return "CITY_ERR_PARSE";
    case CITY_ERR_IO:
        return "CITY_ERR_IO";
    case CITY_ERR_NOMEM:
        return "CITY_ERR_NOMEM";
    case CITY_ERR_LIMIT:
        return "CITY_ERR_LIMIT";
    case CITY_ERR_STALE:
        return "CITY_ERR_STALE";
    case CITY_ERR_NUMERIC:
        return "CITY_ERR_NUMERIC";
    case CITY_ERR_SCRIPT:
        return "CITY_ERR_SCRIPT";
    }
    return "CITY_ERR_UNKNOWN";
}

CityStatus city_error_setv(CityError *err, CityStatus status, const char *fmt, va_list ap)
{
    if (err) {
        err->status = status;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return status;
}

CityStatus city_error_set(CityError *err, CityStatus status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    city_error_setv(err, status, fmt, ap);
    va_end(ap);
    return status;
}

void city_error_clear(CityError *err)
{
    if (err) {
        err->status = CITY_OK;
        err->msg[0] = '\0';
    }
}
