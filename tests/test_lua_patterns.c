/* The sandbox's string.find, match, gmatch and gsub (which charge their
 * steps to the instruction budget) give the same results and the same
 * errors as Lua 5.4's own, on hand-picked cases and on thousands of random
 * patterns; and a backtracking pattern stops at the budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "city_scenario.h"
#include "test_support.h"

/* Runs every case through find, match, gmatch and gsub (three kinds of
 * replacement) and logs one line per case: results or the error message. */
static const char *cases_script =
    "local function show(...)\n"
    "  local t = table.pack(...)\n"
    "  for i = 1, t.n do t[i] = type(t[i]) .. ':' .. (type(t[i]) == 'string' and t[i] or\n"
    "    type(t[i]) == 'number' and string.format('%d', t[i]) or (t[i] and 'true' or 'false')) end\n"
    "  return table.concat(t, ',', 1, t.n)\n"
    "end\n"
    "local function try(f, ...)\n"
    "  local r = table.pack(pcall(f, ...))\n"
    "  if not r[1] then\n"
    "    local m, at = tostring(r[2]), 1\n"
    "    while m:find(': ', at, true) do at = m:find(': ', at, true) + 2 end\n"
    "    return 'error ' .. m:sub(at)\n"
    "  end\n"
    "  return show(table.unpack(r, 2, r.n))\n"
    "end\n"
    "local function all(s, p)\n"
    "  local out = { try(string.find, s, p), try(string.find, s, p, 3), try(string.find, s, p, -2),\n"
    "    try(string.match, s, p), try(string.match, s, p, 2) }\n"
    "  out[#out + 1] = try(function() local r = {} for a, b in string.gmatch(s, p) do\n"
    "    r[#r + 1] = show(a, b) if #r > 50 then break end end return table.concat(r, ';') end)\n"
    "  out[#out + 1] = try(string.gsub, s, p, '<%0|%1>')\n"
    "  out[#out + 1] = try(string.gsub, s, p, '[%%]', 2)\n"
    "  out[#out + 1] = try(string.gsub, s, p, function(a, b) return b and (a .. b) or nil end)\n"
    "  out[#out + 1] = try(string.gsub, s, p, { a = 'A', ab = false, [''] = 'E' })\n"
    "  out[#out + 1] = try(string.gsub, s, p, '%9')\n"
    "  return out\n"
    "end\n"
    "local fixed = {\n"
    "  {'hello world', 'o w'}, {'hello world', 'l+'}, {'hello world', '^h(.-)o'}, {'hello', 'l*'},\n"
    "  {'key = value', '(%w+)%s*=%s*(%w+)'}, {'  trim  ', '^%s*(.-)%s*$'}, {'THE (quick) fox', '%((%a+)%)'},\n"
    "  {'f(a(b)c)d', '%b()'}, {'THE (quick) fox', '%f[%a]%a+'}, {'abcabc', '(abc)%1'}, {'x=1, y=22', '()%d+()'},\n"
    "  {'aaa', 'a-b'}, {'aaa', 'a?a?a?a'}, {'[x]', '[]]'}, {'a-b', '[a-]'}, {'a^b', '[%^b]+'},\n"
    "  {'a.b', '%.'}, {'abc', '[^%a]'}, {'abc', '$'}, {'abc', 'c$'}, {'ab$c', 'b$c'}, {'', ''}, {'', 'x*'},\n"
    "  {'one two', '%w+'}, {'a,b,,c', '([^,]*)'}, {'0x1F', '%x+'}, {'\\0a\\0', '%z'}, {'\\0a\\0', 'a\\0'},\n"
    "  {'abc', '%'}, {'abc', '[a'}, {'abc', '(a'}, {'abc', 'a)'}, {'abc', '%b'}, {'abc', '%f'}, {'abc', '%1'},\n"
    "  {'abc', '(()'}, {'x', string.rep('(', 40) .. 'x' .. string.rep(')', 40)}, {'aaaa', '^(a-)%1$'},\n"
    "  {'hello', 'l'}, {'a.b.c', '.', }, {'1.5e3 kg', '^([%d%.]+)[eE]?(%d*)%s*(%a*)$'}, {'CamelCase', '%u%l+'},\n"
    "  {'tab\\there', '%c'}, {'p!u?n', '%p'}, {'A1b2', '%W'}, {'A1b2', '%D+'}, {'x', '[%]]'}, {'a]', '[]a]+'},\n"
    "}\n"
    "local function log(kind, i, out) for k, v in ipairs(out) do city.log(kind, i .. '.' .. k .. ' ' .. v:sub(1, 400)) "
    "end end\n"
    "for i, c in ipairs(fixed) do log('case', i, all(c[1], c[2])) end\n"
    "local seed = 12345\n"
    "local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n + 1 end\n"
    "local atoms = { 'a', 'b', '.', '%a', '%d', '[ab]', '[^a]', '%b()', '%f[%a]', '(', ')', '()', '%1', '^', '$',\n"
    "  '*', '+', '-', '?', '%', '[', ']', 'a*', 'b-', '.?' }\n"
    "local chars = { 'a', 'b', 'a', '(', ')', '1', ' ', 'b' }\n"
    "for i = 1, 3000 do\n"
    "  local p, s = {}, {}\n"
    "  for k = 1, rnd(6) do p[k] = atoms[rnd(#atoms)] end\n"
    "  for k = 1, rnd(12) - 1 do s[k] = chars[rnd(#chars)] end\n"
    "  log('random', i, all(table.concat(s), table.concat(p)))\n"
    "end\n";

