/*
 * front_fdl.h - the native front end: .fdl definition files to AST.
 *
 * The syntax is parsed by the same bison grammar as expressions
 * (grammar/expr.y, started in file mode), so `where` filters and derived
 * `expr(...)` bodies go through the very same expression rules. The grammar
 * hands each definition over in the pieces below; front_fdl.c checks them
 * exactly as front_yaml.c checks the YAML keys (names, types, windows,
 * dimensions, paths) and appends the same ast_program declarations, so
 * .fdl and .yaml files can be mixed in one program.
 */
#ifndef FDL_FRONT_FDL_H
#define FDL_FRONT_FDL_H

#include "ast.h"

/* Parses source file `file` and appends its declarations to program.
 * Returns false if any error was reported. */
bool front_fdl_read(source_set *sources, arena *a, int file, ast_program *program);

/* ------------------------------------------------ between grammar and front end */

enum {
    FDL_MAX_SYNTAX_ERRORS = 100,   /* reported per file before the rest of it is skipped */
    FDL_MAX_TOKENS = 1000000,      /* per file, as YAML_MAX_NODES: bounds the AST and sema */
};

typedef struct fdl_context {
    source_set *sources;
    arena *arena;
    int file;
    ast_program *program;
    const char *path;            /* the file as named: embedding paths are relative to it */
} fdl_context;

/* A name list: `of a, b`, a set's features, tags. */
typedef struct fdl_names {
    ast_name *items;
    int count;
} fdl_names;

/* `name: type` lists: a source's fields, a set's request, a composite key. */
typedef struct fdl_fields {
    ast_field *items;
    int count;
} fdl_fields;

/* One argument of FUNCTION(...) in a feature body, as written. */
typedef enum fdl_arg_kind { FDL_ARG_REF, FDL_ARG_NUMBER, FDL_ARG_LIST } fdl_arg_kind;

typedef struct fdl_arg {
    fdl_arg_kind kind;
    span span;                   /* the argument, `where` filter included */
    ast_name qualifier;          /* REF: "orders" of orders.total_amount; text NULL when none */
    ast_name name;               /* REF: the last part */
    span ref_span;               /* REF: the whole NAME or NAME.NAME */
    expr *number;                /* NUMBER: the EXPR_INT or EXPR_FLOAT literal */
    expr **list;                 /* LIST: the items of [a, b, ...] as written (NULL: a syntax error) */
    int nlist;
    bool where_written;
    expr *where;                 /* NULL when absent or unparsable */
    span where_span;
} fdl_arg;

typedef struct fdl_args {
    fdl_arg *items;
    int count;
} fdl_args;

/* `= FUNCTION(ARGS) [over WINDOW]` or `= expr(EXPRESSION)`. */
typedef struct fdl_body {
    bool is_expr;
    expr *expr;                  /* is_expr: NULL after a syntax error inside */
    span expr_span;
    ast_name function;
    fdl_args args;
    span args_span;              /* between the parentheses */
    bool window_written;
    ast_name window;             /* the word after `over`, as written */
    bool hop_written;
    ast_name hop;                /* the word after `hop`, as written */
} fdl_body;

/* The trailing clauses of a feature: description, tags, online, default. */
typedef enum fdl_clause_kind {
    FDL_CLAUSE_DESCRIPTION, FDL_CLAUSE_TAGS, FDL_CLAUSE_ONLINE, FDL_CLAUSE_DEFAULT, FDL_NCLAUSES
} fdl_clause_kind;

typedef struct fdl_clause {
    fdl_clause_kind kind;
    span span;                   /* the whole clause */
    span value_span;             /* the description, the tag list, the default value */
    const char *text;            /* description, default: decoded bytes; NULL = not a value */
    size_t length;
    fdl_names tags;
} fdl_clause;

typedef struct fdl_clauses {
    bool given[FDL_NCLAUSES];
    fdl_clause clause[FDL_NCLAUSES];
} fdl_clauses;

/* List growth in the arena (capacity = count rounded up to a power of two). */
fdl_names fdl_names_append(fdl_context *c, fdl_names list, ast_name item);
fdl_fields fdl_fields_append(fdl_context *c, fdl_fields list, ast_field item);
fdl_args fdl_args_append(fdl_context *c, fdl_args list, fdl_arg item);
/* Adds a clause, reporting a second one of the same kind. */
void fdl_clauses_add(fdl_context *c, fdl_clauses *clauses, const fdl_clause *clause);

/* A NAME token as a name; checks the length limit names have everywhere. */
ast_name fdl_name(fdl_context *c, const char *text, span sp, const char *what);
/* A `name: type` pair; type.text NULL when no type was written (string). */
ast_field fdl_field(fdl_context *c, ast_name name, ast_name type);

/* Complete definitions, appended to the program. */
void fdl_add_entity(fdl_context *c, span whole, ast_name name, fdl_fields keys, span keys_span,
                    bool composite, const char *description);
void fdl_add_source(fdl_context *c, span whole, ast_name name, ast_name timestamp,
                    fdl_fields fields, const char *description);
void fdl_add_embedding(fdl_context *c, span whole, ast_name name, ast_name entity,
                       const expr *dimension, span dimension_span, const expr *path,
                       const char *description);
void fdl_add_feature(fdl_context *c, span whole, ast_name name, fdl_names entities,
                     span entities_span, ast_name value_type, const fdl_body *body,
                     const fdl_clauses *clauses);
void fdl_add_set(fdl_context *c, span whole, ast_name name, fdl_names features,
                 span features_span, bool has_request, fdl_fields request, span request_span,
                 const char *description);

/* A tag written as a string: non-empty, no NUL. */
ast_name fdl_tag(fdl_context *c, const expr *string);
/* A definition with a syntax error after its name: declared with what is
 * known (name; a feature's entities), as front_yaml.c declares a
 * definition with bad keys, so sema resolves references to it quietly. */
typedef enum fdl_broken_kind {
    FDL_BROKEN_ENTITY, FDL_BROKEN_SOURCE, FDL_BROKEN_EMBEDDING, FDL_BROKEN_FEATURE, FDL_BROKEN_SET
} fdl_broken_kind;
void fdl_add_broken(fdl_context *c, fdl_broken_kind kind, span whole, ast_name name,
                    fdl_names entities);

/* A description string: its bytes, or NULL after reporting a NUL inside. */
const char *fdl_description(fdl_context *c, const expr *string);

#endif
