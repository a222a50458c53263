/*
 * test_batch.c - the batch driver on a hand-written program: whole output
 * files compared with expected text worked out by hand (window edges,
 * spine rows out of time order, unknown and null keys, re-quoting of spine
 * cells), and every error naming its file and line.
 *
 * The program: entities user (user_id, string) and merchant (merchant_id,
 * int64); one source orders (ts, user_id, amount, merchant_id); group 0
 * holds the amounts per user with count and sum over one day, group 1 the
 * events per merchant with a lifetime count. Features order_count_1d,
 * order_sum_1d (user) and merchant_orders (merchant); set user_features.
 * Read functions return null for a null key.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define DAY (INT64_C(86400) * FDL_MICROS_PER_SECOND)

/* ------------------------------------------------------ the test program */

enum { ENTITY_USER, ENTITY_MERCHANT };
enum { FIELD_TS, FIELD_USER_ID, FIELD_AMOUNT, FIELD_MERCHANT_ID };

static const fdl_entity_desc entities[] = {
    {"user", "user_id", FDL_STRING, 1, (const char *const[]){"user_id"}, (const fdl_type[]){FDL_STRING}},
    {"merchant", "merchant_id", FDL_INT64, 1, (const char *const[]){"merchant_id"}, (const fdl_type[]){FDL_INT64}},
};

static const fdl_field_desc order_fields[] = {
    {"ts", FDL_TIMESTAMP},
    {"user_id", FDL_STRING},
    {"amount", FDL_FLOAT64},
    {"merchant_id", FDL_INT64},
};

static fdl_status ingest_orders_row(fdl_store *store, const char *const *fields,
                                    const size_t *lengths, fdl_error *err)
{
    static const char *const names[] = {"ts", "user_id", "amount", "merchant_id"};
    fdl_value values[4];
    for (int f = 0; f < 4; f++) {
        if (!fields[f]) {
            values[f] = fdl_null();
        } else if (fdl_parse_value(order_fields[f].type, fields[f], lengths[f], &values[f],
                                   err) != FDL_OK) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "source orders, field '%s': ", names[f]);
            return fdl_error_prefix(err, prefix);
        }
    }
    if (values[FIELD_TS].type != FDL_TIMESTAMP)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "source orders: no event time");
    fdl_store_note_event(store);
    fdl_time t = values[FIELD_TS].as.t;
    fdl_status status = FDL_OK;
    fdl_entity_state *user = fdl_store_entity(store, ENTITY_USER, values[FIELD_USER_ID], true);
    if (user)
        status = fdl_group_push(store, user, 0, t, values[FIELD_AMOUNT]);
    fdl_entity_state *merchant =
        fdl_store_entity(store, ENTITY_MERCHANT, values[FIELD_MERCHANT_ID], true);
    if (merchant && status == FDL_OK)
        status = fdl_group_push(store, merchant, 1, t, fdl_null());
    if (status != FDL_OK)
        return fdl_error_set(err, status, "source orders: the store could not take the event");
    return FDL_OK;
}

static const fdl_source_desc sources[] = {
    {"orders", 4, order_fields, FIELD_TS, ingest_orders_row, NULL, NULL, 0, NULL, {-1, -1, NULL}, NULL},
};

static const fdl_agg_desc user_aggs[] = {
    {FDL_AGG_COUNT, DAY, FDL_INT64, 0, 0.0, 0, NULL},
    {FDL_AGG_SUM, DAY, FDL_FLOAT64, 0, 0.0, 0, NULL},
};

static const fdl_agg_desc merchant_aggs[] = {
    {FDL_AGG_COUNT, 0, FDL_INT64, 0, 0.0, 0, NULL},
};

static const fdl_group_desc groups[] = {
    {"orders.amount", ENTITY_USER, 0, FDL_FLOAT64, 2, user_aggs, FDL_NULL, 0},
    {"orders", ENTITY_MERCHANT, 0, FDL_NULL, 1, merchant_aggs, FDL_NULL, 0},
};

