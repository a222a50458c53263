/*
 * serve.c - an example feature service: the serving path of fdlc.
 *
 * It is built together with code fdlc generated (fdlfeatures.c and
 * fdlfeatures.h, the default --name) and answers a line protocol on stdin/stdout, one request per line:
 *
 *   ingest SOURCE FIELD,FIELD,...   one event, fields as CSV in the source's
 *                                   field order (see `schema`); empty = null
 *   get SET KEY [KEY...] [@TIME] [NAME=VALUE...]
 *                                   the set's vector for the keys, as of TIME
 *                                   (RFC 3339 or epoch seconds) or now, with
 *                                   request-time fields; a field not given is null
 *   schema                          sources with their fields, sets with keys
 *   stats                           store counters
 *   checks                          the expectations' counters: per source, rows
 *                                   read/accepted/dropped/failed/clean, then each
 *                                   check broken at least once with its count
 *   report NAME                     writes the expectations' JSON report (as fdlc
 *                                   batch --report, without SLAs) to NAME in the
 *                                   --report-dir directory: only then, and NAME
 *                                   must be a plain file name
 *   quit
 *
 * Each answer is one line: "ok ..." (a JSON array for get) or "error: ...".
 * Keys are strings, or integers for int64-keyed entities; a key "-" is null.
 * A request line longer than --max-line bytes (default 1 MiB, newline not
 * counted) is answered "error: line too long ..." and skipped, never held.
 *
 * Usage: fdl-serve [--embedding NAME=PATH]... [--keep-history] [--log PATH]
 *                  [--log-fsync] [--quarantine PATH] [--now TIME]
 *                  [--statistics-window SECONDS] [--report-dir DIR]
 *                  [--max-line BYTES]
 * --log appends every vector served to PATH, one JSON line each (the
 * prediction log, see fdl_store_log_open): each line is written before the
 * answer, so it survives the process being killed; --log-fsync also syncs
 * it to disk (FDL_LOG_FSYNC). --quarantine appends each event an
 * expectation drops (fdl_store_quarantine_open). --now fixes the
 * processing time max_future compares with (default: the wall clock).
 * --statistics-window evaluates statistical expectations over the last
 * SECONDS of event time (fdl_store_set_statistics_window) instead of
 * everything since start. --report-dir allows `report NAME`, which
 * writes a temporary file in DIR and renames it to NAME, never over
 * anything but a regular file (not through a symbolic link).
 * An ingest answers "ok", "ok dropped" (an expectation dropped it) or "error: ...".
 * Embedding tables load from the paths in the definitions unless overridden.
 *
 * Exit status: 0 at end of input or quit; 2 for bad options, a failed
 * start, a read error on stdin, a write error on stdout, an allocation
 * failure, or a prediction log or quarantine that lost lines.
 */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdlfeatures.h"

enum { DEFAULT_MAX_LINE = 1 << 20, LARGEST_MAX_LINE = 1 << 30, MAX_REPORT_NAME = 255 };

/* The service's state beside the store: buffers sized from the program at
 * start (so no request can overflow them, whatever the definitions), and
 * the options requests depend on. */
typedef struct {
    char *line;             /* a request: max_line bytes and a NUL */
    size_t max_line;
    char **words;           /* get: keys and @TIME, max_words of them */
    int max_words;
    fdl_value *keys;        /* get: the most key columns of any set */
    fdl_value *request;     /* get: the most request fields of any set */
    fdl_value *out;         /* get: the most features of any set */
    char **fields;          /* ingest: the most fields of any source */
    size_t *lengths;
    const char *report_dir; /* NULL: `report` is refused */
    bool out_of_memory;     /* set by a request: stop after its answer */
} serve_state;

/* Values as JSON through the runtime's writer: valid UTF-8 whatever the bytes. */
static void print_value(fdl_value v)
{
    fdl_write_json_value(stdout, v);
}

/* Splits a CSV line in place (quotes allowed, "" inside quotes). NULL = empty unquoted. */
static int split_csv(char *line, char **fields, size_t *lengths, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        if (*p == '"') {
            char *out = ++p, *start = out;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            fields[n] = start;
            lengths[n] = (size_t)(out - start);
            if (*p && *p != ',')
                return -1;
        } else {
            char *start = p;
            while (*p && *p != ',')
                p++;
            fields[n] = p == start ? NULL : start;
            lengths[n] = (size_t)(p - start);
        }
        n++;
        if (!*p)
            return n;
        *p++ = '\0';
    }
}

