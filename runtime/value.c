/*
 * value.c - values from text and back: fdl_parse_value, timestamps in
 * RFC 3339 (parsed and formatted without the C library's time zone code),
 * and the shortest round-trip text of a double.
 *
 * Everything here is locale-independent: a program that calls setlocale()
 * still reads and writes "0.5", never "0,5".
 */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MICROS_PER_DAY (INT64_C(86400) * FDL_MICROS_PER_SECOND)

/* Longest part of a bad input quoted in an error message. */
#define QUOTE_LIMIT 40

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

/* Optional sign and decimal digits, nothing else; false on syntax or range. */
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

/* The decimal point of the current locale, which strtod and printf use. */
static const char *locale_decimal_point(void)
{
    const char *point = nl_langinfo(RADIXCHAR);
    return point && *point ? point : ".";
}

/*
 * A decimal's syntax, [+-] (digits [. digits] | . digits) [(e|E) [+-]
 * digits] (no nan, inf or hex), read in one pass into its first 19
 * significant digits w and a power of ten q: the text is w * 10^q exactly
 * unless a dropped digit was not 0 (then inexact).
 */
typedef struct decimal {
    uint64_t w;
    int64_t q;
    bool negative;
    bool inexact;
} decimal;

/* The exponent part at text[i], [eE][+-]digits, added to *q; false if
 * malformed. Returns with *end at the first byte after it. */
static bool scan_exponent(const char *text, size_t len, size_t i, int64_t *q, size_t *end)
{
    i++;
    bool negative_exponent = false;
    if (i < len && (text[i] == '+' || text[i] == '-'))
        negative_exponent = text[i++] == '-';
    size_t start = i;
    int64_t exponent = 0;
    for (; i < len && is_digit(text[i]); i++)
        if (exponent < 100000000)   /* far past any double; no overflow */
            exponent = exponent * 10 + (text[i] - '0');
    *q += negative_exponent ? -exponent : exponent;
    *end = i;
    return i > start;
}

/*
 * Reads the run of decimal digits at text[i..len) into *w (w * 10 + digit
 * each), four at a time while four remain: the four bytes are digits when
 * each one's high nibble is 3 before and after adding 6; then byte pairs
 * combine to two-digit values (x * 10 + x >> 8 puts d0 * 10 + d1 in byte
 * 0 and d2 * 10 + d3 in byte 2, no byte above 99, so no carries). Returns
 * where the run ends.
 */
static size_t scan_digits(const char *text, size_t len, size_t i, uint64_t *w)
{
    uint64_t value = *w;
    while (len - i >= 4) {
        uint32_t x;
        memcpy(&x, text + i, 4);
        if ((x & 0xF0F0F0F0u) != 0x30303030u || ((x + 0x06060606u) & 0xF0F0F0F0u) != 0x30303030u)
            break;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap32(x);
#endif
        x -= 0x30303030u;
        x = x * 10 + (x >> 8);
        value = value * 10000 + (x & 0xFF) * 100 + (x >> 16 & 0xFF);
        i += 4;
    }
    for (; i < len && is_digit(text[i]); i++)
        value = value * 10 + (unsigned)(text[i] - '0');
    *w = value;
    return i;
}

/*
 * scan_decimal for the usual cells, up to 32 bytes: digits are not
 * counted one by one; a text of more than 19 digits (which may have
 * overflowed w) is left to scan_decimal's general loop (-1). 1 when the
 * syntax holds, 0 when not.
 */
static int scan_short_decimal(const char *text, size_t len, decimal *d)
{
    assert(len <= 32);
    size_t i = 0;
    uint64_t w = 0;
    int64_t q = 0;
    d->negative = false;
    if (i < len && (text[i] == '+' || text[i] == '-'))
        d->negative = text[i++] == '-';
    size_t start = i;
    i = scan_digits(text, len, i, &w);
    size_t digits = i - start;
    if (i < len && text[i] == '.') {
        size_t fraction = ++i;
        i = scan_digits(text, len, i, &w);
        q = -(int64_t)(i - fraction);
        digits += i - fraction;
    }
    if (digits == 0)
        return 0;
    if (digits > 19)
        return -1;
    if (i < len && (text[i] == 'e' || text[i] == 'E') && !scan_exponent(text, len, i, &q, &i))
        return 0;
    d->w = w;
    d->q = q;
    d->inexact = false;
    return i == len;
}

