/* SUMO .net.xml reader. The file lists edges (with lanes), traffic-light
 * programs, junctions (with request tables) and connections, in that
 * order; edges name junctions defined later, so sumo_net_read.c first
 * collects every element, then this file builds the CityRoadNet in
 * dependency order.
 * Pedestrian crossings and walking areas are skipped (the walkable space is
 * read apart, by sumo_walk.c); their request rows stay as links without a
 * connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_group.h"
#include "city_strmap.h"
#include "city_sumo.h"
#include "city_text.h"
#include "sumo_net_internal.h"

/* "x,y x,y ..." into a point buffer; false on a malformed list. */
static bool parse_shape(const char *s, CityPoint **pts, int32_t *n, int32_t *cap)
{
    *n = 0;
    while (s && *s) {
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
        if (end == s)
            return false;
        s = end;
        if (*s == ',') { /* a z coordinate: skip it */
            strtod(s + 1, &end);
            s = end;
        }
        if (!city_array_grow((void **)pts, cap, *n + 1, sizeof **pts))
            return false;
        (*pts)[(*n)++] = (CityPoint){x, y};
    }
    return true;
}

/* One build of a network from the collected elements: the maps from reader
 * entries to network indices that the later steps need. */
typedef struct NetBuild {
    NetReader *r;
    CityRoadNet *net;
    CityError err;        /* what the network API refused */
    CityPoint *pts;       /* shape buffer */
    int32_t npts, cpts;   /* points used, allocated */
    int32_t *jn_of;       /* reader junction -> network junction */
    int32_t *cfrom, *cto; /* reader connection -> network lanes; -1 when skipped */
    int32_t *next_via;    /* internal lane -> the internal lane it continues to, or -1 */
    int32_t *next_minor;  /* internal lane -> 1 when the link to that next internal lane is minor */
    CityGroups by_lane;   /* per normal lane, its reader connections in file order */
    int32_t *link_seq;    /* reader connection -> network connection, or -1 */
    CityStrMap skipped;   /* ids of skipped edges (crossings, walking areas) */
} NetBuild;

/* Records "FILE:LINE: message" as the first error; gives CITY_ERR_PARSE. */
#define fail_at(b, line, ...) (sumo_fail_at(&(b)->r->p, (line), CITY_ERR_PARSE, __VA_ARGS__), CITY_ERR_PARSE)

/* Allocates n (at least one) int32_t, or NULL. */
static int32_t *ints(int32_t n)
{
    return malloc(((size_t)n + 1) * sizeof(int32_t));
}

/* Per reader light, the link count its connections use (the highest
 * linkIndex + 1; -1 when none names it), in one pass over the connections
 * through a map from light id to index; a light whose id comes twice gets
 * the count of its id. NULL when out of memory. */
static int32_t *conn_links(const NetReader *r)
{
    CityStrMap first = {0}; /* light id -> its first reader index */
    int32_t *links = ints(r->tls.n);
    bool ok = links != NULL;
    for (int32_t t = 0; t < r->tls.n && ok; t++) {
        links[t] = -1;
        if (r->tls.a[t].id && city_strmap_get(&first, r->tls.a[t].id) < 0)
            ok = city_strmap_put(&first, r->tls.a[t].id, t);
    }
    for (int32_t c = 0; c < r->conns.n && ok; c++) {
        const TConn *tc = &r->conns.a[c];
        int32_t t = city_strmap_get(&first, tc->tl);
        if (t >= 0 && tc->link_index + 1 > links[t])
            links[t] = tc->link_index + 1;
    }
    for (int32_t t = 0; t < r->tls.n && ok; t++) {
        int32_t f = city_strmap_get(&first, r->tls.a[t].id);
        if (f >= 0)
            links[t] = links[f];
    }
    city_strmap_free(&first);
    if (!ok) {
        free(links);
        return NULL;
    }
    return links;
}

/* Light t with its phases, which start at reader phase *i (phases come
 * grouped by light in file order: the reader gives each the light it is
 * inside); moves *i past them. Its link count is what its connections use
 * (links), else its first phase's length, so a state string of the wrong
 * length is reported at its own line. */
static CityStatus add_light(NetBuild *b, int32_t t, int32_t links, int32_t *i)
{
    const NetReader *r = b->r;
    const TTls *tl = &r->tls.a[t];
    if (links < 0 && *i < r->phases.n && r->phases.a[*i].tls == t)
        links = (int32_t)strlen(r->phases.a[*i].state);
    if (links < 0)
        return fail_at(b, tl->line, "traffic light '%s' has no phases; give every <tlLogic> at least one <phase>",
                       tl->id);
    int32_t k = city_road_net_add_tls(b->net, tl->id, tl->program, (CityTlsType)tl->type, tl->offset, links, &b->err);
    if (k < 0)
        return fail_at(b, tl->line, "%s", b->err.msg);
    for (; *i < r->phases.n && r->phases.a[*i].tls == t; (*i)++) {
        const TPhase *ph = &r->phases.a[*i];
        if (city_road_net_add_phase(b->net, k, ph->duration, ph->min, ph->max, ph->state, &b->err) < 0)
            return fail_at(b, ph->line, "%s", b->err.msg);
    }
    return CITY_OK;
}

