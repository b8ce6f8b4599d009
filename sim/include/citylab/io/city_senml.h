/* Readings (city_reading.h) as SenML (RFC 8428) JSON lines and as CSV,
 * with the ground truth beside each reading for studies, and a strict
 * SenML reader for what arrives over MQTT or from a file.
 *
 * One line is one SenML pack holding one record:
 *   [{"n":"loop.e12_0/count","u":"count","v":12,"t":60.000,"at":60.500,"q":"good","truth":12}]
 * "n" is "<sensor id>/<quantity>", "t" the measured time and "at" the arrival
 * time in seconds of simulation time (relative to the run's start, so below
 * 2^28 as RFC 8428 section 4.5.3 reads relative times), "q" the quality and
 * "truth" the true value at the measured time (absent when unknown). "at",
 * "q" and "truth" are citylab's own labels; a SenML reader that does not
 * know them ignores them (they do not end in "_"). */
#ifndef CITY_SENML_H
#define CITY_SENML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "city_reading.h"
#include "city_sensor.h"
#include "city_status.h"

#define CITY_SENML_LINE_MAX 512 /* bytes a formatted line needs at most, newline and NUL included */

/* Formats one reading as a SenML pack plus '\n' into buf (NUL-terminated);
 * truth NaN leaves "truth" out. Returns the length written, or 0 when cap
 * is too small. Callable anywhere; buf is the caller's. */
size_t city_senml_format(char *buf, size_t cap, const CityReading *r, double truth);
/* Writes city_senml_format's line to f. */
void city_senml_write(FILE *f, const CityReading *r, double truth);

/* The CSV header: sensor,quantity,value,unit,measured_s,arrives_s,quality,truth */
void city_reading_csv_header(FILE *f);
/* One CSV row; times with millisecond precision, truth empty when NaN. */
void city_reading_csv_write(FILE *f, const CityReading *r, double truth);

/* Both files of a run's readings at once: each reading as city_senml_write's
 * line and city_reading_csv_write's row, byte for byte, but its numbers and
 * times formatted once for both and the bytes handed to stdio in large
 * blocks (a run with 10,000 sensors at 1 Hz writes 10,000 readings per
 * simulated second). Either FILE may be NULL (that output is skipped); the
 * files stay the caller's, and hold everything put only after a flush. */
typedef struct CityReadingWriter CityReadingWriter;
/* A new writer (NULL when out of memory); free it with city_reading_writer_destroy. */
CityReadingWriter *city_reading_writer_create(FILE *senml, FILE *csv);
/* Appends one reading (truth NaN: unknown) to both outputs. */
void city_reading_writer_put(CityReadingWriter *w, const CityReading *r, double truth);
/* Appends a batch sink's readings (CitySensorBatchSink) to both outputs:
 * the lines city_reading_writer_put writes for the same readings, each
 * reading's id taken from the channel. */
void city_reading_writer_put_reports(CityReadingWriter *w, const CitySensors *s, int64_t measured_ms,
                                     const CitySensorReport *r, size_t n);
/* city_reading_writer_put_reports with the ids given as city_sensors_ids
 * gives them (ids + at[channel]; CITY_SENSOR_NAME_MAX readable bytes from
 * each), for a caller that keeps its own copy (city_reading_pipe). */
void city_reading_writer_put_batch(CityReadingWriter *w, const char *ids, const uint32_t *at, int64_t measured_ms,
                                   const CitySensorReport *r, size_t n);
/* Hands everything put so far to the files (not fflush); false when any
 * write since the writer was created failed. */
bool city_reading_writer_flush(CityReadingWriter *w);
/* Frees the writer without flushing (NULL is fine). */
void city_reading_writer_destroy(CityReadingWriter *w);

/* A writer on its own thread: a batch sink (city_reading_pipe_sink) that
 * copies each batch, 32 bytes a reading, and leaves the formatting and
 * writing to a thread of its own while the run goes on, in large loads
 * handed over as a new measured time begins. The files get the bytes
 * city_reading_writer_put_reports would write, in the same order.
 * threaded false, or no thread to be had: every batch is written at once,
 * in the caller's thread. w stays the caller's and must not be used until
 * the pipe is closed. NULL when out of memory. */
typedef struct CityReadingPipe CityReadingPipe;
CityReadingPipe *city_reading_pipe_create(CityReadingWriter *w, bool threaded);
/* A CitySensorBatchSink; user is the pipe. Called from one thread only. */
void city_reading_pipe_sink(void *user, const CitySensors *s, int64_t measured_ms, const CitySensorReport *r, size_t n);
/* Writes what is left into the writer, stops the thread and frees the pipe
 * (NULL is fine); then flush the writer, which says whether a write failed. */
void city_reading_pipe_close(CityReadingPipe *p);

/* Parses one SenML pack (a JSON array of records, e.g. one line or one
 * MQTT payload) of text[0, len) into out[0, *n). Reads the labels bn, bt,
 * bu, bver, n, u, v, t, ut and citylab's at, q, truth (truth NaN when absent
 * or null; `truth` may be NULL); refuses anything else (other labels,
 * string/boolean/data values, duplicate labels, unknown quantities, a unit
 * that is not the quantity's, times before 0 or arrival before measurement)
 * with CITY_ERR_PARSE, or CITY_ERR_LIMIT beyond cap records, and one line
 * in err that starts with `where` (e.g. "readings.senml.jsonl:12"). Never
 * reads past len; text need not be NUL-terminated. */
CityStatus city_senml_parse(const char *text, size_t len, const char *where, CityReading *out, double *truth,
                            size_t cap, size_t *n, CityError *err);

#endif
