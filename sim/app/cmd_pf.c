/* citylab pf CASE.m [--method nr|sweep] [--tol PU] [--max-iter N] [--flat]
 * [--enforce-q-lims[=1|2]] [--print-flows]: one AC power flow on a MATPOWER
 * case, printed in the layout of MATPOWER's reference solutions (header
 * lines, then BUS id Vm Va and GEN row bus Pg Qg), optionally followed by
 * the generator and branch tables of MATPOWER's printpf. */
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
               "the solution: header lines (# iterations, # total_P_loss_MW, # min_Vm_pu ... at_bus),\n"
               "one line per bus: BUS id Vm_pu Va_deg, and one per generator row:\n"
               "GEN row bus Pg_MW Qg_MVAr.\n"
               "\n"
               "options:\n"
               "  --method nr|sweep  Newton-Raphson (default; any network) or backward/forward\n"
               "                     sweep (radial feeders with one slack bus and PQ buses)\n"
               "  --tol PU           largest P/Q mismatch allowed, per unit (default 1e-8)\n"
               "  --max-iter N       iteration limit (default 10 for nr, 100 for sweep)\n"
               "  --flat             start from 1 pu / 0 deg instead of the case's Vm and Va\n"
               "  --enforce-q-lims[=1|2]\n"
               "                     hold generators at Qmax/Qmin and turn their buses PQ, as\n"
               "                     MATPOWER's pf.enforce_q_lims: 1 all violations at once\n"
               "                     (the default), 2 the largest one at a time\n"
               "  --print-flows      also print the generator, bus and branch tables of\n"
               "                     MATPOWER's printpf (outputs, voltages, loads, flows)\n"
               "  -h, --help         this help\n"
               "\n"
               "Without --enforce-q-lims, PV buses hold their voltage whatever Q it takes, as\n"
               "MATPOWER does by default. Buses with no path to a reference bus are reported\n"
               "and left de-energised. A case with no generator in service at a reference\n"
               "(type 3) bus is refused.\n"
               "\n"
               "exit codes: 0 converged, 2 bad input or no convergence (one line on stderr)\n");
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct PfArgs {
    const char *path;
    CityPfOptions o;
    bool print_flows;
} PfArgs;

/* One option at argv[*i] (its value may be argv[*i + 1]); 1 for help, 2 on error. */
static int parse_option(int argc, char **argv, int *i, PfArgs *a)
{
    const char *opt = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    char *end = NULL;
    errno = 0;
    if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
        usage(stdout);
        return 1;
    } else if (!strcmp(opt, "--method")) {
        if (!val || (strcmp(val, "nr") && strcmp(val, "sweep"))) {
            fprintf(stderr, "citylab pf: --method '%s' is not valid: use nr or sweep\n", val ? val : "");
            return 2;
        }
        a->o.method = !strcmp(val, "nr") ? CITY_PF_NR : CITY_PF_SWEEP;
        (*i)++;
    } else if (!strcmp(opt, "--tol")) {
        a->o.tol_pu = val ? strtod(val, &end) : 0;
        if (!val || *end || errno || !(a->o.tol_pu > 0 && a->o.tol_pu <= 1)) {
            fprintf(stderr, "citylab pf: --tol '%s' is not valid: use a number in (0, 1], e.g. 1e-8\n", val ? val : "");
            return 2;
        }
        (*i)++;
    } else if (!strcmp(opt, "--max-iter")) {
        long n = val ? strtol(val, &end, 10) : 0;
        if (!val || *end || errno || n < 1 || n > 100000) {
            fprintf(stderr, "citylab pf: --max-iter '%s' is not valid: use a whole number from 1 to 100000\n",
                    val ? val : "");
            return 2;
        }
        a->o.max_iter = (int32_t)n;
        (*i)++;
    } else if (!strcmp(opt, "--flat")) {
        a->o.flat_start = true;
    } else if (!strcmp(opt, "--enforce-q-lims") || !strcmp(opt, "--enforce-q-lims=1")) {
        a->o.enforce_q_lims = 1;
    } else if (!strcmp(opt, "--enforce-q-lims=2")) {
        a->o.enforce_q_lims = 2;
    } else if (!strcmp(opt, "--print-flows")) {
        a->print_flows = true;
    } else {
        static const char *const flags[] = {"--method",         "--tol",         "--max-iter", "--flat",
                                            "--enforce-q-lims", "--print-flows", "--help",     NULL};
        const char *near = city_cli_nearest(opt, flags);
        fprintf(stderr, "citylab pf: unknown option '%s'%s%s%s (see citylab pf --help)\n", opt,
                near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
        return 2;
    }
    return 0;
}

