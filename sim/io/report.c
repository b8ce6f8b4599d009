/* citylab report: a run folder as one HTML page with inline SVG charts. */
#include "city_report.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "city_array.h"
#include "city_text.h"

#define CHART_W 720.0 /* chart size in CSS pixels */
#define CHART_H 260.0
#define PAD_L 72.0 /* plot margins: axis labels live there */
#define PAD_R 16.0
#define PAD_T 12.0
#define PAD_B 40.0
#define REPORT_MAX_BYTES ((size_t)256 << 20) /* a table or summary larger than this is not a run's */
#define MAX_COLUMNS 16                       /* lines per chart; a wider table shows its first ones */

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#17becf", "#e377c2"};

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* One time-series table: its column names and values (NAN: an empty cell). */
typedef struct Series {
    char names[MAX_COLUMNS][128]; /* column names after time_s */
    size_t n_cols;                /* plotted columns */
    double *t, *v;                /* rows: t[r], v[r * MAX_COLUMNS + c] */
    size_t n_rows, cap_t, cap_v;
} Series;

static double cell_number(const char *s, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return NAN;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    return *end || !isfinite(v) ? NAN : v;
}

/* Splits the next line at commas (a time-series table holds no quoted text). */
static size_t split_line(const char **p, const char *cells[], size_t lens[], size_t max)
{
    size_t n = 0;
    const char *s = *p;
    while (n < max) {
        const char *e = s + strcspn(s, ",\n");
        cells[n] = s;
        lens[n++] = (size_t)(e - s);
        s = e;
        if (*s != ',')
            break;
        s++;
    }
    s += strcspn(s, "\n");
    *p = *s ? s + 1 : s;
    return n;
}

/* Reads a table whose first column is time_s; false when it is not one. */
static bool series_read(const char *path, Series *s)
{
    size_t text_len;
    char *text = city_file_read(path, REPORT_MAX_BYTES, &text_len);
    if (!text)
        return false;
    const char *p = text, *cells[MAX_COLUMNS + 1];
    size_t lens[MAX_COLUMNS + 1];
    size_t n = split_line(&p, cells, lens, MAX_COLUMNS + 1);
    bool ok = n >= 2 && lens[0] == 6 && strncmp(cells[0], "time_s", 6) == 0;
    s->n_cols = ok ? n - 1 : 0;
    for (size_t c = 0; c < s->n_cols; c++)
        snprintf(s->names[c], sizeof s->names[c], "%.*s", (int)(lens[c + 1] < 127 ? lens[c + 1] : 127), cells[c + 1]);
    while (ok && *p) {
        n = split_line(&p, cells, lens, MAX_COLUMNS + 1);
        double t = cell_number(cells[0], lens[0]);
        if (isnan(t))
            continue;
        ok = city_grow((void **)&s->t, &s->cap_t, s->n_rows + 1, sizeof *s->t) &&
             city_grow((void **)&s->v, &s->cap_v, (s->n_rows + 1) * MAX_COLUMNS, sizeof *s->v);
        if (!ok)
            break;
        s->t[s->n_rows] = t;
        for (size_t c = 0; c < MAX_COLUMNS; c++)
            s->v[s->n_rows * MAX_COLUMNS + c] = c + 1 < n ? cell_number(cells[c + 1], lens[c + 1]) : NAN;
        s->n_rows++;
    }
    free(text);
    return ok;
}

/* Time on the x axis in the unit that reads best for the run's length. */
static double time_unit(double span_s, const char **name)
{
    if (span_s >= 3 * 3600.0) {
        *name = "h";
        return 3600.0;
    }
    if (span_s >= 3 * 60.0) {
        *name = "min";
        return 60.0;
    }
    *name = "s";
    return 1.0;
}

static void axes(FILE *f, double x0, double x1, double y0, double y1, const char *unit, double per)
{
    const double w = CHART_W - PAD_L - PAD_R, h = CHART_H - PAD_T - PAD_B;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" stroke=\"#999\"/>\n", PAD_L,
            PAD_T, w, h);
    for (int i = 0; i <= 4; i++) {
        double fy = PAD_T + h * (1.0 - i / 4.0), fx = PAD_L + w * i / 4.0;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n",
                PAD_L, fy, PAD_L + w, fy, PAD_L - 6, fy + 4, y0 + (y1 - y0) * i / 4.0);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.4g</text>\n", fx, PAD_T + h + 16,
                (x0 + (x1 - x0) * i / 4.0) / per);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (%s)</text>\n", PAD_L + w / 2, CHART_H - 6,
            unit);
}

