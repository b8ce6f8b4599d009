/* Environment -> sensors: air-quality channels read the background plus the
 * traffic share of their cell and the humidity (for the optical PM
 * overestimate); weather channels read the weather. Fed in COMMIT of the
 * tick before each sample (SENSE of the next tick). */
#include <stdlib.h>

#include "city_array.h"
#include "city_env.h"
#include "city_sensor.h"
#include "couple_internal.h"

/* What feeds a channel, one byte: an air species (0 .. SPECIES_COUNT - 1),
 * a weather quantity (FEED_WEATHER + its CityQuantity), or nothing. */
enum { FEED_NONE = -1, FEED_WEATHER = 32 };
_Static_assert((int)CITY_SPECIES_COUNT <= (int)FEED_WEATHER && (int)FEED_WEATHER + (int)CITY_QTY_COUNT_OF <= 127,
               "a feed is one byte");

/* An index rebuilt from the sensors: nothing for a checkpoint. Per
 * channel, in channel order, so a tick visits the due channels without
 * their definitions: one byte, and the air cell only with an air grid. */
typedef struct CoupleSensorEnv {
    int8_t *what;    /* per channel: what feeds it */
    double (*xy)[2]; /* per channel: where it is, m */
    int32_t *cell;   /* per channel: its air cell (-1: outside), for the grid in `grid` */
    int32_t known;   /* channels indexed */
    int32_t cap, cap_xy, cap_cell;
    /* the grid the cells are of: origin and cell size (m), cells across and
     * down (nx 0: none found yet); the cells are found again when it changes */
    double grid_x0, grid_y0, grid_cell;
    int32_t grid_nx, grid_ny;
} CoupleSensorEnv;

static double weather_value(const CityWeather *wx, int32_t q)
{
    switch (q) {
    case CITY_QTY_HUMIDITY:
        return wx->rh_pct;
    case CITY_QTY_IRRADIANCE:
        return wx->ghi_wm2;
    case CITY_QTY_WIND_SPEED:
        return wx->wind_mps;
    case CITY_QTY_WIND_DIR:
        return wx->wind_from_deg;
    default:
        return wx->temp_c;
    }
}

/* Indexes the channels added since the last tick. */
static bool index_new(CoupleSensorEnv *c, const CitySensors *s)
{
    const int32_t n = city_sensor_count(s);
    if (!city_array_grow((void **)&c->what, &c->cap, n, sizeof *c->what) ||
        !city_array_grow((void **)&c->xy, &c->cap_xy, n, sizeof *c->xy) ||
        !city_array_grow((void **)&c->cell, &c->cap_cell, n, sizeof *c->cell))
        return false;
    for (int32_t i = c->known; i < n; i++) {
        const CitySensorDef *d = city_sensor_def(s, i);
        int what = FEED_NONE;
        if (d->kind == CITY_SENSOR_AIR)
            what = d->quantity == CITY_QTY_PM10  ? CITY_SPECIES_PM10
                   : d->quantity == CITY_QTY_NOX ? CITY_SPECIES_NOX
                                                 : CITY_SPECIES_PM25;
        else if (d->kind == CITY_SENSOR_WEATHER)
            what = FEED_WEATHER + (int)d->quantity;
        c->what[i] = (int8_t)what;
        c->xy[i][0] = d->x_m;
        c->xy[i][1] = d->y_m;
    }
    c->known = n;
    c->grid_nx = 0; /* the new channels' cells are found with the next grid check */
    return true;
}

/* Finds every channel's air cell when the grid is not the one they were
 * found in: a tick then reads each channel's value off the field, without
 * a division per channel. (Any grid a cell index fits: 20 million cells at most.) */
static void cells_for_grid(CoupleSensorEnv *c, const CityEnv *env, int32_t nx, int32_t ny)
{
    const CityAirOptions *o = city_env_air_options(env);
    if (c->grid_nx == nx && c->grid_ny == ny && c->grid_x0 == o->x0_m && c->grid_y0 == o->y0_m &&
        c->grid_cell == o->cell_m)
        return;
    for (int32_t i = 0; i < c->known; i++)
        c->cell[i] = (int32_t)city_env_air_cell(env, c->xy[i][0], c->xy[i][1]);
    c->grid_nx = nx;
    c->grid_ny = ny;
    c->grid_x0 = o->x0_m;
    c->grid_y0 = o->y0_m;
    c->grid_cell = o->cell_m;
}

static CityStatus sensor_env_step(CityWorld *w, void *self, int64_t tick)
{
    CoupleSensorEnv *c = self;
    CitySensors *s = city_sensors_of(w);
    CityEnv *env = city_env_of(w);
    CITY_ASSERT(s && env);
    if (c->known != city_sensor_count(s) && !index_new(c, s))
        return city_world_fail(w, CITY_ERR_NOMEM, "out of memory indexing air and weather sensors");
    int32_t n_due;
    const int32_t *due = city_sensors_due(s, tick + 1, &n_due);
    if (n_due == 0)
        return CITY_OK;
    /* the state at the end of this tick, which the next SENSE samples; the
     * weather and the backgrounds once per tick, then only the channels due */
    const double t_s = (city_world_tick(w) + 1) * (city_world_dt_ms(w) / 1000.0);
    CityWeather wx;
    city_env_weather_at(env, t_s, &wx);
    double background[CITY_SPECIES_COUNT];
    for (int sp = 0; sp < CITY_SPECIES_COUNT; sp++)
        background[sp] = city_env_background(env, (CitySpecies)sp, t_s);
    int32_t nx, ny; /* without an air grid the traffic adds nothing: no cell to look up */
    city_env_air_size(env, &nx, &ny);
    const bool grid = nx > 0 && ny > 0;
    const double *field[CITY_SPECIES_COUNT] = {NULL};
    if (grid) {
        cells_for_grid(c, env, nx, ny);
        for (int sp = 0; sp < CITY_SPECIES_COUNT; sp++)
            field[sp] = city_env_air_field(env, (CitySpecies)sp);
    }
    for (int32_t k = 0; k < n_due; k++) {
        const int32_t i = due[k];
        const int what = c->what[i];
        if (what >= FEED_WEATHER) {
            city_sensor_feed_value(s, i, weather_value(&wx, what - FEED_WEATHER));
        } else if (what != FEED_NONE) {
            const CitySpecies sp = (CitySpecies)what;
            const int32_t cell = grid ? c->cell[i] : -1;
            city_sensor_feed_air(s, i, background[sp] + (cell >= 0 ? field[sp][cell] : 0.0), wx.rh_pct);
        }
    }
    return CITY_OK;
}

static void sensor_env_destroy(void *self)
{
    CoupleSensorEnv *c = self;
    free(c->what);
    free(c->xy);
    free(c->cell);
    free(c);
}

CityStatus couple_sensor_env_attach(CityWorld *world, const char *name)
{
    if (!city_sensors_of(world) || !city_env_of(world))
        return CITY_OK;
    CoupleSensorEnv *c = calloc(1, sizeof *c);
    if (!c)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    return couple_attach_commit(world, name, c, sensor_env_step, sensor_env_destroy, NULL);
}
