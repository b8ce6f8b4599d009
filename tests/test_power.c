/* Power flow validation: `citylab pf` against MATPOWER's own solutions
 * (tests/data/matpower/ref, Newton-Raphson at tolerance 1e-8), the
 * published Baran & Wu figures for case33bw, the sweep, the MATPOWER
 * reader's formats and errors, islands, and a 10,000-bus synthetic grid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_grid.h"
#include "city_matpower.h"
#include "test_support.h"

#define DATA CITY_SOURCE_DIR "/tests/data/matpower/"

typedef struct Solution {
    int iterations;
    double loss_mw, min_vm;
    int min_bus, nbus;
    int id[4096];
    double vm[4096], va[4096];
} Solution;

/* Reads the layout both MATPOWER's reference files and `citylab pf` use. */
static void parse_solution(const char *text, Solution *s)
{
    memset(s, 0, sizeof *s);
    s->iterations = -1;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
        int id;
        double vm, va;
        if (sscanf(line, "BUS %d %lf %lf", &id, &vm, &va) == 3 && s->nbus < 4096) {
            s->id[s->nbus] = id;
            s->vm[s->nbus] = vm;
            s->va[s->nbus] = va;
            s->nbus++;
        }
        sscanf(line, "# iterations %d", &s->iterations);
        sscanf(line, "# total_P_loss_MW %lf", &s->loss_mw);
        sscanf(line, "# min_Vm_pu %lf at_bus %d", &s->min_vm, &s->min_bus);
        p = e ? e + 1 : p + n;
    }
}

static Solution *run_pf(const char *case_file, const char *method)
{
    const char *args[] = {"pf", case_file, "--method", method, NULL};
    CityTestRun r = city_test_run(args, 60);
    if (r.exit_code != 0)
        fprintf(stderr, "pf %s failed: %s\n", case_file, r.err);
    assert_int_equal(r.exit_code, 0);
    Solution *s = calloc(1, sizeof *s);
    parse_solution(r.out, s);
    city_test_run_free(&r);
    return s;
}

static Solution *read_ref(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, DATA "ref/%s.NR.txt", name);
    char *text = city_test_read_file(path, NULL);
    assert_non_null(text);
    Solution *s = calloc(1, sizeof *s);
    parse_solution(text, s);
    free(text);
    assert_true(s->nbus > 0);
    return s;
}

/* Voltages to 1e-6 pu, angles to 1e-4 degrees, losses to 1e-4 MW. */
static void compare(const char *name, const char *method, const char *file)
{
    Solution *ref = read_ref(name);
    char path[1024];
    snprintf(path, sizeof path, DATA "%s.m", file ? file : name);
    Solution *got = run_pf(path, method);
    assert_int_equal(got->nbus, ref->nbus);
    double dv = 0, da = 0;
    for (int i = 0; i < ref->nbus; i++) {
        assert_int_equal(got->id[i], ref->id[i]);
        dv = fmax(dv, fabs(got->vm[i] - ref->vm[i]));
        da = fmax(da, fabs(got->va[i] - ref->va[i]));
    }
    printf("  %-14s %-5s max |dVm| %.1e pu, max |dVa| %.1e deg, |dloss| %.1e MW, iterations %d (MATPOWER %d)\n",
           file ? file : name, method, dv, da, fabs(got->loss_mw - ref->loss_mw), got->iterations, ref->iterations);
    assert_true(dv <= 1e-6);
    assert_true(da <= 1e-4);
    assert_true(fabs(got->loss_mw - ref->loss_mw) <= 1e-4);
    assert_int_equal(got->min_bus, ref->min_bus);
    if (!strcmp(method, "nr"))
        assert_int_equal(got->iterations, ref->iterations);
    free(ref);
    free(got);
}

static void test_nr_matches_matpower(void **state)
{
    (void)state;
    compare("case9", "nr", NULL);
    compare("case14", "nr", NULL);
    compare("case30", "nr", NULL);
    compare("case33bw", "nr", NULL);
}

/* The sweep reaches the same fixed point on the radial feeder. */
static void test_sweep_matches_matpower(void **state)
{
    (void)state;
    compare("case33bw", "sweep", NULL);
}

/* Baran & Wu (1989): 202.7 kW of losses, minimum 0.9131 pu at bus 18. */
static void test_case33bw_published(void **state)
{
    (void)state;
    const char *methods[] = {"nr", "sweep"};
    for (int m = 0; m < 2; m++) {
        Solution *s = run_pf(DATA "case33bw.m", methods[m]);
        assert_true(fabs(s->loss_mw * 1000.0 - 202.7) < 0.05);
        assert_true(fabs(s->min_vm - 0.9131) < 0.00005);
        assert_int_equal(s->min_bus, 18);
        free(s);
    }
}