/* One chart: a line per column in `mask`, broken where a cell is empty. */
static void chart(FILE *f, const char *title, const Series *s, unsigned mask)
{
    double x0 = s->n_rows ? s->t[0] : 0, x1 = x0, y0 = INFINITY, y1 = -INFINITY;
    for (size_t r = 0; r < s->n_rows; r++) {
        x0 = fmin(x0, s->t[r]);
        x1 = fmax(x1, s->t[r]);
        for (size_t c = 0; c < s->n_cols; c++) {
            double v = s->v[r * MAX_COLUMNS + c];
            if ((mask >> c & 1u) && !isnan(v)) {
                y0 = fmin(y0, v);
                y1 = fmax(y1, v);
            }
        }
    }
    if (!(y0 <= y1))
        y0 = 0, y1 = 1; /* nothing finite to draw: an empty frame */
    if (y1 - y0 < 1e-12 * fmax(1.0, fabs(y0)))
        y0 -= 1, y1 += 1;
    if (x1 <= x0)
        x1 = x0 + 1;
    const char *unit;
    double per = time_unit(x1 - x0, &unit);
    fputs("<figure><figcaption>", f);
    html_text(f, title);
    fputs("</figcaption>\n", f);
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", CHART_W,
            CHART_H, CHART_W, CHART_H);
    axes(f, x0, x1, y0, y1, unit, per);
    const double w = CHART_W - PAD_L - PAD_R, h = CHART_H - PAD_T - PAD_B;
    for (size_t c = 0, k = 0; c < s->n_cols; c++) {
        if (!(mask >> c & 1u))
            continue;
        fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" d=\"", palette[k++ % 8]);
        bool pen = false;
        for (size_t r = 0; r < s->n_rows; r++) {
            double v = s->v[r * MAX_COLUMNS + c];
            if (isnan(v)) {
                pen = false;
                continue;
            }
            fprintf(f, "%s%.1f %.1f", pen ? " L" : " M", PAD_L + w * (s->t[r] - x0) / (x1 - x0),
                    PAD_T + h * (1.0 - (v - y0) / (y1 - y0)));
            pen = true;
        }
        fputs("\"/>\n", f);
    }
    fputs("</svg>\n<p class=\"legend\">", f);
    for (size_t c = 0, k = 0; c < s->n_cols; c++) {
        if (!(mask >> c & 1u))
            continue;
        fprintf(f, "%s<span style=\"color:%s\">&#9632;</span> ", k ? " &nbsp; " : "", palette[k % 8]);
        k++;
        html_text(f, s->names[c]);
    }
    fputs("</p></figure>\n", f);
}

/* The unit of a column: what follows its last '_' (demand_kw: kw). */
static const char *unit_of(const char *name)
{
    const char *u = strrchr(name, '_');
    return u ? u + 1 : name;
}

/* A chart per unit of a table (columns that share a unit share an axis). */
static size_t unit_charts(FILE *f, const char *table, const Series *s)
{
    unsigned done = 0;
    size_t made = 0, groups = 0;
    for (size_t c = 0; c < s->n_cols; c++)
        for (size_t d = 0; d <= c; d++)
            if (strcmp(unit_of(s->names[d]), unit_of(s->names[c])) == 0) {
                groups += d == c;
                break;
            }
    for (size_t c = 0; c < s->n_cols; c++) {
        if (done >> c & 1u)
            continue;
        unsigned mask = 0;
        for (size_t d = c; d < s->n_cols; d++)
            if (strcmp(unit_of(s->names[d]), unit_of(s->names[c])) == 0)
                mask |= 1u << d;
        done |= mask;
        char title[400];
        if (groups > 1)
            snprintf(title, sizeof title, "%s (%s)", table, unit_of(s->names[c]));
        else
            snprintf(title, sizeof title, "%s", table);
        chart(f, title, s, mask);
        made++;
    }
    return made;
}

static int is_csv(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".csv") == 0 && strcmp(e->d_name, "events.csv");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name); /* byte order: the same page on every locale */
}

static size_t charts(FILE *f, const char *run_dir)
{
    struct dirent **list;
    int n = scandir(run_dir, &list, is_csv, by_name);
    size_t made = 0;
    for (int i = 0; i < n; i++) {
        char path[4600], title[300];
        snprintf(path, sizeof path, "%s/%s", run_dir, list[i]->d_name);
        snprintf(title, sizeof title, "%.*s", (int)strlen(list[i]->d_name) - 4, list[i]->d_name);
        Series s = {0};
        if (series_read(path, &s))
            made += unit_charts(f, title, &s);
        free(s.t);
        free(s.v);
        free(list[i]);
    }
    if (n >= 0)
        free(list);
    return made;
}

