/* C controllers (sim/include/citylab/device.h): a shared object's entry
 * points driven by the same controller host as a Lua file, with the
 * device API as C function pointers over the controller's port. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "lua_control_internal.h"

static double h_now(void *host)
{
    return (double)controller_now_ms(host) / 1000.0;
}

static int h_read(void *host, const char *sensor, double *value, double *measured_s, int *quality)
{
    const Slot *s = controller_find_slot(host, sensor);
    if (!s)
        return controller_reads(host, sensor) ? 0 : -1;
    if (!s->has)
        return 0;
    *value = s->last.value;
    *measured_s = (double)s->last.measured_ms / 1000.0;
    *quality = (int)s->last.quality;
    return 1;
}

static int h_command(void *host, const char *actuator, double value, const char **reason)
{
    CityController *c = host;
    const char *why = c->port.command(c->port.ctx, actuator, value, controller_now_ms(c));
    if (reason)
        *reason = why;
    return why == NULL;
}

static void h_log(void *host, const char *message)
{
    CityController *c = host;
    controller_log(c, "%s: %s", c->name, message ? message : "");
}

static const char *h_param(void *host, const char *name)
{
    CityController *c = host;
    for (int32_t i = 0; i < c->n_params; i++)
        if (!strcmp(c->pkeys[i], name))
            return c->pvals[i];
    return NULL;
}

static double h_random(void *host)
{
    return city_rng_uniform(&((CityController *)host)->rng);
}

bool controller_device_open(CityController *c, const char *path, CityError *err)
{
    c->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!c->dl)
        return city_error_set(err, CITY_ERR_IO, "controller '%s': cannot load %s (%s)", c->name, path, dlerror()),
               false;
    const CityDeviceController *(*entry)(void) = NULL;
    *(void **)&entry = dlsym(c->dl, "city_device_controller");
    c->dev = entry ? entry() : NULL;
    if (!c->dev || c->dev->api_version != CITY_DEVICE_API_VERSION || !c->dev->init || !c->dev->step) {
        c->dev = NULL;
        return city_error_set(err, CITY_ERR_INVALID,
                              "controller '%s': %s does not export city_device_controller() of device API version "
                              "%d with init and step",
                              c->name, path, CITY_DEVICE_API_VERSION),
               false;
    }
    c->host = (CityDeviceHost){CITY_DEVICE_API_VERSION, c, h_now, h_read, h_command, h_log, h_param, h_random};
    if (c->dev->init(&c->host, &c->dstate) != 0) {
        c->dev = NULL; /* no fini without a successful init */
        city_error_set(err, CITY_ERR_SCRIPT, "controller '%s': init of %s returned an error", c->name, path);
        return false;
    }
    return true;
}

void controller_device_step(CityController *c)
{
    if (c->dev->step(c->dstate) != 0)
        controller_fail(c, "step returned an error");
}

void controller_device_reading(CityController *c, const char *key, const CityReading *r)
{
    if (c->dev->on_reading &&
        c->dev->on_reading(c->dstate, key, r->value, (double)r->measured_ms / 1000.0, (int)r->quality) != 0)
        controller_fail(c, "on_reading returned an error");
}

void controller_device_close(CityController *c)
{
    if (c->dev && c->dev->fini)
        c->dev->fini(c->dstate);
    c->dev = NULL;
    if (c->dl)
        dlclose(c->dl);
    c->dl = NULL;
}
