/* SenML (RFC 8428) JSON lines and CSV for readings; see city_senml.h. The
 * reader is cJSON plus a strict walk over the labels: a payload that is
 * not exactly what citylab writes (or plain SenML with numeric values)
 * is refused with the record and label at fault. */
#include "city_senml.h"

#include <cJSON.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Powers of ten a double holds exactly. */
static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* "00" "01" ... "99": two digits per division, half the divisions of one at a time. */
static const char DIGIT_PAIRS[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

/* Appends the decimal digits of u; returns the new end. It copies 24
 * bytes (a constant: two moves, no call), so p must have 24 bytes of room;
 * the bytes past the digits are garbage that what follows overwrites. */
static char *put_u64(char *p, uint64_t u)
{
    char tmp[48];
    char *const end = tmp + 24; /* 20 digits at most, and 24 bytes from any of them stay in tmp */
    char *q = end;
    while (u >= 100u) {
        const unsigned d = (unsigned)(u % 100u);
        u /= 100u;
        q -= 2;
        memcpy(q, DIGIT_PAIRS + 2 * d, 2);
    }
    if (u >= 10u) {
        q -= 2;
        memcpy(q, DIGIT_PAIRS + 2 * u, 2);
    } else {
        *--q = (char)('0' + u);
    }
    memcpy(p, q, 24);
    return p + (end - q);
}

/* What "%.15g" prints for v, without the C library, when that text reads
 * back as v and needs no exponent (1e-4 <= |v| < 1e15); NULL otherwise.
 * v is m / 10^k for the 15-digit m nearest to |v| 10^k; since m < 2^53 and
 * 10^k (k <= 18) are exact, m / 10^k is one correctly rounded division, so
 * it equals v exactly when the text reads back as v (Clinger's fast path).
 * An m off by one from the exact rounding fails that check (two 15-digit
 * decimals are further apart than a double's spacing), so the text printed
 * is always the C library's. */
static char *fast_number(char *p, double v)
{
    const double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e15))
        return NULL;
    int k = 14 - (int)floor(log10(a));
    if (k < 0 || k > 18)
        return NULL;
    double m = nearbyint(a * POW10[k]);
    if (m >= 1e15 && k > 0)
        m = nearbyint(a * POW10[--k]);
    else if (m < 1e14 && k < 18)
        m = nearbyint(a * POW10[++k]);
    if (!(m >= 1e14 && m < 1e15) || m / POW10[k] != a)
        return NULL;
    uint64_t u = (uint64_t)m;
    while (k > 0 && u % 10u == 0) {
        u /= 10u;
        k--;
    }
    if (v < 0)
        *p++ = '-';
    char digits[24];
    const int n = (int)(put_u64(digits, u) - digits);
    if (n > k) {
        memcpy(p, digits, (size_t)(n - k));
        p += n - k;
        if (k > 0) {
            *p++ = '.';
            memcpy(p, digits + n - k, (size_t)k);
            p += k;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int z = 0; z < k - n; z++)
            *p++ = '0';
        memcpy(p, digits, (size_t)n);
        p += n;
    }
    return p;
}

/* Appends the shortest of %.15g/%.17g that reads back to the same double
 * (at most 24 bytes); returns the new end. */
static char *put_number(char *p, double v)
{
    if (v == 0.0) {
        if (signbit(v))
            *p++ = '-';
        *p++ = '0';
        return p;
    }
    if (fabs(v) < 1e15 && v == trunc(v)) { /* counts, quantized values: the digits themselves */
        if (v < 0)
            *p++ = '-';
        return put_u64(p, (uint64_t)fabs(v));
    }
    char *q = fast_number(p, v);
    if (q)
        return q;
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.17g", v);
    const size_t n = strlen(buf);
    memcpy(p, buf, n);
    return p + n;
}

/* Appends milliseconds as seconds with three decimals, exact (no floating point). */
static char *put_time(char *p, int64_t ms)
{
    if (ms < 0)
        *p++ = '-';
    const uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    p = put_u64(p, a / 1000u);
    const unsigned f = (unsigned)(a % 1000u);
    *p++ = '.';
    *p++ = (char)('0' + f / 100u);
    *p++ = (char)('0' + f / 10u % 10u);
    *p++ = (char)('0' + f % 10u);
    return p;
}

