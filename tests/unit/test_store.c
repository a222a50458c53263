/*
 * test_store.c - the online store around the aggregation engine: opening
 * (ABI check, embeddings at open), entity states, ingest and read entry
 * points with a hand-written program, errors and bounds, statistics, and
 * embedding tables (load, lookup, replace).
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fdlrt.h"
#include "internal.h"
#include "hand_parse.h"

/* ------------------------------------------- a hand-written "generated" program */

enum { E_USER, E_ITEM };
enum { G_USER_AMOUNT, G_ITEM_ORDERS };
enum { F_USER_SPEND_1H, F_USER_ORDERS, F_ITEM_ORDERS_1H, F_SIMILARITY };
#define HOUR (3600 * FDL_MICROS_PER_SECOND)

static const fdl_entity_desc entities[] = {
    {"user", "user_id", FDL_INT64, 1, (const char *const[]){"user_id"}, (const fdl_type[]){FDL_INT64}},
    {"item", "item_id", FDL_STRING, 1, (const char *const[]){"item_id"}, (const fdl_type[]){FDL_STRING}},
};
static const fdl_field_desc order_fields[] = {
    {"user_id", FDL_INT64}, {"item_id", FDL_STRING}, {"amount", FDL_FLOAT64}, {"ts", FDL_TIMESTAMP},
};
static const fdl_agg_desc user_amount_aggs[] = {
    {FDL_AGG_SUM, HOUR, FDL_FLOAT64, 0, 0.0, 0, NULL},
    {FDL_AGG_COUNT, 0, FDL_INT64, 0, 0.0, 0, NULL},
};
static const fdl_agg_desc item_orders_aggs[] = {{FDL_AGG_COUNT, HOUR, FDL_INT64, 0, 0.0, 0, NULL}};
static const fdl_group_desc groups[] = {
    {"orders.amount by user", E_USER, 0, FDL_FLOAT64, 2, user_amount_aggs, FDL_NULL, 0},
    {"orders by item", E_ITEM, 0, FDL_NULL, 1, item_orders_aggs, FDL_NULL, 0},
};

static fdl_status ingest_orders(fdl_store *store, const char *const *fields,
                                const size_t *lengths, fdl_error *err)
{
    fdl_value user = parse_field(FDL_INT64, fields[0], lengths[0]);
    fdl_value item = parse_field(FDL_STRING, fields[1], lengths[1]);
    fdl_value amount = parse_field(FDL_FLOAT64, fields[2], lengths[2]);
    fdl_value ts = parse_field(FDL_TIMESTAMP, fields[3], lengths[3]);
    if (ts.type == FDL_NULL)
        return fdl_error_set(err, FDL_ERR_PARSE, "null event time");
    fdl_store_note_event(store);
    fdl_status status = fdl_group_push(store, fdl_store_entity(store, E_USER, user, true),
                                       G_USER_AMOUNT, ts.as.t, amount);
    if (status == FDL_OK)
        status = fdl_group_push(store, fdl_store_entity(store, E_ITEM, item, true),
                                G_ITEM_ORDERS, ts.as.t, fdl_null());
    return status;
}

static fdl_status read_user_spend(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t, fdl_value *out)
{
    return fdl_group_read(store, fdl_store_entity(store, E_USER, keys[0], false), G_USER_AMOUNT, 0, t, out);
}

static fdl_status read_user_orders(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t, fdl_value *out)
{
    return fdl_group_read(store, fdl_store_entity(store, E_USER, keys[0], false), G_USER_AMOUNT, 1, t, out);
}

static fdl_status read_item_orders(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t, fdl_value *out)
{
    return fdl_group_read(store, fdl_store_entity(store, E_ITEM, keys[0], false), G_ITEM_ORDERS, 0, t, out);
}

static fdl_status read_similarity(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t, fdl_value *out)
{
    (void)t;
    *out = fdl_cosine_similarity(fdl_embedding_lookup(store, 0, keys[0]),
                                 fdl_embedding_lookup(store, 1, keys[1]));
    return FDL_OK;
}

static fdl_status read_main(fdl_store *store, const fdl_value *keys, const fdl_value *request, fdl_time t, fdl_value *out)
{
    fdl_status status;
    if ((status = read_user_spend(store, &keys[0], request, t, &out[0])) != FDL_OK ||
        (status = read_user_orders(store, &keys[0], request, t, &out[1])) != FDL_OK ||
        (status = read_item_orders(store, &keys[1], request, t, &out[2])) != FDL_OK)
        return status;
    return read_similarity(store, keys, request, t, &out[3]);
}

