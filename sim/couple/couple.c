/* The table of couplings, in the order they run inside COMMIT. A new
 * coupling (people <-> vehicles at crossings, traffic -> emissions, every
 * domain -> sensors, controllers -> actuators) is one file here and one
 * line in this table. */
#include <stddef.h>
#include <stdlib.h>

#include "couple_internal.h"

static const CouplingDef couplings[] = {
    {"ev_charging", couple_ev_attach},                /* road arrivals -> grid chargers */
    {"emission", couple_emission_attach},             /* traffic -> emissions -> air grid */
    {"sensor_road", couple_sensor_road_attach},       /* vehicles -> loops, cameras, radar */
    {"sensor_lane", couple_sensor_lane_attach},       /* vehicles -> queue and emergency detectors */
    {"sensor_env", couple_sensor_env_attach},         /* weather and air -> weather and air sensors */
    {"weather_power", couple_weather_power_attach},   /* weather -> cooling load, PV, streetlights */
    {"sensor_power", couple_sensor_power_attach},     /* meters, feeders, chargers, lights -> sensors */
    {"control_road", couple_control_road_attach},     /* actuators -> traffic lights */
    {"control_power", couple_control_power_attach},   /* actuators -> batteries, streetlights */
    {"ped_env", couple_ped_env_attach},               /* air at people's positions -> exposure */
    {"sensor_ped", couple_sensor_ped_attach},         /* people in view -> cameras, radar */
    {"control_access", couple_control_access_attach}, /* actuators -> road access restrictions */
    {"ped_road", couple_ped_road_attach},             /* people <-> vehicles at crossings, conflicts */
    {NULL, NULL},                                     /* end of table */
};

CityStatus couple_attach_commit(CityWorld *world, const char *name, void *self,
                                CityStatus (*step)(CityWorld *world, void *self, int64_t tick),
                                void (*destroy)(void *self),
                                CityStatus (*load)(CityWorld *world, void *self, CityStateReader *in))
{
    CitySubsystemDef def = {name,
                            CITY_PHASE_COMMIT,
                            1,
                            0,
                            step,
                            NULL,
                            destroy,
                            NULL,
                            city_state_save_none,
                            load ? load : city_state_load_none};
    CityStatus st = city_world_add_subsystem(world, &def, self);
    if (st != CITY_OK)
        destroy(self);
    return st;
}

CityStatus couple_attach_stateless(CityWorld *world, const char *name,
                                   CityStatus (*step)(CityWorld *world, void *self, int64_t tick),
                                   CityStatus (*load)(CityWorld *world, void *self, CityStateReader *in))
{
    char *self = calloc(1, 1);
    if (!self)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    return couple_attach_commit(world, name, self, step, free, load);
}

void couple_save_applied(CityStateWriter *out, int32_t n, const double *applied)
{
    city_state_put_i64(out, n);
    city_state_put_array(out, applied, (size_t)n, sizeof *applied);
}

CityStatus couple_load_applied(CityStateReader *in, int32_t n, double *applied)
{
    if (city_state_get_i64(in) != n) {
        city_state_fail(in, "the checkpoint has another number of actuators than the scenario declares");
        return CITY_ERR_PARSE;
    }
    city_state_get_array(in, applied, (size_t)n, sizeof *applied, "actuator values applied");
    return in->bad ? CITY_ERR_PARSE : CITY_OK;
}

CityStatus city_couple_attach_all(CityWorld *world)
{
    for (const CouplingDef *c = couplings; c->name; c++) {
        if (city_world_subsystem(world, c->name))
            continue;
        CityStatus st = c->attach(world, c->name);
        if (st != CITY_OK)
            return st;
    }
    return CITY_OK;
}
