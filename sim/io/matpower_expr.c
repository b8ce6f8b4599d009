/* MATPOWER case reader: expressions, with MATLAB's precedence (lowest
 * first): || && | & comparisons, ranges a:b, + -, * / .* ./, unary + - ~,
 * ^ .^, transposes; numbers, strings, names, Inf/NaN/pi, `end` inside an
 * index, matrix literals and indexing of defined variables. Arithmetic is
 * element-wise with scalar expansion; what MATLAB would do with matrix
 * algebra (A * B of two matrices, A ^ 2 of a matrix) is refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "matpower_internal.h"

Tok *matpower_peek(P *p)
{
    return &p->tok[p->pos];
}

bool matpower_is_op(const Tok *t, const char *op)
{
    return t->kind == T_OP && !strcmp(t->text, op);
}

#define peek matpower_peek
#define is_op matpower_is_op
#define MATPOWER_DEPTH_MAX 200 /* expressions inside one another */

void matpower_parse_name(P *p, char *out, size_t len)
{
    Tok *t = peek(p);
    snprintf(out, len, "%s", t->text);
    p->pos++;
    while (is_op(peek(p), ".") && p->tok[p->pos + 1].kind == T_ID) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, ".%s", p->tok[p->pos + 1].text);
        p->pos += 2;
    }
}

static Val *parse_logic(P *p, int level, bool in_matrix);

/* One entry of an index list: ':' (all), or whole numbers 1..extent (a
 * number, a range or a vector such as find's result). */
static Val *index_list(P *p, int32_t extent, int line)
{
    if (is_op(peek(p), ":") && (is_op(&p->tok[p->pos + 1], ",") || is_op(&p->tok[p->pos + 1], ")"))) {
        p->pos++;
        Val *v = matpower_val_new(p, 1, extent);
        for (int32_t i = 0; v && i < extent; i++)
            v->v[i] = i + 1;
        return v;
    }
    double end_before = p->end_value;
    p->end_value = extent;
    Val *a = parse_logic(p, 0, false);
    p->end_value = end_before;
    if (!a)
        return NULL;
    int32_t n = a->rows * a->cols;
    for (int32_t i = 0; i < n; i++) {
        double x = a->v[i];
        if (!(x >= 1 && x <= extent && x == floor(x)))
            return matpower_fail(p, line, "index %g is out of range 1..%d", x, (int)extent), NULL;
    }
    return a;
}

/* Whether the index list that starts at the current token (after '(') has
 * two entries: a ',' before the matching ')'. */
static bool two_indices(const P *p)
{
    int depth = 0;
    for (int32_t k = p->pos; k < p->n_tok && p->tok[k].kind != T_EOF; k++) {
        const Tok *t = &p->tok[k];
        if (is_op(t, "(") || is_op(t, "[") || is_op(t, "{"))
            depth++;
        else if (is_op(t, ")") || is_op(t, "]") || is_op(t, "}")) {
            if (depth-- == 0)
                return false;
        } else if (depth == 0 && is_op(t, ","))
            return true;
    }
    return false;
}

Val *matpower_parse_index(P *p, const char *name, int line, Val **rsel, Val **csel)
{
    Var *x = matpower_var_find(p, name);
    p->pos++; /* ( */
    int32_t rows = x->val.rows, cols = x->val.cols;
    bool two = two_indices(p);
    if (!two && (rsel || (rows != 1 && cols != 1)))
        return matpower_fail(p, line, "%s(...) with one index is not supported here; write %s(rows, columns)", name,
                             name),
               NULL;
    Val *r = index_list(p, two ? rows : rows * cols, line);
    if (!r)
        return NULL;
    Val *c = NULL;
    if (two) {
        p->pos++; /* , */
        if (!(c = index_list(p, cols, line)))
            return NULL;
    }
    if (!is_op(peek(p), ")"))
        return matpower_fail(p, line, "expected ')' to close %s(...)", name), NULL;
    p->pos++;
    if (rsel) {
        *rsel = r;
        *csel = c;
        return r;
    }
    x = matpower_var_find(p, name); /* an index cannot define variables, but look again */
    int32_t nr = r->rows * r->cols, nc = c ? c->rows * c->cols : 1;
    Val *v = c ? matpower_val_new(p, nr, nc) : matpower_val_new(p, rows == 1 ? 1 : nr, rows == 1 ? nr : 1);
    for (int32_t i = 0; v && i < nr; i++)
        for (int32_t j = 0; j < nc; j++) {
            int32_t at = c ? (int32_t)(r->v[i] - 1) * cols + (int32_t)(c->v[j] - 1) : (int32_t)(r->v[i] - 1);
            v->v[i * nc + j] = x->val.v[at];
        }
    return v;
}

