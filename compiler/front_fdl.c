/*
 * front_fdl.c - the native front end: .fdl definitions -> AST.
 *
 * The grammar (grammar/expr.y in file mode) parses a file and hands over
 * each definition in pieces (front_fdl.h); this file checks the pieces
 * the way front_yaml.c checks YAML keys, with the same messages where the
 * same thing can go wrong (names, types, windows, dimensions, duplicate
 * join keys), and fills the same ast_program fields, so sema, IR and
 * codegen cannot tell which syntax a definition was written in.
 */
#define _POSIX_C_SOURCE 200809L

#include "front_fdl.h"

#include <stdlib.h>
#include <string.h>

#include "expr_parse.h"
#include "suggest.h"

bool front_fdl_read(source_set *sources, arena *a, int file, ast_program *program)
{
    const source_file *f = source_get(sources, file);
    if (!f)
        return false;
    int errors_before = sources->errors;
    fdl_context c = {sources, a, file, program, f->path};
    expr_parse_definitions(sources, a, file, f->text, f->size, &c);
    return sources->errors == errors_before;
}

/* ------------------------------------------------------------ lists */

/* Grows to the next power of two when count reaches one, so appending stays
 * linear without storing a capacity. */
static void *grow(fdl_context *c, void *items, int count, size_t size)
{
    if (count == 0)
        return arena_alloc(c->arena, size);
    if ((count & (count - 1)) == 0)
        return arena_grow(c->arena, items, size * (size_t)count, size * (size_t)count * 2);
    return items;
}

fdl_names fdl_names_append(fdl_context *c, fdl_names list, ast_name item)
{
    list.items = grow(c, list.items, list.count, sizeof *list.items);
    list.items[list.count++] = item;
    return list;
}

fdl_fields fdl_fields_append(fdl_context *c, fdl_fields list, ast_field item)
{
    list.items = grow(c, list.items, list.count, sizeof *list.items);
    list.items[list.count++] = item;
    return list;
}

fdl_args fdl_args_append(fdl_context *c, fdl_args list, fdl_arg item)
{
    list.items = grow(c, list.items, list.count, sizeof *list.items);
    list.items[list.count++] = item;
    return list;
}

#define APPEND(c, list, count, cap) \
    (((count) == (cap) ? ((list) = arena_grow((c)->arena, (list), sizeof *(list) * (size_t)(count), \
                                              sizeof *(list) * (size_t)((cap) = (cap) ? (cap) * 2 : 16))) \
                       : (list)), \
     &(list)[(count)++])

/* ------------------------------------------------------------ pieces */

/* The scanner only makes identifiers; YAML's other limit is the length. */
ast_name fdl_name(fdl_context *c, const char *text, span sp, const char *what)
{
    ast_name name = {NULL, sp};
    if (!text)
        return name;
    if (strlen(text) > 128) {
        diag_error(c->sources, sp,
                   "%s '%.64s' is not a valid name: use letters, digits and '_', starting with a "
                   "letter or '_', at most 128 characters", what, text);
        return name;
    }
    name.text = text;
    return name;
}

/* A type name, with the YAML front end's messages. */
static bool read_type(fdl_context *c, ast_name written, type_kind *out)
{
    if (type_parse(written.text, out))
        return true;
    static const char *names[] = {"int64", "float64", "bool", "string", "timestamp", "float64_vector"};
    const char *close = suggest_closest(written.text, names, 6);
    if (close)
        diag_error(c->sources, written.span, "unknown type '%.64s'; did you mean '%s'?", written.text,
                   close);
    else
        diag_error(c->sources, written.span,
                   "unknown type '%.64s' (types: int64, float64, bool, string, timestamp, "
                   "float64_vector)", written.text);
    return false;
}

ast_field fdl_field(fdl_context *c, ast_name name, ast_name type)
{
    ast_field field = {0};
    field.name = name;
    field.type = TYPE_STRING;
    field.type_span = type.span;
    if (type.text && !read_type(c, type, &field.type))
        field.type = TYPE_ERROR;
    return field;
}

