/* city_road_builder_build: from nodes and edges to a full CityRoadNet. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_group.h"
#include "road_build_internal.h"

#define BUILD_CURVE_PTS 9
#define BUILD_MAX_LINKS 256

typedef struct Link {
    int32_t in_edge, out_edge;  /* builder edges */
    int32_t from_lane, to_lane; /* net lanes */
    char dir;
    double turn; /* radians, left positive */
    CityPoint path[BUILD_CURVE_PTS];
    int32_t conn; /* net connection */
} Link;

/* The build in progress: the net, per-edge first lanes, per-node junction
 * radii, and the node being wired (its approaches, movements and rules). */
typedef struct Build {
    CityRoadBuilder *b;
    CityRoadNet *net;
    CityError *err;
    int32_t *lane0;                   /* builder edge -> its first net lane */
    CityGroups by_from, by_to;        /* builder edges by the node they leave, and reach */
    double *radius;                   /* builder node -> junction radius (m) */
    CityPoint *buf, *buf2, *buf3;     /* shape scratch (256 points) */
    int32_t inc[64], out[64], ni, no; /* the node's incoming and outgoing edges */
    double inc_angle[64];             /* incoming edges' approach angles, sorted */
    Link *links;                      /* the node's movements */
    int32_t nl;
    int32_t group[BUILD_MAX_LINKS];    /* signal group of each link's approach: 0 or 1 */
    bool yields_any[BUILD_MAX_LINKS];  /* the link yields to some foe */
    char (*resp)[BUILD_MAX_LINKS + 1]; /* request table rows (SUMO bit strings) */
    char (*foes)[BUILD_MAX_LINKS + 1];
} Build;

static double wrap_pi(double a)
{
    while (a > M_PI)
        a -= 2 * M_PI;
    while (a <= -M_PI)
        a += 2 * M_PI;
    return a;
}

static CityPoint lane_end(const CityRoadNet *net, int32_t lane, bool last)
{
    const CityLane *l = &net->lanes[lane];
    return net->points[l->shape_first + (last ? l->shape_count - 1 : 0)];
}

/* Direction (radians) of a lane at its end (last) or start. */
static double lane_dir(const CityRoadNet *net, int32_t lane, bool last)
{
    const CityLane *l = &net->lanes[lane];
    const CityPoint *p = net->points + l->shape_first;
    int32_t n = l->shape_count;
    CityPoint a = last ? p[n - 2] : p[0], b = last ? p[n - 1] : p[1];
    return atan2(b.y - a.y, b.x - a.x);
}

static bool seg_cross(CityPoint p1, CityPoint p2, CityPoint q1, CityPoint q2)
{
    double d1 = (q2.x - q1.x) * (p1.y - q1.y) - (q2.y - q1.y) * (p1.x - q1.x);
    double d2 = (q2.x - q1.x) * (p2.y - q1.y) - (q2.y - q1.y) * (p2.x - q1.x);
    double d3 = (p2.x - p1.x) * (q1.y - p1.y) - (p2.y - p1.y) * (q1.x - p1.x);
    double d4 = (p2.x - p1.x) * (q2.y - p1.y) - (p2.y - p1.y) * (q2.x - p1.x);
    return ((d1 > 1e-9 && d2 < -1e-9) || (d1 < -1e-9 && d2 > 1e-9)) &&
           ((d3 > 1e-9 && d4 < -1e-9) || (d3 < -1e-9 && d4 > 1e-9));
}

static bool paths_cross(const Link *a, const Link *b)
{
    for (int i = 1; i < BUILD_CURVE_PTS; i++)
        for (int j = 1; j < BUILD_CURVE_PTS; j++)
            if (seg_cross(a->path[i - 1], a->path[i], b->path[j - 1], b->path[j]))
                return true;
    return false;
}

/* Offsets a polyline to its right by d metres (mitred by averaging normals). */
static void offset_right(const CityPoint *in, int32_t n, double d, CityPoint *out)
{
    for (int32_t i = 0; i < n; i++) {
        double nx = 0, ny = 0;
        for (int k = -1; k <= 0; k++) {
            int32_t a = i + k, b = i + k + 1;
            if (a < 0 || b >= n)
                continue;
            double dx = in[b].x - in[a].x, dy = in[b].y - in[a].y, len = hypot(dx, dy);
            if (len > 0)
                nx += dy / len, ny += -dx / len;
        }
        double len = hypot(nx, ny);
        if (len > 0)
            nx /= len, ny /= len;
        out[i] = (CityPoint){in[i].x + nx * d, in[i].y + ny * d};
    }
}