static const fdl_source_desc sources[] = {{"orders", 4, order_fields, 3, ingest_orders, NULL, NULL, 0, NULL, {-1, -1, NULL}, NULL}};
static const int user_only[] = {E_USER}, item_only[] = {E_ITEM}, user_item[] = {E_USER, E_ITEM};
static const fdl_feature_desc features[] = {
    {"user_spend_1h", FDL_FLOAT64, 0, 1, user_only, "", read_user_spend, 0, NULL},
    {"user_orders", FDL_INT64, 0, 1, user_only, "", read_user_orders, 0, NULL},
    {"item_orders_1h", FDL_INT64, 0, 1, item_only, "", read_item_orders, 0, NULL},
    {"user_item_similarity", FDL_FLOAT64, 0, 2, user_item, "", read_similarity, 0, NULL},
};
static const int main_features[] = {0, 1, 2, 3};
static const fdl_set_desc sets[] = {{"main", 4, main_features, 2, user_item, read_main, 0, NULL}};

static char user_embedding_path[64], item_embedding_path[64], other_embedding_path[64];
static fdl_embedding_desc embeddings[] = {
    {"user_vec", E_USER, 3, user_embedding_path},
    {"item_vec", E_ITEM, 3, item_embedding_path},
};

static fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "store_test", .fingerprint = "0",
    .nentities = 2, .entities = entities, .nsources = 1, .sources = sources,
    .nembeddings = 2, .embeddings = embeddings, .ngroups = 2, .groups = groups,
    .nfeatures = 4, .features = features, .nsets = 1, .sets = sets,
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup_files(void **state)
{
    (void)state;
    snprintf(user_embedding_path, sizeof user_embedding_path, "/tmp/fdl_test_store_%d_user.csv", (int)getpid());
    snprintf(item_embedding_path, sizeof item_embedding_path, "/tmp/fdl_test_store_%d_item.csv", (int)getpid());
    snprintf(other_embedding_path, sizeof other_embedding_path, "/tmp/fdl_test_store_%d_other.csv", (int)getpid());
    write_file(user_embedding_path, "user_id,a,b,c\n1,1,0,0\n2,0,1,0\n");
    write_file(item_embedding_path, "item_id,a,b,c\nbook,1,0,0\npen,0,0,2\n");
    write_file(other_embedding_path, "user_id,a,b,c\n1,0,0,1\n3,1,1,1\n");
    return 0;
}

static int remove_files(void **state)
{
    (void)state;
    remove(user_embedding_path);
    remove(item_embedding_path);
    remove(other_embedding_path);
    return 0;
}

static fdl_store *open_store(bool keep_history)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    fdl_error err;
    fdl_store *store = fdl_store_open(&program, &options, &err);
    if (!store)
        fail_msg("open: %s", err.message);
    return store;
}

static fdl_status ingest(fdl_store *store, const char *user, const char *item, const char *amount,
                         const char *ts)
{
    const char *fields[] = {user, item, amount, ts};
    size_t lengths[4];
    for (int i = 0; i < 4; i++)
        lengths[i] = fields[i] ? strlen(fields[i]) : 0;
    fdl_error err;
    return fdl_ingest_row(store, 0, fields, lengths, &err);
}

/* ---------------------------------------------------------------- tests */

