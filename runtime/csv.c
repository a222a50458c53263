/*
 * csv.c - RFC 4180 CSV: a buffered streaming reader and a writer.
 *
 * The reader is the hot path of batch jobs. It reads the file in large
 * blocks and hands out fields as slices of its buffer: no allocation per
 * record or field, and a quoted field is unescaped in place (a doubled quote
 * shrinks to one, so the text only ever moves left). A record that runs past
 * the end of the buffer is moved to the front, the buffer grows if the
 * record fills it, and parsing resumes where it stopped: its state lives in
 * the reader, with positions as offsets that survive the move.
 *
 * Accepted: comma separators; fields optionally quoted with '"', a doubled
 * quote standing for one; quoted fields holding commas, CR and LF; records
 * ending at LF or CRLF, the last one possibly at end of file; a UTF-8 byte
 * order mark at the start; blank lines (skipped, but counted). Everything
 * else is an error naming the file and line.
 *
 * A file whose name ends in ".gz" is read through zlib (gzip, as written
 * by gzip(1) or Python's gzip module, several members allowed); any other
 * file with plain stdio reads, the fast path.
 */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"

#define CSV_BLOCK_SIZE ((size_t)1 << 20)

/* Where the parser stands inside the current record. */
typedef enum csv_state {
    CSV_FIELD_START,        /* nothing of the current field read yet */
    CSV_UNQUOTED,           /* inside an unquoted field */
    CSV_QUOTED,             /* inside quotes */
    CSV_QUOTE_IN_QUOTED,    /* just read a '"' inside quotes: doubled or closing */
    CSV_CARRIAGE_RETURN,    /* read the CR that must start a CRLF */
} csv_state;

struct fdl_csv_reader {
    FILE *file;                 /* a plain file; NULL when gz reads */
    gzFile gz;                  /* a ".gz" file */
    char *path;
    char *buffer;
    size_t capacity;
    size_t end;                 /* bytes of data in buffer */
    size_t position;            /* next byte to parse */
    size_t record_start;        /* first byte of the record being parsed */
    bool at_eof;
    bool failed;                /* a malformed record stops the reader for good */
    long line;                  /* line of the byte at position */
    long record_line;           /* line where the last record began */

    /* The record being parsed. */
    csv_state state;
    size_t field_start;         /* offset of the current field's text */
    size_t write;               /* where the next unescaped byte of a quoted field goes */
    bool field_quoted;
    int nfields;
    int field_capacity;
    size_t *starts;             /* field offsets until the record is complete */
    size_t *lengths;
    bool *quoted;
    const char **fields;        /* pointers handed out */
};

/* Bytes that end a run of plain text: in an unquoted field, and in quotes
 * (constant: readers run in several threads at once). */
static const unsigned char unquoted_stop[256] = {[','] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1, [0] = 1};
static const unsigned char quoted_stop[256] = {['"'] = 1, ['\n'] = 1, [0] = 1};

static fdl_status reader_error(fdl_csv_reader *reader, fdl_error *err, fdl_status status,
                               long line, const char *message)
{
    reader->failed = true;
    fdl_error_set(err, status, "%s:%ld: %s", reader->path, line, message);
    if (err) {
        snprintf(err->file, sizeof err->file, "%s", reader->path);
        err->line = line;
    }
    return status;
}

fdl_csv_reader *fdl_csv_open(const char *path, fdl_error *err)
{
    return fdl_csv_open_sized(path, CSV_BLOCK_SIZE, err);
}

/* Whether path names a gzip file (by its suffix). */
static bool gzip_name(const char *path)
{
    size_t length = strlen(path);
    return length > 3 && strcmp(path + length - 3, ".gz") == 0;
}

