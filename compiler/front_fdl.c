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

fdl_parts fdl_parts_append(fdl_context *c, fdl_parts list, fdl_part item)
{
    list.items = grow(c, list.items, list.count, sizeof *list.items);
    list.items[list.count++] = item;
    return list;
}

fdl_specs fdl_specs_append(fdl_context *c, fdl_specs list, fdl_spec item)
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
        diag_error(c->sources, DIAG_INVALID_NAME, sp,
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
        diag_error(c->sources, DIAG_UNKNOWN_TYPE, written.span, "unknown type '%.64s'; did you mean '%s'?", written.text,
                   close);
    else
        diag_error(c->sources, DIAG_UNKNOWN_TYPE, written.span,
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
        diag_error(c->sources, DIAG_INVALID_VALUE, string->span, "%s contains a NUL character", what);
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
        diag_error(c->sources, DIAG_INVALID_VALUE, string->span, "tag must not be empty");
        tag.text = NULL;
    }
    return tag;
}

void fdl_clauses_add(fdl_context *c, fdl_clauses *clauses, const fdl_clause *clause)
{
    static const char *const names[FDL_NCLAUSES] = {"description", "tags", "online", "default"};
    if (clauses->given[clause->kind]) {
        diag_error(c->sources, DIAG_DUPLICATE_KEY, clause->span, "duplicate %s in feature", names[clause->kind]);
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
            diag_error(c->sources, DIAG_DUPLICATE_DEFINITION, key->name.span, "join key '%s' is listed twice", key->name.text);
            continue;
        }
        type_kind type = key->type;
        if (type != TYPE_STRING && type != TYPE_INT64) {
            if (type != TYPE_ERROR)
                diag_error(c->sources, DIAG_TYPE_MISMATCH, key->type_span, "%s must be string or int64",
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

/* ------------------------------------------------------------ expectations */

fdl_part fdl_value_part(fdl_context *c, span whole, const char *text, size_t length,
                        expr_kind literal, const expr *number, bool negative)
{
    (void)c;
    fdl_part part;
    memset(&part, 0, sizeof part);
    part.kind = FDL_PART_VALUE;
    part.span = whole;
    part.value.text = text;
    part.value.length = length;
    part.value.span = whole;
    part.value.is_null = literal == EXPR_NULL;
    part.literal = literal;
    part.number = number;
    part.negative = negative;
    return part;
}

/* The written text at sp, short and printable, for a message. */
static const char *shown(fdl_context *c, span sp)
{
    const source_file *f = source_get(c->sources, c->file);
    if (!f || sp.start >= sp.end || sp.end > f->size)
        return "";
    enum { MAX_SHOWN = 32 };
    char out[MAX_SHOWN * 4 + 4];
    size_t used = 0;
    for (uint32_t i = sp.start; i < sp.end; i++) {
        if (i - sp.start == MAX_SHOWN) {
            memcpy(out + used, "...", 3);
            used += 3;
            break;
        }
        unsigned char byte = (unsigned char)f->text[i];
        if (byte >= 0x20 && byte < 0x7f)
            out[used++] = (char)byte;
        else
            used += (size_t)snprintf(out + used, sizeof out - used, "\\x%02X", byte);
    }
    return arena_strndup(c->arena, out, used);
}

static bool is_word(const fdl_part *part, const char *word)
{
    return part->kind == FDL_PART_NAME && !part->qualifier.text && part->name.text &&
           strcmp(part->name.text, word) == 0;
}

static bool is_policy_word(const fdl_part *part)
{
    return is_word(part, "fail") || is_word(part, "drop") || is_word(part, "clamp") ||
           is_word(part, "flag") || is_word(part, "impute");
}

/* A span from the start of one to the end of another. */
static span joined(span first, span last)
{
    return span_make(first.file, first.start, last.end);
}

/* A number written as a literal (an integer or a float, maybe negative). */
static bool part_number(const fdl_part *part, double *out)
{
    if (part->kind != FDL_PART_VALUE || !part->number)
        return false;
    double v = part->number->kind == EXPR_INT ? (double)part->number->as.int_value
                                              : part->number->as.float_value;
    *out = part->negative ? -v : v;
    return true;
}

/*
 * POLICY at parts[*at]: fail | drop | clamp | flag | impute VALUE; moves
 * *at past it. after: where a missing policy is reported.
 */
static void read_policy(fdl_context *c, const fdl_parts *parts, int *at, const char *what,
                        span after, ast_policy *out)
{
    static const char *const names[] = {"fail", "drop", "clamp", "flag", "impute"};
    static const policy_kind kinds[] = {POLICY_FAIL, POLICY_DROP, POLICY_CLAMP, POLICY_FLAG,
                                        POLICY_IMPUTE};
    if (*at >= parts->count) {
        diag_error(c->sources, DIAG_INVALID_POLICY, after, "%s is missing: write fail, drop, clamp, flag or impute VALUE",
                   what);
        return;
    }
    const fdl_part *word = &parts->items[(*at)++];
    if (word->kind != FDL_PART_NAME || word->qualifier.text) {
        diag_error(c->sources, DIAG_INVALID_POLICY, word->span,
                   "%s must be fail, drop, clamp, flag or impute VALUE, not '%s'", what,
                   shown(c, word->span));
        return;
    }
    for (int i = 0; i < 5; i++) {
        if (strcmp(word->name.text, names[i]) != 0)
            continue;
        if (kinds[i] != POLICY_IMPUTE) {
            out->kind = kinds[i];
            out->span = word->span;
            return;
        }
        const fdl_part *value = *at < parts->count ? &parts->items[*at] : NULL;
        if (!value || value->kind != FDL_PART_VALUE) {
            diag_error(c->sources, DIAG_INVALID_POLICY, value ? value->span : word->span,
                       "impute needs a value: impute 0, impute \"other\"");
            return;
        }
        (*at)++;
        out->kind = POLICY_IMPUTE;
        out->span = joined(word->span, value->span);
        out->impute = value->value;
        return;
    }
    const char *close = suggest_closest(word->name.text, names, 5);
    diag_error(c->sources, DIAG_INVALID_POLICY, word->span,
               "unknown %s '%.64s'%s%s%s (policies: fail, drop, clamp, flag, impute VALUE)", what,
               word->name.text, close ? "; did you mean '" : "", close ? close : "",
               close ? "'?" : "");
}

/* What a part is, for "takes ..., not X" messages. */
static const char *part_kind_words(const fdl_part *part)
{
    switch (part->kind) {
    case FDL_PART_NAME: return "a name";
    case FDL_PART_VALUE: return part->literal == EXPR_STRING ? "a string"
                              : part->literal == EXPR_NULL ? "null"
                              : part->literal == EXPR_BOOL ? "a bool" : "a number";
    case FDL_PART_LIST: return "a list";
    case FDL_PART_GROUP: return "a group in parentheses";
    }
    return "?";
}

/* [VALUE, ...]: two when pair (LOW, HIGH), else one or more, as YAML's read_values. */
static bool read_values(fdl_context *c, const fdl_part *list, ast_expectation *e, bool pair)
{
    const char *what = expectation_kind_name(e->kind);
    if (pair && list->items.count != 2) {
        diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, list->span, "%s takes [LOW, HIGH] (either may be null), not %d value%s",
                   what, list->items.count, list->items.count == 1 ? "" : "s");
        return false;
    }
    if (!pair && list->items.count == 0) {
        diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, list->span, "%s needs at least one value", what);
        return false;
    }
    e->values = arena_alloc(c->arena, sizeof(ast_value) * (size_t)list->items.count);
    bool ok = true;
    for (int i = 0; i < list->items.count; i++) {
        const fdl_part *item = &list->items.items[i];
        if (item->kind == FDL_PART_VALUE) {
            e->values[i] = item->value;
        } else {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, item->span,
                       "%s '%s' is a name: write a literal (a number, true, false, null, or a "
                       "string in quotes: \"%s\")", pair ? "bound" : "value", shown(c, item->span),
                       shown(c, item->span));
            ok = false;
        }
    }
    if (ok)
        e->nvalues = list->items.count;
    return ok;
}

