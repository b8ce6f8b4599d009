/* Topics and payloads of the deployment path (city_net_msg.h): cJSON
 * plus a strict walk over each object's keys against a table of fields. */
#include "city_net_msg.h"

#include <cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_senml.h"

#define TIME_MAX_S 9.0e12 /* as the SenML reader: times from 0 to this */

static const char *const reject_names[CITY_NET_REJECT_COUNT] = {"malformed",        "bad_topic", "unknown_sensor",
                                                                "unknown_actuator", "refused",   "stray"};

const char *city_net_reject_name(CityNetReject r)
{
    return (unsigned)r < CITY_NET_REJECT_COUNT ? reject_names[r] : "?";
}

/* ---- topics ---- */

static const char *const topic_parts[] = {"",           "sensor",     "actuator",  "actuator",
                                          "controller", "controller", "controller"};
static const char *const topic_suffix[] = {"", "", "set", "state", "clock", "done", "status"};

bool city_net_topic(char *buf, size_t cap, const char *site, CityNetTopic kind, const char *id)
{
    if (kind <= CITY_TOPIC_NONE || kind > CITY_TOPIC_STATUS)
        return false;
    const char *suffix = topic_suffix[kind];
    int len = snprintf(buf, cap, "citylab/%s/%s/%s%s%s", site, topic_parts[kind], id, suffix[0] ? "/" : "", suffix);
    return len > 0 && (size_t)len < cap;
}

/* An MQTT topic level usable as an id: non-empty, no wildcard, fits. */
static bool id_level(const char *s, size_t n, size_t cap)
{
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '+' || s[i] == '#' || s[i] == '/' || (unsigned char)s[i] < 0x20)
            return false;
    return true;
}

bool city_net_id_valid(const char *s)
{
    return id_level(s, strlen(s), CITY_NET_ID_MAX);
}

CityNetTopic city_net_topic_parse(const char *site, const char *topic, char *id, size_t id_len)
{
    char prefix[CITY_NET_TOPIC_MAX];
    int plen = snprintf(prefix, sizeof prefix, "citylab/%s/", site);
    if (plen <= 0 || (size_t)plen >= sizeof prefix || strncmp(topic, prefix, (size_t)plen) != 0)
        return CITY_TOPIC_NONE;
    const char *rest = topic + plen;
    for (int k = CITY_TOPIC_SENSOR; k <= CITY_TOPIC_STATUS; k++) {
        const size_t part = strlen(topic_parts[k]);
        if (strncmp(rest, topic_parts[k], part) != 0 || rest[part] != '/')
            continue;
        const char *idp = rest + part + 1;
        const char *slash = strchr(idp, '/');
        const char *suffix = topic_suffix[k];
        if (suffix[0] ? !slash || strcmp(slash + 1, suffix) != 0 : slash != NULL)
            continue;
        const size_t n = slash ? (size_t)(slash - idp) : strlen(idp);
        if (!id_level(idp, n, id_len))
            return CITY_TOPIC_NONE;
        memcpy(id, idp, n);
        id[n] = '\0';
        return (CityNetTopic)k;
    }
    return CITY_TOPIC_NONE;
}

/* ---- readings ---- */

size_t city_net_reading_format(char *buf, size_t cap, const CityReading *r)
{
    size_t len = city_senml_format(buf, cap, r, NAN);
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    return len;
}

bool city_net_reading_parse(const char *sensor_id, const void *payload, size_t len, CityReading *out, CityError *err)
{
    CityReading recs[2];
    size_t n = 0;
    CityError local; /* the SenML reader needs somewhere to write */
    if (city_senml_parse(payload, len, "reading", recs, NULL, 2, &n, err ? err : &local) != CITY_OK)
        return false;
    if (n != 1)
        return city_error_set(err, CITY_ERR_PARSE, "reading: one SenML record per message, not %zu", n), false;
    if (strcmp(recs[0].sensor, sensor_id) != 0)
        return city_error_set(err, CITY_ERR_PARSE, "reading: the record names sensor '%s' but the topic '%s'",
                              recs[0].sensor, sensor_id),
               false;
    *out = recs[0];
    return true;
}

