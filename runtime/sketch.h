/*
 * sketch.h - bounded-memory summaries for approximate aggregations
 * (internal to the runtime).
 *
 * Both sketches are functions of the multiset of values they were given,
 * never of the order: adding the same values in any order, or merging
 * partial sketches in any grouping, gives the same bytes. That is what
 * keeps batch (time order) and serving (arrival order) bit-identical.
 *
 * - fdl_hll: HyperLogLog distinct count, 2^12 one-byte registers (4 KiB);
 *   standard error 1.04 / sqrt(4096) = 1.6%, linear counting below 2.5 m.
 *   Add and merge; no removal.
 * - fdl_ddsketch: relative-error quantiles (DDSketch, Masson et al. 2019):
 *   logarithmic buckets of ratio gamma = (1 + a) / (1 - a); any quantile it
 *   returns is within relative error a of the exact value at that rank.
 *   Add, remove and merge are exact operations on bucket counts.
 */
#ifndef FDL_SKETCH_H
#define FDL_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { FDL_HLL_BITS = 12, FDL_HLL_REGISTERS = 1 << FDL_HLL_BITS };

typedef struct fdl_hll {
    uint8_t registers[FDL_HLL_REGISTERS];
} fdl_hll;

void fdl_hll_clear(fdl_hll *h);
/* Adds a value by its 64-bit hash (a well-mixed hash of its bytes). */
void fdl_hll_add_hash(fdl_hll *h, uint64_t hash);
void fdl_hll_merge(fdl_hll *into, const fdl_hll *from);
/* The estimated number of distinct hashes added, rounded to an integer. */
int64_t fdl_hll_estimate(const fdl_hll *h);

/* The relative accuracy of fdl_ddsketch: 1%. */
#define FDL_DDSKETCH_ACCURACY 0.01

typedef struct fdl_bucket_range {
    int32_t first;              /* index of counts[0] */
    int32_t length, capacity;
    int64_t *counts;
} fdl_bucket_range;

typedef struct fdl_ddsketch {
    fdl_bucket_range positive, negative;  /* negative: buckets of -x */
    int64_t zeros;              /* values with |x| below the smallest bucket */
    int64_t count;
} fdl_ddsketch;

void fdl_ddsketch_init(fdl_ddsketch *s);
void fdl_ddsketch_free(fdl_ddsketch *s);
/* Empties the sketch, keeping its memory for reuse. */
void fdl_ddsketch_clear(fdl_ddsketch *s);
/* Adds (weight 1) or removes (weight -1) a finite value; false when out of
 * memory (the sketch is unchanged). Removing a value never added is the
 * caller's bug. */
bool fdl_ddsketch_update(fdl_ddsketch *s, double value, int weight);
bool fdl_ddsketch_merge(fdl_ddsketch *into, const fdl_ddsketch *from);
/* The value at rank floor(q * (count - 1)), within relative error
 * FDL_DDSKETCH_ACCURACY; false when empty or q is outside [0, 1]. */
bool fdl_ddsketch_quantile(const fdl_ddsketch *s, double q, double *out);

#endif
