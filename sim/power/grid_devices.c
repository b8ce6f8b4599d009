/* Devices on the grid: loads (buildings with cooling), rooftop PV,
 * batteries, EV chargers and streetlights; environment curves and daily
 * profiles. Lists stay sorted by id so every loop runs in id order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid_internal.h"

/* ---- sorted insertion --------------------------------------------------------- */

/* Inserts elem (whose first field is its int32 id) into a sorted array. */
static CityStatus insert_sorted(CityGrid *g, void **arr, int32_t *n, int32_t *cap, size_t size, const void *elem,
                                const char *what)
{
    int32_t id;
    memcpy(&id, elem, sizeof id);
    int32_t lo = 0, hi = *n;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2, mid_id;
        memcpy(&mid_id, (char *)*arr + (size_t)mid * size, sizeof mid_id);
        if (mid_id == id)
            return grid_fail(g, CITY_ERR_INVALID, "%s %d is defined twice; give every %s its own id", what, (int)id,
                             what);
        if (mid_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!city_array_grow(arr, cap, *n + 1, size))
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory adding %s %d", what, (int)id);
    char *base = *arr;
    memmove(base + (size_t)(lo + 1) * size, base + (size_t)lo * size, (size_t)(*n - lo) * size);
    memcpy(base + (size_t)lo * size, elem, size);
    (*n)++;
    return CITY_OK;
}

static CityStatus need_bus(CityGrid *g, int32_t bus, const char *what, int32_t id)
{
    if (grid_map_get(&g->bus_ids, bus) < 0)
        return grid_fail(g, CITY_ERR_INVALID, "%s %d is at bus %d, which does not exist; add the bus first", what,
                         (int)id, (int)bus);
    return CITY_OK;
}

static bool in01(double x)
{
    return x >= 0 && x <= 1;
}

/* Devices' records into zeroed ones (see GRID_COPY) */
static void load_canon(CityGridLoad *d, const CityGridLoad *s)
{
    _Static_assert(sizeof(CityGridLoad) == 96, "a new field of CityGridLoad: copy it here");
    memset(d, 0, sizeof *d);
    GRID_COPY(id), GRID_COPY(bus), GRID_COPY(p_kw), GRID_COPY(q_kvar), GRID_COPY(zip_z), GRID_COPY(zip_i),
        GRID_COPY(zip_p), GRID_COPY(profile);
    GRID_COPY(cooling_pct_per_c), GRID_COPY(t_base_c), GRID_COPY(area_m2), GRID_COPY(shed),
        GRID_COPY(setpoint_offset_c);
}
static void battery_canon(CityGridBattery *d, const CityGridBattery *s)
{
    _Static_assert(sizeof(CityGridBattery) == 104, "a new field of CityGridBattery: copy it here");
    memset(d, 0, sizeof *d);
    GRID_COPY(id), GRID_COPY(bus), GRID_COPY(energy_kwh), GRID_COPY(power_kw), GRID_COPY(efficiency), GRID_COPY(soc),
        GRID_COPY(soc_min);
    GRID_COPY(soc_max), GRID_COPY(mode), GRID_COPY(setpoint_kw), GRID_COPY(discharge_above_kw),
        GRID_COPY(charge_below_kw), GRID_COPY(p_kw);
    GRID_COPY(throughput_kwh);
}
static void charger_canon(CityGridCharger *d, const CityGridCharger *s)
{
    _Static_assert(sizeof(CityGridCharger) == 64, "a new field of CityGridCharger: copy it here");
    memset(d, 0, sizeof *d);
    GRID_COPY(id), GRID_COPY(bus), GRID_COPY(x_m), GRID_COPY(y_m), GRID_COPY(power_kw), GRID_COPY(ports),
        GRID_COPY(efficiency), GRID_COPY(p_kw);
    GRID_COPY(delivered_kwh);
}
static void lights_canon(CityGridLights *d, const CityGridLights *s)
{
    _Static_assert(sizeof(CityGridLights) == 48, "a new field of CityGridLights: copy it here");
    memset(d, 0, sizeof *d);
    GRID_COPY(id), GRID_COPY(bus), GRID_COPY(count), GRID_COPY(w_each), GRID_COPY(dim), GRID_COPY(on_below_wm2),
        GRID_COPY(p_kw);
}
_Static_assert(sizeof(CityGridPv) == 24, "CityGridPv has no hole: a new field may add one (copy it field by field)");

