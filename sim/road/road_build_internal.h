/* The builder's state, shared by road_build.c (nodes, edges, generators)
 * and road_build_net.c (turning it into a network). Internal to sim/road. */
#ifndef ROAD_BUILD_INTERNAL_H
#define ROAD_BUILD_INTERNAL_H

#include "city_strmap.h"
#include "city_road_build.h"

typedef struct BNode {
    char id[64];
    double x, y;
    CityJunctionType type;
    double *durations; /* signal program override (n_phases), or NULL */
    char **states;
    int32_t n_phases;
} BNode;

typedef struct BEdge {
    char id[64];
    int32_t from, to, lanes, priority;
    double speed, width; /* m/s, lane width m */
    uint32_t allow;      /* CityVClass bits */
    CityPoint *shape;    /* interior points */
    int32_t n_shape;
} BEdge;

struct CityRoadBuilder {
    BNode *nodes;
    int32_t n_nodes, cap_nodes;
    BEdge *edges;
    int32_t n_edges, cap_edges;
    CityStrMap node_ids, edge_ids; /* id -> index; the keys are the ids in the arrays (remade when those move) */
};

#endif
