/* Collecting a sweep: every run's summary.json into one tidy CSV (one row
 * per run: parameters, seed, state hash, wall time, checks, KPIs) and a
 * summary per parameter point (mean and 95% confidence interval of every
 * KPI over the seeds, Student t). */
#ifndef CITY_COLLECT_H
#define CITY_COLLECT_H

#include <stddef.h>

#include "city_status.h"

typedef struct CityCollectResult {
    size_t runs;   /* rows in the run table */
    size_t points; /* rows in the point table */
    size_t params; /* parameter columns */
    size_t kpis;   /* KPI columns */
} CityCollectResult;

/* Reads every <dir>/runs/<id>/summary.json (or <dir>/<id>/summary.json when
 * there is no runs/ folder) and writes runs_csv and points_csv (each
 * written whole or not at all). On error returns a status and one clear
 * line in err; nothing is written then. */
CityStatus city_collect(const char *dir, const char *runs_csv, const char *points_csv, CityCollectResult *result,
                        CityError *err);

/* Quantile p (0 < p < 1) of Student's t distribution with df > 0 degrees
 * of freedom, e.g. (0.975, 3) = 3.182446. */
double city_student_t_quantile(double p, double df);

#endif
