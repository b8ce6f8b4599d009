/* The static road network: junctions, edges, lanes with polyline shapes,
 * lane-to-lane connections (links) through junctions with their internal
 * lanes, right-of-way requests and traffic-light programs.
 *
 * The network is built once (from Lua helpers or the SUMO importer) with
 * the city_road_net_add_* calls, then frozen by city_road_net_finalize.
 * After that it is read-only: the traffic model, the router and the viewer
 * read the arrays below through a const pointer. Elements are addressed by
 * their index (the network never changes shape during a run, so indices
 * are stable); string ids are for files and scripts.
 *
 * Coordinates are metres in a local planar frame (x east, y north), the
 * same frame as SUMO's netconvert output. */
#ifndef CITY_ROAD_NET_H
#define CITY_ROAD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_status.h"

/* Vehicle classes, as bits of a lane's permission mask. */
typedef enum CityVClass {
    CITY_VC_PASSENGER = 1u << 0,  /* private cars (SUMO passenger, private, hov, vip, evehicle, custom*) */
    CITY_VC_TAXI = 1u << 1,       /* taxi */
    CITY_VC_BUS = 1u << 2,        /* bus, coach */
    CITY_VC_TRUCK = 1u << 3,      /* truck, trailer, delivery */
    CITY_VC_EMERGENCY = 1u << 4,  /* emergency, authority, army */
    CITY_VC_MOTORCYCLE = 1u << 5, /* motorcycle, moped */
    CITY_VC_BICYCLE = 1u << 6,    /* bicycle */
    CITY_VC_PEDESTRIAN = 1u << 7, /* pedestrian */
    CITY_VC_RAIL = 1u << 8,       /* tram, rail_* */
    CITY_VC_SHIP = 1u << 9,       /* ship */
    CITY_VC_ALL = (1u << 10) - 1u
} CityVClass;

/* The class bit of one SUMO vClass name ("passenger", "coach", ...); 0 when unknown. */
uint32_t city_vclass_from_name(const char *name);
/* Our short name of one class bit ("passenger", "bus", ...). */
const char *city_vclass_name(uint32_t vclass_bit);

typedef enum CityJunctionType {
    CITY_JUNCTION_PRIORITY = 0,      /* major roads go first, minors yield */
    CITY_JUNCTION_TRAFFIC_LIGHT,     /* signalised (with priority rules for 'g' links) */
    CITY_JUNCTION_RIGHT_BEFORE_LEFT, /* equal roads: yield to the right */
    CITY_JUNCTION_ALLWAY_STOP,       /* every approach stops, first come first served */
    CITY_JUNCTION_PRIORITY_STOP,     /* minors stop, then yield */
    CITY_JUNCTION_ZIPPER,            /* merge alternately */
    CITY_JUNCTION_UNREGULATED,       /* nobody yields (SUMO "unregulated") */
    CITY_JUNCTION_DEAD_END,          /* no links */
    CITY_JUNCTION_INTERNAL,          /* a waiting point inside a junction (SUMO internal junction) */
    CITY_JUNCTION_TYPE_COUNT
} CityJunctionType;

/* Link states: the SUMO characters are kept as they are, so that a signal
 * state string and a static link state read the same way.
 *   'M' major (priority)          'm' minor (yield)          '=' equal (yield to right)
 *   's' stop then yield           'w' all-way stop           'Z' zipper
 *   'O' signal off, priority      'o' signal off, yield      '-' dead end
 * Signal states: 'G' green priority, 'g' green yield, 'r' red, 'y' yellow,
 *   'Y' yellow priority,  'u' red-yellow, 's' green right-turn arrow (stop, then yield). */

/* Whether a static link state is one whose internal lanes SUMO's routers
 * charge their minor-link penalty for (minor, equal, stop, all-way stop;
 * a light's links are not). */
static inline bool city_link_state_minor(char state)
{
    return state == 'm' || state == '=' || state == 's' || state == 'w';
}

typedef struct CityPoint {
    double x, y; /* metres */
} CityPoint;

typedef struct CityJunction {
    char *id;              /* file/script id */
    CityJunctionType type; /* right-of-way rule */
    CityPoint pos;         /* centre */
    int32_t shape_first;   /* outline: points[shape_first .. +shape_count) (may be empty) */
    int32_t shape_count;
    int32_t link_first; /* links of this junction in request order: */
    int32_t link_count; /*   net->links[link_first .. +link_count) */
    int32_t tls;        /* traffic light controlling it, or -1 */
} CityJunction;

typedef struct CityEdge {
    char *id;           /* SUMO edge id (owned by the net) */
    int32_t from, to;   /* junction indices (-1 for internal edges) */
    int32_t priority;   /* road priority (higher = more important) */
    bool internal;      /* an edge inside a junction */
    int32_t lane_first; /* lanes net->lanes[lane_first .. +lane_count), 0 = rightmost */
    int32_t lane_count; /* number of lanes */
    double length_m;    /* length of its lane 0 */
    double speed_mps;   /* highest lane speed limit */
    int32_t succ_first; /* distinct successor edges (routing graph, filled by finalize): */
    int32_t succ_count; /*   net->succ[succ_first .. +succ_count) */
    char *name;         /* street name (may be NULL) */
} CityEdge;

