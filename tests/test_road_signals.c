/* Road signals: fixed-time cycles with SUMO offsets, gap-based actuation,
 * max-pressure choice and yellow transitions, external hold, program
 * validation and the state hash, on one signalised 4-arm junction.
 *
 * The junction "C" has arms N, E, S, W (k = 0..3), one lane in and one out
 * on each. Link 3k+0 turns right, 3k+1 goes straight, 3k+2 turns left from
 * arm k. The default program is netconvert's shape: NS green (lefts 'g'),
 * yellow, EW green, yellow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_road_net.h"
#include "road_signals.h"

enum { N_ARMS = 4, N_LINKS = 12 };

static const char *const STATES4[4] = {"GGgrrrGGgrrr", "yyyrrryyyrrr", "rrrGGgrrrGGg", "rrryyyrrryyy"};

typedef struct Timing {
    double dur_s, min_s, max_s;
} Timing;

static const Timing FIXED4[4] = {{31, 31, 31}, {3, 3, 3}, {31, 31, 31}, {3, 3, 3}};

typedef struct Fixture {
    CityRoadNet *net;
    RoadSignals *sig;
    int32_t tls;
    int32_t in[N_ARMS], out[N_ARMS]; /* lane indices per arm */
    int32_t count[16];
    double detect_s[16];
    RoadLaneSense sense;
    int32_t dt_ms;
    int64_t tick;           /* next tick to step */
    char prev[N_LINKS + 1]; /* state shown before the last step */
} Fixture;

/* Builds the junction with a 4-phase program of the given timings. */
static void fixture_init(Fixture *f, CityTlsType type, double offset_s, const Timing timing[4], int32_t dt_ms)
{
    memset(f, 0, sizeof *f);
    CityError err = {0};
    CityRoadNet *net = city_road_net_create();
    assert_non_null(net);
    static const double ax[N_ARMS] = {0, 100, 0, -100}, ay[N_ARMS] = {100, 0, -100, 0};
    static const char *const names[N_ARMS] = {"N", "E", "S", "W"};
    int32_t c = city_road_net_add_junction(net, "C", CITY_JUNCTION_TRAFFIC_LIGHT, 0, 0, NULL, 0, &err);
    assert_true(c >= 0);
    int32_t arm[N_ARMS];
    for (int k = 0; k < N_ARMS; k++) {
        arm[k] = city_road_net_add_junction(net, names[k], CITY_JUNCTION_DEAD_END, ax[k], ay[k], NULL, 0, &err);
        assert_true(arm[k] >= 0);
    }
    for (int k = 0; k < N_ARMS; k++) {
        char id[16];
        snprintf(id, sizeof id, "%s_in", names[k]);
        int32_t e = city_road_net_add_edge(net, id, arm[k], c, 1, false, NULL, &err);
        assert_true(e >= 0);
        CityPoint in_shape[2] = {{ax[k], ay[k]}, {0.1 * ax[k], 0.1 * ay[k]}};
        snprintf(id, sizeof id, "%s_in_0", names[k]);
        f->in[k] = city_road_net_add_lane(net, e, id, 13.9, 0, 3.2, CITY_VC_ALL, in_shape, 2, &err);
        assert_true(f->in[k] >= 0);
        snprintf(id, sizeof id, "%s_out", names[k]);
        e = city_road_net_add_edge(net, id, c, arm[k], 1, false, NULL, &err);
        assert_true(e >= 0);
        CityPoint out_shape[2] = {{0.1 * ax[k], 0.1 * ay[k]}, {ax[k], ay[k]}};
        snprintf(id, sizeof id, "%s_out_0", names[k]);
        f->out[k] = city_road_net_add_lane(net, e, id, 13.9, 0, 3.2, CITY_VC_ALL, out_shape, 2, &err);
        assert_true(f->out[k] >= 0);
    }
    f->tls = city_road_net_add_tls(net, "C", "0", type, offset_s, N_LINKS, &err);
    assert_true(f->tls >= 0);
    for (int p = 0; p < 4; p++)
        assert_true(city_road_net_add_phase(net, f->tls, timing[p].dur_s, timing[p].min_s, timing[p].max_s, STATES4[p],
                                            &err) >= 0);
    /* Right-hand traffic: from arm k, right leads to arm k+3, straight to
     * k+2, left to k+1 (mod 4). */
    for (int k = 0; k < N_ARMS; k++) {
        static const int turn[3] = {3, 2, 1};
        static const char dir[3] = {'r', 's', 'l'};
        for (int m = 0; m < 3; m++)
            assert_true(city_road_net_add_connection(net, f->in[k], f->out[(k + turn[m]) % 4], NULL, 0, c, f->tls,
                                                     3 * k + m, dir[m], m == 2 ? 'm' : 'M', &err) >= 0);
    }
    assert_int_equal(city_road_net_set_junction_tls(net, c, f->tls, &err), CITY_OK);
    if (city_road_net_finalize(net, &err) != CITY_OK)
        fail_msg("finalize: %s", err.msg);
    assert_true(net->n_lanes <= 16);
    f->net = net;
    f->sig = road_signals_create(net);
    assert_non_null(f->sig);
    for (int l = 0; l < 16; l++)
        f->detect_s[l] = -1e30;
    f->sense = (RoadLaneSense){f->count, f->detect_s};
    f->dt_ms = dt_ms;
    strcpy(f->prev, road_signals_state(f->sig, f->tls));
}

