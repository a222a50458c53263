/*
 * test_window.c - the aggregation engine through fdl_group_push and
 * fdl_group_read on a hand-written program: exact window boundaries,
 * lifetime, empty windows, equal-time ordering, out-of-order pushes giving
 * bit-identical results, backward reads, history errors, eviction bounds,
 * late events, int64 overflow, exact float sums, signed zeros, strings,
 * and a randomized differential test against brute force.
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

/* ------------------------------------------------------ the test program */

#define AGGS_FOR(window, type, mean_type) \
    {FDL_AGG_COUNT, window, FDL_INT64, 0, 0.0, 0, NULL}, {FDL_AGG_SUM, window, type, 0, 0.0, 0, NULL}, \
    {FDL_AGG_MEAN, window, mean_type, 0, 0.0, 0, NULL}, {FDL_AGG_MIN, window, type, 0, 0.0, 0, NULL}, \
    {FDL_AGG_MAX, window, type, 0, 0.0, 0, NULL}, {FDL_AGG_FIRST, window, type, 0, 0.0, 0, NULL}, \
    {FDL_AGG_LAST, window, type, 0, 0.0, 0, NULL}
#define ORDER_AGGS_FOR(window, type) \
    {FDL_AGG_COUNT, window, FDL_INT64, 0, 0.0, 0, NULL}, {FDL_AGG_MIN, window, type, 0, 0.0, 0, NULL}, \
    {FDL_AGG_MAX, window, type, 0, 0.0, 0, NULL}, {FDL_AGG_FIRST, window, type, 0, 0.0, 0, NULL}, \
    {FDL_AGG_LAST, window, type, 0, 0.0, 0, NULL}

enum { W_SHORT = 100, W_LONG = 1000 };
enum { FUNCS = 7, ORDER_FUNCS = 5 };
/* aggregation index = window slot * FUNCS + function; slots: lifetime, short, long */
enum { SLOT_LIFETIME, SLOT_SHORT, SLOT_LONG, NSLOTS };
enum { A_COUNT, A_SUM, A_MEAN, A_MIN, A_MAX, A_FIRST, A_LAST };

static const fdl_agg_desc float_aggs[] = {
    AGGS_FOR(0, FDL_FLOAT64, FDL_FLOAT64), AGGS_FOR(W_SHORT, FDL_FLOAT64, FDL_FLOAT64),
    AGGS_FOR(W_LONG, FDL_FLOAT64, FDL_FLOAT64)};
static const fdl_agg_desc int_aggs[] = {
    AGGS_FOR(0, FDL_INT64, FDL_FLOAT64), AGGS_FOR(W_SHORT, FDL_INT64, FDL_FLOAT64),
    AGGS_FOR(W_LONG, FDL_INT64, FDL_FLOAT64)};
static const fdl_agg_desc string_aggs[] = {
    ORDER_AGGS_FOR(0, FDL_STRING), ORDER_AGGS_FOR(W_SHORT, FDL_STRING),
    ORDER_AGGS_FOR(W_LONG, FDL_STRING)};
static const fdl_agg_desc none_aggs[] = {{FDL_AGG_COUNT, 0, FDL_INT64, 0, 0.0, 0, NULL},
                                        {FDL_AGG_COUNT, 50, FDL_INT64, 0, 0.0, 0, NULL}};
static const fdl_agg_desc life_aggs[] = {AGGS_FOR(0, FDL_FLOAT64, FDL_FLOAT64)};
static const fdl_agg_desc bool_aggs[] = {ORDER_AGGS_FOR(W_SHORT, FDL_BOOL)};
static const fdl_agg_desc time_aggs[] = {ORDER_AGGS_FOR(0, FDL_TIMESTAMP), ORDER_AGGS_FOR(W_SHORT, FDL_TIMESTAMP)};

