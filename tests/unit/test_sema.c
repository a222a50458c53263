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
                 "f.yaml:2:23: error[E0202]: unknown entity 'usr'; did you mean 'user'?");
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
                 "f.yaml:3:12: error[E0204]: duplicate feature 'base'");
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

/* ------------------------------------------------------------ expectations */

static const char expectations_yaml[] =
    "sources:\n"
    "  - name: signups\n"
    "    timestamp: ts\n"
    "    fields:\n"
    "      - {name: user_id, type: string}\n"
    "  - name: clicks\n"
    "    timestamp: ts\n"
    "    fields:\n"
    "      - name: user_id\n"
    "        type: string\n"
    "        on_invalid: drop\n"
    "        expect:\n"
    "          - {null_ratio: 0.5, policy: flag}\n"
    "          - {exists_in: signups.user_id, policy: drop}\n"
    "          - {not_null: true, policy: {impute: anon}}\n"
    "          - {exists_in: user2vec}\n"
    "      - name: n\n"
    "        type: int64\n"
    "        on_invalid: {impute: -1}\n"
    "        expect:\n"
    "          - {distinct: [1, null]}\n"
    "          - {range: [null, 10], policy: clamp}\n"
    "          - {in: [3, 1, 2]}\n"
    "      - name: at\n"
    "        type: timestamp\n"
    "        expect:\n"
    "          - {max_gap: 90m, policy: flag}\n"
    "    expect:\n"
    "      - {unique: [user_id, n], policy: drop}\n"
    "      - {expr: 'n > 0', policy: flag}\n"
    "      - {unique: n}\n"
    "    sla: {pass_rate: 0.75, max_null_ratio: {n: 0.25}}\n"
    "  - name: views\n"
    "    timestamp: ts\n"
    "    fields:\n"
    "      - name: user_id\n"
    "        type: string\n"
    "        expect: [{exists_in: signups.user_id, policy: flag}]\n";

static void expectations_run_in_phase_order(void **state)
{
    (void)state;
    compiled c;
    compile_with_base(&c, expectations_yaml);
    if (!c.ok)
        print_error("%s\n", c.diagnostics);
    assert_true(c.ok);
    const ir_source *signups = NULL, *clicks = NULL, *views = NULL;
    for (int s = 0; s < c.ir.nsources; s++) {
        const char *name = c.ir.sources[s].name;
        if (strcmp(name, "signups") == 0) signups = &c.ir.sources[s];
        if (strcmp(name, "clicks") == 0) clicks = &c.ir.sources[s];
        if (strcmp(name, "views") == 0) views = &c.ir.sources[s];
    }
    assert_non_null(signups);
    assert_non_null(clicks);
    assert_non_null(views);
    assert_false(signups->has_expectations);
    assert_true(clicks->has_expectations);
    assert_int_equal(signups->nchecks, 2);   /* the fields' on_invalid, fail */

    /* ts (added first), user_id, n, at: one on_invalid check each, then the
     * expectations by phase (row checks, expr, exists_in, unique, statistical),
     * written order within a phase */
    assert_int_equal(clicks->nfields, 4);
    assert_int_equal(clicks->time_field, 0);
    static const struct { bool invalid; expectation_kind kind; int field; policy_kind policy; const char *text; } expected[] = {
        {true, 0, 0, POLICY_FAIL, "valid timestamp"},
        {true, 0, 1, POLICY_DROP, "valid string"},
        {true, 0, 2, POLICY_IMPUTE, "valid int64"},
        {true, 0, 3, POLICY_FAIL, "valid timestamp"},
        {false, EXPECT_NOT_NULL, 1, POLICY_IMPUTE, "not_null"},
        {false, EXPECT_RANGE, 2, POLICY_CLAMP, "range [null, 10]"},
        {false, EXPECT_IN, 2, POLICY_FAIL, "in [3, 1, 2]"},
        {false, EXPECT_MAX_GAP, 3, POLICY_FLAG, "max_gap 90m"},
        {false, EXPECT_EXPR, -1, POLICY_FLAG, "expr (n > 0)"},
        {false, EXPECT_EXISTS_IN, 1, POLICY_DROP, "exists_in signups.user_id"},
        {false, EXPECT_EXISTS_IN, 1, POLICY_FAIL, "exists_in user2vec"},
        {false, EXPECT_UNIQUE, -1, POLICY_DROP, "unique (user_id, n)"},
        {false, EXPECT_UNIQUE, -1, POLICY_FAIL, "unique (n)"},
        {false, EXPECT_NULL_RATIO, 1, POLICY_FLAG, "null_ratio 0.5"},
        {false, EXPECT_DISTINCT, 2, POLICY_FAIL, "distinct [1.0, null]"},
    };
    int n = (int)(sizeof expected / sizeof expected[0]);
    assert_int_equal(clicks->nchecks, n);
    for (int k = 0; k < n; k++) {
        const ir_check *check = &clicks->checks[k];
        if (check->invalid != expected[k].invalid || check->field != expected[k].field ||
            check->policy != expected[k].policy || strcmp(check->text, expected[k].text) != 0 ||
            (!check->invalid && check->kind != expected[k].kind))
            fail_msg("check %d: %s (field %d, policy %d), expected %s", k, check->text, check->field,
                     check->policy, expected[k].text);
    }
    /* what each carries */
    assert_int_equal(clicks->checks[2].impute.type, TYPE_INT64);
    assert_int_equal(clicks->checks[2].impute.int_value, -1);
    assert_int_equal(clicks->checks[4].impute.type, TYPE_STRING);
    assert_string_equal(clicks->checks[4].impute.string, "anon");
    assert_int_equal(clicks->checks[5].values[0].type, TYPE_NULL);
    assert_int_equal(clicks->checks[5].values[1].int_value, 10);
    assert_int_equal(clicks->checks[6].nvalues, 3);
    assert_int_equal(clicks->checks[7].seconds, 5400);
    assert_int_equal(clicks->checks[9].reference, 0);
    assert_int_equal(clicks->checks[9].embedding, -1);
    assert_int_equal(clicks->checks[10].reference, -1);
    assert_int_equal(clicks->checks[10].embedding, 0);
    assert_int_equal(clicks->checks[11].nfields, 2);
    assert_int_equal(clicks->checks[11].fields[0], 1);
    assert_int_equal(clicks->checks[11].fields[1], 2);
    assert_true(clicks->checks[13].has_high && !clicks->checks[13].has_low && clicks->checks[13].high == 0.5);
    assert_true(clicks->checks[14].has_low && !clicks->checks[14].has_high && clicks->checks[14].low == 1);

    /* both exists_in signups.user_id share one reference */
    assert_int_equal(c.ir.nreferences, 1);
    assert_string_equal(c.ir.sources[c.ir.references[0].source].name, "signups");
    assert_int_equal(c.ir.references[0].field, 1);
    assert_int_equal(views->checks[views->nfields].reference, 0);

    /* SLAs: absent ones are negative */
    assert_true(clicks->sla_pass_rate == 0.75);
    assert_true(clicks->sla_min_rows < 0);
    assert_non_null(clicks->sla_max_null_ratio);
    for (int f = 0; f < clicks->nfields; f++)
        assert_true(clicks->sla_max_null_ratio[f] == (f == 2 ? 0.25 : -1));
    assert_true(signups->sla_pass_rate < 0 && signups->sla_min_rows < 0 && !signups->sla_max_null_ratio);
    compiled_free(&c);
}

