/* Pedestrian subsystem internals, shared by the files of sim/ped. */
#ifndef PED_INTERNAL_H
#define PED_INTERNAL_H

#include <math.h>

#include "city_ped.h"
#include "city_rng.h"
#include "ped_physics.h"

/* A door: a segment joining areas a and b, with the unit normal that
 * points from a into b. */
typedef struct PedDoor {
    int32_t a, b;
    double x1, y1, x2, y2;
    double nx, ny;
    double mx, my;  /* midpoint */
    uint8_t closed; /* a red pedestrian light, per way: bit 0 holds walkers going a -> b, bit 1 b -> a */
} PedDoor;

/* The walkable space: convex areas, doors, walls by cell, and the
 * uniform grid the force loop sorts people into. */
typedef struct PedSpace {
    double *pts; /* x, y pairs of every area, counter-clockwise */
    int32_t n_pts2, cap_pts2;
    int32_t *area_first; /* first point of area i (in points) */
    int32_t *area_n;     /* its number of points */
    double *edge_len;    /* by point: length of the edge to the next point of its area (after sealing) */
    int32_t n_areas, cap_areas;
    PedDoor *doors;
    int32_t n_doors, cap_doors;
    int32_t *area_door_first; /* CSR: doors of each area (after sealing) */
    int32_t *area_doors;
    PedWall *walls; /* area edges minus doors, then free walls (after sealing) */
    int32_t n_walls, cap_walls;
    PedWall *free_walls;
    int32_t n_free_walls, cap_free_walls;
    bool sealed;        /* walls built and handed to Chipmunk; no more edits */
    bool no_edge_walls; /* walls only where added one by one */
    bool periodic;
    double px0, px1; /* periodic x range */
    /* The grid of people: cells of the cutoff over the space's box. */
    double gx0, gy0, cell_w, cell_h;
    int32_t gnx, gny;
    /* Walls by 1 m cell, listed within the force reach of a person of
     * radius wall_hash_r_m (rebuilt when a larger person enters). */
    PedWallHash wall_hash;
    double wall_hash_r_m;
    /* Areas by cell (after sealing): cell (cx, cy) of a grid of side
     * area_cell_m from (ax0, ay0) lists, ascending, the areas whose box
     * meets it. */
    double ax0, ay0, area_cell_m;
    int32_t anx, any;
    int32_t *area_cell_first; /* anx * any + 1 */
    int32_t *area_cell_items;
    /* A* scratch over doors: a node's g_cost and came_from hold for this
     * search when seen[node] == stamp, it is closed when closed[node] ==
     * stamp (no reset over every door per search). */
    double *g_cost;
    int32_t *came_from;
    int32_t *seen;
    int32_t *closed;
    int32_t stamp;
    struct PedHeapItem *heap; /* the open list, kept between searches */
    /* The graph A* walks (after sealing): the nodes that follow node k
     * (a door crossed one way) are node_next[node_first[k] ...
     * node_first[k + 1] - 1], the other doors of the area it leads into in
     * door order, at node_cost (m) between door midpoints. */
    int32_t *node_first, *node_next;
    double *node_cost;
    int32_t cap_heap;
} PedSpace;

/* A queued departure. */
typedef struct PedPending {
    CityPedSpawnDef def;
    int32_t *route; /* signed door steps, owned */
    int32_t route_len;
    double speed_mps, radius_m, mass_kg;
    double queued_s;
} PedPending;

typedef struct PedFlow {
    CityPedFlowDef def;
    double next_s; /* next departure time */
} PedFlow;