static fdl_status read_group(fdl_store *store, int entity, int group, int agg,
                             const fdl_value *keys, const fdl_value *request, fdl_time t, fdl_value *out)
{
    if (fdl_is_null(keys[0])) {
        *out = fdl_null();
        return FDL_OK;
    }
    return fdl_group_read(store, fdl_store_entity(store, entity, keys[0], false), group, agg, t,
                          out);
}

static fdl_status read_order_count(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t,
                                   fdl_value *out)
{
    return read_group(store, ENTITY_USER, 0, 0, keys, request, t, out);
}

static fdl_status read_order_sum(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t,
                                 fdl_value *out)
{
    return read_group(store, ENTITY_USER, 0, 1, keys, request, t, out);
}

static fdl_status read_merchant_orders(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t,
                                       fdl_value *out)
{
    return read_group(store, ENTITY_MERCHANT, 1, 0, keys, request, t, out);
}

static const int user_only[] = {ENTITY_USER};
static const int merchant_only[] = {ENTITY_MERCHANT};

static const fdl_feature_desc features[] = {
    {"order_count_1d", FDL_INT64, 0, 1, user_only, "orders per user, 1 day", read_order_count, 0, NULL},
    {"order_sum_1d", FDL_FLOAT64, 0, 1, user_only, "amount per user, 1 day", read_order_sum, 0, NULL},
    {"merchant_orders", FDL_INT64, 0, 1, merchant_only, "orders per merchant", read_merchant_orders, 0, NULL},
};

static fdl_status read_user_features(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t,
                                     fdl_value *out)
{
    fdl_status status = read_order_count(store, keys, request, t, &out[0]);
    return status != FDL_OK ? status : read_order_sum(store, keys, request, t, &out[1]);
}

static const int user_feature_list[] = {0, 1};

static const fdl_set_desc sets[] = {
    {"user_features", 2, user_feature_list, 1, user_only, read_user_features, 0, NULL},
};

static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION,
    .name = "test",
    .fingerprint = "0",
    .nentities = 2, .entities = entities,
    .nsources = 1, .sources = sources,
    .nembeddings = 0, .embeddings = NULL,
    .ngroups = 2, .groups = groups,
    .nfeatures = 3, .features = features,
    .nsets = 1, .sets = sets,
};

/* The same with an embedding table: features order_count_1d and user_vec. */
static const fdl_embedding_desc embeddings[] = {
    {"user2vec", ENTITY_USER, 2, NULL},
};

static fdl_status read_user_vec(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t,
                                fdl_value *out)
{
    (void)t;
    *out = fdl_embedding_lookup(store, 0, keys[0]);
    return FDL_OK;
}

static const fdl_feature_desc embedding_features[] = {
    {"order_count_1d", FDL_INT64, 0, 1, user_only, "orders per user, 1 day", read_order_count, 0, NULL},
    {"user_vec", FDL_VECTOR, 2, 1, user_only, "user embedding", read_user_vec, 0, NULL},
};

static const fdl_program embedding_program = {
    .abi_version = FDL_ABI_VERSION,
    .name = "test_embedding",
    .fingerprint = "0",
    .nentities = 2, .entities = entities,
    .nsources = 1, .sources = sources,
    .nembeddings = 1, .embeddings = embeddings,
    .ngroups = 2, .groups = groups,
    .nfeatures = 2, .features = embedding_features,
    .nsets = 0, .sets = NULL,
};

/* ------------------------------------------------------------- fixtures */

static char temp_dir[64];

static int make_temp_dir(void **state)
{
    (void)state;
    strcpy(temp_dir, "/tmp/fdl_test_batch_XXXXXX");
    return mkdtemp(temp_dir) ? 0 : -1;
}

