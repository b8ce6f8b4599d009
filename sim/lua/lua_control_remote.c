/* A controller run by citylab-agent through the run's bridge: the run
 * keeps its readings, and on each tick that matters to it (its period is
 * due, a reading arrived, or the timer it asked for is due) hands them
 * over in one lockstep exchange and applies the commands that come back
 * through its port, as an in-process controller's would be. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "lua_control_internal.h"

bool controller_remote_keep(CityController *c, const CityReading *r)
{
    if (!city_grow((void **)&c->pending, &c->cap_pending, c->n_pending + 1, sizeof *c->pending)) {
        controller_fail(c, "out of memory keeping readings for the bridge");
        return true;
    }
    c->pending[c->n_pending++] = *r;
    return true;
}

static const char *apply(void *ctx, const char *actuator, double value, int64_t issued_ms)
{
    CityController *c = ctx;
    return c->port.command(c->port.ctx, actuator, value, issued_ms);
}

void controller_remote_run(CityController *c, bool step)
{
    const int64_t now = controller_now_ms(c);
    if (!step && c->n_pending == 0 && !(c->wake_ms >= 0 && c->wake_ms <= now))
        return;
    const CityBridgeTick t = {c->name, now, c->seed, step, c->pending, c->n_pending};
    CityBridgeResult res;
    memset(&res, 0, sizeof res);
    res.wake_ms = -1;
    c->activations++;
    c->bridge->exchange(c->bridge->ctx, &t, apply, c, &res);
    c->n_pending = 0;
    c->wake_ms = res.wake_ms;
    if (!res.done) {
        c->misses++;
        controller_log(c, "%s: missed the exchange at %.3f s (no done from the agent before the bridge timeout)",
                       c->name, (double)now / 1000.0);
    }
    if (res.failed[0])
        controller_fail(c, res.failed);
}
