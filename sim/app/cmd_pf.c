/* citylab pf CASE.m [--method nr|sweep] [--tol PU] [--max-iter N] [--flat]:
 * one AC power flow on a MATPOWER case, printed in the layout of
 * MATPOWER's reference solutions (header lines, then BUS id Vm Va). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "city_grid.h"
#include "city_matpower.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: citylab pf CASE.m [options]\n"
               "\n"
               "Solves one AC power flow on a MATPOWER case file (format version 2) and prints\n"
               "the solution: header lines (# iterations, # total_P_loss_MW, # min_Vm_pu ... at_bus)\n"
               "and one line per bus: BUS id Vm_pu Va_deg.\n"
               "\n"
               "options:\n"
               "  --method nr|sweep  Newton-Raphson (default; any network) or backward/forward\n"
               "                     sweep (radial feeders with one slack bus and PQ buses)\n"
               "  --tol PU           largest P/Q mismatch allowed, per unit (default 1e-8)\n"
               "  --max-iter N       iteration limit (default 10 for nr, 100 for sweep)\n"
               "  --flat             start from 1 pu / 0 deg instead of the case's Vm and Va\n"
               "  -h, --help         this help\n"
               "\n"
               "Generator reactive limits (Qmax, Qmin) are not enforced: PV buses hold their\n"
               "voltage whatever Q it takes, as MATPOWER does without pf.enforce_q_lims.\n"
               "Buses with no path to a reference bus are reported and left de-energised.\n"
               "\n"
               "exit codes: 0 converged, 2 bad input or no convergence (one line on stderr)\n");
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int city_cmd_pf(int argc, char **argv)
{
    const char *path = NULL;
    CityPfOptions o;
    city_pf_options_default(&o);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--method")) {
            if (val && !strcmp(val, "nr"))
                o.method = CITY_PF_NR;
            else if (val && !strcmp(val, "sweep"))
                o.method = CITY_PF_SWEEP;
            else {
                fprintf(stderr, "citylab pf: --method '%s' is not valid: use nr or sweep\n", val ? val : "");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--tol")) {
            char *end = NULL;
            errno = 0;
            o.tol_pu = val ? strtod(val, &end) : 0;
            if (!val || *end || errno || !(o.tol_pu > 0 && o.tol_pu <= 1)) {
                fprintf(stderr, "citylab pf: --tol '%s' is not valid: use a number in (0, 1], e.g. 1e-8\n",
                        val ? val : "");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--max-iter")) {
            char *end = NULL;
            errno = 0;
            long n = val ? strtol(val, &end, 10) : 0;
            if (!val || *end || errno || n < 1 || n > 100000) {
                fprintf(stderr, "citylab pf: --max-iter '%s' is not valid: use a whole number from 1 to 100000\n",
                        val ? val : "");
                return 2;
            }
            o.max_iter = (int32_t)n;
            i++;
        } else if (!strcmp(a, "--flat")) {
            o.flat_start = true;
        } else if (a[0] == '-' && a[1]) {
            static const char *const flags[] = {"--method", "--tol", "--max-iter", "--flat", "--help", NULL};
            const char *near = city_cli_nearest(a, flags);
            fprintf(stderr, "citylab pf: unknown option '%s'%s%s%s (see citylab pf --help)\n", a,
                    near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
            return 2;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "citylab pf: one case file at a time ('%s' and '%s'); see citylab pf --help\n", path, a);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "citylab pf: no case file; usage: citylab pf CASE.m [--method nr|sweep]\n");
        return 2;
    }
    char err[1024];
    CityMpCase mp;
    CityStatus st = city_matpower_read(path, &mp, err, sizeof err);
    if (st != CITY_OK) {
        fprintf(stderr, "citylab pf: %s\n", err);
        return 2;
    }
    CityGrid *g = NULL;
    st = city_matpower_to_grid(&mp, path, &g, err, sizeof err);
    int32_t nbranch = mp.branch.rows, ngen = mp.gen.rows;
    char name[128];
    snprintf(name, sizeof name, "%s", mp.name);
    city_matpower_free(&mp);
    if (st != CITY_OK) {
        fprintf(stderr, "citylab pf: %s\n", err);
        return 2;
    }
    CityPfReport r;
    double t0 = wall_now();
    st = city_grid_solve(g, &o, &r);
    double t1 = wall_now();
    if (st != CITY_OK) {
        fprintf(stderr, "citylab pf: %s: %s\n", path, city_grid_error(g));
        city_grid_destroy(g);
        return 2;
    }
    if (r.n_dead > 0)
        fprintf(stderr,
                "citylab pf: %s: warning: %d bus(es) have no path to a reference bus and are de-energised "
                "(first: bus %d); their load is not served\n",
                path, (int)r.n_dead, (int)r.first_dead_bus);
    int32_t nbus;
    const CityGridBus *bus = city_grid_buses(g, &nbus);
    printf("# case %s\n", name);
    printf("# alg %s\n", o.method == CITY_PF_SWEEP ? "SWEEP" : "NR");
    printf("# success 1\n");
    printf("# iterations %d\n", (int)r.iterations);
    printf("# solve_time_s %.6f\n", t1 - t0);
    printf("# baseMVA %g\n", city_grid_base_mva(g));
    printf("# nbus %d nbranch %d ngen %d\n", (int)nbus, (int)nbranch, (int)ngen);
    printf("# total_Pd_MW %.6f total_Qd_MVAr %.6f\n", r.total_pd_mw, r.total_qd_mvar);
    printf("# total_Pg_MW %.6f total_Qg_MVAr %.6f\n", r.total_pg_mw, r.total_qg_mvar);
    printf("# total_P_loss_MW %.6f\n", r.p_loss_mw);
    printf("# total_Q_loss_MVAr %.6f\n", r.q_loss_mvar);
    printf("# min_Vm_pu %.6f at_bus %d\n", r.min_vm_pu, (int)r.min_vm_bus);
    printf("# max_abs_Va_deg %.6f at_bus %d\n", r.max_abs_va_deg, (int)r.max_va_bus);
    printf("# columns: BUS id Vm_pu Va_deg\n");
    for (int32_t i = 0; i < nbus; i++)
        printf("BUS %d %.8f %.8f\n", (int)bus[i].id, bus[i].vm_pu, bus[i].va_deg + 0.0);
    city_grid_destroy(g);
    return fflush(stdout) == 0 ? 0 : 2;
}