/* ---- JSON objects with a fixed set of keys ---- */

typedef enum { F_NUM, F_NUM_OR_NULL, F_TIME, F_STR, F_BOOL, F_INT, F_U64STR } FieldType;

typedef struct Field {
    const char *key;
    FieldType type;
    bool required;
    void *out;  /* double, int64_t (ms or count), char[cap], bool, uint64_t */
    size_t cap; /* F_STR */
} Field;

static bool seconds_ms(double s, int64_t *ms)
{
    if (!(s >= 0.0) || s > TIME_MAX_S)
        return false;
    *ms = llround(s * 1000.0);
    return true;
}

/* One field's value into its out; false with err ("what: problem"). */
static bool read_field(const cJSON *it, const Field *f, const char *what, CityError *err)
{
    if (f->type == F_BOOL) {
        if (!cJSON_IsBool(it))
            return city_error_set(err, CITY_ERR_PARSE, "%s: \"%s\" must be true or false", what, f->key), false;
        *(bool *)f->out = cJSON_IsTrue(it);
        return true;
    }
    if (f->type == F_STR || f->type == F_U64STR) {
        if (!cJSON_IsString(it) || !it->valuestring)
            return city_error_set(err, CITY_ERR_PARSE, "%s: \"%s\" must be a string", what, f->key), false;
        if (f->type == F_STR) {
            if (strlen(it->valuestring) >= f->cap)
                return city_error_set(err, CITY_ERR_PARSE, "%s: \"%s\" is longer than %zu bytes", what, f->key,
                                      f->cap - 1),
                       false;
            for (const unsigned char *c = (const unsigned char *)it->valuestring; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                    return city_error_set(err, CITY_ERR_PARSE, "%s: \"%s\" holds a control character (byte %u)", what,
                                          f->key, *c),
                           false;
            strcpy(f->out, it->valuestring);
            return true;
        }
        char *end = NULL;
        const char *s = it->valuestring;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*s || *s == '-' || *s == '+' || *end || (v == ULLONG_MAX && strcmp(s, "18446744073709551615")))
            return city_error_set(err, CITY_ERR_PARSE, "%s: \"%s\" must be a decimal integer in a string", what,
                                  f->key),
                   false;
        *(uint64_t *)f->out = v;
        return true;
    }
    if (f->type == F_NUM_OR_NULL && cJSON_IsNull(it)) { /* a value that is not a number, sent as such */
        *(double *)f->out = NAN;
        return true;
    }
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return city_error_set(err, CITY_ERR_PARSE, "%s: \"%s\" must be a finite number", what, f->key), false;
    const double v = it->valuedouble;
    if (f->type == F_NUM || f->type == F_NUM_OR_NULL) {
        *(double *)f->out = v;
        return true;
    }
    if (f->type == F_TIME) {
        if (v == -1.0) { /* "none" */
            *(int64_t *)f->out = -1;
            return true;
        }
        if (!seconds_ms(v, f->out))
            return city_error_set(err, CITY_ERR_PARSE, "%s: \"%s\" must be a time in s from 0 to 9e12 (or -1)", what,
                                  f->key),
                   false;
        return true;
    }
    if (v != floor(v) || v < -1.0 || v > 9.0e15)
        return city_error_set(err, CITY_ERR_PARSE, "%s: \"%s\" must be an integer from -1", what, f->key), false;
    *(int64_t *)f->out = (int64_t)v;
    return true;
}

/* Parses one JSON object with exactly the keys of fields (required ones
 * present, none twice); false with err ("what: problem"). */
