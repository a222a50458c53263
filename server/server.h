/*
 * server.h - fdl-server's private header: the state its parts share.
 *
 * fdl-server (docs/serving.md) serves one generated feature library over
 * HTTP. Its parts, one file each:
 *   main.c      options, start (library, store, recovery), signals, stop
 *   library.c   the definitions' library: `fdlc library` (the batch cache)
 *               or --lib, dlopen, the manifest
 *   wal.c       the write-ahead log: segments, records, sync, recovery
 *   http.c      libmicrohttpd: bodies, limits, auth, dispatch, timing
 *   api_read.c  POST /get-online-features
 *   api_push.c  POST /push (JSON rows or CSV)
 *   metrics.c   counters, latency histograms, GET /metrics text
 *   crc32c.c    the WAL's record checksum
 *   stream.c    Redis stream ingest (--redis, --stream), a thread of its own
 *
 * Concurrency: one mutex (server.lock) guards the store and the order of
 * WAL appends. The store's reads are not read-only (a read remembers the
 * last key, may evict behind the watermark, rewinds scratch space), so
 * readers cannot share it under a read lock: they take the mutex only for
 * the store calls and format JSON outside it, in parallel. What a reader
 * sees: every row whose /push was answered before its request arrived
 * (and possibly rows of pushes still being synced; see docs/serving.md).
 */
#ifndef FDL_SERVER_H
#define FDL_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fdlrt.h"

struct server;

/* ------------------------------------------------------------ options */

typedef enum { FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO } fsync_policy;

typedef struct embedding_override {
    const char *name;
    const char *path;
} embedding_override;

typedef struct stream_option_t {
    const char *source;
    const char *key;
} stream_option_t;

enum { STREAM_MAX = 64 };

typedef struct server_options {
    char **files;               /* definitions */
    int nfiles;
    const char *data_dir;
    const char *listen;         /* HOST:PORT, default 127.0.0.1:6566 */
    const char *lib;            /* --lib: a built libNAME.so instead of the cache */
    embedding_override *embeddings;
    int nembeddings;
    fsync_policy fsync;
    int threads;                /* HTTP worker threads */
    const char *token_file;
    bool rebuild;               /* replay a WAL written under other definitions */
    bool keep_history;          /* store option: as_of reads far back */
    int64_t lateness;           /* store option, microseconds; < 0: default */
    size_t max_body;            /* bytes of one request body */
    size_t max_rows;            /* rows of one push, keys of one read */
    unsigned timeout;           /* seconds a connection may idle */
    uint64_t segment_bytes;     /* WAL segment size before a new one */
    int64_t snapshot_every_ns;  /* --snapshot-every; 0: none */
    const char *redis;          /* --redis HOST:PORT, NULL: no stream ingest */
    const char *group;          /* --group: the consumer group, NULL: from the data dir */
    stream_option_t streams[STREAM_MAX];    /* --stream SOURCE=KEY */
    int nstreams;
} server_options;

/* ------------------------------------------------------------ library */

typedef struct library {
    void *handle;
    const fdl_program *program;
    char *manifest;             /* the generated NAME.json, or NULL */
    size_t manifest_length;
    char path[4400];
} library;

/* Compiles (through `fdlc library`) or loads --lib; false, said on stderr. */
bool library_load(library *lib, const server_options *o, const char *argv0);
void library_unload(library *lib);

/* ------------------------------------------------------------ WAL */

typedef struct wal wal;

typedef struct wal_stats {
    uint64_t segments;          /* segment files now */
    uint64_t bytes;             /* bytes in them */
    uint64_t records_appended;  /* since start */
    uint64_t rows_appended;
    uint64_t syncs;
    uint64_t sync_errors;
    uint64_t records_replayed;  /* at recovery */
    uint64_t rows_replayed;
    uint64_t torn_dropped;      /* torn last records dropped at recovery */
    double recovery_seconds;
} wal_stats;

/*
 * Opens DIR/wal (created if missing) and replays every record into store:
 * the recovery, after a snapshot restored into store that covers the
 * segments up to covered (0: none), which are skipped. False (err says
 * which file and offset) on corruption, a fingerprint of other definitions
 * without rebuild, or an I/O error.
 */
wal *wal_open(const char *dir, fdl_store *store, fsync_policy policy, uint64_t segment_bytes,
              bool rebuild, uint64_t covered, fdl_error *err);
void wal_close(wal *w);

/*
 * A record being built: the accepted rows of one push, in the source's
 * field order, each field as text (NULL: null). The caller holds the
 * server lock from wal_begin to wal_append.
 */
typedef struct wal_record wal_record;
wal_record *wal_record_new(void);
void wal_record_free(wal_record *r);
void wal_record_begin(wal_record *r, const fdl_program *p, int source);
/* A record of rows from a Redis stream: appending it also moves key's
 * position to id (the last entry it covers), atomically with the rows. */
enum { WAL_STREAM_KEY = 256, WAL_STREAM_ID = 48, WAL_MAX_STREAMS = 256 };
void wal_record_begin_stream(wal_record *r, const fdl_program *p, int source, const char *key, const char *id);
/* Under the server lock: key's last logged entry ID into id ("" and false: none). */
bool wal_stream_position(wal *w, const char *key, char *id, size_t size);
bool wal_record_row(wal_record *r, const fdl_value *values, int nfields);
uint64_t wal_record_rows(const wal_record *r);
/* Where the record ends now; wal_record_drop_last(r, mark) takes back the
 * row added after that mark (its push failed). */
size_t wal_record_mark(const wal_record *r);
void wal_record_drop_last(wal_record *r, size_t mark);

/* Appends the record (under the server lock); *position: where it ends,
 * for wal_sync. False with err on a write error. */