/* 0 to go on, 1 after --help, 2 on a usage error (reported). */
static int parse_args(int argc, char **argv, PfArgs *a)
{
    memset(a, 0, sizeof *a);
    city_pf_options_default(&a->o);
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] == '-' && arg[1]) {
            int rc = parse_option(argc, argv, &i, a);
            if (rc)
                return rc;
        } else if (!a->path) {
            a->path = arg;
        } else {
            fprintf(stderr, "citylab pf: one case file at a time ('%s' and '%s'); see citylab pf --help\n", a->path,
                    arg);
            return 2;
        }
    }
    if (!a->path) {
        fprintf(stderr, "citylab pf: no case file; usage: citylab pf CASE.m [--method nr|sweep]\n");
        return 2;
    }
    return 0;
}

/* The Generator Data and Branch Data tables of MATPOWER's printpf. */
/* printpf's Bus Data table: the solution, generation summed over the
 * generators in service at each bus, and the fixed load ('*' marks the
 * reference bus, 'x' an isolated one). */
static void print_bus_table(const CityGrid *g, const char *rule)
{
    int32_t nbus, ngen;
    const CityGridBus *bus = city_grid_buses(g, &nbus);
    const CityGridGen *gen = city_grid_gens(g, &ngen);
    const CityGridGenOut *out = city_grid_gen_outputs(g, &ngen);
    printf("%s\n|     Bus Data%*s|\n%s\n", rule, 65, "", rule);
    printf(" Bus      Voltage          Generation             Load        \n");
    printf("  #   Mag(pu) Ang(deg)   P (MW)   Q (MVAr)   P (MW)   Q (MVAr)\n");
    printf("----- ------- --------  --------  --------  --------  --------\n");
    double pg = 0, qg = 0, pd = 0, qd = 0;
    for (int32_t i = 0; i < nbus; i++) {
        const CityGridBus *b = &bus[i];
        printf("%5d%7.3f%9.3f%c", (int)b->id, b->vm_pu, b->va_deg,
               b->type == CITY_BUS_SLACK      ? '*'
               : b->type == CITY_BUS_ISOLATED ? 'x'
                                              : ' ');
        double p = 0, q = 0;
        int32_t n_on = 0;
        for (int32_t k = 0; k < ngen; k++)
            if (gen[k].on && gen[k].bus == b->id) {
                p += out[k].pg_mw;
                q += out[k].qg_mvar;
                n_on++;
            }
        if (n_on)
            printf("%9.2f%10.2f", p, q);
        else
            printf("      -         -  ");
        if (b->pd_mw != 0 || b->qd_mvar != 0)
            printf("%10.2f%10.2f \n", b->pd_mw, b->qd_mvar);
        else
            printf("       -         -   \n");
        pg += p;
        qg += q;
        if (b->type != CITY_BUS_ISOLATED) {
            pd += b->pd_mw;
            qd += b->qd_mvar;
        }
    }
    printf("                        --------  --------  --------  --------\n");
    printf("               Total: %9.2f %9.2f %9.2f %9.2f\n\n", pg, qg, pd, qd);
}

static void print_flows(const CityGrid *g)
{
    int32_t ngen, nbr, nflow;
    const CityGridGen *gen = city_grid_gens(g, &ngen);
    const CityGridGenOut *out = city_grid_gen_outputs(g, &ngen);
    const CityGridBranch *br = city_grid_branches(g, &nbr);
    const CityGridFlow *fl = city_grid_flows(g, &nflow);
    const char *rule = "================================================================================";
    printf("%s\n|     Generator Data%*s|\n%s\n", rule, 59, "", rule);
    printf(" Gen   Bus   Status     Pg        Qg   \n  #     #              (MW)     (MVAr) \n");
    printf("----  -----  ------  --------  --------\n");
    double pg = 0, qg = 0;
    for (int32_t k = 0; k < ngen; k++) {
        printf("%3d %6d     %2d ", (int)k + 1, (int)gen[k].bus, gen[k].on ? 1 : 0);
        if (gen[k].on && (out[k].pg_mw != 0 || out[k].qg_mvar != 0))
            printf("%10.2f%10.2f\n", out[k].pg_mw, out[k].qg_mvar);
        else
            printf("       -         -  \n");
        pg += gen[k].on ? out[k].pg_mw : 0;
        qg += gen[k].on ? out[k].qg_mvar : 0;
    }
    printf("                     --------  --------\n            Total: %9.2f%10.2f\n\n", pg, qg);
    print_bus_table(g, rule);
    printf("%s\n|     Branch Data%*s|\n%s\n", rule, 62, "", rule);
    printf("Brnch   From   To    From Bus Injection   To Bus Injection     Loss (I^2 * Z)  \n");
    printf("  #     Bus    Bus    P (MW)   Q (MVAr)   P (MW)   Q (MVAr)   P (MW)   Q (MVAr)\n");
    printf("-----  -----  -----  --------  --------  --------  --------  --------  --------\n");
    double pl = 0, ql = 0;
    for (int32_t k = 0; k < nbr && k < nflow; k++) {
        printf("%4d%7d%7d%10.2f%10.2f%10.2f%10.2f%10.3f%10.2f\n", (int)br[k].id, (int)br[k].from_bus, (int)br[k].to_bus,
               fl[k].pf_mw, fl[k].qf_mvar, fl[k].pt_mw, fl[k].qt_mvar, fl[k].ploss_mw, fl[k].qloss_mvar);
        pl += fl[k].ploss_mw;
        ql += fl[k].qloss_mvar;
    }
    printf("%61s--------  --------\n%52sTotal:%10.3f%10.2f\n", "", "", pl, ql);
}

