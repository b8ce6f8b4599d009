/* Which attributes of a SUMO route file citylab accepts (SUMO 1.15's
 * routeTypes.xsd is the list they are taken from). An attribute is
 * accepted when citylab reads it, or when it changes nothing SUMO or
 * citylab computes in a run of the file (a colour, a shape to draw, a
 * parameter of a car-following model the vType does not use), or when its
 * value is SUMO's default (laneChangeModel="LC2013"). Every other attribute
 * is refused with its element, file and line: one that SUMO reads and
 * citylab does not would make a run unlike SUMO's without a word. The
 * reader itself checks the values of those it reads. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sumo_routes_internal.h"

typedef struct AttrRule {
    const char *name;
    /* NULL: any value; otherwise the values accepted, separated by '|'
     * (numbers compare as numbers); "" for none */
    const char *values;
    const char *why; /* the refusal's reason and way out; NULL: the default one */
} AttrRule;

/* What the reader reads of a vType, and what changes nothing here. */
static const AttrRule vtype_rules[] = {
    /* read */
    {"id", NULL, NULL},
    {"vClass", NULL, NULL},
    {"length", NULL, NULL},
    {"minGap", NULL, NULL},
    {"maxSpeed", NULL, NULL},
    {"accel", NULL, NULL},
    {"decel", NULL, NULL},
    {"emergencyDecel", NULL, NULL},
    {"tau", NULL, NULL},
    {"delta", NULL, NULL},
    {"speedFactor", NULL, NULL},
    {"speedDev", NULL, NULL},
    {"emissionClass", NULL, NULL},
    {"carFollowModel", NULL, NULL}, /* the reader accepts the IDM alone */
    {"sigma", NULL, NULL},          /* and no dawdling but with the IDM (whose SUMO driver reads none) */
    /* drawing, persons and containers (refused elements), lateral
     * positions (SUMO's sublane model, off unless --lateral-resolution),
     * a vTypeDistribution's draw (refused with several types), rail */
    {"color", NULL, NULL},
    {"guiShape", NULL, NULL},
    {"width", NULL, NULL},
    {"height", NULL, NULL},
    {"imgFile", NULL, NULL},
    {"osgFile", NULL, NULL},
    {"personCapacity", NULL, NULL},
    {"containerCapacity", NULL, NULL},
    {"boardingDuration", NULL, NULL},
    {"loadingDuration", NULL, NULL},
    {"maneuverAngleTimes", NULL, NULL},
    {"latAlignment", NULL, NULL},
    {"minGapLat", NULL, NULL},
    {"maxSpeedLat", NULL, NULL},
    {"probability", NULL, NULL},
    {"trainType", NULL, NULL},
    /* parameters of car-following models other than the IDM, which SUMO
     * reads only for a vType that follows them (refused) */
    {"sigmaStep", NULL, NULL},
    {"adaptTime", NULL, NULL},
    {"adaptFactor", NULL, NULL},
    {"tauLast", NULL, NULL},
    {"apProb", NULL, NULL},
    {"k", NULL, NULL},
    {"phi", NULL, NULL},
    {"security", NULL, NULL},
    {"estimation", NULL, NULL},
    {"speedControlGain", NULL, NULL},
    {"speedControlMinGap", NULL, NULL},
    {"gapClosingControlGainSpeed", NULL, NULL},
    {"gapClosingControlGainSpace", NULL, NULL},
    {"gapControlGainSpeed", NULL, NULL},
    {"gapControlGainSpace", NULL, NULL},
    {"collisionAvoidanceGainSpeed", NULL, NULL},
    {"collisionAvoidanceGainSpace", NULL, NULL},
    {"collisionAvoidanceOverride", NULL, NULL},
    {"tauCACCToACC", NULL, NULL},
    {"applyDriverState", NULL, NULL},
    {"ccDecel", NULL, NULL},
    {"ccAccel", NULL, NULL},
    {"constSpacing", NULL, NULL},
    {"kp", NULL, NULL},
    {"lambda", NULL, NULL},
    {"omegaN", NULL, NULL},
    {"tauEngine", NULL, NULL},
    {"xi", NULL, NULL},
    {"lanesCount", NULL, NULL},
    {"ploegKp", NULL, NULL},
    {"ploegKd", NULL, NULL},
    {"ploegH", NULL, NULL},
    {"flatbedKa", NULL, NULL},
    /* SUMO's defaults, and nothing else */
    {"laneChangeModel", "LC2013|default",
     "citylab's vehicles change lanes with MOBIL, validated against SUMO's default LC2013; remove it"},
    {"stepping", "0.25",
     "citylab's IDM takes one update a step and is validated against SUMO's IDM with its default stepping "
     "(0.25 s); remove it"},
    {"impatience", "0", "citylab's drivers have SUMO's default impatience (0); remove it"},
    {"hasDriverState", "false|0", "citylab models no driver state (errors of perception); remove it"},
    {"scale", "1", "citylab does not scale a type's demand; give the vehicles themselves"},
    {"apparentDecel", NULL, NULL}, /* the reader accepts it equal to decel (SUMO's default) */
    {"lc*", "", "citylab's vehicles change lanes with MOBIL and read none of SUMO's lane-change parameters; remove it"},
    {"jm*", "",
     "citylab's junction model reads none of SUMO's jm parameters (it drives as SUMO's defaults); remove it"},
    {"actionStepLength", "", "citylab's drivers decide every step, as SUMO's do by default; remove it"},
    {"desiredMaxSpeed", "",
     "citylab's desired speed is the lane's limit times the speed factor, capped by "
     "maxSpeed; remove it"},
    {NULL, NULL, NULL}};

