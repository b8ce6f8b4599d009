/* A weather series from a CSV file, read strictly.
 *
 * The first line that is not a comment ('#') is the header; its columns,
 * in any order:
 *   hour or t_s    time of day or of the run (h or s), required, increasing
 *   temp_c         air temperature (deg C)
 *   rh_pct         relative humidity (%, 0..100)
 *   ghi_wm2        global horizontal irradiance (W/m2, 0..2000)
 *   wind_mps       wind speed (m/s, 0..100)
 *   wind_from_deg  direction the wind blows from (deg clockwise from north)
 * A column left out is NAN in every sample (the caller fills it). Every
 * other line is one sample: a number in every cell. Blank lines and '#'
 * lines are skipped; CRLF line ends are read. Anything else (an unknown
 * or repeated column, a missing or extra cell, a cell that is not a finite
 * number or is out of range, a time not after the one before) is refused
 * with one line "FILE:LINE:COLUMN: what; how to fix". */
#ifndef CITY_WEATHER_CSV_H
#define CITY_WEATHER_CSV_H

#include <stddef.h>

#include "city_env.h"
#include "city_status.h"

/* Reads path into a new array *out of *n samples (>= 1), which the caller
 * frees; on failure *out is NULL and err says where. Callable anywhere. */
CityStatus city_weather_csv_read(const char *path, CityWeather **out, size_t *n, CityError *err);

#endif
