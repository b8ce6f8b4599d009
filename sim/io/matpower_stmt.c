/* MATPOWER case reader: statements. `function mpc = name`, assignments to
 * names and fields (`mpc.bus = [...]`, `Vbase = 12.66e3`), element-wise
 * updates of selected rows and columns (`mpc.bus(:, [PD QD]) = ... / 1e3`),
 * `[PQ, PV, ...] = idx_bus` and `define_constants`, and if / elseif /
 * else / end blocks (the PEGASE cases guard optional changes with them).
 * Loops and other commands are refused with file:line, never skipped. */
#include <stdio.h>
#include <string.h>

#include "matpower_internal.h"

#define peek matpower_peek
#define is_op matpower_is_op

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

static bool is_word(const Tok *t, const char *w)
{
    return t->kind == T_ID && !strcmp(t->text, w);
}

static bool opens_block(const Tok *t)
{
    return is_word(t, "if") || is_word(t, "for") || is_word(t, "parfor") || is_word(t, "while") ||
           is_word(t, "switch") || is_word(t, "try");
}

static bool ends_branch(const Tok *t)
{
    return is_word(t, "elseif") || is_word(t, "else") || is_word(t, "end");
}

/* [A, B, ...] = idx_xxx; */
static bool stmt_idx_list(P *p, int line)
{
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
    int w = matpower_idx_table(fn->text);
    if (w < 0)
        return matpower_fail(p, line, "'%s' is not one of idx_bus, idx_brch, idx_gen, idx_cost", fn->text);
    p->pos += 2;
    return matpower_define_idx(p, w, names, n, line) && expect_end(p);
}

/* name(rows, cols) = expr, element by element */
static bool stmt_update(P *p, const char *name, bool data, int line)
{
    if (!matpower_var_find(p, name)) {
        if (data)
            return matpower_fail(p, line, "%s is changed before it is defined; define it first", name);
        if (strchr(name, '.'))
            return skip_statement(p); /* an ignored field such as mpc.gencost(...) */
        return matpower_fail(p, line, "'%s(...)' is not something a case file may use; remove it", name);
    }
    Val *rsel = NULL, *csel = NULL;
    if (!matpower_parse_index(p, name, line, &rsel, &csel))
        return false;
    if (!is_op(peek(p), "="))
        return matpower_fail(p, line, "expected '=' after %s(...)", name);
    p->pos++;
    Val *v = matpower_parse_expr(p);
    if (!v)
        return false;
    Var *x = matpower_var_find(p, name);
    int32_t nr = rsel->rows * rsel->cols, nc = csel->rows * csel->cols, nv = v->rows * v->cols;
    if (v->is_str || (nv != 1 && nv != nr * nc))
        return matpower_fail(p, line, "the right side has %d values for %d selected elements", (int)nv, (int)(nr * nc));
    for (int32_t i = 0; i < nr; i++)
        for (int32_t j = 0; j < nc; j++)
            x->val.v[(int32_t)(rsel->v[i] - 1) * x->val.cols + (int32_t)(csel->v[j] - 1)] =
                v->v[nv == 1 ? 0 : i * nc + j];
    return expect_end(p);
}

static bool is_data_field(const char *field)
{
    return !strcmp(field, "bus") || !strcmp(field, "gen") || !strcmp(field, "branch") || !strcmp(field, "baseMVA");
}

/* name = expr, name(...) = expr, or a bare name (displays a value). */
static bool stmt_assign(P *p, int line)
{
    char name[256];
    matpower_parse_name(p, name, sizeof name);
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
    if (is_op(peek(p), "(") && !peek(p)->space)
        return stmt_update(p, name, data, line);
    if (!is_op(peek(p), "=")) {
        if (peek(p)->kind == T_END || peek(p)->kind == T_EOF) {
            if (data || matpower_var_find(p, name))
                return skip_statement(p); /* displaying a value */
            return matpower_fail(p, line, "'%s' is a command a case file cannot run; remove it", name);
        }
        return matpower_fail(p, line, "expected '=' after '%s'", name);
    }
    p->pos++;
    Val *v = matpower_parse_expr(p);
    if (!v)
        return false;
    if (dot && !strcmp(dot + 1, "baseMVA"))
        p->base_line = line;
    return matpower_var_set(p, name, v, line) && expect_end(p);
}

