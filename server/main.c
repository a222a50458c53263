/*
 * main.c - fdl-server: serves a feature library over HTTP from a durable
 * online store (docs/serving.md).
 *
 *   fdl-server FILE... --data DIR [--listen 127.0.0.1:6566] [--embedding NAME=PATH]...
 *              [--lib PATH] [--fsync always|everysec|no] [--threads N] [--token-file PATH]
 *              [--rebuild] [--keep-history] [--lateness SECONDS] [--max-body BYTES]
 *              [--max-rows N] [--timeout SECONDS] [--segment-bytes BYTES]
 *              [--snapshot-every DURATION]
 *              [--redis HOST:PORT --stream SOURCE=KEY... [--group NAME]]
 *
 * The start, in a straight line: options; the library (compiled through
 * the batch cache, or --lib); the store and its embedding tables; the
 * HTTP daemon (/health answers at once, the rest 503 until ready); the
 * recovery: DIR's newest snapshot, then the WAL after it; ready (and
 * background snapshots with --snapshot-every). SIGINT or SIGTERM stop it:
 * the daemon finishes, the WAL is synced and closed. Exit 0 after a stop,
 * 2 when it cannot start (said on stderr).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

static const char USAGE[] =
    "usage: fdl-server FILE... --data DIR [--listen 127.0.0.1:6566] [--embedding NAME=PATH]...\n"
    "                  [--lib PATH] [--fsync always|everysec|no] [--threads N] [--token-file PATH]\n"
    "                  [--rebuild] [--keep-history] [--lateness SECONDS] [--max-body BYTES]\n"
    "                  [--max-rows N] [--timeout SECONDS] [--segment-bytes BYTES]\n"
    "                  [--snapshot-every DURATION]\n"
    "                  [--redis HOST:PORT --stream SOURCE=KEY... [--group NAME]]\n";

static bool number(const char *option, const char *text, long long low, long long high, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno || end == text || *end || n < low || n > high) {
        fprintf(stderr, "fdl-server: %s '%s': expected a number from %lld to %lld\n", option, text, low, high);
        return false;
    }
    *out = n;
    return true;
}

static bool valued_option(server_options *o, const char *option, char *value)
{
    long long n;
    if (strcmp(option, "--data") == 0)
        o->data_dir = value;
    else if (strcmp(option, "--listen") == 0)
        o->listen = value;
    else if (strcmp(option, "--lib") == 0)
        o->lib = value;
    else if (strcmp(option, "--token-file") == 0)
        o->token_file = value;
    else if (strcmp(option, "--embedding") == 0) {
        char *eq = strchr(value, '=');
        if (!eq || eq == value || !eq[1]) {
            fprintf(stderr, "fdl-server: --embedding needs NAME=PATH\n");
            return false;
        }
        *eq = '\0';
        o->embeddings[o->nembeddings++] = (embedding_override){value, eq + 1};
    } else if (strcmp(option, "--fsync") == 0) {
        if (strcmp(value, "always") == 0)
            o->fsync = FSYNC_ALWAYS;
        else if (strcmp(value, "everysec") == 0)
            o->fsync = FSYNC_EVERYSEC;
        else if (strcmp(value, "no") == 0)
            o->fsync = FSYNC_NO;
        else {
            fprintf(stderr, "fdl-server: --fsync '%s': expected always, everysec or no\n", value);
            return false;
        }
    } else if (strcmp(option, "--threads") == 0) {
        if (!number(option, value, 1, 256, &n))
            return false;
        o->threads = (int)n;
    } else if (strcmp(option, "--lateness") == 0) {
        if (!number(option, value, 0, INT64_MAX / FDL_MICROS_PER_SECOND, &n))
            return false;
        o->lateness = n * FDL_MICROS_PER_SECOND;
    } else if (strcmp(option, "--max-body") == 0) {
        if (!number(option, value, 1024, (long long)1 << 31, &n))
            return false;
        o->max_body = (size_t)n;
    } else if (strcmp(option, "--max-rows") == 0) {
        if (!number(option, value, 1, 10000000, &n))
            return false;
        o->max_rows = (size_t)n;
    } else if (strcmp(option, "--timeout") == 0) {
        if (!number(option, value, 1, 86400, &n))
            return false;
        o->timeout = (unsigned)n;
    } else if (strcmp(option, "--segment-bytes") == 0) {
        if (!number(option, value, 4096, (long long)1 << 40, &n))
            return false;
        o->segment_bytes = (uint64_t)n;
    } else if (strcmp(option, "--snapshot-every") == 0) {
        char *end;
        errno = 0;
        long long count = strtoll(value, &end, 10);
        long long unit = strcmp(end, "") == 0 || strcmp(end, "s") == 0 ? 1
                       : strcmp(end, "m") == 0 ? 60 : strcmp(end, "h") == 0 ? 3600 : 0;
        if (errno || end == value || count <= 0 || unit == 0 || count > 100000000 / unit) {
            fprintf(stderr, "fdl-server: --snapshot-every '%s': expected a duration such as 30s, 5m, 1h\n", value);
            return false;
        }
        o->snapshot_every_ns = (int64_t)(count * unit) * 1000000000;
    } else if (strcmp(option, "--redis") == 0) {
        o->redis = value;
    } else if (strcmp(option, "--group") == 0) {
        if (!*value) {
            fprintf(stderr, "fdl-server: --group needs a name\n");
            return false;
        }
        o->group = value;
    } else if (strcmp(option, "--stream") == 0) {
        return stream_option(o, value);
    } else {
        fputs(USAGE, stderr);
        return false;
    }
    return true;
}

static bool parse_options(server_options *o, int argc, char **argv)
{
    *o = (server_options){.listen = "127.0.0.1:6566", .fsync = FSYNC_EVERYSEC, .threads = 2,
                          .lateness = -1, .max_body = 16u << 20, .max_rows = 100000, .timeout = 30,
                          .segment_bytes = UINT64_C(64) << 20};
    o->files = calloc((size_t)argc + 1, sizeof *o->files);
    o->embeddings = calloc((size_t)argc + 1, sizeof *o->embeddings);
    if (!o->files || !o->embeddings)
        return false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rebuild") == 0)
            o->rebuild = true;
        else if (strcmp(argv[i], "--keep-history") == 0)
            o->keep_history = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            exit(0);
        } else if (strncmp(argv[i], "--", 2) == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "fdl-server: %s needs a value\n%s", argv[i], USAGE);
                return false;
            }
            if (!valued_option(o, argv[i], argv[i + 1]))
                return false;
            i++;
        } else
            o->files[o->nfiles++] = argv[i];
    }
    if ((o->nfiles == 0 && !o->lib) || !o->data_dir) {
        fprintf(stderr, "fdl-server: needs definition files (or --lib) and --data DIR\n%s", USAGE);
        return false;
    }
    if (!o->redis != !o->nstreams || (o->group && !o->redis)) {
        fprintf(stderr, "fdl-server: --redis and --stream (and --group) go together\n");
        return false;
    }
    return true;
}

/* The token: the file's first line, which must not be empty. */
static bool read_token(server *s)
{
    FILE *in = fopen(s->options.token_file, "r");
    char line[4096];
    if (!in || !fgets(line, sizeof line, in)) {
        fprintf(stderr, "fdl-server: --token-file %s: %s\n", s->options.token_file,
                in ? "empty" : strerror(errno));
        if (in)
            fclose(in);
        return false;
    }
    fclose(in);
    line[strcspn(line, "\r\n")] = '\0';
    if (!*line) {
        fprintf(stderr, "fdl-server: --token-file %s: the first line (the token) is empty\n", s->options.token_file);
        return false;
    }
    s->token = strdup(line);
    s->token_length = strlen(line);
    return s->token != NULL;
}

