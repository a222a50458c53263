/*
 * ir.h - the checked program: what semantic analysis produces and the code
 * generator consumes.
 *
 * Names are resolved to indexes, types are known, and aggregations are
 * grouped: features that read the same events (same entity, source, where
 * filter and field) share one group, so an event is stored once however
 * many windows and functions read it.
 */
#ifndef FDL_IR_H
#define FDL_IR_H

#include "ast.h"

/* The window aggregations: one per row of stdlib/aggregations.def. */
typedef enum agg_function {
#define FDL_AGGREGATION(name, id, ...) AGG_##id,
#include "aggregations.def"
#undef FDL_AGGREGATION
    AGG_FUNCTION_COUNT
} agg_function;

/* The columns of stdlib/aggregations.def (see there). */
typedef enum agg_param { AGG_PARAM_NONE, AGG_PARAM_K, AGG_PARAM_PERCENTILE, AGG_PARAM_BY } agg_param;
typedef enum agg_values { AGG_VALUES_ANY, AGG_VALUES_NUMBER, AGG_VALUES_SCALAR } agg_values;
typedef enum agg_result_kind {
    AGG_RESULT_INT64, AGG_RESULT_FLOAT64, AGG_RESULT_STRING, AGG_RESULT_VECTOR, AGG_RESULT_VALUE
} agg_result_kind;
enum { AGG_FLAG_HOP = 1, AGG_FLAG_NO_SLIDING = 2 };

typedef struct agg_info {
    const char *name;
    agg_param param;
    agg_values values;
    agg_result_kind result;
    int flags;               /* AGG_FLAG_* */
    const char *no_hop;      /* why hop: is refused; NULL with AGG_FLAG_HOP */
    const char *doc;
} agg_info;

/* The row of an aggregation. */
const agg_info *agg_info_of(agg_function fn);

/* The names, in agg_function order (for suggestions). */
extern const char *const agg_function_names[AGG_FUNCTION_COUNT];

const char *agg_function_name(agg_function fn);
bool agg_function_parse(const char *name, agg_function *out);

typedef struct ir_entity {
    const char *name;
    const char *join_key;    /* join_keys[0] */
    type_kind key_type;      /* key_types[0] */
    const char **join_keys;  /* the key columns: more than one for a composite key */
    type_kind *key_types;
    int nkeys;
    const char *description;
    span span;
} ir_entity;

typedef struct ir_field {
    const char *name;
    type_kind type;
} ir_field;

/* A constant of a known type (a default, a bound, an impute value). */
typedef struct ir_literal {
    type_kind type;          /* TYPE_NULL: null (an open bound) */
    int64_t int_value;       /* int64; timestamp in microseconds */
    double float_value;
    bool bool_value;
    const char *string;      /* string bytes (may hold NUL) */
    int32_t length;
} ir_literal;

/*
 * One check of a source, in the order the generated code runs them: the
 * fields' on_invalid first (one per field), then field expectations, row
 * expr, exists_in, unique, and last the statistical ones (not per row).
 */
typedef struct ir_check {
    bool invalid;            /* on_invalid: kind is unused */
    expectation_kind kind;
    int field;               /* -1 for a row expectation */
    policy_kind policy;      /* never POLICY_DEFAULT */
    ir_literal impute;
    ir_literal *values;      /* range (2, TYPE_NULL = open), in */
    int nvalues;
    const char *pattern;     /* matches */
    int64_t seconds;         /* max_future, max_gap */
    expr *expr;              /* row expr: names are the source's fields */
    int *fields;             /* unique */
    int nfields;
    int reference;           /* exists_in SOURCE.FIELD: index in ir_program.references; else -1 */
    int embedding;           /* exists_in EMBEDDING; else -1 */
    bool has_low, has_high;  /* statistical bounds */
    double low, high;
    const char *text;        /* canonical, e.g. "range [0, 10000]" */
    span span;
} ir_check;

typedef struct ir_source {
    const char *name;
    ir_field *fields;        /* declared fields; the time column is added first if undeclared */
    int nfields;
    int time_field;
    const char *description;
    span span;
    ir_check *checks;        /* nfields on_invalid checks, then the expectations */
    int nchecks;
    bool has_expectations;   /* any written expectation, on_invalid or SLA */
    double sla_pass_rate;    /* < 0: none */
    int64_t sla_min_rows;    /* < 0: none */
    double *sla_max_null_ratio;  /* one per field, < 0: none; NULL when no such SLA */
    /* retention: how long history is kept upstream, in seconds; 0: not
     * declared. Documentation (catalog, manifest, lint W0005): it changes
     * no value, so it is not in the canonical text. */
    int64_t retention_seconds;
} ir_source;

/* A (source, field) an exists_in looks values up in. */
typedef struct ir_reference {
    int source;
    int field;
} ir_reference;

typedef struct ir_embedding {
    const char *name;
    int entity;
    int32_t dimension;
    const char *path;
    span span;
} ir_embedding;

