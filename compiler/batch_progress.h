/*
 * batch_progress.h - how `fdlc batch` shows its progress on stderr:
 *
 *   fdlc: batch: computing | 2500000 rows read | 812000 rows/s | spine 42% | about 3 s left
 *
 * On a terminal the line is redrawn in place once a second and erased at
 * the end; forced (--progress) elsewhere, one line per report.
 */
#ifndef FDL_BATCH_PROGRESS_H
#define FDL_BATCH_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "fdlrt.h"

typedef struct batch_progress {
    FILE *out;
    bool terminal;           /* redraw one line in place */
    double last_seconds;     /* the previous report's */
    uint64_t last_rows;
    double replay_seconds;   /* when spine rows were first seen done; < 0 before */
    uint64_t replay_done;
} batch_progress;

/*
 * Whether to show progress: --quiet never, --progress always, else only
 * when out is a terminal. Sets up display for fdl_batch_options.progress.
 */
bool batch_progress_init(batch_progress *display, FILE *out, bool forced, bool quiet);
/* The fdl_batch_progress_fn: context is a batch_progress. */
void batch_progress_show(void *context, const fdl_batch_progress *progress);
/* The interval between reports: $FDLC_PROGRESS_INTERVAL seconds (for tests), else 1. */
double batch_progress_interval(void);

#endif
