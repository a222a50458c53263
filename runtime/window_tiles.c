/*
 * window_tiles.c - the tile engine of hopped groups (fdl_group_desc.hop >
 * 0): per tile of time a partial state that merges exactly, pushes into
 * it, reads that merge a window's tiles and answer through
 * window_result.c's functions, eviction by tile index (reads and the
 * store's watermark), and the tiles' byte accounting.
 */
#include "window_internal.h"
#include "window_snapshot.h"

/*
 * Hopped groups (fdl_group_desc.hop = H > 0) trade exactness of the window's
 * ends for memory bounded by time instead of by events. Tile k is the time
 * interval [k H, (k + 1) H), k = floor(time / H) (aligned to the epoch,
 * also before it). A group keeps no events, only, per tile holding any, a
 * partial state of its events that merges exactly with another tile's:
 * count, the int64 sum (128 bits) or the float64 sum (an exact xsum), min,
 * max, first, last (first/last by time, equal times by arrival, as in the
 * event buffer; in a min_by/max_by group min and max are the events with
 * the smallest and largest (by, time, value) under extreme_compare), the moments for variance (exact sums of x and x*x), a
 * DDSketch (approx_percentile) and a HyperLogLog (approx_count_distinct).
 *
 * A read at t of window W (a multiple of H) covers the tiles
 * [e - W/H, e), e = floor(t / H): the events with e H - W <= time < e H.
 * The tile t falls in is never read, so an event at or after t never
 * counts, as for exact windows. The result is the same function of those
 * events as over an exact window: sums, moments and sketch counts merge
 * exactly (and xsum results and canonical parts depend on the value only),
 * min/max (and min_by/max_by) use a total order, HLL registers take a max. So the order in
 * which events arrived (out of order ones included) and the order of the
 * merges never change a result, and batch and serving agree bit for bit.
 *
 * Tiles are kept in an array sorted by index (appending is the common
 * case; an out-of-order event may insert a tile with memmove); when a newer
 * tile starts, the previous one's exact sums shrink to their canonical
 * parts (same values, no heap). A read
 * evicts the tiles no later read can see (index < e - W_longest/H, unless
 * the store keeps history) and raises the horizon there; a read reaching
 * before the horizon fails with FDL_ERR_HISTORY, and an event older than
 * the horizon is late and dropped (no lifetime aggregation can be hopped).
 */

typedef struct tile {
    int64_t index;                      /* covers [index H, (index + 1) H) */
    int64_t count;
    union {
        int128 i;
        fdl_xsum f;
    } sum;                              /* FDL_NEEDS_SUM */
    event min, max, first, last;        /* owned copies (strings duplicated) */
    cursor_moments moments;             /* FDL_NEEDS_MOMENTS */
    fdl_ddsketch sketch;                /* FDL_NEEDS_SKETCH */
    fdl_hll *hll;                       /* FDL_NEEDS_HLL, else NULL */
    /* max_k / min_k: the tile's plan->tile_max_k largest values, largest
     * first, and tile_min_k smallest, smallest first (NULL until needed) */
    double *largest, *smallest;
    int64_t nlargest, nsmallest;
} tile;

typedef struct tile_set {
    tile *items;                        /* sorted by index */
    size_t count, capacity;
    int64_t horizon;                    /* tile index: those below were evicted */
    fdl_time newest;                    /* latest event time pushed */
    bool any;                           /* an event was pushed */
    /* Scratch states of reads, kept for reuse. */
    fdl_hll *merged_hll;
    fdl_ddsketch merged_sketch;
} tile_set;

struct tile_set *fdl_window_tiles_new(const fdl_group_plan *plan)
{
    tile_set *ts = calloc(1, sizeof *ts);
    if (!ts)
        return NULL;
    ts->horizon = INT64_MIN;
    fdl_ddsketch_init(&ts->merged_sketch);
    if ((plan->tile_needs & FDL_NEEDS_HLL) && !(ts->merged_hll = calloc(1, sizeof *ts->merged_hll))) {
        free(ts);
        return NULL;
    }
    return ts;
}

size_t fdl_window_tiles_count(const struct tile_set *ts)
{
    return ts->count;
}

