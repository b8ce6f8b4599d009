/* The grid as a world subsystem ("power", PHYSICS phase): every solve
 * period it advances the devices, solves the power flow, integrates
 * energies, sets the grid KPIs and appends one row per feeder to the
 * table grid_feeder_<name> (and the totals to grid). */
#ifndef CITY_GRID_SIM_H
#define CITY_GRID_SIM_H

#include "city_grid.h"
#include "city_world.h"

typedef struct CityGridSimConfig {
    double period_s;  /* solve period in seconds (default 900), rounded to whole ticks */
    CityPfOptions pf; /* method, tolerance, iteration limit */
    double vmin_pu;   /* voltage band for violation minutes (default 0.95 .. 1.05) */
    double vmax_pu;
} CityGridSimConfig;

/* Running totals since the start of the run (also published as KPIs). */
typedef struct CityGridTotals {
    int64_t solves;         /* power flows solved */
    int32_t max_iterations; /* most Newton/sweep iterations one solve took */
    double losses_kwh, demand_kwh, pv_kwh, unserved_kwh, ev_kwh, storage_throughput_kwh; /* energies so far */
    double peak_demand_kw, min_voltage_pu, max_line_loading_pct;                         /* extremes over all periods */
    double voltage_violation_min;     /* minutes with any energised bus outside the band */
    double voltage_violation_bus_min; /* the same summed over buses */
    double balance_max_rel_err;       /* worst energy-balance error of any period */
    int32_t dead_buses;               /* de-energised buses in the last period */
} CityGridTotals;

/* Fills config with the defaults (900 s periods, 0.95..1.05 pu band). */
void city_grid_sim_config_default(CityGridSimConfig *config);
/* The grid of a world, or NULL when none is attached. */
CityGrid *city_grid_of(const CityWorld *world);
/* Opens or closes a branch of the world's grid from the next period on and
 * logs it (kind "power"): what city.grid.outage/restore and the operator's
 * open_branch/close_branch do. On error the message is the world's last error. */
CityStatus city_grid_sim_set_branch(CityWorld *world, int32_t branch_id, bool closed);
/* Registers the "power" subsystem; the world owns `grid` from now on (also
 * on error). Only once per world. */
CityStatus city_grid_sim_attach(CityWorld *world, CityGrid *grid, const CityGridSimConfig *config);
/* Swaps in another grid (the old one is freed); refused once it has run. */
CityStatus city_grid_sim_replace(CityWorld *world, CityGrid *grid);
/* Changes the configuration; takes effect from the next due period. */
CityStatus city_grid_sim_configure(CityWorld *world, const CityGridSimConfig *config);
const CityGridSimConfig *city_grid_sim_config(const CityWorld *world);
const CityGridTotals *city_grid_sim_totals(const CityWorld *world);
/* The last period's figures (NULL before the first). */
const CityGridStep *city_grid_sim_last(const CityWorld *world);

#endif
