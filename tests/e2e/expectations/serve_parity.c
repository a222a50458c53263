/*
 * serve_parity.c - the source-expectations case through the serving API.
 *
 * Linked with the C that `fdlc compile --name expect_case` generated from
 * the case's definitions (tests/e2e/expectations/case.py), it feeds every
 * row of the source CSVs through fdl_ingest_row in the documented batch
 * arrival order (docs/language.md, "Arrival order": files in --source
 * order, except that a source named by another's exists_in comes before it;
 * each file in file order), with the processing time fixed by
 * fdl_store_set_processing_time to the batch run's --now, then reads the
 * feature set at every spine row's time. It writes what the Python side
 * (run_test.py serving) compares with the batch run of the same inputs:
 *
 *   --out       the training set, spine cells then one cell per feature, as
 *               fdl_batch_run writes it (round-trip floats: equal text is
 *               equal bits);
 *   --counts    JSON: per source, fdl_store_source_counts, the statuses
 *               fdl_ingest_row returned, and per check its kind, field,
 *               policy, text and fdl_store_check_violations; the message
 *               of the first event rejected with FDL_ERR_CHECK; the
 *               verdicts of fdl_store_evaluate (SLAs included);
 *   --quarantine, --report: fdl_store_quarantine_open and
 *               fdl_store_write_report.
 *
 * Usage:
 *   serve_parity --source NAME=PATH... --spine PATH --set NAME --now TIME
 *                --out PATH --counts PATH --quarantine PATH --report PATH
 * Exit status: 0 when every row was fed and every read answered, 2 on bad
 * usage, input or an unexpected status (the comparison is the caller's).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"           /* the runtime's own CSV reader and writer */
#include "expect_case.h"        /* generated: expect_case_program() */

#define MAX_SOURCES 16
#define MAX_VERDICTS 256

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("serve_parity: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    exit(2);
}

static const char *const check_kind_names[] = {
    [FDL_CHECK_INVALID] = "invalid",       [FDL_CHECK_NOT_NULL] = "not_null",
    [FDL_CHECK_RANGE] = "range",           [FDL_CHECK_IN] = "in",
    [FDL_CHECK_MATCHES] = "matches",       [FDL_CHECK_MAX_FUTURE] = "max_future",
    [FDL_CHECK_ORDERED] = "ordered",       [FDL_CHECK_MAX_GAP] = "max_gap",
    [FDL_CHECK_EXISTS_IN] = "exists_in",   [FDL_CHECK_MEAN] = "mean",
    [FDL_CHECK_STDDEV] = "stddev",         [FDL_CHECK_NULL_RATIO] = "null_ratio",
    [FDL_CHECK_DISTINCT] = "distinct",     [FDL_CHECK_EXPR] = "expr",
    [FDL_CHECK_UNIQUE] = "unique",
};

static const char *const policy_names[] = {
    [FDL_POLICY_FAIL] = "fail", [FDL_POLICY_DROP] = "drop", [FDL_POLICY_CLAMP] = "clamp",
    [FDL_POLICY_FLAG] = "flag", [FDL_POLICY_IMPUTE] = "impute",
};

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void write_json_string(FILE *out, const char *text)
{
    if (!text) {
        fputs("null", out);
        return;
    }
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            putc(*p, out);
    }
    putc('"', out);
}

/* ------------------------------------------------------------- options */

typedef struct options {
    const char *source_names[MAX_SOURCES];
    const char *source_paths[MAX_SOURCES];
    int nsources;
    const char *spine, *set, *now, *out, *counts, *quarantine, *report;
} options;

static void parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (i + 1 >= argc)
            die("%s needs a value", arg);
        const char *value = argv[++i];
        if (strcmp(arg, "--source") == 0) {
            const char *eq = strchr(value, '=');
            if (!eq || o->nsources == MAX_SOURCES)
                die("--source NAME=PATH, at most %d", MAX_SOURCES);
            o->source_names[o->nsources] = strndup(value, (size_t)(eq - value));
            o->source_paths[o->nsources++] = eq + 1;
        } else if (strcmp(arg, "--spine") == 0) {
            o->spine = value;
        } else if (strcmp(arg, "--set") == 0) {
            o->set = value;
        } else if (strcmp(arg, "--now") == 0) {
            o->now = value;
        } else if (strcmp(arg, "--out") == 0) {
            o->out = value;
        } else if (strcmp(arg, "--counts") == 0) {
            o->counts = value;
        } else if (strcmp(arg, "--quarantine") == 0) {
            o->quarantine = value;
        } else if (strcmp(arg, "--report") == 0) {
            o->report = value;
        } else {
            die("unknown option '%s'", arg);
        }
    }
    if (!o->spine || !o->set || !o->now || !o->out || !o->counts || !o->quarantine ||
        !o->report || o->nsources == 0)
        die("usage: serve_parity --source NAME=PATH... --spine PATH --set NAME --now TIME "
            "--out PATH --counts PATH --quarantine PATH --report PATH");
}

