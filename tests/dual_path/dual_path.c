/*
 * dual_path.c - proof that the batch path and the serving API give
 * bit-identical vectors.
 *
 * Linked with the C that `fdlc compile --name dual_path_case` generated for
 * some definitions, it takes the inputs a `fdlc batch` run was given (source
 * CSVs in --source order, embedding overrides, spine, set) and that run's
 * output, and recomputes every spine row's vector through the public
 * serving API only (fdl_store_open, fdl_store_load_embedding,
 * fdl_ingest_row, fdl_read_set / fdl_read_feature) in four arrival
 * patterns:
 *
 *   streaming  events in batch order (time, ties by file then --source
 *              order) interleaved with reads, each read at t as soon as
 *              every event before t is in: a live service; evicting store
 *              with lateness 0 (every ingest evicts all it may);
 *   jittered   the same, but events arrive shuffled within blocks of 64, so
 *              events later than a read arrive before it and inserts land
 *              inside windows; evicting store with a lateness of the
 *              longest time span of a block (what a read can lag);
 *   shuffled   every event first, in a random order, then every read in a
 *              random order; store keeping history;
 *   reversed   every event first in reverse time order, then the reads in
 *              reverse time order (windows move backwards); keeping history;
 *   snapshots  streaming and jittered again, but every eighth of the events
 *   snapjit    the store is saved (fdl_store_save), closed, and a new store
 *              restored from the file (fdl_store_restore) goes on: a
 *              restored store continues bit for bit (docs/snapshots.md).
 *
 * Ties: the runtime orders events of equal time by arrival (fdl_group_push:
 * "equal times keep arrival order"), and first/last can see that order, so
 * no arrival pattern may reorder events of equal time among themselves. The
 * documented contract (docs/language.md, Serving) is exactly that tied
 * events be fed in batch order; every pattern here keeps it, while events of
 * distinct times arrive in any order. Hence every value is defined and
 * compared in every mode.
 *
 * Each value is compared twice: the batch cell parsed as the feature's type
 * with fdl_parse_value against the serving value, bit for bit (memcmp on
 * doubles and on every vector element, exact ints, string bytes); and the
 * serving value formatted as batch formats it (fdl_csv_write_value) against
 * the batch cell re-encoded, byte for byte. Finally the whole output file
 * is rebuilt from the serving values and compared byte for byte with the
 * batch file. fdl_store_get_stats must count every row fed as ingested.
 *
 * Usage:
 *   dual_path --source NAME=PATH... [--embedding NAME=PATH]... --spine PATH
 *             [--spine-time COL] [--set NAME] --batch PATH
 *             [--manifest DIR/NAME.json] [--seed N]
 * Exit status: 0 all identical, 1 a difference, 2 bad usage or input.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"           /* the runtime's own CSV reader and writer */
#include "dual_path_case.h"     /* generated: dual_path_case_program() */

/* Differences printed per mode; the rest are counted. */
#define MAX_PRINTED_DIFFERENCES 20
/* Events per block in the jittered mode. */
#define JITTER_BLOCK 64

/* ------------------------------------------------------------- failures */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("dual_path: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void die_on(fdl_status status, const fdl_error *err, const char *what)
{
    if (status != FDL_OK)
        die("%s: %s", what, err->message);
}

/* ------------------------------------------------------------ CSV tables */

/* A CSV file read whole: header and rows of cells, each cell a NUL-terminated
 * copy with its length and whether it was quoted ("" is not null). */
typedef struct csv_table {
    const char *path;
    int ncolumns;
    size_t nrows;               /* data rows, header excluded */
    char ***cells;              /* [nrows + 1][ncolumns]; row 0 is the header */
    size_t **lengths;
    bool **quoted;
    long *lines;                /* file line where each row begins */
} csv_table;

static void csv_table_read(const char *path, csv_table *table)
{
    fdl_error err;
    fdl_csv_reader *reader = fdl_csv_open(path, &err);
    if (!reader)
        die("%s", err.message);
    memset(table, 0, sizeof *table);
    table->path = path;
    size_t capacity = 0;
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields, result;
    size_t row = 0;
    while ((result = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, &err)) == 1) {
        if (row == 0)
            table->ncolumns = nfields;
        else if (nfields != table->ncolumns)
            die("%s:%ld: %d cells, the header has %d", path, fdl_csv_line(reader), nfields,
                table->ncolumns);
        if (row == capacity) {
            capacity = capacity ? 2 * capacity : 1024;
            table->cells = realloc(table->cells, capacity * sizeof *table->cells);
            table->lengths = realloc(table->lengths, capacity * sizeof *table->lengths);
            table->quoted = realloc(table->quoted, capacity * sizeof *table->quoted);
            table->lines = realloc(table->lines, capacity * sizeof *table->lines);
            if (!table->cells || !table->lengths || !table->quoted || !table->lines)
                die("out of memory");
        }
        table->cells[row] = xcalloc((size_t)nfields, sizeof(char *));
        table->lengths[row] = xcalloc((size_t)nfields, sizeof(size_t));
        table->quoted[row] = xcalloc((size_t)nfields, sizeof(bool));
        table->lines[row] = fdl_csv_line(reader);
        for (int c = 0; c < nfields; c++) {
            char *copy = xcalloc(lengths[c] + 1, 1);
            memcpy(copy, fields[c], lengths[c]);
            table->cells[row][c] = copy;
            table->lengths[row][c] = lengths[c];
            table->quoted[row][c] = quoted[c];
        }
        row++;
    }
    if (result < 0)
        die("%s", err.message);
    fdl_csv_close(reader);
    if (row == 0)
        die("%s: empty file, expected a header", path);
    table->nrows = row - 1;
}

