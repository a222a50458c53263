/*
 * window_result.c - result functions: an aggregation's value from a
 * cursor's accumulators (and, for lifetime windows, the base): sum, mean,
 * min/max, variance, percentiles, top_k's JSON, first_k/last_k's vectors.
 * Reads of exact windows (window_cursor.c) and of tiles (window_tiles.c,
 * from a merged state in a cursor struct) call the same ones, so both
 * round alike.
 */
#define _POSIX_C_SOURCE 200809L         /* open_memstream */

#include "window_internal.h"

fdl_value fdl_window_sum_value(fdl_group_state *g, const cursor *c)
{
    if (g->type == FDL_INT64) {
        if (c->sum.i < INT64_MIN || c->sum.i > INT64_MAX)
            return fdl_null();
        return fdl_int64((int64_t)c->sum.i);
    }
    double f;
    if (!fdl_xsum_result(&c->sum.f, &f))
        return fdl_null();
    return fdl_float64(f);
}

fdl_value fdl_window_mean_value(fdl_group_state *g, const cursor *c)
{
    if (c->count == 0)
        return fdl_null();
    double total;
    if (g->type == FDL_INT64)
        total = (double)c->sum.i;       /* correctly rounded from 128 bits */
    else if (!fdl_xsum_result(&c->sum.f, &total))
        return fdl_null();
    double mean = total / (double)c->count;
    return isfinite(mean) ? fdl_float64(mean) : fdl_null();
}

/* min (want < 0) or max (want > 0) of the range, with the base for lifetime. */
fdl_value fdl_window_extreme_value(fdl_group_state *g, int cursor_index, int want)
{
    cursor *c = &g->cursors[cursor_index];
    cursor_extremes *x = c->extremes;
    if (!x->valid)
        fdl_window_extremes_rebuild(g, c, g->plan->cursor_needs[cursor_index]);
    if (!x->valid) {
        g->failed = true;
        return fdl_null();
    }
    const index_deque *d = want < 0 ? &x->min : &x->max;
    const event *best = d->count > 0 ? event_at(g, deque_front(d)) : NULL;
    if (cursor_index == g->plan->lifetime_cursor && g->base.count > 0) {
        const event *b = want < 0 ? &g->base.min : &g->base.max;
        /* Ties are identical events (as far as the result goes); either will do. */
        if (!best || extreme_compare(g, b, best, want) * want > 0)
            best = b;
    }
    return best ? payload_value(g->type, best->value) : fdl_null();
}

/*
 * Sample variance from the moments (see the header comment). The canonical
 * expansions make every step below a function of the values alone.
 */
fdl_value fdl_window_variance_value(fdl_group_state *g, const cursor *c, bool stddev)
{
    const cursor_moments *m = c->moments;
    int64_t n = c->count;
    if (n < 2 || m->huge > 0)
        return fdl_null();
    enum { PARTS_MAX = 64 };
    double s1[PARTS_MAX], s2[PARTS_MAX];
    int n1 = fdl_xsum_canonical(&m->sum, s1, PARTS_MAX);
    int n2 = fdl_xsum_canonical(&m->squares, s2, PARTS_MAX);
    if (n1 < 0 || n2 < 0)
        return fdl_null();              /* sum of squares beyond float64 */
    double variance = 0.0;
    if (n2 > 0) {
        /* Scale S2 by 2^-2h and S1 by 2^-h so that S2 is about 1: then
         * n*S2 < 2^66 and S1^2 <= n*S2 (Cauchy-Schwarz) cannot overflow. */
        int h = ilogb(s2[0]);
        h = h >= 0 ? h / 2 : -((1 - h) / 2);
        double nd = (double)n;
        fdl_xsum numerator;
        fdl_xsum_init(&numerator);
        bool finite = true, memory = true;
        for (int i = 0; i < n2 && finite && memory; i++) {
            double part = ldexp(s2[i], -2 * h);
            double product = nd * part;
            finite = isfinite(product);
            if (finite)
                memory = fdl_xsum_add(&numerator, product) &&
                         fdl_xsum_add(&numerator, fma(nd, part, -product));
        }
        for (int i = 0; i < n1 && finite && memory; i++) {
            double a = ldexp(s1[i], -h);
            for (int j = i; j < n1 && finite && memory; j++) {
                double b = ldexp(s1[j], -h) * (i == j ? 1.0 : 2.0);
                double product = a * b;
                /* finite unless S2 lost most of itself to underflow */
                finite = isfinite(product);
                if (finite)
                    memory = fdl_xsum_sub(&numerator, product) &&
                             fdl_xsum_sub(&numerator, fma(a, b, -product));
            }
        }
        double rounded = 0.0;
        /* result fails only on memory: the scaled numerator is small */
        if (finite && memory)
            memory = fdl_xsum_result(&numerator, &rounded);
        fdl_xsum_free(&numerator);
        if (!memory)
            g->failed = true;           /* the read reports FDL_ERR_MEMORY */
        if (!finite)
            return fdl_null();
        if (rounded > 0.0)
            variance = ldexp(rounded / (nd * (double)(n - 1)), 2 * h);
    }
    double result = stddev ? sqrt(variance) : variance;
    return isfinite(result) ? fdl_float64(result) : fdl_null();
}

