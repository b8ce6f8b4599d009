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
 *   CITY_FUZZ_CHECKPOINT_SEEDS=tests/fuzz/corpus/checkpoint build-fuzz/tests/fuzz/fuzz_checkpoint
 * The others are regression seeds, each a damaged checkpoint that a load
 * hook refuses (or, empty-route, restores): test_checkpoint_hostile makes
 * them from the current format and checks what the restore says; remake
 * them with
 *   CITY_FUZZ_CHECKPOINT_SEEDS=tests/fuzz/corpus/checkpoint BUILD/tests/test_checkpoint_hostile */
#include "fuzz_common.h"

#include <string.h>

#include "city_scenario.h"
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

/* A checkpoint of SCENARIO after `ticks` steps, whole (the caller frees),
 * and where its body (what follows the header) starts. */
static uint8_t *checkpoint_at(int ticks, size_t *len, size_t *body_at)
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
    CityCheckpointInfo info;
    CityError err;
    if (city_checkpoint_peek(path, &info, &err) != CITY_OK)
        abort();
    city_checkpoint_info_free(&info);
    *body_at = info.body_at;
    uint8_t *data = (uint8_t *)city_file_read(path, (size_t)1 << 30, len);
    unlink(path);
    if (!data)
        abort();
    return data;
}

static void write_seeds(const char *dir)
{
    const int at[] = {0, 8, 60, 300}; /* at 300 s: a few hundred vehicles and people, readings queued */
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        size_t len, h;
        uint8_t *data = checkpoint_at(at[i], &len, &h);
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
    header = checkpoint_at(0, &len, &header_len);
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
