/*
 * sema.c - semantic analysis: names, types and rules; lowering to IR.
 *
 * Checks run in a fixed order (entities, sources, embeddings, features,
 * feature sets), each reporting every problem it finds with its location
 * and going on, so one run shows all errors. A definition that failed is
 * left out of the IR; follow-on errors about it are suppressed.
 */
#include "sema.h"

#include <assert.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "expr_parse.h"   /* expr_keyword */
#include "functions.h"
#include "fdlrt.h"
#include "internal.h"     /* fdl_regex_bound, as fdl_store_open checks it */
#include "suggest.h"

/*
 * Names of one kind of definition -> the index of their first definition:
 * open addressing over the arena, so lookups stay O(1) however many
 * thousands of features a program has.
 */
typedef struct name_index {
    const char **names;
    int *first;
    size_t mask;            /* capacity - 1; capacity a power of two */
} name_index;

static uint64_t name_hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

/* Builds the index of count names laid out stride bytes apart. */
static void index_build(arena *a, name_index *x, const ast_name *first, size_t stride, int count)
{
    size_t capacity = 16;
    while (capacity < (size_t)count * 2 + 1)
        capacity *= 2;
    x->names = arena_alloc(a, sizeof(char *) * capacity);   /* zeroed */
    x->first = arena_alloc(a, sizeof(int) * capacity);
    x->mask = capacity - 1;
    for (int i = 0; i < count; i++) {
        const char *name = ((const ast_name *)((const char *)first + stride * (size_t)i))->text;
        if (!name)
            continue;
        size_t slot = name_hash(name) & x->mask;
        while (x->names[slot] && strcmp(x->names[slot], name) != 0)
            slot = (slot + 1) & x->mask;
        if (!x->names[slot]) {
            x->names[slot] = name;
            x->first[slot] = i;
        }
    }
}

static int index_find(const name_index *x, const char *name)
{
    if (!x->names || !name)
        return -1;
    size_t slot = name_hash(name) & x->mask;
    while (x->names[slot]) {
        if (strcmp(x->names[slot], name) == 0)
            return x->first[slot];
        slot = (slot + 1) & x->mask;
    }
    return -1;
}

typedef struct checker {
    source_set *sources;
    arena *arena;
    ast_program *ast;
    ir_program *ir;
    /* AST index -> IR index (-1 when the definition failed its checks) */
    int *entity_ir, *source_ir, *embedding_ir, *feature_ir;
    bool *feature_done, *feature_busy;
    int *feature_stack;          /* AST indexes of the features being checked, outermost first */
    int feature_depth;
    name_index entity_names, source_names, embedding_names, feature_names, set_names;
} checker;

/* ------------------------------------------------------------ names */

static int find_entity(checker *c, const char *name)
{
    return index_find(&c->entity_names, name);
}

static int find_source(checker *c, const char *name)
{
    return index_find(&c->source_names, name);
}

static int find_embedding(checker *c, const char *name)
{
    return index_find(&c->embedding_names, name);
}

static int find_feature(checker *c, const char *name)
{
    return index_find(&c->feature_names, name);
}

/* "unknown source 'x'", with a suggestion drawn from the known names. */
static void unknown_name(checker *c, span sp, const char *what, const char *name,
                         const char **known, int nknown)
{
    const char *close = suggest_closest(name, known, nknown);
    if (close)
        diag_error(c->sources, DIAG_UNKNOWN_NAME, sp, "unknown %s '%s'; did you mean '%s'?", what, name, close);
    else
        diag_error(c->sources, DIAG_UNKNOWN_NAME, sp, "unknown %s '%s'", what, name);
}

/* "source 'orders' has no field 'x'", with a suggestion. */
static void unknown_field(checker *c, span sp, const ir_source *s, const char *name)
{
    const char **known = arena_alloc(c->arena, sizeof(char *) * (size_t)(s->nfields + 1));
    for (int i = 0; i < s->nfields; i++)
        known[i] = s->fields[i].name;
    const char *close = suggest_closest(name, known, s->nfields);
    if (close)
        diag_error(c->sources, DIAG_UNKNOWN_FIELD, sp, "source '%s' has no field '%s'; did you mean '%s'?", s->name, name, close);
    else
        diag_error(c->sources, DIAG_UNKNOWN_FIELD, sp, "source '%s' has no field '%s'", s->name, name);
}

static const char **names_of(checker *c, const ast_name *first, size_t stride, int count)
{
    const char **out = arena_alloc(c->arena, sizeof(char *) * (size_t)(count + 1));
    for (int i = 0; i < count; i++)
        out[i] = ((const ast_name *)((const char *)first + stride * (size_t)i))->text;
    return out;
}

#define NAMES(c, array, count) \
    names_of(c, (count) ? &(array)[0].name : NULL, sizeof (array)[0], count)

/* Reports a second definition of a name, with a note at the first. */
static bool check_unique(checker *c, const char *what, const name_index *names, const ast_name *name,
                         const ast_name *first, size_t stride, int index)
{
    if (!name->text)
        return false;
    int earlier = index_find(names, name->text);
    if (earlier >= 0 && earlier < index) {
        const ast_name *other = (const ast_name *)((const char *)first + stride * (size_t)earlier);
        diag_error(c->sources, DIAG_DUPLICATE_DEFINITION, name->span, "duplicate %s '%s'", what, name->text);
        diag_note(c->sources, other->span, "'%s' is first defined here", name->text);
        return false;
    }
    return true;
}

/* A name an expression reads as a keyword or literal (`NULL`, `True`,
 * `and`, in any case; expr_keyword) could never be referred to: refused
 * wherever something is defined, with the reason. */
static bool check_not_keyword(checker *c, const char *what, const ast_name *name)
{
    const char *keyword = name->text ? expr_keyword(name->text) : NULL;
    if (!keyword)
        return true;
    bool literal = strcmp(keyword, "null") == 0 || strcmp(keyword, "true") == 0 ||
                   strcmp(keyword, "false") == 0;
    diag_error(c->sources, DIAG_INVALID_NAME, name->span,
               "%s '%s' reads as the %s '%s' in expressions (in any case), not as a name; "
               "choose another name", what, name->text, literal ? "literal" : "keyword", keyword);
    return false;
}

/* A definition's name: the first of its namespace, and not a keyword. */
#define UNIQUE(c, what, names, array, index) \
    (check_unique(c, what, &(c)->names, &(array)[index].name, &(array)[0].name, sizeof (array)[0], \
                  index) & \
     check_not_keyword(c, what, &(array)[index].name))

/* ------------------------------------------------------------ types */

static bool is_numeric(type_kind k) { return k == TYPE_INT64 || k == TYPE_FLOAT64; }

static const char *describe_type(arena *a, ast_type t)
{
    if (t.kind == TYPE_VECTOR && t.dim > 0)
        return arena_printf(a, "float64_vector[%d]", t.dim);
    return type_name(t.kind);
}

static ast_type make_type(type_kind kind)
{
    ast_type t = {kind, 0};
    return t;
}

/* Types one expression evaluated over a source's fields. */
/*
 * What names in an expression mean: the fields of a source (a where
 * filter), or other features (a derived feature, whose refs are collected
 * into feature).
 */
typedef struct expr_scope {
    const ir_source *source;   /* NULL: names are features */
    const char *source_name;
    ir_feature *feature;       /* the derived feature being checked */
    const char *what;          /* "a where filter": for diagnostics */
    bool has_query_time;       /* evaluated by a read, which has a time */
} expr_scope;

static ast_type check_expr(checker *c, const expr_scope *scope, expr *e);

static bool comparable(type_kind a, type_kind b)
{
    if (a == TYPE_NULL || b == TYPE_NULL || a == TYPE_ERROR || b == TYPE_ERROR)
        return true;
    if (is_numeric(a) && is_numeric(b))
        return true;
    return a == b && a != TYPE_VECTOR;
}

static ast_type check_feature_name(checker *c, const expr_scope *scope, expr *e);

static ast_type check_name(checker *c, const expr_scope *scope, expr *e)
{
    if (!scope->source)
        return check_feature_name(c, scope, e);
    const ir_source *s = scope->source;
    if (e->as.name.qualifier && strcmp(e->as.name.qualifier, scope->source_name) != 0) {
        diag_error(c->sources, DIAG_UNKNOWN_FIELD, e->span,
                   "'%s.%s' does not name a field of source '%s' (write '%s' or '%s.%s')",
                   e->as.name.qualifier, e->as.name.name, scope->source_name, e->as.name.name,
                   scope->source_name, e->as.name.name);
        return make_type(TYPE_ERROR);
    }
    for (int i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].name, e->as.name.name) == 0) {
            e->as.name.ref = i;
            return make_type(s->fields[i].type);
        }
    unknown_field(c, e->span, s, e->as.name.name);
    return make_type(TYPE_ERROR);
}

/* How many arguments a function takes, for a diagnostic. */
static const char *arity_text(checker *c, const stdlib_function *f)
{
    if (f->max_args < 0)
        return arena_printf(c->arena, "at least %d argument%s", f->min_args,
                            f->min_args == 1 ? "" : "s");
    if (f->max_args == f->min_args)
        return arena_printf(c->arena, "%d argument%s", f->min_args, f->min_args == 1 ? "" : "s");
    return arena_printf(c->arena, "%d to %d arguments", f->min_args, f->max_args);
}

/* The type two shared (T or number) arguments have together; TYPE_ERROR if none. */
static type_kind unify(type_kind a, type_kind b)
{
    if (a == TYPE_NULL)
        return b;
    if (b == TYPE_NULL)
        return a;
    if (is_numeric(a) && is_numeric(b))
        return a == TYPE_FLOAT64 || b == TYPE_FLOAT64 ? TYPE_FLOAT64 : TYPE_INT64;
    return a == b ? a : TYPE_ERROR;
}

/*
 * Checks a call against its signature (stdlib/functions.def): arity, each
 * argument's type, the shared number and T types, vector dimensions, and
 * whether the function may read a query time here. Marks the int64
 * arguments the generated code converts to float64.
 */
