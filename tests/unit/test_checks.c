/*
 * test_checks.c - source expectations at run time (runtime/checks.c):
 * fdl_check_violated and what each policy returns, the row accounting, the
 * helpers the generated check functions call (in, matches, ordered, max_gap,
 * exists_in, unique), field statistics, verdicts of statistical
 * expectations and SLAs, the JSON report, the quarantine and the
 * processing time. The program is hand-written, as fdlc would generate it:
 * a source "users" that "events" looks user ids up in.
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

#define SECOND FDL_MICROS_PER_SECOND
#define HOUR (3600 * SECOND)
#define DAY (24 * HOUR)
#define T0 (INT64_C(1700000000) * SECOND)   /* 2023-11-14T22:13:20Z */

/* ------------------------------------------- a hand-written "generated" program */

enum { S_USERS, S_EVENTS };
enum { U_TS, U_USER, U_NFIELDS };
enum { K_U_INV_TS, K_U_INV_USER, K_U_UNIQUE, K_U_NCHECKS };
enum { F_TS, F_USER, F_AMOUNT, F_QTY, F_KIND, F_VALID, NFIELDS };
enum {
    K_INV_TS, K_INV_USER, K_INV_AMOUNT, K_INV_QTY, K_INV_KIND, K_INV_VALID,
    K_NOT_NULL, K_RANGE, K_MATCHES, K_IN, K_SEARCH, K_FUTURE, K_ORDERED, K_GAP,
    K_EXPR, K_EXISTS, K_UNIQUE,
    K_MEAN, K_STDDEV, K_NULL_RATIO, K_DISTINCT_KIND, K_DISTINCT_QTY, K_DISTINCT_VALID,
    NCHECKS
};
enum { R_USERS_USER, R_EVENTS_QTY };   /* references */

static const fdl_field_desc user_fields[] = {{"ts", FDL_TIMESTAMP}, {"user_id", FDL_STRING}};
static const fdl_field_desc event_fields[] = {
    {"ts", FDL_TIMESTAMP}, {"user_id", FDL_STRING}, {"amount", FDL_FLOAT64},
    {"qty", FDL_INT64}, {"kind", FDL_STRING}, {"ok", FDL_BOOL},
};

#define CHECK(kind, field, policy, text) {kind, field, policy, text, NULL, 0, -1, -1, false, false, 0, 0}

static const fdl_check_desc user_checks[] = {
    CHECK(FDL_CHECK_INVALID, U_TS, FDL_POLICY_FAIL, "valid timestamp"),
    CHECK(FDL_CHECK_INVALID, U_USER, FDL_POLICY_FAIL, "valid string"),
    CHECK(FDL_CHECK_UNIQUE, -1, FDL_POLICY_DROP, "unique (user_id)"),
};

static const fdl_check_desc event_checks[] = {
    CHECK(FDL_CHECK_INVALID, F_TS, FDL_POLICY_DROP, "valid timestamp"),
    CHECK(FDL_CHECK_INVALID, F_USER, FDL_POLICY_FAIL, "valid string"),
    CHECK(FDL_CHECK_INVALID, F_AMOUNT, FDL_POLICY_FLAG, "valid float64"),
    CHECK(FDL_CHECK_INVALID, F_QTY, FDL_POLICY_FAIL, "valid int64"),
    CHECK(FDL_CHECK_INVALID, F_KIND, FDL_POLICY_FAIL, "valid string"),
    CHECK(FDL_CHECK_INVALID, F_VALID, FDL_POLICY_FAIL, "valid bool"),
    CHECK(FDL_CHECK_NOT_NULL, F_USER, FDL_POLICY_DROP, "not_null"),
    CHECK(FDL_CHECK_RANGE, F_AMOUNT, FDL_POLICY_CLAMP, "range [0.0, 100.0]"),
    {FDL_CHECK_MATCHES, F_KIND, FDL_POLICY_FAIL, "matches '^[a-z]+$'", "^[a-z]+$", 0, -1, -1, false, false, 0, 0},
    CHECK(FDL_CHECK_IN, F_KIND, FDL_POLICY_IMPUTE, "in ['a', 'b']"),
    /* A text with characters JSON must escape. */
    {FDL_CHECK_MATCHES, F_USER, FDL_POLICY_FLAG, "matches 'u[0-9]|\"\\\\'", "u[0-9]|\"\\\\", 0, -1, -1, false, false, 0, 0},
    {FDL_CHECK_MAX_FUTURE, F_TS, FDL_POLICY_DROP, "max_future 1h", NULL, HOUR, -1, -1, false, false, 0, 0},
    CHECK(FDL_CHECK_ORDERED, F_TS, FDL_POLICY_FLAG, "ordered"),
    {FDL_CHECK_MAX_GAP, F_TS, FDL_POLICY_FLAG, "max_gap 1d", NULL, DAY, -1, -1, false, false, 0, 0},
    CHECK(FDL_CHECK_EXPR, -1, FDL_POLICY_FLAG, "expr (qty > 0)"),
    {FDL_CHECK_EXISTS_IN, F_USER, FDL_POLICY_DROP, "exists_in users.user_id", NULL, 0, R_USERS_USER, -1, false, false, 0, 0},
    CHECK(FDL_CHECK_UNIQUE, -1, FDL_POLICY_FAIL, "unique (user_id, kind)"),
    {FDL_CHECK_MEAN, F_AMOUNT, FDL_POLICY_FAIL, "mean [1.0, 50.0]", NULL, 0, -1, -1, true, true, 1, 50},
    {FDL_CHECK_STDDEV, F_AMOUNT, FDL_POLICY_FLAG, "stddev [0.5, 10.0]", NULL, 0, -1, -1, true, true, 0.5, 10},
    {FDL_CHECK_NULL_RATIO, F_QTY, FDL_POLICY_FAIL, "null_ratio 0.25", NULL, 0, -1, -1, false, true, 0, 0.25},
    {FDL_CHECK_DISTINCT, F_KIND, FDL_POLICY_FLAG, "distinct [2, 3]", NULL, 0, -1, -1, true, true, 2, 3},
    {FDL_CHECK_DISTINCT, F_QTY, FDL_POLICY_FAIL, "distinct [2, null]", NULL, 0, -1, -1, true, false, 2, 0},
    {FDL_CHECK_DISTINCT, F_VALID, FDL_POLICY_FLAG, "distinct [null, 1]", NULL, 0, -1, -1, false, true, 0, 1},
};
static const double event_max_null_ratio[NFIELDS] = {-1, -1, -1, 0.1, -1, -1};

/* Test-local parsing into values and invalid flags: NULL is null, strings as given. */
static void parse_row(const fdl_field_desc *fields, int n, const char *const *cells,
                      const size_t *lengths, fdl_value *values, bool *invalid)
{
    for (int f = 0; f < n; f++) {
        invalid[f] = false;
        if (!cells[f])
            values[f] = fdl_null();
        else if (fields[f].type == FDL_STRING)
            values[f] = fdl_string(cells[f], lengths[f]);
        else if (fdl_parse_value(fields[f].type, cells[f], lengths[f], &values[f], NULL) != FDL_OK) {
            invalid[f] = true;
            values[f] = fdl_string(cells[f], lengths[f]);
        }
    }
}

#define VIOLATE(source, check, value)                                                  \
    do {                                                                               \
        fdl_status status_ = fdl_check_violated(store, source, check, value, err);     \
        if (status_ != FDL_OK)                                                         \
            return status_;                                                            \
    } while (0)

/* What fdlc generates for users: unique user ids, remembered for exists_in. */
static fdl_status ingest_users(fdl_store *store, const char *const *cells, const size_t *lengths,
                               fdl_error *err)
{
    fdl_value v[U_NFIELDS];
    bool invalid[U_NFIELDS];
    parse_row(user_fields, U_NFIELDS, cells, lengths, v, invalid);
    fdl_check_begin(store, S_USERS, v, invalid);
    if (invalid[U_TS] || v[U_TS].type != FDL_TIMESTAMP)
        VIOLATE(S_USERS, K_U_INV_TS, v[U_TS]);
    if (!fdl_check_unique(store, S_USERS, K_U_UNIQUE, 1, &v[U_USER]))
        VIOLATE(S_USERS, K_U_UNIQUE, fdl_null());
    fdl_check_accept(store, S_USERS, v[U_TS].as.t);
    fdl_check_remember(store, R_USERS_USER, v[U_USER]);
    return FDL_OK;
}

