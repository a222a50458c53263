/*
 * stream.c - Redis stream ingest: --redis HOST:PORT --stream SOURCE=KEY.
 *
 * One thread of its own reads every stream through a consumer group
 * (--group, default "fdl-server:" + the data directory's real path, so
 * each replica has its own and sees every entry) with hiredis:
 *
 *   start   XGROUP CREATE key group 0 MKSTREAM (an existing one is fine);
 *           XGROUP SETID to the last ID the WAL holds, so everything after
 *           it is delivered again, in order: entries delivered but never
 *           acknowledged (a crash), and those acknowledged but lost with
 *           an unsynced WAL tail (--fsync everysec/no, power loss) or a
 *           wiped data directory; then our pending entries (read from ID
 *           0) up to that ID, which the WAL has, acknowledged.
 *   loop    XREADGROUP ... BLOCK STREAMS keys > : per stream, the entries
 *           are rows (field names as in /push's JSON rows, values as
 *           text; a missing field is null), checked and ingested exactly
 *           as /push does (push_ingest) into one WAL record that also
 *           carries the stream's new position (the last entry ID), then
 *           synced per --fsync, then XACK'd.
 *
 * Exactly-once effect: Redis delivers at least once; an entry whose ID is
 * not above the stream's position in the WAL (recovered at start, moved
 * with each record, atomically with its rows) is acknowledged and skipped.
 * Stream IDs grow within a stream, so one position per stream suffices.
 * A lost connection is retried every second, from the start above.
 */
#define _GNU_SOURCE

#include <assert.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

enum { BATCH = 1000, BLOCK_MS = 300, LAG_EVERY_NS = 1000000000 };
static const char CONSUMER[] = "fdl-server";

typedef struct stream_state {
    const char *key;
    int source;
    char position[WAL_STREAM_ID];   /* last entry ID logged; "" none */
    _Atomic uint64_t consumed, acked, accepted, dropped, failed, duplicates;
    _Atomic int64_t lag;            /* entries not yet delivered to the group; -1 unknown */
} stream_state;

struct streamer {
    server *s;
    pthread_t thread;
    atomic_bool stop;
    bool started;
    char host[256];
    int port;
    char *group;
    redisContext *c;
    int n;
    stream_state *streams;
    int64_t lag_at;
    bool said_down;             /* the lost connection was said on stderr */
    _Atomic uint64_t reconnects;
};

/* ------------------------------------------------------------ helpers */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Stream IDs "MS-SEQ": a < b. */
static bool id_parse(const char *id, uint64_t *ms, uint64_t *seq)
{
    char *end;
    errno = 0;
    *ms = strtoull(id, &end, 10);
    if (errno || end == id || *end != '-')
        return false;
    const char *s = end + 1;
    *seq = strtoull(s, &end, 10);
    return !errno && end != s && !*end;
}

static bool id_after(const char *id, const char *position)
{
    uint64_t a, b, c, d;
    if (!*position)
        return true;
    if (!id_parse(id, &a, &b) || !id_parse(position, &c, &d))
        return strcmp(id, position) > 0;
    return a > c || (a == c && b > d);
}

static void say(streamer *t, const char *fmt, const char *key, const char *what)
{
    (void)t;
    fprintf(stderr, "fdl-server: redis %s: ", key);
    fprintf(stderr, fmt, what);
    fputc('\n', stderr);
}

/* A command's reply; NULL (the connection dropped) on an I/O error. */
static redisReply *command(streamer *t, int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(t->c, argc, argv, NULL);
    if (!r && !t->said_down) {
        say(t, "%s (retrying every second)", t->host, t->c->errstr);
        t->said_down = true;
    }
    return r;
}

/* ------------------------------------------------------------ entries */

/* Applies one stream's entries (an array of [id, [field, value, ...]]):
 * the new ones into the store and one WAL record, then XACK of all. False
 * when Redis or the WAL failed. */
