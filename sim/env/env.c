/* Weather, episodes and the env subsystem; the air grid is env_air.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_state.h"
#include "env_internal.h"

#define ENV_NAME "env" /* subsystem name */

/* A representative clear summer day in Seoul (not a measured record),
 * shaped after the KMA normals for August (daily mean maximum about 30-31
 * deg C at 14-15 h, minimum about 23-24 deg C before sunrise, relative
 * humidity near 85-90 % at night and 60 % in the afternoon), a clear-sky
 * irradiance curve for 37.5 N in August (sunrise about 05:50, solar noon
 * 12:35, peak about 750 W/m2 at street level), and a light south-westerly
 * daytime breeze turning westerly and calmer at night. */
static const CityWeather seoul_summer[] = {
    {0 * 3600.0, 25.4, 84, 0, 1.4, 270},    {1 * 3600.0, 25.0, 86, 0, 1.3, 270},
    {2 * 3600.0, 24.6, 87, 0, 1.2, 270},    {3 * 3600.0, 24.3, 88, 0, 1.2, 270},
    {4 * 3600.0, 24.0, 89, 0, 1.1, 270},    {5 * 3600.0, 23.8, 89, 0, 1.1, 260},
    {6 * 3600.0, 24.1, 88, 60, 1.3, 250},   {7 * 3600.0, 25.0, 84, 200, 1.6, 240},
    {8 * 3600.0, 26.3, 79, 360, 1.9, 230},  {9 * 3600.0, 27.6, 74, 510, 2.2, 225},
    {10 * 3600.0, 28.7, 70, 630, 2.5, 225}, {11 * 3600.0, 29.6, 66, 710, 2.7, 225},
    {12 * 3600.0, 30.3, 63, 745, 2.9, 225}, {13 * 3600.0, 30.8, 61, 725, 3.0, 225},
    {14 * 3600.0, 31.1, 60, 655, 3.1, 225}, {15 * 3600.0, 31.0, 60, 545, 3.0, 225},
    {16 * 3600.0, 30.6, 62, 405, 2.8, 230}, {17 * 3600.0, 29.9, 65, 250, 2.5, 235},
    {18 * 3600.0, 28.9, 69, 105, 2.1, 240}, {19 * 3600.0, 27.8, 74, 15, 1.8, 250},
    {20 * 3600.0, 27.0, 77, 0, 1.6, 260},   {21 * 3600.0, 26.4, 80, 0, 1.5, 265},
    {22 * 3600.0, 26.0, 82, 0, 1.5, 270},   {23 * 3600.0, 25.7, 83, 0, 1.4, 270},
};

const CityWeather *city_env_seoul_summer_day(size_t *n)
{
    *n = sizeof seoul_summer / sizeof seoul_summer[0];
    return seoul_summer;
}

static CityStatus env_step(CityWorld *w, void *self, int64_t tick)
{
    CityEnv *env = self;
    if (env->air.nx == 0)
        return CITY_OK;
    const int64_t now_ms = tick * (int64_t)city_world_dt_ms(w);
    if (now_ms <= env->air_last_ms)
        return CITY_OK;
    const double dt_s = (now_ms - env->air_last_ms) / 1000.0;
    if (dt_s + 1e-9 < env->air.o.step_s)
        return CITY_OK;
    CityWeather wx;
    city_env_weather_at(env, env->air_last_ms / 1000.0, &wx);
    city_env_air_advance(env, dt_s, wx.wind_mps, wx.wind_from_deg);
    env->air_last_ms = now_ms;
    return CITY_OK;
}

static void env_hash(const CityWorld *w, const void *self, CityHash *h)
{
    (void)w;
    const CityEnv *env = self;
    city_hash_u64(h, env->n_weather);
    city_hash_u64(h, env->n_episodes);
    size_t cells = (size_t)env->air.nx * (size_t)env->air.ny;
    for (int sp = 0; sp < CITY_SPECIES_COUNT && cells; sp++) {
        city_hash_bytes(h, env->air.mass[sp], cells * sizeof(double));
        city_hash_bytes(h, &env->air.budget[sp], sizeof env->air.budget[sp]);
    }
}

/* What a run can change: the series and episodes (a scenario may add them
 * from callbacks), the background, and the air grid's masses and budget. */
