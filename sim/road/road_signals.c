/* Traffic-light controllers: fixed-time, actuated (gap-based), max-pressure
 * and external control over programs copied from the network.
 *
 * Time is kept in integer milliseconds (SUMO's SUMOTime idea): tick times
 * and durations given in seconds are rounded once, so phase boundaries land
 * exactly on ticks and a cycle never drifts by summed rounding errors.
 *
 * A phase change is stamped with the time its rule puts it at (the end of a
 * fixed duration, a min/max bound, the gap-out instant, a decision point),
 * which may lie up to one dt before the tick that first shows it; so a 31 s
 * phase lasts 31 s of sim time under any dt. A change that was already due
 * before the previous tick (only after a mode or program change, e.g. a
 * phase held by EXTERNAL that overran its duration) is stamped "now"
 * instead, so a light never races through several phases unseen in one
 * step.
 *
 * The rules, per mode:
 *   STATIC        phases in program order, each for its duration.
 *   ACTUATED      like SUMO's "actuated": a green phase (some 'G'/'g') with
 *                 min < max ends SIG_GAP_MS after the last vehicle seen by a
 *                 detector on an incoming lane of its green links, clamped to
 *                 [min, max]; every other phase keeps its duration.
 *   MAX_PRESSURE  Varaiya (2013), Transp. Res. C 36: decisions on a green
 *                 every min_s of that phase (5 s when min_s is 0: the
 *                 phase's own minimum green is the natural slot length, and
 *                 SUMO programs without actuated bounds carry min = duration).
 *                 max_s is not a cap here: the paper's policy needs none. The
 *                 switch goes through the program's next phase when it is a
 *                 fitting yellow, else through a synthesized 3 s yellow;
 *                 during a synthesized yellow the phase index stays the green
 *                 being left while the state string shows the yellow.
 *   EXTERNAL      holds the current phase until road_signals_set_phase, or
 *                 until road_signals_switch, which leaves it like a
 *                 max-pressure switch (a yellow or all-red phase first
 *                 runs its duration).
 * Every mode change takes effect at the next step and keeps the running
 * phase and its start time. */
#include "road_signals.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_group.h"
#include "road_signals_internal.h"

/* Actuated: a green is extended while its detectors saw a vehicle within
 * this gap (SUMO's max-gap default). */
#define SIG_GAP_MS 3000
/* Max-pressure: length of a yellow we synthesize when the program has no
 * suitable one (SUMO's default yellow). */
#define SIG_YELLOW_MS 3000
/* Max-pressure: decision period for a green whose min_s is 0 (unset). */
#define SIG_DECIDE_MS 5000
#define SIG_NEVER_MS INT64_MIN
/* SUMO's signal state characters. */
static const char SIG_CHARS[] = "GgryYuosO-";

/* ---- small helpers ------------------------------------------------------ */

static bool sig_green(char c)
{
    return c == 'G' || c == 'g';
}
static bool sig_yellow(char c)
{
    return c == 'y' || c == 'Y' || c == 'u';
}

/* Seconds to whole milliseconds; NaN and absurd values are clamped to
 * +-1e12 s so that no later sum can overflow. */
static int64_t sig_ms(double s)
{
    if (!(s > -1e12))
        return -1000000000000000LL;
    if (s > 1e12)
        return 1000000000000000LL;
    return (int64_t)llround(s * 1000.0);
}

/* A detector time; -1e30 (and anything absurd) means "never". */
static int64_t sig_detect_ms(double s)
{
    if (!(s > -1e12) || s > 1e12)
        return SIG_NEVER_MS;
    return (int64_t)llround(s * 1000.0);
}

static bool sig_has_green(const SigLight *L, int32_t p)
{
    const char *s = sig_state(L, p);
    for (int32_t k = 0; k < L->n_links; k++)
        if (sig_green(s[k]))
            return true;
    return false;
}

/* A phase max-pressure may choose: some green and no transition signal
 * (y, Y, u), so yellows and all-red phases are never targets. */
