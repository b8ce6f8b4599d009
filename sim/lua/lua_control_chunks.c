/* Compiled controller files: city.control.attach of one file on 100 lights
 * would otherwise lex and parse it 100 times (a quarter of a million
 * machine instructions each for controllers/preemption.lua, a third of
 * opening a controller). The first controller compiles the text and
 * keeps lua_dump's bytes (debug information included, so messages name
 * the same lines); the others load those bytes. An entry is used only for
 * the same chunk name and byte-identical text, and only bytes this file
 * made are loaded as binary: a controller file itself is always text. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_array.h"
#include "lua_control_internal.h"

typedef struct Chunk {
    char *name;      /* chunk name ("@controllers/x.lua") */
    char *src;       /* the text compiled */
    size_t src_len;  /* */
    char *bin;       /* lua_dump of it */
    size_t bin_len;  /* */
} Chunk;

struct CityChunkCache {
    Chunk *chunks;
    int32_t n, cap;
};

CityChunkCache *city_chunk_cache_new(void)
{
    return calloc(1, sizeof(CityChunkCache));
}

void city_chunk_cache_free(CityChunkCache *cache)
{
    if (!cache)
        return;
    for (int32_t i = 0; i < cache->n; i++) {
        free(cache->chunks[i].name);
        free(cache->chunks[i].src);
        free(cache->chunks[i].bin);
    }
    free(cache->chunks);
    free(cache);
}

typedef struct DumpBuf {
    char *p;
    size_t n, cap;
    bool failed;
} DumpBuf;

static int dump_write(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    DumpBuf *b = ud;
    if (b->n + sz > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + sz)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = true;
            return 1;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, sz);
    b->n += sz;
    return 0;
}

/* Keeps the compiled function on top of L's stack for the text; nothing when out of memory (the next
 * controller compiles again). */
static void keep(lua_State *L, CityChunkCache *cache, const char *src, size_t len, const char *name)
{
    DumpBuf b = {0};
    void *arr = cache->chunks;
    if (lua_dump(L, dump_write, &b, 0) != 0 || b.failed ||
        !city_array_grow(&arr, &cache->cap, cache->n + 1, sizeof *cache->chunks)) {
        free(b.p);
        return;
    }
    cache->chunks = arr;
    Chunk *c = &cache->chunks[cache->n];
    c->name = strdup(name);
    c->src = malloc(len + 1);
    if (!c->name || !c->src) {
        free(c->name);
        free(c->src);
        free(b.p);
        return;
    }
    memcpy(c->src, src, len);
    c->src_len = len;
    c->bin = b.p;
    c->bin_len = b.n;
    cache->n++;
}

int controller_load_chunk(lua_State *L, CityChunkCache *cache, const char *src, size_t len, const char *name)
{
    for (int32_t i = 0; cache && i < cache->n; i++) {
        const Chunk *c = &cache->chunks[i];
        if (c->src_len == len && !strcmp(c->name, name) && !memcmp(c->src, src, len))
            return luaL_loadbufferx(L, c->bin, c->bin_len, name, "b");
    }
    const int rc = luaL_loadbufferx(L, src, len, name, "t");
    if (rc == LUA_OK && cache)
        keep(L, cache, src, len, name);
    return rc;
}
