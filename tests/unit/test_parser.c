/*
 * test_parser.c - the expression grammar (grammar/expr.y) through
 * expr_parse(): the trees it builds, printed fully parenthesized so that
 * precedence and associativity read at a glance; node spans; syntax errors,
 * several per run, located inside the expression; the nesting limit.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_parse.h"

/* ------------------------------------------------------------ printing trees */

/*
 * The canonical form: every operator node in parentheses, "(a + b)",
 * "(-a)", "(not a)", "(x in (1, 2))", "(x is not null)"; calls as "f(a, b)";
 * strings in single quotes with ' doubled and other bytes outside printable
 * ASCII as \xNN; a subtree lost to a syntax error as "<error>".
 */
static void print_tree(FILE *out, const expr *e);

static void print_list(FILE *out, const expr_list *list)
{
    for (int i = 0; i < list->count; i++) {
        if (i)
            fputs(", ", out);
        print_tree(out, list->items[i]);
    }
}

static void print_tree(FILE *out, const expr *e)
{
    if (!e) {
        fputs("<error>", out);
        return;
    }
    switch (e->kind) {
    case EXPR_INT:
        fprintf(out, "%" PRId64, e->as.int_value);
        break;
    case EXPR_FLOAT:
        fprintf(out, "%.17g", e->as.float_value);
        break;
    case EXPR_STRING:
        fputc('\'', out);
        for (int32_t i = 0; i < e->as.string.len; i++) {
            unsigned char c = (unsigned char)e->as.string.bytes[i];
            if (c == '\'')
                fputs("''", out);
            else if (c >= 0x20 && c < 0x7f)
                fputc(c, out);
            else
                fprintf(out, "\\x%02X", c);
        }
        fputc('\'', out);
        break;
    case EXPR_BOOL:
        fputs(e->as.bool_value ? "true" : "false", out);
        break;
    case EXPR_NULL:
        fputs("null", out);
        break;
    case EXPR_NAME:
        if (e->as.name.qualifier)
            fprintf(out, "%s.", e->as.name.qualifier);
        fputs(e->as.name.name, out);
        break;
    case EXPR_UNARY:
        fprintf(out, e->as.unary.op == OP_NOT ? "(%s " : "(%s", expr_op_name(e->as.unary.op));
        print_tree(out, e->as.unary.operand);
        fputc(')', out);
        break;
    case EXPR_BINARY:
        fputc('(', out);
        print_tree(out, e->as.binary.left);
        fprintf(out, " %s ", expr_op_name(e->as.binary.op));
        print_tree(out, e->as.binary.right);
        fputc(')', out);
        break;
    case EXPR_IN:
        fputc('(', out);
        print_tree(out, e->as.in.operand);
        fputs(e->as.in.negated ? " not in (" : " in (", out);
        print_list(out, &e->as.in.list);
        fputs("))", out);
        break;
    case EXPR_IS_NULL:
        fputc('(', out);
        print_tree(out, e->as.is_null.operand);
        fputs(e->as.is_null.negated ? " is not null)" : " is null)", out);
        break;
    case EXPR_CALL:
        fprintf(out, "%s(", e->as.call.name);
        print_list(out, &e->as.call.args);
        fputc(')', out);
        break;
    }
}

/* ------------------------------------------------------------ parsing */

/* One parse of one text, with what it printed. */
typedef struct parsed {
    arena arena;
    source_set sources;
    int file;
    expr *tree;
    char *diagnostics;       /* NUL-terminated */
    size_t diagnostics_size;
    char *printed;           /* the tree in canonical form; "" when NULL */
    size_t printed_size;
} parsed;

/* Parses text[0..len), which sits at file offset base of a file holding file_text. */
static void parse_in_file(parsed *p, const char *file_text, size_t file_size, uint32_t base,
                          const char *text, size_t len)
{
    memset(p, 0, sizeof *p);
    arena_init(&p->arena);
    source_set_init(&p->sources, &p->arena);
    p->sources.max_errors = 0;   /* show every error, so the tests can count them */
    p->sources.out = open_memstream(&p->diagnostics, &p->diagnostics_size);
    p->file = source_add(&p->sources, "expr", file_text, file_size);
    p->tree = expr_parse(&p->sources, &p->arena, p->file, base, NULL, text, len);
    fclose(p->sources.out);
    FILE *out = open_memstream(&p->printed, &p->printed_size);
    if (p->tree)
        print_tree(out, p->tree);
    fclose(out);
}

