/*
 * test_front_fdl.c - the native front end (.fdl): every construct gives the
 * same AST as its YAML equivalent, spans point at the written text, errors
 * are each reported and located, and no input crashes or hangs it.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expr_parse.h"
#include "front_fdl.h"
#include "front_yaml.h"

/* One front end run over text held in memory, diagnostics captured. */
typedef struct parsed {
    arena arena;
    source_set sources;
    ast_program ast;
    bool ok;
    char *diagnostics;
    size_t diagnostics_size;
    int file;
} parsed;

static void start(parsed *p)
{
    memset(p, 0, sizeof *p);
    arena_init(&p->arena);
    source_set_init(&p->sources, &p->arena);
    p->sources.out = open_memstream(&p->diagnostics, &p->diagnostics_size);
    p->ok = true;
}

/* Adds one file to the program, by the front end its name calls for (as main.c picks). */
static void add_file(parsed *p, const char *path, const char *text, size_t size)
{
    p->file = source_add(&p->sources, path, text, size);
    size_t length = strlen(path);
    if (length > 4 && strcmp(path + length - 4, ".fdl") == 0)
        p->ok &= front_fdl_read(&p->sources, &p->arena, p->file, &p->ast);
    else
        p->ok &= front_yaml_read(&p->sources, &p->arena, p->file, &p->ast);
}

static void finish(parsed *p)
{
    fclose(p->sources.out);
}

static void parse_text(parsed *p, const char *path, const char *text, size_t size)
{
    start(p);
    add_file(p, path, text, size);
    finish(p);
}

static void parse(parsed *p, const char *path, const char *text)
{
    parse_text(p, path, text, strlen(text));
}

static void parsed_free(parsed *p)
{
    free(p->diagnostics);
    arena_free(&p->arena);
}

static char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long length = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)length + 1);
    assert_int_equal(fread(text, 1, (size_t)length, f), (size_t)length);
    text[length] = '\0';
    fclose(f);
    *size = (size_t)length;
    return text;
}

/* The written text a span covers. */
static char *spanned(const parsed *p, span sp)
{
    const source_file *f = source_get(&p->sources, sp.file);
    assert_non_null(f);
    assert_true(sp.start <= sp.end && sp.end <= f->size);
    return arena_strndup((arena *)&p->arena, f->text + sp.start, sp.end - sp.start);
}

/* ------------------------------------------------------------ comparing ASTs */

/* An expression tree as text, every node parenthesized, so two trees are
 * equal exactly when their texts are. */
static void print_expr(FILE *out, const expr *e)
{
    if (!e) {
        fputs("<none>", out);
        return;
    }
    switch (e->kind) {
    case EXPR_INT: fprintf(out, "%lld", (long long)e->as.int_value); break;
    case EXPR_FLOAT: fprintf(out, "%.17g", e->as.float_value); break;
    case EXPR_STRING: fprintf(out, "'%.*s'", (int)e->as.string.len, e->as.string.bytes); break;
    case EXPR_BOOL: fputs(e->as.bool_value ? "true" : "false", out); break;
    case EXPR_NULL: fputs("null", out); break;
    case EXPR_NAME:
        fprintf(out, "%s%s%s", e->as.name.qualifier ? e->as.name.qualifier : "",
                e->as.name.qualifier ? "." : "", e->as.name.name);
        break;
    case EXPR_UNARY:
        fprintf(out, "(%s ", expr_op_name(e->as.unary.op));
        print_expr(out, e->as.unary.operand);
        fputc(')', out);
        break;
    case EXPR_BINARY:
        fputc('(', out);
        print_expr(out, e->as.binary.left);
        fprintf(out, " %s ", expr_op_name(e->as.binary.op));
        print_expr(out, e->as.binary.right);
        fputc(')', out);
        break;
    case EXPR_IN:
        fputc('(', out);
        print_expr(out, e->as.in.operand);
        fputs(e->as.in.negated ? " not in [" : " in [", out);
        for (int i = 0; i < e->as.in.list.count; i++) {
            print_expr(out, e->as.in.list.items[i]);
            fputc(',', out);
        }
        fputs("])", out);
        break;
    case EXPR_IS_NULL:
        fputc('(', out);
        print_expr(out, e->as.is_null.operand);
        fputs(e->as.is_null.negated ? " is not null)" : " is null)", out);
        break;
    case EXPR_CALL:
        fprintf(out, "%s(", e->as.call.name);
        for (int i = 0; i < e->as.call.args.count; i++) {
            print_expr(out, e->as.call.args.items[i]);
            fputc(',', out);
        }
        fputc(')', out);
        break;
    }
}