/* Traffic lights and their phases. */
static CityStatus build_tls(NetBuild *b)
{
    int32_t *links = conn_links(b->r);
    if (!links)
        return CITY_ERR_NOMEM;
    CityStatus st = CITY_OK;
    for (int32_t t = 0, i = 0; t < b->r->tls.n && st == CITY_OK; t++)
        st = add_light(b, t, links[t], &i);
    free(links);
    return st;
}

/* Junctions, each with its light when it has one of its own id. */
static CityStatus build_junctions(NetBuild *b)
{
    const NetReader *r = b->r;
    for (int32_t j = 0; j < r->junctions.n; j++) {
        const TJunction *tj = &r->junctions.a[j];
        if (!parse_shape(tj->shape, &b->pts, &b->npts, &b->cpts))
            return fail_at(b, tj->line, "junction '%s' has a malformed shape; write \"x,y x,y ...\"", tj->id);
        b->jn_of[j] = city_road_net_add_junction(b->net, tj->id, (CityJunctionType)tj->type, tj->x, tj->y, b->pts,
                                                 b->npts, &b->err);
        if (b->jn_of[j] < 0)
            return fail_at(b, tj->line, "%s", b->err.msg);
        if (tj->type == CITY_JUNCTION_TRAFFIC_LIGHT) {
            int32_t t = city_road_net_find_tls(b->net, tj->id);
            if (t >= 0)
                city_road_net_set_junction_tls(b->net, b->jn_of[j], t, &b->err);
        }
    }
    return CITY_OK;
}

/* Normal and internal edges with their lanes; skipped edges (crossings,
 * walking areas) are left out. */
static CityStatus build_edges(NetBuild *b)
{
    const NetReader *r = b->r;
    CityRoadNet *net = b->net;
    for (int32_t e = 0; e < r->edges.n; e++) {
        const TEdge *te = &r->edges.a[e];
        if (te->kind == 2)
            continue;
        int32_t from = -1, to = -1;
        if (te->kind == 0) {
            from = city_road_net_find_junction(net, te->from);
            to = city_road_net_find_junction(net, te->to);
            if (from < 0 || to < 0)
                return fail_at(b, te->line,
                               "edge '%s' names unknown junction '%s'; define the junction or fix the edge", te->id,
                               from < 0 ? te->from : te->to);
        }
        int32_t ei = city_road_net_add_edge(net, te->id, from, to, te->priority, te->kind == 1, te->name, &b->err);
        if (ei < 0)
            return fail_at(b, te->line, "%s", b->err.msg);
        for (int32_t l = te->lane_first; l < te->lane_first + te->lane_count; l++) {
            const TLane *tl = &r->lanes.a[l];
            if (!parse_shape(tl->shape, &b->pts, &b->npts, &b->cpts) || b->npts < 2)
                return fail_at(b, tl->line, "lane '%s' has a malformed shape; it needs at least two points \"x,y x,y\"",
                               tl->id);
            if (city_road_net_add_lane(net, ei, tl->id, tl->speed, tl->length, tl->width, tl->allow, b->pts, b->npts,
                                       &b->err) < 0)
                return fail_at(b, tl->line, "%s", b->err.msg);
        }
    }
    return CITY_OK;
}

/* Maps the ids of the skipped edges (crossings, walking areas), so that
 * telling their connections apart costs one look-up, not a scan of every
 * edge; false when out of memory. */
static bool map_skipped_edges(NetBuild *b)
{
    const NetReader *r = b->r;
    for (int32_t e = 0; e < r->edges.n; e++)
        if (r->edges.a[e].kind == 2 && city_strmap_get(&b->skipped, r->edges.a[e].id) < 0 &&
            !city_strmap_put(&b->skipped, r->edges.a[e].id, e))
            return false;
    return true;
}

/* Whether a connection names a skipped edge (a crossing or walking area). */
static bool names_skipped_edge(const NetBuild *b, const TConn *tc)
{
    return city_strmap_get(&b->skipped, tc->from) >= 0 || city_strmap_get(&b->skipped, tc->to) >= 0;
}

/* Resolves every connection to its network lanes, and chains internal
 * lanes: an internal lane continues to another internal lane (an internal
 * junction) or to a normal lane. */
