/* The scenario sandbox: a capped allocator, an instruction budget, and a
 * global table with only base, table, string, math and utf8, where every
 * door out (files, processes, bytecode, native modules) is closed and the
 * sources of run-to-run variation (math.random, pairs order) are replaced
 * with deterministic ones. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lualib.h>

#include "city_lua.h"
#include "city_paths.h"
#include "scenario_internal.h"

#define HOOK_EVERY 1000 /* instructions between budget checks */

/* --- memory cap --- */

void *city_sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    CityScenario *sc = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sc->mem_used -= old;
        return NULL;
    }
    /* Refusing is enough: Lua collects and retries, and only a failure that
     * reaches a protected call (LUA_ERRMEM) aborts the scenario. */
    if (nsize > old && sc->mem_used - old + nsize > sc->mem_limit)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p)
        sc->mem_used = sc->mem_used - old + nsize;
    else
        sc->heap_refused = true; /* the process's own cap (--mem-mb), not the Lua cap */
    return p;
}

/* --- instruction budget --- */

static void where_now(lua_State *L, char *buf, size_t len)
{
    lua_Debug ar;
    buf[0] = '\0';
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(buf, len, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

static void over_budget(lua_State *L, CityScenario *sc)
{
    if (sc->abort == CITY_ABORT_NONE) {
        sc->abort = CITY_ABORT_INSTRUCTIONS;
        where_now(L, sc->abort_where, sizeof sc->abort_where);
    }
    luaL_error(L, "instruction budget exceeded");
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    CityScenario *sc = city_scenario_from_state(L);
    sc->instr_used += HOOK_EVERY;
    if (sc->instr_used > sc->instr_limit || sc->abort == CITY_ABORT_INSTRUCTIONS)
        over_budget(L, sc);
}

void city_sandbox_charge(lua_State *L, uint64_t instructions)
{
    CityScenario *sc = city_scenario_from_state(L);
    sc->instr_used += instructions;
    if (sc->instr_used > sc->instr_limit || sc->abort == CITY_ABORT_INSTRUCTIONS)
        over_budget(L, sc);
}

void city_sandbox_new_budget(CityScenario *sc)
{
    sc->instr_used = 0;
}

/* An abort (budget, memory) cannot be caught by the script: pcall and
 * xpcall pass every error through once an abort is set. */
static int sandbox_pcall(lua_State *L)
{
    CityScenario *sc = city_scenario_from_state(L);
    luaL_checkany(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (status == LUA_ERRMEM)
        sc->abort = CITY_ABORT_MEMORY;
    if (status != LUA_OK) {
        if (sc->abort != CITY_ABORT_NONE)
            return lua_error(L);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    return lua_gettop(L);
}

static int xpcall_handler(lua_State *L)
{
    CityScenario *sc = city_scenario_from_state(L);
    if (sc->abort != CITY_ABORT_NONE)
        return 1; /* keep the error as it is; the caller rethrows */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int sandbox_xpcall(lua_State *L)
{
    CityScenario *sc = city_scenario_from_state(L);
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, xpcall_handler, 1);
    lua_replace(L, 2); /* f, handler, args... */
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 1); /* f, handler, f, args... */
    int status = lua_pcall(L, n - 2, LUA_MULTRET, 2);
    if (status == LUA_ERRMEM)
        sc->abort = CITY_ABORT_MEMORY;
    if (status != LUA_OK) {
        if (sc->abort != CITY_ABORT_NONE)
            return lua_error(L);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_replace(L, 2); /* f, true, results... */
    return lua_gettop(L) - 1;
}

static int sandbox_tostring(lua_State *L);

static int traceback_handler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        lua_pushcfunction(L, sandbox_tostring);
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
        msg = lua_tostring(L, -1);
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Copies the script's error, or the abort reason, into the caller's buffer
 * as one clear line (plus a traceback for script errors). */
static CityStatus report_error(CityScenario *sc, const char *msg)
{
    char line[2 * CITY_ERROR_MAX];
    CityStatus st = CITY_ERR_SCRIPT;
    if (sc->abort == CITY_ABORT_INSTRUCTIONS) {
        snprintf(line, sizeof line,
                 "%.600s: scenario stopped: the instruction budget held: it ran more than %llu Lua instructions "
                 "in one step (an endless loop, a callback that re-arms itself, a backtracking string pattern?); "
                 "fix it, or raise the budget with --lua-instructions N",
                 sc->abort_where[0] ? sc->abort_where : sc->name, (unsigned long long)sc->instr_limit);
        st = CITY_ERR_LIMIT;
    } else if (sc->abort == CITY_ABORT_MEMORY && sc->heap_refused) {
        where_now(sc->L, sc->abort_where, sizeof sc->abort_where);
        snprintf(line, sizeof line,
                 "%.600s: scenario stopped: the run's memory cap held with the Lua heap at %zu MiB; "
                 "build less data, or raise the cap with --mem-mb N",
                 sc->abort_where[0] ? sc->abort_where : sc->name, sc->mem_used >> 20);
        st = CITY_ERR_LIMIT;
    } else if (sc->abort == CITY_ABORT_MEMORY) {
        where_now(sc->L, sc->abort_where, sizeof sc->abort_where);
        snprintf(line, sizeof line,
                 "%.600s: scenario stopped: the memory cap held: its Lua memory reached the limit of %zu MiB; "
                 "build less data in Lua, or raise the limit with --lua-mem-mb N",
                 sc->path[0] ? sc->path : sc->name, sc->mem_limit >> 20);
        st = CITY_ERR_LIMIT;
    } else {
        snprintf(line, sizeof line, "%s", msg ? msg : "unknown error in scenario");
    }
    city_world_fail(sc->world, st, "%s", line);
    return st;
}

CityStatus city_sandbox_call(CityScenario *sc, int nargs, int nresults)
{
    lua_State *L = sc->L;
    if (sc->abort != CITY_ABORT_NONE) {
        lua_pop(L, nargs + 1);
        return report_error(sc, NULL);
    }
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    if (status == LUA_ERRMEM)
        sc->abort = CITY_ABORT_MEMORY;
    if (status == LUA_OK)
        return CITY_OK;
    CityStatus st = report_error(sc, lua_tostring(L, -1));
    lua_pop(L, 1);
    return st;
}

/* --- deterministic pairs --- */

static int key_rank(int type)
{
    switch (type) {
    case LUA_TNUMBER:
        return 0;
    case LUA_TSTRING:
        return 1;
    case LUA_TBOOLEAN:
        return 2;
    default:
        return 3;
    }
}

typedef struct SortKey {
    int rank;         /* numbers, strings, booleans, then the rest */
    bool is_int;      /* an integer key: compared as one (doubles lose them past 2^53) */
    lua_Integer inum; /* integer key */
    double num;       /* numeric key or boolean as 0/1 */
    const char *str;  /* string key (kept alive by the key table) */
    size_t len;       /* string length */
    int pos;          /* position in first-seen order (final tie-break) */
} SortKey;

static int compare_keys(const void *pa, const void *pb)
{
    const SortKey *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->rank == 1) {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->str, b->str, n);
        if (c)
            return c;
        if (a->len != b->len)
            return a->len < b->len ? -1 : 1;
    } else if (a->rank == 0 && a->is_int && b->is_int) {
        if (a->inum != b->inum)
            return a->inum < b->inum ? -1 : 1;
    } else if (a->rank != 3 && a->num != b->num) {
        return a->num < b->num ? -1 : 1;
    }
    return a->pos - b->pos;
}

int city_lua_sorted_keys(lua_State *L, int t)
{
    t = lua_absindex(L, t);
    lua_newtable(L); /* the keys in table order */
    const int seen = lua_gettop(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, seen, ++n);
    }
    SortKey *keys = n ? malloc((size_t)n * sizeof *keys) : NULL;
    if (n && !keys) {
        lua_pop(L, 1);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int type = lua_rawgeti(L, seen, i + 1);
        SortKey *k = &keys[i];
        k->rank = key_rank(type);
        k->pos = i + 1;
        k->is_int = type == LUA_TNUMBER && lua_isinteger(L, -1);
        k->inum = k->is_int ? lua_tointeger(L, -1) : 0;
        k->num = type == LUA_TNUMBER ? lua_tonumber(L, -1) : type == LUA_TBOOLEAN ? lua_toboolean(L, -1) : 0;
        k->str = type == LUA_TSTRING ? lua_tolstring(L, -1, &k->len) : NULL;
        lua_pop(L, 1);
    }
    if (n > 1) /* qsort must not get the NULL of an empty table, even for 0 items */
        qsort(keys, (size_t)n, sizeof *keys, compare_keys);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, seen, keys[i].pos);
        lua_rawseti(L, -2, i + 1);
    }
    free(keys);
    lua_remove(L, seen);
    return n;
}