static void same_expr(const expr *a, const expr *b)
{
    char *ta = NULL, *tb = NULL;
    size_t na, nb;
    FILE *fa = open_memstream(&ta, &na), *fb = open_memstream(&tb, &nb);
    print_expr(fa, a);
    print_expr(fb, b);
    fclose(fa);
    fclose(fb);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
}

static void same_text(const char *a, const char *b)
{
    if (!a || !b)
        assert_true(a == b);
    else
        assert_string_equal(a, b);
}

static void same_name(ast_name a, ast_name b) { same_text(a.text, b.text); }

static void same_fields(const ast_field *a, int na, const ast_field *b, int nb)
{
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++) {
        same_name(a[i].name, b[i].name);
        assert_int_equal(a[i].type, b[i].type);
    }
}

static void same_feature(const ast_feature *a, const ast_feature *b)
{
    same_name(a->name, b->name);
    assert_int_equal(a->nentities, b->nentities);
    for (int i = 0; i < a->nentities; i++)
        same_name(a->entities[i], b->entities[i]);
    same_text(a->description, b->description);
    assert_int_equal(a->ntags, b->ntags);
    for (int i = 0; i < a->ntags; i++)
        assert_string_equal(a->tags[i], b->tags[i]);
    assert_int_equal(a->has_value_type, b->has_value_type);
    assert_int_equal(a->value_type.kind, b->value_type.kind);
    assert_int_equal(a->online_compute, b->online_compute);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->has_default, b->has_default);
    if (a->has_default) {
        assert_int_equal(a->default_length, b->default_length);
        assert_memory_equal(a->default_text, b->default_text, a->default_length);
    }
    const ast_aggregation *x = &a->aggregation, *y = &b->aggregation;
    same_name(x->function, y->function);
    assert_int_equal(x->has_k, y->has_k);
    assert_int_equal(x->k_written, y->k_written);
    assert_int_equal(x->k, y->k);
    assert_int_equal(x->has_percentile, y->has_percentile);
    assert_int_equal(x->percentile_written, y->percentile_written);
    assert_true(x->percentile == y->percentile);
    same_name(x->source, y->source);
    same_name(x->field, y->field);
    assert_int_equal(x->lifetime, y->lifetime);
    assert_int_equal(x->window_seconds, y->window_seconds);
    assert_int_equal(x->has_window, y->has_window);
    assert_int_equal(x->window_written, y->window_written);
    assert_int_equal(x->where_written, y->where_written);
    same_expr(x->where, y->where);
    const ast_computation *c = &a->computation, *d = &b->computation;
    same_name(c->function, d->function);
    same_name(c->model, d->model);
    assert_int_equal(c->dimension, d->dimension);
    assert_int_equal(c->dimension_written, d->dimension_written);
    assert_int_equal(c->nargs, d->nargs);
    for (int i = 0; i < c->nargs; i++) {
        same_name(c->args[i].entity, d->args[i].entity);
        same_name(c->args[i].feature, d->args[i].feature);
    }
    same_expr(a->expr, b->expr);
}

