/*
 * wal.c - fdl-server's write-ahead log of accepted events, and recovery.
 *
 * DIR/wal/<20-digit sequence>.wal segment files. A segment starts with a
 * header of HEADER_SIZE bytes: "FDLWAL1\n", the fingerprint of the
 * definitions it was written under (64 bytes, NUL-padded), 8 reserved.
 * Then records: u32 payload length, u32 CRC-32C of the payload (both
 * little-endian), the payload. One record holds the accepted rows of one
 * /push, so a push is in the log whole or not at all:
 *
 *   u8 kind (1: rows)   u16 length + source name
 *   u16 nfields, each: u16 length + field name (replay maps by name)
 *   u32 nrows, each row: per field u32 length (NULL_FIELD: null), the
 *   bytes, a NUL (so replay hands the runtime terminated text in place)
 *
 * Two more kinds serve Redis stream ingest (stream.c): 3 is a kind 1
 * record preceded by u16 length + stream key, u16 length + the entry ID of
 * the last entry it covers (rows and the stream position land together,
 * or neither does); 2 (u16 count, then key and ID pairs as in 3) opens
 * every segment while any stream position is known, so the positions
 * survive the deletion of the segments a snapshot covers.
 *
 * Fields hold the values the expectations' policies left (clamped,
 * imputed), as text that parses back to the same value (floats shortest
 * round-trip), and replay pushes them without checking again (push_row),
 * which is what the serving path pushed.
 *
 * Recovery replays every segment in order. The last record of the last
 * segment may be torn (a crash mid-append): it is dropped, counted and cut
 * off the file. Anything else that does not read back is an error naming
 * the file and the offset. A snapshot would plug in at wal_open: restore
 * it, then replay from the position its tag names.
 */
#define _GNU_SOURCE

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

enum { HEADER_SIZE = 80, FINGERPRINT_SIZE = 64, RECORD_HEADER = 8, KIND_ROWS = 1, KIND_POSITIONS = 2,
       KIND_STREAM_ROWS = 3 };
#define NULL_FIELD UINT32_C(0xFFFFFFFF)
#define MAX_RECORD (UINT32_C(1) << 30)
static const char MAGIC[8] = "FDLWAL1\n";

struct wal {
    char dir[4200];
    fdl_store *store;
    const fdl_program *program;
    fsync_policy policy;
    uint64_t segment_bytes;
    int fd;                     /* the segment appended to */
    uint64_t sequence;          /* its number */
    uint64_t segment_size;      /* its bytes */
    uint64_t segment_opening;   /* its header and positions record */
    _Atomic uint64_t appended;  /* bytes appended since start: positions */
    _Atomic uint64_t synced;    /* positions durable */
    pthread_mutex_t sync_lock;  /* fd and synced while syncing or rotating */
    wal_stats stats;            /* under the server lock, but syncs */
    _Atomic uint64_t syncs, sync_errors;
    int npositions;             /* stream key -> last entry ID, under the server lock */
    struct { char key[WAL_STREAM_KEY]; char id[WAL_STREAM_ID]; } positions[WAL_MAX_STREAMS];
};

struct wal_record {
    unsigned char *data;
    size_t length, capacity;
    size_t nrows_at;
    uint32_t nrows;
    bool failed;
    char stream_key[WAL_STREAM_KEY];    /* kind 3: the stream and its last entry ID */
    char stream_id[WAL_STREAM_ID];
};

static char **list_segments(const char *dir, int *n, fdl_error *err);

/* ------------------------------------------------------------ records */

wal_record *wal_record_new(void)
{
    return calloc(1, sizeof(wal_record));
}

void wal_record_free(wal_record *r)
{
    if (r)
        free(r->data);
    free(r);
}

static void put(wal_record *r, const void *bytes, size_t n)
{
    if (r->failed)
        return;
    if (r->length + n > r->capacity) {
        size_t capacity = r->capacity ? r->capacity : 4096;
        while (capacity < r->length + n)
            capacity *= 2;
        unsigned char *data = realloc(r->data, capacity);
        if (!data) {
            r->failed = true;
            return;
        }
        r->data = data;
        r->capacity = capacity;
    }
    memcpy(r->data + r->length, bytes, n);
    r->length += n;
}

static void put_u16(wal_record *r, uint16_t v)
{
    unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    put(r, b, 2);
}