/* How each expectation is written in .fdl, for messages. */
static const char *expectation_usage(expectation_kind kind)
{
    switch (kind) {
    case EXPECT_NOT_NULL: return "not_null";
    case EXPECT_RANGE: return "range [LOW, HIGH]";
    case EXPECT_IN: return "in [VALUE, ...]";
    case EXPECT_MATCHES: return "matches \"REGEX\"";
    case EXPECT_MAX_FUTURE: return "max_future DURATION (e.g. 1h)";
    case EXPECT_ORDERED: return "ordered";
    case EXPECT_MAX_GAP: return "max_gap DURATION (e.g. 1h)";
    case EXPECT_EXISTS_IN: return "exists_in SOURCE.FIELD or exists_in EMBEDDING";
    case EXPECT_MEAN: return "mean [LOW, HIGH]";
    case EXPECT_STDDEV: return "stddev [LOW, HIGH]";
    case EXPECT_NULL_RATIO: return "null_ratio MAX";
    case EXPECT_DISTINCT: return "distinct [LOW, HIGH]";
    case EXPECT_EXPR: return "expr(EXPRESSION)";
    case EXPECT_UNIQUE: return "unique [FIELD, ...]";
    case EXPECT_KIND_COUNT: break;
    }
    return "?";
}

/*
 * KIND [ARGUMENT] [POLICY], e.g. `range [0, 100] clamp`; the YAML front
 * end's read_expectation, with its messages where the same thing is wrong.
 * row: of the source (expr, unique) rather than of a field.
 */