/* Every field but spans (and the embedding path, checked on its own). */
static void same_program(const ast_program *a, const ast_program *b)
{
    assert_int_equal(a->nentities, b->nentities);
    for (int i = 0; i < a->nentities; i++) {
        const ast_entity *x = &a->entities[i], *y = &b->entities[i];
        same_name(x->name, y->name);
        same_name(x->join_key, y->join_key);
        assert_int_equal(x->key_type, y->key_type);
        assert_int_equal(x->nkeys, y->nkeys);
        for (int k = 0; k < x->nkeys; k++) {
            same_name(x->join_keys[k], y->join_keys[k]);
            assert_int_equal(x->key_types[k], y->key_types[k]);
        }
        same_text(x->description, y->description);
    }
    assert_int_equal(a->nsources, b->nsources);
    for (int i = 0; i < a->nsources; i++) {
        const ast_source *x = &a->sources[i], *y = &b->sources[i];
        same_name(x->name, y->name);
        same_name(x->timestamp, y->timestamp);
        same_fields(x->fields, x->nfields, y->fields, y->nfields);
        same_text(x->description, y->description);
    }
    assert_int_equal(a->nembeddings, b->nembeddings);
    for (int i = 0; i < a->nembeddings; i++) {
        const ast_embedding *x = &a->embeddings[i], *y = &b->embeddings[i];
        same_name(x->name, y->name);
        same_name(x->entity, y->entity);
        assert_int_equal(x->dimension, y->dimension);
        same_text(x->path, y->path);
        same_text(x->description, y->description);
    }
    assert_int_equal(a->nfeatures, b->nfeatures);
    for (int i = 0; i < a->nfeatures; i++)
        same_feature(&a->features[i], &b->features[i]);
    assert_int_equal(a->nsets, b->nsets);
    for (int i = 0; i < a->nsets; i++) {
        const ast_feature_set *x = &a->sets[i], *y = &b->sets[i];
        same_name(x->name, y->name);
        assert_int_equal(x->nfeatures, y->nfeatures);
        for (int k = 0; k < x->nfeatures; k++)
            same_name(x->features[k], y->features[k]);
        same_text(x->description, y->description);
        same_fields(x->request, x->nrequest, y->request, y->nrequest);
        assert_int_equal(x->request_span.end > x->request_span.start,
                         y->request_span.end > y->request_span.start);
    }
}

/* ------------------------------------------------------------ tests */

/* tests/fdl/all.{yaml,fdl}: every construct of the language, both ways. */
static void every_construct_matches_yaml(void **state)
{
    (void)state;
    size_t ysize, fsize;
    char *ytext = read_file(FDL_SOURCE_DIR "/tests/fdl/all.yaml", &ysize);
    char *ftext = read_file(FDL_SOURCE_DIR "/tests/fdl/all.fdl", &fsize);
    parsed y, f;
    parse_text(&y, "defs/all.yaml", ytext, ysize);
    parse_text(&f, "defs/all.fdl", ftext, fsize);
    assert_string_equal(y.diagnostics, "");
    assert_string_equal(f.diagnostics, "");
    assert_true(y.ok && f.ok);
    assert_true(f.ast.nfeatures >= 15);
    same_program(&y.ast, &f.ast);
    parsed_free(&y);
    parsed_free(&f);
    free(ytext);
    free(ftext);
}

/* Small pairs, each on its own, so a mismatch names its construct. */
static void each_construct_matches_yaml(void **state)
{
    (void)state;
    static const char base_yaml[] =
        "entities: [{name: user, join_key: user_id}]\n"
        "sources: [{name: orders, timestamp: ts, fields: [{name: amount, type: float64}]}]\n";
    static const char base_fdl[] =
        "entity user { key user_id }\n"
        "source orders at ts { amount: float64 }\n";
    static const struct { const char *yaml, *fdl; } pairs[] = {
        {"entities: [{name: s, join_keys: [a, b], key_types: [int64, string]}]",
         "entity s { key (a: int64, b) }"},
        {"entities: [{name: s, join_keys: [a]}]", "entity s { key (a) }"},
        {"entities: [{name: s, join_key: a, key_type: int64, description: 'x y'}]",
         "entity s { key a: int64 } 'x y'"},
        {"sources: [{name: s, timestamp: t, fields: []}]", "source s at t {}"},
        {"features: [{name: f, entity: user, aggregation: {function: count, source: orders, "
         "window: 30d, where: 'amount > 100'}}]",
         "feature f of user = count(orders where amount > 100) over 30d"},
        {"features: [{name: f, entity: user, aggregation: {function: sum, source: orders.amount, "
         "window: lifetime}, default: -2.5}]",
         "feature f of user = sum(orders.amount) over lifetime default -2.5"},
        {"features: [{name: f, entity: user, aggregation: {function: last_k, source: orders.amount, "
         "window: 1w, k: 3}}]",
         "feature f of user = last_k(orders.amount, 3) over 1w"},
        {"features: [{name: f, entity: user, aggregation: {function: percentile, "
         "source: orders.amount, window: 7d, percentile: 0.25}}]",
         "feature f of user = percentile(orders.amount, 0.25) over 7d"},
        {"features: [{name: f, entity: user, aggregation: {function: percentile, "
         "source: orders.amount, window: 7d, percentile: 1}}]",
         "feature f of user = percentile(orders.amount, 1) over 7d"},
        {"features: [{name: f, entity: user, computation: {function: lookup_embedding, model: m}}]",
         "feature f of user = lookup_embedding(m)"},
        {"features: [{name: f, entities: [user, p], computation: {function: cosine_similarity, "
         "args: [user.a, b]}, online_compute: true, value_type: float64}]",
         "feature f of user, p: float64 = cosine_similarity(user.a, b) online"},
        {"features: [{name: f, entity: user, expr: 'request.x * 2 + g', default: 'some text', "
         "tags: [a, 'b c', set]}]",
         "feature f of user = expr(request.x * 2 + g) default \"some text\" tags(a, \"b c\", set)"},
        {"features: [{name: f, entity: user, expr: 'g is not null', default: true}]",
         "feature f of user = expr(g is not null) default true"},
        {"features: [{name: f, entity: user, expr: 'a', default: 2024-01-01T00:00:00Z}]",
         "feature f of user = expr(a) default '2024-01-01T00:00:00Z'"},
        {"feature_sets: [{name: s, features: [a, b], request: [{name: r, type: int64}]}]",
         "set s { a, b, } request { r: int64 }"},
        {"feature_sets: [{name: s, features: [a], request: []}]", "set s { a } request {}"},
        {"feature_sets: [{name: s, features: [a], description: d}]", "set s { a } \"d\""},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        parsed y, f;
        start(&y);
        add_file(&y, "base.yaml", base_yaml, strlen(base_yaml));
        add_file(&y, "y.yaml", pairs[i].yaml, strlen(pairs[i].yaml));
        finish(&y);
        /* Every other pair after the YAML base: a mixed program. */
        start(&f);
        if (i % 2)
            add_file(&f, "base.yaml", base_yaml, strlen(base_yaml));
        else
            add_file(&f, "base.fdl", base_fdl, strlen(base_fdl));
        add_file(&f, "f.fdl", pairs[i].fdl, strlen(pairs[i].fdl));
        finish(&f);
        if (!y.ok || !f.ok || strcmp(y.diagnostics, f.diagnostics) != 0)
            fail_msg("pair %zu: yaml said '%s', fdl said '%s'", i, y.diagnostics, f.diagnostics);
        same_program(&y.ast, &f.ast);
        parsed_free(&y);
        parsed_free(&f);
    }
}

