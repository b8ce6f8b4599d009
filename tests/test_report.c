/* Outputs a researcher plots at once: no nan or inf text in the CSV files,
 * valid JSON for non-finite KPIs, and `citylab report` (one inline SVG
 * chart per time series, refusing a folder that is not a run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

/* A scenario whose series and KPIs go non-finite: 0/0 (-nan on glibc),
 * 1/0 and -1/0, with finite samples between them. */
static const char NONFINITE[] = "city.config{ dt_ms = 1000, until_s = 5 }\n"
                                "local k = 0\n"
                                "city.series('ratio', function() k = k + 1\n"
                                "  if k == 2 then return 0 / 0 elseif k == 3 then return 1 / 0\n"
                                "  elseif k == 4 then return -1 / 0 end return k * 0.5 end,"
                                " { every = 1, unit = 'x' })\n"
                                "city.series('speed', function() return 10 - k end, { every = 1, unit = 'mps' })\n"
                                "city.series('load', function() return k * k end, { every = 2, unit = 'kw' })\n"
                                "city.kpi('mean_of_none', function() return 0 / 0 end)\n"
                                "city.kpi('peak', function() return 1 / 0 end)\n"
                                "city.kpi('fine', 2.5)\n"
                                "city.check('ok', true, 'fine')\n";

static const char *run_nonfinite(const char *name)
{
    static char out[4300];
    const char *dir = city_test_scratch(name);
    char scenario[4300];
    snprintf(scenario, sizeof scenario, "%s/nonfinite.lua", dir);
    assert_true(city_test_write_file(scenario, NONFINITE));
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"run", scenario, "--out", out, "--quiet", NULL};
    CityTestRun r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
    return out;
}

static char *read_in(const char *dir, const char *file)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = city_test_read_file(path, NULL);
    if (!text)
        fail_msg("%s: missing", path);
    return text;
}

static void test_nonfinite_values_are_empty_cells(void **state)
{
    (void)state;
    const char *out = run_nonfinite("nonfinite");
    char *csv = read_in(out, "series_ratio.csv");
    /* samples at t = 0..4: 0.5, nan, inf, -inf, 2.5; the missing ones empty */
    assert_string_equal(csv, "time_s,ratio_x\n0.000,0.5\n1.000,\n2.000,\n3.000,\n4.000,2.5\n");
    free(csv);
    char *json = read_in(out, "summary.json");
    assert_non_null(strstr(json, "\"mean_of_none\": null"));
    assert_non_null(strstr(json, "\"peak\": null"));
    assert_non_null(strstr(json, "\"fine\": 2.5"));
    assert_null(strstr(json, "nan"));
    assert_null(strstr(json, "inf"));
    free(json);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_report_draws_every_series(void **state)
{
    (void)state;
    const char *out = run_nonfinite("report");
    const char *args[] = {"report", out, NULL};
    CityTestRun r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "(3 charts, 1 checks, 3 KPIs)"));
    city_test_run_free(&r);
    char *html = read_in(out, "report.html");
    /* one chart per series table (series_load, series_ratio, series_speed), in name order */
    assert_int_equal(count(html, "<svg class=\"chart\""), 3);
    assert_int_equal(count(html, "<figure>"), 3);
    const char *load = strstr(html, "<figcaption>series_load"), *ratio = strstr(html, "<figcaption>series_ratio");
    const char *speed = strstr(html, "<figcaption>series_speed");
    assert_true(load && ratio && speed && load < ratio && ratio < speed);
    /* ratio is finite at t = 0 and 4 only: two pieces, the gap not bridged */
    const char *path = strstr(ratio, "<path"), *end = strstr(path, "/>");
    assert_non_null(path);
    size_t moves = 0, lines = 0;
    for (const char *p = path; p < end; p++) {
        moves += p[0] == ' ' && p[1] == 'M';
        lines += p[0] == ' ' && p[1] == 'L';
    }
    assert_int_equal(moves, 2);
    assert_int_equal(lines, 0);
    /* self-contained: no scripts, nothing fetched */
    assert_int_equal(count(html, "<script"), 0);
    assert_int_equal(count(html, "src="), 0);
    assert_int_equal(count(html, "href="), 0);
    assert_non_null(strstr(html, "<td>pass</td><td>ok</td>"));
    assert_non_null(strstr(html, "<tr><th>fine</th><td>2.5</td></tr>"));
    assert_non_null(strstr(html, "<tr><th>peak</th><td>(none)</td></tr>"));
    free(html);
}

static void test_report_refuses_other_folders(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("report_refuse");
    char plain[4300], html[4400];
    snprintf(plain, sizeof plain, "%s", city_test_scratch("report_plain"));
    snprintf(html, sizeof html, "%s/report.html", plain);
    char summary[4400];
    snprintf(summary, sizeof summary, "%s/summary.json", plain);
    assert_true(city_test_write_file(summary, "{\"scenario\": \"x\"}\n")); /* a summary, but no marker */
    const char *missing = "/nonexistent/citylab-run";
    const char *folders[] = {plain, missing, dir};
    for (size_t i = 0; i < 3; i++) {
        const char *args[] = {"report", folders[i], NULL};
        CityTestRun r = city_test_run(args, 60);
        assert_int_equal(r.exit_code, 2);
        assert_non_null(strstr(r.err, "not a citylab run folder"));
        city_test_run_free(&r);
    }
    assert_false(city_test_exists(html));
    const char *none[] = {"report", NULL};
    CityTestRun r = city_test_run(none, 60);
    assert_int_equal(r.exit_code, 2);
    city_test_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonfinite_values_are_empty_cells),
        cmocka_unit_test(test_report_draws_every_series),
        cmocka_unit_test(test_report_refuses_other_folders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
