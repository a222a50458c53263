/*
 * functions.c - the function table, expanded from stdlib/functions.def.
 */
#include "functions.h"

#include <string.h>

const stdlib_function stdlib_functions[] = {
#define FDL_FUNCTION(name, c_function, arity, args, result, doc) \
    {#name, #c_function, arity, args, result, doc},
#include "functions.def"
#undef FDL_FUNCTION
};

const int stdlib_count = (int)(sizeof stdlib_functions / sizeof stdlib_functions[0]);

int stdlib_find(const char *name)
{
    for (int i = 0; i < stdlib_count; i++)
        if (strcmp(stdlib_functions[i].name, name) == 0)
            return i;
    return -1;
}
