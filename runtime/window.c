/*
 * window.c - the aggregation engine's entry points (window.h: a group
 * state's lifecycle, push, read, the store's watermark, byte accounting),
 * and the semantics every file of the engine keeps: time-ordered event
 * buffers and sliding-window cursors for count, sum, mean, min, max,
 * first, last, variance, stddev, count_distinct, first_k, last_k,
 * percentile, the sketches, top_k, min_by and max_by. The engine's files
 * (their shared structs and invariants: window_internal.h):
 *
 *   window.c         entry points; a push or read goes to the buffer and
 *                    cursors, or to the tiles of a hopped group
 *   window_plan.c    group plans (fdl_group_plan_init)
 *   window_buffer.c  the event buffer, inserts, eviction, the lifetime base
 *   window_cursor.c  cursors, their accumulators, reads of exact windows
 *   window_result.c  result functions shared by cursor and tile reads
 *   window_tiles.c   hopped groups: tiles
 *
 * Semantics. A read at t of an aggregation with window w covers the events
 * with t - w <= time < t (lifetime: time < t). Events are ordered by time;
 * equal times keep arrival order (the later input row is the later event).
 * count and sum are exact (int64 sums in 128 bits, null when the sum leaves
 * int64; float sums exact and correctly rounded, see xsum.h), mean is the
 * rounded exact sum divided by the count, min/max use a total order (for
 * floats -0.0 < +0.0), first/last are the earliest/latest events. So a
 * result depends only on the events in the window and their order.
 *
 * More aggregations, all functions of the window's multiset of values (or,
 * for first_k/last_k, of its ordered events):
 *   variance/stddev  sample variance (divide by n - 1), null below 2 values.
 *       The cursor keeps exact sums S1 = sum x and S2 = sum x*x (each x*x
 *       added exactly as two doubles, p = x*x and fma(x, x, -p); int64
 *       values beyond 2^53 are first split into two exact doubles). A read
 *       takes the canonical expansions of S1 and S2 (xsum.h: they depend on
 *       the values only, not on the order of updates), scales them by a power
 *       of two so nothing overflows, forms the numerator N = n*S2 - S1^2
 *       exactly with two-products, rounds it once, divides by n*(n-1) and
 *       scales back: within about 1 ulp of the exact variance (2 roundings;
 *       3 when n*(n-1) >= 2^53). Any value with |x| >= 2^511 (x*x would
 *       overflow) makes the result null, and values below about 2^-510 lose
 *       part of x*x to underflow (still deterministic: the same value always
 *       contributes the same doubles). A negative numerator (only possible
 *       through that underflow) gives 0. stddev = sqrt. O(1) per add/remove,
 *       O(p^2) per read for p canonical parts (1 to 3 in practice).
 *   count_distinct  exact: a hash map value -> multiplicity per cursor
 *       (owned string copies), -0.0 and +0.0 count as one value. O(1)
 *       expected per add/remove. For lifetime it holds every distinct value
 *       ever seen, evicted ones included: memory grows with distinct values.
 *   percentile  numpy's "linear" method over the values as float64 (int64
 *       converted, exact up to 2^53) sorted by the total order: h = (n-1)p,
 *       x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]); exactly
 *       x[h] when h is an integer. The cursor keeps a sorted array: O(log n)
 *       search plus an O(n) memmove per add/remove, O(1) per read. Lifetime
 *       keeps every value ever seen (exact percentiles need them).
 *   approx_percentile  the value at rank floor(p (n - 1)) within 1% relative
 *       error, from a DDSketch (sketch.h) of the values: logarithmic buckets
 *       whose counts add and subtract exactly, so it is a function of the
 *       multiset like the rest. O(1) per add/remove (amortized: a bucket
 *       range may grow), O(buckets) per read; memory grows with the
 *       logarithm of the values' range, not with their number, also for
 *       lifetime.
 *   approx_count_distinct  a HyperLogLog (sketch.h) of the values' hashes,
 *       for lifetime windows (and hopped ones: see window_tiles.c)
 *       only (4 KiB however many distinct values,
 *       where count_distinct keeps them all). The registers are a max over
 *       hashes, so they depend on the set of values only. HLL cannot
 *       remove: a read earlier than the previous one (which takes events
 *       out of the lifetime range) marks it stale, and the next read
 *       rebuilds it from a HyperLogLog of the evicted events kept in the
 *       base plus the live events in range.
 *   top_k  the k most frequent values with their counts, from the same
 *       value -> multiplicity map as count_distinct: O(d log d) per read for
 *       d distinct values (a merge sort by count, then value), written as
 *       JSON text into a buffer of the aggregation, valid until its next
 *       read.
 *   percentile lists  (npercentiles > 0) a vector with one percentile or
 *       approx_percentile per listed p, each computed exactly as the one-p
 *       form from the same sorted array / sketch, into a buffer of the
 *       aggregation (as first_k's vectors).
 *   min_by/max_by  the value of the event whose by-value (a second payload
 *       each event of a by-group carries) is smallest / largest. They reuse
 *       min/max's monotonic deques and lifetime base, ordered by
 *       extreme_compare: the by-value, then the later event, then the
 *       larger value, a total order on what the result can tell apart, so
 *       the pick depends only on the window's events. A by-group holds
 *       min_by/max_by only.
 *   first_k/last_k  the values (as float64) of the k earliest / latest
 *       events, read straight from the time-ordered buffer in O(k). The
 *       lifetime base keeps the first k and the last k events it folded.
 *       The vector lives in the group state, one buffer per aggregation,
 *       until the next read of the same aggregation (or the state's end).
 *
 * Buffer (window_buffer.c). Each group state holds its events sorted by time in an array used
 * as a deque: live events are events[head .. head + count). Appending is
 * the common case; an out-of-order event is inserted at its place (after
 * the events of equal time) with memmove. Events are named by absolute
 * index: the number of events evicted before them plus their position, so
 * evicting from the front renames nothing.
 *
 * Cursors (window_cursor.c). Aggregations with the same window share a cursor: the index
 * range [lo, hi) of the events with start <= time < end, where [start, end)
 * is the window of the cursor's last read, with the running count and sum
 * of that range and, for min/max, monotonic deques of indexes. A read moves
 * both ends to the new window, adding and removing events (the sums are
 * exact, so any direction works), or rebuilds the range when that is
 * cheaper. Monotone reads cost amortized O(1). min/max deques follow
 * forward moves; a backward move or an insert inside the range invalidates
 * them and the next min/max read rebuilds them by scanning the range
 * (O(window)). An insert keeps every cursor's invariant: before its range
 * it shifts the indexes, inside it adds the event.
 *
 * Eviction (window_buffer.c). Unless the store keeps history, a read at t evicts the events
 * with time < t - W (W: the group's longest finite window, 0 if none),
 * which no read at or after t can see, and raises the group's horizon to
 * t - W. A later read whose window starts before the horizon (lifetime:
 * whose t is before it) fails with FDL_ERR_HISTORY instead of answering
 * from incomplete data. Lifetime aggregations stay exact: evicted events
 * are folded into a base (count, sum, min, max, first, last, first k,
 * last k) that the lifetime cursor includes; accumulators (sums, moments,
 * the distinct map, the sorted values) of the lifetime cursor simply keep
 * the evicted events, since that cursor never rebuilds. An event older than
 * the horizon (late) can only matter to lifetime aggregations and goes
 * straight into the base. The store's watermark expires a group the same
 * way without a read (fdl_group_state_expire, below).
 *
 * Hopped groups (fdl_group_desc.hop > 0) use none of the above: they keep
 * per-tile partial states instead of events (window_tiles.c).
 */
