#include "city_output.h"

#include "city_senml.h"
#include "city_sensor.h"
#include "city_text.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* Every run folder carries this file: --out replaces only a folder that
 * has it (or is empty), so citylab never deletes what it did not write. */
#define MARKER_NAME ".citylab-run"
#define MARKER_TEXT "citylab run folder: citylab may replace this folder with a newer run\n"

struct CityOutput {
    char final_dir[PATH_MAX];          /* where the run lands */
    char stage_dir[PATH_MAX];          /* hidden sibling written first */
    char stage_marker[PATH_MAX];       /* its marker file */
    char stage_events[PATH_MAX];       /* its events.csv */
    char stage_senml[PATH_MAX];        /* its readings.senml.jsonl */
    char stage_readings[PATH_MAX];     /* its readings.csv */
    FILE *events;                      /* events.csv, open while the run goes */
    FILE *senml, *readings;            /* readings.senml.jsonl and readings.csv while the run goes (or NULL) */
    CityReadingWriter *reading_writer; /* formats readings into both (or NULL) */
    CityReadingPipe *reading_pipe;     /* and does so on its own thread */
};

void city_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void city_json_number(FILE *f, double v)
{
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    /* Shortest of %.15g/%.17g that reads back exactly: readable and lossless. */
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, f);
}

void city_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static void rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[PATH_MAX];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rmtree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* "a/b/run" -> "a/b/.run.<tag>-<pid>" */
static void sibling(const char *dir, const char *tag, char *out, size_t len)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", dir);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    if (slash) {
        *slash = '\0';
        snprintf(out, len, "%s/.%s.%s-%ld", copy[0] ? copy : "/", slash + 1, tag, (long)getpid());
    } else {
        snprintf(out, len, ".%s.%s-%ld", copy, tag, (long)getpid());
    }
}

/* The folder that holds `dir` ("." for a bare name) and its last component. */
static void split_parent(const char *dir, char *parent, size_t plen, char *base, size_t blen)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", dir);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    if (slash) {
        *slash = '\0';
        snprintf(parent, plen, "%s", copy[0] ? copy : "/");
        snprintf(base, blen, "%s", slash + 1);
    } else {
        snprintf(parent, plen, ".");
        snprintf(base, blen, "%s", copy);
    }
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A folder citylab wrote: it has the marker, or (runs from before the
 * marker) holds nothing but regular .csv files and summary.json. An empty
 * folder counts too: replacing it loses nothing. */
static bool citylab_folder(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" MARKER_NAME, dir);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
        return true;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[PATH_MAX + 300];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        ok = lstat(sub, &st) == 0 && S_ISREG(st.st_mode) &&
             (has_suffix(e->d_name, ".csv") || !strcmp(e->d_name, "summary.json"));
    }
    closedir(d);
    return ok;
}

/* Removes the staging folders ".NAME.partial-PID" and ".NAME.old-PID" that
 * runs killed before they could clean up left beside `final_dir`: only
 * citylab folders, and only when their process is gone. */
static void remove_stale_stages(const char *final_dir)
{
    char parent[PATH_MAX], base[PATH_MAX];
    split_parent(final_dir, parent, sizeof parent, base, sizeof base);
    DIR *d = opendir(parent);
    if (!d)
        return;
    size_t blen = strlen(base);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, base, blen) != 0 || n[1 + blen] != '.')
            continue;
        const char *tag = n + 2 + blen, *dash = strrchr(tag, '-');
        if (!dash || (strncmp(tag, "partial-", 8) != 0 && strncmp(tag, "old-", 4) != 0))
            continue;
        char *end;
        long pid = strtol(dash + 1, &end, 10);
        bool gone = kill((pid_t)pid, 0) != 0 && errno == ESRCH;
        if (*end || pid <= 0 || !gone)
            continue;
        char path[2 * PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", parent, n);
        if (citylab_folder(path))
            rmtree(path);
    }
    closedir(d);
}

