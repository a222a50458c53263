/*
 * format.h - printing definitions back out: canonical .fdl or YAML text of
 * what one file declared (`fdlc fmt`).
 */
#ifndef FDL_FORMAT_H
#define FDL_FORMAT_H

#include <stdio.h>

#include "ast.h"
#include "source.h"

typedef enum format_syntax { FORMAT_FDL, FORMAT_YAML } format_syntax;

/*
 * Prints the definitions of `file` (those whose spans lie in it) in the
 * canonical form of one syntax. Embedding paths are printed relative to the
 * file's directory when they lie below it. Comments are kept (comments.h
 * says where each goes), layout is not; everything the language means is,
 * so formatting again gives the same text and converting there and back
 * gives the same program.
 */
void format_file(FILE *out, const source_set *sources, int file, const ast_program *program,
                 format_syntax syntax);

#endif
