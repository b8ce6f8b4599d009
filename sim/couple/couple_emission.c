/* Traffic -> emissions -> air: every moving vehicle emits, per tick, its
 * emission factor (g/km, city_emission_factor: exhaust plus tyre, brake and
 * road wear and resuspension) times the distance it drove, into the air
 * grid cell under it. A standing vehicle emits nothing (idling exhaust is
 * not modelled). Class: buses, trucks and motorcycles by vehicle class; a
 * car is electric when it carries a battery, else diesel for a fixed 30 %
 * of vehicles, by their names (about the diesel share of Korea's
 * passenger car fleet),
 * petrol otherwise. Runs in COMMIT after the road moved. */
#include <stdlib.h>

#include "city_couple.h"
#include "city_env.h"
#include "city_hash.h"
#include "city_road.h"
#include "couple_internal.h"

typedef struct CoupleEmission {
    double emitted_g[CITY_SPECIES_COUNT]; /* total emitted by traffic so far (g) */
    double vkm;                           /* vehicle-km driven (km) */
} CoupleEmission;

CityEmissionClass city_couple_emission_class(const CityVehicleView *v)
{
    if (v->vclass & CITY_VC_BUS)
        return CITY_EMIT_BUS;
    if (v->vclass & CITY_VC_TRUCK)
        return CITY_EMIT_TRUCK;
    if (v->vclass & CITY_VC_MOTORCYCLE)
        return CITY_EMIT_MOTO;
    if (v->energy_kwh > 0)
        return CITY_EMIT_CAR_EV;
    /* a hash of its name: the same trip keeps its fuel whatever the traffic
     * does. The road reuses a handle (its id's index) once its vehicle has
     * left, so a hash of the handle gave a trip another fuel whenever the
     * vehicles before it left in another order: changes that moved the
     * Jamsil day's mean travel time by 0.1 s moved its traffic NOx by 4 %
     * and by 35 %. */
    CityHash h;
    city_hash_init(&h);
    city_hash_str(&h, v->name);
    return city_hash_value(&h) % 100u < 30u ? CITY_EMIT_CAR_DIESEL : CITY_EMIT_CAR_PETROL;
}

static CityStatus emission_step(CityWorld *w, void *self, int64_t tick)
{
    (void)tick;
    CoupleEmission *c = self;
    CityRoad *road = city_road_of(w);
    CityEnv *env = city_env_of(w);
    CITY_ASSERT(road && env);
    if (!city_env_air_ready(env))
        return CITY_OK;
    const double dt_s = city_world_dt_ms(w) / 1000.0;
    const size_t n = city_road_vehicle_count(road);
    for (size_t i = 0; i < n; i++) {
        CityVehicleView v;
        city_road_vehicle_at(road, i, &v);
        if (!(v.speed_mps > 0) || (v.vclass & (CITY_VC_BICYCLE | CITY_VC_PEDESTRIAN | CITY_VC_RAIL | CITY_VC_SHIP)))
            continue;
        const double km = v.speed_mps * dt_s / 1000.0;
        const CityEmissionClass cls = city_couple_emission_class(&v);
        c->vkm += km;
        for (int sp = 0; sp < CITY_SPECIES_COUNT; sp++) {
            const double g = city_emission_factor(cls, (CitySpecies)sp, v.speed_mps) * km;
            c->emitted_g[sp] += g;
            city_env_air_emit(env, (CitySpecies)sp, v.xy.x, v.xy.y, g * 1e6);
        }
    }
    return CITY_OK;
}

static CityStatus emission_finish(CityWorld *w, void *self)
{
    const CoupleEmission *c = self;
    city_world_kpi_set(w, "traffic_vkm", c->vkm);
    city_world_kpi_set(w, "traffic_pm25_g", c->emitted_g[CITY_SPECIES_PM25]);
    city_world_kpi_set(w, "traffic_pm10_g", c->emitted_g[CITY_SPECIES_PM10]);
    city_world_kpi_set(w, "traffic_nox_g", c->emitted_g[CITY_SPECIES_NOX]);
    return CITY_OK;
}

static void emission_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const CoupleEmission *c = self;
    city_hash_bytes(h, c->emitted_g, sizeof c->emitted_g);
    city_hash_bytes(h, &c->vkm, sizeof c->vkm);
}

static CityStatus emission_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const CoupleEmission *c = self;
    city_state_put_array(out, c->emitted_g, CITY_SPECIES_COUNT, sizeof(double));
    city_state_put_f64(out, c->vkm);
    return CITY_OK;
}

static CityStatus emission_load(CityWorld *w, void *self, CityStateReader *in)
{
    CoupleEmission *c = self;
    city_state_get_array(in, c->emitted_g, CITY_SPECIES_COUNT, sizeof(double), "emission totals");
    c->vkm = city_state_get_f64(in);
    return in->bad ? city_world_fail(w, CITY_ERR_PARSE, "emission: damaged checkpoint (%s)", in->error) : CITY_OK;
}

CityStatus couple_emission_attach(CityWorld *world, const char *name)
{
    CityEnv *env = city_env_of(world);
    if (!city_road_of(world) || !env || !city_env_air_ready(env))
        return CITY_OK;
    CoupleEmission *c = calloc(1, sizeof *c);
    if (!c)
        return city_world_fail(world, CITY_ERR_NOMEM, "out of memory attaching %s", name);
    CitySubsystemDef def = {name,          CITY_PHASE_COMMIT, 1, 0, emission_step, emission_hash, free, emission_finish,
                            emission_save, emission_load};
    CityStatus st = city_world_add_subsystem(world, &def, c);
    if (st != CITY_OK)
        free(c);
    return st;
}
