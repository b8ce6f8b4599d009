/* Electric vehicles on the road: the energy an EV's battery gives while it
 * drives, by speed, acceleration and vehicle class; the charge it sets off
 * with; the share of the default car's trips that EVs make.
 *
 * The model is the longitudinal-dynamics one of SUMO's battery device
 * (Kurczveil, Lopez and Schnieder, "Implementation of an energy model and a
 * charging infrastructure in SUMO", SUMO 2013, LNCS 8594) and of the
 * power-based EV model of Fiori, Ahn and Rakha (Applied Energy 168, 2016),
 * on a level road (the network has no grades):
 *     F = k m a + m g c_rr + rho/2 c_d A v^2          (inertia, rolling, air)
 *     P_wheel = F v
 *     P_battery = P_wheel / eta_drive + P_aux          when P_wheel >= 0
 *               = P_wheel * eta_regen + P_aux          when braking
 * with k = 1.05 for the rotating parts (Gillespie, "Fundamentals of Vehicle
 * Dynamics", 1992: 1.03-1.05 for a car in top gear; an EV has one gear).
 * A type that gives a flat consumption_kwh_per_km spends that per km instead. */
#include <math.h>

#include "road_internal.h"

#define EV_G_MPS2 9.81        /* standard gravity */
#define EV_AIR_KG_M3 1.2      /* air density at 20 C, sea level */
#define EV_ROTATING_MASS 1.05 /* equivalent mass of the wheels and motor, share of the mass */

/* Representative EVs of each class (what the defaults stand for):
 *   passenger, taxi  Hyundai Kona Electric 64 kWh: 1,685 kg kerb + driver,
 *                    c_d 0.29 (maker's figures); frontal area 2.3 m2
 *                    (1.80 m x 1.57 m x 0.81), low-resistance tyres 0.009
 *   bus              a 12 m city bus (Hyundai Elec City, 256 kWh) with
 *                    passengers, c_d 0.65, 7.8 m2, heavy-vehicle tyres 0.007
 *   truck            a 1-tonne electric delivery truck (58.8 kWh) half laden
 *   emergency        an electric ambulance van (80 kWh) with its equipment
 *   motorcycle       an electric scooter with its rider (4 kWh)
 *   bicycle          a pedelec with its rider (0.5 kWh)
 * Drive train 0.85 battery to wheel and 0.65 of the braking energy back
 * (inverter, motor and battery losses both ways); auxiliaries as listed. */
void road_ev_defaults(CityVTypeDef *d, uint32_t vclass)
{
    d->battery_kwh = 64.0, d->mass_kg = 1760.0, d->front_area_m2 = 2.3, d->drag_coeff = 0.29;
    d->roll_coeff = 0.009, d->aux_kw = 0.5;
    switch (vclass) {
    case CITY_VC_BUS:
        d->battery_kwh = 256.0, d->mass_kg = 14000.0, d->front_area_m2 = 7.8, d->drag_coeff = 0.65;
        d->roll_coeff = 0.007, d->aux_kw = 5.0;
        break;
    case CITY_VC_TRUCK:
        d->battery_kwh = 58.8, d->mass_kg = 2900.0, d->front_area_m2 = 3.5, d->drag_coeff = 0.45;
        d->roll_coeff = 0.010, d->aux_kw = 0.5;
        break;
    case CITY_VC_EMERGENCY:
        d->battery_kwh = 80.0, d->mass_kg = 3500.0, d->front_area_m2 = 4.2, d->drag_coeff = 0.40;
        d->roll_coeff = 0.010, d->aux_kw = 2.0;
        break;
    case CITY_VC_MOTORCYCLE:
        d->battery_kwh = 4.0, d->mass_kg = 200.0, d->front_area_m2 = 0.6, d->drag_coeff = 0.70;
        d->roll_coeff = 0.015, d->aux_kw = 0.05;
        break;
    case CITY_VC_BICYCLE:
        d->battery_kwh = 0.5, d->mass_kg = 100.0, d->front_area_m2 = 0.5, d->drag_coeff = 0.90;
        d->roll_coeff = 0.006, d->aux_kw = 0.0;
        break;
    default:
        break;
    }
    d->drive_eff = 0.85;
    d->regen_eff = 0.65;
    d->soc_min = d->soc_max = 1.0;
}

double city_vtype_ev_power_kw(const CityVTypeDef *d, double v_mps, double a_mps2)
{
    if (v_mps <= 0.0)
        return d->aux_kw; /* standing: the brakes hold it, only the auxiliaries draw */
    double f_n = EV_ROTATING_MASS * d->mass_kg * a_mps2 + d->mass_kg * EV_G_MPS2 * d->roll_coeff +
                 0.5 * EV_AIR_KG_M3 * d->drag_coeff * d->front_area_m2 * v_mps * v_mps;
    double wheel_kw = f_n * v_mps / 1000.0;
    return (wheel_kw >= 0.0 ? wheel_kw / d->drive_eff : wheel_kw * d->regen_eff) + d->aux_kw;
}

/* One step of the power model integrated as work, so that a step at the
 * road's coarse dt neither invents nor loses kinetic energy: the change of
 * kinetic energy exactly, rolling and air drag over the distance driven
 * (at the step's mean speed). */
