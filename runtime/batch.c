/*
 * batch.c - the batch driver: builds a point-in-time correct training set
 * by replaying history through the same ingest and read functions serving
 * uses (fdl_batch_run in fdlrt.h).
 *
 * The run, in order:
 *   1. check the options against the program; open the main store (its
 *      counters check rows; it owns the embedding tables) and load the
 *      tables, in a thread of their own when the run has threads;
 *   2. read the spine: its header decides the features (a set's, or every
 *      feature whose entities' join keys are columns), its rows are kept;
 *   3. read every source CSV, checking each row: the cells of the
 *      program's fields are kept, and the values check_row gave;
 *   4. sort events and spine rows by time (stable) and deal them to the
 *      workers, by a hash of the partition entity's key ("workers");
 *   5. each worker, in a thread, replays its share (in time order, or key
 *      by key) into a store of its own and keeps the values it reads;
 *   6. the workers format the rows in spine order, chunk by chunk, and the
 *      chunks go to a temporary file renamed over the output at the end.
 *
 * Rows are held as cells in one byte buffer per file (row_table): no
 * allocation per row or cell. The sort is a natural merge sort, linear on
 * input that is already in time order, as sources mostly are.
 */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <pthread.h>
#include <time.h>

#include "internal.h"
#include "snapshot.h"

/* ------------------------------------------------------------- row tables */

/* The length of a cell that is null (unquoted and empty). */
#define CELL_NULL UINT32_MAX

/*
 * Rows of a CSV file, ncolumns cells each, their text packed in one byte
 * buffer: a row's cells follow each other from row_offsets[row].
 */
/* A value check_row gave for a field of another type than string, kept per
 * row in 16 bytes (an fdl_value takes 24): its type and its 8 bytes. A text
 * a policy kept in place of an unparsable value keeps only its type, which
 * sends the row back to the cells (event_values). */
typedef struct kept_value {
    union { int64_t i; double f; bool b; fdl_time t; } as;
    fdl_type type;
} kept_value;

typedef struct row_table {
    int ncolumns;
    char *bytes;
    size_t nbytes, bytes_capacity;
    size_t *row_offsets;
    uint32_t *lengths;          /* ncolumns per row; CELL_NULL for null */
    long *lines;                /* file line where each row begins */
    size_t nrows, rows_capacity;
    /* A source's rows also keep the values check_row gave for its fields
     * of other types than string but the event time (nvalues per row, field
     * order), so the replay parses nothing again; strings are the cells
     * themselves, the time is the event's (timed_row). */
    int nvalues;
    kept_value *values;
    size_t values_capacity;
} row_table;

static void row_table_free(row_table *table)
{
    free(table->bytes);
    free(table->row_offsets);
    free(table->lengths);
    free(table->lines);
    free(table->values);
    memset(table, 0, sizeof *table);
}

/* Returns array (or its reallocation) with room for needed elements, or
 * NULL when out of memory (array is then untouched). */
static void *grow_array(void *array, size_t *capacity, size_t needed, size_t element_size)
{
    if (needed <= *capacity)
        return array;
    size_t n = *capacity ? *capacity : 256;
    while (n < needed)
        n *= 2;
    if (n > SIZE_MAX / element_size)
        return NULL;
    void *grown = realloc(array, n * element_size);
    if (grown)
        *capacity = n;
    return grown;
}

/* Makes room for rows rows in the per-row arrays. */
static bool row_table_reserve(row_table *table, size_t rows)
{
    size_t ncolumns = table->ncolumns > 0 ? (size_t)table->ncolumns : 1;
    if (rows > SIZE_MAX / sizeof(size_t) / ncolumns)
        return false;
    size_t *row_offsets = realloc(table->row_offsets, rows * sizeof *row_offsets);
    if (!row_offsets)
        return false;
    table->row_offsets = row_offsets;
    long *lines = realloc(table->lines, rows * sizeof *lines);
    if (!lines)
        return false;
    table->lines = lines;
    uint32_t *lengths = realloc(table->lengths, rows * ncolumns * sizeof *lengths);
    if (!lengths)
        return false;
    table->lengths = lengths;
    table->rows_capacity = rows;
    return true;
}

/*
 * Appends a row made of the CSV fields columns[0..ncolumns) (all fields in
 * order when columns is NULL). Returns false when out of memory or a cell
 * is too long to record.
 */
static bool row_table_append(row_table *table, const char **fields, const size_t *lengths,
                             const bool *quoted, const int *columns, long line)
{
    size_t row = table->nrows;
    if (row == table->rows_capacity && !row_table_reserve(table, row ? row * 2 : 256))
        return false;
    size_t total = 0;
    for (int c = 0; c < table->ncolumns; c++)
        total += lengths[columns ? columns[c] : c];
    char *bytes = grow_array(table->bytes, &table->bytes_capacity, table->nbytes + total + 1, 1);
    if (!bytes)
        return false;
    table->bytes = bytes;
    table->row_offsets[row] = table->nbytes;
    table->lines[row] = line;
    uint32_t *cell_lengths = table->lengths + row * (size_t)table->ncolumns;
    for (int c = 0; c < table->ncolumns; c++) {
        int column = columns ? columns[c] : c;
        size_t len = lengths[column];
        if (len >= CELL_NULL)
            return false;
        cell_lengths[c] = len == 0 && !quoted[column] ? CELL_NULL : (uint32_t)len;
        if (len)    /* a null cell may be a NULL pointer */
            memcpy(table->bytes + table->nbytes, fields[column], len);
        table->nbytes += len;
    }
    table->nrows++;
    return true;
}

/* The cells of a row as ingest functions take them: NULL for null. */
static void row_table_cells(const row_table *table, size_t row, const char **cells,
                            size_t *lengths)
{
    const char *p = table->bytes + table->row_offsets[row];
    const uint32_t *cell_lengths = table->lengths + row * (size_t)table->ncolumns;
    for (int c = 0; c < table->ncolumns; c++) {
        if (cell_lengths[c] == CELL_NULL) {
            cells[c] = NULL;
            lengths[c] = 0;
        } else {
            cells[c] = p;
            lengths[c] = cell_lengths[c];
            p += cell_lengths[c];
        }
    }
}

/* ----------------------------------------------------------------- sorting */

/* An event of a source, or a spine row: sorted by time, stable. */
typedef struct timed_row {
    fdl_time time;
    uint32_t source;
    uint32_t row;
} timed_row;

#define MIN_RUN 32

/* Sorts items[start, end) by binary insertion, stably; items[start, sorted)
 * is already in order. */
/* The first position in items[low, high) (sorted by time) whose time is
 * greater than time: after equal times. */
static size_t upper_bound(const timed_row *items, size_t low, size_t high, fdl_time time)
{
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (items[mid].time <= time)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

static void insertion_sort(timed_row *items, size_t start, size_t sorted, size_t end)
{
    for (size_t i = sorted; i < end; i++) {
        timed_row item = items[i];
        size_t low = upper_bound(items, start, i, item.time);
        memmove(items + low + 1, items + low, (i - low) * sizeof *items);
        items[low] = item;
    }
}

static void merge(const timed_row *left, size_t nleft, const timed_row *right, size_t nright,
                  timed_row *out)
{
    if (nleft == 0 || nright == 0 || left[nleft - 1].time <= right[0].time) {
        memcpy(out, left, nleft * sizeof *out);
        memcpy(out + nleft, right, nright * sizeof *out);
        return;
    }
    size_t i = 0, j = 0, k = 0;
    while (i < nleft && j < nright)
        out[k++] = right[j].time < left[i].time ? right[j++] : left[i++];
    memcpy(out + k, left + i, (nleft - i) * sizeof *out);
    k += nleft - i;
    memcpy(out + k, right + j, (nright - j) * sizeof *out);
}

/*
 * Stable natural merge sort by time: finds the ascending runs (extending
 * short ones to MIN_RUN by insertion), then merges neighbouring runs
 * pairwise until one is left. O(n) on sorted input, O(n log n) at worst.
 */
static bool sort_by_time(timed_row *items, size_t n)
{
    size_t i = 1;
    while (i < n && items[i - 1].time <= items[i].time)
        i++;
    if (i >= n)
        return true;

    size_t *run_ends = malloc((n / MIN_RUN + 2) * sizeof *run_ends);
    timed_row *scratch = malloc(n * sizeof *scratch);
    if (!run_ends || !scratch) {
        free(run_ends);
        free(scratch);
        return false;
    }
    size_t nruns = 0;
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && items[end - 1].time <= items[end].time)
            end++;
        if (end - start < MIN_RUN && end < n) {
            size_t extended = start + MIN_RUN < n ? start + MIN_RUN : n;
            insertion_sort(items, start, end, extended);
            end = extended;
            while (end < n && items[end - 1].time <= items[end].time)
                end++;
        }
        run_ends[nruns++] = end;
        start = end;
    }

    timed_row *from = items, *to = scratch;
    while (nruns > 1) {
        size_t merged = 0, start = 0;
        for (size_t r = 0; r < nruns; r += 2) {
            size_t middle = run_ends[r];
            size_t end = r + 1 < nruns ? run_ends[r + 1] : middle;
            merge(from + start, middle - start, from + middle, end - middle, to + start);
            run_ends[merged++] = end;
            start = end;
        }
        nruns = merged;
        timed_row *swap = from;
        from = to;
        to = swap;
    }
    if (from != items)
        memcpy(items, from, n * sizeof *items);
    free(run_ends);
    free(scratch);
    return true;
}

/* ------------------------------------------------------------------ errors */

/* Puts "file:line: " (or "file: ") in front of err's message and records
 * the place in err. */
static fdl_status locate(fdl_error *err, const char *file, long line)
{
    char prefix[320];
    if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%ld: ", file, line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", file);
    fdl_error_prefix(err, prefix);
    snprintf(err->file, sizeof err->file, "%s", file);
    err->line = line;
    return err->status;
}