static bool scan_decimal(const char *text, size_t len, decimal *d)
{
    if (len <= 32) {
        int result = scan_short_decimal(text, len, d);
        if (result >= 0)
            return result == 1;
    }
    size_t i = 0, digits = 0;
    int kept = 0;
    uint64_t w = 0;
    int64_t q = 0;
    bool inexact = false;
    d->negative = false;
    if (i < len && (text[i] == '+' || text[i] == '-'))
        d->negative = text[i++] == '-';
    for (; i < len && is_digit(text[i]); i++, digits++) {
        unsigned digit = (unsigned)(text[i] - '0');
        if (kept < 19) {
            w = w * 10 + digit;
            kept += w != 0;     /* leading zeros are not significant */
        } else {
            q++;
            inexact |= digit != 0;
        }
    }
    if (i < len && text[i] == '.') {
        for (i++; i < len && is_digit(text[i]); i++, digits++) {
            unsigned digit = (unsigned)(text[i] - '0');
            if (kept < 19) {
                w = w * 10 + digit;
                kept += w != 0;
                q--;
            } else {
                inexact |= digit != 0;
            }
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (text[i] == 'e' || text[i] == 'E') && !scan_exponent(text, len, i, &q, &i))
        return false;
    d->w = w;
    d->q = q;
    d->inexact = inexact;
    return i == len;
}

/*
 * Exact conversions that need no strtod: Clinger's fast path (w and 10^|q|
 * both exact doubles, w <= 2^53 and |q| <= 22: one multiplication or
 * division is then correctly rounded, exactly what strtod returns), else
 * dtoa.c's Eisel-Lemire. False when the text needs strtod.
 */
static bool parse_float64_fast(const decimal *d, double *out)
{
    if (d->inexact)
        return false;
#if FLT_EVAL_METHOD == 0
    static const double powers_of_ten[] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };
    if (d->w <= UINT64_C(1) << 53 && d->q >= -22 && d->q <= 22) {
        double value = (double)d->w;
        value = d->q < 0 ? value / powers_of_ten[-d->q] : value * powers_of_ten[d->q];
        *out = d->negative ? -value : value;
        return true;
    }
#endif
    if (d->q < INT32_MIN / 2 || d->q > INT32_MAX / 2)
        return false;
    return fdl_decimal_to_double(d->w, (int)d->q, d->negative, out);
}

static fdl_status parse_float64(const char *text, size_t len, double *out, fdl_error *err)
{
    decimal d;
    if (!scan_decimal(text, len, &d))
        return invalid(err, text, len, "float64", NULL);
    if (parse_float64_fast(&d, out))
        return FDL_OK;
    /* strtod wants a terminated string in the locale's notation. */
    const char *point = locale_decimal_point();
    size_t point_len = strlen(point);
    char small[128];
    size_t need = len + point_len + 1;
    char *copy = need <= sizeof small ? small : malloc(need);
    if (!copy)
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory parsing a float64");
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '.') {
            memcpy(copy + n, point, point_len);
            n += point_len;
        } else {
            copy[n++] = text[i];
        }
    }
    copy[n] = '\0';
    char *end;
    double value = strtod(copy, &end);
    bool complete = *end == '\0';
    if (copy != small)
        free(copy);
    if (!complete)
        return invalid(err, text, len, "float64", NULL);
    if (!isfinite(value))
        return invalid(err, text, len, "float64", "out of range");
    *out = value;
    return FDL_OK;
}

