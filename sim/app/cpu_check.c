/* The processor check of a build made for the processor of the machine
 * that built it (CITY_NATIVE, CMakeLists.txt): before main, the programs
 * ask the processor for each instruction set the build may use, and on one
 * that lacks any they stop with one line that says which and what to do,
 * exit code 2, instead of dying on an illegal instruction somewhere in a
 * run (a binary copied to an older node of a cluster: citylab sweep
 * --slurm). This file itself is compiled for the x86-64 baseline
 * (sim/CMakeLists.txt), so that the check runs anywhere; other builds
 * leave it empty. */
#include "cpu_check.h"

#include <stdio.h>
#include <string.h>

size_t city_cpu_missing(char *buf, size_t cap, bool (*has)(const char *feature), const char *const *features)
{
    size_t n = 0, len = 0;
    if (cap > 0)
        buf[0] = '\0';
    for (size_t i = 0; features[i]; i++) {
        if (has(features[i]))
            continue;
        n++;
        size_t flen = strlen(features[i]), sep = len > 0 ? 1 : 0;
        if (len + sep + flen + 1 > cap)
            continue; /* (counted, not named) */
        if (sep)
            buf[len++] = ' ';
        memcpy(buf + len, features[i], flen);
        len += flen;
        buf[len] = '\0';
    }
    return n;
}

#if defined(CITY_NATIVE_CHECK) && (defined(__x86_64__) || defined(__i386__))
#include <unistd.h>

#include "city_native_features.h"

/* (__builtin_cpu_supports takes a string constant only: one test a name) */
static bool cpu_has(const char *feature)
{
#define X(f)                                                                                                           \
    if (!strcmp(feature, f))                                                                                           \
        return __builtin_cpu_supports(f) != 0;
    CITY_NATIVE_FEATURES
#undef X
    return false;
}

__attribute__((constructor)) static void city_cpu_check(void)
{
#define X(f) f,
    static const char *const features[] = {CITY_NATIVE_FEATURES NULL};
#undef X
    char missing[256];
    __builtin_cpu_init(); /* (a constructor may run before libgcc's own has) */
    size_t n = city_cpu_missing(missing, sizeof missing, cpu_has, features);
    if (n == 0)
        return;
    fprintf(stderr,
            "citylab: this program was built for the processor of the machine that built it (CITY_NATIVE), and this "
            "processor lacks %zu of its instruction sets: %s; build citylab on this machine, or configure the build "
            "with -DCITY_NATIVE=OFF for programs that run on any x86-64 processor\n",
            n, missing);
    _exit(2);
}
#endif
