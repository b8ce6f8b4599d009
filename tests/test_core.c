/* Core: scheduler order and periods, timed events, ids with generations,
 * RNG streams, state hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "city_array.h"
#include "city_group.h"
#include "city_text.h"
#include "city_thread.h"
#include "city_world.h"

/* --- scheduler --- */

typedef struct Trace {
    char log[512]; /* "name@tick " entries in execution order */
} Trace;

typedef struct Probe {
    const char *name;
    Trace *trace;
    int runs;
} Probe;

static CityStatus probe_step(CityWorld *w, void *self, int64_t tick)
{
    (void)w;
    Probe *p = self;
    p->runs++;
    size_t n = strlen(p->trace->log);
    snprintf(p->trace->log + n, sizeof p->trace->log - n, "%s@%lld ", p->name, (long long)tick);
    return CITY_OK;
}

static CityWorld *new_world(uint64_t seed)
{
    CityWorldConfig cfg = {seed, 100};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    return w;
}

static void test_scheduler_order_and_periods(void **state)
{
    (void)state;
    CityWorld *w = new_world(1);
    Trace trace = {{0}};
    /* Registered out of phase order on purpose: the phase decides. */
    Probe phys = {"phys", &trace, 0}, sense = {"sense", &trace, 0}, ctrl = {"ctrl", &trace, 0},
          slow = {"slow", &trace, 0}, event = {"event", &trace, 0};
    CitySubsystemDef d_phys = {"phys", CITY_PHASE_PHYSICS, 1, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
    CitySubsystemDef d_sense = {"sense", CITY_PHASE_SENSE, 2, 1, probe_step, NULL, NULL, NULL, NULL, NULL};
    CitySubsystemDef d_ctrl = {"ctrl", CITY_PHASE_CONTROL, 1, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
    CitySubsystemDef d_slow = {"slow", CITY_PHASE_PHYSICS, 3, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
    CitySubsystemDef d_event = {"event", CITY_PHASE_REPORT, 0, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(city_world_add_subsystem(w, &d_phys, &phys), CITY_OK);
    assert_int_equal(city_world_add_subsystem(w, &d_sense, &sense), CITY_OK);
    assert_int_equal(city_world_add_subsystem(w, &d_ctrl, &ctrl), CITY_OK);
    assert_int_equal(city_world_add_subsystem(w, &d_slow, &slow), CITY_OK);
    assert_int_equal(city_world_add_subsystem(w, &d_event, &event), CITY_OK);
    assert_int_equal(city_world_add_subsystem(w, &d_phys, &phys), CITY_ERR_INVALID); /* duplicate */

    assert_int_equal(city_world_run_until(w, 4), CITY_OK);
    assert_string_equal(trace.log, "ctrl@0 phys@0 slow@0 "
                                   "sense@1 ctrl@1 phys@1 "
                                   "ctrl@2 phys@2 "
                                   "sense@3 ctrl@3 phys@3 slow@3 ");
    assert_int_equal(event.runs, 0);
    assert_int_equal(city_world_wake(w, "event"), CITY_OK);
    assert_int_equal(city_world_step(w), CITY_OK);
    assert_int_equal(event.runs, 1);
    assert_int_equal(city_world_step(w), CITY_OK);
    assert_int_equal(event.runs, 1); /* a wake lasts one run */
    assert_int_equal(city_world_tick(w), 6);
    assert_true(city_world_time_s(w) == 0.6);
    city_world_destroy(w);
}

/* --- timed events --- */

typedef struct EventLog {
    int64_t fired[16];
    int64_t at_tick[16];
    int n;
} EventLog;

static CityStatus record_event(CityWorld *w, void *user, int64_t arg)
{
    EventLog *log = user;
    log->fired[log->n] = arg;
    log->at_tick[log->n] = city_world_tick(w);
    log->n++;
    if (arg == 2) /* an event may schedule another at the same tick */
        return city_world_at(w, city_world_tick(w), record_event, user, 99);
    return CITY_OK;
}

static CityStatus failing_event(CityWorld *w, void *user, int64_t arg)
{
    (void)user;
    (void)arg;
    return city_world_fail(w, CITY_ERR_SCRIPT, "boom at %.1f s", city_world_time_s(w));
}

static void test_timed_events(void **state)
{
    (void)state;
    CityWorld *w = new_world(1);
    EventLog log = {{0}, {0}, 0};
    assert_int_equal(city_world_at(w, 5, record_event, &log, 1), CITY_OK);
    assert_int_equal(city_world_at(w, 2, record_event, &log, 2), CITY_OK);
    assert_int_equal(city_world_at(w, 5, record_event, &log, 3), CITY_OK);
    assert_int_equal(city_world_at(w, 0, record_event, &log, 4), CITY_OK);
    assert_int_equal(city_world_run_until(w, 10), CITY_OK);
    assert_int_equal(log.n, 5);
    int64_t want_arg[] = {4, 2, 99, 1, 3}, want_tick[] = {0, 2, 2, 5, 5};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(log.fired[i], want_arg[i]);
        assert_int_equal(log.at_tick[i], want_tick[i]);
    }
    assert_int_equal(city_world_at(w, 3, record_event, &log, 7), CITY_ERR_INVALID); /* past */
    assert_int_equal(city_world_at(w, 12, failing_event, NULL, 0), CITY_OK);
    assert_int_equal(city_world_run_until(w, 20), CITY_ERR_SCRIPT);
    assert_int_equal(city_world_tick(w), 12); /* the failing step did not advance */
    assert_string_equal(city_world_error(w), "boom at 1.2 s");
    city_world_destroy(w);
}

/* --- ids --- */

static void test_ids_generations(void **state)
{
    (void)state;
    CityPool pool;
    city_pool_init(&pool);
    CityId a = city_pool_alloc(&pool), b = city_pool_alloc(&pool);
    assert_int_equal(a.index, 0);
    assert_int_equal(b.index, 1);
    assert_true(city_pool_valid(&pool, a));
    assert_int_equal(city_pool_free(&pool, a), CITY_OK);
    assert_false(city_pool_valid(&pool, a));
    assert_int_equal(city_pool_free(&pool, a), CITY_ERR_STALE); /* double free detected */
    CityId c = city_pool_alloc(&pool);
    assert_int_equal(c.index, a.index); /* index reused ... */
    assert_true(c.gen > a.gen);         /* ... with a new generation */
    assert_false(city_pool_valid(&pool, a));
    assert_true(city_pool_valid(&pool, c));
    assert_false(city_pool_valid(&pool, CITY_ID_NULL));
    assert_true(city_id_equal(city_id_unpack(city_id_pack(c)), c));
    assert_int_equal(pool.live, 2);
    city_pool_destroy(&pool);
}

static void test_dense_swap_remove(void **state)
{
    (void)state;
    CityDense d;
    city_dense_init(&d);
    int value[8];
    CityId ids[5];
    for (int i = 0; i < 5; i++) {
        uint32_t slot;
        ids[i] = city_dense_add(&d, &slot);
        assert_int_equal(slot, (uint32_t)i);
        value[slot] = 100 + i;
    }
    uint32_t from, to;
    assert_int_equal(city_dense_remove(&d, ids[1], &from, &to), CITY_OK);
    value[to] = value[from]; /* mirror the swap */
    assert_int_equal(from, 4);
    assert_int_equal(to, 1);
    assert_int_equal(d.count, 4);
    assert_int_equal(value[city_dense_slot(&d, ids[4])], 104);
    assert_int_equal(city_dense_slot(&d, ids[1]), UINT32_MAX);
    assert_true(city_id_equal(city_dense_id(&d, 1), ids[4]));
    assert_int_equal(city_dense_remove(&d, ids[1], &from, &to), CITY_ERR_STALE);
    city_dense_destroy(&d);
}

/* --- RNG --- */

static void test_rng_streams(void **state)
{
    (void)state;
    CityWorld *w1 = new_world(42), *w2 = new_world(42), *w3 = new_world(43);
    /* Drawing from one stream must not shift another. */
    CityRng *road1 = city_world_rng(w1, "road");
    CityRng *ped1 = city_world_rng(w1, "ped");
    uint64_t first_ped = city_rng_next(ped1);
    for (int i = 0; i < 1000; i++)
        city_rng_next(road1);
    CityRng *ped2 = city_world_rng(w2, "ped");
    assert_true(city_rng_next(ped2) == first_ped);
    assert_ptr_equal(city_world_rng(w1, "ped"), ped1); /* stable pointer */
    assert_true(city_rng_next(city_world_rng(w3, "ped")) != first_ped);
    assert_true(city_rng_next(city_world_rng(w2, "road")) != first_ped);

    /* Uniform draws: mean 0.5 and variance 1/12 within 4 sigma for n=200000. */
    CityRng r;
    city_rng_seed(&r, 7, 0);
    const int n = 200000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; i++) {
        double u = city_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        sum2 += u * u;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    assert_true(fabs(mean - 0.5) < 4 * sqrt(1.0 / 12 / n));
    assert_true(fabs(var - 1.0 / 12) < 0.002);
    /* Exponential with rate 2 has mean 0.5. */
    sum = 0;
    for (int i = 0; i < n; i++)
        sum += city_rng_exponential(&r, 2.0);
    assert_true(fabs(sum / n - 0.5) < 4 * 0.5 / sqrt(n));
    /* below(6) is a fair die: each face within 4 sigma of n/6. */
    int faces[6] = {0};
    for (int i = 0; i < n; i++)
        faces[city_rng_below(&r, 6)]++;
    for (int f = 0; f < 6; f++)
        assert_true(fabs(faces[f] - n / 6.0) < 4 * sqrt(n * (1.0 / 6) * (5.0 / 6)));
    city_world_destroy(w1);
    city_world_destroy(w2);
    city_world_destroy(w3);
}

/* The ziggurat's normal: a chi-square of 1,000,000 draws over 34 bins
 * (width 0.25 on [-4, 4] and the two tails) against the normal CDF below
 * the 0.1 % critical value of 33 degrees of freedom (63.87), and the tail
 * beyond the ziggurat's R (a path of its own) within 4 sigma of its share. */
static void test_rng_normal_zig(void **state)
{
    (void)state;
    CityRng r;
    city_rng_seed(&r, 11, 3);
    enum { N = 1000000, BINS = 34 };
    long count[BINS] = {0}, tail = 0;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < N; i++) {
        const double z = city_rng_normal_zig(&r);
        assert_true(isfinite(z));
        sum += z;
        sum2 += z * z;
        tail += fabs(z) > 3.6541528853610088;
        const int b = z < -4.0 ? 0 : z >= 4.0 ? BINS - 1 : 1 + (int)floor((z + 4.0) / 0.25);
        count[b]++;
    }
    assert_true(fabs(sum / N) < 4.0 / sqrt(N));
    assert_true(fabs(sum2 / N - 1.0) < 4.0 * sqrt(2.0 / N));
    double chi2 = 0;
    for (int b = 0; b < BINS; b++) {
        const double lo = b == 0 ? -INFINITY : -4.0 + 0.25 * (b - 1);
        const double hi = b == 0 ? -4.0 : b == BINS - 1 ? INFINITY : lo + 0.25;
        const double p = 0.5 * (erfc(-hi / sqrt(2.0)) - erfc(-lo / sqrt(2.0)));
        chi2 += (count[b] - N * p) * (count[b] - N * p) / (N * p);
    }
    assert_true(chi2 < 63.87);
    const double p_tail = erfc(3.6541528853610088 / sqrt(2.0));
    assert_true(fabs(tail - N * p_tail) < 4.0 * sqrt(N * p_tail));
}

/* --- state hash --- */

typedef struct Counter {
    double x;
} Counter;

static CityStatus counter_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    Counter *c = self;
    c->x += city_rng_uniform(city_world_rng(w, "counter"));
    return CITY_OK;
}

static void counter_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    city_hash_f64(h, ((const Counter *)self)->x);
}

