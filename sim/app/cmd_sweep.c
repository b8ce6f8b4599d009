/* citylab sweep: expand a sweep file into runs and hand them to an
 * executor (a local process pool, a Slurm job array, or a plain list of
 * commands for GNU parallel). Every run is an ordinary `citylab run` into
 * OUT/runs/<id>/; a run is done when its summary.json is there, so a sweep
 * stopped for any reason resumes by running the same command again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "sweep_internal.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: citylab sweep SWEEP.lua [options]\n"
               "\n"
               "Runs a scenario over parameter points and seeds (see scenarios/API.md, \"Sweeps\").\n"
               "Each run writes OUT/runs/<id>/ (id p<point>-s<seed>); finished runs are skipped, so\n"
               "running the same command again resumes a stopped sweep and retries failed runs.\n"
               "\n"
               "options:\n"
               "  --out DIR            sweep folder (default sweeps/<sweep name>)\n"
               "  --dry-run            list the runs (id, seed, parameters) and do nothing else\n"
               "  --local N            run N at a time on this machine (default: the number of CPUs)\n"
               "  --commands           print one `citylab run` command per unfinished run (for GNU parallel)\n"
               "  --slurm              write a Slurm job array script and submit it with sbatch\n"
               "  --print-slurm        write the job script and print it, without submitting\n"
               "  --partition P        Slurm partition\n"
               "  --time T             Slurm time limit per array task (e.g. 30:00)\n"
               "  --mem M              Slurm memory per array task (e.g. 2G)\n"
               "  --throttle N         at most N array tasks at once (sbatch --array=...%%N)\n"
               "  --runs-per-task K    runs per array task (default: enough to keep within 1000 tasks)\n"
               "  --wait               with --slurm: return when the job array has finished\n"
               "  --quiet              no line per finished run\n"
               "\n"
               "then: citylab collect DIR   (one CSV row per run, and mean and 95%% CI per point)\n"
               "exit codes: 0 every run finished, 1 some run failed or was stopped (run again to retry),\n"
               "2 bad input\n");
}

static int bad(const char *flag, const char *value, const char *want)
{
    fprintf(stderr, "citylab sweep: %s '%s' is not valid: expected %s (see citylab sweep --help)\n", flag,
            value ? value : "", want);
    return 2;
}

static bool parse_count(const char *s, size_t *v, size_t lo, size_t hi)
{
    char *end;
    errno = 0;
    unsigned long long u = s && *s != '-' ? strtoull(s, &end, 10) : 0;
    if (!s || *s == '-' || errno || *end || u < lo || u > hi)
        return false;
    *v = (size_t)u;
    return true;
}

static int parse_flag(SweepOptions *o, const char *a, const char *v)
{
    size_t n;
    if (!strcmp(a, "--out"))
        snprintf(o->out, sizeof o->out, "%s", v);
    else if (!strcmp(a, "--local")) {
        if (!parse_count(v, &n, 1, 4096))
            return bad(a, v, "a number of runs at once from 1 to 4096");
        o->mode = SWEEP_LOCAL;
        o->jobs = (int)n;
    } else if (!strcmp(a, "--partition"))
        o->partition = v;
    else if (!strcmp(a, "--time"))
        o->time_limit = v;
    else if (!strcmp(a, "--mem"))
        o->mem = v;
    else if (!strcmp(a, "--throttle")) {
        if (!parse_count(v, &n, 1, 1000000))
            return bad(a, v, "a number of tasks from 1");
        o->throttle = (int)n;
    } else if (!strcmp(a, "--runs-per-task")) {
        if (!parse_count(v, &o->runs_per_task, 1, 10000000))
            return bad(a, v, "a number of runs from 1");
    } else if (!strcmp(a, "--task")) {
        if (!parse_count(v, &o->task, 0, 10000000))
            return bad(a, v, "an array task index >= 0");
        o->mode = SWEEP_TASK;
    } else {
        fprintf(stderr, "citylab sweep: unknown option '%s' (see citylab sweep --help)\n", a);
        return 2;
    }
    if (strpbrk(v, "\n\r"))
        return bad(a, "...", "a value without line breaks");
    return 0;
}

/* 0 parsed, 1 help printed, 2 error printed. */
static int parse(int argc, char **argv, SweepOptions *o)
{
    memset(o, 0, sizeof *o);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cpus > 0 ? (int)cpus : 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        struct {
            const char *flag;
            SweepMode mode;
        } modes[] = {{"--dry-run", SWEEP_DRY_RUN},
                     {"--commands", SWEEP_COMMANDS},
                     {"--slurm", SWEEP_SLURM},
                     {"--print-slurm", SWEEP_PRINT_SLURM}};
        bool done = false;
        for (size_t m = 0; m < sizeof modes / sizeof *modes && !done; m++)
            if (!strcmp(a, modes[m].flag)) {
                o->mode = modes[m].mode;
                done = true;
            }
        if (done)
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(a, "--wait")) {
            o->wait = true;
        } else if (a[0] == '-') {
            if (i + 1 >= argc)
                return bad(a, "", "a value after the flag");
            int rc = parse_flag(o, a, argv[++i]);
            if (rc)
                return rc;
        } else if (!o->sweep_path) {
            o->sweep_path = a;
        } else {
            fprintf(stderr, "citylab sweep: more than one sweep file given ('%s' and '%s')\n", o->sweep_path, a);
            return 2;
        }
    }
    if (!o->sweep_path) {
        fprintf(stderr, "citylab sweep: no sweep file given; usage: citylab sweep SWEEP.lua [--local N | --slurm]\n");
        return 2;
    }
    return 0;
}

