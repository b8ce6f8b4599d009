/* SenML (RFC 8428) JSON lines and CSV for readings, the writers; see
 * city_senml.h. The reader is in senml_read.c. */
#include "city_senml.h"

#include "city_compiler.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 U128; /* GCC's and Clang's, on 64-bit targets */

/* 5^q for q <= 22 (5^22 < 2^52). */
static const uint64_t POW5[] = {1ull,
                                5ull,
                                25ull,
                                125ull,
                                625ull,
                                3125ull,
                                15625ull,
                                78125ull,
                                390625ull,
                                1953125ull,
                                9765625ull,
                                48828125ull,
                                244140625ull,
                                1220703125ull,
                                6103515625ull,
                                30517578125ull,
                                152587890625ull,
                                762939453125ull,
                                3814697265625ull,
                                19073486328125ull,
                                95367431640625ull,
                                476837158203125ull,
                                2384185791015625ull};
/* 10^k for k <= 19. */
static const uint64_t POW10_U64[] = {1ull,
                                     10ull,
                                     100ull,
                                     1000ull,
                                     10000ull,
                                     100000ull,
                                     1000000ull,
                                     10000000ull,
                                     100000000ull,
                                     1000000000ull,
                                     10000000000ull,
                                     100000000000ull,
                                     1000000000000ull,
                                     10000000000000ull,
                                     100000000000000ull,
                                     1000000000000000ull,
                                     10000000000000000ull,
                                     100000000000000000ull,
                                     1000000000000000000ull,
                                     10000000000000000000ull};

/* v 10^q = whole + frac, exactly, for v = m 2^e (m < 2^53) and
 * 0 <= q <= 22 with e + q < 0: m 5^q / 2^-(e+q), one product of at most
 * 2^102 and one shift. The fraction as FRAC_*: what rounding needs. False
 * outside that range or past 2^63. */
enum { FRAC_ZERO, FRAC_BELOW_HALF, FRAC_HALF, FRAC_ABOVE_HALF };
static bool scaled(uint64_t m, int e, int q, uint64_t *whole, int *frac)
{
    const int sh = -(e + q);
    if (q < 0 || q > 22 || sh < 1 || sh > 120)
        return false;
    const U128 n = (U128)m * POW5[q];
    const U128 w = n >> sh, rem = n - (w << sh), half = (U128)1 << (sh - 1);
    if (w >= ((U128)1 << 63))
        return false;
    *whole = (uint64_t)w;
    *frac = rem == 0 ? FRAC_ZERO : rem < half ? FRAC_BELOW_HALF : rem == half ? FRAC_HALF : FRAC_ABOVE_HALF;
    return true;
}

/* whole + frac (scaled's) divided by 10^k (k = 0 or 2), rounded half to even. */
static uint64_t round_div(uint64_t whole, int frac, int k)
{
    if (k == 0)
        return whole + (frac == FRAC_ABOVE_HALF || (frac == FRAC_HALF && (whole & 1u)));
    const uint64_t q = whole / 100u, r = whole % 100u;
    const bool up = r > 50u || (r == 50u && (frac != FRAC_ZERO || (q & 1u)));
    return q + up;
}

/* d 10^-q compared with k 2^f (-1, 0, 1), exactly: d 2^-(f+q) against k 5^q.
 * *ok false when the operands would not fit 128 bits. */
static int cmp_dec_bin(uint64_t d, int q, uint64_t k, int f, bool *ok)
{
    const int sh = -(f + q);
    if (q < 0 || q > 22 || sh < 0 || sh > 64) {
        *ok = false;
        return 0;
    }
    const U128 l = (U128)d << sh, r = (U128)k * POW5[q];
    return l < r ? -1 : l > r;
}

/* Whether the decimal d 10^-q reads back (round to nearest, ties to even,
 * as strtod) as v = m 2^e, a normal double (2^52 <= m < 2^53): whether it
 * lies between the midpoints to v's neighbours, or on one with m even. */
static bool reads_back(uint64_t m, int e, uint64_t d, int q, bool *ok)
{
    const bool even = (m & 1u) == 0;
    const int hi = cmp_dec_bin(d, q, 2 * m + 1, e - 1, ok);
    /* below a power of two the neighbour is half as far */
    const int lo =
        m == (1ull << 52) ? cmp_dec_bin(d, q, 4 * m - 1, e - 2, ok) : cmp_dec_bin(d, q, 2 * m - 1, e - 1, ok);
    return (hi < 0 || (hi == 0 && even)) && (lo > 0 || (lo == 0 && even));
}

/* What "%.15g" prints for v when that reads back as v, else what "%.17g"
 * prints, without the C library, for 1e-4 <= |v| < 1e15 (no exponent);
 * NULL otherwise. The digits are v's exact value rounded half to even, as
 * the C library rounds it (scaled), and "reads back" is decided
 * exactly (reads_back): no floating-point step, so the text is always the
 * C library's. (Truths from an air grid are such doubles, 10,000 a
 * simulated second; printf and strtod took some 5,000 instructions each.) */