static void spans_cover_the_written_text(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "s.fdl",
          "entity store_item { key (store_id: int64, sku) } # a comment\n"
          "source orders at ts { amount: float64 }\n"
          "embedding e of store_item dimension 8 from \"t.csv\"\n"
          "feature f of store_item: float64 = mean(orders.amount where amount > 0) over 90d\n"
          "    default 1.5 tags(x)\n"
          "feature g of a, b = cosine_similarity(a.v, w)\n"
          "feature h of a = expr(f * 2)\n"
          "set s { f, g } request { lat: float64 }\n");
    assert_string_equal(p.diagnostics, "");
    const ast_entity *e = &p.ast.entities[0];
    assert_string_equal(spanned(&p, e->name.span), "store_item");
    assert_string_equal(spanned(&p, e->join_keys[1].span), "sku");
    assert_string_equal(spanned(&p, e->span), "entity store_item { key (store_id: int64, sku) }");
    const ast_source *s = &p.ast.sources[0];
    assert_string_equal(spanned(&p, s->timestamp.span), "ts");
    assert_string_equal(spanned(&p, s->fields[0].type_span), "float64");
    const ast_embedding *m = &p.ast.embeddings[0];
    assert_string_equal(spanned(&p, m->dimension_span), "8");
    assert_string_equal(spanned(&p, m->path_span), "\"t.csv\"");
    const ast_feature *f = &p.ast.features[0];
    assert_string_equal(spanned(&p, f->name.span), "f");
    assert_string_equal(spanned(&p, f->entities_span), "store_item");
    assert_string_equal(spanned(&p, f->value_type_span), "float64");
    assert_string_equal(spanned(&p, f->aggregation.function.span), "mean");
    assert_string_equal(spanned(&p, f->aggregation.source_span), "orders.amount");
    assert_string_equal(spanned(&p, f->aggregation.source.span), "orders");
    assert_string_equal(spanned(&p, f->aggregation.field.span), "amount");
    assert_string_equal(spanned(&p, f->aggregation.where_span), "amount > 0");
    assert_string_equal(spanned(&p, f->aggregation.where->as.binary.right->span), "0");
    assert_string_equal(spanned(&p, f->aggregation.window_span), "90d");
    assert_string_equal(spanned(&p, f->default_span), "1.5");
    const ast_feature *g = &p.ast.features[1];
    assert_string_equal(spanned(&p, g->entities_span), "a, b");
    assert_string_equal(spanned(&p, g->computation.args_span), "a.v, w");
    assert_string_equal(spanned(&p, g->computation.args[0].span), "a.v");
    assert_string_equal(spanned(&p, g->computation.args[0].entity.span), "a");
    assert_string_equal(spanned(&p, g->computation.args[1].feature.span), "w");
    const ast_feature *h = &p.ast.features[2];
    assert_string_equal(spanned(&p, h->expr_span), "f * 2");
    assert_string_equal(spanned(&p, h->expr->span), "f * 2");
    const ast_feature_set *set = &p.ast.sets[0];
    assert_string_equal(spanned(&p, set->features[1].span), "g");
    assert_string_equal(spanned(&p, set->request_span), "request { lat: float64 }");
    assert_string_equal(spanned(&p, set->request[0].name.span), "lat");
    parsed_free(&p);
}

