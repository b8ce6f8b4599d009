/* SUMO demand reader (.rou.xml, .trips.xml, duarouter output): vTypes,
 * named routes, vehicles (route attribute or nested route), trips (our
 * router picks the path) and flows. A vehicle or flow is added when its
 * element closes, since its route may be nested inside it. What would
 * change the results and citylab does not model (stops, random departure
 * positions and speeds, driver imperfection, other car-following models,
 * drawing among several routes or types) is refused with the file and
 * line, as is every attribute citylab neither reads nor knows to change
 * nothing (sumo_routes_attrs.c) and every element it does not read. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_sumo.h"
#include "city_text.h"
#include "sumo_routes_internal.h"

/* Flows are expanded into vehicles: a flow may ask for at most this many
 * (over its whole [begin, end)), and its numbers must be finite and in
 * range, so a demand file cannot make the run take gigabytes or minutes. */
#define SUMO_FLOW_MAX_VEHICLES 1000000
#define SUMO_FLOW_MAX_TIME_S 1e9

typedef enum { ITEM_NONE, ITEM_VEHICLE, ITEM_TRIP, ITEM_FLOW } ItemKind;

typedef struct RoutesReader {
    SumoParse p;
    CityRoad *road;
    ItemKind kind; /* the vehicle/trip/flow being read */
    unsigned long item_line;
    char id[256];
    int32_t vtype, route, from, to;
    int32_t *via;
    int32_t n_via, cap_via;
    int32_t *edges;
    int32_t n_edges, cap_edges;
    CityDepartDef depart;
    double depart_s, begin_s, end_s, rate, period, prob;
    int64_t number;
    CityFlowSpacing spacing;
    bool in_distribution; /* inside <routeDistribution> */
    char dist_id[256];
    int32_t dist_route;      /* first route of the distribution */
    int32_t dist_count;      /* routes read in it so far */
    int32_t dist_last;       /* its `last` attribute: the route a vehicle's own distribution uses */
    unsigned long dist_line; /* where it starts */
    bool in_vtype_dist;      /* inside <vTypeDistribution> */
    char vtype_dist_id[256];
    int32_t vtype_dist_count;      /* vTypes read in it so far */
    CityVTypeDef vtype_dist_first; /* the first of them (its id not kept) */
    unsigned long vtype_dist_line; /* where it starts */
} RoutesReader;

/* Edge ids separated by spaces into an index list. */
static bool edge_list(RoutesReader *r, const char *s, int32_t **out, int32_t *n, int32_t *cap)
{
    const CityRoadNet *net = city_road_net(r->road);
    char id[512];
    *n = 0;
    for (size_t k; s && (k = city_list_next(&s, id, sizeof id)) > 0;) {
        if (k >= sizeof id) {
            sumo_fail(&r->p, CITY_ERR_PARSE, "edge id too long");
            return false;
        }
        int32_t e = city_road_net_find_edge(net, id);
        if (e < 0 || net->edges[e].internal) {
            sumo_fail(&r->p, CITY_ERR_PARSE, "unknown edge '%s'; the demand must use edges of the loaded network", id);
            return false;
        }
        if (!city_array_grow((void **)out, cap, *n + 1, sizeof **out)) {
            sumo_fail(&r->p, CITY_ERR_NOMEM, "out of memory");
            return false;
        }
        (*out)[(*n)++] = e;
    }
    return true;
}

static int32_t one_edge(RoutesReader *r, const char **attrs, const char *name)
{
    const char *s = sumo_attr(attrs, name);
    if (!s)
        return -1;
    int32_t e = city_road_net_find_edge(city_road_net(r->road), s);
    if (e < 0 || city_road_net(r->road)->edges[e].internal) {
        sumo_fail(&r->p, CITY_ERR_PARSE, "%s=\"%s\" is not an edge of the network; fix the edge id", name, s);
        return -1;
    }
    return e;
}

/* A world error from the road layer, placed at the current line. */
static void fail_world(RoutesReader *r)
{
    sumo_fail(&r->p, CITY_ERR_PARSE, "%s", city_world_error(city_road_world(r->road)));
}