/* An error answer; an allocation failure also ends the service (exit 2). */
static void answer_error(serve_state *st, const fdl_error *err)
{
    printf("error: %s\n", err->message);
    if (err->status == FDL_ERR_MEMORY)
        st->out_of_memory = true;
}

static void do_ingest(serve_state *st, fdl_store *store, char *rest)
{
    const fdl_program *program = fdl_store_program(store);
    char *space = strchr(rest, ' ');
    if (!space) {
        puts("error: usage: ingest SOURCE FIELD,FIELD,...");
        return;
    }
    *space = '\0';
    int source = fdl_program_source(program, rest);
    if (source < 0) {
        printf("error: unknown source '%s'\n", rest);
        return;
    }
    /* fields holds the most fields of any source: split_csv stops there. */
    int nfields = program->sources[source].nfields;
    int n = split_csv(space + 1, st->fields, st->lengths, nfields);
    if (n != nfields) {
        if (n < 0)
            printf("error: source %s takes %d fields: more given, or malformed CSV\n", rest, nfields);
        else
            printf("error: source %s takes %d fields, got %d\n", rest, nfields, n);
        return;
    }
    for (int i = 0; i < n; i++)
        if (st->fields[i])
            st->fields[i][st->lengths[i]] = '\0';
    fdl_error err = {0};
    fdl_status status = fdl_ingest_row(store, source, (const char *const *)st->fields, st->lengths, &err);
    if (status == FDL_DROPPED)
        puts("ok dropped");
    else if (status != FDL_OK)
        answer_error(st, &err);
    else
        puts("ok");
}

static void do_checks(fdl_store *store)
{
    const fdl_program *program = fdl_store_program(store);
    printf("ok");
    for (int s = 0; s < program->nsources; s++) {
        const fdl_source_desc *src = &program->sources[s];
        fdl_source_counts c;
        fdl_store_source_counts(store, s, &c);
        printf(" %s read %llu accepted %llu dropped %llu failed %llu clean %llu", src->name,
               (unsigned long long)c.read, (unsigned long long)c.accepted,
               (unsigned long long)c.dropped, (unsigned long long)c.failed,
               (unsigned long long)c.clean);
        for (int k = 0; k < src->nchecks; k++) {
            unsigned long long n = fdl_store_check_violations(store, s, k);
            if (n)
                printf(" [%d:%s%s%s]=%llu", k, src->checks[k].field >= 0 ? src->fields[src->checks[k].field].name : "",
                       src->checks[k].field >= 0 ? " " : "", src->checks[k].text, n);
        }
        printf(";");
    }
    putchar('\n');
}

static int set_key_columns(const fdl_program *program, const fdl_set_desc *desc)
{
    int nkeys = 0;
    for (int e = 0; e < desc->nentities; e++)
        nkeys += program->entities[desc->entities[e]].nkeys;
    return nkeys;
}

/* NAME=VALUE into request[], parsed as the field's declared type; a value
 * that is not given is null. False (answered) on an error. */
static bool parse_assignment(const fdl_program *program, const fdl_set_desc *desc, char *assignment,
                             fdl_value *request)
{
    char *value = strchr(assignment, '=');
    *value++ = '\0';
    int r = 0;
    while (r < desc->nrequests && strcmp(program->requests[desc->requests[r]].name, assignment) != 0)
        r++;
    if (r == desc->nrequests) {
        printf("error: set %s has no request field '%s'\n", desc->name, assignment);
        return false;
    }
    const fdl_field_desc *field = &program->requests[desc->requests[r]];
    fdl_error err = {0};
    if (field->type == FDL_STRING)
        request[r] = fdl_string(value, strlen(value));
    else if (*value && fdl_parse_value(field->type, value, strlen(value), &request[r], &err) != FDL_OK) {
        printf("error: request field %s: %s\n", field->name, err.message);
        return false;
    }
    return true;
}

/* One key per key column: a composite key takes all of its columns. */
static bool parse_keys(const fdl_program *program, const fdl_set_desc *desc, char **words,
                       fdl_value *keys)
{
    fdl_error err = {0};
    for (int e = 0, i = 0; e < desc->nentities; e++) {
        const fdl_entity_desc *entity = &program->entities[desc->entities[e]];
        for (int k = 0; k < entity->nkeys; k++, i++) {
            const char *word = words[i];
            if (strcmp(word, "-") == 0)
                keys[i] = fdl_null();
            else if (fdl_parse_value(entity->key_types[k], word, strlen(word), &keys[i], &err) != FDL_OK) {
                printf("error: key %d (%s): %s\n", i + 1, entity->join_keys[k], err.message);
                return false;
            }
        }
    }
    return true;
}

