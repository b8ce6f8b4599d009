/* Generator reactive limits as MATPOWER's runpf enforces them with
 * pf.enforce_q_lims, against MATPOWER's own solutions of our cases
 * (tests/data/matpower/mp_qlim*.m, ref/ made by scripts/matpower_ref.sh):
 * PV bus 3 of mp_qlim needs 61 MVAr against a Qmax of 15, so it is held at
 * the limit and turns PQ; bus 5's two generators share their Q in
 * proportion to their ranges; in mp_qlim_ref the reference bus itself
 * turns PQ and the reference moves. Vm, Va, Pg and Qg to 1e-6, the
 * iteration count (summed over the passes, as MATPOWER counts) exactly.
 * Also `citylab pf --print-flows` against MATPOWER's printpf tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_matpower_ref.h"

/* Without enforcement the PV bus holds 1.04 pu with Q far above its Qmax. */
static void test_limits_ignored_by_default(void **state)
{
    (void)state;
    CityPfReport r;
    CityGrid *g = mp_check_case("mp_qlim", "NR", 0, &r);
    int32_t n;
    const CityGridGenOut *out = city_grid_gen_outputs(g, &n);
    const CityGridGen *gen = city_grid_gens(g, &n);
    assert_true(out[1].qg_mvar > gen[1].qmax_mvar + 40); /* MATPOWER: 61.18 MVAr against 15 */
    assert_int_equal(r.n_q_limited, 0);
    city_grid_destroy(g);
}

static void test_all_violations_at_once(void **state)
{
    (void)state;
    CityPfReport r;
    CityGrid *g = mp_check_case("mp_qlim", "QLIM1", 1, &r);
    int32_t n;
    const CityGridGenOut *out = city_grid_gen_outputs(g, &n);
    const CityGridGen *gen = city_grid_gens(g, &n);
    assert_int_equal(r.n_q_limited, 3);
    assert_true(out[1].at_q_limit && out[1].qg_mvar == gen[1].qmax_mvar);
    assert_true(out[2].at_q_limit && out[3].at_q_limit && !out[0].at_q_limit);
    /* bus 3 no longer holds its set-point */
    const CityGridBus *bus = city_grid_buses(g, &n);
    assert_true(fabs(bus[2].vm_pu - 1.04) > 0.05);
    city_grid_destroy(g);
}

/* Option 2 turns one bus PQ per pass: more passes, same answer here. */
static void test_largest_violation_one_at_a_time(void **state)
{
    (void)state;
    CityPfReport r;
    city_grid_destroy(mp_check_case("mp_qlim", "QLIM2", 2, &r));
}

/* The reference generator hits Qmax: bus 1 turns PQ, bus 5 (the first PV
 * bus) takes the slack P, and angles are shifted so bus 1 stays at 0. */
static void test_reference_bus_turns_pq(void **state)
{
    (void)state;
    CityPfReport r;
    CityGrid *g = mp_check_case("mp_qlim_ref", "QLIM1", 1, &r);
    int32_t n;
    const CityGridBus *bus = city_grid_buses(g, &n);
    assert_true(bus[0].va_deg == 0.0);
    city_grid_destroy(g);
    g = mp_check_case("mp_qlim_ref", "QLIM2", 2, &r);
    city_grid_destroy(g);
}

/* Every generator still holding its voltage past Qmax: MATPOWER gives up
 * (success 0, ref/mp_qlim_infeasible.QLIM1.txt), and so do we. */
static void test_infeasible(void **state)
{
    (void)state;
    CityError err;
    CityMpCase mp;
    CityGrid *g = NULL;
    assert_int_equal(city_matpower_read(MP_DATA "mp_qlim_infeasible.m", &mp, &err), CITY_OK);
    assert_int_equal(city_matpower_to_grid(&mp, "mp_qlim_infeasible.m", &g, &err), CITY_OK);
    city_matpower_free(&mp);
    CityPfOptions o;
    city_pf_options_default(&o);
    o.enforce_q_lims = 1;
    CityPfReport r;
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_ERR_NUMERIC);
    assert_non_null(strstr(city_grid_error(g), "all 4 generators still holding their voltage exceed their Qmax"));
    o.enforce_q_lims = 3;
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_ERR_INVALID);
    city_grid_destroy(g);
}

