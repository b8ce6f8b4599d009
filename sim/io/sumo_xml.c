/* Shared pieces of the SUMO readers: attributes, numbers, errors with
 * file and line, and the streaming read loop. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sumo_xml.h"

const char *sumo_attr(const char **attrs, const char *name)
{
    for (int i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], name) == 0)
            return attrs[i + 1];
    return NULL;
}

void sumo_fail(SumoParse *p, CityStatus status, const char *fmt, ...)
{
    if (p->status != CITY_OK)
        return;
    p->status = status;
    int n = snprintf(p->err, p->err_len, "%s:%lu: ", p->path,
                     p->parser ? (unsigned long)XML_GetCurrentLineNumber(p->parser) : 0ul);
    if (n >= 0 && (size_t)n < p->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    if (p->parser)
        XML_StopParser(p->parser, XML_FALSE);
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

CityStatus sumo_parse_file(SumoParse *p, XML_StartElementHandler start, XML_EndElementHandler end, void *user)
{
    FILE *f = fopen(p->path, "rb");
    if (!f) {
        snprintf(p->err, p->err_len, "%s: cannot open (%s); check the path", p->path, strerror(errno));
        return CITY_ERR_IO;
    }
    p->parser = XML_ParserCreate(NULL);
    if (!p->parser) {
        fclose(f);
        snprintf(p->err, p->err_len, "%s: out of memory", p->path);
        return CITY_ERR_NOMEM;
    }
    XML_SetUserData(p->parser, user);
    XML_SetElementHandler(p->parser, start, end);
    char buf[1 << 16];
    for (;;) {
        size_t n = fread(buf, 1, sizeof buf, f);
        int final = n < sizeof buf;
        if (XML_Parse(p->parser, buf, (int)n, final) == XML_STATUS_ERROR) {
            if (p->status == CITY_OK) {
                p->status = CITY_ERR_PARSE;
                snprintf(p->err, p->err_len, "%s:%lu: malformed XML (%s); fix the file or regenerate it with SUMO",
                         p->path, (unsigned long)XML_GetCurrentLineNumber(p->parser),
                         XML_ErrorString(XML_GetErrorCode(p->parser)));
            }
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
