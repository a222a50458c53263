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

/* ---- skewness and kurtosis from exact power sums */

enum { SHAPE_PARTS = 64 };

/* An exact value as its canonical parts (xsum.h), decreasing. */
typedef struct shape_number {
    double parts[SHAPE_PARTS];
    int count;
} shape_number;

/* *out = the exact product of a and b (each two-product exact unless its
 * error underflows), as canonical parts. false: out of memory or too many. */
static bool shape_multiply(const shape_number *a, const shape_number *b, shape_number *out)
{
    fdl_xsum product;
    fdl_xsum_init(&product);
    bool ok = true;
    for (int i = 0; i < a->count && ok; i++)
        for (int j = 0; j < b->count && ok; j++) {
            double p = a->parts[i] * b->parts[j];
            ok = fdl_xsum_add(&product, p) && fdl_xsum_add(&product, fma(a->parts[i], b->parts[j], -p));
        }
    out->count = ok ? fdl_xsum_canonical(&product, out->parts, SHAPE_PARTS) : -1;
    fdl_xsum_free(&product);
    return out->count >= 0;
}

/* *out = the canonical parts of an exact sum, each part scaled by 2^scale
 * (exact unless it underflows). */
static bool shape_load(const fdl_xsum *sum, int scale, shape_number *out)
{
    out->count = fdl_xsum_canonical(sum, out->parts, SHAPE_PARTS);
    for (int i = 0; i < out->count; i++)
        out->parts[i] = ldexp(out->parts[i], scale);
    return out->count >= 0;
}

static bool shape_add(fdl_xsum *into, const shape_number *x, int sign)
{
    bool ok = true;
    for (int i = 0; i < x->count && ok; i++)
        ok = sign > 0 ? fdl_xsum_add(into, x->parts[i]) : fdl_xsum_sub(into, x->parts[i]);
    return ok;
}

/* into += sign * coefficient * x * y exactly (coefficient a small integer
 * or a count, as canonical parts). */
static bool shape_term(fdl_xsum *into, const shape_number *coefficient, const shape_number *x,
                       const shape_number *y, int sign)
{
    shape_number xy, term;
    if (!shape_multiply(x, y, &xy) || !shape_multiply(coefficient, &xy, &term))
        return false;
    return shape_add(into, &term, sign);
}

static shape_number shape_integer(int64_t v)
{
    shape_number n = {.count = 0};
    fdl_xsum x;
    fdl_xsum_init(&x);
    /* v < 2^63: its high and low 32 bits are exact doubles */
    bool ok = fdl_xsum_add(&x, (double)(v >> 32) * 0x1p32) && fdl_xsum_add(&x, (double)(v & 0xFFFFFFFF));
    n.count = ok ? fdl_xsum_canonical(&x, n.parts, SHAPE_PARTS) : -1;
    fdl_xsum_free(&x);
    return n;
}

/*
 * skewness (kurtosis false) or excess kurtosis, bias-corrected as pandas'
 * Series.skew() and Series.kurt() define them, from the exact power sums
 * S1..S4 of the values. With the central sums m2 = A2/n, m3 = A3/n^2,
 * m4 = A4/n^3 where
 *   A2 = n S2 - S1^2
 *   A3 = n^2 S3 - 3 n S1 S2 + 2 S1^3
 *   A4 = n^3 S4 - 4 n^2 S1 S3 + 6 n S1^2 S2 - 3 S1^4
 * (each formed exactly and rounded once):
 *   skewness = sqrt(n (n - 1)) / (n - 2) * A3 / (A2 sqrt(A2))
 *   kurtosis = (n + 1) (n - 1) / ((n - 2) (n - 3)) * A4 / A2^2
 *              - 3 (n - 1)^2 / ((n - 2) (n - 3))
 * Every step is a function of the canonical parts of the sums and of n,
 * so the result depends on the multiset of values only. The sums are
 * scaled first (x by 2^-h, so S_k by 2^-kh; both results are scale-free)
 * so that S2 is about 1: then |S1| <= sqrt(n S2), |S3| <= S2^1.5 and
 * S4 <= S2^2 keep every product far from overflow.
 */
