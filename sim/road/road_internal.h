/* The road subsystem's state, shared by its files (internal to sim/road).
 *
 * What the step uses of a vehicle sits in one record (RoadVehRec) per slot,
 * the slots kept in the order the step walks them; the rest is one array
 * per field, indexed by the vehicle's handle (its pool index, stable for
 * its life; see RoadVehicles). Each lane keeps the vehicles on it ordered
 * front first, so a vehicle's leader is the entry before it, and the step walks
 * only lanes that carry vehicles: cost grows with what moves, not with the
 * size of the map. */
#ifndef ROAD_INTERNAL_H
#define ROAD_INTERNAL_H

#include <stddef.h>

#include "city_road.h"
#include "city_strmap.h"
#include "road_demand.h"
#include "road_route.h"
#include "road_signals.h"

typedef struct RoadVType {
    CityVTypeDef def; /* id owned */
    double sqrt_ab;   /* 2 sqrt(a b), IDM interaction term */
} RoadVType;

typedef struct RoadRoute {
    char *id;             /* NULL for routes our router made */
    int32_t first, count; /* edges road->route_edges[first .. +count) */
} RoadRoute;

#define ROAD_LANEQ_INLINE 4 /* vehicles a lane queue holds in its own record (one cache line) */

/* One lane as the step sees it: the vehicles on it, front first,
 * v[head .. head+n), and copies of the net lane's fields every pass over the
 * active lanes reads. v is NULL before the lane's first vehicle, then `inl`
 * (capacity ROAD_LANEQ_INLINE) until the queue outgrows it, then a heap
 * array. A pass over the active lanes then finds a lane's length, speed
 * limit, edge and most queues in this one cache line, instead of one line
 * here, one in the net's lane and one in its edge: on a city whose lanes
 * outgrow the core's caches each of those is a miss per lane and pass. The
 * records never move (the array is made once; the net does not change). */
typedef struct RoadLaneQ {
    int32_t *v;
    double length_m;  /* net->lanes[l].length_m */
    double speed_mps; /* net->lanes[l].speed_mps */
    int32_t head, n, cap;
    int32_t edge;       /* net->lanes[l].edge */
    int16_t edge_lanes; /* lanes of that edge (net->edges[edge].lane_count, at most INT16_MAX) */
    bool internal : 1;  /* that edge lies inside a junction */
    bool merging : 1;   /* merge_head[lane] >= 0: a vehicle asks to merge in (a far line: read only then) */
    uint8_t seen;       /* CityRoad.seen_mark when road->tail_start[walk_at] holds its last vehicle as the step began
                           (road_tail_start); 0 otherwise */
    int32_t walk_at;    /* its place in the step's walk (road_plan_and_move): its tail is road->tail_start[walk_at] */
    int32_t inl[ROAD_LANEQ_INLINE];
} RoadLaneQ;
_Static_assert(sizeof(RoadLaneQ) == 64, "a lane queue record is one cache line");

#define ROAD_SEEN_NONE 3 /* a CityRoad.seen_read no lane's RoadLaneQ.seen takes */

/* A lane's last vehicle as the step began: what the speed choice and
 * junction admission of the vehicles behind it read (road_tail_start),
 * kept when the lane's vehicles move before theirs are planned. */
typedef struct RoadTail {
    double pos, speed, length_m; /* its front bumper along the lane, its speed and its type's length */
    double pad_;
} RoadTail;

/* What junction admission and the path ahead read of one connection, in
 * one cache line: the connection, its link's masks, its junction's first
 * link, what its light or sign shows and whether its exit lane is closed.
 * In the net these are the connection, the link, the junction, the masks,
 * the light's state string and the closures: on a city whose junctions
 * outgrow the core's caches, six misses
 * for every vehicle that asks at a stop line, every step. A light's state
 * is copied in when it is read (road_conn_shown) after the light changed
 * (its epoch moved on): a change costs the light one count, not a write to
 * each of its connections, most of which no vehicle reads before the next
 * change (on a 40x40 grid of fixed-time lights with few vehicles those
 * writes were an eighth of the step). */
typedef struct RoadConnQ {
    uint64_t cross, resp; /* the link's crossing (road->link_cross) and response masks when its junction has at
                             most 64 links (not WIDE) */
    double via_len_m;     /* length of the internal lanes crossed (made once: road_conns_init) */
    double to_len_m;      /* length of the exit lane */
    int32_t to_lane;
    int32_t first_lane; /* the first lane past the stop line: net->via[via_first], or to_lane */
    int32_t shown_at;   /* where its light shows its letter: road->shown_base[shown_at] (when tls >= 0) */
    int32_t link;       /* net link, or -1 */
    int32_t link_base;  /* the first link of its junction (bit k of a mask is link link_base + k) */
    int32_t tls;        /* the light that controls it, or -1 (state is then the net's, for good) */
    uint32_t epoch;     /* the light's epoch (CityRoad.tls_epoch) state was copied at */
    int16_t via_count;  /* internal lanes crossed (at most INT16_MAX: road_conns_init) */
    char state;         /* SUMO link state letter shown (of a light's: when epoch is its light's) */
    uint8_t flags;      /* ROAD_CQ_* */
} RoadConnQ;
_Static_assert(sizeof(RoadConnQ) == 64, "a connection's record is one cache line");
enum {
    ROAD_CQ_WIDE = 1,        /* its junction has more than 64 links: the masks are read from the net */
    ROAD_CQ_EXIT_CLOSED = 2, /* its exit lane is closed (road->lane_closed[to_lane]: road_closures_mirror) */
    ROAD_CQ_KEEP_CLEAR = 4,  /* its link has a foe: a vehicle enters only with room beyond (road_link_allowed) */
    ROAD_CQ_CONT = 8         /* its link has an internal junction (SUMO's cont) at the end of its first internal lane */
};

