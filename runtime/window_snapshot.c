/*
 * window_snapshot.c - a group state in a store snapshot (snapshot.h): what
 * it holds that later reads depend on, written out and read back into a
 * new state that gives bit-identical results from then on.
 *
 * What is saved of a group with exact windows: the horizon, the absolute
 * index of the first buffered event, the buffered events (time, value,
 * by-value), the lifetime base (count, min, max, first, last, first k,
 * last k, its HyperLogLog) and the lifetime cursor whole (its range end and
 * accumulators: they include the evicted events, which exist nowhere else).
 * The other cursors are not saved: they are functions of the buffer, reset
 * on restore to an empty range at the front (as after an eviction), and
 * the next read rebuilds them (window.c: a result depends only on the
 * events in the window). Exact sums go as their partials (any expansion of
 * the same exact value gives the same results, xsum.h), the distinct map
 * as its entries, the DDSketch as its bucket counts. Hopped groups save
 * their tiles (window_tiles.c). Capacities and scratch buffers are not
 * saved. Restoring checks every invariant the engine asserts, so a
 * snapshot that passed its CRC but lies (a bug, or a crafted file) fails
 * cleanly instead of crashing.
 */
#include "window_snapshot.h"

/* Format of a group state, inside the store snapshot's version. */
enum { KIND_EXACT = 1, KIND_TILES = 2 };

__extension__ typedef unsigned __int128 uint128;

/* ------------------------------------------------------------ payloads */

static void put_payload(fdl_snap_writer *w, fdl_type type, event_payload p)
{
    switch (type) {
    case FDL_INT64: fdl_snap_put_i64(w, p.i); break;
    case FDL_FLOAT64: fdl_snap_put_f64(w, p.f); break;
    case FDL_BOOL: fdl_snap_put_u8(w, p.b ? 1 : 0); break;
    case FDL_TIMESTAMP: fdl_snap_put_i64(w, p.t); break;
    case FDL_STRING: fdl_snap_put_string(w, p.s->bytes, p.s->len); break;
    default: break;
    }
}

/* A payload of the type; strings are allocated (the caller owns them). */
static bool get_payload(fdl_snap_reader *r, fdl_type type, event_payload *p)
{
    memset(p, 0, sizeof *p);
    switch (type) {
    case FDL_INT64: return fdl_snap_get_i64(r, &p->i);
    case FDL_FLOAT64: return fdl_snap_get_f64(r, &p->f);
    case FDL_TIMESTAMP: return fdl_snap_get_i64(r, &p->t);
    case FDL_BOOL: {
        uint8_t b;
        if (!fdl_snap_get_u8(r, &b))
            return false;
        if (b > 1)
            return fdl_snap_fail(r, "a bool value is %u", b);
        p->b = b;
        return true;
    }
    case FDL_STRING: {
        const char *bytes;
        size_t len;
        if (!fdl_snap_get_string(r, &bytes, &len))
            return false;
        if (!(p->s = fdl_window_string_copy(bytes, len)))
            return fdl_snap_fail(r, "out of memory");
        return true;
    }
    default:
        return true;
    }
}

void fdl_window_snapshot_put_event(fdl_snap_writer *w, const fdl_group_state *g, const event *e)
{
    fdl_snap_put_i64(w, e->time);
    put_payload(w, g->type, e->value);
    put_payload(w, g->by_type, e->by);
}

bool fdl_window_snapshot_get_event(fdl_snap_reader *r, const fdl_group_state *g, event *e)
{
    memset(e, 0, sizeof *e);
    if (!fdl_snap_get_i64(r, &e->time) || !get_payload(r, g->type, &e->value))
        return false;
    if (!get_payload(r, g->by_type, &e->by)) {
        if (g->type == FDL_STRING)
            free(e->value.s);
        e->value.s = NULL;
        return false;
    }
    return true;
}

/* ------------------------------------------------------- exact sums */

static void put_expansion(fdl_snap_writer *w, const fdl_expansion *e)
{
    const double *parts = e->heap ? e->heap : e->local;
    fdl_snap_put_u32(w, (uint32_t)e->count);
    for (int32_t i = 0; i < e->count; i++)
        fdl_snap_put_f64(w, parts[i]);
}

