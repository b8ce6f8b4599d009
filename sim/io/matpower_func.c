/* MATPOWER case reader: the built-in functions case files call, such as
 * sqrt(3) for phase voltages or sin(acos(pf)) for reactive loads from a
 * power factor. Element-wise maths, size/ones/zeros, and find/isinf/...
 * for the guarded blocks of the PEGASE cases. Anything else is refused
 * with file:line. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "matpower_internal.h"

#define MAX_ARGS 3

static const struct {
    const char *name;
    double (*fn)(double);
} unary_fns[] = {
    {"sqrt", sqrt}, {"sin", sin},     {"cos", cos},   {"tan", tan},     {"asin", asin},
    {"acos", acos}, {"atan", atan},   {"exp", exp},   {"log", log},     {"log10", log10},
    {"abs", fabs},  {"floor", floor}, {"ceil", ceil}, {"round", round}, {"fix", trunc},
};

static double is_inf(double x)
{
    return isinf(x) ? 1.0 : 0.0;
}
static double is_nan(double x)
{
    return isnan(x) ? 1.0 : 0.0;
}
static double sign_of(double x)
{
    return x > 0 ? 1.0 : x < 0 ? -1.0 : x;
}

static const struct {
    const char *name;
    double (*fn)(double);
} test_fns[] = {{"isinf", is_inf}, {"isnan", is_nan}, {"sign", sign_of}};

static Val *map(P *p, const Val *a, double (*fn)(double))
{
    Val *o = matpower_val_new(p, a->rows, a->cols);
    for (int32_t i = 0; o && i < a->rows * a->cols; i++)
        o->v[i] = fn(a->v[i]);
    return o;
}

/* size(X, d), ones(r[, c]), zeros(r[, c]) */
static Val *shape_fn(P *p, const char *name, Val **arg, int n, int line)
{
    if (!strcmp(name, "size")) {
        if (n != 2 || arg[1]->rows * arg[1]->cols != 1)
            return matpower_fail(p, line, "use size(X, 1) or size(X, 2)"), NULL;
        return matpower_scalar(p, arg[1]->v[0] == 1 ? arg[0]->rows : arg[0]->cols);
    }
    if (n < 1 || n > 2 || arg[0]->rows * arg[0]->cols != 1 || (n == 2 && arg[1]->rows * arg[1]->cols != 1))
        return matpower_fail(p, line, "%s(...) takes one or two sizes", name), NULL;
    double r = arg[0]->v[0], c = n > 1 ? arg[1]->v[0] : r;
    if (!(r >= 0 && c >= 0 && r * c <= 1e8))
        return matpower_fail(p, line, "%s(%g, %g) is out of range", name, r, c), NULL;
    Val *v = matpower_val_new(p, (int32_t)r, (int32_t)c);
    for (int32_t i = 0; v && i < v->rows * v->cols; i++)
        v->v[i] = name[0] == 'o' ? 1.0 : 0.0;
    return v;
}

/* find, any, all, numel, length of a vector */
static Val *vector_fn(P *p, const char *name, const Val *a, int line)
{
    int32_t n = a->rows * a->cols, nz = 0;
    for (int32_t i = 0; i < n; i++)
        nz += a->v[i] != 0;
    if (!strcmp(name, "numel"))
        return matpower_scalar(p, n);
    if (!strcmp(name, "length"))
        return matpower_scalar(p, n ? (a->rows > a->cols ? a->rows : a->cols) : 0);
    if (a->rows > 1 && a->cols > 1)
        return matpower_fail(p, line, "%s(...) of a %dx%d matrix is not supported; give it a vector", name,
                             (int)a->rows, (int)a->cols),
               NULL;
    if (!strcmp(name, "any"))
        return matpower_scalar(p, nz > 0);
    if (!strcmp(name, "all"))
        return matpower_scalar(p, nz == n);
    /* find: indices of the non-zero elements, a column for a column */
    Val *o = a->rows == 1 ? matpower_val_new(p, 1, nz) : matpower_val_new(p, nz, 1);
    for (int32_t i = 0, k = 0; o && i < n; i++)
        if (a->v[i] != 0)
            o->v[k++] = i + 1;
    return o;
}

static bool known(const char *name)
{
    static const char *others[] = {"size", "ones", "zeros", "find", "any", "all", "numel", "length"};
    for (size_t k = 0; k < sizeof unary_fns / sizeof unary_fns[0]; k++)
        if (!strcmp(name, unary_fns[k].name))
            return true;
    for (size_t k = 0; k < sizeof test_fns / sizeof test_fns[0]; k++)
        if (!strcmp(name, test_fns[k].name))
            return true;
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++)
        if (!strcmp(name, others[k]))
            return true;
    return false;
}

Val *matpower_parse_function(P *p, const char *name, int line)
{
    Val *arg[MAX_ARGS];
    int n = 0;
    if (!known(name))
        return matpower_fail(p, line,
                             "'%s(...)' is not something a case file may use; keep to numbers, mpc fields, "
                             "idx_bus/idx_brch/idx_gen constants and element-wise maths (sqrt, sin, acos, ...)",
                             name),
               NULL;
    p->pos++; /* ( */
    while (!matpower_is_op(matpower_peek(p), ")")) {
        if (n == MAX_ARGS)
            return matpower_fail(p, line, "%s(...) has too many arguments", name), NULL;
        if (!(arg[n++] = matpower_parse_expr(p)))
            return NULL;
        if (arg[n - 1]->is_str)
            return matpower_fail(p, line, "%s(...) takes numbers, not text", name), NULL;
        if (matpower_is_op(matpower_peek(p), ","))
            p->pos++;
        else if (!matpower_is_op(matpower_peek(p), ")"))
            return matpower_fail(p, line, "expected ',' or ')' in %s(...)", name), NULL;
    }
    p->pos++;
    for (size_t k = 0; k < sizeof unary_fns / sizeof unary_fns[0]; k++)
        if (!strcmp(name, unary_fns[k].name))
            return n == 1 ? map(p, arg[0], unary_fns[k].fn)
                          : (matpower_fail(p, line, "%s(...) takes one argument", name), NULL);
    for (size_t k = 0; k < sizeof test_fns / sizeof test_fns[0]; k++)
        if (!strcmp(name, test_fns[k].name))
            return n == 1 ? map(p, arg[0], test_fns[k].fn)
                          : (matpower_fail(p, line, "%s(...) takes one argument", name), NULL);
    if (!strcmp(name, "size") || !strcmp(name, "ones") || !strcmp(name, "zeros"))
        return shape_fn(p, name, arg, n, line);
    return n == 1 ? vector_fn(p, name, arg[0], line)
                  : (matpower_fail(p, line, "%s(...) takes one argument here", name), NULL);
}