static void parse_bytes(parsed *p, const char *text, size_t len)
{
    parse_in_file(p, text, len, 0, text, len);
}

static void parse_text(parsed *p, const char *text)
{
    parse_bytes(p, text, strlen(text));
}

static void parsed_free(parsed *p)
{
    free(p->diagnostics);
    free(p->printed);
    arena_free(&p->arena);
}

/* How many times `needle` occurs in `haystack`. */
static int occurrences(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *at = strstr(haystack, needle); at; at = strstr(at + 1, needle))
        n++;
    return n;
}

/* text parses, with no diagnostics, to the tree printed as `expected`. */
static void expect_tree(const char *text, const char *expected)
{
    parsed p;
    parse_text(&p, text);
    if (!p.tree || p.sources.errors != 0 || strcmp(p.printed, expected) != 0) {
        print_error("%s\n  parsed:   %s\n  expected: %s\n%s", text, p.printed, expected,
                    p.diagnostics);
        fail();
    }
    parsed_free(&p);
}

/* text fails with exactly `errors` errors, `expected` among them. */
static void expect_failure(const char *text, int errors, const char *expected)
{
    parsed p;
    parse_text(&p, text);
    if (p.tree || p.sources.errors != errors || !strstr(p.diagnostics, expected)) {
        print_error("%s\n  expected %d error(s) with '%s'; got %d, tree '%s':\n%s", text, errors,
                    expected, p.sources.errors, p.printed, p.diagnostics);
        fail();
    }
    parsed_free(&p);
}

/* ------------------------------------------------------------ trees */

static void arithmetic_precedence_and_associativity(void **state)
{
    (void)state;
    expect_tree("a + b * c", "(a + (b * c))");
    expect_tree("a * b + c", "((a * b) + c)");
    expect_tree("a - b - c", "((a - b) - c)");
    expect_tree("a - b + c", "((a - b) + c)");
    expect_tree("a / b % c * d", "(((a / b) % c) * d)");
    expect_tree("a + b % c", "(a + (b % c))");
    expect_tree("(a + b) * c", "((a + b) * c)");
    expect_tree("a * (b + c)", "(a * (b + c))");
    expect_tree("((a))", "a");
    expect_tree("1 - 2 + 3", "((1 - 2) + 3)");
}

static void unary_operators_bind_tightest(void **state)
{
    (void)state;
    expect_tree("-a", "(-a)");
    expect_tree("+a", "(+a)");
    expect_tree("-a * b", "((-a) * b)");
    expect_tree("a * -b", "(a * (-b))");
    expect_tree("a - -b", "(a - (-b))");
    expect_tree("- -a", "(-(-a))");
    expect_tree("--a", "(-(-a))");
    expect_tree("-+-a", "(-(+(-a)))");
    expect_tree("-(a + b)", "(-(a + b))");
    /* A negative number is negation of a literal, folded later if at all. */
    expect_tree("-1", "(-1)");
    expect_tree("-f(x)", "(-f(x))");
}