static bool equals_ignoring_case(const char *text, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

fdl_status fdl_parse_value(fdl_type type, const char *text, size_t len, fdl_value *out,
                           fdl_error *err)
{
    *out = fdl_null();
    if (!text || len == 0)
        return FDL_OK;
    switch (type) {
    case FDL_INT64: {
        int64_t i;
        bool overflow;
        if (!parse_int64(text, len, &i, &overflow))
            return invalid(err, text, len, "int64", overflow ? "out of range" : NULL);
        *out = fdl_int64(i);
        return FDL_OK;
    }
    case FDL_FLOAT64: {
        double f = 0;
        fdl_status status = parse_float64(text, len, &f, err);
        if (status == FDL_OK)
            *out = fdl_float64(f);
        return status;
    }
    case FDL_BOOL:
        if (equals_ignoring_case(text, len, "true") || (len == 1 && text[0] == '1'))
            *out = fdl_bool(true);
        else if (equals_ignoring_case(text, len, "false") || (len == 1 && text[0] == '0'))
            *out = fdl_bool(false);
        else
            return invalid(err, text, len, "bool", "expected true, false, 1 or 0");
        return FDL_OK;
    case FDL_STRING:
        *out = fdl_string(text, len);
        return FDL_OK;
    case FDL_TIMESTAMP: {
        fdl_time t;
        fdl_status status = fdl_parse_time(text, len, &t, err);
        if (status == FDL_OK)
            *out = fdl_timestamp(t);
        return status;
    }
    case FDL_NULL:
    case FDL_VECTOR:
        break;
    }
    return fdl_error_set(err, FDL_ERR_ARGUMENT, "values of type %s cannot be parsed from text",
                         fdl_type_name(type));
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

/*
 * Days since 1970-01-01 of a proleptic Gregorian date of years 0000-9999
 * (Howard Hinnant's days_from_civil with the eras folded in: the year,
 * shifted by one 400-year era of 146097 days to stay positive, counts
 * 365 days and its leap days; unsigned divisions by constants).
 */
static int64_t days_from_civil(int year, int month, int day)
{
    assert(year >= 0 && year <= 9999 && month >= 1 && month <= 12);
    uint32_t y = (uint32_t)year + 400 - (month <= 2);
    uint32_t month_from_march = (uint32_t)(month > 2 ? month - 3 : month + 9);
    uint32_t day_of_year = (153 * month_from_march + 2) / 5 + (uint32_t)day - 1;
    uint32_t days = y * 365 + y / 4 - y / 100 + y / 400 + day_of_year;
    return (int64_t)days - 719468 - 146097;
}

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

/* The number written by the two digits at text, or -1 if one is not a
 * digit (no branch per digit). */
static inline int two_digits_at(const char *text)
{
    unsigned tens = (unsigned)(unsigned char)text[0] - '0';
    unsigned ones = (unsigned)(unsigned char)text[1] - '0';
    return tens > 9 || ones > 9 ? -1 : (int)(tens * 10 + ones);
}

/* The same for four digits. */
static inline int four_digits_at(const char *text)
{
    int high = two_digits_at(text), low = two_digits_at(text + 2);
    return (high | low) < 0 ? -1 : high * 100 + low;
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
    int year = date_shape ? four_digits_at(text) : -1;
    int month = date_shape ? two_digits_at(text + 5) : -1;
    int day = date_shape ? two_digits_at(text + 8) : -1;
    if (year < 0 || month < 0 || day < 0)
        return invalid(err, text, len, "timestamp", rfc3339_shape);
    if (len == 10)
        return invalid(err, text, len, "timestamp", "a date without a time of day");
    bool time_shape = len >= 19 && (text[10] == 'T' || text[10] == 't' || text[10] == ' ') &&
                      text[13] == ':' && text[16] == ':';
    int hour = time_shape ? two_digits_at(text + 11) : -1;
    int minute = time_shape ? two_digits_at(text + 14) : -1;
    int second = time_shape ? two_digits_at(text + 17) : -1;
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
        int offset_hour = offset_shape ? two_digits_at(text + pos) : -1;
        int offset_minute = offset_shape ? two_digits_at(text + pos + 3) : -1;
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

fdl_status fdl_parse_time(const char *text, size_t len, fdl_time *out, fdl_error *err)
{
    *out = 0;
    if (!text || len == 0)
        return fdl_error_set(err, FDL_ERR_PARSE, "an empty text is not a valid timestamp");
    /* Epoch seconds: an optional sign and digits only. A date has a '-'
     * after four digits, so the two forms never overlap (and such a text
     * need not be scanned for them). */
    size_t first_digit = text[0] == '+' || text[0] == '-';
    bool all_digits = len > first_digit && !(len > 4 && text[4] == '-');
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

/* The last count digits of value (>= 0), zero-padded, at out. */
static void put_digits(char *out, int value, int count)
{
    for (int i = count - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
}

size_t fdl_format_time(fdl_time t, char *buf, size_t size)
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

    /* Digits by hand (snprintf was most of the time of writing a row);
     * the text is what "%04d-%02d-%02dT%02d:%02d:%02d" and ".%0*d" write. */
    char text[80];
    int n;
    if (year >= 0 && year <= 9999) {
        put_digits(text, (int)year, 4);
        n = 4;
    } else if (year >= 0) {
        n = snprintf(text, sizeof text, "%04" PRId64, year);
    } else {
        n = snprintf(text, sizeof text, "-%04" PRId64, -year);
    }
    int fields[5] = {month, day, (int)(seconds_of_day / 3600), (int)(seconds_of_day / 60 % 60),
                     (int)(seconds_of_day % 60)};
    static const char separators[] = "--T::";
    for (int i = 0; i < 5; i++) {
        text[n++] = separators[i];
        put_digits(text + n, fields[i], 2);
        n += 2;
    }
    if (micros != 0) {
        text[n++] = '.';
        put_digits(text + n, micros, 6);
        n += 6;
        while (text[n - 1] == '0')
            n--;
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

/* ---------------------------------------------------------------- floats */

/* The shortest of 15, 16, 17 significant digits that reads back exactly,
 * as %g writes it: see dtoa.c. */
size_t fdl_format_float(double f, char *buf, size_t size)
{
    if (size >= FDL_DTOA_SIZE)
        return fdl_dtoa(f, buf);
    char text[FDL_DTOA_SIZE];
    size_t n = fdl_dtoa(f, text);
    if (size == 0)
        return 0;
    size_t copied = n < size ? n : size - 1;
    memcpy(buf, text, copied);
    buf[copied] = '\0';
    return copied;
}
