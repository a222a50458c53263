/*
 * window.c - the aggregation engine: time-ordered event buffers and
 * sliding-window cursors for count, sum, mean, min, max, first, last,
 * variance, stddev, count_distinct, first_k, last_k, percentile, the
 * sketches, top_k, min_by and max_by.
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
 *       for lifetime windows (and hopped ones: see the tile section at the
 *       end) only (4 KiB however many distinct values,
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
 * Buffer. Each group state holds its events sorted by time in an array used
 * as a deque: live events are events[head .. head + count). Appending is
 * the common case; an out-of-order event is inserted at its place (after
 * the events of equal time) with memmove. Events are named by absolute
 * index: the number of events evicted before them plus their position, so
 * evicting from the front renames nothing.
 *
 * Cursors. Aggregations with the same window share a cursor: the index
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
 * Eviction. Unless the store keeps history, a read at t evicts the events
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
 * way without a read (fdl_group_state_expire, at the end of the file).
 *
 * Hopped groups (fdl_group_desc.hop > 0) use none of the above: they keep
 * per-tile partial states instead of events (the tile section at the end).
 */
#include "window_internal.h"

/* ---------------------------------------------------------- payloads */

event_string *fdl_window_string_copy(const char *bytes, size_t len)
{
    event_string *s = malloc(sizeof *s + (len ? len : 1));
    if (!s)
        return NULL;
    s->len = len;
    if (len)
        memcpy(s->bytes, bytes, len);
    return s;
}

/* Replaces *slot (owned) by a copy of e. */
bool fdl_window_event_assign(fdl_type type, event *slot, const event *e, bool had_value)
{
    if (type == FDL_STRING) {
        event_string *s = fdl_window_string_copy(e->value.s->bytes, e->value.s->len);
        if (!s)
            return false;
        if (had_value)
            free(slot->value.s);
        slot->time = e->time;
        slot->value.s = s;
        slot->by = e->by;
        return true;
    }
    *slot = *e;
    return true;
}

/* ------------------------------------------------------- event buffer */