static uint64_t run_counter(uint64_t seed, int ticks)
{
    CityWorld *w = new_world(seed);
    static Counter c;
    c.x = 0;
    CitySubsystemDef def = {"counter", CITY_PHASE_PHYSICS, 1, 0, counter_step, counter_hash, NULL, NULL, NULL, NULL};
    assert_int_equal(city_world_add_subsystem(w, &def, &c), CITY_OK);
    assert_int_equal(city_world_run_until(w, ticks), CITY_OK);
    uint64_t h = city_world_hash(w);
    city_world_destroy(w);
    return h;
}

static void test_state_hash(void **state)
{
    (void)state;
    assert_true(run_counter(5, 100) == run_counter(5, 100));
    assert_true(run_counter(5, 100) != run_counter(6, 100));
    assert_true(run_counter(5, 100) != run_counter(5, 101));
    CityHash a, b;
    city_hash_init(&a);
    city_hash_init(&b);
    city_hash_f64(&a, 0.0);
    city_hash_f64(&b, -0.0);
    assert_true(city_hash_value(&a) == city_hash_value(&b));
}

/* A fake clock that moves 10 ns at every reading: the account is then
 * exact (each timed span is one reading apart) and the hash is the same
 * with accounting on or off. */
static uint64_t fake_clock(void *user)
{
    uint64_t *t = user;
    return *t += 10;
}

