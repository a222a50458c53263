/*
 * test_ops.c - value operators (null semantics, overflow, exact mixed
 * comparisons), cosine similarity, type names, errors, program lookups.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fdlrt.h"

static void assert_int_value(fdl_value v, int64_t expected)
{
    assert_int_equal(v.type, FDL_INT64);
    assert_int_equal(v.as.i, expected);
}

static void assert_float_value(fdl_value v, double expected)
{
    assert_int_equal(v.type, FDL_FLOAT64);
    if (memcmp(&v.as.f, &expected, sizeof expected) != 0)
        fail_msg("%a != %a", v.as.f, expected);
}

static void assert_bool_value(fdl_value v, bool expected)
{
    assert_int_equal(v.type, FDL_BOOL);
    assert_int_equal(v.as.b, expected);
}

static void assert_null_value(fdl_value v)
{
    assert_int_equal(v.type, FDL_NULL);
}

static void test_int_arithmetic(void **state)
{
    (void)state;
    assert_int_value(fdl_op_arith('+', fdl_int64(2), fdl_int64(3)), 5);
    assert_int_value(fdl_op_arith('-', fdl_int64(2), fdl_int64(3)), -1);
    assert_int_value(fdl_op_arith('*', fdl_int64(-4), fdl_int64(3)), -12);
    assert_int_value(fdl_op_arith('/', fdl_int64(7), fdl_int64(2)), 3);
    assert_int_value(fdl_op_arith('/', fdl_int64(-7), fdl_int64(2)), -3);   /* toward zero */
    assert_int_value(fdl_op_arith('%', fdl_int64(-7), fdl_int64(2)), -1);   /* C remainder */
    assert_int_value(fdl_op_arith('%', fdl_int64(7), fdl_int64(-2)), 1);
    assert_null_value(fdl_op_arith('/', fdl_int64(1), fdl_int64(0)));
    assert_null_value(fdl_op_arith('%', fdl_int64(1), fdl_int64(0)));
    assert_null_value(fdl_op_arith('/', fdl_int64(INT64_MIN), fdl_int64(-1)));
    assert_null_value(fdl_op_arith('%', fdl_int64(INT64_MIN), fdl_int64(-1)));
    assert_null_value(fdl_op_arith('+', fdl_int64(INT64_MAX), fdl_int64(1)));
    assert_null_value(fdl_op_arith('-', fdl_int64(INT64_MIN), fdl_int64(1)));
    assert_null_value(fdl_op_arith('*', fdl_int64(INT64_MAX / 2 + 1), fdl_int64(2)));
    assert_int_value(fdl_op_arith('+', fdl_int64(INT64_MAX), fdl_int64(0)), INT64_MAX);
    assert_null_value(fdl_op_arith('+', fdl_null(), fdl_int64(1)));
    assert_null_value(fdl_op_arith('+', fdl_int64(1), fdl_null()));
    assert_null_value(fdl_op_arith('^', fdl_int64(1), fdl_int64(1)));
}

static void test_float_arithmetic(void **state)
{
    (void)state;
    assert_float_value(fdl_op_arith('+', fdl_int64(1), fdl_float64(0.5)), 1.5);
    assert_float_value(fdl_op_arith('/', fdl_int64(1), fdl_float64(4.0)), 0.25);
    assert_float_value(fdl_op_arith('/', fdl_float64(7.0), fdl_int64(2)), 3.5);
    assert_float_value(fdl_op_arith('%', fdl_float64(7.5), fdl_int64(2)), 1.5);
    assert_float_value(fdl_op_arith('*', fdl_float64(-0.0), fdl_float64(1.0)), -0.0);
    assert_null_value(fdl_op_arith('/', fdl_float64(1.0), fdl_float64(0.0)));
    assert_null_value(fdl_op_arith('/', fdl_float64(1.0), fdl_int64(0)));
    assert_null_value(fdl_op_arith('%', fdl_float64(1.0), fdl_float64(-0.0)));
    assert_null_value(fdl_op_arith('*', fdl_float64(DBL_MAX), fdl_float64(2.0)));  /* inf */
    assert_null_value(fdl_op_arith('+', fdl_string("a", 1), fdl_string("b", 1)));
    assert_null_value(fdl_op_arith('+', fdl_bool(true), fdl_int64(1)));
    assert_null_value(fdl_op_arith('-', fdl_timestamp(5), fdl_timestamp(3)));
}

