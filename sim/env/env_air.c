/* The air grid: the traffic share of each species in a well-mixed street
 * layer of height H over square cells, advanced by
 *   dm/dt = -div(H (u c - K grad c)) + E - (w_e / H) m
 * with c = m / (dx dy H) the concentration, u the wind, K a horizontal eddy
 * diffusivity, E the emissions and w_e an exchange velocity with the air
 * above the layer (what takes street pollution away on a calm day).
 *
 * Why a grid and not a Gaussian plume: thousands of moving line sources
 * (every vehicle on every lane) add up on a grid in O(vehicles), the
 * field is what a sensor anywhere and a pedestrian anywhere read, wind
 * that turns over the day needs no re-derivation, and the scheme conserves
 * mass to rounding, which a test can check. A plume is better for one
 * stack far away, a canyon model (OSPM) for one street in detail.
 *
 * Scheme: finite volumes, explicit, first-order upwind for advection and
 * central differences for diffusion, in flux form: every face flux leaves
 * one cell and enters the other, so mass changes only by emissions, what
 * crosses the edges (the air outside carries no traffic share) and
 * ventilation. Substeps keep dt (|u|/dx + |v|/dy + 2K/dx^2 + 2K/dy^2) <= 0.9,
 * which keeps every mass non-negative (no new extrema). Upwind smears a
 * plume a little (numerical diffusion u dx / 2), acceptable at 10 m. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env_internal.h"

CityAirOptions city_air_options_default(void)
{
    return (CityAirOptions){
        .cell_m = 10.0, .mixing_height_m = 20.0, .diffusivity_m2s = 2.0, .vent_mps = 0.05, .step_s = 5.0};
}

void env_air_free(EnvAir *air)
{
    for (int sp = 0; sp < CITY_SPECIES_COUNT; sp++) {
        free(air->mass[sp]);
        free(air->pending[sp]);
        free(air->conc[sp]);
    }
    free(air->flux);
    memset(air, 0, sizeof *air);
}

CityStatus city_env_air_setup(CityEnv *env, const CityAirOptions *o)
{
    const double w = o->x1_m - o->x0_m, h = o->y1_m - o->y0_m;
    if (!(o->cell_m >= 1.0 && o->cell_m <= 1000.0) || !(w > 0 && h > 0) || !isfinite(w + h + o->x0_m + o->y0_m) ||
        !(o->mixing_height_m >= 1.0 && o->mixing_height_m <= 3000.0) ||
        !(o->diffusivity_m2s >= 0 && o->diffusivity_m2s <= 1000.0) || !(o->vent_mps >= 0 && o->vent_mps <= 10.0) ||
        !(o->step_s > 0 && o->step_s <= 3600.0))
        return city_world_fail(env->world, CITY_ERR_INVALID,
                               "air grid: need x1 > x0, y1 > y0, cell_m 1..1000, mixing_height_m 1..3000, "
                               "diffusivity_m2s 0..1000, vent_mps 0..10 and step_s in (0, 3600]");
    const double nxd = ceil(w / o->cell_m), nyd = ceil(h / o->cell_m);
    if (nxd * nyd > 2.0e7)
        return city_world_fail(env->world, CITY_ERR_INVALID,
                               "air grid: %.0f x %.0f cells is more than 20 million; use larger cells", nxd, nyd);
    EnvAir air;
    memset(&air, 0, sizeof air);
    air.o = *o;
    air.nx = (int32_t)nxd;
    air.ny = (int32_t)nyd;
    const size_t cells = (size_t)air.nx * (size_t)air.ny;
    bool ok = (air.flux = calloc(cells, sizeof(double))) != NULL;
    for (int sp = 0; ok && sp < CITY_SPECIES_COUNT; sp++)
        ok = (air.mass[sp] = calloc(cells, sizeof(double))) && (air.pending[sp] = calloc(cells, sizeof(double))) &&
             (air.conc[sp] = calloc(cells, sizeof(double)));
    if (!ok) {
        env_air_free(&air);
        return city_world_fail(env->world, CITY_ERR_NOMEM, "out of memory for the air grid");
    }
    env_air_free(&env->air);
    env->air = air;
    env->air_last_ms = city_world_tick(env->world) * (int64_t)city_world_dt_ms(env->world);
    return CITY_OK;
}

bool city_env_air_ready(const CityEnv *env)
{
    return env && env->air.nx > 0;
}
const CityAirOptions *city_env_air_options(const CityEnv *env)
{
    return &env->air.o;
}
void city_env_air_size(const CityEnv *env, int32_t *nx, int32_t *ny)
{
    *nx = env->air.nx;
    *ny = env->air.ny;
}

/* Cell index of a point, or -1 outside the grid. */
static long cell_of(const EnvAir *a, double x, double y)
{
    if (a->nx == 0)
        return -1;
    const double fx = (x - a->o.x0_m) / a->o.cell_m, fy = (y - a->o.y0_m) / a->o.cell_m;
    if (!(fx >= 0 && fy >= 0 && fx < a->nx && fy < a->ny))
        return -1;
    return (long)fy * a->nx + (long)fx;
}

void city_env_air_emit(CityEnv *env, CitySpecies sp, double x_m, double y_m, double mass_ug)
{
    EnvAir *a = &env->air;
    if ((unsigned)sp >= CITY_SPECIES_COUNT || a->nx == 0 || !(mass_ug > 0))
        return;
    long c = cell_of(a, x_m, y_m);
    if (c < 0) {
        /* outside the grid: emitted and gone at once, so the budget still balances */
        a->budget[sp].emitted_ug += mass_ug;
        a->budget[sp].outflow_ug += mass_ug;
        return;
    }
    a->pending[sp][c] += mass_ug;
    a->budget[sp].pending_ug += mass_ug;
}

