/* The power grid: buses, branches (lines, transformers, switches),
 * generators and shunts; an AC power flow (Newton-Raphson on a sparse
 * Jacobian factorised by KLU, or a backward/forward sweep on radial
 * feeders); and quasi-static time series of the devices a district holds
 * (buildings with cooling loads, rooftop PV, batteries, EV chargers,
 * streetlights). Plain C: no Lua, no SDL.
 *
 * Units: the network is in per unit on base_mva (impedances) and MW/MVAr
 * (the MATPOWER convention); devices are in kW, kWh and kVAr. Bus, branch
 * and device ids are the caller's integers; lists come back sorted by id.
 *
 * Life cycle: create, add buses, then branches and generators that name
 * them, then devices; solve or advance in time. Ids must be unique per kind.
 * All functions return CITY_OK or an error status with one clear line in
 * city_grid_error(). */
#ifndef CITY_GRID_H
#define CITY_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_hash.h"
#include "city_status.h"

typedef struct CityGrid CityGrid;

typedef enum CityBusType {
    CITY_BUS_PQ = 1,      /* load bus: P and Q given */
    CITY_BUS_PV = 2,      /* generator bus: P and |V| given (Q limits only with enforce_q_lims) */
    CITY_BUS_SLACK = 3,   /* reference: |V| and angle given */
    CITY_BUS_ISOLATED = 4 /* out of service */
} CityBusType;

typedef enum CityBranchKind {
    CITY_BRANCH_LINE = 0,        /* pi model: r, x, total charging b */
    CITY_BRANCH_TRANSFORMER = 1, /* pi model with an off-nominal tap and phase shift at the from side */
    CITY_BRANCH_SWITCH = 2       /* a breaker: near-zero impedance, opened and closed by events */
} CityBranchKind;

typedef enum CityPfMethod {
    CITY_PF_NR = 0,   /* full AC Newton-Raphson, polar form */
    CITY_PF_SWEEP = 1 /* backward/forward sweep, radial networks only */
} CityPfMethod;

/* ---- network ------------------------------------------------------------ */

typedef struct CityGridBus {
    int32_t id;       /* the caller's bus number (MATPOWER BUS_I) */
    CityBusType type; /* as given; the solver may demote PV/slack buses without a generator */
    double pd_mw;     /* constant-power load */
    double qd_mvar;   /* constant reactive load */
    double gs_mw;     /* shunt conductance, MW consumed at 1 pu */
    double bs_mvar;   /* shunt susceptance, MVAr injected at 1 pu */
    double vm_pu;     /* start value; after a solve, the solution (0 when de-energised) */
    double va_deg;    /* start value; after a solve, the solution */
    double base_kv;   /* nominal voltage, for ohm conversions (0 = unknown) */
    double x_m, y_m;  /* position in the net's local metres (for chargers) */
    int32_t feeder;   /* feeder index (see city_grid_feeder), 0 = the default feeder */
} CityGridBus;

typedef struct CityGridBranch {
    int32_t id;          /* the caller's branch number (MATPOWER: row number from 1) */
    int32_t from_bus;    /* bus ids */
    int32_t to_bus;      /* bus id at the other end */
    double r_pu, x_pu;   /* series impedance on the system base */
    double b_pu;         /* total line charging susceptance */
    double rate_mva;     /* thermal rating (0 = unlimited) */
    double ratio;        /* off-nominal tap ratio at the from side (0 means 1) */
    double shift_deg;    /* phase shift, degrees */
    CityBranchKind kind; /* line, transformer or switch */
    bool closed;         /* in service */
} CityGridBranch;

typedef struct CityGridGen {
    int32_t bus;      /* bus id */
    double pg_mw;     /* scheduled active power (the slack's is solved) */
    double qg_mvar;   /* scheduled reactive power (PV and slack buses: solved) */
    double qmax_mvar; /* reactive limit, enforced only with CityPfOptions.enforce_q_lims */
    double qmin_mvar; /* reactive limit, enforced only with CityPfOptions.enforce_q_lims */
    double vg_pu;     /* voltage set-point of a PV or slack bus */
    bool on;          /* in service */
} CityGridGen;

