/*
 * snapshot.c - a store's whole state in a file: fdl_store_save and
 * fdl_store_restore (fdlrt.h), the format below, its CRCs, and the walk
 * over the store's entities. docs/snapshots.md describes the format for
 * users; the parts of the state are encoded by their owners (snapshot.h).
 *
 * File: the magic "FDLSNAP\n", a u32 format version, a u32 of flags (0),
 * then records. A record is a u8 kind, a u64 payload length, the payload,
 * and the CRC-32C of kind, length and payload (u32). Records, in order:
 *
 *   'H'  header: the program's name and fingerprint, the runtime ABI, the
 *        tag, the program's table sizes, the lateness and keep_history the
 *        store ran with, the embeddings loaded (names: their tables are not
 *        saved, see docs/snapshots.md), the wall-clock time of the save
 *   'S'  the store: newest event time, watermark, counters
 *   'C'  expectations: counters, field statistics, memory of checks
 *   'E'  entities of one entity type, up to about 1 MiB per record: key
 *        bytes, then each group state the entity holds (window_snapshot.c)
 *   'Z'  the end: the number of records and entities before it
 *
 * Integers little-endian, doubles as their 64 bits. Restoring reads the
 * whole file, checks the framing and every CRC before touching the store
 * (a truncated or damaged file is refused naming the file and the offset
 * of the bad record), then decodes; a decode error (a file that passed its
 * CRCs but is not what this runtime writes) leaves the store fresh again.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "snapshot.h"

static const char MAGIC[8] = {'F', 'D', 'L', 'S', 'N', 'A', 'P', '\n'};
enum { FORMAT_VERSION = 1, PREAMBLE = 16, RECORD_HEAD = 9, RECORD_CRC = 4 };
/* Entities per 'E' record: a new record once the payload passes this. */
enum { RECORD_TARGET = 1 << 20 };

/* ------------------------------------------------------------- CRC-32C */

/* Castagnoli polynomial, reflected; slicing by 8 (8 tables of 256). */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

static uint32_t crc32c(uint32_t crc, const unsigned char *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^
              crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* -------------------------------------------------------------- writer */

static void reserve(fdl_snap_writer *w, size_t n)
{
    if (w->failed || w->capacity - w->len >= n)
        return;
    size_t capacity = w->capacity ? w->capacity : 4096;
    while (capacity - w->len < n) {
        if (capacity > SIZE_MAX / 2) {
            w->failed = true;
            return;
        }
        capacity *= 2;
    }
    unsigned char *data = realloc(w->data, capacity);
    if (!data) {
        w->failed = true;
        return;
    }
    w->data = data;
    w->capacity = capacity;
}

void fdl_snap_put_bytes(fdl_snap_writer *w, const void *bytes, size_t len)
{
    reserve(w, len);
    if (w->failed || len == 0)
        return;
    memcpy(w->data + w->len, bytes, len);
    w->len += len;
}

static void put_le(fdl_snap_writer *w, uint64_t v, int n)
{
    unsigned char b[8];
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    fdl_snap_put_bytes(w, b, (size_t)n);
}

void fdl_snap_put_u8(fdl_snap_writer *w, uint8_t v) { put_le(w, v, 1); }
void fdl_snap_put_u32(fdl_snap_writer *w, uint32_t v) { put_le(w, v, 4); }
void fdl_snap_put_u64(fdl_snap_writer *w, uint64_t v) { put_le(w, v, 8); }
void fdl_snap_put_i64(fdl_snap_writer *w, int64_t v) { put_le(w, (uint64_t)v, 8); }

void fdl_snap_put_f64(fdl_snap_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_le(w, bits, 8);
}

void fdl_snap_put_string(fdl_snap_writer *w, const char *s, size_t len)
{
    fdl_snap_put_u64(w, len);
    fdl_snap_put_bytes(w, s, len);
}

/* -------------------------------------------------------------- reader */

bool fdl_snap_fail(fdl_snap_reader *r, const char *fmt, ...)
{
    if (!r->failed) {
        r->failed = true;
        r->failed_at = r->base + r->pos;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why, sizeof r->why, fmt, ap);
        va_end(ap);
    }
    return false;
}

