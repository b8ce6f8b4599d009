/* Checkpoints are untrusted input: a file whose checksum holds but whose
 * contents were changed by hand (or by a fuzzer) is refused with a message
 * that says what is wrong, never followed into memory it does not own.
 * Each test takes a real checkpoint of tests/fuzz/checkpoint.lua (road with
 * lights and flows, a grid, sensors, a controller, walkers, air, pending
 * callbacks), changes one field that a later step uses as an index,
 * recomputes the checksum and restores it into a freshly loaded scenario.
 * The untouched checkpoint restores (so each refusal is the field's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "city_grid.h"
#include "city_scenario.h"
#include "test_support.h"

#define SCENARIO CITY_SOURCE_DIR "/tests/fuzz/checkpoint.lua"
#define AT_TICKS 60 /* vehicles and walkers on their way, callbacks pending */

typedef struct Ckpt {
    uint8_t *data;
    size_t len;
} Ckpt;

static CityScenario *load(void)
{
    CityScenarioOptions o = {.path = SCENARIO, .seed = 1, .until_s = -1};
    CityScenario *sc = NULL;
    CityError err;
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    return sc;
}

/* A file in this test's scratch folder (static buffer; the folder is made
 * empty once per run). */
static const char *scratch_file(const char *name)
{
    static char dir[4096], path[4400];
    if (!dir[0])
        snprintf(dir, sizeof dir, "%s", city_test_scratch("ckpt_hostile_fields"));
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static Ckpt take(void)
{
    CityScenario *sc = load();
    for (int i = 0; i < AT_TICKS; i++)
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    const char *path = scratch_file("real.state");
    assert_int_equal(city_scenario_save(sc, path, NULL, 0), CITY_OK);
    city_scenario_destroy(sc);
    Ckpt c;
    c.data = (uint8_t *)city_test_read_file(path, &c.len);
    assert_non_null(c.data);
    return c;
}

/* Restores the bytes (with a fresh checksum); NULL when the restore worked,
 * else the message (static). The scenario is destroyed either way: a
 * partly loaded state must free cleanly. */
static const char *restore(Ckpt *c)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a of all but the last 8 bytes */
    for (size_t i = 0; i + 8 < c->len; i++)
        h = (h ^ c->data[i]) * 1099511628211ull;
    memcpy(c->data + c->len - 8, &h, 8);
    const char *path = scratch_file("changed.state");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(c->data, 1, c->len, f), c->len);
    assert_int_equal(fclose(f), 0);
    CityScenario *sc = load();
    void *extra = NULL;
    size_t extra_len = 0;
    static char msg[1024];
    CityStatus st = city_scenario_restore(sc, path, &extra, &extra_len);
    snprintf(msg, sizeof msg, "%s", city_world_error(city_scenario_world(sc)));
    for (int i = 0; st == CITY_OK && i < 5; i++) /* a restored world runs */
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    free(extra);
    city_scenario_destroy(sc);
    return st == CITY_OK ? NULL : msg;
}

static void expect_refused(Ckpt *c, const char *what)
{
    const char *msg = restore(c);
    if (!msg || !strstr(msg, what))
        fail_msg("expected a refusal naming \"%s\", got: %s", what, msg ? msg : "(restored)");
    assert_non_null(strstr(msg, "cannot restore"));
}

/* With CITY_FUZZ_CHECKPOINT_SEEDS=DIR, the file the last restore read is
 * also written to DIR/name as a seed of the checkpoint fuzz target: its
 * body, without header and checksum (tests/fuzz/fuzz_checkpoint.c). So
 * the regression seeds there follow the format as it changes. */
static void keep_seed(const char *name)
{
    const char *dir = getenv("CITY_FUZZ_CHECKPOINT_SEEDS");
    if (!dir || !dir[0])
        return;
    const char *path = scratch_file("changed.state");
    CityCheckpointInfo info;
    CityError err;
    assert_int_equal(city_checkpoint_peek(path, &info, &err), CITY_OK);
    city_checkpoint_info_free(&info);
    size_t len;
    char *data = city_test_read_file(path, &len);
    assert_non_null(data);
    assert_true(info.body_at + 8 <= len);
    char out[4400];
    snprintf(out, sizeof out, "%s/%s", dir, name);
    FILE *f = fopen(out, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data + info.body_at, 1, len - info.body_at - 8, f), len - info.body_at - 8);
    assert_int_equal(fclose(f), 0);
    free(data);
}

/* ---- walking the stream (the layout of city_state.c) ---- */

