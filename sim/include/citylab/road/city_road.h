/* Road traffic: the subsystem that moves vehicles over a CityRoadNet.
 *
 * One CityRoad per world, registered as the "road" subsystem (PHYSICS,
 * every tick). It owns the network, the vehicle types, routes and demand,
 * the signals and the vehicles. Vehicles follow the IDM, change lanes with
 * MOBIL (plus strategic choice of the lane for the next turn), respect
 * right-of-way and signals at junctions, and are inserted and removed only
 * at the end of a step. Everything here is plain C; Lua reaches it through
 * sim/lua/lua_road.c and the viewer through the const readers. */
#ifndef CITY_ROAD_H
#define CITY_ROAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_ids.h"
#include "city_road_net.h"
#include "city_world.h"

typedef struct CityRoad CityRoad;

/* ---- vehicle types ---------------------------------------------------- */

typedef struct CityVTypeDef {
    const char *id;                /* copied */
    uint32_t vclass;               /* one CityVClass bit */
    double length_m;               /* body length */
    double min_gap_m;              /* IDM s0: standstill gap */
    double max_speed_mps;          /* vehicle's own top speed */
    double accel_mps2;             /* IDM a */
    double decel_mps2;             /* IDM b: comfortable deceleration */
    double emergency_decel_mps2;   /* hard physical limit */
    double tau_s;                  /* IDM T: desired time headway */
    double delta;                  /* IDM acceleration exponent */
    double speed_factor;           /* mean multiplier of the speed limit */
    double speed_dev;              /* its standard deviation (per vehicle, drawn at insertion) */
    double lc_politeness;          /* MOBIL p */
    double lc_threshold_mps2;      /* MOBIL a_th */
    bool ev;                       /* electric: spends battery energy as it drives */
    double battery_kwh;            /* EV battery capacity (class default; used only when ev) */
    double consumption_kwh_per_km; /* > 0: a flat EV consumption per km; 0: the physical model below */
    /* The EV's physical model (city_vtype_ev_power_kw), class defaults from
     * city_vtype_defaults; used when ev and consumption_kwh_per_km is 0. */
    double mass_kg;          /* vehicle with its usual load */
    double front_area_m2;    /* frontal area */
    double drag_coeff;       /* aerodynamic drag coefficient c_d */
    double roll_coeff;       /* rolling-resistance coefficient c_rr */
    double aux_kw;           /* auxiliaries drawn all the time (climate, electronics) */
    double drive_eff;        /* battery to wheel when driving (0..1] */
    double regen_eff;        /* share of the braking energy at the wheel put back in the battery [0..1] */
    double soc_min, soc_max; /* state of charge at departure, uniform in [soc_min, soc_max] (default 1, 1) */
    uint32_t color_rgba;     /* drawing colour (0: by class) */
} CityVTypeDef;

/* SUMO's defaults for a class (passenger: 5 m, gap 2.5 m, a 2.6, b 4.5, T 1 s ...),
 * and the class's EV figures (battery and physical model; see road_ev.c). */
void city_vtype_defaults(CityVTypeDef *def, uint32_t vclass);

/* The power an EV of type def draws from its battery (kW; < 0 when braking
 * puts energy back) at speed v_mps and acceleration a_mps2 on a level road:
 * rolling, aerodynamic and inertial force times speed, through the drive
 * train's efficiency, or the regenerated share when the wheel power is
 * negative, plus the auxiliaries. A pure function; any time. */
double city_vtype_ev_power_kw(const CityVTypeDef *def, double v_mps, double a_mps2);
/* The same model over one step from v0_mps to v1_mps covering dist_m in
 * dt_s, as work (kinetic energy change plus resistances times distance):
 * the battery energy it takes (kWh; < 0 when braking gives back). What the
 * road spends for an EV each step. A pure function; any time. */
double city_vtype_ev_step_kwh(const CityVTypeDef *def, double v0_mps, double v1_mps, double dist_m, double dt_s);

/* ---- demand ------------------------------------------------------------ */

/* Where and how a vehicle enters. */
typedef enum CityDepartLane {
    CITY_DEPART_LANE_BEST = -1,   /* the lane that needs fewest changes, emptiest among those */
    CITY_DEPART_LANE_FREE = -2,   /* the emptiest allowed lane */
    CITY_DEPART_LANE_RANDOM = -3, /* a random allowed lane */
    CITY_DEPART_LANE_FIRST = -4   /* the rightmost allowed lane (SUMO's default) */
} CityDepartLane;                 /* >= 0: that lane index */

enum { CITY_DEPART_SPEED_MAX = -1, CITY_DEPART_SPEED_DESIRED = -2 }; /* or >= 0 m/s */