static Val *parse_matrix(P *p, char close);

static Val *parse_named(P *p, int line)
{
    static const struct {
        const char *name;
        double value;
    } consts[] = {{"Inf", INFINITY}, {"inf", INFINITY}, {"NaN", NAN}, {"nan", NAN},
                  {"pi", M_PI},      {"true", 1},       {"false", 0}, {"eps", 2.220446049250313e-16}};
    if (!strcmp(peek(p)->text, "end")) {
        p->pos++;
        return matpower_scalar(p, p->end_value);
    }
    char name[256];
    matpower_parse_name(p, name, sizeof name);
    Var *x = matpower_var_find(p, name);
    if (is_op(peek(p), "(") && !peek(p)->space)
        return x ? matpower_parse_index(p, name, line, NULL, NULL) : matpower_parse_function(p, name, line);
    if (x) {
        Val *v = matpower_val_new(p, x->val.rows, x->val.cols);
        if (v && x->val.rows > 0 && x->val.cols > 0)
            memcpy(v->v, x->val.v, (size_t)x->val.rows * (size_t)x->val.cols * sizeof *v->v);
        if (v)
            v->is_str = x->val.is_str;
        return v;
    }
    for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
        if (!strcmp(name, consts[i].name))
            return matpower_scalar(p, consts[i].value);
    if (is_op(peek(p), "("))
        return matpower_parse_function(p, name, line);
    return matpower_fail(p, line,
                         "'%s' is not defined; define it before this line (for column names, add "
                         "'define_constants;' or '[...] = idx_bus;')",
                         name),
           NULL;
}

static Val *parse_primary(P *p)
{
    Tok *t = peek(p);
    int line = t->line;
    if (t->kind == T_NUM) {
        p->pos++;
        return matpower_scalar(p, t->num);
    }
    if (t->kind == T_STR) {
        p->pos++;
        Val *v = matpower_val_new(p, 0, 0);
        if (v)
            v->is_str = true;
        return v;
    }
    if (is_op(t, "(")) {
        p->pos++;
        Val *v = parse_logic(p, 0, false);
        if (!v)
            return NULL;
        if (!is_op(peek(p), ")"))
            return matpower_fail(p, line, "expected ')'"), NULL;
        p->pos++;
        return v;
    }
    if (is_op(t, "[") || is_op(t, "{")) {
        p->pos++;
        return parse_matrix(p, t->text[0] == '[' ? ']' : '}');
    }
    if (t->kind == T_ID)
        return parse_named(p, line);
    if (t->kind == T_END || t->kind == T_ROW || t->kind == T_EOF)
        return matpower_fail(p, line, "the line ends where a value was expected; complete the expression"), NULL;
    return matpower_fail(p, line, "unexpected '%s' where a value was expected", t->text), NULL;
}

/* op: + - * / ^ element-wise arithmetic; < > l(<=) g(>=) e(==) n(~=) comparisons; & | logic. */
static double apply(char op, double x, double y)
{
    switch (op) {
    case '+':
        return x + y;
    case '-':
        return x - y;
    case '*':
        return x * y;
    case '/':
        return x / y;
    case '^':
        return pow(x, y);
    case '<':
        return x < y;
    case '>':
        return x > y;
    case 'l':
        return x <= y;
    case 'g':
        return x >= y;
    case 'e':
        return x == y;
    case 'n':
        return x != y;
    case '&':
        return x != 0 && y != 0;
    default:
        return x != 0 || y != 0;
    }
}

static Val *broadcast(P *p, Val *a, Val *b, char op, int line)
{
    int32_t na = a->rows * a->cols, nb = b->rows * b->cols;
    if (a->is_str || b->is_str)
        return matpower_fail(p, line, "arithmetic on a string is not supported"), NULL;
    if (op == 'M' && na != 1 && nb != 1)
        return matpower_fail(p, line, "matrix products are not supported; use .* for element-wise products"), NULL;
    if (op == 'D' && nb != 1)
        return matpower_fail(p, line, "matrix division is not supported; use ./ for element-wise division"), NULL;
    op = op == 'M' ? '*' : op == 'D' ? '/' : op;
    if (na != 1 && nb != 1 && (a->rows != b->rows || a->cols != b->cols))
        return matpower_fail(p, line, "sizes %dx%d and %dx%d do not match", (int)a->rows, (int)a->cols, (int)b->rows,
                             (int)b->cols),
               NULL;
    Val *o = na == 1 && nb != 1 ? matpower_val_new(p, b->rows, b->cols) : matpower_val_new(p, a->rows, a->cols);
    for (int32_t i = 0; o && i < o->rows * o->cols; i++)
        o->v[i] = apply(op, a->v[na == 1 ? 0 : i], b->v[nb == 1 ? 0 : i]);
    return o;
}

