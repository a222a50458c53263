/*
 * cc_build.h - runs the C compiler on generated code: DIR/NAME.c (and the
 * NAME_1.c ... of a split program) to DIR/libNAME.so.
 */
#ifndef FDL_CC_BUILD_H
#define FDL_CC_BUILD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Builds DIR/libNAME.so from the program's `nunits` C files with $CC
 * (default cc; several words allowed) against fdlrt.h in include_dir, file
 * k at -O levels[k] (levels NULL: -O2; see cg_source_level). One
 * file is compiled and linked in one step; several are compiled to objects
 * in parallel, one job per online CPU ($FDLC_JOBS when set), then linked.
 * The library is written as a temporary and renamed into place (over a
 * regular file only), so a failed build leaves the old one. Writes the
 * library's path into library; false (with a message on stderr) on failure.
 */
bool cc_build_library(const char *dir, const char *name, int nunits, const int *levels,
                      const char *include_dir, char *library, size_t size);

/* The path of C file `unit` of program NAME in DIR: NAME.c, NAME_1.c, ... */
void cc_unit_path(const char *dir, const char *name, int unit, char *path, size_t size);

#endif