typedef struct CityDepartDef {
    int32_t lane;     /* CityDepartLane or an index */
    double pos_m;     /* position on the first edge (< 0: its start) */
    double speed_mps; /* >= 0, or CITY_DEPART_SPEED_* */
    double speed_factor; /* > 0: the vehicle's own multiplier of the speed limit (SUMO's speedFactor on a vehicle);
                            0: drawn from its type's speed_factor and speed_dev */
} CityDepartDef;

typedef struct CityTripDef {
    const char *id;             /* vehicle name for outputs (copied; NULL: generated) */
    int32_t vtype;              /* index from city_road_add_vtype (-1: default car) */
    double depart_s;            /* simulated departure time (s) */
    int32_t route;              /* index from city_road_add_route, or -1: route from->to */
    int32_t from_edge, to_edge; /* when route == -1 (our router picks the path) */
    const int32_t *via;         /* optional edges to pass, in order */
    int32_t n_via;              /* length of via */
    CityDepartDef depart;       /* lane, position and speed at departure */
} CityTripDef;

typedef enum CityFlowSpacing {
    CITY_FLOW_UNIFORM = 0, /* evenly spaced departures */
    CITY_FLOW_POISSON      /* exponential headways (random arrivals) */
} CityFlowSpacing;

typedef struct CityFlowDef {
    const char *id;             /* prefix of vehicle names (id.N) */
    int32_t vtype;              /* vehicle type index */
    double begin_s, end_s;      /* departures in [begin_s, end_s) of simulated time */
    double veh_per_hour;        /* rate; or */
    double period_s;            /*   > 0: one every period (overrides rate); or */
    double probability;         /*   > 0: chance per second of one departure (SUMO); or */
    int64_t number;             /*   > 0: this many spread evenly over [begin, end) */
    CityFlowSpacing spacing;    /* how departures are spaced for veh_per_hour and period_s */
    int32_t route;              /* index from city_road_add_route, or -1 with from/to */
    int32_t from_edge, to_edge; /* when route == -1 */
    const int32_t *via;         /* optional edges to pass, in order */
    int32_t n_via;              /* length of via */
    CityDepartDef depart;       /* lane, position and speed at departure */
} CityFlowDef;

/* An OD matrix slice: trips[i] vehicles from from_edge[i] to to_edge[i]
 * leave at uniformly random times in [begin_s, end_s). */
typedef struct CityOdDef {
    const char *id;                     /* prefix of vehicle names */
    int32_t vtype;                      /* vehicle type index */
    double begin_s, end_s;              /* the time slice (s) */
    int32_t n_pairs;                    /* length of from_edge, to_edge and trips */
    const int32_t *from_edge, *to_edge; /* origin and destination edge of each pair */
    const double *trips;                /* vehicles per pair in the slice (fractions carried as a random rounding) */
    CityDepartDef depart;               /* lane, position and speed at departure */
} CityOdDef;

/* ---- the subsystem ----------------------------------------------------- */

typedef struct CityRoadOptions {
    double reroute_period_s;    /* > 0: vehicles reroute on current travel times that often */
    double gridlock_time_s;     /* a vehicle standing this long at a junction is a gridlock warning (default 300) */
    double time_to_teleport_s;  /* a vehicle standing this long is moved on along its route (SUMO's default 300; <= 0:
                                   never) */
    double detector_offset_m;   /* actuated-signal detectors sit this far before the stop line (default 30) */
    bool trip_output;           /* write trips.csv (default true) */
    bool edge_output;           /* write edges.csv aggregates (default true) */
    double ev_charge_below;     /* an EV arriving below this battery fraction looks for a charger (default 0.3) */
    double ev_charger_radius_m; /* how far from its destination it looks (default 1000) */
    double ev_dwell_s;          /* how long it stays plugged in (default 3600) */
    bool search_every_route;    /* route every departure afresh, not reusing the route found for the same trip
                                   (default false; the same results, slower: tests compare the two) */
} CityRoadOptions;

/* Fills options with the defaults named on each field above. */
void city_road_options_defaults(CityRoadOptions *options);

/* Creates the road subsystem, taking ownership of a finalized network,
 * and registers it in the world as "road". Once per world; before the
 * first step. On error the world error is set and the net is freed. */
CityStatus city_road_create(CityWorld *world, CityRoadNet *net, const CityRoadOptions *options, CityRoad **out);
/* The world's road subsystem, or NULL. */
CityRoad *city_road_of(const CityWorld *world);
const CityRoadNet *city_road_net(const CityRoad *road);
/* The world the subsystem belongs to (its last error explains a failed call). */
CityWorld *city_road_world(const CityRoad *road);