static Val *parse_postfix(P *p)
{
    Val *v = parse_primary(p);
    while (v && (is_op(peek(p), "'") || is_op(peek(p), ".'"))) {
        p->pos++;
        Val *t = matpower_val_new(p, v->cols, v->rows);
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
        bool matrix_power = is_op(peek(p), "^");
        p->pos++;
        Val *b = parse_unary(p);
        if (!b)
            return NULL;
        if (matrix_power && a->rows * a->cols != 1)
            return matpower_fail(p, line, "matrix powers are not supported; use .^"), NULL;
        a = broadcast(p, a, b, '^', line);
    }
    return a;
}

static Val *parse_unary_op(P *p)
{
    Tok *t = peek(p);
    if (is_op(t, "-") || is_op(t, "+") || is_op(t, "~")) {
        char op = t->text[0];
        p->pos++;
        Val *v = parse_unary(p);
        if (!v || op == '+')
            return v;
        Val *o = matpower_val_new(p, v->rows, v->cols);
        for (int32_t i = 0; o && i < v->rows * v->cols; i++)
            o->v[i] = op == '-' ? -v->v[i] : (double)(v->v[i] == 0);
        return o;
    }
    return parse_power(p);
}

/* Every nesting (parentheses, brackets, arguments, signs, powers) passes
 * here: a bound on the depth keeps a hostile case off the end of the stack. */
static Val *parse_unary(P *p)
{
    if (p->depth >= MATPOWER_DEPTH_MAX)
        return matpower_fail(p, peek(p)->line, "expression nested more than %d deep; simplify it", MATPOWER_DEPTH_MAX),
               NULL;
    p->depth++;
    Val *v = parse_unary_op(p);
    p->depth--;
    return v;
}

static Val *parse_term(P *p)
{
    Val *a = parse_unary(p);
    while (a) {
        Tok *t = peek(p);
        char op;
        if (is_op(t, "*") || is_op(t, ".*"))
            op = t->text[0] == '*' ? 'M' : '*'; /* M: a matrix product, allowed with a scalar */
        else if (is_op(t, "/") || is_op(t, "./"))
            op = t->text[0] == '/' ? 'D' : '/';
        else
            break;
        p->pos++;
        Val *b = parse_unary(p);
        if (!b)
            return NULL;
        a = broadcast(p, a, b, op, t->line);
    }
    return a;
}

/* Inside brackets, "a -b" is two elements and "a - b" one (MATLAB's rule). */
static bool binary_here(P *p, bool in_matrix)
{
    Tok *t = peek(p);
    if (!in_matrix || !t->space)
        return true;
    return p->tok[p->pos + 1].space;
}

static Val *parse_sum(P *p, bool in_matrix)
{
    Val *a = parse_term(p);
    while (a && (is_op(peek(p), "+") || is_op(peek(p), "-")) && binary_here(p, in_matrix)) {
        Tok *t = peek(p);
        p->pos++;
        Val *b = parse_term(p);
        if (!b)
            return NULL;
        a = broadcast(p, a, b, t->text[0], t->line);
    }
    return a;
}

/* a:b or a:step:b, a row vector */
static Val *parse_range(P *p, bool in_matrix)
{
    Val *a = parse_sum(p, in_matrix);
    if (!a || !is_op(peek(p), ":"))
        return a;
    int line = peek(p)->line;
    p->pos++;
    Val *b = parse_sum(p, in_matrix), *c = NULL;
    if (b && is_op(peek(p), ":")) {
        p->pos++;
        c = parse_sum(p, in_matrix);
        if (!c)
            return NULL;
    }
    if (!b)
        return NULL;
    if (a->rows * a->cols != 1 || b->rows * b->cols != 1 || (c && c->rows * c->cols != 1))
        return matpower_fail(p, line, "a range a:b (or a:step:b) needs numbers"), NULL;
    double lo = a->v[0], step = c ? b->v[0] : 1, hi = c ? c->v[0] : b->v[0];
    double span = step != 0 ? floor((hi - lo) / step + 1e-10) : -1;
    if (!(span < 1e8))
        return matpower_fail(p, line, "the range %g:%g:%g is too long", lo, step, hi), NULL;
    int32_t n = span >= 0 ? (int32_t)span + 1 : 0;
    Val *v = matpower_val_new(p, 1, n);
    for (int32_t i = 0; v && i < n; i++)
        v->v[i] = lo + i * step;
    return v;
}