/* Bytes of a string literal as a C string; NULL after reporting a NUL. */
static const char *string_text(fdl_context *c, const expr *string, const char *what)
{
    if (!string || string->kind != EXPR_STRING)
        return NULL;
    if (memchr(string->as.string.bytes, '\0', (size_t)string->as.string.len)) {
        diag_error(c->sources, string->span, "%s contains a NUL character", what);
        return NULL;
    }
    return string->as.string.bytes;
}

const char *fdl_description(fdl_context *c, const expr *string)
{
    return string_text(c, string, "description");
}

ast_name fdl_tag(fdl_context *c, const expr *string)
{
    ast_name tag = {string_text(c, string, "tag"), string->span};
    if (tag.text && !tag.text[0]) {
        diag_error(c->sources, string->span, "tag must not be empty");
        tag.text = NULL;
    }
    return tag;
}

void fdl_clauses_add(fdl_context *c, fdl_clauses *clauses, const fdl_clause *clause)
{
    static const char *const names[FDL_NCLAUSES] = {"description", "tags", "online", "default"};
    if (clauses->given[clause->kind]) {
        diag_error(c->sources, clause->span, "duplicate %s in feature", names[clause->kind]);
        diag_note(c->sources, clauses->clause[clause->kind].span, "first given here");
        return;
    }
    clauses->given[clause->kind] = true;
    clauses->clause[clause->kind] = *clause;
}

/* ------------------------------------------------------------ entities */

void fdl_add_entity(fdl_context *c, span whole, ast_name name, fdl_fields keys, span keys_span,
                    bool composite, const char *description)
{
    ast_program *p = c->program;
    ast_entity *e = APPEND(c, p->entities, p->nentities, p->capentities);
    memset(e, 0, sizeof *e);
    e->span = whole;
    e->name = name;
    e->key_type = TYPE_STRING;
    e->join_keys = arena_alloc(c->arena, sizeof(ast_name) * (size_t)(keys.count + 1));
    e->key_types = arena_alloc(c->arena, sizeof(type_kind) * (size_t)(keys.count + 1));
    for (int i = 0; i < keys.count; i++) {
        const ast_field *key = &keys.items[i];
        if (!key->name.text)
            continue;
        bool repeated = false;
        for (int k = 0; k < e->nkeys; k++)
            repeated |= strcmp(e->join_keys[k].text, key->name.text) == 0;
        if (repeated) {
            diag_error(c->sources, key->name.span, "join key '%s' is listed twice", key->name.text);
            continue;
        }
        type_kind type = key->type;
        if (type != TYPE_STRING && type != TYPE_INT64) {
            if (type != TYPE_ERROR)
                diag_error(c->sources, key->type_span, "%s must be string or int64",
                           composite ? "key type" : "key_type");
            type = TYPE_STRING;
        }
        e->join_keys[e->nkeys] = key->name;
        e->key_types[e->nkeys] = type;
        e->nkeys++;
    }
    /* YAML's key_type_span: the one type, or the list of them. */
    e->key_type_span = composite ? keys_span : keys.count ? keys.items[0].type_span : keys_span;
    if (e->nkeys > 0) {
        e->join_key = e->join_keys[0];
        e->key_type = e->key_types[0];
    }
    e->description = description;
}

/* ------------------------------------------------------------ sources */

void fdl_add_source(fdl_context *c, span whole, ast_name name, ast_name timestamp,
                    fdl_fields fields, const char *description)
{
    ast_program *p = c->program;
    ast_source *s = APPEND(c, p->sources, p->nsources, p->capsources);
    memset(s, 0, sizeof *s);
    s->span = whole;
    s->name = name;
    s->timestamp = timestamp;
    /* As YAML: a field whose name or type is unusable is left out. */
    s->fields = arena_alloc(c->arena, sizeof(ast_field) * (size_t)(fields.count + 1));
    for (int i = 0; i < fields.count; i++)
        if (fields.items[i].name.text && fields.items[i].type != TYPE_ERROR)
            s->fields[s->nfields++] = fields.items[i];
    s->description = description;
}