/* Creates an empty grid on base_mva (> 0). Owned by the caller. */
CityGrid *city_grid_create(double base_mva);
/* Frees the grid, its solver state and its devices. NULL is fine. */
void city_grid_destroy(CityGrid *grid);
/* Last error: what, where, how to fix ("" when none). */
const char *city_grid_error(const CityGrid *grid);
double city_grid_base_mva(const CityGrid *grid);

/* Adds a bus; the id must be new and > 0. */
CityStatus city_grid_add_bus(CityGrid *grid, const CityGridBus *bus);
/* Adds a branch between two existing buses; id must be new. */
CityStatus city_grid_add_branch(CityGrid *grid, const CityGridBranch *branch);
/* Adds a generator at an existing bus. */
CityStatus city_grid_add_gen(CityGrid *grid, const CityGridGen *gen);

/* Read-only views, valid until the next add. Buses and branches are in
 * insertion order; use the *_index functions to find one by id. */
const CityGridBus *city_grid_buses(const CityGrid *grid, int32_t *count);
const CityGridBranch *city_grid_branches(const CityGrid *grid, int32_t *count);
const CityGridGen *city_grid_gens(const CityGrid *grid, int32_t *count);
/* Index of a bus/branch id in the views above, or -1. */
int32_t city_grid_bus_index(const CityGrid *grid, int32_t bus_id);
int32_t city_grid_branch_index(const CityGrid *grid, int32_t branch_id);
/* Sets a bus's position in local metres. */
CityStatus city_grid_bus_place(CityGrid *grid, int32_t bus_id, double x_m, double y_m);
/* Feeder index for a name (created on first use; "main" is index 0). */
int32_t city_grid_feeder(CityGrid *grid, const char *name);
CityStatus city_grid_bus_set_feeder(CityGrid *grid, int32_t bus_id, int32_t feeder);
int32_t city_grid_feeder_count(const CityGrid *grid);
const char *city_grid_feeder_name(const CityGrid *grid, int32_t feeder);

/* Changes a bus's constant-power load (MW, MVAr); the pattern and the
 * factorisation are kept, so repeated solves stay cheap. */
CityStatus city_grid_bus_set_load(CityGrid *grid, int32_t bus_id, double pd_mw, double qd_mvar);

/* Opens or closes a branch (outage, restoration, switching). The next
 * solve rebuilds the admittance pattern and finds islands. */
CityStatus city_grid_branch_set_closed(CityGrid *grid, int32_t branch_id, bool closed);

/* ---- power flow ------------------------------------------------------------ */

typedef struct CityPfOptions {
    CityPfMethod method;    /* NR or sweep */
    double tol_pu;          /* largest |P| or |Q| mismatch allowed, per unit (default 1e-8) */
    int32_t max_iter;       /* Newton iterations (default 10) or sweeps (default 100) */
    bool flat_start;        /* start from 1 pu, 0 deg (set-points kept) instead of the last solution */
    bool full_newton;       /* NR: refactor the Jacobian every iteration, never start on the last solve's factors */
    int32_t enforce_q_lims; /* MATPOWER's pf.enforce_q_lims: 0 no; 1 every generator past Qmax/Qmin is held at
                               the limit and its bus turned PQ, then solve again until none is; 2 the same, the
                               largest violation one at a time */
} CityPfOptions;

/* MATPOWER's defaults: NR, tol 1e-8, 10 iterations, warm start, Q limits not enforced. */
void city_pf_options_default(CityPfOptions *options);

typedef struct CityPfReport {
    bool converged;                    /* the mismatch fell below the tolerance */
    int32_t iterations;                /* Newton updates (NR) or sweeps */
    double max_mismatch_pu;            /* largest |mismatch| at the end */
    int32_t worst_bus;                 /* bus id where it is */
    char worst_kind;                   /* 'P' or 'Q' */
    double total_pd_mw, total_qd_mvar; /* load actually served (voltage dependent) */
    double total_pg_mw, total_qg_mvar; /* all generation incl. device injections */
    double p_loss_mw, q_loss_mvar;     /* series branch losses */
    double shunt_p_mw;                 /* consumed by bus shunts */
    double min_vm_pu;                  /* lowest |V| over energised buses, and its bus id */
    int32_t min_vm_bus;                /* over energised buses */
    double max_vm_pu;                  /* highest |V| and its bus */
    int32_t max_vm_bus;                /* its bus id */
    double max_abs_va_deg;             /* largest |angle| and its bus */
    int32_t max_va_bus;                /* its bus id */
    double max_loading_pct;            /* highest loading of a rated closed branch, and its id */
    int32_t max_loading_branch;        /* over rated closed branches */
    int32_t n_energised, n_dead;       /* buses with / without a source */
    int32_t n_islands;                 /* connected parts holding a reference */
    int32_t first_dead_bus;            /* lowest id of a de-energised bus, or 0 */
    int32_t n_q_limited;               /* generators held at a Q limit (enforce_q_lims), 0 otherwise */
    char message[256];                 /* the clear failure line ("" on success) */
} CityPfReport;

