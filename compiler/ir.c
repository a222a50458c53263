/*
 * ir.c - the checked program: canonical text, fingerprint and dump.
 *
 * The fingerprint is a SHA-256 of a canonical text of the semantics, not of
 * the files: reformatting, reordering keys or editing descriptions leaves it
 * unchanged; changing a window, a filter or a type changes it.
 */
#include "ir.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The flags column's words (stdlib/aggregations.def). */
#define HOP AGG_FLAG_HOP
#define NO_SLIDING AGG_FLAG_NO_SLIDING
static const agg_info agg_table[AGG_FUNCTION_COUNT] = {
#define FDL_AGGREGATION(name, id, param, values, result, needs, flags, no_hop, doc) \
    {#name, AGG_PARAM_##param, AGG_VALUES_##values, AGG_RESULT_##result, (flags), no_hop, doc},
#include "aggregations.def"
#undef FDL_AGGREGATION
};
#undef HOP
#undef NO_SLIDING

const char *const agg_function_names[AGG_FUNCTION_COUNT] = {
#define FDL_AGGREGATION(name, ...) #name,
#include "aggregations.def"
#undef FDL_AGGREGATION
};

const agg_info *agg_info_of(agg_function fn)
{
    assert(fn >= 0 && fn < AGG_FUNCTION_COUNT);
    assert((agg_table[fn].no_hop == NULL) == ((agg_table[fn].flags & AGG_FLAG_HOP) != 0));
    return &agg_table[fn];
}

const char *agg_function_name(agg_function fn) { return agg_info_of(fn)->name; }

bool agg_function_parse(const char *name, agg_function *out)
{
    for (int i = 0; i < AGG_FUNCTION_COUNT; i++)
        if (strcmp(agg_function_names[i], name) == 0) {
            *out = (agg_function)i;
            return true;
        }
    return false;
}

/* ------------------------------------------------------ growable text */

typedef struct text_buffer {
    arena *arena;
    char *data;
    size_t length, capacity;
} text_buffer;

static void text_append(text_buffer *b, const char *s, size_t n)
{
    if (b->length + n + 1 > b->capacity) {
        size_t cap = b->capacity ? b->capacity * 2 : 256;
        while (cap < b->length + n + 1)
            cap *= 2;
        b->data = arena_grow(b->arena, b->data, b->length, cap);
        b->capacity = cap;
    }
    memcpy(b->data + b->length, s, n);
    b->length += n;
    b->data[b->length] = '\0';
}

static void text_puts(text_buffer *b, const char *s) { text_append(b, s, strlen(s)); }

static void text_printf(text_buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(text_buffer *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < (int)sizeof small) {
        text_append(b, small, (size_t)n);
        return;
    }
    char *big = arena_alloc(b->arena, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    text_append(b, big, (size_t)n);
}

/* ------------------------------------------------- expression text */

void ir_duration_text(int64_t seconds, char *out, size_t size)
{
    assert(seconds > 0);
    static const struct { int64_t size; char unit; } units[] = {
        {7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'},
    };
    size_t i = 0;
    while (seconds % units[i].size != 0)
        i++;   /* ends at 's' at the latest */
    snprintf(out, size, "%" PRId64 "%c", seconds / units[i].size, units[i].unit);
}

void ir_format_double(double value, char *out, size_t size)
{
    /* The shortest %g that reads back exactly, kept recognisable as a float. */
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(out, size, "%.*g", precision, value);
        if (strtod(out, NULL) == value)
            break;
    }
    if (!strpbrk(out, ".eEn"))
        strncat(out, ".0", size - strlen(out) - 1);
}

/* fingerprints: when not NULL, a feature name is written as the
 * fingerprint of the feature it refers to (ir_feature_fingerprints). */
static void expr_text(text_buffer *b, const expr *e, char (*fingerprints)[65])
{
    switch (e->kind) {
    case EXPR_INT: text_printf(b, "%" PRId64, e->as.int_value); break;
    case EXPR_FLOAT: {
        char number[40];
        ir_format_double(e->as.float_value, number, sizeof number);
        text_puts(b, number);
        break;
    }
    case EXPR_STRING:
        text_puts(b, "'");
        for (int32_t i = 0; i < e->as.string.len; i++) {
            unsigned char ch = (unsigned char)e->as.string.bytes[i];
            if (ch == '\'')
                text_puts(b, "\\'");
            else if (ch == '\\')
                text_puts(b, "\\\\");
            else if (ch == '\n')
                text_puts(b, "\\n");
            else if (ch == '\t')
                text_puts(b, "\\t");
            else if (ch == '\r')
                text_puts(b, "\\r");
            else if (ch == 0)
                text_puts(b, "\\0");
            else
                text_append(b, (const char *)&ch, 1);
        }
        text_puts(b, "'");
        break;
    case EXPR_BOOL: text_puts(b, e->as.bool_value ? "true" : "false"); break;
    case EXPR_NULL: text_puts(b, "null"); break;
    case EXPR_NAME:
        /* A field of the one source, or a feature (names are global): the
         * qualifier adds nothing, except for request-time data. */
        if (e->as.name.is_request)
            text_puts(b, "request.");
        if (fingerprints && !e->as.name.is_request && e->as.name.ref >= 0)
            text_printf(b, "feature:%s", fingerprints[e->as.name.ref]);
        else
            text_puts(b, e->as.name.name);
        break;
    case EXPR_UNARY:
        text_puts(b, e->as.unary.op == OP_NOT ? "(not " : e->as.unary.op == OP_NEG ? "(-" : "(+");
        expr_text(b, e->as.unary.operand, fingerprints);
        text_puts(b, ")");
        break;
    case EXPR_BINARY:
        text_puts(b, "(");
        expr_text(b, e->as.binary.left, fingerprints);
        text_printf(b, " %s ", expr_op_name(e->as.binary.op));
        expr_text(b, e->as.binary.right, fingerprints);
        text_puts(b, ")");
        break;
    case EXPR_IN:
        text_puts(b, "(");
        expr_text(b, e->as.in.operand, fingerprints);
        text_puts(b, e->as.in.negated ? " not in (" : " in (");
        for (int i = 0; i < e->as.in.list.count; i++) {
            if (i)
                text_puts(b, ", ");
            expr_text(b, e->as.in.list.items[i], fingerprints);
        }
        text_puts(b, "))");
        break;
    case EXPR_IS_NULL:
        text_puts(b, "(");
        expr_text(b, e->as.is_null.operand, fingerprints);
        text_puts(b, e->as.is_null.negated ? " is not null)" : " is null)");
        break;
    case EXPR_CALL:
        text_printf(b, "%s(", e->as.call.name);
        for (int i = 0; i < e->as.call.args.count; i++) {
            if (i)
                text_puts(b, ", ");
            expr_text(b, e->as.call.args.items[i], fingerprints);
        }
        text_puts(b, ")");
        break;
    }
}

const char *ir_expr_text(arena *a, const expr *e)
{
    text_buffer b = {a, NULL, 0, 0};
    expr_text(&b, e, NULL);
    return b.data ? b.data : "";
}

/* ------------------------------------------------------ canonical text */

static const char *type_text(arena *a, ast_type t)
{
    return t.kind == TYPE_VECTOR ? arena_printf(a, "float64_vector[%d]", t.dim) : type_name(t.kind);
}

const char *ir_literal_text(arena *a, const ir_literal *d)
{
    expr node = {0};
    switch (d->type) {
    case TYPE_INT64: return arena_printf(a, "%" PRId64, d->int_value);
    case TYPE_TIMESTAMP: return arena_printf(a, "timestamp(%" PRId64 ")", d->int_value);
    case TYPE_BOOL: return d->bool_value ? "true" : "false";
    case TYPE_FLOAT64:
        node.kind = EXPR_FLOAT;
        node.as.float_value = d->float_value;
        return ir_expr_text(a, &node);
    case TYPE_STRING:
        node.kind = EXPR_STRING;
        node.as.string.bytes = d->string;
        node.as.string.len = d->length;
        return ir_expr_text(a, &node);
    default: return "null";
    }
}

const char *ir_canonical_text(arena *a, const ir_program *p)
{
    text_buffer b = {a, NULL, 0, 0};
    text_puts(&b, "fdl-ir 1\n");
    for (int i = 0; i < p->nentities; i++) {
        text_printf(&b, "entity %s key", p->entities[i].name);
        for (int k = 0; k < p->entities[i].nkeys; k++)
            text_printf(&b, "%s %s %s", k ? "," : "", p->entities[i].join_keys[k],
                        type_name(p->entities[i].key_types[k]));
        text_puts(&b, "\n");
    }
    for (int i = 0; i < p->nsources; i++) {
        const ir_source *s = &p->sources[i];
        text_printf(&b, "source %s time %s", s->name, s->fields[s->time_field].name);
        for (int f = 0; f < s->nfields; f++)
            text_printf(&b, " %s:%s", s->fields[f].name, type_name(s->fields[f].type));
        text_puts(&b, "\n");
        /* retention is not here: it documents upstream history and changes
         * no value (ir.h). Expectations change what is accepted: they are semantics. Written
         * ones only, so that sources without any keep their text. */
        for (int k = 0; k < s->nchecks && s->has_expectations; k++) {
            const ir_check *check = &s->checks[k];
            text_printf(&b, "  check %s %s %s", check->field >= 0 ? s->fields[check->field].name : "row",
                        check->text, policy_kind_name(check->policy));
            if (check->policy == POLICY_IMPUTE)
                text_printf(&b, " %s", ir_literal_text(a, &check->impute));
            text_puts(&b, "\n");
        }
        if (s->sla_pass_rate >= 0 || s->sla_min_rows >= 0 || s->sla_max_null_ratio) {
            char number[40];
            ir_format_double(s->sla_pass_rate, number, sizeof number);
            text_printf(&b, "  sla pass_rate %s min_rows %" PRId64, number, s->sla_min_rows);
            for (int f = 0; f < s->nfields && s->sla_max_null_ratio; f++) {
                ir_format_double(s->sla_max_null_ratio[f], number, sizeof number);
                text_printf(&b, " %s", number);
            }
            text_puts(&b, "\n");
        }
    }
    for (int i = 0; i < p->nembeddings; i++)
        text_printf(&b, "embedding %s entity %s dimension %d\n", p->embeddings[i].name,
                    p->entities[p->embeddings[i].entity].name, p->embeddings[i].dimension);
    for (int i = 0; i < p->nfeatures; i++) {
        const ir_feature *f = &p->features[i];
        text_printf(&b, "feature %s %s entities", f->name, type_text(a, f->type));
        for (int e = 0; e < f->nentities; e++)
            text_printf(&b, " %s", p->entities[f->entities[e]].name);
        text_printf(&b, " = %s", f->definition);
        if (f->has_default)
            text_printf(&b, " default %s", ir_literal_text(a, &f->default_value));
        text_puts(&b, "\n");
    }
    for (int i = 0; i < p->nsets; i++) {
        text_printf(&b, "set %s", p->sets[i].name);
        for (int f = 0; f < p->sets[i].nfeatures; f++)
            text_printf(&b, " %s", p->features[p->sets[i].features[f]].name);
        for (int r = 0; r < p->sets[i].nrequests; r++) {
            const ir_field *field = &p->requests[p->sets[i].requests[r]];
            text_printf(&b, "%s%s:%s", r ? " " : " request ", field->name, type_name(field->type));
        }
        text_puts(&b, "\n");
    }
    return b.data;
}

/* ------------------------------------------------------------ SHA-256 */

typedef struct sha256 {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    size_t used;
} sha256;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(sha256 *h, const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h->state[0], b = h->state[1], c = h->state[2], d = h->state[3];
    uint32_t e = h->state[4], f = h->state[5], g = h->state[6], k = h->state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h->state[0] += a; h->state[1] += b; h->state[2] += c; h->state[3] += d;
    h->state[4] += e; h->state[5] += f; h->state[6] += g; h->state[7] += k;
}

void ir_sha256_hex(const void *data, size_t n, char out[65])
{
    sha256 h = {{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
                 0x1f83d9ab, 0x5be0cd19}, 0, {0}, 0};
    const uint8_t *p = data;
    h.length = (uint64_t)n * 8;
    for (; n >= 64; n -= 64, p += 64)
        sha256_block(&h, p);
    uint8_t tail[128] = {0};
    memcpy(tail, p, n);
    tail[n] = 0x80;
    size_t total = n + 1 + 8 <= 64 ? 64 : 128;
    for (int i = 0; i < 8; i++)
        tail[total - 1 - i] = (uint8_t)(h.length >> (8 * i));
    sha256_block(&h, tail);
    if (total == 128)
        sha256_block(&h, tail + 64);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", h.state[i]);
}

void ir_compute_fingerprint(arena *a, ir_program *p)
{
    const char *text = ir_canonical_text(a, p);
    ir_sha256_hex(text, strlen(text), p->fingerprint);
}

/* ------------------------------------------------ feature fingerprints */

/* Marks the source fields an expression (a where filter) names. */
static void fields_named(const expr *e, bool *named, int nfields)
{
    if (!e)
        return;
    switch (e->kind) {
    case EXPR_NAME:
        if (!e->as.name.is_request && e->as.name.ref >= 0 && e->as.name.ref < nfields)
            named[e->as.name.ref] = true;
        break;
    case EXPR_UNARY: fields_named(e->as.unary.operand, named, nfields); break;
    case EXPR_BINARY:
        fields_named(e->as.binary.left, named, nfields);
        fields_named(e->as.binary.right, named, nfields);
        break;
    case EXPR_IN:
        fields_named(e->as.in.operand, named, nfields);
        for (int i = 0; i < e->as.in.list.count; i++)
            fields_named(e->as.in.list.items[i], named, nfields);
        break;
    case EXPR_IS_NULL: fields_named(e->as.is_null.operand, named, nfields); break;
    case EXPR_CALL:
        for (int i = 0; i < e->as.call.args.count; i++)
            fields_named(e->as.call.args.items[i], named, nfields);
        break;
    default: break;
    }
}

/* What an aggregation reads from its source: the fields and the checks. */
static void source_reads(text_buffer *b, arena *a, const ir_program *p, const ir_group *g)
{
    const ir_source *s = &p->sources[g->source];
    bool *named = arena_alloc(a, sizeof(bool) * (size_t)(s->nfields + 1));
    named[s->time_field] = true;
    for (int k = 0; k < p->entities[g->entity].nkeys; k++)
        named[g->key_fields ? g->key_fields[k] : g->key_field] = true;
    if (g->field >= 0)
        named[g->field] = true;
    if (g->by_field >= 0)
        named[g->by_field] = true;
    fields_named(g->where, named, s->nfields);
    text_printf(b, "source time %s\n", s->fields[s->time_field].name);
    for (int f = 0; f < s->nfields; f++)
        if (named[f])
            text_printf(b, "reads %s:%s\n", s->fields[f].name, type_name(s->fields[f].type));
    for (int k = 0; k < s->nchecks && s->has_expectations; k++) {
        const ir_check *check = &s->checks[k];
        text_printf(b, "check %s %s %s", check->field >= 0 ? s->fields[check->field].name : "row",
                    check->text, policy_kind_name(check->policy));
        if (check->policy == POLICY_IMPUTE)
            text_printf(b, " %s", ir_literal_text(a, &check->impute));
        text_puts(b, "\n");
    }
}

void ir_feature_fingerprints(arena *a, const ir_program *p, char (*out)[65])
{
    for (int i = 0; i < p->nfeatures; i++) {
        const ir_feature *f = &p->features[i];
        text_buffer b = {a, NULL, 0, 0};
        text_printf(&b, "fdl-feature 1\ntype %s\n", type_text(a, f->type));
        for (int e = 0; e < f->nentities; e++) {
            const ir_entity *entity = &p->entities[f->entities[e]];
            text_puts(&b, "key");
            for (int k = 0; k < entity->nkeys; k++)
                text_printf(&b, " %s:%s", entity->join_keys[k], type_name(entity->key_types[k]));
            text_puts(&b, "\n");
        }
        /* What it reads by name is said by fingerprint below, so that
         * renaming an upstream feature does not change this one. */
        if (f->kind == IR_DERIVED) {
            text_puts(&b, "= ");
            expr_text(&b, f->expr, out);
            text_puts(&b, "\n");
        } else if (f->kind == IR_COSINE_SIMILARITY) {
            text_printf(&b, "= cosine_similarity slots %d %d\n", f->arg_slots[0], f->arg_slots[1]);
        } else {
            text_printf(&b, "= %s\n", f->definition);
        }
        if (f->has_default)
            text_printf(&b, "default %s\n", ir_literal_text(a, &f->default_value));
        if (f->kind == IR_AGGREGATE)
            source_reads(&b, a, p, &p->groups[f->group]);
        if (f->kind == IR_LOOKUP_EMBEDDING)
            text_printf(&b, "embedding dimension %d\n", p->embeddings[f->embedding].dimension);
        /* Features are in dependency order: what it reads is done. */
        if (f->kind == IR_COSINE_SIMILARITY)
            for (int k = 0; k < 2; k++) {
                assert(f->args[k] < i);
                text_printf(&b, "reads %s\n", out[f->args[k]]);
            }
        for (int r = 0; r < f->nrefs; r++) {
            assert(f->refs[r] < i);
            text_printf(&b, "reads %s\n", out[f->refs[r]]);
        }
        for (int r = 0; r < f->nrequests; r++)
            text_printf(&b, "request %s:%s\n", p->requests[f->requests[r]].name,
                        type_name(p->requests[f->requests[r]].type));
        ir_sha256_hex(b.data, b.length, out[i]);
    }
}

/* ---------------------------------------------------------------- dump */

void ir_dump(const ir_program *p, FILE *out)
{
    arena a;
    arena_init(&a);
    fprintf(out, "fingerprint %s\n", p->fingerprint);
    fputs(ir_canonical_text(&a, p), out);
    for (int g = 0; g < p->ngroups; g++) {
        const ir_group *grp = &p->groups[g];
        const ir_source *s = &p->sources[grp->source];
        fprintf(out, "group %d: entity %s source %s key %s value %s%s%s%s%s", g,
                p->entities[grp->entity].name, s->name, s->fields[grp->key_field].name,
                grp->field < 0 ? "(none)" : s->fields[grp->field].name,
                grp->by_field < 0 ? "" : " by ", grp->by_field < 0 ? "" : s->fields[grp->by_field].name,
                grp->where ? " where " : "", grp->where_text);
        if (grp->hop_seconds)
            fprintf(out, " hop %" PRId64 "s", grp->hop_seconds);
        fputc('\n', out);
        for (int i = 0; i < grp->naggs; i++)
            fprintf(out, "  agg %d: %s window %" PRId64 "s -> %s\n", i,
                    agg_function_name(grp->aggs[i].function), grp->aggs[i].window_seconds,
                    type_name(grp->aggs[i].result));
    }
    arena_free(&a);
}