/* What fdlc generates for events, every row check in event_checks order. */
static fdl_status check_events(fdl_store *store, fdl_value *v, const bool *invalid, fdl_error *err)
{
    fdl_check_begin(store, S_EVENTS, v, invalid);
    if (invalid[F_TS] || v[F_TS].type != FDL_TIMESTAMP)
        VIOLATE(S_EVENTS, K_INV_TS, v[F_TS]);
    for (int f = F_USER; f < NFIELDS; f++)
        if (invalid[f]) {
            VIOLATE(S_EVENTS, K_INV_TS + f, v[f]);
            v[f] = fdl_null();      /* flag: the value becomes null */
        }
    if (fdl_is_null(v[F_USER]))
        VIOLATE(S_EVENTS, K_NOT_NULL, v[F_USER]);
    if (!fdl_is_null(v[F_AMOUNT]) && (v[F_AMOUNT].as.f < 0 || v[F_AMOUNT].as.f > 100)) {
        VIOLATE(S_EVENTS, K_RANGE, v[F_AMOUNT]);
        v[F_AMOUNT] = fdl_float64(v[F_AMOUNT].as.f < 0 ? 0 : 100);
    }
    if (!fdl_is_null(v[F_KIND]) && !fdl_check_matches(store, S_EVENTS, K_MATCHES, v[F_KIND]))
        VIOLATE(S_EVENTS, K_MATCHES, v[F_KIND]);
    static const fdl_value allowed[] = {{FDL_STRING, 0, {.s = {"a", 1}}}, {FDL_STRING, 0, {.s = {"b", 1}}}};
    if (!fdl_is_null(v[F_KIND]) && !fdl_check_in(v[F_KIND], allowed, 2)) {
        VIOLATE(S_EVENTS, K_IN, v[F_KIND]);
        v[F_KIND] = fdl_string("a", 1);
    }
    if (!fdl_is_null(v[F_USER]) && !fdl_check_matches(store, S_EVENTS, K_SEARCH, v[F_USER]))
        VIOLATE(S_EVENTS, K_SEARCH, v[F_USER]);
    if (v[F_TS].as.t > fdl_store_processing_time(store) + HOUR)
        VIOLATE(S_EVENTS, K_FUTURE, v[F_TS]);
    if (!fdl_check_ordered(store, S_EVENTS, v[F_TS].as.t))
        VIOLATE(S_EVENTS, K_ORDERED, v[F_TS]);
    if (!fdl_check_gap(store, S_EVENTS, v[F_TS].as.t, DAY))
        VIOLATE(S_EVENTS, K_GAP, v[F_TS]);
    if (!fdl_is_true(fdl_op_compare(FDL_CMP_GT, v[F_QTY], fdl_int64(0))))
        VIOLATE(S_EVENTS, K_EXPR, fdl_null());
    if (!fdl_check_exists(store, R_USERS_USER, v[F_USER]))
        VIOLATE(S_EVENTS, K_EXISTS, v[F_USER]);
    const fdl_value key[] = {v[F_USER], v[F_KIND]};
    if (!fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, key))
        VIOLATE(S_EVENTS, K_UNIQUE, fdl_null());
    fdl_check_accept(store, S_EVENTS, v[F_TS].as.t);
    fdl_check_remember(store, R_EVENTS_QTY, v[F_QTY]);
    return FDL_OK;
}

static fdl_status ingest_events(fdl_store *store, const char *const *cells, const size_t *lengths,
                                fdl_error *err)
{
    fdl_value v[NFIELDS];
    bool invalid[NFIELDS];
    parse_row(event_fields, NFIELDS, cells, lengths, v, invalid);
    fdl_status status = check_events(store, v, invalid, err);
    if (status == FDL_OK)
        fdl_store_note_event(store);
    return status;
}

static const fdl_source_desc sources[] = {
    {"users", U_NFIELDS, user_fields, U_TS, ingest_users, NULL, NULL, K_U_NCHECKS, user_checks,
     {-1, -1, NULL}, NULL},
    {"events", NFIELDS, event_fields, F_TS, ingest_events, NULL, NULL, NCHECKS, event_checks,
     {0.5, 4, event_max_null_ratio}, NULL},
};
static const fdl_reference_desc references[] = {{S_USERS, U_USER}, {S_EVENTS, F_QTY}};

static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "checks_test", .fingerprint = "fp-checks",
    .nsources = 2, .sources = sources, .nreferences = 2, .references = references,
};

/* ----------------------------------------------------------------- helpers */

static char report_path[96], quarantine_path[96];

static int setup(void **state)
{
    snprintf(report_path, sizeof report_path, "/tmp/fdl_test_checks_%d_report.json", (int)getpid());
    snprintf(quarantine_path, sizeof quarantine_path, "/tmp/fdl_test_checks_%d_quarantine.jsonl",
             (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    remove(report_path);
    remove(quarantine_path);
    return 0;
}

static fdl_store *open_store(void)
{
    fdl_error err = {0};
    fdl_store *store = fdl_store_open(&program, NULL, &err);
    if (!store)
        fail_msg("open: %s", err.message);
    fdl_store_set_processing_time(store, T0 + 10 * DAY);
    return store;
}

/* Ingests one events row given as texts (NULL = null) in field order. */
static fdl_status ingest(fdl_store *store, int source, const char *const *cells, fdl_error *err)
{
    size_t lengths[NFIELDS];
    int n = program.sources[source].nfields;
    for (int f = 0; f < n; f++)
        lengths[f] = cells[f] ? strlen(cells[f]) : 0;
    return fdl_ingest_row(store, source, cells, lengths, err);
}

static fdl_source_counts counts_of(const fdl_store *store, int source)
{
    fdl_source_counts c;
    assert_int_equal(fdl_store_source_counts(store, source, &c), FDL_OK);
    assert_true(c.read == c.accepted + c.dropped + c.failed);
    assert_true(c.clean <= c.accepted);
    return c;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = NULL;
    size_t size = 0, used = 0;
    for (;;) {
        if (used + 4096 + 1 > size) {
            size = size * 2 + 8192;
            text = realloc(text, size);
            assert_non_null(text);
        }
        size_t n = fread(text + used, 1, 4096, f);
        used += n;
        if (n == 0)
            break;
    }
    fclose(f);
    text[used] = '\0';
    return text;
}

/* A minimal JSON validator (RFC 8259 grammar): the end of the value, or NULL. */
static const char *json_value(const char *p, int depth);

static const char *json_space(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20)
            return NULL;    /* control characters must be escaped; NUL ends the text */
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                        return NULL;
                p += 5;
                continue;
            }
            if (!*p || !strchr("\"\\/bfnrt", *p))
                return NULL;
        }
        p++;
    }
    return p + 1;
}

static const char *json_number_end(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

static const char *json_value(const char *p, int depth)
{
    if (depth > 64)
        return NULL;
    p = json_space(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        bool object = *p == '{';
        p = json_space(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (object) {
                p = json_string(json_space(p));
                if (!p)
                    return NULL;
                p = json_space(p);
                if (*p++ != ':')
                    return NULL;
            }
            p = json_value(p, depth + 1);
            if (!p)
                return NULL;
            p = json_space(p);
            if (*p == close)
                return p + 1;
            if (*p++ != ',')
                return NULL;
        }
    }
    if (*p == '"')
        return json_string(p);
    if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
        return p + 4;
    if (strncmp(p, "false", 5) == 0)
        return p + 5;
    return json_number_end(p);
}

/* True when text is exactly one JSON value (with surrounding space). */
static bool json_valid(const char *text)
{
    const char *end = json_value(text, 0);
    return end && *json_space(end) == '\0';
}

/* The number after "key": at or after from. */
static double json_number_after(const char *from, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(from, pattern);
    if (!at)
        fail_msg("no %s in the JSON after %.40s", pattern, from);
    return strtod(at + strlen(pattern), NULL);
}

static bool close_to(double a, double b)
{
    return fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* ------------------------------------------------------------------- tests */

static void test_fresh_store(void **state)
{
    fdl_store *store = open_store();
    for (int s = 0; s < 2; s++) {
        fdl_source_counts c = counts_of(store, s);
        assert_true(c.read == 0 && c.accepted == 0 && c.dropped == 0 && c.failed == 0 && c.clean == 0);
    }
    fdl_source_counts c;
    assert_int_equal(fdl_store_source_counts(store, 2, &c), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_store_source_counts(store, -1, &c), FDL_ERR_ARGUMENT);
    for (int k = 0; k < NCHECKS; k++)
        assert_int_equal(fdl_store_check_violations(store, S_EVENTS, k), 0);
    fdl_field_stats stats;
    /* distinct is tracked only for fields with a distinct expectation */
    static const int64_t distinct[NFIELDS] = {-1, -1, -1, 0, 0, 0};
    for (int f = 0; f < NFIELDS; f++) {
        assert_int_equal(fdl_store_field_stats(store, S_EVENTS, f, &stats), FDL_OK);
        assert_true(stats.rows == 0 && stats.nulls == 0 && stats.invalid == 0 && stats.numbers == 0);
        assert_true(stats.stddev == 0);
        assert_int_equal(stats.distinct, distinct[f]);
    }
    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, NFIELDS, &stats), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_store_field_stats(store, S_USERS, U_NFIELDS, &stats), FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_store_field_stats(store, 5, 0, &stats), FDL_ERR_ARGUMENT);
    fdl_store_close(store);
}