bool wal_append(wal *w, wal_record *r, uint64_t *position, fdl_error *err);
/* Makes everything up to position durable per the fsync policy (always:
 * fdatasync unless another caller's sync already covered it). Without the
 * server lock. */
bool wal_sync(wal *w, uint64_t position, fdl_error *err);
/* everysec: syncs what was appended since the last sync. */
void wal_sync_pending(wal *w);
void wal_get_stats(wal *w, wal_stats *out);
/* Under the server lock: appends go to a new segment; *tag = the last
 * segment before it (what a snapshot taken now covers). */
bool wal_rotate(wal *w, uint64_t *tag, fdl_error *err);
/* Under the server lock: deletes the segments up to tag (a snapshot has them). */
void wal_delete_through(wal *w, uint64_t tag);

/* ------------------------------------------------------------ snapshots */

typedef struct snapshotter snapshotter;
/* The newest snapshot in DATA_DIR/snapshots into a fresh store: *found,
 * *covered = the WAL segments it covers. False (err names the file) when
 * it does not restore. */
bool snapshot_restore(const char *data_dir, fdl_store *store, uint64_t *covered, bool *found,
                      fdl_error *err);
/* Background snapshots every every_ns while the WAL grows. */
snapshotter *snapshotter_start(struct server *s, int64_t every_ns);
void snapshotter_stop(snapshotter *t);
bool snapshot_take(struct server *s, fdl_error *err);

uint32_t crc32c(uint32_t crc, const void *data, size_t n);

/* ------------------------------------------------------------ Redis streams */

typedef struct streamer streamer;
/* One --stream SOURCE=KEY into o; false, said on stderr. */
bool stream_option(server_options *o, const char *value);
/* After the recovery: the consumer thread (positions from s->wal); NULL,
 * said on stderr, when the options do not hold. */
streamer *streamer_start(struct server *s, const char *data_dir_real);
void streamer_stop(streamer *t);
void streamer_metrics(const streamer *t, FILE *out);

/* ------------------------------------------------------------ metrics */

typedef enum endpoint {
    EP_GET_FEATURES, EP_PUSH, EP_HEALTH, EP_READY, EP_METRICS, EP_SCHEMA, EP_OTHER, EP_COUNT
} endpoint;

enum { LATENCY_BUCKETS = 16 };

typedef struct metrics {
    _Atomic uint64_t requests[EP_COUNT];
    _Atomic uint64_t errors[EP_COUNT];          /* 4xx and 5xx answers */
    _Atomic uint64_t latency[EP_COUNT][LATENCY_BUCKETS + 1];   /* last: +Inf */
    _Atomic uint64_t latency_sum_ns[EP_COUNT];
    _Atomic uint64_t rows_pushed, rows_accepted, rows_dropped, rows_failed;
    _Atomic uint64_t auth_failures;
    _Atomic uint64_t snapshots, snapshot_failures, snapshot_last_tag;
    _Atomic uint64_t snapshot_last_ns;          /* rotation to the child's end */
    _Atomic uint64_t snapshot_pause_last_ns, snapshot_pause_max_ns;    /* lock held: rotate + fork */
} metrics;

void metrics_observe(metrics *m, endpoint e, int status, uint64_t nanoseconds);
const char *endpoint_name(endpoint e);

/* ------------------------------------------------------------ the server */

typedef struct server {
    server_options options;
    library lib;
    const fdl_program *program;
    fdl_store *store;
    pthread_mutex_t lock;       /* the store and WAL append order */
    wal *wal;
    metrics metrics;
    char *token;                /* --token-file's token, NULL: no auth */
    size_t token_length;
    atomic_bool ready;          /* recovered: reads and pushes served */
    atomic_bool wal_failed;     /* a WAL write failed: pushes refused */
    bool restored;              /* a snapshot was restored at start */
    uint64_t restored_tag;
    double restore_seconds;
    streamer *streamer;         /* Redis stream ingest, or NULL */
    struct vector_text *vectors;    /* api_read.c's cache of vectors as JSON, under lock */
} server;

/* An answer: status, content type and a malloc'd body. */
typedef struct reply {
    int status;
    const char *type;
    char *body;
    size_t length;
} reply;

/* {"error": message} with status; never fails (a static text when out of memory). */
void reply_error(reply *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Takes the text of a memstream as the body. */
void reply_json(reply *r, int status, char *text, size_t length);

void api_get_online_features(server *s, const char *body, size_t length, reply *r);
void api_read_free(server *s);  /* its cache, at exit */
void api_push(server *s, const char *body, size_t length, reply *r);

/* What ingesting some rows did, row by row; errors (may be NULL) gets the
 * JSON members of the first failures. */
typedef struct push_outcome {
    uint64_t accepted, dropped, failed;
    FILE *errors;
    int nerrors;
} push_outcome;
/* Checks (the source's expectations) and ingests rows of cells (rows x
 * the source's fields, NULL: null; errors[row] != NULL: refused already),
 * adding the accepted ones to rec, begun by the caller: what /push does.
 * Under the server lock. values and changed: one per field. */
void push_ingest(server *s, int source, size_t rows, const char *const *cells, const size_t *lengths,
                 char *const *errors, wal_record *rec, fdl_value *values, bool *changed, push_outcome *o);
void api_schema(server *s, reply *r);
void api_metrics(server *s, reply *r);

/* JSON string of bytes (valid UTF-8 out whatever comes in), quotes included. */
void json_write_string(FILE *out, const char *text, size_t length);

/* The HTTP daemon; false (said on stderr) when it cannot listen. */
typedef struct http_daemon http_daemon;
http_daemon *http_start(server *s, char *bound, size_t size);
void http_stop(http_daemon *d);

#endif
