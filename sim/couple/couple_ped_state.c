/* Checkpoints of the pedestrian-vehicle coupling: counters, open
 * encounters, the PET samples of every crossing, the doors' state, the
 * links it blocks and the recent conflicts. Loading re-applies the doors
 * and blocked links to the domains (the road keeps no blocked flags in its
 * own checkpoint). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "couple_ped_road.h"

static void put_samples(CityStateWriter *out, const PrSamples *q)
{
    city_state_put_u64(out, (uint64_t)q->n);
    for (int32_t i = 0; i < q->n; i++) {
        city_state_put_u64(out, q->a[i].key);
        city_state_put_f64(out, q->a[i].s_m);
        city_state_put_f64(out, q->a[i].time_s);
        city_state_put_f64(out, q->a[i].speed_mps);
        city_state_put_str(out, q->a[i].name);
    }
}

static void put_encounter(CityStateWriter *out, const PrEncounter *e)
{
    city_state_put_i64(out, e->type);
    city_state_put_u64(out, e->a);
    city_state_put_u64(out, e->b);
    city_state_put_i64(out, e->seen);
    const double f[] = {e->ttc_s, e->pet_s, e->drac_mps2, e->time_s, e->x, e->y, e->speed_a, e->speed_b};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        city_state_put_f64(out, f[k]);
    city_state_put_u8(out, e->collision);
    city_state_put_str(out, e->place);
    city_state_put_str(out, e->name_a);
    city_state_put_str(out, e->name_b);
}

CityStatus pr_save(const PedRoad *pr, CityStateWriter *out)
{
    city_state_put_tag(out, "PEDR");
    const uint64_t counts[] = {
        pr->conflicts,       pr->collisions,          pr->ped_ttc,           pr->yield, (uint64_t)pr->n_x,
        (uint64_t)pr->n_enc, (uint64_t)pr->n_blocked, (uint64_t)pr->n_recent};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
        city_state_put_u64(out, counts[k]);
    for (int32_t i = 0; i < pr->n_enc; i++)
        put_encounter(out, &pr->enc[i]);
    for (int32_t i = 0; i < pr->n_x; i++) {
        city_state_put_i64(out, pr->x[i].open);
        put_samples(out, &pr->x[i].peds);
        put_samples(out, &pr->x[i].vehs);
    }
    for (int32_t i = 0; i < pr->n_blocked; i++)
        city_state_put_i64(out, pr->blocked[i]);
    for (int32_t i = 0; i < pr->n_recent; i++) { /* oldest first */
        const CityConflictMark *m = &pr->recent[(pr->recent_head - pr->n_recent + i + PR_RECENT) % PR_RECENT];
        const double f[] = {m->time_s, m->x_m, m->y_m, m->ttc_s, m->pet_s};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            city_state_put_f64(out, f[k]);
        city_state_put_u8(out, (uint8_t)m->type);
        city_state_put_u8(out, m->collision);
    }
    return CITY_OK;
}

/* Copies a saved string into a fixed field (truncated to it). */
static void get_name(CityStateReader *in, char *dst, size_t cap)
{
    char *s = city_state_get_str(in);
    snprintf(dst, cap, "%s", s ? s : "");
    free(s);
}

static bool get_samples(CityStateReader *in, PrSamples *q)
{
    uint64_t n = city_state_get_u64(in);
    q->n = 0;
    if (in->bad || n > INT32_MAX || !city_state_count_fits(in, n, 40) || /* 4 numbers and a name each */
        !city_array_grow((void **)&q->a, &q->cap, (int32_t)n + 1, sizeof *q->a))
        return false;
    for (uint64_t i = 0; i < n; i++) {
        PrSample *s = &q->a[q->n++];
        s->key = city_state_get_u64(in);
        s->s_m = city_state_get_f64(in);
        s->time_s = city_state_get_f64(in);
        s->speed_mps = city_state_get_f64(in);
        get_name(in, s->name, sizeof s->name);
    }
    return !in->bad;
}

static void get_encounter(CityStateReader *in, PrEncounter *e)
{
    memset(e, 0, sizeof *e);
    e->type = (int32_t)city_state_get_i64(in);
    e->a = city_state_get_u64(in);
    e->b = city_state_get_u64(in);
    e->seen = city_state_get_i64(in);
    double *f[] = {&e->ttc_s, &e->pet_s, &e->drac_mps2, &e->time_s, &e->x, &e->y, &e->speed_a, &e->speed_b};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        *f[k] = city_state_get_f64(in);
    e->collision = city_state_get_u8(in) != 0;
    get_name(in, e->place, sizeof e->place);
    get_name(in, e->name_a, sizeof e->name_a);
    get_name(in, e->name_b, sizeof e->name_b);
}

CityStatus pr_load(PedRoad *pr, CityWorld *w, CityStateReader *in)
{
    uint64_t c[8] = {0};
    if (city_state_expect_tag(in, "PEDR"))
        for (size_t k = 0; k < 8; k++)
            c[k] = city_state_get_u64(in);
    /* an encounter takes 121 bytes at least (4 integers, 8 numbers, a flag, 3 names), a blocked link 8 */
    if (in->bad || c[4] != (uint64_t)pr->n_x || c[5] > INT32_MAX || c[6] > INT32_MAX || c[7] > PR_RECENT ||
        !city_state_count_fits(in, c[5], 121) || !city_state_count_fits(in, c[6], 8) ||
        !city_array_grow((void **)&pr->enc, &pr->cap_enc, (int32_t)c[5] + 1, sizeof *pr->enc) ||
        !city_array_grow((void **)&pr->blocked, &pr->cap_blocked, (int32_t)c[6] + 1, sizeof *pr->blocked))
        return city_world_fail(w, CITY_ERR_PARSE, "crossings (ped_road): damaged checkpoint or another network");
    pr->conflicts = c[0];
    pr->collisions = c[1];
    pr->ped_ttc = c[2];
    pr->yield = c[3] != 0;
    pr->n_enc = (int32_t)c[5];
    for (int32_t i = 0; i < pr->n_enc; i++)
        get_encounter(in, &pr->enc[i]);
    for (int32_t i = 0; i < pr->n_x; i++) {
        pr->x[i].open = (int8_t)city_state_get_i64(in);
        if (!get_samples(in, &pr->x[i].peds) || !get_samples(in, &pr->x[i].vehs))
            return city_world_fail(w, CITY_ERR_PARSE, "crossings (ped_road): damaged checkpoint");
    }
    pr->n_blocked = (int32_t)c[6];
    for (int32_t i = 0; i < pr->n_blocked; i++)
        pr->blocked[i] = (int32_t)city_state_get_i64(in);
    pr->n_recent = (int32_t)c[7];
    pr->recent_head = pr->n_recent % PR_RECENT;
    for (int32_t i = 0; i < pr->n_recent; i++) {
        CityConflictMark *m = &pr->recent[i];
        double *f[] = {&m->time_s, &m->x_m, &m->y_m, &m->ttc_s, &m->pet_s};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            *f[k] = city_state_get_f64(in);
        m->type = city_state_get_u8(in) ? CITY_CONFLICT_VEH_VEH : CITY_CONFLICT_VEH_PED;
        m->collision = city_state_get_u8(in) != 0;
    }
    return in->bad ? city_world_fail(w, CITY_ERR_PARSE, "crossings (ped_road): damaged checkpoint") : CITY_OK;
}
