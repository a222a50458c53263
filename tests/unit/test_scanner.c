/*
 * test_scanner.c - the expression scanner (grammar/expr.l) on its own,
 * through the test door expr_tokenize() in expr_parse.h: token kinds, byte
 * spans (also through the offsets map), literal values, and lexical errors
 * located on the offending bytes, whatever bytes come in.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_parse.h"

/* One scan of one text, with everything it printed. */
typedef struct scan {
    arena arena;
    source_set sources;
    int file;
    expr_token *tokens;
    int count;
    char *diagnostics;       /* NUL-terminated */
    size_t diagnostics_size;
    char listing[4096];      /* the tokens as "kind[start,end) ..." */
} scan;

static void list_tokens(scan *s)
{
    size_t used = 0;
    s->listing[0] = '\0';
    for (int i = 0; i < s->count && used < sizeof s->listing; i++)
        used += (size_t)snprintf(s->listing + used, sizeof s->listing - used, "%s%s[%u,%u)",
                                 i ? " " : "", s->tokens[i].kind, s->tokens[i].start,
                                 s->tokens[i].end);
}

/*
 * Scans text[0..len) of a file whose whole contents are file_text (the
 * expression sits at file offset base, or where offsets says).
 */
static void scan_in_file(scan *s, const char *file_text, size_t file_size, uint32_t base,
                         const uint32_t *offsets, const char *text, size_t len)
{
    memset(s, 0, sizeof *s);
    arena_init(&s->arena);
    source_set_init(&s->sources, &s->arena);
    s->sources.out = open_memstream(&s->diagnostics, &s->diagnostics_size);
    s->file = source_add(&s->sources, "expr", file_text, file_size);
    s->count = expr_tokenize(&s->sources, &s->arena, s->file, base, offsets, text, len, &s->tokens);
    fclose(s->sources.out);
    list_tokens(s);
}

/* The common case: the file is the expression. */
static void scan_bytes(scan *s, const char *text, size_t len)
{
    scan_in_file(s, text, len, 0, NULL, text, len);
}

static void scan_text(scan *s, const char *text)
{
    scan_bytes(s, text, strlen(text));
}

static void scan_free(scan *s)
{
    free(s->diagnostics);
    arena_free(&s->arena);
}

static void expect_tokens(const scan *s, const char *expected)
{
    if (strcmp(s->listing, expected) != 0) {
        print_error("tokens:   %s\nexpected: %s\ndiagnostics:\n%s", s->listing, expected,
                    s->diagnostics);
        fail();
    }
}

static void expect_no_errors(const scan *s)
{
    if (s->sources.errors != 0) {
        print_error("unexpected diagnostics:\n%s", s->diagnostics);
        fail();
    }
}

/* Exactly `errors` errors, and `expected` among the diagnostics. */
static void expect_errors(const scan *s, int errors, const char *expected)
{
    if (s->sources.errors != errors || !strstr(s->diagnostics, expected)) {
        print_error("expected %d error(s) with '%s', got %d:\n%s", errors, expected,
                    s->sources.errors, s->diagnostics);
        fail();
    }
}

/* Scans text expecting no errors and the given tokens. */
static void expect_clean_scan(const char *text, const char *expected)
{
    scan s;
    scan_text(&s, text);
    expect_no_errors(&s);
    expect_tokens(&s, expected);
    scan_free(&s);
}

/* ------------------------------------------------------------ numbers */

static void integers_carry_their_values(void **state)
{
    (void)state;
    scan s;
    scan_text(&s, "0 42 007 9223372036854775807");
    expect_no_errors(&s);
    expect_tokens(&s, "integer[0,1) integer[2,4) integer[5,8) integer[9,28)");
    static const int64_t values[] = {0, 42, 7, INT64_MAX};
    for (int i = 0; i < 4; i++) {
        assert_non_null(s.tokens[i].literal);
        assert_int_equal(s.tokens[i].literal->kind, EXPR_INT);
        assert_true(s.tokens[i].literal->as.int_value == values[i]);
        /* The literal node spans its own bytes. */
        assert_int_equal(s.tokens[i].literal->span.start, s.tokens[i].start);
        assert_int_equal(s.tokens[i].literal->span.end, s.tokens[i].end);
    }
    scan_free(&s);
}