bool fdl_snap_get_bytes(fdl_snap_reader *r, void *out, size_t len)
{
    if (r->failed || r->size - r->pos < len) {
        memset(out, 0, len);
        return fdl_snap_fail(r, "the record ends inside a value");
    }
    if (len)
        memcpy(out, r->data + r->pos, len);
    r->pos += len;
    return true;
}

static bool get_le(fdl_snap_reader *r, uint64_t *out, int n)
{
    unsigned char b[8];
    *out = 0;
    if (!fdl_snap_get_bytes(r, b, (size_t)n))
        return false;
    for (int i = n - 1; i >= 0; i--)
        *out = (*out << 8) | b[i];
    return true;
}

bool fdl_snap_get_u8(fdl_snap_reader *r, uint8_t *out)
{
    uint64_t v;
    bool ok = get_le(r, &v, 1);
    *out = (uint8_t)v;
    return ok;
}

bool fdl_snap_get_u32(fdl_snap_reader *r, uint32_t *out)
{
    uint64_t v;
    bool ok = get_le(r, &v, 4);
    *out = (uint32_t)v;
    return ok;
}

bool fdl_snap_get_u64(fdl_snap_reader *r, uint64_t *out)
{
    return get_le(r, out, 8);
}

bool fdl_snap_get_i64(fdl_snap_reader *r, int64_t *out)
{
    uint64_t v;
    bool ok = get_le(r, &v, 8);
    *out = (int64_t)v;
    return ok;
}

bool fdl_snap_get_f64(fdl_snap_reader *r, double *out)
{
    uint64_t bits;
    bool ok = get_le(r, &bits, 8);
    memcpy(out, &bits, sizeof *out);
    if (ok && !isfinite(*out)) {
        *out = 0;
        return fdl_snap_fail(r, "a number that is not finite");
    }
    return ok;
}

bool fdl_snap_get_count(fdl_snap_reader *r, size_t item_size, uint64_t max, size_t *out)
{
    uint64_t n;
    *out = 0;
    if (!fdl_snap_get_u64(r, &n))
        return false;
    if (n > max || n > (r->size - r->pos) / (item_size ? item_size : 1))
        return fdl_snap_fail(r, "a count of %llu that the record cannot hold", (unsigned long long)n);
    *out = (size_t)n;
    return true;
}

bool fdl_snap_get_string(fdl_snap_reader *r, const char **bytes, size_t *len)
{
    *bytes = "";
    if (!fdl_snap_get_count(r, 1, UINT64_MAX, len))
        return false;
    *bytes = (const char *)r->data + r->pos;
    r->pos += *len;
    return true;
}

/* ---------------------------------------------------------------- save */

typedef struct save_state {
    FILE *out;
    fdl_snap_writer w;
    uint64_t records, entities;
    bool write_failed;
} save_state;

/* Writes the record in s->w (kind, length, payload, CRC) and empties it. */
static void flush_record(save_state *s, char kind)
{
    unsigned char head[RECORD_HEAD];
    head[0] = (unsigned char)kind;
    for (int i = 0; i < 8; i++)
        head[1 + i] = (unsigned char)((uint64_t)s->w.len >> (8 * i));
    uint32_t crc = crc32c(crc32c(0, head, sizeof head), s->w.data, s->w.len);
    unsigned char tail[RECORD_CRC];
    for (int i = 0; i < 4; i++)
        tail[i] = (unsigned char)(crc >> (8 * i));
    if (!s->w.failed && (fwrite(head, 1, sizeof head, s->out) != sizeof head ||
                         (s->w.len && fwrite(s->w.data, 1, s->w.len, s->out) != s->w.len) ||
                         fwrite(tail, 1, sizeof tail, s->out) != sizeof tail))
        s->write_failed = true;
    s->w.len = 0;
    s->records++;
}

static void save_header(save_state *s, const fdl_store *store, uint64_t tag)
{
    const fdl_program *p = fdl_store_program(store);
    fdl_snap_writer *w = &s->w;
    fdl_snap_put_string(w, p->name ? p->name : "", p->name ? strlen(p->name) : 0);
    fdl_snap_put_string(w, p->fingerprint ? p->fingerprint : "", p->fingerprint ? strlen(p->fingerprint) : 0);
    fdl_snap_put_u32(w, (uint32_t)p->abi_version);
    fdl_snap_put_u64(w, tag);
    fdl_snap_put_u32(w, (uint32_t)p->nentities);
    fdl_snap_put_u32(w, (uint32_t)p->ngroups);
    fdl_snap_put_u32(w, (uint32_t)p->nsources);
    fdl_snap_put_i64(w, fdl_now());
    uint32_t loaded = 0;
    for (int i = 0; i < p->nembeddings; i++)
        loaded += fdl_store_embedding_loaded(store, i);
    fdl_snap_put_u32(w, loaded);
    for (int i = 0; i < p->nembeddings; i++)
        if (fdl_store_embedding_loaded(store, i))
            fdl_snap_put_string(w, p->embeddings[i].name, strlen(p->embeddings[i].name));
    flush_record(s, 'H');
}

