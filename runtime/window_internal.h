/*
 * window_internal.h - what the files of the aggregation engine share:
 * the event, cursor, lifetime base and group state structs, small inline
 * helpers on them, and the functions one file calls in another. Private to
 * window*.c; store.c sees window.h only.
 *
 *   window.c         the public entry points of window.h: state lifecycle,
 *                    push, read, the store's watermark, byte accounting
 *   window_plan.c    group plans: checking the aggregations, which cursor
 *                    and which accumulators each needs
 *   window_buffer.c  events: the time-sorted buffer, inserts, eviction
 *                    (both keep the cursors' ranges), the lifetime base
 *   window_cursor.c  sliding cursors and their accumulators; reads of
 *                    exact windows
 *   window_result.c  result functions shared by cursor and tile reads
 *   window_tiles.c   the tile engine of hopped groups
 *
 * See window.c for the semantics every file keeps.
 */
#ifndef FDL_WINDOW_INTERNAL_H
#define FDL_WINDOW_INTERNAL_H

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sketch.h"
#include "window.h"
#include "xsum.h"

__extension__ typedef __int128 int128;

/* A string value owned by the store: one allocation per event. */
typedef struct event_string {
    size_t len;
    char bytes[];
} event_string;

typedef union event_payload {
    int64_t i;
    double f;
    bool b;
    fdl_time t;
    event_string *s;
} event_payload;

typedef struct event {
    fdl_time time;
    event_payload value;
    event_payload by;                   /* min_by/max_by groups: the ordering value (never a string) */
} event;

/* Ring buffer of absolute event indexes, increasing from front to back. */
typedef struct index_deque {
    int64_t *items;
    uint32_t head, count, capacity;     /* capacity: 0 or a power of two */
} index_deque;

typedef struct cursor_extremes {
    index_deque min, max;               /* fronts: index of the min / max */
    bool valid;                         /* false: rebuild from the range */
} cursor_extremes;

/* Exact sums of x and x*x for variance and stddev; with `higher` (skewness,
 * kurtosis: FDL_NEEDS_HIGHER_MOMENTS) also of x^3 and x^4. */
typedef struct cursor_moments {
    fdl_xsum sum, squares;
    int64_t huge;                       /* values with |x| >= 2^511: result null */
    fdl_xsum cubes, fourths;            /* higher only */
    int64_t huge_higher;                /* higher: values with |x| >= 2^200 (not in cubes, fourths) */
    bool higher;                        /* set when allocated; never changes */
} cursor_moments;

/* count_distinct: open addressing, linear probing, backward-shift delete. */
typedef struct distinct_entry {
    uint64_t hash;
    event_payload key;                  /* strings: owned copy */
    int64_t multiplicity;               /* 0: empty slot */
} distinct_entry;

typedef struct distinct_map {
    distinct_entry *slots;
    size_t capacity;                    /* 0 or a power of two */
    size_t count;                       /* distinct values present */
} distinct_map;

/* percentile: the cursor's values in total order (-0.0 before +0.0). */
typedef struct sorted_values {
    double *items;
    size_t count, capacity;
} sorted_values;

typedef struct cursor {
    int64_t lo, hi;                     /* absolute indexes, [lo, hi) */
    fdl_time start, end;                /* the range holds start <= time < end */
    int64_t count;                      /* lifetime: base included */
    union {
        int128 i;                       /* int64 groups */
        fdl_xsum f;                     /* float64 groups */
    } sum;                              /* lifetime: base included */
    cursor_extremes *extremes;          /* NULL without min/max */
    cursor_moments *moments;            /* NULL without variance/stddev/skewness/kurtosis */
    distinct_map *distinct;             /* NULL without count_distinct */
    sorted_values *sorted;              /* NULL without percentile */
    fdl_ddsketch *sketch;               /* NULL without approx_percentile */
    fdl_hll *hll;                       /* NULL without approx_count_distinct */
    bool hll_stale;                     /* an event left the range: rebuild at the next read */
} cursor;