static bool sig_candidate(const SigLight *L, int32_t p)
{
    const char *s = sig_state(L, p);
    bool green = false;
    for (int32_t k = 0; k < L->n_links; k++) {
        if (sig_yellow(s[k]))
            return false;
        green = green || sig_green(s[k]);
    }
    return green;
}

static int64_t sig_decide_period(const SigLight *L, int32_t p)
{
    return L->phases[p].min_ms > 0 ? L->phases[p].min_ms : SIG_DECIDE_MS;
}

/* The time a change that fell due at `due` is stamped with (see the top). */
static int64_t sig_stamp(int64_t due, int64_t now_ms, int64_t dt_ms)
{
    return due > now_ms - dt_ms ? due : now_ms;
}

static void sig_enter(SigLight *L, int32_t p, int64_t at_ms)
{
    L->phase = p;
    L->phase_start_ms = at_ms;
    L->decide_ms = at_ms + sig_decide_period(L, p);
    L->target = -1;
    L->synth = false;
    L->synth_start_ms = 0;
    memcpy(L->shown, sig_state(L, p), (size_t)L->n_links + 1);
}

/* SUMO's offset: the cycle position at time t is (t - offset) mod cycle, so
 * a positive offset delays the program (phase 0 begins at t = offset) and
 * a negative one advances it (NLJunctionControlBuilder::closeTrafficLightLogic
 * computes the same start phase). */
static void sig_align(SigLight *L, int64_t now_ms)
{
    if (L->n_phases == 0) {
        L->phase = -1;
        L->phase_start_ms = now_ms;
        L->target = -1;
        L->synth = false;
        memset(L->shown, 'O', (size_t)L->n_links);
        L->shown[L->n_links] = '\0';
        return;
    }
    int64_t cycle = 0;
    for (int32_t p = 0; p < L->n_phases; p++)
        cycle += L->phases[p].dur_ms;
    int64_t pos = ((now_ms - L->offset_ms) % cycle + cycle) % cycle;
    int32_t p = 0;
    while (pos >= L->phases[p].dur_ms) {
        pos -= L->phases[p].dur_ms;
        p++;
    }
    sig_enter(L, p, now_ms - pos);
}

/* ---- program storage ---------------------------------------------------- */

/* Fills phases and states of a light from n phases; the arrays are
 * allocated here and replace the old ones only when both allocations
 * succeed. Durations are clamped to at least 1 ms so that a program read
 * from an unchecked net can never make a zero-length cycle. */
static bool sig_store_program(SigLight *L, const CityTlsPhase *phases, const char *const *states, int32_t n)
{
    SigPhase *ph = calloc((size_t)n + 1, sizeof *ph);
    char *st = calloc(((size_t)n + 1) * ((size_t)L->n_links + 1), 1);
    if (!ph || !st) {
        free(ph);
        free(st);
        return false;
    }
    for (int32_t p = 0; p < n; p++) {
        int64_t dur = sig_ms(phases[p].duration_s);
        ph[p].dur_ms = dur > 0 ? dur : 1;
        int64_t lo = sig_ms(phases[p].min_s), hi = sig_ms(phases[p].max_s);
        ph[p].min_ms = lo > 0 ? lo : 0;
        ph[p].max_ms = hi > ph[p].min_ms ? hi : ph[p].min_ms;
        memcpy(st + (size_t)p * ((size_t)L->n_links + 1), states[p], (size_t)L->n_links);
    }
    free(L->phases);
    free(L->states);
    L->phases = ph;
    L->states = st;
    L->n_phases = n;
    return true;
}

static void sig_light_free(SigLight *L)
{
    free(L->id);
    free(L->phases);
    free(L->states);
    free(L->link_first);
    free(L->conn_from);
    free(L->conn_to);
}

/* Fills L's link -> connection table from the light's n_conn connections
 * conn[] (in net order); links outside the light's state strings are left
 * out. */
