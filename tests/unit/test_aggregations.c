/*
 * test_aggregations.c - the windowed aggregations variance, stddev,
 * count_distinct, first_k, last_k and percentile, through fdl_group_push
 * and fdl_group_read on a hand-written program: worked examples, window
 * boundaries, empty windows and null rules, equal-time ordering, large
 * int64 values, signed zeros, plan checks, a randomized differential test
 * against brute force (out-of-order pushes, ties, eviction, keep_history
 * on and off, lifetime windows folding evicted and late events), and
 * arrival-order and read-history independence (bit-identical results).
 *
 * The brute force of variance is exact integer arithmetic: test values are
 * multiples of 2^-10 (floats) or below 2^40 (ints), so n*S2 - S1^2 is an
 * exact __int128; the runtime rounds that same numerator once and divides
 * by n*(n-1), so the results must agree to the bit.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fdlrt.h"
#include "store_helper.h"
#include "xsum.h"

__extension__ typedef __int128 int128;

/* ------------------------------------------------------ the test program */

enum { W_SHORT = 100, W_LONG = 1000 };
enum { SLOT_LIFETIME, SLOT_SHORT, SLOT_LONG, NSLOTS };

/* Numeric groups: these aggregations per window slot. */
enum {
    A_COUNT, A_VARIANCE, A_STDDEV, A_DISTINCT, A_FIRST3, A_LAST3, A_P30, A_P0, A_P100,
    A_FIRST1, A_LAST6, A_P50, A_P90, A_APPROX_P50, A_APPROX_P99, NUMERIC_AGGS
};
#define NUMERIC_AGGS_FOR(w)                                                         \
    {FDL_AGG_COUNT, w, FDL_INT64, 0, 0, 0, NULL}, {FDL_AGG_VARIANCE, w, FDL_FLOAT64, 0, 0, 0, NULL},  \
    {FDL_AGG_STDDEV, w, FDL_FLOAT64, 0, 0, 0, NULL},                                        \
    {FDL_AGG_COUNT_DISTINCT, w, FDL_INT64, 0, 0, 0, NULL},                                  \
    {FDL_AGG_FIRST_K, w, FDL_VECTOR, 3, 0, 0, NULL}, {FDL_AGG_LAST_K, w, FDL_VECTOR, 3, 0, 0, NULL},  \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.3, 0, NULL},                                  \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.0, 0, NULL},                                  \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 1.0, 0, NULL},                                  \
    {FDL_AGG_FIRST_K, w, FDL_VECTOR, 1, 0, 0, NULL}, {FDL_AGG_LAST_K, w, FDL_VECTOR, 6, 0, 0, NULL},  \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.5, 0, NULL},                                  \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.9, 0, NULL},                                  \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.5, 0, NULL},                           \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.99, 0, NULL}
/* Other scalar groups: count and count_distinct per slot. */
#define DISTINCT_AGGS_FOR(w) \
    {FDL_AGG_COUNT, w, FDL_INT64, 0, 0, 0, NULL}, {FDL_AGG_COUNT_DISTINCT, w, FDL_INT64, 0, 0, 0, NULL}, \
    {FDL_AGG_TOP_K, w, FDL_STRING, 3, 0, 0, NULL}
enum { D_COUNT, D_DISTINCT, D_TOP3, DISTINCT_AGGS };

static const fdl_agg_desc numeric_aggs[] = {
    NUMERIC_AGGS_FOR(0), NUMERIC_AGGS_FOR(W_SHORT), NUMERIC_AGGS_FOR(W_LONG)};
/* approx_count_distinct takes lifetime windows only: after the slot's own. */
static const fdl_agg_desc lifetime_aggs[] = {NUMERIC_AGGS_FOR(0),
                                             {FDL_AGG_APPROX_COUNT_DISTINCT, 0, FDL_INT64, 0, 0, 0, NULL}};
static const fdl_agg_desc distinct_aggs[] = {
    DISTINCT_AGGS_FOR(0), DISTINCT_AGGS_FOR(W_SHORT), DISTINCT_AGGS_FOR(W_LONG)};

enum { G_FLOAT, G_INT, G_LIFE_FLOAT, G_LIFE_INT, G_STRING, G_BOOL, G_TIME, NGROUPS };
#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
static const fdl_group_desc groups[] = {
    {"float", 0, 0, FDL_FLOAT64, COUNT_OF(numeric_aggs), numeric_aggs, FDL_NULL, 0},
    {"int", 0, 0, FDL_INT64, COUNT_OF(numeric_aggs), numeric_aggs, FDL_NULL, 0},
    /* lifetime only: W = 0, so every read evicts everything before it */
    {"life float", 0, 0, FDL_FLOAT64, COUNT_OF(lifetime_aggs), lifetime_aggs, FDL_NULL, 0},
    {"life int", 0, 0, FDL_INT64, COUNT_OF(lifetime_aggs), lifetime_aggs, FDL_NULL, 0},
    {"string", 0, 0, FDL_STRING, COUNT_OF(distinct_aggs), distinct_aggs, FDL_NULL, 0},
    {"bool", 0, 0, FDL_BOOL, COUNT_OF(distinct_aggs), distinct_aggs, FDL_NULL, 0},
    {"time", 0, 0, FDL_TIMESTAMP, COUNT_OF(distinct_aggs), distinct_aggs, FDL_NULL, 0},
};
static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "aggregations_test", .fingerprint = "0",
    .nentities = 1, .entities = user_entities, .ngroups = NGROUPS, .groups = groups,
};

static fdl_store *open_store(bool keep_history)
{
    return open_program_store(&program, keep_history);
}

static int numeric(int slot, int agg)
{
    return slot * NUMERIC_AGGS + agg;
}

