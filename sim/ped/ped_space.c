/* Walkable space: convex areas, doors, walls, A* over doors and the local
 * target that steers a person through the area it is in. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "ped_internal.h"

#define PED_EPS_M 1e-3      /* coordinates closer than this are one point */
#define PED_MAX_POINTS 4096 /* per area */

void ped_space_free(PedSpace *s)
{
    free(s->pts);
    free(s->area_first);
    free(s->area_n);
    free(s->edge_len);
    free(s->doors);
    free(s->area_door_first);
    free(s->area_doors);
    free(s->walls);
    free(s->free_walls);
    ped_walls_free(&s->wall_hash);
    free(s->area_cell_first);
    free(s->area_cell_items);
    free(s->g_cost);
    free(s->came_from);
    free(s->seen);
    free(s->node_first);
    free(s->node_next);
    free(s->node_cost);
    free(s->heap);
    free(s->closed);
    memset(s, 0, sizeof *s);
}

static const double *area_pts(const PedSpace *s, int32_t a)
{
    return s->pts + 2 * s->area_first[a];
}

static bool refuse_sealed(CityPed *ped, const char *what)
{
    if (!ped->space.sealed)
        return false;
    ped_fail(ped, CITY_ERR_INVALID, "ped: cannot add %s once people walk; build the walkable space first", what);
    return true;
}

int32_t city_ped_area_add(CityPed *ped, const double *xy, int32_t n_pts)
{
    PedSpace *s = &ped->space;
    if (refuse_sealed(ped, "an area"))
        return -1;
    if (!xy || n_pts < 3 || n_pts > PED_MAX_POINTS) {
        ped_fail(ped, CITY_ERR_INVALID, "ped: area %d has %d points; give 3 to %d", (int)s->n_areas, (int)n_pts,
                 PED_MAX_POINTS);
        return -1;
    }
    double area2 = 0;
    for (int32_t i = 0; i < n_pts; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) {
            ped_fail(ped, CITY_ERR_INVALID, "ped: area %d point %d is not a finite number", (int)s->n_areas,
                     (int)i + 1);
            return -1;
        }
        int32_t j = (i + 1) % n_pts;
        area2 += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    if (fabs(area2) < 2e-6) {
        ped_fail(ped, CITY_ERR_INVALID, "ped: area %d has no surface; give its corners in order", (int)s->n_areas);
        return -1;
    }
    bool ccw = area2 > 0;
    /* Convex: every turn goes the same way (straight runs allowed). */
    for (int32_t i = 0; i < n_pts; i++) {
        int32_t j = (i + 1) % n_pts, k = (i + 2) % n_pts;
        double cross = (xy[2 * j] - xy[2 * i]) * (xy[2 * k + 1] - xy[2 * j + 1]) -
                       (xy[2 * j + 1] - xy[2 * i + 1]) * (xy[2 * k] - xy[2 * j]);
        if ((ccw ? cross : -cross) < -1e-9) {
            ped_fail(ped, CITY_ERR_INVALID,
                     "ped: area %d is not convex at point %d; split it into convex areas joined by doors",
                     (int)s->n_areas, (int)j + 1);
            return -1;
        }
    }
    int32_t need = s->n_pts2 + 2 * n_pts;
    int32_t cap_areas = s->cap_areas;
    if (!city_array_grow((void **)&s->pts, &s->cap_pts2, need, sizeof(double)) ||
        !city_array_grow((void **)&s->area_first, &cap_areas, s->n_areas + 1, sizeof(int32_t)) ||
        !city_array_grow((void **)&s->area_n, &s->cap_areas, s->n_areas + 1, sizeof(int32_t))) {
        ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory adding an area");
        return -1;
    }
    double *dst = s->pts + s->n_pts2;
    for (int32_t i = 0; i < n_pts; i++) {
        int32_t src = ccw ? i : n_pts - 1 - i;
        dst[2 * i] = xy[2 * src];
        dst[2 * i + 1] = xy[2 * src + 1];
    }
    s->area_first[s->n_areas] = s->n_pts2 / 2;
    s->area_n[s->n_areas] = n_pts;
    s->n_pts2 = need;
    return s->n_areas++;
}