enum { G_FLOAT, G_INT, G_STRING, G_NONE, G_LIFE, G_BOOL, G_TIME, NGROUPS };
#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
static const fdl_group_desc groups[] = {
    {"float", 0, 0, FDL_FLOAT64, COUNT_OF(float_aggs), float_aggs, FDL_NULL, 0},
    {"int", 0, 0, FDL_INT64, COUNT_OF(int_aggs), int_aggs, FDL_NULL, 0},
    {"string", 0, 0, FDL_STRING, COUNT_OF(string_aggs), string_aggs, FDL_NULL, 0},
    {"none", 0, 0, FDL_NULL, COUNT_OF(none_aggs), none_aggs, FDL_NULL, 0},
    {"life", 0, 0, FDL_FLOAT64, COUNT_OF(life_aggs), life_aggs, FDL_NULL, 0},
    {"bool", 0, 0, FDL_BOOL, COUNT_OF(bool_aggs), bool_aggs, FDL_NULL, 0},
    {"time", 0, 0, FDL_TIMESTAMP, COUNT_OF(time_aggs), time_aggs, FDL_NULL, 0},
};
static const fdl_entity_desc entities[] = {{"user", "user_id", FDL_INT64, 1, (const char *const[]){"user_id"}, (const fdl_type[]){FDL_INT64}}};
static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "window_test", .fingerprint = "0",
    .nentities = 1, .entities = entities, .ngroups = NGROUPS, .groups = groups,
};

static fdl_store *open_store(bool keep_history)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    options.load_embeddings = false;
    fdl_error err;
    fdl_store *store = fdl_store_open(&program, &options, &err);
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

static int agg_index(int slot, int function)
{
    return slot * FUNCS + function;
}

static int order_index(int slot, int function)
{
    /* string/bool/time groups: count, min, max, first, last */
    static const int position[] = {[A_COUNT] = 0, [A_MIN] = 1, [A_MAX] = 2, [A_FIRST] = 3, [A_LAST] = 4};
    return slot * ORDER_FUNCS + position[function];
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
    case FDL_BOOL:
        if (got.as.b != want.as.b)
            fail_msg("%s: %d, want %d", what, got.as.b, want.as.b);
        return;
    case FDL_TIMESTAMP:
        if (got.as.t != want.as.t)
            fail_msg("%s: %lld, want %lld", what, (long long)got.as.t, (long long)want.as.t);
        return;
    case FDL_STRING:
        if (got.as.s.len != want.as.s.len ||
            (got.as.s.len && memcmp(got.as.s.ptr, want.as.s.ptr, got.as.s.len) != 0))
            fail_msg("%s: '%.*s', want '%.*s'", what, (int)got.as.s.len, got.as.s.ptr,
                     (int)want.as.s.len, want.as.s.ptr);
        return;
    default:
        fail_msg("%s: unexpected type", what);
    }
}

static fdl_value str(const char *s)
{
    return fdl_string(s, strlen(s));
}

/* ---------------------------------------------------------------- tests */

static void test_window_boundaries(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    fdl_time t = 10000;
    push(store, e, G_FLOAT, t - W_SHORT - 1, fdl_float64(1.0));   /* just outside */
    push(store, e, G_FLOAT, t - W_SHORT, fdl_float64(2.0));       /* first inside */
    push(store, e, G_FLOAT, t - 1, fdl_float64(4.0));             /* last inside */
    push(store, e, G_FLOAT, t, fdl_float64(8.0));                 /* at t: outside */
    int s = SLOT_SHORT;
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(s, A_COUNT), t), fdl_int64(2), "count");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(s, A_SUM), t), fdl_float64(6.0), "sum");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(s, A_MEAN), t), fdl_float64(3.0), "mean");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(s, A_MIN), t), fdl_float64(2.0), "min");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(s, A_MAX), t), fdl_float64(4.0), "max");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(s, A_FIRST), t), fdl_float64(2.0), "first");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(s, A_LAST), t), fdl_float64(4.0), "last");
    /* lifetime: everything before t */
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_COUNT), t), fdl_int64(3), "lifetime count");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_SUM), t), fdl_float64(7.0), "lifetime sum");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_FIRST), t), fdl_float64(1.0), "lifetime first");
    /* one microsecond later the window moved by one */
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(s, A_SUM), t + 1), fdl_float64(12.0), "sum at t+1");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_SUM), t + 1), fdl_float64(15.0), "lifetime at t+1");
    /* count(source) groups */
    push(store, e, G_NONE, 100, fdl_null());
    push(store, e, G_NONE, 150, fdl_null());
    assert_identical(read_ok(store, e, G_NONE, 1, 150), fdl_int64(1), "none count w50");
    assert_identical(read_ok(store, e, G_NONE, 1, 151), fdl_int64(1), "none count w50 +1");
    assert_identical(read_ok(store, e, G_NONE, 0, 151), fdl_int64(2), "none lifetime");
    fdl_store_close(store);
}