static bool read_expectation(fdl_context *c, const fdl_spec *spec, bool row, ast_expectation *e)
{
    memset(e, 0, sizeof *e);
    e->span = spec->span;
    const char *name;
    if (spec->is_expr) {
        e->kind = EXPECT_EXPR;
        name = "expr";
    } else if (spec->head.text && expectation_kind_parse(spec->head.text, &e->kind)) {
        name = spec->head.text;
    } else {
        const char *names[EXPECT_KIND_COUNT];
        for (int k = 0; k < EXPECT_KIND_COUNT; k++)
            names[k] = expectation_kind_name((expectation_kind)k);
        const char *close = spec->head.text ? suggest_closest(spec->head.text, names, EXPECT_KIND_COUNT)
                                            : NULL;
        if (close)
            diag_error(c->sources, DIAG_UNKNOWN_EXPECTATION, spec->head.span, "unknown expectation '%.64s'; did you mean '%s'?",
                       spec->head.text, close);
        else
            diag_error(c->sources, DIAG_UNKNOWN_EXPECTATION, spec->head.span,
                       "unknown expectation '%.64s' (expectations: not_null, range, in, matches, "
                       "max_future, ordered, max_gap, exists_in, mean, stddev, null_ratio, distinct%s)",
                       spec->head.text ? spec->head.text : "", row ? "; of a source: expr, unique" : "");
        return false;
    }
    bool row_kind = e->kind == EXPECT_EXPR || e->kind == EXPECT_UNIQUE;
    if (row_kind != row) {
        diag_error(c->sources, DIAG_UNKNOWN_EXPECTATION, spec->head.span,
                   row ? "'%s' checks a field: write it in that field's expect(...)"
                       : "'%s' checks a whole row: write it in the source's expect(...), after its fields",
                   name);
        return false;
    }
    const fdl_parts *parts = &spec->parts;
    const fdl_part *argument = parts->count ? &parts->items[0] : NULL;
    int at = 0;
    bool ok = true;
    /* The argument, as the kind takes it: missing or of the wrong shape, say how it is written. */
    bool shape = true;
    switch (e->kind) {
    case EXPECT_NOT_NULL:
    case EXPECT_ORDERED:
        e->argument_span = spec->head.span;
        break;
    case EXPECT_RANGE:
    case EXPECT_MEAN:
    case EXPECT_STDDEV:
    case EXPECT_DISTINCT:
    case EXPECT_IN:
        shape = argument && argument->kind == FDL_PART_LIST;
        if (shape) {
            at = 1;
            e->argument_span = argument->span;
            ok = read_values(c, argument, e, e->kind != EXPECT_IN);
        }
        break;
    case EXPECT_MATCHES:
    case EXPECT_NULL_RATIO:
        shape = argument && argument->kind == FDL_PART_VALUE;
        if (shape) {
            at = 1;
            e->argument_span = argument->span;
            e->values = arena_alloc(c->arena, sizeof(ast_value));
            e->values[0] = argument->value;
            e->nvalues = 1;
        }
        break;
    case EXPECT_MAX_FUTURE:
    case EXPECT_MAX_GAP: {
        /* 1h scans as the number 1 and the name h: written together, they are one duration. */
        shape = argument && argument->kind == FDL_PART_VALUE && argument->literal == EXPR_INT &&
                !argument->negative;
        if (!shape)
            break;
        at = 1;
        span sp = argument->span;
        const char *text = argument->value.text;
        const fdl_part *unit = parts->count > 1 ? &parts->items[1] : NULL;
        if (unit && unit->kind == FDL_PART_NAME && !unit->qualifier.text &&
            (unit->span.start == argument->span.end || !is_policy_word(unit))) {
            /* "1 h" is one malformed duration, said as YAML says "1 h" */
            at = 2;
            sp = joined(argument->span, unit->span);
            text = arena_printf(c->arena, "%s%s%s", text,
                                unit->span.start == argument->span.end ? "" : " ", unit->name.text);
        }
        e->argument_span = sp;
        ok = ast_read_duration(c->sources, sp, text, name, &e->seconds);
        break;
    }
    case EXPECT_EXISTS_IN:
        shape = argument && argument->kind == FDL_PART_NAME;
        if (!shape)
            break;
        at = 1;
        e->argument_span = argument->span;
        if (argument->qualifier.text) {
            e->target = fdl_name(c, argument->qualifier.text, argument->qualifier.span,
                                 "source or embedding name");
            e->target_field = fdl_name(c, argument->name.text, argument->name.span, "field name");
            ok = e->target.text && e->target_field.text;
        } else {
            e->target = fdl_name(c, argument->name.text, argument->name.span,
                                 "source or embedding name");
            ok = e->target.text != NULL;
        }
        break;
    case EXPECT_EXPR:
        e->argument_span = spec->expr_span;
        e->expr = spec->expr;
        ok = e->expr != NULL;   /* else a syntax error inside was reported */
        break;
    case EXPECT_UNIQUE:
        shape = argument && argument->kind == FDL_PART_LIST;
        if (!shape)
            break;
        at = 1;
        e->argument_span = argument->span;
        if (argument->items.count == 0) {
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, argument->span, "unique needs at least one field");
            ok = false;
            break;
        }
        e->fields = arena_alloc(c->arena, sizeof(ast_name) * (size_t)argument->items.count);
        for (int i = 0; i < argument->items.count; i++) {
            const fdl_part *item = &argument->items.items[i];
            if (item->kind != FDL_PART_NAME) {
                diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, item->span, "unique takes field names, not %s",
                           part_kind_words(item));
                continue;
            }
            e->fields[e->nfields] = fdl_name(c, item->name.text, item->name.span, "field name");
            if (e->fields[e->nfields].text)
                e->nfields++;
        }
        ok = e->nfields == argument->items.count;
        break;
    case EXPECT_KIND_COUNT:
        return false;
    }
    if (!shape) {
        if (argument)
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, argument->span, "%s takes %s, not %s: write %s", name,
                       e->kind == EXPECT_MAX_FUTURE || e->kind == EXPECT_MAX_GAP ? "a duration"
                       : e->kind == EXPECT_EXISTS_IN ? "a name"
                       : e->kind == EXPECT_MATCHES || e->kind == EXPECT_NULL_RATIO ? "a value"
                       : "a list", part_kind_words(argument), expectation_usage(e->kind));
        else
            diag_error(c->sources, DIAG_EXPECTATION_ARGUMENT, spec->head.span, "%s needs its argument: write %s", name,
                       expectation_usage(e->kind));
        return false;
    }
    if (at < parts->count)
        read_policy(c, parts, &at, "policy", spec->span, &e->policy);
    if (at < parts->count) {
        const fdl_part *extra = &parts->items[at];
        diag_error(c->sources, DIAG_INVALID_POLICY, extra->span,
                   "unexpected '%s' after the %s: an expectation is %s, then a policy if any",
                   shown(c, extra->span), at == 1 || e->policy.kind == POLICY_DEFAULT ? "argument" : "policy",
                   expectation_usage(e->kind));
    }
    return ok;
}

