/*
 * sketch.c - HyperLogLog and DDSketch (see sketch.h for the guarantees).
 *
 * Every floating-point step runs in a fixed order over fixed inputs (the
 * registers in index order, buckets in value order), so a sketch built
 * from the same values gives the same estimate however it was built.
 */
#include "sketch.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- HyperLogLog */

void fdl_hll_clear(fdl_hll *h)
{
    memset(h->registers, 0, sizeof h->registers);
}

void fdl_hll_add_hash(fdl_hll *h, uint64_t hash)
{
    uint32_t index = (uint32_t)(hash >> (64 - FDL_HLL_BITS));
    uint64_t rest = hash << FDL_HLL_BITS;
    /* The position of the first 1 bit in the remaining 52 bits (53 if none). */
    uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - FDL_HLL_BITS + 1);
    if (rank > h->registers[index])
        h->registers[index] = rank;
}

void fdl_hll_merge(fdl_hll *into, const fdl_hll *from)
{
    for (int i = 0; i < FDL_HLL_REGISTERS; i++)
        if (from->registers[i] > into->registers[i])
            into->registers[i] = from->registers[i];
}

int64_t fdl_hll_estimate(const fdl_hll *h)
{
    const double m = FDL_HLL_REGISTERS;
    double sum = 0.0;
    int zeros = 0;
    for (int i = 0; i < FDL_HLL_REGISTERS; i++) {
        sum += ldexp(1.0, -h->registers[i]);
        zeros += h->registers[i] == 0;
    }
    double alpha = 0.7213 / (1.0 + 1.079 / m);
    double estimate = alpha * m * m / sum;
    /* Small cardinalities: linear counting is far more accurate there. */
    if (estimate <= 2.5 * m && zeros > 0)
        estimate = m * log(m / zeros);
    return (int64_t)llround(estimate);
}

/* -------------------------------------------------------------- DDSketch */

static double gamma_value(void)
{
    return (1.0 + FDL_DDSKETCH_ACCURACY) / (1.0 - FDL_DDSKETCH_ACCURACY);
}

/* Below this magnitude a value counts as zero (its bucket index would not
 * fit); far below anything a feature holds. */
static const double smallest_magnitude = 1e-300;

static int32_t bucket_of(double magnitude)
{
    return (int32_t)ceil(log(magnitude) / log(gamma_value()));
}

/* The value a bucket stands for: its range's point of least relative error. */
static double bucket_value(int32_t index)
{
    double gamma = gamma_value();
    return exp((double)index * log(gamma)) * (2.0 / (1.0 + gamma));
}

void fdl_ddsketch_init(fdl_ddsketch *s)
{
    memset(s, 0, sizeof *s);
}

void fdl_ddsketch_free(fdl_ddsketch *s)
{
    free(s->positive.counts);
    free(s->negative.counts);
    memset(s, 0, sizeof *s);
}

void fdl_ddsketch_clear(fdl_ddsketch *s)
{
    fdl_bucket_range *ranges[] = {&s->positive, &s->negative};
    for (int i = 0; i < 2; i++) {
        if (ranges[i]->capacity > 0)
            memset(ranges[i]->counts, 0, (size_t)ranges[i]->capacity * sizeof *ranges[i]->counts);
        ranges[i]->length = 0;
    }
    s->zeros = s->count = 0;
}

/* Makes the range cover index; false when out of memory. */
static bool range_cover(fdl_bucket_range *r, int32_t index)
{
    if (r->length == 0) {
        if (r->capacity == 0) {
            r->counts = calloc(8, sizeof *r->counts);
            if (!r->counts)
                return false;
            r->capacity = 8;
        }
        r->first = index;
        r->length = 1;
        r->counts[0] = 0;
        return true;
    }
    int32_t low = index < r->first ? index : r->first;
    int32_t high = index >= r->first + r->length ? index + 1 : r->first + r->length;
    int32_t length = high - low;
    if (length > r->capacity) {
        int32_t capacity = r->capacity;
        while (capacity < length)
            capacity *= 2;
        int64_t *counts = realloc(r->counts, (size_t)capacity * sizeof *counts);
        if (!counts)
            return false;
        r->counts = counts;
        r->capacity = capacity;
    }
    if (low < r->first) {
        int32_t shift = r->first - low;
        memmove(r->counts + shift, r->counts, (size_t)r->length * sizeof *r->counts);
        memset(r->counts, 0, (size_t)shift * sizeof *r->counts);
    }
    if (length > r->length) {
        int32_t old_end = (r->first - low) + r->length;
        memset(r->counts + old_end, 0, (size_t)(length - old_end) * sizeof *r->counts);
    }
    r->first = low;
    r->length = length;
    return true;
}

bool fdl_ddsketch_update(fdl_ddsketch *s, double value, int weight)
{
    double magnitude = fabs(value);
    if (!(magnitude >= smallest_magnitude)) {
        s->zeros += weight;
        s->count += weight;
        return true;
    }
    fdl_bucket_range *r = value > 0 ? &s->positive : &s->negative;
    int32_t index = bucket_of(magnitude);
    if (!range_cover(r, index))
        return false;
    r->counts[index - r->first] += weight;
    s->count += weight;
    return true;
}

static bool range_merge(fdl_bucket_range *into, const fdl_bucket_range *from)
{
    if (from->length == 0)
        return true;
    if (!range_cover(into, from->first) || !range_cover(into, from->first + from->length - 1))
        return false;
    for (int32_t i = 0; i < from->length; i++)
        into->counts[from->first + i - into->first] += from->counts[i];
    return true;
}

bool fdl_ddsketch_merge(fdl_ddsketch *into, const fdl_ddsketch *from)
{
    if (!range_merge(&into->positive, &from->positive) ||
        !range_merge(&into->negative, &from->negative))
        return false;
    into->zeros += from->zeros;
    into->count += from->count;
    return true;
}

bool fdl_ddsketch_quantile(const fdl_ddsketch *s, double q, double *out)
{
    if (s->count <= 0 || !(q >= 0.0 && q <= 1.0))
        return false;
    int64_t rank = (int64_t)floor(q * (double)(s->count - 1));
    int64_t seen = 0;
    /* In value order: negatives from the largest magnitude, zeros, positives. */
    for (int32_t i = s->negative.length - 1; i >= 0; i--) {
        seen += s->negative.counts[i];
        if (seen > rank) {
            *out = -bucket_value(s->negative.first + i);
            return true;
        }
    }
    seen += s->zeros;
    if (seen > rank) {
        *out = 0.0;
        return true;
    }
    for (int32_t i = 0; i < s->positive.length; i++) {
        seen += s->positive.counts[i];
        if (seen > rank) {
            *out = bucket_value(s->positive.first + i);
            return true;
        }
    }
    return false;   /* counts do not add up: only after a bad removal */
}
