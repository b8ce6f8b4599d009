/* Power -> sensors. Smart meters (kind meter, energy, target = load index)
 * integrate what their building drew (kWh per interval, 15 min by
 * default); feeder sensors (kind feeder) read a bus voltage (voltage,
 * target = bus index; line-to-line volts from vm_pu x base_kv) or a
 * branch's from-end power and current (power, current; target = branch
 * index); chargers and streetlights report their status (1 drawing power,
 * 0 idle or off). Fed every tick in COMMIT from the last power period. */
#include <math.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_sensor.h"
#include "couple_internal.h"

static double feeder_value(const CityGrid *grid, const CitySensorDef *d)
{
    int32_t nb, nbr, nf;
    const CityGridBus *buses = city_grid_buses(grid, &nb);
    if (d->quantity == CITY_QTY_VOLTAGE)
        return d->target < nb ? buses[d->target].vm_pu * buses[d->target].base_kv * 1000.0 : NAN;
    const CityGridBranch *br = city_grid_branches(grid, &nbr);
    const CityGridFlow *fl = city_grid_flows(grid, &nf);
    if (d->target >= nbr || d->target >= nf || !fl)
        return NAN;
    const CityGridFlow *f = &fl[d->target];
    if (d->quantity == CITY_QTY_POWER)
        return f->pf_mw * 1000.0;
    /* current at the from end: |S| / (sqrt(3) V_LL) */
    for (int32_t b = 0; b < nb; b++)
        if (buses[b].id == br[d->target].from_bus) {
            const double v_kv = buses[b].vm_pu * buses[b].base_kv;
            return v_kv > 0 ? hypot(f->pf_mw, f->qf_mvar) * 1000.0 / (sqrt(3.0) * v_kv) : 0.0;
        }
    return NAN;
}

static CityStatus sensor_power_step(CityWorld *w, void *self, int64_t tick)
{
    (void)self;
    (void)tick;
    CitySensors *s = city_sensors_of(w);
    CityGrid *grid = city_grid_of(w);
    CITY_ASSERT(s && grid);
    const double dt_h = city_world_dt_ms(w) / 3.6e6;
    int32_t n_load, n_ch, n_li;
    city_grid_loads(grid, &n_load);
    const CityGridCharger *ch = city_grid_chargers(grid, &n_ch);
    const CityGridLights *li = city_grid_lights(grid, &n_li);
    const int32_t n = city_sensor_count(s);
    for (int32_t i = 0; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if (d->target < 0)
            continue;
        switch (d->kind) {
        case CITY_SENSOR_METER:
            if (d->target < n_load) {
                const double kw = city_grid_load_served_kw(grid, d->target);
                if (d->quantity == CITY_QTY_ENERGY)
                    city_sensor_feed_add(s, i, kw * dt_h);
                else
                    city_sensor_feed_value(s, i, kw);
            }
            break;
        case CITY_SENSOR_FEEDER: {
            const double v = feeder_value(grid, d);
            if (!isnan(v))
                city_sensor_feed_value(s, i, v);
            break;
        }
        case CITY_SENSOR_CHARGER:
            if (d->target < n_ch)
                city_sensor_feed_value(s, i, ch[d->target].p_kw > 0 ? 1.0 : 0.0);
            break;
        case CITY_SENSOR_STREETLIGHT:
            if (d->target < n_li)
                city_sensor_feed_value(s, i, li[d->target].p_kw > 0 ? 1.0 : 0.0);
            break;
        default:
            break;
        }
    }
    return CITY_OK;
}

CityStatus couple_sensor_power_attach(CityWorld *world, const char *name)
{
    if (!city_sensors_of(world) || !city_grid_of(world))
        return CITY_OK;
    return couple_attach_stateless(world, name, sensor_power_step, NULL);
}
