/*
 * metrics.c - fdl-server's counters and GET /metrics in the Prometheus
 * text format (version 0.0.4): requests and errors by endpoint, latency
 * histograms, rows pushed/accepted/dropped/failed, expectation
 * violations, what the store holds, and the WAL's state. Counters are
 * relaxed atomics: a scrape may see one request counted and not yet its
 * latency, never a torn number.
 */
#define _GNU_SOURCE

#include <stdlib.h>
#include <string.h>

#include "server.h"

/* Bucket upper bounds: 50 us doubling to about 1.6 s. */
static double bucket_bound(int b)
{
    return 50e-6 * (double)(1u << b);
}

static const char *const endpoint_names[EP_COUNT] = {
    "/get-online-features", "/push", "/health", "/ready", "/metrics", "/schema", "other",
};

const char *endpoint_name(endpoint e)
{
    return endpoint_names[e];
}

void metrics_observe(metrics *m, endpoint e, int status, uint64_t nanoseconds)
{
    atomic_fetch_add_explicit(&m->requests[e], 1, memory_order_relaxed);
    if (status >= 400)
        atomic_fetch_add_explicit(&m->errors[e], 1, memory_order_relaxed);
    int b = 0;
    while (b < LATENCY_BUCKETS && (double)nanoseconds * 1e-9 > bucket_bound(b))
        b++;
    atomic_fetch_add_explicit(&m->latency[e][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_ns[e], nanoseconds, memory_order_relaxed);
}

static void counter(FILE *out, const char *name, const char *help, uint64_t value)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
            (unsigned long long)value);
}

static void gauge(FILE *out, const char *name, const char *help, double value)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, value);
}

