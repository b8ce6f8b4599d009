/* Pedestrians: people walking through a walkable space, on Chipmunk2D.
 *
 * One CityPed per world, registered as the subsystems "ped" (PHYSICS,
 * every tick: forces, Chipmunk step, routing progress) and "ped_commit"
 * (COMMIT: departures and arrivals). People live in dense arrays (one slot
 * per person, the last slot moves into a freed one) and are named by
 * {index, generation} ids. Each is a Chipmunk circle body driven by the
 * social-force model (Helbing and Molnar 1995; Helbing, Farkas and Vicsek
 * 2000): a driving term towards a local target, repulsion from people and
 * walls; Chipmunk integrates and keeps bodies from overlapping and from
 * passing through walls. Chipmunk stays the body and contact engine
 * (person-person and person-wall contacts are its arbiters and solver);
 * what it is given is made for crowds among walls: a broad phase of its
 * own (a spatial hash of people, the walls by cell the social force also
 * reads) that offers only the pairs whose gap the force loop found under
 * what two walkers can close in one substep, in slot order, and no warm
 * start (the space holds no state but its bodies, so checkpoints are
 * exact). The validation tests (tests/test_ped.c) pass unchanged with it;
 * scripts/bench_ped.sh measures the speed.
 *
 * The walkable space is convex areas (polygons) joined by doors (a stretch
 * of an edge two areas share). Walls are added along every area edge
 * except its doors. People route over the doors with A*, aim at the next
 * door of their route (a local target that keeps them inside the convex
 * area they are in) and leave at their destination. A walker found off
 * its area (round the end of a wall, through a gap between outlines)
 * takes its route up from where it is; one that has stood 4 s aims at the
 * middle of its door and is shaken harder; one outside every area is put
 * back into its own.
 *
 * Plain C: no SDL, no Lua, no other domain. Lua reaches it through
 * sim/lua/lua_ped.c. */
#ifndef CITY_PED_H
#define CITY_PED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_ids.h"
#include "city_world.h"

typedef struct CityPed CityPed;

/* Model parameters. Every default names its source; every one can be
 * overridden (city.ped.config in Lua). */
