/*
 * progress.c - a batch run's progress, reported while it runs.
 *
 * fdl_batch_run counts what it has done in atomic counters (rows read,
 * spine rows computed: workers add from their threads) and names its
 * phase. When the caller asked for progress (fdl_batch_options.progress),
 * a thread of ours wakes once per interval, takes a snapshot and hands it
 * to the callback; one last call, phase FDL_PHASE_DONE, comes when the run
 * ends. The callback runs on our thread, never concurrently with itself.
 * A run without a callback pays one branch per row.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

struct fdl_progress {
    fdl_batch_progress_fn callback;
    void *context;
    double interval;
    struct timespec start;
    atomic_int phase;
    atomic_uint_fast64_t rows_read, spine_rows, spine_done;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;             /* under lock */
};

static const char *const phase_names[] = {
    [FDL_PHASE_LOAD] = "loading", [FDL_PHASE_SPINE] = "reading the spine",
    [FDL_PHASE_READ] = "reading sources", [FDL_PHASE_SORT] = "sorting",
    [FDL_PHASE_REPLAY] = "computing", [FDL_PHASE_WRITE] = "writing", [FDL_PHASE_DONE] = "done",
};

const char *fdl_batch_phase_name(fdl_batch_phase phase)
{
    return phase >= FDL_PHASE_LOAD && phase <= FDL_PHASE_DONE ? phase_names[phase] : "?";
}

static double elapsed(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void report(fdl_progress *p)
{
    fdl_batch_progress snapshot = {
        .phase = (fdl_batch_phase)atomic_load(&p->phase),
        .rows_read = atomic_load_explicit(&p->rows_read, memory_order_relaxed),
        .spine_rows = atomic_load_explicit(&p->spine_rows, memory_order_relaxed),
        .spine_done = atomic_load_explicit(&p->spine_done, memory_order_relaxed),
        .seconds = elapsed(&p->start),
    };
    snapshot.phase_name = fdl_batch_phase_name(snapshot.phase);
    p->callback(p->context, &snapshot);
}

static void *ticker(void *arg)
{
    fdl_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        double whole = (double)(long)p->interval;
        deadline.tv_sec += (time_t)whole;
        deadline.tv_nsec += (long)((p->interval - whole) * 1e9);
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        int waited = 0;
        while (!p->stopping && waited != ETIMEDOUT)
            waited = pthread_cond_timedwait(&p->wake, &p->lock, &deadline);
        if (!p->stopping) {
            pthread_mutex_unlock(&p->lock);
            report(p);
            pthread_mutex_lock(&p->lock);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

fdl_progress *fdl_progress_start(const fdl_batch_options *options)
{
    if (!options->progress)
        return NULL;
    fdl_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;   /* no progress is no failure */
    p->callback = options->progress;
    p->context = options->progress_context;
    p->interval = options->progress_interval > 0 ? options->progress_interval : 1.0;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    atomic_init(&p->phase, FDL_PHASE_LOAD);
    atomic_init(&p->rows_read, 0);
    atomic_init(&p->spine_rows, 0);
    atomic_init(&p->spine_done, 0);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (pthread_create(&p->thread, NULL, ticker, p) != 0) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
        free(p);
        return NULL;
    }
    return p;
}

void fdl_progress_phase(fdl_progress *p, fdl_batch_phase phase)
{
    if (p)
        atomic_store(&p->phase, (int)phase);
}

void fdl_progress_rows(fdl_progress *p, uint64_t n)
{
    if (p)
        atomic_fetch_add_explicit(&p->rows_read, n, memory_order_relaxed);
}

void fdl_progress_spine_rows(fdl_progress *p, uint64_t total)
{
    if (p)
        atomic_store_explicit(&p->spine_rows, total, memory_order_relaxed);
}

void fdl_progress_spine_done(fdl_progress *p, uint64_t n)
{
    if (p)
        atomic_fetch_add_explicit(&p->spine_done, n, memory_order_relaxed);
}

void fdl_progress_stop(fdl_progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    atomic_store(&p->phase, FDL_PHASE_DONE);
    report(p);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
}