void fdl_window_snapshot_put_xsum(fdl_snap_writer *w, const fdl_xsum *x)
{
    put_expansion(w, &x->low);
    fdl_expansion none = {0};
    put_expansion(w, x->high ? x->high : &none);
}

/* The partials of one expansion, into a view fdl_xsum_merge can read. */
static bool get_expansion(fdl_snap_reader *r, fdl_expansion *view, double *parts, int32_t max)
{
    uint32_t n;
    memset(view, 0, sizeof *view);
    if (!fdl_snap_get_u32(r, &n))
        return false;
    if (n > (uint32_t)max)
        return fdl_snap_fail(r, "an exact sum of %u partials", n);
    for (uint32_t i = 0; i < n; i++) {
        if (!fdl_snap_get_f64(r, &parts[i]))
            return false;
        /* The engine's partials stay far below this; adding a few bigger
         * ones could overflow into a sum that is not finite. */
        if (fabs(parts[i]) >= 0x1p1000)
            return fdl_snap_fail(r, "an exact sum's partial out of range");
    }
    view->count = (int32_t)n;
    view->capacity = (int32_t)n;
    view->heap = parts;
    return true;
}

/* Into an empty sum: adding every partial is exact, so it gains exactly
 * the saved value (whatever partials it keeps for it). */
bool fdl_window_snapshot_get_xsum(fdl_snap_reader *r, fdl_xsum *x)
{
    /* The partials of an expansion do not overlap: about 40 at most
     * (xsum.h); more is not a sum the engine wrote. */
    enum { MAX_PARTS = 80 };
    double low_parts[MAX_PARTS], high_parts[MAX_PARTS];
    fdl_expansion low, high;
    if (!get_expansion(r, &low, low_parts, MAX_PARTS) || !get_expansion(r, &high, high_parts, MAX_PARTS))
        return false;
    fdl_xsum from = {low, high.count ? &high : NULL};
    if (!fdl_xsum_merge(x, &from))
        return fdl_snap_fail(r, "out of memory");
    return true;
}

void fdl_window_snapshot_put_moments(fdl_snap_writer *w, const cursor_moments *m)
{
    fdl_window_snapshot_put_xsum(w, &m->sum);
    fdl_window_snapshot_put_xsum(w, &m->squares);
    fdl_snap_put_i64(w, m->huge);
    if (m->higher) {
        fdl_window_snapshot_put_xsum(w, &m->cubes);
        fdl_window_snapshot_put_xsum(w, &m->fourths);
        fdl_snap_put_i64(w, m->huge_higher);
    }
}

bool fdl_window_snapshot_get_moments(fdl_snap_reader *r, cursor_moments *m)
{
    if (!fdl_window_snapshot_get_xsum(r, &m->sum) || !fdl_window_snapshot_get_xsum(r, &m->squares) ||
        !fdl_snap_get_i64(r, &m->huge))
        return false;
    if (m->higher && (!fdl_window_snapshot_get_xsum(r, &m->cubes) ||
                      !fdl_window_snapshot_get_xsum(r, &m->fourths) || !fdl_snap_get_i64(r, &m->huge_higher)))
        return false;
    return (m->huge >= 0 && m->huge_higher >= 0) || fdl_snap_fail(r, "a negative count of huge values");
}

void fdl_window_snapshot_put_int128(fdl_snap_writer *w, int128 v)
{
    uint128 u = (uint128)v;
    fdl_snap_put_u64(w, (uint64_t)u);
    fdl_snap_put_u64(w, (uint64_t)(u >> 64));
}

bool fdl_window_snapshot_get_int128(fdl_snap_reader *r, int128 *v)
{
    uint64_t low, high;
    if (!fdl_snap_get_u64(r, &low) || !fdl_snap_get_u64(r, &high))
        return false;
    *v = (int128)(((uint128)high << 64) | low);
    return true;
}

/* ------------------------------------------------------------ sketches */

/* Bucket indexes of finite doubles stay well inside this (sketch.c:
 * log(DBL_MAX) / log(gamma) is about 35,000). */
enum { BUCKET_LIMIT = 1 << 20 };

static void put_range(fdl_snap_writer *w, const fdl_bucket_range *range)
{
    fdl_snap_put_i64(w, range->first);
    fdl_snap_put_u64(w, (uint64_t)range->length);
    for (int32_t i = 0; i < range->length; i++)
        fdl_snap_put_i64(w, range->counts[i]);
}

