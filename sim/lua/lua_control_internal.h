/* Internal to sim/lua: a controller (city_controller.h) as the host files
 * see it: lua_control_host.c (the sandboxed Lua state and the device API),
 * lua_control_device.c (C controllers through device.h),
 * lua_control_remote.c (a controller run by citylab-agent through a
 * bridge) and lua_control.c (city.control and the "controllers" subsystem
 * of a run). */
#ifndef LUA_CONTROL_INTERNAL_H
#define LUA_CONTROL_INTERNAL_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_controller.h"
#include "city_reading.h"
#include "city_rng.h"
#include "city_state.h"
#include "device.h"

/* The longest delay of device.after and device.every, in seconds (a run's
 * longest): a due time stays far from int64 overflow in milliseconds. */
#define CONTROLLER_MAX_DELAY_S 1e9
#define CONTROLLER_MAX_DELAY_TEXT "1e9"

/* What a controller keeps of a channel's last reading: what read() returns
 * and a checkpoint keeps (not the whole CityReading: its 64-byte id is the
 * slot's key, and every reading delivered is copied here). */
typedef struct SlotReading {
    double value;        /* in the quantity's unit */
    int64_t measured_ms; /* when sampled */
    int64_t arrives_ms;  /* when it reached the controller */
    CityQuality quality;
} SlotReading;

/* A channel's last reading as the controller has it: what a delivery
 * writes and read(), first() and sum() read, 40 bytes (its names are in
 * SlotInfo, at the same index: a period's reads touch a few cache lines). */
typedef struct Slot {
    SlotReading last;
    bool has; /* a reading arrived */
} Slot;

/* The rest of a slot. */
typedef struct SlotInfo {
    char key[CITY_SENSOR_NAME_MAX + 16]; /* "name/quantity" */
    char name[CITY_SENSOR_NAME_MAX];     /* "name" */
    int32_t channel;                     /* its sensor channel in a run (city_sensor_def index), -1 none */
    int64_t base_ms; /* in a run: when the channel's last reading before the attach was measured (INT64_MIN none) */
} SlotInfo;

/* An id read() knows, by the address of its Lua string (see read_cached). */
typedef struct ReadKey {
    const char *id; /* a key of read's table: compared by address only */
    int32_t slot;
} ReadKey;

typedef struct Timer {
    int64_t due_ms, every_ms; /* every_ms 0: once */
    int ref;                  /* the function, LUA_NOREF when spent */
} Timer;

typedef struct Sub {
    char *pattern; /* glob: '*' any run of characters */
    int ref;
} Sub;

/* A slot whose readings the controller takes from the sensors when it runs
 * (lua_control_direct.c), and when the reading it holds was measured. */
typedef struct DirectSlot {
    int32_t slot, channel;
    int64_t seen_ms;
} DirectSlot;

/* A member of a sensor group (lua_control_group.c). */
typedef struct GroupMember {
    int32_t slot;   /* its slot, -1 while the controller has none for it (the agent makes them late) */
    int32_t direct; /* its slot's index in the controller's direct slots, -1 when delivered */
    char *id;       /* as given, to find that slot later */
} GroupMember;

/* A sensor group: members [first, first + n) of the controller's list. */
typedef struct Group {
    int32_t first, n;
    int32_t n_slots_seen; /* the controller's slot count when its members were last looked up */
    double wake_above;    /* the `above` of the last wake_on(g, above) */
} Group;

/* lua_control_arena.c: a controller's own heap for its Lua state's small
 * blocks (lua_Alloc's contract, without the memory budget: the caller counts). */
typedef struct CtlArena CtlArena;
/* limit: bytes it may take in chunks (the memory budget); NULL when out of memory. */
CtlArena *ctl_arena_new(size_t limit);
void *ctl_arena_realloc(CtlArena *a, void *ptr, size_t old, size_t n);
/* Frees its chunks: after the state is closed. NULL is fine. */
void ctl_arena_free(CtlArena *a);

struct CityController {
    /* What a period of a quiet Lua controller touches, in the first two
     * cache lines (the struct is 64-byte aligned; 100 controllers are cold
     * in the cache between two of their periods). */
    lua_State *L;
    const CityDeviceController *dev; /* C controller: its entry points (NULL: Lua or bridged) */
    const CityControlBridge *bridge; /* remote controller: the run's bridge (NULL: in-process) */
    DirectSlot *direct;              /* slots taken from direct_src when it runs (lua_control_direct.c) */
    Slot *slots;
    int64_t stale_ms;
    int32_t n_direct, n_timers;
    int32_t n_subs;
    bool stale, failed, over_budget;
    bool started; /* the file and init() have run: no more groups */
    Group *groups;
    GroupMember *gmembers;
    int32_t n_groups, n_slots;
    const struct CitySensors *direct_src;
    int64_t last_input_ms;
    uint64_t activations;
    int32_t wake_group; /* step() waits until first() of this group (1-based) finds a reading (wake_on), -1 until
                           now() >= wake_at_s (wake_at); 0 none */
    /* What the other calls and the budget's hook touch. */
    double wake_at_s; /* wake_at's time, s (wake_group -1) */
    Timer *timers;
    CityControllerPort port;
    uint64_t instr_used, instr_limit;
    const uint64_t *epoch; /* the run's tick counter (city_controller_share_epoch), or NULL */
    uint64_t epoch_seen;   /* its value when instr_used was last set to 0 */
    int32_t n_sensors;
    int32_t cap_direct;
    bool *reroute;       /* set when it stops taking readings directly (a subscription): the run routes them again */
    SlotInfo *slot_info; /* of each slot (cap_slots too) */
    int32_t cap_slots;
    int32_t cap_timers;
    ReadKey *rkeys;             /* read()'s ids at attach, in slot order */
    int32_t n_rkeys, rkey_next; /* how many; where the next search starts */
    Sub *subs;
    int32_t cap_subs;
    int32_t cap_groups;
    int32_t n_gmembers, cap_gmembers;
    size_t mem_used, mem_limit;
    CtlArena *arena; /* where L's small blocks live */
    CityRng rng;
    /* The rest. */
    char *name;
    char **sensors; /* the ids it may read, as given */
    char **pkeys, **pvals;
    int32_t n_params;
    int32_t n_init_timers, n_init_subs; /* made by the file and init (what a restore rebuilds) */
    int32_t period_ticks;
    uint64_t seed;
    void *dl;             /* C controller: the shared object, */
    void *dstate;         /* its state */
    CityDeviceHost host;  /* and what it calls */
    CityReading *pending; /* bridged: readings not yet handed over, */
    size_t n_pending, cap_pending;
    int64_t wake_ms; /* its next due timer (-1 none) */
    uint64_t misses; /* exchanges without "done" */
    char failure[256];
};

