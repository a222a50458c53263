/*
 * window_snapshot.h - the encodings of the engine's parts in a snapshot
 * (window_snapshot.c), which window_tiles.c shares for its tiles. Private
 * to window*.c, like window_internal.h.
 */
#ifndef FDL_WINDOW_SNAPSHOT_H
#define FDL_WINDOW_SNAPSHOT_H

#include "snapshot.h"
#include "window_internal.h"

#pragma GCC visibility push(hidden)

/* An event: time, value and by-value as the group's types say. get: the
 * value's string is the caller's (freed here on failure). */
void fdl_window_snapshot_put_event(fdl_snap_writer *w, const fdl_group_state *g, const event *e);
bool fdl_window_snapshot_get_event(fdl_snap_reader *r, const fdl_group_state *g, event *e);
/* Exact sums as their partials; get adds them into the (empty) sum. */
void fdl_window_snapshot_put_xsum(fdl_snap_writer *w, const fdl_xsum *x);
bool fdl_window_snapshot_get_xsum(fdl_snap_reader *r, fdl_xsum *x);
void fdl_window_snapshot_put_moments(fdl_snap_writer *w, const cursor_moments *m);
bool fdl_window_snapshot_get_moments(fdl_snap_reader *r, cursor_moments *m);
void fdl_window_snapshot_put_int128(fdl_snap_writer *w, int128 v);
bool fdl_window_snapshot_get_int128(fdl_snap_reader *r, int128 *v);
/* A DDSketch as its bucket counts; get merges them into an empty sketch. */
void fdl_window_snapshot_put_sketch(fdl_snap_writer *w, const fdl_ddsketch *s);
bool fdl_window_snapshot_get_sketch(fdl_snap_reader *r, fdl_ddsketch *s);
void fdl_window_snapshot_put_hll(fdl_snap_writer *w, const fdl_hll *h);
bool fdl_window_snapshot_get_hll(fdl_snap_reader *r, fdl_hll *h);

#pragma GCC visibility pop

#endif
