/* The SenML reader of city_senml.h: cJSON plus a strict walk over the
 * labels; a payload that is not exactly what citylab writes (or plain
 * SenML with numeric values) is refused with the record and label at
 * fault. The writers are in senml.c. */
#include "city_senml.h"

#include <cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Base fields carry over from a record to the ones after it (RFC 8428 4.1). */
typedef struct SenmlBase {
    char name[CITY_SENSOR_NAME_MAX * 2]; /* bn */
    double time_s;                       /* bt */
    char unit[16];                       /* bu, "" when unset */
} SenmlBase;

static const char *const known_labels[] = {"bn", "bt", "bu", "bver", "n", "u", "v", "t", "ut", "at", "q", "truth"};

static CityStatus bad(CityError *err, const char *where, int rec, const char *fmt, const char *arg)
{
    char what[256];
    snprintf(what, sizeof what, fmt, arg);
    return city_error_set(err, CITY_ERR_PARSE, "%s: SenML record %d: %s", where, rec, what);
}

/* A label's value as a finite number, or an error. */
static CityStatus label_number(const cJSON *item, const char *where, int rec, double *out, CityError *err)
{
    if (!cJSON_IsNumber(item))
        return bad(err, where, rec, "label \"%s\" must be a number", item->string);
    if (!isfinite(item->valuedouble))
        return bad(err, where, rec, "label \"%s\" is not a finite number", item->string);
    *out = item->valuedouble;
    return CITY_OK;
}

static CityStatus label_string(const cJSON *item, const char *where, int rec, const char **out, CityError *err)
{
    if (!cJSON_IsString(item) || !item->valuestring)
        return bad(err, where, rec, "label \"%s\" must be a string", item->string);
    *out = item->valuestring;
    return CITY_OK;
}

/* Checks that every label of the record is known and appears once. */
static CityStatus check_labels(const cJSON *rec_obj, const char *where, int rec, CityError *err)
{
    for (const cJSON *a = rec_obj->child; a; a = a->next) {
        bool known = false;
        for (size_t k = 0; k < sizeof known_labels / sizeof known_labels[0]; k++)
            known = known || strcmp(a->string, known_labels[k]) == 0;
        if (!known) {
            if (!strcmp(a->string, "vs") || !strcmp(a->string, "vb") || !strcmp(a->string, "vd") ||
                !strcmp(a->string, "s"))
                return bad(err, where, rec, "label \"%s\": only numeric values (\"v\") are read", a->string);
            return bad(err, where, rec, "unknown label \"%s\" (read: bn bt bu bver n u v t ut at q truth); remove it",
                       a->string);
        }
        for (const cJSON *b = rec_obj->child; b != a; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return bad(err, where, rec, "label \"%s\" appears twice", a->string);
    }
    return CITY_OK;
}

/* Applies the base labels of a record to `base`. */
static CityStatus read_base(const cJSON *o, const char *where, int rec, SenmlBase *base, CityError *err)
{
    const cJSON *it;
    const char *s = "";
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "bver"))) {
        double ver = 0.0;
        if (label_number(it, where, rec, &ver, err) != CITY_OK)
            return err->status;
        if (ver < 10 || ver != floor(ver))
            return bad(err, where, rec, "%s", "\"bver\" must be an integer >= 10");
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "bn"))) {
        if (label_string(it, where, rec, &s, err) != CITY_OK)
            return err->status;
        if (strlen(s) >= sizeof base->name)
            return bad(err, where, rec, "%s", "\"bn\" is too long");
        strcpy(base->name, s);
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "bt")) && label_number(it, where, rec, &base->time_s, err) != CITY_OK)
        return err->status;
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "bu"))) {
        if (label_string(it, where, rec, &s, err) != CITY_OK)
            return err->status;
        if (strlen(s) >= sizeof base->unit)
            return bad(err, where, rec, "unit \"%.32s\" is unknown", s);
        strcpy(base->unit, s);
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "ut"))) {
        double ut;
        if (label_number(it, where, rec, &ut, err) != CITY_OK)
            return err->status;
    }
    return CITY_OK;
}

/* Splits "sensor/quantity" into the reading's id and quantity. */
static CityStatus read_name(const SenmlBase *base, const char *n, const char *where, int rec, CityReading *r,
                            CityError *err)
{
    char full[CITY_SENSOR_NAME_MAX * 3];
    int len = snprintf(full, sizeof full, "%s%s", base->name, n);
    if (len <= 0)
        return bad(err, where, rec, "%s", "the record has no name (\"bn\" plus \"n\"); name it \"sensor/quantity\"");
    if ((size_t)len >= sizeof full)
        return bad(err, where, rec, "%s", "the name is too long");
    char *slash = strrchr(full, '/');
    if (!slash)
        return bad(err, where, rec, "name \"%s\" is not \"sensor/quantity\"", full);
    *slash = '\0';
    if (!city_quantity_parse(slash + 1, &r->quantity))
        return bad(err, where, rec, "unknown quantity \"%s\" (count, occupancy, speed, pm25, pm10, ...)", slash + 1);
    if (!city_sensor_name_valid(full))
        return bad(err, where, rec,
                   "sensor id \"%s\" is not valid (1-63 of A-Z a-z 0-9 - : . _, starting with a letter or digit)",
                   full);
    strcpy(r->sensor, full);
    r->unit = city_quantity_unit(r->quantity);
    return CITY_OK;
}

