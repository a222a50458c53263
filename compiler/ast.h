/*
 * ast.h - the abstract syntax tree shared by every front end.
 *
 * The YAML front end (front_yaml.c) and the expression grammar
 * (grammar/expr.y) build these nodes; semantic analysis (sema.c) annotates
 * expressions with types and resolved references, then lowers the whole
 * program to IR (ir.h). Every node carries a span so that any stage can
 * point at the exact text a problem comes from.
 */
#ifndef FDL_AST_H
#define FDL_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "source.h"

/* Value types of the language. */
typedef enum type_kind {
    TYPE_ERROR,      /* an earlier error; suppresses follow-on errors */
    TYPE_NULL,       /* the type of the literal null; converts to any type */
    TYPE_INT64,
    TYPE_FLOAT64,
    TYPE_BOOL,
    TYPE_STRING,
    TYPE_TIMESTAMP,
    TYPE_VECTOR,     /* float64_vector; dimension in type.dim */
} type_kind;

typedef struct ast_type {
    type_kind kind;
    int32_t dim;     /* TYPE_VECTOR: dimension, 0 = unknown */
} ast_type;

/* Spelling in the language ("int64", "float64_vector", ...). */
const char *type_name(type_kind kind);
/* Parses a type spelling; returns false when it is not a type name. */
bool type_parse(const char *text, type_kind *out);

typedef enum expr_kind {
    EXPR_INT,        /* as.int_value */
    EXPR_FLOAT,      /* as.float_value */
    EXPR_STRING,     /* as.string: decoded bytes (may contain NUL) */
    EXPR_BOOL,       /* as.bool_value */
    EXPR_NULL,       /* no payload */
    EXPR_NAME,       /* as.name: field or qualified name (a or a.b) */
    EXPR_UNARY,      /* as.unary: - + not */
    EXPR_BINARY,     /* as.binary: arithmetic, comparison, and/or */
    EXPR_IN,         /* as.in: operand [not] in (list) */
    EXPR_IS_NULL,    /* as.is_null: operand is [not] null */
    EXPR_CALL,       /* as.call: function(args) */
} expr_kind;

typedef enum expr_op {
    OP_NEG, OP_PLUS, OP_NOT,                          /* unary */
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,           /* arithmetic */
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,         /* comparison */
    OP_AND, OP_OR,                                    /* logic (three-valued) */
} expr_op;

/* Spelling of an operator for diagnostics and generated comments. */
const char *expr_op_name(expr_op op);

typedef struct expr expr;

typedef struct expr_list {
    expr **items;
    int count;
} expr_list;

struct expr {
    expr_kind kind;
    span span;       /* the whole expression */
    ast_type type;   /* set by sema; TYPE_ERROR before */
    union {
        int64_t int_value;
        double float_value;
        bool bool_value;
        struct { const char *bytes; int32_t len; } string;
        struct {
            const char *qualifier;   /* NULL unless written qualifier.name */
            const char *name;
            int32_t ref;             /* set by sema: index of the field, feature or request field */
            bool is_request;         /* set by sema: request.NAME */
        } name;
        struct { expr_op op; expr *operand; } unary;
        struct { expr_op op; expr *left, *right; } binary;
        struct { expr *operand; expr_list list; bool negated; } in;
        struct { expr *operand; bool negated; } is_null;
        struct {
            const char *name;
            span name_span;
            expr_list args;
            int32_t function;        /* set by sema: index in the stdlib table */
            bool *widen;             /* set by sema: argument i is int64, passed as float64 */
        } call;
    } as;
};

/* A name written in a definition file, with where it was written. */
typedef struct ast_name {
    const char *text;   /* NULL when absent */
    span span;
} ast_name;

typedef struct ast_entity {
    span span;
    ast_name name;
    ast_name join_key;           /* the first of join_keys */
    type_kind key_type;          /* the first of key_types */
    span key_type_span;
    /* join_key: K (one column) or join_keys: [A, B] (a composite key); each
     * column's type from key_type (all) or key_types (one each), string by
     * default. */
    ast_name *join_keys;
    type_kind *key_types;
    int nkeys;
    const char *description;
} ast_entity;

/* A literal as written (range bounds, in lists, impute values); sema reads
 * it as the type of the field it applies to. */
typedef struct ast_value {
    const char *text;
    size_t length;
    span span;
    bool is_null;                /* null, ~ or nothing */
} ast_value;

