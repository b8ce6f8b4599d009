/* The environment: weather over the day (temperature, humidity, solar
 * irradiance, wind), heat-wave and fine-dust episodes, and air quality:
 * the traffic share of PM2.5, PM10 and NOx on a grid (advection by the
 * wind, diffusion, ventilation out of the mixed layer) on top of a
 * background. Plain C, core only: the traffic -> emissions coupling puts
 * mass in (city_env_air_emit), sensors and people read it out. */
#ifndef CITY_ENV_H
#define CITY_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_world.h"

typedef struct CityEnv CityEnv;

/* Weather at one time; a series of these is interpolated linearly and
 * repeats every 24 h when its last sample is before 86400 s. */
typedef struct CityWeather {
    double t_s;           /* time of day or of the run (s) */
    double temp_c;        /* air temperature (deg C) */
    double rh_pct;        /* relative humidity (%) */
    double ghi_wm2;       /* global horizontal irradiance (W/m2) */
    double wind_mps;      /* wind speed at street level (m/s) */
    double wind_from_deg; /* direction the wind blows from, clockwise from north (deg) */
} CityWeather;

typedef enum CityEpisodeKind {
    CITY_EPISODE_HEAT = 0, /* adds `level` deg C to the temperature */
    CITY_EPISODE_DUST,     /* background PM2.5 rises to `level` ug/m3 (PM10 with it) */
} CityEpisodeKind;

/* An episode ramps linearly from nothing to its level over ramp_s from
 * start_s, holds for hold_s, and ramps back over ramp_s. */
typedef struct CityEpisode {
    CityEpisodeKind kind;
    double start_s, ramp_s, hold_s; /* s */
    double level;                   /* deg C (heat) or ug/m3 PM2.5 (dust) */
} CityEpisode;

typedef enum CitySpecies {
    CITY_SPECIES_PM25 = 0, /* particulate matter below 2.5 um */
    CITY_SPECIES_PM10,     /* particulate matter below 10 um (includes PM2.5) */
    CITY_SPECIES_NOX,      /* nitrogen oxides as NO2 */
    CITY_SPECIES_COUNT
} CitySpecies;

typedef struct CityAirOptions {
    double x0_m, y0_m, x1_m, y1_m; /* the grid's extent, world frame (m) */
    double cell_m;                 /* cell size (m), 1..1000 */
    double mixing_height_m;        /* height of the well-mixed street layer (m) */
    double diffusivity_m2s;        /* horizontal eddy diffusivity (m2/s) */
    double vent_mps;               /* exchange velocity with the air above the layer (m/s) */
    double step_s;                 /* how often the field advances (s); substeps keep it stable */
} CityAirOptions;

/* Defaults: 10 m cells, a 20 m layer, K = 2 m2/s, 0.05 m/s exchange, 5 s steps
 * (extent left zero: the caller sets it). */
CityAirOptions city_air_options_default(void);

/* Mass budget of one species since the grid was set up (ug). */
typedef struct CityAirBudget {
    double mass_ug;    /* in the grid now */
    double emitted_ug; /* put in by emissions that reached the grid */
    double outflow_ug; /* carried or diffused out through the edges */
    double vented_ug;  /* lost to the air above the layer */
    double pending_ug; /* emitted but not yet added (waiting for the next field step) */
} CityAirBudget;

/* The "env" subsystem (PHYSICS, advancing the air every step_s once a grid
 * exists): created on first use with the default Seoul summer day, owned by the world. */
CityEnv *city_env_ensure(CityWorld *world);
/* The world's environment, or NULL. */
CityEnv *city_env_of(const CityWorld *world);

/* Replaces the weather series (n >= 1 samples, t_s strictly increasing;
 * checked: CITY_ERR_INVALID with one line in the world error). Copied. */
CityStatus city_env_set_weather(CityEnv *env, const CityWeather *samples, size_t n);
/* The default series: a representative clear Seoul summer day, hourly. */
const CityWeather *city_env_seoul_summer_day(size_t *n);
/* Adds an episode (checked as above). */
CityStatus city_env_add_episode(CityEnv *env, const CityEpisode *ep);
/* Weather at time t_s, episodes applied. */
void city_env_weather_at(const CityEnv *env, double t_s, CityWeather *out);
/* Background concentration of a species at t_s (ug/m3), dust episodes applied. */
double city_env_background(const CityEnv *env, CitySpecies sp, double t_s);
/* Sets the background levels outside episodes (ug/m3; defaults PM2.5 15, PM10 25, NOx 30). */
CityStatus city_env_set_background(CityEnv *env, double pm25, double pm10, double nox);

/* Sets up (or replaces) the air grid; checked like the weather. */
CityStatus city_env_air_setup(CityEnv *env, const CityAirOptions *o);
bool city_env_air_ready(const CityEnv *env);
const CityAirOptions *city_env_air_options(const CityEnv *env);
/* Grid size in cells (0 without a grid). */
void city_env_air_size(const CityEnv *env, int32_t *nx, int32_t *ny);
/* Adds emitted mass (ug) at a point; it enters the field at the next field
 * step. Points outside the grid are counted as lost (outflow). Couplings, in COMMIT. */
void city_env_air_emit(CityEnv *env, CitySpecies sp, double x_m, double y_m, double mass_ug);
/* The cell holding (x, y): its index in city_env_air_field's values, or -1
 * (outside, or no grid). A caller that keeps cells keeps them for the
 * grid's origin, cell size and size they were found in. */
long city_env_air_cell(const CityEnv *env, double x_m, double y_m);
/* Traffic share of the concentration in the cell holding (x, y) (ug/m3; 0 outside). */
double city_env_air_traffic(const CityEnv *env, CitySpecies sp, double x_m, double y_m);
/* Background plus traffic share at (x, y) now (ug/m3). */
double city_env_air_at(const CityEnv *env, CitySpecies sp, double x_m, double y_m);
/* The traffic-share field of a species, row-major from (x0, y0), nx * ny values (ug/m3). */
const double *city_env_air_field(const CityEnv *env, CitySpecies sp);
void city_env_air_budget(const CityEnv *env, CitySpecies sp, CityAirBudget *out);
/* Advances the air by dt_s now with the given wind (tests, benchmarks; the
 * subsystem calls it with the weather). */
void city_env_air_advance(CityEnv *env, double dt_s, double wind_mps, double wind_from_deg);

/* ---- emission factors (sources in env_emission.c) ---- */
typedef enum CityEmissionClass {
    CITY_EMIT_CAR_PETROL = 0, /* passenger car, petrol, Euro 6 */
    CITY_EMIT_CAR_DIESEL,     /* passenger car, diesel, Euro 6 */
    CITY_EMIT_CAR_EV,         /* battery-electric passenger car: non-exhaust only */
    CITY_EMIT_BUS,            /* urban bus, diesel Euro VI */
    CITY_EMIT_TRUCK,          /* heavy-duty truck, diesel Euro VI */
    CITY_EMIT_MOTO,           /* motorcycle, petrol */
    CITY_EMIT_CLASS_COUNT
} CityEmissionClass;

/* Emission of a species per vehicle-km (g/km) at speed_mps: exhaust (none
 * for EVs) plus tyre, brake and road wear and resuspension (PM only). */
double city_emission_factor(CityEmissionClass cls, CitySpecies sp, double speed_mps);
/* Of which exhaust only (g/km). */
double city_emission_exhaust(CityEmissionClass cls, CitySpecies sp, double speed_mps);
const char *city_species_name(CitySpecies sp);
const char *city_emission_class_name(CityEmissionClass cls);
bool city_emission_class_parse(const char *name, CityEmissionClass *out);

#endif
