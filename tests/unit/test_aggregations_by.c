/*
 * test_aggregations_by.c - min_by/max_by and the list form of percentile
 * and approx_percentile, through fdl_group_push_by, fdl_group_push and
 * fdl_group_read on a hand-written program:
 *
 *   min_by/max_by  worked examples (ties in by go to the later event, ties
 *       in by and time to the larger value, whatever the arrival order;
 *       events missing either value skipped; empty windows null), plan
 *       checks, and a randomized differential test against brute force
 *       (out-of-order and late pushes, many ties, eviction with
 *       keep_history on and off, lifetime windows answered from evicted
 *       events) that also pushes every stream in a second arrival order
 *       and wants bit-identical results;
 *   percentile lists  each element bit-identical to the one-percentile
 *       aggregation at the same p (duplicates and the ends included), the
 *       empty window null, over sliding windows and lifetime, and the plan
 *       checks of the list.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fdlrt.h"

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------ the test program */

enum { W_SHORT = 100, W_LONG = 1000 };

/* min_by, max_by per window: lifetime, short, long. */
enum { B_MIN_LIFE, B_MAX_LIFE, B_MIN_SHORT, B_MAX_SHORT, B_MIN_LONG, B_MAX_LONG, BY_AGGS };
static const fdl_agg_desc string_by_aggs[] = {
    {FDL_AGG_MIN_BY, 0, FDL_STRING, 0, 0, 0, NULL},
    {FDL_AGG_MAX_BY, 0, FDL_STRING, 0, 0, 0, NULL},
    {FDL_AGG_MIN_BY, W_SHORT, FDL_STRING, 0, 0, 0, NULL},
    {FDL_AGG_MAX_BY, W_SHORT, FDL_STRING, 0, 0, 0, NULL},
    {FDL_AGG_MIN_BY, W_LONG, FDL_STRING, 0, 0, 0, NULL},
    {FDL_AGG_MAX_BY, W_LONG, FDL_STRING, 0, 0, 0, NULL},
};
static const fdl_agg_desc int_by_aggs[] = {
    {FDL_AGG_MIN_BY, 0, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_MAX_BY, 0, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_MIN_BY, W_SHORT, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_MAX_BY, W_SHORT, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_MIN_BY, W_LONG, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_MAX_BY, W_LONG, FDL_INT64, 0, 0, 0, NULL},
};
/* lifetime only: W = 0, so every read evicts everything before it */
static const fdl_agg_desc life_by_aggs[] = {
    {FDL_AGG_MIN_BY, 0, FDL_INT64, 0, 0, 0, NULL},
    {FDL_AGG_MAX_BY, 0, FDL_INT64, 0, 0, 0, NULL},
};

/* Percentile lists and the one-percentile aggregations they repeat. */
static const double plist[] = {0.0, 0.3, 0.5, 0.5, 1.0, 0.99};
enum { NP = COUNT_OF(plist) };
#define PLIST_AGGS_FOR(w)                                                                    \
    {FDL_AGG_PERCENTILE, w, FDL_VECTOR, 0, 0, NP, plist},                                    \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_VECTOR, 0, 0, NP, plist},                             \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.0, 0, NULL},                                   \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.3, 0, NULL},                                   \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.5, 0, NULL},                                   \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.5, 0, NULL},                                   \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 1.0, 0, NULL},                                   \
    {FDL_AGG_PERCENTILE, w, FDL_FLOAT64, 0, 0.99, 0, NULL},                                  \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.0, 0, NULL},                            \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.3, 0, NULL},                            \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.5, 0, NULL},                            \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.5, 0, NULL},                            \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 1.0, 0, NULL},                            \
    {FDL_AGG_APPROX_PERCENTILE, w, FDL_FLOAT64, 0, 0.99, 0, NULL}
