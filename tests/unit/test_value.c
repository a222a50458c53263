/*
 * test_value.c - values from text and back: fdl_parse_value per type,
 * RFC 3339 timestamps, fdl_format_time and the round-trip float format.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* --------------------------------------------------------------- helpers */

static fdl_value parse_ok(fdl_type type, const char *text)
{
    fdl_value v;
    fdl_error err = {0};
    fdl_status status = fdl_parse_value(type, text, strlen(text), &v, &err);
    if (status != FDL_OK) {
        print_error("'%s' as %s: unexpected error: %s\n", text, fdl_type_name(type), err.message);
        fail();
    }
    return v;
}

static void parse_fails(fdl_type type, const char *text, const char *message)
{
    fdl_value v;
    fdl_error err = {0};
    assert_int_equal(fdl_parse_value(type, text, strlen(text), &v, &err), FDL_ERR_PARSE);
    assert_int_equal(v.type, FDL_NULL);
    assert_int_equal(err.status, FDL_ERR_PARSE);
    assert_string_equal(err.message, message);
}

static fdl_time time_ok(const char *text)
{
    fdl_time t;
    fdl_error err = {0};
    if (fdl_parse_time(text, strlen(text), &t, &err) != FDL_OK) {
        print_error("'%s': unexpected error: %s\n", text, err.message);
        fail();
    }
    return t;
}

static void time_fails(const char *text, const char *reason)
{
    fdl_time t;
    fdl_error err = {0};
    char expected[512];
    snprintf(expected, sizeof expected, "'%s' is not a valid timestamp: %s", text, reason);
    assert_int_equal(fdl_parse_time(text, strlen(text), &t, &err), FDL_ERR_PARSE);
    assert_string_equal(err.message, expected);
}