/* The same case9 data written with continuations, commas, several rows
 * per line, scientific notation, a bus_name cell, block comments, an
 * out-of-service generator and branch, tap 1 and a kW conversion. */
static void test_reader_styles(void **state)
{
    (void)state;
    compare("case9", "nr", "case9_styles");
}

static void expect_bad(const char *file, const char *needle)
{
    char path[1024];
    snprintf(path, sizeof path, DATA "%s", file);
    const char *args[] = {"pf", path, NULL};
    CityTestRun r = city_test_run(args, 60);
    if (!strstr(r.err, needle))
        fprintf(stderr, "expected '%s' in: %s\n", needle, r.err);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, needle));
    assert_string_equal(r.out, ""); /* nothing half-written */
    /* one line */
    assert_non_null(strchr(r.err, '\n'));
    assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
    city_test_run_free(&r);
}

static void test_malformed_cases(void **state)
{
    (void)state;
    expect_bad("bad_row.m", "bad_row.m:8: this row has 12 numbers but the rows above have 13");
    expect_bad("bad_bus.m", "bad_bus.m:15: branch row 2 connects bus 2 to bus 7, but bus 7 is not in mpc.bus");
    expect_bad("bad_number.m", "bad_number.m:7: '5O...' is not a number");
    expect_bad("bad_unclosed.m", "bad_unclosed.m:12: this '[' (or '{') is never closed");
    expect_bad("missing.m", "cannot open the case file");
    /* well formed but without a solution: a clear report, never an answer */
    expect_bad("overload.m", "did not converge: 10 iterations, largest mismatch");
    expect_bad("overload.m", "at bus 2");
}

static void test_cli_usage(void **state)
{
    (void)state;
    const char *help[] = {"pf", "--help", NULL};
    CityTestRun r = city_test_run(help, 30);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "--method nr|sweep"));
    assert_non_null(strstr(r.out, "--enforce-q-lims"));
    city_test_run_free(&r);
    const char *bad[] = {"pf", DATA "case9.m", "--method", "gauss", NULL};
    r = city_test_run(bad, 30);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "use nr or sweep"));
    city_test_run_free(&r);
    /* the sweep refuses PV buses with a clear line */
    const char *pv[] = {"pf", DATA "case9.m", "--method", "sweep", NULL};
    r = city_test_run(pv, 30);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "is a PV bus"));
    city_test_run_free(&r);
}

static CityGrid *load_case(const char *name)
{
    char path[1024];
    CityError err;
    snprintf(path, sizeof path, DATA "%s.m", name);
    CityMpCase mp;
    assert_int_equal(city_matpower_read(path, &mp, &err), CITY_OK);
    CityGrid *g = NULL;
    assert_int_equal(city_matpower_to_grid(&mp, path, &g, &err), CITY_OK);
    city_matpower_free(&mp);
    return g;
}

/* A closed tie switch makes the feeder meshed: NR solves it, the sweep
 * refuses and names the branch. */
static void test_sweep_refuses_mesh(void **state)
{
    (void)state;
    CityGrid *g = load_case("case33bw");
    assert_int_equal(city_grid_branch_set_closed(g, 37, true), CITY_OK); /* 25-29 tie */
    CityPfOptions o;
    city_pf_options_default(&o);
    CityPfReport r;
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    double meshed_loss = r.p_loss_mw;
    o.method = CITY_PF_SWEEP;
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_ERR_INVALID);
    assert_non_null(strstr(city_grid_error(g), "closes a loop"));
    /* open it again: radial, and both methods agree */
    assert_int_equal(city_grid_branch_set_closed(g, 37, false), CITY_OK);
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    assert_true(fabs(r.p_loss_mw - 0.202677) < 1e-6);
    assert_true(meshed_loss < r.p_loss_mw); /* closing a tie lowers losses */
    city_grid_destroy(g);
}

/* Opening branch 7 (bus 7-8) islands buses 8-18 and 21-22... reported,
 * not crashed on; closing a tie (21-8) feeds them again. */