/* A lane's place on its edge and what its neighbours allow, for lane
 * changes (road_lanechange.c): one dense record instead of the net's lane,
 * its edge and both neighbour lanes (four cache lines on a big city). */
typedef struct RoadLaneSide {
    int32_t index;        /* position on the edge, 0 = rightmost */
    int32_t lanes;        /* lanes of the edge */
    uint32_t allow_right; /* vehicle classes the lane at index - 1 allows (0: none there) */
    uint32_t allow_left;  /* ... at index + 1 */
} RoadLaneSide;

/* What following a route reads of one connection (road->outs, per net
 * connection; a lane's are outs[out_first .. +out_count) of its
 * RoadLaneOut): where it leads, in 16 bytes, instead of the connection's
 * record, its exit lane's and the exit lane's closure (three cache lines,
 * far apart on a big map). Made once (the net does not change) but for
 * the closures, which road_closures_mirror copies in from road->lane_closed
 * when a lane opens or closes. */
typedef struct RoadOut {
    int32_t to_lane;
    int32_t to_edge;
    uint32_t allow; /* vehicle classes the exit lane allows */
    bool short_;    /* the exit lane is too short to change lanes on (ROAD_SHORT_EDGE_M) */
    bool closed;    /* the exit lane is closed */
} RoadOut;
/* A lane from which vehicles reach another through one junction: the lane
 * before the junction or one of the connection's internal lanes, and the
 * length of the internal lanes still between its end and the lane reached. */
typedef struct RoadFeed {
    int32_t lane;
    double ahead_m;
} RoadFeed;
/* What route following and lane choice read of a lane itself, beside its
 * connections: the classes it allows and whether it is closed (instead of
 * the net's lane record and road->lane_closed). The lanes of an edge are
 * consecutive, so an edge's records share a line. */
typedef struct RoadLaneOut {
    int32_t first, count; /* its connections: outs[first .. +count) */
    uint32_t allow;       /* vehicle classes it allows */
    bool closed;          /* road->lane_closed[lane] (road_closures_mirror) */
} RoadLaneOut;
#define ROAD_SHORT_EDGE_M 60.0 /* too short to change lanes on: plan the lane beyond it too */
/* A route is refused (and searched again without the turn) only where it
 * needs a lane change on an edge shorter than this: a car (5 m) fits on a
 * lane this long with room to start a change, which the lane-change scan
 * makes on any lane once the vehicle is wholly on it. With 60 m here
 * (ROAD_SHORT_EDGE_M, which only orders the lanes a vehicle prefers) the
 * router refused routes SUMO drives, and took U-turn detours round rings of
 * short edges instead: of center-p6's 275 trips, 18 routes differed from
 * duarouter's against 10 with 8 m; of jamsil-p1's 1,731, 151 against 52
 * (with the minor penalty counted per internal lane). */
#define ROAD_CHANGE_EDGE_M 8.0

/* A vehicle waiting to enter (departure time reached, no room yet). */
typedef struct RoadPending {
    RoadDeparture dep; /* name owned */
    int32_t route;     /* resolved route */
    uint64_t seq;      /* arrival order in the queue */
} RoadPending;

/* What the step reads and writes of one vehicle, in one record of two
 * cache lines. The first holds everything the passes over every vehicle
 * read and write of a vehicle in free flow: the lane-change scan (conn,
 * route_pos, route_n, and accel for every vehicle it evaluates), car
 * following (pos, speed, vtype, v0_factor) and movement (its trip figures
 * dist_m and time_loss_s, the junction link it holds, flags); those passes
 * touch one line a vehicle. The second holds what only vehicles standing,
 * at a lane end, in a junction or changing lanes read (halt_s: zero unless
 * ROAD_VF_HALTING is set or it creeps at a yield line; energy_kwh: zero
 * unless its type is electric; occ_left_m: while occ_link >= 0; route,
 * lane: the passes know the lane they walk). What lives only within a
 * step, or is counted down every step, is in RoadVehStep. The step visits
 * vehicles in lane order, and with the slots in that order (road_order.c)
 * the records come in address order: on a city whose vehicles outgrow the
 * core's caches, the fewer bytes a pass touches per vehicle, the more of
 * them stay cached from one pass to the next. */
