/*
 * internal.h - runtime internals shared between runtime modules only.
 * Not installed; generated code and users see fdlrt.h alone.
 */
#ifndef FDLRT_INTERNAL_H
#define FDLRT_INTERNAL_H

#include <stdio.h>

#include <math.h>

#include "fdlrt.h"

/* ---- numbers, as the operators and the standard library treat them. */
static inline bool fdl_is_number(fdl_value v)
{
    return v.type == FDL_INT64 || v.type == FDL_FLOAT64;
}

static inline double fdl_as_double(fdl_value v)
{
    return v.type == FDL_INT64 ? (double)v.as.i : v.as.f;
}

/* Values are always finite: a result that is not is null. */
static inline fdl_value fdl_finite_or_null(double f)
{
    return isfinite(f) ? fdl_float64(f) : fdl_null();
}

/* ---- value.c: the instants fdl_parse_time accepts, 0000-01-01T00:00:00Z
 * to 9999-12-31T23:59:59.999999Z: RFC 3339's four-digit years, so that
 * every time fdl_format_time writes from them reads back. */
#define FDL_TIME_READ_MIN (INT64_C(-62167219200) * FDL_MICROS_PER_SECOND)
#define FDL_TIME_READ_MAX (INT64_C(253402300800) * FDL_MICROS_PER_SECOND - 1)

/* ---- dtoa.c: doubles to text and decimals to doubles, exactly.
 * fdl_dtoa writes f's text by fdl_format_float's rule (the correctly
 * rounded %.15g, %.16g or %.17g, the first that reads back; "nan", "inf",
 * "-inf", "-0") and a NUL into out, which must hold FDL_DTOA_SIZE bytes;
 * returns the length. fdl_decimal_to_double: (-1)^negative * w * 10^q
 * correctly rounded, as strtod would return it, or false when it cannot
 * tell cheaply (the caller asks strtod): subnormal, overflow, |q| large,
 * or a rounding too close to call. */
#define FDL_DTOA_SIZE 48
size_t fdl_dtoa(double f, char *out);
bool fdl_decimal_to_double(uint64_t w, int q, bool negative, double *out);

/* ---- hashmap.c: open-addressing map from byte-string keys to pointers. */
typedef struct fdl_hashmap fdl_hashmap;
fdl_hashmap *fdl_hashmap_new(void);
void fdl_hashmap_free(fdl_hashmap *map);
/* Returns the slot for key, inserting a NULL value when absent and insert is
 * true (the key bytes are copied); NULL when absent and !insert. */
void **fdl_hashmap_slot(fdl_hashmap *map, const void *key, size_t len, bool insert);
size_t fdl_hashmap_count(const fdl_hashmap *map);
/* Slot by slot, for incremental sweeps: the value slot of position i
 * (i < capacity), NULL when i holds no key. */
size_t fdl_hashmap_capacity(const fdl_hashmap *map);
void **fdl_hashmap_slot_at(fdl_hashmap *map, size_t i);
/* Removes the key at position i (the value is the caller's to free). A
 * later key of the same probe run may move into position i; returns true
 * when the table was resized instead (every position changed). */
bool fdl_hashmap_remove_at(fdl_hashmap *map, size_t i);
/* The map's own memory: the table and long keys. */
size_t fdl_hashmap_bytes(const fdl_hashmap *map);
/* Visits every value (order unspecified). */
void fdl_hashmap_each(fdl_hashmap *map, void (*fn)(void *value, void *ctx), void *ctx);
uint64_t fdl_hash_bytes(const void *data, size_t len);
/* Canonical key bytes of a value (int64 keys as 8 little-endian bytes,
 * strings as their bytes); returns the length written, or 0 for null. */
size_t fdl_key_bytes(fdl_value key, char *buf, size_t size, const void **bytes);

/* ---- embedding.c: embedding tables loaded from CSV. */
typedef struct fdl_embedding_table fdl_embedding_table;
fdl_embedding_table *fdl_embedding_table_load(const char *path, fdl_type key_type,
                                              int32_t dimension, fdl_error *err);
const double *fdl_embedding_table_find(const fdl_embedding_table *table, fdl_value key);
/* Whether p points into the table's vectors (which never move once loaded). */
bool fdl_embedding_table_holds(const fdl_embedding_table *table, const double *p);
void fdl_embedding_table_free(fdl_embedding_table *table);