static void fixture_free(Fixture *f)
{
    road_signals_destroy(f->sig);
    city_road_net_destroy(f->net);
}

static double fx_now_s(const Fixture *f)
{
    return (double)(f->tick * f->dt_ms) / 1000.0;
}

static bool is_green(char c)
{
    return c == 'G' || c == 'g';
}

/* Safety of what the light shows from one tick to the next: a link never
 * goes from green straight to red, and the crossing straight movements
 * (north-south links 1 and 7, east-west links 4 and 10) are never green
 * together. */
static void check_transition(const char *prev, const char *now, double t_s)
{
    for (int k = 0; k < N_LINKS; k++)
        if (is_green(prev[k]) && now[k] == 'r')
            fail_msg("t=%.1f s: link %d went from green to red without yellow (%s -> %s)", t_s, k, prev, now);
    bool ns = is_green(now[1]) || is_green(now[7]), ew = is_green(now[4]) || is_green(now[10]);
    if (ns && ew)
        fail_msg("t=%.1f s: conflicting greens %s", t_s, now);
}

/* One step at the fixture's next tick. */
static void fx_step(Fixture *f)
{
    road_signals_step(f->sig, f->tick * f->dt_ms, f->dt_ms, &f->sense);
    const char *now = road_signals_state(f->sig, f->tls);
    check_transition(f->prev, now, fx_now_s(f));
    strcpy(f->prev, now);
    f->tick++;
}

/* Steps up to and including time until_ms. */
static void fx_run_to(Fixture *f, int64_t until_ms)
{
    while (f->tick * f->dt_ms <= until_ms)
        fx_step(f);
}

static int32_t fx_phase(const Fixture *f)
{
    return road_signals_phase(f->sig, f->tls);
}
static double fx_start(const Fixture *f)
{
    return road_signals_phase_start_s(f->sig, f->tls);
}

/* ---- fixed time -------------------------------------------------------- */

/* Reference: phase and its start at time t_ms of a fixed program under
 * SUMO's offset rule, position = (t - offset) mod cycle. */
static int32_t ref_phase(const int64_t dur_ms[4], int64_t offset_ms, int64_t t_ms, int64_t *start_ms)
{
    int64_t cycle = dur_ms[0] + dur_ms[1] + dur_ms[2] + dur_ms[3];
    int64_t pos = ((t_ms - offset_ms) % cycle + cycle) % cycle;
    int32_t p = 0;
    while (pos >= dur_ms[p])
        pos -= dur_ms[p++];
    *start_ms = t_ms - pos;
    return p;
}

/* Every tick over three cycles agrees with the reference: phase, state and
 * the exact start time, whatever dt. */
static void check_fixed_cycles(double offset_s, int32_t dt_ms)
{
    Fixture f;
    fixture_init(&f, CITY_TLS_STATIC, offset_s, FIXED4, dt_ms);
    const int64_t dur[4] = {31000, 3000, 31000, 3000};
    int64_t offset_ms = (int64_t)llround(offset_s * 1000);
    while (f.tick * dt_ms <= 3 * 68000 + 1000) {
        fx_step(&f);
        int64_t t_ms = (f.tick - 1) * dt_ms, start;
        int32_t p = ref_phase(dur, offset_ms, t_ms, &start);
        if (fx_phase(&f) != p || fx_start(&f) != (double)start / 1000.0)
            fail_msg("offset %g s, dt %d ms, t=%lld ms: phase %d from %.3f s, expected %d from %.3f s", offset_s,
                     (int)dt_ms, (long long)t_ms, (int)fx_phase(&f), fx_start(&f), (int)p, (double)start / 1000.0);
        assert_string_equal(road_signals_state(f.sig, f.tls), STATES4[p]);
    }
    fixture_free(&f);
}

static void test_fixed_time_matches_reference(void **state)
{
    (void)state;
    const double offsets[] = {0, 10, -20, 75, 33.3};
    const int32_t dts[] = {100, 1000, 700};
    for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++)
        for (size_t j = 0; j < sizeof dts / sizeof *dts; j++)
            check_fixed_cycles(offsets[i], dts[j]);
}

