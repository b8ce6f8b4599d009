/* Callbacks made during the run, in checkpoints (see lua_state.c). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_array.h"
#include "lua_state_internal.h"

/* ---- callbacks made during the run ----------------------------------------
 * A closure made inside a callback (a city.at that unplugs an EV later,
 * say) does not exist after the top level reruns. Its function is written
 * as Lua bytecode without debug information, and its captured locals like
 * any other: joined with the locals of functions already written, or by
 * value. Bytecode from a file would be a way out of the sandbox, so a
 * restore loads it only when it is, byte for byte, a whole function of
 * the scenario file compiled afresh (see is_prototype_of). */

#define LUA54_HEADER 31 /* signature, version, format, LUAC_DATA, three sizes, LUAC_INT, LUAC_NUM */

typedef struct DumpBuf {
    char *p; /* bytes (owned) */
    size_t n, cap;
    bool oom;
} DumpBuf;

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    DumpBuf *d = ud;
    if (d->oom || !city_grow((void **)&d->p, &d->cap, d->n + sz, 1)) {
        d->oom = true;
        return 1;
    }
    memcpy(d->p + d->n, p, sz);
    d->n += sz;
    return 0;
}

/* ---- Lua 5.4's dump format (ldump.c), walked over the scenario's own chunk ----
 * A saved closure is lua_dump's output for one function: the header, the
 * function's upvalue count in a byte, then its prototype exactly as it
 * stands inside the dump of the whole file (stripped dumps write no
 * source for any prototype). Lua has no bytecode verifier, so a restore
 * accepts a closure only when that prototype is, byte for byte, one whole
 * prototype of the file compiled afresh: the walk lists where each starts
 * and ends. A slice that starts or ends anywhere else is refused. */

typedef struct ProtoSpan {
    size_t at, len; /* the prototype's bytes in the file's dump */
    size_t n_up;    /* its upvalue count */
} ProtoSpan;

typedef struct DumpWalk {
    const unsigned char *p;
    size_t n, pos;
    bool bad;
    ProtoSpan *spans; /* every prototype, inner ones before the one holding them */
    size_t n_spans, cap_spans;
} DumpWalk;

/* dumpSize: 7 bits a byte, most significant first, the last byte marked. */
static size_t dw_size(DumpWalk *d)
{
    size_t x = 0;
    for (int i = 0; i < 10 && !d->bad && d->pos < d->n; i++) {
        unsigned b = d->p[d->pos++];
        if (x > (SIZE_MAX >> 7))
            break;
        x = (x << 7) | (b & 0x7fu);
        if (b & 0x80u)
            return x;
    }
    d->bad = true;
    return 0;
}

static void dw_skip(DumpWalk *d, size_t k, size_t each)
{
    if (d->bad || (each && k > (d->n - d->pos) / each))
        d->bad = true;
    else
        d->pos += k * each;
}

static void dw_string(DumpWalk *d)
{
    size_t len = dw_size(d); /* 0: NULL, else the length + 1 */
    if (len)
        dw_skip(d, len - 1, 1);
}

static void dw_function(DumpWalk *d, int depth)
{
    const size_t at = d->pos;
    if (depth > 200) {
        d->bad = true;
        return;
    }
    dw_string(d);                                        /* source */
    dw_size(d);                                          /* linedefined */
    dw_size(d);                                          /* lastlinedefined */
    dw_skip(d, 3, 1);                                    /* numparams, is_vararg, maxstacksize */
    dw_skip(d, dw_size(d), 4);                           /* code */
    for (size_t k = dw_size(d); k > 0 && !d->bad; k--) { /* constants: a type tag, then the value */
        if (d->pos >= d->n) {
            d->bad = true;
            break;
        }
        switch (d->p[d->pos++]) {
        case 0x00:
        case 0x01:
        case 0x11: /* nil, false, true */
            break;
        case 0x03:
        case 0x13: /* integer, float */
            dw_skip(d, 8, 1);
            break;
        case 0x04:
        case 0x14: /* short, long string */
            dw_string(d);
            break;
        default:
            d->bad = true;
        }
    }
    const size_t n_up = dw_size(d);
    dw_skip(d, n_up, 3); /* instack, idx, kind */
    for (size_t k = dw_size(d); k > 0 && !d->bad; k--)
        dw_function(d, depth + 1);
    dw_skip(d, dw_size(d), 1);                           /* line info */
    for (size_t k = dw_size(d); k > 0 && !d->bad; k--) { /* absolute line info */
        dw_size(d);
        dw_size(d);
    }
    for (size_t k = dw_size(d); k > 0 && !d->bad; k--) { /* local names */
        dw_string(d);
        dw_size(d);
        dw_size(d);
    }
    for (size_t k = dw_size(d); k > 0 && !d->bad; k--) /* upvalue names */
        dw_string(d);
    if (d->bad)
        return;
    if (!city_grow((void **)&d->spans, &d->cap_spans, d->n_spans + 1, sizeof *d->spans)) {
        d->bad = true;
        return;
    }
    d->spans[d->n_spans++] = (ProtoSpan){at, d->pos - at, n_up};
}