static uint64_t rd_u64(const Ckpt *c, size_t at)
{
    assert_true(at + 8 <= c->len);
    uint64_t v;
    memcpy(&v, c->data + at, 8);
    return v;
}

/* An array at `at`: its count and element size; returns where the data starts. */
static size_t array_at(const Ckpt *c, size_t at, uint64_t *count, uint64_t *size)
{
    *count = rd_u64(c, at);
    *size = rd_u64(c, at + 8);
    return at + 16;
}

static size_t skip_array(const Ckpt *c, size_t at)
{
    uint64_t n, size;
    size_t data = array_at(c, at, &n, &size);
    return data + (size_t)(n * size);
}

static size_t skip_str(const Ckpt *c, size_t at)
{
    uint64_t n = rd_u64(c, at);
    return at + 8 + (n == UINT64_MAX ? 0 : (size_t)n);
}

/* Where a subsystem's blob starts: after its name (a short string) and
 * woken flag, at its tag. */
static size_t section(const Ckpt *c, const char tag[4])
{
    for (size_t i = 0; i + 8 + 1 + 4 <= c->len; i++) {
        uint64_t n = rd_u64(c, i);
        if (n > 0 && n < 32 && i + 8 + n + 1 + 4 <= c->len && c->data[i + 8 + n] <= 1 &&
            !memcmp(c->data + i + 8 + n + 1, tag, 4))
            return i + 8 + (size_t)n + 1 + 4;
    }
    fail_msg("no section %.4s in the checkpoint", tag);
    return 0;
}

/* A tag followed by an array of elements of `size` bytes: where the array starts. */
static size_t tag_then_array(const Ckpt *c, const char tag[4], size_t size)
{
    for (size_t i = 0; i + 4 + 16 <= c->len; i++)
        if (!memcmp(c->data + i, tag, 4) && rd_u64(c, i + 12) == size)
            return i + 4;
    fail_msg("no section %.4s in the checkpoint", tag);
    return 0;
}

static void put_i32(Ckpt *c, size_t at, int32_t v)
{
    assert_true(at + 4 <= c->len);
    memcpy(c->data + at, &v, 4);
}

/* Restores a copy of `real` with the n bytes at `at` replaced by `bytes`,
 * and expects a refusal naming `what` (keep_seed after it keeps that copy). */
static void expect_refused_with(const Ckpt *real, size_t at, const void *bytes, size_t n, const char *what)
{
    assert_true(at + n <= real->len);
    Ckpt c = {malloc(real->len), real->len};
    assert_non_null(c.data);
    memcpy(c.data, real->data, real->len);
    memcpy(c.data + at, bytes, n);
    expect_refused(&c, what);
    free(c.data);
}

static int32_t get_i32(const Ckpt *c, size_t at)
{
    int32_t v;
    memcpy(&v, c->data + at, 4);
    return v;
}

/* ---- the road ---- */

typedef struct RoadAt {
    size_t gen;      /* the generations' data */
    uint32_t used;   /* vehicle slots */
    size_t field[9]; /* data of: lane, vtype, route, route_pos, conn, via_pos, occ_link, pos, stops */
    size_t lanes;    /* the first lane queue (an array) */
} RoadAt;

static RoadAt road_at(const Ckpt *c)
{
    RoadAt r = {0};
    size_t at = section(c, "ROAD");
    uint32_t used;
    memcpy(&used, c->data + at, 4);
    r.used = used;
    uint64_t n, size;
    r.gen = array_at(c, at + 4, &n, &size);
    assert_int_equal(n, used);
    at = skip_array(c, at + 4);                              /* generations */
    at = skip_array(c, at) + 4;                              /* free list, live count */
    static const int want[] = {0, 5, 6, 7, 8, 9, 10, 1, 22}; /* positions in ROAD_VEH_FIELDS (road_state.c) */
    for (int k = 0; k < 27; k++) { /* the fields of ROAD_VEH_FIELDS */
        for (int w = 0; w < 9; w++)
            if (k == want[w])
                r.field[w] = array_at(c, at, &n, &size);
        at = skip_array(c, at);
    }
    at = skip_array(c, at); /* the live list */
    for (uint32_t i = 0; i < used; i++)
        at = skip_str(c, at);
    r.lanes = at;
    return r;
}

/* A live vehicle's slot. */
static uint32_t live_vehicle(const Ckpt *c, const RoadAt *r)
{
    for (uint32_t i = 0; i < r->used; i++) {
        uint32_t g;
        memcpy(&g, c->data + r->gen + 4 * i, 4);
        if (g & 1u)
            return i;
    }
    fail_msg("no vehicle on the road at the checkpoint");
    return 0;
}