static void print_solution(const CityGrid *g, const char *name, const PfArgs *a, const CityPfReport *r, double solve_s,
                           int32_t nbranch, int32_t ngen)
{
    int32_t nbus;
    const CityGridBus *bus = city_grid_buses(g, &nbus);
    printf("# case %s\n", name);
    printf("# alg %s\n", a->o.method == CITY_PF_SWEEP ? "SWEEP" : "NR");
    printf("# success 1\n");
    printf("# iterations %d\n", (int)r->iterations);
    printf("# solve_time_s %.6f\n", solve_s);
    printf("# baseMVA %g\n", city_grid_base_mva(g));
    printf("# nbus %d nbranch %d ngen %d\n", (int)nbus, (int)nbranch, (int)ngen);
    if (a->o.enforce_q_lims)
        printf("# enforce_q_lims %d q_limited_gens %d\n", (int)a->o.enforce_q_lims, (int)r->n_q_limited);
    printf("# total_Pd_MW %.6f total_Qd_MVAr %.6f\n", r->total_pd_mw, r->total_qd_mvar);
    printf("# total_Pg_MW %.6f total_Qg_MVAr %.6f\n", r->total_pg_mw, r->total_qg_mvar);
    printf("# total_P_loss_MW %.6f\n", r->p_loss_mw);
    printf("# total_Q_loss_MVAr %.6f\n", r->q_loss_mvar);
    printf("# min_Vm_pu %.6f at_bus %d\n", r->min_vm_pu, (int)r->min_vm_bus);
    printf("# max_abs_Va_deg %.6f at_bus %d\n", r->max_abs_va_deg, (int)r->max_va_bus);
    printf("# columns: BUS id Vm_pu Va_deg\n");
    for (int32_t i = 0; i < nbus; i++)
        printf("BUS %d %.8f %.8f\n", (int)bus[i].id, bus[i].vm_pu, bus[i].va_deg + 0.0);
    int32_t ng;
    const CityGridGen *gen = city_grid_gens(g, &ng);
    const CityGridGenOut *out = city_grid_gen_outputs(g, &ng);
    printf("# columns: GEN row bus Pg_MW Qg_MVAr (Q_limit when held at Qmax or Qmin)\n");
    for (int32_t k = 0; k < ng; k++)
        printf("GEN %d %d %.8f %.8f%s\n", (int)k + 1, (int)gen[k].bus, out[k].pg_mw + 0.0, out[k].qg_mvar + 0.0,
               out[k].at_q_limit ? " Q_limit" : "");
    if (a->print_flows)
        print_flows(g);
}

int city_cmd_pf(int argc, char **argv)
{
    PfArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : 2;
    CityError err;
    CityMpCase mp;
    CityStatus st = city_matpower_read(a.path, &mp, &err);
    if (st != CITY_OK) {
        fprintf(stderr, "citylab pf: %s\n", err.msg);
        return 2;
    }
    CityGrid *g = NULL;
    st = city_matpower_to_grid(&mp, a.path, &g, &err);
    int32_t nbranch = mp.branch.rows, ngen = mp.gen.rows;
    char name[128];
    snprintf(name, sizeof name, "%s", mp.name);
    city_matpower_free(&mp);
    if (st != CITY_OK) {
        fprintf(stderr, "citylab pf: %s\n", err.msg);
        return 2;
    }
    CityPfReport r;
    double t0 = wall_now();
    st = city_grid_solve(g, &a.o, &r);
    double t1 = wall_now();
    if (st != CITY_OK) {
        fprintf(stderr, "citylab pf: %s: %s\n", a.path, city_grid_error(g));
        city_grid_destroy(g);
        return 2;
    }
    if (r.n_dead > 0)
        fprintf(stderr,
                "citylab pf: %s: warning: %d bus(es) have no path to a reference bus and are de-energised "
                "(first: bus %d); their load is not served\n",
                a.path, (int)r.n_dead, (int)r.first_dead_bus);
    print_solution(g, name, &a, &r, t1 - t0, nbranch, ngen);
    city_grid_destroy(g);
    return fflush(stdout) == 0 ? 0 : 2;
}