static void read_expectations(fdl_context *c, const fdl_specs *specs, bool row,
                              ast_expectation **out, int *count)
{
    *out = arena_alloc(c->arena, sizeof(ast_expectation) * (size_t)(specs->count + 1));
    *count = 0;
    for (int i = 0; i < specs->count; i++)
        if (read_expectation(c, &specs->items[i], row, &(*out)[*count]))
            (*count)++;
}

ast_field fdl_source_field(fdl_context *c, ast_name name, ast_name type, const fdl_parts *parts)
{
    ast_field field = fdl_field(c, name, type);
    span on_invalid = {0}, expect = {0};
    bool has_on_invalid = false, has_expect = false;
    for (int at = 0; at < parts->count;) {
        const fdl_part *word = &parts->items[at++];
        if (is_word(word, "on_invalid")) {
            if (has_on_invalid) {
                diag_error(c->sources, DIAG_DUPLICATE_KEY, word->span, "duplicate on_invalid in field");
                diag_note(c->sources, on_invalid, "first given here");
            }
            ast_policy policy = {0};
            const fdl_part *next = at < parts->count ? &parts->items[at] : NULL;
            if (next && (is_word(next, "expect") || is_word(next, "on_invalid")))
                diag_error(c->sources, DIAG_INVALID_POLICY, word->span,
                           "on_invalid policy is missing: write fail, drop, clamp, flag or impute VALUE");
            else
                read_policy(c, parts, &at, "on_invalid policy", word->span, &policy);
            if (!has_on_invalid)
                field.on_invalid = policy;
            has_on_invalid = true;
            on_invalid = word->span;
            continue;
        }
        const fdl_part *group = at < parts->count ? &parts->items[at] : NULL;
        if (is_word(word, "expect") && group && group->kind == FDL_PART_GROUP) {
            at++;
            if (has_expect) {
                diag_error(c->sources, DIAG_DUPLICATE_KEY, word->span, "duplicate expect in field");
                diag_note(c->sources, expect, "first given here");
                continue;
            }
            has_expect = true;
            expect = word->span;
            read_expectations(c, &group->specs, false, &field.expects, &field.nexpects);
            continue;
        }
        if (is_word(word, "expect")) {
            diag_error(c->sources, DIAG_WRONG_SHAPE, word->span,
                       "expect takes its expectations in parentheses: expect(not_null, range [0, 100])");
            break;
        }
        static const char *const words[] = {"on_invalid", "expect"};
        const char *close = word->kind == FDL_PART_NAME && !word->qualifier.text
                                ? suggest_closest(word->name.text, words, 2) : NULL;
        if (close)
            diag_error(c->sources, DIAG_UNKNOWN_KEY, word->span, "unexpected '%s' after the field's type; did you mean '%s'?",
                       shown(c, word->span), close);
        else
            diag_error(c->sources, DIAG_UNKNOWN_KEY, word->span,
                       "unexpected '%s' after the field's type: write on_invalid POLICY or "
                       "expect(EXPECTATION, ...)", shown(c, word->span));
        break;
    }
    return field;
}