static void test_empty_windows(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 1);
    for (int pass = 0; pass < 3; pass++) {
        /* pass 0: entity without events; 1: a NULL entity; 2: events elsewhere */
        fdl_entity_state *who = pass == 1 ? NULL : e;
        if (pass == 2) {
            push(store, e, G_FLOAT, 5000, fdl_float64(1.0));
            push(store, e, G_INT, 5000, fdl_int64(1));
            push(store, e, G_STRING, 5000, str("a"));
        }
        for (int slot = pass == 2 ? 1 : 0; slot < NSLOTS; slot++) {
            fdl_time t = pass == 2 ? 10000 : 100;
            assert_identical(read_ok(store, who, G_FLOAT, agg_index(slot, A_COUNT), t), fdl_int64(0), "count");
            assert_identical(read_ok(store, who, G_FLOAT, agg_index(slot, A_SUM), t), fdl_float64(0.0), "float sum");
            assert_identical(read_ok(store, who, G_INT, agg_index(slot, A_SUM), t), fdl_int64(0), "int sum");
            for (int f = A_MEAN; f <= A_LAST; f++) {
                assert_identical(read_ok(store, who, G_FLOAT, agg_index(slot, f), t), fdl_null(), "float null");
                assert_identical(read_ok(store, who, G_INT, agg_index(slot, f), t), fdl_null(), "int null");
            }
            for (int f = A_MIN; f <= A_LAST; f++)
                assert_identical(read_ok(store, who, G_STRING, order_index(slot, f), t), fdl_null(), "string null");
        }
    }
    /* the event is at 5000: nothing before it either */
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_MEAN), 5000), fdl_null(), "before");
    fdl_store_close(store);
}

static void test_equal_times_keep_arrival_order(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 7);
    push(store, e, G_STRING, 20, str("x"));
    push(store, e, G_STRING, 10, str("a"));        /* out of order, then equal times */
    push(store, e, G_STRING, 10, str("b"));
    push(store, e, G_STRING, 10, str("c"));
    push(store, e, G_STRING, 20, str("y"));
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_FIRST), 11), str("a"), "first");
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_LAST), 11), str("c"), "last");
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_LAST), 21), str("y"), "last 21");
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_FIRST), 21), str("a"), "first 21");
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_MIN), 21), str("a"), "min");
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_MAX), 21), str("y"), "max");
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_COUNT), 21), fdl_int64(5), "count");
    /* after reading, another event at 10 still lands after the other 10s */
    push(store, e, G_STRING, 10, str("d"));
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_LAST), 11), str("d"), "last d");
    assert_identical(read_ok(store, e, G_STRING, order_index(SLOT_SHORT, A_FIRST), 11), str("a"), "first a");
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_out_of_order, 4);
    fdl_store_close(store);
}

