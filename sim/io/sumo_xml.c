/* Shared pieces of the SUMO readers: attributes, numbers, errors with
 * file and line, and the streaming read loop. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sumo_xml.h"

void sumo_parse_init(SumoParse *p, const char *path, const char *what, CityError *err)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    p->what = what;
    p->err = err;
    city_error_clear(err);
}

const char *sumo_attr(const char **attrs, const char *name)
{
    for (int i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], name) == 0)
            return attrs[i + 1];
    return NULL;
}

/* The first error: "FILE:LINE: " (or "FILE: " when line is 0) and the message. */
static void failv(SumoParse *p, unsigned long line, CityStatus status, const char *fmt, va_list ap)
{
    if (p->status != CITY_OK)
        return;
    p->status = status;
    char msg[CITY_ERROR_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line)
        city_error_set(p->err, status, "%s:%lu: %s", p->path, line, msg);
    else
        city_error_set(p->err, status, "%s: %s", p->path, msg);
}

void sumo_fail(SumoParse *p, CityStatus status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(p, p->parser ? (unsigned long)XML_GetCurrentLineNumber(p->parser) : 0ul, status, fmt, ap);
    va_end(ap);
    if (p->parser)
        XML_StopParser(p->parser, XML_FALSE);
}

void sumo_fail_at(SumoParse *p, unsigned long line, CityStatus status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(p, line, status, fmt, ap);
    va_end(ap);
}

void sumo_fail_file(SumoParse *p, CityStatus status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(p, 0, status, fmt, ap);
    va_end(ap);
}

double sumo_num(SumoParse *p, const char **attrs, const char *name, double dflt)
{
    const char *s = sumo_attr(attrs, name);
    if (!s)
        return dflt;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || *end || errno == ERANGE || !isfinite(v)) {
        sumo_fail(p, CITY_ERR_PARSE, "attribute %s=\"%s\" is not a number; write a decimal number like 13.89", name, s);
        return dflt;
    }
    return v;
}

int32_t sumo_int(SumoParse *p, const char **attrs, const char *name, int32_t dflt)
{
    double v = sumo_num(p, attrs, name, dflt);
    if (!(v >= -1e9 && v <= 1e9) || v != floor(v)) {
        sumo_fail(p, CITY_ERR_PARSE, "attribute %s=\"%s\" must be a whole number from -1e9 to 1e9", name,
                  sumo_attr(attrs, name));
        return dflt;
    }
    return (int32_t)v;
}

CityStatus sumo_parse_file(SumoParse *p, XML_StartElementHandler start, XML_EndElementHandler end, void *user)
{
    FILE *f = fopen(p->path, "rb");
    if (!f) {
        sumo_fail_file(p, CITY_ERR_IO, "cannot open the %s (%s); check the path", p->what, strerror(errno));
        return p->status;
    }
    p->parser = XML_ParserCreate(NULL);
    if (!p->parser) {
        fclose(f);
        sumo_fail_file(p, CITY_ERR_NOMEM, "out of memory");
        return p->status;
    }
    XML_SetUserData(p->parser, user);
    XML_SetElementHandler(p->parser, start, end);
    char buf[1 << 16];
    for (;;) {
        size_t n = fread(buf, 1, sizeof buf, f);
        int final = n < sizeof buf;
        if (XML_Parse(p->parser, buf, (int)n, final) == XML_STATUS_ERROR) {
            if (XML_GetErrorCode(p->parser) != XML_ERROR_ABORTED) /* not stopped by a handler */
                sumo_fail_at(p, (unsigned long)XML_GetCurrentLineNumber(p->parser), CITY_ERR_PARSE,
                             "malformed XML (%s); fix the file or regenerate it with SUMO",
                             XML_ErrorString(XML_GetErrorCode(p->parser)));
            break;
        }
        if (final || p->status != CITY_OK)
            break;
    }
    fclose(f);
    XML_ParserFree(p->parser);
    p->parser = NULL;
    return p->status;
}