typedef struct RoadVehRec {
    double pos;         /* front bumper along the lane (m) */
    double speed;       /* m/s at the start of the step */
    double v0_factor;   /* desired speed = factor * lane limit (capped by type max) */
    double dist_m;      /* distance driven */
    double time_loss_s; /* time lost against the desired speed */
    float accel;        /* last acceleration (m/s^2) */
    int32_t conn;       /* connection planned at the end of the current edge, or being crossed; -1 none */
    int32_t route_pos;  /* index of the current (or last normal) edge in the route */
    int32_t route_n;    /* edges in its route (road->routes[route].count) */
    int32_t occ_link;   /* junction link held until the tail clears it; -1 */
    int16_t vtype;      /* index in road->vtypes (at most ROAD_VTYPES_MAX types) */
    int8_t via_pos;     /* index in conn's via chain while inside a junction; -1 on a normal lane */
    uint8_t flags;      /* ROAD_VF_* */
    /* second cache line */
    double halt_s;           /* continuous standing time (0 unless ROAD_VF_HALTING, or creeping at a yield line:
                                road_creeps_at_yield) */
    double occ_left_m;       /* distance still to drive before releasing occ_link */
    double wait_s;           /* total standing time */
    double energy_kwh;       /* EV battery content (0 for other types) */
    int32_t route;           /* route index */
    int32_t lane;            /* current lane */
    int32_t stops;           /* moving -> standing transitions */
    int32_t stuck_lane;      /* the lane from which its missed turn last found no way on (road_lanechange.c), */
    uint32_t stuck_epoch;    /*   at closure epoch stuck_epoch - 1 (0: none; not saved: it only spares searches) */
    int32_t route_first;     /* road->routes[route].first: its edges are road->route_edges[route_first ..
                                + route_n) (what route following reads at each lane end, without the route's record) */
    int32_t far_conn;        /* the connection it takes at the end of conn's exit lane (road_follow.c), -1 none,
                                ROAD_FAR_UNKNOWN until asked (reset with conn and closures; not saved) */
} RoadVehRec;
_Static_assert(sizeof(RoadVehRec) == 128, "a vehicle record is two cache lines");
_Static_assert(offsetof(RoadVehRec, halt_s) == 64, "what the passes read in free flow fills the first line");
#define ROAD_FAR_UNKNOWN (-2)

/* What a vehicle's step keeps apart from its record, per slot, 16 bytes
 * (four vehicles a cache line, in the records' order): the speed chosen
 * for this step (written by car following, read by movement), the cap a
 * lane change sets for one step, and what the lane-change scan reads of
 * every vehicle, every step: its clock, and whether it is on the wrong
 * lane for its turn (so the scan reads no record of a vehicle it skips). */
typedef struct RoadVehStep {
    double next_speed; /* m/s chosen for this step */
    float lc_vmax_mps; /* this step's speed cap to drop behind a vehicle on the lane it must change to */
    int16_t lc_wait;   /* ticks until the next lane-change evaluation (a second's ticks at most: 1000) */
    bool wrong;        /* conn < 0 && route_pos + 1 < route_n (kept by road_set_conn) */
    bool stay;         /* not wrong, and no lane beside its own leads on along its route: it changes lanes on
                          this edge only if that changes (cleared by road_set_conn, road_route_begin and a
                          closure; set by the lane-change evaluation, which then skips it: road_lanechange.c) */
} RoadVehStep;
_Static_assert(sizeof(RoadVehStep) == 16, "four step records a cache line");

/* The lanes of a vehicle's current edge from which its route goes on
 * (road_good_lanes), per slot, 8 bytes, apart from its record: what the
 * lane-change evaluation reads of a vehicle it looks at then stays in the
 * record's first line (RoadVehRec) on a lane that leads on. Computed for
 * its route position route_pos (-1: not computed; a new route sets it so:
 * road_route_begin) and the closures of epoch closure_epoch & 0xff
 * (road_good_valid). A cache only (the
 * lanes follow from the route, the position and the closures): not
 * saved in checkpoints. */
typedef struct RoadGood {
    int32_t route_pos;
    uint8_t epoch;
    int8_t lo, hi; /* first and last lane index on the edge; hi < 0: none */
    uint8_t pad_;
} RoadGood;
_Static_assert(sizeof(RoadGood) == 8, "eight good-lane records a cache line");

#define ROAD_VTYPES_MAX INT16_MAX /* vehicle types a road holds (RoadVehRec.vtype) */

/* A vehicle has a handle, its pool index (CityId {index, generation}: what
 * readers, couplings, arrivals, the state hash and checkpoints see, stable
 * for its life), and a slot: where its step record sits, the `v` of the
 * step. Every ROAD_REORDER_PERIOD_S the records are put in the order the
 * step walks them (active lanes, each front first; road_order.c), so each
 * pass reads memory in address order instead of one vehicle here, the next
 * anywhere; between reorders new vehicles take the slots after the last. */
typedef struct RoadVehicles {
    CityPool pool;
    uint32_t cap;     /* of every array below */
    uint32_t n_slots; /* slots in use (live, or freed since the last reorder) */
    /* per slot */
    RoadVehRec *rec;     /* the step's fields (64-byte aligned) */
    RoadVehRec *rec_alt; /* the reorder's second buffer */
    RoadVehStep *step;   /* per-step fields (RoadVehStep) */
    RoadGood *good;      /* the lanes of its edge that lead on along its route, cached (road_good_lanes) */
    int32_t *handle;     /* the vehicle's pool index; -1 for a slot freed since the last reorder */
    int32_t *live_pos;   /* position in live */
    int32_t *order;      /* the reorder's scratch: old slot of each new slot, then of each handle */
    /* per handle (pool index) */
    int32_t *slot;          /* where its record is; -1 when free */
    double *depart_s;       /* when it got on the road */
    double *depart_delay_s; /* how long it waited for room after its scheduled departure */
    double *ev_start_kwh;   /* EV battery content when it set off */
    double *edge_enter_s;   /* when it entered the current edge */
    char **name;
    /* readers' order */
    int32_t *live; /* dense list of the live vehicles' slots (slot order of the readers) */
    uint32_t n_live;
} RoadVehicles;

