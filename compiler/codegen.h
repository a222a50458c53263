/*
 * codegen.h - the C code generator: a checked program to NAME.h, NAME.c
 * (and, when large, NAME_1.c... with NAME_units.h) and the NAME.json manifest.
 */
#ifndef FDL_CODEGEN_H
#define FDL_CODEGEN_H

#include <stdio.h>

#include "ir.h"

void cg_header(const ir_program *p, const source_set *sources, arena *a, const char *name, FILE *out);
void cg_source(const ir_program *p, const source_set *sources, arena *a, const char *name, FILE *out);
/* How many C files the program's source takes: 1 (NAME.c), or, for a large
 * program, NAME.c and NAME_1.c ... NAME_{n-1}.c sharing the private header
 * NAME_units.h (compiled apart, in parallel, then linked). */
int cg_source_count(const ir_program *p, arena *a);
/* How hard to optimize source file `unit` (-O of cc): 2 for NAME.c (the
 * kernels, ingest and readers: the hot code), less for the files of the
 * features' functions (one-line calls and derived expressions over runtime
 * calls; the compiler's time there is per function). */
int cg_source_level(const ir_program *p, arena *a, int unit);
/* Source file `unit`: 0 is NAME.c (cg_source), k >= 1 NAME_k.c. */
void cg_source_unit(const ir_program *p, const source_set *sources, arena *a, const char *name,
                    int unit, FILE *out);
/* NAME_units.h, for a program of more than one file. */
void cg_units_header(const ir_program *p, const source_set *sources, arena *a, const char *name,
                     FILE *out);
void cg_manifest(const ir_program *p, const char *name, FILE *out);
/* The C identifier used for a definition name as a struct member (one-to-one,
 * never a keyword or macro). Elsewhere names are tagged: see codegen.c. */
const char *cg_ident(arena *a, const char *name);
/* Why `name` (an identifier) cannot be a library's --name, or NULL if it can:
 * the public API is NAME_..., and fdl_ belongs to the runtime. */
const char *cg_library_name_problem(const char *name);

#endif
