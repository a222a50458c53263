/*
 * test_sketch.c - HyperLogLog and DDSketch against exact answers: the
 * stated error bounds, order independence, merge and removal.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "sketch.h"

static uint64_t random_state = 42;

static uint64_t next_random(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

static double next_uniform(void)
{
    return (double)(next_random() >> 11) * 0x1p-53;
}

static uint64_t hash_of(uint64_t i)
{
    return fdl_hash_bytes(&i, sizeof i);
}

/* ----------------------------------------------------------- HyperLogLog */

static void hll_is_within_its_error(void **state)
{
    (void)state;
    static const int64_t sizes[] = {0, 1, 2, 10, 100, 1000, 5000, 10000, 100000, 1000000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        fdl_hll *h = malloc(sizeof *h);
        assert_non_null(h);
        fdl_hll_clear(h);
        for (int64_t i = 0; i < sizes[s]; i++) {
            fdl_hll_add_hash(h, hash_of((uint64_t)i));
            fdl_hll_add_hash(h, hash_of((uint64_t)i));   /* duplicates change nothing */
        }
        int64_t estimate = fdl_hll_estimate(h);
        double n = (double)sizes[s];
        /* 4 standard errors of 1.6%; small counts are near exact (linear counting). */
        double allowed = n < 1000 ? fmax(1.0, 0.02 * n) : 4 * 1.04 / sqrt(FDL_HLL_REGISTERS) * n;
        if (fabs((double)estimate - n) > allowed) {
            print_error("n %g: estimate %lld, allowed error %g\n", n, (long long)estimate, allowed);
            fail();
        }
        free(h);
    }
}

static void hll_ignores_order_and_merges_as_a_union(void **state)
{
    (void)state;
    enum { N = 20000 };
    fdl_hll *forward = calloc(1, sizeof *forward), *backward = calloc(1, sizeof *backward);
    fdl_hll *left = calloc(1, sizeof *left), *right = calloc(1, sizeof *right);
    assert_true(forward && backward && left && right);
    for (int i = 0; i < N; i++)
        fdl_hll_add_hash(forward, hash_of((uint64_t)i));
    for (int i = N - 1; i >= 0; i--) {
        fdl_hll_add_hash(backward, hash_of((uint64_t)i));
        fdl_hll_add_hash(i % 3 ? left : right, hash_of((uint64_t)i));
    }
    assert_memory_equal(forward->registers, backward->registers, sizeof forward->registers);
    fdl_hll_merge(left, right);
    assert_memory_equal(forward->registers, left->registers, sizeof forward->registers);
    assert_int_equal(fdl_hll_estimate(forward), fdl_hll_estimate(left));
    free(forward);
    free(backward);
    free(left);
    free(right);
}