static void test_real_checkpoint_restores(void **state)
{
    (void)state;
    Ckpt c = take();
    const char *msg = restore(&c);
    if (msg)
        fail_msg("the untouched checkpoint is refused: %s", msg);
    free(c.data);
}

static void test_refuses_vehicle_indices(void **state)
{
    (void)state;
    static const struct {
        int field;
        int32_t value;
        const char *what;
    } cases[] = {
        {0, 1 << 20, "lane out of range"},
        {0, -1, "lane out of range"},
        {1, 1000, "vehicle type out of range"},
        {2, 1 << 24, "route out of range"},
        {3, 999, "position on its route out of range"},
        {4, 1 << 22, "planned connection out of range"},
        {6, 1 << 22, "junction link out of range"},
    };
    Ckpt real = take();
    RoadAt r = road_at(&real);
    uint32_t v = live_vehicle(&real, &r);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        Ckpt c = {malloc(real.len), real.len};
        memcpy(c.data, real.data, real.len);
        put_i32(&c, r.field[cases[k].field] + 4 * v, cases[k].value);
        expect_refused(&c, cases[k].what);
        free(c.data);
    }
    free(real.data);
}

/* Indices each in range that do not fit together: a vehicle on a lane of
 * another edge than its route position's, or placed inside a junction on a
 * lane that is not its connection's. */
static void test_refuses_vehicle_off_route(void **state)
{
    (void)state;
    Ckpt real = take();
    RoadAt r = road_at(&real);
    uint32_t v = UINT32_MAX;
    for (uint32_t i = 0; i < r.used && v == UINT32_MAX; i++) { /* a live vehicle on a normal lane, a turn planned */
        uint32_t g;
        memcpy(&g, real.data + r.gen + 4 * i, 4);
        if ((g & 1u) && (int8_t)real.data[r.field[5] + i] < 0 && get_i32(&real, r.field[4] + 4 * i) >= 0)
            v = i;
    }
    assert_true(v != UINT32_MAX);
    Ckpt c = {malloc(real.len), real.len};
    /* the other edge of its two-edge route (flows A1B1 -> B1C1, B0B1 -> B1B2) */
    memcpy(c.data, real.data, real.len);
    put_i32(&c, r.field[3] + 4 * v, get_i32(&real, r.field[3] + 4 * v) == 0 ? 1 : 0);
    expect_refused(&c, "not on edge");
    /* another lane (one lane an edge: another edge's), the queues left as they are */
    memcpy(c.data, real.data, real.len);
    put_i32(&c, r.field[0] + 4 * v, get_i32(&real, r.field[0] + 4 * v) == 0 ? 1 : 0);
    expect_refused(&c, "not on edge");
    /* inside the junction of its planned turn, on its normal lane */
    memcpy(c.data, real.data, real.len);
    c.data[r.field[5] + v] = 0;
    expect_refused(&c, "inside a junction, not on its connection from edge");
    free(c.data);
    free(real.data);
}

/* A vehicle count that the bytes left cannot hold at a vehicle's real
 * size is refused before any room is made for it (a 1 GiB file could
 * otherwise ask for tens of gigabytes at 12 bytes a vehicle). */
static void test_refuses_vehicle_count(void **state)
{
    (void)state;
    Ckpt c = take();
    size_t at = section(&c, "ROAD");
    uint32_t used = (uint32_t)((c.len - at) / 40); /* 12 bytes a vehicle fit, 150 do not */
    memcpy(c.data + at, &used, 4);
    expect_refused(&c, "road: cannot make room for");
    keep_seed("huge-vehicle-count");
    free(c.data);
}

/* The lane closures are bytes read into a bool array: a byte other than 0
 * or 1 would be a bool with no value (undefined behaviour; the router's
 * turn table is rebuilt from them at load). */
static void test_refuses_lane_closure_byte(void **state)
{
    (void)state;
    Ckpt c = take();
    RoadAt r = road_at(&c);
    size_t at = r.lanes; /* the lane queues, the active list and the active positions: arrays of 4-byte entries */
    uint64_t n, size, lanes = 0;
    for (size_t data = array_at(&c, at, &n, &size); size == 4; data = array_at(&c, at, &n, &size)) {
        lanes = n;
        at = data + (size_t)(n * size);
    }
    size_t closed = array_at(&c, at, &n, &size);
    assert_true(size == 1 && n == lanes && n > 3); /* one byte a lane, after the active positions */
    assert_true(c.data[closed + 3] == 0);
    c.data[closed + 3] = 33;
    expect_refused(&c, "road: damaged lane closures (lane 3)");
    keep_seed("lane-closed-not-bool");
    free(c.data);
}