/* There is no negative literal: '-' is an operator of its own. */
static void minus_is_never_part_of_a_number(void **state)
{
    (void)state;
    expect_clean_scan("-1", "-[0,1) integer[1,2)");
    expect_clean_scan("1-2", "integer[0,1) -[1,2) integer[2,3)");
    expect_clean_scan("1e-2-3", "float[0,4) -[4,5) integer[5,6)");
}

static void integer_overflow_is_a_located_error(void **state)
{
    (void)state;
    scan s;
    /* INT64_MAX + 1, one column in. */
    scan_text(&s, "x + 9223372036854775808");
    expect_errors(&s, 1, "expr:1:5: error[E0004]: integer literal out of range");
    /* The underline covers the whole literal (19 digits). */
    assert_non_null(strstr(s.diagnostics, "^~~~~~~~~~~~~~~~~~~\n"));
    /* The token is still an integer, so the parser does not report it twice. */
    expect_tokens(&s, "name[0,1) +[2,3) integer[4,23)");
    scan_free(&s);

    /* Far past the limit: the digits must not wrap around to a small value. */
    scan_text(&s, "184467440737095516161");
    expect_errors(&s, 1, "expr:1:1: error[E0004]: integer literal out of range");
    scan_free(&s);

    /* INT64_MIN cannot be written: it is '-' applied to INT64_MAX + 1. */
    scan_text(&s, "-9223372036854775808");
    expect_errors(&s, 1, "expr:1:2: error[E0004]: integer literal out of range");
    scan_free(&s);
}

static void float_forms(void **state)
{
    (void)state;
    scan s;
    scan_text(&s, "1.5 1. .5 1e3 1E+3 2.5e-3 .5e1 1.e2 4.9e-324");
    expect_no_errors(&s);
    expect_tokens(&s, "float[0,3) float[4,6) float[7,9) float[10,13) float[14,18) float[19,25) "
                      "float[26,30) float[31,35) float[36,44)");
    static const double values[] = {1.5, 1.0, 0.5, 1000.0, 1000.0, 2.5e-3, 5.0, 100.0, 4.9e-324};
    for (int i = 0; i < 9; i++) {
        assert_int_equal(s.tokens[i].literal->kind, EXPR_FLOAT);
        /* Exactly as strtod rounds them. */
        assert_true(s.tokens[i].literal->as.float_value == values[i]);
    }
    assert_true(s.tokens[8].literal->as.float_value > 0);   /* the smallest subnormal */
    scan_free(&s);
}

/* Where a number stops and the next token starts. */
static void number_boundaries(void **state)
{
    (void)state;
    /* An exponent needs digits: "1e" is the integer 1 and the name e. */
    expect_clean_scan("1e", "integer[0,1) name[1,2)");
    expect_clean_scan("1e+", "integer[0,1) name[1,2) +[2,3)");
    expect_clean_scan("12abc", "integer[0,2) name[2,5)");
    expect_clean_scan("1.5.2", "float[0,3) float[3,5)");
    expect_clean_scan("1.a", "float[0,2) name[2,3)");
    expect_clean_scan("..5", ".[0,1) float[1,3)");
    /* A lone dot is the qualifier dot. */
    expect_clean_scan("o.amount", "name[0,1) .[1,2) name[2,8)");
}

static void float_overflow_is_a_located_error(void **state)
{
    (void)state;
    scan s;
    scan_text(&s, "x > 1e400");
    expect_errors(&s, 1, "expr:1:5: error[E0004]: float literal out of range");
    expect_tokens(&s, "name[0,1) >[2,3) float[4,9)");
    scan_free(&s);

    scan_text(&s, "1.8e308");   /* just past DBL_MAX: rounds to infinity */
    expect_errors(&s, 1, "expr:1:1: error[E0004]: float literal out of range");
    scan_free(&s);

    /* Underflow is not an error: the value rounds to zero. */
    scan_text(&s, "1e-400");
    expect_no_errors(&s);
    assert_true(s.tokens[0].literal->as.float_value == 0.0);
    scan_free(&s);
}

