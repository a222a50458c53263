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

static fdl_type expected_result_type(fdl_agg function, fdl_type value_type)
{
    switch (function) {
    case FDL_AGG_COUNT:
    case FDL_AGG_COUNT_DISTINCT: return FDL_INT64;
    case FDL_AGG_MEAN:
    case FDL_AGG_VARIANCE:
    case FDL_AGG_STDDEV:
    case FDL_AGG_PERCENTILE:
    case FDL_AGG_APPROX_PERCENTILE: return FDL_FLOAT64;
    case FDL_AGG_APPROX_COUNT_DISTINCT: return FDL_INT64;
    case FDL_AGG_TOP_K: return FDL_STRING;
    case FDL_AGG_MIN_BY:
    case FDL_AGG_MAX_BY: return value_type;
    case FDL_AGG_FIRST_K:
    case FDL_AGG_LAST_K: return FDL_VECTOR;
    default: return value_type;
    }
}

/* Aggregations a hopped group answers from mergeable per-tile states. */
static bool is_tileable(fdl_agg function)
{
    switch (function) {
    case FDL_AGG_COUNT:
    case FDL_AGG_SUM:
    case FDL_AGG_MEAN:
    case FDL_AGG_MIN:
    case FDL_AGG_MAX:
    case FDL_AGG_FIRST:
    case FDL_AGG_LAST:
    case FDL_AGG_VARIANCE:
    case FDL_AGG_STDDEV:
    case FDL_AGG_APPROX_PERCENTILE:
    case FDL_AGG_APPROX_COUNT_DISTINCT:
    /* a tile's best (by, time, value) under extreme_compare's total order */
    case FDL_AGG_MIN_BY:
    case FDL_AGG_MAX_BY: return true;
    default: return false;
    }
}

static const char *agg_name(fdl_agg function)
{
    static const char *const names[] = {"count", "sum", "mean", "min", "max", "first", "last",
                                        "variance", "stddev", "count_distinct", "first_k",
                                        "last_k", "percentile", "approx_percentile",
                                        "approx_count_distinct", "top_k", "min_by", "max_by"};
    return (unsigned)function < sizeof names / sizeof names[0] ? names[function] : "?";
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
        bool fits;
        bool list = agg->npercentiles != 0;
        fdl_type expected = expected_result_type(agg->function, type);
        if ((agg->function == FDL_AGG_MIN_BY || agg->function == FDL_AGG_MAX_BY) != by_group) {
            fits = false;
        } else if (list) {
            /* percentile: [p, ...]: a vector of the same results */
            fits = (agg->function == FDL_AGG_PERCENTILE || agg->function == FDL_AGG_APPROX_PERCENTILE) &&
                   is_summable(type) && agg->npercentiles > 0 && agg->percentiles;
            for (int p = 0; fits && p < agg->npercentiles; p++)
                fits = agg->percentiles[p] >= 0.0 && agg->percentiles[p] <= 1.0;
            expected = FDL_VECTOR;
        } else switch (agg->function) {
        case FDL_AGG_COUNT: fits = true; break;
        case FDL_AGG_SUM:
        case FDL_AGG_MEAN: fits = is_summable(type); break;
        case FDL_AGG_MIN:
        case FDL_AGG_MAX:
        case FDL_AGG_FIRST:
        case FDL_AGG_LAST:
        case FDL_AGG_COUNT_DISTINCT: fits = is_orderable(type); break;
        case FDL_AGG_VARIANCE:
        case FDL_AGG_STDDEV: fits = is_summable(type); break;
        case FDL_AGG_FIRST_K:
        case FDL_AGG_LAST_K: fits = is_summable(type) && agg->k >= 1 && agg->k <= INT32_MAX; break;
        case FDL_AGG_APPROX_COUNT_DISTINCT:
            /* A HyperLogLog cannot forget: lifetime, or one per tile of a hopped group. */
            fits = is_orderable(type) && (desc->hop > 0 || agg->window == 0);
            break;
        case FDL_AGG_TOP_K: fits = is_orderable(type) && agg->k >= 1 && agg->k <= INT32_MAX; break;
        case FDL_AGG_PERCENTILE:
        case FDL_AGG_APPROX_PERCENTILE:
            /* written so that NaN fails too */
            fits = is_summable(type) && agg->percentile >= 0.0 && agg->percentile <= 1.0;
            break;
        case FDL_AGG_MIN_BY:
        case FDL_AGG_MAX_BY: fits = is_orderable(type); break;
        default: fits = false; break;
        }
        if (fits && desc->hop != 0)
            fits = is_tileable(agg->function) && desc->hop > 0 && agg->window > 0 &&
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
        static const unsigned needs[] = {
            [FDL_AGG_COUNT] = 0, [FDL_AGG_SUM] = FDL_NEEDS_SUM, [FDL_AGG_MEAN] = FDL_NEEDS_SUM,
            [FDL_AGG_MIN] = FDL_NEEDS_MIN, [FDL_AGG_MAX] = FDL_NEEDS_MAX,
            [FDL_AGG_FIRST] = FDL_NEEDS_FIRST, [FDL_AGG_LAST] = FDL_NEEDS_LAST,
            [FDL_AGG_VARIANCE] = FDL_NEEDS_MOMENTS, [FDL_AGG_STDDEV] = FDL_NEEDS_MOMENTS,
            [FDL_AGG_COUNT_DISTINCT] = FDL_NEEDS_DISTINCT, [FDL_AGG_FIRST_K] = FDL_NEEDS_FIRST_K,
            [FDL_AGG_LAST_K] = FDL_NEEDS_LAST_K, [FDL_AGG_PERCENTILE] = FDL_NEEDS_SORTED,
            [FDL_AGG_APPROX_PERCENTILE] = FDL_NEEDS_SKETCH,
            [FDL_AGG_APPROX_COUNT_DISTINCT] = FDL_NEEDS_HLL, [FDL_AGG_TOP_K] = FDL_NEEDS_DISTINCT,
            /* the extremes deques, ordered by the by-value (see extreme_compare) */
            [FDL_AGG_MIN_BY] = FDL_NEEDS_MIN, [FDL_AGG_MAX_BY] = FDL_NEEDS_MAX,
        };
        plan->cursor_needs[c] |= needs[agg->function];
        plan->tile_needs |= needs[agg->function];
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
