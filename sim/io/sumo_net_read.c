/* Reading a SUMO .net.xml file: every edge (with its lanes), traffic-light
 * program (with its phases), junction (with its request rows) and
 * connection, kept as written with its line; sumo_net.c builds the network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_road.h"
#include "city_text.h"
#include "sumo_net_internal.h"

/* Appends a slot (the caller fills it) to vector v; NULL after recording out of memory. */
#define PUSH(r, v)                                                                                                     \
    (city_array_grow((void **)&(v).a, &(v).cap, (v).n + 1, sizeof *(v).a)                                              \
         ? &(v).a[(v).n++]                                                                                             \
         : (sumo_fail(&(r)->p, CITY_ERR_NOMEM, "out of memory"), NULL))

/* A heap copy of attribute `name`, or NULL when absent (or out of memory, then recorded). */
static char *dup_attr(NetReader *r, const char **attrs, const char *name)
{
    const char *s = sumo_attr(attrs, name);
    char *d = city_arena_strdup(&r->text, s);
    if (s && !d)
        sumo_fail(&r->p, CITY_ERR_NOMEM, "out of memory");
    return d;
}

static uint32_t class_mask(const char *list, bool *ok)
{
    uint32_t m = 0;
    char word[64];
    *ok = true;
    size_t k;
    for (const char *s = list; (k = city_list_next(&s, word, sizeof word)) > 0;) {
        if (k >= sizeof word)
            continue; /* longer than any class name: ignored, as SUMO's custom classes */
        if (strcmp(word, "all") == 0) {
            m |= CITY_VC_ALL;
        } else {
            uint32_t b = city_vclass_from_name(word);
            if (!b && strncmp(word, "custom", 6) != 0)
                *ok = false;
            m |= b;
        }
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

static void read_edge(NetReader *r, const char **attrs, unsigned long line)
{
    SumoParse *p = &r->p;
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
    e->priority = sumo_int(p, attrs, "priority", -1);
    if (!e->id)
        sumo_fail(p, CITY_ERR_PARSE, "<edge> without an id; every edge needs id=\"...\"");
    else if (e->kind == 0 && (!e->from || !e->to))
        sumo_fail(p, CITY_ERR_PARSE, "edge '%s' has no from/to junction; normal edges need both", e->id);
    r->cur_edge = r->edges.n - 1;
}

static void read_lane(NetReader *r, const char **attrs, unsigned long line)
{
    SumoParse *p = &r->p;
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
}

static void read_junction(NetReader *r, const char **attrs, unsigned long line)
{
    SumoParse *p = &r->p;
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
}

static void read_request(NetReader *r, const char **attrs, unsigned long line)
{
    SumoParse *p = &r->p;
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
    q->index = sumo_int(p, attrs, "index", -1);
    q->response = dup_attr(r, attrs, "response");
    q->foes = dup_attr(r, attrs, "foes");
    q->cont = sumo_int(p, attrs, "cont", 0);
    if (!q->response || !q->foes || q->index < 0)
        sumo_fail(p, CITY_ERR_PARSE, "<request> needs index, response and foes");
}

static void read_tls(NetReader *r, const char **attrs, unsigned long line)
{
    SumoParse *p = &r->p;
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
}

static void read_phase(NetReader *r, const char **attrs, unsigned long line)
{
    SumoParse *p = &r->p;
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
}

static void read_connection(NetReader *r, const char **attrs, unsigned long line)
{
    SumoParse *p = &r->p;
    TConn *c = PUSH(r, r->conns);
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->line = line;
    c->from = dup_attr(r, attrs, "from");
    c->to = dup_attr(r, attrs, "to");
    c->from_lane = sumo_int(p, attrs, "fromLane", -1);
    c->to_lane = sumo_int(p, attrs, "toLane", -1);
    c->via = dup_attr(r, attrs, "via");
    c->tl = dup_attr(r, attrs, "tl");
    c->link_index = sumo_int(p, attrs, "linkIndex", -1);
    c->dir = dup_attr(r, attrs, "dir");
    c->state = dup_attr(r, attrs, "state");
    if (!c->from || !c->to || c->from_lane < 0 || c->to_lane < 0)
        sumo_fail(p, CITY_ERR_PARSE, "<connection> needs from, to, fromLane and toLane");
}

static void on_start(void *user, const char *el, const char **attrs)
{
    static const struct {
        const char *name;
        void (*read)(NetReader *r, const char **attrs, unsigned long line);
    } elements[] = {
        {"edge", read_edge},   {"lane", read_lane},   {"junction", read_junction},    {"request", read_request},
        {"tlLogic", read_tls}, {"phase", read_phase}, {"connection", read_connection}};
    NetReader *r = user;
    if (r->p.status != CITY_OK)
        return;
    unsigned long line = XML_GetCurrentLineNumber(r->p.parser);
    for (size_t i = 0; i < sizeof elements / sizeof elements[0]; i++)
        if (strcmp(el, elements[i].name) == 0) {
            elements[i].read(r, attrs, line);
            return;
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

void sumo_net_reader_free(NetReader *r)
{
    city_arena_free(&r->text);
    free(r->lanes.a);
    free(r->edges.a);
    free(r->junctions.a);
    free(r->requests.a);
    free(r->tls.a);
    free(r->phases.a);
    free(r->conns.a);
}

CityStatus sumo_net_read(NetReader *r, const char *path, CityError *err)
{
    memset(r, 0, sizeof *r);
    sumo_parse_init(&r->p, path, "network", err);
    r->cur_edge = r->cur_junction = r->cur_tls = -1;
    CityStatus st = sumo_parse_file(&r->p, on_start, on_end, r);
    if (st == CITY_OK && r->edges.n == 0) {
        sumo_fail_file(&r->p, CITY_ERR_PARSE, "no <edge> elements; is this a SUMO .net.xml file?");
        st = CITY_ERR_PARSE;
    }
    return st;
}
