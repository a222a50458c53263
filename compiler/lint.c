/*
 * lint.c - warnings about definitions that are valid but likely mistakes.
 *
 * Runs after sema succeeded, on the checked program, so every name is
 * resolved. Each warning has a W code of diagnostics.def; -Wno-SLUG turns
 * it off and -Werror makes it an error (source.c applies both).
 *
 *   W0001 unused-feature       a feature in no set and read by no feature
 *                              (only when the program has feature sets: a
 *                              file of features alone is a library)
 *   W0002 constant-where       an aggregation's where folds to a constant
 *   W0003 missing-description  with --require-descriptions
 *   (W0004 duplicate-in-set is sema's: it drops the repeated feature.)
 *   W0005 window-exceeds-retention  an aggregation's window (or lifetime)
 *                              longer than its source's declared retention
 */
#include "lint.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* A constant folded from literals: the three-valued logic of the language. */
typedef struct folded {
    enum { K_UNKNOWN, K_NULL, K_BOOL, K_INT, K_FLOAT, K_STRING } kind;
    bool b;
    int64_t i;
    double f;
    const char *s;
    int32_t len;
} folded;

static folded fold(const expr *e);

static folded unknown(void) { return (folded){.kind = K_UNKNOWN}; }
static folded boolean(bool b) { return (folded){.kind = K_BOOL, .b = b}; }
static bool numeric(folded v) { return v.kind == K_INT || v.kind == K_FLOAT; }
static double as_double(folded v) { return v.kind == K_INT ? (double)v.i : v.f; }

static folded fold_logic(expr_op op, folded l, folded r)
{
    bool dominant = op == OP_OR;  /* true decides or, false decides and */
    if ((l.kind == K_BOOL && l.b == dominant) || (r.kind == K_BOOL && r.b == dominant))
        return boolean(dominant);
    if (l.kind == K_UNKNOWN || r.kind == K_UNKNOWN)
        return unknown();
    if (l.kind == K_NULL || r.kind == K_NULL)
        return (folded){.kind = K_NULL};
    return boolean(!dominant);
}

/* -1, 0, 1, or 2 when the two cannot be compared here. */
static int compare(folded l, folded r)
{
    if (numeric(l) && numeric(r)) {
        if (l.kind == K_INT && r.kind == K_INT)
            return (l.i > r.i) - (l.i < r.i);
        double a = as_double(l), b = as_double(r);
        return isnan(a) || isnan(b) ? 2 : (a > b) - (a < b);
    }
    if (l.kind == K_STRING && r.kind == K_STRING) {
        int32_t n = l.len < r.len ? l.len : r.len;
        int c = memcmp(l.s, r.s, (size_t)n);
        return c ? (c > 0) - (c < 0) : (l.len > r.len) - (l.len < r.len);
    }
    if (l.kind == K_BOOL && r.kind == K_BOOL)
        return (l.b > r.b) - (l.b < r.b);
    return 2;
}

static folded fold_compare(expr_op op, folded l, folded r)
{
    if (l.kind == K_UNKNOWN || r.kind == K_UNKNOWN)
        return unknown();
    if (l.kind == K_NULL || r.kind == K_NULL)
        return (folded){.kind = K_NULL};
    int c = compare(l, r);
    if (c == 2)
        return unknown();
    switch (op) {
    case OP_EQ: return boolean(c == 0);
    case OP_NE: return boolean(c != 0);
    case OP_LT: return boolean(c < 0);
    case OP_LE: return boolean(c <= 0);
    case OP_GT: return boolean(c > 0);
    default: return boolean(c >= 0);
    }
}

/* Arithmetic on floats only (int overflow and division are the runtime's
 * business: those stay unknown). */
static folded fold_arithmetic(expr_op op, folded l, folded r)
{
    if (l.kind == K_NULL || r.kind == K_NULL)
        return (folded){.kind = K_NULL};
    if (!numeric(l) || !numeric(r) || l.kind == K_INT || r.kind == K_INT)
        return unknown();
    double a = l.f, b = r.f;
    double v = op == OP_ADD ? a + b : op == OP_SUB ? a - b : op == OP_MUL ? a * b : NAN;
    return isnan(v) ? unknown() : (folded){.kind = K_FLOAT, .f = v};
}

