/* city.ped: pedestrians. Walkable space (areas, rooms, corridors, doors,
 * walls, SUMO sidewalks), named places, people and flows between places
 * per time slice, readings. Areas and doors are numbered from 1 in Lua.
 * The named places live in a table shared by the functions as upvalue 1. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "city_lua.h"
#include "city_ped.h"
#include "city_ped_road.h"
#include "city_sumo_walk.h"
#include "lua_fields.h"
#include "lua_modules.h"

#define PED_POINTS_MAX 4096

/* The world's pedestrians, created with default parameters on first use. */
static CityPed *ped_of(lua_State *L)
{
    CityWorld *w = city_lua_world(L);
    CityPed *ped = city_ped_of(w);
    if (!ped) {
        CityStatus st = city_ped_create(w, NULL, &ped);
        if (st != CITY_OK)
            city_lua_raise(L, w, st);
    }
    return ped;
}

static int check(lua_State *L, CityPed *ped, CityStatus st)
{
    if (st != CITY_OK)
        return city_lua_raise(L, city_ped_world(ped), st);
    return 0;
}

/* city.ped.config{ tau =, a =, b =, lambda =, ... }: model parameters (before any other city.ped call). */
static int l_config(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityWorld *w = city_lua_world(L);
    if (city_ped_of(w))
        return luaL_error(L, "city.ped.config: call it before any other city.ped function");
    CityPedParams p;
    city_ped_params_defaults(&p);
    struct {
        const char *key;
        double *v;
    } nums[] = {{"speed_mean", &p.speed_mean_mps},
                {"speed_sd", &p.speed_sd_mps},
                {"speed_min", &p.speed_min_mps},
                {"speed_max", &p.speed_max_mps},
                {"max_speed_factor", &p.max_speed_factor},
                {"tau", &p.tau_s},
                {"radius_mean", &p.radius_mean_m},
                {"radius_sd", &p.radius_sd_m},
                {"mass", &p.mass_kg},
                {"a", &p.a_n},
                {"b", &p.b_m},
                {"lambda", &p.lambda},
                {"wall_a", &p.wall_a_n},
                {"wall_b", &p.wall_b_m},
                {"cutoff", &p.cutoff_m},
                {"headway_a", &p.headway_a_m},
                {"headway_t", &p.headway_t_s},
                {"path_share", &p.path_share},
                {"evade", &p.evade_mps2},
                {"noise", &p.noise_mps2},
                {"slop", &p.slop_m},
                {"wall_radius", &p.wall_radius_m},
                {"max_substep", &p.max_substep_s},
                {"arrive_radius", &p.arrive_radius_m},
                {"red_walkers", &p.red_walker_share},
                {"critical_gap", &p.critical_gap_s},
                {"gap_speed", &p.gap_speed_mps},
                {"gap_startup", &p.gap_startup_s},
                {"conflict_ttc", &p.conflict_ttc_s},
                {"conflict_pet", &p.conflict_pet_s}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        *nums[i].v = city_lua_field_number(L, 1, nums[i].key, *nums[i].v);
    p.iterations = city_lua_field_int(L, 1, "iterations", false, p.iterations);
    p.walk_output = city_lua_field_bool(L, 1, "walk_output", p.walk_output);
    p.yield = city_lua_field_bool(L, 1, "yield", p.yield);
    CityPed *ped;
    CityStatus st = city_ped_create(w, &p, &ped);
    if (st != CITY_OK)
        return city_lua_raise(L, w, st);
    return 0;
}

/* A point: {x, y} or {x = , y = }. */
static void read_point(lua_State *L, int idx, const char *what, double *x, double *y)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s must be a point {x, y}, got %s", what, luaL_typename(L, idx));
    lua_rawgeti(L, idx, 1);
    lua_rawgeti(L, idx, 2);
    lua_getfield(L, idx, "x");
    lua_getfield(L, idx, "y");
    int ok1, ok2;
    *x = lua_tonumberx(L, lua_isnil(L, -4) ? -2 : -4, &ok1);
    *y = lua_tonumberx(L, lua_isnil(L, -3) ? -1 : -3, &ok2);
    if (!ok1 || !ok2 || !isfinite(*x) || !isfinite(*y))
        luaL_error(L, "%s must be a point {x, y} of finite numbers", what);
    lua_pop(L, 4);
}