void fdl_window_snapshot_put_sketch(fdl_snap_writer *w, const fdl_ddsketch *s)
{
    fdl_snap_put_i64(w, s->zeros);
    fdl_snap_put_i64(w, s->count);
    put_range(w, &s->positive);
    put_range(w, &s->negative);
}

/* One range, counted into *total; the counts land in a view (freed by the
 * caller) that fdl_ddsketch_merge reads. */
static bool get_range(fdl_snap_reader *r, fdl_bucket_range *view, int64_t *total)
{
    int64_t first;
    size_t length;
    memset(view, 0, sizeof *view);
    if (!fdl_snap_get_i64(r, &first) || !fdl_snap_get_count(r, 8, BUCKET_LIMIT, &length))
        return false;
    if (length > 0 && (first < -BUCKET_LIMIT || first + (int64_t)length > BUCKET_LIMIT))
        return fdl_snap_fail(r, "sketch buckets %lld .. %lld", (long long)first,
                             (long long)first + (long long)length);
    if (length == 0)
        return true;
    if (!(view->counts = malloc(length * sizeof *view->counts)))
        return fdl_snap_fail(r, "out of memory");
    view->first = (int32_t)first;
    view->length = view->capacity = (int32_t)length;
    for (size_t i = 0; i < length; i++) {
        int64_t c;
        if (!fdl_snap_get_i64(r, &c))
            return false;
        if (c < 0 || c > INT64_MAX - *total)
            return fdl_snap_fail(r, "a sketch bucket counts %lld", (long long)c);
        view->counts[i] = c;
        *total += c;
    }
    return true;
}

/* Into an empty sketch (fdl_ddsketch_init'ed). */
bool fdl_window_snapshot_get_sketch(fdl_snap_reader *r, fdl_ddsketch *s)
{
    fdl_ddsketch from;
    int64_t total = 0;
    fdl_ddsketch_init(&from);
    bool ok = fdl_snap_get_i64(r, &from.zeros) && fdl_snap_get_i64(r, &from.count) &&
              from.zeros >= 0 && get_range(r, &from.positive, &total) &&
              get_range(r, &from.negative, &total);
    if (ok && (from.zeros > INT64_MAX - total || from.count != total + from.zeros))
        ok = fdl_snap_fail(r, "a sketch's count is not the sum of its buckets");
    if (ok && !fdl_ddsketch_merge(s, &from))
        ok = fdl_snap_fail(r, "out of memory");
    if (!ok)
        fdl_snap_fail(r, "a bad sketch");
    fdl_ddsketch_free(&from);
    return ok;
}

void fdl_window_snapshot_put_hll(fdl_snap_writer *w, const fdl_hll *h)
{
    fdl_snap_put_bytes(w, h->registers, sizeof h->registers);
}

bool fdl_window_snapshot_get_hll(fdl_snap_reader *r, fdl_hll *h)
{
    if (!fdl_snap_get_bytes(r, h->registers, sizeof h->registers))
        return false;
    for (int i = 0; i < FDL_HLL_REGISTERS; i++)
        if (h->registers[i] > 64 - FDL_HLL_BITS + 1)
            return fdl_snap_fail(r, "a HyperLogLog register holds %u", h->registers[i]);
    return true;
}

/* -------------------------------------------------- the lifetime cursor */

/* The distinct map's equality (window_cursor.c): -0.0 and +0.0 are one. */
static bool same_key(fdl_type type, event_payload a, event_payload b)
{
    return type == FDL_FLOAT64 ? a.f == b.f : compare_payload(type, a, b) == 0;
}

static void put_distinct(fdl_snap_writer *w, fdl_type type, const distinct_map *m)
{
    fdl_snap_put_u64(w, m->count);
    for (size_t i = 0; i < m->capacity; i++)
        if (m->slots[i].multiplicity > 0) {
            put_payload(w, type, m->slots[i].key);
            fdl_snap_put_i64(w, m->slots[i].multiplicity);
        }
}

/* A table of the engine's shape (a power of two, at most 3/4 full) holding
 * the entries: the order of slots changes no result (top_k sorts). */