static void test_fixed_time_boundaries_dt_100ms(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f, CITY_TLS_STATIC, 0, FIXED4, 100);
    fx_run_to(&f, 30900);
    assert_int_equal(fx_phase(&f), 0);
    fx_run_to(&f, 31000); /* a phase owns [start, start + duration) */
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 31.0);
    assert_string_equal(road_signals_state(f.sig, f.tls), "yyyrrryyyrrr");
    fx_run_to(&f, 33900);
    assert_int_equal(fx_phase(&f), 1);
    fx_run_to(&f, 34000);
    assert_int_equal(fx_phase(&f), 2);
    fx_run_to(&f, 67900);
    assert_int_equal(fx_phase(&f), 3);
    fx_run_to(&f, 68000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 68.0);
    /* third cycle: 2 * 68 + 65 = 201 s starts the last yellow */
    fx_run_to(&f, 200900);
    assert_int_equal(fx_phase(&f), 2);
    fx_run_to(&f, 201000);
    assert_int_equal(fx_phase(&f), 3);
    assert_true(fx_start(&f) == 201.0);
    fixture_free(&f);
}

/* SUMO's offset delays the program: with offset 10 s, phase 0 begins at
 * t = 10 s, so at t = 0 the light is 58 s into its 68 s cycle (EW green
 * since -24 s). */
static void test_fixed_time_offset_dt_1s(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f, CITY_TLS_STATIC, 10, FIXED4, 1000);
    assert_int_equal(fx_phase(&f), 2);
    assert_true(fx_start(&f) == -24.0);
    fx_run_to(&f, 6000);
    assert_int_equal(fx_phase(&f), 2);
    fx_run_to(&f, 7000);
    assert_int_equal(fx_phase(&f), 3);
    assert_true(fx_start(&f) == 7.0);
    fx_run_to(&f, 9000);
    assert_int_equal(fx_phase(&f), 3);
    fx_run_to(&f, 10000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 10.0);
    fx_run_to(&f, 41000);
    assert_int_equal(fx_phase(&f), 1);
    fx_run_to(&f, 78000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 78.0);
    fixture_free(&f);

    /* a negative offset advances it: -20 s puts t = 0 at 20 s into phase 0 */
    fixture_init(&f, CITY_TLS_STATIC, -20, FIXED4, 1000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == -20.0);
    fx_run_to(&f, 10000);
    assert_int_equal(fx_phase(&f), 0);
    fx_run_to(&f, 11000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 11.0);
    fixture_free(&f);
}

/* ---- actuated ---------------------------------------------------------- */

/* Greens between 10 and 50 s; the first yellow has bounds too but, having
 * no green, keeps its 3 s. */
static const Timing ACT4[4] = {{31, 10, 50}, {3, 2, 6}, {31, 10, 50}, {3, 3, 3}};

/* Steps while a vehicle crosses lane `lane`'s detector on every tick up to
 * last_ms (stamped one tick back: the lights read the previous step). */
static void fx_run_detecting(Fixture *f, int32_t lane, int64_t last_ms, int64_t until_ms)
{
    while (f->tick * f->dt_ms <= until_ms) {
        int64_t seen = (f->tick - 1) * f->dt_ms;
        if (f->tick > 0 && seen <= last_ms)
            f->detect_s[lane] = (double)seen / 1000.0;
        fx_step(f);
    }
}

static void test_actuated_continuous_detection_lasts_max(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f, CITY_TLS_ACTUATED, 0, ACT4, 100);
    fx_run_detecting(&f, f.in[0], INT64_MAX, 49900);
    assert_int_equal(fx_phase(&f), 0);
    fx_run_detecting(&f, f.in[0], INT64_MAX, 50000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 50.0);
    /* the yellow keeps its duration although its min < max */
    fx_run_detecting(&f, f.in[0], INT64_MAX, 52900);
    assert_int_equal(fx_phase(&f), 1);
    fx_run_detecting(&f, f.in[0], INT64_MAX, 53000);
    assert_int_equal(fx_phase(&f), 2);
    assert_true(fx_start(&f) == 53.0);
    fixture_free(&f);
}

static void test_actuated_no_detection_lasts_min(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f, CITY_TLS_ACTUATED, 0, ACT4, 100);
    fx_run_to(&f, 9900);
    assert_int_equal(fx_phase(&f), 0);
    fx_run_to(&f, 10000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 10.0);
    fx_run_to(&f, 13000);
    assert_int_equal(fx_phase(&f), 2);
    fx_run_to(&f, 23000); /* EW green: min 10 s too */
    assert_int_equal(fx_phase(&f), 3);
    assert_true(fx_start(&f) == 23.0);
    fixture_free(&f);

    /* vehicles on a red approach (E) do not extend the NS green */
    fixture_init(&f, CITY_TLS_ACTUATED, 0, ACT4, 100);
    fx_run_detecting(&f, f.in[1], INT64_MAX, 10000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 10.0);
    fixture_free(&f);
}