static void test_open_and_options(void **state)
{
    (void)state;
    fdl_store_options options = fdl_store_options_default();
    assert_false(options.keep_history);
    assert_true(options.load_embeddings);

    fdl_error err;
    fdl_program wrong = program;
    wrong.abi_version = FDL_ABI_VERSION + 1;
    assert_null(fdl_store_open(&wrong, NULL, &err));
    assert_int_equal(err.status, FDL_ERR_ABI);
    assert_non_null(strstr(err.message, "ABI"));
    assert_null(fdl_store_open(NULL, NULL, &err));
    assert_int_equal(err.status, FDL_ERR_ARGUMENT);

    /* a missing embedding file fails the open, unless embeddings are not loaded */
    fdl_embedding_desc missing[] = {{"user_vec", E_USER, 3, "/nonexistent/fdl/user.csv"}};
    fdl_program no_file = program;
    no_file.nembeddings = 1;
    no_file.embeddings = missing;
    assert_null(fdl_store_open(&no_file, NULL, &err));
    assert_int_equal(err.status, FDL_ERR_IO);
    options.load_embeddings = false;
    fdl_store *store = fdl_store_open(&no_file, &options, &err);
    assert_non_null(store);
    assert_ptr_equal(fdl_store_program(store), &no_file);
    assert_int_equal(fdl_embedding_lookup(store, 0, fdl_int64(1)).type, FDL_NULL);
    fdl_store_close(store);
    fdl_store_close(NULL);

    /* an aggregation the value type cannot take is refused at open */
    static const fdl_agg_desc bad_aggs[] = {{FDL_AGG_SUM, 0, FDL_STRING, 0, 0.0, 0, NULL}};
    static const fdl_group_desc bad_groups[] = {{"bad", E_ITEM, 0, FDL_STRING, 1, bad_aggs, FDL_NULL, 0}};
    fdl_program bad = program;
    bad.groups = bad_groups;
    bad.ngroups = 1;
    assert_null(fdl_store_open(&bad, &options, &err));
    assert_int_equal(err.status, FDL_ERR_ARGUMENT);
    assert_non_null(strstr(err.message, "sum"));
    /* and so is a mean with a non-float result type */
    static const fdl_agg_desc bad_mean[] = {{FDL_AGG_MEAN, 0, FDL_INT64, 0, 0.0, 0, NULL}};
    static const fdl_group_desc bad_mean_groups[] = {{"bad mean", E_USER, 0, FDL_INT64, 1, bad_mean, FDL_NULL, 0}};
    bad.groups = bad_mean_groups;
    assert_null(fdl_store_open(&bad, &options, &err));
    assert_int_equal(err.status, FDL_ERR_ARGUMENT);
}

static void test_entities(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    assert_null(fdl_store_entity(store, E_USER, fdl_null(), true));
    assert_null(fdl_store_entity(store, E_USER, fdl_string("1", 1), true));   /* wrong key type */
    assert_null(fdl_store_entity(store, 7, fdl_int64(1), true));
    assert_null(fdl_store_entity(store, E_USER, fdl_int64(1), false));
    fdl_entity_state *a = fdl_store_entity(store, E_USER, fdl_int64(1), true);
    fdl_entity_state *b = fdl_store_entity(store, E_USER, fdl_int64(2), true);
    fdl_entity_state *c = fdl_store_entity(store, E_ITEM, fdl_string("1", 1), true);
    fdl_entity_state *empty = fdl_store_entity(store, E_ITEM, fdl_string("", 0), true);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(empty);
    assert_ptr_not_equal(a, b);
    assert_ptr_not_equal(c, empty);
    /* many more keys: earlier pointers stay valid */
    for (int64_t i = 100; i < 5000; i++)
        assert_non_null(fdl_store_entity(store, E_USER, fdl_int64(i), true));
    assert_ptr_equal(fdl_store_entity(store, E_USER, fdl_int64(1), false), a);
    assert_ptr_equal(fdl_store_entity(store, E_USER, fdl_int64(2), true), b);
    assert_ptr_equal(fdl_store_entity(store, E_ITEM, fdl_string("1", 1), false), c);
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.entities, 4 + 4900);

    /* a group belongs to one entity */
    assert_int_equal(fdl_group_push(store, c, G_USER_AMOUNT, 1, fdl_float64(1)), FDL_ERR_ARGUMENT);
    fdl_value out;
    assert_int_equal(fdl_group_read(store, a, G_ITEM_ORDERS, 0, 1, &out), FDL_ERR_ARGUMENT);
    fdl_store_close(store);
}

/* The store remembers the last key looked up per entity; a state freed by
 * the sweep or forgotten by a batch worker must never be handed out. */
