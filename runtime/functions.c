/*
 * functions.c - the standard library of the expression language: one C
 * function per row of stdlib/functions.def, which documents each.
 *
 * Rules shared by all: strict functions return null for a null argument;
 * a float64 result that is not finite is null (values are always finite);
 * the order of floating-point operations is fixed (loops run in index
 * order, -ffp-contract=off) so batch and serving agree bit for bit.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const fdl_time micros_per_hour = INT64_C(3600000000);
static const fdl_time micros_per_day = INT64_C(86400000000);

/* Floor division and modulo, for times before 1970. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* ------------------------------------------------------------------ math */

fdl_value fdl_fn_abs(fdl_value x)
{
    if (x.type == FDL_INT64)
        return x.as.i == INT64_MIN ? fdl_null() : fdl_int64(x.as.i < 0 ? -x.as.i : x.as.i);
    if (x.type == FDL_FLOAT64)
        return fdl_float64(fabs(x.as.f));
    return fdl_null();
}

fdl_value fdl_fn_sign(fdl_value x)
{
    if (x.type == FDL_INT64)
        return fdl_int64((x.as.i > 0) - (x.as.i < 0));
    if (x.type == FDL_FLOAT64)
        return fdl_int64((x.as.f > 0) - (x.as.f < 0));
    return fdl_null();
}

fdl_value fdl_fn_log(fdl_value x)
{
    if (!fdl_is_number(x) || fdl_as_double(x) <= 0)
        return fdl_null();
    return fdl_finite_or_null(log(fdl_as_double(x)));
}

fdl_value fdl_fn_log1p(fdl_value x)
{
    if (!fdl_is_number(x) || fdl_as_double(x) <= -1)
        return fdl_null();
    return fdl_finite_or_null(log1p(fdl_as_double(x)));
}

fdl_value fdl_fn_exp(fdl_value x)
{
    return fdl_is_number(x) ? fdl_finite_or_null(exp(fdl_as_double(x))) : fdl_null();
}

fdl_value fdl_fn_sqrt(fdl_value x)
{
    if (!fdl_is_number(x) || fdl_as_double(x) < 0)
        return fdl_null();
    return fdl_finite_or_null(sqrt(fdl_as_double(x)));
}

fdl_value fdl_fn_pow(fdl_value base, fdl_value exponent)
{
    if (!fdl_is_number(base) || !fdl_is_number(exponent))
        return fdl_null();
    return fdl_finite_or_null(pow(fdl_as_double(base), fdl_as_double(exponent)));
}

fdl_value fdl_fn_floor(fdl_value x)
{
    if (x.type == FDL_FLOAT64)
        return fdl_float64(floor(x.as.f));
    return x.type == FDL_INT64 ? x : fdl_null();
}

fdl_value fdl_fn_ceil(fdl_value x)
{
    if (x.type == FDL_FLOAT64)
        return fdl_float64(ceil(x.as.f));
    return x.type == FDL_INT64 ? x : fdl_null();
}

/*
 * round(x, d) = round(x * 10^d) / 10^d in binary floating point (so 1.005
 * with d = 2 gives 1, as 1.005 is stored as 1.00499999...); for d < 0,
 * round(x / 10^-d) * 10^-d. 10^d is exact up to 1e22 and the correctly
 * rounded double beyond. When |x * 10^d| >= 2^52, x has no digits that far
 * right and is returned as it is.
 */
fdl_value fdl_fn_round(fdl_value x, int count, const fdl_value *digits)
{
    if (!fdl_is_number(x))
        return fdl_null();
    double value = fdl_as_double(x);
    int64_t d = 0;
    if (count > 0) {
        if (digits[0].type != FDL_INT64)
            return fdl_null();
        d = digits[0].as.i;
    }
    if (d == 0)
        return fdl_float64(round(value));
    if (d > 400)
        return fdl_float64(value);
    if (d < -400)
        return fdl_float64(copysign(0.0, value));
    int64_t magnitude = d < 0 ? -d : d;
    double scale;
    if (magnitude <= 22) {
        scale = 1.0;
        for (int64_t i = 0; i < magnitude; i++)
            scale *= 10.0;
    } else {
        scale = pow(10.0, (double)magnitude);
    }
    if (d > 0) {
        double scaled = value * scale;
        /* From 2^52 on a double has no fraction bits: nothing to round, and
         * dividing back could miss x by an ulp. */
        if (!isfinite(scaled) || fabs(scaled) >= 0x1p52)
            return fdl_float64(value);
        return fdl_finite_or_null(round(scaled) / scale);
    }
    if (!isfinite(scale))
        return fdl_float64(copysign(0.0, value));
    return fdl_finite_or_null(round(value / scale) * scale);
}

