/*
 * test_drift.c - `fdlc drift`: PSI, bin edges and KS against hand-computed
 * values, KS D against brute force on random samples, the Kolmogorov
 * distribution against tabulated critical values, same-distribution samples
 * staying under the default thresholds, planted shifts (mean, category
 * share, null rate, type) being flagged, and drift_main on good and bad
 * input (exit status, JSON text). Every random sample has a fixed seed.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drift.h"

/* ------------------------------------------------------------ helpers */

/* splitmix64: the same stream on every libc, unlike rand(). */
typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double rng_uniform(rng *r)   /* in (0, 1) */
{
    return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(rng *r)
{
    /* Box-Muller; the second draw is thrown away for simplicity. */
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double *normal_sample(uint64_t seed, size_t n, double mean)
{
    rng r = {seed};
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = mean + rng_normal(&r);
    qsort(x, n, sizeof *x, compare_doubles);
    return x;
}

static char temp_dir[64];

static int make_temp_dir(void **state)
{
    (void)state;
    strcpy(temp_dir, "/tmp/fdl_test_drift_XXXXXX");
    return mkdtemp(temp_dir) ? 0 : -1;
}

static int remove_temp_dir(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    return system(command) == 0 ? 0 : -1;
}

/* Writes text to a file in the temp directory; returns its path (static). */
static const char *write_file(const char *name, const char *text)
{
    static char paths[8][192];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 192, "%s/%s", temp_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    return text;
}

/* Runs drift_main with a NULL-terminated argument list; stdout goes to a
 * file so the report can be inspected and stays out of the test log. */
static int run_drift(char **report, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, report);
    for (const char *arg; (arg = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = (char *)arg;
    va_end(ap);
    argv[argc] = NULL;

    char out_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout.txt", temp_dir);
    fflush(stdout);
    int saved = dup(1);
    assert_true(freopen(out_path, "w", stdout) != NULL);
    int status = drift_main(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    /* stdout writes to fd 1 again: the original terminal or pipe. */
    clearerr(stdout);
    if (report)
        *report = read_text(out_path);
    return status;
}

/* ------------------------------------------------------------ PSI */

static void psi_matches_hand_computed_values(void **state)
{
    (void)state;
    size_t train[] = {50, 50}, serving[] = {25, 75};
    double expected = (0.25 - 0.5) * log(0.25 / 0.5) + (0.75 - 0.5) * log(0.75 / 0.5);
    assert_float_equal(drift_psi_counts(train, serving, 2), expected, 1e-12);
    assert_float_equal(expected, 0.2746530721670274, 1e-12);

    /* An empty bin counts as share 1e-4. */
    size_t full[] = {100, 0}, half[] = {50, 50};
    expected = (0.5 - 1) * log(0.5 / 1) + (0.5 - 1e-4) * log(0.5 / 1e-4);
    assert_float_equal(drift_psi_counts(full, half, 2), expected, 1e-12);
    /* Symmetric in its two arguments. */
    assert_float_equal(drift_psi_counts(half, full, 2), expected, 1e-12);

    /* Same shares at different sizes: zero. */
    size_t small[] = {1, 2, 3}, large[] = {100, 200, 300};
    assert_float_equal(drift_psi_counts(small, large, 3), 0, 1e-15);
    /* Nothing to compare: zero, never NaN. */
    size_t none[] = {0, 0, 0};
    assert_float_equal(drift_psi_counts(none, large, 3), 0, 0);
    assert_float_equal(drift_psi_counts(large, none, 3), 0, 0);
}

static void total_variation_is_half_the_l1_distance(void **state)
{
    (void)state;
    size_t train[] = {30, 35, 35}, serving[] = {60, 20, 20};
    assert_float_equal(drift_total_variation(train, serving, 3), 0.30, 1e-12);
    size_t a[] = {1, 0}, b[] = {0, 1};
    assert_float_equal(drift_total_variation(a, b, 2), 1, 0);
    size_t none[] = {0, 0};
    assert_float_equal(drift_total_variation(a, none, 2), 0, 0);
}

static void bin_edges_sit_at_training_quantiles(void **state)
{
    (void)state;
    double sorted[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    double edges[10];
    assert_int_equal(drift_bin_edges(sorted, 10, 5, edges), 4);
    assert_float_equal(edges[0], 3, 0);
    assert_float_equal(edges[1], 5, 0);
    assert_float_equal(edges[2], 7, 0);
    assert_float_equal(edges[3], 9, 0);
    /* Bins are closed on the left. */
    assert_int_equal(drift_bin_index(edges, 4, 2.999), 0);
    assert_int_equal(drift_bin_index(edges, 4, 3), 1);
    assert_int_equal(drift_bin_index(edges, 4, 8.5), 3);
    assert_int_equal(drift_bin_index(edges, 4, 9), 4);
    assert_int_equal(drift_bin_index(edges, 4, 1e300), 4);
    assert_int_equal(drift_bin_index(edges, 4, -1e300), 0);
}

static void duplicate_edges_collapse(void **state)
{
    (void)state;
    /* Candidates at indexes 1..9: seven 1s, then 2 and 3. */
    double ties[] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 3};
    double edges[10];
    assert_int_equal(drift_bin_edges(ties, 10, 10, edges), 3);
    assert_float_equal(edges[0], 1, 0);
    assert_float_equal(edges[1], 2, 0);
    assert_float_equal(edges[2], 3, 0);

    /* One distinct value: one edge, two bins, everything in the upper one. */
    double constant[] = {5, 5, 5, 5};
    assert_int_equal(drift_bin_edges(constant, 4, 10, edges), 1);
    assert_float_equal(edges[0], 5, 0);
    assert_float_equal(drift_numeric_psi(constant, 4, constant, 4, 10), 0, 0);
    double lower[] = {4, 4};
    double expected = 2 * (1 - 1e-4) * log(1 / 1e-4);
    assert_float_equal(drift_numeric_psi(constant, 4, lower, 2, 10), expected, 1e-12);

    assert_int_equal(drift_bin_edges(constant, 0, 10, edges), 0);
    assert_int_equal(drift_bin_edges(constant, 4, 1, edges), 0);
}

static void numeric_psi_matches_hand_computed_value(void **state)
{
    (void)state;
    /* Bins (-inf,3) [3,5) [5,7) [7,9) [9,inf) hold 2 training values each;
     * the serving sample puts 0.8 in the first, 0.2 in the last. */
    double train[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    double serving[] = {1, 1, 1, 1, 10};
    double expected = (0.8 - 0.2) * log(0.8 / 0.2) + 3 * (1e-4 - 0.2) * log(1e-4 / 0.2);
    assert_float_equal(drift_numeric_psi(train, 10, serving, 5, 5), expected, 1e-12);
    assert_float_equal(expected, 5.390038, 1e-6);
    assert_float_equal(drift_numeric_psi(train, 10, train, 10, 5), 0, 0);
}

/* ------------------------------------------------------------ KS */

static void ks_statistic_matches_hand_computed_values(void **state)
{
    (void)state;
    double a[] = {1, 2, 3, 4}, b[] = {3, 4, 5, 6};
    assert_float_equal(drift_ks_statistic(a, 4, b, 4), 0.5, 0);
    assert_float_equal(drift_ks_statistic(b, 4, a, 4), 0.5, 0);
    double low[] = {1, 2}, high[] = {3, 4};
    assert_float_equal(drift_ks_statistic(low, 2, high, 2), 1, 0);
    /* Ties across the samples: the CDFs are compared after each distinct
     * value, so at x = 1 it is 2/3 against 1/3, and equal from 2 on. */
    double c[] = {1, 1, 2}, d[] = {1, 2, 2};
    assert_float_equal(drift_ks_statistic(c, 3, d, 3), 1.0 / 3, 1e-15);
    assert_float_equal(drift_ks_statistic(c, 3, c, 3), 0, 0);
    double one[] = {7}, sevens[] = {7, 7, 7};
    assert_float_equal(drift_ks_statistic(one, 1, sevens, 3), 0, 0);
    assert_float_equal(drift_ks_statistic(a, 4, b, 0), 0, 0);
}

static double brute_force_ks(const double *a, size_t n, const double *b, size_t m)
{
    double d = 0;
    for (int side = 0; side < 2; side++) {
        const double *points = side ? b : a;
        size_t npoints = side ? m : n;
        for (size_t k = 0; k < npoints; k++) {
            double x = points[k];
            size_t below_a = 0, below_b = 0;
            for (size_t i = 0; i < n; i++)
                below_a += a[i] <= x;
            for (size_t j = 0; j < m; j++)
                below_b += b[j] <= x;
            double gap = fabs((double)below_a / (double)n - (double)below_b / (double)m);
            if (gap > d)
                d = gap;
        }
    }
    return d;
}

static void ks_statistic_equals_brute_force(void **state)
{
    (void)state;
    rng r = {42};
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 1 + rng_next(&r) % 60, m = 1 + rng_next(&r) % 60;
        /* A third of the trials draw from few values, to exercise ties. */
        bool ties = trial % 3 == 0;
        double a[60], b[60];
        for (size_t i = 0; i < n; i++)
            a[i] = ties ? (double)(rng_next(&r) % 5) : rng_normal(&r);
        for (size_t j = 0; j < m; j++)
            b[j] = ties ? (double)(rng_next(&r) % 5) : rng_normal(&r) + (trial % 2 ? 0.7 : 0);
        qsort(a, n, sizeof *a, compare_doubles);
        qsort(b, m, sizeof *b, compare_doubles);
        double expected = brute_force_ks(a, n, b, m);
        assert_float_equal(drift_ks_statistic(a, n, b, m), expected, 1e-15);
    }
}

static void kolmogorov_distribution_matches_tables(void **state)
{
    (void)state;
    /* Tabulated critical values of the Kolmogorov distribution. */
    assert_float_equal(drift_kolmogorov_sf(1.2238), 0.10, 1e-4);
    assert_float_equal(drift_kolmogorov_sf(1.3581), 0.05, 1e-4);
    assert_float_equal(drift_kolmogorov_sf(1.6276), 0.01, 1e-4);
    assert_float_equal(drift_kolmogorov_sf(1.9495), 0.001, 1e-5);
    assert_float_equal(drift_kolmogorov_sf(1.0), 0.26999967, 1e-7);
    assert_float_equal(drift_kolmogorov_sf(0.5), 0.96394524, 1e-7);
    assert_float_equal(drift_kolmogorov_sf(0), 1, 0);
    assert_float_equal(drift_kolmogorov_sf(0.01), 1, 0);
    assert_float_equal(drift_kolmogorov_sf(30), 0, 0);
    /* The two series used below and above 1.18 agree there. */
    assert_float_equal(drift_kolmogorov_sf(1.18 - 1e-12), drift_kolmogorov_sf(1.18), 1e-10);
    /* Decreasing in lambda, and never NaN. */
    double previous = 1;
    for (double l = 0; l < 5; l += 0.01) {
        double q = drift_kolmogorov_sf(l);
        assert_false(isnan(q));
        assert_true(q <= previous + 1e-15);
        previous = q;
    }
}

static void ks_pvalue_uses_the_effective_sample_size(void **state)
{
    (void)state;
    /* n = m = 200: ne = 100, lambda = (10 + 0.12 + 0.011) D. */
    double d = 1.3581 / (10 + 0.12 + 0.011);
    assert_float_equal(drift_ks_pvalue(d, 200, 200), 0.05, 1e-4);
    assert_float_equal(drift_ks_pvalue(0, 200, 200), 1, 0);
    assert_float_equal(drift_ks_pvalue(0.5, 0, 200), 1, 0);
    assert_float_equal(drift_ks_pvalue(1, 1, 1), drift_kolmogorov_sf((sqrt(0.5) + 0.12 + 0.11 / sqrt(0.5))), 1e-15);
}

/* ------------------------------------------------------------ samples */

static void same_distribution_stays_under_thresholds(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        size_t n = 20000;
        double *a = normal_sample(seed, n, 0), *b = normal_sample(seed + 100, n, 0);
        double psi = drift_numeric_psi(a, n, b, n, 10);
        double d = drift_ks_statistic(a, n, b, n);
        double p = drift_ks_pvalue(d, n, n);
        /* Sampling noise: PSI about 9/n * 2, D about 1.36 sqrt(2/n) = 0.014. */
        assert_true(psi < 0.01);
        assert_true(d < 0.02);
        assert_true(p > 0.001);
        free(a);
        free(b);
    }
}

static void mean_shift_of_half_a_deviation_is_flagged(void **state)
{
    (void)state;
    size_t n = 20000;
    double *a = normal_sample(7, n, 0), *b = normal_sample(8, n, 0.5);
    double psi = drift_numeric_psi(a, n, b, n, 10);
    double d = drift_ks_statistic(a, n, b, n);
    /* Theory: D = 2 Phi(0.25) - 1 = 0.197; PSI of a 0.5 sd shift over
     * deciles is about 0.24. */
    assert_float_equal(d, 0.197, 0.02);
    assert_true(d > 0.1);
    assert_true(psi > 0.2 && psi < 0.3);
    assert_true(drift_ks_pvalue(d, n, n) < 1e-10);
    free(a);
    free(b);
}

/* ------------------------------------------------------------ drift_main */

/* CSV text of n rows: a numeric column x (normal + shift), a categorical
 * column color with share_a of "a", a column z null with rate null_rate. */
static char *make_csv(uint64_t seed, size_t n, double shift, double share_a, double null_rate)
{
    rng r = {seed};
    size_t cap = n * 64 + 64, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "id,x,color,z\n");
    for (size_t i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        const char *color = u < share_a ? "a" : u < share_a + (1 - share_a) / 2 ? "b" : "c";
        double x = shift + rng_normal(&r);
        char z[32] = "";
        if (rng_uniform(&r) >= null_rate)
            snprintf(z, sizeof z, "%.6f", rng_uniform(&r));
        len += (size_t)snprintf(text + len, cap - len, "%zu,%.17g,%s,%s\n", i, x, color, z);
    }
    return text;
}

static bool feature_has_reasons(const char *json, const char *name, const char *reasons)
{
    char key[96];
    snprintf(key, sizeof key, "{\"name\": \"%s\"", name);
    const char *start = strstr(json, key);
    if (!start)
        return false;
    const char *found = strstr(start, "\"reasons\": [");
    const char *end = found ? strchr(found, ']') : NULL;
    if (!end)
        return false;
    found += strlen("\"reasons\": [");
    return (size_t)(end - found) == strlen(reasons) && strncmp(found, reasons, strlen(reasons)) == 0;
}

static void check_planted_shift(const char *serving_text, const char *feature, const char *reasons)
{
    char *train_text = make_csv(1, 20000, 0, 0.3, 0.01);
    const char *train = write_file("train.csv", train_text);
    const char *serving = write_file("serving.csv", serving_text);
    char json_path[128];
    snprintf(json_path, sizeof json_path, "%s/report.json", temp_dir);
    char *report;
    assert_int_equal(run_drift(&report, train, serving, "--ignore", "id", "--json", json_path, NULL),
                     DRIFT_EXIT_DRIFT);
    char *json = read_text(json_path);
    assert_true(feature_has_reasons(json, feature, reasons));
    /* Only the planted feature drifts. */
    assert_non_null(strstr(json, "\"drifting_features\": 1,"));
    assert_null(strstr(json, "nan"));
    assert_null(strstr(json, "inf"));
    assert_non_null(strstr(report, "drifting features: 1 of 3"));
    free(json);
    free(report);
    free(train_text);
}

static void same_distribution_files_pass(void **state)
{
    (void)state;
    char *train_text = make_csv(1, 20000, 0, 0.3, 0.01);
    char *serving_text = make_csv(2, 20000, 0, 0.3, 0.01);
    const char *train = write_file("train.csv", train_text);
    const char *serving = write_file("serving.csv", serving_text);
    char *report;
    assert_int_equal(run_drift(&report, train, serving, "--ignore", "id", NULL), DRIFT_EXIT_OK);
    assert_non_null(strstr(report, "drifting features: 0 of 3"));
    assert_non_null(strstr(report, "numeric"));
    assert_non_null(strstr(report, "categorical"));
    free(report);
    free(train_text);
    free(serving_text);
}

static void planted_mean_shift_is_flagged(void **state)
{
    (void)state;
    char *serving = make_csv(2, 20000, 0.5, 0.3, 0.01);
    check_planted_shift(serving, "x", "\"psi\", \"ks\"");
    free(serving);
}

static void planted_category_shift_is_flagged(void **state)
{
    (void)state;
    char *serving = make_csv(2, 20000, 0, 0.6, 0.01);
    check_planted_shift(serving, "color", "\"psi\"");
    free(serving);
}

static void planted_null_rate_shift_is_flagged(void **state)
{
    (void)state;
    char *serving = make_csv(2, 20000, 0, 0.3, 0.10);
    check_planted_shift(serving, "z", "\"null\"");
    free(serving);
}

static void text_in_a_numeric_column_is_a_type_drift(void **state)
{
    (void)state;
    const char *train = write_file("t.csv", "x\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
    const char *serving = write_file("s.csv", "x\n1\n2\n3\n4\n5\n6\n7\nten\nnine\n\"\"\n");
    char json_path[128];
    snprintf(json_path, sizeof json_path, "%s/type.json", temp_dir);
    char *report;
    assert_int_equal(run_drift(&report, train, serving, "--json", json_path, NULL), DRIFT_EXIT_DRIFT);
    char *json = read_text(json_path);
    assert_true(feature_has_reasons(json, "x", "\"psi\", \"ks\", \"type\""));
    assert_non_null(strstr(json, "\"invalid\": 3"));
    free(json);
    free(report);
}

static void degenerate_columns_never_produce_nan(void **state)
{
    (void)state;
    /* All-null, one distinct value, a header-only serving file, vectors. */
    const char *train = write_file("t.csv",
                                   "n,c,v,s,t\n"
                                   ",7,\"[3,4]\",x,2024-01-01T00:00:00Z\n"
                                   ",7,\"[0,0]\",\"\",2024-01-02T00:00:00Z\n");
    const char *serving = write_file("s.csv", "n,c,v,s,t\n");
    char json_path[128];
    snprintf(json_path, sizeof json_path, "%s/degenerate.json", temp_dir);
    char *report;
    assert_int_equal(run_drift(&report, train, serving, "--json", json_path, NULL), DRIFT_EXIT_OK);
    char *json = read_text(json_path);
    assert_null(strstr(json, "nan"));
    assert_null(strstr(json, "inf"));
    assert_non_null(strstr(json, "\"name\": \"n\", \"kind\": \"empty\""));
    assert_non_null(strstr(json, "\"name\": \"c\", \"kind\": \"numeric\""));
    assert_non_null(strstr(json, "\"name\": \"v\", \"kind\": \"vector\""));
    assert_non_null(strstr(json, "\"name\": \"s\", \"kind\": \"categorical\""));
    assert_non_null(strstr(json, "\"name\": \"t\", \"kind\": \"timestamp\""));
    free(json);
    free(report);

    /* Same train against itself: constant column, all-null column: no drift. */
    assert_int_equal(run_drift(&report, train, train, "--json", json_path, NULL), DRIFT_EXIT_OK);
    json = read_text(json_path);
    assert_null(strstr(json, "nan"));
    assert_non_null(strstr(json, "\"vector_dimension\": 2"));
    free(json);
    free(report);
}

static void vectors_compare_by_norm_and_dimension(void **state)
{
    (void)state;
    const char *train = write_file("t.csv", "v\n\"[3,4]\"\n\"[6, 8]\"\n\"[0,5]\"\n\"[5,0]\"\n");
    const char *same = write_file("s.csv", "v\n\"[4,3]\"\n\"[-6,8]\"\n\"[5,0]\"\n\"[0,-5]\"\n");
    char *report;
    assert_int_equal(run_drift(&report, train, same, NULL), DRIFT_EXIT_OK);
    free(report);
    const char *other_dim = write_file("d.csv", "v\n\"[3,4]\"\n\"[6,8]\"\n\"[0,5,0]\"\n\"[5,0,1]\"\n");
    assert_int_equal(run_drift(&report, train, other_dim, "--psi-threshold", "100", "--ks-threshold",
                               "1", NULL),
                     DRIFT_EXIT_DRIFT);
    assert_non_null(strstr(report, "DRIFT (type)"));
    free(report);
}

static void json_strings_are_escaped(void **state)
{
    (void)state;
    const char *train = write_file("t.csv", "\"we\"\"ird\\name\",k\n\"line\nbreak\",1\n\"tab\there\",2\n");
    const char *serving = write_file("s.csv", "\"we\"\"ird\\name\",k\n\"line\nbreak\",1\n");
    char json_path[128];
    snprintf(json_path, sizeof json_path, "%s/escape.json", temp_dir);
    char *report;
    int status = run_drift(&report, train, serving, "--json", json_path, NULL);
    assert_true(status == DRIFT_EXIT_OK || status == DRIFT_EXIT_DRIFT);
    char *json = read_text(json_path);
    assert_non_null(strstr(json, "\"name\": \"we\\\"ird\\\\name\""));
    assert_non_null(strstr(json, "\"value\": \"line\\u000abreak\""));
    assert_non_null(strstr(json, "\"value\": \"tab\\u0009here\""));
    free(json);
    free(report);
}

static void features_and_ignore_select_columns(void **state)
{
    (void)state;
    const char *train = write_file("t.csv", "a,b,c\n1,x,5\n2,y,6\n");
    const char *serving = write_file("s.csv", "c,b,d\n500,z,1\n600,z,2\n");
    char *report;
    /* b and c are common; b would drift on PSI (x, y -> z) but for the threshold. */
    assert_int_equal(run_drift(&report, train, serving, "--features", "b", "--psi-threshold", "100",
                               NULL),
                     DRIFT_EXIT_OK);
    assert_non_null(strstr(report, "drifting features: 0 of 1"));
    assert_non_null(strstr(report, "only in train (not compared): a"));
    assert_non_null(strstr(report, "only in serving (not compared): d"));
    free(report);
    assert_int_equal(run_drift(&report, train, serving, "--ignore", "b", NULL), DRIFT_EXIT_DRIFT);
    assert_non_null(strstr(report, "DRIFT (psi, ks)"));
    assert_non_null(strstr(report, "drifting features: 1 of 1"));
    free(report);
    /* Ignoring every common column leaves nothing to compare. */
    assert_int_equal(run_drift(NULL, train, serving, "--ignore", "b,c", NULL), DRIFT_EXIT_USAGE);
    /* --features names a column missing from one file. */
    assert_int_equal(run_drift(NULL, train, serving, "--features", "a", NULL), DRIFT_EXIT_USAGE);
}

static void bad_input_exits_with_status_2(void **state)
{
    (void)state;
    const char *good = write_file("good.csv", "a\n1\n");
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.csv", temp_dir);
    assert_int_equal(run_drift(NULL, good, missing, NULL), DRIFT_EXIT_USAGE);
    const char *unterminated = write_file("bad.csv", "a\n1\n\"open\n");
    assert_int_equal(run_drift(NULL, good, unterminated, NULL), DRIFT_EXIT_USAGE);
    const char *ragged = write_file("ragged.csv", "a,b\n1,2\n3\n");
    assert_int_equal(run_drift(NULL, ragged, good, NULL), DRIFT_EXIT_USAGE);
    const char *empty = write_file("empty.csv", "");
    assert_int_equal(run_drift(NULL, empty, good, NULL), DRIFT_EXIT_USAGE);
    const char *duplicate = write_file("dup.csv", "a,a\n1,2\n");
    assert_int_equal(run_drift(NULL, duplicate, good, NULL), DRIFT_EXIT_USAGE);
    const char *disjoint = write_file("disjoint.csv", "b\n1\n");
    assert_int_equal(run_drift(NULL, good, disjoint, NULL), DRIFT_EXIT_USAGE);
    assert_int_equal(run_drift(NULL, good, NULL), DRIFT_EXIT_USAGE);
    assert_int_equal(run_drift(NULL, good, good, good, NULL), DRIFT_EXIT_USAGE);
    assert_int_equal(run_drift(NULL, good, good, "--bins", "1", NULL), DRIFT_EXIT_USAGE);
    assert_int_equal(run_drift(NULL, good, good, "--psi-threshold", "-1", NULL), DRIFT_EXIT_USAGE);
    assert_int_equal(run_drift(NULL, good, good, "--what", "x", NULL), DRIFT_EXIT_USAGE);
    assert_int_equal(run_drift(NULL, good, good, "--json", NULL), DRIFT_EXIT_USAGE);
    assert_int_equal(run_drift(NULL, good, good, NULL), DRIFT_EXIT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(psi_matches_hand_computed_values),
        cmocka_unit_test(total_variation_is_half_the_l1_distance),
        cmocka_unit_test(bin_edges_sit_at_training_quantiles),
        cmocka_unit_test(duplicate_edges_collapse),
        cmocka_unit_test(numeric_psi_matches_hand_computed_value),
        cmocka_unit_test(ks_statistic_matches_hand_computed_values),
        cmocka_unit_test(ks_statistic_equals_brute_force),
        cmocka_unit_test(kolmogorov_distribution_matches_tables),
        cmocka_unit_test(ks_pvalue_uses_the_effective_sample_size),
        cmocka_unit_test(same_distribution_stays_under_thresholds),
        cmocka_unit_test(mean_shift_of_half_a_deviation_is_flagged),
        cmocka_unit_test(same_distribution_files_pass),
        cmocka_unit_test(planted_mean_shift_is_flagged),
        cmocka_unit_test(planted_category_shift_is_flagged),
        cmocka_unit_test(planted_null_rate_shift_is_flagged),
        cmocka_unit_test(text_in_a_numeric_column_is_a_type_drift),
        cmocka_unit_test(degenerate_columns_never_produce_nan),
        cmocka_unit_test(vectors_compare_by_norm_and_dimension),
        cmocka_unit_test(json_strings_are_escaped),
        cmocka_unit_test(features_and_ignore_select_columns),
        cmocka_unit_test(bad_input_exits_with_status_2),
    };
    return cmocka_run_group_tests(tests, make_temp_dir, remove_temp_dir);
}