typedef struct CityLane {
    char *id;      /* SUMO lane id (owned by the net) */
    int32_t edge;  /* owner edge */
    int32_t index; /* position on the edge, 0 = rightmost */
    double length_m;
    double speed_mps; /* speed limit */
    double width_m;
    uint32_t allow;      /* CityVClass bits allowed */
    int32_t shape_first; /* centre line: points[shape_first .. +shape_count), >= 2 points */
    int32_t shape_count;
    int32_t out_first; /* outgoing connections net->conns[out_first .. +out_count) */
    int32_t out_count; /*   (filled by finalize, sorted by to-edge then to-lane) */
} CityLane;

typedef struct CityConnection {
    int32_t from_lane;  /* incoming normal lane */
    int32_t to_lane;    /* outgoing normal lane */
    int32_t via_first;  /* internal lanes crossed, in order: net->via[via_first .. +via_count) */
    int32_t via_count;  /*   (0 when the junction has no internal lanes) */
    int32_t junction;   /* the junction crossed */
    int32_t link;       /* global link index (net->links), or -1 for an unregulated pass-through */
    int32_t tls;        /* controlling traffic light or -1 */
    int32_t tls_link;   /* index into that light's state strings, or -1 */
    char dir;           /* 's' straight, 'l' left, 'r' right, 't' turn, 'L'/'R' partly */
    char state;         /* static link state (see above) */
    uint8_t minor_hops; /* internal lanes entered through a minor link ('m', '=', 's', 'w'): the first through
                           this connection's state, the others through the links of the junction's internal
                           waiting points (SUMO's routers add their minor-link penalty for each); set to 1 or
                           0 from state by city_road_net_add_connection, the SUMO reader counts them all */
} CityConnection;

/* One entry of a junction's request table (SUMO <request>): which of the
 * junction's links this one must yield to (response) and which it crosses
 * (foes). Bit k of a mask is junction link k (junction->link_first + k). */
typedef struct CityLink {
    int32_t conn; /* the connection that is this link */
    int32_t junction;
    int32_t mask_first; /* words net->masks[mask_first .. +words) for response, */
    int32_t mask_words; /*   then the same number of words for foes */
    bool cont;          /* may drive on to an internal waiting point */
} CityLink;

typedef enum CityTlsType {
    CITY_TLS_STATIC = 0,   /* fixed-time program */
    CITY_TLS_ACTUATED,     /* gap-based extension between min and max duration */
    CITY_TLS_MAX_PRESSURE, /* Varaiya's max-pressure phase choice */
    CITY_TLS_EXTERNAL      /* driven by a controller through the device API */
} CityTlsType;

typedef struct CityTlsPhase {
    double duration_s;   /* nominal duration */
    double min_s, max_s; /* actuated bounds (= duration for fixed phases) */
    int32_t state_first; /* state string: net->chars[state_first .. +tls link_count) */
} CityTlsPhase;

typedef struct CityTls {
    char *id;            /* SUMO traffic light id (owned by the net) */
    char *program_id;    /* SUMO program id */
    CityTlsType type;    /* static, actuated, ... */
    double offset_s;     /* cycle offset */
    int32_t link_count;  /* length of every state string */
    int32_t phase_first; /* phases net->phases[phase_first .. +phase_count) */
    int32_t phase_count; /* number of phases */
} CityTls;

/* The network: flat arrays indexed by int32_t, each with its count. Items
 * refer to each other by index, never by pointer. */
typedef struct CityRoadNet {
    CityJunction *junctions; /* in file order */
    int32_t n_junctions;
    CityEdge *edges; /* normal and internal edges */
    int32_t n_edges;
    CityLane *lanes; /* grouped by edge: edges[e].lane_first .. */
    int32_t n_lanes;
    CityConnection *conns; /* turn connections lane -> lane */
    int32_t n_conns;
    CityLink *links; /* junction links (one per connection through a junction) */
    int32_t n_links;
    CityTls *tls; /* traffic lights */
    int32_t n_tls;
    CityTlsPhase *phases; /* all lights' phases: tls[i].phase_first .. */
    int32_t n_phases;
    CityPoint *points; /* lane centre lines and junction outlines (m, world frame) */
    int32_t n_points;
    int32_t *via;
    int32_t n_via; /* internal lane lists of connections */
    int32_t *succ;
    int32_t n_succ;       /* successor edge lists */
    uint32_t *succ_allow; /* per succ entry: classes that can make that turn */
    uint64_t *masks;
    int32_t n_masks; /* request bit masks */
    char *chars;
    int32_t n_chars;                   /* signal state strings */
    double min_x, min_y, max_x, max_y; /* bounding box of every shape (finalize) */
    bool finalized;
    struct RoadNetIndex *index; /* id lookup tables (private) */
    size_t caps[12];            /* allocated lengths (private) */
} CityRoadNet;