static void logic_precedence(void **state)
{
    (void)state;
    expect_tree("a or b and c", "(a or (b and c))");
    expect_tree("a and b or c and d", "((a and b) or (c and d))");
    expect_tree("a or b or c", "((a or b) or c)");
    expect_tree("a and b and c", "((a and b) and c)");
    expect_tree("not a and b", "((not a) and b)");
    expect_tree("not a or not b", "((not a) or (not b))");
    expect_tree("not not a", "(not (not a))");
    expect_tree("not (a or b)", "(not (a or b))");
    expect_tree("(a or b) and c", "((a or b) and c)");
    /* "not" is looser than comparisons, as in SQL. */
    expect_tree("not a = b", "(not (a = b))");
    expect_tree("not x is null", "(not (x is null))");
    expect_tree("a = 1 and b < 2 or c", "(((a = 1) and (b < 2)) or c)");
    /* Keywords in any case. */
    expect_tree("TRUE And False OR NULL", "((true and false) or null)");
    /* In an operand position "not" needs parentheses, and the error says so. */
    expect_failure("a = not b", 1,
                   "expr:1:5: error[E0004]: unexpected 'not', expected an expression "
                   "(write 'not ...' inside parentheses here)");
    expect_failure("- not a", 1, "expr:1:3: error[E0004]: unexpected 'not', expected an expression (write");
    expect_tree("a = (not b)", "(a = (not b))");
    expect_failure("a or or b", 1, "expr:1:6: error[E0004]: unexpected 'or', expected an expression");
}

static void comparisons(void **state)
{
    (void)state;
    expect_tree("a = b", "(a = b)");
    expect_tree("a == b", "(a = b)");
    expect_tree("a != b", "(a != b)");
    expect_tree("a <> b", "(a != b)");
    expect_tree("a < b", "(a < b)");
    expect_tree("a <= b", "(a <= b)");
    expect_tree("a > b", "(a > b)");
    expect_tree("a >= b", "(a >= b)");
    /* Arithmetic binds tighter on both sides. */
    expect_tree("a + 1 >= b * 2", "((a + 1) >= (b * 2))");
    /* A comparison of comparisons needs parentheses... */
    expect_tree("(a < b) = (c < d)", "((a < b) = (c < d))");
    expect_tree("(a < b) < c", "((a < b) < c)");
}

static void comparison_chains_are_rejected(void **state)
{
    (void)state;
    /* ...and without them it is an error that says so, at the second operator. */
    expect_failure("a < b < c", 1,
                   "expr:1:7: error[E0004]: unexpected '<': comparisons cannot be chained "
                   "(use 'and' or parentheses)");
    expect_failure("a = b = c", 1, "expr:1:7: error[E0004]: unexpected '=': comparisons cannot be chained");
    expect_failure("a = b <> c", 1, "expr:1:7: error[E0004]: unexpected '<>': comparisons cannot be chained");
    expect_failure("a is null is null", 1,
                   "expr:1:11: error[E0004]: unexpected 'is': comparisons cannot be chained");
    expect_failure("a < b in (1)", 1, "expr:1:7: error[E0004]: unexpected 'in': comparisons cannot be chained");
}

static void in_lists(void **state)
{
    (void)state;
    expect_tree("x in (1, 2, 3)", "(x in (1, 2, 3))");
    expect_tree("x in (1)", "(x in (1))");
    expect_tree("x not in ('a', 'b')", "(x not in ('a', 'b'))");
    expect_tree("x NOT IN (1)", "(x not in (1))");
    expect_tree("x + 1 in (y * 2, -3)", "((x + 1) in ((y * 2), (-3)))");
    expect_tree("x in (a or b, not c)", "(x in ((a or b), (not c)))");
    expect_tree("x in (1) and y in (2)", "((x in (1)) and (y in (2)))");
    expect_tree("not x in (1)", "(not (x in (1)))");
    expect_tree("x in (y in (1), 2)", "(x in ((y in (1)), 2))");
    /* The list needs its parentheses and at least one item. */
    expect_failure("x in 1", 1, "expr:1:6: error[E0004]: unexpected number '1', expected '('");
    expect_failure("x in ()", 1, "expr:1:7: error[E0004]: unexpected ')', expected an expression");
    expect_failure("x in (1,)", 1, "expr:1:9: error[E0004]: unexpected ')', expected an expression");
    expect_failure("x not 1", 1, "expr:1:7: error[E0004]: unexpected number '1', expected 'in'");
}