#include "window_internal.h"

/* ------------------------------------------------------- group state */

fdl_group_state *fdl_group_state_new(const fdl_group_plan *plan)
{
    fdl_group_state *g = calloc(1, sizeof *g + (size_t)plan->ncursors * sizeof(cursor));
    if (!g)
        return NULL;
    g->plan = plan;
    g->type = plan->desc->value_type;
    g->by_type = plan->desc->by_type;
    g->horizon = FDL_TIME_MIN;
    if (plan->desc->hop > 0) {
        /* No events and no cursors: every aggregation reads the tiles. */
        if (!(g->tiles = fdl_window_tiles_new(plan))) {
            free(g);
            return NULL;
        }
        return g;
    }
    if (!fdl_window_cursors_init(g)) {
        fdl_group_state_free(g);
        return NULL;
    }
    return g;
}

void fdl_group_state_free(fdl_group_state *g)
{
    if (!g)
        return;
    fdl_window_buffer_free(g);
    fdl_window_tiles_free(g);
    fdl_window_cursors_free(g);
    if (g->vectors)
        for (int i = 0; i < g->plan->desc->naggs; i++)
            free(g->vectors[i].items);
    free(g->vectors);
    if (g->texts)
        for (int i = 0; i < g->plan->desc->naggs; i++)
            free(g->texts[i].bytes);
    free(g->texts);
    free(g);
}