static void test_islanding(void **state)
{
    (void)state;
    CityGrid *g = load_case("case33bw");
    CityPfOptions o;
    city_pf_options_default(&o);
    CityPfReport r;
    assert_int_equal(city_grid_branch_set_closed(g, 7, false), CITY_OK);
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    assert_int_equal(r.n_dead, 11); /* buses 8..18 */
    assert_int_equal(r.first_dead_bus, 8);
    assert_true(r.converged);
    int32_t n;
    const CityGridBus *bus = city_grid_buses(g, &n);
    assert_true(bus[city_grid_bus_index(g, 12)].vm_pu == 0);
    assert_false(city_grid_bus_energised(g, city_grid_bus_index(g, 12)));
    assert_true(fabs(r.total_pd_mw - (3.715 - 0.875)) < 1e-9); /* 11 buses, 875 kW unserved */
    /* balance of what is left */
    assert_true(fabs(r.total_pg_mw - r.total_pd_mw - r.p_loss_mw) < 1e-6);
    assert_int_equal(city_grid_branch_set_closed(g, 33, true), CITY_OK); /* tie 21-8 */
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    assert_int_equal(r.n_dead, 0);
    o.method = CITY_PF_SWEEP; /* still radial: 33 buses, 32 closed branches */
    CityPfReport r2;
    assert_int_equal(city_grid_solve(g, &o, &r2), CITY_OK);
    assert_true(fabs(r2.p_loss_mw - r.p_loss_mw) < 1e-7);
    city_grid_destroy(g);
}

/* A second solve with the same loads reuses the factorisation and starts
 * from the last solution: converged at once. Scaling the loads needs a
 * few more iterations on the same symbolic analysis. */
static void test_warm_start(void **state)
{
    (void)state;
    CityGrid *g = load_case("case30");
    CityPfOptions o;
    city_pf_options_default(&o);
    CityPfReport r;
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    assert_int_equal(r.iterations, 3);
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    assert_int_equal(r.iterations, 0);
    o.flat_start = true;
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    assert_true(r.iterations >= 3);
    assert_true(fabs(r.p_loss_mw - 2.443803) < 1e-6);
    /* loads up 8 %: the warm solve (chord steps on the old factors) and a
     * full Newton solve from a flat start land on the same voltages */
    int32_t n;
    const CityGridBus *bus = city_grid_buses(g, &n);
    for (int32_t i = 0; i < n; i++)
        assert_int_equal(city_grid_bus_set_load(g, bus[i].id, bus[i].pd_mw * 1.08, bus[i].qd_mvar * 1.08), CITY_OK);
    o.flat_start = false;
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    double vm[64], va[64];
    for (int32_t i = 0; i < n; i++) {
        vm[i] = bus[i].vm_pu;
        va[i] = bus[i].va_deg;
    }
    o.flat_start = true;
    o.full_newton = true;
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    for (int32_t i = 0; i < n; i++) {
        assert_true(fabs(vm[i] - bus[i].vm_pu) < 1e-8);
        assert_true(fabs(va[i] - bus[i].va_deg) < 1e-6);
    }
    city_grid_destroy(g);
}

/* Transformer taps and phase shifts: a two-bus grid solved by hand.
 * With r = 0, b = 0 and no load at bus 2, the open-circuit voltage on the
 * to side of a from-side tap t is V1 / t, shifted by -shift. */
