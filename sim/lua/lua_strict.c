/* Strict API tables: a key the binding does not know (a typo like `untl_s`
 * or `lanse`) is an error naming the key and the nearest valid one,
 * raised before the binding acts: the argument-table readers of
 * lua_fields.c check the table on their first read in a listed function.
 * The keys of each checked function are listed here, in one place; a
 * function not listed is not checked. */
#include <string.h>

#include <lauxlib.h>

#include "city_lua.h"
#include "city_text.h"
#include "lua_modules.h"

/* the options every road network takes (lua_road.c read_options) */
#define ROAD_OPTIONS                                                                                                   \
    "reroute_period", "gridlock_time", "time_to_teleport", "detector_offset", "trip_output", "edge_output",            \
        "ev_charge_below", "ev_charger_radius", "ev_dwell"
#define DEPART "depart_lane", "depart_pos", "depart_speed", "speed_factor"
/* the error model every sensor takes (lua_sensor.c read_model) */
#define SENSOR_MODEL                                                                                                   \
    "period_s", "latency_s", "noise_sd", "bias", "drift_per_h", "quantum", "min", "max", "dropout", "rh_kappa",        \
        "radius_m", "fault_at_s", "mttf_s", "fault_size", "fault"

typedef struct StrictFn {
    const char *ns;       /* namespace under city ("" for city itself) */
    const char *name;     /* function name */
    const char *keys[40]; /* the keys of its argument table, NULL-terminated */
} StrictFn;

static const StrictFn STRICT[] = {
    {"", "config", {"dt_ms", "until_s", "name", NULL}},
    {"road", "load_sumo", {"net", "routes", ROAD_OPTIONS, NULL}},
    {"road",
     "grid",
     {"prefix", "nx", "ny", "spacing", "lanes", "speed", "junction", "green", "yellow", ROAD_OPTIONS, NULL}},
    {"road",
     "arterial",
     {"prefix", "cross_streets", "spacing", "cross_length", "lanes", "cross_lanes", "speed", "cross_speed", "junction",
      "green", "yellow", ROAD_OPTIONS, NULL}},
    {"road", "build", {"nodes", "edges", ROAD_OPTIONS, NULL}},
    {"road",
     "vtype",
     {"id", "class", "accel", "decel", "emergency_decel", "tau", "min_gap", "length", "max_speed", "speed_factor",
      "speed_dev", "delta", "politeness", "lc_threshold", "ev", "battery_kwh", "consumption_kwh_per_km", "mass",
      "front_area", "drag_coeff", "roll_coeff", "aux_kw", "drive_eff", "regen_eff", "soc_min", "soc_max", NULL}},
    {"road", "route", {"id", "edges", NULL}},
    {"road", "trip", {"id", "type", "depart", "route", "from", "to", "via", DEPART, NULL}},
    {"road",
     "flow",
     {"id", "type", "begin", "end", "rate", "period", "probability", "number", "poisson", "route", "from", "to", "via",
      DEPART, NULL}},
    {"road", "od", {"id", "type", "begin", "end", "trips", DEPART, NULL}},
    {"grid",
     "bus",
     {"id", "type", "kv", "vm_pu", "va_deg", "pd_kw", "qd_kvar", "p_kw", "gs_kw", "bs_kvar", "feeder", "x", "y", NULL}},
    {"grid", "gen", {"bus", "on", "p_kw", "q_kvar", "vm_pu", NULL}},
    {"grid",
     "line",
     {"id", "from", "to", "kind", "length_km", "r_ohm", "x_ohm", "b_us", "r_pu", "x_pu", "b_pu", "rate_kva", "ratio",
      "shift_deg", "closed", NULL}},
    {"grid",
     "load",
     {"id", "bus", "p_kw", "q_kvar", "pf", "zip", "profile", "area_m2", "cooling_pct_per_c", "t_base_c", NULL}},
    {"grid", "pv", {"id", "bus", "kwp", "derate", NULL}},
    {"grid",
     "battery",
     {"id", "bus", "energy_kwh", "power_kw", "soc", "soc_min", "soc_max", "efficiency", "mode", "setpoint_kw",
      "charge_below_kw", "discharge_above_kw", NULL}},
    {"ped",
     "config",
     {"speed_mean",
      "speed_sd",
      "speed_min",
      "speed_max",
      "max_speed_factor",
      "tau",
      "radius_mean",
      "radius_sd",
      "mass",
      "a",
      "b",
      "lambda",
      "wall_a",
      "wall_b",
      "cutoff",
      "headway_a",
      "headway_t",
      "path_share",
      "evade",
      "noise",
      "slop",
      "wall_radius",
      "max_substep",
      "arrive_radius",
      "iterations",
      "walk_output",
      "yield",
      "red_walkers",
      "critical_gap",
      "gap_speed",
      "gap_startup",
      "conflict_ttc",
      "conflict_pet",
      NULL}},
    {"ped", "load_sumo", {"net", "routes", NULL}},
    {"ped", "crossing", {"id", "priority", NULL}},
    {"ped", "conflicts", {"since", NULL}},
    {"ped", "place", {"name", "x", "y", "radius", NULL}},
    {"ped", "spawn", {"from", "to", "speed", "radius", NULL}},
    {"ped", "flow", {"from", "to", "from_radius", "to_radius", "begin", "end", "rate", "poisson", NULL}},
    {"grid", "charger", {"id", "bus", "ports", "power_kw", "efficiency", "x", "y", NULL}},
    {"grid", "lights", {"id", "bus", "count", "w_each", "dim", "on_below_wm2", NULL}},
    {"env", "weather", {"csv", NULL}},
    {"ped", "room", {"x0", "y0", "x1", "y1", NULL}},
    {"ped", "corridor", {"from", "to", "width", NULL}},
    {"ped", "periodic", {"x0", "x1", NULL}},
    {"env", "episode", {"kind", "start_s", "ramp_s", "hold_s", "level", NULL}},
    {"env", "background", {"pm25", "pm10", "nox", NULL}},
    {"env",
     "air",
     {"margin_m", "x0", "y0", "x1", "y1", "cell_m", "mixing_height_m", "diffusivity_m2s", "vent_mps", "step_s", NULL}},
    {"sensor",
     "add",
     {"name", "kind", "quantity", "x", "y", "lane", "pos_m", "load", "charger", "lights", "bus", "branch", SENSOR_MODEL,
      NULL}},
    {"sensor", "loops", {"all", "offset_m", "prefix", SENSOR_MODEL, NULL}},
    {"sensor", "grid", {"kind", "quantity", "x0", "y0", "x1", "y1", "count", "every_m", "prefix", SENSOR_MODEL, NULL}},
    {"sensor", "meters", {"prefix", SENSOR_MODEL, NULL}},
    {"control",
     "actuator",
     {"name", "kind", "min", "max", "safe", "target", "tls", "battery", "lights", "charger", "load", "classes", "zone",
      "min_green", NULL}},
    {"control",
     "attach",
     {"file", "name", "sensors", "actuators", "params", "period", "stale_s", "instructions", "memory_kb", "bridge",
      NULL}},
};