static bool sig_link_table(SigLight *L, const CityRoadNet *net, const int32_t *conn, int32_t n_conn)
{
    L->link_first = calloc((size_t)L->n_links + 2, sizeof *L->link_first);
    if (!L->link_first)
        return false;
    int32_t n = 0;
    for (int32_t i = 0; i < n_conn; i++) {
        const CityConnection *cn = &net->conns[conn[i]];
        if (cn->tls_link >= 0 && cn->tls_link < L->n_links) {
            L->link_first[cn->tls_link + 1]++;
            n++;
        }
    }
    for (int32_t k = 0; k < L->n_links; k++)
        L->link_first[k + 1] += L->link_first[k];
    L->conn_from = calloc((size_t)n + 1, sizeof *L->conn_from);
    L->conn_to = calloc((size_t)n + 1, sizeof *L->conn_to);
    int32_t *fill = calloc((size_t)L->n_links + 1, sizeof *fill);
    if (!L->conn_from || !L->conn_to || !fill) {
        free(fill);
        return false;
    }
    for (int32_t i = 0; i < n_conn; i++) {
        const CityConnection *cn = &net->conns[conn[i]];
        if (cn->tls_link >= 0 && cn->tls_link < L->n_links) {
            int32_t at = L->link_first[cn->tls_link] + fill[cn->tls_link]++;
            L->conn_from[at] = cn->from_lane;
            L->conn_to[at] = cn->to_lane;
        }
    }
    free(fill);
    return true;
}

/* Copies light t of the net: id, mode, offset, program and the
 * link -> connection table from its n_conn connections conn[]; its shown
 * string goes at `shown` (link_count + 1 bytes, zero). */
static bool sig_light_init(SigLight *L, const CityRoadNet *net, int32_t t, const int32_t *conn, int32_t n_conn,
                           char *shown)
{
    const CityTls *tls = &net->tls[t];
    L->type = tls->type;
    L->offset_ms = sig_ms(tls->offset_s);
    L->n_links = tls->link_count > 0 ? tls->link_count : 0;
    L->target = -1;
    const char *id = tls->id ? tls->id : "";
    L->id = city_strdup(id);
    L->shown = shown;
    if (!L->id || !sig_link_table(L, net, conn, n_conn))
        return false;

    int32_t np = tls->phase_count > 0 ? tls->phase_count : 0;
    const char **states = calloc((size_t)np + 1, sizeof *states);
    if (!states)
        return false;
    for (int32_t p = 0; p < np; p++)
        states[p] = city_road_phase_state(net, tls->phase_first + p);
    /* no phases: no array to offset into (NULL + 0 is undefined) */
    bool ok = sig_store_program(L, np > 0 ? net->phases + tls->phase_first : NULL, states, np);
    free((void *)states);
    if (!ok)
        return false;
    sig_align(L, 0);
    return true;
}

/* The connections of each light, in net order: grouped once, so creating
 * the lights stays linear in the network's size (not one scan of every
 * connection per light). False when out of memory. */
static bool sig_group_by_light(const CityRoadNet *net, CityGroups *g)
{
    int32_t *key = malloc(((size_t)net->n_conns + 1) * sizeof *key);
    if (!key)
        return false;
    for (int32_t c = 0; c < net->n_conns; c++)
        key[c] = net->conns[c].tls;
    bool ok = city_groups_build(g, key, net->n_conns, net->n_tls);
    free(key);
    return ok;
}