static const char *format_time(fdl_time t)
{
    static char buf[64];
    size_t n = fdl_format_time(t, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    return buf;
}

static const char *format_float(double f)
{
    static char buf[64];
    size_t n = fdl_format_float(f, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    return buf;
}

#define SECONDS(s) ((fdl_time)(s) * FDL_MICROS_PER_SECOND)

/* ------------------------------------------------------------------ int64 */

static void int64_parses_within_range(void **state)
{
    (void)state;
    assert_int_equal(parse_ok(FDL_INT64, "0").as.i, 0);
    assert_int_equal(parse_ok(FDL_INT64, "-0").as.i, 0);
    assert_int_equal(parse_ok(FDL_INT64, "+42").as.i, 42);
    assert_int_equal(parse_ok(FDL_INT64, "-17").as.i, -17);
    assert_int_equal(parse_ok(FDL_INT64, "007").as.i, 7);
    fdl_value max = parse_ok(FDL_INT64, "9223372036854775807");
    assert_int_equal(max.type, FDL_INT64);
    assert_true(max.as.i == INT64_MAX);
    assert_true(parse_ok(FDL_INT64, "-9223372036854775808").as.i == INT64_MIN);
    assert_int_equal(parse_ok(FDL_INT64, "").type, FDL_NULL);
}

static void int64_rejects_overflow_and_garbage(void **state)
{
    (void)state;
    parse_fails(FDL_INT64, "9223372036854775808",
                "'9223372036854775808' is not a valid int64: out of range");
    parse_fails(FDL_INT64, "-9223372036854775809",
                "'-9223372036854775809' is not a valid int64: out of range");
    parse_fails(FDL_INT64, "100000000000000000000",
                "'100000000000000000000' is not a valid int64: out of range");
    parse_fails(FDL_INT64, "12a", "'12a' is not a valid int64");
    parse_fails(FDL_INT64, " 1", "' 1' is not a valid int64");
    parse_fails(FDL_INT64, "1 ", "'1 ' is not a valid int64");
    parse_fails(FDL_INT64, "-", "'-' is not a valid int64");
    parse_fails(FDL_INT64, "+", "'+' is not a valid int64");
    parse_fails(FDL_INT64, "1.0", "'1.0' is not a valid int64");
    parse_fails(FDL_INT64, "0x10", "'0x10' is not a valid int64");
}

/* ---------------------------------------------------------------- float64 */

static void float64_parses_decimal_and_exponent(void **state)
{
    (void)state;
    assert_true(parse_ok(FDL_FLOAT64, "0.5").as.f == 0.5);
    assert_true(parse_ok(FDL_FLOAT64, "-2.25").as.f == -2.25);
    assert_true(parse_ok(FDL_FLOAT64, "+1.5").as.f == 1.5);
    assert_true(parse_ok(FDL_FLOAT64, "1e3").as.f == 1000.0);
    assert_true(parse_ok(FDL_FLOAT64, "1E-3").as.f == 0.001);
    assert_true(parse_ok(FDL_FLOAT64, "2.5e+2").as.f == 250.0);
    assert_true(parse_ok(FDL_FLOAT64, ".5").as.f == 0.5);
    assert_true(parse_ok(FDL_FLOAT64, "5.").as.f == 5.0);
    assert_true(parse_ok(FDL_FLOAT64, "42").as.f == 42.0);
    fdl_value negative_zero = parse_ok(FDL_FLOAT64, "-0");
    assert_int_equal(negative_zero.type, FDL_FLOAT64);
    assert_true(negative_zero.as.f == 0.0 && signbit(negative_zero.as.f));
    assert_true(parse_ok(FDL_FLOAT64, "1.7976931348623157e308").as.f == DBL_MAX);
    assert_true(parse_ok(FDL_FLOAT64, "4.9406564584124654e-324").as.f == 4.9406564584124654e-324);
    assert_true(parse_ok(FDL_FLOAT64, "2.2250738585072014e-308").as.f == DBL_MIN);
    /* Underflow to zero is a value, not an error. */
    assert_true(parse_ok(FDL_FLOAT64, "1e-400").as.f == 0.0);
    assert_int_equal(parse_ok(FDL_FLOAT64, "").type, FDL_NULL);
    /* Longer than any stack copy. */
    char long_text[400] = "0.";
    memset(long_text + 2, '0', 300);
    strcpy(long_text + 302, "15");
    assert_true(parse_ok(FDL_FLOAT64, long_text).as.f == 1.5e-301);
}

static void float64_rejects_special_values_and_garbage(void **state)
{
    (void)state;
    parse_fails(FDL_FLOAT64, "abc", "'abc' is not a valid float64");
    parse_fails(FDL_FLOAT64, "nan", "'nan' is not a valid float64");
    parse_fails(FDL_FLOAT64, "NaN", "'NaN' is not a valid float64");
    parse_fails(FDL_FLOAT64, "inf", "'inf' is not a valid float64");
    parse_fails(FDL_FLOAT64, "-Infinity", "'-Infinity' is not a valid float64");
    parse_fails(FDL_FLOAT64, "0x1p3", "'0x1p3' is not a valid float64");
    parse_fails(FDL_FLOAT64, "1e400", "'1e400' is not a valid float64: out of range");
    parse_fails(FDL_FLOAT64, "-1e400", "'-1e400' is not a valid float64: out of range");
    parse_fails(FDL_FLOAT64, "1e", "'1e' is not a valid float64");
    parse_fails(FDL_FLOAT64, "1e+", "'1e+' is not a valid float64");
    parse_fails(FDL_FLOAT64, ".", "'.' is not a valid float64");
    parse_fails(FDL_FLOAT64, "e5", "'e5' is not a valid float64");
    parse_fails(FDL_FLOAT64, "1.5x", "'1.5x' is not a valid float64");
    parse_fails(FDL_FLOAT64, " 1", "' 1' is not a valid float64");
    parse_fails(FDL_FLOAT64, "1,5", "'1,5' is not a valid float64");
    parse_fails(FDL_FLOAT64, "--1", "'--1' is not a valid float64");
}

static void error_messages_quote_a_bounded_escaped_excerpt(void **state)
{
    (void)state;
    char long_text[101];
    memset(long_text, 'a', 100);
    long_text[100] = '\0';
    parse_fails(FDL_FLOAT64, long_text,
                "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not a valid float64");
    parse_fails(FDL_INT64, "a\x01\n'b\\", "'a\\x01\\x0a\\x27b\\x5c' is not a valid int64");
    /* A NUL inside the text is data, not the end. */
    fdl_value v;
    fdl_error err = {0};
    assert_int_equal(fdl_parse_value(FDL_INT64, "1\0002", 3, &v, &err), FDL_ERR_PARSE);
    assert_string_equal(err.message, "'1\\x002' is not a valid int64");
    /* The cut never splits a UTF-8 character: 39 ASCII bytes then a
     * two-byte character straddling byte 40. */
    char utf8[64];
    memset(utf8, 'x', 39);
    strcpy(utf8 + 39, "\xc3\xa9tail");
    char expected[128];
    snprintf(expected, sizeof expected, "'%.39s...' is not a valid int64", utf8);
    parse_fails(FDL_INT64, utf8, expected);
}

/* ------------------------------------------------------- bool and string */

static void bool_parses_words_and_digits(void **state)
{
    (void)state;
    assert_true(parse_ok(FDL_BOOL, "true").as.b);
    assert_true(parse_ok(FDL_BOOL, "TRUE").as.b);
    assert_true(parse_ok(FDL_BOOL, "True").as.b);
    assert_true(parse_ok(FDL_BOOL, "1").as.b);
    assert_false(parse_ok(FDL_BOOL, "false").as.b);
    assert_false(parse_ok(FDL_BOOL, "FaLsE").as.b);
    assert_int_equal(parse_ok(FDL_BOOL, "0").type, FDL_BOOL);
    assert_false(parse_ok(FDL_BOOL, "0").as.b);
    assert_int_equal(parse_ok(FDL_BOOL, "").type, FDL_NULL);
    parse_fails(FDL_BOOL, "yes", "'yes' is not a valid bool: expected true, false, 1 or 0");
    parse_fails(FDL_BOOL, "2", "'2' is not a valid bool: expected true, false, 1 or 0");
    parse_fails(FDL_BOOL, "truee", "'truee' is not a valid bool: expected true, false, 1 or 0");
}

static void string_points_into_the_text(void **state)
{
    (void)state;
    const char *text = "hello, world";
    fdl_value v;
    assert_int_equal(fdl_parse_value(FDL_STRING, text, 5, &v, NULL), FDL_OK);
    assert_int_equal(v.type, FDL_STRING);
    assert_ptr_equal(v.as.s.ptr, text);
    assert_int_equal(v.as.s.len, 5);
    assert_int_equal(parse_ok(FDL_STRING, "").type, FDL_NULL);
    /* NULL text is null too, and other types cannot be parsed. */
    assert_int_equal(fdl_parse_value(FDL_INT64, NULL, 0, &v, NULL), FDL_OK);
    assert_int_equal(v.type, FDL_NULL);
    fdl_error err = {0};
    assert_int_equal(fdl_parse_value(FDL_VECTOR, "1", 1, &v, &err), FDL_ERR_ARGUMENT);
    assert_string_equal(err.message, "values of type vector cannot be parsed from text");
}

/* ------------------------------------------------------------- timestamps */

static void timestamps_parse_utc_and_offsets(void **state)
{
    (void)state;
    assert_true(time_ok("1970-01-01T00:00:00Z") == 0);
    fdl_time noon = SECONDS(1706702400);
    assert_true(time_ok("2024-01-31T12:00:00Z") == noon);
    assert_true(time_ok("2024-01-31t12:00:00z") == noon);
    assert_true(time_ok("2024-01-31 12:00:00Z") == noon);
    assert_true(time_ok("2024-01-31T14:00:00+02:00") == noon);
    assert_true(time_ok("2024-01-31T07:30:00-04:30") == noon);
    assert_true(time_ok("2024-02-01T11:59:00+23:59") == noon);
    assert_true(time_ok("2024-01-31T12:00:00-00:00") == noon);
    assert_true(time_ok("0000-01-01T00:00:00Z") == SECONDS(-62167219200));
    assert_true(time_ok("0001-01-01T00:00:00Z") == SECONDS(-62135596800));
    assert_true(time_ok("9999-12-31T23:59:59.999999Z") == SECONDS(253402300799) + 999999);
    assert_int_equal(parse_ok(FDL_TIMESTAMP, "2024-01-31T12:00:00Z").as.t, noon);
    assert_int_equal(parse_ok(FDL_TIMESTAMP, "").type, FDL_NULL);
}

static void timestamp_fractions_truncate_to_microseconds(void **state)
{
    (void)state;
    static const struct { const char *fraction; int64_t micros; } cases[] = {
        {".5", 500000}, {".25", 250000}, {".123", 123000}, {".1234", 123400},
        {".12345", 123450}, {".123456", 123456}, {".1234567", 123456},
        {".12345678", 123456}, {".123456789", 123456}, {".000001", 1},
        {".0000009", 0}, {".9999999999999999999999", 999999},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "2024-01-31T12:00:00%sZ", cases[i].fraction);
        assert_true(time_ok(text) == SECONDS(1706702400) + cases[i].micros);
    }
    /* Before the epoch the fraction still adds, so dropping digits rounds
     * toward negative infinity. */
    assert_true(time_ok("1969-12-31T23:59:59.9999999Z") == -1);
    assert_true(time_ok("1969-12-31T23:59:59.5Z") == -500000);
    assert_true(time_ok("1969-12-31T23:59:59.0000001Z") == -1000000);
}

static void timestamp_calendar_is_validated(void **state)
{
    (void)state;
    assert_true(time_ok("2024-02-29T00:00:00Z") == SECONDS(1709164800));
    assert_true(time_ok("2000-02-29T00:00:00Z") == SECONDS(951782400));
    time_fails("2023-02-29T00:00:00Z", "day out of range");
    time_fails("1900-02-29T00:00:00Z", "day out of range");
    time_fails("2024-02-30T00:00:00Z", "day out of range");
    time_fails("2024-04-31T00:00:00Z", "day out of range");
    time_fails("2024-01-00T00:00:00Z", "day out of range");
    time_fails("2024-13-01T00:00:00Z", "month out of range");
    time_fails("2024-00-01T00:00:00Z", "month out of range");
    time_fails("2024-01-01T24:00:00Z", "hour out of range");
    time_fails("2024-01-01T12:60:00Z", "minute out of range");
    time_fails("2024-12-31T23:59:60Z", "second out of range (leap seconds are not supported)");
    time_fails("2024-12-31T23:59:61Z", "second out of range");
    time_fails("2024-01-01T00:00:00+24:00", "time zone offset out of range");
    time_fails("2024-01-01T00:00:00+01:60", "time zone offset out of range");
}

static void timestamp_epoch_seconds(void **state)
{
    (void)state;
    assert_true(time_ok("0") == 0);
    assert_true(time_ok("1706702400") == SECONDS(1706702400));
    assert_true(time_ok("-1") == -FDL_MICROS_PER_SECOND);
    assert_true(time_ok("+5") == SECONDS(5));
    const char *range = "epoch seconds out of range: years 0000 to 9999 are -62167219200 to 253402300799";
    time_fails("9223372036854", range);
    time_fails("9223372036855", range);
    time_fails("-9223372036855", range);
    time_fails("99999999999999999999999", range);
}

/* Years 0000 to 9999 in UTC, whichever way a time is written: what is read
 * formats as text that reads back; nothing outside (formatted with a fifth
 * digit or a sign, which would not) is read. */
static void timestamp_range_is_years_0000_to_9999(void **state)
{
    (void)state;
    const char *range = "epoch seconds out of range: years 0000 to 9999 are -62167219200 to 253402300799";
    const char *utc = "out of range: in UTC it falls outside years 0000 to 9999";
    assert_true(time_ok("-62167219200") == FDL_TIME_READ_MIN);
    time_fails("-62167219201", range);
    assert_true(time_ok("253402300799") == SECONDS(253402300799));
    time_fails("253402300800", range);
    assert_true(time_ok("0000-01-01T00:00:00-00:01") == FDL_TIME_READ_MIN + SECONDS(60));
    time_fails("0000-01-01T00:00:00+00:01", utc);
    time_fails("0000-01-01T23:58:59+23:59", utc);
    assert_true(time_ok("9999-12-31T23:59:59.999999+00:01") == FDL_TIME_READ_MAX - SECONDS(60));
    time_fails("9999-12-31T23:59:59-00:01", utc);
    time_fails("9999-12-31T00:01:00-23:59", utc);
    const char *edges[] = {"-62167219200", "253402300799", "9999-12-31T23:59:59.999999Z",
                           "0000-01-01T00:00:00-23:59", "9999-12-31T23:59:59+23:59"};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        fdl_time t = time_ok(edges[i]);
        assert_true(t >= FDL_TIME_READ_MIN && t <= FDL_TIME_READ_MAX);
        assert_true(time_ok(format_time(t)) == t);
    }
    assert_string_equal(format_time(FDL_TIME_READ_MIN), "0000-01-01T00:00:00Z");
    assert_string_equal(format_time(FDL_TIME_READ_MAX), "9999-12-31T23:59:59.999999Z");
}

