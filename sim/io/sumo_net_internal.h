/* Private to the SUMO network reader: the elements of a .net.xml file as
 * read (sumo_net_read.c), before the network is built from them
 * (sumo_net.c). Indices refer to the reader's own arrays; every entry keeps
 * its line for messages. */
#ifndef SUMO_NET_INTERNAL_H
#define SUMO_NET_INTERNAL_H

#include <stdint.h>

#include "city_array.h"
#include "city_road_net.h"
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
} TEdge; /* kind 0 normal, 1 internal, 2 skipped (crossings, walking areas) */
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
    CityStrArena text; /* every string below */
    VEC(TLane) lanes;
    VEC(TEdge) edges;
    VEC(TJunction) junctions;
    VEC(TRequest) requests;
    VEC(TTls) tls;
    VEC(TPhase) phases;
    VEC(TConn) conns;
    int32_t cur_edge, cur_junction, cur_tls;
} NetReader;

/* Reads every element of the file into r (zeroed by the call); on error
 * returns its status with "FILE:LINE: what; how to fix" in err. Free r with
 * sumo_net_reader_free whatever the result. */
CityStatus sumo_net_read(NetReader *r, const char *path, CityError *err);
void sumo_net_reader_free(NetReader *r);

#endif