/* Three-way comparison of two numbers, exact for int64 against int64. */
static int compare_numbers(fdl_value a, fdl_value b)
{
    if (a.type == FDL_INT64 && b.type == FDL_INT64)
        return (a.as.i > b.as.i) - (a.as.i < b.as.i);
    double x = fdl_as_double(a), y = fdl_as_double(b);
    return (x > y) - (x < y);
}

/* The caller converted every argument to the call's number type; a mix
 * (a hand-written call) is compared as doubles and returned as float64. */
static fdl_value number_result(fdl_value v, bool any_float)
{
    return any_float && v.type == FDL_INT64 ? fdl_float64((double)v.as.i) : v;
}

fdl_value fdl_fn_clamp(fdl_value x, fdl_value low, fdl_value high)
{
    if (!fdl_is_number(x) || !fdl_is_number(low) || !fdl_is_number(high) || compare_numbers(low, high) > 0)
        return fdl_null();
    bool any_float = x.type == FDL_FLOAT64 || low.type == FDL_FLOAT64 || high.type == FDL_FLOAT64;
    fdl_value r = compare_numbers(x, low) < 0 ? low : compare_numbers(x, high) > 0 ? high : x;
    return number_result(r, any_float);
}

static fdl_value extreme(fdl_value x, int count, const fdl_value *more, int want)
{
    if (!fdl_is_number(x))
        return fdl_null();
    bool any_float = x.type == FDL_FLOAT64;
    fdl_value best = x;
    for (int i = 0; i < count; i++) {
        if (!fdl_is_number(more[i]))
            return fdl_null();
        any_float |= more[i].type == FDL_FLOAT64;
        if (compare_numbers(more[i], best) == want)
            best = more[i];
    }
    return number_result(best, any_float);
}

fdl_value fdl_fn_least(fdl_value x, int count, const fdl_value *more)
{
    return extreme(x, count, more, -1);
}

fdl_value fdl_fn_greatest(fdl_value x, int count, const fdl_value *more)
{
    return extreme(x, count, more, 1);
}

/* ---------------------------------------------------------- conditionals */

fdl_value fdl_fn_coalesce(fdl_value x, int count, const fdl_value *more)
{
    if (!fdl_is_null(x))
        return x;
    for (int i = 0; i < count; i++)
        if (!fdl_is_null(more[i]))
            return more[i];
    return fdl_null();
}

fdl_value fdl_fn_if(fdl_value condition, fdl_value then, fdl_value otherwise)
{
    return fdl_is_true(condition) ? then : otherwise;
}

/* --------------------------------------------------------------- strings */

/* Length of the valid UTF-8 sequence at s (1 for an invalid byte). */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > n)
        return 1;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 1;
    /* Overlong forms, surrogates and code points past U+10FFFF are invalid. */
    uint32_t code = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t i = 1; i < len; i++)
        code = (code << 6) | (s[i] & 0x3Fu);
    static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[len] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return 1;
    return len;
}

fdl_value fdl_fn_length(fdl_value s)
{
    if (s.type != FDL_STRING)
        return fdl_null();
    const unsigned char *p = (const unsigned char *)s.as.s.ptr;
    int64_t count = 0;
    for (size_t i = 0; i < s.as.s.len; count++)
        i += utf8_sequence(p + i, s.as.s.len - i);
    return fdl_int64(count);
}

static fdl_value change_case(fdl_store *store, fdl_value s, char from, char to)
{
    if (s.type != FDL_STRING)
        return fdl_null();
    char *out = fdl_scratch_alloc(store, s.as.s.len + 1);
    if (!out)
        return fdl_null();
    for (size_t i = 0; i < s.as.s.len; i++) {
        char c = s.as.s.ptr[i];
        out[i] = c >= from && c <= (char)(from + 25) ? (char)(c - from + to) : c;
    }
    return fdl_string(out, s.as.s.len);
}

fdl_value fdl_fn_lower(fdl_store *store, fdl_value s)
{
    return change_case(store, s, 'A', 'a');
}

fdl_value fdl_fn_upper(fdl_store *store, fdl_value s)
{
    return change_case(store, s, 'a', 'A');
}