/* Cuts `cut0` metres from the start and `cut1` from the end of a polyline. */
static int32_t trim(const CityPoint *in, int32_t n, double cut0, double cut1, CityPoint *out)
{
    double total = 0;
    for (int32_t i = 1; i < n; i++)
        total += hypot(in[i].x - in[i - 1].x, in[i].y - in[i - 1].y);
    if (cut0 + cut1 > total - 1.0) {
        double f = (total - 1.0) / (cut0 + cut1);
        f = f > 0 ? f : 0;
        cut0 *= f;
        cut1 *= f;
    }
    double a = cut0, bpos = total - cut1, s = 0;
    int32_t m = 0;
    for (int32_t i = 1; i < n; i++) {
        double seg = hypot(in[i].x - in[i - 1].x, in[i].y - in[i - 1].y);
        double s0 = s, s1 = s + seg;
        if (m == 0 && a <= s1 && seg > 0) {
            double f = (a - s0) / seg;
            out[m++] =
                (CityPoint){in[i - 1].x + f * (in[i].x - in[i - 1].x), in[i - 1].y + f * (in[i].y - in[i - 1].y)};
        }
        if (m > 0 && bpos <= s1 && seg > 0) {
            double f = (bpos - s0) / seg;
            out[m++] =
                (CityPoint){in[i - 1].x + f * (in[i].x - in[i - 1].x), in[i - 1].y + f * (in[i].y - in[i - 1].y)};
            break;
        }
        if (m > 0 && s1 > a)
            out[m++] = in[i];
        s = s1;
    }
    return m;
}

static void set_bit(char *s, int32_t n, int32_t k)
{
    s[n - 1 - k] = '1';
}

/* The summed widths of the edges that run against edge e (from its end
 * to its start: the other half of a two-way road), 0 when none does. */
static double reverse_width(const Build *x, int32_t e)
{
    const CityRoadBuilder *b = x->b;
    const BEdge *ed = &b->edges[e];
    double w = 0.0;
    for (int32_t i = x->by_from.first[ed->to]; i < x->by_from.first[ed->to + 1]; i++) {
        const BEdge *r = &b->edges[x->by_from.items[i]];
        if (r->to == ed->from)
            w += r->lanes * r->width;
    }
    return w;
}

/* Junction radius: half the widest road meeting there, at least 4 m. */
static void junction_radii(Build *x)
{
    const CityRoadBuilder *b = x->b;
    for (int32_t e = 0; e < b->n_edges; e++) {
        const BEdge *ed = &b->edges[e];
        double w = ed->lanes * ed->width + reverse_width(x, e);
        for (int k = 0; k < 2; k++) {
            int32_t nd = k ? ed->to : ed->from;
            x->radius[nd] = fmax(x->radius[nd], fmax(4.0, 0.5 * w + 1.0));
        }
    }
}

/* One edge and its lanes, trimmed back from both junctions and offset
 * right of the centre line (of the road, for two-way roads). */
static bool add_edge_lanes(Build *x, int32_t e)
{
    const CityRoadBuilder *b = x->b;
    const BEdge *ed = &b->edges[e];
    const bool two_way = reverse_width(x, e) > 0;
    if (ed->n_shape > 250) {
        city_error_set(x->err, CITY_ERR_INVALID, "edge '%s' has too many shape points (250 at most)", ed->id);
        return false;
    }
    int32_t n = 0;
    x->buf[n++] = (CityPoint){b->nodes[ed->from].x, b->nodes[ed->from].y};
    for (int32_t k = 0; k < ed->n_shape; k++)
        x->buf[n++] = ed->shape[k];
    x->buf[n++] = (CityPoint){b->nodes[ed->to].x, b->nodes[ed->to].y};
    int32_t m = trim(x->buf, n, x->radius[ed->from], x->radius[ed->to], x->buf2);
    if (m < 2) {
        city_error_set(x->err, CITY_ERR_INVALID, "edge '%s' is too short for its junctions", ed->id);
        return false;
    }
    int32_t ei = city_road_net_add_edge(x->net, ed->id, ed->from, ed->to, ed->priority, false, NULL, x->err);
    if (ei < 0)
        return false;
    x->lane0[e] = x->net->n_lanes;
    for (int32_t i = 0; i < ed->lanes; i++) {
        double off = two_way ? (ed->lanes - i - 0.5) * ed->width : (ed->lanes / 2.0 - i - 0.5) * ed->width;
        offset_right(x->buf2, m, off, x->buf3);
        char lid[80];
        snprintf(lid, sizeof lid, "%s_%d", ed->id, (int)i);
        if (city_road_net_add_lane(x->net, ei, lid, ed->speed, 0, ed->width, ed->allow, x->buf3, m, x->err) < 0)
            return false;
    }
    return true;
}

