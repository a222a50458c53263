/*
 * window.h - windowed aggregation state of one group of one entity
 * (internal to the runtime: store.c drives it, window*.c implement it).
 *
 * A group state keeps the group's events in time order (equal times in
 * arrival order) and answers each aggregation of the group over
 * [t - window, t) (lifetime: time < t). Results depend only on the events
 * in the window and their order, never on the history of pushes and reads.
 * See window.c for the algorithms and the eviction rules.
 */
#ifndef FDL_WINDOW_H
#define FDL_WINDOW_H

#include "fdlrt.h"

/*
 * What a store precomputes once per group: aggregations with the same
 * window share one cursor (a position in the event buffer with running
 * accumulators).
 */
typedef struct fdl_group_plan {
    const fdl_group_desc *desc;
    int ncursors;
    int64_t *cursor_window;             /* per cursor; 0 = lifetime */
    unsigned *cursor_needs;             /* per cursor: FDL_NEEDS_* bits */
    int *agg_cursor;                    /* per aggregation: its cursor */
    int lifetime_cursor;                /* -1 when no lifetime aggregation */
    int64_t longest_window;             /* W: longest finite window, 0 if none */
    int64_t lifetime_first_k;           /* largest k of lifetime first_k, 0 if none */
    int64_t lifetime_last_k;            /* largest k of lifetime last_k, 0 if none */
    unsigned tile_needs;                /* hopped groups: FDL_NEEDS_* of every tile */
    /* hopped groups: how many of its largest / smallest values a tile keeps
     * (the largest k of max_k / min_k), 0 if none */
    int64_t tile_max_k, tile_min_k;
} fdl_group_plan;

enum {
    FDL_NEEDS_SUM = 1,                  /* sum or mean */
    FDL_NEEDS_MIN = 2,
    FDL_NEEDS_MAX = 4,
    FDL_NEEDS_FIRST = 8,
    FDL_NEEDS_LAST = 16,
    FDL_NEEDS_MOMENTS = 32,             /* variance or stddev: exact sums of x and x*x */
    FDL_NEEDS_DISTINCT = 64,            /* count_distinct: value -> multiplicity map */
    FDL_NEEDS_SORTED = 128,             /* percentile: the values in sorted order */
    FDL_NEEDS_FIRST_K = 256,            /* first_k: lifetime base keeps the first k */
    FDL_NEEDS_LAST_K = 512,             /* last_k: lifetime base keeps the last k */
    FDL_NEEDS_SKETCH = 1024,            /* approx_percentile: a DDSketch of the values */
    FDL_NEEDS_HLL = 2048,               /* approx_count_distinct: a HyperLogLog (lifetime, or per tile) */
    FDL_NEEDS_HIGHER_MOMENTS = 4096,    /* skewness, kurtosis: also exact sums of x^3 and x^4 */
};

/* Checks the group description and builds its plan; FDL_ERR_ARGUMENT
 * (message in err) when an aggregation does not fit its value type. */
fdl_status fdl_group_plan_init(fdl_group_plan *plan, const fdl_group_desc *desc,
                               fdl_error *err);
void fdl_group_plan_free(fdl_group_plan *plan);

typedef struct fdl_group_state fdl_group_state;

fdl_group_state *fdl_group_state_new(const fdl_group_plan *plan);
void fdl_group_state_free(fdl_group_state *group);

/*
 * Pushes one event (see fdl_group_push; by is null for groups without a
 * by_type). Updates events_held,
 * events_late, events_out_of_order and events_evicted in stats.
 * FDL_ERR_ARGUMENT for a value of the wrong type or a non-finite float.
 */
fdl_status fdl_group_state_push(fdl_group_state *group, fdl_time time, fdl_value value,
                                fdl_value by, fdl_store_stats *stats);

/*
 * Reads aggregation agg as of t (see fdl_group_read). A vector result
 * (first_k, last_k) points into the group state and stays valid until the
 * next call on the group. Unless keep_history,
 * evicts the events no later read at >= t can see. FDL_ERR_HISTORY when
 * the window reaches before events already evicted.
 */
fdl_status fdl_group_state_read(fdl_group_state *group, int agg, fdl_time t,
                                bool keep_history, fdl_value *out, fdl_store_stats *stats);

/* The result of an aggregation over no events: count, count_distinct and
 * sum 0, else null. */
fdl_value fdl_group_empty_result(const fdl_agg_desc *agg);

/* Events currently buffered. */
size_t fdl_group_state_events(const fdl_group_state *group);

/* Tiles currently held (hopped groups; 0 for the others). */
size_t fdl_group_state_tiles(const fdl_group_state *group);

/*
 * The store's watermark (store.c: the newest event time less the store's
 * lateness; FDL_TIME_MIN while there is none) cuts every group at
 * watermark - W (W: its longest finite window; by tile for hopped groups).
 *
 * fdl_group_read_expired: whether a read of agg as of t reaches before the
 * cut (the store refuses it, FDL_ERR_HISTORY, held state or not).
 * fdl_group_state_expire: evicts what is before the cut and raises the
 * horizon to it, exactly as a read would (lifetime aggregations keep
 * their totals); true when it changed anything.
 * fdl_group_state_empty: the state holds no event, tile or lifetime total,
 * and its horizon is not past the cut: dropping it and starting over
 * changes no result the store still gives.
 */
bool fdl_group_read_expired(const fdl_group_plan *plan, int agg, fdl_time t, fdl_time watermark);
bool fdl_group_state_expire(fdl_group_state *group, fdl_time watermark, fdl_store_stats *stats);
bool fdl_group_state_empty(const fdl_group_state *group, fdl_time watermark);

/* Bytes the state holds by its own accounting: its structs, arrays and
 * event strings at their capacity (not malloc's overhead, nor the sketch
 * buckets and heap partials of tiles). */
size_t fdl_group_state_bytes(const fdl_group_state *group);

#endif
