/*
 * test_xsum.c - exact float summation: known fsum results, the hard cases
 * of rounding, overflow-free huge values, and random multisets checked
 * against an independent exact method (big fixed-point integers) under
 * random orders of adds and removes.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xsum.h"

/* ------------------------------------------- independent exact reference */

/*
 * A two's complement fixed-point integer in units of 2^-1074 (the smallest
 * subnormal), wide enough for any finite double times 2^40.
 */
#define BIG_LIMBS 72
__extension__ typedef unsigned __int128 uint128;
typedef struct big { uint32_t limb[BIG_LIMBS]; } big;

static void big_add_double(big *b, double x, int sign)
{
    if (x == 0.0)
        return;
    if (x < 0) {
        x = -x;
        sign = -sign;
    }
    int e;
    double f = frexp(x, &e);
    uint64_t m = (uint64_t)ldexp(f, 53);
    int shift = e - 53 + 1074;
    while (shift < 0) {
        m >>= 1;                        /* only zero bits go: x is a multiple of 2^-1074 */
        shift++;
    }
    /* magnitude m << shift, as limbs */
    uint32_t add[BIG_LIMBS] = {0};
    int limb = shift / 32, bit = shift % 32;
    uint128 wide = (uint128)m << bit;
    for (int i = 0; i < 3 && limb + i < BIG_LIMBS; i++)
        add[limb + i] = (uint32_t)(wide >> (32 * i));
    if (sign > 0) {
        uint64_t carry = 0;
        for (int i = 0; i < BIG_LIMBS; i++) {
            uint64_t s = (uint64_t)b->limb[i] + add[i] + carry;
            b->limb[i] = (uint32_t)s;
            carry = s >> 32;
        }
    } else {
        int64_t borrow = 0;
        for (int i = 0; i < BIG_LIMBS; i++) {
            int64_t s = (int64_t)b->limb[i] - add[i] - borrow;
            borrow = s < 0;
            b->limb[i] = (uint32_t)(s + (borrow ? (INT64_C(1) << 32) : 0));
        }
    }
}

static int big_bit(const big *b, int i)
{
    return (b->limb[i / 32] >> (i % 32)) & 1;
}

/* Correctly rounded (half-even) value; +-inf past the double range. */
static double big_round(const big *in)
{
    big b = *in;
    bool negative = b.limb[BIG_LIMBS - 1] >> 31;
    if (negative) {                     /* negate */
        uint64_t carry = 1;
        for (int i = 0; i < BIG_LIMBS; i++) {
            uint64_t s = (uint64_t)(uint32_t)~b.limb[i] + carry;
            b.limb[i] = (uint32_t)s;
            carry = s >> 32;
        }
    }
    int top = BIG_LIMBS * 32 - 1;
    while (top >= 0 && !big_bit(&b, top))
        top--;
    if (top < 0)
        return 0.0;
    int ulp = top - 52 > 0 ? top - 52 : 0;
    uint64_t mantissa = 0;
    for (int i = top; i >= ulp; i--)
        mantissa = (mantissa << 1) | (uint64_t)big_bit(&b, i);
    if (ulp > 0) {
        int half = big_bit(&b, ulp - 1);
        bool sticky = false;
        for (int i = ulp - 2; i >= 0 && !sticky; i--)
            sticky = big_bit(&b, i);
        if (half && (sticky || (mantissa & 1)))
            mantissa++;
    }
    double r = ldexp((double)mantissa, ulp - 1074);
    return negative ? -r : r;
}

/* ------------------------------------------------------------- helpers */

static double sum_of(const double *xs, int n)
{
    fdl_xsum s;
    fdl_xsum_init(&s);
    for (int i = 0; i < n; i++)
        assert_true(fdl_xsum_add(&s, xs[i]));
    double r = NAN;
    assert_true(fdl_xsum_result(&s, &r));
    fdl_xsum_free(&s);
    return r;
}

