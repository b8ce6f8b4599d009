/* Nearest-point index: the points are bucketed in a uniform grid of about
 * two points per cell (a counting sort, so each cell lists its points in
 * index order, and the points' coordinates are stored in that order for
 * locality). A query visits the rings of cells around its own until the
 * best distance found is below the distance to the next ring. */
#include <math.h>
#include <stdlib.h>

#include "city_points.h"

struct CityPoints {
    int32_t n;          /* points indexed (finite ones) */
    int32_t nx, ny;     /* cells */
    double x0, y0, cs;  /* grid origin and cell size, m */
    int32_t *start;     /* nx * ny + 1: cell c holds items start[c] .. start[c + 1] - 1 */
    int32_t *id;        /* n: the point's index, by cell */
    double *px, *py;    /* n: its coordinates, by cell */
    size_t cap_cells, cap_items;
};

CityPoints *city_points_new(void)
{
    return calloc(1, sizeof(CityPoints));
}

void city_points_free(CityPoints *p)
{
    if (!p)
        return;
    free(p->start);
    free(p->id);
    free(p->px);
    free(p->py);
    free(p);
}

static bool reserve(CityPoints *p, size_t cells, size_t items)
{
    if (cells + 1 > p->cap_cells) {
        int32_t *s = realloc(p->start, (cells + 1) * sizeof *s);
        if (!s)
            return false;
        p->start = s;
        p->cap_cells = cells + 1;
    }
    if (items > p->cap_items) {
        int32_t *id = realloc(p->id, items * sizeof *id);
        if (id)
            p->id = id;
        double *px = id ? realloc(p->px, items * sizeof *px) : NULL;
        if (px)
            p->px = px;
        double *py = px ? realloc(p->py, items * sizeof *py) : NULL;
        if (!py)
            return false;
        p->py = py;
        p->cap_items = items;
    }
    return true;
}

static int32_t cell_of(double v, double v0, double cs, int32_t n)
{
    const double c = floor((v - v0) / cs);
    return c < 0 ? 0 : c >= n ? n - 1 : (int32_t)c;
}

bool city_points_build(CityPoints *p, int32_t n, const double *x, const double *y)
{
    p->n = 0;
    p->nx = p->ny = 0;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        x0 = fmin(x0, x[i]), x1 = fmax(x1, x[i]);
        y0 = fmin(y0, y[i]), y1 = fmax(y1, y[i]);
        m++;
    }
    if (m == 0)
        return reserve(p, 0, 0);
    /* about two points per cell over the bounding box; a box of no width or
     * height gets one row or column */
    const double w = x1 - x0, h = y1 - y0;
    double cs = sqrt(fmax(w * h, 0.0) * 2.0 / m);
    if (!(cs > 0.0))
        cs = fmax(fmax(w, h) * 2.0 / m, 1.0);
    const double cap = 4.0 * m + 16.0; /* cells at most, so memory stays O(n) */
    double nx = floor(w / cs) + 1.0, ny = floor(h / cs) + 1.0;
    while (nx * ny > cap) {
        cs *= 2.0;
        nx = floor(w / cs) + 1.0;
        ny = floor(h / cs) + 1.0;
    }
    p->nx = (int32_t)nx;
    p->ny = (int32_t)ny;
    p->x0 = x0, p->y0 = y0, p->cs = cs;
    const size_t cells = (size_t)p->nx * (size_t)p->ny;
    if (!reserve(p, cells, (size_t)m)) {
        p->nx = p->ny = 0;
        return false;
    }
    for (size_t c = 0; c <= cells; c++)
        p->start[c] = 0;
    for (int32_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            p->start[1 + (size_t)cell_of(y[i], y0, cs, p->ny) * (size_t)p->nx + (size_t)cell_of(x[i], x0, cs, p->nx)]++;
    for (size_t c = 0; c < cells; c++)
        p->start[c + 1] += p->start[c];
    for (int32_t i = 0; i < n; i++) { /* in index order: each cell lists its points by index */
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        const size_t c = (size_t)cell_of(y[i], y0, cs, p->ny) * (size_t)p->nx + (size_t)cell_of(x[i], x0, cs, p->nx);
        const int32_t k = p->start[c]++;
        p->id[k] = i;
        p->px[k] = x[i];
        p->py[k] = y[i];
    }
    for (size_t c = cells; c > 0; c--) /* undo the shift of the placing pass */
        p->start[c] = p->start[c - 1];
    p->start[0] = 0;
    p->n = m;
    return true;
}

/* Best of cell (cx, cy) against (*bd2, *bid). */
static void visit(const CityPoints *p, int32_t cx, int32_t cy, double x, double y, double *bd2, int32_t *bid)
{
    const size_t c = (size_t)cy * (size_t)p->nx + (size_t)cx;
    for (int32_t k = p->start[c]; k < p->start[c + 1]; k++) {
        const double dx = p->px[k] - x, dy = p->py[k] - y, d2 = dx * dx + dy * dy;
        if (d2 < *bd2 || (d2 == *bd2 && p->id[k] < *bid)) {
            *bd2 = d2;
            *bid = p->id[k];
        }
    }
}

int32_t city_points_nearest(const CityPoints *p, double x, double y)
{
    if (p->n == 0 || !isfinite(x) || !isfinite(y))
        return -1;
    const int32_t cx = cell_of(x, p->x0, p->cs, p->nx), cy = cell_of(y, p->y0, p->cs, p->ny);
    const int32_t rmax = p->nx > p->ny ? p->nx : p->ny;
    /* rounding in the cell and distance arithmetic, far above its size */
    const double slack = 1e-9 * (fabs(x) + fabs(y) + fabs(p->x0) + fabs(p->y0) + p->cs * rmax);
    double bd2 = INFINITY;
    int32_t bid = -1;
    for (int32_t r = 0; r <= rmax; r++) {
        /* ring r: the cells whose larger index offset from (cx, cy) is r */
        for (int32_t j = cy - r; j <= cy + r; j++) {
            if (j < 0 || j >= p->ny)
                continue;
            const int32_t step = (j == cy - r || j == cy + r) ? 1 : 2 * r;
            for (int32_t i = cx - r; i <= cx + r; i += step > 0 ? step : 1) {
                if (i >= 0 && i < p->nx)
                    visit(p, i, j, x, y, &bd2, &bid);
            }
        }
        /* a point in ring r + 1 or beyond lies more than r cells away along
         * one axis (the query may sit on its cell's far edge, or outside the
         * grid, which only adds): stop when the best is nearer than that,
         * less a margin for rounding, so a tie beyond is never missed */
        const double reach = (double)r * p->cs - slack;
        if (bid >= 0 && reach > 0.0 && bd2 < reach * reach)
            break;
    }
    return bid;
}