static ast_type check_call(checker *c, const expr_scope *scope, expr *e)
{
    int nargs = e->as.call.args.count;
    expr **items = e->as.call.args.items;
    ast_type *args = arena_alloc(c->arena, sizeof(ast_type) * (size_t)(nargs + 1));
    bool failed = false;
    for (int i = 0; i < nargs; i++) {
        args[i] = check_expr(c, scope, items[i]);
        failed |= args[i].kind == TYPE_ERROR;
    }
    int fn = stdlib_find(e->as.call.name);
    if (fn < 0) {
        int count = stdlib_count();
        const char **known = arena_alloc(c->arena, sizeof(char *) * (size_t)count);
        for (int i = 0; i < count; i++)
            known[i] = stdlib_at(i)->name;
        unknown_name(c, e->as.call.name_span, "function", e->as.call.name, known, count);
        return make_type(TYPE_ERROR);
    }
    const stdlib_function *f = stdlib_at(fn);
    e->as.call.function = fn;
    if (nargs < f->min_args || (f->max_args >= 0 && nargs > f->max_args)) {
        diag_error(c->sources, DIAG_BAD_CALL, e->span, "%s takes %s, not %d", f->name, arity_text(c, f), nargs);
        diag_note(c->sources, e->as.call.name_span, "%s", stdlib_describe(c->arena, f));
        return make_type(TYPE_ERROR);
    }
    if ((f->flags & FN_QUERY_TIME) && !scope->has_query_time) {
        diag_error(c->sources, DIAG_BAD_CALL, e->as.call.name_span,
                   "%s() reads the query time, which %s has not: use it in a derived feature",
                   f->name, scope->what);
        return make_type(TYPE_ERROR);
    }
    if (failed)
        return make_type(TYPE_ERROR);

    /* Each argument against its parameter; the shared types as we go. */
    type_kind number = TYPE_NULL, shared = TYPE_NULL;
    int shared_first = -1, vector_first = -1;
    for (int i = 0; i < nargs; i++) {
        const stdlib_param *p = stdlib_param_of(f, i);
        type_kind k = args[i].kind;
        const char *wanted = NULL;
        switch (p->class) {
        case CLASS_TYPE:
            if (!(k == TYPE_NULL || k == p->type || (p->type == TYPE_FLOAT64 && k == TYPE_INT64)))
                wanted = p->type == TYPE_VECTOR ? "a float64_vector"
                         : p->type == TYPE_FLOAT64 ? "a number (int64 or float64)"
                         : p->type == TYPE_INT64   ? "an int64"
                                                   : arena_printf(c->arena, "a %s", type_name(p->type));
            break;
        case CLASS_NUMBER:
            if (k != TYPE_NULL && !is_numeric(k))
                wanted = "a number (int64 or float64)";
            else
                number = unify(number, k);
            break;
        case CLASS_SHARED:
            if (k == TYPE_VECTOR) {
                wanted = "a scalar (not a vector)";
            } else if (unify(shared, k) == TYPE_ERROR) {
                diag_error(c->sources, DIAG_OPERAND_TYPE, items[i]->span,
                           "argument %d of %s must have the type the arguments before it share "
                           "(%s, from argument %d), not %s",
                           i + 1, f->name, type_name(shared), shared_first + 1,
                           describe_type(c->arena, args[i]));
                return make_type(TYPE_ERROR);
            } else {
                if (shared_first < 0 && k != TYPE_NULL)
                    shared_first = i;
                shared = unify(shared, k);
            }
            break;
        case CLASS_ANY:
            if (k == TYPE_VECTOR)
                wanted = "a scalar (not a vector)";
            break;
        }
        if (wanted) {
            diag_error(c->sources, DIAG_OPERAND_TYPE, items[i]->span, "argument %d of %s (%s) must be %s, not %s",
                       i + 1, f->name, p->name, wanted, describe_type(c->arena, args[i]));
            return make_type(TYPE_ERROR);
        }
        if (k == TYPE_VECTOR && args[i].dim > 0) {
            if (vector_first >= 0 && args[vector_first].dim != args[i].dim) {
                diag_error(c->sources, DIAG_OPERAND_TYPE, items[i]->span,
                           "the vectors of %s must have one dimension: this one has %d, "
                           "argument %d has %d",
                           f->name, args[i].dim, vector_first + 1, args[vector_first].dim);
                return make_type(TYPE_ERROR);
            }
            if (vector_first < 0)
                vector_first = i;
        }
    }

    /* int64 arguments where float64 is wanted are converted by the caller. */
    e->as.call.widen = arena_alloc(c->arena, sizeof(bool) * (size_t)(nargs + 1));
    for (int i = 0; i < nargs; i++) {
        const stdlib_param *p = stdlib_param_of(f, i);
        type_kind target = p->class == CLASS_TYPE ? p->type
                           : p->class == CLASS_NUMBER ? number
                           : p->class == CLASS_SHARED ? shared
                                                      : TYPE_ERROR;
        e->as.call.widen[i] = args[i].kind == TYPE_INT64 && target == TYPE_FLOAT64;
    }
    switch (f->result.class) {
    case CLASS_NUMBER: return make_type(number == TYPE_NULL ? TYPE_INT64 : number);
    case CLASS_SHARED: return make_type(shared);
    default: return make_type(f->result.type);
    }
}

static ast_type check_expr_kind(checker *c, const expr_scope *scope, expr *e)
{
    switch (e->kind) {
    case EXPR_INT: return make_type(TYPE_INT64);
    case EXPR_FLOAT: return make_type(TYPE_FLOAT64);
    case EXPR_STRING: return make_type(TYPE_STRING);
    case EXPR_BOOL: return make_type(TYPE_BOOL);
    case EXPR_NULL: return make_type(TYPE_NULL);
    case EXPR_NAME: return check_name(c, scope, e);
    case EXPR_CALL: return check_call(c, scope, e);
    case EXPR_UNARY: {
        ast_type t = check_expr(c, scope, e->as.unary.operand);
        if (t.kind == TYPE_ERROR)
            return t;
        if (e->as.unary.op == OP_NOT) {
            if (t.kind != TYPE_BOOL && t.kind != TYPE_NULL) {
                diag_error(c->sources, DIAG_OPERAND_TYPE, e->span, "'not' needs a bool operand, not %s",
                           describe_type(c->arena, t));
                return make_type(TYPE_ERROR);
            }
            return make_type(TYPE_BOOL);
        }
        if (!is_numeric(t.kind) && t.kind != TYPE_NULL) {
            diag_error(c->sources, DIAG_OPERAND_TYPE, e->span, "unary '%s' needs a number, not %s",
                       expr_op_name(e->as.unary.op), describe_type(c->arena, t));
            return make_type(TYPE_ERROR);
        }
        return t.kind == TYPE_NULL ? make_type(TYPE_INT64) : t;
    }
    case EXPR_BINARY: {
        ast_type l = check_expr(c, scope, e->as.binary.left);
        ast_type r = check_expr(c, scope, e->as.binary.right);
        if (l.kind == TYPE_ERROR || r.kind == TYPE_ERROR)
            return make_type(TYPE_ERROR);
        expr_op op = e->as.binary.op;
        if (op == OP_AND || op == OP_OR) {
            for (int side = 0; side < 2; side++) {
                ast_type t = side ? r : l;
                if (t.kind != TYPE_BOOL && t.kind != TYPE_NULL) {
                    diag_error(c->sources, DIAG_OPERAND_TYPE, side ? e->as.binary.right->span : e->as.binary.left->span,
                               "'%s' needs bool operands; this is %s", expr_op_name(op),
                               describe_type(c->arena, t));
                    return make_type(TYPE_ERROR);
                }
            }
            return make_type(TYPE_BOOL);
        }
        if (op >= OP_EQ && op <= OP_GE) {
            if (!comparable(l.kind, r.kind)) {
                diag_error(c->sources, DIAG_OPERAND_TYPE, e->span, "cannot compare %s with %s",
                           describe_type(c->arena, l), describe_type(c->arena, r));
                return make_type(TYPE_ERROR);
            }
            return make_type(TYPE_BOOL);
        }
        /* arithmetic */
        for (int side = 0; side < 2; side++) {
            ast_type t = side ? r : l;
            if (!is_numeric(t.kind) && t.kind != TYPE_NULL) {
                diag_error(c->sources, DIAG_OPERAND_TYPE, side ? e->as.binary.right->span : e->as.binary.left->span,
                           "'%s' needs numbers; this is %s", expr_op_name(op),
                           describe_type(c->arena, t));
                return make_type(TYPE_ERROR);
            }
        }
        if (l.kind == TYPE_FLOAT64 || r.kind == TYPE_FLOAT64)
            return make_type(TYPE_FLOAT64);
        return make_type(TYPE_INT64);
    }
    case EXPR_IN: {
        ast_type t = check_expr(c, scope, e->as.in.operand);
        bool failed = t.kind == TYPE_ERROR;
        for (int i = 0; i < e->as.in.list.count; i++) {
            expr *item = e->as.in.list.items[i];
            ast_type it = check_expr(c, scope, item);
            if (it.kind == TYPE_ERROR) {
                failed = true;
            } else if (!failed && !comparable(t.kind, it.kind)) {
                diag_error(c->sources, DIAG_OPERAND_TYPE, item->span, "'in' list item is %s; cannot compare with %s",
                           describe_type(c->arena, it), describe_type(c->arena, t));
                failed = true;
            }
        }
        return make_type(failed ? TYPE_ERROR : TYPE_BOOL);
    }
    case EXPR_IS_NULL: {
        ast_type t = check_expr(c, scope, e->as.is_null.operand);
        return make_type(t.kind == TYPE_ERROR ? TYPE_ERROR : TYPE_BOOL);
    }
    }
    return make_type(TYPE_ERROR);
}

static ast_type check_expr(checker *c, const expr_scope *scope, expr *e)
{
    e->type = check_expr_kind(c, scope, e);
    return e->type;
}

/* ------------------------------------------------------- definitions */

/*
 * The request fields of every feature set, merged by name into one list
 * for the program: expressions read them as request.NAME, and a set that
 * includes such a feature must declare each field it reads.
 */
static void collect_requests(checker *c)
{
    ast_program *p = c->ast;
    int total = 0;
    for (int i = 0; i < p->nsets; i++)
        total += p->sets[i].nrequest;
    ir_program *ir = c->ir;
    ir->requests = arena_alloc(c->arena, sizeof(ir_field) * (size_t)(total + 1));
    ir->request_spans = arena_alloc(c->arena, sizeof(span) * (size_t)(total + 1));
    for (int i = 0; i < p->nsets; i++) {
        ast_feature_set *s = &p->sets[i];
        for (int j = 0; j < s->nrequest; j++) {
            const ast_field *field = &s->request[j];
            bool ok = check_not_keyword(c, "request field", &field->name);
            for (int k = 0; k < j && ok; k++)
                if (strcmp(s->request[k].name.text, field->name.text) == 0) {
                    diag_error(c->sources, DIAG_REQUEST_FIELD, field->name.span, "duplicate request field '%s'",
                               field->name.text);
                    diag_note(c->sources, s->request[k].name.span, "'%s' is first declared here",
                              field->name.text);
                    ok = false;
                }
            if (ok && field->type == TYPE_VECTOR) {
                diag_error(c->sources, DIAG_REQUEST_FIELD, field->type_span,
                           "a request field is a scalar (int64, float64, bool, string or timestamp)");
                ok = false;
            }
            for (int k = 0; k < ir->nrequests && ok; k++)
                if (strcmp(ir->requests[k].name, field->name.text) == 0) {
                    if (ir->requests[k].type != field->type) {
                        diag_error(c->sources, DIAG_REQUEST_FIELD, field->type_span,
                                   "request field '%s' is %s here but %s in another feature set",
                                   field->name.text, type_name(field->type),
                                   type_name(ir->requests[k].type));
                        diag_note(c->sources, ir->request_spans[k], "'%s' is declared here",
                                  field->name.text);
                    }
                    ok = false;
                }
            if (!ok)
                continue;
            ir->requests[ir->nrequests].name = field->name.text;
            ir->requests[ir->nrequests].type = field->type;
            ir->request_spans[ir->nrequests] = field->name.span;
            ir->nrequests++;
        }
    }
}

static int find_request(const ir_program *ir, const char *name)
{
    for (int i = 0; i < ir->nrequests; i++)
        if (strcmp(ir->requests[i].name, name) == 0)
            return i;
    return -1;
}

/* Adds request field `slot` to a feature's list, once. */
static void add_request(checker *c, ir_feature *f, int slot)
{
    for (int i = 0; i < f->nrequests; i++)
        if (f->requests[i] == slot)
            return;
    f->requests = arena_grow(c->arena, f->requests, sizeof(int) * (size_t)f->nrequests,
                             sizeof(int) * (size_t)(f->nrequests + 1));
    f->requests[f->nrequests++] = slot;
}

