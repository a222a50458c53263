/*
 * test_aggregations_shape.c - skewness and kurtosis through fdl_group_push
 * and fdl_group_read on a hand-written program: pandas' worked values, the
 * null rules (fewer than 3 / 4 values, zero variance, |x| >= 2^200) and
 * window edges, exactness (a shift by 2^60 or 1e15 changes no bit), plan
 * checks, snapshots, and a randomized differential test against brute
 * force over exact windows, lifetime (with eviction) and hopped windows,
 * in shuffled arrival orders.
 *
 * The brute force is exact integer arithmetic: test values are integers
 * below 2^20 (floats: those divided by 1024), so the central sums
 * A2 = n S2 - S1^2, A3 = n^2 m3 and A4 = n^3 m4 are exact __int128s; the
 * runtime rounds those same sums once and applies the same float formula
 * (docs/language.md), so the results must agree to the bit (scaling every
 * value by 2^-10 changes no bit of a scale-free result).
 */
#define _POSIX_C_SOURCE 200809L         /* mkstemp */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fdlrt.h"
#include "store_helper.h"

__extension__ typedef __int128 int128;

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum { W = 100, H = 10, W_HOP = 30 };

#define SHAPE_AGGS(w)                                                              \
    {FDL_AGG_SKEWNESS, w, FDL_FLOAT64, 0, 0, 0, NULL},                             \
    {FDL_AGG_KURTOSIS, w, FDL_FLOAT64, 0, 0, 0, NULL}
/* Per group: window W, then lifetime, then a variance sharing the moments. */
enum { A_SKEW, A_KURT, A_SKEW_LIFE, A_KURT_LIFE, A_VARIANCE, NAGGS };
static const fdl_agg_desc exact_aggs[] = {SHAPE_AGGS(W), SHAPE_AGGS(0),
                                          {FDL_AGG_VARIANCE, W, FDL_FLOAT64, 0, 0, 0, NULL}};
static const fdl_agg_desc hop_aggs[] = {SHAPE_AGGS(W_HOP)};

enum { G_FLOAT, G_INT, G_HOP_FLOAT, G_HOP_INT, NGROUPS };
static const fdl_group_desc groups[] = {
    {"float", 0, 0, FDL_FLOAT64, COUNT_OF(exact_aggs), exact_aggs, FDL_NULL, 0},
    {"int", 0, 0, FDL_INT64, COUNT_OF(exact_aggs), exact_aggs, FDL_NULL, 0},
    {"hop float", 0, 0, FDL_FLOAT64, COUNT_OF(hop_aggs), hop_aggs, FDL_NULL, H},
    {"hop int", 0, 0, FDL_INT64, COUNT_OF(hop_aggs), hop_aggs, FDL_NULL, H},
};
static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "shape_test", .fingerprint = "0",
    .nentities = 1, .entities = user_entities, .ngroups = NGROUPS, .groups = groups,
};

static fdl_store *open_store(bool keep_history)
{
    return open_program_store(&program, keep_history);
}

static void assert_same(fdl_value got, fdl_value want, const char *what)
{
    if (got.type != want.type)
        fail_msg("%s: type %s, want %s", what, fdl_type_name(got.type), fdl_type_name(want.type));
    if (got.type == FDL_FLOAT64 && memcmp(&got.as.f, &want.as.f, sizeof got.as.f) != 0)
        fail_msg("%s: %a (%.17g), want %a (%.17g)", what, got.as.f, got.as.f, want.as.f, want.as.f);
}

static void assert_near(fdl_value got, double want, double tolerance, const char *what)
{
    if (got.type != FDL_FLOAT64)
        fail_msg("%s: type %s, want float64", what, fdl_type_name(got.type));
    if (!(fabs(got.as.f - want) <= tolerance))
        fail_msg("%s: %.17g, want %.17g within %g", what, got.as.f, want, tolerance);
}

/* ------------------------------------------------------- the brute force */

/* The runtime's formulas (window_result.c) on exact central sums of ints. */
static fdl_value brute_force(const int64_t *xs, int n, bool kurtosis)
{
    if (n < (kurtosis ? 4 : 3))
        return fdl_null();
    int128 s1 = 0, s2 = 0, s3 = 0, s4 = 0, nn = n;
    for (int i = 0; i < n; i++) {
        int128 x = xs[i];
        s1 += x;
        s2 += x * x;
        s3 += x * x * x;
        s4 += x * x * x * x;
    }
    int128 a2 = nn * s2 - s1 * s1;
    if (a2 == 0)
        return fdl_null();
    double r2 = (double)a2, nd = (double)n;
    if (!kurtosis) {
        int128 a3 = nn * nn * s3 - 3 * nn * s1 * s2 + 2 * s1 * s1 * s1;
        double rk = (double)a3;
        return fdl_float64(sqrt(nd * (nd - 1.0)) / (nd - 2.0) * (rk / (r2 * sqrt(r2))));
    }
    int128 a4 = nn * nn * nn * s4 - 4 * nn * nn * s1 * s3 + 6 * nn * s1 * s1 * s2 - 3 * s1 * s1 * s1 * s1;
    double rk = (double)a4, d = (nd - 2.0) * (nd - 3.0);
    return fdl_float64((nd + 1.0) * (nd - 1.0) / d * (rk / (r2 * r2)) - 3.0 * (nd - 1.0) * (nd - 1.0) / d);
}

