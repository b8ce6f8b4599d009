/* KPIs, checks, output tables and the event log of a world. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

void city_world_free_reports(CityWorld *world)
{
    free(world->early_log);
    for (size_t i = 0; i < world->n_kpis; i++)
        free(world->kpis[i].name);
    free(world->kpis);
    for (size_t i = 0; i < world->n_checks; i++) {
        free(world->checks[i].name);
        free(world->checks[i].message);
    }
    free(world->checks);
    for (size_t i = 0; i < world->n_tables; i++) {
        CityTable *t = world->tables[i];
        free(t->name);
        free(t->header);
        free(t->data);
        free(t);
    }
    free(world->tables);
}

/* --- KPIs (sorted by name for binary search and stable output) --- */

static size_t kpi_lower_bound(const CityWorld *world, const char *name, bool *found)
{
    size_t lo = 0, hi = world->n_kpis;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(world->kpis[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* A publisher sets its KPIs in the same order every time (the road a dozen
 * every 10 s): the slot set after the last one the time before is tried
 * first, one comparison instead of a binary search of a few. */
static CityKpi *kpi_slot(CityWorld *world, const char *name)
{
    size_t last = world->kpi_last;
    if (last < world->n_kpis) {
        size_t h = world->kpis[last].next;
        if (h < world->n_kpis && strcmp(world->kpis[h].name, name) == 0) {
            world->kpi_last = h;
            return &world->kpis[h];
        }
    }
    bool found;
    size_t i = kpi_lower_bound(world, name, &found);
    if (found) {
        if (last < world->n_kpis)
            world->kpis[last].next = (uint32_t)i;
        world->kpi_last = i;
        return &world->kpis[i];
    }
    if (!city_grow((void **)&world->kpis, &world->cap_kpis, world->n_kpis + 1, sizeof *world->kpis))
        return NULL;
    char *copy = city_strdup(name);
    if (!copy)
        return NULL;
    memmove(&world->kpis[i + 1], &world->kpis[i], (world->n_kpis - i) * sizeof *world->kpis);
    world->kpis[i] = (CityKpi){copy, 0.0, 0};
    world->n_kpis++;
    city_world_kpis_moved(world); /* the places after i moved */
    world->kpi_last = i;
    return &world->kpis[i];
}

CityStatus city_world_kpi_set(CityWorld *world, const char *name, double value)
{
    CityKpi *k = kpi_slot(world, name);
    if (!k)
        return CITY_ERR_NOMEM;
    k->value = value;
    return CITY_OK;
}

void city_world_kpis_moved(CityWorld *world)
{
    world->kpi_gen = world->kpi_gen + 1 ? world->kpi_gen + 1 : 1; /* (0 is no layout: a ref never taken) */
}

CityStatus city_world_kpi_set_ref(CityWorld *world, CityKpiRef *ref, const char *name, double value)
{
    if (ref->gen == world->kpi_gen && ref->gen != 0) {
        CITY_ASSERT(ref->slot < world->n_kpis);
#ifndef NDEBUG /* (debug builds, which the sanitizer tests use: the ref is the name's) */
        CITY_ASSERT(strcmp(world->kpis[ref->slot].name, name) == 0);
#endif
        world->kpis[ref->slot].value = value;
        return CITY_OK;
    }
    CityKpi *k = kpi_slot(world, name);
    if (!k)
        return CITY_ERR_NOMEM;
    k->value = value;
    ref->gen = world->kpi_gen;
    ref->slot = (uint32_t)(k - world->kpis);
    return CITY_OK;
}

CityStatus city_world_kpi_add(CityWorld *world, const char *name, double delta)
{
    CityKpi *k = kpi_slot(world, name);
    if (!k)
        return CITY_ERR_NOMEM;
    k->value += delta;
    return CITY_OK;
}

bool city_world_kpi_get(const CityWorld *world, const char *name, double *value)
{
    bool found;
    size_t i = kpi_lower_bound(world, name, &found);
    if (found && value)
        *value = world->kpis[i].value;
    return found;
}

size_t city_world_kpi_count(const CityWorld *world)
{
    return world->n_kpis;
}

void city_world_kpi_at(const CityWorld *world, size_t i, const char **name, double *value)
{
    *name = world->kpis[i].name;
    *value = world->kpis[i].value;
}

/* --- checks --- */

static CityCheck *find_check(const CityWorld *world, const char *name)
{
    for (size_t i = 0; i < world->n_checks; i++)
        if (strcmp(world->checks[i].name, name) == 0)
            return &world->checks[i];
    return NULL;
}

CityStatus city_world_check_declare(CityWorld *world, const char *name)
{
    if (find_check(world, name))
        return CITY_OK;
    if (!city_grow((void **)&world->checks, &world->cap_checks, world->n_checks + 1, sizeof *world->checks))
        return CITY_ERR_NOMEM;
    char *n = city_strdup(name), *m = city_strdup("");
    if (!n || !m) {
        free(n);
        free(m);
        return CITY_ERR_NOMEM;
    }
    world->checks[world->n_checks++] = (CityCheck){n, false, false, m, false};
    return CITY_OK;
}

CityStatus city_world_check_report(CityWorld *world, const char *name, bool pass, const char *message)
{
    CityStatus st = city_world_check_declare(world, name);
    if (st != CITY_OK)
        return st;
    CityCheck *c = find_check(world, name);
    if (c->evaluated && !c->pass)
        return CITY_OK; /* the first failure stands */
    char *m = city_strdup(message ? message : "");
    if (!m)
        return CITY_ERR_NOMEM;
    free(c->message);
    c->message = m;
    c->pass = pass;
    c->evaluated = true;
    return CITY_OK;
}

size_t city_world_check_count(const CityWorld *world)
{
    return world->n_checks;
}
const CityCheck *city_world_check_at(const CityWorld *world, size_t i)
{
    return &world->checks[i];
}

CityStatus city_world_check_not_reached(CityWorld *world, const char *name, const char *message)
{
    CityStatus st = city_world_check_declare(world, name);
    if (st != CITY_OK)
        return st;
    CityCheck *c = find_check(world, name);
    if (c->evaluated && !c->pass)
        return CITY_OK; /* a failure seen inside the window is real */
    char *m = city_strdup(message ? message : "");
    if (!m)
        return CITY_ERR_NOMEM;
    free(c->message);
    c->message = m;
    c->pass = false;
    c->evaluated = false;
    c->not_reached = true;
    return CITY_OK;
}

bool city_world_checks_pass(const CityWorld *world)
{
    for (size_t i = 0; i < world->n_checks; i++)
        if (!world->checks[i].not_reached && (!world->checks[i].evaluated || !world->checks[i].pass))
            return false;
    return true;
}

/* --- tables --- */

CityTable *city_world_table(CityWorld *world, const char *name, const char *header)
{
    for (size_t i = 0; i < world->n_tables; i++)
        if (strcmp(world->tables[i]->name, name) == 0)
            return world->tables[i];
    if (!city_grow((void **)&world->tables, &world->cap_tables, world->n_tables + 1, sizeof *world->tables))
        return NULL;
    CityTable *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = city_strdup(name);
    t->header = city_strdup(header);
    if (!t->name || !t->header) {
        free(t->name);
        free(t->header);
        free(t);
        return NULL;
    }
    world->tables[world->n_tables++] = t;
    return t;
}

CityStatus city_table_row(CityTable *table, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CITY_ERR_INVALID;
    if (!city_grow((void **)&table->data, &table->cap, table->len + (size_t)n + 2, 1))
        return CITY_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(table->data + table->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    table->len += (size_t)n;
    table->data[table->len++] = '\n';
    table->data[table->len] = '\0';
    table->rows++;
    return CITY_OK;
}

CityStatus city_table_row_text(CityTable *table, const char *row, size_t len)
{
    if (!city_grow((void **)&table->data, &table->cap, table->len + len + 2, 1))
        return CITY_ERR_NOMEM;
    memcpy(table->data + table->len, row, len);
    table->len += len;
    table->data[table->len++] = '\n';
    table->data[table->len] = '\0';
    table->rows++;
    return CITY_OK;
}

size_t city_world_table_count(const CityWorld *world)
{
    return world->n_tables;
}
const CityTable *city_world_table_at(const CityWorld *world, size_t i)
{
    return world->tables[i];
}
const char *city_table_name(const CityTable *table)
{
    return table->name;
}
const char *city_table_header(const CityTable *table)
{
    return table->header;
}
size_t city_table_rows(const CityTable *table)
{
    return table->rows;
}

const char *city_table_data(const CityTable *table, size_t *len)
{
    *len = table->len;
    return table->data ? table->data : "";
}

/* --- event log --- */

/* Lines a scenario logs while it builds the city (before the run's output
 * exists) are kept, up to this many bytes, and go to the first sink. */
#define CITY_EARLY_LOG_MAX (4u << 20)

static void keep_early(CityWorld *world, const char *kind, const char *msg)
{
    size_t lk = strlen(kind) + 1, lm = strlen(msg) + 1;
    if (world->early_len + lk + lm > CITY_EARLY_LOG_MAX ||
        !city_grow((void **)&world->early_log, &world->early_cap, world->early_len + lk + lm, 1)) {
        world->early_dropped++;
        return;
    }
    memcpy(world->early_log + world->early_len, kind, lk);
    memcpy(world->early_log + world->early_len + lk, msg, lm);
    world->early_len += lk + lm;
}

void city_world_set_log_sink(CityWorld *world, CityLogSink sink, void *user)
{
    world->log_sink = sink;
    world->log_user = user;
    if (!sink)
        return;
    for (size_t at = 0; at < world->early_len;) {
        const char *kind = world->early_log + at;
        const char *msg = kind + strlen(kind) + 1;
        sink(user, 0.0, kind, msg);
        at = (size_t)(msg + strlen(msg) + 1 - world->early_log);
    }
    if (world->early_dropped) {
        char line[160];
        snprintf(line, sizeof line, "%llu more lines logged before the run started were dropped (over %u MiB)",
                 (unsigned long long)world->early_dropped, CITY_EARLY_LOG_MAX >> 20);
        sink(user, 0.0, "log", line);
    }
    free(world->early_log);
    world->early_log = NULL;
    world->early_len = world->early_cap = 0;
    world->early_dropped = 0;
}

void city_world_log(CityWorld *world, const char *kind, const char *fmt, ...)
{
    world->log_count++;
    if (!world->log_sink && world->tick != 0)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (world->log_sink)
        world->log_sink(world->log_user, city_world_time_s(world), kind, msg);
    else
        keep_early(world, kind, msg);
}

uint64_t city_world_log_count(const CityWorld *world)
{
    return world->log_count;
}