/* numpy's "linear" percentile of the sorted values. */
fdl_value fdl_window_percentile_value(const sorted_values *v, double p)
{
    if (v->count == 0)
        return fdl_null();
    double h = (double)(v->count - 1) * p;
    double floor_h = floor(h);
    size_t i = (size_t)floor_h;
    if (i >= v->count - 1)
        return fdl_float64(v->items[v->count - 1]);
    if (h == floor_h)
        return fdl_float64(v->items[i]);
    double a = v->items[i], b = v->items[i + 1], fraction = h - floor_h;
    double difference = b - a;
    double result;
    if (isfinite(difference))
        result = a + fraction * difference;
    else                                /* b - a overflows: halve everything */
        result = 2.0 * (a * 0.5 + fraction * (b * 0.5 - a * 0.5));
    return isfinite(result) ? fdl_float64(result) : fdl_null();
}

/* top_k: entries ordered by multiplicity (larger first), then value. */
static bool top_before(fdl_type type, const distinct_entry *a, const distinct_entry *b)
{
    if (a->multiplicity != b->multiplicity)
        return a->multiplicity > b->multiplicity;
    return compare_payload(type, a->key, b->key) < 0;
}

/* A stable merge sort of entry pointers (qsort has no context for the type). */
static void top_sort(fdl_type type, const distinct_entry **items, const distinct_entry **scratch, size_t n)
{
    if (n < 2)
        return;
    size_t half = n / 2;
    top_sort(type, items, scratch, half);
    top_sort(type, items + half, scratch, n - half);
    size_t i = 0, j = half, k = 0;
    while (i < half && j < n)
        scratch[k++] = top_before(type, items[j], items[i]) ? items[j++] : items[i++];
    while (i < half)
        scratch[k++] = items[i++];
    while (j < n)
        scratch[k++] = items[j++];
    memcpy(items, scratch, n * sizeof *items);
}

/* The k most frequent values of the cursor with their counts, as JSON. */
fdl_value fdl_window_top_k_value(fdl_group_state *g, int agg, const cursor *c, int64_t k)
{
    const distinct_map *m = c->distinct;
    if (m->count == 0)
        return fdl_null();
    const distinct_entry **items = malloc(m->count * sizeof *items);
    const distinct_entry **scratch = malloc(m->count * sizeof *scratch);
    char *text = NULL;
    size_t length = 0;
    FILE *out = items && scratch ? open_memstream(&text, &length) : NULL;
    if (!out) {
        free(items);
        free(scratch);
        g->failed = true;
        return fdl_null();
    }
    size_t n = 0;
    for (size_t i = 0; i < m->capacity; i++)
        if (m->slots[i].multiplicity > 0)
            items[n++] = &m->slots[i];
    top_sort(g->type, items, scratch, n);
    putc('[', out);
    for (size_t i = 0; i < n && (int64_t)i < k; i++) {
        fputs(i ? ",[" : "[", out);
        fdl_value v = payload_value(g->type, items[i]->key);
        /* -0.0 and +0.0 are one value: print it one way, whichever arrived first */
        if (v.type == FDL_FLOAT64 && v.as.f == 0.0)
            v = fdl_float64(0.0);
        fdl_json_write_value(out, v);
        fprintf(out, ",%lld]", (long long)items[i]->multiplicity);
    }
    putc(']', out);
    free(items);
    free(scratch);
    if (fclose(out) != 0 || !text ||
        (!g->texts && !(g->texts = calloc((size_t)g->plan->desc->naggs, sizeof *g->texts)))) {
        free(text);
        g->failed = true;
        return fdl_null();
    }
    struct result_text *r = &g->texts[agg];
    if (length + 1 > r->capacity) {
        char *grown = realloc(r->bytes, length + 1);
        if (!grown) {
            free(text);
            g->failed = true;
            return fdl_null();
        }
        r->bytes = grown;
        r->capacity = length + 1;
    }
    memcpy(r->bytes, text, length + 1);
    free(text);
    return fdl_string(r->bytes, length);
}