RoadSignals *road_signals_create(const CityRoadNet *net)
{
    RoadSignals *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->n_lanes = net->n_lanes;
    s->quiet_until_ms = INT64_MIN;
    s->lights = calloc((size_t)net->n_tls + 1, sizeof *s->lights);
    s->changed = malloc(((size_t)net->n_tls + 1) * sizeof *s->changed);
    s->quiet_ms = malloc(((size_t)net->n_tls + 1) * sizeof *s->quiet_ms);
    if (!s->lights || !s->changed || !s->quiet_ms) {
        free(s->lights);
        free(s->changed);
        free(s->quiet_ms);
        free(s);
        return NULL;
    }
    s->n_lights = net->n_tls;
    size_t chars = 0;
    for (int32_t t = 0; t < s->n_lights; t++) {
        s->quiet_ms[t] = INT64_MIN;
        chars += (size_t)(net->tls[t].link_count > 0 ? net->tls[t].link_count : 0) + 1;
    }
    s->shown_buf = calloc(chars + 1, 1);
    bool ok = s->shown_buf != NULL;
    CityGroups by_light = {0};
    ok = ok && sig_group_by_light(net, &by_light);
    size_t at = 0;
    for (int32_t t = 0; t < net->n_tls && ok; t++) {
        const int32_t *conn = by_light.items + by_light.first[t];
        ok = sig_light_init(&s->lights[t], net, t, conn, by_light.first[t + 1] - by_light.first[t], s->shown_buf + at);
        at += (size_t)s->lights[t].n_links + 1;
        if (ok)
            sig_list(s, &s->lights[t]);
    }
    city_groups_free(&by_light);
    if (!ok) {
        road_signals_destroy(s);
        return NULL;
    }
    return s;
}

void road_signals_destroy(RoadSignals *signals)
{
    if (!signals)
        return;
    for (int32_t t = 0; t < signals->n_lights; t++)
        sig_light_free(&signals->lights[t]);
    free(signals->lights);
    free(signals->changed);
    free(signals->quiet_ms);
    free(signals->shown_buf);
    free(signals);
}

/* ---- commands ----------------------------------------------------------- */

static void sig_begin_switch(SigLight *L, int32_t target, int64_t at);

static CityStatus sig_find(RoadSignals *signals, int32_t tls, SigLight **out, CityError *err)
{
    if (!signals || tls < 0 || tls >= signals->n_lights) {
        city_error_set(err, CITY_ERR_INVALID, "no traffic light number %d in the network (it has %d)", (int)tls,
                       signals ? (int)signals->n_lights : 0);
        return CITY_ERR_INVALID;
    }
    *out = &signals->lights[tls];
    return CITY_OK;
}

CityStatus road_signals_set_type(RoadSignals *signals, int32_t tls, CityTlsType type, CityError *err)
{
    SigLight *L;
    if (sig_find(signals, tls, &L, err) != CITY_OK)
        return CITY_ERR_INVALID;
    if (type != CITY_TLS_STATIC && type != CITY_TLS_ACTUATED && type != CITY_TLS_MAX_PRESSURE &&
        type != CITY_TLS_EXTERNAL) {
        city_error_set(err, CITY_ERR_INVALID,
                       "traffic light '%s': unknown control type %d; use static, actuated, max_pressure or external",
                       L->id, (int)type);
        return CITY_ERR_INVALID;
    }
    /* The running phase keeps its start time: the new rule judges it from
     * the next step, and an overrun phase ends then (see the top). */
    L->type = type;
    sig_wake(signals, L);
    return CITY_OK;
}

