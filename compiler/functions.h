/*
 * functions.h - the function table of stdlib/functions.def, as the compiler
 * sees it: each row with its signature parsed into parameters.
 */
#ifndef FDL_FUNCTIONS_H
#define FDL_FUNCTIONS_H

#include "ast.h"

/* Flags of a row (see functions.def). */
enum {
    FN_STRICT = 1,       /* a null argument gives null */
    FN_QUERY_TIME = 2,   /* takes the query time first */
    FN_SCRATCH = 4,      /* takes the store first, for a string result */
};

/* What a parameter or result accepts beyond one concrete type. */
typedef enum stdlib_class {
    CLASS_TYPE,          /* exactly .type (float64 also takes int64) */
    CLASS_NUMBER,        /* int64 or float64, shared by the call's number parameters */
    CLASS_SHARED,        /* T: any non-vector type, shared by the call's T parameters */
    CLASS_ANY,           /* any non-vector type */
} stdlib_class;

typedef struct stdlib_param {
    const char *name;
    stdlib_class class;
    type_kind type;      /* CLASS_TYPE */
    bool optional;       /* may be left out (only at the end) */
    bool repeated;       /* zero or more further arguments (only last) */
} stdlib_param;

enum { STDLIB_MAX_PARAMS = 8 };

typedef struct stdlib_function {
    const char *name;
    const char *c_function;
    const char *signature;   /* as written in functions.def */
    int flags;
    const char *doc;
    /* parsed from signature */
    int nparams;
    stdlib_param params[STDLIB_MAX_PARAMS];
    stdlib_param result;
    int min_args;            /* required parameters */
    int max_args;            /* -1: unbounded (a repeated parameter) */
} stdlib_function;

/* Number of functions, and function i (0 <= i < stdlib_count()). */
int stdlib_count(void);
const stdlib_function *stdlib_at(int index);

/* Index of a function by name, or -1. */
int stdlib_find(const char *name);

/* The parameter that argument i of a call binds to (i >= 0, within max_args). */
const stdlib_param *stdlib_param_of(const stdlib_function *f, int argument);

/* "abs(number x) -> number" */
const char *stdlib_describe(arena *a, const stdlib_function *f);

#endif