static bool get_distinct(fdl_snap_reader *r, fdl_type type, distinct_map *m)
{
    size_t count;
    if (!fdl_snap_get_count(r, 9, (uint64_t)1 << 40, &count))
        return false;
    if (count == 0)
        return true;
    size_t capacity = 16;
    while (count * 4 > capacity * 3)
        capacity *= 2;
    if (!(m->slots = calloc(capacity, sizeof *m->slots)))
        return fdl_snap_fail(r, "out of memory");
    m->capacity = capacity;
    for (size_t n = 0; n < count; n++) {
        event_payload key;
        int64_t multiplicity;
        if (!get_payload(r, type, &key))
            return false;
        uint64_t hash = payload_hash(type, key);
        size_t i = hash & (capacity - 1);
        while (m->slots[i].multiplicity > 0 && !same_key(type, m->slots[i].key, key))
            i = (i + 1) & (capacity - 1);
        if (!fdl_snap_get_i64(r, &multiplicity) || m->slots[i].multiplicity > 0 || multiplicity <= 0) {
            if (type == FDL_STRING)
                free(key.s);
            return fdl_snap_fail(r, "a bad distinct-value entry");
        }
        m->slots[i] = (distinct_entry){hash, key, multiplicity};
        m->count++;
    }
    return true;
}

static void put_sorted(fdl_snap_writer *w, const sorted_values *v)
{
    fdl_snap_put_u64(w, v->count);
    for (size_t i = 0; i < v->count; i++)
        fdl_snap_put_f64(w, v->items[i]);
}

static bool get_sorted(fdl_snap_reader *r, sorted_values *v)
{
    size_t count;
    if (!fdl_snap_get_count(r, 8, (uint64_t)1 << 40, &count))
        return false;
    if (count == 0)
        return true;
    if (!(v->items = malloc(count * sizeof *v->items)))
        return fdl_snap_fail(r, "out of memory");
    v->capacity = count;
    for (size_t i = 0; i < count; i++) {
        double x;
        if (!fdl_snap_get_f64(r, &x))
            return false;
        /* In the total order, -0.0 before +0.0 (window_cursor.c). */
        if (i > 0 && (x < v->items[i - 1] ||
                      (x == v->items[i - 1] && signbit(v->items[i - 1]) == 0 && signbit(x) != 0)))
            return fdl_snap_fail(r, "percentile values out of order");
        v->items[i] = x;
        v->count = i + 1;
    }
    return true;
}

static void put_lifetime_cursor(fdl_snap_writer *w, const fdl_group_state *g, const cursor *c)
{
    fdl_snap_put_u64(w, (uint64_t)(c->hi - c->lo));
    fdl_snap_put_i64(w, c->end);
    fdl_snap_put_i64(w, c->count);
    if (g->type == FDL_INT64)
        fdl_window_snapshot_put_int128(w, c->sum.i);
    else if (g->type == FDL_FLOAT64)
        fdl_window_snapshot_put_xsum(w, &c->sum.f);
    if (c->moments)
        fdl_window_snapshot_put_moments(w, c->moments);
    if (c->distinct)
        put_distinct(w, g->type, c->distinct);
    if (c->sorted)
        put_sorted(w, c->sorted);
    if (c->sketch)
        fdl_window_snapshot_put_sketch(w, c->sketch);
    /* The HyperLogLog is rebuilt from the base's and the range's events. */
}

