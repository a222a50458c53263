/*
 * bench_snapshot.c - store snapshots on the seed data set (docs/snapshots.md):
 * what `fdlc materialize` costs, what a snapshot weighs per event, and how
 * long saving and restoring take, against the alternative a restart has
 * without one: replaying every event through fdl_ingest_row.
 *
 *   1. materialize: fdl_materialize over DIR/purchases.csv and DIR/orders.csv
 *      (read, checked, sorted, pushed into one store, saved): the snapshot;
 *   2. replay (the peer): the same rows, read and sorted by time here, then
 *      timed alone: every row through fdl_ingest_row into a fresh store;
 *   3. restore: the snapshot into a fresh store (fdl_store_restore: read,
 *      CRCs, decode), three times, the best kept;
 *   4. save: the restored store to a file (fdl_store_save: encode, write,
 *      fsync, rename), three times, the best kept;
 *   5. check: ranking_v1 for sampled keys at the last event + 1 s, on the
 *      restored and the replayed store: the same bits, or exit status 1.
 *
 * Figures: seconds, MB/s, bytes per event ingested and per event held.
 * Embedding tables (DIR/user2vec_v3.csv, DIR/product2vec_v3.csv) load
 * before each store is timed (they are not in snapshots).
 *
 * Usage: bench_snapshot --data DIR --work DIR [--samples N]
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fdlfeatures.h"
#include "internal.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const fdl_error *err)
{
    fprintf(stderr, "bench_snapshot: %s: %s\n", what, err ? err->message : "failed");
    exit(2);
}

static char data_dir[4096], work_dir[4096];

static fdl_store *open_store(void)
{
    const fdl_program *p = fdlfeatures_program();
    fdl_store_options options = fdl_store_options_default();
    options.load_embeddings = false;
    fdl_error err;
    fdl_store *store = fdl_store_open(p, &options, &err);
    if (!store)
        die("open", &err);
    for (int e = 0; e < p->nembeddings; e++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%s.csv", data_dir, p->embeddings[e].name);
        if (fdl_store_load_embedding(store, e, path, &err) != FDL_OK)
            die(path, &err);
    }
    return store;
}

/* ---------------------------------------------------------- the rows */

typedef struct row {
    fdl_time time;
    int source;
    size_t order;               /* source, then file order: ties keep it */
    char **fields;              /* the source's fields, in program order */
    size_t *lengths;
} row;

static row *rows;
static size_t nrows, rows_capacity;

static void read_source(int s, const char *file)
{
    const fdl_source_desc *src = &fdlfeatures_program()->sources[s];
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", data_dir, file);
    fdl_error err;
    fdl_csv_reader *reader = fdl_csv_open(path, &err);
    if (!reader)
        die(path, &err);
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int n, column[64];
    if (fdl_csv_next(reader, &fields, &lengths, &quoted, &n, &err) != 1 || src->nfields > 64)
        die(path, &err);
    for (int f = 0; f < src->nfields; f++) {
        column[f] = -1;
        for (int c = 0; c < n; c++)
            if (strlen(src->fields[f].name) == lengths[c] && memcmp(src->fields[f].name, fields[c], lengths[c]) == 0)
                column[f] = c;
        if (column[f] < 0)
            die(path, NULL);
    }
    int result;
    while ((result = fdl_csv_next(reader, &fields, &lengths, &quoted, &n, &err)) == 1) {
        if (nrows == rows_capacity) {
            rows_capacity = rows_capacity ? rows_capacity * 2 : 1 << 16;
            rows = realloc(rows, rows_capacity * sizeof *rows);
            if (!rows)
                die("out of memory", NULL);
        }
        row *r = &rows[nrows];
        r->source = s;
        r->order = nrows++;
        r->fields = malloc((size_t)src->nfields * sizeof *r->fields);
        r->lengths = malloc((size_t)src->nfields * sizeof *r->lengths);
        for (int f = 0; f < src->nfields; f++) {
            int c = column[f];
            r->lengths[f] = lengths[c];
            r->fields[f] = malloc(lengths[c] + 1);
            memcpy(r->fields[f], fields[c], lengths[c]);
            r->fields[f][lengths[c]] = 0;
        }
        int t = src->time_field;
        if (fdl_parse_time(r->fields[t], r->lengths[t], &r->time, &err) != FDL_OK)
            die(path, &err);
    }
    if (result < 0)
        die(path, &err);
    fdl_csv_close(reader);
}

