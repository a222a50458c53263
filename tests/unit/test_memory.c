/*
 * test_memory.c - the online store's memory bound (docs/language.md,
 * Serving: "Memory"): eviction on ingest through the store-wide
 * watermark, entities dropped once their state is empty, the history rule
 * for every key, values unchanged against a store keeping history, and
 * fdl_store_set_limits. Uses a hand-written program (as test_store.c).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fdlrt.h"
#include "hand_parse.h"

/* ------------------------------------------------------------ the program */

enum { E_USER, E_ACCOUNT };
enum { G_USER, G_ACCOUNT, G_ACCOUNT_HOP };
#define MINUTE (60 * FDL_MICROS_PER_SECOND)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define T0 (INT64_C(1704067200) * FDL_MICROS_PER_SECOND)     /* 2024-01-01 */

static const fdl_entity_desc entities[] = {
    {"user", "user_id", FDL_INT64, 1, (const char *const[]){"user_id"}, (const fdl_type[]){FDL_INT64}},
    {"account", "account_id", FDL_INT64, 1, (const char *const[]){"account_id"}, (const fdl_type[]){FDL_INT64}},
};
static const fdl_field_desc fields[] = {
    {"user_id", FDL_INT64}, {"account_id", FDL_INT64}, {"amount", FDL_FLOAT64}, {"ts", FDL_TIMESTAMP},
};
static const fdl_agg_desc user_aggs[] = {
    {FDL_AGG_SUM, HOUR, FDL_FLOAT64, 0, 0.0, 0, NULL},
    {FDL_AGG_COUNT, DAY, FDL_INT64, 0, 0.0, 0, NULL},
    {FDL_AGG_MEAN, HOUR, FDL_FLOAT64, 0, 0.0, 0, NULL},
};
static const fdl_agg_desc hop_aggs[] = {{FDL_AGG_SUM, HOUR, FDL_FLOAT64, 0, 0.0, 0, NULL}};
static const fdl_agg_desc account_aggs[] = {
    {FDL_AGG_COUNT, 0, FDL_INT64, 0, 0.0, 0, NULL},
    {FDL_AGG_SUM, HOUR, FDL_FLOAT64, 0, 0.0, 0, NULL},
};
static const fdl_group_desc groups[] = {
    {"amount by user", E_USER, 0, FDL_FLOAT64, 3, user_aggs, FDL_NULL, 0},
    {"amount by account", E_ACCOUNT, 0, FDL_FLOAT64, 2, account_aggs, FDL_NULL, 0},
    {"amount by account, hopped", E_ACCOUNT, 0, FDL_FLOAT64, 1, hop_aggs, FDL_NULL, 15 * MINUTE},
};

/* As generated code does: note the event first, then take the entities. */
static fdl_status ingest_row(fdl_store *store, const char *const *cells, const size_t *lengths,
                             fdl_error *err)
{
    fdl_value user = parse_field(FDL_INT64, cells[0], lengths[0]);
    fdl_value account = parse_field(FDL_INT64, cells[1], lengths[1]);
    fdl_value amount = parse_field(FDL_FLOAT64, cells[2], lengths[2]);
    fdl_value ts = parse_field(FDL_TIMESTAMP, cells[3], lengths[3]);
    if (ts.type == FDL_NULL)
        return fdl_error_set(err, FDL_ERR_PARSE, "null event time");
    fdl_store_note_event(store);
    fdl_status status = fdl_group_push(store, fdl_store_entity(store, E_USER, user, true), G_USER,
                                       ts.as.t, amount);
    fdl_entity_state *a = fdl_store_entity(store, E_ACCOUNT, account, true);
    if (status == FDL_OK)
        status = fdl_group_push(store, a, G_ACCOUNT, ts.as.t, amount);
    if (status == FDL_OK)
        status = fdl_group_push(store, a, G_ACCOUNT_HOP, ts.as.t, amount);
    return status;
}

static const fdl_source_desc sources[] = {{"payments", 4, fields, 3, ingest_row, NULL, NULL, 0, NULL, {-1, -1, NULL}, NULL}};

static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "memory_test", .fingerprint = "0",
    .nentities = 2, .entities = entities, .nsources = 1, .sources = sources,
    .ngroups = 3, .groups = groups,
};

static fdl_store *open_store(bool keep_history, int64_t lateness)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    options.lateness = lateness;
    fdl_error err;
    fdl_store *store = fdl_store_open(&program, &options, &err);
    if (!store)
        fail_msg("open: %s", err.message);
    return store;
}