static void is_null_tests(void **state)
{
    (void)state;
    expect_tree("x is null", "(x is null)");
    expect_tree("x is not null", "(x is not null)");
    expect_tree("x IS NOT NULL", "(x is not null)");
    expect_tree("a + b is null", "((a + b) is null)");
    expect_tree("x is null or y is not null", "((x is null) or (y is not null))");
    expect_tree("f(x is null)", "f((x is null))");
    expect_failure("x is 1", 1, "expr:1:6: error[E0004]: unexpected number '1', expected 'not' or 'null'");
    expect_failure("x is not 1", 1, "expr:1:10: error[E0004]: unexpected number '1', expected 'null'");
}

static void calls(void **state)
{
    (void)state;
    expect_tree("f()", "f()");
    expect_tree("f(a)", "f(a)");
    expect_tree("f(a, b)", "f(a, b)");
    expect_tree("f(a, b + 1, g(c), 'd')", "f(a, (b + 1), g(c), 'd')");
    expect_tree("coalesce(x, y) + 1", "(coalesce(x, y) + 1)");
    expect_tree("f(g(h()))", "f(g(h()))");
    expect_tree("f ( a , b )", "f(a, b)");
    /* A call's name keeps its case: it is resolved later. */
    expect_tree("Lower(x)", "Lower(x)");

    parsed p;
    parse_text(&p, "f(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)");
    assert_non_null(p.tree);
    assert_int_equal(p.tree->kind, EXPR_CALL);
    assert_int_equal(p.tree->as.call.args.count, 17);
    for (int i = 0; i < 17; i++)   /* the list grows by doubling: all items kept, in order */
        assert_true(p.tree->as.call.args.items[i]->as.int_value == i + 1);
    assert_int_equal(p.tree->as.call.function, -1);   /* unresolved until sema */
    parsed_free(&p);

    expect_failure("f(,)", 1, "expr:1:3: error[E0004]: unexpected ',', expected an expression");
    expect_failure("f(a,)", 1, "expr:1:5: error[E0004]: unexpected ')', expected an expression");
    expect_failure("f(a b)", 1, "expr:1:5: error[E0004]: unexpected name 'b', expected an operator, ',' or ')'");
    expect_failure("f(a", 1, "expr:1:4: error[E0004]: unexpected end of expression, expected an operator, ',' or ')'");
    /* Only plain names are called. */
    expect_failure("a.b(c)", 1, "expr:1:4: error[E0004]: unexpected '(', expected an operator or end of expression");
    expect_failure("f(a)(b)", 1, "expr:1:5: error[E0004]: unexpected '('");
    expect_failure("1(2)", 1, "expr:1:2: error[E0004]: unexpected '(', expected an operator or end of expression");
}

static void leaves(void **state)
{
    (void)state;
    expect_tree("42", "42");
    expect_tree("2.5", "2.5");
    expect_tree(".5e1", "5");
    expect_tree("'it''s'", "'it''s'");
    expect_tree("\"a\\tb\"", "'a\\x09b'");
    expect_tree("true", "true");
    expect_tree("FALSE", "false");
    expect_tree("null", "null");
    expect_tree("amount", "amount");
    expect_tree("orders.amount", "orders.amount");
    expect_tree("orders . amount", "orders.amount");
    expect_failure("a.b.c", 1, "expr:1:4: error[E0004]: unexpected '.', expected an operator or end of expression");
    expect_failure("a.1", 1, "expr:1:2: error[E0004]: unexpected number '.1', expected an operator or end of expression");

    parsed p;
    parse_text(&p, "o.amount");
    assert_int_equal(p.tree->kind, EXPR_NAME);
    assert_string_equal(p.tree->as.name.qualifier, "o");
    assert_string_equal(p.tree->as.name.name, "amount");
    assert_int_equal(p.tree->as.name.ref, -1);
    parsed_free(&p);
}

/* ------------------------------------------------------------ spans */

static void expect_span(const expr *e, uint32_t start, uint32_t end)
{
    assert_non_null(e);
    assert_int_equal(e->span.start, start);
    assert_int_equal(e->span.end, end);
}