static bool apply_entries(streamer *t, stream_state *st, const redisReply *entries)
{
    server *s = t->s;
    const fdl_source_desc *src = &s->program->sources[st->source];
    size_t nf = (size_t)src->nfields, n = entries->elements, rows = 0;
    const char **cells = calloc(n * nf + 1, sizeof *cells);
    size_t *lengths = calloc(n * nf + 1, sizeof *lengths);
    char **errors = calloc(n + 1, sizeof *errors);
    const char **ack = calloc(n + 3, sizeof *ack);
    fdl_value *values = calloc(nf + 1, sizeof *values);
    bool *changed = calloc(nf + 1, sizeof *changed);
    wal_record *rec = wal_record_new();
    bool ok = cells && lengths && errors && ack && values && changed && rec;
    const char *last = NULL;
    size_t nack = 3, duplicates = 0;
    push_outcome o = {0};
    for (size_t i = 0; ok && i < n; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        const char *id = e->element[0]->str;
        ack[nack++] = id;
        if (!id_after(id, st->position) || (last && !id_after(id, last))) {
            duplicates++;
            continue;
        }
        last = id;
        const redisReply *fields = e->element[1];
        if (fields->type != REDIS_REPLY_ARRAY) {
            /* Deleted from the stream while pending: nothing to ingest. */
            continue;
        }
        for (size_t k = 0; k + 1 < fields->elements; k += 2) {
            const redisReply *name = fields->element[k], *value = fields->element[k + 1];
            int f = -1;
            for (size_t g = 0; name->type == REDIS_REPLY_STRING && g < nf; g++)
                if (strlen(src->fields[g].name) == name->len && memcmp(src->fields[g].name, name->str, name->len) == 0)
                    f = (int)g;
            if (f < 0 || value->type != REDIS_REPLY_STRING) {
                if (!errors[rows] && asprintf(&errors[rows], "entry %s: unknown field '%.*s'", id,
                                              (int)(name->len < 200 ? name->len : 200),
                                              name->str ? name->str : "") < 0)
                    errors[rows] = NULL;
                continue;
            }
            cells[rows * nf + (size_t)f] = value->str;
            lengths[rows * nf + (size_t)f] = value->len;
        }
        rows++;
    }
    uint64_t position = 0;
    fdl_error err = {0};
    if (ok && last) {
        pthread_mutex_lock(&s->lock);
        ok = !atomic_load(&s->wal_failed);
        if (ok) {
            wal_record_begin_stream(rec, s->program, st->source, st->key, last);
            push_ingest(s, st->source, rows, cells, lengths, errors, rec, values, changed, &o);
            ok = wal_append(s->wal, rec, &position, &err);
            if (!ok)
                atomic_store(&s->wal_failed, true);
            else
                snprintf(st->position, sizeof st->position, "%s", last);
        }
        pthread_mutex_unlock(&s->lock);
        ok = ok && wal_sync(s->wal, position, &err);
        if (!ok)
            say(t, "the write-ahead log failed (%s): stream ingest stops", st->key,
                err.message[0] ? err.message : "an earlier write");
        atomic_fetch_add(&st->consumed, rows);
        atomic_fetch_add(&st->accepted, o.accepted);
        atomic_fetch_add(&st->dropped, o.dropped);
        atomic_fetch_add(&st->failed, o.failed);
    }
    atomic_fetch_add(&st->duplicates, duplicates);
    if (ok && nack > 3) {
        ack[0] = "XACK";
        ack[1] = st->key;
        ack[2] = t->group;
        redisReply *r = command(t, (int)nack, ack);
        ok = r != NULL;
        if (r && r->type == REDIS_REPLY_INTEGER)
            atomic_fetch_add(&st->acked, (uint64_t)r->integer);
        freeReplyObject(r);
    }
    for (size_t i = 0; errors && i < n; i++)
        free(errors[i]);
    free(cells);
    free(lengths);
    free(errors);
    free(ack);
    free(values);
    free(changed);
    wal_record_free(rec);
    return ok;
}

/* An XREADGROUP reply: [[key, entries], ...] or nil. */
static bool apply_reply(streamer *t, const redisReply *r)
{
    if (r->type == REDIS_REPLY_NIL)
        return true;
    if (r->type == REDIS_REPLY_ERROR) {
        say(t, "XREADGROUP: %s", t->host, r->str);
        return false;
    }
    if (r->type != REDIS_REPLY_ARRAY)
        return false;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *one = r->element[i];
        if (one->type != REDIS_REPLY_ARRAY || one->elements != 2 || one->element[0]->type != REDIS_REPLY_STRING ||
            one->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        for (int k = 0; k < t->n; k++)
            if (strcmp(t->streams[k].key, one->element[0]->str) == 0 &&
                !apply_entries(t, &t->streams[k], one->element[1]))
                return false;
    }
    return true;
}

