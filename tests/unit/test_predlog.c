/*
 * test_predlog.c - the prediction log's writer (runtime/predlog.c) on its
 * own: whole lines in the documented shape, the mode of a new log, lines
 * appended after what a file holds, every failed line reported (a full
 * disk), an unopenable path, and FDL_LOG_FSYNC on a file and on a device
 * that cannot be synced. fdl-serve's use of it, with SIGKILL and two
 * concurrent appenders, is tested in tests/e2e/serve.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"

/* A program with one set over a composite key, one request field and two
 * features: all a log line names. */
static const fdl_entity_desc entities[] = {
    {.name = "store_item", .nkeys = 2, .join_keys = (const char *const[]){"store_id", "sku"}},
};
static const fdl_feature_desc features[] = {{.name = "orders"}, {.name = "mean \"amount\""}};
static const fdl_field_desc requests[] = {{"lat", FDL_FLOAT64}};
static const fdl_set_desc sets[] = {{.name = "s", .nfeatures = 2, .features = (const int[]){0, 1},
                                     .nentities = 1, .entities = (const int[]){0},
                                     .nrequests = 1, .requests = (const int[]){0}}};
static const fdl_program program = {
    .name = "p", .fingerprint = "f00d", .nentities = 1, .entities = entities,
    .nfeatures = 2, .features = features, .nsets = 1, .sets = sets,
    .nrequests = 1, .requests = requests,
};

static const char expected_line[] =
    "{\"set\":\"s\",\"fingerprint\":\"f00d\",\"time\":\"1970-01-01T00:00:01Z\","
    "\"keys\":{\"store_id\":7,\"sku\":\"a\\\"b\"},\"request\":{\"lat\":null},"
    "\"values\":{\"orders\":3,\"mean \\\"amount\\\"\":0.5}}\n";

static bool append(fdl_predlog *log)
{
    fdl_value keys[] = {fdl_int64(7), fdl_string("a\"b", 3)};
    fdl_value values[] = {fdl_int64(3), fdl_float64(0.5)};
    return fdl_predlog_append(log, &program, 0, keys, NULL, FDL_MICROS_PER_SECOND, values);
}

/* A fresh path in the build tree (unique per process). */
static void temp_path(char *path, size_t size, const char *name)
{
    snprintf(path, size, "%s/predlog_test_%ld_%s", FDL_BINARY_DIR, (long)getpid(), name);
    unlink(path);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void test_whole_lines_appended(void **state)
{
    char path[512];
    temp_path(path, sizeof path, "lines.jsonl");
    FILE *f = fopen(path, "w");
    fputs("before\n", f);
    fclose(f);
    fdl_predlog *log;
    fdl_error err = {0};
    assert_int_equal(fdl_predlog_open(path, 0, &log, &err), FDL_OK);
    assert_true(append(log));
    assert_true(append(log));
    assert_int_equal(fdl_predlog_close(log, 0, &err), FDL_OK);
    char want[1024];
    snprintf(want, sizeof want, "before\n%s%s", expected_line, expected_line);
    assert_string_equal(slurp(path), want);
    unlink(path);
}

static void test_new_log_mode(void **state)
{
    char path[512];
    temp_path(path, sizeof path, "mode.jsonl");
    mode_t old = umask(027);
    fdl_predlog *log;
    fdl_error err = {0};
    assert_int_equal(fdl_predlog_open(path, 0, &log, &err), FDL_OK);
    umask(old);
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    assert_int_equal(info.st_mode & 0777, 0640);
    assert_int_equal(fdl_predlog_close(log, 0, &err), FDL_OK);
    unlink(path);
}

/* /dev/full: every write fails with ENOSPC, at once, not at close. */
static void test_full_disk_counted(void **state)
{
    fdl_predlog *log;
    fdl_error err = {0};
    assert_int_equal(fdl_predlog_open("/dev/full", 0, &log, &err), FDL_OK);
    assert_false(append(log));
    assert_false(append(log));
    assert_int_equal(fdl_predlog_close(log, 2, &err), FDL_ERR_IO);
    assert_non_null(strstr(err.message, "/dev/full: 2 reads could not be written"));
}

static void test_open_fails(void **state)
{
    fdl_predlog *log = (fdl_predlog *)&log;
    fdl_error err = {0};
    assert_int_equal(fdl_predlog_open("/nonexistent-dir/x.jsonl", 0, &log, &err), FDL_ERR_IO);
    assert_null(log);
    assert_non_null(strstr(err.message, "cannot open the prediction log /nonexistent-dir/x.jsonl"));
    assert_int_equal(fdl_predlog_close(NULL, 5, &err), FDL_OK);
}

static void test_fsync(void **state)
{
    char path[512];
    temp_path(path, sizeof path, "synced.jsonl");
    const char *paths[] = {path, "/dev/null"};
    for (int i = 0; i < 2; i++) {
        fdl_predlog *log;
        fdl_error err = {0};
        assert_int_equal(fdl_predlog_open(paths[i], FDL_LOG_FSYNC, &log, &err), FDL_OK);
        assert_true(append(log));
        assert_int_equal(fdl_predlog_close(log, 0, &err), FDL_OK);
    }
    assert_string_equal(slurp(path), expected_line);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_lines_appended),
        cmocka_unit_test(test_new_log_mode),
        cmocka_unit_test(test_full_disk_counted),
        cmocka_unit_test(test_open_fails),
        cmocka_unit_test(test_fsync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