static CityStatus resolve_connections(NetBuild *b)
{
    const NetReader *r = b->r;
    CityRoadNet *net = b->net;
    b->next_via = ints(net->n_lanes);
    b->next_minor = ints(net->n_lanes);
    b->cfrom = ints(r->conns.n);
    b->cto = ints(r->conns.n);
    if (!b->next_via || !b->next_minor || !b->cfrom || !b->cto || !map_skipped_edges(b))
        return CITY_ERR_NOMEM;
    for (int32_t l = 0; l < net->n_lanes; l++) {
        b->next_via[l] = -1;
        b->next_minor[l] = 0;
    }
    for (int32_t c = 0; c < r->conns.n; c++) {
        const TConn *tc = &r->conns.a[c];
        b->cfrom[c] = b->cto[c] = -1;
        int32_t fe = city_road_net_find_edge(net, tc->from), te = city_road_net_find_edge(net, tc->to);
        if (fe < 0 || te < 0) {
            /* connections of crossings and walking areas are skipped; others must resolve */
            if (names_skipped_edge(b, tc))
                continue;
            return fail_at(b, tc->line,
                           "connection names unknown edge '%s'; every from/to must be an edge of this file",
                           fe < 0 ? tc->from : tc->to);
        }
        if (tc->from_lane >= net->edges[fe].lane_count || tc->to_lane >= net->edges[te].lane_count)
            return fail_at(b, tc->line, "connection %s -> %s names a lane the edge does not have", tc->from, tc->to);
        b->cfrom[c] = net->edges[fe].lane_first + tc->from_lane;
        b->cto[c] = net->edges[te].lane_first + tc->to_lane;
        if (net->edges[fe].internal) {
            int32_t v = tc->via ? city_road_net_find_lane(net, tc->via) : -1;
            if (v >= 0) {
                b->next_via[b->cfrom[c]] = v;
                b->next_minor[b->cfrom[c]] = city_link_state_minor(tc->state ? tc->state[0] : 'M');
            }
        }
    }
    return CITY_OK;
}

/* Whether reader connection c leaves a normal lane. */
static bool from_normal_lane(const NetBuild *b, int32_t c)
{
    return b->cfrom[c] >= 0 && !b->net->edges[b->net->lanes[b->cfrom[c]].edge].internal;
}

/* Per normal lane, its connections in file order (for request numbering). */
static CityStatus index_lane_connections(NetBuild *b)
{
    int32_t n_conns = b->r->conns.n;
    int32_t *lane = ints(n_conns);
    if (!lane)
        return CITY_ERR_NOMEM;
    for (int32_t c = 0; c < n_conns; c++)
        lane[c] = from_normal_lane(b, c) ? b->cfrom[c] : -1;
    bool ok = city_groups_build(&b->by_lane, lane, n_conns, b->net->n_lanes);
    free(lane);
    return ok ? CITY_OK : CITY_ERR_NOMEM;
}

/* Connections from normal lanes, with their chain of internal lanes and
 * their light. */
static CityStatus add_connections(NetBuild *b)
{
    const NetReader *r = b->r;
    CityRoadNet *net = b->net;
    b->link_seq = ints(r->conns.n);
    if (!b->link_seq)
        return CITY_ERR_NOMEM;
    int32_t via[16];
    for (int32_t c = 0; c < r->conns.n; c++) {
        const TConn *tc = &r->conns.a[c];
        b->link_seq[c] = -1;
        if (!from_normal_lane(b, c))
            continue;
        int32_t nv = 0;
        if (tc->via) {
            int32_t v = city_road_net_find_lane(net, tc->via);
            if (v < 0)
                return fail_at(b, tc->line, "connection %s -> %s: unknown internal lane '%s'", tc->from, tc->to,
                               tc->via);
            while (v >= 0 && nv < 16) {
                via[nv++] = v;
                v = b->next_via[v];
            }
        }
        int32_t jn = net->edges[net->lanes[b->cfrom[c]].edge].to;
        int32_t tls = -1;
        if (tc->tl) {
            tls = city_road_net_find_tls(net, tc->tl);
            if (tls < 0)
                return fail_at(b, tc->line, "connection %s -> %s: unknown traffic light '%s'", tc->from, tc->to,
                               tc->tl);
        }
        int32_t k =
            city_road_net_add_connection(net, b->cfrom[c], b->cto[c], via, nv, jn, tls, tls >= 0 ? tc->link_index : -1,
                                         tc->dir ? tc->dir[0] : 's', tc->state ? tc->state[0] : 'M', &b->err);
        if (k < 0)
            return fail_at(b, tc->line, "%s", b->err.msg);
        b->link_seq[c] = k;
        for (int32_t i = 0; i + 1 < nv; i++) /* the internal waiting points' links to the next internal lane */
            net->conns[k].minor_hops += (uint8_t)b->next_minor[via[i]];
        /* a junction joined into a cluster ("GS_cluster_...") is controlled
         * by a light whose id is not its own: its connections name it */
        if (tls >= 0 && net->junctions[jn].tls < 0 && net->junctions[jn].type == CITY_JUNCTION_TRAFFIC_LIGHT)
            city_road_net_set_junction_tls(net, jn, tls, &b->err);
    }
    return CITY_OK;
}