static void timestamp_garbage_is_rejected(void **state)
{
    (void)state;
    const char *shape =
        "expected YYYY-MM-DDTHH:MM:SS[.fraction] and Z or an offset like +02:00, or epoch seconds";
    time_fails("abc", shape);
    time_fails("2024-1-01T00:00:00Z", shape);
    time_fails("2024-01-01X00:00:00Z", shape);
    time_fails("2024-01-01T0:00:00Z", shape);
    time_fails("2024/01/01T00:00:00Z", shape);
    time_fails("1.5", shape);
    time_fails("-", shape);
    time_fails("2024-01-01", "a date without a time of day");
    time_fails("2024-01-01T00:00:00", "missing time zone (Z for UTC or an offset like +02:00)");
    time_fails("2024-01-01T00:00:00.Z", "no digits after the decimal point");
    time_fails("2024-01-01T00:00:00+2:00", "bad time zone offset (expected +hh:mm or -hh:mm)");
    time_fails("2024-01-01T00:00:00+0200", "bad time zone offset (expected +hh:mm or -hh:mm)");
    time_fails("2024-01-01T00:00:00Zjunk", "unexpected text after the time zone");
    time_fails("2024-01-01T00:00:00 Z", shape);
    fdl_time t;
    fdl_error err = {0};
    assert_int_equal(fdl_parse_time("", 0, &t, &err), FDL_ERR_PARSE);
    assert_string_equal(err.message, "an empty text is not a valid timestamp");
}

