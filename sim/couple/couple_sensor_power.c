/* Power -> sensors. Smart meters (kind meter, energy, target = load index)
 * integrate what their building drew (kWh per interval, 15 min by
 * default); feeder sensors (kind feeder) read a bus voltage (voltage,
 * target = bus index; line-to-line volts from vm_pu x base_kv) or a
 * branch's from-end power and current (power, current; target = branch
 * index); chargers and streetlights report their status (1 drawing power,
 * 0 idle or off). Fed every tick in COMMIT from the last power period.
 * The power channels are indexed once, so a tick visits them only, not
 * every sensor of the city (10,000 air sensors beside a few meters). */
#include <math.h>
#include <stdlib.h>

#include "city_array.h"
#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_sensor.h"
#include "couple_internal.h"

/* One power channel, as its definition says what feeds it. */
typedef struct PowerFeed {
    int32_t channel;  /* its index in the sensors */
    int32_t target;   /* load, bus, branch, charger or light index (>= 0) */
    int32_t from_bus; /* a current sensor: index of its branch's from bus where last found (-1: not yet) */
    uint8_t kind;     /* CitySensorKind: meter, feeder, charger or streetlight */
    uint8_t quantity; /* CityQuantity */
} PowerFeed;

/* An index rebuilt from the sensors: nothing for a checkpoint. */
typedef struct CoupleSensorPower {
    PowerFeed *feeds; /* the power channels, ascending */
    int32_t n, cap;
    int32_t known; /* channels indexed */
} CoupleSensorPower;

/* The index of the bus whose id is `id` (ids are unique), or -1; `hint` first. */
static int32_t bus_index(const CityGridBus *buses, int32_t nb, int32_t id, int32_t hint)
{
    if (hint >= 0 && hint < nb && buses[hint].id == id)
        return hint;
    for (int32_t b = 0; b < nb; b++)
        if (buses[b].id == id)
            return b;
    return -1;
}

static double feeder_value(const CityGrid *grid, PowerFeed *f)
{
    int32_t nb, nbr, nf;
    const CityGridBus *buses = city_grid_buses(grid, &nb);
    if (f->quantity == CITY_QTY_VOLTAGE)
        return f->target < nb ? buses[f->target].vm_pu * buses[f->target].base_kv * 1000.0 : NAN;
    const CityGridBranch *br = city_grid_branches(grid, &nbr);
    const CityGridFlow *fl = city_grid_flows(grid, &nf);
    if (f->target >= nbr || f->target >= nf || !fl)
        return NAN;
    const CityGridFlow *flow = &fl[f->target];
    if (f->quantity == CITY_QTY_POWER)
        return flow->pf_mw * 1000.0;
    /* current at the from end: |S| / (sqrt(3) V_LL) */
    const int32_t b = bus_index(buses, nb, br[f->target].from_bus, f->from_bus);
    if (b < 0)
        return NAN;
    f->from_bus = b;
    const double v_kv = buses[b].vm_pu * buses[b].base_kv;
    return v_kv > 0 ? hypot(flow->pf_mw, flow->qf_mvar) * 1000.0 / (sqrt(3.0) * v_kv) : 0.0;
}

/* Indexes the channels added since the last tick. */
static bool index_new(CoupleSensorPower *c, const CitySensors *s)
{
    const int32_t n = city_sensor_count(s);
    for (int32_t i = c->known; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if (d->target < 0 || (d->kind != CITY_SENSOR_METER && d->kind != CITY_SENSOR_FEEDER &&
                              d->kind != CITY_SENSOR_CHARGER && d->kind != CITY_SENSOR_STREETLIGHT))
            continue;
        if (!city_array_grow((void **)&c->feeds, &c->cap, c->n + 1, sizeof *c->feeds))
            return false;
        c->feeds[c->n++] = (PowerFeed){i, d->target, -1, (uint8_t)d->kind, (uint8_t)d->quantity};
    }
    c->known = n;
    return true;
}

static CityStatus sensor_power_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    CoupleSensorPower *c = self;
    CitySensors *s = city_sensors_of(w);
    CityGrid *grid = city_grid_of(w);
    CITY_ASSERT(s && grid);
    if (c->known != city_sensor_count(s) && !index_new(c, s))
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory indexing power sensors");
    const double dt_h = city_world_dt_ms(w) / 3.6e6;
    int32_t n_load, n_ch, n_li;
    city_grid_loads(grid, &n_load);
    const CityGridCharger *ch = city_grid_chargers(grid, &n_ch);
    const CityGridLights *li = city_grid_lights(grid, &n_li);
    for (int32_t k = 0; k < c->n; k++) {
        PowerFeed *f = &c->feeds[k];
        const int32_t i = f->channel;
        switch (f->kind) {
        case CITY_SENSOR_METER:
            if (f->target < n_load) {
                const double kw = city_grid_load_served_kw(grid, f->target);
                if (f->quantity == CITY_QTY_ENERGY)
                    city_sensor_feed_add(s, i, kw * dt_h);
                else
                    city_sensor_feed_value(s, i, kw);
            }
            break;
        case CITY_SENSOR_FEEDER: {
            const double v = feeder_value(grid, f);
            if (!isnan(v))
                city_sensor_feed_value(s, i, v);
            break;
        }
        case CITY_SENSOR_CHARGER:
            if (f->target < n_ch)
                city_sensor_feed_value(s, i, ch[f->target].p_kw > 0 ? 1.0 : 0.0);
            break;
        default: /* CITY_SENSOR_STREETLIGHT */
            if (f->target < n_li)
                city_sensor_feed_value(s, i, li[f->target].p_kw > 0 ? 1.0 : 0.0);
            break;
        }
    }
    return CITY_OK;
}

static void sensor_power_destroy(void *self)
{
    CoupleSensorPower *c = self;
    free(c->feeds);
    free(c);
}

CityStatus couple_sensor_power_attach(CityWorld *world, const char *name)
{
    if (!city_sensors_of(world) || !city_grid_of(world))
        return CITY_OK;
    CoupleSensorPower *c = calloc(1, sizeof *c);
    if (!c)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    return couple_attach_commit(world, name, c, sensor_power_step, sensor_power_destroy, NULL);
}