/* Overlap of edge (p, q) of one area with edge (u, v) of another: the
 * interval [t0, t1] along p->q (in metres) when the edges are collinear. */
static bool edge_overlap(const double *p, const double *q, const double *u, const double *v, double *t0, double *t1)
{
    double dx = q[0] - p[0], dy = q[1] - p[1];
    double len = hypot(dx, dy);
    if (len < PED_EPS_M)
        return false;
    dx /= len;
    dy /= len;
    double du = (u[0] - p[0]) * dy - (u[1] - p[1]) * dx;
    double dv = (v[0] - p[0]) * dy - (v[1] - p[1]) * dx;
    if (fabs(du) > PED_EPS_M || fabs(dv) > PED_EPS_M)
        return false;
    double tu = (u[0] - p[0]) * dx + (u[1] - p[1]) * dy;
    double tv = (v[0] - p[0]) * dx + (v[1] - p[1]) * dy;
    *t0 = fmax(0.0, fmin(tu, tv));
    *t1 = fmin(len, fmax(tu, tv));
    return *t1 - *t0 > PED_EPS_M;
}

static int32_t push_door(CityPed *ped, int32_t a, int32_t b, double x1, double y1, double x2, double y2, double nx,
                         double ny)
{
    PedSpace *s = &ped->space;
    if (!city_array_grow((void **)&s->doors, &s->cap_doors, s->n_doors + 1, sizeof(PedDoor))) {
        ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory adding a door");
        return -1;
    }
    s->doors[s->n_doors] = (PedDoor){.a = a,
                                     .b = b,
                                     .x1 = x1,
                                     .y1 = y1,
                                     .x2 = x2,
                                     .y2 = y2,
                                     .nx = nx,
                                     .ny = ny,
                                     .mx = 0.5 * (x1 + x2),
                                     .my = 0.5 * (y1 + y2)};
    return s->n_doors++;
}

int32_t city_ped_door_add(CityPed *ped, int32_t area_a, int32_t area_b, double width_m)
{
    PedSpace *s = &ped->space;
    if (refuse_sealed(ped, "a door"))
        return -1;
    if (area_a < 0 || area_a >= s->n_areas || area_b < 0 || area_b >= s->n_areas || area_a == area_b ||
        !isfinite(width_m)) {
        ped_fail(ped, CITY_ERR_INVALID, "ped: door %d joins areas %d and %d; give two different existing areas",
                 (int)s->n_doors, (int)area_a, (int)area_b);
        return -1;
    }
    const double *pa = area_pts(s, area_a), *pb = area_pts(s, area_b);
    int32_t na = s->area_n[area_a], nb = s->area_n[area_b];
    double best = 0, bt0 = 0, bt1 = 0;
    int32_t best_edge = -1;
    for (int32_t i = 0; i < na; i++) {
        const double *p = pa + 2 * i, *q = pa + 2 * ((i + 1) % na);
        for (int32_t j = 0; j < nb; j++) {
            double t0, t1;
            if (edge_overlap(p, q, pb + 2 * j, pb + 2 * ((j + 1) % nb), &t0, &t1) && t1 - t0 > best) {
                best = t1 - t0;
                bt0 = t0;
                bt1 = t1;
                best_edge = i;
            }
        }
    }
    if (best_edge < 0) {
        ped_fail(ped, CITY_ERR_INVALID,
                 "ped: areas %d and %d share no edge, so no door can join them; make them touch along an edge",
                 (int)area_a, (int)area_b);
        return -1;
    }
    if (width_m > 0 && width_m < best) {
        double mid = 0.5 * (bt0 + bt1);
        bt0 = mid - 0.5 * width_m;
        bt1 = mid + 0.5 * width_m;
    }
    const double *p = pa + 2 * best_edge, *q = pa + 2 * ((best_edge + 1) % na);
    double len = hypot(q[0] - p[0], q[1] - p[1]);
    double ux = (q[0] - p[0]) / len, uy = (q[1] - p[1]) / len;
    /* The outward normal of a counter-clockwise edge points from a into b. */
    return push_door(ped, area_a, area_b, p[0] + ux * bt0, p[1] + uy * bt0, p[0] + ux * bt1, p[1] + uy * bt1, uy, -ux);
}