/* Demand. Indices returned are >= 0; on error -1 / an error status and the
 * world error names the definition at fault. Callable before and during a
 * run (departures in the past leave at once). */
int32_t city_road_add_vtype(CityRoad *road, const CityVTypeDef *def);
int32_t city_road_find_vtype(const CityRoad *road, const char *id);
int32_t city_road_add_route(CityRoad *road, const char *id, const int32_t *edges, int32_t n_edges);
int32_t city_road_find_route(const CityRoad *road, const char *id);
CityStatus city_road_add_trip(CityRoad *road, const CityTripDef *def);
CityStatus city_road_add_flow(CityRoad *road, const CityFlowDef *def);
CityStatus city_road_add_od(CityRoad *road, const CityOdDef *def);
/* The fleet behind the default car (SUMO's DEFAULT_VEHTYPE, trips that
 * name no type): from now on each such trip, when it falls due, is made by
 * vtypes[i] with probability shares[i] (drawn on the road's "road_mix"
 * stream) and by the default car otherwise. Shares in [0, 1] summing to at
 * most 1; n = 0 clears the mix. A scenario declaration, like the types. */
#define CITY_ROAD_MIX_MAX 8
CityStatus city_road_set_default_mix(CityRoad *road, const int32_t *vtypes, const double *shares, int32_t n);

/* The path a trip of a class between two edges takes at free-flow speeds
 * (found as departures are routed: the fastest path, keeping off turns
 * whose lanes do not lead on): writes edge indices into out and returns
 * their number; -1 when there is none (or it has more than cap edges);
 * CITY_ROAD_PATH_NOMEM when the search ran out of memory (the world's
 * error then says so): not an answer about the network. */
#define CITY_ROAD_PATH_NOMEM (-2)
int32_t city_road_path(CityRoad *road, int32_t from_edge, int32_t to_edge, uint32_t vclass, int32_t *out, int32_t cap);

/* Commands (the same for scenarios, the viewer and controllers). */
CityStatus city_road_close_lane(CityRoad *road, int32_t lane, bool closed);
CityStatus city_road_tls_set_type(CityRoad *road, int32_t tls, CityTlsType type);
CityStatus city_road_tls_set_phase(CityRoad *road, int32_t tls, int32_t phase);
/* Blocks or frees a junction link (global index into net->links): a
 * blocked link is entered by no vehicle that has not pulled in yet, as on
 * red. Couplings set it in CONTROL (a person on a crossing the link
 * crosses); it stays until changed. */
CityStatus city_road_link_set_blocked(CityRoad *road, int32_t link, bool blocked);
bool city_road_link_blocked(const CityRoad *road, int32_t link);
/* Asks a light for a phase the safe way (controllers through a signal
 * actuator): a green ends through a yellow, a yellow or all-red phase runs
 * out first; while a transition runs the call does nothing (ask again). */
CityStatus city_road_tls_switch_phase(CityRoad *road, int32_t tls, int32_t phase);

/* ---- reading (viewer, Lua, tests) ------------------------------------- */

typedef struct CityVehicleView {
    CityId id;          /* stable handle while the vehicle runs */
    const char *name;   /* its name (owned by the road) */
    int32_t vtype;      /* vehicle type index */
    uint32_t vclass;    /* vehicle class bit (CITY_VCLASS_*) */
    int32_t lane;       /* current lane (normal or internal) */
    double pos_m;       /* front bumper position along the lane */
    double speed_mps;   /* current speed */
    double accel_mps2;  /* acceleration of the last step */
    double length_m;    /* vehicle length */
    CityPoint xy;       /* front bumper in the world frame */
    double heading_rad; /* direction of travel, counter-clockwise from +x */
    int32_t route_pos;  /* index of the current edge in its route */
    int32_t route_len;
    const int32_t *route; /* edges of the route */
    double depart_s;
    double energy_kwh; /* EV battery content (0 for others) */
    double halt_s;     /* how long it has been standing (0 when moving) */
    int32_t next_lane; /* first lane after the junction ahead (-1: none planned) */
} CityVehicleView;

/* Live vehicles, in slot order 0..count-1 (slots change as vehicles leave;
 * ids do not). */
size_t city_road_vehicle_count(const CityRoad *road);
void city_road_vehicle_at(const CityRoad *road, size_t slot, CityVehicleView *out);
/* The vehicle with this id; false when it has left. */
bool city_road_vehicle_get(const CityRoad *road, CityId id, CityVehicleView *out);

/* True when the lane is closed by a command. */
bool city_road_lane_closed(const CityRoad *road, int32_t lane);

