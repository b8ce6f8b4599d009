/* Private to sim/couple: state of the pedestrian-vehicle coupling, shared
 * by couple_ped_road.c (crossings: doors, gaps, blocked links) and
 * couple_ped_safety.c (conflict measures). */
#ifndef COUPLE_PED_ROAD_H
#define COUPLE_PED_ROAD_H

#include "city_ped.h"
#include "city_ped_road.h"
#include "city_road.h"
#include "city_state.h"

#define PR_RECENT 256 /* conflicts kept for the viewer */

/* A party seen on a crossing at a time: a person's sample or a vehicle's passage. */
typedef struct PrSample {
    uint64_t key;  /* packed id */
    double s_m;    /* position along the crossing's centre line */
    double time_s; /* when */
    double speed_mps;
    char name[64]; /* vehicles: the vehicle's name */
} PrSample;

typedef struct PrSamples {
    PrSample *a;
    int32_t n, cap;
} PrSamples;

typedef struct PrCrossing {
    int32_t ped;           /* index of the crossing in the ped subsystem */
    int32_t tls, tls_link; /* road light and state index, -1 */
    bool signal;           /* tls_link >= 0 */
    int32_t *foes;         /* global vehicle links that cross it */
    int32_t n_foes;
    int32_t *block; /* links a person on it blocks: its foes and the links feeding stub lanes into them */
    int32_t n_block;
    double x1, y1, ux, uy;  /* centre line start and unit direction */
    double len_m, half_w_m; /* length and half width */
    int32_t door[2];        /* doors at its ends (-1: none) */
    bool in_ab[2];          /* stepping on through door[k] goes its a -> b way */
    double door_x[2], door_y[2];
    double gap_s; /* critical gap (s) */
    int8_t open;  /* doors open for those stepping on (-1: not set yet) */
    /* this tick */
    int32_t n_on, n_about, n_red;
    double tta_any_s;    /* earliest arrival of an approaching vehicle */
    double tta_nostop_s; /* ... of one that cannot stop comfortably (or will not) */
    PrSamples peds;      /* people on it, last conflict_pet_s */
    PrSamples vehs;      /* vehicles that passed it, last conflict_pet_s */
} PrCrossing;

/* A person near a crossing this tick. */
typedef struct PrNear {
    int32_t crossing;
    uint64_t key;
    double x, y, vx, vy, r;
    bool on; /* on it (else stepping onto it) */
} PrNear;

/* An open encounter between two parties (kept sorted by type, a, b). */
typedef struct PrEncounter {
    int32_t type;  /* CityConflictType */
    uint64_t a, b; /* vehicle key; person or second vehicle key */
    int64_t seen;  /* last tick it was updated */
    double ttc_s, pet_s, drac_mps2;
    double time_s, x, y; /* at the least TTC (or the PET event) */
    double speed_a, speed_b;
    bool collision;
    char place[64]; /* crossing id (veh-ped) or junction id (veh-veh) */
    char name_a[64], name_b[64];
} PrEncounter;

typedef struct PedRoad {
    PrCrossing *x;
    int32_t n_x;
    int32_t *x_of_area; /* ped area -> crossing, -1 */
    int32_t *x_of_door; /* ped door -> crossing, -1 */
    int32_t n_areas, n_doors;
    int32_t *link_of_lane; /* road internal lane -> the junction link it belongs to, -1 */
    /* crossings near each cell of a grid over them (CSR) */
    double gx0, gy0, cell_m;
    int32_t gnx, gny;
    int32_t *cell_first, *cell_items;
    uint8_t *want;    /* per road link: blocked wanted this tick */
    int32_t *blocked; /* links blocked now */
    int32_t n_blocked, cap_blocked;
    PrNear *near; /* this tick, sorted by crossing then key */
    int32_t n_near, cap_near;
    int32_t *near_first; /* per crossing: first entry in near (n_x + 1) */
    PrEncounter *enc;
    int32_t n_enc, cap_enc;
    PrEncounter *done; /* closed this tick */
    int32_t n_done, cap_done;
    CityConflictMark recent[PR_RECENT];
    int32_t n_recent, recent_head;
    bool yield;
    uint64_t seed;
    uint64_t conflicts, collisions, ped_ttc;
    CityTable *table;
    /* vehicle grid for vehicle-vehicle pairs (rebuilt every tick) */
    int32_t *vcell_first, *vcell_items, *vcell_of;
    int32_t vgnx, vgny, cap_vcells, cap_vitems;
    double vgx0, vgy0;
} PedRoad;

/* couple_ped_road.c: the junction link a vehicle takes next (or is on,
 * inside a junction) and its distance to the stop line (0 inside); -1 when
 * none. */
int32_t pr_vehicle_link(const PedRoad *pr, const CityRoadNet *net, const CityVehicleView *v, double *dist_m);

/* couple_ped_safety.c */
/* Updates the encounter of a vehicle and a person (TTC, DRAC, collision);
 * stop_m: the vehicle stops after this travel (its light is red). */
CityStatus pr_pair_ped(PedRoad *pr, const CityWorld *w, const CityVehicleView *v, double stop_m, const PrNear *p,
                       int32_t crossing);
/* Vehicle-vehicle encounters inside junctions. */
CityStatus pr_pairs_veh(PedRoad *pr, CityWorld *w, const CityRoad *road);
/* A party on crossing c at s_m: PET against the other kind's samples, then recorded. */
CityStatus pr_pet(PedRoad *pr, const CityWorld *w, int32_t c, bool vehicle, uint64_t key, const char *name, double s_m,
                  double x, double y, double speed_mps);
/* Closes encounters not seen this tick: rows, marks, KPIs. */
CityStatus pr_close(PedRoad *pr, CityWorld *w, const CityPed *ped, const CityRoad *road, bool all);
void pr_safety_free(PedRoad *pr);

/* couple_ped_state.c: checkpoints (pr_load sets the world error on a damaged one) */
CityStatus pr_save(const PedRoad *pr, CityStateWriter *out);
CityStatus pr_load(PedRoad *pr, CityWorld *w, CityStateReader *in);

#endif
