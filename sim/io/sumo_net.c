/* SUMO .net.xml reader. The file lists edges (with lanes), traffic-light
 * programs, junctions (with request tables) and connections, in that
 * order; edges name junctions defined later, so the reader first collects
 * every element, then builds the CityRoadNet in dependency order.
 * Pedestrian crossings and walking areas are skipped (no pedestrian model
 * yet); their request rows stay as links without a connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_sumo.h"
#include "sumo_xml.h"

typedef struct TLane {
    int32_t edge;
    char *id;
    double speed, length, width;
    uint32_t allow;
    char *shape;
    unsigned long line;
} TLane;
typedef struct TEdge {
    char *id, *from, *to, *name;
    int32_t priority;
    int kind;
    int32_t lane_first, lane_count;
    unsigned long line;
} TEdge; /* kind 0 normal, 1 internal, 2 skipped */
typedef struct TJunction {
    char *id, *shape, *inc;
    int type;
    double x, y;
    unsigned long line;
} TJunction;
typedef struct TRequest {
    int32_t junction, index;
    char *response, *foes;
    int cont;
    unsigned long line;
} TRequest;
typedef struct TTls {
    char *id, *program;
    int type;
    double offset;
    unsigned long line;
} TTls;
typedef struct TPhase {
    int32_t tls;
    double duration, min, max;
    char *state;
    unsigned long line;
} TPhase;
typedef struct TConn {
    char *from, *to, *via, *tl, *dir, *state;
    int32_t from_lane, to_lane, link_index;
    unsigned long line;
} TConn;

#define VEC(T)                                                                                                         \
    struct {                                                                                                           \
        T *a;                                                                                                          \
        int32_t n, cap;                                                                                                \
    }
typedef struct NetReader {
    SumoParse p;
    VEC(TLane) lanes;
    VEC(TEdge) edges;
    VEC(TJunction) junctions;
    VEC(TRequest) requests;
    VEC(TTls) tls;
    VEC(TPhase) phases;
    VEC(TConn) conns;
    int32_t cur_edge, cur_junction, cur_tls;
} NetReader;

#define PUSH(r, v)                                                                                                     \
    ((v).n < (v).cap || grow_vec((void **)&(v).a, &(v).cap, sizeof *(v).a)                                             \
         ? &(v).a[(v).n++]                                                                                             \
         : (sumo_fail(&(r)->p, CITY_ERR_NOMEM, "out of memory"), NULL))

static bool grow_vec(void **a, int32_t *cap, size_t size)
{
    int32_t c = *cap ? *cap * 2 : 256;
    void *p = realloc(*a, (size_t)c * size);
    if (!p)
        return false;
    *a = p;
    *cap = c;
    return true;
}