/* text with its first old replaced by new (allocated). */
static char *replaced(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    assert_non_null(at);
    size_t size = strlen(text) - strlen(old) + strlen(new) + 1;
    char *out = malloc(size);
    assert_non_null(out);
    snprintf(out, size, "%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
    return out;
}

static void expectations_are_in_the_fingerprint(void **state)
{
    (void)state;
    char *variants[] = {
        /* the same meaning in another layout */
        replaced(expectations_yaml, "{pass_rate: 0.75, max_null_ratio: {n: 0.25}}",
                 "{max_null_ratio: {n: 0.25}, pass_rate: 0.750}"),
        /* other meanings */
        replaced(expectations_yaml, "{unique: n}", "{unique: n, policy: flag}"),
        replaced(expectations_yaml, "pass_rate: 0.75", "pass_rate: 0.76"),
        replaced(expectations_yaml, "max_gap: 90m", "max_gap: 91m"),
        replaced(expectations_yaml, "{in: [3, 1, 2]}", "{in: [3, 1, 2], policy: {impute: 1}}"),
        replaced(expectations_yaml, "        on_invalid: drop\n", ""),
    };
    compiled base, other;
    compile_with_base(&base, expectations_yaml);
    assert_true(base.ok);
    for (int i = 0; i < 6; i++) {
        compile_with_base(&other, variants[i]);
        if (!other.ok)
            fail_msg("variant %d: %s", i, other.diagnostics);
        if ((strcmp(base.ir.fingerprint, other.ir.fingerprint) == 0) != (i == 0))
            fail_msg("variant %d: fingerprint %s", i, i == 0 ? "differs" : "is the same");
        compiled_free(&other);
        free(variants[i]);
    }
    compiled_free(&base);
}

static void expectation_errors_are_all_reported(void **state)
{
    (void)state;
    compiled c;
    compile_with_base(&c,
        "sources:\n"
        "  - name: s\n"
        "    timestamp: ts\n"
        "    fields:\n"
        "      - name: x\n"
        "        type: int64\n"
        "        expect:\n"
        "          - {matches: 'a'}\n"
        "          - {range: [5, 1]}\n"
        "          - {mean: [1, 2], policy: drop}\n"
        "          - {not_null: true, policy: {impute: y}}\n"
        "    expect:\n"
        "      - {unique: [x, nope]}\n"
        "    sla: {pass_rate: 2, min_rows: -1, max_null_ratio: {x: 1.5}}\n");
    assert_false(c.ok);
    assert_int_equal(c.sources.errors, 8);
    assert_non_null(strstr(c.diagnostics, "f.yaml:8:13: error[E0802]: matches applies to string fields; 'x' is int64"));
    assert_non_null(strstr(c.diagnostics, "f.yaml:9:21: error[E0802]: range is empty"));
    assert_non_null(strstr(c.diagnostics, "f.yaml:10:36: error[E0803]: mean cannot take policy drop (it takes fail or flag)"));
    assert_non_null(strstr(c.diagnostics, "f.yaml:11:47: error[E0105]: impute value 'y' is not a valid int64"));
    assert_non_null(strstr(c.diagnostics, "f.yaml:13:22: error[E0203]: source 's' has no field 'nope'"));
    assert_non_null(strstr(c.diagnostics, "f.yaml:14:22: error[E0804]: pass_rate is a fraction between 0 and 1"));
    assert_non_null(strstr(c.diagnostics, "f.yaml:14:35: error[E0804]: min_rows cannot be negative"));
    assert_non_null(strstr(c.diagnostics, "f.yaml:14:59: error[E0804]: a null ratio is a fraction between 0 and 1"));
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
        cmocka_unit_test(expectations_run_in_phase_order),
        cmocka_unit_test(expectations_are_in_the_fingerprint),
        cmocka_unit_test(expectation_errors_are_all_reported),
    };
    return cmocka_run_group_tests_name("sema", tests, NULL, NULL);
}
