/*
 * test_regex_bound.c - fdl_regex_bound (runtime/regex_bound.c): the costly
 * pattern shapes refused, with the byte they point at, before regcomp ever
 * sees them (the issue's 23-byte "a+++...+" took glibc 12.9 s and 3 GB, so
 * nothing here hands a refused pattern to regcomp); real patterns and the
 * worst shapes within the bounds accepted and compiled; and fdl_store_open
 * refusing a program whose matches check is past the bounds.
 */
#define _POSIX_C_SOURCE 200809L

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

/* --------------------------------------------------------------- helpers */

static void refused(const char *pattern, size_t at, const char *reason)
{
    size_t where = (size_t)-1;
    const char *why = fdl_regex_bound(pattern, strlen(pattern), &where);
    if (!why || !strstr(why, reason) || where != at) {
        print_error("'%s': expected '%s' at %zu, got '%s' at %zu\n", pattern, reason, at,
                    why ? why : "(accepted)", where);
        fail();
    }
}

/* Accepted, and regcomp takes it as valid (it is quick within the bounds). */
static void accepted(const char *pattern)
{
    const char *why = fdl_regex_bound(pattern, strlen(pattern), NULL);
    if (why) {
        print_error("'%s': refused: %s\n", pattern, why);
        fail();
    }
    regex_t compiled;
    assert_int_equal(regcomp(&compiled, pattern, REG_EXTENDED | REG_NOSUB), 0);
    regfree(&compiled);
}

/* ----------------------------------------------------------------- tests */

static void test_issue_pattern(void **state)
{
    refused("a+++++++++++++++++++++", 2, "a quantifier follows another");
    refused("a+?", 2, "a quantifier follows another");
    refused("[a-z]*{2}", 6, "a quantifier follows another");
    refused("x{2}{3}", 4, "a quantifier follows another");
}

static void test_copies_multiply(void **state)
{
    /* 2^11 copies: the budget exactly; one more "+" doubles past it. */
    accepted("(((((((((((a+)+)+)+)+)+)+)+)+)+)+)");
    refused("((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)", 35, "multiply to more than 2048");
    accepted("(a{1,255}){1,8}");
    refused("(a{1,255}){1,9}", 14, "multiply to more than 2048");
    refused("((a{1,16}){1,16}){1,9}", 21, "multiply to more than 2048");
    refused("(a{0,1}){2}", 8, "empty string");   /* nullable first */
    /* Side by side, copies add up. */
    accepted("a{1,255}b{1,255}c{1,255}d{1,255}e{1,255}f{1,255}g{1,255}h{1,255}");
    refused("a{1,255}b{1,255}c{1,255}d{1,255}e{1,255}f{1,255}g{1,255}h{1,255}iiiiiiiii", 72,
            "multiply to more than 2048");
    refused("(a{1,255}|b{1,255}|c{1,255}|d{1,255}|e{1,255}|f{1,255}|g{1,255}|h{1,255}|iiiiiiiii)", 81,
            "multiply to more than 2048");
}

static void test_counts(void **state)
{
    accepted("x{255}");
    accepted("x{0,255}");
    accepted("x{255,}");
    refused("x{256}", 1, "above 255");
    refused("x{1,256}", 1, "above 255");
    refused("x{99999999999999999999999}", 1, "above 255");
    /* glibc reads "{,m}" as "{0,m}" and "{,}" as "*": counted the same. */
    accepted("a{,3}");
    accepted("a{,}");
    accepted("(a?){,}");
    refused("x{,256}", 1, "above 255");
    refused("(a{1,255}){,9}", 13, "multiply to more than 2048");
    refused("(a?){,2}", 4, "empty string");
    /* Not an interval: regcomp says what it means. */
    assert_null(fdl_regex_bound("x{", 2, NULL));
    assert_null(fdl_regex_bound("x{a}", 4, NULL));
}

static void test_empty_repeated(void **state)
{
    refused("(a?){1,255}", 4, "empty string");
    refused("(a?)+", 4, "empty string");
    refused("(x|)+", 4, "empty string");
    refused("(^)+", 3, "empty string");
    refused("(a*b*){2,}", 6, "empty string");
    refused("(a{0,3}){2}", 8, "empty string");
    refused("(a)(\\1)+", 7, "empty string");       /* a back-reference may be empty */
    /* Once at most, or a loop (one copy): fine. */
    accepted("(a?)?");
    accepted("(a*)*");
    accepted("(a?){0,1}");
    accepted("(a?){1}");
    accepted("(a?b)+");
}