size_t fdl_group_state_events(const fdl_group_state *g)
{
    return g->count;
}

size_t fdl_group_state_tiles(const fdl_group_state *g)
{
    return g->tiles ? fdl_window_tiles_count(g->tiles) : 0;
}

/* ------------------------------------------------------------- pushes */

fdl_status fdl_group_state_push(fdl_group_state *g, fdl_time time, fdl_value value,
                                fdl_value by, fdl_store_stats *stats)
{
    event e = {time, {0}, {0}};
    if (g->by_type == FDL_NULL && by.type != FDL_NULL)
        return FDL_ERR_ARGUMENT;
    if (g->by_type != FDL_NULL) {
        if (by.type == FDL_NULL || value.type == FDL_NULL)
            return FDL_OK;              /* min_by/max_by skip events missing either value */
        fdl_status status = fdl_window_make_payload(g->by_type, by, &e.by);
        if (status != FDL_OK)
            return status;
    }
    if (g->type != FDL_NULL) {
        if (value.type == FDL_NULL)
            return FDL_OK;              /* aggregations skip nulls */
        fdl_status status = fdl_window_make_payload(g->type, value, &e.value);
        if (status != FDL_OK)
            return status;
    }
    const fdl_group_plan *plan = g->plan;
    if (g->tiles)
        return fdl_window_tiles_push(g, &e, stats);

    if (time < g->horizon) {
        /* Late: only lifetime aggregations can still see it. */
        stats->events_late++;
        int l = plan->lifetime_cursor;
        if (l >= 0) {
            cursor *c = &g->cursors[l];
            fdl_window_cursor_add(g, c, &e, plan->cursor_needs[l]);
            fdl_window_base_fold(g, &e);
            cursor_check(g, l);
        }
        if (g->type == FDL_STRING)
            free(e.value.s);
        return FDL_OK;
    }
    return fdl_window_insert(g, &e, stats);
}

/* -------------------------------------------------------------- reads */

fdl_status fdl_group_state_read(fdl_group_state *g, int agg, fdl_time t, bool keep_history,
                                fdl_value *out, fdl_store_stats *stats)
{
    if (g->tiles)
        return fdl_window_tiles_read(g, agg, t, keep_history, out, stats);
    return fdl_window_cursor_read(g, agg, t, keep_history, out, stats);
}

/* ------------------------------------------------- the store's watermark */

/*
 * Time moves forward for the whole store (store.c): with the watermark m
 * (the newest event time minus the store's lateness), a read whose window
 * starts before m - W (W: the group's longest finite window; lifetime:
 * whose t is before it) is refused for every entity, held or not, so the
 * events before m - W can go, and a state holding nothing newer can go
 * whole. Hopped groups do the same by tile index. FDL_TIME_MIN: no cut.
 */