/* Checks one phase; the message names the light and the phase. */
static CityStatus sig_check_phase(const SigLight *L, int32_t p, const CityTlsPhase *ph, const char *state,
                                  CityError *err)
{
    if (!state) {
        city_error_set(err, CITY_ERR_INVALID,
                       "traffic light '%s' phase %d: no state string; give one signal character per link", L->id,
                       (int)p);
        return CITY_ERR_INVALID;
    }
    size_t len = strlen(state);
    if (len != (size_t)L->n_links) {
        city_error_set(err, CITY_ERR_INVALID,
                       "traffic light '%s' phase %d: state \"%s\" has %zu signals but the light controls %d links; "
                       "give exactly one character per link",
                       L->id, (int)p, state, len, (int)L->n_links);
        return CITY_ERR_INVALID;
    }
    for (size_t k = 0; k < len; k++) {
        if (strchr(SIG_CHARS, state[k]))
            continue;
        char what[32];
        unsigned char c = (unsigned char)state[k];
        if (isprint(c))
            snprintf(what, sizeof what, "'%c'", (char)c);
        else
            snprintf(what, sizeof what, "character code %d", (int)c);
        city_error_set(err, CITY_ERR_INVALID,
                       "traffic light '%s' phase %d: state \"%s\" has %s at position %zu; use only SUMO's signal "
                       "characters %s",
                       L->id, (int)p, state, what, k, SIG_CHARS);
        return CITY_ERR_INVALID;
    }
    if (!(ph->duration_s > 0.0) || !(ph->duration_s <= SIG_MAX_DURATION_S)) {
        city_error_set(err, CITY_ERR_INVALID, "traffic light '%s' phase %d: duration %g s must be > 0 and at most %g s",
                       L->id, (int)p, ph->duration_s, SIG_MAX_DURATION_S);
        return CITY_ERR_INVALID;
    }
    if (!(ph->min_s >= 0.0) || !(ph->min_s <= ph->duration_s) || !(ph->duration_s <= ph->max_s) ||
        !(ph->max_s <= SIG_MAX_DURATION_S)) {
        city_error_set(err, CITY_ERR_INVALID,
                       "traffic light '%s' phase %d: needs 0 <= min (%g s) <= duration (%g s) <= max (%g s) <= %g s; "
                       "for a fixed phase set min and max to the duration",
                       L->id, (int)p, ph->min_s, ph->duration_s, ph->max_s, SIG_MAX_DURATION_S);
        return CITY_ERR_INVALID;
    }
    return CITY_OK;
}

CityStatus road_signals_set_program(RoadSignals *signals, int32_t tls, const CityTlsPhase *phases,
                                    const char *const *states, int32_t n_phases, CityError *err)
{
    SigLight *L;
    if (sig_find(signals, tls, &L, err) != CITY_OK)
        return CITY_ERR_INVALID;
    if (n_phases < 1 || !phases || !states) {
        city_error_set(err, CITY_ERR_INVALID, "traffic light '%s': a program needs at least one phase (got %d)", L->id,
                       (int)n_phases);
        return CITY_ERR_INVALID;
    }
    /* Check everything before touching the light: a refused program
     * leaves the old one running. */
    for (int32_t p = 0; p < n_phases; p++)
        if (sig_check_phase(L, p, &phases[p], states[p], err) != CITY_OK)
            return CITY_ERR_INVALID;
    if (!sig_store_program(L, phases, states, n_phases)) {
        city_error_set(err, CITY_ERR_NOMEM, "traffic light '%s': out of memory storing its program", L->id);
        return CITY_ERR_NOMEM;
    }
    sig_wake(signals, L);
    sig_list(signals, L);
    if (!signals->stepped) {
        /* Before the run the new program starts where its offset puts it. */
        sig_align(L, 0);
        return CITY_OK;
    }
    /* During a run the same phase index goes on from when it started (phase
     * 0 if the new program is shorter); the caller chose the switch. */
    int32_t p = L->phase >= 0 && L->phase < n_phases ? L->phase : 0;
    int64_t start = L->phase >= 0 ? L->phase_start_ms : 0;
    sig_enter(L, p, start);
    return CITY_OK;
}

/* Finds the light and checks a phase index and a time for set_phase and switch. */
static CityStatus sig_find_phase(RoadSignals *signals, int32_t tls, int32_t phase, double now_s, SigLight **out,
                                 CityError *err)
{
    SigLight *L;
    if (sig_find(signals, tls, &L, err) != CITY_OK)
        return CITY_ERR_INVALID;
    if (phase < 0 || phase >= L->n_phases) {
        if (L->n_phases == 0)
            city_error_set(err, CITY_ERR_INVALID,
                           "traffic light '%s' has no program; give it one before setting a phase", L->id);
        else
            city_error_set(err, CITY_ERR_INVALID, "traffic light '%s': no phase %d; its program has phases 0 to %d",
                           L->id, (int)phase, (int)L->n_phases - 1);
        return CITY_ERR_INVALID;
    }
    if (!isfinite(now_s)) {
        city_error_set(err, CITY_ERR_INVALID, "traffic light '%s': set_phase at a time that is not a number", L->id);
        return CITY_ERR_INVALID;
    }
    *out = L;
    sig_wake(signals, L); /* set_phase and switch change what is due */
    sig_list(signals, L);
    return CITY_OK;
}

