/*
 * fuzz_csv.c - libFuzzer harness: the runtime's CSV reader and writer.
 *
 * Invariants, on arbitrary bytes as a CSV file:
 *   - every read block size gives the same records (fields, lengths, quoted
 *     flags) and the same end: end of file, or an error on the same line;
 *   - a file read without error, written back with the runtime's writer
 *     (quoted fields quoted, an unquoted empty field as nothing), reads back
 *     as the same records (the writer may quote more: a quote only tells
 *     on an empty field, null or the empty string);
 *   - a cell that parses as an int64, float64, bool or timestamp, printed
 *     as a cell (fdl_value_cell_text), parses back to the same value.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "internal.h"

/* All records of one read, flattened, and how the read ended. */
typedef struct records {
    char *bytes;            /* every field's bytes, one after another */
    size_t nbytes, capbytes;
    size_t *lengths;        /* per field */
    bool *quoted;
    int *nfields;           /* per record */
    size_t nfields_total, capfields;
    size_t nrecords, caprecords;
    int end;                /* 0: end of file, -1: error */
    long error_line;
} records;

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    p = realloc(p, cap2 * elem);
    FUZZ_CHECK(p != NULL, "out of memory");
    *cap = cap2;
    return p;
}

static void records_add(records *r, const char **fields, const size_t *lengths, const bool *quoted, int n)
{
    size_t capfields = r->capfields;
    r->lengths = grow(r->lengths, &capfields, r->nfields_total + (size_t)n, sizeof *r->lengths);
    capfields = r->capfields;
    r->quoted = grow(r->quoted, &capfields, r->nfields_total + (size_t)n, sizeof *r->quoted);
    r->capfields = capfields;
    r->nfields = grow(r->nfields, &r->caprecords, r->nrecords + 1, sizeof *r->nfields);
    r->nfields[r->nrecords++] = n;
    for (int i = 0; i < n; i++) {
        r->bytes = grow(r->bytes, &r->capbytes, r->nbytes + lengths[i] + 1, 1);
        memcpy(r->bytes + r->nbytes, fields[i], lengths[i]);
        r->nbytes += lengths[i];
        r->lengths[r->nfields_total] = lengths[i];
        r->quoted[r->nfields_total] = quoted[i];
        r->nfields_total++;
    }
}

static void records_free(records *r)
{
    free(r->bytes);
    free(r->lengths);
    free(r->quoted);
    free(r->nfields);
    memset(r, 0, sizeof *r);
}

/* Reads the whole file with the given block size (0: the default). */
static void read_all(const char *path, size_t block_size, records *out)
{
    memset(out, 0, sizeof *out);
    fdl_error err = {0};
    fdl_csv_reader *reader = block_size ? fdl_csv_open_sized(path, block_size, &err)
                                        : fdl_csv_open(path, &err);
    FUZZ_CHECK(reader != NULL, "cannot open %s: %s", path, err.message);
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int n, status;
    while ((status = fdl_csv_next(reader, &fields, &lengths, &quoted, &n, &err)) == 1)
        records_add(out, fields, lengths, quoted, n);
    out->end = status;
    out->error_line = status < 0 ? err.line : 0;
    fdl_csv_close(reader);
}

/* Same records; with exact_quotes, quoted flags too, else only where they
 * mean something: on an empty field (null, or the empty string). */
static void check_same(const records *a, const records *b, const char *what, bool exact_quotes)
{
    FUZZ_CHECK(a->nrecords == b->nrecords, "%s: %zu records, not %zu", what, b->nrecords, a->nrecords);
    FUZZ_CHECK(a->nfields_total == b->nfields_total, "%s: %zu fields, not %zu", what,
               b->nfields_total, a->nfields_total);
    for (size_t i = 0; i < a->nrecords; i++)
        FUZZ_CHECK(a->nfields[i] == b->nfields[i], "%s: record %zu has %d fields, not %d", what, i + 1,
                   b->nfields[i], a->nfields[i]);
    for (size_t i = 0; i < a->nfields_total; i++) {
        FUZZ_CHECK(a->lengths[i] == b->lengths[i], "%s: field %zu has %zu bytes, not %zu", what, i + 1,
                   b->lengths[i], a->lengths[i]);
        FUZZ_CHECK(a->quoted[i] == b->quoted[i] || (!exact_quotes && a->lengths[i] > 0),
                   "%s: field %zu quoted differs", what, i + 1);
    }
    FUZZ_CHECK(a->nbytes == b->nbytes && (a->nbytes == 0 || memcmp(a->bytes, b->bytes, a->nbytes) == 0),
               "%s: field bytes differ", what);
    FUZZ_CHECK(a->end == b->end, "%s: ended %d, not %d", what, b->end, a->end);
    FUZZ_CHECK(a->error_line == b->error_line, "%s: error on line %ld, not %ld", what, b->error_line,
               a->error_line);
}