static fdl_status fail_at(fdl_error *err, const char *file, long line, fdl_status status,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static fdl_status fail_at(fdl_error *err, const char *file, long line, fdl_status status,
                          const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char message[sizeof err->message];
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    fdl_error_set(err, status, "%s", message);
    return locate(err, file, line);
}

/* ------------------------------------------------------------------- a run */

/*
 * Formatted vectors, remembered: a training set repeats the same embedding
 * in many rows, and formatting 128 floats costs far more than looking
 * them up. Direct-mapped by the vector's address. The values written are
 * the kept ones (keep_value): rows of an embedding table or copies in a
 * worker's arena, neither of which changes or is freed before the output
 * is written, so one address always holds the same values and the cache
 * can never change what is written. Each worker has its own;
 * together they hold 1 << VECTOR_CACHE_TOTAL_BITS entries (each a power of
 * two, at least 1 << VECTOR_CACHE_MIN_BITS): enough for the seed's 10,000
 * products and the users of a chunk of rows, about 75 MB of text at most.
 */
enum { VECTOR_CACHE_TOTAL_BITS = 15, VECTOR_CACHE_MIN_BITS = 10 };

typedef struct vector_entry {
    const double *address;
    int32_t dim;
    char *text;                 /* the cell, quotes included */
    size_t length;
} vector_entry;

typedef struct batch {
    const fdl_program *program;
    const fdl_batch_options *options;
    fdl_error *err;
    fdl_store *store;
    fdl_progress *progress;         /* NULL: no reports (progress.c) */

    const char **source_paths;      /* per program source: its first file */
    /* A source may be several files, read one after the other as if they
     * were one (each with its own header): */
    const char **files;             /* every source file, by source, in option order */
    int *files_start;               /* per program source: its first index in files; + 1 */
    size_t *file_first_row;         /* per file: its first row in its source's row_table */
    int *source_order;              /* program sources in the order options first name them */
    row_table *sources;             /* per program source: the program's fields */
    timed_row *events;
    size_t nevents, events_capacity;

    const char *spine_path;
    row_table spine_header;
    row_table spine;
    timed_row *spine_order;
    int time_column;                /* spine column of the time */
    int *entity_columns;            /* per entity: spine column of its (first) join key; -1
                                     * when any of its key columns is missing */
    int *key_start;                 /* per entity: its first slot in key_columns/key_parts */
    int *key_columns;               /* per key column of every entity: spine column */
    int nkey_parts;
    int set;                        /* -1: features one by one */
    int *features;                  /* the features written, in column order */
    int nfeatures;
    int *request_columns;           /* per program request field: spine column, or -1 */
    bool *request_needed;           /* per program request field: read by the features */

    /* Scratch for the single-threaded parts (header and row writing). */
    const char **cells;
    size_t *cell_lengths;

    /* Expectations: the quarantine file, and per source where its events
     * start in events (blocks are read in dependency order). */
    fdl_output quarantine;              /* .file NULL when not asked for */
    size_t *event_start, *event_end;

    /* The replay's partitions (see "workers" below). */
    int nworkers;
    struct worker *workers;
    int partition_entity;           /* entity whose keys pick a row's worker; -1: none */
    int nsources_named;             /* entries of source_order */
    int *route_field;               /* per source: field of that entity's key, or a ROUTE_ */
    bool by_key;                    /* replay key by key (see "workers") */
    uint32_t nkeys;                 /* keys of the partition entity, and one for rows with none */
    uint32_t *key_events;           /* per key: its first index in events_by_key; nkeys + 1 */
    uint32_t *events_by_key;        /* indexes into events, grouped by key, each in time order */
    uint32_t *key_rows;             /* per key: its first index in rows_by_key; nkeys + 1 */
    uint32_t *rows_by_key;          /* indexes into spine_order, grouped by key, in time order */

    /* The values read: row r's (file order) at row_values[r * nfeatures];
     * strings and vectors not in an embedding table are copies held by
     * the worker that read them (its arena). */
    fdl_value *row_values;

    /* fdl_materialize: no spine and no output, events before until only,
     * the state saved at snapshot_path. */
    bool materialize;
    const char *snapshot_path;
    bool has_until;
    fdl_time until;
} batch;

static void workers_free(batch *b);

static void batch_free(batch *b)
{
    workers_free(b);
    fdl_store_close(b->store);
    if (b->sources)
        for (int s = 0; s < b->program->nsources; s++)
            row_table_free(&b->sources[s]);
    free(b->sources);
    free((void *)b->source_paths);
    free((void *)b->files);
    free(b->files_start);
    free(b->file_first_row);
    free(b->source_order);
    free(b->events);
    row_table_free(&b->spine_header);
    row_table_free(&b->spine);
    free(b->spine_order);
    free(b->entity_columns);
    free(b->key_start);
    free(b->key_columns);
    free(b->features);
    free(b->request_columns);
    free(b->request_needed);
    free((void *)b->cells);
    free(b->cell_lengths);
    free(b->route_field);
    free(b->key_events);
    free(b->events_by_key);
    free(b->key_rows);
    free(b->rows_by_key);
    free(b->row_values);
    free(b->event_start);
    free(b->event_end);
    if (b->quarantine.file)
        fdl_output_abort(&b->quarantine);
}

static fdl_status out_of_memory(batch *b)
{
    return fdl_error_set(b->err, FDL_ERR_MEMORY, "out of memory");
}

static bool in_range(int index, int count)
{
    return index >= 0 && index < count;
}

/* The indexes the driver follows must be in range: generated tables are
 * trusted, but a hand-written or mismatched one must not crash the run. */
static fdl_status check_program(batch *b)
{
    const fdl_program *p = b->program;
    if (p->abi_version != FDL_ABI_VERSION)
        return fdl_error_set(b->err, FDL_ERR_ABI,
                             "program '%s' was generated for runtime ABI %d; this runtime has ABI %d",
                             p->name ? p->name : "", p->abi_version, FDL_ABI_VERSION);
    bool ok = p->nentities >= 0 && p->nsources >= 0 && p->nfeatures >= 0 && p->nsets >= 0;
    for (int s = 0; ok && s < p->nsources; s++)
        ok = p->sources[s].name && p->sources[s].fields && p->sources[s].ingest_row &&
             in_range(p->sources[s].time_field, p->sources[s].nfields);
    for (int e = 0; ok && e < p->nentities; e++)
        ok = p->entities[e].name && p->entities[e].join_key;
    for (int f = 0; ok && f < p->nfeatures; f++) {
        const fdl_feature_desc *feature = &p->features[f];
        ok = feature->name && feature->nentities >= 0 && (feature->entities || !feature->nentities);
        for (int i = 0; ok && i < feature->nentities; i++)
            ok = in_range(feature->entities[i], p->nentities);
    }
    for (int k = 0; ok && k < p->nsets; k++) {
        const fdl_set_desc *set = &p->sets[k];
        ok = set->name && set->nfeatures >= 0 && set->nentities >= 0;
        for (int i = 0; ok && i < set->nfeatures; i++)
            ok = in_range(set->features[i], p->nfeatures);
        for (int i = 0; ok && i < set->nentities; i++)
            ok = in_range(set->entities[i], p->nentities);
    }
    if (!ok)
        return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "program '%s': malformed program tables",
                             p->name ? p->name : "");
    return FDL_OK;
}

/* Checks every option against the program; fills source_paths. */
/*
 * No output may be an input or another output: checked before anything is
 * opened for writing, so a mistyped --quarantine never truncates a source.
 */
static fdl_status check_paths(batch *b)
{
    const fdl_program *p = b->program;
    const fdl_batch_options *o = b->options;
    int nfiles = b->files_start[p->nsources];
    int n = nfiles + p->nembeddings + o->nembeddings + 5;
    fdl_path_use *uses = calloc((size_t)n, sizeof *uses);
    if (!uses)
        return out_of_memory(b);
    int k = 0;
    for (int f = 0; f < nfiles; f++)
        uses[k++] = (fdl_path_use){b->files[f], "the source file", false};
    for (int e = 0; e < p->nembeddings; e++)
        uses[k++] = (fdl_path_use){p->embeddings[e].default_path, "the embedding table", false};
    for (int i = 0; i < o->nembeddings; i++)
        uses[k++] = (fdl_path_use){o->embeddings[i].path, "the embedding table", false};
    uses[k++] = (fdl_path_use){o->spine_path, "the spine", false};
    uses[k++] = (fdl_path_use){o->out_path, "the output", true};
    uses[k++] = (fdl_path_use){o->quarantine_path, "the quarantine", true};
    uses[k++] = (fdl_path_use){o->report_path, "the report", true};
    uses[k++] = (fdl_path_use){b->snapshot_path, "the snapshot", true};
    assert(k == n);
    fdl_status status = fdl_paths_check(uses, n, b->err);
    free(uses);
    return status;
}

static void group_files(batch *b);

static fdl_status check_options(batch *b)
{
    const fdl_program *p = b->program;
    const fdl_batch_options *o = b->options;
    fdl_status status = check_program(b);
    if (status != FDL_OK)
        return status;
    if (!o->spine_path && !b->materialize)
        return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "no spine file given");
    if (!o->out_path && !b->materialize)
        return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "no output file given");
    if (o->nsources < 0 || (o->nsources > 0 && !o->sources) || o->nembeddings < 0 ||
        (o->nembeddings > 0 && !o->embeddings))
        return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "bad source or embedding list");
    b->source_paths = calloc((size_t)p->nsources + 1, sizeof *b->source_paths);
    b->files = calloc((size_t)o->nsources + 1, sizeof *b->files);
    b->files_start = calloc((size_t)p->nsources + 1, sizeof *b->files_start);
    b->file_first_row = calloc((size_t)o->nsources + 1, sizeof *b->file_first_row);
    b->source_order = calloc((size_t)p->nsources + 1, sizeof *b->source_order);
    if (!b->source_paths || !b->files || !b->files_start || !b->file_first_row || !b->source_order)
        return out_of_memory(b);
    for (int i = 0; i < o->nsources; i++) {
        const char *name = o->sources[i].name;
        int s = fdl_program_source(p, name);
        if (s < 0) {
            char names[256] = "";
            for (int k = 0; k < p->nsources; k++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         k ? ", " : "", p->sources[k].name);
            return fdl_error_set(b->err, FDL_ERR_ARGUMENT,
                                 "unknown source '%s' (the program's sources: %s)",
                                 name ? name : "(null)", names);
        }
        if (!o->sources[i].path)
            return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "source '%s' has no file", name);
        for (int k = 0; k < i; k++)
            if (strcmp(o->sources[k].name, name) == 0 && o->sources[k].path &&
                strcmp(o->sources[k].path, o->sources[i].path) == 0)
                return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "source '%s' is given '%s' twice",
                                     name, o->sources[i].path);
        if (!b->source_paths[s]) {
            b->source_order[b->nsources_named++] = s;
            b->source_paths[s] = o->sources[i].path;
        }
        b->files_start[s + 1]++;
    }
    for (int s = 0; s < p->nsources; s++)
        if (!b->source_paths[s])
            return fdl_error_set(b->err, FDL_ERR_ARGUMENT,
                                 "missing source '%s': every source of the program needs a CSV file",
                                 p->sources[s].name);
    group_files(b);
    for (int i = 0; i < o->nembeddings; i++) {
        const char *name = o->embeddings[i].name;
        int e = fdl_program_embedding(p, name);
        if (e < 0)
            return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "unknown embedding '%s'",
                                 name ? name : "(null)");
        for (int k = 0; k < i; k++)
            if (fdl_program_embedding(p, o->embeddings[k].name) == e)
                return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "embedding '%s' is given twice",
                                     name);
        if (!o->embeddings[i].path)
            return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "embedding '%s' has no file", name);
    }
    return check_paths(b);
}

/* Fills files by source (counts in files_start[s + 1] become starts). */
static void group_files(batch *b)
{
    const fdl_program *p = b->program;
    const fdl_batch_options *o = b->options;
    for (int s = 0; s < p->nsources; s++)
        b->files_start[s + 1] += b->files_start[s];
    for (int s = 0; s < p->nsources; s++) {
        int k = b->files_start[s];
        for (int i = 0; i < o->nsources; i++)
            if (fdl_program_source(p, o->sources[i].name) == s)
                b->files[k++] = o->sources[i].path;
        assert(k == b->files_start[s + 1]);
    }
}

/* The file a row of source s came from. */
static const char *row_file(const batch *b, int s, size_t row)
{
    int k = b->files_start[s];
    while (k + 1 < b->files_start[s + 1] && b->file_first_row[k + 1] <= row)
        k++;
    return b->files[k];
}

/* The store that checks rows and owns the embedding tables (the workers
 * have stores of their own). */
static fdl_status open_store(batch *b)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = false;
    options.load_embeddings = false;    /* load_embeddings, from the given paths */
    b->store = fdl_store_open(b->program, &options, b->err);
    if (!b->store)
        return b->err->status != FDL_OK ? b->err->status : out_of_memory(b);
    return FDL_OK;
}

/* The file of embedding e: the option's, else the definition's. */
static const char *embedding_path(const batch *b, int e)
{
    const char *path = b->program->embeddings[e].default_path;
    for (int i = 0; i < b->options->nembeddings; i++)
        if (fdl_program_embedding(b->program, b->options->embeddings[i].name) == e)
            path = b->options->embeddings[i].path;
    return path;
}

static fdl_status load_embeddings(batch *b, fdl_error *err)
{
    for (int e = 0; e < b->program->nembeddings; e++) {
        const char *path = embedding_path(b, e);
        if (!path)
            return fdl_error_set(err, FDL_ERR_ARGUMENT, "embedding '%s' has no file",
                                 b->program->embeddings[e].name);
        fdl_status status = fdl_store_load_embedding(b->store, e, path, err);
        if (status != FDL_OK)
            return status;
    }
    return FDL_OK;
}

/*
 * Loading the tables while the sources are read: in a thread of its own
 * when the run may use more than one and no expectation looks values up in
 * a table (loading only writes the store's table pointers; checking rows
 * only its counters).
 */