static void check_entities(checker *c)
{
    ast_program *p = c->ast;
    c->ir->entities = arena_alloc(c->arena, sizeof(ir_entity) * (size_t)(p->nentities + 1));
    for (int i = 0; i < p->nentities; i++) {
        ast_entity *e = &p->entities[i];
        c->entity_ir[i] = -1;
        bool keys_ok = true;
        for (int k = 0; k < e->nkeys; k++)
            keys_ok &= check_not_keyword(c, "join key", &e->join_keys[k]);
        if (!UNIQUE(c, "entity", entity_names, p->entities, i) || !keys_ok || !e->join_key.text ||
            e->nkeys == 0)
            continue;
        if (e->name.text && strcmp(e->name.text, "request") == 0) {
            /* request.NAME reads request-time data in expressions. */
            diag_error(c->sources, DIAG_RESERVED_NAME, e->name.span, "'request' is reserved for request-time data; "
                       "name the entity otherwise");
            continue;
        }
        ir_entity *out = &c->ir->entities[c->ir->nentities];
        out->name = e->name.text;
        out->join_key = e->join_key.text;
        out->key_type = e->key_type;
        out->nkeys = e->nkeys;
        out->join_keys = arena_alloc(c->arena, sizeof(char *) * (size_t)(e->nkeys + 1));
        out->key_types = e->key_types;
        for (int k = 0; k < e->nkeys; k++)
            out->join_keys[k] = e->join_keys[k].text;
        out->description = e->description;
        out->span = e->name.span;
        c->entity_ir[i] = c->ir->nentities++;
    }
}

static void check_sources(checker *c)
{
    ast_program *p = c->ast;
    c->ir->sources = arena_alloc(c->arena, sizeof(ir_source) * (size_t)(p->nsources + 1));
    for (int i = 0; i < p->nsources; i++) {
        ast_source *s = &p->sources[i];
        c->source_ir[i] = -1;
        bool ok = UNIQUE(c, "source", source_names, p->sources, i) && s->timestamp.text;
        int time_field = -1;
        for (int f = 0; f < s->nfields; f++) {
            ok &= check_not_keyword(c, "field", &s->fields[f].name);
            for (int g = 0; g < f; g++)
                if (strcmp(s->fields[g].name.text, s->fields[f].name.text) == 0) {
                    diag_error(c->sources, DIAG_DUPLICATE_DEFINITION, s->fields[f].name.span, "duplicate field '%s' in source '%s'",
                               s->fields[f].name.text, s->name.text ? s->name.text : "?");
                    diag_note(c->sources, s->fields[g].name.span, "first declared here");
                    ok = false;
                }
            if (s->timestamp.text && strcmp(s->fields[f].name.text, s->timestamp.text) == 0) {
                time_field = f;
                if (s->fields[f].type != TYPE_TIMESTAMP) {
                    diag_error(c->sources, DIAG_TYPE_MISMATCH, s->fields[f].type_span,
                               "'%s' is the event-time column of source '%s', so its type must be "
                               "timestamp, not %s", s->fields[f].name.text,
                               s->name.text ? s->name.text : "?", type_name(s->fields[f].type));
                    diag_note(c->sources, s->timestamp.span, "named as the event time here");
                    ok = false;
                }
            }
            if (s->fields[f].type == TYPE_VECTOR) {
                diag_error(c->sources, DIAG_TYPE_MISMATCH, s->fields[f].type_span,
                           "source fields cannot be float64_vector; use an embedding table");
                ok = false;
            }
        }
        if (time_field < 0)     /* an undeclared time column is a field too */
            ok &= check_not_keyword(c, "timestamp column", &s->timestamp);
        if (!ok)
            continue;
        ir_source *out = &c->ir->sources[c->ir->nsources];
        out->name = s->name.text;
        out->description = s->description;
        out->span = s->name.span;
        /* The time column comes first when the fields do not declare it. */
        int extra = time_field < 0 ? 1 : 0;
        out->fields = arena_alloc(c->arena, sizeof(ir_field) * (size_t)(s->nfields + extra));
        if (extra) {
            out->fields[0].name = s->timestamp.text;
            out->fields[0].type = TYPE_TIMESTAMP;
            out->time_field = 0;
        } else {
            out->time_field = time_field;
        }
        for (int f = 0; f < s->nfields; f++) {
            out->fields[f + extra].name = s->fields[f].name.text;
            out->fields[f + extra].type = s->fields[f].type;
        }
        out->nfields = s->nfields + extra;
        c->source_ir[i] = c->ir->nsources++;
    }
}

static void check_embeddings(checker *c)
{
    ast_program *p = c->ast;
    c->ir->embeddings = arena_alloc(c->arena, sizeof(ir_embedding) * (size_t)(p->nembeddings + 1));
    for (int i = 0; i < p->nembeddings; i++) {
        ast_embedding *e = &p->embeddings[i];
        c->embedding_ir[i] = -1;
        bool ok = UNIQUE(c, "embedding", embedding_names, p->embeddings, i) && e->dimension > 0 && e->path;
        int entity = -1;
        if (e->entity.text) {
            entity = find_entity(c, e->entity.text);
            if (entity < 0) {
                unknown_name(c, e->entity.span, "entity", e->entity.text,
                             NAMES(c, p->entities, p->nentities), p->nentities);
                ok = false;
            } else if (c->entity_ir[entity] < 0) {
                ok = false;
            } else if (c->ir->entities[c->entity_ir[entity]].nkeys != 1) {
                diag_error(c->sources, DIAG_EMBEDDING, e->entity.span,
                           "an embedding table is keyed by one column; entity '%s' has a composite key",
                           e->entity.text);
                ok = false;
            }
        }
        if (!ok || entity < 0)
            continue;
        ir_embedding *out = &c->ir->embeddings[c->ir->nembeddings];
        out->name = e->name.text;
        out->entity = c->entity_ir[entity];
        out->dimension = (int32_t)e->dimension;
        out->path = e->path;
        out->span = e->name.span;
        c->embedding_ir[i] = c->ir->nembeddings++;
    }
}

/* ------------------------------------------------------------ expectations */

static bool read_literal(type_kind type, const char *text, size_t len, ir_literal *out);

/* Which policies each expectation takes (docs/language.md, "Policies"). */
static bool policy_allowed(const ir_check *k, policy_kind policy, bool time_field)
{
    if (policy == POLICY_FAIL || policy == POLICY_DEFAULT)
        return true;
    if (k->invalid)
        return policy == POLICY_DROP || (!time_field && (policy == POLICY_FLAG || policy == POLICY_IMPUTE));
    if (expectation_is_statistical(k->kind))
        return policy == POLICY_FLAG;
    switch (policy) {
    case POLICY_DROP:
    case POLICY_FLAG:
        return true;
    case POLICY_CLAMP:
        return k->kind == EXPECT_RANGE || k->kind == EXPECT_MAX_FUTURE;
    case POLICY_IMPUTE:
        return k->kind == EXPECT_NOT_NULL || k->kind == EXPECT_RANGE || k->kind == EXPECT_IN ||
               k->kind == EXPECT_MATCHES || k->kind == EXPECT_MAX_FUTURE ||
               k->kind == EXPECT_EXISTS_IN;
    default:
        return false;
    }
}

/* Reads a written literal as the field's type; reports it at its span. */
static bool check_value(checker *c, const ast_value *v, type_kind type, const char *what,
                        bool allow_null, ir_literal *out)
{
    if (v->is_null) {
        memset(out, 0, sizeof *out);
        out->type = TYPE_NULL;
        if (!allow_null)
            diag_error(c->sources, DIAG_INVALID_VALUE, v->span, "%s cannot be null", what);
        return allow_null;
    }
    if (!read_literal(type, v->text, v->length, out)) {
        diag_error(c->sources, DIAG_INVALID_VALUE, v->span, "%s '%.*s' is not a valid %s", what,
                   (int)(v->length > 60 ? 60 : v->length), v->text, type_name(type));
        return false;
    }
    return true;
}

/* A statistical bound: a number, or null (open). */
static bool check_bound(checker *c, const ast_value *v, const char *what, bool *has, double *out)
{
    ir_literal literal;
    *has = false;
    if (!check_value(c, v, TYPE_FLOAT64, what, true, &literal))
        return false;
    if (literal.type == TYPE_NULL)
        return true;
    *has = true;
    *out = literal.float_value;
    return true;
}

/* A literal as an expectation's text shows it: times in RFC 3339. */
static const char *value_text(checker *c, const ir_literal *v)
{
    if (v->type != TYPE_TIMESTAMP)
        return ir_literal_text(c->arena, v);
    char time[64];
    fdl_format_time(v->int_value, time, sizeof time);
    return arena_strdup(c->arena, time);
}

static const char *literal_list_text(checker *c, const ir_literal *values, int n, const char *open,
                                     const char *close)
{
    const char *text = open;
    for (int i = 0; i < n; i++)
        text = arena_printf(c->arena, "%s%s%s", text, i ? ", " : "", value_text(c, &values[i]));
    return arena_printf(c->arena, "%s%s", text, close);
}

static const char *bound_text(checker *c, bool has, double value)
{
    if (!has)
        return "null";
    char number[40];
    ir_format_double(value, number, sizeof number);
    return arena_strdup(c->arena, number);
}

static const char *window_text(arena *a, int64_t seconds);

/* Index of the (source, field) pair in the program's references, added if new. */
static int add_reference(checker *c, int source, int field)
{
    ir_program *ir = c->ir;
    for (int i = 0; i < ir->nreferences; i++)
        if (ir->references[i].source == source && ir->references[i].field == field)
            return i;
    ir_reference *grown = arena_alloc(c->arena, sizeof(ir_reference) * (size_t)(ir->nreferences + 1));
    if (ir->nreferences)
        memcpy(grown, ir->references, sizeof(ir_reference) * (size_t)ir->nreferences);
    grown[ir->nreferences] = (ir_reference){source, field};
    ir->references = grown;
    return ir->nreferences++;
}

/* exists_in: SOURCE.FIELD (of the same type) or an embedding keyed by this type. */
static bool check_exists_in(checker *c, const ast_expectation *e, const ir_source *src,
                            type_kind type, ir_check *k)
{
    ast_program *p = c->ast;
    k->reference = -1;
    k->embedding = -1;
    if (type != TYPE_INT64 && type != TYPE_STRING) {
        diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span, "exists_in checks int64 or string keys, not %s",
                   type_name(type));
        return false;
    }
    int source = find_source(c, e->target.text);
    if (source >= 0) {
        if (c->source_ir[source] < 0)
            return false;
        const ir_source *target = &c->ir->sources[c->source_ir[source]];
        if (!e->target_field.text) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span,
                       "exists_in a source needs the field to look in: write '%s.FIELD'",
                       e->target.text);
            return false;
        }
        int field = -1;
        for (int i = 0; i < target->nfields; i++)
            if (strcmp(target->fields[i].name, e->target_field.text) == 0)
                field = i;
        if (field < 0) {
            unknown_field(c, e->target_field.span, target, e->target_field.text);
            return false;
        }
        if (target->fields[field].type != type) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span, "'%s.%s' is %s, but the field checked is %s",
                       target->name, target->fields[field].name,
                       type_name(target->fields[field].type), type_name(type));
            return false;
        }
        (void)src;
        k->reference = add_reference(c, c->source_ir[source], field);
        k->text = arena_printf(c->arena, "exists_in %s.%s", target->name, target->fields[field].name);
        return true;
    }
    int embedding = find_embedding(c, e->target.text);
    if (embedding < 0) {
        const char **known = arena_alloc(c->arena, sizeof(char *) * (size_t)(p->nsources + p->nembeddings + 1));
        for (int i = 0; i < p->nsources; i++)
            known[i] = p->sources[i].name.text;
        for (int i = 0; i < p->nembeddings; i++)
            known[p->nsources + i] = p->embeddings[i].name.text;
        unknown_name(c, e->target.span, "source or embedding", e->target.text, known,
                     p->nsources + p->nembeddings);
        return false;
    }
    if (c->embedding_ir[embedding] < 0)
        return false;
    const ir_embedding *table = &c->ir->embeddings[c->embedding_ir[embedding]];
    if (e->target_field.text) {
        diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->target_field.span,
                   "'%s' is an embedding table: write exists_in: %s", table->name, table->name);
        return false;
    }
    type_kind key = c->ir->entities[table->entity].key_type;
    if (key != type) {
        diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span,
                   "embedding table '%s' has %s keys, but the field checked is %s", table->name,
                   type_name(key), type_name(type));
        return false;
    }
    k->embedding = c->embedding_ir[embedding];
    k->text = arena_printf(c->arena, "exists_in %s", table->name);
    return true;
}

