/* Private to sim/power: the grid's storage and the solver state shared by
 * grid_model.c, grid_ybus.c, grid_nr.c, grid_sweep.c, grid_solve.c and
 * grid_devices.c. */
#ifndef GRID_INTERNAL_H
#define GRID_INTERNAL_H

#include <complex.h>
#include <stdarg.h>

#include <klu.h>

#include "city_array.h"
#include "city_grid.h"
#include "city_state.h"

#define GRID_MAX_FEEDERS 64

/* A caller's record reaches a grid array field by field, into a zeroed
 * record (the *_canon functions): a struct copy brings the caller's holes
 * (padding) along, and checkpoints save the arrays whole, so two runs
 * would write different bytes. Each canon function checks its type's
 * size: a new field fails to build until it is copied there too. */
#define GRID_COPY(f) d->f = s->f

/* Solver class of a bus in the current topology. */
enum { GRID_DEAD = 0, GRID_PQ = 1, GRID_PV = 2, GRID_REF = 3 };

typedef struct GridIdMap {
    int32_t *keys; /* open addressing, 0 = empty (ids are > 0 or mapped from any int) */
    int32_t *vals;
    uint8_t *used;
    int32_t cap; /* power of two */
    int32_t count;
} GridIdMap;

/* A piecewise-linear time function. */
typedef struct GridCurve {
    double *t_s, *v;
    int32_t n;
    bool daily;
} GridCurve;

/* Sparse admittance matrix (CSC, n x n, structurally symmetric) and the
 * Newton Jacobian built on its pattern. Rebuilt when topo_version changes. */
typedef struct GridPf {
    int32_t n;          /* buses */
    uint64_t built_for; /* topo_version the pattern belongs to (0 = none) */
    int32_t *yp, *yi;   /* Ybus column pointers (n+1) and row indices */
    double complex *yx; /* Ybus values */
    int32_t *ydiag;     /* position of (k,k) in column k */

    int8_t *cls;              /* GRID_DEAD / PQ / PV / REF per bus */
    int32_t *col_va, *col_vm; /* unknown (and equation row) of angle / magnitude, -1 if fixed */
    int32_t nj;               /* unknowns */
    int32_t *jp, *ji;         /* Jacobian CSC pattern */
    double *jx;
    int32_t *jpos;     /* 4 per Ybus entry: dP/dVa, dQ/dVa, dP/dVm, dQ/dVm slots or -1 */
    uint64_t jac_for;  /* class signature the Jacobian pattern belongs to */
    klu_symbolic *sym; /* symbolic analysis, reused while the pattern holds */
    klu_numeric *num;  /* numeric factors, refactored in place */
    double *jx_piv;    /* Jacobian values of num's last fresh klu_factor, which chose its pivots (jp[nj]) */
    /* Factors from a checkpoint, rebuilt at the next solve so chord steps
     * resume bit for bit: the values whose factorisation chose the pivots,
     * the values of the last refactorisation, their count and signature. */
    double *ck_piv, *ck_jx;
    size_t ck_nnz;
    uint64_t ck_sig, ck_built_for;
    klu_common common;
    double *rhs;             /* mismatch / Newton step (nj) */
    double complex *v;       /* bus voltages during a solve */
    double *vm, *va;         /* the same in polar form (angles unwrapped, radians) */
    double *vm_old, *va_old; /* before a chord step, to undo it */
    double complex *ibus;    /* Ybus * V */
    /* specified injections (pu): generation and ZIP demand parts */
    double complex *sg, *sd_p, *sd_i, *sd_z;
    /* sweep: BFS order from each reference, parent branch, series current */
    int32_t *order, *parent_br; /* BFS order of energised buses; parent branch per bus (-1 at a root) */
    int32_t n_order;
    double complex *is, *acc;      /* series current of the parent branch; current drawn by the subtree */
    double complex *bz, *bt, *bsh; /* parent branch: series impedance, tap, half charging */
    uint8_t *parent_is_from;       /* the parent is the branch's from bus (tap on the parent side) */
    uint64_t tree_for;             /* topo signature the tree belongs to */
} GridPf;

/* A field that a run changes is also saved in grid_state.c (checkpoints). */
struct CityGrid {
    double base_mva;
    CityError error; /* last error: what, which bus/branch/device, how to fix */