/* ------------------------------------------------------------ embeddings */

void fdl_add_embedding(fdl_context *c, span whole, ast_name name, ast_name entity,
                       const expr *dimension, span dimension_span, const expr *path,
                       const char *description)
{
    ast_program *p = c->program;
    ast_embedding *e = APPEND(c, p->embeddings, p->nembeddings, p->capembeddings);
    memset(e, 0, sizeof *e);
    e->span = whole;
    e->name = name;
    e->entity = entity;
    e->dimension_span = dimension_span;
    e->dimension = dimension->as.int_value;
    if (e->dimension <= 0 || e->dimension > 65536) {
        diag_error(c->sources, dimension_span, "dimension must be between 1 and 65536");
        e->dimension = 0;
    }
    const char *text = string_text(c, path, "path");
    if (text && !text[0]) {
        diag_error(c->sources, path->span, "path must not be empty");
        text = NULL;
    }
    if (text) {
        e->path_span = path->span;
        e->path = ast_resolve_path(c->arena, c->path, text);
    }
    e->description = description;
}

/* ------------------------------------------------------------ features */

/* window: <N>s|m|h|d|w or lifetime, exactly as front_yaml.c reads it. */
static void read_window(fdl_context *c, ast_name written, ast_aggregation *agg)
{
    agg->window_span = written.span;
    agg->window_written = true;
    ast_read_window(c->sources, written.span, written.text, agg);
}

static bool no_filter(fdl_context *c, const fdl_arg *arg, const char *function)
{
    if (!arg->where_written)
        return true;
    diag_error(c->sources, arg->where_span, "only an aggregation's source takes a 'where' filter, "
                                            "not an argument of %s", function);
    return false;
}

/* A number written in a list: a literal, or a negated one (so that -0.5
 * is reported as out of range rather than as not a number). */
static bool list_number(const expr *e, double *out)
{
    double sign = 1.0;
    if (e && e->kind == EXPR_UNARY && (e->as.unary.op == OP_NEG || e->as.unary.op == OP_PLUS)) {
        sign = e->as.unary.op == OP_NEG ? -1.0 : 1.0;
        e = e->as.unary.operand;
    }
    if (!e || (e->kind != EXPR_INT && e->kind != EXPR_FLOAT))
        return false;
    *out = sign * (e->kind == EXPR_INT ? (double)e->as.int_value : e->as.float_value);
    return true;
}

/* percentile(SOURCE.FIELD, [P, ...]): as YAML's percentile: [P, ...]. */
static void read_percentile_list(fdl_context *c, const fdl_arg *parameter, ast_aggregation *agg)
{
    agg->percentile_span = parameter->span;
    agg->percentile_written = true;
    agg->percentile_list = true;
    agg->has_percentile = true;
    agg->percentiles = arena_alloc(c->arena, sizeof(double) * (size_t)(parameter->nlist + 1));
    agg->percentile_spans = arena_alloc(c->arena, sizeof(span) * (size_t)(parameter->nlist + 1));
    for (int i = 0; i < parameter->nlist; i++) {
        const expr *item = parameter->list[i];
        if (!item) {
            agg->has_percentile = false;    /* a syntax error, reported */
            continue;
        }
        agg->percentile_spans[i] = item->span;
        if (!list_number(item, &agg->percentiles[i])) {
            diag_error(c->sources, item->span, "percentile must be a number");
            agg->has_percentile = false;
        }
    }
    agg->npercentiles = parameter->nlist;
    if (parameter->nlist > 0)
        agg->percentile = agg->percentiles[0];
}