/* The policy as written, checked against what the check allows. */
static bool check_policy(checker *c, const ast_policy *policy, type_kind type, bool time_field,
                         const char *what, ir_check *k)
{
    k->policy = policy->kind == POLICY_DEFAULT ? POLICY_FAIL : policy->kind;
    if (!policy_allowed(k, policy->kind, time_field)) {
        const char *allowed = k->invalid ? (time_field ? "fail or drop" : "fail, drop, flag or impute")
                              : expectation_is_statistical(k->kind) ? "fail or flag"
                              : k->kind == EXPECT_RANGE ? "fail, drop, clamp, flag or impute"
                              : k->kind == EXPECT_MAX_FUTURE ? "fail, drop, clamp, flag or impute"
                              : (k->kind == EXPECT_ORDERED || k->kind == EXPECT_MAX_GAP ||
                                 k->kind == EXPECT_EXPR || k->kind == EXPECT_UNIQUE)
                                  ? "fail, drop or flag"
                                  : "fail, drop, flag or impute";
        diag_error(c->sources, DIAG_INVALID_POLICY, policy->span, "%s cannot take policy %s (it takes %s)", what,
                   policy_kind_name(policy->kind), allowed);
        return false;
    }
    if (k->policy == POLICY_IMPUTE)
        return check_value(c, &policy->impute, type, "impute value", false, &k->impute);
    return true;
}

/* One written expectation of field (or of the row when field < 0) into k. */
static bool check_expectation(checker *c, const ast_expectation *e, const ir_source *src,
                              int field, ir_check *k)
{
    memset(k, 0, sizeof *k);
    k->kind = e->kind;
    k->field = field;
    k->span = e->span;
    k->reference = -1;
    k->embedding = -1;
    const char *name = expectation_kind_name(e->kind);
    type_kind type = field >= 0 ? src->fields[field].type : TYPE_BOOL;
    const char *field_name = field >= 0 ? src->fields[field].name : NULL;
    bool time_field = field == src->time_field;
    bool ok = true;
    /* The field types each expectation applies to. */
    bool applies = true;
    const char *needs = NULL;
    switch (e->kind) {
    case EXPECT_RANGE:
        applies = is_numeric(type) || type == TYPE_TIMESTAMP;
        needs = "int64, float64 or timestamp";
        break;
    case EXPECT_IN:
        applies = type == TYPE_INT64 || type == TYPE_STRING || type == TYPE_BOOL;
        needs = "int64, string or bool";
        break;
    case EXPECT_MATCHES:
        applies = type == TYPE_STRING;
        needs = "string";
        break;
    case EXPECT_MAX_FUTURE: case EXPECT_ORDERED: case EXPECT_MAX_GAP:
        applies = type == TYPE_TIMESTAMP;
        needs = "timestamp";
        break;
    case EXPECT_MEAN: case EXPECT_STDDEV:
        applies = is_numeric(type);
        needs = "int64 or float64";
        break;
    case EXPECT_DISTINCT:
        applies = type != TYPE_FLOAT64;
        needs = "int64, string, bool or timestamp";
        break;
    default:
        break;
    }
    if (!applies) {
        diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->span, "%s applies to %s fields; '%s' is %s", name, needs,
                   field_name, type_name(type));
        return false;
    }
    switch (e->kind) {
    case EXPECT_NOT_NULL:
        k->text = "not_null";
        break;
    case EXPECT_ORDERED:
        k->text = "ordered";
        break;
    case EXPECT_RANGE:
        k->values = arena_alloc(c->arena, sizeof(ir_literal) * 2);
        k->nvalues = 2;
        ok = check_value(c, &e->values[0], type, "bound", true, &k->values[0]) &
             check_value(c, &e->values[1], type, "bound", true, &k->values[1]);
        if (ok && k->values[0].type != TYPE_NULL && k->values[1].type != TYPE_NULL &&
            (type == TYPE_FLOAT64 ? k->values[0].float_value > k->values[1].float_value
                                  : k->values[0].int_value > k->values[1].int_value)) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span, "range is empty: the low bound is above the high bound");
            ok = false;
        }
        if (ok && k->values[0].type == TYPE_NULL && k->values[1].type == TYPE_NULL) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span, "range needs at least one bound");
            ok = false;
        }
        if (ok)
            k->text = arena_printf(c->arena, "range %s", literal_list_text(c, k->values, 2, "[", "]"));
        break;
    case EXPECT_IN:
        k->values = arena_alloc(c->arena, sizeof(ir_literal) * (size_t)e->nvalues);
        k->nvalues = e->nvalues;
        for (int i = 0; i < e->nvalues; i++)
            ok &= check_value(c, &e->values[i], type, "value", false, &k->values[i]);
        if (ok)
            k->text = arena_printf(c->arena, "in %s", literal_list_text(c, k->values, k->nvalues, "[", "]"));
        break;
    case EXPECT_MATCHES: {
        const ast_value *v = &e->values[0];
        if (v->is_null || v->length == 0 || strlen(v->text) != v->length) {
            diag_error(c->sources, DIAG_INVALID_REGEX, v->span, "matches needs a regular expression (not empty, no NUL)");
            return false;
        }
        size_t at;
        const char *why = fdl_regex_bound(v->text, v->length, &at);
        if (why) {  /* before regcomp: past the bounds it may take seconds */
            diag_error(c->sources, DIAG_INVALID_REGEX, v->span, "regular expression refused: %s (at byte %zu of the pattern)",
                       why, at + 1);
            return false;
        }
        regex_t compiled;
        int status = regcomp(&compiled, v->text, REG_EXTENDED | REG_NOSUB);
        if (status != 0) {
            char message[256];
            regerror(status, &compiled, message, sizeof message);
            diag_error(c->sources, DIAG_INVALID_REGEX, v->span, "invalid regular expression: %s", message);
            return false;
        }
        regfree(&compiled);
        k->pattern = v->text;
        ir_literal literal = {.type = TYPE_STRING, .string = v->text, .length = (int32_t)v->length};
        k->text = arena_printf(c->arena, "matches %s", ir_literal_text(c->arena, &literal));
        break;
    }
    case EXPECT_MAX_FUTURE:
    case EXPECT_MAX_GAP:
        k->seconds = e->seconds;
        k->text = arena_printf(c->arena, "%s %s", name, window_text(c->arena, e->seconds));
        break;
    case EXPECT_EXISTS_IN:
        ok = check_exists_in(c, e, src, type, k);
        break;
    case EXPECT_MEAN:
    case EXPECT_STDDEV:
    case EXPECT_DISTINCT:
        ok = check_bound(c, &e->values[0], "bound", &k->has_low, &k->low) &
             check_bound(c, &e->values[1], "bound", &k->has_high, &k->high);
        if (ok && !k->has_low && !k->has_high) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span, "%s needs at least one bound", name);
            ok = false;
        } else if (ok && k->has_low && k->has_high && k->low > k->high) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span, "%s is empty: the low bound is above the high bound", name);
            ok = false;
        } else if (ok && ((k->has_low && k->low < 0) || (k->has_high && k->high < 0)) &&
                   e->kind != EXPECT_MEAN) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span, "%s bounds cannot be negative", name);
            ok = false;
        } else if (ok && e->kind == EXPECT_DISTINCT &&
                   ((k->has_low && k->low != floor(k->low)) || (k->has_high && k->high != floor(k->high)))) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->argument_span, "distinct counts values: its bounds are whole numbers");
            ok = false;
        }
        if (ok)
            k->text = arena_printf(c->arena, "%s [%s, %s]", name, bound_text(c, k->has_low, k->low),
                                   bound_text(c, k->has_high, k->high));
        break;
    case EXPECT_NULL_RATIO:
        ok = check_bound(c, &e->values[0], "null ratio", &k->has_high, &k->high);
        if (ok && (!k->has_high || k->high < 0 || k->high > 1)) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, e->values[0].span, "null_ratio is a maximum between 0 and 1");
            ok = false;
        }
        if (ok)
            k->text = arena_printf(c->arena, "null_ratio %s", bound_text(c, true, k->high));
        break;
    case EXPECT_EXPR: {
        if (!e->expr)
            return false;
        expr_scope scope = {src, src->name, NULL, "an expectation", false};
        ast_type t = check_expr(c, &scope, e->expr);
        if (t.kind == TYPE_ERROR)
            return false;
        if (t.kind != TYPE_BOOL) {
            diag_error(c->sources, DIAG_OPERAND_TYPE, e->expr->span, "an expectation's expr must be a bool expression, not %s",
                       describe_type(c->arena, t));
            return false;
        }
        k->expr = e->expr;
        k->text = arena_printf(c->arena, "expr %s", ir_expr_text(c->arena, e->expr));
        break;
    }
    case EXPECT_UNIQUE:
        k->fields = arena_alloc(c->arena, sizeof(int) * (size_t)e->nfields);
        k->nfields = e->nfields;
        k->text = "unique (";
        for (int i = 0; i < e->nfields; i++) {
            k->fields[i] = -1;
            if (!e->fields[i].text) {   /* not a name: the front end said so */
                ok = false;
                continue;
            }
            for (int f = 0; f < src->nfields; f++)
                if (strcmp(src->fields[f].name, e->fields[i].text) == 0)
                    k->fields[i] = f;
            if (k->fields[i] < 0) {
                unknown_field(c, e->fields[i].span, src, e->fields[i].text);
                ok = false;
                continue;
            }
            for (int j = 0; j < i; j++)
                if (k->fields[j] == k->fields[i]) {
                    diag_error(c->sources, DIAG_DUPLICATE_DEFINITION, e->fields[i].span, "field '%s' is listed twice", e->fields[i].text);
                    ok = false;
                }
            k->text = arena_printf(c->arena, "%s%s%s", k->text, i ? ", " : "", src->fields[k->fields[i]].name);
        }
        k->text = arena_printf(c->arena, "%s)", k->text);
        break;
    case EXPECT_KIND_COUNT:
        return false;
    }
    ok &= check_policy(c, &e->policy, type, time_field, name, k);
    return ok;
}

/* The order checks run in: see ir_check. */
static int check_phase(const ir_check *k)
{
    if (k->invalid)
        return 0;
    if (expectation_is_statistical(k->kind))
        return 5;
    switch (k->kind) {
    case EXPECT_EXPR: return 2;
    case EXPECT_EXISTS_IN: return 3;
    case EXPECT_UNIQUE: return 4;
    default: return 1;
    }
}

/* Does source s (IR index) reach target through exists_in references? */
static bool references_reach(const ir_program *ir, int s, int target, int depth)
{
    if (depth > ir->nsources)
        return false;
    const ir_source *src = &ir->sources[s];
    for (int k = 0; k < src->nchecks; k++) {
        int ref = src->checks[k].reference;
        if (ref < 0 || ir->references[ref].source == s)
            continue;
        int next = ir->references[ref].source;
        if (next == target || references_reach(ir, next, target, depth + 1))
            return true;
    }
    return false;
}