static bool read_object(const char *what, const void *payload, size_t len, const Field *fields, size_t n_fields,
                        CityError *err)
{
    const char *problem = NULL; /* a fixed one; read_field and the key checks set err themselves */
    bool ok = false;
    const char *text = payload;
    const char *end = NULL;
    cJSON *o = len > 0 && !memchr(text, '\0', len) ? cJSON_ParseWithLengthOpts(text, len, &end, false) : NULL;
    if (!o) {
        problem = "not valid JSON";
        goto done;
    }
    for (const char *p = end; p < text + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            problem = "bytes after the JSON object";
            goto done;
        }
    if (!cJSON_IsObject(o)) {
        problem = "not a JSON object";
        goto done;
    }
    for (const cJSON *a = o->child; a; a = a->next) {
        const Field *f = NULL;
        for (size_t k = 0; k < n_fields && !f; k++)
            if (!strcmp(a->string, fields[k].key))
                f = &fields[k];
        if (!f) {
            city_error_set(err, CITY_ERR_PARSE, "%s: unknown key \"%.64s\"", what, a->string);
            goto done;
        }
        for (const cJSON *b = o->child; b != a; b = b->next)
            if (!strcmp(a->string, b->string)) {
                city_error_set(err, CITY_ERR_PARSE, "%s: key \"%.64s\" twice", what, a->string);
                goto done;
            }
        if (!read_field(a, f, what, err))
            goto done;
    }
    for (size_t k = 0; k < n_fields; k++)
        if (fields[k].required && !cJSON_GetObjectItemCaseSensitive(o, fields[k].key)) {
            city_error_set(err, CITY_ERR_PARSE, "%s: no \"%s\"", what, fields[k].key);
            goto done;
        }
    ok = true;
done:
    cJSON_Delete(o);
    if (problem)
        city_error_set(err, CITY_ERR_PARSE, "%s: %s", what, problem);
    return ok;
}

/* ---- formatters ---- */

/* Shortest of %.15g/%.17g that reads back to the same double. */
static void number_text(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, cap, "%.17g", v);
}

