/* Readings as SenML JSON lines and CSV: exact round trips, base fields,
 * one clear error per malformed pack, and a fixed-seed mutation fuzz that
 * holds the reader to "parses, or refuses with a located message". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_reading.h"
#include "city_rng.h"
#include "city_senml.h"
#include "city_sensor.h"

static void assert_reading_equal(const CityReading *a, const CityReading *b)
{
    assert_string_equal(a->sensor, b->sensor);
    assert_int_equal(a->quantity, b->quantity);
    assert_true(a->value == b->value);
    assert_string_equal(a->unit, b->unit);
    assert_int_equal(a->measured_ms, b->measured_ms);
    assert_int_equal(a->arrives_ms, b->arrives_ms);
    assert_int_equal(a->quality, b->quality);
}

static void test_quantity_tables(void **state)
{
    (void)state;
    for (int q = 0; q < CITY_QTY_COUNT_OF; q++) {
        CityQuantity back;
        assert_non_null(city_quantity_name((CityQuantity)q));
        assert_non_null(city_quantity_unit((CityQuantity)q));
        assert_true(city_quantity_parse(city_quantity_name((CityQuantity)q), &back));
        assert_int_equal(back, q);
    }
    assert_string_equal(city_quantity_unit(CITY_QTY_PM25), "ug/m3");
    assert_null(city_quantity_name(CITY_QTY_COUNT_OF));
    assert_true(city_sensor_name_valid("loop.e12_0:1-a"));
    assert_false(city_sensor_name_valid("_x"));
    assert_false(city_sensor_name_valid("a/b"));
    assert_false(city_sensor_name_valid("a b"));
    assert_false(city_sensor_name_valid(""));
    char longname[CITY_SENSOR_NAME_MAX + 1];
    memset(longname, 'a', sizeof longname - 1);
    longname[CITY_SENSOR_NAME_MAX] = '\0';
    assert_false(city_sensor_name_valid(longname));
    longname[CITY_SENSOR_NAME_MAX - 1] = '\0'; /* 63 bytes fit */
    assert_true(city_sensor_name_valid(longname));
}

static void test_line_and_row_exact(void **state)
{
    (void)state;
    CityReading r;
    city_reading_init(&r, "loop.e12_0", CITY_QTY_COUNT, 12, 60000, 60500, CITY_QUALITY_GOOD);
    char line[CITY_SENML_LINE_MAX];
    assert_true(city_senml_format(line, sizeof line, &r, 12.0) > 0);
    assert_string_equal(line, "[{\"n\":\"loop.e12_0/count\",\"u\":\"count\",\"v\":12,\"t\":60.000,\"at\":60.500,"
                              "\"q\":\"good\",\"truth\":12}]\n");
    city_reading_init(&r, "pm.3", CITY_QTY_PM25, 0.1, 1, 1, CITY_QUALITY_BAD);
    assert_true(city_senml_format(line, sizeof line, &r, NAN) > 0);
    assert_string_equal(line,
                        "[{\"n\":\"pm.3/pm25\",\"u\":\"ug/m3\",\"v\":0.1,\"t\":0.001,\"at\":0.001,\"q\":\"bad\"}]\n");
    assert_int_equal(city_senml_format(line, 20, &r, NAN), 0);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    city_reading_csv_header(f);
    city_reading_csv_write(f, &r, 0.25);
    city_reading_init(&r, "meter.b7", CITY_QTY_ENERGY, 1.5, 900000, 903250, CITY_QUALITY_UNCERTAIN);
    city_reading_csv_write(f, &r, NAN);
    fclose(f);
    assert_string_equal(buf, "sensor,quantity,value,unit,measured_s,arrives_s,quality,truth\n"
                             "pm.3,pm25,0.1,ug/m3,0.001,0.001,bad,0.25\n"
                             "meter.b7,energy,1.5,kWh,900.000,903.250,uncertain,\n");
    free(buf);
}

