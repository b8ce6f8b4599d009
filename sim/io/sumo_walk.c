/* SUMO network -> pedestrian walkable space: see city_sumo_walk.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_group.h"
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
    int32_t door_start, door_end;  /* doors across its start and end (-1: none) */
    int32_t junction;              /* crossings: the junction listing it in intLanes (-1: none) */
    int32_t junction_link;         /*   and its position there (the junction link index) */
    int32_t conn_in;               /*   a connection from a walking area onto it (-1: none) */
} WalkLane;

typedef struct WalkConn {
    char *from, *to; /* lane ids */
    char *tl;        /* traffic light (NULL: none) */
    int32_t link_index;
    char state; /* SUMO link state ('M': people have priority) */
} WalkConn;

typedef struct WalkJunction {
    char *id;
    char *int_lanes; /* intLanes: one internal lane per link, in link order */
} WalkJunction;

typedef struct WalkRead {
    SumoParse p;
    int edge_kind; /* -1: an edge we skip (internal), else WALK_* */
    char *edge_id;
    WalkLane *lanes;
    int32_t n_lanes, cap_lanes;
    WalkConn *conns;
    int32_t n_conns, cap_conns;
    WalkJunction *juncs; /* junctions that list internal lanes */
    int32_t n_juncs, cap_juncs;
} WalkRead;

static bool allows_pedestrians(const char *allow)
{
    char word[16];
    for (const char *s = allow ? allow : ""; city_list_next(&s, word, sizeof word) > 0;)
        if (strcmp(word, "pedestrian") == 0)
            return true;
    return false;
}

#define SHAPE_MAX_M 1e8 /* |x|, |y| of a shape point at most (m) */

/* "x,y x,y ..." into pairs; false on a malformed shape or a point too far out. */
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
        /* within SHAPE_MAX_M of the origin (UTM northings reach 1e7 m): a grid over the space stays finite */
        if (end == s || (*end && *end != ' ') || !(fabs(x) <= SHAPE_MAX_M && fabs(y) <= SHAPE_MAX_M))
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

