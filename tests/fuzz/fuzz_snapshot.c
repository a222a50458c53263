/*
 * fuzz_snapshot.c - libFuzzer harness: fdl_store_restore (runtime/snapshot.c)
 * on any bytes, for the fixed program of program.yaml.
 *
 * The first byte picks how the rest is used. Even: as the file, as it is
 * (the magic, version, framing and CRC checks). Odd: as a file whose CRCs
 * and record lengths are first made to hold, and whose header carries this
 * program's fingerprint, so that the fuzzer reaches the decoders behind
 * them (events, cursors, sketches, tiles, checks), which must refuse a lie
 * as cleanly as a damaged file. Invariants: an error names the file and an
 * offset (or is out of memory), and the store is then fresh again (it takes
 * a row); a snapshot that restores can be read, takes a row, and saves and
 * restores again. Seeds: corpus/snapshot (fdlc materialize of program.yaml
 * on small data, with a 0 or 1 byte in front).
 */
#define _GNU_SOURCE

#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "fdlrt.h"
#include "snapshot.h"
#include "fdlfeatures.h"

enum { PREAMBLE = 16, RECORD_HEAD = 9, RECORD_CRC = 4 };

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* CRC-32C, bit by bit (the harness's own: it must not trust the runtime's). */
static uint32_t crc32c(const unsigned char *p, size_t n)
{
    uint32_t crc = ~0u;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

/* A header payload with the program's fingerprint in place of the input's
 * (the name string, then the fingerprint string, then the rest). */
static size_t fix_header(const unsigned char *payload, size_t len, unsigned char *out,
                         const char *fingerprint)
{
    size_t at = 0, w = 0;
    if (len < 8)
        return 0;
    uint64_t name = get_le(payload, 8);
    if (name > len - 8)
        return 0;
    memcpy(out, payload, 8 + (size_t)name);
    at = w = 8 + (size_t)name;
    if (len - at < 8)
        return 0;
    uint64_t old = get_le(payload + at, 8);
    if (old > len - at - 8)
        return 0;
    size_t n = strlen(fingerprint);
    put_le(out + w, n, 8);
    memcpy(out + w + 8, fingerprint, n);
    w += 8 + n;
    at += 8 + (size_t)old;
    memcpy(out + w, payload + at, len - at);
    return w + (len - at);
}

/* The input made to pass the framing: each record's length clamped to
 * what is left, the header's fingerprint this program's, every CRC right. */
static unsigned char *fix_up(const uint8_t *data, size_t size, size_t *out_size, const char *fingerprint)
{
    unsigned char *out = malloc(size + strlen(fingerprint) + 64);
    FUZZ_CHECK(out != NULL, "out of memory");
    size_t w = size < PREAMBLE ? size : PREAMBLE;
    memcpy(out, data, w);
    size_t at = w;
    while (size - at >= RECORD_HEAD + RECORD_CRC) {
        uint64_t len = get_le(data + at + 1, 8);
        if (len > size - at - RECORD_HEAD - RECORD_CRC)
            len = size - at - RECORD_HEAD - RECORD_CRC;
        size_t head = w;
        out[w] = data[at];
        size_t written = 0;
        if (data[at] == 'H')
            written = fix_header(data + at + RECORD_HEAD, (size_t)len, out + w + RECORD_HEAD, fingerprint);
        if (!written) {
            memcpy(out + w + RECORD_HEAD, data + at + RECORD_HEAD, (size_t)len);
            written = (size_t)len;
        }
        put_le(out + w + 1, written, 8);
        w += RECORD_HEAD + written;
        put_le(out + w, crc32c(out + head, RECORD_HEAD + written), 4);
        w += RECORD_CRC;
        at += RECORD_HEAD + (size_t)len + RECORD_CRC;
        if (out[head] == 'Z')
            break;
    }
    *out_size = w;
    return out;
}

static fdl_store *open_store(void)
{
    fdl_error err;
    fdl_store_options options = fdl_store_options_default();
    fdl_store *store = fdl_store_open(fdlfeatures_program(), &options, &err);
    FUZZ_CHECK(store != NULL, "fdl_store_open: %s", err.message);
    return store;
}

/* The store takes a row and answers reads (errors allowed, no crash). */
static void exercise(fdl_store *store)
{
    const char *fields[] = {"2024-03-01T10:00:00Z", "u1", "12.5", "3", "web"};
    const size_t lengths[] = {20, 2, 4, 1, 3};
    fdl_error err;
    fdl_ingest_row(store, 0, fields, lengths, &err);
    const fdl_program *p = fdlfeatures_program();
    fdl_value keys[] = {fdl_string("u1", 2)};
    fdl_value *out = calloc((size_t)p->sets[0].nfeatures + 1, sizeof *out);
    FUZZ_CHECK(out != NULL, "out of memory");
    static const fdl_time times[] = {INT64_C(1709287200000000), INT64_C(1709290000000000),
                                     INT64_C(1719290000000000)};
    for (int i = 0; i < 3; i++)
        fdl_read_set(store, 0, keys, times[i], out, &err);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *name = "fuzz.fdls";
    size_t n = size - 1;
    unsigned char *fixed = NULL;
    const unsigned char *bytes = data + 1;
    if (data[0] & 1)
        bytes = fixed = fix_up(data + 1, size - 1, &n, fdlfeatures_program()->fingerprint);
    fdl_store *store = open_store();
    fdl_error err;
    uint64_t tag = 1;
    fdl_status status = fdl_store_restore_buffer(store, bytes, n, name, &tag, &err);
    if (status != FDL_OK) {
        FUZZ_CHECK(strstr(err.message, name) && (strstr(err.message, "offset") || status == FDL_ERR_MEMORY),
                   "an error that names no file or offset: %s", err.message);
        FUZZ_CHECK(tag == 0, "a tag from a refused snapshot");
        fdl_store_stats stats;
        fdl_store_get_stats(store, &stats);
        FUZZ_CHECK(stats.entities == 0 && stats.events_held == 0, "a refused snapshot left state");
        exercise(store);
        fdl_store_close(store);
        free(fixed);
        return 0;
    }
    exercise(store);
    const char *path = fuzz_scratch_path("again.fdls");
    FUZZ_CHECK(fdl_store_save(store, path, tag, &err) == FDL_OK, "save after restore: %s", err.message);
    fdl_store *again = open_store();
    uint64_t tag_again;
    FUZZ_CHECK(fdl_store_restore(again, path, &tag_again, &err) == FDL_OK,
               "a snapshot saved from a restored store does not restore: %s", err.message);
    FUZZ_CHECK(tag_again == tag, "the tag changed");
    exercise(again);
    fdl_store_close(again);
    fdl_store_close(store);
    free(fixed);
    return 0;
}