static bool if_block(P *p);

static bool statement(P *p)
{
    Tok *t = peek(p);
    int line = t->line;
    if (t->kind == T_END || t->kind == T_ROW) {
        p->pos++;
        return true;
    }
    if (is_word(t, "function")) {
        /* function mpc = name */
        Tok *a = &p->tok[p->pos + 1], *b = &p->tok[p->pos + 2];
        if (a->kind == T_ID && is_op(b, "="))
            snprintf(p->root, sizeof p->root, "%s", a->text);
        return skip_statement(p);
    }
    if (is_word(t, "return") || is_word(t, "end")) /* `end` closing the function */
        return skip_statement(p);
    if (is_word(t, "if"))
        return if_block(p);
    if (opens_block(t) || ends_branch(t))
        return matpower_fail(p, line, "'%s' is not supported in a case file (only if/elseif/else/end blocks are)",
                             t->text);
    if (is_word(t, "define_constants"))
        return matpower_define_constants(p, line) && skip_statement(p);
    if (is_op(t, "["))
        return stmt_idx_list(p, line);
    if (t->kind != T_ID)
        return matpower_fail(p, line, "unexpected '%s' at the start of a statement",
                             t->kind == T_OP ? t->text : "value");
    return stmt_assign(p, line);
}

/* Runs (or, when !run, skips) the statements of one branch of an if block,
 * up to its elseif, else or end, which is left current. */
static bool branch_body(P *p, bool run, int if_line)
{
    int depth = 0;
    for (;;) {
        Tok *t = peek(p);
        if (t->kind == T_EOF)
            return matpower_fail(p, if_line, "this 'if' is never closed; add 'end' after its statements");
        if (depth == 0 && ends_branch(t))
            return true;
        if (run) {
            if (!statement(p))
                return false;
            matpower_temps_free(p);
            continue;
        }
        if (t->kind == T_END || t->kind == T_ROW) {
            p->pos++;
            continue;
        }
        if (opens_block(t))
            depth++;
        else if (is_word(t, "end"))
            depth--;
        if (!skip_statement(p))
            return false;
    }
}

static bool truthy(const Val *v)
{
    int32_t n = v->rows * v->cols;
    for (int32_t i = 0; i < n; i++)
        if (v->v[i] == 0)
            return false;
    return n > 0 && !v->is_str;
}

/* if cond ... [elseif cond ...] [else ...] end: the first branch whose
 * condition holds runs; the others are skipped unread. */
static bool if_block(P *p)
{
    int if_line = peek(p)->line;
    bool taken = false;
    for (;;) {
        Tok *kw = peek(p);
        p->pos++;
        if (is_word(kw, "end"))
            return expect_end(p);
        bool run = false;
        if (is_word(kw, "else")) {
            run = !taken;
        } else if (!taken) { /* if or elseif */
            Val *c = matpower_parse_expr(p);
            if (!c)
                return false;
            run = truthy(c);
        } else {
            while (peek(p)->kind != T_END && peek(p)->kind != T_EOF)
                p->pos++;
        }
        if (is_word(kw, "else") && peek(p)->kind == T_END)
            p->pos++;
        else if (!is_word(kw, "else") && !expect_end(p))
            return false;
        if (!branch_body(p, run, if_line))
            return false;
        taken = taken || run;
        if (is_word(kw, "else") && !is_word(peek(p), "end"))
            return matpower_fail(p, peek(p)->line, "'%s' after 'else'; close the if block with 'end'", peek(p)->text);
    }
}

bool matpower_run(P *p)
{
    while (peek(p)->kind != T_EOF) {
        if (!statement(p))
            return false;
        matpower_temps_free(p);
    }
    return true;
}
