/*
 * test_snapshot.c - fdl_store_save / fdl_store_restore (runtime/snapshot.c):
 * a store that ingested a prefix, saved and restored into a new store,
 * then ingested the rest, answers every read exactly as (bit for bit) the
 * store that ingested everything, for every aggregation kind (exact,
 * lifetime, hopped, by-groups, strings, sketches), with and without
 * watermark eviction; and a damaged, truncated or foreign snapshot is an
 * error naming the file and the offset, never a crash.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fdlrt.h"
#include "snapshot.h"

/* ------------------------------------------------------ the test program */

enum { W_SHORT = 100, W_LONG = 1000, HOP = 50 };

#define NUMERIC_AGGS_FOR(w)                                                                        \
    {FDL_AGG_COUNT, w, FDL_INT64, 0, 0, 0, NULL}, {FDL_AGG_SUM, w, FDL_FLOAT64, 0, 0, 0, NULL},    \
    {FDL_AGG_MEAN, w, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_MIN, w, FDL_FLOAT64, 0, 0, 0, NULL},   \
    {FDL_AGG_MAX, w, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_FIRST, w, FDL_FLOAT64, 0, 0, 0, NULL},  \
    {FDL_AGG_LAST, w, FDL_FLOAT64, 0, 0, 0, NULL},                                                 \
    {FDL_AGG_VARIANCE, w, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_STDDEV, w, FDL_FLOAT64, 0, 0, 0, NULL}, \
    {FDL_AGG_COUNT_DISTINCT, w, FDL_INT64, 0, 0, 0, NULL},                                         \
    {FDL_AGG_FIRST_K, w, FDL_VECTOR, 3, 0, 0, NULL}, {FDL_AGG_LAST_K, w, FDL_VECTOR, 4, 0, 0, NULL}, \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.3, 0, NULL},                                         \
    {FDL_AGG_PERCENTILE, w, FDL_VECTOR, 0, 0, 2, (const double[]){0.1, 0.9}},                      \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.5, 0, NULL},                                  \
    {FDL_AGG_TOP_K, w, FDL_STRING, 2, 0, 0, NULL}
#define STRING_AGGS_FOR(w)                                                                         \
    {FDL_AGG_COUNT, w, FDL_INT64, 0, 0, 0, NULL}, {FDL_AGG_COUNT_DISTINCT, w, FDL_INT64, 0, 0, 0, NULL}, \
    {FDL_AGG_MIN, w, FDL_STRING, 0, 0, 0, NULL}, {FDL_AGG_MAX, w, FDL_STRING, 0, 0, 0, NULL},      \
    {FDL_AGG_FIRST, w, FDL_STRING, 0, 0, 0, NULL}, {FDL_AGG_LAST, w, FDL_STRING, 0, 0, 0, NULL},   \
    {FDL_AGG_TOP_K, w, FDL_STRING, 3, 0, 0, NULL}
#define HOP_AGGS_FOR(w)                                                                            \
    {FDL_AGG_COUNT, w, FDL_INT64, 0, 0, 0, NULL}, {FDL_AGG_SUM, w, FDL_FLOAT64, 0, 0, 0, NULL},    \
    {FDL_AGG_MEAN, w, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_MIN, w, FDL_FLOAT64, 0, 0, 0, NULL},   \
    {FDL_AGG_MAX, w, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_FIRST, w, FDL_FLOAT64, 0, 0, 0, NULL},  \
    {FDL_AGG_LAST, w, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_STDDEV, w, FDL_FLOAT64, 0, 0, 0, NULL}, \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.9, 0, NULL},                                  \
    {FDL_AGG_APPROX_COUNT_DISTINCT, w, FDL_INT64, 0, 0, 0, NULL}

static const fdl_agg_desc numeric_aggs[] = {
    NUMERIC_AGGS_FOR(0), NUMERIC_AGGS_FOR(W_SHORT), NUMERIC_AGGS_FOR(W_LONG),
    {FDL_AGG_APPROX_COUNT_DISTINCT, 0, FDL_INT64, 0, 0, 0, NULL}};