/* ------------------------------------------------------- arrival order */

/* Appends source s to order after every source its exists_in checks name
 * (depth first), each once: the batch reading order. */
static void visit(const fdl_program *p, int s, const int *given, bool *done, int *order,
                  int *n)
{
    if (done[s])
        return;
    done[s] = true;
    const fdl_source_desc *source = &p->sources[s];
    /* Referenced sources in --source order, as batch reads them. */
    for (int g = 0; given[g] >= 0; g++)
        for (int c = 0; c < source->nchecks; c++) {
            const fdl_check_desc *check = &source->checks[c];
            if (check->kind == FDL_CHECK_EXISTS_IN && check->reference >= 0 &&
                p->references[check->reference].source == given[g] && given[g] != s)
                visit(p, given[g], given, done, order, n);
        }
    order[(*n)++] = s;
}

/* ------------------------------------------------------------- feeding */

typedef struct fed {
    uint64_t rows, ok, dropped, failed;
} fed;

/* The message of the first event rejected with FDL_ERR_CHECK. */
static char first_failure[sizeof ((fdl_error *)0)->message];

static void feed_source(fdl_store *store, const fdl_program *p, int s, const char *path,
                        fed *out)
{
    const fdl_source_desc *source = &p->sources[s];
    fdl_error err;
    fdl_csv_reader *reader = fdl_csv_open(path, &err);
    if (!reader)
        die("%s", err.message);
    const char **cells;
    const size_t *lengths;
    const bool *quoted;
    int ncells, result;
    int column[256];
    if (source->nfields > 256)
        die("too many fields");
    if (fdl_csv_next(reader, &cells, &lengths, &quoted, &ncells, &err) != 1)
        die("%s: no header", path);
    for (int f = 0; f < source->nfields; f++) {
        column[f] = -1;
        for (int c = 0; c < ncells; c++)
            if (strlen(source->fields[f].name) == lengths[c] &&
                memcmp(source->fields[f].name, cells[c], lengths[c]) == 0)
                column[f] = c;
        if (column[f] < 0)
            die("%s: no column %s", path, source->fields[f].name);
    }
    const char *fields[256];
    size_t field_lengths[256];
    while ((result = fdl_csv_next(reader, &cells, &lengths, &quoted, &ncells, &err)) == 1) {
        for (int f = 0; f < source->nfields; f++) {
            int c = column[f];
            if (c >= ncells)
                die("%s:%ld: short row", path, fdl_csv_line(reader));
            /* An unquoted empty cell is null; "" is the empty string. */
            bool null = lengths[c] == 0 && !quoted[c];
            fields[f] = null ? NULL : cells[c];
            field_lengths[f] = null ? 0 : lengths[c];
        }
        fdl_status status = fdl_ingest_row(store, s, fields, field_lengths, &err);
        out->rows++;
        if (status == FDL_OK)
            out->ok++;
        else if (status == FDL_DROPPED)
            out->dropped++;
        else if (status == FDL_ERR_CHECK) {
            if (!first_failure[0])
                snprintf(first_failure, sizeof first_failure, "%s", err.message);
            out->failed++;
        }
        else
            die("%s:%ld: fdl_ingest_row: status %d: %s", path, fdl_csv_line(reader), (int)status,
                err.message);
    }
    if (result < 0)
        die("%s", err.message);
    fdl_csv_close(reader);
}

/* ------------------------------------------------------------- reading */

