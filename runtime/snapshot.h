/*
 * snapshot.h - the store snapshot's encoding, shared by the runtime files
 * that write and read a part of a store's state (private to the runtime):
 *
 *   snapshot.c         the file: header, records, CRCs; the store's walk
 *   window_snapshot.c  a group state with exact windows (events, lifetime)
 *   window_tiles.c     a hopped group's tiles
 *   checks.c           expectations' counters and memory
 *
 * Everything is little-endian and fixed-width; doubles go as their 64 bits,
 * so a restored state computes bit-identical values. A writer appends to a
 * growing buffer; a reader takes values from a byte range and, on the
 * first bad value, remembers why and where (the offset in the file) and
 * fails every later call, so decoders check once at their end.
 */
#ifndef FDL_SNAPSHOT_H
#define FDL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdlrt.h"
#include "window.h"

typedef struct fdl_snap_writer {
    unsigned char *data;
    size_t len, capacity;
    bool failed;                        /* out of memory: the snapshot is not written */
} fdl_snap_writer;

void fdl_snap_put_bytes(fdl_snap_writer *w, const void *bytes, size_t len);
void fdl_snap_put_u8(fdl_snap_writer *w, uint8_t v);
void fdl_snap_put_u32(fdl_snap_writer *w, uint32_t v);
void fdl_snap_put_u64(fdl_snap_writer *w, uint64_t v);
void fdl_snap_put_i64(fdl_snap_writer *w, int64_t v);
void fdl_snap_put_f64(fdl_snap_writer *w, double v);
/* A length (u64) and the bytes. */
void fdl_snap_put_string(fdl_snap_writer *w, const char *s, size_t len);

typedef struct fdl_snap_reader {
    const unsigned char *data;
    size_t size, pos;
    uint64_t base;                      /* offset of data[0] in the file, for messages */
    bool failed;
    uint64_t failed_at;                 /* file offset of the first bad value */
    char why[192];
} fdl_snap_reader;

/* Marks the reader failed (the first reason wins) at the current offset;
 * returns false. */
bool fdl_snap_fail(fdl_snap_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Each returns false (and zeroes *out) on a short read or a failed reader. */
bool fdl_snap_get_bytes(fdl_snap_reader *r, void *out, size_t len);
bool fdl_snap_get_u8(fdl_snap_reader *r, uint8_t *out);
bool fdl_snap_get_u32(fdl_snap_reader *r, uint32_t *out);
bool fdl_snap_get_u64(fdl_snap_reader *r, uint64_t *out);
bool fdl_snap_get_i64(fdl_snap_reader *r, int64_t *out);
/* A finite double (anything else fails the reader). */
bool fdl_snap_get_f64(fdl_snap_reader *r, double *out);
/* A count of items of at least item_size bytes each that the rest of the
 * reader can hold, and at most max: no allocation is ever sized by a count
 * the bytes cannot back. */
bool fdl_snap_get_count(fdl_snap_reader *r, size_t item_size, uint64_t max, size_t *out);
/* A string: *bytes points into the reader's data. */
bool fdl_snap_get_string(fdl_snap_reader *r, const char **bytes, size_t *len);

/* ---- window_snapshot.c: a group state (either kind). restore: NULL with
 * the reader failed on bad input or out of memory; store stats get the
 * events and tiles held. */
void fdl_group_state_save(const fdl_group_state *g, fdl_snap_writer *w);
fdl_group_state *fdl_group_state_restore(const fdl_group_plan *plan, fdl_snap_reader *r,
                                         fdl_store_stats *stats);

/* ---- window_tiles.c: a hopped group's tiles (g->tiles), for the above. */
struct tile_set;
void fdl_window_tiles_save(const fdl_group_state *g, fdl_snap_writer *w);
bool fdl_window_tiles_restore(fdl_group_state *g, fdl_snap_reader *r, fdl_store_stats *stats);

/* ---- checks.c: the expectations' counters, field statistics and the
 * memory of ordered, max_gap, unique and exists_in checks (not the
 * quarantine, nor compiled patterns). restore: into a fresh fdl_checks. */
typedef struct fdl_checks fdl_checks;
void fdl_checks_save(const fdl_checks *checks, fdl_snap_writer *w);
bool fdl_checks_restore(fdl_checks *checks, fdl_snap_reader *r);
/* A fresh fdl_checks with old's settings (processing time, window). */
fdl_checks *fdl_checks_new_like(const fdl_checks *old);
/* Moves what belongs to the run (the quarantine) from old to fresh; frees old. */
void fdl_checks_take_run(fdl_checks *fresh, fdl_checks *old);

/* ---- hashmap.c: the key at position i (NULL when i holds none). */
typedef struct fdl_hashmap fdl_hashmap;
const void *fdl_hashmap_key_at(const fdl_hashmap *map, size_t i, size_t *len);

/* ---- snapshot.c: fdl_store_restore from bytes in memory (name: for
 * messages), for the fuzzer. */
fdl_status fdl_store_restore_buffer(fdl_store *store, const void *data, size_t size, const char *name,
                                    uint64_t *tag, fdl_error *err);

/* ---- store.c: what snapshot.c reads and sets of a store. */
typedef struct fdl_entity_state fdl_entity_state;
fdl_hashmap *fdl_store_entity_map(const fdl_store *store, int entity);
/* The slot of group's state in an entity state of the group's entity. */
fdl_group_state **fdl_store_group_ref(const fdl_store *store, fdl_entity_state *state, int group);
const fdl_group_plan *fdl_store_group_plan(const fdl_store *store, int group);
/* A new, empty entity state under key; NULL when the key is there already
 * (*existed) or memory ran out. */
fdl_entity_state *fdl_store_entity_insert(fdl_store *store, int entity, const void *key, size_t len,
                                          bool *existed);
void fdl_store_snapshot_times(const fdl_store *store, fdl_time *newest, fdl_time *watermark);
fdl_store_stats *fdl_store_snapshot_stats(fdl_store *store);
bool fdl_store_embedding_loaded(const fdl_store *store, int embedding);
/* Nothing ingested or restored yet. */
bool fdl_store_is_fresh(const fdl_store *store);
/* After the entities are in: the store's time, and its accounting. */
void fdl_store_restored(fdl_store *store, fdl_time newest, fdl_time watermark);
/* Back to fresh after a failed restore (the checks are replaced only on
 * success, so they are as they were). */
void fdl_store_clear_state(fdl_store *store);
void fdl_store_replace_checks(fdl_store *store, fdl_checks *fresh);
/* Puts checks in the store; returns the ones it had (the caller's now). */
fdl_checks *fdl_store_swap_checks(fdl_store *store, fdl_checks *checks);

#endif