/* Same type and the same bits (strings: bytes; vectors: every element). */
static void assert_identical(fdl_value got, fdl_value want, const char *what)
{
    if (got.type != want.type)
        fail_msg("%s: type %s, want %s", what, fdl_type_name(got.type), fdl_type_name(want.type));
    switch (got.type) {
    case FDL_NULL:
        return;
    case FDL_INT64:
        if (got.as.i != want.as.i)
            fail_msg("%s: %lld, want %lld", what, (long long)got.as.i, (long long)want.as.i);
        return;
    case FDL_FLOAT64:
        if (memcmp(&got.as.f, &want.as.f, sizeof got.as.f) != 0)
            fail_msg("%s: %a, want %a", what, got.as.f, want.as.f);
        return;
    case FDL_VECTOR:
        if (got.dim != want.dim)
            fail_msg("%s: dim %d, want %d", what, got.dim, want.dim);
        for (int i = 0; i < got.dim; i++)
            if (memcmp(&got.as.v[i], &want.as.v[i], sizeof(double)) != 0)
                fail_msg("%s: [%d] %a, want %a", what, i, got.as.v[i], want.as.v[i]);
        return;
    case FDL_STRING:
        if (got.as.s.len != want.as.s.len || memcmp(got.as.s.ptr, want.as.s.ptr, got.as.s.len) != 0)
            fail_msg("%s: %.*s, want %.*s", what, (int)got.as.s.len, got.as.s.ptr,
                     (int)want.as.s.len, want.as.s.ptr);
        return;
    default:
        fail_msg("%s: unexpected type", what);
    }
}

/* A copy of a vector result (which lives only until the next call). */
typedef struct vector_copy {
    int32_t dim;
    double items[16];
} vector_copy;

static fdl_value keep(fdl_value v, vector_copy *copy)
{
    if (v.type != FDL_VECTOR)
        return v;
    assert_true(v.dim <= 16);
    copy->dim = v.dim;
    memcpy(copy->items, v.as.v, (size_t)v.dim * sizeof(double));
    return fdl_vector(copy->items, copy->dim);
}

static fdl_value vec(int dim, const double *items)
{
    return fdl_vector(items, dim);
}

/* ------------------------------------------------------- worked examples */

static void test_worked_examples(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    /* values 4, 1, 3, 2 at times 10, 20, 30, 40 */
    const double values[] = {4, 1, 3, 2};
    for (int i = 0; i < 4; i++)
        push(store, e, G_FLOAT, 10 * (i + 1), fdl_float64(values[i]));
    int s = SLOT_SHORT;
    fdl_time t = 41;
    /* mean 2.5, squared deviations 2.25 + 2.25 + 0.25 + 0.25 = 5, / 3 */
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_VARIANCE), t), fdl_float64(5.0 / 3.0), "variance");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_STDDEV), t), fdl_float64(sqrt(5.0 / 3.0)), "stddev");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_DISTINCT), t), fdl_int64(4), "distinct");
    /* sorted 1 2 3 4: p=0.3 -> h=0.9 -> 1 + 0.9*1; p=0.5 -> 2.5; p=0.9 -> h=2.7 */
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_P30), t), fdl_float64(1.0 + 0.9 * 1.0), "p30");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_P50), t), fdl_float64(2.5), "p50");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_P90), t),
                     fdl_float64(3.0 + ((3.0 * 0.9) - 2.0) * 1.0), "p90");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_P0), t), fdl_float64(1.0), "p0");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_P100), t), fdl_float64(4.0), "p100");
    const double first3[] = {4, 1, 3}, last3[] = {2, 3, 1}, last6[] = {2, 3, 1, 4}, first1[] = {4};
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_FIRST3), t), vec(3, first3), "first3");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_LAST3), t), vec(3, last3), "last3");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_LAST6), t), vec(4, last6), "last6 short");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_FIRST1), t), vec(1, first1), "first1");
    /* one value: variance null, percentile that value, distinct 1 */
    fdl_time t1 = 40 + W_SHORT;         /* [40, 140): just the 2 */
    const double two[] = {2};
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_VARIANCE), t1), fdl_null(), "variance of one");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_STDDEV), t1), fdl_null(), "stddev of one");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_P30), t1), fdl_float64(2.0), "p30 of one");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_LAST3), t1), vec(1, two), "last3 of one");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(s, A_DISTINCT), t1), fdl_int64(1), "distinct of one");
    /* at 5000 every event is evicted (older than 5000 - W_LONG); lifetime
     * still sees all four, through its base */
    fdl_time late = 5000;
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_LIFETIME, A_VARIANCE), late),
                     fdl_float64(5.0 / 3.0), "lifetime variance");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_LIFETIME, A_FIRST3), late), vec(3, first3), "lifetime first3");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_LIFETIME, A_LAST6), late), vec(4, last6), "lifetime last6");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_LIFETIME, A_P50), late), fdl_float64(2.5), "lifetime p50");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_LIFETIME, A_DISTINCT), late), fdl_int64(4), "lifetime distinct");
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_held, 0);
    assert_int_equal(stats.events_evicted, 4);
    fdl_store_close(store);
}

