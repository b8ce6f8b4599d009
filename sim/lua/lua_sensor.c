/* city.sensor: declare sensor channels one by one or in bulk (a loop on
 * every approach lane, an air sensor every N metres), read their metadata
 * and last readings, feed manual ones. See scenarios/API.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_lua.h"
#include "city_road.h"
#include "city_sensor.h"
#include "lua_fields.h"
#include "lua_modules.h"

static CityQuantity quantity_arg(lua_State *L, const char *name, const char *where)
{
    CityQuantity q = CITY_QTY_COUNT;
    if (!city_quantity_parse(name, &q))
        luaL_error(L,
                   "%s: unknown quantity '%s' (count, occupancy, speed, pm25, pm10, nox, temperature, "
                   "humidity, irradiance, wind_speed, wind_dir, energy, voltage, current, power, status, people)",
                   where, name);
    return q;
}

/* The measurement options shared by every declaring function, from table t. */
static void read_model(lua_State *L, int t, CitySensorDef *d, const char *where)
{
    d->period_s = city_lua_field_number(L, t, "period_s", d->period_s);
    d->latency_s = city_lua_field_number(L, t, "latency_s", d->latency_s);
    d->noise_sd = city_lua_field_number(L, t, "noise_sd", d->noise_sd);
    d->bias = city_lua_field_number(L, t, "bias", d->bias);
    d->drift_per_h = city_lua_field_number(L, t, "drift_per_h", d->drift_per_h);
    d->quantum = city_lua_field_number(L, t, "quantum", d->quantum);
    d->min = city_lua_field_number(L, t, "min", d->min);
    d->max = city_lua_field_number(L, t, "max", d->max);
    d->dropout_p = city_lua_field_number(L, t, "dropout", d->dropout_p);
    d->rh_kappa = city_lua_field_number(L, t, "rh_kappa", d->rh_kappa);
    d->radius_m = city_lua_field_number(L, t, "radius_m", d->radius_m);
    d->fault_at_s = city_lua_field_number(L, t, "fault_at_s", d->fault_at_s);
    d->mttf_s = city_lua_field_number(L, t, "mttf_s", d->mttf_s);
    d->fault_size = city_lua_field_number(L, t, "fault_size", d->fault_size);
    const char *fault = city_lua_field_string(L, t, "fault", NULL);
    if (fault && !city_sensor_fault_parse(fault, &d->fault))
        luaL_error(L, "%s: fault '%s' is not none, stuck, dead, chatter or offset", where, fault);
}

/* Position of a bus of the grid by id (0, 0 when not found). */
static void bus_xy(const CityGrid *grid, int32_t bus_id, double *x, double *y)
{
    int32_t nb;
    const CityGridBus *b = city_grid_buses(grid, &nb);
    for (int32_t i = 0; i < nb; i++)
        if (b[i].id == bus_id) {
            *x = b[i].x_m;
            *y = b[i].y_m;
        }
}

/* The grid element a power-side channel watches: load = (meter), bus = or
 * branch = (feeder), charger =, lights = ids, as the index the coupling reads. */