/* ------------------------------------------------------------ the tests */

static void push_all(fdl_store *store, fdl_entity_state *e, int group, const double *xs, int n, fdl_time t0)
{
    for (int i = 0; i < n; i++)
        push(store, e, group, t0 + i, groups[group].value_type == FDL_INT64 ? fdl_int64((int64_t)xs[i])
                                                                            : fdl_float64(xs[i]));
}

/* pandas 1.5: Series([1, 2, 3, 10]).skew(), .kurt(); Series([1, 2, 4]).skew(). */
static void test_pandas_values(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 1);
    const double four[] = {1, 2, 3, 10}, three[] = {1, 2, 4};
    for (int g = G_FLOAT; g <= G_INT; g++) {
        push_all(store, e, g, four, 4, 1000);
        push_all(store, e, g, three, 3, 2000);
        assert_near(read_ok(store, e, g, A_SKEW, 1004), 1.763632614803888, 1e-14, "skew 1 2 3 10");
        assert_near(read_ok(store, e, g, A_KURT, 1004), 3.2280000000000015, 1e-13, "kurt 1 2 3 10");
        assert_near(read_ok(store, e, g, A_SKEW, 2003), 0.9352195295828237, 1e-14, "skew 1 2 4");
        /* symmetric: exactly zero */
        assert_same(read_ok(store, e, g, A_SKEW_LIFE, 1003), fdl_float64(0.0), "skew 1 2 3");
    }
    fdl_store_close(store);
}

static void test_nulls_and_edges(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 1);
    const double xs[] = {5, -1, 7, 7};
    for (int g = G_FLOAT; g <= G_INT; g++) {
        assert_same(read_ok(store, e, g, A_SKEW, 0), fdl_null(), "empty");
        push_all(store, e, g, xs, 4, 1000);     /* times 1000 .. 1003 */
        assert_same(read_ok(store, e, g, A_SKEW, 1002), fdl_null(), "skew of 2");
        assert_same(read_ok(store, e, g, A_KURT, 1003), fdl_null(), "kurtosis of 3");
        assert_true(read_ok(store, e, g, A_SKEW, 1003).type == FDL_FLOAT64);
        assert_true(read_ok(store, e, g, A_KURT, 1004).type == FDL_FLOAT64);
        /* The window [t - W, t): at t = 1000 + W the event at 1000 is in,
         * one microsecond later it is out (3 values left: kurtosis null). */
        assert_true(read_ok(store, e, g, A_KURT, 1000 + W).type == FDL_FLOAT64);
        assert_same(read_ok(store, e, g, A_KURT, 1001 + W), fdl_null(), "kurtosis after the edge");
        assert_same(read_ok(store, e, g, A_KURT_LIFE, 1001 + W),
                    read_ok(store, e, g, A_KURT, 1000 + W), "lifetime keeps them");
        /* Zero variance: null, not pandas' 0. */
        const double same[] = {3, 3, 3, 3, 3};
        push_all(store, e, g, same, 5, 5000);
        assert_same(read_ok(store, e, g, A_SKEW, 5005), fdl_null(), "equal values skew");
        assert_same(read_ok(store, e, g, A_KURT, 5005), fdl_null(), "equal values kurtosis");
        assert_same(read_ok(store, e, g, A_VARIANCE, 5005), fdl_float64(0.0), "equal values variance");
    }
    /* |x| >= 2^200: null (variance, whose limit is 2^511, still answers). */
    const double huge[] = {1, 2, 0x1p200, 5}, below[] = {1, 2, 0x1.fffffffffffffp199, 5};
    push_all(store, e, G_FLOAT, huge, 4, 10000);
    push_all(store, e, G_FLOAT, below, 4, 20000);
    assert_same(read_ok(store, e, G_FLOAT, A_SKEW, 10004), fdl_null(), "2^200");
    assert_same(read_ok(store, e, G_FLOAT, A_KURT, 10004), fdl_null(), "2^200 kurtosis");
    assert_true(read_ok(store, e, G_FLOAT, A_VARIANCE, 10004).type == FDL_FLOAT64);
    /* One value far above three others: skewness and kurtosis tend to
     * their largest for n = 4 (2 and 4). */
    assert_near(read_ok(store, e, G_FLOAT, A_SKEW, 20004), 2.0, 1e-14, "one outlier of 4: skew 2");
    assert_near(read_ok(store, e, G_FLOAT, A_KURT, 20004), 4.0, 1e-13, "one outlier of 4: kurt 4");
    /* The huge value leaves the window: results come back. */
    const double after[] = {4, 9, 1};
    push_all(store, e, G_FLOAT, after, 3, 10003 + W / 2);
    assert_true(read_ok(store, e, G_FLOAT, A_SKEW, 10003 + W).type == FDL_FLOAT64);
    assert_same(read_ok(store, e, G_FLOAT, A_SKEW_LIFE, 10003 + W), fdl_null(), "lifetime keeps 2^200");
    fdl_store_close(store);
}