static void test_compare(void **state)
{
    (void)state;
    assert_bool_value(fdl_op_compare(FDL_CMP_LT, fdl_int64(1), fdl_int64(2)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_GE, fdl_int64(1), fdl_int64(2)), false);
    assert_bool_value(fdl_op_compare(FDL_CMP_EQ, fdl_int64(2), fdl_float64(2.0)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_LT, fdl_int64(2), fdl_float64(2.5)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_GT, fdl_float64(-2.5), fdl_int64(-3)), true);
    /* exact across int64 and double: 2^53 + 1 is not the double 2^53 */
    int64_t big = (INT64_C(1) << 53) + 1;
    assert_bool_value(fdl_op_compare(FDL_CMP_EQ, fdl_int64(big), fdl_float64(0x1p53)), false);
    assert_bool_value(fdl_op_compare(FDL_CMP_GT, fdl_int64(big), fdl_float64(0x1p53)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_LT, fdl_float64(0x1p53), fdl_int64(big)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_LT, fdl_int64(INT64_MAX), fdl_float64(0x1p63)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_EQ, fdl_int64(INT64_MIN), fdl_float64(-0x1p63)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_GT, fdl_int64(INT64_MIN), fdl_float64(-1e300)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_LT, fdl_int64(-1), fdl_float64(-0.5)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_EQ, fdl_float64(-0.0), fdl_float64(0.0)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_EQ, fdl_int64(0), fdl_float64(-0.0)), true);
    /* strings bytewise, then by length */
    assert_bool_value(fdl_op_compare(FDL_CMP_LT, fdl_string("ab", 2), fdl_string("abc", 3)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_LT, fdl_string("b", 1), fdl_string("abc", 3)), false);
    assert_bool_value(fdl_op_compare(FDL_CMP_GT, fdl_string("\xff", 1), fdl_string("a", 1)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_EQ, fdl_string("", 0), fdl_string(NULL, 0)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_NE, fdl_string("a\0b", 3), fdl_string("a\0c", 3)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_LT, fdl_bool(false), fdl_bool(true)), true);
    assert_bool_value(fdl_op_compare(FDL_CMP_LE, fdl_timestamp(5), fdl_timestamp(5)), true);
    assert_null_value(fdl_op_compare(FDL_CMP_EQ, fdl_null(), fdl_null()));
    assert_null_value(fdl_op_compare(FDL_CMP_EQ, fdl_int64(1), fdl_null()));
    assert_null_value(fdl_op_compare(FDL_CMP_EQ, fdl_int64(1), fdl_string("1", 1)));
    assert_null_value(fdl_op_compare(FDL_CMP_EQ, fdl_timestamp(1), fdl_int64(1)));
    assert_null_value(fdl_op_compare(FDL_CMP_EQ, fdl_bool(true), fdl_int64(1)));
}

static void test_logic(void **state)
{
    (void)state;
    fdl_value t = fdl_bool(true), f = fdl_bool(false), n = fdl_null();
    assert_bool_value(fdl_op_and(t, t), true);
    assert_bool_value(fdl_op_and(t, f), false);
    assert_bool_value(fdl_op_and(f, n), false);
    assert_bool_value(fdl_op_and(n, f), false);
    assert_null_value(fdl_op_and(t, n));
    assert_null_value(fdl_op_and(n, n));
    assert_bool_value(fdl_op_or(f, f), false);
    assert_bool_value(fdl_op_or(t, n), true);
    assert_bool_value(fdl_op_or(n, t), true);
    assert_null_value(fdl_op_or(f, n));
    assert_null_value(fdl_op_or(n, n));
    assert_bool_value(fdl_op_not(t), false);
    assert_null_value(fdl_op_not(n));
    assert_null_value(fdl_op_not(fdl_int64(0)));
    assert_int_value(fdl_op_negate(fdl_int64(5)), -5);
    assert_null_value(fdl_op_negate(fdl_int64(INT64_MIN)));
    assert_float_value(fdl_op_negate(fdl_float64(0.0)), -0.0);
    assert_null_value(fdl_op_negate(fdl_null()));
    assert_null_value(fdl_op_negate(fdl_string("x", 1)));
}

