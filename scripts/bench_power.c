/* Power-flow benchmark (not a test): warm Newton-Raphson solves on a
 * synthetic meshed 118-bus grid, cold and warm solves on a synthetic
 * 10,000-bus grid, and a year of hourly power flows on case33bw.
 * The 118- and 10,000-bus grids are generated here (synthetic, not the
 * IEEE 118-bus system). Built and run by scripts/bench_power.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "city_grid.h"
#include "city_matpower.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static void check(CityStatus st, CityGrid *g, const char *what)
{
    if (st != CITY_OK) {
        fprintf(stderr, "bench_power: %s: %s\n", what, city_grid_error(g));
        exit(1);
    }
}

/* A synthetic meshed grid: n buses on a W-wide lattice, each row a radial
 * string off a spine, plus vertical ties with probability p_tie (local
 * meshing, as real grids have, rather than random long-range chords); one
 * slack, a PV generator every `pv_every` buses. */
static CityGrid *synthetic(int n, double p_tie, int pv_every, double scale, double *pd, double *qd)
{
    CityGrid *g = city_grid_create(100);
    int w = (int)ceil(sqrt((double)n));
    for (int i = 1; i <= n; i++) {
        CityGridBus b = {.id = i, .type = CITY_BUS_PQ, .vm_pu = 1.0};
        if (i == 1)
            b.type = CITY_BUS_SLACK;
        else if (i % pv_every == pv_every / 2)
            b.type = CITY_BUS_PV;
        else {
            b.pd_mw = pd[i] = scale * (0.3 + 0.4 * uniform());
            b.qd_mvar = qd[i] = scale * (0.1 + 0.1 * uniform());
        }
        check(city_grid_add_bus(g, &b), g, "bus");
        if (b.type != CITY_BUS_PQ) {
            CityGridGen gen = {.bus = i, .pg_mw = i == 1 ? 0 : scale * 0.5 * pv_every * 0.5, .vg_pu = 1.01, .on = true};
            check(city_grid_add_gen(g, &gen), g, "gen");
        }
    }
    int id = 1;
    for (int i = 2; i <= n; i++) {
        int r = (i - 1) / w, c = (i - 1) % w;
        int up = c == 0 ? i - w : i - 1; /* the spine runs down column 0 */
        CityGridBranch br = {.id = id++,
                             .from_bus = up,
                             .to_bus = i,
                             .r_pu = 0.002 + 0.002 * uniform(),
                             .x_pu = 0.006 + 0.006 * uniform(),
                             .b_pu = 0.002,
                             .closed = true};
        check(city_grid_add_branch(g, &br), g, "branch");
        if (r > 0 && c > 0 && uniform() < p_tie) {
            CityGridBranch tie = {.id = id++,
                                  .from_bus = i - w,
                                  .to_bus = i,
                                  .r_pu = 0.004,
                                  .x_pu = 0.012,
                                  .b_pu = 0.001,
                                  .closed = true};
            check(city_grid_add_branch(g, &tie), g, "tie");
        }
    }
    return g;
}

/* Warm solves: loads move a few percent each time, NR restarts from the
 * last solution and refactors on the same symbolic analysis. */