static void assert_same_double(double a, double b)
{
    if (memcmp(&a, &b, sizeof a) != 0)
        fail_msg("%a != %a", a, b);
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Finite doubles over the whole range, with clusters that cancel. */
static double random_double(int style)
{
    double m = (double)(rng() >> 11) / 0x1p53 + 0.5;
    int e;
    switch (style) {
    case 0: e = (int)(rng() % 120) - 60; break;             /* ordinary */
    case 1: e = (int)(rng() % 2000) - 1075; break;          /* anything, subnormal too */
    case 2: e = 1023 - (int)(rng() % 3); break;             /* near overflow */
    default: e = -1074 + (int)(rng() % 60); break;          /* subnormal */
    }
    double x = ldexp(m, e);
    if (!isfinite(x))
        x = DBL_MAX;
    return rng() & 1 ? -x : x;
}

/* --------------------------------------------------------------- tests */

static void test_known_results(void **state)
{
    (void)state;
    assert_same_double(sum_of((double[]){1e100, 1.0, -1e100, 1e-100}, 4), 1.0);
    double tenths[10];
    for (int i = 0; i < 10; i++)
        tenths[i] = 0.1;
    assert_same_double(sum_of(tenths, 10), 1.0);
    assert_same_double(sum_of((double[]){1e16, 1.0, -1e16}, 3), 1.0);
    /* fsum's half-way correction across partials */
    assert_same_double(sum_of((double[]){1e-16, 1.0, 1e16}, 3), 0x1.1c37937e08001p+53);
    assert_same_double(sum_of((double[]){0x1p53, -0.5, -0x1p-54}, 3), 0x1.fffffffffffffp+52);
    assert_same_double(sum_of((double[]){0x1p53 + 10.0, 1.0, 0x1p-100}, 3), 0x1.0000000000006p+53);
    assert_same_double(sum_of((double[]){0x1p53, 1.0, 0x1p-100}, 3), 0x1p53 + 2.0);
    assert_same_double(sum_of((double[]){0x1p53 - 4.0, 0.5, 0x1p-54}, 3), 0x1p53 - 3.0);
    double harmonic[1000];
    for (int n = 1; n <= 1000; n++)
        harmonic[n - 1] = 1.0 / n;
    assert_same_double(sum_of(harmonic, 1000), 0x1.df11f45f4e61ap+2);
    assert_same_double(sum_of(NULL, 0), 0.0);
    /* an exact zero is +0.0, whatever the signs */
    assert_same_double(sum_of((double[]){-0.0}, 1), 0.0);
    assert_same_double(sum_of((double[]){-1.5, 1.5}, 2), 0.0);
    assert_same_double(sum_of((double[]){0x1p-1074, 0x1p-1074}, 2), 0x1p-1073);
}

static void test_huge_values(void **state)
{
    (void)state;
    /* fsum raises on these intermediate overflows; the split keeps them exact */
    assert_same_double(sum_of((double[]){DBL_MAX, DBL_MAX, -DBL_MAX}, 3), DBL_MAX);
    assert_same_double(sum_of((double[]){0x1p600, 1.0, -0x1p600}, 3), 1.0);
    assert_same_double(sum_of((double[]){1.5 * 0x1p1000, 0x1p-1074, -1.5 * 0x1p1000}, 3), 0x1p-1074);
    assert_same_double(sum_of((double[]){0x1.8p1023, -0x1p1023, 0x1p-1074}, 3), 0x1p1022);
    assert_same_double(sum_of((double[]){0x1.0000000000001p600, -0x1p600, 3.0}, 3), 0x1p548 + 3.0);

    fdl_xsum s;
    fdl_xsum_init(&s);
    double r = 0;
    assert_true(fdl_xsum_add(&s, DBL_MAX));
    assert_true(fdl_xsum_add(&s, DBL_MAX));
    assert_false(fdl_xsum_result(&s, &r));          /* not a finite double */
    assert_true(fdl_xsum_sub(&s, DBL_MAX));
    assert_true(fdl_xsum_result(&s, &r));
    assert_same_double(r, DBL_MAX);
    assert_true(fdl_xsum_sub(&s, DBL_MAX));
    assert_true(fdl_xsum_is_zero(&s));
    fdl_xsum_free(&s);
}

static void test_add_and_remove(void **state)
{
    (void)state;
    fdl_xsum s;
    fdl_xsum_init(&s);
    double r;
    /* many adds then removes of noise around a kept value */
    assert_true(fdl_xsum_add(&s, 0.1));
    for (int i = 0; i < 1000; i++) {
        assert_true(fdl_xsum_add(&s, 1e300 / (i + 1)));
        assert_true(fdl_xsum_add(&s, 1e-300 * (i + 1)));
    }
    for (int i = 999; i >= 0; i--) {
        assert_true(fdl_xsum_sub(&s, 1e-300 * (i + 1)));
        assert_true(fdl_xsum_sub(&s, 1e300 / (i + 1)));
    }
    assert_true(fdl_xsum_result(&s, &r));
    assert_same_double(r, 0.1);
    assert_true(fdl_xsum_sub(&s, 0.1));
    assert_true(fdl_xsum_is_zero(&s));
    fdl_xsum_free(&s);
}

/* Random multisets: result equals the big-integer reference whatever the
 * order, including when extra values are added and later removed. */
static void test_random_against_reference(void **state)
{
    (void)state;
    enum { N = 40 };
    for (int round = 0; round < 3000; round++) {
        int style = round % 4;
        int n = 1 + (int)(rng() % N);
        double xs[N], extra[N];
        big reference = {{0}};
        for (int i = 0; i < n; i++) {
            xs[i] = random_double(rng() % 3 == 0 ? (int)(rng() % 4) : style);
            /* sometimes exact cancellation partners */
            if (i > 0 && rng() % 5 == 0)
                xs[i] = -xs[rng() % (unsigned)i];
            big_add_double(&reference, xs[i], 1);
        }
        double expected = big_round(&reference);

        fdl_xsum s;
        fdl_xsum_init(&s);
        int m = (int)(rng() % N);
        for (int i = 0; i < m; i++)
            extra[i] = random_double((int)(rng() % 4));
        /* interleave: extras in, values in (shuffled), extras out */
        for (int i = n - 1; i > 0; i--) {
            int j = (int)(rng() % (unsigned)(i + 1));
            double t = xs[i];
            xs[i] = xs[j];
            xs[j] = t;
        }
        for (int i = 0; i < m; i++)
            assert_true(fdl_xsum_add(&s, extra[i]));
        for (int i = 0; i < n; i++)
            assert_true(fdl_xsum_add(&s, xs[i]));
        for (int i = m - 1; i > 0; i--) {
            int j = (int)(rng() % (unsigned)(i + 1));
            double t = extra[i];
            extra[i] = extra[j];
            extra[j] = t;
        }
        for (int i = 0; i < m; i++)
            assert_true(fdl_xsum_sub(&s, extra[i]));
        double got = 0;
        bool finite = fdl_xsum_result(&s, &got);
        if (isfinite(expected) && fabs(expected) < 0x1p1023) {
            assert_true(finite);
            assert_same_double(got, expected);
        } else if (finite) {
            /* near or past the top of the range the sum may be refused, */
            /* but when answered it must be right */
            assert_same_double(got, expected);
        }
        fdl_xsum_free(&s);
    }
}

/* The reference itself must round like the hardware on easy cases. */
static void test_reference_sanity(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        double a = random_double(0), b = random_double(0);
        big r = {{0}};
        big_add_double(&r, a, 1);
        big_add_double(&r, b, 1);
        assert_same_double(big_round(&r), a + b);
    }
    big r = {{0}};
    big_add_double(&r, 0x1p-1074, 1);
    big_add_double(&r, 3.0, -1);
    assert_same_double(big_round(&r), 0x1p-1074 - 3.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_sanity),
        cmocka_unit_test(test_known_results),
        cmocka_unit_test(test_huge_values),
        cmocka_unit_test(test_add_and_remove),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
