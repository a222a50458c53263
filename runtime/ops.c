/*
 * ops.c - value operations of the expression language and small runtime
 * utilities: type names, errors, the clock, program table lookups.
 *
 * Operators follow SQL null semantics: a null operand (or operands of kinds
 * the operator does not take) gives null; and/or are three-valued. Integer
 * arithmetic that overflows gives null rather than wrapping, and a float
 * result that is not finite gives null, so every value stays finite.
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

const char *fdl_type_name(fdl_type type)
{
    switch (type) {
    case FDL_NULL: return "null";
    case FDL_INT64: return "int64";
    case FDL_FLOAT64: return "float64";
    case FDL_BOOL: return "bool";
    case FDL_STRING: return "string";
    case FDL_TIMESTAMP: return "timestamp";
    case FDL_VECTOR: return "vector";
    }
    return "unknown";
}

fdl_status fdl_error_set(fdl_error *err, fdl_status status, const char *fmt, ...)
{
    if (!err)
        return status;
    err->status = status;
    err->file[0] = '\0';
    err->line = 0;
    va_list args;
    va_start(args, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, args);
    va_end(args);
    return status;
}

fdl_time fdl_now(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        return 0;
    return (fdl_time)now.tv_sec * FDL_MICROS_PER_SECOND + now.tv_nsec / 1000;
}

/* ------------------------------------------------------ program lookups */

#define FIND_BY_NAME(array, count)                                  \
    do {                                                            \
        if (!p || !name)                                            \
            return -1;                                              \
        for (int i = 0; i < p->count; i++)                          \
            if (p->array[i].name && strcmp(p->array[i].name, name) == 0) \
                return i;                                           \
        return -1;                                                  \
    } while (0)

int fdl_program_source(const fdl_program *p, const char *name) { FIND_BY_NAME(sources, nsources); }
int fdl_program_feature(const fdl_program *p, const char *name) { FIND_BY_NAME(features, nfeatures); }
int fdl_program_set(const fdl_program *p, const char *name) { FIND_BY_NAME(sets, nsets); }
int fdl_program_entity(const fdl_program *p, const char *name) { FIND_BY_NAME(entities, nentities); }
int fdl_program_embedding(const fdl_program *p, const char *name) { FIND_BY_NAME(embeddings, nembeddings); }

/* ------------------------------------------------------------ arithmetic */

static fdl_value arith_int64(int op, int64_t a, int64_t b)
{
    int64_t r;
    switch (op) {
    case '+':
        return __builtin_add_overflow(a, b, &r) ? fdl_null() : fdl_int64(r);
    case '-':
        return __builtin_sub_overflow(a, b, &r) ? fdl_null() : fdl_int64(r);
    case '*':
        return __builtin_mul_overflow(a, b, &r) ? fdl_null() : fdl_int64(r);
    case '/':
    case '%':
        /* INT64_MIN / -1 overflows; its remainder is 0 but C leaves it undefined. */
        if (b == 0 || (a == INT64_MIN && b == -1))
            return fdl_null();
        return fdl_int64(op == '/' ? a / b : a % b);
    }
    return fdl_null();
}

fdl_value fdl_op_arith(int op, fdl_value a, fdl_value b)
{
    if (!fdl_is_number(a) || !fdl_is_number(b))
        return fdl_null();
    if (a.type == FDL_INT64 && b.type == FDL_INT64)
        return arith_int64(op, a.as.i, b.as.i);
    double x = fdl_as_double(a), y = fdl_as_double(b);
    switch (op) {
    case '+': return fdl_finite_or_null(x + y);
    case '-': return fdl_finite_or_null(x - y);
    case '*': return fdl_finite_or_null(x * y);
    case '/': return y == 0.0 ? fdl_null() : fdl_finite_or_null(x / y);
    case '%': return y == 0.0 ? fdl_null() : fdl_finite_or_null(fmod(x, y));
    }
    return fdl_null();
}

/* ------------------------------------------------------------ comparison */

double fdl_fmod(double x, double y)
{
    return fmod(x, y);
}

/* Sign of i - d, exactly (d finite). */
int fdl_order_int64_float64(int64_t i, double d)
{
    if (d >= 0x1p63)
        return -1;
    if (d < -0x1p63)
        return 1;
    /* Here d truncates to an int64 exactly and the fraction is exact. */
    int64_t whole = (int64_t)d;
    if (i != whole)
        return i < whole ? -1 : 1;
    double fraction = d - (double)whole;
    return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
}

static int sign_of(int c)
{
    return (c > 0) - (c < 0);
}

