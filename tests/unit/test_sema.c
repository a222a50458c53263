/*
 * test_sema.c - the type checker: names, types, rules, grouping, fingerprint.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "compile_helper.h"

static void compile_with_base(compiled *c, const char *text)
{
    const char *files[] = {"base.yaml", base_yaml, "f.yaml", text, NULL, NULL};
    compile_texts(c, files);
}

static void expect_error(const char *text, const char *expected)
{
    compiled c;
    compile_with_base(&c, text);
    assert_false(c.ok);
    if (!strstr(c.diagnostics, expected)) {
        print_error("expected '%s' in:\n%s\n", expected, c.diagnostics);
        fail();
    }
    compiled_free(&c);
}

static void result_types_follow_the_rules(void **state)
{
    (void)state;
    compiled c;
    compile_with_base(&c,
        "features:\n"
        "  - {name: n, entity: user, aggregation: {function: count, source: orders, window: 1d}}\n"
        "  - {name: s_f, entity: user, aggregation: {function: sum, source: orders.amount, window: 1d}}\n"
        "  - {name: s_i, entity: user, aggregation: {function: sum, source: orders.items, window: 1d}}\n"
        "  - {name: m_i, entity: user, aggregation: {function: mean, source: orders.items, window: 1d}}\n"
        "  - {name: mx, entity: user, aggregation: {function: max, source: orders.note, window: 1d}}\n"
        "  - {name: l, entity: user, aggregation: {function: last, source: orders.ts, window: 1d}}\n"
        "  - {name: e, entity: user, computation: {function: lookup_embedding, model: user2vec}}\n");
    assert_true(c.ok);
    static const type_kind expected[] = {TYPE_INT64, TYPE_FLOAT64, TYPE_INT64, TYPE_FLOAT64,
                                         TYPE_STRING, TYPE_TIMESTAMP, TYPE_VECTOR};
    assert_int_equal(c.ir.nfeatures, 7);
    for (int i = 0; i < 7; i++)
        assert_int_equal(c.ir.features[i].type.kind, expected[i]);
    assert_int_equal(c.ir.features[6].type.dim, 4);
    compiled_free(&c);
}

static void features_share_groups(void **state)
{
    (void)state;
    compiled c;
    compile_with_base(&c,
        "features:\n"
        "  - {name: a, entity: user, aggregation: {function: sum, source: orders.amount, window: 1d}}\n"
        "  - {name: b, entity: user, aggregation: {function: mean, source: orders.amount, window: 7d}}\n"
        "  - {name: c, entity: user, aggregation: {function: sum, source: orders.amount, window: 1d}}\n"
        "  - {name: d, entity: user, aggregation: {function: sum, source: orders.amount, window: 1d, where: 'items > 1'}}\n"
        "  - {name: e, entity: user, aggregation: {function: count, source: orders, window: 1d}}\n"
        "  - {name: f, entity: account, aggregation: {function: count, source: orders, window: 1d}}\n");
    assert_true(c.ok);
    /* a, b, c read the same events: one group; c reuses a's aggregation. */
    assert_int_equal(c.ir.features[0].group, c.ir.features[1].group);
    assert_int_equal(c.ir.features[0].group, c.ir.features[2].group);
    assert_int_equal(c.ir.features[0].agg, c.ir.features[2].agg);
    assert_int_not_equal(c.ir.features[0].agg, c.ir.features[1].agg);
    assert_int_not_equal(c.ir.features[0].group, c.ir.features[3].group);  /* filtered */
    assert_int_not_equal(c.ir.features[4].group, c.ir.features[5].group);  /* other entity */
    assert_int_equal(c.ir.ngroups, 4);
    assert_string_equal(c.ir.groups[c.ir.features[3].group].where_text, "(items > 1)");
    compiled_free(&c);
}

static void computations_come_after_their_arguments(void **state)
{
    (void)state;
    compiled c;
    const char *files[] = {"base.yaml", base_yaml, "f.yaml",
        "entities:\n  - {name: product, join_key: product_id}\n"
        "embeddings:\n  - {name: p2v, entity: product, dimension: 4, path: p.csv}\n"
        "features:\n"
        "  - name: affinity\n"
        "    entities: [user, product]\n"
        "    computation: {function: cosine_similarity, args: [user.u, product.p]}\n"
        "  - {name: u, entity: user, computation: {function: lookup_embedding, model: user2vec}}\n"
        "  - {name: p, entity: product, computation: {function: lookup_embedding, model: p2v, dimension: 4}}\n",
        NULL, NULL};
    compile_texts(&c, files);
    assert_true(c.ok);
    assert_string_equal(c.ir.features[2].name, "affinity");
    const ir_feature *f = &c.ir.features[2];
    assert_string_equal(c.ir.features[f->args[0]].name, "u");
    assert_string_equal(c.ir.features[f->args[1]].name, "p");
    assert_int_equal(f->arg_slots[0], 0);
    assert_int_equal(f->arg_slots[1], 1);
    compiled_free(&c);
}

