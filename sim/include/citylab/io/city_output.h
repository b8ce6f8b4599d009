/* Run outputs: a folder with summary.json, one CSV per world table and
 * events.csv. Everything is written into a hidden staging folder beside the
 * destination and renamed into place only when complete, so a failed run
 * never leaves a half-written folder behind. */
#ifndef CITY_OUTPUT_H
#define CITY_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "city_world.h"

typedef struct CityOutput CityOutput;

/* One scenario parameter (city.param) as summary.json records it. */
typedef struct CityRunParam {
    const char *name;  /* parameter name */
    const char *value; /* value as text */
    bool literal;      /* a number or boolean, written as is; else written as a JSON string */
} CityRunParam;

typedef struct CityRunInfo {
    const char *scenario;       /* scenario name */
    const char *version;        /* citylab version */
    double wall_time_s;         /* wall-clock seconds of the whole run; with the next, the only
                                 * wall-clock fields (one line of summary.json, excluded from determinism) */
    double load_wall_time_s;    /* of which loading the scenario (network, demand) */
    const CityRunParam *params; /* the parameters the scenario read, in first-read order */
    size_t n_params;            /* entries in params */
    double loop_cpu_s;          /* CPU seconds of the process while the simulation loop ran (the step only,
                                 * not loading or outputs; on the wall-clock line), every thread's: with
                                 * sensors sampled and written beside the run, more than its wall time;
                                 * < 0: not measured */
    double loop_wall_time_s;    /* of which the simulation loop (after loading, before the end of run and its
                                 * outputs): what SUMO's "Duration" and "UPS" time */
} CityRunInfo;

/* Creates the staging folder for `final_dir` (parents are created) and
 * removes the staging folders of earlier runs there whose process is gone.
 * A run folder carries a marker file: an existing `final_dir` that is a file,
 * or a folder without the marker (and not empty), is refused with
 * CITY_ERR_INVALID, so a run never replaces what citylab did not write.
 * On error returns a status and one clear line in err. */
CityStatus city_output_begin(const char *final_dir, CityOutput **out, CityError *err);
/* Streams the world's event log into events.csv from now on. */
CityStatus city_output_attach_log(CityOutput *out, CityWorld *world, CityError *err);
/* Streams the world's sensor readings (with the truth) into
 * readings.senml.jsonl and readings.csv from now on; nothing when the
 * world has no sensors. Call after the scenario loaded. */
CityStatus city_output_attach_readings(CityOutput *out, CityWorld *world, CityError *err);
/* Writes summary.json and the tables, then moves the folder into place
 * (replacing an older run there). Frees `out` whatever happens. */
CityStatus city_output_commit(CityOutput *out, const CityWorld *world, const CityRunInfo *info, CityError *err);
/* Removes the staging folder and frees `out`; the destination is untouched. */
void city_output_abort(CityOutput *out, CityWorld *world);
/* The event log written so far (without its header), as a heap copy for
 * a checkpoint; NULL on error. */
char *city_output_log_text(CityOutput *out, size_t *len);
/* Makes the event log hold the lines of an earlier part of the run (from
 * a checkpoint) after its header, replacing what was logged so far. */
CityStatus city_output_log_prefill(CityOutput *out, const char *text, size_t len);
/* Async-signal-safe: removes the staging folder of a run that is being
 * killed (only unlink and rmdir of names known in advance). Call it from a
 * SIGINT/SIGTERM handler, then exit; `out` stays allocated. */
void city_output_remove_stage_now(const CityOutput *out);
/* Final destination folder. */
const char *city_output_dir(const CityOutput *out);
/* Prepares a folder for a time-lapse (--frames DIR) with the same rule as
 * --out: a file, or a folder citylab did not write (no marker, not empty),
 * is refused (CITY_ERR_INVALID, one line in err); a folder citylab wrote
 * loses its old frame-*.png files; a new one is created with the marker. */
CityStatus city_output_frames_dir(const char *dir, CityError *err);

/* JSON helpers (also used by other writers): a string with escapes, and a
 * number that reads back to the same double (null when not finite). */
void city_json_string(FILE *f, const char *s);
void city_json_number(FILE *f, double v);
/* Writes a CSV field, quoting it when it holds a comma, quote or newline. */
void city_csv_field(FILE *f, const char *s);

#endif
