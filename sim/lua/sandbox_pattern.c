/* Lua patterns under the instruction budget. Lua's own string.find, match,
 * gmatch and gsub backtrack in C, where the instruction hook never runs: a
 * pattern like ".-.-.-b" on a long subject takes hours. These replacements
 * match the same language (classes, sets, quantifiers, captures, %b, %f,
 * back-references, anchors) and charge every matching step to the step's
 * budget, so a hostile pattern ends like an endless loop does. The other
 * string and table functions that loop in C on a count the script gives
 * (string.rep, table.move, table.concat) are charged up front. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#include "scenario_internal.h"

#define ESC '%'
#define SPECIALS "^$*+?.([%-"
#define MAX_CAPTURES 32 /* LUA_MAXCAPTURES */
#define MAX_DEPTH 200   /* nested matches before "pattern too complex" */
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define CHARGE_EVERY 1024 /* steps between charges to the budget */

typedef struct Matcher {
    const char *src, *src_end; /* subject */
    const char *pat_end;       /* end of the pattern */
    lua_State *L;
    int depth; /* nested match calls */
    int level; /* captures open or closed */
    struct {
        const char *init;
        ptrdiff_t len; /* or CAP_UNFINISHED / CAP_POSITION */
    } cap[MAX_CAPTURES];
    uint32_t steps; /* not yet charged */
} Matcher;

static void step(Matcher *m)
{
    if (++m->steps >= CHARGE_EVERY) {
        city_sandbox_charge(m->L, m->steps);
        m->steps = 0;
    }
}

static void finish(Matcher *m)
{
    city_sandbox_charge(m->L, m->steps);
    m->steps = 0;
}

static bool class_match(int c, int cl)
{
    bool res;
    switch (tolower(cl)) {
    case 'a':
        res = isalpha(c);
        break;
    case 'c':
        res = iscntrl(c);
        break;
    case 'd':
        res = isdigit(c);
        break;
    case 'g':
        res = isgraph(c);
        break;
    case 'l':
        res = islower(c);
        break;
    case 'p':
        res = ispunct(c);
        break;
    case 's':
        res = isspace(c);
        break;
    case 'u':
        res = isupper(c);
        break;
    case 'w':
        res = isalnum(c);
        break;
    case 'x':
        res = isxdigit(c);
        break;
    case 'z': /* deprecated in Lua, still accepted */
        res = c == 0;
        break;
    default:
        return cl == c;
    }
    return isupper(cl) ? !res : res;
}

/* Is c in the set [..] that starts at p ('[') and ends at close (']')? */
static bool set_match(int c, const char *p, const char *close)
{
    bool want = true;
    if (*(p + 1) == '^') {
        want = false;
        p++;
    }
    while (++p < close) {
        if (*p == ESC) {
            p++;
            if (class_match(c, (unsigned char)*p))
                return want;
        } else if (*(p + 1) == '-' && p + 2 < close) {
            if ((unsigned char)*p <= c && c <= (unsigned char)*(p + 2))
                return want;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return want;
        }
    }
    return !want;
}

