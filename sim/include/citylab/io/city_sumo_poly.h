/* SUMO polygon files (.poly.xml, as written by polyconvert): building
 * footprints and land use. Each <poly> becomes id, type and shape in the
 * network's local metres (geo="1" shapes are projected with the network's
 * <location>: UTM zone and netOffset), with its area (shoelace) and
 * centroid. Parsed with expat; errors name the file and line. */
#ifndef CITY_SUMO_POLY_H
#define CITY_SUMO_POLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_status.h"

/* A network's geo reference (the <location> element of a .net.xml). */
typedef struct CitySumoLocation {
    bool has_utm;        /* projParameter names a UTM zone */
    int utm_zone;        /* 1..60 */
    bool south;          /* +south */
    double off_x, off_y; /* netOffset: local = projected + offset */
} CitySumoLocation;

typedef struct CityPolygon {
    char *id;          /* as in the file */
    char *type;        /* e.g. "building" ("" when absent) */
    int32_t first;     /* first point in CityPolySet.xy (pairs) */
    int32_t n;         /* points (the closing point, if repeated, included) */
    double area_m2;    /* shoelace area, >= 0 */
    double cx_m, cy_m; /* area centroid (vertex mean for degenerate shapes) */
    int32_t line;      /* source line */
} CityPolygon;

typedef struct CityPolySet {
    CityPolygon *poly; /* in file order */
    int32_t n, cap;
    double *xy; /* x0, y0, x1, y1, ... */
    int32_t n_pts, cap_pts;
} CityPolySet;

/* Reads <location> from a network file; errors name the file (and line) in err. */
CityStatus city_sumo_location_read(const char *net_path, CitySumoLocation *loc, CityError *err);
/* Projects lon/lat (degrees) to local metres with a location. */
void city_sumo_geo_to_local(const CitySumoLocation *loc, double lon, double lat, double *x, double *y);
/* Reads polygons whose type is in `types` (a comma-separated list; NULL or
 * "" for all). `loc` may be NULL when no shape is geo. Free with
 * city_poly_set_free. */
CityStatus city_sumo_poly_read(const char *path, const CitySumoLocation *loc, const char *types, CityPolySet *out,
                               CityError *err);
void city_poly_set_free(CityPolySet *set);

#endif