/* FUNCTION(SOURCE[.FIELD] [where FILTER] [, PARAMETER]) over WINDOW */
static void read_aggregation(fdl_context *c, const fdl_body *body, ast_feature *f)
{
    ast_aggregation *agg = &f->aggregation;
    agg->function = body->function;
    const char *function = body->function.text ? body->function.text : "aggregation";
    const fdl_args *args = &body->args;
    if (args->count == 0) {
        diag_error(c->sources, body->args_span.start == body->args_span.end ? body->function.span
                                                                            : body->args_span,
                   "%s() needs a source: %s(SOURCE) or %s(SOURCE.FIELD)", function, function,
                   function);
    } else {
        const fdl_arg *source = &args->items[0];
        if (source->kind != FDL_ARG_REF) {
            diag_error(c->sources, source->span,
                       "the first argument of %s is a source: SOURCE or SOURCE.FIELD", function);
        } else {
            agg->source_span = source->ref_span;
            if (source->qualifier.text) {
                agg->source = fdl_name(c, source->qualifier.text, source->qualifier.span, "source name");
                agg->field = fdl_name(c, source->name.text, source->name.span, "field name");
            } else {
                agg->source = fdl_name(c, source->name.text, source->name.span, "source name");
            }
            agg->where_written = source->where_written;
            agg->where = source->where;
            agg->where_span = source->where_span;
        }
    }
    if (args->count >= 2) {
        /* The parameter: the percentile of percentile(), k of everything else
         * (sema says which functions take a k, as it does for YAML's k:). */
        const fdl_arg *parameter = &args->items[1];
        bool percentile = body->function.text && (strcmp(body->function.text, "percentile") == 0 ||
                                                  strcmp(body->function.text, "approx_percentile") == 0);
        bool by = body->function.text && (strcmp(body->function.text, "min_by") == 0 ||
                                          strcmp(body->function.text, "max_by") == 0);
        const expr *number = parameter->kind == FDL_ARG_NUMBER ? parameter->number : NULL;
        if (by) {
            /* min_by(SOURCE.FIELD, BY): BY a field of the same source, SOURCE.BY allowed */
            agg->by_written = true;
            if (parameter->kind != FDL_ARG_REF) {
                diag_error(c->sources, parameter->span,
                           "the second argument of %s is the field that orders the events: "
                           "%s(SOURCE.FIELD, BY)", function, function);
            } else if (parameter->qualifier.text && agg->source.text &&
                       strcmp(parameter->qualifier.text, agg->source.text) != 0) {
                diag_error(c->sources, parameter->qualifier.span,
                           "the field that orders the events must be of source '%s', not '%s'",
                           agg->source.text, parameter->qualifier.text);
            } else {
                agg->by = fdl_name(c, parameter->name.text, parameter->name.span, "field name");
            }
        } else if (percentile && parameter->kind == FDL_ARG_LIST) {
            read_percentile_list(c, parameter, agg);
        } else if (percentile) {
            agg->percentile_span = parameter->span;
            agg->percentile_written = true;
            if (number) {
                agg->has_percentile = true;
                agg->percentile = number->kind == EXPR_INT ? (double)number->as.int_value
                                                           : number->as.float_value;
            } else {
                diag_error(c->sources, parameter->span, "percentile must be a number");
            }
        } else if (parameter->kind == FDL_ARG_LIST) {
            diag_error(c->sources, parameter->span,
                       "a list of percentiles is for percentile and approx_percentile, not %s", function);
        } else {
            agg->k_span = parameter->span;
            agg->k_written = true;
            if (number && number->kind == EXPR_INT) {
                agg->has_k = true;
                agg->k = number->as.int_value;
            } else {
                diag_error(c->sources, parameter->span, "k must be an integer");
            }
        }
        no_filter(c, parameter, function);
    }
    if (args->count > 2)
        diag_error(c->sources, args->items[2].span,
                   "an aggregation takes a source and at most one parameter (k, percentile or by)");
    if (body->hop_written)
        ast_read_hop(c->sources, body->hop.span, body->hop.text, agg);
    if (body->window_written) {
        read_window(c, body->window, agg);
    } else {
        /* Said here in this syntax; window_written keeps sema from saying it in YAML's. */
        agg->window_written = true;
        agg->window_span = body->window.span;
        diag_error(c->sources, body->window.span,
                   "aggregation needs a window: add 'over 30d' (s, m, h, d, w) or 'over lifetime'");
    }
}