static void node_spans(void **state)
{
    (void)state;
    parsed p;

    /*            0123456789012 */
    parse_text(&p, "  a + b * c ");
    expect_span(p.tree, 2, 11);
    expect_span(p.tree->as.binary.left, 2, 3);
    expect_span(p.tree->as.binary.right, 6, 11);
    expect_span(p.tree->as.binary.right->as.binary.right, 10, 11);
    assert_int_equal(p.tree->span.file, p.file);
    parsed_free(&p);

    /* Parentheses belong to the enclosing node, not to the one inside. */
    /*              0123456789012 */
    parse_text(&p, "(a + b) * -c");
    expect_span(p.tree, 0, 12);
    expect_span(p.tree->as.binary.left, 1, 6);
    expect_span(p.tree->as.binary.right, 10, 12);
    expect_span(p.tree->as.binary.right->as.unary.operand, 11, 12);
    parsed_free(&p);

    /*              0123456789012345678 */
    parse_text(&p, "f(x, 'ab', o.v)");
    expect_span(p.tree, 0, 15);
    assert_int_equal(p.tree->as.call.name_span.start, 0);
    assert_int_equal(p.tree->as.call.name_span.end, 1);
    expect_span(p.tree->as.call.args.items[0], 2, 3);
    expect_span(p.tree->as.call.args.items[1], 5, 9);
    expect_span(p.tree->as.call.args.items[2], 11, 14);
    parsed_free(&p);

    /*              0123456789012345678 */
    parse_text(&p, "x not in (1, 22)");
    expect_span(p.tree, 0, 16);
    expect_span(p.tree->as.in.list.items[1], 13, 15);
    parsed_free(&p);

    /*              0123456789012345678 */
    parse_text(&p, "not y is not null");
    expect_span(p.tree, 0, 17);
    expect_span(p.tree->as.unary.operand, 4, 17);
    expect_span(p.tree->as.unary.operand->as.is_null.operand, 4, 5);
    parsed_free(&p);
}

/* With a base offset the spans are file offsets, and so are the locations. */
static void spans_inside_a_file(void **state)
{
    (void)state;
    static const char file_text[] =
        "features:\n"
        "  - where: price * 2 > limit\n";
    const char *text = strstr(file_text, "price");
    uint32_t base = (uint32_t)(text - file_text);
    parsed p;
    parse_in_file(&p, file_text, sizeof file_text - 1, base, text, strlen("price * 2 > limit"));
    assert_non_null(p.tree);
    expect_span(p.tree, base, base + 17);
    expect_span(p.tree->as.binary.left, base, base + 9);
    expect_span(p.tree->as.binary.right, base + 12, base + 17);
    parsed_free(&p);
}

/* ------------------------------------------------------------ errors */

static void empty_expressions(void **state)
{
    (void)state;
    expect_failure("", 1, "expr:1:1: error[E0004]: unexpected end of expression");
    expect_failure("   ", 1, "expr:1:1: error[E0004]: unexpected end of expression");
    expect_failure("()", 1, "expr:1:2: error[E0004]: unexpected ')', expected an expression");
    /* "Unexpected end" points just past the last token, not at trailing blanks. */
    expect_failure("a +   ", 1, "expr:1:4: error[E0004]: unexpected end of expression");
    expect_failure("not", 1, "expr:1:4: error[E0004]: unexpected end of expression");
    expect_failure("(a", 1, "expr:1:3: error[E0004]: unexpected end of expression, expected an operator or ')'");

    /* A NULL text is an empty one. */
    parsed p;
    memset(&p, 0, sizeof p);
    arena_init(&p.arena);
    source_set_init(&p.sources, &p.arena);
    p.sources.out = open_memstream(&p.diagnostics, &p.diagnostics_size);
    int file = source_add(&p.sources, "expr", "", 0);
    assert_null(expr_parse(&p.sources, &p.arena, file, 0, NULL, NULL, 5));
    fclose(p.sources.out);
    assert_int_equal(p.sources.errors, 1);
    assert_non_null(strstr(p.diagnostics, "unexpected end of expression"));
    parsed_free(&p);
}

