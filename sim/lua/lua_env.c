/* city.env: weather series, heat-wave and fine-dust episodes, background
 * levels, the air-quality grid and what it reads. See scenarios/API.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "city_couple.h"
#include "city_env.h"
#include "city_lua.h"
#include "city_road.h"
#include "city_weather_csv.h"
#include "lua_fields.h"
#include "lua_modules.h"

#define WEATHER_MAX 100000 /* samples in one series */

static CityEnv *env_of(lua_State *L)
{
    CityWorld *w = city_lua_world(L);
    CityEnv *env = city_env_ensure(w);
    if (!env)
        city_lua_raise(L, w, CITY_ERR_NOMEM);
    return env;
}

static int check(lua_State *L, CityStatus st)
{
    return st == CITY_OK ? 0 : city_lua_raise(L, city_lua_world(L), st);
}

/* city.env.weather{ csv = "FILE" }: the series from a CSV file (columns in
 * city_weather_csv.h); a column left out keeps the series in place now. */
static int weather_csv(lua_State *L, CityEnv *env)
{
    char path[4096];
    lua_getfield(L, 1, "csv");
    city_lua_data_path(L, lua_gettop(L), path, sizeof path);
    CityWeather *wx = NULL;
    size_t n = 0;
    CityError err = {0};
    if (city_weather_csv_read(path, &wx, &n, &err) != CITY_OK)
        return luaL_error(L, "%s", err.msg);
    /* the samples live in a userdata so a Lua error below frees them */
    CityWeather *s = lua_newuserdatauv(L, n * sizeof *s, 0);
    memcpy(s, wx, n * sizeof *s);
    free(wx);
    for (size_t i = 0; i < n; i++) {
        CityWeather d;
        city_env_weather_at(env, s[i].t_s, &d);
        double *own[] = {&s[i].temp_c, &s[i].rh_pct, &s[i].ghi_wm2, &s[i].wind_mps, &s[i].wind_from_deg};
        const double dflt[] = {d.temp_c, d.rh_pct, d.ghi_wm2, d.wind_mps, d.wind_from_deg};
        for (int k = 0; k < 5; k++)
            if (isnan(*own[k]))
                *own[k] = dflt[k];
    }
    return check(L, city_env_set_weather(env, s, n));
}

/* city.env.weather{ {hour = 0, temp_c =, rh_pct =, ghi_wm2 =, wind_mps =, wind_from_deg =}, ... }
 * (t_s instead of hour for seconds); missing fields keep the default day's value at that time. */
static int l_weather(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityEnv *env = env_of(L);
    if (city_lua_field_has(L, 1, "csv"))
        return weather_csv(L, env);
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || n > WEATHER_MAX)
        return luaL_error(L, "city.env.weather: give an array of 1 to %d samples", WEATHER_MAX);
    CityWeather *s = lua_newuserdatauv(L, (size_t)n * sizeof *s, 0);
    CityEnv *dflt = env; /* missing fields come from the series in place now */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        if (!lua_istable(L, -1))
            return luaL_error(L, "city.env.weather: sample %d is not a table", (int)i);
        int t = lua_gettop(L);
        double ts = city_lua_field_has(L, t, "hour") ? 3600.0 * city_lua_field_number(L, t, "hour", 0)
                                                     : city_lua_field_number(L, t, "t_s", NAN);
        if (isnan(ts))
            return luaL_error(L, "city.env.weather: sample %d needs hour = or t_s =", (int)i);
        CityWeather w;
        city_env_weather_at(dflt, ts, &w);
        w.t_s = ts;
        w.temp_c = city_lua_field_number(L, t, "temp_c", w.temp_c);
        w.rh_pct = city_lua_field_number(L, t, "rh_pct", w.rh_pct);
        w.ghi_wm2 = city_lua_field_number(L, t, "ghi_wm2", w.ghi_wm2);
        w.wind_mps = city_lua_field_number(L, t, "wind_mps", w.wind_mps);
        w.wind_from_deg = city_lua_field_number(L, t, "wind_from_deg", w.wind_from_deg);
        s[i - 1] = w;
        lua_pop(L, 1);
    }
    return check(L, city_env_set_weather(env, s, (size_t)n));
}

/* city.env.episode{ kind = "heat"|"dust", start_s =, ramp_s =, hold_s =, level = } */
static int l_episode(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *kind = city_lua_field_string(L, 1, "kind", "");
    CityEpisode ep = {.start_s = city_lua_field_number(L, 1, "start_s", 0),
                      .ramp_s = city_lua_field_number(L, 1, "ramp_s", 3600),
                      .hold_s = city_lua_field_number(L, 1, "hold_s", 3600),
                      .level = city_lua_field_number(L, 1, "level", NAN)};
    if (!strcmp(kind, "heat"))
        ep.kind = CITY_EPISODE_HEAT;
    else if (!strcmp(kind, "dust"))
        ep.kind = CITY_EPISODE_DUST;
    else
        return luaL_error(L, "city.env.episode: kind must be \"heat\" or \"dust\"");
    if (isnan(ep.level))
        return luaL_error(L, "city.env.episode: give level = (deg C for heat, ug/m3 PM2.5 for dust)");
    return check(L, city_env_add_episode(env_of(L), &ep));
}

/* city.env.background{ pm25 =, pm10 =, nox = } (ug/m3) */
static int l_background(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityEnv *env = env_of(L);
    double t = city_world_time_s(city_lua_world(L));
    double pm25 = city_lua_field_number(L, 1, "pm25", city_env_background(env, CITY_SPECIES_PM25, t));
    double pm10 = city_lua_field_number(L, 1, "pm10", city_env_background(env, CITY_SPECIES_PM10, t));
    double nox = city_lua_field_number(L, 1, "nox", city_env_background(env, CITY_SPECIES_NOX, t));
    return check(L, city_env_set_background(env, pm25, pm10, nox));
}