/* ------------------------------------------------------------ sources */

static void read_sla(fdl_context *c, span whole, const fdl_specs *specs, ast_sla *sla);

/* expect(...) and sla(...) are read here, so that their errors come in text order. */
fdl_source_clause fdl_source_clause_make(fdl_context *c, span whole, const expr *string, ast_name word,
                                         bool group, fdl_specs specs)
{
    fdl_source_clause clause;
    memset(&clause, 0, sizeof clause);
    clause.span = whole;
    if (string) {
        clause.kind = FDL_SOURCE_DESCRIPTION;
        clause.description = fdl_description(c, string);
        return clause;
    }
    static const char *const words[] = {"expect", "sla"};
    clause.kind = -1;
    clause.word = word;   /* reported by fdl_source_clauses_add when it is neither */
    if (strcmp(word.text, "retention") == 0) {
        diag_error(c->sources, DIAG_WRONG_SHAPE, word.span,
                   "retention takes a duration, written after it: retention 90d");
        clause.word.text = NULL;   /* reported */
        return clause;
    }
    for (int i = 0; i < 2; i++)
        if (strcmp(word.text, words[i]) == 0)
            clause.kind = i == 0 ? FDL_SOURCE_EXPECT : FDL_SOURCE_SLA;
    if (clause.kind >= 0 && !group) {
        diag_error(c->sources, DIAG_WRONG_SHAPE, word.span, "%s takes its items in parentheses: %s", word.text,
                   clause.kind == FDL_SOURCE_EXPECT ? "expect(unique [id], expr(amount > 0) flag)"
                                                    : "sla(pass_rate 0.99, min_rows 1000)");
        clause.kind = -1;
        clause.word.text = NULL;   /* reported */
    }
    if (clause.kind == FDL_SOURCE_EXPECT)
        read_expectations(c, &specs, true, &clause.expects, &clause.nexpects);
    else if (clause.kind == FDL_SOURCE_SLA)
        read_sla(c, whole, &specs, &clause.sla);
    return clause;
}