/* The range must be the events before end, as cursor_check asserts. */
static bool get_lifetime_cursor(fdl_snap_reader *r, fdl_group_state *g, cursor *c)
{
    uint64_t range;
    if (!fdl_snap_get_u64(r, &range) || !fdl_snap_get_i64(r, &c->end) || !fdl_snap_get_i64(r, &c->count))
        return false;
    if (range > g->count)
        return fdl_snap_fail(r, "the lifetime range holds %llu of %zu events",
                             (unsigned long long)range, g->count);
    c->lo = g->front;
    c->hi = g->front + (int64_t)range;
    c->start = FDL_TIME_MIN;
    int64_t back = g->front + (int64_t)g->count;
    if ((c->hi > c->lo && time_at(g, c->hi - 1) >= c->end) || (c->hi < back && time_at(g, c->hi) < c->end))
        return fdl_snap_fail(r, "the lifetime range does not end where its window does");
    if (!g->failed && c->count != (int64_t)range + g->base.count)
        return fdl_snap_fail(r, "the lifetime count is not its range and base");
    bool ok = true;
    if (g->type == FDL_INT64)
        ok = fdl_window_snapshot_get_int128(r, &c->sum.i);
    else if (g->type == FDL_FLOAT64)
        ok = fdl_window_snapshot_get_xsum(r, &c->sum.f);
    if (ok && c->moments)
        ok = fdl_window_snapshot_get_moments(r, c->moments);
    if (ok && c->distinct)
        ok = get_distinct(r, g->type, c->distinct);
    if (ok && c->sorted)
        ok = get_sorted(r, c->sorted);
    if (ok && c->sketch)
        ok = fdl_window_snapshot_get_sketch(r, c->sketch);
    c->hll_stale = c->hll != NULL;
    if (c->extremes)
        c->extremes->valid = false;     /* rebuilt by the next min/max read */
    return ok;
}

/* ------------------------------------------------------- lifetime base */

static void put_timed(fdl_snap_writer *w, const timed_number *items, size_t n)
{
    fdl_snap_put_u64(w, n);
    for (size_t i = 0; i < n; i++) {
        fdl_snap_put_i64(w, items[i].time);
        fdl_snap_put_f64(w, items[i].value);
    }
}

/* At most k items in time order, into a new array of exactly n. */
static bool get_timed(fdl_snap_reader *r, int64_t k, timed_number **items, size_t *n)
{
    size_t count;
    if (!fdl_snap_get_count(r, 16, (uint64_t)k, &count))
        return false;
    if (count == 0)
        return true;
    if (!(*items = malloc(count * sizeof **items)))
        return fdl_snap_fail(r, "out of memory");
    for (size_t i = 0; i < count; i++) {
        timed_number *t = &(*items)[i];
        if (!fdl_snap_get_i64(r, &t->time) || !fdl_snap_get_f64(r, &t->value))
            return false;
        if (i > 0 && t->time < (*items)[i - 1].time)
            return fdl_snap_fail(r, "first_k/last_k events out of order");
        *n = i + 1;
    }
    return true;
}

static const unsigned base_event_needs[4] = {FDL_NEEDS_MIN, FDL_NEEDS_MAX, FDL_NEEDS_FIRST, FDL_NEEDS_LAST};

static void put_base(fdl_snap_writer *w, const fdl_group_state *g, unsigned needs)
{
    const lifetime_base *b = &g->base;
    const event *events[4] = {&b->min, &b->max, &b->first, &b->last};
    fdl_snap_put_i64(w, b->count);
    for (int i = 0; i < 4 && b->count > 0; i++)
        if (needs & base_event_needs[i])
            fdl_window_snapshot_put_event(w, g, events[i]);
    put_timed(w, b->first_k, b->first_k_count);
    put_timed(w, b->last_k ? b->last_k + b->last_k_start : NULL, b->last_k_count);
    if (b->hll)
        fdl_window_snapshot_put_hll(w, b->hll);
}

static bool get_base(fdl_snap_reader *r, fdl_group_state *g, unsigned needs)
{
    lifetime_base *b = &g->base;
    event *events[4] = {&b->min, &b->max, &b->first, &b->last};
    int64_t count;
    if (!fdl_snap_get_i64(r, &count))
        return false;
    if (count < 0)
        return fdl_snap_fail(r, "a negative lifetime count");
    for (int i = 0; i < 4 && count > 0; i++)
        if (needs & base_event_needs[i]) {
            if (!fdl_window_snapshot_get_event(r, g, events[i]))
                return false;
            b->count = count;       /* from the first event on, the base owns its strings */
        }
    b->count = count;
    if (!get_timed(r, g->plan->lifetime_first_k, &b->first_k, &b->first_k_count) ||
        !get_timed(r, g->plan->lifetime_last_k, &b->last_k, &b->last_k_count))
        return false;
    b->first_k_capacity = b->first_k_count;
    b->last_k_capacity = b->last_k_count;
    if (b->count == 0 && (b->first_k_count || b->last_k_count))
        return fdl_snap_fail(r, "an empty lifetime base with first_k/last_k events");
    return !b->hll || fdl_window_snapshot_get_hll(r, b->hll);
}