static void test_round_trip(void **state)
{
    (void)state;
    const double values[] = {0.1, -3.7, 1e-300, 123456789.123456789, 2.0 / 3.0, 0.0};
    CityRng rng;
    city_rng_seed(&rng, 5, 1);
    for (int i = 0; i < 600; i++) {
        CityReading r, back;
        char name[32];
        snprintf(name, sizeof name, "s%d.x", i);
        int64_t t = (int64_t)city_rng_below(&rng, 86400000u);
        city_reading_init(&r, name, (CityQuantity)(i % CITY_QTY_COUNT_OF), values[i % 6] * (1 + i), t,
                          t + (int64_t)city_rng_below(&rng, 5000u), (CityQuality)(i % 3));
        double truth = i % 4 ? city_rng_normal(&rng) : NAN, truth_back;
        char line[CITY_SENML_LINE_MAX];
        size_t len = city_senml_format(line, sizeof line, &r, truth), n = 9;
        CityError err = {0};
        assert_int_equal(city_senml_parse(line, len, "rt", &back, &truth_back, 1, &n, &err), CITY_OK);
        assert_int_equal(n, 1);
        assert_reading_equal(&r, &back);
        if (isnan(truth))
            assert_true(isnan(truth_back));
        else
            assert_true(truth == truth_back);
    }
}