static void csv_table_free(csv_table *table)
{
    for (size_t r = 0; r <= table->nrows && table->cells; r++) {
        for (int c = 0; c < table->ncolumns; c++)
            free(table->cells[r][c]);
        free(table->cells[r]);
        free(table->lengths[r]);
        free(table->quoted[r]);
    }
    free(table->cells);
    free(table->lengths);
    free(table->quoted);
    free(table->lines);
}

/* Header column named name, or -1. */
static int csv_column(const csv_table *table, const char *name)
{
    for (int c = 0; c < table->ncolumns; c++)
        if (strcmp(table->cells[0][c], name) == 0 && table->lengths[0][c] == strlen(name))
            return c;
    return -1;
}

/* A cell as batch hands it on: NULL for null (unquoted and empty). */
static const char *cell_or_null(const csv_table *table, size_t row, int column)
{
    if (table->lengths[row][column] == 0 && !table->quoted[row][column])
        return NULL;
    return table->cells[row][column];
}

/* --------------------------------------------------------------- inputs */

typedef struct name_path {
    const char *name;
    const char *path;
} name_path;

/* An event: one data row of a source, its cells in the source's field
 * order. sequence is its place in the input (sources in --source order,
 * rows in file order), which breaks ties in time. */
typedef struct event {
    fdl_time time;
    int source;
    size_t sequence;
    const char **fields;
    size_t *lengths;
} event;

/*
 * Request-time fields (runtime ABI 2 on): values a read takes besides keys
 * and time, which batch takes from spine columns of the same name. Built
 * against an older runtime, this test has none to give.
 */
#if FDL_ABI_VERSION >= 2
#define HAS_REQUEST_FIELDS 1
#else
#define HAS_REQUEST_FIELDS 0
#endif

typedef struct spine_row {
    fdl_time time;
    size_t row;                 /* data row of the spine file (0-based) */
    fdl_value *keys_by_entity;
    fdl_value *request;         /* per program request field (null unless read) */
} spine_row;

typedef struct dual_path {
    const fdl_program *program;
    name_path *sources;             int nsources;
    name_path *embeddings;          int nembeddings;
    const char *spine_path, *spine_time, *set_name, *batch_path, *manifest_path;
    uint64_t seed;

    csv_table *source_tables;
    event *events;                  /* in batch order */
    size_t nevents;

    csv_table spine;
    spine_row *spine_rows;          /* in time order, stable */
    int set;                        /* -1: features one by one */
    int *features;
    int nfeatures;
    int *key_start;                 /* per entity: its first key column in keys_by_entity */
    int nkey_parts;                 /* key columns of all entities */

    csv_table batch;                /* the output of fdlc batch */
    char *batch_bytes;
    size_t batch_size;
} dual_path;

static void parse_name_path(const char *arg, const char *option, name_path *out)
{
    const char *equals = strchr(arg, '=');
    if (!equals || equals == arg || !equals[1])
        die("%s takes NAME=PATH, not '%s'", option, arg);
    size_t len = (size_t)(equals - arg);
    char *name = xcalloc(len + 1, 1);
    memcpy(name, arg, len);
    out->name = name;
    out->path = equals + 1;
}

static void parse_arguments(dual_path *d, int argc, char **argv)
{
    d->sources = xcalloc((size_t)argc, sizeof *d->sources);
    d->embeddings = xcalloc((size_t)argc, sizeof *d->embeddings);
    d->seed = 20240611;
    for (int i = 1; i < argc; i++) {
        const char *option = argv[i];
        if (i + 1 >= argc)
            die("%s needs a value", option);
        const char *value = argv[++i];
        if (strcmp(option, "--source") == 0)
            parse_name_path(value, option, &d->sources[d->nsources++]);
        else if (strcmp(option, "--embedding") == 0)
            parse_name_path(value, option, &d->embeddings[d->nembeddings++]);
        else if (strcmp(option, "--spine") == 0)
            d->spine_path = value;
        else if (strcmp(option, "--spine-time") == 0)
            d->spine_time = value;
        else if (strcmp(option, "--set") == 0)
            d->set_name = value;
        else if (strcmp(option, "--batch") == 0)
            d->batch_path = value;
        else if (strcmp(option, "--manifest") == 0)
            d->manifest_path = value;
        else if (strcmp(option, "--seed") == 0)
            d->seed = strtoull(value, NULL, 10);
        else
            die("unknown option %s", option);
    }
    if (!d->spine_path || !d->batch_path || d->nsources == 0)
        die("usage: dual_path --source NAME=PATH... [--embedding NAME=PATH]... --spine PATH "
            "[--spine-time COL] [--set NAME] --batch PATH [--manifest FILE] [--seed N]");
    if (d->nsources != d->program->nsources)
        die("%d --source options for a program of %d sources", d->nsources,
            d->program->nsources);
}

/* The manifest fdlc build wrote beside the library batch ran must carry the
 * fingerprint this executable was compiled with: same definitions. */
