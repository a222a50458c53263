/*
 * xsum.c - exact float64 summation with add and remove (see xsum.h).
 *
 * The expansion code follows Shewchuk, "Adaptive Precision Floating-Point
 * Arithmetic and Fast Robust Geometric Predicates" (1997), as used by
 * Python's math.fsum: adding x walks the partials from the smallest,
 * replacing each by the rounding error of a two-sum, so that the partials
 * always sum exactly to the total. Removing x adds -x. Rounding the result
 * is fsum's final step, including its correction for ties that span
 * several partials.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xsum.h"

/* Values at or above this go (scaled) to the high expansion. */
#define XSUM_SPLIT 0x1p512
#define XSUM_SPLIT_INVERSE 0x1p-512

static double *expansion_parts(fdl_expansion *e)
{
    return e->heap ? e->heap : e->local;
}

static const double *expansion_parts_const(const fdl_expansion *e)
{
    return e->heap ? e->heap : e->local;
}

static bool expansion_reserve(fdl_expansion *e, int32_t need)
{
    int32_t capacity = e->heap ? e->capacity : FDL_XSUM_INLINE;
    if (need <= capacity)
        return true;
    int32_t grown = capacity * 2;
    while (grown < need)
        grown *= 2;
    double *parts = malloc((size_t)grown * sizeof *parts);
    if (!parts)
        return false;
    memcpy(parts, expansion_parts(e), (size_t)e->count * sizeof *parts);
    free(e->heap);
    e->heap = parts;
    e->capacity = grown;
    return true;
}

/* msum: adds x to the expansion exactly. No intermediate may overflow. */
static bool expansion_add(fdl_expansion *e, double x)
{
    if (x == 0.0)
        return true;
    if (!expansion_reserve(e, e->count + 1))
        return false;
    double *p = expansion_parts(e);
    int32_t kept = 0;
    for (int32_t j = 0; j < e->count; j++) {
        double y = p[j];
        if (fabs(x) < fabs(y)) {
            double swap = x;
            x = y;
            y = swap;
        }
        double hi = x + y;
        double lo = y - (hi - x);
        if (lo != 0.0)
            p[kept++] = lo;
        x = hi;
    }
    if (x != 0.0)
        p[kept++] = x;
    e->count = kept;
    return true;
}

/* fsum's final step: the correctly rounded value of partials p[0..n). */
static double round_partials(const double *p, int32_t n)
{
    if (n == 0)
        return 0.0;
    double hi = p[--n];
    double lo = 0.0;
    while (n > 0) {
        double x = hi;
        double y = p[--n];
        hi = x + y;
        lo = y - (hi - x);
        if (lo != 0.0)
            break;
    }
    /*
     * hi + lo is exact and lo is half an ulp of hi at most. When lo is
     * exactly half an ulp, hi was rounded to even; if the partials below
     * push the true sum further in lo's direction, round away instead.
     */
    if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
        double y = lo * 2.0;
        double x = hi + y;
        if (y == x - hi)
            hi = x;
    }
    return hi;
}

static void expansion_free(fdl_expansion *e)
{
    free(e->heap);
    e->heap = NULL;
    e->capacity = 0;
    e->count = 0;
}

void fdl_xsum_init(fdl_xsum *sum)
{
    memset(sum, 0, sizeof *sum);
}

void fdl_xsum_free(fdl_xsum *sum)
{
    expansion_free(&sum->low);
    if (sum->high) {
        expansion_free(sum->high);
        free(sum->high);
        sum->high = NULL;
    }
}

/* Adds sign * x; the split of x into low and high parts is deterministic. */
static bool xsum_add_signed(fdl_xsum *sum, double x)
{
    if (fabs(x) < XSUM_SPLIT)
        return expansion_add(&sum->low, x);
    /* x = high_part + low_part exactly, high_part a multiple of 2^512. */
    double low_part = fmod(x, XSUM_SPLIT);
    double high_part = (x - low_part) * XSUM_SPLIT_INVERSE;
    if (!sum->high) {
        sum->high = calloc(1, sizeof *sum->high);
        if (!sum->high)
            return false;
    }
    /* Reserve both first so that a failure leaves the sum unchanged. */
    if (!expansion_reserve(&sum->low, sum->low.count + 1) ||
        !expansion_reserve(sum->high, sum->high->count + 1))
        return false;
    expansion_add(&sum->low, low_part);
    expansion_add(sum->high, high_part);
    return true;
}