/* level 0 ||, 1 &&, 2 |, 3 &, 4 comparisons */
static Val *parse_logic(P *p, int level, bool in_matrix)
{
    static const char *ops[5][6] = {{"||"}, {"&&"}, {"|"}, {"&"}, {"<", ">", "<=", ">=", "==", "~="}};
    static const char codes[5][6] = {{'|'}, {'&'}, {'|'}, {'&'}, {'<', '>', 'l', 'g', 'e', 'n'}};
    Val *a = level == 4 ? parse_range(p, in_matrix) : parse_logic(p, level + 1, in_matrix);
    for (;;) {
        int k = 0;
        while (k < 6 && ops[level][k] && !is_op(peek(p), ops[level][k]))
            k++;
        if (!a || k == 6 || !ops[level][k])
            return a;
        int line = peek(p)->line;
        p->pos++;
        Val *b = level == 4 ? parse_range(p, in_matrix) : parse_logic(p, level + 1, in_matrix);
        if (!b)
            return NULL;
        if (level < 2 && (a->rows * a->cols != 1 || b->rows * b->cols != 1))
            return matpower_fail(p, line, "'%s' needs single values on both sides; use '%c' for element-wise logic",
                                 ops[level][0], ops[level][0][0]),
                   NULL;
        a = broadcast(p, a, b, codes[level][k], line);
    }
}

Val *matpower_parse_expr(P *p)
{
    return parse_logic(p, 0, false);
}

/* { cells } are skipped (names, text): an empty string value. */
static Val *skip_cells(P *p, int line0)
{
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
    Val *v = matpower_val_new(p, 0, 0);
    if (v)
        v->is_str = true;
    return v;
}

typedef struct Rows {
    double *data;
    int32_t *lines;
    size_t total, cap;
    int32_t rows, cols, lcap;
} Rows;

static Val *rows_fail(Rows *m)
{
    free(m->data);
    free(m->lines);
    return NULL;
}

/* Ends the current row of cur elements that started on first_line. */
static bool row_close(P *p, Rows *m, int32_t cur, int first_line)
{
    if (m->cols >= 0 && cur != m->cols)
        return matpower_fail(p, first_line,
                             "this row has %d numbers but the rows above have %d; every row of a matrix needs the "
                             "same number of columns",
                             (int)cur, (int)m->cols);
    m->cols = cur;
    if (!city_array_grow((void **)&m->lines, &m->lcap, m->rows + 1, sizeof *m->lines))
        return matpower_fail(p, first_line, "out of memory");
    m->lines[m->rows++] = first_line;
    return true;
}

static bool row_append(P *p, Rows *m, const Val *e, int line)
{
    size_t n = (size_t)e->rows * (size_t)e->cols;
    if (!city_grow((void **)&m->data, &m->cap, m->total + n, sizeof *m->data))
        return matpower_fail(p, line, "out of memory");
    if (n)
        memcpy(m->data + m->total, e->v, n * sizeof *m->data);
    m->total += n;
    return true;
}

/* [ rows ] of numbers: elements separated by spaces or commas, rows by ';'
 * or new lines; each element a scalar or a row vector. */
static Val *parse_matrix(P *p, char close)
{
    int line0 = p->tok[p->pos - 1].line;
    if (close == '}')
        return skip_cells(p, line0);
    Rows m = {.cols = -1};
    int32_t cur = 0;
    int first_line = 0;
    for (;;) {
        Tok *t = peek(p);
        if (t->kind == T_EOF) {
            matpower_fail(p, line0, "'[' is never closed; add ']'");
            return rows_fail(&m);
        }
        if (is_op(t, "]") || t->kind == T_ROW) {
            if (cur > 0 && !row_close(p, &m, cur, first_line))
                return rows_fail(&m);
            cur = 0;
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
        Val *e = parse_logic(p, 0, true);
        if (!e)
            return rows_fail(&m);
        if (e->is_str)
            continue; /* text inside a numeric matrix (rare): ignored */
        if (e->rows > 1) {
            matpower_fail(p, t->line, "nested matrices with several rows are not supported");
            return rows_fail(&m);
        }
        if (!row_append(p, &m, e, t->line))
            return rows_fail(&m);
        cur += e->rows * e->cols;
    }
    Val *v = matpower_val_new(p, m.rows, m.cols < 0 ? 0 : m.cols);
    if (!v)
        return rows_fail(&m);
    if (m.total)
        memcpy(v->v, m.data, m.total * sizeof *m.data);
    v->row_line = m.lines;
    free(m.data);
    return v;
}