static int sorted_next(lua_State *L)
{
    /* upvalues: 1 the table, 2 the sorted keys, 3 the position */
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3)) + 1;
    for (;; i++) {
        if (lua_rawgeti(L, lua_upvalueindex(2), i) == LUA_TNIL)
            return 0;
        lua_pushvalue(L, -1);
        if (lua_gettable(L, lua_upvalueindex(1)) != LUA_TNIL) {
            lua_pushinteger(L, i);
            lua_replace(L, lua_upvalueindex(3));
            return 2;
        }
        lua_pop(L, 2); /* key removed during the loop: skip it */
    }
}

/* pairs() in a fixed order (city_lua_sorted_keys): Lua's own order changes
 * from run to run, and a city must not. */
static int sandbox_pairs(lua_State *L)
{
    luaL_checkany(L, 1);
    if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    if (city_lua_sorted_keys(L, 1) < 0) /* index 2 */
        return luaL_error(L, "not enough memory");
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sorted_next, 3);
    lua_pushnil(L);
    lua_pushnil(L);
    return 3;
}

/* --- math.random from the world's "lua" stream --- */

static int sandbox_random(lua_State *L)
{
    CityScenario *sc = city_scenario_from_state(L);
    CityRng *rng = city_world_rng(sc->world, "lua");
    if (!rng)
        return luaL_error(L, "not enough memory");
    lua_Integer lo, hi;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, city_rng_uniform(rng));
        return 1;
    case 1:
        lo = 1;
        hi = luaL_checkinteger(L, 1);
        break;
    case 2:
        lo = luaL_checkinteger(L, 1);
        hi = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "math.random takes 0, 1 or 2 arguments");
    }
    luaL_argcheck(L, lo <= hi, lua_gettop(L), "interval is empty");
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    uint64_t r = span == UINT64_MAX ? city_rng_next(rng) : city_rng_below(rng, span + 1);
    lua_pushinteger(L, (lua_Integer)((uint64_t)lo + r));
    return 1;
}