fdl_source_clause fdl_source_clause_duration(fdl_context *c, span whole, ast_name word, span number,
                                             ast_name unit)
{
    fdl_source_clause clause;
    memset(&clause, 0, sizeof clause);
    clause.span = whole;
    clause.kind = -1;
    clause.word = word;   /* reported by fdl_source_clauses_add when it is not retention */
    if (strcmp(word.text, "retention") != 0)
        return clause;
    clause.kind = FDL_SOURCE_RETENTION;
    /* "90 d" is one malformed duration, said as YAML says "90 d". */
    span sp = joined(number, unit.span);
    const source_file *f = source_get(c->sources, c->file);
    const char *text = f && sp.end <= f->size
                           ? arena_strndup(c->arena, f->text + sp.start, (size_t)(sp.end - sp.start))
                           : "";
    clause.retention_span = sp;
    clause.has_retention = ast_read_duration(c->sources, sp, text, "retention", &clause.retention_seconds);
    return clause;
}

void fdl_source_clauses_add(fdl_context *c, fdl_source_clauses *clauses,
                            const fdl_source_clause *clause)
{
    static const char *const names[FDL_NSOURCE_CLAUSES] = {"description", "expect", "sla", "retention"};
    if (clause->kind < 0 && clause->word.text && !clauses->unknown_seen) {
        /* Likely a misspelt definition keyword: the words after it are not clauses either. */
        static const char *const words[] = {"expect", "sla", "retention", "entity", "source",
                                            "embedding", "feature", "set"};
        clauses->unknown_seen = true;
        const char *close = suggest_closest(clause->word.text, words, 8);
        if (close)
            diag_error(c->sources, DIAG_UNKNOWN_KEY, clause->word.span,
                       "unknown clause '%.64s' of a source; did you mean '%s'?", clause->word.text,
                       close);
        else
            diag_error(c->sources, DIAG_UNKNOWN_KEY, clause->word.span,
                       "unknown clause '%.64s' of a source: expected a description, expect(...), "
                       "sla(...) or retention DURATION", clause->word.text);
    }
    if (clause->kind < 0)
        return;
    if (clauses->given[clause->kind]) {
        diag_error(c->sources, DIAG_DUPLICATE_KEY, clause->span, "duplicate %s in source", names[clause->kind]);
        diag_note(c->sources, clauses->clause[clause->kind].span, "first given here");
        return;
    }
    clauses->given[clause->kind] = true;
    clauses->clause[clause->kind] = *clause;
}

/* The one value after an SLA item's word, or NULL after reporting. */
static const fdl_part *sla_argument(fdl_context *c, const fdl_spec *item, const char *usage)
{
    const fdl_parts *parts = &item->parts;
    if (parts->count == 0) {
        diag_error(c->sources, DIAG_INVALID_SLA, item->head.span, "%s needs a value: %s", item->head.text, usage);
        return NULL;
    }
    if (parts->count > 1)
        diag_error(c->sources, DIAG_INVALID_SLA, parts->items[1].span, "unexpected '%s': write %s",
                   shown(c, parts->items[1].span), usage);
    return &parts->items[0];
}

