/*
 * front_yaml.c - the YAML front end: libyaml events -> node tree -> AST.
 *
 * Stage 1 builds a tree of ynode from libyaml's event stream, with spans
 * converted from libyaml marks (line, column) to byte offsets. Stage 2 walks
 * the tree and fills ast_program. Unknown keys are errors (with a suggestion),
 * so a misspelt "windw:" never silently means "no window".
 */
#define _POSIX_C_SOURCE 200809L

#include "front_yaml.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "expr_parse.h"
#include "fdlrt.h"
#include "suggest.h"

typedef enum ynode_kind { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING } ynode_kind;

typedef struct ynode ynode;
struct ynode {
    ynode_kind kind;
    span span;
    /* scalar */
    const char *value;
    size_t length;
    yaml_scalar_style_t style;
    bool plain_null;          /* an unquoted ~, null or empty scalar */
    /* sequence: items; mapping: keys and values alternate */
    ynode **items;
    int count, capacity;
};

typedef struct reader {
    source_set *sources;
    arena *arena;
    int file;
    const source_file *text;
    ast_program *program;
    int errors_before;
    size_t nodes;             /* nodes built, against YAML_MAX_NODES */
    /* anchors seen so far in this document */
    struct anchor { const char *name; ynode *node; } *anchors;
    int nanchors, capanchors;
} reader;

/* ------------------------------------------------------------ positions */

/* libyaml marks count characters; spans count bytes. Walk the line. */
static uint32_t mark_offset(reader *r, yaml_mark_t mark)
{
    const source_file *f = r->text;
    if (mark.line >= f->nlines)
        return (uint32_t)f->size;
    uint32_t off = f->lines[mark.line];
    for (size_t col = 0; col < mark.column && off < f->size && f->text[off] != '\n'; col++) {
        unsigned char c = (unsigned char)f->text[off++];
        while (c >= 0xC0 && off < f->size && ((unsigned char)f->text[off] & 0xC0) == 0x80)
            off++;
    }
    return off;
}

static span mark_span(reader *r, yaml_mark_t start, yaml_mark_t end)
{
    uint32_t s = mark_offset(r, start), e = mark_offset(r, end);
    /* Trim trailing spaces and newlines libyaml includes in plain scalars. */
    while (e > s && (r->text->text[e - 1] == '\n' || r->text->text[e - 1] == ' ' ||
                     r->text->text[e - 1] == '\r'))
        e--;
    return span_make(r->file, s, e);
}

/* ----------------------------------------------------- stage 1: the tree */

static ynode *node_new(reader *r, ynode_kind kind, span sp)
{
    ynode *n = arena_alloc(r->arena, sizeof *n);
    n->kind = kind;
    n->span = sp;
    r->nodes++;
    return n;
}

static void node_append(reader *r, ynode *parent, ynode *child)
{
    if (parent->count == parent->capacity) {
        int cap = parent->capacity ? parent->capacity * 2 : 8;
        parent->items = arena_grow(r->arena, parent->items, sizeof(ynode *) * (size_t)parent->count,
                                   sizeof(ynode *) * (size_t)cap);
        parent->capacity = cap;
    }
    parent->items[parent->count++] = child;
}

static void remember_anchor(reader *r, const unsigned char *name, ynode *node)
{
    if (!name)
        return;
    if (r->nanchors == r->capanchors) {
        int cap = r->capanchors ? r->capanchors * 2 : 8;
        r->anchors = arena_grow(r->arena, r->anchors, sizeof(struct anchor) * (size_t)r->nanchors,
                                sizeof(struct anchor) * (size_t)cap);
        r->capanchors = cap;
    }
    r->anchors[r->nanchors].name = arena_strdup(r->arena, (const char *)name);
    r->anchors[r->nanchors].node = node;
    r->nanchors++;
}

static ynode *find_anchor(reader *r, const char *name)
{
    for (int i = r->nanchors - 1; i >= 0; i--)
        if (strcmp(r->anchors[i].name, name) == 0)
            return r->anchors[i].node;
    return NULL;
}

/* Counts the nodes reachable from n (aliases make it a DAG), up to a limit:
 * "billion laughs" documents are refused instead of expanded. */
static size_t count_expanded(const ynode *n, size_t budget)
{
    size_t total = 1;
    if (n->kind != YNODE_SCALAR)
        for (int i = 0; i < n->count && total <= budget; i++)
            total += count_expanded(n->items[i], budget - total);
    return total;
}

static bool is_plain_null(const yaml_event_t *ev)
{
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)ev->data.scalar.value;
    return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* Reads the whole stream; returns the root of the first document (NULL if empty). */
static ynode *build_tree(reader *r)
{
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)r->text->text, r->text->size);

    ynode *stack[YAML_MAX_DEPTH + 1];
    int depth = 0;
    ynode *root = NULL;
    int documents = 0;
    bool ok = true;

    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            span sp = mark_span(r, parser.problem_mark, parser.problem_mark);
            const char *problem = parser.problem ? parser.problem : "malformed YAML";
            if (parser.context) {
                diag_error(r->sources, DIAG_INVALID_YAML, sp, "invalid YAML: %s %s", problem, parser.context);
                span context = mark_span(r, parser.context_mark, parser.context_mark);
                if (context.start != sp.start)
                    diag_note(r->sources, context, "%s that starts here", parser.context);
            } else {
                diag_error(r->sources, DIAG_INVALID_YAML, sp, "invalid YAML: %s", problem);
            }
            if (parser.problem && strstr(parser.problem, "cannot start any token") &&
                sp.start < r->text->size && r->text->text[sp.start] == '\t')
                diag_note(r->sources, sp, "YAML does not allow tabs for indentation; use spaces");
            ok = false;
            break;
        }
        yaml_event_type_t event_type = ev.type;
        ynode *node = NULL;
        switch (event_type) {
        case YAML_DOCUMENT_START_EVENT:
            documents++;
            r->nanchors = 0;
            if (documents == 2) {
                diag_error(r->sources, DIAG_INVALID_YAML, mark_span(r, ev.start_mark, ev.end_mark),
                           "a definition file holds one YAML document; found a second");
                ok = false;
            }
            break;
        case YAML_SCALAR_EVENT:
            node = node_new(r, YNODE_SCALAR, mark_span(r, ev.start_mark, ev.end_mark));
            node->value = arena_strndup(r->arena, (const char *)ev.data.scalar.value,
                                        ev.data.scalar.length);
            node->length = ev.data.scalar.length;
            node->style = ev.data.scalar.style;
            node->plain_null = is_plain_null(&ev);
            remember_anchor(r, ev.data.scalar.anchor, node);
            break;
        case YAML_ALIAS_EVENT: {
            node = find_anchor(r, (const char *)ev.data.alias.anchor);
            if (!node) {
                diag_error(r->sources, DIAG_INVALID_YAML, mark_span(r, ev.start_mark, ev.end_mark),
                           "unknown YAML alias '*%s'", (const char *)ev.data.alias.anchor);
                ok = false;
            }
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth == YAML_MAX_DEPTH) {
                diag_error(r->sources, DIAG_INPUT_TOO_LARGE, mark_span(r, ev.start_mark, ev.end_mark),
                           "YAML nested more than %d levels deep", YAML_MAX_DEPTH);
                ok = false;
                break;
            }
            node = node_new(r, event_type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQUENCE : YNODE_MAPPING,
                            mark_span(r, ev.start_mark, ev.end_mark));
            remember_anchor(r, event_type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
                                                                 : ev.data.mapping_start.anchor,
                            node);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) {
                ynode *done = stack[--depth];
                done->span = span_join(done->span, mark_span(r, ev.start_mark, ev.start_mark));
            }
            break;
        default:
            break;
        }
        if (node && ok) {
            if (depth > 0)
                node_append(r, stack[depth - 1], node);
            else if (!root)
                root = node;
            if (event_type == YAML_SEQUENCE_START_EVENT || event_type == YAML_MAPPING_START_EVENT)
                stack[depth++] = node;
            if (r->nodes > YAML_MAX_NODES) {
                diag_error(r->sources, DIAG_INPUT_TOO_LARGE, node->span, "YAML document has more than %d nodes",
                           YAML_MAX_NODES);
                ok = false;
            }
        }
        yaml_event_delete(&ev);
        if (!ok || event_type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&parser);
    if (!ok)
        return NULL;
    if (root && count_expanded(root, YAML_MAX_NODES) > YAML_MAX_NODES) {
        diag_error(r->sources, DIAG_INPUT_TOO_LARGE, root->span,
                   "YAML aliases expand this document to more than %d nodes", YAML_MAX_NODES);
        return NULL;
    }
    return root;
}