/* The request rows of reader junction j (requests q0 .. q-1): its links
 * are its incoming lanes' connections, in incLanes order and file order
 * per lane (SUMO's link numbering). */
static CityStatus junction_requests(NetBuild *b, int32_t j, int32_t q0, int32_t q)
{
    const NetReader *r = b->r;
    CityRoadNet *net = b->net;
    const TJunction *tj = &r->junctions.a[j];
    int32_t n_req = q - q0;
    if (city_road_net_set_junction_links(net, b->jn_of[j], n_req, &b->err) != CITY_OK)
        return fail_at(b, tj->line, "junction '%s': %s", tj->id, b->err.msg);
    int32_t idx = 0;
    const char *s = tj->inc ? tj->inc : "";
    char id[512];
    while (city_list_next(&s, id, sizeof id) > 0) {
        int32_t lane = city_road_net_find_lane(net, id);
        if (lane < 0 || net->edges[net->lanes[lane].edge].internal)
            continue; /* walking areas and crossings */
        for (int32_t k = b->by_lane.first[lane]; k < b->by_lane.first[lane + 1]; k++) {
            int32_t c = b->by_lane.items[k];
            if (b->link_seq[c] < 0)
                continue;
            if (idx >= n_req)
                return fail_at(b, tj->line,
                               "junction '%s' has more connections than <request> rows; regenerate the network "
                               "with netconvert",
                               tj->id);
            const TRequest *rq = NULL;
            for (int32_t m = q0; m < q; m++)
                if (r->requests.a[m].index == idx)
                    rq = &r->requests.a[m];
            if (!rq)
                return fail_at(b, tj->line, "junction '%s' has no <request> with index %d", tj->id, (int)idx);
            if (city_road_net_set_request(net, b->jn_of[j], idx, b->link_seq[c], rq->response, rq->foes, rq->cont != 0,
                                          &b->err) != CITY_OK)
                return fail_at(b, rq->line, "%s", b->err.msg);
            idx++;
        }
    }
    return CITY_OK;
}

/* Every junction's request table (requests come grouped by junction). */
static CityStatus build_requests(NetBuild *b)
{
    const NetReader *r = b->r;
    int32_t q = 0;
    for (int32_t j = 0; j < r->junctions.n; j++) {
        int32_t q0 = q;
        while (q < r->requests.n && r->requests.a[q].junction == j)
            q++;
        if (q == q0)
            continue;
        CityStatus st = junction_requests(b, j, q0, q);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}

/* Builds the network in dependency order: lights, junctions, edges and
 * lanes, connections, request tables; then freezes it. */
static CityStatus build(NetReader *r, CityRoadNet *net)
{
    NetBuild b = {.r = r, .net = net};
    b.jn_of = ints(r->junctions.n);
    CityStatus st = b.jn_of ? CITY_OK : CITY_ERR_NOMEM;
    if (st == CITY_OK)
        st = build_tls(&b);
    if (st == CITY_OK)
        st = build_junctions(&b);
    if (st == CITY_OK)
        st = build_edges(&b);
    if (st == CITY_OK)
        st = resolve_connections(&b);
    if (st == CITY_OK)
        st = index_lane_connections(&b);
    if (st == CITY_OK)
        st = add_connections(&b);
    if (st == CITY_OK)
        st = build_requests(&b);
    if (st == CITY_OK && city_road_net_finalize(net, &b.err) != CITY_OK) {
        sumo_fail_file(&r->p, CITY_ERR_PARSE, "%s", b.err.msg);
        st = CITY_ERR_PARSE;
    }
    free(b.pts);
    free(b.jn_of);
    free(b.cfrom);
    free(b.cto);
    free(b.next_via);
    free(b.next_minor);
    city_groups_free(&b.by_lane);
    free(b.link_seq);
    city_strmap_free(&b.skipped);
    return st == CITY_OK ? r->p.status : st;
}

CityStatus city_sumo_load_net(const char *path, CityRoadNet **out, CityError *err)
{
    *out = NULL;
    NetReader r;
    CityStatus st = sumo_net_read(&r, path, err);
    CityRoadNet *net = NULL;
    if (st == CITY_OK) {
        net = city_road_net_create();
        st = net ? build(&r, net) : CITY_ERR_NOMEM;
        if (st == CITY_ERR_NOMEM)
            sumo_fail_file(&r.p, CITY_ERR_NOMEM, "out of memory");
    }
    sumo_net_reader_free(&r);
    if (st != CITY_OK) {
        city_road_net_destroy(net);
        return st;
    }
    *out = net;
    return CITY_OK;
}
