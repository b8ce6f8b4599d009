/* citylab collect: every run's summary.json (read with cJSON) into one
 * tidy table, and mean and 95% confidence interval per parameter point. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "city_array.h"
#include "city_collect.h"
#include "city_output.h"
#include "city_strmap.h"
#include "city_text.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#define SUMMARY_MAX_BYTES ((size_t)64 << 20) /* a summary.json larger than this is not a run's */

/* A set of column names, sorted once all runs are read. */
typedef struct Names {
    char **v;       /* names (owned) */
    size_t n, cap;  /* count, capacity */
    CityStrMap map; /* name -> index while collecting */
} Names;

typedef struct Run {
    char *id;      /* folder name */
    cJSON *json;   /* parsed summary.json */
    int32_t point; /* index of its parameter point */
} Run;

typedef struct Collect {
    Run *runs;
    size_t n_runs, cap_runs;
    Names params, checks, kpis;
    char **point_keys; /* parameter values joined by \x1f, one per point (owned) */
    size_t n_points, cap_points;
    CityStrMap point_map;
} Collect;

static bool names_add(Names *s, const char *name)
{
    if (city_strmap_get(&s->map, name) >= 0)
        return true;
    if (!city_grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v))
        return false;
    if (!(s->v[s->n] = city_strdup(name)))
        return false;
    if (!city_strmap_put(&s->map, s->v[s->n], (int32_t)s->n))
        return false;
    s->n++;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(Names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    city_strmap_free(&s->map);
}

/* Natural order: "p0002-s10" after "p0002-s9". */
static int cmp_natural(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int cmp_run(const void *a, const void *b)
{
    return cmp_natural(((const Run *)a)->id, ((const Run *)b)->id);
}

/* Shortest text that reads back to the same double. */
static void fmt_num(char *buf, size_t len, double v)
{
    if (!isfinite(v)) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, len, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, len, "%.17g", v);
}

/* A JSON scalar as CSV text (numbers shortest, booleans true/false). */
static void value_text(const cJSON *v, char *buf, size_t len)
{
    if (cJSON_IsNumber(v))
        fmt_num(buf, len, v->valuedouble);
    else if (cJSON_IsString(v))
        snprintf(buf, len, "%s", v->valuestring);
    else if (cJSON_IsBool(v))
        snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else
        buf[0] = '\0';
}

static CityStatus add_run(Collect *c, const char *root, const char *id, CityError *err)
{
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s/summary.json", root, id);
    size_t len = 0;
    char *text = city_file_read(path, SUMMARY_MAX_BYTES, &len);
    if (!text) {
        if (errno == ENOENT)
            return CITY_OK; /* not a run folder, or a run still under way */
        city_error_set(err, CITY_ERR_IO, "%s: cannot read (%s)", path, strerror(errno));
        return CITY_ERR_IO;
    }
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!json || !cJSON_IsObject(json)) {
        city_error_set(err, CITY_ERR_PARSE,
                       "%s: not a valid summary (JSON error near byte %ld); delete that run's folder and run the sweep "
                       "again to redo it",
                       path, end ? (long)(end - text) : 0L);
        cJSON_Delete(json);
        free(text);
        return CITY_ERR_PARSE;
    }
    free(text);
    if (!city_grow((void **)&c->runs, &c->cap_runs, c->n_runs + 1, sizeof *c->runs)) {
        cJSON_Delete(json);
        return CITY_ERR_NOMEM;
    }
    Run *r = &c->runs[c->n_runs];
    r->json = json;
    r->point = -1;
    if (!(r->id = city_strdup(id))) {
        cJSON_Delete(json);
        return CITY_ERR_NOMEM;
    }
    c->n_runs++;
    bool ok = true;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(json, "params")) ok =
        ok && names_add(&c->params, it->string);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(json, "kpi")) ok = ok && names_add(&c->kpis, it->string);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(json, "checks"))
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
        if (cJSON_IsString(name))
            ok = ok && names_add(&c->checks, name->valuestring);
    }
    return ok ? CITY_OK : CITY_ERR_NOMEM;
}

static CityStatus scan(Collect *c, const char *dir, CityError *err)
{
    char root[PATH_MAX];
    struct stat st;
    snprintf(root, sizeof root, "%s/runs", dir);
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(root, sizeof root, "%s", dir);
    DIR *d = opendir(root);
    if (!d) {
        city_error_set(err, CITY_ERR_INVALID,
                       "%s: cannot open the sweep folder (%s); give the folder a sweep wrote (its --out)", dir,
                       strerror(errno));
        return CITY_ERR_INVALID;
    }
    CityStatus s = CITY_OK;
    struct dirent *e;
    while (s == CITY_OK && (e = readdir(d)))
        if (e->d_name[0] != '.') /* hidden: a run's staging folder */
            s = add_run(c, root, e->d_name, err);
    closedir(d);
    if (s == CITY_OK && c->n_runs == 0) {
        s = city_error_set(err, CITY_ERR_INVALID,
                           "%s: no finished runs (no <run>/summary.json found); run the sweep first", root);
    }
    return s;
}