CityStatus road_signals_set_phase(RoadSignals *signals, int32_t tls, int32_t phase, double now_s, CityError *err)
{
    SigLight *L;
    if (sig_find_phase(signals, tls, phase, now_s, &L, err) != CITY_OK)
        return CITY_ERR_INVALID;
    /* Immediate, like SUMO's setPhase: a controller that skips the yellow
     * is responsible for it. */
    sig_enter(L, phase, sig_ms(now_s));
    return CITY_OK;
}

CityStatus road_signals_switch(RoadSignals *signals, int32_t tls, int32_t phase, double now_s, CityError *err)
{
    SigLight *L;
    if (sig_find_phase(signals, tls, phase, now_s, &L, err) != CITY_OK)
        return CITY_ERR_INVALID;
    if (L->target >= 0 || phase == L->phase)
        return CITY_OK; /* a transition runs to its end first; the caller asks again */
    if (sig_candidate(L, L->phase))
        sig_begin_switch(L, phase, sig_ms(now_s));
    else
        L->target = phase; /* a yellow or all-red phase keeps its duration */
    return CITY_OK;
}

/* ---- control rules ------------------------------------------------------ */

/* Actuated end of the current phase: a green with min < max lasts until
 * SIG_GAP_MS after the last detection on an incoming lane of its green
 * links, but at least min and at most max; any other phase its duration. */
static int64_t sig_actuated_end(const SigLight *L, const RoadSignals *signals, const RoadLaneSense *sense)
{
    const SigPhase *ph = &L->phases[L->phase];
    int64_t start = L->phase_start_ms;
    if (ph->min_ms >= ph->max_ms || !sig_has_green(L, L->phase))
        return start + ph->dur_ms;
    int64_t last = SIG_NEVER_MS;
    if (sense && sense->last_detect_s) {
        const char *s = sig_state(L, L->phase);
        for (int32_t k = 0; k < L->n_links; k++) {
            if (!sig_green(s[k]))
                continue;
            for (int32_t i = L->link_first[k]; i < L->link_first[k + 1]; i++) {
                int32_t lane = L->conn_from[i];
                if (lane < 0 || lane >= signals->n_lanes)
                    continue;
                int64_t d = sig_detect_ms(sense->last_detect_s[lane]);
                if (d > last)
                    last = d;
            }
        }
    }
    int64_t end = start + ph->min_ms;
    if (last != SIG_NEVER_MS && last + SIG_GAP_MS > end)
        end = last + SIG_GAP_MS;
    if (end > start + ph->max_ms)
        end = start + ph->max_ms;
    /* Every phase lasts at least 1 ms, so a program of min-0 greens with
     * no traffic cannot spin forever within one step. */
    return end > start ? end : start + 1;
}

/* Varaiya's pressure of phase p: over its green links, vehicles on the
 * incoming lane minus vehicles on the outgoing lane, with equal saturation
 * flows. We use the lane counts rather than halting counts: a moving
 * platoon about to reach the stop line is demand too, and counts are what
 * the 2013 paper's queue lengths x(l) stand for. A lane feeding several
 * links counts once per link (one queue per movement, approximated by the
 * shared lane). */