static int sandbox_randomseed(lua_State *L)
{
    return luaL_error(L, "math.randomseed is not available in a scenario: the run's seed decides every "
                         "random number; pass --seed N to citylab instead");
}

/* --- tostring without addresses --- */

/* Tables and functions print as "table: #12", numbered in the order they
 * are first printed: Lua's own "table: 0x55d4..." changes with every run
 * (address-space randomisation), and printed names end up in outputs. */
static int sandbox_tostring(lua_State *L)
{
    luaL_checkany(L, 1);
    int t = lua_type(L, 1);
    bool plain =
        t == LUA_TTABLE || t == LUA_TFUNCTION || t == LUA_TUSERDATA || t == LUA_TTHREAD || t == LUA_TLIGHTUSERDATA;
    /* __name alone would print "NAME: 0x55d4...": only __tostring is used */
    if (!plain || luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL) {
        luaL_tolstring(L, 1, NULL);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "'__tostring' must return a string");
        return 1;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, "city.names");
    lua_pushvalue(L, 1);
    if (lua_rawget(L, -2) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_getfield(L, LUA_REGISTRYINDEX, "city.names.next");
        lua_Integer n = lua_tointeger(L, -1) + 1;
        lua_pop(L, 1);
        lua_pushinteger(L, n);
        lua_setfield(L, LUA_REGISTRYINDEX, "city.names.next");
        lua_pushvalue(L, 1);
        lua_pushinteger(L, n);
        lua_rawset(L, -3);
        lua_pushinteger(L, n);
    }
    lua_pushfstring(L, "%s: #%I", lua_typename(L, t), lua_tointeger(L, -1));
    return 1;
}

