/* Battery peak shaving as a C controller (device.h): discharges what the
 * feeder draws above limit_kw, charges what it draws below floor_kw, both
 * within power_kw. The meter sees the feeder net of the battery, so the
 * load is the reading plus the last setpoint. Params: sensor (feeder power, kW), battery (actuator),
 * limit_kw, floor_kw, power_kw. Twin of peak_shave.lua: same commands. */
#include <stdlib.h>

#include "device.h"

typedef struct Shave {
    const CityDeviceHost *h;
    const char *sensor, *battery;
    double limit_kw, floor_kw, power_kw;
    double set_kw; /* last acknowledged setpoint */
} Shave;

static double num(const CityDeviceHost *h, const char *name, double dflt)
{
    const char *v = h->param(h->host, name);
    return v ? strtod(v, NULL) : dflt;
}

static int shave_init(const CityDeviceHost *h, void **state)
{
    Shave *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    s->h = h;
    s->sensor = h->param(h->host, "sensor");
    s->battery = h->param(h->host, "battery");
    s->limit_kw = num(h, "limit_kw", 0);
    s->floor_kw = num(h, "floor_kw", 0);
    s->power_kw = num(h, "power_kw", 0);
    *state = s;
    if (!s->sensor || !s->battery) {
        h->log(h->host, "peak_shave: give params sensor and battery");
        return 1;
    }
    return 0;
}

static int shave_step(void *state)
{
    Shave *s = state;
    double p_kw, t_s;
    int q;
    if (s->h->read(s->h->host, s->sensor, &p_kw, &t_s, &q) != 1 || q == CITY_DEVICE_BAD)
        return 0;
    p_kw += s->set_kw; /* the load itself */
    double set = 0;
    if (p_kw > s->limit_kw)
        set = p_kw - s->limit_kw < s->power_kw ? p_kw - s->limit_kw : s->power_kw;
    else if (p_kw < s->floor_kw)
        set = -(s->floor_kw - p_kw < s->power_kw ? s->floor_kw - p_kw : s->power_kw);
    if (s->h->command(s->h->host, s->battery, set, NULL) == 1)
        s->set_kw = set;
    return 0;
}

static void shave_fini(void *state)
{
    free(state);
}

static const CityDeviceController CONTROLLER = {
    CITY_DEVICE_API_VERSION, "peak_shave", shave_init, shave_step, NULL, shave_fini};

const CityDeviceController *city_device_controller(void)
{
    return &CONTROLLER;
}