/* A route our router added, saved with no edges (no vehicle drives it at
 * the checkpoint), restores, and the run goes on: its empty array comes
 * back as no buffer at all (NULL), which nothing may copy from or offset
 * (the sanitizer build stops on either). A fuzz finding. */
static void test_empty_route_restores(void **state)
{
    (void)state;
    Ckpt real = take();
    /* the routes: their count, then each one's id (none: UINT64_MAX) and edges (4-byte entries) */
    size_t at = SIZE_MAX;
    for (size_t i = section(&real, "ROAD"); at == SIZE_MAX && i + 32 <= real.len; i++)
        if (rd_u64(&real, i) > 0 && rd_u64(&real, i) < 1000 && rd_u64(&real, i + 8) == UINT64_MAX &&
            rd_u64(&real, i + 16) > 0 && rd_u64(&real, i + 16) < 64 && rd_u64(&real, i + 24) == 4)
            at = i + 16;
    assert_true(at != SIZE_MAX);
    const size_t edges = (size_t)rd_u64(&real, at) * 4;
    Ckpt c = {malloc(real.len - edges), real.len - edges};
    memcpy(c.data, real.data, at + 16);
    memcpy(c.data + at + 16, real.data + at + 16 + edges, real.len - at - 16 - edges);
    memset(c.data + at, 0, 8);
    const char *msg = restore(&c);
    if (msg)
        fail_msg("a checkpoint with an empty route is refused: %s", msg);
    keep_seed("empty-route");
    free(c.data);
    free(real.data);
}

/* A lane queue naming a vehicle that is not on that lane (its leader link
 * would point anywhere). */
static void test_refuses_lane_queue(void **state)
{
    (void)state;
    Ckpt c = take();
    RoadAt r = road_at(&c);
    size_t at = r.lanes;
    for (;;) { /* the first lane with a vehicle */
        uint64_t n, size;
        size_t data = array_at(&c, at, &n, &size);
        if (n > 0) {
            put_i32(&c, data, get_i32(&c, data) + 1000000);
            break;
        }
        at = data;
    }
    expect_refused(&c, "holds a vehicle that is not on it");
    free(c.data);
}

/* A vehicle's numbers: a NaN position, a speed of light, a stop count of
 * INT32_MIN (trips.csv negated it: undefined behaviour). */
static void test_refuses_vehicle_numbers(void **state)
{
    (void)state;
    Ckpt real = take();
    RoadAt r = road_at(&real);
    uint32_t v = live_vehicle(&real, &r);
    const double bad_pos[] = {0.0 / 0.0, 1e300, -1e12};
    for (size_t k = 0; k < sizeof bad_pos / sizeof bad_pos[0]; k++)
        expect_refused_with(&real, r.field[7] + 8 * (size_t)v, &bad_pos[k], 8,
                            "has a position, speed, time or count out of range");
    const int32_t stops = INT32_MIN;
    expect_refused_with(&real, r.field[8] + 4 * (size_t)v, &stops, 4,
                        "has a position, speed, time or count out of range");
    keep_seed("vehicle-stops-negative");
    free(real.data);
}

/* ---- pedestrians ---- */

typedef struct PedAt {
    size_t radii;   /* the widest person's radius in the physics and the walls' (two f64) */
    size_t count;   /* the live count (u32) of the id set */
    size_t f64[12]; /* data of x, y, vx, vy, r, m, v0, tx, ty, heading, depart_s, stuck_s (ped_state.c) */
    size_t i32[3];  /* data of leg, area, route_len */
    size_t routes;  /* the first person's route (an array) */
} PedAt;

static PedAt ped_at(const Ckpt *c)
{
    PedAt p = {0};
    p.radii = section(c, "PEDS") + 1; /* after the sealed flag */
    size_t at = p.radii + 8 + 8 + 4;  /* radii, used */
    at = skip_array(c, at);           /* generations */
    at = skip_array(c, at) + 4;       /* free list, live */
    p.count = at;
    at += 4;
    at = skip_array(c, skip_array(c, at)); /* slots, indices */
    uint64_t n, size;
    for (int k = 0; k < 12; k++) { /* the numbers */
        p.f64[k] = array_at(c, at, &n, &size);
        at = skip_array(c, at);
    }
    for (int k = 0; k < 3; k++) {
        p.i32[k] = array_at(c, at, &n, &size);
        assert_true(n > 0); /* people walk at the checkpoint */
        at = skip_array(c, at);
    }
    p.routes = skip_array(c, at); /* after the arrival flags */
    return p;
}