static const fdl_agg_desc int_aggs[] = {
    {FDL_AGG_COUNT, 0, FDL_INT64, 0, 0, 0, NULL}, {FDL_AGG_SUM, 0, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_SUM, W_SHORT, FDL_INT64, 0, 0, 0, NULL}, {FDL_AGG_MEAN, W_LONG, FDL_FLOAT64, 0, 0, 0, NULL},
    {FDL_AGG_MIN, 0, FDL_INT64, 0, 0, 0, NULL}, {FDL_AGG_MAX, W_SHORT, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_VARIANCE, 0, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_COUNT_DISTINCT, 0, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_PERCENTILE, 0, FDL_FLOAT64, 0, 0.5, 0, NULL}, {FDL_AGG_LAST_K, 0, FDL_VECTOR, 5, 0, 0, NULL}};
static const fdl_agg_desc string_aggs[] = {STRING_AGGS_FOR(0), STRING_AGGS_FOR(W_SHORT)};
static const fdl_agg_desc hop_aggs[] = {HOP_AGGS_FOR(HOP * 2), HOP_AGGS_FOR(HOP * 10)};
static const fdl_agg_desc by_aggs[] = {
    {FDL_AGG_MIN_BY, 0, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_MAX_BY, 0, FDL_FLOAT64, 0, 0, 0, NULL},
    {FDL_AGG_MIN_BY, W_SHORT, FDL_FLOAT64, 0, 0, 0, NULL}, {FDL_AGG_MAX_BY, W_LONG, FDL_FLOAT64, 0, 0, 0, NULL}};
static const fdl_agg_desc hop_by_aggs[] = {{FDL_AGG_MAX_BY, HOP * 4, FDL_FLOAT64, 0, 0, 0, NULL}};
static const fdl_agg_desc count_aggs[] = {{FDL_AGG_COUNT, W_SHORT, FDL_INT64, 0, 0, 0, NULL},
                                          {FDL_AGG_COUNT, 0, FDL_INT64, 0, 0, 0, NULL}};

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
enum { G_FLOAT, G_INT, G_STRING, G_HOP, G_BY, G_HOP_BY, G_COUNT, NGROUPS };
static const fdl_group_desc groups[] = {
    {"float", 0, 0, FDL_FLOAT64, COUNT_OF(numeric_aggs), numeric_aggs, FDL_NULL, 0},
    {"int", 0, 0, FDL_INT64, COUNT_OF(int_aggs), int_aggs, FDL_NULL, 0},
    {"string", 1, 0, FDL_STRING, COUNT_OF(string_aggs), string_aggs, FDL_NULL, 0},
    {"hop", 0, 0, FDL_FLOAT64, COUNT_OF(hop_aggs), hop_aggs, FDL_NULL, HOP},
    {"by", 1, 0, FDL_FLOAT64, COUNT_OF(by_aggs), by_aggs, FDL_INT64, 0},
    {"hop by", 0, 0, FDL_FLOAT64, COUNT_OF(hop_by_aggs), hop_by_aggs, FDL_FLOAT64, HOP},
    {"count", 1, 0, FDL_NULL, COUNT_OF(count_aggs), count_aggs, FDL_NULL, 0},
};
static const fdl_entity_desc entities[] = {
    {"user", "user_id", FDL_INT64, 1, (const char *const[]){"user_id"}, (const fdl_type[]){FDL_INT64}},
    {"item", "item_id", FDL_STRING, 1, (const char *const[]){"item_id"}, (const fdl_type[]){FDL_STRING}},
};
static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "snapshot_test", .fingerprint = "abc123",
    .nentities = 2, .entities = entities, .ngroups = NGROUPS, .groups = groups,
};
static const fdl_program other_program = {
    .abi_version = FDL_ABI_VERSION, .name = "snapshot_test", .fingerprint = "def456",
    .nentities = 2, .entities = entities, .ngroups = NGROUPS, .groups = groups,
};

/* ------------------------------------------------------------- helpers */

static char snapshot_path[256];