/* ---- csv.c: RFC 4180 reader and writer. */
typedef struct fdl_csv_reader fdl_csv_reader;
fdl_csv_reader *fdl_csv_open(const char *path, fdl_error *err);
/* The same with a given first read block (the buffer still grows for a long
 * record): the records must not depend on it, which the fuzzer checks. */
fdl_csv_reader *fdl_csv_open_sized(const char *path, size_t block_size, fdl_error *err);
void fdl_csv_close(fdl_csv_reader *reader);
/*
 * Reads the next record. Returns 1 with fields set, 0 at end of file, -1 on
 * a malformed record (err names file and line). Fields stay valid until the
 * next call. quoted[i] tells whether field i was quoted, so that an unquoted
 * empty field (null) differs from "" (the empty string).
 */
int fdl_csv_next(fdl_csv_reader *reader, const char ***fields, const size_t **lengths,
                 const bool **quoted, int *nfields, fdl_error *err);
long fdl_csv_line(const fdl_csv_reader *reader);   /* line where the last record began */
const char *fdl_csv_path(const fdl_csv_reader *reader);

/* Writes one field, quoting when it holds , " CR LF or is empty-but-not-null. */
void fdl_csv_write_field(FILE *out, const char *text, size_t len, bool force_quotes);
/* The text of a scalar value as a cell holds it, which parses back to the
 * same value (floats round-trip, times to the microsecond): in buf (size
 * 64 is enough) or, for strings, the value's own bytes; NULL for null and
 * vectors. *len is its length. */
const char *fdl_value_cell_text(fdl_value v, char *buf, size_t size, size_t *len);
/* Writes a value as a CSV cell: null empty, floats round-trip, vectors as a
 * quoted JSON array, strings quoted as needed (the empty string as ""). */
void fdl_csv_write_value(FILE *out, fdl_value value);

/* Writes a vector's values as the CSV and JSON writers both print them:
 * round-trip floats separated by commas, no brackets. */
void fdl_write_float_list(FILE *out, const double *values, int32_t count);

/* ---- json.c: UTF-8. fdl_utf8_next: the length of the well-formed
 * sequence s (len > 0 bytes) starts with, *valid true; or, *valid false,
 * of the maximal subpart of an ill-formed one (at least 1). Overlongs,
 * encoded surrogates and code points above U+10FFFF are ill-formed. */
size_t fdl_utf8_next(const char *s, size_t len, bool *valid);
bool fdl_utf8_valid(const char *s, size_t len);
/* A JSON string, valid UTF-8 whatever s holds: '"' and '\\' escaped,
 * control bytes and DEL as \u00XX, well-formed UTF-8 as it is, each
 * maximal ill-formed subpart as \ufffd (see json.c for why). Every JSON
 * writer of fdlc and the runtime quotes its strings here. */
void fdl_json_write_string(FILE *out, const char *s, size_t len);

/* ---- predlog.c: JSON text of values (the prediction log, top_k).
 * Numbers and bools bare, strings fdl_json_write_string, timestamps RFC 3339
 * strings, vectors arrays, null. */
void fdl_json_write_value(FILE *out, fdl_value v);

/* The prediction log, one JSON line per set read, each line one write(2)
 * on an O_APPEND descriptor (synced with FDL_LOG_FSYNC). open: *out NULL
 * on failure. append: false when the line is not written whole
 * (the caller counts it). close: an error when the descriptor fails to
 * close or errors (the caller's count) > 0; NULL is a no-op.
 * keys: one per key column. */
typedef struct fdl_predlog fdl_predlog;
fdl_status fdl_predlog_open(const char *path, unsigned flags, fdl_predlog **out, fdl_error *err);
bool fdl_predlog_append(fdl_predlog *log, const fdl_program *p, int set, const fdl_value *keys,
                        const fdl_value *request, fdl_time t, const fdl_value *values);
fdl_status fdl_predlog_close(fdl_predlog *log, uint64_t errors, fdl_error *err);

/* ---- progress.c: a batch run's progress reports (NULL: none, and each
 * call is a no-op). */