static char *dup_attr(NetReader *r, const char **attrs, const char *name)
{
    const char *s = sumo_attr(attrs, name);
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) {
        sumo_fail(&r->p, CITY_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(d, s, n);
    return d;
}

static uint32_t class_mask(const char *list, bool *ok)
{
    uint32_t m = 0;
    char word[64];
    *ok = true;
    for (const char *s = list; *s;) {
        while (*s == ' ')
            s++;
        size_t k = 0;
        while (s[k] && s[k] != ' ')
            k++;
        if (!k)
            break;
        if (k < sizeof word) {
            memcpy(word, s, k);
            word[k] = '\0';
            if (strcmp(word, "all") == 0)
                m |= CITY_VC_ALL;
            else {
                uint32_t b = city_vclass_from_name(word);
                if (!b && strncmp(word, "custom", 6) != 0)
                    *ok = false;
                m |= b;
            }
        }
        s += k;
    }
    return m;
}

static int junction_type(const char *t)
{
    static const struct {
        const char *name;
        CityJunctionType type;
    } map[] = {
        {"priority", CITY_JUNCTION_PRIORITY},
        {"traffic_light", CITY_JUNCTION_TRAFFIC_LIGHT},
        {"traffic_light_unregulated", CITY_JUNCTION_TRAFFIC_LIGHT},
        {"traffic_light_right_on_red", CITY_JUNCTION_TRAFFIC_LIGHT},
        {"right_before_left", CITY_JUNCTION_RIGHT_BEFORE_LEFT},
        {"left_before_right", CITY_JUNCTION_RIGHT_BEFORE_LEFT},
        {"allway_stop", CITY_JUNCTION_ALLWAY_STOP},
        {"priority_stop", CITY_JUNCTION_PRIORITY_STOP},
        {"zipper", CITY_JUNCTION_ZIPPER},
        {"unregulated", CITY_JUNCTION_UNREGULATED},
        {"dead_end", CITY_JUNCTION_DEAD_END},
        {"internal", CITY_JUNCTION_INTERNAL},
        {"rail_signal", CITY_JUNCTION_PRIORITY},
        {"rail_crossing", CITY_JUNCTION_PRIORITY},
        {"district", CITY_JUNCTION_DEAD_END},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(t, map[i].name) == 0)
            return (int)map[i].type;
    return -1;
}

static void on_start(void *user, const char *el, const char **attrs)
{
    NetReader *r = user;
    SumoParse *p = &r->p;
    if (p->status != CITY_OK)
        return;
    unsigned long line = XML_GetCurrentLineNumber(p->parser);
    if (strcmp(el, "edge") == 0) {
        TEdge *e = PUSH(r, r->edges);
        if (!e)
            return;
        memset(e, 0, sizeof *e);
        e->line = line;
        e->id = dup_attr(r, attrs, "id");
        const char *fn = sumo_attr(attrs, "function");
        e->kind = !fn || strcmp(fn, "normal") == 0 ? 0 : strcmp(fn, "internal") == 0 ? 1 : 2;
        e->from = dup_attr(r, attrs, "from");
        e->to = dup_attr(r, attrs, "to");
        e->name = dup_attr(r, attrs, "name");
        e->priority = (int32_t)sumo_num(p, attrs, "priority", -1);
        if (!e->id)
            sumo_fail(p, CITY_ERR_PARSE, "<edge> without an id; every edge needs id=\"...\"");
        else if (e->kind == 0 && (!e->from || !e->to))
            sumo_fail(p, CITY_ERR_PARSE, "edge '%s' has no from/to junction; normal edges need both", e->id);
        r->cur_edge = r->edges.n - 1;
    } else if (strcmp(el, "lane") == 0) {
        if (r->cur_edge < 0) {
            sumo_fail(p, CITY_ERR_PARSE, "<lane> outside an <edge>; lanes belong inside their edge");
            return;
        }
        TLane *l = PUSH(r, r->lanes);
        if (!l)
            return;
        memset(l, 0, sizeof *l);
        l->line = line;
        l->edge = r->cur_edge;
        if (r->edges.a[r->cur_edge].lane_count++ == 0)
            r->edges.a[r->cur_edge].lane_first = r->lanes.n - 1;
        l->id = dup_attr(r, attrs, "id");
        l->speed = sumo_num(p, attrs, "speed", -1);
        l->length = sumo_num(p, attrs, "length", -1);
        l->width = sumo_num(p, attrs, "width", 3.2);
        l->shape = dup_attr(r, attrs, "shape");
        const char *allow = sumo_attr(attrs, "allow"), *disallow = sumo_attr(attrs, "disallow");
        bool ok = true;
        l->allow = allow ? class_mask(allow, &ok) : disallow ? (CITY_VC_ALL & ~class_mask(disallow, &ok)) : CITY_VC_ALL;
        if (!l->id || !l->shape || l->speed <= 0)
            sumo_fail(p, CITY_ERR_PARSE, "lane '%s' needs id, speed > 0 and shape", l->id ? l->id : "?");
        else if (!ok)
            sumo_fail(p, CITY_ERR_PARSE, "lane '%s': unknown vehicle class in allow/disallow; use SUMO's class names",
                      l->id);
    } else if (strcmp(el, "junction") == 0) {
        TJunction *j = PUSH(r, r->junctions);
        if (!j)
            return;
        memset(j, 0, sizeof *j);
        j->line = line;
        j->id = dup_attr(r, attrs, "id");
        const char *t = sumo_attr(attrs, "type");
        j->type = t ? junction_type(t) : (int)CITY_JUNCTION_PRIORITY;
        j->x = sumo_num(p, attrs, "x", 0);
        j->y = sumo_num(p, attrs, "y", 0);
        j->shape = dup_attr(r, attrs, "shape");
        j->inc = dup_attr(r, attrs, "incLanes");
        if (!j->id)
            sumo_fail(p, CITY_ERR_PARSE, "<junction> without an id");
        else if (j->type < 0)
            sumo_fail(p, CITY_ERR_PARSE, "junction '%s' has unknown type '%s'; use a SUMO junction type", j->id, t);
        r->cur_junction = r->junctions.n - 1;
    } else if (strcmp(el, "request") == 0) {
        if (r->cur_junction < 0) {
            sumo_fail(p, CITY_ERR_PARSE, "<request> outside a <junction>");
            return;
        }
        TRequest *q = PUSH(r, r->requests);
        if (!q)
            return;
        memset(q, 0, sizeof *q);
        q->line = line;
        q->junction = r->cur_junction;
        q->index = (int32_t)sumo_num(p, attrs, "index", -1);
        q->response = dup_attr(r, attrs, "response");
        q->foes = dup_attr(r, attrs, "foes");
        q->cont = (int)sumo_num(p, attrs, "cont", 0);
        if (!q->response || !q->foes || q->index < 0)
            sumo_fail(p, CITY_ERR_PARSE, "<request> needs index, response and foes");
    } else if (strcmp(el, "tlLogic") == 0) {
        TTls *t = PUSH(r, r->tls);
        if (!t)
            return;
        memset(t, 0, sizeof *t);
        t->line = line;
        t->id = dup_attr(r, attrs, "id");
        t->program = dup_attr(r, attrs, "programID");
        const char *type = sumo_attr(attrs, "type");
        t->type = !type || strcmp(type, "static") == 0 ? CITY_TLS_STATIC : CITY_TLS_ACTUATED;
        t->offset = sumo_num(p, attrs, "offset", 0);
        if (!t->id)
            sumo_fail(p, CITY_ERR_PARSE, "<tlLogic> without an id");
        r->cur_tls = r->tls.n - 1;
    } else if (strcmp(el, "phase") == 0) {
        if (r->cur_tls < 0) {
            sumo_fail(p, CITY_ERR_PARSE, "<phase> outside a <tlLogic>");
            return;
        }
        TPhase *ph = PUSH(r, r->phases);
        if (!ph)
            return;
        memset(ph, 0, sizeof *ph);
        ph->line = line;
        ph->tls = r->cur_tls;
        ph->duration = sumo_num(p, attrs, "duration", -1);
        ph->min = sumo_num(p, attrs, "minDur", -1);
        ph->max = sumo_num(p, attrs, "maxDur", -1);
        ph->state = dup_attr(r, attrs, "state");
        if (!ph->state || ph->duration <= 0)
            sumo_fail(p, CITY_ERR_PARSE, "<phase> needs a state and a duration > 0");
    } else if (strcmp(el, "connection") == 0) {
        TConn *c = PUSH(r, r->conns);
        if (!c)
            return;
        memset(c, 0, sizeof *c);
        c->line = line;
        c->from = dup_attr(r, attrs, "from");
        c->to = dup_attr(r, attrs, "to");
        c->from_lane = (int32_t)sumo_num(p, attrs, "fromLane", -1);
        c->to_lane = (int32_t)sumo_num(p, attrs, "toLane", -1);
        c->via = dup_attr(r, attrs, "via");
        c->tl = dup_attr(r, attrs, "tl");
        c->link_index = (int32_t)sumo_num(p, attrs, "linkIndex", -1);
        c->dir = dup_attr(r, attrs, "dir");
        c->state = dup_attr(r, attrs, "state");
        if (!c->from || !c->to || c->from_lane < 0 || c->to_lane < 0)
            sumo_fail(p, CITY_ERR_PARSE, "<connection> needs from, to, fromLane and toLane");
    }
}

static void on_end(void *user, const char *el)
{
    NetReader *r = user;
    if (strcmp(el, "edge") == 0)
        r->cur_edge = -1;
    else if (strcmp(el, "junction") == 0)
        r->cur_junction = -1;
    else if (strcmp(el, "tlLogic") == 0)
        r->cur_tls = -1;
}

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
        if (*n == *cap && !grow_vec((void **)pts, cap, sizeof **pts))
            return false;
        (*pts)[(*n)++] = (CityPoint){x, y};
    }
    return true;
}

