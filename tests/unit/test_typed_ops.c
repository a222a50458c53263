/*
 * test_typed_ops.c - the typed helpers of generated code (fdl_nint64,
 * fdl_nfloat64, fdl_nbool in fdlrt.h) against the tagged operators
 * (fdl_op_*), over every pair of a grid of edge values: the two must give
 * the same value, bit for bit, null for null, or typed and tagged generated
 * code would disagree.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fdlrt.h"

static const int64_t ints[] = {
    0, 1, -1, 2, -2, 3, 7, -7, 100, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
    (INT64_C(1) << 53), (INT64_C(1) << 53) + 1, -(INT64_C(1) << 53) - 1, (INT64_C(1) << 62),
    INT64_C(3037000499), INT64_C(3037000500), -INT64_C(3037000500),
};

static const double floats[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 2.5, -2.5, 100.0, 1e308, -1e308, 1e-308, 5e-324, 0x1p63, -0x1p63,
    0x1p63 - 1024.0, 0x1p53, 0x1p53 + 2.0, 9007199254740993.0, 3.0000000000000004, 1e15 + 0.5,
};

#define NI (sizeof ints / sizeof ints[0])
#define NF (sizeof floats / sizeof floats[0])

/* Tagged and typed results equal: same null-ness, same bits. */
static void same(fdl_value tagged, fdl_value typed, const char *what, double x, double y)
{
    if (tagged.type != typed.type)
        fail_msg("%s(%.17g, %.17g): tagged type %d, typed %d", what, x, y, tagged.type, typed.type);
    if (tagged.type == FDL_INT64 && tagged.as.i != typed.as.i)
        fail_msg("%s(%.17g, %.17g): %lld against %lld", what, x, y, (long long)tagged.as.i,
                 (long long)typed.as.i);
    if (tagged.type == FDL_FLOAT64 && memcmp(&tagged.as.f, &typed.as.f, sizeof(double)) != 0)
        fail_msg("%s(%.17g, %.17g): %.17g against %.17g", what, x, y, tagged.as.f, typed.as.f);
    if (tagged.type == FDL_BOOL && tagged.as.b != typed.as.b)
        fail_msg("%s(%.17g, %.17g): %d against %d", what, x, y, tagged.as.b, typed.as.b);
}

static const int arith_ops[] = {'+', '-', '*', '/', '%'};

static fdl_nint64 int_op(int op, fdl_nint64 a, fdl_nint64 b)
{
    switch (op) {
    case '+': return fdl_nint64_add(a, b);
    case '-': return fdl_nint64_sub(a, b);
    case '*': return fdl_nint64_mul(a, b);
    case '/': return fdl_nint64_div(a, b);
    default: return fdl_nint64_mod(a, b);
    }
}

static fdl_nfloat64 float_op(int op, fdl_nfloat64 a, fdl_nfloat64 b)
{
    switch (op) {
    case '+': return fdl_nfloat64_add(a, b);
    case '-': return fdl_nfloat64_sub(a, b);
    case '*': return fdl_nfloat64_mul(a, b);
    case '/': return fdl_nfloat64_div(a, b);
    default: return fdl_nfloat64_mod(a, b);
    }
}

static void int_arithmetic(void **state)
{
    (void)state;
    for (size_t o = 0; o < 5; o++)
        for (size_t i = 0; i < NI; i++)
            for (size_t j = 0; j < NI; j++) {
                int op = arith_ops[o];
                fdl_value tagged = fdl_op_arith(op, fdl_int64(ints[i]), fdl_int64(ints[j]));
                fdl_value typed = fdl_nint64_value(int_op(op, fdl_nint64_of(ints[i]), fdl_nint64_of(ints[j])));
                same(tagged, typed, "int arith", (double)ints[i], (double)ints[j]);
                /* null either side */
                same(fdl_null(), fdl_nint64_value(int_op(op, fdl_nint64_null(), fdl_nint64_of(ints[j]))),
                     "int null", 0, (double)ints[j]);
                same(fdl_null(), fdl_nint64_value(int_op(op, fdl_nint64_of(ints[i]), fdl_nint64_null())),
                     "int null", (double)ints[i], 0);
            }
    for (size_t i = 0; i < NI; i++)
        same(fdl_op_negate(fdl_int64(ints[i])), fdl_nint64_value(fdl_nint64_neg(fdl_nint64_of(ints[i]))),
             "int neg", (double)ints[i], 0);
}

/* float op float, int op float and float op int (an int widens). */
static void float_arithmetic(void **state)
{
    (void)state;
    for (size_t o = 0; o < 5; o++) {
        int op = arith_ops[o];
        for (size_t i = 0; i < NF; i++) {
            for (size_t j = 0; j < NF; j++) {
                fdl_value tagged = fdl_op_arith(op, fdl_float64(floats[i]), fdl_float64(floats[j]));
                fdl_value typed = fdl_nfloat64_value(
                    float_op(op, fdl_nfloat64_of(floats[i]), fdl_nfloat64_of(floats[j])));
                same(tagged, typed, "float arith", floats[i], floats[j]);
            }
            for (size_t j = 0; j < NI; j++) {
                fdl_value tagged = fdl_op_arith(op, fdl_int64(ints[j]), fdl_float64(floats[i]));
                fdl_value typed = fdl_nfloat64_value(float_op(
                    op, fdl_nint64_to_float64(fdl_nint64_of(ints[j])), fdl_nfloat64_of(floats[i])));
                same(tagged, typed, "int-float arith", (double)ints[j], floats[i]);
                tagged = fdl_op_arith(op, fdl_float64(floats[i]), fdl_int64(ints[j]));
                typed = fdl_nfloat64_value(
                    float_op(op, fdl_nfloat64_of(floats[i]), fdl_nfloat64_from(fdl_int64(ints[j]))));
                same(tagged, typed, "float-int arith", floats[i], (double)ints[j]);
            }
        }
    }
    for (size_t i = 0; i < NF; i++)
        same(fdl_op_negate(fdl_float64(floats[i])),
             fdl_nfloat64_value(fdl_nfloat64_neg(fdl_nfloat64_of(floats[i]))), "float neg", floats[i], 0);
}

