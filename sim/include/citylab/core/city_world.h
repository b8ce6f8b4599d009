/* The world: integer clock, fixed-order multi-rate scheduler, timed events,
 * per-subsystem RNG streams, KPIs, checks, output tables, event log and the
 * state hash. Plain C: no SDL, no Lua.
 *
 * One step advances the clock from tick t to t+1 (t*dt_ms to (t+1)*dt_ms):
 *   1. timed events due at t fire, in (tick, insertion order);
 *   2. subsystems due at t run, phase by phase (SENSE, CONTROL, PHYSICS,
 *      COMMIT, REPORT), in registration order inside a phase;
 *   3. the clock advances.
 * Sensors sample the world in SENSE, controllers act on those readings in
 * CONTROL, physical subsystems advance in PHYSICS, spawns and removals apply
 * in COMMIT, and REPORT records outputs. The world is locked while a step
 * runs: adding subsystems then is refused. */
#ifndef CITY_WORLD_H
#define CITY_WORLD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_hash.h"
#include "city_ids.h"
#include "city_rng.h"
#include "city_state.h"
#include "city_status.h"

#define CITY_DEFAULT_DT_MS 100 /* tick length when neither the scenario nor --dt sets one */
#define CITY_DT_MS_MIN 1       /* shortest tick the world accepts (ms) */
#define CITY_DT_MS_MAX 3600000 /* longest tick the world accepts (ms): one hour */
#define CITY_KPI_PERIOD_S 10.0 /* running KPIs and live charts are refreshed this often (and at the end) */

/* True when dt_ms is a tick length the world accepts: the one range check
 * that the CLI, the scenario runtime and the world all use. */
static inline bool city_dt_ms_valid(int64_t dt_ms)
{
    return dt_ms >= CITY_DT_MS_MIN && dt_ms <= CITY_DT_MS_MAX;
}

typedef struct CityWorld CityWorld;

typedef enum CityPhase {
    CITY_PHASE_SENSE = 0, /* sensors sample state(t) */
    CITY_PHASE_CONTROL,   /* controllers act on readings through devices */
    CITY_PHASE_PHYSICS,   /* vehicles, pedestrians, power flows advance */
    CITY_PHASE_COMMIT,    /* deferred spawns and removals apply */
    CITY_PHASE_REPORT,    /* KPIs, time series, logs */
    CITY_PHASE_COUNT
} CityPhase;

typedef struct CitySubsystemDef {
    const char *name;     /* unique, also names its RNG stream; copied */
    CityPhase phase;      /* where in the step it runs */
    int32_t period_ticks; /* >= 1: every N ticks; 0: event-driven (only when woken) */
    int32_t offset_ticks; /* runs on ticks where (tick - offset) % period == 0 */
    /* Advances the subsystem at `tick`; an error stops the run. */
    CityStatus (*step)(CityWorld *world, void *self, int64_t tick);
    /* Adds the subsystem's whole state to the world hash (may be NULL). */
    void (*hash)(const CityWorld *world, const void *self, CityHash *hash);
    /* Frees self when the world is destroyed (may be NULL). */
    void (*destroy)(void *self);
    /* Called once when the run ends, before outputs are written: flushes
     * partial aggregates and sets final KPIs (may be NULL). */
    CityStatus (*finish)(CityWorld *world, void *self);
    /* Writes everything of the subsystem that a run changes into a
     * checkpoint (NULL: the subsystem cannot be checkpointed, and saving
     * is refused naming it). */
    CityStatus (*save)(const CityWorld *world, const void *self, CityStateWriter *out);
    /* Reads that back into the subsystem as the scenario's top level just
     * rebuilt it at tick 0; a mismatch marks the reader bad with a message. */
    CityStatus (*load)(CityWorld *world, void *self, CityStateReader *in);
} CitySubsystemDef;

/* Save and load hooks of a subsystem with nothing of its own to checkpoint
 * (a coupling without state, a phase that shares another subsystem's
 * state): they write and read nothing and return CITY_OK. */
CityStatus city_state_save_none(const CityWorld *world, const void *self, CityStateWriter *out);
CityStatus city_state_load_none(CityWorld *world, void *self, CityStateReader *in);

/* A timed event callback; `user` and `arg` are what was scheduled. An
 * error status stops the step (the callback sets the world error first). */
typedef CityStatus (*CityEventFn)(CityWorld *world, void *user, int64_t arg);

/* Receives every event-log line (sim time, kind, message) as it is logged. */
typedef void (*CityLogSink)(void *user, double time_s, const char *kind, const char *message);

typedef struct CityCheck {
    char *name;       /* as declared */
    bool pass;        /* last verdict */
    bool evaluated;   /* false until a verdict was reported */
    char *message;    /* explanation (may be empty, never NULL) */
    bool not_reached; /* the run ended before the check's window: neither pass nor fail */
} CityCheck;

