/*
 * test_csv.c - the RFC 4180 reader and writer: quoting, line endings, line
 * numbers, malformed input with its exact errors, binary garbage, records
 * larger than the read buffer, and writer/reader round trips.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static char temp_dir[64];
static char path[128];

static int make_temp_dir(void **state)
{
    (void)state;
    strcpy(temp_dir, "/tmp/fdl_test_csv_XXXXXX");
    return mkdtemp(temp_dir) ? 0 : -1;
}

static int remove_temp_dir(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(temp_dir);
}

static const char *write_file(const char *data, size_t len)
{
    snprintf(path, sizeof path, "%s/input.csv", temp_dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* A growable text, for dumps. */
typedef struct text {
    char *data;
    size_t len, cap;
} text;

static void append(text *t, const char *data, size_t len)
{
    if (t->len + len + 1 > t->cap) {
        t->cap = (t->len + len + 1) * 2;
        t->data = realloc(t->data, t->cap);
        assert_non_null(t->data);
    }
    memcpy(t->data + t->len, data, len);
    t->len += len;
    t->data[t->len] = '\0';
}

/*
 * Reads the whole file into "line:field|field\n" per record; a quoted field
 * shows as <text>; CR and LF inside fields as \r and \n. On an error the
 * dump ends with "error: message".
 */
static char *dump(const char *data, size_t len)
{
    write_file(data, len);
    fdl_error err = {0};
    fdl_csv_reader *reader = fdl_csv_open(path, &err);
    assert_non_null(reader);
    text out = {0};
    append(&out, "", 0);
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields, result;
    while ((result = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, &err)) == 1) {
        char line[32];
        append(&out, line, (size_t)snprintf(line, sizeof line, "%ld:", fdl_csv_line(reader)));
        for (int i = 0; i < nfields; i++) {
            if (i > 0)
                append(&out, "|", 1);
            if (quoted[i])
                append(&out, "<", 1);
            for (size_t j = 0; j < lengths[i]; j++) {
                char c = fields[i][j];
                if (c == '\n')
                    append(&out, "\\n", 2);
                else if (c == '\r')
                    append(&out, "\\r", 2);
                else
                    append(&out, &c, 1);
            }
            if (quoted[i])
                append(&out, ">", 1);
        }
        append(&out, "\n", 1);
    }
    if (result < 0) {
        append(&out, "error: ", 7);
        append(&out, err.message, strlen(err.message));
        assert_string_equal(err.file, path);
        assert_true(err.line > 0);
        assert_int_equal(err.status, FDL_ERR_FORMAT);
        /* The reader stays failed. */
        assert_int_equal(fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, &err), -1);
    }
    fdl_csv_close(reader);
    return out.data;
}

static void expect_dump(const char *data, const char *expected)
{
    char *got = dump(data, strlen(data));
    assert_string_equal(got, expected);
    free(got);
}

static void expect_error(const char *data, size_t len, long line, const char *message)
{
    char *got = dump(data, len);
    char *error = strstr(got, "error: ");
    if (!error) {
        print_error("no error in:\n%s\n", got);
        fail();
    }
    char expected[512];
    snprintf(expected, sizeof expected, "error: %s:%ld: %s", path, line, message);
    assert_string_equal(error, expected);
    free(got);
}

/* ----------------------------------------------------------------- reader */