static void test_violated_policies(void **state)
{
    fdl_store *store = open_store();
    fdl_value row[NFIELDS] = {fdl_timestamp(T0), fdl_string("u1", 2), fdl_float64(1), fdl_int64(1),
                              fdl_string("a", 1), fdl_bool(true)};
    fdl_error err;

    /* fail: FDL_ERR_CHECK, a message naming source, field, value and expectation */
    fdl_check_begin(store, S_EVENTS, row, NULL);
    memset(&err, 0, sizeof err);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_MATCHES, fdl_string("Bad1", 4), &err),
                     FDL_ERR_CHECK);
    assert_int_equal(err.status, FDL_ERR_CHECK);
    assert_string_equal(err.message, "source events: kind = 'Bad1' breaks matches '^[a-z]+$' (policy fail)");
    fdl_source_counts c = counts_of(store, S_EVENTS);
    assert_true(c.read == 1 && c.failed == 1 && c.dropped == 0 && c.accepted == 0 && c.clean == 0);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_MATCHES), 1);

    /* null values, invalid values, row expectations, long strings, no err */
    fdl_check_begin(store, S_EVENTS, row, NULL);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_MATCHES, fdl_null(), &err), FDL_ERR_CHECK);
    assert_string_equal(err.message, "source events: kind is null: breaks matches '^[a-z]+$' (policy fail)");
    fdl_check_begin(store, S_EVENTS, row, NULL);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_INV_QTY, fdl_string("12x", 3), &err), FDL_ERR_CHECK);
    assert_string_equal(err.message, "source events: qty = '12x' is not a valid int64 (policy fail)");
    fdl_check_begin(store, S_EVENTS, row, NULL);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_UNIQUE, fdl_null(), &err), FDL_ERR_CHECK);
    assert_string_equal(err.message, "source events: the row breaks unique (user_id, kind) (policy fail)");
    char long_text[100];
    memset(long_text, 'x', sizeof long_text);
    fdl_check_begin(store, S_EVENTS, row, NULL);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_MATCHES, fdl_string(long_text, 100), &err),
                     FDL_ERR_CHECK);
    char expected[256];
    snprintf(expected, sizeof expected, "source events: kind = '%.64s'... breaks matches '^[a-z]+$' (policy fail)",
             long_text);
    assert_string_equal(err.message, expected);
    fdl_check_begin(store, S_EVENTS, row, NULL);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_MATCHES, fdl_string("Z", 1), NULL), FDL_ERR_CHECK);
    c = counts_of(store, S_EVENTS);
    assert_true(c.read == 6 && c.failed == 6);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_MATCHES), 4);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_INV_QTY), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_UNIQUE), 1);

    /* drop: FDL_DROPPED, err untouched */
    fdl_check_begin(store, S_EVENTS, row, NULL);
    memset(&err, 0, sizeof err);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_NOT_NULL, fdl_null(), &err), FDL_DROPPED);
    assert_int_equal(err.status, FDL_OK);
    assert_string_equal(err.message, "");
    c = counts_of(store, S_EVENTS);
    assert_true(c.read == 7 && c.dropped == 1 && c.failed == 6 && c.accepted == 0);

    /* flag, clamp and impute go on: the row is accepted but not clean */
    fdl_check_begin(store, S_EVENTS, row, NULL);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_EXPR, fdl_null(), &err), FDL_OK);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_RANGE, fdl_float64(-2), &err), FDL_OK);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_IN, fdl_string("c", 1), &err), FDL_OK);
    assert_int_equal(err.status, FDL_OK);
    fdl_check_accept(store, S_EVENTS, T0);
    c = counts_of(store, S_EVENTS);
    assert_true(c.read == 8 && c.accepted == 1 && c.clean == 0 && c.dropped == 1 && c.failed == 6);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_EXPR), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_RANGE), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_IN), 1);

    /* a row with no violation is clean, even after a violated one */
    fdl_check_begin(store, S_EVENTS, row, NULL);
    fdl_check_accept(store, S_EVENTS, T0);
    c = counts_of(store, S_EVENTS);
    assert_true(c.read == 9 && c.accepted == 2 && c.clean == 1);

    /* out of range asks count nothing; the users source is separate */
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, NCHECKS), 0);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, -1), 0);
    assert_int_equal(fdl_store_check_violations(store, 2, 0), 0);
    c = counts_of(store, S_USERS);
    assert_true(c.read == 0);
    fdl_store_close(store);
}

static void test_accounting(void **state)
{
    fdl_store *store = open_store();
    fdl_error err;
    const char *u1[] = {"1700000000", "u1"}, *u1_again[] = {"1700000001", "u1"};
    const char *u2[] = {"1700000002", "u2"}, *u3[] = {"1700000003", "u3"};
    assert_int_equal(ingest(store, S_USERS, u1, &err), FDL_OK);
    assert_int_equal(ingest(store, S_USERS, u1_again, &err), FDL_DROPPED);
    assert_int_equal(ingest(store, S_USERS, u2, &err), FDL_OK);
    assert_int_equal(ingest(store, S_USERS, u3, &err), FDL_OK);
    fdl_source_counts c = counts_of(store, S_USERS);
    assert_true(c.read == 4 && c.accepted == 3 && c.dropped == 1 && c.clean == 3);

    static const struct { const char *cells[NFIELDS]; fdl_status status; bool clean; } rows[] = {
        {{"1700000000", "u1", "5", "1", "a", "true"}, FDL_OK, true},
        {{"1700000060", "u2", "500", "2", "b", "false"}, FDL_OK, false},    /* clamped */
        {{"1700000120", "u2", "5", "0", "zz", "true"}, FDL_OK, false},      /* expr flag, in impute */
        {{"1700000180", NULL, "5", "1", "b", "true"}, FDL_DROPPED, false},  /* not_null drop */
        {{"1700000240", "u1", "5", "1", "Bad", "true"}, FDL_ERR_CHECK, false},  /* matches fail */
        {{"1700000300", "u9", "5", "1", "b", "true"}, FDL_DROPPED, false},  /* exists_in drop */
        {{"1700000360", "u1", "5", "3", "a", "true"}, FDL_ERR_CHECK, false},    /* unique fail */
        {{"soon", "u2", "5", "1", "a", "true"}, FDL_DROPPED, false},        /* invalid time drop */
        {{"1700000420", "u1", "five", "1", "b", "true"}, FDL_OK, false},    /* invalid flag */
        {{"1700000480", "u1", "5", "x", "b", "true"}, FDL_ERR_CHECK, false},    /* invalid fail */
        {{"1700000540", "x1", "5", "1", "b", "true"}, FDL_DROPPED, false},  /* search flag, then exists drop */
        {{"1800000000", "u1", "5", "1", "b", "true"}, FDL_DROPPED, false},  /* max_future drop */
        {{"1700000600", "u3", "5", "1", "b", "true"}, FDL_OK, true},
    };
    uint64_t accepted = 0, dropped = 0, failed = 0, clean = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memset(&err, 0, sizeof err);
        fdl_status status = ingest(store, S_EVENTS, rows[i].cells, &err);
        if (status != rows[i].status)
            fail_msg("row %zu: status %d, expected %d (%s)", i, status, rows[i].status, err.message);
        accepted += status == FDL_OK;
        dropped += status == FDL_DROPPED;
        failed += status == FDL_ERR_CHECK;
        clean += rows[i].clean;
        if (status == FDL_ERR_CHECK)
            assert_non_null(strstr(err.message, "source events: "));
        if (i == 6)   /* a unique violation names the key's values */
            assert_string_equal(err.message,
                "source events: key ('u1', 'a') was seen before: breaks unique (user_id, kind) (policy fail)");
    }
    c = counts_of(store, S_EVENTS);
    assert_int_equal(c.read, sizeof rows / sizeof rows[0]);
    assert_int_equal(c.accepted, accepted);
    assert_int_equal(c.dropped, dropped);
    assert_int_equal(c.failed, failed);
    assert_int_equal(c.clean, clean);
    assert_true(c.accepted == 5 && c.dropped == 5 && c.failed == 3 && c.clean == 2);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_RANGE), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_EXPR), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_IN), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_NOT_NULL), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_MATCHES), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_EXISTS), 2);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_UNIQUE), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_INV_TS), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_INV_AMOUNT), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_INV_QTY), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_SEARCH), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_FUTURE), 1);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_ORDERED), 0);
    /* every row accepted by an ingest function counts as an ingested event */
    fdl_store_stats stats;
    fdl_store_get_stats(store, &stats);
    assert_int_equal(stats.events_ingested, accepted);
    fdl_store_close(store);
}

static void test_in(void **state)
{
    const fdl_value ints[] = {fdl_int64(-3), fdl_int64(0), fdl_int64(INT64_MAX)};
    assert_true(fdl_check_in(fdl_int64(0), ints, 3));
    assert_true(fdl_check_in(fdl_int64(INT64_MAX), ints, 3));
    assert_true(fdl_check_in(fdl_int64(-3), ints, 3));
    assert_false(fdl_check_in(fdl_int64(3), ints, 3));
    assert_false(fdl_check_in(fdl_int64(INT64_MAX), ints, 2));   /* n bounds the set */
    assert_false(fdl_check_in(fdl_int64(0), ints, 0));
    assert_false(fdl_check_in(fdl_float64(0), ints, 3));          /* values of another type */
    assert_false(fdl_check_in(fdl_bool(false), ints, 3));

    const fdl_value strings[] = {fdl_string("a\0b", 3), fdl_string("", 0), fdl_string("xyz", 3)};
    assert_true(fdl_check_in(fdl_string("a\0b", 3), strings, 3));
    assert_false(fdl_check_in(fdl_string("a\0c", 3), strings, 3));   /* differs after the NUL */
    assert_false(fdl_check_in(fdl_string("a", 1), strings, 3));      /* a prefix */
    assert_false(fdl_check_in(fdl_string("a\0b\0", 4), strings, 3));
    assert_true(fdl_check_in(fdl_string("", 0), strings, 3));
    assert_true(fdl_check_in(fdl_string(NULL, 0), strings, 3));
    assert_true(fdl_check_in(fdl_string("xyzw", 3), strings, 3));    /* by length, not NUL */
    assert_false(fdl_check_in(fdl_string("xy", 2), strings, 3));
    assert_false(fdl_check_in(fdl_string("XYZ", 3), strings, 3));
    assert_false(fdl_check_in(fdl_int64(0), strings, 3));

    const fdl_value yes[] = {fdl_bool(true)};
    const fdl_value both[] = {fdl_bool(false), fdl_bool(true)};
    assert_true(fdl_check_in(fdl_bool(true), yes, 1));
    assert_false(fdl_check_in(fdl_bool(false), yes, 1));
    assert_true(fdl_check_in(fdl_bool(false), both, 2));
    assert_false(fdl_check_in(fdl_int64(1), yes, 1));
}