/* The counters that describe the state's history; the ones that count
 * what is held now are recounted on restore. */
static void save_store(save_state *s, const fdl_store *store)
{
    fdl_time newest, watermark;
    fdl_store_stats st;
    fdl_store_snapshot_times(store, &newest, &watermark);
    fdl_store_get_stats(store, &st);
    fdl_snap_writer *w = &s->w;
    fdl_snap_put_i64(w, newest);
    fdl_snap_put_i64(w, watermark);
    const uint64_t counters[] = {st.events_ingested, st.events_null_key, st.events_late,
                                 st.events_out_of_order, st.events_evicted, st.entities_dropped,
                                 st.events_refused};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        fdl_snap_put_u64(w, counters[i]);
    flush_record(s, 'S');
}

static void save_entity(save_state *s, const fdl_store *store, int e, fdl_entity_state *state,
                        const void *key, size_t len)
{
    const fdl_program *p = fdl_store_program(store);
    fdl_snap_writer *w = &s->w;
    fdl_snap_put_string(w, key, len);
    uint32_t held = 0;
    for (int g = 0; g < p->ngroups; g++)
        held += p->groups[g].entity == e && *fdl_store_group_ref(store, state, g);
    fdl_snap_put_u32(w, held);
    for (int g = 0; g < p->ngroups; g++) {
        if (p->groups[g].entity != e || !*fdl_store_group_ref(store, state, g))
            continue;
        fdl_snap_put_u32(w, (uint32_t)g);
        fdl_group_state_save(*fdl_store_group_ref(store, state, g), w);
    }
    s->entities++;
}

/* Every entity of type e, in records of about RECORD_TARGET bytes, each
 * starting with the entity index and the number of entities in it. */
static void save_entities(save_state *s, const fdl_store *store, int e)
{
    fdl_hashmap *map = fdl_store_entity_map(store, e);
    size_t capacity = fdl_hashmap_capacity(map);
    size_t at = 0;
    while (at < capacity) {
        fdl_snap_put_u32(&s->w, (uint32_t)e);
        size_t count_at = s->w.len;
        fdl_snap_put_u64(&s->w, 0);
        uint64_t n = 0;
        for (; at < capacity && s->w.len < RECORD_TARGET; at++) {
            void **slot = fdl_hashmap_slot_at(map, at);
            if (!slot || !*slot)
                continue;
            size_t len;
            const void *key = fdl_hashmap_key_at(map, at, &len);
            save_entity(s, store, e, *slot, key, len);
            n++;
        }
        if (n == 0) {
            s->w.len = 0;
            break;
        }
        for (int i = 0; i < 8 && !s->w.failed; i++)
            s->w.data[count_at + (size_t)i] = (unsigned char)(n >> (8 * i));
        flush_record(s, 'E');
    }
}

fdl_status fdl_store_save(const fdl_store *store, const char *path, uint64_t tag, fdl_error *err)
{
    if (!store || !path)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "fdl_store_save: no store or no path");
    fdl_output o;
    fdl_status status = fdl_output_open(&o, path, err);
    if (status != FDL_OK)
        return status;
    save_state s = {.out = o.file};
    unsigned char preamble[PREAMBLE] = {0};
    memcpy(preamble, MAGIC, sizeof MAGIC);
    preamble[8] = FORMAT_VERSION;
    if (fwrite(preamble, 1, sizeof preamble, o.file) != sizeof preamble)
        s.write_failed = true;
    save_header(&s, store, tag);
    save_store(&s, store);
    fdl_checks_save(fdl_store_checks_const(store), &s.w);
    flush_record(&s, 'C');
    const fdl_program *p = fdl_store_program(store);
    for (int e = 0; e < p->nentities; e++)
        save_entities(&s, store, e);
    uint64_t records = s.records;
    fdl_snap_put_u64(&s.w, records);
    fdl_snap_put_u64(&s.w, s.entities);
    flush_record(&s, 'Z');
    bool out_of_memory = s.w.failed;
    free(s.w.data);
    if (out_of_memory || s.write_failed) {
        int saved = errno;
        fdl_output_abort(&o);
        if (out_of_memory)
            return fdl_error_set(err, FDL_ERR_MEMORY, "%s: out of memory writing the snapshot", path);
        return fdl_error_set(err, FDL_ERR_IO, "%s: %s", path, strerror(saved));
    }
    return fdl_output_commit(&o, err);
}

