/*
 * codegen.h - the C code generator: a checked program to NAME.h, NAME.c and
 * the NAME.json manifest.
 */
#ifndef FDL_CODEGEN_H
#define FDL_CODEGEN_H

#include <stdio.h>

#include "ir.h"

void cg_header(const ir_program *p, const source_set *sources, arena *a, const char *name, FILE *out);
void cg_source(const ir_program *p, const source_set *sources, arena *a, const char *name, FILE *out);
void cg_manifest(const ir_program *p, const char *name, FILE *out);
/* The C identifier used for a definition name as a struct member (one-to-one,
 * never a keyword or macro). Elsewhere names are tagged: see codegen.c. */
const char *cg_ident(arena *a, const char *name);
/* Why `name` (an identifier) cannot be a library's --name, or NULL if it can:
 * the public API is NAME_..., and fdl_ belongs to the runtime. */
const char *cg_library_name_problem(const char *name);

#endif