static void test_strings(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    char buffer[16];
    strcpy(buffer, "pear");
    push(store, e, G_STRING, 1, fdl_string(buffer, 4));
    strcpy(buffer, "XXXX");                        /* the store copied it */
    push(store, e, G_STRING, 2, str("apple"));
    push(store, e, G_STRING, 3, str("app"));       /* a prefix sorts first */
    push(store, e, G_STRING, 4, fdl_string("", 0));
    push(store, e, G_STRING, 5, str("\xc3\xa9t\xc3\xa9"));   /* bytes above ASCII sort last */
    push(store, e, G_STRING, 6, fdl_null());       /* skipped */
    int s = SLOT_SHORT;
    assert_identical(read_ok(store, e, G_STRING, order_index(s, A_COUNT), 10), fdl_int64(5), "count");
    assert_identical(read_ok(store, e, G_STRING, order_index(s, A_MIN), 10), fdl_string("", 0), "min");
    assert_identical(read_ok(store, e, G_STRING, order_index(s, A_MAX), 10), str("\xc3\xa9t\xc3\xa9"), "max");
    assert_identical(read_ok(store, e, G_STRING, order_index(s, A_FIRST), 10), str("pear"), "first");
    assert_identical(read_ok(store, e, G_STRING, order_index(s, A_LAST), 10), str("\xc3\xa9t\xc3\xa9"), "last");
    assert_identical(read_ok(store, e, G_STRING, order_index(s, A_MIN), 4), str("app"), "min at 4");
    /* bool and timestamp groups */
    push(store, e, G_BOOL, 1, fdl_bool(true));
    push(store, e, G_BOOL, 2, fdl_bool(false));
    assert_identical(read_ok(store, e, G_BOOL, order_index(0, A_MIN), 10), fdl_bool(false), "bool min");
    assert_identical(read_ok(store, e, G_BOOL, order_index(0, A_MAX), 10), fdl_bool(true), "bool max");
    assert_identical(read_ok(store, e, G_BOOL, order_index(0, A_LAST), 10), fdl_bool(false), "bool last");
    push(store, e, G_TIME, 1, fdl_timestamp(500));
    push(store, e, G_TIME, 2, fdl_timestamp(-3));
    assert_identical(read_ok(store, e, G_TIME, order_index(1, A_MIN), 10), fdl_timestamp(-3), "time min");
    assert_identical(read_ok(store, e, G_TIME, order_index(0, A_MAX), 10), fdl_timestamp(500), "time max");
    /* wrong value types are refused */
    assert_int_equal(fdl_group_push(store, e, G_STRING, 7, fdl_int64(1)), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_group_push(store, e, G_FLOAT, 7, fdl_float64(INFINITY)), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_group_push(store, e, G_INT, 7, fdl_float64(1.0)), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_group_push(store, e, NGROUPS, 7, fdl_int64(1)), FDL_ERR_ARGUMENT);
    fdl_value out;
    assert_int_equal(fdl_group_read(store, e, G_STRING, COUNT_OF(string_aggs), 7, &out), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_group_read(store, e, -1, 0, 7, &out), FDL_ERR_ARGUMENT);
    /* ints go into float groups as floats */
    push(store, e, G_FLOAT, 1, fdl_int64(3));
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(0, A_SUM), 10), fdl_float64(3.0), "int into float");
    fdl_store_close(store);
}

static void test_signed_zeros(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        fdl_store *store = open_store(false);
        fdl_entity_state *e = user(store, 1);
        push(store, e, G_FLOAT, 1, fdl_float64(order ? -0.0 : 0.0));
        push(store, e, G_FLOAT, 2, fdl_float64(order ? 0.0 : -0.0));
        for (int slot = 0; slot < NSLOTS; slot++) {
            assert_identical(read_ok(store, e, G_FLOAT, agg_index(slot, A_MIN), 10), fdl_float64(-0.0), "min");
            assert_identical(read_ok(store, e, G_FLOAT, agg_index(slot, A_MAX), 10), fdl_float64(0.0), "max");
            assert_identical(read_ok(store, e, G_FLOAT, agg_index(slot, A_SUM), 10), fdl_float64(0.0), "sum");
        }
        fdl_store_close(store);
    }
}

static void test_exact_float_sums(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    for (int i = 0; i < 10; i++)
        push(store, e, G_FLOAT, 100 + i, fdl_float64(0.1));
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_SHORT, A_SUM), 110), fdl_float64(1.0), "0.1 x 10");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_SHORT, A_MEAN), 110), fdl_float64(0.1), "mean");
    fdl_entity_state *f = user(store, 2);
    push(store, f, G_FLOAT, 1, fdl_float64(1e16));
    push(store, f, G_FLOAT, 2, fdl_float64(1.0));
    push(store, f, G_FLOAT, 3, fdl_float64(-1e16));
    assert_identical(read_ok(store, f, G_FLOAT, agg_index(SLOT_SHORT, A_SUM), 4), fdl_float64(1.0), "cancel");
    /* the big value leaves the window: exactly 1 - 1e16 + ... gone */
    assert_identical(read_ok(store, f, G_FLOAT, agg_index(SLOT_SHORT, A_SUM), 102), fdl_float64(-1e16 + 1.0), "slid");
    assert_identical(read_ok(store, f, G_FLOAT, agg_index(SLOT_SHORT, A_SUM), 103), fdl_float64(-1e16), "slid 2");
    assert_identical(read_ok(store, f, G_FLOAT, agg_index(SLOT_LIFETIME, A_SUM), 103), fdl_float64(1.0), "lifetime");
    fdl_store_close(store);
}

