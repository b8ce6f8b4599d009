/* EVs and the power grid: an EV that arrives with its battery below a
 * threshold looks for a charger with a free port near its destination,
 * plugs in (the grid charges it at the charger's power, period by period)
 * and unplugs after a dwell time, taking its energy with it. Without a
 * grid, or without a free charger, nothing happens. */
#include <stdlib.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "road_internal.h"

CityStatus road_ev_arrive(CityRoad *road, int32_t v, double now_s)
{
    RoadVehicles *vh = &road->veh;
    const RoadVType *t = &road->vtypes[vh->vtype[v]];
    CityGrid *grid = city_grid_of(road->world);
    if (!grid || !(t->def.battery_kwh > 0) || vh->energy_kwh[v] >= road->opt.ev_charge_below * t->def.battery_kwh)
        return CITY_OK;
    CityPoint at;
    city_road_lane_point(road->net, vh->lane[v], vh->pos[v], &at, NULL);
    int32_t charger = city_grid_charger_find(grid, at.x, at.y, road->opt.ev_charger_radius_m);
    if (charger < 0) {
        city_world_log(road->world, "ev", "%s arrived with %.2f kWh and found no free charger within %.0f m",
                       vh->name[v], vh->energy_kwh[v], road->opt.ev_charger_radius_m);
        return CITY_OK;
    }
    uint64_t key = city_id_pack((CityId){(uint32_t)v, vh->pool.gen[v]});
    if (city_grid_ev_plug(grid, charger, key, vh->energy_kwh[v], t->def.battery_kwh) != CITY_OK)
        return CITY_OK; /* the port was taken meanwhile: it leaves uncharged */
    if (road->n_parked == road->cap_parked) {
        int32_t cap = road->cap_parked ? road->cap_parked * 2 : 16;
        RoadParkedEv *p = realloc(road->parked, (size_t)cap * sizeof *p);
        if (!p)
            return road_fail(road, CITY_ERR_NOMEM, "out of memory parking an EV");
        road->parked = p;
        road->cap_parked = cap;
    }
    city_world_log(road->world, "ev", "%s plugged in at charger %d with %.2f of %.2f kWh", vh->name[v], (int)charger,
                   vh->energy_kwh[v], t->def.battery_kwh);
    /* the name moves to the parked EV: the vehicle slot is freed next */
    road->parked[road->n_parked++] = (RoadParkedEv){key, now_s + road->opt.ev_dwell_s, vh->energy_kwh[v], vh->name[v]};
    vh->name[v] = NULL;
    road->ev_sessions++;
    return CITY_OK;
}

/* Unplugs the EVs whose dwell is over (in plug-in order). */
CityStatus road_ev_step(CityRoad *road, double now_s)
{
    CityGrid *grid = city_grid_of(road->world);
    int32_t keep = 0;
    for (int32_t i = 0; i < road->n_parked; i++) {
        RoadParkedEv *p = &road->parked[i];
        if (grid && now_s < p->unplug_s) {
            road->parked[keep++] = *p;
            continue;
        }
        double kwh = p->arrived_kwh;
        if (grid)
            city_grid_ev_unplug(grid, p->key, &kwh);
        road->ev_charged_kwh += kwh - p->arrived_kwh;
        city_world_log(road->world, "ev", "%s unplugged with %.2f kWh (+%.2f)", p->name, kwh, kwh - p->arrived_kwh);
        free(p->name);
    }
    road->n_parked = keep;
    return CITY_OK;
}