/* Paths resolve against the declaring file's directory, made absolute, as YAML's. */
static void embedding_paths_resolve_like_yaml(void **state)
{
    (void)state;
    parsed p, y;
    parse(&p, "defs/sub/x.fdl",
          "embedding a of u dimension 4 from \"data/a.csv\"\n"
          "embedding b of u dimension 4 from \"/abs/b.csv\"\n");
    parse(&y, "defs/sub/x.yaml",
          "embeddings:\n"
          "  - {name: a, entity: u, dimension: 4, path: data/a.csv}\n"
          "  - {name: b, entity: u, dimension: 4, path: /abs/b.csv}\n");
    assert_true(p.ok && y.ok);
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char expected[4200];
    snprintf(expected, sizeof expected, "%s/defs/sub/data/a.csv", cwd);
    assert_string_equal(p.ast.embeddings[0].path, expected);
    assert_string_equal(p.ast.embeddings[1].path, "/abs/b.csv");
    same_program(&y.ast, &p.ast);
    parsed_free(&p);
    parsed_free(&y);
}

/* Windows are read as YAML reads them, with the same messages. */
static void windows_match_yaml(void **state)
{
    (void)state;
    static const char *const windows[] = {
        "45s", "15m", "12h", "30d", "2w", "lifetime", "0d", "30", "1.5h", "30D", "30 days",
        "99999999999999999999d", "100000000w", "x",
    };
    for (size_t i = 0; i < sizeof windows / sizeof *windows; i++) {
        char ytext[512], ftext[512];
        snprintf(ytext, sizeof ytext,
                 "features: [{name: f, entity: u, aggregation: {function: count, source: s, "
                 "window: '%s'}}]\n", windows[i]);
        snprintf(ftext, sizeof ftext, "feature f of u = count(s) over %s\n", windows[i]);
        parsed y, f;
        parse(&y, "w", ytext);
        parse(&f, "w.fdl", ftext);
        assert_int_equal(y.ok, f.ok);
        const ast_aggregation *a = &y.ast.features[0].aggregation;
        if (f.ast.nfeatures != 1)
            fail_msg("window '%s': %s", windows[i], f.diagnostics);
        const ast_aggregation *b = &f.ast.features[0].aggregation;
        assert_int_equal(a->has_window, b->has_window);
        assert_int_equal(a->window_seconds, b->window_seconds);
        assert_int_equal(a->lifetime, b->lifetime);
        /* The same message, after "FILE:LINE:COL: ". */
        if (!y.ok) {
            const char *ym = strstr(y.diagnostics, "error["), *fm = strstr(f.diagnostics, "error[");
            assert_non_null(ym);
            assert_non_null(fm);
            assert_memory_equal(ym, fm, (size_t)(strchr(ym, '\n') - ym));
        }
        parsed_free(&y);
        parsed_free(&f);
    }
}

/* A source's retention reads alike in both syntaxes (YAML's retention:
 * D, .fdl's `retention D` after the fields): the same seconds, the same
 * span text, the same message for a bad one. */