/* ------------------------------------------------------------ start of a connection */

/* Acknowledges our pending entries (delivered before a crash, never
 * acknowledged) that the WAL has: those up to the position. The ones
 * after it are left pending: the group, set back to the position, delivers
 * them again in order with the rest (applying them here, out of order,
 * could pass over entries the WAL lost but Redis had acknowledged). */
static bool ack_logged_pending(streamer *t, stream_state *st)
{
    char from[WAL_STREAM_ID] = "0", count[16];
    snprintf(count, sizeof count, "%d", BATCH);
    for (bool more = st->position[0] != '\0'; more;) {
        const char *read[] = {"XREADGROUP", "GROUP", t->group, CONSUMER, "COUNT", count, "STREAMS", st->key, from};
        redisReply *r = command(t, 9, read);
        if (!r)
            return false;
        const redisReply *entries = r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
                                    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2
                                    ? r->element[0]->element[1] : NULL;
        size_t n = entries && entries->type == REDIS_REPLY_ARRAY ? entries->elements : 0;
        const char **ack = calloc(n + 3, sizeof *ack);
        size_t nack = 3;
        more = ack != NULL && n > 0;
        for (size_t i = 0; more && i < n; i++) {
            const redisReply *e = entries->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
                e->element[0]->len >= sizeof from || id_after(e->element[0]->str, st->position)) {
                more = false;
                break;
            }
            ack[nack++] = e->element[0]->str;
            snprintf(from, sizeof from, "%s", e->element[0]->str);
        }
        bool ok = ack != NULL;
        if (ok && nack > 3) {
            ack[0] = "XACK";
            ack[1] = st->key;
            ack[2] = t->group;
            redisReply *a = command(t, (int)nack, ack);
            ok = a != NULL;
            if (a && a->type == REDIS_REPLY_INTEGER) {
                atomic_fetch_add(&st->acked, (uint64_t)a->integer);
                atomic_fetch_add(&st->duplicates, (uint64_t)a->integer);
            }
            freeReplyObject(a);
        }
        free(ack);
        freeReplyObject(r);
        if (!ok)
            return false;
    }
    return true;
}

/* The group (made if missing), set back to our position (what the WAL
 * holds: everything after it is delivered again), then our pending
 * entries up to it acknowledged. */
static bool prepare_stream(streamer *t, stream_state *st)
{
    const char *create[] = {"XGROUP", "CREATE", st->key, t->group, "0", "MKSTREAM"};
    redisReply *r = command(t, 6, create);
    if (!r)
        return false;
    bool ok = r->type != REDIS_REPLY_ERROR || strncmp(r->str, "BUSYGROUP", 9) == 0;
    if (!ok)
        say(t, "XGROUP CREATE: %s", st->key, r->str);
    freeReplyObject(r);
    if (!ok)
        return false;
    const char *setid[] = {"XGROUP", "SETID", st->key, t->group, st->position[0] ? st->position : "0"};
    r = command(t, 5, setid);
    ok = r && r->type != REDIS_REPLY_ERROR;
    if (r && !ok)
        say(t, "XGROUP SETID: %s", st->key, r->str);
    freeReplyObject(r);
    return ok && ack_logged_pending(t, st);
}

static bool connect_redis(streamer *t)
{
    struct timeval timeout = {5, 0};
    t->c = redisConnectWithTimeout(t->host, t->port, timeout);
    if (!t->c || t->c->err) {
        if (!t->said_down)
            say(t, "cannot connect: %s (retrying every second)", t->host, t->c ? t->c->errstr : "out of memory");
        t->said_down = true;
        redisFree(t->c);
        t->c = NULL;
        return false;
    }
    /* Longer than BLOCK_MS: a blocked read is no timeout. */
    redisSetTimeout(t->c, timeout);
    for (int k = 0; k < t->n; k++)
        if (!prepare_stream(t, &t->streams[k])) {
            redisFree(t->c);
            t->c = NULL;
            return false;
        }
    if (t->said_down)
        fprintf(stderr, "fdl-server: redis %s: connected\n", t->host);
    t->said_down = false;
    return true;
}