/* A person count that disagrees with the pool stops the load before the
 * per-person arrays exist: the scenario must still free (it walked a NULL
 * route array). */
static void test_partial_people_free(void **state)
{
    (void)state;
    Ckpt c = take();
    PedAt p = ped_at(&c);
    put_i32(&c, p.count, get_i32(&c, p.count) + 1);
    expect_refused(&c, "ped: damaged id pool");
    free(c.data);
}

static void test_refuses_person_indices(void **state)
{
    (void)state;
    Ckpt real = take();
    PedAt p = ped_at(&real);
    static const struct {
        int field;
        int32_t value;
    } cases[] = {{0, 99}, {0, -2}, {1, 5000}, {1, -7}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        Ckpt c = {malloc(real.len), real.len};
        memcpy(c.data, real.data, real.len);
        put_i32(&c, p.i32[cases[k].field], cases[k].value);
        expect_refused(&c, "ped: person 0 has a damaged route, area or state");
        free(c.data);
    }
    /* a route step through a door the space does not have */
    uint64_t n, size;
    size_t data = array_at(&real, p.routes, &n, &size);
    assert_true(n > 0);
    put_i32(&real, data, 2 * 1000);
    expect_refused(&real, "ped: person 0 has a damaged route, area or state");
    free(real.data);
}

/* Sizes, places and speeds a person cannot have: a radius of 1e12 m
 * listed the walls by metre cell within its reach (1e24 cells: a run that
 * did not come back), a position a trillion metres off made NaN forces. */
static void test_refuses_person_numbers(void **state)
{
    (void)state;
    Ckpt real = take();
    PedAt p = ped_at(&real);
    static const struct {
        int field; /* 0, 1: the radii before the people; else 2 + the index in PedAt.f64 */
        double value;
        const char *what;
    } cases[] = {{1, 1e12, "the widest person's radius is damaged"},
                 {0, -1.0, "the widest person's radius is damaged"},
                 {1, 0.0 / 0.0, "the widest person's radius is damaged"},
                 {2 + 4, 1e12, "person 0 has a damaged route, area or state"},   /* r */
                 {2 + 4, 0.0, "person 0 has a damaged route, area or state"},    /* r */
                 {2 + 0, -1e12, "person 0 has a damaged route, area or state"},  /* x */
                 {2 + 1, 1e12, "person 0 has a damaged route, area or state"},   /* y */
                 {2 + 2, 1e9, "person 0 has a damaged route, area or state"},    /* vx */
                 {2 + 5, -80.0, "person 0 has a damaged route, area or state"}}; /* m */
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t at = cases[k].field < 2 ? p.radii + 8 * (size_t)cases[k].field : p.f64[cases[k].field - 2];
        expect_refused_with(&real, at, &cases[k].value, 8, cases[k].what);
        if (k == 0)
            keep_seed("walls-radius-huge");
    }
    free(real.data);
}

/* ---- the grid ---- */

static void test_refuses_grid_ids(void **state)
{
    (void)state;
    Ckpt real = take();
    size_t at = tag_then_array(&real, "GRID", sizeof(CityGridBus));
    uint64_t n, size;
    size_t bus = array_at(&real, at, &n, &size);
    size_t br = array_at(&real, skip_array(&real, at), &n, &size);
    Ckpt c = {malloc(real.len), real.len};
    memcpy(c.data, real.data, real.len);
    put_i32(&c, bus, 77); /* bus 0's id */
    expect_refused(&c, "grid: bus 0 in the checkpoint is not the scenario's");
    memcpy(c.data, real.data, real.len);
    put_i32(&c, br + 4, 99); /* branch 0's from bus */
    expect_refused(&c, "grid: branch 0 in the checkpoint is not the scenario's");
    free(c.data);
    free(real.data);
}

/* ---- lights and weather ---- */

static size_t find_tag(const Ckpt *c, const char tag[4])
{
    for (size_t i = 0; i + 4 <= c->len; i++)
        if (!memcmp(c->data + i, tag, 4))
            return i + 4;
    fail_msg("no tag %.4s in the checkpoint", tag);
    return 0;
}

