/* Shared pieces of the SUMO readers (internal to sim/io). */
#ifndef SUMO_XML_H
#define SUMO_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <expat.h>

#include "city_status.h"

typedef struct SumoParse {
    XML_Parser parser;
    const char *path;  /* the file, for messages */
    const char *what;  /* what the file is, for messages ("network", "polygon file") */
    CityError *err;    /* where the first error goes (NULL: nowhere) */
    CityStatus status; /* first error, CITY_OK while fine */
} SumoParse;

/* Starts a parse of path reporting into err (cleared here). */
void sumo_parse_init(SumoParse *p, const char *path, const char *what, CityError *err);
/* Value of attribute `name`, or NULL. */
const char *sumo_attr(const char **attrs, const char *name);
/* Records the first error as "FILE:LINE: message" at the parser's line and stops the parser. */
void sumo_fail(SumoParse *p, CityStatus status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same at a given line (after the parse, for elements kept with their line). */
void sumo_fail_at(SumoParse *p, unsigned long line, CityStatus status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Records the first error as "FILE: message" (no line). */
void sumo_fail_file(SumoParse *p, CityStatus status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A number attribute: dflt when absent; a parse error when malformed. */
double sumo_num(SumoParse *p, const char **attrs, const char *name, double dflt);
/* A whole-number attribute (index, priority, lane) within +-1e9, checked
 * before it becomes an integer; dflt when absent. Fails the parse otherwise. */
int32_t sumo_int(SumoParse *p, const char **attrs, const char *name, int32_t dflt);
/* Streams the file through the parser; returns the first error. A handler
 * may stop the parser (XML_StopParser) once it has what it needs. */
CityStatus sumo_parse_file(SumoParse *p, XML_StartElementHandler start, XML_EndElementHandler end, void *user);

#endif