typedef struct fdl_progress fdl_progress;
fdl_progress *fdl_progress_start(const fdl_batch_options *options);
void fdl_progress_phase(fdl_progress *p, fdl_batch_phase phase);
void fdl_progress_rows(fdl_progress *p, uint64_t n);
void fdl_progress_spine_rows(fdl_progress *p, uint64_t total);
void fdl_progress_spine_done(fdl_progress *p, uint64_t n);
/* Ends the reports after a last one (FDL_PHASE_DONE) and frees p. */
void fdl_progress_stop(fdl_progress *p);

/* ---- output.c: every file written, safely (see the file's comment). */
typedef struct fdl_output {
    FILE *file;             /* write here */
    char *path;             /* as given, for messages */
    char *target;           /* the regular file renamed over; NULL when written in place */
    char *temp;             /* the temporary's name while it has one */
    int fd;
    bool is_stdout;
} fdl_output;

/* Opens path ("-": standard output) for writing; nothing is changed on
 * disk until fdl_output_commit. On failure o is released. */
fdl_status fdl_output_open(fdl_output *o, const char *path, fdl_error *err);
/* Flushes, syncs and renames into place; releases o either way. */
fdl_status fdl_output_commit(fdl_output *o, fdl_error *err);
/* Discards what was written: the target is left as it was. */
void fdl_output_abort(fdl_output *o);
/* For a signal handler: unlinks every named temporary (async-signal-safe). */
void fdl_output_remove_temporaries(void);

/* One file a command reads or writes, for fdl_paths_check. */
typedef struct fdl_path_use {
    const char *path;       /* NULL: skipped */
    const char *role;       /* "--out", "source purchases", ... */
    bool output;
} fdl_path_use;
/* Refuses an output that is an input or another output (device and inode,
 * through symbolic links; a file not yet there by its directory and name).
 * /dev/null may be given as often as wanted. */
fdl_status fdl_paths_check(const fdl_path_use *uses, int n, fdl_error *err);

/* ---- regex_bound.c: what a `matches` pattern may cost (see the file).
 * NULL when pattern (len bytes) is within the bounds; else why not, with
 * *at the byte offset the reason points at. fdlc check and fdl_store_open
 * both refuse a pattern this refuses, before regcomp sees it. */
#define FDL_REGEX_MAX_LENGTH 1024
#define FDL_REGEX_MAX_COUNT 255
#define FDL_REGEX_MAX_COPIES 2048
#define FDL_REGEX_MAX_DEPTH 32
#define FDL_REGEX_TEXT_(n) #n
#define FDL_REGEX_TEXT(n) FDL_REGEX_TEXT_(n)
const char *fdl_regex_bound(const char *pattern, size_t len, size_t *at);

/* ---- store.c: what fdl_batch_run asks of a store beyond fdlrt.h. */
/* Off: neither do ingests sweep idle entities nor does a push expire its
 * group first; only reads evict. For a batch run's workers, which replay
 * history in time order (so no event is ever behind the cut) and drop
 * their stores at the end: the values are the same, the pushes cheaper. */
void fdl_store_set_eager_eviction(fdl_store *store, bool on);
/* Drops every entity state (the store is then as new, but for its
 * counters and watermark): a batch worker done with a partition's key. */
void fdl_store_forget_entities(fdl_store *store);
/* Whether p points into one of the store's embedding tables: a vector a
 * read returned that stays valid as long as the table is loaded. */
bool fdl_store_holds_table_vector(const fdl_store *store, const double *p);
/* Makes store use owner's embedding tables (read only, never freed by
 * store; owner must outlive it). Fails when store loaded tables of its own. */
fdl_status fdl_store_borrow_embeddings(fdl_store *store, const fdl_store *owner, fdl_error *err);

/* ---- checks.c: expectations' counters and state, one per store. */
typedef struct fdl_checks fdl_checks;
fdl_checks *fdl_checks_new(const fdl_program *p);
void fdl_checks_free(fdl_checks *checks);
fdl_checks *fdl_store_checks(fdl_store *store);                 /* store.c */
const fdl_checks *fdl_store_checks_const(const fdl_store *store);
/* The last violation counted: its source, check and reason. */
void fdl_checks_last_violation(const fdl_store *store, int *source, int *check,
                               const char **reason);
/* One quarantine line for the last violation: the row's cells as CSV. */
void fdl_quarantine_write(FILE *out, const fdl_store *store, const char *file, long line,
                          int ncells, const char *const *cells, const size_t *lengths);

#endif