typedef struct Lines {
    char *text;
    size_t len, cap;
} Lines;

static void add_line(Lines *l, const char *kind, const char *msg)
{
    size_t need = l->len + strlen(kind) + strlen(msg) + 3;
    if (need > l->cap) {
        l->cap = need * 2;
        l->text = realloc(l->text, l->cap);
    }
    l->len += (size_t)sprintf(l->text + l->len, "%s %s\n", kind, msg);
}

static int plain_log(lua_State *L)
{
    Lines *l = lua_touserdata(L, lua_upvalueindex(1));
    add_line(l, luaL_checkstring(L, 1), luaL_checkstring(L, 2));
    return 0;
}

/* The reference: Lua's own string library in a plain state. */
static void run_plain(Lines *out)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_newtable(L);
    lua_pushlightuserdata(L, out);
    lua_pushcclosure(L, plain_log, 1);
    lua_setfield(L, -2, "log");
    lua_setglobal(L, "city");
    if (luaL_dostring(L, cases_script) != LUA_OK)
        fail_msg("plain Lua: %s", lua_tostring(L, -1));
    lua_close(L);
}

static void sink(void *user, double time_s, const char *kind, const char *message)
{
    (void)time_s;
    add_line(user, kind, message);
}

static CityScenario *load(const char *name, const char *text, uint64_t instructions, CityStatus *st, CityError *err)
{
    const char *dir = city_test_scratch(name);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.lua", dir, name);
    assert_true(city_test_write_file(path, text));
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = 1;
    o.until_s = -1;
    o.instruction_limit = instructions;
    CityScenario *sc = NULL;
    *st = city_scenario_load(&o, &sc, err);
    return sc;
}

static void test_same_results_as_lua(void **state)
{
    (void)state;
    Lines want = {0}, got = {0};
    run_plain(&want);
    CityStatus st;
    CityError err;
    CityScenario *sc = load("patterns", cases_script, 0, &st, &err);
    if (st != CITY_OK)
        fail_msg("sandbox: %s", err.msg);
    city_world_set_log_sink(city_scenario_world(sc), sink, &got); /* the lines logged while loading */
    assert_non_null(want.text);
    assert_non_null(got.text);
    /* the tostring numbering differs by design; nothing here prints tables */
    char *w = want.text, *g = got.text;
    int line = 1;
    while (*w && *g) {
        char *we = strchr(w, '\n'), *ge = strchr(g, '\n');
        if (we - w != ge - g || memcmp(w, g, (size_t)(we - w)) != 0)
            fail_msg("line %d differs:\n  lua:     %.*s\n  sandbox: %.*s", line, (int)(we - w), w, (int)(ge - g), g);
        w = we + 1;
        g = ge + 1;
        line++;
    }
    assert_int_equal(line, 1 + (48 + 3000) * 11);
    assert_string_equal(w, g);
    city_scenario_destroy(sc);
    free(want.text);
    free(got.text);
}

/* Patterns that backtrack for hours in Lua's own matcher stop at the
 * budget, in find, match, gmatch and gsub alike. */
static void test_backtracking_stops_at_budget(void **state)
{
    (void)state;
    static const char *const scripts[] = {
        "local s = ('a'):rep(2e5) local i = s:find('.-.-.-.-.-.-b')",
        "local s = ('a'):rep(2e5) local m = s:match('(.-)(.-)(.-)(.-)b')",
        "local s = ('a'):rep(2e5) for x in s:gmatch('a*a*a*a*b') do end",
        "local s = ('a'):rep(2e5) local r = s:gsub('.-.-.-b', '')",
        "local s = ('('):rep(2e5) local r = s:find('%b()')",
        "local t = table.move({}, 1, math.maxinteger - 1, 2)",
    };
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        CityStatus st;
        CityError err;
        CityScenario *sc = load("backtrack", scripts[i], 10000000, &st, &err);
        if (st != CITY_ERR_LIMIT || !strstr(err.msg, "the instruction budget held"))
            fail_msg("script %zu: status %d, %s", i, st, err.msg);
        assert_null(sc);
    }
    /* zero-length repeats are free and empty (Lua's own loops n times) */
    CityStatus st;
    CityError err;
    CityScenario *sc =
        load("rep", "city.kpi('len', #string.rep('', 1e15) + #string.rep('ab', 3, ''))", 10000000, &st, &err);
    if (st != CITY_OK)
        fail_msg("%s", err.msg);
    double len = -1;
    assert_true(city_world_kpi_get(city_scenario_world(sc), "len", &len));
    assert_true(len == 6.0);
    city_scenario_destroy(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_results_as_lua),
        cmocka_unit_test(test_backtracking_stops_at_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
