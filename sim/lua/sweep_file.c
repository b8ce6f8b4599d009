/* Reading a sweep file: the file runs in a Lua state of its own with only
 * base (no files, no load), string, table and math (no math.random: the
 * sweep's seed draws every sample), under a memory and instruction cap,
 * and returns a table that is checked and expanded into runs here. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "city_array.h"
#include "city_lua.h"
#include "city_rng.h"
#include "city_sweep.h"
#include "city_text.h"

#define SWEEP_MEM_LIMIT (64u << 20)    /* bytes of Lua heap for a sweep file */
#define SWEEP_INSTR_LIMIT 100000000ull /* VM instructions for a sweep file */
#define SWEEP_MAX_RUNS 10000000ull     /* runs in one sweep */

/* One column of the design: a name and its values (a list for the full
 * factorial part, the samples for the Latin hypercube part). */
typedef struct Column {
    const char *name; /* borrowed from the Lua state during the load */
    size_t n;         /* values */
    char **vals;      /* owned texts */
    bool lhs;         /* a Latin hypercube column (moves with the sample index) */
} Column;

#define SWEEP_MAX_PARAMS 64
#define SWEEP_FILE_MAX_BYTES ((size_t)16 << 20) /* bytes of a sweep file */

typedef struct SweepLoad {
    size_t mem_used;               /* Lua heap bytes */
    uint64_t instr_used;           /* instructions run */
    CitySweep *sweep;              /* being filled */
    const char *path;              /* the file, for messages */
    Column cols[SWEEP_MAX_PARAMS]; /* the design's columns, freed after the load */
    size_t n_cols;                 /* columns in use */
    size_t *perm;                  /* Latin hypercube permutation scratch */
} SweepLoad;

static void *sweep_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    SweepLoad *ld = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        ld->mem_used -= old;
        return NULL;
    }
    if (nsize > old && ld->mem_used - old + nsize > SWEEP_MEM_LIMIT)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p)
        ld->mem_used = ld->mem_used - old + nsize;
    return p;
}

static void sweep_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    void *ud;
    lua_getallocf(L, &ud);
    SweepLoad *ld = ud;
    ld->instr_used += 1000;
    if (ld->instr_used > SWEEP_INSTR_LIMIT)
        luaL_error(L, "the sweep file ran more than %I Lua instructions (an endless loop?)",
                   (lua_Integer)SWEEP_INSTR_LIMIT);
}

/* range(from, to [, step]) -> {from, from+step, ..., <= to} */
static int l_range(lua_State *L)
{
    lua_Number a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2), step = luaL_optnumber(L, 3, 1);
    bool ints = lua_isinteger(L, 1) && lua_isinteger(L, 2) && (lua_isnoneornil(L, 3) || lua_isinteger(L, 3));
    lua_Integer istep = lua_isinteger(L, 3) ? lua_tointeger(L, 3) : 1;
    if (!(step > 0) || !isfinite(a) || !isfinite(b) || (b - a) / step > 1e7)
        return luaL_error(L, "range(%f, %f, %f): need finite bounds and a step > 0 giving at most 1e7 values", a, b,
                          step);
    lua_newtable(L);
    /* i * step rather than repeated sums: 0.1 steps do not drift */
    for (lua_Integer i = 0; a + (lua_Number)i * step <= b + 1e-9 * fabs(step); i++) {
        if (ints)
            lua_pushinteger(L, lua_tointeger(L, 1) + i * istep);
        else
            lua_pushnumber(L, a + (lua_Number)i * step);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* The value at the top of the stack as run text: integers plainly, floats
 * in the fewest digits that read back to the same double. */
static char *value_text(lua_State *L, const char *param)
{
    char buf[64];
    switch (lua_type(L, -1)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, -1)) {
            snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, -1));
        } else {
            double d = lua_tonumber(L, -1);
            if (!isfinite(d))
                luaL_error(L, "params.%s: values must be finite numbers", param);
            snprintf(buf, sizeof buf, "%.15g", d);
            if (strtod(buf, NULL) != d)
                snprintf(buf, sizeof buf, "%.17g", d);
        }
        return city_lua_strdup(L, buf);
    case LUA_TBOOLEAN:
        return city_lua_strdup(L, lua_toboolean(L, -1) ? "true" : "false");
    case LUA_TSTRING: {
        const char *s = lua_tostring(L, -1);
        for (const char *p = s; *p; p++)
            if ((unsigned char)*p < 0x20)
                luaL_error(L, "params.%s: value '%s' holds a control character", param, s);
        return city_lua_strdup(L, s);
    }
    default:
        luaL_error(L, "params.%s: values must be numbers, booleans or strings (got %s)", param, luaL_typename(L, -1));
        return NULL;
    }
}

