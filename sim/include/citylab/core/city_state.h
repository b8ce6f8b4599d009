/* Checkpoint streams: the little-endian binary encoding that subsystems
 * use in their save and load hooks. A writer grows a buffer; a reader
 * walks one and turns every overrun or mismatch into a sticky error with
 * a message, so a hook reads straight through and checks once at the end.
 * The container (header, version, checksum) is the scenario layer's. */
#ifndef CITY_STATE_H
#define CITY_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_status.h"

typedef struct CityStateWriter {
    uint8_t *data; /* bytes written (owned) */
    size_t len;    /* bytes used */
    size_t cap;    /* bytes allocated */
    bool oom;      /* an allocation failed: the stream is incomplete */
} CityStateWriter;

typedef struct CityStateReader {
    const uint8_t *data; /* bytes to read (borrowed) */
    size_t len;          /* their number */
    size_t pos;          /* next byte */
    bool bad;            /* an error happened: every later read returns zeros */
    char error[256];     /* what went wrong, first error only */
} CityStateReader;

/* Writers append; on OOM they set w->oom and do nothing more. */
void city_state_put_u8(CityStateWriter *w, uint8_t v);
void city_state_put_u32(CityStateWriter *w, uint32_t v);
void city_state_put_u64(CityStateWriter *w, uint64_t v);
void city_state_put_i64(CityStateWriter *w, int64_t v);
/* A double by its bit pattern: restored exactly, NaN and -0 included. */
void city_state_put_f64(CityStateWriter *w, double v);
/* A string (NULL allowed) as a length and its bytes. */
void city_state_put_str(CityStateWriter *w, const char *s);
/* n elements of `size` bytes as a count and raw bytes (host order: the
 * container refuses a file from a machine of the other byte order). */
void city_state_put_array(CityStateWriter *w, const void *p, size_t n, size_t size);
/* A section tag (four characters) that the reader checks. */
void city_state_put_tag(CityStateWriter *w, const char tag[4]);
void city_state_writer_free(CityStateWriter *w);

uint8_t city_state_get_u8(CityStateReader *r);
uint32_t city_state_get_u32(CityStateReader *r);
uint64_t city_state_get_u64(CityStateReader *r);
int64_t city_state_get_i64(CityStateReader *r);
double city_state_get_f64(CityStateReader *r);
/* A string as a new heap copy (NULL for a saved NULL or on error). */
char *city_state_get_str(CityStateReader *r);
/* Reads an array into p, which holds exactly n elements of `size` bytes;
 * a different saved count is an error naming `what`. */
bool city_state_get_array(CityStateReader *r, void *p, size_t n, size_t size, const char *what);
/* Reads an array of any count into a new heap block (*n set; NULL and 0 when
 * empty or on error). */
void *city_state_get_alloc(CityStateReader *r, size_t *n, size_t size);
/* Checks a section tag; a mismatch is an error naming it. */
bool city_state_expect_tag(CityStateReader *r, const char tag[4]);
/* Whether a count read from the stream can be true: n elements of at least
 * min_bytes each fit in the bytes left. Check it before allocating for a
 * count that is not an array's (a damaged or hostile file could ask for
 * gigabytes). */
bool city_state_count_fits(const CityStateReader *r, uint64_t n, size_t min_bytes);
/* Marks the reader bad with a message (first error wins); returns false. */
bool city_state_fail(CityStateReader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