/* A place: a point, or the name of a city.ped.place (radius from the place). */
static void read_place(lua_State *L, int t, const char *key, double *x, double *y, double *radius)
{
    lua_getfield(L, t, key);
    int idx = lua_gettop(L);
    if (lua_type(L, idx) == LUA_TSTRING) {
        lua_pushvalue(L, idx);
        if (lua_gettable(L, lua_upvalueindex(1)) != LUA_TTABLE)
            luaL_error(L, "field '%s': no place '%s'; declare it with city.ped.place{ name = ... }", key,
                       lua_tostring(L, idx));
        lua_getfield(L, -1, "x");
        lua_getfield(L, -2, "y");
        lua_getfield(L, -3, "radius");
        *x = lua_tonumber(L, -3);
        *y = lua_tonumber(L, -2);
        *radius = lua_tonumber(L, -1);
        lua_pop(L, 4);
    } else {
        char what[64];
        snprintf(what, sizeof what, "field '%s'", key);
        read_point(L, idx, what, x, y);
    }
    lua_pop(L, 1);
}

static int push_area(lua_State *L, CityPed *ped, int32_t a)
{
    if (a < 0)
        return city_lua_raise(L, city_ped_world(ped), CITY_ERR_INVALID);
    lua_pushinteger(L, (lua_Integer)a + 1);
    return 1;
}

/* city.ped.area{ {x, y}, {x, y}, ... } -> area number: a convex walkable area. */
static int l_area(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n < 3 || n > PED_POINTS_MAX)
        return luaL_error(L, "city.ped.area: give 3 to %d corner points {x, y}, got %d", PED_POINTS_MAX, (int)n);
    double *xy = lua_newuserdatauv(L, (size_t)n * 2 * sizeof(double), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        read_point(L, lua_gettop(L), "city.ped.area: a corner", &xy[2 * (i - 1)], &xy[2 * (i - 1) + 1]);
        lua_pop(L, 1);
    }
    CityPed *ped = ped_of(L);
    return push_area(L, ped, city_ped_area_add(ped, xy, (int32_t)n));
}

/* city.ped.room{ x0 =, y0 =, x1 =, y1 = } -> area number: an axis-aligned rectangle. */
static int l_room(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double x0 = city_lua_field_number(L, 1, "x0", NAN), y0 = city_lua_field_number(L, 1, "y0", NAN);
    double x1 = city_lua_field_number(L, 1, "x1", NAN), y1 = city_lua_field_number(L, 1, "y1", NAN);
    if (isnan(x0) || isnan(y0) || isnan(x1) || isnan(y1))
        return luaL_error(L, "city.ped.room needs x0, y0, x1 and y1 (metres)");
    double xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    CityPed *ped = ped_of(L);
    return push_area(L, ped, city_ped_area_add(ped, xy, 4));
}

/* city.ped.corridor{ from = {x, y}, to = {x, y}, width = } -> area number. */
static int l_corridor(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double ax, ay, bx, by;
    lua_getfield(L, 1, "from");
    read_point(L, lua_gettop(L), "city.ped.corridor: from", &ax, &ay);
    lua_getfield(L, 1, "to");
    read_point(L, lua_gettop(L), "city.ped.corridor: to", &bx, &by);
    lua_pop(L, 2);
    double width = city_lua_field_number(L, 1, "width", 2.0), len = hypot(bx - ax, by - ay);
    if (!(width > 0) || !(len > 0))
        return luaL_error(L, "city.ped.corridor needs from and to apart and a width above 0");
    double nx = -(by - ay) / len * 0.5 * width, ny = (bx - ax) / len * 0.5 * width;
    double xy[8] = {ax - nx, ay - ny, bx - nx, by - ny, bx + nx, by + ny, ax + nx, ay + ny};
    CityPed *ped = ped_of(L);
    return push_area(L, ped, city_ped_area_add(ped, xy, 4));
}

