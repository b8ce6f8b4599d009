/* Static map geometry for pictures: named layers of polygons (building
 * footprints, land use) that no model simulates but people want to see.
 * Kept by a "map" subsystem of the world (event-driven: it never steps),
 * so the viewer finds it and the state hash covers it. */
#ifndef CITY_MAP_H
#define CITY_MAP_H

#include <stdint.h>

#include "city_world.h"

typedef struct CityMapLayer {
    char *name; /* e.g. "buildings" */
    double *xy; /* x0, y0, x1, y1, ... in the network's local metres */
    int32_t n_pts, cap_pts;
    int32_t *first; /* first point of each polygon */
    int32_t *count; /* its number of points */
    int32_t n_polys, cap_polys;
    double min_x, min_y, max_x, max_y; /* bounding box */
} CityMapLayer;

/* Adds a polygon of n points (xy pairs) to a layer, creating the map
 * subsystem and the layer on first use. */
CityStatus city_map_add_polygon(CityWorld *world, const char *layer, const double *xy, int32_t n);
/* The layer, or NULL when the world has none by that name. */
const CityMapLayer *city_map_layer(const CityWorld *world, const char *layer);

#endif