static void put_u32(wal_record *r, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(r, b, 4);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void put_name(wal_record *r, const char *name)
{
    size_t n = strlen(name);
    assert(n < 65536);
    put_u16(r, (uint16_t)n);
    put(r, name, n);
}

static void record_start(wal_record *r, unsigned char kind)
{
    r->length = 0;
    r->failed = false;
    r->nrows = 0;
    r->stream_key[0] = r->stream_id[0] = '\0';
    put(r, "\0\0\0\0\0\0\0\0", RECORD_HEADER);
    put(r, &kind, 1);
}

static void record_source(wal_record *r, const fdl_program *p, int source)
{
    const fdl_source_desc *src = &p->sources[source];
    put_name(r, src->name);
    put_u16(r, (uint16_t)src->nfields);
    for (int f = 0; f < src->nfields; f++)
        put_name(r, src->fields[f].name);
    r->nrows_at = r->length;
    put_u32(r, 0);
}

void wal_record_begin(wal_record *r, const fdl_program *p, int source)
{
    record_start(r, KIND_ROWS);
    record_source(r, p, source);
}

void wal_record_begin_stream(wal_record *r, const fdl_program *p, int source, const char *key, const char *id)
{
    assert(strlen(key) < WAL_STREAM_KEY && strlen(id) < WAL_STREAM_ID);
    record_start(r, KIND_STREAM_ROWS);
    put_name(r, key);
    put_name(r, id);
    snprintf(r->stream_key, sizeof r->stream_key, "%s", key);
    snprintf(r->stream_id, sizeof r->stream_id, "%s", id);
    record_source(r, p, source);
}

/* ------------------------------------------------------------ stream positions */

static int position_index(const wal *w, const char *key, size_t length)
{
    for (int i = 0; i < w->npositions; i++)
        if (strlen(w->positions[i].key) == length && memcmp(w->positions[i].key, key, length) == 0)
            return i;
    return -1;
}

/* Remembers key's last entry ID; false when it does not fit. */
static bool set_position(wal *w, const char *key, size_t key_length, const char *id, size_t id_length)
{
    if (key_length >= WAL_STREAM_KEY || id_length >= WAL_STREAM_ID)
        return false;
    int i = position_index(w, key, key_length);
    if (i < 0) {
        if (w->npositions == WAL_MAX_STREAMS)
            return false;
        i = w->npositions++;
        memcpy(w->positions[i].key, key, key_length);
        w->positions[i].key[key_length] = '\0';
    }
    memcpy(w->positions[i].id, id, id_length);
    w->positions[i].id[id_length] = '\0';
    return true;
}

bool wal_stream_position(wal *w, const char *key, char *id, size_t size)
{
    int i = position_index(w, key, strlen(key));
    snprintf(id, size, "%s", i < 0 ? "" : w->positions[i].id);
    return i >= 0;
}

/* The kind 2 record of every position, framed (length, CRC) and ready to
 * write; NULL when there is none. */
static wal_record *positions_record(const wal *w)
{
    if (w->npositions == 0)
        return NULL;
    wal_record *r = wal_record_new();
    if (!r)
        return NULL;
    record_start(r, KIND_POSITIONS);
    put_u16(r, (uint16_t)w->npositions);
    for (int i = 0; i < w->npositions; i++) {
        put_name(r, w->positions[i].key);
        put_name(r, w->positions[i].id);
    }
    uint32_t length = (uint32_t)(r->length - RECORD_HEADER);
    uint32_t crc = crc32c(0, r->data + RECORD_HEADER, length);
    for (int i = 0; !r->failed && i < 4; i++) {
        r->data[i] = (unsigned char)(length >> (8 * i));
        r->data[4 + i] = (unsigned char)(crc >> (8 * i));
    }
    return r;
}

/* One value as text that parses back to it; false for a vector. */
static bool value_text(fdl_value v, char *buf, size_t size, const char **text, size_t *length)
{
    switch (v.type) {
    case FDL_INT64:
        *length = (size_t)snprintf(buf, size, "%lld", (long long)v.as.i);
        break;
    case FDL_FLOAT64:
        *length = fdl_format_float(v.as.f, buf, size);
        break;
    case FDL_BOOL:
        *length = (size_t)snprintf(buf, size, "%s", v.as.b ? "true" : "false");
        break;
    case FDL_TIMESTAMP:
        *length = fdl_format_time(v.as.t, buf, size);
        break;
    case FDL_STRING:
        *text = v.as.s.ptr;
        *length = v.as.s.len;
        return true;
    default:
        return false;
    }
    *text = buf;
    return true;
}

bool wal_record_row(wal_record *r, const fdl_value *values, int nfields)
{
    size_t mark = r->length;
    bool ok = true;
    for (int f = 0; f < nfields; f++) {
        if (values[f].type == FDL_NULL) {
            put_u32(r, NULL_FIELD);
            continue;
        }
        char buf[64];
        const char *text;
        size_t length;
        if (!value_text(values[f], buf, sizeof buf, &text, &length) || length >= NULL_FIELD) {
            ok = false;
            break;
        }
        put_u32(r, (uint32_t)length);
        put(r, text, length);
        put(r, "", 1);
    }
    if (!ok || r->failed) {
        r->length = mark;
        return false;
    }
    r->nrows++;
    return true;
}

void wal_record_drop_last(wal_record *r, size_t mark)
{
    assert(r->nrows > 0 && mark <= r->length);
    r->length = mark;
    r->nrows--;
}

size_t wal_record_mark(const wal_record *r)
{
    return r->length;
}

uint64_t wal_record_rows(const wal_record *r)
{
    return r->nrows;
}

/* ------------------------------------------------------------ segments */

static void segment_path(const wal *w, uint64_t sequence, char *out, size_t size)
{
    snprintf(out, size, "%s/%020llu.wal", w->dir, (unsigned long long)sequence);
}

static void sync_directory(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static bool write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* A new segment, its header written and synced, the directory too. */
static bool create_segment(wal *w, uint64_t sequence, fdl_error *err)
{
    char path[4300];
    segment_path(w, sequence, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    unsigned char header[HEADER_SIZE] = {0};
    memcpy(header, MAGIC, sizeof MAGIC);
    size_t n = strlen(w->program->fingerprint);
    memcpy(header + sizeof MAGIC, w->program->fingerprint, n < FINGERPRINT_SIZE ? n : FINGERPRINT_SIZE);
    /* The stream positions so far open it, synced with the header: a
     * snapshot may delete the segments that logged them once this returns. */
    wal_record *positions = positions_record(w);
    if (fd < 0 || !write_all(fd, header, sizeof header) || (positions && positions->failed) ||
        (positions && !write_all(fd, positions->data, positions->length)) || fdatasync(fd) != 0) {
        fdl_error_set(err, FDL_ERR_IO, "WAL segment %s: %s", path,
                      positions && positions->failed ? "out of memory" : strerror(errno));
        if (fd >= 0)
            close(fd);
        wal_record_free(positions);
        return false;
    }
    size_t opening = HEADER_SIZE + (positions ? positions->length : 0);
    wal_record_free(positions);
    sync_directory(w->dir);
    w->fd = fd;
    w->sequence = sequence;
    w->segment_size = w->segment_opening = opening;
    w->stats.segments++;
    w->stats.bytes += opening;
    return true;
}

/* The segment after the current one; the current one synced first, so
 * every position before the new segment is durable. */
static bool rotate(wal *w, fdl_error *err)
{
    pthread_mutex_lock(&w->sync_lock);
    bool ok = true;
    if (w->fd >= 0) {
        if (w->policy != FSYNC_NO && fdatasync(w->fd) != 0)
            ok = false;
        atomic_store(&w->synced, atomic_load(&w->appended));
        close(w->fd);
        w->fd = -1;
    }
    ok = ok && create_segment(w, w->sequence + 1, err);
    pthread_mutex_unlock(&w->sync_lock);
    return ok;
}

bool wal_append(wal *w, wal_record *r, uint64_t *position, fdl_error *err)
{
    if (r->failed || r->length - RECORD_HEADER > MAX_RECORD)
        return fdl_error_set(err, FDL_ERR_MEMORY, "WAL record: out of memory or over 1 GiB") == FDL_OK;
    unsigned char *p = r->data;
    uint32_t length = (uint32_t)(r->length - RECORD_HEADER);
    uint32_t nrows = r->nrows;
    for (int i = 0; i < 4; i++)
        p[r->nrows_at + (size_t)i] = (unsigned char)(nrows >> (8 * i));
    uint32_t crc = crc32c(0, p + RECORD_HEADER, length);
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(length >> (8 * i));
        p[4 + i] = (unsigned char)(crc >> (8 * i));
    }
    if (w->segment_size > w->segment_opening && w->segment_size + r->length > w->segment_bytes &&
        !rotate(w, err))
        return false;
    if (!write_all(w->fd, p, r->length)) {
        int error = errno;
        /* Cut off whatever part went out: the next record must follow a whole one. */
        if (ftruncate(w->fd, (off_t)w->segment_size) != 0)
            error = errno;
        fdl_error_set(err, FDL_ERR_IO, "WAL segment %020llu.wal: %s", (unsigned long long)w->sequence,
                      strerror(error));
        return false;
    }
    w->segment_size += r->length;
    w->stats.bytes += r->length;
    w->stats.records_appended++;
    w->stats.rows_appended += nrows;
    /* stream.c takes at most WAL_MAX_STREAMS streams of short keys: it fits. */
    bool kept = !r->stream_key[0] ||
                set_position(w, r->stream_key, strlen(r->stream_key), r->stream_id, strlen(r->stream_id));
    assert(kept);
    (void)kept;
    *position = atomic_fetch_add(&w->appended, r->length) + r->length;
    return true;
}

bool wal_rotate(wal *w, uint64_t *tag, fdl_error *err)
{
    *tag = w->sequence;
    return rotate(w, err);
}

void wal_delete_through(wal *w, uint64_t tag)
{
    int n;
    fdl_error err = {0};
    char **names = list_segments(w->dir, &n, &err);
    char path[4300];
    for (int i = 0; i < n; i++) {
        uint64_t sequence = strtoull(names[i], NULL, 10);
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", w->dir, names[i]);
        if (sequence <= tag && sequence != w->sequence && stat(path, &st) == 0 && unlink(path) == 0) {
            w->stats.segments--;
            w->stats.bytes -= (uint64_t)st.st_size;
        }
        free(names[i]);
    }
    free(names);
    sync_directory(w->dir);
}

bool wal_sync(wal *w, uint64_t position, fdl_error *err)
{
    if (w->policy != FSYNC_ALWAYS || atomic_load(&w->synced) >= position)
        return true;
    pthread_mutex_lock(&w->sync_lock);
    bool ok = true;
    if (atomic_load(&w->synced) < position) {
        /* Everything appended so far: one sync serves every waiting push. */
        uint64_t target = atomic_load(&w->appended);
        atomic_fetch_add(&w->syncs, 1);
        if (fdatasync(w->fd) == 0) {
            atomic_store(&w->synced, target);
        } else {
            atomic_fetch_add(&w->sync_errors, 1);
            fdl_error_set(err, FDL_ERR_IO, "WAL sync: %s", strerror(errno));
            ok = false;
        }
    }
    pthread_mutex_unlock(&w->sync_lock);
    return ok;
}

void wal_sync_pending(wal *w)
{
    pthread_mutex_lock(&w->sync_lock);
    uint64_t target = atomic_load(&w->appended);
    if (atomic_load(&w->synced) < target && w->fd >= 0) {
        atomic_fetch_add(&w->syncs, 1);
        if (fdatasync(w->fd) == 0)
            atomic_store(&w->synced, target);
        else
            atomic_fetch_add(&w->sync_errors, 1);
    }
    pthread_mutex_unlock(&w->sync_lock);
}

void wal_get_stats(wal *w, wal_stats *out)
{
    *out = w->stats;
    out->syncs = atomic_load(&w->syncs);
    out->sync_errors = atomic_load(&w->sync_errors);
}

/* ------------------------------------------------------------ recovery */

/* One segment's bytes, read whole. */
typedef struct segment {
    char path[4300];
    unsigned char *data;
    size_t size;
} segment;

static bool read_segment(segment *s, fdl_error *err)
{
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fdl_error_set(err, FDL_ERR_IO, "%s: %s", s->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    s->size = (size_t)st.st_size;
    s->data = malloc(s->size + 1);
    size_t got = 0;
    while (s->data && got < s->size) {
        ssize_t n = read(fd, s->data + got, s->size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!s->data || got != s->size) {
        fdl_error_set(err, FDL_ERR_IO, "%s: cannot read it whole", s->path);
        return false;
    }
    return true;
}

/* A record's payload, checked by its reader: a cursor that fails once. */
typedef struct cursor {
    const unsigned char *p, *end;
    bool bad;
} cursor;

static const unsigned char *take(cursor *c, size_t n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = true;
        return NULL;
    }
    const unsigned char *at = c->p;
    c->p += n;
    return at;
}

static uint32_t take_u32(cursor *c)
{
    const unsigned char *p = take(c, 4);
    return p ? get_u32(p) : 0;
}

static uint16_t take_u16(cursor *c)
{
    const unsigned char *p = take(c, 2);
    return p ? get_u16(p) : 0;
}

/* Replays one record's rows. map[i]: the record's field i in the current
 * source's fields, or -1 (dropped under --rebuild). */
typedef struct replay {
    wal *w;
    bool rebuild;
    const char **cells;         /* the most fields of any source */
    size_t *lengths;
    uint64_t skipped;           /* rows --rebuild could not replay */
} replay;

static bool replay_rows(replay *rp, cursor *c, int source, const int *map, int nfields,
                        const char *where, fdl_error *err)
{
    const fdl_source_desc *src = &rp->w->program->sources[source];
    uint32_t nrows = take_u32(c);
    fdl_ingest_row_fn push = src->push_row ? src->push_row : src->ingest_row;
    for (uint32_t row = 0; row < nrows && !c->bad; row++) {
        for (int f = 0; f < src->nfields; f++) {
            rp->cells[f] = NULL;
            rp->lengths[f] = 0;
        }
        for (int f = 0; f < nfields; f++) {
            uint32_t length = take_u32(c);
            if (length == NULL_FIELD)
                continue;
            const unsigned char *text = take(c, (size_t)length + 1);
            if (!text || text[length] != '\0') {
                c->bad = true;
                break;
            }
            if (source >= 0 && map[f] >= 0) {
                rp->cells[map[f]] = (const char *)text;
                rp->lengths[map[f]] = length;
            }
        }
        if (c->bad)
            break;
        fdl_error e = {0};
        if (push(rp->w->store, rp->cells, rp->lengths, &e) != FDL_OK) {
            if (!rp->rebuild) {
                fdl_error_set(err, FDL_ERR_FORMAT, "%s: row %u does not replay: %s", where, row, e.message);
                return false;
            }
            rp->skipped++;
        }
        rp->w->stats.rows_replayed++;
    }
    if (c->bad)
        return fdl_error_set(err, FDL_ERR_FORMAT, "%s: a malformed record", where) == FDL_OK;
    return true;
}

/* n stream key and entry ID pairs into w's positions. */
static bool replay_positions(wal *w, cursor *c, int n)
{
    for (int i = 0; i < n && !c->bad; i++) {
        uint16_t k = take_u16(c);
        const unsigned char *key = take(c, k);
        uint16_t d = take_u16(c);
        const unsigned char *id = take(c, d);
        if (!key || !id || !set_position(w, (const char *)key, k, (const char *)id, d))
            return false;
    }
    return !c->bad;
}

static bool replay_record(replay *rp, const unsigned char *payload, size_t length, const char *where,
                          fdl_error *err)
{
    cursor c = {payload, payload + length, false};
    const unsigned char *kind = take(&c, 1);
    if (!kind || *kind < KIND_ROWS || *kind > KIND_STREAM_ROWS)
        return fdl_error_set(err, FDL_ERR_FORMAT, "%s: unknown record kind", where) == FDL_OK;
    if (*kind != KIND_ROWS && !replay_positions(rp->w, &c, *kind == KIND_POSITIONS ? take_u16(&c) : 1))
        return fdl_error_set(err, FDL_ERR_FORMAT, "%s: a malformed stream position", where) == FDL_OK;
    if (*kind == KIND_POSITIONS)
        return true;
    uint16_t n = take_u16(&c);
    const unsigned char *name = take(&c, n);
    char source_name[65536];
    if (name)
        memcpy(source_name, name, n);
    source_name[name ? n : 0] = '\0';
    int source = fdl_program_source(rp->w->program, source_name);
    if (source < 0 && !rp->rebuild)
        return fdl_error_set(err, FDL_ERR_FORMAT, "%s: source '%s' is not in these definitions", where,
                             source_name) == FDL_OK;
    uint16_t nfields = take_u16(&c);
    int *map = calloc((size_t)nfields + 1, sizeof *map);
    if (!map)
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory") == FDL_OK;
    const fdl_source_desc *src = source >= 0 ? &rp->w->program->sources[source] : NULL;
    for (int f = 0; f < nfields; f++) {
        uint16_t k = take_u16(&c);
        const unsigned char *field = take(&c, k);
        map[f] = -1;
        for (int g = 0; field && src && g < src->nfields; g++)
            if (strlen(src->fields[g].name) == k && memcmp(src->fields[g].name, field, k) == 0)
                map[f] = g;
        if (field && map[f] < 0 && src && !rp->rebuild) {
            free(map);
            return fdl_error_set(err, FDL_ERR_FORMAT, "%s: source '%s' has no field '%.*s' any more",
                                 where, source_name, (int)k, field) == FDL_OK;
        }
    }
    bool ok = source < 0 ? true : replay_rows(rp, &c, source, map, nfields, where, err);
    free(map);
    return ok;
}

/* Replays one segment. *valid: the offset where the whole records end;
 * *torn: a last record that is not whole (allowed only in the last one). */
static bool replay_segment(replay *rp, segment *s, bool last, size_t *valid, bool *torn, fdl_error *err)
{
    size_t at = HEADER_SIZE;
    *torn = false;
    char where[4400];
    while (at < s->size) {
        bool whole = s->size - at >= RECORD_HEADER;
        uint32_t length = whole ? get_u32(s->data + at) : 0;
        whole = whole && length <= MAX_RECORD && s->size - at - RECORD_HEADER >= length;
        bool crc_ok = whole && crc32c(0, s->data + at + RECORD_HEADER, length) == get_u32(s->data + at + 4);
        bool at_end = whole && at + RECORD_HEADER + length == s->size;
        if (!whole || (!crc_ok && at_end)) {
            if (!last)
                return fdl_error_set(err, FDL_ERR_FORMAT, "%s: offset %zu: a torn record in a segment"
                                     " that is not the last", s->path, at) == FDL_OK;
            *torn = true;
            break;
        }
        if (!crc_ok)
            return fdl_error_set(err, FDL_ERR_FORMAT, "%s: offset %zu: checksum mismatch (corrupt WAL)",
                                 s->path, at) == FDL_OK;
        snprintf(where, sizeof where, "%s: offset %zu", s->path, at);
        if (!replay_record(rp, s->data + at + RECORD_HEADER, length, where, err))
            return false;
        rp->w->stats.records_replayed++;
        at += RECORD_HEADER + length;
    }
    *valid = at;
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The segment file names in dir, sorted; NULL and *n = -1 on error. */
static char **list_segments(const char *dir, int *n, fdl_error *err)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) {
        fdl_error_set(err, FDL_ERR_IO, "%s: %s", dir, strerror(errno));
        *n = -1;
        return NULL;
    }
    char **names = NULL;
    int capacity = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len != 24 || strcmp(e->d_name + 20, ".wal") != 0 || strspn(e->d_name, "0123456789") != 20)
            continue;
        if (*n == capacity) {
            capacity = capacity ? capacity * 2 : 16;
            char **more = realloc(names, (size_t)capacity * sizeof *names);
            if (!more)
                break;
            names = more;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, (size_t)*n, sizeof *names, compare_names);
    return names;
}

/* The header: magic, then the fingerprint (other definitions: an error
 * unless rebuilding, then rewritten to ours once replayed). */
static bool check_header(wal *w, segment *s, bool rebuild, bool *other, fdl_error *err)
{
    if (s->size < HEADER_SIZE || memcmp(s->data, MAGIC, sizeof MAGIC) != 0)
        return fdl_error_set(err, FDL_ERR_FORMAT, "%s: offset 0: not an fdl-server WAL segment", s->path) == FDL_OK;
    char fingerprint[FINGERPRINT_SIZE + 1] = {0};
    memcpy(fingerprint, s->data + sizeof MAGIC, FINGERPRINT_SIZE);
    *other = strcmp(fingerprint, w->program->fingerprint) != 0;
    if (*other && !rebuild)
        return fdl_error_set(err, FDL_ERR_FORMAT,
                             "%s: written under other definitions (fingerprint %.12s..., these are"
                             " %.12s...): start with --rebuild to replay the log under these",
                             s->path, fingerprint, w->program->fingerprint) == FDL_OK;
    return true;
}

static bool adopt_segment(wal *w, const char *path, fdl_error *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    char fingerprint[FINGERPRINT_SIZE] = {0};
    size_t n = strlen(w->program->fingerprint);
    memcpy(fingerprint, w->program->fingerprint, n < FINGERPRINT_SIZE ? n : FINGERPRINT_SIZE);
    bool ok = fd >= 0 && pwrite(fd, fingerprint, FINGERPRINT_SIZE, sizeof MAGIC) == FINGERPRINT_SIZE &&
              fdatasync(fd) == 0;
    if (!ok)
        fdl_error_set(err, FDL_ERR_IO, "%s: cannot rewrite its fingerprint: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Replays every segment; the last one stays open for appends when it is
 * whole and ours (cut to its last whole record). */
static bool recover(wal *w, bool rebuild, uint64_t covered, fdl_error *err)
{
    int n;
    char **names = list_segments(w->dir, &n, err);
    if (n < 0)
        return false;
    int most = 1;
    for (int s = 0; s < w->program->nsources; s++)
        most = w->program->sources[s].nfields > most ? w->program->sources[s].nfields : most;
    replay rp = {w, rebuild, calloc((size_t)most, sizeof(char *)), calloc((size_t)most, sizeof(size_t)), 0};
    bool ok = rp.cells && rp.lengths;
    w->sequence = covered;
    for (int i = 0; ok && i < n; i++) {
        segment s = {.data = NULL};
        snprintf(s.path, sizeof s.path, "%s/%s", w->dir, names[i]);
        if (strtoull(names[i], NULL, 10) <= covered) {
            /* In the restored snapshot: left by a crash before its deletion. */
            unlink(s.path);
            continue;
        }
        bool other = false, torn = false;
        size_t valid = 0;
        ok = read_segment(&s, err);
        if (ok && i == n - 1 && s.size < HEADER_SIZE) {
            /* A crash while the segment was being created: nothing in it yet. */
            w->stats.torn_dropped++;
            unlink(s.path);
            w->sequence = strtoull(names[i], NULL, 10);
            free(s.data);
            break;
        }
        ok = ok && check_header(w, &s, rebuild, &other, err) &&
             replay_segment(&rp, &s, i == n - 1, &valid, &torn, err);
        if (ok && torn) {
            w->stats.torn_dropped++;
            ok = truncate(s.path, (off_t)valid) == 0 ||
                 fdl_error_set(err, FDL_ERR_IO, "%s: cannot cut the torn record: %s", s.path, strerror(errno)) == FDL_OK;
        }
        if (ok && other)
            ok = adopt_segment(w, s.path, err);
        w->sequence = strtoull(names[i], NULL, 10);
        w->stats.segments++;
        w->stats.bytes += ok ? (torn ? valid : s.size) : 0;
        free(s.data);
    }
    if (rp.skipped)
        fprintf(stderr, "fdl-server: --rebuild: %llu rows did not replay under these definitions\n",
                (unsigned long long)rp.skipped);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(rp.cells);
    free(rp.lengths);
    return ok;
}

static bool make_directory(const char *path, fdl_error *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return fdl_error_set(err, FDL_ERR_IO, "cannot create %s: %s", path, strerror(errno)) == FDL_OK;
    return true;
}

wal *wal_open(const char *dir, fdl_store *store, fsync_policy policy, uint64_t segment_bytes,
              bool rebuild, uint64_t covered, fdl_error *err)
{
    wal *w = calloc(1, sizeof *w);
    if (!w) {
        fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
        return NULL;
    }
    snprintf(w->dir, sizeof w->dir, "%s/wal", dir);
    w->store = store;
    w->program = fdl_store_program(store);
    w->policy = policy;
    w->segment_bytes = segment_bytes;
    w->fd = -1;
    pthread_mutex_init(&w->sync_lock, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!make_directory(dir, err) || !make_directory(w->dir, err) || !recover(w, rebuild, covered, err)) {
        wal_close(w);
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    w->stats.recovery_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* Appends go to a fresh segment: the recovered ones stay as they were read. */
    if (!create_segment(w, w->sequence + 1, err)) {
        wal_close(w);
        return NULL;
    }
    return w;
}

void wal_close(wal *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        if (w->policy != FSYNC_NO)
            fdatasync(w->fd);
        close(w->fd);
    }
    pthread_mutex_destroy(&w->sync_lock);
    free(w);
}