static void test_base_fields(void **state)
{
    (void)state;
    const char *pack =
        "[{\"bn\":\"meter.b1/\",\"bt\":900,\"bu\":\"kWh\",\"bver\":10,\"n\":\"energy\",\"v\":2.5,"
        "\"ut\":900},\n {\"n\":\"energy\",\"t\":900,\"v\":2.25,\"at\":901.5,\"truth\":null},"
        "{\"bn\":\"\",\"n\":\"t1/temperature\",\"u\":\"Cel\",\"v\":31.5,\"t\":-900,\"q\":\"uncertain\"}]";
    CityReading r[4];
    double truth[4];
    size_t n = 0;
    CityError err = {0};
    assert_int_equal(city_senml_parse(pack, strlen(pack), "p", r, truth, 4, &n, &err), CITY_OK);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].sensor, "meter.b1");
    assert_int_equal(r[0].quantity, CITY_QTY_ENERGY);
    assert_int_equal(r[0].measured_ms, 900000);
    assert_int_equal(r[0].arrives_ms, 900000);
    assert_true(isnan(truth[0]) && isnan(truth[1]));
    assert_int_equal(r[1].measured_ms, 1800000);
    assert_int_equal(r[1].arrives_ms, 1801500);
    assert_true(r[1].value == 2.25);
    assert_string_equal(r[2].sensor, "t1");
    assert_int_equal(r[2].measured_ms, 0);
    assert_int_equal(r[2].quality, CITY_QUALITY_UNCERTAIN);
    /* the same pack into room for two records */
    assert_int_equal(city_senml_parse(pack, strlen(pack), "p", r, NULL, 2, &n, &err), CITY_ERR_LIMIT);
    assert_int_equal(n, 0);
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg; /* a part of the one-line error */
    } cases[] = {
        {"", "empty SenML pack"},
        {"{\"n\":\"a/count\",\"v\":1}", "non-empty JSON array"},
        {"[]", "non-empty JSON array"},
        {"[{\"n\":\"a/count\",\"v\":1}] x", "characters after the SenML pack"},
        {"[{\"n\":\"a/count\",\"v\":1}", "not valid JSON"},
        {"[1]", "record 0: a record must be a JSON object"},
        {"[{\"n\":\"a/count\"}]", "record 0: the record has no value"},
        {"[{\"n\":\"a/count\",\"v\":\"1\"}]", "label \"v\" must be a number"},
        {"[{\"n\":\"a/count\",\"vs\":\"1\"}]", "only numeric values"},
        {"[{\"n\":\"a/count\",\"v\":1,\"x\":1}]", "unknown label \"x\""},
        {"[{\"n\":\"a/count\",\"v\":1,\"v\":2}]", "label \"v\" appears twice"},
        {"[{\"n\":\"a/lux\",\"v\":1}]", "unknown quantity \"lux\""},
        {"[{\"n\":\"count\",\"v\":1}]", "is not \"sensor/quantity\""},
        {"[{\"n\":\"a b/count\",\"v\":1}]", "sensor id \"a b\" is not valid"},
        {"[{\"n\":\"a/pm25\",\"u\":\"mg/m3\",\"v\":1}]", "unit \"mg/m3\" is not the unit of pm25"},
        {"[{\"n\":\"a/count\",\"v\":1e999}]", "not a finite number"},
        {"[{\"n\":\"a/count\",\"v\":1,\"t\":-1}]", "time \"t\" must be between"},
        {"[{\"n\":\"a/count\",\"v\":1,\"t\":5,\"at\":4}]", "before the measured time"},
        /* a fuzz finding: this time did not survive a format/parse round trip to the millisecond */
        {"[{\"n\":\"h/pm25\",\"v\":0,\"at\":4444444444444.44444411212}]", "time \"at\" must be between 0 and 1e12"},
        {"[{\"n\":\"a/count\",\"v\":1,\"q\":\"ok\"}]", "quality \"ok\""},
        {"[{\"n\":\"a/count\",\"v\":1,\"bver\":9}]", "\"bver\" must be an integer"},
        {"[{\"n\":\"a/count\",\"v\":1},{\"n\":\"b/count\",\"v\":true}]", "record 1: label \"v\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CityReading r[2];
        size_t n = 7;
        CityError err = {0};
        CityStatus st = city_senml_parse(cases[i].text, strlen(cases[i].text), "in.jsonl:3", r, NULL, 2, &n, &err);
        if (st != CITY_ERR_PARSE || !strstr(err.msg, cases[i].msg) || strncmp(err.msg, "in.jsonl:3: ", 12) != 0)
            fail_msg("case %zu (%s): status %d, message \"%s\"", i, cases[i].text, st, err.msg);
        assert_int_equal(n, 0);
        assert_null(strchr(err.msg, '\n'));
        /* the same without a place for the message: the same status (it crashed on a label's error) */
        n = 7;
        assert_int_equal(city_senml_parse(cases[i].text, strlen(cases[i].text), NULL, r, NULL, 2, &n, NULL), st);
        assert_int_equal(n, 0);
    }
    /* a NUL inside the payload is refused, bytes beyond len are never read */
    const char nul[] = "[{\"n\":\"a/count\",\"v\":1}]\0]";
    CityReading r;
    size_t n;
    CityError err = {0};
    assert_int_equal(city_senml_parse(nul, sizeof nul - 1, "m", &r, NULL, 1, &n, &err), CITY_ERR_PARSE);
    assert_int_equal(city_senml_parse(nul, strlen(nul), "m", &r, NULL, 1, &n, &err), CITY_OK);
}

/* Mutates valid lines (flips, deletions, insertions of JSON-ish bytes,
 * truncations) with a fixed seed. Every outcome is either a parse whose
 * readings survive a second format/parse unchanged, or a refusal with a
 * located one-line message. Runs under the sanitizers in the ASan build. */