static void comparisons(void **state)
{
    (void)state;
    for (int op = FDL_CMP_EQ; op <= FDL_CMP_GE; op++) {
        for (size_t i = 0; i < NI; i++)
            for (size_t j = 0; j < NI; j++)
                same(fdl_op_compare(op, fdl_int64(ints[i]), fdl_int64(ints[j])),
                     fdl_nbool_value(fdl_nint64_compare(op, fdl_nint64_of(ints[i]), fdl_nint64_of(ints[j]))),
                     "int compare", (double)ints[i], (double)ints[j]);
        for (size_t i = 0; i < NF; i++) {
            for (size_t j = 0; j < NF; j++)
                same(fdl_op_compare(op, fdl_float64(floats[i]), fdl_float64(floats[j])),
                     fdl_nbool_value(fdl_nfloat64_compare(op, fdl_nfloat64_of(floats[i]),
                                                          fdl_nfloat64_of(floats[j]))),
                     "float compare", floats[i], floats[j]);
            for (size_t j = 0; j < NI; j++) {
                same(fdl_op_compare(op, fdl_int64(ints[j]), fdl_float64(floats[i])),
                     fdl_nbool_value(fdl_nint64_float64_compare(op, fdl_nint64_of(ints[j]),
                                                                fdl_nfloat64_of(floats[i]))),
                     "int-float compare", (double)ints[j], floats[i]);
                same(fdl_op_compare(op, fdl_float64(floats[i]), fdl_int64(ints[j])),
                     fdl_nbool_value(fdl_nfloat64_int64_compare(op, fdl_nfloat64_of(floats[i]),
                                                                fdl_nint64_of(ints[j]))),
                     "float-int compare", floats[i], (double)ints[j]);
            }
        }
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
                same(fdl_op_compare(op, fdl_bool(a), fdl_bool(b)),
                     fdl_nbool_value(fdl_nbool_compare(op, fdl_nbool_of(a), fdl_nbool_of(b))),
                     "bool compare", a, b);
        same(fdl_op_compare(op, fdl_null(), fdl_int64(1)),
             fdl_nbool_value(fdl_nint64_compare(op, fdl_nint64_null(), fdl_nint64_of(1))), "null compare", 0, 1);
    }
}

/* and/or/not over true, false, null; and that `decides` is exactly when the
 * right side cannot change the result. */
static void logic(void **state)
{
    (void)state;
    const fdl_value tagged[] = {fdl_bool(false), fdl_bool(true), fdl_null()};
    const fdl_nbool typed[] = {fdl_nbool_of(false), fdl_nbool_of(true), fdl_nbool_null()};
    for (int i = 0; i < 3; i++) {
        same(fdl_op_not(tagged[i]), fdl_nbool_value(fdl_nbool_not(typed[i])), "not", i, 0);
        for (int j = 0; j < 3; j++) {
            same(fdl_op_and(tagged[i], tagged[j]), fdl_nbool_value(fdl_nbool_and(typed[i], typed[j])), "and", i, j);
            same(fdl_op_or(tagged[i], tagged[j]), fdl_nbool_value(fdl_nbool_or(typed[i], typed[j])), "or", i, j);
            if (fdl_nbool_decides(typed[i], false))
                same(fdl_op_and(tagged[i], tagged[j]), tagged[i], "and decided", i, j);
            if (fdl_nbool_decides(typed[i], true))
                same(fdl_op_or(tagged[i], tagged[j]), tagged[i], "or decided", i, j);
        }
        same(fdl_bool(fdl_is_true(tagged[i])), fdl_bool(fdl_nbool_is_true(typed[i])), "is_true", i, 0);
    }
}

/* Conversions at the boundary: a tagged value of another type is null. */
static void conversions(void **state)
{
    (void)state;
    const fdl_value values[] = {fdl_null(), fdl_int64(-5), fdl_float64(2.5), fdl_bool(true),
                                fdl_string("7", 1), fdl_timestamp(9)};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        fdl_value v = values[i];
        same(v.type == FDL_INT64 ? v : fdl_null(), fdl_nint64_value(fdl_nint64_from(v)), "int from", (double)i, 0);
        same(v.type == FDL_BOOL ? v : fdl_null(), fdl_nbool_value(fdl_nbool_from(v)), "bool from", (double)i, 0);
        fdl_value widened = v.type == FDL_INT64 ? fdl_float64((double)v.as.i) : v.type == FDL_FLOAT64 ? v : fdl_null();
        same(widened, fdl_nfloat64_value(fdl_nfloat64_from(v)), "float from", (double)i, 0);
    }
    assert_true(fdl_nfloat64_finite(INFINITY).null);
    assert_true(fdl_nfloat64_finite(NAN).null);
    assert_false(fdl_nfloat64_finite(-0.0).null);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(int_arithmetic),
        cmocka_unit_test(float_arithmetic),
        cmocka_unit_test(comparisons),
        cmocka_unit_test(logic),
        cmocka_unit_test(conversions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