static void check_param_name(lua_State *L, const char *where)
{
    if (lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "%s: keys must be parameter names (strings)", where);
    const char *name = lua_tostring(L, -2);
    bool ok = name[0] != '\0' && strlen(name) < 128;
    for (const char *p = name; *p && ok; p++)
        ok = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.';
    if (!ok)
        luaL_error(L, "%s: parameter name '%s' must be 1-127 letters, digits, '_', '-' or '.'", where, name);
}

static int column_cmp(const void *a, const void *b)
{
    return strcmp(((const Column *)a)->name, ((const Column *)b)->name);
}

/* Collects `params = { name = {values...}, ... }` at stack index idx. */
static void read_lists(lua_State *L, int idx, SweepLoad *ld)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        check_param_name(L, "params");
        const char *name = lua_tostring(L, -2);
        if (lua_type(L, -1) != LUA_TTABLE || luaL_len(L, -1) < 1)
            luaL_error(L, "params.%s: expected a non-empty list of values like {1, 2, 3} or range(1, 3)", name);
        if (ld->n_cols == SWEEP_MAX_PARAMS)
            luaL_error(L, "params: more than %d parameters", SWEEP_MAX_PARAMS);
        Column *c = &ld->cols[ld->n_cols++];
        c->name = name;
        c->n = (size_t)luaL_len(L, -1);
        if (!(c->vals = calloc(c->n, sizeof *c->vals)))
            luaL_error(L, "not enough memory");
        for (size_t i = 0; i < c->n; i++) {
            lua_rawgeti(L, -1, (lua_Integer)i + 1);
            c->vals[i] = value_text(L, name);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
}

/* Latin hypercube: each parameter's range cut into `samples` equal strata,
 * one draw in each, strata shuffled independently per parameter. */