static void write_requests(FILE *out, metrics *m)
{
    fputs("# HELP fdl_requests_total HTTP requests answered, by endpoint.\n"
          "# TYPE fdl_requests_total counter\n", out);
    for (int e = 0; e < EP_COUNT; e++)
        fprintf(out, "fdl_requests_total{endpoint=\"%s\"} %llu\n", endpoint_names[e],
                (unsigned long long)atomic_load(&m->requests[e]));
    fputs("# HELP fdl_request_errors_total Requests answered 4xx or 5xx, by endpoint.\n"
          "# TYPE fdl_request_errors_total counter\n", out);
    for (int e = 0; e < EP_COUNT; e++)
        fprintf(out, "fdl_request_errors_total{endpoint=\"%s\"} %llu\n", endpoint_names[e],
                (unsigned long long)atomic_load(&m->errors[e]));
    fputs("# HELP fdl_request_seconds Time from a request's headers to its answer, by endpoint.\n"
          "# TYPE fdl_request_seconds histogram\n", out);
    for (int e = 0; e < EP_COUNT; e++) {
        uint64_t cumulative = 0;
        for (int b = 0; b <= LATENCY_BUCKETS; b++) {
            cumulative += atomic_load(&m->latency[e][b]);
            if (b < LATENCY_BUCKETS)
                fprintf(out, "fdl_request_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                        endpoint_names[e], bucket_bound(b), (unsigned long long)cumulative);
            else
                fprintf(out, "fdl_request_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                        endpoint_names[e], (unsigned long long)cumulative);
        }
        fprintf(out, "fdl_request_seconds_sum{endpoint=\"%s\"} %.9f\n", endpoint_names[e],
                (double)atomic_load(&m->latency_sum_ns[e]) * 1e-9);
        fprintf(out, "fdl_request_seconds_count{endpoint=\"%s\"} %llu\n", endpoint_names[e],
                (unsigned long long)cumulative);
    }
}

/* What the store counts, read under the server lock. */
typedef struct store_figures {
    fdl_store_stats stats;
    uint64_t violations;
    wal_stats wal;              /* its counters change under the same lock */
} store_figures;

static void read_store(server *s, store_figures *f)
{
    pthread_mutex_lock(&s->lock);
    fdl_store_get_stats(s->store, &f->stats);
    f->violations = 0;
    for (int src = 0; src < s->program->nsources; src++)
        for (int k = 0; k < s->program->sources[src].nchecks; k++)
            f->violations += fdl_store_check_violations(s->store, src, k);
    wal_get_stats(s->wal, &f->wal);
    pthread_mutex_unlock(&s->lock);
}

void api_metrics(server *s, reply *r)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) {
        reply_error(r, 500, "out of memory");
        return;
    }
    metrics *m = &s->metrics;
    write_requests(out, m);
    counter(out, "fdl_rows_pushed_total", "Rows received by /push.", atomic_load(&m->rows_pushed));
    counter(out, "fdl_rows_accepted_total", "Rows accepted (in the WAL and the store).",
            atomic_load(&m->rows_accepted));
    counter(out, "fdl_rows_dropped_total", "Rows a drop expectation dropped.", atomic_load(&m->rows_dropped));
    counter(out, "fdl_rows_failed_total", "Rows refused (a fail expectation, a bad field).",
            atomic_load(&m->rows_failed));
    counter(out, "fdl_auth_failures_total", "Requests refused 401.", atomic_load(&m->auth_failures));
    gauge(out, "fdl_ready", "1 once recovered and serving.", atomic_load(&s->ready) ? 1 : 0);
    if (atomic_load(&s->ready)) {
        store_figures f;
        read_store(s, &f);
        counter(out, "fdl_expectation_violations_total", "Expectation violations since start.", f.violations);
        counter(out, "fdl_events_ingested_total", "Events the store took (replay included).",
                f.stats.events_ingested);
        gauge(out, "fdl_entities", "Entity records held.", (double)f.stats.entities);
        gauge(out, "fdl_events_held", "Events buffered in windows.", (double)f.stats.events_held);
        gauge(out, "fdl_store_bytes", "Memory of entity states, by the store's accounting.",
              (double)f.stats.bytes_held);
        const wal_stats w = f.wal;
        gauge(out, "fdl_wal_segments", "WAL segment files.", (double)w.segments);
        gauge(out, "fdl_wal_bytes", "Bytes in the WAL segments.", (double)w.bytes);
        counter(out, "fdl_wal_records_appended_total", "WAL records appended since start.", w.records_appended);
        counter(out, "fdl_wal_rows_appended_total", "Rows appended to the WAL since start.", w.rows_appended);
        counter(out, "fdl_wal_syncs_total", "fdatasync calls on the WAL.", w.syncs);
        counter(out, "fdl_wal_sync_errors_total", "Failed WAL syncs.", w.sync_errors);
        gauge(out, "fdl_wal_failed", "1 after a WAL write failed (pushes refused).",
              atomic_load(&s->wal_failed) ? 1 : 0);
        gauge(out, "fdl_recovery_records", "WAL records replayed at start.", (double)w.records_replayed);
        gauge(out, "fdl_recovery_rows", "Rows replayed at start.", (double)w.rows_replayed);
        gauge(out, "fdl_recovery_torn_records", "Torn last records dropped at start.", (double)w.torn_dropped);
        gauge(out, "fdl_recovery_seconds", "Time the recovery took.", w.recovery_seconds);
        counter(out, "fdl_snapshots_total", "Snapshots written since start.", atomic_load(&m->snapshots));
        counter(out, "fdl_snapshot_failures_total", "Snapshots that failed.", atomic_load(&m->snapshot_failures));
        gauge(out, "fdl_snapshot_last_segment", "WAL segment the last snapshot covers.",
              (double)atomic_load(&m->snapshot_last_tag));
        gauge(out, "fdl_snapshot_last_seconds", "Time the last snapshot took (fork to file synced).",
              (double)atomic_load(&m->snapshot_last_ns) * 1e-9);
        gauge(out, "fdl_snapshot_pause_last_seconds", "Reads and pushes stopped for the last snapshot"
              " (WAL rotation and fork).", (double)atomic_load(&m->snapshot_pause_last_ns) * 1e-9);
        gauge(out, "fdl_snapshot_pause_max_seconds", "The longest such stop since start.",
              (double)atomic_load(&m->snapshot_pause_max_ns) * 1e-9);
        gauge(out, "fdl_recovery_snapshot_restored", "1 when the start restored a snapshot.", s->restored);
        gauge(out, "fdl_recovery_snapshot_seconds", "Time restoring it took.", s->restore_seconds);
        streamer_metrics(s->streamer, out);
    }
    if (fclose(out) != 0) {
        free(text);
        reply_error(r, 500, "out of memory");
        return;
    }
    r->status = 200;
    r->type = "text/plain; version=0.0.4";
    r->body = text;
    r->length = length;
}