static CityStatus env_save(const CityWorld *w, const void *self, CityStateWriter *out)
{
    (void)w;
    const CityEnv *env = self;
    city_state_put_tag(out, "ENV ");
    city_state_put_array(out, env->weather, env->n_weather, sizeof *env->weather);
    city_state_put_array(out, env->episodes, env->n_episodes, sizeof *env->episodes);
    city_state_put_array(out, env->background, CITY_SPECIES_COUNT, sizeof(double));
    const size_t cells = (size_t)env->air.nx * (size_t)env->air.ny;
    city_state_put_u64(out, cells);
    for (int sp = 0; sp < CITY_SPECIES_COUNT && cells; sp++) {
        city_state_put_array(out, env->air.mass[sp], cells, sizeof(double));
        city_state_put_array(out, env->air.pending[sp], cells, sizeof(double));
        city_state_put_array(out, &env->air.budget[sp], 1, sizeof env->air.budget[sp]);
    }
    city_state_put_i64(out, env->air_last_ms);
    return CITY_OK;
}

static bool sample_ok(const CityWeather *s)
{
    return isfinite(s->t_s) && isfinite(s->temp_c) && s->rh_pct >= 0 && s->rh_pct <= 100 && s->ghi_wm2 >= 0 &&
           s->ghi_wm2 < 2000 && s->wind_mps >= 0 && s->wind_mps < 100 && isfinite(s->wind_from_deg);
}

static bool episode_ok(const CityEpisode *ep)
{
    return (unsigned)ep->kind <= CITY_EPISODE_DUST && isfinite(ep->start_s) && ep->ramp_s >= 0 && ep->hold_s >= 0 &&
           isfinite(ep->ramp_s + ep->hold_s) && isfinite(ep->level) &&
           !(ep->kind == CITY_EPISODE_DUST && ep->level < 0);
}

/* What city_env_set_weather and city_env_add_episode accept, for a restore. */
static bool restored_ok(const CityEnv *env)
{
    for (size_t i = 0; i < env->n_weather; i++)
        if (!sample_ok(&env->weather[i]) || (i > 0 && !(env->weather[i].t_s > env->weather[i - 1].t_s)))
            return false;
    for (size_t i = 0; i < env->n_episodes; i++)
        if (!episode_ok(&env->episodes[i]))
            return false;
    for (int sp = 0; sp < CITY_SPECIES_COUNT; sp++)
        if (!isfinite(env->background[sp]))
            return false;
    return true;
}

/* The air grid last advanced at most one of its steps (and a tick) before
 * now, as env_step keeps it: a damaged time would make the next advance
 * span years of substeps. */
static bool air_clock_ok(const CityWorld *w, const CityEnv *env)
{
    const int64_t tick = city_world_tick(w), dt_ms = city_world_dt_ms(w), last = env->air_last_ms;
    if (tick < 0 || tick > INT64_MAX / dt_ms || last < 0)
        return false;
    const int64_t now_ms = tick * dt_ms;
    return last <= now_ms && (double)(now_ms - last) <= env->air.o.step_s * 1000.0 + (double)dt_ms;
}

static CityStatus env_load(CityWorld *w, void *self, CityStateReader *in)
{
    CityEnv *env = self;
    city_state_expect_tag(in, "ENV ");
    size_t n;
    CityWeather *wx = city_state_get_alloc(in, &n, sizeof *wx);
    if (wx && n > 0) {
        free(env->weather);
        env->weather = wx;
        env->n_weather = n;
    } else {
        free(wx);
        city_state_fail(in, "no weather series");
    }
    free(env->episodes);
    env->episodes = city_state_get_alloc(in, &env->n_episodes, sizeof *env->episodes);
    city_state_get_array(in, env->background, CITY_SPECIES_COUNT, sizeof(double), "background");
    if (!in->bad && !restored_ok(env))
        city_state_fail(in, "a weather sample, an episode or the background is out of range");
    const size_t cells = (size_t)env->air.nx * (size_t)env->air.ny;
    if (city_state_get_u64(in) != cells && !in->bad)
        city_state_fail(in, "the air grid of the checkpoint has another size than the scenario's");
    for (int sp = 0; sp < CITY_SPECIES_COUNT && cells && !in->bad; sp++) {
        city_state_get_array(in, env->air.mass[sp], cells, sizeof(double), "air masses");
        city_state_get_array(in, env->air.pending[sp], cells, sizeof(double), "pending emissions");
        city_state_get_array(in, &env->air.budget[sp], 1, sizeof env->air.budget[sp], "air budget");
        const double inv_vol = 1.0 / (env->air.o.cell_m * env->air.o.cell_m * env->air.o.mixing_height_m);
        for (size_t c = 0; c < cells; c++)
            env->air.conc[sp][c] = env->air.mass[sp][c] * inv_vol;
    }
    env->air_last_ms = city_state_get_i64(in);
    if (cells && !in->bad && !air_clock_ok(w, env))
        city_state_fail(in, "the air grid's last step (%lld ms) is not within one step before the checkpoint's time",
                        (long long)env->air_last_ms);
    return in->bad ? city_world_fail(w, CITY_ERR_PARSE, "env: damaged checkpoint (%s)", in->error) : CITY_OK;
}

