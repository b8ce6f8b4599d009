/* One reading type for the whole project: what a sensor reports, the same
 * struct in the simulator, in the run outputs (SenML JSON lines and CSV,
 * sim/io/city_senml.h) and over MQTT. A controller sees readings only,
 * never the world: late (arrives_ms), noisy, sometimes flagged or missing.
 *
 * Ground truth is deliberately not a field: a study gets it beside the
 * reading in the output rows, a controller never gets it at all. */
#ifndef CITY_READING_H
#define CITY_READING_H

#include <stdbool.h>
#include <stdint.h>

#define CITY_SENSOR_NAME_MAX 64 /* bytes of a sensor id including the NUL */

/* What is measured. Each quantity has one name (the last part of a SenML
 * name, "loop.e12_0/count") and one unit from the SenML units registry
 * (RFC 8428 section 12.1, RFC 8798). Append new quantities at the end:
 * the numbers appear in state hashes. */
typedef enum CityQuantity {
    CITY_QTY_COUNT = 0,   /* vehicles or people counted in the interval, "count" */
    CITY_QTY_OCCUPANCY,   /* fraction of the interval a detector was occupied, "/" (0..1) */
    CITY_QTY_SPEED,       /* mean speed of what passed, "m/s" */
    CITY_QTY_PM25,        /* PM2.5 mass concentration, "ug/m3" */
    CITY_QTY_PM10,        /* PM10 mass concentration, "ug/m3" */
    CITY_QTY_NOX,         /* NOx mass concentration (as NO2), "ug/m3" */
    CITY_QTY_TEMPERATURE, /* air temperature, "Cel" */
    CITY_QTY_HUMIDITY,    /* relative humidity, "%RH" */
    CITY_QTY_IRRADIANCE,  /* global horizontal irradiance, "W/m2" */
    CITY_QTY_WIND_SPEED,  /* wind speed, "m/s" */
    CITY_QTY_WIND_DIR,    /* direction the wind blows from, degrees clockwise from north, "deg" */
    CITY_QTY_ENERGY,      /* energy in the interval, "kWh" */
    CITY_QTY_VOLTAGE,     /* voltage magnitude, "V" */
    CITY_QTY_CURRENT,     /* current magnitude, "A" */
    CITY_QTY_POWER,       /* active power, "kW" */
    CITY_QTY_STATUS,      /* device status code (0 off or idle, 1 on or busy, 2 fault), "/" */
    CITY_QTY_PEOPLE,      /* people counted in a field of view, "count" */
    CITY_QTY_COUNT_OF     /* number of quantities (not a quantity) */
} CityQuantity;

/* How far a reading can be trusted, as the device itself reports it. A
 * sensor that is silently stuck or offset still says GOOD: only the study,
 * with the truth beside it, sees that. */
typedef enum CityQuality {
    CITY_QUALITY_GOOD = 0,  /* normal reading */
    CITY_QUALITY_UNCERTAIN, /* clipped at the sensor's range, or taken while warming up */
    CITY_QUALITY_BAD,       /* the device flags a fault; the value should not be used */
    CITY_QUALITY_COUNT_OF   /* number of quality levels (not a level) */
} CityQuality;

typedef struct CityReading {
    char sensor[CITY_SENSOR_NAME_MAX]; /* sensor id, unique in a run: [A-Za-z0-9] then [A-Za-z0-9-:._] */
    CityQuantity quantity;             /* what is measured */
    double value;                      /* the reported value, in `unit` */
    const char *unit;                  /* SenML unit of the quantity (static string, never owned) */
    int64_t measured_ms;               /* simulation time the value was sampled, ms */
    int64_t arrives_ms;                /* simulation time it reaches a consumer, ms (>= measured_ms) */
    CityQuality quality;               /* device-reported quality */
} CityReading;

/* Name of a quantity ("count", "pm25", ...) or NULL when out of range; static. */
const char *city_quantity_name(CityQuantity q);
/* SenML unit of a quantity ("count", "ug/m3", ...) or NULL when out of range; static. */
const char *city_quantity_unit(CityQuantity q);
/* Quantity of a name; false when the name is unknown. */
bool city_quantity_parse(const char *name, CityQuantity *out);
/* Name of a quality level ("good", "uncertain", "bad") or NULL when out of range; static. */
const char *city_quality_name(CityQuality q);
/* Quality of a name; false when the name is unknown. */
bool city_quality_parse(const char *name, CityQuality *out);
/* True when `name` is a valid sensor id (non-empty, fits CITY_SENSOR_NAME_MAX, SenML name
 * characters only, no '/'). Callable anywhere. */
bool city_sensor_name_valid(const char *name);
/* Fills a reading with its unit from the quantity; copies the id (truncated
 * ids are the caller's bug: check city_sensor_name_valid first). */
void city_reading_init(CityReading *r, const char *sensor, CityQuantity q, double value, int64_t measured_ms,
                       int64_t arrives_ms, CityQuality quality);

#endif