static void test_actuated_gap_out(void **state)
{
    (void)state;
    Fixture f;
    /* last vehicle at 20.0 s: the green ends at 20 + 3 = 23.0 s */
    fixture_init(&f, CITY_TLS_ACTUATED, 0, ACT4, 100);
    fx_run_detecting(&f, f.in[2], 20000, 22900);
    assert_int_equal(fx_phase(&f), 0);
    fx_run_detecting(&f, f.in[2], 20000, 23000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 23.0);
    fixture_free(&f);

    /* dt 1 s and a vehicle seen at 20.5 s (between ticks): the green ends at
     * 23.5 s, shown from the next tick (24 s), and the yellow is timed from
     * 23.5 s */
    fixture_init(&f, CITY_TLS_ACTUATED, 0, ACT4, 1000);
    fx_run_detecting(&f, f.in[0], 20000, 20000);
    f.detect_s[f.in[0]] = 20.5;
    fx_run_to(&f, 23000);
    assert_int_equal(fx_phase(&f), 0);
    fx_run_to(&f, 24000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 23.5);
    fx_run_to(&f, 26000);
    assert_int_equal(fx_phase(&f), 1);
    fx_run_to(&f, 27000);
    assert_int_equal(fx_phase(&f), 2);
    assert_true(fx_start(&f) == 26.5);
    fixture_free(&f);
}

/* ---- max pressure ------------------------------------------------------ */

static const Timing MP4[4] = {{31, 5, 31}, {3, 3, 3}, {31, 5, 31}, {3, 3, 3}};

static void test_max_pressure_serves_loaded_approach(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f, CITY_TLS_MAX_PRESSURE, 0, MP4, 100);
    f.count[f.in[1]] = 10; /* queue on the east approach */
    fx_run_to(&f, 4900);
    assert_int_equal(fx_phase(&f), 0);
    /* first decision at min green (5 s): EW wins 30 to 0, through yellow 1 */
    fx_run_to(&f, 5000);
    assert_int_equal(fx_phase(&f), 1);
    assert_string_equal(road_signals_state(f.sig, f.tls), "yyyrrryyyrrr");
    assert_true(fx_start(&f) == 5.0);
    fx_run_to(&f, 7900);
    assert_int_equal(fx_phase(&f), 1);
    fx_run_to(&f, 8000);
    assert_int_equal(fx_phase(&f), 2);
    assert_true(fx_start(&f) == 8.0);
    /* the queue moves to the north approach at 20 s; decisions at 13 and
     * 18 s keep EW, the one at 23 s leaves through yellow 3 */
    fx_run_to(&f, 19900);
    f.count[f.in[1]] = 0;
    f.count[f.in[0]] = 7;
    fx_run_to(&f, 22900);
    assert_int_equal(fx_phase(&f), 2);
    assert_true(fx_start(&f) == 8.0);
    fx_run_to(&f, 23000);
    assert_int_equal(fx_phase(&f), 3);
    fx_run_to(&f, 26000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 26.0);
    fixture_free(&f);
}

/* Downstream queues count against a phase: N has more vehicles (6) than E
 * (4), but N's left turn and the S and W movements feed the full east exit
 * (10): NS = (18 - 10) + (0 - 10) = -2, EW = 12 + (0 - 10) = 2. */
static void test_max_pressure_subtracts_downstream(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f, CITY_TLS_MAX_PRESSURE, 0, MP4, 100);
    f.count[f.in[0]] = 6;
    f.count[f.in[1]] = 4;
    f.count[f.out[1]] = 10;
    fx_run_to(&f, 8000);
    assert_int_equal(fx_phase(&f), 2);
    fixture_free(&f);

    /* without the downstream queue, N wins 18 to 12: no switch */
    fixture_init(&f, CITY_TLS_MAX_PRESSURE, 0, MP4, 100);
    f.count[f.in[0]] = 6;
    f.count[f.in[1]] = 4;
    fx_run_to(&f, 60000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 0.0);
    fixture_free(&f);
}