static int remove_temp_dir(void **state)
{
    (void)state;
    static const char *names[] = {"orders.csv", "spine.csv", "out.csv", "out.csv.tmp", "user2vec.csv",
                                  "big_orders.csv", "big_spine.csv", NULL};
    char path[128];
    for (int i = 0; names[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", temp_dir, names[i]);
        unlink(path);
    }
    return rmdir(temp_dir);
}

/* A path in the temporary directory; valid for the next 7 calls. */
static char *temp_path(const char *name)
{
    static char paths[8][128];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s", temp_dir, name);
    return path;
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(temp_path(name), "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *name)
{
    FILE *f = fopen(temp_path(name), "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    int c;
    while ((c = getc(f)) != EOF)
        putc(c, out);
    fclose(out);
    fclose(f);
    return text;
}

static bool file_exists(const char *name)
{
    struct stat st;
    return stat(temp_path(name), &st) == 0;
}

/* The default run: orders.csv, spine.csv -> out.csv. */
static fdl_batch_source default_sources[] = {{"orders", NULL}};

static char orders_path[128], spine_path[128], out_path[128];

static fdl_batch_options default_options(const char *set_name)
{
    snprintf(orders_path, sizeof orders_path, "%s/orders.csv", temp_dir);
    snprintf(spine_path, sizeof spine_path, "%s/spine.csv", temp_dir);
    snprintf(out_path, sizeof out_path, "%s/out.csv", temp_dir);
    default_sources[0].path = orders_path;
    fdl_batch_options options = {
        .sources = default_sources, .nsources = 1,
        .embeddings = NULL, .nembeddings = 0,
        .spine_path = spine_path,
        .spine_time_column = NULL,
        .set_name = set_name,
        .out_path = out_path,
    };
    return options;
}

static void expect_output(const char *expected)
{
    char *got = read_file("out.csv");
    assert_non_null(got);
    assert_string_equal(got, expected);
    free(got);
    assert_false(file_exists("out.csv.tmp"));
}

/* Runs and expects an error whose message is path-prefixed as given. */
static void expect_failure(const fdl_batch_options *options, fdl_status status, const char *file,
                           long line, const char *message)
{
    unlink(temp_path("out.csv"));
    fdl_batch_stats stats;
    fdl_error err = {0};
    assert_int_equal(fdl_batch_run(&program, options, &stats, &err), status);
    char expected[700];
    if (file && line > 0)
        snprintf(expected, sizeof expected, "%s:%ld: %s", temp_path(file), line, message);
    else
        snprintf(expected, sizeof expected, "%s", message);
    assert_string_equal(err.message, expected);
    assert_int_equal(err.status, status);
    if (file)
        assert_string_equal(err.file, temp_path(file));
    assert_int_equal(err.line, line);
    assert_false(file_exists("out.csv"));
    assert_false(file_exists("out.csv.tmp"));
}

static const char orders_csv[] =
    "order_id,user_id,amount,ts,merchant_id,note\n"
    "1,alice,10.5,2024-01-01T00:00:00Z,7,first\n"
    "2,bob,3,2024-01-01T06:00:00Z,7,\n"
    "3,alice,2.25,2024-01-01T12:00:00Z,8,\"with, comma\"\n"
    "4,alice,,2024-01-01T18:00:00Z,8,null amount\n"
    "5,alice,100,2024-01-02T00:00:00Z,7,exactly at a spine time\n"
    "6,bob,1,2024-01-01T12:00:00Z,,out of order; null merchant\n";

/* ---------------------------------------------------------------- cases */

static void a_set_read_at_every_spine_row(void **state)
{
    (void)state;
    write_file("orders.csv", orders_csv);
    /* Rows out of time order; carol is unknown; the last key is null. */
    write_file("spine.csv",
               "timestamp,user_id,label\n"
               "2024-01-02T00:00:00Z,alice,\"a,1\"\n"
               "2024-01-01T12:00:00Z,alice,\"\"\n"
               "2024-01-02T12:00:00Z,alice,\"say \"\"hi\"\"\"\n"
               "2024-01-01T12:00:00.000001Z,bob,\"y\"\n"
               "2024-01-01T12:00:00Z,carol,z\n"
               "2024-01-02T00:00:00Z,,n\n");
    fdl_batch_options options = default_options("user_features");
    fdl_batch_stats stats;
    fdl_error err = {0};
    assert_int_equal(fdl_batch_run(&program, &options, &stats, &err), FDL_OK);
    assert_int_equal(err.status, FDL_OK);
    assert_int_equal(stats.events, 6);
    assert_int_equal(stats.spine_rows, 6);
    assert_true(stats.seconds >= 0 && stats.seconds < 60);
    /*
     * alice at Jan 2 00:00 sees [Jan 1 00:00, Jan 2 00:00): 10.5 (exactly at
     * t - 1d, in) and 2.25; the null amount is not counted, 100 (at t) is
     * out. At Jan 1 12:00 only 10.5. At Jan 2 12:00: 2.25 (at t - 1d) and
     * 100. bob at 12:00:00.000001 sees both his orders, the one at 12:00
     * listed last in the file included.
     */
    expect_output("timestamp,user_id,label,order_count_1d,order_sum_1d\n"
                  "2024-01-02T00:00:00Z,alice,\"a,1\",2,12.75\n"
                  "2024-01-01T12:00:00Z,alice,\"\",1,10.5\n"
                  "2024-01-02T12:00:00Z,alice,\"say \"\"hi\"\"\",2,102.25\n"
                  "2024-01-01T12:00:00.000001Z,bob,y,2,4\n"
                  "2024-01-01T12:00:00Z,carol,z,0,0\n"
                  "2024-01-02T00:00:00Z,,n,,\n");
}

static void features_chosen_by_the_spine_columns(void **state)
{
    (void)state;
    write_file("orders.csv", orders_csv);
    write_file("spine.csv",
               "merchant_id,when,user_id\n"
               "7,2024-01-02T00:00:01Z,bob\n"
               "8,2024-01-01T12:00:00Z,alice\n"
               "9,1704067200,alice\n"
               ",2024-01-03T00:00:00+00:00,alice\n");
    fdl_batch_options options = default_options(NULL);
    options.spine_time_column = "when";
    assert_int_equal(fdl_batch_run(&program, &options, NULL, NULL), FDL_OK);
    /* merchant_orders counts events before t over the merchant's lifetime. */
    expect_output("merchant_id,when,user_id,order_count_1d,order_sum_1d,merchant_orders\n"
                  "7,2024-01-02T00:00:01Z,bob,2,4,3\n"
                  "8,2024-01-01T12:00:00Z,alice,1,10.5,0\n"
                  "9,1704067200,alice,0,0,0\n"
                  ",2024-01-03T00:00:00+00:00,alice,1,100,\n");

    /* Without the merchant column, only the user features. */
    write_file("spine.csv", "timestamp,user_id\n2024-01-02T00:00:00Z,alice\n");
    options = default_options(NULL);
    assert_int_equal(fdl_batch_run(&program, &options, NULL, NULL), FDL_OK);
    expect_output("timestamp,user_id,order_count_1d,order_sum_1d\n"
                  "2024-01-02T00:00:00Z,alice,2,12.75\n");
}

static void an_empty_spine_and_late_events(void **state)
{
    (void)state;
    /* Events after the last spine row are never ingested, bad or not. */
    write_file("orders.csv", "ts,user_id,amount,merchant_id\n"
                             "2024-01-01T00:00:00Z,alice,1,1\n"
                             "2024-01-05T00:00:00Z,alice,not-a-number,1\n");
    write_file("spine.csv", "user_id,timestamp\r\nalice,2024-01-02T00:00:00Z\r\n");
    fdl_batch_options options = default_options("user_features");
    assert_int_equal(fdl_batch_run(&program, &options, NULL, NULL), FDL_OK);
    expect_output("user_id,timestamp,order_count_1d,order_sum_1d\nalice,2024-01-02T00:00:00Z,1,1\n");

    write_file("spine.csv", "user_id,timestamp\n");
    assert_int_equal(fdl_batch_run(&program, &options, NULL, NULL), FDL_OK);
    expect_output("user_id,timestamp,order_count_1d,order_sum_1d\n");
}

static void embeddings_come_from_the_given_files(void **state)
{
    (void)state;
    write_file("orders.csv", orders_csv);
    write_file("spine.csv", "timestamp,user_id\n"
                            "2024-01-02T00:00:00Z,alice\n"
                            "2024-01-02T00:00:00Z,carol\n"
                            "2024-01-02T00:00:00Z,bob\n");
    write_file("user2vec.csv", "key,x,y\nalice,0.5,-1\nbob,1e-7,3\n");
    fdl_batch_embedding override[] = {{"user2vec", temp_path("user2vec.csv")}};
    fdl_batch_options options = default_options(NULL);
    options.embeddings = override;
    options.nembeddings = 1;
    fdl_error err = {0};
    assert_int_equal(fdl_batch_run(&embedding_program, &options, NULL, &err), FDL_OK);
    expect_output("timestamp,user_id,order_count_1d,user_vec\n"
                  "2024-01-02T00:00:00Z,alice,2,\"[0.5,-1]\"\n"
                  "2024-01-02T00:00:00Z,carol,0,\n"
                  "2024-01-02T00:00:00Z,bob,2,\"[1e-07,3]\"\n");

    /* The table's errors keep their file and line. */
    write_file("user2vec.csv", "key,x,y\nalice,0.5,-1\nbob,1e-7\n");
    override[0].path = temp_path("user2vec.csv");
    unlink(temp_path("out.csv"));
    assert_int_equal(fdl_batch_run(&embedding_program, &options, NULL, &err), FDL_ERR_FORMAT);
    char expected[300];
    snprintf(expected, sizeof expected, "%s:3: expected 3 columns (key + 2 values), found 2",
             temp_path("user2vec.csv"));
    assert_string_equal(err.message, expected);
    assert_int_equal(err.line, 3);
    assert_false(file_exists("out.csv"));

    /* No default path and no override. */
    options.nembeddings = 0;
    assert_int_equal(fdl_batch_run(&embedding_program, &options, NULL, &err), FDL_ERR_ARGUMENT);
    assert_string_equal(err.message, "embedding 'user2vec' has no file");
}

static void option_errors(void **state)
{
    (void)state;
    write_file("orders.csv", orders_csv);
    write_file("spine.csv", "timestamp,user_id\n2024-01-02T00:00:00Z,alice\n");
    fdl_batch_options options = default_options(NULL);
    options.nsources = 0;
    expect_failure(&options, FDL_ERR_ARGUMENT, NULL, 0,
                   "missing source 'orders': every source of the program needs a CSV file");

    fdl_batch_source unknown[] = {{"order", orders_path}};
    options = default_options(NULL);
    options.sources = unknown;
    expect_failure(&options, FDL_ERR_ARGUMENT, NULL, 0,
                   "unknown source 'order' (the program's sources: orders)");

    fdl_batch_source twice[] = {{"orders", orders_path}, {"orders", orders_path}};
    options = default_options(NULL);
    options.sources = twice;
    options.nsources = 2;
    /* Several files of a source are read one after the other; one file twice is a mistake. */
    char twice_message[600];
    snprintf(twice_message, sizeof twice_message, "source 'orders' is given '%s' twice", orders_path);
    expect_failure(&options, FDL_ERR_ARGUMENT, NULL, 0, twice_message);

    fdl_batch_embedding embedding[] = {{"user2vec", "x.csv"}};
    options = default_options(NULL);
    options.embeddings = embedding;
    options.nembeddings = 1;
    expect_failure(&options, FDL_ERR_ARGUMENT, NULL, 0, "unknown embedding 'user2vec'");

    options = default_options("nope");
    expect_failure(&options, FDL_ERR_ARGUMENT, NULL, 0,
                   "unknown feature set 'nope' (the program's sets: user_features)");

    options = default_options(NULL);
    default_sources[0].path = temp_path("missing.csv");
    options.set_name = NULL;
    fdl_batch_stats stats;
    fdl_error err = {0};
    assert_int_equal(fdl_batch_run(&program, &options, &stats, &err), FDL_ERR_IO);
    char expected[300];
    snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory",
             temp_path("missing.csv"));
    assert_string_equal(err.message, expected);
}

static void source_errors_name_file_and_line(void **state)
{
    (void)state;
    write_file("spine.csv", "timestamp,user_id\n2024-01-03T00:00:00Z,alice\n");
    fdl_batch_options options = default_options(NULL);

    write_file("orders.csv", "ts,user_id,merchant_id\n2024-01-01T00:00:00Z,alice,1\n");
    expect_failure(&options, FDL_ERR_FORMAT, "orders.csv", 1,
                   "source 'orders' needs a column 'amount', which the header lacks");

    write_file("orders.csv", "ts,user_id,amount,merchant_id\n"
                             "2024-01-01T00:00:00Z,alice,1,1\n"
                             "\n"
                             "2024-01-01T00:00:00Z,alice,1\n");
    expect_failure(&options, FDL_ERR_FORMAT, "orders.csv", 4,
                   "expected 4 columns as in the header, found 3");

    write_file("orders.csv", "ts,user_id,amount,merchant_id\nyesterday,alice,1,1\n");
    expect_failure(&options, FDL_ERR_PARSE, "orders.csv", 2,
                   "column 'ts': 'yesterday' is not a valid timestamp: expected "
                   "YYYY-MM-DDTHH:MM:SS[.fraction] and Z or an offset like +02:00, or epoch seconds");

    write_file("orders.csv", "ts,user_id,amount,merchant_id\n,alice,1,1\n");
    expect_failure(&options, FDL_ERR_FORMAT, "orders.csv", 2, "no time in column 'ts'");

    /* The ingest function's own error, at the event's line. */
    write_file("orders.csv", "ts,user_id,amount,merchant_id\n"
                             "2024-01-01T00:00:00Z,alice,1,1\n"
                             "2024-01-01T00:00:00Z,alice,abc,1\n");
    expect_failure(&options, FDL_ERR_PARSE, "orders.csv", 3,
                   "source orders, field 'amount': 'abc' is not a valid float64");

    write_file("orders.csv", "ts,user_id,amount,merchant_id\n2024-01-01T00:00:00Z,\"al\"ice,1,1\n");
    expect_failure(&options, FDL_ERR_FORMAT, "orders.csv", 2,
                   "characters after a closing quote (a quote inside a quoted field must be doubled)");

    write_file("orders.csv", "");
    expect_failure(&options, FDL_ERR_FORMAT, "orders.csv", 1,
                   "empty file: expected a header line naming the columns");
}

static void spine_errors_name_file_and_line(void **state)
{
    (void)state;
    write_file("orders.csv", orders_csv);
    fdl_batch_options options = default_options(NULL);

    write_file("spine.csv", "time,user_id\n2024-01-02T00:00:00Z,alice\n");
    expect_failure(&options, FDL_ERR_FORMAT, "spine.csv", 1,
                   "the spine has no time column 'timestamp' (name it with spine_time_column)");

    write_file("spine.csv", "timestamp,customer\n2024-01-02T00:00:00Z,alice\n");
    expect_failure(&options, FDL_ERR_FORMAT, "spine.csv", 1,
                   "no feature can be read for this spine: it has none of the join key columns "
                   "(user_id, merchant_id)");

    options = default_options("user_features");
    write_file("spine.csv", "timestamp,merchant_id\n2024-01-02T00:00:00Z,7\n");
    expect_failure(&options, FDL_ERR_FORMAT, "spine.csv", 1,
                   "the spine has no column 'user_id' (join key of entity user, needed by set "
                   "user_features)");

    options = default_options(NULL);
    write_file("spine.csv", "timestamp,user_id\n2024-01-02T00:00:00Z,alice\n2024-13-02T00:00:00Z,bob\n");
    expect_failure(&options, FDL_ERR_PARSE, "spine.csv", 3,
                   "column 'timestamp': '2024-13-02T00:00:00Z' is not a valid timestamp: month out "
                   "of range");

    write_file("spine.csv", "timestamp,user_id\n2024-01-02T00:00:00Z,alice,extra\n");
    expect_failure(&options, FDL_ERR_FORMAT, "spine.csv", 2,
                   "expected 2 columns as in the header, found 3");

    write_file("spine.csv", "timestamp,user_id,merchant_id\n"
                            "2024-01-02T00:00:00Z,alice,7\n"
                            "2024-01-02T00:00:00Z,alice,x7\n");
    expect_failure(&options, FDL_ERR_PARSE, "spine.csv", 3,
                   "column 'merchant_id': 'x7' is not a valid int64");
}

static void a_failed_run_keeps_the_old_output(void **state)
{
    (void)state;
    write_file("out.csv", "previous\n");
    write_file("orders.csv", orders_csv);
    write_file("spine.csv", "timestamp,user_id\n2024-01-02T00:00:00Z,alice\nbad,bob\n");
    fdl_batch_options options = default_options(NULL);
    assert_int_equal(fdl_batch_run(&program, &options, NULL, NULL), FDL_ERR_PARSE);
    expect_output("previous\n");
}

static uint64_t random_state = 0x2545F4914F6CDD1DULL;

static uint64_t next_random(void)
{
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return random_state * 0x2545F4914F6CDD1DULL;
}

/*
 * Random events and spine rows on a coarse time grid (so that many events
 * fall exactly on t and t - 1d), checked against a brute-force count over
 * all events for every row.
 */
static void random_history_matches_brute_force(void **state)
{
    (void)state;
    enum { EVENTS = 20000, ROWS = 2000, USERS = 50, MERCHANTS = 20, MINUTES = 3 * 1440 };
    const fdl_time base = INT64_C(1704067200) * FDL_MICROS_PER_SECOND;
    const fdl_time minute = 60 * FDL_MICROS_PER_SECOND;
    static fdl_time event_time[EVENTS];
    static int event_user[EVENTS], event_merchant[EVENTS];
    static double event_amount[EVENTS];     /* < 0: null */
    char when[64];

    FILE *f = fopen(temp_path("orders.csv"), "wb");
    assert_non_null(f);
    fputs("ts,user_id,amount,merchant_id\n", f);
    for (int i = 0; i < EVENTS; i++) {
        event_time[i] = base + (fdl_time)(next_random() % MINUTES) * minute;
        event_user[i] = (int)(next_random() % USERS);
        event_merchant[i] = next_random() % 10 == 0 ? -1 : (int)(next_random() % MERCHANTS);
        event_amount[i] = next_random() % 10 == 0 ? -1 : (double)(next_random() % 1000) / 4;
        fdl_format_time(event_time[i], when, sizeof when);
        fprintf(f, "%s,u%d,", when, event_user[i]);
        if (event_amount[i] >= 0)
            fprintf(f, "%.2f", event_amount[i]);
        putc(',', f);
        if (event_merchant[i] >= 0)
            fprintf(f, "%d", event_merchant[i]);
        putc('\n', f);
    }
    fclose(f);

    char *expected = NULL;
    size_t expected_size = 0;
    FILE *out = open_memstream(&expected, &expected_size);
    assert_non_null(out);
    fputs("timestamp,user_id,merchant_id,order_count_1d,order_sum_1d,merchant_orders\n", out);
    f = fopen(temp_path("spine.csv"), "wb");
    assert_non_null(f);
    fputs("timestamp,user_id,merchant_id\n", f);
    for (int r = 0; r < ROWS; r++) {
        fdl_time t = base + (fdl_time)(next_random() % MINUTES) * minute;
        int user = (int)(next_random() % (USERS + 5));      /* a few never seen */
        int merchant = (int)(next_random() % MERCHANTS);
        fdl_format_time(t, when, sizeof when);
        fprintf(f, "%s,u%d,%d\n", when, user, merchant);
        int64_t count = 0, merchant_count = 0;
        double sum = 0;
        for (int i = 0; i < EVENTS; i++) {
            if (event_user[i] == user && event_amount[i] >= 0 && event_time[i] >= t - DAY &&
                event_time[i] < t) {
                count++;
                sum += event_amount[i];
            }
            merchant_count += event_merchant[i] == merchant && event_time[i] < t;
        }
        char sum_text[64];
        fdl_format_float(sum, sum_text, sizeof sum_text);
        fprintf(out, "%s,u%d,%d,%lld,%s,%lld\n", when, user, merchant, (long long)count, sum_text,
                (long long)merchant_count);
    }
    fclose(f);
    fclose(out);

    fdl_batch_options options = default_options(NULL);
    fdl_batch_stats stats;
    fdl_error err = {0};
    fdl_status status = fdl_batch_run(&program, &options, &stats, &err);
    if (status != FDL_OK)
        print_error("%s\n", err.message);
    assert_int_equal(status, FDL_OK);
    assert_int_equal(stats.events, EVENTS);
    assert_int_equal(stats.spine_rows, ROWS);
    expect_output(expected);
    free(expected);
}

/* A rough throughput figure (meaningless under sanitizers). */
static void throughput(void **state)
{
    (void)state;
    enum { EVENTS = 200000, USERS = 5000, SPINE_ROWS = 5000 };
    const fdl_time start = INT64_C(1704067200) * FDL_MICROS_PER_SECOND;
    FILE *f = fopen(temp_path("big_orders.csv"), "wb");
    assert_non_null(f);
    fputs("ts,user_id,amount,merchant_id\n", f);
    char when[64];
    for (int i = 0; i < EVENTS; i++) {
        /* Mostly in time order, with a few late arrivals. */
        fdl_time t = start + (fdl_time)i * 1000000 - (i % 97 == 0 ? 5000000 : 0);
        fdl_format_time(t, when, sizeof when);
        fprintf(f, "%s,u%d,%d.5,%d\n", when, (int)((int64_t)i * 7919 % USERS), i % 100, i % 50);
    }
    fclose(f);
    f = fopen(temp_path("big_spine.csv"), "wb");
    assert_non_null(f);
    fputs("timestamp,user_id\n", f);
    for (int i = 0; i < SPINE_ROWS; i++) {
        fdl_format_time(start + (fdl_time)((i * 7321) % SPINE_ROWS) * 40000000, when, sizeof when);
        fprintf(f, "%s,u%d\n", when, i % USERS);
    }
    fclose(f);
    fdl_batch_options options = default_options("user_features");
    char big_orders[128], big_spine[128];
    snprintf(big_orders, sizeof big_orders, "%s/big_orders.csv", temp_dir);
    snprintf(big_spine, sizeof big_spine, "%s/big_spine.csv", temp_dir);
    fdl_batch_source big[] = {{"orders", big_orders}};
    options.sources = big;
    options.spine_path = big_spine;
    fdl_batch_stats stats;
    fdl_error err = {0};
    fdl_status status = fdl_batch_run(&program, &options, &stats, &err);
    if (status != FDL_OK)
        print_error("%s\n", err.message);
    assert_int_equal(status, FDL_OK);
    assert_int_equal(stats.events, EVENTS);
    assert_int_equal(stats.spine_rows, SPINE_ROWS);
    print_message("batch: %d events, %d spine rows in %.3f s (%.0f events/s)\n", EVENTS,
                  SPINE_ROWS, stats.seconds, EVENTS / stats.seconds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_set_read_at_every_spine_row),
        cmocka_unit_test(features_chosen_by_the_spine_columns),
        cmocka_unit_test(an_empty_spine_and_late_events),
        cmocka_unit_test(embeddings_come_from_the_given_files),
        cmocka_unit_test(option_errors),
        cmocka_unit_test(source_errors_name_file_and_line),
        cmocka_unit_test(spine_errors_name_file_and_line),
        cmocka_unit_test(a_failed_run_keeps_the_old_output),
        cmocka_unit_test(random_history_matches_brute_force),
        cmocka_unit_test(throughput),
    };
    return cmocka_run_group_tests(tests, make_temp_dir, remove_temp_dir);
}