static void test_matches(void **state)
{
    fdl_store *store = open_store();
    /* anchored: the whole value */
    assert_true(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string("abc", 3)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string("abc1", 4)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string("1abc", 4)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string("", 0)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string("Abc", 3)));
    /* only len bytes count, not what follows */
    assert_true(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string("ab12", 2)));
    /* unanchored: a search; the pattern 'u[0-9]|"\\' */
    assert_true(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string("xxu1yy", 6)));
    assert_true(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string("u7", 2)));
    assert_true(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string("say \"\\", 6)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string("say \"", 5)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string("user", 4)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string("u", 1)));
    /* long values (beyond the first buffer) */
    char big[5000];
    memset(big, 'q', sizeof big);
    big[4998] = 'u';
    big[4999] = '3';
    assert_true(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string(big, 5000)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string(big, 4999)));
    memset(big, 'q', sizeof big);
    assert_true(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string(big, 5000)));
    /* NUL bytes: cases whose answer does not depend on how they are handled */
    assert_true(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string("u1\0zz", 5)));
    assert_false(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string("A\0bc", 4)));
    /* not a string (null): nothing to check */
    assert_true(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_null()));
    fdl_store_close(store);
}

/*
 * docs/language.md: a value breaks `matches` when the regular expression
 * does not match *it* (anchor with ^...$ for the whole value): NUL bytes
 * included (REG_STARTEND).
 */
static void test_matches_nul_as_documented(void **state)
{
    fdl_store *store = open_store();
    assert_false(fdl_check_matches(store, S_EVENTS, K_MATCHES, fdl_string("abc\0DEF", 7)));
    assert_true(fdl_check_matches(store, S_EVENTS, K_SEARCH, fdl_string("zz\0u1", 5)));
    fdl_store_close(store);
}

static void accept_at(fdl_store *store, fdl_time t)
{
    const fdl_value row[NFIELDS] = {fdl_timestamp(t)};
    fdl_check_begin(store, S_EVENTS, row, NULL);
    fdl_check_accept(store, S_EVENTS, t);
}

static void test_ordered_and_gap(void **state)
{
    fdl_store *store = open_store();
    /* no row yet: anything passes */
    assert_true(fdl_check_ordered(store, S_EVENTS, FDL_TIME_MIN));
    assert_true(fdl_check_gap(store, S_EVENTS, FDL_TIME_MAX, DAY));
    accept_at(store, T0);
    assert_true(fdl_check_ordered(store, S_EVENTS, T0));          /* equal times are in order */
    assert_true(fdl_check_ordered(store, S_EVENTS, T0 + 1));
    assert_false(fdl_check_ordered(store, S_EVENTS, T0 - 1));
    assert_true(fdl_check_gap(store, S_EVENTS, T0 + DAY, DAY));   /* exactly the gap */
    assert_false(fdl_check_gap(store, S_EVENTS, T0 + DAY + 1, DAY));
    assert_true(fdl_check_gap(store, S_EVENTS, T0 - 5 * DAY, DAY));   /* earlier: no gap */
    assert_true(fdl_check_gap(store, S_EVENTS, T0 + 2 * DAY, 3 * DAY));

    /* a row read but not accepted does not move the latest time */
    const fdl_value row[NFIELDS] = {fdl_timestamp(T0 + 10 * HOUR)};
    fdl_check_begin(store, S_EVENTS, row, NULL);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_NOT_NULL, fdl_null(), NULL), FDL_DROPPED);
    assert_true(fdl_check_ordered(store, S_EVENTS, T0 + HOUR));
    assert_false(fdl_check_gap(store, S_EVENTS, T0 + DAY + HOUR, DAY));

    /* the latest is the greatest accepted time, not the last one */
    accept_at(store, T0 + 3 * HOUR);
    accept_at(store, T0 + 2 * HOUR);   /* accepted out of order (say, flagged) */
    assert_false(fdl_check_ordered(store, S_EVENTS, T0 + 150 * 60 * SECOND));
    assert_true(fdl_check_ordered(store, S_EVENTS, T0 + 3 * HOUR));
    assert_true(fdl_check_gap(store, S_EVENTS, T0 + 27 * HOUR, DAY));
    assert_false(fdl_check_gap(store, S_EVENTS, T0 + 27 * HOUR + 1, DAY));

    /* per source: users has seen nothing */
    assert_true(fdl_check_ordered(store, S_USERS, 0));
    fdl_store_close(store);
}

static void test_exists_and_remember(void **state)
{
    fdl_store *store = open_store();
    assert_false(fdl_check_exists(store, R_USERS_USER, fdl_string("u1", 2)));
    assert_true(fdl_check_exists(store, R_USERS_USER, fdl_null()));   /* null passes */
    fdl_check_remember(store, R_USERS_USER, fdl_string("u1", 2));
    assert_true(fdl_check_exists(store, R_USERS_USER, fdl_string("u1", 2)));
    assert_true(fdl_check_exists(store, R_USERS_USER, fdl_string("u1x", 2)));   /* by length */
    assert_false(fdl_check_exists(store, R_USERS_USER, fdl_string("u", 1)));
    assert_false(fdl_check_exists(store, R_USERS_USER, fdl_string("u1\0", 3)));
    /* remembering null records nothing: the empty string is still unknown */
    fdl_check_remember(store, R_USERS_USER, fdl_null());
    assert_false(fdl_check_exists(store, R_USERS_USER, fdl_string("", 0)));
    fdl_check_remember(store, R_USERS_USER, fdl_string("", 0));
    assert_true(fdl_check_exists(store, R_USERS_USER, fdl_string("", 0)));
    fdl_check_remember(store, R_USERS_USER, fdl_string("a\0b", 3));
    assert_true(fdl_check_exists(store, R_USERS_USER, fdl_string("a\0b", 3)));
    assert_false(fdl_check_exists(store, R_USERS_USER, fdl_string("a\0c", 3)));
    /* references are separate sets; int64 values */
    assert_false(fdl_check_exists(store, R_EVENTS_QTY, fdl_int64(0)));
    fdl_check_remember(store, R_EVENTS_QTY, fdl_int64(-7));
    fdl_check_remember(store, R_EVENTS_QTY, fdl_int64(-7));
    assert_true(fdl_check_exists(store, R_EVENTS_QTY, fdl_int64(-7)));
    assert_false(fdl_check_exists(store, R_EVENTS_QTY, fdl_int64(7)));
    assert_false(fdl_check_exists(store, R_USERS_USER, fdl_int64(-7)));
    /* many values */
    for (int i = 0; i < 5000; i++)
        fdl_check_remember(store, R_EVENTS_QTY, fdl_int64(i * 3));
    for (int i = 0; i < 15000; i++)
        if (fdl_check_exists(store, R_EVENTS_QTY, fdl_int64(i)) != (i % 3 == 0))
            fail_msg("exists_in %d", i);
    fdl_store_close(store);
}