static int64_t sig_pressure(const SigLight *L, const RoadSignals *signals, const RoadLaneSense *sense, int32_t p)
{
    if (!sense || !sense->count)
        return 0;
    const char *s = sig_state(L, p);
    int64_t sum = 0;
    for (int32_t k = 0; k < L->n_links; k++) {
        if (!sig_green(s[k]))
            continue;
        for (int32_t i = L->link_first[k]; i < L->link_first[k + 1]; i++) {
            int32_t from = L->conn_from[i], to = L->conn_to[i];
            if (from >= 0 && from < signals->n_lanes)
                sum += sense->count[from];
            if (to >= 0 && to < signals->n_lanes)
                sum -= sense->count[to];
        }
    }
    return sum;
}

/* A program yellow Y may carry the switch from green C to green T when
 * every link that loses its green (green in C, not in T) is yellow in Y and
 * no link red in C turns green in Y. */
static bool sig_yellow_fits(const SigLight *L, const char *c, const char *y, const char *t)
{
    bool any_yellow = false;
    for (int32_t k = 0; k < L->n_links; k++) {
        if (sig_green(c[k]) && !sig_green(t[k]) && y[k] != 'y' && y[k] != 'Y')
            return false;
        if (!sig_green(c[k]) && sig_green(y[k]))
            return false;
        any_yellow = any_yellow || sig_yellow(y[k]);
    }
    return any_yellow;
}

/* Leaves the current green for green T at `at`: through the program phase
 * after the current one when it is a fitting yellow, else through a
 * synthesized SIG_YELLOW_MS yellow (G/g -> y on the links that lose their
 * green), or directly when no link loses its green. */
static void sig_begin_switch(SigLight *L, int32_t target, int64_t at)
{
    const char *c = sig_state(L, L->phase), *t = sig_state(L, target);
    bool loses = false;
    for (int32_t k = 0; k < L->n_links; k++)
        loses = loses || (sig_green(c[k]) && !sig_green(t[k]));
    if (!loses) {
        sig_enter(L, target, at);
        return;
    }
    int32_t y = (L->phase + 1) % L->n_phases;
    if (y != L->phase && y != target && sig_yellow_fits(L, c, sig_state(L, y), t)) {
        sig_enter(L, y, at);
        L->target = target;
        return;
    }
    for (int32_t k = 0; k < L->n_links; k++)
        L->shown[k] = sig_green(c[k]) && !sig_green(t[k]) ? 'y' : c[k];
    L->synth = true;
    L->synth_start_ms = at;
    L->target = target;
}

/* A max-pressure decision on the current green, due at L->decide_ms:
 * the candidate with the highest pressure; ties keep the current phase,
 * then go to the lowest index. */
static void sig_decide(SigLight *L, const RoadSignals *signals, const RoadLaneSense *sense, int64_t at)
{
    int32_t best = L->phase;
    int64_t best_p = sig_pressure(L, signals, sense, L->phase);
    for (int32_t p = 0; p < L->n_phases; p++) {
        if (p == L->phase || !sig_candidate(L, p))
            continue;
        int64_t pr = sig_pressure(L, signals, sense, p);
        if (pr > best_p) {
            best = p;
            best_p = pr;
        }
    }
    if (best == L->phase)
        L->decide_ms = at + sig_decide_period(L, L->phase);
    else
        sig_begin_switch(L, best, at);
}

/* When light L makes its next change (INT64_MAX: never by itself). For an
 * actuated green a detection can only move it later, never earlier. */
static int64_t sig_due_ms(const SigLight *L, const RoadSignals *signals, const RoadLaneSense *sense)
{
    if (L->n_phases == 0 || (L->type == CITY_TLS_EXTERNAL && L->target < 0))
        return INT64_MAX;
    /* A max-pressure transition finishes in any automatic mode: a yellow is
     * never cut short into something else. */
    if (L->target >= 0)
        return L->synth ? L->synth_start_ms + SIG_YELLOW_MS : L->phase_start_ms + L->phases[L->phase].dur_ms;
    if (L->type == CITY_TLS_MAX_PRESSURE && sig_candidate(L, L->phase))
        return L->decide_ms;
    /* Fixed time; actuated greens; max-pressure outside its greens (yellows
     * and all-red phases keep their duration and lead to the next phase). */
    return L->type == CITY_TLS_ACTUATED ? sig_actuated_end(L, signals, sense)
                                        : L->phase_start_ms + L->phases[L->phase].dur_ms;
}