enum { L_EXACT, L_APPROX, L_EXACT_ONE, L_APPROX_ONE = L_EXACT_ONE + NP, LIST_AGGS = L_APPROX_ONE + NP };
static const fdl_agg_desc list_aggs[] = {PLIST_AGGS_FOR(0), PLIST_AGGS_FOR(W_SHORT)};

enum { G_STRING_BY_INT, G_INT_BY_FLOAT, G_INT_BY_TIME, G_INT_BY_BOOL, G_LIFE_BY, G_LIST_FLOAT,
       G_LIST_INT, NGROUPS };
static const fdl_group_desc groups[] = {
    {"names by int", 0, 0, FDL_STRING, BY_AGGS, string_by_aggs, FDL_INT64, 0},
    {"ints by float", 0, 0, FDL_INT64, BY_AGGS, int_by_aggs, FDL_FLOAT64, 0},
    {"ints by time", 0, 0, FDL_INT64, BY_AGGS, int_by_aggs, FDL_TIMESTAMP, 0},
    {"ints by bool", 0, 0, FDL_INT64, BY_AGGS, int_by_aggs, FDL_BOOL, 0},
    {"lifetime ints by float", 0, 0, FDL_INT64, COUNT_OF(life_by_aggs), life_by_aggs, FDL_FLOAT64, 0},
    {"float lists", 0, 0, FDL_FLOAT64, COUNT_OF(list_aggs), list_aggs, FDL_NULL, 0},
    {"int lists", 0, 0, FDL_INT64, COUNT_OF(list_aggs), list_aggs, FDL_NULL, 0},
};
static const char *const user_keys[] = {"user_id"};
static const fdl_type user_key_types[] = {FDL_INT64};
static const fdl_entity_desc entities[] = {{"user", "user_id", FDL_INT64, 1, user_keys, user_key_types}};
static const fdl_program program = {
    .abi_version = FDL_ABI_VERSION, .name = "aggregations_by_test", .fingerprint = "0",
    .nentities = 1, .entities = entities, .ngroups = NGROUPS, .groups = groups,
};

static fdl_store *open_program(const fdl_program *p, bool keep_history, fdl_error *err)
{
    fdl_store_options options = fdl_store_options_default();
    options.keep_history = keep_history;
    options.load_embeddings = false;
    return fdl_store_open(p, &options, err);
}

static fdl_store *open_store(bool keep_history)
{
    fdl_error err;
    fdl_store *store = open_program(&program, keep_history, &err);
    if (!store)
        fail_msg("open: %s", err.message);
    return store;
}

static fdl_entity_state *user(fdl_store *store, int64_t id)
{
    fdl_entity_state *e = fdl_store_entity(store, 0, fdl_int64(id), true);
    assert_non_null(e);
    return e;
}

static fdl_value read_ok(fdl_store *store, fdl_entity_state *e, int group, int agg, fdl_time t)
{
    fdl_value out;
    fdl_status status = fdl_group_read(store, e, group, agg, t, &out);
    if (status != FDL_OK)
        fail_msg("read group %d agg %d at %lld: status %d", group, agg, (long long)t, status);
    return out;
}

static void push_by(fdl_store *store, fdl_entity_state *e, int group, fdl_time t, fdl_value v,
                    fdl_value by)
{
    assert_int_equal(fdl_group_push_by(store, e, group, t, v, by), FDL_OK);
}

static fdl_value text(const char *s)
{
    return fdl_string(s, strlen(s));
}

