/*
 * test_aggregations_k.c - max_k and min_k through fdl_group_push and
 * fdl_group_read on a hand-written program: worked examples (order,
 * repeats, fewer values than k), -0.0 and +0.0 in a fixed order, int64
 * beyond 2^53, window edges, plan checks, and a randomized differential
 * test against brute force (sort and cut) over exact windows, lifetime and
 * hopped windows (tiles keep their best k), with shuffled arrival and with
 * eviction, bit for bit; and hopped tiles through a snapshot.
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

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum { W = 100, H = 10, W_HOP = 40 };

/* max_k and min_k with k 1, 3 and 7, windowed, then lifetime; a
 * percentile shares the sorted array. */
#define K_AGGS(w)                                                                  \
    {FDL_AGG_MAX_K, w, FDL_VECTOR, 1, 0, 0, NULL}, {FDL_AGG_MAX_K, w, FDL_VECTOR, 3, 0, 0, NULL}, \
    {FDL_AGG_MAX_K, w, FDL_VECTOR, 7, 0, 0, NULL}, {FDL_AGG_MIN_K, w, FDL_VECTOR, 1, 0, 0, NULL}, \
    {FDL_AGG_MIN_K, w, FDL_VECTOR, 3, 0, 0, NULL}, {FDL_AGG_MIN_K, w, FDL_VECTOR, 7, 0, 0, NULL}
enum { PER_WINDOW = 6 };
static const int64_t ks[PER_WINDOW] = {1, 3, 7, 1, 3, 7};
static const fdl_agg_desc aggs[] = {K_AGGS(W), K_AGGS(0),
                                    {FDL_AGG_PERCENTILE, W, FDL_FLOAT64, 0, 0.5, 0, NULL}};

static const fdl_agg_desc hop_aggs[] = {K_AGGS(W_HOP)};

enum { G_FLOAT, G_INT, G_HOP_FLOAT, G_HOP_INT, NGROUPS };
static const fdl_group_desc groups[] = {
    {"float", 0, 0, FDL_FLOAT64, COUNT_OF(aggs), aggs, FDL_NULL, 0},
    {"int", 0, 0, FDL_INT64, COUNT_OF(aggs), aggs, FDL_NULL, 0},
    {"hop float", 0, 0, FDL_FLOAT64, COUNT_OF(hop_aggs), hop_aggs, FDL_NULL, H},
    {"hop int", 0, 0, FDL_INT64, COUNT_OF(hop_aggs), hop_aggs, FDL_NULL, H},
};
static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "k_test", .fingerprint = "0",
    .nentities = 1, .entities = user_entities, .ngroups = NGROUPS, .groups = groups,
};

static fdl_store *open_store(bool keep_history)
{
    return open_program_store(&program, keep_history);
}

/* A vector result equal to want[0..n) bit for bit; n == 0: null. */
static void assert_vector(fdl_value got, const double *want, int n, const char *what)
{
    if (n == 0) {
        if (got.type != FDL_NULL)
            fail_msg("%s: %s, want null", what, fdl_type_name(got.type));
        return;
    }
    if (got.type != FDL_VECTOR || got.dim != n)
        fail_msg("%s: %s of %d, want a vector of %d", what, fdl_type_name(got.type),
                 got.type == FDL_VECTOR ? got.dim : 0, n);
    for (int i = 0; i < n; i++)
        if (memcmp(&got.as.v[i], &want[i], sizeof(double)) != 0)
            fail_msg("%s: [%d] %a, want %a", what, i, got.as.v[i], want[i]);
}