/* city.ped.door(a, b [, width]) -> door number: joins two areas along the edge they share. */
static int l_door(lua_State *L)
{
    lua_Integer a = luaL_checkinteger(L, 1), b = luaL_checkinteger(L, 2);
    double width = luaL_optnumber(L, 3, 0);
    CityPed *ped = ped_of(L);
    int32_t d = city_ped_door_add(ped, (int32_t)(a - 1), (int32_t)(b - 1), width);
    if (d < 0)
        return city_lua_raise(L, city_ped_world(ped), CITY_ERR_INVALID);
    lua_pushinteger(L, (lua_Integer)d + 1);
    return 1;
}

/* city.ped.set_door(door, open): a pedestrian light turns green (true) or red (false). */
static int l_set_door(lua_State *L)
{
    lua_Integer d = luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    CityPed *ped = ped_of(L);
    if (d < 1 || d > city_ped_door_count(ped))
        return luaL_error(L, "city.ped.set_door: no door %d; doors are numbered 1 to %d", (int)d,
                          (int)city_ped_door_count(ped));
    return check(L, ped, city_ped_door_set_open(ped, (int32_t)(d - 1), lua_toboolean(L, 2)));
}

/* city.ped.wall{ {x, y}, {x, y} }: a free-standing wall. */
static int l_wall(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double x1, y1, x2, y2;
    lua_rawgeti(L, 1, 1);
    read_point(L, lua_gettop(L), "city.ped.wall: first end", &x1, &y1);
    lua_rawgeti(L, 1, 2);
    read_point(L, lua_gettop(L), "city.ped.wall: second end", &x2, &y2);
    lua_pop(L, 2);
    CityPed *ped = ped_of(L);
    return check(L, ped, city_ped_wall_add(ped, x1, y1, x2, y2));
}

/* city.ped.periodic{ x0 =, x1 = }: x wraps around (validation corridors). */
static int l_periodic(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double x0 = city_lua_field_number(L, 1, "x0", NAN), x1 = city_lua_field_number(L, 1, "x1", NAN);
    CityPed *ped = ped_of(L);
    return check(L, ped, city_ped_set_periodic_x(ped, x0, x1));
}

/* city.ped.load_sumo{ net = "x.net.xml", routes = "x.rou.xml" } -> { sidewalks, crossings, walkingareas,
 * areas, doors, walls, skipped, declared, persons, person_flows } */
