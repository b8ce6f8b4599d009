/* When channels sample: channel i samples on the ticks t >= offset_tick
 * with (t - offset_tick) % period_ticks == 0. Channels with one period and
 * one phase (offset % period) form a group that is due on the same ticks,
 * so finding the channels due at a tick visits the groups, not the
 * channels: a network placed in bulk is one group, and its members are
 * the due list itself, in channel order (the order sampling walks the hot
 * records in). */
#include <stdlib.h>
#include <string.h>

#include "sensor_internal.h"

void sensor_schedule_free(CitySensors *s)
{
    for (int32_t g = 0; g < s->n_groups; g++)
        free(s->groups[g].members);
    free(s->groups);
    free(s->due);
    free(s->merge);
    s->groups = NULL;
    s->due = s->merge = NULL;
    s->n_groups = s->cap_groups = s->cap_due = s->cap_merge = 0;
    s->due_list = NULL;
    s->n_due = 0;
    s->due_tick = -1;
}

bool sensor_schedule_add(CitySensors *s, int32_t i)
{
    const Sensor *c = &s->sensors[i];
    const int64_t phase = c->offset_tick % c->period_ticks;
    /* room for every channel in a due list first, so a failure leaves the groups as they were */
    if (!city_array_grow((void **)&s->due, &s->cap_due, i + 1, sizeof *s->due) ||
        !city_array_grow((void **)&s->merge, &s->cap_merge, 2 * (i + 1), sizeof *s->merge))
        return false;
    int32_t g = s->n_groups;
    while (g-- > 0) /* the latest groups first: channels added together share one */
        if (s->groups[g].period_ticks == c->period_ticks && s->groups[g].phase == phase)
            break;
    if (g < 0) {
        if (!city_array_grow((void **)&s->groups, &s->cap_groups, s->n_groups + 1, sizeof *s->groups))
            return false;
        g = s->n_groups++;
        s->groups[g] = (SensorGroup){c->period_ticks, phase, c->offset_tick, NULL, 0, 0};
    }
    SensorGroup *grp = &s->groups[g];
    if (!city_array_grow((void **)&grp->members, &grp->cap, grp->n + 1, sizeof *grp->members))
        return false;
    grp->members[grp->n++] = i; /* i is the highest index: the members stay ascending */
    if (c->offset_tick > grp->all_from)
        grp->all_from = c->offset_tick;
    s->due_tick = -1;
    return true;
}

/* Merges the ascending lists a[0, na) and b[0, nb) into out. */
static int32_t merge(const int32_t *a, int32_t na, const int32_t *b, int32_t nb, int32_t *out)
{
    int32_t i = 0, j = 0, k = 0;
    while (i < na && j < nb)
        out[k++] = a[i] <= b[j] ? a[i++] : b[j++];
    while (i < na)
        out[k++] = a[i++];
    while (j < nb)
        out[k++] = b[j++];
    return k;
}

/* The due list of `tick` when it is not one whole group: the due members
 * of every group due, merged in channel order into s->due (s->merge holds
 * a group's due members and the merge, 2 n entries at most). */
static void due_merged(CitySensors *s, int64_t tick)
{
    int32_t n = 0;
    for (int32_t g = 0; g < s->n_groups; g++) {
        const SensorGroup *grp = &s->groups[g];
        if (tick % grp->period_ticks != grp->phase)
            continue;
        /* the members due: all of them, or those whose first sample has come */
        int32_t m = 0;
        for (int32_t k = 0; k < grp->n; k++)
            if (tick >= s->sensors[grp->members[k]].offset_tick)
                s->merge[m++] = grp->members[k];
        if (n > 0) {
            int32_t *out = s->merge + m;
            n = merge(s->due, n, s->merge, m, out);
            memcpy(s->due, out, (size_t)n * sizeof *s->due);
        } else {
            memcpy(s->due, s->merge, (size_t)m * sizeof *s->due);
            n = m;
        }
    }
    s->due_list = s->due;
    s->n_due = n;
}

const int32_t *city_sensors_due(CitySensors *s, int64_t tick, int32_t *n)
{
    if (s->due_tick != tick) {
        /* the common case: one group is due and all its members have started */
        const SensorGroup *only = NULL;
        int32_t n_groups_due = 0;
        for (int32_t g = 0; g < s->n_groups; g++) {
            const SensorGroup *grp = &s->groups[g];
            if (tick >= 0 && tick % grp->period_ticks == grp->phase) {
                only = grp;
                n_groups_due++;
            }
        }
        if (n_groups_due == 0) {
            s->due_list = s->due;
            s->n_due = 0;
        } else if (n_groups_due == 1 && tick >= only->all_from) {
            s->due_list = only->members;
            s->n_due = only->n;
        } else {
            due_merged(s, tick);
        }
        s->due_tick = tick;
    }
    *n = s->n_due;
    return s->due_list;
}