/* Room for dim doubles in aggregation agg's result vector. */
static double *vector_reserve(fdl_group_state *g, int agg, size_t dim)
{
    if (!g->vectors && !(g->vectors = calloc((size_t)g->plan->desc->naggs, sizeof *g->vectors)))
        return NULL;
    struct result_vector *r = &g->vectors[agg];
    if (dim > r->capacity) {
        size_t capacity = r->capacity ? r->capacity : 8;
        while (capacity < dim)
            capacity *= 2;
        double *items = malloc(capacity * sizeof *items);
        if (!items)
            return NULL;
        free(r->items);
        r->items = items;
        r->capacity = capacity;
    }
    return r->items;
}

/* first_k (newest == false) or last_k: the base, for lifetime, holds the
 * events before the range. */
fdl_value fdl_window_k_events_value(fdl_group_state *g, int agg, const cursor *c, int64_t k,
                                    bool lifetime, bool newest)
{
    const lifetime_base *b = &g->base;
    size_t want = (size_t)k;
    size_t range = (size_t)(c->hi - c->lo);
    size_t base = !lifetime ? 0 : newest ? b->last_k_count : b->first_k_count;
    size_t dim = range + base < want ? range + base : want;
    if (dim == 0)
        return fdl_null();
    double *v = vector_reserve(g, agg, dim);
    if (!v) {
        g->failed = true;
        return fdl_null();
    }
    size_t i = 0;
    if (newest) {
        for (int64_t j = c->hi - 1; i < dim && j >= c->lo; j--)
            v[i++] = payload_number(g->type, event_at(g, j)->value);
        /* no array before the first fold (and base is 0 then) */
        const timed_number *items = b->last_k ? b->last_k + b->last_k_start : NULL;
        for (size_t j = base; i < dim && j > 0; j--)
            v[i++] = items[j - 1].value;
    } else {
        for (size_t j = 0; i < dim && j < base; j++)
            v[i++] = b->first_k[j].value;
        for (int64_t j = c->lo; i < dim && j < c->hi; j++)
            v[i++] = payload_number(g->type, event_at(g, j)->value);
    }
    return fdl_vector(v, (int32_t)dim);
}

fdl_value fdl_window_approx_percentile_value(const fdl_ddsketch *sketch, double p)
{
    double value;
    return fdl_ddsketch_quantile(sketch, p, &value) && isfinite(value) ? fdl_float64(value)
                                                                       : fdl_null();
}

/* percentile: [p, ...]: each element exactly the result for that one p;
 * null when any of them is (the empty window). */
fdl_value fdl_window_percentiles_value(fdl_group_state *g, int agg, const cursor *c,
                                   const fdl_agg_desc *desc)
{
    bool exact = desc->function == FDL_AGG_PERCENTILE;
    double *v = vector_reserve(g, agg, (size_t)desc->npercentiles);
    if (!v) {
        g->failed = true;
        return fdl_null();
    }
    for (int i = 0; i < desc->npercentiles; i++) {
        fdl_value one = exact ? fdl_window_percentile_value(c->sorted, desc->percentiles[i])
                              : fdl_window_approx_percentile_value(c->sketch, desc->percentiles[i]);
        if (one.type != FDL_FLOAT64)
            return fdl_null();
        v[i] = one.as.f;
    }
    return fdl_vector(v, desc->npercentiles);
}

fdl_value fdl_group_empty_result(const fdl_agg_desc *agg)
{
    switch (agg->function) {
    case FDL_AGG_COUNT:
    case FDL_AGG_COUNT_DISTINCT:
    case FDL_AGG_APPROX_COUNT_DISTINCT:
        return fdl_int64(0);
    case FDL_AGG_SUM:
        return agg->result_type == FDL_FLOAT64 ? fdl_float64(0.0) : fdl_int64(0);
    default:
        return fdl_null();
    }
}