static int l_load_sumo(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    city_lua_strict_check(L, 1);
    char path[4096];
    CityError err;
    lua_getfield(L, 1, "net");
    if (lua_isnil(L, -1))
        return luaL_error(L, "city.ped.load_sumo needs net = \"FILE.net.xml\"");
    city_lua_data_path(L, lua_gettop(L), path, sizeof path);
    lua_pop(L, 1);
    char routes[4096] = "";
    if (lua_getfield(L, 1, "routes") != LUA_TNIL)
        city_lua_data_path(L, lua_gettop(L), routes, sizeof routes);
    lua_pop(L, 1);
    CityPed *ped = ped_of(L);
    CitySumoWalkInfo info;
    if (city_sumo_walk_load(ped, path, &info, &err) != CITY_OK)
        return luaL_error(L, "%s", err.msg);
    CitySumoPersonsInfo pinfo = {0};
    if (routes[0] && city_sumo_persons_load(ped, path, routes, &pinfo, &err) != CITY_OK)
        return luaL_error(L, "%s", err.msg);
    lua_createtable(L, 0, 10);
    const struct {
        const char *k;
        int32_t v;
    } f[] = {{"sidewalks", info.sidewalks},
             {"crossings", info.crossings},
             {"walkingareas", info.walkingareas},
             {"areas", info.areas},
             {"doors", info.doors},
             {"walls", info.walls},
             {"skipped", info.skipped},
             {"declared", info.declared},
             {"persons", pinfo.persons},
             {"person_flows", pinfo.person_flows}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushinteger(L, f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
    return 1;
}

/* city.ped.place{ name =, x =, y =, radius = }: a named place people start from or walk to. */
static int l_place(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *name = city_lua_field_string(L, 1, "name", NULL);
    double x = city_lua_field_number(L, 1, "x", NAN), y = city_lua_field_number(L, 1, "y", NAN);
    double r = city_lua_field_number(L, 1, "radius", 1.0);
    if (!name || !*name || isnan(x) || isnan(y) || r < 0)
        return luaL_error(L, "city.ped.place needs name, x, y (metres) and radius >= 0");
    CityPed *ped = ped_of(L);
    if (city_ped_area_at(ped, x, y) < 0) {
        char msg[512]; /* luaL_error knows no precision: format here */
        snprintf(msg, sizeof msg, "city.ped.place '%s': (%.2f, %.2f) is outside every walkable area; move it", name, x,
                 y);
        return luaL_error(L, "%s", msg);
    }
    int32_t on = city_ped_crossing_reached(ped, x, y, 0.0); /* people drawn in its disc keep off crossings */
    if (on >= 0) {
        char msg[512]; /* luaL_error knows no precision: format here */
        snprintf(msg, sizeof msg,
                 "city.ped.place '%s': (%.2f, %.2f) lies on crossing %s, on the carriageway: people would appear "
                 "there in front of vehicles; move it onto a sidewalk or walking area",
                 name, x, y, city_ped_crossing_get(ped, on)->id);
        return luaL_error(L, "%s", msg);
    }
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, x);
    lua_setfield(L, -2, "x");
    lua_pushnumber(L, y);
    lua_setfield(L, -2, "y");
    lua_pushnumber(L, r);
    lua_setfield(L, -2, "radius");
    lua_setfield(L, lua_upvalueindex(1), name);
    return 0;
}

/* city.ped.spawn{ from =, to =, speed =, radius = }: one person (from/to: points or place names). */
static int l_spawn(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityPedSpawnDef d;
    city_ped_spawn_defaults(&d);
    double r;
    read_place(L, 1, "from", &d.x, &d.y, &r);
    read_place(L, 1, "to", &d.to_x, &d.to_y, &r);
    d.speed_mps = city_lua_field_number(L, 1, "speed", 0);
    d.radius_m = city_lua_field_number(L, 1, "radius", 0);
    CityPed *ped = ped_of(L);
    return check(L, ped, city_ped_spawn(ped, &d));
}

/* city.ped.flow{ from =, to =, begin =, ["end"] =, rate = persons/h, poisson = }: a time slice of walkers. */
static int l_flow(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityPedFlowDef f = {0};
    read_place(L, 1, "from", &f.from_x, &f.from_y, &f.from_radius_m);
    read_place(L, 1, "to", &f.to_x, &f.to_y, &f.to_radius_m);
    f.from_radius_m = city_lua_field_number(L, 1, "from_radius", f.from_radius_m);
    f.to_radius_m = city_lua_field_number(L, 1, "to_radius", f.to_radius_m);
    f.begin_s = city_lua_field_number(L, 1, "begin", 0);
    f.end_s = city_lua_field_number(L, 1, "end", NAN);
    f.persons_per_hour = city_lua_field_number(L, 1, "rate", NAN);
    f.poisson = city_lua_field_bool(L, 1, "poisson", false);
    if (isnan(f.end_s) || isnan(f.persons_per_hour))
        return luaL_error(L, "city.ped.flow needs [\"end\"] = s and rate = persons per hour");
    CityPed *ped = ped_of(L);
    return check(L, ped, city_ped_flow_add(ped, &f));
}

/* city.ped.route_length(from, to) -> metres, or nil, message (no walkable path). */
static int l_route_length(lua_State *L)
{
    lua_settop(L, 2);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, 1);
    lua_setfield(L, 3, "from");
    lua_pushvalue(L, 2);
    lua_setfield(L, 3, "to");
    double x, y, tx, ty, r;
    read_place(L, 3, "from", &x, &y, &r);
    read_place(L, 3, "to", &tx, &ty, &r);
    CityPed *ped = ped_of(L);
    double len = city_ped_route_length_m(ped, x, y, tx, ty);
    if (len < 0) {
        lua_pushnil(L);
        lua_pushstring(L, city_world_error(city_ped_world(ped)));
        return 2;
    }
    lua_pushnumber(L, len);
    return 1;
}

