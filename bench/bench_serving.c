/*
 * bench_serving.c - serving-path benchmark: ingest throughput and read
 * latency of the online store, on the seed example's generated code.
 *
 * The workload is generated in process with a fixed seed, in the shape of
 * bench/gen_seed_data.py: purchases and orders interleaved in time order over
 * a year (2% of the events arrive up to an hour late), skewed users (20% of
 * them make 80% of the events), skewed products. Then:
 *
 *   1. ingest every event as a row of strings (fdl_ingest_row: parses the
 *      timestamp and numbers) into store "now";
 *   2. ingest the same events as typed values (fdlfeatures_ingest_SOURCE, the
 *      application already holds native values) into store "history",
 *      opened with keep_history (which turns off eviction on ingest too:
 *      store "now" evicts as the newest event time moves on);
 *   3. read ranking_v1 for random (user, product) keys "now" (just after the
 *      last event) on store "now", twice with the same keys: in the first
 *      (cold) pass, the first read of an entity after the whole year of
 *      ingest builds its windows (the exact sum over 90 days of orders) and
 *      evicts the events no later read can see; the second (warm) pass finds
 *      the windows in place, as a service reading every few seconds would;
 *   4. read single features "now", warm (same keys): user_purchase_count_30d
 *      (windowed count, no embedding), user_avg_order_value_90d (windowed
 *      exact mean) and user_product_affinity (two embedding lookups and a
 *      cosine over 128 dimensions), to separate the costs inside the set;
 *   5. read ranking_v1 and user_purchase_count_30d at random times in the
 *      past on store "history" (cursor jumps: the window is rebuilt);
 *   6. time single random loads in a 512 MiB buffer: the machine's memory
 *      latency, the floor under every pointer the store chases.
 *
 * Each read is timed alone with clock_gettime(CLOCK_MONOTONIC); the figures
 * are percentiles of those latencies (the clock's own cost, some tens of ns,
 * is included) and reads/s over the whole phase. At the end the program
 * checks that both stores give the same count and mean for sampled keys
 * "now" (exit status 1 if not), so it measures work that gives right answers.
 *
 * Usage: bench_serving [--quick] [--embeddings DIR] [--purchases N]
 *                      [--orders N] [--users N] [--products N] [--reads N]
 *                      [--seed N]
 * --embeddings DIR loads DIR/user2vec_v3.csv and DIR/product2vec_v3.csv (as
 * written by gen_seed_data.py, keys u000000 and p00000); without it the
 * seed's small tables load from the definitions' paths and most keys have no
 * embedding (the hit rates are printed).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fdlfeatures.h"

/* ------------------------------------------------------------ parameters */

typedef struct bench_config {
    long purchases;
    long orders;
    long users;
    long products;
    long reads;
    uint64_t seed;
    const char *embedding_dir;      /* NULL: the definitions' default paths */
} bench_config;

static const char usage_text[] =
    "usage: bench_serving [--quick] [--embeddings DIR] [--purchases N] [--orders N]\n"
    "                     [--users N] [--products N] [--reads N] [--seed N]\n";

static void usage_error(const char *message, const char *arg)
{
    fprintf(stderr, "bench_serving: %s%s%s\n%s", message, arg ? ": " : "", arg ? arg : "",
            usage_text);
    exit(2);
}

static long parse_count(const char *option, const char *text)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || value < 1)
        usage_error("expected a positive integer after", option);
    return value;
}