static folded fold_binary(const expr *e)
{
    expr_op op = e->as.binary.op;
    folded l = fold(e->as.binary.left), r = fold(e->as.binary.right);
    if (op == OP_AND || op == OP_OR)
        return fold_logic(op, l, r);
    if (op >= OP_EQ && op <= OP_GE)
        return fold_compare(op, l, r);
    return fold_arithmetic(op, l, r);
}

static folded fold_unary(const expr *e)
{
    folded v = fold(e->as.unary.operand);
    if (v.kind == K_NULL || v.kind == K_UNKNOWN)
        return v;
    if (e->as.unary.op == OP_NOT)
        return v.kind == K_BOOL ? boolean(!v.b) : unknown();
    if (e->as.unary.op == OP_NEG && v.kind == K_FLOAT)
        v.f = -v.f;
    else if (e->as.unary.op == OP_NEG)
        return unknown();
    return v;
}

static folded fold(const expr *e)
{
    switch (e->kind) {
    case EXPR_INT: return (folded){.kind = K_INT, .i = e->as.int_value};
    case EXPR_FLOAT: return (folded){.kind = K_FLOAT, .f = e->as.float_value};
    case EXPR_BOOL: return boolean(e->as.bool_value);
    case EXPR_NULL: return (folded){.kind = K_NULL};
    case EXPR_STRING:
        return (folded){.kind = K_STRING, .s = e->as.string.bytes, .len = e->as.string.len};
    case EXPR_UNARY: return fold_unary(e);
    case EXPR_BINARY: return fold_binary(e);
    case EXPR_IS_NULL: {
        folded v = fold(e->as.is_null.operand);
        if (v.kind == K_UNKNOWN)
            return v;
        return boolean((v.kind == K_NULL) != e->as.is_null.negated);
    }
    default: return unknown();  /* names, calls, in: read at run time */
    }
}

static void lint_constant_where(source_set *s, const ast_feature *f)
{
    const ast_aggregation *agg = &f->aggregation;
    if (f->kind != FEATURE_AGGREGATION || !agg->where)
        return;
    folded v = fold(agg->where);
    if (v.kind == K_BOOL && v.b)
        diag_warning(s, DIAG_CONSTANT_WHERE, agg->where->span,
                     "the where of '%s' is always true: it filters nothing", f->name.text);
    else if (v.kind == K_BOOL || v.kind == K_NULL)
        diag_warning(s, DIAG_CONSTANT_WHERE, agg->where->span,
                     "the where of '%s' is always %s: the aggregation never sees an event",
                     f->name.text, v.kind == K_NULL ? "null" : "false");
}

/* The text at sp as written, without YAML quotes; "?" when unseen. */
static const char *written(source_set *s, arena *a, span sp)
{
    const source_file *f = span_valid(sp) ? source_get(s, sp.file) : NULL;
    if (!f || sp.end > f->size || sp.end <= sp.start || sp.end - sp.start > 64)
        return "?";
    const char *start = f->text + sp.start, *end = f->text + sp.end;
    while (start < end && (*start == '"' || *start == '\'' || *start == ' '))
        start++;
    while (end > start && (end[-1] == '"' || end[-1] == '\'' || end[-1] == ' '))
        end--;
    return arena_strndup(a, start, (size_t)(end - start));
}

/* An aggregation over more history than its source keeps. Only sources
 * that declare a retention are looked at (usually none: then no work);
 * sema resolved every name, so one that matches none of them is another
 * source's or an embedding's. */