static void test_boundaries_and_empty(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 1);
    /* empty: count_distinct 0, everything else null; also for a NULL entity */
    for (int pass = 0; pass < 2; pass++) {
        fdl_entity_state *who = pass ? NULL : e;
        for (int slot = 0; slot < NSLOTS; slot++)
            for (int a = A_VARIANCE; a < NUMERIC_AGGS; a++) {
                fdl_value want = a == A_DISTINCT ? fdl_int64(0) : fdl_null();
                assert_identical(read_ok(store, who, G_FLOAT, numeric(slot, a), 100), want, "empty float");
                assert_identical(read_ok(store, who, G_INT, numeric(slot, a), 100), want, "empty int");
            }
        assert_identical(read_ok(store, who, G_STRING, D_DISTINCT, 100), fdl_int64(0), "empty string");
    }
    fdl_time t = 10000;
    push(store, e, G_INT, t - W_SHORT - 1, fdl_int64(100));   /* just outside */
    push(store, e, G_INT, t - W_SHORT, fdl_int64(1));         /* first inside */
    push(store, e, G_INT, t - 1, fdl_int64(3));               /* last inside */
    push(store, e, G_INT, t, fdl_int64(1000));                /* at t: outside */
    int s = SLOT_SHORT;
    assert_identical(read_ok(store, e, G_INT, numeric(s, A_VARIANCE), t), fdl_float64(2.0), "variance");
    assert_identical(read_ok(store, e, G_INT, numeric(s, A_P50), t), fdl_float64(2.0), "median");
    assert_identical(read_ok(store, e, G_INT, numeric(s, A_P100), t), fdl_float64(3.0), "max");
    assert_identical(read_ok(store, e, G_INT, numeric(s, A_DISTINCT), t), fdl_int64(2), "distinct");
    const double first[] = {1, 3}, last[] = {3, 1};
    assert_identical(read_ok(store, e, G_INT, numeric(s, A_FIRST3), t), vec(2, first), "first3");
    assert_identical(read_ok(store, e, G_INT, numeric(s, A_LAST3), t), vec(2, last), "last3");
    /* lifetime: everything before t */
    const double life_first[] = {100, 1, 3};
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LIFETIME, A_FIRST3), t), vec(3, life_first), "lifetime first3");
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LIFETIME, A_DISTINCT), t), fdl_int64(3), "lifetime distinct");
    /* one microsecond later the event at t is in, the one at t - 100 out */
    const double later[] = {1000, 3};
    assert_identical(read_ok(store, e, G_INT, numeric(s, A_LAST3), t + 1), vec(2, later), "last3 at t+1");
    assert_identical(read_ok(store, e, G_INT, numeric(s, A_FIRST1), t + 1), vec(1, later + 1), "first1 at t+1");
    fdl_store_close(store);
}

static void test_equal_times_keep_arrival_order(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 7);
    push(store, e, G_FLOAT, 20, fdl_float64(20));
    push(store, e, G_FLOAT, 10, fdl_float64(1));      /* out of order, then equal times */
    push(store, e, G_FLOAT, 10, fdl_float64(2));
    push(store, e, G_FLOAT, 10, fdl_float64(3));
    push(store, e, G_FLOAT, 20, fdl_float64(21));
    const double first3[] = {1, 2, 3}, last3[] = {21, 20, 3}, last_at_11[] = {3, 2, 1};
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_FIRST3), 21), vec(3, first3), "first3");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_LAST3), 21), vec(3, last3), "last3");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_LAST3), 11), vec(3, last_at_11), "last3 at 11");
    push(store, e, G_FLOAT, 10, fdl_float64(4));      /* lands after the other 10s */
    const double last_d[] = {4, 3, 2};
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_LAST3), 11), vec(3, last_d), "last3 d");
    fdl_store_close(store);
}

static void test_large_values_and_zeros(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 1);
    /* Beyond 2^53 a double cannot hold them: the variance of {a, a + 2} is 2. */
    int64_t a = (INT64_C(1) << 62) + 1;
    push(store, e, G_INT, 1, fdl_int64(a));
    push(store, e, G_INT, 2, fdl_int64(a + 2));
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_SHORT, A_VARIANCE), 3), fdl_float64(2.0), "variance 2^62");
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_SHORT, A_STDDEV), 3), fdl_float64(sqrt(2.0)), "stddev 2^62");
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_SHORT, A_DISTINCT), 3), fdl_int64(2), "distinct 2^62");
    /* {INT64_MAX, INT64_MIN}: exactly 2 (2^63 - 1/2)^2 = 2^127 - 2^64 + 1/2, rounds to 2^127 */
    push(store, e, G_INT, 500, fdl_int64(INT64_MAX));
    push(store, e, G_INT, 501, fdl_int64(INT64_MIN));
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_SHORT, A_VARIANCE), 502), fdl_float64(0x1p127), "variance extremes");
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_SHORT, A_STDDEV), 502), fdl_float64(sqrt(0x1p127)), "stddev extremes");
    /* many equal values: exactly 0, never a tiny negative or positive */
    for (int i = 0; i < 50; i++)
        push(store, e, G_FLOAT, 1000 + i, fdl_float64(0.1));
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_VARIANCE), 1050), fdl_float64(0.0), "equal values");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_P30), 1050), fdl_float64(0.1), "equal p30");
    /* catastrophic cancellation for the textbook formula: 1e8 + {4, 7, 13, 16} has variance 30 */
    for (int i = 0; i < 4; i++)
        push(store, e, G_FLOAT, 2000 + i, fdl_float64(1e8 + (double[]){4, 7, 13, 16}[i]));
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_VARIANCE), 2004), fdl_float64(30.0), "shifted");
    /* |x| >= 2^511: x*x would overflow, the variance is null; percentile still works */
    push(store, e, G_FLOAT, 3000, fdl_float64(1e200));
    push(store, e, G_FLOAT, 3001, fdl_float64(-1e200));
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_VARIANCE), 3002), fdl_null(), "huge");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_P50), 3002), fdl_float64(0.0), "huge median");
    /* b - a overflows in the interpolation: halved instead */
    push(store, e, G_FLOAT, 3500, fdl_float64(1.5e308));
    push(store, e, G_FLOAT, 3501, fdl_float64(-1.5e308));
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_P50), 3502), fdl_float64(0.0), "overflow median");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_P30), 3502),
                     fdl_float64(2.0 * (-1.5e308 * 0.5 + 0.3 * (1.5e308 * 0.5 - -1.5e308 * 0.5))), "overflow p30");
    /* tiny values: scaled, still exact enough: {0, 2^-500}: variance 2^-1001 */
    push(store, e, G_FLOAT, 4000, fdl_float64(0.0));
    push(store, e, G_FLOAT, 4001, fdl_float64(0x1p-500));
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_VARIANCE), 4002), fdl_float64(0x1p-1001), "tiny");
    /* -0.0 and +0.0 are one distinct value; the percentile orders -0.0 first */
    push(store, e, G_FLOAT, 5000, fdl_float64(0.0));
    push(store, e, G_FLOAT, 5001, fdl_float64(-0.0));
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_DISTINCT), 5002), fdl_int64(1), "zeros distinct");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_P0), 5002), fdl_float64(-0.0), "zeros p0");
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_P100), 5002), fdl_float64(0.0), "zeros p100");
    const double zeros[] = {0.0, -0.0};
    assert_identical(read_ok(store, e, G_FLOAT, numeric(SLOT_SHORT, A_FIRST3), 5002), vec(2, zeros), "zeros first");
    fdl_store_close(store);
}