static void times_format_in_utc_with_minimal_fractions(void **state)
{
    (void)state;
    assert_string_equal(format_time(0), "1970-01-01T00:00:00Z");
    assert_string_equal(format_time(SECONDS(1706702400)), "2024-01-31T12:00:00Z");
    assert_string_equal(format_time(SECONDS(1706702400) + 250000), "2024-01-31T12:00:00.25Z");
    assert_string_equal(format_time(1), "1970-01-01T00:00:00.000001Z");
    assert_string_equal(format_time(123456), "1970-01-01T00:00:00.123456Z");
    assert_string_equal(format_time(-1), "1969-12-31T23:59:59.999999Z");
    assert_string_equal(format_time(-500000), "1969-12-31T23:59:59.5Z");
    assert_string_equal(format_time(SECONDS(-86400)), "1969-12-31T00:00:00Z");
    assert_string_equal(format_time(SECONDS(1709164800)), "2024-02-29T00:00:00Z");
    assert_string_equal(format_time(SECONDS(951782400) - 1), "2000-02-28T23:59:59.999999Z");
    assert_string_equal(format_time(SECONDS(-62167219200)), "0000-01-01T00:00:00Z");
    assert_string_equal(format_time(SECONDS(253402300799) + 999999), "9999-12-31T23:59:59.999999Z");
    /* The extremes format without crashing. */
    assert_string_equal(format_time(INT64_MAX), "294247-01-10T04:00:54.775807Z");
    assert_string_equal(format_time(INT64_MIN), "-290308-12-21T19:59:05.224192Z");
    /* A small buffer gets a terminated prefix. */
    char small[5];
    assert_int_equal(fdl_format_time(0, small, sizeof small), 4);
    assert_string_equal(small, "1970");
    assert_int_equal(fdl_format_time(0, small, 0), 0);
}