/* End of the single-character item at p. */
static const char *item_end(Matcher *m, const char *p)
{
    switch (*p++) {
    case ESC:
        if (p == m->pat_end)
            luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^')
            p++;
        do {
            if (p == m->pat_end)
                luaL_error(m->L, "malformed pattern (missing ']')");
            if (*(p++) == ESC && p < m->pat_end)
                p++;
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

static bool single_match(Matcher *m, const char *s, const char *p, const char *ep)
{
    if (s >= m->src_end)
        return false;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.':
        return true;
    case ESC:
        return class_match(c, (unsigned char)*(p + 1));
    case '[':
        return set_match(c, p, ep - 1);
    default:
        return (unsigned char)*p == c;
    }
}

static const char *match(Matcher *m, const char *s, const char *p);

static const char *match_balance(Matcher *m, const char *s, const char *p)
{
    if (p >= m->pat_end - 1)
        luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->src_end || *s != *p)
        return NULL;
    int open = *p, close = *(p + 1), depth = 1;
    while (++s < m->src_end) {
        step(m);
        if (*s == close) {
            if (--depth == 0)
                return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

static const char *max_expand(Matcher *m, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (single_match(m, s + i, p, ep)) {
        step(m);
        i++;
    }
    for (; i >= 0; i--) {
        const char *r = match(m, s + i, ep + 1);
        if (r)
            return r;
    }
    return NULL;
}

static const char *min_expand(Matcher *m, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = match(m, s, ep + 1);
        if (r)
            return r;
        if (!single_match(m, s, p, ep))
            return NULL;
        s++;
    }
}

static const char *open_capture(Matcher *m, const char *s, const char *p, ptrdiff_t what)
{
    if (m->level >= MAX_CAPTURES)
        luaL_error(m->L, "too many captures");
    m->cap[m->level].init = s;
    m->cap[m->level].len = what;
    m->level++;
    const char *r = match(m, s, p);
    if (!r)
        m->level--;
    return r;
}

static const char *close_capture(Matcher *m, const char *s, const char *p)
{
    int l = -1;
    for (int i = m->level - 1; i >= 0; i--)
        if (m->cap[i].len == CAP_UNFINISHED) {
            l = i;
            break;
        }
    if (l < 0)
        luaL_error(m->L, "invalid pattern capture");
    m->cap[l].len = s - m->cap[l].init;
    const char *r = match(m, s, p);
    if (!r)
        m->cap[l].len = CAP_UNFINISHED;
    return r;
}

static int capture_index(Matcher *m, int c)
{
    int l = c - '1';
    if (l < 0 || l >= m->level || m->cap[l].len == CAP_UNFINISHED)
        luaL_error(m->L, "invalid capture index %%%d", l + 1);
    return l;
}

static const char *match_backref(Matcher *m, const char *s, int c)
{
    int l = capture_index(m, c);
    size_t len = (size_t)m->cap[l].len;
    if ((size_t)(m->src_end - s) >= len && memcmp(m->cap[l].init, s, len) == 0)
        return s + len;
    return NULL;
}

/* %f[set]: the position where the previous character is not in the set
 * and the current one is. Returns the pattern after the set, or NULL. */
static const char *frontier(Matcher *m, const char *s, const char *p)
{
    p += 2;
    if (*p != '[')
        luaL_error(m->L, "missing '[' after '%%f' in pattern");
    const char *ep = item_end(m, p);
    int prev = s == m->src ? '\0' : (unsigned char)*(s - 1);
    int cur = s < m->src_end ? (unsigned char)*s : '\0';
    return !set_match(prev, p, ep - 1) && set_match(cur, p, ep - 1) ? ep : NULL;
}

/* Returns the end of the match of p at s, or NULL. The pattern pointer and
 * s advance in a loop for single items; nested calls only where the match
 * may backtrack (the same recursion as Lua's own matcher). */
static const char *match(Matcher *m, const char *s, const char *p)
{
    if (m->depth++ >= MAX_DEPTH)
        luaL_error(m->L, "pattern too complex");
    for (;;) {
        step(m);
        if (p == m->pat_end)
            break;
        if (*p == '(') {
            s = *(p + 1) == ')' ? open_capture(m, s, p + 2, CAP_POSITION) : open_capture(m, s, p + 1, CAP_UNFINISHED);
            break;
        }
        if (*p == ')') {
            s = close_capture(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == m->pat_end) {
            s = s == m->src_end ? s : NULL;
            break;
        }
        if (*p == ESC && *(p + 1) == 'b') {
            s = match_balance(m, s, p + 2);
            if (!s)
                break;
            p += 4;
            continue;
        }
        if (*p == ESC && *(p + 1) == 'f') {
            const char *np = frontier(m, s, p);
            if (!np) {
                s = NULL;
                break;
            }
            p = np;
            continue;
        }
        if (*p == ESC && isdigit((unsigned char)*(p + 1))) {
            s = match_backref(m, s, (unsigned char)*(p + 1));
            if (!s)
                break;
            p += 2;
            continue;
        }
        const char *ep = item_end(m, p);
        if (!single_match(m, s, p, ep)) {
            if (*ep == '*' || *ep == '?' || *ep == '-') {
                p = ep + 1;
                continue;
            }
            s = NULL;
            break;
        }
        if (*ep == '?') {
            const char *r = match(m, s + 1, ep + 1);
            if (r) {
                s = r;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (*ep == '+') {
            s = max_expand(m, s + 1, p, ep);
            break;
        }
        if (*ep == '*') {
            s = max_expand(m, s, p, ep);
            break;
        }
        if (*ep == '-') {
            s = min_expand(m, s, p, ep);
            break;
        }
        s++;
        p = ep;
    }
    m->depth--;
    return s;
}

/* --- captures to Lua values --- */

static void push_capture(Matcher *m, int i, const char *s, const char *e)
{
    if (i >= m->level) {
        if (i != 0)
            luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t len = m->cap[i].len;
    if (len == CAP_UNFINISHED)
        luaL_error(m->L, "unfinished capture");
    if (len == CAP_POSITION)
        lua_pushinteger(m->L, (m->cap[i].init - m->src) + 1);
    else
        lua_pushlstring(m->L, m->cap[i].init, (size_t)len);
}

/* Pushes the captures (or the whole match when there are none and s is
 * given); returns how many. */
static int push_captures(Matcher *m, const char *s, const char *e)
{
    int n = (m->level == 0 && s) ? 1 : m->level;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        push_capture(m, i, s, e);
    return n;
}

static void matcher_init(Matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    m->L = L;
    m->src = s;
    m->src_end = s + ls;
    m->pat_end = p + lp;
    m->depth = 0;
    m->level = 0;
    m->steps = 0;
}

static void matcher_reset(Matcher *m)
{
    m->level = 0;
    m->depth = 0;
}

/* Start position from a 1-based, possibly negative init (Lua's rule). */
static size_t start_at(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    if (pos == 0)
        return 1;
    if (pos < -(lua_Integer)len)
        return 1;
    return len + (size_t)pos + 1;
}

static bool no_specials(const char *p, size_t lp)
{
    size_t upto = 0;
    do {
        if (strpbrk(p + upto, SPECIALS))
            return false;
        upto += strlen(p + upto) + 1;
    } while (upto <= lp);
    return true;
}

static const char *plain_find(lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    if (lp == 0)
        return s;
    if (lp > ls)
        return NULL;
    city_sandbox_charge(L, ls / 16); /* memchr/memcmp: cheap, but not free */
    const char *end = s + ls - lp + 1;
    for (const char *q = s; q < end;) {
        q = memchr(q, *p, (size_t)(end - q));
        if (!q)
            return NULL;
        if (memcmp(q, p, lp) == 0)
            return q;
        q++;
    }
    return NULL;
}

static int find_or_match(lua_State *L, bool find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        const char *at = plain_find(L, s + init, ls - init, p, lp);
        if (at) {
            lua_pushinteger(L, (at - s) + 1);
            lua_pushinteger(L, (at - s) + (lua_Integer)lp);
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    Matcher m;
    const char *s1 = s + init;
    bool anchor = *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    matcher_init(&m, L, s, ls, p, lp);
    do {
        matcher_reset(&m);
        const char *e = match(&m, s1, p);
        if (e) {
            finish(&m);
            if (find) {
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return push_captures(&m, NULL, NULL) + 2;
            }
            return push_captures(&m, s1, e);
        }
    } while (s1++ < m.src_end && !anchor);
    finish(&m);
    luaL_pushfail(L);
    return 1;
}

static int pat_find(lua_State *L)
{
    return find_or_match(L, true);
}

static int pat_match(lua_State *L)
{
    return find_or_match(L, false);
}

/* --- gmatch --- */

typedef struct GMatch {
    const char *pos;  /* where the next search starts */
    const char *last; /* end of the last match (no empty match there again) */
    Matcher m;        /* its src, pattern end */
    const char *pat;  /* pattern start */
} GMatch;

static int gmatch_next(lua_State *L)
{
    GMatch *g = lua_touserdata(L, lua_upvalueindex(3));
    g->m.L = L;
    for (const char *src = g->pos; src <= g->m.src_end; src++) {
        matcher_reset(&g->m);
        const char *e = match(&g->m, src, g->pat);
        if (e && e != g->last) {
            g->pos = g->last = e;
            finish(&g->m);
            return push_captures(&g->m, src, e);
        }
    }
    finish(&g->m);
    return 0;
}

static int pat_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);
    GMatch *g = lua_newuserdatauv(L, sizeof *g, 0);
    if (init > ls)
        init = ls + 1; /* start after the end: no matches */
    matcher_init(&g->m, L, s, ls, p, lp);
    g->pat = p;
    g->pos = s + init;
    g->last = NULL;
    lua_pushcclosure(L, gmatch_next, 3); /* subject and pattern stay alive */
    return 1;
}

/* --- gsub --- */

static void add_string(Matcher *m, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = m->L;
    size_t l;
    const char *news = lua_tolstring(L, 3, &l);
    const char *p;
    while ((p = memchr(news, ESC, l)) != NULL) {
        luaL_addlstring(b, news, (size_t)(p - news));
        p++;
        if (*p == ESC) {
            luaL_addchar(b, *p);
        } else if (*p == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)*p)) {
            push_capture(m, *p - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESC);
        }
        l -= (size_t)(p + 1 - news);
        news = p + 1;
    }
    luaL_addlstring(b, news, l);
}

/* Adds the replacement of the match s..e; false or nil keeps the original. */
static void add_value(Matcher *m, luaL_Buffer *b, const char *s, const char *e, int tr)
{
    lua_State *L = m->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_string(m, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return;
    }
    if (!lua_isstring(L, -1))
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
}

static int pat_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *last = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    bool anchor = *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    Matcher m;
    matcher_init(&m, L, src, ls, p, lp);
    lua_Integer n = 0;
    while (n < max_n) {
        matcher_reset(&m);
        const char *e = match(&m, src, p);
        if (e && e != last) {
            n++;
            add_value(&m, &b, src, e, tr);
            src = last = e;
        } else if (src < m.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    finish(&m);
    luaL_addlstring(&b, src, (size_t)(m.src_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

/* --- C loops on a count from the script --- */

static int charged_rep(lua_State *L)
{
    size_t l, lsep;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || l + lsep == 0) { /* Lua's own would loop n times copying nothing */
        lua_pushliteral(L, "");
        return 1;
    }
    city_sandbox_charge(L, (uint64_t)n / 16);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Charges hi - lo + 1 for a C loop over the integer range in args lo, hi. */
static int charged_range(lua_State *L, int lo_arg, int hi_arg, lua_Integer lo_default)
{
    lua_Integer lo = luaL_optinteger(L, lo_arg, lo_default);
    lua_Integer hi = lua_isnoneornil(L, hi_arg) ? lo : luaL_checkinteger(L, hi_arg);
    if (hi >= lo)
        city_sandbox_charge(L, (uint64_t)hi - (uint64_t)lo + 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int charged_move(lua_State *L)
{
    return charged_range(L, 2, 3, 1);
}

static int charged_concat(lua_State *L)
{
    if (lua_isnoneornil(L, 4) && lua_istable(L, 1)) { /* default end: #t, already bounded by memory */
        lua_Integer lo = luaL_optinteger(L, 3, 1), hi = luaL_len(L, 1);
        if (hi >= lo)
            city_sandbox_charge(L, (uint64_t)hi - (uint64_t)lo + 1);
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_insert(L, 1);
        lua_call(L, lua_gettop(L) - 1, 1);
        return 1;
    }
    return charged_range(L, 3, 4, 1);
}

static void wrap(lua_State *L, const char *lib, const char *name, lua_CFunction fn)
{
    lua_getglobal(L, lib);
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

void city_sandbox_open_patterns(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"find", pat_find}, {"match", pat_match}, {"gmatch", pat_gmatch}, {"gsub", pat_gsub}, {NULL, NULL}};
    lua_getglobal(L, "string");
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
    wrap(L, "string", "rep", charged_rep);
    wrap(L, "table", "move", charged_move);
    wrap(L, "table", "concat", charged_concat);
}
