/*
 * test_hop_sema.c - hop: through the YAML front end and sema: the AST and
 * IR fields, groups kept apart by hop (and shared within one hop), the
 * canonical definition and fingerprint, min_by/max_by and percentile lists
 * over tiles, and each rule's error.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compile_helper.h"

static void compile_features(compiled *c, const char *features)
{
    const char *files[] = {"base.yaml", base_yaml, "features.yaml", features, NULL, NULL};
    compile_texts(c, files);
}

static const ir_feature *feature(const compiled *c, const char *name)
{
    for (int i = 0; i < c->ir.nfeatures; i++)
        if (strcmp(c->ir.features[i].name, name) == 0)
            return &c->ir.features[i];
    fail_msg("no feature %s", name);
    return NULL;
}

static void test_groups_and_definitions(void **state)
{
    (void)state;
    compiled c;
    compile_features(&c,
        "features:\n"
        "  - {name: exact, entity: user, aggregation: {function: sum, source: orders.amount, window: 1d}}\n"
        "  - {name: hourly, entity: user, aggregation: {function: sum, source: orders.amount, window: 1d, hop: 1h}}\n"
        "  - {name: hourly_max, entity: user, aggregation: {function: max, source: orders.amount, window: 2d, hop: 60m}}\n"
        "  - {name: daily, entity: user, aggregation: {function: sum, source: orders.amount, window: 7d, hop: 1d}}\n"
        "  - {name: hll, entity: user, aggregation: {function: approx_count_distinct, source: orders.note, window: 1w, hop: 1d}}\n");
    if (!c.ok)
        fail_msg("%s", c.diagnostics);
    const ir_feature *exact = feature(&c, "exact"), *hourly = feature(&c, "hourly");
    const ir_feature *hourly_max = feature(&c, "hourly_max"), *daily = feature(&c, "daily");
    /* Same entity, source, field and filter: apart by hop, together within one. */
    assert_int_not_equal(exact->group, hourly->group);
    assert_int_equal(hourly->group, hourly_max->group);
    assert_int_not_equal(hourly->group, daily->group);
    assert_int_equal(c.ir.groups[exact->group].hop_seconds, 0);
    assert_int_equal(c.ir.groups[hourly->group].hop_seconds, 3600);
    assert_int_equal(c.ir.groups[daily->group].hop_seconds, 86400);
    assert_int_equal(c.ir.groups[hourly->group].aggs[hourly_max->agg].hop_seconds, 3600);
    assert_string_equal(hourly->definition, "sum(orders.amount) over 1d hop 1h");
    assert_string_equal(hourly_max->definition, "max(orders.amount) over 2d hop 1h");
    assert_string_equal(exact->definition, "sum(orders.amount) over 1d");
    assert_string_equal(feature(&c, "hll")->definition,
                        "approx_count_distinct(orders.note) over 1w hop 1d");
    compiled_free(&c);
}

/* min_by/max_by and percentile lists take a hop: by-groups apart by hop and
 * by by-field, shared within one; the definition names the hop. */
static void test_by_and_lists(void **state)
{
    (void)state;
    compiled c;
    compile_features(&c,
        "features:\n"
        "  - {name: exact_by, entity: user, aggregation: {function: max_by, source: orders.note, by: amount, window: 1d}}\n"
        "  - {name: hourly_by, entity: user, aggregation: {function: max_by, source: orders.note, by: amount, window: 1d, hop: 1h}}\n"
        "  - {name: hourly_min_by, entity: user, aggregation: {function: min_by, source: orders.note, by: amount, window: 2d, hop: 1h}}\n"
        "  - {name: hourly_by_items, entity: user, aggregation: {function: min_by, source: orders.note, by: items, window: 1d, hop: 1h}}\n"
        "  - {name: hourly_list, entity: user, aggregation: {function: approx_percentile, source: orders.amount, window: 1d, hop: 1h, percentile: [0.5, 0.9]}}\n");
    if (!c.ok)
        fail_msg("%s", c.diagnostics);
    const ir_feature *exact = feature(&c, "exact_by"), *hourly = feature(&c, "hourly_by");
    const ir_feature *hourly_min = feature(&c, "hourly_min_by"), *by_items = feature(&c, "hourly_by_items");
    assert_int_not_equal(exact->group, hourly->group);
    assert_int_equal(hourly->group, hourly_min->group);
    assert_int_not_equal(hourly->group, by_items->group);
    assert_int_equal(c.ir.groups[hourly->group].hop_seconds, 3600);
    assert_int_equal(c.ir.groups[hourly->group].by_type, TYPE_FLOAT64);
    assert_int_equal(c.ir.groups[exact->group].hop_seconds, 0);
    assert_string_equal(hourly->definition, "max_by(orders.note, by=amount) over 1d hop 1h");
    const ir_feature *list = feature(&c, "hourly_list");
    assert_int_equal(list->type.kind, TYPE_VECTOR);
    assert_int_equal(list->type.dim, 2);
    assert_string_equal(list->definition, "approx_percentile(orders.amount, p=[0.5,0.9]) over 1d hop 1h");
    compiled_free(&c);
}