typedef struct CityTable CityTable;

typedef struct CityWorldConfig {
    uint64_t seed; /* run seed */
    int32_t dt_ms; /* tick length in ms, >= 1 */
} CityWorldConfig;

/* Creates a world at tick 0; NULL on OOM or a dt_ms out of range. Owned by the caller. */
CityWorld *city_world_create(const CityWorldConfig *config);
/* Destroys subsystems (in reverse registration order), tables and the world. */
void city_world_destroy(CityWorld *world);

/* Changes the tick length; only at tick 0 before any subsystem or event exists. */
CityStatus city_world_set_dt_ms(CityWorld *world, int32_t dt_ms);

/* The current tick: the state is at tick * dt_ms milliseconds. Callable any time. */
int64_t city_world_tick(const CityWorld *world);
/* The tick length in milliseconds. */
int32_t city_world_dt_ms(const CityWorld *world);
/* The run seed every RNG stream derives from. */
uint64_t city_world_seed(const CityWorld *world);
/* Simulated time of the current tick in seconds. */
double city_world_time_s(const CityWorld *world);
/* Converts seconds to whole ticks (rounded to nearest). */
int64_t city_world_ticks_for(const CityWorld *world, double seconds);

/* Registers a subsystem; the world owns `self` from now on (destroy hook).
 * Refused during a step. */
CityStatus city_world_add_subsystem(CityWorld *world, const CitySubsystemDef *def, void *self);
/* The `self` of a registered subsystem, or NULL. */
void *city_world_subsystem(const CityWorld *world, const char *name);
/* Makes an event-driven (or any) subsystem run on the next step it can:
 * the current step when its phase has not run yet, otherwise the next one. */
CityStatus city_world_wake(CityWorld *world, const char *name);

/* A monotonic clock in nanoseconds. The application supplies it: the core
 * never reads the wall clock itself. */
typedef uint64_t (*CityWallClock)(void *user);
/* One entry of the wall-time account: a subsystem (or "events") and its time. */
typedef struct CityWallShare {
    const char *name; /* owned by the world */
    uint64_t ns;      /* wall time spent in it while accounting was on */
} CityWallShare;
/* Turns per-subsystem wall-time accounting on (clock non-NULL) or off; callable
 * any time. The times never enter outputs, checkpoints or the state hash. */
void city_world_set_wall_clock(CityWorld *world, CityWallClock clock, void *user);
/* Makes the account time one tick in `one_in` (a power of two; 1, the
 * default: every tick), after the first 64, each counted one_in times: an
 * unbiased estimate for a fraction of the clock reads. CITY_ERR_INVALID
 * for another count. */
CityStatus city_world_set_wall_sampling(CityWorld *world, uint32_t one_in);
/* The wall-time account: every subsystem's steps in registration order, then
 * "events" (timed events: scenario callbacks, checks, series). Writes at most
 * `cap` entries into `out` (may be NULL when cap is 0); returns how many exist. */
size_t city_world_wall_shares(const CityWorld *world, CityWallShare *out, size_t cap);

/* Schedules fn at a tick (>= the current tick). Same-tick events fire in
 * the order they were scheduled. */
CityStatus city_world_at(CityWorld *world, int64_t tick, CityEventFn fn, void *user, int64_t arg);
/* Names an event callback (with its user pointer) so that pending events
 * can be written into a checkpoint and found again after a restore. Call
 * before scheduling such events; names are unique. */
CityStatus city_world_name_event(CityWorld *world, const char *name, CityEventFn fn, void *user);
/* Whether an event (fn, user, arg) is pending. */
bool city_world_event_pending(const CityWorld *world, CityEventFn fn, const void *user, int64_t arg);
/* Number of pending timed events. */
size_t city_world_pending_events(const CityWorld *world);

/* Advances one tick. On error the message is in city_world_error. */
CityStatus city_world_step(CityWorld *world);
/* Steps until the clock reaches end_tick or city_world_stop is called. */
CityStatus city_world_run_until(CityWorld *world, int64_t end_tick);
/* Ends the run: calls every subsystem's finish hook in registration
 * order, once (later calls do nothing). */
CityStatus city_world_finish(CityWorld *world);
bool city_world_finished(const CityWorld *world);

/* Asks a running city_world_run_until to stop after the current step. */
void city_world_stop(CityWorld *world);
bool city_world_stopped(const CityWorld *world);

/* The RNG stream of a named subsystem (created on first use, seeded from
 * the run seed and the name). Stable pointer for the world's lifetime. */
CityRng *city_world_rng(CityWorld *world, const char *name);

