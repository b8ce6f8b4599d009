#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

CityWorld *city_world_create(const CityWorldConfig *config)
{
    if (!config || !city_dt_ms_valid(config->dt_ms))
        return NULL;
    CityWorld *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->seed = config->seed;
    w->dt_ms = config->dt_ms;
    return w;
}

CityStatus city_world_finish(CityWorld *world)
{
    if (world->finished)
        return CITY_OK;
    world->finished = true;
    for (size_t i = 0; i < world->n_subsystems; i++) {
        CitySubsystem *s = &world->subsystems[i];
        if (s->def.finish) {
            CityStatus st = s->def.finish(world, s->self);
            if (st != CITY_OK)
                return st;
        }
    }
    return CITY_OK;
}

bool city_world_finished(const CityWorld *world)
{
    return world->finished;
}

void city_world_destroy(CityWorld *world)
{
    if (!world)
        return;
    for (size_t i = world->n_subsystems; i-- > 0;) {
        CitySubsystem *s = &world->subsystems[i];
        if (s->def.destroy)
            s->def.destroy(s->self);
        free((char *)s->def.name);
    }
    free(world->subsystems);
    free(world->by_phase);
    free(world->events);
    for (size_t i = 0; i < world->n_event_names; i++)
        free(world->event_names[i].name);
    free(world->event_names);
    for (size_t i = 0; i < world->n_streams; i++) {
        free(world->streams[i].name);
        free(world->streams[i].rng);
    }
    free(world->streams);
    free(world->reseeds);
    city_world_free_reports(world);
    free(world);
}

CityStatus city_world_set_dt_ms(CityWorld *world, int32_t dt_ms)
{
    if (!city_dt_ms_valid(dt_ms))
        return city_world_fail(world, CITY_ERR_INVALID, "dt_ms %d is out of range; use %d to %d ms", (int)dt_ms,
                               CITY_DT_MS_MIN, CITY_DT_MS_MAX);
    if (world->tick != 0 || world->n_subsystems != 0 || world->n_events != 0)
        return city_world_fail(world, CITY_ERR_INVALID,
                               "the tick length can only change before the city is built; set dt first");
    world->dt_ms = dt_ms;
    return CITY_OK;
}

int64_t city_world_tick(const CityWorld *world)
{
    return world->tick;
}
int32_t city_world_dt_ms(const CityWorld *world)
{
    return world->dt_ms;
}
uint64_t city_world_seed(const CityWorld *world)
{
    return world->seed;
}

double city_world_time_s(const CityWorld *world)
{
    /* Computed from integers every time: no drift from summed floats. */
    return (double)(world->tick * (int64_t)world->dt_ms) / 1000.0;
}

int64_t city_world_ticks_for(const CityWorld *world, double seconds)
{
    double t = seconds * 1000.0 / (double)world->dt_ms;
    return (int64_t)(t >= 0 ? t + 0.5 : t - 0.5);
}

CityStatus city_world_failv(CityWorld *world, CityStatus status, const char *fmt, va_list ap)
{
    return city_error_setv(&world->error, status, fmt, ap);
}

CityStatus city_world_fail(CityWorld *world, CityStatus status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    city_world_failv(world, status, fmt, ap);
    va_end(ap);
    return status;
}

const char *city_world_error(const CityWorld *world)
{
    return world->error.msg;
}

static CitySubsystem *find_subsystem(const CityWorld *world, const char *name)
{
    for (size_t i = 0; i < world->n_subsystems; i++)
        if (strcmp(world->subsystems[i].def.name, name) == 0)
            return &world->subsystems[i];
    return NULL;
}

/* The step's lists: each phase's subsystems, in registration order (a
 * counting sort), so a step visits only the subsystems of the phase it runs. */
static void index_phases(CityWorld *world)
{
    uint32_t count[CITY_PHASE_COUNT] = {0};
    for (size_t i = 0; i < world->n_subsystems; i++)
        count[world->subsystems[i].def.phase]++;
    world->phase_first[0] = 0;
    for (int p = 0; p < CITY_PHASE_COUNT; p++)
        world->phase_first[p + 1] = world->phase_first[p] + count[p];
    uint32_t at[CITY_PHASE_COUNT];
    memcpy(at, world->phase_first, sizeof at);
    for (size_t i = 0; i < world->n_subsystems; i++)
        world->by_phase[at[world->subsystems[i].def.phase]++] = (uint32_t)i;
}