/* city.ped.people() -> { {id, x, y, speed, area}, ... } sorted by id (packed: generation << 32 | index). */
static int l_people(lua_State *L)
{
    CityPed *ped = ped_of(L);
    size_t n = city_ped_count(ped);
    /* Slots are not id order: sort packed ids with their slots. */
    uint64_t *key = lua_newuserdatauv(L, (n + 1) * 2 * sizeof(uint64_t), 0);
    for (size_t i = 0; i < n; i++) {
        CityPedView v;
        city_ped_at(ped, i, &v);
        key[2 * i] = city_id_pack(v.id);
        key[2 * i + 1] = i;
    }
    for (size_t i = 1; i < n; i++) /* insertion sort keeps this file free of qsort's callbacks */
        for (size_t j = i; j > 0 && key[2 * (j - 1)] > key[2 * j]; j--) {
            uint64_t a = key[2 * j], b = key[2 * j + 1];
            key[2 * j] = key[2 * (j - 1)];
            key[2 * j + 1] = key[2 * (j - 1) + 1];
            key[2 * (j - 1)] = a;
            key[2 * (j - 1) + 1] = b;
        }
    lua_createtable(L, (int)n, 0);
    for (size_t k = 0; k < n; k++) {
        CityPedView v;
        city_ped_at(ped, (size_t)key[2 * k + 1], &v);
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, (lua_Integer)city_id_pack(v.id));
        lua_setfield(L, -2, "id");
        lua_pushnumber(L, v.x_m);
        lua_setfield(L, -2, "x");
        lua_pushnumber(L, v.y_m);
        lua_setfield(L, -2, "y");
        lua_pushnumber(L, hypot(v.vx_mps, v.vy_mps));
        lua_setfield(L, -2, "speed");
        lua_pushinteger(L, (lua_Integer)v.area + 1);
        lua_setfield(L, -2, "area");
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    return 1;
}

