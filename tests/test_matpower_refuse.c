/* What the MATPOWER reader refuses, and how: a case with no source (no
 * generator in service, no reference bus, or a reference bus without a
 * generator) is refused by `citylab pf` with exit code 2 and one line
 * naming the file, where it used to be "solved" with every bus dead; and
 * every MATLAB form the reader does not evaluate is refused with file:line
 * instead of being skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_matpower_ref.h"

#define BUSES                                                                                                          \
    "mpc.baseMVA = 100;\n"                                                                                             \
    "mpc.bus = [\n"                                                                                                    \
    "  1 %d 0 0 0 0 1 1 0 10 1 1.1 0.9;\n"                                                                             \
    "  2 1 10 5 0 0 1 1 0 10 1 1.1 0.9;\n"                                                                             \
    "];\n"                                                                                                             \
    "mpc.branch = [1 2 0.01 0.1 0 0 0 0 0 0 1 -360 360];\n"

/* Writes a two-bus case (bus 1 of type bus1_type, one generator at bus 1
 * with the given status, or none) and runs `citylab pf` on it. */
static CityTestRun run_case(const char *name, int bus1_type, int gen_status)
{
    char text[1024], path[512];
    int n = snprintf(text, sizeof text, BUSES, bus1_type);
    if (gen_status >= 0)
        snprintf(text + n, sizeof text - (size_t)n, "mpc.gen = [1 0 0 100 -100 1 100 %d 100 0];\n", gen_status);
    snprintf(path, sizeof path, "%s/%s.m", city_test_scratch(name), name);
    assert_true(city_test_write_file(path, text));
    const char *args[] = {"pf", path, NULL};
    CityTestRun r = city_test_run(args, 60);
    printf("  %s: exit %d: %s", name, r.exit_code, r.err);
    return r;
}

static void test_refuses_case_without_generator(void **state)
{
    (void)state;
    CityTestRun r = run_case("mp_nogen", 3, -1);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "nogen.m:"));
    assert_non_null(strstr(r.err, "no generator in service"));
    assert_null(strstr(r.out, "# success"));
    city_test_run_free(&r);
    r = run_case("mp_gen_off", 3, 0); /* a generator, out of service */
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "mp_gen_off.m:7: the case has no generator in service (mpc.gen has 1 rows"));
    city_test_run_free(&r);
}

static void test_refuses_case_without_reference_bus(void **state)
{
    (void)state;
    CityTestRun r = run_case("mp_noref", 2, 1); /* bus 1 is PV: no type 3 bus */
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "mp_noref.m:3: the case has no reference bus (no row of mpc.bus has type 3)"));
    city_test_run_free(&r);
    /* a reference bus, but the only generator sits elsewhere */
    char path[512];
    snprintf(path, sizeof path, "%s/refnogen.m", city_test_scratch("mp_refnogen"));
    assert_true(city_test_write_file(path,
                                     "mpc.baseMVA = 100;\n"
                                     "mpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9; 2 2 10 5 0 0 1 1 0 10 1 1.1 0.9];\n"
                                     "mpc.gen = [2 0 0 100 -100 1 100 1 100 0];\n"
                                     "mpc.branch = [1 2 0.01 0.1 0 0 0 0 0 0 1 -360 360];\n"));
    const char *args[] = {"pf", path, NULL};
    r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "refnogen.m:3: no generator in service is at a reference (type 3) bus"));
    city_test_run_free(&r);
    /* the same case with its generator at the reference bus solves */
    r = run_case("mp_fine", 3, 1);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "# success 1"));
    city_test_run_free(&r);
}

/* Each unsupported form: the first line that uses it, by number. */
static void test_unsupported_forms_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *stmt, *want;
    } cases[] = {
        {"for i = 1:2, mpc.bus(i, 3) = 1; end", "t.m:3: 'for' is not supported"},
        {"while 0, end", "t.m:3: 'while' is not supported"},
        {"x = inv(2);", "t.m:3: 'inv(...)' is not something a case file may use"},
        {"x = [1 2] * [3; 4];", "t.m:3: matrix products are not supported"},
        {"x = 2 / [1 2];", "t.m:3: matrix division is not supported"},
        {"x = [1 2; 3 4] ^ 2;", "t.m:3: matrix powers are not supported"},
        {"mpc.bus(3) = 1;", "t.m:3: mpc.bus(...) with one index is not supported"},
        {"mpc.bus(:, 3) = [1 2 3];", "t.m:3: the right side has 3 values for 1 selected elements"},
        {"mpc.bus(2, 1) = 1;", "t.m:3: index 2 is out of range 1..1"},
        {"if 1\nx = 1;\n", "t.m:3: this 'if' is never closed"},
        {"if 1, z = 3 end", "t.m:3: unexpected 'end' after the statement"},
        {"x = [1 2] + [1 2 3];", "t.m:3: sizes 1x2 and 1x3 do not match"},
        {"x = 1 && [1 1];", "t.m:3: '&&' needs single values on both sides"},
        {"x = 'a' + 1;", "t.m:3: arithmetic on a string is not supported"},
        {"x = sqrt(1, 2);", "t.m:3: sqrt(...) takes one argument"},
        {"x = find([1 2; 3 4]);", "t.m:3: find(...) of a 2x2 matrix is not supported"},
        {"x = y + 1;", "t.m:3: 'y' is not defined"},
        {"disp(1)", "t.m:3: 'disp(...)' is not something a case file may use"},
        {"mpc.gencost(1, 1) = 2;", NULL}, /* an ignored field: no error */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[512];
        CityError err;
        snprintf(text, sizeof text, "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9];\n%s\n",
                 cases[k].stmt);
        CityMpCase mp;
        CityStatus st = city_matpower_parse(text, strlen(text), "t.m", &mp, &err);
        if (!cases[k].want) {
            assert_int_equal(st, CITY_OK);
            city_matpower_free(&mp);
            continue;
        }
        if (st != CITY_ERR_PARSE || !strstr(err.msg, cases[k].want))
            fprintf(stderr, "'%s': got '%s', want '%s'\n", cases[k].stmt, err.msg, cases[k].want);
        assert_int_equal(st, CITY_ERR_PARSE);
        assert_non_null(strstr(err.msg, cases[k].want));
    }
}