/* The node's incoming and outgoing edges, incoming ones by approach angle (stable). */
static void node_approaches(Build *x, int32_t nd)
{
    x->ni = x->no = 0;
    for (int32_t i = x->by_to.first[nd]; i < x->by_to.first[nd + 1] && x->ni < 64; i++)
        x->inc[x->ni++] = x->by_to.items[i];
    for (int32_t i = x->by_from.first[nd]; i < x->by_from.first[nd + 1] && x->no < 64; i++)
        x->out[x->no++] = x->by_from.items[i];
    for (int32_t i = 0; i < x->ni; i++)
        x->inc_angle[i] = lane_dir(x->net, x->lane0[x->inc[i]], true);
    for (int32_t i = 1; i < x->ni; i++)
        for (int32_t j = i; j > 0 && x->inc_angle[j] < x->inc_angle[j - 1]; j--) {
            double ta = x->inc_angle[j];
            x->inc_angle[j] = x->inc_angle[j - 1];
            x->inc_angle[j - 1] = ta;
            int32_t te = x->inc[j];
            x->inc[j] = x->inc[j - 1];
            x->inc[j - 1] = te;
        }
}

/* Movements from incoming edge inc[a]: straight lane by lane, right from
 * the rightmost lane, left and U-turns from the leftmost; a lane left
 * without a movement takes the straightest one. */
static bool approach_movements(Build *x, const BNode *node, int32_t a)
{
    const CityRoadBuilder *b = x->b;
    const CityRoadNet *net = x->net;
    const BEdge *ein = &b->edges[x->inc[a]];
    double din = lane_dir(net, x->lane0[x->inc[a]], true);
    bool lane_used[16] = {false};
    int32_t first_link = x->nl;
    for (int32_t o = 0; o < x->no; o++) {
        const BEdge *eout = &b->edges[x->out[o]];
        bool uturn = eout->to == ein->from;
        if (uturn && x->no > 1)
            continue;
        double turn = wrap_pi(lane_dir(net, x->lane0[x->out[o]], false) - din);
        char dir = uturn ? 't' : fabs(turn) < M_PI / 6 ? 's' : turn > 0 ? 'l' : 'r';
        int32_t pairs[16][2], np = 0;
        if (dir == 's') {
            for (int32_t i = 0; i < ein->lanes; i++)
                pairs[np][0] = i, pairs[np][1] = i < eout->lanes ? i : eout->lanes - 1, np++;
        } else if (dir == 'r') {
            pairs[np][0] = 0, pairs[np][1] = 0, np++;
        } else {
            pairs[np][0] = ein->lanes - 1, pairs[np][1] = eout->lanes - 1, np++;
        }
        for (int32_t k = 0; k < np; k++) {
            int32_t fl = x->lane0[x->inc[a]] + pairs[k][0], tl = x->lane0[x->out[o]] + pairs[k][1];
            if (!(net->lanes[fl].allow & net->lanes[tl].allow))
                continue;
            if (x->nl >= BUILD_MAX_LINKS) {
                city_error_set(x->err, CITY_ERR_INVALID, "node '%s' has more than %d turning movements", node->id,
                               BUILD_MAX_LINKS);
                return false;
            }
            x->links[x->nl++] = (Link){x->inc[a], x->out[o], fl, tl, dir, turn, {{0, 0}}, -1};
            lane_used[pairs[k][0]] = true;
        }
    }
    for (int32_t i = 0; i < ein->lanes; i++) {
        if (lane_used[i] || x->nl == first_link)
            continue;
        int32_t best = first_link;
        for (int32_t k = first_link; k < x->nl; k++)
            if (fabs(x->links[k].turn) < fabs(x->links[best].turn))
                best = k;
        Link l = x->links[best];
        l.from_lane = x->lane0[x->inc[a]] + i;
        if (x->nl < BUILD_MAX_LINKS)
            x->links[x->nl++] = l;
    }
    return true;
}