/* The store with its embedding tables (the definitions' paths unless overridden). */
static bool open_store(server *s)
{
    const fdl_program *p = s->program;
    fdl_store_options options = fdl_store_options_default();
    options.load_embeddings = false;
    options.keep_history = s->options.keep_history;
    if (s->options.lateness >= 0)
        options.lateness = s->options.lateness;
    fdl_error err = {0};
    s->store = fdl_store_open(p, &options, &err);
    if (!s->store) {
        fprintf(stderr, "fdl-server: %s\n", err.message);
        return false;
    }
    for (int i = 0; i < s->options.nembeddings; i++)
        if (fdl_program_embedding(p, s->options.embeddings[i].name) < 0) {
            fprintf(stderr, "fdl-server: --embedding %s: no such embedding\n", s->options.embeddings[i].name);
            return false;
        }
    for (int e = 0; e < p->nembeddings; e++) {
        const char *path = p->embeddings[e].default_path;
        for (int i = 0; i < s->options.nembeddings; i++)
            if (strcmp(s->options.embeddings[i].name, p->embeddings[e].name) == 0)
                path = s->options.embeddings[i].path;
        if (fdl_store_load_embedding(s->store, e, path, &err) != FDL_OK) {
            fprintf(stderr, "fdl-server: %s\n", err.message);
            return false;
        }
    }
    return true;
}