/* Expressions inside one another: 150 levels parse; 200,000 (a fuzz
 * finding: the recursive parser ran off the end of the stack) are
 * refused with the line. */
static void test_deep_nesting_is_bounded(void **state)
{
    (void)state;
    const size_t deep[] = {150, 200000};
    for (size_t k = 0; k < 2; k++) {
        const char *head = "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9];\nx = ";
        size_t n = deep[k], h = strlen(head);
        char *text = malloc(h + 2 * n + 8);
        assert_non_null(text);
        memcpy(text, head, h);
        memset(text + h, '(', n);
        text[h + n] = '1';
        memset(text + h + n + 1, ')', n);
        memcpy(text + h + 2 * n + 1, ";\n", 3);
        CityMpCase mp;
        CityError err;
        CityStatus st = city_matpower_parse(text, h + 2 * n + 3, "t.m", &mp, &err);
        free(text);
        if (k == 0) {
            assert_int_equal(st, CITY_OK);
            city_matpower_free(&mp);
        } else {
            assert_int_equal(st, CITY_ERR_PARSE);
            assert_non_null(strstr(err.msg, "t.m:3: expression nested more than 200 deep"));
        }
    }
}

/* A range, zeros() or ones() may not make more numbers than a case of its
 * size could use (a fuzz finding: 27 characters of `0 : 97739566` took
 * 1.5 GB and 7 s); the ordinary sizes still parse. */
static void test_value_sizes_are_bounded(void **state)
{
    (void)state;
    const char *head = "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9];\n";
    const struct {
        const char *stmt;
        bool ok;
    } cases[] = {
        {"x = 1:100000;", true},          {"x = zeros(1000, 1000);", true},  {"x = 0 : 97739566;", false},
        {"x = ones(5000, 5000);", false}, {"x = (1:3e6) + (1:3e6);", false},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[512];
        int n = snprintf(text, sizeof text, "%s%s\n", head, cases[k].stmt);
        CityMpCase mp;
        CityError err;
        CityStatus st = city_matpower_parse(text, (size_t)n, "t.m", &mp, &err);
        printf("  %s -> %s\n", cases[k].stmt, st == CITY_OK ? "ok" : err.msg);
        if (cases[k].ok) {
            assert_int_equal(st, CITY_OK);
            city_matpower_free(&mp);
        } else {
            assert_int_equal(st, CITY_ERR_PARSE);
            assert_non_null(strstr(err.msg, "t.m:3: the case's expressions make more than"));
        }
    }
}

/* A Jacobian that factors at the first iteration and is singular at a later
 * one (a fuzz finding: a generator set point of 1.7e60 pu) fails the solve
 * with its message, and the grid is freed once (the sanitizer build checks). */
static void test_singular_jacobian_after_a_factorisation(void **state)
{
    (void)state;
    CityMpCase mp;
    CityError err;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/matpower/singular-after-first-factor.m", CITY_SOURCE_DIR);
    assert_int_equal(city_matpower_read(path, &mp, &err), CITY_OK);
    CityGrid *grid = NULL;
    assert_int_equal(city_matpower_to_grid(&mp, path, &grid, &err), CITY_OK);
    CityPfOptions o;
    city_pf_options_default(&o);
    CityPfReport report;
    assert_int_equal(city_grid_solve(grid, &o, &report), CITY_ERR_NUMERIC);
    assert_non_null(strstr(city_grid_error(grid), "the Jacobian is singular"));
    assert_int_equal(city_grid_solve(grid, &o, &report), CITY_ERR_NUMERIC); /* and again, from where it failed */
    city_grid_destroy(grid);
    city_matpower_free(&mp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_case_without_generator),
        cmocka_unit_test(test_refuses_case_without_reference_bus),
        cmocka_unit_test(test_unsupported_forms_name_file_and_line),
        cmocka_unit_test(test_deep_nesting_is_bounded),
        cmocka_unit_test(test_value_sizes_are_bounded),
        cmocka_unit_test(test_singular_jacobian_after_a_factorisation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
