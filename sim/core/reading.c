#include "city_reading.h"

#include <string.h>

/* Names and SenML units (RFC 8428 section 12.1; "ug/m3" and "kWh" are from
 * RFC 8798), in CityQuantity order. */
static const struct {
    const char *name;
    const char *unit;
} quantities[CITY_QTY_COUNT_OF] = {
    [CITY_QTY_COUNT] = {"count", "count"},
    [CITY_QTY_OCCUPANCY] = {"occupancy", "/"},
    [CITY_QTY_SPEED] = {"speed", "m/s"},
    [CITY_QTY_PM25] = {"pm25", "ug/m3"},
    [CITY_QTY_PM10] = {"pm10", "ug/m3"},
    [CITY_QTY_NOX] = {"nox", "ug/m3"},
    [CITY_QTY_TEMPERATURE] = {"temperature", "Cel"},
    [CITY_QTY_HUMIDITY] = {"humidity", "%RH"},
    [CITY_QTY_IRRADIANCE] = {"irradiance", "W/m2"},
    [CITY_QTY_WIND_SPEED] = {"wind_speed", "m/s"},
    [CITY_QTY_WIND_DIR] = {"wind_dir", "deg"},
    [CITY_QTY_ENERGY] = {"energy", "kWh"},
    [CITY_QTY_VOLTAGE] = {"voltage", "V"},
    [CITY_QTY_CURRENT] = {"current", "A"},
    [CITY_QTY_POWER] = {"power", "kW"},
    [CITY_QTY_STATUS] = {"status", "/"},
    [CITY_QTY_PEOPLE] = {"people", "count"},
};

static const char *const qualities[CITY_QUALITY_COUNT_OF] = {"good", "uncertain", "bad"};

const char *city_quantity_name(CityQuantity q)
{
    return (unsigned)q < CITY_QTY_COUNT_OF ? quantities[q].name : NULL;
}

const char *city_quantity_unit(CityQuantity q)
{
    return (unsigned)q < CITY_QTY_COUNT_OF ? quantities[q].unit : NULL;
}

bool city_quantity_parse(const char *name, CityQuantity *out)
{
    for (int q = 0; q < CITY_QTY_COUNT_OF; q++)
        if (strcmp(name, quantities[q].name) == 0) {
            *out = (CityQuantity)q;
            return true;
        }
    return false;
}

const char *city_quality_name(CityQuality q)
{
    return (unsigned)q < CITY_QUALITY_COUNT_OF ? qualities[q] : NULL;
}

bool city_quality_parse(const char *name, CityQuality *out)
{
    for (int q = 0; q < CITY_QUALITY_COUNT_OF; q++)
        if (strcmp(name, qualities[q]) == 0) {
            *out = (CityQuality)q;
            return true;
        }
    return false;
}

static bool is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool city_sensor_name_valid(const char *name)
{
    /* SenML names (RFC 8428 section 4.5.1) without '/', which separates the
     * sensor from its quantity in "sensor/quantity". */
    if (!name || !is_alnum(name[0]))
        return false;
    size_t len = 0;
    for (const char *p = name; *p; p++, len++) {
        if (len + 1 >= CITY_SENSOR_NAME_MAX)
            return false;
        if (!is_alnum(*p) && *p != '-' && *p != ':' && *p != '.' && *p != '_')
            return false;
    }
    return true;
}

void city_reading_init(CityReading *r, const char *sensor, CityQuantity q, double value, int64_t measured_ms,
                       int64_t arrives_ms, CityQuality quality)
{
    memset(r, 0, sizeof *r);
    size_t len = strlen(sensor);
    if (len >= CITY_SENSOR_NAME_MAX)
        len = CITY_SENSOR_NAME_MAX - 1;
    memcpy(r->sensor, sensor, len);
    r->quantity = q;
    r->value = value;
    r->unit = city_quantity_unit(q);
    r->measured_ms = measured_ms;
    r->arrives_ms = arrives_ms;
    r->quality = quality;
}