typedef struct ir_agg {
    agg_function function;
    int64_t window_seconds;  /* 0 = lifetime */
    type_kind result;
    int64_t k;               /* first_k, last_k; else 0 */
    double percentile;       /* percentile; else 0 */
    const double *percentiles; /* percentile: [P, ...]: a vector result, one per P; else NULL */
    int npercentiles;
    int64_t hop_seconds;     /* 0 = exact; else the hop of its group */
} ir_agg;

typedef struct ir_group {
    int entity;
    int source;
    int key_field;           /* the source field holding the entity's (first) join key */
    int *key_fields;         /* the source fields of all its key columns, in order */
    expr *where;             /* NULL = every event */
    const char *where_text;  /* canonical text of where, "" when none */
    int field;               /* aggregated field, -1 for count(source) */
    type_kind value_type;    /* TYPE_NULL when field == -1 */
    int by_field;            /* min_by/max_by: the field whose extreme picks the event; else -1 */
    type_kind by_type;       /* TYPE_NULL when by_field == -1 */
    int64_t hop_seconds;     /* 0 = exact sliding windows; else tiles of this length */
    ir_agg *aggs;
    int naggs, capaggs;
} ir_group;

typedef enum ir_feature_kind {
    IR_AGGREGATE,            /* group, agg */
    IR_LOOKUP_EMBEDDING,     /* embedding */
    IR_COSINE_SIMILARITY,    /* args[0..1], arg_slots[0..1] */
    IR_DERIVED,              /* expr over refs */
} ir_feature_kind;


typedef struct ir_feature {
    const char *name;
    ir_feature_kind kind;
    ast_type type;
    int *entities;           /* indexes into entities: the keys a read takes */
    int nentities;
    int group, agg;
    int embedding;
    int args[2];             /* features read by a computation */
    int arg_slots[2];        /* for each arg, the index in entities of its key */
    expr *expr;              /* IR_DERIVED: names refer to IR features (name.ref) */
    int *refs;               /* IR_DERIVED: the features expr reads, each once */
    int nrefs;
    int **ref_slots;         /* refs[i]'s keys: their indexes in entities */
    int *requests;           /* request fields it reads, itself or through refs */
    int nrequests;
    bool has_default;        /* default: a null result reads as default_value */
    ir_literal default_value;
    const char *definition;  /* one line, e.g. "count(purchases) over 30d" */
    const ast_feature *ast;
} ir_feature;

typedef struct ir_set {
    const char *name;
    int *features;
    int nfeatures;
    int *entities;           /* union of the features' entities, first-seen order */
    int nentities;
    int *requests;           /* its request fields, in declared order: indexes in requests */
    int nrequests;
    span span;
} ir_set;

typedef struct ir_program {
    ir_entity *entities;     int nentities;
    ir_source *sources;      int nsources;
    ir_embedding *embeddings; int nembeddings;
    ir_group *groups;        int ngroups;
    ir_feature *features;    int nfeatures;   /* in dependency order: args first */
    ir_set *sets;            int nsets;
    ir_field *requests;      int nrequests;   /* request fields of all sets, by name */
    ir_reference *references; int nreferences; /* exists_in targets */
    span *request_spans;     /* where each was first declared */
    const char **files;      int nfiles;      /* the definition files, for comments */
    char fingerprint[65];    /* SHA-256 of ir_canonical_text, hex */
} ir_program;

/* A positive duration in the largest unit that divides it (7776000 s is
 * 90d), as windows are written; for the catalog and the manifest. */
void ir_duration_text(int64_t seconds, char *out, size_t size);
/* Shortest round-trip text of a double, always with '.', 'e' or 'n' in it. */
void ir_format_double(double value, char *out, size_t size);
/* Canonical text of an expression: fully parenthesised, literals normalised. */
const char *ir_expr_text(arena *a, const expr *e);
/* Canonical text of a constant (default:), as in ir_canonical_text. */
const char *ir_literal_text(arena *a, const ir_literal *d);
/* Canonical text of the program's semantics (names, types, functions,
 * windows, filters; not descriptions or tags), hashed into the fingerprint. */
const char *ir_canonical_text(arena *a, const ir_program *p);
void ir_compute_fingerprint(arena *a, ir_program *p);
/*
 * One fingerprint per feature (out[i] for features[i], 64 hex digits): a
 * SHA-256 of what its values mean, not of its name: its type, keys,
 * definition and default, the types of the source fields it reads (keys,
 * time, value, by and where fields), its source's expectations (they
 * decide which rows count), an embedding's dimension, request fields'
 * types, and the fingerprints of the features it reads. Renaming or
 * changing anything else leaves it as it was.
 */
void ir_feature_fingerprints(arena *a, const ir_program *p, char (*out)[65]);
/* SHA-256 of bytes as 64 hex digits. */
void ir_sha256_hex(const void *data, size_t n, char out[65]);
/* Human-readable dump for `fdlc check --dump-ir`. */
void ir_dump(const ir_program *p, FILE *out);

#endif
