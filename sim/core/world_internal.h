/* Private layout of CityWorld, shared by the core's own files only. */
#ifndef CITY_WORLD_INTERNAL_H
#define CITY_WORLD_INTERNAL_H

#include "city_array.h"
#include "city_world.h"

typedef struct CitySubsystem {
    CitySubsystemDef def; /* copy of the definition; def.name is owned */
    void *self;           /* subsystem state, owned by the world */
    bool woken;           /* run on the next eligible phase even if not due */
    uint64_t wall_ns;     /* wall time in its step while accounting is on (never hashed or saved) */
} CitySubsystem;

typedef struct CityTimedEvent {
    int64_t tick;   /* when it fires */
    uint64_t seq;   /* insertion number: breaks ties in scheduling order */
    CityEventFn fn; /* what to call */
    void *user;     /* passed back to fn */
    int64_t arg;    /* passed back to fn */
} CityTimedEvent;

typedef struct CityRngStream {
    char *name;   /* subsystem name the stream belongs to */
    CityRng *rng; /* heap-allocated so pointers stay stable */
} CityRngStream;

typedef struct CityKpi {
    char *name;    /* KPI name (kept sorted) */
    double value;  /* current value */
    uint32_t next; /* a hint: the slot set right after this one last time (checked by name before use) */
} CityKpi;

struct CityTable {
    char *name;   /* file stem: written as <name>.csv */
    char *header; /* CSV header row with units */
    char *data;   /* rows, each ending in '\n' */
    size_t len;   /* bytes used in data */
    size_t cap;   /* bytes allocated for data */
    size_t rows;  /* row count */
};

typedef struct CityReseedHook {
    void (*fn)(void *self, uint64_t mixed); /* reseeds the streams self keeps */
    void *self;                             /* the subsystem's (not owned) */
} CityReseedHook;

typedef struct CityEventName {
    char *name;     /* stable name written into checkpoints */
    CityEventFn fn; /* the callback */
    void *user;     /* its user pointer */
} CityEventName;

struct CityWorld {
    uint64_t seed;       /* run seed */
    int32_t dt_ms;       /* tick length */
    int64_t tick;        /* current tick: state is at tick*dt_ms */
    bool locked;         /* true while a step runs */
    bool stop_requested; /* set by city_world_stop */

    CitySubsystem *subsystems; /* in registration order */
    bool finished;             /* city_world_finish ran */
    size_t n_subsystems, cap_subsystems;
    uint32_t *by_phase;                         /* subsystem indices by phase, registration order within one */
    uint32_t phase_first[CITY_PHASE_COUNT + 1]; /* phase p's are by_phase[phase_first[p] .. phase_first[p+1]) */

    CityTimedEvent *events; /* binary min-heap on (tick, seq) */
    size_t n_events, cap_events;
    uint64_t next_seq;
    CityEventName *event_names; /* named callbacks (checkpoints) */
    size_t n_event_names, cap_event_names;

    CityRngStream *streams; /* sorted by name */
    size_t n_streams, cap_streams;
    CityReseedHook *reseeds; /* city_world_on_reseed, in registration order */
    size_t n_reseeds, cap_reseeds;

    CityKpi *kpis; /* sorted by name */
    size_t n_kpis, cap_kpis;
    size_t kpi_last; /* the slot set last (see CityKpi.next) */
    uint32_t kpi_gen; /* the layout of kpis: moves on when a KPI is added or the list restored (CityKpiRef) */

    CityCheck *checks; /* declaration order */
    size_t n_checks, cap_checks;

    CityTable **tables; /* creation order */
    size_t n_tables, cap_tables;

    CityLogSink log_sink; /* may be NULL */
    void *log_user;
    uint64_t log_count;
    char *early_log; /* lines logged at tick 0 before a sink was set: "kind\0message\0"... */
    size_t early_len, early_cap;
    uint64_t early_dropped; /* lines beyond CITY_EARLY_LOG_MAX bytes */

    CityError error; /* last error */

    CityWallClock wall_clock; /* per-subsystem wall-time accounting when set (app-supplied clock) */
    void *wall_user;
    uint32_t wall_one_in;    /* the account times one tick in this many (a power of two; 0 or 1: every tick) */
    uint64_t events_wall_ns; /* wall time in timed events (scenario callbacks, checks, series) */
};

void city_world_free_reports(CityWorld *world);

/* The KPIs' places changed (one added, the list restored): refs taken before look again. */
void city_world_kpis_moved(CityWorld *world);

#endif