static void fingerprint_follows_semantics_only(void **state)
{
    (void)state;
    const char *one =
        "features:\n  - {name: a, entity: user, description: one, aggregation: {function: count, source: orders, window: 7d}}\n";
    const char *same =   /* other layout, other description, same meaning */
        "features:\n  - name: a\n    description: two\n    aggregation:\n      window: 1w\n"
        "      source: orders\n      function: count\n    entity: user\n";
    const char *other =
        "features:\n  - {name: a, entity: user, aggregation: {function: count, source: orders, window: 8d}}\n";
    compiled a, b, c;
    compile_with_base(&a, one);
    compile_with_base(&b, same);
    compile_with_base(&c, other);
    assert_true(a.ok && b.ok && c.ok);
    assert_int_equal(strlen(a.ir.fingerprint), 64);
    assert_string_equal(a.ir.fingerprint, b.ir.fingerprint);
    assert_string_not_equal(a.ir.fingerprint, c.ir.fingerprint);
    compiled_free(&a);
    compiled_free(&b);
    compiled_free(&c);
}

static void names_and_types_are_checked(void **state)
{
    (void)state;
    expect_error("features:\n  - {name: f, entity: usr, aggregation: {function: count, source: orders, window: 1d}}\n",
                 "f.yaml:2:23: error: unknown entity 'usr'; did you mean 'user'?");
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: count, source: order, window: 1d}}\n",
                 "unknown source 'order'; did you mean 'orders'?");
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: sum, source: orders.amout, window: 1d}}\n",
                 "source 'orders' has no field 'amout'; did you mean 'amount'?");
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: median, source: orders.amount, window: 1d}}\n",
                 "unknown aggregation function 'median'");
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: sum, source: orders.note, window: 1d}}\n",
                 "sum cannot aggregate string field 'note'");
    expect_error("features:\n  - {name: f, entity: user, value_type: int64, aggregation: {function: mean, source: orders.items, window: 1d}}\n",
                 "value_type int64 does not match the type of the definition, float64");
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders}}\n",
                 "aggregation needs a window");
    expect_error("features:\n  - {name: f, entity: user, computation: {function: lookup_embedding, model: user2vec, dimension: 8}}\n",
                 "dimension 8 does not match embedding 'user2vec', which has dimension 4");
    expect_error("features:\n  - {name: f, entity: user, computation: {function: lookup_embedding, model: u2v}}\n",
                 "unknown embedding model 'u2v'");
    expect_error("features:\n  - {name: base, entity: user, aggregation: {function: count, source: orders, window: 1d}}\n"
                 "  - {name: base, entity: user, aggregation: {function: count, source: orders, window: 2d}}\n",
                 "f.yaml:3:12: error: duplicate feature 'base'");
    expect_error("feature_sets:\n  - {name: s, features: [nope]}\n", "unknown feature 'nope'");
}

static void join_keys_are_checked(void **state)
{
    (void)state;
    expect_error("entities:\n  - {name: shop, join_key: shop_id}\n"
                 "features:\n  - {name: f, entity: shop, aggregation: {function: count, source: orders, window: 1d}}\n",
                 "source 'orders' has no field 'shop_id', the join key of entity 'shop'");
    expect_error("entities:\n  - {name: acct, join_key: user_id, key_type: int64}\n"
                 "features:\n  - {name: f, entity: acct, aggregation: {function: count, source: orders, window: 1d}}\n",
                 "field 'user_id' of source 'orders' is string, but entity 'acct' has int64 keys");
}

static void where_is_typed_against_the_source(void **state)
{
    (void)state;
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 1d, where: 'amount * 2'}}\n",
                 "where must be a bool expression, not float64");
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 1d, where: 'amont > 1'}}\n",
                 "source 'orders' has no field 'amont'; did you mean 'amount'?");
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 1d, where: \"note > 3\"}}\n",
                 "cannot compare string with int64");
    expect_error("features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 1d, where: 'length(amount) > 1'}}\n",
                 "argument 1 of length (s) must be a string, not float64");
    compiled c;
    compile_with_base(&c, "features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 1d, "
                          "where: \"note in ('a', 'b') and amount is not null and not (items % 2 = 0) or abs(amount) >= 1.5\"}}\n");
    if (!c.ok)
        print_error("%s\n", c.diagnostics);
    assert_true(c.ok);
    compiled_free(&c);
}

static void all_errors_are_reported(void **state)
{
    (void)state;
    compiled c;
    compile_with_base(&c,
        "features:\n"
        "  - {name: a, entity: nobody, aggregation: {function: count, source: orders, window: 1d}}\n"
        "  - {name: b, entity: user, aggregation: {function: count, source: nothing, window: 1d}}\n"
        "  - {name: c, entity: user, aggregation: {function: count, source: orders, window: 1x}}\n");
    assert_false(c.ok);
    assert_int_equal(c.sources.errors, 3);
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(result_types_follow_the_rules),
        cmocka_unit_test(features_share_groups),
        cmocka_unit_test(computations_come_after_their_arguments),
        cmocka_unit_test(fingerprint_follows_semantics_only),
        cmocka_unit_test(names_and_types_are_checked),
        cmocka_unit_test(join_keys_are_checked),
        cmocka_unit_test(where_is_typed_against_the_source),
        cmocka_unit_test(all_errors_are_reported),
    };
    return cmocka_run_group_tests_name("sema", tests, NULL, NULL);
}
