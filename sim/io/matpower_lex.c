/* MATPOWER case reader, part one: the tokenizer. Comments (`%`, `#`,
 * `%{ ... %}` blocks), `...` continuations, strings and transposes,
 * numbers (scientific notation, Fortran `d` exponents), and the meaning of
 * newlines and `;` (row separators inside brackets, statement ends outside). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matpower_internal.h"

bool matpower_fail(P *p, int line, const char *fmt, ...)
{
    if (p->failed)
        return false;
    p->failed = true;
    int n = snprintf(p->err, p->err_len, "%s:%d: ", p->path, line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->err_len)
        vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static bool push_tok(P *p, Tok t)
{
    if (p->n_tok == p->cap_tok) {
        int32_t cap = p->cap_tok ? p->cap_tok * 2 : 1024;
        Tok *q = realloc(p->tok, (size_t)cap * sizeof *q);
        if (!q)
            return matpower_fail(p, t.line, "out of memory reading the case");
        p->tok = q;
        p->cap_tok = cap;
    }
    p->tok[p->n_tok++] = t;
    return true;
}

bool matpower_lex(P *p, const char *s, size_t len)
{
    int line = 1, depth = 0; /* depth of [] and {} */
    int open_line = 0;       /* where the outermost bracket opened */
    int paren = 0;
    size_t i = 0;
    bool space = true;
    if (len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
        i = 3; /* a UTF-8 byte-order mark */
    while (i < len) {
        char c = s[i];
        Tok t = {0};
        t.line = line;
        t.space = space;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            space = true;
            continue;
        }
        if (c == '%' || c == '#') {
            /* block comment %{ ... %} on lines of their own */
            bool block = c == '%' && i + 1 < len && s[i + 1] == '{';
            if (block) {
                size_t k = i + 2;
                while (k < len && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
                    k++;
                block = k >= len || s[k] == '\n';
            }
            if (block) {
                int start = line;
                while (i < len) {
                    if (s[i] == '\n') {
                        line++;
                        size_t k = i + 1;
                        while (k < len && (s[k] == ' ' || s[k] == '\t'))
                            k++;
                        if (k + 1 < len && s[k] == '%' && s[k + 1] == '}') {
                            i = k + 2;
                            break;
                        }
                    }
                    i++;
                }
                if (i >= len)
                    return matpower_fail(p, start, "block comment '%%{' is never closed; add a line with '%%}'");
                continue;
            }
            while (i < len && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '.' && i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.') {
            /* continuation: the rest of the line is ignored, the newline too */
            while (i < len && s[i] != '\n')
                i++;
            if (i < len) {
                i++;
                line++;
            }
            space = true;
            continue;
        }
        space = false;
        if (c == '\n' || c == ';' || (c == ',' && depth == 0 && paren == 0)) {
            t.kind = depth > 0 ? T_ROW : T_END;
            if (c == ',' && depth > 0)
                t.kind = T_OP;
            if (c == '\n')
                line++;
            i++;
            space = true;
            if (t.kind == T_OP)
                snprintf(t.text, sizeof t.text, ",");
            if (!push_tok(p, t))
                return false;
            continue;
        }
        if (isdigit((unsigned char)c) || (c == '.' && i + 1 < len && isdigit((unsigned char)s[i + 1]))) {
            char buf[128];
            size_t k = 0;
            while (i < len && k + 1 < sizeof buf &&
                   (isdigit((unsigned char)s[i]) || s[i] == '.' ||
                    ((s[i] == 'e' || s[i] == 'E' || s[i] == 'd' || s[i] == 'D') && i + 1 < len &&
                     (isdigit((unsigned char)s[i + 1]) ||
                      ((s[i + 1] == '+' || s[i + 1] == '-') && i + 2 < len && isdigit((unsigned char)s[i + 2])))) ||
                    ((s[i] == '+' || s[i] == '-') && k > 0 && (buf[k - 1] == 'e' || buf[k - 1] == 'E')))) {
                /* stop before an operator like .* or ./ or .^ */
                if (s[i] == '.' && i + 1 < len &&
                    (s[i + 1] == '*' || s[i + 1] == '/' || s[i + 1] == '^' || s[i + 1] == '\''))
                    break;
                buf[k++] = (s[i] == 'd' || s[i] == 'D') ? 'e' : s[i];
                i++;
            }
            buf[k] = '\0';
            char *end;
            errno = 0;
            t.kind = T_NUM;
            t.num = strtod(buf, &end);
            if (*end || errno == ERANGE)
                return matpower_fail(p, line, "'%s' is not a number; write numbers like 12, -0.5 or 1.2e-3", buf);
            if (i < len && (isalpha((unsigned char)s[i]) || s[i] == '_'))
                return matpower_fail(p, line, "'%s%c...' is not a number; separate numbers with spaces, tabs or commas",
                                     buf, s[i]);
            if (!push_tok(p, t))
                return false;
            continue;
        }
        if (isalpha((unsigned char)c) || c == '_') {
            size_t k = 0;
            while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_')) {
                if (k + 1 < sizeof t.text)
                    t.text[k++] = s[i];
                i++;
            }
            t.text[k] = '\0';
            t.kind = T_ID;
            if (!push_tok(p, t))
                return false;
            continue;
        }
        if (c == '\'' || c == '"') {
            const Tok *prev = p->n_tok ? &p->tok[p->n_tok - 1] : NULL;
            bool transpose = c == '\'' && prev && !t.space &&
                             (prev->kind == T_ID || prev->kind == T_NUM ||
                              (prev->kind == T_OP &&
                               (!strcmp(prev->text, ")") || !strcmp(prev->text, "]") || !strcmp(prev->text, "'"))));
            if (!transpose) {
                i++;
                while (i < len && s[i] != '\n') {
                    if (s[i] == c) {
                        if (i + 1 < len && s[i + 1] == c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i++;
                }
                if (i >= len || s[i] != c)
                    return matpower_fail(
                        p, line, "a string opened with %c is not closed on the same line; close it with %c", c, c);
                i++;
                t.kind = T_STR;
                if (!push_tok(p, t))
                    return false;
                continue;
            }
        }
        /* operators */
        static const char *ops2[] = {".*", "./", ".^", ".'", "==", "~=", "<=", ">=", "&&", "||"};
        t.kind = T_OP;
        size_t olen = 1;
        for (size_t k = 0; k < sizeof ops2 / sizeof ops2[0]; k++)
            if (i + 1 < len && s[i] == ops2[k][0] && s[i + 1] == ops2[k][1])
                olen = 2;
        if (olen == 1 && !strchr("[](){}=+-*/^:.,'<>&|~\\", c))
            return matpower_fail(p, line,
                                 "unexpected character '%c' (code %d); case files hold numbers, names and MATLAB "
                                 "punctuation only",
                                 isprint((unsigned char)c) ? c : '?', (int)(unsigned char)c);
        memcpy(t.text, s + i, olen);
        t.text[olen] = '\0';
        i += olen;
        if (c == '[' || c == '{') {
            if (depth == 0)
                open_line = line;
            depth++;
        } else if ((c == ']' || c == '}') && depth > 0)
            depth--;
        else if (c == '(')
            paren++;
        else if (c == ')' && paren > 0)
            paren--;
        if (!push_tok(p, t))
            return false;
    }
    if (depth > 0)
        return matpower_fail(p, open_line,
                             "this '[' (or '{') is never closed; add the matching ']' (or '}') after the last row");
    Tok e = {0};
    e.kind = T_END;
    e.line = line;
    Tok eof = {0};
    eof.kind = T_EOF;
    eof.line = line;
    return push_tok(p, e) && push_tok(p, eof);
}