static void fail_at(NetReader *r, unsigned long line, const char *fmt, const char *a, const char *b)
{
    if (r->p.status != CITY_OK)
        return;
    r->p.status = CITY_ERR_PARSE;
    int n = snprintf(r->p.err, r->p.err_len, "%s:%lu: ", r->p.path, line);
    if (n >= 0 && (size_t)n < r->p.err_len)
        snprintf(r->p.err + n, r->p.err_len - (size_t)n, fmt, a ? a : "", b ? b : "");
}

static CityStatus build(NetReader *r, CityRoadNet *net)
{
    char e2[512];
    CityPoint *pts = NULL;
    int32_t npts = 0, cpts = 0;
    int32_t *tls_of = NULL, *jn_of = NULL, *edge_of = NULL, *lane_of = NULL, *next_via = NULL, *next_to = NULL;
    int32_t *lane_conns = NULL, *lane_conn_first = NULL, *link_seq = NULL;
    CityStatus st = CITY_OK;
    char fm[800];
#define FAIL(line, ...)                                                                                                \
    do {                                                                                                               \
        snprintf(fm, sizeof fm, __VA_ARGS__);                                                                          \
        fail_at(r, line, "%s%s", fm, "");                                                                              \
        st = CITY_ERR_PARSE;                                                                                           \
        goto done;                                                                                                     \
    } while (0)
    tls_of = malloc(((size_t)r->tls.n + 1) * sizeof *tls_of);
    jn_of = malloc(((size_t)r->junctions.n + 1) * sizeof *jn_of);
    edge_of = malloc(((size_t)r->edges.n + 1) * sizeof *edge_of);
    lane_of = malloc(((size_t)r->lanes.n + 1) * sizeof *lane_of);
    if (!tls_of || !jn_of || !edge_of || !lane_of) {
        st = CITY_ERR_NOMEM;
        goto done;
    }
    /* traffic lights and their phases */
    for (int32_t t = 0; t < r->tls.n; t++) {
        const TTls *tl = &r->tls.a[t];
        /* the light's link count is what its connections use (linkIndex + 1),
         * so a state string of the wrong length is reported at its own line */
        int32_t links = -1;
        for (int32_t c = 0; c < r->conns.n; c++)
            if (r->conns.a[c].tl && strcmp(r->conns.a[c].tl, tl->id) == 0 && r->conns.a[c].link_index + 1 > links)
                links = r->conns.a[c].link_index + 1;
        for (int32_t k = 0; k < r->phases.n && links < 0; k++)
            if (r->phases.a[k].tls == t)
                links = (int32_t)strlen(r->phases.a[k].state);
        if (links < 0)
            FAIL(tl->line, "traffic light '%s' has no phases; give every <tlLogic> at least one <phase>", tl->id);
        tls_of[t] =
            city_road_net_add_tls(net, tl->id, tl->program, (CityTlsType)tl->type, tl->offset, links, e2, sizeof e2);
        if (tls_of[t] < 0)
            FAIL(tl->line, "%s", e2);
        for (int32_t k = 0; k < r->phases.n; k++) {
            const TPhase *ph = &r->phases.a[k];
            if (ph->tls == t &&
                city_road_net_add_phase(net, tls_of[t], ph->duration, ph->min, ph->max, ph->state, e2, sizeof e2) < 0)
                FAIL(ph->line, "%s", e2);
        }
    }
    /* junctions */
    for (int32_t j = 0; j < r->junctions.n; j++) {
        const TJunction *tj = &r->junctions.a[j];
        if (!parse_shape(tj->shape, &pts, &npts, &cpts))
            FAIL(tj->line, "junction '%s' has a malformed shape; write \"x,y x,y ...\"", tj->id);
        jn_of[j] =
            city_road_net_add_junction(net, tj->id, (CityJunctionType)tj->type, tj->x, tj->y, pts, npts, e2, sizeof e2);
        if (jn_of[j] < 0) {
            FAIL(tj->line, "%s", e2);
        }
        if (tj->type == CITY_JUNCTION_TRAFFIC_LIGHT) {
            int32_t t = city_road_net_find_tls(net, tj->id);
            if (t >= 0)
                city_road_net_set_junction_tls(net, jn_of[j], t, e2, sizeof e2);
        }
    }
    /* edges and lanes */
    for (int32_t e = 0; e < r->edges.n; e++) {
        const TEdge *te = &r->edges.a[e];
        edge_of[e] = -1;
        if (te->kind == 2)
            continue;
        int32_t from = -1, to = -1;
        if (te->kind == 0) {
            from = city_road_net_find_junction(net, te->from);
            to = city_road_net_find_junction(net, te->to);
            if (from < 0 || to < 0)
                FAIL(te->line, "edge '%s' names unknown junction '%s'; define the junction or fix the edge", te->id,
                     from < 0 ? te->from : te->to);
        }
        edge_of[e] =
            city_road_net_add_edge(net, te->id, from, to, te->priority, te->kind == 1, te->name, e2, sizeof e2);
        if (edge_of[e] < 0) {
            FAIL(te->line, "%s", e2);
        }
        for (int32_t l = te->lane_first; l < te->lane_first + te->lane_count; l++) {
            const TLane *tl = &r->lanes.a[l];
            if (!parse_shape(tl->shape, &pts, &npts, &cpts) || npts < 2)
                FAIL(tl->line, "lane '%s' has a malformed shape; it needs at least two points \"x,y x,y\"", tl->id);
            lane_of[l] = city_road_net_add_lane(net, edge_of[e], tl->id, tl->speed, tl->length, tl->width, tl->allow,
                                                pts, npts, e2, sizeof e2);
            if (lane_of[l] < 0) {
                FAIL(tl->line, "%s", e2);
            }
        }
    }
    /* internal chains: an internal lane continues to another internal lane
     * (internal junction) or to a normal lane */
    next_via = malloc(((size_t)net->n_lanes + 1) * sizeof *next_via);
    next_to = malloc(((size_t)net->n_lanes + 1) * sizeof *next_to);
    if (!next_via || !next_to) {
        st = CITY_ERR_NOMEM;
        goto done;
    }
    for (int32_t l = 0; l < net->n_lanes; l++)
        next_via[l] = next_to[l] = -1;
    int32_t *cfrom = malloc(((size_t)r->conns.n + 1) * sizeof *cfrom);
    int32_t *cto = malloc(((size_t)r->conns.n + 1) * sizeof *cto);
    if (!cfrom || !cto) {
        free(cfrom);
        free(cto);
        st = CITY_ERR_NOMEM;
        goto done;
    }
    for (int32_t c = 0; c < r->conns.n; c++) {
        const TConn *tc = &r->conns.a[c];
        cfrom[c] = cto[c] = -1;
        int32_t fe = city_road_net_find_edge(net, tc->from), te = city_road_net_find_edge(net, tc->to);
        if (fe < 0 || te < 0) {
            /* connections of crossings and walking areas are skipped; others must resolve */
            bool skipped = false;
            for (int32_t e = 0; e < r->edges.n && !skipped; e++)
                if (r->edges.a[e].kind == 2 &&
                    (strcmp(r->edges.a[e].id, tc->from) == 0 || strcmp(r->edges.a[e].id, tc->to) == 0))
                    skipped = true;
            if (skipped)
                continue;
            free(cfrom);
            free(cto);
            FAIL(tc->line, "connection names unknown edge '%s'; every from/to must be an edge of this file",
                 fe < 0 ? tc->from : tc->to);
        }
        if (tc->from_lane >= net->edges[fe].lane_count || tc->to_lane >= net->edges[te].lane_count) {
            free(cfrom);
            free(cto);
            FAIL(tc->line, "connection %s -> %s names a lane the edge does not have", tc->from, tc->to);
        }
        cfrom[c] = net->edges[fe].lane_first + tc->from_lane;
        cto[c] = net->edges[te].lane_first + tc->to_lane;
        if (net->edges[fe].internal) {
            int32_t v = tc->via ? city_road_net_find_lane(net, tc->via) : -1;
            if (v >= 0)
                next_via[cfrom[c]] = v;
            else
                next_to[cfrom[c]] = cto[c];
        }
    }
    /* per normal lane, its connections in file order (for request numbering) */
    lane_conn_first = calloc((size_t)net->n_lanes + 2, sizeof *lane_conn_first);
    lane_conns = malloc(((size_t)r->conns.n + 1) * sizeof *lane_conns);
    link_seq = malloc(((size_t)r->conns.n + 1) * sizeof *link_seq);
    if (!lane_conn_first || !lane_conns || !link_seq) {
        free(cfrom);
        free(cto);
        st = CITY_ERR_NOMEM;
        goto done;
    }
    for (int32_t c = 0; c < r->conns.n; c++)
        if (cfrom[c] >= 0 && !net->edges[net->lanes[cfrom[c]].edge].internal)
            lane_conn_first[cfrom[c] + 1]++;
    for (int32_t l = 0; l < net->n_lanes; l++)
        lane_conn_first[l + 1] += lane_conn_first[l];
    {
        int32_t *fill = malloc(((size_t)net->n_lanes + 1) * sizeof *fill);
        if (!fill) {
            free(cfrom);
            free(cto);
            st = CITY_ERR_NOMEM;
            goto done;
        }
        memcpy(fill, lane_conn_first, (size_t)net->n_lanes * sizeof *fill);
        for (int32_t c = 0; c < r->conns.n; c++)
            if (cfrom[c] >= 0 && !net->edges[net->lanes[cfrom[c]].edge].internal)
                lane_conns[fill[cfrom[c]]++] = c;
        free(fill);
    }
    /* normal connections */
    int32_t via_buf[16];
    for (int32_t c = 0; c < r->conns.n; c++) {
        const TConn *tc = &r->conns.a[c];
        link_seq[c] = -1;
        if (cfrom[c] < 0 || net->edges[net->lanes[cfrom[c]].edge].internal)
            continue;
        int32_t nv = 0;
        if (tc->via) {
            int32_t v = city_road_net_find_lane(net, tc->via);
            if (v < 0) {
                free(cfrom);
                free(cto);
                FAIL(tc->line, "connection %s -> %s: unknown internal lane '%s'", tc->from, tc->to, tc->via);
            }
            while (v >= 0 && nv < 16) {
                via_buf[nv++] = v;
                v = next_via[v];
            }
        }
        int32_t fe = net->lanes[cfrom[c]].edge;
        int32_t jn = net->edges[fe].to;
        int32_t tls = -1;
        if (tc->tl) {
            tls = city_road_net_find_tls(net, tc->tl);
            if (tls < 0) {
                free(cfrom);
                free(cto);
                FAIL(tc->line, "connection %s -> %s: unknown traffic light '%s'", tc->from, tc->to, tc->tl);
            }
        }
        int32_t k =
            city_road_net_add_connection(net, cfrom[c], cto[c], via_buf, nv, jn, tls, tls >= 0 ? tc->link_index : -1,
                                         tc->dir ? tc->dir[0] : 's', tc->state ? tc->state[0] : 'M', e2, sizeof e2);
        if (k < 0) {
            free(cfrom);
            free(cto);
            FAIL(tc->line, "%s", e2);
        }
        link_seq[c] = k;
        /* a junction joined into a cluster ("GS_cluster_...") is controlled
         * by a light whose id is not its own: its connections name it */
        if (tls >= 0 && net->junctions[jn].tls < 0 && net->junctions[jn].type == CITY_JUNCTION_TRAFFIC_LIGHT)
            city_road_net_set_junction_tls(net, jn, tls, e2, sizeof e2);
    }
    /* requests: a junction's links are its incoming lanes' connections, in
     * incLanes order and file order per lane (SUMO's link numbering) */
    int32_t q = 0;
    for (int32_t j = 0; j < r->junctions.n; j++) {
        int32_t n_req = 0;
        int32_t q0 = q;
        while (q < r->requests.n && r->requests.a[q].junction == j) {
            n_req++;
            q++;
        }
        if (!n_req)
            continue;
        const TJunction *tj = &r->junctions.a[j];
        if (city_road_net_set_junction_links(net, jn_of[j], n_req, e2, sizeof e2) != CITY_OK) {
            free(cfrom);
            free(cto);
            FAIL(tj->line, "junction '%s': %s", tj->id, e2);
        }
        int32_t idx = 0;
        const char *s = tj->inc ? tj->inc : "";
        char id[512];
        while (*s) {
            while (*s == ' ')
                s++;
            size_t len = 0;
            while (s[len] && s[len] != ' ')
                len++;
            if (!len)
                break;
            snprintf(id, sizeof id, "%.*s", (int)len, s);
            s += len;
            int32_t lane = city_road_net_find_lane(net, id);
            if (lane < 0 || net->edges[net->lanes[lane].edge].internal)
                continue; /* walking areas and crossings */
            for (int32_t k = lane_conn_first[lane]; k < lane_conn_first[lane + 1]; k++) {
                int32_t c = lane_conns[k];
                if (link_seq[c] < 0)
                    continue;
                if (idx >= n_req) {
                    free(cfrom);
                    free(cto);
                    FAIL(tj->line,
                         "junction '%s' has more connections than <request> rows; regenerate the network with "
                         "netconvert",
                         tj->id);
                }
                const TRequest *rq = NULL;
                for (int32_t m = q0; m < q; m++)
                    if (r->requests.a[m].index == idx)
                        rq = &r->requests.a[m];
                if (!rq) {
                    free(cfrom);
                    free(cto);
                    FAIL(tj->line, "junction '%s' has no <request> with index %d", tj->id, (int)idx);
                }
                if (city_road_net_set_request(net, jn_of[j], idx, link_seq[c], rq->response, rq->foes, rq->cont != 0,
                                              e2, sizeof e2) != CITY_OK) {
                    char m2[600];
                    snprintf(m2, sizeof m2, "%s", e2);
                    free(cfrom);
                    free(cto);
                    fail_at(r, rq->line, "%s%s", m2, "");
                    st = CITY_ERR_PARSE;
                    goto done;
                }
                idx++;
            }
        }
    }
    free(cfrom);
    free(cto);
    if (city_road_net_finalize(net, e2, sizeof e2) != CITY_OK) {
        snprintf(r->p.err, r->p.err_len, "%s: %s", r->p.path, e2);
        st = CITY_ERR_PARSE;
    }
done:
#undef FAIL
    free(pts);
    free(tls_of);
    free(jn_of);
    free(edge_of);
    free(lane_of);
    free(next_via);
    free(next_to);
    free(lane_conns);
    free(lane_conn_first);
    free(link_seq);
    return st == CITY_OK ? r->p.status : st;
}

