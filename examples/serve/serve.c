/*
 * serve.c - an example feature service: the serving path of fdlc.
 *
 * It is built together with code fdlc generated (features.c/features.h) and
 * answers a line protocol on stdin/stdout, one request per line:
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
 *   report PATH                     writes the expectations' JSON report (as fdlc
 *                                   batch --report, without SLAs)
 *   quit
 *
 * Each answer is one line: "ok ..." (a JSON array for get) or "error: ...".
 * Keys are strings, or integers for int64-keyed entities; a key "-" is null.
 *
 * Usage: fdl-serve [--embedding NAME=PATH]... [--keep-history] [--log PATH]
 *                  [--quarantine PATH] [--now TIME] [--statistics-window SECONDS]
 * --log appends every vector served to PATH, one JSON line each (the
 * prediction log, see fdl_store_log_open). --quarantine appends each event
 * an expectation drops (fdl_store_quarantine_open). --now fixes the
 * processing time max_future compares with (default: the wall clock).
 * --statistics-window evaluates statistical expectations over the last
 * SECONDS of event time (fdl_store_set_statistics_window) instead of
 * everything since start.
 * An ingest answers "ok", "ok dropped: REASON" or "error: ...".
 * Embedding tables load from the paths in the definitions unless overridden.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features.h"

enum { MAX_FIELDS = 256, MAX_KEYS = 16 };

static void print_json_string(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_value(fdl_value v)
{
    char buf[64];
    switch (v.type) {
    case FDL_NULL: fputs("null", stdout); break;
    case FDL_INT64: printf("%lld", (long long)v.as.i); break;
    case FDL_FLOAT64: fdl_format_float(v.as.f, buf, sizeof buf); fputs(buf, stdout); break;
    case FDL_BOOL: fputs(v.as.b ? "true" : "false", stdout); break;
    case FDL_STRING: print_json_string(v.as.s.ptr, v.as.s.len); break;
    case FDL_TIMESTAMP:
        fdl_format_time(v.as.t, buf, sizeof buf);
        print_json_string(buf, strlen(buf));
        break;
    case FDL_VECTOR:
        putchar('[');
        for (int32_t i = 0; i < v.dim; i++) {
            fdl_format_float(v.as.v[i], buf, sizeof buf);
            printf("%s%s", i ? "," : "", buf);
        }
        putchar(']');
        break;
    }
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

static void do_ingest(fdl_store *store, char *rest)
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
    char *fields[MAX_FIELDS];
    size_t lengths[MAX_FIELDS];
    int n = split_csv(space + 1, fields, lengths, MAX_FIELDS);
    if (n != program->sources[source].nfields) {
        printf("error: source %s takes %d fields, got %d\n", rest, program->sources[source].nfields, n);
        return;
    }
    for (int i = 0; i < n; i++)
        if (fields[i])
            fields[i][lengths[i]] = '\0';
    fdl_error err = {0};
    fdl_status status = fdl_ingest_row(store, source, (const char *const *)fields, lengths, &err);
    if (status == FDL_DROPPED)
        puts("ok dropped");
    else if (status != FDL_OK)
        printf("error: %s\n", err.message);
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

static void do_get(fdl_store *store, char *rest)
{
    const fdl_program *program = fdl_store_program(store);
    char *words[MAX_KEYS + 2];
    char *assignments[MAX_FIELDS];
    int n = 0, nassignments = 0;
    for (char *w = strtok(rest, " "); w; w = strtok(NULL, " ")) {
        if (strchr(w, '=') && n > 0) {
            if (nassignments == MAX_FIELDS) {
                puts("error: too many request fields");
                return;
            }
            assignments[nassignments++] = w;
        } else if (n < MAX_KEYS + 2) {
            words[n++] = w;
        } else {
            puts("error: too many keys");
            return;
        }
    }
    if (n < 1) {
        puts("error: usage: get SET KEY... [@TIME] [NAME=VALUE...]");
        return;
    }
    int set = fdl_program_set(program, words[0]);
    if (set < 0) {
        printf("error: unknown feature set '%s'\n", words[0]);
        return;
    }
    const fdl_set_desc *desc = &program->sets[set];
    fdl_time t = fdl_now();
    fdl_error err = {0};
    if (n > 1 && words[n - 1][0] == '@') {
        const char *when = words[--n] + 1;
        if (fdl_parse_time(when, strlen(when), &t, &err) != FDL_OK) {
            printf("error: %s\n", err.message);
            return;
        }
    }
    /* One key per key column: a composite key takes all of its columns. */
    int nkeys = 0;
    for (int e = 0; e < desc->nentities; e++)
        nkeys += program->entities[desc->entities[e]].nkeys;
    if (n - 1 != nkeys) {
        printf("error: set %s takes %d keys (", desc->name, nkeys);
        for (int e = 0, i = 0; e < desc->nentities; e++)
            for (int k = 0; k < program->entities[desc->entities[e]].nkeys; k++)
                printf("%s%s", i++ ? ", " : "", program->entities[desc->entities[e]].join_keys[k]);
        printf("), got %d\n", n - 1);
        return;
    }
    fdl_value keys[MAX_KEYS];
    for (int e = 0, i = 0; e < desc->nentities; e++) {
        const fdl_entity_desc *entity = &program->entities[desc->entities[e]];
        for (int k = 0; k < entity->nkeys; k++, i++) {
            const char *word = words[i + 1];
            if (strcmp(word, "-") == 0)
                keys[i] = fdl_null();
            else if (fdl_parse_value(entity->key_types[k], word, strlen(word), &keys[i], &err) != FDL_OK) {
                printf("error: key %d (%s): %s\n", i + 1, entity->join_keys[k], err.message);
                return;
            }
        }
    }
    /* Request fields by name, parsed as their declared types. */
    fdl_value request[MAX_FIELDS];
    if (desc->nrequests > MAX_FIELDS) {
        puts("error: set has too many request fields for this example");
        return;
    }
    for (int r = 0; r < desc->nrequests; r++)
        request[r] = fdl_null();
    for (int i = 0; i < nassignments; i++) {
        char *value = strchr(assignments[i], '=');
        *value++ = '\0';
        int r = 0;
        while (r < desc->nrequests && strcmp(program->requests[desc->requests[r]].name, assignments[i]) != 0)
            r++;
        if (r == desc->nrequests) {
            printf("error: set %s has no request field '%s'\n", desc->name, assignments[i]);
            return;
        }
        const fdl_field_desc *field = &program->requests[desc->requests[r]];
        if (field->type == FDL_STRING)
            request[r] = fdl_string(value, strlen(value));
        else if (*value && fdl_parse_value(field->type, value, strlen(value), &request[r], &err) != FDL_OK) {
            printf("error: request field %s: %s\n", field->name, err.message);
            return;
        }
    }
    fdl_value out[256];
    if (desc->nfeatures > 256) {
        puts("error: set too large for this example");
        return;
    }
    if (fdl_read_set_request(store, set, keys, request, t, out, &err) != FDL_OK) {
        printf("error: %s\n", err.message);
        return;
    }
    fputs("ok [", stdout);
    for (int i = 0; i < desc->nfeatures; i++) {
        fputs(i ? ", " : "", stdout);
        print_value(out[i]);
    }
    puts("]");
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

