/* SUMO network -> pedestrian walkable space: see city_sumo_walk.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_strmap.h"
#include "city_sumo_walk.h"
#include "city_text.h"
#include "sumo_xml.h"

enum { WALK_LANE = 0, WALK_CROSSING, WALK_AREA };

typedef struct WalkLane {
    char *id; /* lane id */
    int kind; /* WALK_* */
    double width_m;
    double *pts; /* shape x, y pairs */
    int32_t n;
    int32_t first_area, last_area; /* areas made (-1: none) */
    double s0[4], s1[4];           /* start and end cross-sections (x1, y1, x2, y2) */
} WalkLane;

typedef struct WalkConn {
    char *from, *to; /* lane ids */
} WalkConn;

typedef struct WalkRead {
    SumoParse p;
    int edge_kind; /* -1: an edge we skip (internal), else WALK_* */
    char *edge_id;
    WalkLane *lanes;
    int32_t n_lanes, cap_lanes;
    WalkConn *conns;
    int32_t n_conns, cap_conns;
} WalkRead;

static bool allows_pedestrians(const char *allow)
{
    char word[16];
    for (const char *s = allow ? allow : ""; city_list_next(&s, word, sizeof word) > 0;)
        if (strcmp(word, "pedestrian") == 0)
            return true;
    return false;
}

/* "x,y x,y ..." into pairs; false on a malformed shape. */
static bool parse_shape(const char *s, double **out, int32_t *n)
{
    int32_t cap = 0;
    *out = NULL;
    *n = 0;
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        char *end;
        double x = strtod(s, &end);
        if (end == s || *end != ',')
            return false;
        s = end + 1;
        double y = strtod(s, &end);
        if (end == s || (*end && *end != ' ') || !isfinite(x) || !isfinite(y))
            return false;
        s = end;
        if (!city_array_grow((void **)out, &cap, 2 * (*n + 1), sizeof(double)))
            return false;
        (*out)[2 * *n] = x;
        (*out)[2 * *n + 1] = y;
        (*n)++;
    }
    return *n >= 2;
}

static void on_start(void *user, const char *name, const char **attrs)
{
    WalkRead *r = user;
    if (strcmp(name, "edge") == 0) {
        const char *fn = sumo_attr(attrs, "function");
        r->edge_kind = !fn || strcmp(fn, "normal") == 0 ? WALK_LANE
                       : strcmp(fn, "crossing") == 0    ? WALK_CROSSING
                       : strcmp(fn, "walkingarea") == 0 ? WALK_AREA
                                                        : -1;
    } else if (strcmp(name, "lane") == 0 && r->edge_kind >= 0) {
        const char *id = sumo_attr(attrs, "id"), *shape = sumo_attr(attrs, "shape");
        if (!allows_pedestrians(sumo_attr(attrs, "allow")) || !id || !shape)
            return;
        double width = sumo_num(&r->p, attrs, "width", 3.2);
        if (!city_array_grow((void **)&r->lanes, &r->cap_lanes, r->n_lanes + 1, sizeof(WalkLane))) {
            sumo_fail(&r->p, CITY_ERR_NOMEM, "out of memory reading lane '%s'", id);
            return;
        }
        WalkLane *l = &r->lanes[r->n_lanes];
        memset(l, 0, sizeof *l);
        l->kind = r->edge_kind;
        l->width_m = width;
        l->first_area = l->last_area = -1;
        l->id = city_strdup(id);
        if (!l->id || !parse_shape(shape, &l->pts, &l->n)) {
            free(l->id);
            free(l->pts);
            sumo_fail(&r->p, CITY_ERR_PARSE, "lane '%s' has a malformed shape; write \"x,y x,y ...\"", id);
            return;
        }
        if (!(width > 0.1)) {
            free(l->id);
            free(l->pts);
            sumo_fail(&r->p, CITY_ERR_PARSE, "lane '%s' has width %g; give a width above 0.1 m", id, width);
            return;
        }
        r->n_lanes++;
    } else if (strcmp(name, "connection") == 0) {
        const char *from = sumo_attr(attrs, "from"), *to = sumo_attr(attrs, "to");
        const char *fl = sumo_attr(attrs, "fromLane"), *tl = sumo_attr(attrs, "toLane");
        if (!from || !to || !fl || !tl)
            return;
        if (!city_array_grow((void **)&r->conns, &r->cap_conns, r->n_conns + 1, sizeof(WalkConn))) {
            sumo_fail(&r->p, CITY_ERR_NOMEM, "out of memory reading connections");
            return;
        }
        size_t nf = strlen(from) + strlen(fl) + 2, nt = strlen(to) + strlen(tl) + 2;
        WalkConn *c = &r->conns[r->n_conns];
        c->from = malloc(nf);
        c->to = malloc(nt);
        if (!c->from || !c->to) {
            free(c->from);
            free(c->to);
            sumo_fail(&r->p, CITY_ERR_NOMEM, "out of memory reading connections");
            return;
        }
        snprintf(c->from, nf, "%s_%s", from, fl);
        snprintf(c->to, nt, "%s_%s", to, tl);
        r->n_conns++;
    }
}

