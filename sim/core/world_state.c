/* Checkpoints of a world: the core's own state (clock, RNG streams,
 * pending events, KPIs, checks, output tables) and one blob per subsystem
 * from its save hook. Loading goes into a world that the same scenario has
 * just rebuilt at tick 0: its subsystems exist (with their static parts,
 * such as networks), and their load hooks overwrite what a run changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

CityStatus city_state_save_none(const CityWorld *world, const void *self, CityStateWriter *out)
{
    (void)world;
    (void)self;
    (void)out;
    return CITY_OK;
}

CityStatus city_state_load_none(CityWorld *world, void *self, CityStateReader *in)
{
    (void)world;
    (void)self;
    (void)in;
    return CITY_OK;
}

CityStatus city_world_name_event(CityWorld *world, const char *name, CityEventFn fn, void *user)
{
    for (size_t i = 0; i < world->n_event_names; i++)
        if (!strcmp(world->event_names[i].name, name))
            return city_world_fail(world, CITY_ERR_INVALID, "event name '%s' is registered twice", name);
    if (!city_grow((void **)&world->event_names, &world->cap_event_names, world->n_event_names + 1,
                   sizeof *world->event_names))
        return CITY_ERR_NOMEM;
    char *copy = city_strdup(name);
    if (!copy)
        return CITY_ERR_NOMEM;
    world->event_names[world->n_event_names++] = (CityEventName){copy, fn, user};
    return CITY_OK;
}

bool city_world_event_pending(const CityWorld *world, CityEventFn fn, const void *user, int64_t arg)
{
    for (size_t i = 0; i < world->n_events; i++)
        if (world->events[i].fn == fn && world->events[i].user == user && world->events[i].arg == arg)
            return true;
    return false;
}

static const CityEventName *event_name_of(const CityWorld *w, const CityTimedEvent *ev)
{
    for (size_t i = 0; i < w->n_event_names; i++)
        if (w->event_names[i].fn == ev->fn && w->event_names[i].user == ev->user)
            return &w->event_names[i];
    return NULL;
}

static void save_reports(const CityWorld *w, CityStateWriter *out)
{
    city_state_put_tag(out, "KPIS");
    city_state_put_u64(out, w->n_kpis);
    for (size_t i = 0; i < w->n_kpis; i++) {
        city_state_put_str(out, w->kpis[i].name);
        city_state_put_f64(out, w->kpis[i].value);
    }
    city_state_put_tag(out, "CHKS");
    city_state_put_u64(out, w->n_checks);
    for (size_t i = 0; i < w->n_checks; i++) {
        city_state_put_str(out, w->checks[i].name);
        city_state_put_u8(out, w->checks[i].pass);
        city_state_put_u8(out, w->checks[i].evaluated);
        city_state_put_str(out, w->checks[i].message);
    }
    city_state_put_tag(out, "TBLS");
    city_state_put_u64(out, w->n_tables);
    for (size_t i = 0; i < w->n_tables; i++) {
        const CityTable *t = w->tables[i];
        city_state_put_str(out, t->name);
        city_state_put_str(out, t->header);
        city_state_put_array(out, t->data, t->len, 1);
        city_state_put_u64(out, t->rows);
    }
}

CityStatus city_world_save(const CityWorld *w, CityStateWriter *out)
{
    CityWorld *mw = (CityWorld *)w; /* only for the error message */
    if (w->locked || w->finished)
        return city_world_fail(mw, CITY_ERR_INVALID, "a checkpoint is taken between steps, before the run ends");
    for (size_t i = 0; i < w->n_subsystems; i++)
        if (!w->subsystems[i].def.save)
            return city_world_fail(mw, CITY_ERR_INVALID,
                                   "subsystem '%s' cannot be saved in a checkpoint yet (it has no save hook); "
                                   "run this scenario without --save-state",
                                   w->subsystems[i].def.name);
    city_state_put_tag(out, "WRLD");
    city_state_put_u64(out, w->seed);
    city_state_put_i64(out, w->dt_ms);
    city_state_put_i64(out, w->tick);
    city_state_put_u8(out, w->stop_requested);
    city_state_put_u64(out, w->next_seq);
    city_state_put_u64(out, w->log_count);
    city_state_put_tag(out, "RNGS");
    city_state_put_u64(out, w->n_streams);
    for (size_t i = 0; i < w->n_streams; i++) {
        city_state_put_str(out, w->streams[i].name);
        for (int k = 0; k < 4; k++)
            city_state_put_u64(out, w->streams[i].rng->s[k]);
    }
    city_state_put_tag(out, "EVTS");
    city_state_put_u64(out, w->n_events);
    for (size_t i = 0; i < w->n_events; i++) {
        const CityTimedEvent *ev = &w->events[i]; /* heap order: restored as is */
        const CityEventName *name = event_name_of(w, ev);
        if (!name)
            return city_world_fail(mw, CITY_ERR_INVALID,
                                   "a pending event at tick %lld has no name, so it cannot be saved in a checkpoint",
                                   (long long)ev->tick);
        city_state_put_i64(out, ev->tick);
        city_state_put_u64(out, ev->seq);
        city_state_put_str(out, name->name);
        city_state_put_i64(out, ev->arg);
    }
    save_reports(w, out);
    city_state_put_tag(out, "SUBS");
    city_state_put_u64(out, w->n_subsystems);
    for (size_t i = 0; i < w->n_subsystems; i++) {
        const CitySubsystem *s = &w->subsystems[i];
        city_state_put_str(out, s->def.name);
        city_state_put_u8(out, s->woken);
        CityStatus st = s->def.save(w, s->self, out);
        if (st != CITY_OK)
            return st;
        city_state_put_tag(out, "END.");
    }
    if (out->oom)
        return city_world_fail(mw, CITY_ERR_NOMEM, "out of memory writing a checkpoint");
    return CITY_OK;
}