static void test_length_and_depth(void **state)
{
    char text[FDL_REGEX_MAX_LENGTH + 2];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    refused(text, FDL_REGEX_MAX_LENGTH, "longer than 1024");
    text[FDL_REGEX_MAX_LENGTH] = '\0';
    accepted(text);

    char nested[2 * 40 + 2];
    for (int depth = 32; depth <= 33; depth++) {
        memset(nested, '(', (size_t)depth);
        nested[depth] = 'a';
        memset(nested + depth + 1, ')', (size_t)depth);
        nested[2 * depth + 1] = '\0';
        if (depth == 32)
            accepted(nested);
        else
            refused(nested, 32, "nested more than 32");
    }
}

/* Brackets, escapes and classes are one atom each, whatever they hold. */
static void test_atoms(void **state)
{
    accepted("^u[0-9]+$");
    accepted("^C[0-9]{3}$");
    accepted("[]a+?*{]{1,255}");
    accepted("[^]()|+]+");
    accepted("[[:alpha:]_][[:alnum:]_]*");
    accepted("[[.-.][=e=]x]+");
    accepted("\\++\\?");
    accepted("^[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,255}\\.[a-z]{2,63}$");
    accepted("^(\\+|00)[0-9]{1,3}( ?[0-9]){6,14}$");
    accepted("a|b|c|");
}

/* The worst shapes measured within the bounds (runtime/regex_bound.c):
 * about 3 ms each with glibc 2.36. Not timed here: only accepted. */
static void test_worst_accepted(void **state)
{
    accepted("(a{0,255}b){1,8}");
    accepted("(a?b?c?d?e?f?g?h){1,255}");
    char text[512];
    size_t n = 0;
    text[n++] = '(';
    for (int i = 0; i < 200; i++) {
        text[n++] = 'a';
        text[n++] = '?';
    }
    memcpy(text + n, "b){1,10}", 9);
    accepted(text);
}

/* A hand-written program with the issue's pattern: refused at open. */
static void test_store_open_refuses(void **state)
{
    static const fdl_field_desc fields[] = {{"ts", FDL_TIMESTAMP}, {"s", FDL_STRING}};
    fdl_check_desc checks[] = {
        {FDL_CHECK_INVALID, 0, FDL_POLICY_FAIL, "valid timestamp", NULL, 0, -1, -1, false, false, 0, 0},
        {FDL_CHECK_INVALID, 1, FDL_POLICY_FAIL, "valid string", NULL, 0, -1, -1, false, false, 0, 0},
        {FDL_CHECK_MATCHES, 1, FDL_POLICY_DROP, "matches 'a+++'", "a+++++++++++++++++++++", 0, -1, -1,
         false, false, 0, 0},
    };
    fdl_source_desc sources[] = {{"events", 2, fields, 0, NULL, NULL, NULL, 3, checks, {-1, -1, NULL}, NULL}};
    fdl_program program = {
        .abi_version = FDL_ABI_VERSION, .name = "regex_test", .fingerprint = "fp",
        .nsources = 1, .sources = sources,
    };
    fdl_error err = {0};
    assert_null(fdl_store_open(&program, NULL, &err));
    assert_int_equal(err.status, FDL_ERR_ARGUMENT);
    assert_non_null(strstr(err.message, "regular expression refused: a quantifier follows another"));
    assert_non_null(strstr(err.message, "source 'events'"));

    checks[2].pattern = NULL;
    assert_null(fdl_store_open(&program, NULL, &err));
    assert_non_null(strstr(err.message, "regular expression refused"));

    checks[2].pattern = "^[a-z]+$";
    fdl_store *store = fdl_store_open(&program, NULL, &err);
    if (!store)
        fail_msg("open: %s", err.message);
    fdl_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_pattern),
        cmocka_unit_test(test_copies_multiply),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_empty_repeated),
        cmocka_unit_test(test_length_and_depth),
        cmocka_unit_test(test_atoms),
        cmocka_unit_test(test_worst_accepted),
        cmocka_unit_test(test_store_open_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
