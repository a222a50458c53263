/*
 * drift.h - `fdlc drift TRAIN.csv SERVING.csv`: per-feature comparison of a
 * training set with a sample of served feature vectors (training/serving
 * skew). One entry point for the driver, plus the statistics it is built on,
 * exposed so that unit tests can check them against hand-computed values.
 *
 * Exit status of drift_main: 0 no threshold crossed, 3 drift found,
 * 2 bad usage or input (missing file, malformed CSV, no common columns).
 */
#ifndef FDLC_DRIFT_H
#define FDLC_DRIFT_H

#include <stddef.h>

enum { DRIFT_EXIT_OK = 0, DRIFT_EXIT_USAGE = 2, DRIFT_EXIT_DRIFT = 3 };

/* A bin or category share below this is raised to it inside PSI, so that an
 * empty bin costs a large but finite amount instead of an infinite one. */
#define DRIFT_PSI_EPSILON 1e-4

/* argv holds the arguments after the word "drift" (argv[0] is the first
 * argument, not a program name). Returns the exit status. */
int drift_main(int argc, char **argv);

/*
 * Population stability index of two histograms over the same bins:
 * sum over bins of (s - t) * ln(s / t), with t = train[i] / sum(train) and
 * s = serving[i] / sum(serving), each floored at DRIFT_PSI_EPSILON.
 * Returns 0 when either histogram is empty (nothing to compare).
 */
double drift_psi_counts(const size_t *train, const size_t *serving, size_t nbins);

/*
 * Bin edges at the quantiles of a sorted training sample: candidate edge k
 * (k = 1..bins-1) is sorted[floor(k * n / bins)]; equal candidates collapse
 * into one (ties), so at most bins-1 distinct, increasing edges are written.
 * Bin 0 is (-inf, edges[0]), bin i is [edges[i-1], edges[i]), the last is
 * [edges[nedges-1], +inf). Returns nedges (0 when n == 0 or bins < 2).
 */
size_t drift_bin_edges(const double *sorted, size_t n, int bins, double *edges);

/* Index of the bin holding x, for edges from drift_bin_edges. */
size_t drift_bin_index(const double *edges, size_t nedges, double x);

/* PSI of two sorted samples over the training quantile bins. */
double drift_numeric_psi(const double *sorted_train, size_t ntrain,
                         const double *sorted_serving, size_t nserving, int bins);

/* Two-sample Kolmogorov-Smirnov statistic D = sup |F_a(x) - F_b(x)| of two
 * sorted samples, exact (ties handled: both sides step past equal values
 * before the difference is taken). 0 when either sample is empty. */
double drift_ks_statistic(const double *a, size_t n, const double *b, size_t m);

/* Survival function of the Kolmogorov distribution, Q(lambda) =
 * 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2), in [0, 1]. */
double drift_kolmogorov_sf(double lambda);

/* Asymptotic p-value of D for samples of sizes n and m:
 * Q((sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * D) with ne = n m / (n + m)
 * (Stephens' small-sample correction). 1 when either sample is empty. */
double drift_ks_pvalue(double d, size_t n, size_t m);

/* Total variation distance of two histograms: half the L1 distance of their
 * shares. 0 when either is empty. */
double drift_total_variation(const size_t *train, const size_t *serving, size_t nbins);

#endif