static void test_fuzz_mutations(void **state)
{
    (void)state;
    static const char alphabet[] = "[]{}\":,.-+e0123456789abnqtuv/ \\\x01\xff";
    CityRng rng;
    city_rng_seed(&rng, 13, 2);
    int parsed = 0, refused = 0;
    for (int i = 0; i < 20000; i++) {
        CityReading r;
        city_reading_init(&r, "cam.7", (CityQuantity)(i % CITY_QTY_COUNT_OF), i * 0.37, 1000 * i, 1000 * i + 250,
                          CITY_QUALITY_GOOD);
        char line[CITY_SENML_LINE_MAX + 16];
        size_t len = city_senml_format(line, CITY_SENML_LINE_MAX, &r, 1.0);
        int edits = 1 + (int)city_rng_below(&rng, 3);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = city_rng_below(&rng, len);
            switch (city_rng_below(&rng, 4)) {
            case 0:
                line[at] = alphabet[city_rng_below(&rng, sizeof alphabet - 1)];
                break;
            case 1:
                memmove(line + at, line + at + 1, len - at - 1);
                len--;
                break;
            case 2:
                if (len + 1 < sizeof line) {
                    memmove(line + at + 1, line + at, len - at);
                    line[at] = alphabet[city_rng_below(&rng, sizeof alphabet - 1)];
                    len++;
                }
                break;
            default:
                len = at;
            }
        }
        /* exactly len bytes in a heap block, so ASan catches any overread */
        char *text = malloc(len ? len : 1);
        memcpy(text, line, len);
        CityReading out[4], again;
        size_t n = 0, n2 = 0;
        CityError err = {0};
        CityStatus st = city_senml_parse(text, len, "fuzz", out, NULL, 4, &n, &err);
        free(text);
        if (st == CITY_OK) {
            parsed++;
            assert_true(n >= 1 && n <= 4);
            char again_line[CITY_SENML_LINE_MAX];
            size_t len2 = city_senml_format(again_line, sizeof again_line, &out[0], NAN);
            assert_true(len2 > 0);
            assert_int_equal(city_senml_parse(again_line, len2, "again", &again, NULL, 1, &n2, &err), CITY_OK);
            assert_reading_equal(&out[0], &again);
        } else {
            refused++;
            if ((st != CITY_ERR_PARSE && st != CITY_ERR_LIMIT) || strncmp(err.msg, "fuzz: ", 6) != 0)
                fail_msg("mutation %d: status %d, message \"%s\"", i, st, err.msg);
            assert_int_equal(n, 0);
        }
    }
    /* both outcomes must be exercised, or the fuzz proves nothing */
    assert_true(parsed > 500);
    assert_true(refused > 5000);
}

/* Fails unless the CSV writer's text for v is the C library's shortest of
 * %.15g and %.17g that reads back, byte for byte. */
static void check_number(double v)
{
    char want[40];
    snprintf(want, sizeof want, "%.15g", v);
    if (strtod(want, NULL) != v)
        snprintf(want, sizeof want, "%.17g", v);
    CityReading r;
    city_reading_init(&r, "x", CITY_QTY_PM25, v, 0, 0, CITY_QUALITY_GOOD);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    city_reading_csv_write(f, &r, NAN);
    fclose(f);
    char got[64];
    const char *cell = buf + strlen("x,pm25,");
    size_t n = (size_t)(strchr(cell, ',') - cell);
    memcpy(got, cell, n);
    got[n] = '\0';
    free(buf);
    if (strcmp(got, want) != 0)
        fail_msg("value %.17g: wrote \"%s\", printf says \"%s\"", v, got, want);
}

/* The writer formats numbers without printf; its text must be the C
 * library's shortest of %.15g and %.17g that reads back, byte for byte, for
 * integers, short decimals, sensor-like values and arbitrary doubles. */