/* sla(pass_rate MIN, min_rows N, max_null_ratio(FIELD MAX, ...)) */
static void read_sla(fdl_context *c, span whole, const fdl_specs *specs, ast_sla *sla)
{
    static const char *const names[] = {"pass_rate", "min_rows", "max_null_ratio"};
    sla->written = true;
    sla->span = whole;
    span first[3];
    bool given[3] = {false, false, false};
    for (int i = 0; i < specs->count; i++) {
        const fdl_spec *item = &specs->items[i];
        int which = -1;
        for (int k = 0; k < 3 && item->head.text; k++)
            if (strcmp(item->head.text, names[k]) == 0)
                which = k;
        if (which < 0) {
            const char *close = item->head.text ? suggest_closest(item->head.text, names, 3) : NULL;
            const char *text = item->head.text ? item->head.text : "expr";
            if (close)
                diag_error(c->sources, DIAG_INVALID_SLA, item->head.span, "unknown item '%.64s' in sla; did you mean '%s'?",
                           text, close);
            else
                diag_error(c->sources, DIAG_INVALID_SLA, item->head.span,
                           "unknown item '%.64s' in sla (items: pass_rate, min_rows, max_null_ratio)", text);
            continue;
        }
        if (given[which]) {
            diag_error(c->sources, DIAG_INVALID_SLA, item->head.span, "duplicate %s in sla", names[which]);
            diag_note(c->sources, first[which], "first given here");
            continue;
        }
        given[which] = true;
        first[which] = item->head.span;
        const fdl_part *value;
        double number;
        switch (which) {
        case 0:
            if (!(value = sla_argument(c, item, "pass_rate 0.99")))
                break;
            sla->pass_rate_span = value->span;
            if (part_number(value, &number)) {
                sla->has_pass_rate = true;
                sla->pass_rate = number;
            } else {
                diag_error(c->sources, DIAG_INVALID_SLA, value->span, "pass_rate must be a number, not '%s'",
                           shown(c, value->span));
            }
            break;
        case 1:
            if (!(value = sla_argument(c, item, "min_rows 1000")))
                break;
            sla->min_rows_span = value->span;
            if (value->kind == FDL_PART_VALUE && value->number && value->number->kind == EXPR_INT) {
                sla->has_min_rows = true;
                sla->min_rows = value->negative ? -value->number->as.int_value : value->number->as.int_value;
            } else {
                diag_error(c->sources, DIAG_INVALID_SLA, value->span, "min_rows must be an integer, not '%s'",
                           shown(c, value->span));
            }
            break;
        case 2: {
            const char *usage = "max_null_ratio(FIELD MAX, ...), e.g. max_null_ratio(user_id 0.01)";
            if (!(value = sla_argument(c, item, usage)))
                break;
            if (value->kind != FDL_PART_GROUP) {
                diag_error(c->sources, DIAG_INVALID_SLA, value->span, "max_null_ratio takes %s", usage + 14);
                break;
            }
            const fdl_specs *limits = &value->specs;
            sla->max_null_ratio = arena_alloc(c->arena, sizeof(ast_null_limit) * (size_t)(limits->count + 1));
            for (int l = 0; l < limits->count; l++) {
                const fdl_spec *limit = &limits->items[l];
                ast_null_limit *out = &sla->max_null_ratio[sla->nmax_null_ratio];
                if (!limit->head.text || strcmp(limit->head.text, "in") == 0) {
                    diag_error(c->sources, DIAG_INVALID_SLA, limit->head.span, "max_null_ratio takes field names, "
                                                             "e.g. max_null_ratio(user_id 0.01)");
                    continue;
                }
                bool repeated = false;
                for (int k = 0; k < sla->nmax_null_ratio; k++)
                    repeated |= strcmp(sla->max_null_ratio[k].field.text, limit->head.text) == 0;
                if (repeated) {
                    diag_error(c->sources, DIAG_INVALID_SLA, limit->head.span, "max_null_ratio lists field '%s' twice",
                               limit->head.text);
                    continue;
                }
                const fdl_part *ratio = sla_argument(c, limit, "FIELD MAX, e.g. user_id 0.01");
                if (!ratio)
                    continue;
                out->span = ratio->span;
                out->field = fdl_name(c, limit->head.text, limit->head.span, "field name");
                if (!part_number(ratio, &out->max_ratio)) {
                    diag_error(c->sources, DIAG_INVALID_SLA, ratio->span, "null ratio must be a number, not '%s'",
                               shown(c, ratio->span));
                    continue;
                }
                if (out->field.text)
                    sla->nmax_null_ratio++;
            }
            break;
        }
        }
    }
}

