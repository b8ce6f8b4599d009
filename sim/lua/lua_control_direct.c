/* Direct slots. In a run, a reading reaches a controller by being queued
 * when measured, polled when it arrives and routed to each controller that
 * reads its channel (lua_control.c), which costs a few hundred instructions
 * per reading whether or not the controller looks at it before the next
 * one. A Lua controller in-process without subscriptions or stale check
 * only keeps each channel's last reading, and a channel with no latency
 * has its last reading arrived as soon as it is measured: such a
 * controller takes those readings from the sensors itself when it runs (and
 * before a checkpoint), one test per channel when nothing is new. Its slots
 * then hold what delivery would have put there: the channel's last reading
 * measured since the attach, and last_input_ms its arrival. */
#include <stdlib.h>

#include "city_array.h"
#include "city_sensor.h"
#include "lua_control_internal.h"

void controller_direct_mark(CityController *c, const CitySensors *s)
{
    for (int32_t i = 0; i < c->n_slots; i++) {
        SlotInfo *sl = &c->slot_info[i];
        sl->channel = -1;
        sl->base_ms = INT64_MIN;
        sl->channel = city_sensor_find_key(s, sl->key); /* slots of a run are keyed as the sensors are */
        CitySensorArrival before;
        if (sl->channel >= 0 && city_sensor_newer(s, sl->channel, INT64_MIN, &before))
            sl->base_ms = before.measured_ms;
    }
}

bool controller_direct_begin(CityController *c, const CitySensors *s, bool *reroute)
{
    c->n_direct = 0;
    c->direct_src = s;
    c->reroute = reroute;
    return s && c->L && !c->bridge && !c->dev && c->n_subs == 0 && c->stale_ms <= 0;
}

bool controller_direct_add(CityController *c, int32_t slot, int32_t channel)
{
    void *arr = c->direct;
    if (!city_array_grow(&arr, &c->cap_direct, c->n_direct + 1, sizeof *c->direct))
        return false;
    c->direct = arr;
    const Slot *sl = &c->slots[slot];
    c->direct[c->n_direct++] = (DirectSlot){slot, channel, sl->has ? sl->last.measured_ms : c->slot_info[slot].base_ms};
    return true;
}

void controller_direct_pull(CityController *c)
{
    if (c->failed) /* a stopped controller keeps what it had */
        return;
    int64_t newest = INT64_MIN;
    CitySensorArrival a;
    for (int32_t k = 0; k < c->n_direct; k++) {
        DirectSlot *d = &c->direct[k];
        if (!city_sensor_newer(c->direct_src, d->channel, d->seen_ms, &a))
            continue;
        d->seen_ms = a.measured_ms;
        Slot *sl = &c->slots[d->slot];
        sl->has = true;
        sl->last = (SlotReading){a.value, a.measured_ms, a.arrives_ms, a.quality};
        if (a.arrives_ms > newest)
            newest = a.arrives_ms;
    }
    if (newest > c->last_input_ms) /* delivery goes by arrival: the last delivered is the latest */
        c->last_input_ms = newest;
}

void controller_direct_resync(CityController *c)
{
    for (int32_t k = 0; k < c->n_direct; k++) {
        const int32_t i = c->direct[k].slot;
        c->direct[k].seen_ms = c->slots[i].has ? c->slots[i].last.measured_ms : c->slot_info[i].base_ms;
    }
}

void controller_direct_stop(CityController *c)
{
    if (c->n_direct == 0)
        return;
    controller_direct_pull(c);
    c->n_direct = 0;
    controller_groups_direct(c);
    if (c->reroute)
        *c->reroute = true;
}