/* Solves the power flow for the current loads and devices' last powers.
 * Buses with no path to a reference are de-energised (reported, not an
 * error). On non-convergence returns CITY_ERR_NUMERIC with the iterations,
 * the largest mismatch and its bus in report->message and the grid error;
 * the voltages are then left at their last good values. */
CityStatus city_grid_solve(CityGrid *grid, const CityPfOptions *options, CityPfReport *report);

/* Branch flows of the last solve, in MW/MVAr at each end (0 when open). */
typedef struct CityGridFlow {
    double pf_mw, qf_mvar, pt_mw, qt_mvar; /* MW/MVAr entering the branch at its from and to ends */
    double loading_pct;                    /* max(|Sf|, |St|) / rate (0 when unrated) */
    double ploss_mw, qloss_mvar;           /* series losses |I|^2 (r + jx), as MATPOWER's get_losses */
} CityGridFlow;
/* One flow per branch, in branch order; owned by the grid, valid until the next solve. */
const CityGridFlow *city_grid_flows(const CityGrid *grid, int32_t *count);

/* What each generator produced in the last solve, as MATPOWER's pfsoln
 * reports it: the reference bus's first generator takes the slack P; the
 * Q of a PV or reference bus is split among its generators in proportion
 * to their Q ranges; generators out of service or on dead buses give 0. */
typedef struct CityGridGenOut {
    double pg_mw, qg_mvar; /* output at the terminals */
    bool at_q_limit;       /* held at Qmax or Qmin by enforce_q_lims */
} CityGridGenOut;
/* One output per generator, in generator order; owned by the grid, valid until the next solve. */
const CityGridGenOut *city_grid_gen_outputs(const CityGrid *grid, int32_t *count);
/* True when a bus was energised in the last solve. */
bool city_grid_bus_energised(const CityGrid *grid, int32_t bus_index);

/* ---- devices and time series ----------------------------------------------- */

/* A load. Power = p_kw * profile(hour) * (1 + cooling_pct_per_c/100 *
 * max(0, T - t_base_c)) * (1 - shed), split into ZIP parts that follow
 * the bus voltage: z*V^2 + i*V + p (z + i + p = 1). */
typedef struct CityGridLoad {
    int32_t id;                 /* the caller's load id */
    int32_t bus;                /* bus id */
    double p_kw;                /* at 1 pu, profile 1, base temperature */
    double q_kvar;              /* at 1 pu, profile 1, base temperature */
    double zip_z, zip_i, zip_p; /* shares of constant impedance, current and power (sum 1) */
    int32_t profile;            /* index from city_grid_add_profile, -1 = flat */
    double cooling_pct_per_c;   /* extra load per degree C above t_base_c, % of p_kw */
    double t_base_c;            /* cooling starts above this outdoor temperature */
    double area_m2;             /* building footprint (0 for other loads) */
    double shed;                /* fraction shed by events, 0..1 */
    double setpoint_offset_c;   /* demand response: cooling starts at t_base_c + this (- pre-cool, + curtail) */
} CityGridLoad;

/* Rooftop PV at unity power factor: P = kwp * G/1000 * derate *
 * (1 - 0.004 (T_cell - 25)), T_cell = T + G/800 * 20 (NOCT 45 C), capped at kwp. */
typedef struct CityGridPv {
    int32_t id;    /* the caller's id */
    int32_t bus;   /* bus id */
    double kwp;    /* peak power at 1000 W/m2 and 25 C cells */
    double derate; /* wiring, soiling, inverter (default 0.86) */
} CityGridPv;

