/* The end-to-end MQTT tests' harness: a real mosquitto on a free loopback
 * port, citylab-agent and citylab run as child processes (killed by
 * mqtt_test_kill_children, the tests' teardown, when a check failed), and
 * reading their outputs. No timing is asserted: timeouts only bound a
 * broken run. */
#ifndef MQTT_HARNESS_H
#define MQTT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROC_TIMEOUT_S 300.0 /* bounds a broken run only */
#define SITE "lab"

/* The mosquitto binary, or NULL when it is not installed. */
const char *mqtt_test_mosquitto_bin(void);
/* A loopback port nobody listens on now. */
int mqtt_test_free_port(void);
/* Starts argv[0] with stdout and stderr into files. */
pid_t mqtt_test_spawn(const char *const *argv, const char *out_path, const char *err_path);
/* Waits for a child (killing it after the limit): its exit code, or 128+signal. */
int mqtt_test_wait_child(pid_t pid, double limit_s);
/* A cmocka teardown: kills (SIGKILL) and reaps every child not reaped yet. */
int mqtt_test_kill_children(void **state);
/* mosquitto on 127.0.0.1:port, anonymous, config and logs in dir; returns once a client gets in. */
pid_t mqtt_test_start_broker(const char *dir, int port);
/* Sends sig to a child and reaps it. */
void mqtt_test_stop(pid_t pid, int sig);
/* citylab-agent FILE --lockstep --quiet on SITE, then the arguments in more (NULL-terminated). */
pid_t mqtt_test_start_lockstep_agent(const char *dir, int port, const char *file, const char *const *more);
/* The agent for peak_shave (file: .lua or .so) named ps on SITE. */
pid_t mqtt_test_start_agent(const char *dir, int port, const char *file);
/* citylab run SCENARIO --out DIR/OUT [--bridge URL [--bridge-all]] [--param controller=FILE] in the background. */
pid_t mqtt_test_start_run_with(const char *dir, const char *scenario, const char *out_name, int port,
                               const char *controller, bool all);
/* mqtt_test_start_run_with, bridging every controller (--bridge-all) when port > 0. */
pid_t mqtt_test_start_run(const char *dir, const char *scenario, const char *out_name, int port,
                          const char *controller);
/* The text of dir/name (a new string); fails the test when missing. */
char *mqtt_test_read_in(const char *dir, const char *name);
/* The "kpi" object of a summary.json, as text. */
char *mqtt_test_kpi_text(const char *dir, const char *run);
/* A counter "<name> <n>" in text, or -1. */
long mqtt_test_counter(const char *text, const char *name);
/* Asserts that runs a and b in dir have the same commands.csv and KPIs; returns the commands' rows. */
int mqtt_test_assert_same_runs(const char *dir, const char *a, const char *b);
/* A scratch folder holding the peak_shave scenario and both controllers (a scenario reads files beside it). */
const char *mqtt_test_scenario_dir(const char *name, char *scenario, size_t len);

#endif