static void area_centroid(const PedSpace *s, int32_t a, double *cx, double *cy)
{
    const double *p = area_pts(s, a);
    double sx = 0, sy = 0;
    for (int32_t i = 0; i < s->area_n[a]; i++) {
        sx += p[2 * i];
        sy += p[2 * i + 1];
    }
    *cx = sx / s->area_n[a];
    *cy = sy / s->area_n[a];
}

int32_t city_ped_door_add_segment(CityPed *ped, int32_t area_a, int32_t area_b, double x1, double y1, double x2,
                                  double y2)
{
    PedSpace *s = &ped->space;
    if (refuse_sealed(ped, "a door"))
        return -1;
    double len = hypot(x2 - x1, y2 - y1);
    if (area_a < 0 || area_a >= s->n_areas || area_b < 0 || area_b >= s->n_areas || area_a == area_b ||
        !(len >= PED_EPS_M) || !isfinite(len)) {
        ped_fail(ped, CITY_ERR_INVALID,
                 "ped: door %d joins areas %d and %d along (%g, %g)-(%g, %g); give two different existing areas "
                 "and a segment",
                 (int)s->n_doors, (int)area_a, (int)area_b, x1, y1, x2, y2);
        return -1;
    }
    double nx = (y2 - y1) / len, ny = -(x2 - x1) / len;
    double ax, ay, bx, by;
    area_centroid(s, area_a, &ax, &ay);
    area_centroid(s, area_b, &bx, &by);
    if ((bx - ax) * nx + (by - ay) * ny < 0) {
        nx = -nx;
        ny = -ny;
    }
    return push_door(ped, area_a, area_b, x1, y1, x2, y2, nx, ny);
}

CityStatus city_ped_set_edge_walls(CityPed *ped, bool on)
{
    if (refuse_sealed(ped, "a wall rule"))
        return CITY_ERR_INVALID;
    ped->space.no_edge_walls = !on;
    return CITY_OK;
}

int32_t city_ped_door_count(const CityPed *ped)
{
    return ped->space.n_doors;
}

void city_ped_door_get(const CityPed *ped, int32_t door, int32_t *area_a, int32_t *area_b, double *x1, double *y1,
                       double *x2, double *y2)
{
    const PedDoor *d = &ped->space.doors[door];
    *area_a = d->a;
    *area_b = d->b;
    *x1 = d->x1;
    *y1 = d->y1;
    *x2 = d->x2;
    *y2 = d->y2;
}

CityStatus city_ped_wall_add(CityPed *ped, double x1, double y1, double x2, double y2)
{
    PedSpace *s = &ped->space;
    if (refuse_sealed(ped, "a wall"))
        return CITY_ERR_INVALID;
    if (!isfinite(x1) || !isfinite(y1) || !isfinite(x2) || !isfinite(y2) || hypot(x2 - x1, y2 - y1) < PED_EPS_M)
        return ped_fail(ped, CITY_ERR_INVALID, "ped: wall %d is not a segment of finite points; give two ends",
                        (int)s->n_free_walls);
    if (!city_array_grow((void **)&s->free_walls, &s->cap_free_walls, s->n_free_walls + 1, sizeof(PedWall)))
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory adding a wall");
    s->free_walls[s->n_free_walls++] = (PedWall){.x1 = x1, .y1 = y1, .x2 = x2, .y2 = y2};
    return CITY_OK;
}