/* ------------------------------------------------------------- restore */

typedef struct record {
    char kind;
    uint64_t offset;                    /* of the record's first byte in the file */
    const unsigned char *payload;
    size_t len;
} record;

static fdl_status corrupt(fdl_error *err, const char *name, uint64_t offset, const char *why)
{
    return fdl_error_set(err, FDL_ERR_PARSE, "%s: offset %llu: %s", name, (unsigned long long)offset, why);
}

/* The framing: preamble, then records up to 'Z' whose CRCs hold. */
static fdl_status split_records(const unsigned char *data, size_t size, const char *name,
                                record **out, size_t *count, fdl_error *err)
{
    *out = NULL;
    *count = 0;
    if (size < sizeof MAGIC || memcmp(data, MAGIC, sizeof MAGIC) != 0)
        return corrupt(err, name, 0, "not an fdl store snapshot (bad magic)");
    if (size < PREAMBLE)
        return corrupt(err, name, size, "truncated in the file header");
    uint32_t version = (uint32_t)data[8] | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16 |
                       (uint32_t)data[11] << 24;
    if (version != FORMAT_VERSION) {
        char why[96];
        snprintf(why, sizeof why, "snapshot format version %u; this runtime reads version %d",
                 version, FORMAT_VERSION);
        return corrupt(err, name, 8, why);
    }
    size_t capacity = 0, pos = PREAMBLE;
    record *records = NULL;
    for (;;) {
        if (size - pos < RECORD_HEAD + RECORD_CRC) {
            free(records);
            return corrupt(err, name, pos, "truncated: the snapshot ends before its end record");
        }
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = (len << 8) | data[pos + 1 + (size_t)i];
        if (len > size - pos - RECORD_HEAD - RECORD_CRC) {
            free(records);
            return corrupt(err, name, pos, "truncated: a record runs past the end of the file");
        }
        const unsigned char *crc_at = data + pos + RECORD_HEAD + len;
        uint32_t want = (uint32_t)crc_at[0] | (uint32_t)crc_at[1] << 8 | (uint32_t)crc_at[2] << 16 |
                        (uint32_t)crc_at[3] << 24;
        if (crc32c(0, data + pos, RECORD_HEAD + (size_t)len) != want) {
            free(records);
            return corrupt(err, name, pos, "a record fails its CRC (the file is damaged)");
        }
        if (*count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            record *grown = realloc(records, capacity * sizeof *grown);
            if (!grown) {
                free(records);
                return fdl_error_set(err, FDL_ERR_MEMORY, "%s: out of memory", name);
            }
            records = grown;
        }
        records[(*count)++] = (record){(char)data[pos], pos, data + pos + RECORD_HEAD, (size_t)len};
        pos += RECORD_HEAD + (size_t)len + RECORD_CRC;
        if (data[records[*count - 1].offset] == 'Z')
            break;
    }
    *out = records;
    if (pos != size)
        return corrupt(err, name, pos, "bytes after the end record");
    return FDL_OK;
}

static fdl_snap_reader reader_of(const record *rec)
{
    fdl_snap_reader r = {.data = rec->payload, .size = rec->len, .base = rec->offset + RECORD_HEAD};
    return r;
}

static bool same_string(const char *bytes, size_t len, const char *want)
{
    want = want ? want : "";
    return len == strlen(want) && memcmp(bytes, want, len) == 0;
}