typedef enum CityBatteryMode {
    CITY_BATTERY_IDLE = 0,
    CITY_BATTERY_MANUAL,    /* follows setpoint_kw */
    CITY_BATTERY_PEAK_SHAVE /* discharges above discharge_above_kw, charges below charge_below_kw */
} CityBatteryMode;

typedef struct CityGridBattery {
    int32_t id;                                 /* the caller's id */
    int32_t bus;                                /* bus id */
    double energy_kwh;                          /* capacity */
    double power_kw;                            /* charge and discharge limit */
    double efficiency;                          /* round trip, split evenly between charge and discharge */
    double soc;                                 /* state of charge 0..1 (kept in [soc_min, soc_max]) */
    double soc_min, soc_max;                    /* the band the SOC stays in */
    CityBatteryMode mode;                       /* idle, manual or peak shaving */
    double setpoint_kw;                         /* MANUAL: + discharge, - charge */
    double discharge_above_kw, charge_below_kw; /* PEAK_SHAVE thresholds on feeder demand */
    double p_kw;                                /* last power at the terminals: + discharge, - charge */
    double throughput_kwh;                      /* energy in plus energy out at the terminals */
} CityGridBattery;

typedef struct CityGridCharger {
    int32_t id;           /* the caller's id */
    int32_t bus;          /* bus id */
    double x_m, y_m;      /* position in local metres (for city_grid_charger_find) */
    double power_kw;      /* per port */
    int32_t ports;        /* EVs it can charge at once */
    double efficiency;    /* grid to battery */
    double p_kw;          /* last grid draw */
    double delivered_kwh; /* energy into EV batteries so far */
} CityGridCharger;

typedef struct CityGridEv {
    uint64_t key;        /* the caller's vehicle key */
    int32_t charger;     /* charger id */
    double energy_kwh;   /* in the battery */
    double capacity_kwh; /* battery size */
    double arrived_kwh;  /* energy when it plugged in */
} CityGridEv;

/* Streetlights: count * w_each, on while irradiance < on_below_wm2, at dim level 0..1. */
typedef struct CityGridLights {
    int32_t id;          /* the caller's id */
    int32_t bus;         /* bus id */
    int32_t count;       /* number of lamps */
    double w_each;       /* rated power of one lamp */
    double dim;          /* dim level 0..1 */
    double on_below_wm2; /* on below this irradiance */
    double p_kw;         /* last draw */
} CityGridLights;

/* Devices on buses: the grid copies the definition (ids unique per kind,
 * bus must exist). Before the run or between periods; on error the grid
 * error names the device at fault. */
CityStatus city_grid_add_load(CityGrid *grid, const CityGridLoad *load);
CityStatus city_grid_add_pv(CityGrid *grid, const CityGridPv *pv);
CityStatus city_grid_add_battery(CityGrid *grid, const CityGridBattery *battery);
CityStatus city_grid_add_charger(CityGrid *grid, const CityGridCharger *charger);
CityStatus city_grid_add_lights(CityGrid *grid, const CityGridLights *lights);
/* A 24-value hourly multiplier profile (linear between hour midpoints,
 * wrapping daily); returns its index or -1 on bad input. */
int32_t city_grid_add_profile(CityGrid *grid, const double hourly[24]);

/* Environment as piecewise-linear (time_s, value) points, held constant
 * outside; daily = true repeats every 86400 s. Copies the arrays. */
CityStatus city_grid_set_temperature(CityGrid *grid, const double *t_s, const double *v_c, int32_t n, bool daily);
CityStatus city_grid_set_irradiance(CityGrid *grid, const double *t_s, const double *v_wm2, int32_t n, bool daily);
double city_grid_temperature_c(const CityGrid *grid, double t_s);
double city_grid_irradiance_wm2(const CityGrid *grid, double t_s);