CityStatus city_grid_add_load(CityGrid *g, const CityGridLoad *l)
{
    CityStatus st = need_bus(g, l->bus, "load", l->id);
    if (st != CITY_OK)
        return st;
    CityGridLoad c;
    load_canon(&c, l);
    if (c.zip_z == 0 && c.zip_i == 0 && c.zip_p == 0)
        c.zip_p = 1;
    double sum = c.zip_z + c.zip_i + c.zip_p;
    if (!isfinite(c.p_kw) || !isfinite(c.q_kvar) || !(c.zip_z >= 0 && c.zip_i >= 0 && c.zip_p >= 0) ||
        fabs(sum - 1) > 1e-9)
        return grid_fail(g, CITY_ERR_INVALID,
                         "load %d: p_kw and q_kvar must be numbers and the ZIP shares z, i, p "
                         "non-negative with z + i + p = 1 (got %g + %g + %g)",
                         (int)c.id, c.zip_z, c.zip_i, c.zip_p);
    if (c.profile >= g->n_profiles)
        return grid_fail(g, CITY_ERR_INVALID, "load %d uses profile %d, which does not exist", (int)c.id,
                         (int)c.profile);
    if (!(c.cooling_pct_per_c >= 0 && c.cooling_pct_per_c <= 20) || !isfinite(c.t_base_c))
        return grid_fail(g, CITY_ERR_INVALID,
                         "load %d: cooling_pct_per_c %g is out of range; published figures are "
                         "0.45 to 4.6 %% of peak per degree C, use 0 to 20",
                         (int)c.id, c.cooling_pct_per_c);
    if (!in01(c.shed))
        c.shed = 0;
    g->dev_valid = false;
    return insert_sorted(g, (void **)&g->load, &g->n_load, &g->cap_load, sizeof c, &c, "load");
}

CityStatus city_grid_add_pv(CityGrid *g, const CityGridPv *pv)
{
    CityStatus st = need_bus(g, pv->bus, "pv", pv->id);
    if (st != CITY_OK)
        return st;
    CityGridPv c = *pv;
    if (c.derate == 0)
        c.derate = 0.86;
    if (!(c.kwp >= 0 && c.kwp < 1e7) || !(c.derate > 0 && c.derate <= 1))
        return grid_fail(g, CITY_ERR_INVALID, "pv %d: kwp must be >= 0 and derate in (0, 1]", (int)c.id);
    g->dev_valid = false;
    return insert_sorted(g, (void **)&g->pv, &g->n_pv, &g->cap_pv, sizeof c, &c, "pv");
}

CityStatus city_grid_add_battery(CityGrid *g, const CityGridBattery *b)
{
    CityStatus st = need_bus(g, b->bus, "battery", b->id);
    if (st != CITY_OK)
        return st;
    CityGridBattery c;
    battery_canon(&c, b);
    if (c.efficiency == 0)
        c.efficiency = 0.9;
    if (c.soc_max == 0)
        c.soc_max = 1;
    if (!(c.energy_kwh > 0) || !(c.power_kw > 0) || !(c.efficiency > 0 && c.efficiency <= 1) ||
        !(c.soc_min >= 0 && c.soc_min < c.soc_max && c.soc_max <= 1) || !(c.soc >= c.soc_min && c.soc <= c.soc_max))
        return grid_fail(g, CITY_ERR_INVALID,
                         "battery %d: needs energy_kwh > 0, power_kw > 0, efficiency in (0, 1] "
                         "and soc_min <= soc <= soc_max within [0, 1] (got soc %g in [%g, %g])",
                         (int)c.id, c.soc, c.soc_min, c.soc_max);
    c.p_kw = 0;
    c.throughput_kwh = 0;
    g->dev_valid = false;
    return insert_sorted(g, (void **)&g->bat, &g->n_bat, &g->cap_bat, sizeof c, &c, "battery");
}