static const cJSON *run_check(const Run *r, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r->json, "checks"))
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return cJSON_GetObjectItemCaseSensitive(it, "pass");
    }
    return NULL;
}

static bool run_kpi(const Run *r, const char *name, double *v)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->json, "kpi"), name);
    if (!cJSON_IsNumber(k))
        return false;
    *v = k->valuedouble;
    return true;
}

/* Groups runs by their parameter values, in the order of first appearance. */
static CityStatus assign_points(Collect *c)
{
    char val[512];
    for (size_t i = 0; i < c->n_runs; i++) {
        Run *r = &c->runs[i];
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(r->json, "params");
        size_t len = 1;
        for (size_t k = 0; k < c->params.n; k++) {
            value_text(cJSON_GetObjectItemCaseSensitive(params, c->params.v[k]), val, sizeof val);
            len += strlen(val) + 1;
        }
        char *key = calloc(1, len);
        if (!key)
            return CITY_ERR_NOMEM;
        for (size_t k = 0; k < c->params.n; k++) {
            value_text(cJSON_GetObjectItemCaseSensitive(params, c->params.v[k]), val, sizeof val);
            strcat(key, val);
            strcat(key, "\x1f");
        }
        int32_t p = city_strmap_get(&c->point_map, key);
        if (p >= 0) {
            free(key);
            r->point = p;
            continue;
        }
        if (!city_grow((void **)&c->point_keys, &c->cap_points, c->n_points + 1, sizeof *c->point_keys)) {
            free(key);
            return CITY_ERR_NOMEM;
        }
        c->point_keys[c->n_points] = key;
        if (!city_strmap_put(&c->point_map, key, (int32_t)c->n_points)) {
            free(key);
            return CITY_ERR_NOMEM;
        }
        r->point = (int32_t)c->n_points++;
    }
    return CITY_OK;
}

static void write_runs(FILE *f, const Collect *c)
{
    fputs("run,seed", f);
    for (size_t k = 0; k < c->params.n; k++)
        fprintf(f, ",param.%s", c->params.v[k]);
    fputs(",state_hash,wall_time_s,sim_time_s,checks_passed", f);
    for (size_t k = 0; k < c->checks.n; k++)
        fprintf(f, ",check.%s", c->checks.v[k]);
    for (size_t k = 0; k < c->kpis.n; k++)
        fprintf(f, ",kpi.%s", c->kpis.v[k]);
    fputc('\n', f);
    char buf[512];
    for (size_t i = 0; i < c->n_runs; i++) {
        const Run *r = &c->runs[i];
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(r->json, "params");
        city_csv_field(f, r->id);
        value_text(cJSON_GetObjectItemCaseSensitive(r->json, "seed"), buf, sizeof buf);
        fprintf(f, ",%s", buf);
        for (size_t k = 0; k < c->params.n; k++) {
            value_text(cJSON_GetObjectItemCaseSensitive(params, c->params.v[k]), buf, sizeof buf);
            fputc(',', f);
            city_csv_field(f, buf);
        }
        static const char *const fields[] = {"state_hash", "wall_time_s", "sim_time_s", "checks_passed"};
        for (size_t k = 0; k < 4; k++) {
            value_text(cJSON_GetObjectItemCaseSensitive(r->json, fields[k]), buf, sizeof buf);
            fputc(',', f);
            city_csv_field(f, buf);
        }
        for (size_t k = 0; k < c->checks.n; k++) {
            const cJSON *pass = run_check(r, c->checks.v[k]);
            fputs(!pass || cJSON_IsNull(pass) ? ","
                  : cJSON_IsTrue(pass)        ? ",true"
                                              : ",false",
                  f); /* null: not reached */
        }
        for (size_t k = 0; k < c->kpis.n; k++) {
            double v;
            buf[0] = '\0';
            if (run_kpi(r, c->kpis.v[k], &v))
                fmt_num(buf, sizeof buf, v);
            fprintf(f, ",%s", buf);
        }
        fputc('\n', f);
    }
}

/* Per point and KPI: n, mean, and the half-width t(0.975, n-1) s / sqrt(n)
 * (two passes over the runs: mean first, then the squared deviations). */