/* Refuses a destination that is a file, or a folder citylab did not write. */
static CityStatus check_destination(const char *final_dir, CityError *err)
{
    struct stat st;
    if (lstat(final_dir, &st) != 0)
        return CITY_OK;
    if (!S_ISDIR(st.st_mode)) {
        city_error_set(err, CITY_ERR_INVALID,
                       "--out %s: is a file, not a run folder; citylab replaces only folders it wrote; choose "
                       "another --out DIR",
                       final_dir);
        return CITY_ERR_INVALID;
    }
    if (!citylab_folder(final_dir)) {
        city_error_set(err, CITY_ERR_INVALID,
                       "--out %s: the folder exists and is not a citylab run (no " MARKER_NAME
                       " file in it); citylab will not replace it; choose another --out DIR or remove it yourself",
                       final_dir);
        return CITY_ERR_INVALID;
    }
    return CITY_OK;
}

CityStatus city_output_begin(const char *final_dir, CityOutput **out, CityError *err)
{
    *out = NULL;
    CityStatus st = check_destination(final_dir, err);
    if (st != CITY_OK)
        return st;
    CityOutput *o = calloc(1, sizeof *o);
    if (!o)
        return CITY_ERR_NOMEM;
    snprintf(o->final_dir, sizeof o->final_dir, "%s", final_dir);
    sibling(final_dir, "partial", o->stage_dir, sizeof o->stage_dir);
    snprintf(o->stage_marker, sizeof o->stage_marker, "%s/" MARKER_NAME, o->stage_dir);
    snprintf(o->stage_events, sizeof o->stage_events, "%s/events.csv", o->stage_dir);
    snprintf(o->stage_senml, sizeof o->stage_senml, "%s/readings.senml.jsonl", o->stage_dir);
    snprintf(o->stage_readings, sizeof o->stage_readings, "%s/readings.csv", o->stage_dir);
    rmtree(o->stage_dir);
    FILE *m = NULL;
    if (mkdir_p(o->stage_dir) != 0 || !(m = fopen(o->stage_marker, "w")) || fputs(MARKER_TEXT, m) < 0 ||
        fclose(m) != 0) {
        city_error_set(err, CITY_ERR_IO, "%s: cannot create the output folder (%s); choose another with --out DIR",
                       final_dir, strerror(errno));
        rmtree(o->stage_dir);
        free(o);
        return CITY_ERR_IO;
    }
    remove_stale_stages(final_dir);
    *out = o;
    return CITY_OK;
}

CityStatus city_output_frames_dir(const char *dir, CityError *err)
{
    struct stat st;
    bool exists = lstat(dir, &st) == 0;
    if (exists && (!S_ISDIR(st.st_mode) || !citylab_folder(dir))) {
        return city_error_set(err, CITY_ERR_INVALID,
                              "--frames %s: %s; citylab writes frames only into a new folder or one it wrote; "
                              "choose another --frames DIR",
                              dir,
                              S_ISDIR(st.st_mode) ? "the folder exists and is not citylab's (no " MARKER_NAME " file)"
                                                  : "is a file");
    }
    char marker[PATH_MAX + 32];
    snprintf(marker, sizeof marker, "%s/" MARKER_NAME, dir);
    if (exists) { /* an earlier time-lapse: its frames go */
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strncmp(e->d_name, "frame-", 6) != 0 || !has_suffix(e->d_name, ".png"))
                continue;
            char sub[PATH_MAX + 300];
            snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
            unlink(sub);
        }
        if (d)
            closedir(d);
    }
    FILE *m = NULL;
    if ((!exists && mkdir_p(dir) != 0) || !(m = fopen(marker, "w")) || fputs(MARKER_TEXT, m) < 0 || fclose(m) != 0) {
        return city_error_set(err, CITY_ERR_IO,
                              "--frames %s: cannot create the folder (%s); choose another --frames DIR", dir,
                              strerror(errno));
    }
    return CITY_OK;
}