/* The time now (ms) from the port. */
int64_t controller_now_ms(const CityController *c);
/* Logs "<name>: <message>" through the port. */
void controller_log(CityController *c, const char *fmt, ...);
/* Stops the controller: fail-safe through the port, logged. */
void controller_fail(CityController *c, const char *why);
/* The slot of "name/quantity" or "name", or NULL. */
const Slot *controller_find_slot(const CityController *c, const char *id);
/* True when `id` ("name" or "name/quantity") is among the sensors it was given. */
bool controller_reads(const CityController *c, const char *id);

/* The common delivery: a Lua controller in-process without subscriptions keeps the reading in slot s
 * (nothing when stopped); false, doing nothing, when it needs the whole reading (controller_deliver). */
bool controller_keep(CityController *c, Slot *s, const SlotReading *r);
/* Hands a reading of slot s over (stored, then subscribers or on_reading); false as controller_remote_keep. */
bool controller_deliver(CityController *c, Slot *s, const CityReading *r);

/* lua_control_direct.c: direct slots. A Lua controller in-process that only
 * keeps last readings (no subscription, no stale check) takes the readings
 * of its channels with no latency from the sensors when it runs, instead of
 * having each queued and delivered every tick. */
/* Marks its slots' channels in the run's sensors and what was measured before the attach. */
void controller_direct_mark(CityController *c, const struct CitySensors *s);
/* Starts again its list of direct slots (empty); true when it may have some.
 * *reroute is set when it must have them delivered again. */
bool controller_direct_begin(CityController *c, const struct CitySensors *s, bool *reroute);
/* Takes slot `slot` (of `channel`) directly from now on; false when out of memory. */
bool controller_direct_add(CityController *c, int32_t slot, int32_t channel);
/* Brings its direct slots up to the readings measured by now (when it runs, and before a checkpoint). */
void controller_direct_pull(CityController *c);
/* After a checkpoint's slots were loaded: what they hold is what they have seen. */
void controller_direct_resync(CityController *c);
/* Its readings are to be delivered from now on (a subscription): pulls, then stops taking them directly. */
void controller_direct_stop(CityController *c);

/* lua_control_group.c: the device API's group(ids), first(g, above) and
 * sum(g) (scenarios/DEVICE_API.md); frees a controller's groups. */
int controller_api_group(lua_State *L);
int controller_api_first(lua_State *L);
int controller_api_sum(lua_State *L);
int controller_api_wake_on(lua_State *L);
int controller_api_wake_at(lua_State *L);
/* True when step() is due again: the time wake_at named has come, or first(g, above) of the group
 * wake_on named would find a reading.
 * It looks at its direct slots' channels without taking their readings (controller_direct_pull). */
bool controller_wake_due(CityController *c);
/* Marks which members' slots are direct from now on (after direct slots were added or dropped). */
void controller_groups_direct(CityController *c);
void controller_groups_free(CityController *c);

/* lua_control_chunks.c: loads a controller file's text (chunk name
 * `name`) onto L as a function, compiled once per cache; lua_load's status. */
int controller_load_chunk(lua_State *L, CityChunkCache *cache, const char *src, size_t len, const char *name);

/* lua_control_state.c: checkpoints of a controller (host fields, then a Lua
 * controller's globals and upvalues), for the "controllers" subsystem's
 * save and load hooks. Saving refuses (false, err filled) a C or bridged
 * controller and a timer or subscription made after init still pending.
 * Loading expects the controller as a fresh attach built it; a mismatch
 * marks the reader bad. */
bool controller_save(CityController *c, CityStateWriter *out, CityError *err);
bool controller_load(CityController *c, CityStateReader *in);
/* Records the globals the sandbox opened (not saved); once, before the file runs. */
void control_lua_mark_builtins(lua_State *L);

/* lua_control_device.c: loads a .so and runs its init; false with err filled. */
bool controller_device_open(CityController *c, const char *path, CityError *err);
/* Runs its step; on_reading for one reading. */
void controller_device_step(CityController *c);
void controller_device_reading(CityController *c, const char *key, const CityReading *r);
void controller_device_close(CityController *c);

/* lua_control_remote.c: keeps a reading for the next exchange; runs one exchange when due. */
bool controller_remote_keep(CityController *c, const CityReading *r);
void controller_remote_run(CityController *c, bool step);

#endif