static void trailing_garbage(void **state)
{
    (void)state;
    expect_failure("a b", 1, "expr:1:3: error[E0004]: unexpected name 'b', expected an operator or end of expression");
    expect_failure("1 2", 1, "expr:1:3: error[E0004]: unexpected number '2', expected an operator or end of expression");
    expect_failure("a = 'x' 'y'", 1, "expr:1:9: error[E0004]: unexpected string 'y', expected an operator or end of expression");
    expect_failure("a)", 1, "expr:1:2: error[E0004]: unexpected ')', expected an operator or end of expression");
    expect_failure("a = 1,", 1, "expr:1:6: error[E0004]: unexpected ',', expected an operator or end of expression");
    expect_failure("a + b;", 1, "expr:1:6: error[E0004]: unexpected character ';'");
    expect_failure("x is null null", 1,
                   "expr:1:11: error[E0004]: unexpected 'null', expected an operator or end of expression");
    expect_failure("a not", 1, "expr:1:6: error[E0004]: unexpected end of expression, expected 'in'");
    /* A long token is shown cut short. */
    expect_failure("a bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1,
                   "unexpected name 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...'");
}

/* A lexical error is reported by the scanner only, never again by the parser. */
static void lexical_errors_are_reported_once(void **state)
{
    (void)state;
    expect_failure("x = 99999999999999999999", 1, "expr:1:5: error[E0004]: integer literal out of range");
    expect_failure("x 99999999999999999999", 1, "expr:1:3: error[E0004]: integer literal out of range");
    expect_failure("x 'a\\q'", 1, "expr:1:5: error[E0004]: unknown escape sequence '\\q'");
    expect_failure("x = 'abc", 1, "expr:1:5: error[E0004]: unterminated string");
    expect_failure("a && b", 1, "expr:1:3: error[E0004]: unexpected '&&'; write 'and'");
    expect_failure("!a", 1, "expr:1:1: error[E0004]: unexpected character '!'; write 'not' or '!='");
    expect_failure("not (a) ! b", 1, "expr:1:9: error[E0004]: unexpected character '!'");
}

/*
 * Errors inside parentheses, argument lists and in-lists are recovered
 * from, so one run reports each (bison stays quiet for three tokens after
 * an error, so the errors here are spaced apart).
 */
static void several_errors_in_one_run(void **state)
{
    (void)state;
    parsed p;
    parse_text(&p, "f(1 +, 2 *, 3)");
    assert_null(p.tree);
    assert_int_equal(p.sources.errors, 2);
    assert_non_null(strstr(p.diagnostics, "expr:1:6: error[E0004]: unexpected ',', expected an expression"));
    assert_non_null(strstr(p.diagnostics, "expr:1:11: error[E0004]: unexpected ',', expected an expression"));
    parsed_free(&p);

    expect_failure("(+) + (*)", 2, "expr:1:8: error[E0004]: unexpected '*', expected an expression");
    expect_failure("a + (b c) + (d e) + (f g)", 3,
                   "expr:1:24: error[E0004]: unexpected name 'g', expected an operator or ')'");
    expect_failure("x in (1, +, 3, *)", 2, "expr:1:16: error[E0004]: unexpected '*', expected an expression");
    /* A lexical error and a syntax error after it. */
    expect_failure("f(a @ b, 1 +)", 2, "expr:1:13: error[E0004]: unexpected ')', expected an expression");
    expect_failure("f(a @ b, 1 +)", 2, "expr:1:5: error[E0004]: unexpected character '@'");

    /* In a file, each points at its own line and column. */
    static const char file_text[] =
        "sources: []\n"
        "where: f(1 +, g(2 * , 3), 4 4)\n";
    const char *text = strstr(file_text, "f(");
    uint32_t base = (uint32_t)(text - file_text);
    parse_in_file(&p, file_text, sizeof file_text - 1, base, text, strlen(text) - 1);
    assert_null(p.tree);
    assert_int_equal(p.sources.errors, 3);
    const char *first = strstr(p.diagnostics, "expr:2:13: error[E0004]: unexpected ','");
    const char *second = strstr(p.diagnostics, "expr:2:21: error[E0004]: unexpected ','");
    const char *third = strstr(p.diagnostics, "expr:2:29: error[E0004]: unexpected number '4'");
    assert_non_null(first);
    assert_non_null(second);
    assert_non_null(third);
    assert_true(first < second && second < third);   /* in the order of the text */
    assert_non_null(strstr(p.diagnostics, "    2 | where: f(1 +, g(2 * , 3), 4 4)\n"));
    parsed_free(&p);
}