/* The exact sums make the results shift-invariant to the bit: n values
 * around 2^60 (int64, split doubles) or 1e15 (float) give what the same
 * values around 0 give, however much the power sums cancel. */
static void test_shift_invariance(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *a = user(store, 1), *b = user(store, 2);
    const int64_t small[] = {3, -8, 1, 0, 40, 2, 2, -5, 11};
    for (int i = 0; i < COUNT_OF(small); i++) {
        push(store, a, G_INT, 100 + i, fdl_int64(small[i]));
        push(store, b, G_INT, 100 + i, fdl_int64((INT64_C(1) << 60) + small[i]));
        push(store, a, G_FLOAT, 100 + i, fdl_float64((double)small[i]));
        push(store, b, G_FLOAT, 100 + i, fdl_float64(1e15 + (double)small[i]));
    }
    for (int g = G_FLOAT; g <= G_INT; g++)
        for (int agg = A_SKEW; agg <= A_KURT_LIFE; agg++) {
            fdl_value want = brute_force(small, COUNT_OF(small), agg == A_KURT || agg == A_KURT_LIFE);
            assert_same(read_ok(store, a, g, agg, 200), want, "around 0");
            assert_same(read_ok(store, b, g, agg, 200), want, "shifted");
        }
    fdl_store_close(store);
}

static void test_plan_checks(void **state)
{
    (void)state;
    struct { fdl_agg function; fdl_type value, result; int64_t hop, window; bool ok; } cases[] = {
        {FDL_AGG_SKEWNESS, FDL_FLOAT64, FDL_FLOAT64, 0, 0, true},
        {FDL_AGG_KURTOSIS, FDL_INT64, FDL_FLOAT64, 0, 10, true},
        {FDL_AGG_KURTOSIS, FDL_INT64, FDL_FLOAT64, 5, 10, true},
        {FDL_AGG_SKEWNESS, FDL_INT64, FDL_FLOAT64, 3, 10, false},   /* hop must divide */
        {FDL_AGG_SKEWNESS, FDL_INT64, FDL_INT64, 0, 0, false},
        {FDL_AGG_SKEWNESS, FDL_STRING, FDL_FLOAT64, 0, 0, false},
        {FDL_AGG_KURTOSIS, FDL_BOOL, FDL_FLOAT64, 0, 0, false},
        {FDL_AGG_KURTOSIS, FDL_TIMESTAMP, FDL_FLOAT64, 0, 0, false},
        {FDL_AGG_KURTOSIS, FDL_NULL, FDL_FLOAT64, 0, 0, false},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        fdl_agg_desc agg = {cases[i].function, cases[i].window, cases[i].result, 0, 0, 0, NULL};
        fdl_group_desc group = {"g", 0, 0, cases[i].value, 1, &agg, FDL_NULL, cases[i].hop};
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

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct test_event {
    fdl_time time;
    int64_t x;
} test_event;

enum { MAX_EVENTS = 120 };

static int64_t random_x(int spread)
{
    switch (rng() % 4) {
    case 0: return (int64_t)(rng() % 5);                        /* repeats: zero variance */
    case 1: return (int64_t)(rng() % (2u << spread)) - (1 << spread);
    case 2: return (int64_t)(rng() % 3) * ((INT64_C(1) << 19) - 1);   /* far apart */
    default: return (int64_t)(rng() % 1000);
    }
}

static fdl_value value_of(int group, int64_t x)
{
    return groups[group].value_type == FDL_INT64 ? fdl_int64(x) : fdl_float64((double)x / 1024.0);
}

/* Brute force over the events with start <= time < end (start: lifetime if
 * FDL_TIME_MIN). */
static fdl_value expected(const test_event *events, int n, fdl_time start, fdl_time end, bool kurtosis)
{
    int64_t xs[MAX_EVENTS];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (events[i].time >= start && events[i].time < end)
            xs[m++] = events[i].x;
    return brute_force(xs, m, kurtosis);
}

static fdl_time floor_to_hop(fdl_time t)
{
    fdl_time q = t / H;
    if (t % H != 0 && t < 0)
        q--;
    return q * H;
}

static void check_read(fdl_store *store, fdl_entity_state *e, const test_event *events, int n,
                       fdl_time t, const char *mode)
{
    char what[96];
    for (int g = G_FLOAT; g <= G_INT; g++)
        for (int agg = A_SKEW; agg <= A_KURT_LIFE; agg++) {
            bool kurtosis = agg == A_KURT || agg == A_KURT_LIFE;
            fdl_time start = agg <= A_KURT ? t - W : FDL_TIME_MIN;
            snprintf(what, sizeof what, "%s group %d agg %d at %lld", mode, g, agg, (long long)t);
            assert_same(read_ok(store, e, g, agg, t), expected(events, n, start, t, kurtosis), what);
        }
    for (int g = G_HOP_FLOAT; g <= G_HOP_INT; g++)
        for (int agg = 0; agg < 2; agg++) {
            fdl_time end = floor_to_hop(t);
            snprintf(what, sizeof what, "%s hop group %d agg %d at %lld", mode, g, agg, (long long)t);
            assert_same(read_ok(store, e, g, agg, t), expected(events, n, end - W_HOP, end, agg == 1), what);
        }
}

static void shuffle(test_event *events, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rng() % (uint64_t)(i + 1));
        test_event tmp = events[i];
        events[i] = events[j];
        events[j] = tmp;
    }
}

