/* EV charging (road -> power): an EV that arrives with its battery below a
 * threshold looks for a charger with a free port near where it stopped,
 * plugs in with what its drive left in the battery (the grid charges it at
 * the charger's power, period by period, and sees the draw) and unplugs
 * after a dwell time, taking its energy with it. Without a free charger
 * nothing happens. Runs in COMMIT: it reads the road's arrivals of this
 * tick and writes the grid's plugged-in EVs. */
#include <stdint.h>
#include <stdlib.h>

#include "city_array.h"
#include "city_couple.h"
#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_road.h"
#include "couple_internal.h"

/* An EV plugged in at a charger after its trip (the grid holds its battery). */
typedef struct ParkedEv {
    uint64_t key;       /* the vehicle's packed id at arrival */
    double unplug_s;    /* when it leaves */
    double arrived_kwh; /* battery content when it plugged in */
    char *name;         /* the vehicle's name (owned: the vehicle is gone) */
} ParkedEv;

typedef struct CoupleEv {
    ParkedEv *parked; /* in plug-in order */
    int32_t n_parked, cap_parked;
    CityEvCharging t; /* the totals (city_couple_ev_charging) */
} CoupleEv;

static void set_kpis(CityWorld *w, const CoupleEv *c)
{
    if (c->t.sessions == 0)
        return;
    city_world_kpi_set(w, "ev_charging_sessions", (double)c->t.sessions);
    city_world_kpi_set(w, "ev_charged_kwh", c->t.charged_kwh);
    city_world_kpi_set(w, "ev_peak_charging_kw", c->t.peak_kw);
    city_world_kpi_set(w, "ev_no_free_charger", (double)c->t.no_charger);
}

static CityStatus ev_plug(CityWorld *w, CoupleEv *c, CityGrid *grid, const CityRoadOptions *o, const CityRoadArrival *a)
{
    if (!(a->battery_kwh > 0) || a->energy_kwh >= o->ev_charge_below * a->battery_kwh)
        return CITY_OK;
    const CityPoint xy = city_road_arrival_xy(city_road_of(w), a);
    int32_t charger = city_grid_charger_find(grid, xy.x, xy.y, o->ev_charger_radius_m);
    if (charger < 0) {
        city_world_log(w, "ev", "%s arrived with %.2f kWh and found no free charger within %.0f m", a->name,
                       a->energy_kwh, o->ev_charger_radius_m);
        c->t.no_charger++;
        return CITY_OK;
    }
    if (city_grid_ev_plug(grid, charger, a->key, a->energy_kwh, a->battery_kwh) != CITY_OK)
        return CITY_OK; /* the port was taken meanwhile: it leaves uncharged */
    char *name = city_strdup(a->name);
    if (!name || !city_array_grow((void **)&c->parked, &c->cap_parked, c->n_parked + 1, sizeof *c->parked)) {
        free(name);
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory parking an EV");
    }
    city_world_log(w, "ev",
                   "%s plugged in at charger %d with %.2f of %.2f kWh (set off with %.2f kWh and drove %.2f km)",
                   a->name, (int)charger, a->energy_kwh, a->battery_kwh, a->start_kwh, a->dist_m / 1000.0);
    c->parked[c->n_parked++] = (ParkedEv){a->key, a->time_s + o->ev_dwell_s, a->energy_kwh, name};
    c->t.sessions++;
    c->t.plugged_in_kwh += a->energy_kwh;
    c->t.set_off_kwh += a->start_kwh;
    return CITY_OK;
}

/* Unplugs the EVs whose dwell is over at now_s (in plug-in order). */
static void ev_unplug_due(CityWorld *w, CoupleEv *c, CityGrid *grid, double now_s)
{
    int32_t keep = 0;
    for (int32_t i = 0; i < c->n_parked; i++) {
        ParkedEv *p = &c->parked[i];
        if (now_s < p->unplug_s) {
            c->parked[keep++] = *p;
            continue;
        }
        double kwh = p->arrived_kwh;
        city_grid_ev_unplug(grid, p->key, &kwh);
        c->t.charged_kwh += kwh - p->arrived_kwh;
        c->t.finished++;
        if (!(kwh >= p->arrived_kwh))
            c->t.lost++;
        city_world_log(w, "ev", "%s unplugged with %.2f kWh (+%.2f)", p->name, kwh, kwh - p->arrived_kwh);
        free(p->name);
    }
    c->n_parked = keep;
}

