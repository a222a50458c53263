/*
 * window_plan.c - group plans: checks that each aggregation of a group
 * fits its value type, window and hop, and works out once per group what
 * its states need: aggregations with the same window share one cursor, and
 * each cursor (and, in a hopped group, each tile) keeps only the
 * accumulators (FDL_NEEDS_*) its aggregations read.
 */
#include "window_internal.h"

static bool is_summable(fdl_type type)
{
    return type == FDL_INT64 || type == FDL_FLOAT64;
}

static bool is_orderable(fdl_type type)
{
    return type == FDL_INT64 || type == FDL_FLOAT64 || type == FDL_TIMESTAMP ||
           type == FDL_STRING || type == FDL_BOOL;
}

/* stdlib/aggregations.def, the runtime's columns: rows in fdl_agg order. */
enum {
#define FDL_AGGREGATION(name, id, ...) ROW_##id,
#include "aggregations.def"
#undef FDL_AGGREGATION
    AGGREGATION_ROWS
};
#define FDL_AGGREGATION(name, id, ...) \
    _Static_assert((int)FDL_AGG_##id == (int)ROW_##id, "fdl_agg (fdlrt.h) and stdlib/aggregations.def disagree: " #name);
#include "aggregations.def"
#undef FDL_AGGREGATION

enum { PARAM_NONE, PARAM_K, PARAM_PERCENTILE, PARAM_BY };
enum { VALUES_ANY, VALUES_NUMBER, VALUES_SCALAR };
enum { RESULT_INT64, RESULT_FLOAT64, RESULT_STRING, RESULT_VECTOR, RESULT_VALUE };
enum { HOP = 1, NO_SLIDING = 2 };

typedef struct aggregation_row {
    const char *name;
    int param, values, result;
    unsigned needs;       /* FDL_NEEDS_*: what a cursor (or tile) keeps for it */
    int flags;            /* HOP, NO_SLIDING */
} aggregation_row;

static const aggregation_row rows[AGGREGATION_ROWS] = {
#define FDL_AGGREGATION(name, id, param, values, result, needs, flags, no_hop, doc) \
    {#name, PARAM_##param, VALUES_##values, RESULT_##result, (needs), (flags)},
#include "aggregations.def"
#undef FDL_AGGREGATION
};

static const aggregation_row *row_of(fdl_agg function)
{
    return (unsigned)function < AGGREGATION_ROWS ? &rows[function] : NULL;
}

static fdl_type expected_result_type(const aggregation_row *row, fdl_type value_type)
{
    switch (row->result) {
    case RESULT_INT64: return FDL_INT64;
    case RESULT_FLOAT64: return FDL_FLOAT64;
    case RESULT_STRING: return FDL_STRING;
    case RESULT_VECTOR: return FDL_VECTOR;
    default: return value_type;
    }
}

/* Whether the function takes values of `type` (FDL_NULL: a count of events). */
static bool takes(const aggregation_row *row, fdl_type type)
{
    switch (row->values) {
    case VALUES_NUMBER: return is_summable(type);
    case VALUES_SCALAR: return is_orderable(type);
    default: return true;
    }
}

static const char *agg_name(fdl_agg function)
{
    const aggregation_row *row = row_of(function);
    return row ? row->name : "?";
}

fdl_status fdl_group_plan_init(fdl_group_plan *plan, const fdl_group_desc *desc,
                               fdl_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->desc = desc;
    plan->lifetime_cursor = -1;
    fdl_type type = desc->value_type;
    if (type != FDL_NULL && !is_orderable(type))
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "group '%s': values of type %s cannot be aggregated",
                             desc->description ? desc->description : "", fdl_type_name(type));
    if (desc->naggs < 0 || (desc->naggs > 0 && !desc->aggs))
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "group '%s': bad aggregation table",
                             desc->description ? desc->description : "");
    /* A by-group holds min_by/max_by only (its events carry two values). */
    fdl_type by_type = desc->by_type;
    bool by_group = by_type != FDL_NULL;
    if (by_group && (type == FDL_NULL || !(by_type == FDL_INT64 || by_type == FDL_FLOAT64 ||
                                           by_type == FDL_TIMESTAMP || by_type == FDL_BOOL)))
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "group '%s': events of type %s cannot be ordered by %s",
                             desc->description ? desc->description : "", fdl_type_name(type),
                             fdl_type_name(by_type));
    for (int i = 0; i < desc->naggs; i++) {
        const fdl_agg_desc *agg = &desc->aggs[i];
        const aggregation_row *row = row_of(agg->function);
        bool list = agg->npercentiles != 0;
        fdl_type expected = row ? expected_result_type(row, type) : FDL_NULL;
        /* Its row: the values it takes, its parameter in range (written so that
         * NaN fails too), and a by-group exactly for the by-functions. */
        bool fits = row && takes(row, type) && (row->param == PARAM_BY) == by_group;
        if (fits && row->param == PARAM_K)
            fits = agg->k >= 1 && agg->k <= INT32_MAX;
        if (fits && list) {
            /* percentile: [p, ...]: a vector of the same results */
            fits = row->param == PARAM_PERCENTILE && agg->npercentiles > 0 && agg->percentiles;
            for (int p = 0; fits && p < agg->npercentiles; p++)
                fits = agg->percentiles[p] >= 0.0 && agg->percentiles[p] <= 1.0;
            expected = FDL_VECTOR;
        } else if (fits && row->param == PARAM_PERCENTILE) {
            fits = agg->percentile >= 0.0 && agg->percentile <= 1.0;
        }
        /* A HyperLogLog cannot forget: lifetime, or one per tile of a hopped group. */
        if (fits && (row->flags & NO_SLIDING))
            fits = desc->hop > 0 || agg->window == 0;
        if (fits && desc->hop != 0)
            fits = (row->flags & HOP) && desc->hop > 0 && agg->window > 0 &&
                   agg->window % desc->hop == 0;
        if (!fits || agg->window < 0 || agg->result_type != expected)
            return fdl_error_set(err, FDL_ERR_ARGUMENT,
                                 "group '%s': aggregation %d (%s over %s, window %lld, result %s) is not supported",
                                 desc->description ? desc->description : "", i, agg_name(agg->function),
                                 fdl_type_name(type), (long long)agg->window,
                                 fdl_type_name(agg->result_type));
    }
    int n = desc->naggs > 0 ? desc->naggs : 1;
    plan->cursor_window = calloc((size_t)n, sizeof *plan->cursor_window);
    plan->cursor_needs = calloc((size_t)n, sizeof *plan->cursor_needs);
    plan->agg_cursor = calloc((size_t)n, sizeof *plan->agg_cursor);
    if (!plan->cursor_window || !plan->cursor_needs || !plan->agg_cursor) {
        fdl_group_plan_free(plan);
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
    }
    for (int i = 0; i < desc->naggs; i++) {
        const fdl_agg_desc *agg = &desc->aggs[i];
        int c = 0;
        while (c < plan->ncursors && plan->cursor_window[c] != agg->window)
            c++;
        if (c == plan->ncursors)
            plan->cursor_window[plan->ncursors++] = agg->window;
        plan->agg_cursor[i] = c;
        unsigned needs = row_of(agg->function)->needs;   /* checked above */
        plan->cursor_needs[c] |= needs;
        plan->tile_needs |= needs;
        if (desc->hop > 0 && agg->function == FDL_AGG_MAX_K && agg->k > plan->tile_max_k)
            plan->tile_max_k = agg->k;
        if (desc->hop > 0 && agg->function == FDL_AGG_MIN_K && agg->k > plan->tile_min_k)
            plan->tile_min_k = agg->k;
        if (agg->window == 0) {
            plan->lifetime_cursor = c;
            if (agg->function == FDL_AGG_FIRST_K && agg->k > plan->lifetime_first_k)
                plan->lifetime_first_k = agg->k;
            if (agg->function == FDL_AGG_LAST_K && agg->k > plan->lifetime_last_k)
                plan->lifetime_last_k = agg->k;
        } else if (agg->window > plan->longest_window)
            plan->longest_window = agg->window;
    }
    return FDL_OK;
}

void fdl_group_plan_free(fdl_group_plan *plan)
{
    free(plan->cursor_window);
    free(plan->cursor_needs);
    free(plan->agg_cursor);
    plan->cursor_window = NULL;
    plan->cursor_needs = NULL;
    plan->agg_cursor = NULL;
}