static void test_tap_and_shift(void **state)
{
    (void)state;
    CityGrid *g = city_grid_create(100);
    CityGridBus b1 = {.id = 1, .type = CITY_BUS_SLACK, .vm_pu = 1.0};
    CityGridBus b2 = {.id = 2, .type = CITY_BUS_PQ, .vm_pu = 1.0};
    assert_int_equal(city_grid_add_bus(g, &b1), CITY_OK);
    assert_int_equal(city_grid_add_bus(g, &b2), CITY_OK);
    CityGridGen gen = {.bus = 1, .vg_pu = 1.02, .on = true};
    assert_int_equal(city_grid_add_gen(g, &gen), CITY_OK);
    CityGridBranch t = {.id = 1,
                        .from_bus = 1,
                        .to_bus = 2,
                        .x_pu = 0.1,
                        .ratio = 0.95,
                        .shift_deg = 10,
                        .kind = CITY_BRANCH_TRANSFORMER,
                        .closed = true};
    assert_int_equal(city_grid_add_branch(g, &t), CITY_OK);
    CityPfReport r;
    const CityPfOptions o = {CITY_PF_NR, 1e-10, 20, true, false, 0};
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    int32_t n;
    const CityGridBus *bus = city_grid_buses(g, &n);
    assert_true(fabs(bus[1].vm_pu - 1.02 / 0.95) < 1e-9);
    assert_true(fabs(bus[1].va_deg - (-10.0)) < 1e-9);
    const CityPfOptions s = {CITY_PF_SWEEP, 1e-10, 50, true, false, 0};
    assert_int_equal(city_grid_solve(g, &s, &r), CITY_OK);
    assert_true(fabs(bus[1].vm_pu - 1.02 / 0.95) < 1e-9);
    city_grid_destroy(g);

    /* a loaded chain with the taps on either side of the parent: NR and
     * the sweep agree (both pi-model orientations of the sweep) */
    g = city_grid_create(10);
    for (int i = 1; i <= 4; i++) {
        CityGridBus b = {.id = i,
                         .type = i == 1 ? CITY_BUS_SLACK : CITY_BUS_PQ,
                         .vm_pu = 1.0,
                         .pd_mw = i > 1 ? 0.8 : 0,
                         .qd_mvar = i > 1 ? 0.3 : 0,
                         .bs_mvar = i == 3 ? 0.2 : 0};
        assert_int_equal(city_grid_add_bus(g, &b), CITY_OK);
    }
    assert_int_equal(city_grid_add_gen(g, &gen), CITY_OK);
    CityGridBranch t12 = {.id = 1,
                          .from_bus = 1,
                          .to_bus = 2,
                          .r_pu = 0.01,
                          .x_pu = 0.08,
                          .b_pu = 0.02,
                          .ratio = 1.04,
                          .shift_deg = -3,
                          .closed = true};
    CityGridBranch t32 = {.id = 2,
                          .from_bus = 3,
                          .to_bus = 2,
                          .r_pu = 0.02,
                          .x_pu = 0.06,
                          .b_pu = 0.03,
                          .ratio = 0.97,
                          .shift_deg = 5,
                          .closed = true};
    CityGridBranch l34 = {
        .id = 3, .from_bus = 4, .to_bus = 3, .r_pu = 0.03, .x_pu = 0.05, .b_pu = 0.01, .closed = true};
    assert_int_equal(city_grid_add_branch(g, &t12), CITY_OK);
    assert_int_equal(city_grid_add_branch(g, &t32), CITY_OK);
    assert_int_equal(city_grid_add_branch(g, &l34), CITY_OK);
    assert_int_equal(city_grid_solve(g, &o, &r), CITY_OK);
    bus = city_grid_buses(g, &n);
    double vm[4], va[4], loss = r.p_loss_mw;
    for (int i = 0; i < 4; i++) {
        vm[i] = bus[i].vm_pu;
        va[i] = bus[i].va_deg;
    }
    assert_int_equal(city_grid_solve(g, &s, &r), CITY_OK);
    for (int i = 0; i < 4; i++) {
        assert_true(fabs(vm[i] - bus[i].vm_pu) < 1e-9);
        assert_true(fabs(va[i] - bus[i].va_deg) < 1e-7);
    }
    assert_true(fabs(loss - r.p_loss_mw) < 1e-9);
    city_grid_destroy(g);
}

/* A 10,000-bus synthetic meshed grid (a ring of radial feeders with ties,
 * generated here, not real data) must solve, with generation = load +
 * losses. No dense n^2 storage anywhere, or this would not fit. */
static void test_synthetic_10k(void **state)
{
    (void)state;
    const int n = 10000;
    CityGrid *g = city_grid_create(100);
    for (int i = 1; i <= n; i++) {
        CityGridBus b = {.id = i,
                         .type = i == 1 ? CITY_BUS_SLACK : CITY_BUS_PQ,
                         .vm_pu = 1.0,
                         .pd_mw = i == 1 ? 0 : 0.3 + 0.2 * (i % 7) / 7.0,
                         .qd_mvar = i == 1 ? 0 : 0.1};
        if (i % 100 == 50)
            b.type = CITY_BUS_PV;
        assert_int_equal(city_grid_add_bus(g, &b), CITY_OK);
        if (b.type != CITY_BUS_PQ) {
            CityGridGen gen = {.bus = i, .pg_mw = i == 1 ? 0 : 20, .vg_pu = 1.01, .on = true};
            assert_int_equal(city_grid_add_gen(g, &gen), CITY_OK);
        }
    }
    int id = 1;
    for (int i = 2; i <= n; i++) { /* a tree: bus i hangs off bus i/2 ... */
        CityGridBranch br = {
            .id = id++, .from_bus = i / 2, .to_bus = i, .r_pu = 0.002, .x_pu = 0.006, .b_pu = 0.001, .closed = true};
        assert_int_equal(city_grid_add_branch(g, &br), CITY_OK);
    }
    for (int i = 3; i + 37 <= n; i += 41) { /* ... plus ties that mesh it */
        CityGridBranch br = {.id = id++, .from_bus = i, .to_bus = i + 37, .r_pu = 0.004, .x_pu = 0.012, .closed = true};
        assert_int_equal(city_grid_add_branch(g, &br), CITY_OK);
    }
    CityPfOptions o;
    city_pf_options_default(&o);
    CityPfReport r;
    CityStatus st = city_grid_solve(g, &o, &r);
    if (st != CITY_OK)
        fprintf(stderr, "%s\n", city_grid_error(g));
    assert_int_equal(st, CITY_OK);
    assert_true(r.iterations >= 2 && r.iterations <= 8);
    assert_true(r.min_vm_pu > 0.8);
    double rel = fabs(r.total_pg_mw - r.total_pd_mw - r.p_loss_mw - r.shunt_p_mw) / r.total_pg_mw;
    assert_true(rel < 1e-6);
    city_grid_destroy(g);
}