static void check_manifest(const dual_path *d)
{
    if (!d->manifest_path)
        return;
    FILE *file = fopen(d->manifest_path, "rb");
    if (!file)
        die("%s: cannot open", d->manifest_path);
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[n] = '\0';
    char expected[256];
    snprintf(expected, sizeof expected, "\"fingerprint\": \"%s\"", d->program->fingerprint);
    if (!strstr(text, expected))
        die("%s was built from other definitions than this executable (fingerprint %s)",
            d->manifest_path, d->program->fingerprint);
}

static int compare_events(const void *a, const void *b)
{
    const event *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

/* Reads every source, in --source order, into events sorted as batch sorts
 * them: by time, ties by input order. */
static void read_sources(dual_path *d)
{
    const fdl_program *p = d->program;
    d->source_tables = xcalloc((size_t)d->nsources, sizeof *d->source_tables);
    size_t total = 0;
    for (int i = 0; i < d->nsources; i++) {
        csv_table_read(d->sources[i].path, &d->source_tables[i]);
        total += d->source_tables[i].nrows;
    }
    d->events = xcalloc(total, sizeof *d->events);
    for (int i = 0; i < d->nsources; i++) {
        int s = fdl_program_source(p, d->sources[i].name);
        if (s < 0)
            die("unknown source '%s'", d->sources[i].name);
        const fdl_source_desc *source = &p->sources[s];
        const csv_table *table = &d->source_tables[i];
        int *columns = xcalloc((size_t)source->nfields, sizeof *columns);
        for (int f = 0; f < source->nfields; f++) {
            columns[f] = csv_column(table, source->fields[f].name);
            if (columns[f] < 0)
                die("%s: no column '%s'", table->path, source->fields[f].name);
        }
        for (size_t r = 1; r <= table->nrows; r++) {
            event *e = &d->events[d->nevents];
            e->source = s;
            e->sequence = d->nevents++;
            e->fields = xcalloc((size_t)source->nfields, sizeof *e->fields);
            e->lengths = xcalloc((size_t)source->nfields, sizeof *e->lengths);
            for (int f = 0; f < source->nfields; f++) {
                e->fields[f] = cell_or_null(table, r, columns[f]);
                e->lengths[f] = table->lengths[r][columns[f]];
            }
            int tc = source->time_field;
            fdl_error err;
            if (!e->fields[tc] ||
                fdl_parse_time(e->fields[tc], e->lengths[tc], &e->time, &err) != FDL_OK)
                die("%s:%ld: no valid time", table->path, table->lines[r]);
        }
        free(columns);
    }
    qsort(d->events, d->nevents, sizeof *d->events, compare_events);
}

static int compare_spine_rows(const void *a, const void *b)
{
    const spine_row *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Parses the request fields the written features read from the spine
 * row's columns of the same names, as batch does (an empty cell is null but
 * for strings, where only an unquoted one is); the others stay null. */
static void read_request_fields(const dual_path *d, spine_row *row, size_t table_row)
{
#if HAS_REQUEST_FIELDS
    const fdl_program *p = d->program;
    const csv_table *spine = &d->spine;
    row->request = xcalloc((size_t)p->nrequests + 1, sizeof *row->request);
    for (int r = 0; r < p->nrequests; r++)
        row->request[r] = fdl_null();
    for (int i = 0; i < d->nfeatures; i++) {
        const fdl_feature_desc *feature = &p->features[d->features[i]];
        for (int k = 0; k < feature->nrequests; k++) {
            int r = feature->requests[k];
            int column = csv_column(spine, p->requests[r].name);
            if (column < 0)
                die("%s: no column '%s' (request field of feature %s)", spine->path,
                    p->requests[r].name, feature->name);
            const char *text = cell_or_null(spine, table_row, column);
            size_t len = spine->lengths[table_row][column];
            fdl_error err;
            if (!text)
                continue;
            if (p->requests[r].type == FDL_STRING)
                row->request[r] = fdl_string(text, len);
            else if (len > 0 && fdl_parse_value(p->requests[r].type, text, len,
                                                &row->request[r], &err) != FDL_OK)
                die("%s:%ld: request field %s: %s", spine->path, spine->lines[table_row],
                    p->requests[r].name, err.message);
        }
    }
#else
    (void)d;
    (void)table_row;
    row->request = NULL;
#endif
}

/* Reads the spine, its keys parsed as batch parses them, and decides the
 * features as batch does (the set's, or every feature whose keys the spine
 * has). */
static void read_spine(dual_path *d)
{
    const fdl_program *p = d->program;
    csv_table *spine = &d->spine;
    csv_table_read(d->spine_path, spine);
    const char *time_name = d->spine_time ? d->spine_time : "timestamp";
    int time_column = csv_column(spine, time_name);
    if (time_column < 0)
        die("%s: no time column '%s'", spine->path, time_name);
    /* One column per key column of every entity (a composite key has several);
     * an entity is keyed when all of its columns are there. */
    int *entity_columns = xcalloc((size_t)p->nentities, sizeof *entity_columns);
    d->key_start = xcalloc((size_t)p->nentities + 1, sizeof *d->key_start);
    for (int e = 0; e < p->nentities; e++) {
        d->key_start[e] = d->nkey_parts;
        d->nkey_parts += p->entities[e].nkeys;
    }
    int *key_columns = xcalloc((size_t)d->nkey_parts + 1, sizeof *key_columns);
    for (int e = 0; e < p->nentities; e++)
        for (int k = 0; k < p->entities[e].nkeys; k++) {
            key_columns[d->key_start[e] + k] = csv_column(spine, p->entities[e].join_keys[k]);
            if (key_columns[d->key_start[e] + k] < 0)
                entity_columns[e] = -1;
        }

    d->features = xcalloc((size_t)p->nfeatures, sizeof *d->features);
    d->set = -1;
    if (d->set_name) {
        d->set = fdl_program_set(p, d->set_name);
        if (d->set < 0)
            die("unknown feature set '%s'", d->set_name);
        const fdl_set_desc *set = &p->sets[d->set];
        for (int i = 0; i < set->nfeatures; i++)
            d->features[d->nfeatures++] = set->features[i];
    } else {
        for (int f = 0; f < p->nfeatures; f++) {
            bool keyed = true;
            for (int i = 0; i < p->features[f].nentities; i++)
                keyed &= entity_columns[p->features[f].entities[i]] >= 0;
            if (keyed)
                d->features[d->nfeatures++] = f;
        }
    }

    d->spine_rows = xcalloc(spine->nrows, sizeof *d->spine_rows);
    for (size_t r = 0; r < spine->nrows; r++) {
        spine_row *row = &d->spine_rows[r];
        size_t table_row = r + 1;
        row->row = r;
        const char *time_text = cell_or_null(spine, table_row, time_column);
        fdl_error err;
        if (!time_text || fdl_parse_time(time_text, spine->lengths[table_row][time_column],
                                         &row->time, &err) != FDL_OK)
            die("%s:%ld: no valid time", spine->path, spine->lines[table_row]);
        row->keys_by_entity = xcalloc((size_t)d->nkey_parts + 1, sizeof *row->keys_by_entity);
        for (int e = 0; e < p->nentities; e++) {
            for (int k = 0; k < p->entities[e].nkeys; k++) {
                int part = d->key_start[e] + k;
                row->keys_by_entity[part] = fdl_null();
                if (key_columns[part] < 0)
                    continue;
                const char *text = cell_or_null(spine, table_row, key_columns[part]);
                size_t len = spine->lengths[table_row][key_columns[part]];
                if (!text)
                    continue;       /* a null key */
                fdl_type type = p->entities[e].key_types[k];
                if (type == FDL_STRING)
                    row->keys_by_entity[part] = fdl_string(text, len);
                else if (fdl_parse_value(type, text, len, &row->keys_by_entity[part], &err) != FDL_OK)
                    die("%s:%ld: key: %s", spine->path, spine->lines[table_row], err.message);
            }
        }
        read_request_fields(d, row, table_row);
    }
    qsort(d->spine_rows, spine->nrows, sizeof *d->spine_rows, compare_spine_rows);
    free(entity_columns);
    free(key_columns);
}

/* Reads the batch output: its header must be the spine's then the features'. */
static void read_batch_output(dual_path *d)
{
    csv_table *batch = &d->batch;
    csv_table_read(d->batch_path, batch);
    int spine_columns = d->spine.ncolumns;
    if (batch->ncolumns != spine_columns + d->nfeatures)
        die("%s: %d columns, expected %d spine columns and %d features", batch->path,
            batch->ncolumns, spine_columns, d->nfeatures);
    for (int i = 0; i < d->nfeatures; i++) {
        const char *name = d->program->features[d->features[i]].name;
        if (strcmp(batch->cells[0][spine_columns + i], name) != 0)
            die("%s: column %d is '%s', expected feature '%s'", batch->path,
                spine_columns + i + 1, batch->cells[0][spine_columns + i], name);
    }
    if (batch->nrows != d->spine.nrows)
        die("%s: %zu rows, the spine has %zu", batch->path, batch->nrows, d->spine.nrows);

    FILE *file = fopen(d->batch_path, "rb");
    if (!file)
        die("%s: cannot open", d->batch_path);
    FILE *bytes = open_memstream(&d->batch_bytes, &d->batch_size);
    if (!bytes)
        die("out of memory");
    char buffer[65536];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, file)) > 0)
        fwrite(buffer, 1, n, bytes);
    fclose(file);
    fclose(bytes);
}