double city_vtype_ev_step_kwh(const CityVTypeDef *d, double v0_mps, double v1_mps, double dist_m, double dt_s)
{
    double v_mean = 0.5 * (v0_mps + v1_mps);
    double wheel_j = 0.5 * EV_ROTATING_MASS * d->mass_kg * (v1_mps * v1_mps - v0_mps * v0_mps) +
                     (d->mass_kg * EV_G_MPS2 * d->roll_coeff +
                      0.5 * EV_AIR_KG_M3 * d->drag_coeff * d->front_area_m2 * v_mean * v_mean) *
                         dist_m;
    double battery_j = wheel_j >= 0.0 ? wheel_j / d->drive_eff : wheel_j * d->regen_eff;
    return (battery_j + d->aux_kw * 1000.0 * dt_s) / 3.6e6;
}

CityStatus road_ev_check_vtype(CityRoad *road, const CityVTypeDef *d)
{
    if (!d->ev)
        return CITY_OK;
    bool flat = d->consumption_kwh_per_km > 0;
    if (!(d->battery_kwh > 0) || d->consumption_kwh_per_km < 0 || !(d->soc_min >= 0) || !(d->soc_min <= d->soc_max) ||
        !(d->soc_max <= 1.0))
        return road_fail(road, CITY_ERR_INVALID,
                         "EV type '%s': battery_kwh must be > 0, consumption_kwh_per_km >= 0 and "
                         "0 <= soc_min <= soc_max <= 1",
                         d->id);
    if (!flat &&
        (!(d->mass_kg > 0) || !(d->front_area_m2 >= 0) || !(d->drag_coeff >= 0) || !(d->roll_coeff >= 0) ||
         !(d->aux_kw >= 0) || !(d->drive_eff > 0 && d->drive_eff <= 1) || !(d->regen_eff >= 0 && d->regen_eff <= 1)))
        return road_fail(road, CITY_ERR_INVALID,
                         "EV type '%s': mass must be > 0, frontal area, drag, rolling and auxiliaries >= 0, "
                         "drive efficiency in (0, 1] and regeneration in [0, 1]",
                         d->id);
    return CITY_OK;
}

void road_ev_drive(CityRoad *road, int32_t v, double speed_mps, double accel_mps2, double disp_m, double dt_s)
{
    RoadVehicles *vh = &road->veh;
    const CityVTypeDef *d = &road->vtypes[vh->rec[v].vtype].def;
    double spent_kwh =
        d->consumption_kwh_per_km > 0
            ? d->consumption_kwh_per_km * disp_m / 1000.0
            : city_vtype_ev_step_kwh(d, fmax(speed_mps - accel_mps2 * dt_s, 0.0), speed_mps, disp_m, dt_s);
    double before = vh->rec[v].energy_kwh;
    double after = before - spent_kwh;
    if (after < 0.0)
        after = 0.0;
    if (after > d->battery_kwh) /* a full battery takes no more from the brakes */
        after = d->battery_kwh;
    vh->rec[v].energy_kwh = after;
    road->stats.ev_used_kwh += before - after;
    road->stats.ev_dist_m += disp_m;
}

void road_ev_depart(CityRoad *road, int32_t v, const CityVTypeDef *d)
{
    RoadVehicles *vh = &road->veh;
    double kwh = 0.0;
    if (d->ev) {
        double soc = d->soc_min;
        if (d->soc_max > d->soc_min) /* its own stream: EVs leave the traffic's draws alone */
            soc += (d->soc_max - d->soc_min) * city_rng_uniform(city_world_rng(road->world, "road_ev"));
        kwh = d->battery_kwh * soc;
        road->stats.ev_inserted++;
        road->stats.ev_start_kwh += kwh;
    }
    vh->rec[v].energy_kwh = kwh;
    vh->ev_start_kwh[road_handle(road, v)] = kwh;
}

void road_ev_leave(CityRoad *road, int32_t v)
{
    if (road->vtypes[road->veh.rec[v].vtype].def.ev)
        road->stats.ev_left_kwh += road->veh.rec[v].energy_kwh;
}

CityStatus city_road_set_default_mix(CityRoad *road, const int32_t *vtypes, const double *shares, int32_t n)
{
    if (n < 0 || n > CITY_ROAD_MIX_MAX)
        return road_fail(road, CITY_ERR_INVALID, "a default mix holds at most %d vehicle types", CITY_ROAD_MIX_MAX);
    double sum = 0.0;
    for (int32_t i = 0; i < n; i++) {
        if (vtypes[i] < 0 || vtypes[i] >= road->n_vtypes || !(shares[i] >= 0 && shares[i] <= 1))
            return road_fail(road, CITY_ERR_INVALID, "default mix entry %d: a known vehicle type and a share in [0, 1]",
                             (int)i + 1);
        sum += shares[i];
    }
    if (!(sum <= 1.0 + 1e-12))
        return road_fail(road, CITY_ERR_INVALID, "the default mix's shares add up to %.3f; they must not pass 1", sum);
    for (int32_t i = 0; i < n; i++) {
        road->mix_vtype[i] = vtypes[i];
        road->mix_share[i] = shares[i];
    }
    road->n_mix = n;
    return CITY_OK;
}

int32_t road_ev_pick_vtype(CityRoad *road)
{
    double u = city_rng_uniform(city_world_rng(road->world, "road_mix")), acc = 0.0;
    for (int32_t i = 0; i < road->n_mix; i++) {
        acc += road->mix_share[i];
        if (u < acc)
            return road->mix_vtype[i];
    }
    return road->default_vtype;
}