static void test_distinct_other_types(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    const char *words[] = {"a", "b", "a", "", "ab", "b", ""};
    for (int i = 0; i < 7; i++) {
        push(store, e, G_STRING, i, fdl_string(words[i], strlen(words[i])));
        push(store, e, G_BOOL, i, fdl_bool(i % 3 == 0));
        push(store, e, G_TIME, i, fdl_timestamp(i % 2 ? 5 : -5));
    }
    push(store, e, G_STRING, 7, fdl_null());    /* nulls are skipped */
    assert_identical(read_ok(store, e, G_STRING, SLOT_SHORT * DISTINCT_AGGS + D_DISTINCT, 7), fdl_int64(4), "strings");
    assert_identical(read_ok(store, e, G_BOOL, SLOT_SHORT * DISTINCT_AGGS + D_DISTINCT, 7), fdl_int64(2), "bools");
    assert_identical(read_ok(store, e, G_TIME, SLOT_SHORT * DISTINCT_AGGS + D_DISTINCT, 7), fdl_int64(2), "times");
    /* the window moves past the first three: "", "ab", "b", "" remain */
    assert_identical(read_ok(store, e, G_STRING, SLOT_SHORT * DISTINCT_AGGS + D_DISTINCT, 103), fdl_int64(3), "strings later");
    /* lifetime keeps every distinct value after eviction */
    assert_identical(read_ok(store, e, G_STRING, SLOT_LIFETIME * DISTINCT_AGGS + D_DISTINCT, 5000), fdl_int64(4), "strings lifetime");
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_true(stats.events_evicted > 0);
    fdl_store_close(store);
}

static void test_plan_checks(void **state)
{
    (void)state;
    struct { fdl_agg function; fdl_type value, result; int64_t k; double p; bool ok; } cases[] = {
        {FDL_AGG_VARIANCE, FDL_FLOAT64, FDL_FLOAT64, 0, 0, true},
        {FDL_AGG_VARIANCE, FDL_INT64, FDL_FLOAT64, 0, 0, true},
        {FDL_AGG_VARIANCE, FDL_INT64, FDL_INT64, 0, 0, false},
        {FDL_AGG_STDDEV, FDL_STRING, FDL_FLOAT64, 0, 0, false},
        {FDL_AGG_COUNT_DISTINCT, FDL_STRING, FDL_INT64, 0, 0, true},
        {FDL_AGG_COUNT_DISTINCT, FDL_BOOL, FDL_INT64, 0, 0, true},
        {FDL_AGG_COUNT_DISTINCT, FDL_FLOAT64, FDL_FLOAT64, 0, 0, false},
        {FDL_AGG_COUNT_DISTINCT, FDL_NULL, FDL_INT64, 0, 0, false},
        {FDL_AGG_FIRST_K, FDL_INT64, FDL_VECTOR, 2, 0, true},
        {FDL_AGG_FIRST_K, FDL_INT64, FDL_VECTOR, 0, 0, false},
        {FDL_AGG_LAST_K, FDL_FLOAT64, FDL_VECTOR, INT64_C(1) << 31, 0, false},
        {FDL_AGG_LAST_K, FDL_STRING, FDL_VECTOR, 2, 0, false},
        {FDL_AGG_LAST_K, FDL_FLOAT64, FDL_FLOAT64, 2, 0, false},
        {FDL_AGG_PERCENTILE, FDL_FLOAT64, FDL_FLOAT64, 0, 1.0, true},
        {FDL_AGG_PERCENTILE, FDL_FLOAT64, FDL_FLOAT64, 0, 1.5, false},
        {FDL_AGG_PERCENTILE, FDL_INT64, FDL_FLOAT64, 0, -0.1, false},
        {FDL_AGG_PERCENTILE, FDL_INT64, FDL_FLOAT64, 0, NAN, false},
        {FDL_AGG_PERCENTILE, FDL_TIMESTAMP, FDL_FLOAT64, 0, 0.5, false},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        fdl_agg_desc agg = {cases[i].function, 0, cases[i].result, cases[i].k, cases[i].p, 0, NULL};
        fdl_group_desc group = {"g", 0, 0, cases[i].value, 1, &agg, FDL_NULL, 0};
        fdl_program p = program;
        p.ngroups = 1;
        p.groups = &group;
        fdl_store_options options = fdl_store_options_default();
        options.load_embeddings = false;
        fdl_error err;
        fdl_store *store = fdl_store_open(&p, &options, &err);
        if ((store != NULL) != cases[i].ok)
            fail_msg("case %d: open %s", i, store ? "succeeded" : err.message);
        if (!store)
            assert_int_equal(err.status, FDL_ERR_ARGUMENT);
        fdl_store_close(store);
    }
}

/* ------------------------------------------------ randomized differential */

typedef struct test_event {
    fdl_time time;
    int seq;                            /* push order = arrival order */
    fdl_value value;                    /* null: skipped by the runtime */
    char text[8];
} test_event;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double as_number(fdl_value v)
{
    return v.type == FDL_INT64 ? (double)v.as.i : v.as.f;
}