typedef struct loader {
    batch *b;
    pthread_t thread;
    bool started;
    fdl_status status;
    fdl_error err;
    struct timespec start;
    double seconds;
} loader;

static double seconds_since(const struct timespec *start);

static void *run_loader(void *arg)
{
    loader *l = arg;
    l->status = load_embeddings(l->b, &l->err);
    l->seconds = seconds_since(&l->start);
    return NULL;
}

static bool checks_read_tables(const fdl_program *p)
{
    for (int s = 0; s < p->nsources; s++)
        for (int k = 0; k < p->sources[s].nchecks; k++)
            if (p->sources[s].checks[k].embedding >= 0)
                return true;
    return false;
}

/* Every table's file can be opened: the usual failure (a wrong path) is
 * then reported before any reading, as when the tables load first. */
static bool tables_open(batch *b)
{
    for (int e = 0; e < b->program->nembeddings; e++) {
        const char *path = embedding_path(b, e);
        FILE *file = path ? fopen(path, "rb") : NULL;
        if (!file)
            return false;
        fclose(file);
    }
    return true;
}

/* Starts loading the tables, or loads them now (then l->started is false). */
static fdl_status start_loader(batch *b, loader *l)
{
    *l = (loader){.b = b, .status = FDL_OK};
    clock_gettime(CLOCK_MONOTONIC, &l->start);
    if (b->options->threads > 1 && b->program->nembeddings > 0 && !checks_read_tables(b->program) &&
        tables_open(b))
        l->started = pthread_create(&l->thread, NULL, run_loader, l) == 0;
    if (l->started)
        return FDL_OK;          /* (l is the thread's until join_loader) */
    run_loader(l);
    if (l->status != FDL_OK)
        *b->err = l->err;
    return l->status;
}

/* Waits for the tables; their error comes before status (a failure of
 * the reading meanwhile), as when they were loaded first. */
static fdl_status join_loader(batch *b, loader *l, fdl_status status)
{
    if (!l->started)
        return status;
    pthread_join(l->thread, NULL);
    l->started = false;
    if (l->status == FDL_OK)
        return status;
    *b->err = l->err;
    return l->status;
}

/* Index of the header cell named name, or -1. */
static int find_column(const row_table *header, const char *name)
{
    size_t len = strlen(name);
    const char *p = header->bytes;
    for (int c = 0; c < header->ncolumns; c++) {
        uint32_t cell_len = header->lengths[c] == CELL_NULL ? 0 : header->lengths[c];
        if (cell_len == len && memcmp(p, name, len) == 0)
            return c;
        p += cell_len;
    }
    return -1;
}

/* Opens a CSV file and reads its header into header. NULL on error. */
static fdl_csv_reader *open_with_header(batch *b, const char *path, row_table *header)
{
    fdl_csv_reader *reader = fdl_csv_open(path, b->err);
    if (!reader)
        return NULL;
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields;
    int result = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, b->err);
    if (result == 0)
        fail_at(b->err, path, 1, FDL_ERR_FORMAT, "empty file: expected a header line naming the columns");
    if (result == 1) {
        header->ncolumns = nfields;
        if (row_table_append(header, fields, lengths, quoted, NULL, fdl_csv_line(reader)))
            return reader;
        out_of_memory(b);
    }
    fdl_csv_close(reader);
    return NULL;
}

/* Parses the time cell of a row; a null or bad time is an error at the row. */
static fdl_status parse_row_time(batch *b, const char *path, long line, const char *column,
                                 const char *text, size_t len, fdl_time *out)
{
    if (len == 0)
        return fail_at(b->err, path, line, FDL_ERR_FORMAT, "no time in column '%s'", column);
    if (fdl_parse_time(text, len, out, b->err) != FDL_OK) {
        char prefix[300];
        snprintf(prefix, sizeof prefix, "column '%s': ", column);
        fdl_error_prefix(b->err, prefix);
        return locate(b->err, path, line);
    }
    return FDL_OK;
}

static fdl_status wrong_width(batch *b, const char *path, long line, int expected, int found)
{
    return fail_at(b->err, path, line, FDL_ERR_FORMAT,
                   "expected %d columns as in the header, found %d", expected, found);
}

/*
 * Request-time fields come from spine columns of the same name: every field
 * the written features read must have one (a missing one is an error here,
 * before any work, naming a feature that needs it).
 */
static fdl_status find_request_columns(batch *b, const char *path)
{
    const fdl_program *p = b->program;
    size_t n = (size_t)p->nrequests + 1;
    b->request_columns = malloc(n * sizeof *b->request_columns);
    b->request_needed = calloc(n, sizeof *b->request_needed);
    if (!b->request_columns || !b->request_needed)
        return out_of_memory(b);
    for (int r = 0; r < p->nrequests; r++)
        b->request_columns[r] = find_column(&b->spine_header, p->requests[r].name);
    for (int i = 0; i < b->nfeatures; i++) {
        const fdl_feature_desc *feature = &p->features[b->features[i]];
        for (int k = 0; k < feature->nrequests; k++) {
            int r = feature->requests[k];
            if (r < 0 || r >= p->nrequests)
                return fdl_error_set(b->err, FDL_ERR_ARGUMENT, "program '%s': malformed request table",
                                     p->name);
            b->request_needed[r] = true;
            if (b->request_columns[r] < 0)
                return fail_at(b->err, path, 1, FDL_ERR_FORMAT,
                               "the spine has no column '%s' (request field read by feature %s)",
                               p->requests[r].name, feature->name);
        }
    }
    return FDL_OK;
}

/* Reads the spine's header and rows and decides the features to write. */
static fdl_status read_spine(batch *b)
{
    const fdl_program *p = b->program;
    const char *path = b->spine_path;
    fdl_csv_reader *reader = open_with_header(b, path, &b->spine_header);
    if (!reader)
        return b->err->status;
    fdl_status status = FDL_OK;
    const char *time_name = b->options->spine_time_column ? b->options->spine_time_column
                                                          : "timestamp";
    b->time_column = find_column(&b->spine_header, time_name);
    if (b->time_column < 0) {
        status = fail_at(b->err, path, 1, FDL_ERR_FORMAT,
                         "the spine has no time column '%s' (name it with spine_time_column)",
                         time_name);
        goto done;
    }

    b->entity_columns = malloc(((size_t)p->nentities + 1) * sizeof *b->entity_columns);
    size_t most_features = (size_t)p->nfeatures + 1;
    for (int k = 0; k < p->nsets; k++)
        if ((size_t)p->sets[k].nfeatures >= most_features)
            most_features = (size_t)p->sets[k].nfeatures + 1;
    b->features = malloc(most_features * sizeof *b->features);
    if (!b->entity_columns || !b->features) {
        status = out_of_memory(b);
        goto done;
    }
    /* Every key column of every entity; an entity is keyed when all are there. */
    b->key_start = malloc(((size_t)p->nentities + 1) * sizeof *b->key_start);
    for (int e = 0; e < p->nentities; e++)
        b->nkey_parts += p->entities[e].nkeys;
    b->key_columns = malloc(((size_t)b->nkey_parts + 1) * sizeof *b->key_columns);
    if (!b->key_start || !b->key_columns) {
        status = out_of_memory(b);
        goto done;
    }
    for (int e = 0, part = 0; e < p->nentities; e++) {
        b->key_start[e] = part;
        b->entity_columns[e] = 0;
        for (int k = 0; k < p->entities[e].nkeys; k++, part++) {
            b->key_columns[part] = find_column(&b->spine_header, p->entities[e].join_keys[k]);
            if (b->key_columns[part] < 0)
                b->entity_columns[e] = -1;
        }
        if (b->entity_columns[e] == 0)
            b->entity_columns[e] = b->key_columns[b->key_start[e]];
    }

    b->set = -1;
    if (b->options->set_name) {
        b->set = fdl_program_set(p, b->options->set_name);
        if (b->set < 0) {
            char names[300] = "";
            for (int k = 0; k < p->nsets; k++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         k ? ", " : "", p->sets[k].name);
            status = fdl_error_set(b->err, FDL_ERR_ARGUMENT, "unknown feature set '%s' (%s%s)",
                                   b->options->set_name,
                                   p->nsets ? "the program's sets: " : "the program has no sets",
                                   names);
            goto done;
        }
        const fdl_set_desc *set = &p->sets[b->set];
        for (int i = 0; i < set->nentities; i++) {
            const fdl_entity_desc *entity = &p->entities[set->entities[i]];
            for (int k = 0; k < entity->nkeys; k++)
                if (b->key_columns[b->key_start[set->entities[i]] + k] < 0) {
                    status = fail_at(b->err, path, 1, FDL_ERR_FORMAT,
                                     "the spine has no column '%s' (join key of entity %s, needed by set %s)",
                                     entity->join_keys[k], entity->name, set->name);
                    goto done;
                }
        }
        for (int i = 0; i < set->nfeatures; i++)
            b->features[i] = set->features[i];
        b->nfeatures = set->nfeatures;
    } else {
        for (int f = 0; f < p->nfeatures; f++) {
            const fdl_feature_desc *feature = &p->features[f];
            bool keyed = true;
            for (int i = 0; i < feature->nentities; i++)
                keyed &= b->entity_columns[feature->entities[i]] >= 0;
            if (keyed)
                b->features[b->nfeatures++] = f;
        }
        if (b->nfeatures == 0) {
            char names[300] = "";
            for (int e = 0; e < p->nentities; e++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         e ? ", " : "", p->entities[e].join_key);
            status = fail_at(b->err, path, 1, FDL_ERR_FORMAT,
                             "no feature can be read for this spine: it has none of the join key columns (%s)",
                             names);
            goto done;
        }
    }

    status = find_request_columns(b, path);
    if (status != FDL_OK)
        goto done;

    b->spine.ncolumns = b->spine_header.ncolumns;
    const char *time_column_name = time_name;
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields, result;
    size_t order_capacity = 0;
    while ((result = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, b->err)) == 1) {
        long line = fdl_csv_line(reader);
        if (nfields != b->spine.ncolumns) {
            status = wrong_width(b, path, line, b->spine.ncolumns, nfields);
            goto done;
        }
        fdl_time t;
        status = parse_row_time(b, path, line, time_column_name, fields[b->time_column],
                                lengths[b->time_column], &t);
        if (status != FDL_OK)
            goto done;
        size_t row = b->spine.nrows;
        if (row >= UINT32_MAX) {
            status = fail_at(b->err, path, line, FDL_ERR_FORMAT, "too many rows");
            goto done;
        }
        timed_row *order = grow_array(b->spine_order, &order_capacity, row + 1, sizeof *order);
        if (order)
            b->spine_order = order;
        if (!order || !row_table_append(&b->spine, fields, lengths, quoted, NULL, line)) {
            status = out_of_memory(b);
            goto done;
        }
        b->spine_order[row] = (timed_row){t, 0, (uint32_t)row};
    }
    if (result < 0)
        status = b->err->status;
done:
    fdl_csv_close(reader);
    return status;
}

/*
 * Runs a row's expectations (the generated check_row). Returns FDL_OK with
 * *accepted set, and the row's time and (when a policy changed a value) its
 * new cells in out_*; or the error that stops the run.
 */