static void grid_target(lua_State *L, CitySensorDef *d)
{
    CityGrid *grid = city_grid_of(city_lua_world(L));
    const char *key = d->kind == CITY_SENSOR_METER         ? "load"
                      : d->kind == CITY_SENSOR_CHARGER     ? "charger"
                      : d->kind == CITY_SENSOR_STREETLIGHT ? "lights"
                                                           : (d->quantity == CITY_QTY_VOLTAGE ? "bus" : "branch");
    if (!grid || !city_lua_field_has(L, 1, key))
        luaL_error(L, "city.sensor.add: a %s sensor needs a power grid and %s = <id>", city_sensor_kind_name(d->kind),
                   key);
    const int32_t id = city_lua_field_int(L, 1, key, true, 0);
    int32_t n = 0, bus = -1;
    d->target = -1;
    if (d->kind == CITY_SENSOR_METER) {
        const CityGridLoad *v = city_grid_loads(grid, &n);
        for (int32_t i = 0; i < n && d->target < 0; i++)
            if (v[i].id == id)
                d->target = i, bus = v[i].bus;
    } else if (d->kind == CITY_SENSOR_CHARGER) {
        const CityGridCharger *v = city_grid_chargers(grid, &n);
        for (int32_t i = 0; i < n && d->target < 0; i++)
            if (v[i].id == id)
                d->target = i, bus = v[i].bus;
    } else if (d->kind == CITY_SENSOR_STREETLIGHT) {
        const CityGridLights *v = city_grid_lights(grid, &n);
        for (int32_t i = 0; i < n && d->target < 0; i++)
            if (v[i].id == id)
                d->target = i, bus = v[i].bus;
    } else if (d->quantity == CITY_QTY_VOLTAGE) {
        const CityGridBus *v = city_grid_buses(grid, &n);
        for (int32_t i = 0; i < n && d->target < 0; i++)
            if (v[i].id == id)
                d->target = i, bus = id;
    } else {
        const CityGridBranch *v = city_grid_branches(grid, &n);
        for (int32_t i = 0; i < n && d->target < 0; i++)
            if (v[i].id == id)
                d->target = i, bus = v[i].from_bus;
    }
    if (d->target < 0)
        luaL_error(L, "city.sensor.add: no %s %d in the grid", key, (int)id);
    if (!city_lua_field_has(L, 1, "x"))
        bus_xy(grid, bus, &d->x_m, &d->y_m);
}

static void add_or_raise(lua_State *L, const CitySensorDef *d)
{
    CityWorld *w = city_lua_world(L);
    if (city_sensor_add(w, d) < 0)
        city_lua_raise(L, w, CITY_ERR_INVALID);
}

/* city.sensor.add{ name=, kind=, quantity=, x=, y=, lane=, pos_m=, ...model } */
static int l_add(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *name = city_lua_field_string(L, 1, "name", NULL);
    const char *kind_s = city_lua_field_string(L, 1, "kind", "manual");
    const char *q_s = city_lua_field_string(L, 1, "quantity", NULL);
    if (!name || !q_s)
        return luaL_error(L, "city.sensor.add: give name = \"...\" and quantity = \"...\"");
    CitySensorKind kind;
    if (!city_sensor_kind_parse(kind_s, &kind))
        return luaL_error(L,
                          "city.sensor.add: kind '%s' is not loop, camera, radar, air, weather, meter, feeder, "
                          "charger, streetlight, manual, queue or emergency",
                          kind_s);
    CitySensorDef d = city_sensor_def_default(kind, quantity_arg(L, q_s, "city.sensor.add"), name);
    d.x_m = city_lua_field_number(L, 1, "x", 0.0);
    d.y_m = city_lua_field_number(L, 1, "y", 0.0);
    const char *lane = city_lua_field_string(L, 1, "lane", NULL);
    if (kind == CITY_SENSOR_LOOP || kind == CITY_SENSOR_QUEUE || kind == CITY_SENSOR_EMERGENCY) {
        CityRoad *road = city_road_of(city_lua_world(L));
        if (!road || !lane)
            return luaL_error(L, "city.sensor.add: a %s detector needs a road network and lane = \"<lane id>\"",
                              kind_s);
        const CityRoadNet *net = city_road_net(road);
        d.target = city_road_net_find_lane(net, lane);
        if (d.target < 0)
            return luaL_error(L, "city.sensor.add: no lane '%s' in the network", lane);
        d.pos_m = city_lua_field_number(L, 1, "pos_m", net->lanes[d.target].length_m / 2);
        CityPoint p;
        city_road_lane_point(net, d.target, d.pos_m, &p, NULL);
        d.x_m = p.x;
        d.y_m = p.y;
        if (d.quantity == CITY_QTY_OCCUPANCY)
            d.agg = CITY_AGG_MEAN;
    }
    if (kind == CITY_SENSOR_METER || kind == CITY_SENSOR_FEEDER || kind == CITY_SENSOR_CHARGER ||
        kind == CITY_SENSOR_STREETLIGHT)
        grid_target(L, &d);
    read_model(L, 1, &d, "city.sensor.add");
    add_or_raise(L, &d);
    lua_pushstring(L, name);
    return 1;
}

/* A lane id as a sensor name: "loop." and the id with other characters as '_'. */
static void loop_name(char *buf, size_t len, const char *prefix, const char *id)
{
    snprintf(buf, len, "%s%s", prefix, id);
    for (char *p = buf; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == ':' || *p == '.' || *p == '_'))
            *p = '_';
}

