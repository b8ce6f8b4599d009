/* The strict weather CSV reader; the format is in city_weather_csv.h. */
#include "city_weather_csv.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"

#define WX_COLS 6        /* time and the five quantities */
#define WX_MAX 1000000   /* samples in one file */
#define WX_LINE_MAX 4096 /* bytes of one line */

/* Column names, and the range each value must be in. */
static const struct {
    const char *name;
    double lo, hi;
} COLS[] = {{"t_s", -INFINITY, INFINITY}, {"temp_c", -90.0, 70.0},  {"rh_pct", 0.0, 100.0},
            {"ghi_wm2", 0.0, 2000.0},     {"wind_mps", 0.0, 100.0}, {"wind_from_deg", -INFINITY, INFINITY},
            {"hour", -INFINITY, INFINITY}};
#define COL_HOUR 6

typedef struct WxReader {
    const char *path;
    int line;       /* current line number (1-based) */
    int col_of[16]; /* header column -> COLS index */
    int n_cols;     /* columns in the header */
    CityError *err;
} WxReader;

/* Splits line (modified) at commas into cells; returns how many (at most cap + 1). */
static int split(char *line, char **cells, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n < cap)
            cells[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static CityStatus read_header(WxReader *r, char *line)
{
    char *cells[16];
    int n = split(line, cells, 16);
    if (n > 16)
        return city_error_set(r->err, CITY_ERR_PARSE, "%s:%d:17: more than 16 columns; the weather has at most 6",
                              r->path, r->line);
    bool seen[7] = {false};
    for (int i = 0; i < n; i++) {
        const char *name = trim(cells[i]);
        int k = -1;
        for (int c = 0; c < 7 && k < 0; c++)
            if (!strcmp(name, COLS[c].name))
                k = c;
        if (k < 0)
            return city_error_set(r->err, CITY_ERR_PARSE,
                                  "%s:%d:%d: unknown column \"%.40s\"; use hour or t_s, temp_c, rh_pct, ghi_wm2, "
                                  "wind_mps, wind_from_deg",
                                  r->path, r->line, i + 1, name);
        if (seen[k] || (k == COL_HOUR && seen[0]) || (k == 0 && seen[COL_HOUR]))
            return city_error_set(r->err, CITY_ERR_PARSE,
                                  "%s:%d:%d: column \"%s\" repeats the time or a column; "
                                  "give each once (hour or t_s, not both)",
                                  r->path, r->line, i + 1, name);
        seen[k] = true;
        r->col_of[i] = k;
    }
    if (!seen[0] && !seen[COL_HOUR])
        return city_error_set(r->err, CITY_ERR_PARSE, "%s:%d:1: no time column; add hour (h) or t_s (s)", r->path,
                              r->line);
    r->n_cols = n;
    return CITY_OK;
}

static CityStatus read_sample(WxReader *r, char *line, CityWeather *w, const CityWeather *before)
{
    char *cells[16];
    int n = split(line, cells, 16);
    if (n != r->n_cols)
        return city_error_set(r->err, CITY_ERR_PARSE, "%s:%d:%d: %d cells where the header has %d columns", r->path,
                              r->line, n < r->n_cols ? n : r->n_cols + 1, n, r->n_cols);
    double v[7];
    for (int c = 0; c < 7; c++)
        v[c] = NAN;
    for (int i = 0; i < n; i++) {
        const int k = r->col_of[i];
        char *cell = trim(cells[i]), *end = NULL;
        errno = 0;
        const double x = strtod(cell, &end);
        if (!*cell || *end || errno == ERANGE || !isfinite(x))
            return city_error_set(r->err, CITY_ERR_PARSE, "%s:%d:%d: %s \"%.40s\" is not a finite number", r->path,
                                  r->line, i + 1, COLS[k].name, cell);
        if (x < COLS[k].lo || x > COLS[k].hi)
            return city_error_set(r->err, CITY_ERR_PARSE, "%s:%d:%d: %s %g is outside %g..%g", r->path, r->line, i + 1,
                                  COLS[k].name, x, COLS[k].lo, COLS[k].hi);
        v[k] = x;
    }
    const double t = isnan(v[0]) ? v[COL_HOUR] * 3600.0 : v[0];
    if (before && !(t > before->t_s)) {
        int col = 1;
        for (int i = 0; i < n; i++)
            if (r->col_of[i] == 0 || r->col_of[i] == COL_HOUR)
                col = i + 1;
        return city_error_set(r->err, CITY_ERR_PARSE, "%s:%d:%d: time %g s is not after the line before; sort by time",
                              r->path, r->line, col, t);
    }
    *w = (CityWeather){t, v[1], v[2], v[3], v[4], v[5]};
    return CITY_OK;
}

CityStatus city_weather_csv_read(const char *path, CityWeather **out, size_t *n, CityError *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return city_error_set(err, CITY_ERR_IO, "%s: cannot read (%s)", path, strerror(errno));
    WxReader r = {.path = path, .err = err};
    CityWeather *wx = NULL;
    size_t count = 0, cap = 0;
    char line[WX_LINE_MAX];
    CityStatus st = CITY_OK;
    while (st == CITY_OK && fgets(line, sizeof line, f)) {
        r.line++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            st = city_error_set(err, CITY_ERR_PARSE, "%s:%d:1: line longer than %d bytes", path, r.line,
                                WX_LINE_MAX - 2);
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        const char *first = line + strspn(line, " \t");
        if (!*first || *first == '#')
            continue;
        if (r.n_cols == 0) {
            st = read_header(&r, line);
            continue;
        }
        if (count >= WX_MAX) {
            st = city_error_set(err, CITY_ERR_LIMIT, "%s:%d:1: more than %d samples; thin the series", path, r.line,
                                WX_MAX);
            break;
        }
        if (!city_grow((void **)&wx, &cap, count + 1, sizeof *wx)) {
            st = city_error_set(err, CITY_ERR_NOMEM, "%s:%d: out of memory", path, r.line);
            break;
        }
        st = read_sample(&r, line, &wx[count], count ? &wx[count - 1] : NULL);
        if (st == CITY_OK)
            count++;
    }
    if (st == CITY_OK && ferror(f))
        st = city_error_set(err, CITY_ERR_IO, "%s: read error", path);
    if (st == CITY_OK && count == 0)
        st = city_error_set(err, CITY_ERR_PARSE, "%s:%d:1: no samples; give a header and at least one line", path,
                            r.line + 1);
    fclose(f);
    if (st != CITY_OK) {
        free(wx);
        return st;
    }
    *out = wx;
    *n = count;
    return CITY_OK;
}
