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

/* Exact sums of x and x*x for variance and stddev. */
typedef struct cursor_moments {
    fdl_xsum sum, squares;
    int64_t huge;                       /* values with |x| >= 2^511: result null */
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
    cursor_moments *moments;            /* NULL without variance/stddev */
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

#endif
