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

/*
 * Expectations, policies and SLAs are written as specs: a head word and
 * the parts after it, e.g. `range [0, 10000] clamp`, `max_future 1h drop`,
 * `max_null_ratio(user_id 0.01)`. The grammar reads any sequence of parts,
 * so that none of the words needs to be reserved; front_fdl.c reads the
 * parts each head takes and reports what does not fit, as front_yaml.c
 * reports a YAML value of the wrong shape.
 */
typedef enum fdl_part_kind {
    FDL_PART_NAME,               /* NAME or NAME.NAME */
    FDL_PART_VALUE,              /* a literal: number, string, true, false, null */
    FDL_PART_LIST,               /* [ PART, ... ] */
    FDL_PART_GROUP,              /* ( SPEC, ... ) */
} fdl_part_kind;

typedef struct fdl_part fdl_part;
typedef struct fdl_spec fdl_spec;

typedef struct fdl_parts {
    fdl_part *items;
    int count;
} fdl_parts;

typedef struct fdl_specs {
    fdl_spec *items;
    int count;
    span span;                   /* between the parentheses */
} fdl_specs;

struct fdl_part {
    fdl_part_kind kind;
    span span;
    ast_name name;               /* NAME: the last (or only) name */
    ast_name qualifier;          /* NAME.NAME: the first; text NULL for one name */
    ast_value value;             /* VALUE: as written (a string's decoded bytes) */
    expr_kind literal;           /* VALUE: EXPR_INT, EXPR_FLOAT, EXPR_STRING, EXPR_BOOL or EXPR_NULL */
    const expr *number;          /* VALUE, a number: its literal (sign apart) */
    bool negative;               /* VALUE, a number: written with a leading '-' */
    fdl_parts items;             /* LIST */
    fdl_specs specs;             /* GROUP */
};

struct fdl_spec {
    span span;                   /* the whole spec */
    ast_name head;               /* the first word ("in" included); text NULL for expr(...) */
    bool is_expr;                /* expr(EXPRESSION) */
    expr *expr;                  /* is_expr: NULL after a syntax error inside */
    span expr_span;
    fdl_parts parts;
};

/* The clauses after a source's fields: description, expect(...), sla(...),
 * retention DURATION. */
typedef enum fdl_source_clause_kind {
    FDL_SOURCE_DESCRIPTION, FDL_SOURCE_EXPECT, FDL_SOURCE_SLA, FDL_SOURCE_RETENTION, FDL_NSOURCE_CLAUSES
} fdl_source_clause_kind;

typedef struct fdl_source_clause {
    int kind;                    /* fdl_source_clause_kind, or -1 for a word that is neither */
    span span;                   /* the whole clause */
    ast_name word;               /* kind -1: the word */
    const char *description;
    ast_expectation *expects;    /* expect(...), read as soon as it is parsed */
    int nexpects;
    ast_sla sla;                 /* sla(...), likewise */
    bool has_retention;          /* retention DURATION, valid */
    int64_t retention_seconds;
    span retention_span;         /* the duration */
} fdl_source_clause;

typedef struct fdl_source_clauses {
    bool unknown_seen;           /* an unknown word was reported: the next ones are not */
    bool given[FDL_NSOURCE_CLAUSES];
    fdl_source_clause clause[FDL_NSOURCE_CLAUSES];
} fdl_source_clauses;

/* List growth in the arena (capacity = count rounded up to a power of two). */
fdl_names fdl_names_append(fdl_context *c, fdl_names list, ast_name item);
fdl_fields fdl_fields_append(fdl_context *c, fdl_fields list, ast_field item);
fdl_args fdl_args_append(fdl_context *c, fdl_args list, fdl_arg item);
fdl_parts fdl_parts_append(fdl_context *c, fdl_parts list, fdl_part item);
fdl_specs fdl_specs_append(fdl_context *c, fdl_specs list, fdl_spec item);
/* Adds a clause, reporting a second one of the same kind. */
void fdl_clauses_add(fdl_context *c, fdl_clauses *clauses, const fdl_clause *clause);

/* A source clause: a description (string given), or WORD(SPECS) / WORD
 * alone (group false), which must be expect or sla. */
fdl_source_clause fdl_source_clause_make(fdl_context *c, span whole, const expr *string, ast_name word,
                                         bool group, fdl_specs specs);
/* WORD N UNIT after a source's fields, which must be retention 90d
 * (number and unit written together). */
fdl_source_clause fdl_source_clause_duration(fdl_context *c, span whole, ast_name word, span number,
                                             ast_name unit);
void fdl_source_clauses_add(fdl_context *c, fdl_source_clauses *clauses,
                            const fdl_source_clause *clause);

/* A literal of a spec as written: its text (a string's decoded bytes),
 * which literal it is, and for a number its node and whether a '-' came
 * before it. */
fdl_part fdl_value_part(fdl_context *c, span whole, const char *text, size_t length,
                        expr_kind literal, const expr *number, bool negative);

/* A NAME token as a name; checks the length limit names have everywhere. */
ast_name fdl_name(fdl_context *c, const char *text, span sp, const char *what);
/* A `name: type` pair; type.text NULL when no type was written (string). */
ast_field fdl_field(fdl_context *c, ast_name name, ast_name type);

/* Complete definitions, appended to the program. */
void fdl_add_entity(fdl_context *c, span whole, ast_name name, fdl_fields keys, span keys_span,
                    bool composite, const char *description);
/* A source field: `name: type` and its parts (on_invalid POLICY, expect(...)). */
ast_field fdl_source_field(fdl_context *c, ast_name name, ast_name type, const fdl_parts *parts);
void fdl_add_source(fdl_context *c, span whole, ast_name name, ast_name timestamp,
                    fdl_fields fields, span brace, const fdl_source_clauses *clauses);
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
