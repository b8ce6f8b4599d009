/* What the traffic lights' files share (internal to sim/road): a light's
 * program and running state. road_signals.c runs them, road_signals_state.c
 * hashes and saves them. */
#ifndef ROAD_SIGNALS_INTERNAL_H
#define ROAD_SIGNALS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "road_signals.h"

/* Longest duration we accept, so every sum of milliseconds fits in 64 bits
 * with room to spare (about 31 years). */
#define SIG_MAX_DURATION_S 1e9

typedef struct SigPhase {
    int64_t dur_ms; /* nominal duration */
    int64_t min_ms; /* actuated lower bound; max-pressure decision period */
    int64_t max_ms; /* actuated upper bound */
} SigPhase;

typedef struct SigLight {
    char *id;          /* the net's id, for messages */
    CityTlsType type;  /* control mode */
    int64_t offset_ms; /* SUMO offset: phase 0 starts at offset + k * cycle */
    int32_t n_links;   /* length of every state string */
    int32_t n_phases;  /* 0: no program, the light shows 'O' (off) */
    SigPhase *phases;
    char *states;  /* phase p's state at states[p * (n_links + 1)], NUL-terminated */
    char *shown;   /* what the light shows now: n_links chars + NUL (in RoadSignals.shown_buf) */
    int32_t phase; /* program phase; in a synthesized yellow the green being left */
    int64_t phase_start_ms;
    int64_t decide_ms; /* max-pressure: next decision point of the current green */
    int32_t target;    /* phase to show when the current yellow ends; -1: none */
    bool synth;        /* showing a synthesized yellow (not a program phase) */
    int64_t synth_start_ms;
    bool listed; /* in RoadSignals.changed */
    /* The connections of link k: conn_from/conn_to[link_first[k] .. link_first[k+1]).
     * Several connections may share one link index (SUMO's linkIndex). */
    int32_t *link_first;
    int32_t *conn_from, *conn_to;
} SigLight;

struct RoadSignals {
    SigLight *lights;
    int32_t n_lights;
    int32_t n_lanes;        /* length of the sense arrays */
    bool stepped;           /* a step ran: a new program keeps the running phase instead of re-aligning */
    int64_t quiet_until_ms; /* no light changes before this: the least of theirs */
    /* Per light, a time before which it makes no change (a lower bound;
     * INT64_MIN: not known). Apart from the lights' records: a step whose
     * time has come reads these, 8 bytes a light, not a cache line or more
     * of every light of the city. */
    int64_t *quiet_ms;
    /* Every light's shown string, one after another (their `shown`): what
     * a connection reads of its light is one byte at a fixed place here
     * (road_signals_shown_at), not the light's record and then its string. */
    char *shown_buf;
    int32_t *changed;  /* lights whose shown string may have changed since road_signals_take_changed, */
    int32_t n_changed; /*   each once (capacity n_lights) */
};

/* Light L is looked at in the next step: a command or a restore changed
 * what is due. */
static inline void sig_wake(RoadSignals *signals, const SigLight *L)
{
    signals->quiet_ms[L - signals->lights] = INT64_MIN;
    signals->quiet_until_ms = INT64_MIN;
}

/* Notes that light L may show something else now (every write to L->shown
 * goes with one). */
static inline void sig_list(RoadSignals *signals, SigLight *L)
{
    if (!L->listed) {
        L->listed = true;
        signals->changed[signals->n_changed++] = (int32_t)(L - signals->lights);
    }
}

/* Phase p's state string. */
static inline const char *sig_state(const SigLight *L, int32_t p)
{
    return L->states + (size_t)p * ((size_t)L->n_links + 1);
}

#endif
