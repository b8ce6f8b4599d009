#include "city_text.h"

#include <string.h>

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
