/*
 * test_dtoa.c - dtoa.c against the C library: fdl_dtoa (fdl_format_float)
 * must print byte for byte what the old rule printed (snprintf "%.15g",
 * "%.16g", "%.17g", the first that strtod reads back, kept here as the
 * reference), and fdl_decimal_to_double must return strtod's double
 * whenever it answers. Millions of doubles from a fixed seed: random bit
 * patterns, short and long decimals, integers, powers of two and ten and
 * their neighbours, subnormals, the ends of the range, the values around
 * every switch to exponent form, and exact rounding ties.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------- helpers */

static uint64_t rng_state;

/* splitmix64: a fixed, portable sequence. */
static uint64_t next_random(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double from_bits(uint64_t bits)
{
    double f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint64_t to_bits(double f)
{
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

static double uniform_pm1(void)
{
    return (double)(next_random() >> 11) * 0x1p-52 - 1.0;
}

/* The old fdl_format_float, the reference. */
static size_t reference_format(double f, char *text, size_t size)
{
    if (isnan(f))
        return (size_t)snprintf(text, size, "nan");
    if (isinf(f))
        return (size_t)snprintf(text, size, f < 0 ? "-inf" : "inf");
    int n = 0;
    for (int precision = 15; precision <= 17; precision++) {
        n = snprintf(text, size, "%.*g", precision, f);
        if (strtod(text, NULL) == f)
            break;
    }
    return (size_t)n;
}

static long checked;

static void check_format(double f)
{
    char expected[64], actual[FDL_DTOA_SIZE];
    size_t expected_len = reference_format(f, expected, sizeof expected);
    size_t actual_len = fdl_dtoa(f, actual);
    if (actual_len != expected_len || strcmp(actual, expected) != 0) {
        print_error("bits 0x%016llx (%.17g): expected '%s', got '%s'\n",
                    (unsigned long long)to_bits(f), f, expected, actual);
        fail();
    }
    /* Reads back (NaN aside). */
    if (!isnan(f) && to_bits(strtod(actual, NULL)) != to_bits(f)) {
        print_error("'%s' does not read back as bits 0x%016llx\n", actual,
                    (unsigned long long)to_bits(f));
        fail();
    }
    checked++;
}

/* f and its neighbours up to count steps away on each side. */
static void check_around(double f, int count)
{
    check_format(f);
    double down = f, up = f;
    for (int i = 0; i < count; i++) {
        down = nextafter(down, -INFINITY);
        up = nextafter(up, INFINITY);
        check_format(down);
        check_format(up);
    }
}

/* A random decimal of 1 to 17 digits with an exponent in [low, high]. */
static double random_decimal(int low, int high, char *text, size_t size)
{
    int digits = 1 + (int)(next_random() % 17);
    uint64_t mantissa = next_random() % 100000000000000000u;
    uint64_t limit = 1;
    for (int i = 0; i < digits; i++)
        limit *= 10;
    mantissa %= limit;
    int exponent = low + (int)(next_random() % (uint64_t)(high - low + 1));
    snprintf(text, size, "%s%llue%d", next_random() & 1 ? "-" : "",
             (unsigned long long)mantissa, exponent);
    return strtod(text, NULL);
}

/* ------------------------------------------------------------- formatting */

static void test_format_fixed_values(void **state)
{
    (void)state;
    static const double values[] = {
        0.0, 1.0, -1.0, 0.1, 0.5, 2.25, 1.0 / 3, 0.1 + 0.2, 1e20, 1e-7, 123456789012345.0,
        1e15, 1e16, 1e17, 1e-4, 1e-5, 9.5, 0.745698, -0.452483, 168.80, 19.99,
        DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, DBL_EPSILON, 5e-324, 1.7976931348623157e308,
        9007199254740993.0, 9007199254740992.0, 1234567890123455.0, 123456789012345.5,
        0.30000000000000004, 100, 1e22, 1e23, 2.2250738585072009e-308,
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        check_around(values[i], 3);
        check_around(-values[i], 3);
    }
    check_format(-0.0);
    check_format(INFINITY);
    check_format(-INFINITY);
    check_format(NAN);
    check_format(-NAN);
    char text[FDL_DTOA_SIZE];
    assert_int_equal(fdl_dtoa(-0.0, text), 2);
    assert_string_equal(text, "-0");
    fdl_dtoa(-NAN, text);
    assert_string_equal(text, "nan");
    fdl_dtoa(1e-7, text);
    assert_string_equal(text, "1e-07");
    fdl_dtoa(DBL_TRUE_MIN, text);
    assert_string_equal(text, "4.94065645841247e-324");
}

static void test_format_random_bits(void **state)
{
    (void)state;
    rng_state = 1;
    for (int i = 0; i < 1500000; i++)
        check_format(from_bits(next_random()));
}

static void test_format_random_decimals(void **state)
{
    (void)state;
    rng_state = 2;
    char text[64];
    for (int i = 0; i < 2000000; i++)
        check_format(random_decimal(-30, 30, text, sizeof text));
    /* Embedding-like: six decimals in [-2, 2), and money: two. */
    for (int i = 0; i < 750000; i++) {
        long micro = (long)(next_random() % 4000000) - 2000000;
        snprintf(text, sizeof text, "%.6f", micro / 1e6);
        check_format(strtod(text, NULL));
        snprintf(text, sizeof text, "%ld.%02ld", labs(micro) / 100 % 100000, labs(micro) % 100);
        check_format(strtod(text, NULL));
    }
}

static void test_format_integers(void **state)
{
    (void)state;
    rng_state = 3;
    for (int i = -100000; i <= 100000; i++)
        check_format((double)i);
    for (int i = 0; i < 500000; i++) {
        int bits = 1 + (int)(next_random() % 64);
        uint64_t v = next_random() >> (64 - bits);
        check_format((double)v);
        check_format(-(double)v);
    }
    /* Exact ties: the digit past the 15th (16th) is a 5 and nothing follows. */
    for (int i = 0; i < 250000; i++) {
        uint64_t v = next_random() % UINT64_C(900000000000000) + UINT64_C(100000000000000);
        check_format((double)(v * 10 + 5));                     /* 16 digits, < 2^53 */
        check_format((double)v + 0.5);                          /* 15 digits and a half */
        check_format(((double)v + 0.5) / 1024);
        check_format((double)(v * 4 + 1) * 0.25);
    }
}

static void test_format_powers(void **state)
{
    (void)state;
    for (int e = -1074; e <= 1023; e++)
        check_around(ldexp(1.0, e), 2);
    char text[32];
    for (int e = -323; e <= 308; e++) {
        snprintf(text, sizeof text, "1e%d", e);
        check_around(strtod(text, NULL), 2);
        for (int d = 2; d <= 9; d++) {
            snprintf(text, sizeof text, "%de%d", d, e);
            check_around(strtod(text, NULL), 1);
        }
    }
}

static void test_format_subnormals_and_edges(void **state)
{
    (void)state;
    rng_state = 5;
    for (int i = 0; i < 250000; i++) {
        check_format(from_bits(next_random() >> 12));                   /* subnormals */
        check_format(from_bits(next_random() >> (12 + next_random() % 52)));
        check_format(from_bits(UINT64_C(0x7fefffffffffffff) - (next_random() >> 20)));
        check_format(from_bits(UINT64_C(0x0010000000000000) + (next_random() >> 20)));
    }
    check_around(DBL_MAX, 100);
    check_around(DBL_MIN, 100);
    check_around(DBL_TRUE_MIN, 100);
}

/* The switches to exponent form: |x| below 1e-4, or 10^P and up for P in
 * 15..17; values just around them take every path. */
static void test_format_exponent_switches(void **state)
{
    (void)state;
    rng_state = 6;
    static const double edges[] = {1e-5, 1e-4, 1e-3, 1e14, 1e15, 1e16, 1e17, 1e18};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        check_around(edges[i], 2000);
        check_around(-edges[i], 50);
        for (int j = 0; j < 80000; j++) {
            double jitter = ldexp((double)(next_random() >> 11), -53 - (int)(next_random() % 40));
            check_format(edges[i] * (1 + jitter));
            check_format(edges[i] * (1 - jitter));
            check_format(edges[i] * (1 - jitter) * 0.9999999999999999);
        }
    }
    for (int e = -30; e <= 30; e++) {
        char text[64];
        for (int nines = 14; nines <= 18; nines++) {
            int n = snprintf(text, sizeof text, "0.");
            for (int k = 0; k < nines; k++)
                text[n++] = '9';
            snprintf(text + n, sizeof text - (size_t)n, "5e%d", e);
            check_around(strtod(text, NULL), 20);
        }
    }
}

/* fdl_format_float: the same text, cut to the buffer. */
static void test_format_float_buffer(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(fdl_format_float(0.1 + 0.2, buf, sizeof buf), 19);
    assert_string_equal(buf, "0.30000000000000004");
    assert_int_equal(fdl_format_float(0.1 + 0.2, buf, 5), 4);
    assert_string_equal(buf, "0.30");
    assert_int_equal(fdl_format_float(1.5, buf, 0), 0);
}

/* ------------------------------------------------------- CSV cells */

/* The old writer of a vector cell: each number through the old rule, the
 * separators by putc. */
static void reference_write_vector(FILE *out, const double *values, int32_t count)
{
    putc('"', out);
    putc('[', out);
    for (int32_t i = 0; i < count; i++) {
        char text[64];
        if (i > 0)
            putc(',', out);
        fwrite(text, 1, reference_format(values[i], text, sizeof text), out);
    }
    putc(']', out);
    putc('"', out);
}

/* fdl_csv_write_value and fdl_write_float_list write the old bytes, for
 * vectors short and long (past the writer's 4 KiB buffer, and each float
 * length at its edge), and int64 cells read as printf writes them. */
static void test_csv_cells(void **state)
{
    (void)state;
    rng_state = 9;
    static double values[3000];
    static const int32_t dims[] = {0, 1, 2, 3, 128, 200, 211, 212, 213, 230, 500, 1000, 3000};
    for (size_t t = 0; t < sizeof dims / sizeof dims[0]; t++) {
        for (int kind = 0; kind < 3; kind++) {
            for (int32_t i = 0; i < dims[t]; i++) {
                if (kind == 0)
                    values[i] = round(uniform_pm1() * 1e6) / 1e6;
                else if (kind == 1)
                    values[i] = uniform_pm1();
                else
                    values[i] = -from_bits(next_random() & UINT64_C(0x7fefffffffffffff));
            }
            char *expected = NULL, *actual = NULL, *list = NULL;
            size_t expected_size = 0, actual_size = 0, list_size = 0;
            FILE *e = open_memstream(&expected, &expected_size);
            FILE *a = open_memstream(&actual, &actual_size);
            FILE *l = open_memstream(&list, &list_size);
            assert_non_null(e);
            assert_non_null(a);
            assert_non_null(l);
            reference_write_vector(e, values, dims[t]);
            fdl_csv_write_value(a, fdl_vector(values, dims[t]));
            putc('"', l);
            putc('[', l);
            fdl_write_float_list(l, values, dims[t]);
            putc(']', l);
            putc('"', l);
            fclose(e);
            fclose(a);
            fclose(l);
            assert_int_equal(actual_size, expected_size);
            assert_memory_equal(actual, expected, expected_size);
            assert_int_equal(list_size, expected_size);
            assert_memory_equal(list, expected, expected_size);
            free(expected);
            free(actual);
            free(list);
        }
    }
    /* int64 cells */
    static const int64_t fixed[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, INT64_MIN + 1,
                                    1000000000000000000, -999999999999999999};
    for (int i = 0; i < 200000; i++) {
        int64_t v = i < (int)(sizeof fixed / sizeof fixed[0])
                        ? fixed[i]
                        : (int64_t)(next_random() >> (next_random() % 64));
        if (i >= (int)(sizeof fixed / sizeof fixed[0]) && next_random() % 2 && v != INT64_MIN)
            v = -v;
        char expected[32], buf[64];
        snprintf(expected, sizeof expected, "%" PRId64, v);
        size_t len;
        const char *text = fdl_value_cell_text(fdl_int64(v), buf, sizeof buf, &len);
        assert_int_equal(len, strlen(expected));
        assert_memory_equal(text, expected, len);
    }
}

/* ---------------------------------------------------------------- parsing */

/* fdl_decimal_to_double(w, q) equals strtod("we q") when it answers. */
static long answered, asked;

static void check_decimal(uint64_t w, int q, bool negative)
{
    char text[64];
    snprintf(text, sizeof text, "%s%llue%d", negative ? "-" : "", (unsigned long long)w, q);
    double expected = strtod(text, NULL);
    double actual;
    asked++;
    if (!fdl_decimal_to_double(w, q, negative, &actual))
        return;
    answered++;
    if (to_bits(actual) != to_bits(expected)) {
        print_error("%s: expected %a, got %a\n", text, expected, actual);
        fail();
    }
}

static void test_decimal_to_double(void **state)
{
    (void)state;
    rng_state = 7;
    for (int i = 0; i < 700000; i++) {
        int bits = 1 + (int)(next_random() % 64);
        uint64_t w = next_random() >> (64 - bits);
        int q = (int)(next_random() % 700) - 350;
        check_decimal(w, q, next_random() & 1);
        /* exponents where most results are normal and finite */
        check_decimal(w, (int)(next_random() % 80) - 40, false);
    }
    /* 17-digit round-trip texts, as fdl_dtoa writes them. */
    for (int i = 0; i < 400000; i++) {
        double f = from_bits(next_random() & UINT64_C(0x7fefffffffffffff));
        char text[FDL_DTOA_SIZE];
        fdl_dtoa(f, text);
        /* digits and exponent of text */
        uint64_t w = 0;
        int q = 0;
        bool fraction = false;
        const char *c = text;
        for (; *c && *c != 'e'; c++) {
            if (*c == '.') {
                fraction = true;
                continue;
            }
            w = w * 10 + (uint64_t)(*c - '0');
            q -= fraction;
        }
        if (*c == 'e')
            q += atoi(c + 1);
        check_decimal(w, q, false);
    }
    /* Exact halves between doubles: w * 10^q with w*2^k odd multiples. */
    for (int i = 0; i < 200000; i++) {
        uint64_t m = (next_random() >> 11) | (UINT64_C(1) << 52);
        check_decimal(2 * m + 1, 0, false);                 /* 54 bits: a tie */
        check_decimal((2 * m + 1) * 5, -1, false);
        check_decimal(UINT64_C(9007199254740993), 0, false);
        check_decimal(UINT64_C(18014398509481986) + 1, 0, false);
    }
    check_decimal(0, 5, true);
    check_decimal(UINT64_MAX, 0, false);
    check_decimal(UINT64_MAX, 308, false);
    check_decimal(1, -324, false);
    check_decimal(17976931348623157, 292, false);
    check_decimal(17976931348623159, 292, false);
    check_decimal(22250738585072014, -324, false);
    check_decimal(22250738585072011, -324, false);
    /* It must answer nearly always where the answer is normal. */
    assert_true(answered > asked / 2);
}

/* ---------------------------------------- fdl_parse_value's float64 */

/* The old parser, the reference: this syntax, then strtod; not finite is
 * an error. */
static bool reference_syntax(const char *text, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (text[i] == '+' || text[i] == '-'))
        i++;
    while (i < len && text[i] >= '0' && text[i] <= '9')
        i++, digits++;
    if (i < len && text[i] == '.') {
        i++;
        while (i < len && text[i] >= '0' && text[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return false;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-'))
            i++;
        size_t exponent_digits = 0;
        while (i < len && text[i] >= '0' && text[i] <= '9')
            i++, exponent_digits++;
        if (exponent_digits == 0)
            return false;
    }
    return i == len;
}

static void check_parse(const char *text)
{
    size_t len = strlen(text);
    if (len == 0)
        return;     /* the empty text is null, before any float parsing */
    bool accepted = false;
    double expected = 0;
    if (reference_syntax(text, len)) {
        expected = strtod(text, NULL);
        accepted = isfinite(expected);
    }
    fdl_value v;
    fdl_error err = {0};
    fdl_status status = fdl_parse_value(FDL_FLOAT64, text, len, &v, &err);
    if ((status == FDL_OK) != accepted) {
        print_error("'%s': the old parser %s it, now %s\n", text, accepted ? "accepts" : "refuses",
                    status == FDL_OK ? "accepted" : err.message);
        fail();
    }
    if (accepted && to_bits(v.as.f) != to_bits(expected)) {
        print_error("'%s': strtod %a, parsed %a\n", text, expected, v.as.f);
        fail();
    }
}

/* Random texts from the pieces of the syntax, and some that break it. */
static void test_parse_value_float64(void **state)
{
    (void)state;
    static const char *fixed[] = {
        "0", "-0", "+0", "-0.0", "0e999999999999", "-0e-5", "1e400", "-1e400", "1e-400",
        "1e308", "1.7976931348623157e308", "1.7976931348623159e308", "2.2250738585072011e-308",
        "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
        "inf", "-inf", "nan", "NaN", "infinity", "0x1p3", "0x10", "1e", "1e+", "e5", ".", "-.",
        ".5", "5.", "-.5e-3", "+.e1", "1.2.3", " 1", "1 ", "1_0", "١", "9007199254740993",
        "9007199254740992.5", "123456789012345678901234567890", "0.1000000000000000055511151231257827",
        "00000000000000000000000000000001.5", "0.000000000000000000000000000000000000001e39",
        "1e-0000000000000000000000000000010", "18446744073709551615", "18446744073709551616e-20",
        "33543123494010180121", "9999999999999999999", "-9999999999999999999", "0.999999999999999999",
        "12345678901234567.89", "1.234567890123456789", "99999999999999999999",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_parse(fixed[i]);
    rng_state = 8;
    static const char pieces[] = "0123456789.eE+-x ";
    for (int i = 0; i < 300000; i++) {
        char text[96];
        size_t n = 0;
        if (next_random() % 4 == 0) {
            /* noise from the alphabet */
            int count = 1 + (int)(next_random() % 12);
            for (int k = 0; k < count; k++)
                text[n++] = pieces[next_random() % (sizeof pieces - 1)];
        } else {
            uint64_t sign = next_random() % 3;
            if (sign)
                text[n++] = sign == 1 ? '-' : '+';
            int zeros = next_random() % 4 == 0 ? (int)(next_random() % 5) : 0;
            for (int k = 0; k < zeros; k++)
                text[n++] = '0';
            int whole = (int)(next_random() % 26), fraction = (int)(next_random() % 26);
            if (next_random() % 2)
                whole = (int)(next_random() % 4);
            for (int k = 0; k < whole; k++)
                text[n++] = (char)('0' + next_random() % 10);
            if (next_random() % 3) {
                text[n++] = '.';
                for (int k = 0; k < fraction; k++)
                    text[n++] = (char)('0' + next_random() % 10);
            }
            if (next_random() % 2) {
                text[n++] = next_random() % 2 ? 'e' : 'E';
                uint64_t exponent_sign = next_random() % 3;
                if (exponent_sign)
                    text[n++] = exponent_sign == 1 ? '-' : '+';
                int exponent_digits = (int)(next_random() % 4);
                for (int k = 0; k < exponent_digits; k++)
                    text[n++] = (char)('0' + next_random() % 10);
            }
        }
        text[n] = '\0';
        check_parse(text);
    }
    /* Every double's own text, and its 17-digit text. */
    for (int i = 0; i < 200000; i++) {
        double f = from_bits(next_random());
        if (!isfinite(f))
            continue;
        char text[64];
        fdl_format_float(f, text, sizeof text);
        check_parse(text);
        snprintf(text, sizeof text, "%.17g", f);
        check_parse(text);
        snprintf(text, sizeof text, "%.6f", uniform_pm1());
        check_parse(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_fixed_values),
        cmocka_unit_test(test_format_random_bits),
        cmocka_unit_test(test_format_random_decimals),
        cmocka_unit_test(test_format_integers),
        cmocka_unit_test(test_format_powers),
        cmocka_unit_test(test_format_subnormals_and_edges),
        cmocka_unit_test(test_format_exponent_switches),
        cmocka_unit_test(test_format_float_buffer),
        cmocka_unit_test(test_csv_cells),
        cmocka_unit_test(test_decimal_to_double),
        cmocka_unit_test(test_parse_value_float64),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    printf("formatted %ld doubles; fdl_decimal_to_double answered %ld of %ld\n", checked,
           answered, asked);
    return failed;
}