static void env_destroy(void *self)
{
    CityEnv *env = self;
    env_air_free(&env->air);
    free(env->weather);
    free(env->episodes);
    free(env);
}

CityEnv *city_env_of(const CityWorld *world)
{
    return city_world_subsystem(world, ENV_NAME);
}

CityEnv *city_env_ensure(CityWorld *world)
{
    CityEnv *env = city_env_of(world);
    if (env)
        return env;
    env = calloc(1, sizeof *env);
    if (!env)
        return NULL;
    env->world = world;
    env->background[CITY_SPECIES_PM25] = 15.0;
    env->background[CITY_SPECIES_PM10] = 25.0;
    env->background[CITY_SPECIES_NOX] = 30.0;
    size_t n;
    const CityWeather *day = city_env_seoul_summer_day(&n);
    CitySubsystemDef def = {ENV_NAME, CITY_PHASE_PHYSICS, 1,    0,        env_step,
                            env_hash, env_destroy,        NULL, env_save, env_load};
    if (city_env_set_weather(env, day, n) != CITY_OK || city_world_add_subsystem(world, &def, env) != CITY_OK) {
        free(env->weather);
        free(env);
        return NULL;
    }
    return env;
}

CityStatus city_env_set_weather(CityEnv *env, const CityWeather *samples, size_t n)
{
    if (n == 0)
        return city_world_fail(env->world, CITY_ERR_INVALID, "weather: no samples; give at least one");
    for (size_t i = 0; i < n; i++) {
        const CityWeather *s = &samples[i];
        if (!sample_ok(s))
            return city_world_fail(env->world, CITY_ERR_INVALID,
                                   "weather sample %zu: need finite t_s and temp_c, rh_pct 0..100, ghi_wm2 0..2000, "
                                   "wind_mps 0..100 and a finite wind direction",
                                   i + 1);
        if (i > 0 && !(s->t_s > samples[i - 1].t_s))
            return city_world_fail(env->world, CITY_ERR_INVALID,
                                   "weather sample %zu: t_s %.17g is not after the sample before; sort them by time",
                                   i + 1, s->t_s);
    }
    CityWeather *copy = malloc(n * sizeof *copy);
    if (!copy)
        return city_world_fail(env->world, CITY_ERR_NOMEM, "out of memory for the weather");
    memcpy(copy, samples, n * sizeof *copy);
    free(env->weather);
    env->weather = copy;
    env->n_weather = n;
    return CITY_OK;
}

CityStatus city_env_add_episode(CityEnv *env, const CityEpisode *ep)
{
    if (!episode_ok(ep))
        return city_world_fail(env->world, CITY_ERR_INVALID,
                               "episode: need a finite start, ramp and hold >= 0 and a finite level (>= 0 for dust)");
    size_t cap = env->n_episodes;
    if (!city_grow((void **)&env->episodes, &cap, env->n_episodes + 1, sizeof *env->episodes))
        return city_world_fail(env->world, CITY_ERR_NOMEM, "out of memory for an episode");
    env->episodes[env->n_episodes++] = *ep;
    return CITY_OK;
}

