/*
 * bench_hop.c - memory held by an exact sliding window and by the same
 * window with hop: (tiles), on the serving path.
 *
 * A hand-written program (no fdlc needed) with one float64 group read by
 * count, sum, mean, max and stddev over 30 days, twice: exact, and hopped
 * by one hour. Events for many users arrive over 45 days (2% up to an hour
 * late); every user is read every 6 simulated hours, so both stores evict
 * what no later read can see. The program prints, per store, the events
 * and tiles held at the end and the heap in use (mallinfo2: small blocks
 * plus mmapped ones), with ingest and read times (a hopped read merges its
 * window's 720 tiles: O(W/H) per read); then checks that the hopped reads equal the
 * exact reads at the hour boundaries they are defined by (exit status 1 if
 * not), so it measures work that gives the documented answers.
 *
 * Usage: bench_hop [--quick] [--users N] [--events-per-user-day N]
 * (defaults: 100 users, 500 events per user and day; --quick: 20 and 100)
 */
#define _POSIX_C_SOURCE 200809L

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdlrt.h"

#define DAY (INT64_C(86400) * FDL_MICROS_PER_SECOND)
#define HOUR (INT64_C(3600) * FDL_MICROS_PER_SECOND)
#define READ_EVERY (6 * HOUR)

#define AGG(function, result) {function, 30 * DAY, result, 0, 0.0, 0, NULL}
#define AGGS(hopped)                                                                  \
    {AGG(FDL_AGG_COUNT, FDL_INT64), AGG(FDL_AGG_SUM, FDL_FLOAT64),                    \
     AGG(FDL_AGG_MEAN, FDL_FLOAT64), AGG(FDL_AGG_MAX, FDL_FLOAT64),                   \
     AGG(FDL_AGG_STDDEV, FDL_FLOAT64)}
enum { NAGGS = 5 };
static const fdl_agg_desc exact_aggs[] = AGGS(0);
static const fdl_agg_desc hop_aggs[] = AGGS(1);
static const fdl_group_desc exact_group[] = {{"spend 30d", 0, 0, FDL_FLOAT64, NAGGS, exact_aggs, FDL_NULL, 0}};
static const fdl_group_desc hop_group[] = {{"spend 30d hop 1h", 0, 0, FDL_FLOAT64, NAGGS, hop_aggs, FDL_NULL, HOUR}};
static const fdl_entity_desc entities[] = {{"user", "user_id", FDL_INT64, 1, (const char *const[]){"user_id"},
                                            (const fdl_type[]){FDL_INT64}}};