/* city.env.air{ cell_m =, mixing_height_m =, diffusivity_m2s =, vent_mps =, step_s =, x0, y0, x1, y1,
 * margin_m = 100 }: the air grid, by default over the road network plus a margin. */
static int l_air(lua_State *L)
{
    if (lua_isnoneornil(L, 1))
        lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityWorld *w = city_lua_world(L);
    CityAirOptions o = city_air_options_default();
    CityRoad *road = city_road_of(w);
    const double margin = city_lua_field_number(L, 1, "margin_m", 100.0);
    if (road) {
        const CityRoadNet *net = city_road_net(road);
        o.x0_m = net->min_x - margin, o.y0_m = net->min_y - margin;
        o.x1_m = net->max_x + margin, o.y1_m = net->max_y + margin;
    }
    o.x0_m = city_lua_field_number(L, 1, "x0", o.x0_m);
    o.y0_m = city_lua_field_number(L, 1, "y0", o.y0_m);
    o.x1_m = city_lua_field_number(L, 1, "x1", o.x1_m);
    o.y1_m = city_lua_field_number(L, 1, "y1", o.y1_m);
    o.cell_m = city_lua_field_number(L, 1, "cell_m", o.cell_m);
    o.mixing_height_m = city_lua_field_number(L, 1, "mixing_height_m", o.mixing_height_m);
    o.diffusivity_m2s = city_lua_field_number(L, 1, "diffusivity_m2s", o.diffusivity_m2s);
    o.vent_mps = city_lua_field_number(L, 1, "vent_mps", o.vent_mps);
    o.step_s = city_lua_field_number(L, 1, "step_s", o.step_s);
    return check(L, city_env_air_setup(env_of(L), &o));
}

static CitySpecies species_arg(lua_State *L, int arg)
{
    const char *s = luaL_optstring(L, arg, "pm25");
    for (int sp = 0; sp < CITY_SPECIES_COUNT; sp++)
        if (!strcmp(s, city_species_name((CitySpecies)sp)))
            return (CitySpecies)sp;
    luaL_error(L, "unknown species '%s' (pm25, pm10, nox)", s);
    return CITY_SPECIES_PM25;
}

/* city.env.at(x, y [, species]): background + traffic share now (ug/m3), and the traffic share. */
static int l_at(lua_State *L)
{
    double x = luaL_checknumber(L, 1), y = luaL_checknumber(L, 2);
    CitySpecies sp = species_arg(L, 3);
    CityEnv *env = env_of(L);
    lua_pushnumber(L, city_env_air_at(env, sp, x, y));
    lua_pushnumber(L, city_env_air_traffic(env, sp, x, y));
    return 2;
}

/* city.env.weather_at([t_s]): {temp_c, rh_pct, ghi_wm2, wind_mps, wind_from_deg}, now by default. */
static int l_weather_at(lua_State *L)
{
    double t = luaL_optnumber(L, 1, city_world_time_s(city_lua_world(L)));
    CityWeather w;
    city_env_weather_at(env_of(L), t, &w);
    lua_createtable(L, 0, 5);
    const struct {
        const char *k;
        double v;
    } f[] = {{"temp_c", w.temp_c},
             {"rh_pct", w.rh_pct},
             {"ghi_wm2", w.ghi_wm2},
             {"wind_mps", w.wind_mps},
             {"wind_from_deg", w.wind_from_deg}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushnumber(L, f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
    return 1;
}

/* city.env.budget([species]): {mass_g, emitted_g, outflow_g, vented_g, pending_g} of the air grid. */
static int l_budget(lua_State *L)
{
    CitySpecies sp = species_arg(L, 1);
    CityAirBudget b;
    city_env_air_budget(env_of(L), sp, &b);
    lua_createtable(L, 0, 5);
    const struct {
        const char *k;
        double v;
    } f[] = {{"mass_g", b.mass_ug},
             {"emitted_g", b.emitted_ug},
             {"outflow_g", b.outflow_ug},
             {"vented_g", b.vented_ug},
             {"pending_g", b.pending_ug}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushnumber(L, f[i].v / 1e6);
        lua_setfield(L, -2, f[i].k);
    }
    return 1;
}

/* city.env.exposure(): {persons, person_h, true_ugh_m3, sensed_ugh_m3, mean_true, mean_sensed} of the people
 * walking so far (ug h / m3 of PM2.5; sensed fields nil without PM2.5 sensors), or nil without people. */
static int l_exposure(lua_State *L)
{
    CityPedExposure e;
    if (!city_couple_ped_exposure(city_lua_world(L), &e)) {
        lua_pushnil(L);
        return 1;
    }
    const double n = e.persons > 0 ? e.persons : 1.0;
    lua_createtable(L, 0, 6);
    const struct {
        const char *k;
        double v;
    } f[] = {{"persons", e.persons},           {"person_h", e.person_h},
             {"true_ugh_m3", e.true_ugh_m3},   {"sensed_ugh_m3", e.sensed_ugh_m3},
             {"mean_true", e.true_ugh_m3 / n}, {"mean_sensed", e.sensed_ugh_m3 / n}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (isnan(f[i].v))
            continue;
        lua_pushnumber(L, f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
    return 1;
}

int city_lua_open_env(lua_State *L)
{
    static const luaL_Reg fns[] = {{"weather", l_weather},
                                   {"episode", l_episode},
                                   {"background", l_background},
                                   {"air", l_air},
                                   {"at", l_at},
                                   {"weather_at", l_weather_at},
                                   {"budget", l_budget},
                                   {"exposure", l_exposure},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