/* A junction's id and intLanes (crossings find their link index there). */
static void read_junction(WalkRead *r, const char **attrs)
{
    const char *id = sumo_attr(attrs, "id"), *il = sumo_attr(attrs, "intLanes"), *type = sumo_attr(attrs, "type");
    if (!id || !il || !strstr(il, "_c") || (type && strcmp(type, "internal") == 0))
        return; /* no crossing among its links (an internal junction lists its foes' lanes) */
    if (!city_array_grow((void **)&r->juncs, &r->cap_juncs, r->n_juncs + 1, sizeof(WalkJunction))) {
        sumo_fail(&r->p, CITY_ERR_NOMEM, "out of memory reading junction '%s'", id);
        return;
    }
    WalkJunction *j = &r->juncs[r->n_juncs];
    j->id = city_strdup(id);
    j->int_lanes = city_strdup(il);
    if (!j->id || !j->int_lanes) {
        free(j->id);
        free(j->int_lanes);
        sumo_fail(&r->p, CITY_ERR_NOMEM, "out of memory reading junction '%s'", id);
        return;
    }
    r->n_juncs++;
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
        l->door_start = l->door_end = l->junction = l->junction_link = l->conn_in = -1;
        l->id = city_strdup(id);
        if (!l->id || !parse_shape(shape, &l->pts, &l->n)) {
            free(l->id);
            free(l->pts);
            sumo_fail(&r->p, CITY_ERR_PARSE,
                      "lane '%s' has a malformed shape; write \"x,y x,y ...\" with coordinates within 1e8 m", id);
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
        const char *tls = sumo_attr(attrs, "tl"), *state = sumo_attr(attrs, "state");
        c->tl = tls ? city_strdup(tls) : NULL;
        c->link_index = sumo_int(&r->p, attrs, "linkIndex", -1);
        c->state = state && *state ? state[0] : 'M';
        r->n_conns++;
    } else if (strcmp(name, "junction") == 0) {
        read_junction(r, attrs);
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

/* A walking area's hull: its own shape plus the ends of lanes joined to it
 * (the connections of `at`, its group: those between it and a lane). */
static CityStatus build_walkingarea(CityPed *ped, WalkBuild *b, int32_t wi, const CityGroups *at,
                                    CitySumoWalkInfo *info)
{
    WalkRead *r = b->r;
    WalkLane *w = &r->lanes[wi];
    const int32_t g = city_strmap_get(&b->by_id, w->id); /* wi, unless an earlier lane has its id */
    const int32_t c0 = at->first[g], c1 = at->first[g + 1];
    int32_t cap = w->n + 2 * (c1 - c0) + 4, n = 0;
    double *pts = malloc(2 * (size_t)cap * sizeof(double)), *out = malloc((2 * (size_t)cap + 2) * sizeof(double));
    if (!pts || !out) {
        free(pts);
        free(out);
        return CITY_ERR_NOMEM;
    }
    for (int32_t i = 0; i < w->n; i++, n++)
        pts[2 * n] = w->pts[2 * i], pts[2 * n + 1] = w->pts[2 * i + 1];
    for (int32_t k = c0; k < c1; k++) {
        const WalkConn *cn = &r->conns[at->items[k]];
        const bool to_w = city_strmap_get(&b->by_id, cn->to) == g;
        int32_t li = city_strmap_get(&b->by_id, to_w ? cn->from : cn->to);
        if (li < 0 || r->lanes[li].kind == WALK_AREA || r->lanes[li].first_area < 0)
            continue;
        const double *sec = to_w ? r->lanes[li].s1 : r->lanes[li].s0;
        for (int k2 = 0; k2 < 2; k2++, n++)
            pts[2 * n] = sec[2 * k2], pts[2 * n + 1] = sec[2 * k2 + 1];
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

/* The connections grouped by the walking area at their `to` end, or else
 * at their `from` end (by the index the id map gives); those with no
 * walking area at either end are in no group. */
static bool area_conns(const WalkBuild *b, CityGroups *at)
{
    const WalkRead *r = b->r;
    int32_t *key = malloc(((size_t)r->n_conns + 1) * sizeof *key);
    if (!key)
        return false;
    for (int32_t c = 0; c < r->n_conns; c++) {
        const int32_t t = city_strmap_get(&b->by_id, r->conns[c].to), f = city_strmap_get(&b->by_id, r->conns[c].from);
        key[c] = t >= 0 && r->lanes[t].kind == WALK_AREA ? t : f >= 0 && r->lanes[f].kind == WALK_AREA ? f : -1;
    }
    const bool ok = city_groups_build(at, key, r->n_conns, r->n_lanes);
    free(key);
    return ok;
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
        int32_t door = city_ped_door_add_segment(ped, lf->last_area, lt->first_area, sec[0], sec[1], sec[2], sec[3]);
        if (door < 0)
            return CITY_ERR_INVALID;
        if (lf->kind == WALK_AREA) {
            r->lanes[t].door_start = door;
            r->lanes[t].conn_in = c;
        } else {
            r->lanes[f].door_end = door;
        }
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
        free(r->conns[i].tl);
    }
    free(r->conns);
    for (int32_t i = 0; i < r->n_juncs; i++) {
        free(r->juncs[i].id);
        free(r->juncs[i].int_lanes);
    }
    free(r->juncs);
}

/* Each crossing's junction link: its position in the intLanes of its junction. */
static void find_crossing_links(WalkBuild *b)
{
    WalkRead *r = b->r;
    for (int32_t j = 0; j < r->n_juncs; j++) {
        const char *s = r->juncs[j].int_lanes;
        char id[512];
        for (int32_t k = 0; city_list_next(&s, id, sizeof id) > 0; k++) {
            int32_t li = city_strmap_get(&b->by_id, id);
            if (li >= 0 && r->lanes[li].kind == WALK_CROSSING) {
                r->lanes[li].junction = j;
                r->lanes[li].junction_link = k;
            }
        }
    }
}

/* Declares every crossing that became areas to the pedestrian model, with
 * its junction link, its light and whether people have priority on it. */
static CityStatus declare_crossings(CityPed *ped, WalkBuild *b, CitySumoWalkInfo *info)
{
    WalkRead *r = b->r;
    find_crossing_links(b);
    for (int32_t i = 0; i < r->n_lanes; i++) {
        const WalkLane *l = &r->lanes[i];
        if (l->kind != WALK_CROSSING || l->first_area < 0)
            continue;
        const WalkConn *in = l->conn_in >= 0 ? &r->conns[l->conn_in] : NULL;
        char edge[512];
        snprintf(edge, sizeof edge, "%s", l->id);
        char *us = strrchr(edge, '_');
        if (us)
            *us = '\0'; /* lane ":J_c0_0" -> edge ":J_c0" */
        CityPedCrossingDef d = {
            .id = edge,
            .junction = l->junction >= 0 ? r->juncs[l->junction].id : NULL,
            .junction_link = l->junction >= 0 ? l->junction_link : -1,
            .tls = in && in->tl ? in->tl : NULL,
            .tls_link = in && in->tl ? in->link_index : -1,
            .priority = in && !in->tl && in->state == 'M',
            .first_area = l->first_area,
            .last_area = l->last_area,
            .door_in_a = l->door_start,
            .door_in_b = l->door_end,
            .x1 = l->pts[0],
            .y1 = l->pts[1],
            .x2 = l->pts[2 * l->n - 2],
            .y2 = l->pts[2 * l->n - 1],
            .width_m = l->width_m,
        };
        if (city_ped_crossing_add(ped, &d) < 0)
            return CITY_ERR_INVALID;
        info->declared++;
    }
    return CITY_OK;
}

static CityStatus read_net(WalkRead *r, const char *path, CityError *err)
{
    sumo_parse_init(&r->p, path, "network", err);
    return sumo_parse_file(&r->p, on_start, on_end, r);
}

CityStatus city_sumo_walk_load(CityPed *ped, const char *path, CitySumoWalkInfo *info, CityError *err)
{
    CitySumoWalkInfo local;
    info = info ? info : &local;
    memset(info, 0, sizeof *info);
    CityError read_err;
    WalkRead r = {.edge_kind = -1};
    CityStatus st = read_net(&r, path, &read_err);
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
    /* each connection under the walking area at one of its ends (the
     * lane it comes to first), once: a scan of every connection per area
     * was quadratic in the city's size */
    CityGroups at = {0};
    if (st == CITY_OK && !area_conns(&b, &at))
        st = CITY_ERR_NOMEM;
    for (int32_t i = 0; st == CITY_OK && i < r.n_lanes; i++)
        if (r.lanes[i].kind == WALK_AREA) {
            info->walkingareas++;
            st = build_walkingarea(ped, &b, i, &at, info);
        }
    city_groups_free(&at);
    if (st == CITY_OK)
        st = build_doors(ped, &b, info);
    if (st == CITY_OK)
        st = declare_crossings(ped, &b, info);
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

/* ---- SUMO persons: <person> and <personFlow> with <walk> stages ---------- */

typedef struct PersonRead {
    SumoParse p;
    CityPed *ped;
    WalkRead *net;
    CityStrMap by_edge; /* edge id -> its first pedestrian lane */
    bool in_plan;       /* inside a <person> or <personFlow> */
    char id[128];
    CityPedFlowDef flow; /* the plan's departures (its places set by the walks) */
    double depart_pos, arrival_pos;
    int32_t walks; /* walk stages read in the plan */
    CitySumoPersonsInfo *info;
} PersonRead;

/* The point s metres along lane li (s < 0: from its end), kept 0.5 m inside. */
static void lane_point(const WalkLane *l, double s, double *x, double *y)
{
    double len = 0;
    for (int32_t i = 0; i + 1 < l->n; i++)
        len += hypot(l->pts[2 * i + 2] - l->pts[2 * i], l->pts[2 * i + 3] - l->pts[2 * i + 1]);
    s = s < 0 ? len + s : s;
    s = s > len - 0.5 ? len - 0.5 : s;
    s = s < 0.5 ? (len > 1.0 ? 0.5 : 0.5 * len) : s;
    for (int32_t i = 0; i + 1 < l->n; i++) {
        double dx = l->pts[2 * i + 2] - l->pts[2 * i], dy = l->pts[2 * i + 3] - l->pts[2 * i + 1], d = hypot(dx, dy);
        if (s <= d || i + 2 == l->n) {
            double f = d > 0 ? fmin(1.0, s / d) : 0.0;
            *x = l->pts[2 * i] + f * dx;
            *y = l->pts[2 * i + 1] + f * dy;
            return;
        }
        s -= d;
    }
}

/* Start and end of a walk stage: edges="a b c", or from= and to=. */
static void read_walk(PersonRead *r, const char **attrs)
{
    char first[512] = "", last[512] = "", word[512];
    const char *edges = sumo_attr(attrs, "edges"), *from = sumo_attr(attrs, "from"), *to = sumo_attr(attrs, "to");
    if (edges) {
        for (const char *s = edges; city_list_next(&s, word, sizeof word) > 0;) {
            if (!first[0])
                snprintf(first, sizeof first, "%s", word);
            snprintf(last, sizeof last, "%s", word);
        }
    } else if (from && to) {
        snprintf(first, sizeof first, "%s", from);
        snprintf(last, sizeof last, "%s", to);
    }
    if (!first[0]) {
        sumo_fail(&r->p, CITY_ERR_PARSE, "person '%s': <walk> needs edges=\"...\" or from= and to=", r->id);
        return;
    }
    r->arrival_pos = sumo_num(&r->p, attrs, "arrivalPos", -0.5);
    const char *ends[2] = {first, last};
    for (int k = 0; k < 2; k++) {
        if (k == 0 && r->walks > 0)
            continue; /* later stages only move the destination */
        int32_t li = city_strmap_get(&r->by_edge, ends[k]);
        if (li < 0) {
            sumo_fail(&r->p, CITY_ERR_PARSE,
                      "person '%s': edge '%s' has no sidewalk in the network; walk on edges with a pedestrian lane",
                      r->id, ends[k]);
            return;
        }
        if (k == 0)
            lane_point(&r->net->lanes[li], r->depart_pos, &r->flow.from_x, &r->flow.from_y);
        else
            lane_point(&r->net->lanes[li], r->arrival_pos, &r->flow.to_x, &r->flow.to_y);
    }
    r->walks++;
}

/* A <personFlow>'s rate: period, perHour, number or probability (SUMO's keys). */
static void read_person_flow(PersonRead *r, const char **attrs)
{
    CityPedFlowDef *f = &r->flow;
    f->begin_s = sumo_num(&r->p, attrs, "begin", 0);
    f->end_s = sumo_num(&r->p, attrs, "end", 3600);
    double period = sumo_num(&r->p, attrs, "period", 0), per_hour = sumo_num(&r->p, attrs, "perHour", 0);
    double number = sumo_num(&r->p, attrs, "number", 0), prob = sumo_num(&r->p, attrs, "probability", 0);
    f->persons_per_hour = period > 0                            ? 3600.0 / period
                          : per_hour > 0                        ? per_hour
                          : number > 0 && f->end_s > f->begin_s ? number * 3600.0 / (f->end_s - f->begin_s)
                                                                : 3600.0 * prob;
    f->poisson = prob > 0 && !(period > 0) && !(per_hour > 0) && !(number > 0);
    if (!(f->persons_per_hour > 0) || !(f->end_s > f->begin_s))
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "personFlow '%s' needs end > begin and one of period, perHour, number or probability above 0", r->id);
    else if (!(f->persons_per_hour <= CITY_PED_FLOW_MAX_PER_HOUR) ||
             !(f->persons_per_hour / 3600.0 * (f->end_s - f->begin_s) <= CITY_PED_FLOW_MAX_PERSONS))
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "personFlow '%s' asks for %.3g people an hour, %.3g in all; the most is %.0f an hour and %.0f in all "
                  "per flow (lower the rate or split the flow)",
                  r->id, f->persons_per_hour, f->persons_per_hour / 3600.0 * (f->end_s - f->begin_s),
                  CITY_PED_FLOW_MAX_PER_HOUR, CITY_PED_FLOW_MAX_PERSONS);
}

static void on_person_start(void *user, const char *name, const char **attrs)
{
    PersonRead *r = user;
    bool person = strcmp(name, "person") == 0, flow = strcmp(name, "personFlow") == 0;
    if (person || flow) {
        const char *id = sumo_attr(attrs, "id");
        snprintf(r->id, sizeof r->id, "%s", id ? id : "?");
        r->in_plan = true;
        r->walks = 0;
        memset(&r->flow, 0, sizeof r->flow);
        r->depart_pos = sumo_num(&r->p, attrs, "departPos", 0);
        if (person) {
            r->flow.begin_s = sumo_num(&r->p, attrs, "depart", NAN);
            if (!isfinite(r->flow.begin_s) || r->flow.begin_s < 0)
                sumo_fail(&r->p, CITY_ERR_PARSE, "person '%s' needs depart = seconds >= 0", r->id);
            r->flow.end_s = r->flow.begin_s + 1.0;
            r->flow.persons_per_hour = 3600.0; /* one departure in [depart, depart + 1 s) */
        } else {
            read_person_flow(r, attrs);
        }
    } else if (r->in_plan && strcmp(name, "walk") == 0) {
        read_walk(r, attrs);
    } else if (r->in_plan && strcmp(name, "param") != 0) {
        sumo_fail(&r->p, CITY_ERR_PARSE, "person '%s': stage <%s> is not supported; plans of <walk> stages only", r->id,
                  name);
    }
}

static void on_person_end(void *user, const char *name)
{
    PersonRead *r = user;
    if (!r->in_plan || (strcmp(name, "person") != 0 && strcmp(name, "personFlow") != 0))
        return;
    r->in_plan = false;
    if (r->p.status != CITY_OK)
        return;
    if (r->walks == 0) {
        sumo_fail(&r->p, CITY_ERR_PARSE, "person '%s' has no <walk>; give it one", r->id);
        return;
    }
    if (city_ped_flow_add(r->ped, &r->flow) != CITY_OK) {
        sumo_fail(&r->p, CITY_ERR_INVALID, "person '%s': %s", r->id, city_world_error(city_ped_world(r->ped)));
        return;
    }
    if (strcmp(name, "person") == 0)
        r->info->persons++;
    else
        r->info->person_flows++;
}

CityStatus city_sumo_persons_load(CityPed *ped, const char *net_path, const char *routes_path,
                                  CitySumoPersonsInfo *info, CityError *err)
{
    CitySumoPersonsInfo local;
    info = info ? info : &local;
    memset(info, 0, sizeof *info);
    WalkRead net = {.edge_kind = -1};
    CityStatus st = read_net(&net, net_path, err);
    PersonRead r = {.ped = ped, .net = &net, .info = info};
    for (int32_t i = 0; st == CITY_OK && i < net.n_lanes; i++) {
        char *id = net.lanes[i].id, *us = strrchr(id, '_');
        if (net.lanes[i].kind != WALK_LANE)
            continue;
        if (us)
            *us = '\0'; /* lane "e_0" -> edge "e", in place: the map borrows it */
        if (city_strmap_get(&r.by_edge, id) < 0 && !city_strmap_put(&r.by_edge, id, i))
            st = city_error_set(err, CITY_ERR_NOMEM, "out of memory reading %s", net_path);
    }
    if (st == CITY_OK) {
        sumo_parse_init(&r.p, routes_path, "route file", err);
        st = sumo_parse_file(&r.p, on_person_start, on_person_end, &r);
    }
    city_strmap_free(&r.by_edge);
    read_free(&net);
    return st;
}