/* Turning paths: cubic curves from lane end to lane start. */
static void turning_paths(Build *x)
{
    const CityRoadNet *net = x->net;
    for (int32_t k = 0; k < x->nl; k++) {
        Link *l = &x->links[k];
        CityPoint p0 = lane_end(net, l->from_lane, true), p3 = lane_end(net, l->to_lane, false);
        double d = hypot(p3.x - p0.x, p3.y - p0.y) / 3.0;
        double a0 = lane_dir(net, l->from_lane, true), a1 = lane_dir(net, l->to_lane, false);
        CityPoint p1 = {p0.x + d * cos(a0), p0.y + d * sin(a0)}, p2 = {p3.x - d * cos(a1), p3.y - d * sin(a1)};
        for (int i = 0; i < BUILD_CURVE_PTS; i++) {
            double t = (double)i / (BUILD_CURVE_PTS - 1), u = 1 - t;
            l->path[i].x = u * u * u * p0.x + 3 * u * u * t * p1.x + 3 * u * t * t * p2.x + t * t * t * p3.x;
            l->path[i].y = u * u * u * p0.y + 3 * u * u * t * p1.y + 3 * u * t * t * p2.y + t * t * t * p3.y;
        }
        if (hypot(p3.x - p0.x, p3.y - p0.y) < 0.5) { /* degenerate: keep a short straight path */
            l->path[BUILD_CURVE_PTS - 1].x = p0.x + 0.5 * cos(a0);
            l->path[BUILD_CURVE_PTS - 1].y = p0.y + 0.5 * sin(a0);
        }
    }
}

/* Does movement la yield to its foe lc at this node? */
static bool link_yields(const Build *x, const BNode *node, const Link *la, const Link *lc)
{
    double ain = lane_dir(x->net, la->from_lane, true), cin = lane_dir(x->net, lc->from_lane, true);
    double rel = wrap_pi(cin - ain); /* c comes from our right when its heading is ~90 deg left of ours */
    bool c_from_right = rel > M_PI / 4 && rel < 3 * M_PI / 4;
    bool opposite = fabs(rel) > 3 * M_PI / 4;
    bool a_left = la->dir == 'l' || la->dir == 't', c_left = lc->dir == 'l' || lc->dir == 't';
    int pa = x->b->edges[la->in_edge].priority, pc = x->b->edges[lc->in_edge].priority;
    if (node->type == CITY_JUNCTION_TRAFFIC_LIGHT)
        return a_left && !c_left && opposite; /* permissive left turn */
    if (node->type == CITY_JUNCTION_PRIORITY && pa != pc)
        return pa < pc;
    if (a_left && !c_left && opposite)
        return true;
    if (!a_left && c_left && opposite)
        return false;
    return c_from_right; /* right before left (and for all-way stops) */
}

/* Signal groups, foes (crossing or merging paths from other edges) and
 * who yields to whom. */
static void right_of_way(Build *x, const BNode *node)
{
    int32_t nl = x->nl;
    for (int32_t k = 0; k < nl; k++) {
        double ang = lane_dir(x->net, x->lane0[x->links[k].in_edge], true), ref = x->inc_angle[0];
        double dd = fabs(wrap_pi(ang - ref));
        x->group[k] = (dd < M_PI / 4 || dd > 3 * M_PI / 4) ? 0 : 1;
        memset(x->resp[k], '0', (size_t)nl);
        memset(x->foes[k], '0', (size_t)nl);
        x->yields_any[k] = false;
    }
    for (int32_t a = 0; a < nl; a++)
        for (int32_t c = 0; c < nl; c++) {
            const Link *la = &x->links[a], *lc = &x->links[c];
            if (a == c || la->in_edge == lc->in_edge)
                continue;
            bool merge = la->to_lane == lc->to_lane;
            if (!merge && !paths_cross(la, lc))
                continue;
            set_bit(x->foes[a], nl, c);
            if (link_yields(x, node, la, lc)) {
                set_bit(x->resp[a], nl, c);
                x->yields_any[a] = true;
            }
        }
}