/* Past ten errors in one expression the parser stops reporting (EXPR_MAX_ERRORS in expr.y). */
static void errors_per_expression_are_capped(void **state)
{
    (void)state;
    char text[512] = "f(";
    for (int i = 0; i < 30; i++)
        strcat(text, "1 +, ");
    strcat(text, "1)");
    parsed p;
    parse_text(&p, text);
    assert_null(p.tree);
    assert_int_equal(p.sources.errors, 10);
    assert_int_equal(occurrences(p.diagnostics, ": error[E0004]: "), 10);
    parsed_free(&p);
}

/* ------------------------------------------------------------ depth */

/* prefix repeated count times, then middle, then suffix repeated count times. */
static char *nested(const char *prefix, const char *middle, const char *suffix, size_t count)
{
    size_t size = (strlen(prefix) + strlen(suffix)) * count + strlen(middle) + 1;
    char *text = malloc(size);
    assert_non_null(text);
    char *at = text;
    for (size_t i = 0; i < count; i++)
        at += sprintf(at, "%s", prefix);
    at += sprintf(at, "%s", middle);
    for (size_t i = 0; i < count; i++)
        at += sprintf(at, "%s", suffix);
    return text;
}

/* Nests count levels: fine at EXPR_MAX_DEPTH, one error just past it. */
static void expect_depth_limit(const char *prefix, const char *middle, const char *suffix,
                               size_t allowed)
{
    char *text = nested(prefix, middle, suffix, allowed);
    parsed p;
    parse_text(&p, text);
    if (!p.tree) {
        print_error("%zu levels of '%s' should parse:\n%s", allowed, prefix, p.diagnostics);
        fail();
    }
    parsed_free(&p);
    free(text);

    text = nested(prefix, middle, suffix, allowed + 1);
    parse_text(&p, text);
    assert_null(p.tree);
    if (p.sources.errors != 1 || !strstr(p.diagnostics, "error[E0004]: expression nested too deeply")) {
        print_error("%zu levels of '%s':\n%s", allowed + 1, prefix, p.diagnostics);
        fail();
    }
    parsed_free(&p);
    free(text);
}

static void nesting_is_limited(void **state)
{
    (void)state;
    expect_depth_limit("(", "a", ")", EXPR_MAX_DEPTH);
    expect_depth_limit("-", "a", "", EXPR_MAX_DEPTH);
    expect_depth_limit("not ", "a", "", EXPR_MAX_DEPTH);
    expect_depth_limit("f(", "a", ")", EXPR_MAX_DEPTH);
    expect_depth_limit("a in (", "a", ")", EXPR_MAX_DEPTH);
    /* A prefix operator and a parenthesis are two levels each. */
    expect_depth_limit("-(", "a", ")", EXPR_MAX_DEPTH / 2);
    /* Left-deep trees nest without any parenthesis: the tree's depth counts. */
    expect_depth_limit("", "a", " + a", EXPR_MAX_DEPTH);
    expect_depth_limit("", "a", " or a", EXPR_MAX_DEPTH);
    expect_depth_limit("", "a", " * a", EXPR_MAX_DEPTH);
    /* Right-deep through parentheses: a + (a + (a + ...)). */
    expect_depth_limit("a + (", "a", ")", EXPR_MAX_DEPTH);
}