static uint64_t random_state = 0x853c49e6748fea9bULL;

static uint64_t next_random(void)
{
    /* xorshift64*: a fixed sequence, so failures reproduce. */
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return random_state * 0x2545F4914F6CDD1DULL;
}

static void times_round_trip(void **state)
{
    (void)state;
    fdl_time low = SECONDS(-62167219200), high = SECONDS(253402300799) + 999999;
    for (int i = 0; i < 100000; i++) {
        fdl_time t = low + (fdl_time)(next_random() % (uint64_t)(high - low + 1));
        if (i % 3 == 0)
            t -= t % FDL_MICROS_PER_SECOND;     /* whole seconds too */
        const char *text = format_time(t);
        fdl_time back = time_ok(text);
        if (back != t) {
            print_error("%lld -> %s -> %lld\n", (long long)t, text, (long long)back);
            fail();
        }
    }
}

/* ----------------------------------------------------------------- floats */

static void floats_format_shortest(void **state)
{
    (void)state;
    assert_string_equal(format_float(0.1), "0.1");
    assert_string_equal(format_float(0.5), "0.5");
    assert_string_equal(format_float(-2.25), "-2.25");
    assert_string_equal(format_float(3.0), "3");
    assert_string_equal(format_float(0.0), "0");
    assert_string_equal(format_float(-0.0), "-0");
    assert_string_equal(format_float(1.0 / 3), "0.3333333333333333");
    assert_string_equal(format_float(0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(format_float(1e20), "1e+20");
    assert_string_equal(format_float(1e-7), "1e-07");
    assert_string_equal(format_float(123456789012345.0), "123456789012345");
    assert_string_equal(format_float(DBL_MAX), "1.7976931348623157e+308");
    assert_string_equal(format_float(DBL_MIN), "2.2250738585072014e-308");
    /* The smallest subnormal: 15 digits already read back exactly. */
    assert_string_equal(format_float(4.9406564584124654e-324), "4.94065645841247e-324");
    assert_string_equal(format_float(-4.9406564584124654e-324), "-4.94065645841247e-324");
    assert_string_equal(format_float(2.2250738585072009e-308), "2.225073858507201e-308");
    char small[3];
    assert_int_equal(fdl_format_float(0.125, small, sizeof small), 2);
    assert_string_equal(small, "0.");
}

static void check_round_trip(double f)
{
    char buf[64];
    fdl_format_float(f, buf, sizeof buf);
    double back = strtod(buf, NULL);
    if (memcmp(&back, &f, sizeof f) != 0) {
        print_error("%.17g -> %s -> %.17g\n", f, buf, back);
        fail();
    }
    /* And what we print, we parse. */
    fdl_value parsed = parse_ok(FDL_FLOAT64, buf);
    assert_true(memcmp(&parsed.as.f, &f, sizeof f) == 0);
}

static void floats_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = next_random();
        double f;
        memcpy(&f, &bits, sizeof f);
        if (isfinite(f))
            check_round_trip(f);
    }
    /* Subnormals, near-integers and decimal fractions. */
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = next_random() & ((UINT64_C(1) << 52) - 1);
        double f;
        memcpy(&f, &bits, sizeof f);
        check_round_trip(f);
        check_round_trip(-f);
        check_round_trip((double)(int64_t)(next_random() >> 11) / 1000.0);
        check_round_trip((double)(int32_t)next_random());
    }
    check_round_trip(-0.0);
    check_round_trip(DBL_MAX);
    check_round_trip(-DBL_MAX);
}