static void reads_plain_and_quoted_fields(void **state)
{
    (void)state;
    expect_dump("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
    expect_dump("\"a,b\",\"say \"\"hi\"\"\",\"\"\nx,,\"\"\"\"\n",
                "1:<a,b>|<say \"hi\">|<>\n2:x||<\">\n");
    expect_dump("a,\n,\n", "1:a|\n2:|\n");
    expect_dump("\"\"\n", "1:<>\n");
    expect_dump(" a , b \n", "1: a | b \n");
    expect_dump("caf\xc3\xa9,\xe2\x82\xac\n", "1:caf\xc3\xa9|\xe2\x82\xac\n");
}

static void reads_line_endings_and_final_records(void **state)
{
    (void)state;
    expect_dump("a,b\r\nc,d\r\n", "1:a|b\n2:c|d\n");
    expect_dump("\"a\"\r\n\"b\"\r\n", "1:<a>\n2:<b>\n");
    expect_dump("a,b\nc,d", "1:a|b\n2:c|d\n");
    expect_dump("a,b\nc,", "1:a|b\n2:c|\n");
    expect_dump("a\n\"c\"", "1:a\n2:<c>\n");
    expect_dump("a\r\n\"c\"\r\n", "1:a\n2:<c>\n");
    expect_dump("", "");
    expect_dump("\n", "");
    expect_dump("\r\n\n", "");
}

static void blank_lines_are_skipped_but_counted(void **state)
{
    (void)state;
    expect_dump("a\n\n\nb\n\r\nc", "1:a\n4:b\n6:c\n");
    expect_dump("\n\na,b\n", "3:a|b\n");
}

static void quoted_newlines_keep_line_numbers(void **state)
{
    (void)state;
    expect_dump("id,text\n1,\"line1\nline2\"\n2,x\n3,\"a\r\nb\r\n\",y\n4,z\n",
                "1:id|text\n2:1|<line1\\nline2>\n4:2|x\n5:3|<a\\r\\nb\\r\\n>|y\n8:4|z\n");
}

static void skips_a_byte_order_mark(void **state)
{
    (void)state;
    expect_dump("\xEF\xBB\xBF" "a,b\n1,2", "1:a|b\n2:1|2\n");
    expect_dump("\xEF\xBB\xBF", "");
    expect_dump("\xEF\xBB\xBF\"q\"\n", "1:<q>\n");
    /* Only at the start of the file. */
    expect_dump("a\n\xEF\xBB\xBF" "b\n", "1:a\n2:\xEF\xBB\xBF" "b\n");
}

static void malformed_records_name_file_and_line(void **state)
{
    (void)state;
    expect_error("a\"b,c\n", 6, 1,
                 "quote inside an unquoted field (quote the whole field and double the quote)");
    expect_error("h\n\"ab\"c\n", 8, 2,
                 "characters after a closing quote (a quote inside a quoted field must be doubled)");
    expect_error("h\n\"ab\" \n", 8, 2,
                 "characters after a closing quote (a quote inside a quoted field must be doubled)");
    expect_error("x\n\"abc\ndef", 10, 2, "end of file inside a quoted field that starts on this line");
    expect_error("\"", 1, 1, "end of file inside a quoted field that starts on this line");
    expect_error("a\0b\n", 4, 1, "NUL byte in field");
    expect_error("\"a\0b\"\n", 6, 1, "NUL byte in field");
    expect_error("\"ab\"\0\n", 6, 1, "NUL byte in field");
    expect_error("a\rb\n", 4, 1, "carriage return not followed by a line feed");
    expect_error("\"a\"\rb\n", 6, 1, "carriage return not followed by a line feed");
    /* The line of the error itself, after a multi-line field. */
    expect_error("h\n\"a\nb\"\nx\"y\n", 12, 4,
                 "quote inside an unquoted field (quote the whole field and double the quote)");
    /* Records before the error are read. */
    char *got = dump("a\nb\nc\"\n", 7);
    assert_ptr_equal(strstr(got, "error: "), got + 8);
    assert_memory_equal(got, "1:a\n2:b\n", 8);
    free(got);
}

static void missing_file_is_an_io_error(void **state)
{
    (void)state;
    fdl_error err = {0};
    char missing[128];
    snprintf(missing, sizeof missing, "%s/no-such-file.csv", temp_dir);
    assert_null(fdl_csv_open(missing, &err));
    assert_int_equal(err.status, FDL_ERR_IO);
    char expected[256];
    snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory", missing);
    assert_string_equal(err.message, expected);
    assert_string_equal(err.file, missing);
    assert_null(fdl_csv_open(missing, NULL));
}

static uint64_t random_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return random_state * 0x2545F4914F6CDD1DULL;
}

/* Reads the whole file, accepting any outcome, and checks the invariants. */
static void read_anything(const char *data, size_t len)
{
    write_file(data, len);
    fdl_csv_reader *reader = fdl_csv_open(path, NULL);
    assert_non_null(reader);
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields, result;
    long previous_line = 0;
    while ((result = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, NULL)) == 1) {
        assert_true(nfields >= 1);
        assert_true(fdl_csv_line(reader) > previous_line);
        previous_line = fdl_csv_line(reader);
        for (int i = 0; i < nfields; i++) {
            assert_non_null(fields[i]);
            assert_null(memchr(fields[i], '\0', lengths[i]));
        }
    }
    assert_true(result == 0 || result == -1);
    fdl_csv_close(reader);
}

static void binary_garbage_never_crashes(void **state)
{
    (void)state;
    size_t len = 1 << 20;
    char *data = malloc(len);
    assert_non_null(data);
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < len; i++)
            data[i] = (char)next_random();
        read_anything(data, len);
    }
    /* Bytes the parser cares about, densely mixed, at many lengths. */
    static const char alphabet[] = {'a', ',', '"', '\n', '\r', '\0', '"', ','};
    for (int round = 0; round < 3000; round++) {
        size_t n = next_random() % 64;
        for (size_t i = 0; i < n; i++)
            data[i] = alphabet[next_random() % sizeof alphabet];
        read_anything(data, n);
    }
    free(data);
}