static int by_time_then_seq(const void *a, const void *b)
{
    const test_event *x = *(const test_event *const *)a, *y = *(const test_event *const *)b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Total order, -0.0 first: how the runtime sorts for percentiles. */
static int by_number(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (x != y)
        return x < y ? -1 : 1;
    return (signbit(y) != 0) - (signbit(x) != 0);
}

/* Value equality for count_distinct: -0.0 == +0.0. */
static int by_value(const void *a, const void *b)
{
    fdl_value x = (*(const test_event *const *)a)->value, y = (*(const test_event *const *)b)->value;
    switch (x.type) {
    case FDL_INT64: return (x.as.i > y.as.i) - (x.as.i < y.as.i);
    case FDL_FLOAT64: return (x.as.f > y.as.f) - (x.as.f < y.as.f);
    case FDL_BOOL: return (int)x.as.b - (int)y.as.b;
    case FDL_TIMESTAMP: return (x.as.t > y.as.t) - (x.as.t < y.as.t);
    case FDL_STRING: {
        size_t n = x.as.s.len < y.as.s.len ? x.as.s.len : y.as.s.len;
        int c = n ? memcmp(x.as.s.ptr, y.as.s.ptr, n) : 0;
        if (c)
            return c;
        return (x.as.s.len > y.as.s.len) - (x.as.s.len < y.as.s.len);
    }
    default: return 0;
    }
}

static const test_event **window_events;
static double *window_numbers;
static double vector_out[16];

/*
 * Brute force over every event pushed so far. Variance: X = x * 2^10
 * (floats, multiples of 2^-10) or x (ints) are integers, N = n*sum X^2 -
 * (sum X)^2 is exact; the runtime rounds N once, divides by n(n-1).
 */
static fdl_value brute_force(const test_event *events, int n, fdl_type type, const fdl_agg_desc *agg,
                             fdl_time t)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        const test_event *e = &events[i];
        if (e->value.type == FDL_NULL || e->time >= t || (agg->window && e->time < t - agg->window))
            continue;
        window_events[count++] = e;
    }
    switch (agg->function) {
    case FDL_AGG_COUNT:
        return fdl_int64(count);
    case FDL_AGG_VARIANCE:
    case FDL_AGG_STDDEV: {
        if (count < 2)
            return fdl_null();
        int128 s1 = 0, s2 = 0;
        int scale = type == FDL_FLOAT64 ? 10 : 0;
        for (int i = 0; i < count; i++) {
            int128 x = type == FDL_FLOAT64 ? (int128)ldexp(window_events[i]->value.as.f, scale)
                                           : (int128)window_events[i]->value.as.i;
            s1 += x;
            s2 += x * x;
        }
        int128 numerator = (int128)count * s2 - s1 * s1;
        double variance = ldexp((double)numerator / ((double)count * (double)(count - 1)), -2 * scale);
        return fdl_float64(agg->function == FDL_AGG_STDDEV ? sqrt(variance) : variance);
    }
    case FDL_AGG_TOP_K: {
        /* Runs of equal values, ordered by count (larger first), then value. */
        if (count == 0)
            return fdl_null();
        qsort(window_events, (size_t)count, sizeof *window_events, by_value);
        int nruns = 0;
        static int run_start[1 << 16], run_length[1 << 16];
        for (int i = 0; i < count; i++) {
            if (i == 0 || by_value(&window_events[i - 1], &window_events[i]) != 0) {
                run_start[nruns] = i;
                run_length[nruns++] = 0;
            }
            run_length[nruns - 1]++;
        }
        for (int i = 1; i < nruns; i++)       /* stable insertion sort by count */
            for (int j = i; j > 0 && run_length[j] > run_length[j - 1]; j--) {
                int ts = run_start[j], tl = run_length[j];
                run_start[j] = run_start[j - 1], run_length[j] = run_length[j - 1];
                run_start[j - 1] = ts, run_length[j - 1] = tl;
            }
        static char text[1 << 16];
        size_t at = 0;
        text[at++] = '[';
        for (int r = 0; r < nruns && r < agg->k; r++) {
            fdl_value v = window_events[run_start[r]]->value;
            char number[64];
            at += (size_t)snprintf(text + at, sizeof text - at, "%s[", r ? "," : "");
            switch (v.type) {
            case FDL_INT64: at += (size_t)snprintf(text + at, sizeof text - at, "%lld", (long long)v.as.i); break;
            case FDL_FLOAT64:
                fdl_format_float(v.as.f == 0 ? 0.0 : v.as.f, number, sizeof number);
                at += (size_t)snprintf(text + at, sizeof text - at, "%s", number);
                break;
            case FDL_BOOL: at += (size_t)snprintf(text + at, sizeof text - at, "%s", v.as.b ? "true" : "false"); break;
            case FDL_TIMESTAMP:
                fdl_format_time(v.as.t, number, sizeof number);
                at += (size_t)snprintf(text + at, sizeof text - at, "\"%s\"", number);
                break;
            case FDL_STRING:   /* the test's strings need no escaping */
                at += (size_t)snprintf(text + at, sizeof text - at, "\"%.*s\"", (int)v.as.s.len, v.as.s.ptr);
                break;
            default: break;
            }
            at += (size_t)snprintf(text + at, sizeof text - at, ",%d]", run_length[r]);
        }
        text[at++] = ']';
        return fdl_string(text, at);
    }
    case FDL_AGG_COUNT_DISTINCT:
    case FDL_AGG_APPROX_COUNT_DISTINCT: {   /* the exact count; the estimate is checked near it */
        qsort(window_events, (size_t)count, sizeof *window_events, by_value);
        int64_t distinct = 0;
        for (int i = 0; i < count; i++)
            if (i == 0 || by_value(&window_events[i - 1], &window_events[i]) != 0)
                distinct++;
        return fdl_int64(distinct);
    }
    case FDL_AGG_FIRST_K:
    case FDL_AGG_LAST_K: {
        if (count == 0)
            return fdl_null();
        qsort(window_events, (size_t)count, sizeof *window_events, by_time_then_seq);
        int dim = count < agg->k ? count : (int)agg->k;
        for (int i = 0; i < dim; i++)
            vector_out[i] = as_number(
                window_events[agg->function == FDL_AGG_FIRST_K ? i : count - 1 - i]->value);
        return fdl_vector(vector_out, dim);
    }
    case FDL_AGG_PERCENTILE: {
        if (count == 0)
            return fdl_null();
        for (int i = 0; i < count; i++)
            window_numbers[i] = as_number(window_events[i]->value);
        qsort(window_numbers, (size_t)count, sizeof *window_numbers, by_number);
        double h = (double)(count - 1) * agg->percentile;
        int f = (int)floor(h);
        if (f >= count - 1 || h == floor(h))
            return fdl_float64(window_numbers[f < count - 1 ? f : count - 1]);
        double a = window_numbers[f], b = window_numbers[f + 1];
        return fdl_float64(a + (h - floor(h)) * (b - a));
    }
    case FDL_AGG_APPROX_PERCENTILE: {
        /* The exact value at its rank; the sketch must be within 1% of it. */
        if (count == 0)
            return fdl_null();
        for (int i = 0; i < count; i++)
            window_numbers[i] = as_number(window_events[i]->value);
        qsort(window_numbers, (size_t)count, sizeof *window_numbers, by_number);
        return fdl_float64(window_numbers[(int)floor(agg->percentile * (double)(count - 1))]);
    }
    default:
        fail_msg("no brute force for function %d", agg->function);
    }
    return fdl_null();
}