static void test_unique(void **state)
{
    fdl_store *store = open_store();
    const fdl_value a_bc[] = {fdl_string("a", 1), fdl_string("bc", 2)};
    const fdl_value ab_c[] = {fdl_string("ab", 2), fdl_string("c", 1)};
    const fdl_value abc_[] = {fdl_string("abc", 3), fdl_string("", 0)};
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, a_bc));
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, ab_c));   /* no collision */
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, abc_));
    assert_false(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, a_bc));
    assert_false(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, ab_c));
    assert_false(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, abc_));
    /* a null part: not checked, not recorded */
    const fdl_value with_null[] = {fdl_string("a", 1), fdl_null()};
    const fdl_value with_empty[] = {fdl_string("a", 1), fdl_string("", 0)};
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, with_null));
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, with_null));
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, with_empty));
    assert_false(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, with_empty));
    /* parts of different types with the same bytes */
    const fdl_value as_int[] = {fdl_int64(0x41)};
    const fdl_value as_text[] = {fdl_string("A\0\0\0\0\0\0\0", 8)};
    const fdl_value as_time[] = {fdl_timestamp(0x41)};
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 1, as_int));
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 1, as_text));
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 1, as_time));
    assert_false(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 1, as_int));
    /* one part vs the same bytes split in two */
    const fdl_value one[] = {fdl_string("xy", 2)};
    const fdl_value two[] = {fdl_string("x", 1), fdl_string("y", 1)};
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 1, one));
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, two));
    /* the bytes of two parts inside one (a type byte, a zero length): lengths keep them apart */
    const char joined[] = {'x', (char)FDL_STRING, 0, 0, 0, 0, 0, 0, 0, 0, 'y'};
    const fdl_value one_joined[] = {fdl_string(joined, sizeof joined)};
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 1, one_joined));
    assert_false(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 1, one_joined));
    /* keys longer than the stack buffer */
    char big[600];
    memset(big, 'k', sizeof big);
    const fdl_value long_key[] = {fdl_string(big, 600), fdl_int64(1)};
    const fdl_value long_key2[] = {fdl_string(big, 599), fdl_int64(1)};
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, long_key));
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, long_key2));
    assert_false(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 2, long_key));
    /* each check has its own keys */
    const fdl_value u1[] = {fdl_string("a", 1)};
    assert_true(fdl_check_unique(store, S_USERS, K_U_UNIQUE, 1, u1));
    assert_false(fdl_check_unique(store, S_USERS, K_U_UNIQUE, 1, u1));
    const fdl_value a_only[] = {fdl_string("a", 1)};
    assert_true(fdl_check_unique(store, S_EVENTS, K_UNIQUE, 1, a_only));
    fdl_store_close(store);
}

static void test_field_stats(void **state)
{
    fdl_store *store = open_store();
    static const double amounts[] = {3.5, -1.25, 10, 7.75, 1e6, 0.1};
    static const int64_t qtys[] = {1, 2, 2, 9, -4, 2};
    static const char *const kinds[] = {"a", "b", "a", "a\0x", "a", NULL};
    static const size_t kind_lengths[] = {1, 1, 1, 3, 1, 0};
    static const int oks[] = {1, 0, 1, 1, -1, 1};   /* -1: null */
    int n = 6;
    for (int i = 0; i < n; i++) {
        fdl_value row[NFIELDS] = {
            fdl_timestamp(T0 + i), fdl_string("u", 1), fdl_float64(amounts[i]), fdl_int64(qtys[i]),
            kinds[i] ? fdl_string(kinds[i], kind_lengths[i]) : fdl_null(),
            oks[i] < 0 ? fdl_null() : fdl_bool(oks[i]),
        };
        fdl_check_begin(store, S_EVENTS, row, NULL);
        fdl_check_accept(store, S_EVENTS, T0 + i);
    }
    /* a null amount, an invalid amount and an invalid qty */
    fdl_value row[NFIELDS] = {fdl_timestamp(T0), fdl_null(), fdl_null(), fdl_int64(2), fdl_string("b", 1), fdl_null()};
    fdl_check_begin(store, S_EVENTS, row, NULL);
    bool invalid[NFIELDS] = {false, false, true, true, false, false};
    row[F_AMOUNT] = fdl_string("1e999", 5);
    row[F_QTY] = fdl_string("many", 4);
    fdl_check_begin(store, S_EVENTS, row, invalid);

    fdl_field_stats s;
    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, F_AMOUNT, &s), FDL_OK);
    double sum = 0, min = amounts[0], max = amounts[0];
    for (int i = 0; i < n; i++) {
        sum += amounts[i];
        min = amounts[i] < min ? amounts[i] : min;
        max = amounts[i] > max ? amounts[i] : max;
    }
    double mean = sum / n, squares = 0;
    for (int i = 0; i < n; i++)
        squares += (amounts[i] - mean) * (amounts[i] - mean);
    double stddev = sqrt(squares / (n - 1));
    assert_int_equal(s.rows, 8);
    assert_int_equal(s.nulls, 1);
    assert_int_equal(s.invalid, 1);
    assert_int_equal(s.numbers, 6);
    assert_true(s.min == min && s.max == max);
    if (!close_to(s.mean, mean) || !close_to(s.stddev, stddev))
        fail_msg("amount: mean %.17g stddev %.17g, expected %.17g %.17g", s.mean, s.stddev, mean, stddev);
    assert_int_equal(s.distinct, -1);

    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, F_QTY, &s), FDL_OK);
    assert_int_equal(s.rows, 8);
    assert_int_equal(s.nulls, 0);
    assert_int_equal(s.invalid, 1);
    assert_int_equal(s.numbers, 7);   /* the six and the 2 of the null-amount row */
    assert_true(s.min == -4 && s.max == 9);
    double qmean = (1 + 2 + 2 + 9 - 4 + 2 + 2) / 7.0, qsquares = 0;
    for (int i = 0; i < n; i++)
        qsquares += (qtys[i] - qmean) * (qtys[i] - qmean);
    qsquares += (2 - qmean) * (2 - qmean);
    assert_true(close_to(s.mean, qmean));
    assert_true(close_to(s.stddev, sqrt(qsquares / 6)));
    assert_int_equal(s.distinct, 4);   /* 1, 2, 9, -4 */

    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, F_KIND, &s), FDL_OK);
    assert_int_equal(s.rows, 8);
    assert_int_equal(s.nulls, 1);
    assert_int_equal(s.numbers, 0);
    assert_int_equal(s.distinct, 3);   /* "a", "b", "a\0x" */

    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, F_VALID, &s), FDL_OK);
    assert_int_equal(s.nulls, 3);
    assert_int_equal(s.distinct, 2);

    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, F_USER, &s), FDL_OK);
    assert_int_equal(s.rows, 8);
    assert_int_equal(s.nulls, 2);
    assert_int_equal(s.distinct, -1);

    /* the time is never null: an empty one counts as invalid */
    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, F_TS, &s), FDL_OK);
    assert_true(s.rows == 8 && s.nulls == 0 && s.invalid == 0);
    fdl_value no_time[NFIELDS] = {fdl_null()};
    fdl_check_begin(store, S_EVENTS, no_time, NULL);
    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, F_TS, &s), FDL_OK);
    assert_true(s.rows == 9 && s.nulls == 0 && s.invalid == 1);

    /* fewer than two numbers: stddev 0 */
    assert_int_equal(fdl_store_field_stats(store, S_USERS, U_TS, &s), FDL_OK);
    assert_int_equal(s.rows, 0);
    fdl_store *other = open_store();
    fdl_value one[NFIELDS] = {fdl_timestamp(T0), fdl_null(), fdl_float64(42)};
    fdl_check_begin(other, S_EVENTS, one, NULL);
    assert_int_equal(fdl_store_field_stats(other, S_EVENTS, F_AMOUNT, &s), FDL_OK);
    assert_true(s.numbers == 1 && s.mean == 42 && s.min == 42 && s.max == 42 && s.stddev == 0);
    fdl_store_close(other);
    fdl_store_close(store);
}

/* The verdict of a check (or of an SLA by its what and field) among n. */
static const fdl_verdict *find_verdict(const fdl_verdict *v, int n, int check, const char *what, int field)
{
    for (int i = 0; i < n; i++)
        if (v[i].source == S_EVENTS && v[i].check == check &&
            (check >= 0 || (strcmp(v[i].what, what) == 0 && v[i].field == field)))
            return &v[i];
    fail_msg("no verdict for check %d %s", check, what ? what : "");
    return NULL;
}

static void feed_at(fdl_store *store, fdl_time t, double amount, fdl_value qty, const char *kind, int ok)
{
    fdl_value row[NFIELDS] = {fdl_timestamp(t), fdl_string("u", 1), fdl_float64(amount), qty,
                              kind ? fdl_string(kind, strlen(kind)) : fdl_null(),
                              ok < 0 ? fdl_null() : fdl_bool(ok)};
    fdl_check_begin(store, S_EVENTS, row, NULL);
}

static void feed(fdl_store *store, double amount, fdl_value qty, const char *kind, int ok)
{
    feed_at(store, T0, amount, qty, kind, ok);
}