static void retention_matches_yaml(void **state)
{
    (void)state;
    static const struct { const char *text; int64_t seconds; } cases[] = {
        {"45s", 45}, {"15m", 900}, {"12h", 43200}, {"90d", 7776000}, {"2w", 1209600},
        {"0d", 0}, {"90 d", 0}, {"90x", 0}, {"100000000w", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char ytext[512], ftext[512];
        snprintf(ytext, sizeof ytext,
                 "sources: [{name: s, timestamp: ts, fields: [{name: ts, type: timestamp}], "
                 "retention: %s}]\n", cases[i].text);
        snprintf(ftext, sizeof ftext, "source s at ts { ts: timestamp } retention %s\n", cases[i].text);
        parsed y, f;
        parse(&y, "r", ytext);
        parse(&f, "r.fdl", ftext);
        assert_int_equal(y.ok, f.ok);
        assert_int_equal(y.ok, cases[i].seconds > 0);
        if (y.ast.nsources != 1 || f.ast.nsources != 1)
            fail_msg("retention '%s': %s", cases[i].text, f.diagnostics);
        const ast_source *a = &y.ast.sources[0], *b = &f.ast.sources[0];
        assert_int_equal(a->has_retention, cases[i].seconds > 0);
        assert_int_equal(b->has_retention, a->has_retention);
        assert_int_equal(b->retention_seconds, a->retention_seconds);
        if (a->has_retention) {
            assert_int_equal(a->retention_seconds, cases[i].seconds);
            assert_string_equal(spanned(&y, a->retention_span), cases[i].text);
            assert_string_equal(spanned(&f, b->retention_span), cases[i].text);
        } else {
            const char *ym = strstr(y.diagnostics, "error["), *fm = strstr(f.diagnostics, "error[");
            assert_non_null(ym);
            assert_non_null(fm);
            assert_memory_equal(ym, fm, (size_t)(strchr(ym, '\n') - ym));
        }
        parsed_free(&y);
        parsed_free(&f);
    }
}

/* File keywords are names in expressions parsed for YAML; in .fdl, a
 * backquoted keyword is a name. */
static void keywords_are_names_outside_fdl(void **state)
{
    (void)state;
    parsed y;
    parse(&y, "y.yaml",
          "features: [{name: f, entity: u, aggregation: {function: count, source: s, window: 1d, "
          "where: 'source = 1 and key > 2 and over and where or lifetime and entity.feature = set'}}]\n");
    assert_true(y.ok);
    same_expr(y.ast.features[0].aggregation.where,
              y.ast.features[0].aggregation.where);   /* parsed at all */
    char *text = NULL;
    size_t size;
    FILE *out = open_memstream(&text, &size);
    print_expr(out, y.ast.features[0].aggregation.where);
    fclose(out);
    assert_string_equal(text, "(((((source = 1) and (key > 2)) and over) and where) or "
                              "(lifetime and (entity.feature = set)))");
    free(text);
    parsed_free(&y);

    parsed f;
    parse(&f, "f.fdl", "source `source` at `at` { `key`: string }\n"
                       "feature f of u = count(`source` where `key` = 'x') over 1d\n");
    assert_string_equal(f.diagnostics, "");
    assert_string_equal(f.ast.sources[0].name.text, "source");
    assert_string_equal(spanned(&f, f.ast.sources[0].name.span), "source");
    assert_string_equal(f.ast.sources[0].fields[0].name.text, "key");
    assert_string_equal(f.ast.features[0].aggregation.where->as.binary.left->as.name.name, "key");
    parsed_free(&f);

    /* And the expression parser alone still treats file syntax as stray. */
    arena a;
    arena_init(&a);
    source_set s;
    source_set_init(&s, &a);
    char *diagnostics = NULL;
    s.out = open_memstream(&diagnostics, &size);
    int id = source_add(&s, "e", "source { x }", 12);
    assert_null(expr_parse(&s, &a, id, 0, NULL, "source { x }", 12));
    fclose(s.out);
    assert_non_null(strstr(diagnostics, "e:1:8: error[E0004]: unexpected character '{'"));
    free(diagnostics);
    arena_free(&a);
}

/* Several syntax errors in one file: each reported, located, in one run. */
static void syntax_errors_are_each_reported(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "e.fdl",
          "entity user { key user_id }\n"
          "feature a of user = count(s where amount > ) over 30d\n"
          "feature b of = count(s) over 30d\n"
          "entity broken { key }\n"
          "feature c of user = expr(a +* 2)\n"
          "set s { a, b, c } \"ok\"\n"
          "feature d of user = count(s) over 1d default 1 default 2\n"
          "feature e of user = count(s) oops\n");
    assert_false(p.ok);
    const char *expected[] = {
        "e.fdl:2:44: error[E0004]: unexpected ')', expected an expression",
        "e.fdl:3:14: error[E0004]: unexpected '=', expected a name",
        "e.fdl:4:21: error[E0004]: unexpected '}', expected a name or '('",
        "e.fdl:5:29: error[E0004]: unexpected '*', expected an expression",
        "e.fdl:7:48: error[E0102]: duplicate default in feature",
        "e.fdl:7:38: note: first given here",
        "e.fdl:8:30: error[E0004]: unexpected name 'oops'",
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        if (!strstr(p.diagnostics, expected[i]))
            fail_msg("missing '%s' in:\n%s", expected[i], p.diagnostics);
    /* Broken definitions are still declared by name, so references resolve. */
    assert_int_equal(p.ast.nfeatures, 5);
    assert_int_equal(p.ast.features[0].kind, FEATURE_INVALID);
    assert_string_equal(p.ast.features[0].name.text, "a");
    assert_int_equal(p.ast.features[0].nentities, 1);
    assert_int_equal(p.ast.nsets, 1);
    assert_int_equal(p.ast.sets[0].nfeatures, 3);
    parsed_free(&p);
}

/* A tree with an error inside is dropped whole, as expr_parse() drops it:
 * recovery leaves NULL subtrees that sema must never walk. */
static void broken_expressions_are_dropped(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "x.fdl",
          "feature a of u = expr(g((1 +)))\n"
          "feature b of u = count(s where x = '\\q') over 1d\n"
          "feature c of u = count(s where x > 99999999999999999999) over 1d\n"
          "feature d of u = expr((1 +) + 2 * x)\n");
    assert_false(p.ok);
    assert_int_equal(p.ast.nfeatures, 4);
    assert_int_equal(p.ast.features[0].kind, FEATURE_DERIVED);
    assert_null(p.ast.features[0].expr);
    assert_true(p.ast.features[1].aggregation.where_written);
    assert_null(p.ast.features[1].aggregation.where);
    assert_null(p.ast.features[2].aggregation.where);
    assert_null(p.ast.features[3].expr);
    parsed_free(&p);
}