static void check_source_expectations(checker *c)
{
    ast_program *p = c->ast;
    for (int i = 0; i < p->nsources; i++) {
        if (c->source_ir[i] < 0)
            continue;
        const ast_source *as = &p->sources[i];
        ir_source *src = &c->ir->sources[c->source_ir[i]];
        int extra = src->nfields - as->nfields;   /* 1 when the time column was added */
        int written = as->nexpects;
        for (int f = 0; f < as->nfields; f++)
            written += as->fields[f].nexpects;
        ir_check *checks = arena_alloc(c->arena, sizeof(ir_check) * (size_t)(src->nfields + written + 1));
        int n = 0;
        src->has_expectations = written > 0 || as->sla.written;
        for (int f = 0; f < src->nfields; f++) {
            ir_check *k = &checks[n++];
            memset(k, 0, sizeof *k);
            k->invalid = true;
            k->field = f;
            k->reference = k->embedding = -1;
            k->text = arena_printf(c->arena, "valid %s", type_name(src->fields[f].type));
            k->policy = POLICY_FAIL;
            if (f >= extra) {
                const ast_field *af = &as->fields[f - extra];
                k->span = af->name.span;
                if (af->on_invalid.kind != POLICY_DEFAULT) {
                    src->has_expectations = true;
                    check_policy(c, &af->on_invalid, src->fields[f].type, f == src->time_field,
                                 "on_invalid", k);
                }
            }
        }
        for (int f = 0; f < as->nfields; f++)
            for (int e = 0; e < as->fields[f].nexpects; e++)
                if (check_expectation(c, &as->fields[f].expects[e], src, f + extra, &checks[n]))
                    n++;
        for (int e = 0; e < as->nexpects; e++)
            if (check_expectation(c, &as->expects[e], src, -1, &checks[n]))
                n++;
        /* Stable by phase: written order within each. */
        for (int a = src->nfields + 1; a < n; a++)
            for (int b = a; b > src->nfields && check_phase(&checks[b - 1]) > check_phase(&checks[b]); b--) {
                ir_check t = checks[b];
                checks[b] = checks[b - 1];
                checks[b - 1] = t;
            }
        src->checks = checks;
        src->nchecks = n;

        /* Its duration was checked when read (positive, not too long). */
        src->retention_seconds = as->has_retention ? as->retention_seconds : 0;
        assert(src->retention_seconds >= 0);
        const ast_sla *sla = &as->sla;
        src->sla_pass_rate = -1;
        src->sla_min_rows = -1;
        if (sla->has_pass_rate && (sla->pass_rate < 0 || sla->pass_rate > 1))
            diag_error(c->sources, DIAG_INVALID_SLA, sla->pass_rate_span, "pass_rate is a fraction between 0 and 1");
        else if (sla->has_pass_rate)
            src->sla_pass_rate = sla->pass_rate;
        if (sla->has_min_rows && sla->min_rows < 0)
            diag_error(c->sources, DIAG_INVALID_SLA, sla->min_rows_span, "min_rows cannot be negative");
        else if (sla->has_min_rows)
            src->sla_min_rows = sla->min_rows;
        if (sla->nmax_null_ratio) {
            src->sla_max_null_ratio = arena_alloc(c->arena, sizeof(double) * (size_t)src->nfields);
            for (int f = 0; f < src->nfields; f++)
                src->sla_max_null_ratio[f] = -1;
        }
        for (int l = 0; l < sla->nmax_null_ratio; l++) {
            const ast_null_limit *limit = &sla->max_null_ratio[l];
            int field = -1;
            for (int f = 0; f < src->nfields; f++)
                if (strcmp(src->fields[f].name, limit->field.text) == 0)
                    field = f;
            if (field < 0)
                unknown_field(c, limit->field.span, src, limit->field.text);
            else if (limit->max_ratio < 0 || limit->max_ratio > 1)
                diag_error(c->sources, DIAG_INVALID_SLA, limit->span, "a null ratio is a fraction between 0 and 1");
            else if (src->sla_max_null_ratio[field] >= 0)
                diag_error(c->sources, DIAG_DUPLICATE_DEFINITION, limit->field.span, "field '%s' is listed twice", limit->field.text);
            else
                src->sla_max_null_ratio[field] = limit->max_ratio;
        }
    }
    /* A batch run reads a source after those it looks values up in: no
     * cycles. Each cycle is reported once, naming its sources. */
    const ir_program *ir = c->ir;
    bool *reported = arena_alloc(c->arena, sizeof(bool) * (size_t)(ir->nsources + 1));
    for (int s = 0; s < ir->nsources; s++) {
        if (reported[s] || !references_reach(ir, s, s, 0))
            continue;
        const char *members = ir->sources[s].name;
        reported[s] = true;
        for (int t = 0; t < ir->nsources; t++)
            if (t != s && references_reach(ir, s, t, 0) && references_reach(ir, t, s, 0)) {
                members = arena_printf(c->arena, "%s, %s", members, ir->sources[t].name);
                reported[t] = true;
            }
        diag_error(c->sources, DIAG_DEPENDENCY_CYCLE, ir->sources[s].span,
                   "sources %s look values up in each other (exists_in); a batch run reads a "
                   "referenced source first, so references cannot go round", members);
    }
}

