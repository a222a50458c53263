/*
 * window_cursor.c - sliding cursors: per distinct window of a group, the
 * index range [lo, hi) of the buffered events inside the window of its
 * last read, and the accumulators its aggregations need over that range
 * (count and exact sum; monotonic min/max deques of event indexes; exact
 * moments; the distinct map of count_distinct and top_k, a second hash
 * table; the sorted values of percentile; a DDSketch; a HyperLogLog). A
 * read of an exact window moves its cursor forward or back, or rebuilds
 * it, and answers from it (fdl_window_cursor_read); the buffer's inserts
 * and evictions (window_buffer.c) keep every cursor consistent through
 * fdl_window_cursor_add/remove and the deques.
 */
#include "window_internal.h"

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
    /* Indexes increase from front to back (the deque follows the range). */
    assert(d->count == 0 || deque_back(d) < index);
    d->items[(d->head + d->count++) & (d->capacity - 1)] = index;
    assert(d->count <= d->capacity && (d->capacity & (d->capacity - 1)) == 0 && d->head < d->capacity);
    return true;
}

static void deque_free(index_deque *d)
{
    free(d->items);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------- event search */

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

/* Appends the exact two-product of every a[i] and b[j] (two doubles each:
 * the rounded product and its error, exact unless the error underflows). */
static int exact_products(const double *a, int na, const double *b, int nb, double *out)
{
    int n = 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++) {
            double product = a[i] * b[j];
            out[n++] = product;
            out[n++] = fma(a[i], b[j], -product);
        }
    return n;
}

static bool xsum_update(fdl_xsum *sum, const double *terms, int n, int sign)
{
    bool ok = true;
    for (int i = 0; i < n; i++)
        ok &= sign > 0 ? fdl_xsum_add(sum, terms[i]) : fdl_xsum_sub(sum, terms[i]);
    return ok;
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
        if (m->higher)
            m->huge_higher += sign;
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
    bool ok = xsum_update(&m->sum, x, n, sign) && xsum_update(&m->squares, terms, nterms, sign);
    if (!m->higher)
        return ok;
    /* x^3 and x^4 as exact two-products of the square's terms with x and
     * with themselves (at most 2 * 6 * 2 and 2 * 6 * 6 doubles). Beyond
     * 2^200 they could overflow what the result step multiplies: null. */
    if (fabs(x[0]) >= 0x1p200) {
        m->huge_higher += sign;
        return ok;
    }
    double cubes[2 * 6 * VALUE_PARTS_MAX], fourths[2 * 6 * 6];
    int ncubes = exact_products(terms, nterms, x, n, cubes);
    int nfourths = exact_products(terms, nterms, terms, nterms, fourths);
    ok &= xsum_update(&m->cubes, cubes, ncubes, sign);
    ok &= xsum_update(&m->fourths, fourths, nfourths, sign);
    return ok;
}

void fdl_window_moments_clear(cursor_moments *m)
{
    fdl_xsum_free(&m->sum);
    fdl_xsum_free(&m->squares);
    fdl_xsum_free(&m->cubes);
    fdl_xsum_free(&m->fourths);
    m->huge = m->huge_higher = 0;
}

bool fdl_window_moments_merge(cursor_moments *into, const cursor_moments *from)
{
    into->huge += from->huge;
    bool ok = fdl_xsum_merge(&into->sum, &from->sum) && fdl_xsum_merge(&into->squares, &from->squares);
    if (ok && into->higher && from->higher) {
        into->huge_higher += from->huge_higher;
        ok = fdl_xsum_merge(&into->cubes, &from->cubes) && fdl_xsum_merge(&into->fourths, &from->fourths);
    }
    return ok;
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
    assert((m->count + 1) * 4 <= m->capacity * 3);     /* a free slot ends every probe */
    uint64_t hash = payload_hash(type, key);
    distinct_entry *slot = &m->slots[distinct_find(type, m, key, hash)];
    if (slot->multiplicity > 0) {
        slot->multiplicity++;
        return true;
    }
    if (type == FDL_STRING) {
        key.s = fdl_window_string_copy(key.s->bytes, key.s->len);
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
    assert(v->count <= v->capacity);
    assert(lo + 1 == v->count || !number_before(v->items[lo + 1], x));
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

void fdl_window_cursor_add(fdl_group_state *g, cursor *c, const event *e, unsigned needs)
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

void fdl_window_cursor_remove(fdl_group_state *g, cursor *c, const event *e, unsigned needs)
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
void fdl_window_extremes_push(fdl_group_state *g, cursor_extremes *x, unsigned needs,
                              int64_t index)
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
        fdl_window_extremes_push(g, x, needs, i);
    cursor_check(g, (int)(c - g->cursors));
}

/* ------------------------------------------------------------ cursors */

/* Moves cursor cursor_index to the events with start <= time < end. */
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
            fdl_window_cursor_add(g, c, event_at(g, i), needs);
            if (x && x->valid)
                fdl_window_extremes_push(g, x, needs, i);
        }
    } else {
        for (int64_t i = c->hi; i < hi; i++) {
            fdl_window_cursor_add(g, c, event_at(g, i), needs);
            if (x && x->valid)
                fdl_window_extremes_push(g, x, needs, i);
        }
        for (int64_t i = hi; i < c->hi; i++)
            fdl_window_cursor_remove(g, c, event_at(g, i), needs);
        for (int64_t i = lo; i < c->lo; i++)
            fdl_window_cursor_add(g, c, event_at(g, i), needs);
        for (int64_t i = c->lo; i < lo; i++)
            fdl_window_cursor_remove(g, c, event_at(g, i), needs);
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
    cursor_check(g, cursor_index);
}