static bench_config parse_args(int argc, char **argv)
{
    bench_config config = {
        .purchases = 1000000, .orders = 250000, .users = 100000, .products = 10000,
        .reads = 200000, .seed = 7, .embedding_dir = NULL,
    };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--quick") == 0) {
            /* Enough to run every phase, fast enough for a smoke test. */
            config.purchases = 20000;
            config.orders = 5000;
            config.users = 1000;
            config.products = 200;
            config.reads = 2000;
            continue;
        }
        if (strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (!value)
            usage_error("unknown option or missing value", arg);
        if (strcmp(arg, "--embeddings") == 0)
            config.embedding_dir = value;
        else if (strcmp(arg, "--purchases") == 0)
            config.purchases = parse_count(arg, value);
        else if (strcmp(arg, "--orders") == 0)
            config.orders = parse_count(arg, value);
        else if (strcmp(arg, "--users") == 0)
            config.users = parse_count(arg, value);
        else if (strcmp(arg, "--products") == 0)
            config.products = parse_count(arg, value);
        else if (strcmp(arg, "--reads") == 0)
            config.reads = parse_count(arg, value);
        else if (strcmp(arg, "--seed") == 0)
            config.seed = (uint64_t)parse_count(arg, value);
        else
            usage_error("unknown option", arg);
        i++;
    }
    if (config.users > 999999 || config.products > 99999)
        usage_error("at most 999999 users and 99999 products (the key formats)", NULL);
    return config;
}

/* ------------------------------------------------------------- utilities */

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size);
    if (!p) {
        fprintf(stderr, "bench_serving: out of memory\n");
        exit(2);
    }
    return p;
}

static void fail(const char *what, const fdl_error *err)
{
    fprintf(stderr, "bench_serving: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this process: with wall time, shows how much of a phase the
 * machine's other load took (wall / CPU = 1.0 when the benchmark ran alone). */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t now_nanoseconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xoshiro-style generators are overkill here: splitmix64 is fast, has a
 * 64-bit state that a seed fills directly, and is fully reproducible. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [0, n). The modulo bias is below 2^-40 for the sizes used. */
static uint64_t rng_below(uint64_t n)
{
    return rng_next() % n;
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) * 0x1.0p-53;
}

/* 80% of the picks among the first fifth of the keys: heavy and light users. */
static uint32_t rng_skewed(long n)
{
    long head = n / 5 > 0 ? n / 5 : 1;
    return (uint32_t)(rng_unit() < 0.8 ? rng_below((uint64_t)head) : rng_below((uint64_t)n));
}

/* ------------------------------------------------------------- the workload */

/* Room for any long, so the compiler can prove no truncation. */
enum { KEY_SIZE = 24 };
static const char *const categories[] = {"electronics", "clothing", "food", "other"};

/* One event in native form; the string form is made from it. */
typedef struct bench_event {
    fdl_time time;
    uint32_t user;
    uint32_t product;       /* purchases only */
    double amount;          /* purchases.amount or orders.total_amount; NAN = null */
    uint8_t category;       /* purchases only */
    uint8_t is_order;
} bench_event;

/* The events as rows of strings: fields of event i start at text + offset[i]
 * and are separated by NULs; an empty field is null. */
typedef struct string_rows {
    char *text;
    size_t *offset;
} string_rows;

typedef struct workload {
    long nevents;
    bench_event *events;
    string_rows rows;
    char (*user_keys)[KEY_SIZE];
    char (*product_keys)[KEY_SIZE];
    fdl_time first_time;
    fdl_time last_time;
    long late_events;
} workload;

static const fdl_time year_micros = INT64_C(365) * 86400 * FDL_MICROS_PER_SECOND;
static const fdl_time hour_micros = INT64_C(3600) * FDL_MICROS_PER_SECOND;

static void make_events(workload *w, const bench_config *config)
{
    w->nevents = config->purchases + config->orders;
    w->events = xcalloc((size_t)w->nevents, sizeof *w->events);
    w->first_time = INT64_C(1704067200) * FDL_MICROS_PER_SECOND;   /* 2024-01-01T00:00:00Z */
    w->last_time = FDL_TIME_MIN;
    fdl_time slot = year_micros / w->nevents;
    long orders_so_far = 0;
    for (long i = 0; i < w->nevents; i++) {
        bench_event *e = &w->events[i];
        /* Orders spread evenly through the stream, exact counts of each. */
        long orders_by_next = (long)((i + 1) * (int64_t)config->orders / w->nevents);
        e->is_order = orders_by_next > orders_so_far;
        orders_so_far = orders_by_next;
        /* Whole seconds, as in the files; one slot per event keeps time order. */
        fdl_time t = w->first_time + slot * i + (fdl_time)rng_below((uint64_t)slot);
        if (rng_unit() < 0.02) {
            t -= (fdl_time)rng_below((uint64_t)hour_micros);
            w->late_events++;
        }
        e->time = t - t % FDL_MICROS_PER_SECOND;
        if (e->time > w->last_time)
            w->last_time = e->time;
        e->user = rng_skewed(config->users);
        if (e->is_order) {
            e->amount = rng_unit() < 0.02 ? NAN : (double)(1 + rng_below(1000000)) / 64.0;
        } else {
            e->product = rng_skewed(config->products);
            e->amount = rng_unit() < 0.02 ? NAN : (double)(100 + rng_below(49900)) / 100.0;
            e->category = (uint8_t)rng_below(4);
        }
    }
}

/* Appends text and a NUL to a growing buffer. */
static void append_field(char **buf, size_t *len, size_t *cap, const char *text, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 1 << 20;
        char *grown = realloc(*buf, *cap);
        if (!grown) {
            fprintf(stderr, "bench_serving: out of memory\n");
            exit(2);
        }
        *buf = grown;
    }
    memcpy(*buf + *len, text, n);
    (*buf)[*len + n] = '\0';
    *len += n + 1;
}

