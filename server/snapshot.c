/*
 * snapshot.c - background snapshots of the store, and the newest one
 * restored at start (docs/serving.md, Durability).
 *
 * A snapshot is taken as Redis takes its RDB: under the server lock the
 * WAL moves to a new segment (the snapshot covers every segment up to the
 * old one, its tag) and the process forks; the lock is let go at once, and
 * the child, which has the store as it was at that instant (copy on
 * write), writes it with fdl_store_save (a temporary renamed into
 * DIR/snapshot-<tag, 20 digits>.fdls, synced: the name docs/snapshots.md
 * gives, which `fdlc materialize` writes with tag 0) and exits. Reads and pushes stop only
 * for the rotation and the fork (measured: fdl_snapshot_pause_seconds).
 * Once the child succeeded, the WAL segments the snapshot covers and the
 * older snapshots are deleted.
 *
 * At start: the newest snapshot is restored (one that does not restore is
 * an error naming the file, never skipped: the WAL it covers is gone),
 * then the WAL segments after its tag are replayed.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

struct snapshotter {
    server *s;
    int64_t every_ns;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    uint64_t records_at_last;   /* WAL records appended when the last one was taken */
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void snapshot_dir(const char *data_dir, char *out, size_t size)
{
    snprintf(out, size, "%s", data_dir);
}

enum { NAME_LENGTH = 34 };  /* snapshot-<20 digits>.fdls */

static void snapshot_path(const char *dir, uint64_t tag, char *out, size_t size)
{
    snprintf(out, size, "%s/snapshot-%020llu.fdls", dir, (unsigned long long)tag);
}

/* The tags of the snapshots in dir, highest first; *n of them (-1: error). */
static uint64_t *list_snapshots(const char *dir, int *n)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) {
        *n = errno == ENOENT ? 0 : -1;
        return NULL;
    }
    uint64_t *tags = NULL;
    int capacity = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strlen(e->d_name) != NAME_LENGTH || strncmp(e->d_name, "snapshot-", 9) != 0 ||
            strcmp(e->d_name + 29, ".fdls") != 0 || strspn(e->d_name + 9, "0123456789") != 20)
            continue;
        if (*n == capacity) {
            capacity = capacity ? 2 * capacity : 8;
            uint64_t *more = realloc(tags, (size_t)capacity * sizeof *tags);
            if (!more)
                break;
            tags = more;
        }
        tags[(*n)++] = strtoull(e->d_name + 9, NULL, 10);
    }
    closedir(d);
    for (int i = 1; i < *n; i++)    /* a few files: insertion sort, highest first */
        for (int j = i; j > 0 && tags[j] > tags[j - 1]; j--) {
            uint64_t t = tags[j];
            tags[j] = tags[j - 1];
            tags[j - 1] = t;
        }
    return tags;
}

bool snapshot_restore(const char *data_dir, fdl_store *store, uint64_t *covered, bool *found, fdl_error *err)
{
    char dir[4200], path[4300];
    snapshot_dir(data_dir, dir, sizeof dir);
    *found = false;
    *covered = 0;
    int n;
    uint64_t *tags = list_snapshots(dir, &n);
    if (n < 0)
        return fdl_error_set(err, FDL_ERR_IO, "%s: %s", dir, strerror(errno)) == FDL_OK;
    bool ok = true;
    if (n > 0) {
        snapshot_path(dir, tags[0], path, sizeof path);
        uint64_t tag = 0;
        ok = fdl_store_restore(store, path, &tag, err) == FDL_OK;
        if (ok && tag != tags[0])
            ok = fdl_error_set(err, FDL_ERR_FORMAT, "%s: its header says it covers WAL segment %llu",
                               path, (unsigned long long)tag) == FDL_OK;
        *found = ok;
        *covered = ok ? tag : 0;
    }
    free(tags);
    return ok;
}

/* Deletes the snapshots older than tag. */
static void delete_older(const char *dir, uint64_t tag)
{
    int n;
    uint64_t *tags = list_snapshots(dir, &n);
    char path[4300];
    for (int i = 0; i < n; i++)
        if (tags[i] < tag) {
            snapshot_path(dir, tags[i], path, sizeof path);
            unlink(path);
        }
    free(tags);
}

/* The child: writes the store and exits; never returns. It first closes
 * every descriptor but stdin/out/err: the listening socket and the data
 * directory's lock must not outlive the server in a child still writing
 * (a restart after a crash would find the port or the lock taken). */
static void child_save(server *s, const char *path, uint64_t tag)
{
    close_range(3, ~0u, 0);
    fdl_error err = {0};
    if (fdl_store_save(s->store, path, tag, &err) == FDL_OK)
        _exit(0);
    dprintf(STDERR_FILENO, "fdl-server: snapshot %s: %s\n", path, err.message);
    _exit(1);
}

bool snapshot_take(server *s, fdl_error *err)
{
    char dir[4200], path[4300];
    snapshot_dir(s->options.data_dir, dir, sizeof dir);
    pthread_mutex_lock(&s->lock);
    uint64_t began = now_ns(), tag = 0;
    bool ok = wal_rotate(s->wal, &tag, err);
    pid_t pid = ok ? fork() : -1;
    if (pid == 0) {
        snapshot_path(dir, tag, path, sizeof path);
        child_save(s, path, tag);
    }
    uint64_t pause = now_ns() - began;
    pthread_mutex_unlock(&s->lock);
    if (ok && pid < 0)
        ok = fdl_error_set(err, FDL_ERR_IO, "snapshot: fork: %s", strerror(errno)) == FDL_OK;
    if (!ok) {
        atomic_fetch_add(&s->metrics.snapshot_failures, 1);
        return false;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        atomic_fetch_add(&s->metrics.snapshot_failures, 1);
        return fdl_error_set(err, FDL_ERR_IO, "snapshot of WAL segment %llu failed (see above)",
                             (unsigned long long)tag) == FDL_OK;
    }
    pthread_mutex_lock(&s->lock);
    wal_delete_through(s->wal, tag);
    pthread_mutex_unlock(&s->lock);
    delete_older(dir, tag);
    metrics *m = &s->metrics;
    atomic_fetch_add(&m->snapshots, 1);
    atomic_store(&m->snapshot_last_tag, tag);
    atomic_store(&m->snapshot_last_ns, now_ns() - began);
    uint64_t most = atomic_load(&m->snapshot_pause_max_ns);
    while (pause > most && !atomic_compare_exchange_weak(&m->snapshot_pause_max_ns, &most, pause))
        ;
    atomic_store(&m->snapshot_pause_last_ns, pause);
    return true;
}

static void *snapshot_loop(void *arg)
{
    snapshotter *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)t->every_ns;
        until.tv_sec += (time_t)(ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&t->wake, &t->lock, &until);
        if (t->stop)
            break;
        pthread_mutex_unlock(&t->lock);
        pthread_mutex_lock(&t->s->lock);
        wal_stats w;
        wal_get_stats(t->s->wal, &w);
        pthread_mutex_unlock(&t->s->lock);
        if (w.records_appended != t->records_at_last) {
            fdl_error err = {0};
            if (snapshot_take(t->s, &err))
                t->records_at_last = w.records_appended;
            else
                fprintf(stderr, "fdl-server: %s\n", err.message);
        }
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

snapshotter *snapshotter_start(server *s, int64_t every_ns)
{
    snapshotter *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->s = s;
    t->every_ns = every_ns;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    if (pthread_create(&t->thread, NULL, snapshot_loop, t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void snapshotter_stop(snapshotter *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    free(t);
}
