/* Nearest-point queries over a set of fixed points in the plane (sensors,
 * stops, chargers): a uniform grid of buckets, rebuilt in O(n) when the set
 * changes, answering "which point is nearest to (x, y)" in about constant
 * time instead of a scan of every point. The answer is exactly the scan's:
 * the smallest squared distance dx*dx + dy*dy, the lowest index on ties. */
#ifndef CITY_POINTS_H
#define CITY_POINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CityPoints CityPoints;

/* An empty index (NULL when out of memory). */
CityPoints *city_points_new(void);
void city_points_free(CityPoints *p);

/* Indexes n points (x[i], y[i]); point i keeps index i. Points with a
 * coordinate that is not finite are left out (no query returns them).
 * Replaces what was indexed before. false when out of memory (the index is
 * then empty). */
bool city_points_build(CityPoints *p, int32_t n, const double *x, const double *y);

/* The index of the point nearest to (x, y): smallest dx*dx + dy*dy, the
 * lowest index among equals; -1 when the index is empty or (x, y) is not
 * finite. */
int32_t city_points_nearest(const CityPoints *p, double x, double y);

#endif
