/*
 * expr_parse.h - the only door into the generated expression parser.
 *
 * Nothing else includes bison's or flex's output (jq's habit).
 */
#ifndef FDL_EXPR_PARSE_H
#define FDL_EXPR_PARSE_H

#include "ast.h"

/*
 * Parses one expression.
 *
 * text/len: the expression as written (already decoded from YAML quoting).
 * offsets:  offsets[i] is the file offset of text[i], for i in 0..len
 *           (offsets[len] is the offset just past the text), so that spans
 *           point into the original file even through YAML escapes.
 *           May be NULL: then text[i] is at file offset base + i.
 * Reports every syntax error found (with recovery) through the source set's
 * diagnostics and returns NULL if there was any; never crashes, whatever the
 * bytes. Nesting deeper than EXPR_MAX_DEPTH is an error, not a stack overflow.
 */
enum { EXPR_MAX_DEPTH = 200 };

expr *expr_parse(source_set *sources, arena *a, int file, uint32_t base,
                 const uint32_t *offsets, const char *text, size_t len);

#endif