/* ---- building ---------------------------------------------------------- */

/* An empty network; the caller owns it (city_road_net_destroy). */
CityRoadNet *city_road_net_create(void);
void city_road_net_destroy(CityRoadNet *net);

/* Each add returns the new element's index, or -1 with the status and
 * message in err (duplicate id, bad reference: CITY_ERR_INVALID; out of
 * memory: CITY_ERR_NOMEM; err may be NULL). The set_* calls return that
 * status. Ids are copied. Only before finalize. */
int32_t city_road_net_add_junction(CityRoadNet *net, const char *id, CityJunctionType type, double x, double y,
                                   const CityPoint *shape, int32_t n_shape, CityError *err);
int32_t city_road_net_add_edge(CityRoadNet *net, const char *id, int32_t from_junction, int32_t to_junction,
                               int32_t priority, bool internal, const char *name, CityError *err);
/* Adds the next lane (rightmost first) to an edge. length_m <= 0 means
 * "measure the shape". A shape needs at least 2 points. */
int32_t city_road_net_add_lane(CityRoadNet *net, int32_t edge, const char *id, double speed_mps, double length_m,
                               double width_m, uint32_t allow, const CityPoint *shape, int32_t n_shape, CityError *err);
/* A connection from a normal lane to a normal lane across `junction`
 * through the internal lanes via[0..n_via). tls/tls_link are -1 when no
 * signal controls it. The junction link index (request order) is assigned
 * by city_road_net_set_request or, when the junction has no requests, in
 * the order connections are added. */
int32_t city_road_net_add_connection(CityRoadNet *net, int32_t from_lane, int32_t to_lane, const int32_t *via,
                                     int32_t n_via, int32_t junction, int32_t tls, int32_t tls_link, char dir,
                                     char state, CityError *err);
/* Sets the request of the junction's link `index` (0-based, SUMO order):
 * the connection that is this link and SUMO's response/foes bit strings
 * (rightmost character = link 0). Lengths must equal the junction's link
 * count, declared with city_road_net_set_junction_links first. */
CityStatus city_road_net_set_junction_links(CityRoadNet *net, int32_t junction, int32_t n_links, CityError *err);
CityStatus city_road_net_set_request(CityRoadNet *net, int32_t junction, int32_t index, int32_t conn,
                                     const char *response, const char *foes, bool cont, CityError *err);
/* A traffic light and its phases (each state string has link_count chars). */
int32_t city_road_net_add_tls(CityRoadNet *net, const char *id, const char *program_id, CityTlsType type,
                              double offset_s, int32_t link_count, CityError *err);
int32_t city_road_net_add_phase(CityRoadNet *net, int32_t tls, double duration_s, double min_s, double max_s,
                                const char *state, CityError *err);
/* Binds a junction to the light that controls it. */
CityStatus city_road_net_set_junction_tls(CityRoadNet *net, int32_t junction, int32_t tls, CityError *err);

/* Checks references and builds derived tables (successors, lane outgoing
 * lists, default requests for junctions without any, bounding box). After
 * it the network is read-only. It sorts the connections by from-lane, then
 * to-lane: an index city_road_net_add_connection returned may name another
 * connection afterwards (find one by its lanes: lanes[from].out_first ..
 * +out_count); links keep their indices. */
CityStatus city_road_net_finalize(CityRoadNet *net, CityError *err);

/* ---- reading ----------------------------------------------------------- */

/* Index of the item with this SUMO id, or -1. */
int32_t city_road_net_find_junction(const CityRoadNet *net, const char *id);
int32_t city_road_net_find_edge(const CityRoadNet *net, const char *id);
int32_t city_road_net_find_lane(const CityRoadNet *net, const char *id);
int32_t city_road_net_find_tls(const CityRoadNet *net, const char *id);

/* Bits of a link's response (must yield to) and foes (crosses) masks. */
static inline const uint64_t *city_road_link_response(const CityRoadNet *net, int32_t link)
{
    return net->masks + net->links[link].mask_first;
}
static inline const uint64_t *city_road_link_foes(const CityRoadNet *net, int32_t link)
{
    return net->masks + net->links[link].mask_first + net->links[link].mask_words;
}
/* The state string of a phase. */
static inline const char *city_road_phase_state(const CityRoadNet *net, int32_t phase)
{
    return net->chars + net->phases[phase].state_first;
}

/* Point at distance s_m along a lane's centre line, and its heading (radians). */
void city_road_lane_point(const CityRoadNet *net, int32_t lane, double s_m, CityPoint *out, double *heading_rad);

/* Folds the whole network into a 64-bit hash (for the state hash). */
uint64_t city_road_net_hash(const CityRoadNet *net);

#endif