static void test_wall_account(void **state)
{
    (void)state;
    Trace trace = {{0}};
    Probe fast = {"fast", &trace, 0}, slow = {"slow", &trace, 0};
    uint64_t clock = 0, hashes[2];
    for (int on = 0; on < 2; on++) {
        CityWorld *w = new_world(3);
        CitySubsystemDef d_fast = {"fast", CITY_PHASE_PHYSICS, 1, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
        CitySubsystemDef d_slow = {"slow", CITY_PHASE_REPORT, 4, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
        assert_int_equal(city_world_add_subsystem(w, &d_fast, &fast), CITY_OK);
        assert_int_equal(city_world_add_subsystem(w, &d_slow, &slow), CITY_OK);
        if (on)
            city_world_set_wall_clock(w, fake_clock, &clock);
        trace.log[0] = '\0';
        assert_int_equal(city_world_run_until(w, 20), CITY_OK);
        hashes[on] = city_world_hash(w);
        CityWallShare shares[3];
        assert_int_equal(city_world_wall_shares(w, shares, 3), 3);
        assert_string_equal(shares[0].name, "fast");
        assert_string_equal(shares[1].name, "slow");
        assert_string_equal(shares[2].name, "events");
        /* off: nothing counted; on: 20 fast steps, 5 slow ones, 20 event spans, 10 ns each */
        assert_int_equal(shares[0].ns, on ? 200 : 0);
        assert_int_equal(shares[1].ns, on ? 50 : 0);
        assert_int_equal(shares[2].ns, on ? 200 : 0);
        assert_int_equal(city_world_wall_shares(w, NULL, 0), 3);
        city_world_destroy(w);
    }
    assert_true(hashes[0] == hashes[1]);
}

/* Sampled, the account times one tick in 16 after the first 64 and counts
 * each 16 times: within 10 % of the exact account over 100,000 ticks, also
 * for a subsystem that runs every 16 ticks (a sample every 16th tick would
 * time it always or never), with a tenth of the clock reads, the hash
 * untouched. Counts that are not a power of two are refused. */
static void test_wall_account_sampled(void **state)
{
    (void)state;
    Trace trace = {{0}};
    Probe fast = {"fast", &trace, 0}, slow = {"slow", &trace, 0}, sixteen = {"sixteen", &trace, 0};
    const int64_t ticks = 100000;
    uint64_t clock = 0, exact[4] = {0}, hashes[2];
    for (int on = 0; on < 2; on++) {
        CityWorld *w = new_world(3);
        CitySubsystemDef d_fast = {"fast", CITY_PHASE_PHYSICS, 1, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
        CitySubsystemDef d_slow = {"slow", CITY_PHASE_REPORT, 4, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
        CitySubsystemDef d_16 = {"sixteen", CITY_PHASE_SENSE, 16, 0, probe_step, NULL, NULL, NULL, NULL, NULL};
        assert_int_equal(city_world_add_subsystem(w, &d_fast, &fast), CITY_OK);
        assert_int_equal(city_world_add_subsystem(w, &d_slow, &slow), CITY_OK);
        assert_int_equal(city_world_add_subsystem(w, &d_16, &sixteen), CITY_OK);
        city_world_set_wall_clock(w, fake_clock, &clock);
        assert_int_equal(city_world_set_wall_sampling(w, 3), CITY_ERR_INVALID);
        assert_int_equal(city_world_set_wall_sampling(w, 0), CITY_ERR_INVALID);
        assert_int_equal(city_world_set_wall_sampling(w, on ? 16 : 1), CITY_OK);
        clock = 0;
        trace.log[0] = '\0';
        assert_int_equal(city_world_run_until(w, ticks), CITY_OK);
        hashes[on] = city_world_hash(w);
        CityWallShare shares[4];
        assert_int_equal(city_world_wall_shares(w, shares, 4), 4);
        if (!on) { /* every tick: 10 ns a span, exact */
            assert_int_equal(shares[0].ns, 10 * ticks);
            assert_int_equal(shares[1].ns, 10 * ticks / 4);
            assert_int_equal(shares[2].ns, 10 * ticks / 16);
            assert_int_equal(shares[3].ns, 10 * ticks);
            assert_int_equal(clock / 10, ticks * 2 + ticks + ticks / 4 + ticks / 16);
            for (int i = 0; i < 4; i++)
                exact[i] = shares[i].ns;
        } else {
            for (int i = 0; i < 4; i++)
                if (fabs((double)shares[i].ns - (double)exact[i]) > 0.1 * (double)exact[i])
                    fail_msg("sampled share of %s: %llu ns, exact %llu ns", shares[i].name,
                             (unsigned long long)shares[i].ns, (unsigned long long)exact[i]);
            assert_true(clock / 10 < (uint64_t)(ticks * 2 + ticks + ticks / 4 + ticks / 16) / 10);
        }
        city_world_destroy(w);
    }
    assert_true(hashes[0] == hashes[1]);
}

/* --- KPIs, checks, tables --- */

static void test_reports(void **state)
{
    (void)state;
    CityWorld *w = new_world(1);
    city_world_kpi_set(w, "zeta", 1);
    city_world_kpi_set(w, "alpha", 2);
    city_world_kpi_add(w, "alpha", 0.5);
    assert_int_equal(city_world_kpi_count(w), 2);
    const char *name;
    double v;
    city_world_kpi_at(w, 0, &name, &v);
    assert_string_equal(name, "alpha");
    assert_true(v == 2.5);
    /* set in one order round after round (a publisher), with new names
     * shifting the slots between rounds: each lands in its own */
    const char *order[] = {"zeta", "mid", "alpha", "beta"};
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 4; i++)
            city_world_kpi_set(w, order[i], 10.0 * round + i);
        if (round == 1)
            city_world_kpi_set(w, "gamma", -1.0);
        for (int i = 0; i < 4; i++) {
            assert_true(city_world_kpi_get(w, order[i], &v));
            assert_true(v == 10.0 * round + i);
        }
    }
    assert_true(city_world_kpi_get(w, "gamma", &v) && v == -1.0);
    assert_int_equal(city_world_kpi_count(w), 5);
    city_world_kpi_at(w, 1, &name, &v);
    assert_string_equal(name, "beta");

    city_world_check_declare(w, "b");
    city_world_check_declare(w, "a");
    assert_false(city_world_checks_pass(w)); /* not yet evaluated */
    city_world_check_report(w, "b", true, "");
    city_world_check_report(w, "a", false, "first failure");
    city_world_check_report(w, "a", true, "later pass");
    assert_string_equal(city_world_check_at(w, 0)->name, "b");
    assert_string_equal(city_world_check_at(w, 1)->message, "first failure");
    assert_false(city_world_checks_pass(w));

    CityTable *t = city_world_table(w, "speeds", "time_s,speed_mps");
    assert_ptr_equal(city_world_table(w, "speeds", "ignored"), t);
    city_table_row(t, "%.1f,%.3f", 0.5, 12.25);
    city_table_row(t, "%.1f,%.3f", 1.0, 3.0);
    size_t len;
    assert_string_equal(city_table_data(t, &len), "0.5,12.250\n1.0,3.000\n");
    assert_int_equal(city_table_rows(t), 2);
    city_world_destroy(w);
}

static CityStatus no_step(CityWorld *world, void *self, int64_t tick)
{
    (void)world;
    (void)self;
    (void)tick;
    return CITY_OK;
}

static CityStatus finish_count(CityWorld *world, void *self)
{
    (void)world;
    ++*(int *)self;
    return CITY_OK;
}

/* The finish hook runs once, however often the run is ended. */
static void test_finish_once(void **state)
{
    (void)state;
    CityWorldConfig cfg = {.seed = 1, .dt_ms = 100};
    CityWorld *w = city_world_create(&cfg);
    int *calls = calloc(1, sizeof *calls);
    CitySubsystemDef def = {.name = "fin",
                            .phase = CITY_PHASE_REPORT,
                            .period_ticks = 1,
                            .step = no_step,
                            .destroy = free,
                            .finish = finish_count};
    assert_int_equal(city_world_add_subsystem(w, &def, calls), CITY_OK);
    assert_int_equal(city_world_run_until(w, 5), CITY_OK);
    assert_false(city_world_finished(w));
    assert_int_equal(city_world_finish(w), CITY_OK);
    assert_int_equal(city_world_finish(w), CITY_OK);
    assert_int_equal(*calls, 1);
    city_world_destroy(w);
}

/* The one splitter of space-separated lists: word lengths, the cut copy
 * of a word longer than the buffer, and the end of the list. */
static void test_list_words(void **state)
{
    (void)state;
    const char *s = "  a bb   ccc  abcdefghij ";
    char w[8];
    assert_int_equal(city_list_next(&s, w, sizeof w), 1);
    assert_string_equal(w, "a");
    assert_int_equal(city_list_next(&s, w, sizeof w), 2);
    assert_string_equal(w, "bb");
    assert_int_equal(city_list_next(&s, w, sizeof w), 3);
    assert_string_equal(w, "ccc");
    assert_int_equal(city_list_next(&s, w, sizeof w), 10); /* the full length, so the caller sees the cut */
    assert_string_equal(w, "abcdefg");
    assert_int_equal(city_list_next(&s, w, sizeof w), 0);
    assert_int_equal(city_list_next(&s, w, sizeof w), 0);
    char *copy = city_strdup("x y");
    assert_string_equal(copy, "x y");
    free(copy);
}

/* The one whole-file read: exact bytes across its 64 KiB growth step, a
 * NUL after them, and errno on a missing file or one over the limit. */
static void test_file_read(void **state)
{
    (void)state;
    char path[] = "/tmp/citylab-test-read-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    const size_t n = 200000;
    for (size_t i = 0; i < n; i++)
        fputc((int)(i * 7 % 251), f);
    assert_int_equal(fclose(f), 0);
    size_t len = 1;
    char *buf = city_file_read(path, n, &len);
    assert_non_null(buf);
    assert_int_equal(len, n);
    for (size_t i = 0; i < n; i += 997)
        assert_int_equal((unsigned char)buf[i], i * 7 % 251);
    assert_int_equal(buf[n], 0);
    free(buf);
    errno = 0;
    assert_null(city_file_read(path, n - 1, &len));
    assert_int_equal(errno, EFBIG);
    assert_int_equal(len, 0);
    unlink(path);
    assert_null(city_file_read(path, n, &len));
    assert_int_equal(errno, ENOENT);
}

/* The one grouping by key: groups in key order, items in their own order
 * within a group (the order a loader's link numbering depends on), empty
 * groups, and keys outside the range left out. */
static void test_groups(void **state)
{
    (void)state;
    const int32_t key[] = {2, 0, -1, 2, 0, 5, 2, 3};
    CityGroups g;
    assert_true(city_groups_build(&g, key, 8, 4));
    const int32_t first[] = {0, 2, 2, 5, 6}, items[] = {1, 4, 0, 3, 6, 7};
    assert_int_equal(g.n_groups, 4);
    assert_memory_equal(g.first, first, sizeof first);
    assert_memory_equal(g.items, items, sizeof items);
    city_groups_free(&g);
    assert_null(g.first);
    assert_true(city_groups_build(&g, key, 0, 0)); /* nothing to group */
    assert_int_equal(g.first[0], 0);
    city_groups_free(&g);
}

/* The string arena: every copy stays where it was put and intact while
 * later ones fill blocks and outgrow them (a string too long for the room
 * left gets a block of its own when over a quarter block, and the block in
 * use keeps its room); NULL copies as NULL. */
static void test_string_arena(void **state)
{
    (void)state;
    CityStrArena a = {0};
    assert_null(city_arena_strdup(&a, NULL));
    enum { N = 40000 };
    char **got = malloc(N * sizeof *got);
    static char big[70000]; /* more than a block: always its own */
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_non_null(got);
    for (int i = 0; i < N; i++) {
        char s[32];
        snprintf(s, sizeof s, "lane_%d", i);
        got[i] = city_arena_strdup(&a, i % 5000 == 17 ? big : s);
        assert_non_null(got[i]);
    }
    for (int i = 0; i < N; i++) {
        char s[32];
        snprintf(s, sizeof s, "lane_%d", i);
        assert_string_equal(got[i], i % 5000 == 17 ? big : s);
    }
    assert_true(got[18] == got[16] + strlen(got[16]) + 1); /* a big one left the block's room to the next */
    city_arena_free(&a);
    assert_null(a.blocks);
    free(got);
}

/* A worker runs each job posted once, in order, on the inputs set while it
 * was idle, and its results are there after a wait: 2,000 jobs, each the
 * sum of 1 .. k for the k posted, appended in turn; stopping twice is
 * harmless. */
typedef struct SumJob {
    int64_t k; /* input, set while idle */
    int64_t out[2000];
    int n; /* results so far */
} SumJob;

static void sum_job(void *arg)
{
    SumJob *j = arg;
    int64_t sum = 0;
    for (int64_t i = 1; i <= j->k; i++)
        sum += i;
    j->out[j->n++] = sum;
}

static void test_worker_runs_jobs_in_order(void **state)
{
    (void)state;
    static SumJob job;
    CityWorker w;
    if (city_cpus_available() < 2) {
        assert_false(city_worker_start(&w, sum_job, &job)); /* one CPU: the caller works alone */
        skip();
    }
    assert_true(city_worker_start(&w, sum_job, &job));
    for (int k = 0; k < 2000; k++) {
        if (k % 2 == 0) {
            city_worker_wait(&w);
        } else { /* done without waiting: the job's results are there to read */
            while (!city_worker_done(&w))
                sched_yield();
            assert_int_equal(job.n, k);
            assert_true(job.out[k - 1] == (int64_t)(k - 1) * k / 2);
        }
        job.k = k;
        city_worker_post(&w);
    }
    city_worker_wait(&w);
    assert_true(city_worker_done(&w));
    assert_int_equal(job.n, 2000);
    for (int k = 0; k < 2000; k++)
        assert_true(job.out[k] == (int64_t)k * (k + 1) / 2);
    city_worker_stop(&w);
    city_worker_stop(&w);
    assert_false(w.started);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheduler_order_and_periods),
        cmocka_unit_test(test_timed_events),
        cmocka_unit_test(test_ids_generations),
        cmocka_unit_test(test_dense_swap_remove),
        cmocka_unit_test(test_rng_streams),
        cmocka_unit_test(test_string_arena),
        cmocka_unit_test(test_worker_runs_jobs_in_order),
        cmocka_unit_test(test_rng_normal_zig),
        cmocka_unit_test(test_state_hash),
        cmocka_unit_test(test_wall_account),
        cmocka_unit_test(test_wall_account_sampled),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_finish_once),
        cmocka_unit_test(test_list_words),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_file_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