fdl_value fdl_fn_concat(fdl_store *store, fdl_value s, int count, const fdl_value *more)
{
    if (s.type != FDL_STRING)
        return fdl_null();
    size_t total = s.as.s.len;
    for (int i = 0; i < count; i++) {
        if (more[i].type != FDL_STRING || more[i].as.s.len > SIZE_MAX / 2 - total)
            return fdl_null();
        total += more[i].as.s.len;
    }
    char *out = fdl_scratch_alloc(store, total + 1);
    if (!out)
        return fdl_null();
    size_t at = s.as.s.len;
    if (at)
        memcpy(out, s.as.s.ptr, at);
    for (int i = 0; i < count; i++) {
        if (more[i].as.s.len)
            memcpy(out + at, more[i].as.s.ptr, more[i].as.s.len);
        at += more[i].as.s.len;
    }
    return fdl_string(out, total);
}

fdl_value fdl_fn_starts_with(fdl_value s, fdl_value prefix)
{
    if (s.type != FDL_STRING || prefix.type != FDL_STRING)
        return fdl_null();
    return fdl_bool(prefix.as.s.len <= s.as.s.len &&
                    (prefix.as.s.len == 0 ||
                     memcmp(s.as.s.ptr, prefix.as.s.ptr, prefix.as.s.len) == 0));
}

fdl_value fdl_fn_ends_with(fdl_value s, fdl_value suffix)
{
    if (s.type != FDL_STRING || suffix.type != FDL_STRING)
        return fdl_null();
    return fdl_bool(suffix.as.s.len <= s.as.s.len &&
                    (suffix.as.s.len == 0 ||
                     memcmp(s.as.s.ptr + s.as.s.len - suffix.as.s.len, suffix.as.s.ptr,
                            suffix.as.s.len) == 0));
}

fdl_value fdl_fn_contains(fdl_value s, fdl_value part)
{
    if (s.type != FDL_STRING || part.type != FDL_STRING)
        return fdl_null();
    if (part.as.s.len == 0)
        return fdl_bool(true);
    for (size_t i = 0; i + part.as.s.len <= s.as.s.len; i++)
        if (memcmp(s.as.s.ptr + i, part.as.s.ptr, part.as.s.len) == 0)
            return fdl_bool(true);
    return fdl_bool(false);
}

/* ------------------------------------------------------------------ time */

fdl_value fdl_fn_hour_of_day(fdl_value t)
{
    if (t.type != FDL_TIMESTAMP)
        return fdl_null();
    return fdl_int64(floor_mod(floor_div(t.as.t, micros_per_hour), 24));
}

fdl_value fdl_fn_day_of_week(fdl_value t)
{
    if (t.type != FDL_TIMESTAMP)
        return fdl_null();
    /* 1970-01-01 was a Thursday, ISO day 4. */
    return fdl_int64(floor_mod(floor_div(t.as.t, micros_per_day) + 3, 7) + 1);
}

static fdl_value days_from(fdl_time from, fdl_time to)
{
    int64_t difference;
    if (__builtin_sub_overflow(to, from, &difference))
        return fdl_null();
    return fdl_finite_or_null((double)difference / (double)micros_per_day);
}

fdl_value fdl_fn_days_between(fdl_value from, fdl_value to)
{
    if (from.type != FDL_TIMESTAMP || to.type != FDL_TIMESTAMP)
        return fdl_null();
    return days_from(from.as.t, to.as.t);
}

fdl_value fdl_fn_age(fdl_time query_time, fdl_value t)
{
    if (t.type != FDL_TIMESTAMP)
        return fdl_null();
    return days_from(t.as.t, query_time);
}

fdl_value fdl_fn_epoch_seconds(fdl_value t)
{
    if (t.type != FDL_TIMESTAMP)
        return fdl_null();
    return fdl_float64((double)t.as.t / 1e6);
}

/* --------------------------------------------------------------- vectors */

static bool vectors(fdl_value a, fdl_value b)
{
    return a.type == FDL_VECTOR && b.type == FDL_VECTOR && a.dim == b.dim && a.dim >= 0 &&
           (a.dim == 0 || (a.as.v && b.as.v));
}

fdl_value fdl_fn_dot(fdl_value a, fdl_value b)
{
    if (!vectors(a, b))
        return fdl_null();
    double sum = 0.0;
    for (int32_t i = 0; i < a.dim; i++)
        sum += a.as.v[i] * b.as.v[i];
    return fdl_finite_or_null(sum);
}

