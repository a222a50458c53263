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

static event_string *string_copy(const char *bytes, size_t len)
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
        event_string *s = string_copy(e->value.s->bytes, e->value.s->len);
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

/* ------------------------------------------------------- index deque */

static bool deque_push_back(index_deque *d, int64_t index)
{
    if (d->count == d->capacity) {
        uint32_t capacity = d->capacity ? d->capacity * 2 : 8;
        int64_t *items = malloc(capacity * sizeof *items);
        if (!items)
            return false;
        for (uint32_t i = 0; i < d->count; i++)
            items[i] = d->items[(d->head + i) & (d->capacity - 1)];
        free(d->items);
        d->items = items;
        d->head = 0;
        d->capacity = capacity;
    }
    d->items[(d->head + d->count++) & (d->capacity - 1)] = index;
    return true;
}

static int64_t deque_back(const index_deque *d)
{
    return d->items[(d->head + d->count - 1) & (d->capacity - 1)];
}

static void deque_pop_front_below(index_deque *d, int64_t index)
{
    while (d->count > 0 && deque_front(d) < index) {
        d->head = (d->head + 1) & (d->capacity - 1);
        d->count--;
    }
}

/* An event was inserted at absolute index `index`: rename those after it. */
static void deque_shift_from(index_deque *d, int64_t index)
{
    for (uint32_t i = 0; i < d->count; i++) {
        int64_t *item = &d->items[(d->head + i) & (d->capacity - 1)];
        if (*item >= index)
            (*item)++;
    }
}