int main(int argc, char **argv)
{
    fdl_store_options options = fdl_store_options_default();
    options.load_embeddings = false;
    const fdl_program *program = features_program();
    fdl_error err = {0};
    const char *overrides[64] = {0};
    const char *log_path = NULL, *quarantine_path = NULL;
    fdl_time now = 0;
    long long window_seconds = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep-history") == 0) {
            options.keep_history = true;
        } else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
            log_path = argv[++i];
        } else if (strcmp(argv[i], "--quarantine") == 0 && i + 1 < argc) {
            quarantine_path = argv[++i];
        } else if (strcmp(argv[i], "--statistics-window") == 0 && i + 1 < argc) {
            char *end;
            window_seconds = strtoll(argv[++i], &end, 10);
            if (*end || window_seconds <= 0 || window_seconds > INT64_MAX / FDL_MICROS_PER_SECOND) {
                fprintf(stderr, "fdl-serve: --statistics-window needs a positive number of seconds\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
            const char *text = argv[++i];
            if (fdl_parse_time(text, strlen(text), &now, &err) != FDL_OK) {
                fprintf(stderr, "fdl-serve: --now: %s\n", err.message);
                return 2;
            }
        } else if (strcmp(argv[i], "--embedding") == 0 && i + 1 < argc) {
            char *arg = argv[++i], *eq = strchr(arg, '=');
            int e = eq ? (*eq = '\0', fdl_program_embedding(program, arg)) : -1;
            if (e < 0 || e >= 64) {
                fprintf(stderr, "fdl-serve: --embedding needs NAME=PATH with a known NAME\n");
                return 2;
            }
            overrides[e] = eq + 1;
        } else {
            fprintf(stderr, "usage: fdl-serve [--embedding NAME=PATH]... [--keep-history] [--log PATH]"
                            " [--quarantine PATH] [--now TIME] [--statistics-window SECONDS]\n");
            return 2;
        }
    }
    fdl_store *store = fdl_store_open(program, &options, &err);
    if (!store) {
        fprintf(stderr, "fdl-serve: %s\n", err.message);
        return 2;
    }
    for (int e = 0; e < program->nembeddings; e++) {
        const char *path = e < 64 && overrides[e] ? overrides[e] : program->embeddings[e].default_path;
        if (fdl_store_load_embedding(store, e, path, &err) != FDL_OK) {
            fprintf(stderr, "fdl-serve: %s\n", err.message);
            fdl_store_close(store);
            return 2;
        }
    }
    if (now)
        fdl_store_set_processing_time(store, now);
    if (window_seconds)
        fdl_store_set_statistics_window(store, window_seconds * FDL_MICROS_PER_SECOND);
    if (quarantine_path && fdl_store_quarantine_open(store, quarantine_path, &err) != FDL_OK) {
        fprintf(stderr, "fdl-serve: %s\n", err.message);
        fdl_store_close(store);
        return 2;
    }
    if (log_path && fdl_store_log_open(store, log_path, &err) != FDL_OK) {
        fprintf(stderr, "fdl-serve: %s\n", err.message);
        fdl_store_close(store);
        return 2;
    }
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &capacity, stdin)) >= 0) {
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
            line[--length] = '\0';
        if (length == 0 || line[0] == '#')
            continue;
        if (strncmp(line, "ingest ", 7) == 0)
            do_ingest(store, line + 7);
        else if (strncmp(line, "get ", 4) == 0)
            do_get(store, line + 4);
        else if (strcmp(line, "schema") == 0)
            do_schema(store);
        else if (strcmp(line, "stats") == 0) {
            fdl_store_stats s;
            fdl_store_get_stats(store, &s);
            printf("ok events %llu null_key %llu late %llu out_of_order %llu evicted %llu entities %llu held %llu"
                   " logged %llu log_errors %llu tiles %llu\n",
                   (unsigned long long)s.events_ingested, (unsigned long long)s.events_null_key,
                   (unsigned long long)s.events_late, (unsigned long long)s.events_out_of_order,
                   (unsigned long long)s.events_evicted, (unsigned long long)s.entities,
                   (unsigned long long)s.events_held, (unsigned long long)s.reads_logged,
                   (unsigned long long)s.log_errors, (unsigned long long)s.tiles_held);
        } else if (strcmp(line, "checks") == 0) {
            do_checks(store);
        } else if (strncmp(line, "report ", 7) == 0) {
            if (fdl_store_write_report(store, line + 7, NULL, false, &err) != FDL_OK)
                printf("error: %s\n", err.message);
            else
                puts("ok");
        } else if (strcmp(line, "quit") == 0)
            break;
        else
            puts("error: unknown request (ingest, get, schema, stats, checks, report, quit)");
        fflush(stdout);
    }
    free(line);
    int status = 0;
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