static void test_worked_examples(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 1);
    const double xs[] = {4, -2, 9, 4, 0.5, 9, -7};
    for (int i = 0; i < COUNT_OF(xs); i++) {
        push(store, e, G_FLOAT, 10 + i, fdl_float64(xs[i]));
        push(store, e, G_INT, 10 + i, fdl_int64((int64_t)floor(xs[i])));
    }
    const double max3[] = {9, 9, 4}, min3[] = {-7, -2, 0.5}, min3_int[] = {-7, -2, 0};
    const double max7[] = {9, 9, 4, 4, 0.5, -2, -7};
    assert_vector(read_ok(store, e, G_FLOAT, 1, 100), max3, 3, "max_k 3");
    assert_vector(read_ok(store, e, G_FLOAT, 4, 100), min3, 3, "min_k 3");
    assert_vector(read_ok(store, e, G_INT, 4, 100), min3_int, 3, "min_k 3 int");
    assert_vector(read_ok(store, e, G_FLOAT, 2, 100), max7, 7, "max_k 7 of 7");
    assert_vector(read_ok(store, e, G_FLOAT, 0, 100), max3, 1, "max_k 1");
    /* fewer values than k: shorter; none: null */
    assert_vector(read_ok(store, e, G_FLOAT, 2, 12), (const double[]){4, -2}, 2, "2 of 7");
    assert_vector(read_ok(store, e, G_FLOAT, 5, 10), NULL, 0, "empty");
    /* [t - W, t): the event at 10 is in at 10 + W, out one later */
    assert_vector(read_ok(store, e, G_FLOAT, 3, 10 + W), (const double[]){-7}, 1, "at the edge");
    assert_vector(read_ok(store, e, G_FLOAT, 2, 11 + W), (const double[]){9, 9, 4, 0.5, -2, -7}, 6,
                  "after the edge");
    /* lifetime keeps them */
    assert_vector(read_ok(store, e, G_FLOAT, PER_WINDOW + 2, 1000), max7, 7, "lifetime");
    fdl_store_close(store);
}

static void test_zeros_and_big_ints(void **state)
{
    (void)state;
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 1), *f = user(store, 2);
    /* -0.0 before +0.0 whatever the arrival order */
    push(store, e, G_FLOAT, 5, fdl_float64(0.0));
    push(store, e, G_FLOAT, 5, fdl_float64(-0.0));
    push(store, f, G_FLOAT, 5, fdl_float64(-0.0));
    push(store, f, G_FLOAT, 5, fdl_float64(0.0));
    const double up[] = {-0.0, 0.0}, down[] = {0.0, -0.0};
    fdl_entity_state *both[] = {e, f};
    for (int i = 0; i < 2; i++) {
        assert_vector(read_ok(store, both[i], G_FLOAT, 4, 6), up, 2, "min_k zeros");
        assert_vector(read_ok(store, both[i], G_FLOAT, 1, 6), down, 2, "max_k zeros");
    }
    /* int64 beyond 2^53: rounded to float64 as first_k's are */
    push(store, e, G_INT, 5, fdl_int64(INT64_MAX));
    push(store, e, G_INT, 5, fdl_int64((INT64_C(1) << 53) + 1));
    push(store, e, G_INT, 5, fdl_int64(INT64_MIN));
    const double big[] = {0x1p63, 0x1p53, -0x1p63};
    assert_vector(read_ok(store, e, G_INT, 1, 6), big, 3, "big ints");
    fdl_store_close(store);
}