CityStatus city_ped_set_periodic_x(CityPed *ped, double x0_m, double x1_m)
{
    if (refuse_sealed(ped, "a periodic range"))
        return CITY_ERR_INVALID;
    if (!isfinite(x0_m) || !isfinite(x1_m) || x1_m - x0_m < 3 * ped->p.cutoff_m)
        return ped_fail(ped, CITY_ERR_INVALID, "ped: periodic range [%g, %g) is shorter than 3 force cutoffs (%g m)",
                        x0_m, x1_m, 3 * ped->p.cutoff_m);
    ped->space.periodic = true;
    ped->space.px0 = x0_m;
    ped->space.px1 = x1_m;
    return CITY_OK;
}

bool ped_space_contains(const PedSpace *s, int32_t area, double x, double y, double margin_m)
{
    const double *p = area_pts(s, area);
    const double *lens = s->edge_len ? s->edge_len + s->area_first[area] : NULL;
    int32_t n = s->area_n[area];
    for (int32_t i = 0; i < n; i++) {
        const double *a = p + 2 * i, *b = i + 1 < n ? a + 2 : p;
        double ex = b[0] - a[0], ey = b[1] - a[1];
        double len = lens ? lens[i] : sqrt(ex * ex + ey * ey);
        if (len < 1e-12)
            continue;
        /* Inside a counter-clockwise polygon is left of every edge. */
        if (ex * (y - a[1]) - ey * (x - a[0]) < margin_m * len)
            return false;
    }
    return true;
}

bool ped_space_contains_slack(const PedSpace *s, int32_t area, double x, double y, double margin_m, double *slack_m)
{
    const double *p = area_pts(s, area);
    const double *lens = s->edge_len ? s->edge_len + s->area_first[area] : NULL;
    int32_t n = s->area_n[area];
    double slack = INFINITY;
    *slack_m = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *a = p + 2 * i, *b = i + 1 < n ? a + 2 : p;
        double ex = b[0] - a[0], ey = b[1] - a[1];
        double len = lens ? lens[i] : sqrt(ex * ex + ey * ey);
        if (len < 1e-12)
            continue;
        double cross = ex * (y - a[1]) - ey * (x - a[0]);
        if (cross < margin_m * len)
            return false;
        double clear = (cross - margin_m * len) / len;
        slack = clear < slack ? clear : slack;
    }
    *slack_m = slack - 1e-6 > 0 ? slack - 1e-6 : 0;
    return true;
}

int32_t ped_space_cell_areas(const PedSpace *s, double x, double y, const int32_t **items)
{
    *items = NULL;
    if (!s->area_cell_first)
        return -1;
    double fx = floor((x - s->ax0) / s->area_cell_m), fy = floor((y - s->ay0) / s->area_cell_m);
    if (!(fx >= 0 && fx < s->anx && fy >= 0 && fy < s->any))
        return 0;
    int32_t c = (int32_t)fy * s->anx + (int32_t)fx;
    *items = s->area_cell_items + s->area_cell_first[c];
    return s->area_cell_first[c + 1] - s->area_cell_first[c];
}

int32_t city_ped_area_at(const CityPed *ped, double x, double y)
{
    const PedSpace *s = &ped->space;
    if (!s->area_cell_first) { /* not sealed yet: every area */
        for (int32_t a = 0; a < s->n_areas; a++)
            if (ped_space_contains(s, a, x, y, -1e-9))
                return a;
        return -1;
    }
    double fx = floor((x - s->ax0) / s->area_cell_m), fy = floor((y - s->ay0) / s->area_cell_m);
    if (!(fx >= 0 && fx < s->anx && fy >= 0 && fy < s->any))
        return -1;
    int32_t c = (int32_t)fy * s->anx + (int32_t)fx;
    for (int32_t k = s->area_cell_first[c]; k < s->area_cell_first[c + 1]; k++)
        if (ped_space_contains(s, s->area_cell_items[k], x, y, -1e-9))
            return s->area_cell_items[k];
    return -1;
}

/* Box of an area, widened by 1 mm (points on an edge count as inside). */
static void area_box(const PedSpace *s, int32_t a, double *x0, double *y0, double *x1, double *y1)
{
    const double *p = area_pts(s, a);
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int32_t i = 0; i < s->area_n[a]; i++) {
        *x0 = fmin(*x0, p[2 * i] - PED_EPS_M);
        *x1 = fmax(*x1, p[2 * i] + PED_EPS_M);
        *y0 = fmin(*y0, p[2 * i + 1] - PED_EPS_M);
        *y1 = fmax(*y1, p[2 * i + 1] + PED_EPS_M);
    }
}

