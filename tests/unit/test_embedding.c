/*
 * test_embedding.c - embedding tables from CSV: loading, lookups by string
 * and int64 keys, and every error with its file and line.
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
    strcpy(temp_dir, "/tmp/fdl_test_embedding_XXXXXX");
    return mkdtemp(temp_dir) ? 0 : -1;
}

static int remove_temp_dir(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(temp_dir);
}

static const char *write_file(const char *data)
{
    snprintf(path, sizeof path, "%s/embedding.csv", temp_dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
    return path;
}

static fdl_embedding_table *load_ok(const char *data, fdl_type key_type, int32_t dimension)
{
    fdl_error err = {0};
    fdl_embedding_table *table = fdl_embedding_table_load(write_file(data), key_type, dimension, &err);
    if (!table) {
        print_error("unexpected error: %s\n", err.message);
        fail();
    }
    return table;
}

static void load_fails(const char *data, fdl_type key_type, int32_t dimension, long line,
                       const char *message)
{
    fdl_error err = {0};
    assert_null(fdl_embedding_table_load(write_file(data), key_type, dimension, &err));
    char expected[600];
    snprintf(expected, sizeof expected, "%s:%ld: %s", path, line, message);
    assert_string_equal(err.message, expected);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, line);
}

static fdl_value key(const char *text)
{
    return fdl_string(text, strlen(text));
}

static void loads_and_finds_string_keys(void **state)
{
    (void)state;
    fdl_embedding_table *table = load_ok("key,a,b,c\n"
                                         "u1,0.5,1,-2.25\n"
                                         "\"u,2\",1e-3,0,0.1\n"
                                         "\n"
                                         "u3,-0,+4,5.\n",
                                         FDL_STRING, 3);
    const double *v = fdl_embedding_table_find(table, key("u1"));
    assert_non_null(v);
    assert_true(v[0] == 0.5 && v[1] == 1.0 && v[2] == -2.25);
    v = fdl_embedding_table_find(table, key("u,2"));
    assert_non_null(v);
    assert_true(v[0] == 1e-3 && v[1] == 0.0 && v[2] == 0.1);
    v = fdl_embedding_table_find(table, key("u3"));
    assert_non_null(v);
    assert_true(v[1] == 4.0 && v[2] == 5.0);
    assert_null(fdl_embedding_table_find(table, key("u")));
    assert_null(fdl_embedding_table_find(table, key("u1 ")));
    assert_null(fdl_embedding_table_find(table, fdl_null()));
    assert_null(fdl_embedding_table_find(table, fdl_int64(1)));
    fdl_embedding_table_free(table);
    assert_null(fdl_embedding_table_find(NULL, key("u1")));
    fdl_embedding_table_free(NULL);
}

static void loads_and_finds_int64_keys(void **state)
{
    (void)state;
    fdl_embedding_table *table = load_ok("id,v1,v2\r\n7,1,2\r\n-3,3,4\r\n9223372036854775807,5,6",
                                         FDL_INT64, 2);
    const double *v = fdl_embedding_table_find(table, fdl_int64(7));
    assert_non_null(v);
    assert_true(v[0] == 1.0 && v[1] == 2.0);
    v = fdl_embedding_table_find(table, fdl_int64(-3));
    assert_non_null(v);
    assert_true(v[0] == 3.0 && v[1] == 4.0);
    v = fdl_embedding_table_find(table, fdl_int64(INT64_MAX));
    assert_non_null(v);
    assert_true(v[1] == 6.0);
    assert_null(fdl_embedding_table_find(table, fdl_int64(8)));
    /* A string key never matches an int64 table, whatever its bytes. */
    assert_null(fdl_embedding_table_find(table, key("7")));
    fdl_embedding_table_free(table);
}

static void an_empty_table_is_fine(void **state)
{
    (void)state;
    fdl_embedding_table *table = load_ok("key,a\n", FDL_STRING, 1);
    assert_null(fdl_embedding_table_find(table, key("x")));
    fdl_embedding_table_free(table);
}