static char *put_str(char *p, const char *s)
{
    const size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* The line is built without printf: readings are the run's bulkiest output
 * (10,000 sensors at 1 Hz), and printf's number formatting dominated it. */
size_t city_senml_format(char *buf, size_t cap, const CityReading *r, double truth)
{
    char line[CITY_SENML_LINE_MAX];
    const char *unit = r->unit ? r->unit : city_quantity_unit(r->quantity);
    const char *q = city_quality_name(r->quality);
    const char *qty = city_quantity_name(r->quantity);
    /* sensor < 64, quantity and unit < 16, quality < 12, four numbers <= 24 each, labels < 60 */
    char *p = line;
    p = put_str(p, "[{\"n\":\"");
    p = put_str(p, r->sensor);
    *p++ = '/';
    p = put_str(p, qty ? qty : "");
    p = put_str(p, "\",\"u\":\"");
    p = put_str(p, unit ? unit : "");
    p = put_str(p, "\",\"v\":");
    p = put_number(p, isfinite(r->value) ? r->value : 0.0);
    p = put_str(p, ",\"t\":");
    p = put_time(p, r->measured_ms);
    p = put_str(p, ",\"at\":");
    p = put_time(p, r->arrives_ms);
    p = put_str(p, ",\"q\":\"");
    p = put_str(p, q ? q : "bad");
    *p++ = '"';
    if (isfinite(truth)) {
        p = put_str(p, ",\"truth\":");
        p = put_number(p, truth);
    }
    p = put_str(p, "}]\n");
    const size_t len = (size_t)(p - line);
    if (len >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    return len;
}

void city_senml_write(FILE *f, const CityReading *r, double truth)
{
    char line[CITY_SENML_LINE_MAX];
    size_t len = city_senml_format(line, sizeof line, r, truth);
    fwrite(line, 1, len, f);
}

void city_reading_csv_header(FILE *f)
{
    fputs("sensor,quantity,value,unit,measured_s,arrives_s,quality,truth\n", f);
}

/* One CSV row into line (CITY_SENML_LINE_MAX bytes, no NUL); returns its length. */
static size_t csv_line(char *line, const CityReading *r, double truth)
{
    const char *unit = r->unit ? r->unit : city_quantity_unit(r->quantity);
    const char *q = city_quality_name(r->quality);
    const char *qty = city_quantity_name(r->quantity);
    /* ids and names are SenML characters: no field ever needs quoting */
    char *p = line;
    p = put_str(p, r->sensor);
    *p++ = ',';
    p = put_str(p, qty ? qty : "");
    *p++ = ',';
    if (isfinite(r->value)) /* an empty cell, as pandas and R read a missing value */
        p = put_number(p, r->value);
    *p++ = ',';
    p = put_str(p, unit ? unit : "");
    *p++ = ',';
    p = put_time(p, r->measured_ms);
    *p++ = ',';
    p = put_time(p, r->arrives_ms);
    *p++ = ',';
    p = put_str(p, q ? q : "");
    *p++ = ',';
    if (isfinite(truth))
        p = put_number(p, truth);
    *p++ = '\n';
    return (size_t)(p - line);
}

void city_reading_csv_write(FILE *f, const CityReading *r, double truth)
{
    char line[CITY_SENML_LINE_MAX];
    fwrite(line, 1, csv_line(line, r, truth), f);
}

/* ---- both outputs at once ---- */

#define WRITER_BLOCK (64 * 1024) /* bytes per output handed to stdio at once */
#define FIELD 48                 /* bytes of a kept text piece, copied whole (see PUT_FIELD) */
#define SHORT 32                 /* bytes of a short piece (a number, CSV's ,quantity,), copied whole */
#define MID 96                   /* bytes of a kept middle of a line, at most */
#define MID_SHORT 64             /* bytes copied of a middle that fits them (most: times below 10^5 s) */
#define SPARE 128                /* room past a block for the last whole copy */
#define SMALL_MAX 1000           /* whole numbers below it are written from a table */

/* The middles of the last reading's lines, kept while the next readings
 * share their times, quality and quantity (every channel sampled in a tick
 * has the same measured time, and most the same latency and quality):
 * SenML's ,"t":T,"at":AT,"q":"Q","truth": (senml_len leaves ,"truth": out)
 * and CSV's ,unit,T,AT,Q, */
typedef struct MidText {
    int64_t t, at; /* the times they hold */
    uint32_t kind; /* and the quality | quantity << 8 (UINT32_MAX: none yet) */
    uint8_t senml_len, senml_truth_len, csv_len;
    char senml[MID], csv[MID];
} MidText;

struct CityReadingWriter {
    FILE *senml, *csv; /* the outputs (NULL: skipped), the caller's */
    bool failed;       /* a write failed */
    MidText mid;       /* the last middles formatted */
    /* per quantity, with its own unit: SenML's "/qty","u":"unit","v": and CSV's ,qty, */
    char senml_qty[CITY_QTY_COUNT_OF][FIELD];
    char csv_qty[CITY_QTY_COUNT_OF][SHORT];
    uint8_t senml_qty_len[CITY_QTY_COUNT_OF], csv_qty_len[CITY_QTY_COUNT_OF];
    const char *unit[CITY_QTY_COUNT_OF]; /* the quantities' units (a reading with another takes the line functions) */
    uint32_t small[SMALL_MAX];           /* 0 .. 999: the digits in a word's first bytes, their count in its last */
    size_t n_senml, n_csv;               /* bytes waiting in the blocks */
    /* the blocks, with room past a line for the last piece's whole copy */
    char senml_block[WRITER_BLOCK + SPARE];
    char csv_block[WRITER_BLOCK + SPARE];
};

CityReadingWriter *city_reading_writer_create(FILE *senml, FILE *csv)
{
    CityReadingWriter *w = malloc(sizeof *w);
    if (!w)
        return NULL;
    w->senml = senml;
    w->csv = csv;
    w->failed = false;
    memset(&w->mid, 0, sizeof w->mid);
    w->mid.kind = UINT32_MAX;
    for (int q = 0; q < CITY_QTY_COUNT_OF; q++) {
        const char *name = city_quantity_name((CityQuantity)q), *unit = city_quantity_unit((CityQuantity)q);
        memset(w->senml_qty[q], 0, FIELD); /* names and units < 16 bytes */
        w->senml_qty_len[q] = (uint8_t)snprintf(w->senml_qty[q], FIELD, "/%s\",\"u\":\"%s\",\"v\":", name, unit);
        memset(w->csv_qty[q], 0, SHORT);
        w->csv_qty_len[q] = (uint8_t)snprintf(w->csv_qty[q], SHORT, ",%s,", name); /* names < 16 bytes */
        w->unit[q] = unit;
    }
    for (unsigned u = 0; u < SMALL_MAX; u++) {
        char digits[4] = {0};
        digits[3] = (char)snprintf(digits, sizeof digits, "%u", u);
        memcpy(&w->small[u], digits, 4);
    }
    w->n_senml = w->n_csv = 0;
    return w;
}

static void drain(FILE *f, const char *block, size_t *n, bool *failed)
{
    if (*n && fwrite(block, 1, *n, f) != *n)
        *failed = true;
    *n = 0;
}

bool city_reading_writer_flush(CityReadingWriter *w)
{
    if (w->senml)
        drain(w->senml, w->senml_block, &w->n_senml, &w->failed);
    if (w->csv)
        drain(w->csv, w->csv_block, &w->n_csv, &w->failed);
    if ((w->senml && ferror(w->senml)) || (w->csv && ferror(w->csv)))
        w->failed = true;
    return !w->failed;
}

void city_reading_writer_destroy(CityReadingWriter *w)
{
    free(w);
}

/* Copies `size` bytes (a constant: a few vector moves, no call) but moves p
 * on by n <= size; the bytes past n are overwritten by what follows or lie
 * in the block's spare room. */
#define PUT_FIELD(p, src, n, size) (memcpy((p), (src), (size)), (p) + (n))
#define PUT_LIT(p, lit) PUT_FIELD((p), (lit), sizeof(lit) - 1, sizeof(lit) - 1)

/* A middle of n <= MID bytes, copied as MID_SHORT bytes when it fits them. */
static inline char *put_mid(char *p, const char *mid, size_t n)
{
    if (n <= MID_SHORT) {
        memcpy(p, mid, MID_SHORT);
        return p + n;
    }
    memcpy(p, mid, MID);
    return p + n;
}

/* The length of a reading's id: the first NUL of its CITY_SENSOR_NAME_MAX
 * bytes, found 16 at a time; the whole array when it has none. */
static inline size_t id_len(const char *id)
{
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
    for (size_t k = 0; k < CITY_SENSOR_NAME_MAX; k += 16) {
        const unsigned nul = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const void *)(id + k)), zero));
        if (nul)
            return k + (size_t)__builtin_ctz(nul);
    }
    return CITY_SENSOR_NAME_MAX;