static void on_end(void *user, const char *name)
{
    WalkRead *r = user;
    if (strcmp(name, "edge") == 0)
        r->edge_kind = -1;
}

/* True when the polygon is convex with a real surface (either winding). */
static bool convex_ok(const double *xy, int32_t n)
{
    double area2 = 0;
    int sign = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t j = (i + 1) % n, k = (i + 2) % n;
        area2 += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
        double cross = (xy[2 * j] - xy[2 * i]) * (xy[2 * k + 1] - xy[2 * j + 1]) -
                       (xy[2 * j + 1] - xy[2 * i + 1]) * (xy[2 * k] - xy[2 * j]);
        int s = cross > 1e-9 ? 1 : cross < -1e-9 ? -1 : 0;
        if (s && sign && s != sign)
            return false;
        if (s)
            sign = s;
    }
    return fabs(area2) > 2e-3;
}

/* Left offset point of vertex k of a polyline of half-width h (mitred). */
static void offset_at(const double *p, int32_t n, int32_t k, double h, double *ox, double *oy)
{
    double nx = 0, ny = 0;
    for (int32_t s = k - 1; s <= k; s++) {
        if (s < 0 || s >= n - 1)
            continue;
        double dx = p[2 * s + 2] - p[2 * s], dy = p[2 * s + 3] - p[2 * s + 1], len = hypot(dx, dy);
        if (len > 1e-9) {
            nx += -dy / len;
            ny += dx / len;
        }
    }
    double len = hypot(nx, ny);
    if (len < 1e-9) {
        *ox = *oy = 0;
        return;
    }
    nx /= len;
    ny /= len;
    /* Mitre: stretch by 1/cos of half the bend, at most twofold. */
    double scale = h;
    if (k > 0 && k < n - 1) {
        double dx = p[2 * k + 2] - p[2 * k], dy = p[2 * k + 3] - p[2 * k + 1], sl = hypot(dx, dy);
        double c = sl > 1e-9 ? (nx * -dy + ny * dx) / sl : 1;
        scale = h / (c > 0.5 ? c : 0.5);
    }
    *ox = nx * scale;
    *oy = ny * scale;
}

/* A lane's chain of quads; a bend too sharp for a convex quad is skipped
 * over (the quad spans to the next vertex). */
