/* The MATLAB forms MATPOWER case files are written in, read as MATPOWER
 * reads them. Each expression form gets its value checked against what
 * GNU Octave computes for the same text (the numbers below were printed by
 * Octave 8 with mat2str(v, 17)); each statement form gets a case file of
 * our own making (tests/data/matpower/mp_*.m) solved against MATPOWER's
 * own solution of it (ref/, made by scripts/matpower_ref.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_matpower_ref.h"

/* Evaluates `mpc.gen = EXPR;` in a minimal case; the values of the result. */
static int eval(const char *expr, double *out, int max)
{
    char text[1024];
    CityError err;
    snprintf(text, sizeof text,
             "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9];\npf = 0.85;\nmpc.gen = %s;\n", expr);
    CityMpCase mp;
    CityStatus st = city_matpower_parse(text, strlen(text), "expr.m", &mp, &err);
    if (st != CITY_OK)
        fprintf(stderr, "%s: %s\n", expr, err.msg);
    assert_int_equal(st, CITY_OK);
    int n = mp.gen.rows * mp.gen.cols;
    for (int i = 0; i < n && i < max; i++)
        out[i] = mp.gen.v[i];
    city_matpower_free(&mp);
    return n;
}

static void check(const char *expr, const double *want, int n)
{
    double got[16];
    assert_int_equal(eval(expr, got, 16), n);
    for (int i = 0; i < n; i++) {
        if (fabs(got[i] - want[i]) > 1e-15 * fmax(1, fabs(want[i])))
            fprintf(stderr, "%s: element %d is %.17g, Octave says %.17g\n", expr, i + 1, got[i], want[i]);
        assert_true(fabs(got[i] - want[i]) <= 1e-15 * fmax(1, fabs(want[i])));
    }
}

static void check1(const char *expr, double want)
{
    check(expr, &want, 1);
}

static void test_power_factor_and_roots(void **state)
{
    (void)state;
    check1("sin(acos(pf))", 0.52678268764263692); /* case141, case85: Q from S and a power factor */
    check1("12.66/sqrt(3)", 7.3092544079406627);  /* case533mt: phase kV */
    check1("50/3", 16.666666666666668);           /* case533mt: baseMVA */
}

static void test_arithmetic_precedence(void **state)
{
    (void)state;
    check1("2^-2", 0.25);
    check1("-2^2", -4);
    check1("(1+2)*3-4/8", 8.5);
    const double row[] = {3, -6};
    check("[1 -2] * 3", row, 2); /* "1 -2" in brackets: two elements */
}

static void test_elementary_functions(void **state)
{
    (void)state;
    check1("abs(-3)+floor(2.7)+ceil(2.2)+round(2.5)+fix(-2.7)", 9);
    check1("exp(1)*log(2)+log10(1000)", 4.8841693853637196);
    check1("cos(pi/3)+tan(pi/4)+asin(1)+atan(1)", 3.8561944901923448);
    check1("sign(-4)+sign(0)", -1);
}

static void test_comparisons_and_logic(void **state)
{
    (void)state;
    check1("3 > 2 & 2 >= 2 | 0", 1);
    check1("~(1 == 2) && (3 ~= 3 || 1 <= 0.5)", 0);
    check1("isinf(-Inf) + isnan(NaN)", 2);
    check1("any([0 0 1]) + all([1 1 0])", 1);
}

static void test_ranges_sizes_and_find(void **state)
{
    (void)state;
    check1("numel(1:0.5:3)", 5);
    check1("length([1 2; 3 4; 5 6])", 3);
    check1("size(ones(3, 2), 1) * 10 + size(zeros(3, 2), 2)", 32);
    const double idx[] = {2, 4};
    check("find([0 3 0 5])", idx, 2);
    const double col[] = {1, 2, 3};
    check("(1:3)'", col, 3);
    CityError err;
    CityMpCase mp;
    const char *text = "mpc.baseMVA = 1; v = 1:3; mpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1 1];\n"
                       "mpc.bus(1, 3) = v(end) * 100 + v(2);";
    assert_int_equal(city_matpower_parse(text, strlen(text), "t.m", &mp, &err), CITY_OK);
    assert_true(mp.bus.v[2] == 302); /* Octave: 302 */
    city_matpower_free(&mp);
}

/* Ohms and kVA with a power factor, converted by column updates with the
 * idx_bus / idx_brch names (the style of case141, case85, case33bw). */
static void test_unit_conversions_case(void **state)
{
    (void)state;
    CityPfReport r;
    city_grid_destroy(mp_check_case("mp_units", "NR", 0, &r));
}

/* Expressions as matrix elements, x(i) indexing, ranges with end, .* (case533mt's style). */
static void test_element_expressions_case(void **state)
{
    (void)state;
    CityPfReport r;
    city_grid_destroy(mp_check_case("mp_elements", "NR", 0, &r));
}

/* define_constants, if / elseif / else blocks, find(isinf(...) & ...) (the PEGASE cases' style). */
static void test_if_blocks_case(void **state)
{
    (void)state;
    CityPfReport r;
    city_grid_destroy(mp_check_case("mp_blocks", "NR", 0, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_factor_and_roots),   cmocka_unit_test(test_arithmetic_precedence),
        cmocka_unit_test(test_elementary_functions),     cmocka_unit_test(test_comparisons_and_logic),
        cmocka_unit_test(test_ranges_sizes_and_find),    cmocka_unit_test(test_unit_conversions_case),
        cmocka_unit_test(test_element_expressions_case), cmocka_unit_test(test_if_blocks_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
