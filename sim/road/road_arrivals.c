/* The road's published arrivals: every vehicle that reached its
 * destination this tick, with what other domains need to know about it
 * (where, when, its battery). The road never calls another domain;
 * couplings (sim/couple) read this list in COMMIT. */
#include <stdlib.h>

#include "city_array.h"
#include "road_internal.h"

/* Starts a new list when the tick changed: the old one was read already. */
static void arrivals_reset(CityRoad *road, int64_t tick)
{
    if (road->arrivals_tick == tick)
        return;
    for (int32_t i = 0; i < road->n_arrivals; i++)
        free((char *)road->arrivals[i].name);
    road->n_arrivals = 0;
    road->arrivals_tick = tick;
}

CityStatus road_arrival_record(CityRoad *road, int32_t v, double now_s)
{
    RoadVehicles *vh = &road->veh;
    const RoadVType *t = &road->vtypes[vh->rec[v].vtype];
    const int32_t h = vh->handle[v];
    CITY_ASSERT(city_pool_valid(&vh->pool, (CityId){(uint32_t)h, vh->pool.gen[h]})); /* only a live vehicle arrives */
    arrivals_reset(road, city_world_tick(road->world));
    if (!city_array_grow((void **)&road->arrivals, &road->cap_arrivals, road->n_arrivals + 1, sizeof *road->arrivals))
        return road_fail(road, CITY_ERR_NOMEM, "out of memory recording an arrival");
    const bool electric = t->def.ev && t->def.battery_kwh > 0;
    CityRoadArrival *a = &road->arrivals[road->n_arrivals++];
    a->key = city_id_pack((CityId){(uint32_t)h, vh->pool.gen[h]});
    a->name = vh->name[h]; /* the name moves here: the vehicle is removed next */
    vh->name[h] = NULL;
    a->vtype = vh->rec[v].vtype;
    a->time_s = now_s;
    a->lane = vh->rec[v].lane;
    a->pos_m = vh->rec[v].pos;
    a->energy_kwh = electric ? vh->rec[v].energy_kwh : 0.0;
    a->battery_kwh = electric ? t->def.battery_kwh : 0.0;
    a->start_kwh = electric ? vh->ev_start_kwh[h] : 0.0;
    a->dist_m = vh->rec[v].dist_m;
    return CITY_OK;
}

const CityRoadArrival *city_road_arrivals(const CityRoad *road, size_t *n)
{
    *n = road->arrivals_tick == city_world_tick(road->world) ? (size_t)road->n_arrivals : 0;
    return road->arrivals;
}

CityPoint city_road_arrival_xy(const CityRoad *road, const CityRoadArrival *a)
{
    CityPoint p;
    city_road_lane_point(road->net, a->lane, a->pos_m, &p, NULL);
    return p;
}

const CityRoadOptions *city_road_options(const CityRoad *road)
{
    return &road->opt;
}

void road_arrivals_free(CityRoad *road)
{
    for (int32_t i = 0; i < road->n_arrivals; i++) /* whatever the list's tick (a restored one may be any) */
        free((char *)road->arrivals[i].name);
    free(road->arrivals);
    road->arrivals = NULL;
    road->n_arrivals = road->cap_arrivals = 0;
}
