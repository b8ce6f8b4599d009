/* MATPOWER case reader: values (temporaries freed after each statement),
 * named variables, and the column names of idx_bus, idx_brch, idx_gen and
 * idx_cost with MATPOWER's numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "matpower_internal.h"

Val *matpower_val_new(P *p, int32_t rows, int32_t cols)
{
    int line = p->tok ? p->tok[p->pos].line : 1;
    if (!city_array_grow((void **)&p->temps, &p->cap_temps, p->n_temps + 1, sizeof *p->temps)) {
        matpower_fail(p, line, "out of memory");
        return NULL;
    }
    size_t n = (size_t)rows * (size_t)cols;
    if (n > p->elems_limit - p->elems_made) {
        matpower_fail(p, line,
                      "the case's expressions make more than %zu numbers in all (a range, zeros() or ones() too large "
                      "for a case of this size); a MATPOWER case holds its tables as written, so shorten the "
                      "expression",
                      p->elems_limit);
        return NULL;
    }
    p->elems_made += n;
    Val *v = calloc(1, sizeof *v);
    if (v && n > 0)
        v->v = calloc(n, sizeof *v->v);
    if (!v || (n > 0 && !v->v)) {
        free(v);
        matpower_fail(p, line, "out of memory");
        return NULL;
    }
    v->rows = rows;
    v->cols = cols;
    p->temps[p->n_temps++] = v;
    return v;
}

Val *matpower_scalar(P *p, double x)
{
    Val *v = matpower_val_new(p, 1, 1);
    if (v)
        v->v[0] = x;
    return v;
}

void matpower_temps_free(P *p)
{
    for (int32_t i = 0; i < p->n_temps; i++) {
        free(p->temps[i]->v);
        free(p->temps[i]->row_line);
        free(p->temps[i]);
    }
    p->n_temps = 0;
}

Var *matpower_var_find(P *p, const char *name)
{
    for (int32_t i = 0; i < p->n_vars; i++)
        if (!strcmp(p->vars[i].name, name))
            return &p->vars[i];
    return NULL;
}

bool matpower_var_set(P *p, const char *name, const Val *v, int line)
{
    Var *x = matpower_var_find(p, name);
    if (!x) {
        if (!city_array_grow((void **)&p->vars, &p->cap_vars, p->n_vars + 1, sizeof *p->vars))
            return matpower_fail(p, line, "out of memory");
        x = &p->vars[p->n_vars++];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "%s", name);
    }
    size_t n = (size_t)v->rows * (size_t)v->cols;
    double *copy = n ? malloc(n * sizeof *copy) : NULL;
    int32_t *lines = v->row_line && v->rows ? malloc((size_t)v->rows * sizeof *lines) : NULL;
    if ((n && !copy) || (v->row_line && v->rows && !lines)) {
        free(copy);
        free(lines);
        return matpower_fail(p, line, "out of memory");
    }
    if (n)
        memcpy(copy, v->v, n * sizeof *copy);
    if (lines)
        memcpy(lines, v->row_line, (size_t)v->rows * sizeof *lines);
    free(x->val.v);
    free(x->val.row_line);
    x->val = *v;
    x->val.v = copy;
    x->val.row_line = lines;
    return true;
}

void matpower_vars_free(P *p)
{
    for (int32_t i = 0; i < p->n_vars; i++) {
        free(p->vars[i].val.v);
        free(p->vars[i].val.row_line);
    }
    free(p->vars);
    p->vars = NULL;
    p->n_vars = p->cap_vars = 0;
}

#define IDX_MAX 25

/* MATPOWER's idx_*.m, in the order those functions return the names. */
static const struct {
    const char *fn;
    const char *names[IDX_MAX];
    int values[IDX_MAX];
} idx_tables[] = {
    {"idx_bus",
     {"PQ", "PV", "REF",     "NONE", "BUS_I", "BUS_TYPE", "PD",    "QD",    "GS",      "BS",     "BUS_AREA",
      "VM", "VA", "BASE_KV", "ZONE", "VMAX",  "VMIN",     "LAM_P", "LAM_Q", "MU_VMAX", "MU_VMIN"},
     {1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
    {"idx_brch",
     {"F_BUS", "T_BUS", "BR_R", "BR_X", "BR_B",  "RATE_A", "RATE_B", "RATE_C", "TAP",       "SHIFT",    "BR_STATUS",
      "PF",    "QF",    "PT",   "QT",   "MU_SF", "MU_ST",  "ANGMIN", "ANGMAX", "MU_ANGMIN", "MU_ANGMAX"},
     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18, 19, 12, 13, 20, 21}},
    {"idx_gen",
     {"GEN_BUS", "PG",      "QG",       "QMAX",    "QMIN",    "VG",     "MBASE", "GEN_STATUS", "PMAX",
      "PMIN",    "MU_PMAX", "MU_PMIN",  "MU_QMAX", "MU_QMIN", "PC1",    "PC2",   "QC1MIN",     "QC1MAX",
      "QC2MIN",  "QC2MAX",  "RAMP_AGC", "RAMP_10", "RAMP_30", "RAMP_Q", "APF"},
     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 22, 23, 24, 25, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}},
    {"idx_cost", {"PW_LINEAR", "POLYNOMIAL", "MODEL", "STARTUP", "SHUTDOWN", "NCOST", "COST"}, {1, 2, 1, 2, 3, 4, 5}},
};
#define IDX_TABLES ((int)(sizeof idx_tables / sizeof idx_tables[0]))

int matpower_idx_table(const char *fn)
{
    for (int w = 0; w < IDX_TABLES; w++)
        if (!strcmp(fn, idx_tables[w].fn))
            return w;
    return -1;
}

bool matpower_define_idx(P *p, int which, char names[][64], int n, int line)
{
    if (n > IDX_MAX)
        return matpower_fail(p, line, "too many names for %s", idx_tables[which].fn);
    for (int i = 0; i < n; i++) {
        if (!idx_tables[which].names[i])
            return matpower_fail(p, line, "%s returns fewer values than the %d names given", idx_tables[which].fn, n);
        Val *v = matpower_scalar(p, idx_tables[which].values[i]);
        if (!v || !matpower_var_set(p, names[i], v, line))
            return false;
    }
    return true;
}

bool matpower_define_constants(P *p, int line)
{
    for (int w = 0; w < IDX_TABLES; w++)
        for (int i = 0; i < IDX_MAX && idx_tables[w].names[i]; i++) {
            Val *v = matpower_scalar(p, idx_tables[w].values[i]);
            if (!v || !matpower_var_set(p, idx_tables[w].names[i], v, line))
                return false;
        }
    return true;
}