static void test_numbers_as_printf(void **state)
{
    (void)state;
    /* the edges: 15 digits that round up to the next power of ten (one
     * needing an exponent), the range's ends, ties */
    static const double edges[] = {999999999999999.6,
                                   999999999999999.5,
                                   999999999999999.4,
                                   99999999999999.99,
                                   9.9999999999999995,
                                   0.0001,
                                   0.00010000000000000001,
                                   0.000099999999999999991,
                                   1e15,
                                   123456789012345.5,
                                   0.5,
                                   2.5};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        check_number(edges[i]);
        check_number(-edges[i]);
    }
    CityRng rng;
    city_rng_seed(&rng, 11, 2);
    for (int i = 0; i < 320000; i++) {
        double v;
        switch (i % 8) {
        case 0: /* integers, counts */
            v = (double)(int64_t)city_rng_below(&rng, 2000000000u) - 1e9;
            break;
        case 1: /* quantized decimals */
            v = nearbyint(city_rng_normal(&rng) * 1e4) / 10.0;
            break;
        case 2: /* concentrations */
            v = 15.0 + 40.0 * city_rng_uniform(&rng);
            break;
        case 3: /* anything, over many magnitudes */
            v = city_rng_normal(&rng) * pow(10.0, (double)city_rng_below(&rng, 40u) - 20.0);
            break;
        case 4: /* edges of the fast path */
            v = (i & 8 ? -1.0 : 1.0) * pow(10.0, (double)city_rng_below(&rng, 22u) - 5.0) *
                (1.0 + (double)((int)city_rng_below(&rng, 3u) - 1) * 1e-15);
            break;
        case 5: { /* any bit pattern from 1e-5 to 1e16 (both paths, every mantissa) */
            const uint64_t lo = 0x3EE4F8B588E368F1ull, hi = 0x4341C37937E08000ull; /* 1e-5, 1e16 */
            const uint64_t bits = lo + city_rng_next(&rng) % (hi - lo);
            memcpy(&v, &bits, sizeof v);
            break;
        }
        case 6: /* ties: a 16th or 18th digit that is exactly 5, and powers of two (the
                 * neighbour below half as far) */
            if (i & 8)
                v = ((double)city_rng_below(&rng, 1000000000u) * 1e5 + 0.5) * (i & 16 ? 1.0 : 0.25);
            else
                v = ldexp(1.0, (int)city_rng_below(&rng, 63u) - 13);
            break;
        default: { /* a short decimal and its neighbours, which need 17 digits */
            const double base = nearbyint(city_rng_uniform(&rng) * 1e6) / 1e3;
            v = (i & 8) ? nextafter(base, INFINITY) : (i & 16) ? nextafter(base, 0.0) : base;
        }
        }
        check_number(v);
    }
}

/* The two-file writer must write exactly what city_senml_write and
 * city_reading_csv_write write, reading by reading, across its block
 * boundaries and its kept times: integers, quantized decimals, negatives,
 * zeros, NaN and infinite values and truths (SenML "v":0 and no "truth";
 * empty CSV cells), shared and changing times, each quality, and a unit or
 * quality outside the tables. */