static char *fast_number(char *p, double v)
{
    const double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e15))
        return NULL;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    const uint64_t m = (bits & ((1ull << 52) - 1u)) | (1ull << 52); /* a is normal */
    const int e = (int)(bits >> 52) - 1075;
    /* the decimal exponent x: floor(log10(2^(e + 52))) is it or one less
     * (1233 / 4096 is log10(2) to 4 digits, exact enough here), and the
     * digits below tell which */
    const int l2 = (e + 52) * 1233;
    int x = l2 >= 0 ? l2 >> 12 : -((-l2 + 4095) >> 12); /* floor of l2 / 4096 */
    /* the 17 digits: v 10^(16 - x) has 17 digits before rounding */
    uint64_t whole;
    int frac;
    for (int tries = 0;; tries++) {
        if (tries > 3 || !scaled(m, e, 16 - x, &whole, &frac))
            return NULL;
        if (whole >= POW10_U64[17])
            x++;
        else if (whole < POW10_U64[16])
            x--;
        else
            break;
    }
    /* the 15 digits rounded from the same exact value; each rounding may
     * carry into a new digit (10^(x + 1)) */
    int prec = 15, x15 = x;
    uint64_t d = round_div(whole, frac, 2);
    if (d == POW10_U64[15]) {
        d = POW10_U64[14];
        x15++;
    }
    bool ok = true;
    /* 15 digits that round up to 10^15 need an exponent, which %.15g would
     * print, and 10^15 is not v: the 17 digits, as the C library goes on to */
    if (x15 >= 15 || !reads_back(m, e, d, 14 - x15, &ok) || !ok) {
        prec = 17;
        d = round_div(whole, frac, 0);
        if (d == POW10_U64[17]) {
            d = POW10_U64[16];
            x++;
        }
    } else {
        x = x15;
    }
    if (x >= prec)
        return NULL; /* printf would write an exponent */
    int n = prec;
    while (n > 1 && d % 10u == 0) { /* %g drops trailing zeros */
        d /= 10u;
        n--;
    }
    if (v < 0)
        *p++ = '-';
    char digits[24];
    put_u64(digits, d);
    if (x >= 0) {
        if (n <= x + 1) { /* a whole number: its digits, then zeros */
            memcpy(p, digits, (size_t)n);
            p += n;
            for (int z = n; z <= x; z++)
                *p++ = '0';
        } else {
            memcpy(p, digits, (size_t)x + 1);
            p += x + 1;
            *p++ = '.';
            memcpy(p, digits + x + 1, (size_t)(n - x - 1));
            p += n - x - 1;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int z = 0; z < -x - 1; z++)
            *p++ = '0';
        memcpy(p, digits, (size_t)n);
        p += n;
    }
    return p;
}
#else
static char *fast_number(char *p, double v)
{
    (void)p;
    (void)v;
    return NULL; /* no 128-bit integers: printf's path */
}
#endif

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

/* A middle of n <= MID bytes, copied as the fewest whole 16-byte moves of
 * 32, 48, MID_SHORT or MID bytes that hold it (CSV's is about 26 bytes,
 * SenML's about 45: the same class for every reading of a tick). */
