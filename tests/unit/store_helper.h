/*
 * store_helper.h - what the runtime's aggregation tests share: a program's
 * one entity (user, int64 key), a store opened over a hand-written program,
 * and pushes and reads that fail the test on any error status.
 */
#ifndef FDL_TEST_STORE_HELPER_H
#define FDL_TEST_STORE_HELPER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include "fdlrt.h"

static const char *const user_keys[] = {"user_id"};
static const fdl_type user_key_types[] = {FDL_INT64};
/* The entities of a test program: user, keyed by an int64 user_id. */
static const fdl_entity_desc user_entities[] = {
    {"user", "user_id", FDL_INT64, 1, user_keys, user_key_types}};

static inline fdl_store *open_program_store(const fdl_program *program, bool keep_history)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    options.load_embeddings = false;
    fdl_error err;
    fdl_store *store = fdl_store_open(program, &options, &err);
    if (!store)
        fail_msg("open: %s", err.message);
    return store;
}

static inline fdl_entity_state *user(fdl_store *store, int64_t id)
{
    fdl_entity_state *e = fdl_store_entity(store, 0, fdl_int64(id), true);
    assert_non_null(e);
    return e;
}

static inline fdl_value read_ok(fdl_store *store, fdl_entity_state *e, int group, int agg, fdl_time t)
{
    fdl_value out;
    fdl_status status = fdl_group_read(store, e, group, agg, t, &out);
    if (status != FDL_OK)
        fail_msg("read group %d agg %d at %lld: status %d", group, agg, (long long)t, status);
    return out;
}

static inline void push(fdl_store *store, fdl_entity_state *e, int group, fdl_time t, fdl_value v)
{
    assert_int_equal(fdl_group_push(store, e, group, t, v), FDL_OK);
}

#endif
