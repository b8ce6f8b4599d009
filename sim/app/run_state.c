/* citylab run --save-state FILE --at S and --restore FILE: checkpoints of
 * a whole run. The checkpoint holds the event log written so far, so a
 * restored run's events.csv is the uninterrupted run's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int city_run_restore_prepare(CityCliOptions *o, CityCheckpointInfo *ck, bool *fork, uint64_t *fork_seed)
{
    CityError err = {0};
    if (city_checkpoint_peek(o->restore_path, ck, &err) != CITY_OK) {
        fprintf(stderr, "citylab: error: %s\n", err.msg);
        return 2;
    }
    if (!o->scenario_path) {
        if (!ck->scenario[0]) {
            fprintf(stderr,
                    "citylab: error: %s: the checkpoint names no scenario file; give it: citylab run "
                    "SCENARIO.lua --restore FILE\n",
                    o->restore_path);
            return 2;
        }
        o->scenario.path = ck->scenario;
    }
    if (o->scenario.dt_ms > 0 && o->scenario.dt_ms != ck->dt_ms) {
        fprintf(stderr, "citylab: error: %s: the checkpoint's run has --dt %d; a restore keeps it (drop --dt)\n",
                o->restore_path, (int)ck->dt_ms);
        return 2;
    }
    o->scenario.dt_ms = ck->dt_ms;
    *fork = o->seed_given && o->scenario.seed != ck->seed;
    *fork_seed = o->scenario.seed;
    o->scenario.seed = ck->seed; /* the top level reruns as it ran */
    o->scenario.params = (const char *const *)ck->params;
    o->scenario.n_params = ck->n_params;
    return 0;
}

int city_run_restore_apply(CityScenario *sc, const CityCliOptions *o, CityOutput *out, bool fork, uint64_t fork_seed)
{
    CityWorld *w = city_scenario_world(sc);
    void *log = NULL;
    size_t len = 0;
    if (city_scenario_restore(sc, o->restore_path, &log, &len) != CITY_OK) {
        fprintf(stderr, "citylab: error: %s\n", city_world_error(w));
        return 2;
    }
    CityStatus st = city_output_log_prefill(out, log, len);
    free(log);
    if (st != CITY_OK) {
        fprintf(stderr, "citylab: error: %s: cannot write the restored event log\n", city_output_dir(out));
        return 2;
    }
    if (fork)
        city_world_reseed(w, fork_seed);
    if (!o->quiet)
        fprintf(stderr, "restored   %s at %.1f s%s\n", o->restore_path, city_world_time_s(w),
                fork ? " (forked with a new seed)" : "");
    return 0;
}

int city_run_save_state(CityScenario *sc, const CityCliOptions *o, CityOutput *out)
{
    CityWorld *w = city_scenario_world(sc);
    size_t len = 0;
    char *log = city_output_log_text(out, &len);
    if (!log) {
        fprintf(stderr, "citylab: error: %s: cannot read the event log for the checkpoint\n", city_output_dir(out));
        return 2;
    }
    CityStatus st = city_scenario_save(sc, o->save_state_path, log, len);
    free(log);
    if (st != CITY_OK) {
        fprintf(stderr, "citylab: error: %s\n", city_world_error(w));
        return 2;
    }
    if (!o->quiet)
        fprintf(stderr, "checkpoint %s at %.1f s\n", o->save_state_path, city_world_time_s(w));
    return 0;
}