static void test_evaluate(void **state)
{
    fdl_store *store = open_store();
    fdl_verdict v[16];

    /* no rows: every statistical expectation holds; min_rows does not */
    int n = fdl_store_evaluate(store, false, v, 16);
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++) {
        assert_true(v[i].passed && !v[i].fatal);
        assert_int_equal(v[i].source, S_EVENTS);
        assert_string_equal(v[i].what, event_checks[v[i].check].text);
        assert_int_equal(v[i].field, event_checks[v[i].check].field);
    }
    n = fdl_store_evaluate(store, true, v, 16);
    assert_int_equal(n, 9);   /* six, pass_rate, min_rows, max_null_ratio of qty */
    const fdl_verdict *rate = find_verdict(v, n, -1, "sla pass_rate", -1);
    assert_true(rate->passed && !rate->fatal && rate->value == 1 && rate->limit == 0.5);
    const fdl_verdict *rows = find_verdict(v, n, -1, "sla min_rows", -1);
    assert_true(!rows->passed && rows->fatal && rows->value == 0 && rows->limit == 4);
    const fdl_verdict *nulls = find_verdict(v, n, -1, "sla max_null_ratio", F_QTY);
    assert_true(nulls->passed && nulls->value == 0 && nulls->limit == 0.1);
    /* a short buffer: the count is still all of them, only max written */
    fdl_verdict few[2];
    memset(few, 0xab, sizeof few);
    assert_int_equal(fdl_store_evaluate(store, true, few, 1), 9);
    assert_int_equal(few[0].source, S_EVENTS);
    assert_int_equal(few[1].source, (int)0xabababab);
    assert_int_equal(fdl_store_evaluate(store, true, NULL, 0), 9);

    /* rows within every bound */
    for (int i = 0; i < 4; i++) {
        feed(store, 2 + 2 * i, fdl_int64(1 + i % 2), i % 2 ? "b" : "a", 1);
        fdl_check_accept(store, S_EVENTS, T0);
    }
    n = fdl_store_evaluate(store, true, v, 16);
    assert_int_equal(n, 9);
    for (int i = 0; i < n; i++)
        if (!v[i].passed)
            fail_msg("verdict %s broken: %g (limit %g)", v[i].what, v[i].value, v[i].limit);
    const fdl_verdict *mean = find_verdict(v, n, K_MEAN, NULL, -1);
    assert_true(mean->value == 5 && mean->limit == 50 && mean->field == F_AMOUNT);
    const fdl_verdict *sd = find_verdict(v, n, K_STDDEV, NULL, -1);
    assert_true(close_to(sd->value, sqrt(20.0 / 3)));
    assert_true(find_verdict(v, n, K_DISTINCT_KIND, NULL, -1)->value == 2);
    assert_true(find_verdict(v, n, K_DISTINCT_QTY, NULL, -1)->value == 2);
    assert_true(find_verdict(v, n, K_DISTINCT_VALID, NULL, -1)->value == 1);
    assert_true(find_verdict(v, n, K_NULL_RATIO, NULL, -1)->value == 0);
    rows = find_verdict(v, n, -1, "sla min_rows", -1);
    assert_true(rows->passed && rows->value == 4);
    rate = find_verdict(v, n, -1, "sla pass_rate", -1);
    assert_true(rate->passed && rate->value == 1);

    /* break each: mean (fail: fatal), stddev (flag), null_ratio (fail), distinct kind (flag),
     * distinct ok (flag), pass_rate and max_null_ratio (SLAs: fatal) */
    feed(store, 1000, fdl_null(), "c", 0);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_NOT_NULL, fdl_null(), NULL), FDL_DROPPED);
    feed(store, 900, fdl_null(), "d", 1);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_NOT_NULL, fdl_null(), NULL), FDL_DROPPED);
    feed(store, 800, fdl_null(), "a", 0);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_EXPR, fdl_null(), NULL), FDL_OK);
    fdl_check_accept(store, S_EVENTS, T0);
    /* 7 rows, 4 clean: pass rate 4/7 >= 0.5; amounts 2..8, 1000, 900, 800 */
    n = fdl_store_evaluate(store, true, v, 16);
    assert_int_equal(n, 9);
    double amounts[] = {2, 4, 6, 8, 1000, 900, 800}, sum = 0, squares = 0;
    for (int i = 0; i < 7; i++)
        sum += amounts[i];
    for (int i = 0; i < 7; i++)
        squares += (amounts[i] - sum / 7) * (amounts[i] - sum / 7);
    mean = find_verdict(v, n, K_MEAN, NULL, -1);
    assert_true(!mean->passed && mean->fatal && close_to(mean->value, sum / 7) && mean->limit == 50);
    sd = find_verdict(v, n, K_STDDEV, NULL, -1);
    assert_true(!sd->passed && !sd->fatal && close_to(sd->value, sqrt(squares / 6)) && sd->limit == 10);
    const fdl_verdict *ratio = find_verdict(v, n, K_NULL_RATIO, NULL, -1);
    assert_true(!ratio->passed && ratio->fatal && close_to(ratio->value, 3.0 / 7) && ratio->limit == 0.25);
    const fdl_verdict *kinds = find_verdict(v, n, K_DISTINCT_KIND, NULL, -1);
    assert_true(!kinds->passed && !kinds->fatal && kinds->value == 4 && kinds->limit == 3);
    const fdl_verdict *oks = find_verdict(v, n, K_DISTINCT_VALID, NULL, -1);
    assert_true(!oks->passed && !oks->fatal && oks->value == 2 && oks->limit == 1);
    const fdl_verdict *qtys = find_verdict(v, n, K_DISTINCT_QTY, NULL, -1);
    assert_true(qtys->passed && qtys->value == 2 && qtys->limit == 2);
    rate = find_verdict(v, n, -1, "sla pass_rate", -1);
    assert_true(rate->passed && close_to(rate->value, 4.0 / 7));
    nulls = find_verdict(v, n, -1, "sla max_null_ratio", F_QTY);
    assert_true(!nulls->passed && nulls->fatal && close_to(nulls->value, 3.0 / 7) && nulls->limit == 0.1);

    /* the pass rate falls below 0.5: two more flagged rows */
    for (int i = 0; i < 2; i++) {
        feed(store, 5, fdl_int64(1), "a", 1);
        assert_int_equal(fdl_check_violated(store, S_EVENTS, K_EXPR, fdl_null(), NULL), FDL_OK);
        fdl_check_accept(store, S_EVENTS, T0);
    }
    n = fdl_store_evaluate(store, true, v, 16);
    rate = find_verdict(v, n, -1, "sla pass_rate", -1);
    assert_true(!rate->passed && rate->fatal && close_to(rate->value, 4.0 / 9) && rate->limit == 0.5);
    /* without SLAs, none of them */
    n = fdl_store_evaluate(store, false, v, 16);
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++)
        assert_true(v[i].check >= K_MEAN);
    fdl_store_close(store);

    /* rows with only nulls: mean and stddev have no values and hold */
    store = open_store();
    for (int i = 0; i < 3; i++) {
        fdl_value row[NFIELDS] = {fdl_timestamp(T0)};
        fdl_check_begin(store, S_EVENTS, row, NULL);
        fdl_check_accept(store, S_EVENTS, T0);
    }
    n = fdl_store_evaluate(store, false, v, 16);
    assert_true(find_verdict(v, n, K_MEAN, NULL, -1)->passed);
    assert_true(find_verdict(v, n, K_STDDEV, NULL, -1)->passed);
    ratio = find_verdict(v, n, K_NULL_RATIO, NULL, -1);
    assert_true(!ratio->passed && ratio->value == 1 && ratio->fatal);
    /* one value: no standard deviation to hold to its bounds */
    fdl_value row[NFIELDS] = {fdl_timestamp(T0), fdl_null(), fdl_float64(1e9)};
    fdl_check_begin(store, S_EVENTS, row, NULL);
    n = fdl_store_evaluate(store, false, v, 16);
    assert_true(find_verdict(v, n, K_STDDEV, NULL, -1)->passed);
    assert_false(find_verdict(v, n, K_MEAN, NULL, -1)->passed);
    fdl_store_close(store);

    /* bounds are inclusive: a pass rate of exactly 0.5, exactly 4 rows, null ratio exactly 0.1 */
    store = open_store();
    for (int i = 0; i < 10; i++) {
        feed(store, 5, i == 0 ? fdl_null() : fdl_int64(i), "a", 1);
        if (i % 2)
            assert_int_equal(fdl_check_violated(store, S_EVENTS, K_EXPR, fdl_null(), NULL), FDL_OK);
        fdl_check_accept(store, S_EVENTS, T0);
    }
    n = fdl_store_evaluate(store, true, v, 16);
    rate = find_verdict(v, n, -1, "sla pass_rate", -1);
    assert_true(rate->passed && !rate->fatal && rate->value == 0.5);
    nulls = find_verdict(v, n, -1, "sla max_null_ratio", F_QTY);
    assert_true(nulls->passed && !nulls->fatal && nulls->value == 0.1);
    fdl_store_close(store);
}

/*
 * docs/language.md: "With no rows (or no values), a statistical expectation
 * holds vacuously." distinct over rows that are all null has no values:
 * it holds.
 */
static void test_distinct_without_values_as_documented(void **state)
{
    fdl_store *store = open_store();
    fdl_value row[NFIELDS] = {fdl_timestamp(T0)};
    fdl_check_begin(store, S_EVENTS, row, NULL);
    fdl_verdict v[16];
    int n = fdl_store_evaluate(store, false, v, 16);
    assert_true(find_verdict(v, n, K_DISTINCT_QTY, NULL, -1)->passed);
    assert_true(find_verdict(v, n, K_DISTINCT_KIND, NULL, -1)->passed);
    fdl_store_close(store);
}

