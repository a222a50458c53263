/*
 * xsum.h - exact summation of float64 values with add and remove.
 *
 * An fdl_xsum holds the exact sum of a multiset of finite doubles: values
 * can be added and removed in any order, and fdl_xsum_result() gives the
 * correctly rounded (round-half-even) value of the exact sum of the values
 * currently in it, the same double as Python's math.fsum() of them. The
 * result therefore depends only on the multiset, never on the order of
 * adds and removes that built it. An exact zero is +0.0.
 *
 * Representation: Shewchuk's non-overlapping expansion (the "partials" of
 * Python's msum), in two parts so that no intermediate can overflow:
 *   low   the parts of values below 2^512 in magnitude, as is;
 *   high  for values of 2^512 and more, the multiple of 2^512 they hold,
 *         scaled by 2^-512 (exact), allocated only when such a value comes.
 * A value is split between them by a fixed rule, so removing it undoes
 * exactly what adding it did.
 *
 * Memory: 56 bytes inline, enough for four partials (typical data needs one
 * to three); more partials move to the heap, at most about 40 doubles per
 * part since the partials of an expansion do not overlap.
 */
#ifndef FDL_XSUM_H
#define FDL_XSUM_H

#include <stdbool.h>
#include <stdint.h>

#define FDL_XSUM_INLINE 4

typedef struct fdl_expansion {
    int32_t count;                      /* partials in use, increasing magnitude */
    int32_t capacity;                   /* of heap; 0 while inline */
    double *heap;                       /* NULL while the inline array suffices */
    double local[FDL_XSUM_INLINE];
} fdl_expansion;

typedef struct fdl_xsum {
    fdl_expansion low;
    fdl_expansion *high;                /* NULL until a value >= 2^512 arrives */
} fdl_xsum;

void fdl_xsum_init(fdl_xsum *sum);
/* Frees heap parts; the sum is empty (and reusable) afterwards. */
void fdl_xsum_free(fdl_xsum *sum);
/* x must be finite. false when memory ran out (the sum is then unchanged). */
bool fdl_xsum_add(fdl_xsum *sum, double x);
bool fdl_xsum_sub(fdl_xsum *sum, double x);
/* Adds the exact value of from into into (hopped windows merge the sums
 * of their tiles). false when memory ran out (into may then hold part of
 * from: the caller discards it). */
bool fdl_xsum_merge(fdl_xsum *into, const fdl_xsum *from);
/*
 * Stores the correctly rounded exact sum in *out. false when that is not a
 * finite double (the exact sum is at least about 2^1023 in magnitude) or
 * memory ran out.
 */
bool fdl_xsum_result(const fdl_xsum *sum, double *out);
bool fdl_xsum_is_zero(const fdl_xsum *sum);

/*
 * The canonical expansion of the exact sum: parts[0] is the correctly
 * rounded sum, parts[1] the correctly rounded remainder (sum - parts[0]),
 * and so on until the remainder is exactly zero. Unlike the partials, which
 * depend on the order of the adds and removes that built the sum, these
 * depend only on its value, so arithmetic on them is reproducible. The
 * parts do not overlap and decrease in magnitude. Returns the number of
 * parts (0 for an exact zero), or -1 when the sum is not finite as a double,
 * memory ran out, or more than max parts are needed (64 always suffice).
 */
int fdl_xsum_canonical(const fdl_xsum *sum, double *parts, int max);

#endif