static void test_plan_checks(void **state)
{
    (void)state;
    struct { fdl_agg function; fdl_type value, result; int64_t k, hop; bool ok; } cases[] = {
        {FDL_AGG_MAX_K, FDL_FLOAT64, FDL_VECTOR, 2, 0, true},
        {FDL_AGG_MIN_K, FDL_INT64, FDL_VECTOR, 100000, 0, true},
        {FDL_AGG_MIN_K, FDL_INT64, FDL_VECTOR, 0, 0, false},
        {FDL_AGG_MAX_K, FDL_INT64, FDL_VECTOR, INT64_C(1) << 31, 0, false},
        {FDL_AGG_MAX_K, FDL_STRING, FDL_VECTOR, 2, 0, false},
        {FDL_AGG_MAX_K, FDL_TIMESTAMP, FDL_VECTOR, 2, 0, false},
        {FDL_AGG_MAX_K, FDL_FLOAT64, FDL_FLOAT64, 2, 0, false},
        {FDL_AGG_MIN_K, FDL_FLOAT64, FDL_VECTOR, 2, 5, true},      /* hop 5 divides 10 */
        {FDL_AGG_MAX_K, FDL_FLOAT64, FDL_VECTOR, 2, 3, false},     /* 3 does not */
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        fdl_agg_desc agg = {cases[i].function, 10, cases[i].result, cases[i].k, 0, 0, NULL};
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

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
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

enum { MAX_EVENTS = 90 };

static double number_of(int group, int64_t x)
{
    /* floats: x / 4, and x == 1 as -0.0 (0 stays +0.0) */
    if (group == G_INT || group == G_HOP_INT)
        return (double)x;
    return x == 1 ? -0.0 : (double)x / 4.0;
}

static fdl_time floor_to_hop(fdl_time t)
{
    fdl_time q = t / H;
    if (t % H != 0 && t < 0)
        q--;
    return q * H;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (x != y)
        return x < y ? -1 : 1;
    return (signbit(y) != 0) - (signbit(x) != 0);
}

static void check_read(fdl_store *store, fdl_entity_state *e, const test_event *events, int n,
                       fdl_time t, const char *mode)
{
    double values[MAX_EVENTS], want[8];
    char what[96];
    for (int g = 0; g < NGROUPS; g++)
        for (int agg = 0; agg < (g >= G_HOP_FLOAT ? 1 : 2) * PER_WINDOW; agg++) {
            bool lifetime = agg >= PER_WINDOW, largest = agg % PER_WINDOW < 3;
            int64_t k = ks[agg % PER_WINDOW];
            /* hopped: the whole tiles of the window before t's own */
            fdl_time end = g >= G_HOP_FLOAT ? floor_to_hop(t) : t;
            fdl_time start = g >= G_HOP_FLOAT ? end - W_HOP : t - W;
            int m = 0;
            for (int i = 0; i < n; i++)
                if (events[i].time < end && (lifetime || events[i].time >= start))
                    values[m++] = number_of(g, events[i].x);
            qsort(values, (size_t)m, sizeof *values, compare_doubles);
            int dim = m < k ? m : (int)k;
            for (int i = 0; i < dim; i++)
                want[i] = largest ? values[m - 1 - i] : values[i];
            snprintf(what, sizeof what, "%s group %d agg %d at %lld", mode, g, agg, (long long)t);
            assert_vector(read_ok(store, e, g, agg, t), want, dim, what);
        }
}

static void push_event(fdl_store *store, fdl_entity_state *e, const test_event *ev)
{
    for (int g = 0; g < NGROUPS; g++)
        push(store, e, g, ev->time, groups[g].value_type == FDL_INT64 ? fdl_int64(ev->x)
                                                                      : fdl_float64(number_of(g, ev->x)));
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
    for (int round = 0; round < 80; round++) {
        int n = 1 + (int)(rng() % MAX_EVENTS);
        int range = 10 + (int)(rng() % 300);
        for (int i = 0; i < n; i++) {
            events[i].time = (fdl_time)(rng() % (uint64_t)range);
            events[i].x = (int64_t)(rng() % 12) - 4;    /* repeats, 0 and "-0.0" */
        }
        fdl_store *store = open_store(true);
        fdl_entity_state *e = user(store, round);
        for (int i = n - 1; i > 0; i--) {       /* a shuffled arrival order */
            int j = (int)(rng() % (uint64_t)(i + 1));
            test_event tmp = events[i];
            events[i] = events[j];
            events[j] = tmp;
        }
        for (int i = 0; i < n; i++)
            push_event(store, e, &events[i]);
        for (int r = 0; r < 10; r++)
            check_read(store, e, events, n, (fdl_time)(rng() % (uint64_t)(range + 120)), "history");
        fdl_store_close(store);

        /* evicting: in time order, a read before each push */
        qsort(events, (size_t)n, sizeof *events, by_time);
        store = open_store(false);
        e = user(store, round);
        for (int i = 0; i < n; i++) {
            check_read(store, e, events, i, events[i].time, "evicting");
            push_event(store, e, &events[i]);
        }
        check_read(store, e, events, n, events[n - 1].time + 1, "evicting, last");
        fdl_store_close(store);
    }
}

/* Hopped tiles (and the exact groups) through fdl_store_save/restore. */
static void test_snapshot(void **state)
{
    (void)state;
    char path[] = "/tmp/fdl_k_snapshot_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fdl_store *store = open_store(true);
    fdl_entity_state *e = user(store, 3);
    test_event events[60];
    for (int i = 0; i < 60; i++) {
        events[i].time = (fdl_time)(rng() % 120);
        events[i].x = (int64_t)(rng() % 30) - 10;
        push_event(store, e, &events[i]);
    }
    fdl_error err;
    if (fdl_store_save(store, path, 1, &err) != FDL_OK)
        fail_msg("save: %s", err.message);
    fdl_store_close(store);
    store = open_store(true);
    uint64_t tag = 0;
    if (fdl_store_restore(store, path, &tag, &err) != FDL_OK)
        fail_msg("restore: %s", err.message);
    e = fdl_store_entity(store, 0, fdl_int64(3), false);
    assert_non_null(e);
    for (fdl_time t = 0; t < 200; t += 9)
        check_read(store, e, events, 60, t, "restored");
    fdl_store_close(store);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_examples),
        cmocka_unit_test(test_zeros_and_big_ints),
        cmocka_unit_test(test_plan_checks),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