#ifndef ROAD_REORDER_PERIOD_S /* (a build option only to measure its effect) */
/* Records are put back in lane order this often (sim time). The reorder
 * rewrites every record; between reorders the vehicles that changed lanes
 * or crossed a junction are read out of address order. At 1 s steps a
 * period of 1 s made the reorder 5 to 9 % of the step's time on 10x10 and
 * 40x40 grids, and 2 s was 6 to 8 % quicker than 1 s. Against 2 s, in
 * alternating runs (best of 4 to 8 each): 8 s is 3.9 % quicker on the 40x40
 * grid at 1 s and 2.0 % at 0.1 s, 2.8 % / 1.1 % on the 10x10 grid, and the
 * same on center-p6 and Jamsil; 4 s is between the two and 16 s slower
 * than 8 s (40x40, 1 s). */
#define ROAD_REORDER_PERIOD_S 8.0
#endif

enum {
    ROAD_VF_HALTING = 1,         /* standing now */
    ROAD_VF_GRIDLOCK = 2,        /* gridlock warning already given */
    ROAD_VF_STOPPED_AT_LINE = 4, /* made the full stop a stop/all-way sign asks for */
    ROAD_VF_ARRIVED = 8,
    ROAD_VF_PULLED_IN = 16, /* waited at the line through a yielding green: clears the junction on red */
    ROAD_VF_ABORT = 32,     /* cannot reach its destination: leaves at the end of its lane */
    ROAD_VF_TELEPORT = 64,  /* stood time_to_teleport_s: moved on at the end of this step */
    ROAD_VF_LINE_G = 128    /* within one step only (set by car following, cleared by movement): the line
                               ahead shows 'g' (road_follow.c) */
};

/* A vehicle that must change into a lane for its next turn and finds no
 * gap asks the vehicles behind on that lane to open one (SUMO's
 * cooperative lane changing, reduced to its core). */
typedef struct RoadMerge {
    int32_t lane;  /* the lane asked to open a gap */
    int32_t next;  /* next request on the same lane, -1 */
    double back_m; /* where the merging vehicle's back is */
    double speed_mps;
} RoadMerge;

/* A vehicle that left the road during movement; COMMIT removes it. */
typedef struct RoadLeaving {
    int32_t v;    /* pool index (still live until COMMIT) */
    bool arrived; /* reached its destination; false: trip aborted */
} RoadLeaving;

typedef struct RoadEdgeStats {
    uint32_t entered, left;
    double travel_s; /* summed traversal times of vehicles that left */
} RoadEdgeStats;

/* What movement adds up per edge every step, apart from the counts (16
 * bytes an edge: four a cache line, instead of the 40-byte record). */
typedef struct RoadEdgeFlow {
    double sampled_s; /* vehicle-seconds on the edge */
    double dist_m;    /* vehicle-metres on the edge */
} RoadEdgeFlow;

/* A field that a run changes is also saved in road_state.c (checkpoints;
 * test_checkpoint fails on a restore that misses one). */
#define ROAD_KPI_REFS 18 /* the KPIs road_publish_kpis sets */

struct CityRoad {
    CityWorld *world;
    CityKpiRef kpi_ref[ROAD_KPI_REFS]; /* where its KPIs are kept (road_publish_kpis) */
    CityRoadNet *net;
    CityRoadOptions opt;
    CityRng *rng;        /* the "road" stream */
    CityRng *demand_rng; /* the "road_demand" stream: random flows and OD matrices draw their departures from
                            it alone, so that the trips a scenario makes depend on its seed, not on its traffic
                            (made with the first such definition; NULL before) */
    RoadSignals *signals;
    RoadConnQ *connq;        /* per net connection: what junction admission reads, with what its light shows now */
    const char *shown_base;  /* the lights' shown strings (road_signals_shown_base) */
    uint32_t *tls_epoch;     /* per light: moves on when what it shows may change (RoadConnQ.epoch); [-1]: none, 0 */
    RoadLaneSide *lane_side; /* per net lane (road_lanechange.c) */
    RoadOut *outs;           /* per net connection: where it leads (road_vehicles.c) */
    RoadLaneOut *lane_out;   /* per net lane: its connections in outs */
    int32_t *feed_first;     /* per net lane + 1: the lanes whose vehicles enter it next, */
    RoadFeed *feed;          /*   feed[feed_first[l] .. feed_first[l + 1]) (road_vehicles.c) */
    RoadRouter *router;
    RoadRouteMemo *route_memo; /* departures' routes under free-flow costs (no state: a speed-up) */
    RoadDemand *demand;
    struct {
        uint32_t vclass_mask;         /* classes whose trips are not made (0: slot free) */
        double zone_m[4];             /* x0, y0, x1, y1 of the first edge's start (x1 < x0: anywhere) */
    } access[CITY_ROAD_RESTRICT_MAX]; /* city_road_restrict */