static void test_writer_as_lines(void **state)
{
    (void)state;
    char *want_senml = NULL, *want_csv = NULL, *got_senml = NULL, *got_csv = NULL;
    size_t n_ws = 0, n_wc = 0, n_gs = 0, n_gc = 0;
    FILE *ws = open_memstream(&want_senml, &n_ws), *wc = open_memstream(&want_csv, &n_wc);
    FILE *gs = open_memstream(&got_senml, &n_gs), *gc = open_memstream(&got_csv, &n_gc);
    CityReadingWriter *w = city_reading_writer_create(gs, gc);
    assert_non_null(w);
    CityRng rng;
    city_rng_seed(&rng, 13, 3);
    int64_t t = 0;
    for (int i = 0; i < 30000; i++) {
        if (i % 97 == 0)
            t += 1000 * (int64_t)city_rng_below(&rng, 3u); /* a tick's readings share their time */
        double v;
        switch (i % 7) {
        case 0:
            v = (double)(int)city_rng_below(&rng, 2000u) - 1000.0;
            break;
        case 1:
            v = nearbyint(city_rng_normal(&rng) * 100.0) / 10.0;
            break;
        case 2:
            v = i % 2 ? 0.0 : -0.0;
            break;
        case 3:
            v = i % 3 ? NAN : -INFINITY;
            break;
        case 4:
            v = city_rng_normal(&rng) * pow(10.0, (double)city_rng_below(&rng, 60u) - 30.0);
            break;
        case 5: { /* integers about the edge of plain digits (1e15) and of exact doubles (2^53) */
            const double edges[] = {999999999999999.0, 1e15, 1e15 + 2.0, 4503599627370497.0, 9007199254740992.0};
            v = (i % 2 ? -1.0 : 1.0) * edges[city_rng_below(&rng, 5u)];
            break;
        }
        default:
            v = 15.0 + 40.0 * city_rng_uniform(&rng);
        }
        const double truth = i % 5 == 0 ? NAN : i % 5 == 1 ? v : i % 11 == 2 ? INFINITY : v + city_rng_normal(&rng);
        char name[32];
        snprintf(name, sizeof name, "%s%d", i % 2 ? "pm." : "loop.e12_0:", i % 1000);
        CityReading r;
        const int64_t latency = i % 3 ? 500 : (int64_t)city_rng_below(&rng, 5000u);
        city_reading_init(&r, name, (CityQuantity)(i % CITY_QTY_COUNT_OF), v, t, t + latency, (CityQuality)(i % 3));
        if (i % 1000 == 999) /* a unit or quality of the caller's own */
            r.unit = "mg/m3";
        else if (i % 1000 == 998)
            r.quality = (CityQuality)7;
        city_senml_write(ws, &r, truth);
        city_reading_csv_write(wc, &r, truth);
        city_reading_writer_put(w, &r, truth);
        if (i == 20000) /* a flush mid-way changes nothing */
            assert_true(city_reading_writer_flush(w));
    }
    assert_true(city_reading_writer_flush(w));
    city_reading_writer_destroy(w);
    fclose(ws);
    fclose(wc);
    fclose(gs);
    fclose(gc);
    assert_true(n_ws > 2000000); /* several blocks */
    assert_int_equal(n_gs, n_ws);
    assert_int_equal(n_gc, n_wc);
    assert_memory_equal(got_senml, want_senml, n_ws);
    assert_memory_equal(got_csv, want_csv, n_wc);
    free(want_senml);
    free(want_csv);
    free(got_senml);
    free(got_csv);
}

/* One output alone, and nothing reaches the file before a flush. */
static void test_writer_one_output(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CityReadingWriter *w = city_reading_writer_create(NULL, f);
    CityReading r;
    city_reading_init(&r, "meter.b7", CITY_QTY_ENERGY, 1.5, 900000, 903250, CITY_QUALITY_UNCERTAIN);
    city_reading_writer_put(w, &r, NAN);
    fflush(f);
    assert_int_equal(len, 0);
    assert_true(city_reading_writer_flush(w));
    fflush(f);
    assert_string_equal(buf, "meter.b7,energy,1.5,kWh,900.000,903.250,uncertain,\n");
    city_reading_writer_destroy(w);
    fclose(f);
    free(buf);
}

/* Three ways to write a run's readings, fed the same batches. */
typedef struct Fan {
    CityReadingWriter *direct;         /* put_reports in the sink */
    CityReadingPipe *threaded, *alone; /* the pipe with its thread, and without */
} Fan;

static void fan_sink(void *user, const CitySensors *s, int64_t measured_ms, const CitySensorReport *r, size_t n)
{
    Fan *f = user;
    city_reading_writer_put_reports(f->direct, s, measured_ms, r, n);
    city_reading_pipe_sink(f->threaded, s, measured_ms, r, n);
    city_reading_pipe_sink(f->alone, s, measured_ms, r, n);
}

/* A file in memory for each output of a writer. */
typedef struct MemOut {
    char *senml, *csv;
    size_t n_senml, n_csv;
    FILE *f_senml, *f_csv;
    CityReadingWriter *w;
} MemOut;

static void mem_open(MemOut *m)
{
    m->f_senml = open_memstream(&m->senml, &m->n_senml);
    m->f_csv = open_memstream(&m->csv, &m->n_csv);
    m->w = city_reading_writer_create(m->f_senml, m->f_csv);
    assert_non_null(m->w);
}

static void mem_close(MemOut *m)
{
    assert_true(city_reading_writer_flush(m->w));
    city_reading_writer_destroy(m->w);
    fclose(m->f_senml);
    fclose(m->f_csv);
}

