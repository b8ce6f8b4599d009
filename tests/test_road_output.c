/* The road's row formatting (trips.csv, edges.csv) writes what printf's
 * "%.3f" writes, byte for byte, and quotes CSV fields as RFC 4180 does:
 * checked against snprintf on numbers of every kind (halves in
 * thousandths, values at the edges of the exact range, negatives, -0,
 * infinities, NaN, the largest double, 200,000 random ones) and against a plain reference
 * quoter on names with and without special bytes, cut short or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "road_internal.h"

static void check_fixed3(double x)
{
    char want[512], got[512];
    snprintf(want, sizeof want, "%.3f", x);
    char *end = road_put_fixed3(got, x);
    assert_true(end - got < ROAD_FIXED3_MAX);
    *end = '\0';
    if (strcmp(want, got) != 0)
        fail_msg("%.17g: printf gives \"%s\", road_put_fixed3 \"%s\"", x, want, got);
}

static uint64_t next_u64(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void test_fixed3_matches_printf(void **state)
{
    (void)state;
    const double edges[] = {0.0,     -0.0,      0.0005,   0.0015,   0.0025,   1.0005,  2.5e-4,   0.1,
                            0.125,   1e-9,      -1e-9,    -0.0004,  -0.0005,  1.2345,  -1.2345,  147.4235,
                            3600.0,  9.9995,    99.9995,  999.9995, 4.5e12,   4.5e12 + 0.5,
                            0x1p42,  0x1p42 + 0.0005, 0x1p52 / 1000.0, 0x1p52 / 1000.0 + 1.0, 0x1p53 / 1000.0,
                            9e12,    1e13,      1e300,    -1e300,   INFINITY, -INFINITY, NAN,     DBL_MIN,
                            -DBL_MIN, 5e-324,  DBL_MAX, -DBL_MAX};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check_fixed3(edges[i]);
    /* every halfway thousandth up to 10 and its neighbours */
    for (int k = 0; k < 20000; k++) {
        double x = (k + 0.5) / 1000.0;
        check_fixed3(x);
        check_fixed3(nextafter(x, 0.0));
        check_fixed3(nextafter(x, INFINITY));
        check_fixed3(-x);
    }
    /* random times, lengths and speeds as the outputs hold them, and random bit patterns */
    uint64_t s = 42;
    for (int k = 0; k < 200000; k++) {
        uint64_t u = next_u64(&s);
        double x = (double)(u >> 11) * 0x1p-53 * pow(10.0, (double)(k % 12) - 2.0);
        check_fixed3(k & 1 ? -x : x);
        double bits;
        memcpy(&bits, &u, sizeof bits);
        check_fixed3(bits);
    }
}

/* The field as RFC 4180 writes it, cut to what fits in len bytes with a NUL. */
static void reference_field(char *out, size_t len, const char *s)
{
    bool quote = strpbrk(s, ",\"\n\r") != NULL;
    char *p = out, *end = out + (quote ? len - 3 : len - 1);
    if (quote)
        *p++ = '"';
    for (; *s && p < end; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    if (quote)
        *p++ = '"';
    *p = '\0';
}

static void test_csv_field_quotes_as_rfc4180(void **state)
{
    (void)state;
    const char *names[] = {"",          "4",           "DEFAULT_VEHTYPE", "a,b",     "say \"hi\"", "\"",
                           "line\nnext", "cr\r",       ",",               "-909315380#0_1", "trip.1",
                           "0123456789", "012345678,", "0123456789,x",    "01234567\"9"};
    const size_t lens[] = {3, 5, 8, 11, 12, 256};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
            char want[512], got[512];
            reference_field(want, lens[j], names[i]);
            char *end = road_put_csv_field(got, lens[j], names[i]);
            *end = '\0';
            if (strcmp(want, got) != 0)
                fail_msg("field \"%s\" in %zu bytes: \"%s\", want \"%s\"", names[i], lens[j], got, want);
            assert_true((size_t)(end - got) < lens[j]);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed3_matches_printf),
        cmocka_unit_test(test_csv_field_quotes_as_rfc4180),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