/* An event; account < 0: no account (a null key). */
static fdl_status ingest(fdl_store *store, int64_t user, int64_t account, double amount, fdl_time t)
{
    char cells[4][32];
    snprintf(cells[0], sizeof cells[0], "%" PRId64, user);
    snprintf(cells[1], sizeof cells[1], "%" PRId64, account);
    snprintf(cells[2], sizeof cells[2], "%.17g", amount);
    snprintf(cells[3], sizeof cells[3], "%" PRId64, (int64_t)t);
    const char *row[] = {cells[0], account < 0 ? NULL : cells[1], cells[2], cells[3]};
    size_t lengths[4];
    for (int i = 0; i < 4; i++)
        lengths[i] = row[i] ? strlen(row[i]) : 0;
    fdl_error err;
    return fdl_ingest_row(store, 0, row, lengths, &err);
}

static void ingest_ok(fdl_store *store, int64_t user, int64_t account, double amount, fdl_time t)
{
    assert_int_equal(ingest(store, user, account, amount, t), FDL_OK);
}

static fdl_store_stats stats_of(const fdl_store *store)
{
    fdl_store_stats s;
    fdl_store_get_stats(store, &s);
    return s;
}

/* Reads aggregation agg of group as a generated read does. */
static fdl_status read_agg(fdl_store *store, int group, int agg, int64_t key, fdl_time t, fdl_value *out)
{
    int entity = groups[group].entity;
    return fdl_group_read(store, fdl_store_entity(store, entity, fdl_int64(key), false), group, agg, t, out);
}

static void assert_same_value(fdl_value a, fdl_value b, const char *what)
{
    if (a.type != b.type)
        fail_msg("%s: types %d and %d", what, a.type, b.type);
    if (a.type == FDL_INT64 && a.as.i != b.as.i)
        fail_msg("%s: %lld and %lld", what, (long long)a.as.i, (long long)b.as.i);
    if (a.type == FDL_FLOAT64 && memcmp(&a.as.f, &b.as.f, sizeof a.as.f) != 0)
        fail_msg("%s: %.17g and %.17g", what, a.as.f, b.as.f);
}

/* ----------------------------------------------------------------- tests */

/*
 * The case: 1,000,000 distinct keys, then time moves 400 days on
 * through ingest alone (one key's events): every idle key is evicted and
 * dropped, and the bytes held fall to near zero.
 */
static void test_million_keys_then_400_days(void **state)
{
    (void)state;
    enum { KEYS = 1000000 };
    fdl_store *store = open_store(false, FDL_STORE_DEFAULT_LATENESS);
    fdl_store_stats before = stats_of(store);
    for (int64_t k = 0; k < KEYS; k++)
        ingest_ok(store, k, -1, 1.5, T0 + k * 1000);      /* a millisecond apart */
    fdl_store_stats full = stats_of(store);
    assert_int_equal(full.entities, KEYS);
    assert_int_equal(full.events_held, KEYS);
    assert_int_equal(full.entities_dropped, 0);
    printf("  %d keys: %" PRIu64 " bytes held, %.0f bytes per key\n", KEYS, full.bytes_held,
           (double)(full.bytes_held - before.bytes_held) / KEYS);

    /* 400 days later: one key's events, 5 minutes apart, move the
     * watermark; the sweep of each ingest reaches every slot within
     * capacity / 8 ingests (a little more as the map shrinks). */
    fdl_time later = T0 + 400 * DAY, last = later;
    for (int i = 0; i < 400000; i++)
        ingest_ok(store, KEYS + 1, -1, 2.0, last = later + i * 5 * MINUTE);
    fdl_store_stats after = stats_of(store);
    printf("  400 days on: %" PRIu64 " entities, %" PRIu64 " bytes held, %" PRIu64 " dropped\n",
           after.entities, after.bytes_held, after.entities_dropped);
    assert_int_equal(after.entities, 1);                    /* the key still active */
    assert_int_equal(after.entities_dropped, KEYS);
    /* its last day and hour (the lateness) as of the event before the
     * last (a push expires its group, then moves the watermark) */
    assert_int_equal(after.events_held, 302);
    assert_true(after.bytes_held < 64 * 1024);            /* from hundreds of megabytes */

    /* fdl_store_advance_time sweeps all at once: nothing left. */
    fdl_store_advance_time(store, last + 2 * DAY);
    after = stats_of(store);
    assert_int_equal(after.entities, 0);
    assert_int_equal(after.events_held, 0);
    assert_int_equal(after.tiles_held, 0);
    assert_true(after.bytes_held < 4096);
    fdl_store_close(store);
}

