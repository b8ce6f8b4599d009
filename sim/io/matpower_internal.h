/* Private to the MATPOWER reader. The reader is a small interpreter for
 * the subset of MATLAB that case files are written in, in five files:
 *   matpower_lex.c    tokens (comments, continuations, strings, numbers)
 *   matpower_value.c  values, variables, the idx_bus/idx_brch/... names
 *   matpower_expr.c   expressions: operators, indexing, matrix literals
 *   matpower_func.c   the built-in functions case files call (sqrt, ...)
 *   matpower_stmt.c   statements: assignments, name lists, if blocks
 * and matpower.c, the public API (city_matpower.h). Every error names
 * file:line through matpower_fail; the first error wins. */
#ifndef MATPOWER_INTERNAL_H
#define MATPOWER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "city_status.h"

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

/* A matrix of doubles, row-major; strings and cells are empty with is_str. */
typedef struct Val {
    int32_t rows, cols;
    double *v;
    int32_t *row_line; /* matrix literals only: source line of each row */
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
    CityError *err; /* where the first error goes (never NULL) */
    bool failed;
    Var *vars;
    int32_t n_vars, cap_vars;
    char root[64];    /* the output variable name ("mpc") */
    double end_value; /* value of `end` inside an index */
    Val **temps;      /* values to free at the end of the statement */
    int32_t n_temps, cap_temps;
    size_t elems_made;  /* numbers the values of this parse have held, in all */
    size_t elems_limit; /* and the most they may (grows with the text: a bound on time and memory) */
    int base_line;
    int depth; /* expressions open inside one another (bounded: the parser recurses) */
} P;

/* matpower_lex.c */
/* Records "path:line: message" as a CITY_ERR_PARSE once (the first error
 * wins); returns false. */
bool matpower_fail(P *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Splits the text into tokens; false (with the error set) on bad input. */
bool matpower_lex(P *p, const char *s, size_t len);

/* matpower_value.c */
/* A temporary rows x cols value of zeros, freed at the end of the statement. */
Val *matpower_val_new(P *p, int32_t rows, int32_t cols);
Val *matpower_scalar(P *p, double x);
void matpower_temps_free(P *p);
Var *matpower_var_find(P *p, const char *name);
/* Stores a copy of v under name (replacing an older value). */
bool matpower_var_set(P *p, const char *name, const Val *v, int line);
/* Index of idx_bus, idx_brch, idx_gen or idx_cost, or -1. */
int matpower_idx_table(const char *fn);
/* [names] = idx_xxx: defines the first n names of table `which`. */
bool matpower_define_idx(P *p, int which, char names[][64], int n, int line);
/* define_constants: every name of every table. */
bool matpower_define_constants(P *p, int line);
void matpower_vars_free(P *p);

/* matpower_expr.c */
Tok *matpower_peek(P *p);
bool matpower_is_op(const Tok *t, const char *op);
/* A variable or field path (x, mpc.bus) into out. */
void matpower_parse_name(P *p, char *out, size_t len);
/* A full expression (comparisons and logic included). */
Val *matpower_parse_expr(P *p);
/* name(rows, cols) of a defined variable: the value, or the two index
 * lists in *rsel and *csel when rsel is not NULL. */
Val *matpower_parse_index(P *p, const char *name, int line, Val **rsel, Val **csel);

/* matpower_func.c */
/* name(args) of a built-in function (the '(' is current); NULL with a
 * file:line error for a function case files may not call. */
Val *matpower_parse_function(P *p, const char *name, int line);

/* matpower_stmt.c */
/* Runs the statements up to the end of the text. */
bool matpower_run(P *p);

#endif