static bool load_streams(CityWorld *w, CityStateReader *in)
{
    city_state_expect_tag(in, "RNGS");
    uint64_t n = city_state_get_u64(in);
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        char *name = city_state_get_str(in);
        uint64_t s[4];
        for (int k = 0; k < 4; k++)
            s[k] = city_state_get_u64(in);
        CityRng *rng = name && !in->bad ? city_world_rng(w, name) : NULL;
        if (rng)
            memcpy(rng->s, s, sizeof s);
        else if (!in->bad)
            city_state_fail(in, "out of memory restoring RNG streams");
        free(name);
    }
    return !in->bad;
}

static bool load_events(CityWorld *w, CityStateReader *in)
{
    city_state_expect_tag(in, "EVTS");
    uint64_t n = city_state_get_u64(in);
    if (in->bad || !city_state_count_fits(in, n, 32)) /* tick, sequence, name, argument */
        return city_state_fail(in, "damaged event list in the checkpoint");
    if (!city_grow((void **)&w->events, &w->cap_events, (size_t)n, sizeof *w->events))
        return city_state_fail(in, "out of memory restoring events");
    w->n_events = 0;
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        CityTimedEvent ev = {city_state_get_i64(in), city_state_get_u64(in), NULL, NULL, 0};
        char *name = city_state_get_str(in);
        ev.arg = city_state_get_i64(in);
        for (size_t k = 0; name && k < w->n_event_names; k++)
            if (!strcmp(w->event_names[k].name, name)) {
                ev.fn = w->event_names[k].fn;
                ev.user = w->event_names[k].user;
            }
        if (!in->bad && !ev.fn)
            city_state_fail(in, "the checkpoint holds a pending '%s' event this citylab cannot restore",
                            name ? name : "?");
        free(name);
        w->events[w->n_events++] = ev; /* saved in heap order: still a heap */
    }
    return !in->bad;
}

static bool load_reports(CityWorld *w, CityStateReader *in)
{
    city_state_expect_tag(in, "KPIS");
    for (size_t i = 0; i < w->n_kpis; i++)
        free(w->kpis[i].name);
    w->n_kpis = 0;
    city_world_kpis_moved(w);
    uint64_t n = city_state_get_u64(in);
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        char *name = city_state_get_str(in);
        double v = city_state_get_f64(in);
        if (name && city_world_kpi_set(w, name, v) != CITY_OK)
            city_state_fail(in, "out of memory restoring KPIs");
        free(name);
    }
    city_state_expect_tag(in, "CHKS");
    n = city_state_get_u64(in);
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        char *name = city_state_get_str(in);
        bool pass = city_state_get_u8(in), evaluated = city_state_get_u8(in);
        char *msg = city_state_get_str(in);
        if (name && city_world_check_declare(w, name) == CITY_OK) {
            for (size_t k = 0; k < w->n_checks; k++) {
                CityCheck *c = &w->checks[k];
                if (strcmp(c->name, name) != 0)
                    continue;
                free(c->message);
                c->message = msg ? msg : city_strdup("");
                msg = NULL;
                c->pass = pass;
                c->evaluated = evaluated;
            }
        }
        free(name);
        free(msg);
    }
    city_state_expect_tag(in, "TBLS");
    for (size_t i = 0; i < w->n_tables; i++) { /* tables the run has not created yet stay empty */
        w->tables[i]->len = 0;
        w->tables[i]->rows = 0;
    }
    n = city_state_get_u64(in);
    for (uint64_t i = 0; i < n && !in->bad; i++) {
        char *name = city_state_get_str(in), *header = city_state_get_str(in);
        size_t len;
        char *data = city_state_get_alloc(in, &len, 1);
        uint64_t rows = city_state_get_u64(in);
        /* in place: subsystems hold pointers to their tables */
        CityTable *t = name && header ? city_world_table(w, name, header) : NULL;
        if (t && city_grow((void **)&t->data, &t->cap, len + 2, 1)) {
            if (len)
                memcpy(t->data, data, len);
            t->data[len] = '\0';
            t->len = len;
            t->rows = (size_t)rows;
        } else if (!in->bad) {
            city_state_fail(in, "out of memory restoring output tables");
        }
        free(name);
        free(header);
        free(data);
    }
    return !in->bad;
}

