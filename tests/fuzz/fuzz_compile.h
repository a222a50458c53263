/*
 * fuzz_compile.h - one definition file through the whole compiler, for
 * fuzz_yaml.c and fuzz_fdl.c.
 */
#ifndef FDL_FUZZ_COMPILE_H
#define FDL_FUZZ_COMPILE_H

#include <stdbool.h>

#include "fuzz.h"

/* The bytes as a .fdl file (fdl) or a YAML file, front end to codegen. */
void fuzz_compile(const uint8_t *data, size_t size, bool fdl);

#endif