/* The grid of areas by cell: about four cells per area over the box of
 * the space, each listing the areas whose box meets it. */
static bool build_area_grid(PedSpace *s)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int32_t a = 0; a < s->n_areas; a++) {
        double bx0, by0, bx1, by1;
        area_box(s, a, &bx0, &by0, &bx1, &by1);
        x0 = fmin(x0, bx0);
        y0 = fmin(y0, by0);
        x1 = fmax(x1, bx1);
        y1 = fmax(y1, by1);
    }
    double cell = fmax(sqrt((x1 - x0) * (y1 - y0) / (4.0 * s->n_areas)), 1.0);
    while (((x1 - x0) / cell + 1) * ((y1 - y0) / cell + 1) > 4e6)
        cell *= 2;
    s->ax0 = x0;
    s->ay0 = y0;
    s->area_cell_m = cell;
    s->anx = (int32_t)((x1 - x0) / cell) + 1;
    s->any = (int32_t)((y1 - y0) / cell) + 1;
    int32_t n_cells = s->anx * s->any;
    s->area_cell_first = calloc((size_t)n_cells + 1, sizeof(int32_t));
    if (!s->area_cell_first)
        return false;
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t a = 0; a < s->n_areas; a++) {
            double bx0, by0, bx1, by1;
            area_box(s, a, &bx0, &by0, &bx1, &by1);
            int32_t cx0 = (int32_t)((bx0 - x0) / cell), cx1 = (int32_t)((bx1 - x0) / cell);
            int32_t cy0 = (int32_t)((by0 - y0) / cell), cy1 = (int32_t)((by1 - y0) / cell);
            for (int32_t cy = cy0; cy <= cy1 && cy < s->any; cy++)
                for (int32_t cx = cx0; cx <= cx1 && cx < s->anx; cx++) {
                    int32_t c = cy * s->anx + cx;
                    if (pass == 0)
                        s->area_cell_first[c + 1]++;
                    else
                        s->area_cell_items[s->area_cell_first[c]++] = a;
                }
        }
        if (pass == 0) {
            for (int32_t c = 0; c < n_cells; c++)
                s->area_cell_first[c + 1] += s->area_cell_first[c];
            s->area_cell_items = malloc(((size_t)s->area_cell_first[n_cells] + 1) * sizeof(int32_t));
            if (!s->area_cell_items) {
                free(s->area_cell_first);
                s->area_cell_first = NULL; /* city_ped_area_at scans every area */
                return false;
            }
        }
    }
    for (int32_t c = n_cells; c > 0; c--)
        s->area_cell_first[c] = s->area_cell_first[c - 1];
    s->area_cell_first[0] = 0;
    return true;
}

void ped_space_nearest_inside(const PedSpace *s, int32_t area, double margin_m, double *x, double *y)
{
    const double *p = area_pts(s, area);
    int32_t n = s->area_n[area];
    double best = INFINITY, bx = *x, by = *y, nx = 0, ny = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *a = p + 2 * i, *b = p + 2 * ((i + 1) % n);
        double ex = b[0] - a[0], ey = b[1] - a[1], l2 = ex * ex + ey * ey;
        if (l2 < 1e-12)
            continue;
        double t = ((*x - a[0]) * ex + (*y - a[1]) * ey) / l2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double qx = a[0] + t * ex, qy = a[1] + t * ey, d = hypot(*x - qx, *y - qy);
        if (d < best) {
            best = d;
            bx = qx;
            by = qy;
            nx = -ey / sqrt(l2); /* inside a counter-clockwise polygon is to the left */
            ny = ex / sqrt(l2);
        }
    }
    *x = bx + nx * margin_m;
    *y = by + ny * margin_m;
    ped_space_inset(s, area, margin_m, x, y);
}

