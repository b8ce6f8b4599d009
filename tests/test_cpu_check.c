/* The processor check of builds made for this processor
 * (sim/app/cpu_check.c): which instruction sets a processor lacks, and
 * how they are named in the one line the programs stop with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cpu_check.h"

static const char *const features[] = {"sse4.2", "avx", "avx2", "bmi2", NULL};

static bool has_all(const char *f)
{
    (void)f;
    return true;
}

/* an older processor: SSE 4.2 and AVX, neither AVX2 nor BMI2 */
static bool has_old(const char *f)
{
    return !strcmp(f, "sse4.2") || !strcmp(f, "avx");
}

static void test_nothing_missing(void **state)
{
    (void)state;
    char buf[64] = "x";
    assert_int_equal(city_cpu_missing(buf, sizeof buf, has_all, features), 0);
    assert_string_equal(buf, "");
}

static void test_missing_sets_named(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(city_cpu_missing(buf, sizeof buf, has_old, features), 2);
    assert_string_equal(buf, "avx2 bmi2");
}

/* a name that does not fit is counted, never cut: the line stays true */
static void test_names_that_do_not_fit(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(city_cpu_missing(buf, sizeof buf, has_old, features), 2);
    assert_string_equal(buf, "avx2");
    assert_int_equal(city_cpu_missing(buf, 4, has_old, features), 2);
    assert_string_equal(buf, "");
    static const char *const none[] = {NULL};
    assert_int_equal(city_cpu_missing(buf, sizeof buf, has_old, none), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_missing),
        cmocka_unit_test(test_missing_sets_named),
        cmocka_unit_test(test_names_that_do_not_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
