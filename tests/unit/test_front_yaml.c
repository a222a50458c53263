/*
 * test_front_yaml.c - the YAML front end: definitions to AST, and its errors.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "compile_helper.h"

static void reads_entities_sources_and_features(void **state)
{
    (void)state;
    compiled c;
    const char *files[] = {"base.yaml", base_yaml, "f.yaml",
        "features:\n"
        "  - name: spend_7d\n"
        "    entity: user\n"
        "    description: \"Spend\"\n"
        "    tags: [money, weekly]\n"
        "    aggregation:\n"
        "      function: sum\n"
        "      source: orders.amount\n"
        "      window: 7d\n"
        "      where: 'items > 1'\n"
        "  - name: orders_ever\n"
        "    entity: user\n"
        "    aggregation: {function: count, source: orders, window: lifetime}\n",
        NULL, NULL};
    compile_texts(&c, files);
    assert_true(c.ok);
    assert_string_equal(c.diagnostics, "");
    assert_int_equal(c.ast.nentities, 2);
    assert_string_equal(c.ast.entities[0].join_key.text, "user_id");
    assert_int_equal(c.ast.entities[0].key_type, TYPE_STRING);   /* the default */
    assert_int_equal(c.ast.entities[1].key_type, TYPE_INT64);
    assert_int_equal(c.ast.sources[0].nfields, 5);
    const ast_feature *f = &c.ast.features[0];
    assert_string_equal(f->name.text, "spend_7d");
    assert_int_equal(f->ntags, 2);
    assert_string_equal(f->tags[1], "weekly");
    assert_int_equal(f->aggregation.window_seconds, 7 * 86400);
    assert_string_equal(f->aggregation.source.text, "orders");
    assert_string_equal(f->aggregation.field.text, "amount");
    /* The field's span covers exactly "amount" in the file. */
    const source_file *file = source_get(&c.sources, f->aggregation.field.span.file);
    assert_memory_equal(file->text + f->aggregation.field.span.start, "amount", 6);
    assert_int_equal(f->aggregation.field.span.end - f->aggregation.field.span.start, 6);
    assert_non_null(f->aggregation.where);
    /* The where expression's span points inside the quoted YAML scalar. */
    assert_memory_equal(file->text + f->aggregation.where->span.start, "items > 1", 9);
    assert_true(c.ast.features[1].aggregation.lifetime);
    compiled_free(&c);
}

static void window_units(void **state)
{
    (void)state;
    static const struct { const char *text; long long seconds; } cases[] = {
        {"45s", 45}, {"15m", 900}, {"12h", 43200}, {"30d", 2592000}, {"2w", 1209600},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: %s}}\n",
                 cases[i].text);
        compiled c;
        const char *files[] = {"base.yaml", base_yaml, "f.yaml", text, NULL, NULL};
        compile_texts(&c, files);
        assert_true(c.ok);
        assert_int_equal(c.ast.features[0].aggregation.window_seconds, cases[i].seconds);
        compiled_free(&c);
    }
}

/* Compiles base + text and checks the diagnostics contain `expected`. */
static void expect_error(const char *text, const char *expected)
{
    compiled c;
    const char *files[] = {"base.yaml", base_yaml, "f.yaml", text, NULL, NULL};
    compile_texts(&c, files);
    assert_false(c.ok);
    if (!strstr(c.diagnostics, expected)) {
        print_error("expected '%s' in:\n%s\n", expected, c.diagnostics);
        fail();
    }
    compiled_free(&c);
}

static void malformed_yaml_is_located(void **state)
{
    (void)state;
    expect_error("features:\n\t- name: x\n",
                 "f.yaml:2:1: error[E0002]: invalid YAML: found character that cannot start any token");
    expect_error("features:\n\t- name: x\n", "note: YAML does not allow tabs for indentation");
    expect_error("entities:\n  - name: a\n     join_key: b\n", "f.yaml:3:14: error[E0002]: invalid YAML");
    expect_error("entities: [\n", "error[E0002]: invalid YAML");
}

static void unknown_and_duplicate_keys(void **state)
{
    (void)state;
    expect_error("features:\n  - name: f\n    entity: user\n    aggregaton: {}\n",
                 "f.yaml:4:5: error[E0101]: unknown key 'aggregaton' in feature; did you mean 'aggregation'?");
    expect_error("features:\n  - name: f\n    name: g\n    entity: user\n",
                 "f.yaml:3:5: error[E0102]: duplicate key 'name' in feature\n");
    expect_error("features:\n  - name: f\n    name: g\n",
                 "f.yaml:2:5: note: first given here");
    expect_error("entities:\n  - name: e\n", "error[E0103]: entity is missing required key 'join_key'");
}

static void names_must_be_identifiers(void **state)
{
    (void)state;
    expect_error("entities:\n  - {name: \"a b\", join_key: k}\n", "entity name 'a b' is not a valid name");
    expect_error("entities:\n  - {name: 9lives, join_key: k}\n", "is not a valid name");
    expect_error("entities:\n  - {name: \"x*/y\", join_key: k}\n", "is not a valid name");
}

static void windows_are_checked(void **state)
{
    (void)state;
    const char *bad[] = {"30", "30days", "-1d", "1.5d", "d", "0s", "99999999999999999999d", "lifetimes"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "features:\n  - {name: f, entity: user, aggregation: {function: count, source: orders, window: '%s'}}\n",
                 bad[i]);
        expect_error(text, "window");
    }
}

static void limits_hold(void **state)
{
    (void)state;
    /* Deep nesting: refused at the limit, no stack overflow. */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 16);
    strcpy(deep, "a: ");
    memset(deep + 3, '[', depth);
    memset(deep + 3 + depth, ']', depth);
    deep[3 + 2 * depth] = '\0';
    expect_error(deep, "YAML nested more than 64 levels deep");
    free(deep);
    /* Billion laughs: refused before expansion. */
    char laughs[4096] = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 10; i++) {
        char line[256];
        snprintf(line, sizeof line, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
                 i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
        strcat(laughs, line);
    }
    expect_error(laughs, "aliases expand this document to more than");
}

static void binary_garbage_never_crashes(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        char text[600];
        size_t n = 1 + (size_t)(round * 3 % 599);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* Mix YAML punctuation in, so the parser gets past the first byte. */
            static const char alphabet[] = "abc:- []{}&*!|>'\"#\n\t ,x1";
            text[i] = round % 2 ? (char)(seed >> 16) : alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        text[n] = '\0';
        compiled c;
        const char *files[] = {"g.yaml", text, NULL, NULL};
        compile_texts(&c, files);   /* any outcome but a crash is fine */
        compiled_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_entities_sources_and_features),
        cmocka_unit_test(window_units),
        cmocka_unit_test(malformed_yaml_is_located),
        cmocka_unit_test(unknown_and_duplicate_keys),
        cmocka_unit_test(names_must_be_identifiers),
        cmocka_unit_test(windows_are_checked),
        cmocka_unit_test(limits_hold),
        cmocka_unit_test(binary_garbage_never_crashes),
    };
    return cmocka_run_group_tests_name("front_yaml", tests, NULL, NULL);
}
