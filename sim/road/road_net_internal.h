/* What road_net.c (elements, lookup, readers) and road_net_finalize.c
 * (derived tables and checks) share. Internal to sim/road. */
#ifndef ROAD_NET_INTERNAL_H
#define ROAD_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "city_road_net.h"
#include "city_strmap.h"

/* Which of CityRoadNet.caps holds an array's allocated length. */
enum { CAP_J, CAP_E, CAP_L, CAP_C, CAP_K, CAP_T, CAP_P, CAP_PT, CAP_VIA, CAP_SUCC, CAP_MASK, CAP_CHAR };

/* Makes *arr hold `need` elements of `size` bytes, its length kept in
 * net->caps[kind]; false when out of memory (*arr unchanged). */
bool road_net_grow(CityRoadNet *net, void **arr, int kind, size_t need, size_t size);

#endif