/* approx_percentile against the exact value at its rank: relative error 1%. */
static void assert_within_accuracy(fdl_value got, fdl_value want, const char *what)
{
    if (got.type == FDL_NULL && want.type == FDL_NULL)
        return;
    if (got.type != FDL_FLOAT64 || want.type != FDL_FLOAT64)
        fail_msg("%s: got type %d, want type %d", what, got.type, want.type);
    double allowed = 0.01 * fabs(want.as.f) * (1 + 1e-9);
    if (fabs(got.as.f - want.as.f) > allowed && !(want.as.f == 0 && fabs(got.as.f) < 1e-299))
        fail_msg("%s: got %.17g, exact %.17g", what, got.as.f, want.as.f);
}

static fdl_value random_value(fdl_type type, int spread, test_event *e)
{
    if (rng() % 10 == 0)
        return fdl_null();
    switch (type) {
    case FDL_FLOAT64: {
        double f = (double)((int64_t)(rng() % (uint64_t)(2 * spread + 1)) - spread) / 1024.0;
        return fdl_float64(rng() % 50 == 0 ? -0.0 : f);
    }
    case FDL_INT64:
        /* mostly small, sometimes up to 2^40 (the exact oracle's limit) */
        if (rng() % 20 == 0)
            return fdl_int64((int64_t)(rng() % (UINT64_C(1) << 40)) * (rng() & 1 ? 1 : -1));
        return fdl_int64((int64_t)(rng() % (uint64_t)(2 * spread + 1)) - spread);
    case FDL_STRING: {
        int len = (int)(rng() % 4);
        for (int i = 0; i < len; i++)
            e->text[i] = (char)('a' + rng() % 3);
        e->text[len] = '\0';
        return fdl_string(e->text, (size_t)len);
    }
    case FDL_BOOL:
        return fdl_bool(rng() & 1);
    case FDL_TIMESTAMP:
        return fdl_timestamp((fdl_time)(rng() % (uint64_t)spread));
    default:
        return fdl_null();
    }
}

/*
 * One scenario: times a random walk with jitter (out of order, many ties),
 * pushes interleaved with reads; without history reads never go back (and
 * evict), with it they go anywhere. Every aggregation checked at every read.
 */
static void differential_run(int group, bool keep_history, int nevents, int time_range, int spread)
{
    const fdl_group_desc *desc = &groups[group];
    fdl_store *store = open_store(keep_history);
    fdl_entity_state *e = user(store, 42);
    test_event *events = calloc((size_t)nevents, sizeof *events);
    window_events = calloc((size_t)nevents, sizeof *window_events);
    window_numbers = calloc((size_t)nevents, sizeof *window_numbers);
    assert_non_null(events);
    fdl_time clock = 0, last_read = -10 * W_LONG;
    for (int i = 0; i < nevents; i++) {
        test_event *ev = &events[i];
        clock += (fdl_time)(rng() % 4);
        int64_t jitter = rng() % 4 == 0 ? (int64_t)(rng() % (uint64_t)time_range) : 0;
        ev->time = clock - jitter;
        ev->seq = i;
        ev->value = random_value(desc->value_type, spread, ev);
        push(store, e, group, ev->time, ev->value);
        if (rng() % 3)
            continue;
        fdl_time t = clock - (fdl_time)(rng() % (uint64_t)(2 * time_range)) + time_range / 2;
        if (!keep_history && t < last_read)
            t = last_read;
        last_read = t;
        for (int a = 0; a < desc->naggs; a++) {
            const fdl_agg_desc *agg = &desc->aggs[a];
            fdl_value got;
            fdl_status status = fdl_group_read(store, e, group, a, t, &got);
            if (status != FDL_OK)
                fail_msg("%s agg %d at %lld: status %d", desc->description, a, (long long)t, status);
            vector_copy copy;
            got = keep(got, &copy);
            fdl_value want = brute_force(events, i + 1, desc->value_type, agg, t);
            char what[128];
            snprintf(what, sizeof what, "%s agg %d (fn %d, w %lld) at %lld after %d events (history %d)",
                     desc->description, a, agg->function, (long long)agg->window, (long long)t, i + 1,
                     keep_history);
            if (agg->function == FDL_AGG_APPROX_PERCENTILE)
                assert_within_accuracy(got, want, what);
            else if (agg->function == FDL_AGG_APPROX_COUNT_DISTINCT) {
                /* HyperLogLog: 1.6% standard error; near exact when small. */
                double exact = (double)want.as.i, allowed = fmax(2.0, 0.07 * exact);
                if (got.type != FDL_INT64 || fabs((double)got.as.i - exact) > allowed)
                    fail_msg("%s: estimate %lld, exact %lld", what, (long long)got.as.i,
                             (long long)want.as.i);
            }
            else
                assert_identical(got, want, what);
        }
    }
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    if (!keep_history)
        assert_true(stats.events_evicted > 0);
    assert_true(stats.events_out_of_order + stats.events_late > 0);
    if (group == G_LIFE_FLOAT && !keep_history)
        assert_true(stats.events_late > 0);     /* folded straight into the base */
    fdl_store_close(store);
    free(events);
    free(window_events);
    free(window_numbers);
}