static void bad_pieces_are_reported(void **state)
{
    (void)state;
    static const struct { const char *text, *message; } cases[] = {
        {"entity e { key (a, a) }", "1:20: error[E0204]: join key 'a' is listed twice"},
        {"entity e { key a: float64 }", "1:19: error[E0207]: key_type must be string or int64"},
        {"source s at t { a: flot64 }", "1:20: error[E0205]: unknown type 'flot64'; did you mean 'float64'?"},
        {"embedding m of u dimension 0 from 'x'", "1:28: error[E0105]: dimension must be between 1 and 65536"},
        {"embedding m of u dimension 4 from ''", "1:35: error[E0105]: path must not be empty"},
        {"feature f of u = count() over 1d", "error[E0404]: count() needs a source"},
        {"feature f of u = count(3) over 1d", "1:24: error[E0404]: the first argument of count is a source"},
        {"feature f of u = last_k(s.a, 1.5) over 1d", "1:30: error[E0404]: k must be an integer"},
        {"feature f of u = percentile(s.a, x) over 1d", "1:34: error[E0404]: percentile must be a number"},
        {"feature f of u = count(s, 1, 2) over 1d", "1:30: error[E0404]: an aggregation takes a source"},
        {"feature f of u = count(s)", "1:26: error[E0402]: aggregation needs a window: add 'over 30d'"},
        {"feature f of u = lookup_embedding(m) over 1d", "error[E0402]: lookup_embedding is not an aggregation"},
        {"feature f of u = lookup_embedding(m, 0)", "1:38: error[E0105]: dimension must be positive"},
        {"feature f of u = cosine_similarity(a, 2)", "1:39: error[E0502]: arguments of cosine_similarity are features"},
        {"feature f of u = cosine_similarity(a where x, b)", "1:44: error[E0404]: only an aggregation's source takes a 'where' filter"},
        {"feature f of u = expr(1) default null", "1:34: error[E0304]: default must be a value, not null"},
        {"feature f of u = expr(1) \"a\" \"b\"", "1:30: error[E0102]: duplicate description in feature"},
        {"feature f of u = expr(1) tags(\"\")", "1:31: error[E0105]: tag must not be empty"},
        {"feature f of u: vector = expr(1)", "1:17: error[E0205]: unknown type 'vector'"},
        {"set s {}", "1:8: error[E0901]: a feature set needs at least one feature"},
        {"entity e { key k } \"a\\0b\"", "1:20: error[E0105]: description contains a NUL character"},
        {"entity e { key k } # fine\n@", "2:1: error[E0004]: unexpected character '@'"},
        {"feature f of u = expr(a && b)", "1:25: error[E0004]: unexpected '&&'; write 'and'"},
        {"feature", "1:8: error[E0004]: unexpected end of file, expected a name"},
        {"entity e { key k } 'open", "1:20: error[E0004]: unterminated string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        parsed p;
        parse(&p, "b.fdl", cases[i].text);
        assert_false(p.ok);
        if (!strstr(p.diagnostics, cases[i].message))
            fail_msg("case %zu: expected '%s' in:\n%s", i, cases[i].message, p.diagnostics);
        parsed_free(&p);
    }
}

/* Any bytes: no crash, no hang, every failure reported. */
static void no_input_crashes(void **state)
{
    (void)state;
    /* Every prefix of a file using every construct. */
    size_t size;
    char *text = read_file(FDL_SOURCE_DIR "/tests/fdl/all.fdl", &size);
    for (size_t n = 0; n <= size; n++) {
        parsed p;
        parse_text(&p, "prefix.fdl", text, n);
        assert_true(p.ok == (p.diagnostics_size == 0));
        parsed_free(&p);
    }
    /* Random bytes, and random tokens of the language. */
    static const char *const words[] = {
        "entity", "source", "embedding", "feature", "set", "key", "of", "at", "over", "where",
        "tags", "online", "default", "request", "dimension", "from", "lifetime", "expr", "x",
        "30d", "1", "2.5", "'s'", "{", "}", "(", ")", ":", ",", ".", "=", "-", "not", "and",
        "#c\n", "\n", "`k`", "\"", "\\", "\0",
    };
    unsigned seed = 12345;
    for (int round = 0; round < 300; round++) {
        char buffer[1024];
        size_t length = 0;
        while (length < sizeof buffer - 16) {
            seed = seed * 1103515245u + 12345u;
            if (round % 2) {
                buffer[length++] = (char)(seed >> 16);
            } else {
                const char *w = words[(seed >> 16) % (sizeof words / sizeof *words)];
                size_t n = w[0] ? strlen(w) : 1;
                memcpy(buffer + length, w, n);
                length += n;
                buffer[length++] = ' ';
            }
        }
        parsed p;
        parse_text(&p, "random.fdl", buffer, length);
        assert_true(p.ok == (p.diagnostics_size == 0));
        parsed_free(&p);
    }
    /* Deep nesting stops with one error, not a stack overflow. */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 64);
    size_t used = (size_t)sprintf(deep, "feature f of u = expr(");
    memset(deep + used, '(', depth);
    used += depth;
    deep[used++] = '1';
    memset(deep + used, ')', depth);
    used += depth;
    deep[used++] = ')';
    parsed p;
    parse_text(&p, "deep.fdl", deep, used);
    assert_false(p.ok);
    assert_non_null(strstr(p.diagnostics, "expression nested too deeply"));
    parsed_free(&p);
    free(deep);
    free(text);
}

