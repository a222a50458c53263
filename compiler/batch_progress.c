/*
 * batch_progress.c - `fdlc batch`'s progress line (see batch_progress.h).
 * The runtime counts and calls; this file only decides what to print.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <unistd.h>

#include "batch_progress.h"

bool batch_progress_init(batch_progress *display, FILE *out, bool forced, bool quiet)
{
    *display = (batch_progress){.out = out, .terminal = isatty(fileno(out)) != 0, .replay_seconds = -1};
    return !quiet && (forced || display->terminal);
}

double batch_progress_interval(void)
{
    const char *text = getenv("FDLC_PROGRESS_INTERVAL");
    double seconds = text && *text ? strtod(text, NULL) : 0;
    return seconds > 0 && seconds <= 3600 ? seconds : 1.0;
}

/* "about N s left" from the pace of the spine rows done so far. */
static void time_left(batch_progress *d, const fdl_batch_progress *p, char *out, size_t size)
{
    if (p->spine_rows > 0 && p->spine_done >= p->spine_rows) {
        snprintf(out, size, "about 0 s left");
        return;
    }
    if (p->spine_done > 0 && d->replay_seconds < 0) {
        d->replay_seconds = d->last_seconds;   /* the replay began after the last report */
        d->replay_done = 0;
    }
    double spent = p->seconds - d->replay_seconds;
    uint64_t done = p->spine_done - d->replay_done;
    if (d->replay_seconds < 0 || done == 0 || spent <= 0) {
        snprintf(out, size, "time left unknown");
        return;
    }
    double left = (double)(p->spine_rows - p->spine_done) * spent / (double)done;
    snprintf(out, size, "about %.0f s left", left);
}

void batch_progress_show(void *context, const fdl_batch_progress *p)
{
    batch_progress *d = context;
    if (p->phase == FDL_PHASE_DONE && d->terminal) {
        fputs("\r\033[K", d->out);   /* the summary takes the line */
        fflush(d->out);
        return;
    }
    uint64_t rows = p->rows_read + p->spine_done;
    double dt = p->seconds - d->last_seconds;
    double rate = p->phase == FDL_PHASE_DONE ? (p->seconds > 0 ? (double)rows / p->seconds : 0)
                  : dt > 0 ? (double)(rows - d->last_rows) / dt : 0;
    unsigned percent = p->spine_rows ? (unsigned)(100 * p->spine_done / p->spine_rows) : 0;
    char left[64];
    time_left(d, p, left, sizeof left);
    fprintf(d->out, "%sfdlc: batch: %s | %llu rows read | %.0f rows/s | spine %u%% | %s%s",
            d->terminal ? "\r\033[K" : "", p->phase_name, (unsigned long long)p->rows_read, rate,
            percent, left, d->terminal ? "" : "\n");
    fflush(d->out);
    d->last_seconds = p->seconds;
    d->last_rows = rows;
}