static void test_differential(void **state)
{
    (void)state;
    const int kinds[] = {G_FLOAT, G_INT, G_LIFE_FLOAT, G_LIFE_INT, G_STRING, G_BOOL, G_TIME};
    for (int round = 0; round < 56; round++) {
        int group = kinds[round % 7];
        bool keep = (round / 7) % 2;
        int range = round % 3 == 0 ? 30 : round % 3 == 1 ? 300 : 3000;
        int spread = (round / 14) % 2 ? 2000 : 12;   /* many or few repeated values */
        differential_run(group, keep, 1000, range, spread);
    }
}

/*
 * The same events pushed in time order and shuffled (equal times keeping
 * their relative order): bit-identical results at every read time, with
 * values spread over many binades (cancellation in the moments) and int64
 * values beyond 2^53. Also checks the variance against a long double
 * two-pass estimate, to catch gross scaling errors.
 */
static void test_arrival_order_independence(void **state)
{
    (void)state;
    enum { N = 2400 };
    static test_event events[N];
    static int order[N];
    for (int round = 0; round < 8; round++) {
        int group = round % 2 ? G_FLOAT : G_INT;
        if (round >= 6)
            group = round % 2 ? G_LIFE_FLOAT : G_LIFE_INT;
        for (int i = 0; i < N; i++) {
            events[i].time = (fdl_time)i / 3;          /* ties */
            if (group == G_FLOAT || group == G_LIFE_FLOAT) {
                double m = (double)(rng() >> 11) / 0x1p53;
                int exp = (int)(rng() % 120) - 60;
                if (round == 3)
                    exp = (int)(rng() % 900) - 450;    /* wide: scaling and underflowing squares */
                events[i].value = fdl_float64(rng() % 5 == 0 ? 1.0    /* repeats */
                                                             : ldexp(rng() & 1 ? m : -m, exp));
            } else {
                events[i].value = fdl_int64((int64_t)(rng() % (UINT64_C(1) << 63)) - (INT64_C(1) << 62));
            }
            order[i] = i;
        }
        for (int i = N - 1; i > 0; i--) {
            int j = (int)(rng() % (uint64_t)(i + 1));
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        for (int i = 0; i < N; i += 3) {    /* the 3 events of one time: ascending */
            int p[3], k = 0;
            for (int j = 0; j < N && k < 3; j++)
                if (order[j] / 3 == i / 3)
                    p[k++] = j;
            for (int a = 0; a < 3; a++)
                order[p[a]] = i + a;
        }
        /* lifetime-only groups evict at every read: read monotonically
         * while pushing, so the shuffled store folds late events */
        bool lifetime_only = group == G_LIFE_FLOAT || group == G_LIFE_INT;
        fdl_store *in_order = open_store(!lifetime_only), *shuffled = open_store(!lifetime_only);
        fdl_entity_state *a = user(in_order, 1), *b = user(shuffled, 1);
        int naggs = groups[group].naggs;
        fdl_time next_read = 0;
        for (int i = 0; i < N; i++) {
            push(in_order, a, group, events[i].time, events[i].value);
            push(shuffled, b, group, events[order[i]].time, events[order[i]].value);
            if (lifetime_only && i % 97 == 96) {
                /* a read both stores answer the same only once every event
                 * before it arrived: compare at the end; here just evict */
                read_ok(shuffled, b, group, numeric(SLOT_LIFETIME, A_LAST6), next_read);
                next_read += 5;
            }
        }
        if (lifetime_only) {
            fdl_time t = N / 3 + 1;
            for (int agg = 0; agg < naggs; agg++) {
                vector_copy copy;
                fdl_value x = keep(read_ok(in_order, a, group, agg, t), &copy);
                fdl_value y = read_ok(shuffled, b, group, agg, t);
                char what[64];
                snprintf(what, sizeof what, "round %d agg %d at %lld", round, agg, (long long)t);
                assert_identical(y, x, what);
            }
            fdl_store_stats stats;
            fdl_store_get_stats(shuffled, &stats);
            assert_true(stats.events_late > 0);
        }
        for (fdl_time t = 0; !lifetime_only && t <= N / 3 + 1; t += 7) {
            for (int agg = 0; agg < naggs; agg++) {
                vector_copy copy;
                fdl_value x = keep(read_ok(in_order, a, group, agg, t), &copy);
                fdl_value y = read_ok(shuffled, b, group, agg, t);
                char what[64];
                snprintf(what, sizeof what, "round %d agg %d at %lld", round, agg, (long long)t);
                assert_identical(y, x, what);
                if (agg % NUMERIC_AGGS == A_VARIANCE && x.type == FDL_FLOAT64 && round != 3) {
                    /* two-pass long double estimate */
                    int64_t w = groups[group].aggs[agg].window;
                    long double mean = 0, m2 = 0;
                    int n = 0;
                    for (int i = 0; i < N; i++)
                        if (events[i].time < t && (!w || events[i].time >= t - w)) {
                            mean += (long double)as_number(events[i].value);
                            n++;
                        }
                    mean /= n;
                    for (int i = 0; i < N; i++)
                        if (events[i].time < t && (!w || events[i].time >= t - w)) {
                            long double d = (long double)as_number(events[i].value) - mean;
                            m2 += d * d;
                        }
                    long double estimate = m2 / (n - 1);
                    if (fabsl(estimate - x.as.f) > 1e-9L * estimate)
                        fail_msg("%s: variance %a, estimate %La", what, x.as.f, estimate);
                }
            }
        }
        fdl_store_stats stats;
        fdl_store_get_stats(shuffled, &stats);
        assert_true(stats.events_out_of_order > N / 4);
        fdl_store_close(in_order);
        fdl_store_close(shuffled);
    }
}

/* Reads between pushes must not change later results. */
static void test_reads_do_not_change_results(void **state)
{
    (void)state;
    fdl_store *quiet = open_store(true), *busy = open_store(true);
    fdl_entity_state *a = user(quiet, 1), *b = user(busy, 1);
    for (int i = 0; i < 1500; i++) {
        fdl_time t = (fdl_time)(rng() % 5000);
        double v = ldexp((double)(rng() >> 11), -(int)(rng() % 100));
        if (rng() % 4 == 0)
            v = (double)(rng() % 5);            /* repeats for count_distinct */
        push(quiet, a, G_FLOAT, t, fdl_float64(v));
        push(busy, b, G_FLOAT, t, fdl_float64(v));
        for (int agg = 0; agg < COUNT_OF(numeric_aggs); agg++)
            read_ok(busy, b, G_FLOAT, agg, (fdl_time)(rng() % 6000));
    }
    for (fdl_time t = 0; t < 6000; t += 13)
        for (int agg = 0; agg < COUNT_OF(numeric_aggs); agg++) {
            vector_copy copy;
            fdl_value x = keep(read_ok(quiet, a, G_FLOAT, agg, t), &copy);
            assert_identical(read_ok(busy, b, G_FLOAT, agg, t), x, "reads");
        }
    fdl_store_close(quiet);
    fdl_store_close(busy);
}

/* Two vector results of one group stay valid side by side (one buffer per
 * aggregation), as a feature-set read needs. */
static void test_vectors_do_not_alias(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    for (int i = 0; i < 10; i++)
        push(store, e, G_INT, i, fdl_int64(i));
    fdl_value first = read_ok(store, e, G_INT, numeric(SLOT_SHORT, A_FIRST3), 10);
    fdl_value last = read_ok(store, e, G_INT, numeric(SLOT_SHORT, A_LAST3), 10);
    fdl_value life = read_ok(store, e, G_INT, numeric(SLOT_LIFETIME, A_LAST6), 10);
    const double want_first[] = {0, 1, 2}, want_last[] = {9, 8, 7}, want_life[] = {9, 8, 7, 6, 5, 4};
    assert_identical(first, vec(3, want_first), "first");
    assert_identical(last, vec(3, want_last), "last");
    assert_identical(life, vec(6, want_life), "lifetime last");
    fdl_store_close(store);
}

/* fdl_xsum_canonical depends on the value only: the same multiset added in
 * different orders (and with removals) gives the same parts, which are
 * non-overlapping and sum back to the value exactly. */
static void test_canonical_expansion(void **state)
{
    (void)state;
    enum { N = 200 };
    double values[N];
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < N; i++) {
            double m = (double)(rng() >> 11) / 0x1p53;
            values[i] = ldexp(rng() & 1 ? m : -m, (int)(rng() % 1400) - 700);
        }
        fdl_xsum forward, backward;
        fdl_xsum_init(&forward);
        fdl_xsum_init(&backward);
        for (int i = 0; i < N; i++) {
            assert_true(fdl_xsum_add(&forward, values[i]));
            assert_true(fdl_xsum_add(&backward, values[N - 1 - i]));
            assert_true(fdl_xsum_add(&backward, 1e300));       /* and take it out again */
            assert_true(fdl_xsum_sub(&backward, 1e300));
        }
        double a[64], b[64];
        int na = fdl_xsum_canonical(&forward, a, 64), nb = fdl_xsum_canonical(&backward, b, 64);
        assert_true(na > 0);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, (size_t)na * sizeof a[0]);
        double rounded;
        assert_true(fdl_xsum_result(&forward, &rounded));
        assert_memory_equal(&a[0], &rounded, sizeof rounded);
        for (int i = 1; i < na; i++)
            assert_true(fabs(a[i]) <= fabs(a[i - 1]) * 0x1p-53);
        for (int i = 0; i < na; i++)
            assert_true(fdl_xsum_sub(&forward, a[i]));
        assert_true(fdl_xsum_result(&forward, &rounded));
        assert_true(rounded == 0.0);
        assert_int_equal(fdl_xsum_canonical(&forward, a, 64), 0);
        assert_int_equal(fdl_xsum_canonical(&backward, a, na - 1 > 0 ? na - 1 : 0), na > 0 ? -1 : 0);
        fdl_xsum_free(&forward);
        fdl_xsum_free(&backward);
    }
}

