/* Private to the MATPOWER reader: tokens and the parser state shared by
 * matpower_lex.c (tokenizer) and matpower.c (evaluator and statements). */
#ifndef MATPOWER_INTERNAL_H
#define MATPOWER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    T_EOF = 0,
    T_NUM, /* number */
    T_ID,  /* identifier */
    T_STR, /* quoted string */
    T_END, /* end of statement: newline, ';' or ',' outside brackets */
    T_ROW, /* row separator inside brackets: newline or ';' */
    T_OP   /* punctuation: text holds it */
};

typedef struct Tok {
    int kind;
    int line;
    bool space; /* whitespace right before it */
    double num;
    char text[64]; /* identifier or operator; strings are not kept */
} Tok;

typedef struct Val {
    int32_t rows, cols;
    double *v;
    int32_t *row_line; /* matrix literals only */
    bool is_str;
} Val;

typedef struct Var {
    char name[64];
    Val val;
} Var;

typedef struct P {
    const char *path;
    Tok *tok;
    int32_t n_tok, cap_tok, pos;
    char *err;
    size_t err_len;
    bool failed;
    Var *vars;
    int32_t n_vars, cap_vars;
    char root[64];    /* the output variable name ("mpc") */
    double end_value; /* value of `end` inside an index */
    Val **temps;      /* values to free at the end of the statement */
    int32_t n_temps, cap_temps;
    int base_line;
} P;

/* Records "path:line: message" once (the first error wins); returns false. */
bool matpower_fail(P *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Splits the text into tokens; false (with the error set) on bad input. */
bool matpower_lex(P *p, const char *s, size_t len);

#endif
