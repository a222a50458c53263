/*
 * test_hop.c - hopped windows (fdl_group_desc.hop): tiles aligned to the
 * epoch (negative times included), the read rule (a read at t covers the
 * whole tiles before t's own), equality with the exact window ending at
 * the rounded-down time for every tileable function (min_by/max_by and
 * approx_percentile lists included), bit-identical results
 * whatever the arrival order, history errors, late events, memory bounded
 * by tiles, and the runtime's refusal of descriptions sema never emits.
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

enum { W = 1000, H = 100, W2 = 300 };

/* The same functions over an exact window and over a hopped one. */
#define AGG(function, window, result, p) {function, window, result, 0, p, 0, NULL}
#define NUMBER_AGGS(window, type)                                                               \
    AGG(FDL_AGG_COUNT, window, FDL_INT64, 0.0), AGG(FDL_AGG_SUM, window, type, 0.0),            \
    AGG(FDL_AGG_MEAN, window, FDL_FLOAT64, 0.0), AGG(FDL_AGG_MIN, window, type, 0.0),           \
    AGG(FDL_AGG_MAX, window, type, 0.0), AGG(FDL_AGG_FIRST, window, type, 0.0),                 \
    AGG(FDL_AGG_LAST, window, type, 0.0), AGG(FDL_AGG_VARIANCE, window, FDL_FLOAT64, 0.0),      \
    AGG(FDL_AGG_STDDEV, window, FDL_FLOAT64, 0.0),                                              \
    AGG(FDL_AGG_APPROX_PERCENTILE, window, FDL_FLOAT64, 0.5),                                   \
    AGG(FDL_AGG_APPROX_PERCENTILE, window, FDL_FLOAT64, 0.95)
enum { NUMBER_FUNCS = 11 };
#define STRING_AGGS(window)                                                                     \
    AGG(FDL_AGG_COUNT, window, FDL_INT64, 0.0), AGG(FDL_AGG_MIN, window, FDL_STRING, 0.0),      \
    AGG(FDL_AGG_MAX, window, FDL_STRING, 0.0), AGG(FDL_AGG_FIRST, window, FDL_STRING, 0.0),     \
    AGG(FDL_AGG_LAST, window, FDL_STRING, 0.0)
enum { STRING_FUNCS = 5 };

static const fdl_agg_desc exact_float[] = {NUMBER_AGGS(W, FDL_FLOAT64), NUMBER_AGGS(W2, FDL_FLOAT64),
                                           AGG(FDL_AGG_COUNT_DISTINCT, W, FDL_INT64, 0.0)};
static const fdl_agg_desc hop_float[] = {NUMBER_AGGS(W, FDL_FLOAT64), NUMBER_AGGS(W2, FDL_FLOAT64),
                                         AGG(FDL_AGG_APPROX_COUNT_DISTINCT, W, FDL_INT64, 0.0)};
static const fdl_agg_desc exact_int[] = {NUMBER_AGGS(W, FDL_INT64)};
static const fdl_agg_desc hop_int[] = {NUMBER_AGGS(W, FDL_INT64)};
static const fdl_agg_desc exact_string[] = {STRING_AGGS(W)};
static const fdl_agg_desc hop_string[] = {STRING_AGGS(W), AGG(FDL_AGG_APPROX_COUNT_DISTINCT, W, FDL_INT64, 0.0)};
static const fdl_agg_desc hop_count[] = {AGG(FDL_AGG_COUNT, W, FDL_INT64, 0.0)};
/* min_by/max_by (a by-group holds nothing else) and approx_percentile lists:
 * a tile keeps its best (by, time, value) and its sketch. */
static const fdl_agg_desc by_string[] = {AGG(FDL_AGG_MIN_BY, W, FDL_STRING, 0.0),
                                         AGG(FDL_AGG_MAX_BY, W, FDL_STRING, 0.0),
                                         AGG(FDL_AGG_MIN_BY, W2, FDL_STRING, 0.0),
                                         AGG(FDL_AGG_MAX_BY, W2, FDL_STRING, 0.0)};