static void write_manifest(FILE *f, const CitySweep *sw)
{
    fputs("run,seed", f);
    for (size_t k = 0; k < sw->n_params; k++) {
        fputc(',', f);
        city_csv_field(f, sw->param_names[k]);
    }
    fputc('\n', f);
    char id[64];
    for (size_t r = 0; r < city_sweep_run_count(sw); r++) {
        city_sweep_run_id(sw, r, id, sizeof id);
        fprintf(f, "%s,%llu", id, (unsigned long long)sw->seeds[r % sw->n_seeds]);
        for (size_t k = 0; k < sw->n_params; k++) {
            fputc(',', f);
            city_csv_field(f, city_sweep_value(sw, r / sw->n_seeds, k));
        }
        fputc('\n', f);
    }
}

static bool same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* Creates OUT and writes OUT/runs.csv, the list of runs; refuses a folder
 * that holds another sweep's runs (their ids would mean other points). */
static int prepare_out(const CitySweep *sw, SweepOptions *o)
{
    char cmd_err[PATH_MAX + 200];
    char *p = o->out;
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        snprintf(cmd_err, sizeof cmd_err, "%s: cannot create the sweep folder (%s); choose another with --out DIR",
                 o->out, strerror(errno));
        fprintf(stderr, "citylab sweep: %s\n", cmd_err);
        return 2;
    }
    char *real = realpath(o->out, NULL);
    if (real) {
        snprintf(o->out, sizeof o->out, "%s", real);
        free(real);
    }
    char path[PATH_MAX + 32], tmp[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/runs.csv", o->out);
    snprintf(tmp, sizeof tmp, "%s/.runs.csv.%ld", o->out, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "citylab sweep: %s: cannot write (%s)\n", tmp, strerror(errno));
        return 2;
    }
    write_manifest(f, sw);
    if (fclose(f) != 0) {
        unlink(tmp);
        fprintf(stderr, "citylab sweep: %s: cannot write (%s)\n", tmp, strerror(errno));
        return 2;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !same_file(path, tmp)) {
        unlink(tmp);
        fprintf(stderr,
                "citylab sweep: %s holds runs of a different sweep (its runs.csv lists other runs); use another "
                "--out DIR, or delete that folder to start over\n",
                o->out);
        return 2;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        fprintf(stderr, "citylab sweep: %s: cannot write (%s)\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

static int print_commands(const CitySweep *sw, const SweepOptions *o)
{
    char id[64];
    for (size_t r = 0; r < city_sweep_run_count(sw); r++) {
        city_sweep_run_id(sw, r, id, sizeof id);
        if (sweep_run_done(o, id))
            continue;
        char **argv = sweep_run_argv(sw, o, r);
        if (!argv) {
            fprintf(stderr, "citylab sweep: out of memory\n");
            return 2;
        }
        for (size_t i = 0; argv[i]; i++) {
            if (i)
                fputc(' ', stdout);
            sweep_shell_quote(stdout, argv[i]);
        }
        fputc('\n', stdout);
        sweep_argv_free(argv);
    }
    return 0;
}

static int dispatch(const CitySweep *sw, SweepOptions *o)
{
    size_t n = city_sweep_run_count(sw);
    if (o->mode == SWEEP_DRY_RUN) {
        write_manifest(stdout, sw);
        fprintf(stderr, "sweep %s: %zu points x %zu seeds = %zu runs of %s into %s/runs/\n", sw->name, sw->n_points,
                sw->n_seeds, n, sw->restore ? sw->restore : sw->scenario, o->out);
        return 0;
    }
    if (o->mode == SWEEP_TASK) {
        char *real = realpath(o->out, NULL);
        if (real) {
            snprintf(o->out, sizeof o->out, "%s", real);
            free(real);
        }
        size_t k = o->runs_per_task ? o->runs_per_task : 1, first = o->task * k;
        if (first >= n) {
            fprintf(stderr, "citylab sweep: --task %zu is past the last run (%zu runs, %zu per task)\n", o->task, n, k);
            return 2;
        }
        return sweep_run_local(sw, o, first, first + k < n ? first + k : n, 1);
    }
    int rc = prepare_out(sw, o);
    if (rc)
        return rc;
    switch (o->mode) {
    case SWEEP_COMMANDS:
        return print_commands(sw, o);
    case SWEEP_SLURM:
    case SWEEP_PRINT_SLURM:
        return sweep_slurm(sw, o, o->mode == SWEEP_PRINT_SLURM);
    default:
        return sweep_run_local(sw, o, 0, n, o->jobs);
    }
}

int city_cmd_sweep(int argc, char **argv)
{
    SweepOptions o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    CityError err;
    CitySweep *sw;
    if (city_sweep_load(o.sweep_path, &sw, &err) != CITY_OK) {
        fprintf(stderr, "citylab sweep: %s\n", err.msg);
        return 2;
    }
    if (!o.out[0])
        snprintf(o.out, sizeof o.out, "sweeps/%s", sw->name);
    rc = dispatch(sw, &o);
    city_sweep_free(sw);
    return rc;
}