/* Lists the prototypes of a whole dump; false (nothing listed) when the
 * walk does not end exactly at the dump's end. */
static bool dump_spans(const char *dump, size_t n, DumpWalk *d)
{
    *d = (DumpWalk){(const unsigned char *)dump, n, LUA54_HEADER + 1, n <= LUA54_HEADER + 1, NULL, 0, 0};
    if (!d->bad)
        dw_function(d, 0);
    if (d->bad || d->pos != d->n) {
        free(d->spans);
        d->spans = NULL;
        d->n_spans = 0;
        return false;
    }
    return true;
}

/* Whether saved closure bytes are the header of the file's dump, one
 * prototype's upvalue count and that whole prototype. */
static bool is_prototype_of(const DumpBuf *src, const DumpWalk *protos, const char *bytes, size_t len)
{
    if (len <= LUA54_HEADER + 1 || memcmp(bytes, src->p, LUA54_HEADER) != 0)
        return false;
    const size_t body = len - LUA54_HEADER - 1;
    for (size_t i = 0; i < protos->n_spans; i++) {
        const ProtoSpan *s = &protos->spans[i];
        if (s->len == body && s->n_up <= 255 && (unsigned char)bytes[LUA54_HEADER] == s->n_up &&
            memcmp(src->p + s->at, bytes + LUA54_HEADER + 1, body) == 0)
            return true;
    }
    return false;
}

/* The scenario file compiled again and dumped without debug information:
 * every function it defines is in it. */
static bool source_dump(Walk *w, DumpBuf *d)
{
    lua_State *L = w->L;
    char chunk[PATH_MAX + 1];
    snprintf(chunk, sizeof chunk, "@%s", w->sc->path);
    if (!w->sc->path[0] || city_sandbox_loadfile(L, w->sc->path, chunk) != LUA_OK) {
        lua_pop(L, 1);
        return false;
    }
    bool ok = lua_dump(L, dump_writer, d, 1) == 0 && !d->oom;
    lua_pop(L, 1);
    return ok;
}