static int setup(void **state)
{
    (void)state;
    snprintf(snapshot_path, sizeof snapshot_path, "%s/test_snapshot_%ld.fdls", FDL_BINARY_DIR,
             (long)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(snapshot_path);
    return 0;
}

static fdl_store *open_store(const fdl_program *p, int64_t lateness)
{
    fdl_store_options options = fdl_store_options_default();
    options.load_embeddings = false;
    options.lateness = lateness;
    fdl_error err;
    fdl_store *store = fdl_store_open(p, &options, &err);
    if (!store)
        fail_msg("open: %s", err.message);
    return store;
}

static uint64_t rng_state;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* One event for every group: a user and an item, values derived from i. */
typedef struct test_event {
    fdl_time time;
    int64_t user;
    char item[8];
    double amount;
    int64_t quantity;
    char label[8];
} test_event;

static test_event *make_events(int n, uint64_t seed)
{
    test_event *events = calloc((size_t)n, sizeof *events);
    rng_state = seed;
    fdl_time t = 1000;
    for (int i = 0; i < n; i++) {
        test_event *e = &events[i];
        t += (fdl_time)(next_random() % 7);
        /* Mostly in order; some late by up to 300. */
        e->time = next_random() % 10 == 0 ? t - (fdl_time)(next_random() % 300) : t;
        e->user = (int64_t)(next_random() % 5);
        snprintf(e->item, sizeof e->item, "i%d", (int)(next_random() % 4));
        int r = (int)(next_random() % 1000);
        e->amount = r % 17 == 0 ? -0.0 : (r - 500) / 8.0 + (r % 3 ? 0.1 : 1e17);
        e->quantity = (int64_t)(next_random() % 20) - 5;
        snprintf(e->label, sizeof e->label, "%c%c", 'a' + (int)(next_random() % 5), 'x' + r % 2);
    }
    return events;
}

static void push_event(fdl_store *store, const test_event *e)
{
    fdl_store_note_event(store);
    fdl_entity_state *u = fdl_store_entity(store, 0, fdl_int64(e->user), true);
    assert_int_equal(fdl_group_push(store, u, G_FLOAT, e->time, fdl_float64(e->amount)), FDL_OK);
    assert_int_equal(fdl_group_push(store, u, G_INT, e->time, fdl_int64(e->quantity)), FDL_OK);
    assert_int_equal(fdl_group_push(store, u, G_HOP, e->time, fdl_float64(e->amount)), FDL_OK);
    assert_int_equal(fdl_group_push_by(store, u, G_HOP_BY, e->time, fdl_float64(e->amount),
                                       fdl_float64((double)e->quantity)), FDL_OK);
    fdl_entity_state *item = fdl_store_entity(store, 1, fdl_string(e->item, strlen(e->item)), true);
    assert_int_equal(fdl_group_push(store, item, G_STRING, e->time,
                                    fdl_string(e->label, strlen(e->label))), FDL_OK);
    assert_int_equal(fdl_group_push_by(store, item, G_BY, e->time, fdl_float64(e->amount),
                                       fdl_int64(e->quantity)), FDL_OK);
    assert_int_equal(fdl_group_push(store, item, G_COUNT, e->time, fdl_null()), FDL_OK);
}

/* Appends every read of every key at t to out (text: the values' bits). */
static void read_all(fdl_store *store, fdl_time t, FILE *out)
{
    for (int g = 0; g < NGROUPS; g++)
        for (int key = 0; key < 5; key++) {
            char item[8];
            snprintf(item, sizeof item, "i%d", key);
            fdl_entity_state *e = groups[g].entity == 0
                                      ? fdl_store_entity(store, 0, fdl_int64(key), false)
                                      : fdl_store_entity(store, 1, fdl_string(item, strlen(item)), false);
            for (int a = 0; a < groups[g].naggs; a++) {
                fdl_value v;
                fdl_status status = fdl_group_read(store, e, g, a, t, &v);
                fprintf(out, "g%d k%d a%d t%lld s%d:", g, key, a, (long long)t, status);
                if (status != FDL_OK) {
                    fputc('\n', out);
                    continue;
                }
                switch (v.type) {
                case FDL_INT64: fprintf(out, "i%lld", (long long)v.as.i); break;
                case FDL_FLOAT64: fprintf(out, "f%a", v.as.f); break;
                case FDL_STRING: fprintf(out, "s%.*s", (int)v.as.s.len, v.as.s.ptr); break;
                case FDL_VECTOR:
                    for (int i = 0; i < v.dim; i++)
                        fprintf(out, "%a,", v.as.v[i]);
                    break;
                default: fprintf(out, "n%d", v.type); break;
                }
                fputc('\n', out);
            }
        }
}

/* Ingests events [from, to), reading everything now and then (reads move
 * cursors and evict). */
static void run(fdl_store *store, const test_event *events, int from, int to, FILE *out)
{
    for (int i = from; i < to; i++) {
        push_event(store, &events[i]);
        if (i % 97 == 0)
            read_all(store, events[i].time + 1, out);
    }
}

static void save(const fdl_store *store, uint64_t tag)
{
    fdl_error err;
    if (fdl_store_save(store, snapshot_path, tag, &err) != FDL_OK)
        fail_msg("save: %s", err.message);
}

static fdl_store *restored(const fdl_program *p, int64_t lateness, uint64_t want_tag)
{
    fdl_store *store = open_store(p, lateness);
    fdl_error err;
    uint64_t tag = 0;
    if (fdl_store_restore(store, snapshot_path, &tag, &err) != FDL_OK)
        fail_msg("restore: %s", err.message);
    assert_int_equal(tag, want_tag);
    return store;
}

static char *text_of(FILE *f, size_t *size)
{
    fflush(f);
    long n = ftell(f);
    char *text = malloc((size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = 0;
    *size = (size_t)n;
    return text;
}

/* --------------------------------------------------------------- tests */

/* Prefix, save, restore, the rest == everything, at several cut points
 * and latenesses (the default hour: no watermark eviction here; 150 and
 * 0: entities expire, groups evict by the watermark). */
static void check_split(int n, int cut, int64_t lateness, uint64_t seed)
{
    test_event *events = make_events(n, seed);
    FILE *whole = tmpfile(), *split = tmpfile();
    fdl_store *all = open_store(&program, lateness);
    run(all, events, 0, n, whole);
    for (fdl_time t = events[n - 1].time + 1; t < events[n - 1].time + 1500; t += 250)
        read_all(all, t, whole);
    fdl_store_stats all_stats;
    fdl_store_get_stats(all, &all_stats);

    fdl_store *first = open_store(&program, lateness);
    run(first, events, 0, cut, split);
    fdl_store_stats before;
    fdl_store_get_stats(first, &before);
    save(first, (uint64_t)cut);
    fdl_store_close(first);
    fdl_store *second = restored(&program, lateness, (uint64_t)cut);
    fdl_store_stats after;
    fdl_store_get_stats(second, &after);
    assert_int_equal(after.entities, before.entities);
    assert_int_equal(after.events_held, before.events_held);
    assert_int_equal(after.tiles_held, before.tiles_held);
    assert_int_equal(after.events_ingested, before.events_ingested);
    assert_int_equal(after.events_evicted, before.events_evicted);
    run(second, events, cut, n, split);
    for (fdl_time t = events[n - 1].time + 1; t < events[n - 1].time + 1500; t += 250)
        read_all(second, t, split);
    fdl_store_stats second_stats;
    fdl_store_get_stats(second, &second_stats);
    assert_int_equal(second_stats.events_ingested, all_stats.events_ingested);

    size_t whole_size, split_size;
    char *a = text_of(whole, &whole_size), *b = text_of(split, &split_size);
    assert_true(whole_size > 1000);
    if (whole_size != split_size || memcmp(a, b, whole_size) != 0) {
        size_t i = 0;
        while (i < whole_size && i < split_size && a[i] == b[i])
            i++;
        while (i > 0 && a[i - 1] != '\n')
            i--;
        fail_msg("cut %d lateness %lld: reads differ at\n  all:   %.120s\n  split: %.120s", cut,
                 (long long)lateness, a + i, b + i);
    }
    free(a);
    free(b);
    fclose(whole);
    fclose(split);
    fdl_store_close(all);
    fdl_store_close(second);
    free(events);
}

static void test_restore_continues_bit_identically(void **state)
{
    (void)state;
    const int64_t latenesses[] = {FDL_STORE_DEFAULT_LATENESS, 150, 0};
    for (size_t l = 0; l < 3; l++)
        for (int cut = 0; cut <= 2000; cut += 400)
            check_split(2000, cut, latenesses[l], 0x9e3779b97f4a7c15u + (uint64_t)cut);
}

static void test_empty_store_round_trip(void **state)
{
    (void)state;
    fdl_store *store = open_store(&program, 0);
    save(store, 7);
    fdl_store_close(store);
    store = restored(&program, 0, 7);
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.entities, 0);
    fdl_store_close(store);
}

/* Restores bytes (NULL: the file) and expects an error saying want. */
static void expect_error_in(const fdl_program *p, const unsigned char *data, size_t size,
                            const char *want)
{
    fdl_store *store = open_store(p, 0);
    fdl_error err;
    uint64_t tag = 99;
    fdl_status status = data ? fdl_store_restore_buffer(store, data, size, snapshot_path, &tag, &err)
                             : fdl_store_restore(store, snapshot_path, &tag, &err);
    assert_int_not_equal(status, FDL_OK);
    if (!strstr(err.message, want) || !strstr(err.message, snapshot_path))
        fail_msg("error '%s' does not say '%s' and name the file", err.message, want);
    assert_int_equal(tag, 0);
    /* The store is still fresh and usable. */
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.entities, 0);
    test_event e = {2000, 1, "i1", 1.5, 2, "ab"};
    push_event(store, &e);
    fdl_store_close(store);
}

static void expect_error(const fdl_program *p, const char *want)
{
    expect_error_in(p, NULL, 0, want);
}

static unsigned char *file_bytes(size_t *size)
{
    FILE *f = fopen(snapshot_path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    rewind(f);
    unsigned char *data = malloc(*size);
    assert_int_equal(fread(data, 1, *size, f), *size);
    fclose(f);
    return data;
}

static void write_bytes(const unsigned char *data, size_t size)
{
    FILE *f = fopen(snapshot_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
}

static void test_bad_snapshots_are_refused(void **state)
{
    (void)state;
    test_event *events = make_events(300, 42);
    fdl_store *store = open_store(&program, 150);
    FILE *sink = tmpfile();
    run(store, events, 0, 300, sink);
    fclose(sink);
    save(store, 5);
    size_t size;
    unsigned char *good = file_bytes(&size);

    /* Other definitions. */
    expect_error(&other_program, "other definitions");
    /* Not fresh. */
    fdl_error err;
    assert_int_equal(fdl_store_restore(store, snapshot_path, NULL, &err), FDL_ERR_ARGUMENT);
    fdl_store_close(store);

    /* Every truncation. */
    for (size_t n = 0; n < size; n += n < 64 ? 1 : 37)
        expect_error_in(&program, good, n, "offset");
    write_bytes(good, size - 1);
    expect_error(&program, "truncated");
    /* Flipped bytes: each is a CRC (or magic/version) error. */
    for (size_t at = 0; at < size; at += 53) {
        unsigned char *bad = malloc(size);
        memcpy(bad, good, size);
        bad[at] ^= 0x5a;
        expect_error_in(&program, bad, size, at < 8 ? "magic" : "offset");
        free(bad);
    }
    /* A whole, valid record out of its place: the expectations' record
     * again after the entities began (each record's CRC still holds). */
    size_t at = 16, c_at = 0, c_len = 0;
    for (int k = 0; k < 3; k++) {
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = (len << 8) | good[at + 1 + (size_t)i];
        if (k == 2) {
            c_at = at;
            c_len = 9 + (size_t)len + 4;
        }
        at += 9 + (size_t)len + 4;
    }
    assert_int_equal(good[c_at], 'C');
    unsigned char *moved = malloc(size + c_len);
    memcpy(moved, good, at);
    memcpy(moved + at, good + c_at, c_len);
    memcpy(moved + at + c_len, good + at, size - at);
    expect_error_in(&program, moved, size + c_len, "after the entities began");
    free(moved);
    /* Trailing garbage. */
    unsigned char *longer = malloc(size + 3);
    memcpy(longer, good, size);
    memcpy(longer + size, "xyz", 3);
    expect_error_in(&program, longer, size + 3, "after the end record");
    free(longer);
    /* A missing file. */
    unlink(snapshot_path);
    store = open_store(&program, 0);
    assert_int_equal(fdl_store_restore(store, snapshot_path, NULL, &err), FDL_ERR_IO);
    fdl_store_close(store);
    free(good);
    free(events);
}

/* The file is replaced whole (temporary + rename): a failed save leaves
 * the old one. */
static void test_save_replaces_atomically(void **state)
{
    (void)state;
    fdl_store *store = open_store(&program, 0);
    save(store, 1);
    fdl_error err;
    assert_int_not_equal(fdl_store_save(store, "/nonexistent-dir/x.fdls", 2, &err), FDL_OK);
    assert_non_null(strstr(err.message, "/nonexistent-dir/x.fdls"));
    fdl_store_close(store);
    fdl_store_close(restored(&program, 0, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restore_continues_bit_identically, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_store_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_snapshots_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_replaces_atomically, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