#else
    const char *nul = memchr(id, '\0', CITY_SENSOR_NAME_MAX);
    return nul ? (size_t)(nul - id) : CITY_SENSOR_NAME_MAX;
#endif
}

/* An id of n bytes, copied as 32 bytes when it fits them (most do). */
static inline char *put_id(char *p, const char *id, size_t n)
{
    if (n <= 32) {
        memcpy(p, id, 32);
        return p + n;
    }
    memcpy(p, id, CITY_SENSOR_NAME_MAX);
    return p + n;
}

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#else
#define ALWAYS_INLINE inline
#define NOINLINE
#endif

/* Formats the middles of mid_text: once per tick and latency, out of the
 * per-reading loop's way. */
static NOINLINE void mid_format(MidText *m, int64_t t, int64_t at, unsigned quality, unsigned quantity, uint32_t kind)
{
    m->t = t;
    m->at = at;
    m->kind = kind;
    /* times <= 21 bytes, qualities <= 9, units < 16: both fit MID with room for put_u64's copy */
    const char *q = city_quality_name((CityQuality)quality), *unit = city_quantity_unit((CityQuantity)quantity);
    char *p = m->senml;
    p = put_str(p, ",\"t\":");
    p = put_time(p, t);
    p = put_str(p, ",\"at\":");
    p = put_time(p, at);
    p = put_str(p, ",\"q\":\"");
    p = put_str(p, q);
    *p++ = '"';
    m->senml_len = (uint8_t)(p - m->senml);
    p = put_str(p, ",\"truth\":");
    m->senml_truth_len = (uint8_t)(p - m->senml);
    p = m->csv;
    *p++ = ',';
    p = put_str(p, unit);
    *p++ = ',';
    p = put_time(p, t);
    *p++ = ',';
    p = put_time(p, at);
    *p++ = ',';
    p = put_str(p, q);
    *p++ = ',';
    m->csv_len = (uint8_t)(p - m->csv);
}