/* ------------------------------------------------------------ comparing */

typedef struct comparison {
    const char *mode;
    uint64_t rows, values, vector_elements, differences;
    char **row_text;            /* per spine row: its feature cells as batch writes them */
} comparison;

/* One value as fdl_batch_run writes it into its cell. */
static char *format_value(fdl_value value)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        die("out of memory");
    fdl_csv_write_value(out, value);
    fclose(out);
    return text;
}

/* The batch cell written back as a CSV cell (vectors are always quoted). */
static char *reencode_cell(const char *text, size_t len, bool null, bool vector)
{
    char *out_text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&out_text, &size);
    if (!out)
        die("out of memory");
    fdl_csv_write_field(out, null ? NULL : text, len, vector);
    fclose(out);
    return out_text;
}

/* Parses a vector cell "[x,y,...]" element by element with fdl_parse_value.
 * Returns the number of elements, or -1 if malformed. */
static int parse_vector(const char *text, size_t len, double *out, int capacity)
{
    if (len < 2 || text[0] != '[' || text[len - 1] != ']')
        return -1;
    if (len == 2)
        return 0;
    int n = 0;
    size_t start = 1;
    for (size_t i = 1; i < len; i++) {
        if (text[i] != ',' && i != len - 1)
            continue;
        fdl_value element;
        fdl_error err;
        if (n >= capacity || i == start ||
            fdl_parse_value(FDL_FLOAT64, text + start, i - start, &element, &err) != FDL_OK ||
            element.type != FDL_FLOAT64)
            return -1;
        out[n++] = element.as.f;
        start = i + 1;
    }
    return n;
}