typedef struct CityPedParams {
    /* Free speeds: normal, Weidmann (1993): mean 1.34 m/s, sd 0.26 m/s,
     * truncated to [speed_min, speed_max]. */
    double speed_mean_mps;
    double speed_sd_mps;
    double speed_min_mps; /* 0.5: slower walkers are not in Weidmann's sample */
    double speed_max_mps; /* 2.0 */
    /* Speed cap as a multiple of the free speed: 1.3 (Helbing, Farkas and
     * Vicsek 2000). */
    double max_speed_factor;
    /* Relaxation time of the driving force: 0.5 s (Helbing, Farkas and
     * Vicsek 2000; Helbing and Molnar 1995). */
    double tau_s;
    /* Body: radius normal around radius_mean_m with sd radius_sd_m, mass
     * mass_kg * (r / radius_mean_m)^2. 0.2 m is the circle of the area of
     * Weidmann's body ellipse plus clearance (0.126 m2 at 5.4 persons/m2
     * jam density); 80 kg from Helbing, Farkas and Vicsek 2000. */
    double radius_mean_m;
    double radius_sd_m;
    double mass_kg;
    /* Person-person repulsion, circular specification:
     * f = A exp((r_ij - d_ij)/B) w(phi) n_ij, with anisotropy
     * w = lambda + (1 - lambda)(1 + cos phi)/2 (Helbing and Johansson 2009).
     * A = 2000 N as in Helbing, Farkas and Vicsek 2000; B = 0.04 m (their
     * 0.08 m halved) and lambda = 0.3 tuned here against Weidmann's
     * fundamental diagram and the bottleneck flow (tests/test_ped.c): the
     * speed-headway term below keeps the distance ahead, so the repulsion
     * only has to keep bodies apart. */
    double a_n;
    double b_m;
    double lambda;
    /* Wall repulsion A exp((r_i - d_iW)/B) (same form, no anisotropy):
     * A = 2000 N (Helbing, Farkas and Vicsek 2000), B = 0.06 m (their
     * 0.08 m kept walkers pressed beside door posts in a stable
     * equilibrium; tuned on the bottleneck test). */
    double wall_a_n;
    double wall_b_m;
    double cutoff_m; /* neighbours and walls beyond this exert no force */
    /* Desired speed limited by the distance d to the person ahead in one's
     * path: v = (d - a) / T, the speed-headway relation of Seyfried,
     * Steffen, Klingsch and Boltes 2005 (single file: a = 0.36 m,
     * T = 1.06 s). In two dimensions their values walk too slowly; a =
     * 0.25 m and T = 0.7 s are fitted here to Weidmann's diagram and the
     * bottleneck flow (tests/test_ped.c). Someone is "in one's path" when
     * the lateral offset is under path_share (0.6) times the two radii:
     * walkers offset by more pass shoulder to shoulder, the zipper of
     * Hoogendoorn and Daamen 2005 at bottlenecks. T = 0 turns the term
     * off (the plain social-force model). */
    double headway_a_m;
    double headway_t_s;
    double path_share;
    /* Head-on encounters: someone coming the other way in one's path (within
     * the cutoff) does not count as the person ahead; instead one steps to
     * the right with this acceleration. Pedestrians' preference for one side
     * breaks the symmetric deadlock of the plain model (Helbing and Molnar
     * 1995; Moussaid, Helbing et al. 2009 measured it). 1 m/s2: a 0.5 m side
     * step within about a second. */
    double evade_mps2;
    /* Individual fluctuations: a random push, uniform in direction and up
     * to this acceleration, every substep (the fluctuation term of
     * Helbing, Farkas and Vicsek 2000). It frees walkers from the frozen
     * equilibria of opposing streams at narrowings. 0.5 m/s2: a quarter of
     * the driving term's scale (v0 / tau = 2.7 m/s2). */
    double noise_mps2;
    /* Chipmunk: solver iterations (fixed), allowed overlap, wall
     * half-thickness and the step (the tick is cut into equal substeps
     * no longer than max_substep_s). */
    int32_t iterations;
    double slop_m;
    double wall_radius_m;
    double max_substep_s;
    double arrive_radius_m; /* a person within this of its destination has arrived */
    bool walk_output;       /* write walks.csv (one row per arrival) */
    /* Crossings shared with vehicles: read by the pedestrian-vehicle
     * coupling (sim/couple/couple_ped_road.c), not by the walking model.
     * yield: vehicles give way to people on a crossing and, at zebras, to
     * people stepping onto it (false: drivers ignore them, to study
     * violations). red_walker_share: the share of people who cross on red
     * when they see a gap (0..1). Gap acceptance at crossings without
     * priority: a person steps on when every approaching vehicle is more
     * than the critical gap away, t_c = L / gap_speed + gap_startup (HCM
     * 2010, eq. 18-17: walking speed 3.5 ft/s = 1.07 m/s, start-up and
     * clearance time 3 s); critical_gap_s > 0 replaces it by one figure.
     * conflict_ttc_s and conflict_pet_s: time-to-collision (1.5 s) and
     * post-encroachment time (5 s) below which an encounter is a conflict. */
    bool yield;
    double red_walker_share;
    double critical_gap_s;
    double gap_speed_mps;
    double gap_startup_s;
    double conflict_ttc_s;
    double conflict_pet_s;
} CityPedParams;

/* The defaults above. */
void city_ped_params_defaults(CityPedParams *params);

/* Creates the subsystem and registers it in the world ("ped" and
 * "ped_commit"). Once per world, before the first step. The world owns it. */
CityStatus city_ped_create(CityWorld *world, const CityPedParams *params, CityPed **out);
/* The world's pedestrian subsystem, or NULL. */
CityPed *city_ped_of(const CityWorld *world);
CityWorld *city_ped_world(const CityPed *ped);
const CityPedParams *city_ped_params(const CityPed *ped);

/* ---- walkable space (before the first person departs) ------------------ */

/* Adds a convex area from n_pts points (x0, y0, x1, y1, ...), either
 * winding. Returns its index, or -1 (world error names the fault). */
int32_t city_ped_area_add(CityPed *ped, const double *xy, int32_t n_pts);
/* Joins two areas through a door on an edge they share (collinear and
 * overlapping): the door is centred on the overlap and width_m wide
 * (<= 0 or wider than the overlap: the whole overlap). Returns its index
 * or -1 when the areas share no edge. */