/* city.sensor.loops{ offset_m = 30, all = false, ...model }: count,
 * occupancy and speed channels on every lane that enters a traffic light
 * (all = true: every normal lane), offset_m before the stop line. */
static int l_loops(lua_State *L)
{
    if (lua_isnoneornil(L, 1))
        lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityWorld *w = city_lua_world(L);
    CityRoad *road = city_road_of(w);
    if (!road)
        return luaL_error(L, "city.sensor.loops: load or build a road network first");
    const CityRoadNet *net = city_road_net(road);
    const double offset = city_lua_field_number(L, 1, "offset_m", 30.0);
    const bool all = city_lua_field_bool(L, 1, "all", false);
    const char *prefix = city_lua_field_string(L, 1, "prefix", "loop.");
    int32_t placed = 0;
    for (int32_t l = 0; l < net->n_lanes; l++) {
        const CityLane *ln = &net->lanes[l];
        if (net->edges[ln->edge].internal)
            continue;
        bool approach = all;
        for (int32_t k = 0; k < ln->out_count && !approach; k++)
            approach = net->conns[ln->out_first + k].tls >= 0;
        if (!approach)
            continue;
        char name[CITY_SENSOR_NAME_MAX];
        loop_name(name, sizeof name, prefix, ln->id);
        if (!city_sensor_name_valid(name) ||
            city_sensor_find(city_sensors_of(w), name, CITY_QTY_COUNT) >= 0) /* cut or clashing ids */
            snprintf(name, sizeof name, "%slane%d", prefix, (int)l);
        const CityQuantity qs[3] = {CITY_QTY_COUNT, CITY_QTY_OCCUPANCY, CITY_QTY_SPEED};
        for (int k = 0; k < 3; k++) {
            CitySensorDef d = city_sensor_def_default(CITY_SENSOR_LOOP, qs[k], name);
            d.period_s = 60.0;
            d.target = l;
            d.pos_m = ln->length_m > offset ? ln->length_m - offset : ln->length_m / 2;
            if (qs[k] == CITY_QTY_OCCUPANCY)
                d.agg = CITY_AGG_MEAN;
            CityPoint p;
            city_road_lane_point(net, l, d.pos_m, &p, NULL);
            d.x_m = p.x;
            d.y_m = p.y;
            read_model(L, 1, &d, "city.sensor.loops");
            add_or_raise(L, &d);
        }
        placed++;
    }
    lua_pushinteger(L, placed);
    return 1;
}

/* city.sensor.grid{ every_m = or count =, quantity = "pm25", kind = "air", x0, y0, x1, y1, prefix, ...model }:
 * a sensor at every grid point, default extent the road network. */
static int l_grid(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    CityWorld *w = city_lua_world(L);
    const char *kind_s = city_lua_field_string(L, 1, "kind", "air");
    CitySensorKind kind;
    if (!city_sensor_kind_parse(kind_s, &kind))
        return luaL_error(L, "city.sensor.grid: unknown kind '%s'", kind_s);
    CityQuantity q = quantity_arg(L, city_lua_field_string(L, 1, "quantity", "pm25"), "city.sensor.grid");
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    CityRoad *road = city_road_of(w);
    if (road) {
        const CityRoadNet *net = city_road_net(road);
        x0 = net->min_x, y0 = net->min_y, x1 = net->max_x, y1 = net->max_y;
    }
    x0 = city_lua_field_number(L, 1, "x0", x0);
    y0 = city_lua_field_number(L, 1, "y0", y0);
    x1 = city_lua_field_number(L, 1, "x1", x1);
    y1 = city_lua_field_number(L, 1, "y1", y1);
    /* count = n: the spacing that puts about n sensors on the extent */
    const double count = city_lua_field_number(L, 1, "count", 0.0);
    double every = city_lua_field_number(L, 1, "every_m", 0.0);
    if (count >= 1 && x1 > x0 && y1 > y0)
        every = sqrt((x1 - x0) * (y1 - y0) / count);
    if (!(every >= 1.0))
        return luaL_error(L, "city.sensor.grid: every_m must be at least 1 (metres between sensors), or give count");
    if (!(x1 > x0 && y1 > y0) || (x1 - x0) / every * ((y1 - y0) / every) > 1e6)
        return luaL_error(L,
                          "city.sensor.grid: need x1 > x0 and y1 > y0 (or a road network), at most a million points");
    const char *prefix = city_lua_field_string(L, 1, "prefix", city_quantity_name(q));
    int32_t placed = 0;
    for (int32_t j = 0; y0 + (j + 0.5) * every < y1; j++)
        for (int32_t i = 0; x0 + (i + 0.5) * every < x1; i++) {
            char name[CITY_SENSOR_NAME_MAX];
            snprintf(name, sizeof name, "%s.%d.%d", prefix, (int)i, (int)j);
            CitySensorDef d = city_sensor_def_default(kind, q, name);
            d.x_m = x0 + (i + 0.5) * every;
            d.y_m = y0 + (j + 0.5) * every;
            read_model(L, 1, &d, "city.sensor.grid");
            add_or_raise(L, &d);
            placed++;
        }
    lua_pushinteger(L, placed);
    return 1;
}

