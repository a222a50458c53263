/*
 * api_push.c - POST /push: events into the store and the WAL.
 *
 *   {"source": "purchases", "rows": [{"ts": "...", "user_id": "u1", ...}]}
 *   {"source": "purchases", "csv": "ts,user_id,...\n...\n"}
 *
 * Each row becomes the cells serving ingests (text per field, in the
 * source's field order; a missing field or JSON null is null; numbers as
 * shortest round-trip text, so the double parsed is the one sent), then,
 * under the lock, runs the source's expectations (check_row) and, when
 * accepted, goes into this push's WAL record and the store (push_values:
 * what fdl_ingest_row does). The record is appended before the lock is
 * let go and synced (per --fsync) before the answer:
 *   {"accepted": n, "dropped": n, "failed": n, "errors": [{"row": i, "message": "..."}]}
 */
#define _GNU_SOURCE

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

enum { MAX_ERRORS = 100, NUMBER_TEXT = 40 };

/* The rows of a push as cells. */
typedef struct table {
    int source, nfields;
    size_t rows;
    const char **cells;         /* rows x nfields, NULL: null */
    size_t *lengths;
    char **errors;              /* per row: why it cannot be ingested, or NULL */
    char *numbers;              /* texts of numbers and booleans */
    size_t used, capacity;
    char *csv;                  /* a copy of the CSV, unquoted in place */
} table;

static void table_free(table *t)
{
    for (size_t i = 0; t->errors && i < t->rows; i++)
        free(t->errors[i]);
    free(t->cells);
    free(t->lengths);
    free(t->errors);
    free(t->numbers);
    free(t->csv);
}

static bool table_alloc(table *t, size_t rows, size_t numbers, reply *r)
{
    t->rows = rows;
    size_t n = rows * (size_t)t->nfields + 1;
    t->cells = calloc(n, sizeof *t->cells);
    t->lengths = calloc(n, sizeof *t->lengths);
    t->errors = calloc(rows + 1, sizeof *t->errors);
    t->capacity = numbers * NUMBER_TEXT + 1;
    t->numbers = malloc(t->capacity);
    if (!t->cells || !t->lengths || !t->errors || !t->numbers)
        return reply_error(r, 500, "out of memory"), false;
    return true;
}

static void row_error(table *t, size_t row, const char *fmt, const char *what)
{
    if (t->errors[row])
        return;
    size_t size = strlen(fmt) + strlen(what) + 1;
    t->errors[row] = malloc(size);
    if (t->errors[row])
        snprintf(t->errors[row], size, fmt, what);
}

static int field_index(const fdl_source_desc *src, const char *name, size_t length)
{
    for (int f = 0; f < src->nfields; f++)
        if (strlen(src->fields[f].name) == length && memcmp(src->fields[f].name, name, length) == 0)
            return f;
    return -1;
}

/* One JSON member as a cell's text. */
static void json_cell(table *t, size_t row, int f, const char *name, json_t *v)
{
    size_t cell = row * (size_t)t->nfields + (size_t)f;
    char *at = t->numbers + t->used;
    size_t n;
    if (json_is_null(v))
        return;
    if (json_is_string(v)) {
        t->cells[cell] = json_string_value(v);
        t->lengths[cell] = json_string_length(v);
        return;
    }
    if (json_is_integer(v))
        n = (size_t)snprintf(at, NUMBER_TEXT, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        n = fdl_format_float(json_real_value(v), at, NUMBER_TEXT);
    else if (json_is_boolean(v))
        n = (size_t)snprintf(at, NUMBER_TEXT, "%s", json_is_true(v) ? "true" : "false");
    else {
        row_error(t, row, "field '%s': expected a string, number, boolean or null", name);
        return;
    }
    t->cells[cell] = at;
    t->lengths[cell] = n;
    t->used += n + 1;
}

static bool rows_from_json(table *t, const fdl_source_desc *src, json_t *rows, reply *r)
{
    size_t numbers = 0, i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *key;
        json_t *v;
        json_object_foreach(row, key, v)
            numbers += json_is_number(v) || json_is_boolean(v);
    }
    if (!table_alloc(t, json_array_size(rows), numbers, r))
        return false;
    json_array_foreach(rows, i, row) {
        if (!json_is_object(row)) {
            row_error(t, i, "expected an object of fields%s", "");
            continue;
        }
        const char *key;
        json_t *v;
        json_object_foreach(row, key, v) {
            int f = field_index(src, key, strlen(key));
            if (f < 0)
                row_error(t, i, "unknown field '%s'", key);
            else
                json_cell(t, i, f, key, v);
        }
    }
    return true;
}

/* Splits RFC 4180 CSV in place: fields into cells (quotes removed, ""
 * inside quotes is one), records ended by \n or \r\n. Calls back per record. */
typedef struct csv_split {
    char *p, *end;
} csv_split;

/* The next record's fields (at most max, *n of them; more: *n = max + 1);
 * false at the end. NULL cells for empty unquoted fields. */