/* The error is located where the limit is passed. */
static void depth_error_is_located(void **state)
{
    (void)state;
    char *text = nested("(", "a", ")", EXPR_MAX_DEPTH + 1);
    parsed p;
    parse_text(&p, text);
    assert_non_null(strstr(p.diagnostics, "expr:1:201: error[E0004]: expression nested too deeply"));
    parsed_free(&p);
    free(text);

    /* a + a + ... : the 201st '+' makes the tree 201 deep. */
    text = nested("", "a", "+a", EXPR_MAX_DEPTH + 1);
    parse_text(&p, text);
    assert_non_null(strstr(p.diagnostics, "expr:1:402: error[E0004]: expression nested too deeply"));
    parsed_free(&p);
    free(text);
}

/* Far past the limit: one error, promptly, and no stack overflow. */
static void absurd_nesting_does_not_overflow(void **state)
{
    (void)state;
    static const struct { const char *prefix, *suffix; } shapes[] = {
        {"(", ")"}, {"-", ""}, {"not ", ""}, {"f(", ")"}, {"(", ""}, {"", "+a"}, {"x in (", ")"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char *text = nested(shapes[i].prefix, "a", shapes[i].suffix, 200000);
        parsed p;
        parse_text(&p, text);
        assert_null(p.tree);
        if (p.sources.errors != 1 || !strstr(p.diagnostics, "expression nested too deeply")) {
            print_error("shape '%s' '%s':\n%.2000s", shapes[i].prefix, shapes[i].suffix,
                        p.diagnostics);
            fail();
        }
        parsed_free(&p);
        free(text);
    }
}

/* ------------------------------------------------------------ hostile bytes */

static void binary_garbage_is_an_error_not_a_crash(void **state)
{
    (void)state;
    parsed p;
    parse_bytes(&p, "a = \0", 5);
    assert_null(p.tree);
    assert_int_equal(p.sources.errors, 1);
    assert_non_null(strstr(p.diagnostics, "expr:1:5: error[E0004]: unexpected character '\\x00'"));
    parsed_free(&p);

    /* A NUL in the middle does not cut the expression short. */
    parse_bytes(&p, "a\0 = b", 6);
    assert_null(p.tree);
    assert_non_null(strstr(p.diagnostics, "expr:1:2: error[E0004]: unexpected character '\\x00'"));
    parsed_free(&p);

    parse_bytes(&p, "'a\0b' = x", 9);
    assert_non_null(p.tree);
    assert_string_equal(p.printed, "('a\\x00b' = x)");
    parsed_free(&p);

    /* Every byte value, each alone and after an operator. */
    for (int c = 0; c < 256; c++) {
        char text[3] = {(char)c, '+', (char)c};
        parse_bytes(&p, text, 1);
        assert_true((p.tree != NULL) == (p.sources.errors == 0));
        parsed_free(&p);
        parse_bytes(&p, text, 3);
        assert_true((p.tree != NULL) == (p.sources.errors == 0));
        parsed_free(&p);
    }

    /* Invalid UTF-8 in the middle of a comparison. */
    parse_text(&p, "name = \xc0\xaf\xfe");
    assert_null(p.tree);
    assert_int_equal(p.sources.errors, 1);
    assert_non_null(strstr(p.diagnostics, "expr:1:8: error[E0004]: unexpected character '\\xC0'"));
    parsed_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arithmetic_precedence_and_associativity),
        cmocka_unit_test(unary_operators_bind_tightest),
        cmocka_unit_test(logic_precedence),
        cmocka_unit_test(comparisons),
        cmocka_unit_test(comparison_chains_are_rejected),
        cmocka_unit_test(in_lists),
        cmocka_unit_test(is_null_tests),
        cmocka_unit_test(calls),
        cmocka_unit_test(leaves),
        cmocka_unit_test(node_spans),
        cmocka_unit_test(spans_inside_a_file),
        cmocka_unit_test(empty_expressions),
        cmocka_unit_test(trailing_garbage),
        cmocka_unit_test(lexical_errors_are_reported_once),
        cmocka_unit_test(several_errors_in_one_run),
        cmocka_unit_test(errors_per_expression_are_capped),
        cmocka_unit_test(nesting_is_limited),
        cmocka_unit_test(depth_error_is_located),
        cmocka_unit_test(absurd_nesting_does_not_overflow),
        cmocka_unit_test(binary_garbage_is_an_error_not_a_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
