/* Building road networks from a few nodes and edges (Lua helpers, tests):
 * the builder turns them into a full CityRoadNet the way netconvert does,
 * with lane geometry, turn connections and their internal lanes,
 * right-of-way requests and default traffic-light programs.
 *
 * Usage: create, add nodes and edges (or a grid/arterial), build once,
 * destroy. The returned net is finalized and owned by the caller. */
#ifndef CITY_ROAD_BUILD_H
#define CITY_ROAD_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "city_road_net.h"

typedef struct CityRoadBuilder CityRoadBuilder;

typedef struct CityEdgeSpec {
    const char *id;         /* copied */
    int32_t from, to;       /* node indices */
    int32_t lanes;          /* >= 1 */
    double speed_mps;       /* speed limit */
    int32_t priority;       /* higher wins at priority junctions */
    uint32_t allow;         /* CityVClass bits (0: all road vehicles) */
    double lane_width_m;    /* 0: 3.2 m */
    const CityPoint *shape; /* optional interior points between the nodes */
    int32_t n_shape;
} CityEdgeSpec;

typedef struct CityGridSpec {
    const char *prefix; /* node and edge id prefix ("" allowed) */
    int32_t nx, ny;     /* nodes per row and column (>= 2) */
    double spacing_m;   /* distance between neighbouring nodes */
    int32_t lanes;      /* lanes per direction */
    double speed_mps;
    CityJunctionType junction; /* inner junction type (PRIORITY, TRAFFIC_LIGHT, RIGHT_BEFORE_LEFT, ALLWAY_STOP) */
    double green_s, yellow_s;  /* default signal program timings (0: 31 s / 3 s, netconvert's) */
} CityGridSpec;

typedef struct CityArterialSpec {
    const char *prefix;                /* prefix of node and edge ids */
    int32_t n_cross;                   /* cross streets (signalised junctions) */
    double spacing_m;                  /* between cross streets */
    double cross_length_m;             /* length of each cross street arm */
    int32_t lanes, cross_lanes;        /* lanes per direction on the arterial and the cross streets */
    double speed_mps, cross_speed_mps; /* their speed limits */
    CityJunctionType junction;         /* type of the arterial/cross street junctions */
    double green_s, yellow_s;          /* default signal program timings (0: 31 s / 3 s, netconvert's) */
} CityArterialSpec;

/* An empty builder owned by the caller (NULL when out of memory). */
CityRoadBuilder *city_road_builder_create(void);
void city_road_builder_destroy(CityRoadBuilder *builder);

/* Returns the node/edge index, or -1 with the status and message in err
 * (duplicate id, bad node, lanes < 1 ...; err may be NULL). */
int32_t city_road_builder_node(CityRoadBuilder *builder, const char *id, double x, double y, CityJunctionType type,
                               CityError *err);
int32_t city_road_builder_edge(CityRoadBuilder *builder, const CityEdgeSpec *spec, CityError *err);
/* A two-way edge pair "<id>" (from->to) and "-<id>" (to->from). */
CityStatus city_road_builder_road(CityRoadBuilder *builder, const CityEdgeSpec *spec, CityError *err);
CityStatus city_road_builder_grid(CityRoadBuilder *builder, const CityGridSpec *spec, CityError *err);
CityStatus city_road_builder_arterial(CityRoadBuilder *builder, const CityArterialSpec *spec, CityError *err);
/* Overrides the generated program of a signalised node (before build):
 * phases as SUMO state strings over the node's links in request order. */
CityStatus city_road_builder_program(CityRoadBuilder *builder, int32_t node, const double *durations_s,
                                     const char *const *states, int32_t n_phases, CityError *err);

/* Generates the network: lanes offset from the edge centre line (right-hand
 * traffic), connections for every turn (right turns from the rightmost
 * lane, left turns from the leftmost, straight from all lanes, no U-turns
 * except at dead ends), internal lanes along the turning paths, foes from
 * crossing or merging paths, responses (lower priority yields; equal
 * priority yields to the right; left turns yield to oncoming traffic),
 * and for signalised nodes a program with one green phase per opposing
 * approach pair (left turns 'g'), each followed by yellow. NULL with the
 * status and message in err on error. The builder may be reused afterwards only to destroy it. */
CityRoadNet *city_road_builder_build(CityRoadBuilder *builder, CityError *err);

#endif
