/*
 * test_diagnostics.c - the table of diagnostic codes, the options that
 * shape diagnostics (-Wno-, -Werror, --format), what is kept for JSON and
 * SARIF, and "did you mean" for abbreviations.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag_output.h"
#include "source.h"
#include "suggest.h"

/* Codes are unique, E or W and four digits; lookup by code or slug. */
static void table_is_well_formed(void **state)
{
    (void)state;
    for (int i = 0; i < DIAG_COUNT; i++) {
        const diag_info *d = diag_lookup((diag_code)i);
        assert_int_equal(strlen(d->code), 5);
        assert_true(d->code[0] == 'E' || d->code[0] == 'W');
        for (int k = 1; k < 5; k++)
            assert_true(d->code[k] >= '0' && d->code[k] <= '9');
        assert_true(strlen(d->title) > 0 && strlen(d->text) > 0 && strlen(d->slug) > 0);
        assert_non_null(strstr(d->text, "\n"));
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(diag_lookup((diag_code)j)->code, d->code);
            assert_string_not_equal(diag_lookup((diag_code)j)->slug, d->slug);
        }
        assert_int_equal(diag_find(d->code), i);
        assert_int_equal(diag_find(d->slug), i);
    }
    assert_int_equal(diag_find("e0101"), DIAG_UNKNOWN_KEY);
    assert_int_equal(diag_find("E01010"), -1);
    assert_int_equal(diag_find(""), -1);
    assert_true(diag_is_warning(DIAG_UNUSED_FEATURE));
    assert_false(diag_is_warning(DIAG_SYNTAX));
}

typedef struct run {
    arena a;
    source_set s;
    char *text;
    size_t size;
    int file;
} run;

static void run_start(run *r, const char *const *options)
{
    arena_init(&r->a);
    source_set_init(&r->s, &r->a);
    diag_config cfg = {.color = 0};
    for (; options && *options; options++)
        assert_int_equal(diag_option(&cfg, *options), 1);
    r->s.out = open_memstream(&r->text, &r->size);
    diag_configure(&r->s, &cfg);
    r->file = source_add(&r->s, "f.yaml", "name: x\n", 8);
}

static void run_end(run *r)
{
    fclose(r->s.out);
    free(r->text);
    arena_free(&r->a);
}

static void warnings_follow_the_options(void **state)
{
    (void)state;
    run r;
    run_start(&r, NULL);
    diag_warning(&r.s, DIAG_UNUSED_FEATURE, span_make(r.file, 6, 7), "feature '%s' is unused", "x");
    diag_note(&r.s, span_make(r.file, 0, 4), "here");
    diag_warning(&r.s, DIAG_MISSING_DESCRIPTION, span_make(r.file, 6, 7), "no description");
    fflush(r.s.out);
    assert_int_equal(r.s.warnings, 1);   /* missing-description needs --require-descriptions */
    assert_int_equal(r.s.errors, 0);
    assert_non_null(strstr(r.text, "f.yaml:1:7: warning[W0001]: feature 'x' is unused [-Wunused-feature]\n"));
    assert_non_null(strstr(r.text, "f.yaml:1:1: note: here\n"));
    run_end(&r);

    const char *off[] = {"-Wno-unused-feature", NULL};
    run_start(&r, off);
    diag_warning(&r.s, DIAG_UNUSED_FEATURE, span_make(r.file, 6, 7), "unused");
    diag_note(&r.s, span_make(r.file, 0, 4), "its note goes too");
    fflush(r.s.out);
    assert_int_equal(r.s.warnings + r.s.errors, 0);
    assert_int_equal(r.size, 0);
    run_end(&r);

    const char *werror[] = {"-Werror", "--require-descriptions", NULL};
    run_start(&r, werror);
    diag_warning(&r.s, DIAG_MISSING_DESCRIPTION, span_make(r.file, 6, 7), "no description");
    fflush(r.s.out);
    assert_int_equal(r.s.errors, 1);
    assert_non_null(strstr(r.text, "error[W0003]: no description [-Werror,-Wmissing-description]"));
    run_end(&r);
}