/* Current signal state string of a light (link_count chars), and its phase. */
const char *city_road_tls_state(const CityRoad *road, int32_t tls);
int32_t city_road_tls_phase(const CityRoad *road, int32_t tls);
/* The light's control mode now (commands and controllers change it; the
 * net's CityTls.type is the one the network declared). Any time. */
CityTlsType city_road_tls_type(const CityRoad *road, int32_t tls);
/* Simulated time (s) at which a light's current phase began. */
double city_road_tls_phase_start_s(const CityRoad *road, int32_t tls);

typedef struct CityRoadStats {
    uint64_t inserted;          /* vehicles that entered */
    uint64_t arrived;           /* vehicles that reached their destination */
    uint64_t aborted;           /* vehicles that could not reach it and left (logged warnings) */
    uint64_t running;           /* on the network now (inserted = arrived + aborted + running) */
    uint64_t waiting_insert;    /* due but not yet inserted (no room) */
    uint64_t vehicle_updates;   /* vehicle-steps simulated */
    uint64_t gridlock_warnings; /* vehicles reported standing longer than gridlock_time_s */
    uint64_t teleports;         /* vehicles moved on after standing time_to_teleport_s (logged) */
    double sum_travel_time_s;   /* over arrived vehicles */
    double sum_time_loss_s;     /* over arrived vehicles: time lost against free-flow speed */
    double sum_route_length_m;  /* over arrived vehicles */
    double mean_speed_mps;      /* of running vehicles, this step */
    uint64_t restricted;        /* trips not made: their class was restricted when they were due */
    /* EVs: their energy in and out of the road, so that at any time
     * ev_start_kwh - ev_used_kwh = ev_left_kwh + the batteries still driving */
    uint64_t ev_inserted; /* EVs that entered */
    double ev_dist_m;     /* distance they drove */
    double ev_used_kwh;   /* battery energy they spent driving (net of what braking put back) */
    double ev_start_kwh;  /* battery energy they set off with */
    double ev_left_kwh;   /* battery energy of those that left the road (arrived or aborted) */
} CityRoadStats;

/* Access restrictions (a fine-dust heavy-vehicle ban, a low-emission
 * zone), in slots 0..CITY_ROAD_RESTRICT_MAX-1: from now on, trips of the
 * classes in vclass_mask whose first edge starts inside zone_m (x0, y0,
 * x1, y1; NULL: anywhere) are not made when they fall due (counted in
 * stats.restricted); mask 0 frees the slot. Vehicles already driving go
 * on. A derived input: whoever sets it (the control coupling) sets it
 * again after a checkpoint load. */
#define CITY_ROAD_RESTRICT_MAX 16
CityStatus city_road_restrict(CityRoad *road, int32_t slot, uint32_t vclass_mask, const double *zone_m);
uint32_t city_road_restricted(const CityRoad *road, int32_t slot);

/* The live counters (the KPIs follow them every CITY_KPI_PERIOD_S). */
void city_road_stats(const CityRoad *road, CityRoadStats *out);

/* The options the subsystem was created with (owned by the road). */
const CityRoadOptions *city_road_options(const CityRoad *road);

/* A vehicle that reached its destination: what couplings (EV charging,
 * later passengers, parking) read in COMMIT. */
typedef struct CityRoadArrival {
    uint64_t key;       /* the vehicle's id, packed with city_id_pack (unique for the run) */
    const char *name;   /* its name; valid until the list is replaced */
    int32_t vtype;      /* vehicle type index */
    int32_t lane;       /* the lane it stopped on (the point: city_road_arrival_xy) */
    double time_s;      /* simulated time of arrival (end of the tick it arrived in) */
    double pos_m;       /* where its front bumper stopped along that lane (m; past its end when it left there) */
    double energy_kwh;  /* battery content on arrival (0 unless electric) */
    double battery_kwh; /* battery capacity (0 unless electric) */
    double start_kwh;   /* battery content when it set off (0 unless electric) */
    double dist_m;      /* distance it drove */
} CityRoadArrival;

/* The vehicles that arrived during the current tick, in arrival order;
 * n = 0 when none did. Read in a later phase of the same tick (COMMIT);
 * the list and its names are owned by the road and replaced by the first
 * arrival of a later tick. */
const CityRoadArrival *city_road_arrivals(const CityRoad *road, size_t *n);
/* Where arrival a's front bumper stopped, world frame (m): worked out when
 * asked (most runs have no coupling that asks; on east-p2 at 1 s the point
 * of every arrival was half a percent of the step). */
CityPoint city_road_arrival_xy(const CityRoad *road, const CityRoadArrival *a);

#endif
