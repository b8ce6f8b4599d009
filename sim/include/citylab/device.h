/* The device API for controllers written in C: the same calls a Lua
 * controller has (scenarios/DEVICE_API.md), with no citylab internals. A
 * controller is a shared object exporting city_device_controller(); the
 * host (citylab in a run, citylab-agent in the field) fills a
 * CityDeviceHost and calls the entry points. The controller never sees the
 * simulation: readings in, commands out.
 *
 * Build one with: cc -shared -fPIC -I<citylab>/sim/include/citylab my.c -o my.so */
#ifndef CITY_DEVICE_H
#define CITY_DEVICE_H

#define CITY_DEVICE_API_VERSION 1

/* Quality of a reading, as the device reports it. */
enum { CITY_DEVICE_GOOD = 0, CITY_DEVICE_UNCERTAIN = 1, CITY_DEVICE_BAD = 2 };

/* What the host offers; `host` is passed back on every call. Valid from init to fini. */
typedef struct CityDeviceHost {
    int api_version; /* CITY_DEVICE_API_VERSION */
    void *host;      /* opaque */
    /* Time now, s since the start of the run (simulation) or of the agent. */
    double (*now)(void *host);
    /* Latest reading of a sensor ("name" or "name/quantity"): 1 and the value, its measured
     * time (s) and quality; 0 when nothing arrived yet; -1 when not among the controller's sensors. */
    int (*read)(void *host, const char *sensor, double *value, double *measured_s, int *quality);
    /* Sends a command: 1 acknowledged; 0 refused, *reason (static, may be NULL) says why. */
    int (*command)(void *host, const char *actuator, double value, const char **reason);
    /* Writes a line to the run's event log. */
    void (*log)(void *host, const char *message);
    /* A parameter as a string (attach params or --param k=v), NULL when not given. */
    const char *(*param)(void *host, const char *name);
    /* Uniform in [0, 1) from the controller's own seeded stream. */
    double (*random)(void *host);
} CityDeviceHost;

/* The controller's entry points. Each returns 0 on success; anything else is
 * an error: the host puts the controller's actuators at their safe defaults
 * and stops calling it. */
typedef struct CityDeviceController {
    int api_version; /* CITY_DEVICE_API_VERSION */
    const char *name;
    /* Called once; *state is the controller's own (may stay NULL). */
    int (*init)(const CityDeviceHost *host, void **state);
    /* Called every control period. */
    int (*step)(void *state);
    /* Called for each arriving reading of its sensors (may be NULL). */
    int (*on_reading)(void *state, const char *sensor, double value, double measured_s, int quality);
    /* Frees state (may be NULL). */
    void (*fini)(void *state);
} CityDeviceController;

/* The one exported symbol of a controller shared object. */
const CityDeviceController *city_device_controller(void);

#endif
