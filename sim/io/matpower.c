/* MATPOWER case files: the public face of the reader (city_matpower.h).
 * Tokenizes, runs the statements (matpower_stmt.c), then takes mpc.bus,
 * mpc.gen, mpc.branch and mpc.baseMVA out of the variables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "city_matpower.h"
#include "city_text.h"
#include "matpower_internal.h"

#define CASE_MAX_BYTES ((size_t)256 << 20) /* bytes of a case file */

static bool take_matrix(P *p, const char *field, CityMpMatrix *m)
{
    char name[160];
    snprintf(name, sizeof name, "%s.%s", p->root[0] ? p->root : "mpc", field);
    Var *x = matpower_var_find(p, name);
    if (!x)
        return true;
    m->rows = x->val.rows;
    m->cols = x->val.cols;
    m->v = x->val.v;
    x->val.v = NULL;
    m->row_line = x->val.row_line;
    x->val.row_line = NULL;
    if (!m->row_line && m->rows) {
        m->row_line = calloc((size_t)m->rows, sizeof *m->row_line);
        if (!m->row_line)
            return matpower_fail(p, 1, "out of memory");
    }
    return true;
}

static bool take_case(P *p, CityMpCase *out)
{
    char name[160];
    snprintf(name, sizeof name, "%s.baseMVA", p->root[0] ? p->root : "mpc");
    Var *b = matpower_var_find(p, name);
    if (!b || b->val.rows * b->val.cols != 1)
        return matpower_fail(p, p->base_line ? p->base_line : 1, "no mpc.baseMVA; add a line 'mpc.baseMVA = 100;'");
    out->base_mva = b->val.v[0];
    out->base_line = p->base_line;
    if (!take_matrix(p, "bus", &out->bus) || !take_matrix(p, "gen", &out->gen) ||
        !take_matrix(p, "branch", &out->branch))
        return false;
    if (out->bus.rows == 0)
        return matpower_fail(p, 1, "no mpc.bus matrix; a case needs buses (mpc.bus = [ ... ];)");
    const char *stem = strrchr(p->path, '/');
    stem = stem ? stem + 1 : p->path;
    snprintf(out->name, sizeof out->name, "%s", stem);
    char *dotm = strrchr(out->name, '.');
    if (dotm)
        *dotm = '\0';
    return true;
}

CityStatus city_matpower_parse(const char *text, size_t len, const char *path, CityMpCase *out, CityError *err)
{
    memset(out, 0, sizeof *out);
    CityError local;
    err = err ? err : &local;
    city_error_clear(err);
    P p = {0};
    p.path = path;
    p.err = err;
    /* Each number written takes at least two characters, and a case's statements touch each table a few times;
     * 64 numbers per character and 4 Mi more leave real cases far inside and stop a one-line range of 1e8. */
    p.elems_limit = (len < SIZE_MAX / 128 ? 64 * len : SIZE_MAX / 2) + ((size_t)1 << 22);
    bool ok = matpower_lex(&p, text, len) && matpower_run(&p);
    matpower_temps_free(&p);
    ok = ok && take_case(&p, out);
    matpower_vars_free(&p);
    free(p.temps);
    free(p.tok);
    if (!ok) {
        city_matpower_free(out);
        err->status = CITY_ERR_PARSE; /* the message is already in err->msg */
        return CITY_ERR_PARSE;
    }
    return CITY_OK;
}

CityStatus city_matpower_read(const char *path, CityMpCase *out, CityError *err)
{
    memset(out, 0, sizeof *out);
    size_t len = 0;
    char *buf = city_file_read(path, CASE_MAX_BYTES, &len);
    if (!buf) {
        if (errno == ENOMEM)
            return city_error_set(err, CITY_ERR_NOMEM, "%s: out of memory reading the case", path);
        if (errno == EFBIG)
            return city_error_set(err, CITY_ERR_LIMIT,
                                  "%s: the case file is over %d MiB; citylab reads cases up to that size", path,
                                  (int)(CASE_MAX_BYTES >> 20));
        return city_error_set(err, CITY_ERR_IO, "%s: cannot open the case file (%s); check the path", path,
                              strerror(errno));
    }
    CityStatus st = city_matpower_parse(buf, len, path, out, err);
    free(buf);
    return st;
}

void city_matpower_free(CityMpCase *mp)
{
    free(mp->bus.v);
    free(mp->bus.row_line);
    free(mp->gen.v);
    free(mp->gen.row_line);
    free(mp->branch.v);
    free(mp->branch.row_line);
    memset(&mp->bus, 0, sizeof mp->bus);
    memset(&mp->gen, 0, sizeof mp->gen);
    memset(&mp->branch, 0, sizeof mp->branch);
}