fdl_csv_reader *fdl_csv_open_sized(const char *path, size_t block_size, fdl_error *err)
{
    assert(block_size > 0);
    FILE *file = fopen(path, "rb");
    gzFile gz = NULL;
    if (file && gzip_name(path)) {
        /* zlib reads through a descriptor of its own; ours is closed. */
        int fd = dup(fileno(file));
        fclose(file);
        file = NULL;
        gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
        if (!gz) {
            if (fd >= 0)
                close(fd);
            fdl_error_set(err, FDL_ERR_IO, "%s: cannot open for gzip reading", path);
            if (err)
                snprintf(err->file, sizeof err->file, "%s", path);
            return NULL;
        }
        gzbuffer(gz, 1 << 17);
    } else if (!file) {
        fdl_error_set(err, FDL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        if (err)
            snprintf(err->file, sizeof err->file, "%s", path);
        return NULL;
    }
    fdl_csv_reader *reader = calloc(1, sizeof *reader);
    if (reader) {
        reader->path = malloc(strlen(path) + 1);
        reader->buffer = malloc(block_size);
    }
    if (!reader || !reader->path || !reader->buffer) {
        if (reader) {
            free(reader->path);
            free(reader->buffer);
        }
        free(reader);
        if (file)
            fclose(file);
        if (gz)
            gzclose(gz);
        fdl_error_set(err, FDL_ERR_MEMORY, "%s: out of memory opening the file", path);
        return NULL;
    }
    strcpy(reader->path, path);
    reader->file = file;
    reader->gz = gz;
    reader->capacity = block_size;
    reader->line = 1;
    reader->record_line = 1;
    return reader;
}

void fdl_csv_close(fdl_csv_reader *reader)
{
    if (!reader)
        return;
    if (reader->file)
        fclose(reader->file);
    if (reader->gz)
        gzclose(reader->gz);
    free(reader->path);
    free(reader->buffer);
    free(reader->starts);
    free(reader->lengths);
    free(reader->quoted);
    free((void *)reader->fields);
    free(reader);
}

long fdl_csv_line(const fdl_csv_reader *reader)
{
    return reader->record_line;
}

const char *fdl_csv_path(const fdl_csv_reader *reader)
{
    return reader->path;
}

/* refill's read from a gzip file: a corrupt or truncated file is an error. */
static bool refill_gzip(fdl_csv_reader *reader, fdl_error *err)
{
    size_t room = reader->capacity - reader->end;
    unsigned ask = room > (1u << 30) ? 1u << 30 : (unsigned)room;
    int n = gzread(reader->gz, reader->buffer + reader->end, ask);
    int code = Z_OK;
    const char *why = n <= 0 ? gzerror(reader->gz, &code) : NULL;
    if (n < 0 || (n == 0 && code != Z_OK)) {
        char message[300];
        snprintf(message, sizeof message, "gzip read error: %s",
                 code == Z_ERRNO ? strerror(errno) : why);
        reader_error(reader, err, FDL_ERR_IO, reader->line, message);
        return false;
    }
    reader->end += (size_t)n;
    if (n == 0)
        reader->at_eof = true;
    return true;
}

/*
 * Makes room and reads more data, keeping the unfinished record: moves it
 * to the front of the buffer (shifting every offset into it) and grows the
 * buffer when the record fills it. Returns false on a read or memory error.
 */
static bool refill(fdl_csv_reader *reader, fdl_error *err)
{
    size_t shift = reader->record_start;
    if (shift > 0) {
        memmove(reader->buffer, reader->buffer + shift, reader->end - shift);
        reader->end -= shift;
        reader->position -= shift;
        reader->record_start = 0;
        reader->field_start -= shift;
        reader->write -= shift;
        for (int i = 0; i < reader->nfields; i++)
            reader->starts[i] -= shift;
    }
    if (reader->end == reader->capacity) {
        size_t capacity = reader->capacity * 2;
        char *buffer = capacity > reader->capacity ? realloc(reader->buffer, capacity) : NULL;
        if (!buffer) {
            reader_error(reader, err, FDL_ERR_MEMORY, reader->record_line,
                         "out of memory: record too long");
            return false;
        }
        reader->buffer = buffer;
        reader->capacity = capacity;
    }
    if (reader->gz)
        return refill_gzip(reader, err);
    size_t n = fread(reader->buffer + reader->end, 1, reader->capacity - reader->end, reader->file);
    reader->end += n;
    if (n == 0) {
        if (ferror(reader->file)) {
            char message[300];
            snprintf(message, sizeof message, "read error: %s", strerror(errno));
            reader_error(reader, err, FDL_ERR_IO, reader->line, message);
            return false;
        }
        reader->at_eof = true;
    }
    return true;
}

static bool push_field(fdl_csv_reader *reader, size_t start, size_t length, bool quoted)
{
    if (reader->nfields == reader->field_capacity) {
        int capacity = reader->field_capacity ? reader->field_capacity * 2 : 16;
        size_t *starts = realloc(reader->starts, (size_t)capacity * sizeof *starts);
        if (!starts)
            return false;
        reader->starts = starts;
        size_t *lengths = realloc(reader->lengths, (size_t)capacity * sizeof *lengths);
        if (!lengths)
            return false;
        reader->lengths = lengths;
        bool *quoted_flags = realloc(reader->quoted, (size_t)capacity * sizeof *quoted_flags);
        if (!quoted_flags)
            return false;
        reader->quoted = quoted_flags;
        const char **fields = realloc((void *)reader->fields, (size_t)capacity * sizeof *fields);
        if (!fields)
            return false;
        reader->fields = fields;
        reader->field_capacity = capacity;
    }
    reader->starts[reader->nfields] = start;
    reader->lengths[reader->nfields] = length;
    reader->quoted[reader->nfields] = quoted;
    reader->nfields++;
    return true;
}

enum { PARSE_NEED_DATA, PARSE_RECORD, PARSE_ERROR };

/* Ends the current field at offset field_end (unquoted) or at write (quoted). */
static bool end_field(fdl_csv_reader *reader, size_t field_end)
{
    size_t end = reader->field_quoted ? reader->write : field_end;
    reader->state = CSV_FIELD_START;
    return push_field(reader, reader->field_start, end - reader->field_start, reader->field_quoted);
}

/*
 * Parses from position toward the end of one record. PARSE_NEED_DATA when
 * the data ran out first (the state is kept to resume after a refill).
 */
static int parse_record(fdl_csv_reader *reader, fdl_error *err)
{
    char *buffer = reader->buffer;
    size_t end = reader->end;
    size_t pos = reader->position;
    int result;

    for (;;) {
        if (pos == end) {
            result = PARSE_NEED_DATA;
            break;
        }
        switch (reader->state) {
        case CSV_FIELD_START:
            if (buffer[pos] == '"') {
                reader->field_quoted = true;
                reader->field_start = reader->write = ++pos;
                reader->state = CSV_QUOTED;
            } else {
                reader->field_quoted = false;
                reader->field_start = pos;
                reader->state = CSV_UNQUOTED;
            }
            continue;

        case CSV_UNQUOTED: {
            while (pos < end && !unquoted_stop[(unsigned char)buffer[pos]])
                pos++;
            if (pos == end)
                continue;
            char c = buffer[pos];
            if (c == ',' || c == '\n' || c == '\r') {
                if (!end_field(reader, pos))
                    goto out_of_memory;
                pos++;
                if (c == '\r') {
                    reader->state = CSV_CARRIAGE_RETURN;
                } else if (c == '\n') {
                    reader->line++;
                    result = PARSE_RECORD;
                    goto done;
                }
                continue;
            }
            reader->position = pos;
            reader_error(reader, err, FDL_ERR_FORMAT, reader->line,
                         c == '"' ? "quote inside an unquoted field (quote the whole field and double the quote)"
                                  : "NUL byte in field");
            return PARSE_ERROR;
        }

        case CSV_QUOTED: {
            size_t write = reader->write;
            if (write == pos) {
                /* No doubled quote yet: the text stays where it is. */
                while (pos < end && !quoted_stop[(unsigned char)buffer[pos]])
                    pos++;
                write = pos;
            } else {
                while (pos < end && !quoted_stop[(unsigned char)buffer[pos]])
                    buffer[write++] = buffer[pos++];
            }
            reader->write = write;
            if (pos == end)
                continue;
            char c = buffer[pos];
            if (c == '"') {
                pos++;
                reader->state = CSV_QUOTE_IN_QUOTED;
            } else if (c == '\n') {
                reader->line++;
                buffer[reader->write++] = buffer[pos++];
            } else {
                reader->position = pos;
                reader_error(reader, err, FDL_ERR_FORMAT, reader->line, "NUL byte in field");
                return PARSE_ERROR;
            }
            continue;
        }

        case CSV_QUOTE_IN_QUOTED: {
            char c = buffer[pos];
            if (c == '"') {
                buffer[reader->write++] = '"';
                pos++;
                reader->state = CSV_QUOTED;
                continue;
            }
            if (c == ',' || c == '\n' || c == '\r') {
                if (!end_field(reader, pos))
                    goto out_of_memory;
                pos++;
                if (c == '\r') {
                    reader->state = CSV_CARRIAGE_RETURN;
                } else if (c == '\n') {
                    reader->line++;
                    result = PARSE_RECORD;
                    goto done;
                }
                continue;
            }
            reader->position = pos;
            reader_error(reader, err, FDL_ERR_FORMAT, reader->line,
                         c == '\0' ? "NUL byte in field"
                                   : "characters after a closing quote (a quote inside a quoted field must be doubled)");
            return PARSE_ERROR;
        }

        case CSV_CARRIAGE_RETURN:
            if (buffer[pos] != '\n') {
                reader->position = pos;
                reader_error(reader, err, FDL_ERR_FORMAT, reader->line,
                             "carriage return not followed by a line feed");
                return PARSE_ERROR;
            }
            pos++;
            reader->line++;
            reader->state = CSV_FIELD_START;
            result = PARSE_RECORD;
            goto done;
        }
    }
done:
    reader->position = pos;
    return result;

out_of_memory:
    reader->position = pos;
    reader_error(reader, err, FDL_ERR_MEMORY, reader->line, "out of memory");
    return PARSE_ERROR;
}

/* The data ended inside a record: finishes it, or fails inside quotes. */
static int finish_at_eof(fdl_csv_reader *reader, fdl_error *err)
{
    switch (reader->state) {
    case CSV_FIELD_START:
        /* After a comma: one more, empty field. */
        if (!push_field(reader, reader->position, 0, false))
            break;
        return PARSE_RECORD;
    case CSV_UNQUOTED:
    case CSV_QUOTE_IN_QUOTED:
        if (!end_field(reader, reader->position))
            break;
        return PARSE_RECORD;
    case CSV_CARRIAGE_RETURN:
        reader->state = CSV_FIELD_START;
        return PARSE_RECORD;
    case CSV_QUOTED:
        reader_error(reader, err, FDL_ERR_FORMAT, reader->record_line,
                     "end of file inside a quoted field that starts on this line");
        return PARSE_ERROR;
    }
    reader_error(reader, err, FDL_ERR_MEMORY, reader->line, "out of memory");
    return PARSE_ERROR;
}

int fdl_csv_next(fdl_csv_reader *reader, const char ***fields, const size_t **lengths,
                 const bool **quoted, int *nfields, fdl_error *err)
{
    *nfields = 0;
    if (reader->failed) {
        fdl_error_set(err, FDL_ERR_FORMAT, "%s: reading on after an error", reader->path);
        return -1;
    }
    for (;;) {
        /* A new record. */
        reader->record_start = reader->position;
        reader->record_line = reader->line;
        reader->state = CSV_FIELD_START;
        reader->nfields = 0;
        int result;
        for (;;) {
            result = parse_record(reader, err);
            if (result != PARSE_NEED_DATA)
                break;
            if (reader->at_eof) {
                if (reader->position == reader->record_start)
                    return 0;
                result = finish_at_eof(reader, err);
                break;
            }
            bool at_start = reader->line == 1 && reader->record_start == 0 && reader->end == 0;
            if (!refill(reader, err))
                return -1;
            /* A UTF-8 byte order mark may begin the file: read its three
             * bytes before deciding, however small the first block. */
            while (at_start && reader->end < 3 && !reader->at_eof)
                if (!refill(reader, err))
                    return -1;
            if (at_start && reader->end >= 3 && memcmp(reader->buffer, "\xEF\xBB\xBF", 3) == 0)
                reader->position = reader->record_start = 3;
        }
        if (result == PARSE_ERROR)
            return -1;
        /* A blank line is no record. */
        if (reader->nfields == 1 && !reader->quoted[0] && reader->lengths[0] == 0)
            continue;
        for (int i = 0; i < reader->nfields; i++)
            reader->fields[i] = reader->buffer + reader->starts[i];
        *fields = reader->fields;
        *lengths = reader->lengths;
        *quoted = reader->quoted;
        *nfields = reader->nfields;
        return 1;
    }
}

/* ---------------------------------------------------------------- writer */

void fdl_csv_write_field(FILE *out, const char *text, size_t len, bool force_quotes)
{
    if (!text)
        return;
    /* A field that begins with a byte order mark is quoted: first in a file,
     * its BOM would otherwise read back as the file's own and be skipped. */
    bool quote = force_quotes || len == 0 || (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0);
    for (size_t i = 0; i < len && !quote; i++) {
        char c = text[i];
        quote = c == ',' || c == '"' || c == '\r' || c == '\n';
    }
    if (!quote) {
        fwrite(text, 1, len, out);
        return;
    }
    putc('"', out);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"') {
            /* Write through this quote, then start the next run at it: it
             * goes out twice. */
            fwrite(text + run, 1, i + 1 - run, out);
            run = i;
        }
    }
    fwrite(text + run, 1, len - run, out);
    putc('"', out);
}

