/*
 * functions.h - the function table of stdlib/functions.def, as the compiler sees it.
 */
#ifndef FDL_FUNCTIONS_H
#define FDL_FUNCTIONS_H

#include "ast.h"

typedef enum stdlib_args { FN_ARGS_NUMBER, FN_ARGS_STRING, FN_ARGS_STRING2 } stdlib_args;
enum { FN_RESULT_SAME = -1 };

typedef struct stdlib_function {
    const char *name;
    const char *c_function;
    int arity;
    stdlib_args args;
    int result;              /* a type_kind, or FN_RESULT_SAME */
    const char *doc;
} stdlib_function;

extern const stdlib_function stdlib_functions[];
extern const int stdlib_count;

/* Index of a function by name, or -1. */
int stdlib_find(const char *name);

#endif
