/*
 * embedding.c - embedding tables: one vector of `dimension` doubles per key,
 * loaded from a CSV file (a header line, then key,v1,...,vN per row).
 *
 * The vectors sit in one contiguous array, row after row; a hashmap from the
 * key's canonical bytes (fdl_key_bytes) gives the row. Lookups return
 * pointers into that array, valid until the table is freed.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct fdl_embedding_table {
    fdl_type key_type;
    int32_t dimension;
    size_t count;
    size_t capacity;            /* rows the arrays below have room for */
    double *vectors;            /* count * dimension values */
    long *lines;                /* file line of each row, for duplicate-key errors */
    fdl_hashmap *rows;          /* key bytes -> row index + 1 (never NULL) */
};

void fdl_embedding_table_free(fdl_embedding_table *table)
{
    if (!table)
        return;
    fdl_hashmap_free(table->rows);
    free(table->vectors);
    free(table->lines);
    free(table);
}

/* Puts "path:line: " in front of err's message and records the place. */
static fdl_status locate(fdl_error *err, const char *path, long line)
{
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s:%ld: ", path, line);
    fdl_error_prefix(err, prefix);
    snprintf(err->file, sizeof err->file, "%s", path);
    err->line = line;
    return err->status;
}

static bool grow(fdl_embedding_table *table)
{
    size_t capacity = table->capacity ? table->capacity * 2 : 256;
    size_t values;
    if (__builtin_mul_overflow(capacity, (size_t)table->dimension, &values) ||
        values > SIZE_MAX / sizeof(double))
        return false;
    double *vectors = realloc(table->vectors, (values ? values : 1) * sizeof *vectors);
    if (!vectors)
        return false;
    table->vectors = vectors;
    long *lines = realloc(table->lines, capacity * sizeof *lines);
    if (!lines)
        return false;
    table->lines = lines;
    table->capacity = capacity;
    return true;
}

/* Reads one data row into the table; the reader's fields are its columns. */
static fdl_status add_row(fdl_embedding_table *table, fdl_csv_reader *reader,
                          const char **fields, const size_t *lengths, const bool *quoted,
                          fdl_error *err)
{
    long line = fdl_csv_line(reader);
    fdl_value key;
    if (lengths[0] == 0)
        return fdl_error_set(err, FDL_ERR_FORMAT, "%s key (the first column must name the key)",
                             quoted[0] ? "empty" : "null");
    if (fdl_parse_value(table->key_type, fields[0], lengths[0], &key, err) != FDL_OK)
        return fdl_error_prefix(err, "key: ");

    if (table->count == table->capacity && !grow(table))
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory loading the embedding table");
    double *vector = table->vectors + table->count * (size_t)table->dimension;
    for (int32_t i = 0; i < table->dimension; i++) {
        fdl_value value;
        const char *text = fields[i + 1];
        size_t len = lengths[i + 1];
        if (len == 0)
            return fdl_error_set(err, FDL_ERR_FORMAT, "column %d: missing value", (int)i + 2);
        if (fdl_parse_value(FDL_FLOAT64, text, len, &value, err) != FDL_OK) {
            char prefix[40];
            snprintf(prefix, sizeof prefix, "column %d: ", (int)i + 2);
            return fdl_error_prefix(err, prefix);
        }
        vector[i] = value.as.f;
    }

    char buffer[16];
    const void *bytes;
    size_t size = fdl_key_bytes(key, buffer, sizeof buffer, &bytes);
    void **slot = fdl_hashmap_slot(table->rows, bytes, size, true);
    if (!slot)
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory loading the embedding table");
    if (*slot) {
        size_t first = (size_t)(uintptr_t)*slot - 1;
        return fdl_error_set(err, FDL_ERR_FORMAT, "duplicate key '%.*s' (first on line %ld)",
                             lengths[0] > 60 ? 60 : (int)lengths[0], fields[0], table->lines[first]);
    }
    table->lines[table->count] = line;
    table->count++;
    *slot = (void *)(uintptr_t)table->count;
    return FDL_OK;
}

fdl_embedding_table *fdl_embedding_table_load(const char *path, fdl_type key_type,
                                              int32_t dimension, fdl_error *err)
{
    fdl_error local;
    if (!err)
        err = &local;
    if (key_type != FDL_STRING && key_type != FDL_INT64) {
        fdl_error_set(err, FDL_ERR_ARGUMENT, "%s: embedding keys must be string or int64, not %s",
                      path, fdl_type_name(key_type));
        return NULL;
    }
    if (dimension < 1) {
        fdl_error_set(err, FDL_ERR_ARGUMENT, "%s: embedding dimension %d is not positive", path,
                      (int)dimension);
        return NULL;
    }
    fdl_csv_reader *reader = fdl_csv_open(path, err);
    if (!reader)
        return NULL;
    fdl_embedding_table *table = calloc(1, sizeof *table);
    if (!table || !(table->rows = fdl_hashmap_new())) {
        free(table);
        fdl_csv_close(reader);
        fdl_error_set(err, FDL_ERR_MEMORY, "%s: out of memory", path);
        return NULL;
    }
    table->key_type = key_type;
    table->dimension = dimension;

    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields;
    int result = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, err);
    if (result == 0) {
        fdl_error_set(err, FDL_ERR_FORMAT, "empty file: expected a header line");
        locate(err, path, 1);
        goto fail;
    }
    if (result < 0)
        goto fail;
    /* The header's names are free; only its width must match, as every
     * row's must. */
    int expected = dimension + 1;
    for (;;) {
        if (nfields != expected) {
            fdl_error_set(err, FDL_ERR_FORMAT, "expected %d columns (key + %d values), found %d",
                          expected, (int)dimension, nfields);
            locate(err, path, fdl_csv_line(reader));
            goto fail;
        }
        result = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, err);
        if (result <= 0)
            break;
        if (nfields == expected && add_row(table, reader, fields, lengths, quoted, err) != FDL_OK) {
            locate(err, path, fdl_csv_line(reader));
            goto fail;
        }
    }
    if (result < 0)
        goto fail;
    fdl_csv_close(reader);
    return table;

fail:
    fdl_csv_close(reader);
    fdl_embedding_table_free(table);
    return NULL;
}

bool fdl_embedding_table_holds(const fdl_embedding_table *table, const double *p)
{
    return table && table->count > 0 && p >= table->vectors &&
           p < table->vectors + table->count * (size_t)table->dimension;
}

const double *fdl_embedding_table_find(const fdl_embedding_table *table, fdl_value key)
{
    if (!table || key.type != table->key_type)
        return NULL;
    char buffer[16];
    const void *bytes;
    size_t size = fdl_key_bytes(key, buffer, sizeof buffer, &bytes);
    if (size == 0)
        return NULL;
    void **slot = fdl_hashmap_slot(table->rows, bytes, size, false);
    if (!slot || !*slot)
        return NULL;
    size_t row = (size_t)(uintptr_t)*slot - 1;
    return table->vectors + row * (size_t)table->dimension;
}