static void test_max_pressure_ties(void **state)
{
    (void)state;
    Fixture f;
    /* equal pressure on both greens: stay */
    fixture_init(&f, CITY_TLS_MAX_PRESSURE, 0, MP4, 100);
    f.count[f.in[0]] = 5;
    f.count[f.in[1]] = 5;
    fx_run_to(&f, 100000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 0.0);
    fixture_free(&f);

    /* two equal better greens (2 and 4): the lower index */
    fixture_init(&f, CITY_TLS_MAX_PRESSURE, 0, MP4, 100);
    CityError err = {0};
    CityTlsPhase ph[5] = {{31, 5, 31, 0}, {3, 3, 3, 0}, {31, 5, 31, 0}, {3, 3, 3, 0}, {31, 5, 31, 0}};
    const char *states[5] = {STATES4[0], STATES4[1], STATES4[2], STATES4[3], STATES4[2]};
    assert_int_equal(road_signals_set_program(f.sig, f.tls, ph, states, 5, &err), CITY_OK);
    f.count[f.in[3]] = 2;
    fx_run_to(&f, 8000);
    assert_int_equal(fx_phase(&f), 2);
    fixture_free(&f);
}

/* Without a yellow after the green in the program, the switch shows a
 * synthesized 3 s yellow on the links that lose their green; links green
 * in both phases stay green. The phase index stays the green being left. */
static void test_max_pressure_synthesized_yellow(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f, CITY_TLS_MAX_PRESSURE, 0, MP4, 100);
    CityError err = {0};
    CityTlsPhase ph[2] = {{31, 5, 31, 0}, {31, 5, 31, 0}};
    const char *states[2] = {"GGgrrrGGgrrr", "GrrGGgGrrGGg"};
    assert_int_equal(road_signals_set_program(f.sig, f.tls, ph, states, 2, &err), CITY_OK);
    f.count[f.in[1]] = 10;
    fx_run_to(&f, 4900);
    assert_string_equal(road_signals_state(f.sig, f.tls), "GGgrrrGGgrrr");
    fx_run_to(&f, 5000);
    assert_string_equal(road_signals_state(f.sig, f.tls), "GyyrrrGyyrrr");
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 0.0);
    fx_run_to(&f, 7900);
    assert_string_equal(road_signals_state(f.sig, f.tls), "GyyrrrGyyrrr");
    fx_run_to(&f, 8000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 8.0);
    assert_string_equal(road_signals_state(f.sig, f.tls), "GrrGGgGrrGGg");
    fixture_free(&f);
}

/* ---- external ---------------------------------------------------------- */

static void test_external_holds_until_told(void **state)
{
    (void)state;
    Fixture f;
    CityError err = {0};
    fixture_init(&f, CITY_TLS_EXTERNAL, 0, FIXED4, 1000);
    fx_run_to(&f, 49000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 0.0);
    assert_int_equal(road_signals_set_phase(f.sig, f.tls, 1, 50.0, &err), CITY_OK);
    fx_run_to(&f, 60000);
    assert_int_equal(road_signals_set_phase(f.sig, f.tls, 2, 61.0, &err), CITY_OK);
    fx_run_to(&f, 200000);
    assert_int_equal(fx_phase(&f), 2);
    assert_true(fx_start(&f) == 61.0);
    assert_string_equal(road_signals_state(f.sig, f.tls), STATES4[2]);

    assert_int_equal(road_signals_set_phase(f.sig, f.tls, 4, 201.0, &err), CITY_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'C'"));
    assert_non_null(strstr(err.msg, "no phase 4"));
    assert_int_equal(road_signals_set_type(f.sig, f.tls, (CityTlsType)99, &err), CITY_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'C'"));
    assert_int_equal(road_signals_set_phase(f.sig, 7, 0, 201.0, &err), CITY_ERR_INVALID);

    /* back to fixed time: the held green overran, so it ends at the next
     * step and the program goes on from there */
    assert_int_equal(road_signals_set_type(f.sig, f.tls, CITY_TLS_STATIC, &err), CITY_OK);
    fx_run_to(&f, 201000);
    assert_int_equal(fx_phase(&f), 3);
    assert_true(fx_start(&f) == 201.0);
    fx_run_to(&f, 204000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 204.0);
    fixture_free(&f);
}

/* ---- programs ---------------------------------------------------------- */

static void expect_refused(Fixture *f, const CityTlsPhase *ph, const char *const *states, int32_t n,
                           const char *const *needles)
{
    CityError err = {0};
    assert_int_equal(road_signals_set_program(f->sig, f->tls, ph, states, n, &err), CITY_ERR_INVALID);
    for (; *needles; needles++)
        if (!strstr(err.msg, *needles))
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, *needles);
}

static void test_bad_programs_refused(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f, CITY_TLS_STATIC, 0, FIXED4, 1000);
    fx_run_to(&f, 5000);
    CityTlsPhase ok[4] = {{31, 31, 31, 0}, {3, 3, 3, 0}, {31, 31, 31, 0}, {3, 3, 3, 0}};
    const char *good[4] = {STATES4[0], STATES4[1], STATES4[2], STATES4[3]};

    const char *short_state[4] = {STATES4[0], "GGG", STATES4[2], STATES4[3]};
    expect_refused(&f, ok, short_state, 4, (const char *const[]){"'C'", "phase 1", "3 signals", "12 links", NULL});
    const char *bad_char[4] = {STATES4[0], STATES4[1], "rrrGGxrrrGGg", STATES4[3]};
    expect_refused(&f, ok, bad_char, 4, (const char *const[]){"'C'", "phase 2", "'x'", "position 5", NULL});
    const char *null_state[4] = {STATES4[0], STATES4[1], NULL, STATES4[3]};
    expect_refused(&f, ok, null_state, 4, (const char *const[]){"'C'", "phase 2", NULL});
    expect_refused(&f, ok, good, 0, (const char *const[]){"'C'", "at least one phase", NULL});

    CityTlsPhase zero[4] = {{0, 0, 0, 0}, {3, 3, 3, 0}, {31, 31, 31, 0}, {3, 3, 3, 0}};
    expect_refused(&f, zero, good, 4, (const char *const[]){"'C'", "phase 0", "duration 0 s", NULL});
    CityTlsPhase min_big[4] = {{31, 31, 31, 0}, {3, 3, 3, 0}, {31, 40, 50, 0}, {3, 3, 3, 0}};
    expect_refused(&f, min_big, good, 4, (const char *const[]){"'C'", "phase 2", "min (40 s)", NULL});
    CityTlsPhase max_small[4] = {{31, 31, 31, 0}, {3, 3, 3, 0}, {31, 31, 31, 0}, {3, 1, 2, 0}};
    expect_refused(&f, max_small, good, 4, (const char *const[]){"'C'", "phase 3", "max (2 s)", NULL});
    CityTlsPhase nan_dur[4] = {{31, 31, 31, 0}, {NAN, 3, 3, 0}, {31, 31, 31, 0}, {3, 3, 3, 0}};
    expect_refused(&f, nan_dur, good, 4, (const char *const[]){"'C'", "phase 1", NULL});

    /* the running program is untouched */
    assert_int_equal(fx_phase(&f), 0);
    assert_string_equal(road_signals_state(f.sig, f.tls), STATES4[0]);
    fx_run_to(&f, 31000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 31.0);
    fixture_free(&f);
}