static void read_vtype(RoutesReader *r, const char **attrs)
{
    SumoParse *p = &r->p;
    const char *id = sumo_attr(attrs, "id");
    const char *cls = sumo_attr(attrs, "vClass");
    uint32_t bit = cls ? city_vclass_from_name(cls) : CITY_VC_PASSENGER;
    if (!id || !bit) {
        sumo_fail(p, CITY_ERR_PARSE, "<vType> needs an id and a known vClass (passenger, bus, truck, ...)");
        return;
    }
    CityVTypeDef d;
    city_vtype_defaults(&d, bit);
    d.id = id;
    d.length_m = sumo_num(p, attrs, "length", d.length_m);
    d.min_gap_m = sumo_num(p, attrs, "minGap", d.min_gap_m);
    d.max_speed_mps = sumo_num(p, attrs, "maxSpeed", d.max_speed_mps);
    d.accel_mps2 = sumo_num(p, attrs, "accel", d.accel_mps2);
    d.decel_mps2 = sumo_num(p, attrs, "decel", d.decel_mps2);
    d.emergency_decel_mps2 = sumo_num(p, attrs, "emergencyDecel", d.emergency_decel_mps2);
    d.tau_s = sumo_num(p, attrs, "tau", d.tau_s);
    d.delta = sumo_num(p, attrs, "delta", d.delta);
    const char *cfm = sumo_attr(attrs, "carFollowModel");
    if (cfm && strcmp(cfm, "IDM") != 0) {
        sumo_fail(p, CITY_ERR_PARSE,
                  "<vType id=\"%s\"> carFollowModel=\"%s\" is not supported: citylab's vehicles follow the IDM; "
                  "remove the attribute or write carFollowModel=\"IDM\"",
                  id, cfm);
        return;
    }
    /* the deceleration a follower assumes of it: SUMO's default is decel */
    if (sumo_attr(attrs, "apparentDecel") && sumo_num(p, attrs, "apparentDecel", 0.0) != d.decel_mps2) {
        sumo_fail(p, CITY_ERR_PARSE,
                  "<vType id=\"%s\"> apparentDecel=\"%s\" is not supported: citylab's followers assume a vehicle's "
                  "decel (SUMO's default); remove it",
                  id, sumo_attr(attrs, "apparentDecel"));
        return;
    }
    /* sigma is the dawdling of SUMO's Krauss drivers (its default model);
     * SUMO's IDM reads no sigma, so with carFollowModel="IDM" it changes
     * nothing there either */
    if (sumo_num(p, attrs, "sigma", 0.0) != 0.0 && !cfm) {
        sumo_fail(p, CITY_ERR_PARSE,
                  "<vType id=\"%s\"> sigma=\"%s\" is not supported: citylab's drivers do not dawdle at random; "
                  "remove it, write sigma=\"0\", or carFollowModel=\"IDM\" (SUMO's IDM reads no sigma)",
                  id, sumo_attr(attrs, "sigma"));
        return;
    }
    const char *sf = sumo_attr(attrs, "speedFactor");
    if (sf && strncmp(sf, "norm", 4) == 0) {
        /* normc(mean, dev[, min, max]) */
        const char *open = strchr(sf, '(');
        double mean, dev;
        if (!open || sscanf(open + 1, "%lf , %lf", &mean, &dev) != 2) {
            sumo_fail(p, CITY_ERR_PARSE, "speedFactor=\"%s\": write a number or normc(mean,dev,min,max)", sf);
            return;
        }
        d.speed_factor = mean;
        d.speed_dev = dev;
    } else {
        d.speed_factor = sumo_num(p, attrs, "speedFactor", d.speed_factor);
        d.speed_dev = sumo_num(p, attrs, "speedDev", d.speed_dev);
    }
    const char *bat = sumo_attr(attrs, "emissionClass");
    d.ev = bat && strstr(bat, "Energy") != NULL;
    if (p->status != CITY_OK)
        return;
    if (city_road_add_vtype(r->road, &d) < 0) {
        fail_world(r);
        return;
    }
    if (r->in_vtype_dist && r->vtype_dist_count++ == 0)
        r->vtype_dist_first = d; /* its id is the element's: set again when the distribution is named */
}