/* ------------------------------------------------------------ the loop */

/* XINFO GROUPS' lag (Redis 7) of our group, per stream, now and then. */
static void measure_lag(streamer *t)
{
    int64_t now = now_ns();
    if (now - t->lag_at < LAG_EVERY_NS)
        return;
    t->lag_at = now;
    for (int k = 0; k < t->n && t->c; k++) {
        const char *info[] = {"XINFO", "GROUPS", t->streams[k].key};
        redisReply *r = redisCommandArgv(t->c, 3, info, NULL);
        int64_t lag = -1;
        for (size_t g = 0; r && r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
            const redisReply *m = r->element[g];
            bool ours = false;
            int64_t value = -1;
            for (size_t i = 0; m->type == REDIS_REPLY_ARRAY && i + 1 < m->elements; i += 2) {
                const redisReply *name = m->element[i], *v = m->element[i + 1];
                if (name->type != REDIS_REPLY_STRING)
                    continue;
                if (strcmp(name->str, "name") == 0 && v->type == REDIS_REPLY_STRING)
                    ours = strcmp(v->str, t->group) == 0;
                else if (strcmp(name->str, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
                    value = v->integer;
            }
            if (ours)
                lag = value;
        }
        atomic_store(&t->streams[k].lag, lag);
        freeReplyObject(r);
    }
}

static void pause_second(streamer *t)
{
    for (int i = 0; i < 10 && !atomic_load(&t->stop); i++)
        usleep(100000);
}

static void *consume(void *arg)
{
    streamer *t = arg;
    char count[16], block[16];
    snprintf(count, sizeof count, "%d", BATCH);
    snprintf(block, sizeof block, "%d", BLOCK_MS);
    const char *head[] = {"XREADGROUP", "GROUP", t->group, CONSUMER, "COUNT", count, "BLOCK", block, "STREAMS"};
    /* The 9 words, the keys, as many ">" (what the group has not delivered). */
    int argc = 9 + 2 * t->n;
    const char **argv = calloc((size_t)argc, sizeof *argv);
    if (!argv) {
        fprintf(stderr, "fdl-server: redis: out of memory: stream ingest stops\n");
        return NULL;
    }
    memcpy(argv, head, sizeof head);
    for (int k = 0; k < t->n; k++) {
        argv[9 + k] = t->streams[k].key;
        argv[9 + t->n + k] = ">";
    }
    while (!atomic_load(&t->stop) && !atomic_load(&t->s->wal_failed)) {
        if (!t->c && !connect_redis(t)) {
            atomic_fetch_add(&t->reconnects, 1);
            pause_second(t);
            continue;
        }
        redisReply *r = command(t, argc, argv);
        bool ok = r && apply_reply(t, r);
        freeReplyObject(r);
        if (ok)
            measure_lag(t);
        else {
            redisFree(t->c);
            t->c = NULL;
            pause_second(t);
        }
    }
    free(argv);
    return NULL;
}

/* ------------------------------------------------------------ start, stop, metrics */

bool stream_option(server_options *o, const char *value)
{
    char *eq = strchr(value, '=');
    if (!eq || eq == value || !eq[1] || strlen(eq + 1) >= WAL_STREAM_KEY) {
        fprintf(stderr, "fdl-server: --stream '%s': expected SOURCE=KEY (a key under %d bytes)\n", value,
                WAL_STREAM_KEY);
        return false;
    }
    if (o->nstreams == STREAM_MAX) {
        fprintf(stderr, "fdl-server: more than %d --stream options\n", STREAM_MAX);
        return false;
    }
    for (int i = 0; i < o->nstreams; i++)
        if (strcmp(o->streams[i].key, eq + 1) == 0) {
            fprintf(stderr, "fdl-server: --stream: key '%s' given twice\n", eq + 1);
            return false;
        }
    *eq = '\0';
    o->streams[o->nstreams++] = (stream_option_t){value, eq + 1};
    return true;
}

streamer *streamer_start(server *s, const char *data_dir_real)
{
    const server_options *o = &s->options;
    streamer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->s = s;
    t->n = o->nstreams;
    t->streams = calloc((size_t)t->n, sizeof *t->streams);
    const char *colon = strrchr(o->redis, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == o->redis || (size_t)(colon - o->redis) >= sizeof t->host || *end || port < 1 ||
        port > 65535) {
        fprintf(stderr, "fdl-server: --redis '%s': expected HOST:PORT\n", o->redis);
        goto fail;
    }
    memcpy(t->host, o->redis, (size_t)(colon - o->redis));
    t->port = (int)port;
    if ((o->group ? asprintf(&t->group, "%s", o->group) : asprintf(&t->group, "fdl-server:%s", data_dir_real)) < 0) {
        t->group = NULL;
        goto fail;
    }
    for (int k = 0; k < t->n; k++) {
        stream_state *st = &t->streams[k];
        st->key = o->streams[k].key;
        st->source = fdl_program_source(s->program, o->streams[k].source);
        atomic_store(&st->lag, -1);
        if (st->source < 0) {
            fprintf(stderr, "fdl-server: --stream %s=%s: no source '%s' in these definitions\n",
                    o->streams[k].source, st->key, o->streams[k].source);
            goto fail;
        }
        pthread_mutex_lock(&s->lock);
        wal_stream_position(s->wal, st->key, st->position, sizeof st->position);
        pthread_mutex_unlock(&s->lock);
    }
    if (pthread_create(&t->thread, NULL, consume, t) != 0) {
        fprintf(stderr, "fdl-server: cannot start the stream thread\n");
        goto fail;
    }
    t->started = true;
    return t;
fail:
    free(t->streams);
    free(t->group);
    free(t);
    return NULL;
}

void streamer_stop(streamer *t)
{
    if (!t)
        return;
    atomic_store(&t->stop, true);
    if (t->started)
        pthread_join(t->thread, NULL);
    redisFree(t->c);
    free(t->streams);
    free(t->group);
    free(t);
}

static void series(FILE *out, const char *name, const char *help, const char *type, const streamer *t,
                   size_t offset)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    for (int k = 0; k < t->n; k++) {
        const stream_state *st = &t->streams[k];
        fprintf(out, "%s{stream=", name);
        json_write_string(out, st->key, strlen(st->key));
        if (offset == offsetof(stream_state, lag))
            fprintf(out, "} %" PRId64 "\n", atomic_load((_Atomic int64_t *)((char *)st + offset)));
        else
            fprintf(out, "} %" PRIu64 "\n", atomic_load((_Atomic uint64_t *)((char *)st + offset)));
    }
}

void streamer_metrics(const streamer *t, FILE *out)
{
    if (!t)
        return;
    series(out, "fdl_stream_entries_consumed_total", "Stream entries ingested (each ID once).", "counter", t,
           offsetof(stream_state, consumed));
    series(out, "fdl_stream_entries_acked_total", "Stream entries acknowledged (XACK).", "counter", t,
           offsetof(stream_state, acked));
    series(out, "fdl_stream_rows_accepted_total", "Stream rows accepted (in the WAL and the store).", "counter", t,
           offsetof(stream_state, accepted));
    series(out, "fdl_stream_rows_dropped_total", "Stream rows a drop expectation dropped.", "counter", t,
           offsetof(stream_state, dropped));
    series(out, "fdl_stream_rows_failed_total", "Stream rows refused (a fail expectation, a bad field).",
           "counter", t, offsetof(stream_state, failed));
    series(out, "fdl_stream_duplicates_total", "Entries delivered again and skipped (already in the WAL).",
           "counter", t, offsetof(stream_state, duplicates));
    series(out, "fdl_stream_lag", "Entries not yet delivered to the group (XINFO GROUPS lag; -1 unknown).",
           "gauge", t, offsetof(stream_state, lag));
    fprintf(out, "# HELP fdl_stream_reconnects_total Failed connection attempts to Redis.\n"
                 "# TYPE fdl_stream_reconnects_total counter\nfdl_stream_reconnects_total %" PRIu64 "\n",
            atomic_load(&((streamer *)t)->reconnects));
}
