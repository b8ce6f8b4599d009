/* The end-to-end MQTT tests' harness (see mqtt_harness.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mqtt_harness.h"
#include "test_support.h"

const char *mqtt_test_mosquitto_bin(void)
{
    static const char *const paths[] = {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto",
                                        "/usr/local/bin/mosquitto", NULL};
    for (int i = 0; paths[i]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

/* A loopback port nobody listens on now. */
int mqtt_test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static pid_t children[16]; /* started by this test: killed by the teardown if a check failed */
static int n_children;

/* Starts argv[0] with stdout and stderr into files. */
pid_t mqtt_test_spawn(const char *const *argv, const char *out_path, const char *err_path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0 && n_children < 16)
        children[n_children++] = pid;
    if (pid == 0) {
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Forgets a child once reaped (its pid may be reused). */
static void forget(pid_t pid)
{
    for (int i = 0; i < n_children; i++)
        if (children[i] == pid)
            children[i] = children[--n_children];
}

/* Waits for a child (killing it after the limit): its exit code, or 128+signal. */
int mqtt_test_wait_child(pid_t pid, double limit_s)
{
    int status = 0;
    for (double waited = 0; waited < limit_s; waited += 0.02) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            forget(pid);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    forget(pid);
    return -1;
}

int mqtt_test_kill_children(void **state)
{
    (void)state;
    for (int i = 0; i < n_children; i++) /* not reaped yet: still ours */
        if (kill(children[i], SIGKILL) == 0)
            waitpid(children[i], NULL, 0);
    n_children = 0;
    return 0;
}

pid_t mqtt_test_start_broker(const char *dir, int port)
{
    const char *bin = mqtt_test_mosquitto_bin();
    assert_non_null(bin); /* mosquitto is missing: run scripts/setup.sh */
    char conf[1024], text[256], out[1024], err[1024];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(text, sizeof text,
             "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n", port);
    assert_true(city_test_write_file(conf, text));
    snprintf(out, sizeof out, "%s/mosquitto.out", dir);
    snprintf(err, sizeof err, "%s/mosquitto.err", dir);
    const char *argv[] = {bin, "-c", conf, NULL};
    pid_t pid = mqtt_test_spawn(argv, out, err);
    /* up when a client gets in */
    for (int i = 0; i < 3000; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return pid;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("mosquitto did not start on port %d (see %s)", port, err);
    return -1;
}

void mqtt_test_stop(pid_t pid, int sig)
{
    kill(pid, sig);
    mqtt_test_wait_child(pid, PROC_TIMEOUT_S);
}

/* citylab-agent FILE --lockstep --quiet on SITE, then the arguments in more (NULL-terminated). */
pid_t mqtt_test_start_lockstep_agent(const char *dir, int port, const char *file, const char *const *more)
{
    static char url[64], out[1024], err[1024];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", port);
    snprintf(out, sizeof out, "%s/agent.out", dir);
    snprintf(err, sizeof err, "%s/agent.err", dir);
    const char *argv[40] = {CITYLAB_AGENT_BIN, file, "--broker", url, "--site", SITE, "--lockstep", "--quiet"};
    int n = 8;
    for (int k = 0; more && more[k] && n < 39; k++)
        argv[n++] = more[k];
    argv[n] = NULL;
    return mqtt_test_spawn(argv, out, err);
}

/* The agent for peak_shave (file: .lua or .so) named ps on SITE. */
pid_t mqtt_test_start_agent(const char *dir, int port, const char *file)
{
    static const char *const more[] = {"--name",        "ps",           "--sensor",    "feeder",       "--param",
                                       "sensor=feeder", "--param",      "battery=bat", "--param",      "limit_kw=450",
                                       "--param",       "floor_kw=300", "--param",     "power_kw=150", NULL};
    return mqtt_test_start_lockstep_agent(dir, port, file, more);
}

/* citylab run SCENARIO --out DIR/OUT [--bridge URL [--bridge-all]] [--param controller=FILE] in the background. */
pid_t mqtt_test_start_run_with(const char *dir, const char *scenario, const char *out_name, int port,
                               const char *controller, bool all)
{
    static char out_dir[1024], url[64], param[1200], out[1024], err[1024];
    snprintf(out_dir, sizeof out_dir, "%s/%s", dir, out_name);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", port);
    snprintf(param, sizeof param, "controller=%s", controller ? controller : "controllers/peak_shave.lua");
    snprintf(out, sizeof out, "%s/%s.out", dir, out_name);
    snprintf(err, sizeof err, "%s/%s.err", dir, out_name);
    const char *argv[] = {CITYLAB_BIN,
                          "run",
                          scenario,
                          "--quiet",
                          "--out",
                          out_dir,
                          "--param",
                          param,
                          port > 0 ? "--bridge" : NULL,
                          url,
                          all ? "--bridge-all" : "--quiet",
                          "--bridge-timeout-ms",
                          "60000",
                          "--site",
                          SITE,
                          NULL};
    return mqtt_test_spawn(argv, out, err);
}

pid_t mqtt_test_start_run(const char *dir, const char *scenario, const char *out_name, int port, const char *controller)
{
    return mqtt_test_start_run_with(dir, scenario, out_name, port, controller, true);
}

char *mqtt_test_read_in(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = city_test_read_file(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    return text;
}

/* The "kpi" object of a summary.json, as text. */
char *mqtt_test_kpi_text(const char *dir, const char *run)
{
    char name[256];
    snprintf(name, sizeof name, "%s/summary.json", run);
    char *s = mqtt_test_read_in(dir, name);
    char *k = strstr(s, "\"kpi\"");
    assert_non_null(k);
    char *end = strchr(k, '}');
    assert_non_null(end);
    end[1] = '\0';
    memmove(s, k, strlen(k) + 1);
    return s;
}

/* A counter "<name> <n>" in text, or -1. */
long mqtt_test_counter(const char *text, const char *name)
{
    char key[96];
    snprintf(key, sizeof key, "%s ", name);
    const char *p = strstr(text, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* Asserts that runs a and b in dir have the same commands.csv and KPIs; returns the commands' rows. */
int mqtt_test_assert_same_runs(const char *dir, const char *a, const char *b)
{
    char na[256], nb[256];
    snprintf(na, sizeof na, "%s/commands.csv", a);
    snprintf(nb, sizeof nb, "%s/commands.csv", b);
    char *ca = mqtt_test_read_in(dir, na), *cb = mqtt_test_read_in(dir, nb);
    assert_string_equal(ca, cb);
    int rows = 0;
    for (const char *p = ca; *p; p++)
        rows += *p == '\n';
    char *ka = mqtt_test_kpi_text(dir, a), *kb = mqtt_test_kpi_text(dir, b);
    assert_string_equal(ka, kb);
    free(ca);
    free(cb);
    free(ka);
    free(kb);
    return rows - 1;
}

/* A scratch folder holding the peak_shave scenario and both controllers (a scenario reads files beside it). */
const char *mqtt_test_scenario_dir(const char *name, char *scenario, size_t len)
{
    const char *dir = city_test_scratch(name);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/controllers && cp %s/scenarios/peak_shave.lua %s/ && cp %s/peak_shave.so "
             "%s/scenarios/controllers/peak_shave.lua %s/controllers/",
             dir, CITY_SOURCE_DIR, dir, CITY_CONTROLLERS_DIR, CITY_SOURCE_DIR, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(scenario, len, "%s/peak_shave.lua", dir);
    return dir;
}