/* The first light's control mode and current phase. */
static void test_refuses_light_state(void **state)
{
    (void)state;
    Ckpt real = take();
    size_t at = find_tag(&real, "SIGS");
    assert_true(rd_u64(&real, at) > 0); /* lights */
    size_t type = at + 8 + 1;
    size_t phase = skip_str(&real, skip_array(&real, skip_array(&real, type + 16)));
    Ckpt c = {malloc(real.len), real.len};
    memcpy(c.data, real.data, real.len);
    put_i32(&c, type, 9);
    expect_refused(&c, "damaged state in the checkpoint (mode, phase or durations)");
    memcpy(c.data, real.data, real.len);
    put_i32(&c, phase, 40);
    expect_refused(&c, "damaged state in the checkpoint (mode, phase or durations)");
    free(c.data);
    free(real.data);
}

/* A flow's next departure long before the run's clock: it would leave
 * at a time the run never had, and a Poisson flow would emit every
 * departure in between at the next step (from -1e300, where a time plus a
 * gap is the same time, without end). */
static void test_refuses_demand_time(void **state)
{
    (void)state;
    Ckpt c = take();
    size_t at = find_tag(&c, "DMND");
    uint64_t n_defs = rd_u64(&c, at), n, size;
    size_t heap = array_at(&c, at + 8 + 8 * (size_t)n_defs, &n, &size);
    assert_true(n_defs == 2 && n >= 1 && size == 24); /* the two flows' next vehicles: {t, seq, def, pair} */
    const double long_ago = -1e300;
    memcpy(c.data + heap, &long_ago, 8);
    expect_refused(&c, "damaged demand queue in the checkpoint");
    keep_seed("demand-time-long-ago");
    free(c.data);
}

/* A walkers' flow's next departure long before the checkpoint's time:
 * the next step would queue everyone in between (a trillion seconds:
 * memory for hundreds of millions of people; from -1e300 without end). */
static void test_refuses_ped_flow_clock(void **state)
{
    (void)state;
    Ckpt real = take();
    const double window[3] = {0.0, 3600.0, 600.0}; /* the flow's begin, end and rate; its next time follows */
    size_t next = 0;
    for (size_t i = 0; i + sizeof window + 8 <= real.len && !next; i++)
        if (!memcmp(real.data + i, window, sizeof window))
            next = i + sizeof window;
    assert_true(next > 0);
    double t;
    memcpy(&t, real.data + next, 8);
    assert_true(t >= AT_TICKS && t < AT_TICKS + 6);            /* the next of one every 6 s */
    const double bad[] = {-1e12, -1e300, 0.0, AT_TICKS - 2.5}; /* the last two: after begin, but steps ago */
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        expect_refused_with(&real, next, &bad[k], 8, "ped: flow 0 is damaged in the checkpoint");
        if (k == 0)
            keep_seed("ped-flow-long-ago");
    }
    free(real.data);
}

/* A controller timer's due time (tests/fuzz/ticker.lua: every 7 s, made
 * at init): before the run's start or beyond the longest delay, it is
 * damaged (one at -2^62 would overflow the catch-up to the next due time). */
static void test_refuses_controller_timer_time(void **state)
{
    (void)state;
    Ckpt real = take();
    uint8_t pattern[17]; /* one init timer, due at 63 s, pending */
    const int64_t one = 1, due = 63000;
    memcpy(pattern, &one, 8);
    memcpy(pattern + 8, &due, 8);
    pattern[16] = 1;
    size_t at = 0;
    for (size_t i = 0; i + sizeof pattern <= real.len && !at; i++)
        if (!memcmp(real.data + i, pattern, sizeof pattern))
            at = i + 8;
    assert_true(at > 0);
    const int64_t bad[] = {-1, INT64_MIN / 2, INT64_MAX};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        expect_refused_with(&real, at, &bad[k], 8,
                            "controller 'ticker': timer 1 is due at a damaged time in the checkpoint");
        if (k == 1)
            keep_seed("controller-timer-long-ago");
    }
    const int64_t early = 0; /* due long ago, but after the start: runs once, then every 7 s again */
    memcpy(real.data + at, &early, 8);
    assert_null(restore(&real));
    free(real.data);
}