/* Makes the one change that is due by now_ms, if any; true when it did. */
static bool sig_advance(SigLight *L, const RoadSignals *signals, const RoadLaneSense *sense, int64_t now_ms,
                        int64_t dt_ms)
{
    int64_t due = sig_due_ms(L, signals, sense);
    if (now_ms < due)
        return false;
    if (L->target >= 0)
        sig_enter(L, L->target, sig_stamp(due, now_ms, dt_ms));
    else if (L->type == CITY_TLS_MAX_PRESSURE && sig_candidate(L, L->phase))
        sig_decide(L, signals, sense, sig_stamp(due, now_ms, dt_ms));
    else
        sig_enter(L, (L->phase + 1) % L->n_phases, sig_stamp(due, now_ms, dt_ms));
    return true;
}

void road_signals_step(RoadSignals *signals, int64_t now_ms, int64_t dt_ms, const RoadLaneSense *sense)
{
    if (!signals)
        return;
    if (dt_ms < 1)
        dt_ms = 1;
    signals->stepped = true;
    /* the steps between changes look at no light: most steps of a run */
    if (now_ms < signals->quiet_until_ms)
        return;
    int64_t quiet = INT64_MAX;
    int64_t *due = signals->quiet_ms;
    for (int32_t t = 0; t < signals->n_lights; t++) {
        if (now_ms >= due[t]) {
            SigLight *L = &signals->lights[t];
            /* Each change moves a start or decision time forward by at
             * least 1 ms, so this ends within dt_ms rounds; the cap is a backstop. */
            for (int64_t round = 0; round <= dt_ms + 1; round++) {
                if (!sig_advance(L, signals, sense, now_ms, dt_ms))
                    break;
                sig_list(signals, L);
            }
            due[t] = sig_due_ms(L, signals, sense);
        }
        if (due[t] < quiet)
            quiet = due[t];
    }
    signals->quiet_until_ms = quiet;
}

/* ---- readers ------------------------------------------------------------ */

int32_t road_signals_take_changed(RoadSignals *signals, const int32_t **lights)
{
    if (!signals) {
        *lights = NULL;
        return 0;
    }
    int32_t n = signals->n_changed;
    for (int32_t i = 0; i < n; i++)
        signals->lights[signals->changed[i]].listed = false;
    signals->n_changed = 0;
    *lights = signals->changed;
    return n;
}

/* Light tls, or NULL when there is none. */
static const SigLight *sig_at(const RoadSignals *signals, int32_t tls)
{
    return signals && tls >= 0 && tls < signals->n_lights ? &signals->lights[tls] : NULL;
}
const char *road_signals_shown_base(const RoadSignals *signals)
{
    return signals->shown_buf;
}
int64_t road_signals_shown_at(const RoadSignals *signals, int32_t tls)
{
    return signals->lights[tls].shown - signals->shown_buf;
}
const char *road_signals_state(const RoadSignals *signals, int32_t tls)
{
    const SigLight *L = sig_at(signals, tls);
    return L ? L->shown : "";
}
int32_t road_signals_phase(const RoadSignals *signals, int32_t tls)
{
    const SigLight *L = sig_at(signals, tls);
    return L ? L->phase : -1;
}
CityTlsType road_signals_type(const RoadSignals *signals, int32_t tls)
{
    const SigLight *L = sig_at(signals, tls);
    return L ? L->type : CITY_TLS_STATIC;
}
double road_signals_phase_start_s(const RoadSignals *signals, int32_t tls)
{
    const SigLight *L = sig_at(signals, tls);
    return L ? (double)L->phase_start_ms / 1000.0 : 0.0;
}
