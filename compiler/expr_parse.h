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

/*
 * Parses a whole .fdl definition file (front_fdl.c's door): the same
 * grammar started in file mode, so that filters and derived expressions
 * are parsed by the expression rules above. Text offsets are file offsets.
 * Each definition is handed to the front end through `definitions` as soon
 * as it is parsed; syntax errors are reported and skipped to the next
 * definition keyword. Returns false if the parser reported any error.
 */
struct fdl_context;
bool expr_parse_definitions(source_set *sources, arena *a, int file, const char *text,
                            size_t len, struct fdl_context *definitions);

/*
 * The expression keyword or literal ("and", "null", "true", ...: lowercase)
 * that name spells in any case, as the scanner reads it; NULL if none. No
 * expression can refer to a thing so named (`NULL` is the null literal), so
 * sema refuses such names.
 */
const char *expr_keyword(const char *name);

/*
 * Test door into the scanner alone (tests/unit/test_scanner.c): one token
 * as expr_parse's grammar would receive it.
 */
typedef struct expr_token {
    const char *kind;       /* the token's name in messages: "integer", "float",
                               "string", "name", a keyword ("and", "null", ...),
                               an operator ("<=", "=", ...), or "error" where the
                               scanner reported a lexical error */
    uint32_t start, end;    /* byte offsets into text: [start, end) */
    span span;              /* the same bytes in the file, through offsets/base */
    expr *literal;          /* integer, float, string: the literal node */
    const char *name;       /* name: as written */
} expr_token;

/*
 * Scans text exactly as expr_parse does, without parsing: the same
 * arguments, the same diagnostics for lexical errors (and for nesting past
 * EXPR_MAX_DEPTH, which ends the scan, as an unterminated string does).
 * Stores the tokens, end of input excluded, in an array from the arena at
 * *tokens and returns how many there are; -1 when the text could not be
 * scanned at all (reported).
 */
int expr_tokenize(source_set *sources, arena *a, int file, uint32_t base,
                  const uint32_t *offsets, const char *text, size_t len, expr_token **tokens);

#endif