fdl_value fdl_window_shape_value(fdl_group_state *g, const cursor *c, bool kurtosis)
{
    const cursor_moments *m = c->moments;
    assert(m->higher);
    int64_t n = c->count;
    if (n < (kurtosis ? 4 : 3) || m->huge > 0 || m->huge_higher > 0)
        return fdl_null();
    shape_number s[9];                  /* 520 bytes each */
    shape_number *s1 = &s[0], *s2 = &s[1], *s3 = &s[2], *s4 = &s[3];
    shape_number *nn = &s[4], *coefficient = &s[5], *s11 = &s[6], *power = &s[7], *one = &s[8];
    double result = NAN;
    bool memory = true;
    fdl_xsum a2, ak;
    fdl_xsum_init(&a2);
    fdl_xsum_init(&ak);
    s2->count = fdl_xsum_canonical(&m->squares, s2->parts, SHAPE_PARTS);
    if (s2->count <= 0)
        goto done;                      /* all zero (or beyond float64): null */
    int h = ilogb(s2->parts[0]);
    h = h >= 0 ? h / 2 : -((1 - h) / 2);
    *one = (shape_number){.parts = {1.0}, .count = 1};
    *nn = shape_integer(n);
    memory = shape_load(&m->sum, -h, s1) && shape_load(&m->squares, -2 * h, s2) &&
             shape_load(&m->cubes, -3 * h, s3) && shape_load(&m->fourths, -4 * h, s4) &&
             nn->count > 0 && shape_multiply(s1, s1, s11);
    /* A2 = n S2 - S1^2 */
    memory = memory && shape_term(&a2, nn, s2, one, 1) && shape_add(&a2, s11, -1);
    if (!kurtosis) {
        /* A3 = n^2 S3 - 3 n S1 S2 + 2 S1^3 */
        shape_number three = {.parts = {3.0}, .count = 1}, two = {.parts = {2.0}, .count = 1};
        memory = memory && shape_multiply(nn, nn, power) && shape_term(&ak, power, s3, one, 1) &&
                 shape_multiply(&three, nn, coefficient) && shape_term(&ak, coefficient, s1, s2, -1) &&
                 shape_term(&ak, &two, s11, s1, 1);
    } else {
        /* A4 = n^3 S4 - 4 n^2 S1 S3 + 6 n S1^2 S2 - 3 S1^4 */
        shape_number three = {.parts = {3.0}, .count = 1}, four = {.parts = {4.0}, .count = 1},
                     six = {.parts = {6.0}, .count = 1};
        memory = memory && shape_multiply(nn, nn, power) && shape_multiply(&four, power, coefficient) &&
                 shape_term(&ak, coefficient, s1, s3, -1) && shape_multiply(power, nn, coefficient) &&
                 shape_term(&ak, coefficient, s4, one, 1) && shape_multiply(&six, nn, coefficient) &&
                 shape_term(&ak, coefficient, s11, s2, 1) && shape_term(&ak, &three, s11, s11, -1);
    }
    double r2 = 0.0, rk = 0.0;
    memory = memory && fdl_xsum_result(&a2, &r2) && fdl_xsum_result(&ak, &rk);
    if (!memory || !(r2 > 0.0))
        goto done;                      /* zero variance: null */
    double nd = (double)n;
    if (!kurtosis)
        result = sqrt(nd * (nd - 1.0)) / (nd - 2.0) * (rk / (r2 * sqrt(r2)));
    else {
        double d = (nd - 2.0) * (nd - 3.0);
        result = (nd + 1.0) * (nd - 1.0) / d * (rk / (r2 * r2)) - 3.0 * (nd - 1.0) * (nd - 1.0) / d;
    }
done:
    fdl_xsum_free(&a2);
    fdl_xsum_free(&ak);
    if (!memory)
        g->failed = true;               /* the read reports FDL_ERR_MEMORY */
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

/* max_k (largest: from the top, descending) or min_k (ascending): the
 * values are in compare_payload's total order, so -0.0 and +0.0 come out
 * in a fixed order whatever the arrival order. */
fdl_value fdl_window_extreme_k_value(fdl_group_state *g, int agg, const sorted_values *v, int64_t k,
                                     bool largest)
{
    size_t dim = v->count < (size_t)k ? v->count : (size_t)k;
    if (dim == 0)
        return fdl_null();
    double *out = vector_reserve(g, agg, dim);
    if (!out) {
        g->failed = true;
        return fdl_null();
    }
    for (size_t i = 0; i < dim; i++)
        out[i] = largest ? v->items[v->count - 1 - i] : v->items[i];
    return fdl_vector(out, (int32_t)dim);
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