static void test_statistics_window(void **state)
{
    fdl_store *store = open_store();
    fdl_verdict v[16];
    int n;
    /* 16 s: tiles of 1 s aligned to the epoch (T0 is a multiple of 16 s) */
    fdl_store_set_statistics_window(store, 16 * SECOND);
    static const char *const old_kinds[] = {"c", "d", "e"};
    for (int i = 0; i < 3; i++)
        feed_at(store, T0 + i * SECOND, 1000, fdl_null(), old_kinds[i], 1);
    n = fdl_store_evaluate(store, false, v, 16);
    assert_int_equal(n, 6);
    const fdl_verdict *mean = find_verdict(v, n, K_MEAN, NULL, -1);
    assert_true(!mean->passed && mean->value == 1000);
    assert_true(find_verdict(v, n, K_NULL_RATIO, NULL, -1)->value == 1);
    assert_true(find_verdict(v, n, K_DISTINCT_KIND, NULL, -1)->value == 3);

    /* 100 s later: the old tiles have left the window */
    for (int i = 0; i < 4; i++)
        feed_at(store, T0 + (100 + i) * SECOND, 2 + 2 * i, fdl_int64(1 + i % 2), i % 2 ? "b" : "a", 1);
    n = fdl_store_evaluate(store, false, v, 16);
    for (int i = 0; i < n; i++)
        if (!v[i].passed)
            fail_msg("window verdict %s broken: %g (limit %g)", v[i].what, v[i].value, v[i].limit);
    mean = find_verdict(v, n, K_MEAN, NULL, -1);
    assert_true(mean->value == 5);
    double sd = find_verdict(v, n, K_STDDEV, NULL, -1)->value;
    if (fabs(sd - sqrt(20.0 / 3)) > 1e-9)
        fail_msg("window stddev %.17g", sd);
    assert_true(find_verdict(v, n, K_NULL_RATIO, NULL, -1)->value == 0);
    assert_true(find_verdict(v, n, K_DISTINCT_KIND, NULL, -1)->value == 2);
    assert_true(find_verdict(v, n, K_DISTINCT_QTY, NULL, -1)->value == 2);
    assert_true(find_verdict(v, n, K_DISTINCT_VALID, NULL, -1)->value == 1);

    /* late rows: older than the window, not counted; inside it, counted */
    feed_at(store, T0 + 50 * SECOND, 1e6, fdl_null(), "z", 0);
    n = fdl_store_evaluate(store, false, v, 16);
    assert_true(find_verdict(v, n, K_MEAN, NULL, -1)->value == 5);
    feed_at(store, T0 + 95 * SECOND, 10, fdl_int64(1), "a", 1);
    n = fdl_store_evaluate(store, false, v, 16);
    assert_true(find_verdict(v, n, K_MEAN, NULL, -1)->value == 6);
    /* the newest tile is 103 s: 88 s is the oldest inside, 87 s outside */
    feed_at(store, T0 + 88 * SECOND, 20, fdl_int64(1), "a", 1);
    feed_at(store, T0 + 87 * SECOND, 1000, fdl_int64(1), "a", 1);
    n = fdl_store_evaluate(store, false, v, 16);
    assert_true(close_to(find_verdict(v, n, K_MEAN, NULL, -1)->value, 50.0 / 6));
    /* the window moves with the newest event time */
    feed_at(store, T0 + 119 * SECOND + SECOND / 2, 40, fdl_int64(1), "a", 1);
    n = fdl_store_evaluate(store, false, v, 16);
    mean = find_verdict(v, n, K_MEAN, NULL, -1);
    assert_true(mean->passed && mean->value == 40);
    assert_true(find_verdict(v, n, K_STDDEV, NULL, -1)->passed);   /* one value */
    const fdl_verdict *kinds = find_verdict(v, n, K_DISTINCT_KIND, NULL, -1);
    assert_true(!kinds->passed && !kinds->fatal && kinds->value == 1);

    /* field statistics stay cumulative */
    fdl_field_stats s;
    assert_int_equal(fdl_store_field_stats(store, S_EVENTS, F_AMOUNT, &s), FDL_OK);
    assert_int_equal(s.rows, 12);
    assert_true(s.max == 1e6);

    /* setting it again empties it: vacuous */
    fdl_store_set_statistics_window(store, 16 * SECOND);
    n = fdl_store_evaluate(store, false, v, 16);
    for (int i = 0; i < n; i++)
        assert_true(v[i].passed);
    /* 0: every row since the store opened */
    fdl_store_set_statistics_window(store, 0);
    n = fdl_store_evaluate(store, false, v, 16);
    mean = find_verdict(v, n, K_MEAN, NULL, -1);
    assert_true(!mean->passed && close_to(mean->value, s.mean));
    assert_true(find_verdict(v, n, K_DISTINCT_KIND, NULL, -1)->value == 6);   /* a b c d e z */
    fdl_store_close(store);
}