/* An event's numeric value, for first_k/last_k in the lifetime base. */
typedef struct timed_number {
    fdl_time time;
    double value;
} timed_number;

/* Events evicted (or late) folded together, for lifetime aggregations. */
typedef struct lifetime_base {
    int64_t count;
    event min, max, first, last;        /* owned copies (strings duplicated) */
    /* The first k folded events in order (plan->lifetime_first_k). */
    timed_number *first_k;
    size_t first_k_count, first_k_capacity;
    /* The last k folded events in order: items[last_k_start ..
     * last_k_start + last_k_count), slack in front so that appending the
     * next evicted event is amortized O(1). */
    timed_number *last_k;
    size_t last_k_start, last_k_count, last_k_capacity;
    fdl_hll *hll;                       /* approx_count_distinct: the folded events */
} lifetime_base;

struct fdl_group_state {
    const fdl_group_plan *plan;
    fdl_type type;                      /* value type; FDL_NULL: no values */
    fdl_type by_type;                   /* min_by/max_by: type of event.by; else FDL_NULL */
    event *events;
    size_t head, count, capacity;
    int64_t front;                      /* absolute index of events[head] */
    fdl_time horizon;                   /* events before it were evicted */
    size_t string_bytes;                /* strings of the buffered events (fdl_group_state_bytes) */
    bool failed;                        /* out of memory inside an update */
    lifetime_base base;
    /* first_k/last_k results, one buffer per aggregation (NULL until the
     * first such read) so that reading one never overwrites another's. */
    struct result_vector { double *items; size_t capacity; } *vectors;
    /* top_k results, one buffer per aggregation (NULL until read). A read
     * rewrites it in place and grows it only when longer: a feature read
     * twice in one set read (directly and by a derived feature) writes the
     * same text at the same place, so the first result stays valid. */
    struct result_text { char *bytes; size_t capacity; } *texts;
    struct tile_set *tiles;             /* hopped groups: the tiles (no events, no cursors) */
    cursor cursors[];                   /* plan->ncursors */
};

/* ---------------------------------------------------------- payloads */

