/* The run's memory cap (--mem-mb): citylab's own malloc, which counts the
 * bytes the C heap holds for everything the run does (networks, demand,
 * vehicles, grids, the Lua heap) and refuses an allocation that would pass
 * the cap. Every caller already turns a refused allocation into an error
 * ("not enough memory" from the part that grew), and the error line then
 * says that the cap held. The real work is glibc's (__libc_malloc and
 * friends); a sanitizer build (address or thread) keeps the sanitizer's
 * allocator and no cap. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "commands.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CITY_MEMCAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CITY_MEMCAP 0
#endif
#endif
#ifndef CITY_MEMCAP
#define CITY_MEMCAP 1
#endif

static size_t cap_bytes;    /* 0: no cap */
static atomic_bool cap_hit; /* an allocation was refused */

void city_memcap_set(size_t bytes)
{
    cap_bytes = bytes;
}

const char *city_memcap_note(void)
{
    static char note[200];
    if (!atomic_load(&cap_hit))
        return "";
    snprintf(note, sizeof note,
             " (the memory cap held: the run needed more than --mem-mb %zu MiB; build less, or raise --mem-mb)",
             cap_bytes >> 20);
    return note;
}

#if CITY_MEMCAP
static _Atomic long long held_bytes; /* usable bytes of live blocks (may dip below 0: blocks from before) */

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);
size_t malloc_usable_size(void *);

static bool allowed(size_t more)
{
    if (!cap_bytes)
        return true;
    long long now = atomic_load(&held_bytes);
    if (now < 0 || (size_t)now + more <= cap_bytes)
        return true;
    atomic_store(&cap_hit, true);
    return false;
}

static void *counted(void *p)
{
    if (p)
        atomic_fetch_add(&held_bytes, (long long)malloc_usable_size(p));
    return p;
}

void *malloc(size_t n)
{
    if (!allowed(n)) {
        errno = ENOMEM;
        return NULL;
    }
    return counted(__libc_malloc(n));
}

void *calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    if (!allowed(n * size)) {
        errno = ENOMEM;
        return NULL;
    }
    return counted(__libc_calloc(n, size));
}

void free(void *p)
{
    if (!p)
        return;
    atomic_fetch_sub(&held_bytes, (long long)malloc_usable_size(p));
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    size_t old = malloc_usable_size(p);
    if (n > old && !allowed(n - old)) {
        errno = ENOMEM;
        return NULL;
    }
    void *q = __libc_realloc(p, n);
    if (q) {
        atomic_fetch_sub(&held_bytes, (long long)old);
        counted(q);
    }
    return q;
}

void *memalign(size_t align, size_t n)
{
    if (!allowed(n)) {
        errno = ENOMEM;
        return NULL;
    }
    return counted(__libc_memalign(align, n));
}

void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
#endif
