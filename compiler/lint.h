/*
 * lint.h - warnings (W codes) about checked definitions; see lint.c.
 */
#ifndef FDL_LINT_H
#define FDL_LINT_H

#include "ir.h"

/* Warns about a program sema accepted (so every name is resolved). */
void lint_program(source_set *s, arena *a, const ast_program *ast, const ir_program *ir);

#endif