struct CityPed {
    CityWorld *world;
    CityPedParams p;
    CityRng *rng;        /* the "ped" stream: pushes of the physics (how many depends on who walks) */
    CityRng *demand_rng; /* the "ped_demand" stream: departures (times, spots, speeds, sizes) only */
    PedSpace space;
    PedPhysics *phys; /* created when the space is sealed */
    CityDense dense;
    int32_t cap;
    /* Per person, by slot. */
    double *x, *y, *vx, *vy; /* position (m) and velocity (m/s) after the last step */
    double *fx, *fy;         /* social force of the current substep (N) */
    double *ex, *ey;         /* desired direction of the current substep (unit or zero) */
    double *share;           /* share of the free speed wanted this substep */
    uint8_t *waiting;        /* this substep: its next door is closed (ped_local_target) */
    double *r, *m, *v0;      /* radius (m), mass (kg), free speed (m/s) */
    double *tx, *ty;         /* destination */
    double *heading;         /* fixed heading (rad) or NAN */
    double *depart_s;
    double *stuck_s; /* how long it has stood (under 0.2 m/s, no red light) */
    int32_t *leg;    /* next step of the route */
    int32_t *area;   /* area walked through now */
    int32_t *route_len;
    int32_t **route; /* signed door steps: door*2 (a->b) or door*2+1 (b->a) */
    PedBody **body;
    /* The last full test that a person stands on its area: where, for
     * which area (-1: none yet), and the square of the distance it may
     * move from there and still pass (ped_route.c on_area). */
    double *in_x, *in_y, *in_slack2;
    int32_t *in_area;
    uint8_t *arrived;   /* flagged in PHYSICS, removed in COMMIT */
    uint8_t *near;      /* this substep: who may be touched (ped_physics_step) */
    int32_t *near_wall; /* PED_NEAR_WALLS per slot: the walls that may be */
    /* Neighbour grid over people, rebuilt every substep: the cells of the
     * space's grid, hashed into grid_mask + 1 buckets (ped_cell_bucket);
     * people sorted by bucket, ascending slot within one (counting sort),
     * with copies of what the force loop reads of a neighbour in that
     * order, so that the loop reads contiguous memory. Only occupied
     * buckets cost anything: a district-wide grid is free. */
    int32_t *cell_of;     /* by slot: cell cy * gnx + cx */
    int32_t *bucket_of;   /* by slot: its bucket */
    int32_t *cell_first;  /* by bucket: first place in the sorted order; grid_mask + 2 */
    int32_t *cell_items;  /* by place: the slot */
    int32_t *sorted_cell; /* by place: the cell */
    double *sx, *sy, *sr; /* by place: position (m) and radius (m) */
    double *sex, *sey;    /* by place: desired direction (set by ped_forces) */
    int32_t cap_cells;
    uint32_t grid_mask;
    /* Departures waiting for a free spot, in queue order. */
    PedPending *pending;
    int32_t n_pending, cap_pending;
    /* Scratch of the COMMIT phase (ped_demand.c spots_taken): waiting
     * departures listed in the 3 x 3 grid cells round their spots, hashed
     * like the neighbour grid into spot_mask + 1 buckets, and which of them
     * someone already walking stands too close to. */
    int32_t *spot_first; /* by bucket: first entry; spot_mask + 2 */
    int32_t *spot_cell;  /* by entry: the cell cy * gnx + cx */
    int32_t *spot_item;  /* by entry: the departure (index into pending) */
    uint8_t *spot_taken; /* by departure */
    int32_t cap_spot_first, cap_spot_entries, cap_spot_taken;
    uint32_t spot_mask;
    PedFlow *flows;
    int32_t n_flows, cap_flows;
    double h_s;        /* the substep being computed */
    uint64_t reroutes; /* routes taken up again off their area */
    uint64_t strays;   /* walkers put back into their area */
    CityPedStats stats;
    CityTable *walks;
    struct PedCrossings *crossings; /* crossings shared with vehicles (ped_crossing.c), NULL: none */
};