/* Views sorted by id (valid until the next add). */
const CityGridLoad *city_grid_loads(const CityGrid *grid, int32_t *count);
const CityGridPv *city_grid_pvs(const CityGrid *grid, int32_t *count);
const CityGridBattery *city_grid_batteries(const CityGrid *grid, int32_t *count);
const CityGridCharger *city_grid_chargers(const CityGrid *grid, int32_t *count);
const CityGridLights *city_grid_lights(const CityGrid *grid, int32_t *count);
/* EVs plugged in, sorted by key. */
const CityGridEv *city_grid_evs(const CityGrid *grid, int32_t *count);
/* What the load at index i (in city_grid_loads order) drew in the last
 * period, voltage dependence included (kW; 0 before the first period or
 * when its bus is dead). For smart meters; callable any time. */
double city_grid_load_served_kw(const CityGrid *grid, int32_t i);

/* Events and controls, applied from the next period on. */
CityStatus city_grid_load_shed(CityGrid *grid, int32_t load_id, double fraction);
CityStatus city_grid_battery_set(CityGrid *grid, int32_t battery_id, CityBatteryMode mode, double setpoint_kw);
CityStatus city_grid_lights_dim(CityGrid *grid, int32_t lights_id, double level);
/* Moves a load's cooling thermostat by offset_c (-10..10 deg C): below 0
 * the building cools more (pre-cooling), above 0 it lets the air warm and
 * draws less (curtailment). 0 is normal. */
CityStatus city_grid_load_setpoint(CityGrid *grid, int32_t load_id, double offset_c);

/* ---- EV charging API (for the traffic subsystem) ---------------------------
 * Deterministic: ties go to the lowest id. Energy moves only when the grid
 * advances (every solve period), at min(port power, what the battery takes). */

/* The charger with a free port nearest to (x, y) within max_dist_m (any
 * distance when <= 0); its id, or -1 when none. */
int32_t city_grid_charger_find(const CityGrid *grid, double x_m, double y_m, double max_dist_m);
/* Plugs an EV (key unique among plugged EVs) into a charger with a free port. */
CityStatus city_grid_ev_plug(CityGrid *grid, int32_t charger_id, uint64_t ev_key, double energy_kwh,
                             double capacity_kwh);
/* Unplugs an EV; *energy_kwh_out (optional) is its battery energy now. */
CityStatus city_grid_ev_unplug(CityGrid *grid, uint64_t ev_key, double *energy_kwh_out);
/* Energy an EV spends to drive distance_m at kwh_per_km (default 0.17 when <= 0). */
double city_grid_ev_drive_kwh(double distance_m, double kwh_per_km);

/* One quasi-static period: device powers at time t_s, a power flow, then
 * energies integrated over dt_s. */
typedef struct CityGridStep {
    double t_s, dt_s;                     /* period start and length */
    CityPfReport pf;                      /* the power flow of the period */
    double demand_kw;                     /* loads + lights + chargers served */
    double pv_kw;                         /* rooftop PV output (0 on de-energised buses) */
    double battery_kw;                    /* + discharge, - charge (sum) */
    double charge_kw;                     /* battery charging only (>= 0) */
    double ev_kw;                         /* charger draw */
    double gen_kw;                        /* slack and generators (negative when exporting) */
    double losses_kw;                     /* branch series losses + shunts */
    double unserved_kw;                   /* shed or de-energised demand */
    double balance_rel_err;               /* |generation - (load + losses + charging + export)| / the larger side */
    double temperature_c, irradiance_wm2; /* the weather used for the period */
} CityGridStep;

/* May be called repeatedly with increasing t_s; the world's "power"
 * subsystem does so once per solve period. */
CityStatus city_grid_advance(CityGrid *grid, const CityPfOptions *options, double t_s, double dt_s, CityGridStep *step);
/* Per-feeder figures of the last advance (kW): demand, pv, battery, losses. */
typedef struct CityGridFeederStep {
    double demand_kw, pv_kw, battery_kw, ev_kw; /* served load, PV, battery (+ discharge), EV chargers */
    double losses_kw, unserved_kw;              /* branch losses into its buses, demand not served */
    double min_vm_pu, max_loading_pct;          /* lowest energised voltage, highest branch loading */
} CityGridFeederStep;
/* Per-feeder figures of the last period, in feeder order; owned by the grid. */
const CityGridFeederStep *city_grid_feeder_steps(const CityGrid *grid, int32_t *count);

/* Hashes the whole grid state (topology, set-points, voltages, SOC, EVs). */
void city_grid_hash(const CityGrid *grid, CityHash *hash);

#endif