/* Seconds to milliseconds, refusing negative or absurd times. Up to 1e12 s
 * (31,700 years) a double resolves a time to well under a quarter of a
 * millisecond, so a time written back with three decimals parses to the same
 * millisecond; beyond about 4.4e12 s it may not (a fuzzed "at" of
 * 4444444444444.444 came back 1 ms off). */
#define TIME_MAX_S 1.0e12
static CityStatus time_ms(double s, const char *label, const char *where, int rec, int64_t *out, CityError *err)
{
    if (!(s >= 0.0) || s > TIME_MAX_S)
        return bad(err, where, rec, "time \"%s\" must be between 0 and 1e12 s of simulation time", label);
    *out = llround(s * 1000.0);
    return CITY_OK;
}

static CityStatus read_record(const cJSON *o, const char *where, int rec, SenmlBase *base, CityReading *r,
                              double *truth, CityError *err)
{
    if (!cJSON_IsObject(o))
        return bad(err, where, rec, "%s", "a record must be a JSON object");
    if (check_labels(o, where, rec, err) != CITY_OK || read_base(o, where, rec, base, err) != CITY_OK)
        return err->status;
    memset(r, 0, sizeof *r);
    const cJSON *it;
    const char *s = "";
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "n")) && label_string(it, where, rec, &s, err) != CITY_OK)
        return err->status;
    if (read_name(base, s, where, rec, r, err) != CITY_OK)
        return err->status;
    const char *unit = base->unit;
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "u")) && label_string(it, where, rec, &unit, err) != CITY_OK)
        return err->status;
    if (unit[0] && strcmp(unit, r->unit) != 0) {
        char what[160];
        snprintf(what, sizeof what, "unit \"%.32s\" is not the unit of %s (\"%s\")", unit,
                 city_quantity_name(r->quantity), r->unit);
        return bad(err, where, rec, "%s", what);
    }
    if (!(it = cJSON_GetObjectItemCaseSensitive(o, "v")))
        return bad(err, where, rec, "%s", "the record has no value \"v\"");
    if (label_number(it, where, rec, &r->value, err) != CITY_OK)
        return err->status;
    double t = 0.0, at = 0.0;
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "t")) && label_number(it, where, rec, &t, err) != CITY_OK)
        return err->status;
    if (time_ms(base->time_s + t, "t", where, rec, &r->measured_ms, err) != CITY_OK)
        return err->status;
    r->arrives_ms = r->measured_ms;
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "at"))) {
        if (label_number(it, where, rec, &at, err) != CITY_OK ||
            time_ms(base->time_s + at, "at", where, rec, &r->arrives_ms, err) != CITY_OK)
            return err->status;
        if (r->arrives_ms < r->measured_ms)
            return bad(err, where, rec, "%s", "arrival \"at\" is before the measured time \"t\"");
    }
    r->quality = CITY_QUALITY_GOOD;
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "q"))) {
        if (label_string(it, where, rec, &s, err) != CITY_OK)
            return err->status;
        if (!city_quality_parse(s, &r->quality))
            return bad(err, where, rec, "quality \"%.32s\" is not good, uncertain or bad", s);
    }
    double tv = NAN;
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "truth")) && !cJSON_IsNull(it) &&
        label_number(it, where, rec, &tv, err) != CITY_OK)
        return err->status;
    if (truth)
        *truth = tv;
    return CITY_OK;
}

CityStatus city_senml_parse(const char *text, size_t len, const char *where, CityReading *out, double *truth,
                            size_t cap, size_t *n, CityError *err)
{
    CityError local; /* the caller may not want the message; the readers below read it back */
    if (!err)
        err = &local;
    *n = 0;
    if (!where)
        where = "SenML";
    if (len == 0 || memchr(text, '\0', len))
        return city_error_set(err, CITY_ERR_PARSE, "%s: %s", where,
                              len == 0 ? "empty SenML pack; expected a JSON array of records"
                                       : "a NUL byte inside the SenML pack");
    const char *end = NULL;
    cJSON *pack = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!pack) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        return city_error_set(err, CITY_ERR_PARSE, "%s: not valid JSON near byte %zu; a SenML pack is [{...}, ...]",
                              where, at);
    }
    for (const char *p = end; p < text + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(pack);
            return city_error_set(err, CITY_ERR_PARSE,
                                  "%s: characters after the SenML pack at byte %zu; one pack per line", where,
                                  (size_t)(p - text));
        }
    CityStatus st = CITY_OK;
    if (!cJSON_IsArray(pack) || !pack->child) {
        st = city_error_set(err, CITY_ERR_PARSE, "%s: a SenML pack is a non-empty JSON array of records", where);
        goto done;
    }
    SenmlBase base = {.name = "", .time_s = 0.0, .unit = ""};
    int rec = 0;
    for (const cJSON *o = pack->child; o; o = o->next, rec++) {
        if ((size_t)rec >= cap) {
            st = city_error_set(err, CITY_ERR_LIMIT, "%s: more than %zu SenML records in one pack; split it", where,
                                cap);
            goto done;
        }
        st = read_record(o, where, rec, &base, &out[rec], truth ? &truth[rec] : NULL, err);
        if (st != CITY_OK)
            goto done;
        *n = (size_t)rec + 1;
    }
done:
    if (st != CITY_OK)
        *n = 0;
    cJSON_Delete(pack);
    return st;
}