static CityStatus build_lane(CityPed *ped, WalkLane *l, CitySumoWalkInfo *info)
{
    double h = 0.5 * l->width_m;
    int32_t s = 0, prev = -1;
    double ox, oy;
    offset_at(l->pts, l->n, 0, h, &ox, &oy);
    double sx = l->pts[0], sy = l->pts[1];
    l->s0[0] = sx + ox, l->s0[1] = sy + oy, l->s0[2] = sx - ox, l->s0[3] = sy - oy;
    while (s < l->n - 1) {
        int32_t e = s + 1;
        double q[8];
        for (; e < l->n; e++) {
            double ex, ey, so_x, so_y;
            offset_at(l->pts, l->n, s, h, &so_x, &so_y);
            offset_at(l->pts, l->n, e, h, &ex, &ey);
            const double *a = l->pts + 2 * s, *b = l->pts + 2 * e;
            double quad[8] = {a[0] - so_x, a[1] - so_y, b[0] - ex,   b[1] - ey,
                              b[0] + ex,   b[1] + ey,   a[0] + so_x, a[1] + so_y};
            memcpy(q, quad, sizeof q);
            if (convex_ok(q, 4))
                break;
        }
        if (e >= l->n)
            break;
        int32_t area = city_ped_area_add(ped, q, 4);
        if (area < 0)
            return CITY_ERR_INVALID;
        info->areas++;
        if (prev >= 0) {
            if (city_ped_door_add_segment(ped, prev, area, q[6], q[7], q[0], q[1]) < 0)
                return CITY_ERR_INVALID;
            info->doors++;
        } else {
            l->first_area = area;
        }
        /* Sidewalks get walls along both sides. Crossings do not: netconvert's
         * walking areas overlap their ends, and a side wall reaching into a
         * walking area pins walkers who aim past it at the crossing. */
        if (l->kind == WALK_LANE) {
            if (city_ped_wall_add(ped, q[0], q[1], q[2], q[3]) != CITY_OK ||
                city_ped_wall_add(ped, q[4], q[5], q[6], q[7]) != CITY_OK)
                return CITY_ERR_INVALID;
            info->walls += 2;
        }
        l->last_area = area;
        l->s1[0] = q[4], l->s1[1] = q[5], l->s1[2] = q[2], l->s1[3] = q[3];
        prev = area;
        s = e;
    }
    if (l->first_area < 0)
        info->skipped++;
    return CITY_OK;
}

static int cmp_pt(const void *a, const void *b)
{
    const double *p = a, *q = b;
    if (p[0] != q[0])
        return p[0] < q[0] ? -1 : 1;
    return (p[1] > q[1]) - (p[1] < q[1]);
}

static double turn(const double *o, const double *a, const double *b)
{
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/* Convex hull (Andrew's monotone chain) of n points, in place; returns its
 * size (counter-clockwise in out, which holds 2n + 2 doubles). */
static int32_t hull(double *pts, int32_t n, double *out)
{
    qsort(pts, (size_t)n, 2 * sizeof(double), cmp_pt);
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        while (k >= 2 && turn(out + 2 * (k - 2), out + 2 * (k - 1), pts + 2 * i) <= 1e-9)
            k--;
        out[2 * k] = pts[2 * i], out[2 * k + 1] = pts[2 * i + 1], k++;
    }
    for (int32_t i = n - 2, t = k + 1; i >= 0; i--) {
        while (k >= t && turn(out + 2 * (k - 2), out + 2 * (k - 1), pts + 2 * i) <= 1e-9)
            k--;
        out[2 * k] = pts[2 * i], out[2 * k + 1] = pts[2 * i + 1], k++;
    }
    return k > 1 ? k - 1 : k;
}

typedef struct WalkBuild {
    WalkRead *r;
    CityStrMap by_id; /* lane id -> index */
} WalkBuild;

/* A walking area's hull: its own shape plus the ends of lanes joined to it. */
static CityStatus build_walkingarea(CityPed *ped, WalkBuild *b, int32_t wi, CitySumoWalkInfo *info)
{
    WalkRead *r = b->r;
    WalkLane *w = &r->lanes[wi];
    int32_t cap = w->n + 4 * r->n_conns + 4, n = 0;
    double *pts = malloc(2 * (size_t)cap * sizeof(double)), *out = malloc((2 * (size_t)cap + 2) * sizeof(double));
    if (!pts || !out) {
        free(pts);
        free(out);
        return CITY_ERR_NOMEM;
    }
    for (int32_t i = 0; i < w->n; i++, n++)
        pts[2 * n] = w->pts[2 * i], pts[2 * n + 1] = w->pts[2 * i + 1];
    for (int32_t c = 0; c < r->n_conns; c++) {
        const WalkConn *cn = &r->conns[c];
        bool to_w = strcmp(cn->to, w->id) == 0, from_w = strcmp(cn->from, w->id) == 0;
        if (!to_w && !from_w)
            continue;
        int32_t li = city_strmap_get(&b->by_id, to_w ? cn->from : cn->to);
        if (li < 0 || r->lanes[li].kind == WALK_AREA || r->lanes[li].first_area < 0)
            continue;
        const double *sec = to_w ? r->lanes[li].s1 : r->lanes[li].s0;
        for (int k = 0; k < 2; k++, n++)
            pts[2 * n] = sec[2 * k], pts[2 * n + 1] = sec[2 * k + 1];
    }
    int32_t m = hull(pts, n, out);
    CityStatus st = CITY_OK;
    if (m >= 3 && convex_ok(out, m)) {
        w->first_area = w->last_area = city_ped_area_add(ped, out, m);
        if (w->first_area < 0)
            st = CITY_ERR_INVALID;
        else
            info->areas++;
    } else {
        info->skipped++;
    }
    free(pts);
    free(out);
    return st;
}

