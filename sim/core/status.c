#include "city_status.h"

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