static fdl_time watermark_cut(const fdl_group_plan *plan, fdl_time watermark)
{
    return time_minus(watermark, plan->longest_window);
}

bool fdl_group_read_expired(const fdl_group_plan *plan, int agg, fdl_time t, fdl_time watermark)
{
    const fdl_agg_desc *desc = &plan->desc->aggs[agg];
    if (watermark == FDL_TIME_MIN)
        return false;
    if (plan->desc->hop > 0)
        return fdl_window_tiles_read_expired(plan, agg, t, watermark);
    fdl_time start = desc->window == 0 ? t : time_minus(t, desc->window);
    return start < watermark_cut(plan, watermark);
}

bool fdl_group_state_expire(fdl_group_state *g, fdl_time watermark, fdl_store_stats *stats)
{
    if (watermark == FDL_TIME_MIN)
        return false;
    if (g->tiles)
        return fdl_window_tiles_expire(g, watermark, stats);
    fdl_time cut = watermark_cut(g->plan, watermark);
    if (cut <= g->horizon)
        return false;
    fdl_window_evict_before(g, cut, stats);
    return true;
}

bool fdl_group_state_empty(const fdl_group_state *g, fdl_time watermark)
{
    if (g->failed || watermark == FDL_TIME_MIN)
        return false;
    /* A horizon a read raised past the store's cut is a promise (reads
     * before it fail) that dropping the state would forget. */
    if (g->tiles)
        return fdl_window_tiles_empty(g, watermark);
    int l = g->plan->lifetime_cursor;
    if (g->count > 0 || (l >= 0 && (g->cursors[l].count > 0 || g->base.count > 0)))
        return false;
    return g->horizon <= watermark_cut(g->plan, watermark);
}

static size_t cursor_bytes(const fdl_group_state *g, const cursor *c)
{
    size_t n = g->type == FDL_FLOAT64 ? xsum_bytes(&c->sum.f) : 0;
    if (c->extremes)
        n += sizeof *c->extremes +
             ((size_t)c->extremes->min.capacity + c->extremes->max.capacity) * sizeof(int64_t);
    if (c->moments)
        n += sizeof *c->moments + xsum_bytes(&c->moments->sum) + xsum_bytes(&c->moments->squares) +
             xsum_bytes(&c->moments->cubes) + xsum_bytes(&c->moments->fourths);
    if (c->distinct)
        n += sizeof *c->distinct + c->distinct->capacity * sizeof(distinct_entry);
    if (c->sorted)
        n += sizeof *c->sorted + c->sorted->capacity * sizeof(double);
    if (c->sketch)
        n += sizeof *c->sketch + sketch_bytes(c->sketch);
    if (c->hll)
        n += sizeof *c->hll;
    return n;
}

size_t fdl_group_state_bytes(const fdl_group_state *g)
{
    const fdl_group_plan *plan = g->plan;
    size_t n = sizeof *g + (size_t)plan->ncursors * sizeof(cursor);
    n += g->capacity * sizeof(event) + g->string_bytes;
    for (int i = 0; i < plan->ncursors && !g->tiles; i++)
        n += cursor_bytes(g, &g->cursors[i]);
    n += (g->base.first_k_capacity + g->base.last_k_capacity) * sizeof(timed_number);
    if (g->base.hll)
        n += sizeof *g->base.hll;
    size_t naggs = (size_t)plan->desc->naggs;
    if (g->vectors) {
        n += naggs * sizeof *g->vectors;
        for (size_t i = 0; i < naggs; i++)
            n += g->vectors[i].capacity * sizeof(double);
    }
    if (g->texts) {
        n += naggs * sizeof *g->texts;
        for (size_t i = 0; i < naggs; i++)
            n += g->texts[i].capacity;
    }
    if (g->tiles)
        n += fdl_window_tiles_bytes(g->tiles);
    return n;
}
