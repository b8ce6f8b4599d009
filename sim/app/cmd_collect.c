/* citylab collect SWEEP_OUT: one table of every run of a sweep. */
#include <stdio.h>
#include <string.h>

#include "city_collect.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: citylab collect SWEEP_OUT [--out DIR]\n"
               "\n"
               "Reads every run's summary.json under SWEEP_OUT/runs/ and writes two CSV tables into DIR\n"
               "(default SWEEP_OUT):\n"
               "  results.csv  one row per run: run, seed, param.<name>..., state_hash, wall_time_s,\n"
               "               sim_time_s, checks_passed, check.<name>..., kpi.<name>...\n"
               "  points.csv   one row per parameter point: param.<name>..., runs, runs_checks_passed,\n"
               "               kpi.<name>.mean, .ci95_low, .ci95_high (95%% CI over seeds, Student t)\n"
               "Parquet is not written: Debian has no packaged C library for it; CSV loads in pandas,\n"
               "R, polars and DuckDB alike.\n");
}

int city_cmd_collect(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "citylab collect: unexpected '%s'; usage: citylab collect SWEEP_OUT [--out DIR]\n",
                    argv[i]);
            return 2;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        fprintf(stderr, "citylab collect: no sweep folder given; usage: citylab collect SWEEP_OUT [--out DIR]\n");
        return 2;
    }
    char runs[4200], points[4200];
    CityError err;
    snprintf(runs, sizeof runs, "%s/results.csv", out ? out : dir);
    snprintf(points, sizeof points, "%s/points.csv", out ? out : dir);
    CityCollectResult r;
    if (city_collect(dir, runs, points, &r, &err) != CITY_OK) {
        fprintf(stderr, "citylab collect: %s\n", err.msg);
        return 2;
    }
    printf("collected %zu runs (%zu parameter points, %zu parameters, %zu KPIs)\n", r.runs, r.points, r.params, r.kpis);
    printf("  %s\n  %s\n", runs, points);
    return 0;
}