static void test_cosine(void **state)
{
    (void)state;
    double a[] = {1, 0, 0}, b[] = {0, 1, 0}, c[] = {2, 0, 0}, d[] = {-1, 0, 0}, z[] = {0, 0, 0};
    double e[] = {1, 2, 3}, g[] = {4, 5, 6};
    assert_float_value(fdl_cosine_similarity(fdl_vector(a, 3), fdl_vector(b, 3)), 0.0);
    assert_float_value(fdl_cosine_similarity(fdl_vector(a, 3), fdl_vector(c, 3)), 1.0);
    assert_float_value(fdl_cosine_similarity(fdl_vector(a, 3), fdl_vector(d, 3)), -1.0);
    assert_float_value(fdl_cosine_similarity(fdl_vector(e, 3), fdl_vector(g, 3)),
                       32.0 / (sqrt(14.0) * sqrt(77.0)));
    assert_null_value(fdl_cosine_similarity(fdl_vector(a, 3), fdl_vector(z, 3)));
    assert_null_value(fdl_cosine_similarity(fdl_vector(a, 3), fdl_vector(a, 2)));
    assert_null_value(fdl_cosine_similarity(fdl_vector(a, 3), fdl_null()));
    assert_null_value(fdl_cosine_similarity(fdl_null(), fdl_vector(a, 3)));
    /* the same vector is exactly similar, clamped if rounding overshoots */
    double r[] = {0.1, 0.7, 0.3333333333333333};
    fdl_value s = fdl_cosine_similarity(fdl_vector(r, 3), fdl_vector(r, 3));
    assert_int_equal(s.type, FDL_FLOAT64);
    assert_true(s.as.f <= 1.0 && s.as.f > 0.9999999999999);
}

static void test_names_and_errors(void **state)
{
    (void)state;
    assert_string_equal(fdl_type_name(FDL_NULL), "null");
    assert_string_equal(fdl_type_name(FDL_INT64), "int64");
    assert_string_equal(fdl_type_name(FDL_FLOAT64), "float64");
    assert_string_equal(fdl_type_name(FDL_BOOL), "bool");
    assert_string_equal(fdl_type_name(FDL_STRING), "string");
    assert_string_equal(fdl_type_name(FDL_TIMESTAMP), "timestamp");
    assert_string_equal(fdl_type_name(FDL_VECTOR), "vector");
    assert_string_equal(fdl_type_name((fdl_type)99), "unknown");

    fdl_error err;
    memset(&err, 'x', sizeof err);
    assert_int_equal(fdl_error_set(&err, FDL_ERR_IO, "cannot open %s: %d", "a.csv", 2), FDL_ERR_IO);
    assert_int_equal(err.status, FDL_ERR_IO);
    assert_string_equal(err.message, "cannot open a.csv: 2");
    assert_string_equal(err.file, "");
    assert_int_equal(err.line, 0);
    assert_int_equal(fdl_error_set(NULL, FDL_ERR_PARSE, "x"), FDL_ERR_PARSE);
    char longer[2000];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    fdl_error_set(&err, FDL_ERR_FORMAT, "%s", longer);       /* truncated, terminated */
    assert_int_equal(strlen(err.message), sizeof err.message - 1);

    fdl_time before = fdl_now();
    assert_true(before > INT64_C(1600000000) * FDL_MICROS_PER_SECOND);
    assert_true(fdl_now() >= before);
}

static void test_program_lookups(void **state)
{
    (void)state;
    static const char *const user_keys[] = {"user_id"}, *const item_keys[] = {"item_id"};
    static const fdl_type user_types[] = {FDL_INT64}, item_types[] = {FDL_STRING};
    static const fdl_entity_desc entities[] = {{"user", "user_id", FDL_INT64, 1, user_keys, user_types},
                                               {"item", "item_id", FDL_STRING, 1, item_keys, item_types}};
    static const fdl_source_desc sources[] = {{"orders", 0, NULL, 0, NULL, NULL, NULL, 0, NULL, {-1, -1, NULL}, NULL}};
    static const fdl_feature_desc features[] = {{"a", FDL_INT64, 0, 0, NULL, "", NULL, 0, NULL},
                                                {"b", FDL_INT64, 0, 0, NULL, "", NULL, 0, NULL}};
    static const fdl_set_desc sets[] = {{"s", 0, NULL, 0, NULL, NULL, 0, NULL}};
    static const fdl_embedding_desc embeddings[] = {{"emb", 1, 4, "x.csv"}};
    fdl_program p = {FDL_ABI_VERSION, "p", "", 2, entities, 1, sources, 1, embeddings,
                     0, NULL, 2, features, 1, sets, 0, NULL, 0, NULL, NULL};
    assert_int_equal(fdl_program_entity(&p, "item"), 1);
    assert_int_equal(fdl_program_entity(&p, "nobody"), -1);
    assert_int_equal(fdl_program_source(&p, "orders"), 0);
    assert_int_equal(fdl_program_feature(&p, "b"), 1);
    assert_int_equal(fdl_program_feature(&p, ""), -1);
    assert_int_equal(fdl_program_set(&p, "s"), 0);
    assert_int_equal(fdl_program_embedding(&p, "emb"), 0);
    assert_int_equal(fdl_program_embedding(&p, NULL), -1);
    assert_int_equal(fdl_program_set(NULL, "s"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_arithmetic),
        cmocka_unit_test(test_float_arithmetic),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_cosine),
        cmocka_unit_test(test_names_and_errors),
        cmocka_unit_test(test_program_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
