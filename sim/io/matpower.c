/* MATPOWER case reader, part two: an evaluator for the small subset of
 * MATLAB that case files are written in (see city_matpower.h), statement
 * by statement. Errors propagate as return codes and name file:line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_matpower.h"
#include "matpower_internal.h"

/* ---- values ------------------------------------------------------------------ */

static Val *val_new(P *p, int32_t rows, int32_t cols)
{
    if (p->n_temps == p->cap_temps) {
        int32_t cap = p->cap_temps ? p->cap_temps * 2 : 64;
        Val **q = realloc(p->temps, (size_t)cap * sizeof *q);
        if (!q) {
            matpower_fail(p, p->tok[p->pos].line, "out of memory");
            return NULL;
        }
        p->temps = q;
        p->cap_temps = cap;
    }
    Val *v = calloc(1, sizeof *v);
    if (v && rows * cols > 0)
        v->v = calloc((size_t)rows * (size_t)cols, sizeof *v->v);
    if (!v || (rows * cols > 0 && !v->v)) {
        if (v)
            free(v);
        matpower_fail(p, p->tok[p->pos].line, "out of memory");
        return NULL;
    }
    v->rows = rows;
    v->cols = cols;
    p->temps[p->n_temps++] = v;
    return v;
}

static void temps_free(P *p)
{
    for (int32_t i = 0; i < p->n_temps; i++) {
        free(p->temps[i]->v);
        free(p->temps[i]->row_line);
        free(p->temps[i]);
    }
    p->n_temps = 0;
}

static Val *scalar(P *p, double x)
{
    Val *v = val_new(p, 1, 1);
    if (v)
        v->v[0] = x;
    return v;
}

static Var *var_find(P *p, const char *name)
{
    for (int32_t i = 0; i < p->n_vars; i++)
        if (!strcmp(p->vars[i].name, name))
            return &p->vars[i];
    return NULL;
}