/* First position whose time is > key: where an event at key goes. */
static size_t upper_bound(const event *ev, size_t n, fdl_time key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ev[mid].time <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Room for one more event at the back of the array. */
static bool events_reserve(fdl_group_state *g)
{
    if (g->head + g->count < g->capacity)
        return true;
    if (g->head > 0 && g->head >= g->capacity / 2) {
        /* Half the array was evicted since: sliding down is amortized O(1). */
        memmove(g->events, g->events + g->head, g->count * sizeof *g->events);
        g->head = 0;
        return true;
    }
    size_t capacity = g->capacity ? g->capacity * 2 : 4;
    event *events = malloc(capacity * sizeof *events);
    if (!events)
        return false;
    if (g->count)
        memcpy(events, g->events + g->head, g->count * sizeof *events);
    free(g->events);
    g->events = events;
    g->head = 0;
    g->capacity = capacity;
    return true;
}

/* After evictions, give memory back when the array is mostly empty. */
static void events_shrink(fdl_group_state *g)
{
    if (g->capacity <= 64 || g->count >= g->capacity / 8)
        return;
    size_t capacity = 16;
    while (capacity < g->count * 2)
        capacity *= 2;
    event *events = malloc(capacity * sizeof *events);
    if (!events)
        return;                         /* keeping the big array is fine */
    if (g->count)
        memcpy(events, g->events + g->head, g->count * sizeof *events);
    free(g->events);
    g->events = events;
    g->head = 0;
    g->capacity = capacity;
}

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

static void lifetime_base_free(fdl_group_state *g)
{
    free(g->base.first_k);
    free(g->base.last_k);
    free(g->base.hll);
    if (g->type != FDL_STRING || g->base.count == 0)
        return;
    unsigned needs = g->plan->cursor_needs[g->plan->lifetime_cursor];
    if (needs & FDL_NEEDS_MIN)
        free(g->base.min.value.s);
    if (needs & FDL_NEEDS_MAX)
        free(g->base.max.value.s);
    if (needs & FDL_NEEDS_FIRST)
        free(g->base.first.value.s);
    if (needs & FDL_NEEDS_LAST)
        free(g->base.last.value.s);
}

void fdl_group_state_free(fdl_group_state *g)
{
    if (!g)
        return;
    if (g->type == FDL_STRING)
        for (size_t i = 0; i < g->count; i++)
            free(g->events[g->head + i].value.s);
    free(g->events);
    fdl_window_tiles_free(g);
    lifetime_base_free(g);
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

/* ------------------------------------------------------- lifetime base */

/* First position in items[0 .. n) whose time is > key. */
static size_t timed_upper_bound(const timed_number *items, size_t n, fdl_time key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (items[mid].time <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Keeps the first k folded events in (time, arrival) order; an event folded
 * later with an equal time arrived later. Evictions fold in time order and
 * land after the k kept: O(1). A late event may land inside: O(k).
 */
static bool base_first_k_fold(fdl_group_state *g, const event *e)
{
    lifetime_base *b = &g->base;
    size_t k = (size_t)g->plan->lifetime_first_k;
    size_t n = b->first_k_count;
    if (n == k && e->time >= b->first_k[n - 1].time)
        return true;
    if (n < k && n == b->first_k_capacity) {
        size_t capacity = n ? n * 2 : 4;
        if (capacity > k)
            capacity = k;
        timed_number *items = realloc(b->first_k, capacity * sizeof *items);
        if (!items)
            return false;
        b->first_k = items;
        b->first_k_capacity = capacity;
    }
    size_t position = timed_upper_bound(b->first_k, n, e->time);
    if (n == k)
        n--;                            /* the k-th is no longer among the first k */
    memmove(b->first_k + position + 1, b->first_k + position, (n - position) * sizeof *b->first_k);
    b->first_k[position] = (timed_number){e->time, payload_number(g->type, e->value)};
    b->first_k_count = n + 1;
    return true;
}

/*
 * Keeps the last k folded events in order. Evictions append (dropping the
 * oldest by moving the start): amortized O(1), the array holds at most 2k
 * and slides down when the back is reached. A late event may land inside:
 * O(k).
 */
static bool base_last_k_fold(fdl_group_state *g, const event *e)
{
    lifetime_base *b = &g->base;
    size_t k = (size_t)g->plan->lifetime_last_k;
    size_t n = b->last_k_count;
    /* no array before the first fold (NULL + 0 is undefined) */
    size_t position = n ? timed_upper_bound(b->last_k + b->last_k_start, n, e->time) : 0;
    if (n == k) {
        if (position == 0)
            return true;                /* older than the k kept */
        b->last_k_start++;              /* drop the oldest */
        n--;
        position--;
    }
    if (b->last_k_start + n == b->last_k_capacity) {
        size_t most = k * 2;
        if (b->last_k_start > 0 &&
            (b->last_k_start >= b->last_k_capacity / 2 || b->last_k_capacity >= most)) {
            memmove(b->last_k, b->last_k + b->last_k_start, n * sizeof *b->last_k);
            b->last_k_start = 0;
        } else {
            size_t capacity = b->last_k_capacity ? b->last_k_capacity * 2 : 8;
            if (capacity > most)
                capacity = most;
            timed_number *items = realloc(b->last_k, capacity * sizeof *items);
            if (!items)
                return false;
            b->last_k = items;
            b->last_k_capacity = capacity;
        }
    }
    timed_number *items = b->last_k + b->last_k_start;
    memmove(items + position + 1, items + position, (n - position) * sizeof *items);
    items[position] = (timed_number){e->time, payload_number(g->type, e->value)};
    b->last_k_count = n + 1;
    return true;
}

/* Folds an event (evicted, or late) into the lifetime base. */
static void base_fold(fdl_group_state *g, const event *e)
{
    if (g->plan->lifetime_cursor < 0)
        return;
    unsigned needs = g->plan->cursor_needs[g->plan->lifetime_cursor];
    lifetime_base *b = &g->base;
    bool first = b->count == 0;
    bool ok = true;
    if ((needs & FDL_NEEDS_MIN) && (first || extreme_compare(g, e, &b->min, -1) < 0))
        ok &= fdl_window_event_assign(g->type, &b->min, e, !first);
    if ((needs & FDL_NEEDS_MAX) && (first || extreme_compare(g, e, &b->max, 1) > 0))
        ok &= fdl_window_event_assign(g->type, &b->max, e, !first);
    /* Equal times: the one folded later arrived later. */
    if ((needs & FDL_NEEDS_FIRST) && (first || e->time < b->first.time))
        ok &= fdl_window_event_assign(g->type, &b->first, e, !first);
    if ((needs & FDL_NEEDS_LAST) && (first || e->time >= b->last.time))
        ok &= fdl_window_event_assign(g->type, &b->last, e, !first);
    if (needs & FDL_NEEDS_FIRST_K)
        ok &= base_first_k_fold(g, e);
    if (needs & FDL_NEEDS_LAST_K)
        ok &= base_last_k_fold(g, e);
    if (b->hll)
        fdl_hll_add_hash(b->hll, payload_hash(g->type, e->value));
    if (!ok) {
        g->failed = true;
        /* A failed first assignment left nothing owned: stay consistent. */
        if (first)
            return;
    }
    b->count++;
}

/* ------------------------------------------------------------- pushes */

static fdl_status make_payload(fdl_type type, fdl_value value, event_payload *out)
{
    memset(out, 0, sizeof *out);
    if (value.type == FDL_INT64 && type == FDL_FLOAT64)
        value = fdl_float64((double)value.as.i);
    if (value.type != type)
        return FDL_ERR_ARGUMENT;
    switch (type) {
    case FDL_INT64: out->i = value.as.i; break;
    case FDL_FLOAT64:
        if (!isfinite(value.as.f))
            return FDL_ERR_ARGUMENT;
        out->f = value.as.f;
        break;
    case FDL_BOOL: out->b = value.as.b; break;
    case FDL_TIMESTAMP: out->t = value.as.t; break;
    case FDL_STRING:
        if (!value.as.s.ptr && value.as.s.len)
            return FDL_ERR_ARGUMENT;
        out->s = fdl_window_string_copy(value.as.s.ptr, value.as.s.len);
        if (!out->s)
            return FDL_ERR_MEMORY;
        break;
    default:
        return FDL_ERR_ARGUMENT;
    }
    return FDL_OK;
}

fdl_status fdl_group_state_push(fdl_group_state *g, fdl_time time, fdl_value value,
                                fdl_value by, fdl_store_stats *stats)
{
    event e = {time, {0}, {0}};
    if (g->by_type == FDL_NULL && by.type != FDL_NULL)
        return FDL_ERR_ARGUMENT;
    if (g->by_type != FDL_NULL) {
        if (by.type == FDL_NULL || value.type == FDL_NULL)
            return FDL_OK;              /* min_by/max_by skip events missing either value */
        fdl_status status = make_payload(g->by_type, by, &e.by);
        if (status != FDL_OK)
            return status;
    }
    if (g->type != FDL_NULL) {
        if (value.type == FDL_NULL)
            return FDL_OK;              /* aggregations skip nulls */
        fdl_status status = make_payload(g->type, value, &e.value);
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
            base_fold(g, &e);
        }
        if (g->type == FDL_STRING)
            free(e.value.s);
        return FDL_OK;
    }

    if (!events_reserve(g)) {
        if (g->type == FDL_STRING)
            free(e.value.s);
        return FDL_ERR_MEMORY;
    }
    event *ev = live_events(g);
    size_t position = g->count;
    if (g->count > 0 && ev[g->count - 1].time > time) {
        position = upper_bound(ev, g->count, time);
        memmove(ev + position + 1, ev + position, (g->count - position) * sizeof *ev);
        stats->events_out_of_order++;
    }
    ev[position] = e;
    g->count++;
    stats->events_held++;
    if (g->type == FDL_STRING)
        g->string_bytes += sizeof *e.value.s + e.value.s->len;

    fdl_window_cursors_inserted(g, position);
    return FDL_OK;
}

/* -------------------------------------------------------------- reads */

static fdl_time time_minus(fdl_time t, int64_t w)
{
    return t < FDL_TIME_MIN + w ? FDL_TIME_MIN : t - w;
}

/* Drops the events with time < cut and raises the horizon to cut. */
static void evict_before(fdl_group_state *g, fdl_time cut, fdl_store_stats *stats)
{
    if (cut <= g->horizon)
        return;
    g->horizon = cut;
    size_t k = 0;
    while (k < g->count && live_events(g)[k].time < cut)
        k++;
    if (k == 0)
        return;
    int64_t cut_index = g->front + (int64_t)k;
    fdl_window_cursors_evict(g, cut, cut_index);
    for (size_t j = 0; j < k; j++) {
        event *e = &live_events(g)[j];
        base_fold(g, e);
        if (g->type == FDL_STRING) {
            g->string_bytes -= sizeof *e->value.s + e->value.s->len;
            free(e->value.s);
        }
    }
    g->head += k;
    g->count -= k;
    g->front = cut_index;
    stats->events_evicted += k;
    stats->events_held -= k;
    if (g->count == 0)
        g->head = 0;
    events_shrink(g);
}

fdl_status fdl_group_state_read(fdl_group_state *g, int agg, fdl_time t, bool keep_history,
                                fdl_value *out, fdl_store_stats *stats)
{
    if (g->tiles)
        return fdl_window_tiles_read(g, agg, t, keep_history, out, stats);
    const fdl_group_plan *plan = g->plan;
    const fdl_agg_desc *desc = &plan->desc->aggs[agg];
    int cursor_index = plan->agg_cursor[agg];
    bool lifetime = desc->window == 0;
    fdl_time start = lifetime ? FDL_TIME_MIN : time_minus(t, desc->window);
    *out = fdl_null();
    if ((lifetime ? t : start) < g->horizon)
        return FDL_ERR_HISTORY;
    if (g->failed)
        return FDL_ERR_MEMORY;
    /* Evict first: nothing evicted is in this window, and a result never
     * points at a string eviction frees. */
    if (!keep_history)
        evict_before(g, time_minus(t, plan->longest_window), stats);
    fdl_window_cursor_move(g, cursor_index, start, t);
    if (g->failed)
        return FDL_ERR_MEMORY;

    *out = fdl_window_cursor_result(g, agg, cursor_index);
    return g->failed ? FDL_ERR_MEMORY : FDL_OK;
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
    evict_before(g, cut, stats);
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

size_t fdl_group_state_bytes(const fdl_group_state *g)
{
    const fdl_group_plan *plan = g->plan;
    size_t n = sizeof *g + (size_t)plan->ncursors * sizeof(cursor);
    n += g->capacity * sizeof(event) + g->string_bytes;
    for (int i = 0; i < plan->ncursors && !g->tiles; i++)
        n += fdl_window_cursor_bytes(g, &g->cursors[i]);
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