/*
 * Formats every event's fields in its source's field order (taken from the
 * program tables by name, so a reordered catalog still gets the right
 * columns).
 */
static const char *const purchases_columns[] = {"ts", "user_id", "product_id", "amount", "category"};
static const char *const orders_columns[] = {"ordered_at", "order_id", "user_id", "total_amount"};

static void field_text(const workload *w, const bench_event *e, int64_t order_id,
                       const char *column, char *buf, size_t size)
{
    buf[0] = '\0';
    if (strcmp(column, "ts") == 0 || strcmp(column, "ordered_at") == 0)
        fdl_format_time(e->time, buf, size);
    else if (strcmp(column, "user_id") == 0)
        snprintf(buf, size, "%s", w->user_keys[e->user]);
    else if (strcmp(column, "product_id") == 0)
        snprintf(buf, size, "%s", w->product_keys[e->product]);
    else if (strcmp(column, "order_id") == 0)
        snprintf(buf, size, "%" PRId64, order_id);
    else if (strcmp(column, "category") == 0)
        snprintf(buf, size, "%s", categories[e->category]);
    else if (isnan(e->amount)) {
        /* amount or total_amount, null: the empty field */
    } else if (e->is_order)
        fdl_format_float(e->amount, buf, size);     /* total_amount: n/64, exact */
    else
        snprintf(buf, size, "%.2f", e->amount);     /* amount: cents */
}

static void make_string_rows(workload *w, const fdl_program *program, int purchases, int orders)
{
    size_t len = 0, cap = 0;
    w->rows.text = NULL;
    w->rows.offset = xcalloc((size_t)w->nevents, sizeof *w->rows.offset);
    int64_t order_id = 0;
    char buf[64];
    for (long i = 0; i < w->nevents; i++) {
        const bench_event *e = &w->events[i];
        const fdl_source_desc *source = &program->sources[e->is_order ? orders : purchases];
        if (e->is_order)
            order_id++;
        w->rows.offset[i] = len;
        for (int f = 0; f < source->nfields; f++) {
            field_text(w, e, order_id, source->fields[f].name, buf, sizeof buf);
            append_field(&w->rows.text, &len, &cap, buf, strlen(buf));
        }
    }
}