static void lint_retention(source_set *s, arena *a, const ast_program *p)
{
    const ast_source **kept = arena_alloc(a, sizeof(ast_source *) * (size_t)(p->nsources + 1));
    int nkept = 0;
    for (int i = 0; i < p->nsources; i++)
        if (p->sources[i].has_retention && p->sources[i].name.text)
            kept[nkept++] = &p->sources[i];
    for (int i = 0; i < p->nfeatures && nkept; i++) {
        const ast_feature *f = &p->features[i];
        const ast_aggregation *agg = &f->aggregation;
        if (f->kind != FEATURE_AGGREGATION || !agg->has_window || !agg->source.text)
            continue;
        const ast_source *source = NULL;
        for (int k = 0; k < nkept && !source; k++)
            if (strcmp(kept[k]->name.text, agg->source.text) == 0)
                source = kept[k];
        if (!source || (!agg->lifetime && agg->window_seconds <= source->retention_seconds))
            continue;
        assert(source->retention_seconds > 0);
        diag_warning(s, DIAG_WINDOW_EXCEEDS_RETENTION, agg->window_span,
                     "feature '%s' aggregates over %s, longer than the retention %s of source "
                     "'%s': over older history it sees only the retained events", f->name.text,
                     agg->lifetime ? "its lifetime" : written(s, a, agg->window_span),
                     written(s, a, source->retention_span), source->name.text);
    }
}

/* Marks what sets serve and what features read, then warns about the rest. */
static void lint_unused(source_set *s, const ir_program *p, arena *a)
{
    if (p->nsets == 0 || p->nfeatures == 0)
        return;
    bool *used = arena_alloc(a, sizeof(bool) * (size_t)p->nfeatures);
    memset(used, 0, sizeof(bool) * (size_t)p->nfeatures);
    for (int i = 0; i < p->nsets; i++)
        for (int j = 0; j < p->sets[i].nfeatures; j++)
            used[p->sets[i].features[j]] = true;
    for (int f = 0; f < p->nfeatures; f++) {
        const ir_feature *feature = &p->features[f];
        for (int r = 0; r < feature->nrefs; r++)
            used[feature->refs[r]] = true;
        if (feature->kind == IR_COSINE_SIMILARITY)
            used[feature->args[0]] = used[feature->args[1]] = true;
    }
    /* In the order of the files, not the dependency order of the IR. */
    const ir_feature **unused = arena_alloc(a, sizeof(ir_feature *) * (size_t)p->nfeatures);
    int n = 0;
    for (int f = 0; f < p->nfeatures; f++)
        if (!used[f] && p->features[f].ast)
            unused[n++] = &p->features[f];
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && (unused[j]->ast->name.span.file < unused[j - 1]->ast->name.span.file ||
                                  (unused[j]->ast->name.span.file == unused[j - 1]->ast->name.span.file &&
                                   unused[j]->ast->name.span.start < unused[j - 1]->ast->name.span.start));
             j--) {
            const ir_feature *t = unused[j];
            unused[j] = unused[j - 1];
            unused[j - 1] = t;
        }
    for (int i = 0; i < n; i++)
        diag_warning(s, DIAG_UNUSED_FEATURE, unused[i]->ast->name.span,
                     "feature '%s' is in no feature set and no feature reads it", unused[i]->name);
}

static void need_description(source_set *s, const char *what, const ast_name *name, const char *text)
{
    if (!text || !*text)
        diag_warning(s, DIAG_MISSING_DESCRIPTION, name->span, "%s '%s' has no description", what,
                     name->text ? name->text : "?");
}

static void lint_descriptions(source_set *s, const ast_program *p)
{
    if (s->config.disabled[DIAG_MISSING_DESCRIPTION])
        return;
    for (int i = 0; i < p->nentities; i++)
        need_description(s, "entity", &p->entities[i].name, p->entities[i].description);
    for (int i = 0; i < p->nsources; i++)
        need_description(s, "source", &p->sources[i].name, p->sources[i].description);
    for (int i = 0; i < p->nembeddings; i++)
        need_description(s, "embedding", &p->embeddings[i].name, p->embeddings[i].description);
    for (int i = 0; i < p->nfeatures; i++)
        need_description(s, "feature", &p->features[i].name, p->features[i].description);
    for (int i = 0; i < p->nsets; i++)
        need_description(s, "feature set", &p->sets[i].name, p->sets[i].description);
}

void lint_program(source_set *s, arena *a, const ast_program *ast, const ir_program *ir)
{
    for (int i = 0; i < ast->nfeatures; i++)
        lint_constant_where(s, &ast->features[i]);
    lint_retention(s, a, ast);
    lint_unused(s, ir, a);
    lint_descriptions(s, ast);
}
