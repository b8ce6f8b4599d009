/* Placeholder until the network builder lands: every call reports that
 * Lua-built networks are not available yet. */
#include <stdio.h>

#include "city_road_build.h"

CityRoadBuilder *city_road_builder_create(void)
{
    static char placeholder;
    return (CityRoadBuilder *)(void *)&placeholder;
}
void city_road_builder_destroy(CityRoadBuilder *builder) { (void)builder; }
int32_t city_road_builder_node(CityRoadBuilder *b, const char *id, double x, double y, CityJunctionType type, char *err,
                               size_t err_len)
{
    (void)b, (void)id, (void)x, (void)y, (void)type;
    snprintf(err, err_len, "networks built from Lua are not available yet; load a SUMO network");
    return -1;
}
int32_t city_road_builder_edge(CityRoadBuilder *b, const CityEdgeSpec *s, char *err, size_t err_len)
{
    return city_road_builder_node(b, s->id, 0, 0, CITY_JUNCTION_PRIORITY, err, err_len);
}
CityStatus city_road_builder_road(CityRoadBuilder *b, const CityEdgeSpec *s, char *err, size_t err_len)
{
    city_road_builder_node(b, s->id, 0, 0, CITY_JUNCTION_PRIORITY, err, err_len);
    return CITY_ERR_INVALID;
}
CityStatus city_road_builder_grid(CityRoadBuilder *b, const CityGridSpec *s, char *err, size_t err_len)
{
    city_road_builder_node(b, s->prefix, 0, 0, CITY_JUNCTION_PRIORITY, err, err_len);
    return CITY_ERR_INVALID;
}
CityStatus city_road_builder_arterial(CityRoadBuilder *b, const CityArterialSpec *s, char *err, size_t err_len)
{
    city_road_builder_node(b, s->prefix, 0, 0, CITY_JUNCTION_PRIORITY, err, err_len);
    return CITY_ERR_INVALID;
}
CityStatus city_road_builder_program(CityRoadBuilder *b, int32_t node, const double *d, const char *const *s,
                                     int32_t n, char *err, size_t err_len)
{
    (void)node, (void)d, (void)s, (void)n;
    city_road_builder_node(b, "", 0, 0, CITY_JUNCTION_PRIORITY, err, err_len);
    return CITY_ERR_INVALID;
}
CityRoadNet *city_road_builder_build(CityRoadBuilder *b, char *err, size_t err_len)
{
    city_road_builder_node(b, "", 0, 0, CITY_JUNCTION_PRIORITY, err, err_len);
    return NULL;
}