/* Short decimals (the fast path) must give exactly what strtod gives. */
static void short_decimals_parse_like_strtod(void **state)
{
    (void)state;
    for (int i = 0; i < 300000; i++) {
        char text[64];
        int digits = 1 + (int)(next_random() % 17);
        int n = 0;
        if (next_random() % 3 == 0)
            text[n++] = '-';
        int point = (int)(next_random() % (uint64_t)(digits + 1));
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0)
                text[n++] = '.';
            text[n++] = (char)('0' + next_random() % 10);
        }
        if (next_random() % 2)
            n += snprintf(text + n, sizeof text - (size_t)n, "e%d", (int)(next_random() % 61) - 30);
        text[n] = '\0';
        double expected = strtod(text, NULL);
        fdl_value v = parse_ok(FDL_FLOAT64, text);
        if (memcmp(&v.as.f, &expected, sizeof expected) != 0) {
            print_error("%s: %.17g, strtod %.17g\n", text, v.as.f, expected);
            fail();
        }
    }
}

/* The reference: the shortest of %.15g, %.16g, %.17g that reads back. */
static void format_by_printf(double f, char *text, size_t size)
{
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, size, "%.*g", precision, f);
        if (strtod(text, NULL) == f)
            return;
    }
}

/* The short-decimal fast path must print exactly what printf would. */
static void floats_format_like_printf(void **state)
{
    (void)state;
    char expected[64], got[64];
    for (int i = 0; i < 400000; i++) {
        double f;
        uint64_t r = next_random();
        switch (i % 4) {
        case 0: {   /* a short decimal, as parsed from CSV */
            char text[40];
            snprintf(text, sizeof text, "%s%llu.%0*llu", r & 1 ? "-" : "",
                     (unsigned long long)(r % 100000), (int)(1 + (r >> 20) % 8),
                     (unsigned long long)((r >> 30) % 100000000));
            f = strtod(text, NULL);
            break;
        }
        case 1:     /* any magnitude near the fast path's edges */
            f = ldexp((double)(r >> 11), (int)((r >> 3) % 80) - 100);
            break;
        case 2: {   /* random bits: any double */
            memcpy(&f, &r, sizeof f);
            if (!isfinite(f))
                f = 1.5;
            break;
        }
        default:    /* m / 10^k with up to 16 digits */
            f = (double)(r % 10000000000000000ULL) / pow(10.0, (double)((r >> 54) % 20));
            break;
        }
        format_by_printf(f, expected, sizeof expected);
        fdl_format_float(f, got, sizeof got);
        if (strcmp(expected, got) != 0) {
            print_error("%a: printf %s, fdl_format_float %s\n", f, expected, got);
            fail();
        }
    }
    const double edges[] = {1e-4, 0.0001, 0.00010000000000000002, 9.999999999999999e-5, 1e15,
                            999999999999999.0, 999999999999999.9, 123456789012345.0, 0.5, -0.0,
                            0.0, 1e-5, 100.0, 2.5e14, 0.1, 0.30000000000000004};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        format_by_printf(edges[i], expected, sizeof expected);
        fdl_format_float(edges[i], got, sizeof got);
        assert_string_equal(got, expected);
    }
}