/* Checkpoints: the clock, RNG streams, pending events, KPIs, checks,
 * output tables and every subsystem (through its save hook). Saving is
 * refused, with the reason in the world error, when a subsystem has no
 * save hook or an event has no name. Loading expects the world as the same
 * scenario built it at tick 0, and replaces its state. */
CityStatus city_world_save(const CityWorld *world, CityStateWriter *out);
CityStatus city_world_load(CityWorld *world, CityStateReader *in);
/* Forks a restored run: a new run seed, every RNG stream reseeded from it
 * and the current tick (so a fork does not replay the original's draws):
 * the world's own streams, then each hook of city_world_on_reseed. */
void city_world_reseed(CityWorld *world, uint64_t seed);
/* A subsystem that keeps random streams of its own registers fn, which a
 * fork calls with `mixed` (the new seed mixed with the tick) to reseed them
 * (with each stream's own id); hooks run in registration order. self stays
 * the caller's. CITY_ERR_NOMEM when out of memory. */
CityStatus city_world_on_reseed(CityWorld *world, void (*fn)(void *self, uint64_t mixed), void *self);

/* Hash of the clock, every RNG stream and every subsystem's state. */
uint64_t city_world_hash(const CityWorld *world);

/* Records an error (what, where, how to fix) and returns `status`. */
CityStatus city_world_fail(CityWorld *world, CityStatus status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
CityStatus city_world_failv(CityWorld *world, CityStatus status, const char *fmt, va_list ap);
/* Last error message ("" when none). */
const char *city_world_error(const CityWorld *world);

/* KPIs: named numbers, listed sorted by name. Setting an existing name replaces it. */
CityStatus city_world_kpi_set(CityWorld *world, const char *name, double value);
/* The same for a publisher that sets the same KPIs over and over (the road
 * a dozen every 10 s): *ref remembers where the KPI is kept, and a later
 * call with the same ref goes there without looking the name up, as long
 * as no KPI was added or restored since. A ref starts zeroed ({0}) and
 * belongs to one world and one name. */
typedef struct CityKpiRef {
    uint32_t gen, slot; /* the world's KPI layout it was taken in (0: none), and the place */
} CityKpiRef;
CityStatus city_world_kpi_set_ref(CityWorld *world, CityKpiRef *ref, const char *name, double value);
/* Adds to a KPI (creating it at 0). */
CityStatus city_world_kpi_add(CityWorld *world, const char *name, double delta);
bool city_world_kpi_get(const CityWorld *world, const char *name, double *value);
size_t city_world_kpi_count(const CityWorld *world);
/* i-th KPI in name order. */
void city_world_kpi_at(const CityWorld *world, size_t i, const char **name, double *value);

/* Checks: named assertions, listed in declaration order. Declaring an
 * existing name returns it. Reporting a failure keeps the first failing
 * message; a later pass does not clear a failure. */
CityStatus city_world_check_declare(CityWorld *world, const char *name);
CityStatus city_world_check_report(CityWorld *world, const char *name, bool pass, const char *message);
size_t city_world_check_count(const CityWorld *world);
const CityCheck *city_world_check_at(const CityWorld *world, size_t i);
/* Marks a check whose window the run did not reach (a run cut short):
 * it neither passes nor fails, unless a failure was already reported. Call
 * when the run ends. */
CityStatus city_world_check_not_reached(CityWorld *world, const char *name, const char *message);
/* True when every declared check passed or was not reached. */
bool city_world_checks_pass(const CityWorld *world);

/* Output tables (written as CSV by the io layer). The header names columns
 * with units, e.g. "time_s,speed_mps". Same name returns the same table. */
CityTable *city_world_table(CityWorld *world, const char *name, const char *header);
/* Appends one CSV row (no newline) formatted like printf. */
CityStatus city_table_row(CityTable *table, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends one CSV row (no newline) already formatted: `len` bytes of row. */
CityStatus city_table_row_text(CityTable *table, const char *row, size_t len);
size_t city_world_table_count(const CityWorld *world);
const CityTable *city_world_table_at(const CityWorld *world, size_t i);
const char *city_table_name(const CityTable *table);
const char *city_table_header(const CityTable *table);
/* The rows as one text buffer, each row ending in '\n'. */
const char *city_table_data(const CityTable *table, size_t *len);
size_t city_table_rows(const CityTable *table);

/* Event log: a line per notable event, sent to the sink if one is set.
 * Lines logged at tick 0 before any sink is set (a scenario building the
 * city) are kept and sent to the first sink set. */
void city_world_set_log_sink(CityWorld *world, CityLogSink sink, void *user);
void city_world_log(CityWorld *world, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Number of lines logged so far (whether or not a sink was set). */
uint64_t city_world_log_count(const CityWorld *world);

#endif
