/* Emission factors per vehicle-km.
 *
 * Non-exhaust (PM only; EVs emit these too) from the EMEP/EEA air pollutant
 * emission inventory guidebook 2019 (updated 2023), chapter 1.A.3.b.vi-vii
 * "Road tyre and brake wear; road surface wear", Tier 2:
 *   TSP per vehicle-km: tyre 0.0107 (car), brake 0.0075 (car), road 0.0150
 *   (car) g/km; heavy vehicles about 4x tyre, 5x brake, 5x road (their
 *   Tier 1 values); mass fractions PM10/TSP tyre 0.6, brake 0.98, road 0.5;
 *   PM2.5/TSP tyre 0.42, brake 0.39, road 0.27.
 *   Speed corrections: tyre 1.39 below 40 km/h, 1.78 - 0.00974 V to 90,
 *   0.902 above; brake 1.67 below 40 km/h, 2.75 - 0.0270 V to 95, 0.185
 *   above; road wear none.
 * Resuspension of road dust is outside the guidebook; measured urban values
 * vary by an order of magnitude with road dust load and rain (e.g. Amato
 * et al. 2009, Atmos. Environ. 43:1650). We take 0.020 g/km PM10 per car
 * (PM2.5 15 % of it) and 5x per heavy vehicle: an assumption of the right
 * order for a dry day, to be calibrated per city.
 * Exhaust: representative hot urban levels of COPERT 5 for the Euro 6/VI
 * fleet (g/km at 40 km/h; exhaust PM is all below 2.5 um), scaled with
 * speed by (1 + 20/V)/1.5 (V in km/h, at least 5): 1 at 40 km/h, higher in
 * slow stop-and-go traffic, a simple stand-in for COPERT's speed curves. */
#include <string.h>

#include "city_env.h"

typedef struct EmitClass {
    const char *name;
    double tyre_tsp, brake_tsp, road_tsp; /* g/km */
    double resusp_pm10;                   /* g/km */
    double exh_pm, exh_nox;               /* g/km at 40 km/h */
} EmitClass;

static const EmitClass classes[CITY_EMIT_CLASS_COUNT] = {
    [CITY_EMIT_CAR_PETROL] = {"car_petrol", 0.0107, 0.0075, 0.0150, 0.020, 0.0012, 0.035},
    [CITY_EMIT_CAR_DIESEL] = {"car_diesel", 0.0107, 0.0075, 0.0150, 0.020, 0.0010, 0.35},
    [CITY_EMIT_CAR_EV] = {"car_ev", 0.0107, 0.0075, 0.0150, 0.020, 0.0, 0.0},
    [CITY_EMIT_BUS] = {"bus", 0.0430, 0.0375, 0.0760, 0.100, 0.0040, 0.80},
    [CITY_EMIT_TRUCK] = {"truck", 0.0430, 0.0375, 0.0760, 0.100, 0.0040, 0.35},
    [CITY_EMIT_MOTO] = {"moto", 0.0046, 0.0037, 0.0060, 0.008, 0.0025, 0.10},
};

static double tyre_speed(double v_kmh)
{
    return v_kmh < 40 ? 1.39 : v_kmh <= 90 ? 1.78 - 0.00974 * v_kmh : 0.902;
}

static double brake_speed(double v_kmh)
{
    return v_kmh < 40 ? 1.67 : v_kmh <= 95 ? 2.75 - 0.0270 * v_kmh : 0.185;
}

double city_emission_exhaust(CityEmissionClass cls, CitySpecies sp, double speed_mps)
{
    if ((unsigned)cls >= CITY_EMIT_CLASS_COUNT || (unsigned)sp >= CITY_SPECIES_COUNT)
        return 0.0;
    double v = speed_mps * 3.6;
    if (!(v >= 5.0))
        v = 5.0;
    const double f = (1.0 + 20.0 / v) / 1.5;
    const EmitClass *c = &classes[cls];
    return f * (sp == CITY_SPECIES_NOX ? c->exh_nox : c->exh_pm);
}

double city_emission_factor(CityEmissionClass cls, CitySpecies sp, double speed_mps)
{
    if ((unsigned)cls >= CITY_EMIT_CLASS_COUNT || (unsigned)sp >= CITY_SPECIES_COUNT)
        return 0.0;
    const double exhaust = city_emission_exhaust(cls, sp, speed_mps);
    if (sp == CITY_SPECIES_NOX)
        return exhaust;
    const EmitClass *c = &classes[cls];
    const double v = speed_mps * 3.6;
    const bool pm10 = sp == CITY_SPECIES_PM10;
    const double tyre = c->tyre_tsp * (pm10 ? 0.6 : 0.42) * tyre_speed(v);
    const double brake = c->brake_tsp * (pm10 ? 0.98 : 0.39) * brake_speed(v);
    const double road = c->road_tsp * (pm10 ? 0.5 : 0.27);
    const double resusp = c->resusp_pm10 * (pm10 ? 1.0 : 0.15);
    return exhaust + tyre + brake + road + resusp;
}

const char *city_species_name(CitySpecies sp)
{
    static const char *const names[CITY_SPECIES_COUNT] = {"pm25", "pm10", "nox"};
    return (unsigned)sp < CITY_SPECIES_COUNT ? names[sp] : NULL;
}

const char *city_emission_class_name(CityEmissionClass cls)
{
    return (unsigned)cls < CITY_EMIT_CLASS_COUNT ? classes[cls].name : NULL;
}

bool city_emission_class_parse(const char *name, CityEmissionClass *out)
{
    for (int c = 0; c < CITY_EMIT_CLASS_COUNT; c++)
        if (!strcmp(name, classes[c].name)) {
            *out = (CityEmissionClass)c;
            return true;
        }
    return false;
}