/* ------------------------------------------------------------ strings */

static void expect_string_literal(const char *text, const char *bytes, size_t len)
{
    scan s;
    scan_text(&s, text);
    expect_no_errors(&s);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.tokens[0].kind, "string");
    /* The token spans the literal with its quotes. */
    assert_int_equal(s.tokens[0].start, 0);
    assert_int_equal(s.tokens[0].end, strlen(text));
    const expr *literal = s.tokens[0].literal;
    assert_int_equal(literal->kind, EXPR_STRING);
    assert_int_equal(literal->as.string.len, (int32_t)len);
    assert_memory_equal(literal->as.string.bytes, bytes, len);
    assert_int_equal(literal->as.string.bytes[len], '\0');   /* terminated for C callers */
    scan_free(&s);
}

static void strings_in_either_quote(void **state)
{
    (void)state;
    expect_string_literal("'abc'", "abc", 3);
    expect_string_literal("\"abc\"", "abc", 3);
    expect_string_literal("''", "", 0);
    expect_string_literal("\"\"", "", 0);
    /* The other quote needs no escape. */
    expect_string_literal("\"it's\"", "it's", 4);
    expect_string_literal("'say \"hi\"'", "say \"hi\"", 8);
    /* Doubling the quote escapes it, SQL style. */
    expect_string_literal("'it''s'", "it's", 4);
    expect_string_literal("''''", "'", 1);
    expect_string_literal("\"say \"\"hi\"\"\"", "say \"hi\"", 8);
    /* Bytes are taken as they are: a newline, UTF-8. */
    expect_string_literal("'a\nb'", "a\nb", 3);
    expect_string_literal("'\xc3\xa9t\xc3\xa9'", "\xc3\xa9t\xc3\xa9", 5);
}

static void string_escapes(void **state)
{
    (void)state;
    expect_string_literal("'\\n\\t\\r'", "\n\t\r", 3);
    expect_string_literal("'a\\\\b'", "a\\b", 3);
    expect_string_literal("'\\''", "'", 1);
    expect_string_literal("\"\\\"\"", "\"", 1);
    expect_string_literal("'\\\"'", "\"", 1);
    expect_string_literal("\"\\'\"", "'", 1);
    /* \0 is a NUL byte inside the string, which keeps its length. */
    expect_string_literal("'a\\0b'", "a\0b", 3);
}

static void unknown_escape_is_located_on_the_escape(void **state)
{
    (void)state;
    scan s;
    scan_text(&s, "x = 'a\\qb'");
    expect_errors(&s, 1, "expr:1:7: error[E0004]: unknown escape sequence '\\q'");
    assert_non_null(strstr(s.diagnostics, "|       ^~\n"));   /* both bytes of \q */
    /* The string still ends where its quote is. */
    expect_tokens(&s, "name[0,1) =[2,3) string[4,10)");
    scan_free(&s);

    /* An escaped control byte is shown as hex. */
    scan_text(&s, "'\\\x01'");
    expect_errors(&s, 1, "expr:1:2: error[E0004]: unknown escape sequence '\\\\x01'");
    scan_free(&s);

    /* A backslash before a NUL or a newline: shown as hex, scanning goes on. */
    scan_bytes(&s, "'\\\0' x", 6);
    expect_errors(&s, 1, "expr:1:2: error[E0004]: unknown escape sequence '\\\\x00'");
    expect_tokens(&s, "string[0,4) name[5,6)");
    scan_free(&s);
    scan_text(&s, "'\\\n'");
    expect_errors(&s, 1, "expr:1:2: error[E0004]: unknown escape sequence '\\\\x0A'");
    scan_free(&s);

    /* Each bad escape is its own error. */
    scan_text(&s, "\"\\a\\b\"");
    expect_errors(&s, 2, "expr:1:4: error[E0004]: unknown escape sequence '\\b'");
    assert_non_null(strstr(s.diagnostics, "expr:1:2: error[E0004]: unknown escape sequence '\\a'"));
    scan_free(&s);
}

