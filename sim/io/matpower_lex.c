/* MATPOWER case reader: the tokenizer. Comments (`%`, `#`, `%{ ... %}`
 * blocks), `...` continuations, strings and transposes, numbers
 * (scientific notation, Fortran `d` exponents), and the meaning of
 * newlines and `;` (row separators inside brackets, statement ends
 * outside). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "matpower_internal.h"

bool matpower_fail(P *p, int line, const char *fmt, ...)
{
    if (p->failed)
        return false;
    p->failed = true;
    char what[CITY_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    city_error_set(p->err, CITY_ERR_PARSE, "%s:%d: %s", p->path, line, what);
    return false;
}

/* The tokenizer's position in the text. */
typedef struct Lex {
    P *p;
    const char *s;
    size_t len, i;
    int line;
    int depth;     /* of [] and {} */
    int open_line; /* where the outermost bracket opened */
    int paren;     /* depth of () */
    bool space;    /* whitespace since the last token */
} Lex;

static bool push_tok(P *p, Tok t)
{
    if (!city_array_grow((void **)&p->tok, &p->cap_tok, p->n_tok + 1, sizeof *p->tok))
        return matpower_fail(p, t.line, "out of memory reading the case");
    p->tok[p->n_tok++] = t;
    return true;
}

/* At '%' or '#': skips a line comment, or a %{ ... %} block on lines of their own. */
static bool lex_comment(Lex *x)
{
    const char *s = x->s;
    size_t len = x->len, i = x->i;
    bool block = s[i] == '%' && i + 1 < len && s[i + 1] == '{';
    if (block) {
        size_t k = i + 2;
        while (k < len && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
            k++;
        block = k >= len || s[k] == '\n';
    }
    if (!block) {
        while (x->i < len && s[x->i] != '\n')
            x->i++;
        return true;
    }
    int start = x->line;
    for (; i < len; i++) {
        if (s[i] != '\n')
            continue;
        x->line++;
        size_t k = i + 1;
        while (k < len && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k + 1 < len && s[k] == '%' && s[k + 1] == '}') {
            x->i = k + 2;
            return true;
        }
    }
    return matpower_fail(x->p, start, "block comment '%%{' is never closed; add a line with '%%}'");
}

static bool number_char(const char *s, size_t len, size_t i, const char *buf, size_t k)
{
    char c = s[i];
    if (isdigit((unsigned char)c))
        return true;
    if (c == '.') /* but not the start of .* ./ .^ .' */
        return !(i + 1 < len && (s[i + 1] == '*' || s[i + 1] == '/' || s[i + 1] == '^' || s[i + 1] == '\''));
    if (c == 'e' || c == 'E' || c == 'd' || c == 'D')
        return i + 1 < len && (isdigit((unsigned char)s[i + 1]) || ((s[i + 1] == '+' || s[i + 1] == '-') &&
                                                                    i + 2 < len && isdigit((unsigned char)s[i + 2])));
    return (c == '+' || c == '-') && k > 0 && (buf[k - 1] == 'e' || buf[k - 1] == 'E');
}

static bool lex_number(Lex *x, Tok t)
{
    char buf[128];
    size_t k = 0;
    while (x->i < x->len && k + 1 < sizeof buf && number_char(x->s, x->len, x->i, buf, k)) {
        char c = x->s[x->i++];
        buf[k++] = (c == 'd' || c == 'D') ? 'e' : c;
    }
    buf[k] = '\0';
    char *end;
    errno = 0;
    t.kind = T_NUM;
    t.num = strtod(buf, &end);
    if (*end || errno == ERANGE)
        return matpower_fail(x->p, x->line, "'%s' is not a number; write numbers like 12, -0.5 or 1.2e-3", buf);
    if (x->i < x->len && (isalpha((unsigned char)x->s[x->i]) || x->s[x->i] == '_'))
        return matpower_fail(x->p, x->line, "'%s%c...' is not a number; separate numbers with spaces, tabs or commas",
                             buf, x->s[x->i]);
    return push_tok(x->p, t);
}

static bool lex_word(Lex *x, Tok t)
{
    size_t k = 0;
    while (x->i < x->len && (isalnum((unsigned char)x->s[x->i]) || x->s[x->i] == '_')) {
        if (k + 1 < sizeof t.text)
            t.text[k++] = x->s[x->i];
        x->i++;
    }
    t.text[k] = '\0';
    t.kind = T_ID;
    return push_tok(x->p, t);
}

/* A quote after a value with no space is a transpose, otherwise a string. */
static bool is_transpose(const Lex *x, const Tok *t)
{
    const P *p = x->p;
    const Tok *prev = p->n_tok ? &p->tok[p->n_tok - 1] : NULL;
    return x->s[x->i] == '\'' && prev && !t->space &&
           (prev->kind == T_ID || prev->kind == T_NUM ||
            (prev->kind == T_OP && (!strcmp(prev->text, ")") || !strcmp(prev->text, "]") || !strcmp(prev->text, "'"))));
}

static bool lex_string(Lex *x, Tok t)
{
    const char *s = x->s;
    char q = s[x->i++];
    while (x->i < x->len && s[x->i] != '\n') {
        if (s[x->i] == q) {
            if (x->i + 1 < x->len && s[x->i + 1] == q) { /* '' inside '...' */
                x->i += 2;
                continue;
            }
            break;
        }
        x->i++;
    }
    if (x->i >= x->len || s[x->i] != q)
        return matpower_fail(x->p, x->line, "a string opened with %c is not closed on the same line; close it with %c",
                             q, q);
    x->i++;
    t.kind = T_STR;
    return push_tok(x->p, t);
}

static bool lex_op(Lex *x, Tok t)
{
    static const char *ops2[] = {".*", "./", ".^", ".'", "==", "~=", "<=", ">=", "&&", "||"};
    const char *s = x->s;
    size_t i = x->i;
    char c = s[i];
    size_t olen = 1;
    for (size_t k = 0; k < sizeof ops2 / sizeof ops2[0]; k++)
        if (i + 1 < x->len && c == ops2[k][0] && s[i + 1] == ops2[k][1])
            olen = 2;
    if (olen == 1 && !strchr("[](){}=+-*/^:.,'<>&|~\\", c))
        return matpower_fail(x->p, x->line,
                             "unexpected character '%c' (code %d); case files hold numbers, names and MATLAB "
                             "punctuation only",
                             isprint((unsigned char)c) ? c : '?', (int)(unsigned char)c);
    t.kind = T_OP;
    memcpy(t.text, s + i, olen);
    t.text[olen] = '\0';
    x->i += olen;
    if (c == '[' || c == '{') {
        if (x->depth == 0)
            x->open_line = x->line;
        x->depth++;
    } else if ((c == ']' || c == '}') && x->depth > 0) {
        x->depth--;
    } else if (c == '(') {
        x->paren++;
    } else if (c == ')' && x->paren > 0) {
        x->paren--;
    }
    return push_tok(x->p, t);
}

/* Newline, ';' or ',': a row or statement end, or an element separator. */
static bool lex_separator(Lex *x, Tok t)
{
    char c = x->s[x->i++];
    t.kind = x->depth > 0 ? T_ROW : T_END;
    if (c == ',' && x->depth > 0) {
        t.kind = T_OP;
        snprintf(t.text, sizeof t.text, ",");
    }
    if (c == '\n')
        x->line++;
    x->space = true;
    return push_tok(x->p, t);
}

static bool lex_one(Lex *x)
{
    const char *s = x->s;
    char c = s[x->i];
    Tok t = {.line = x->line, .space = x->space};
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        x->i++;
        x->space = true;
        return true;
    }
    if (c == '%' || c == '#')
        return lex_comment(x);
    if (c == '.' && x->i + 2 < x->len && s[x->i + 1] == '.' && s[x->i + 2] == '.') {
        /* continuation: the rest of the line is ignored, the newline too */
        while (x->i < x->len && s[x->i] != '\n')
            x->i++;
        if (x->i < x->len) {
            x->i++;
            x->line++;
        }
        x->space = true;
        return true;
    }
    x->space = false;
    if (c == '\n' || c == ';' || (c == ',' && x->depth == 0 && x->paren == 0))
        return lex_separator(x, t);
    if (isdigit((unsigned char)c) || (c == '.' && x->i + 1 < x->len && isdigit((unsigned char)s[x->i + 1])))
        return lex_number(x, t);
    if (isalpha((unsigned char)c) || c == '_')
        return lex_word(x, t);
    if ((c == '\'' || c == '"') && !is_transpose(x, &t))
        return lex_string(x, t);
    return lex_op(x, t);
}

bool matpower_lex(P *p, const char *s, size_t len)
{
    Lex x = {.p = p, .s = s, .len = len, .line = 1, .space = true};
    if (len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
        x.i = 3; /* a UTF-8 byte-order mark */
    while (x.i < len)
        if (!lex_one(&x))
            return false;
    if (x.depth > 0)
        return matpower_fail(p, x.open_line,
                             "this '[' (or '{') is never closed; add the matching ']' (or '}') after the last row");
    Tok e = {.kind = T_END, .line = x.line};
    Tok eof = {.kind = T_EOF, .line = x.line};
    return push_tok(p, e) && push_tok(p, eof);
}