/* Writes the records back as CSV, behind a byte order mark so that a first
 * field which itself begins with one keeps it. */
static void write_all(const char *path, const records *r)
{
    FILE *out = fopen(path, "wb");
    FUZZ_CHECK(out != NULL, "cannot write %s", path);
    fputs("\xEF\xBB\xBF", out);
    const char *bytes = r->bytes;
    size_t field = 0;
    for (size_t i = 0; i < r->nrecords; i++) {
        for (int j = 0; j < r->nfields[i]; j++, field++) {
            if (j > 0)
                putc(',', out);
            size_t len = r->lengths[field];
            if (len > 0 || r->quoted[field])
                fdl_csv_write_field(out, bytes, len, r->quoted[field]);
            bytes += len;
        }
        putc('\n', out);
    }
    FUZZ_CHECK(fclose(out) == 0, "cannot write %s", path);
}

static bool same_value(fdl_value a, fdl_value b)
{
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case FDL_NULL: return true;
    case FDL_INT64: return a.as.i == b.as.i;
    case FDL_FLOAT64: return memcmp(&a.as.f, &b.as.f, sizeof a.as.f) == 0;
    case FDL_BOOL: return a.as.b == b.as.b;
    case FDL_TIMESTAMP: return a.as.t == b.as.t;
    default: return false;
    }
}

/* A cell that parses as a scalar type prints as text that parses back. */
static void check_value_round_trip(const char *text, size_t len)
{
    static const fdl_type types[] = {FDL_INT64, FDL_FLOAT64, FDL_BOOL, FDL_TIMESTAMP};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        fdl_value v, back;
        if (fdl_parse_value(types[i], text, len, &v, NULL) != FDL_OK || v.type == FDL_NULL)
            continue;
        char buf[64];
        size_t cell_len;
        const char *cell = fdl_value_cell_text(v, buf, sizeof buf, &cell_len);
        FUZZ_CHECK(cell != NULL, "type %d: no cell text", (int)types[i]);
        FUZZ_CHECK(fdl_parse_value(types[i], cell, cell_len, &back, NULL) == FDL_OK,
                   "type %d: '%.*s' does not parse back", (int)types[i], (int)cell_len, cell);
        FUZZ_CHECK(same_value(v, back), "type %d: '%.*s' parses back to another value", (int)types[i],
                   (int)cell_len, cell);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_scratch_path("input.csv");
    fuzz_write_file(path, data, size);
    records reference;
    read_all(path, 0, &reference);

    /* Small blocks make records straddle refills at every offset. */
    size_t sizes[] = {1, 2, 3, 4, 5, 7, 16, 64, 1 + (size > 0 ? data[0] % 200 : 0)};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        records other;
        char what[64];
        snprintf(what, sizeof what, "block size %zu", sizes[i]);
        read_all(path, sizes[i], &other);
        check_same(&reference, &other, what, true);
        records_free(&other);
    }

    if (reference.end == 0) {
        const char *copy = fuzz_scratch_path("written.csv");
        write_all(copy, &reference);
        records back;
        read_all(copy, 0, &back);
        check_same(&reference, &back, "written and read back", false);
        records_free(&back);
        const char *bytes = reference.bytes;
        for (size_t i = 0; i < reference.nfields_total; i++) {
            check_value_round_trip(bytes, reference.lengths[i]);
            bytes += reference.lengths[i];
        }
    }
    records_free(&reference);
    return 0;
}