static bool csv_record(csv_split *s, char **fields, size_t *lengths, int max, int *n, bool *bad)
{
    if (s->p >= s->end)
        return false;
    *n = 0;
    *bad = false;
    for (;;) {
        char *start = s->p, *out = s->p;
        bool quoted = *s->p == '"';
        if (quoted) {
            s->p++;
            for (;;) {
                if (s->p >= s->end) {
                    *bad = true;
                    break;
                }
                if (*s->p == '"' && s->p + 1 < s->end && s->p[1] == '"') {
                    *out++ = '"';
                    s->p += 2;
                } else if (*s->p == '"') {
                    s->p++;
                    break;
                } else {
                    *out++ = *s->p++;
                }
            }
        } else {
            while (s->p < s->end && *s->p != ',' && *s->p != '\n' && *s->p != '\r')
                s->p++;
            out = s->p;
        }
        if (*n < max) {
            fields[*n] = !quoted && out == start ? NULL : start;
            lengths[*n] = (size_t)(out - start);
        }
        (*n)++;
        if (s->p < s->end && *s->p == ',') {
            *s->p++ = '\0';
            *out = '\0';
            continue;
        }
        /* Text after a closing quote: the record is bad; skip to its end. */
        if (s->p < s->end && *s->p != '\n' && *s->p != '\r') {
            *bad = true;
            while (s->p < s->end && *s->p != '\n' && *s->p != '\r')
                s->p++;
        }
        /* The record ends at \n, \r\n or a lone \r, or at the end. */
        if (s->p < s->end && *s->p == '\r')
            *s->p++ = '\0';
        if (s->p < s->end && *s->p == '\n')
            *s->p++ = '\0';
        if (out < s->end)
            *out = '\0';
        return true;
    }
}

static bool rows_from_csv(table *t, const fdl_source_desc *src, json_t *csv, reply *r)
{
    size_t length = json_string_length(csv);
    t->csv = malloc(length + 1);
    if (!t->csv)
        return reply_error(r, 500, "out of memory"), false;
    memcpy(t->csv, json_string_value(csv), length + 1);
    size_t rows = 0;
    /* At most one record per line ending (\n, \r\n or a lone \r), and a last one. */
    for (size_t i = 0; i < length; i++)
        rows += t->csv[i] == '\n' || (t->csv[i] == '\r' && t->csv[i + 1] != '\n');
    rows++;
    enum { MAX_COLUMNS = 1024 };
    char *fields[MAX_COLUMNS];
    size_t lengths[MAX_COLUMNS];
    int map[MAX_COLUMNS], n;
    bool bad;
    csv_split s = {t->csv, t->csv + length};
    if (!csv_record(&s, fields, lengths, MAX_COLUMNS, &n, &bad) || bad || n > MAX_COLUMNS)
        return reply_error(r, 400, "csv: expected a header line naming the fields"), false;
    int ncolumns = n;
    for (int c = 0; c < ncolumns; c++) {
        map[c] = fields[c] ? field_index(src, fields[c], lengths[c]) : -1;
        if (map[c] < 0)
            return reply_error(r, 400, "csv: header column %d '%.*s' is not a field of source %s", c + 1,
                               (int)lengths[c], fields[c] ? fields[c] : "", src->name), false;
    }
    if (!table_alloc(t, rows, 0, r))
        return false;
    size_t row = 0;
    while (row < rows && csv_record(&s, fields, lengths, MAX_COLUMNS, &n, &bad)) {
        if (n == 1 && !fields[0])
            continue;   /* an empty line */
        if (bad || n != ncolumns) {
            char what[64];
            snprintf(what, sizeof what, "%d", n);
            if (bad)
                row_error(t, row, "malformed CSV (quotes)%s", "");
            else
                row_error(t, row, "%s fields where the header has another number", what);
        } else {
            for (int c = 0; c < n; c++) {
                t->cells[row * (size_t)t->nfields + (size_t)map[c]] = fields[c];
                t->lengths[row * (size_t)t->nfields + (size_t)map[c]] = lengths[c];
            }
        }
        row++;
    }
    t->rows = row;
    return true;
}

typedef push_outcome outcome;

static void note_failure(outcome *o, size_t row, const char *message)
{
    o->failed++;
    if (o->nerrors++ >= MAX_ERRORS || !o->errors)
        return;
    fprintf(o->errors, "%s{\"row\": %zu, \"message\": ", o->nerrors > 1 ? ", " : "", row);
    json_write_string(o->errors, message, strlen(message));
    fputc('}', o->errors);
}