/* The decimal text of v into out (at least 21 bytes), NUL-terminated, as
 * printf's "%" PRId64 writes it; returns the length. */
static size_t format_int64(int64_t v, char *out)
{
    char digits[20];
    uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    int n = 0;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    size_t len = 0;
    if (v < 0)
        out[len++] = '-';
    while (n > 0)
        out[len++] = digits[--n];
    out[len] = '\0';
    return len;
}

const char *fdl_value_cell_text(fdl_value v, char *buf, size_t size, size_t *len)
{
    char text[FDL_DTOA_SIZE];
    switch (v.type) {
    case FDL_STRING: *len = v.as.s.len; return v.as.s.ptr ? v.as.s.ptr : "";
    case FDL_INT64:
        *len = format_int64(v.as.i, text);
        break;
    case FDL_FLOAT64: *len = fdl_format_float(v.as.f, buf, size); return buf;
    case FDL_BOOL: *len = (size_t)snprintf(buf, size, "%s", v.as.b ? "true" : "false"); return buf;
    case FDL_TIMESTAMP: *len = fdl_format_time(v.as.t, buf, size); return buf;
    default: *len = 0; return NULL;
    }
    /* Cut to the buffer as snprintf would. */
    if (size == 0)
        return buf;
    if (*len >= size)
        *len = size - 1;
    memcpy(buf, text, *len);
    buf[*len] = '\0';
    return buf;
}

