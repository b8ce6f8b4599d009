/* Checkpoint streams (see city_state.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_state.h"

static void put(CityStateWriter *w, const void *p, size_t n)
{
    if (w->oom || n == 0)
        return;
    if (!city_grow((void **)&w->data, &w->cap, w->len + n, 1)) {
        w->oom = true;
        return;
    }
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void put_le(CityStateWriter *w, uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, (size_t)bytes);
}

void city_state_put_u8(CityStateWriter *w, uint8_t v)
{
    put(w, &v, 1);
}
void city_state_put_u32(CityStateWriter *w, uint32_t v)
{
    put_le(w, v, 4);
}
void city_state_put_u64(CityStateWriter *w, uint64_t v)
{
    put_le(w, v, 8);
}
void city_state_put_i64(CityStateWriter *w, int64_t v)
{
    put_le(w, (uint64_t)v, 8);
}

void city_state_put_f64(CityStateWriter *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_le(w, bits, 8);
}

void city_state_put_str(CityStateWriter *w, const char *s)
{
    if (!s) {
        put_le(w, UINT64_MAX, 8);
        return;
    }
    size_t n = strlen(s);
    put_le(w, n, 8);
    put(w, s, n);
}

void city_state_put_array(CityStateWriter *w, const void *p, size_t n, size_t size)
{
    put_le(w, n, 8);
    put_le(w, size, 8);
    if (n)
        put(w, p, n * size);
}

void city_state_put_tag(CityStateWriter *w, const char tag[4])
{
    put(w, tag, 4);
}

void city_state_writer_free(CityStateWriter *w)
{
    free(w->data);
    memset(w, 0, sizeof *w);
}

bool city_state_fail(CityStateReader *r, const char *fmt, ...)
{
    if (!r->bad) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->error, sizeof r->error, fmt, ap);
        va_end(ap);
    }
    r->bad = true;
    return false;
}

static bool get(CityStateReader *r, void *p, size_t n)
{
    if (n == 0) /* an empty array may have no storage at all */
        return !r->bad;
    if (r->bad || n > r->len - r->pos) {
        if (!r->bad)
            city_state_fail(r, "the checkpoint ends early (truncated file?)");
        memset(p, 0, n);
        return false;
    }
    memcpy(p, r->data + r->pos, n);
    r->pos += n;
    return true;
}

static uint64_t get_le(CityStateReader *r, int bytes)
{
    uint8_t b[8];
    if (!get(r, b, (size_t)bytes))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

uint8_t city_state_get_u8(CityStateReader *r)
{
    return (uint8_t)get_le(r, 1);
}
uint32_t city_state_get_u32(CityStateReader *r)
{
    return (uint32_t)get_le(r, 4);
}
uint64_t city_state_get_u64(CityStateReader *r)
{
    return get_le(r, 8);
}
int64_t city_state_get_i64(CityStateReader *r)
{
    return (int64_t)get_le(r, 8);
}

double city_state_get_f64(CityStateReader *r)
{
    uint64_t bits = get_le(r, 8);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

char *city_state_get_str(CityStateReader *r)
{
    uint64_t n = get_le(r, 8);
    if (r->bad || n == UINT64_MAX)
        return NULL;
    if (n > r->len - r->pos) {
        city_state_fail(r, "the checkpoint ends early (truncated file?)");
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        city_state_fail(r, "out of memory reading the checkpoint");
        return NULL;
    }
    get(r, s, (size_t)n);
    s[n] = '\0';
    return s;
}

bool city_state_get_array(CityStateReader *r, void *p, size_t n, size_t size, const char *what)
{
    uint64_t count = get_le(r, 8), esize = get_le(r, 8);
    if (r->bad)
        return false;
    if (count != n || esize != size)
        return city_state_fail(r, "%s: the checkpoint holds %llu entries of %llu bytes, this city %zu of %zu", what,
                               (unsigned long long)count, (unsigned long long)esize, n, size);
    return get(r, p, n * size);
}

void *city_state_get_alloc(CityStateReader *r, size_t *n, size_t size)
{
    *n = 0;
    uint64_t count = get_le(r, 8), esize = get_le(r, 8);
    if (r->bad || count == 0)
        return NULL;
    if (esize != size || count > (r->len - r->pos) / size) {
        city_state_fail(r, "the checkpoint holds a damaged array (%llu x %llu bytes)", (unsigned long long)count,
                        (unsigned long long)esize);
        return NULL;
    }
    void *p = malloc((size_t)count * size);
    if (!p) {
        city_state_fail(r, "out of memory reading the checkpoint");
        return NULL;
    }
    get(r, p, (size_t)count * size);
    *n = (size_t)count;
    return p;
}

bool city_state_count_fits(const CityStateReader *r, uint64_t n, size_t min_bytes)
{
    const size_t left = r->pos <= r->len ? r->len - r->pos : 0;
    return !r->bad && (n == 0 || (min_bytes > 0 && n <= left / min_bytes));
}

bool city_state_expect_tag(CityStateReader *r, const char tag[4])
{
    char got[4];
    if (!get(r, got, 4))
        return false;
    if (memcmp(got, tag, 4) != 0)
        return city_state_fail(r, "expected section '%.4s' in the checkpoint, found another; the file is damaged", tag);
    return true;
}