/* Checks and ingests every row, building the WAL record. Under the lock. */
void push_ingest(server *s, int source, size_t rows, const char *const *all_cells, const size_t *all_lengths,
                 char *const *errors, wal_record *rec, fdl_value *values, bool *changed, push_outcome *o)
{
    const fdl_source_desc *src = &s->program->sources[source];
    size_t nfields = (size_t)src->nfields;
    for (size_t row = 0; row < rows; row++) {
        if (errors[row]) {
            note_failure(o, row, errors[row]);
            continue;
        }
        const char *const *cells = &all_cells[row * nfields];
        const size_t *lengths = &all_lengths[row * nfields];
        fdl_error err = {0};
        fdl_status st = src->check_row(s->store, cells, lengths, values, changed, &err);
        if (st == FDL_DROPPED) {
            o->dropped++;
            continue;
        }
        if (st != FDL_OK) {
            note_failure(o, row, err.message);
            continue;
        }
        size_t mark = wal_record_mark(rec);
        if (!wal_record_row(rec, values, src->nfields)) {
            note_failure(o, row, "the row cannot be logged (out of memory)");
            continue;
        }
        st = src->push_values ? src->push_values(s->store, values, &err)
                              : src->push_row(s->store, cells, lengths, &err);
        if (st != FDL_OK) {
            wal_record_drop_last(rec, mark);
            note_failure(o, row, err.message);
            continue;
        }
        o->accepted++;
    }
}

/* Ingests, logs and syncs; answers. */
static void push_table(server *s, table *t, reply *r)
{
    const fdl_source_desc *src = &s->program->sources[t->source];
    char *errors = NULL;
    size_t errors_length = 0;
    outcome o = {0, 0, 0, open_memstream(&errors, &errors_length), 0};
    wal_record *rec = wal_record_new();
    fdl_value *values = calloc((size_t)src->nfields + 1, sizeof *values);
    bool *changed = calloc((size_t)src->nfields + 1, sizeof *changed);
    if (!o.errors || !rec || !values || !changed) {
        reply_error(r, 500, "out of memory");
        goto done;
    }
    fdl_error err = {0};
    uint64_t position = 0;
    pthread_mutex_lock(&s->lock);
    bool ok = !atomic_load(&s->wal_failed);
    if (ok) {
        wal_record_begin(rec, s->program, t->source);
        push_ingest(s, t->source, t->rows, t->cells, t->lengths, t->errors, rec, values, changed, &o);
        ok = wal_record_rows(rec) == 0 || wal_append(s->wal, rec, &position, &err);
        if (!ok)
            atomic_store(&s->wal_failed, true);
    }
    pthread_mutex_unlock(&s->lock);
    ok = ok && wal_sync(s->wal, position, &err);
    metrics *m = &s->metrics;
    atomic_fetch_add(&m->rows_pushed, t->rows);
    atomic_fetch_add(&m->rows_accepted, o.accepted);
    atomic_fetch_add(&m->rows_dropped, o.dropped);
    atomic_fetch_add(&m->rows_failed, o.failed);
    fclose(o.errors);
    o.errors = NULL;
    if (!ok) {
        reply_error(r, 503, "the write-ahead log failed (%s): the push is not durable and pushes are refused"
                    " until a restart", err.message[0] ? err.message : "an earlier write failed");
        goto done;
    }
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) {
        reply_error(r, 500, "out of memory");
        goto done;
    }
    fprintf(out, "{\"accepted\": %llu, \"dropped\": %llu, \"failed\": %llu, \"errors\": [%s]%s}\n",
            (unsigned long long)o.accepted, (unsigned long long)o.dropped, (unsigned long long)o.failed,
            errors ? errors : "", o.nerrors > MAX_ERRORS ? ", \"errors_truncated\": true" : "");
    if (fclose(out) != 0) {
        free(text);
        reply_error(r, 500, "out of memory");
    } else {
        reply_json(r, 200, text, length);
    }
done:
    if (o.errors)
        fclose(o.errors);
    free(errors);
    wal_record_free(rec);
    free(values);
    free(changed);
}

void api_push(server *s, const char *body, size_t length, reply *r)
{
    if (atomic_load(&s->wal_failed)) {
        reply_error(r, 503, "the write-ahead log failed earlier: pushes are refused until a restart");
        return;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, length, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        reply_error(r, 400, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return;
    }
    table t = {.source = -1};
    json_t *source = json_object_get(root, "source"), *rows = json_object_get(root, "rows");
    json_t *csv = json_object_get(root, "csv");
    if (!json_is_object(root))
        reply_error(r, 400, "expected a JSON object");
    else if (!json_is_string(source))
        reply_error(r, 400, "source: expected the name of a source");
    else if ((t.source = fdl_program_source(s->program, json_string_value(source))) < 0)
        reply_error(r, 400, "unknown source '%s'", json_string_value(source));
    else if (!rows == !csv || (rows && !json_is_array(rows)) || (csv && !json_is_string(csv)))
        reply_error(r, 400, "give either rows (an array of objects) or csv (a string)");
    else if (rows && json_array_size(rows) > s->options.max_rows)
        reply_error(r, 413, "%zu rows: more than %zu (--max-rows)", json_array_size(rows), s->options.max_rows);
    else {
        const fdl_source_desc *src = &s->program->sources[t.source];
        t.nfields = src->nfields;
        bool ok = rows ? rows_from_json(&t, src, rows, r) : rows_from_csv(&t, src, csv, r);
        if (ok && t.rows > s->options.max_rows)
            reply_error(r, 413, "%zu rows: more than %zu (--max-rows)", t.rows, s->options.max_rows);
        else if (ok)
            push_table(s, &t, r);
    }
    table_free(&t);
    json_decref(root);
}