/* --------------------------------------------- stage 2: tree to the AST */

static const char *kind_name(ynode_kind kind)
{
    switch (kind) {
    case YNODE_SCALAR: return "a scalar";
    case YNODE_SEQUENCE: return "a list";
    case YNODE_MAPPING: return "a mapping";
    }
    return "?";
}

static bool expect_kind(reader *r, const ynode *n, ynode_kind kind, const char *what)
{
    if (n->kind == kind)
        return true;
    diag_error(r->sources, DIAG_WRONG_SHAPE, n->span, "%s must be %s, not %s", what, kind_name(kind), kind_name(n->kind));
    return false;
}

/* A key of a mapping, checked against the keys a definition allows. */
typedef struct key_spec {
    const char *name;
    bool required;
} key_spec;

typedef struct mapping_view {
    const ynode *node;
    const ynode *values[16];   /* by key_spec index; NULL when absent */
    const ynode *keys[16];
} mapping_view;

/*
 * Reads a mapping's keys against a spec: reports unknown keys (suggesting a
 * close one), duplicates (with a note at the first) and missing required keys.
 * A misspelt key (one with a suggestion that is not given) then stands for
 * the key it suggests: one mistake, one error, not a second "missing".
 */
static bool read_mapping(reader *r, const ynode *n, const char *what, const key_spec *spec,
                         int nspec, mapping_view *view)
{
    assert(nspec <= 16);
    memset(view, 0, sizeof *view);
    view->node = n;
    if (!expect_kind(r, n, YNODE_MAPPING, what))
        return false;
    bool ok = true;
    int misspelt[16];          /* by key_spec index: the item index of a close unknown key, or -1 */
    for (int k = 0; k < 16; k++)
        misspelt[k] = -1;
    for (int i = 0; i + 1 < n->count; i += 2) {
        const ynode *key = n->items[i], *value = n->items[i + 1];
        if (key->kind != YNODE_SCALAR) {
            diag_error(r->sources, DIAG_UNKNOWN_KEY, key->span, "keys of %s must be plain names", what);
            ok = false;
            continue;
        }
        int found = -1;
        for (int k = 0; k < nspec; k++)
            if (strcmp(spec[k].name, key->value) == 0)
                found = k;
        if (found < 0) {
            const char *names[16];
            for (int k = 0; k < nspec; k++)
                names[k] = spec[k].name;
            const char *close = suggest_closest(key->value, names, nspec);
            if (close)
                diag_error(r->sources, DIAG_UNKNOWN_KEY, key->span, "unknown key '%s' in %s; did you mean '%s'?",
                           key->value, what, close);
            else
                diag_error(r->sources, DIAG_UNKNOWN_KEY, key->span, "unknown key '%s' in %s", key->value, what);
            for (int k = 0; close && k < nspec; k++)
                if (names[k] == close && misspelt[k] < 0)
                    misspelt[k] = i;
            ok = false;
            continue;
        }
        if (view->values[found]) {
            diag_error(r->sources, DIAG_DUPLICATE_KEY, key->span, "duplicate key '%s' in %s", key->value, what);
            diag_note(r->sources, view->keys[found]->span, "first given here");
            ok = false;
            continue;
        }
        view->values[found] = value;
        view->keys[found] = key;
    }
    for (int k = 0; k < nspec; k++)
        if (misspelt[k] >= 0 && !view->values[k]) {
            view->keys[k] = n->items[misspelt[k]];
            view->values[k] = n->items[misspelt[k] + 1];
        }
    for (int k = 0; k < nspec; k++)
        if (spec[k].required && !view->values[k]) {
            diag_error(r->sources, DIAG_MISSING_KEY, n->span, "%s is missing required key '%s'", what, spec[k].name);
            ok = false;
        }
    return ok;
}

/* A scalar that must be a non-empty string. */
static bool read_string(reader *r, const ynode *n, const char *what, const char **out)
{
    if (!n)
        return false;
    if (!expect_kind(r, n, YNODE_SCALAR, what))
        return false;
    if (n->plain_null || n->length == 0) {
        diag_error(r->sources, DIAG_INVALID_VALUE, n->span, "%s must not be empty", what);
        return false;
    }
    if (strlen(n->value) != n->length) {
        diag_error(r->sources, DIAG_INVALID_VALUE, n->span, "%s contains a NUL character", what);
        return false;
    }
    *out = n->value;
    return true;
}

/*
 * A name of something (entity, source, feature, field...). Names become C
 * identifiers in generated code, so they are restricted to identifier
 * characters; that also keeps them unambiguous in ENTITY.FEATURE references.
 */