static void formatting_ignores_the_locale(void **state)
{
    (void)state;
    const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", NULL};
    const char *found = NULL;
    for (int i = 0; locales[i] && !found; i++)
        found = setlocale(LC_NUMERIC, locales[i]);
    if (!found)
        skip();
    assert_string_equal(format_float(0.5), "0.5");
    assert_true(parse_ok(FDL_FLOAT64, "2.25").as.f == 2.25);
    parse_fails(FDL_FLOAT64, "2,25", "'2,25' is not a valid float64");
    setlocale(LC_NUMERIC, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(int64_parses_within_range),
        cmocka_unit_test(int64_rejects_overflow_and_garbage),
        cmocka_unit_test(float64_parses_decimal_and_exponent),
        cmocka_unit_test(float64_rejects_special_values_and_garbage),
        cmocka_unit_test(error_messages_quote_a_bounded_escaped_excerpt),
        cmocka_unit_test(bool_parses_words_and_digits),
        cmocka_unit_test(string_points_into_the_text),
        cmocka_unit_test(timestamps_parse_utc_and_offsets),
        cmocka_unit_test(timestamp_fractions_truncate_to_microseconds),
        cmocka_unit_test(timestamp_calendar_is_validated),
        cmocka_unit_test(timestamp_epoch_seconds),
        cmocka_unit_test(timestamp_range_is_years_0000_to_9999),
        cmocka_unit_test(timestamp_garbage_is_rejected),
        cmocka_unit_test(times_format_in_utc_with_minimal_fractions),
        cmocka_unit_test(times_round_trip),
        cmocka_unit_test(floats_format_shortest),
        cmocka_unit_test(floats_round_trip),
        cmocka_unit_test(short_decimals_parse_like_strtod),
        cmocka_unit_test(floats_format_like_printf),
        cmocka_unit_test(formatting_ignores_the_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