static void make_keys(workload *w, const bench_config *config)
{
    w->user_keys = xcalloc((size_t)config->users, sizeof *w->user_keys);
    w->product_keys = xcalloc((size_t)config->products, sizeof *w->product_keys);
    for (long u = 0; u < config->users; u++)
        snprintf(w->user_keys[u], KEY_SIZE, "u%06ld", u);
    for (long p = 0; p < config->products; p++)
        snprintf(w->product_keys[p], KEY_SIZE, "p%05ld", p);
}

static void free_workload(workload *w)
{
    free(w->events);
    free(w->rows.text);
    free(w->rows.offset);
    free(w->user_keys);
    free(w->product_keys);
}

/* Checks that the program has the columns this benchmark fills. */
static void check_source(const fdl_program *program, int source, const char *const *columns,
                         int ncolumns)
{
    if (source < 0) {
        fprintf(stderr, "bench_serving: the program lacks a source this benchmark needs\n");
        exit(2);
    }
    const fdl_source_desc *desc = &program->sources[source];
    if (desc->nfields != ncolumns) {
        fprintf(stderr, "bench_serving: source %s has %d fields, expected %d\n", desc->name,
                desc->nfields, ncolumns);
        exit(2);
    }
    for (int f = 0; f < desc->nfields; f++) {
        bool known = false;
        for (int c = 0; c < ncolumns; c++)
            known = known || strcmp(desc->fields[f].name, columns[c]) == 0;
        if (!known) {
            fprintf(stderr, "bench_serving: source %s: unexpected field %s\n", desc->name,
                    desc->fields[f].name);
            exit(2);
        }
    }
}

/* ---------------------------------------------------------------- stores */

static double load_embeddings(fdl_store *store, const bench_config *config, bool print)
{
    const fdl_program *program = fdl_store_program(store);
    double total = 0;
    for (int e = 0; e < program->nembeddings; e++) {
        char path[4096];
        if (config->embedding_dir)
            snprintf(path, sizeof path, "%s/%s.csv", config->embedding_dir,
                     program->embeddings[e].name);
        else
            snprintf(path, sizeof path, "%s", program->embeddings[e].default_path);
        fdl_error err = {0};
        double start = now_seconds();
        if (fdl_store_load_embedding(store, e, path, &err) != FDL_OK)
            fail("loading an embedding table", &err);
        double seconds = now_seconds() - start;
        total += seconds;
        if (print)
            printf("embedding %-15s %s: loaded in %.3f s\n", program->embeddings[e].name, path,
                   seconds);
    }
    return total;
}

static fdl_store *open_store(const bench_config *config, bool keep_history, bool print)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    options.load_embeddings = false;    /* loaded below, from --embeddings when given */
    fdl_error err = {0};
    fdl_store *store = fdl_store_open(fdlfeatures_program(), &options, &err);
    if (!store)
        fail("fdl_store_open", &err);
    load_embeddings(store, config, print);
    return store;
}

static void print_throughput(const char *what, long events, double seconds, double cpu)
{
    printf("%-42s %8ld events in %7.3f s: %9.0f events/s, %6.0f ns/event, wall/CPU %.2f\n",
           what, events, seconds, (double)events / seconds, seconds * 1e9 / (double)events,
           seconds / cpu);
}

static void ingest_strings(fdl_store *store, const workload *w, int purchases, int orders)
{
    const fdl_program *program = fdl_store_program(store);
    const char *fields[8];
    size_t lengths[8];
    double cpu = cpu_seconds();
    double start = now_seconds();
    for (long i = 0; i < w->nevents; i++) {
        int source = w->events[i].is_order ? orders : purchases;
        const char *p = w->rows.text + w->rows.offset[i];
        for (int f = 0; f < program->sources[source].nfields; f++) {
            size_t n = strlen(p);
            fields[f] = n ? p : NULL;
            lengths[f] = n;
            p += n + 1;
        }
        fdl_error err = {0};
        if (fdl_ingest_row(store, source, fields, lengths, &err) != FDL_OK)
            fail("fdl_ingest_row", &err);
    }
    print_throughput("ingest rows of strings (fdl_ingest_row)", w->nevents, now_seconds() - start,
                     cpu_seconds() - cpu);
}

