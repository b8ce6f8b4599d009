/* Checkpoint files (citylab run --restore FILE): the input is the body of
 * a checkpoint of tests/fuzz/checkpoint.lua (world, every subsystem's
 * state, the scenario's Lua state and the caller's block); the target puts
 * in front the header of a real checkpoint of that scenario and appends
 * the checksum, so that the fuzzer reaches the load hooks rather than the
 * checksum test, then restores it into a freshly loaded scenario and runs
 * 30 s. A restore must fail cleanly or give a world that runs.
 *
 * The seeds in corpus/checkpoint/ are bodies of real checkpoints at a few
 * times (vehicles, people, sensor readings on their way, a controller's
 * state, callbacks pending, one of them a closure made during the run);
 * remake them (after a change of a save hook) with
 *   CITY_FUZZ_CHECKPOINT_SEEDS=tests/fuzz/corpus/checkpoint build-fuzz/tests/fuzz/fuzz_checkpoint */
#include "fuzz_common.h"

#include <string.h>

#include "city_scenario.h"
#include "city_state.h"
#include "city_text.h"

#define SCENARIO CITY_SOURCE_DIR "/tests/fuzz/checkpoint.lua"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *header; /* the header of a real checkpoint of SCENARIO */
static size_t header_len;

static uint64_t fnv1a(const uint8_t *b, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static CityScenario *load(void)
{
    CityScenarioOptions o = {.path = SCENARIO, .seed = 1, .until_s = -1};
    CityScenario *sc = NULL;
    CityError err;
    if (city_scenario_load(&o, &sc, &err) != CITY_OK) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", err.msg);
        abort();
    }
    return sc;
}

/* A checkpoint of SCENARIO after `ticks` steps, whole (the caller frees). */
static uint8_t *checkpoint_at(int ticks, size_t *len)
{
    CityScenario *sc = load();
    for (int i = 0; i < ticks; i++)
        if (city_scenario_step(sc) != CITY_OK)
            abort();
    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/citylab-fuzz-%ld.state", tmp && tmp[0] ? tmp : "/tmp", (long)getpid());
    if (city_scenario_save(sc, path, "extra", 5) != CITY_OK)
        abort();
    city_scenario_destroy(sc);
    uint8_t *data = (uint8_t *)city_file_read(path, (size_t)1 << 30, len);
    unlink(path);
    if (!data)
        abort();
    return data;
}

/* The header's length: the fields scenario_state.c writes before the world. */
static size_t header_length(const uint8_t *data, size_t len)
{
    CityStateReader r = {data, len, 0, false, ""};
    char magic[8];
    uint32_t order;
    city_state_get_array(&r, magic, 8, 1, "magic");
    (void)city_state_get_u32(&r);
    city_state_get_array(&r, &order, 1, sizeof order, "byte order");
    free(city_state_get_str(&r)); /* version */
    free(city_state_get_str(&r)); /* scenario */
    (void)city_state_get_u64(&r); /* source hash */
    (void)city_state_get_u64(&r); /* seed */
    (void)city_state_get_i64(&r); /* dt */
    (void)city_state_get_i64(&r); /* tick */
    for (uint64_t n = city_state_get_u64(&r); n > 0 && !r.bad; n--)
        free(city_state_get_str(&r));
    if (r.bad)
        abort();
    return r.pos;
}

static void write_seeds(const char *dir)
{
    const int at[] = {0, 8, 60, 300}; /* at 300 s: a few hundred vehicles and people, readings queued */
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        size_t len;
        uint8_t *data = checkpoint_at(at[i], &len);
        size_t h = header_length(data, len);
        char path[4200];
        snprintf(path, sizeof path, "%s/at%d", dir, at[i]);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(data + h, 1, len - h - 8, f) != len - h - 8 || fclose(f) != 0)
            abort();
        free(data);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *seeds = getenv("CITY_FUZZ_CHECKPOINT_SEEDS");
    if (seeds) {
        write_seeds(seeds);
        exit(0);
    }
    size_t len;
    header = checkpoint_at(0, &len);
    header_len = header_length(header, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *file = malloc(header_len + size + 8);
    if (!file)
        return 0;
    memcpy(file, header, header_len);
    memcpy(file + header_len, data, size);
    uint64_t sum = fnv1a(file, header_len + size, 14695981039346656037ull);
    memcpy(file + header_len + size, &sum, 8);
    const char *path = fuzz_path(file, header_len + size + 8);
    free(file);
    CityScenario *sc = load();
    void *extra = NULL;
    size_t extra_len = 0;
    if (city_scenario_restore(sc, path, &extra, &extra_len) == CITY_OK)
        for (int i = 0; i < 30; i++)
            if (city_scenario_step(sc) != CITY_OK)
                break;
    free(extra);
    city_scenario_destroy(sc);
    return 0;
}
