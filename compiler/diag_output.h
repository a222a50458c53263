/*
 * diag_output.h - the diagnostic options of the command line (--format,
 * --color, -W...), the JSON and SARIF 2.1.0 documents of the diagnostics
 * a run kept, and `fdlc explain`.
 */
#ifndef FDL_DIAG_OUTPUT_H
#define FDL_DIAG_OUTPUT_H

#include <stdio.h>

#include "source.h"

/* 1 when arg is a diagnostic option (and sets it in cfg), 0 when it is not
 * one, -1 when it is one with a bad value (after printing why). */
int diag_option(diag_config *cfg, const char *arg);
/* Applies cfg to a fresh source set, resolving --color=auto against
 * NO_COLOR and whether stderr is a terminal. */
void diag_configure(source_set *s, const diag_config *cfg);
/* Writes the kept diagnostics as the JSON or SARIF document cfg asks for
 * (nothing for text). */
void diag_write_document(const source_set *s, FILE *out);
/* `fdlc explain CODE`: the long text; `fdlc explain` alone lists the codes.
 * Returns the exit status. */
int diag_explain(int argc, char **argv);

#endif