CityStatus city_world_add_subsystem(CityWorld *world, const CitySubsystemDef *def, void *self)
{
    if (!def || !def->name || !def->step)
        return city_world_fail(world, CITY_ERR_INVALID, "subsystem definition needs a name and a step function");
    if (world->locked)
        return city_world_fail(world, CITY_ERR_INVALID,
                               "subsystem '%s' added during a step; add subsystems before the run starts", def->name);
    if ((unsigned)def->phase >= CITY_PHASE_COUNT || def->period_ticks < 0 || def->offset_ticks < 0)
        return city_world_fail(world, CITY_ERR_INVALID, "subsystem '%s' has a bad phase, period or offset", def->name);
    if (find_subsystem(world, def->name))
        return city_world_fail(world, CITY_ERR_INVALID, "subsystem '%s' is registered twice", def->name);
    if (!city_grow((void **)&world->subsystems, &world->cap_subsystems, world->n_subsystems + 1,
                   sizeof *world->subsystems))
        return CITY_ERR_NOMEM;
    char *name = city_strdup(def->name);
    if (!name)
        return CITY_ERR_NOMEM;
    uint32_t *by_phase = realloc(world->by_phase, (world->n_subsystems + 1) * sizeof *by_phase);
    if (!by_phase) {
        free(name);
        return CITY_ERR_NOMEM;
    }
    world->by_phase = by_phase;
    CitySubsystem *s = &world->subsystems[world->n_subsystems++];
    s->def = *def;
    s->def.name = name;
    s->self = self;
    s->woken = false;
    s->wall_ns = 0;
    index_phases(world);
    return CITY_OK;
}

void *city_world_subsystem(const CityWorld *world, const char *name)
{
    CitySubsystem *s = find_subsystem(world, name);
    return s ? s->self : NULL;
}

CityStatus city_world_wake(CityWorld *world, const char *name)
{
    CitySubsystem *s = find_subsystem(world, name);
    if (!s)
        return city_world_fail(world, CITY_ERR_INVALID, "no subsystem named '%s' to wake", name);
    s->woken = true;
    return CITY_OK;
}

/* --- timed events: a binary heap ordered by (tick, seq) --- */

static bool event_before(const CityTimedEvent *a, const CityTimedEvent *b)
{
    return a->tick < b->tick || (a->tick == b->tick && a->seq < b->seq);
}

CityStatus city_world_at(CityWorld *world, int64_t tick, CityEventFn fn, void *user, int64_t arg)
{
    if (!fn)
        return city_world_fail(world, CITY_ERR_INVALID, "timed event without a function");
    if (tick < world->tick)
        return city_world_fail(world, CITY_ERR_INVALID, "event scheduled in the past (tick %lld < now %lld)",
                               (long long)tick, (long long)world->tick);
    if (!city_grow((void **)&world->events, &world->cap_events, world->n_events + 1, sizeof *world->events))
        return CITY_ERR_NOMEM;
    CityTimedEvent ev = {tick, world->next_seq++, fn, user, arg};
    size_t i = world->n_events++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!event_before(&ev, &world->events[parent]))
            break;
        world->events[i] = world->events[parent];
        i = parent;
    }
    world->events[i] = ev;
    return CITY_OK;
}

size_t city_world_pending_events(const CityWorld *world)
{
    return world->n_events;
}

static CityTimedEvent pop_event(CityWorld *world)
{
    CITY_ASSERT(world->n_events > 0);
    CityTimedEvent top = world->events[0];
    CityTimedEvent last = world->events[--world->n_events];
    size_t n = world->n_events, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && event_before(&world->events[c + 1], &world->events[c]))
            c++;
        if (!event_before(&world->events[c], &last))
            break;
        world->events[i] = world->events[c];
        i = c;
    }
    if (n > 0)
        world->events[i] = last;
    return top;
}

/* --- the step --- */

static bool due(const CitySubsystem *s, int64_t tick)
{
    int64_t period = s->def.period_ticks, k = tick - s->def.offset_ticks;
    if (period == 1) /* most subsystems: every tick, no division */
        return k >= 0;
    return period > 0 && k >= 0 && k % period == 0;
}

/* The wall-time account reads the clock at every subsystem step of the
 * ticks it times (7 reads a tick for a road alone; a virtual machine's
 * clock takes 40 to 70 ns a read, a tenth of a small network's step at
 * 1 s). With sampling on it times the first CITY_WALL_EXACT_TICKS ticks,
 * then one tick in each block of wall_one_in, at a place in the block a
 * hash of the block picks (a subsystem that runs every N ticks is then
 * neither always nor never timed), each counted wall_one_in times: an
 * unbiased estimate. Returns the weight of this tick's times, 0 when it is
 * not timed. */
#define CITY_WALL_EXACT_TICKS 64
static uint64_t wall_weight(const CityWorld *world, int64_t tick)
{
    uint32_t n = world->wall_one_in;
    if (n <= 1 || tick < CITY_WALL_EXACT_TICKS)
        return 1;
    int shift = __builtin_ctz(n);
    uint64_t z = ((uint64_t)tick >> shift) * 0x9E3779B97F4A7C15u; /* splitmix64's finalizer */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return ((uint64_t)tick & (n - 1)) == z >> (64 - shift) ? n : 0;
}