static CityStatus write_points(FILE *f, const Collect *c)
{
    size_t np = c->n_points, nk = c->kpis.n ? c->kpis.n : 1;
    double *sum = calloc(np * nk, sizeof *sum), *ss = calloc(np * nk, sizeof *ss);
    size_t *n = calloc(np * nk, sizeof *n), *runs = calloc(np, sizeof *runs), *passed = calloc(np, sizeof *passed);
    const Run **first = calloc(np, sizeof *first);
    CityStatus st = sum && ss && n && runs && passed && first ? CITY_OK : CITY_ERR_NOMEM;
    for (int pass = 0; st == CITY_OK && pass < 2; pass++) {
        for (size_t i = 0; i < c->n_runs; i++) {
            const Run *r = &c->runs[i];
            size_t p = (size_t)r->point;
            if (pass == 0) {
                runs[p]++;
                passed[p] += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "checks_passed"));
                if (!first[p])
                    first[p] = r;
            }
            for (size_t k = 0; k < c->kpis.n; k++) {
                double v;
                if (!run_kpi(r, c->kpis.v[k], &v) || !isfinite(v))
                    continue;
                if (pass == 0) {
                    sum[p * nk + k] += v;
                    n[p * nk + k]++;
                } else {
                    double d = v - sum[p * nk + k] / (double)n[p * nk + k];
                    ss[p * nk + k] += d * d;
                }
            }
        }
    }
    if (st == CITY_OK) {
        for (size_t k = 0; k < c->params.n; k++)
            fprintf(f, "%sparam.%s", k ? "," : "", c->params.v[k]);
        fprintf(f, "%sruns,runs_checks_passed", c->params.n ? "," : "");
        for (size_t k = 0; k < c->kpis.n; k++)
            fprintf(f, ",kpi.%s.mean,kpi.%s.ci95_low,kpi.%s.ci95_high", c->kpis.v[k], c->kpis.v[k], c->kpis.v[k]);
        fputc('\n', f);
    }
    char buf[512];
    for (size_t p = 0; st == CITY_OK && p < np; p++) {
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(first[p]->json, "params");
        for (size_t k = 0; k < c->params.n; k++) {
            value_text(cJSON_GetObjectItemCaseSensitive(params, c->params.v[k]), buf, sizeof buf);
            if (k)
                fputc(',', f);
            city_csv_field(f, buf);
        }
        fprintf(f, "%s%zu,%zu", c->params.n ? "," : "", runs[p], passed[p]);
        for (size_t k = 0; k < c->kpis.n; k++) {
            size_t m = n[p * nk + k];
            double mean = m ? sum[p * nk + k] / (double)m : NAN, half = NAN;
            if (m >= 2)
                half = city_student_t_quantile(0.975, (double)(m - 1)) * sqrt(ss[p * nk + k] / (double)(m - 1)) /
                       sqrt((double)m);
            char a[64], lo[64], hi[64];
            fmt_num(a, sizeof a, mean);
            fmt_num(lo, sizeof lo, mean - half);
            fmt_num(hi, sizeof hi, mean + half);
            fprintf(f, ",%s,%s,%s", a, lo, hi);
        }
        fputc('\n', f);
    }
    free(sum);
    free(ss);
    free(n);
    free(runs);
    free(passed);
    free(first);
    return st;
}

/* Writes one table under a temporary name and moves it into place. */
static CityStatus write_atomic(const char *path, const Collect *c, bool points, CityError *err)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.partial-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        city_error_set(err, CITY_ERR_IO, "%s: cannot write (%s); choose another place with --out", path,
                       strerror(errno));
        return CITY_ERR_IO;
    }
    CityStatus st = CITY_OK;
    if (points)
        st = write_points(f, c);
    else
        write_runs(f, c);
    if (fclose(f) != 0 && st == CITY_OK)
        st = CITY_ERR_IO;
    if (st == CITY_OK && rename(tmp, path) != 0)
        st = CITY_ERR_IO;
    if (st != CITY_OK) {
        unlink(tmp);
        city_error_set(err, st, "%s: cannot write (%s)", path,
                       st == CITY_ERR_NOMEM ? "out of memory" : strerror(errno));
    }
    return st;
}

/* qsort, also on an empty list (whose array may be NULL: qsort's is nonnull) */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(v, n, size, cmp);
}

CityStatus city_collect(const char *dir, const char *runs_csv, const char *points_csv, CityCollectResult *result,
                        CityError *err)
{
    Collect c;
    memset(&c, 0, sizeof c);
    city_error_clear(err);
    CityStatus st = scan(&c, dir, err);
    if (st == CITY_OK) {
        sort(c.runs, c.n_runs, sizeof *c.runs, cmp_run);
        sort(c.params.v, c.params.n, sizeof *c.params.v, cmp_str);
        sort(c.checks.v, c.checks.n, sizeof *c.checks.v, cmp_str);
        sort(c.kpis.v, c.kpis.n, sizeof *c.kpis.v, cmp_str);
        st = assign_points(&c);
    }
    if (st == CITY_OK)
        st = write_atomic(runs_csv, &c, false, err);
    if (st == CITY_OK && (st = write_atomic(points_csv, &c, true, err)) != CITY_OK)
        unlink(runs_csv);
    if (st != CITY_OK && (!err || !err->msg[0]))
        city_error_set(err, st, "%s: %s", dir, city_status_name(st));
    if (result)
        *result = (CityCollectResult){c.n_runs, c.n_points, c.params.n, c.kpis.n};
    for (size_t i = 0; i < c.n_runs; i++) {
        free(c.runs[i].id);
        cJSON_Delete(c.runs[i].json);
    }
    free(c.runs);
    for (size_t i = 0; i < c.n_points; i++)
        free(c.point_keys[i]);
    free(c.point_keys);
    city_strmap_free(&c.point_map);
    names_free(&c.params);
    names_free(&c.checks);
    names_free(&c.kpis);
    return st;
}
