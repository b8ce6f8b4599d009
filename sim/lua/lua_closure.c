/* Callbacks made during the run, in checkpoints (see lua_state.c). */
#include <limits.h>
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
 * restore loads it only when it is, byte for byte, a function of the
 * scenario file compiled afresh. */

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

static bool contains(const char *hay, size_t hn, const char *needle, size_t nn)
{
    for (size_t i = 0; nn <= hn && i <= hn - nn; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nn) == 0)
            return true;
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
static bool load_closure(Walk *w, size_t k, const DumpBuf *src, const char *bytes, size_t len)
{
    lua_State *L = w->L;
    bool ours =
        len > LUA54_HEADER + 1 && src->n > LUA54_HEADER && memcmp(bytes, src->p, LUA54_HEADER) == 0 &&
        contains(src->p + LUA54_HEADER, src->n - LUA54_HEADER, bytes + LUA54_HEADER + 1, len - LUA54_HEADER - 1);
    if (!ours)
        return lua_walk_fail(w, "a pending callback in the checkpoint is not a function of the scenario file; was it "
                                "edited?");
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
    if (n > 0 && !w->in->bad && !source_dump(w, &src))
        lua_walk_fail(w, "cannot compile the scenario file again to check the pending callbacks");
    for (uint64_t k = 0; k < n && !w->in->bad; k++) {
        uint64_t idx = city_state_get_u64(w->in);
        size_t len;
        char *bytes = city_state_get_alloc(w->in, &len, 1);
        if (!w->in->bad &&
            (idx >= sc->n_callbacks || !sc->callbacks[idx].live || sc->callbacks[idx].fn_ref != LUA_NOREF))
            lua_walk_fail(w, "damaged pending callback in the checkpoint");
        if (!w->in->bad && load_closure(w, (size_t)k, &src, bytes, len))
            sc->callbacks[idx].fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        free(bytes);
    }
    free(src.p);
}