static int by_time(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static double replay(fdl_store *store)
{
    fdl_error err;
    double start = now_seconds();
    for (size_t i = 0; i < nrows; i++)
        if (fdl_ingest_row(store, rows[i].source, (const char *const *)rows[i].fields, rows[i].lengths,
                           &err) != FDL_OK)
            die("ingest", &err);
    return now_seconds() - start;
}

/* ------------------------------------------------------------ checks */

static bool same_value(fdl_value a, fdl_value b)
{
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case FDL_NULL: return true;
    case FDL_FLOAT64: return memcmp(&a.as.f, &b.as.f, sizeof a.as.f) == 0;
    case FDL_VECTOR:
        return a.dim == b.dim && memcmp(a.as.v, b.as.v, (size_t)a.dim * sizeof(double)) == 0;
    case FDL_STRING:
        return a.as.s.len == b.as.s.len && memcmp(a.as.s.ptr, b.as.s.ptr, a.as.s.len) == 0;
    default: return a.as.i == b.as.i;
    }
}

/* ranking_v1 for the keys of sampled rows, on both stores. */
static long compare_reads(fdl_store *a, fdl_store *b, fdl_time t, long samples)
{
    const fdl_program *p = fdlfeatures_program();
    int set = fdl_program_set(p, "ranking_v1");
    int n = p->sets[set].nfeatures;
    fdl_value *va = calloc((size_t)n, sizeof *va), *vb = calloc((size_t)n, sizeof *vb);
    long differences = 0;
    for (long k = 0; k < samples; k++) {
        const row *r = &rows[(size_t)k * 7919 % nrows];
        if (r->source != fdl_program_source(p, "purchases"))
            continue;
        fdl_value keys[2] = {fdl_string(r->fields[1], r->lengths[1]), fdl_string(r->fields[2], r->lengths[2])};
        fdl_error err;
        if (fdl_read_set(a, set, keys, t, va, &err) != FDL_OK || fdl_read_set(b, set, keys, t, vb, &err) != FDL_OK)
            die("read", &err);
        for (int i = 0; i < n; i++)
            differences += !same_value(va[i], vb[i]);
    }
    free(va);
    free(vb);
    return differences;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int main(int argc, char **argv)
{
    long samples = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--data") == 0)
            snprintf(data_dir, sizeof data_dir, "%s", argv[i + 1]);
        else if (strcmp(argv[i], "--work") == 0)
            snprintf(work_dir, sizeof work_dir, "%s", argv[i + 1]);
        else if (strcmp(argv[i], "--samples") == 0)
            samples = atol(argv[i + 1]);
    }
    if (!data_dir[0] || !work_dir[0]) {
        fprintf(stderr, "usage: bench_snapshot --data DIR --work DIR [--samples N]\n");
        return 2;
    }
    const fdl_program *p = fdlfeatures_program();
    mkdir(work_dir, 0777);
    char purchases[4300], orders[4300], snapshot[4300], again[4300];
    snprintf(purchases, sizeof purchases, "%s/purchases.csv", data_dir);
    snprintf(orders, sizeof orders, "%s/orders.csv", data_dir);
    snprintf(snapshot, sizeof snapshot, "%s/materialized.fdls", work_dir);
    snprintf(again, sizeof again, "%s/saved.fdls", work_dir);

    /* 1. materialize */
    fdl_batch_source sources[] = {{"purchases", purchases}, {"orders", orders}};
    char user_table[4300], product_table[4300];
    snprintf(user_table, sizeof user_table, "%s/user2vec_v3.csv", data_dir);
    snprintf(product_table, sizeof product_table, "%s/product2vec_v3.csv", data_dir);
    fdl_batch_embedding embeddings[] = {{"user2vec_v3", user_table}, {"product2vec_v3", product_table}};
    fdl_materialize_options mo = {.sources = sources, .nsources = 2, .embeddings = embeddings,
                                  .nembeddings = 2, .snapshot_path = snapshot};
    fdl_batch_stats ms;
    fdl_error err;
    if (fdl_materialize(p, &mo, &ms, &err) != FDL_OK)
        die("materialize", &err);
    printf("materialize: %" PRIu64 " rows in %.2f s (read and check %.2f, sort %.2f, ingest %.2f, save %.2f)\n",
           ms.events, ms.seconds, ms.read_seconds, ms.sort_seconds, ms.replay_seconds, ms.write_seconds);

    /* 2. replay, the peer */
    read_source(fdl_program_source(p, "purchases"), "purchases.csv");
    read_source(fdl_program_source(p, "orders"), "orders.csv");
    qsort(rows, nrows, sizeof *rows, by_time);
    fdl_store *replayed = open_store();
    double replay_seconds = replay(replayed);
    fdl_store_stats rs;
    fdl_store_get_stats(replayed, &rs);

    /* 3. restore (best of 3) */
    double restore_seconds = 1e30;
    fdl_store *restored = NULL;
    for (int k = 0; k < 3; k++) {
        fdl_store_close(restored);
        restored = open_store();
        double start = now_seconds();
        if (fdl_store_restore(restored, snapshot, NULL, &err) != FDL_OK)
            die("restore", &err);
        double s = now_seconds() - start;
        restore_seconds = s < restore_seconds ? s : restore_seconds;
    }
    /* 4. save (best of 3) */
    double save_seconds = 1e30;
    for (int k = 0; k < 3; k++) {
        double start = now_seconds();
        if (fdl_store_save(restored, again, 0, &err) != FDL_OK)
            die("save", &err);
        double s = now_seconds() - start;
        save_seconds = s < save_seconds ? s : save_seconds;
    }
    fdl_store_stats st;
    fdl_store_get_stats(restored, &st);
    long bytes = file_size(again);
    double mb = (double)bytes / 1e6;
    printf("state: %" PRIu64 " events ingested, %" PRIu64 " held, %" PRIu64 " entities, %" PRIu64
           " bytes held in memory\n", st.events_ingested, st.events_held, st.entities, st.bytes_held);
    printf("snapshot: %ld bytes = %.1f bytes per event ingested, %.1f per event held\n", bytes,
           (double)bytes / (double)st.events_ingested, (double)bytes / (double)(st.events_held ? st.events_held : 1));
    printf("save:    %.3f s (%.0f MB/s, fsync included)\n", save_seconds, mb / save_seconds);
    printf("restore: %.3f s (%.0f MB/s)\n", restore_seconds, mb / restore_seconds);
    printf("replay (peer): %zu rows through fdl_ingest_row in %.3f s: restore is %.1fx faster\n", nrows,
           replay_seconds, replay_seconds / restore_seconds);

    /* 5. check */
    fdl_time last = rows[nrows - 1].time + FDL_MICROS_PER_SECOND;
    long differences = compare_reads(restored, replayed, last, samples);
    printf("check: ranking_v1 for %ld sampled rows' keys, restored vs replayed: %ld differences\n", samples,
           differences);
    if (rs.events_ingested != st.events_ingested) {
        printf("check: %" PRIu64 " events replayed, %" PRIu64 " in the snapshot\n", rs.events_ingested,
               st.events_ingested);
        differences++;
    }
    fdl_store_close(restored);
    fdl_store_close(replayed);
    return differences ? 1 : 0;
}