static void options_are_checked(void **state)
{
    (void)state;
    diag_config cfg = {0};
    assert_int_equal(diag_option(&cfg, "-o"), 0);
    assert_int_equal(diag_option(&cfg, "--format=json"), 1);
    assert_int_equal(cfg.format, DIAG_FORMAT_JSON);
    assert_int_equal(diag_option(&cfg, "--format=xml"), -1);
    assert_int_equal(diag_option(&cfg, "--color=never"), 1);
    assert_int_equal(cfg.color, 0);
    assert_int_equal(diag_option(&cfg, "--color"), 1);
    assert_int_equal(cfg.color, 1);
    assert_int_equal(diag_option(&cfg, "-Wno-unknown-key"), -1);  /* errors cannot be turned off */
    assert_int_equal(diag_option(&cfg, "-Wno-bogus"), -1);
    assert_int_equal(diag_option(&cfg, "-Wno-constant-where"), 1);
    assert_true(cfg.disabled[DIAG_CONSTANT_WHERE]);
    assert_int_equal(diag_option(&cfg, "-Wconstant-where"), 1);
    assert_false(cfg.disabled[DIAG_CONSTANT_WHERE]);
}

/* In JSON or SARIF mode nothing is printed; errors and notes are kept. */
static void documents_keep_the_diagnostics(void **state)
{
    (void)state;
    const char *json[] = {"--format=sarif", NULL};
    run r;
    run_start(&r, json);
    diag_error(&r.s, DIAG_UNKNOWN_KEY, span_make(r.file, 0, 4), "unknown key '%s'", "name");
    diag_note(&r.s, span_make(r.file, 6, 7), "note");
    diag_error(&r.s, DIAG_FILE_UNREADABLE, span_none(), "cannot open");
    fflush(r.s.out);
    assert_int_equal(r.size, 0);
    assert_int_equal(r.s.nrecords, 3);
    assert_int_equal(r.s.records[0].kind, 'e');
    assert_int_equal(r.s.records[0].code, DIAG_UNKNOWN_KEY);
    assert_string_equal(r.s.records[0].message, "unknown key 'name'");
    assert_int_equal(r.s.records[1].kind, 'n');
    char *doc = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&doc, &size);
    diag_write_document(&r.s, out);
    fclose(out);
    assert_non_null(strstr(doc, "\"ruleId\": \"E0101\""));
    assert_non_null(strstr(doc, "\"region\": {\"startLine\": 1, \"startColumn\": 1, \"endLine\": 1, \"endColumn\": 5}"));
    assert_non_null(strstr(doc, "\"relatedLocations\": [{\"id\": 0,"));
    assert_non_null(strstr(doc, "{\"ruleId\": \"E0001\", \"ruleIndex\": 0, \"level\": \"error\", "
                                "\"message\": {\"text\": \"cannot open\"}, \"locations\": []}"));
    free(doc);
    run_end(&r);
}

static void abbreviations_are_suggested(void **state)
{
    (void)state;
    const char *fields[] = {"amount", "quantity", "category", "ts", "conversion_rate_ratio"};
    assert_string_equal(suggest_closest("amt", fields, 5), "amount");
    assert_string_equal(suggest_closest("qty", fields, 5), "quantity");
    assert_string_equal(suggest_closest("amout", fields, 5), "amount");   /* a typo first */
    assert_null(suggest_closest("am", fields, 5));                          /* too short */
    assert_null(suggest_closest("mat", fields, 5));                         /* not the first letter */
    assert_null(suggest_closest("crr", fields, 5));                         /* under a third of it */
    const char *two[] = {"amount_total", "amount"};
    assert_string_equal(suggest_closest("amt", two, 2), "amount");         /* the shortest */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_well_formed),
        cmocka_unit_test(warnings_follow_the_options),
        cmocka_unit_test(options_are_checked),
        cmocka_unit_test(documents_keep_the_diagnostics),
        cmocka_unit_test(abbreviations_are_suggested),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