static void test_int_sums(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    push(store, e, G_INT, 1, fdl_int64(INT64_MAX));
    push(store, e, G_INT, 2, fdl_int64(INT64_MAX));
    push(store, e, G_INT, 3, fdl_int64(-INT64_MAX));
    int sum = agg_index(SLOT_SHORT, A_SUM), mean = agg_index(SLOT_SHORT, A_MEAN);
    assert_identical(read_ok(store, e, G_INT, sum, 3), fdl_null(), "overflow");
    assert_identical(read_ok(store, e, G_INT, mean, 3), fdl_float64(0x1p63), "mean of huge");
    assert_identical(read_ok(store, e, G_INT, sum, 4), fdl_int64(INT64_MAX), "back in range");
    assert_identical(read_ok(store, e, G_INT, mean, 4), fdl_float64((double)INT64_MAX / 3.0), "mean");
    assert_identical(read_ok(store, e, G_INT, sum, 102), fdl_int64(0), "slid");
    assert_identical(read_ok(store, e, G_INT, sum, 103), fdl_int64(-INT64_MAX), "slid 2");
    /* int128 to double rounds correctly: 2^63 + 2^63 - 1 ... */
    fdl_entity_state *f = user(store, 2);
    push(store, f, G_INT, 1, fdl_int64((INT64_C(1) << 53) + 1));
    push(store, f, G_INT, 1, fdl_int64(0));
    assert_identical(read_ok(store, f, G_INT, mean, 2), fdl_float64(0x1p52), "mean rounding");
    fdl_store_close(store);
}

static void test_history_and_backward_reads(void **state)
{
    (void)state;
    /* keep_history: any order of reads works */
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 1);
    for (int i = 0; i < 100; i++)
        push(store, e, G_FLOAT, i * 10, fdl_float64(i));
    int count = agg_index(SLOT_SHORT, A_COUNT), min = agg_index(SLOT_SHORT, A_MIN);
    assert_identical(read_ok(store, e, G_FLOAT, count, 995), fdl_int64(10), "late read");
    assert_identical(read_ok(store, e, G_FLOAT, count, 55), fdl_int64(6), "early read");
    assert_identical(read_ok(store, e, G_FLOAT, min, 995), fdl_float64(90.0), "min late");
    assert_identical(read_ok(store, e, G_FLOAT, min, 500), fdl_float64(40.0), "min backwards");
    assert_identical(read_ok(store, e, G_FLOAT, min, 505), fdl_float64(41.0), "min forward again");
    fdl_store_close(store);

    /* without: a read reaching before evicted history fails */
    store = open_store(false);
    e = user(store, 1);
    for (int i = 0; i < 100; i++)
        push(store, e, G_FLOAT, i * 10, fdl_float64(i));
    assert_identical(read_ok(store, e, G_FLOAT, count, 995), fdl_int64(10), "read");
    fdl_value out;
    /* horizon = 995 - W_LONG = -5: everything still held */
    assert_identical(read_ok(store, e, G_FLOAT, count, 155), fdl_int64(10), "early read still fine");
    assert_int_equal(fdl_group_read(store, e, G_FLOAT, count, 94, &out), FDL_ERR_HISTORY);   /* starts at -6 */
    assert_identical(read_ok(store, e, G_FLOAT, count, 2000), fdl_int64(0), "far read");
    /* horizon = 1000 now */
    assert_int_equal(fdl_group_read(store, e, G_FLOAT, count, 1099, &out), FDL_ERR_HISTORY);
    assert_int_equal(out.type, FDL_NULL);
    assert_int_equal(fdl_group_read(store, e, G_FLOAT, agg_index(SLOT_LONG, A_COUNT), 1999, &out), FDL_ERR_HISTORY);
    assert_int_equal(fdl_group_read(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_COUNT), 999, &out), FDL_ERR_HISTORY);
    assert_identical(read_ok(store, e, G_FLOAT, count, 1100), fdl_int64(0), "at the horizon");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_COUNT), 1000), fdl_int64(100), "lifetime at horizon");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_SUM), 1000), fdl_float64(4950.0), "lifetime sum");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_MIN), 1000), fdl_float64(0.0), "lifetime min");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_MAX), 1000), fdl_float64(99.0), "lifetime max");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_FIRST), 1000), fdl_float64(0.0), "lifetime first");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_LAST), 1000), fdl_float64(99.0), "lifetime last");
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_evicted, 100);
    assert_int_equal(stats.events_held, 0);

    /* a late event: older than the horizon, seen by lifetime aggregations only */
    push(store, e, G_FLOAT, 5, fdl_float64(-7.0));
    push(store, e, G_FLOAT, 990, fdl_float64(1000.0));
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_late, 2);
    assert_int_equal(stats.events_held, 0);
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_COUNT), 3000), fdl_int64(102), "late count");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_SUM), 3000), fdl_float64(5943.0), "late sum");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_MIN), 3000), fdl_float64(-7.0), "late min");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_MAX), 3000), fdl_float64(1000.0), "late max");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_FIRST), 3000), fdl_float64(0.0), "first at 0");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LIFETIME, A_LAST), 3000), fdl_float64(1000.0), "the later of two at 990");
    assert_identical(read_ok(store, e, G_FLOAT, agg_index(SLOT_LONG, A_COUNT), 3000), fdl_int64(0), "finite unaffected");
    fdl_store_close(store);
}