/* city.ped.stats() -> { departed, arrived, walking, waiting, updates, mean_walk_time } */
static int l_stats(lua_State *L)
{
    CityPed *ped = ped_of(L);
    CityPedStats s;
    city_ped_stats(ped, &s);
    lua_createtable(L, 0, 6);
    const struct {
        const char *k;
        double v;
    } f[] = {{"departed", (double)s.departed},
             {"arrived", (double)s.arrived},
             {"walking", (double)city_ped_count(ped)},
             {"waiting", (double)s.waiting},
             {"updates", (double)s.updates},
             {"mean_walk_time", s.arrived ? s.walk_time_s / (double)s.arrived : 0.0}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushnumber(L, f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
    return 1;
}

/* city.ped.crossings() -> { {id, junction, signal, priority, x, y, x1, y1, x2, y2, length, width}, ... } in
 * declaration order */
static int l_crossings(lua_State *L)
{
    CityPed *ped = ped_of(L);
    int32_t n = city_ped_crossing_count(ped);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        const CityPedCrossingDef *d = city_ped_crossing_get(ped, i);
        lua_createtable(L, 0, 8);
        lua_pushstring(L, d->id);
        lua_setfield(L, -2, "id");
        lua_pushstring(L, d->junction ? d->junction : "");
        lua_setfield(L, -2, "junction");
        lua_pushboolean(L, d->tls != NULL && d->tls_link >= 0);
        lua_setfield(L, -2, "signal");
        lua_pushboolean(L, d->priority);
        lua_setfield(L, -2, "priority");
        lua_pushnumber(L, 0.5 * (d->x1 + d->x2));
        lua_setfield(L, -2, "x");
        lua_pushnumber(L, 0.5 * (d->y1 + d->y2));
        lua_setfield(L, -2, "y");
        lua_pushnumber(L, hypot(d->x2 - d->x1, d->y2 - d->y1));
        lua_setfield(L, -2, "length");
        const struct {
            const char *k;
            double v;
        } ends[] = {{"x1", d->x1}, {"y1", d->y1}, {"x2", d->x2}, {"y2", d->y2}};
        for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++) {
            lua_pushnumber(L, ends[k].v);
            lua_setfield(L, -2, ends[k].k);
        }
        lua_pushnumber(L, d->width_m);
        lua_setfield(L, -2, "width");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* city.ped.crossing{ id =, priority = }: makes a crossing a zebra (vehicles yield) or not. */
static int l_crossing(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *id = city_lua_field_string(L, 1, "id", NULL);
    lua_getfield(L, 1, "priority");
    if (!id || lua_type(L, -1) != LUA_TBOOLEAN)
        return luaL_error(L, "city.ped.crossing needs id = \"<crossing id>\" and priority = true or false");
    bool priority = lua_toboolean(L, -1);
    lua_pop(L, 1);
    CityPed *ped = ped_of(L);
    int32_t k = city_ped_crossing_find(ped, id);
    if (k < 0)
        return luaL_error(L, "city.ped.crossing: no crossing '%s'; city.ped.crossings() lists them", id);
    return check(L, ped, city_ped_crossing_set_priority(ped, k, priority));
}

/* city.ped.set_yield(on): drivers yield to people at crossings (true) or ignore them (false), from now on. */
static int l_set_yield(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TBOOLEAN);
    CityWorld *w = city_lua_world(L);
    CityStatus st = city_ped_road_set_yield(w, lua_toboolean(L, 1));
    return st == CITY_OK ? 0 : city_lua_raise(L, w, st);
}

/* city.ped.conflicts{ since = s } -> { {time, x, y, type, ttc, pet, collision}, ... } oldest first */
static int l_conflicts(lua_State *L)
{
    double since = 0;
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        since = city_lua_field_number(L, 1, "since", 0);
    }
    CityWorld *w = city_lua_world(L);
    CityConflictMark marks[256];
    int32_t n = city_ped_road_conflicts(w, since, marks, 256);
    n = n > 256 ? 256 : n;
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        const CityConflictMark *m = &marks[i];
        lua_createtable(L, 0, 7);
        const struct {
            const char *k;
            double v;
        } f[] = {{"time", m->time_s}, {"x", m->x_m}, {"y", m->y_m}, {"ttc", m->ttc_s}, {"pet", m->pet_s}};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
            if (isfinite(f[k].v)) {
                lua_pushnumber(L, f[k].v);
                lua_setfield(L, -2, f[k].k);
            }
        }
        lua_pushstring(L, m->type == CITY_CONFLICT_VEH_PED ? "vehicle-pedestrian" : "vehicle-vehicle");
        lua_setfield(L, -2, "type");
        lua_pushboolean(L, m->collision);
        lua_setfield(L, -2, "collision");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* city.ped.safety() -> { conflicts, collisions, ped_conflicts_ttc, attached } so far */
static int l_safety(lua_State *L)
{
    uint64_t conflicts, collisions, ped_ttc;
    bool attached = city_ped_road_counts(city_lua_world(L), &conflicts, &collisions, &ped_ttc);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)conflicts);
    lua_setfield(L, -2, "conflicts");
    lua_pushinteger(L, (lua_Integer)collisions);
    lua_setfield(L, -2, "collisions");
    lua_pushinteger(L, (lua_Integer)ped_ttc);
    lua_setfield(L, -2, "ped_conflicts_ttc");
    lua_pushboolean(L, attached);
    lua_setfield(L, -2, "attached");
    return 1;
}

int city_lua_open_ped(lua_State *L)
{
    static const luaL_Reg fns[] = {{"config", l_config},
                                   {"area", l_area},
                                   {"room", l_room},
                                   {"corridor", l_corridor},
                                   {"door", l_door},
                                   {"wall", l_wall},
                                   {"set_door", l_set_door},
                                   {"periodic", l_periodic},
                                   {"load_sumo", l_load_sumo},
                                   {"place", l_place},
                                   {"spawn", l_spawn},
                                   {"flow", l_flow},
                                   {"route_length", l_route_length},
                                   {"people", l_people},
                                   {"stats", l_stats},
                                   {"crossings", l_crossings},
                                   {"crossing", l_crossing},
                                   {"set_yield", l_set_yield},
                                   {"conflicts", l_conflicts},
                                   {"safety", l_safety},
                                   {NULL, NULL}};
    luaL_newlibtable(L, fns);
    lua_newtable(L); /* places, shared by every function */
    luaL_setfuncs(L, fns, 1);
    return 1;
}
