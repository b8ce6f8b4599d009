#include "city_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"

size_t city_list_next(const char **s, char *buf, size_t cap)
{
    const char *p = *s;
    while (*p == ' ')
        p++;
    size_t len = 0;
    while (p[len] && p[len] != ' ')
        len++;
    if (cap > 0) {
        size_t k = len < cap ? len : cap - 1;
        memcpy(buf, p, k);
        buf[k] = '\0';
    }
    *s = p + len;
    return len;
}

char *city_file_read(const char *path, size_t max_bytes, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int fail = 0;
    for (;;) {
        if (n + 1 >= cap && !city_grow((void **)&buf, &cap, n + 65536, 1)) {
            fail = ENOMEM;
            break;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > max_bytes) {
            fail = EFBIG;
            break;
        }
        if (got == 0) {
            if (ferror(f))
                fail = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (fail) {
        free(buf);
        errno = fail;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