/* A weather sample that is not a number would reach every reader of the air. */
static void test_refuses_weather(void **state)
{
    (void)state;
    Ckpt c = take();
    uint64_t n, size;
    size_t data = array_at(&c, find_tag(&c, "ENV "), &n, &size);
    assert_true(n > 0 && size == sizeof(double) * 6);
    const double nan = 0.0 / 0.0;
    memcpy(c.data + data + 8, &nan, 8); /* the first sample's temperature */
    expect_refused(&c, "a weather sample, an episode or the background is out of range");
    free(c.data);
}

/* The time the air grid last advanced lies within one of its steps before
 * the checkpoint's: a time years before made the next advance span them
 * all in substeps (a run that did not come back), one after it would
 * never advance. */
static void test_refuses_air_clock(void **state)
{
    (void)state;
    Ckpt real = take();
    size_t at = find_tag(&real, "ENV ");
    at = skip_array(&real, skip_array(&real, at)); /* weather, episodes */
    uint64_t species, size;
    at = array_at(&real, at, &species, &size) + (size_t)(species * size);        /* the background: one a species */
    assert_true(species > 0 && size == sizeof(double) && rd_u64(&real, at) > 0); /* air cells */
    at += 8;
    for (uint64_t sp = 0; sp < species; sp++) /* mass, pending emissions, budget */
        at = skip_array(&real, skip_array(&real, skip_array(&real, at)));
    int64_t last;
    memcpy(&last, real.data + at, 8);
    assert_true(last > 0 && last <= AT_TICKS * 1000); /* the scenario's steps are 1 s */
    const int64_t cases[] = {AT_TICKS * 1000 + 3600 * 1000,
                             last -
                                 10ll * 365 * 86400 * 1000}; /* a missing check: the first restores, the second hangs */
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        expect_refused_with(&real, at, &cases[k], 8, "the air grid's last step");
        if (k == 1)
            keep_seed("air-clock-years-ago");
    }
    free(real.data);
}

/* A controller's table with a NaN key: Lua raises an error on the
 * assignment, which no protected call caught (the default panic ended the
 * process); the restore is refused with the place. */
static void test_refuses_controller_nan_key(void **state)
{
    (void)state;
    Ckpt c = take();
    /* key 1 (T_INT 3, little-endian 1) of an entry that is a table (T_TABLE 6): night_dim's loop counts */
    static const unsigned char key_one[] = {3, 1, 0, 0, 0, 0, 0, 0, 0, 6};
    size_t at = SIZE_MAX;
    for (size_t i = 0; at == SIZE_MAX && i + sizeof key_one <= c.len; i++)
        if (!memcmp(c.data + i, key_one, sizeof key_one))
            at = i;
    assert_true(at != SIZE_MAX);
    const double nan = 0.0 / 0.0;
    c.data[at] = 4; /* T_FLT, the same length */
    memcpy(c.data + at + 1, &nan, 8);
    expect_refused(&c, "damaged controller state (table key)");
    keep_seed("nan-key-controller");
    free(c.data);
}

/* ---- callbacks made during the run (Lua bytecode) ---- */

/* A closure made inside a callback is saved as bytecode and must be a
 * whole function of the scenario file when it comes back: Lua has no
 * bytecode verifier. */
#define CLOSURE_SCENARIO                                                                                               \
    "city.config{ name = 'closures', dt_ms = 1000, until_s = 100 }\n"                                                  \
    "local fired = {}\n"                                                                                               \
    "city.at(5, function()\n"                                                                                          \
    "  local k, name = 3, 'late'\n"                                                                                    \
    "  city.at(50, function() fired[#fired + 1] = name .. k end)\n"                                                    \
    "end)\n"                                                                                                           \
    "city.kpi('fired', function() return #fired end)\n"

static CityScenario *load_closures(const char *path)
{
    CityScenarioOptions o = {.path = path, .seed = 1, .until_s = -1};
    CityScenario *sc = NULL;
    CityError err;
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("%s", err.msg);
    return sc;
}

/* Restores `data` into a fresh run of the scenario at `path`: NULL when it
 * restored and the pending callback fired at 50 s, else the message. */