static bool restore_header(fdl_snap_reader *r, fdl_store *store, uint64_t *tag)
{
    const fdl_program *p = fdl_store_program(store);
    const char *name, *fingerprint;
    size_t name_len, fingerprint_len;
    if (!fdl_snap_get_string(r, &name, &name_len) ||
        !fdl_snap_get_string(r, &fingerprint, &fingerprint_len))
        return false;
    if (!same_string(fingerprint, fingerprint_len, p->fingerprint))
        return fdl_snap_fail(r, "written by program '%.*s' under other definitions (fingerprint "
                             "%.*s; this program '%s' has %s): refused", (int)(name_len < 80 ? name_len : 80),
                             name, (int)(fingerprint_len < 80 ? fingerprint_len : 80), fingerprint,
                             p->name ? p->name : "", p->fingerprint ? p->fingerprint : "");
    uint32_t abi, nentities, ngroups, nsources, loaded;
    int64_t saved_at;
    if (!fdl_snap_get_u32(r, &abi) || !fdl_snap_get_u64(r, tag) || !fdl_snap_get_u32(r, &nentities) ||
        !fdl_snap_get_u32(r, &ngroups) || !fdl_snap_get_u32(r, &nsources) ||
        !fdl_snap_get_i64(r, &saved_at) || !fdl_snap_get_u32(r, &loaded))
        return false;
    if (abi != (uint32_t)p->abi_version || nentities != (uint32_t)p->nentities ||
        ngroups != (uint32_t)p->ngroups || nsources != (uint32_t)p->nsources)
        return fdl_snap_fail(r, "the program's tables differ from the snapshot's");
    for (uint32_t i = 0; i < loaded; i++) {
        const char *bytes;
        size_t len;
        if (!fdl_snap_get_string(r, &bytes, &len))
            return false;
        int found = -1;
        for (int k = 0; k < p->nembeddings; k++)
            if (strlen(p->embeddings[k].name) == len && memcmp(p->embeddings[k].name, bytes, len) == 0)
                found = k;
        if (found < 0)
            return fdl_snap_fail(r, "an embedding '%.*s' this program does not have", (int)(len < 80 ? len : 80), bytes);
        if (!fdl_store_embedding_loaded(store, found))
            return fdl_snap_fail(r, "the state was saved with embedding '%s' loaded; load its table "
                                 "into the store before restoring", p->embeddings[found].name);
    }
    return true;
}

static bool restore_store(fdl_snap_reader *r, fdl_store *store, fdl_time *newest, fdl_time *watermark)
{
    fdl_store_stats *st = fdl_store_snapshot_stats(store);
    uint64_t *counters[] = {&st->events_ingested, &st->events_null_key, &st->events_late,
                            &st->events_out_of_order, &st->events_evicted, &st->entities_dropped,
                            &st->events_refused};
    if (!fdl_snap_get_i64(r, newest) || !fdl_snap_get_i64(r, watermark))
        return false;
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        if (!fdl_snap_get_u64(r, counters[i]))
            return false;
    if (*watermark > *newest)
        return fdl_snap_fail(r, "a watermark after the newest event");
    return true;
}

static bool restore_entity(fdl_snap_reader *r, fdl_store *store, int e)
{
    const fdl_program *p = fdl_store_program(store);
    const char *key;
    size_t len;
    uint32_t held;
    bool existed;
    if (!fdl_snap_get_string(r, &key, &len) || !fdl_snap_get_u32(r, &held))
        return false;
    fdl_entity_state *state = fdl_store_entity_insert(store, e, key, len, &existed);
    if (!state)
        return fdl_snap_fail(r, existed ? "an entity twice" : "out of memory");
    int last = -1;
    for (uint32_t i = 0; i < held; i++) {
        uint32_t g;
        if (!fdl_snap_get_u32(r, &g))
            return false;
        if (g >= (uint32_t)p->ngroups || p->groups[g].entity != e || (int)g <= last)
            return fdl_snap_fail(r, "a group %u the entity does not have (or twice)", g);
        last = (int)g;
        fdl_group_state *gs = fdl_group_state_restore(fdl_store_group_plan(store, (int)g), r,
                                                      fdl_store_snapshot_stats(store));
        if (!gs)
            return false;
        *fdl_store_group_ref(store, state, (int)g) = gs;
    }
    return true;
}

static bool restore_entities(fdl_snap_reader *r, fdl_store *store)
{
    uint32_t e;
    size_t n;
    if (!fdl_snap_get_u32(r, &e) || !fdl_snap_get_count(r, 12, UINT64_MAX, &n))
        return false;
    if (e >= (uint32_t)fdl_store_program(store)->nentities)
        return fdl_snap_fail(r, "entities of an entity type %u the program does not have", e);
    for (size_t i = 0; i < n; i++)
        if (!restore_entity(r, store, (int)e))
            return false;
    return true;
}