/* city.sensor.meters{ prefix = "meter.", period_s = 900, ...model }: a smart meter
 * (15-minute energy) on every load of the grid, named prefix..id; returns how many. */
static int l_meters(lua_State *L)
{
    if (lua_isnoneornil(L, 1))
        lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    CityGrid *grid = city_grid_of(city_lua_world(L));
    if (!grid)
        return luaL_error(L, "city.sensor.meters: build a power grid with loads first");
    const char *prefix = city_lua_field_string(L, 1, "prefix", "meter.");
    int32_t n;
    const CityGridLoad *loads = city_grid_loads(grid, &n);
    for (int32_t i = 0; i < n; i++) {
        char name[CITY_SENSOR_NAME_MAX];
        snprintf(name, sizeof name, "%s%d", prefix, (int)loads[i].id);
        CitySensorDef d = city_sensor_def_default(CITY_SENSOR_METER, CITY_QTY_ENERGY, name);
        d.period_s = 900.0;
        d.target = i;
        bus_xy(grid, loads[i].bus, &d.x_m, &d.y_m);
        read_model(L, 1, &d, "city.sensor.meters");
        add_or_raise(L, &d);
    }
    lua_pushinteger(L, n);
    return 1;
}

static int channel_arg(lua_State *L, const char *where)
{
    const char *name = luaL_checkstring(L, 1);
    CityQuantity q = quantity_arg(L, luaL_checkstring(L, 2), where);
    int32_t i = city_sensor_find(city_sensors_of(city_lua_world(L)), name, q);
    if (i < 0)
        return luaL_error(L, "%s: no sensor '%s' measuring %s", where, name, city_quantity_name(q));
    return i;
}