static fdl_status check_source_row(batch *b, int s, const char *path, long line,
                                   const char **fields, const size_t *lengths, const bool *quoted,
                                   const int *columns, bool *accepted, fdl_time *time,
                                   const char **out_cells, size_t *out_lengths, bool *out_quoted,
                                   bool *any_changed, char (*buffers)[64], fdl_value *values,
                                   bool *changed)
{
    const fdl_source_desc *source = &b->program->sources[s];
    int n = source->nfields;
    for (int f = 0; f < n; f++) {
        int c = columns[f];
        bool null = lengths[c] == 0 && !quoted[c];
        out_cells[f] = null ? NULL : fields[c];
        out_lengths[f] = lengths[c];
        out_quoted[f] = quoted[c];
    }
    fdl_status status = source->check_row(b->store, out_cells, out_lengths, values, changed, b->err);
    *accepted = status == FDL_OK;
    *any_changed = false;
    if (status == FDL_DROPPED) {
        if (b->quarantine.file)
            fdl_quarantine_write(b->quarantine.file, b->store, path, line, n, out_cells, out_lengths);
        return FDL_OK;
    }
    if (status != FDL_OK) {
        if (b->err->status == FDL_OK)
            fdl_error_set(b->err, status, "source '%s' rejected the row", source->name);
        return locate(b->err, path, line);
    }
    *time = values[source->time_field].as.t;
    for (int f = 0; f < n; f++) {
        if (!changed[f])
            continue;
        *any_changed = true;
        /* The value a policy put in place of the cell, as text that parses back to it. */
        out_cells[f] = fdl_value_cell_text(values[f], buffers[f], 64, &out_lengths[f]);
        out_quoted[f] = values[f].type == FDL_STRING;   /* "" stays the empty string */
    }
    return FDL_OK;
}

/* A kept value as the value it was (a kept text: its type only, read as null). */
static fdl_value kept_to_value(const kept_value *k)
{
    switch (k->type) {
    case FDL_INT64: return fdl_int64(k->as.i);
    case FDL_FLOAT64: return fdl_float64(k->as.f);
    case FDL_BOOL: return fdl_bool(k->as.b);
    case FDL_TIMESTAMP: return fdl_timestamp(k->as.t);
    default: return fdl_null();
    }
}

/* Whether field f's value is kept per row (keep_values). */
static bool kept_field(const fdl_source_desc *source, int f)
{
    return source->fields[f].type != FDL_STRING && f != source->time_field;
}

/* Whether a source field's text is dropped once its value is kept: the time
 * and the kept fields, but not a key column of any entity (the replay deals
 * events to threads by their key's text). */
static bool text_dropped(const fdl_program *p, const fdl_source_desc *source, int f)
{
    if (f == source->time_field)
        return true;
    if (!kept_field(source, f))
        return false;
    for (int e = 0; e < p->nentities; e++)
        for (int k = 0; k < p->entities[e].nkeys; k++)
            if (strcmp(p->entities[e].join_keys[k], source->fields[f].name) == 0)
                return false;
    return true;
}

/* Appends the values of a row's kept fields (kept_field). */
static bool keep_values(row_table *table, const fdl_source_desc *source, const fdl_value *values)
{
    size_t at = (table->nrows - 1) * (size_t)table->nvalues;
    kept_value *kept = grow_array(table->values, &table->values_capacity, at + (size_t)table->nvalues + 1,
                                  sizeof *kept);
    if (!kept)
        return false;
    table->values = kept;
    for (int f = 0; f < source->nfields; f++) {
        if (!kept_field(source, f))
            continue;
        kept_value *k = &kept[at++];
        memset(k, 0, sizeof *k);
        k->type = values[f].type;
        switch (values[f].type) {
        case FDL_INT64: k->as.i = values[f].as.i; break;
        case FDL_FLOAT64: k->as.f = values[f].as.f; break;
        case FDL_BOOL: k->as.b = values[f].as.b; break;
        case FDL_TIMESTAMP: k->as.t = values[f].as.t; break;
        default: break;   /* null; a kept text: its type only */
        }
    }
    return true;
}

/* Reads one CSV file of a source: the cells of the source's fields, and
 * one event per accepted row. */
static fdl_status read_source_file(batch *b, int s, const char *path)
{
    const fdl_source_desc *source = &b->program->sources[s];
    row_table header = {0};
    int *columns = NULL;
    const char **cells = NULL;
    size_t *cell_lengths = NULL;
    bool *cell_quoted = NULL;
    char (*buffers)[64] = NULL;
    fdl_value *values = NULL;
    bool *changed_fields = NULL;
    bool *dropped = NULL;
    fdl_csv_reader *reader = open_with_header(b, path, &header);
    if (!reader)
        return b->err->status;
    fdl_status status = FDL_OK;
    size_t n = (size_t)source->nfields + 1;
    columns = calloc(n, sizeof *columns);
    cells = malloc(n * sizeof *cells);
    cell_lengths = malloc(n * sizeof *cell_lengths);
    cell_quoted = malloc(n * sizeof *cell_quoted);
    buffers = malloc(n * sizeof *buffers);
    values = malloc(n * sizeof *values);
    changed_fields = malloc(n * sizeof *changed_fields);
    dropped = malloc(n * sizeof *dropped);
    if (!columns || !cells || !cell_lengths || !cell_quoted || !buffers || !values || !changed_fields ||
        !dropped) {
        status = out_of_memory(b);
        goto done;
    }
    for (int f = 0; f < source->nfields; f++) {
        columns[f] = find_column(&header, source->fields[f].name);
        if (columns[f] < 0) {
            status = fail_at(b->err, path, 1, FDL_ERR_FORMAT,
                             "source '%s' needs a column '%s', which the header lacks",
                             source->name, source->fields[f].name);
            goto done;
        }
    }

    row_table *table = &b->sources[s];
    table->ncolumns = source->nfields;
    table->nvalues = 0;
    for (int f = 0; f < source->nfields; f++)
        table->nvalues += kept_field(source, f);
    int time_column = columns[source->time_field];
    const char *time_name = source->fields[source->time_field].name;
    for (int f = 0; f < source->nfields; f++)
        dropped[f] = text_dropped(b->program, source, f);
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields, result;
    while ((result = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, b->err)) == 1) {
        long line = fdl_csv_line(reader);
        if (nfields != header.ncolumns) {
            status = wrong_width(b, path, line, header.ncolumns, nfields);
            goto done;
        }
        fdl_time t;
        bool changed = false;
        if (b->has_until && lengths[time_column] > 0 &&
            fdl_parse_time(fields[time_column], lengths[time_column], &t, NULL) == FDL_OK &&
            t >= b->until)
            continue;   /* materialize --until: not read at all (nor checked, nor counted) */
        if (source->check_row) {
            bool accepted;
            status = check_source_row(b, s, path, line, fields, lengths, quoted, columns,
                                      &accepted, &t, cells, cell_lengths, cell_quoted, &changed,
                                      buffers, values, changed_fields);
            if (status != FDL_OK)
                goto done;
            if (!accepted)
                continue;
        } else {
            /* A program without check functions (written by hand): the time only. */
            status = parse_row_time(b, path, line, time_name, fields[time_column],
                                    lengths[time_column], &t);
            if (status != FDL_OK)
                goto done;
        }
        size_t row = table->nrows;
        if (row >= UINT32_MAX) {
            status = fail_at(b->err, path, line, FDL_ERR_FORMAT, "too many rows");
            goto done;
        }
        timed_row *events = grow_array(b->events, &b->events_capacity, b->nevents + 1,
                                       sizeof *events);
        if (events)
            b->events = events;
        bool appended;
        if (source->check_row) {
            /* The text of a value kept (keep_values) and the time is not kept
             * twice: the replay rebuilds it from the value (replay_cells). */
            for (int f = 0; f < source->nfields; f++)
                if (dropped[f] && values[f].type != FDL_STRING) {
                    cells[f] = NULL;
                    cell_lengths[f] = 0;
                    cell_quoted[f] = false;
                }
            appended = events && row_table_append(table, cells, cell_lengths, cell_quoted, NULL, line);
        } else {
            appended = events && row_table_append(table, fields, lengths, quoted, columns, line);
        }
        if (appended && source->check_row)
            appended = keep_values(table, source, values);
        if (!appended) {
            status = out_of_memory(b);
            goto done;
        }
        b->events[b->nevents++] = (timed_row){t, (uint32_t)s, (uint32_t)row};
        fdl_progress_rows(b->progress, 1);
    }
    if (result < 0)
        status = b->err->status;
done:
    fdl_csv_close(reader);
    row_table_free(&header);
    free(columns);
    free(cells);
    free(cell_lengths);
    free(cell_quoted);
    free(buffers);
    free(values);
    free(changed_fields);
    free(dropped);
    return status;
}

/* Reads every file of source s, in option order: as one file would be. */
static fdl_status read_source(batch *b, int s)
{
    fdl_status status = FDL_OK;
    b->event_start[s] = b->nevents;
    for (int k = b->files_start[s]; k < b->files_start[s + 1] && status == FDL_OK; k++) {
        b->file_first_row[k] = b->sources[s].nrows;
        status = read_source_file(b, s, b->files[k]);
    }
    b->event_end[s] = b->nevents;
    return status;
}

/*
 * The order to read sources in: option order, except that a source an
 * exists_in expectation looks values up in comes before the sources that
 * look (fdlc rejects cycles; a self reference does not count).
 */
static int *read_order(batch *b)
{
    const fdl_program *p = b->program;
    int n = b->nsources_named;
    int *order = malloc(((size_t)n + 1) * sizeof *order);
    bool *placed = calloc((size_t)p->nsources + 1, sizeof *placed);
    if (!order || !placed) {
        free(order);
        free(placed);
        return NULL;
    }
    int count = 0;
    while (count < n) {
        int before = count;
        for (int i = 0; i < n; i++) {
            int s = b->source_order[i];
            if (placed[s])
                continue;
            bool ready = true;
            const fdl_source_desc *src = &p->sources[s];
            for (int k = 0; k < src->nchecks; k++) {
                int r = src->checks[k].reference;
                if (r >= 0 && p->references[r].source != s && !placed[p->references[r].source])
                    ready = false;
            }
            if (ready) {
                placed[s] = true;
                order[count++] = s;
            }
        }
        if (count == before) {
            /* A cycle (a hand-written program): the rest in option order. */
            for (int i = 0; i < n; i++) {
                int s = b->source_order[i];
                if (!placed[s]) {
                    placed[s] = true;
                    order[count++] = s;
                }
            }
        }
    }
    free(placed);
    return order;
}

/* Puts the events back in option order, so that equal times keep it. */
static bool events_in_option_order(batch *b)
{
    if (b->nevents == 0)
        return true;
    timed_row *sorted = malloc(b->nevents * sizeof *sorted);
    if (!sorted)
        return false;
    size_t at = 0;
    for (int i = 0; i < b->nsources_named; i++) {
        int s = b->source_order[i];
        size_t count = b->event_end[s] - b->event_start[s];
        memcpy(sorted + at, b->events + b->event_start[s], count * sizeof *sorted);
        at += count;
    }
    free(b->events);
    b->events = sorted;
    b->events_capacity = b->nevents;
    return true;
}

/* ----------------------------------------------------------------- workers */

/*
 * The replay runs in partitions, one thread each. One entity (the one the
 * most groups are keyed by, with its key in the spine) is the partition
 * entity: a hash of its key picks the worker of every spine row and of
 * every event that only feeds groups of that entity. Each worker replays,
 * in time order, its own events (and those of sources feeding other
 * entities, which every worker takes: their states are replicated) into a
 * store of its own, then reads its own spine rows. An entity's states see
 * the same events in the same order whatever the number of workers, and
 * reads happen at the same times, so every value, and the output, is the
 * same byte for byte for any number of threads.
 *
 * When every group is keyed by the partition entity (the seed's program,
 * say), a worker goes further and replays key by key: each key's events
 * and spine rows, both in time order, then the next key, forgetting the
 * last key's state. Its store then holds one key at a time, in cache,
 * instead of every key touched at random; it keeps history (no watermark
 * refuses a read of the next key, whose times start over). The events of
 * a key and the times of its reads are those of the one-thread replay, so
 * the values are too.
 *
 * Errors: the one-thread replay in time order stops at its first failure.
 * Each worker records the failure it meets earliest in that order
 * (event_position), a key-by-key worker looking on past a failure for an
 * earlier one, and the run reports the earliest of all workers': the same
 * error for any number of threads.
 */
enum { ROUTE_NONE = -1, ROUTE_ALL = -2 };