/* Window spelling for definitions and comments: 30d, 12h, lifetime. */
static const char *window_text(arena *a, int64_t seconds)
{
    if (seconds == 0)
        return "lifetime";
    static const struct { int64_t size; char unit; } units[] = {
        {7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'},
    };
    for (int i = 0; i < 5; i++)
        if (seconds % units[i].size == 0)
            return arena_printf(a, "%lld%c", (long long)(seconds / units[i].size), units[i].unit);
    return "?";
}

/* "first_k, last_k, ... and min_k": the aggregations whose parameter is
 * `param`, in table order (stdlib/aggregations.def), for messages. */
static const char *functions_taking(agg_param param)
{
    static char text[256];
    size_t used = 0;
    int n = 0, count = 0;
    for (int fn = 0; fn < AGG_FUNCTION_COUNT; fn++)
        count += agg_info_of((agg_function)fn)->param == param;
    for (int fn = 0; fn < AGG_FUNCTION_COUNT; fn++) {
        if (agg_info_of((agg_function)fn)->param != param)
            continue;
        const char *separator = n == 0 ? "" : n == count - 1 ? " and " : ", ";
        int w = snprintf(text + used, sizeof text - used, "%s%s", separator,
                         agg_function_name((agg_function)fn));
        if (w < 0 || (size_t)w >= sizeof text - used)
            break;
        used += (size_t)w;
        n++;
    }
    return text;
}

/* The aggregations that take `percentile: P` (stdlib/aggregations.def). */
#define IS_PERCENTILE(fn) (agg_info_of(fn)->param == AGG_PARAM_PERCENTILE)

/* Result type of an aggregation over a value type (TYPE_NULL: no field);
 * TYPE_ERROR if it does not take that type. From its row of the table. */
static type_kind agg_result(agg_function fn, type_kind value)
{
    const agg_info *info = agg_info_of(fn);
    switch (info->values) {
    case AGG_VALUES_ANY: break;
    case AGG_VALUES_NUMBER:
        if (!is_numeric(value))
            return TYPE_ERROR;
        break;
    case AGG_VALUES_SCALAR:
        if (value == TYPE_VECTOR || value == TYPE_NULL)
            return TYPE_ERROR;
        break;
    }
    switch (info->result) {
    case AGG_RESULT_INT64: return TYPE_INT64;
    case AGG_RESULT_FLOAT64: return TYPE_FLOAT64;
    case AGG_RESULT_STRING: return TYPE_STRING;
    case AGG_RESULT_VECTOR: return TYPE_VECTOR;
    case AGG_RESULT_VALUE: return value;
    }
    return TYPE_ERROR;
}

/* The same percentile, or the same list of them (in the same order). */
static bool same_percentiles(const ir_agg *a, const ir_agg *b)
{
    if (a->percentile != b->percentile || a->npercentiles != b->npercentiles)
        return false;
    for (int i = 0; i < a->npercentiles; i++)
        if (a->percentiles[i] != b->percentiles[i])
            return false;
    return true;
}

/* Adds (or finds) the group and aggregation a feature reads. */
static void place_aggregation(checker *c, ir_feature *f, int entity, int source, int *key_fields,
                              expr *where, int field, int by_field, const ir_agg *spec)
{
    agg_function fn = spec->function;
    int64_t window = spec->window_seconds;
    ir_program *ir = c->ir;
    const char *where_text = where ? ir_expr_text(c->arena, where) : "";
    int g = 0;
    for (; g < ir->ngroups; g++) {
        ir_group *grp = &ir->groups[g];
        if (grp->entity == entity && grp->source == source && grp->field == field &&
            grp->by_field == by_field && strcmp(grp->where_text, where_text) == 0 &&
            grp->hop_seconds == spec->hop_seconds)
            break;
    }
    if (g == ir->ngroups) {
        ir_group *grp = &ir->groups[ir->ngroups++];
        grp->entity = entity;
        grp->source = source;
        grp->key_field = key_fields[0];
        grp->key_fields = key_fields;
        grp->where = where;
        grp->where_text = where_text;
        grp->field = field;
        grp->value_type = field < 0 ? TYPE_NULL : ir->sources[source].fields[field].type;
        /* min_by/max_by events carry a second value: a group of their own */
        grp->by_field = by_field;
        grp->by_type = by_field < 0 ? TYPE_NULL : ir->sources[source].fields[by_field].type;
        grp->hop_seconds = spec->hop_seconds;   /* hopped groups keep tiles, not events */
    }
    ir_group *grp = &ir->groups[g];
    int a = 0;
    for (; a < grp->naggs; a++)
        if (grp->aggs[a].function == fn && grp->aggs[a].window_seconds == window &&
            grp->aggs[a].k == spec->k && same_percentiles(&grp->aggs[a], spec))
            break;
    if (a == grp->naggs) {
        if (grp->naggs == grp->capaggs) {
            int cap = grp->capaggs ? grp->capaggs * 2 : 4;
            grp->aggs = arena_grow(c->arena, grp->aggs, sizeof(ir_agg) * (size_t)grp->naggs,
                                   sizeof(ir_agg) * (size_t)cap);
            grp->capaggs = cap;
        }
        grp->aggs[a] = *spec;
        grp->naggs++;
    }
    f->group = g;
    f->agg = a;
}

/* Most tiles a hopped window may span (memory per entity and group). */
enum { HOP_TILES_MAX = 10000 };

/*
 * hop: H. A hopped window is a whole number of tiles of H (see
 * docs/language.md, "Hopped windows"), so H must divide a finite window,
 * and the function must have a partial state per tile that merges exactly.
 */
static bool check_hop(checker *c, const ast_aggregation *agg, agg_function fn)
{
    if (!agg->has_hop)
        return false;                   /* malformed: reported */
    const char *hop = window_text(c->arena, agg->hop_seconds);
    bool ok = true;
    /* Only a function with a per-tile state that merges exactly (its row's
     * HOP flag, which the runtime's plans read too). */
    if (!(agg_info_of(fn)->flags & AGG_FLAG_HOP)) {
        diag_error(c->sources, DIAG_INVALID_HOP, agg->hop_span, "%s cannot use hop: (%s)", agg_function_name(fn),
                   agg_info_of(fn)->no_hop);
        ok = false;
    }
    if (!agg->has_window)
        return ok;                      /* the missing or malformed window is reported */
    if (agg->lifetime) {
        diag_error(c->sources, DIAG_INVALID_HOP, agg->hop_span,
                   "hop needs a finite window: a lifetime aggregation keeps one running state and "
                   "has nothing to tile");
        return false;
    }
    const char *window = window_text(c->arena, agg->window_seconds);
    if (agg->hop_seconds > agg->window_seconds) {
        diag_error(c->sources, DIAG_INVALID_HOP, agg->hop_span, "hop %s is longer than the window %s", hop, window);
        return false;
    }
    if (agg->window_seconds % agg->hop_seconds != 0) {
        diag_error(c->sources, DIAG_INVALID_HOP, agg->hop_span,
                   "hop %s does not divide the window %s: a hopped window is a whole number of "
                   "tiles", hop, window);
        return false;
    }
    int64_t tiles = agg->window_seconds / agg->hop_seconds;
    if (tiles > HOP_TILES_MAX) {
        diag_error(c->sources, DIAG_INVALID_HOP, agg->hop_span,
                   "window %s with hop %s spans %lld tiles; at most %d (take a longer hop)", window,
                   hop, (long long)tiles, HOP_TILES_MAX);
        return false;
    }
    return ok;
}

static bool check_aggregation(checker *c, const ast_feature *af, ir_feature *f)
{
    const ast_aggregation *agg = &af->aggregation;
    ast_program *p = c->ast;
    bool ok = true;
    agg_function fn = AGG_COUNT;
    if (agg->function.text && !agg_function_parse(agg->function.text, &fn)) {
        unknown_name(c, agg->function.span, "aggregation function", agg->function.text,
                     (const char **)agg_function_names, AGG_FUNCTION_COUNT);
        ok = false;
    }
    /* k: for the K functions only; percentile: for the PERCENTILE ones. */
    bool wants_k = agg_info_of(fn)->param == AGG_PARAM_K;
    if (agg->k_written && !agg->has_k) {
        ok = false;   /* not an integer: reported */
    } else if (ok && wants_k && !agg->has_k) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->function.span, "%s needs k: how many values it keeps",
                   agg_function_name(fn));
        ok = false;
    } else if (ok && !wants_k && agg->has_k) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->k_span, "'k' is for %s, not %s",
                   functions_taking(AGG_PARAM_K), agg_function_name(fn));
        ok = false;
    } else if (ok && wants_k && (agg->k < 1 || agg->k > 100000)) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->k_span, "k must be between 1 and 100000, not %lld",
                   (long long)agg->k);
        ok = false;
    }
    enum { PERCENTILES_MAX = 64 };
    if (agg->percentile_written && !agg->has_percentile) {
        ok = false;   /* not a number: reported */
    } else if (ok && IS_PERCENTILE(fn) && agg->percentile_list &&
               (agg->npercentiles < 1 || agg->npercentiles > PERCENTILES_MAX)) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->percentile_span,
                   agg->npercentiles < 1 ? "the list of percentiles is empty: give at least one"
                                         : "at most %d percentiles in one list, not %d",
                   PERCENTILES_MAX, agg->npercentiles);
        ok = false;
    } else if (ok && IS_PERCENTILE(fn) && agg->percentile_list) {
        for (int i = 0; i < agg->npercentiles; i++)
            if (!(agg->percentiles[i] >= 0 && agg->percentiles[i] <= 1)) {
                diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->percentile_spans[i], "percentile must be between 0 and 1");
                ok = false;
            }
    } else if (ok && IS_PERCENTILE(fn) && !agg->has_percentile) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->function.span,
                   "%s needs the percentile: a number between 0 and 1 (0.5 is the median)",
                   agg_function_name(fn));
        ok = false;
    } else if (ok && !IS_PERCENTILE(fn) && agg->has_percentile) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->percentile_span, "'percentile' is for percentile and approx_percentile, not %s",
                   agg_function_name(fn));
        ok = false;
    } else if (ok && IS_PERCENTILE(fn) && !(agg->percentile >= 0 && agg->percentile <= 1)) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->percentile_span, "percentile must be between 0 and 1");
        ok = false;
    }
    /* by: for min_by and max_by only */
    bool wants_by = agg_info_of(fn)->param == AGG_PARAM_BY;
    if (agg->by_written && !agg->by.text) {
        ok = false;   /* not a name: reported */
    } else if (ok && wants_by && !agg->by.text) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->function.span,
                   "%s needs by: the field whose %s value picks the event (YAML: 'by: FIELD', "
                   ".fdl: %s(SOURCE.FIELD, BY))", agg_function_name(fn),
                   fn == AGG_MIN_BY ? "smallest" : "largest", agg_function_name(fn));
        ok = false;
    } else if (ok && !wants_by && agg->by.text) {
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->by.span, "'by' is for min_by and max_by, not %s",
                   agg_function_name(fn));
        ok = false;
    }
    if (!agg->function.text || !agg->source.text)
        return false;
    if ((agg_info_of(fn)->flags & AGG_FLAG_NO_SLIDING) && agg->has_window && !agg->lifetime &&
        !agg->hop_written) {
        diag_error(c->sources, DIAG_INVALID_HOP, agg->window_span,
                   "approx_count_distinct needs 'window: lifetime' or a hop (a HyperLogLog cannot "
                   "forget events, but one per tile goes with its tile); count_distinct is exact "
                   "over sliding windows");
        ok = false;
    }
    if (agg->hop_written && !check_hop(c, agg, fn))
        ok = false;
    if (!agg->has_window) {
        if (!agg->window_written && ok)
            diag_error(c->sources, DIAG_MISSING_WINDOW, agg->function.span,
                       "aggregation needs a window: add 'window: 30d' (s, m, h, d, w) or "
                       "'window: lifetime'");
        ok = false;
    }
    if (f->nentities != 1) {
        diag_error(c->sources, DIAG_ENTITY_MISMATCH, af->entities_span,
                   "an aggregation belongs to exactly one entity (it groups events by that "
                   "entity's key)");
        return false;
    }
    int source = find_source(c, agg->source.text);
    if (source < 0) {
        unknown_name(c, agg->source.span, "source", agg->source.text,
                     NAMES(c, p->sources, p->nsources), p->nsources);
        return false;
    }
    if (c->source_ir[source] < 0)
        return false;
    const ir_source *src = &c->ir->sources[c->source_ir[source]];
    int field = -1;
    if (agg->field.text) {
        for (int i = 0; i < src->nfields; i++)
            if (strcmp(src->fields[i].name, agg->field.text) == 0)
                field = i;
        if (field < 0) {
            unknown_field(c, agg->field.span, src, agg->field.text);
            return false;
        }
    } else if (ok && agg_info_of(fn)->values != AGG_VALUES_ANY) {
        diag_error(c->sources, DIAG_AGGREGATION_TYPE, agg->source_span,
                   "%s needs a field to aggregate: write '%s.FIELD'", agg_function_name(fn),
                   agg->source.text);
        return false;
    }
    int by_field = -1;
    if (ok && wants_by && agg->by.text) {
        for (int i = 0; i < src->nfields; i++)
            if (strcmp(src->fields[i].name, agg->by.text) == 0)
                by_field = i;
        if (by_field < 0) {
            unknown_field(c, agg->by.span, src, agg->by.text);
            return false;
        }
        type_kind by_type = src->fields[by_field].type;
        if (by_type != TYPE_INT64 && by_type != TYPE_FLOAT64 && by_type != TYPE_TIMESTAMP &&
            by_type != TYPE_BOOL) {
            diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, agg->by.span,
                       "%s orders the events by an int64, float64, timestamp or bool field; "
                       "'%s' is %s", agg_function_name(fn), agg->by.text, type_name(by_type));
            ok = false;
        }
    }
    type_kind value = field < 0 ? TYPE_NULL : src->fields[field].type;
    type_kind result = agg_result(fn, value);
    bool percentile_list = IS_PERCENTILE(fn) && agg->percentile_list;
    if (percentile_list && result != TYPE_ERROR)
        result = TYPE_VECTOR;           /* one float64 per listed percentile */
    if (ok && result == TYPE_ERROR) {
        diag_error(c->sources, DIAG_AGGREGATION_TYPE, agg->function.span, "%s cannot aggregate %s field '%s'%s",
                   agg_function_name(fn), type_name(value), agg->field.text,
                   agg_info_of(fn)->values == AGG_VALUES_NUMBER ? " (it needs int64 or float64)"
                       : "");
        ok = false;
    }
    /* The source must carry each of the entity's key columns, with matching types. */
    const ir_entity *entity = &c->ir->entities[f->entities[0]];
    int *key_fields = arena_alloc(c->arena, sizeof(int) * (size_t)(entity->nkeys + 1));
    for (int k = 0; k < entity->nkeys && ok; k++) {
        const char *column = entity->join_keys[k];
        key_fields[k] = -1;
        for (int i = 0; i < src->nfields; i++)
            if (strcmp(src->fields[i].name, column) == 0)
                key_fields[k] = i;
        if (key_fields[k] < 0) {
            diag_error(c->sources, DIAG_SOURCE_ENTITY, agg->source.span,
                       "source '%s' has no field '%s', %s of entity '%s'", src->name, column,
                       entity->nkeys == 1 ? "the join key" : "a join key", entity->name);
            diag_note(c->sources, src->span, "source '%s' is defined here", src->name);
            ok = false;
        } else if (src->fields[key_fields[k]].type != entity->key_types[k]) {
            diag_error(c->sources, DIAG_SOURCE_ENTITY, agg->source.span,
                       "field '%s' of source '%s' is %s, but entity '%s' has %s keys%s", column,
                       src->name, type_name(src->fields[key_fields[k]].type), entity->name,
                       type_name(entity->key_types[k]), entity->nkeys > 1 ? " in that column" : "");
            diag_note(c->sources, entity->span, "entity '%s' is defined here", entity->name);
            ok = false;
        }
    }
    if (agg->where) {
        expr_scope scope = {src, src->name, NULL, "a where filter", false};
        ast_type t = check_expr(c, &scope, agg->where);
        if (t.kind != TYPE_ERROR && t.kind != TYPE_BOOL) {
            diag_error(c->sources, DIAG_OPERAND_TYPE, agg->where->span, "where must be a bool expression, not %s",
                       describe_type(c->arena, t));
            ok = false;
        } else if (t.kind == TYPE_ERROR) {
            ok = false;
        }
    } else if (agg->where_written) {
        ok = false;  /* the expression did not parse; already reported */
    }
    if (!ok)
        return false;
    int64_t window = agg->lifetime ? 0 : agg->window_seconds;
    f->kind = IR_AGGREGATE;
    f->type = make_type(result);
    if (percentile_list)
        f->type.dim = agg->npercentiles;
    ir_agg spec = {fn, window, result, wants_k ? agg->k : 0,
                   IS_PERCENTILE(fn) && !percentile_list ? agg->percentile : 0,
                   percentile_list ? agg->percentiles : NULL, percentile_list ? agg->npercentiles : 0,
                   agg->hop_seconds};
    place_aggregation(c, f, f->entities[0], c->source_ir[source], key_fields, agg->where, field,
                      by_field, &spec);
    const char *of = field < 0 ? src->name : arena_printf(c->arena, "%s.%s", src->name, agg->field.text);
    const char *parameter = "";
    if (wants_k)
        parameter = arena_printf(c->arena, ", k=%lld", (long long)agg->k);
    if (IS_PERCENTILE(fn) && !percentile_list) {
        char number[40];
        ir_format_double(agg->percentile, number, sizeof number);
        parameter = arena_printf(c->arena, ", p=%s", number);
    }
    if (percentile_list) {
        parameter = ", p=[";
        for (int i = 0; i < agg->npercentiles; i++) {
            char number[40];
            ir_format_double(agg->percentiles[i], number, sizeof number);
            parameter = arena_printf(c->arena, "%s%s%s", parameter, i ? "," : "", number);
        }
        parameter = arena_printf(c->arena, "%s]", parameter);
    }
    if (wants_by)
        parameter = arena_printf(c->arena, ", by=%s", agg->by.text);
    f->definition = arena_printf(c->arena, "%s(%s%s%s%s) over %s", agg_function_name(fn), of, parameter,
                                 agg->where ? " where " : "", agg->where ? c->ir->groups[f->group].where_text : "",
                                 window_text(c->arena, window));
    if (spec.hop_seconds)
        f->definition = arena_printf(c->arena, "%s hop %s", f->definition,
                                     window_text(c->arena, spec.hop_seconds));
    return true;
}