static bool read_depart(RoutesReader *r, const char **attrs)
{
    SumoParse *p = &r->p;
    CityDepartDef *d = &r->depart;
    d->lane = CITY_DEPART_LANE_FIRST; /* SUMO's default departLane */
    d->pos_m = -1.0;
    d->speed_mps = 0.0;
    d->speed_factor = 0.0; /* drawn from the type */
    if (sumo_attr(attrs, "speedFactor")) {
        d->speed_factor = sumo_num(p, attrs, "speedFactor", 0.0);
        if (p->status != CITY_OK)
            return false;
        if (!(d->speed_factor > 0 && d->speed_factor <= 10)) {
            sumo_fail(p, CITY_ERR_PARSE, "speedFactor=\"%s\": write a multiplier of the speed limit from above 0 to 10",
                      sumo_attr(attrs, "speedFactor"));
            return false;
        }
    }
    const char *lane = sumo_attr(attrs, "departLane");
    if (lane) {
        if (strcmp(lane, "best") == 0)
            d->lane = CITY_DEPART_LANE_BEST;
        else if (strcmp(lane, "free") == 0 || strcmp(lane, "allowed") == 0)
            d->lane = CITY_DEPART_LANE_FREE;
        else if (strcmp(lane, "random") == 0)
            d->lane = CITY_DEPART_LANE_RANDOM;
        else if (strcmp(lane, "first") == 0)
            d->lane = CITY_DEPART_LANE_FIRST;
        else {
            double k = sumo_num(p, attrs, "departLane", 0);
            if (!(k >= 0 && k < 64 && k == floor(k))) {
                sumo_fail(p, CITY_ERR_PARSE,
                          "departLane=\"%s\" is not supported; write a lane index (0 = rightmost), \"best\", "
                          "\"free\", \"allowed\", \"random\" or \"first\"",
                          lane);
                return false;
            }
            d->lane = (int32_t)k;
        }
    }
    const char *pos = sumo_attr(attrs, "departPos");
    if (pos && strcmp(pos, "base") != 0) {
        if (!strcmp(pos, "free") || !strcmp(pos, "random") || !strcmp(pos, "last") || !strcmp(pos, "random_free") ||
            !strcmp(pos, "stop")) {
            sumo_fail(p, CITY_ERR_PARSE,
                      "departPos=\"%s\" is not supported; write a position in metres or \"base\" (the edge's start)",
                      pos);
            return false;
        }
        d->pos_m = sumo_num(p, attrs, "departPos", -1.0);
    }
    const char *sp = sumo_attr(attrs, "departSpeed");
    if (sp) {
        if (strcmp(sp, "max") == 0 || strcmp(sp, "speedLimit") == 0)
            d->speed_mps = CITY_DEPART_SPEED_MAX;
        else if (strcmp(sp, "desired") == 0)
            d->speed_mps = CITY_DEPART_SPEED_DESIRED;
        else if (!strcmp(sp, "random") || !strcmp(sp, "avg") || !strcmp(sp, "last")) {
            sumo_fail(p, CITY_ERR_PARSE,
                      "departSpeed=\"%s\" is not supported; write a speed in m/s, \"max\", \"speedLimit\" or "
                      "\"desired\"",
                      sp);
            return false;
        } else
            d->speed_mps = sumo_num(p, attrs, "departSpeed", 0.0);
        if (d->speed_mps < 0 && d->speed_mps != CITY_DEPART_SPEED_MAX && d->speed_mps != CITY_DEPART_SPEED_DESIRED) {
            sumo_fail(p, CITY_ERR_PARSE, "departSpeed=\"%s\" must be >= 0 m/s", sp);
            return false;
        }
    }
    return p->status == CITY_OK;
}

static int32_t type_attr(RoutesReader *r, const char **attrs)
{
    const char *t = sumo_attr(attrs, "type");
    if (!t || strcmp(t, "DEFAULT_VEHTYPE") == 0)
        return -1;
    int32_t k = city_road_find_vtype(r->road, t);
    if (k < 0)
        sumo_fail(&r->p, CITY_ERR_PARSE, "unknown vehicle type '%s'; define its <vType> before it is used", t);
    return k;
}

static int32_t route_attr(RoutesReader *r, const char **attrs)
{
    const char *id = sumo_attr(attrs, "route");
    if (!id)
        return -1;
    int32_t k = city_road_find_route(r->road, id);
    if (k < 0)
        sumo_fail(&r->p, CITY_ERR_PARSE, "unknown route '%s'; define the <route> before the vehicles that use it", id);
    return k;
}

/* Rates, periods and times of a flow: finite, in range, and at most
 * SUMO_FLOW_MAX_VEHICLES departures between begin and end. */