typedef struct worker {
    batch *b;
    int index;
    fdl_store *store;
    fdl_error err;                  /* of the call that failed last */
    fdl_status status;              /* the first failure (by failed_at), and its error */
    fdl_error first_err;
    uint64_t failed_at;             /* its replay position (event_position), or UINT64_MAX */
    /* Replay in time order: */
    uint32_t *events;               /* indexes into b->events, in time order */
    size_t nevents, events_capacity;
    uint32_t *rows;                 /* indexes into b->spine_order, in time order */
    size_t nrows, rows_capacity;
    /* Replay key by key: */
    uint32_t *keys_owned;           /* its keys (b->key_events ...), in order */
    size_t nkeys_owned, keys_owned_capacity;

    /* Scratch for one row, sized once. */
    const char **cells;
    size_t *cell_lengths;
    char (*cell_texts)[64];         /* cells rebuilt from kept values (replay_cells) */
    fdl_value *keys_by_entity;      /* per key column of every entity (key_start) */
    fdl_value *keys;
    fdl_value *values;
    fdl_value *request;             /* per program request field */
    fdl_value *set_request;         /* the set's request fields, in its order */
    fdl_value *event_values;        /* an event's fields, for push_values */
    vector_entry *vector_cache;     /* formatted vectors (write_value) */
    int vector_cache_bits;          /* its size: 1 << bits entries */
    struct arena_block *arena;      /* copies of the strings and vectors it read */
    bool arena_failed;

    /* Writing: the text of a range of rows. */
    size_t from, to;
    char *text;
    size_t text_size;
    bool text_failed;
} worker;

/* Blocks of copies that never move: values in row_values point into them. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    _Alignas(max_align_t) unsigned char bytes[];
} arena_block;

/* n bytes aligned for doubles in w's arena; NULL when out of memory. */
static void *arena_alloc(worker *w, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    arena_block *block = w->arena;
    if (!block || block->size - block->used < n) {
        size_t size = n > ((size_t)1 << 20) ? n : (size_t)1 << 20;
        block = malloc(sizeof *block + size);
        if (!block)
            return NULL;
        block->next = w->arena;
        block->used = 0;
        block->size = size;
        w->arena = block;
    }
    void *p = block->bytes + block->used;
    block->used += n;
    return p;
}

static void workers_free(batch *b)
{
    for (int i = 0; b->workers && i < b->nworkers; i++) {
        worker *w = &b->workers[i];
        if (w->vector_cache) {
            for (size_t k = 0; k < (size_t)1 << w->vector_cache_bits; k++)
                free(w->vector_cache[k].text);
            free(w->vector_cache);
        }
        fdl_store_close(w->store);
        free(w->events);
        free(w->rows);
        free(w->keys_owned);
        free((void *)w->cells);
        free(w->cell_lengths);
        free(w->cell_texts);
        free(w->keys_by_entity);
        free(w->keys);
        free(w->values);
        free(w->request);
        free(w->set_request);
        free(w->event_values);
        free(w->text);
        for (arena_block *block = w->arena, *next; block; block = next) {
            next = block->next;
            free(block);
        }
    }
    free(b->workers);
    b->workers = NULL;
}

/* The widest row a worker or the writer splits into cells. */
static int widest_row(const batch *b)
{
    const fdl_program *p = b->program;
    int widest = 1;
    for (int s = 0; s < p->nsources; s++)
        if (p->sources[s].nfields > widest)
            widest = p->sources[s].nfields;
    if (b->spine.ncolumns > widest)
        widest = b->spine.ncolumns;
    return widest;
}

static fdl_status worker_init(batch *b, worker *w, int index)
{
    const fdl_program *p = b->program;
    w->b = b;
    w->index = index;
    w->vector_cache_bits = VECTOR_CACHE_TOTAL_BITS;
    for (int n = 1; n < b->nworkers && w->vector_cache_bits > VECTOR_CACHE_MIN_BITS; n *= 2)
        w->vector_cache_bits--;
    w->status = FDL_OK;
    w->failed_at = UINT64_MAX;
    fdl_error_set(&w->err, FDL_OK, "%s", "");
    fdl_store_options options = fdl_store_options_default();
    /* Reads move forward in time, except from one key to the next. */
    options.keep_history = b->by_key;
    options.load_embeddings = false;    /* the main store's, borrowed */
    w->store = fdl_store_open(p, &options, b->err);
    if (!w->store)
        return b->err->status != FDL_OK ? b->err->status : out_of_memory(b);
    fdl_store_set_eager_eviction(w->store, false);
    fdl_status status = fdl_store_borrow_embeddings(w->store, b->store, b->err);
    if (status != FDL_OK)
        return status;
    size_t widest = (size_t)widest_row(b);
    size_t nrequests = (size_t)p->nrequests + 1;
    /* Reads take one value per key column: at most every entity's, each once
     * per set or feature entity (entities are distinct in both). */
    size_t most_keys = (size_t)b->nkey_parts + 1;
    w->cells = malloc(widest * sizeof *w->cells);
    w->cell_lengths = malloc(widest * sizeof *w->cell_lengths);
    w->cell_texts = malloc(widest * sizeof *w->cell_texts);
    w->keys_by_entity = malloc(most_keys * sizeof *w->keys_by_entity);
    w->keys = malloc(most_keys * sizeof *w->keys);
    w->values = malloc(((size_t)b->nfeatures + 1) * sizeof *w->values);
    w->request = malloc(nrequests * sizeof *w->request);
    w->set_request = malloc(nrequests * sizeof *w->set_request);
    w->event_values = malloc(widest * sizeof *w->event_values);
    if (!w->cells || !w->cell_lengths || !w->cell_texts || !w->keys_by_entity || !w->keys || !w->values ||
        !w->request || !w->set_request || !w->event_values)
        return out_of_memory(b);
    return FDL_OK;
}

/* 64-bit hash of key bytes (FNV-1a, then a finalizer that spreads the
 * low bits, which pick the partition). */
static uint64_t key_hash(const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    return h;
}

/* The text of cell column of a table's row; NULL when null. */
static const char *cell_text(const row_table *table, size_t row, int column, size_t *len)
{
    const char *p = table->bytes + table->row_offsets[row];
    const uint32_t *lengths = table->lengths + row * (size_t)table->ncolumns;
    for (int c = 0; c < column; c++)
        p += lengths[c] == CELL_NULL ? 0 : lengths[c];
    *len = lengths[column] == CELL_NULL ? 0 : lengths[column];
    return lengths[column] == CELL_NULL ? NULL : p;
}

/*
 * The key bytes (*bytes, *n: the empty string has none) of a partition
 * entity key given as cell text, parsed as the key's type (so "7" and
 * "07" are one int64 key), as the store keys it; false for a null key or
 * a text that does not parse.
 */
static bool cell_key(const batch *b, const char *text, size_t len, char buffer[16],
                     const void **bytes, size_t *n)
{
    if (!text)
        return false;
    fdl_type type = b->program->entities[b->partition_entity].key_types[0];
    fdl_value key;
    if (type == FDL_STRING)
        key = fdl_string(text, len);
    else if (fdl_parse_value(type, text, len, &key, NULL) != FDL_OK)
        return false;
    *n = fdl_key_bytes(key, buffer, 16, bytes);
    return true;
}

/* The worker of a key given as cell text: a null or bad key goes to 0. */
static int key_partition(const batch *b, const char *text, size_t len)
{
    char buffer[16];
    const void *bytes;
    size_t n;
    if (!cell_key(b, text, len, buffer, &bytes, &n))
        return 0;
    return (int)(key_hash(bytes, n) % (uint64_t)b->nworkers);
}

/*
 * Picks the partition entity and each source's route: ROUTE_NONE for a
 * source that feeds no group, ROUTE_ALL for one feeding groups of another
 * entity (or whose key field is not found), else the index of its field
 * holding the partition entity's key.
 */
static fdl_status plan_partitions(batch *b)
{
    const fdl_program *p = b->program;
    b->partition_entity = -1;
    int most = 0;
    for (int e = 0; e < p->nentities; e++) {
        int n = 0;
        for (int g = 0; g < p->ngroups; g++)
            n += p->groups[g].entity == e;
        if (n > most && p->entities[e].nkeys == 1 && b->entity_columns[e] >= 0) {
            most = n;
            b->partition_entity = e;
        }
    }
    if (b->partition_entity < 0)
        b->nworkers = 1;        /* no group keyed by a spine column: nothing to split */
    b->route_field = malloc(((size_t)p->nsources + 1) * sizeof *b->route_field);
    if (!b->route_field)
        return out_of_memory(b);
    for (int s = 0; s < p->nsources; s++) {
        bool feeds = false, feeds_other = false;
        for (int g = 0; g < p->ngroups; g++) {
            if (p->groups[g].source != s)
                continue;
            feeds = true;
            feeds_other |= p->groups[g].entity != b->partition_entity;
        }
        int field = -1;
        const fdl_source_desc *src = &p->sources[s];
        for (int f = 0; feeds && !feeds_other && f < src->nfields; f++)
            if (strcmp(src->fields[f].name, p->entities[b->partition_entity].join_key) == 0)
                field = f;
        b->route_field[s] = !feeds ? ROUTE_NONE : feeds_other || field < 0 ? ROUTE_ALL : field;
    }
    /* Key by key when every event that feeds a state is routed by key. */
    b->by_key = b->partition_entity >= 0;
    for (int s = 0; s < p->nsources; s++)
        b->by_key &= b->route_field[s] != ROUTE_ALL;
    return FDL_OK;
}

static bool append_index(uint32_t **array, size_t *n, size_t *capacity, size_t index)
{
    uint32_t *grown = grow_array(*array, capacity, *n + 1, sizeof **array);
    if (!grown)
        return false;
    *array = grown;
    grown[(*n)++] = (uint32_t)index;
    return true;
}

/* Deals the events and spine rows (both in time order) to the workers. */
static fdl_status deal_in_time_order(batch *b)
{
    for (size_t i = 0; i < b->nevents; i++) {
        const timed_row *event = &b->events[i];
        int route = b->route_field[event->source];
        if (route == ROUTE_NONE)
            continue;
        int target = -1;            /* -1: every worker */
        if (route >= 0 && b->nworkers > 1) {
            /* (a null key or one that does not parse feeds no state) */
            size_t len;
            const char *text = cell_text(&b->sources[event->source], event->row, route, &len);
            target = key_partition(b, text, len);
        } else if (b->nworkers == 1) {
            target = 0;
        }
        for (int k = 0; k < b->nworkers; k++) {
            worker *w = &b->workers[k];
            if ((target < 0 || target == k) &&
                !append_index(&w->events, &w->nevents, &w->events_capacity, i))
                return out_of_memory(b);
        }
    }
    for (size_t k = 0; k < b->spine.nrows; k++) {
        uint32_t row = b->spine_order[k].row;
        int target = 0;
        if (b->nworkers > 1) {
            /* (a bad key: its worker, 0, reports it) */
            size_t len;
            const char *text = cell_text(&b->spine, row, b->entity_columns[b->partition_entity], &len);
            target = key_partition(b, text, len);
        }
        worker *w = &b->workers[target];
        if (!append_index(&w->rows, &w->nrows, &w->rows_capacity, k))
            return out_of_memory(b);
    }
    return FDL_OK;
}

/* Counts each key's items, then turns the counts into start offsets
 * (starts has nkeys + 1 entries); returns the total. */
static uint32_t count_to_starts(uint32_t *starts, uint32_t nkeys)
{
    uint32_t total = 0;
    for (uint32_t id = 0; id < nkeys; id++) {
        uint32_t count = starts[id];
        starts[id] = total;
        total += count;
    }
    starts[nkeys] = total;
    return total;
}

/* Groups items (ids[i] per item i, NONE: left out) by id, stably, into
 * grouped; starts must hold the counts and becomes the offsets. */