CityStatus city_grid_add_charger(CityGrid *g, const CityGridCharger *ch)
{
    CityStatus st = need_bus(g, ch->bus, "charger", ch->id);
    if (st != CITY_OK)
        return st;
    CityGridCharger c;
    charger_canon(&c, ch);
    if (c.ports == 0)
        c.ports = 1;
    if (c.efficiency == 0)
        c.efficiency = 0.93;
    if (!(c.power_kw > 0 && c.power_kw < 1e5) || c.ports < 1 || !(c.efficiency > 0 && c.efficiency <= 1) ||
        !isfinite(c.x_m) || !isfinite(c.y_m))
        return grid_fail(g, CITY_ERR_INVALID,
                         "charger %d: needs power_kw > 0, ports >= 1, efficiency in (0, 1] and "
                         "a finite position",
                         (int)c.id);
    c.p_kw = 0;
    c.delivered_kwh = 0;
    g->dev_valid = false;
    return insert_sorted(g, (void **)&g->chg, &g->n_chg, &g->cap_chg, sizeof c, &c, "charger");
}

CityStatus city_grid_add_lights(CityGrid *g, const CityGridLights *l)
{
    CityStatus st = need_bus(g, l->bus, "streetlights", l->id);
    if (st != CITY_OK)
        return st;
    CityGridLights c;
    lights_canon(&c, l);
    if (c.on_below_wm2 == 0)
        c.on_below_wm2 = 20;
    if (c.count < 0 || !(c.w_each >= 0) || !in01(c.dim))
        return grid_fail(g, CITY_ERR_INVALID, "streetlights %d: needs count >= 0, w_each >= 0 and dim in [0, 1]",
                         (int)c.id);
    g->dev_valid = false;
    return insert_sorted(g, (void **)&g->lights, &g->n_lights, &g->cap_lights, sizeof c, &c, "streetlights");
}

int32_t city_grid_add_profile(CityGrid *g, const double hourly[24])
{
    for (int h = 0; h < 24; h++)
        if (!(hourly[h] >= 0) || !isfinite(hourly[h]))
            return -1;
    if (!city_array_grow((void **)&g->profiles, &g->cap_profiles, g->n_profiles + 1, sizeof *g->profiles))
        return -1;
    memcpy(g->profiles[g->n_profiles], hourly, sizeof *g->profiles);
    return g->n_profiles++;
}

static CityStatus set_curve(CityGrid *g, GridCurve *c, const double *t, const double *v, int32_t n, bool daily,
                            const char *what)
{
    for (int32_t i = 0; i < n; i++)
        if (!isfinite(t[i]) || !isfinite(v[i]) || (i > 0 && !(t[i] > t[i - 1])))
            return grid_fail(g, CITY_ERR_INVALID, "%s point %d: times must be finite and increasing", what, (int)i + 1);
    double *tt = malloc(((size_t)n + 1) * sizeof *tt), *vv = malloc(((size_t)n + 1) * sizeof *vv);
    if (!tt || !vv) {
        free(tt);
        free(vv);
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory");
    }
    memcpy(tt, t, (size_t)n * sizeof *tt);
    memcpy(vv, v, (size_t)n * sizeof *vv);
    free(c->t_s);
    free(c->v);
    c->t_s = tt;
    c->v = vv;
    c->n = n;
    c->daily = daily;
    return CITY_OK;
}

CityStatus city_grid_set_temperature(CityGrid *g, const double *t, const double *v, int32_t n, bool daily)
{
    return set_curve(g, &g->temperature, t, v, n, daily, "temperature");
}

CityStatus city_grid_set_irradiance(CityGrid *g, const double *t, const double *v, int32_t n, bool daily)
{
    for (int32_t i = 0; i < n; i++)
        if (v[i] < 0)
            return grid_fail(g, CITY_ERR_INVALID, "irradiance point %d is negative (%g W/m2)", (int)i + 1, v[i]);
    return set_curve(g, &g->irradiance, t, v, n, daily, "irradiance");
}