/* A file past the token limit stops with one error instead of growing without bound. */
static void token_limit_holds(void **state)
{
    (void)state;
    const char line[] = "set s { a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r }\n";
    size_t copies = FDL_MAX_TOKENS / 30 + 10, length = strlen(line);
    char *text = malloc(copies * length + 1);
    for (size_t i = 0; i < copies; i++)
        memcpy(text + i * length, line, length);
    parsed p;
    parse_text(&p, "big.fdl", text, copies * length);
    assert_false(p.ok);
    assert_non_null(strstr(p.diagnostics, "definition file has more than 1000000 tokens"));
    assert_true(p.ast.nsets < (int)copies);
    parsed_free(&p);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_construct_matches_yaml),
        cmocka_unit_test(each_construct_matches_yaml),
        cmocka_unit_test(spans_cover_the_written_text),
        cmocka_unit_test(embedding_paths_resolve_like_yaml),
        cmocka_unit_test(windows_match_yaml),
        cmocka_unit_test(retention_matches_yaml),
        cmocka_unit_test(keywords_are_names_outside_fdl),
        cmocka_unit_test(syntax_errors_are_each_reported),
        cmocka_unit_test(broken_expressions_are_dropped),
        cmocka_unit_test(bad_pieces_are_reported),
        cmocka_unit_test(no_input_crashes),
        cmocka_unit_test(token_limit_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