static void scatter_by_key(const uint32_t *ids, size_t n, uint32_t *starts, uint32_t nkeys,
                           uint32_t *grouped)
{
    uint32_t total = count_to_starts(starts, nkeys);
    (void)total;
    for (size_t i = 0; i < n; i++)
        if (ids[i] != UINT32_MAX)
            grouped[starts[ids[i]]++] = (uint32_t)i;
    /* Each start moved to its end, which is the next one's start. */
    for (uint32_t id = nkeys; id > 0; id--)
        starts[id] = starts[id - 1];
    starts[0] = 0;
    assert(starts[nkeys] == total);
}

/*
 * Key by key: numbers the partition entity's keys in order of first
 * appearance (events, then spine rows; rows without a key, or with one
 * that does not parse, share one more number), groups events and rows by
 * key keeping time order (a counting sort), and deals the keys that have
 * rows to the workers by hash.
 */
static fdl_status deal_by_key(batch *b)
{
    fdl_status status = FDL_OK;
    fdl_hashmap *ids = fdl_hashmap_new();
    uint32_t *event_key = malloc((b->nevents + 1) * sizeof *event_key);
    uint32_t *row_key = malloc((b->spine.nrows + 1) * sizeof *row_key);
    uint32_t *counts = NULL, *row_counts = NULL;
    uint16_t *owner = NULL;
    size_t capacity = 0, row_capacity = 0, owner_capacity = 0;
    uint32_t nkeys = 0, none = UINT32_MAX;
    if (!ids || !event_key || !row_key)
        goto out_of_memory;
    for (size_t i = 0; i < b->nevents + b->spine.nrows; i++) {
        bool is_event = i < b->nevents;
        size_t len;
        const char *text;
        if (is_event) {
            const timed_row *event = &b->events[i];
            int field = b->route_field[event->source];
            if (field < 0) {
                event_key[i] = UINT32_MAX;
                continue;
            }
            text = cell_text(&b->sources[event->source], event->row, field, &len);
        } else {
            text = cell_text(&b->spine, b->spine_order[i - b->nevents].row,
                             b->entity_columns[b->partition_entity], &len);
        }
        char buffer[16];
        const void *bytes = NULL;
        size_t n = 0;
        bool keyed = cell_key(b, text, len, buffer, &bytes, &n);
        uint32_t id;
        if (!keyed && is_event) {
            event_key[i] = UINT32_MAX;      /* a null key feeds no state */
            continue;
        }
        void **slot = keyed ? fdl_hashmap_slot(ids, bytes, n, true) : NULL;
        if (keyed && !slot)
            goto out_of_memory;
        if (keyed ? *slot != NULL : none != UINT32_MAX) {
            id = keyed ? (uint32_t)((uintptr_t)*slot - 1) : none;
        } else {
            if (nkeys == UINT32_MAX - 1)
                goto out_of_memory;
            id = nkeys++;
            if (keyed)
                *slot = (void *)(uintptr_t)(id + 1);
            else
                none = id;
            uint32_t *grown = grow_array(counts, &capacity, nkeys + 1, sizeof *counts);
            if (!grown)
                goto out_of_memory;
            counts = grown;
            grown = grow_array(row_counts, &row_capacity, nkeys + 1, sizeof *row_counts);
            if (!grown)
                goto out_of_memory;
            row_counts = grown;
            uint16_t *owners = grow_array(owner, &owner_capacity, nkeys, sizeof *owner);
            if (!owners)
                goto out_of_memory;
            owner = owners;
            counts[id] = row_counts[id] = 0;
            owner[id] = keyed ? (uint16_t)(key_hash(bytes, n) % (uint64_t)b->nworkers) : 0;
        }
        if (is_event) {
            event_key[i] = id;
            counts[id]++;
        } else {
            row_key[i - b->nevents] = id;
            row_counts[id]++;
        }
    }
    b->nkeys = nkeys;
    b->key_events = counts ? counts : calloc(1, sizeof *b->key_events);
    b->key_rows = row_counts ? row_counts : calloc(1, sizeof *b->key_rows);
    counts = row_counts = NULL;
    b->events_by_key = malloc((b->nevents + 1) * sizeof *b->events_by_key);
    b->rows_by_key = malloc((b->spine.nrows + 1) * sizeof *b->rows_by_key);
    if (!b->key_events || !b->key_rows || !b->events_by_key || !b->rows_by_key)
        goto out_of_memory;
    scatter_by_key(event_key, b->nevents, b->key_events, nkeys, b->events_by_key);
    scatter_by_key(row_key, b->spine.nrows, b->key_rows, nkeys, b->rows_by_key);
    for (uint32_t id = 0; id < nkeys; id++) {
        worker *w = &b->workers[owner[id]];
        if (b->key_rows[id + 1] > b->key_rows[id] &&
            !append_index(&w->keys_owned, &w->nkeys_owned, &w->keys_owned_capacity, id))
            goto out_of_memory;
    }
    goto done;
out_of_memory:
    status = out_of_memory(b);
done:
    fdl_hashmap_free(ids);
    free(event_key);
    free(row_key);
    free(counts);
    free(row_counts);
    free(owner);
    return status;
}

static fdl_status start_workers(batch *b)
{
    int threads = b->options->threads > 0 ? b->options->threads : 1;
    if (threads > FDL_BATCH_MAX_THREADS)
        threads = FDL_BATCH_MAX_THREADS;
    b->nworkers = threads;
    fdl_status status = plan_partitions(b);
    if (status != FDL_OK)
        return status;
    b->cells = malloc((size_t)widest_row(b) * sizeof *b->cells);
    b->cell_lengths = malloc((size_t)widest_row(b) * sizeof *b->cell_lengths);
    size_t nvalues = b->spine.nrows * (size_t)b->nfeatures;
    if (b->nfeatures > 0 && nvalues / (size_t)b->nfeatures != b->spine.nrows)
        return out_of_memory(b);
    b->row_values = malloc((nvalues + 1) * sizeof *b->row_values);
    b->workers = calloc((size_t)b->nworkers, sizeof *b->workers);
    if (!b->cells || !b->cell_lengths || !b->row_values || !b->workers)
        return out_of_memory(b);
    for (int i = 0; i < b->nworkers; i++)
        if ((status = worker_init(b, &b->workers[i], i)) != FDL_OK)
            return status;
    return b->by_key ? deal_by_key(b) : deal_in_time_order(b);
}

/* ------------------------------------------------------------------ replay */

/*
 * Where in the one-thread replay a failure happens: before spine row k (in
 * time order) is 2k, at it 2k + 1. An event is pushed just before the first
 * row later than it. The workers' first failures compare by it, so the
 * error a run reports does not depend on the number of threads.
 */
static uint64_t event_position(const batch *b, fdl_time time)
{
    return 2 * (uint64_t)upper_bound(b->spine_order, 0, b->spine.nrows, time);
}

/*
 * The event's values as check_row gave them: strings from its cells, the
 * time the event's, the others kept. False when one is not of its field's
 * type (a text kept as it was for a policy to judge): then the row is
 * parsed again.
 */
static bool event_values(worker *w, const fdl_source_desc *source, const row_table *table,
                         const timed_row *event)
{
    const kept_value *kept = table->values + event->row * (size_t)table->nvalues;
    for (int f = 0; f < source->nfields; f++) {
        fdl_value *v = &w->event_values[f];
        if (f == source->time_field) {
            *v = fdl_timestamp(event->time);
            continue;
        }
        if (source->fields[f].type == FDL_STRING) {
            *v = w->cells[f] ? fdl_string(w->cells[f], w->cell_lengths[f]) : fdl_null();
            continue;
        }
        const kept_value *k = kept++;
        if (k->type != FDL_NULL && k->type != source->fields[f].type)
            return false;
        *v = kept_to_value(k);
    }
    return true;
}

/* The cells of a row whose kept values stand for their text (read_source):
 * that text again, shortest round trip, as a policy's new value is written. */
static void replay_cells(worker *w, const fdl_source_desc *source, const row_table *table,
                         const timed_row *event)
{
    const kept_value *kept = table->values + event->row * (size_t)table->nvalues;
    for (int f = 0; f < source->nfields; f++) {
        fdl_value v = fdl_null();
        if (f == source->time_field) {
            v = fdl_timestamp(event->time);
        } else if (kept_field(source, f)) {
            const kept_value *k = kept++;
            if (w->cells[f] || k->type == FDL_NULL || k->type == FDL_STRING)
                continue;   /* its text was kept (text_dropped), or none is needed */
            v = kept_to_value(k);
        } else {
            continue;
        }
        w->cells[f] = fdl_value_cell_text(v, w->cell_texts[f], sizeof w->cell_texts[f], &w->cell_lengths[f]);
    }
}

static fdl_status ingest_event(worker *w, const timed_row *event)
{
    batch *b = w->b;
    const row_table *table = &b->sources[event->source];
    const fdl_source_desc *source = &b->program->sources[event->source];
    row_table_cells(table, event->row, w->cells, w->cell_lengths);
    /* Checked when read: pushed without checking (and counting) again,
     * from the values parsed then when the program can take them. */
    fdl_status status;
    if (source->push_values && table->values && event_values(w, source, table, event)) {
        status = source->push_values(w->store, w->event_values, &w->err);
    } else {
        if (table->values)
            replay_cells(w, source, table, event);
        fdl_ingest_row_fn push = source->push_row ? source->push_row : source->ingest_row;
        status = push(w->store, w->cells, w->cell_lengths, &w->err);
    }
    if (status != FDL_OK) {
        if (w->err.status == FDL_OK)
            fdl_error_set(&w->err, status, "source '%s' rejected the event",
                          b->program->sources[event->source].name);
        return locate(&w->err, row_file(b, (int)event->source, event->row), table->lines[event->row]);
    }
    return FDL_OK;
}

/* Parses the key columns of every entity the spine names, for one row. */
static fdl_status parse_keys(worker *w, size_t row)
{
    const batch *b = w->b;
    const fdl_program *p = b->program;
    for (int e = 0; e < p->nentities; e++) {
        for (int k = 0; k < p->entities[e].nkeys; k++) {
            int part = b->key_start[e] + k;
            w->keys_by_entity[part] = fdl_null();
            int column = b->key_columns[part];
            if (column < 0)
                continue;
            const char *text = w->cells[column];
            size_t len = w->cell_lengths[column];
            if (!text)
                continue;
            fdl_type type = p->entities[e].key_types[k];
            /* As generated ingest functions do: "" is the empty string key. */
            if (type == FDL_STRING) {
                w->keys_by_entity[part] = fdl_string(text, len);
            } else if (fdl_parse_value(type, text, len, &w->keys_by_entity[part], &w->err) != FDL_OK) {
                char prefix[300];
                snprintf(prefix, sizeof prefix, "column '%s': ", p->entities[e].join_keys[k]);
                fdl_error_prefix(&w->err, prefix);
                return locate(&w->err, b->spine_path, b->spine.lines[row]);
            }
        }
    }
    return FDL_OK;
}

/* Copies the key columns of entities[0..count) into keys; returns how many. */
static int gather_keys(const worker *w, const int *entities, int count, fdl_value *keys)
{
    const batch *b = w->b;
    int n = 0;
    for (int i = 0; i < count; i++) {
        const fdl_entity_desc *entity = &b->program->entities[entities[i]];
        for (int k = 0; k < entity->nkeys; k++)
            keys[n++] = w->keys_by_entity[b->key_start[entities[i]] + k];
    }
    return n;
}

/* The request fields the features read, from the row's cells (parsed as
 * their types, as source cells are); the others are null. */
static fdl_status parse_request(worker *w, size_t row)
{
    const batch *b = w->b;
    const fdl_program *p = b->program;
    for (int r = 0; r < p->nrequests; r++) {
        w->request[r] = fdl_null();
        if (!b->request_needed[r])
            continue;
        const char *text = w->cells[b->request_columns[r]];
        size_t len = w->cell_lengths[b->request_columns[r]];
        if (!text)
            continue;
        if (p->requests[r].type == FDL_STRING) {
            w->request[r] = fdl_string(text, len);
        } else if (len > 0 &&
                   fdl_parse_value(p->requests[r].type, text, len, &w->request[r], &w->err) != FDL_OK) {
            char prefix[300];
            snprintf(prefix, sizeof prefix, "column '%s' (request field): ", p->requests[r].name);
            fdl_error_prefix(&w->err, prefix);
            return locate(&w->err, b->spine_path, b->spine.lines[row]);
        }
    }
    return FDL_OK;
}