static const AttrRule item_rules[] = {
    /* read (begin .. number: of flows) */
    {"id", NULL, NULL},
    {"type", NULL, NULL},
    {"route", NULL, NULL},
    {"depart", NULL, NULL},
    {"departLane", NULL, NULL},
    {"departPos", NULL, NULL},
    {"departSpeed", NULL, NULL},
    {"from", NULL, NULL},
    {"to", NULL, NULL},
    {"via", NULL, NULL},
    {"begin", NULL, NULL},
    {"end", NULL, NULL},
    {"period", NULL, NULL},
    {"vehsPerHour", NULL, NULL},
    {"probability", NULL, NULL},
    {"number", NULL, NULL},
    {"speedFactor", NULL, NULL}, /* the vehicle's own, instead of one drawn from its type */
    /* drawing, persons (refused), lateral positions (SUMO's sublane
     * model), what duarouter writes of a route found, districts (read by
     * SUMO only for trips with no edges, which citylab refuses) */
    {"color", NULL, NULL},
    {"line", NULL, NULL},
    {"personNumber", NULL, NULL},
    {"containerNumber", NULL, NULL},
    {"departPosLat", NULL, NULL},
    {"arrivalPosLat", NULL, NULL},
    {"routeLength", NULL, NULL},
    {"arrival", NULL, NULL},
    {"fromTaz", NULL, NULL},
    {"toTaz", NULL, NULL},
    /* SUMO's defaults, and nothing else */
    {"arrivalPos", "max", "citylab's trips end at the end of their last edge (SUMO's default, \"max\"); remove it"},
    {"arrivalLane", "current", "citylab's trips end on any lane (SUMO's default, \"current\"); remove it"},
    {"arrivalSpeed", "current", "citylab's trips end at the speed they come (SUMO's default, \"current\"); remove it"},
    {"departEdge", "0", "citylab's vehicles depart on their route's first edge; shorten the route instead"},
    {"arrivalEdge", "-1", "citylab's vehicles arrive on their route's last edge; shorten the route instead"},
    {"insertionChecks", "all", "citylab inserts a vehicle only where it is safe (SUMO's default, \"all\"); remove it"},
    {"reroute", "false|0",
     "citylab's vehicles keep their routes unless the run reroutes all of them (city.road options); remove it"},
    {"perHour", "", "write vehsPerHour=\"N\" (evenly spaced) or period=\"exp(RATE)\" (random arrivals)"},
    {"fromJunction", "", "give the trip's edges (from=\"EDGE\" to=\"EDGE\")"},
    {"toJunction", "", "give the trip's edges (from=\"EDGE\" to=\"EDGE\")"},
    {"viaJunctions", "", "give the edges it passes (via=\"EDGE ...\")"},
    {"fromXY", "", "give the trip's edges (from=\"EDGE\" to=\"EDGE\")"},
    {"toXY", "", "give the trip's edges (from=\"EDGE\" to=\"EDGE\")"},
    {"viaXY", "", "give the edges it passes (via=\"EDGE ...\")"},
    {"fromLonLat", "", "give the trip's edges (from=\"EDGE\" to=\"EDGE\")"},
    {"toLonLat", "", "give the trip's edges (from=\"EDGE\" to=\"EDGE\")"},
    {"viaLonLat", "", "give the edges it passes (via=\"EDGE ...\")"},
    {NULL, NULL, NULL}};

static const AttrRule route_rules[] = {
    {"id", NULL, NULL},
    {"edges", NULL, NULL},
    /* drawing, duarouter's and SUMO's records of a route (costs and
     * probabilities draw only among several routes, which is refused) */
    {"color", NULL, NULL},
    {"exitTimes", NULL, NULL},
    {"cost", NULL, NULL},
    {"savings", NULL, NULL},
    {"probability", NULL, NULL},
    {"routeLength", NULL, NULL},
    {"reason", NULL, NULL},
    {"replacedOnEdge", NULL, NULL},
    {"replacedOnIndex", NULL, NULL},
    {"replacedAtTime", NULL, NULL},
    {"cycleTime", NULL, NULL}, /* read by SUMO only with repeat and stops */
    {"repeat", "0", "citylab drives a route once; write its edges as often as it is driven"},
    {"refId", "", "copy the edges of the route it names (edges=\"...\")"},
    {NULL, NULL, NULL}};