/* Three-way comparison; false when the kinds do not compare. */
static bool compare_values(fdl_value a, fdl_value b, int *order)
{
    if (fdl_is_number(a) && fdl_is_number(b)) {
        if (a.type == FDL_INT64 && b.type == FDL_INT64)
            *order = (a.as.i > b.as.i) - (a.as.i < b.as.i);
        else if (a.type == FDL_FLOAT64 && b.type == FDL_FLOAT64)
            *order = (a.as.f > b.as.f) - (a.as.f < b.as.f);
        else if (a.type == FDL_INT64)
            *order = fdl_order_int64_float64(a.as.i, b.as.f);
        else
            *order = -fdl_order_int64_float64(b.as.i, a.as.f);
        return !(a.type == FDL_FLOAT64 && isnan(a.as.f)) &&
               !(b.type == FDL_FLOAT64 && isnan(b.as.f));
    }
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case FDL_STRING: {
        size_t n = a.as.s.len < b.as.s.len ? a.as.s.len : b.as.s.len;
        int c = n ? memcmp(a.as.s.ptr, b.as.s.ptr, n) : 0;
        *order = c ? sign_of(c) : (a.as.s.len > b.as.s.len) - (a.as.s.len < b.as.s.len);
        return true;
    }
    case FDL_BOOL:
        *order = (int)a.as.b - (int)b.as.b;
        return true;
    case FDL_TIMESTAMP:
        *order = (a.as.t > b.as.t) - (a.as.t < b.as.t);
        return true;
    default:
        return false;
    }
}

fdl_value fdl_op_compare(int op, fdl_value a, fdl_value b)
{
    int order;
    if (!compare_values(a, b, &order))
        return fdl_null();
    switch (op) {
    case FDL_CMP_EQ: return fdl_bool(order == 0);
    case FDL_CMP_NE: return fdl_bool(order != 0);
    case FDL_CMP_LT: return fdl_bool(order < 0);
    case FDL_CMP_LE: return fdl_bool(order <= 0);
    case FDL_CMP_GT: return fdl_bool(order > 0);
    case FDL_CMP_GE: return fdl_bool(order >= 0);
    }
    return fdl_null();
}

/* --------------------------------------------------------------- logic */

fdl_value fdl_op_and(fdl_value a, fdl_value b)
{
    if ((a.type == FDL_BOOL && !a.as.b) || (b.type == FDL_BOOL && !b.as.b))
        return fdl_bool(false);
    if (a.type == FDL_BOOL && b.type == FDL_BOOL)
        return fdl_bool(true);
    return fdl_null();
}

fdl_value fdl_op_or(fdl_value a, fdl_value b)
{
    if ((a.type == FDL_BOOL && a.as.b) || (b.type == FDL_BOOL && b.as.b))
        return fdl_bool(true);
    if (a.type == FDL_BOOL && b.type == FDL_BOOL)
        return fdl_bool(false);
    return fdl_null();
}

fdl_value fdl_op_not(fdl_value a)
{
    return a.type == FDL_BOOL ? fdl_bool(!a.as.b) : fdl_null();
}

fdl_value fdl_op_negate(fdl_value a)
{
    if (a.type == FDL_INT64)
        return a.as.i == INT64_MIN ? fdl_null() : fdl_int64(-a.as.i);
    if (a.type == FDL_FLOAT64)
        return fdl_float64(-a.as.f);
    return fdl_null();
}

/* ------------------------------------------------------------- vectors */

fdl_value fdl_cosine_similarity(fdl_value a, fdl_value b)
{
    if (a.type != FDL_VECTOR || b.type != FDL_VECTOR || a.dim != b.dim || a.dim <= 0 ||
        !a.as.v || !b.as.v)
        return fdl_null();
    /* One fixed left-to-right order (and no fused multiply-add) for
     * bit-identical results everywhere. */
    double dot = 0.0, norm_a = 0.0, norm_b = 0.0;
    for (int32_t i = 0; i < a.dim; i++) {
        dot += a.as.v[i] * b.as.v[i];
        norm_a += a.as.v[i] * a.as.v[i];
        norm_b += b.as.v[i] * b.as.v[i];
    }
    if (norm_a == 0.0 || norm_b == 0.0)
        return fdl_null();
    double similarity = dot / (sqrt(norm_a) * sqrt(norm_b));
    if (!isfinite(similarity))
        return fdl_null();
    if (similarity > 1.0)
        similarity = 1.0;
    if (similarity < -1.0)
        similarity = -1.0;
    return fdl_float64(similarity);
}