static void check_flow_size(RoutesReader *r, const char *id)
{
    SumoParse *p = &r->p;
    double span = r->end_s - r->begin_s;
    if (!(r->begin_s >= 0 && r->end_s <= SUMO_FLOW_MAX_TIME_S && span >= 0)) {
        sumo_fail(p, CITY_ERR_PARSE, "flow '%s': begin=%.17g end=%.17g; use 0 <= begin <= end <= %.0f seconds", id,
                  r->begin_s, r->end_s, SUMO_FLOW_MAX_TIME_S);
        return;
    }
    if (!(r->prob >= 0 && r->prob <= 1)) {
        sumo_fail(p, CITY_ERR_PARSE, "flow '%s': probability=%.17g; use a chance per second from 0 to 1", id, r->prob);
        return;
    }
    double n = 0;
    const char *what = "number";
    if (r->rate > 0) {
        n = r->rate / 3600.0 * span;
        what = "vehsPerHour";
    } else if (r->period > 0) {
        n = span / r->period;
        what = "period";
    } else if (r->prob > 0) {
        n = r->prob * span;
        what = "probability";
    }
    if (!(n <= SUMO_FLOW_MAX_VEHICLES))
        sumo_fail(p, CITY_ERR_PARSE,
                  "flow '%s': %s asks for %.3g vehicles between begin and end; the maximum is %d per flow "
                  "(lower the rate or split the flow)",
                  id, what, n, SUMO_FLOW_MAX_VEHICLES);
}

static void begin_item(RoutesReader *r, ItemKind kind, const char **attrs)
{
    SumoParse *p = &r->p;
    const char *id = sumo_attr(attrs, "id");
    if (!id) {
        sumo_fail(p, CITY_ERR_PARSE, "vehicle, trip and flow elements need an id");
        return;
    }
    r->kind = kind;
    r->item_line = XML_GetCurrentLineNumber(p->parser);
    snprintf(r->id, sizeof r->id, "%s", id);
    r->vtype = type_attr(r, attrs);
    r->route = route_attr(r, attrs);
    r->from = one_edge(r, attrs, "from");
    r->to = one_edge(r, attrs, "to");
    r->n_via = 0;
    const char *via = sumo_attr(attrs, "via");
    if (via)
        edge_list(r, via, &r->via, &r->n_via, &r->cap_via);
    read_depart(r, attrs);
    const char *dep = sumo_attr(attrs, "depart");
    if (dep && (strcmp(dep, "triggered") == 0 || strcmp(dep, "containerTriggered") == 0)) {
        sumo_fail(p, CITY_ERR_PARSE, "depart=\"%s\" is not supported; give a departure time in seconds", dep);
        return;
    }
    r->depart_s = sumo_num(p, attrs, "depart", 0.0);
    if (kind == ITEM_FLOW) {
        r->begin_s = sumo_num(p, attrs, "begin", 0.0);
        r->end_s = sumo_num(p, attrs, "end", 86400.0);
        r->rate = sumo_num(p, attrs, "vehsPerHour", 0.0);
        r->prob = sumo_num(p, attrs, "probability", 0.0);
        double number = sumo_num(p, attrs, "number", 0.0);
        if (!(number >= 0 && number <= SUMO_FLOW_MAX_VEHICLES)) {
            sumo_fail(p, CITY_ERR_PARSE,
                      "flow '%s': number=\"%.17g\" is out of range; use 0 to %d vehicles per flow "
                      "(split a larger demand into several flows)",
                      id, number, SUMO_FLOW_MAX_VEHICLES);
            return;
        }
        r->number = (int64_t)number;
        r->spacing = CITY_FLOW_UNIFORM;
        r->period = 0.0;
        const char *per = sumo_attr(attrs, "period");
        if (per && strncmp(per, "exp(", 4) == 0) {
            double rate = strtod(per + 4, NULL);
            if (!(rate > 0)) {
                sumo_fail(p, CITY_ERR_PARSE, "period=\"%s\": write exp(RATE) with a rate > 0 per second", per);
                return;
            }
            r->rate = rate * 3600.0;
            r->spacing = CITY_FLOW_POISSON;
        } else if (per) {
            r->period = sumo_num(p, attrs, "period", 0.0);
        }
        if (r->rate <= 0 && r->period <= 0 && r->prob <= 0 && r->number <= 0)
            sumo_fail(p, CITY_ERR_PARSE, "flow '%s' needs vehsPerHour, period, probability or number", id);
        else
            check_flow_size(r, id);
    }
}