static bool read_name(reader *r, const ynode *n, const char *what, ast_name *out)
{
    const char *text;
    if (!read_string(r, n, what, &text))
        return false;
    bool valid = (text[0] == '_' || (text[0] >= 'a' && text[0] <= 'z') ||
                  (text[0] >= 'A' && text[0] <= 'Z'));
    size_t len = strlen(text);
    for (size_t i = 1; i < len && valid; i++) {
        char c = text[i];
        valid = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    if (!valid || len > 128) {
        diag_error(r->sources, DIAG_INVALID_NAME, n->span,
                   "%s '%.64s' is not a valid name: use letters, digits and '_', starting with a "
                   "letter or '_', at most 128 characters", what, text);
        return false;
    }
    out->text = text;
    out->span = n->span;
    return true;
}

static bool read_integer(reader *r, const ynode *n, const char *what, int64_t *out)
{
    if (!expect_kind(r, n, YNODE_SCALAR, what))
        return false;
    const char *s = n->value;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (n->length == 0 || *end != '\0' || errno == ERANGE || s[0] == ' ' || s[0] == '+') {
        diag_error(r->sources, DIAG_INVALID_VALUE, n->span, "%s must be an integer, not '%.64s'", what, s);
        return false;
    }
    *out = v;
    return true;
}

/* A number: decimal digits with an optional fraction and exponent. */
static bool read_number(reader *r, const ynode *n, const char *what, double *out)
{
    const char *text;
    if (!read_string(r, n, what, &text))
        return false;
    fdl_value v;
    if (!*text || fdl_parse_value(FDL_FLOAT64, text, strlen(text), &v, NULL) != FDL_OK) {
        diag_error(r->sources, DIAG_INVALID_VALUE, n->span, "%s must be a number, not '%s'", what, text);
        return false;
    }
    *out = v.as.f;
    return true;
}

static bool read_bool(reader *r, const ynode *n, const char *what, bool *out)
{
    if (!expect_kind(r, n, YNODE_SCALAR, what))
        return false;
    if (strcmp(n->value, "true") == 0 || strcmp(n->value, "True") == 0 || strcmp(n->value, "yes") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(n->value, "false") == 0 || strcmp(n->value, "False") == 0 || strcmp(n->value, "no") == 0) {
        *out = false;
        return true;
    }
    diag_error(r->sources, DIAG_INVALID_VALUE, n->span, "%s must be true or false, not '%.64s'", what, n->value);
    return false;
}

static bool read_type(reader *r, const ynode *n, const char *what, type_kind *out)
{
    const char *text;
    if (!read_string(r, n, what, &text))
        return false;
    if (!type_parse(text, out)) {
        static const char *names[] = {"int64", "float64", "bool", "string", "timestamp", "float64_vector"};
        const char *close = suggest_closest(text, names, 6);
        if (close)
            diag_error(r->sources, DIAG_UNKNOWN_TYPE, n->span, "unknown type '%.64s'; did you mean '%s'?", text, close);
        else
            diag_error(r->sources, DIAG_UNKNOWN_TYPE, n->span,
                       "unknown type '%.64s' (types: int64, float64, bool, string, timestamp, "
                       "float64_vector)", text);
        return false;
    }
    return true;
}

/* Optional free text (description). */
static const char *read_text(reader *r, const ynode *n, const char *what)
{
    if (!n)
        return NULL;
    if (!expect_kind(r, n, YNODE_SCALAR, what))
        return NULL;
    return n->plain_null ? NULL : n->value;
}

/* window: <N>s|m|h|d|w or lifetime */
static void read_window(reader *r, const ynode *n, ast_aggregation *agg)
{
    agg->window_span = n->span;
    agg->window_written = true;
    if (expect_kind(r, n, YNODE_SCALAR, "window"))
        ast_read_window(r->sources, n->span, n->value, agg);
}

/* Bytes of the UTF-8 encoding of a code point. */
static size_t utf8_length(unsigned long code)
{
    return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

/* Length in the file of the escape at text[pos] ('\\' first) and how many
 * bytes it decodes to; 0 when it is not one we know. */
static size_t escape_length(const char *text, uint32_t pos, uint32_t end, size_t *decoded)
{
    if (pos + 1 >= end)
        return 0;
    int digits = text[pos + 1] == 'x' ? 2 : text[pos + 1] == 'u' ? 4 : text[pos + 1] == 'U' ? 8 : 0;
    if (digits == 0) {
        if (text[pos + 1] == '\n' || text[pos + 1] == '\r')
            return 0;   /* an escaped line break: the folding walk handles it */
        *decoded = text[pos + 1] == 'N' || text[pos + 1] == '_' ? 2 : text[pos + 1] == 'L' ||
                   text[pos + 1] == 'P' ? 3 : 1;
        return 2;
    }
    if (pos + 2 + (uint32_t)digits > end)
        return 0;
    char hex[9];
    memcpy(hex, text + pos + 2, (size_t)digits);
    hex[digits] = '\0';
    unsigned long code = strtoul(hex, NULL, 16);
    *decoded = utf8_length(code);
    return 2 + (size_t)digits;
}

/*
 * File offsets of each byte of a scalar's value, so that expression errors
 * point inside the YAML text. The decoded value and the file text are walked
 * together: equal bytes map one to one; a line break, indentation or a
 * folded line in the file is skipped where the value has a space, a newline
 * or nothing; an escape maps all the bytes it decodes to its backslash.
 * Block scalars start after their header line. If the walk ever loses its
 * way, every byte maps to the scalar's start (a located, if coarser, error).
 */
static const uint32_t *scalar_offsets(reader *r, const ynode *n)
{
    uint32_t *map = arena_alloc(r->arena, sizeof(uint32_t) * (n->length + 1));
    const char *text = r->text->text;
    uint32_t pos = n->span.start, end = n->span.end;
    bool single = n->style == YAML_SINGLE_QUOTED_SCALAR_STYLE;
    bool double_quoted = n->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (single || double_quoted) {
        pos++;
    } else if (n->style == YAML_LITERAL_SCALAR_STYLE || n->style == YAML_FOLDED_SCALAR_STYLE) {
        while (pos < end && text[pos] != '\n')
            pos++;      /* the header: | or > with indicators and a comment */
    }
    for (size_t i = 0; i < n->length;) {
        if (pos >= end) {
            /* The span stops before a block scalar's final line breaks. */
            if (n->value[i] != '\n')
                goto fallback;
            map[i++] = end;
            continue;
        }
        char c = n->value[i], t = text[pos];
        if (single && t == '\'' && c == '\'' && pos + 1 < end && text[pos + 1] == '\'') {
            map[i++] = pos;
            pos += 2;
            continue;
        }
        if (double_quoted && t == '\\') {
            size_t decoded = 0, length = escape_length(text, pos, end, &decoded);
            if (length > 0) {
                for (size_t k = 0; k < decoded && i < n->length; k++)
                    map[i++] = pos;
                pos += (uint32_t)length;
                continue;
            }
            /* an escaped line break: skip it and the next line's indentation */
            pos += 2;
            while (pos < end && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n'))
                pos++;
            continue;
        }
        if (t == c) {
            map[i++] = pos++;
            if (c == '\n') {
                /* The next line's indentation, less the spaces the value
                 * keeps (a more-indented line of a block scalar). */
                uint32_t spaces = 0;
                while (pos + spaces < end && text[pos + spaces] == ' ')
                    spaces++;
                uint32_t kept = 0;
                while (i + kept < n->length && n->value[i + kept] == ' ')
                    kept++;
                pos += kept <= spaces ? spaces - kept : spaces;
            }
            continue;
        }
        if (t == '\r') {
            pos++;
            continue;
        }
        if (t == '\n' || t == ' ' || t == '\t') {
            /* Folding: a line break (and indentation) read as a space or
             * nothing; the value's byte maps to where the break was. */
            uint32_t from = pos;
            while (pos < end && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' ||
                                 text[pos] == '\r'))
                pos++;
            if (c == ' ' || c == '\n') {
                map[i++] = from;
                continue;
            }
            if (pos < end && text[pos] == c)
                continue;   /* indentation only: the byte matches next */
            goto fallback;
        }
        goto fallback;
    }
    map[n->length] = pos;
    return map;
fallback:
    for (size_t i = 0; i <= n->length; i++)
        map[i] = n->span.start;
    return map;
}

/*
 * FIRST or FIRST.SECOND in one scalar (an aggregation's SRC.FIELD, an
 * expectation's exists_in target): split, keeping a span for each half.
 * second->text stays NULL without a dot.
 */
static bool read_dotted(reader *r, const ynode *n, const char *what, const char *first_what,
                        ast_name *first, ast_name *second)
{
    const char *text;
    if (!read_string(r, n, what, &text))
        return false;
    const char *dot = strchr(text, '.');
    if (!dot)
        return read_name(r, n, first_what, first);
    ynode part = *n;
    part.value = arena_strndup(r->arena, text, (size_t)(dot - text));
    part.length = (size_t)(dot - text);
    uint32_t split = n->span.start + (n->style == YAML_PLAIN_SCALAR_STYLE ? 0 : 1) +
                     (uint32_t)(dot - text);
    part.span.end = split;
    bool ok = read_name(r, &part, first_what, first);
    ynode field = *n;
    field.value = dot + 1;
    field.length = strlen(dot + 1);
    field.span.start = split + 1;
    return read_name(r, &field, "field name", second) && ok;
}

static void read_aggregation(reader *r, const ynode *n, ast_feature *f)
{
    static const key_spec spec[] = {
        {"function", true}, {"source", true}, {"window", false}, {"where", false},
        {"k", false}, {"percentile", false}, {"by", false}, {"hop", false},
    };
    mapping_view v;
    read_mapping(r, n, "aggregation", spec, 8, &v);
    ast_aggregation *agg = &f->aggregation;
    if (v.values[4]) {
        agg->k_span = v.values[4]->span;
        agg->k_written = true;
        agg->has_k = read_integer(r, v.values[4], "k", &agg->k);
    }
    if (v.values[5]) {
        agg->percentile_span = v.values[5]->span;
        agg->percentile_written = true;
        const ynode *list = v.values[5];
        if (list->kind == YNODE_SEQUENCE) {
            /* percentile: [P, ...]: one result per item (sema checks the count) */
            agg->percentile_list = true;
            agg->percentiles = arena_alloc(r->arena, sizeof(double) * (size_t)(list->count + 1));
            agg->percentile_spans = arena_alloc(r->arena, sizeof(span) * (size_t)(list->count + 1));
            agg->has_percentile = true;
            for (int i = 0; i < list->count; i++) {
                agg->percentile_spans[i] = list->items[i]->span;
                agg->has_percentile &= read_number(r, list->items[i], "percentile",
                                                   &agg->percentiles[i]);
            }
            agg->npercentiles = list->count;
            if (list->count > 0)
                agg->percentile = agg->percentiles[0];
        } else {
            agg->has_percentile = read_number(r, list, "percentile", &agg->percentile);
        }
    }
    if (v.values[6]) {
        agg->by_written = true;
        read_name(r, v.values[6], "by field", &agg->by);
    }
    if (v.values[0])
        read_name(r, v.values[0], "aggregation function", &agg->function);
    if (v.values[1]) {
        agg->source_span = v.values[1]->span;
        read_dotted(r, v.values[1], "aggregation source", "source name", &agg->source,
                    &agg->field);
    }
    if (v.values[2])
        read_window(r, v.values[2], agg);
    if (v.values[7]) {
        agg->hop_span = v.values[7]->span;
        agg->hop_written = true;
        if (expect_kind(r, v.values[7], YNODE_SCALAR, "hop"))
            ast_read_hop(r->sources, v.values[7]->span, v.values[7]->value, agg);
    }
    if (v.values[3]) {
        const ynode *w = v.values[3];
        agg->where_span = w->span;
        agg->where_written = true;
        if (expect_kind(r, w, YNODE_SCALAR, "where")) {
            if (w->length == 0 || w->plain_null)
                diag_error(r->sources, DIAG_INVALID_VALUE, w->span, "where must be a non-empty expression");
            else
                agg->where = expr_parse(r->sources, r->arena, r->file, w->span.start,
                                        scalar_offsets(r, w), w->value, w->length);
        }
    }
}

/* ENTITY.FEATURE (or FEATURE) as written in computation args. */
static bool read_qualified(reader *r, const ynode *n, ast_qualified *out)
{
    const char *text;
    if (!read_string(r, n, "argument", &text))
        return false;
    out->span = n->span;
    const char *dot = strchr(text, '.');
    ynode part = *n;
    if (!dot)
        return read_name(r, n, "feature name", &out->feature);
    uint32_t split = n->span.start + (n->style == YAML_PLAIN_SCALAR_STYLE ? 0 : 1) +
                     (uint32_t)(dot - text);
    part.value = arena_strndup(r->arena, text, (size_t)(dot - text));
    part.length = (size_t)(dot - text);
    part.span.end = split;
    bool ok = read_name(r, &part, "entity name", &out->entity);
    ynode rest = *n;
    rest.value = dot + 1;
    rest.length = strlen(dot + 1);
    rest.span.start = split + 1;
    return read_name(r, &rest, "feature name", &out->feature) && ok;
}

static void read_computation(reader *r, const ynode *n, ast_feature *f)
{
    static const key_spec spec[] = {
        {"function", true}, {"model", false}, {"dimension", false}, {"args", false},
    };
    mapping_view v;
    read_mapping(r, n, "computation", spec, 4, &v);
    ast_computation *c = &f->computation;
    if (v.values[0])
        read_name(r, v.values[0], "computation function", &c->function);
    if (v.values[1])
        read_name(r, v.values[1], "model", &c->model);
    if (v.values[2]) {
        c->dimension_span = v.values[2]->span;
        c->dimension_written = true;
        if (read_integer(r, v.values[2], "dimension", &c->dimension) && c->dimension <= 0) {
            diag_error(r->sources, DIAG_INVALID_VALUE, v.values[2]->span, "dimension must be positive");
            c->dimension = 0;
        }
    }
    if (v.values[3] && expect_kind(r, v.values[3], YNODE_SEQUENCE, "args")) {
        const ynode *args = v.values[3];
        c->args_span = args->span;
        c->args = arena_alloc(r->arena, sizeof(ast_qualified) * (size_t)(args->count + 1));
        for (int i = 0; i < args->count; i++)
            if (read_qualified(r, args->items[i], &c->args[c->nargs]))
                c->nargs++;
    }
}

static void read_tags(reader *r, const ynode *n, ast_feature *f)
{
    if (!expect_kind(r, n, YNODE_SEQUENCE, "tags"))
        return;
    f->tags = arena_alloc(r->arena, sizeof(char *) * (size_t)(n->count + 1));
    for (int i = 0; i < n->count; i++) {
        const char *tag;
        if (read_string(r, n->items[i], "tag", &tag))
            f->tags[f->ntags++] = tag;
    }
}

#define APPEND(r, list, count, cap) \
    (((count) == (cap) ? ((list) = arena_grow((r)->arena, (list), sizeof *(list) * (size_t)(count), \
                                              sizeof *(list) * (size_t)((cap) = (cap) ? (cap) * 2 : 16))) \
                       : (list)), \
     &(list)[(count)++])

/* A key column's type: string or int64. */
static type_kind read_key_type(reader *r, const ynode *n, const char *what)
{
    type_kind type;
    if (!read_type(r, n, what, &type))
        return TYPE_STRING;
    if (type != TYPE_STRING && type != TYPE_INT64) {
        diag_error(r->sources, DIAG_TYPE_MISMATCH, n->span, "%s must be string or int64", what);
        return TYPE_STRING;
    }
    return type;
}

static void read_entity(reader *r, const ynode *n)
{
    enum { NAME, JOIN_KEY, JOIN_KEYS, KEY_TYPE, KEY_TYPES, DESCRIPTION, NKEYS };
    static const key_spec spec[] = {
        {"name", true}, {"join_key", false}, {"join_keys", false}, {"key_type", false},
        {"key_types", false}, {"description", false},
    };
    mapping_view v;
    read_mapping(r, n, "entity", spec, NKEYS, &v);
    ast_program *p = r->program;
    ast_entity *e = APPEND(r, p->entities, p->nentities, p->capentities);
    e->span = n->span;
    e->key_type = TYPE_STRING;
    if (v.values[NAME])
        read_name(r, v.values[NAME], "entity name", &e->name);
    if (v.values[JOIN_KEY] && v.values[JOIN_KEYS]) {
        diag_error(r->sources, DIAG_CONFLICTING_KEYS, v.keys[JOIN_KEYS]->span, "give either 'join_key' or 'join_keys', not both");
    } else if (v.values[JOIN_KEY]) {
        e->join_keys = arena_alloc(r->arena, sizeof(ast_name));
        if (read_name(r, v.values[JOIN_KEY], "join_key", &e->join_keys[0]))
            e->nkeys = 1;
    } else if (v.values[JOIN_KEYS]) {
        const ynode *list = v.values[JOIN_KEYS];
        if (expect_kind(r, list, YNODE_SEQUENCE, "join_keys")) {
            e->join_keys = arena_alloc(r->arena, sizeof(ast_name) * (size_t)(list->count + 1));
            for (int i = 0; i < list->count; i++) {
                ast_name *key = &e->join_keys[e->nkeys];
                if (!read_name(r, list->items[i], "join key", key))
                    continue;
                bool repeated = false;
                for (int k = 0; k < e->nkeys; k++)
                    repeated |= strcmp(e->join_keys[k].text, key->text) == 0;
                if (repeated)
                    diag_error(r->sources, DIAG_DUPLICATE_DEFINITION, key->span, "join key '%s' is listed twice", key->text);
                else
                    e->nkeys++;
            }
            if (list->count == 0)
                diag_error(r->sources, DIAG_INVALID_VALUE, list->span, "join_keys must name at least one column");
        }
    } else if (v.node->kind == YNODE_MAPPING) {
        diag_error(r->sources, DIAG_MISSING_KEY, n->span, "entity is missing required key 'join_key' (or 'join_keys')");
    }
    e->key_types = arena_alloc(r->arena, sizeof(type_kind) * (size_t)(e->nkeys + 1));
    for (int i = 0; i < e->nkeys; i++)
        e->key_types[i] = TYPE_STRING;
    if (v.values[KEY_TYPE] && v.values[KEY_TYPES]) {
        diag_error(r->sources, DIAG_CONFLICTING_KEYS, v.keys[KEY_TYPES]->span, "give either 'key_type' or 'key_types', not both");
    } else if (v.values[KEY_TYPE]) {
        e->key_type_span = v.values[KEY_TYPE]->span;
        type_kind type = read_key_type(r, v.values[KEY_TYPE], "key_type");
        for (int i = 0; i < e->nkeys; i++)
            e->key_types[i] = type;
    } else if (v.values[KEY_TYPES]) {
        const ynode *list = v.values[KEY_TYPES];
        e->key_type_span = list->span;
        if (expect_kind(r, list, YNODE_SEQUENCE, "key_types")) {
            if (list->count != e->nkeys && e->nkeys > 0)
                diag_error(r->sources, DIAG_TYPE_MISMATCH, list->span, "key_types has %d type%s for %d join key%s",
                           list->count, list->count == 1 ? "" : "s", e->nkeys, e->nkeys == 1 ? "" : "s");
            for (int i = 0; i < list->count && i < e->nkeys; i++)
                e->key_types[i] = read_key_type(r, list->items[i], "key type");
        }
    }
    if (e->nkeys > 0) {
        e->join_key = e->join_keys[0];
        e->key_type = e->key_types[0];
    }
    e->description = read_text(r, v.values[DESCRIPTION], "description");
}

/* ----------------------------------------------------------- expectations */

/* A literal kept as written; sema reads it as the type it applies to. */
static bool read_value(reader *r, const ynode *n, const char *what, ast_value *out)
{
    if (!expect_kind(r, n, YNODE_SCALAR, what))
        return false;
    out->span = n->span;
    out->is_null = n->plain_null;
    out->text = n->value;
    out->length = n->length;
    return true;
}

/* policy: fail | drop | clamp | flag | {impute: VALUE} */
static void read_policy(reader *r, const ynode *n, const char *what, ast_policy *out)
{
    out->span = n->span;
    if (n->kind == YNODE_MAPPING) {
        static const key_spec spec[] = {{"impute", true}};
        mapping_view v;
        if (read_mapping(r, n, what, spec, 1, &v) && read_value(r, v.values[0], "impute value", &out->impute))
            out->kind = POLICY_IMPUTE;
        return;
    }
    const char *text;
    if (!read_string(r, n, what, &text))
        return;
    static const char *const names[] = {"fail", "drop", "clamp", "flag"};
    static const policy_kind kinds[] = {POLICY_FAIL, POLICY_DROP, POLICY_CLAMP, POLICY_FLAG};
    for (int i = 0; i < 4; i++)
        if (strcmp(text, names[i]) == 0) {
            out->kind = kinds[i];
            return;
        }
    const char *close = suggest_closest(text, names, 4);
    diag_error(r->sources, DIAG_INVALID_POLICY, n->span,
               "unknown %s '%.64s'%s%s%s (policies: fail, drop, clamp, flag, {impute: VALUE})",
               what, text, close ? "; did you mean '" : "", close ? close : "", close ? "'?" : "");
}

/* A list of scalars: [LOW, HIGH] when pair, else one or more values. */
static void read_values(reader *r, const ynode *n, ast_expectation *e, bool pair)
{
    const char *what = expectation_kind_name(e->kind);
    if (!expect_kind(r, n, YNODE_SEQUENCE, what))
        return;
    if (pair && n->count != 2) {
        diag_error(r->sources, DIAG_EXPECTATION_ARGUMENT, n->span, "%s takes [LOW, HIGH] (either may be null), not %d value%s",
                   what, n->count, n->count == 1 ? "" : "s");
        return;
    }
    if (!pair && n->count == 0) {
        diag_error(r->sources, DIAG_EXPECTATION_ARGUMENT, n->span, "%s needs at least one value", what);
        return;
    }
    e->values = arena_alloc(r->arena, sizeof(ast_value) * (size_t)n->count);
    bool ok = true;
    for (int i = 0; i < n->count; i++)
        ok &= read_value(r, n->items[i], pair ? "bound" : "value", &e->values[i]);
    if (ok)
        e->nvalues = n->count;
}

/*
 * One expectation: a mapping with one expectation key and an optional
 * policy, e.g. {range: [0, 100], policy: clamp}. row: of a source (expr,
 * unique) rather than of a field.
 */
static bool read_expectation(reader *r, const ynode *n, bool row, ast_expectation *e)
{
    key_spec spec[EXPECT_KIND_COUNT + 1];
    for (int k = 0; k < EXPECT_KIND_COUNT; k++)
        spec[k] = (key_spec){expectation_kind_name((expectation_kind)k), false};
    spec[EXPECT_KIND_COUNT] = (key_spec){"policy", false};
    mapping_view v;
    if (!read_mapping(r, n, "expectation", spec, EXPECT_KIND_COUNT + 1, &v))
        return false;
    e->span = n->span;
    /* The first written, and the one written after it, if any. */
    int given = -1, second = -1;
    for (int k = 0; k < EXPECT_KIND_COUNT; k++) {
        if (!v.values[k])
            continue;
        if (given < 0 || v.keys[k]->span.start < v.keys[given]->span.start) {
            second = given;
            given = k;
        } else if (second < 0 || v.keys[k]->span.start < v.keys[second]->span.start) {
            second = k;
        }
    }
    if (second >= 0) {
        diag_error(r->sources, DIAG_CONFLICTING_KEYS, v.keys[second]->span,
                   "an expectation checks one thing; write '%s' as an expectation of its own",
                   spec[second].name);
        diag_note(r->sources, v.keys[given]->span, "'%s' given here", spec[given].name);
        return false;
    }
    if (given < 0) {
        if (row)
            diag_error(r->sources, DIAG_UNKNOWN_EXPECTATION, n->span,
                       "a source's own expectation needs expr or unique (field expectations go "
                       "in a field's expect list)");
        else
            diag_error(r->sources, DIAG_UNKNOWN_EXPECTATION, n->span,
                       "an expectation needs one of not_null, range, in, matches, max_future, "
                       "ordered, max_gap, exists_in, mean, stddev, null_ratio, distinct");
        return false;
    }
    e->kind = (expectation_kind)given;
    const ynode *arg = v.values[given];
    e->argument_span = arg->span;
    bool row_kind = e->kind == EXPECT_EXPR || e->kind == EXPECT_UNIQUE;
    if (row_kind != row) {
        diag_error(r->sources, DIAG_UNKNOWN_EXPECTATION, v.keys[given]->span,
                   row ? "'%s' checks a field: write it in that field's expect list"
                       : "'%s' checks a whole row: write it in the source's expect list",
                   spec[given].name);
        return false;
    }
    if (v.values[EXPECT_KIND_COUNT])
        read_policy(r, v.values[EXPECT_KIND_COUNT], "policy", &e->policy);
    bool flag;
    switch (e->kind) {
    case EXPECT_NOT_NULL:
    case EXPECT_ORDERED:
        if (read_bool(r, arg, spec[given].name, &flag) && !flag) {
            diag_error(r->sources, DIAG_EXPECTATION_ARGUMENT, arg->span, "%s takes only true (leave it out to allow %s)",
                       spec[given].name, e->kind == EXPECT_NOT_NULL ? "nulls" : "any order");
            return false;
        }
        return true;
    case EXPECT_RANGE:
    case EXPECT_MEAN:
    case EXPECT_STDDEV:
    case EXPECT_DISTINCT:
        read_values(r, arg, e, true);
        return e->nvalues == 2;
    case EXPECT_IN:
        read_values(r, arg, e, false);
        return e->nvalues > 0;
    case EXPECT_MATCHES:
    case EXPECT_NULL_RATIO:
        e->values = arena_alloc(r->arena, sizeof(ast_value));
        if (!read_value(r, arg, spec[given].name, &e->values[0]))
            return false;
        e->nvalues = 1;
        return true;
    case EXPECT_MAX_FUTURE:
    case EXPECT_MAX_GAP: {
        const char *text;
        return read_string(r, arg, spec[given].name, &text) &&
               ast_read_duration(r->sources, arg->span, text, spec[given].name, &e->seconds);
    }
    case EXPECT_EXISTS_IN:
        return read_dotted(r, arg, "exists_in", "source or embedding name", &e->target,
                           &e->target_field);
    case EXPECT_EXPR:
        if (!expect_kind(r, arg, YNODE_SCALAR, "expr"))
            return false;
        if (arg->length == 0 || arg->plain_null) {
            diag_error(r->sources, DIAG_INVALID_VALUE, arg->span, "expr must be a non-empty expression");
            return false;
        }
        e->expr = expr_parse(r->sources, r->arena, r->file, arg->span.start,
                             scalar_offsets(r, arg), arg->value, arg->length);
        return e->expr != NULL;
    case EXPECT_UNIQUE:
        if (arg->kind == YNODE_SCALAR) {
            e->fields = arena_alloc(r->arena, sizeof(ast_name));
            e->nfields = read_name(r, arg, "field name", &e->fields[0]) ? 1 : 0;
            return e->nfields == 1;
        }
        if (!expect_kind(r, arg, YNODE_SEQUENCE, "unique"))
            return false;
        if (arg->count == 0) {
            diag_error(r->sources, DIAG_EXPECTATION_ARGUMENT, arg->span, "unique needs at least one field");
            return false;
        }
        e->fields = arena_alloc(r->arena, sizeof(ast_name) * (size_t)arg->count);
        for (int i = 0; i < arg->count; i++)
            if (read_name(r, arg->items[i], "field name", &e->fields[e->nfields]))
                e->nfields++;
        return e->nfields == arg->count;
    case EXPECT_KIND_COUNT:
        break;
    }
    return false;
}

static void read_expectations(reader *r, const ynode *n, bool row, ast_expectation **out,
                              int *count)
{
    *count = 0;
    if (!expect_kind(r, n, YNODE_SEQUENCE, "expect"))
        return;
    *out = arena_alloc(r->arena, sizeof(ast_expectation) * (size_t)(n->count + 1));
    for (int i = 0; i < n->count; i++)
        if (read_expectation(r, n->items[i], row, &(*out)[*count]))
            (*count)++;
}

/* sla: {pass_rate: 0.99, min_rows: N, max_null_ratio: {FIELD: RATIO, ...}} */
static void read_sla(reader *r, const ynode *n, ast_sla *sla)
{
    static const key_spec spec[] = {{"pass_rate", false}, {"min_rows", false}, {"max_null_ratio", false}};
    mapping_view v;
    sla->span = n->span;
    if (!read_mapping(r, n, "sla", spec, 3, &v))
        return;
    sla->written = true;
    if (v.values[0]) {
        sla->pass_rate_span = v.values[0]->span;
        sla->has_pass_rate = read_number(r, v.values[0], "pass_rate", &sla->pass_rate);
    }
    if (v.values[1]) {
        sla->min_rows_span = v.values[1]->span;
        sla->has_min_rows = read_integer(r, v.values[1], "min_rows", &sla->min_rows);
    }
    const ynode *limits = v.values[2];
    if (limits && expect_kind(r, limits, YNODE_MAPPING, "max_null_ratio")) {
        sla->max_null_ratio = arena_alloc(r->arena, sizeof(ast_null_limit) * (size_t)(limits->count / 2 + 1));
        for (int i = 0; i + 1 < limits->count; i += 2) {
            ast_null_limit *limit = &sla->max_null_ratio[sla->nmax_null_ratio];
            limit->span = limits->items[i + 1]->span;
            bool named = read_name(r, limits->items[i], "field name", &limit->field);
            if (read_number(r, limits->items[i + 1], "null ratio", &limit->max_ratio) && named)
                sla->nmax_null_ratio++;
        }
    }
}

/*
 * A list of {name, type} mappings (a source's fields, a set's request). A
 * source's fields may also carry expect and on_invalid.
 */
static void read_field_list(reader *r, const ynode *list, const char *what, ast_field **out,
                            int *count, bool source)
{
    static const key_spec field_spec[] = {
        {"name", true}, {"type", true}, {"expect", false}, {"on_invalid", false},
    };
    *count = 0;
    if (!expect_kind(r, list, YNODE_SEQUENCE, what))
        return;
    *out = arena_alloc(r->arena, sizeof(ast_field) * (size_t)(list->count + 1));
    for (int i = 0; i < list->count; i++) {
        mapping_view fv;
        if (!read_mapping(r, list->items[i], "field", field_spec, source ? 4 : 2, &fv))
            continue;
        ast_field *field = &(*out)[*count];
        field->type_span = fv.values[1]->span;
        /* Both are read, so that both report their errors. */
        bool named = read_name(r, fv.values[0], "field name", &field->name);
        bool typed = read_type(r, fv.values[1], "field type", &field->type);
        /* In written order, so that errors come in line order. */
        bool invalid_first = fv.values[3] && (!fv.values[2] || fv.keys[3]->span.start < fv.keys[2]->span.start);
        if (fv.values[3] && invalid_first)
            read_policy(r, fv.values[3], "on_invalid policy", &field->on_invalid);
        if (fv.values[2])
            read_expectations(r, fv.values[2], false, &field->expects, &field->nexpects);
        if (fv.values[3] && !invalid_first)
            read_policy(r, fv.values[3], "on_invalid policy", &field->on_invalid);
        if (named && typed)
            (*count)++;
    }
}

static void read_source(reader *r, const ynode *n)
{
    static const key_spec spec[] = {
        {"name", true}, {"timestamp", true}, {"fields", true}, {"description", false},
        {"expect", false}, {"sla", false}, {"retention", false},
    };
    mapping_view v;
    read_mapping(r, n, "source", spec, 7, &v);
    ast_program *p = r->program;
    ast_source *s = APPEND(r, p->sources, p->nsources, p->capsources);
    s->span = n->span;
    if (v.values[0])
        read_name(r, v.values[0], "source name", &s->name);
    if (v.values[1])
        read_name(r, v.values[1], "timestamp column", &s->timestamp);
    if (v.values[2])
        read_field_list(r, v.values[2], "fields", &s->fields, &s->nfields, true);
    s->description = read_text(r, v.values[3], "description");
    if (v.values[4])
        read_expectations(r, v.values[4], true, &s->expects, &s->nexpects);
    if (v.values[5])
        read_sla(r, v.values[5], &s->sla);
    const char *retention;
    if (v.values[6] && read_string(r, v.values[6], "retention", &retention)) {
        s->retention_span = v.values[6]->span;
        s->has_retention = ast_read_duration(r->sources, v.values[6]->span, retention, "retention",
                                             &s->retention_seconds);
    }
}

static void read_embedding(reader *r, const ynode *n)
{
    static const key_spec spec[] = {
        {"name", true}, {"entity", true}, {"dimension", true}, {"path", true}, {"description", false},
    };
    mapping_view v;
    read_mapping(r, n, "embedding", spec, 5, &v);
    ast_program *p = r->program;
    ast_embedding *e = APPEND(r, p->embeddings, p->nembeddings, p->capembeddings);
    e->span = n->span;
    if (v.values[0])
        read_name(r, v.values[0], "embedding name", &e->name);
    if (v.values[1])
        read_name(r, v.values[1], "entity", &e->entity);
    if (v.values[2]) {
        e->dimension_span = v.values[2]->span;
        if (read_integer(r, v.values[2], "dimension", &e->dimension) &&
            (e->dimension <= 0 || e->dimension > 65536)) {
            diag_error(r->sources, DIAG_INVALID_VALUE, v.values[2]->span, "dimension must be between 1 and 65536");
            e->dimension = 0;
        }
    }
    const char *path;
    if (v.values[3] && read_string(r, v.values[3], "path", &path)) {
        e->path_span = v.values[3]->span;
        e->path = ast_resolve_path(r->arena, r->text->path, path);
    }
    e->description = read_text(r, v.values[4], "description");
}

static void read_feature(reader *r, const ynode *n)
{
    enum {
        NAME, ENTITY, ENTITIES, DESCRIPTION, TAGS, VALUE_TYPE, ONLINE, AGGREGATION, COMPUTATION,
        EXPR, DEFAULT, NKEYS
    };
    static const key_spec spec[] = {
        {"name", true}, {"entity", false}, {"entities", false}, {"description", false},
        {"tags", false}, {"value_type", false}, {"online_compute", false},
        {"aggregation", false}, {"computation", false}, {"expr", false}, {"default", false},
    };
    mapping_view v;
    read_mapping(r, n, "feature", spec, NKEYS, &v);
    ast_program *p = r->program;
    ast_feature *f = APPEND(r, p->features, p->nfeatures, p->capfeatures);
    f->span = n->span;
    if (v.values[NAME])
        read_name(r, v.values[NAME], "feature name", &f->name);
    if (v.values[ENTITY] && v.values[ENTITIES]) {
        diag_error(r->sources, DIAG_CONFLICTING_KEYS, v.keys[ENTITIES]->span, "give either 'entity' or 'entities', not both");
    } else if (v.values[ENTITY]) {
        f->entities = arena_alloc(r->arena, sizeof(ast_name));
        f->entities_span = v.values[ENTITY]->span;
        if (read_name(r, v.values[ENTITY], "entity", &f->entities[0]))
            f->nentities = 1;
    } else if (v.values[ENTITIES]) {
        const ynode *list = v.values[ENTITIES];
        f->entities_span = list->span;
        if (expect_kind(r, list, YNODE_SEQUENCE, "entities")) {
            f->entities = arena_alloc(r->arena, sizeof(ast_name) * (size_t)(list->count + 1));
            for (int i = 0; i < list->count; i++)
                if (read_name(r, list->items[i], "entity", &f->entities[f->nentities]))
                    f->nentities++;
            if (list->count == 0)
                diag_error(r->sources, DIAG_INVALID_VALUE, list->span, "entities must name at least one entity");
        }
    } else if (v.node->kind == YNODE_MAPPING) {
        diag_error(r->sources, DIAG_MISSING_KEY, n->span, "feature is missing required key 'entity' (or 'entities')");
    }
    f->description = read_text(r, v.values[DESCRIPTION], "description");
    if (v.values[TAGS])
        read_tags(r, v.values[TAGS], f);
    if (v.values[VALUE_TYPE]) {
        f->value_type_span = v.values[VALUE_TYPE]->span;
        f->has_value_type = read_type(r, v.values[VALUE_TYPE], "value_type", &f->value_type.kind);
    }
    if (v.values[ONLINE])
        read_bool(r, v.values[ONLINE], "online_compute", &f->online_compute);
    if (v.values[DEFAULT]) {
        const ynode *d = v.values[DEFAULT];
        f->default_span = d->span;
        if (expect_kind(r, d, YNODE_SCALAR, "default")) {
            if (d->plain_null)
                diag_error(r->sources, DIAG_INVALID_DEFAULT, d->span, "default must be a value, not null");
            else {
                f->has_default = true;
                f->default_text = d->value;
                f->default_length = d->length;
            }
        }
    }
    /* Exactly one definition: aggregation, computation or expr. */
    static const int kinds[] = {AGGREGATION, COMPUTATION, EXPR};
    int given = -1;
    for (int i = 0; i < 3; i++) {
        if (!v.values[kinds[i]])
            continue;
        if (given >= 0) {
            diag_error(r->sources, DIAG_CONFLICTING_KEYS, v.keys[kinds[i]]->span,
                       "a feature has exactly one of 'aggregation', 'computation' and 'expr'");
            diag_note(r->sources, v.keys[given]->span, "'%s' given here", spec[given].name);
            return;
        }
        given = kinds[i];
    }
    if (given == AGGREGATION) {
        f->kind = FEATURE_AGGREGATION;
        read_aggregation(r, v.values[AGGREGATION], f);
    } else if (given == COMPUTATION) {
        f->kind = FEATURE_COMPUTATION;
        read_computation(r, v.values[COMPUTATION], f);
    } else if (given == EXPR) {
        const ynode *e = v.values[EXPR];
        f->expr_span = e->span;
        if (expect_kind(r, e, YNODE_SCALAR, "expr")) {
            if (e->length == 0 || e->plain_null) {
                diag_error(r->sources, DIAG_INVALID_VALUE, e->span, "expr must be a non-empty expression");
            } else {
                f->kind = FEATURE_DERIVED;
                f->expr = expr_parse(r->sources, r->arena, r->file, e->span.start,
                                     scalar_offsets(r, e), e->value, e->length);
            }
        }
    } else if (v.node->kind == YNODE_MAPPING) {
        diag_error(r->sources, DIAG_MISSING_KEY, n->span, "feature needs an 'aggregation', a 'computation' or an 'expr'");
    }
}

static void read_feature_set(reader *r, const ynode *n)
{
    static const key_spec spec[] = {
        {"name", true}, {"features", true}, {"description", false}, {"request", false},
    };
    mapping_view v;
    read_mapping(r, n, "feature set", spec, 4, &v);
    ast_program *p = r->program;
    ast_feature_set *s = APPEND(r, p->sets, p->nsets, p->capsets);
    s->span = n->span;
    if (v.values[0])
        read_name(r, v.values[0], "feature set name", &s->name);
    if (v.values[1] && expect_kind(r, v.values[1], YNODE_SEQUENCE, "features")) {
        const ynode *list = v.values[1];
        s->features = arena_alloc(r->arena, sizeof(ast_name) * (size_t)(list->count + 1));
        for (int i = 0; i < list->count; i++)
            if (read_name(r, list->items[i], "feature name", &s->features[s->nfeatures]))
                s->nfeatures++;
        if (list->count == 0)
            diag_error(r->sources, DIAG_EMPTY_SET, list->span, "a feature set needs at least one feature");
    }
    s->description = read_text(r, v.values[2], "description");
    if (v.values[3]) {
        s->request_span = v.values[3]->span;
        read_field_list(r, v.values[3], "request", &s->request, &s->nrequest, false);
    }
}

/*
 * A definition under another kind's section (a feature under
 * feature_sets:) has keys only that kind has and none of its section's:
 * one error saying so, and it is read as what it is, so that what refers
 * to it does not fail too. Returns the kind it is read as.
 */
static int section_of(reader *r, int section, const ynode *item, const char *const list_names[])
{
    static const char *const own_keys[5][9] = {
        {"join_key", "join_keys", "key_type", "key_types"},
        {"timestamp", "fields", "expect", "sla", "retention"},
        {"dimension", "path"},
        {"entities", "aggregation", "computation", "expr", "value_type", "tags", "online_compute", "default"},
        {"features", "request"},
    };
    static const char *const kinds[5] = {"an entity", "a source", "an embedding", "a feature", "a feature set"};
    if (item->kind != YNODE_MAPPING)
        return section;
    const ynode *first[5] = {NULL};
    for (int i = 0; i + 1 < item->count; i += 2) {
        const ynode *key = item->items[i];
        for (int k = 0; key->kind == YNODE_SCALAR && k < 5; k++)
            for (int j = 0; j < 9 && own_keys[k][j]; j++)
                if (strcmp(key->value, own_keys[k][j]) == 0 && !first[k])
                    first[k] = key;
    }
    if (first[section])
        return section;
    for (int k = 0; k < 5; k++)
        if (first[k]) {
            diag_error(r->sources, DIAG_WRONG_SECTION, first[k]->span,
                       "%s under '%s:' (it has '%s'): move it under '%s:'", kinds[k],
                       list_names[section], first[k]->value, list_names[k]);
            return k;
        }
    return section;
}

bool front_yaml_read(source_set *sources, arena *a, int file, ast_program *program)
{
    reader r = {0};
    r.sources = sources;
    r.arena = a;
    r.file = file;
    r.text = source_get(sources, file);
    r.program = program;
    r.errors_before = sources->errors;
    if (!r.text)
        return false;

    ynode *root = build_tree(&r);
    if (!root)
        return sources->errors == r.errors_before;  /* an empty file declares nothing */
    if (root->kind == YNODE_SCALAR && root->plain_null)
        return true;

    static const key_spec spec[] = {
        {"entities", false}, {"sources", false}, {"embeddings", false},
        {"features", false}, {"feature_sets", false},
    };
    static void (*const readers[])(reader *, const ynode *) = {
        read_entity, read_source, read_embedding, read_feature, read_feature_set,
    };
    static const char *const list_names[] = {
        "entities", "sources", "embeddings", "features", "feature_sets",
    };
    mapping_view v;
    read_mapping(&r, root, "a definition file", spec, 5, &v);
    for (int k = 0; k < 5; k++) {
        const ynode *list = v.values[k];
        if (!list || (list->kind == YNODE_SCALAR && list->plain_null))
            continue;
        if (!expect_kind(&r, list, YNODE_SEQUENCE, list_names[k]))
            continue;
        for (int i = 0; i < list->count; i++)
            readers[section_of(&r, k, list->items[i], list_names)](&r, list->items[i]);
    }
    return sources->errors == r.errors_before;
}