static const fdl_agg_desc by_float[] = {AGG(FDL_AGG_MIN_BY, W, FDL_FLOAT64, 0.0),
                                        AGG(FDL_AGG_MAX_BY, W, FDL_FLOAT64, 0.0)};
static const double quantiles[] = {0.0, 0.5, 0.9, 0.5, 1.0};
static const fdl_agg_desc float_lists[] = {
    {FDL_AGG_APPROX_PERCENTILE, W, FDL_VECTOR, 0, 0.0, 5, quantiles},
    {FDL_AGG_APPROX_PERCENTILE, W2, FDL_VECTOR, 0, 0.0, 2, quantiles + 1},
};
enum { BY_FUNCS = 4, BOOL_BY_FUNCS = 2, LIST_FUNCS = 2 };

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
enum { G_EXACT_FLOAT, G_HOP_FLOAT, G_EXACT_INT, G_HOP_INT, G_EXACT_STRING, G_HOP_STRING, G_HOP_COUNT,
       G_EXACT_BY, G_HOP_BY, G_EXACT_BY_BOOL, G_HOP_BY_BOOL, G_EXACT_LIST, G_HOP_LIST, NGROUPS };
static const fdl_group_desc groups[] = {
    {"exact float", 0, 0, FDL_FLOAT64, COUNT_OF(exact_float), exact_float, FDL_NULL, 0},
    {"hop float", 0, 0, FDL_FLOAT64, COUNT_OF(hop_float), hop_float, FDL_NULL, H},
    {"exact int", 0, 0, FDL_INT64, COUNT_OF(exact_int), exact_int, FDL_NULL, 0},
    {"hop int", 0, 0, FDL_INT64, COUNT_OF(hop_int), hop_int, FDL_NULL, H},
    {"exact string", 0, 0, FDL_STRING, COUNT_OF(exact_string), exact_string, FDL_NULL, 0},
    {"hop string", 0, 0, FDL_STRING, COUNT_OF(hop_string), hop_string, FDL_NULL, H},
    {"hop count", 0, 0, FDL_NULL, COUNT_OF(hop_count), hop_count, FDL_NULL, H},
    {"exact string by int", 0, 0, FDL_STRING, COUNT_OF(by_string), by_string, FDL_INT64, 0},
    {"hop string by int", 0, 0, FDL_STRING, COUNT_OF(by_string), by_string, FDL_INT64, H},
    {"exact float by bool", 0, 0, FDL_FLOAT64, COUNT_OF(by_float), by_float, FDL_BOOL, 0},
    {"hop float by bool", 0, 0, FDL_FLOAT64, COUNT_OF(by_float), by_float, FDL_BOOL, H},
    {"exact float lists", 0, 0, FDL_FLOAT64, COUNT_OF(float_lists), float_lists, FDL_NULL, 0},
    {"hop float lists", 0, 0, FDL_FLOAT64, COUNT_OF(float_lists), float_lists, FDL_NULL, H},
};
static const fdl_entity_desc entities[] = {{"user", "user_id", FDL_INT64, 1, (const char *const[]){"user_id"}, (const fdl_type[]){FDL_INT64}}};
static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "hop_test", .fingerprint = "0",
    .nentities = 1, .entities = entities, .ngroups = NGROUPS, .groups = groups,
};

static fdl_store *open_store(const fdl_program *p, bool keep_history)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    options.load_embeddings = false;
    fdl_error err;
    fdl_store *store = fdl_store_open(p, &options, &err);
    if (!store)
        fail_msg("open: %s", err.message);
    return store;
}

static fdl_entity_state *user(fdl_store *store, int64_t id)
{
    fdl_entity_state *e = fdl_store_entity(store, 0, fdl_int64(id), true);
    assert_non_null(e);
    return e;
}