/* Decodes the records in order into the (fresh) store. */
static bool decode(const record *records, size_t count, fdl_store *store, fdl_checks *checks,
                   uint64_t *tag, fdl_snap_reader *bad)
{
    static const char order[] = "HSC";
    fdl_time newest = FDL_TIME_MIN, watermark = FDL_TIME_MIN;
    for (size_t i = 0; i < count; i++) {
        fdl_snap_reader r = reader_of(&records[i]);
        char kind = records[i].kind;
        bool ok;
        if (i < 3 && kind != order[i])
            ok = fdl_snap_fail(&r, "record '%c' where '%c' belongs", kind, order[i]);
        else if (i >= 3 && kind != 'E' && kind != 'Z')
            ok = fdl_snap_fail(&r, "record '%c' after the entities began", kind);
        else if (kind == 'H')
            ok = restore_header(&r, store, tag);
        else if (kind == 'S')
            ok = restore_store(&r, store, &newest, &watermark);
        else if (kind == 'C')
            ok = fdl_checks_restore(checks, &r);
        else if (kind == 'E')
            ok = restore_entities(&r, store);
        else if (kind == 'Z') {
            uint64_t records_before, entities;
            ok = fdl_snap_get_u64(&r, &records_before) && fdl_snap_get_u64(&r, &entities);
            if (ok && (records_before != i || entities != fdl_store_snapshot_stats(store)->entities))
                ok = fdl_snap_fail(&r, "the end record does not count what came before it");
        } else
            ok = fdl_snap_fail(&r, "an unknown record kind 0x%02x", (unsigned)(unsigned char)kind);
        if (ok && r.pos != r.size)
            ok = fdl_snap_fail(&r, "%zu bytes left over at the end of record '%c'", r.size - r.pos, kind);
        if (!ok) {
            *bad = r;
            return false;
        }
    }
    fdl_store_restored(store, newest, watermark);
    return true;
}

fdl_status fdl_store_restore_buffer(fdl_store *store, const void *data, size_t size, const char *name,
                                    uint64_t *tag, fdl_error *err)
{
    uint64_t ignored;
    if (!tag)
        tag = &ignored;
    *tag = 0;
    if (!fdl_store_is_fresh(store))
        return fdl_error_set(err, FDL_ERR_ARGUMENT,
                             "%s: a snapshot restores into a freshly opened store only", name);
    record *records;
    size_t count;
    fdl_status status = split_records(data, size, name, &records, &count, err);
    if (status != FDL_OK) {
        free(records);
        return status;
    }
    fdl_checks *checks = fdl_checks_new_like(fdl_store_checks(store));
    if (!checks) {
        free(records);
        return fdl_error_set(err, FDL_ERR_MEMORY, "%s: out of memory", name);
    }
    fdl_snap_reader bad = {0};
    bool ok = decode(records, count, store, checks, tag, &bad);
    free(records);
    if (!ok) {
        fdl_checks_free(checks);
        fdl_store_clear_state(store);
        *tag = 0;
        return corrupt(err, name, bad.failed_at, bad.why);
    }
    fdl_store_replace_checks(store, checks);
    return FDL_OK;
}

fdl_status fdl_store_restore(fdl_store *store, const char *path, uint64_t *tag, fdl_error *err)
{
    if (!store || !path)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "fdl_store_restore: no store or no path");
    FILE *in = fopen(path, "rb");
    if (!in)
        return fdl_error_set(err, FDL_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(in);
        return fdl_error_set(err, FDL_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    unsigned char *data = malloc(size ? size : 1);
    if (!data) {
        fclose(in);
        return fdl_error_set(err, FDL_ERR_MEMORY, "%s: out of memory (%zu bytes)", path, size);
    }
    size_t got = fread(data, 1, size, in);
    bool read_error = ferror(in);
    fclose(in);
    if (read_error) {
        free(data);
        return fdl_error_set(err, FDL_ERR_IO, "%s: read error", path);
    }
    fdl_status status = fdl_store_restore_buffer(store, data, got, path, tag, err);
    free(data);
    return status;
}