static const char *restore_closures(const char *path, Ckpt *c)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i + 8 < c->len; i++)
        h = (h ^ c->data[i]) * 1099511628211ull;
    memcpy(c->data + c->len - 8, &h, 8);
    const char *state = scratch_file("closure-changed.state");
    FILE *f = fopen(state, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(c->data, 1, c->len, f), c->len);
    assert_int_equal(fclose(f), 0);
    CityScenario *sc = load_closures(path);
    void *extra = NULL;
    size_t extra_len = 0;
    static char msg[1024];
    CityStatus st = city_scenario_restore(sc, state, &extra, &extra_len);
    snprintf(msg, sizeof msg, "%s", city_world_error(city_scenario_world(sc)));
    if (st == CITY_OK) {
        while (city_world_tick(city_scenario_world(sc)) < 60)
            assert_int_equal(city_scenario_step(sc), CITY_OK);
        assert_int_equal(city_scenario_finish(sc), CITY_OK);
        double fired = -1;
        assert_true(city_world_kpi_get(city_scenario_world(sc), "fired", &fired));
        assert_true(fired == 1.0); /* the restored closure ran, with its upvalues */
    }
    free(extra);
    city_scenario_destroy(sc);
    return st == CITY_OK ? NULL : msg;
}

static void test_closure_must_be_whole_function(void **state)
{
    (void)state;
    const char *path = scratch_file("closures.lua");
    static char script[4400];
    snprintf(script, sizeof script, "%s", path);
    assert_true(city_test_write_file(script, CLOSURE_SCENARIO));
    CityScenario *sc = load_closures(script);
    for (int i = 0; i < 10; i++)
        assert_int_equal(city_scenario_step(sc), CITY_OK);
    const char *saved = scratch_file("closures.state");
    assert_int_equal(city_scenario_save(sc, saved, NULL, 0), CITY_OK);
    city_scenario_destroy(sc);
    Ckpt real;
    real.data = (uint8_t *)city_test_read_file(saved, &real.len);
    assert_non_null(real.data);
    /* the saved closure: an array of bytes that starts with Lua's signature */
    size_t at = 0;
    for (size_t i = 16; !at && i + 4 <= real.len; i++)
        if (!memcmp(real.data + i, "\x1bLua", 4) && rd_u64(&real, i - 8) == 1)
            at = i - 16;
    assert_true(at > 0);
    const uint64_t n = rd_u64(&real, at);
    assert_true(n > 33);
    Ckpt c = {malloc(real.len), real.len};
    memcpy(c.data, real.data, real.len);
    const char *msg = restore_closures(script, &c);
    if (msg)
        fail_msg("the untouched checkpoint is refused: %s", msg);
    /* the same bytes less the prototype's first byte: still a substring of
     * the file's dump, but a function that starts mid-way */
    c.len = real.len - 1;
    const size_t body = at + 16 + 32; /* after the header and the upvalue count */
    memcpy(c.data, real.data, body);
    memcpy(c.data + body, real.data + body + 1, real.len - body - 1);
    const uint64_t shorter = n - 1;
    memcpy(c.data + at, &shorter, 8);
    msg = restore_closures(script, &c);
    if (!msg || !strstr(msg, "is not a whole function of the scenario file"))
        fail_msg("a shifted closure: %s", msg ? msg : "restored");
    /* and one byte short at the end */
    memcpy(c.data, real.data, at + 16 + (size_t)n - 1);
    memcpy(c.data + at + 16 + n - 1, real.data + at + 16 + n, real.len - (at + 16 + n));
    memcpy(c.data + at, &shorter, 8);
    msg = restore_closures(script, &c);
    if (!msg || !strstr(msg, "is not a whole function of the scenario file"))
        fail_msg("a truncated closure: %s", msg ? msg : "restored");
    free(c.data);
    free(real.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_checkpoint_restores),  cmocka_unit_test(test_refuses_vehicle_indices),
        cmocka_unit_test(test_refuses_lane_queue),        cmocka_unit_test(test_refuses_vehicle_count),
        cmocka_unit_test(test_partial_people_free),       cmocka_unit_test(test_refuses_person_indices),
        cmocka_unit_test(test_refuses_grid_ids),          cmocka_unit_test(test_closure_must_be_whole_function),
        cmocka_unit_test(test_refuses_light_state),       cmocka_unit_test(test_refuses_weather),
        cmocka_unit_test(test_refuses_vehicle_off_route), cmocka_unit_test(test_refuses_lane_closure_byte),
        cmocka_unit_test(test_refuses_air_clock),         cmocka_unit_test(test_refuses_controller_nan_key),
        cmocka_unit_test(test_empty_route_restores),      cmocka_unit_test(test_refuses_demand_time),
        cmocka_unit_test(test_refuses_ped_flow_clock),    cmocka_unit_test(test_refuses_controller_timer_time),
        cmocka_unit_test(test_refuses_person_numbers),    cmocka_unit_test(test_refuses_vehicle_numbers),
    };
    if (chdir(CITY_SOURCE_DIR) != 0) /* the scenario names its controller from the repository's root */
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