/* Milliseconds as seconds with three decimals, exact; -1 for "none". */
static void time_text(char *buf, size_t cap, int64_t ms)
{
    if (ms < 0)
        snprintf(buf, cap, "-1");
    else
        snprintf(buf, cap, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
}

static size_t fitted(int len, char *buf, size_t cap)
{
    if (len < 0 || (size_t)len >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)len;
}

/* A JSON string of an id or a reason: escapes quotes and backslashes; a control character becomes a space. */
static void json_text(char *buf, size_t cap, const char *s)
{
    size_t k = 0;
    for (; *s && k + 7 < cap; s++) {
        const unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            buf[k++] = '\\';
            buf[k++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            buf[k++] = ' '; /* text on the wire is printable (the parsers refuse control characters) */
        } else {
            buf[k++] = (char)ch;
        }
    }
    buf[k] = '\0';
}

/* The optional ",\"src\":...,\"x\":...,\"seq\":..." tail of commands and states. */
static void exchange_tail(char *buf, size_t cap, const char *src, int64_t x_ms, int64_t seq)
{
    char s[CITY_NET_ID_MAX * 6], x[32];
    buf[0] = '\0';
    size_t k = 0;
    if (src[0]) {
        json_text(s, sizeof s, src);
        k += (size_t)snprintf(buf + k, cap - k, ",\"src\":\"%s\"", s);
    }
    if (x_ms >= 0 && k < cap) {
        time_text(x, sizeof x, x_ms);
        k += (size_t)snprintf(buf + k, cap - k, ",\"x\":%s", x);
    }
    if (seq >= 0 && k < cap)
        snprintf(buf + k, cap - k, ",\"seq\":%" PRId64, seq);
}

size_t city_net_command_format(char *buf, size_t cap, const CityNetCommand *c)
{
    char v[40] = "null", t[32], tail[CITY_NET_ID_MAX * 6 + 80];
    if (isfinite(c->value))
        number_text(v, sizeof v, c->value);
    time_text(t, sizeof t, c->issued_ms);
    exchange_tail(tail, sizeof tail, c->src, c->x_ms, c->seq);
    return fitted(snprintf(buf, cap, "{\"v\":%s,\"t\":%s%s}", v, t, tail), buf, cap);
}

size_t city_net_state_format(char *buf, size_t cap, const CityNetState *s)
{
    char v[40], t[32], r[200], tail[CITY_NET_ID_MAX * 6 + 80];
    number_text(v, sizeof v, isfinite(s->value) ? s->value : 0.0);
    time_text(t, sizeof t, s->t_ms);
    json_text(r, sizeof r, s->result);
    exchange_tail(tail, sizeof tail, s->src, s->x_ms, s->seq);
    return fitted(snprintf(buf, cap, "{\"v\":%s,\"t\":%s,\"result\":\"%s\"%s}", v, t, r, tail), buf, cap);
}

size_t city_net_clock_format(char *buf, size_t cap, const CityNetClock *c)
{
    char t[32];
    time_text(t, sizeof t, c->t_ms);
    return fitted(snprintf(buf, cap, "{\"t\":%s,\"seed\":\"%" PRIu64 "\",\"step\":%s,\"n\":%" PRId64 "}", t, c->seed,
                           c->step ? "true" : "false", c->n),
                  buf, cap);
}

size_t city_net_done_format(char *buf, size_t cap, const CityNetDone *d)
{
    char t[32], w[32], f[sizeof d->failed * 6 + 16] = "";
    time_text(t, sizeof t, d->t_ms);
    time_text(w, sizeof w, d->wake_ms);
    if (d->failed[0]) {
        char esc[sizeof d->failed * 6];
        json_text(esc, sizeof esc, d->failed);
        snprintf(f, sizeof f, ",\"failed\":\"%s\"", esc);
    }
    return fitted(snprintf(buf, cap, "{\"t\":%s,\"n\":%" PRId64 ",\"wake\":%s%s}", t, d->n, w, f), buf, cap);
}

/* ---- parsers ---- */

bool city_net_command_parse(const void *payload, size_t len, CityNetCommand *out, CityError *err)
{
    memset(out, 0, sizeof *out);
    out->x_ms = out->seq = -1;
    const Field f[] = {{"v", F_NUM_OR_NULL, true, &out->value, 0},
                       {"t", F_TIME, true, &out->issued_ms, 0},
                       {"src", F_STR, false, out->src, sizeof out->src},
                       {"x", F_TIME, false, &out->x_ms, 0},
                       {"seq", F_INT, false, &out->seq, 0}};
    return read_object("command", payload, len, f, sizeof f / sizeof f[0], err);
}

bool city_net_state_parse(const void *payload, size_t len, CityNetState *out, CityError *err)
{
    memset(out, 0, sizeof *out);
    out->x_ms = out->seq = -1;
    const Field f[] = {{"v", F_NUM, true, &out->value, 0},
                       {"t", F_TIME, true, &out->t_ms, 0},
                       {"result", F_STR, true, out->result, sizeof out->result},
                       {"src", F_STR, false, out->src, sizeof out->src},
                       {"x", F_TIME, false, &out->x_ms, 0},
                       {"seq", F_INT, false, &out->seq, 0}};
    return read_object("state", payload, len, f, sizeof f / sizeof f[0], err);
}

bool city_net_clock_parse(const void *payload, size_t len, CityNetClock *out, CityError *err)
{
    memset(out, 0, sizeof *out);
    const Field f[] = {{"t", F_TIME, true, &out->t_ms, 0},
                       {"seed", F_U64STR, true, &out->seed, 0},
                       {"step", F_BOOL, true, &out->step, 0},
                       {"n", F_INT, true, &out->n, 0}};
    if (!read_object("clock", payload, len, f, sizeof f / sizeof f[0], err))
        return false;
    if (out->t_ms < 0 || out->n < 0)
        return city_error_set(err, CITY_ERR_PARSE, "clock: \"t\" and \"n\" must be >= 0"), false;
    return true;
}

bool city_net_done_parse(const void *payload, size_t len, CityNetDone *out, CityError *err)
{
    memset(out, 0, sizeof *out);
    out->wake_ms = -1;
    const Field f[] = {{"t", F_TIME, true, &out->t_ms, 0},
                       {"n", F_INT, true, &out->n, 0},
                       {"wake", F_TIME, false, &out->wake_ms, 0},
                       {"failed", F_STR, false, out->failed, sizeof out->failed}};
    if (!read_object("done", payload, len, f, sizeof f / sizeof f[0], err))
        return false;
    if (out->t_ms < 0 || out->n < 0)
        return city_error_set(err, CITY_ERR_PARSE, "done: \"t\" and \"n\" must be >= 0"), false;
    return true;
}