void ped_space_inset(const PedSpace *s, int32_t area, double margin_m, double *x, double *y)
{
    if (ped_space_contains(s, area, *x, *y, margin_m))
        return;
    double cx, cy;
    area_centroid(s, area, &cx, &cy);
    for (int k = 1; k <= 20; k++) {
        double t = 0.05 * k, px = *x + t * (cx - *x), py = *y + t * (cy - *y);
        if (ped_space_contains(s, area, px, py, margin_m) || k == 20) {
            *x = px;
            *y = py;
            return;
        }
    }
}

int32_t city_ped_area_count(const CityPed *ped)
{
    return ped->space.n_areas;
}

const double *city_ped_area_points(const CityPed *ped, int32_t area, int32_t *n_pts)
{
    if (area < 0 || area >= ped->space.n_areas) {
        *n_pts = 0;
        return NULL;
    }
    *n_pts = ped->space.area_n[area];
    return area_pts(&ped->space, area);
}

int32_t city_ped_wall_count(const CityPed *ped)
{
    return ped->space.sealed ? ped->space.n_walls : 0;
}

void city_ped_wall_get(const CityPed *ped, int32_t wall, double *x1, double *y1, double *x2, double *y2)
{
    const PedWall *w = &ped->space.walls[wall];
    *x1 = w->x1;
    *y1 = w->y1;
    *x2 = w->x2;
    *y2 = w->y2;
}

static bool wall_push(PedSpace *s, double x1, double y1, double x2, double y2)
{
    if (hypot(x2 - x1, y2 - y1) < PED_EPS_M)
        return true;
    /* Two areas that touch without a door give the same wall twice: keep one. */
    for (int32_t i = 0; i < s->n_walls; i++) {
        const PedWall *w = &s->walls[i];
        bool same = fabs(w->x1 - x1) < PED_EPS_M && fabs(w->y1 - y1) < PED_EPS_M && fabs(w->x2 - x2) < PED_EPS_M &&
                    fabs(w->y2 - y2) < PED_EPS_M;
        bool flip = fabs(w->x1 - x2) < PED_EPS_M && fabs(w->y1 - y2) < PED_EPS_M && fabs(w->x2 - x1) < PED_EPS_M &&
                    fabs(w->y2 - y1) < PED_EPS_M;
        if (same || flip)
            return true;
    }
    if (!city_array_grow((void **)&s->walls, &s->cap_walls, s->n_walls + 1, sizeof(PedWall)))
        return false;
    s->walls[s->n_walls++] = (PedWall){.x1 = x1, .y1 = y1, .x2 = x2, .y2 = y2};
    return true;
}