/* Same type and the same bits (strings: bytes; vectors: every element). */
static void assert_identical(fdl_value got, fdl_value want, const char *what)
{
    if (got.type != want.type)
        fail_msg("%s: type %s, want %s", what, fdl_type_name(got.type), fdl_type_name(want.type));
    switch (got.type) {
    case FDL_NULL:
        return;
    case FDL_INT64:
        if (got.as.i != want.as.i)
            fail_msg("%s: %lld, want %lld", what, (long long)got.as.i, (long long)want.as.i);
        return;
    case FDL_FLOAT64:
        if (memcmp(&got.as.f, &want.as.f, sizeof got.as.f) != 0)
            fail_msg("%s: %a, want %a", what, got.as.f, want.as.f);
        return;
    case FDL_VECTOR:
        if (got.dim != want.dim)
            fail_msg("%s: dim %d, want %d", what, got.dim, want.dim);
        for (int i = 0; i < got.dim; i++)
            if (memcmp(&got.as.v[i], &want.as.v[i], sizeof(double)) != 0)
                fail_msg("%s: [%d] %a, want %a", what, i, got.as.v[i], want.as.v[i]);
        return;
    case FDL_STRING:
        if (got.as.s.len != want.as.s.len || memcmp(got.as.s.ptr, want.as.s.ptr, got.as.s.len) != 0)
            fail_msg("%s: %.*s, want %.*s", what, (int)got.as.s.len, got.as.s.ptr,
                     (int)want.as.s.len, want.as.s.ptr);
        return;
    default:
        fail_msg("%s: unexpected type", what);
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic across platforms */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

/* ------------------------------------------------ min_by/max_by examples */

static void test_by_worked_example(void **state)
{
    (void)state;
    for (int keep = 0; keep < 2; keep++) {
        fdl_store *store = open_store(keep);
        fdl_entity_state *e = user(store, 1);
        int g = G_STRING_BY_INT;
        push_by(store, e, g, 10, text("a"), fdl_int64(5));
        push_by(store, e, g, 20, text("b"), fdl_int64(9));
        /* two events at 30 with by 9: the larger value wins, whichever came first */
        push_by(store, e, g, 30, text("d"), fdl_int64(9));
        push_by(store, e, g, 30, text("c"), fdl_int64(9));
        push_by(store, e, g, 40, fdl_null(), fdl_int64(100));   /* no value: skipped */
        push_by(store, e, g, 50, text("e"), fdl_null());        /* no by: skipped */
        push_by(store, e, g, 60, text("f"), fdl_int64(1));
        push_by(store, e, g, 70, text("g"), fdl_int64(1));      /* ties with f: the later wins */
        /* empty */
        assert_identical(read_ok(store, e, g, B_MAX_LIFE, 10), fdl_null(), "max_by empty");
        assert_identical(read_ok(store, e, g, B_MIN_SHORT, 10), fdl_null(), "min_by empty");
        /* [.., 25): a(5), b(9) */
        assert_identical(read_ok(store, e, g, B_MAX_LIFE, 25), text("b"), "max_by 25");
        assert_identical(read_ok(store, e, g, B_MIN_LIFE, 25), text("a"), "min_by 25");
        /* [.., 61): the ties at by 9 go to the latest event (30), then to "d" > "c" */
        assert_identical(read_ok(store, e, g, B_MAX_LIFE, 61), text("d"), "max_by 61");
        assert_identical(read_ok(store, e, g, B_MIN_LIFE, 61), text("f"), "min_by 61");
        assert_identical(read_ok(store, e, g, B_MIN_LIFE, 71), text("g"), "min_by 71");
        assert_identical(read_ok(store, e, g, B_MAX_SHORT, 71), text("d"), "max_by short 71");
        /* [31, 131): f, g only */
        assert_identical(read_ok(store, e, g, B_MAX_SHORT, 131), text("g"), "max_by short 131");
        assert_identical(read_ok(store, e, g, B_MIN_SHORT, 131), text("g"), "min_by short 131");
        /* [71, 171): nothing; lifetime still sees everything (evicted or not) */
        assert_identical(read_ok(store, e, g, B_MAX_SHORT, 171), fdl_null(), "max_by short 171");
        assert_identical(read_ok(store, e, g, B_MAX_LONG, 171), text("d"), "max_by long 171");
        assert_identical(read_ok(store, e, g, B_MAX_LIFE, 5000), text("d"), "max_by life 5000");
        assert_identical(read_ok(store, e, g, B_MIN_LIFE, 5000), text("g"), "min_by life 5000");
        fdl_store_close(store);
    }
}

/* Float by-values order -0.0 before +0.0; bool by: false before true. */
static void test_by_other_types(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    push_by(store, e, G_INT_BY_FLOAT, 10, fdl_int64(1), fdl_float64(0.0));
    push_by(store, e, G_INT_BY_FLOAT, 20, fdl_int64(2), fdl_float64(-0.0));
    push_by(store, e, G_INT_BY_FLOAT, 30, fdl_int64(3), fdl_int64(-1));   /* int64 widened */
    assert_identical(read_ok(store, e, G_INT_BY_FLOAT, B_MAX_LIFE, 31), fdl_int64(1), "max_by +0.0");
    assert_identical(read_ok(store, e, G_INT_BY_FLOAT, B_MIN_LIFE, 31), fdl_int64(3), "min_by -1");
    assert_identical(read_ok(store, e, G_INT_BY_FLOAT, B_MIN_LIFE, 25), fdl_int64(2), "min_by -0.0");
    push_by(store, e, G_INT_BY_BOOL, 10, fdl_int64(7), fdl_bool(true));
    push_by(store, e, G_INT_BY_BOOL, 20, fdl_int64(8), fdl_bool(false));
    push_by(store, e, G_INT_BY_BOOL, 30, fdl_int64(6), fdl_bool(true));
    assert_identical(read_ok(store, e, G_INT_BY_BOOL, B_MAX_LIFE, 31), fdl_int64(6), "max_by bool");
    assert_identical(read_ok(store, e, G_INT_BY_BOOL, B_MIN_LIFE, 31), fdl_int64(8), "min_by bool");
    /* a value of the wrong type, a non-finite by, a by for a group without one */
    assert_int_equal(fdl_group_push_by(store, e, G_INT_BY_TIME, 40, fdl_int64(1), fdl_int64(3)),
                     FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_group_push_by(store, e, G_INT_BY_FLOAT, 40, fdl_int64(1), fdl_float64(NAN)),
                     FDL_ERR_ARGUMENT);
    assert_int_equal(fdl_group_push_by(store, e, G_LIST_INT, 40, fdl_int64(1), fdl_int64(3)),
                     FDL_ERR_ARGUMENT);
    fdl_store_close(store);
}

static void test_plan_checks(void **state)
{
    (void)state;
    static const double good[] = {0.5, 0.9};
    static const double bad[] = {0.5, 1.5};
    struct {
        fdl_agg function;
        fdl_type value, by, result;
        double p;
        int n;
        const double *list;
        bool ok;
    } cases[] = {
        {FDL_AGG_MAX_BY, FDL_STRING, FDL_INT64, FDL_STRING, 0, 0, NULL, true},
        {FDL_AGG_MIN_BY, FDL_BOOL, FDL_TIMESTAMP, FDL_BOOL, 0, 0, NULL, true},
        {FDL_AGG_MAX_BY, FDL_STRING, FDL_INT64, FDL_INT64, 0, 0, NULL, false},   /* result type */
        {FDL_AGG_MAX_BY, FDL_STRING, FDL_STRING, FDL_STRING, 0, 0, NULL, false}, /* string by */
        {FDL_AGG_MAX_BY, FDL_NULL, FDL_INT64, FDL_NULL, 0, 0, NULL, false},      /* no value */
        {FDL_AGG_MAX_BY, FDL_INT64, FDL_NULL, FDL_INT64, 0, 0, NULL, false},     /* no by */
        {FDL_AGG_MAX, FDL_INT64, FDL_INT64, FDL_INT64, 0, 0, NULL, false},       /* by-group: by aggs only */
        {FDL_AGG_PERCENTILE, FDL_FLOAT64, FDL_NULL, FDL_VECTOR, 0, 2, good, true},
        {FDL_AGG_APPROX_PERCENTILE, FDL_INT64, FDL_NULL, FDL_VECTOR, 0, 2, good, true},
        {FDL_AGG_PERCENTILE, FDL_FLOAT64, FDL_NULL, FDL_FLOAT64, 0, 2, good, false},
        {FDL_AGG_PERCENTILE, FDL_FLOAT64, FDL_NULL, FDL_VECTOR, 0, 2, bad, false},
        {FDL_AGG_PERCENTILE, FDL_FLOAT64, FDL_NULL, FDL_VECTOR, 0, 2, NULL, false},
        {FDL_AGG_PERCENTILE, FDL_FLOAT64, FDL_NULL, FDL_VECTOR, 0, -1, good, false},
        {FDL_AGG_PERCENTILE, FDL_STRING, FDL_NULL, FDL_VECTOR, 0, 2, good, false},
        {FDL_AGG_MEAN, FDL_FLOAT64, FDL_NULL, FDL_VECTOR, 0, 2, good, false},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        fdl_agg_desc agg = {cases[i].function, 0, cases[i].result, 0, cases[i].p, cases[i].n,
                            cases[i].list};
        fdl_group_desc group = {"g", 0, 0, cases[i].value, 1, &agg, cases[i].by, 0};
        fdl_program p = program;
        p.ngroups = 1;
        p.groups = &group;
        fdl_error err;
        fdl_store *store = open_program(&p, false, &err);
        if (cases[i].ok != (store != NULL))
            fail_msg("case %d: open %s", i, store ? "succeeded" : err.message);
        if (!store)
            assert_int_equal(err.status, FDL_ERR_ARGUMENT);
        fdl_store_close(store);
    }
}

/* ------------------------------------------------ min_by/max_by vs brute force */

typedef struct by_event {
    fdl_time time;
    int64_t value;
    double by;                          /* float64 or int64 (as double) */
    bool value_null, by_null;
} by_event;

/* docs/language.md: the event with the smallest (want < 0) or largest by;
 * ties: the later event, then the larger value. -0.0 before +0.0. */
static bool by_before(double a, double b)
{
    return a < b || (a == b && signbit(a) && !signbit(b));
}

static fdl_value brute_by(const by_event *events, int n, fdl_time start, fdl_time end, int want)
{
    const by_event *best = NULL;
    for (int i = 0; i < n; i++) {
        const by_event *e = &events[i];
        if (e->value_null || e->by_null || e->time < start || e->time >= end)
            continue;
        bool better;
        if (!best)
            better = true;
        else if (by_before(e->by, best->by) || by_before(best->by, e->by))
            better = want < 0 ? by_before(e->by, best->by) : by_before(best->by, e->by);
        else if (e->time != best->time)
            better = e->time > best->time;
        else
            better = e->value > best->value;
        if (better)
            best = e;
    }
    return best ? fdl_int64(best->value) : fdl_null();
}

static fdl_value by_value(int group, const by_event *e)
{
    if (e->by_null)
        return fdl_null();
    if (group == G_INT_BY_FLOAT || group == G_LIFE_BY)
        return fdl_float64(e->by);
    if (group == G_INT_BY_BOOL)
        return fdl_bool(e->by != 0.0);
    return fdl_timestamp((fdl_time)e->by);
}

/*
 * Pushes n events in arrival order `order` into `group` of two stores
 * (the second in another arrival order), reading every aggregation at
 * increasing times in between; checks each read against brute force over
 * the events pushed so far and the two stores against each other.
 */
static void by_differential_run(int group, bool keep, int n, int time_range, int by_range)
{
    by_event *events = calloc((size_t)n, sizeof *events);
    int *order = malloc((size_t)n * sizeof *order);
    assert_non_null(events);
    assert_non_null(order);
    for (int i = 0; i < n; i++) {
        by_event *e = &events[i];
        /* times mostly increasing with the arrival index, some late */
        int64_t base = (int64_t)i * time_range / n;
        int64_t jitter = rng() % 4 == 0 ? (int64_t)(rng() % 300) : (int64_t)(rng() % 3);
        e->time = base - jitter;
        e->value = (int64_t)(rng() % 7) - 3;          /* few values: ties in value too */
        e->value_null = rng() % 12 == 0;
        e->by_null = rng() % 12 == 0;
        if (group == G_INT_BY_FLOAT || group == G_LIFE_BY) {
            e->by = (double)((int64_t)(rng() % (uint64_t)by_range) - by_range / 2) / 2.0;
            if (e->by == 0.0 && rng() % 2)
                e->by = -0.0;
        } else {
            e->by = (double)(rng() % (uint64_t)by_range);
        }
    }
    /* The second arrival order: swaps among events of equal time, and of
     * neighbours (out of order pushes either way). */
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++)
        if (rng() % 3 == 0) {
            int tmp = order[i];
            order[i] = order[i - 1];
            order[i - 1] = tmp;
        }
    fdl_store *first = open_store(keep), *second = open_store(keep);
    fdl_entity_state *a = user(first, 1), *b = user(second, 1);
    int naggs = groups[group].naggs;
    fdl_time t = 0;
    for (int i = 0; i < n; i++) {
        push_by(first, a, group, events[i].time,
                events[i].value_null ? fdl_null() : fdl_int64(events[i].value), by_value(group, &events[i]));
        const by_event *o = &events[order[i]];
        push_by(second, b, group, o->time, o->value_null ? fdl_null() : fdl_int64(o->value),
                by_value(group, o));
        if (rng() % 5 != 0 || i < 1)
            continue;
        /* Both stores have seen the same events up to i - 1 and i (the
         * swap moves at most one neighbour), so read where both agree:
         * after pushes 0..i when order[i] <= i and order[..] covers them. */
        bool same = true;
        for (int j = 0; j <= i && same; j++)
            same = order[j] <= i;
        t += (fdl_time)(rng() % 40);
        if (t < events[i].time - 200)
            t = events[i].time - 200;
        for (int agg = 0; agg < naggs; agg++) {
            const fdl_agg_desc *d = &groups[group].aggs[agg];
            fdl_time start = d->window ? t - d->window : INT64_MIN;
            fdl_value want = brute_by(events, i + 1, start, t, d->function == FDL_AGG_MIN_BY ? -1 : 1);
            fdl_value got = read_ok(first, a, group, agg, t);
            char what[96];
            snprintf(what, sizeof what, "group %d agg %d keep %d at %lld after %d", group, agg, keep,
                     (long long)t, i);
            assert_identical(got, want, what);
            if (same)
                assert_identical(read_ok(second, b, group, agg, t), want, what);
        }
    }
    fdl_store_close(first);
    fdl_store_close(second);
    free(events);
    free(order);
}

static void test_by_differential(void **state)
{
    (void)state;
    const int kinds[] = {G_INT_BY_FLOAT, G_INT_BY_TIME, G_LIFE_BY, G_INT_BY_BOOL};
    for (int round = 0; round < 32; round++) {
        int group = kinds[round % 4];
        bool keep = (round / 4) % 2;
        int time_range = round % 3 == 0 ? 400 : round % 3 == 1 ? 4000 : 40000;
        int by_range = group == G_INT_BY_BOOL ? 2 : (round / 8) % 2 ? 1000 : 5;
        by_differential_run(group, keep, 1500, time_range, by_range);
    }
}

/* --------------------------------------------------------- percentile lists */

static void test_percentile_lists(void **state)
{
    (void)state;
    for (int round = 0; round < 8; round++) {
        int group = round % 2 ? G_LIST_INT : G_LIST_FLOAT;
        bool keep = round / 4;
        fdl_store *store = open_store(keep);
        fdl_entity_state *e = user(store, 1);
        for (int half = 0; half < 2; half++) {
            int base = half * LIST_AGGS;        /* lifetime, then the short window */
            /* empty: null, as the one-percentile forms */
            assert_identical(read_ok(store, e, group, base + L_EXACT, -1000), fdl_null(), "empty");
            assert_identical(read_ok(store, e, group, base + L_APPROX, -1000), fdl_null(), "empty");
        }
        fdl_time t = 0;
        for (int i = 0; i < 1200; i++) {
            fdl_time time = t + (fdl_time)(rng() % 50) - 20;
            fdl_value v = group == G_LIST_INT ? fdl_int64((int64_t)(rng() % 2001) - 1000)
                                              : fdl_float64(ldexp((double)(rng() % 1000) - 500.0,
                                                                  (int)(rng() % 20) - 10));
            if (rng() % 20 == 0)
                v = fdl_null();
            assert_int_equal(fdl_group_push(store, e, group, time, v), FDL_OK);
            if (rng() % 7 != 0)
                continue;
            t += (fdl_time)(rng() % 30);
            for (int half = 0; half < 2; half++) {
                int base = half * LIST_AGGS;
                for (int approx = 0; approx < 2; approx++) {
                    int one = base + (approx ? L_APPROX_ONE : L_EXACT_ONE);
                    /* the scalars first: the vector lives until the next read of its aggregation */
                    fdl_value scalars[NP];
                    bool any_null = false;
                    for (int p = 0; p < NP; p++) {
                        scalars[p] = read_ok(store, e, group, one + p, t);
                        any_null |= scalars[p].type == FDL_NULL;
                    }
                    fdl_value list = read_ok(store, e, group, base + (approx ? L_APPROX : L_EXACT), t);
                    char what[64];
                    snprintf(what, sizeof what, "round %d %s%s at %lld", round, approx ? "approx " : "",
                             half ? "short" : "lifetime", (long long)t);
                    if (any_null) {
                        assert_identical(list, fdl_null(), what);
                        continue;
                    }
                    assert_int_equal(list.type, FDL_VECTOR);
                    assert_int_equal(list.dim, NP);
                    for (int p = 0; p < NP; p++)
                        assert_identical(fdl_float64(list.as.v[p]), scalars[p], what);
                }
            }
        }
        fdl_store_close(store);
    }
}

/* Worked example: 1 2 3 4 -> [0, 0.3, 0.5, 0.5, 1, 0.99] = [1, 1.9, 2.5, 2.5, 4, 3.97]. */
static void test_percentile_list_worked(void **state)
{
    (void)state;
    fdl_store *store = open_store(false);
    fdl_entity_state *e = user(store, 1);
    const double values[] = {4, 1, 3, 2};
    for (int i = 0; i < 4; i++)
        assert_int_equal(fdl_group_push(store, e, G_LIST_FLOAT, 10 * (i + 1), fdl_float64(values[i])),
                         FDL_OK);
    fdl_value got = read_ok(store, e, G_LIST_FLOAT, L_EXACT, 41);
    const double want[] = {1.0, 1.0 + 0.9 * 1.0, 2.5, 2.5, 4.0, 3.0 + (3.0 * 0.99 - 2.0) * 1.0};
    assert_int_equal(got.type, FDL_VECTOR);
    assert_int_equal(got.dim, NP);
    for (int i = 0; i < NP; i++)
        assert_identical(fdl_float64(got.as.v[i]), fdl_float64(want[i]), "percentile list");
    /* the sketch: within 1% of the value at rank floor(p (n - 1)) */
    got = read_ok(store, e, G_LIST_FLOAT, L_APPROX, 41);
    const double ranked[] = {1, 1, 2, 2, 4, 3};
    assert_int_equal(got.dim, NP);
    for (int i = 0; i < NP; i++)
        if (fabs(got.as.v[i] - ranked[i]) > 0.01 * ranked[i])
            fail_msg("approx [%d]: %g, want about %g", i, got.as.v[i], ranked[i]);
    fdl_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_worked_example),
        cmocka_unit_test(test_by_other_types),
        cmocka_unit_test(test_plan_checks),
        cmocka_unit_test(test_by_differential),
        cmocka_unit_test(test_percentile_lists),
        cmocka_unit_test(test_percentile_list_worked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