/* 0..1: how far an episode is in at t_s. */
static double episode_weight(const CityEpisode *ep, double t_s)
{
    double a = t_s - ep->start_s;
    if (a <= 0)
        return 0.0;
    if (a < ep->ramp_s)
        return a / ep->ramp_s;
    a -= ep->ramp_s;
    if (a <= ep->hold_s)
        return 1.0;
    a -= ep->hold_s;
    return a < ep->ramp_s ? 1.0 - a / ep->ramp_s : 0.0;
}

/* Linear interpolation in the series; a series shorter than a day repeats daily. */
static void series_at(const CityEnv *env, double t_s, CityWeather *out)
{
    const CityWeather *s = env->weather;
    const size_t n = env->n_weather;
    if (n == 1) {
        *out = s[0];
        return;
    }
    const bool daily = s[n - 1].t_s < 86400.0 && s[0].t_s >= 0.0;
    double t = daily ? fmod(t_s, 86400.0) : t_s;
    if (t < 0)
        t += 86400.0;
    const CityWeather *a, *b;
    double span;
    if (t < s[0].t_s || t >= s[n - 1].t_s) {
        if (!daily) {
            *out = t < s[0].t_s ? s[0] : s[n - 1];
            return;
        }
        a = &s[n - 1]; /* wrap over midnight */
        b = &s[0];
        span = s[0].t_s + 86400.0 - a->t_s;
        if (t < s[0].t_s)
            t += 86400.0;
    } else {
        size_t i = 0;
        while (i + 1 < n && s[i + 1].t_s <= t)
            i++;
        a = &s[i];
        b = &s[i + 1];
        span = b->t_s - a->t_s;
    }
    const double f = (t - a->t_s) / span;
    out->t_s = t_s;
    out->temp_c = a->temp_c + f * (b->temp_c - a->temp_c);
    out->rh_pct = a->rh_pct + f * (b->rh_pct - a->rh_pct);
    out->ghi_wm2 = a->ghi_wm2 + f * (b->ghi_wm2 - a->ghi_wm2);
    out->wind_mps = a->wind_mps + f * (b->wind_mps - a->wind_mps);
    /* the shorter way round the compass */
    double d = fmod(b->wind_from_deg - a->wind_from_deg + 540.0, 360.0) - 180.0;
    out->wind_from_deg = fmod(a->wind_from_deg + f * d + 360.0, 360.0);
}

void city_env_weather_at(const CityEnv *env, double t_s, CityWeather *out)
{
    series_at(env, t_s, out);
    out->t_s = t_s;
    for (size_t i = 0; i < env->n_episodes; i++)
        if (env->episodes[i].kind == CITY_EPISODE_HEAT)
            out->temp_c += env->episodes[i].level * episode_weight(&env->episodes[i], t_s);
}

CityStatus city_env_set_background(CityEnv *env, double pm25, double pm10, double nox)
{
    if (!(pm25 >= 0 && pm10 >= pm25 && nox >= 0 && isfinite(pm10 + nox)))
        return city_world_fail(env->world, CITY_ERR_INVALID,
                               "background: need 0 <= pm25 <= pm10 and nox >= 0 (ug/m3), all finite");
    env->background[CITY_SPECIES_PM25] = pm25;
    env->background[CITY_SPECIES_PM10] = pm10;
    env->background[CITY_SPECIES_NOX] = nox;
    return CITY_OK;
}

double city_env_background(const CityEnv *env, CitySpecies sp, double t_s)
{
    if ((unsigned)sp >= CITY_SPECIES_COUNT)
        return 0.0;
    double v = env->background[sp];
    if (sp == CITY_SPECIES_NOX)
        return v;
    const double base25 = env->background[CITY_SPECIES_PM25];
    for (size_t i = 0; i < env->n_episodes; i++) {
        const CityEpisode *ep = &env->episodes[i];
        if (ep->kind != CITY_EPISODE_DUST)
            continue;
        /* PM2.5 moves towards the episode level; PM10 keeps its ratio to PM2.5 */
        const double d25 = (ep->level - base25) * episode_weight(ep, t_s);
        v += sp == CITY_SPECIES_PM25 ? d25 : d25 * (base25 > 0 ? env->background[CITY_SPECIES_PM10] / base25 : 1.0);
    }
    return v > 0 ? v : 0.0;
}