static void a_field_larger_than_the_buffer(void **state)
{
    (void)state;
    /* Longer than the 1 MiB read block: the record moves and the buffer
     * grows twice; doubled quotes and newlines run all through it. */
    size_t field_len = (3u << 20) + 12345;
    size_t cap = field_len * 2 + 100;
    char *data = malloc(cap);
    char *expected = malloc(field_len + 1);
    assert_non_null(data);
    assert_non_null(expected);
    size_t n = 0, e = 0;
    long newlines = 0;
    n += (size_t)sprintf(data + n, "head,x\nk,\"");
    while (e < field_len) {
        char c = "abc\"d\nef,"[e % 9];
        expected[e++] = c;
        if (c == '"')
            data[n++] = '"';
        newlines += c == '\n';
        data[n++] = c;
    }
    n += (size_t)sprintf(data + n, "\"\nlast,1\n");
    write_file(data, n);

    fdl_error err = {0};
    fdl_csv_reader *reader = fdl_csv_open(path, &err);
    assert_non_null(reader);
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields;
    assert_int_equal(fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, &err), 1);
    assert_int_equal(fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, &err), 1);
    assert_int_equal(nfields, 2);
    assert_int_equal(fdl_csv_line(reader), 2);
    assert_int_equal(lengths[1], field_len);
    assert_true(quoted[1]);
    assert_memory_equal(fields[1], expected, field_len);
    assert_int_equal(fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, &err), 1);
    assert_int_equal(fdl_csv_line(reader), 3 + newlines);
    assert_int_equal(lengths[0], 4);
    assert_memory_equal(fields[0], "last", 4);
    assert_int_equal(fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, &err), 0);
    fdl_csv_close(reader);
    free(data);
    free(expected);
}

/* ----------------------------------------------------------------- writer */

static char *capture_field(const char *data, size_t len, bool force)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    fdl_csv_write_field(out, data, len, force);
    fclose(out);
    return buf;
}

static char *capture_value(fdl_value v)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    fdl_csv_write_value(out, v);
    fclose(out);
    return buf;
}

static void expect_field(const char *data, bool force, const char *expected)
{
    char *got = capture_field(data, data ? strlen(data) : 0, force);
    assert_string_equal(got, expected);
    free(got);
}

#define EXPECT_VALUE(value, expected)                                  \
    do {                                                               \
        char *got_ = capture_value(value);                             \
        assert_string_equal(got_, expected);                           \
        free(got_);                                                    \
    } while (0)

static void writer_quotes_only_when_needed(void **state)
{
    (void)state;
    expect_field("abc", false, "abc");
    expect_field("abc", true, "\"abc\"");
    expect_field("a,b", false, "\"a,b\"");
    expect_field("say \"hi\"", false, "\"say \"\"hi\"\"\"");
    expect_field("\"", false, "\"\"\"\"");
    expect_field("a\nb", false, "\"a\nb\"");
    expect_field("a\rb", false, "\"a\rb\"");
    expect_field(" padded ", false, " padded ");
    expect_field("", false, "\"\"");
    expect_field(NULL, false, "");
    expect_field(NULL, true, "");
}

/* A first cell that begins with U+FEFF keeps it through a write and a read:
 * the writer quotes it, so the reader does not take it for the file's BOM. */
static void a_leading_bom_in_the_first_cell_round_trips(void **state)
{
    (void)state;
    expect_field("\xEF\xBB\xBFx", false, "\"\xEF\xBB\xBFx\"");
    expect_field("\xEF\xBB\xBF", false, "\"\xEF\xBB\xBF\"");
    expect_field("x\xEF\xBB\xBF", false, "x\xEF\xBB\xBF");     /* not at the start: as it is */
    expect_field("\xEF\xBB", false, "\xEF\xBB");

    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    fdl_csv_write_field(out, "\xEF\xBB\xBFid", 5, false);
    putc(',', out);
    fdl_csv_write_value(out, fdl_string("\xEF\xBB\xBF", 3));
    putc('\n', out);
    fdl_csv_write_value(out, fdl_string("\xEF\xBB\xBFv", 4));
    fputs(",w\n", out);
    fclose(out);
    expect_dump(buf, "1:<\xEF\xBB\xBFid>|<\xEF\xBB\xBF>\n2:<\xEF\xBB\xBFv>|w\n");
    free(buf);
}