/*
 * Is the serving value bit for bit the value the batch cell holds? Parses
 * the cell as the feature's type; sets why on a difference.
 */
static bool same_value(const fdl_feature_desc *feature, fdl_value serving, const char *text,
                       size_t len, bool null, uint64_t *vector_elements, const char **why)
{
    *why = "";
    if (serving.type != FDL_NULL && serving.type != feature->type) {
        *why = "serving value has another type than the feature";
        return false;
    }
    if (null || serving.type == FDL_NULL) {
        *why = "one side is null";
        return null && serving.type == FDL_NULL;
    }
    if (feature->type == FDL_VECTOR) {
        int capacity = serving.dim > 0 ? serving.dim + 1 : 1;
        double *elements = xcalloc((size_t)capacity, sizeof *elements);
        int n = parse_vector(text, len, elements, capacity);
        /* dimension 0: a vector whose length varies (first_k, last_k) */
        bool same = n == serving.dim && (feature->dimension == 0 || serving.dim == feature->dimension);
        for (int i = 0; same && i < n; i++)
            same = memcmp(&elements[i], &serving.as.v[i], sizeof(double)) == 0;
        *vector_elements += n > 0 ? (uint64_t)n : 0;
        free(elements);
        *why = "vector elements differ";
        return same;
    }
    fdl_value parsed;
    fdl_error err;
    if (feature->type == FDL_STRING && len == 0) {
        /* A quoted empty cell: fdl_parse_value reads empty text as null, the
         * CSV quotes tell the empty string apart. */
        parsed = fdl_string(text, 0);
    } else if (fdl_parse_value(feature->type, text, len, &parsed, &err) != FDL_OK ||
               parsed.type != feature->type) {
        *why = "batch cell does not parse as the feature's type";
        return false;
    }
    *why = "values differ";
    switch (feature->type) {
    case FDL_INT64: return parsed.as.i == serving.as.i;
    case FDL_FLOAT64: return memcmp(&parsed.as.f, &serving.as.f, sizeof(double)) == 0;
    case FDL_BOOL: return parsed.as.b == serving.as.b;
    case FDL_TIMESTAMP: return parsed.as.t == serving.as.t;
    case FDL_STRING:
        return parsed.as.s.len == serving.as.s.len &&
               (len == 0 || memcmp(parsed.as.s.ptr, serving.as.s.ptr, len) == 0);
    default:
        *why = "unexpected feature type";
        return false;
    }
}

/* Compares feature i of a spine row's serving vector with its batch cell,
 * and appends the cell as batch would write it ("," then the value) to
 * row_text. Called right after the value is read: strings and vectors point
 * into the store only until its next modifying call. */
static void compare_value(const dual_path *d, comparison *c, const spine_row *row, int i,
                          fdl_value value, FILE *row_text)
{
    size_t table_row = row->row + 1;
    const fdl_feature_desc *feature = &d->program->features[d->features[i]];
    int column = d->spine.ncolumns + i;
    const char *text = d->batch.cells[table_row][column];
    size_t len = d->batch.lengths[table_row][column];
    bool null = len == 0 && !d->batch.quoted[table_row][column];
    const char *why;
    bool same = same_value(feature, value, text, len, null, &c->vector_elements, &why);
    char *serving_text = format_value(value);
    char *batch_text = reencode_cell(text, len, null, feature->type == FDL_VECTOR);
    if (same && strcmp(serving_text, batch_text) != 0) {
        same = false;
        why = "same value, different text";
    }
    c->values++;
    if (!same) {
        if (c->differences < MAX_PRINTED_DIFFERENCES)
            fprintf(stderr,
                    "DIFFERENCE mode %s: spine row %zu (%s line %ld), feature %s: %s\n"
                    "  batch:   %s\n  serving: %s\n",
                    c->mode, row->row + 1, d->spine.path, d->spine.lines[table_row],
                    feature->name, why, null ? "(null)" : batch_text,
                    value.type == FDL_NULL ? "(null)" : serving_text);
        c->differences++;
    }
    putc(',', row_text);
    fputs(serving_text, row_text);
    free(serving_text);
    free(batch_text);
}

/* Rebuilds the whole output file from the serving values, as fdl_batch_run
 * writes it, and compares it with the batch file byte for byte. */
