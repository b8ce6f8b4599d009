/* `citylab report`: one self-contained HTML page of a run folder (its run
 * facts, checks, KPIs and every time series as an inline SVG chart; no
 * scripts, no external files), so a reader looks rather than reads. */
#ifndef CITY_REPORT_H
#define CITY_REPORT_H

#include <stddef.h>

#include "city_status.h"

typedef struct CityReportResult {
    char path[4200]; /* the page written (RUN_DIR/report.html) */
    size_t charts;   /* charts on it (one per series table and unit) */
    size_t checks;   /* checks listed */
    size_t kpis;     /* KPIs listed */
} CityReportResult;

/* Writes run_dir/report.html (replacing an older one whole, never half).
 * A time series is a CSV table of the run whose first column is time_s
 * (events.csv aside): each is one chart per unit (the column suffix after
 * its last '_'; a city.series table is one chart) with a line per column,
 * empty cells as gaps. A folder that is not a citylab run (no .citylab-run
 * marker or no summary.json) is CITY_ERR_INVALID with one clear line in
 * err. Callable any time; touches nothing but report.html. */
CityStatus city_report_write(const char *run_dir, CityReportResult *result, CityError *err);

#endif