static void many_rows_stay_findable(void **state)
{
    (void)state;
    enum { ROWS = 20000, DIMENSION = 8 };
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    fputs("id", out);
    for (int d = 0; d < DIMENSION; d++)
        fprintf(out, ",v%d", d);
    fputc('\n', out);
    for (int r = 0; r < ROWS; r++) {
        fprintf(out, "user-%d", r * 7);
        for (int d = 0; d < DIMENSION; d++)
            fprintf(out, ",%d.25", r * DIMENSION + d);
        fputc('\n', out);
    }
    fclose(out);
    fdl_embedding_table *table = load_ok(buf, FDL_STRING, DIMENSION);
    free(buf);
    for (int r = 0; r < ROWS; r++) {
        char name[32];
        snprintf(name, sizeof name, "user-%d", r * 7);
        const double *v = fdl_embedding_table_find(table, key(name));
        assert_non_null(v);
        for (int d = 0; d < DIMENSION; d++)
            assert_true(v[d] == (r * DIMENSION + d) + 0.25);
        snprintf(name, sizeof name, "user-%d", r * 7 + 1);
        assert_null(fdl_embedding_table_find(table, key(name)));
    }
    fdl_embedding_table_free(table);
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    load_fails("", FDL_STRING, 2, 1, "empty file: expected a header line");
    load_fails("key,a,b\n", FDL_STRING, 128, 1, "expected 129 columns (key + 128 values), found 3");
    load_fails("key,a,b,c\nu1,1,2,3\nu2,1\n", FDL_STRING, 3, 3,
               "expected 4 columns (key + 3 values), found 2");
    load_fails("key,a,b,c\nu1,1,2,3,4\n", FDL_STRING, 3, 2,
               "expected 4 columns (key + 3 values), found 5");
    load_fails("key,a,b\nu1,1,x\n", FDL_STRING, 2, 2, "column 3: 'x' is not a valid float64");
    load_fails("key,a,b\nu1,1,nan\n", FDL_STRING, 2, 2, "column 3: 'nan' is not a valid float64");
    load_fails("key,a,b\nu1,,1\n", FDL_STRING, 2, 2, "column 2: missing value");
    load_fails("key,a,b\nu1,1,\"\"\n", FDL_STRING, 2, 2, "column 3: missing value");
    load_fails("key,a\n,1\n", FDL_STRING, 1, 2, "null key (the first column must name the key)");
    load_fails("key,a\n\"\",1\n", FDL_STRING, 1, 2, "empty key (the first column must name the key)");
    load_fails("key,a\nu1,1\n\nu2,2\nu1,3\n", FDL_STRING, 1, 5, "duplicate key 'u1' (first on line 2)");
    load_fails("key,a\n5,1\n05,3\n", FDL_INT64, 1, 3, "duplicate key '05' (first on line 2)");
    load_fails("key,a\nabc,1\n", FDL_INT64, 1, 2, "key: 'abc' is not a valid int64");
    load_fails("key,a\n9223372036854775808,1\n", FDL_INT64, 1, 2,
               "key: '9223372036854775808' is not a valid int64: out of range");
    /* Malformed CSV reports the reader's error. */
    load_fails("key,a\nu1,1\nu\"2,1\n", FDL_STRING, 1, 3,
               "quote inside an unquoted field (quote the whole field and double the quote)");
}

static void bad_arguments_and_missing_files(void **state)
{
    (void)state;
    fdl_error err = {0};
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.csv", temp_dir);
    assert_null(fdl_embedding_table_load(missing, FDL_STRING, 4, &err));
    assert_int_equal(err.status, FDL_ERR_IO);
    assert_string_equal(err.file, missing);
    assert_null(fdl_embedding_table_load(write_file("k,a\n"), FDL_STRING, 0, &err));
    assert_int_equal(err.status, FDL_ERR_ARGUMENT);
    assert_null(fdl_embedding_table_load(path, FDL_FLOAT64, 1, &err));
    assert_int_equal(err.status, FDL_ERR_ARGUMENT);
    /* No error struct: still fails cleanly. */
    assert_null(fdl_embedding_table_load(write_file("k,a\nx,y\n"), FDL_STRING, 1, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_and_finds_string_keys),
        cmocka_unit_test(loads_and_finds_int64_keys),
        cmocka_unit_test(an_empty_table_is_fine),
        cmocka_unit_test(many_rows_stay_findable),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(bad_arguments_and_missing_files),
    };
    return cmocka_run_group_tests(tests, make_temp_dir, remove_temp_dir);
}
