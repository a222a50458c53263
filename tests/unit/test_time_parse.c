/*
 * test_time_parse.c - fdl_parse_time against the parser it replaced (kept
 * below verbatim as old_parse_time, from the commit before the faster
 * one): on valid timestamps and on millions of mutations of them, both
 * must accept the same texts with the same instant, and refuse the same
 * with the same message. And fdl_format_time against its snprintf
 * version (old_format_time) on any int64 instant.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------ the old parser, as it was */

/* Longest part of a bad input quoted in an error message. */
#define QUOTE_LIMIT 40
#define MICROS_PER_DAY (INT64_C(86400) * FDL_MICROS_PER_SECOND)

/*
 * Writes text into out as it should appear inside quotes in a message: at
 * most QUOTE_LIMIT bytes (cut at a UTF-8 character boundary, "..." added),
 * control bytes, quotes and backslashes escaped.
 */
static void quote_text(char *out, size_t size, const char *text, size_t len)
{
    size_t shown = len;
    if (shown > QUOTE_LIMIT) {
        shown = QUOTE_LIMIT;
        while (shown > 0 && ((unsigned char)text[shown] & 0xC0) == 0x80)
            shown--;
    }
    size_t n = 0;
    for (size_t i = 0; i < shown && n + 5 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\')
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
        else
            out[n++] = (char)c;
    }
    if (shown < len && n + 4 < size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static fdl_status invalid(fdl_error *err, const char *text, size_t len, const char *what,
                          const char *reason)
{
    char quoted[QUOTE_LIMIT * 4 + 8];
    quote_text(quoted, sizeof quoted, text, len);
    if (reason)
        return fdl_error_set(err, FDL_ERR_PARSE, "'%s' is not a valid %s: %s", quoted, what, reason);
    return fdl_error_set(err, FDL_ERR_PARSE, "'%s' is not a valid %s", quoted, what);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool parse_int64(const char *text, size_t len, int64_t *out, bool *overflow)
{
    size_t i = 0;
    bool negative = false;
    *overflow = false;
    if (i < len && (text[i] == '+' || text[i] == '-'))
        negative = text[i++] == '-';
    if (i == len)
        return false;
    /* Accumulate the magnitude; INT64_MIN's magnitude is one more than MAX. */
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    for (; i < len; i++) {
        if (!is_digit(text[i]))
            return false;
        unsigned digit = (unsigned)(text[i] - '0');
        if (magnitude > (limit - digit) / 10)
            *overflow = true;
        else
            magnitude = magnitude * 10 + digit;
    }
    if (*overflow)
        return false;
    *out = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return true;
}

/* ------------------------------------------------------------------ time */

static bool is_leap_year(int64_t year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

static int days_in_month(int64_t year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), valid for every year an int64 of days can hold here. */
static int64_t days_from_civil(int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/* The number written by count digits at text, or -1 if one is not a digit. */
static inline int digits_at(const char *text, int count)
{
    int value = 0;
    for (int i = 0; i < count; i++) {
        unsigned digit = (unsigned)(unsigned char)text[i] - '0';
        if (digit > 9)
            return -1;
        value = value * 10 + (int)digit;
    }
    return value;
}

static const char rfc3339_shape[] =
    "expected YYYY-MM-DDTHH:MM:SS[.fraction] and Z or an offset like +02:00, or epoch seconds";

/*
 * RFC 3339 date-time:
 *   date-fullyear "-" date-month "-" date-mday ("T" / "t" / " ")
 *   time-hour ":" time-minute ":" time-second ["." 1*DIGIT]
 *   ("Z" / "z" / ("+" / "-") time-hour ":" time-minute)
 * Everything up to the seconds sits at fixed positions.
 */
static fdl_status parse_rfc3339(const char *text, size_t len, fdl_time *out, fdl_error *err)
{
    bool date_shape = len >= 10 && text[4] == '-' && text[7] == '-';
    int year = date_shape ? digits_at(text, 4) : -1;
    int month = date_shape ? digits_at(text + 5, 2) : -1;
    int day = date_shape ? digits_at(text + 8, 2) : -1;
    if (year < 0 || month < 0 || day < 0)
        return invalid(err, text, len, "timestamp", rfc3339_shape);
    if (len == 10)
        return invalid(err, text, len, "timestamp", "a date without a time of day");
    bool time_shape = len >= 19 && (text[10] == 'T' || text[10] == 't' || text[10] == ' ') &&
                      text[13] == ':' && text[16] == ':';
    int hour = time_shape ? digits_at(text + 11, 2) : -1;
    int minute = time_shape ? digits_at(text + 14, 2) : -1;
    int second = time_shape ? digits_at(text + 17, 2) : -1;
    if (hour < 0 || minute < 0 || second < 0)
        return invalid(err, text, len, "timestamp", rfc3339_shape);
    size_t pos = 19;

    int64_t micros = 0;
    if (pos < len && text[pos] == '.') {
        pos++;
        /* Any number of digits; those past microseconds are dropped, which
         * truncates toward negative infinity since the fraction adds. */
        size_t start = pos;
        int scale = 100000;
        for (; pos < len && is_digit(text[pos]); pos++) {
            micros += (text[pos] - '0') * scale;
            scale /= 10;
        }
        if (pos == start)
            return invalid(err, text, len, "timestamp", "no digits after the decimal point");
    }

    int64_t offset_minutes = 0;
    if (pos == len)
        return invalid(err, text, len, "timestamp", "missing time zone (Z for UTC or an offset like +02:00)");
    if (text[pos] == 'Z' || text[pos] == 'z') {
        pos++;
    } else if (text[pos] == '+' || text[pos] == '-') {
        int sign = text[pos++] == '-' ? -1 : 1;
        bool offset_shape = len - pos >= 5 && text[pos + 2] == ':';
        int offset_hour = offset_shape ? digits_at(text + pos, 2) : -1;
        int offset_minute = offset_shape ? digits_at(text + pos + 3, 2) : -1;
        if (offset_hour < 0 || offset_minute < 0)
            return invalid(err, text, len, "timestamp", "bad time zone offset (expected +hh:mm or -hh:mm)");
        pos += 5;
        if (offset_hour > 23 || offset_minute > 59)
            return invalid(err, text, len, "timestamp", "time zone offset out of range");
        offset_minutes = sign * (offset_hour * 60 + offset_minute);
    } else {
        return invalid(err, text, len, "timestamp", rfc3339_shape);
    }
    if (pos != len)
        return invalid(err, text, len, "timestamp", "unexpected text after the time zone");

    if (month < 1 || month > 12)
        return invalid(err, text, len, "timestamp", "month out of range");
    if (day < 1 || day > days_in_month(year, month))
        return invalid(err, text, len, "timestamp", "day out of range");
    if (hour > 23)
        return invalid(err, text, len, "timestamp", "hour out of range");
    if (minute > 59)
        return invalid(err, text, len, "timestamp", "minute out of range");
    if (second == 60)
        return invalid(err, text, len, "timestamp", "second out of range (leap seconds are not supported)");
    if (second > 60)
        return invalid(err, text, len, "timestamp", "second out of range");

    /* Years 0000-9999 keep every term far from int64 overflow. */
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                      second - offset_minutes * 60;
    fdl_time t = seconds * FDL_MICROS_PER_SECOND + micros;
    /* An offset can carry 0000-01-01 or 9999-12-31 across the year's edge. */
    if (t < FDL_TIME_READ_MIN || t > FDL_TIME_READ_MAX)
        return invalid(err, text, len, "timestamp", "out of range: in UTC it falls outside years 0000 to 9999");
    *out = t;
    return FDL_OK;
}

static fdl_status old_parse_time(const char *text, size_t len, fdl_time *out, fdl_error *err)
{
    *out = 0;
    if (!text || len == 0)
        return fdl_error_set(err, FDL_ERR_PARSE, "an empty text is not a valid timestamp");
    /* Epoch seconds: an optional sign and digits only. A date has a '-'
     * after four digits, so the two forms never overlap. */
    size_t first_digit = text[0] == '+' || text[0] == '-';
    bool all_digits = len > first_digit;
    for (size_t i = first_digit; i < len && all_digits; i++)
        all_digits = is_digit(text[i]);
    if (all_digits) {
        int64_t seconds;
        bool overflow;
        int64_t micros;
        if (!parse_int64(text, len, &seconds, &overflow) ||
            __builtin_mul_overflow(seconds, FDL_MICROS_PER_SECOND, &micros) ||
            micros < FDL_TIME_READ_MIN || micros > FDL_TIME_READ_MAX)
            return invalid(err, text, len, "timestamp",
                           "epoch seconds out of range: years 0000 to 9999 are -62167219200 to 253402300799");
        *out = micros;
        return FDL_OK;
    }
    return parse_rfc3339(text, len, out, err);
}


/* The old fdl_format_time, as it was. */

/* The inverse: the civil date of a day count (Hinnant's civil_from_days). */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
                           day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_index = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * month_index + 2) / 5 + 1);
    *month = (int)(month_index < 10 ? month_index + 3 : month_index - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

static size_t old_format_time(fdl_time t, char *buf, size_t size)
{
    int64_t days = t / MICROS_PER_DAY;
    int64_t rest = t % MICROS_PER_DAY;
    if (rest < 0) {
        rest += MICROS_PER_DAY;
        days--;
    }
    int64_t year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    int64_t seconds_of_day = rest / FDL_MICROS_PER_SECOND;
    int micros = (int)(rest % FDL_MICROS_PER_SECOND);

    char text[80];
    int n;
    if (year >= 0)
        n = snprintf(text, sizeof text, "%04" PRId64, year);
    else
        n = snprintf(text, sizeof text, "-%04" PRId64, -year);
    n += snprintf(text + n, sizeof text - (size_t)n, "-%02d-%02dT%02d:%02d:%02d", month, day,
                  (int)(seconds_of_day / 3600), (int)(seconds_of_day / 60 % 60),
                  (int)(seconds_of_day % 60));
    if (micros != 0) {
        int digits = 6;
        while (micros % 10 == 0) {
            micros /= 10;
            digits--;
        }
        n += snprintf(text + n, sizeof text - (size_t)n, ".%0*d", digits, micros);
    }
    text[n++] = 'Z';
    text[n] = '\0';

    if (size == 0)
        return 0;
    size_t copied = (size_t)n < size ? (size_t)n : size - 1;
    memcpy(buf, text, copied);
    buf[copied] = '\0';
    return copied;
}

/* ------------------------------------------------------------------ tests */

static uint64_t rng_state = 11;

static uint64_t next_random(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void check_same(const char *text, size_t len)
{
    fdl_error old_err = {0}, new_err = {0};
    fdl_time old_t, new_t;
    fdl_status old_status = old_parse_time(text, len, &old_t, &old_err);
    fdl_status new_status = fdl_parse_time(text, len, &new_t, &new_err);
    if (old_status != new_status || (old_status == FDL_OK && old_t != new_t) ||
        strcmp(old_err.message, new_err.message) != 0) {
        print_error("'%.*s': old %d %lld '%s', new %d %lld '%s'\n", (int)len, text, old_status,
                    (long long)old_t, old_err.message, new_status, (long long)new_t,
                    new_err.message);
        fail();
    }
}

/* A random timestamp text: any year 0000-9999, any separator the parser
 * knows, with or without a fraction, Z or an offset. */
static size_t random_timestamp(char *text, size_t size)
{
    int n = snprintf(text, size, "%04d-%02d-%02d%c%02d:%02d:%02d", (int)(next_random() % 10000),
                     1 + (int)(next_random() % 13), (int)(next_random() % 33),
                     "Tt x"[next_random() % 4], (int)(next_random() % 25),
                     (int)(next_random() % 61), (int)(next_random() % 62));
    if (next_random() % 3 == 0)
        n += snprintf(text + n, size - (size_t)n, ".%0*d", 1 + (int)(next_random() % 9),
                      (int)(next_random() % 1000000));
    switch (next_random() % 4) {
    case 0: n += snprintf(text + n, size - (size_t)n, "Z"); break;
    case 1: n += snprintf(text + n, size - (size_t)n, "z"); break;
    default:
        n += snprintf(text + n, size - (size_t)n, "%c%02d:%02d", next_random() % 2 ? '+' : '-',
                      (int)(next_random() % 25), (int)(next_random() % 61));
    }
    return (size_t)n;
}

static void test_random_timestamps(void **state)
{
    (void)state;
    char text[96];
    for (int i = 0; i < 300000; i++) {
        size_t len = random_timestamp(text, sizeof text);
        check_same(text, len);
    }
}

/* Mutations: a byte replaced, removed or inserted, the text cut. */
static void test_mutated_timestamps(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789-:+.TtZz x\x00\xff/;";
    char text[96];
    for (int i = 0; i < 1000000; i++) {
        size_t len = random_timestamp(text, sizeof text);
        int edits = 1 + (int)(next_random() % 3);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = next_random() % len;
            char c = alphabet[next_random() % (sizeof alphabet - 1)];
            switch (next_random() % 4) {
            case 0: text[at] = c; break;
            case 1: memmove(text + at, text + at + 1, len - at - 1); len--; break;
            case 2:
                memmove(text + at + 1, text + at, len - at);
                text[at] = c;
                len++;
                break;
            default: len = at; break;
            }
        }
        check_same(text, len);
    }
    /* Epoch seconds and what looks like them. */
    static const char *fixed[] = {"0", "-0", "+5", "1704067200", "-62167219200", "-62167219201",
                                  "253402300799", "253402300800", "99999999999999999999", "12-4",
                                  "1234-", "-123-", "+", "-", "2024", "20240", "2024-01-01"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_same(fixed[i], strlen(fixed[i]));
}

/* fdl_format_time writes what the old snprintf version wrote, for any
 * instant: the readable years, the edges, and any int64 at all. */
static void test_format_time_as_before(void **state)
{
    (void)state;
    for (int i = 0; i < 1000000; i++) {
        fdl_time t;
        switch (i % 4) {
        case 0: t = (fdl_time)(next_random() % (uint64_t)(FDL_TIME_READ_MAX - FDL_TIME_READ_MIN)) +
                    FDL_TIME_READ_MIN; break;
        case 1: t = (fdl_time)(next_random() % 400000000) * FDL_MICROS_PER_SECOND +
                    (fdl_time)(next_random() % 3) * 250000; break;
        case 2: t = (fdl_time)next_random(); break;
        default: t = (fdl_time)(next_random() >> (next_random() % 64)) * (next_random() % 2 ? -1 : 1);
        }
        char expected[96], actual[96];
        size_t expected_len = old_format_time(t, expected, sizeof expected);
        size_t actual_len = fdl_format_time(t, actual, sizeof actual);
        if (expected_len != actual_len || strcmp(expected, actual) != 0) {
            print_error("%lld: old '%s', new '%s'\n", (long long)t, expected, actual);
            fail();
        }
        /* Cut to a small buffer the same way. */
        size_t size = next_random() % 24;
        expected_len = old_format_time(t, expected, size);
        actual_len = fdl_format_time(t, actual, size);
        assert_int_equal(actual_len, expected_len);
        if (size > 0)
            assert_string_equal(actual, expected);
    }
    static const fdl_time edges[] = {0, -1, 1, INT64_MAX, INT64_MIN, INT64_MIN + 1, FDL_TIME_READ_MIN,
                                     FDL_TIME_READ_MAX, FDL_TIME_READ_MIN - 1, FDL_TIME_READ_MAX + 1};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        char expected[96], actual[96];
        old_format_time(edges[i], expected, sizeof expected);
        fdl_format_time(edges[i], actual, sizeof actual);
        assert_string_equal(actual, expected);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_time_as_before),
        cmocka_unit_test(test_random_timestamps),
        cmocka_unit_test(test_mutated_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