    RoadVType *vtypes;
    int32_t n_vtypes, cap_vtypes;
    double longest_m; /* the longest type's length: no back sticks out farther over a line (road_overhang_back) */
    int32_t default_vtype;
    int32_t mix_vtype[CITY_ROAD_MIX_MAX]; /* city_road_set_default_mix: types behind the default car */
    double mix_share[CITY_ROAD_MIX_MAX];  /* and their shares of its trips */
    int32_t n_mix;
    RoadRoute *routes;
    int32_t n_routes, cap_routes;
    int32_t *route_edges;
    int32_t n_route_edges, cap_route_edges;
    CityStrMap vtype_index, route_index; /* id -> index (keys: the ids) */

    RoadVehicles veh;
    RoadLaneQ *lanes; /* per net lane */
    int32_t *lane_n;  /* per net lane: vehicles on it (lanes[l].n), for what reads only counts: 16 lanes a cache line */
    int32_t *active;  /* lanes with vehicles (in activation order) */
    int32_t n_active, cap_active;
    int32_t *active_pos; /* lane -> -1 when not in active; >= 0 when in it (its exact position only in checkpoints) */
    int32_t n_active_sorted; /* active[0 .. n) is in lane order (the rest came since the last compaction) */
    int32_t *active_tmp;     /* merge buffer, one per lane */
    int32_t *active_sort;    /* sort buffer for the lanes new to the list, one per lane */
    int32_t *held;    /* the step's lanes whose front waits for junction admission (active positions), one per lane */
    int32_t *recheck; /* the step's lanes that may have emptied (active positions), one per lane */
    /* per place in the step's walk over the active lanes (RoadLaneQ.walk_at): a lane's last vehicle as the
     * step began, once the lane has moved (RoadLaneQ.seen). Indexed by lane, the walk wrote one line for
     * each active lane, lines far apart on a big map (40x40 grid: some 5,600 active lanes of 55,360); in
     * the walk's order the writes fill consecutive lines. */
    RoadTail *tail_start;
    uint8_t seen_mark; /* this step's RoadLaneQ.seen: 1 and 2 in turn */
    uint8_t seen_read; /* what road_tail_start trusts: seen_mark until the vehicles that wait at junctions
                          have moved, then ROAD_SEEN_NONE */
    int32_t *released; /* junction links the step's movement gave back before admission has run */
    int32_t n_released, cap_released;
    bool *lane_closed;
    uint32_t closure_epoch; /* bumped when a lane opens or closes (invalidates cached lane choices) */

    /* per lane, what the lights are told besides the counts (lane_n) */
    double *sense_detect_s;

    /* junction links */
    uint16_t *link_occupied; /* vehicles holding the link (road_link_hold, road_link_unhold) */
    uint64_t *link_held;     /* the links held (link_occupied > 0), in each junction's own words: bit k of word
                                link_first + w is link link_first + 64 w + k, as in its masks, so admission
                                masks a link's crossing links with one word instead of reading each count */
    uint64_t *link_cross;    /* per link, in the net's mask layout (foes' place): the foes whose paths cross or
                                merge with its own, held up by a vehicle inside the junction (road_junction.c) */
    uint8_t *link_blocked;   /* set by a coupling (a person on a crossing): not entered; NULL until first set */
    double *link_eta;        /* earliest arrival of an approaching vehicle, this step's registrations */
    double *link_eta_prev;   /* ... from the previous step (what decisions read) */
    int32_t *link_touched;
    int32_t n_touched, cap_touched;
    int32_t *link_touched_prev;
    int32_t n_touched_prev, cap_touched_prev;

    CityRoadArrival *arrivals; /* vehicles that arrived during tick arrivals_tick (names owned) */
    int32_t n_arrivals, cap_arrivals;
    int64_t arrivals_tick; /* the tick the list belongs to (-1: none yet) */
    RoadMerge *merges;
    int32_t n_merges, cap_merges;
    int32_t *merge_head; /* per lane: first request, -1 */

    /* per edge */
    RoadEdgeStats *edge_stats;
    RoadEdgeFlow *edge_flow;
    double *edge_tt_s;    /* current travel-time estimate per edge (routing) */
    double stats_begin_s; /* start of the current aggregation interval */

    RoadPending *pending;
    int32_t n_pending, cap_pending;
    uint64_t pending_seq;
    bool started; /* the first step ran (it inserts what is due at the start) */
    /* The step's periodic work in ticks (the tick length is fixed once the
     * road exists; 0: not yet known) and the next tick each is looked at
     * (0: not known; a restore resets it): road_step.c. */
    int64_t reorder_every, kpi_every;
    int64_t next_reorder_tick, next_kpi_tick;

    RoadLeaving *leaving; /* this step's leavers, in the order they left */
    int32_t n_leaving, cap_leaving;

    /* scratch */
    int32_t *scratch;
    int32_t cap_scratch;
    int32_t *insert_block;
    int32_t insert_stamp; /* per edge, see road_insert_pending */
    int32_t *route_buf;
    int32_t cap_route_buf;
    int32_t *route_kept; /* road_route_search: the last route found, while it searches again */
    int32_t cap_route_kept;