static int cmp_interval(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Walls along every area edge, minus the stretches its doors cover. */
static bool build_edge_walls(PedSpace *s)
{
    double *cut = malloc(2 * (size_t)(s->n_doors + 1) * sizeof(double));
    if (!cut)
        return false;
    bool ok = true;
    for (int32_t a = 0; a < s->n_areas && ok; a++) {
        const double *p = area_pts(s, a);
        int32_t n = s->area_n[a];
        for (int32_t i = 0; i < n && ok; i++) {
            const double *u = p + 2 * i, *v = p + 2 * ((i + 1) % n);
            double len = hypot(v[0] - u[0], v[1] - u[1]);
            if (len < PED_EPS_M)
                continue;
            /* A periodic corridor has no walls at its seam. */
            if (s->periodic && fabs(u[0] - v[0]) < PED_EPS_M &&
                (fabs(u[0] - s->px0) < PED_EPS_M || fabs(u[0] - s->px1) < PED_EPS_M))
                continue;
            int32_t nc = 0;
            for (int32_t d = 0; d < s->n_doors; d++) {
                const PedDoor *door = &s->doors[d];
                if (door->a != a && door->b != a)
                    continue;
                double t0, t1;
                const double e1[2] = {door->x1, door->y1}, e2[2] = {door->x2, door->y2};
                if (edge_overlap(u, v, e1, e2, &t0, &t1)) {
                    cut[2 * nc] = t0;
                    cut[2 * nc + 1] = t1;
                    nc++;
                }
            }
            qsort(cut, (size_t)nc, 2 * sizeof(double), cmp_interval);
            double ux = (v[0] - u[0]) / len, uy = (v[1] - u[1]) / len, t = 0;
            for (int32_t c = 0; c <= nc && ok; c++) {
                double end = c < nc ? cut[2 * c] : len;
                if (end > t)
                    ok = wall_push(s, u[0] + ux * t, u[1] + uy * t, u[0] + ux * end, u[1] + uy * end);
                if (c < nc && cut[2 * c + 1] > t)
                    t = cut[2 * c + 1];
            }
        }
    }
    free(cut);
    return ok;
}

/* Doors of each area (CSR), in door order. */
static bool build_area_doors(PedSpace *s)
{
    s->area_door_first = calloc((size_t)s->n_areas + 1, sizeof(int32_t));
    s->area_doors = malloc(2 * (size_t)(s->n_doors + 1) * sizeof(int32_t));
    if (!s->area_door_first || !s->area_doors)
        return false;
    for (int32_t d = 0; d < s->n_doors; d++) {
        s->area_door_first[s->doors[d].a + 1]++;
        s->area_door_first[s->doors[d].b + 1]++;
    }
    for (int32_t a = 0; a < s->n_areas; a++)
        s->area_door_first[a + 1] += s->area_door_first[a];
    int32_t *fill = malloc(((size_t)s->n_areas + 1) * sizeof(int32_t));
    if (!fill)
        return false;
    memcpy(fill, s->area_door_first, (size_t)s->n_areas * sizeof(int32_t));
    for (int32_t d = 0; d < s->n_doors; d++) {
        s->area_doors[fill[s->doors[d].a]++] = d;
        s->area_doors[fill[s->doors[d].b]++] = d;
    }
    free(fill);
    size_t nodes = 2 * (size_t)s->n_doors + 1;
    s->g_cost = malloc(nodes * sizeof(double));
    s->came_from = malloc(nodes * sizeof(int32_t));
    s->seen = calloc(nodes, sizeof(int32_t));
    s->closed = calloc(nodes, sizeof(int32_t));
    s->stamp = 0;
    return s->g_cost && s->came_from && s->seen && s->closed;
}

/* Edge lengths by point, for the inside tests of every step. */
static bool build_edge_lengths(PedSpace *s)
{
    s->edge_len = malloc(((size_t)s->n_pts2 / 2 + 1) * sizeof(double));
    if (!s->edge_len)
        return false;
    for (int32_t a = 0; a < s->n_areas; a++) {
        const double *p = area_pts(s, a);
        int32_t n = s->area_n[a];
        for (int32_t i = 0; i < n; i++) {
            const double *q = p + 2 * ((i + 1) % n);
            double ex = q[0] - p[2 * i], ey = q[1] - p[2 * i + 1];
            s->edge_len[s->area_first[a] + i] = sqrt(ex * ex + ey * ey);
        }
    }
    return true;
}

/* The grid that holds walls near each cell and people by cell. */
static bool build_wall_grid(PedSpace *s, double cutoff_m)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int32_t i = 0; i < s->n_pts2 / 2; i++) {
        x0 = fmin(x0, s->pts[2 * i]);
        x1 = fmax(x1, s->pts[2 * i]);
        y0 = fmin(y0, s->pts[2 * i + 1]);
        y1 = fmax(y1, s->pts[2 * i + 1]);
    }
    for (int32_t i = 0; i < s->n_walls; i++) {
        const PedWall *w = &s->walls[i];
        x0 = fmin(x0, fmin(w->x1, w->x2));
        x1 = fmax(x1, fmax(w->x1, w->x2));
        y0 = fmin(y0, fmin(w->y1, w->y2));
        y1 = fmax(y1, fmax(w->y1, w->y2));
    }
    if (!(x1 >= x0)) {
        x0 = y0 = 0;
        x1 = y1 = 1;
    }
    double cell = fmax(cutoff_m, 0.5);
    if (s->periodic) {
        x0 = s->px0;
        x1 = s->px1;
    }
    if (!isfinite(x1 - x0) || !isfinite(y1 - y0))
        return false;
    /* A huge space gets coarser cells rather than a huge grid; counted in
     * double first, so no extent overflows an integer. */
    double fnx = floor((x1 - x0) / cell) + (s->periodic ? 0 : 1), fny = floor((y1 - y0) / cell) + 1;
    while (fnx * fny > 16000000.0) {
        cell *= 2;
        fnx = floor((x1 - x0) / cell) + (s->periodic ? 0 : 1);
        fny = floor((y1 - y0) / cell) + 1;
    }
    const int64_t nx = (int64_t)fnx, ny = (int64_t)fny;
    s->gx0 = x0;
    s->gy0 = y0;
    s->gnx = (int32_t)(nx < 1 ? 1 : nx);
    s->gny = (int32_t)ny;
    s->cell_w = s->periodic ? (x1 - x0) / s->gnx : cell;
    s->cell_h = cell;
    return true;
}

