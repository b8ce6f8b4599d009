/* Sensor groups of the device API: group(ids) names a list of sensors once
 * (when the file loads or in init), then first(g, above) and sum(g) look at
 * their last readings in one call. A signal controller watching its
 * detectors every second does in C what would otherwise be a read() and a
 * few tests per detector in Lua: with the instruction budget's count hook,
 * every VM instruction costs about 60 machine instructions and every API
 * call about 250 (scripts/bench_control_inproc.sh), so a group costs one
 * call whatever its size. The answers are exactly those of a loop of
 * read()s that skips readings flagged `bad` (scenarios/DEVICE_API.md).
 * wake_on(g) goes further: the test of first(g) runs in C each period and
 * step() only when it finds something. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_array.h"
#include "city_sensor.h"
#include "city_text.h"
#include "lua_control_internal.h"

static CityController *self_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

/* Adds one member; its slot now if the controller has it, else -1 and found
 * later (the agent makes a slot when the channel's first reading arrives). */
static bool add_member(CityController *c, const char *id)
{
    void *arr = c->gmembers;
    if (!city_array_grow(&arr, &c->cap_gmembers, c->n_gmembers + 1, sizeof *c->gmembers))
        return false;
    c->gmembers = arr;
    char *copy = city_strdup(id);
    if (!copy)
        return false;
    const Slot *s = controller_find_slot(c, id);
    c->gmembers[c->n_gmembers++] = (GroupMember){s ? (int32_t)(s - c->slots) : -1, -1, copy};
    return true;
}

/* Looks again for the members that had no slot when slots were added since. */
static void resolve(CityController *c, Group *g)
{
    for (int32_t k = g->first; k < g->first + g->n; k++)
        if (c->gmembers[k].slot < 0) {
            const Slot *s = controller_find_slot(c, c->gmembers[k].id);
            c->gmembers[k].slot = s ? (int32_t)(s - c->slots) : -1;
        }
    g->n_slots_seen = c->n_slots;
}

/* Checks one id as read() would: a sensor of the controller, else an error. */
static void check_id(lua_State *L, CityController *c, const char *id)
{
    if (!controller_find_slot(c, id) && !controller_reads(c, id))
        luaL_error(L, "group: sensor '%s' is not among this controller's sensors", id);
}

/* group(ids) -> handle. ids: an array of sensor ids or one string of ids
 * separated by spaces; in that order. Only while the file loads or in init:
 * groups are part of the attachment (a checkpoint's restore makes them again). */
int controller_api_group(lua_State *L)
{
    CityController *c = self_of(L);
    if (c->started)
        return luaL_error(L, "group: make sensor groups when the file loads or in init(), not later");
    const int32_t first = c->n_gmembers;
    if (lua_type(L, 1) == LUA_TSTRING) {
        const char *p = lua_tostring(L, 1);
        char id[CITY_SENSOR_NAME_MAX + 16];
        while (*p) {
            p += strspn(p, " \t\r\n");
            const size_t len = strcspn(p, " \t\r\n");
            if (len == 0)
                break;
            if (len >= sizeof id)
                return luaL_error(L, "group: sensor id '%.*s...' is too long", 20, p);
            memcpy(id, p, len);
            id[len] = '\0';
            check_id(L, c, id);
            if (!add_member(c, id))
                return luaL_error(L, "out of memory");
            p += len;
        }
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        for (lua_Integer i = 1;; i++) {
            const int t = lua_rawgeti(L, 1, i);
            if (t == LUA_TNIL)
                break;
            if (t != LUA_TSTRING)
                return luaL_error(L, "group: entry %I is a %s; give sensor ids (strings)", i, lua_typename(L, t));
            check_id(L, c, lua_tostring(L, -1));
            if (!add_member(c, lua_tostring(L, -1)))
                return luaL_error(L, "out of memory");
            lua_pop(L, 1);
        }
    }
    void *arr = c->groups;
    if (!city_array_grow(&arr, &c->cap_groups, c->n_groups + 1, sizeof *c->groups))
        return luaL_error(L, "out of memory");
    c->groups = arr;
    c->groups[c->n_groups++] = (Group){first, c->n_gmembers - first, -1, 0.0};
    lua_pushinteger(L, c->n_groups);
    return 1;
}

/* The group handle at argument 1, resolved. */
static Group *check_group(lua_State *L, CityController *c, const char *fn)
{
    int isnum = 0;
    const lua_Integer h = lua_tointegerx(L, 1, &isnum);
    if (!isnum || h < 1 || h > c->n_groups)
        luaL_error(L, "%s: give a group made by group(ids)", fn);
    Group *g = &c->groups[h - 1];
    if (g->n_slots_seen != c->n_slots)
        resolve(c, g);
    return g;
}