static void reader_free(NetReader *r)
{
    for (int32_t i = 0; i < r->lanes.n; i++) {
        free(r->lanes.a[i].id);
        free(r->lanes.a[i].shape);
    }
    for (int32_t i = 0; i < r->edges.n; i++) {
        free(r->edges.a[i].id);
        free(r->edges.a[i].from);
        free(r->edges.a[i].to);
        free(r->edges.a[i].name);
    }
    for (int32_t i = 0; i < r->junctions.n; i++) {
        free(r->junctions.a[i].id);
        free(r->junctions.a[i].shape);
        free(r->junctions.a[i].inc);
    }
    for (int32_t i = 0; i < r->requests.n; i++) {
        free(r->requests.a[i].response);
        free(r->requests.a[i].foes);
    }
    for (int32_t i = 0; i < r->tls.n; i++) {
        free(r->tls.a[i].id);
        free(r->tls.a[i].program);
    }
    for (int32_t i = 0; i < r->phases.n; i++)
        free(r->phases.a[i].state);
    for (int32_t i = 0; i < r->conns.n; i++) {
        TConn *c = &r->conns.a[i];
        free(c->from);
        free(c->to);
        free(c->via);
        free(c->tl);
        free(c->dir);
        free(c->state);
    }
    free(r->lanes.a);
    free(r->edges.a);
    free(r->junctions.a);
    free(r->requests.a);
    free(r->tls.a);
    free(r->phases.a);
    free(r->conns.a);
}

CityStatus city_sumo_load_net(const char *path, CityRoadNet **out, char *err, size_t err_len)
{
    *out = NULL;
    err[0] = '\0';
    NetReader r;
    memset(&r, 0, sizeof r);
    r.p.path = path;
    r.p.err = err;
    r.p.err_len = err_len;
    r.cur_edge = r.cur_junction = r.cur_tls = -1;
    CityStatus st = sumo_parse_file(&r.p, on_start, on_end, &r);
    if (st == CITY_OK && r.edges.n == 0) {
        snprintf(err, err_len, "%s: no <edge> elements; is this a SUMO .net.xml file?", path);
        st = CITY_ERR_PARSE;
    }
    CityRoadNet *net = NULL;
    if (st == CITY_OK) {
        net = city_road_net_create();
        st = net ? build(&r, net) : CITY_ERR_NOMEM;
        if (st == CITY_ERR_NOMEM && !err[0])
            snprintf(err, err_len, "%s: out of memory", path);
    }
    reader_free(&r);
    if (st != CITY_OK) {
        city_road_net_destroy(net);
        return st;
    }
    *out = net;
    return CITY_OK;
}