/* city.sensor.list(): array of {name, kind, quantity, unit, x, y, period_s, latency_s}, in the order added. */
static int l_list(lua_State *L)
{
    const CitySensors *s = city_sensors_of(city_lua_world(L));
    const int32_t n = city_sensor_count(s);
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        lua_createtable(L, 0, 8);
        lua_pushstring(L, d->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, city_sensor_kind_name(d->kind));
        lua_setfield(L, -2, "kind");
        lua_pushstring(L, city_quantity_name(d->quantity));
        lua_setfield(L, -2, "quantity");
        lua_pushstring(L, city_quantity_unit(d->quantity));
        lua_setfield(L, -2, "unit");
        lua_pushnumber(L, d->x_m);
        lua_setfield(L, -2, "x");
        lua_pushnumber(L, d->y_m);
        lua_setfield(L, -2, "y");
        lua_pushnumber(L, d->period_s);
        lua_setfield(L, -2, "period_s");
        lua_pushnumber(L, d->latency_s);
        lua_setfield(L, -2, "latency_s");
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* city.sensor.last(name, quantity): {value, truth, measured_s, arrives_s, quality, failed, samples,
 * readings}, value fields nil before the first reading. */
static int l_last(lua_State *L)
{
    int32_t i = channel_arg(L, "city.sensor.last");
    CitySensorStatus st;
    city_sensor_status(city_sensors_of(city_lua_world(L)), i, &st);
    lua_createtable(L, 0, 8);
    if (st.has_last) {
        lua_pushnumber(L, st.last.value);
        lua_setfield(L, -2, "value");
        if (!isnan(st.last_truth)) {
            lua_pushnumber(L, st.last_truth);
            lua_setfield(L, -2, "truth");
        }
        lua_pushnumber(L, st.last.measured_ms / 1000.0);
        lua_setfield(L, -2, "measured_s");
        lua_pushnumber(L, st.last.arrives_ms / 1000.0);
        lua_setfield(L, -2, "arrives_s");
        lua_pushstring(L, city_quality_name(st.last.quality));
        lua_setfield(L, -2, "quality");
    }
    lua_pushboolean(L, st.failed);
    lua_setfield(L, -2, "failed");
    lua_pushinteger(L, (lua_Integer)st.samples);
    lua_setfield(L, -2, "samples");
    lua_pushinteger(L, (lua_Integer)st.readings);
    lua_setfield(L, -2, "readings");
    return 1;
}

/* city.sensor.readings(quantity): the last reading of every channel of that
 * quantity that has one, in the order added, as parallel arrays
 * { n, name, value, truth, measured_s, arrives_s, quality } (truth NaN when
 * unknown): a scenario that tallies thousands of sensors reads them in one
 * call, not a table per sensor per call of city.sensor.last. */
static int l_readings(lua_State *L)
{
    const CityQuantity q = quantity_arg(L, luaL_checkstring(L, 1), "city.sensor.readings");
    const CitySensors *s = city_sensors_of(city_lua_world(L));
    const int32_t n = city_sensor_count(s);
    int32_t of_q = 0;
    for (int32_t i = 0; i < n; i++)
        of_q += city_sensor_def(s, i)->quantity == q;
    static const char *const fields[] = {"name", "value", "truth", "measured_s", "arrives_s", "quality"};
    enum { N_FIELDS = sizeof fields / sizeof fields[0] };
    lua_createtable(L, 0, N_FIELDS + 1);
    const int top = lua_gettop(L);
    for (int f = 0; f < N_FIELDS; f++)
        lua_createtable(L, of_q, 0); /* at top + 1 + f */
    lua_Integer k = 0;
    for (int32_t i = 0; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        if (d->quantity != q)
            continue;
        CitySensorStatus st;
        city_sensor_status(s, i, &st);
        if (!st.has_last)
            continue;
        k++;
        lua_pushstring(L, d->name);
        lua_rawseti(L, top + 1, k);
        lua_pushnumber(L, st.last.value);
        lua_rawseti(L, top + 2, k);
        lua_pushnumber(L, st.last_truth);
        lua_rawseti(L, top + 3, k);
        lua_pushnumber(L, st.last.measured_ms / 1000.0);
        lua_rawseti(L, top + 4, k);
        lua_pushnumber(L, st.last.arrives_ms / 1000.0);
        lua_rawseti(L, top + 5, k);
        lua_pushstring(L, city_quality_name(st.last.quality));
        lua_rawseti(L, top + 6, k);
    }
    for (int f = N_FIELDS - 1; f >= 0; f--) /* the arrays from the top down into the result */
        lua_setfield(L, top, fields[f]);
    lua_pushinteger(L, k);
    lua_setfield(L, top, "n");
    return 1;
}

/* city.sensor.feed(name, quantity, value): the truth of a manual channel (set; counts add). */
static int l_feed(lua_State *L)
{
    int32_t i = channel_arg(L, "city.sensor.feed");
    double v = luaL_checknumber(L, 3);
    CitySensors *s = city_sensors_of(city_lua_world(L));
    if (city_sensor_def(s, i)->kind != CITY_SENSOR_MANUAL)
        return luaL_error(L, "city.sensor.feed: '%s' is fed by the simulation, not the scenario (kind manual only)",
                          lua_tostring(L, 1));
    if (city_sensor_def(s, i)->agg == CITY_AGG_LAST)
        city_sensor_feed_value(s, i, v);
    else
        city_sensor_feed_add(s, i, v);
    return 0;
}

int city_lua_open_sensor(lua_State *L)
{
    static const luaL_Reg fns[] = {{"add", l_add},           {"loops", l_loops}, {"grid", l_grid},
                                   {"meters", l_meters},     {"list", l_list},   {"last", l_last},
                                   {"readings", l_readings}, {"feed", l_feed},   {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