static void deque_free(index_deque *d)
{
    free(d->items);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------- event buffer */

/* First position in [0, n] whose time is >= key, searched from hint by
 * galloping: O(log distance). */
static size_t lower_bound_from(const event *ev, size_t n, size_t hint, fdl_time key)
{
    size_t lo, hi, bound = 1;
    if (hint > n)
        hint = n;
    if (hint < n && ev[hint].time < key) {
        lo = hint + 1;
        for (;;) {
            size_t probe = lo + bound - 1;
            if (probe >= n) {
                hi = n;
                break;
            }
            if (ev[probe].time >= key) {
                hi = probe;
                break;
            }
            lo = probe + 1;
            bound *= 2;
        }
    } else {
        hi = hint;
        for (;;) {
            if (hi < bound) {
                lo = 0;
                break;
            }
            size_t probe = hi - bound;
            if (ev[probe].time < key) {
                lo = probe + 1;
                break;
            }
            hi = probe;
            bound *= 2;
        }
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ev[mid].time < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

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
    for (int i = 0; i < plan->ncursors; i++) {
        cursor *c = &g->cursors[i];
        c->start = c->end = FDL_TIME_MIN;
        if (g->type == FDL_FLOAT64)
            fdl_xsum_init(&c->sum.f);
        unsigned needs = plan->cursor_needs[i];
        bool ok = true;
        if (needs & (FDL_NEEDS_MIN | FDL_NEEDS_MAX))
            ok &= (c->extremes = calloc(1, sizeof *c->extremes)) != NULL;
        if (needs & FDL_NEEDS_MOMENTS)
            ok &= (c->moments = calloc(1, sizeof *c->moments)) != NULL;
        if (needs & FDL_NEEDS_DISTINCT)
            ok &= (c->distinct = calloc(1, sizeof *c->distinct)) != NULL;
        if (needs & FDL_NEEDS_SORTED)
            ok &= (c->sorted = calloc(1, sizeof *c->sorted)) != NULL;
        if (needs & FDL_NEEDS_SKETCH)
            ok &= (c->sketch = calloc(1, sizeof *c->sketch)) != NULL;
        if (needs & FDL_NEEDS_HLL) {
            ok &= (c->hll = calloc(1, sizeof *c->hll)) != NULL;
            ok &= (g->base.hll = calloc(1, sizeof *g->base.hll)) != NULL;
        }
        if (!ok) {
            fdl_group_state_free(g);
            return NULL;
        }
    }
    return g;
}

static void distinct_clear(fdl_type type, distinct_map *m);

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
    for (int i = 0; i < g->plan->ncursors; i++) {
        cursor *c = &g->cursors[i];
        if (g->type == FDL_FLOAT64)
            fdl_xsum_free(&c->sum.f);
        if (c->extremes) {
            deque_free(&c->extremes->min);
            deque_free(&c->extremes->max);
            free(c->extremes);
        }
        if (c->moments) {
            fdl_xsum_free(&c->moments->sum);
            fdl_xsum_free(&c->moments->squares);
            free(c->moments);
        }
        if (c->distinct) {
            distinct_clear(g->type, c->distinct);
            free(c->distinct);
        }
        if (c->sorted) {
            free(c->sorted->items);
            free(c->sorted);
        }
        if (c->sketch) {
            fdl_ddsketch_free(c->sketch);
            free(c->sketch);
        }
        free(c->hll);
    }
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

/* ------------------------------------------------------- accumulators */

/* ---- moments: exact sum x and sum x*x */

enum { VALUE_PARTS_MAX = 2 };

/* x as doubles that sum to it exactly: one, or for an int64 beyond 2^53 its
 * high bits (a multiple of 2^32, at most 32 significant bits) and low 32. */
static int value_parts(fdl_type type, event_payload p, double parts[VALUE_PARTS_MAX])
{
    if (type == FDL_FLOAT64) {
        parts[0] = p.f;
        return 1;
    }
    if (p.i >= -(INT64_C(1) << 53) && p.i <= (INT64_C(1) << 53)) {
        parts[0] = (double)p.i;
        return 1;
    }
    uint64_t bits = (uint64_t)p.i;
    parts[0] = (double)(int64_t)(bits & ~UINT64_C(0xFFFFFFFF));  /* two's complement */
    parts[1] = (double)(bits & UINT64_C(0xFFFFFFFF));
    return 2;
}

/* Adds (sign 1) or removes (-1) a value's contributions to the moments.
 * The same value always contributes the same doubles, so removal undoes
 * addition exactly. */
bool fdl_window_moments_update(fdl_type type, cursor_moments *m, event_payload p, int sign)
{
    double x[VALUE_PARTS_MAX];
    int n = value_parts(type, p, x);
    if (type == FDL_FLOAT64 && fabs(x[0]) >= 0x1p511) {
        m->huge += sign;                /* x*x could overflow: result null */
        return true;
    }
    /* x*x = sum over i, j of x[i]*x[j], each as an exact two-product. */
    double terms[2 * 3];
    int nterms = 0;
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            double a = i == j ? x[i] : 2.0 * x[i];      /* cross terms twice */
            double product = a * x[j];
            terms[nterms++] = product;
            terms[nterms++] = fma(a, x[j], -product);
        }
    bool ok = true;
    for (int i = 0; i < n; i++)
        ok &= sign > 0 ? fdl_xsum_add(&m->sum, x[i]) : fdl_xsum_sub(&m->sum, x[i]);
    for (int i = 0; i < nterms; i++)
        ok &= sign > 0 ? fdl_xsum_add(&m->squares, terms[i]) : fdl_xsum_sub(&m->squares, terms[i]);
    return ok;
}

void fdl_window_moments_clear(cursor_moments *m)
{
    fdl_xsum_free(&m->sum);
    fdl_xsum_free(&m->squares);
    m->huge = 0;
}

/* ---- distinct map */

static bool payload_equal(fdl_type type, event_payload a, event_payload b)
{
    if (type == FDL_FLOAT64)
        return a.f == b.f;              /* no NaN; -0.0 == +0.0 */
    return compare_payload(type, a, b) == 0;
}

static void distinct_clear(fdl_type type, distinct_map *m)
{
    if (type == FDL_STRING)
        for (size_t i = 0; i < m->capacity; i++)
            if (m->slots[i].multiplicity > 0)
                free(m->slots[i].key.s);
    free(m->slots);
    m->slots = NULL;
    m->capacity = m->count = 0;
}

/* Moves the entries into a table of the given capacity (a power of two). */
static bool distinct_rehash(distinct_map *m, size_t capacity)
{
    distinct_entry *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->slots[i].multiplicity == 0)
            continue;
        size_t j = m->slots[i].hash & (capacity - 1);
        while (slots[j].multiplicity > 0)
            j = (j + 1) & (capacity - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->capacity = capacity;
    return true;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t distinct_find(fdl_type type, const distinct_map *m, event_payload key, uint64_t hash)
{
    size_t mask = m->capacity - 1;
    size_t i = hash & mask;
    while (m->slots[i].multiplicity > 0 &&
           !(m->slots[i].hash == hash && payload_equal(type, m->slots[i].key, key)))
        i = (i + 1) & mask;
    return i;
}

static bool distinct_add(fdl_type type, distinct_map *m, event_payload key)
{
    if ((m->count + 1) * 4 > m->capacity * 3 &&
        !distinct_rehash(m, m->capacity ? m->capacity * 2 : 16))
        return false;
    uint64_t hash = payload_hash(type, key);
    distinct_entry *slot = &m->slots[distinct_find(type, m, key, hash)];
    if (slot->multiplicity > 0) {
        slot->multiplicity++;
        return true;
    }
    if (type == FDL_STRING) {
        key.s = string_copy(key.s->bytes, key.s->len);
        if (!key.s)
            return false;
    }
    slot->hash = hash;
    slot->key = key;
    slot->multiplicity = 1;
    m->count++;
    return true;
}

static void distinct_remove(fdl_type type, distinct_map *m, event_payload key)
{
    if (m->capacity == 0)
        return;                         /* never added: cannot happen */
    size_t mask = m->capacity - 1;
    size_t i = distinct_find(type, m, key, payload_hash(type, key));
    if (m->slots[i].multiplicity == 0 || --m->slots[i].multiplicity > 0)
        return;
    if (type == FDL_STRING)
        free(m->slots[i].key.s);
    m->count--;
    /* Backward-shift deletion: pull later entries of the probe run into
     * the hole unless that would move them before their home slot. */
    for (size_t j = (i + 1) & mask; m->slots[j].multiplicity > 0; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].multiplicity = 0;
    /* Give memory back after a burst of distinct values (hysteresis with
     * the 3/4 growth keeps this amortized O(1)); failing to shrink is fine. */
    if (m->capacity > 16 && m->count * 8 < m->capacity)
        distinct_rehash(m, m->capacity / 2);
}

/* ---- sorted values */

/* Total order on finite doubles: -0.0 before +0.0. */
static bool number_before(double a, double b)
{
    return a < b || (a == b && signbit(a) && !signbit(b));
}

static bool sorted_insert(sorted_values *v, double x)
{
    if (v->count == v->capacity) {
        size_t capacity = v->capacity ? v->capacity * 2 : 8;
        double *items = realloc(v->items, capacity * sizeof *items);
        if (!items)
            return false;
        v->items = items;
        v->capacity = capacity;
    }
    size_t lo = 0, hi = v->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (number_before(x, v->items[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    memmove(v->items + lo + 1, v->items + lo, (v->count - lo) * sizeof *v->items);
    v->items[lo] = x;
    v->count++;
    return true;
}

static void sorted_remove(sorted_values *v, double x)
{
    size_t lo = 0, hi = v->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (number_before(v->items[mid], x))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == v->count)
        return;                         /* never inserted: cannot happen */
    memmove(v->items + lo, v->items + lo + 1, (v->count - lo - 1) * sizeof *v->items);
    v->count--;
    if (v->capacity > 64 && v->count * 4 < v->capacity) {
        double *items = realloc(v->items, v->capacity / 2 * sizeof *items);
        if (items) {
            v->items = items;
            v->capacity /= 2;
        }
    }
}

/* ---- all accumulators of a cursor */

static void cursor_add(fdl_group_state *g, cursor *c, const event *e, unsigned needs)
{
    c->count++;
    bool ok = true;
    if (needs & FDL_NEEDS_SUM) {
        if (g->type == FDL_INT64)
            c->sum.i += e->value.i;
        else if (g->type == FDL_FLOAT64)
            ok &= fdl_xsum_add(&c->sum.f, e->value.f);
    }
    if (c->moments)
        ok &= fdl_window_moments_update(g->type, c->moments, e->value, 1);
    if (c->distinct)
        ok &= distinct_add(g->type, c->distinct, e->value);
    if (c->sorted)
        ok &= sorted_insert(c->sorted, payload_number(g->type, e->value));
    if (c->sketch)
        ok &= fdl_ddsketch_update(c->sketch, payload_number(g->type, e->value), 1);
    if (c->hll)
        fdl_hll_add_hash(c->hll, payload_hash(g->type, e->value));
    if (!ok)
        g->failed = true;
}

static void cursor_remove(fdl_group_state *g, cursor *c, const event *e, unsigned needs)
{
    c->count--;
    bool ok = true;
    if (needs & FDL_NEEDS_SUM) {
        if (g->type == FDL_INT64)
            c->sum.i -= e->value.i;
        else if (g->type == FDL_FLOAT64)
            ok &= fdl_xsum_sub(&c->sum.f, e->value.f);
    }
    if (c->moments)
        ok &= fdl_window_moments_update(g->type, c->moments, e->value, -1);
    if (c->distinct)
        distinct_remove(g->type, c->distinct, e->value);
    if (c->sorted)
        sorted_remove(c->sorted, payload_number(g->type, e->value));
    if (c->sketch)
        ok &= fdl_ddsketch_update(c->sketch, payload_number(g->type, e->value), -1);
    if (c->hll)
        c->hll_stale = true;
    if (!ok)
        g->failed = true;
}

/* Empties every accumulator (a rebuild follows). */
static void cursor_clear(fdl_group_state *g, cursor *c)
{
    c->count = 0;
    if (g->type == FDL_INT64)
        c->sum.i = 0;
    else if (g->type == FDL_FLOAT64)
        fdl_xsum_free(&c->sum.f);
    if (c->extremes) {
        c->extremes->min.count = c->extremes->max.count = 0;
        c->extremes->valid = true;
    }
    if (c->moments)
        fdl_window_moments_clear(c->moments);
    if (c->distinct)
        distinct_clear(g->type, c->distinct);
    if (c->sorted)
        c->sorted->count = 0;
    if (c->sketch)
        fdl_ddsketch_clear(c->sketch);
    if (c->hll) {
        fdl_hll_clear(c->hll);
        c->hll_stale = false;
    }
}

/* Appends index to a monotonic deque: drops the entries it dominates. */
static void extremes_push(fdl_group_state *g, cursor_extremes *x, unsigned needs, int64_t index)
{
    const event *v = event_at(g, index);
    if (needs & FDL_NEEDS_MIN) {
        while (x->min.count > 0 &&
               extreme_compare(g, event_at(g, deque_back(&x->min)), v, -1) > 0)
            x->min.count--;
        if (!deque_push_back(&x->min, index))
            x->valid = false;
    }
    if (needs & FDL_NEEDS_MAX) {
        while (x->max.count > 0 &&
               extreme_compare(g, event_at(g, deque_back(&x->max)), v, 1) < 0)
            x->max.count--;
        if (!deque_push_back(&x->max, index))
            x->valid = false;
    }
}

void fdl_window_extremes_rebuild(fdl_group_state *g, cursor *c, unsigned needs)
{
    cursor_extremes *x = c->extremes;
    x->min.count = x->min.head = 0;
    x->max.count = x->max.head = 0;
    x->valid = true;
    for (int64_t i = c->lo; i < c->hi && x->valid; i++)
        extremes_push(g, x, needs, i);
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
        out->s = string_copy(value.as.s.ptr, value.as.s.len);
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
            cursor_add(g, c, &e, plan->cursor_needs[l]);
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

    int64_t index = g->front + (int64_t)position;
    for (int i = 0; i < plan->ncursors; i++) {
        cursor *c = &g->cursors[i];
        unsigned needs = plan->cursor_needs[i];
        if (time >= c->end)
            continue;                   /* after the range: index >= hi */
        bool inside = time >= c->start;
        bool appended = index == c->hi;
        if (!inside)
            c->lo++;
        c->hi++;
        if (c->extremes) {
            deque_shift_from(&c->extremes->min, index);
            deque_shift_from(&c->extremes->max, index);
        }
        if (!inside)
            continue;
        cursor_add(g, c, &ev[position], needs);
        if (c->extremes && c->extremes->valid) {
            if (appended)
                extremes_push(g, c->extremes, needs, index);
            else
                c->extremes->valid = false;
        }
    }
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
    const fdl_group_plan *plan = g->plan;
    int64_t cut_index = g->front + (int64_t)k;
    for (int i = 0; i < plan->ncursors; i++) {
        cursor *c = &g->cursors[i];
        unsigned needs = plan->cursor_needs[i];
        if (i == plan->lifetime_cursor) {
            /* Evicted events beyond the range join the base, which the
             * lifetime cursor includes. */
            for (int64_t j = c->hi; j < cut_index; j++)
                cursor_add(g, c, event_at(g, j), needs);
            if (c->end < cut)
                c->end = cut;
        } else {
            for (int64_t j = c->lo; j < c->hi && j < cut_index; j++)
                cursor_remove(g, c, event_at(g, j), needs);
            if (c->start < cut)
                c->start = cut;
            if (c->end < cut)
                c->end = cut;
        }
        if (c->lo < cut_index)
            c->lo = cut_index;
        if (c->hi < cut_index)
            c->hi = cut_index;
        if (c->extremes) {
            deque_pop_front_below(&c->extremes->min, cut_index);
            deque_pop_front_below(&c->extremes->max, cut_index);
        }
    }
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

/* Moves cursor c to the events with start <= time < end. */
static void cursor_move(fdl_group_state *g, int cursor_index, fdl_time start, fdl_time end)
{
    cursor *c = &g->cursors[cursor_index];
    unsigned needs = g->plan->cursor_needs[cursor_index];
    bool lifetime = cursor_index == g->plan->lifetime_cursor;
    const event *ev = live_events(g);
    int64_t front = g->front;
    int64_t lo = lifetime ? front
               : front + (int64_t)lower_bound_from(ev, g->count, (size_t)(c->lo - front), start);
    int64_t hi = front + (int64_t)lower_bound_from(ev, g->count, (size_t)(c->hi - front), end);
    if (hi < lo)
        hi = lo;
    cursor_extremes *x = c->extremes;

    int64_t step_cost = llabs(lo - c->lo) + llabs(hi - c->hi);
    if (!lifetime && (lo >= c->hi || hi <= c->lo || hi - lo < step_cost)) {
        /* Disjoint or far: start over on the new range. */
        cursor_clear(g, c);
        for (int64_t i = lo; i < hi; i++) {
            cursor_add(g, c, event_at(g, i), needs);
            if (x && x->valid)
                extremes_push(g, x, needs, i);
        }
    } else {
        for (int64_t i = c->hi; i < hi; i++) {
            cursor_add(g, c, event_at(g, i), needs);
            if (x && x->valid)
                extremes_push(g, x, needs, i);
        }
        for (int64_t i = hi; i < c->hi; i++)
            cursor_remove(g, c, event_at(g, i), needs);
        for (int64_t i = lo; i < c->lo; i++)
            cursor_add(g, c, event_at(g, i), needs);
        for (int64_t i = c->lo; i < lo; i++)
            cursor_remove(g, c, event_at(g, i), needs);
        if (x) {
            if (hi < c->hi || lo < c->lo)
                x->valid = false;
            deque_pop_front_below(&x->min, lo);
            deque_pop_front_below(&x->max, lo);
        }
    }
    c->lo = lo;
    c->hi = hi;
    c->start = lifetime ? FDL_TIME_MIN : start;
    c->end = end;
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
    cursor_move(g, cursor_index, start, t);
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

static size_t cursor_bytes(const fdl_group_state *g, const cursor *c)
{
    size_t n = g->type == FDL_FLOAT64 ? xsum_bytes(&c->sum.f) : 0;
    if (c->extremes)
        n += sizeof *c->extremes +
             ((size_t)c->extremes->min.capacity + c->extremes->max.capacity) * sizeof(int64_t);
    if (c->moments)
        n += sizeof *c->moments + xsum_bytes(&c->moments->sum) + xsum_bytes(&c->moments->squares);
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