/* What a source expectation checks (docs/language.md, "Expectations"). */
typedef enum expectation_kind {
    EXPECT_NOT_NULL,             /* field */
    EXPECT_RANGE,                /* field: values[0..1] (either may be null) */
    EXPECT_IN,                   /* field: values */
    EXPECT_MATCHES,              /* field (string): values[0] is the pattern */
    EXPECT_MAX_FUTURE,           /* field (timestamp): seconds */
    EXPECT_ORDERED,              /* field (timestamp): arrival order */
    EXPECT_MAX_GAP,              /* field (timestamp): seconds */
    EXPECT_EXISTS_IN,            /* field: target (SOURCE.FIELD or EMBEDDING) */
    EXPECT_MEAN,                 /* statistical, field: values[0..1] */
    EXPECT_STDDEV,               /* statistical, field: values[0..1] */
    EXPECT_NULL_RATIO,           /* statistical, field: values[0] is the maximum */
    EXPECT_DISTINCT,             /* statistical, field: values[0..1] */
    EXPECT_EXPR,                 /* source: a bool expression over the row */
    EXPECT_UNIQUE,               /* source: fields */
    EXPECT_KIND_COUNT
} expectation_kind;

/* Spelling of an expectation kind ("not_null", "range", ...). */
const char *expectation_kind_name(expectation_kind kind);
bool expectation_kind_parse(const char *text, expectation_kind *out);
/* Statistical expectations hold over many rows, not one. */
bool expectation_is_statistical(expectation_kind kind);

typedef enum policy_kind {
    POLICY_DEFAULT,              /* not written: fail */
    POLICY_FAIL,                 /* stop the run (batch) / reject the event (serving) */
    POLICY_DROP,                 /* the row goes to quarantine */
    POLICY_CLAMP,                /* cap into range */
    POLICY_FLAG,                 /* keep, counted */
    POLICY_IMPUTE,               /* replace the value */
} policy_kind;

const char *policy_kind_name(policy_kind kind);

/* A policy as written: `policy: drop` or `policy: {impute: 0}`. */
typedef struct ast_policy {
    policy_kind kind;
    span span;
    ast_value impute;            /* POLICY_IMPUTE */
} ast_policy;

typedef struct ast_expectation {
    expectation_kind kind;
    span span;                   /* the whole expectation */
    span argument_span;          /* its argument */
    ast_value *values;           /* range, in, matches, statistical bounds */
    int nvalues;
    int64_t seconds;             /* max_future, max_gap */
    expr *expr;                  /* EXPECT_EXPR; NULL if it did not parse */
    ast_name *fields;            /* EXPECT_UNIQUE */
    int nfields;
    ast_name target;             /* exists_in: a source or an embedding */
    ast_name target_field;       /* exists_in SOURCE.FIELD; text NULL for an embedding */
    ast_policy policy;
} ast_expectation;

typedef struct ast_field {
    ast_name name;
    type_kind type;
    span type_span;
    ast_expectation *expects;    /* source fields only */
    int nexpects;
    ast_policy on_invalid;       /* a value that does not parse as the type */
} ast_field;

/* A source's service levels, checked over a whole batch run. */
typedef struct ast_null_limit {
    ast_name field;
    double max_ratio;
    span span;
} ast_null_limit;

typedef struct ast_sla {
    bool written;
    span span;
    bool has_pass_rate;          /* rows with no violation / rows read */
    double pass_rate;
    span pass_rate_span;
    bool has_min_rows;
    int64_t min_rows;
    span min_rows_span;
    ast_null_limit *max_null_ratio;
    int nmax_null_ratio;
} ast_sla;

typedef struct ast_source {
    span span;
    ast_name name;
    ast_name timestamp;          /* the event-time column */
    ast_field *fields;
    int nfields;
    const char *description;
    ast_expectation *expects;    /* row-level: expr, unique */
    int nexpects;
    ast_sla sla;
    /* retention: DURATION, how long the source's history is kept upstream
     * (documentation and lint W0005, not semantics); has_retention when
     * written and valid, retention_span where it was written. */
    bool has_retention;
    int64_t retention_seconds;
    span retention_span;
    span brace;                  /* .fdl: the '}' after the fields (clauses follow it); YAML: empty */
} ast_source;

typedef struct ast_embedding {
    span span;
    ast_name name;
    ast_name entity;
    int64_t dimension;
    span dimension_span;
    const char *path;            /* resolved against the declaring file's directory */
    span path_span;
    const char *description;
} ast_embedding;

typedef enum feature_kind {
    FEATURE_INVALID,             /* none or several of aggregation/computation/expr */
    FEATURE_AGGREGATION,
    FEATURE_COMPUTATION,
    FEATURE_DERIVED,             /* expr: an expression over other features */
} feature_kind;

