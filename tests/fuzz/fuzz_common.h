/* Shared by the libFuzzer targets: the readers take file paths, so each
 * input is written into an in-memory file (memfd) and read back through
 * /proc/self/fd, without touching the disk. */
#ifndef CITY_FUZZ_COMMON_H
#define CITY_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Returns a path that reads as the given bytes (valid until the next call). */
static inline const char *fuzz_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("citylab-fuzz", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    return path;
}

/* A second in-memory file with fixed contents that a target reads beside
 * the input (e.g. the demand for a fuzzed network); the path stays valid. */
static inline const char *fuzz_fixed_path(const char *text, size_t size)
{
    int fd = memfd_create("citylab-fuzz-fixed", 0);
    if (fd < 0 || pwrite(fd, text, size, 0) != (ssize_t)size)
        abort();
    char *path = malloc(64);
    if (!path)
        abort();
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return path;
}

/* A folder of its own under $TMPDIR (or /tmp) for targets whose reader
 * takes a folder; made once, reused by every input. */
static inline const char *fuzz_dir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/citylab-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

/* Writes size bytes to dir/name (made whole or abort: the disk is not under test). */
static inline void fuzz_write(const char *dir, const char *name, const void *data, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
}

/* The i-th part of data split at form feeds (a byte no seed needs), or
 * NULL with *len 0 past the last. */
static inline const uint8_t *fuzz_part(const uint8_t *data, size_t size, int i, size_t *len)
{
    const uint8_t *p = data, *end = data + size;
    for (; i > 0; i--) {
        const uint8_t *ff = memchr(p, '\f', (size_t)(end - p));
        if (!ff) {
            *len = 0;
            return NULL;
        }
        p = ff + 1;
    }
    const uint8_t *ff = memchr(p, '\f', (size_t)(end - p));
    *len = (size_t)((ff ? ff : end) - p);
    return p;
}

#endif