static CityStatus ev_step(CityWorld *w, void *self, int64_t tick)
{
    CoupleEv *c = self;
    CityRoad *road = city_road_of(w);
    CityGrid *grid = city_grid_of(w);
    CITY_ASSERT(road && grid); /* attached only when both exist, and neither is ever removed */
    size_t n;
    const CityRoadArrival *arr = city_road_arrivals(road, &n);
    const CityRoadOptions *o = city_road_options(road);
    uint64_t sessions = c->t.sessions;
    for (size_t i = 0; i < n; i++) {
        CityStatus st = ev_plug(w, c, grid, o, &arr[i]);
        if (st != CITY_OK)
            return st;
    }
    /* the end of this tick, computed as the road computes its clock */
    const double dt_s = city_world_dt_ms(w) / 1000.0;
    const int32_t before = c->n_parked;
    if (c->n_parked > 0)
        ev_unplug_due(w, c, grid, (double)tick * dt_s + dt_s);
    int32_t n_chargers;
    const CityGridCharger *ch = city_grid_chargers(grid, &n_chargers);
    double kw = 0.0;
    for (int32_t i = 0; i < n_chargers; i++)
        kw += ch[i].p_kw;
    bool peak = kw > c->t.peak_kw;
    if (peak)
        c->t.peak_kw = kw;
    if (c->t.sessions != sessions || c->n_parked != before || peak)
        set_kpis(w, c);
    return CITY_OK;
}

static void ev_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const CoupleEv *c = self;
    for (int32_t i = 0; i < c->n_parked; i++) {
        city_hash_u64(h, c->parked[i].key);
        city_hash_bytes(h, &c->parked[i].unplug_s, sizeof(double));
    }
}

static void ev_destroy(void *self)
{
    CoupleEv *c = self;
    for (int32_t i = 0; i < c->n_parked; i++)
        free(c->parked[i].name);
    free(c->parked);
    free(c);
}

static CityStatus ev_finish(CityWorld *w, void *self)
{
    set_kpis(w, self);
    return CITY_OK;
}

static CityStatus ev_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const CoupleEv *c = self;
    city_state_put_array(out, &c->t, 1, sizeof c->t);
    city_state_put_u64(out, (uint64_t)c->n_parked);
    for (int32_t i = 0; i < c->n_parked; i++) {
        city_state_put_u64(out, c->parked[i].key);
        city_state_put_f64(out, c->parked[i].unplug_s);
        city_state_put_f64(out, c->parked[i].arrived_kwh);
        city_state_put_str(out, c->parked[i].name);
    }
    return CITY_OK;
}

static CityStatus ev_load(CityWorld *w, void *self, CityStateReader *in)
{
    CoupleEv *c = self;
    city_state_get_array(in, &c->t, 1, sizeof c->t, "EV charging totals");
    uint64_t n = city_state_get_u64(in);
    if (in->bad || n > INT32_MAX || c->n_parked != 0 || !city_state_count_fits(in, n, 32) || /* key, 2 numbers, name */
        !city_array_grow((void **)&c->parked, &c->cap_parked, (int32_t)n, sizeof *c->parked))
        return city_world_fail(w, CITY_ERR_PARSE, "EV charging: damaged checkpoint");
    for (int32_t i = 0; i < (int32_t)n; i++) {
        ParkedEv *p = &c->parked[c->n_parked++];
        p->key = city_state_get_u64(in);
        p->unplug_s = city_state_get_f64(in);
        p->arrived_kwh = city_state_get_f64(in);
        p->name = city_state_get_str(in);
    }
    return in->bad ? CITY_ERR_PARSE : CITY_OK;
}

CityStatus couple_ev_attach(CityWorld *w, const char *name)
{
    if (!city_road_of(w) || !city_grid_of(w))
        return CITY_OK;
    CoupleEv *c = calloc(1, sizeof *c);
    if (!c)
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory for the EV-charging coupling");
    CitySubsystemDef def = {name, CITY_PHASE_COMMIT, 1, 0, ev_step, ev_hash, ev_destroy, ev_finish, ev_save, ev_load};
    CityStatus st = city_world_add_subsystem(w, &def, c);
    if (st != CITY_OK)
        ev_destroy(c);
    return st;
}

bool city_couple_ev_charging(const CityWorld *w, CityEvCharging *out)
{
    const CoupleEv *c = city_world_subsystem(w, "ev_charging");
    *out = c ? c->t : (CityEvCharging){0};
    if (c)
        out->plugged = c->n_parked;
    return c != NULL;
}