static void test_set_program(void **state)
{
    (void)state;
    CityError err = {0};
    Fixture f;
    /* before the run a new program is aligned to the offset: 10 s offset in
     * a 20 + 5 + 20 + 5 s cycle puts t = 0 at 40 s, 15 s into phase 2 */
    fixture_init(&f, CITY_TLS_STATIC, 10, FIXED4, 1000);
    CityTlsPhase four[4] = {{20, 20, 20, 0}, {5, 5, 5, 0}, {20, 20, 20, 0}, {5, 5, 5, 0}};
    const char *states[4] = {STATES4[0], STATES4[1], STATES4[2], STATES4[3]};
    assert_int_equal(road_signals_set_program(f.sig, f.tls, four, states, 4, &err), CITY_OK);
    assert_int_equal(fx_phase(&f), 2);
    assert_true(fx_start(&f) == -15.0);
    fx_run_to(&f, 4000);
    assert_int_equal(fx_phase(&f), 2);
    fx_run_to(&f, 5000);
    assert_int_equal(fx_phase(&f), 3);
    fx_run_to(&f, 10000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 10.0);
    fx_run_to(&f, 30000);
    assert_int_equal(fx_phase(&f), 1);
    assert_true(fx_start(&f) == 30.0);
    fixture_free(&f);

    /* during the run the phase index and its start carry over */
    fixture_init(&f, CITY_TLS_STATIC, 0, FIXED4, 1000);
    fx_run_to(&f, 40000); /* phase 2 since 34 s */
    CityTlsPhase short4[4] = {{10, 10, 10, 0}, {3, 3, 3, 0}, {10, 10, 10, 0}, {3, 3, 3, 0}};
    assert_int_equal(road_signals_set_program(f.sig, f.tls, short4, states, 4, &err), CITY_OK);
    assert_int_equal(fx_phase(&f), 2);
    assert_true(fx_start(&f) == 34.0);
    fx_run_to(&f, 43000);
    assert_int_equal(fx_phase(&f), 2);
    fx_run_to(&f, 44000);
    assert_int_equal(fx_phase(&f), 3);
    assert_true(fx_start(&f) == 44.0);
    fx_run_to(&f, 47000);
    assert_int_equal(fx_phase(&f), 0);
    assert_true(fx_start(&f) == 47.0);
    fixture_free(&f);
}

/* ---- many lights ------------------------------------------------------- */

enum { N_MANY = 37 };

/* Light k of the many-lights net: one link, green, yellow and red of their
 * own lengths, its own offset (a cycle of 18 to 62 s). */