    CityGridBus *bus;
    int32_t n_bus, cap_bus;
    CityGridBranch *br;
    int32_t n_br, cap_br;
    CityGridGen *gen;
    int32_t n_gen, cap_gen;
    CityGridFlow *flow;      /* per branch, last solve */
    CityGridGenOut *gen_out; /* per generator, last solve (and the running values of the Q-limit loop) */
    int32_t n_gen_out;       /* generators gen_out holds */
    uint8_t *qlim_pq;        /* per bus: turned PQ by the Q-limit loop of the current solve */
    uint8_t *energised;      /* per bus, last solve */
    int32_t cap_flow, cap_energised, cap_gen_out, cap_qlim_pq;
    GridIdMap bus_ids, br_ids;
    uint64_t topo_version; /* bumped by every topology change */
    bool solved;           /* a solve succeeded since the last topology change */

    char feeder_names[GRID_MAX_FEEDERS][64];
    int32_t n_feeders;
    CityGridFeederStep feeder_step[GRID_MAX_FEEDERS];

    CityGridLoad *load;
    int32_t n_load, cap_load;
    CityGridPv *pv;
    int32_t n_pv, cap_pv;
    CityGridBattery *bat;
    int32_t n_bat, cap_bat;
    CityGridCharger *chg;
    int32_t n_chg, cap_chg;
    CityGridLights *lights;
    int32_t n_lights, cap_lights;
    CityGridEv *ev;
    int32_t n_ev, cap_ev;
    double (*profiles)[24];
    int32_t n_profiles, cap_profiles;
    GridCurve temperature, irradiance;
    /* device powers computed for the current period (kW, + = consumption) */
    double *load_kw_now, *load_kvar_now; /* per load, before voltage dependence */
    double *load_full_now;               /* per load, what it would draw without shedding */
    double *pv_kw_now;
    double *chg_kw_now;
    int32_t cap_now[5];       /* capacities of the five arrays above, in their order */
    double dev_t_s, dev_dt_s; /* time and period the device powers were evaluated for */
    bool dev_valid;           /* false after a device was added: re-evaluate before solving */

    GridPf pf;
};

/* grid_model.c */
CityStatus grid_fail(CityGrid *grid, CityStatus status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int32_t grid_map_get(const GridIdMap *map, int32_t key);
bool grid_map_put(GridIdMap *map, int32_t key, int32_t val);
void grid_map_free(GridIdMap *map);

/* grid_ybus.c */
/* Rebuilds Ybus (pattern and values) when the topology changed. */
CityStatus grid_ybus_build(CityGrid *grid);
/* Series/shunt admittances of a branch in MATPOWER's pi model. */
void grid_branch_y(const CityGridBranch *b, double complex *yff, double complex *yft, double complex *ytf,
                   double complex *ytt);
/* I = Ybus * V over all buses. */
void grid_ybus_mul(const GridPf *pf, const double complex *v, double complex *out);
void grid_pf_free(GridPf *pf);
/* A signature of the bus classes the solver structures were built for
 * (never 0): a cached pattern or tree is reused while it is unchanged. */
uint64_t grid_pf_class_signature(const GridPf *pf);

/* grid_nr.c */
CityStatus grid_nr_solve(CityGrid *grid, const CityPfOptions *o, CityPfReport *r);
/* Largest mismatch over the unknown equations; its bus index and kind. */
double grid_mismatch(CityGrid *grid, int32_t *worst, char *kind, double *rhs);

/* grid_solve.c */
/* Classifies the buses, sets the injections and runs the chosen method;
 * `warm` starts from the voltages of the previous pass. */
CityStatus grid_pf_pass(CityGrid *grid, const CityPfOptions *o, CityPfReport *r, bool warm);

/* grid_qlim.c */
/* Generator outputs from the solved voltages (needs ibus = Ybus V). */
void grid_gen_outputs(CityGrid *grid);
/* After a converged first pass: MATPOWER's Q-limit loop (runpf.m). */
CityStatus grid_qlim_enforce(CityGrid *grid, const CityPfOptions *o, CityPfReport *r);

/* grid_sweep.c */
CityStatus grid_sweep_solve(CityGrid *grid, const CityPfOptions *o, CityPfReport *r);

/* grid_state.c: what a run changes, in and out of a checkpoint */
CityStatus grid_state_save(const CityGrid *grid, CityStateWriter *out);
CityStatus grid_state_load(CityGrid *grid, CityStateReader *in);

/* grid_devices.c */
double grid_curve_at(const GridCurve *c, double t_s, double dflt);
/* Device powers at t for a period of dt_s (batteries see their feeder's net demand). */
CityStatus grid_devices_eval(CityGrid *g, double t_s, double dt_s);
/* Adds device demand and generation to the solver's bus injections. */
void grid_devices_inject(CityGrid *g);
/* EV charging power for the coming period. */
double grid_ev_power(const CityGrid *g, const CityGridEv *ev, double dt_h);
int32_t grid_find_sorted(const void *arr, int32_t n, size_t size, int32_t id);

#endif