static void writer_formats_values(void **state)
{
    (void)state;
    EXPECT_VALUE(fdl_null(), "");
    EXPECT_VALUE(fdl_int64(-5), "-5");
    EXPECT_VALUE(fdl_int64(INT64_MIN), "-9223372036854775808");
    EXPECT_VALUE(fdl_float64(0.1), "0.1");
    EXPECT_VALUE(fdl_float64(-0.0), "-0");
    EXPECT_VALUE(fdl_float64(3.0), "3");
    EXPECT_VALUE(fdl_float64(0.1 + 0.2), "0.30000000000000004");
    EXPECT_VALUE(fdl_bool(true), "true");
    EXPECT_VALUE(fdl_bool(false), "false");
    EXPECT_VALUE(fdl_timestamp(INT64_C(1706702400250000)), "2024-01-31T12:00:00.25Z");
    EXPECT_VALUE(fdl_string("plain", 5), "plain");
    EXPECT_VALUE(fdl_string("x,y", 3), "\"x,y\"");
    EXPECT_VALUE(fdl_string("", 0), "\"\"");
    EXPECT_VALUE(fdl_string(NULL, 0), "\"\"");
    EXPECT_VALUE(fdl_string("ab", 1), "a");
    static const double vector[] = {0.5, 1.0, -2.25, 1e-7};
    EXPECT_VALUE(fdl_vector(vector, 3), "\"[0.5,1,-2.25]\"");
    EXPECT_VALUE(fdl_vector(vector, 4), "\"[0.5,1,-2.25,1e-07]\"");
    EXPECT_VALUE(fdl_vector(vector, 1), "\"[0.5]\"");
    EXPECT_VALUE(fdl_vector(vector, 0), "\"[]\"");
}

static void written_fields_read_back(void **state)
{
    (void)state;
    /* Random fields (any byte but NUL) through the writer, then the reader,
     * over several read blocks so that records straddle every refill. */
    enum { RECORDS = 30000, COLUMNS = 3 };
    static const char alphabet[] = "ab,\"\r\n \xff";
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    uint64_t seed = random_state;
    for (int r = 0; r < RECORDS; r++) {
        for (int c = 0; c < COLUMNS; c++) {
            char field[200];
            size_t n = next_random() % (c == 2 ? 200 : 20);
            for (size_t i = 0; i < n; i++)
                field[i] = alphabet[next_random() % (sizeof alphabet - 1)];
            if (c > 0)
                putc(',', out);
            /* Column 0 is never empty, so no record is a blank line. */
            if (c == 0 && n == 0)
                field[n++] = 'k';
            fdl_csv_write_field(out, field, n, false);
        }
        fputs(r % 2 ? "\r\n" : "\n", out);
    }
    fclose(out);
    assert_true(size > (2u << 20));
    write_file(buf, size);
    free(buf);

    random_state = seed;
    fdl_csv_reader *reader = fdl_csv_open(path, NULL);
    assert_non_null(reader);
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields;
    long line = 1;
    for (int r = 0; r < RECORDS; r++) {
        assert_int_equal(fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, NULL), 1);
        assert_int_equal(nfields, COLUMNS);
        assert_int_equal(fdl_csv_line(reader), line);
        for (int c = 0; c < COLUMNS; c++) {
            char field[200];
            size_t n = next_random() % (c == 2 ? 200 : 20);
            for (size_t i = 0; i < n; i++)
                field[i] = alphabet[next_random() % (sizeof alphabet - 1)];
            if (c == 0 && n == 0)
                field[n++] = 'k';
            assert_int_equal(lengths[c], n);
            assert_memory_equal(fields[c], field, n);
            for (size_t i = 0; i < n; i++)
                line += field[i] == '\n';
        }
        line++;
    }
    assert_int_equal(fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, NULL), 0);
    fdl_csv_close(reader);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_plain_and_quoted_fields),
        cmocka_unit_test(reads_line_endings_and_final_records),
        cmocka_unit_test(blank_lines_are_skipped_but_counted),
        cmocka_unit_test(quoted_newlines_keep_line_numbers),
        cmocka_unit_test(skips_a_byte_order_mark),
        cmocka_unit_test(malformed_records_name_file_and_line),
        cmocka_unit_test(missing_file_is_an_io_error),
        cmocka_unit_test(binary_garbage_never_crashes),
        cmocka_unit_test(a_field_larger_than_the_buffer),
        cmocka_unit_test(writer_quotes_only_when_needed),
        cmocka_unit_test(writer_formats_values),
        cmocka_unit_test(a_leading_bom_in_the_first_cell_round_trips),
        cmocka_unit_test(written_fields_read_back),
    };
    return cmocka_run_group_tests(tests, make_temp_dir, remove_temp_dir);
}