int32_t city_ped_door_add(CityPed *ped, int32_t area_a, int32_t area_b, double width_m);
/* Joins two areas through an explicit door segment (they need not share
 * an edge: imported spaces whose outlines only nearly meet). The person
 * passes it when crossing the segment's line towards area_b's side. */
int32_t city_ped_door_add_segment(CityPed *ped, int32_t area_a, int32_t area_b, double x1, double y1, double x2,
                                  double y2);
/* Walls along area edges (default on). Imported spaces whose outlines
 * only nearly meet turn them off and add their walls one by one. */
CityStatus city_ped_set_edge_walls(CityPed *ped, bool on);
/* Adds a free-standing wall (a pillar, a barrier). */
CityStatus city_ped_wall_add(CityPed *ped, double x1, double y1, double x2, double y2);
/* Makes x periodic on [x0, x1): a person leaving at x1 re-enters at x0
 * (validation corridors). Forces act across the seam. */
CityStatus city_ped_set_periodic_x(CityPed *ped, double x0_m, double x1_m);
/* Index of the area holding (x, y), lowest index first; -1 when none. */
int32_t city_ped_area_at(const CityPed *ped, double x, double y);
int32_t city_ped_area_count(const CityPed *ped);
/* Points of an area (x, y pairs, counter-clockwise). */
const double *city_ped_area_points(const CityPed *ped, int32_t area, int32_t *n_pts);
int32_t city_ped_door_count(const CityPed *ped);
/* Opens or closes a door (a pedestrian light: green or red). Walkers whose
 * next door is closed walk up to it and wait r + 0.3 m before it (one
 * the crowd presses over its line is not through: it steps back); those
 * already through walk on. Callable any time (couplings run it in COMMIT). */
CityStatus city_ped_door_set_open(CityPed *ped, int32_t door, bool open);
bool city_ped_door_open(const CityPed *ped, int32_t door);
/* Opens or closes a door for one way only: a red light holds walkers who
 * would step onto a crossing while those on it walk off (couplings, any
 * time). city_ped_door_open is true only when both ways are open. */
CityStatus city_ped_door_set_open_ways(CityPed *ped, int32_t door, bool open_a_to_b, bool open_b_to_a);
/* Door segment and the two areas it joins. */
void city_ped_door_get(const CityPed *ped, int32_t door, int32_t *area_a, int32_t *area_b, double *x1, double *y1,
                       double *x2, double *y2);
int32_t city_ped_wall_count(const CityPed *ped);
/* Wall segment i (area edges first, then free walls). */
void city_ped_wall_get(const CityPed *ped, int32_t wall, double *x1, double *y1, double *x2, double *y2);

/* ---- crossings shared with vehicles ------------------------------------ */

/* A crossing of a road: the walkable areas on the carriageway and how a
 * coupling finds the road links it crosses. Loaders (SUMO) and scenarios
 * declare them; the pedestrian model itself treats them as any area. */
typedef struct CityPedCrossingDef {
    const char *id;                /* e.g. SUMO's crossing edge ":J_c0" (copied) */
    const char *junction;          /* road junction id it belongs to (copied; NULL: none) */
    int32_t junction_link;         /* its index in the junction's request table (SUMO intLanes order); -1: none */
    const char *tls;               /* traffic light giving its signal (copied; NULL: none) */
    int32_t tls_link;              /* index in that light's state strings; -1: none */
    bool priority;                 /* a zebra: vehicles yield to people on or stepping onto it */
    int32_t first_area, last_area; /* its areas, first_area .. last_area */
    int32_t door_in_a, door_in_b;  /* the doors at its two ends (-1: none) */
    double x1, y1, x2, y2;         /* centre line, from the end of door_in_a to that of door_in_b (m) */
    double width_m;
} CityPedCrossingDef;

/* Adds a crossing (before the first step); returns its index or -1. */
int32_t city_ped_crossing_add(CityPed *ped, const CityPedCrossingDef *def);
int32_t city_ped_crossing_count(const CityPed *ped);
/* Crossing i as added (strings owned by the ped subsystem). */
const CityPedCrossingDef *city_ped_crossing_get(const CityPed *ped, int32_t i);
/* Index of the crossing with this id, or -1. */
int32_t city_ped_crossing_find(const CityPed *ped, const char *id);
/* The first crossing whose areas the disc of radius_m (0: the point)
 * around (x, y) reaches into, or -1 (a point on an area's boundary, such
 * as a door on the kerb line, does not). People never appear on a
 * crossing, in front of vehicles: a spawn whose start or destination, or
 * a flow whose start or end centre, lies on one is refused, and a flow's
 * points drawn in its discs avoid the crossings' areas. */