#define REG_FNS "city.strict"       /* binding function -> its StrictFn */
#define REG_DONE "city.strict.done" /* argument table -> StrictFn it was checked for (weak keys) */

static void check_table(lua_State *L, int t, const StrictFn *fn)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            continue;
        const char *key = lua_tostring(L, -1);
        bool known = false;
        for (size_t i = 0; fn->keys[i] && !known; i++)
            known = strcmp(key, fn->keys[i]) == 0;
        if (known)
            continue;
        const char *near = city_text_nearest(key, fn->keys);
        luaL_error(L, "city%s%s.%s: unknown key '%s'%s%s%s", fn->ns[0] ? "." : "", fn->ns, fn->name, key,
                   near ? "; did you mean '" : " (see scenarios/API.md)", near ? near : "", near ? "'?" : "");
    }
}

void city_lua_strict_check(lua_State *L, int t)
{
    lua_Debug ar;
    /* only the binding's argument table, not tables nested in it */
    if (!lua_istable(L, t) || !lua_rawequal(L, t, 1) || !lua_getstack(L, 0, &ar))
        return;
    t = lua_absindex(L, t);
    lua_getinfo(L, "f", &ar); /* the running binding */
    lua_getfield(L, LUA_REGISTRYINDEX, REG_FNS);
    lua_insert(L, -2);
    lua_rawget(L, -2);
    const StrictFn *fn = lua_touserdata(L, -1);
    lua_pop(L, 2);
    if (!fn)
        return;
    lua_getfield(L, LUA_REGISTRYINDEX, REG_DONE);
    lua_pushvalue(L, t);
    bool done = lua_rawget(L, -2) == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == fn;
    lua_pop(L, 1);
    if (!done) {
        check_table(L, t, fn);
        lua_pushvalue(L, t);
        lua_pushlightuserdata(L, (void *)fn);
        lua_rawset(L, -3);
    }
    lua_pop(L, 1);
}

void city_lua_strict_keys(lua_State *L)
{
    int city = lua_gettop(L);
    lua_newtable(L);
    int fns = lua_gettop(L);
    for (size_t i = 0; i < sizeof STRICT / sizeof STRICT[0]; i++) {
        const StrictFn *fn = &STRICT[i];
        int ns = city;
        if (fn->ns[0]) {
            if (lua_getfield(L, city, fn->ns) != LUA_TTABLE) {
                lua_pop(L, 1);
                continue;
            }
            ns = lua_gettop(L);
        }
        if (lua_getfield(L, ns, fn->name) == LUA_TFUNCTION) {
            lua_pushlightuserdata(L, (void *)fn);
            lua_rawset(L, fns);
        } else {
            lua_pop(L, 1);
        }
        lua_settop(L, fns);
    }
    lua_setfield(L, LUA_REGISTRYINDEX, REG_FNS);
    lua_newtable(L); /* weak-keyed: checking must not keep tables alive */
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_DONE);
}