static void facts(FILE *f, const cJSON *sum)
{
    static const char *const keys[] = {"scenario", "seed", "dt_ms", "sim_time_s", "state_hash", "citylab_version"};
    fputs("<table class=\"facts\">\n", f);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sum, keys[i]);
        if (!v)
            continue;
        fprintf(f, "<tr><th>%s</th><td>", keys[i]);
        if (cJSON_IsString(v))
            html_text(f, v->valuestring);
        else if (cJSON_IsNumber(v))
            fprintf(f, "%.15g", v->valuedouble);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static size_t checks(FILE *f, const cJSON *sum)
{
    size_t n = 0;
    const cJSON *c;
    fputs("<h2>Checks</h2>\n<table class=\"checks\">\n", f);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(sum, "checks"))
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *pass = cJSON_GetObjectItemCaseSensitive(c, "pass");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(c, "message");
        const char *verdict = cJSON_IsTrue(pass) ? "pass" : cJSON_IsFalse(pass) ? "fail" : "not reached";
        fprintf(f, "<tr class=\"%s\"><td>%s</td><td>", verdict[0] == 'n' ? "skip" : verdict, verdict);
        html_text(f, cJSON_IsString(name) ? name->valuestring : "?");
        fputs("</td><td>", f);
        html_text(f, cJSON_IsString(msg) ? msg->valuestring : "");
        fputs("</td></tr>\n", f);
        n++;
    }
    fputs(n ? "</table>\n" : "<tr><td>none declared</td></tr></table>\n", f);
    return n;
}

static size_t kpis(FILE *f, const cJSON *sum)
{
    size_t n = 0;
    const cJSON *k;
    fputs("<h2>KPIs</h2>\n<table class=\"kpis\">\n", f);
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(sum, "kpi"))
    {
        fputs("<tr><th>", f);
        html_text(f, k->string ? k->string : "?");
        if (cJSON_IsNumber(k))
            fprintf(f, "</th><td>%.6g</td></tr>\n", k->valuedouble);
        else
            fputs("</th><td>(none)</td></tr>\n", f); /* null: not a finite number */
        n++;
    }
    fputs(n ? "</table>\n" : "<tr><td>none</td></tr></table>\n", f);
    return n;
}

static const char STYLE[] =
    "body{font:14px/1.4 sans-serif;margin:2em auto;max-width:760px;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}"
    ".pass td:first-child{color:#2a7d2a}.fail td:first-child{color:#c00;font-weight:bold}"
    ".skip td:first-child{color:#888}figure{margin:1.5em 0}figcaption{font-weight:bold}"
    "svg.chart text{font:11px sans-serif;fill:#444}.legend{margin:0;font-size:12px}";

static CityStatus write_page(FILE *f, const char *run_dir, const cJSON *sum, CityReportResult *r)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(sum, "scenario");
    const char *scenario = cJSON_IsString(name) ? name->valuestring : run_dir;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>citylab report: ", f);
    html_text(f, scenario);
    fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>", STYLE);
    html_text(f, scenario);
    fputs("</h1>\n", f);
    facts(f, sum);
    const cJSON *passed = cJSON_GetObjectItemCaseSensitive(sum, "checks_passed");
    fprintf(f, "<p>%s</p>\n", cJSON_IsTrue(passed) ? "Every check passed." : "<b>A check failed.</b>");
    r->checks = checks(f, sum);
    r->kpis = kpis(f, sum);
    fputs("<h2>Time series</h2>\n", f);
    r->charts = charts(f, run_dir);
    if (r->charts == 0)
        fputs("<p>The run wrote no time series.</p>\n", f);
    fputs("</body></html>\n", f);
    return ferror(f) ? CITY_ERR_IO : CITY_OK;
}

CityStatus city_report_write(const char *run_dir, CityReportResult *r, CityError *err)
{
    memset(r, 0, sizeof *r);
    char marker[4300], summary[4300], tmp[4300];
    snprintf(marker, sizeof marker, "%s/.citylab-run", run_dir);
    snprintf(summary, sizeof summary, "%s/summary.json", run_dir);
    struct stat st;
    size_t text_len;
    char *text =
        stat(marker, &st) == 0 && S_ISREG(st.st_mode) ? city_file_read(summary, REPORT_MAX_BYTES, &text_len) : NULL;
    if (!text) {
        city_error_set(err, CITY_ERR_INVALID,
                       "%s: not a citylab run folder (no .citylab-run marker or no summary.json); give the --out "
                       "folder of a finished citylab run",
                       run_dir);
        return CITY_ERR_INVALID;
    }
    cJSON *sum = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(sum)) {
        cJSON_Delete(sum);
        city_error_set(err, CITY_ERR_INVALID,
                       "%s: summary.json is not valid JSON; run the scenario again to rewrite it", summary);
        return CITY_ERR_INVALID;
    }
    snprintf(r->path, sizeof r->path, "%s/report.html", run_dir);
    snprintf(tmp, sizeof tmp, "%s/.report.html.partial-%ld", run_dir, (long)getpid());
    FILE *f = fopen(tmp, "w");
    CityStatus s = f ? write_page(f, run_dir, sum, r) : CITY_ERR_IO;
    if (f && fclose(f) != 0)
        s = CITY_ERR_IO;
    if (s == CITY_OK && rename(tmp, r->path) != 0)
        s = CITY_ERR_IO;
    if (s != CITY_OK) {
        city_error_set(err, s, "%s: cannot write (%s); check free space and permissions", r->path, strerror(errno));
        unlink(tmp);
    }
    cJSON_Delete(sum);
    return s;
}
