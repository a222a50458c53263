/*
 * test_comments.c - comments.c finds a file's comments and only those: a
 * '#' in a YAML quoted, plain or block scalar or in a .fdl string or
 * `name` is not one; each comment has its offset, line, text (trailing
 * spaces cut), whether code comes before it and whether a blank line
 * follows; and the layout puts every comment back exactly once.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comments.h"

typedef struct scanned {
    arena arena;
    source_set sources;
    fmt_comments comments;
} scanned;

static void scan(scanned *s, const char *path, const char *text, bool fdl)
{
    arena_init(&s->arena);
    source_set_init(&s->sources, &s->arena);
    int id = source_add(&s->sources, path, text, strlen(text));
    assert_true(id >= 0);
    comments_scan(&s->sources, id, fdl, &s->arena, &s->comments);
}

static void test_yaml_comments(void **state)
{
    (void)state;
    scanned s;
    scan(&s, "a.yaml",
         "# head  \n"
         "\n"
         "a: \"x # not\"   # one\n"
         "b: 'y # not'\n"
         "c: plain#not\n"
         "d: |\n"
         "  # inside a block scalar\n"
         "e: [1, 2] # two\n"
         "  # three\n",
         false);
    assert_int_equal(s.comments.count, 4);
    assert_string_equal(s.comments.items[0].text, "# head");
    assert_false(s.comments.items[0].trailing);
    assert_true(s.comments.items[0].blank_after);
    assert_int_equal(s.comments.items[0].line, 0);
    assert_string_equal(s.comments.items[1].text, "# one");
    assert_true(s.comments.items[1].trailing);
    assert_int_equal(s.comments.items[1].line, 2);
    assert_string_equal(s.comments.items[2].text, "# two");
    assert_string_equal(s.comments.items[3].text, "# three");
    assert_false(s.comments.items[3].trailing);
    assert_false(s.comments.items[3].blank_after);   /* the end is no blank line */
    arena_free(&s.arena);
}

static void test_fdl_comments(void **state)
{
    (void)state;
    scanned s;
    scan(&s, "a.fdl",
         "entity user { key id } \"a # b\" # one\n"
         "feature `x` = expr('#' + \"\\\"#\")#two\n"
         "    # three\n",
         true);
    assert_int_equal(s.comments.count, 3);
    assert_string_equal(s.comments.items[0].text, "# one");
    assert_true(s.comments.items[0].trailing);
    assert_string_equal(s.comments.items[1].text, "#two");
    assert_string_equal(s.comments.items[2].text, "# three");
    assert_false(s.comments.items[2].trailing);
    arena_free(&s.arena);
}

/* The layout with no marks or leads: every comment goes at the end, once. */
static void test_layout_places_every_comment(void **state)
{
    (void)state;
    scanned s;
    scan(&s, "a.fdl", "# one\nentity a { key k } # two\n\n# three\n", true);
    char *text = NULL, *result = NULL;
    size_t size = 0, result_size = 0;
    FILE *mem = open_memstream(&text, &size);
    comment_layout *l = comment_layout_new(&s.arena, &s.sources, 0, mem, &text, &size, true);
    fputs("entity a { key k: string }\n", mem);
    FILE *out = open_memstream(&result, &result_size);
    comment_layout_write(l, &s.comments, out);
    fclose(out);
    assert_string_equal(result, "entity a { key k: string }\n# one\n# two\n\n# three\n");
    free(result);
    arena_free(&s.arena);
}

/* Marks and leads: a trailing comment at its line's end, a comment before its item. */
static void test_layout_marks_and_leads(void **state)
{
    (void)state;
    scanned s;
    const char *source = "# before\nentity a { key k } # after\n";
    scan(&s, "a.fdl", source, true);
    char *text = NULL, *result = NULL;
    size_t size = 0, result_size = 0;
    FILE *mem = open_memstream(&text, &size);
    comment_layout *l = comment_layout_new(&s.arena, &s.sources, 0, mem, &text, &size, true);
    uint32_t entity = (uint32_t)(strstr(source, "entity") - source);
    fputs("header\n", mem);
    comment_lead(l, span_make(0, entity, entity + 17), "  ");
    comment_mark(l, span_make(0, entity + 7, entity + 8));
    fputs("entity a\n", mem);
    FILE *out = open_memstream(&result, &result_size);
    comment_layout_write(l, &s.comments, out);
    fclose(out);
    assert_string_equal(result, "header\n  # before\nentity a  # after\n");
    free(result);
    arena_free(&s.arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_comments),
        cmocka_unit_test(test_fdl_comments),
        cmocka_unit_test(test_layout_places_every_comment),
        cmocka_unit_test(test_layout_marks_and_leads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