    CityRoadStats stats;
    double sum_speed; /* this step */
    uint64_t emergency_brakes;
    uint64_t missed_turns;
    uint64_t lane_swaps; /* pairs of vehicles blocking each other's turn that swapped places (road_lanechange.c) */
    uint64_t closure_reroutes; /* vehicles sent another way when a lane on their route closed */
    uint64_t trips_aborted;
    int32_t *teleport_due; /* vehicles to move on at the end of this step (ROAD_VF_TELEPORT) */
    int32_t n_teleport_due, cap_teleport_due;
    /* vehicles that, in this step, stood at their line past
     * ROAD_MISSED_TURN_S for the lane of one that waits for theirs
     * (road_turns_held_mutually): COMMIT has one of each pair give its turn up */
    int32_t *give_up;
    int32_t n_give_up, cap_give_up;
    uint64_t *teleport_order; /* ... and where each stood: (active position << 32) + place in its lane */
    int32_t cap_teleport_order;
    /* vehicles that could not reach their destination (logged) */ /* turns given up for want of a gap (rerouted) */
    CityTable *trips;
    CityTable *edges_table;
    CityError err; /* what the demand and the lights last refused */
};

/* road_junction.c: the per-connection records (road->connq), made once
 * (the net does not change), and the lights' epochs. */
bool road_conns_init(CityRoad *road);
void road_conns_free(CityRoad *road);
/* Marks the connections of the lights that changed since the last call
 * (creation, restore, the start of every step) to be read again: one count
 * per light changed. */
void road_tls_shown_refresh(CityRoad *road);
/* ... every light, whether it was listed as changed or not (a restore). */
void road_tls_shown_reset(CityRoad *road);
/* The state letter connection ci shows now (see RoadConnQ). */
char road_conn_shown_refresh(CityRoad *road, int32_t ci);
static inline char road_conn_shown(CityRoad *road, int32_t ci)
{
    const RoadConnQ *q = &road->connq[ci];
    if (q->epoch != road->tls_epoch[q->tls]) /* (never for tls -1: road_conns_init) */
        return road_conn_shown_refresh(road, ci);
    return q->state;
}

/* Whether a state letter stops traffic: red, red-yellow or yellow (a
 * vehicle that can stop there does; road_link_allowed). */
static inline bool road_state_stops(char st)
{
    return st == 'r' || st == 'u' || st == 'y' || st == 'Y';
}

/* road_lanechange.c: the lanes' RoadLaneSide records, made once. */
bool road_lane_sides_init(CityRoad *road);

/* road.c */
int32_t road_route_store(CityRoad *road, const char *id, const int32_t *edges, int32_t n);
/* The fastest route from -> via... -> to for a class into road->route_buf
 * (costs NULL: free flow), one that can be driven lane by lane: the router
 * keeps off closed lanes, and a turn where the route breaks through the
 * short edges of joined junctions (too short to change lanes on: a turn
 * the edges allow from which no lane leads on) is banned and the search
 * made again, a few times; when no route avoids the banned turns, the last
 * one found stands (its vehicles change lanes on the short edges, or miss
 * the turn and reroute). Returns its length, -1 when there is none,
 * INT32_MIN when out of memory. */
int32_t road_route_search(CityRoad *road, int32_t from, int32_t to, const int32_t *via, int32_t n_via, uint32_t vclass,
                          const double *cost);
/* After a lane closed: the vehicles on the road (not inside a junction)
 * and those waiting to enter whose rest of route makes a turn the closure
 * forbids take the route road_route_search finds from where they are. */
CityStatus road_reroute_blocked(CityRoad *road);
/* A route to depart on (a waiting vehicle's, or a declared one falling due)
 * that a closed lane cuts: *route becomes the fastest way round, counted in
 * closure_reroutes; unchanged when nothing is closed on it or there is no
 * way round. CITY_ERR_NOMEM only when out of memory. */
CityStatus road_route_around_closures(CityRoad *road, int32_t *route, uint32_t vclass);
CityStatus road_fail(CityRoad *road, CityStatus status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* road_lanes.c: lane queues and the active-lane list */
CityStatus road_lane_push_back(CityRoad *road, int32_t lane, int32_t v);
CityStatus road_lane_insert_sorted(CityRoad *road, int32_t lane, int32_t v);
void road_lane_remove(CityRoad *road, int32_t lane, int32_t v);
void road_lane_pop_front(CityRoad *road, int32_t lane);
static inline int32_t road_lane_count(const CityRoad *road, int32_t lane)
{
    return road->lane_n[lane];
}
/* Length and speed limit of a lane, read with its queue (see RoadLaneQ). */
static inline double road_lane_length(const CityRoad *road, int32_t lane)
{
    return road->lanes[lane].length_m;
}
static inline double road_lane_speed(const CityRoad *road, int32_t lane)
{
    return road->lanes[lane].speed_mps;
}
static inline int32_t road_lane_at(const CityRoad *road, int32_t lane, int32_t i)
{
    return road->lanes[lane].v[road->lanes[lane].head + i];
}
void road_lanes_compact_active(CityRoad *road, const int32_t *recheck, int32_t n_recheck);
/* A hint to fetch the cache line at p. GCC's dead-code elimination drops
 * a __builtin_prefetch that sits alone in a branch (GCC 12), so on x86 it
 * is an instruction the compiler must keep. */
static inline void road_prefetch(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p);
#endif
}