static void compare_file(const dual_path *d, comparison *c)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        die("out of memory");
    const csv_table *spine = &d->spine;
    for (size_t r = 0; r <= spine->nrows; r++) {
        for (int col = 0; col < spine->ncolumns; col++) {
            if (col > 0)
                putc(',', out);
            fdl_csv_write_field(out, cell_or_null(spine, r, col), spine->lengths[r][col], false);
        }
        if (r == 0) {
            for (int i = 0; i < d->nfeatures; i++) {
                const char *name = d->program->features[d->features[i]].name;
                putc(',', out);
                fdl_csv_write_field(out, name, strlen(name), false);
            }
        } else if (c->row_text[r - 1]) {
            fputs(c->row_text[r - 1], out);
        }
        putc('\n', out);
    }
    fclose(out);
    if (size != d->batch_size || memcmp(text, d->batch_bytes, size) != 0) {
        size_t at = 0;
        while (at < size && at < d->batch_size && text[at] == d->batch_bytes[at])
            at++;
        long line = 1;
        for (size_t i = 0; i < at; i++)
            line += text[i] == '\n';
        fprintf(stderr,
                "DIFFERENCE mode %s: the rebuilt output differs from %s from byte %zu "
                "(line %ld; sizes %zu and %zu)\n",
                c->mode, d->batch_path, at, line, size, d->batch_size);
        c->differences++;
    }
    free(text);
}

/* ---------------------------------------------------------- the store */

static fdl_store *open_store(const dual_path *d, bool keep_history, int64_t lateness)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    options.lateness = lateness;
    options.load_embeddings = false;       /* loaded below: defaults or overrides */
    fdl_error err;
    fdl_store *store = fdl_store_open(d->program, &options, &err);
    if (!store)
        die("fdl_store_open: %s", err.message);
    for (int e = 0; e < d->program->nembeddings; e++) {
        const char *path = d->program->embeddings[e].default_path;
        for (int i = 0; i < d->nembeddings; i++)
            if (fdl_program_embedding(d->program, d->embeddings[i].name) == e)
                path = d->embeddings[i].path;
        die_on(fdl_store_load_embedding(store, e, path, &err), &err, path);
    }
    for (int i = 0; i < d->nembeddings; i++)
        if (fdl_program_embedding(d->program, d->embeddings[i].name) < 0)
            die("unknown embedding '%s'", d->embeddings[i].name);
    return store;
}

static void ingest(const dual_path *d, fdl_store *store, const event *e)
{
    fdl_error err;
    if (fdl_ingest_row(store, e->source, e->fields, e->lengths, &err) != FDL_OK)
        die("fdl_ingest_row (source %s, input event %zu): %s",
            d->program->sources[e->source].name, e->sequence + 1, err.message);
}

/* A read's keys: every key column of each entity, in entity order. */
static void gather_keys(const dual_path *d, const spine_row *row, const int *entities, int count,
                        fdl_value *keys)
{
    int n = 0;
    for (int i = 0; i < count; i++)
        for (int k = 0; k < d->program->entities[entities[i]].nkeys; k++)
            keys[n++] = row->keys_by_entity[d->key_start[entities[i]] + k];
}

/* Reads one spine row's vector at its time and compares it value by value. */
static void read_and_compare(const dual_path *d, fdl_store *store, comparison *c,
                             const spine_row *row, fdl_value *keys, fdl_value *set_request,
                             fdl_value *values)
{
    const fdl_program *p = d->program;
    char *row_text = NULL;
    size_t row_size = 0;
    FILE *out = open_memstream(&row_text, &row_size);
    if (!out)
        die("out of memory");
    fdl_error err;
    fdl_status status = FDL_OK;
    if (d->set >= 0) {
        const fdl_set_desc *set = &p->sets[d->set];
        gather_keys(d, row, set->entities, set->nentities, keys);
#if HAS_REQUEST_FIELDS
        for (int i = 0; i < set->nrequests; i++)
            set_request[i] = row->request[set->requests[i]];
        status = fdl_read_set_request(store, d->set, keys, set_request, row->time, values, &err);
#else
        (void)set_request;
        status = fdl_read_set(store, d->set, keys, row->time, values, &err);
#endif
        for (int i = 0; i < d->nfeatures && status == FDL_OK; i++)
            compare_value(d, c, row, i, values[i], out);
    } else {
        for (int i = 0; i < d->nfeatures && status == FDL_OK; i++) {
            const fdl_feature_desc *feature = &p->features[d->features[i]];
            gather_keys(d, row, feature->entities, feature->nentities, keys);
#if HAS_REQUEST_FIELDS
            status = fdl_read_feature_request(store, d->features[i], keys, row->request,
                                              row->time, &values[i], &err);
#else
            status = fdl_read_feature(store, d->features[i], keys, row->time, &values[i], &err);
#endif
            if (status == FDL_OK)
                compare_value(d, c, row, i, values[i], out);
        }
    }
    if (status != FDL_OK)
        die("mode %s: read of spine row %zu failed: %s", c->mode, row->row + 1, err.message);
    fclose(out);
    c->rows++;
    free(c->row_text[row->row]);
    c->row_text[row->row] = row_text;
}

/* ------------------------------------------------------- arrival orders */

/* splitmix64: a fixed-seed generator, so every run tests the same orders. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void shuffle(size_t *items, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(next_random(state) % i);
        size_t swap = items[i - 1];
        items[i - 1] = items[j];
        items[j] = swap;
    }
}

static int compare_sizes(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Fills arrival[lo, hi) with the batch positions lo..hi-1 in a random order
 * in which events of equal time keep their batch order: a random
 * permutation, then each run of equal times is dealt, in batch order, into
 * the arrival slots its members drew.
 */
