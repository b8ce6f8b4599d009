/* Private to the sweep command: its options and what its executors
 * (cmd_sweep.c: listing and dispatch, sweep_local.c: process pool,
 * sweep_slurm.c: Slurm job arrays) share. */
#ifndef CITY_SWEEP_INTERNAL_H
#define CITY_SWEEP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "city_sweep.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

typedef enum SweepMode {
    SWEEP_LOCAL = 0,   /* --local N: a process pool here */
    SWEEP_DRY_RUN,     /* --dry-run: list the runs */
    SWEEP_COMMANDS,    /* --commands: one shell command per unfinished run */
    SWEEP_SLURM,       /* --slurm: write and submit a job array */
    SWEEP_PRINT_SLURM, /* --print-slurm: write the job script only */
    SWEEP_TASK         /* --task I: one array task's runs (what the job script calls) */
} SweepMode;

typedef struct SweepOptions {
    const char *sweep_path; /* SWEEP.lua */
    char out[PATH_MAX];     /* sweep output folder (absolute once created) */
    SweepMode mode;         /* what to do */
    int jobs;               /* --local N: runs at once */
    bool quiet;             /* --quiet: no line per finished run */
    const char *partition;  /* --partition P (Slurm) */
    const char *time_limit; /* --time T per task (Slurm syntax, e.g. 30:00) */
    const char *mem;        /* --mem M per task (Slurm syntax, e.g. 2G) */
    int throttle;           /* --throttle N: at most N tasks at once (%N); 0 = no limit */
    size_t runs_per_task;   /* --runs-per-task K; 0 = chosen to keep the array within 1000 tasks */
    bool wait;              /* --wait: sbatch --wait (returns when the array has finished) */
    size_t task;            /* --task I */
} SweepOptions;

/* The path of this citylab binary (for child runs and job scripts). */
const char *sweep_self_exe(void);
/* argv of `citylab run` for one run (NULL-terminated, heap strings);
 * free with sweep_argv_free. NULL when out of memory. */
char **sweep_run_argv(const CitySweep *sw, const SweepOptions *o, size_t run);
void sweep_argv_free(char **argv);
/* Whether the run's folder holds a committed summary.json. */
bool sweep_run_done(const SweepOptions *o, const char *run_id);
/* Writes s single-quoted for a POSIX shell. */
void sweep_shell_quote(FILE *f, const char *s);

/* Runs runs [first, last) not yet done, `jobs` at a time; reports each
 * failure with its log. Returns 0 all done, 1 some failed or interrupted. */
int sweep_run_local(const CitySweep *sw, const SweepOptions *o, size_t first, size_t last, int jobs);
/* Writes the job script (and submits it unless print_only). Exit code. */
int sweep_slurm(const CitySweep *sw, const SweepOptions *o, bool print_only);

#endif
