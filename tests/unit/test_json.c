/*
 * test_json.c - the JSON string writer (runtime/json.c): well-formed UTF-8
 * unchanged at every boundary of Unicode table 3-7, each maximal ill-formed
 * subpart one \ufffd (overlongs, surrogates, above U+10FFFF, truncated,
 * stray continuation bytes), escapes for '"', '\\', control bytes and DEL.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

/* fdl_json_write_string's output for len bytes of s. */
static char *written(const char *s, size_t len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    fdl_json_write_string(out, s, len);
    assert_int_equal(fclose(out), 0);
    return text;
}

static void expect(const char *s, size_t len, const char *json)
{
    char *text = written(s, len);
    if (strcmp(text, json) != 0) {
        print_error("wrote %s, expected %s\n", text, json);
        fail();
    }
    assert_true(fdl_utf8_valid(text, strlen(text)));
    free(text);
}

#define EXPECT(literal, json) expect(literal, sizeof literal - 1, json)

static void test_well_formed_unchanged(void **state)
{
    EXPECT("plain", "\"plain\"");
    EXPECT("\xc2\x80 \xdf\xbf", "\"\xc2\x80 \xdf\xbf\"");                  /* U+0080, U+07FF */
    EXPECT("\xe0\xa0\x80 \xed\x9f\xbf", "\"\xe0\xa0\x80 \xed\x9f\xbf\"");  /* U+0800, U+D7FF */
    EXPECT("\xee\x80\x80 \xef\xbf\xbf", "\"\xee\x80\x80 \xef\xbf\xbf\"");  /* U+E000, U+FFFF */
    EXPECT("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", "\"\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"");
    EXPECT("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");     /* a real U+FFFD stays as it is */
}

static void test_ill_formed_replaced(void **state)
{
    EXPECT("caf\xe9", "\"caf\\ufffd\"");
    EXPECT("\xc0\x80", "\"\\ufffd\\ufffd\"");                 /* overlong NUL */
    EXPECT("\xc1\xbf", "\"\\ufffd\\ufffd\"");
    EXPECT("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\"");       /* overlong U+07FF */
    EXPECT("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    EXPECT("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");       /* U+D800 */
    EXPECT("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");       /* U+DFFF */
    EXPECT("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");   /* U+110000 */
    EXPECT("\xf5\x80", "\"\\ufffd\\ufffd\"");
    EXPECT("\xff\xfe", "\"\\ufffd\\ufffd\"");
    EXPECT("\x80x", "\"\\ufffdx\"");                           /* stray continuation */
    /* A maximal subpart is one replacement: a truncated sequence. */
    EXPECT("\xe2\x82", "\"\\ufffd\"");
    EXPECT("\xe2\x82x", "\"\\ufffdx\"");
    EXPECT("\xf0\x9f\x98", "\"\\ufffd\"");
    EXPECT("\xf0\x9f\x98\xe2\x82\xac", "\"\\ufffd\xe2\x82\xac\"");
}

static void test_escapes(void **state)
{
    EXPECT("a\"b\\c", "\"a\\\"b\\\\c\"");
    EXPECT("\n\t\x01\x1f\x7f", "\"\\u000a\\u0009\\u0001\\u001f\\u007f\"");
    EXPECT("a\0b", "\"a\\u0000b\"");
    EXPECT("", "\"\"");
}

static void test_valid(void **state)
{
    assert_true(fdl_utf8_valid("", 0));
    assert_true(fdl_utf8_valid("\xf4\x8f\xbf\xbf", 4));
    assert_false(fdl_utf8_valid("\xf4\x8f\xbf", 3));
    assert_false(fdl_utf8_valid("\xed\xa0\x80", 3));
    bool valid;
    assert_int_equal(fdl_utf8_next("\xe2\x82\xac", 3, &valid), 3);
    assert_true(valid);
    assert_int_equal(fdl_utf8_next("\xe2\x82x", 3, &valid), 2);
    assert_false(valid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_well_formed_unchanged),
        cmocka_unit_test(test_ill_formed_replaced),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