static int by_time(const void *a, const void *b)
{
    const test_event *x = a, *y = b;
    return (x->time > y->time) - (x->time < y->time);
}

static void test_differential(void **state)
{
    (void)state;
    test_event events[MAX_EVENTS];
    for (int round = 0; round < 60; round++) {
        int n = 1 + (int)(rng() % MAX_EVENTS);
        int range = 20 + (int)(rng() % 400);
        for (int i = 0; i < n; i++) {
            events[i].time = (fdl_time)(rng() % (uint64_t)range) - 50;
            events[i].x = random_x(1 + (int)(rng() % 18));
        }
        /* Every event kept, pushed in a random order, read at random times. */
        fdl_store *store = open_store(true);
        fdl_entity_state *e = user(store, round);
        shuffle(events, n);
        for (int i = 0; i < n; i++)
            for (int g = 0; g < NGROUPS; g++)
                push(store, e, g, events[i].time, value_of(g, events[i].x));
        for (int r = 0; r < 12; r++)
            check_read(store, e, events, n, (fdl_time)(rng() % (uint64_t)(range + 150)) - 60, "history");
        fdl_store_close(store);

        /* Evicting: pushed in time order, read before each push (the
         * lifetime answers from the events folded away). */
        qsort(events, (size_t)n, sizeof *events, by_time);
        store = open_store(false);
        e = user(store, round);
        for (int i = 0; i < n; i++) {
            check_read(store, e, events, i, events[i].time, "evicting");
            for (int g = 0; g < NGROUPS; g++)
                push(store, e, g, events[i].time, value_of(g, events[i].x));
        }
        check_read(store, e, events, n, events[n - 1].time + 1, "evicting, last");
        fdl_store_close(store);
    }
}

/* A snapshot keeps the higher moments: the restored store reads the same. */
static void test_snapshot(void **state)
{
    (void)state;
    char path[] = "/tmp/fdl_shape_snapshot_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 7);
    test_event events[40];
    for (int i = 0; i < 40; i++) {
        events[i].time = (fdl_time)(rng() % 90);
        events[i].x = random_x(12);
        for (int g = 0; g < NGROUPS; g++)
            push(store, e, g, events[i].time, value_of(g, events[i].x));
    }
    fdl_error err;
    if (fdl_store_save(store, path, 1, &err) != FDL_OK)
        fail_msg("save: %s", err.message);
    fdl_store_close(store);
    store = open_store(true);
    uint64_t tag = 0;
    if (fdl_store_restore(store, path, &tag, &err) != FDL_OK)
        fail_msg("restore: %s", err.message);
    e = fdl_store_entity(store, 0, fdl_int64(7), false);
    assert_non_null(e);
    for (fdl_time t = 0; t < 200; t += 7)
        check_read(store, e, events, 40, t, "restored");
    fdl_store_close(store);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pandas_values),
        cmocka_unit_test(test_nulls_and_edges),
        cmocka_unit_test(test_shift_invariance),
        cmocka_unit_test(test_plan_checks),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