typedef struct ast_aggregation {
    ast_name function;
    bool has_k;                  /* k: N (first_k, last_k), valid */
    bool k_written;              /* a k key was present, valid or not */
    int64_t k;
    span k_span;
    bool has_percentile;         /* percentile: P (percentile), valid */
    bool percentile_written;
    double percentile;
    span percentile_span;
    /* percentile: [P, ...] (the list form): has_percentile as for one P,
     * which is then the first; each with where it was written. */
    bool percentile_list;
    double *percentiles;
    span *percentile_spans;
    int npercentiles;
    /* by: FIELD (min_by, max_by): the field whose extreme picks the event. */
    ast_name by;
    bool by_written;             /* a by key was present, valid or not */
    ast_name source;             /* "orders" of "orders.total_amount" */
    ast_name field;              /* "total_amount", or text NULL for a whole source */
    span source_span;            /* the whole SRC or SRC.FIELD scalar */
    bool lifetime;
    int64_t window_seconds;      /* when !lifetime */
    span window_span;
    bool has_window;             /* a valid window was given */
    bool window_written;         /* a window key was present, valid or not */
    bool has_hop;                /* a valid hop was given (hop: 1h, over 30d hop 1h) */
    bool hop_written;            /* a hop was present, valid or not */
    int64_t hop_seconds;
    span hop_span;
    expr *where;                 /* NULL when absent or unparsable */
    span where_span;
    bool where_written;
} ast_aggregation;

typedef struct ast_qualified {
    ast_name entity;             /* "user" of "user.user_embedding" (may be absent) */
    ast_name feature;
    span span;
} ast_qualified;

typedef struct ast_computation {
    ast_name function;
    ast_name model;              /* lookup_embedding */
    int64_t dimension;           /* lookup_embedding; 0 = not given */
    span dimension_span;
    bool dimension_written;
    ast_qualified *args;         /* cosine_similarity */
    int nargs;
    span args_span;
} ast_computation;

typedef struct ast_feature {
    span span;
    ast_name name;
    ast_name *entities;          /* from entity: or entities: */
    int nentities;
    span entities_span;
    const char *description;
    const char **tags;
    int ntags;
    bool has_value_type;
    ast_type value_type;
    span value_type_span;
    bool online_compute;
    feature_kind kind;
    ast_aggregation aggregation;
    ast_computation computation;
    expr *expr;                  /* FEATURE_DERIVED; NULL if it did not parse */
    span expr_span;
    /* default: the value a null result is replaced by, as written; sema
     * reads it as the feature's type. */
    bool has_default;
    const char *default_text;
    size_t default_length;
    span default_span;
} ast_feature;

typedef struct ast_feature_set {
    span span;
    ast_name name;
    ast_name *features;
    int nfeatures;
    const char *description;
    ast_field *request;          /* request-time inputs: request.NAME in expressions */
    int nrequest;
    span request_span;
} ast_feature_set;

/* All definitions of all input files: names are global across files. */
typedef struct ast_program {
    ast_entity *entities;       int nentities, capentities;
    ast_source *sources;        int nsources, capsources;
    ast_embedding *embeddings;  int nembeddings, capembeddings;
    ast_feature *features;      int nfeatures, capfeatures;
    ast_feature_set *sets;      int nsets, capsets;
} ast_program;

expr *expr_new(arena *a, expr_kind kind, span sp);

/*
 * Reads a window as both front ends write it: N followed by s, m, h, d or w,
 * or "lifetime". Fills agg (lifetime or window_seconds, has_window) and
 * reports a malformed, zero or too long window at sp.
 */
void ast_read_window(source_set *sources, span sp, const char *text, ast_aggregation *agg);
/* Reads a duration (N followed by s, m, h, d or w) into seconds; reports a
 * malformed, zero or too long one at sp, naming it what. */
bool ast_read_duration(source_set *sources, span sp, const char *text, const char *what,
                       int64_t *seconds);

/* Reads a hop (hop: 1h, `over 30d hop 1h`): N followed by s, m, h, d or w.
 * Fills hop_seconds and has_hop; reports a malformed, zero or too long hop
 * (sema checks it against the window). */
void ast_read_hop(source_set *sources, span sp, const char *text, ast_aggregation *agg);

/*
 * An embedding path as both front ends keep it: relative to the directory
 * of the declaring file, then made absolute (so a library built here finds
 * the table from anywhere).
 */
const char *ast_resolve_path(arena *a, const char *declaring_file, const char *path);

#endif