static void test_remembered_key_after_drop(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_value book = fdl_string("book", 4);
    fdl_time t0 = (fdl_time)1700000000 * 1000000;
    fdl_entity_state *item = fdl_store_entity(store, E_ITEM, book, true);
    assert_non_null(item);
    assert_int_equal(fdl_group_push(store, item, G_ITEM_ORDERS, t0, fdl_null()), FDL_OK);
    assert_ptr_equal(fdl_store_entity(store, E_ITEM, book, false), item);   /* remembered */
    /* A day later the 1-hour window holds nothing: the entity is dropped. */
    fdl_store_advance_time(store, t0 + (fdl_time)86400 * 1000000);
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.entities_dropped, 1);
    assert_null(fdl_store_entity(store, E_ITEM, book, false));
    fdl_entity_state *again = fdl_store_entity(store, E_ITEM, book, true);
    assert_non_null(again);
    assert_int_equal(fdl_group_push(store, again, G_ITEM_ORDERS, t0 + (fdl_time)86400 * 1000000, fdl_null()),
                     FDL_OK);
    /* Forgotten (a batch worker done with a key): the same. */
    assert_ptr_equal(fdl_store_entity(store, E_ITEM, book, false), again);
    fdl_store_forget_entities(store);
    assert_null(fdl_store_entity(store, E_ITEM, book, false));
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.entities, 0);
    /* Keys longer than what is remembered still work. */
    char long_key[100];
    memset(long_key, 'k', sizeof long_key);
    fdl_entity_state *a = fdl_store_entity(store, E_ITEM, fdl_string(long_key, 100), true);
    fdl_entity_state *b = fdl_store_entity(store, E_ITEM, fdl_string(long_key, 99), true);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(fdl_store_entity(store, E_ITEM, fdl_string(long_key, 100), false), a);
    fdl_store_close(store);
}

static void test_ingest_and_read(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    char ts[32];
    /* one order a minute for two hours, alternating users 1 and 2 */
    for (int i = 0; i < 120; i++) {
        snprintf(ts, sizeof ts, "%lld", (long long)(i * 60 * FDL_MICROS_PER_SECOND));
        assert_int_equal(ingest(store, i % 2 ? "2" : "1", i % 3 ? "book" : "pen", "0.5", ts), FDL_OK);
    }
    assert_int_equal(ingest(store, NULL, "book", "1.0", "0"), FDL_OK);    /* null user */
    assert_int_equal(ingest(store, "1", "book", NULL, "0"), FDL_OK);      /* null amount */
    assert_int_equal(ingest(store, "1", "book", "1.0", NULL), FDL_ERR_PARSE);

    fdl_time t = 2 * HOUR;
    fdl_value keys[2] = {fdl_int64(1), fdl_string("book", 4)};
    fdl_value out[4];
    fdl_error err;
    assert_int_equal(fdl_read_feature(store, F_USER_SPEND_1H, keys, t, out, &err), FDL_OK);
    assert_int_equal(out[0].type, FDL_FLOAT64);
    assert_true(out[0].as.f == 15.0);             /* 30 orders of user 1 in the last hour */
    assert_int_equal(fdl_read_set(store, 0, keys, t, out, &err), FDL_OK);
    assert_true(out[0].as.f == 15.0);
    assert_int_equal(out[1].type, FDL_INT64);
    assert_int_equal(out[1].as.i, 60);            /* lifetime: non-null amounts only */
    assert_int_equal(out[2].as.i, 40);            /* book: i % 3 != 0 in the last hour */
    assert_int_equal(out[3].type, FDL_FLOAT64);
    assert_true(out[3].as.f == 1.0);              /* user 1 (1,0,0) vs book (1,0,0) */

    /* unknown keys read as empty windows */
    fdl_value strangers[2] = {fdl_int64(99), fdl_string("car", 3)};
    assert_int_equal(fdl_read_set(store, 0, strangers, t, out, &err), FDL_OK);
    assert_true(out[0].type == FDL_FLOAT64 && out[0].as.f == 0.0);
    assert_int_equal(out[1].as.i, 0);
    assert_int_equal(out[2].as.i, 0);
    assert_int_equal(out[3].type, FDL_NULL);

    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_ingested, 122);
    assert_int_equal(stats.events_null_key, 1);
    assert_int_equal(stats.entities, 2 + 2);

    /* reading back before evicted history is an error naming the feature */
    assert_int_equal(fdl_read_feature(store, F_USER_SPEND_1H, keys, HOUR / 2, out, &err), FDL_ERR_HISTORY);
    assert_int_equal(err.status, FDL_ERR_HISTORY);
    assert_non_null(strstr(err.message, "user_spend_1h"));
    assert_int_equal(fdl_read_set(store, 0, keys, HOUR / 2, out, &err), FDL_ERR_HISTORY);
    assert_non_null(strstr(err.message, "main"));

    /* bounds */
    assert_int_equal(fdl_read_feature(store, 4, keys, t, out, &err), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_read_feature(store, -1, keys, t, out, &err), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_read_feature(store, 0, NULL, t, out, &err), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_read_set(store, 1, keys, t, out, &err), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_read_set(store, 0, keys, t, NULL, &err), FDL_ERR_ARGUMENT);
    const char *fields[4] = {"1", "a", "1", "1"};
    size_t lengths[4] = {1, 1, 1, 1};
    assert_int_equal(fdl_ingest_row(store, 1, fields, lengths, &err), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_ingest_row(store, -1, fields, lengths, &err), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_ingest_row(store, 0, NULL, lengths, &err), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_ingest_row(store, 0, fields, lengths, NULL), FDL_OK);
    fdl_store_close(store);

    /* with history kept, the same read works */
    store = open_store(true);
    for (int i = 0; i < 120; i++) {
        snprintf(ts, sizeof ts, "%lld", (long long)(i * 60 * FDL_MICROS_PER_SECOND));
        assert_int_equal(ingest(store, i % 2 ? "2" : "1", "book", "0.5", ts), FDL_OK);
    }
    assert_int_equal(fdl_read_feature(store, F_USER_SPEND_1H, keys, t, out, &err), FDL_OK);
    assert_int_equal(fdl_read_feature(store, F_USER_SPEND_1H, keys, HOUR / 2, out, &err), FDL_OK);
    assert_true(out[0].as.f == 7.5);              /* minutes 0, 2, ..., 28 */
    fdl_store_close(store);
}