/* The passes over the active lanes ask the memory for what they read a
 * few lanes ahead (plan_prefetch, scan_prefetch, settle_prefetch).
 * Behaviour is unchanged; on a map whose vehicles outgrow the caches the
 * misses then overlap instead of coming one by one. With fewer than
 * ROAD_PREFETCH_MIN_ACTIVE lanes active what the passes read (a few
 * kilobytes) stays in the core's caches from one pass to the next, and the
 * hints were a tenth of the step's instructions (center-p6 at 1 s). */
#define ROAD_PREFETCH_MIN_ACTIVE 64
/* The hints for the lines found through other lines (a front vehicle's
 * junction, a crossing vehicle's next lanes and connections, a lane-change
 * candidate's neighbours) pay only once what a step reads outgrows the
 * core's second-level cache: with about 2,000 lanes active, some 2,700
 * vehicles (on the 10x10 grid, 330 lanes, they were 5 % more instructions
 * and no gain; on the 40x40 grid, 7,200 lanes, they took 3 to 6 % off the
 * step). */
#define ROAD_PREFETCH_DEEP_MIN_ACTIVE 2048

/* The connections of lane `lane` (its RoadOut records, up to two lines). */
static inline void road_prefetch_outs(const CityRoad *road, int32_t lane)
{
    RoadLaneOut lo = road->lane_out[lane];
    if (lo.count > 0) {
        road_prefetch(&road->outs[lo.first]);
        road_prefetch(&road->outs[lo.first + lo.count - 1]);
    }
}

/* Whether vehicle v's cached good lanes (RoadGood) hold for where it is now. */
static inline bool road_good_valid(const CityRoad *road, int32_t v)
{
    const RoadGood *g = &road->veh.good[v];
    return g->route_pos == road->veh.rec[v].route_pos && g->epoch == (uint8_t)road->closure_epoch;
}

/* Forgets vehicle v's cached good lanes (RoadGood): a restore. */
static inline void road_good_forget(CityRoad *road, int32_t v)
{
    road->veh.good[v].route_pos = -1;
}

/* Puts vehicle v at the start of stored route `route` (a trip that
 * begins, a reroute, a turn given up): where a vehicle's route changes,
 * and so where what was cached from the old one (the good lanes) is
 * forgotten. The caller then plans its connection (road_set_conn). */
static inline void road_route_begin(CityRoad *road, int32_t v, int32_t route)
{
    RoadVehRec *r = &road->veh.rec[v];
    r->route = route;
    r->route_first = road->routes[route].first;
    r->route_n = road->routes[route].count;
    r->route_pos = 0;
    road_good_forget(road, v);
    road->veh.step[v].stay = false;
}

/* Flips link j's bit in road->link_held (its count just left or reached 0). */
static inline void road_link_held_flip(CityRoad *road, int32_t j)
{
    int32_t base = road->net->junctions[road->net->links[j].junction].link_first;
    road->link_held[base + (j - base) / 64] ^= 1ull << ((j - base) % 64);
}

/* One more vehicle holds link j. */
static inline void road_link_hold(CityRoad *road, int32_t j)
{
    if (road->link_occupied[j]++ == 0)
        road_link_held_flip(road, j);
}

/* One vehicle fewer holds link j. */
static inline void road_link_unhold(CityRoad *road, int32_t j)
{
    if (--road->link_occupied[j] == 0)
        road_link_held_flip(road, j);
}

/* Sets vehicle v's planned connection (after any change of its route or
 * route position) and the wrong-lane mark the lane-change scan reads. */
static inline void road_set_conn(CityRoad *road, int32_t v, int32_t conn)
{
    RoadVehRec *r = &road->veh.rec[v];
    r->conn = conn;
    r->far_conn = ROAD_FAR_UNKNOWN;
    road->veh.step[v].wrong = conn < 0 && r->route_pos + 1 < r->route_n;
    road->veh.step[v].stay = false;
}

/* x in units of 1/unit (a power of two: 0x1p32 for 2^-32), rounded to
 * the nearest whole number (halves away from zero). The step's mean speed
 * adds such whole numbers, one per lane: exact, so the sum is the same
 * whatever order the lanes are walked in, and a change of that order
 * leaves the mean speed (and the KPIs and world hash made from it) alone. */
static inline int64_t road_fixed(double x, double unit)
{
    double s = x * unit; /* (exact: a power of two) */
    return (int64_t)(s + (s >= 0.0 ? 0.5 : -0.5));
}

/* The handle (pool index) of the vehicle in slot v: what its per-handle fields are indexed by. */
static inline int32_t road_handle(const CityRoad *road, int32_t v)
{
    return road->veh.handle[v];
}

/* road_order.c: puts the vehicle records in the order the step walks them
 * (COMMIT, after insertions; no leaver or teleport may be pending). The
 * model's behaviour does not depend on slots; handles stay. */
void road_vehicles_reorder(CityRoad *road);

/* road_vehicles.c: the route-following records (road->outs, lane_out), made once */
bool road_outs_init(CityRoad *road);
/* Copies road->lane_closed of `lane` (every lane when -1) into the records
 * that keep it beside what else they hold (RoadLaneOut, RoadOut, RoadConnQ). */
