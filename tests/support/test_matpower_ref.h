/* Reference solutions by MATPOWER (tests/data/matpower/ref/NAME.SUFFIX.txt,
 * written by scripts/matpower_ref.sh) and the comparison of a case solved
 * in-process against them, for the test_matpower_*.c tests. */
#ifndef CITY_TEST_MATPOWER_REF_H
#define CITY_TEST_MATPOWER_REF_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_grid.h"
#include "city_matpower.h"
#include "test_support.h"

#define MP_DATA CITY_SOURCE_DIR "/tests/data/matpower/"
#define MP_REF_MAX 64

typedef struct MpRef {
    int success, iterations;
    double pd_mw, qd_mvar; /* sums of the Pd and Qd columns after loadcase */
    int nbus, ngen;
    int id[MP_REF_MAX];
    double vm[MP_REF_MAX], va[MP_REF_MAX];
    int gen_bus[MP_REF_MAX];
    double pg[MP_REF_MAX], qg[MP_REF_MAX];
} MpRef;

static inline void mp_ref_read(const char *name, const char *suffix, MpRef *r)
{
    char path[1024];
    snprintf(path, sizeof path, MP_DATA "ref/%s.%s.txt", name, suffix);
    char *text = city_test_read_file(path, NULL);
    assert_non_null(text);
    memset(r, 0, sizeof *r);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int a, b;
        double x, y;
        sscanf(line, "# success %d", &r->success);
        sscanf(line, "# iterations %d", &r->iterations);
        sscanf(line, "# total_Pd_MW %lf total_Qd_MVAr %lf", &r->pd_mw, &r->qd_mvar);
        if (sscanf(line, "BUS %d %lf %lf", &a, &x, &y) == 3 && r->nbus < MP_REF_MAX) {
            r->id[r->nbus] = a;
            r->vm[r->nbus] = x;
            r->va[r->nbus++] = y;
        }
        if (sscanf(line, "GEN %d %d %lf %lf", &a, &b, &x, &y) == 4 && r->ngen < MP_REF_MAX) {
            r->gen_bus[r->ngen] = b;
            r->pg[r->ngen] = x;
            r->qg[r->ngen++] = y;
        }
    }
    free(text);
    assert_int_equal(r->success, 1);
    assert_true(r->nbus > 0);
}

/* Reads tests/data/matpower/NAME.m as MATPOWER does, solves it (NR, tol
 * 1e-8, enforce_q_lims qlim) and compares with ref/NAME.SUFFIX.txt: the
 * load after the case's own conversions to 1e-9 MW, Vm to 1e-6 pu, Va to
 * 1e-4 deg, each generator's Pg and Qg to 1e-6 MW/MVAr, the iteration
 * count exactly. The grid is returned for further checks (caller frees). */
static inline CityGrid *mp_check_case(const char *name, const char *suffix, int qlim, CityPfReport *rep)
{
    MpRef ref;
    mp_ref_read(name, suffix, &ref);
    char path[1024];
    CityError err;
    snprintf(path, sizeof path, MP_DATA "%s.m", name);
    CityMpCase mp;
    CityStatus st = city_matpower_read(path, &mp, &err);
    if (st != CITY_OK)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(st, CITY_OK);
    double pd = 0, qd = 0;
    for (int32_t r = 0; r < mp.bus.rows; r++) {
        pd += mp.bus.v[r * mp.bus.cols + 2];
        qd += mp.bus.v[r * mp.bus.cols + 3];
    }
    assert_true(fabs(pd - ref.pd_mw) < 1e-9 * fmax(1, fabs(pd)));
    assert_true(fabs(qd - ref.qd_mvar) < 1e-9 * fmax(1, fabs(qd)));
    CityGrid *g = NULL;
    assert_int_equal(city_matpower_to_grid(&mp, path, &g, &err), CITY_OK);
    city_matpower_free(&mp);
    CityPfOptions o;
    city_pf_options_default(&o);
    o.enforce_q_lims = qlim;
    st = city_grid_solve(g, &o, rep);
    if (st != CITY_OK)
        fprintf(stderr, "%s\n", city_grid_error(g));
    assert_int_equal(st, CITY_OK);
    int32_t nbus, ngen;
    const CityGridBus *bus = city_grid_buses(g, &nbus);
    const CityGridGenOut *out = city_grid_gen_outputs(g, &ngen);
    assert_int_equal(nbus, ref.nbus);
    assert_int_equal(ngen, ref.ngen);
    double dvm = 0, dva = 0, dpg = 0, dqg = 0;
    for (int i = 0; i < nbus; i++) {
        assert_int_equal(bus[i].id, ref.id[i]);
        dvm = fmax(dvm, fabs(bus[i].vm_pu - ref.vm[i]));
        dva = fmax(dva, fabs(bus[i].va_deg - ref.va[i]));
    }
    for (int k = 0; k < ngen; k++) {
        dpg = fmax(dpg, fabs(out[k].pg_mw - ref.pg[k]));
        dqg = fmax(dqg, fabs(out[k].qg_mvar - ref.qg[k]));
    }
    printf("  %-12s %-6s max |dVm| %.1e pu, |dVa| %.1e deg, |dPg| %.1e MW, |dQg| %.1e MVAr, iterations %d (MATPOWER "
           "%d)\n",
           name, suffix, dvm, dva, dpg, dqg, (int)rep->iterations, ref.iterations);
    assert_true(dvm <= 1e-6);
    assert_true(dva <= 1e-4);
    assert_true(dpg <= 1e-6);
    assert_true(dqg <= 1e-6);
    assert_int_equal(rep->iterations, ref.iterations);
    return g;
}

#endif