/* The middles of a reading's lines, measured at t, arriving at at (quality
 * and quantity in the tables' range). */
static ALWAYS_INLINE const MidText *mid_text(MidText *m, int64_t t, int64_t at, unsigned quality, unsigned quantity)
{
    const uint32_t kind = quality | quantity << 8; /* both < 256 here */
    if (m->t != t || m->at != at || m->kind != kind)
        mid_format(m, t, at, quality, quantity, kind);
    return m;
}

/* A number's text as put_number writes it, formatted once for both outputs. */
typedef struct NumText {
    bool small;       /* a whole number 1 .. 999: its digits are `word`'s bytes */
    uint32_t word;    /* small: the digits (w->small) */
    size_t len;       /* the text's length (0: not finite, nothing) */
    char text[SHORT]; /* not small: the text (put_number: <= 24 bytes) */
} NumText;

/* Formats v: the whole numbers most readings are (counts, quantized
 * values) by one table look-up, put into the outputs as one word each
 * (no store of a few bytes read back wider), the rest by put_number. */
static inline void num_text(const CityReadingWriter *w, NumText *t, double v)
{
    if (v >= 1.0 && v < (double)SMALL_MAX) { /* 0 is put_number's, for -0 */
        const unsigned u = (unsigned)v;
        if ((double)u == v) {
            t->small = true;
            t->word = w->small[u];
            unsigned char bytes[4];
            memcpy(bytes, &t->word, 4);
            t->len = bytes[3]; /* the byte past the digits, overwritten by what follows */
            return;
        }
    }
    t->small = false;
    t->len = isfinite(v) ? (size_t)(put_number(t->text, v) - t->text) : 0;
}

static inline char *put_num(char *p, const NumText *t)
{
    if (t->small) {
        memcpy(p, &t->word, sizeof t->word);
        return p + t->len;
    }
    return PUT_FIELD(p, t->text, t->len, SHORT);
}

/* A reading whose quantity, unit or quality is not one of the tables' (a
 * caller's own unit string, an out-of-range enum) takes the line functions. */
static bool plain(const CityReadingWriter *w, const CityReading *r)
{
    return (unsigned)r->quantity >= CITY_QTY_COUNT_OF || (unsigned)r->quality >= CITY_QUALITY_COUNT_OF ||
           (r->unit && r->unit != w->unit[r->quantity]);
}