/* floor(a / b) for b > 0. */
static int64_t floor_divide(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t saturating_minus(int64_t a, int64_t b)
{
    return a < INT64_MIN + b ? INT64_MIN : a - b;
}

static void tile_release(fdl_group_state *g, tile *t)
{
    unsigned needs = g->plan->tile_needs;
    if (g->type == FDL_FLOAT64 && (needs & FDL_NEEDS_SUM))
        fdl_xsum_free(&t->sum.f);
    if (g->type == FDL_STRING && t->count > 0) {
        if (needs & FDL_NEEDS_MIN)
            free(t->min.value.s);
        if (needs & FDL_NEEDS_MAX)
            free(t->max.value.s);
        if (needs & FDL_NEEDS_FIRST)
            free(t->first.value.s);
        if (needs & FDL_NEEDS_LAST)
            free(t->last.value.s);
    }
    fdl_window_moments_clear(&t->moments);
    fdl_ddsketch_free(&t->sketch);
    free(t->hll);
    free(t->largest);
    free(t->smallest);
}

void fdl_window_tiles_free(fdl_group_state *g)
{
    tile_set *ts = g->tiles;
    if (!ts)
        return;
    for (size_t i = 0; i < ts->count; i++)
        tile_release(g, &ts->items[i]);
    free(ts->items);
    free(ts->merged_hll);
    fdl_ddsketch_free(&ts->merged_sketch);
    free(ts);
    g->tiles = NULL;
}

/* The tile set's invariant: count <= capacity, tiles strictly increasing
 * by index (checked where a tile lands: against its neighbours), none
 * below the horizon. O(1). */
static void tiles_check(const tile_set *ts)
{
    assert(ts->count <= ts->capacity && (ts->capacity == 0 || ts->items));
    assert(ts->count == 0 || ts->items[0].index >= ts->horizon);
    (void)ts;
}

/* First position in the tiles whose index is >= key. */
static size_t tiles_lower_bound(const tile_set *ts, int64_t key)
{
    size_t lo = 0, hi = ts->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts->items[mid].index < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The total order of float64 values (-0.0 before +0.0), for qsort. */
static int total_order(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (x != y)
        return x < y ? -1 : 1;
    return (signbit(y) != 0) - (signbit(x) != 0);
}

/* Keeps x among the `limit` values of items (count of them) that come first
 * in the order `sign` * total_order (1: smallest first, -1: largest first):
 * the tile's best k, which merge exactly (the window's best k are among its
 * tiles' best k). false when out of memory. */
static bool bounded_insert(double **items, int64_t *count, int64_t limit, double x, int sign)
{
    assert(limit > 0 && *count <= limit);
    if (!*items && !(*items = malloc((size_t)limit * sizeof **items)))
        return false;
    double *v = *items;
    int64_t p = *count;
    while (p > 0 && sign * total_order(&x, &v[p - 1]) < 0)
        p--;
    if (p >= limit)
        return true;                    /* not among the best */
    int64_t keep = *count < limit ? *count : limit - 1;
    memmove(v + p + 1, v + p, (size_t)(keep - p) * sizeof *v);
    v[p] = x;
    *count = keep + 1;
    return true;
}

/* Adds an event to its tile's partial state. */
static void tile_add(fdl_group_state *g, tile *t, const event *e)
{
    unsigned needs = g->plan->tile_needs;
    bool first = t->count == 0;
    bool ok = true;
    if (needs & FDL_NEEDS_SUM) {
        if (g->type == FDL_INT64)
            t->sum.i += e->value.i;
        else if (g->type == FDL_FLOAT64)
            ok &= fdl_xsum_add(&t->sum.f, e->value.f);
    }
    if ((needs & FDL_NEEDS_MIN) && (first || extreme_compare(g, e, &t->min, -1) < 0))
        ok &= fdl_window_event_assign(g->type, &t->min, e, !first);
    if ((needs & FDL_NEEDS_MAX) && (first || extreme_compare(g, e, &t->max, 1) > 0))
        ok &= fdl_window_event_assign(g->type, &t->max, e, !first);
    /* Equal times: the one pushed later arrived later, as in the event buffer. */
    if ((needs & FDL_NEEDS_FIRST) && (first || e->time < t->first.time))
        ok &= fdl_window_event_assign(g->type, &t->first, e, !first);
    if ((needs & FDL_NEEDS_LAST) && (first || e->time >= t->last.time))
        ok &= fdl_window_event_assign(g->type, &t->last, e, !first);
    if (needs & FDL_NEEDS_MOMENTS)
        ok &= fdl_window_moments_update(g->type, &t->moments, e->value, 1);
    if (needs & FDL_NEEDS_SKETCH)
        ok &= fdl_ddsketch_update(&t->sketch, payload_number(g->type, e->value), 1);
    if (t->hll)
        fdl_hll_add_hash(t->hll, payload_hash(g->type, e->value));
    if (g->plan->tile_max_k > 0)
        ok &= bounded_insert(&t->largest, &t->nlargest, g->plan->tile_max_k,
                             payload_number(g->type, e->value), -1);
    if (g->plan->tile_min_k > 0)
        ok &= bounded_insert(&t->smallest, &t->nsmallest, g->plan->tile_min_k,
                             payload_number(g->type, e->value), 1);
    if (!ok) {
        g->failed = true;
        /* A failed first assignment left nothing owned: stay consistent. */
        if (first)
            return;
    }
    t->count++;
}

/*
 * Rewrites an exact sum as its canonical parts (xsum.h), which sum exactly
 * to the same value in fewer doubles (1 to 3 in practice, inline): a tile
 * no longer written to stops holding heap partials. Results depend on the
 * sums' values only, so nothing a read sees changes. Kept as it is when
 * the value is not a finite double or memory runs out.
 */
static void xsum_compact(fdl_xsum *sum)
{
    enum { PARTS_MAX = 64 };
    double parts[PARTS_MAX];
    if (!sum->low.heap && !sum->high)
        return;                         /* already small */
    int n = fdl_xsum_canonical(sum, parts, PARTS_MAX);
    if (n < 0)
        return;
    fdl_xsum compact;
    fdl_xsum_init(&compact);
    for (int i = 0; i < n; i++)
        if (!fdl_xsum_add(&compact, parts[i])) {
            fdl_xsum_free(&compact);
            return;
        }
    fdl_xsum_free(sum);
    *sum = compact;
}

static void tile_compact(fdl_group_state *g, tile *t)
{
    unsigned needs = g->plan->tile_needs;
    if (g->type == FDL_FLOAT64 && (needs & FDL_NEEDS_SUM))
        xsum_compact(&t->sum.f);
    if (needs & FDL_NEEDS_MOMENTS) {
        xsum_compact(&t->moments.sum);
        xsum_compact(&t->moments.squares);
        xsum_compact(&t->moments.cubes);
        xsum_compact(&t->moments.fourths);
    }
}

fdl_status fdl_window_tiles_push(fdl_group_state *g, event *e, fdl_store_stats *stats)
{
    tile_set *ts = g->tiles;
    int64_t index = floor_divide(e->time, g->plan->desc->hop);
    fdl_status status = FDL_OK;
    if (index < ts->horizon) {
        stats->events_late++;           /* no read can see its tile any more */
        goto done;
    }
    if (ts->any && e->time < ts->newest)
        stats->events_out_of_order++;
    else
        ts->newest = e->time;
    ts->any = true;
    size_t position = ts->count > 0 && ts->items[ts->count - 1].index < index
                          ? ts->count
                          : tiles_lower_bound(ts, index);
    if (position == ts->count || ts->items[position].index != index) {
        if (ts->count == ts->capacity) {
            size_t capacity = ts->capacity ? ts->capacity * 2 : 4;
            tile *items = realloc(ts->items, capacity * sizeof *items);
            if (!items) {
                status = FDL_ERR_MEMORY;
                goto done;
            }
            ts->items = items;
            ts->capacity = capacity;
        }
        tile fresh;
        memset(&fresh, 0, sizeof fresh);
        fresh.index = index;
        fresh.moments.higher = (g->plan->tile_needs & FDL_NEEDS_HIGHER_MOMENTS) != 0;
        fdl_ddsketch_init(&fresh.sketch);
        if ((g->plan->tile_needs & FDL_NEEDS_HLL) && !(fresh.hll = calloc(1, sizeof *fresh.hll))) {
            status = FDL_ERR_MEMORY;
            goto done;
        }
        /* A new newest tile: the one before it is mostly complete now. */
        if (position == ts->count && position > 0)
            tile_compact(g, &ts->items[position - 1]);
        memmove(ts->items + position + 1, ts->items + position,
                (ts->count - position) * sizeof *ts->items);
        ts->items[position] = fresh;
        ts->count++;
        stats->tiles_held++;
    }
    assert(ts->items[position].index == index);
    assert(position == 0 || ts->items[position - 1].index < index);
    assert(position + 1 == ts->count || ts->items[position + 1].index > index);
    tiles_check(ts);
    tile_add(g, &ts->items[position], e);
done:
    if (g->type == FDL_STRING)
        free(e->value.s);
    return status;
}

/* Drops the tiles below index cut and raises the horizon to it. */
static void tiles_evict_before(fdl_group_state *g, int64_t cut, fdl_store_stats *stats)
{
    tile_set *ts = g->tiles;
    if (cut <= ts->horizon)
        return;
    ts->horizon = cut;                  /* only ever raised */
    size_t k = tiles_lower_bound(ts, cut);
    if (k == 0) {
        tiles_check(ts);
        return;
    }
    for (size_t i = 0; i < k; i++)
        tile_release(g, &ts->items[i]);
    memmove(ts->items, ts->items + k, (ts->count - k) * sizeof *ts->items);
    ts->count -= k;
    stats->tiles_held -= k;
    if (ts->capacity > 64 && ts->count * 8 < ts->capacity) {
        tile *items = realloc(ts->items, ts->capacity / 4 * sizeof *items);
        if (items) {                    /* keeping the big array is fine */
            ts->items = items;
            ts->capacity /= 4;
        }
    }
    tiles_check(ts);
}

fdl_status fdl_window_tiles_read(fdl_group_state *g, int agg, fdl_time t, bool keep_history,
                                 fdl_value *out, fdl_store_stats *stats)
{
    const fdl_group_plan *plan = g->plan;
    const fdl_agg_desc *desc = &plan->desc->aggs[agg];
    tile_set *ts = g->tiles;
    int64_t hop = plan->desc->hop;
    int64_t end = floor_divide(t, hop);         /* tiles [start, end), as indexes */
    int64_t start = saturating_minus(end, desc->window / hop);
    *out = fdl_null();
    if (start < ts->horizon)
        return FDL_ERR_HISTORY;
    if (g->failed)
        return FDL_ERR_MEMORY;
    if (!keep_history)
        tiles_evict_before(g, saturating_minus(end, plan->longest_window / hop), stats);
    size_t lo = tiles_lower_bound(ts, start), hi = tiles_lower_bound(ts, end);
    assert(lo <= hi && hi <= ts->count);
    const tile *items = ts->items;

    /* The window's state, merged from its tiles; fdl_window_sum_value,
     * fdl_window_mean_value and fdl_window_variance_value read it as they
     * read a cursor. */
    cursor merged;
    memset(&merged, 0, sizeof merged);
    cursor_moments moments;
    memset(&moments, 0, sizeof moments);
    moments.higher = (g->plan->tile_needs & FDL_NEEDS_HIGHER_MOMENTS) != 0;
    merged.moments = &moments;
    bool ok = true;
    for (size_t i = lo; i < hi; i++)
        merged.count += items[i].count;

    switch (desc->function) {
    case FDL_AGG_COUNT:
        *out = fdl_int64(merged.count);
        break;
    case FDL_AGG_SUM:
    case FDL_AGG_MEAN:
        for (size_t i = lo; i < hi && ok; i++) {
            if (g->type == FDL_INT64)
                merged.sum.i += items[i].sum.i;
            else
                ok = fdl_xsum_merge(&merged.sum.f, &items[i].sum.f);
        }
        if (!ok)
            break;
        if (desc->function == FDL_AGG_MEAN)
            *out = fdl_window_mean_value(g, &merged);
        else
            *out = merged.count == 0 ? fdl_group_empty_result(desc) : fdl_window_sum_value(g, &merged);
        break;
    case FDL_AGG_MIN:
    case FDL_AGG_MAX:
    case FDL_AGG_MIN_BY:
    case FDL_AGG_MAX_BY: {
        /* extreme_compare is a total order on what the result can tell
         * apart, so the best of the tiles' bests is the window's best. */
        int want = desc->function == FDL_AGG_MIN || desc->function == FDL_AGG_MIN_BY ? -1 : 1;
        const event *best = NULL;
        for (size_t i = lo; i < hi; i++) {
            const event *e = want < 0 ? &items[i].min : &items[i].max;
            if (items[i].count > 0 && (!best || extreme_compare(g, e, best, want) * want > 0))
                best = e;
        }
        if (best)
            *out = payload_value(g->type, best->value);
        break;
    }
    case FDL_AGG_FIRST:
        for (size_t i = lo; i < hi; i++)
            if (items[i].count > 0) {
                *out = payload_value(g->type, items[i].first.value);
                break;
            }
        break;
    case FDL_AGG_LAST:
        for (size_t i = hi; i > lo; i--)
            if (items[i - 1].count > 0) {
                *out = payload_value(g->type, items[i - 1].last.value);
                break;
            }
        break;
    case FDL_AGG_VARIANCE:
    case FDL_AGG_STDDEV:
    case FDL_AGG_SKEWNESS:
    case FDL_AGG_KURTOSIS:
        for (size_t i = lo; i < hi && ok; i++)
            ok = fdl_window_moments_merge(&moments, &items[i].moments);
        if (!ok)
            break;
        if (desc->function == FDL_AGG_VARIANCE || desc->function == FDL_AGG_STDDEV)
            *out = fdl_window_variance_value(g, &merged, desc->function == FDL_AGG_STDDEV);
        else
            *out = fdl_window_shape_value(g, &merged, desc->function == FDL_AGG_KURTOSIS);
        break;
    case FDL_AGG_MAX_K:
    case FDL_AGG_MIN_K: {
        /* The window's k best are among its tiles' best: gather, sort. */
        bool largest = desc->function == FDL_AGG_MAX_K;
        size_t total = 0;
        for (size_t i = lo; i < hi; i++)
            total += (size_t)(largest ? items[i].nlargest : items[i].nsmallest);
        sorted_values merged_values = {NULL, 0, 0};
        if (total > 0 && !(merged_values.items = malloc(total * sizeof(double)))) {
            ok = false;
            break;
        }
        for (size_t i = lo; i < hi; i++) {
            const double *v = largest ? items[i].largest : items[i].smallest;
            size_t n = (size_t)(largest ? items[i].nlargest : items[i].nsmallest);
            if (n > 0)
                memcpy(merged_values.items + merged_values.count, v, n * sizeof *v);
            merged_values.count += n;
        }
        if (total > 1)
            qsort(merged_values.items, total, sizeof(double), total_order);
        *out = fdl_window_extreme_k_value(g, agg, &merged_values, desc->k, largest);
        free(merged_values.items);
        break;
    }
    case FDL_AGG_APPROX_COUNT_DISTINCT:
        fdl_hll_clear(ts->merged_hll);
        for (size_t i = lo; i < hi; i++)
            fdl_hll_merge(ts->merged_hll, items[i].hll);
        *out = fdl_int64(fdl_hll_estimate(ts->merged_hll));
        break;
    case FDL_AGG_APPROX_PERCENTILE:
        fdl_ddsketch_clear(&ts->merged_sketch);
        for (size_t i = lo; i < hi && ok; i++)
            ok = fdl_ddsketch_merge(&ts->merged_sketch, &items[i].sketch);
        if (!ok)
            break;
        merged.sketch = &ts->merged_sketch;
        if (desc->npercentiles)
            *out = fdl_window_percentiles_value(g, agg, &merged, desc);
        else
            *out = fdl_window_approx_percentile_value(&ts->merged_sketch, desc->percentile);
        break;
    default:                            /* fdl_group_plan_init lets no other through */
        break;
    }
    if (g->type == FDL_FLOAT64)
        fdl_xsum_free(&merged.sum.f);
    fdl_window_moments_clear(&moments);
    if (!ok) {
        *out = fdl_null();
        g->failed = true;
    }
    return g->failed ? FDL_ERR_MEMORY : FDL_OK;
}

/* The store's watermark cut (window.c) by tile index: the tiles below it
 * are before m - W. */
static int64_t watermark_tile_cut(const fdl_group_plan *plan, fdl_time watermark)
{
    int64_t hop = plan->desc->hop;
    assert(hop > 0);
    return saturating_minus(floor_divide(watermark, hop), plan->longest_window / hop);
}

bool fdl_window_tiles_read_expired(const fdl_group_plan *plan, int agg, fdl_time t,
                                   fdl_time watermark)
{
    const fdl_agg_desc *desc = &plan->desc->aggs[agg];
    int64_t hop = plan->desc->hop;
    int64_t start = saturating_minus(floor_divide(t, hop), desc->window / hop);
    return start < watermark_tile_cut(plan, watermark);
}

bool fdl_window_tiles_expire(fdl_group_state *g, fdl_time watermark, fdl_store_stats *stats)
{
    int64_t cut = watermark_tile_cut(g->plan, watermark);
    if (cut <= g->tiles->horizon)
        return false;
    tiles_evict_before(g, cut, stats);
    return true;
}

bool fdl_window_tiles_empty(const fdl_group_state *g, fdl_time watermark)
{
    return g->tiles->count == 0 && g->tiles->horizon <= watermark_tile_cut(g->plan, watermark);
}

/* Per tile its struct and HyperLogLog; sketch buckets and heap partials of
 * tiles are not counted (a scan per call). */
size_t fdl_window_tiles_bytes(const struct tile_set *ts)
{
    size_t n = sizeof *ts + ts->capacity * sizeof(tile) + sketch_bytes(&ts->merged_sketch);
    if (ts->merged_hll)
        n += sizeof *ts->merged_hll + ts->count * sizeof(fdl_hll);
    return n;
}

/* ------------------------------------------------------------ snapshots */

/* A tile's best values (max_k / min_k): the count, then each. */
static void put_best(fdl_snap_writer *w, const double *items, int64_t count)
{
    fdl_snap_put_i64(w, count);
    for (int64_t i = 0; i < count; i++)
        fdl_snap_put_f64(w, items[i]);
}

/* Reads what put_best wrote: at most limit values, in the order `sign`
 * (bounded_insert's), finite. */
static bool get_best(fdl_snap_reader *r, double **items, int64_t *count, int64_t limit, int sign)
{
    int64_t n;
    if (!fdl_snap_get_i64(r, &n))
        return false;
    if (n < 0 || n > limit)
        return fdl_snap_fail(r, "a tile keeps %lld of its best %lld values", (long long)n, (long long)limit);
    if (n == 0)
        return true;
    if (!(*items = malloc((size_t)limit * sizeof **items)))
        return fdl_snap_fail(r, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        if (!fdl_snap_get_f64(r, &(*items)[i]))
            return false;
        *count = i + 1;                 /* freed with the tile from here on */
        if (!isfinite((*items)[i]) || (i > 0 && sign * total_order(&(*items)[i - 1], &(*items)[i]) > 0))
            return fdl_snap_fail(r, "a tile's best values out of order");
    }
    return true;
}

/* A tile set in a store snapshot (window_snapshot.c): the horizon, the
 * newest time, and per tile its index, count and partial state as the
 * plan's needs say. The read scratch is not saved. */
void fdl_window_tiles_save(const fdl_group_state *g, fdl_snap_writer *w)
{
    const tile_set *ts = g->tiles;
    unsigned needs = g->plan->tile_needs;
    fdl_snap_put_i64(w, ts->horizon);
    fdl_snap_put_i64(w, ts->newest);
    fdl_snap_put_u8(w, ts->any ? 1 : 0);
    fdl_snap_put_u64(w, ts->count);
    for (size_t i = 0; i < ts->count; i++) {
        const tile *t = &ts->items[i];
        fdl_snap_put_i64(w, t->index);
        fdl_snap_put_i64(w, t->count);
        if ((needs & FDL_NEEDS_SUM) && g->type == FDL_INT64)
            fdl_window_snapshot_put_int128(w, t->sum.i);
        else if ((needs & FDL_NEEDS_SUM) && g->type == FDL_FLOAT64)
            fdl_window_snapshot_put_xsum(w, &t->sum.f);
        const event *events[4] = {&t->min, &t->max, &t->first, &t->last};
        const unsigned event_needs[4] = {FDL_NEEDS_MIN, FDL_NEEDS_MAX, FDL_NEEDS_FIRST, FDL_NEEDS_LAST};
        for (int k = 0; k < 4 && t->count > 0; k++)
            if (needs & event_needs[k])
                fdl_window_snapshot_put_event(w, g, events[k]);
        if (needs & FDL_NEEDS_MOMENTS)
            fdl_window_snapshot_put_moments(w, &t->moments);
        if (needs & FDL_NEEDS_SKETCH)
            fdl_window_snapshot_put_sketch(w, &t->sketch);
        if (t->hll)
            fdl_window_snapshot_put_hll(w, t->hll);
        if (g->plan->tile_max_k > 0)
            put_best(w, t->largest, t->nlargest);
        if (g->plan->tile_min_k > 0)
            put_best(w, t->smallest, t->nsmallest);
    }
}

static bool tile_restore(fdl_group_state *g, tile *t, fdl_snap_reader *r)
{
    unsigned needs = g->plan->tile_needs;
    int64_t count;
    if (!fdl_snap_get_i64(r, &count))
        return false;
    if (count < 0)
        return fdl_snap_fail(r, "a tile counts %lld events", (long long)count);
    bool ok = true;
    if ((needs & FDL_NEEDS_SUM) && g->type == FDL_INT64)
        ok = fdl_window_snapshot_get_int128(r, &t->sum.i);
    else if ((needs & FDL_NEEDS_SUM) && g->type == FDL_FLOAT64)
        ok = fdl_window_snapshot_get_xsum(r, &t->sum.f);
    event *events[4] = {&t->min, &t->max, &t->first, &t->last};
    const unsigned event_needs[4] = {FDL_NEEDS_MIN, FDL_NEEDS_MAX, FDL_NEEDS_FIRST, FDL_NEEDS_LAST};
    for (int k = 0; k < 4 && ok && count > 0; k++)
        if (needs & event_needs[k]) {
            ok = fdl_window_snapshot_get_event(r, g, events[k]);
            if (ok)
                t->count = count;       /* owns its strings from here on */
        }
    t->count = ok ? count : t->count;
    if (ok && (needs & FDL_NEEDS_MOMENTS))
        ok = fdl_window_snapshot_get_moments(r, &t->moments);
    if (ok && (needs & FDL_NEEDS_SKETCH))
        ok = fdl_window_snapshot_get_sketch(r, &t->sketch);
    if (ok && t->hll)
        ok = fdl_window_snapshot_get_hll(r, t->hll);
    if (ok && g->plan->tile_max_k > 0)
        ok = get_best(r, &t->largest, &t->nlargest, g->plan->tile_max_k, -1);
    if (ok && g->plan->tile_min_k > 0)
        ok = get_best(r, &t->smallest, &t->nsmallest, g->plan->tile_min_k, 1);
    return ok;
}

bool fdl_window_tiles_restore(fdl_group_state *g, fdl_snap_reader *r, fdl_store_stats *stats)
{
    tile_set *ts = g->tiles;
    uint8_t any;
    size_t count;
    if (!fdl_snap_get_i64(r, &ts->horizon) || !fdl_snap_get_i64(r, &ts->newest) ||
        !fdl_snap_get_u8(r, &any) || !fdl_snap_get_count(r, 16, (uint64_t)1 << 40, &count))
        return false;
    if (any > 1)
        return fdl_snap_fail(r, "a bad tile set");
    ts->any = any;
    if (count > 0 && !(ts->items = calloc(count, sizeof *ts->items)))
        return fdl_snap_fail(r, "out of memory");
    ts->capacity = count;
    for (size_t i = 0; i < count; i++) {
        tile *t = &ts->items[i];
        t->moments.higher = (g->plan->tile_needs & FDL_NEEDS_HIGHER_MOMENTS) != 0;
        fdl_ddsketch_init(&t->sketch);
        if ((g->plan->tile_needs & FDL_NEEDS_HLL) && !(t->hll = calloc(1, sizeof *t->hll)))
            return fdl_snap_fail(r, "out of memory");
        ts->count = i + 1;              /* released with the set from here on */
        stats->tiles_held++;
        if (!fdl_snap_get_i64(r, &t->index))
            return false;
        if (t->index < ts->horizon || (i > 0 && t->index <= ts->items[i - 1].index))
            return fdl_snap_fail(r, "tiles out of order or before the horizon");
        if (!tile_restore(g, t, r))
            return false;
    }
    tiles_check(ts);
    return true;
}