static void test_eviction_bounds_memory(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    int sum = agg_index(SLOT_LONG, A_SUM);
    uint64_t most_held = 0;
    double window_sum = 0;
    for (int i = 0; i < 200000; i++) {
        fdl_time t = (fdl_time)i * 10;
        push(store, e, G_FLOAT, t, fdl_float64(i % 7));
        push(store, e, G_LIFE, t, fdl_float64(i % 7));
        window_sum += i % 7;
        if (i >= 100)
            window_sum -= (i - 100) % 7;
        assert_identical(read_ok(store, e, G_FLOAT, sum, t + 1), fdl_float64(window_sum), "sliding sum");
        read_ok(store, e, G_LIFE, 0, t + 1);
        fdl_store_stats stats;
        fdl_store_get_stats(store, &stats);
        if (stats.events_held > most_held)
            most_held = stats.events_held;
    }
    /* 101 float events in [t - 1000, t], 1 lifetime-only event */
    assert_true(most_held <= 103);
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_evicted + stats.events_held, 400000);
    assert_identical(read_ok(store, e, G_LIFE, agg_index(0, A_COUNT), 2000000), fdl_int64(200000), "lifetime count");
    assert_identical(read_ok(store, e, G_LIFE, agg_index(0, A_SUM), 2000000), fdl_float64(599994.0), "lifetime sum");
    assert_identical(read_ok(store, e, G_LIFE, agg_index(0, A_LAST), 2000000), fdl_float64(199999 % 7), "lifetime last");
    fdl_store_close(store);
}

/* ------------------------------------------------ randomized differential */

typedef struct test_event {
    fdl_time time;
    int seq;                            /* push order */
    fdl_value value;                    /* null: not pushed */
    char text[8];
} test_event;

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int total_order(fdl_value a, fdl_value b)
{
    switch (a.type) {
    case FDL_INT64: return (a.as.i > b.as.i) - (a.as.i < b.as.i);
    case FDL_FLOAT64:
        if (a.as.f != b.as.f)
            return a.as.f < b.as.f ? -1 : 1;
        return (signbit(b.as.f) != 0) - (signbit(a.as.f) != 0);
    case FDL_STRING: {
        int c = strncmp(a.as.s.ptr, b.as.s.ptr, 8);  /* test strings have no NUL inside */
        return c < 0 ? -1 : c > 0;
    }
    default: return 0;
    }
}

