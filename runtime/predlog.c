/*
 * predlog.c - the prediction log: one JSON line per feature-set read on the
 * serving path, so that training/serving skew can be checked afterwards
 * against what was actually served (see fdl_store_log_open in fdlrt.h).
 *
 * A line names everything a later recomputation needs, by name rather than
 * position, so it stays readable by tools:
 *   {"set":"ranking_v1","fingerprint":"e894...","time":"2024-03-21T00:00:00Z",
 *    "keys":{"user_id":"u0001","product_id":"p0003"},"request":{"lat":48.85},
 *    "values":{"user_purchase_count_30d":2,"user_embedding":[0.5,-1.25],...}}
 * Floats are written to round-trip exactly (the same text as the training
 * set's cells), timestamps as RFC 3339 strings, nulls as null.
 *
 * Durability: a line is built whole in memory and handed to the kernel with
 * one write(2) on an O_APPEND descriptor before the read returns, so a line
 * counted in reads_logged survives the process being killed, and processes
 * appending to one log never interleave within a line. With FDL_LOG_FSYNC
 * each line is also on disk (fdatasync) before the read returns, so it
 * survives a power loss too.
 */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct fdl_predlog {
    int fd;             /* O_WRONLY | O_APPEND */
    unsigned flags;     /* FDL_LOG_* */
    char *path;         /* for messages */
};

void fdl_json_write_value(FILE *out, fdl_value v)
{
    char text[64];
    switch (v.type) {
    case FDL_NULL: fputs("null", out); return;
    case FDL_INT64: fprintf(out, "%" PRId64, v.as.i); return;
    case FDL_FLOAT64:
        fwrite(text, 1, fdl_format_float(v.as.f, text, sizeof text), out);
        return;
    case FDL_BOOL: fputs(v.as.b ? "true" : "false", out); return;
    case FDL_STRING: fdl_json_write_string(out, v.as.s.ptr ? v.as.s.ptr : "", v.as.s.len); return;
    case FDL_TIMESTAMP: {
        size_t n = fdl_format_time(v.as.t, text, sizeof text);
        fdl_json_write_string(out, text, n);
        return;
    }
    case FDL_VECTOR:
        putc('[', out);
        fdl_write_float_list(out, v.as.v, v.as.v ? v.dim : 0);
        putc(']', out);
        return;
    }
}

void fdl_write_json_value(void *file, fdl_value v)
{
    fdl_json_write_value(file, v);
}

static void write_name(FILE *out, const char *name)
{
    fdl_json_write_string(out, name, fdl_text_length(name));
    putc(':', out);
}

/* One line, written to a stream (a memory stream: see fdl_predlog_append). */
static bool write_line(FILE *out, const fdl_program *p, int set, const fdl_value *keys,
                       const fdl_value *request, fdl_time t, const fdl_value *values)
{
    const fdl_set_desc *desc = &p->sets[set];
    fputs("{\"set\":", out);
    fdl_json_write_string(out, desc->name, fdl_text_length(desc->name));
    fputs(",\"fingerprint\":", out);
    fdl_json_write_string(out, p->fingerprint, fdl_text_length(p->fingerprint));
    fputs(",\"time\":", out);
    fdl_json_write_value(out, fdl_timestamp(t));
    fputs(",\"keys\":{", out);
    int part = 0;
    for (int e = 0; e < desc->nentities; e++) {
        const fdl_entity_desc *entity = &p->entities[desc->entities[e]];
        for (int k = 0; k < entity->nkeys; k++, part++) {
            if (part > 0)
                putc(',', out);
            write_name(out, entity->join_keys[k]);
            fdl_json_write_value(out, keys[part]);
        }
    }
    fputs("},\"request\":{", out);
    for (int r = 0; r < desc->nrequests; r++) {
        if (r > 0)
            putc(',', out);
        write_name(out, p->requests[desc->requests[r]].name);
        fdl_json_write_value(out, request ? request[r] : fdl_null());
    }
    fputs("},\"values\":{", out);
    for (int f = 0; f < desc->nfeatures; f++) {
        if (f > 0)
            putc(',', out);
        write_name(out, p->features[desc->features[f]].name);
        fdl_json_write_value(out, values[f]);
    }
    fputs("}}\n", out);
    return !ferror(out);
}

fdl_status fdl_predlog_open(const char *path, unsigned flags, fdl_predlog **out, fdl_error *err)
{
    *out = NULL;
    fdl_predlog *log = malloc(sizeof *log);
    char *copy = malloc(strlen(path) + 1);
    if (!log || !copy) {
        free(log);
        free(copy);
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
    }
    /* 0666 filtered by the umask, as fopen(path, "a") would create it. */
    log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (log->fd < 0) {
        fdl_status status = fdl_error_set(err, FDL_ERR_IO, "cannot open the prediction log %s: %s",
                                          path, strerror(errno));
        free(log);
        free(copy);
        return status;
    }
    log->flags = flags;
    log->path = strcpy(copy, path);
    *out = log;
    return FDL_OK;
}

/* All of data with write(2), retrying after a signal. False when any part
 * failed, or when the data took more than one write: then it is not one
 * atomic append, and another appender may have come between the parts. */
static bool write_whole(int fd, const char *data, size_t size)
{
    bool one_write = true;
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        assert((size_t)n <= size);
        if ((size_t)n < size)
            one_write = false;
        data += n;
        size -= (size_t)n;
    }
    return one_write;
}

/* The line is built in a memory stream, then written with one write(2).
 * EINVAL from fdatasync means the file cannot be synced (a pipe, a
 * terminal): the line has reached its reader, which is all there is. */
bool fdl_predlog_append(fdl_predlog *log, const fdl_program *p, int set, const fdl_value *keys,
                        const fdl_value *request, fdl_time t, const fdl_value *values)
{
    char *line = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&line, &size);
    if (!out)
        return false;
    bool ok = write_line(out, p, set, keys, request, t, values);
    ok &= fclose(out) == 0;
    ok = ok && write_whole(log->fd, line, size);
    free(line);
    if (ok && (log->flags & FDL_LOG_FSYNC) && fdatasync(log->fd) != 0 && errno != EINVAL)
        ok = false;
    return ok;
}

fdl_status fdl_predlog_close(fdl_predlog *log, uint64_t errors, fdl_error *err)
{
    if (!log)
        return FDL_OK;
    bool closed = close(log->fd) == 0;
    fdl_status status = FDL_OK;
    if (!closed)
        status = fdl_error_set(err, FDL_ERR_IO, "prediction log %s: %s", log->path, strerror(errno));
    else if (errors > 0)
        status = fdl_error_set(err, FDL_ERR_IO, "prediction log %s: %llu reads could not be written",
                               log->path, (unsigned long long)errors);
    free(log->path);
    free(log);
    return status;
}