/* The light of a signalized node: its own program, or two approach
 * groups with green for straight and right ('G'), permissive left ('g'),
 * then yellow, netconvert's 31 s / 3 s. Returns the light, -1 on error. */
static int32_t node_signal(Build *x, const BNode *node, int32_t nd)
{
    const double green = 31.0, yellow = 3.0;
    int32_t nl = x->nl;
    int32_t tls = city_road_net_add_tls(x->net, node->id, "0", CITY_TLS_STATIC, 0, nl, x->err);
    if (tls < 0)
        return -1;
    if (node->n_phases > 0) {
        for (int32_t k = 0; k < node->n_phases; k++)
            if (city_road_net_add_phase(x->net, tls, node->durations[k], 0, 0, node->states[k], x->err) < 0)
                return -1;
    } else {
        bool has_b = false;
        for (int32_t k = 0; k < nl; k++)
            has_b |= x->group[k] == 1;
        char st[BUILD_MAX_LINKS + 1];
        for (int g = 0; g < (has_b ? 2 : 1); g++)
            for (int y = 0; y < (has_b ? 2 : 1); y++) {
                for (int32_t k = 0; k < nl; k++)
                    st[k] = x->group[k] != g ? 'r' : y ? 'y' : x->yields_any[k] ? 'g' : 'G';
                st[nl] = '\0';
                if (city_road_net_add_phase(x->net, tls, y ? yellow : green, 0, 0, st, x->err) < 0)
                    return -1;
            }
    }
    city_road_net_set_junction_tls(x->net, nd, tls, x->err);
    return tls;
}

/* Speed (m/s) through a movement: the slower lane's, and on a turn what a
 * lateral acceleration of 3 m/s2 allows on its radius. */
static double movement_speed(const CityRoadNet *net, const Link *l)
{
    double v = fmin(net->lanes[l->from_lane].speed_mps, net->lanes[l->to_lane].speed_mps);
    if (l->dir != 's') {
        double chord =
            hypot(l->path[BUILD_CURVE_PTS - 1].x - l->path[0].x, l->path[BUILD_CURVE_PTS - 1].y - l->path[0].y);
        double r = chord / (2 * fmax(sin(fabs(l->turn) / 2), 0.1));
        v = fmax(3.0, fmin(v, sqrt(3.0 * r)));
    }
    return v;
}

/* Internal lanes and connections of every movement, then the request table. */
static bool node_connections(Build *x, const BNode *node, int32_t nd, int32_t tls)
{
    CityRoadNet *net = x->net;
    bool signal = node->type == CITY_JUNCTION_TRAFFIC_LIGHT;
    bool ok = true;
    for (int32_t k = 0; k < x->nl && ok; k++) {
        Link *l = &x->links[k];
        char eid[96], lid[100];
        snprintf(eid, sizeof eid, ":%s_%d", node->id, (int)k);
        snprintf(lid, sizeof lid, "%s_0", eid);
        int32_t ie = city_road_net_add_edge(net, eid, -1, -1, 0, true, NULL, x->err);
        double v = movement_speed(net, l);
        int32_t il = ie < 0 ? -1
                            : city_road_net_add_lane(net, ie, lid, v, 0, net->lanes[l->from_lane].width_m,
                                                     net->lanes[l->from_lane].allow & net->lanes[l->to_lane].allow,
                                                     l->path, BUILD_CURVE_PTS, x->err);
        char state = signal                                          ? 'O'
                     : node->type == CITY_JUNCTION_ALLWAY_STOP       ? 'w'
                     : !x->yields_any[k]                             ? 'M'
                     : node->type == CITY_JUNCTION_RIGHT_BEFORE_LEFT ? '='
                                                                     : 'm';
        l->conn = il < 0 ? -1
                         : city_road_net_add_connection(net, l->from_lane, l->to_lane, &il, 1, nd, tls, signal ? k : -1,
                                                        l->dir, state, x->err);
        ok = l->conn >= 0;
    }
    ok = ok && city_road_net_set_junction_links(net, nd, x->nl, x->err) == CITY_OK;
    for (int32_t k = 0; k < x->nl && ok; k++) {
        x->resp[k][x->nl] = x->foes[k][x->nl] = '\0';
        ok = city_road_net_set_request(net, nd, k, x->links[k].conn, x->resp[k], x->foes[k], false, x->err) == CITY_OK;
    }
    return ok;
}