static void test_embeddings(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_value v = fdl_embedding_lookup(store, 0, fdl_int64(2));
    assert_int_equal(v.type, FDL_VECTOR);
    assert_int_equal(v.dim, 3);
    assert_true(v.as.v[0] == 0.0 && v.as.v[1] == 1.0 && v.as.v[2] == 0.0);
    v = fdl_embedding_lookup(store, 1, fdl_string("pen", 3));
    assert_int_equal(v.type, FDL_VECTOR);
    assert_true(v.as.v[2] == 2.0);
    assert_int_equal(fdl_embedding_lookup(store, 0, fdl_int64(3)).type, FDL_NULL);
    assert_int_equal(fdl_embedding_lookup(store, 0, fdl_null()).type, FDL_NULL);
    assert_int_equal(fdl_embedding_lookup(store, 2, fdl_int64(1)).type, FDL_NULL);
    assert_int_equal(fdl_embedding_lookup(store, -1, fdl_int64(1)).type, FDL_NULL);

    /* cosine through a feature: user 2 (0,1,0) vs pen (0,0,2) */
    fdl_value keys[2] = {fdl_int64(2), fdl_string("pen", 3)}, out;
    fdl_error err;
    assert_int_equal(fdl_read_feature(store, F_SIMILARITY, keys, 0, &out, &err), FDL_OK);
    assert_true(out.type == FDL_FLOAT64 && out.as.f == 0.0);

    /* replace the user table */
    assert_int_equal(fdl_store_load_embedding(store, 0, other_embedding_path, &err), FDL_OK);
    assert_int_equal(fdl_embedding_lookup(store, 0, fdl_int64(2)).type, FDL_NULL);
    v = fdl_embedding_lookup(store, 0, fdl_int64(3));
    assert_int_equal(v.type, FDL_VECTOR);
    assert_true(v.as.v[0] == 1.0 && v.as.v[1] == 1.0 && v.as.v[2] == 1.0);
    keys[0] = fdl_int64(1);
    assert_int_equal(fdl_read_feature(store, F_SIMILARITY, keys, 0, &out, &err), FDL_OK);
    assert_true(out.type == FDL_FLOAT64 && out.as.f == 1.0);   /* (0,0,1) vs (0,0,2) */

    /* errors keep the old table */
    assert_int_not_equal(fdl_store_load_embedding(store, 0, "/nonexistent/fdl.csv", &err), FDL_OK);
    assert_int_equal(fdl_embedding_lookup(store, 0, fdl_int64(3)).type, FDL_VECTOR);
    assert_int_equal(fdl_store_load_embedding(store, 2, other_embedding_path, &err), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_store_load_embedding(store, 0, NULL, &err), FDL_ERR_ARGUMENT);
    fdl_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_options),
        cmocka_unit_test(test_entities),
        cmocka_unit_test(test_remembered_key_after_drop),
        cmocka_unit_test(test_ingest_and_read),
        cmocka_unit_test(test_embeddings),
    };
    return cmocka_run_group_tests(tests, setup_files, remove_files);
}