static void wrong_key_count(const fdl_program *program, const fdl_set_desc *desc, int given)
{
    printf("error: set %s takes %d keys (", desc->name, set_key_columns(program, desc));
    for (int e = 0, i = 0; e < desc->nentities; e++)
        for (int k = 0; k < program->entities[desc->entities[e]].nkeys; k++)
            printf("%s%s", i++ ? ", " : "", program->entities[desc->entities[e]].join_keys[k]);
    printf("), got %d\n", given);
}

/* get SET KEY... [@TIME] [NAME=VALUE...]: words beyond the set's keys and
 * @TIME are counted, not stored, so st->words (the longest set's key
 * columns and one) always has room. */
static void do_get(serve_state *st, fdl_store *store, char *rest)
{
    const fdl_program *program = fdl_store_program(store);
    char *save = NULL;
    char *name = strtok_r(rest, " ", &save);
    if (!name) {
        puts("error: usage: get SET KEY... [@TIME] [NAME=VALUE...]");
        return;
    }
    int set = fdl_program_set(program, name);
    if (set < 0) {
        printf("error: unknown feature set '%s'\n", name);
        return;
    }
    const fdl_set_desc *desc = &program->sets[set];
    for (int r = 0; r < desc->nrequests; r++)
        st->request[r] = fdl_null();
    int n = 0;
    char *last = NULL;
    for (char *w = strtok_r(NULL, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (strchr(w, '=')) {
            if (!parse_assignment(program, desc, w, st->request))
                return;
            continue;
        }
        if (n < st->max_words)
            st->words[n] = w;
        n++;
        last = w;
    }
    fdl_time t = fdl_now();
    fdl_error err = {0};
    if (last && last[0] == '@') {
        n--;
        if (fdl_parse_time(last + 1, strlen(last + 1), &t, &err) != FDL_OK) {
            printf("error: %s\n", err.message);
            return;
        }
    }
    if (n != set_key_columns(program, desc)) {
        wrong_key_count(program, desc, n);
        return;
    }
    assert(n <= st->max_words);
    if (!parse_keys(program, desc, st->words, st->keys))
        return;
    if (fdl_read_set_request(store, set, st->keys, st->request, t, st->out, &err) != FDL_OK) {
        answer_error(st, &err);
        return;
    }
    fputs("ok [", stdout);
    for (int i = 0; i < desc->nfeatures; i++) {
        fputs(i ? ", " : "", stdout);
        print_value(st->out[i]);
    }
    puts("]");
}

/* A name `report` may write in --report-dir: no directory part, no hidden
 * or special name ("." and ".." included), not empty, not too long. */
static bool plain_file_name(const char *name)
{
    size_t len = strlen(name);
    return len > 0 && len <= MAX_REPORT_NAME && name[0] != '.' && !strchr(name, '/');
}

/* The report into dir/name, never over anything but a regular file of that
 * directory (not through a symbolic link, which could lead out of it).
 * fdl_store_write_report writes through a temporary renamed into place, so
 * a reader never sees half a report. False and err set on failure. */
static bool write_report(fdl_store *store, const char *dir, const char *name, fdl_error *err)
{
    size_t size = strlen(dir) + strlen(name) + 2;
    char *target = malloc(size);
    if (!target) {
        fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
        return false;
    }
    snprintf(target, size, "%s/%s", dir, name);
    struct stat info;
    bool ok = false;
    if (lstat(target, &info) == 0 && !S_ISREG(info.st_mode))
        fdl_error_set(err, FDL_ERR_IO, "report %s: exists and is not a regular file", name);
    else
        ok = fdl_store_write_report(store, target, NULL, false, err) == FDL_OK;
    free(target);
    return ok;
}

static void do_report(serve_state *st, fdl_store *store, const char *name)
{
    fdl_error err = {0};
    if (!st->report_dir)
        puts("error: report: fdl-serve was started without --report-dir DIR");
    else if (!plain_file_name(name))
        puts("error: report NAME: a plain file name, without '/', not starting with '.'");
    else if (!write_report(store, st->report_dir, name, &err))
        answer_error(st, &err);
    else
        puts("ok");
}

static void do_schema(fdl_store *store)
{
    const fdl_program *p = fdl_store_program(store);
    printf("ok program %s fingerprint %s\n", p->name, p->fingerprint);
    for (int s = 0; s < p->nsources; s++) {
        printf("source %s:", p->sources[s].name);
        for (int f = 0; f < p->sources[s].nfields; f++)
            printf("%s %s %s", f ? "," : "", p->sources[s].fields[f].name,
                   fdl_type_name(p->sources[s].fields[f].type));
        putchar('\n');
    }
    for (int s = 0; s < p->nsets; s++) {
        printf("set %s keys", p->sets[s].name);
        for (int e = 0; e < p->sets[s].nentities; e++)
            for (int k = 0; k < p->entities[p->sets[s].entities[e]].nkeys; k++)
                printf(" %s", p->entities[p->sets[s].entities[e]].join_keys[k]);
        printf(" features");
        for (int f = 0; f < p->sets[s].nfeatures; f++)
            printf(" %s", p->features[p->sets[s].features[f]].name);
        if (p->sets[s].nrequests) {
            printf(" request");
            for (int r = 0; r < p->sets[s].nrequests; r++)
                printf(" %s=%s", p->requests[p->sets[s].requests[r]].name,
                       fdl_type_name(p->requests[p->sets[s].requests[r]].type));
        }
        putchar('\n');
    }
    puts("end");
}

static void do_stats(fdl_store *store)
{
    fdl_store_stats s;
    fdl_store_get_stats(store, &s);
    printf("ok events %llu null_key %llu late %llu out_of_order %llu evicted %llu entities %llu held %llu"
           " logged %llu log_errors %llu tiles %llu\n",
           (unsigned long long)s.events_ingested, (unsigned long long)s.events_null_key,
           (unsigned long long)s.events_late, (unsigned long long)s.events_out_of_order,
           (unsigned long long)s.events_evicted, (unsigned long long)s.entities,
           (unsigned long long)s.events_held, (unsigned long long)s.reads_logged,
           (unsigned long long)s.log_errors, (unsigned long long)s.tiles_held);
}

typedef enum { LINE_OK, LINE_TOO_LONG, LINE_END, LINE_ERROR } line_status;

/* One request line into st->line without its newline (a last line without
 * one counts too). A line over st->max_line bytes is read to its end but
 * not kept: LINE_TOO_LONG. LINE_END at end of input, LINE_ERROR when
 * reading fails, which is not the end of the requests. */
static line_status read_line(serve_state *st, FILE *in, size_t *length)
{
    size_t n = 0;
    bool too_long = false;
    int c;
    while ((c = getc(in)) != EOF && c != '\n') {
        if (n < st->max_line)
            st->line[n++] = (char)c;
        else
            too_long = true;
    }
    if (c == EOF && ferror(in))
        return LINE_ERROR;
    if (c == EOF && n == 0 && !too_long)
        return LINE_END;
    assert(n <= st->max_line);
    st->line[n] = '\0';
    *length = n;
    return too_long ? LINE_TOO_LONG : LINE_OK;
}

/* One request, answered on stdout. False for quit. */
static bool serve_request(serve_state *st, fdl_store *store, char *line)
{
    if (strncmp(line, "ingest ", 7) == 0)
        do_ingest(st, store, line + 7);
    else if (strncmp(line, "get ", 4) == 0)
        do_get(st, store, line + 4);
    else if (strcmp(line, "schema") == 0)
        do_schema(store);
    else if (strcmp(line, "stats") == 0)
        do_stats(store);
    else if (strcmp(line, "checks") == 0)
        do_checks(store);
    else if (strncmp(line, "report ", 7) == 0)
        do_report(st, store, line + 7);
    else if (strcmp(line, "quit") == 0)
        return false;
    else
        puts("error: unknown request (ingest, get, schema, stats, checks, report, quit)");
    return true;
}

/* Requests until end of input or quit. 0, or 2 after a read error on
 * stdin, a write error on stdout or an allocation failure (each said on
 * stderr): later requests would be lost, or their answers. */
static int serve_loop(serve_state *st, fdl_store *store)
{
    for (;;) {
        size_t length = 0;
        line_status got = read_line(st, stdin, &length);
        if (got == LINE_END)
            return 0;
        if (got == LINE_ERROR) {
            fprintf(stderr, "fdl-serve: reading requests: %s\n", strerror(errno));
            return 2;
        }
        while (length > 0 && st->line[length - 1] == '\r')
            st->line[--length] = '\0';
        bool go_on = true;
        if (got == LINE_TOO_LONG)
            printf("error: line too long (more than %zu bytes, see --max-line)\n", st->max_line);
        else if (length > 0 && st->line[0] != '#')
            go_on = serve_request(st, store, st->line);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "fdl-serve: writing answers: %s\n", strerror(errno));
            return 2;
        }
        if (st->out_of_memory) {
            fprintf(stderr, "fdl-serve: out of memory\n");
            return 2;
        }
        if (!go_on)
            return 0;
    }
}