/* ------------------------------------------------------------- buffer */

static void put_exact(const fdl_group_state *g, fdl_snap_writer *w)
{
    const fdl_group_plan *plan = g->plan;
    fdl_snap_put_i64(w, g->front);
    fdl_snap_put_u64(w, g->count);
    for (size_t i = 0; i < g->count; i++)
        fdl_window_snapshot_put_event(w, g, &g->events[g->head + i]);
    int l = plan->lifetime_cursor;
    if (l < 0)
        return;
    put_base(w, g, plan->cursor_needs[l]);
    put_lifetime_cursor(w, g, &g->cursors[l]);
}

static bool get_events(fdl_snap_reader *r, fdl_group_state *g, fdl_store_stats *stats)
{
    size_t count;
    if (!fdl_snap_get_i64(r, &g->front) || !fdl_snap_get_count(r, 8, (uint64_t)1 << 48, &count))
        return false;
    if (g->front < 0 || g->front > INT64_MAX / 2)
        return fdl_snap_fail(r, "a bad event index %lld", (long long)g->front);
    if (count > 0 && !(g->events = malloc(count * sizeof *g->events)))
        return fdl_snap_fail(r, "out of memory");
    g->capacity = count;
    for (size_t i = 0; i < count; i++) {
        event *e = &g->events[i];
        if (!fdl_window_snapshot_get_event(r, g, e))
            return false;
        g->count = i + 1;               /* owned from here on */
        stats->events_held++;
        if (g->type == FDL_STRING)
            g->string_bytes += sizeof *e->value.s + e->value.s->len;
        if (e->time < g->horizon || (i > 0 && e->time < g->events[i - 1].time))
            return fdl_snap_fail(r, "events out of order or before the horizon");
    }
    return true;
}

static bool get_exact(fdl_snap_reader *r, fdl_group_state *g, fdl_store_stats *stats)
{
    const fdl_group_plan *plan = g->plan;
    if (!get_events(r, g, stats))
        return false;
    /* Every cursor but the lifetime one: empty at the front, as an
     * eviction to the horizon leaves one (window_buffer.c). */
    for (int i = 0; i < plan->ncursors; i++) {
        cursor *c = &g->cursors[i];
        c->lo = c->hi = g->front;
        c->start = c->end = g->horizon;
    }
    int l = plan->lifetime_cursor;
    if (l >= 0 && (!get_base(r, g, plan->cursor_needs[l]) || !get_lifetime_cursor(r, g, &g->cursors[l])))
        return false;
    buffer_check(g);
    cursors_check(g);
    return true;
}

/* ------------------------------------------------------------ entry */

void fdl_group_state_save(const fdl_group_state *g, fdl_snap_writer *w)
{
    fdl_snap_put_u8(w, g->tiles ? KIND_TILES : KIND_EXACT);
    fdl_snap_put_u8(w, g->failed ? 1 : 0);
    fdl_snap_put_i64(w, g->horizon);
    if (g->tiles)
        fdl_window_tiles_save(g, w);
    else
        put_exact(g, w);
}

fdl_group_state *fdl_group_state_restore(const fdl_group_plan *plan, fdl_snap_reader *r,
                                         fdl_store_stats *stats)
{
    uint8_t kind, failed;
    fdl_time horizon;
    if (!fdl_snap_get_u8(r, &kind) || !fdl_snap_get_u8(r, &failed) || !fdl_snap_get_i64(r, &horizon))
        return NULL;
    if (kind != (plan->desc->hop > 0 ? KIND_TILES : KIND_EXACT) || failed > 1) {
        fdl_snap_fail(r, "a group state of the wrong kind");
        return NULL;
    }
    fdl_group_state *g = fdl_group_state_new(plan);
    if (!g) {
        fdl_snap_fail(r, "out of memory");
        return NULL;
    }
    g->failed = failed;
    g->horizon = horizon;
    bool ok = g->tiles ? fdl_window_tiles_restore(g, r, stats) : get_exact(r, g, stats);
    if (!ok) {
        stats->events_held -= g->count;
        stats->tiles_held -= fdl_group_state_tiles(g);
        fdl_group_state_free(g);
        return NULL;
    }
    return g;
}
