/*
 * bench_expr.c - what typed generated code buys: one derived-feature-like
 * expression, ((a * 2 + b) / c > 100 and d is not null) or e = 3, evaluated
 * over N rows of inputs with nulls, once as the old generated code did (tagged
 * fdl_values through the runtime's fdl_op_* calls, eager and/or) and once as
 * fdlc generates it now (fdl_nint64/fdl_nfloat64/fdl_nbool with the inline
 * helpers of fdlrt.h, and/or skipping their right side). Checks both give
 * the same answer on every row, then prints ns per row and the ratio.
 *
 *   bench_expr [--rows N] [--quick]
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdlrt.h"

typedef struct row {
    fdl_value a, b, c, d, e;   /* int64, float64, float64, string, int64 */
} row;

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The old code: a tree of runtime calls on tagged values. */
static __attribute__((noinline)) fdl_value tagged(const row *r)
{
    return fdl_op_or(
        fdl_op_and(fdl_op_compare(FDL_CMP_GT,
                                  fdl_op_arith('/', fdl_op_arith('+', fdl_op_arith('*', r->a, fdl_int64(2)), r->b), r->c),
                                  fdl_int64(100)),
                   fdl_bool(!fdl_is_null(r->d))),
        fdl_op_compare(FDL_CMP_EQ, r->e, fdl_int64(3)));
}

/* What fdlc generates now for the same expression. */
static __attribute__((noinline)) fdl_value typed(const row *r)
{
    fdl_nint64 v1 = fdl_nint64_mul(fdl_nint64_from(r->a), fdl_nint64_of(INT64_C(2)));
    fdl_nfloat64 v2 = fdl_nfloat64_add(fdl_nint64_to_float64(v1), fdl_nfloat64_from(r->b));
    fdl_nfloat64 v3 = fdl_nfloat64_div(v2, fdl_nfloat64_from(r->c));
    fdl_nbool v4 = fdl_nfloat64_int64_compare(FDL_CMP_GT, v3, fdl_nint64_of(INT64_C(100)));
    if (!fdl_nbool_decides(v4, false)) {
        fdl_nbool v5 = fdl_nbool_of(!fdl_is_null(r->d));
        v4 = fdl_nbool_and(v4, v5);
    }
    if (!fdl_nbool_decides(v4, true)) {
        fdl_nbool v6 = fdl_nint64_compare(FDL_CMP_EQ, fdl_nint64_from(r->e), fdl_nint64_of(INT64_C(3)));
        v4 = fdl_nbool_or(v4, v6);
    }
    return fdl_nbool_value(v4);
}

static double run(fdl_value (*f)(const row *), const row *rows, size_t n, uint64_t *checksum)
{
    double start = seconds();
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        fdl_value v = f(&rows[i]);
        sum = sum * 3 + (v.type == FDL_NULL ? 2u : v.as.b ? 1u : 0u);
    }
    *checksum = sum;
    return seconds() - start;
}

int main(int argc, char **argv)
{
    size_t n = 5000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            n = 100000;
        else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_expr [--rows N] [--quick]\n");
            return 2;
        }
    }
    row *rows = malloc(n * sizeof *rows);
    if (!rows)
        return 1;
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = next(&s);
        rows[i].a = x % 11 == 0 ? fdl_null() : fdl_int64((int64_t)(x % 2000) - 500);
        rows[i].b = x % 13 == 0 ? fdl_null() : fdl_float64((double)(x >> 40) / 1000.0);
        rows[i].c = x % 17 == 0 ? fdl_float64(0.0) : fdl_float64((double)((x >> 20) % 50) / 7.0 + 0.01);
        rows[i].d = x % 5 == 0 ? fdl_null() : fdl_string("x", 1);
        rows[i].e = fdl_int64((int64_t)((x >> 8) % 6));
    }
    /* Every row: the same answer. */
    for (size_t i = 0; i < n; i++) {
        fdl_value t = tagged(&rows[i]), u = typed(&rows[i]);
        if (t.type != u.type || (t.type == FDL_BOOL && t.as.b != u.as.b)) {
            fprintf(stderr, "bench_expr: row %zu differs\n", i);
            return 1;
        }
    }
    double best_tagged = 1e9, best_typed = 1e9;
    uint64_t c1 = 0, c2 = 0;
    for (int rep = 0; rep < 5; rep++) {   /* alternated, best of 5: the machine is noisy */
        double t1 = run(tagged, rows, n, &c1), t2 = run(typed, rows, n, &c2);
        best_tagged = t1 < best_tagged ? t1 : best_tagged;
        best_typed = t2 < best_typed ? t2 : best_typed;
    }
    if (c1 != c2) {
        fprintf(stderr, "bench_expr: checksums differ\n");
        return 1;
    }
    printf("rows %zu: tagged %.1f ns/row, typed %.1f ns/row, typed %.2fx faster\n", n,
           best_tagged * 1e9 / (double)n, best_typed * 1e9 / (double)n, best_tagged / best_typed);
    free(rows);
    return 0;
}