static void many_timing(int k, int64_t dur_ms[3], int64_t *offset_ms)
{
    dur_ms[0] = 1000 * (10 + (k * 7) % 23);
    dur_ms[1] = 3000;
    dur_ms[2] = 1000 * (5 + (k * 5) % 17);
    *offset_ms = 3300 * k;
}

/* Phase of a 3-phase fixed program at t_ms (SUMO's offset rule), and its start. */
static int32_t ref_phase3(const int64_t dur_ms[3], int64_t offset_ms, int64_t t_ms, int64_t *start_ms)
{
    int64_t cycle = dur_ms[0] + dur_ms[1] + dur_ms[2];
    int64_t pos = ((t_ms - offset_ms) % cycle + cycle) % cycle;
    int32_t p = 0;
    while (pos >= dur_ms[p])
        pos -= dur_ms[p++];
    *start_ms = t_ms - pos;
    return p;
}

/* N_MANY signalised junctions side by side, each with one lane in, one out
 * and one link. */
static CityRoadNet *many_lights_net(void)
{
    CityError err = {0};
    CityRoadNet *net = city_road_net_create();
    assert_non_null(net);
    static const char *const states[3] = {"G", "y", "r"};
    for (int k = 0; k < N_MANY; k++) {
        char id[32];
        double x = 300.0 * k;
        snprintf(id, sizeof id, "A%d", k);
        int32_t a = city_road_net_add_junction(net, id, CITY_JUNCTION_DEAD_END, x, 100, NULL, 0, &err);
        snprintf(id, sizeof id, "C%d", k);
        int32_t c = city_road_net_add_junction(net, id, CITY_JUNCTION_TRAFFIC_LIGHT, x, 0, NULL, 0, &err);
        snprintf(id, sizeof id, "B%d", k);
        int32_t b = city_road_net_add_junction(net, id, CITY_JUNCTION_DEAD_END, x, -100, NULL, 0, &err);
        assert_true(a >= 0 && b >= 0 && c >= 0);
        CityPoint in_shape[2] = {{x, 100}, {x, 10}}, out_shape[2] = {{x, -10}, {x, -100}};
        snprintf(id, sizeof id, "in%d", k);
        int32_t e_in = city_road_net_add_edge(net, id, a, c, 1, false, NULL, &err);
        snprintf(id, sizeof id, "in%d_0", k);
        int32_t l_in = city_road_net_add_lane(net, e_in, id, 13.9, 0, 3.2, CITY_VC_ALL, in_shape, 2, &err);
        snprintf(id, sizeof id, "out%d", k);
        int32_t e_out = city_road_net_add_edge(net, id, c, b, 1, false, NULL, &err);
        snprintf(id, sizeof id, "out%d_0", k);
        int32_t l_out = city_road_net_add_lane(net, e_out, id, 13.9, 0, 3.2, CITY_VC_ALL, out_shape, 2, &err);
        if (l_in < 0 || l_out < 0)
            fail_msg("lane: %s", err.msg);
        int64_t dur[3], offset;
        many_timing(k, dur, &offset);
        snprintf(id, sizeof id, "C%d", k);
        int32_t t = city_road_net_add_tls(net, id, "0", CITY_TLS_STATIC, (double)offset / 1000.0, 1, &err);
        assert_int_equal(t, k);
        for (int p = 0; p < 3; p++) {
            double d = (double)dur[p] / 1000.0;
            assert_true(city_road_net_add_phase(net, t, d, d, d, states[p], &err) >= 0);
        }
        assert_true(city_road_net_add_connection(net, l_in, l_out, NULL, 0, c, t, 0, 's', 'M', &err) >= 0);
        assert_int_equal(city_road_net_set_junction_tls(net, c, t, &err), CITY_OK);
    }
    if (city_road_net_finalize(net, &err) != CITY_OK)
        fail_msg("finalize: %s", err.msg);
    return net;
}

/* Every light of a city keeps its own clock, whatever the others do: each
 * of 37 fixed-time lights of different cycles and offsets shows, at every
 * tick, the phase and start SUMO's offset rule gives it; lights jumped to a
 * phase by a command go on from there, and lights whose program is given
 * again (looked at in the next step, timing unchanged) keep theirs. */