bool fdl_xsum_add(fdl_xsum *sum, double x)
{
    return xsum_add_signed(sum, x);
}

bool fdl_xsum_sub(fdl_xsum *sum, double x)
{
    return xsum_add_signed(sum, -x);
}

bool fdl_xsum_merge(fdl_xsum *into, const fdl_xsum *from)
{
    /* The partials of each expansion sum exactly to its value, and adding
     * a partial is exact: both parts go in as they are (high ones still
     * scaled by 2^-512), so into gains exactly from's value. */
    const double *low = expansion_parts_const(&from->low);
    for (int32_t i = 0; i < from->low.count; i++)
        if (!expansion_add(&into->low, low[i]))
            return false;
    if (!from->high || from->high->count == 0)
        return true;
    if (!into->high && !(into->high = calloc(1, sizeof *into->high)))
        return false;
    const double *high = expansion_parts_const(from->high);
    for (int32_t i = 0; i < from->high->count; i++)
        if (!expansion_add(into->high, high[i]))
            return false;
    return true;
}

bool fdl_xsum_is_zero(const fdl_xsum *sum)
{
    return sum->low.count == 0 && (!sum->high || sum->high->count == 0);
}

bool fdl_xsum_result(const fdl_xsum *sum, double *out)
{
    if (!sum->high || sum->high->count == 0) {
        *out = round_partials(expansion_parts_const(&sum->low), sum->low.count);
        return true;
    }
    /*
     * Merge both parts into one expansion of the true value. Scaling the
     * high partials back is exact unless they overflow, and the two-sums
     * stay exact unless an intermediate overflows; either means a sum of
     * magnitude about 2^1023 or more, reported as not finite.
     */
    fdl_expansion merged = {0};
    bool ok = true;
    const double *low = expansion_parts_const(&sum->low);
    const double *high = expansion_parts_const(sum->high);
    for (int32_t i = 0; ok && i < sum->low.count; i++)
        ok = expansion_add(&merged, low[i]);
    for (int32_t i = 0; ok && i < sum->high->count; i++) {
        double scaled = high[i] * XSUM_SPLIT;
        ok = isfinite(scaled) && expansion_add(&merged, scaled);
    }
    const double *p = expansion_parts_const(&merged);
    for (int32_t i = 0; ok && i < merged.count; i++)
        ok = isfinite(p[i]);
    double result = ok ? round_partials(p, merged.count) : 0.0;
    expansion_free(&merged);
    if (!ok || !isfinite(result))
        return false;
    *out = result;
    return true;
}

static bool expansion_copy(fdl_expansion *dst, const fdl_expansion *src)
{
    memset(dst, 0, sizeof *dst);
    if (!expansion_reserve(dst, src->count))
        return false;
    memcpy(expansion_parts(dst), expansion_parts_const(src), (size_t)src->count * sizeof(double));
    dst->count = src->count;
    return true;
}

int fdl_xsum_canonical(const fdl_xsum *sum, double *parts, int max)
{
    fdl_xsum rest;
    fdl_xsum_init(&rest);
    bool ok = expansion_copy(&rest.low, &sum->low);
    if (ok && sum->high) {
        rest.high = malloc(sizeof *rest.high);
        ok = rest.high && expansion_copy(rest.high, sum->high);
    }
    int n = 0;
    /* Each step removes the leading 53 bits (and more) of the remainder; a
     * finite sum of doubles spans at most about 2100 bits, so this ends. */
    while (ok) {
        double part;
        if (!fdl_xsum_result(&rest, &part)) {
            ok = false;
            break;
        }
        if (part == 0.0)
            break;
        if (n == max || !fdl_xsum_sub(&rest, part)) {
            ok = false;
            break;
        }
        parts[n++] = part;
    }
    fdl_xsum_free(&rest);
    return ok ? n : -1;
}