/* lookup_embedding(MODEL [, DIMENSION]) and cosine_similarity(A, B). */
static void read_computation(fdl_context *c, const fdl_body *body, ast_feature *f)
{
    ast_computation *comp = &f->computation;
    comp->function = body->function;
    comp->args_span = body->args_span;
    if (body->window_written)
        diag_error(c->sources, body->window.span, "%s is not an aggregation: it takes no window",
                   body->function.text);
    if (body->hop_written)
        diag_error(c->sources, body->hop.span, "%s is not an aggregation: it takes no hop",
                   body->function.text);
    const fdl_args *args = &body->args;
    if (strcmp(body->function.text, "lookup_embedding") == 0) {
        for (int i = 0; i < args->count; i++) {
            const fdl_arg *arg = &args->items[i];
            no_filter(c, arg, "lookup_embedding");
            if (i == 0 && arg->kind == FDL_ARG_REF && !arg->qualifier.text) {
                comp->model = fdl_name(c, arg->name.text, arg->name.span, "model");
            } else if (i == 1 && arg->kind == FDL_ARG_NUMBER) {
                comp->dimension_span = arg->span;
                comp->dimension_written = true;
                if (arg->number->kind != EXPR_INT)
                    diag_error(c->sources, arg->span, "dimension must be an integer");
                else if (arg->number->as.int_value <= 0)
                    diag_error(c->sources, arg->span, "dimension must be positive");
                else
                    comp->dimension = arg->number->as.int_value;
            } else {
                diag_error(c->sources, arg->span,
                           "lookup_embedding takes an embedding and an optional dimension: "
                           "lookup_embedding(EMBEDDING, 128)");
                break;
            }
        }
        return;
    }
    /* cosine_similarity: [ENTITY.]FEATURE arguments; sema checks how many. */
    comp->args = arena_alloc(c->arena, sizeof(ast_qualified) * (size_t)(args->count + 1));
    for (int i = 0; i < args->count; i++) {
        const fdl_arg *arg = &args->items[i];
        no_filter(c, arg, body->function.text);
        if (arg->kind != FDL_ARG_REF) {
            diag_error(c->sources, arg->span, "arguments of %s are features: [ENTITY.]FEATURE",
                       body->function.text);
            continue;
        }
        ast_qualified *q = &comp->args[comp->nargs];
        memset(q, 0, sizeof *q);
        q->span = arg->ref_span;
        if (arg->qualifier.text)
            q->entity = fdl_name(c, arg->qualifier.text, arg->qualifier.span, "entity name");
        q->feature = fdl_name(c, arg->name.text, arg->name.span, "feature name");
        if (q->feature.text && (!arg->qualifier.text || q->entity.text))
            comp->nargs++;
    }
}

void fdl_add_feature(fdl_context *c, span whole, ast_name name, fdl_names entities,
                     span entities_span, ast_name value_type, const fdl_body *body,
                     const fdl_clauses *clauses)
{
    ast_program *p = c->program;
    ast_feature *f = APPEND(c, p->features, p->nfeatures, p->capfeatures);
    memset(f, 0, sizeof *f);
    f->span = whole;
    f->name = name;
    f->entities_span = entities_span;
    f->entities = arena_alloc(c->arena, sizeof(ast_name) * (size_t)(entities.count + 1));
    for (int i = 0; i < entities.count; i++)
        if (entities.items[i].text)
            f->entities[f->nentities++] = entities.items[i];

    const fdl_clause *description = &clauses->clause[FDL_CLAUSE_DESCRIPTION];
    if (clauses->given[FDL_CLAUSE_DESCRIPTION])
        f->description = description->text;
    if (clauses->given[FDL_CLAUSE_TAGS]) {
        const fdl_names *tags = &clauses->clause[FDL_CLAUSE_TAGS].tags;
        f->tags = arena_alloc(c->arena, sizeof(char *) * (size_t)(tags->count + 1));
        for (int i = 0; i < tags->count; i++)
            if (tags->items[i].text)
                f->tags[f->ntags++] = tags->items[i].text;
    }
    if (value_type.text) {
        f->value_type_span = value_type.span;
        f->has_value_type = read_type(c, value_type, &f->value_type.kind);
    }
    f->online_compute = clauses->given[FDL_CLAUSE_ONLINE];
    if (clauses->given[FDL_CLAUSE_DEFAULT]) {
        const fdl_clause *d = &clauses->clause[FDL_CLAUSE_DEFAULT];
        f->default_span = d->value_span;
        if (d->text) {
            f->has_default = true;
            f->default_text = d->text;
            f->default_length = d->length;
        }
    }

    if (body->is_expr) {
        f->kind = FEATURE_DERIVED;
        f->expr = body->expr;
        f->expr_span = body->expr_span;
    } else if (body->function.text && (strcmp(body->function.text, "lookup_embedding") == 0 ||
                                       strcmp(body->function.text, "cosine_similarity") == 0)) {
        f->kind = FEATURE_COMPUTATION;
        read_computation(c, body, f);
    } else {
        f->kind = FEATURE_AGGREGATION;
        read_aggregation(c, body, f);
    }
}