static void write_value(worker *w, FILE *out, fdl_value value)
{
    vector_entry *vector_cache = w->vector_cache;
    if (value.type != FDL_VECTOR || !value.as.v || value.dim <= 0) {
        fdl_csv_write_value(out, value);
        return;
    }
    if (!vector_cache)
        vector_cache = w->vector_cache = calloc((size_t)1 << w->vector_cache_bits, sizeof *vector_cache);
    if (!vector_cache) {
        fdl_csv_write_value(out, value);
        return;
    }
    uintptr_t address = (uintptr_t)value.as.v;
    /* Fibonacci hashing: table rows sit a fixed stride apart in memory. */
    vector_entry *e = &vector_cache[((uint64_t)address * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - w->vector_cache_bits)];
    if (e->address == value.as.v && e->dim == value.dim) {
        fwrite(e->text, 1, e->length, out);
        return;
    }
    char *text = NULL;
    size_t length = 0;
    FILE *cell = open_memstream(&text, &length);
    if (!cell) {
        fdl_csv_write_value(out, value);
        return;
    }
    fdl_csv_write_value(cell, value);
    if (fclose(cell) != 0) {
        free(text);
        fdl_csv_write_value(out, value);
        return;
    }
    free(e->text);
    *e = (vector_entry){value.as.v, value.dim, text, length};
    fwrite(text, 1, length, out);
}

/*
 * A value read, made to outlive the store's next call: strings and
 * vectors are copied into the worker's arena, but for vectors of an
 * embedding table, which stay where they are for the whole run.
 */
static fdl_value keep_value(worker *w, fdl_value value)
{
    if (value.type == FDL_STRING && value.as.s.len > 0) {
        char *copy = arena_alloc(w, value.as.s.len);
        if (!copy) {
            w->arena_failed = true;
            return fdl_null();
        }
        memcpy(copy, value.as.s.ptr, value.as.s.len);
        value.as.s.ptr = copy;
    } else if (value.type == FDL_VECTOR && value.dim > 0 && value.as.v &&
               !fdl_store_holds_table_vector(w->b->store, value.as.v)) {
        double *copy = arena_alloc(w, (size_t)value.dim * sizeof *copy);
        if (!copy) {
            w->arena_failed = true;
            return fdl_null();
        }
        memcpy(copy, value.as.v, (size_t)value.dim * sizeof *copy);
        value.as.v = copy;
    }
    return value;
}

/* Reads the vector of one spine row at time t into its row_values. */
static fdl_status read_row(worker *w, size_t row, fdl_time t)
{
    const batch *b = w->b;
    const fdl_program *p = b->program;
    fdl_value *kept = b->row_values + row * (size_t)b->nfeatures;
    row_table_cells(&b->spine, row, w->cells, w->cell_lengths);
    fdl_status status = parse_keys(w, row);
    if (status == FDL_OK)
        status = parse_request(w, row);
    if (status != FDL_OK)
        return status;
    if (b->set >= 0) {
        const fdl_set_desc *set = &p->sets[b->set];
        gather_keys(w, set->entities, set->nentities, w->keys);
        for (int i = 0; i < set->nrequests; i++)
            w->set_request[i] = w->request[set->requests[i]];
        status = fdl_read_set_request(w->store, b->set, w->keys, w->set_request, t, w->values,
                                      &w->err);
        if (status != FDL_OK)
            return locate(&w->err, b->spine_path, b->spine.lines[row]);
        for (int i = 0; i < b->nfeatures; i++)
            kept[i] = keep_value(w, w->values[i]);
    } else {
        /* Feature by feature, each kept at once: a value may point into
         * the store's scratch space, which the next read rewinds. */
        for (int i = 0; i < b->nfeatures; i++) {
            const fdl_feature_desc *feature = &p->features[b->features[i]];
            gather_keys(w, feature->entities, feature->nentities, w->keys);
            status = fdl_read_feature_request(w->store, b->features[i], w->keys, w->request, t,
                                              &w->values[i], &w->err);
            if (status != FDL_OK)
                return locate(&w->err, b->spine_path, b->spine.lines[row]);
            kept[i] = keep_value(w, w->values[i]);
        }
    }
    if (w->arena_failed)
        return fdl_error_set(&w->err, FDL_ERR_MEMORY, "out of memory");
    return FDL_OK;
}

/* Keeps a failure at replay position position when it is the earliest. */
static void note_failure(worker *w, fdl_status status, uint64_t position)
{
    if (position >= w->failed_at)
        return;
    w->failed_at = position;
    w->status = status;
    w->first_err = w->err;
}

/* Reads spine row k (in time order); a failure is noted. */
static fdl_status read_spine_row(worker *w, size_t k)
{
    const timed_row *spine_row = &w->b->spine_order[k];
    fdl_status status = read_row(w, spine_row->row, spine_row->time);
    if (status != FDL_OK)
        note_failure(w, status, 2 * (uint64_t)k + 1);
    fdl_progress_spine_done(w->b->progress, 1);
    return status;
}

/* Ingests event i of b->events; a failure is noted. */
static fdl_status ingest(worker *w, uint32_t i)
{
    const timed_row *event = &w->b->events[i];
    fdl_status status = ingest_event(w, event);
    if (status != FDL_OK)
        note_failure(w, status, event_position(w->b, event->time));
    return status;
}

/* In time order: the worker's rows, ingesting its events as time passes;
 * the first failure is the earliest. */
static void replay_in_time_order(worker *w)
{
    const batch *b = w->b;
    size_t next = 0;
    for (size_t i = 0; i < w->nrows; i++) {
        fdl_time t = b->spine_order[w->rows[i]].time;
        while (next < w->nevents && b->events[w->events[next]].time < t)
            if (ingest(w, w->events[next++]) != FDL_OK)
                return;
        if (read_spine_row(w, w->rows[i]) != FDL_OK)
            return;
    }
}

/* Key by key: each key's rows in time order, ingesting its events as time
 * passes, then the next key on a store emptied. A failure ends its key
 * only: a later key may hold an earlier failure. */
static void replay_by_key(worker *w)
{
    const batch *b = w->b;
    for (size_t i = 0; i < w->nkeys_owned; i++) {
        uint32_t id = w->keys_owned[i];
        const uint32_t *events = b->events_by_key + b->key_events[id];
        size_t nevents = b->key_events[id + 1] - b->key_events[id], next = 0;
        bool failed = false;
        for (uint32_t r = b->key_rows[id]; r < b->key_rows[id + 1] && !failed; r++) {
            fdl_time t = b->spine_order[b->rows_by_key[r]].time;
            while (!failed && next < nevents && b->events[events[next]].time < t)
                failed = ingest(w, events[next++]) != FDL_OK;
            if (!failed)
                read_spine_row(w, b->rows_by_key[r]);
        }
        fdl_store_forget_entities(w->store);
    }
}

static void replay_partition(worker *w)
{
    if (w->b->by_key)
        replay_by_key(w);
    else
        replay_in_time_order(w);
}

static void *run_replay(void *arg)
{
    replay_partition(arg);
    return NULL;
}

/* Runs fn on every worker, one thread each (the first on the calling
 * thread; a thread that cannot be had runs here, in turn). */
static bool run_workers(batch *b, void *(*fn)(void *))
{
    pthread_t *threads = calloc((size_t)b->nworkers, sizeof *threads);
    bool *started = calloc((size_t)b->nworkers, sizeof *started);
    if (!threads || !started) {
        free(threads);
        free(started);
        return false;
    }
    for (int i = 1; i < b->nworkers; i++)
        started[i] = pthread_create(&threads[i], NULL, fn, &b->workers[i]) == 0;
    for (int i = 1; i < b->nworkers; i++)
        if (!started[i])
            fn(&b->workers[i]);
    fn(&b->workers[0]);
    for (int i = 1; i < b->nworkers; i++)
        if (started[i])
            pthread_join(threads[i], NULL);
    free(threads);
    free(started);
    return true;
}

/* Runs the workers' replays and reports the failure the one-thread replay
 * would have met first. */
static fdl_status replay(batch *b)
{
    if (!run_workers(b, run_replay))
        return out_of_memory(b);
    const worker *first = NULL;
    for (int i = 0; i < b->nworkers; i++) {
        const worker *w = &b->workers[i];
        if (w->status != FDL_OK && (!first || w->failed_at < first->failed_at))
            first = w;
    }
    if (!first)
        return FDL_OK;
    *b->err = first->first_err;
    return first->status;
}

/* Writes a row of the table: its cells re-quoted as needed, null empty. */
static void write_cells(FILE *out, const row_table *table, size_t row, const char **cells,
                        size_t *lengths)
{
    row_table_cells(table, row, cells, lengths);
    for (int c = 0; c < table->ncolumns; c++) {
        if (c > 0)
            putc(',', out);
        fdl_csv_write_field(out, cells[c], lengths[c], false);
    }
}

/* Formats spine row r (file order) and its values: one line of output. */
static void format_row(worker *w, FILE *out, size_t r)
{
    const batch *b = w->b;
    write_cells(out, &b->spine, r, w->cells, w->cell_lengths);
    const fdl_value *values = b->row_values + r * (size_t)b->nfeatures;
    for (int i = 0; i < b->nfeatures; i++) {
        putc(',', out);
        write_value(w, out, values[i]);
    }
    putc('\n', out);
}

/* A worker's share of the writing: the text of rows [from, to). */
static void *format_rows(void *arg)
{
    worker *w = arg;
    free(w->text);
    w->text = NULL;
    w->text_size = 0;
    w->text_failed = false;
    if (w->from >= w->to)
        return NULL;
    FILE *out = open_memstream(&w->text, &w->text_size);
    if (!out) {
        w->text_failed = true;
        return NULL;
    }
    for (size_t r = w->from; r < w->to; r++)
        format_row(w, out, r);
    w->text_failed = fclose(out) != 0;
    return NULL;
}

/* Rows a worker formats at a time (their text is held until written):
 * about WRITE_CELLS cells, within [16, 2048] rows. */
enum { WRITE_CELLS = 1 << 18, WRITE_ROWS_MIN = 16, WRITE_ROWS_MAX = 2048 };

static size_t write_chunk(const batch *b)
{
    size_t rows = WRITE_CELLS / ((size_t)b->nfeatures + 1);
    return rows < WRITE_ROWS_MIN ? WRITE_ROWS_MIN : rows > WRITE_ROWS_MAX ? WRITE_ROWS_MAX : rows;
}

/*
 * Writes the output in spine order: the workers format consecutive chunks
 * of rows in parallel (floats are most of the work), and the chunks are
 * written in order, so the bytes are those of one thread.
 */
static fdl_status write_output(batch *b)
{
    fdl_output output;
    fdl_status status = fdl_output_open(&output, b->options->out_path, b->err);
    if (status != FDL_OK)
        return status;
    FILE *out = output.file;
    /* Standard output keeps its own buffer: it was used before. */
    char *buffer = output.is_stdout ? NULL : malloc(1 << 20);
    if (buffer)
        setvbuf(out, buffer, _IOFBF, 1 << 20);

    write_cells(out, &b->spine_header, 0, b->cells, b->cell_lengths);
    for (int i = 0; i < b->nfeatures; i++) {
        const char *name = b->program->features[b->features[i]].name;
        putc(',', out);
        fdl_csv_write_field(out, name, strlen(name), false);
    }
    putc('\n', out);
    size_t nrows = b->spine.nrows, chunk = write_chunk(b), step = chunk * (size_t)b->nworkers;
    for (size_t start = 0; start < nrows && status == FDL_OK; start += step) {
        for (int i = 0; i < b->nworkers; i++) {
            worker *w = &b->workers[i];
            size_t from = start + (size_t)i * chunk;
            w->from = from < nrows ? from : nrows;
            w->to = nrows - w->from < chunk ? nrows : w->from + chunk;
        }
        if (!run_workers(b, format_rows))
            status = out_of_memory(b);
        for (int i = 0; i < b->nworkers && status == FDL_OK; i++) {
            if (b->workers[i].text_failed)
                status = out_of_memory(b);
            else if (b->workers[i].text_size > 0)
                fwrite(b->workers[i].text, 1, b->workers[i].text_size, out);
        }
    }
    if (status == FDL_OK)
        status = fdl_output_commit(&output, b->err);
    else
        fdl_output_abort(&output);
    free(buffer);
    return status;
}