/* One server per data directory: a lock held while it runs. */
static int lock_data_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "fdl-server: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "fdl-server: %s: %s\n", path,
                fd < 0 ? strerror(errno) : "another fdl-server uses this data directory");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* everysec: a thread that syncs the WAL once a second until told to stop. */
typedef struct syncer {
    server *s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
} syncer;

static void *sync_every_second(void *arg)
{
    syncer *y = arg;
    pthread_mutex_lock(&y->lock);
    while (!y->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&y->wake, &y->lock, &until);
        pthread_mutex_unlock(&y->lock);
        wal_sync_pending(y->s->wal);
        pthread_mutex_lock(&y->lock);
    }
    pthread_mutex_unlock(&y->lock);
    return NULL;
}

static void stop_syncer(syncer *y, bool syncing)
{
    if (!syncing)
        return;
    pthread_mutex_lock(&y->lock);
    y->stop = true;
    pthread_cond_signal(&y->wake);
    pthread_mutex_unlock(&y->lock);
    pthread_join(y->thread, NULL);
}

static int serve(server *s, sigset_t *signals)
{
    char bound[128];
    http_daemon *d = http_start(s, bound, sizeof bound);
    if (!d)
        return 2;
    fdl_error err = {0};
    uint64_t covered = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!snapshot_restore(s->options.data_dir, s->store, &covered, &s->restored, &err)) {
        fprintf(stderr, "fdl-server: recovery: %s%s\n", err.message,
                s->options.rebuild ? " (--rebuild replays only the WAL: a snapshot cannot be"
                                     " replayed under other definitions)" : "");
        http_stop(d);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s->restored_tag = covered;
    s->restore_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    s->wal = wal_open(s->options.data_dir, s->store, s->options.fsync, s->options.segment_bytes,
                      s->options.rebuild, covered, &err);
    if (!s->wal) {
        fprintf(stderr, "fdl-server: recovery: %s\n", err.message);
        http_stop(d);
        return 2;
    }
    wal_stats w;
    wal_get_stats(s->wal, &w);
    syncer y = {.s = s, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
    bool syncing = s->options.fsync == FSYNC_EVERYSEC &&
                   pthread_create(&y.thread, NULL, sync_every_second, &y) == 0;
    snapshotter *snapshots = s->options.snapshot_every_ns ? snapshotter_start(s, s->options.snapshot_every_ns) : NULL;
    if (s->options.redis) {
        char *real = realpath(s->options.data_dir, NULL);
        s->streamer = real ? streamer_start(s, real) : NULL;
        free(real);
        if (!s->streamer) {
            http_stop(d);
            snapshotter_stop(snapshots);
            stop_syncer(&y, syncing);
            wal_close(s->wal);
            s->wal = NULL;
            return 2;
        }
    }
    atomic_store(&s->ready, true);
    char restored[128] = "";
    if (s->restored)
        snprintf(restored, sizeof restored, "; snapshot of WAL segment %llu restored in %.3f s",
                 (unsigned long long)covered, s->restore_seconds);
    printf("fdl-server: listening on %s (recovered %llu rows in %llu records, %llu torn, %.3f s%s)\n", bound,
           (unsigned long long)w.rows_replayed, (unsigned long long)w.records_replayed,
           (unsigned long long)w.torn_dropped, w.recovery_seconds, restored);
    fflush(stdout);
    int sig = 0;
    sigwait(signals, &sig);
    fprintf(stderr, "fdl-server: %s: stopping\n", strsignal(sig));
    http_stop(d);
    streamer_stop(s->streamer);
    s->streamer = NULL;
    snapshotter_stop(snapshots);
    stop_syncer(&y, syncing);
    wal_close(s->wal);
    s->wal = NULL;
    return 0;
}

int main(int argc, char **argv)
{
    /* Signals are taken by sigwait in the main thread; every thread made
     * after this inherits the mask. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    static server s;
    pthread_mutex_init(&s.lock, NULL);
    int status = 2, lock = -1;
    if (!parse_options(&s.options, argc, argv))
        goto done;
    if (s.options.token_file && !read_token(&s))
        goto done;
    if ((lock = lock_data_dir(s.options.data_dir)) < 0)
        goto done;
    if (!library_load(&s.lib, &s.options, argv[0]))
        goto done;
    s.program = s.lib.program;
    if (!open_store(&s))
        goto done;
    status = serve(&s, &signals);
done:
    api_read_free(&s);
    if (s.store)
        fdl_store_close(s.store);
    library_unload(&s.lib);
    if (lock >= 0)
        close(lock);
    free(s.token);
    free(s.options.files);
    free(s.options.embeddings);
    return status;
}