/* Doors across lane ends where a connection joins a lane to a walking area. */
static CityStatus build_doors(CityPed *ped, WalkBuild *b, CitySumoWalkInfo *info)
{
    WalkRead *r = b->r;
    for (int32_t c = 0; c < r->n_conns; c++) {
        int32_t f = city_strmap_get(&b->by_id, r->conns[c].from), t = city_strmap_get(&b->by_id, r->conns[c].to);
        if (f < 0 || t < 0)
            continue;
        const WalkLane *lf = &r->lanes[f], *lt = &r->lanes[t];
        if ((lf->kind == WALK_AREA) == (lt->kind == WALK_AREA) || lf->last_area < 0 || lt->first_area < 0)
            continue;
        /* lane -> area: across the lane's end; area -> lane: across its start. */
        const double *sec = lf->kind == WALK_AREA ? lt->s0 : lf->s1;
        if (city_ped_door_add_segment(ped, lf->last_area, lt->first_area, sec[0], sec[1], sec[2], sec[3]) < 0)
            return CITY_ERR_INVALID;
        info->doors++;
    }
    return CITY_OK;
}

static void read_free(WalkRead *r)
{
    for (int32_t i = 0; i < r->n_lanes; i++) {
        free(r->lanes[i].id);
        free(r->lanes[i].pts);
    }
    free(r->lanes);
    for (int32_t i = 0; i < r->n_conns; i++) {
        free(r->conns[i].from);
        free(r->conns[i].to);
    }
    free(r->conns);
}

CityStatus city_sumo_walk_load(CityPed *ped, const char *path, CitySumoWalkInfo *info, CityError *err)
{
    CitySumoWalkInfo local;
    info = info ? info : &local;
    memset(info, 0, sizeof *info);
    CityError read_err;
    WalkRead r = {.edge_kind = -1};
    sumo_parse_init(&r.p, path, "network", &read_err);
    CityStatus st = sumo_parse_file(&r.p, on_start, on_end, &r);
    WalkBuild b = {.r = &r};
    for (int32_t i = 0; st == CITY_OK && i < r.n_lanes; i++) {
        if (city_strmap_get(&b.by_id, r.lanes[i].id) >= 0)
            continue;
        if (!city_strmap_put(&b.by_id, r.lanes[i].id, i))
            st = CITY_ERR_NOMEM;
    }
    if (st == CITY_OK)
        st = city_ped_set_edge_walls(ped, false);
    for (int32_t i = 0; st == CITY_OK && i < r.n_lanes; i++) {
        WalkLane *l = &r.lanes[i];
        if (l->kind == WALK_AREA)
            continue;
        if (l->kind == WALK_CROSSING)
            info->crossings++;
        else
            info->sidewalks++;
        st = build_lane(ped, l, info);
    }
    for (int32_t i = 0; st == CITY_OK && i < r.n_lanes; i++)
        if (r.lanes[i].kind == WALK_AREA) {
            info->walkingareas++;
            st = build_walkingarea(ped, &b, i, info);
        }
    if (st == CITY_OK)
        st = build_doors(ped, &b, info);
    if (st != CITY_OK && r.p.status == CITY_OK)
        city_error_set(err, st, "%s: %s", path, city_world_error(city_ped_world(ped)));
    else if (st != CITY_OK)
        city_error_set(err, st, "%s", read_err.msg);
    else
        city_error_clear(err);
    city_strmap_free(&b.by_id);
    read_free(&r);
    return st;
}