/* In-process reader checks on small texts. */
static CityStatus parse(const char *text, CityMpCase *mp, char *err, size_t len)
{
    CityError e;
    CityStatus st = city_matpower_parse(text, strlen(text), "t.m", mp, &e);
    snprintf(err, len, "%s", e.msg);
    return st;
}

static void test_reader_details(void **state)
{
    (void)state;
    char err[512];
    CityMpCase mp;
    const char *ok = "mpc.baseMVA = 100;\n"
                     "mpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9; 2 1 -1.5e+1 1 0 0 1 1 0 10 1 1.1 0.9];\n"
                     "mpc.branch = [1 2 0.01 0.1 0 0 0 0 0 0 1 -360 360];\n"
                     "[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD] = idx_bus;\n"
                     "mpc.bus(2, PD) = mpc.bus(2, PD) * -2;\n"
                     "mpc.bus(end, 4) = 2 ^ 3 - 1;\n";
    assert_int_equal(parse(ok, &mp, err, sizeof err), CITY_OK);
    assert_int_equal(mp.bus.rows, 2);
    assert_int_equal(mp.bus.cols, 13);
    assert_true(mp.bus.v[13 + 2] == 30.0);
    assert_true(mp.bus.v[13 + 3] == 7.0);
    assert_int_equal(mp.branch.row_line[0], 3);
    city_matpower_free(&mp);
    /* "1 -2" in brackets is two elements, "4 - 2" one (MATLAB's rule) */
    assert_int_equal(parse("mpc.baseMVA=1; mpc.bus=[1 -2 3; 4 - 2 3 5];", &mp, err, sizeof err), CITY_OK);
    assert_int_equal(mp.bus.cols, 3);
    assert_true(mp.bus.v[1] == -2.0 && mp.bus.v[3] == 2.0 && mp.bus.v[5] == 5.0);
    city_matpower_free(&mp);
    /* a byte-order mark, CRLF line ends, a transposed literal and Inf */
    assert_int_equal(parse("\xEF\xBB\xBFmpc.baseMVA = 100;\r\nmpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9]';\r\n"
                           "mpc.bus = mpc.bus';\r\nmpc.gen = [1 0 0 Inf -Inf 1 100 1];\r\n",
                           &mp, err, sizeof err),
                     CITY_OK);
    assert_int_equal(mp.bus.rows, 1);
    assert_int_equal(mp.bus.cols, 13);
    assert_true(isinf(mp.gen.v[3]) && mp.gen.v[4] < 0);
    city_matpower_free(&mp);
    assert_int_equal(parse("mpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9];", &mp, err, sizeof err), CITY_ERR_PARSE);
    assert_non_null(strstr(err, "no mpc.baseMVA"));
    assert_int_equal(parse("mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9];\nmpc = runpf(mpc);", &mp,
                           err, sizeof err),
                     CITY_ERR_PARSE);
    assert_non_null(strstr(err, "t.m:3: 'runpf(...)' is not something a case file may use"));
    assert_int_equal(parse("mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 10 1 1.1 0.9];\nmpc.bus(:, 3) = X;", &mp,
                           err, sizeof err),
                     CITY_ERR_PARSE);
    assert_non_null(strstr(err, "t.m:3: 'X' is not defined"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nr_matches_matpower), cmocka_unit_test(test_sweep_matches_matpower),
        cmocka_unit_test(test_case33bw_published),  cmocka_unit_test(test_reader_styles),
        cmocka_unit_test(test_malformed_cases),     cmocka_unit_test(test_cli_usage),
        cmocka_unit_test(test_sweep_refuses_mesh),  cmocka_unit_test(test_islanding),
        cmocka_unit_test(test_warm_start),          cmocka_unit_test(test_tap_and_shift),
        cmocka_unit_test(test_synthetic_10k),       cmocka_unit_test(test_reader_details),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