/* fdl_group_state_read of a group with exact windows: evicts, moves the
 * aggregation's cursor to the window [t - w, t), answers from it. */
fdl_status fdl_window_cursor_read(fdl_group_state *g, int agg, fdl_time t, bool keep_history,
                                  fdl_value *out, fdl_store_stats *stats)
{
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
    fdl_time cut = time_minus(t, plan->longest_window);
    if (!keep_history && cut > g->horizon)     /* the common case, without a call */
        fdl_window_evict_before(g, cut, stats);
    cursor_move(g, cursor_index, start, t);
    if (g->failed)
        return FDL_ERR_MEMORY;

    cursor *c = &g->cursors[cursor_index];
    bool base = lifetime && g->base.count > 0;
    switch (desc->function) {
    case FDL_AGG_COUNT:
        *out = fdl_int64(c->count);
        break;
    case FDL_AGG_SUM:
        *out = c->count == 0 ? fdl_group_empty_result(desc) : fdl_window_sum_value(g, c);
        break;
    case FDL_AGG_MEAN:
        *out = fdl_window_mean_value(g, c);
        break;
    case FDL_AGG_MIN:
        *out = fdl_window_extreme_value(g, cursor_index, -1);
        break;
    case FDL_AGG_MAX:
    case FDL_AGG_MAX_BY:
        *out = fdl_window_extreme_value(g, cursor_index, 1);
        break;
    case FDL_AGG_MIN_BY:
        *out = fdl_window_extreme_value(g, cursor_index, -1);
        break;
    case FDL_AGG_FIRST:
        if (base)
            *out = payload_value(g->type, g->base.first.value);
        else if (c->lo < c->hi)
            *out = payload_value(g->type, event_at(g, c->lo)->value);
        break;
    case FDL_AGG_LAST:
        if (c->lo < c->hi)
            *out = payload_value(g->type, event_at(g, c->hi - 1)->value);
        else if (base)
            *out = payload_value(g->type, g->base.last.value);
        break;
    case FDL_AGG_VARIANCE:
    case FDL_AGG_STDDEV:
        *out = fdl_window_variance_value(g, c, desc->function == FDL_AGG_STDDEV);
        break;
    case FDL_AGG_SKEWNESS:
    case FDL_AGG_KURTOSIS:
        *out = fdl_window_shape_value(g, c, desc->function == FDL_AGG_KURTOSIS);
        break;
    case FDL_AGG_COUNT_DISTINCT:
        *out = fdl_int64((int64_t)c->distinct->count);
        break;
    case FDL_AGG_FIRST_K:
    case FDL_AGG_LAST_K:
        *out = fdl_window_k_events_value(g, agg, c, desc->k, lifetime, desc->function == FDL_AGG_LAST_K);
        break;
    case FDL_AGG_PERCENTILE:
        if (desc->npercentiles)
            *out = fdl_window_percentiles_value(g, agg, c, desc);
        else
            *out = fdl_window_percentile_value(c->sorted, desc->percentile);
        break;
    case FDL_AGG_TOP_K:
        *out = fdl_window_top_k_value(g, agg, c, desc->k);
        break;
    case FDL_AGG_MAX_K:
    case FDL_AGG_MIN_K:
        *out = fdl_window_extreme_k_value(g, agg, c->sorted, desc->k, desc->function == FDL_AGG_MAX_K);
        break;
    case FDL_AGG_APPROX_COUNT_DISTINCT:
        if (c->hll_stale) {
            /* The base's evicted events, then the live ones in range. */
            memcpy(c->hll, g->base.hll, sizeof *c->hll);
            for (int64_t i = c->lo; i < c->hi; i++)
                fdl_hll_add_hash(c->hll, payload_hash(g->type, event_at(g, i)->value));
            c->hll_stale = false;
        }
        *out = fdl_int64(fdl_hll_estimate(c->hll));
        break;
    case FDL_AGG_APPROX_PERCENTILE:
        if (desc->npercentiles)
            *out = fdl_window_percentiles_value(g, agg, c, desc);
        else
            *out = fdl_window_approx_percentile_value(c->sketch, desc->percentile);
        break;
    }
    return g->failed ? FDL_ERR_MEMORY : FDL_OK;
}

/* Allocates each cursor's accumulators (the plan's needs); false when out of
 * memory (fdl_window_cursors_free frees what was allocated). */
bool fdl_window_cursors_init(fdl_group_state *g)
{
    const fdl_group_plan *plan = g->plan;
    for (int i = 0; i < plan->ncursors; i++) {
        cursor *c = &g->cursors[i];
        c->start = c->end = FDL_TIME_MIN;
        if (g->type == FDL_FLOAT64)
            fdl_xsum_init(&c->sum.f);
        unsigned needs = plan->cursor_needs[i];
        bool ok = true;
        if (needs & (FDL_NEEDS_MIN | FDL_NEEDS_MAX))
            ok &= (c->extremes = calloc(1, sizeof *c->extremes)) != NULL;
        if (needs & FDL_NEEDS_MOMENTS) {
            ok &= (c->moments = calloc(1, sizeof *c->moments)) != NULL;
            if (c->moments)
                c->moments->higher = (needs & FDL_NEEDS_HIGHER_MOMENTS) != 0;
        }
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
        if (!ok)
            return false;
    }
    return true;
}

void fdl_window_cursors_free(fdl_group_state *g)
{
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
            fdl_window_moments_clear(c->moments);
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
}