/* Stores a copy of v under name (replacing an older value). */
static bool var_set(P *p, const char *name, const Val *v, int line)
{
    Var *x = var_find(p, name);
    if (!x) {
        if (p->n_vars == p->cap_vars) {
            int32_t cap = p->cap_vars ? p->cap_vars * 2 : 128;
            Var *q = realloc(p->vars, (size_t)cap * sizeof *q);
            if (!q)
                return matpower_fail(p, line, "out of memory");
            p->vars = q;
            p->cap_vars = cap;
        }
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

static const struct {
    const char *fn;
    const char *names[25];
    int values[25];
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

/* ---- expressions --------------------------------------------------------------- */

static Tok *peek(P *p)
{
    return &p->tok[p->pos];
}
static bool is_op(const Tok *t, const char *op)
{
    return t->kind == T_OP && !strcmp(t->text, op);
}

static Val *parse_expr(P *p);

/* Name of a variable or field path: x, mpc.bus */
static bool parse_name(P *p, char *out, size_t len)
{
    Tok *t = peek(p);
    snprintf(out, len, "%s", t->text);
    p->pos++;
    while (is_op(peek(p), ".") && p->tok[p->pos + 1].kind == T_ID) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, ".%s", p->tok[p->pos + 1].text);
        p->pos += 2;
    }
    return true;
}

/* One index list entry: ':' (all), or a vector/range of 1-based indices. */
static Val *parse_index(P *p, int32_t extent, int line)
{
    if (is_op(peek(p), ":") && (is_op(&p->tok[p->pos + 1], ",") || is_op(&p->tok[p->pos + 1], ")"))) {
        p->pos++;
        Val *v = val_new(p, 1, extent);
        for (int32_t i = 0; v && i < extent; i++)
            v->v[i] = i + 1;
        return v;
    }
    p->end_value = extent;
    Val *a = parse_expr(p);
    if (!a)
        return NULL;
    if (is_op(peek(p), ":")) {
        p->pos++;
        Val *b = parse_expr(p);
        if (!b)
            return NULL;
        if (a->rows * a->cols != 1 || b->rows * b->cols != 1)
            return matpower_fail(p, line, "a range a:b needs two numbers"), NULL;
        double lo = a->v[0], hi = b->v[0];
        int32_t n = hi >= lo ? (int32_t)(hi - lo) + 1 : 0;
        a = val_new(p, 1, n);
        for (int32_t i = 0; a && i < n; i++)
            a->v[i] = lo + i;
    }
    int32_t n = a->rows * a->cols;
    for (int32_t i = 0; i < n; i++) {
        double x = a->v[i];
        if (!(x >= 1 && x <= extent && x == floor(x)))
            return matpower_fail(p, line, "index %g is out of range 1..%d", x, (int)extent), NULL;
    }
    return a;
}

/* mpc.bus(r, c) as a value, or the selection lists when sel != NULL. */
static Val *parse_call(P *p, const char *name, int line, Val **rsel, Val **csel)
{
    Var *x = var_find(p, name);
    p->pos++; /* ( */
    if (!x) {
        /* a few functions that case files use */
        if (!strcmp(name, "size")) {
            char inner[256];
            if (peek(p)->kind != T_ID)
                return matpower_fail(p, line, "use size(X, 1) or size(X, 2)"), NULL;
            parse_name(p, inner, sizeof inner);
            Var *y = var_find(p, inner);
            if (!y)
                return matpower_fail(p, line, "size(%s): '%s' is not defined", inner, inner), NULL;
            int32_t rows = y->val.rows, cols = y->val.cols;
            if (!is_op(peek(p), ","))
                return matpower_fail(p, line, "use size(X, 1) or size(X, 2)"), NULL;
            p->pos++;
            Val *d = parse_expr(p);
            if (!d || d->rows * d->cols != 1)
                return d ? matpower_fail(p, line, "use size(X, 1) or size(X, 2)"), NULL : NULL;
            if (!is_op(peek(p), ")"))
                return matpower_fail(p, line, "expected ')' after size(...)"), NULL;
            p->pos++;
            return scalar(p, d->v[0] == 1 ? rows : cols);
        }
        if (!strcmp(name, "ones") || !strcmp(name, "zeros")) {
            Val *args[2] = {NULL, NULL};
            int na = 0;
            while (!is_op(peek(p), ")") && na < 2) {
                if (!(args[na] = parse_expr(p)) || args[na]->rows * args[na]->cols != 1)
                    return args[na] ? matpower_fail(p, line, "%s(...) takes numbers", name), NULL : NULL;
                na++;
                if (is_op(peek(p), ","))
                    p->pos++;
            }
            if (!is_op(peek(p), ")") || na == 0)
                return matpower_fail(p, line, "%s(...) takes one or two sizes", name), NULL;
            p->pos++;
            double r = args[0]->v[0], c = na > 1 ? args[1]->v[0] : r;
            if (!(r >= 0 && c >= 0 && r * c <= 1e8))
                return matpower_fail(p, line, "%s(%g, %g) is out of range", name, r, c), NULL;
            Val *v = val_new(p, (int32_t)r, (int32_t)c);
            for (int32_t i = 0; v && i < v->rows * v->cols; i++)
                v->v[i] = name[0] == 'o' ? 1.0 : 0.0;
            return v;
        }
        return matpower_fail(p, line,
                             "'%s(...)' is not something a case file may use; keep to numbers, mpc fields and "
                             "idx_bus/idx_brch/idx_gen constants",
                             name),
               NULL;
    }
    Val *r = parse_index(p, x->val.rows, line);
    if (!r)
        return NULL;
    Val *c = NULL;
    if (is_op(peek(p), ",")) {
        p->pos++;
        /* x may have moved if parse_index defined nothing; it cannot define variables, so x is stable */
        x = var_find(p, name);
        c = parse_index(p, x->val.cols, line);
        if (!c)
            return NULL;
    } else {
        return matpower_fail(p, line, "%s(...) with one index is not supported; write %s(rows, columns)", name, name),
               NULL;
    }
    if (!is_op(peek(p), ")"))
        return matpower_fail(p, line, "expected ')' to close %s(...)", name), NULL;
    p->pos++;
    if (rsel) {
        *rsel = r;
        *csel = c;
        return r;
    }
    x = var_find(p, name);
    int32_t nr = r->rows * r->cols, nc = c->rows * c->cols;
    Val *v = val_new(p, nr, nc);
    for (int32_t i = 0; v && i < nr; i++)
        for (int32_t j = 0; j < nc; j++)
            v->v[i * nc + j] = x->val.v[(int32_t)(r->v[i] - 1) * x->val.cols + (int32_t)(c->v[j] - 1)];
    return v;
}

static Val *parse_matrix(P *p, char close);

static Val *parse_primary(P *p)
{
    Tok *t = peek(p);
    int line = t->line;
    if (t->kind == T_NUM) {
        p->pos++;
        return scalar(p, t->num);
    }
    if (t->kind == T_STR) {
        p->pos++;
        Val *v = val_new(p, 0, 0);
        if (v)
            v->is_str = true;
        return v;
    }
    if (is_op(t, "(")) {
        p->pos++;
        Val *v = parse_expr(p);
        if (!v)
            return NULL;
        if (!is_op(peek(p), ")"))
            return matpower_fail(p, line, "expected ')'"), NULL;
        p->pos++;
        return v;
    }
    if (is_op(t, "[")) {
        p->pos++;
        return parse_matrix(p, ']');
    }
    if (is_op(t, "{")) {
        p->pos++;
        return parse_matrix(p, '}');
    }
    if (t->kind == T_ID) {
        if (!strcmp(t->text, "end")) {
            p->pos++;
            return scalar(p, p->end_value);
        }
        static const struct {
            const char *name;
            double value;
        } consts[] = {{"Inf", INFINITY}, {"inf", INFINITY}, {"NaN", NAN}, {"nan", NAN},
                      {"pi", M_PI},      {"true", 1},       {"false", 0}};
        char name[256];
        parse_name(p, name, sizeof name);
        if (is_op(peek(p), "(") && !peek(p)->space)
            return parse_call(p, name, line, NULL, NULL);
        Var *x = var_find(p, name);
        if (x) {
            Val *v = val_new(p, x->val.rows, x->val.cols);
            if (v && x->val.rows > 0 && x->val.cols > 0)
                memcpy(v->v, x->val.v, (size_t)x->val.rows * (size_t)x->val.cols * sizeof *v->v);
            if (v)
                v->is_str = x->val.is_str;
            return v;
        }
        for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
            if (!strcmp(name, consts[i].name))
                return scalar(p, consts[i].value);
        return matpower_fail(p, line,
                             "'%s' is not defined; define it before this line (for column names, add "
                             "'define_constants;' or '[...] = idx_bus;')",
                             name),
               NULL;
    }
    if (t->kind == T_END || t->kind == T_ROW || t->kind == T_EOF)
        return matpower_fail(p, line, "the line ends where a value was expected; complete the expression"), NULL;
    return matpower_fail(p, line, "unexpected '%s' where a value was expected", t->text), NULL;
}

static Val *broadcast(P *p, Val *a, Val *b, char op, int line)
{
    int32_t na = a->rows * a->cols, nb = b->rows * b->cols;
    if (a->is_str || b->is_str)
        return matpower_fail(p, line, "arithmetic on a string"), NULL;
    if (op == '*' && na != 1 && nb != 1)
        return matpower_fail(p, line, "matrix products are not supported; use .* for element-wise products"), NULL;
    if (na != 1 && nb != 1 && (a->rows != b->rows || a->cols != b->cols))
        return matpower_fail(p, line, "sizes %dx%d and %dx%d do not match", (int)a->rows, (int)a->cols, (int)b->rows,
                             (int)b->cols),
               NULL;
    Val *o = na >= nb ? val_new(p, a->rows, a->cols) : val_new(p, b->rows, b->cols);
    if (!o)
        return NULL;
    int32_t n = o->rows * o->cols;
    for (int32_t i = 0; i < n; i++) {
        double x = a->v[na == 1 ? 0 : i], y = b->v[nb == 1 ? 0 : i];
        switch (op) {
        case '+':
            o->v[i] = x + y;
            break;
        case '-':
            o->v[i] = x - y;
            break;
        case '*':
            o->v[i] = x * y;
            break;
        case '/':
            o->v[i] = x / y;
            break;
        default:
            o->v[i] = pow(x, y);
            break;
        }
    }
    return o;
}

static Val *parse_postfix(P *p)
{
    Val *v = parse_primary(p);
    while (v && (is_op(peek(p), "'") || is_op(peek(p), ".'"))) {
        p->pos++;
        Val *t = val_new(p, v->cols, v->rows);
        for (int32_t i = 0; t && i < v->rows; i++)
            for (int32_t j = 0; j < v->cols; j++)
                t->v[j * v->rows + i] = v->v[i * v->cols + j];
        v = t;
    }
    return v;
}

static Val *parse_unary(P *p);

static Val *parse_power(P *p)
{
    Val *a = parse_postfix(p);
    while (a && (is_op(peek(p), "^") || is_op(peek(p), ".^"))) {
        int line = peek(p)->line;
        p->pos++;
        Val *b = parse_unary(p);
        if (!b)
            return NULL;
        if (is_op(&p->tok[p->pos - 1], "^") && a->rows * a->cols != 1)
            return matpower_fail(p, line, "matrix powers are not supported; use .^"), NULL;
        a = broadcast(p, a, b, '^', line);
    }
    return a;
}

static Val *parse_unary(P *p)
{
    if (is_op(peek(p), "-") || is_op(peek(p), "+")) {
        bool neg = peek(p)->text[0] == '-';
        p->pos++;
        Val *v = parse_unary(p);
        if (v && neg) {
            Val *o = val_new(p, v->rows, v->cols);
            for (int32_t i = 0; o && i < v->rows * v->cols; i++)
                o->v[i] = -v->v[i];
            v = o;
        }
        return v;
    }
    return parse_power(p);
}

/* Inside brackets, "a -b" is two elements and "a - b" one (MATLAB's rule). */
static bool binary_here(P *p, bool in_matrix)
{
    Tok *t = peek(p);
    if (!in_matrix || !t->space)
        return true;
    return p->tok[p->pos + 1].space;
}

static Val *parse_term_ex(P *p, bool in_matrix)
{
    Val *a = parse_unary(p);
    while (a) {
        Tok *t = peek(p);
        char op;
        if (is_op(t, "*") || is_op(t, ".*"))
            op = '*';
        else if (is_op(t, "/") || is_op(t, "./"))
            op = '/';
        else
            break;
        (void)in_matrix;
        p->pos++;
        Val *b = parse_unary(p);
        if (!b)
            return NULL;
        a = broadcast(p, a, b, op, t->line);
    }
    return a;
}

static Val *parse_expr_ex(P *p, bool in_matrix)
{
    Val *a = parse_term_ex(p, in_matrix);
    while (a && (is_op(peek(p), "+") || is_op(peek(p), "-")) && binary_here(p, in_matrix)) {
        Tok *t = peek(p);
        p->pos++;
        Val *b = parse_term_ex(p, in_matrix);
        if (!b)
            return NULL;
        a = broadcast(p, a, b, t->text[0], t->line);
    }
    return a;
}

static Val *parse_expr(P *p)
{
    return parse_expr_ex(p, false);
}

/* [ rows ] of numbers, or { cells } which are skipped (names, text). */
static Val *parse_matrix(P *p, char close)
{
    int line0 = p->tok[p->pos - 1].line;
    if (close == '}') {
        int depth = 1;
        while (depth > 0) {
            Tok *t = peek(p);
            if (t->kind == T_EOF)
                return matpower_fail(p, line0, "'{' is never closed"), NULL;
            if (is_op(t, "{"))
                depth++;
            if (is_op(t, "}"))
                depth--;
            p->pos++;
        }
        Val *v = val_new(p, 0, 0);
        if (v)
            v->is_str = true;
        return v;
    }
    double *data = NULL;
    int32_t *lines = NULL;
    int32_t rows = 0, cols = -1, cur = 0, first_line = 0, lcap = 0;
    size_t total = 0, cap = 0;
    for (;;) {
        Tok *t = peek(p);
        if (t->kind == T_EOF)
            return free(data), free(lines), matpower_fail(p, line0, "'[' is never closed; add ']'"), NULL;
        if (is_op(t, "]") || t->kind == T_ROW) {
            if (cur > 0) {
                if (cols >= 0 && cur != cols) {
                    free(data);
                    free(lines);
                    return matpower_fail(p, first_line,
                                         "this row has %d numbers but the rows above have %d; every row of a "
                                         "matrix needs the same number of columns",
                                         (int)cur, (int)cols),
                           NULL;
                }
                cols = cur;
                if (rows == lcap) {
                    lcap = lcap ? lcap * 2 : 64;
                    int32_t *q = realloc(lines, (size_t)lcap * sizeof *q);
                    if (!q)
                        return free(data), free(lines), matpower_fail(p, t->line, "out of memory"), NULL;
                    lines = q;
                }
                lines[rows++] = first_line;
                cur = 0;
            }
            p->pos++;
            if (is_op(t, "]"))
                break;
            continue;
        }
        if (is_op(t, ",")) {
            p->pos++;
            continue;
        }
        if (cur == 0)
            first_line = t->line;
        Val *e = parse_expr_ex(p, true);
        if (!e)
            return free(data), free(lines), NULL;
        if (e->is_str)
            continue; /* text inside a numeric matrix (rare): ignored */
        int32_t n = e->rows * e->cols;
        if (e->rows > 1)
            return free(data), free(lines),
                   matpower_fail(p, t->line, "nested matrices with several rows are not supported"), NULL;
        if (total + (size_t)n > cap) {
            cap = (total + (size_t)n) * 2 + 64;
            double *q = realloc(data, cap * sizeof *q);
            if (!q)
                return free(data), free(lines), matpower_fail(p, t->line, "out of memory"), NULL;
            data = q;
        }
        memcpy(data + total, e->v, (size_t)n * sizeof *data);
        total += (size_t)n;
        cur += n;
    }
    Val *v = val_new(p, rows, cols < 0 ? 0 : cols);
    if (!v)
        return free(data), free(lines), NULL;
    if (total)
        memcpy(v->v, data, total * sizeof *data);
    v->row_line = lines;
    free(data);
    return v;
}

/* ---- statements ---------------------------------------------------------------- */

static bool expect_end(P *p)
{
    Tok *t = peek(p);
    if (t->kind == T_END || t->kind == T_EOF) {
        if (t->kind == T_END)
            p->pos++;
        return true;
    }
    return matpower_fail(p, t->line, "unexpected '%s' after the statement; end it with ';' or a new line",
                         t->kind == T_ID || t->kind == T_OP ? t->text : "value");
}

static bool skip_statement(P *p)
{
    while (peek(p)->kind != T_END && peek(p)->kind != T_EOF)
        p->pos++;
    return expect_end(p);
}

static bool define_idx(P *p, int which, char names[][64], int n, int line)
{
    if (n > 25)
        return matpower_fail(p, line, "too many names for %s", idx_tables[which].fn);
    for (int i = 0; i < n; i++) {
        if (!idx_tables[which].names[i])
            return matpower_fail(p, line, "%s returns fewer values than the %d names given", idx_tables[which].fn, n);
        Val *v = scalar(p, idx_tables[which].values[i]);
        if (!v || !var_set(p, names[i], v, line))
            return false;
    }
    return true;
}

static bool define_constants(P *p, int line)
{
    for (int w = 0; w < 4; w++)
        for (int i = 0; i < 25 && idx_tables[w].names[i]; i++) {
            Val *v = scalar(p, idx_tables[w].values[i]);
            if (!v || !var_set(p, idx_tables[w].names[i], v, line))
                return false;
        }
    return true;
}

static bool is_data_field(const char *field)
{
    return !strcmp(field, "bus") || !strcmp(field, "gen") || !strcmp(field, "branch") || !strcmp(field, "baseMVA");
}

static bool statement(P *p)
{
    Tok *t = peek(p);
    int line = t->line;
    if (t->kind == T_END || t->kind == T_ROW) {
        p->pos++;
        return true;
    }
    if (t->kind == T_ID && !strcmp(t->text, "function")) {
        /* function mpc = name */
        Tok *a = &p->tok[p->pos + 1], *b = &p->tok[p->pos + 2];
        if (a->kind == T_ID && is_op(b, "="))
            snprintf(p->root, sizeof p->root, "%s", a->text);
        return skip_statement(p);
    }
    if (t->kind == T_ID && (!strcmp(t->text, "return") || !strcmp(t->text, "end")))
        return skip_statement(p);
    if (t->kind == T_ID && !strcmp(t->text, "define_constants"))
        return define_constants(p, line) && skip_statement(p);
    if (is_op(t, "[")) {
        /* [A, B, ...] = idx_xxx; */
        char names[32][64];
        int n = 0;
        p->pos++;
        while (!is_op(peek(p), "]")) {
            Tok *x = peek(p);
            if (x->kind == T_ID && n < 32)
                snprintf(names[n++], 64, "%s", x->text);
            else if (!is_op(x, ",") && x->kind != T_ROW)
                return matpower_fail(p, line, "expected a list of names in [ ... ] = idx_bus");
            p->pos++;
        }
        p->pos++;
        Tok *fn = &p->tok[p->pos + 1];
        if (!is_op(peek(p), "=") || fn->kind != T_ID)
            return matpower_fail(p, line, "expected '[names] = idx_bus' (or idx_brch, idx_gen, idx_cost)");
        for (int w = 0; w < 4; w++)
            if (!strcmp(fn->text, idx_tables[w].fn)) {
                p->pos += 2;
                return define_idx(p, w, names, n, line) && expect_end(p);
            }
        return matpower_fail(p, line, "'%s' is not one of idx_bus, idx_brch, idx_gen, idx_cost", fn->text);
    }
    if (t->kind != T_ID)
        return matpower_fail(p, line, "unexpected '%s' at the start of a statement",
                             t->kind == T_OP ? t->text : "value");
    char name[256];
    parse_name(p, name, sizeof name);
    const char *dot = strchr(name, '.');
    bool data = false;
    if (dot) {
        size_t rl = (size_t)(dot - name);
        bool root_ok = p->root[0] ? strlen(p->root) == rl && !strncmp(name, p->root, rl) : true;
        data = root_ok && is_data_field(dot + 1);
        if (!p->root[0] && rl < sizeof p->root) {
            memcpy(p->root, name, rl);
            p->root[rl] = '\0';
        }
    }
    if (is_op(peek(p), "(") && !peek(p)->space) {
        /* element-wise update: name(rows, cols) = expr */
        if (!var_find(p, name)) {
            if (data)
                return matpower_fail(p, line, "%s is changed before it is defined; define it first", name);
            return skip_statement(p); /* an ignored field such as mpc.gencost(...) */
        }
        Val *rsel = NULL, *csel = NULL;
        if (!parse_call(p, name, line, &rsel, &csel))
            return false;
        if (!is_op(peek(p), "="))
            return matpower_fail(p, line, "expected '=' after %s(...)", name);
        p->pos++;
        Val *v = parse_expr(p);
        if (!v)
            return false;
        Var *x = var_find(p, name);
        int32_t nr = rsel->rows * rsel->cols, nc = csel->rows * csel->cols, nv = v->rows * v->cols;
        if (nv != 1 && nv != nr * nc)
            return matpower_fail(p, line, "the right side has %d values for %d selected elements", (int)nv,
                                 (int)(nr * nc));
        for (int32_t i = 0; i < nr; i++)
            for (int32_t j = 0; j < nc; j++)
                x->val.v[(int32_t)(rsel->v[i] - 1) * x->val.cols + (int32_t)(csel->v[j] - 1)] =
                    v->v[nv == 1 ? 0 : i * nc + j];
        return expect_end(p);
    }
    if (!is_op(peek(p), "=")) {
        if (peek(p)->kind == T_END || peek(p)->kind == T_EOF) {
            if (data || var_find(p, name))
                return skip_statement(p); /* displaying a value */
            return matpower_fail(p, line, "'%s' is a command a case file cannot run; remove it", name);
        }
        return matpower_fail(p, line, "expected '=' after '%s'", name);
    }
    p->pos++;
    Val *v = parse_expr(p);
    if (!v)
        return false;
    if (dot && !strcmp(dot + 1, "baseMVA"))
        p->base_line = line;
    if (!var_set(p, name, v, line))
        return false;
    return expect_end(p);
}

static bool take_matrix(P *p, const char *field, CityMpMatrix *m)
{
    char name[160];
    snprintf(name, sizeof name, "%s.%s", p->root[0] ? p->root : "mpc", field);
    Var *x = var_find(p, name);
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

CityStatus city_matpower_parse(const char *text, size_t len, const char *path, CityMpCase *out, char *err,
                               size_t err_len)
{
    memset(out, 0, sizeof *out);
    P p = {0};
    p.path = path;
    p.err = err;
    p.err_len = err_len;
    if (err_len)
        err[0] = '\0';
    bool ok = matpower_lex(&p, text, len);
    while (ok && peek(&p)->kind != T_EOF) {
        ok = statement(&p);
        temps_free(&p);
    }
    temps_free(&p);
    char name[160];
    if (ok) {
        snprintf(name, sizeof name, "%s.baseMVA", p.root[0] ? p.root : "mpc");
        Var *b = var_find(&p, name);
        if (!b || b->val.rows * b->val.cols != 1)
            ok = matpower_fail(&p, p.base_line ? p.base_line : 1, "no mpc.baseMVA; add a line 'mpc.baseMVA = 100;'");
        else
            out->base_mva = b->val.v[0];
        out->base_line = p.base_line;
    }
    ok = ok && take_matrix(&p, "bus", &out->bus) && take_matrix(&p, "gen", &out->gen) &&
         take_matrix(&p, "branch", &out->branch);
    if (ok && out->bus.rows == 0)
        ok = matpower_fail(&p, 1, "no mpc.bus matrix; a case needs buses (mpc.bus = [ ... ];)");
    if (ok) {
        const char *stem = strrchr(path, '/');
        stem = stem ? stem + 1 : path;
        snprintf(out->name, sizeof out->name, "%s", stem);
        char *dotm = strrchr(out->name, '.');
        if (dotm)
            *dotm = '\0';
    }
    for (int32_t i = 0; i < p.n_vars; i++) {
        free(p.vars[i].val.v);
        free(p.vars[i].val.row_line);
    }
    free(p.vars);
    free(p.temps);
    free(p.tok);
    if (!ok) {
        city_matpower_free(out);
        return CITY_ERR_PARSE;
    }
    return CITY_OK;
}

CityStatus city_matpower_read(const char *path, CityMpCase *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open the case file (%s); check the path", path, strerror(errno));
        return CITY_ERR_IO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = (len + 65536) * 2;
            char *q = realloc(buf, cap);
            if (!q) {
                free(buf);
                fclose(f);
                snprintf(err, err_len, "%s: out of memory reading the case", path);
                return CITY_ERR_NOMEM;
            }
            buf = q;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, err_len, "%s: read error", path);
        return CITY_ERR_IO;
    }
    CityStatus st = city_matpower_parse(buf, len, path, out, err, err_len);
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