void fdl_add_source(fdl_context *c, span whole, ast_name name, ast_name timestamp,
                    fdl_fields fields, span brace, const fdl_source_clauses *clauses)
{
    ast_program *p = c->program;
    ast_source *s = APPEND(c, p->sources, p->nsources, p->capsources);
    memset(s, 0, sizeof *s);
    s->span = whole;
    s->brace = brace;
    s->name = name;
    s->timestamp = timestamp;
    /* As YAML: a field whose name or type is unusable is left out. */
    s->fields = arena_alloc(c->arena, sizeof(ast_field) * (size_t)(fields.count + 1));
    for (int i = 0; i < fields.count; i++)
        if (fields.items[i].name.text && fields.items[i].type != TYPE_ERROR)
            s->fields[s->nfields++] = fields.items[i];
    if (clauses->given[FDL_SOURCE_DESCRIPTION])
        s->description = clauses->clause[FDL_SOURCE_DESCRIPTION].description;
    if (clauses->given[FDL_SOURCE_EXPECT]) {
        s->expects = clauses->clause[FDL_SOURCE_EXPECT].expects;
        s->nexpects = clauses->clause[FDL_SOURCE_EXPECT].nexpects;
    }
    if (clauses->given[FDL_SOURCE_SLA])
        s->sla = clauses->clause[FDL_SOURCE_SLA].sla;
    if (clauses->given[FDL_SOURCE_RETENTION]) {
        s->has_retention = clauses->clause[FDL_SOURCE_RETENTION].has_retention;
        s->retention_seconds = clauses->clause[FDL_SOURCE_RETENTION].retention_seconds;
        s->retention_span = clauses->clause[FDL_SOURCE_RETENTION].retention_span;
    }
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
        diag_error(c->sources, DIAG_INVALID_VALUE, dimension_span, "dimension must be between 1 and 65536");
        e->dimension = 0;
    }
    const char *text = string_text(c, path, "path");
    if (text && !text[0]) {
        diag_error(c->sources, DIAG_INVALID_VALUE, path->span, "path must not be empty");
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
    diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, arg->where_span, "only an aggregation's source takes a 'where' filter, "
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
            diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, item->span, "percentile must be a number");
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
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, body->args_span.start == body->args_span.end ? body->function.span
                                                                            : body->args_span,
                   "%s() needs a source: %s(SOURCE) or %s(SOURCE.FIELD)", function, function,
                   function);
    } else {
        const fdl_arg *source = &args->items[0];
        if (source->kind != FDL_ARG_REF) {
            diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, source->span,
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
                diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, parameter->span,
                           "the second argument of %s is the field that orders the events: "
                           "%s(SOURCE.FIELD, BY)", function, function);
            } else if (parameter->qualifier.text && agg->source.text &&
                       strcmp(parameter->qualifier.text, agg->source.text) != 0) {
                diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, parameter->qualifier.span,
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
                diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, parameter->span, "percentile must be a number");
            }
        } else if (parameter->kind == FDL_ARG_LIST) {
            diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, parameter->span,
                       "a list of percentiles is for percentile and approx_percentile, not %s", function);
        } else {
            agg->k_span = parameter->span;
            agg->k_written = true;
            if (number && number->kind == EXPR_INT) {
                agg->has_k = true;
                agg->k = number->as.int_value;
            } else {
                diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, parameter->span, "k must be an integer");
            }
        }
        no_filter(c, parameter, function);
    }
    if (args->count > 2)
        diag_error(c->sources, DIAG_AGGREGATION_PARAMETER, args->items[2].span,
                   "an aggregation takes a source and at most one parameter (k, percentile or by)");
    if (body->hop_written)
        ast_read_hop(c->sources, body->hop.span, body->hop.text, agg);
    if (body->window_written) {
        read_window(c, body->window, agg);
    } else {
        /* Said here in this syntax; window_written keeps sema from saying it in YAML's. */
        agg->window_written = true;
        agg->window_span = body->window.span;
        diag_error(c->sources, DIAG_MISSING_WINDOW, body->window.span,
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
        diag_error(c->sources, DIAG_MISSING_WINDOW, body->window.span, "%s is not an aggregation: it takes no window",
                   body->function.text);
    if (body->hop_written)
        diag_error(c->sources, DIAG_MISSING_WINDOW, body->hop.span, "%s is not an aggregation: it takes no hop",
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
                    diag_error(c->sources, DIAG_INVALID_VALUE, arg->span, "dimension must be an integer");
                else if (arg->number->as.int_value <= 0)
                    diag_error(c->sources, DIAG_INVALID_VALUE, arg->span, "dimension must be positive");
                else
                    comp->dimension = arg->number->as.int_value;
            } else {
                diag_error(c->sources, DIAG_EMBEDDING, arg->span,
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
            diag_error(c->sources, DIAG_COMPUTATION_ARGUMENT, arg->span, "arguments of %s are features: [ENTITY.]FEATURE",
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
        diag_error(c->sources, DIAG_EMPTY_SET, features_span, "a feature set needs at least one feature");
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