static void ingest_typed(fdl_store *store, const workload *w)
{
    int64_t order_id = 0;
    double cpu = cpu_seconds();
    double start = now_seconds();
    for (long i = 0; i < w->nevents; i++) {
        const bench_event *e = &w->events[i];
        const char *user = w->user_keys[e->user];
        fdl_value amount = isnan(e->amount) ? fdl_null() : fdl_float64(e->amount);
        fdl_error err = {0};
        fdl_status status;
        if (e->is_order) {
            fdlfeatures_event_orders event = {
                .ordered_at = fdl_timestamp(e->time),
                .order_id = fdl_int64(++order_id),
                .user_id = fdl_string(user, strlen(user)),
                .total_amount = amount,
            };
            status = fdlfeatures_ingest_orders(store, &event, &err);
        } else {
            const char *product = w->product_keys[e->product];
            const char *category = categories[e->category];
            fdlfeatures_event_purchases event = {
                .ts = fdl_timestamp(e->time),
                .user_id = fdl_string(user, strlen(user)),
                .product_id = fdl_string(product, strlen(product)),
                .amount = amount,
                .category = fdl_string(category, strlen(category)),
            };
            status = fdlfeatures_ingest_purchases(store, &event, &err);
        }
        if (status != FDL_OK)
            fail("fdlfeatures_ingest_*", &err);
    }
    print_throughput("ingest typed events (fdlfeatures_ingest_*)", w->nevents,
                     now_seconds() - start, cpu_seconds() - cpu);
}

static void print_store(const char *name, const fdl_store *store)
{
    fdl_store_stats s;
    fdl_store_get_stats(store, &s);
    printf("store %-8s entities %" PRIu64 ", events held %" PRIu64 ", evicted %" PRIu64
           ", out of order %" PRIu64 ", late %" PRIu64 "\n",
           name, s.entities, s.events_held, s.events_evicted, s.events_out_of_order,
           s.events_late);
    /* The store's own accounting (bytes_held): entity states, events and
     * hash maps, not malloc's overhead. Per entity and per event held are
     * both the whole divided by one count: read them as an upper bound. */
    printf("store %-8s %" PRIu64 " bytes held (%.1f MiB), %.0f bytes per entity, %.0f per event "
           "held; %" PRIu64 " entities dropped once empty\n",
           name, s.bytes_held, (double)s.bytes_held / (1024.0 * 1024.0),
           s.entities ? (double)s.bytes_held / (double)s.entities : 0.0,
           s.events_held ? (double)s.bytes_held / (double)s.events_held : 0.0, s.entities_dropped);
}

/* ----------------------------------------------------------------- reads */

/* One timed read: a set or a single feature, keys in the read's order. */
typedef struct read_target {
    const char *label;
    int set;                /* >= 0: fdl_read_set */
    int feature;            /* >= 0: fdl_read_feature */
    int nkeys;
    bool keys_user_product[2];  /* per key position: true = user, false = product */
} read_target;

typedef struct read_plan {
    long n;
    uint32_t *user;
    uint32_t *product;
    fdl_time *time;
} read_plan;

static read_plan make_plan(const bench_config *config, const workload *w, bool historical)
{
    read_plan plan = {
        .n = config->reads,
        .user = xcalloc((size_t)config->reads, sizeof(uint32_t)),
        .product = xcalloc((size_t)config->reads, sizeof(uint32_t)),
        .time = xcalloc((size_t)config->reads, sizeof(fdl_time)),
    };
    /* "Now" is just after the last event: the wall clock would see none. */
    fdl_time now = w->last_time + FDL_MICROS_PER_SECOND;
    for (long i = 0; i < plan.n; i++) {
        plan.user[i] = rng_skewed(config->users);
        plan.product[i] = rng_skewed(config->products);
        plan.time[i] = historical ? w->first_time + (fdl_time)rng_below((uint64_t)(now - w->first_time))
                                  : now;
    }
    return plan;
}