/* The command line: the flag, the held generators marked, bad values refused. */
static void test_cli_flag(void **state)
{
    (void)state;
    const char *args[] = {"pf", MP_DATA "mp_qlim.m", "--enforce-q-lims", "--print-flows", NULL};
    CityTestRun r = city_test_run(args, 600);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "# enforce_q_lims 1 q_limited_gens 3\n"));
    assert_non_null(strstr(r.out, "GEN 2 3 50.00000000 15.00000000 Q_limit\n"));
    assert_non_null(strstr(r.out, "|     Generator Data"));
    city_test_run_free(&r);
    const char *bad[] = {"pf", MP_DATA "mp_qlim.m", "--enforce-q-lims=3", NULL};
    r = city_test_run(bad, 600);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "unknown option '--enforce-q-lims=3'"));
    city_test_run_free(&r);
    const char *inf[] = {"pf", MP_DATA "mp_qlim_infeasible.m", "--enforce-q-lims", NULL};
    r = city_test_run(inf, 600);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "infeasible"));
    assert_true(r.out[0] == '\0');
    city_test_run_free(&r);
}

/* The scenario API: city.grid.config{ enforce_q_lims = 1 } on a loaded case;
 * the lowest voltage is MATPOWER's bus 3 (ref/mp_qlim.QLIM1.txt). */
static void test_scenario_option(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("mp_qlim_lua");
    char path[512], out[600];
    snprintf(path, sizeof path, "%s/q.lua", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_true(city_test_write_file(path, "city.grid.load_case('tests/data/matpower/mp_qlim.m')\n"
                                           "city.grid.config{ enforce_q_lims = 1 }\n"
                                           "local r = assert(city.grid.solve())\n"
                                           "assert(r.q_limited == 3 and r.iterations == 9 and r.min_vm_bus == 3)\n"
                                           "assert(math.abs(r.min_vm_pu - 0.9567294394) < 1e-6)\n"));
    const char *args[] = {"run", path, "--quiet", "--out", out, NULL};
    CityTestRun r = city_test_run(args, 600);
    if (r.exit_code != 0)
        fprintf(stderr, "%s", r.err);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    assert_true(city_test_write_file(path, "city.grid.config{ enforce_q_lims = 3 }\n"));
    r = city_test_run(args, 600);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "enforce_q_lims must be 0 (off), 1 (all at once) or 2 (one at a time)"));
    city_test_run_free(&r);
}

/* Removes a minus sign that only rounding put there ("-0.00" -> " 0.00"):
 * MATPOWER and citylab round a zero flow of either sign. */
static void unsign_zeros(char *s)
{
    for (char *p = s; (p = strstr(p, "-0.0")); p++) {
        const char *d = p + 4;
        while (*d == '0')
            d++;
        if (*d < '1' || *d > '9')
            *p = ' ';
    }
}

/* `citylab pf --print-flows` prints the Generator, Bus and Branch Data
 * tables of MATPOWER's printpf character for character (ref/NAME.printpf.txt,
 * MATPOWER's own output). */
static void test_printpf_tables(void **state)
{
    (void)state;
    static const char *const cases[] = {"case9", "case14", "case30", "case33bw", "mp_qlim"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], ref_path[256];
        snprintf(path, sizeof path, MP_DATA "%s.m", cases[i]);
        snprintf(ref_path, sizeof ref_path, MP_DATA "ref/%s.printpf.txt", cases[i]);
        const bool qlim = strcmp(cases[i], "mp_qlim") == 0;
        const char *args[] = {"pf", path, "--print-flows", qlim ? "--enforce-q-lims" : NULL, NULL};
        CityTestRun r = city_test_run(args, 600);
        assert_int_equal(r.exit_code, 0);
        char *ref = city_test_read_file(ref_path, NULL);
        assert_non_null(ref);
        char *want = strstr(ref, "|     Generator Data"), *got = strstr(r.out, "|     Generator Data");
        assert_non_null(want);
        assert_non_null(got);
        unsign_zeros(want);
        unsign_zeros(got);
        if (strcmp(want, got) != 0)
            fprintf(stderr, "%s: want\n%s\ngot\n%s\n", cases[i], want, got);
        assert_string_equal(want, got);
        free(ref);
        city_test_run_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_ignored_by_default),
        cmocka_unit_test(test_all_violations_at_once),
        cmocka_unit_test(test_largest_violation_one_at_a_time),
        cmocka_unit_test(test_reference_bus_turns_pq),
        cmocka_unit_test(test_infeasible),
        cmocka_unit_test(test_cli_flag),
        cmocka_unit_test(test_printpf_tables),
        cmocka_unit_test(test_scenario_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