CityStatus ped_space_fit_radius(CityPed *ped, double radius_m)
{
    PedSpace *s = &ped->space;
    if (s->wall_hash.first && radius_m <= s->wall_hash_r_m)
        return CITY_OK;
    const CityPedParams *p = &ped->p;
    double r = fmax(radius_m, s->wall_hash_r_m);
    /* The force reaches r + wall radius + 12 B (capped at the cutoff);
     * Chipmunk's pairs need r + wall radius. */
    double reach = fmax(fmin(r + p->wall_radius_m + 12 * p->wall_b_m, p->cutoff_m), r + p->wall_radius_m);
    if (!ped_walls_build(&s->wall_hash, s->walls, s->n_walls, 1.0, reach))
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory listing walls by cell");
    s->wall_hash_r_m = r;
    if (ped->phys)
        ped_physics_set_walls(ped->phys, &s->wall_hash);
    return CITY_OK;
}

CityStatus ped_space_seal(CityPed *ped)
{
    PedSpace *s = &ped->space;
    if (s->sealed)
        return CITY_OK;
    if (s->n_areas == 0)
        return ped_fail(ped, CITY_ERR_INVALID, "ped: no walkable area; add areas (city.ped.area) before people");
    bool ok = s->no_edge_walls || build_edge_walls(s);
    for (int32_t i = 0; ok && i < s->n_free_walls; i++) {
        ok = city_array_grow((void **)&s->walls, &s->cap_walls, s->n_walls + 1, sizeof(PedWall));
        if (ok)
            s->walls[s->n_walls++] = s->free_walls[i];
    }
    ok = ok && build_area_doors(s) && build_wall_grid(s, ped->p.cutoff_m) && build_area_grid(s) &&
         build_edge_lengths(s) && ped_route_graph_build(s);
    if (ok) {
        ped->phys = ped_physics_create(ped->p.iterations, ped->p.slop_m);
        ok = ped->phys != NULL;
    }
    for (int32_t i = 0; ok && i < s->n_walls; i++) {
        const PedWall *w = &s->walls[i];
        ok = ped_physics_add_wall(ped->phys, w->x1, w->y1, w->x2, w->y2, ped->p.wall_radius_m);
    }
    if (!ok)
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory building the walkable space");
    for (int32_t i = 0; i < s->n_walls; i++) {
        PedWall *w = &s->walls[i];
        double ex = w->x2 - w->x1, ey = w->y2 - w->y1;
        w->inv_len2 = 1.0 / (ex * ex + ey * ey);
        w->bx0 = fmin(w->x1, w->x2);
        w->bx1 = fmax(w->x1, w->x2);
        w->by0 = fmin(w->y1, w->y2);
        w->by1 = fmax(w->y1, w->y2);
    }
    s->sealed = true;
    /* Drawn radii stay within 3 sd of the mean; larger ones rebuild. */
    return ped_space_fit_radius(ped, ped->p.radius_mean_m + 3 * ped->p.radius_sd_m);
}
