/*
 * ast.c - constructors and spellings for the abstract syntax tree (ast.h).
 *
 * The spelling tables are indexed by the enums they name, so a new enum
 * value without a spelling is caught by the static assertions below.
 */
#define _POSIX_C_SOURCE 200809L

#include "ast.h"

#include <string.h>
#include <unistd.h>

static const char *const type_spellings[] = {
    [TYPE_ERROR] = "error",
    [TYPE_NULL] = "null",
    [TYPE_INT64] = "int64",
    [TYPE_FLOAT64] = "float64",
    [TYPE_BOOL] = "bool",
    [TYPE_STRING] = "string",
    [TYPE_TIMESTAMP] = "timestamp",
    [TYPE_VECTOR] = "float64_vector",
};
_Static_assert(sizeof type_spellings / sizeof type_spellings[0] == TYPE_VECTOR + 1,
               "every type_kind needs a spelling");

static const char *const operator_spellings[] = {
    [OP_NEG] = "-", [OP_PLUS] = "+", [OP_NOT] = "not",
    [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/", [OP_MOD] = "%",
    [OP_EQ] = "=", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=",
    [OP_AND] = "and", [OP_OR] = "or",
};
_Static_assert(sizeof operator_spellings / sizeof operator_spellings[0] == OP_OR + 1,
               "every expr_op needs a spelling");

const char *type_name(type_kind kind)
{
    if ((unsigned)kind < sizeof type_spellings / sizeof type_spellings[0])
        return type_spellings[kind];
    return "error";
}

bool type_parse(const char *text, type_kind *out)
{
    /* Only the types a definition may declare: "error" and "null" are internal. */
    if (!text)
        return false;
    for (type_kind kind = TYPE_INT64; kind <= TYPE_VECTOR; kind++) {
        if (strcmp(text, type_spellings[kind]) == 0) {
            *out = kind;
            return true;
        }
    }
    return false;
}

const char *expr_op_name(expr_op op)
{
    if ((unsigned)op < sizeof operator_spellings / sizeof operator_spellings[0])
        return operator_spellings[op];
    return "?";
}

/* N followed by s, m, h, d or w, in seconds; what names it in messages, example shows one. */
static bool read_duration(source_set *sources, span sp, const char *s, const char *what,
                          const char *example, int64_t *seconds)
{
    size_t len = strlen(s);
    int64_t number = 0;
    size_t i = 0;
    bool overflow = false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (number > (INT64_MAX - 9) / 10)
            overflow = true;
        else
            number = number * 10 + (s[i] - '0');
    }
    int64_t unit = 0;
    if (i > 0 && i + 1 == len) {
        switch (s[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        }
    }
    if (unit == 0) {
        diag_error(sources, DIAG_INVALID_DURATION, sp,
                   "malformed %s '%.64s': write a positive whole number and a unit "
                   "(s, m, h, d, w), e.g. %s", what, s, example);
        return false;
    }
    /* Durations are kept in microseconds: bound them well inside int64. */
    if (overflow || number == 0 || number > INT64_MAX / 1000000 / unit / 4) {
        diag_error(sources, DIAG_INVALID_DURATION, sp, number == 0 ? "%s '%s' must be longer than zero"
                                            : "%s '%.64s' is too long", what, s);
        return false;
    }
    *seconds = number * unit;
    return true;
}

bool ast_read_duration(source_set *sources, span sp, const char *s, const char *what,
                       int64_t *seconds)
{
    return read_duration(sources, sp, s, what, "30d", seconds);
}

void ast_read_window(source_set *sources, span sp, const char *s, ast_aggregation *agg)
{
    if (strcmp(s, "lifetime") == 0) {
        agg->lifetime = true;
        agg->has_window = true;
        return;
    }
    if (read_duration(sources, sp, s, "window", "30d, or 'lifetime'", &agg->window_seconds))
        agg->has_window = true;
}

void ast_read_hop(source_set *sources, span sp, const char *s, ast_aggregation *agg)
{
    agg->hop_span = sp;
    agg->hop_written = true;
    if (strcmp(s, "lifetime") == 0) {
        diag_error(sources, DIAG_INVALID_DURATION, sp, "a hop is a duration (s, m, h, d, w), e.g. 1h, not 'lifetime'");
        return;
    }
    if (read_duration(sources, sp, s, "hop", "1h", &agg->hop_seconds))
        agg->has_hop = true;
}

const char *ast_resolve_path(arena *a, const char *declaring_file, const char *path)
{
    const char *slash = strrchr(declaring_file, '/');
    if (path[0] != '/' && slash)
        path = arena_printf(a, "%.*s/%s", (int)(slash - declaring_file), declaring_file, path);
    char cwd[4096];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd))
        path = arena_printf(a, "%s/%s", cwd, path[0] == '.' && path[1] == '/' ? path + 2 : path);
    return path;
}

expr *expr_new(arena *a, expr_kind kind, span sp)
{
    expr *e = arena_alloc(a, sizeof *e);   /* zero-filled */
    e->kind = kind;
    e->span = sp;
    e->type.kind = TYPE_ERROR;
    return e;
}

static const char *const expect_spellings[] = {
    [EXPECT_NOT_NULL] = "not_null",
    [EXPECT_RANGE] = "range",
    [EXPECT_IN] = "in",
    [EXPECT_MATCHES] = "matches",
    [EXPECT_MAX_FUTURE] = "max_future",
    [EXPECT_ORDERED] = "ordered",
    [EXPECT_MAX_GAP] = "max_gap",
    [EXPECT_EXISTS_IN] = "exists_in",
    [EXPECT_MEAN] = "mean",
    [EXPECT_STDDEV] = "stddev",
    [EXPECT_NULL_RATIO] = "null_ratio",
    [EXPECT_DISTINCT] = "distinct",
    [EXPECT_EXPR] = "expr",
    [EXPECT_UNIQUE] = "unique",
};
_Static_assert(sizeof expect_spellings / sizeof *expect_spellings == EXPECT_KIND_COUNT,
               "every expectation kind has a spelling");

const char *expectation_kind_name(expectation_kind kind)
{
    return (unsigned)kind < EXPECT_KIND_COUNT ? expect_spellings[kind] : "?";
}

bool expectation_kind_parse(const char *text, expectation_kind *out)
{
    for (int k = 0; k < EXPECT_KIND_COUNT; k++)
        if (strcmp(text, expect_spellings[k]) == 0) {
            *out = (expectation_kind)k;
            return true;
        }
    return false;
}

bool expectation_is_statistical(expectation_kind kind)
{
    return kind == EXPECT_MEAN || kind == EXPECT_STDDEV || kind == EXPECT_NULL_RATIO ||
           kind == EXPECT_DISTINCT;
}

const char *policy_kind_name(policy_kind kind)
{
    switch (kind) {
    case POLICY_DEFAULT: return "fail";
    case POLICY_FAIL: return "fail";
    case POLICY_DROP: return "drop";
    case POLICY_CLAMP: return "clamp";
    case POLICY_FLAG: return "flag";
    case POLICY_IMPUTE: return "impute";
    }
    return "?";
}