/* The readings' writer on its own thread writes what the writer writes in
 * place, byte for byte: 3,000 channels at 1 Hz for 80 s (240,000
 * readings, three loads handed over), sampled aside on the sensors' own
 * thread too, with channels added mid-run (the pipe's copy of the ids
 * renewed) and noise, dropout, two latencies and arbitrary truths. */
static void test_pipe_as_writer(void **state)
{
    (void)state;
    CityWorldConfig cfg = {9, 1000};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    for (int i = 0; i < 3000; i++) {
        char name[32];
        snprintf(name, sizeof name, i % 3 ? "pm.%d" : "site-%05d", i);
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_AIR, i % 5 ? CITY_QTY_PM25 : CITY_QTY_PM10, name);
        d.noise_sd = 1.5;
        d.quantum = i % 2 ? 1.0 : 0.0;
        d.dropout_p = 0.05;
        d.latency_s = i % 4 ? 0.0 : 2.0;
        assert_true(city_sensor_add(w, &d) >= 0);
    }
    CitySensors *s = city_sensors_of(w);
    city_sensors_set_aside(s, 1);
    MemOut direct = {0}, threaded = {0}, alone = {0};
    mem_open(&direct);
    mem_open(&threaded);
    mem_open(&alone);
    Fan f = {direct.w, city_reading_pipe_create(threaded.w, true), city_reading_pipe_create(alone.w, false)};
    assert_non_null(f.threaded);
    assert_non_null(f.alone);
    assert_true(city_sensors_set_batch_sink(s, fan_sink, &f));
    for (int64_t t = 0; t < 80; t++) {
        if (t == 40)
            for (int i = 0; i < 50; i++) {
                char name[32];
                snprintf(name, sizeof name, "late-%d", i);
                CitySensorDef d = city_sensor_def_default(CITY_SENSOR_AIR, CITY_QTY_PM25, name);
                assert_true(city_sensor_add(w, &d) >= 0);
            }
        assert_int_equal(city_world_step(w), CITY_OK);
        for (int32_t i = 0; i < city_sensor_count(s); i++)
            city_sensor_feed_value(s, i, 20.0 + 15.0 * sin(0.01 * (double)t + i) / 3.0);
    }
    assert_true(city_sensors_set_batch_sink(s, NULL, NULL));
    city_reading_pipe_close(f.threaded);
    city_reading_pipe_close(f.alone);
    mem_close(&direct);
    mem_close(&threaded);
    mem_close(&alone);
    assert_true(direct.n_senml > 20000000 && direct.n_csv > 10000000);
    assert_int_equal(threaded.n_senml, direct.n_senml);
    assert_int_equal(threaded.n_csv, direct.n_csv);
    assert_int_equal(alone.n_senml, direct.n_senml);
    assert_int_equal(alone.n_csv, direct.n_csv);
    assert_memory_equal(threaded.senml, direct.senml, direct.n_senml);
    assert_memory_equal(threaded.csv, direct.csv, direct.n_csv);
    assert_memory_equal(alone.senml, direct.senml, direct.n_senml);
    assert_memory_equal(alone.csv, direct.csv, direct.n_csv);
    assert_non_null(strstr(direct.csv + direct.n_csv - 4000, "late-"));
    free(direct.senml);
    free(direct.csv);
    free(threaded.senml);
    free(threaded.csv);
    free(alone.senml);
    free(alone.csv);
    city_world_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantity_tables),   cmocka_unit_test(test_line_and_row_exact),
        cmocka_unit_test(test_round_trip),        cmocka_unit_test(test_base_fields),
        cmocka_unit_test(test_refusals),          cmocka_unit_test(test_fuzz_mutations),
        cmocka_unit_test(test_numbers_as_printf), cmocka_unit_test(test_writer_as_lines),
        cmocka_unit_test(test_writer_one_output), cmocka_unit_test(test_pipe_as_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
