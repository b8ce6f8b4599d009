/* citylab report on a run folder from elsewhere (city_report.h): the
 * input is summary.json, then after a form feed a series table
 * (series_x.csv). The page must hold no markup but the report's own: every
 * '<' opens one of the tags it writes (else abort, a finding: text from
 * the folder got into the page unescaped). */
#include "fuzz_common.h"

#include <ctype.h>

#include "city_report.h"
#include "city_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const TAGS[] = {"!DOCTYPE", "b",     "body",     "figcaption", "figure", "h1",    "h2",
                                   "head",     "html",  "line",     "meta",       "p",      "path",  "rect",
                                   "span",     "style", "svg",      "table",      "td",     "text",  "th",
                                   "title",    "tr",    "polyline", "g",          "circle", "tspan", NULL};

static void only_own_markup(const char *html)
{
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        const char *t = p + 1 + (p[1] == '/');
        size_t n = 0;
        while (isalnum((unsigned char)t[n]) || t[n] == '!')
            n++;
        bool known = false;
        for (int i = 0; TAGS[i] && !known; i++)
            known = strlen(TAGS[i]) == n && strncmp(TAGS[i], t, n) == 0;
        if (!known) {
            fprintf(stderr, "fuzz_report: markup from the input: %.40s\n", p);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_dir();
    static bool marked;
    if (!marked) {
        fuzz_write(dir, ".citylab-run", "citylab run\n", 12);
        marked = true;
    }
    size_t n0, n1;
    const uint8_t *summary = fuzz_part(data, size, 0, &n0), *series = fuzz_part(data, size, 1, &n1);
    fuzz_write(dir, "summary.json", summary, n0);
    char path[1024];
    snprintf(path, sizeof path, "%s/series_x.csv", dir);
    if (series)
        fuzz_write(dir, "series_x.csv", series, n1);
    else
        unlink(path);
    CityReportResult r;
    CityError err;
    if (city_report_write(dir, &r, &err) != CITY_OK)
        return 0;
    size_t len;
    char *html = city_file_read(r.path, (size_t)1 << 30, &len);
    if (!html)
        abort();
    only_own_markup(html);
    free(html);
    return 0;
}