/*
 * After the run (or the row that stopped it): the report, the summary and
 * the verdicts. A broken SLA or fatal statistical expectation turns a
 * successful run into FDL_ERR_SLA, its output written.
 */
static fdl_status finish_checks(batch *b, fdl_status status)
{
    const fdl_batch_options *o = b->options;
    const fdl_program *p = b->program;
    if (o->report_path) {
        const char **files = calloc((size_t)p->nsources + 1, sizeof *files);
        for (int s = 0; files && s < p->nsources; s++)
            files[s] = b->source_paths ? b->source_paths[s] : NULL;
        fdl_error report_err;
        if (fdl_store_write_report(b->store, o->report_path, files, true, &report_err) != FDL_OK &&
            status == FDL_OK)
            status = fdl_error_set(b->err, report_err.status, "%s", report_err.message);
        free(files);
    }
    if (o->summary)
        fdl_store_write_summary(b->store, o->summary, true);
    if (status != FDL_OK)
        return status;
    int n = fdl_store_evaluate(b->store, true, NULL, 0);
    fdl_verdict *verdicts = calloc((size_t)n + 1, sizeof *verdicts);
    if (!verdicts)
        return out_of_memory(b);
    fdl_store_evaluate(b->store, true, verdicts, n);
    for (int i = 0; i < n && status == FDL_OK; i++) {
        const fdl_verdict *v = &verdicts[i];
        if (!v->fatal)
            continue;
        const fdl_source_desc *src = &p->sources[v->source];
        char value[40], limit[40];
        fdl_format_float(v->value, value, sizeof value);
        fdl_format_float(v->limit, limit, sizeof limit);
        status = fdl_error_set(b->err, FDL_ERR_SLA, "source %s%s%s: %s is %s, beyond its limit %s",
                               src->name, v->field >= 0 ? ", field " : "",
                               v->field >= 0 ? src->fields[v->field].name : "", v->what, value, limit);
    }
    free(verdicts);
    return status;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Seconds since *at, which moves to now. */
static double lap(struct timespec *at)
{
    double seconds = seconds_since(at);
    clock_gettime(CLOCK_MONOTONIC, at);
    return seconds;
}

/* Reads and checks every source named (batch and materialize alike): the
 * processing time set, the quarantine opened, each source's files in the
 * order read_order gives. */
static fdl_status read_sources(batch *b)
{
    const fdl_program *program = b->program;
    const fdl_batch_options *options = b->options;
    b->sources = calloc((size_t)program->nsources + 1, sizeof *b->sources);
    b->event_start = calloc((size_t)program->nsources + 1, sizeof *b->event_start);
    b->event_end = calloc((size_t)program->nsources + 1, sizeof *b->event_end);
    if (!b->sources || !b->event_start || !b->event_end)
        return out_of_memory(b);
    fdl_store_set_processing_time(b->store, options->now ? options->now : fdl_now());
    fdl_status status = FDL_OK;
    if (options->quarantine_path)
        status = fdl_output_open(&b->quarantine, options->quarantine_path, b->err);
    if (status != FDL_OK)
        return status;
    int *order = read_order(b);
    if (!order)
        return out_of_memory(b);
    for (int i = 0; i < b->nsources_named && status == FDL_OK; i++)
        status = read_source(b, order[i]);
    free(order);
    return status;
}

/* A run's error and stats: the caller's, or the local ones; both cleared. */
static void run_outputs(fdl_error **err, fdl_error *local_err, fdl_batch_stats **stats,
                        fdl_batch_stats *local_stats)
{
    if (!*err)
        *err = local_err;
    if (!*stats)
        *stats = local_stats;
    memset(*stats, 0, sizeof **stats);
    fdl_error_set(*err, FDL_OK, "%s", "");
}

fdl_status fdl_batch_run(const fdl_program *program, const fdl_batch_options *options,
                         fdl_batch_stats *stats, fdl_error *err)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    fdl_error local_err;
    fdl_batch_stats local_stats;
    run_outputs(&err, &local_err, &stats, &local_stats);
    if (!program || !options)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "no program or no options");

    batch b = {0};
    b.program = program;
    b.options = options;
    b.err = err;
    b.spine_path = options->spine_path;
    b.set = -1;
    b.progress = fdl_progress_start(options);
    fdl_status status = check_options(&b);
    struct timespec phase = start;
    loader tables = {0};
    if (status == FDL_OK)
        status = open_store(&b);
    if (status == FDL_OK)
        status = start_loader(&b, &tables);
    stats->load_seconds = lap(&phase);
    fdl_progress_phase(b.progress, FDL_PHASE_SPINE);
    if (status == FDL_OK)
        status = read_spine(&b);
    fdl_progress_spine_rows(b.progress, b.spine.nrows);
    fdl_progress_phase(b.progress, FDL_PHASE_READ);
    if (status == FDL_OK)
        status = read_sources(&b);
    stats->read_seconds = lap(&phase);
    if (tables.started) {
        status = join_loader(&b, &tables, status);
        /* A table that failed fails the run as before reading: no quarantine. */
        if (tables.status != FDL_OK && b.quarantine.file)
            fdl_output_abort(&b.quarantine);
        stats->load_seconds = tables.seconds;   /* (while reading: part of read_seconds) */
        lap(&phase);
    }
    fdl_progress_phase(b.progress, FDL_PHASE_SORT);
    /* In option order: equal times keep it. */
    if (status == FDL_OK && (!events_in_option_order(&b) || !sort_by_time(b.events, b.nevents) ||
                             !sort_by_time(b.spine_order, b.spine.nrows)))
        status = out_of_memory(&b);
    if (status == FDL_OK)
        status = start_workers(&b);
    stats->sort_seconds = lap(&phase);
    fdl_progress_phase(b.progress, FDL_PHASE_REPLAY);
    if (status == FDL_OK)
        status = replay(&b);
    stats->replay_seconds = lap(&phase);
    fdl_progress_phase(b.progress, FDL_PHASE_WRITE);
    if (status == FDL_OK)
        status = write_output(&b);
    stats->write_seconds = lap(&phase);
    stats->threads = b.nworkers;
    /* The quarantine is kept whenever it was written whole, a run its
     * rows stopped included: it says why. */
    if (b.quarantine.file) {
        fdl_error quarantine_err;
        if (fdl_output_commit(&b.quarantine, &quarantine_err) != FDL_OK && status == FDL_OK)
            status = fdl_error_set(err, quarantine_err.status, "%s", quarantine_err.message);
    }
    /* The last report before the summary, which goes to the same terminal. */
    fdl_progress_stop(b.progress);
    b.progress = NULL;
    if (b.store)
        status = finish_checks(&b, status);
    if (status == FDL_OK || status == FDL_ERR_SLA) {
        /* Accepted rows are the events; a hand-written program without
         * checks drops none. */
        stats->accepted = b.nevents;
        for (int s = 0; s < program->nsources; s++) {
            fdl_source_counts counts;
            fdl_store_source_counts(b.store, s, &counts);
            stats->dropped += counts.dropped;
        }
        stats->events = stats->accepted + stats->dropped;
        stats->spine_rows = b.spine.nrows;
    }
    batch_free(&b);
    stats->seconds = seconds_since(&start);
    return status;
}

/* ------------------------------------------------------------ materialize */

/* The events, in time order, into the one worker's store (a serving
 * store: eager eviction, as fdl_ingest_row's). */
static fdl_status materialize_replay(batch *b)
{
    b->nworkers = 1;
    b->workers = calloc(1, sizeof *b->workers);
    if (!b->workers)
        return out_of_memory(b);
    worker *w = &b->workers[0];
    fdl_status status = worker_init(b, w, 0);
    if (status != FDL_OK)
        return status;
    fdl_store_set_eager_eviction(w->store, true);
    for (size_t i = 0; i < b->nevents; i++) {
        fdl_scratch_reset(w->store);
        status = ingest_event(w, &b->events[i]);
        if (status != FDL_OK) {
            *b->err = w->err;
            return status;
        }
    }
    return FDL_OK;
}

/* The worker's store takes the main store's expectations (the rows were
 * checked there) and is saved. */
static fdl_status materialize_save(batch *b, uint64_t tag)
{
    fdl_store *store = b->workers[0].store;
    fdl_checks *checked = fdl_store_swap_checks(b->store, NULL);
    fdl_store_swap_checks(b->store, fdl_store_swap_checks(store, checked));
    return fdl_store_save(store, b->snapshot_path, tag, b->err);
}

fdl_status fdl_materialize(const fdl_program *program, const fdl_materialize_options *options,
                           fdl_batch_stats *stats, fdl_error *err)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    fdl_error local_err;
    fdl_batch_stats local_stats;
    run_outputs(&err, &local_err, &stats, &local_stats);
    if (!program || !options || !options->snapshot_path)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "no program, options or snapshot path");
    fdl_batch_options o = {
        .sources = options->sources, .nsources = options->nsources,
        .embeddings = options->embeddings, .nembeddings = options->nembeddings,
        .quarantine_path = options->quarantine_path, .now = options->now,
        .summary = options->summary,
    };
    batch b = {0};
    b.program = program;
    b.options = &o;
    b.err = err;
    b.set = -1;
    b.materialize = true;
    b.snapshot_path = options->snapshot_path;
    b.has_until = options->has_until;
    b.until = options->until;
    struct timespec phase = start;
    loader tables = {0};
    fdl_status status = check_options(&b);
    if (status == FDL_OK)
        status = open_store(&b);
    if (status == FDL_OK)
        status = start_loader(&b, &tables);
    if (status == FDL_OK)
        status = read_sources(&b);
    if (tables.started) {
        status = join_loader(&b, &tables, status);
        if (tables.status != FDL_OK && b.quarantine.file)
            fdl_output_abort(&b.quarantine);
        stats->load_seconds = tables.seconds;
    }
    stats->read_seconds = lap(&phase);
    if (status == FDL_OK && (!events_in_option_order(&b) || !sort_by_time(b.events, b.nevents)))
        status = out_of_memory(&b);
    stats->sort_seconds = lap(&phase);
    if (status == FDL_OK)
        status = materialize_replay(&b);
    stats->replay_seconds = lap(&phase);
    if (b.quarantine.file) {
        fdl_error quarantine_err;
        if (fdl_output_commit(&b.quarantine, &quarantine_err) != FDL_OK && status == FDL_OK)
            status = fdl_error_set(err, quarantine_err.status, "%s", quarantine_err.message);
    }
    if (b.store)
        status = finish_checks(&b, status);
    if (status == FDL_OK || status == FDL_ERR_SLA) {
        stats->accepted = b.nevents;
        for (int s = 0; s < program->nsources; s++) {
            fdl_source_counts counts;
            fdl_store_source_counts(b.store, s, &counts);
            stats->dropped += counts.dropped;
        }
        stats->events = stats->accepted + stats->dropped;
    }
    /* Saved after a broken SLA too, as a batch run writes its output. */
    if ((status == FDL_OK || status == FDL_ERR_SLA) && b.workers) {
        fdl_status saved = materialize_save(&b, options->tag);
        if (saved != FDL_OK)
            status = saved;
    }
    stats->write_seconds = lap(&phase);
    stats->threads = 1;
    batch_free(&b);
    stats->seconds = seconds_since(&start);
    return status;
}