static fdl_store *open_store(const fdl_program *program)
{
    fdl_store_options options = fdl_store_options_default();
    options.load_embeddings = false;
    fdl_error err;
    fdl_store *store = fdl_store_open(program, &options, &err);
    if (!store) {
        fprintf(stderr, "bench_hop: %s\n", err.message);
        exit(2);
    }
    return store;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;       /* large arrays are mmapped */
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct run_result {
    fdl_store_stats stats;
    size_t heap;                        /* bytes in use after the run, minus before */
    double ingest_seconds, read_seconds;
    long reads;
} run_result;

/* The events: per user and day, a few purchases at random times. */
typedef struct bench_event { fdl_time time; int64_t user; double amount; } bench_event;

static int by_arrival(const void *a, const void *b)
{
    fdl_time x = ((const bench_event *)a)->time, y = ((const bench_event *)b)->time;
    return (x > y) - (x < y);
}

static void run(const fdl_program *program, const bench_event *events, long nevents, long users,
                int days, run_result *out, fdl_value *last_values)
{
    size_t before = heap_in_use();
    fdl_store *store = open_store(program);
    memset(out, 0, sizeof *out);
    long next = 0;
    for (fdl_time hour = READ_EVERY; hour <= days * DAY; hour += READ_EVERY) {
        double start = seconds_now();
        for (; next < nevents && events[next].time < hour; next++) {
            fdl_entity_state *e = fdl_store_entity(store, 0, fdl_int64(events[next].user), true);
            /* Arrival order: the array is sorted by arrival, time may lag an hour. */
            if (fdl_group_push(store, e, 0, events[next].time, fdl_float64(events[next].amount)) != FDL_OK)
                exit(2);
        }
        double middle = seconds_now();
        out->ingest_seconds += middle - start;
        /* Each user read every 6 hours, at the hour: both stores evict. */
        for (int64_t u = 0; u < users; u++) {
            fdl_entity_state *e = fdl_store_entity(store, 0, fdl_int64(u), false);
            for (int a = 0; a < NAGGS; a++) {
                fdl_value v;
                if (fdl_group_read(store, e, 0, a, hour, &v) != FDL_OK)
                    exit(2);
                if (hour == days * DAY)
                    last_values[u * NAGGS + a] = v;
                out->reads++;
            }
        }
        out->read_seconds += seconds_now() - middle;
    }
    fdl_store_get_stats(store, &out->stats);
    out->heap = heap_in_use() - before;
    fdl_store_close(store);
}

int main(int argc, char **argv)
{
    long users = 100, per_day = 500;
    int days = 45;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            users = 20;
            per_day = 100;
            days = 35;
        } else if (strcmp(argv[i], "--users") == 0 && i + 1 < argc) {
            users = atol(argv[++i]);
        } else if (strcmp(argv[i], "--events-per-user-day") == 0 && i + 1 < argc) {
            per_day = atol(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_hop [--quick] [--users N] [--events-per-user-day N]\n");
            return 2;
        }
    }
    long nevents = users * per_day * days;
    bench_event *events = malloc((size_t)nevents * sizeof *events);
    fdl_value *exact_values = calloc((size_t)(users * NAGGS), sizeof *exact_values);
    fdl_value *hop_values = calloc((size_t)(users * NAGGS), sizeof *hop_values);
    if (!events || !exact_values || !hop_values)
        return 2;
    for (long i = 0; i < nevents; i++) {
        events[i].user = (int64_t)(rng_next() % (uint64_t)users);
        events[i].time = (fdl_time)(rng_next() % (uint64_t)(days * DAY));
        events[i].amount = (double)(rng_next() % 100000) / 100.0;
    }
    /* Arrival: by time, except that 2% arrive up to an hour late. */
    qsort(events, (size_t)nevents, sizeof *events, by_arrival);
    for (long i = 0; i < nevents; i++)
        if (rng_next() % 50 == 0) {
            long j = i + (long)(rng_next() % 64);
            if (j < nevents && events[j].time - events[i].time < HOUR) {
                bench_event swap = events[i];
                events[i] = events[j];
                events[j] = swap;
            }
        }

    const fdl_program exact = {.abi_version = FDL_ABI_VERSION, .name = "exact", .fingerprint = "0",
                               .nentities = 1, .entities = entities, .ngroups = 1, .groups = exact_group};
    fdl_program hopped = exact;
    hopped.name = "hopped";
    hopped.groups = hop_group;
    run_result r[2];
    run(&exact, events, nevents, users, days, &r[0], exact_values);
    run(&hopped, events, nevents, users, days, &r[1], hop_values);

    printf("%ld users, %ld events over %d days, window 30d; each user read every 6 hours\n",
           users, nevents, days);
    printf("%-16s %12s %12s %14s %10s %10s\n", "store", "events_held", "tiles_held", "heap bytes",
           "ingest s", "reads/s");
    const char *names[] = {"exact 30d", "30d hop 1h"};
    for (int k = 0; k < 2; k++)
        printf("%-16s %12llu %12llu %14zu %10.3f %10.0f\n", names[k],
               (unsigned long long)r[k].stats.events_held, (unsigned long long)r[k].stats.tiles_held,
               r[k].heap, r[k].ingest_seconds, (double)r[k].reads / r[k].read_seconds);
    /* At the end (a whole hour), the hopped window is the exact one. */
    int differences = 0;
    for (long i = 0; i < users * NAGGS; i++) {
        fdl_value a = exact_values[i], b = hop_values[i];
        if (a.type != b.type || (a.type == FDL_INT64 && a.as.i != b.as.i) ||
            (a.type == FDL_FLOAT64 && memcmp(&a.as.f, &b.as.f, sizeof a.as.f) != 0))
            differences++;
    }
    printf("final reads (at a whole hour): %d of %ld differ between exact and hopped\n",
           differences, users * NAGGS);
    free(events);
    free(exact_values);
    free(hop_values);
    return differences ? 1 : 0;
}