/* ------------------------------------------------------------ feature sets */

void fdl_add_set(fdl_context *c, span whole, ast_name name, fdl_names features,
                 span features_span, bool has_request, fdl_fields request, span request_span,
                 const char *description)
{
    ast_program *p = c->program;
    ast_feature_set *s = APPEND(c, p->sets, p->nsets, p->capsets);
    memset(s, 0, sizeof *s);
    s->span = whole;
    s->name = name;
    s->features = arena_alloc(c->arena, sizeof(ast_name) * (size_t)(features.count + 1));
    for (int i = 0; i < features.count; i++)
        if (features.items[i].text)
            s->features[s->nfeatures++] = features.items[i];
    if (features.count == 0)
        diag_error(c->sources, features_span, "a feature set needs at least one feature");
    s->description = description;
    if (has_request) {
        s->request_span = request_span;
        s->request = arena_alloc(c->arena, sizeof(ast_field) * (size_t)(request.count + 1));
        for (int i = 0; i < request.count; i++)
            if (request.items[i].name.text && request.items[i].type != TYPE_ERROR)
                s->request[s->nrequest++] = request.items[i];
    }
}

/* ------------------------------------------------------------ broken definitions */

void fdl_add_broken(fdl_context *c, fdl_broken_kind kind, span whole, ast_name name,
                    fdl_names entities)
{
    ast_program *p = c->program;
    switch (kind) {
    case FDL_BROKEN_ENTITY: {
        ast_entity *e = APPEND(c, p->entities, p->nentities, p->capentities);
        memset(e, 0, sizeof *e);
        e->span = whole;
        e->name = name;
        e->key_type = TYPE_STRING;
        break;
    }
    case FDL_BROKEN_SOURCE: {
        ast_source *s = APPEND(c, p->sources, p->nsources, p->capsources);
        memset(s, 0, sizeof *s);
        s->span = whole;
        s->name = name;
        break;
    }
    case FDL_BROKEN_EMBEDDING: {
        ast_embedding *e = APPEND(c, p->embeddings, p->nembeddings, p->capembeddings);
        memset(e, 0, sizeof *e);
        e->span = whole;
        e->name = name;
        break;
    }
    case FDL_BROKEN_FEATURE: {
        ast_feature *f = APPEND(c, p->features, p->nfeatures, p->capfeatures);
        memset(f, 0, sizeof *f);
        f->span = whole;
        f->name = name;
        f->kind = FEATURE_INVALID;
        f->entities = arena_alloc(c->arena, sizeof(ast_name) * (size_t)(entities.count + 1));
        for (int i = 0; i < entities.count; i++)
            if (entities.items[i].text)
                f->entities[f->nentities++] = entities.items[i];
        break;
    }
    case FDL_BROKEN_SET: {
        ast_feature_set *s = APPEND(c, p->sets, p->nsets, p->capsets);
        memset(s, 0, sizeof *s);
        s->span = whole;
        s->name = name;
        break;
    }
    }
}
