/* The sweep's local executor: a pool of child `citylab run` processes,
 * each writing its own folder and log. A run that fails or is killed is
 * reported with the last line of its log; it is not done, so the next
 * invocation of the same sweep runs it again. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "city_array.h"
#include "commands.h"
#include "sweep_internal.h"

extern char **environ;

const char *sweep_self_exe(void)
{
    static char exe[PATH_MAX];
    if (!exe[0]) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0)
            exe[n] = '\0';
        else
            snprintf(exe, sizeof exe, "citylab");
    }
    return exe;
}

void sweep_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

char **sweep_run_argv(const CitySweep *sw, const SweepOptions *o, size_t run)
{
    size_t max = 16 + 2 * sw->n_params, n = 0;
    char **argv = calloc(max, sizeof *argv);
    if (!argv)
        return NULL;
    char buf[PATH_MAX + 64], id[64];
    city_sweep_run_id(sw, run, id, sizeof id);
    bool ok = true;
#define ADD(s) ok = ok && (argv[n++] = city_strdup(s)) != NULL
    ADD(sweep_self_exe());
    ADD("run");
    if (sw->scenario)
        ADD(sw->scenario);
    if (sw->restore) {
        ADD("--restore"); /* a fork: the checkpoint's run, reseeded */
        ADD(sw->restore);
    }
    ADD("--seed");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)sw->seeds[run % sw->n_seeds]);
    ADD(buf);
    if (sw->until_s >= 0) {
        ADD("--until");
        snprintf(buf, sizeof buf, "%.17g", sw->until_s);
        ADD(buf);
    }
    if (sw->dt_ms > 0) {
        ADD("--dt");
        snprintf(buf, sizeof buf, "%d", (int)sw->dt_ms);
        ADD(buf);
    }
    for (size_t k = 0; k < sw->n_params; k++) {
        ADD("--param");
        snprintf(buf, sizeof buf, "%s=%s", sw->param_names[k], city_sweep_value(sw, run / sw->n_seeds, k));
        ADD(buf);
    }
    ADD("--out");
    snprintf(buf, sizeof buf, "%s/runs/%s", o->out, id);
    ADD(buf);
    ADD("--quiet");
#undef ADD
    if (!ok) {
        sweep_argv_free(argv);
        return NULL;
    }
    return argv;
}

bool sweep_run_done(const SweepOptions *o, const char *run_id)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/runs/%s/summary.json", o->out, run_id);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void sweep_shell_quote(FILE *f, const char *s)
{
    if (s[0] && !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.,/=:+@%")]) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

typedef struct Slot {
    pid_t pid;  /* child, 0 when free */
    size_t run; /* its run index */
    double t0;  /* wall start, for the report */
} Slot;

static pid_t spawn_run(const CitySweep *sw, const SweepOptions *o, size_t run)
{
    char id[64], log[PATH_MAX + 128];
    city_sweep_run_id(sw, run, id, sizeof id);
    snprintf(log, sizeof log, "%s/logs", o->out);
    mkdir(log, 0755);
    snprintf(log, sizeof log, "%s/logs/%s.log", o->out, id);
    char **argv = sweep_run_argv(sw, o, run);
    if (!argv)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    sweep_argv_free(argv);
    return rc == 0 ? pid : -1;
}

/* The run's error line from its log ("citylab: error: ..."), else the
 * last non-empty line, for the failure report. */
static void last_log_line(const SweepOptions *o, const char *id, char *buf, size_t len)
{
    char path[PATH_MAX + 128], line[1024];
    snprintf(path, sizeof path, "%s/logs/%s.log", o->out, id);
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!strncmp(line, "citylab: error: ", 16)) {
            snprintf(buf, len, "%s", line + 16);
            break;
        }
        if (line[0])
            snprintf(buf, len, "%s", line);
    }
    fclose(f);
}

/* Reports a finished child; true when the run is done (exit 0 or 1: it
 * wrote its outputs; 1 only means a check failed). */