static void read_spine(fdl_store *store, const fdl_program *p, int set, const char *path,
                       const char *out_path)
{
    const fdl_set_desc *desc = &p->sets[set];
    fdl_error err;
    fdl_csv_reader *reader = fdl_csv_open(path, &err);
    if (!reader)
        die("%s", err.message);
    FILE *out = fopen(out_path, "w");
    if (!out)
        die("cannot write %s", out_path);
    const char **cells;
    const size_t *lengths;
    const bool *quoted;
    int ncells, result, time_column = -1;
    int key_columns[64];
    if (fdl_csv_next(reader, &cells, &lengths, &quoted, &ncells, &err) != 1)
        die("%s: no header", path);
    if (desc->nentities > 64)
        die("too many entities");
    for (int c = 0; c < ncells; c++) {
        if (c > 0)
            putc(',', out);
        fdl_csv_write_field(out, cells[c], lengths[c], false);
        if (lengths[c] == 9 && memcmp(cells[c], "timestamp", 9) == 0)
            time_column = c;
    }
    for (int e = 0; e < desc->nentities; e++) {
        const fdl_entity_desc *entity = &p->entities[desc->entities[e]];
        key_columns[e] = -1;
        for (int c = 0; c < ncells; c++)
            if (strlen(entity->join_key) == lengths[c] &&
                memcmp(entity->join_key, cells[c], lengths[c]) == 0)
                key_columns[e] = c;
        if (key_columns[e] < 0 || entity->nkeys != 1)
            die("%s: no column %s", path, entity->join_key);
    }
    if (time_column < 0)
        die("%s: no timestamp column", path);
    for (int i = 0; i < desc->nfeatures; i++) {
        const char *name = p->features[desc->features[i]].name;
        putc(',', out);
        fdl_csv_write_field(out, name, strlen(name), false);
    }
    putc('\n', out);
    fdl_value keys[64];
    fdl_value *values = calloc((size_t)desc->nfeatures + 1, sizeof *values);
    if (!values)
        die("out of memory");
    while ((result = fdl_csv_next(reader, &cells, &lengths, &quoted, &ncells, &err)) == 1) {
        fdl_time t;
        if (fdl_parse_time(cells[time_column], lengths[time_column], &t, &err) != FDL_OK)
            die("%s:%ld: %s", path, fdl_csv_line(reader), err.message);
        for (int e = 0; e < desc->nentities; e++) {
            int c = key_columns[e];
            const fdl_entity_desc *entity = &p->entities[desc->entities[e]];
            if (lengths[c] == 0 && !quoted[c])
                keys[e] = fdl_null();
            else if (fdl_parse_value(entity->key_type, cells[c], lengths[c], &keys[e], &err) != FDL_OK)
                die("%s:%ld: %s", path, fdl_csv_line(reader), err.message);
        }
        for (int c = 0; c < ncells; c++) {
            if (c > 0)
                putc(',', out);
            bool null = lengths[c] == 0 && !quoted[c];
            fdl_csv_write_field(out, null ? NULL : cells[c], lengths[c], false);
        }
        if (fdl_read_set(store, set, keys, t, values, &err) != FDL_OK)
            die("%s:%ld: fdl_read_set: %s", path, fdl_csv_line(reader), err.message);
        for (int i = 0; i < desc->nfeatures; i++) {
            putc(',', out);
            fdl_csv_write_value(out, values[i]);
        }
        putc('\n', out);
    }
    if (result < 0)
        die("%s", err.message);
    free(values);
    fdl_csv_close(reader);
    if (fclose(out) != 0)
        die("cannot write %s", out_path);
}

/* ------------------------------------------------------------ counters */

static void write_number(FILE *out, double x)
{
    char buf[64];
    fdl_format_float(x, buf, sizeof buf);
    fputs(buf, out);
}