void road_closures_mirror(CityRoad *road, int32_t lane);

/* road_vehicles.c: storage, arrival */
CityStatus road_vehicles_reserve(CityRoad *road, uint32_t n);
/* road_insert.c: inserts the vehicles due by now_s that find room (COMMIT; and the first step). */
CityStatus road_insert_pending(CityRoad *road, double now_s);
/* road_insert.c: the fastest exact departure speed a vehicle of type t
 * (own_factor > 0: its own speed factor; else the type's) may keep on lane
 * `lane` of edge `edge` (-1: on the best lane its class may use) by SUMO's
 * rule; INFINITY when no lane of the edge is one it may use. */
double road_depart_speed_max(const CityRoad *road, const CityVTypeDef *t, double own_factor, int32_t edge,
                             int32_t lane);
/* road_vehicles.c: notes that vehicle v, already taken off its lane, leaves the road (PHYSICS). */
CityStatus road_leave(CityRoad *road, int32_t v, bool arrived);
/* Removes the noted leavers in the order they left, at time now_s (COMMIT):
 * arrivals are recorded as trips and published, aborted trips counted. */
CityStatus road_remove_leavers(CityRoad *road, double now_s);
/* True when `lane` has a connection onto edge `to` that `vclass` may use. */
bool road_lane_reaches(const CityRoad *road, int32_t lane, int32_t to, uint32_t vclass);
/* The connection a vehicle on normal lane `lane` takes to reach the next
 * edge of its route, or -1 (last edge, or no connection from this lane). */
int32_t road_plan_conn(const CityRoad *road, int32_t v, int32_t lane);
/* The same as if the vehicle were at route position rp. */
int32_t road_plan_conn_at(const CityRoad *road, int32_t v, int32_t lane, int32_t rp);
/* Lanes of the current edge (that of v's lane `lane`) that connect to the next route edge: [lo, hi], or false. */
bool road_good_lanes(CityRoad *road, int32_t v, int32_t lane, int32_t *lo, int32_t *hi);
/* The speed vehicle v (of type t, which the caller has at hand) wishes to
 * drive on lane `lane`: the lane's limit times its factor, at most its
 * type's top speed (road_desired_speed looks the type up). */
static inline double road_desired_speed_t(const CityRoad *road, const RoadVType *t, int32_t v, int32_t lane)
{
    double limit = road_lane_speed(road, lane) * road->veh.rec[v].v0_factor;
    double vmax = t->def.max_speed_mps;
    return limit < vmax ? limit : vmax;
}
static inline double road_desired_speed(const CityRoad *road, int32_t v, int32_t lane)
{
    return road_desired_speed_t(road, &road->vtypes[road->veh.rec[v].vtype], v, lane);
}

/* road_state.c: checkpoints ("road" saves the state its phases share) */
CityStatus road_state_save(const CityWorld *world, const void *self, CityStateWriter *out);
CityStatus road_state_load(CityWorld *world, void *self, CityStateReader *in);
/* road_state_check.c: whether every index of a restored road lies in its
 * network and pools (false with the reader's error set). */
bool road_state_check(CityRoad *road, CityStateReader *in);

/* road_step.c: registers the road's step, one world subsystem per phase;
 * `owner` carries the hooks of the "road" entry (hash, destroy, finish).
 * On an error after that entry is registered the world owns the road. */
CityStatus road_step_register(CityWorld *world, CityRoad *road, const CitySubsystemDef *owner);

/* road_arrivals.c: the published list of this tick's arrivals (what
 * couplings read). Takes the vehicle's name: call just before its slot is freed. */
CityStatus road_arrival_record(CityRoad *road, int32_t v, double now_s);

/* road_ev.c: EVs' energy. */
void road_ev_defaults(CityVTypeDef *def, uint32_t vclass);
CityStatus road_ev_check_vtype(CityRoad *road, const CityVTypeDef *def);
/* Spends one step's energy of EV v: it ends the step at speed_mps after accelerating at accel_mps2, disp_m on. */
void road_ev_drive(CityRoad *road, int32_t v, double speed_mps, double accel_mps2, double disp_m, double dt_s);
/* Sets the battery of a vehicle of type def that enters (0 unless electric). */
void road_ev_depart(CityRoad *road, int32_t v, const CityVTypeDef *def);
/* Books the battery of a vehicle that leaves the road. */
void road_ev_leave(CityRoad *road, int32_t v);
/* The type of a trip that names none: the default car or one of the mix. */
int32_t road_ev_pick_vtype(CityRoad *road);
void road_arrivals_free(CityRoad *road);

/* road_output.c */
CityStatus road_record_trip(CityRoad *road, int32_t v, double now_s);
/* The row formatting of trips.csv and edges.csv, without printf: a CSV
 * field (quoted when it holds , " or a newline; at most len bytes with its
 * NUL) and a number as "%.3f" prints it, byte for byte. Both return the
 * end of what they appended (no NUL); a number takes fewer than
 * ROAD_FIXED3_MAX bytes. */
#define ROAD_FIXED3_MAX 320
char *road_put_csv_field(char *p, size_t len, const char *s);
char *road_put_fixed3(char *p, double x);
CityStatus road_flush_edges(CityRoad *road, double now_s);
void road_publish_kpis(CityRoad *road);

#endif
