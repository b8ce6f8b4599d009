/* The CPU time (user + system, seconds) a command uses, to the microsecond:
 * what /usr/bin/time -f "%U %S" reports, without its 10 ms steps (on a
 * run of half a second those are 2 % each). For benchmarks, not a test.
 *   cpu_time OUT_FILE COMMAND [ARGS...]
 * runs COMMAND, writes its CPU seconds to OUT_FILE and exits with its status
 * (2 when it cannot be run, with a one-line reason). */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "cpu_time: usage: cpu_time OUT_FILE COMMAND [ARGS...]\n");
        return 2;
    }
    const pid_t pid = fork();
    if (pid < 0) {
        perror("cpu_time: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "cpu_time: cannot run %s; check the path\n", argv[2]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("cpu_time: wait4");
        return 2;
    }
    const double cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "%.6f\n", cpu_s) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cpu_time: cannot write %s; check the folder exists and is writable\n", argv[1]);
        return 2;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