/* The buffers of st, sized from the program's largest set and source
 * (and one more, so that no size is 0). False when out of memory. */
static bool serve_state_alloc(serve_state *st, const fdl_program *program)
{
    int keys = 0, requests = 0, features = 0, fields = 0;
    for (int s = 0; s < program->nsets; s++) {
        const fdl_set_desc *desc = &program->sets[s];
        int n = set_key_columns(program, desc);
        keys = n > keys ? n : keys;
        requests = desc->nrequests > requests ? desc->nrequests : requests;
        features = desc->nfeatures > features ? desc->nfeatures : features;
    }
    for (int s = 0; s < program->nsources; s++)
        fields = program->sources[s].nfields > fields ? program->sources[s].nfields : fields;
    st->max_words = keys + 1;   /* the keys and @TIME */
    st->line = malloc(st->max_line + 1);
    st->words = calloc((size_t)st->max_words + 1, sizeof *st->words);
    st->keys = calloc((size_t)keys + 1, sizeof *st->keys);
    st->request = calloc((size_t)requests + 1, sizeof *st->request);
    st->out = calloc((size_t)features + 1, sizeof *st->out);
    st->fields = calloc((size_t)fields + 1, sizeof *st->fields);
    st->lengths = calloc((size_t)fields + 1, sizeof *st->lengths);
    return st->line && st->words && st->keys && st->request && st->out && st->fields && st->lengths;
}

