/* The traffic lights' state hash and checkpoints: every field a run
 * changes in every light, one by one in a fixed order. */
#include <stdlib.h>
#include <string.h>

#include "city_state.h"
#include "road_signals_internal.h"

/* Every field that decides the future, one by one in a fixed order (no
 * struct bytes, so padding never leaks in): mode, phase, its start, the
 * transition, what is shown, and the program itself (set_program changes it). */
void road_signals_hash(const RoadSignals *signals, CityHash *hash)
{
    if (!signals)
        return;
    city_hash_i64(hash, signals->n_lights);
    city_hash_u64(hash, signals->stepped);
    for (int32_t t = 0; t < signals->n_lights; t++) {
        const SigLight *L = &signals->lights[t];
        city_hash_i64(hash, (int64_t)L->type);
        city_hash_i64(hash, L->phase);
        city_hash_i64(hash, L->phase_start_ms);
        city_hash_i64(hash, L->decide_ms);
        city_hash_i64(hash, L->target);
        city_hash_u64(hash, L->synth);
        city_hash_i64(hash, L->synth_start_ms);
        city_hash_i64(hash, L->offset_ms);
        city_hash_bytes(hash, L->shown, (size_t)L->n_links);
        city_hash_i64(hash, L->n_phases);
        for (int32_t p = 0; p < L->n_phases; p++) {
            city_hash_i64(hash, L->phases[p].dur_ms);
            city_hash_i64(hash, L->phases[p].min_ms);
            city_hash_i64(hash, L->phases[p].max_ms);
            city_hash_bytes(hash, sig_state(L, p), (size_t)L->n_links);
        }
    }
}

/* ---- checkpoints: what a run changes in every light -------------------- */

void road_signals_save(const RoadSignals *s, CityStateWriter *out)
{
    city_state_put_tag(out, "SIGS");
    city_state_put_u64(out, (uint64_t)s->n_lights);
    city_state_put_u8(out, s->stepped);
    for (int32_t i = 0; i < s->n_lights; i++) {
        const SigLight *L = &s->lights[i];
        city_state_put_i64(out, L->type);
        city_state_put_i64(out, L->offset_ms);
        city_state_put_array(out, L->phases, (size_t)L->n_phases, sizeof *L->phases);
        city_state_put_array(out, L->states, L->states ? (size_t)L->n_phases * ((size_t)L->n_links + 1) : 0, 1);
        city_state_put_str(out, L->shown);
        city_state_put_i64(out, L->phase);
        city_state_put_i64(out, L->phase_start_ms);
        city_state_put_i64(out, L->decide_ms);
        city_state_put_i64(out, L->target);
        city_state_put_u8(out, L->synth);
        city_state_put_i64(out, L->synth_start_ms);
    }
}

/* Whether a light read back from a checkpoint can run: a known control
 * mode, phases with durations sig_store_program can make (a net's
 * programs are not checked further), state strings of the light's length,
 * and the current and target phases inside the program (-1 only where
 * allowed). */
static bool sig_restored_ok(const SigLight *L)
{
    if ((unsigned)L->type > CITY_TLS_EXTERNAL)
        return false;
    const int64_t max_ms = (int64_t)(SIG_MAX_DURATION_S * 1000.0);
    for (int32_t p = 0; p < L->n_phases; p++) {
        const SigPhase *ph = &L->phases[p];
        const char *st = L->states + (size_t)p * ((size_t)L->n_links + 1);
        if (!(ph->dur_ms > 0 && ph->dur_ms <= max_ms && ph->min_ms >= 0 && ph->min_ms <= ph->max_ms &&
              ph->max_ms <= max_ms) ||
            st[L->n_links] != '\0')
            return false;
    }
    if (L->n_phases == 0)
        return L->phase == -1 && L->target == -1 && !L->synth;
    return L->phase >= 0 && L->phase < L->n_phases && L->target >= -1 && L->target < L->n_phases;
}

bool road_signals_load(RoadSignals *s, CityStateReader *in)
{
    city_state_expect_tag(in, "SIGS");
    if (city_state_get_u64(in) != (uint64_t)s->n_lights && !in->bad)
        return city_state_fail(in, "the network has other traffic lights than the saved run's");
    s->stepped = city_state_get_u8(in);
    s->quiet_until_ms = INT64_MIN;
    for (int32_t i = 0; i < s->n_lights; i++) /* every light looked at in the next step */
        s->quiet_ms[i] = INT64_MIN;
    for (int32_t i = 0; i < s->n_lights; i++) /* whatever the checkpoint shows */
        sig_list(s, &s->lights[i]);
    for (int32_t i = 0; i < s->n_lights && !in->bad; i++) {
        SigLight *L = &s->lights[i];
        L->type = (CityTlsType)city_state_get_i64(in);
        L->offset_ms = city_state_get_i64(in);
        size_t n_phases, n_states;
        SigPhase *phases = city_state_get_alloc(in, &n_phases, sizeof *phases);
        char *states = city_state_get_alloc(in, &n_states, 1);
        char *shown = city_state_get_str(in);
        if (in->bad || n_states != n_phases * ((size_t)L->n_links + 1) || !shown ||
            strlen(shown) != (size_t)L->n_links) {
            free(phases);
            free(states);
            free(shown);
            return city_state_fail(in, "traffic light %s: damaged program in the checkpoint", L->id);
        }
        free(L->phases);
        free(L->states);
        L->phases = phases;
        L->states = states;
        memcpy(L->shown, shown, (size_t)L->n_links + 1); /* the string stays where connections read it */
        free(shown);
        L->n_phases = (int32_t)n_phases;
        L->phase = (int32_t)city_state_get_i64(in);
        L->phase_start_ms = city_state_get_i64(in);
        L->decide_ms = city_state_get_i64(in);
        L->target = (int32_t)city_state_get_i64(in);
        L->synth = city_state_get_u8(in);
        L->synth_start_ms = city_state_get_i64(in);
        if (!in->bad && !sig_restored_ok(L))
            return city_state_fail(in, "traffic light %s: damaged state in the checkpoint (mode, phase or durations)",
                                   L->id);
    }
    return !in->bad;
}