static void shuffle_keeping_ties(const dual_path *d, size_t *arrival, size_t lo, size_t hi,
                                 uint64_t *state)
{
    size_t n = hi - lo;
    for (size_t i = 0; i < n; i++)
        arrival[lo + i] = lo + i;
    shuffle(arrival + lo, n, state);
    size_t *slot = xcalloc(n, sizeof *slot);        /* batch position -> arrival slot */
    for (size_t i = 0; i < n; i++)
        slot[arrival[lo + i] - lo] = lo + i;
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && d->events[lo + end].time == d->events[lo + start].time)
            end++;
        qsort(slot + start, end - start, sizeof *slot, compare_sizes);
        for (size_t k = start; k < end; k++)
            arrival[slot[k]] = lo + k;
        start = end;
    }
    free(slot);
}

/* Events in reverse time order, equal times in batch order. */
static void reverse_keeping_ties(const dual_path *d, size_t *arrival)
{
    size_t out = 0;
    for (size_t end = d->nevents; end > 0;) {
        size_t start = end - 1;
        while (start > 0 && d->events[start - 1].time == d->events[end - 1].time)
            start--;
        for (size_t k = start; k < end; k++)
            arrival[out++] = k;
        end = start;
    }
}

/* ------------------------------------------------------------- the modes */

/* The longest time span of a jitter block: how far the newest event in can
 * be ahead of a read (each read waits for every event before it). */
static int64_t block_span(const dual_path *d)
{
    int64_t span = 0;
    for (size_t lo = 0; lo < d->nevents; lo += JITTER_BLOCK) {
        size_t hi = lo + JITTER_BLOCK < d->nevents ? lo + JITTER_BLOCK : d->nevents;
        if (d->events[hi - 1].time - d->events[lo].time > span)
            span = d->events[hi - 1].time - d->events[lo].time;
    }
    return span;
}

typedef enum read_schedule {
    READ_AS_EVENTS_ARRIVE,      /* each read once every event before its time is in */
    READ_AFTER_ALL_EVENTS,      /* every event first, then the reads */
} read_schedule;

/* Room for any set's request fields. */
static size_t request_capacity(const dual_path *d)
{
#if HAS_REQUEST_FIELDS
    return (size_t)d->program->nrequests + 1;
#else
    (void)d;
    return 1;
#endif
}

/* Runs one mode: events arrive in arrival order (batch positions), spine
 * rows are read in read_order (indexes into spine_rows). */
/* Saves the store, closes it and returns a new one restored from the file
 * (the batch output's path + ".fdls"). */
static fdl_store *save_and_restore(const dual_path *d, fdl_store *store, bool keep_history,
                                   int64_t lateness, uint64_t tag)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.fdls", d->batch_path);
    fdl_error err;
    die_on(fdl_store_save(store, path, tag, &err), &err, "fdl_store_save");
    fdl_store_close(store);
    store = open_store(d, keep_history, lateness);
    uint64_t got = 0;
    die_on(fdl_store_restore(store, path, &got, &err), &err, "fdl_store_restore");
    if (got != tag)
        die("restored tag %" PRIu64 ", saved %" PRIu64, got, tag);
    remove(path);
    return store;
}

/* Runs one mode: events arrive in arrival order (batch positions), spine
 * rows are read in read_order (indexes into spine_rows); with snapshots,
 * the store goes through a file every eighth of the events. */
static bool run_mode_snapshots(const dual_path *d, const char *mode, bool keep_history,
                               int64_t lateness, const size_t *arrival, read_schedule schedule,
                               const size_t *read_order, bool snapshots)
{
    comparison c = {0};
    c.mode = mode;
    c.row_text = xcalloc(d->spine.nrows, sizeof *c.row_text);
    fdl_store *store = open_store(d, keep_history, lateness);
    fdl_value *keys = xcalloc((size_t)d->nkey_parts + 1, sizeof *keys);
    fdl_value *values = xcalloc((size_t)d->nfeatures + 1, sizeof *values);
    fdl_value *set_request = xcalloc(request_capacity(d), sizeof *set_request);

    size_t next_read = 0, nrows = d->spine.nrows;
    if (schedule == READ_AS_EVENTS_ARRIVE) {
        /* needed[k]: how many events are before read k's time (a prefix of
         * batch order); prefix: how long a prefix of batch order is in. */
        bool *arrived = xcalloc(d->nevents, sizeof *arrived);
        size_t prefix = 0, first_later = 0;
        for (size_t a = 0; a <= d->nevents; a++) {
            for (; next_read < nrows; next_read++) {
                const spine_row *row = &d->spine_rows[read_order[next_read]];
                while (first_later < d->nevents && d->events[first_later].time < row->time)
                    first_later++;
                if (prefix < first_later)
                    break;
                read_and_compare(d, store, &c, row, keys, set_request, values);
            }
            if (a == d->nevents)
                break;
            if (snapshots && a % (d->nevents / 8 + 1) == 0)
                store = save_and_restore(d, store, keep_history, lateness, a);
            ingest(d, store, &d->events[arrival[a]]);
            arrived[arrival[a]] = true;
            while (prefix < d->nevents && arrived[prefix])
                prefix++;
        }
        free(arrived);
    } else {
        for (size_t a = 0; a < d->nevents; a++)
            ingest(d, store, &d->events[arrival[a]]);
        for (; next_read < nrows; next_read++)
            read_and_compare(d, store, &c, &d->spine_rows[read_order[next_read]], keys,
                             set_request, values);
    }

    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    if (stats.events_ingested != d->nevents) {
        fprintf(stderr, "DIFFERENCE mode %s: the store counts %" PRIu64
                " events ingested, %zu rows were fed\n", mode, stats.events_ingested,
                d->nevents);
        c.differences++;
    }
    /* Every read waited for the events before it: nothing can be late. */
    if (stats.events_late != 0) {
        fprintf(stderr, "DIFFERENCE mode %s: %" PRIu64 " events counted late\n", mode,
                stats.events_late);
        c.differences++;
    }
    if (c.rows != nrows) {
        fprintf(stderr, "DIFFERENCE mode %s: %" PRIu64 " of %zu rows read\n", mode, c.rows,
                nrows);
        c.differences++;
    }
    compare_file(d, &c);

    printf("mode %-9s %s: %" PRIu64 " rows, %" PRIu64 " values (%" PRIu64
           " vector elements) compared, %" PRIu64 " differences; events ingested %" PRIu64
           ", out of order %" PRIu64 ", evicted %" PRIu64 ", null key %" PRIu64 "\n",
           mode, keep_history ? "(keep_history)" : "(evicting)   ", c.rows, c.values,
           c.vector_elements, c.differences, stats.events_ingested, stats.events_out_of_order,
           stats.events_evicted, stats.events_null_key);
    fdl_store_close(store);
    for (size_t r = 0; r < nrows; r++)
        free(c.row_text[r]);
    free(c.row_text);
    free(keys);
    free(values);
    free(set_request);
    return c.differences == 0;
}