static fdl_value read_ok(fdl_store *store, fdl_entity_state *e, int group, int agg, fdl_time t)
{
    fdl_value out;
    fdl_status status = fdl_group_read(store, e, group, agg, t, &out);
    if (status != FDL_OK)
        fail_msg("read group %d agg %d at %lld: status %d", group, agg, (long long)t, status);
    return out;
}

static void push(fdl_store *store, fdl_entity_state *e, int group, fdl_time t, fdl_value v)
{
    assert_int_equal(fdl_group_push(store, e, group, t, v), FDL_OK);
}

/* Same type and the same bits (strings: the same bytes). */
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
    case FDL_STRING:
        if (got.as.s.len != want.as.s.len ||
            (got.as.s.len && memcmp(got.as.s.ptr, want.as.s.ptr, got.as.s.len) != 0))
            fail_msg("%s: '%.*s', want '%.*s'", what, (int)got.as.s.len, got.as.s.ptr,
                     (int)want.as.s.len, want.as.s.ptr);
        return;
    case FDL_VECTOR:
        if (got.dim != want.dim ||
            (got.dim && memcmp(got.as.v, want.as.v, sizeof(double) * (size_t)got.dim) != 0))
            fail_msg("%s: vectors differ (dimension %d, want %d)", what, (int)got.dim, (int)want.dim);
        return;
    default:
        fail_msg("%s: unexpected type", what);
    }
}

static int64_t floor_to_hop(int64_t t)
{
    int64_t q = t / H;
    if (t % H != 0 && t < 0)
        q--;
    return q * H;
}

static uint64_t rng_state = 42;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ---------------------------------------------------------------- tests */

/* Tiles are [k H, (k + 1) H) from the epoch; a read at t sees the tiles
 * before floor(t / H), W / H of them. */
static void test_read_rule(void **state)
{
    (void)state;
    fdl_store *store = open_store(&program, true);
    fdl_entity_state *u = user(store, 1);
    /* Around zero and a tile edge: -1 is in tile -1, 0 and 99 in tile 0, 100 in tile 1. */
    static const fdl_time times[] = {-101, -100, -1, 0, 99, 100, 950, 999, 1000, 1099};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        push(store, u, G_HOP_COUNT, times[i], fdl_null());
    static const fdl_time reads[] = {-100, -1, 0, 99, 100, 1000, 1099, 1100, 2000, 2100};
    /* Recomputed from the documented rule... */
    for (size_t r = 0; r < sizeof reads / sizeof reads[0]; r++) {
        int64_t end = floor_to_hop(reads[r]), want = 0;
        for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
            want += times[i] >= end - W && times[i] < end;
        assert_int_equal(read_ok(store, u, G_HOP_COUNT, 0, reads[r]).as.i, want);
    }
    /* ... and by hand. -101 is in tile -2, -100 and -1 in tile -1, 0 and 99
     * in tile 0, 100 in tile 1, 1000 and 1099 in tile 10. */
    assert_int_equal(read_ok(store, u, G_HOP_COUNT, 0, -100).as.i, 1);  /* tiles [-11, -1) */
    assert_int_equal(read_ok(store, u, G_HOP_COUNT, 0, -1).as.i, 1);    /* t's own tile is out */
    assert_int_equal(read_ok(store, u, G_HOP_COUNT, 0, 0).as.i, 3);     /* tiles [-10, 0) */
    assert_int_equal(read_ok(store, u, G_HOP_COUNT, 0, 100).as.i, 5);
    assert_int_equal(read_ok(store, u, G_HOP_COUNT, 0, 1000).as.i, 5);   /* 0, 99, 100, 950, 999 */
    assert_int_equal(read_ok(store, u, G_HOP_COUNT, 0, 1100).as.i, 5);   /* 100, 950, 999, 1000, 1099 */
    /* Never-seen entity: the empty result. */
    fdl_value out;
    assert_int_equal(fdl_group_read(store, NULL, G_HOP_FLOAT, 1, 500, &out), FDL_OK);
    assert_int_equal(out.type, FDL_FLOAT64);
    assert_true(out.as.f == 0.0);
    fdl_store_close(store);
}

