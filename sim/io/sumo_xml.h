/* Shared pieces of the SUMO readers (internal to sim/io). */
#ifndef SUMO_XML_H
#define SUMO_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <expat.h>

#include "city_status.h"

typedef struct SumoParse {
    XML_Parser parser;
    const char *path;
    char *err;
    size_t err_len;
    CityStatus status; /* first error, CITY_OK while fine */
} SumoParse;

/* Value of attribute `name`, or NULL. */
const char *sumo_attr(const char **attrs, const char *name);
/* Records the first error as "FILE:LINE: message" and stops the parser. */
void sumo_fail(SumoParse *p, CityStatus status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A number attribute: dflt when absent; a parse error when malformed. */
double sumo_num(SumoParse *p, const char **attrs, const char *name, double dflt);
/* Streams the file through the parser; returns the first error. */
CityStatus sumo_parse_file(SumoParse *p, XML_StartElementHandler start, XML_EndElementHandler end, void *user);

#endif