static void end_item(RoutesReader *r)
{
    if (r->p.status != CITY_OK || r->kind == ITEM_NONE)
        return;
    ItemKind kind = r->kind;
    r->kind = ITEM_NONE;
    if (r->route < 0 && (r->from < 0 || r->to < 0)) {
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "'%s' (line %lu) has no route: give route=, a nested <route edges=...> or from= and to=", r->id,
                  r->item_line);
        return;
    }
    CityStatus st;
    if (kind == ITEM_FLOW) {
        CityFlowDef f = {.id = r->id,
                         .vtype = r->vtype,
                         .begin_s = r->begin_s,
                         .end_s = r->end_s,
                         .veh_per_hour = r->rate,
                         .period_s = r->period,
                         .probability = r->prob,
                         .number = r->number,
                         .spacing = r->spacing,
                         .route = r->route,
                         .from_edge = r->from,
                         .to_edge = r->to,
                         .via = r->via,
                         .n_via = r->n_via,
                         .depart = r->depart};
        st = city_road_add_flow(r->road, &f);
    } else {
        CityTripDef t = {.id = r->id,
                         .vtype = r->vtype,
                         .depart_s = r->depart_s,
                         .route = r->route,
                         .from_edge = r->from,
                         .to_edge = r->to,
                         .via = r->via,
                         .n_via = r->n_via,
                         .depart = r->depart};
        st = city_road_add_trip(r->road, &t);
    }
    if (st != CITY_OK)
        fail_world(r);
}

static void on_start(void *user, const char *el, const char **attrs)
{
    RoutesReader *r = user;
    if (r->p.status != CITY_OK || !sumo_routes_check_attrs(&r->p, el, attrs))
        return;
    if (strcmp(el, "vType") == 0) {
        read_vtype(r, attrs);
    } else if (strcmp(el, "param") == 0) {
        sumo_routes_check_param(&r->p, attrs);
    } else if (strcmp(el, "vTypeDistribution") == 0) {
        r->in_vtype_dist = true;
        r->vtype_dist_count = 0;
        r->vtype_dist_line = XML_GetCurrentLineNumber(r->p.parser);
        snprintf(r->vtype_dist_id, sizeof r->vtype_dist_id, "%s", sumo_attr(attrs, "id") ? sumo_attr(attrs, "id") : "");
    } else if (strcmp(el, "route") == 0) {
        const char *edges = sumo_attr(attrs, "edges");
        if (!edges) {
            sumo_fail(&r->p, CITY_ERR_PARSE, "<route> needs edges=\"...\"");
            return;
        }
        if (!edge_list(r, edges, &r->edges, &r->n_edges, &r->cap_edges))
            return;
        const char *id = sumo_attr(attrs, "id");
        if (r->kind != ITEM_NONE) {
            /* nested in a vehicle or flow: an anonymous route (in a vehicle's
             * own distribution, as duarouter's .alt files have, the one its
             * `last` attribute names) */
            if (!r->in_distribution || r->dist_count++ == r->dist_last) {
                r->route = city_road_add_route(r->road, NULL, r->edges, r->n_edges);
                if (r->route < 0)
                    fail_world(r);
            }
        } else if (r->in_distribution) {
            int32_t k = city_road_add_route(r->road, id, r->edges, r->n_edges);
            if (k < 0)
                fail_world(r);
            else if (r->dist_route < 0)
                r->dist_route = k;
            r->dist_count++;
        } else {
            if (!id) {
                sumo_fail(&r->p, CITY_ERR_PARSE, "a top-level <route> needs an id");
                return;
            }
            if (city_road_add_route(r->road, id, r->edges, r->n_edges) < 0)
                fail_world(r);
        }
    } else if (strcmp(el, "routeDistribution") == 0) {
        r->in_distribution = true;
        r->dist_route = -1;
        r->dist_count = 0;
        r->dist_last = (int32_t)sumo_num(&r->p, attrs, "last", 0.0);
        r->dist_line = XML_GetCurrentLineNumber(r->p.parser);
        snprintf(r->dist_id, sizeof r->dist_id, "%s", sumo_attr(attrs, "id") ? sumo_attr(attrs, "id") : "");
    } else if (strcmp(el, "stop") == 0) {
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "<stop> is not supported: citylab's vehicles do not stop on their way; remove the stops "
                  "(or the vehicles that need them)");
    } else if (strncmp(el, "carFollowing-", 13) == 0 && strcmp(el, "carFollowing-IDM") != 0) {
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "<%s> is not supported: citylab's vehicles follow the IDM; remove it or use <carFollowing-IDM>", el);
    } else if (strcmp(el, "carFollowing-IDM") == 0 && attrs[0]) {
        /* its parameters would set the enclosing vType's driver; read
         * nowhere, they were dropped without a word */
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "<carFollowing-IDM %s=\"%s\"> is not supported: its parameters are not read; write them on the "
                  "<vType> itself (<vType ... carFollowModel=\"IDM\" %s=\"%s\">) and remove this element",
                  attrs[0], attrs[1], attrs[0], attrs[1]);
    } else if (strcmp(el, "vehicle") == 0) {
        begin_item(r, ITEM_VEHICLE, attrs);
    } else if (strcmp(el, "trip") == 0) {
        begin_item(r, ITEM_TRIP, attrs);
    } else if (strcmp(el, "flow") == 0) {
        begin_item(r, ITEM_FLOW, attrs);
    } else if (strcmp(el, "person") == 0 || strcmp(el, "personFlow") == 0) {
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "<%s> is not read with the vehicles: move the persons to a file of their own and give it to "
                  "city.ped.load_sumo{ net = ..., routes = ... }",
                  el);
    } else if (strcmp(el, "container") == 0 || strcmp(el, "containerFlow") == 0) {
        sumo_fail(&r->p, CITY_ERR_PARSE, "<%s> is not supported: citylab models no containers; remove it", el);
    } else if (strcmp(el, "interval") == 0) {
        /* its begin and end would bound the flows inside it */
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "<interval> is not supported: write begin=\"...\" and end=\"...\" on each flow inside it and remove "
                  "the element");
    } else if (strcmp(el, "routes") != 0 && strcmp(el, "additional") != 0 && strcmp(el, "carFollowing-IDM") != 0) {
        sumo_fail(&r->p, CITY_ERR_PARSE,
                  "<%s> is not an element of SUMO route files that citylab reads (vType, route, vehicle, trip, "
                  "flow, routeDistribution, vTypeDistribution); remove it",
                  el);
    }
}