static bool report(const CitySweep *sw, const SweepOptions *o, const Slot *s, int status, size_t k, size_t total)
{
    char id[64], last[1024];
    city_sweep_run_id(sw, s->run, id, sizeof id);
    double wall = city_wall_now() - s->t0;
    if (WIFEXITED(status) && WEXITSTATUS(status) <= 1 && sweep_run_done(o, id)) {
        if (!o->quiet)
            fprintf(stderr, "[%zu/%zu] %s %s (%.2f s)\n", k, total, id,
                    WEXITSTATUS(status) ? "done, a check failed" : "done", wall);
        return true;
    }
    last_log_line(o, id, last, sizeof last);
    if (WIFSIGNALED(status))
        fprintf(stderr, "[%zu/%zu] %s KILLED by signal %d after %.2f s (log: %s/logs/%s.log)\n", k, total, id,
                WTERMSIG(status), wall, o->out, id);
    else
        fprintf(stderr, "[%zu/%zu] %s FAILED with exit %d: %s (log: %s/logs/%s.log)\n", k, total, id,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1, last[0] ? last : "no output", o->out, id);
    return false;
}

static void install_handlers(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

int sweep_run_local(const CitySweep *sw, const SweepOptions *o, size_t first, size_t last, int jobs)
{
    size_t todo = 0, skipped = 0, ok = 0, failed = 0, started = 0;
    char id[64];
    size_t *queue = malloc((last - first + 1) * sizeof *queue);
    Slot *slots = calloc((size_t)jobs, sizeof *slots);
    if (!queue || !slots) {
        free(queue);
        free(slots);
        fprintf(stderr, "citylab sweep: out of memory\n");
        return 2;
    }
    for (size_t r = first; r < last; r++) {
        city_sweep_run_id(sw, r, id, sizeof id);
        if (sweep_run_done(o, id))
            skipped++;
        else
            queue[todo++] = r;
    }
    if (!o->quiet && skipped)
        fprintf(stderr, "sweep %s: %zu of %zu runs already done, skipped\n", sw->name, skipped, last - first);
    struct sigaction old_int, old_term;
    stop_signal = 0;
    install_handlers(&old_int, &old_term);
    int running = 0;
    double t_start = city_wall_now();
    while ((started < todo && !stop_signal) || running > 0) {
        while (running < jobs && started < todo && !stop_signal) {
            int free_slot = 0;
            while (slots[free_slot].pid)
                free_slot++;
            Slot *s = &slots[free_slot];
            s->run = queue[started++];
            s->t0 = city_wall_now();
            s->pid = spawn_run(sw, o, s->run);
            if (s->pid <= 0) {
                city_sweep_run_id(sw, s->run, id, sizeof id);
                fprintf(stderr, "citylab sweep: cannot start run %s (%s)\n", id, strerror(errno));
                s->pid = 0;
                failed++;
                continue;
            }
            running++;
        }
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR && stop_signal)
                for (int j = 0; j < jobs; j++)
                    if (slots[j].pid)
                        kill(slots[j].pid, SIGTERM);
            if (errno == ECHILD)
                break;
            continue;
        }
        for (int j = 0; j < jobs; j++) {
            if (slots[j].pid != pid)
                continue;
            bool done = report(sw, o, &slots[j], status, skipped + ok + failed + 1, last - first);
            done ? ok++ : failed++;
            slots[j].pid = 0;
            running--;
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    size_t left = todo - ok - failed;
    printf("sweep %s: %zu runs: %zu done before, %zu ran, %zu failed, %zu not started (%.1f s)\n", sw->name,
           last - first, skipped, ok, failed, left, city_wall_now() - t_start);
    if (failed || left)
        printf("run the same command again to retry the %zu unfinished runs\n", failed + left);
    else if (o->mode != SWEEP_TASK)
        printf("results: citylab collect %s\n", o->out);
    free(queue);
    free(slots);
    return failed || left || stop_signal ? 1 : 0;
}
