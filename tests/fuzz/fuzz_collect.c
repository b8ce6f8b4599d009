/* citylab sweep collect (city_collect.h) on run folders from elsewhere:
 * the input is up to three summary.json files separated by form feeds,
 * runs/a, runs/b and runs/c of a sweep folder; the tables are written
 * beside them. */
#include "fuzz_common.h"

#include <sys/stat.h>

#include "city_collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_dir();
    static const char *const runs[] = {"a", "b", "c"};
    char path[1024], runs_csv[1024], points_csv[1024];
    snprintf(path, sizeof path, "%s/runs", dir);
    mkdir(path, 0700);
    for (int i = 0; i < 3; i++) {
        char run[1024];
        snprintf(run, sizeof run, "%s/runs/%s", dir, runs[i]);
        mkdir(run, 0700);
        size_t n;
        const uint8_t *part = fuzz_part(data, size, i, &n);
        if (part)
            fuzz_write(run, "summary.json", part, n);
        else {
            snprintf(path, sizeof path, "%s/summary.json", run);
            unlink(path);
        }
    }
    snprintf(runs_csv, sizeof runs_csv, "%s/runs.csv", dir);
    snprintf(points_csv, sizeof points_csv, "%s/points.csv", dir);
    CityCollectResult r;
    CityError err;
    (void)city_collect(dir, runs_csv, points_csv, &r, &err);
    return 0;
}