/*
 * Writes prefix, the values as round-trip floats separated by commas, and
 * suffix: formatted into a buffer on the stack and handed to stdio a few
 * kilobytes at a time (a 128-d vector in one fwrite), not byte by byte.
 */
static void write_float_list(FILE *out, const char *prefix, const double *values, int32_t count,
                             const char *suffix)
{
    char buffer[4096];
    size_t n = strlen(prefix);
    memcpy(buffer, prefix, n);
    for (int32_t i = 0; i < count; i++) {
        if (n + 1 + FDL_DTOA_SIZE > sizeof buffer) {
            fwrite(buffer, 1, n, out);
            n = 0;
        }
        if (i > 0)
            buffer[n++] = ',';
        n += fdl_dtoa(values[i], buffer + n);
    }
    size_t suffix_len = strlen(suffix);
    if (n + suffix_len > sizeof buffer) {
        fwrite(buffer, 1, n, out);
        n = 0;
    }
    memcpy(buffer + n, suffix, suffix_len);
    fwrite(buffer, 1, n + suffix_len, out);
}

void fdl_csv_write_value(FILE *out, fdl_value value)
{
    char text[64];
    size_t len;
    switch (value.type) {
    case FDL_NULL:
        return;
    case FDL_INT64:
    case FDL_FLOAT64:
    case FDL_BOOL:
    case FDL_TIMESTAMP: {
        const char *cell = fdl_value_cell_text(value, text, sizeof text, &len);
        fwrite(cell, 1, len, out);
        return;
    }
    case FDL_STRING:
        /* Never null here: an empty string is written as "". */
        fdl_csv_write_field(out, value.as.s.ptr ? value.as.s.ptr : "", value.as.s.len, false);
        return;
    case FDL_VECTOR:
        /* Numbers hold no quote or comma that needs escaping inside the
         * quotes, only the commas between them. */
        write_float_list(out, "\"[", value.as.v, value.as.v ? value.dim : 0, "]\"");
        return;
    }
}

void fdl_write_float_list(FILE *out, const double *values, int32_t count)
{
    write_float_list(out, "", values, count, "");
}