static void write_counts(const fdl_store *store, const fdl_program *p, const fed *fed_rows,
                         const int *order, int norder, const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out)
        die("cannot write %s", path);
    fputs("{\"order\": [", out);
    for (int i = 0; i < norder; i++) {
        fputs(i ? ", " : "", out);
        write_json_string(out, p->sources[order[i]].name);
    }
    fputs("],\n \"sources\": {", out);
    for (int s = 0; s < p->nsources; s++) {
        const fdl_source_desc *source = &p->sources[s];
        fdl_source_counts counts;
        if (fdl_store_source_counts(store, s, &counts) != FDL_OK)
            die("fdl_store_source_counts failed for %s", source->name);
        fprintf(out, "%s\n  ", s ? "," : "");
        write_json_string(out, source->name);
        fprintf(out,
                ": {\"read\": %" PRIu64 ", \"accepted\": %" PRIu64 ", \"dropped\": %" PRIu64
                ", \"failed\": %" PRIu64 ", \"clean\": %" PRIu64 ",\n   \"fed\": {\"rows\": %" PRIu64
                ", \"ok\": %" PRIu64 ", \"dropped\": %" PRIu64 ", \"failed\": %" PRIu64
                "},\n   \"checks\": [",
                counts.read, counts.accepted, counts.dropped, counts.failed, counts.clean,
                fed_rows[s].rows, fed_rows[s].ok, fed_rows[s].dropped, fed_rows[s].failed);
        for (int c = 0; c < source->nchecks; c++) {
            const fdl_check_desc *check = &source->checks[c];
            fputs(c ? ",\n    " : "\n    ", out);
            fputs("{\"kind\": ", out);
            write_json_string(out, (unsigned)check->kind < sizeof check_kind_names / sizeof *check_kind_names
                                       ? check_kind_names[check->kind] : "?");
            fputs(", \"field\": ", out);
            write_json_string(out, check->field >= 0 ? source->fields[check->field].name : NULL);
            fputs(", \"policy\": ", out);
            write_json_string(out, (unsigned)check->policy < sizeof policy_names / sizeof *policy_names
                                       ? policy_names[check->policy] : "?");
            fputs(", \"text\": ", out);
            write_json_string(out, check->text);
            fprintf(out, ", \"violations\": %" PRIu64 "}", fdl_store_check_violations(store, s, c));
        }
        fputs("]}", out);
    }
    fputs("},\n \"first_failure\": ", out);
    write_json_string(out, first_failure[0] ? first_failure : NULL);
    fputs(",\n \"verdicts\": [", out);
    fdl_verdict verdicts[MAX_VERDICTS];
    int n = fdl_store_evaluate(store, true, verdicts, MAX_VERDICTS);
    if (n > MAX_VERDICTS)
        die("more than %d verdicts", MAX_VERDICTS);
    for (int i = 0; i < n; i++) {
        const fdl_verdict *v = &verdicts[i];
        fputs(i ? ",\n  " : "\n  ", out);
        fputs("{\"source\": ", out);
        write_json_string(out, p->sources[v->source].name);
        fprintf(out, ", \"check\": %d, \"what\": ", v->check);
        write_json_string(out, v->what);
        fputs(", \"field\": ", out);
        write_json_string(out, v->field >= 0 ? p->sources[v->source].fields[v->field].name : NULL);
        fputs(", \"value\": ", out);
        write_number(out, v->value);
        fputs(", \"limit\": ", out);
        write_number(out, v->limit);
        fprintf(out, ", \"passed\": %s, \"fatal\": %s}", v->passed ? "true" : "false",
                v->fatal ? "true" : "false");
    }
    fputs("]}\n", out);
    if (fclose(out) != 0)
        die("cannot write %s", path);
}

int main(int argc, char **argv)
{
    options o;
    parse_options(argc, argv, &o);
    const fdl_program *p = expect_case_program();
    fdl_error err;
    fdl_store_options store_options = fdl_store_options_default();
    /* Every event first, then reads at any time: keep the whole history. */
    store_options.keep_history = true;
    fdl_store *store = fdl_store_open(p, &store_options, &err);
    if (!store)
        die("fdl_store_open: %s", err.message);
    fdl_time now;
    if (fdl_parse_time(o.now, strlen(o.now), &now, &err) != FDL_OK)
        die("--now: %s", err.message);
    fdl_store_set_processing_time(store, now);
    if (fdl_store_quarantine_open(store, o.quarantine, &err) != FDL_OK)
        die("fdl_store_quarantine_open: %s", err.message);

    int given[MAX_SOURCES + 1], order[MAX_SOURCES], norder = 0;
    const char *paths[MAX_SOURCES];
    bool done[MAX_SOURCES] = {false};
    if (p->nsources > MAX_SOURCES || o.nsources != p->nsources)
        die("give every source of the program once (%d)", p->nsources);
    for (int i = 0; i < o.nsources; i++) {
        given[i] = fdl_program_source(p, o.source_names[i]);
        if (given[i] < 0)
            die("unknown source %s", o.source_names[i]);
        paths[given[i]] = o.source_paths[i];
    }
    given[o.nsources] = -1;
    for (int i = 0; i < o.nsources; i++)
        visit(p, given[i], given, done, order, &norder);

    fed fed_rows[MAX_SOURCES];
    memset(fed_rows, 0, sizeof fed_rows);
    for (int i = 0; i < norder; i++)
        feed_source(store, p, order[i], paths[order[i]], &fed_rows[order[i]]);
    if (fdl_store_quarantine_close(store, &err) != FDL_OK)
        die("fdl_store_quarantine_close: %s", err.message);

    int set = fdl_program_set(p, o.set);
    if (set < 0)
        die("unknown set %s", o.set);
    /* Counters and report before the reads: reads must not change them. */
    write_counts(store, p, fed_rows, order, norder, o.counts);
    if (fdl_store_write_report(store, o.report, NULL, true, &err) != FDL_OK)
        die("fdl_store_write_report: %s", err.message);
    read_spine(store, p, set, o.spine, o.out);
    fdl_store_close(store);
    for (int i = 0; i < o.nsources; i++)
        free((void *)o.source_names[i]);
    return 0;
}