/* Brute force over every event pushed so far (in push order). */
static fdl_value brute_force(const test_event *events, int n, fdl_type type, fdl_agg function,
                             int64_t window, fdl_time t)
{
    __extension__ __int128 int_sum = 0;
    double float_sum = 0;               /* exact: multiples of 1/1024, small */
    int64_t count = 0;
    const test_event *first = NULL, *last = NULL, *min = NULL, *max = NULL;
    for (int i = 0; i < n; i++) {
        const test_event *e = &events[i];
        if (e->value.type == FDL_NULL || e->time >= t || (window && e->time < t - window))
            continue;
        count++;
        if (type == FDL_INT64)
            int_sum += e->value.as.i;
        if (type == FDL_FLOAT64)
            float_sum += e->value.as.f;
        if (!first || e->time < first->time)            /* pushes come in seq order */
            first = e;
        if (!last || e->time >= last->time)
            last = e;
        if (!min || total_order(e->value, min->value) < 0)
            min = e;
        if (!max || total_order(e->value, max->value) > 0)
            max = e;
    }
    switch (function) {
    case FDL_AGG_COUNT: return fdl_int64(count);
    case FDL_AGG_SUM:
        if (type == FDL_FLOAT64)
            return fdl_float64(float_sum + 0.0);        /* exact zero is +0.0 */
        return int_sum < INT64_MIN || int_sum > INT64_MAX ? fdl_null() : fdl_int64((int64_t)int_sum);
    case FDL_AGG_MEAN:
        if (!count)
            return fdl_null();
        return fdl_float64((type == FDL_FLOAT64 ? float_sum : (double)int_sum) / (double)count);
    case FDL_AGG_MIN: return min ? min->value : fdl_null();
    case FDL_AGG_MAX: return max ? max->value : fdl_null();
    case FDL_AGG_FIRST: return first ? first->value : fdl_null();
    case FDL_AGG_LAST: return last ? last->value : fdl_null();
    default: break;     /* the newer aggregations: test_aggregations.c */
    }
    return fdl_null();
}

static fdl_value random_value(fdl_type type, test_event *e)
{
    if (rng() % 10 == 0)
        return fdl_null();
    switch (type) {
    case FDL_FLOAT64: {
        double f = (double)((int64_t)(rng() % 4001) - 2000) / 1024.0;
        return fdl_float64(rng() % 50 == 0 ? -0.0 : f);
    }
    case FDL_INT64:
        /* mostly small, sometimes huge so that sums overflow */
        return fdl_int64(rng() % 20 == 0 ? (int64_t)(rng() | (UINT64_C(1) << 62)) * (rng() & 1 ? 1 : -1)
                                         : (int64_t)(rng() % 1000) - 500);
    case FDL_STRING: {
        int len = (int)(rng() % 4);
        for (int i = 0; i < len; i++)
            e->text[i] = (char)('a' + rng() % 3);
        e->text[len] = '\0';
        return fdl_string(e->text, (size_t)len);
    }
    default:
        return fdl_null();
    }
}

/*
 * One scenario: events with times in a small range (many ties), pushed in a
 * random order interleaved with reads. Monotone reads without history, or
 * reads anywhere with it. Every aggregation is checked at every read.
 */
static void differential_run(int group, bool keep_history, int nevents, int time_range)
{
    const fdl_group_desc *desc = &groups[group];
    fdl_store *store = open_store(keep_history);
    fdl_entity_state *e = user(store, 42);
    test_event *events = calloc((size_t)nevents, sizeof *events);
    /* times: a random walk so that pushes are mostly but not always in order */
    fdl_time clock = 0;
    fdl_time last_read = -10 * W_LONG;
    for (int i = 0; i < nevents; i++) {
        test_event *ev = &events[i];
        clock += (fdl_time)(rng() % 4);
        int64_t jitter = rng() % 4 == 0 ? (int64_t)(rng() % (uint64_t)time_range) : 0;
        ev->time = clock - jitter;
        ev->seq = i;
        ev->value = random_value(desc->value_type, ev);
        assert_int_equal(fdl_group_push(store, e, group, ev->time, ev->value), FDL_OK);
        if (rng() % 3)
            continue;
        fdl_time t;
        /* near the clock; without history never before the previous read */
        t = clock - (fdl_time)(rng() % (uint64_t)(2 * time_range)) + time_range / 2;
        if (!keep_history && t < last_read)
            t = last_read;
        last_read = t;
        for (int a = 0; a < desc->naggs; a++) {
            const fdl_agg_desc *agg = &desc->aggs[a];
            fdl_value got;
            fdl_status status = fdl_group_read(store, e, group, a, t, &got);
            if (status != FDL_OK)
                fail_msg("%s agg %d at %lld: status %d", desc->description, a, (long long)t, status);
            fdl_value want = brute_force(events, i + 1, desc->value_type, agg->function, agg->window, t);
            char what[96];
            snprintf(what, sizeof what, "%s agg %d (fn %d, w %lld) at %lld after %d events",
                     desc->description, a, agg->function, (long long)agg->window, (long long)t, i + 1);
            assert_identical(got, want, what);
        }
    }
    fdl_store_close(store);
    free(events);
}