/* Sliding windows over a long stream: memory stays bounded by the window
 * (the distinct map and sorted values shrink back), results stay exact. */
static void test_long_stream(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    uint64_t most_held = 0;
    for (int i = 0; i < 100000; i++) {
        fdl_time t = (fdl_time)i * 10;
        push(store, e, G_INT, t, fdl_int64(i));         /* every value new */
        if (i % 10)
            continue;
        /* window [t + 1 - 1000, t + 1): the last 100 values i-99 .. i */
        int n = i < 99 ? i + 1 : 100;
        assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LONG, A_DISTINCT), t + 1), fdl_int64(n), "distinct");
        double median = (double)i - (n - 1) / 2.0;
        assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LONG, A_P50), t + 1), fdl_float64(median), "median");
        /* variance of n consecutive integers: n(n+1)/12 */
        fdl_value want = n < 2 ? fdl_null() : fdl_float64((double)n * (n + 1) / 12.0);
        assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LONG, A_VARIANCE), t + 1), want, "variance");
        fdl_store_stats stats;
        fdl_store_get_stats(store, &stats);
        if (stats.events_held > most_held)
            most_held = stats.events_held;
    }
    assert_true(most_held <= 111);
    /* lifetime: all 100000 */
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LIFETIME, A_DISTINCT), 10000000), fdl_int64(100000), "lifetime distinct");
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LIFETIME, A_P50), 10000000), fdl_float64(49999.5), "lifetime median");
    const double first[] = {0, 1, 2}, last[] = {99999, 99998, 99997};
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LIFETIME, A_FIRST3), 10000000), vec(3, first), "lifetime first3");
    assert_identical(read_ok(store, e, G_INT, numeric(SLOT_LIFETIME, A_LAST3), 10000000), vec(3, last), "lifetime last3");
    fdl_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_examples),
        cmocka_unit_test(test_boundaries_and_empty),
        cmocka_unit_test(test_equal_times_keep_arrival_order),
        cmocka_unit_test(test_large_values_and_zeros),
        cmocka_unit_test(test_distinct_other_types),
        cmocka_unit_test(test_plan_checks),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_arrival_order_independence),
        cmocka_unit_test(test_reads_do_not_change_results),
        cmocka_unit_test(test_long_stream),
        cmocka_unit_test(test_vectors_do_not_alias),
        cmocka_unit_test(test_canonical_expansion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