static void check_many_lights(int32_t dt_ms)
{
    CityError err = {0};
    CityRoadNet *net = many_lights_net();
    RoadSignals *sig = road_signals_create(net);
    assert_non_null(sig);
    int32_t count[2 * N_MANY] = {0};
    double detect_s[2 * N_MANY];
    for (int l = 0; l < 2 * N_MANY; l++)
        detect_s[l] = -1e30;
    RoadLaneSense sense = {count, detect_s};
    int64_t dur[N_MANY][3], offset[N_MANY];
    for (int k = 0; k < N_MANY; k++)
        many_timing(k, dur[k], &offset[k]);
    static const char *const states[3] = {"G", "y", "r"};
    const int64_t jump_ms = 50000, again_ms = 80000;
    for (int64_t tick = 0; tick * dt_ms <= 200000; tick++) {
        int64_t t_ms = tick * dt_ms;
        road_signals_step(sig, t_ms, dt_ms, &sense);
        for (int k = 0; k < N_MANY; k++) {
            int64_t start;
            int32_t p = ref_phase3(dur[k], offset[k], t_ms, &start);
            if (road_signals_phase(sig, k) != p || road_signals_phase_start_s(sig, k) != (double)start / 1000.0)
                fail_msg("dt %d ms, t=%lld ms, light %d: phase %d from %.3f s, expected %d from %.3f s", (int)dt_ms,
                         (long long)t_ms, k, (int)road_signals_phase(sig, k), road_signals_phase_start_s(sig, k),
                         (int)p, (double)start / 1000.0);
            assert_string_equal(road_signals_state(sig, k), states[p]);
        }
        if (t_ms <= jump_ms && jump_ms < t_ms + dt_ms) /* every 5th light to its red, now */
            for (int k = 0; k < N_MANY; k += 5) {
                assert_int_equal(road_signals_set_phase(sig, k, 2, (double)t_ms / 1000.0, &err), CITY_OK);
                offset[k] = t_ms - dur[k][0] - dur[k][1]; /* red starts now */
            }
        if (t_ms <= again_ms && again_ms < t_ms + dt_ms) /* every 3rd light given its program again */
            for (int k = 1; k < N_MANY; k += 3) {
                CityTlsPhase ph[3];
                for (int p = 0; p < 3; p++)
                    ph[p] = (CityTlsPhase){(double)dur[k][p] / 1000.0, (double)dur[k][p] / 1000.0,
                                           (double)dur[k][p] / 1000.0, 0};
                assert_int_equal(road_signals_set_program(sig, k, ph, states, 3, &err), CITY_OK);
            }
    }
    road_signals_destroy(sig);
    city_road_net_destroy(net);
}

static void test_many_lights_keep_their_own_clocks(void **state)
{
    (void)state;
    const int32_t dts[] = {1000, 100, 700};
    for (size_t i = 0; i < sizeof dts / sizeof *dts; i++)
        check_many_lights(dts[i]);
}

/* ---- hash -------------------------------------------------------------- */

static uint64_t signals_hash(const Fixture *f)
{
    CityHash h;
    city_hash_init(&h);
    road_signals_hash(f->sig, &h);
    return city_hash_value(&h);
}

static void test_hash_follows_state(void **state)
{
    (void)state;
    CityError err = {0};
    Fixture a, b;
    fixture_init(&a, CITY_TLS_MAX_PRESSURE, 0, MP4, 100);
    fixture_init(&b, CITY_TLS_MAX_PRESSURE, 0, MP4, 100);
    a.count[a.in[1]] = b.count[b.in[1]] = 3;
    fx_run_to(&a, 100000);
    fx_run_to(&b, 100000);
    assert_true(signals_hash(&a) == signals_hash(&b));
    /* a phase start one tick apart changes it */
    assert_int_equal(road_signals_set_phase(a.sig, a.tls, 0, 100.0, &err), CITY_OK);
    assert_int_equal(road_signals_set_phase(b.sig, b.tls, 0, 100.1, &err), CITY_OK);
    assert_true(signals_hash(&a) != signals_hash(&b));
    assert_int_equal(road_signals_set_phase(b.sig, b.tls, 0, 100.0, &err), CITY_OK);
    assert_true(signals_hash(&a) == signals_hash(&b));
    /* so does the mode */
    assert_int_equal(road_signals_set_type(b.sig, b.tls, CITY_TLS_STATIC, &err), CITY_OK);
    assert_true(signals_hash(&a) != signals_hash(&b));
    fixture_free(&a);
    fixture_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_time_matches_reference),
        cmocka_unit_test(test_fixed_time_boundaries_dt_100ms),
        cmocka_unit_test(test_fixed_time_offset_dt_1s),
        cmocka_unit_test(test_actuated_continuous_detection_lasts_max),
        cmocka_unit_test(test_actuated_no_detection_lasts_min),
        cmocka_unit_test(test_actuated_gap_out),
        cmocka_unit_test(test_max_pressure_serves_loaded_approach),
        cmocka_unit_test(test_max_pressure_subtracts_downstream),
        cmocka_unit_test(test_max_pressure_ties),
        cmocka_unit_test(test_max_pressure_synthesized_yellow),
        cmocka_unit_test(test_external_holds_until_told),
        cmocka_unit_test(test_bad_programs_refused),
        cmocka_unit_test(test_set_program),
        cmocka_unit_test(test_many_lights_keep_their_own_clocks),
        cmocka_unit_test(test_hash_follows_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