int32_t city_ped_crossing_reached(const CityPed *ped, double x, double y, double radius_m);
/* Turns a crossing into a zebra (vehicles yield) or back (people yield). */
CityStatus city_ped_crossing_set_priority(CityPed *ped, int32_t i, bool priority);

/* Length of the route A* finds between two points (through door
 * midpoints), or -1 when there is none (the world error says why). Seals
 * the space. */
double city_ped_route_length_m(CityPed *ped, double x, double y, double tx, double ty);

/* ---- people ------------------------------------------------------------- */

typedef struct CityPedSpawnDef {
    double x, y;       /* start, inside an area */
    double to_x, to_y; /* destination, inside an area (ignored with a heading) */
    bool use_heading;  /* walk in a fixed direction forever (validation) */
    double heading_rad;
    double speed_mps; /* free speed; <= 0: drawn from the distribution */
    double radius_m;  /* <= 0: drawn from the distribution */
    bool at_speed;    /* start at the free speed instead of at rest */
} CityPedSpawnDef;

/* A spawn def with every field at "draw / default". */
void city_ped_spawn_defaults(CityPedSpawnDef *def);
/* Queues a person; it enters in the next COMMIT phase where its spot is
 * free (ids are handed out then, in queue order). Errors (outside the
 * walkable space, unreachable destination) are reported now. */
CityStatus city_ped_spawn(CityPed *ped, const CityPedSpawnDef *def);

/* A stream of people between two places: departures evenly spaced (or
 * Poisson with `poisson`) at persons_per_hour over [begin_s, end_s), each
 * starting uniformly in a disc of from_radius_m and heading to a point in
 * a disc of to_radius_m. */
typedef struct CityPedFlowDef {
    double from_x, from_y, from_radius_m;
    double to_x, to_y, to_radius_m;
    double begin_s, end_s;
    double persons_per_hour;
    bool poisson;
} CityPedFlowDef;
/* The most a flow may ask for: 100 people a second (a crowd leaving a
 * full stadium through one gate is about 20) and a million departures in
 * all (as SUMO vehicle flows); more is refused, not queued. */
#define CITY_PED_FLOW_MAX_PER_HOUR 360000.0
#define CITY_PED_FLOW_MAX_PERSONS 1000000.0
/* The widest person (m): a spawn's radius, and the mean of the drawn radii
 * plus three deviations (the walls are listed by 1 m cell within a
 * person's reach, so the reach must stay a few metres). */
#define CITY_PED_MAX_RADIUS_M 1.5
CityStatus city_ped_flow_add(CityPed *ped, const CityPedFlowDef *def);

typedef struct CityPedView {
    CityId id;
    double x_m, y_m;
    double vx_mps, vy_mps;
    double radius_m;
    double mass_kg;
    double free_speed_mps;
    double depart_s;
    int32_t area;       /* the area it is walking through (-1: no route) */
    double to_x, to_y;  /* destination (NAN with a fixed heading) */
    int32_t doors_left; /* doors still to pass on its route */
    int32_t next_door;  /* the next one (-1: none left) */
} CityPedView;

/* People walking now, by slot (slots change as people leave; ids do not). */
size_t city_ped_count(const CityPed *ped);
void city_ped_at(const CityPed *ped, size_t slot, CityPedView *out);
bool city_ped_get(const CityPed *ped, CityId id, CityPedView *out);

/* Ids (packed) of what touches the person after the last step, sorted
 * ascending; UINT64_MAX stands for a wall. Returns how many (may exceed cap). */
int32_t city_ped_contacts(const CityPed *ped, size_t slot, uint64_t *out, int32_t cap);

typedef struct CityPedStats {
    uint64_t departed;  /* people who entered */
    uint64_t arrived;   /* people who reached their destination */
    uint64_t waiting;   /* queued, not yet entered (spot taken) */
    uint64_t updates;   /* person-ticks simulated */
    double walk_time_s; /* summed walk times of arrivals */
} CityPedStats;
void city_ped_stats(const CityPed *ped, CityPedStats *out);

#endif