static void free_plan(read_plan *plan)
{
    free(plan->user);
    free(plan->product);
    free(plan->time);
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted latencies, in microseconds. */
static double percentile_us(const int64_t *sorted, long n, double p)
{
    long rank = (long)ceil(p * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

static void print_read_header(void)
{
    printf("\n%-46s %8s %10s %8s %8s %8s %8s %9s %9s\n", "reads (latency in microseconds)", "n",
           "reads/s", "p50", "p90", "p99", "p99.9", "max", "wall/CPU");
}

/* Runs the plan's reads on target, prints the latency distribution; returns
 * how many results had a non-null value at position check (for hit rates). */
static long run_reads(fdl_store *store, const read_target *target, const read_plan *plan,
                      const workload *w, int check)
{
    int64_t *latency = xcalloc((size_t)plan->n, sizeof *latency);
    fdl_value keys[2], out[16];
    long non_null = 0;
    double cpu = cpu_seconds();
    double start = now_seconds();
    for (long i = 0; i < plan->n; i++) {
        for (int k = 0; k < target->nkeys; k++) {
            const char *key = target->keys_user_product[k] ? w->user_keys[plan->user[i]]
                                                           : w->product_keys[plan->product[i]];
            keys[k] = fdl_string(key, strlen(key));
        }
        fdl_error err = {0};
        int64_t t0 = now_nanoseconds();
        fdl_status status = target->set >= 0
            ? fdl_read_set(store, target->set, keys, plan->time[i], out, &err)
            : fdl_read_feature(store, target->feature, keys, plan->time[i], out, &err);
        int64_t t1 = now_nanoseconds();
        if (status != FDL_OK)
            fail(target->label, &err);
        latency[i] = t1 - t0;
        non_null += !fdl_is_null(out[check]);
    }
    double seconds = now_seconds() - start;
    cpu = cpu_seconds() - cpu;
    qsort(latency, (size_t)plan->n, sizeof *latency, compare_int64);
    printf("%-46s %8ld %10.0f %8.2f %8.2f %8.2f %8.2f %9.1f %9.2f\n", target->label, plan->n,
           (double)plan->n / seconds, percentile_us(latency, plan->n, 0.50),
           percentile_us(latency, plan->n, 0.90), percentile_us(latency, plan->n, 0.99),
           percentile_us(latency, plan->n, 0.999), (double)latency[plan->n - 1] / 1000.0,
           seconds / cpu);
    free(latency);
    return non_null;
}

/*
 * Both stores hold the same events, so "now" they must agree on the windowed
 * features (count and the exact mean) for every key: a benchmark of wrong
 * answers would be worthless. Reading "now" on the history store also leaves
 * its cursors where a real service's would be.
 */
static void check_stores_agree(fdl_store *a, fdl_store *b, const bench_config *config,
                               const workload *w, int count_feature, int mean_feature)
{
    fdl_time now = w->last_time + FDL_MICROS_PER_SECOND;
    long samples = config->users < 1000 ? config->users : 1000;
    for (long i = 0; i < samples; i++) {
        long u = (long)rng_below((uint64_t)config->users);
        fdl_value key = fdl_string(w->user_keys[u], strlen(w->user_keys[u]));
        int features[2] = {count_feature, mean_feature};
        for (int f = 0; f < 2; f++) {
            fdl_value x, y;
            fdl_error err = {0};
            if (fdl_read_feature(a, features[f], &key, now, &x, &err) != FDL_OK ||
                fdl_read_feature(b, features[f], &key, now, &y, &err) != FDL_OK)
                fail("check read", &err);
            bool same = x.type == y.type &&
                        (x.type == FDL_NULL || (x.type == FDL_INT64 && x.as.i == y.as.i) ||
                         (x.type == FDL_FLOAT64 && x.as.f == y.as.f));
            if (!same) {
                fprintf(stderr, "bench_serving: stores disagree on %s for %s\n",
                        fdlfeatures_program()->features[features[f]].name, w->user_keys[u]);
                exit(1);
            }
        }
    }
}

/*
 * The machine's own random-access latency: single loads at random offsets
 * of a buffer as large as the stores, timed like the reads. The reads chase
 * a few such pointers each (hash slot, entity, group, events, embedding
 * rows), so this bounds what any store could do here; on virtual machines
 * its tail (TLB refills through the hypervisor) shows up in the reads' p99.
 */
static void print_memory_latency(size_t megabytes, long probes)
{
    size_t size = megabytes << 20;
    unsigned char *buffer = malloc(size);
    if (!buffer) {
        printf("memory latency: no memory for a %zu MiB probe\n", megabytes);
        return;
    }
    memset(buffer, 1, size);    /* touch every page first: no page faults below */
    int64_t *latency = xcalloc((size_t)probes, sizeof *latency);
    unsigned sum = 0;
    uint64_t workload_state = rng_state;    /* the workload stays the same with or without the probe */
    for (long i = 0; i < probes; i++) {
        size_t offset = (size_t)rng_below(size);
        int64_t t0 = now_nanoseconds();
        sum += *(volatile unsigned char *)(buffer + offset);
        int64_t t1 = now_nanoseconds();
        latency[i] = t1 - t0;
    }
    rng_state = workload_state;
    qsort(latency, (size_t)probes, sizeof *latency, compare_int64);
    printf("memory latency, one random load in %zu MiB (clock included, %u loads): p50 %.2f "
           "p99 %.2f p99.9 %.2f us\n", megabytes, sum, percentile_us(latency, probes, 0.50),
           percentile_us(latency, probes, 0.99), percentile_us(latency, probes, 0.999));
    free(latency);
    free(buffer);
}

/* ------------------------------------------------------------------ main */

static void print_machine(void)
{
    char model[256] = "unknown";
    FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
    if (cpuinfo) {
        char line[512];
        while (fgets(line, sizeof line, cpuinfo)) {
            const char *colon = strchr(line, ':');
            if (strncmp(line, "model name", 10) == 0 && colon) {
                snprintf(model, sizeof model, "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(cpuinfo);
    }
    printf("machine: %ld CPUs online, %s\n", sysconf(_SC_NPROCESSORS_ONLN), model);
#ifdef __OPTIMIZE__
    printf("build: optimized\n");
#else
    printf("build: NOT optimized (configure with -DCMAKE_BUILD_TYPE=Release): figures are not meaningful\n");
#endif
}

static int find(int index, const char *what, const char *name)
{
    if (index < 0) {
        fprintf(stderr, "bench_serving: the program has no %s %s\n", what, name);
        exit(2);
    }
    return index;
}

int main(int argc, char **argv)
{
    bench_config config = parse_args(argc, argv);
    rng_state = config.seed;
    const fdl_program *program = fdlfeatures_program();
    int purchases = fdl_program_source(program, "purchases");
    int orders = fdl_program_source(program, "orders");
    check_source(program, purchases, purchases_columns, 5);
    check_source(program, orders, orders_columns, 4);
    int ranking = find(fdl_program_set(program, "ranking_v1"), "set", "ranking_v1");
    int count_30d = find(fdl_program_feature(program, "user_purchase_count_30d"), "feature",
                         "user_purchase_count_30d");
    int mean_90d = find(fdl_program_feature(program, "user_avg_order_value_90d"), "feature",
                        "user_avg_order_value_90d");
    int affinity = find(fdl_program_feature(program, "user_product_affinity"), "feature",
                        "user_product_affinity");

    print_machine();
    workload w = {0};
    make_keys(&w, &config);
    make_events(&w, &config);
    make_string_rows(&w, program, purchases, orders);
    printf("workload: %ld purchases + %ld orders = %ld events over 365 days (%ld late by up to "
           "1 h), %ld users, %ld products; %ld reads per phase\n",
           config.purchases, config.orders, w.nevents, w.late_events, config.users,
           config.products, config.reads);

    fdl_store *now_store = open_store(&config, false, true);
    fdl_store *history_store = open_store(&config, true, false);
    printf("\n");
    ingest_strings(now_store, &w, purchases, orders);
    ingest_typed(history_store, &w);
    print_store("now", now_store);

    /* The set's keys are user then product (checked, not assumed). */
    const fdl_set_desc *set = &program->sets[ranking];
    int user_entity = fdl_program_entity(program, "user");
    read_target set_target = {.set = ranking, .feature = -1, .nkeys = set->nentities};
    for (int k = 0; k < set->nentities && k < 2; k++)
        set_target.keys_user_product[k] = set->entities[k] == user_entity;
    read_target count_target = {.set = -1, .feature = count_30d, .nkeys = 1,
                                .keys_user_product = {true, false}};
    const fdl_feature_desc *affinity_desc = &program->features[affinity];
    read_target affinity_target = {.set = -1, .feature = affinity, .nkeys = 2};
    for (int k = 0; k < affinity_desc->nentities && k < 2; k++)
        affinity_target.keys_user_product[k] = affinity_desc->entities[k] == user_entity;

    read_plan now_plan = make_plan(&config, &w, false);
    read_plan past_plan = make_plan(&config, &w, true);
    int affinity_position = -1;
    for (int f = 0; f < set->nfeatures; f++)
        if (set->features[f] == affinity)
            affinity_position = f;

    print_read_header();
    set_target.label = "set ranking_v1 @now, cold (1st pass)";
    long hits = run_reads(now_store, &set_target, &now_plan, &w,
                          affinity_position >= 0 ? affinity_position : 0);
    set_target.label = "set ranking_v1 @now, warm (same keys again)";
    run_reads(now_store, &set_target, &now_plan, &w, 0);
    count_target.label = "feature user_purchase_count_30d @now";
    run_reads(now_store, &count_target, &now_plan, &w, 0);
    read_target mean_target = {.label = "feature user_avg_order_value_90d @now", .set = -1,
                               .feature = mean_90d, .nkeys = 1, .keys_user_product = {true, false}};
    run_reads(now_store, &mean_target, &now_plan, &w, 0);
    affinity_target.label = "feature user_product_affinity @now";
    run_reads(now_store, &affinity_target, &now_plan, &w, 0);
    set_target.label = "set ranking_v1 @random past (keep_history)";
    run_reads(history_store, &set_target, &past_plan, &w, 0);
    count_target.label = "feature user_purchase_count_30d @random past";
    run_reads(history_store, &count_target, &past_plan, &w, 0);

    check_stores_agree(now_store, history_store, &config, &w, count_30d, mean_90d);
    printf("\naffinity non-null (both embeddings found): %.1f%% of reads\n",
           100.0 * (double)hits / (double)now_plan.n);
    print_store("now", now_store);
    print_store("history", history_store);
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        printf("peak RSS: %.0f MiB (both stores and the workload)\n", (double)usage.ru_maxrss / 1024.0);

    free_plan(&now_plan);
    free_plan(&past_plan);
    fdl_store_close(now_store);
    fdl_store_close(history_store);
    free_workload(&w);
    /* Last, after the peak RSS above, which its buffer would otherwise set. */
    print_memory_latency(config.users >= 10000 ? 512 : 16, config.reads);
    return 0;
}