static bool check_feature(checker *c, int index);

/* An argument ENTITY.FEATURE of a computation: resolves and checks it. */
static int check_argument(checker *c, const ast_feature *af, const ir_feature *f,
                          const ast_qualified *arg, int *slot)
{
    ast_program *p = c->ast;
    int target = find_feature(c, arg->feature.text);
    if (target < 0) {
        unknown_name(c, arg->feature.span, "feature", arg->feature.text,
                     NAMES(c, p->features, p->nfeatures), p->nfeatures);
        return -1;
    }
    if (!check_feature(c, target))
        return -1;   /* reported at its definition */
    const ir_feature *t = &c->ir->features[c->feature_ir[target]];
    if (t->nentities != 1) {
        diag_error(c->sources, DIAG_COMPUTATION_ARGUMENT, arg->span, "'%s' belongs to several entities; an argument must be "
                   "a feature of one entity", arg->feature.text);
        return -1;
    }
    const char *entity_name = c->ir->entities[t->entities[0]].name;
    if (arg->entity.text && strcmp(arg->entity.text, entity_name) != 0) {
        diag_error(c->sources, DIAG_ENTITY_MISMATCH, arg->entity.span, "feature '%s' belongs to entity '%s', not '%s'",
                   arg->feature.text, entity_name, arg->entity.text);
        diag_note(c->sources, t->ast->name.span, "'%s' is defined here", arg->feature.text);
        return -1;
    }
    *slot = -1;
    for (int i = 0; i < f->nentities; i++)
        if (f->entities[i] == t->entities[0])
            *slot = i;
    if (*slot < 0) {
        diag_error(c->sources, DIAG_ENTITY_MISMATCH, arg->span,
                   "'%s' is a feature of entity '%s', which is not among this feature's entities",
                   arg->feature.text, entity_name);
        return -1;
    }
    (void)af;
    return c->feature_ir[target];
}

static bool check_computation(checker *c, const ast_feature *af, ir_feature *f)
{
    const ast_computation *comp = &af->computation;
    ast_program *p = c->ast;
    if (!comp->function.text)
        return false;
    if (strcmp(comp->function.text, "lookup_embedding") == 0) {
        if (!comp->model.text) {
            diag_error(c->sources, DIAG_EMBEDDING, comp->function.span, "lookup_embedding needs a model: the embedding table it looks the key up in");
            return false;
        }
        if (comp->nargs) {
            diag_error(c->sources, DIAG_EMBEDDING, comp->args_span, "lookup_embedding takes no args");
            return false;
        }
        int e = find_embedding(c, comp->model.text);
        if (e < 0) {
            unknown_name(c, comp->model.span, "embedding model", comp->model.text,
                         NAMES(c, p->embeddings, p->nembeddings), p->nembeddings);
            return false;
        }
        if (c->embedding_ir[e] < 0)
            return false;
        const ir_embedding *emb = &c->ir->embeddings[c->embedding_ir[e]];
        bool ok = true;
        if (f->nentities != 1 || f->entities[0] != emb->entity) {
            diag_error(c->sources, DIAG_EMBEDDING, comp->model.span,
                       "embedding '%s' is keyed by entity '%s'; the feature must have exactly that "
                       "entity", emb->name, c->ir->entities[emb->entity].name);
            ok = false;
        }
        if (comp->dimension && comp->dimension != emb->dimension) {
            diag_error(c->sources, DIAG_EMBEDDING, comp->dimension_span,
                       "dimension %lld does not match embedding '%s', which has dimension %d",
                       (long long)comp->dimension, emb->name, emb->dimension);
            diag_note(c->sources, p->embeddings[e].dimension_span, "its dimension is declared here");
            ok = false;
        }
        if (!ok)
            return false;
        f->kind = IR_LOOKUP_EMBEDDING;
        f->embedding = c->embedding_ir[e];
        f->type.kind = TYPE_VECTOR;
        f->type.dim = emb->dimension;
        f->definition = arena_printf(c->arena, "lookup_embedding(%s)", emb->name);
        return true;
    }
    if (strcmp(comp->function.text, "cosine_similarity") == 0) {
        if (comp->model.text || comp->dimension_written) {
            diag_error(c->sources, DIAG_COMPUTATION_ARGUMENT, comp->model.text ? comp->model.span : comp->dimension_span,
                       "cosine_similarity takes only 'args'");
            return false;
        }
        if (comp->nargs != 2) {
            diag_error(c->sources, DIAG_COMPUTATION_ARGUMENT, comp->args ? comp->args_span : comp->function.span,
                       "cosine_similarity takes exactly 2 args (ENTITY.FEATURE), not %d", comp->nargs);
            return false;
        }
        bool ok = true;
        for (int i = 0; i < 2; i++) {
            f->args[i] = check_argument(c, af, f, &comp->args[i], &f->arg_slots[i]);
            if (f->args[i] < 0) {
                ok = false;
                continue;
            }
            const ir_feature *arg = &c->ir->features[f->args[i]];
            if (arg->type.kind != TYPE_VECTOR) {
                diag_error(c->sources, DIAG_COMPUTATION_ARGUMENT, comp->args[i].span,
                           "cosine_similarity needs float64_vector arguments; '%s' is %s",
                           arg->name, describe_type(c->arena, arg->type));
                ok = false;
            }
        }
        if (!ok)
            return false;
        const ir_feature *a = &c->ir->features[f->args[0]], *b = &c->ir->features[f->args[1]];
        if (a->type.dim != b->type.dim) {
            diag_error(c->sources, DIAG_COMPUTATION_ARGUMENT, comp->args_span,
                       "cosine_similarity of vectors of different dimensions: '%s' has %d, '%s' has %d",
                       a->name, a->type.dim, b->name, b->type.dim);
            return false;
        }
        f->kind = IR_COSINE_SIMILARITY;
        f->type = make_type(TYPE_FLOAT64);
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < c->ir->features[f->args[i]].nrequests; k++)
                add_request(c, f, c->ir->features[f->args[i]].requests[k]);
        f->definition = arena_printf(c->arena, "cosine_similarity(%s.%s, %s.%s)",
                                     c->ir->entities[a->entities[0]].name, a->name,
                                     c->ir->entities[b->entities[0]].name, b->name);
        return true;
    }
    static const char *known[] = {"lookup_embedding", "cosine_similarity"};
    unknown_name(c, comp->function.span, "computation function", comp->function.text, known, 2);
    return false;
}

/*
 * A feature reached again while it is being checked: the features from its
 * first visit to the top of the stack form a cycle. Reported once, at the
 * feature where the cycle was entered, with a note at every member.
 */
static void report_cycle(checker *c, int index)
{
    int from = c->feature_depth - 1;
    while (from > 0 && c->feature_stack[from] != index)
        from--;
    const char *path = "";
    for (int i = from; i < c->feature_depth; i++)
        path = arena_printf(c->arena, "%s%s -> ", path, c->ast->features[c->feature_stack[i]].name.text);
    path = arena_printf(c->arena, "%s%s", path, c->ast->features[index].name.text);
    const ast_feature *first = &c->ast->features[index];
    if (c->feature_depth - from == 1)
        diag_error(c->sources, DIAG_DEPENDENCY_CYCLE, first->name.span, "feature '%s' reads itself: %s", first->name.text, path);
    else
        diag_error(c->sources, DIAG_DEPENDENCY_CYCLE, first->name.span, "dependency cycle: %s", path);
    for (int i = from + 1; i < c->feature_depth; i++) {
        const ast_feature *member = &c->ast->features[c->feature_stack[i]];
        diag_note(c->sources, member->name.span, "'%s' is defined here", member->name.text);
    }
}

/* The slot of each of target's entities among f's entities; NULL (after an
 * error at where) when one of them is not among f's. */
static int *entity_slots(checker *c, const ir_feature *f, const ir_feature *target, span where)
{
    int *slots = arena_alloc(c->arena, sizeof(int) * (size_t)(target->nentities + 1));
    for (int e = 0; e < target->nentities; e++) {
        slots[e] = -1;
        for (int k = 0; k < f->nentities; k++)
            if (f->entities[k] == target->entities[e])
                slots[e] = k;
        if (slots[e] < 0) {
            const char *mine = "";
            for (int k = 0; k < f->nentities; k++)
                mine = arena_printf(c->arena, "%s%s'%s'", mine, k ? ", " : "",
                                    c->ir->entities[f->entities[k]].name);
            diag_error(c->sources, DIAG_ENTITY_MISMATCH, where,
                       "'%s' needs a key of entity '%s', which is not among this feature's entities (%s)",
                       target->name, c->ir->entities[target->entities[e]].name, mine);
            return NULL;
        }
    }
    return slots;
}

/* A name in a derived feature's expression: FEATURE or ENTITY.FEATURE. */
static ast_type check_feature_name(checker *c, const expr_scope *scope, expr *e)
{
    ast_program *p = c->ast;
    ir_feature *f = scope->feature;
    const char *qualifier = e->as.name.qualifier, *name = e->as.name.name;
    if (qualifier && strcmp(qualifier, "request") == 0) {
        int slot = find_request(c->ir, name);
        if (slot < 0) {
            const char **known = arena_alloc(c->arena, sizeof(char *) * (size_t)(c->ir->nrequests + 1));
            for (int i = 0; i < c->ir->nrequests; i++)
                known[i] = c->ir->requests[i].name;
            const char *close = suggest_closest(name, known, c->ir->nrequests);
            if (close)
                diag_error(c->sources, DIAG_REQUEST_FIELD, e->span, "no feature set declares request field '%s'; did you mean 'request.%s'?",
                           name, close);
            else
                diag_error(c->sources, DIAG_REQUEST_FIELD, e->span,
                           "no feature set declares request field '%s' (declare it among a set's request fields)",
                           name);
            return make_type(TYPE_ERROR);
        }
        e->as.name.is_request = true;
        e->as.name.ref = slot;
        add_request(c, f, slot);
        return make_type(c->ir->requests[slot].type);
    }
    if (qualifier && find_entity(c, qualifier) < 0) {
        unknown_name(c, e->span, "entity", qualifier, NAMES(c, p->entities, p->nentities),
                     p->nentities);
        return make_type(TYPE_ERROR);
    }
    int target = find_feature(c, name);
    if (target < 0) {
        unknown_name(c, e->span, "feature", name, NAMES(c, p->features, p->nfeatures), p->nfeatures);
        return make_type(TYPE_ERROR);
    }
    if (!check_feature(c, target))
        return make_type(TYPE_ERROR);   /* reported at its definition */
    int ir_index = c->feature_ir[target];
    const ir_feature *t = &c->ir->features[ir_index];
    if (qualifier) {
        const char *entity_name = c->ir->entities[t->entities[0]].name;
        if (t->nentities != 1 || strcmp(entity_name, qualifier) != 0) {
            diag_error(c->sources, DIAG_ENTITY_MISMATCH, e->span, "feature '%s' does not belong to entity '%s' alone", name,
                       qualifier);
            diag_note(c->sources, t->ast->name.span, "'%s' is defined here", name);
            return make_type(TYPE_ERROR);
        }
    }
    e->as.name.ref = ir_index;
    for (int i = 0; i < t->nrequests; i++)
        add_request(c, f, t->requests[i]);
    for (int i = 0; i < f->nrefs; i++)
        if (f->refs[i] == ir_index)
            return t->type;
    int *slots = entity_slots(c, f, t, e->span);
    if (!slots)
        return make_type(TYPE_ERROR);
    f->refs = arena_grow(c->arena, f->refs, sizeof(int) * (size_t)f->nrefs,
                         sizeof(int) * (size_t)(f->nrefs + 1));
    f->ref_slots = arena_grow(c->arena, f->ref_slots, sizeof(int *) * (size_t)f->nrefs,
                              sizeof(int *) * (size_t)(f->nrefs + 1));
    f->refs[f->nrefs] = ir_index;
    f->ref_slots[f->nrefs] = slots;
    f->nrefs++;
    return t->type;
}