/* A node's movements, their paths and rules, its light, its connections. */
static bool build_node(Build *x, int32_t nd)
{
    const BNode *node = &x->b->nodes[nd];
    node_approaches(x, nd);
    x->nl = 0;
    for (int32_t a = 0; a < x->ni; a++)
        if (!approach_movements(x, node, a))
            return false;
    if (x->nl == 0)
        return true;
    turning_paths(x);
    right_of_way(x, node);
    int32_t tls = -1;
    if (node->type == CITY_JUNCTION_TRAFFIC_LIGHT && (tls = node_signal(x, node, nd)) < 0)
        return false;
    return node_connections(x, node, nd, tls);
}

static void build_free(Build *x)
{
    city_groups_free(&x->by_from);
    city_groups_free(&x->by_to);
    free(x->lane0);
    free(x->radius);
    free(x->links);
    free(x->buf);
    free(x->buf2);
    free(x->buf3);
    free(x->resp);
    free(x->foes);
}

/* Groups the builder's edges by the node they leave and by the node they
 * reach (in edge order within a node): every question a node or an edge
 * asks of the edges around it then reads those, not all the edges. */
static bool group_edges(Build *x)
{
    const CityRoadBuilder *b = x->b;
    int32_t *key = malloc(((size_t)b->n_edges + 1) * sizeof *key);
    bool ok = key != NULL;
    for (int32_t e = 0; ok && e < b->n_edges; e++)
        key[e] = b->edges[e].from;
    ok = ok && city_groups_build(&x->by_from, key, b->n_edges, b->n_nodes);
    for (int32_t e = 0; ok && e < b->n_edges; e++)
        key[e] = b->edges[e].to;
    ok = ok && city_groups_build(&x->by_to, key, b->n_edges, b->n_nodes);
    free(key);
    if (!ok)
        city_error_set(x->err, CITY_ERR_NOMEM, "out of memory building the road network");
    return ok;
}

CityRoadNet *city_road_builder_build(CityRoadBuilder *b, CityError *err)
{
    Build x = {.b = b, .net = city_road_net_create(), .err = err};
    x.lane0 = calloc((size_t)b->n_edges + 1, sizeof *x.lane0);
    x.radius = calloc((size_t)b->n_nodes + 1, sizeof *x.radius);
    x.links = malloc(BUILD_MAX_LINKS * sizeof *x.links);
    x.buf = malloc(256 * sizeof *x.buf);
    x.buf2 = malloc(256 * sizeof *x.buf2);
    x.buf3 = malloc(256 * sizeof *x.buf3);
    x.resp = calloc(BUILD_MAX_LINKS, sizeof *x.resp);
    x.foes = calloc(BUILD_MAX_LINKS, sizeof *x.foes);
    bool ok = x.net && x.lane0 && x.radius && x.links && x.buf && x.buf2 && x.buf3 && x.resp && x.foes;
    if (!ok)
        city_error_set(err, CITY_ERR_NOMEM, "out of memory building the road network");
    else if (b->n_edges == 0) {
        city_error_set(err, CITY_ERR_INVALID, "the network has no edges; add edges (or a grid) before building it");
        ok = false;
    }
    if (ok) /* each node's edges, for the radii, the two-way roads and the approaches */
        ok = group_edges(&x);
    if (ok) {
        junction_radii(&x);
        for (int32_t i = 0; i < b->n_nodes && ok; i++) {
            const BNode *n = &b->nodes[i];
            ok = city_road_net_add_junction(x.net, n->id, n->type, n->x, n->y, NULL, 0, err) >= 0;
        }
    }
    for (int32_t e = 0; e < b->n_edges && ok; e++)
        ok = add_edge_lanes(&x, e);
    for (int32_t nd = 0; nd < b->n_nodes && ok; nd++)
        ok = build_node(&x, nd);
    ok = ok && city_road_net_finalize(x.net, err) == CITY_OK;
    build_free(&x);
    if (ok)
        return x.net;
    city_road_net_destroy(x.net);
    return NULL;
}