static void bench_warm(const char *name, int n, double p_tie, int pv_every, double scale, int reps, double budget_ms)
{
    double *pd = calloc((size_t)n + 1, sizeof *pd), *qd = calloc((size_t)n + 1, sizeof *qd);
    double t0 = now();
    CityGrid *g = synthetic(n, p_tie, pv_every, scale, pd, qd);
    CityPfOptions o;
    city_pf_options_default(&o);
    CityPfReport r;
    double t1 = now();
    check(city_grid_solve(g, &o, &r), g, "first solve");
    double t2 = now();
    int32_t nbr;
    city_grid_branches(g, &nbr);
    printf("%-34s %6d buses %6d branches: cold solve (Ybus, analyse, factor) %8.3f ms, %d iterations "
           "(build %.1f ms)\n",
           name, n, (int)nbr, (t2 - t1) * 1e3, (int)r.iterations, (t1 - t0) * 1e3);
    for (int mode = 0; mode < 2; mode++) {
        o.full_newton = mode == 1;
        double total = 0, worst = 0;
        long iters = 0;
        for (int k = 0; k < reps; k++) {
            double f = 0.95 + 0.1 * uniform();
            for (int i = 1; i <= n; i++)
                if (pd[i] > 0)
                    city_grid_bus_set_load(g, i, pd[i] * f, qd[i] * f);
            double a = now();
            check(city_grid_solve(g, &o, &r), g, "warm solve");
            double b = now();
            total += b - a;
            worst = fmax(worst, b - a);
            iters += r.iterations;
        }
        printf("%-34s warm, loads +-5%%, %-26s mean %8.4f ms, worst %8.4f ms, %.2f iterations", "",
               mode ? "full Newton (refactor):" : "chord steps on old factors:", total / reps * 1e3, worst * 1e3,
               (double)iters / reps);
        if (mode == 0)
            printf("  [target %g ms: %s]", budget_ms, total / reps * 1e3 <= budget_ms ? "met" : "MISSED");
        printf("\n");
    }
    city_grid_destroy(g);
    free(pd);
    free(qd);
}

/* A year of hourly power flows on case33bw with a daily and seasonal load shape. */
static void bench_year(const char *path, CityPfMethod method)
{
    CityError err;
    CityMpCase mp;
    if (city_matpower_read(path, &mp, &err) != CITY_OK) {
        fprintf(stderr, "bench_power: %s\n", err.msg);
        exit(1);
    }
    CityGrid *g = NULL;
    if (city_matpower_to_grid(&mp, path, &g, &err) != CITY_OK) {
        fprintf(stderr, "bench_power: %s\n", err.msg);
        exit(1);
    }
    city_matpower_free(&mp);
    int32_t n;
    const CityGridBus *bus = city_grid_buses(g, &n);
    double *pd = malloc((size_t)n * sizeof *pd), *qd = malloc((size_t)n * sizeof *qd);
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    for (int32_t i = 0; i < n; i++) {
        pd[i] = bus[i].pd_mw;
        qd[i] = bus[i].qd_mvar;
        ids[i] = bus[i].id;
    }
    CityPfOptions o;
    city_pf_options_default(&o);
    o.method = method;
    CityPfReport r;
    double loss_mwh = 0, vmin = 2;
    long iters = 0;
    double t0 = now();
    for (int h = 0; h < 8760; h++) {
        double day = 0.75 + 0.25 * sin(2 * M_PI * (h % 24 - 9) / 24.0);
        double season = 0.85 + 0.15 * cos(2 * M_PI * (h / 24 - 200) / 365.0);
        double f = day * season;
        for (int32_t i = 0; i < n; i++)
            city_grid_bus_set_load(g, ids[i], pd[i] * f, qd[i] * f);
        check(city_grid_solve(g, &o, &r), g, "hourly solve");
        loss_mwh += r.p_loss_mw;
        vmin = fmin(vmin, r.min_vm_pu);
        iters += r.iterations;
    }
    double t1 = now();
    printf("case33bw, 8760 hourly solves (%-5s)  total %8.1f ms (%.1f us/solve, %.2f iterations)  "
           "losses %.1f MWh/yr, min V %.4f pu  [target 500 ms: %s]\n",
           method == CITY_PF_NR ? "nr" : "sweep", (t1 - t0) * 1e3, (t1 - t0) / 8760 * 1e6, (double)iters / 8760,
           loss_mwh, vmin, (t1 - t0) <= 0.5 ? "met" : "MISSED");
    free(pd);
    free(qd);
    free(ids);
    city_grid_destroy(g);
}

int main(int argc, char **argv)
{
    const char *case33 = argc > 1 ? argv[1] : "tests/data/matpower/case33bw.m";
    bench_warm("synthetic meshed 118-bus grid", 118, 0.7, 6, 1.0, 20000, 0.1);
    bench_warm("synthetic meshed 10,000-bus grid", 10000, 0.5, 50, 0.1, 50, 20.0);
    bench_year(case33, CITY_PF_NR);
    bench_year(case33, CITY_PF_SWEEP);
    return 0;
}