/* string.format without %p (an address), and with %s of a table or a
 * function giving its stable name (as tostring does), not its address. */
static int sandbox_format(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    int arg = 1;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == '%')
            continue;
        while (*p && strchr("-+ #0123456789.", *p))
            p++;
        if (*p == 'p')
            return luaL_error(L, "string.format: '%%p' prints a memory address, which changes from run to run; "
                                 "use tostring(x) instead");
        if (!*p)
            break;
        arg++;
        if (*p == 's' && arg <= lua_gettop(L) && !lua_isstring(L, arg)) {
            lua_pushcfunction(L, sandbox_tostring);
            lua_pushvalue(L, arg);
            lua_call(L, 1, 1);
            lua_replace(L, arg);
        }
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* --- no finalizers: the instruction hook is off while they run --- */

static int sandbox_setmetatable(lua_State *L)
{
    if (lua_istable(L, 2)) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: '__gc' finalizers are not allowed in a scenario (they run outside "
                                 "the instruction budget); release resources explicitly instead");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* --- print goes to stderr, never into outputs --- */

static int sandbox_print(lua_State *L)
{
    CityScenario *sc = city_scenario_from_state(L);
    int n = lua_gettop(L);
    fprintf(stderr, "[%s %.1fs]", sc->name, city_world_time_s(sc->world));
    for (int i = 1; i <= n; i++) {
        lua_pushcfunction(L, sandbox_tostring);
        lua_pushvalue(L, i);
        lua_call(L, 1, 1);
        fprintf(stderr, " %s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    fputc('\n', stderr);
    return 0;
}

/* --- load: text only, sandbox globals --- */

static int sandbox_load(lua_State *L)
{
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (!s)
        return luaL_error(L, "load: only strings of Lua source are accepted in a scenario (no reader functions)");
    const char *chunkname = luaL_optstring(L, 2, "=(load)");
    const char *mode = luaL_optstring(L, 3, "t");
    if (strcmp(mode, "t") != 0) {
        lua_pushnil(L);
        lua_pushstring(L, "load: binary chunks are not allowed in a scenario (mode must be \"t\")");
        return 2;
    }
    int env = !lua_isnone(L, 4) ? 4 : 0;
    if (luaL_loadbufferx(L, s, len, chunkname, "t") != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    if (env) {
        lua_pushvalue(L, env);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

/* --- require: scenario folder and scenarios/lib only --- */

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int city_sandbox_loadfile(lua_State *L, const char *path, const char *chunkname)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        lua_pushfstring(L, "cannot open %s", path);
        return LUA_ERRFILE;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        luaL_addlstring(&b, tmp, n);
    fclose(f);
    luaL_pushresult(&b);
    size_t len;
    const char *src = lua_tolstring(L, -1, &len);
    if (len > 0 && src[0] == 0x1b) { /* LUA_SIGNATURE */
        lua_pop(L, 1);
        lua_pushfstring(L, "%s: is a precompiled (binary) chunk; scenarios must be Lua source", path);
        return LUA_ERRSYNTAX;
    }
    int st = luaL_loadbufferx(L, src, len, chunkname, "t");
    lua_remove(L, -2);
    return st;
}

static int sandbox_require(lua_State *L)
{
    CityScenario *sc = city_scenario_from_state(L);
    const char *name = luaL_checkstring(L, 1);
    bool ok = name[0] != '\0' && name[0] != '.';
    for (const char *p = name; *p && ok; p++)
        ok = isalnum((unsigned char)*p) || *p == '_' || (*p == '.' && p[1] != '.' && p[1] != '\0');
    if (!ok)
        return luaL_error(L,
                          "require '%s': module names are words separated by dots (like 'lib.signals'); "
                          "paths are not allowed",
                          name);
    lua_getfield(L, LUA_REGISTRYINDEX, "city.loaded");
    if (lua_getfield(L, -1, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);

    char rel[PATH_MAX], path[PATH_MAX];
    snprintf(rel, sizeof rel, "%s.lua", name);
    for (char *p = rel; p < rel + strlen(rel) - 4; p++)
        if (*p == '.')
            *p = '/';
    const char *roots[2] = {sc->dir[0] ? sc->dir : NULL, NULL};
    char lib[PATH_MAX];
    snprintf(lib, sizeof lib, "%s/scenarios/lib", city_data_dir());
    roots[1] = lib;
    const char *found = NULL;
    for (int i = 0; i < 2 && !found; i++) {
        if (!roots[i])
            continue;
        snprintf(path, sizeof path, "%s/%s", roots[i], rel);
        if (file_exists(path))
            found = path;
    }
    if (!found)
        return luaL_error(L, "require '%s': no file %s in the scenario's folder or in scenarios/lib", name, rel);
    char chunkname[PATH_MAX + 1];
    snprintf(chunkname, sizeof chunkname, "@%s", found);
    if (city_sandbox_loadfile(L, found, chunkname) != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
}

/* --- assembling the sandbox --- */

static void open_lib(lua_State *L, const char *name, lua_CFunction fn)
{
    luaL_requiref(L, name, fn, 1);
    lua_pop(L, 1);
}

static void remove_field(lua_State *L, const char *table, const char *field)
{
    lua_getglobal(L, table);
    lua_pushnil(L);
    lua_setfield(L, -2, field);
    lua_pop(L, 1);
}

void city_sandbox_open(CityScenario *sc)
{
    lua_State *L = sc->L;
    open_lib(L, LUA_GNAME, luaopen_base);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);
    /* luaL_requiref leaves a package.loaded-like table in the registry;
     * it is not reachable from the script. */

    static const char *const removed[] = {"dofile", "loadfile", "collectgarbage", "rawequal", NULL};
    for (int i = 0; removed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    remove_field(L, LUA_STRLIBNAME, "dump"); /* makes bytecode */

    lua_pushcfunction(L, sandbox_pcall);
    lua_setglobal(L, "pcall");
    lua_pushcfunction(L, sandbox_xpcall);
    lua_setglobal(L, "xpcall");
    lua_pushcfunction(L, sandbox_pairs);
    lua_setglobal(L, "pairs");
    lua_pushcfunction(L, sandbox_print);
    lua_setglobal(L, "print");
    lua_pushcfunction(L, sandbox_load);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, sandbox_tostring);
    lua_setglobal(L, "tostring");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, sandbox_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    city_sandbox_open_patterns(L);
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_getfield(L, -1, "format");
    lua_pushcclosure(L, sandbox_format, 1);
    lua_setfield(L, -2, "format");
    lua_pop(L, 1);
    lua_newtable(L); /* weak-keyed: numbering must not keep values alive */
    lua_newtable(L);
    lua_pushstring(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, "city.names");
    lua_pushcfunction(L, sandbox_require);
    lua_setglobal(L, "require");
    lua_getglobal(L, LUA_MATHLIBNAME);
    lua_pushcfunction(L, sandbox_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, sandbox_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "city.loaded");

    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
}