static void serve_state_free(serve_state *st)
{
    free(st->line);
    free(st->words);
    free(st->keys);
    free(st->request);
    free(st->out);
    free(st->fields);
    free(st->lengths);
}

/* The command line. overrides: per embedding of the program, NULL = the
 * definitions' path. */
typedef struct {
    fdl_store_options store;
    const char **overrides;
    const char *log_path, *quarantine_path, *report_dir;
    unsigned log_flags;
    fdl_time now;
    long long window_seconds;
    size_t max_line;
} serve_options;

static const char USAGE[] =
    "usage: fdl-serve [--embedding NAME=PATH]... [--keep-history] [--log PATH] [--log-fsync]"
    " [--quarantine PATH] [--now TIME] [--statistics-window SECONDS] [--report-dir DIR]"
    " [--max-line BYTES]\n";

/* One option with a value at argv[*i + 1]; false (said on stderr) when bad. */
static bool parse_valued_option(serve_options *o, const fdl_program *program, char **argv, int *i)
{
    const char *option = argv[*i], *value = argv[++*i];
    char *end;
    fdl_error err = {0};
    if (strcmp(option, "--log") == 0) {
        o->log_path = value;
    } else if (strcmp(option, "--quarantine") == 0) {
        o->quarantine_path = value;
    } else if (strcmp(option, "--report-dir") == 0) {
        struct stat info;
        if (stat(value, &info) != 0 || !S_ISDIR(info.st_mode)) {
            fprintf(stderr, "fdl-serve: --report-dir %s: not a directory\n", value);
            return false;
        }
        o->report_dir = value;
    } else if (strcmp(option, "--max-line") == 0) {
        errno = 0;
        long long n = strtoll(value, &end, 10);
        if (*end || end == value || errno || n <= 0 || n > LARGEST_MAX_LINE) {
            fprintf(stderr, "fdl-serve: --max-line needs a number of bytes from 1 to %d\n", LARGEST_MAX_LINE);
            return false;
        }
        o->max_line = (size_t)n;
    } else if (strcmp(option, "--statistics-window") == 0) {
        o->window_seconds = strtoll(value, &end, 10);
        if (*end || o->window_seconds <= 0 || o->window_seconds > INT64_MAX / FDL_MICROS_PER_SECOND) {
            fprintf(stderr, "fdl-serve: --statistics-window needs a positive number of seconds\n");
            return false;
        }
    } else if (strcmp(option, "--now") == 0) {
        if (fdl_parse_time(value, strlen(value), &o->now, &err) != FDL_OK) {
            fprintf(stderr, "fdl-serve: --now: %s\n", err.message);
            return false;
        }
    } else if (strcmp(option, "--embedding") == 0) {
        char *arg = argv[*i], *eq = strchr(arg, '=');
        int e = eq ? (*eq = '\0', fdl_program_embedding(program, arg)) : -1;
        if (e < 0) {
            fprintf(stderr, "fdl-serve: --embedding needs NAME=PATH with a known NAME\n");
            return false;
        }
        o->overrides[e] = eq + 1;
    } else {
        fputs(USAGE, stderr);
        return false;
    }
    return true;
}

