/* Traffic-light controllers of the road subsystem (internal to sim/road).
 *
 * One controller per CityTls of the network. Fixed-time lights cycle
 * through their program from the offset; actuated lights extend a green
 * phase between min and max while detectors see vehicles closer than the
 * gap limit; max-pressure lights (Varaiya 2013) pick, at each decision
 * point, the green phase whose links carry the largest pressure (queue on
 * the incoming lane minus queue on the outgoing lane), with yellow
 * transitions in between. Lights of type EXTERNAL only change when told. */
#ifndef ROAD_SIGNALS_H
#define ROAD_SIGNALS_H

#include <stdint.h>

#include <stdbool.h>

#include "city_hash.h"
#include "city_state.h"
#include "city_road_net.h"

/* What the vehicles tell the lights each step (arrays indexed by lane). */
typedef struct RoadLaneSense {
    const int32_t *count;        /* vehicles on the lane */
    const double *last_detect_s; /* sim time a vehicle last passed the lane's detector (-1e30: never) */
} RoadLaneSense;

typedef struct RoadSignals RoadSignals;

/* Controllers for every light of a finalized net (programs copied from it).
 * NULL on OOM. */
RoadSignals *road_signals_create(const CityRoadNet *net);
void road_signals_destroy(RoadSignals *signals);

/* Switches a light's control mode from now on. */
CityStatus road_signals_set_type(RoadSignals *signals, int32_t tls, CityTlsType type, CityError *err);
/* Replaces a light's program (phases[] durations and state strings). */
CityStatus road_signals_set_program(RoadSignals *signals, int32_t tls, const CityTlsPhase *phases,
                                    const char *const *states, int32_t n_phases, CityError *err);
/* Jumps to a phase now (EXTERNAL control, commands). */
CityStatus road_signals_set_phase(RoadSignals *signals, int32_t tls, int32_t phase, double now_s, CityError *err);

/* Goes to a phase the safe way (EXTERNAL control by the device API): a
 * green hands over through a yellow as max-pressure does, a yellow or
 * all-red phase first runs its duration, and a transition under way is
 * finished first (the call does nothing then: ask again). */
CityStatus road_signals_switch(RoadSignals *signals, int32_t tls, int32_t phase, double now_s, CityError *err);

/* Advances every light to time now_ms, a tick of dt_ms (called once per tick before vehicles move). */
void road_signals_step(RoadSignals *signals, int64_t now_ms, int64_t dt_ms, const RoadLaneSense *sense);

/* The lights whose state string may have changed (each once, in the order
 * they changed) since the previous call: from creation, a step, a command
 * or a restore. Returns their number; *lights stays valid until the next
 * call into the signals. What reads the strings through a copy of its own
 * (the road's per-connection records) refreshes only these. */
int32_t road_signals_take_changed(RoadSignals *signals, const int32_t **lights);

/* Where link k of light tls shows its state letter: shown_base[at + k],
 * for as long as the signals exist (the strings never move). */
const char *road_signals_shown_base(const RoadSignals *signals);
int64_t road_signals_shown_at(const RoadSignals *signals, int32_t tls);

/* Current state string of a light (net link_count chars) and phase index. */
const char *road_signals_state(const RoadSignals *signals, int32_t tls);
int32_t road_signals_phase(const RoadSignals *signals, int32_t tls);
/* A light's control mode now (set_type changes it; the net keeps the declared one). */
CityTlsType road_signals_type(const RoadSignals *signals, int32_t tls);
/* Sim time at which the current phase started. */
double road_signals_phase_start_s(const RoadSignals *signals, int32_t tls);

void road_signals_hash(const RoadSignals *signals, CityHash *hash);
/* Checkpoints: each light's program, mode and running phase. */
void road_signals_save(const RoadSignals *signals, CityStateWriter *out);
bool road_signals_load(RoadSignals *signals, CityStateReader *in);

#endif