/* Lifetime totals are never evicted by time: such an entity stays, exact. */
static void test_lifetime_stays(void **state)
{
    (void)state;
    fdl_store *store = open_store(false, 0);
    for (int i = 0; i < 10; i++)
        ingest_ok(store, i, 7, 1.0, T0 + i * MINUTE);
    fdl_store_advance_time(store, T0 + 400 * DAY);
    fdl_store_stats s = stats_of(store);
    assert_int_equal(s.entities, 1);                      /* account 7; the users went */
    assert_int_equal(s.entities_dropped, 10);
    fdl_value out;
    assert_int_equal(read_agg(store, G_ACCOUNT, 0, 7, T0 + 400 * DAY, &out), FDL_OK);
    assert_int_equal(out.as.i, 10);
    assert_int_equal(read_agg(store, G_ACCOUNT, 1, 7, T0 + 400 * DAY, &out), FDL_OK);
    assert_true(out.type == FDL_FLOAT64 && out.as.f == 0.0);
    fdl_store_close(store);
}

/*
 * The history rule holds for every key alike: after the store has seen an
 * event at m (lateness L), a read whose window starts before m - L - W
 * fails, held key or not, dropped or never seen; one after it answers.
 */
static void test_history_rule_for_every_key(void **state)
{
    (void)state;
    fdl_store *store = open_store(false, HOUR);
    ingest_ok(store, 1, -1, 5.0, T0);
    ingest_ok(store, 2, -1, 5.0, T0 + 10 * DAY);
    fdl_store_advance_time(store, T0 + 10 * DAY);       /* user 1 dropped */
    assert_int_equal(stats_of(store).entities_dropped, 1);
    fdl_value out;
    /* the watermark: newest less the lateness; the group's W is one day,
     * so windows must start at watermark - 1 day or later */
    fdl_time watermark = T0 + 10 * DAY - HOUR;
    for (int64_t key = 1; key <= 3; key++) {            /* dropped, held, never seen */
        assert_int_equal(read_agg(store, G_USER, 1, key, watermark - 1, &out), FDL_ERR_HISTORY);
        assert_int_equal(read_agg(store, G_USER, 0, key, watermark - 23 * HOUR - 1, &out), FDL_ERR_HISTORY);
        assert_int_equal(read_agg(store, G_ACCOUNT_HOP, 0, key, watermark - 23 * HOUR - 15 * MINUTE, &out),
                         FDL_ERR_HISTORY);
        assert_int_equal(read_agg(store, G_USER, 0, key, watermark - 23 * HOUR, &out), FDL_OK);
        assert_int_equal(read_agg(store, G_USER, 1, key, watermark, &out), FDL_OK);
        assert_int_equal(out.as.i, 0);
        assert_int_equal(read_agg(store, G_USER, 1, key, T0 + 10 * DAY + 1, &out), FDL_OK);
        assert_int_equal(out.as.i, key == 2 ? 1 : 0);
    }
    fdl_store_close(store);

    /* keep_history: nothing is cut, nothing dropped. */
    store = open_store(true, 0);
    ingest_ok(store, 1, -1, 5.0, T0);
    fdl_store_advance_time(store, T0 + 400 * DAY);
    assert_int_equal(stats_of(store).entities, 1);
    assert_int_equal(read_agg(store, G_USER, 1, 1, T0 + 1, &out), FDL_OK);
    assert_int_equal(out.as.i, 1);
    fdl_store_close(store);
}

static uint64_t rng_state = 42;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/*
 * Values unchanged: the same events and reads into an evicting store
 * (lateness 0: the most eviction) and one keeping history give the same
 * value, bit for bit, every read; events within the lateness come out of
 * order; keys go idle for days and come back.
 */
