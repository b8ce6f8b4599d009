/* The data folder: found once, from the environment, the binary's
 * location, the source tree or the install prefix. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "city_paths.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *city_data_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    const char *env = getenv("CITYLAB_DATA");
    if (env && env[0]) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    char exe[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 32];
            snprintf(cand, sizeof cand, "%s/../share/citylab/scenarios", exe);
            if (is_dir(cand)) {
                snprintf(dir, sizeof dir, "%s/../share/citylab", exe);
                return dir;
            }
        }
    }
#ifdef CITY_SOURCE_DIR
    if (is_dir(CITY_SOURCE_DIR "/scenarios")) {
        snprintf(dir, sizeof dir, "%s", CITY_SOURCE_DIR);
        return dir;
    }
#endif
#ifdef CITY_DATA_INSTALL_DIR
    snprintf(dir, sizeof dir, "%s", CITY_DATA_INSTALL_DIR);
#else
    snprintf(dir, sizeof dir, ".");
#endif
    return dir;
}