/* Randomized: a hopped read at t equals the exact read at floor(t / H) H over
 * the same window, for every function, with events pushed in random order. */
static void differential(bool keep_history, uint64_t seed)
{
    rng_state = seed;
    fdl_store *store = open_store(&program, keep_history);
    fdl_entity_state *u = user(store, 7);
    enum { N = 3000 };
    static fdl_time times[N];
    static double floats[N];
    static int64_t ints[N];
    static char strings[N][8];
    for (int i = 0; i < N; i++) {
        times[i] = (fdl_time)(next_random() % 20000) - 5000;   /* negative times too */
        switch (next_random() % 4) {
        case 0: floats[i] = (double)(int64_t)(next_random() % 7) - 3.0; break;   /* ties, zeros */
        case 1: floats[i] = ldexp((double)(next_random() % 1000000), (int)(next_random() % 80) - 40); break;
        case 2: floats[i] = -(double)(next_random() % 1000) / 7.0; break;
        default: floats[i] = next_random() % 50 == 0 ? -0.0 : 1e15 + (double)(next_random() % 3); break;
        }
        ints[i] = next_random() % 10 == 0 ? (int64_t)(next_random() >> 1) : (int64_t)(next_random() % 100) - 50;
        snprintf(strings[i], sizeof strings[i], "s%02d", (int)(next_random() % 60));
    }
    /* Arrival order: mostly by time, with a share of late-arriving events
     * (within what the store keeps: the read times below follow the pushes). */
    int order[N];
    for (int i = 0; i < N; i++)
        order[i] = i;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (times[order[j]] < times[order[i]]) {
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
    for (int i = 0; i + 1 < N; i++)
        if (next_random() % 3 == 0) {
            int j = i + 1 + (int)(next_random() % 20);
            if (j < N) {
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
        }
    int pushed = 0;
    for (fdl_time t = -5000; t <= 16000; t += 1 + (fdl_time)(next_random() % 157)) {
        /* Push every event before floor(t / H) H - a margin the exact path and
         * the tiles both still hold (late pushes land inside the window). */
        while (pushed < N && times[order[pushed]] < t) {
            int i = order[pushed++];
            push(store, u, G_EXACT_FLOAT, times[i], fdl_float64(floats[i]));
            push(store, u, G_HOP_FLOAT, times[i], fdl_float64(floats[i]));
            push(store, u, G_EXACT_INT, times[i], fdl_int64(ints[i]));
            push(store, u, G_HOP_INT, times[i], fdl_int64(ints[i]));
            push(store, u, G_EXACT_STRING, times[i], fdl_string(strings[i], strlen(strings[i])));
            push(store, u, G_HOP_STRING, times[i], fdl_string(strings[i], strlen(strings[i])));
        }
        fdl_time end = floor_to_hop(t);
        char what[96];
        for (int a = 0; a < 2 * NUMBER_FUNCS; a++) {
            snprintf(what, sizeof what, "float agg %d at %lld", a, (long long)t);
            fdl_value want = read_ok(store, u, G_EXACT_FLOAT, a, end);
            assert_identical(read_ok(store, u, G_HOP_FLOAT, a, t), want, what);
        }
        for (int a = 0; a < NUMBER_FUNCS; a++) {
            snprintf(what, sizeof what, "int agg %d at %lld", a, (long long)t);
            fdl_value want = read_ok(store, u, G_EXACT_INT, a, end);
            assert_identical(read_ok(store, u, G_HOP_INT, a, t), want, what);
        }
        for (int a = 0; a < STRING_FUNCS; a++) {
            snprintf(what, sizeof what, "string agg %d at %lld", a, (long long)t);
            fdl_value want = read_ok(store, u, G_EXACT_STRING, a, end);
            assert_identical(read_ok(store, u, G_HOP_STRING, a, t), want, what);
        }
        /* approx_count_distinct: within 5% (+1) of the exact count. */
        int64_t exact = read_ok(store, u, G_EXACT_FLOAT, 2 * NUMBER_FUNCS, end).as.i;
        int64_t approx = read_ok(store, u, G_HOP_FLOAT, 2 * NUMBER_FUNCS, t).as.i;
        if (llabs(approx - exact) > exact / 20 + 1)
            fail_msg("approx_count_distinct %lld, exact %lld at %lld", (long long)approx,
                     (long long)exact, (long long)t);
    }
    fdl_store_close(store);
}

static void test_differential(void **state)
{
    (void)state;
    differential(false, 42);
    differential(true, 7);
}

/* The same events in two arrival orders: bit-identical hopped results,
 * approx_count_distinct included. */
static void test_arrival_order_identical(void **state)
{
    (void)state;
    fdl_store *a = open_store(&program, false), *b = open_store(&program, false);
    fdl_entity_state *ua = user(a, 1), *ub = user(b, 1);
    enum { N = 2000 };
    static fdl_time times[N];
    static double values[N];
    rng_state = 99;
    for (int i = 0; i < N; i++) {
        times[i] = (fdl_time)(next_random() % 5000);
        values[i] = ldexp((double)(next_random() % 1000003), (int)(next_random() % 60) - 30) *
                    (next_random() % 2 ? 1.0 : -1.0);
    }
    for (int i = 0; i < N; i++) {
        push(a, ua, G_HOP_FLOAT, times[i], fdl_float64(values[i]));
        push(a, ua, G_HOP_STRING, times[i], fdl_string("x", 1 + (size_t)(i % 1)));
    }
    for (int i = N - 1; i >= 0; i--) {
        push(b, ub, G_HOP_FLOAT, times[i], fdl_float64(values[i]));
        push(b, ub, G_HOP_STRING, times[i], fdl_string("x", 1));
    }
    for (fdl_time t = 0; t <= 6000; t += 37)
        for (int g = 0; g < COUNT_OF(hop_float); g++) {
            if (hop_float[g].function == FDL_AGG_FIRST || hop_float[g].function == FDL_AGG_LAST)
                continue;               /* equal times: arrival order decides, as documented */
            char what[64];
            snprintf(what, sizeof what, "agg %d at %lld", g, (long long)t);
            assert_identical(read_ok(a, ua, G_HOP_FLOAT, g, t), read_ok(b, ub, G_HOP_FLOAT, g, t), what);
        }
    fdl_store_close(a);
    fdl_store_close(b);
}

/* min_by/max_by and approx_percentile lists over tiles: a hopped read at t
 * equals the exact read at floor(t / H) H, bit for bit, with the same events
 * pushed in random order and in reverse. By-values repeat often (ties in by;
 * in by and time: the tie-breaks must hold across tiles as within one). */
static void test_by_and_lists(void **state)
{
    (void)state;
    enum { N = 2500, ORDERS = 2 };
    static fdl_time times[N];
    static int64_t bys[N];
    static bool flags[N];
    static double values[N];
    static char names[N][8];
    static int order[N];
    rng_state = 2024;
    for (int i = 0; i < N; i++) {
        times[i] = (fdl_time)(next_random() % 15000) - 3000;
        if (i > 0 && next_random() % 5 == 0)
            times[i] = times[next_random() % (uint64_t)i];          /* equal times */
        bys[i] = (int64_t)(next_random() % 9) - 4;
        flags[i] = next_random() % 2;
        values[i] = next_random() % 40 == 0 ? -0.0 : (double)(int64_t)(next_random() % 7) - 3.0;
        snprintf(names[i], sizeof names[i], "n%02d", (int)(next_random() % 30));
        order[i] = i;
    }
    for (int i = N - 1; i > 0; i--) {
        int j = (int)(next_random() % (uint64_t)(i + 1));
        int swap = order[i];
        order[i] = order[j];
        order[j] = swap;
    }
    for (int pass = 0; pass < ORDERS; pass++) {
        fdl_store *store = open_store(&program, true);
        fdl_entity_state *u = user(store, 3);
        for (int k = 0; k < N; k++) {
            int i = pass == 0 ? order[k] : N - 1 - k;
            fdl_value name = fdl_string(names[i], strlen(names[i]));
            for (int g = G_EXACT_BY; g <= G_HOP_BY; g++)
                assert_int_equal(fdl_group_push_by(store, u, g, times[i], name, fdl_int64(bys[i])), FDL_OK);
            for (int g = G_EXACT_BY_BOOL; g <= G_HOP_BY_BOOL; g++)
                assert_int_equal(fdl_group_push_by(store, u, g, times[i], fdl_float64(values[i]),
                                                   fdl_bool(flags[i])), FDL_OK);
            push(store, u, G_EXACT_LIST, times[i], fdl_float64(values[i] * (double)(bys[i] + 5)));
            push(store, u, G_HOP_LIST, times[i], fdl_float64(values[i] * (double)(bys[i] + 5)));
        }
        static const struct { int exact, hopped, naggs; } pairs[] = {
            {G_EXACT_BY, G_HOP_BY, BY_FUNCS},
            {G_EXACT_BY_BOOL, G_HOP_BY_BOOL, BOOL_BY_FUNCS},
            {G_EXACT_LIST, G_HOP_LIST, LIST_FUNCS},
        };
        for (fdl_time t = -3000; t <= 13000; t += 1 + (fdl_time)(next_random() % 97)) {
            fdl_time end = floor_to_hop(t);
            for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++)
                for (int a = 0; a < pairs[p].naggs; a++) {
                    char what[96];
                    snprintf(what, sizeof what, "pass %d group %d agg %d at %lld", pass,
                             pairs[p].hopped, a, (long long)t);
                    fdl_value want = read_ok(store, u, pairs[p].exact, a, end);
                    assert_identical(read_ok(store, u, pairs[p].hopped, a, t), want, what);
                }
        }
        fdl_store_close(store);
    }
}

/* Reads evict tiles no later read can see; an event in an evicted tile is
 * late; a read reaching before them fails. Memory: tiles, not events. */
static void test_history_late_and_memory(void **state)
{
    (void)state;
    fdl_store *store = open_store(&program, false);
    fdl_entity_state *u = user(store, 1);
    fdl_store_stats stats;
    uint64_t most_tiles = 0;
    for (fdl_time t = 0; t < 100000; t++) {
        push(store, u, G_HOP_FLOAT, t, fdl_float64((double)(t % 13)));
        if (t % 10 == 9) {
            fdl_value v = read_ok(store, u, G_HOP_FLOAT, 0, t + 1);
            assert_int_equal(v.as.i, floor_to_hop(t + 1) >= W ? W : floor_to_hop(t + 1));
            fdl_store_get_stats(store, &stats);
            if (stats.tiles_held > most_tiles)
                most_tiles = stats.tiles_held;
        }
    }
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_held, 0);     /* a hopped group keeps no events */
    assert_true(most_tiles <= W / H + 1);       /* the window's tiles and t's own */
    /* Read at 100000: tiles [990, 1000) kept, the horizon is tile 990. */
    assert_int_equal(read_ok(store, u, G_HOP_FLOAT, 0, 100000).as.i, W);
    fdl_value out;
    assert_int_equal(fdl_group_read(store, u, G_HOP_FLOAT, 0, 99999, &out), FDL_ERR_HISTORY);
    uint64_t late = stats.events_late;
    push(store, u, G_HOP_FLOAT, 98999, fdl_float64(1.0));    /* tile 989: evicted, late */
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_late, late + 1);
    push(store, u, G_HOP_FLOAT, 99000, fdl_float64(1.0));    /* tile 990: still counts */
    assert_int_equal(read_ok(store, u, G_HOP_FLOAT, 0, 100000).as.i, W + 1);
    fdl_store_close(store);
}

