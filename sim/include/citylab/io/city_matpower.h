/* MATPOWER case files (format version 2, `.m`): a reader for the subset
 * of MATLAB that case files use, and the conversion into a CityGrid.
 *
 * Understood: `function mpc = name`, `mpc.version`, `mpc.baseMVA`,
 * `mpc.bus`, `mpc.gen`, `mpc.branch` matrices (rows separated by `;` or
 * newlines, elements by spaces, tabs or commas; `%` comments, `...`
 * continuations, scientific notation, Inf/NaN), other fields (gencost,
 * bus_name cells, areas, ...) which are parsed and ignored, the
 * `[...] = idx_bus` / `idx_brch` / `idx_gen` / `idx_cost` constants and
 * `define_constants`, scalar variables, element-wise arithmetic,
 * comparisons and logic on values and selected rows and columns, such as
 * `mpc.bus(:, QD) = mpc.bus(:, PD) * sin(acos(pf))` or `12/sqrt(3)`, the
 * functions sqrt, sin, cos, tan, asin, acos, atan, exp, log, log10, abs,
 * floor, ceil, round, fix, sign, isinf, isnan, find, any, all, numel,
 * length, size, ones, zeros, ranges a:b, and if / elseif / else / end
 * blocks. Anything else that would change the data (loops, other
 * functions, matrix algebra) is refused with file:line, never skipped. */
#ifndef CITY_MATPOWER_H
#define CITY_MATPOWER_H

#include <stddef.h>
#include <stdint.h>

#include "city_grid.h"
#include "city_status.h"

typedef struct CityMpMatrix {
    double *v; /* row-major, rows x cols */
    int32_t rows, cols;
    int32_t *row_line; /* source line of each row (for messages) */
} CityMpMatrix;

typedef struct CityMpCase {
    char name[128];  /* the function name, or the file stem */
    double base_mva; /* mpc.baseMVA */
    CityMpMatrix bus, gen, branch;
    int32_t base_line; /* line of mpc.baseMVA */
} CityMpCase;

/* Parses a case from text; `path` names it in messages ("file:line: what;
 * how to fix"). Fills *out (free with city_matpower_free) or returns
 * CITY_ERR_PARSE with one line in err. */
CityStatus city_matpower_parse(const char *text, size_t len, const char *path, CityMpCase *out, CityError *err);
/* Reads and parses a file (CITY_ERR_IO when unreadable). */
CityStatus city_matpower_read(const char *path, CityMpCase *out, CityError *err);
void city_matpower_free(CityMpCase *mp);

/* Builds a grid from a parsed case (branch ids are row numbers from 1).
 * Checks columns, bus numbers and types and reports file:line of the
 * offending row; refuses a case with no generator in service at a
 * reference (type 3) bus. The caller owns *grid. */
CityStatus city_matpower_to_grid(const CityMpCase *mp, const char *path, CityGrid **grid, CityError *err);

#endif