/* expr: an expression over other features, evaluated when a vector is read. */
static bool check_derived(checker *c, const ast_feature *af, ir_feature *f)
{
    if (!af->expr)
        return false;   /* a syntax error, already reported */
    expr_scope scope = {NULL, NULL, f, "a derived feature", true};
    ast_type t = check_expr(c, &scope, af->expr);
    if (t.kind == TYPE_ERROR)
        return false;
    if (t.kind == TYPE_NULL) {
        diag_error(c->sources, DIAG_ALWAYS_NULL, af->expr->span, "the expression is always null; it has no type");
        return false;
    }
    f->kind = IR_DERIVED;
    f->type = t;
    f->expr = af->expr;
    f->definition = ir_expr_text(c->arena, af->expr);
    return true;
}

/* default: read as a constant of the feature's type. */
/*
 * Reads a literal as written (text, len) as a value of type into out, with
 * the runtime's own parser: a constant reads exactly as a CSV cell would.
 * False when it is not a valid value of that type.
 */
static bool read_literal(type_kind type, const char *text, size_t len, ir_literal *out)
{
    static const fdl_type runtime_types[] = {
        [TYPE_INT64] = FDL_INT64, [TYPE_FLOAT64] = FDL_FLOAT64,
        [TYPE_BOOL] = FDL_BOOL, [TYPE_TIMESTAMP] = FDL_TIMESTAMP,
    };
    memset(out, 0, sizeof *out);
    out->type = type;
    fdl_value v;
    switch (type) {
    case TYPE_STRING:
        out->string = text;
        out->length = (int32_t)len;
        return len <= INT32_MAX;
    case TYPE_INT64:
    case TYPE_FLOAT64:
    case TYPE_BOOL:
    case TYPE_TIMESTAMP:
        if (len == 0 || fdl_parse_value(runtime_types[type], text, len, &v, NULL) != FDL_OK)
            return false;
        out->int_value = type == TYPE_TIMESTAMP ? v.as.t : type == TYPE_INT64 ? v.as.i : 0;
        out->float_value = type == TYPE_FLOAT64 ? v.as.f : 0;
        out->bool_value = type == TYPE_BOOL && v.as.b;
        return true;
    default:
        return false;
    }
}

static bool check_default(checker *c, const ast_feature *af, ir_feature *f)
{
    ir_literal *d = &f->default_value;
    const char *text = af->default_text;
    size_t len = af->default_length;
    switch (f->type.kind) {
    case TYPE_STRING: case TYPE_INT64: case TYPE_FLOAT64: case TYPE_BOOL: case TYPE_TIMESTAMP:
        break;
    default:
        diag_error(c->sources, DIAG_INVALID_DEFAULT, af->default_span, "a %s feature cannot have a default",
                   describe_type(c->arena, f->type));
        return false;
    }
    if (!read_literal(f->type.kind, text, len, d)) {
        diag_error(c->sources, DIAG_INVALID_DEFAULT, af->default_span, "default '%.*s' is not a valid %s (the type of '%s')",
                   (int)(len > 60 ? 60 : len), text, type_name(f->type.kind), f->name);
        return false;
    }
    f->has_default = true;
    return true;
}

/*
 * Checks feature `index` (once), after the features it reads, so that the
 * IR lists features in dependency order. A feature reached again while it
 * is being checked is a cycle.
 */
static bool check_feature(checker *c, int index)
{
    if (c->feature_done[index])
        return c->feature_ir[index] >= 0;
    ast_feature *af = &c->ast->features[index];
    if (c->feature_busy[index]) {
        report_cycle(c, index);
        return false;
    }
    c->feature_busy[index] = true;
    c->feature_ir[index] = -1;
    c->feature_stack[c->feature_depth++] = index;

    ast_program *p = c->ast;
    bool ok = UNIQUE(c, "feature", feature_names, p->features, index) && af->kind != FEATURE_INVALID;
    ir_feature f = {0};
    f.name = af->name.text;
    f.ast = af;
    f.entities = arena_alloc(c->arena, sizeof(int) * (size_t)(af->nentities + 1));
    for (int i = 0; i < af->nentities; i++) {
        const ast_name *en = &af->entities[i];
        int e = find_entity(c, en->text);
        if (e < 0) {
            unknown_name(c, en->span, "entity", en->text, NAMES(c, p->entities, p->nentities),
                         p->nentities);
            ok = false;
            continue;
        }
        if (c->entity_ir[e] < 0) {
            ok = false;
            continue;
        }
        for (int j = 0; j < f.nentities; j++)
            if (f.entities[j] == c->entity_ir[e]) {
                diag_error(c->sources, DIAG_DUPLICATE_DEFINITION, en->span, "entity '%s' is listed twice", en->text);
                ok = false;
            }
        f.entities[f.nentities++] = c->entity_ir[e];
    }
    if (af->nentities == 0)
        ok = false;
    if (ok) {
        switch (af->kind) {
        case FEATURE_AGGREGATION: ok = check_aggregation(c, af, &f); break;
        case FEATURE_COMPUTATION: ok = check_computation(c, af, &f); break;
        case FEATURE_DERIVED: ok = check_derived(c, af, &f); break;
        case FEATURE_INVALID: ok = false; break;
        }
    }
    if (ok && af->has_value_type) {
        bool match = af->value_type.kind == f.type.kind;
        if (!match) {
            diag_error(c->sources, DIAG_TYPE_MISMATCH, af->value_type_span,
                       "value_type %s does not match the type of the definition, %s",
                       type_name(af->value_type.kind), describe_type(c->arena, f.type));
            ok = false;
        }
    }
    c->feature_busy[index] = false;
    c->feature_done[index] = true;
    c->feature_depth--;
    if (ok && af->has_default)
        ok = check_default(c, af, &f);
    if (!ok)
        return false;
    c->feature_ir[index] = c->ir->nfeatures;
    c->ir->features[c->ir->nfeatures++] = f;
    return true;
}

static void check_sets(checker *c)
{
    ast_program *p = c->ast;
    c->ir->sets = arena_alloc(c->arena, sizeof(ir_set) * (size_t)(p->nsets + 1));
    for (int i = 0; i < p->nsets; i++) {
        ast_feature_set *s = &p->sets[i];
        bool ok = UNIQUE(c, "feature set", set_names, p->sets, i) && s->nfeatures > 0;
        ir_set out = {0};
        out.name = s->name.text;
        out.span = s->name.span;
        out.features = arena_alloc(c->arena, sizeof(int) * (size_t)s->nfeatures);
        out.entities = arena_alloc(c->arena, sizeof(int) * (size_t)(c->ir->nentities + 1));
        for (int j = 0; j < s->nfeatures; j++) {
            const ast_name *fn = &s->features[j];
            int f = find_feature(c, fn->text);
            if (f < 0) {
                unknown_name(c, fn->span, "feature", fn->text, NAMES(c, p->features, p->nfeatures),
                             p->nfeatures);
                ok = false;
                continue;
            }
            bool repeated = false;  /* a lint: the second mention is dropped */
            for (int k = 0; k < j && !repeated; k++)
                repeated = strcmp(s->features[k].text, fn->text) == 0;
            if (repeated) {
                diag_warning(c->sources, DIAG_DUPLICATE_IN_SET, fn->span,
                             "feature '%s' appears twice in set '%s'; the second is ignored",
                             fn->text, s->name.text ? s->name.text : "?");
                continue;
            }
            if (c->feature_ir[f] < 0) {
                ok = false;
                continue;
            }
            const ir_feature *feature = &c->ir->features[c->feature_ir[f]];
            for (int r = 0; r < feature->nrequests; r++) {
                const char *field = c->ir->requests[feature->requests[r]].name;
                bool declared = false;
                for (int k = 0; k < s->nrequest; k++)
                    declared |= strcmp(s->request[k].name.text, field) == 0;
                if (!declared) {
                    diag_error(c->sources, DIAG_REQUEST_FIELD, fn->span,
                               "'%s' reads request.%s, which set '%s' does not declare among its request fields",
                               fn->text, field, s->name.text ? s->name.text : "?");
                    ok = false;
                }
            }
            out.features[out.nfeatures++] = c->feature_ir[f];
            for (int e = 0; e < feature->nentities; e++) {
                bool seen = false;
                for (int k = 0; k < out.nentities; k++)
                    seen |= out.entities[k] == feature->entities[e];
                if (!seen)
                    out.entities[out.nentities++] = feature->entities[e];
            }
        }
        out.requests = arena_alloc(c->arena, sizeof(int) * (size_t)(s->nrequest + 1));
        for (int k = 0; k < s->nrequest; k++) {
            int slot = find_request(c->ir, s->request[k].name.text);
            if (slot < 0 || c->ir->requests[slot].type != s->request[k].type)
                ok = false;   /* reported by collect_requests */
            else
                out.requests[out.nrequests++] = slot;
        }
        if (ok)
            c->ir->sets[c->ir->nsets++] = out;
    }
}

bool sema_check(source_set *sources, arena *a, ast_program *ast, ir_program *ir)
{
    int errors_before = sources->errors;
    memset(ir, 0, sizeof *ir);
    checker c = {0};
    c.sources = sources;
    c.arena = a;
    c.ast = ast;
    c.ir = ir;
    c.entity_ir = arena_alloc(a, sizeof(int) * (size_t)(ast->nentities + 1));
    c.source_ir = arena_alloc(a, sizeof(int) * (size_t)(ast->nsources + 1));
    c.embedding_ir = arena_alloc(a, sizeof(int) * (size_t)(ast->nembeddings + 1));
    c.feature_ir = arena_alloc(a, sizeof(int) * (size_t)(ast->nfeatures + 1));
    c.feature_done = arena_alloc(a, sizeof(bool) * (size_t)(ast->nfeatures + 1));
    c.feature_busy = arena_alloc(a, sizeof(bool) * (size_t)(ast->nfeatures + 1));
    c.feature_stack = arena_alloc(a, sizeof(int) * (size_t)(ast->nfeatures + 1));
#define BUILD_INDEX(index, array, count) \
    index_build(a, &c.index, (count) ? &(array)[0].name : NULL, sizeof (array)[0], count)
    BUILD_INDEX(entity_names, ast->entities, ast->nentities);
    BUILD_INDEX(source_names, ast->sources, ast->nsources);
    BUILD_INDEX(embedding_names, ast->embeddings, ast->nembeddings);
    BUILD_INDEX(feature_names, ast->features, ast->nfeatures);
    BUILD_INDEX(set_names, ast->sets, ast->nsets);
#undef BUILD_INDEX
    ir->features = arena_alloc(a, sizeof(ir_feature) * (size_t)(ast->nfeatures + 1));
    ir->groups = arena_alloc(a, sizeof(ir_group) * (size_t)(ast->nfeatures + 1));

    check_entities(&c);
    collect_requests(&c);
    check_sources(&c);
    check_embeddings(&c);
    check_source_expectations(&c);
    for (int i = 0; i < ast->nfeatures; i++)
        check_feature(&c, i);
    check_sets(&c);

    if (sources->errors != errors_before)
        return false;
    ir_compute_fingerprint(a, ir);
    return true;
}