static bool load_subsystems(CityWorld *w, CityStateReader *in)
{
    city_state_expect_tag(in, "SUBS");
    uint64_t n = city_state_get_u64(in);
    if (!in->bad && n != w->n_subsystems)
        return city_state_fail(in,
                               "the checkpoint holds %llu subsystems and this city %zu: the scenario builds another "
                               "city than the one saved",
                               (unsigned long long)n, w->n_subsystems);
    for (size_t i = 0; i < w->n_subsystems && !in->bad; i++) {
        CitySubsystem *s = &w->subsystems[i];
        char *name = city_state_get_str(in);
        if (!in->bad && (!name || strcmp(name, s->def.name) != 0))
            city_state_fail(in, "the checkpoint's subsystem %zu is '%s', this city's '%s'", i, name ? name : "?",
                            s->def.name);
        free(name);
        s->woken = city_state_get_u8(in);
        if (in->bad)
            break;
        if (!s->def.load)
            return city_state_fail(in, "subsystem '%s' cannot be restored (no load hook)", s->def.name);
        if (s->def.load(w, s->self, in) != CITY_OK && !in->bad)
            city_state_fail(in, "%s", city_world_error(w));
        if (!in->bad && !city_state_expect_tag(in, "END."))
            city_state_fail(in, "subsystem '%s' read a different amount than it saved", s->def.name);
    }
    return !in->bad;
}

CityStatus city_world_load(CityWorld *w, CityStateReader *in)
{
    if (w->locked || w->tick != 0)
        return city_world_fail(w, CITY_ERR_INVALID, "a checkpoint loads into a freshly built world only");
    city_state_expect_tag(in, "WRLD");
    uint64_t seed = city_state_get_u64(in);
    int64_t dt = city_state_get_i64(in);
    if (!in->bad && (seed != w->seed || dt != w->dt_ms))
        city_state_fail(in, "the checkpoint was taken with seed %llu and dt %lld ms, this run has seed %llu and %d ms",
                        (unsigned long long)seed, (long long)dt, (unsigned long long)w->seed, (int)w->dt_ms);
    w->tick = city_state_get_i64(in);
    w->stop_requested = city_state_get_u8(in);
    w->next_seq = city_state_get_u64(in);
    w->log_count = city_state_get_u64(in);
    if (!in->bad)
        load_streams(w, in);
    if (!in->bad)
        load_events(w, in);
    if (!in->bad)
        load_reports(w, in);
    if (!in->bad)
        load_subsystems(w, in);
    if (in->bad)
        return city_world_fail(w, CITY_ERR_PARSE, "%s", in->error);
    return CITY_OK;
}

void city_world_reseed(CityWorld *world, uint64_t seed)
{
    world->seed = seed;
    const uint64_t mixed = seed ^ ((uint64_t)world->tick * 0x9e3779b97f4a7c15ull);
    for (size_t i = 0; i < world->n_streams; i++)
        city_rng_seed(world->streams[i].rng, mixed, city_rng_stream_id(world->streams[i].name));
    for (size_t i = 0; i < world->n_reseeds; i++)
        world->reseeds[i].fn(world->reseeds[i].self, mixed);
}

CityStatus city_world_on_reseed(CityWorld *world, void (*fn)(void *self, uint64_t mixed), void *self)
{
    if (!city_grow((void **)&world->reseeds, &world->cap_reseeds, world->n_reseeds + 1, sizeof *world->reseeds))
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory registering a reseed hook");
    world->reseeds[world->n_reseeds++] = (CityReseedHook){fn, self};
    return CITY_OK;
}
