/* The sweep's Slurm executor: one job array, each task running a slice of
 * the runs through `citylab sweep ... --task I` (which skips runs already
 * done, so a resubmitted array only redoes what is missing). citylab does
 * not schedule anything itself: Slurm places, limits and retries tasks. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep_internal.h"

extern char **environ;

#define SLURM_MAX_TASKS 1000 /* under Slurm's default MaxArraySize (1001) */

static size_t runs_per_task(const CitySweep *sw, const SweepOptions *o)
{
    size_t n = city_sweep_run_count(sw);
    if (o->runs_per_task)
        return o->runs_per_task;
    return (n + SLURM_MAX_TASKS - 1) / SLURM_MAX_TASKS;
}

static void write_script(FILE *f, const CitySweep *sw, const SweepOptions *o)
{
    size_t k = runs_per_task(sw, o), n = city_sweep_run_count(sw), tasks = (n + k - 1) / k;
    fprintf(f, "#!/bin/bash\n");
    fprintf(f, "# citylab sweep %s: %zu runs, %zu per array task. Submit with: sbatch %s/slurm/%s.sbatch\n", sw->name,
            n, k, o->out, sw->name);
    fprintf(f, "#SBATCH --job-name=citylab-%s\n", sw->name);
    fprintf(f, "#SBATCH --array=0-%zu", tasks - 1);
    if (o->throttle)
        fprintf(f, "%%%d", o->throttle);
    fputc('\n', f);
    fprintf(f, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n");
    fprintf(f, "#SBATCH --output=%s/logs/slurm-%%A_%%a.out\n", o->out);
    if (o->partition)
        fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    if (o->time_limit)
        fprintf(f, "#SBATCH --time=%s\n", o->time_limit);
    if (o->mem)
        fprintf(f, "#SBATCH --mem=%s\n", o->mem);
    fputs("exec ", f);
    sweep_shell_quote(f, sweep_self_exe());
    fputs(" sweep ", f);
    sweep_shell_quote(f, sw->path);
    fputs(" --out ", f);
    sweep_shell_quote(f, o->out);
    fprintf(f, " --task \"$SLURM_ARRAY_TASK_ID\" --runs-per-task %zu\n", k);
}

/* Runs sbatch; its stdout (the job id with --parsable) goes to id. */
static int submit(const char *script, bool wait, char *id, size_t len)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    char *argv[] = {"sbatch", "--parsable", wait ? "--wait" : NULL, NULL, NULL};
    argv[wait ? 3 : 2] = (char *)script;
    pid_t pid;
    int rc = posix_spawnp(&pid, "sbatch", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        errno = rc;
        return -1;
    }
    size_t n = 0;
    ssize_t got;
    while (n + 1 < len && (got = read(pipefd[0], id + n, len - n - 1)) > 0)
        n += (size_t)got;
    id[n] = '\0';
    id[strcspn(id, ";\r\n")] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int sweep_slurm(const CitySweep *sw, const SweepOptions *o, bool print_only)
{
    char dir[PATH_MAX + 16], script[PATH_MAX + 300], tmp[PATH_MAX + 320];
    snprintf(dir, sizeof dir, "%s/slurm", o->out);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/logs", o->out);
    mkdir(dir, 0755);
    snprintf(script, sizeof script, "%s/slurm/%s.sbatch", o->out, sw->name);
    snprintf(tmp, sizeof tmp, "%s.tmp", script);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "citylab sweep: %s: cannot write the job script (%s)\n", tmp, strerror(errno));
        return 2;
    }
    write_script(f, sw, o);
    if (fclose(f) != 0 || rename(tmp, script) != 0) {
        unlink(tmp);
        fprintf(stderr, "citylab sweep: %s: cannot write the job script (%s)\n", script, strerror(errno));
        return 2;
    }
    if (print_only) {
        write_script(stdout, sw, o);
        fprintf(stderr, "sweep %s: job script written to %s (submit it with sbatch)\n", sw->name, script);
        return 0;
    }
    char id[128];
    int rc = submit(script, o->wait, id, sizeof id);
    if (rc < 0) {
        fprintf(stderr,
                "citylab sweep: cannot run sbatch (%s): is Slurm installed here? --print-slurm writes the script "
                "to submit elsewhere\n",
                strerror(errno));
        return 2;
    }
    if (!o->wait && rc != 0) {
        fprintf(stderr, "citylab sweep: sbatch refused %s (exit %d); see its message above\n", script, rc);
        return 2;
    }
    size_t n = city_sweep_run_count(sw), k = runs_per_task(sw, o);
    printf("sweep %s: submitted job array %s: %zu tasks of up to %zu runs (script %s)\n", sw->name, id[0] ? id : "?",
           (n + k - 1) / k, k, script);
    if (!o->wait) {
        printf("watch it with: squeue -j %s; then: citylab collect %s\n", id, o->out);
        return 0;
    }
    size_t done = 0;
    char rid[64];
    for (size_t r = 0; r < n; r++) {
        city_sweep_run_id(sw, r, rid, sizeof rid);
        done += sweep_run_done(o, rid);
    }
    printf("sweep %s: job array %s finished: %zu of %zu runs done%s\n", sw->name, id, done, n,
           done < n ? "; run the same command again to retry the others" : "");
    return done == n ? 0 : 1;
}