/* A distribution of n > 1 things (routes, types), from which vehicles would
 * draw at random, refused at its line. */
static void refuse_draw(RoutesReader *r, unsigned long line, const char *el, const char *id, int32_t n,
                        const char *thing)
{
    sumo_fail_at(&r->p, line, CITY_ERR_PARSE,
                 "<%s id=\"%s\"> has %d %ss; citylab does not draw %ss at random: give each vehicle its %s (or "
                 "keep one %s in the distribution)",
                 el, id, (int)n, thing, thing, thing, thing);
}

static void on_end(void *user, const char *el)
{
    RoutesReader *r = user;
    if (strcmp(el, "vehicle") == 0 || strcmp(el, "trip") == 0 || strcmp(el, "flow") == 0) {
        end_item(r);
    } else if (strcmp(el, "vTypeDistribution") == 0) {
        r->in_vtype_dist = false;
        if (r->p.status != CITY_OK)
            return;
        /* a distribution of one type is that type; of several, vehicles
         * would draw among them */
        if (r->vtype_dist_count > 1) {
            refuse_draw(r, r->vtype_dist_line, "vTypeDistribution", r->vtype_dist_id, r->vtype_dist_count, "type");
        } else if (r->vtype_dist_count == 1 && r->vtype_dist_id[0] &&
                   city_road_find_vtype(r->road, r->vtype_dist_id) < 0) {
            r->vtype_dist_first.id = r->vtype_dist_id;
            if (city_road_add_vtype(r->road, &r->vtype_dist_first) < 0)
                fail_world(r);
        }
    } else if (strcmp(el, "routeDistribution") == 0) {
        r->in_distribution = false;
        if (r->p.status != CITY_OK || r->kind != ITEM_NONE)
            return;
        /* a named distribution of one route is that route; of several,
         * vehicles would draw among them, which citylab does not do */
        if (r->dist_count > 1) {
            refuse_draw(r, r->dist_line, "routeDistribution", r->dist_id, r->dist_count, "route");
        } else if (r->dist_count == 1 && r->dist_id[0] && city_road_find_route(r->road, r->dist_id) < 0 &&
                   city_road_add_route(r->road, r->dist_id, r->edges, r->n_edges) < 0) {
            fail_world(r);
        }
    }
}

CityStatus city_sumo_load_routes(CityRoad *road, const char *path)
{
    CityError err;
    RoutesReader r;
    memset(&r, 0, sizeof r);
    sumo_parse_init(&r.p, path, "route file", &err);
    r.road = road;
    r.kind = ITEM_NONE;
    CityStatus st = sumo_parse_file(&r.p, on_start, on_end, &r);
    free(r.via);
    free(r.edges);
    if (st != CITY_OK)
        city_world_fail(city_road_world(road), st, "%s", err.msg);
    return st;
}