/* -------------------------------------------------------------- DDSketch */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Every quantile on a grid within the relative accuracy of the exact one. */
static void check_quantiles(const fdl_ddsketch *s, double *values, size_t n)
{
    double *sorted = malloc(n * sizeof *sorted);
    assert_non_null(sorted);
    memcpy(sorted, values, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    for (int step = 0; step <= 100; step++) {
        double q = step / 100.0, got;
        assert_true(fdl_ddsketch_quantile(s, q, &got));
        double exact = sorted[(size_t)floor(q * (double)(n - 1))];
        /* The bound, with room for the rounding of log and exp. */
        double allowed = FDL_DDSKETCH_ACCURACY * fabs(exact) * (1 + 1e-9);
        if (fabs(got - exact) > allowed && !(exact == 0 && fabs(got) < 1e-299)) {
            print_error("q %g: got %.17g, exact %.17g\n", q, got, exact);
            fail();
        }
    }
    free(sorted);
}

static void ddsketch_is_within_its_accuracy(void **state)
{
    (void)state;
    enum { N = 50000 };
    double *values = malloc(N * sizeof *values);
    assert_non_null(values);
    for (int shape = 0; shape < 4; shape++) {
        fdl_ddsketch s;
        fdl_ddsketch_init(&s);
        for (int i = 0; i < N; i++) {
            double u = next_uniform();
            switch (shape) {
            case 0: values[i] = exp(10 * u - 5); break;                /* log-uniform, positive */
            case 1: values[i] = (u - 0.5) * 2e6; break;                /* both signs */
            case 2: values[i] = i % 10 == 0 ? 0.0 : -exp(20 * u); break;  /* zeros, negatives */
            default: values[i] = (double)(next_random() % 7); break;   /* few distinct values */
            }
            assert_true(fdl_ddsketch_update(&s, values[i], 1));
        }
        assert_int_equal(s.count, N);
        check_quantiles(&s, values, N);
        fdl_ddsketch_free(&s);
    }
    free(values);
}

static void ddsketch_ignores_order_and_removes_exactly(void **state)
{
    (void)state;
    enum { N = 20000 };
    double *values = malloc(N * sizeof *values);
    assert_non_null(values);
    for (int i = 0; i < N; i++)
        values[i] = (next_uniform() - 0.3) * exp(8 * next_uniform());
    fdl_ddsketch forward, shuffled, merged, part, windowed;
    fdl_ddsketch_init(&forward);
    fdl_ddsketch_init(&shuffled);
    fdl_ddsketch_init(&merged);
    fdl_ddsketch_init(&part);
    fdl_ddsketch_init(&windowed);
    for (int i = 0; i < N; i++)
        assert_true(fdl_ddsketch_update(&forward, values[i], 1));
    for (int i = 0; i < N; i++)
        assert_true(fdl_ddsketch_update(&shuffled, values[(size_t)(i * 7919) % N], 1));
    for (int i = 0; i < N; i++)
        assert_true(fdl_ddsketch_update(i % 2 ? &merged : &part, values[i], 1));
    assert_true(fdl_ddsketch_merge(&merged, &part));
    /* A sliding window: everything in, then the first half out again. */
    for (int i = 0; i < N; i++)
        assert_true(fdl_ddsketch_update(&windowed, values[i], 1));
    for (int i = 0; i < N / 2; i++)
        assert_true(fdl_ddsketch_update(&windowed, values[i], -1));
    fdl_ddsketch half;
    fdl_ddsketch_init(&half);
    for (int i = N / 2; i < N; i++)
        assert_true(fdl_ddsketch_update(&half, values[i], 1));
    for (int step = 0; step <= 200; step++) {
        double q = step / 200.0, a, b, c, d, e;
        assert_true(fdl_ddsketch_quantile(&forward, q, &a));
        assert_true(fdl_ddsketch_quantile(&shuffled, q, &b));
        assert_true(fdl_ddsketch_quantile(&merged, q, &c));
        assert_memory_equal(&a, &b, sizeof a);
        assert_memory_equal(&a, &c, sizeof a);
        assert_true(fdl_ddsketch_quantile(&windowed, q, &d));
        assert_true(fdl_ddsketch_quantile(&half, q, &e));
        assert_memory_equal(&d, &e, sizeof d);
    }
    check_quantiles(&windowed, values + N / 2, N / 2);
    double ignored;
    fdl_ddsketch empty;
    fdl_ddsketch_init(&empty);
    assert_false(fdl_ddsketch_quantile(&empty, 0.5, &ignored));
    assert_false(fdl_ddsketch_quantile(&forward, 1.5, &ignored));
    fdl_ddsketch_free(&forward);
    fdl_ddsketch_free(&shuffled);
    fdl_ddsketch_free(&merged);
    fdl_ddsketch_free(&part);
    fdl_ddsketch_free(&windowed);
    fdl_ddsketch_free(&half);
    free(values);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hll_is_within_its_error),
        cmocka_unit_test(hll_ignores_order_and_merges_as_a_union),
        cmocka_unit_test(ddsketch_is_within_its_accuracy),
        cmocka_unit_test(ddsketch_ignores_order_and_removes_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
