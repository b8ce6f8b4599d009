#include "test_support.h"

#include "city_sumo.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct Buf {
    char *p;
    size_t len, cap;
} Buf;

static void buf_read(Buf *b, int fd, bool *open)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n <= 0) {
        *open = false;
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, tmp, (size_t)n);
    b->len += (size_t)n;
    b->p[b->len] = '\0';
}

CityTestRun city_test_run(const char *const *args, double timeout_s)
{
    CityTestRun r = {-1, NULL, NULL, 0};
    int po[2], pe[2];
    if (pipe(po) || pipe(pe))
        abort();
    size_t n = 0;
    while (args[n])
        n++;
    char **argv = calloc(n + 2, sizeof *argv);
    argv[0] = (char *)CITYLAB_BIN;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        execv(argv[0], argv);
        _exit(127);
    }
    free(argv);
    close(po[1]);
    close(pe[1]);
    Buf out = {0}, err = {0};
    bool oo = true, eo = true, killed = false;
    while (oo || eo) {
        struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
        double left = timeout_s - (now_s() - t0);
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        int ms = left > 0 ? (int)(left * 1000) + 1 : 100;
        if (poll(fds, 2, ms) < 0 && errno != EINTR)
            break;
        if (oo && (fds[0].revents & (POLLIN | POLLHUP)))
            buf_read(&out, po[0], &oo);
        if (eo && (fds[1].revents & (POLLIN | POLLHUP)))
            buf_read(&err, pe[0], &eo);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(po[0]);
    close(pe[0]);
    r.seconds = now_s() - t0;
    if (killed)
        r.exit_code = -1;
    else if (WIFEXITED(status))
        r.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r.exit_code = 128 + WTERMSIG(status);
    r.out = out.p ? out.p : calloc(1, 1);
    r.err = err.p ? err.p : calloc(1, 1);
    return r;
}

void city_test_run_free(CityTestRun *run)
{
    free(run->out);
    free(run->err);
    run->out = run->err = NULL;
}

char *city_test_read_in(const char *dir, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = city_test_read_file(path, NULL);
    if (!s)
        fail_msg("missing output %s", path);
    return s;
}

void city_test_copy_file(const char *from, const char *to)
{
    char *text = city_test_read_file(from, NULL);
    if (!text)
        fail_msg("cannot read %s", from);
    const bool ok = city_test_write_file(to, text);
    free(text);
    if (!ok)
        fail_msg("cannot write %s", to);
}

char *city_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    size_t got = fread(p, 1, (size_t)n, f);
    fclose(f);
    p[got] = '\0';
    if (len)
        *len = got;
    return p;
}

bool city_test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

bool city_test_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void rmtree_rec(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[4096];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rmtree_rec(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

void city_test_rmtree(const char *path)
{
    if (strncmp(path, CITY_TEST_TMP, strlen(CITY_TEST_TMP)) != 0)
        abort(); /* never delete outside the scratch area */
    rmtree_rec(path);
}

const char *city_test_scratch(const char *name)
{
    static char path[4096];
    mkdir(CITY_TEST_TMP, 0755);
    snprintf(path, sizeof path, "%s/%s", CITY_TEST_TMP, name);
    city_test_rmtree(path);
    mkdir(path, 0755);
    return path;
}

int city_test_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

CityScenario *city_test_scenario_load(const char *path, uint64_t seed)
{
    CityScenarioOptions o = {0};
    o.path = path;
    o.seed = seed;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err = {0};
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("load %s: %s", path, err.msg);
    return sc;
}

CityScenario *city_test_scenario_run(const char *path, uint64_t seed)
{
    CityScenario *sc = city_test_scenario_load(path, seed);
    CityWorld *w = city_scenario_world(sc);
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end)
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    assert_int_equal(city_scenario_finish(sc), CITY_OK);
    return sc;
}

CityWorld *city_test_world(int32_t dt_ms, uint64_t seed)
{
    CityWorldConfig cfg = {.seed = seed, .dt_ms = dt_ms};
    CityWorld *w = city_world_create(&cfg);
    assert_non_null(w);
    return w;
}

CityRoad *city_test_road(CityWorld *w, const char *net_path, const CityRoadOptions *o)
{
    CityRoadNet *net = NULL;
    CityError err;
    if (city_sumo_load_net(net_path, &net, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    CityRoad *road;
    if (city_road_create(w, net, o, &road) != CITY_OK)
        fail_msg("%s", city_world_error(w));
    return road;
}

CityRoad *city_test_grid3(CityWorld *w, double reroute_period_s, bool search_every_route)
{
    CityRoadOptions o;
    city_road_options_defaults(&o);
    o.trip_output = o.edge_output = false;
    o.reroute_period_s = reroute_period_s;
    o.search_every_route = search_every_route;
    return city_test_road(w, CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml", &o);
}

static bool excepted(int32_t e, const int32_t *except, int n_except)
{
    for (int i = 0; i < n_except; i++)
        if (e == except[i])
            return true;
    return false;
}

int city_test_grid_flows(CityRoad *road, int every, double rate, const int32_t *except, int n_except)
{
    const CityRoadNet *rn = city_road_net(road);
    int k = 0;
    for (int32_t a = 0; a < rn->n_edges; a++)
        for (int32_t b = 0; b < rn->n_edges; b++) {
            if (rn->edges[a].internal || rn->edges[b].internal || a == b || excepted(a, except, n_except) ||
                excepted(b, except, n_except) || (a * 7 + b) % every)
                continue;
            char id[32];
            snprintf(id, sizeof id, "f%d", k++);
            CityFlowDef f = {.id = id,
                             .vtype = -1,
                             .begin_s = 0,
                             .end_s = 1800,
                             .veh_per_hour = rate,
                             .spacing = CITY_FLOW_POISSON,
                             .route = -1,
                             .from_edge = a,
                             .to_edge = b,
                             .depart = {.lane = CITY_DEPART_LANE_BEST, .pos_m = -1, .speed_mps = 0}};
            assert_int_equal(city_road_add_flow(road, &f), CITY_OK);
        }
    return k;
}

int32_t city_test_junction(CityRoadNet *net, const char *id, CityJunctionType type, double x, double y)
{
    CityError err;
    int32_t j = city_road_net_add_junction(net, id, type, x, y, NULL, 0, &err);
    if (j < 0)
        fail_msg("%s", err.msg);
    return j;
}

int32_t city_test_edge(CityRoadNet *net, const char *id, int32_t from, int32_t to, CityPoint p0, CityPoint p1,
                       int lanes, double speed_mps)
{
    CityError err;
    int32_t e = city_road_net_add_edge(net, id, from, to, 1, false, NULL, &err);
    if (e < 0)
        fail_msg("%s", err.msg);
    for (int i = 0; i < lanes; i++) {
        char lane[80];
        snprintf(lane, sizeof lane, "%s_%d", id, i);
        CityPoint shape[2] = {p0, p1};
        if (city_road_net_add_lane(net, e, lane, speed_mps, 0, 3.2, CITY_VC_ALL, shape, 2, &err) < 0)
            fail_msg("%s", err.msg);
    }
    return e;
}
