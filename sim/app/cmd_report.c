/* citylab report OUT_DIR: the run as one HTML page with a chart per series. */
#include <stdio.h>
#include <string.h>

#include "city_report.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: citylab report OUT_DIR\n"
               "\n"
               "Writes OUT_DIR/report.html for the run in OUT_DIR (the --out folder of `citylab run`): its\n"
               "scenario, seed and state hash, every check and KPI, and every time series (each CSV whose\n"
               "first column is time_s) as charts, one per unit of its columns (one per city.series).\n"
               "The page is self-contained: inline SVG, no scripts, nothing fetched.\n");
}

int city_cmd_report(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "citylab report: unexpected '%s'; usage: citylab report OUT_DIR\n", argv[i]);
            return 2;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        fprintf(stderr, "citylab report: no run folder given; usage: citylab report OUT_DIR\n");
        return 2;
    }
    CityError err;
    CityReportResult r;
    if (city_report_write(dir, &r, &err) != CITY_OK) {
        fprintf(stderr, "citylab report: %s\n", err.msg);
        return 2;
    }
    printf("report     %s (%zu charts, %zu checks, %zu KPIs)\n", r.path, r.charts, r.checks, r.kpis);
    return 0;
}