/* Each line is a few whole copies of kept or just formatted pieces: the
 * id (n_id bytes, 32 or CITY_SENSOR_NAME_MAX of them readable), the
 * quantity's piece, the value, the middle shared with the readings of the
 * same tick, the truth. The value and the truth are formatted once for both
 * outputs. Room for a line in both blocks is the caller's. Inlined in
 * both callers: a call per reading was a tenth of its instructions. */
static ALWAYS_INLINE void put_lines(CityReadingWriter *w, const char *id, size_t n_id, unsigned quantity,
                                    unsigned quality, double v, int64_t t, int64_t at, double truth)
{
    NumText value, truth_text; /* the texts both outputs share */
    num_text(w, &value, v);
    num_text(w, &truth_text, truth);
    const MidText *mid = mid_text(&w->mid, t, at, quality, quantity);
    if (w->senml) {
        char *p = w->senml_block + w->n_senml;
        p = PUT_LIT(p, "[{\"n\":\"");
        p = put_id(p, id, n_id);
        p = PUT_FIELD(p, w->senml_qty[quantity], w->senml_qty_len[quantity], FIELD);
        if (value.len)
            p = put_num(p, &value);
        else
            *p++ = '0';
        if (truth_text.len) {
            p = put_mid(p, mid->senml, mid->senml_truth_len);
            p = put_num(p, &truth_text);
        } else {
            p = put_mid(p, mid->senml, mid->senml_len);
        }
        p = PUT_LIT(p, "}]\n");
        w->n_senml = (size_t)(p - w->senml_block);
    }
    if (w->csv) {
        char *p = w->csv_block + w->n_csv;
        p = put_id(p, id, n_id);
        p = PUT_FIELD(p, w->csv_qty[quantity], w->csv_qty_len[quantity], SHORT);
        p = put_num(p, &value);
        p = put_mid(p, mid->csv, mid->csv_len);
        p = put_num(p, &truth_text);
        *p++ = '\n';
        w->n_csv = (size_t)(p - w->csv_block);
    }
}

/* Hands the blocks over when one may not have room for another line. */
static inline void make_room(CityReadingWriter *w)
{
    if ((w->senml && w->n_senml > WRITER_BLOCK - CITY_SENML_LINE_MAX) ||
        (w->csv && w->n_csv > WRITER_BLOCK - CITY_SENML_LINE_MAX))
        city_reading_writer_flush(w);
}

/* A reading the tables do not cover, by the line functions. */
static void put_plain(CityReadingWriter *w, const CityReading *r, double truth)
{
    if (w->senml)
        w->n_senml += city_senml_format(w->senml_block + w->n_senml, CITY_SENML_LINE_MAX, r, truth);
    if (w->csv)
        w->n_csv += csv_line(w->csv_block + w->n_csv, r, truth);
}

void city_reading_writer_put(CityReadingWriter *w, const CityReading *r, double truth)
{
    make_room(w);
    if (plain(w, r)) {
        put_plain(w, r, truth);
        return;
    }
    put_lines(w, r->sensor, id_len(r->sensor), (unsigned)r->quantity, (unsigned)r->quality, r->value, r->measured_ms,
              r->arrives_ms, truth);
}

void city_reading_writer_put_reports(CityReadingWriter *w, const CitySensors *s, int64_t measured_ms,
                                     const CitySensorReport *r, size_t n)
{
    const uint32_t *at;
    const char *ids = city_sensors_ids(s, &at);
    for (size_t k = 0; k < n; k++) {
        const CitySensorReport *e = &r[k];
        make_room(w);
        const char *id = ids + at[e->channel];
        const size_t n_id = at[e->channel + 1] - at[e->channel] - 1;
        if (e->quantity >= CITY_QTY_COUNT_OF || e->quality >= CITY_QUALITY_COUNT_OF) {
            CityReading plain_r;
            city_reading_init(&plain_r, id, (CityQuantity)e->quantity, e->value, measured_ms, e->arrives_ms,
                              (CityQuality)e->quality);
            put_plain(w, &plain_r, e->truth);
            continue;
        }
        put_lines(w, id, n_id, e->quantity, e->quality, e->value, measured_ms, e->arrives_ms, e->truth);
    }
}

/* ---- reader ---- */

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