fdl_value fdl_fn_norm(fdl_value a)
{
    if (!vectors(a, a))
        return fdl_null();
    double sum = 0.0;
    for (int32_t i = 0; i < a.dim; i++)
        sum += a.as.v[i] * a.as.v[i];
    return fdl_finite_or_null(sqrt(sum));
}

fdl_value fdl_fn_cosine_similarity(fdl_value a, fdl_value b)
{
    return fdl_cosine_similarity(a, b);
}

fdl_value fdl_fn_l2_distance(fdl_value a, fdl_value b)
{
    if (!vectors(a, b))
        return fdl_null();
    double sum = 0.0;
    for (int32_t i = 0; i < a.dim; i++) {
        double d = a.as.v[i] - b.as.v[i];
        sum += d * d;
    }
    return fdl_finite_or_null(sqrt(sum));
}

/* ------------------------------------------------------------- geography */

fdl_value fdl_fn_haversine_km(fdl_value lat1, fdl_value lon1, fdl_value lat2, fdl_value lon2)
{
    if (!fdl_is_number(lat1) || !fdl_is_number(lon1) || !fdl_is_number(lat2) || !fdl_is_number(lon2))
        return fdl_null();
    double phi1 = fdl_as_double(lat1), phi2 = fdl_as_double(lat2);
    if (phi1 < -90 || phi1 > 90 || phi2 < -90 || phi2 > 90)
        return fdl_null();
    const double radians = 3.14159265358979323846 / 180.0;
    const double earth_radius_km = 6371.0088;   /* the IUGG mean radius */
    double dphi = (phi2 - phi1) * radians;
    double dlambda = (fdl_as_double(lon2) - fdl_as_double(lon1)) * radians;
    double s1 = sin(dphi / 2), s2 = sin(dlambda / 2);
    double h = s1 * s1 + cos(phi1 * radians) * cos(phi2 * radians) * (s2 * s2);
    if (h > 1.0)
        h = 1.0;
    return fdl_finite_or_null(2.0 * earth_radius_km * asin(sqrt(h)));
}

/* ----------------------------------------------------------------- casts */

fdl_value fdl_fn_to_int64(fdl_value x)
{
    switch (x.type) {
    case FDL_INT64: return x;
    case FDL_FLOAT64:
        /* [-2^63, 2^63) holds exactly the doubles that truncate into an int64. */
        if (!(x.as.f >= -0x1p63 && x.as.f < 0x1p63))
            return fdl_null();
        return fdl_int64((int64_t)x.as.f);
    case FDL_BOOL: return fdl_int64(x.as.b ? 1 : 0);
    case FDL_TIMESTAMP: return fdl_int64(x.as.t);
    case FDL_STRING: {
        fdl_value out;
        if (x.as.s.len == 0 || fdl_parse_value(FDL_INT64, x.as.s.ptr, x.as.s.len, &out, NULL) != FDL_OK)
            return fdl_null();
        return out;
    }
    default: return fdl_null();
    }
}

fdl_value fdl_fn_to_float64(fdl_value x)
{
    switch (x.type) {
    case FDL_INT64: return fdl_float64((double)x.as.i);
    case FDL_FLOAT64: return x;
    case FDL_BOOL: return fdl_float64(x.as.b ? 1.0 : 0.0);
    case FDL_TIMESTAMP: return fdl_float64((double)x.as.t / 1e6);
    case FDL_STRING: {
        fdl_value out;
        if (x.as.s.len == 0 || fdl_parse_value(FDL_FLOAT64, x.as.s.ptr, x.as.s.len, &out, NULL) != FDL_OK)
            return fdl_null();
        return out;
    }
    default: return fdl_null();
    }
}

fdl_value fdl_fn_to_string(fdl_store *store, fdl_value x)
{
    char text[64];
    size_t len;
    switch (x.type) {
    case FDL_STRING: return x;
    case FDL_INT64: len = (size_t)snprintf(text, sizeof text, "%lld", (long long)x.as.i); break;
    case FDL_FLOAT64: len = fdl_format_float(x.as.f, text, sizeof text); break;
    case FDL_BOOL: len = (size_t)snprintf(text, sizeof text, "%s", x.as.b ? "true" : "false"); break;
    case FDL_TIMESTAMP: len = fdl_format_time(x.as.t, text, sizeof text); break;
    default: return fdl_null();
    }
    if (len >= sizeof text)
        return fdl_null();
    char *out = fdl_scratch_alloc(store, len + 1);
    if (!out)
        return fdl_null();
    memcpy(out, text, len + 1);
    return fdl_string(out, len);
}