/* An unterminated string ends the scan with one error at its opening quote. */
static void unterminated_strings(void **state)
{
    (void)state;
    static const struct { const char *text; const char *error; const char *tokens; } cases[] = {
        {"'abc", "expr:1:1: error[E0004]: unterminated string", ""},
        {"x = \"abc", "expr:1:5: error[E0004]: unterminated string", "name[0,1) =[2,3)"},
        {"x = 'it''", "expr:1:5: error[E0004]: unterminated string", "name[0,1) =[2,3)"},
        {"'abc\\", "expr:1:1: error[E0004]: unterminated string", ""},     /* backslash at the end */
        {"'abc\\'", "expr:1:1: error[E0004]: unterminated string", ""},    /* the quote is escaped */
        {"f('a', \"b)", "expr:1:8: error[E0004]: unterminated string", "name[0,1) ([1,2) string[2,5) ,[5,6)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scan s;
        scan_text(&s, cases[i].text);
        expect_errors(&s, 1, cases[i].error);
        expect_tokens(&s, cases[i].tokens);
        scan_free(&s);
    }
}

/* ------------------------------------------------------------ words */

static void keywords_ignore_case(void **state)
{
    (void)state;
    expect_clean_scan("and or not in is null true false",
                      "and[0,3) or[4,6) not[7,10) in[11,13) is[14,16) null[17,21) "
                      "true[22,26) false[27,32)");
    expect_clean_scan("AND Or NoT IN iS NULL True FALSE",
                      "and[0,3) or[4,6) not[7,10) in[11,13) is[14,16) null[17,21) "
                      "true[22,26) false[27,32)");
}

static void names_are_not_keywords(void **state)
{
    (void)state;
    scan s;
    /* Keywords only match whole words; names keep their case. */
    scan_text(&s, "android nothing isnull null_count _x x1 Foo ANDY o_r a_");
    expect_no_errors(&s);
    static const char *const names[] = {"android", "nothing", "isnull", "null_count", "_x",
                                        "x1", "Foo", "ANDY", "o_r", "a_"};
    assert_int_equal(s.count, 10);
    for (int i = 0; i < 10; i++) {
        assert_string_equal(s.tokens[i].kind, "name");
        assert_string_equal(s.tokens[i].name, names[i]);
        assert_null(s.tokens[i].literal);
    }
    scan_free(&s);
    expect_clean_scan("an", "name[0,2)");   /* a prefix of a keyword */
    expect_clean_scan("nul", "name[0,3)");
}

/* ------------------------------------------------------------ operators */

static void operators(void **state)
{
    (void)state;
    /* "=" and "==" are the same token, as are "!=" and "<>". */
    expect_clean_scan("= == != <> < <= > >=",
                      "=[0,1) =[2,4) !=[5,7) !=[8,10) <[11,12) <=[13,15) >[16,17) >=[18,20)");
    expect_clean_scan("+-*/%(),.",
                      "+[0,1) -[1,2) *[2,3) /[3,4) %[4,5) ([5,6) )[6,7) ,[7,8) .[8,9)");
    /* Longest match, no backtracking into other operators. */
    expect_clean_scan("<=>", "<=[0,2) >[2,3)");
    expect_clean_scan("=<", "=[0,1) <[1,2)");
    expect_clean_scan("===", "=[0,2) =[2,3)");
    expect_clean_scan("a<>b", "name[0,1) !=[1,3) name[3,4)");
}

/* C spellings are errors that say what to write instead. */
static void c_operators_are_errors_with_advice(void **state)
{
    (void)state;
    static const struct { const char *text; const char *error; const char *tokens; } cases[] = {
        {"a && b", "expr:1:3: error[E0004]: unexpected '&&'; write 'and'", "name[0,1) error[2,4) name[5,6)"},
        {"a || b", "expr:1:3: error[E0004]: unexpected '||'; write 'or'", "name[0,1) error[2,4) name[5,6)"},
        {"!a", "expr:1:1: error[E0004]: unexpected character '!'; write 'not' or '!='", "error[0,1) name[1,2)"},
        {"a & b", "expr:1:3: error[E0004]: unexpected character '&'", "name[0,1) error[2,3) name[4,5)"},
        {"a | b", "expr:1:3: error[E0004]: unexpected character '|'", "name[0,1) error[2,3) name[4,5)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scan s;
        scan_text(&s, cases[i].text);
        expect_errors(&s, 1, cases[i].error);
        expect_tokens(&s, cases[i].tokens);
        scan_free(&s);
    }
}

/* ------------------------------------------------------------ spans */

static void spans_skip_all_blanks(void **state)
{
    (void)state;
    expect_clean_scan("  foo <=\t12 \r\n\f\v 'x'  ",
                      "name[2,5) <=[6,8) integer[9,11) string[17,20)");
    expect_clean_scan("", "");
    expect_clean_scan(" \n\t ", "");
}

/* With offsets NULL, the file span is the byte offset plus base. */
static void spans_shift_by_base(void **state)
{
    (void)state;
    static const char file_text[] = "filter:\n  where: amount >= 10\n";
    const char *expression = strstr(file_text, "amount");
    uint32_t base = (uint32_t)(expression - file_text);
    scan s;
    scan_in_file(&s, file_text, sizeof file_text - 1, base, NULL, expression, strlen("amount >= 10"));
    expect_no_errors(&s);
    expect_tokens(&s, "name[0,6) >=[7,9) integer[10,12)");
    assert_int_equal(s.tokens[1].span.file, s.file);
    assert_int_equal(s.tokens[1].span.start, base + 7);
    assert_int_equal(s.tokens[1].span.end, base + 9);
    scan_free(&s);
}

/*
 * The YAML front end decodes escapes before parsing, so the expression's
 * bytes are not the file's: "\t" (two bytes in the file) is one byte of
 * expression. offsets maps each expression byte back to the file.
 */
static void spans_follow_the_offsets_map(void **state)
{
    (void)state;
    static const char file_text[] = "where: \"a\\t<= 'x\\u00e9' \\x21\"\n";
    /*                                0123456 7 8 9 ...                    */
    static const char expression[] = "a\t<= 'x\xc3\xa9' !";
    size_t len = sizeof expression - 1;
    /* File offsets of each expression byte, then one past the last. */
    static const uint32_t offsets[] = {
        8,          /* a */
        9,          /* \t: written as two bytes, 9..10 */
        11, 12,     /* <= */
        13,         /* space */
        14, 15,     /* 'x */
        16, 16,     /* \u00e9: six bytes of file, two of UTF-8; both map to its start */
        22,         /* ' */
        23,         /* space */
        24,         /* \x21 = '!' */
        28,         /* end */
    };
    assert_int_equal(sizeof offsets / sizeof offsets[0], len + 1);
    scan s;
    scan_in_file(&s, file_text, sizeof file_text - 1, 0, offsets, expression, len);
    /* Byte offsets are into the expression... */
    expect_tokens(&s, "name[0,1) <=[2,4) string[5,10) error[11,12)");
    /* ...spans are into the file. */
    assert_int_equal(s.tokens[1].span.start, 11);
    assert_int_equal(s.tokens[1].span.end, 13);
    assert_int_equal(s.tokens[2].span.start, 14);
    assert_int_equal(s.tokens[2].span.end, 23);
    assert_int_equal(s.tokens[2].literal->span.start, 14);
    assert_int_equal(s.tokens[2].literal->span.end, 23);
    /* The error points at the escape that produced the '!', not at byte 11. */
    expect_errors(&s, 1, "expr:1:25: error[E0004]: unexpected character '!'; write 'not' or '!='");
    scan_free(&s);
}

/* A multi-line file: the error's line and column are inside the expression. */
static void errors_point_into_the_file(void **state)
{
    (void)state;
    static const char file_text[] =
        "features:\n"
        "  - name: n\n"
        "    where: x = 'abc\n";
    const char *expression = strstr(file_text, "x = ");
    uint32_t base = (uint32_t)(expression - file_text);
    scan s;
    scan_in_file(&s, file_text, sizeof file_text - 1, base, NULL, expression, strlen("x = 'abc"));
    expect_errors(&s, 1, "expr:3:16: error[E0004]: unterminated string");
    assert_non_null(strstr(s.diagnostics, "    3 |     where: x = 'abc\n"));
    scan_free(&s);
}

/* ------------------------------------------------------------ hostile bytes */

static void nul_bytes_are_stray_characters(void **state)
{
    (void)state;
    scan s;
    scan_bytes(&s, "a\0b", 3);
    expect_errors(&s, 1, "expr:1:2: error[E0004]: unexpected character '\\x00'");
    expect_tokens(&s, "name[0,1) error[1,2) name[2,3)");
    /* The NUL does not end the name before it. */
    assert_string_equal(s.tokens[0].name, "a");
    assert_string_equal(s.tokens[2].name, "b");
    scan_free(&s);

    /* Inside a string a raw NUL is just a byte. */
    scan_bytes(&s, "'a\0b'", 5);
    expect_no_errors(&s);
    assert_int_equal(s.tokens[0].literal->as.string.len, 3);
    assert_memory_equal(s.tokens[0].literal->as.string.bytes, "a\0b", 3);
    scan_free(&s);

    /* A text that is all NULs. */
    scan_bytes(&s, "\0\0\0\0", 4);
    expect_errors(&s, 1, "expr:1:1: error[E0004]: unexpected character '\\x00'");
    expect_tokens(&s, "error[0,4)");
    scan_free(&s);
}

static void non_ascii_bytes_are_one_error_per_run(void **state)
{
    (void)state;
    scan s;
    /* Invalid UTF-8: one error for the run, shown by its first byte. */
    scan_text(&s, "x = \xff\xfe\x80 + 1");
    expect_errors(&s, 1, "expr:1:5: error[E0004]: unexpected character '\\xFF'");
    expect_tokens(&s, "name[0,1) =[2,3) error[4,7) +[8,9) integer[10,11)");
    scan_free(&s);

    /* Valid UTF-8 letters are not name characters either. */
    scan_text(&s, "caf\xc3\xa9 = 1");
    expect_errors(&s, 1, "expr:1:4: error[E0004]: unexpected character '\\xC3'");
    expect_tokens(&s, "name[0,3) error[3,5) =[6,7) integer[8,9)");
    scan_free(&s);

    /* ASCII punctuation the language does not use. */
    static const char stray[] = "@#$;:?[]{}~^`\\";
    for (const char *c = stray; *c; c++) {
        char text[4] = {'a', *c, 'b', '\0'};
        char expected[64];
        snprintf(expected, sizeof expected, "expr:1:2: error[E0004]: unexpected character '%c'", *c);
        scan_text(&s, text);
        expect_errors(&s, 1, expected);
        scan_free(&s);
    }
}

/* The scanner counts nesting for the parser: past the limit the scan stops. */
static void nesting_past_the_limit_ends_the_scan(void **state)
{
    (void)state;
    char text[4 * EXPR_MAX_DEPTH];
    memset(text, '(', EXPR_MAX_DEPTH + 1);
    strcpy(text + EXPR_MAX_DEPTH + 1, "a");
    scan s;
    scan_text(&s, text);
    expect_errors(&s, 1, "expr:1:201: error[E0004]: expression nested too deeply");
    assert_int_equal(s.count, EXPR_MAX_DEPTH);   /* the 201st '(' is not handed on */
    scan_free(&s);

    /* Prefix operators waiting for their operand count too... */
    memset(text, '-', EXPR_MAX_DEPTH + 1);
    strcpy(text + EXPR_MAX_DEPTH + 1, "a");
    scan_text(&s, text);
    expect_errors(&s, 1, "expr:1:201: error[E0004]: expression nested too deeply");
    scan_free(&s);

    /* ...infix ones do not: a-a-a-... is flat as far as the scanner sees. */
    size_t len = 0;
    for (int i = 0; i < EXPR_MAX_DEPTH + 50; i++) {
        memcpy(text + len, "a-", 2);
        len += 2;
    }
    text[len++] = 'a';
    scan_bytes(&s, text, len);
    expect_no_errors(&s);
    assert_int_equal(s.count, (int)len);
    scan_free(&s);
}

/* A small deterministic generator, so a failure can be replayed. */
static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005u + 1442695040888963407u;
    return *seed >> 33;
}

/*
 * Random bytes, and random mixes of the language's own pieces: the scan
 * never crashes (ASan/UBSan builds check the memory), tokens come in order
 * inside the text, and a lexical error is always reported as one.
 */
static void random_input_never_breaks_the_scanner(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "a", " ", "(", ")", "'", "\"", "\\", "1", ".", "e", "-", "+", "=", "<", ">", "!",
        "&", "|", "not", "in", "is", "null", ",", "\0", "\xff", "\xc3", "9999999999999999999",
        "1e999", "''", "\n",
    };
    uint64_t seed = 12345;
    char text[256];
    for (int round = 0; round < 4000; round++) {
        size_t len = 0;
        size_t target = (size_t)(next_random(&seed) % 64);
        bool raw = round % 2 == 0;
        while (len < target) {
            if (raw) {
                text[len++] = (char)(next_random(&seed) & 0xff);
            } else {
                const char *piece = pieces[next_random(&seed) % (sizeof pieces / sizeof pieces[0])];
                size_t n = piece[0] ? strlen(piece) : 1;   /* "\0" is one NUL byte */
                if (len + n > sizeof text)
                    break;
                memcpy(text + len, piece, n);
                len += n;
            }
        }
        scan s;
        scan_bytes(&s, text, len);
        assert_true(s.count >= 0);
        uint32_t previous_end = 0;
        bool error_token = false;
        for (int i = 0; i < s.count; i++) {
            assert_true(s.tokens[i].start >= previous_end);
            assert_true(s.tokens[i].start < s.tokens[i].end);
            assert_true(s.tokens[i].end <= len);
            previous_end = s.tokens[i].end;
            if (strcmp(s.tokens[i].kind, "error") == 0)
                error_token = true;
        }
        if (error_token)
            assert_true(s.sources.errors > 0);
        scan_free(&s);

        /* The same bytes through the whole parser: a tree or errors, never both. */
        arena a;
        arena_init(&a);
        source_set sources;
        source_set_init(&sources, &a);
        char *printed = NULL;
        size_t printed_size = 0;
        sources.out = open_memstream(&printed, &printed_size);
        int file = source_add(&sources, "expr", text, len);
        expr *tree = expr_parse(&sources, &a, file, 0, NULL, text, len);
        fclose(sources.out);
        assert_true((tree != NULL) == (sources.errors == 0));
        free(printed);
        arena_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_carry_their_values),
        cmocka_unit_test(minus_is_never_part_of_a_number),
        cmocka_unit_test(integer_overflow_is_a_located_error),
        cmocka_unit_test(float_forms),
        cmocka_unit_test(number_boundaries),
        cmocka_unit_test(float_overflow_is_a_located_error),
        cmocka_unit_test(strings_in_either_quote),
        cmocka_unit_test(string_escapes),
        cmocka_unit_test(unknown_escape_is_located_on_the_escape),
        cmocka_unit_test(unterminated_strings),
        cmocka_unit_test(keywords_ignore_case),
        cmocka_unit_test(names_are_not_keywords),
        cmocka_unit_test(operators),
        cmocka_unit_test(c_operators_are_errors_with_advice),
        cmocka_unit_test(spans_skip_all_blanks),
        cmocka_unit_test(spans_shift_by_base),
        cmocka_unit_test(spans_follow_the_offsets_map),
        cmocka_unit_test(errors_point_into_the_file),
        cmocka_unit_test(nul_bytes_are_stray_characters),
        cmocka_unit_test(non_ascii_bytes_are_one_error_per_run),
        cmocka_unit_test(nesting_past_the_limit_ends_the_scan),
        cmocka_unit_test(random_input_never_breaks_the_scanner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