double grid_curve_at(const GridCurve *c, double t, double dflt)
{
    if (c->n == 0)
        return dflt;
    if (c->daily)
        t = fmod(t, 86400.0);
    if (t <= c->t_s[0])
        return c->v[0];
    if (t >= c->t_s[c->n - 1])
        return c->v[c->n - 1];
    int32_t lo = 0, hi = c->n - 1;
    while (hi - lo > 1) {
        int32_t mid = (lo + hi) / 2;
        if (c->t_s[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    double f = (t - c->t_s[lo]) / (c->t_s[hi] - c->t_s[lo]);
    return c->v[lo] + f * (c->v[hi] - c->v[lo]);
}

double city_grid_temperature_c(const CityGrid *g, double t)
{
    return grid_curve_at(&g->temperature, t, 25.0);
}
double city_grid_irradiance_wm2(const CityGrid *g, double t)
{
    return grid_curve_at(&g->irradiance, t, 0.0);
}

/* Hourly values are taken at each hour's midpoint, linear in between. */
static double profile_at(const CityGrid *g, int32_t p, double t)
{
    if (p < 0)
        return 1.0;
    double h = fmod(t / 3600.0, 24.0) - 0.5;
    if (h < 0)
        h += 24;
    int a = (int)h % 24, b = (a + 1) % 24;
    double f = h - floor(h);
    return g->profiles[p][a] * (1 - f) + g->profiles[p][b] * f;
}

/* ---- views and controls ----------------------------------------------------------- */

#define VIEW(fn, type, arr, cnt)                                                                                       \
    const type *fn(const CityGrid *g, int32_t *count)                                                                  \
    {                                                                                                                  \
        *count = g->cnt;                                                                                               \
        return g->arr;                                                                                                 \
    }
VIEW(city_grid_loads, CityGridLoad, load, n_load)
VIEW(city_grid_pvs, CityGridPv, pv, n_pv)
VIEW(city_grid_batteries, CityGridBattery, bat, n_bat)
VIEW(city_grid_chargers, CityGridCharger, chg, n_chg)
VIEW(city_grid_lights, CityGridLights, lights, n_lights)
VIEW(city_grid_evs, CityGridEv, ev, n_ev)

int32_t grid_find_sorted(const void *arr, int32_t n, size_t size, int32_t id)
{
    int32_t lo = 0, hi = n - 1;
    while (lo <= hi) {
        int32_t mid = (lo + hi) / 2, mid_id;
        memcpy(&mid_id, (const char *)arr + (size_t)mid * size, sizeof mid_id);
        if (mid_id == id)
            return mid;
        if (mid_id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

CityStatus city_grid_load_shed(CityGrid *g, int32_t id, double fraction)
{
    int32_t i = grid_find_sorted(g->load, g->n_load, sizeof *g->load, id);
    if (i < 0)
        return grid_fail(g, CITY_ERR_INVALID, "no load %d to shed; check the load id", (int)id);
    if (!in01(fraction))
        return grid_fail(g, CITY_ERR_INVALID, "shed fraction %g must be in [0, 1]", fraction);
    g->load[i].shed = fraction;
    return CITY_OK;
}

CityStatus city_grid_load_setpoint(CityGrid *g, int32_t id, double offset_c)
{
    int32_t i = grid_find_sorted(g->load, g->n_load, sizeof *g->load, id);
    if (i < 0)
        return grid_fail(g, CITY_ERR_INVALID, "no load %d for a thermostat offset; check the load id", (int)id);
    if (!(offset_c >= -10.0 && offset_c <= 10.0))
        return grid_fail(g, CITY_ERR_INVALID, "thermostat offset %g deg C must be in [-10, 10]", offset_c);
    g->load[i].setpoint_offset_c = offset_c;
    return CITY_OK;
}

CityStatus city_grid_battery_set(CityGrid *g, int32_t id, CityBatteryMode mode, double setpoint_kw)
{
    int32_t i = grid_find_sorted(g->bat, g->n_bat, sizeof *g->bat, id);
    if (i < 0)
        return grid_fail(g, CITY_ERR_INVALID, "no battery %d; check the battery id", (int)id);
    if (!isfinite(setpoint_kw) || mode < CITY_BATTERY_IDLE || mode > CITY_BATTERY_PEAK_SHAVE)
        return grid_fail(g, CITY_ERR_INVALID, "battery %d: bad mode or setpoint", (int)id);
    g->bat[i].mode = mode;
    g->bat[i].setpoint_kw = setpoint_kw;
    return CITY_OK;
}

CityStatus city_grid_lights_dim(CityGrid *g, int32_t id, double level)
{
    int32_t i = grid_find_sorted(g->lights, g->n_lights, sizeof *g->lights, id);
    if (i < 0)
        return grid_fail(g, CITY_ERR_INVALID, "no streetlights %d; check the id", (int)id);
    if (!in01(level))
        return grid_fail(g, CITY_ERR_INVALID, "dim level %g must be in [0, 1]", level);
    g->lights[i].dim = level;
    return CITY_OK;
}

/* ---- EV charging ---------------------------------------------------------------- */

static int32_t ports_used(const CityGrid *g, int32_t charger_id)
{
    int32_t n = 0;
    for (int32_t i = 0; i < g->n_ev; i++)
        n += g->ev[i].charger == charger_id;
    return n;
}

int32_t city_grid_charger_find(const CityGrid *g, double x, double y, double max_dist_m)
{
    int32_t best = -1;
    double best_d2 = INFINITY;
    for (int32_t i = 0; i < g->n_chg; i++) {
        const CityGridCharger *c = &g->chg[i];
        double d2 = (c->x_m - x) * (c->x_m - x) + (c->y_m - y) * (c->y_m - y);
        if (d2 < best_d2 && (max_dist_m <= 0 || d2 <= max_dist_m * max_dist_m) && ports_used(g, c->id) < c->ports) {
            best_d2 = d2;
            best = c->id; /* strict < keeps the lowest id on ties */
        }
    }
    return best;
}

CityStatus city_grid_ev_plug(CityGrid *g, int32_t charger_id, uint64_t key, double energy_kwh, double capacity_kwh)
{
    int32_t c = grid_find_sorted(g->chg, g->n_chg, sizeof *g->chg, charger_id);
    if (c < 0)
        return grid_fail(g, CITY_ERR_INVALID, "no charger %d to plug EV %llu into", (int)charger_id,
                         (unsigned long long)key);
    if (!(capacity_kwh > 0) || !(energy_kwh >= 0 && energy_kwh <= capacity_kwh))
        return grid_fail(g, CITY_ERR_INVALID,
                         "EV %llu: needs capacity_kwh > 0 and 0 <= energy_kwh <= capacity_kwh "
                         "(got %g of %g)",
                         (unsigned long long)key, energy_kwh, capacity_kwh);
    if (ports_used(g, charger_id) >= g->chg[c].ports)
        return grid_fail(g, CITY_ERR_LIMIT, "charger %d has no free port for EV %llu", (int)charger_id,
                         (unsigned long long)key);
    int32_t lo = 0, hi = g->n_ev;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (g->ev[mid].key == key)
            return grid_fail(g, CITY_ERR_INVALID, "EV %llu is already plugged in", (unsigned long long)key);
        if (g->ev[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!city_array_grow((void **)&g->ev, &g->cap_ev, g->n_ev + 1, sizeof *g->ev))
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory plugging an EV");
    memmove(&g->ev[lo + 1], &g->ev[lo], (size_t)(g->n_ev - lo) * sizeof *g->ev);
    /* field by field into a zeroed record (see GRID_COPY) */
    CityGridEv *d = &g->ev[lo];
    memset(d, 0, sizeof *d);
    d->key = key;
    d->charger = charger_id;
    d->energy_kwh = energy_kwh;
    d->capacity_kwh = capacity_kwh;
    d->arrived_kwh = energy_kwh;
    g->n_ev++;
    return CITY_OK;
}

CityStatus city_grid_ev_unplug(CityGrid *g, uint64_t key, double *energy_out)
{
    for (int32_t i = 0; i < g->n_ev; i++) {
        if (g->ev[i].key != key)
            continue;
        if (energy_out)
            *energy_out = g->ev[i].energy_kwh;
        memmove(&g->ev[i], &g->ev[i + 1], (size_t)(g->n_ev - i - 1) * sizeof *g->ev);
        g->n_ev--;
        return CITY_OK;
    }
    return grid_fail(g, CITY_ERR_INVALID, "EV %llu is not plugged in", (unsigned long long)key);
}

double city_grid_ev_drive_kwh(double distance_m, double kwh_per_km)
{
    if (!(kwh_per_km > 0))
        kwh_per_km = 0.17;
    return distance_m > 0 ? distance_m / 1000.0 * kwh_per_km : 0.0;
}

/* ---- per-period powers -------------------------------------------------------------- */

static bool ensure_now(CityGrid *g)
{
    return city_array_grow((void **)&g->load_kw_now, &g->cap_now[0], g->n_load + 1, sizeof(double)) &&
           city_array_grow((void **)&g->load_kvar_now, &g->cap_now[1], g->n_load + 1, sizeof(double)) &&
           city_array_grow((void **)&g->load_full_now, &g->cap_now[2], g->n_load + 1, sizeof(double)) &&
           city_array_grow((void **)&g->pv_kw_now, &g->cap_now[3], g->n_pv + 1, sizeof(double)) &&
           city_array_grow((void **)&g->chg_kw_now, &g->cap_now[4], g->n_chg + 1, sizeof(double));
}

/* Demand factor of a load at time t (profile, cooling, shedding excluded). */
static double load_factor(const CityGrid *g, const CityGridLoad *l, double t, double temp_c)
{
    double cool = 1.0 + l->cooling_pct_per_c / 100.0 * fmax(0.0, temp_c - (l->t_base_c + l->setpoint_offset_c));
    return profile_at(g, l->profile, t) * cool;
}

/* EV charging power at a charger for the coming period of dt_h hours. */
double grid_ev_power(const CityGrid *g, const CityGridEv *ev, double dt_h)
{
    int32_t c = grid_find_sorted(g->chg, g->n_chg, sizeof *g->chg, ev->charger);
    const CityGridCharger *ch = &g->chg[c];
    double room = ev->capacity_kwh - ev->energy_kwh;
    if (room <= 0 || dt_h <= 0)
        return 0;
    return fmin(ch->power_kw, room / (ch->efficiency * dt_h));
}

/* Device powers at t for a period of dt_s; batteries react to the net
 * demand of their feeder computed without them. */
CityStatus grid_devices_eval(CityGrid *g, double t, double dt_s)
{
    if (!ensure_now(g))
        return grid_fail(g, CITY_ERR_NOMEM, "out of memory for device powers");
    double temp = city_grid_temperature_c(g, t), irr = city_grid_irradiance_wm2(g, t), dt_h = dt_s / 3600.0;
    double feeder_net[GRID_MAX_FEEDERS] = {0};
    for (int32_t i = 0; i < g->n_bus; i++)
        feeder_net[g->bus[i].feeder] += g->bus[i].pd_mw * 1000.0;
    for (int32_t i = 0; i < g->n_load; i++) {
        const CityGridLoad *l = &g->load[i];
        double f = load_factor(g, l, t, temp);
        g->load_full_now[i] = l->p_kw * f;
        f *= 1.0 - l->shed;
        g->load_kw_now[i] = l->p_kw * f;
        g->load_kvar_now[i] = l->q_kvar * f;
        feeder_net[g->bus[grid_map_get(&g->bus_ids, l->bus)].feeder] += g->load_kw_now[i];
    }
    double tcell = temp + irr / 800.0 * 20.0;
    for (int32_t i = 0; i < g->n_pv; i++) {
        const CityGridPv *pv = &g->pv[i];
        double p = pv->kwp * irr / 1000.0 * pv->derate * (1.0 - 0.004 * (tcell - 25.0));
        g->pv_kw_now[i] = fmin(pv->kwp, fmax(0.0, p));
        feeder_net[g->bus[grid_map_get(&g->bus_ids, pv->bus)].feeder] -= g->pv_kw_now[i];
    }
    for (int32_t i = 0; i < g->n_lights; i++) {
        CityGridLights *l = &g->lights[i];
        l->p_kw = irr < l->on_below_wm2 ? l->count * l->w_each / 1000.0 * l->dim : 0.0;
        feeder_net[g->bus[grid_map_get(&g->bus_ids, l->bus)].feeder] += l->p_kw;
    }
    for (int32_t i = 0; i < g->n_chg; i++)
        g->chg_kw_now[i] = 0;
    for (int32_t i = 0; i < g->n_ev; i++) {
        int32_t c = grid_find_sorted(g->chg, g->n_chg, sizeof *g->chg, g->ev[i].charger);
        double p = grid_ev_power(g, &g->ev[i], dt_h);
        g->chg_kw_now[c] += p;
        feeder_net[g->bus[grid_map_get(&g->bus_ids, g->chg[c].bus)].feeder] += p;
    }
    for (int32_t i = 0; i < g->n_chg; i++)
        g->chg[i].p_kw = g->chg_kw_now[i];
    g->dev_t_s = t;
    g->dev_dt_s = dt_s;
    g->dev_valid = true;
    for (int32_t i = 0; i < g->n_bat; i++) {
        CityGridBattery *b = &g->bat[i];
        int32_t fd = g->bus[grid_map_get(&g->bus_ids, b->bus)].feeder;
        double want = 0;
        if (b->mode == CITY_BATTERY_MANUAL)
            want = b->setpoint_kw;
        else if (b->mode == CITY_BATTERY_PEAK_SHAVE) {
            if (feeder_net[fd] > b->discharge_above_kw)
                want = feeder_net[fd] - b->discharge_above_kw;
            else if (feeder_net[fd] < b->charge_below_kw)
                want = feeder_net[fd] - b->charge_below_kw;
        }
        double eta = sqrt(b->efficiency);
        double max_dis = dt_h > 0 ? (b->soc - b->soc_min) * b->energy_kwh * eta / dt_h : 0;
        double max_chg = dt_h > 0 ? (b->soc_max - b->soc) * b->energy_kwh / (eta * dt_h) : 0;
        double p = fmax(-b->power_kw, fmin(b->power_kw, want));
        p = p > 0 ? fmin(p, fmax(0.0, max_dis)) : fmax(p, -fmax(0.0, max_chg));
        b->p_kw = p;
        feeder_net[fd] -= p;
    }
    return CITY_OK;
}

/* Adds device demand and generation to the solver's bus injections (pu). */
void grid_devices_inject(CityGrid *g)
{
    GridPf *pf = &g->pf;
    if (!g->load_kw_now)
        return;
    double k = 1.0 / (1000.0 * g->base_mva);
    for (int32_t i = 0; i < g->n_load; i++) {
        const CityGridLoad *l = &g->load[i];
        int32_t b = grid_map_get(&g->bus_ids, l->bus);
        double complex s = (g->load_kw_now[i] + I * g->load_kvar_now[i]) * k;
        pf->sd_p[b] += s * l->zip_p;
        pf->sd_i[b] += s * l->zip_i;
        pf->sd_z[b] += s * l->zip_z;
    }
    for (int32_t i = 0; i < g->n_lights; i++)
        pf->sd_p[grid_map_get(&g->bus_ids, g->lights[i].bus)] += g->lights[i].p_kw * k;
    for (int32_t i = 0; i < g->n_chg; i++)
        pf->sd_p[grid_map_get(&g->bus_ids, g->chg[i].bus)] += g->chg_kw_now[i] * k;
    for (int32_t i = 0; i < g->n_pv; i++)
        pf->sg[grid_map_get(&g->bus_ids, g->pv[i].bus)] += g->pv_kw_now[i] * k;
    for (int32_t i = 0; i < g->n_bat; i++)
        pf->sg[grid_map_get(&g->bus_ids, g->bat[i].bus)] += g->bat[i].p_kw * k;
}