static void test_values_unchanged(void **state)
{
    (void)state;
    fdl_store *evicting = open_store(false, 10 * MINUTE);
    fdl_store *keeping = open_store(true, 0);
    fdl_time clock = T0, last_read = T0;
    for (int i = 0; i < 200000; i++) {
        clock += (fdl_time)(rng() % (uint64_t)(2 * MINUTE));
        if (rng() % 5000 == 0)
            clock += (fdl_time)(rng() % (uint64_t)(3 * DAY));   /* a quiet spell */
        fdl_time t = clock - (fdl_time)(rng() % (uint64_t)(10 * MINUTE));  /* within the lateness */
        int64_t user = (int64_t)(rng() % 3000), account = (int64_t)(rng() % 50) - 5;
        double amount = (double)(rng() % 100000) / 100.0;
        ingest_ok(evicting, user, account, amount, t);
        ingest_ok(keeping, user, account, amount, t);
        if (rng() % 4)
            continue;
        /* reads as of now: at the newest event time or later, never back
         * before an earlier read (the rule of reads without history) */
        fdl_time at = clock + (fdl_time)(rng() % (uint64_t)(5 * MINUTE));
        if (at < last_read)
            at = last_read;
        last_read = at;
        int group = (int)(rng() % 3);
        int64_t key = group != G_USER ? (int64_t)(rng() % 50) : (int64_t)(rng() % 3000);
        for (int agg = 0; agg < groups[group].naggs; agg++) {
            fdl_value a, b;
            assert_int_equal(read_agg(evicting, group, agg, key, at, &a), FDL_OK);
            assert_int_equal(read_agg(keeping, group, agg, key, at, &b), FDL_OK);
            char what[96];
            snprintf(what, sizeof what, "group %d agg %d key %lld at event %d", group, agg,
                     (long long)key, i);
            assert_same_value(a, b, what);
        }
    }
    fdl_store_stats e = stats_of(evicting), k = stats_of(keeping);
    printf("  evicting: %" PRIu64 " entities, %" PRIu64 " events, %" PRIu64 " bytes; "
           "keeping history: %" PRIu64 " entities, %" PRIu64 " events, %" PRIu64 " bytes\n",
           e.entities, e.events_held, e.bytes_held, k.entities, k.events_held, k.bytes_held);
    assert_true(e.entities_dropped > 0);
    assert_int_equal(e.events_late, 0);
    assert_true(e.bytes_held * 4 < k.bytes_held);
    fdl_store_close(evicting);
    fdl_store_close(keeping);
}

/* The limit refuses events whole, keeps what it holds, and lets events in
 * again once time frees room. */
static void test_limits(void **state)
{
    (void)state;
    fdl_store *store = open_store(false, 0);
    fdl_store_set_limits(store, 10, 0);
    for (int i = 0; i < 10; i++)
        ingest_ok(store, i, -1, 1.0, T0 + i);
    fdl_error err;
    const char *row[] = {"10", NULL, "1", "1704067200000000"};
    size_t lengths[] = {2, 0, 1, 16};
    assert_int_equal(fdl_ingest_row(store, 0, row, lengths, &err), FDL_ERR_LIMIT);
    assert_int_equal(err.status, FDL_ERR_LIMIT);
    assert_non_null(strstr(err.message, "limit"));
    /* At the limit, a known key's event is refused too: nothing of it is stored. */
    assert_int_equal(ingest(store, 3, -1, 1.0, T0 + 20), FDL_ERR_LIMIT);
    fdl_store_stats s = stats_of(store);
    assert_int_equal(s.events_refused, 2);
    assert_int_equal(s.entities, 10);
    assert_int_equal(s.events_ingested, 10);
    fdl_value out;
    assert_int_equal(read_agg(store, G_USER, 1, 3, T0 + 30, &out), FDL_OK);
    assert_int_equal(out.as.i, 1);                        /* exact: nothing dropped for room */

    /* Time frees room. */
    fdl_store_advance_time(store, T0 + 2 * DAY);
    assert_int_equal(stats_of(store).entities, 0);
    ingest_ok(store, 10, -1, 1.0, T0 + 2 * DAY);

    /* A byte limit: refused once the store holds that much. */
    uint64_t max_bytes = stats_of(store).bytes_held + 20000;
    fdl_store_set_limits(store, 0, max_bytes);
    int64_t key = 100;
    while (ingest(store, key, -1, 1.0, T0 + 2 * DAY + key) == FDL_OK)
        key++;
    s = stats_of(store);
    assert_true(key > 100);
    assert_true(s.bytes_held >= max_bytes);
    assert_int_equal(s.events_refused, 3);
    fdl_store_set_limits(store, 0, 0);
    ingest_ok(store, key, -1, 1.0, T0 + 2 * DAY + key);
    fdl_store_close(store);
}

/* Negative lateness is refused at open. */
static void test_lateness_option(void **state)
{
    (void)state;
    fdl_store_options options = fdl_store_options_default();
    assert_int_equal(options.lateness, FDL_STORE_DEFAULT_LATENESS);
    options.lateness = -1;
    fdl_error err;
    assert_null(fdl_store_open(&program, &options, &err));
    assert_int_equal(err.status, FDL_ERR_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_million_keys_then_400_days),
        cmocka_unit_test(test_lifetime_stays),
        cmocka_unit_test(test_history_rule_for_every_key),
        cmocka_unit_test(test_values_unchanged),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_lateness_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