static const AttrRule route_dist_rules[] = {
    {"id", NULL, NULL},
    {"last", NULL, NULL},
    {"routes", "", "citylab does not draw routes at random; give each vehicle its route"},
    {"probabilities", "", "citylab does not draw routes at random; give each vehicle its route"},
    {NULL, NULL, NULL}};

static const AttrRule vtype_dist_rules[] = {
    {"id", NULL, NULL},
    {"vTypes", "", "citylab does not draw vehicle types at random; give each vehicle its type"},
    {"deterministic", NULL, NULL}, /* how a draw is made: refused with several types */
    {NULL, NULL, NULL}};

static const struct {
    const char *element;
    const AttrRule *rules;
} element_rules[] = {
    {"vType", vtype_rules},
    {"vehicle", item_rules},
    {"trip", item_rules},
    {"flow", item_rules},
    {"route", route_rules},
    {"routeDistribution", route_dist_rules},
    {"vTypeDistribution", vtype_dist_rules},
};

/* A whole number or decimal, and nothing after it. */
static bool number(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && *end == '\0';
}

/* Whether name matches a rule's name ("lc*": any name after "lc"). */
static bool name_is(const char *rule, const char *name)
{
    size_t n = strlen(rule);
    return rule[n - 1] == '*' ? strncmp(rule, name, n - 1) == 0 : strcmp(rule, name) == 0;
}

/* Whether value is one of the '|'-separated alternatives. */
static bool value_in(const char *value, const char *alts)
{
    double v, a;
    bool v_num = number(value, &v);
    for (const char *s = alts; *s;) {
        const char *bar = strchr(s, '|');
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        char alt[32];
        if (n < sizeof alt) {
            memcpy(alt, s, n);
            alt[n] = '\0';
            if (strcmp(alt, value) == 0 || (v_num && number(alt, &a) && a == v))
                return true;
        }
        s += n + (bar != NULL);
    }
    return false;
}

bool sumo_routes_check_attrs(SumoParse *p, const char *element, const char **attrs)
{
    const AttrRule *rules = NULL;
    for (size_t i = 0; i < sizeof element_rules / sizeof element_rules[0]; i++)
        if (strcmp(element_rules[i].element, element) == 0)
            rules = element_rules[i].rules;
    if (!rules)
        return true;
    const char *id = sumo_attr(attrs, "id");
    for (size_t k = 0; attrs[k]; k += 2) {
        const AttrRule *r = rules;
        while (r->name && !name_is(r->name, attrs[k]))
            r++;
        if (r->name && (!r->values || value_in(attrs[k + 1], r->values)))
            continue;
        sumo_fail(p, CITY_ERR_PARSE, "<%s%s%s%s> %s=\"%s\" is not supported: %s", element, id ? " id=\"" : "",
                  id ? id : "", id ? "\"" : "", attrs[k], attrs[k + 1],
                  r->why ? r->why : "citylab does not read it; remove it");
        return false;
    }
    return true;
}

/* SUMO's devices that change how a vehicle drives or where it goes (the
 * others write outputs: tripinfo, emissions, battery, fcd, ssm, ...). */
static const char *const driving_devices[] = {"rerouting", "driverstate", "toc", "bluelight", "taxi", "glosa", NULL};

bool sumo_routes_check_param(SumoParse *p, const char **attrs)
{
    const char *key = sumo_attr(attrs, "key"), *value = sumo_attr(attrs, "value");
    if (!key)
        return true;
    /* has.NAME.device (true equips the vehicle with it) or device.NAME.* */
    const char *name = NULL;
    size_t n = 0;
    size_t len = strlen(key);
    if (strncmp(key, "has.", 4) == 0 && len > 11 && strcmp(key + len - 7, ".device") == 0) {
        if (value && value_in(value, "false|0|no|off"))
            return true; /* not equipped (any other value, "True" too, equips it in SUMO or is refused here) */
        name = key + 4;
        n = len - 11;
    } else if (strncmp(key, "device.", 7) == 0) {
        name = key + 7;
        const char *dot = strchr(name, '.');
        n = dot ? (size_t)(dot - name) : strlen(name);
    }
    for (size_t i = 0; name && driving_devices[i]; i++) {
        if (strlen(driving_devices[i]) == n && strncmp(driving_devices[i], name, n) == 0) {
            sumo_fail(p, CITY_ERR_PARSE,
                      "<param key=\"%s\"> is not supported: citylab's vehicles have no SUMO %s device (it changes "
                      "how they drive or where they go); remove it",
                      key, driving_devices[i]);
            return false;
        }
    }
    return true;
}
