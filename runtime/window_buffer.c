/*
 * window_buffer.c - a group's events: the values an event holds (string
 * copies), the time-sorted event buffer used as a deque (appends, inserts
 * of out-of-order events, growing and shrinking), eviction up to the
 * horizon, and the lifetime base that evicted and late events fold into.
 * Events are named by absolute index, so an insert or an eviction moves
 * every cursor's range [lo, hi) too (here, in the same loop as the event:
 * a call per cursor, not one more per push).
 */
#include "window_internal.h"

/* ------------------------------------------------------------ payloads */

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

fdl_status fdl_window_make_payload(fdl_type type, fdl_value value, event_payload *out)
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
    buffer_check(g);
    if (g->head + g->count < g->capacity)
        return true;
    if (g->head > 0 && g->head >= g->capacity / 2) {
        /* Half the array was evicted since: sliding down is amortized O(1). */
        memmove(g->events, g->events + g->head, g->count * sizeof *g->events);
        g->head = 0;
        assert(g->count < g->capacity);
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
    assert(g->count < g->capacity);
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
    buffer_check(g);
}

/* Inserts e at its time position (after the events of equal time) and
 * updates the cursors; takes e (frees its string on failure). */
fdl_status fdl_window_insert(fdl_group_state *g, event *e, fdl_store_stats *stats)
{
    if (!events_reserve(g)) {
        if (g->type == FDL_STRING)
            free(e->value.s);
        return FDL_ERR_MEMORY;
    }
    event *ev = live_events(g);
    size_t position = g->count;
    if (g->count > 0 && ev[g->count - 1].time > e->time) {
        position = upper_bound(ev, g->count, e->time);
        memmove(ev + position + 1, ev + position, (g->count - position) * sizeof *ev);
        stats->events_out_of_order++;
    }
    ev[position] = *e;
    g->count++;
    stats->events_held++;
    if (g->type == FDL_STRING)
        g->string_bytes += sizeof *e->value.s + e->value.s->len;
    /* Still sorted, equal times in arrival order: e lands after every
     * event of its time or before, and before every later one. */
    assert(position == 0 || ev[position - 1].time <= e->time);
    assert(position + 1 == g->count || ev[position + 1].time > e->time);
    buffer_check(g);

    /* Every cursor keeps its invariant: an insert before its range shifts
     * its indexes, inside it adds the event. */
    const fdl_group_plan *plan = g->plan;
    int64_t index = g->front + (int64_t)position;
    for (int i = 0; i < plan->ncursors; i++) {
        cursor *c = &g->cursors[i];
        unsigned needs = plan->cursor_needs[i];
        if (e->time >= c->end)
            continue;                   /* after the range: index >= hi */
        bool inside = e->time >= c->start;
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
        fdl_window_cursor_add(g, c, &ev[position], needs);
        if (c->extremes && c->extremes->valid) {
            if (appended)
                fdl_window_extremes_push(g, c->extremes, needs, index);
            else
                c->extremes->valid = false;
        }
    }
    cursors_check(g);
    return FDL_OK;
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
    assert(b->first_k_count <= k && b->first_k_count <= b->first_k_capacity);
    assert(position == 0 || b->first_k[position - 1].time <= e->time);
    assert(position + 1 == b->first_k_count || b->first_k[position + 1].time > e->time);
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
    assert(b->last_k_count <= k && b->last_k_start + b->last_k_count <= b->last_k_capacity);
    assert(position == 0 || items[position - 1].time <= e->time);
    assert(position + 1 == b->last_k_count || items[position + 1].time > e->time);
    return true;
}

/* Folds an event (evicted, or late) into the lifetime base. */
void fdl_window_base_fold(fdl_group_state *g, const event *e)
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

/* ------------------------------------------------------------ eviction */

/* Drops the events with time < cut (folding them into the lifetime base)
 * and raises the horizon to cut. */
void fdl_window_evict_before(fdl_group_state *g, fdl_time cut, fdl_store_stats *stats)
{
    if (cut <= g->horizon)
        return;
    g->horizon = cut;                   /* only ever raised */
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
                fdl_window_cursor_add(g, c, event_at(g, j), needs);
            if (c->end < cut)
                c->end = cut;
        } else {
            for (int64_t j = c->lo; j < c->hi && j < cut_index; j++)
                fdl_window_cursor_remove(g, c, event_at(g, j), needs);
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
        fdl_window_base_fold(g, e);
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
    assert(g->horizon == cut && g->front == cut_index);
    buffer_check(g);
    cursors_check(g);
}

void fdl_window_buffer_free(fdl_group_state *g)
{
    if (g->type == FDL_STRING)
        for (size_t i = 0; i < g->count; i++)
            free(g->events[g->head + i].value.s);
    free(g->events);
    lifetime_base_free(g);
}