/* The hop is part of the fingerprint; its spelling is not. */
static void test_fingerprint(void **state)
{
    (void)state;
    const char *texts[] = {
        "features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 1d, hop: 1h}}\n",
        "features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 24h, hop: 60m}}\n",
        "features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 1d, hop: 2h}}\n",
        "features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 1d}}\n",
    };
    char prints[4][65];
    for (int i = 0; i < 4; i++) {
        compiled c;
        compile_features(&c, texts[i]);
        if (!c.ok)
            fail_msg("%s", c.diagnostics);
        memcpy(prints[i], c.ir.fingerprint, sizeof prints[i]);
        compiled_free(&c);
    }
    assert_string_equal(prints[0], prints[1]);
    assert_string_not_equal(prints[0], prints[2]);
    assert_string_not_equal(prints[0], prints[3]);
}

static void expect_error(const char *aggregation, const char *message)
{
    char text[512];
    snprintf(text, sizeof text, "features:\n  - {name: f, entity: user, aggregation: {%s}}\n", aggregation);
    compiled c;
    compile_features(&c, text);
    assert_false(c.ok);
    if (!strstr(c.diagnostics, message))
        fail_msg("for {%s}: wanted '%s' in:\n%s", aggregation, message, c.diagnostics);
    compiled_free(&c);
}

static void test_rules(void **state)
{
    (void)state;
    expect_error("function: count, source: orders, window: lifetime, hop: 1h", "hop needs a finite window");
    expect_error("function: count, source: orders, window: 1d, hop: 5h", "hop 5h does not divide the window 1d");
    expect_error("function: count, source: orders, window: 1h, hop: 2h", "hop 2h is longer than the window 1h");
    expect_error("function: count, source: orders, window: 7d, hop: 1m", "spans 10080 tiles; at most 10000");
    expect_error("function: count, source: orders, window: 1d, hop: 0s", "hop '0s' must be longer than zero");
    expect_error("function: count, source: orders, window: 1d, hop: 1.5h", "malformed hop '1.5h'");
    expect_error("function: count, source: orders, window: 1d, hop: lifetime", "a hop is a duration");
    expect_error("function: count, source: orders, hop: 1h", "aggregation needs a window");
    expect_error("function: percentile, source: orders.amount, window: 1d, hop: 1h, percentile: 0.5",
                 "percentile cannot use hop:");
    expect_error("function: count_distinct, source: orders.note, window: 1d, hop: 1h",
                 "count_distinct cannot use hop:");
    expect_error("function: top_k, source: orders.note, window: 1d, hop: 1h, k: 2", "top_k cannot use hop:");
    expect_error("function: first_k, source: orders.amount, window: 1d, hop: 1h, k: 2", "first_k cannot use hop:");
    expect_error("function: percentile, source: orders.amount, window: 1d, hop: 1h, percentile: [0.5, 0.9]",
                 "percentile cannot use hop:");
    expect_error("function: max_by, source: orders.note, by: amount, window: lifetime, hop: 1h",
                 "hop needs a finite window");
    expect_error("function: approx_count_distinct, source: orders.note, window: 1d",
                 "approx_count_distinct needs 'window: lifetime' or a hop");
    /* At the limit: 10000 tiles. */
    compiled c;
    compile_features(&c, "features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: 10000m, hop: 1m}}\n");
    if (!c.ok)
        fail_msg("%s", c.diagnostics);
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_and_definitions),
        cmocka_unit_test(test_by_and_lists),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