static inline int compare_payload(fdl_type type, event_payload a, event_payload b)
{
    switch (type) {
    case FDL_INT64:
        return (a.i > b.i) - (a.i < b.i);
    case FDL_TIMESTAMP:
        return (a.t > b.t) - (a.t < b.t);
    case FDL_BOOL:
        return (int)a.b - (int)b.b;
    case FDL_FLOAT64:
        if (a.f != b.f)
            return a.f < b.f ? -1 : 1;
        /* Equal; only zeros of opposite sign differ: -0.0 < +0.0. */
        return (signbit(b.f) != 0) - (signbit(a.f) != 0);
    case FDL_STRING: {
        size_t n = a.s->len < b.s->len ? a.s->len : b.s->len;
        int c = n ? memcmp(a.s->bytes, b.s->bytes, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return (a.s->len > b.s->len) - (a.s->len < b.s->len);
    }
    default:
        return 0;
    }
}

static inline fdl_value payload_value(fdl_type type, event_payload p)
{
    switch (type) {
    case FDL_INT64: return fdl_int64(p.i);
    case FDL_FLOAT64: return fdl_float64(p.f);
    case FDL_BOOL: return fdl_bool(p.b);
    case FDL_TIMESTAMP: return fdl_timestamp(p.t);
    case FDL_STRING: return fdl_string(p.s->bytes, p.s->len);
    default: return fdl_null();
    }
}

/*
 * The order in which min (want < 0) and max (want > 0) prefer events: by
 * value; in a min_by/max_by group by the by-value, with ties going to the
 * later event and then to the larger value, so that the pick is a function
 * of the window's events whatever their arrival order. Negative: a comes
 * first in the order (min prefers it), positive: after it (max prefers it).
 */
static inline int extreme_compare(const fdl_group_state *g, const event *a, const event *b, int want)
{
    if (g->by_type == FDL_NULL)
        return compare_payload(g->type, a->value, b->value);
    int c = compare_payload(g->by_type, a->by, b->by);
    if (c == 0)
        c = want * ((a->time > b->time) - (a->time < b->time));
    if (c == 0)
        c = want * compare_payload(g->type, a->value, b->value);
    return c;
}

/* An event's value as a float64 (int64 rounded when beyond 2^53). */
static inline double payload_number(fdl_type type, event_payload p)
{
    return type == FDL_INT64 ? (double)p.i : p.f;
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static inline uint64_t payload_hash(fdl_type type, event_payload p)
{
    switch (type) {
    case FDL_INT64: return mix64((uint64_t)p.i);
    case FDL_TIMESTAMP: return mix64((uint64_t)p.t);
    case FDL_BOOL: return mix64(p.b);
    case FDL_FLOAT64: {
        double f = p.f == 0.0 ? 0.0 : p.f;  /* -0.0 and +0.0 are one value */
        uint64_t bits;
        memcpy(&bits, &f, sizeof bits);
        return mix64(bits);
    }
    case FDL_STRING: return fdl_hash_bytes(p.s->bytes, p.s->len);
    default: return 0;
    }
}

static inline size_t xsum_bytes(const fdl_xsum *x)
{
    size_t n = (size_t)x->low.capacity * sizeof(double);
    if (x->high)
        n += sizeof *x->high + (size_t)x->high->capacity * sizeof(double);
    return n;
}

static inline size_t sketch_bytes(const fdl_ddsketch *s)
{
    return (size_t)(s->positive.capacity + s->negative.capacity) * sizeof(int64_t);
}

/* ------------------------------------------------------ event buffer */

/* t - w, saturating at FDL_TIME_MIN (w >= 0). */
static inline fdl_time time_minus(fdl_time t, int64_t w)
{
    return t < FDL_TIME_MIN + w ? FDL_TIME_MIN : t - w;
}

static inline event *event_at(fdl_group_state *g, int64_t index)
{
    return &g->events[g->head + (size_t)(index - g->front)];
}

/* NULL before the first event (NULL + 0 is undefined, even with nothing
 * to index). */
static inline event *live_events(fdl_group_state *g)
{
    return g->events ? g->events + g->head : NULL;
}

static inline int64_t deque_front(const index_deque *d)
{
    return d->items[d->head];
}

static inline int64_t deque_back(const index_deque *d)
{
    return d->items[(d->head + d->count - 1) & (d->capacity - 1)];
}

/* Drops the indexes below `index` (events left the range). */
static inline void deque_pop_front_below(index_deque *d, int64_t index)
{
    while (d->count > 0 && deque_front(d) < index) {
        d->head = (d->head + 1) & (d->capacity - 1);
        d->count--;
    }
}

/* An event was inserted at absolute index `index`: rename those after it. */
static inline void deque_shift_from(index_deque *d, int64_t index)
{
    for (uint32_t i = 0; i < d->count; i++) {
        int64_t *item = &d->items[(d->head + i) & (d->capacity - 1)];
        if (*item >= index)
            (*item)++;
    }
}

/* ---------------------------------------------------------- invariants */

/*
 * The invariants the engine keeps, asserted after each mutation that could
 * break them (compiled in every build but Release: runtime/CMakeLists.txt
 * undoes -DNDEBUG for the window files). Each check is O(1).
 *
 * Buffer: the live events are events[head .. head + count), so
 * head + count <= capacity; they are sorted by time (checked where an
 * event lands: against its neighbours); front, the absolute index of
 * events[head], only grows; every live event is at or after the horizon.
 */
static inline void buffer_check(const fdl_group_state *g)
{
#ifndef NDEBUG
    assert(g->head + g->count <= g->capacity);
    assert(g->capacity == 0 || g->events);
    assert(g->front >= 0);
    assert(g->count == 0 || g->events[g->head].time >= g->horizon);
#else
    (void)g;
#endif
}

/*
 * Cursor i: front <= lo <= hi <= front + count, start <= end, and the
 * range [lo, hi) is exactly the live events with start <= time < end (its
 * ends checked against their neighbours); the lifetime cursor starts at
 * the front. Its count is hi - lo, plus, for the lifetime cursor, the
 * events folded into the base (unless an update ran out of memory). Valid
 * min/max deques hold indexes inside the range.
 */
/* The time of the live event at absolute index `index`. */
static inline fdl_time time_at(const fdl_group_state *g, int64_t index)
{
    assert(index >= g->front && index < g->front + (int64_t)g->count);
    return g->events[g->head + (size_t)(index - g->front)].time;
}

static inline void cursor_check(const fdl_group_state *g, int i)
{
#ifndef NDEBUG
    const cursor *c = &g->cursors[i];
    int64_t back = g->front + (int64_t)g->count;
    assert(g->front <= c->lo && c->lo <= c->hi && c->hi <= back);
    assert(c->start <= c->end);
    assert(c->lo == c->hi || (time_at(g, c->lo) >= c->start && time_at(g, c->hi - 1) < c->end));
    assert(c->lo == g->front || time_at(g, c->lo - 1) < c->start);
    assert(c->hi == back || time_at(g, c->hi) >= c->end);
    if (i == g->plan->lifetime_cursor)
        assert(c->lo == g->front && (g->failed || c->count == c->hi - c->lo + g->base.count));
    else
        assert(c->count == c->hi - c->lo);
    const cursor_extremes *x = c->extremes;
    if (x && x->valid) {
        assert(x->min.count == 0 || (deque_front(&x->min) >= c->lo && deque_back(&x->min) < c->hi));
        assert(x->max.count == 0 || (deque_front(&x->max) >= c->lo && deque_back(&x->max) < c->hi));
    }
#else
    (void)g;
    (void)i;
#endif
}

static inline void cursors_check(const fdl_group_state *g)
{
#ifndef NDEBUG
    for (int i = 0; i < g->plan->ncursors; i++)
        cursor_check(g, i);
#else
    (void)g;
#endif
}

/*
 * Functions one file of the engine calls in another: hidden, so that they
 * stay out of libfdlrt.so's symbol table and calls inside the library
 * bind directly (no PLT, no interposition).
 */
#pragma GCC visibility push(hidden)

/* ---- window_buffer.c */

event_string *fdl_window_string_copy(const char *bytes, size_t len);
/* Replaces *slot (owned) by a copy of e. */
bool fdl_window_event_assign(fdl_type type, event *slot, const event *e, bool had_value);
/* A pushed value as the group holds it (int64 into a float64 group
 * converted; strings copied); FDL_ERR_ARGUMENT for a wrong type or a
 * non-finite float. */
fdl_status fdl_window_make_payload(fdl_type type, fdl_value value, event_payload *out);
fdl_status fdl_window_insert(fdl_group_state *g, event *e, fdl_store_stats *stats);
/* Folds an event (evicted, or late) into the lifetime base. */
void fdl_window_base_fold(fdl_group_state *g, const event *e);
void fdl_window_evict_before(fdl_group_state *g, fdl_time cut, fdl_store_stats *stats);
/* Frees the buffered events and the lifetime base. */
void fdl_window_buffer_free(fdl_group_state *g);

/* ---- window_cursor.c */

bool fdl_window_cursors_init(fdl_group_state *g);
void fdl_window_cursors_free(fdl_group_state *g);
/* Add an event to the cursor's accumulators, or remove it (not to or from
 * its range: the caller moves lo and hi). */
void fdl_window_cursor_add(fdl_group_state *g, cursor *c, const event *e, unsigned needs);
void fdl_window_cursor_remove(fdl_group_state *g, cursor *c, const event *e, unsigned needs);
/* Appends index to a valid cursor's monotonic deques. */
void fdl_window_extremes_push(fdl_group_state *g, cursor_extremes *x, unsigned needs,
                              int64_t index);
/* fdl_group_state_read of a group without hop. */
fdl_status fdl_window_cursor_read(fdl_group_state *g, int agg, fdl_time t, bool keep_history,
                                  fdl_value *out, fdl_store_stats *stats);
/* Rebuilds the cursor's min/max deques by scanning its range. */
void fdl_window_extremes_rebuild(fdl_group_state *g, cursor *c, unsigned needs);
/* Adds (sign 1) or removes (-1) a value's contributions to the moments. */
bool fdl_window_moments_update(fdl_type type, cursor_moments *m, event_payload p, int sign);
void fdl_window_moments_clear(cursor_moments *m);
/* Adds from's sums into into (a hopped window's tiles); false out of memory. */
bool fdl_window_moments_merge(cursor_moments *into, const cursor_moments *from);

/* ---- window_result.c */

/* From a cursor moved to the read's window. */
fdl_value fdl_window_extreme_value(fdl_group_state *g, int cursor_index, int want);
fdl_value fdl_window_percentile_value(const sorted_values *v, double p);
/* max_k (largest) or min_k from the sorted values. */
fdl_value fdl_window_extreme_k_value(fdl_group_state *g, int agg, const sorted_values *v, int64_t k,
                                     bool largest);
fdl_value fdl_window_top_k_value(fdl_group_state *g, int agg, const cursor *c, int64_t k);
fdl_value fdl_window_k_events_value(fdl_group_state *g, int agg, const cursor *c, int64_t k,
                                    bool lifetime, bool newest);
/* From a cursor or a merged tile state (count, sum, moments, sketch). */
fdl_value fdl_window_sum_value(fdl_group_state *g, const cursor *c);
fdl_value fdl_window_mean_value(fdl_group_state *g, const cursor *c);
fdl_value fdl_window_variance_value(fdl_group_state *g, const cursor *c, bool stddev);
/* skewness (kurtosis false) or excess kurtosis from higher moments. */
fdl_value fdl_window_shape_value(fdl_group_state *g, const cursor *c, bool kurtosis);
fdl_value fdl_window_approx_percentile_value(const fdl_ddsketch *sketch, double p);
fdl_value fdl_window_percentiles_value(fdl_group_state *g, int agg, const cursor *c,
                                       const fdl_agg_desc *desc);

/* ---- window_tiles.c: hopped groups (g->tiles != NULL) */

struct tile_set *fdl_window_tiles_new(const fdl_group_plan *plan);
void fdl_window_tiles_free(fdl_group_state *g);
size_t fdl_window_tiles_count(const struct tile_set *ts);
/* Takes the event (frees its string). */
fdl_status fdl_window_tiles_push(fdl_group_state *g, event *e, fdl_store_stats *stats);
fdl_status fdl_window_tiles_read(fdl_group_state *g, int agg, fdl_time t, bool keep_history,
                                 fdl_value *out, fdl_store_stats *stats);
/* fdl_group_read_expired, fdl_group_state_expire and fdl_group_state_empty
 * of a hopped group (watermark > FDL_TIME_MIN). */
bool fdl_window_tiles_read_expired(const fdl_group_plan *plan, int agg, fdl_time t,
                                   fdl_time watermark);
bool fdl_window_tiles_expire(fdl_group_state *g, fdl_time watermark, fdl_store_stats *stats);
bool fdl_window_tiles_empty(const fdl_group_state *g, fdl_time watermark);
size_t fdl_window_tiles_bytes(const struct tile_set *ts);

#pragma GCC visibility pop

#endif
