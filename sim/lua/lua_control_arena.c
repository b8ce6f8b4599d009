/* A controller's own small-object heap. A sandbox's Lua state is a few
 * hundred small objects (strings, tables, closures, upvalues, call info) of
 * which a step touches a dozen; from the process heap they land wherever the
 * scenario's own garbage left holes, spread over many cache lines among the
 * other 99 controllers' objects, and each costs a general-purpose malloc
 * and free. Here blocks up to ARENA_SMALL bytes are carved from chunks of
 * the controller's own, in size classes of ARENA_GRAIN bytes with a free
 * list each; larger ones (stacks, big tables, code) come from malloc. What
 * a block is follows from its size alone, as Lua gives the old size on
 * every call: a block of at most ARENA_SMALL bytes is the arena's. The
 * memory budget is counted by the caller, on the sizes Lua asks for; the
 * chunks stop growing once they hold the budget, so that blocks freed in
 * one size class and never reused by another cannot make a controller hold
 * much more than twice its budget (small blocks in chunks, large ones from
 * malloc). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lua_control_internal.h"

#define ARENA_GRAIN 16
#define ARENA_SMALL 512 /* bytes: larger blocks come from malloc */
#define ARENA_CLASSES (ARENA_SMALL / ARENA_GRAIN)
#define ARENA_CHUNK_FIRST ((size_t)16 << 10)
#define ARENA_CHUNK_MAX ((size_t)128 << 10)

typedef struct ArenaChunk {
    struct ArenaChunk *next;
    max_align_t align[]; /* the blocks */
} ArenaChunk;

struct CtlArena {
    char *bump, *end;            /* the current chunk's part not yet handed out */
    void *free[ARENA_CLASSES];   /* per class: blocks given back, linked through their first word */
    ArenaChunk *chunks;          /* every chunk, newest first */
    size_t next_bytes;           /* the size of the next chunk */
    size_t chunk_bytes, limit;   /* bytes in chunks; at most this many */
};

CtlArena *ctl_arena_new(size_t limit)
{
    CtlArena *a = calloc(1, sizeof *a);
    if (a) {
        a->next_bytes = ARENA_CHUNK_FIRST;
        a->limit = limit;
    }
    return a;
}

void ctl_arena_free(CtlArena *a)
{
    if (!a)
        return;
    for (ArenaChunk *ch = a->chunks, *next; ch; ch = next) {
        next = ch->next;
        free(ch);
    }
    free(a);
}

static size_t class_of(size_t n)
{
    return (n - 1) / ARENA_GRAIN; /* n in 1..ARENA_SMALL */
}

/* A block of class k, or NULL when no chunk can be had. */
static void *get(CtlArena *a, size_t k)
{
    void *p = a->free[k];
    if (p) {
        memcpy(&a->free[k], p, sizeof(void *));
        return p;
    }
    const size_t bytes = (k + 1) * ARENA_GRAIN;
    if ((size_t)(a->end - a->bump) < bytes) {
        if (a->chunk_bytes >= a->limit)
            return NULL; /* the budget's worth of chunks: a memory error for the controller */
        ArenaChunk *ch = malloc(sizeof *ch + a->next_bytes);
        if (!ch)
            return NULL;
        a->chunk_bytes += a->next_bytes;
        ch->next = a->chunks;
        a->chunks = ch;
        a->bump = (char *)ch->align;
        a->end = a->bump + a->next_bytes;
        if (a->next_bytes < ARENA_CHUNK_MAX)
            a->next_bytes *= 2;
    }
    p = a->bump;
    a->bump += bytes;
    return p;
}

static void put(CtlArena *a, void *p, size_t n)
{
    const size_t k = class_of(n);
    memcpy(p, &a->free[k], sizeof(void *));
    a->free[k] = p;
}

void *ctl_arena_realloc(CtlArena *a, void *ptr, size_t old, size_t n)
{
    if (n == 0) {
        if (ptr && old <= ARENA_SMALL)
            put(a, ptr, old);
        else
            free(ptr);
        return NULL;
    }
    if (!ptr)
        return n <= ARENA_SMALL ? get(a, class_of(n)) : malloc(n);
    if (old > ARENA_SMALL && n > ARENA_SMALL)
        return realloc(ptr, n);
    if (old <= ARENA_SMALL && n <= old)
        return ptr; /* a shrink never fails; the block is freed later by its new size, into a class it covers */
    if (old <= ARENA_SMALL && class_of(n) == class_of(old))
        return ptr;
    void *q = n <= ARENA_SMALL ? get(a, class_of(n)) : malloc(n);
    if (!q) {
        /* only a large block shrunk to a small one must not fail: kept where it is, later recycled as a
         * small block (it is larger than its class) and never given back to malloc (out of memory anyway) */
        return n < old ? ptr : NULL;
    }
    memcpy(q, ptr, n < old ? n : old);
    if (old <= ARENA_SMALL)
        put(a, ptr, old);
    else
        free(ptr);
    return q;
}