void city_output_remove_stage_now(const CityOutput *out)
{
    if (!out)
        return;
    unlink(out->stage_events);
    unlink(out->stage_senml);
    unlink(out->stage_readings);
    unlink(out->stage_marker);
    rmdir(out->stage_dir);
}

const char *city_output_dir(const CityOutput *out)
{
    return out->final_dir;
}

static void log_sink(void *user, double time_s, const char *kind, const char *message)
{
    FILE *f = user;
    fprintf(f, "%.3f,", time_s);
    city_csv_field(f, kind);
    fputc(',', f);
    city_csv_field(f, message);
    fputc('\n', f);
}

CityStatus city_output_attach_log(CityOutput *out, CityWorld *world, CityError *err)
{
    out->events = fopen(out->stage_events, "w");
    if (!out->events) {
        city_error_set(err, CITY_ERR_IO, "%s: cannot write (%s)", out->stage_events, strerror(errno));
        return CITY_ERR_IO;
    }
    fputs("time_s,kind,message\n", out->events);
    city_world_set_log_sink(world, log_sink, out->events);
    return CITY_OK;
}

CityStatus city_output_attach_readings(CityOutput *out, CityWorld *world, CityError *err)
{
    CitySensors *s = city_sensors_of(world);
    if (!s)
        return CITY_OK;
    /* (their names are known in advance: a run killed by a signal removes them) */
    out->senml = fopen(out->stage_senml, "w");
    if (out->senml)
        out->readings = fopen(out->stage_readings, "w");
    if (!out->senml || !out->readings) {
        city_error_set(err, CITY_ERR_IO, "%s: cannot write (%s)", out->senml ? out->stage_readings : out->stage_senml,
                       strerror(errno));
        return CITY_ERR_IO;
    }
    out->reading_writer = city_reading_writer_create(out->senml, out->readings);
    /* the readings are written beside the run: the same bytes, off its thread */
    out->reading_pipe = out->reading_writer ? city_reading_pipe_create(out->reading_writer, true) : NULL;
    if (!out->reading_pipe) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory writing sensor readings");
        return CITY_ERR_NOMEM;
    }
    city_reading_csv_header(out->readings);
    if (!city_sensors_set_batch_sink(s, city_reading_pipe_sink, out->reading_pipe)) {
        city_error_set(err, CITY_ERR_NOMEM, "out of memory writing sensor readings");
        return CITY_ERR_NOMEM;
    }
    return CITY_OK;
}

/* Detaches the readings sink and closes its files; false when a write failed. */
static bool readings_close(CityOutput *out, CityWorld *world)
{
    bool ok = true;
    CitySensors *s = world ? city_sensors_of(world) : NULL;
    if (s)
        city_sensors_set_batch_sink(s, NULL, NULL);
    city_reading_pipe_close(out->reading_pipe); /* what it holds goes into the writer */
    out->reading_pipe = NULL;
    if (out->reading_writer && !city_reading_writer_flush(out->reading_writer))
        ok = false;
    city_reading_writer_destroy(out->reading_writer);
    out->reading_writer = NULL;
    if (out->senml && fclose(out->senml) != 0)
        ok = false;
    if (out->readings && fclose(out->readings) != 0)
        ok = false;
    out->senml = out->readings = NULL;
    return ok;
}