static bool run_mode(const dual_path *d, const char *mode, bool keep_history, int64_t lateness,
                     const size_t *arrival, read_schedule schedule, const size_t *read_order)
{
    return run_mode_snapshots(d, mode, keep_history, lateness, arrival, schedule, read_order, false);
}

int main(int argc, char **argv)
{
    dual_path d = {0};
    d.program = dual_path_case_program();
    parse_arguments(&d, argc, argv);
    check_manifest(&d);
    read_sources(&d);
    read_spine(&d);
    read_batch_output(&d);

    size_t n = d.nevents, nrows = d.spine.nrows;
    size_t *arrival = xcalloc(n, sizeof *arrival);
    size_t *read_order = xcalloc(nrows, sizeof *read_order);
    uint64_t state = d.seed;
    bool ok = true;

    /* streaming: batch order, reads in time order. */
    for (size_t i = 0; i < n; i++)
        arrival[i] = i;
    for (size_t r = 0; r < nrows; r++)
        read_order[r] = r;
    ok &= run_mode(&d, "streaming", false, 0, arrival, READ_AS_EVENTS_ARRIVE, read_order);
    ok &= run_mode_snapshots(&d, "snapshots", false, 0, arrival, READ_AS_EVENTS_ARRIVE, read_order, true);

    /* jittered: shuffled within blocks, reads in time order when ready. */
    for (size_t lo = 0; lo < n; lo += JITTER_BLOCK)
        shuffle_keeping_ties(&d, arrival, lo, lo + JITTER_BLOCK < n ? lo + JITTER_BLOCK : n,
                             &state);
    ok &= run_mode(&d, "jittered", false, block_span(&d), arrival, READ_AS_EVENTS_ARRIVE, read_order);
    ok &= run_mode_snapshots(&d, "snapjit", false, block_span(&d), arrival, READ_AS_EVENTS_ARRIVE,
                             read_order, true);

    /* shuffled: any order of events, then reads in any order. */
    shuffle_keeping_ties(&d, arrival, 0, n, &state);
    shuffle(read_order, nrows, &state);
    ok &= run_mode(&d, "shuffled", true, 0, arrival, READ_AFTER_ALL_EVENTS, read_order);

    /* reversed: newest events first, then reads from the latest back. */
    reverse_keeping_ties(&d, arrival);
    for (size_t r = 0; r < nrows; r++)
        read_order[r] = nrows - 1 - r;
    ok &= run_mode(&d, "reversed", true, 0, arrival, READ_AFTER_ALL_EVENTS, read_order);

    printf("dual_path: %zu events from %d sources, %zu spine rows x %d features, 6 modes: %s\n",
           n, d.nsources, nrows, d.nfeatures, ok ? "bit-identical" : "DIFFERENCES FOUND");

    free(arrival);
    free(read_order);
    for (size_t i = 0; i < n; i++) {
        free((void *)d.events[i].fields);
        free(d.events[i].lengths);
    }
    free(d.events);
    for (int i = 0; i < d.nsources; i++)
        csv_table_free(&d.source_tables[i]);
    free(d.source_tables);
    for (size_t r = 0; r < nrows; r++) {
        free(d.spine_rows[r].keys_by_entity);
        free(d.spine_rows[r].request);
    }
    free(d.spine_rows);
    free(d.features);
    free(d.key_start);
    csv_table_free(&d.spine);
    csv_table_free(&d.batch);
    free(d.batch_bytes);
    for (int i = 0; i < d.nsources; i++)
        free((void *)d.sources[i].name);
    for (int i = 0; i < d.nembeddings; i++)
        free((void *)d.embeddings[i].name);
    free(d.sources);
    free(d.embeddings);
    return ok ? 0 : 1;
}