/* Descriptions sema never emits are refused at open, not misread. */
static void test_plan_rejects(void **state)
{
    (void)state;
    static const fdl_agg_desc not_dividing[] = {{FDL_AGG_COUNT, 250, FDL_INT64, 0, 0.0, 0, NULL}};
    static const fdl_agg_desc lifetime[] = {{FDL_AGG_COUNT, 0, FDL_INT64, 0, 0.0, 0, NULL}};
    static const fdl_agg_desc percentile[] = {{FDL_AGG_PERCENTILE, 1000, FDL_FLOAT64, 0, 0.5, 0, NULL}};
    static const fdl_agg_desc distinct[] = {{FDL_AGG_COUNT_DISTINCT, 1000, FDL_INT64, 0, 0.0, 0, NULL}};
    static const fdl_agg_desc hll_exact[] = {{FDL_AGG_APPROX_COUNT_DISTINCT, 1000, FDL_INT64, 0, 0.0, 0, NULL}};
    static const fdl_agg_desc fine[] = {{FDL_AGG_COUNT, 1000, FDL_INT64, 0, 0.0, 0, NULL}};
    static const double two[] = {0.5, 0.9};
    static const fdl_agg_desc percentile_list[] = {{FDL_AGG_PERCENTILE, 1000, FDL_VECTOR, 0, 0.0, 2, two}};
    static const fdl_agg_desc approx_list[] = {{FDL_AGG_APPROX_PERCENTILE, 1000, FDL_VECTOR, 0, 0.0, 2, two}};
    static const fdl_agg_desc max_by[] = {{FDL_AGG_MAX_BY, 1000, FDL_STRING, 0, 0.0, 0, NULL}};
    static const fdl_agg_desc max_by_lifetime[] = {{FDL_AGG_MAX_BY, 0, FDL_STRING, 0, 0.0, 0, NULL}};
    const struct { const fdl_agg_desc *aggs; fdl_type type, by; int64_t hop; bool ok; } cases[] = {
        {not_dividing, FDL_NULL, FDL_NULL, 100, false}, {lifetime, FDL_NULL, FDL_NULL, 100, false},
        {percentile, FDL_FLOAT64, FDL_NULL, 100, false}, {distinct, FDL_FLOAT64, FDL_NULL, 100, false},
        {hll_exact, FDL_FLOAT64, FDL_NULL, 0, false}, {fine, FDL_NULL, FDL_NULL, -100, false},
        {fine, FDL_NULL, FDL_NULL, 100, true}, {hll_exact, FDL_FLOAT64, FDL_NULL, 100, true},
        {percentile_list, FDL_FLOAT64, FDL_NULL, 100, false},
        {approx_list, FDL_FLOAT64, FDL_NULL, 100, true},
        {max_by, FDL_STRING, FDL_INT64, 100, true}, {max_by_lifetime, FDL_STRING, FDL_INT64, 100, false},
        {max_by, FDL_STRING, FDL_NULL, 100, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fdl_group_desc group = {"g", 0, 0, cases[i].type, 1, cases[i].aggs, cases[i].by, cases[i].hop};
        fdl_program p = program;
        p.ngroups = 1;
        p.groups = &group;
        fdl_store_options options = fdl_store_options_default();
        options.load_embeddings = false;
        fdl_error err;
        fdl_store *store = fdl_store_open(&p, &options, &err);
        if ((store != NULL) != cases[i].ok)
            fail_msg("case %zu: open %s", i, store ? "succeeded" : err.message);
        fdl_store_close(store);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_rule),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_arrival_order_identical),
        cmocka_unit_test(test_by_and_lists),
        cmocka_unit_test(test_history_late_and_memory),
        cmocka_unit_test(test_plan_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