static bool parse_options(serve_options *o, const fdl_program *program, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep-history") == 0) {
            o->store.keep_history = true;
        } else if (strcmp(argv[i], "--log-fsync") == 0) {
            o->log_flags |= FDL_LOG_FSYNC;
        } else if (i + 1 < argc && strncmp(argv[i], "--", 2) == 0) {
            if (!parse_valued_option(o, program, argv, &i))
                return false;
        } else {
            fputs(USAGE, stderr);
            return false;
        }
    }
    return true;
}

/* The store with its embeddings, quarantine and log; NULL (said on stderr)
 * on failure. */
static fdl_store *open_store(const fdl_program *program, const serve_options *o)
{
    fdl_error err = {0};
    fdl_store *store = fdl_store_open(program, &o->store, &err);
    if (!store) {
        fprintf(stderr, "fdl-serve: %s\n", err.message);
        return NULL;
    }
    bool ok = true;
    for (int e = 0; ok && e < program->nembeddings; e++) {
        const char *path = o->overrides[e] ? o->overrides[e] : program->embeddings[e].default_path;
        ok = fdl_store_load_embedding(store, e, path, &err) == FDL_OK;
    }
    if (o->now)
        fdl_store_set_processing_time(store, o->now);
    if (o->window_seconds)
        fdl_store_set_statistics_window(store, o->window_seconds * FDL_MICROS_PER_SECOND);
    ok = ok && (!o->quarantine_path || fdl_store_quarantine_open(store, o->quarantine_path, &err) == FDL_OK);
    ok = ok && (!o->log_path || fdl_store_log_open_flags(store, o->log_path, o->log_flags, &err) == FDL_OK);
    if (!ok) {
        fprintf(stderr, "fdl-serve: %s\n", err.message);
        fdl_store_close(store);
        return NULL;
    }
    return store;
}

/* Closes the quarantine, the log and the store: 2 when a file lost lines. */
static int close_store(fdl_store *store)
{
    int status = 0;
    fdl_error err = {0};
    if (fdl_store_quarantine_close(store, &err) != FDL_OK) {
        fprintf(stderr, "fdl-serve: %s\n", err.message);
        status = 2;
    }
    if (fdl_store_log_close(store, &err) != FDL_OK) {
        fprintf(stderr, "fdl-serve: %s\n", err.message);
        status = 2;
    }
    fdl_store_close(store);
    return status;
}

int main(int argc, char **argv)
{
    const fdl_program *program = fdlfeatures_program();
    serve_options o = {.store = fdl_store_options_default(), .max_line = DEFAULT_MAX_LINE};
    o.store.load_embeddings = false;
    o.overrides = calloc((size_t)program->nembeddings + 1, sizeof *o.overrides);
    serve_state st = {.max_line = DEFAULT_MAX_LINE};
    int status = 2;
    if (!o.overrides) {
        fprintf(stderr, "fdl-serve: out of memory\n");
    } else if (parse_options(&o, program, argc, argv)) {
        st.max_line = o.max_line;
        st.report_dir = o.report_dir;
        if (!serve_state_alloc(&st, program)) {
            fprintf(stderr, "fdl-serve: out of memory (--max-line %zu)\n", st.max_line);
        } else {
            fdl_store *store = open_store(program, &o);
            if (store) {
                status = serve_loop(&st, store);
                int closed = close_store(store);
                status = status ? status : closed;
            }
        }
    }
    serve_state_free(&st);
    free(o.overrides);
    return status;
}