static size_t read_lhs(lua_State *L, int idx, uint64_t seed, SweepLoad *ld)
{
    lua_getfield(L, idx, "samples");
    lua_Integer samples = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
    if (samples < 1 || samples > 1000000)
        luaL_error(L, "lhs.samples: expected a whole number of samples from 1 to 1000000");
    lua_getfield(L, idx, "params");
    if (lua_type(L, -1) != LUA_TTABLE)
        luaL_error(L, "lhs.params: expected a table like { rate = {600, 1200} } (name = {low, high})");
    int ptab = lua_gettop(L);
    size_t first = ld->n_cols;
    lua_pushnil(L);
    while (lua_next(L, ptab)) {
        check_param_name(L, "lhs.params");
        if (ld->n_cols == SWEEP_MAX_PARAMS)
            luaL_error(L, "lhs.params: more than %d parameters", SWEEP_MAX_PARAMS);
        Column *c = &ld->cols[ld->n_cols++];
        c->name = lua_tostring(L, -2);
        c->lhs = true;
        lua_pop(L, 1);
    }
    if (ld->n_cols == first)
        luaL_error(L, "lhs.params: name at least one parameter, like { rate = {600, 1200} }");
    /* Draw in name order, so the samples do not depend on table order. */
    qsort(ld->cols + first, ld->n_cols - first, sizeof *ld->cols, column_cmp);
    CityRng rng;
    city_rng_seed(&rng, seed, city_rng_stream_id("sweep.lhs"));
    size_t *perm = ld->perm = malloc((size_t)samples * sizeof *perm);
    if (!perm)
        luaL_error(L, "not enough memory");
    for (size_t k = first; k < ld->n_cols; k++) {
        Column *c = &ld->cols[k];
        lua_getfield(L, ptab, c->name);
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        int ok1, ok2;
        double lo = lua_tonumberx(L, -2, &ok1), hi = lua_tonumberx(L, -1, &ok2);
        bool whole = lua_isinteger(L, -2) && lua_isinteger(L, -1);
        lua_pop(L, 3);
        if (!ok1 || !ok2 || !isfinite(lo) || !isfinite(hi) || !(lo < hi))
            luaL_error(L, "lhs.params.%s: expected {low, high} with low < high", c->name);
        c->n = (size_t)samples;
        if (!(c->vals = calloc(c->n, sizeof *c->vals)))
            luaL_error(L, "not enough memory");
        for (size_t i = 0; i < c->n; i++)
            perm[i] = i;
        for (size_t i = c->n; i > 1; i--) {
            size_t j = (size_t)city_rng_below(&rng, i);
            size_t t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        for (size_t i = 0; i < c->n; i++) {
            double u = ((double)perm[i] + city_rng_uniform(&rng)) / (double)samples;
            double v = lo + u * (whole ? hi - lo + 1 : hi - lo); /* whole: every integer lo..hi */
            if (whole)
                lua_pushinteger(L, (lua_Integer)floor(v));
            else
                lua_pushnumber(L, v);
            c->vals[i] = value_text(L, c->name);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 2);
    return (size_t)samples;
}

static void read_seeds(lua_State *L, int idx, CitySweep *sw)
{
    lua_getfield(L, idx, "seeds");
    if (lua_isnil(L, -1)) {
        sw->n_seeds = 1;
    } else if (lua_isinteger(L, -1)) {
        lua_Integer n = lua_tointeger(L, -1);
        if (n < 1 || n > 1000000)
            luaL_error(L, "seeds: a count must be from 1 to 1000000 (seeds 1..N)");
        sw->n_seeds = (size_t)n;
    } else if (lua_istable(L, -1) && luaL_len(L, -1) >= 1) {
        sw->n_seeds = (size_t)luaL_len(L, -1);
    } else {
        luaL_error(L, "seeds: expected a list like {1, 2, 3}, range(1, 10), or a count N (seeds 1..N)");
    }
    if (!(sw->seeds = calloc(sw->n_seeds, sizeof *sw->seeds)))
        luaL_error(L, "not enough memory");
    for (size_t i = 0; i < sw->n_seeds; i++) {
        if (!lua_istable(L, -1)) {
            sw->seeds[i] = lua_isnil(L, -1) ? 1 : i + 1;
            continue;
        }
        lua_rawgeti(L, -1, (lua_Integer)i + 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
            luaL_error(L, "seeds[%d]: expected a whole number >= 0", (int)i + 1);
        sw->seeds[i] = (uint64_t)lua_tointeger(L, -1);
        for (size_t j = 0; j < i; j++)
            if (sw->seeds[j] == sw->seeds[i])
                luaL_error(L, "seeds: %I is listed twice", (lua_Integer)sw->seeds[i]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void check_keys(lua_State *L, int idx)
{
    static const char *const known[] = {"scenario", "params", "lhs",     "seeds", "seed",
                                        "until_s",  "dt_ms",  "restore", NULL};
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        bool ok = false;
        for (int i = 0; known[i] && !ok; i++)
            ok = !strcmp(k, known[i]);
        if (!ok)
            luaL_error(L, "unknown field '%s'; a sweep has scenario, params, lhs, seeds, seed, until_s, dt_ms, restore",
                       k);
        lua_pop(L, 1);
    }
}

static char *abs_path(lua_State *L, const char *path)
{
    char *real = realpath(path, NULL);
    if (!real)
        luaL_error(L, "file not found: %s", path);
    char *copy = city_lua_strdup(L, real);
    free(real);
    return copy;
}

/* The scenario is named relative to the sweep file's folder. */
/* A path named relative to the sweep file's folder, made absolute. */
static char *sweep_relative(lua_State *L, SweepLoad *ld, const char *rel)
{
    const char *slash = strrchr(ld->sweep->path, '/');
    if (rel[0] == '/' || !slash)
        return abs_path(L, rel);
    lua_pushlstring(L, ld->sweep->path, (size_t)(slash - ld->sweep->path) + 1);
    lua_pushstring(L, rel);
    lua_concat(L, 2);
    char *p = abs_path(L, lua_tostring(L, -1));
    lua_pop(L, 1);
    return p;
}

static void read_scenario(lua_State *L, int idx, SweepLoad *ld)
{
    lua_getfield(L, idx, "restore");
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "restore: expected a checkpoint file (citylab run --save-state FILE --at S)");
        ld->sweep->restore = sweep_relative(L, ld, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    lua_getfield(L, idx, "scenario");
    if (lua_isnil(L, -1) && ld->sweep->restore) {
        lua_pop(L, 1);
        return;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L,
                   "scenario: expected the scenario file, like scenario = \"ring.lua\" (relative to the sweep file)");
    const char *rel = lua_tostring(L, -1);
    const char *slash = strrchr(ld->sweep->path, '/');
    if (rel[0] == '/' || !slash) {
        ld->sweep->scenario = abs_path(L, rel);
    } else {
        lua_pushlstring(L, ld->sweep->path, (size_t)(slash - ld->sweep->path) + 1);
        lua_pushvalue(L, -2);
        lua_concat(L, 2);
        ld->sweep->scenario = abs_path(L, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void read_options(lua_State *L, int idx, CitySweep *sw)
{
    lua_getfield(L, idx, "seed");
    if (!lua_isnil(L, -1) && (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0))
        luaL_error(L, "seed: the sweep's own seed (for Latin hypercube samples) must be a whole number >= 0");
    sw->seed = lua_isnil(L, -1) ? 1 : (uint64_t)lua_tointeger(L, -1);
    lua_getfield(L, idx, "until_s");
    if (!lua_isnil(L, -1) && !(lua_isnumber(L, -1) && lua_tonumber(L, -1) >= 0 && lua_tonumber(L, -1) <= 1e9))
        luaL_error(L, "until_s: expected seconds from 0 to 1e9");
    sw->until_s = lua_isnil(L, -1) ? -1 : lua_tonumber(L, -1);
    lua_getfield(L, idx, "dt_ms");
    if (!lua_isnil(L, -1) && !(lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= 3600000))
        luaL_error(L, "dt_ms: expected whole milliseconds from 1 to 3600000");
    sw->dt_ms = lua_isnil(L, -1) ? 0 : (int32_t)lua_tointeger(L, -1);
    lua_pop(L, 3);
}

/* Fills the point matrix: list columns vary as a full factorial (the first
 * name slowest), crossed with the Latin hypercube samples (which move
 * together); columns are then stored in name order. */
static void expand(lua_State *L, SweepLoad *ld, size_t samples)
{
    CitySweep *sw = ld->sweep;
    size_t n = ld->n_cols, points = samples;
    qsort(ld->cols, n, sizeof *ld->cols, column_cmp);
    for (size_t k = 1; k < n; k++)
        if (!strcmp(ld->cols[k].name, ld->cols[k - 1].name))
            luaL_error(L, "parameter '%s' is in both params and lhs.params; name it once", ld->cols[k].name);
    for (size_t k = 0; k < n; k++) {
        if (ld->cols[k].lhs)
            continue;
        if ((double)points * (double)ld->cols[k].n * (double)sw->n_seeds > (double)SWEEP_MAX_RUNS)
            luaL_error(L, "the sweep has more than %I runs; split it", (lua_Integer)SWEEP_MAX_RUNS);
        points *= ld->cols[k].n;
    }
    if ((double)points * (double)sw->n_seeds > (double)SWEEP_MAX_RUNS)
        luaL_error(L, "the sweep has more than %I runs; split it", (lua_Integer)SWEEP_MAX_RUNS);
    sw->n_params = n;
    sw->n_points = points;
    if (!(sw->param_names = calloc(n ? n : 1, sizeof *sw->param_names)) ||
        !(sw->values = calloc(points * (n ? n : 1), sizeof *sw->values)))
        luaL_error(L, "not enough memory");
    for (size_t k = 0; k < n; k++)
        sw->param_names[k] = city_lua_strdup(L, ld->cols[k].name);
    for (size_t p = 0; p < points; p++) {
        size_t rest = p / samples, sample = p % samples;
        for (size_t k = n; k-- > 0;) {
            const Column *c = &ld->cols[k];
            size_t i = sample;
            if (!c->lhs) {
                i = rest % c->n;
                rest /= c->n;
            }
            sw->values[p * n + k] = city_lua_strdup(L, c->vals[i]);
        }
    }
}

/* Runs in protected mode: the loaded chunk is at index 1. */
static int load_protected(lua_State *L)
{
    SweepLoad *ld = lua_touserdata(L, 2);
    lua_settop(L, 1);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "a sweep file must return a table: return { scenario = \"x.lua\", params = {...}, "
                             "seeds = 4 }");
    int t = lua_gettop(L);
    CitySweep *sw = ld->sweep;
    check_keys(L, t);
    read_scenario(L, t, ld);
    read_options(L, t, sw);
    read_seeds(L, t, sw);
    lua_getfield(L, t, "params");
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1))
            luaL_error(L, "params: expected a table like { rate = {600, 900}, speed = range(10, 14, 2) }");
        read_lists(L, lua_gettop(L), ld);
    }
    size_t samples = 1;
    lua_getfield(L, t, "lhs");
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1))
            luaL_error(L, "lhs: expected { samples = N, params = { name = {low, high} } }");
        samples = read_lhs(L, lua_gettop(L), sw->seed, ld);
    }
    expand(L, ld, samples);
    if (sw->restore && (sw->n_params > 0 || sw->dt_ms > 0))
        luaL_error(L, "restore: runs forked from a checkpoint continue its scenario, parameters and dt; vary only "
                      "the seeds (drop params, lhs and dt_ms)");
    return 0;
}

static lua_State *open_state(SweepLoad *ld)
{
    lua_State *L = lua_newstate(sweep_alloc, ld);
    if (!L)
        return NULL;
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    lua_pop(L, 4);
    static const char *const removed[] = {"dofile", "loadfile", "load", "require", "collectgarbage", "print", NULL};
    for (int i = 0; removed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    lua_getglobal(L, LUA_MATHLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "random");
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_register(L, "range", l_range);
    lua_sethook(L, sweep_hook, LUA_MASKCOUNT, 1000);
    return L;
}

static CityStatus read_source(const char *path, char **src, size_t *len, CityError *err)
{
    *src = city_file_read(path, SWEEP_FILE_MAX_BYTES, len);
    if (*src)
        return CITY_OK;
    if (errno == EFBIG)
        return city_error_set(err, CITY_ERR_INVALID, "%s: the sweep file is too large (over 16 MiB)", path);
    return city_error_set(err, CITY_ERR_INVALID, "%s: cannot open the sweep file; check the path", path);
}

CityStatus city_sweep_load(const char *path, CitySweep **out, CityError *err)
{
    *out = NULL;
    char *src;
    size_t len;
    CityStatus st = read_source(path, &src, &len, err);
    if (st != CITY_OK)
        return st;
    SweepLoad ld = {0};
    CitySweep *sw = ld.sweep = calloc(1, sizeof *sw);
    char *real = realpath(path, NULL);
    lua_State *L = sw && real ? open_state(&ld) : NULL;
    if (!L) {
        free(real);
        free(src);
        free(sw);
        city_error_set(err, CITY_ERR_NOMEM, "out of memory");
        return CITY_ERR_NOMEM;
    }
    sw->path = real;
    const char *base = strrchr(path, '/');
    sw->name = city_strdup(base ? base + 1 : path);
    char *dot = sw->name ? strrchr(sw->name, '.') : NULL;
    if (dot && !strcmp(dot, ".lua"))
        *dot = '\0';
    char chunk[600];
    snprintf(chunk, sizeof chunk, "@%s", path);
    int rc = len > 0 && src[0] == 0x1b ? LUA_ERRSYNTAX : luaL_loadbufferx(L, src, len, chunk, "t");
    free(src);
    if (rc == LUA_OK) {
        lua_pushcfunction(L, load_protected);
        lua_insert(L, -2);
        lua_pushlightuserdata(L, &ld);
        rc = lua_pcall(L, 2, 0, 0);
    }
    if (rc != LUA_OK) {
        const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "not Lua source text";
        st = rc == LUA_ERRMEM ? CITY_ERR_LIMIT : CITY_ERR_INVALID;
        if (strncmp(msg, path, strlen(path)) == 0)
            city_error_set(err, st, "%s", msg);
        else
            city_error_set(err, st, "%s: %s", path, msg);
    }
    for (size_t k = 0; k < ld.n_cols; k++) {
        for (size_t i = 0; ld.cols[k].vals && i < ld.cols[k].n; i++)
            free(ld.cols[k].vals[i]);
        free(ld.cols[k].vals);
    }
    free(ld.perm);
    lua_close(L);
    if (st != CITY_OK || !sw->name) {
        city_sweep_free(sw);
        return st != CITY_OK ? st : CITY_ERR_NOMEM;
    }
    *out = sw;
    return CITY_OK;
}

void city_sweep_free(CitySweep *sw)
{
    if (!sw)
        return;
    for (size_t i = 0; sw->values && i < sw->n_points * sw->n_params; i++)
        free(sw->values[i]);
    for (size_t k = 0; sw->param_names && k < sw->n_params; k++)
        free(sw->param_names[k]);
    free(sw->values);
    free(sw->param_names);
    free(sw->seeds);
    free(sw->scenario);
    free(sw->restore);
    free(sw->path);
    free(sw->name);
    free(sw);
}

size_t city_sweep_run_count(const CitySweep *sw)
{
    return sw->n_points * sw->n_seeds;
}

void city_sweep_run_id(const CitySweep *sw, size_t run, char *buf, size_t len)
{
    snprintf(buf, len, "p%04zu-s%llu", run / sw->n_seeds, (unsigned long long)sw->seeds[run % sw->n_seeds]);
}

const char *city_sweep_value(const CitySweep *sw, size_t point, size_t p)
{
    return sw->values[point * sw->n_params + p];
}