CityStatus city_world_step(CityWorld *world)
{
    if (world->locked)
        return city_world_fail(world, CITY_ERR_INVALID, "city_world_step called from inside a step");
    world->locked = true;
    CityStatus st = CITY_OK;
    const int64_t tick = world->tick;

    const uint64_t weight = world->wall_clock ? wall_weight(world, tick) : 0;
    const CityWallClock clock = weight ? world->wall_clock : NULL;
    uint64_t t = clock ? clock(world->wall_user) : 0, now;

    /* Events may schedule more events at this same tick: they fire too. */
    while (world->n_events > 0 && world->events[0].tick <= tick && st == CITY_OK) {
        CityTimedEvent ev = pop_event(world);
        st = ev.fn(world, ev.user, ev.arg);
    }
    if (clock) {
        now = clock(world->wall_user);
        world->events_wall_ns += weight * (now - t);
        t = now;
    }
    /* by_phase lists the subsystems phase by phase: one pass runs the
     * phases in order (none is added while the world is locked) */
    const uint32_t *order = world->by_phase;
    const uint32_t n = world->phase_first[CITY_PHASE_COUNT];
    for (uint32_t j = 0; j < n && st == CITY_OK; j++) {
        CitySubsystem *s = &world->subsystems[order[j]];
        if (!(s->woken || due(s, tick)))
            continue;
        s->woken = false;
        st = s->def.step(world, s->self, tick);
        if (clock) {
            now = clock(world->wall_user);
            s->wall_ns += weight * (now - t);
            t = now;
        }
    }
    CITY_ASSERT(world->locked); /* nothing unlocks the world inside its own step */
    world->locked = false;
    if (st == CITY_OK)
        world->tick = tick + 1;
    return st;
}

void city_world_set_wall_clock(CityWorld *world, CityWallClock clock, void *user)
{
    world->wall_clock = clock;
    world->wall_user = user;
}

CityStatus city_world_set_wall_sampling(CityWorld *world, uint32_t one_in)
{
    if (one_in == 0 || (one_in & (one_in - 1)) != 0)
        return city_world_fail(world, CITY_ERR_INVALID,
                               "wall-time sampling of one tick in %u: use a power of two (1: every tick)",
                               (unsigned)one_in);
    world->wall_one_in = one_in;
    return CITY_OK;
}

size_t city_world_wall_shares(const CityWorld *world, CityWallShare *out, size_t cap)
{
    for (size_t i = 0; i < world->n_subsystems && i < cap; i++)
        out[i] = (CityWallShare){world->subsystems[i].def.name, world->subsystems[i].wall_ns};
    if (world->n_subsystems < cap)
        out[world->n_subsystems] = (CityWallShare){"events", world->events_wall_ns};
    return world->n_subsystems + 1;
}

CityStatus city_world_run_until(CityWorld *world, int64_t end_tick)
{
    world->stop_requested = false;
    while (world->tick < end_tick && !world->stop_requested) {
        CityStatus st = city_world_step(world);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}

void city_world_stop(CityWorld *world)
{
    world->stop_requested = true;
}
bool city_world_stopped(const CityWorld *world)
{
    return world->stop_requested;
}

/* --- RNG streams --- */

CityRng *city_world_rng(CityWorld *world, const char *name)
{
    size_t lo = 0, hi = world->n_streams;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(world->streams[mid].name, name);
        if (c == 0)
            return world->streams[mid].rng;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!city_grow((void **)&world->streams, &world->cap_streams, world->n_streams + 1, sizeof *world->streams))
        return NULL;
    CityRng *rng = malloc(sizeof *rng);
    char *copy = city_strdup(name);
    if (!rng || !copy) {
        free(rng);
        free(copy);
        return NULL;
    }
    city_rng_seed(rng, world->seed, city_rng_stream_id(name));
    memmove(&world->streams[lo + 1], &world->streams[lo], (world->n_streams - lo) * sizeof *world->streams);
    world->streams[lo] = (CityRngStream){copy, rng};
    world->n_streams++;
    return rng;
}

uint64_t city_world_hash(const CityWorld *world)
{
    CityHash h;
    city_hash_init(&h);
    city_hash_i64(&h, world->tick);
    city_hash_i64(&h, world->dt_ms);
    city_hash_u64(&h, world->seed);
    city_hash_u64(&h, world->n_events);
    for (size_t i = 0; i < world->n_streams; i++) {
        city_hash_str(&h, world->streams[i].name);
        for (int k = 0; k < 4; k++)
            city_hash_u64(&h, world->streams[i].rng->s[k]);
    }
    for (size_t i = 0; i < world->n_subsystems; i++) {
        const CitySubsystem *s = &world->subsystems[i];
        city_hash_str(&h, s->def.name);
        if (s->def.hash)
            s->def.hash(world, s->self, &h);
    }
    for (size_t i = 0; i < world->n_kpis; i++) {
        city_hash_str(&h, world->kpis[i].name);
        city_hash_f64(&h, world->kpis[i].value);
    }
    return city_hash_value(&h);
}