/* The last reading of member k when there is one not flagged bad, else NULL. */
static const SlotReading *usable(const CityController *c, int32_t k)
{
    const int32_t sl = c->gmembers[k].slot;
    if (sl < 0 || !c->slots[sl].has || c->slots[sl].last.quality == CITY_QUALITY_BAD)
        return NULL;
    return &c->slots[sl].last;
}

/* The position (0-based) in g of the first member whose last reading is not bad and exceeds above, or -1. */
static int32_t first_above(const CityController *c, const Group *g, double above, double *value)
{
    for (int32_t k = 0; k < g->n; k++) {
        const SlotReading *r = usable(c, g->first + k);
        if (r && r->value > above) {
            *value = r->value;
            return k;
        }
    }
    return -1;
}

/* first(g [, above]) -> position in the group (1-based) and value of the
 * first member whose last reading is not bad and exceeds above (default 0);
 * nil when none does. */
int controller_api_first(lua_State *L)
{
    CityController *c = self_of(L);
    const Group *g = check_group(L, c, "first");
    const double above = lua_gettop(L) < 2 ? 0.0 : luaL_optnumber(L, 2, 0.0); /* the usual call: first(g) */
    double v;
    const int32_t k = first_above(c, g, above, &v);
    if (k < 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, k + 1);
    lua_pushnumber(L, v);
    return 2;
}

/* wake_on(g [, above]): step() is not called again until a period where
 * first(g, above) finds a reading; it is called then, and the wait is
 * over. A skipped period is as if step() had run and returned at once (it
 * counts as run), so a step that begins with "nothing above the line:
 * return" says so with `return wake_on(g)` and costs no Lua while it waits:
 * the test runs in C. The last call wins; timers run as before. */
int controller_api_wake_on(lua_State *L)
{
    CityController *c = self_of(L);
    Group *g = check_group(L, c, "wake_on");
    g->wake_above = lua_gettop(L) < 2 ? 0.0 : luaL_optnumber(L, 2, 0.0);
    c->wake_group = (int32_t)(g - c->groups) + 1;
    return 0;
}

/* wake_at(t): step() is not called again until a period where now() >= t
 * (s); then it is, and the wait is over. As wake_on, a skipped period
 * counts as a step that returned at once: `if now() < t then return end`
 * said once instead of each period. */
int controller_api_wake_at(lua_State *L)
{
    CityController *c = self_of(L);
    c->wake_at_s = luaL_checknumber(L, 1);
    c->wake_group = -1;
    return 0;
}

bool controller_wake_due(CityController *c)
{
    if (c->wake_group < 0) /* as now() < t in the step: the same division, the same comparison */
        return !((double)controller_now_ms(c) / 1000.0 < c->wake_at_s);
    Group *g = &c->groups[c->wake_group - 1];
    if (g->n_slots_seen != c->n_slots)
        resolve(c, g);
    const double above = g->wake_above;
    for (int32_t k = g->first; k < g->first + g->n; k++) {
        const GroupMember *m = &c->gmembers[k];
        CitySensorArrival a;
        if (m->direct >= 0) { /* what the pull would put in its slot, if anything */
            const DirectSlot *d = &c->direct[m->direct];
            if (city_sensor_newer(c->direct_src, d->channel, d->seen_ms, &a)) {
                if (a.quality != CITY_QUALITY_BAD && a.value > above)
                    return true;
                continue;
            }
        }
        const SlotReading *r = usable(c, k);
        if (r && r->value > above)
            return true;
    }
    return false;
}

void controller_groups_direct(CityController *c)
{
    for (int32_t k = 0; k < c->n_gmembers; k++)
        c->gmembers[k].direct = -1;
    for (int32_t i = 0; i < c->n_direct; i++)
        for (int32_t k = 0; k < c->n_gmembers; k++)
            if (c->gmembers[k].slot == c->direct[i].slot)
                c->gmembers[k].direct = i;
}

/* sum(g) -> the sum of the members' last values not flagged bad (added in
 * group order), and how many there were (0 and 0 when none). */
int controller_api_sum(lua_State *L)
{
    CityController *c = self_of(L);
    const Group *g = check_group(L, c, "sum");
    double sum = 0;
    lua_Integer n = 0;
    for (int32_t k = 0; k < g->n; k++) {
        const SlotReading *r = usable(c, g->first + k);
        if (r) {
            sum += r->value;
            n++;
        }
    }
    lua_pushnumber(L, sum);
    lua_pushinteger(L, n);
    return 2;
}

void controller_groups_free(CityController *c)
{
    for (int32_t k = 0; k < c->n_gmembers; k++)
        free(c->gmembers[k].id);
    free(c->gmembers);
    free(c->groups);
}