static void test_differential(void **state)
{
    (void)state;
    const int kinds[] = {G_FLOAT, G_INT, G_STRING, G_LIFE};
    for (int round = 0; round < 40; round++) {
        int group = kinds[round % 4];
        bool keep = (round / 4) % 2;
        int range = round % 3 == 0 ? 30 : round % 3 == 1 ? 300 : 3000;
        differential_run(group, keep, 1500, range);
    }
}

/* The same events pushed in order and shuffled: bit-identical results at
 * every read time, including float sums with cancellation. */
static void test_out_of_order_identical(void **state)
{
    (void)state;
    enum { N = 3000 };
    static test_event events[N];
    static int order[N];
    for (int round = 0; round < 6; round++) {
        int group = round % 2 ? G_FLOAT : G_INT;
        for (int i = 0; i < N; i++) {
            events[i].time = (fdl_time)i / 3;          /* ties */
            if (group == G_FLOAT) {
                double m = (double)(rng() >> 11) / 0x1p53;
                int exp = (int)(rng() % 80) - 40;
                events[i].value = fdl_float64(ldexp(rng() & 1 ? m : -m, exp));
            } else {
                events[i].value = fdl_int64((int64_t)(rng() % (UINT64_C(1) << 62)) - (INT64_C(1) << 61));
            }
            order[i] = i;
        }
        /* shuffle, but keep equal-time events in their relative order:
         * sort a random permutation's positions back per time */
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
        fdl_store *in_order = open_store(true), *shuffled = open_store(true);
        fdl_entity_state *a = user(in_order, 1), *b = user(shuffled, 1);
        for (int i = 0; i < N; i++) {
            push(in_order, a, group, events[i].time, events[i].value);
            push(shuffled, b, group, events[order[i]].time, events[order[i]].value);
        }
        for (fdl_time t = 0; t <= N / 3 + 1; t += 7) {
            for (int agg = 0; agg < groups[group].naggs; agg++) {
                fdl_value x = read_ok(in_order, a, group, agg, t);
                fdl_value y = read_ok(shuffled, b, group, agg, t);
                char what[64];
                snprintf(what, sizeof what, "group %d agg %d at %lld", group, agg, (long long)t);
                assert_identical(y, x, what);
            }
        }
        fdl_store_stats stats;
        fdl_store_get_stats(shuffled, &stats);
        assert_true(stats.events_out_of_order > N / 2);
        fdl_store_close(in_order);
        fdl_store_close(shuffled);
    }
}

/* Reads between pushes: a read's result must not depend on earlier reads. */
static void test_reads_do_not_change_results(void **state)
{
    (void)state;
    fdl_store *quiet = open_store(true), *busy = open_store(true);
    fdl_entity_state *a = user(quiet, 1), *b = user(busy, 1);
    for (int i = 0; i < 2000; i++) {
        fdl_time t = (fdl_time)(rng() % 5000);
        double v = ldexp((double)(rng() >> 11), -(int)(rng() % 100));
        push(quiet, a, G_FLOAT, t, fdl_float64(v));
        push(busy, b, G_FLOAT, t, fdl_float64(v));
        for (int agg = 0; agg < COUNT_OF(float_aggs); agg++)
            read_ok(busy, b, G_FLOAT, agg, (fdl_time)(rng() % 6000));
    }
    for (fdl_time t = 0; t < 6000; t += 13)
        for (int agg = 0; agg < COUNT_OF(float_aggs); agg++)
            assert_identical(read_ok(busy, b, G_FLOAT, agg, t), read_ok(quiet, a, G_FLOAT, agg, t), "reads");
    fdl_store_close(quiet);
    fdl_store_close(busy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_boundaries),
        cmocka_unit_test(test_empty_windows),
        cmocka_unit_test(test_equal_times_keep_arrival_order),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_signed_zeros),
        cmocka_unit_test(test_exact_float_sums),
        cmocka_unit_test(test_int_sums),
        cmocka_unit_test(test_history_and_backward_reads),
        cmocka_unit_test(test_eviction_bounds_memory),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_out_of_order_identical),
        cmocka_unit_test(test_reads_do_not_change_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