static void save_closure(Walk *w, size_t k, size_t idx)
{
    lua_State *L = w->L;
    city_state_put_u64(w->out, idx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, w->sc->callbacks[idx].fn_ref);
    int f = lua_gettop(L);
    lua_Debug ar;
    lua_pushvalue(L, f);
    lua_getinfo(L, ">S", &ar);
    snprintf(w->where_buf, sizeof w->where_buf, "the pending callback defined at %s:%d", ar.short_src, ar.linedefined);
    w->where = w->where_buf;
    DumpBuf d = {0};
    if (lua_iscfunction(L, f) || lua_dump(L, dump_writer, &d, 1) != 0 || d.oom) {
        free(d.p);
        lua_walk_fail(w, "cannot be written as Lua bytecode");
        lua_pop(L, 1);
        return;
    }
    city_state_put_array(w->out, d.p, d.n, 1);
    free(d.p);
    int n = 0;
    while (lua_getupvalue(L, f, n + 1)) {
        n++;
        lua_pop(L, 1);
    }
    city_state_put_u32(w->out, (uint32_t)n);
    for (int j = 1; j <= n && !w->failed; j++) {
        lua_getupvalue(L, f, j);
        lua_pushlightuserdata(L, lua_upvalueid(L, f, j));
        if (lua_rawget(L, w->cells) == LUA_TNUMBER) { /* shared with a function already written */
            city_state_put_u8(w->out, 2);
            city_state_put_i64(w->out, lua_tointeger(L, -1));
            lua_pop(L, 2);
            continue;
        }
        lua_pop(L, 1);
        lua_pushlightuserdata(L, lua_upvalueid(L, f, j));
        lua_pushinteger(L, -(lua_Integer)((k + 1) * 1024 + (size_t)j));
        lua_rawset(L, w->cells);
        city_state_put_u8(w->out, 1);
        lua_walk_save_value(w, lua_gettop(L));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

void lua_walk_save_closures(Walk *w)
{
    city_state_put_u64(w->out, w->n_runtime);
    for (size_t k = 0; k < w->n_runtime && !w->failed; k++)
        save_closure(w, k, w->runtime[k]);
}

/* Loads one verified closure and joins or fills its upvalues; pushes it. */
static bool load_closure(Walk *w, size_t k, const DumpBuf *src, const DumpWalk *protos, const char *bytes, size_t len)
{
    lua_State *L = w->L;
    if (!is_prototype_of(src, protos, bytes, len))
        return lua_walk_fail(w, "a pending callback in the checkpoint is not a whole function of the scenario file; "
                                "was the file edited, or the checkpoint?");
    if (luaL_loadbufferx(L, bytes, len, "=checkpoint", "b") != LUA_OK) {
        lua_pop(L, 1);
        return lua_walk_fail(w, "a pending callback in the checkpoint does not load");
    }
    int f = lua_gettop(L), n = 0;
    lua_pushvalue(L, f);
    lua_rawseti(L, w->made, (lua_Integer)k + 1);
    while (lua_getupvalue(L, f, n + 1)) {
        n++;
        lua_pop(L, 1);
    }
    if ((int)city_state_get_u32(w->in) != n)
        return lua_walk_fail(w, "damaged pending callback in the checkpoint");
    for (int j = 1; j <= n && !w->in->bad; j++) {
        if (city_state_get_u8(w->in) == 2) {
            lua_Integer ref = city_state_get_i64(w->in), r = ref < 0 ? -ref : ref;
            lua_rawgeti(L, ref < 0 ? w->made : w->funcs, r / 1024);
            if (lua_type(L, -1) != LUA_TFUNCTION || lua_iscfunction(L, -1) || r % 1024 < 1 ||
                !lua_getupvalue(L, -1, (int)(r % 1024))) {
                lua_pop(L, 1);
                return lua_walk_fail(w, "damaged pending callback in the checkpoint");
            }
            lua_pop(L, 1);
            lua_upvaluejoin(L, f, j, lua_gettop(L), (int)(r % 1024));
            lua_pop(L, 1);
        } else {
            lua_walk_load_value(w, 0);
            lua_setupvalue(L, f, j);
        }
    }
    return !w->in->bad;
}

void lua_walk_load_closures(Walk *w)
{
    CityScenario *sc = w->sc;
    lua_State *L = w->L;
    uint64_t n = city_state_get_u64(w->in);
    DumpBuf src = {0};
    DumpWalk protos = {0};
    if (n > 0 && !w->in->bad && (!source_dump(w, &src) || !dump_spans(src.p, src.n, &protos)))
        lua_walk_fail(w, "cannot compile the scenario file again to check the pending callbacks");
    for (uint64_t k = 0; k < n && !w->in->bad; k++) {
        uint64_t idx = city_state_get_u64(w->in);
        size_t len;
        char *bytes = city_state_get_alloc(w->in, &len, 1);
        if (!w->in->bad &&
            (idx >= sc->n_callbacks || !sc->callbacks[idx].live || sc->callbacks[idx].fn_ref != LUA_NOREF))
            lua_walk_fail(w, "damaged pending callback in the checkpoint");
        if (!w->in->bad && load_closure(w, (size_t)k, &src, &protos, bytes, len))
            sc->callbacks[idx].fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        free(bytes);
    }
    free(protos.spans);
    free(src.p);
}
