/* Weather -> power: when a scenario has both an environment and a power
 * grid, the grid's outdoor temperature (buildings' cooling load) and
 * irradiance (PV output, streetlights) follow the environment's weather,
 * heat-wave episodes included: the weather is sampled every 10 minutes
 * over the first week when the coupling attaches (after the scenario
 * built both) and handed to the grid's own series. Nothing runs per tick. */
#include <stdlib.h>

#include "city_env.h"
#include "city_grid.h"
#include "city_grid_sim.h"
#include "couple_internal.h"

#define WP_STEP_S 600.0             /* sampling step of the handed-over series */
#define WP_SAMPLES (7 * 24 * 6 + 1) /* a week */

static CityStatus weather_power_step(CityWorld *w, void *self, int64_t tick)
{
    (void)w;
    (void)self;
    (void)tick;
    return CITY_OK;
}

CityStatus couple_weather_power_attach(CityWorld *world, const char *name)
{
    CityEnv *env = city_env_of(world);
    CityGrid *grid = city_grid_of(world);
    if (!env || !grid)
        return CITY_OK;
    double *buf = malloc(3 * WP_SAMPLES * sizeof *buf);
    if (!buf)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    double *t = buf, *temp = buf + WP_SAMPLES, *ghi = buf + 2 * WP_SAMPLES;
    for (int32_t i = 0; i < WP_SAMPLES; i++) {
        CityWeather wx;
        t[i] = i * WP_STEP_S;
        city_env_weather_at(env, t[i], &wx);
        temp[i] = wx.temp_c;
        ghi[i] = wx.ghi_wm2;
    }
    CityStatus st = city_grid_set_temperature(grid, t, temp, WP_SAMPLES, false);
    if (st == CITY_OK)
        st = city_grid_set_irradiance(grid, t, ghi, WP_SAMPLES, false);
    free(buf);
    if (st != CITY_OK)
        return city_world_fail(world, st, "%s: the grid refused the weather series", name);
    /* registered (never run) so the world knows it is attached */
    char *self = calloc(1, 1);
    if (!self)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    CitySubsystemDef def = {name,
                            CITY_PHASE_COMMIT,
                            0,
                            0,
                            weather_power_step,
                            NULL,
                            free,
                            NULL,
                            city_state_save_none,
                            city_state_load_none};
    st = city_world_add_subsystem(world, &def, self);
    if (st != CITY_OK)
        free(self);
    return st;
}