/* ped.c */
CityStatus ped_fail(CityPed *ped, CityStatus status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A walker further than this outside the area it walks through is
 * relocated (ped_route.c). */
#define PED_OFF_AREA_M 0.3
/* A walker that has stood this long (not at a red light) aims at the
 * middle of its next door and is pushed harder by the fluctuations. */
#define PED_STUCK_S 4.0

/* ped_space.c */
void ped_space_free(PedSpace *s);
/* Builds walls, door lists and the wall grid, and hands walls to Chipmunk. */
CityStatus ped_space_seal(CityPed *ped);
/* ped_route.c: builds the graph of A* (node_first, node_next, node_cost);
 * false on OOM. */
bool ped_route_graph_build(PedSpace *s);
/* Route from point (x, y) to (tx, ty) as signed door steps; *out owned by
 * the caller (NULL when both points share an area). -1 when unreachable
 * or outside the space (world error set). */
int32_t ped_space_route(CityPed *ped, double x, double y, double tx, double ty, int32_t **out);
/* The areas whose box may hold (x, y) (*items), how many; 0 off the grid,
 * -1 before the space is sealed. */
int32_t ped_space_cell_areas(const PedSpace *s, double x, double y, const int32_t **items);
/* Desired direction (unit, or zero) of person `slot`, and the share of its
 * free speed it wants (1, less when stopping at a closed door); advances
 * its leg past crossed doors and flags its arrival. *waiting: its next
 * door is closed (it stands, or walks to where it stands, until it opens). */
void ped_local_target(CityPed *ped, uint32_t slot, double *ex, double *ey, double *speed_share, bool *waiting);
/* Grid cell of a point (clamped to the grid; wrapped when periodic). */
static inline void ped_grid_cell(const PedSpace *s, double x, double y, int32_t *cx, int32_t *cy)
{
    /* floor(q) clamped to [0, n - 1] is q truncated once q >= 1 (the same
     * cells as floor, for less work: the grid is built every substep). */
    double qx = (x - s->gx0) / s->cell_w, qy = (y - s->gy0) / s->cell_h;
    if (s->periodic) {
        double k = fmod(floor(qx), (double)s->gnx);
        qx = k < 0 ? k + s->gnx : k;
    }
    *cx = qx < 1.0 ? 0 : qx >= s->gnx ? s->gnx - 1 : (int32_t)qx;
    *cy = qy < 1.0 ? 0 : qy >= s->gny ? s->gny - 1 : (int32_t)qy;
}
bool ped_space_contains(const PedSpace *s, int32_t area, double x, double y, double margin_m);
/* The same test (the same answer), and when inside, how far (m) the point
 * may move in any direction and still be inside: its clearance of every
 * edge beyond the margin, less 1 um for rounding (0 when outside). */
bool ped_space_contains_slack(const PedSpace *s, int32_t area, double x, double y, double margin_m, double *slack_m);
/* Moves a point of an area that lies within margin_m of its outline
 * towards the area's centroid until it is margin_m inside (at most to the
 * centroid). */
void ped_space_inset(const PedSpace *s, int32_t area, double margin_m, double *x, double *y);
/* The point margin_m inside an area nearest to (x, y) (outside it). */
void ped_space_nearest_inside(const PedSpace *s, int32_t area, double margin_m, double *x, double *y);
/* Keeps the walls by cell valid for a person of radius r (rebuilds them
 * for a larger one); CITY_ERR_NOMEM when that fails. */
CityStatus ped_space_fit_radius(CityPed *ped, double radius_m);

/* ped_force.c */
/* Sorts people 0..n-1 into the neighbour grid (cell_of, cell_first,
 * cell_items and the copies by place but sex, sey). */
CityStatus ped_grid_build(CityPed *ped, uint32_t n);
/* Bucket of grid cell (cx, cy): its people are the places k in
 * [cell_first[b], cell_first[b + 1]) with sorted_cell[k] == cy * gnx + cx. */
static inline uint32_t ped_grid_bucket(const CityPed *ped, int32_t cx, int32_t cy)
{
    return ped_cell_bucket(cx, cy, ped->grid_mask);
}
/* Forces of a substep of h_s, and who may touch what in it (near). */
CityStatus ped_forces(CityPed *ped, double h_s);
/* Minimal-image x difference under the periodic range. */
double ped_wrap_dx(const PedSpace *s, double dx);

/* ped_crossing.c */
void ped_crossings_free(struct PedCrossings *c);

/* ped_demand.c */
CityStatus ped_demand_commit(CityPed *ped);
/* Makes every per-person array hold `need` people; false on OOM. */
bool ped_people_reserve(CityPed *ped, uint32_t need);
/* Whether a flow's numbers are ones city_ped_flow_add accepts (finite, a
 * positive rate, end after begin, radii >= 0). */
bool ped_flow_def_ok(const CityPedFlowDef *def);

/* ped_state.c: the checkpoint hooks of "ped", the whole state ("ped_commit"
 * has nothing of its own: city_state_save_none / city_state_load_none). */
CityStatus ped_state_save(const CityWorld *world, const void *self, CityStateWriter *out);
CityStatus ped_state_load(CityWorld *world, void *self, CityStateReader *in);
void ped_pending_free(PedPending *p);

#endif
