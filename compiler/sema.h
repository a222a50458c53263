/*
 * sema.h - semantic analysis: resolves names, checks types and rules, and
 * lowers a checked ast_program to an ir_program.
 */
#ifndef FDL_SEMA_H
#define FDL_SEMA_H

#include "ast.h"
#include "ir.h"

/* Reports every error found; returns true (and a complete IR with its
 * fingerprint) only when there was none. */
bool sema_check(source_set *sources, arena *a, ast_program *ast, ir_program *ir);

#endif