static CityStatus write_summary(const char *path, const CityWorld *w, const CityRunInfo *info)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return CITY_ERR_IO;
    fputs("{\n  \"scenario\": ", f);
    city_json_string(f, info->scenario);
    fprintf(f, ",\n  \"citylab_version\": ");
    city_json_string(f, info->version ? info->version : "");
    fprintf(f, ",\n  \"seed\": %llu", (unsigned long long)city_world_seed(w));
    fprintf(f, ",\n  \"dt_ms\": %d", (int)city_world_dt_ms(w));
    fprintf(f, ",\n  \"ticks\": %lld", (long long)city_world_tick(w));
    fputs(",\n  \"sim_time_s\": ", f);
    city_json_number(f, city_world_time_s(w));
    fputs(",\n  \"wall_time_s\": ", f);
    city_json_number(f, info->wall_time_s);
    fputs(", \"load_wall_time_s\": ", f);
    city_json_number(f, info->load_wall_time_s);
    if (info->loop_cpu_s >= 0) {
        fputs(", \"loop_cpu_s\": ", f);
        city_json_number(f, info->loop_cpu_s);
    }
    fputs(", \"loop_wall_time_s\": ", f);
    city_json_number(f, info->loop_wall_time_s);
    fputs(",\n  \"params\": {", f);
    for (size_t i = 0; i < info->n_params; i++) {
        fputs(i ? ", " : "", f);
        city_json_string(f, info->params[i].name);
        fputs(": ", f);
        if (info->params[i].literal)
            fputs(info->params[i].value, f);
        else
            city_json_string(f, info->params[i].value);
    }
    fputc('}', f);
    fprintf(f, ",\n  \"state_hash\": \"%016llx\"", (unsigned long long)city_world_hash(w));
    fprintf(f, ",\n  \"checks_passed\": %s", city_world_checks_pass(w) ? "true" : "false");
    fputs(",\n  \"checks\": [", f);
    for (size_t i = 0; i < city_world_check_count(w); i++) {
        const CityCheck *c = city_world_check_at(w, i);
        fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
        city_json_string(f, c->name);
        /* not reached: "pass" is null, neither a pass nor a failure */
        const char *pass = c->not_reached ? "null" : c->evaluated && c->pass ? "true" : "false";
        fprintf(f, ", \"pass\": %s, \"status\": \"%s\", \"message\": ", pass,
                c->not_reached            ? "not reached"
                : c->evaluated && c->pass ? "pass"
                                          : "fail");
        city_json_string(f, c->message);
        fputc('}', f);
    }
    fputs(city_world_check_count(w) ? "\n  ],\n  \"kpi\": {" : "],\n  \"kpi\": {", f);
    for (size_t i = 0; i < city_world_kpi_count(w); i++) {
        const char *name;
        double v;
        city_world_kpi_at(w, i, &name, &v);
        fputs(i ? ",\n    " : "\n    ", f);
        city_json_string(f, name);
        fputs(": ", f);
        city_json_number(f, v);
    }
    fputs(city_world_kpi_count(w) ? "\n  }\n}\n" : "}\n}\n", f);
    return fclose(f) == 0 ? CITY_OK : CITY_ERR_IO;
}

/* True for the text printf gives a non-finite double: nan, -nan, inf,
 * -inf, infinity, nan(...), in any case. */
static bool nonfinite_text(const char *s, size_t n)
{
    if (n && (*s == '-' || *s == '+')) {
        s++;
        n--;
    }
    if (n >= 3 && strncasecmp(s, "nan", 3) == 0)
        return n == 3 || (s[3] == '(' && s[n - 1] == ')');
    return (n == 3 && strncasecmp(s, "inf", 3) == 0) || (n == 8 && strncasecmp(s, "infinity", 8) == 0);
}

/* Writes CSV rows with every non-finite number as an empty cell, the
 * missing value that pandas and R read (a quoted field is text, kept). */
static void write_rows(FILE *f, const char *data, size_t len)
{
    size_t start = 0;
    bool quoted = false;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? data[i] : '\n';
        if (c == '"')
            quoted = !quoted;
        if (quoted || (c != ',' && c != '\n'))
            continue;
        if (i > start && !nonfinite_text(data + start, i - start))
            fwrite(data + start, 1, i - start, f);
        if (i < len)
            fputc(c, f);
        start = i + 1;
    }
}

static CityStatus write_table(const char *dir, const CityTable *t)
{
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s.csv", dir, city_table_name(t));
    FILE *f = fopen(path, "w");
    if (!f)
        return CITY_ERR_IO;
    size_t len;
    const char *data = city_table_data(t, &len);
    fprintf(f, "%s\n", city_table_header(t));
    write_rows(f, data, len);
    return fclose(f) == 0 ? CITY_OK : CITY_ERR_IO;
}

