/*
 * bench_aggs.c - the cost of skewness/kurtosis and max_k/min_k on the
 * serving path, each against its peer measured in the same run: a float64
 * group over a 1-day sliding window read by
 *
 *   variance                    (exact sums of x, x^2)       the peer of
 *   variance, skewness, kurtosis (also x^3, x^4)
 *   percentile 0.5              (a sorted array)             the peer of
 *   percentile 0.5, max_k 10, min_k 10
 *
 * and the same four over hop: 1h. Users' events arrive in time order
 * (values with 3 to 6 significant digits, as prices), each user is read
 * after each of its events. Prints per program the ingest and read time
 * per event and the ratio to its peer. A hand-written program: no fdlc.
 *
 * Usage: bench_aggs [--quick] [--events N]   (default 400000; --quick 20000)
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdlrt.h"

#define DAY (INT64_C(86400) * FDL_MICROS_PER_SECOND)
#define HOUR (INT64_C(3600) * FDL_MICROS_PER_SECOND)
#define USERS 200

#define AGG(function, result, k, p) {function, DAY, result, k, p, 0, NULL}
static const fdl_agg_desc variance_only[] = {AGG(FDL_AGG_VARIANCE, FDL_FLOAT64, 0, 0)};
static const fdl_agg_desc with_shape[] = {AGG(FDL_AGG_VARIANCE, FDL_FLOAT64, 0, 0),
                                          AGG(FDL_AGG_SKEWNESS, FDL_FLOAT64, 0, 0),
                                          AGG(FDL_AGG_KURTOSIS, FDL_FLOAT64, 0, 0)};
static const fdl_agg_desc percentile_only[] = {AGG(FDL_AGG_PERCENTILE, FDL_FLOAT64, 0, 0.5)};
static const fdl_agg_desc with_k[] = {AGG(FDL_AGG_PERCENTILE, FDL_FLOAT64, 0, 0.5),
                                      AGG(FDL_AGG_MAX_K, FDL_VECTOR, 10, 0),
                                      AGG(FDL_AGG_MIN_K, FDL_VECTOR, 10, 0)};
/* hopped peers: percentile cannot hop; max / min are the tiles' peers */
static const fdl_agg_desc hop_extremes[] = {AGG(FDL_AGG_MAX, FDL_FLOAT64, 0, 0),
                                            AGG(FDL_AGG_MIN, FDL_FLOAT64, 0, 0)};
static const fdl_agg_desc hop_k[] = {AGG(FDL_AGG_MAX_K, FDL_VECTOR, 10, 0), AGG(FDL_AGG_MIN_K, FDL_VECTOR, 10, 0)};

typedef struct bench_case {
    const char *name;
    const fdl_agg_desc *aggs;
    int naggs;
    int64_t hop;
    int peer;                           /* index of the peer case, -1: none */
} bench_case;

#define CASE(name, aggs, hop, peer) {name, aggs, (int)(sizeof aggs / sizeof aggs[0]), hop, peer}
static const bench_case cases[] = {
    CASE("variance", variance_only, 0, -1),
    CASE("variance+skewness+kurtosis", with_shape, 0, 0),
    CASE("percentile", percentile_only, 0, -1),
    CASE("percentile+max_k+min_k (k 10)", with_k, 0, 2),
    CASE("hop 1h: variance", variance_only, HOUR, -1),
    CASE("hop 1h: variance+skewness+kurtosis", with_shape, HOUR, 4),
    CASE("hop 1h: max+min", hop_extremes, HOUR, -1),
    CASE("hop 1h: max_k+min_k (k 10)", hop_k, HOUR, 6),
};
enum { NCASES = sizeof cases / sizeof cases[0] };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Seconds per event for ingest and for reads; a checksum of what was read
 * (so that no read is optimized away). */
static void run(const bench_case *c, long events, double *ingest, double *read, double *checksum)
{
    fdl_group_desc group = {c->name, 0, 0, FDL_FLOAT64, c->naggs, c->aggs, FDL_NULL, c->hop};
    fdl_entity_desc entity = {"user", "user_id", FDL_INT64, 1, (const char *const[]){"user_id"},
                              (const fdl_type[]){FDL_INT64}};
    fdl_program program = {.abi_version = FDL_ABI_VERSION, .name = "bench_aggs", .fingerprint = "0",
                           .nentities = 1, .entities = &entity, .ngroups = 1, .groups = &group};
    fdl_store_options options = fdl_store_options_default();
    options.load_embeddings = false;
    fdl_error err;
    fdl_store *store = fdl_store_open(&program, &options, &err);
    if (!store) {
        fprintf(stderr, "bench_aggs: %s\n", err.message);
        exit(2);
    }
    rng_state = 0x9e3779b97f4a7c15u;    /* the same events for every case */
    double in = 0.0, out = 0.0, sum = 0.0;
    fdl_time t = 0;
    for (long i = 0; i < events; i++) {
        t += (fdl_time)(rng_next() % (uint64_t)(2 * DAY * USERS / events + 1));
        fdl_entity_state *e = fdl_store_entity(store, 0, fdl_int64((int64_t)(rng_next() % USERS)), true);
        double value = (double)(rng_next() % 1000000) / 100.0;
        double a = now();
        if (fdl_group_push(store, e, 0, t, fdl_float64(value)) != FDL_OK)
            exit(3);
        double b = now();
        for (int agg = 0; agg < c->naggs; agg++) {
            fdl_value v;
            if (fdl_group_read(store, e, 0, agg, t + 1, &v) != FDL_OK)
                exit(4);
            sum += v.type == FDL_FLOAT64 ? v.as.f : v.type == FDL_VECTOR && v.dim > 0 ? v.as.v[0] : 0.0;
        }
        double d = now();
        in += b - a;
        out += d - b;
    }
    fdl_store_close(store);
    *ingest = in / (double)events;
    *read = out / (double)events;
    *checksum = sum;
}

int main(int argc, char **argv)
{
    long events = 400000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            events = 20000;
        else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            events = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_aggs [--quick] [--events N]\n");
            return 2;
        }
    }
    if (events < 1)
        return 2;
    double ingest[NCASES], read[NCASES], checksum;
    printf("%ld events, %d users, 1-day windows; per event: ingest, then all the case's reads\n", events, USERS);
    for (int i = 0; i < NCASES; i++) {
        run(&cases[i], events, &ingest[i], &read[i], &checksum);
        printf("%-38s ingest %7.0f ns  read %7.0f ns", cases[i].name, ingest[i] * 1e9, read[i] * 1e9);
        if (cases[i].peer >= 0) {
            int p = cases[i].peer;
            printf("  x%.2f / x%.2f of %s", ingest[i] / ingest[p], read[i] / read[p], cases[p].name);
        }
        printf("  (checksum %.6g)\n", checksum);
    }
    return 0;
}