long city_env_air_cell(const CityEnv *env, double x_m, double y_m)
{
    return env ? cell_of(&env->air, x_m, y_m) : -1;
}

double city_env_air_traffic(const CityEnv *env, CitySpecies sp, double x_m, double y_m)
{
    if (!env || (unsigned)sp >= CITY_SPECIES_COUNT)
        return 0.0;
    long c = cell_of(&env->air, x_m, y_m);
    return c < 0 ? 0.0 : env->air.conc[sp][c];
}

double city_env_air_at(const CityEnv *env, CitySpecies sp, double x_m, double y_m)
{
    return city_env_background(env, sp, city_world_time_s(env->world)) + city_env_air_traffic(env, sp, x_m, y_m);
}

const double *city_env_air_field(const CityEnv *env, CitySpecies sp)
{
    return (unsigned)sp < CITY_SPECIES_COUNT ? env->air.conc[sp] : NULL;
}

void city_env_air_budget(const CityEnv *env, CitySpecies sp, CityAirBudget *out)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)sp >= CITY_SPECIES_COUNT || env->air.nx == 0)
        return;
    *out = env->air.budget[sp];
    const size_t cells = (size_t)env->air.nx * (size_t)env->air.ny;
    double m = 0.0;
    for (size_t i = 0; i < cells; i++)
        m += env->air.mass[sp][i];
    out->mass_ug = m;
}

/* One substep of one species: face fluxes, then ventilation. Returns the
 * mass that left through the edges. */
static double substep(EnvAir *a, double *m, double dt, double u, double v)
{
    const int32_t nx = a->nx, ny = a->ny;
    const double dx = a->o.cell_m, H = a->o.mixing_height_m, K = a->o.diffusivity_m2s;
    const double inv_vol = 1.0 / (dx * dx * H);
    const double face = dt * H * dx; /* face area times dt */
    double *f = a->flux;
    double out = 0.0;
    memset(f, 0, (size_t)nx * (size_t)ny * sizeof *f);
    for (int32_t j = 0; j < ny; j++) {
        const double *row = m + (size_t)j * nx;
        double *frow = f + (size_t)j * nx;
        /* x faces; the air outside the edges has no traffic share (c = 0) */
        double cl = 0.0;
        for (int32_t i = 0; i <= nx; i++) {
            const double cr = i < nx ? row[i] * inv_vol : 0.0;
            const double F = face * (u * (u > 0 ? cl : cr) - K * (cr - cl) / dx); /* +x */
            if (i > 0)
                frow[i - 1] -= F;
            else
                out -= F;
            if (i < nx)
                frow[i] += F;
            else
                out += F;
            cl = cr;
        }
    }
    for (int32_t i = 0; i < nx; i++) {
        double cb = 0.0;
        for (int32_t j = 0; j <= ny; j++) {
            const double ct = j < ny ? m[(size_t)j * nx + i] * inv_vol : 0.0;
            const double F = face * (v * (v > 0 ? cb : ct) - K * (ct - cb) / dx); /* +y */
            if (j > 0)
                f[(size_t)(j - 1) * nx + i] -= F;
            else
                out -= F;
            if (j < ny)
                f[(size_t)j * nx + i] += F;
            else
                out += F;
            cb = ct;
        }
    }
    const size_t cells = (size_t)nx * (size_t)ny;
    for (size_t c = 0; c < cells; c++)
        m[c] += f[c];
    return out;
}

void city_env_air_advance(CityEnv *env, double dt_s, double wind_mps, double wind_from_deg)
{
    EnvAir *a = &env->air;
    if (a->nx == 0 || !(dt_s > 0))
        return;
    const double th = wind_from_deg * (M_PI / 180.0);
    const double u = -wind_mps * sin(th), v = -wind_mps * cos(th); /* towards east, north */
    const double dx = a->o.cell_m, K = a->o.diffusivity_m2s;
    const double rate = (fabs(u) + fabs(v)) / dx + 4.0 * K / (dx * dx);
    const int64_t n_sub = rate > 0 ? (int64_t)ceil(dt_s * rate / 0.9) : 1;
    const double h = dt_s / (double)n_sub;
    const double keep = exp(-a->o.vent_mps / a->o.mixing_height_m * h);
    const size_t cells = (size_t)a->nx * (size_t)a->ny;
    for (int sp = 0; sp < CITY_SPECIES_COUNT; sp++) {
        double *m = a->mass[sp];
        CityAirBudget *b = &a->budget[sp];
        for (size_t c = 0; c < cells; c++) {
            b->emitted_ug += a->pending[sp][c];
            m[c] += a->pending[sp][c];
            a->pending[sp][c] = 0.0;
        }
        b->pending_ug = 0.0;
        for (int64_t k = 0; k < n_sub; k++) {
            b->outflow_ug += substep(a, m, h, u, v);
            double vented = 0.0;
            for (size_t c = 0; c < cells; c++) {
                const double lost = m[c] - m[c] * keep;
                m[c] -= lost;
                vented += lost;
            }
            b->vented_ug += vented;
        }
        const double inv_vol = 1.0 / (dx * dx * a->o.mixing_height_m);
        for (size_t c = 0; c < cells; c++)
            a->conc[sp][c] = m[c] * inv_vol;
    }
}