/* Writes the tables and summary into the staging folder and moves it into
 * place; signals wait until it is done (the handler knows only the files
 * of a running stage). */
static CityStatus commit_stage(CityOutput *out, const CityWorld *world, const CityRunInfo *info, CityError *err)
{
    CityStatus st = CITY_OK;
    if (out->events) {
        city_world_set_log_sink((CityWorld *)world, NULL, NULL);
        if (fclose(out->events) != 0)
            st = CITY_ERR_IO;
        out->events = NULL;
    }
    if (!readings_close(out, (CityWorld *)world))
        st = CITY_ERR_IO;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/summary.json", out->stage_dir);
    if (st == CITY_OK)
        st = write_summary(path, world, info);
    for (size_t i = 0; i < city_world_table_count(world) && st == CITY_OK; i++)
        st = write_table(out->stage_dir, city_world_table_at(world, i));
    if (st != CITY_OK) {
        city_error_set(err, st, "%s: writing the outputs failed (%s); check free space and permissions", out->final_dir,
                       strerror(errno));
        return st;
    }
    /* Checked again: the destination may have appeared during the run. */
    if ((st = check_destination(out->final_dir, err)) != CITY_OK)
        return st;
    char old[PATH_MAX];
    sibling(out->final_dir, "old", old, sizeof old);
    rmtree(old);
    struct stat sb;
    bool had_old = lstat(out->final_dir, &sb) == 0;
    if (had_old && rename(out->final_dir, old) != 0) {
        city_error_set(err, CITY_ERR_IO, "%s: cannot replace the previous run (%s)", out->final_dir, strerror(errno));
        return CITY_ERR_IO;
    }
    if (rename(out->stage_dir, out->final_dir) != 0) {
        city_error_set(err, CITY_ERR_IO, "%s: cannot move the outputs into place (%s)", out->final_dir,
                       strerror(errno));
        if (had_old)
            rename(old, out->final_dir);
        return CITY_ERR_IO;
    }
    if (had_old)
        rmtree(old);
    return CITY_OK;
}

CityStatus city_output_commit(CityOutput *out, const CityWorld *world, const CityRunInfo *info, CityError *err)
{
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &saved);
    CityStatus st = commit_stage(out, world, info, err);
    if (st != CITY_OK)
        rmtree(out->stage_dir);
    free(out);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return st;
}

void city_output_abort(CityOutput *out, CityWorld *world)
{
    if (!out)
        return;
    if (out->events) {
        if (world)
            city_world_set_log_sink(world, NULL, NULL);
        fclose(out->events);
    }
    readings_close(out, world);
    rmtree(out->stage_dir);
    free(out);
}

char *city_output_log_text(CityOutput *out, size_t *len)
{
    *len = 0;
    if (!out->events || fflush(out->events) != 0)
        return NULL;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/events.csv", out->stage_dir);
    size_t got;
    char *text = city_file_read(path, SIZE_MAX, &got);
    if (text) {
        const char *body = strchr(text, '\n'); /* after the header */
        size_t skip = body ? (size_t)(body + 1 - text) : got;
        memmove(text, text + skip, got - skip + 1);
        *len = got - skip;
    }
    return text;
}

CityStatus city_output_log_prefill(CityOutput *out, const char *text, size_t len)
{
    if (!out->events)
        return CITY_ERR_INVALID;
    /* the saved log replaces what the rerun top level logged again */
    const long header = (long)strlen("time_s,kind,message\n");
    if (fflush(out->events) != 0 || ftruncate(fileno(out->events), header) != 0 ||
        fseek(out->events, header, SEEK_SET) != 0)
        return CITY_ERR_IO;
    if (len && fwrite(text, 1, len, out->events) != len)
        return CITY_ERR_IO;
    return CITY_OK;
}