static void test_report(void **state)
{
    /* the validator itself */
    assert_true(json_valid(" {\"a\":[1,-2.5e3,0,true,null,\"\\u00e9\\\"\"],\"b\":{}}\n"));
    assert_false(json_valid("{\"a\":1,}"));
    assert_false(json_valid("{\"a\":\"\x01\"}"));
    assert_false(json_valid("{\"a\":01}"));
    assert_false(json_valid("[1] [2]"));
    assert_false(json_valid("{\"a\" 1}"));
    assert_false(json_valid("[\"\\x\"]"));

    fdl_store *store = open_store();
    fdl_error err;
    const char *u1[] = {"1700000000", "u1"};
    assert_int_equal(ingest(store, S_USERS, u1, &err), FDL_OK);
    const char *good[] = {"1700000000", "u1", "5", "1", "a", "true"};
    const char *flagged[] = {"1700000060", "u1", "7", "0", "b", "false"};
    const char *dropped[] = {"1700000120", NULL, "9", "2", "a", "true"};
    assert_int_equal(ingest(store, S_EVENTS, good, &err), FDL_OK);
    assert_int_equal(ingest(store, S_EVENTS, flagged, &err), FDL_OK);
    assert_int_equal(ingest(store, S_EVENTS, dropped, &err), FDL_DROPPED);

    const char *const files[] = {"users.csv", "dir/\"events\".csv"};
    assert_int_equal(fdl_store_write_report(store, report_path, files, true, &err), FDL_OK);
    char *text = read_file(report_path);
    if (!json_valid(text))
        fail_msg("the report is not valid JSON:\n%s", text);
    assert_non_null(strstr(text, "\"fingerprint\":\"fp-checks\""));
    assert_non_null(strstr(text, "{\"fingerprint\":\"fp-checks\",\"passed\":false,\"sources\":["));   /* min_rows 4 */
    const char *users = strstr(text, "\"name\":\"users\"");
    const char *events = strstr(text, "\"name\":\"events\"");
    assert_non_null(users);
    assert_non_null(events);
    assert_true(users < events);
    assert_non_null(strstr(users, "\"file\":\"users.csv\""));
    assert_non_null(strstr(events, "\"file\":\"dir/\\\"events\\\".csv\""));
    assert_true(json_number_after(users, "rows_read") == 1);
    assert_true(json_number_after(events, "rows_read") == 3);
    assert_true(json_number_after(events, "rows_accepted") == 2);
    assert_true(json_number_after(events, "rows_dropped") == 1);
    assert_true(json_number_after(events, "rows_failed") == 0);
    assert_true(json_number_after(events, "rows_clean") == 1);
    assert_true(close_to(json_number_after(events, "pass_rate"), 1.0 / 3));
    /* expectations with their violations; text escaped; statistical ones are verdicts */
    assert_non_null(strstr(events, "{\"field\":\"user_id\",\"expectation\":\"not_null\",\"policy\":\"drop\",\"violations\":1}"));
    assert_non_null(strstr(events, "{\"expectation\":\"expr (qty > 0)\",\"policy\":\"flag\",\"violations\":1}"));
    assert_non_null(strstr(events, "\"expectation\":\"matches 'u[0-9]|\\\"\\\\\\\\'\""));
    assert_non_null(strstr(events, "{\"field\":\"amount\",\"expectation\":\"valid float64\",\"policy\":\"flag\",\"violations\":0}"));
    assert_null(strstr(events, "\"expectation\":\"valid string\""));   /* strings always parse */
    assert_null(strstr(events, "\"expectation\":\"mean [1.0, 50.0]\""));
    /* fields */
    const char *amount = strstr(events, "{\"name\":\"amount\"");
    assert_non_null(amount);
    assert_non_null(strstr(amount, "\"type\":\"float64\",\"rows\":3,\"nulls\":0,\"invalid\":0,\"null_ratio\":0"));
    assert_true(json_number_after(amount, "min") == 5);
    assert_true(json_number_after(amount, "max") == 9);
    assert_true(json_number_after(amount, "mean") == 7);
    assert_true(json_number_after(amount, "stddev") == 2);
    const char *amount_end = strchr(amount, '}');
    assert_true(!strstr(amount, "\"distinct\"") || strstr(amount, "\"distinct\"") > amount_end);   /* not tracked */
    const char *kind = strstr(events, "{\"name\":\"kind\"");
    assert_non_null(kind);
    assert_true(json_number_after(kind, "distinct") == 2);
    const char *user = strstr(events, "{\"name\":\"user_id\"");
    assert_non_null(user);
    assert_true(close_to(json_number_after(user, "null_ratio"), 1.0 / 3));
    const char *user_end = strchr(user, '}');
    assert_true(!strstr(user, "\"min\"") || strstr(user, "\"min\"") > user_end);   /* strings: no min */
    /* verdicts */
    assert_non_null(strstr(events, "{\"what\":\"mean [1.0, 50.0]\",\"field\":\"amount\",\"value\":7,\"limit\":50,\"passed\":true,\"fatal\":false}"));
    assert_non_null(strstr(events, "{\"what\":\"sla min_rows\",\"value\":3,\"limit\":4,\"passed\":false,\"fatal\":true}"));
    free(text);

    /* without SLAs, and without files: passes */
    assert_int_equal(fdl_store_write_report(store, report_path, NULL, false, &err), FDL_OK);
    text = read_file(report_path);
    assert_true(json_valid(text));
    assert_null(strstr(text, "sla "));
    assert_non_null(strstr(text, "{\"fingerprint\":\"fp-checks\",\"passed\":true,\"sources\":["));
    assert_non_null(strstr(text, "\"file\":\"\""));
    free(text);

    memset(&err, 0, sizeof err);
    assert_int_equal(fdl_store_write_report(store, "/nonexistent/dir/report.json", NULL, true, &err), FDL_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/dir/report.json"));

    /* the summary names the broken SLA */
    FILE *summary = tmpfile();
    assert_non_null(summary);
    fdl_store_write_summary(store, summary, true);
    rewind(summary);
    char line[512], all[4096] = "";
    while (fgets(line, sizeof line, summary))
        strncat(all, line, sizeof all - strlen(all) - 1);
    fclose(summary);
    assert_non_null(strstr(all, "events: 3 rows read, 2 accepted, 1 dropped"));
    assert_non_null(strstr(all, "sla min_rows"));
    fdl_store_close(store);
}

static void test_quarantine(void **state)
{
    remove(quarantine_path);
    fdl_store *store = open_store();
    fdl_error err;
    const char *u1[] = {"1700000000", "u1"};
    assert_int_equal(ingest(store, S_USERS, u1, &err), FDL_OK);
    /* dropped before the quarantine opens: counted, not written */
    const char *early[] = {"1700000000", NULL, "1", "1", "a", "true"};
    assert_int_equal(ingest(store, S_EVENTS, early, &err), FDL_DROPPED);

    assert_int_equal(fdl_store_quarantine_open(store, quarantine_path, &err), FDL_OK);
    const char *good[] = {"1700000000", "u1", "5", "1", "a", "true"};
    assert_int_equal(ingest(store, S_EVENTS, good, &err), FDL_OK);
    /* not_null drop; a string with a comma, a quote and a NUL byte */
    const char *cells[NFIELDS] = {"1700000060", NULL, "2.5", "3", "a,\"b\"\0c", "true"};
    size_t lengths[NFIELDS] = {10, 0, 3, 1, 7, 4};
    assert_int_equal(fdl_ingest_row(store, S_EVENTS, cells, lengths, &err), FDL_DROPPED);
    /* exists_in drop */
    const char *stranger[] = {"1700000120", "u9", "", "4", "b", "false"};
    assert_int_equal(ingest(store, S_EVENTS, stranger, &err), FDL_DROPPED);
    /* the empty string is not null: quoted */
    const char *empty_kind[] = {"1700000130", NULL, "1", "1", "", "true"};
    assert_int_equal(ingest(store, S_EVENTS, empty_kind, &err), FDL_DROPPED);
    /* a drop given as values (the typed ingest path) */
    fdl_value row[NFIELDS] = {fdl_timestamp(T0 + 1), fdl_null(), fdl_float64(0.5), fdl_int64(-2),
                              fdl_string("z", 1), fdl_bool(false)};
    fdl_check_begin(store, S_EVENTS, row, NULL);
    assert_int_equal(fdl_check_violated(store, S_EVENTS, K_NOT_NULL, fdl_null(), NULL), FDL_DROPPED);
    fdl_quarantine_event(store, S_EVENTS, NULL, NULL, row);
    /* a row expectation, in another source */
    assert_int_equal(ingest(store, S_USERS, u1, &err), FDL_DROPPED);
    assert_int_equal(fdl_store_quarantine_close(store, &err), FDL_OK);
    assert_int_equal(fdl_store_quarantine_close(store, &err), FDL_OK);   /* closing twice */
    /* closed: nothing more is written */
    assert_int_equal(ingest(store, S_EVENTS, early, &err), FDL_DROPPED);

    char *text = read_file(quarantine_path);
    char *lines[8];
    int n = 0;
    for (char *line = strtok(text, "\n"); line && n < 8; line = strtok(NULL, "\n"))
        lines[n++] = line;
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++)
        if (!json_valid(lines[i]))
            fail_msg("quarantine line %d is not valid JSON: %s", i + 1, lines[i]);
    assert_string_equal(lines[0],
        "{\"file\":\"\",\"line\":3,\"source\":\"events\",\"field\":\"user_id\",\"expectation\":\"not_null\","
        "\"policy\":\"drop\",\"reason\":\"user_id is null: breaks not_null\","
        "\"row\":\"1700000060,,2.5,3,\\\"a,\\\"\\\"b\\\"\\\"\\u0000c\\\",true\"}");
    assert_string_equal(lines[1],
        "{\"file\":\"\",\"line\":4,\"source\":\"events\",\"field\":\"user_id\",\"expectation\":\"exists_in users.user_id\","
        "\"policy\":\"drop\",\"reason\":\"user_id = 'u9' breaks exists_in users.user_id\","
        "\"row\":\"1700000120,u9,,4,b,false\"}");
    assert_string_equal(lines[2],
        "{\"file\":\"\",\"line\":5,\"source\":\"events\",\"field\":\"user_id\",\"expectation\":\"not_null\","
        "\"policy\":\"drop\",\"reason\":\"user_id is null: breaks not_null\","
        "\"row\":\"1700000130,,1,1,\\\"\\\",true\"}");
    assert_string_equal(lines[3],
        "{\"file\":\"\",\"line\":6,\"source\":\"events\",\"field\":\"user_id\",\"expectation\":\"not_null\","
        "\"policy\":\"drop\",\"reason\":\"user_id is null: breaks not_null\","
        "\"row\":\"2023-11-14T22:13:20.000001Z,,0.5,-2,z,false\"}");
    assert_string_equal(lines[4],
        "{\"file\":\"\",\"line\":2,\"source\":\"users\",\"field\":null,\"expectation\":\"unique (user_id)\","
        "\"policy\":\"drop\",\"reason\":\"key ('u1') was seen before: breaks unique (user_id)\",\"row\":\"1700000000,u1\"}");
    free(text);

    /* reopening appends */
    assert_int_equal(fdl_store_quarantine_open(store, quarantine_path, &err), FDL_OK);
    assert_int_equal(ingest(store, S_EVENTS, early, &err), FDL_DROPPED);
    assert_int_equal(fdl_store_quarantine_close(store, &err), FDL_OK);
    text = read_file(quarantine_path);
    int count = 0;
    for (const char *p = text; (p = strchr(p, '\n')); p++)
        count++;
    assert_int_equal(count, 6);
    free(text);

    memset(&err, 0, sizeof err);
    assert_int_equal(fdl_store_quarantine_open(store, "/nonexistent/dir/q.jsonl", &err), FDL_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/dir/q.jsonl"));
    /* left open: fdl_store_close closes it */
    assert_int_equal(fdl_store_quarantine_open(store, quarantine_path, &err), FDL_OK);
    fdl_store_close(store);
}

static void test_processing_time(void **state)
{
    fdl_store *store = open_store();
    assert_true(fdl_store_processing_time(store) == T0 + 10 * DAY);
    fdl_store_set_processing_time(store, T0);
    assert_true(fdl_store_processing_time(store) == T0);
    /* max_future compares with it: T0 + 1h passes, one microsecond later breaks */
    fdl_error err;
    char on_time[40], too_late[40];
    fdl_format_time(T0 + HOUR, on_time, sizeof on_time);
    fdl_format_time(T0 + HOUR + 1, too_late, sizeof too_late);
    const char *u1[] = {"1700000000", "u1"};
    assert_int_equal(ingest(store, S_USERS, u1, &err), FDL_OK);
    const char *first[] = {on_time, "u1", "1", "1", "a", "true"};
    const char *second[] = {too_late, "u1", "1", "1", "b", "true"};
    assert_int_equal(ingest(store, S_EVENTS, first, &err), FDL_OK);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_FUTURE), 0);
    assert_int_equal(ingest(store, S_EVENTS, second, &err), FDL_DROPPED);
    assert_int_equal(fdl_store_check_violations(store, S_EVENTS, K_FUTURE), 1);
    fdl_store_set_processing_time(store, T0 + 2 * HOUR);
    assert_int_equal(ingest(store, S_EVENTS, second, &err), FDL_OK);
    /* 0: the wall clock at each call */
    fdl_store_set_processing_time(store, 0);
    fdl_time before = fdl_now();
    fdl_time t = fdl_store_processing_time(store);
    fdl_time after = fdl_now();
    assert_true(before <= t && t <= after);
    assert_true(t > T0);
    fdl_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_store),
        cmocka_unit_test(test_violated_policies),
        cmocka_unit_test(test_accounting),
        cmocka_unit_test(test_in),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_matches_nul_as_documented),
        cmocka_unit_test(test_ordered_and_gap),
        cmocka_unit_test(test_exists_and_remember),
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_field_stats),
        cmocka_unit_test(test_evaluate),
        cmocka_unit_test(test_distinct_without_values_as_documented),
        cmocka_unit_test(test_statistics_window),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_quarantine),
        cmocka_unit_test(test_processing_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