static inline char *put_mid(char *p, const char *mid, size_t n)
{
    if (n <= 32)
        memcpy(p, mid, 32);
    else if (n <= 48)
        memcpy(p, mid, 48);
    else if (n <= MID_SHORT)
        memcpy(p, mid, MID_SHORT);
    else
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

/* Formats the middles of mid_text: once per tick and latency, out of the
 * per-reading loop's way. */
static CITY_NOINLINE void mid_format(MidText *m, int64_t t, int64_t at, unsigned quality, unsigned quantity,
                                     uint32_t kind)
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
static CITY_ALWAYS_INLINE const MidText *mid_text(MidText *m, int64_t t, int64_t at, unsigned quality,
                                                  unsigned quantity)
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

/* The ends of the lines written into the blocks (NULL: that output is off). */
typedef struct Cursors {
    char *senml, *csv;
} Cursors;

/* Each line is a few whole copies of kept or just formatted pieces: the
 * id (n_id bytes, 32 or CITY_SENSOR_NAME_MAX of them readable), the
 * quantity's piece, the value, the middle shared with the readings of the
 * same tick, the truth. The value and the truth are formatted once for both
 * outputs. Room for the line at the cursors is the caller's. Inlined in
 * both callers: a call per reading was a tenth of its instructions. */
static CITY_ALWAYS_INLINE void put_lines_mid(const CityReadingWriter *w, Cursors *cur, const char *id, size_t n_id,
                                             unsigned quantity, double v, double truth, const MidText *mid)
{
    NumText value, truth_text; /* the texts both outputs share */
    num_text(w, &value, v);
    num_text(w, &truth_text, truth);
    if (cur->senml) {
        char *p = cur->senml;
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
        cur->senml = p;
    }
    if (cur->csv) {
        char *p = cur->csv;
        p = put_id(p, id, n_id);
        p = PUT_FIELD(p, w->csv_qty[quantity], w->csv_qty_len[quantity], SHORT);
        p = put_num(p, &value);
        p = put_mid(p, mid->csv, mid->csv_len);
        p = put_num(p, &truth_text);
        *p++ = '\n';
        cur->csv = p;
    }
}

/* put_lines_mid with the middles for measured time t, arrival at, quality
 * and quantity (in the tables' range). */
static CITY_ALWAYS_INLINE void put_lines(const CityReadingWriter *w, Cursors *cur, const char *id, size_t n_id,
                                         unsigned quantity, unsigned quality, double v, int64_t t, int64_t at,
                                         double truth, MidText *mid_kept)
{
    put_lines_mid(w, cur, id, n_id, quantity, v, truth, mid_text(mid_kept, t, at, quality, quantity));
}

/* Hands the blocks over when one may not have room for another line;
 * returns how many lines both have room for now (at least one). */
static inline size_t make_room(CityReadingWriter *w)
{
    if ((w->senml && w->n_senml > WRITER_BLOCK - CITY_SENML_LINE_MAX) ||
        (w->csv && w->n_csv > WRITER_BLOCK - CITY_SENML_LINE_MAX))
        city_reading_writer_flush(w);
    const size_t used = w->n_senml > w->n_csv ? w->n_senml : w->n_csv; /* 0 for an output that is off */
    return (WRITER_BLOCK - used) / CITY_SENML_LINE_MAX;
}

/* Where the next lines go (NULL: that output is off), and back. */
static inline Cursors cursors(CityReadingWriter *w)
{
    return (Cursors){w->senml ? w->senml_block + w->n_senml : NULL, w->csv ? w->csv_block + w->n_csv : NULL};
}
static inline void cursors_done(CityReadingWriter *w, const Cursors *cur)
{
    if (cur->senml)
        w->n_senml = (size_t)(cur->senml - w->senml_block);
    if (cur->csv)
        w->n_csv = (size_t)(cur->csv - w->csv_block);
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
    Cursors cur = cursors(w);
    put_lines(w, &cur, r->sensor, id_len(r->sensor), (unsigned)r->quantity, (unsigned)r->quality, r->value,
              r->measured_ms, r->arrives_ms, truth, &w->mid);
    cursors_done(w, &cur);
}

/* The lines go through local cursors, checked for room once per run of
 * lines that surely fit, not per line (stores into the blocks may alias
 * the writer, so its counts would be loaded and stored again per line). */
void city_reading_writer_put_reports(CityReadingWriter *w, const CitySensors *s, int64_t measured_ms,
                                     const CitySensorReport *r, size_t n)
{
    const uint32_t *at;
    const char *ids = city_sensors_ids(s, &at);
    city_reading_writer_put_batch(w, ids, at, measured_ms, r, n);
}

void city_reading_writer_put_batch(CityReadingWriter *w, const char *ids, const uint32_t *at, int64_t measured_ms,
                                   const CitySensorReport *r, size_t n)
{
    size_t k = 0;
    while (k < n) {
        const size_t fit = make_room(w), end = n - k < fit ? n : k + fit;
        Cursors cur = cursors(w);
        /* the kept middles, for this batch's one measured time: a reading
         * with their arrival, quality and quantity (checked in range when
         * they were formatted) takes them as they are */
        const MidText *mid = w->mid.t == measured_ms ? &w->mid : NULL;
        for (; k < end; k++) {
            const CitySensorReport *e = &r[k];
            const char *id = ids + at[e->channel];
            const size_t n_id = at[e->channel + 1] - at[e->channel] - 1;
            const uint32_t kind = (uint32_t)e->quality | (uint32_t)e->quantity << 8;
            if (mid && e->arrives_ms == mid->at && kind == mid->kind) {
                put_lines_mid(w, &cur, id, n_id, e->quantity, e->value, e->truth, mid);
                continue;
            }
            if (e->quantity >= CITY_QTY_COUNT_OF || e->quality >= CITY_QUALITY_COUNT_OF) {
                cursors_done(w, &cur);
                CityReading plain_r;
                city_reading_init(&plain_r, id, (CityQuantity)e->quantity, e->value, measured_ms, e->arrives_ms,
                                  (CityQuality)e->quality);
                put_plain(w, &plain_r, e->truth);
                cur = cursors(w);
                continue;
            }
            put_lines(w, &cur, id, n_id, e->quantity, e->quality, e->value, measured_ms, e->arrives_ms, e->truth,
                      &w->mid);
            mid = &w->mid;
        }
        cursors_done(w, &cur);
    }
}
