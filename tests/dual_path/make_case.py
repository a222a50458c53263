#!/usr/bin/env python3
"""Writes the dual-path test's generated case into OUT_DIR (fixed seed).

The case exercises every aggregation (count, sum, mean, min, max, first,
last, variance, stddev, count_distinct, first_k, last_k, percentile, top_k,
approx_percentile, approx_count_distinct, percentile lists, min_by, max_by,
skewness, kurtosis, max_k, min_k) over
windows and lifetime, hopped windows (hop:) of every function that takes
one, with where filters, on a string-keyed and an
int64-keyed entity, over fields of every scalar type, with the inputs that
make batch and serving easy to get subtly different:

  * nulls in every field, null keys, the empty-string key and empty strings;
  * many events sharing a time (times on a 5-minute grid), within one source
    and across sources, so first/last see ties;
  * spine rows at exactly an event's time (strict "before t") and exactly a
    window length after one (the window's closed start);
  * floats whose sums cancel (1e16 + 1 - 1e16), -0.0 and +0.0, int64 values
    whose sum leaves int64 (null) and comes back (and whose squares need
    more than 64 bits: variance); -0.0 and +0.0 are one value to
    count_distinct and sort in that order for percentile;
  * the newer aggregations in groups that also hold finite windows and in
    lifetime-only groups, so the evicting serving modes answer lifetime
    variance, count_distinct, percentile and first_k/last_k from evicted
    (and late) events folded into the lifetime state; k from 1 to 6, fewer
    events than k, percentiles at 0, 1, ranks and between ranks;
  * rows out of time order in the files, columns in another order than the
    fields, an extra column, several spellings of a timestamp;
  * an embedding whose default table is overridden on the command line;
  * the language beyond aggregations: derived features (`expr:`) over
    aggregations and embeddings, of one entity and of several (FEATURE and
    ENTITY.FEATURE reads), reading other derived features; `default:` on
    aggregations and derived features (which their readers then see);
    request fields of every scalar type declared by the set, read as
    `request.NAME` and given by spine columns of the same names (null cells,
    the empty string); age(), which reads the query time; the functions
    that build strings in the store's scratch space (concat, lower, upper,
    to_string); and an entity with a composite key (int64 store_id + string
    channel), read in the set together with the single-key entities.

Files: definitions.yaml, txns.csv, visits.csv, spine.csv,
embedding_default.csv, embedding_override.csv.

Usage: make_case.py OUT_DIR [--seed N] [--events N] [--spine N]
"""
import argparse
import csv
import os
import random
from datetime import datetime, timedelta, timezone

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--seed", type=int, default=20240611)
parser.add_argument("--events", type=int, default=3000)
parser.add_argument("--spine", type=int, default=800)
args = parser.parse_args()
rng = random.Random(args.seed)
os.makedirs(args.out, exist_ok=True)

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
SPAN = 21 * 86400            # three weeks of events
GRID = 300                   # times on a 5-minute grid: plenty of ties
CUSTOMERS = [f"c{i:03d}" for i in range(25)] + [""]   # "" is a key too
STORES = [1, 2, 3, 17, -5, 9000000000]
CHANNELS = ["web", "app", "store", "Phone", "", "web,app", 'say "hi"']
PAGES = ["home", "cart", "checkout", "search"]

# The definitions: every aggregation, windows and lifetime, filters.
AGGREGATIONS = [
    # name, entity, function, source, window, where
    ("c_txn_count_1h", "customer", "count", "txns", "1h", None),
    ("c_txn_count_life", "customer", "count", "txns", "lifetime", None),
    ("c_amount_count_7d", "customer", "count", "txns.amount", "7d", None),
    ("c_web_count_1d", "customer", "count", "txns", "1d", "channel = 'web'"),
    ("c_amount_sum_1d", "customer", "sum", "txns.amount", "1d", None),
    ("c_amount_sum_life", "customer", "sum", "txns.amount", "lifetime", None),
    ("c_pos_amount_sum_7d", "customer", "sum", "txns.amount", "7d", "amount > 0"),
    ("c_qty_sum_7d", "customer", "sum", "txns.qty", "7d", None),
    ("c_qty_sum_life", "customer", "sum", "txns.qty", "lifetime", "qty is not null"),
    ("c_amount_mean_1d", "customer", "mean", "txns.amount", "1d", None),
    ("c_amount_mean_life", "customer", "mean", "txns.amount", "lifetime", "not flagged"),
    ("c_qty_mean_7d", "customer", "mean", "txns.qty", "7d", "qty % 2 = 0"),
    ("c_amount_min_1d", "customer", "min", "txns.amount", "1d", None),
    ("c_amount_max_7d", "customer", "max", "txns.amount", "7d", None),
    ("c_channel_min_life", "customer", "min", "txns.channel", "lifetime", None),
    ("c_channel_max_1d", "customer", "max", "txns.channel", "1d", "channel <> 'store'"),
    ("c_flag_max_1d", "customer", "max", "txns.flagged", "1d", None),
    ("c_settled_min_7d", "customer", "min", "txns.settled_at", "7d", None),
    ("c_qty_first_1d", "customer", "first", "txns.qty", "1d", None),
    ("c_channel_first_life", "customer", "first", "txns.channel", "lifetime", None),
    ("c_amount_first_7d", "customer", "first", "txns.amount", "7d", "flagged or amount < 0"),
    ("c_channel_last_1h", "customer", "last", "txns.channel", "1h", None),
    ("c_amount_last_life", "customer", "last", "txns.amount", "lifetime", None),
    ("c_settled_last_1d", "customer", "last", "txns.settled_at", "1d", None),
    ("c_flag_last_7d", "customer", "last", "txns.flagged", "7d", "channel in ('web', 'app')"),
    ("c_visit_count_1d", "customer", "count", "visits", "1d", None),
    ("c_duration_sum_1d", "customer", "sum", "visits.duration", "1d", "page != 'home'"),
    ("c_page_last_7d", "customer", "last", "visits.page", "7d", None),
    ("s_txn_count_1d", "store", "count", "txns", "1d", None),
    ("s_amount_sum_7d", "store", "sum", "txns.amount", "7d", None),
    ("s_amount_mean_life", "store", "mean", "txns.amount", "lifetime", None),
    ("s_qty_min_life", "store", "min", "txns.qty", "lifetime", None),
    ("s_qty_max_1d", "store", "max", "txns.qty", "1d", "channel is null or channel = ''"),
    ("s_customer_first_1d", "store", "first", "txns.customer_id", "1d", None),
    ("s_customer_last_life", "store", "last", "txns.customer_id", "lifetime", None),
    ("s_duration_mean_7d", "store", "mean", "visits.duration", "7d", None),
    ("s_visit_first_life", "store", "first", "visits.ts", "lifetime", None),
]

# The composite-key entity store_channel: (store_id, channel) of txns.
AGGREGATIONS += [
    ("sc_txn_count_1d", "store_channel", "count", "txns", "1d", None),
    ("sc_amount_sum_1d", "store_channel", "sum", "txns.amount", "1d", None),
    ("sc_qty_last_life", "store_channel", "last", "txns.qty", "lifetime", None),
    ("sc_flag_first_7d", "store_channel", "first", "txns.flagged", "7d", None),
    ("sc_customer_max_7d", "store_channel", "max", "txns.customer_id", "7d", None),
    # Aggregations that carry a default (see DEFAULTS).
    ("c_amount_mean_7d_dflt", "customer", "mean", "txns.amount", "7d", "amount < 100"),
    ("c_page_last_1h_dflt", "customer", "last", "visits.page", "1h", None),
    ("c_settled_last_1h_dflt", "customer", "last", "txns.settled_at", "1h", None),
    ("s_qty_max_1h_dflt", "store", "max", "txns.qty", "1h", None),
]

# variance, stddev, count_distinct, first_k, last_k, percentile. Groups
# (entity, source, field, where) shared with the aggregations above and
# groups of their own, lifetime-only ones among them.
AGGREGATIONS += [
    ("c_amount_var_1d_dflt", "customer", "variance", "txns.amount", "1d", None),
    ("c_amount_var_life", "customer", "variance", "txns.amount", "lifetime", None),
    ("c_amount_std_7d", "customer", "stddev", "txns.amount", "7d", "amount > 0"),
    ("c_qty_var_7d", "customer", "variance", "txns.qty", "7d", None),
    ("c_qty_std_life", "customer", "stddev", "txns.qty", "lifetime", "qty is not null"),
    ("c_duration_std_7d", "customer", "stddev", "visits.duration", "7d", None),
    ("c_amount_cd_1d", "customer", "count_distinct", "txns.amount", "1d", None),
    ("c_amount_cd_life", "customer", "count_distinct", "txns.amount", "lifetime", None),
    ("c_qty_cd_7d", "customer", "count_distinct", "txns.qty", "7d", None),
    ("c_channel_cd_life", "customer", "count_distinct", "txns.channel", "lifetime", None),
    ("c_flag_cd_1d", "customer", "count_distinct", "txns.flagged", "1d", None),
    ("c_settled_cd_7d", "customer", "count_distinct", "txns.settled_at", "7d", None),
    ("c_page_cd_1d", "customer", "count_distinct", "visits.page", "1d", "page <> 'home'"),
    ("s_customer_cd_life", "store", "count_distinct", "txns.customer_id", "lifetime", None),
    ("s_ts_cd_1d", "store", "count_distinct", "visits.ts", "1d", None),
    ("c_amount_first3_1d", "customer", "first_k", "txns.amount", "1d", None),
    ("c_amount_last5_life", "customer", "last_k", "txns.amount", "lifetime", None),
    ("c_amount_first6_life", "customer", "first_k", "txns.amount", "lifetime", "amount < 0"),
    ("c_qty_first2_life", "customer", "first_k", "txns.qty", "lifetime", "qty is not null"),
    ("c_qty_last4_7d", "customer", "last_k", "txns.qty", "7d", None),
    ("c_qty_last1_1h", "customer", "last_k", "txns.qty", "1h", None),
    ("s_duration_last6_1d", "store", "last_k", "visits.duration", "1d", None),
    ("s_qty_first1_life", "store", "first_k", "txns.qty", "lifetime", None),
    ("c_amount_p50_1d", "customer", "percentile", "txns.amount", "1d", None),
    ("c_amount_p90_life", "customer", "percentile", "txns.amount", "lifetime", None),
    ("c_qty_p0_7d", "customer", "percentile", "txns.qty", "7d", None),
    ("c_qty_p100_life", "customer", "percentile", "txns.qty", "lifetime", "qty is not null"),
    ("s_amount_p25_7d", "store", "percentile", "txns.amount", "7d", None),
    ("s_duration_p37_life", "store", "percentile", "visits.duration", "lifetime", None),
    ("sc_amount_var_7d", "store_channel", "variance", "txns.amount", "7d", None),
    ("sc_qty_cd_life", "store_channel", "count_distinct", "txns.qty", "lifetime", None),
    ("sc_amount_last3_1d", "store_channel", "last_k", "txns.amount", "1d", None),
    ("sc_qty_p75_life", "store_channel", "percentile", "txns.qty", "lifetime", None),
]

# top_k (every scalar field type, k 1..5, windows and lifetime: JSON text
# from the count_distinct map, ties in count ordered by value),
# approx_percentile (a DDSketch: windows, whose removals must cancel adds
# exactly, and lifetime, answered from evicted events in the evicting
# modes) and approx_count_distinct (a HyperLogLog, lifetime only: a read
# earlier than the previous one rebuilds it from the evicted events' HLL).
# Groups shared with the aggregations above and groups of their own.
AGGREGATIONS += [
    ("c_channel_top2_1d", "customer", "top_k", "txns.channel", "1d", None),
    ("c_channel_top5_life", "customer", "top_k", "txns.channel", "lifetime", None),
    ("c_amount_top3_7d", "customer", "top_k", "txns.amount", "7d", None),
    ("c_amount_top1_life", "customer", "top_k", "txns.amount", "lifetime", "amount < 0"),
    ("c_qty_top4_1h", "customer", "top_k", "txns.qty", "1h", None),
    ("c_flag_top2_life", "customer", "top_k", "txns.flagged", "lifetime", None),
    ("c_settled_top3_1d", "customer", "top_k", "txns.settled_at", "1d", None),
    ("c_page_top5_7d", "customer", "top_k", "visits.page", "7d", "page <> 'home'"),
    ("s_customer_top3_life", "store", "top_k", "txns.customer_id", "lifetime", None),
    ("s_ts_top2_1d", "store", "top_k", "visits.ts", "1d", None),
    ("sc_qty_top5_7d", "store_channel", "top_k", "txns.qty", "7d", None),
    ("c_amount_ap50_1d", "customer", "approx_percentile", "txns.amount", "1d", None),
    ("c_amount_ap90_life", "customer", "approx_percentile", "txns.amount", "lifetime", None),
    ("c_amount_ap0_7d", "customer", "approx_percentile", "txns.amount", "7d", "amount > 0"),
    ("c_qty_ap100_life", "customer", "approx_percentile", "txns.qty", "lifetime",
     "qty is not null"),
    ("c_qty_ap25_1h", "customer", "approx_percentile", "txns.qty", "1h", None),
    ("s_duration_ap37_life", "store", "approx_percentile", "visits.duration", "lifetime", None),
    ("sc_amount_ap75_7d", "store_channel", "approx_percentile", "txns.amount", "7d", None),
    ("c_amount_acd_life", "customer", "approx_count_distinct", "txns.amount", "lifetime", None),
    ("c_channel_acd_life", "customer", "approx_count_distinct", "txns.channel", "lifetime",
     None),
    ("c_flag_acd_life", "customer", "approx_count_distinct", "txns.flagged", "lifetime", None),
    ("c_settled_acd_life", "customer", "approx_count_distinct", "txns.settled_at", "lifetime",
     "not flagged"),
    ("s_qty_acd_life", "store", "approx_count_distinct", "txns.qty", "lifetime", None),
    ("s_page_acd_life", "store", "approx_count_distinct", "visits.page", "lifetime", None),
    ("sc_customer_acd_life", "store_channel", "approx_count_distinct", "txns.customer_id",
     "lifetime", None),
]

# percentile lists (a float64 vector, one exact or sketch percentile per
# item) and min_by/max_by (the value at the event whose by-field is
# extreme: ties in by broken by the later event, then the larger value, so
# the many equal times and repeated values here must not depend on arrival
# order; by over int64, float64, timestamp and bool; values of every
# scalar type). Groups shared with the aggregations above (percentiles)
# and groups of their own (min_by/max_by events carry two values).
AGGREGATIONS += [
    ("c_amount_plist_1d", "customer", "percentile", "txns.amount", "1d", None),
    ("c_qty_plist_life", "customer", "percentile", "txns.qty", "lifetime", "qty is not null"),
    ("s_duration_aplist_7d", "store", "approx_percentile", "visits.duration", "7d", None),
    ("c_amount_aplist_life", "customer", "approx_percentile", "txns.amount", "lifetime", None),
    ("c_channel_maxby_amount_1d", "customer", "max_by", "txns.channel", "1d", None),
    ("c_amount_minby_qty_life", "customer", "min_by", "txns.amount", "lifetime", None),
    ("c_qty_maxby_settled_7d", "customer", "max_by", "txns.qty", "7d", None),
    ("c_settled_minby_flag_1h", "customer", "min_by", "txns.settled_at", "1h", None),
    ("c_flag_maxby_ts_life", "customer", "max_by", "txns.flagged", "lifetime", "amount > 0"),
    ("s_page_maxby_duration_life", "store", "max_by", "visits.page", "lifetime", None),
    ("s_customer_minby_duration_1d", "store", "min_by", "visits.customer_id", "1d", None),
    ("sc_amount_maxby_qty_7d", "store_channel", "max_by", "txns.amount", "7d", None),
]

# Hopped windows (hop:, see HOPS): every function that takes a hop, over
# tiles from 5 minutes (the event grid: events on tile edges) to a day, in
# groups whose entity, source, field and filter exact aggregations above
# also use (the hop keeps them apart) and in groups of their own. Events
# arriving out of order (jittered, shuffled, reversed) must land in their
# tiles; reads moving backwards (reversed) must merge the same tiles.
AGGREGATIONS += [
    ("c_txn_count_1d_h1h", "customer", "count", "txns", "1d", None),
    ("c_amount_sum_1d_h1h", "customer", "sum", "txns.amount", "1d", None),
    ("c_qty_sum_7d_h1d", "customer", "sum", "txns.qty", "7d", None),
    ("c_amount_mean_7d_h6h", "customer", "mean", "txns.amount", "7d", "amount > 0"),
    ("c_amount_min_1h_h5m", "customer", "min", "txns.amount", "1h", None),
    ("c_channel_max_1d_h2h", "customer", "max", "txns.channel", "1d", "channel <> 'store'"),
    ("c_settled_min_7d_h1d", "customer", "min", "txns.settled_at", "7d", None),
    ("c_flag_max_1d_h1h", "customer", "max", "txns.flagged", "1d", None),
    ("c_qty_first_1d_h1h", "customer", "first", "txns.qty", "1d", None),
    ("c_channel_last_1h_h15m", "customer", "last", "txns.channel", "1h", None),
    ("c_amount_var_1d_h1h", "customer", "variance", "txns.amount", "1d", None),
    ("c_qty_std_7d_h1d", "customer", "stddev", "txns.qty", "7d", None),
    ("c_amount_ap50_1d_h1h", "customer", "approx_percentile", "txns.amount", "1d", None),
    ("c_channel_acd_7d_h1d", "customer", "approx_count_distinct", "txns.channel", "7d", None),
    ("c_amount_acd_1d_h1h", "customer", "approx_count_distinct", "txns.amount", "1d", None),
    ("s_customer_acd_1d_h30m", "store", "approx_count_distinct", "txns.customer_id", "1d",
     None),
    ("s_duration_mean_7d_h1d", "store", "mean", "visits.duration", "7d", None),
    ("s_customer_last_1d_h1h", "store", "last", "txns.customer_id", "1d", None),
    ("sc_amount_sum_1d_h1h", "store_channel", "sum", "txns.amount", "1d", None),
    ("sc_qty_ap90_7d_h1d", "store_channel", "approx_percentile", "txns.qty", "7d", None),
    # percentile lists and min_by/max_by over tiles: a tile keeps its best
    # (by, time, value), so ties in by (bool, repeated values) across tiles
    # must still go to the later event, then the larger value
    ("c_amount_aplist_1d_h1h", "customer", "approx_percentile", "txns.amount", "1d", None),
    ("c_channel_maxby_amount_1d_h1h", "customer", "max_by", "txns.channel", "1d", None),
    ("c_settled_minby_flag_7d_h1d", "customer", "min_by", "txns.settled_at", "7d", None),
    ("c_qty_maxby_flag_1h_h5m", "customer", "max_by", "txns.qty", "1h", "amount > 0"),
    ("s_customer_minby_duration_1d_h30m", "store", "min_by", "visits.customer_id", "1d", None),
]

# skewness and kurtosis: exact sums of x^3 and x^4 beside those of x and
# x^2 (the variance groups above share them), in cursors, in the lifetime
# state of the evicting modes and in tiles; int64 values whose powers need
# split doubles, floats that cancel, windows of equal values (zero
# variance: null) and of fewer than 3 (4) values.
AGGREGATIONS += [
    ("c_amount_skew_1d", "customer", "skewness", "txns.amount", "1d", None),
    ("c_amount_kurt_life", "customer", "kurtosis", "txns.amount", "lifetime", None),
    ("c_qty_skew_life", "customer", "skewness", "txns.qty", "lifetime", "qty is not null"),
    ("c_qty_kurt_7d", "customer", "kurtosis", "txns.qty", "7d", None),
    ("c_duration_skew_7d", "customer", "skewness", "visits.duration", "7d", None),
    ("s_amount_kurt_7d", "store", "kurtosis", "txns.amount", "7d", "amount > 0"),
    ("sc_qty_skew_7d", "store_channel", "skewness", "txns.qty", "7d", None),
    ("c_amount_skew_1d_h1h", "customer", "skewness", "txns.amount", "1d", None),
    ("c_qty_kurt_7d_h1d", "customer", "kurtosis", "txns.qty", "7d", None),
]

# max_k and min_k: the cursors' sorted arrays (shared with percentile in
# the groups above), -0.0 and +0.0 in a fixed order, repeated values, int64
# values beyond 2^53, the lifetime's from evicted and late events.
AGGREGATIONS += [
    ("c_amount_max3_1d", "customer", "max_k", "txns.amount", "1d", None),
    ("c_amount_min5_life", "customer", "min_k", "txns.amount", "lifetime", None),
    ("c_qty_max1_7d", "customer", "max_k", "txns.qty", "7d", None),
    ("c_qty_min4_life", "customer", "min_k", "txns.qty", "lifetime", "qty is not null"),
    ("s_duration_max6_life", "store", "max_k", "visits.duration", "lifetime", None),
    ("sc_amount_min2_7d", "store_channel", "min_k", "txns.amount", "7d", None),
    # hopped: each tile keeps its k best, merged at the read
    ("c_amount_max4_1d_h1h", "customer", "max_k", "txns.amount", "1d", None),
    ("c_qty_min3_7d_h1d", "customer", "min_k", "txns.qty", "7d", None),
]

# hop: of the hopped aggregations, by name.
HOPS = {
    "c_txn_count_1d_h1h": "1h", "c_amount_sum_1d_h1h": "1h", "c_qty_sum_7d_h1d": "1d",
    "c_amount_mean_7d_h6h": "6h", "c_amount_min_1h_h5m": "5m", "c_channel_max_1d_h2h": "2h",
    "c_settled_min_7d_h1d": "1d", "c_flag_max_1d_h1h": "1h", "c_qty_first_1d_h1h": "1h",
    "c_channel_last_1h_h15m": "15m", "c_amount_var_1d_h1h": "1h", "c_qty_std_7d_h1d": "1d",
    "c_amount_ap50_1d_h1h": "1h", "c_channel_acd_7d_h1d": "1d", "c_amount_acd_1d_h1h": "1h",
    "s_customer_acd_1d_h30m": "30m", "s_duration_mean_7d_h1d": "1d",
    "s_customer_last_1d_h1h": "1h", "sc_amount_sum_1d_h1h": "1h", "sc_qty_ap90_7d_h1d": "1d",
    "c_amount_aplist_1d_h1h": "1h", "c_channel_maxby_amount_1d_h1h": "1h",
    "c_settled_minby_flag_7d_h1d": "1d", "c_qty_maxby_flag_1h_h5m": "5m",
    "s_customer_minby_duration_1d_h30m": "30m",
    "c_amount_skew_1d_h1h": "1h", "c_qty_kurt_7d_h1d": "1d",
    "c_amount_max4_1d_h1h": "1h", "c_qty_min3_7d_h1d": "1d",
}

# k: of first_k/last_k, percentile: of percentile and by: of min_by/max_by,
# by aggregation name.
PARAMETERS = {
    "c_amount_plist_1d": ("percentile", "[0, 0.5, 0.9, 1, 0.5]"),
    "c_qty_plist_life": ("percentile", "[0.25, 0.75]"),
    "s_duration_aplist_7d": ("percentile", "[0.1, 0.99]"),
    "c_amount_aplist_life": ("percentile", "[0.5, 0.9, 0.99]"),
    "c_channel_maxby_amount_1d": ("by", "amount"),
    "c_amount_minby_qty_life": ("by", "qty"),
    "c_qty_maxby_settled_7d": ("by", "settled_at"),
    "c_settled_minby_flag_1h": ("by", "flagged"),
    "c_flag_maxby_ts_life": ("by", "ts"),
    "s_page_maxby_duration_life": ("by", "duration"),
    "s_customer_minby_duration_1d": ("by", "duration"),
    "sc_amount_maxby_qty_7d": ("by", "qty"),
    "c_amount_aplist_1d_h1h": ("percentile", "[0.1, 0.5, 0.99]"),
    "c_channel_maxby_amount_1d_h1h": ("by", "amount"),
    "c_settled_minby_flag_7d_h1d": ("by", "flagged"),
    "c_qty_maxby_flag_1h_h5m": ("by", "flagged"),
    "s_customer_minby_duration_1d_h30m": ("by", "duration"),
    "c_amount_first3_1d": ("k", "3"),
    "c_amount_max3_1d": ("k", "3"), "c_amount_min5_life": ("k", "5"),
    "c_qty_max1_7d": ("k", "1"), "c_qty_min4_life": ("k", "4"),
    "s_duration_max6_life": ("k", "6"), "sc_amount_min2_7d": ("k", "2"),
    "c_amount_max4_1d_h1h": ("k", "4"), "c_qty_min3_7d_h1d": ("k", "3"),
    "c_amount_last5_life": ("k", "5"),
    "c_amount_first6_life": ("k", "6"),
    "c_qty_first2_life": ("k", "2"),
    "c_qty_last4_7d": ("k", "4"),
    "c_qty_last1_1h": ("k", "1"),
    "s_duration_last6_1d": ("k", "6"),
    "s_qty_first1_life": ("k", "1"),
    "sc_amount_last3_1d": ("k", "3"),
    "c_amount_p50_1d": ("percentile", "0.5"),
    "c_amount_p90_life": ("percentile", "0.9"),
    "c_qty_p0_7d": ("percentile", "0"),
    "c_qty_p100_life": ("percentile", "1"),
    "s_amount_p25_7d": ("percentile", "0.25"),
    "s_duration_p37_life": ("percentile", "0.37"),
    "sc_qty_p75_life": ("percentile", "0.75"),
    "c_channel_top2_1d": ("k", "2"),
    "c_channel_top5_life": ("k", "5"),
    "c_amount_top3_7d": ("k", "3"),
    "c_amount_top1_life": ("k", "1"),
    "c_qty_top4_1h": ("k", "4"),
    "c_flag_top2_life": ("k", "2"),
    "c_settled_top3_1d": ("k", "3"),
    "c_page_top5_7d": ("k", "5"),
    "s_customer_top3_life": ("k", "3"),
    "s_ts_top2_1d": ("k", "2"),
    "sc_qty_top5_7d": ("k", "5"),
    "c_amount_ap50_1d": ("percentile", "0.5"),
    "c_amount_ap90_life": ("percentile", "0.9"),
    "c_amount_ap0_7d": ("percentile", "0"),
    "c_qty_ap100_life": ("percentile", "1"),
    "c_qty_ap25_1h": ("percentile", "0.25"),
    "s_duration_ap37_life": ("percentile", "0.37"),
    "sc_amount_ap75_7d": ("percentile", "0.75"),
    "c_amount_ap50_1d_h1h": ("percentile", "0.5"),
    "sc_qty_ap90_7d_h1d": ("percentile", "0.9"),
}

# Request fields the set declares; the spine has a column for each.
REQUEST = [("req_amount", "float64"), ("req_n", "int64"), ("req_tag", "string"),
           ("req_at", "timestamp"), ("req_flag", "bool")]

# Derived features: name, entities, expression.
DERIVED = [
    ("d_amount_per_txn", ["customer"], "coalesce(c_amount_sum_1d, 0) / c_txn_count_1h"),
    ("d_mean_x2", ["customer"], "c_amount_mean_7d_dflt * 2"),
    ("d_log_sum", ["customer"], "log(c_amount_sum_1d)"),
    ("d_round_mean", ["customer"], "round(c_amount_mean_life, 2)"),
    ("d_qty_clamp", ["customer"], "clamp(c_qty_sum_7d, -100, 100) + abs(c_qty_first_1d)"),
    ("d_busy", ["customer"], "c_visit_count_1d > 2 or (c_flag_max_1d and c_web_count_1d >= 1)"),
    ("d_label", ["customer"],
     "concat(upper(coalesce(c_channel_last_1h, 'none')), ':', "
     "lower(c_page_last_1h_dflt), ':', to_string(c_amount_sum_1d), ':', "
     "to_string(c_flag_last_7d), ':', to_string(c_settled_min_7d))"),
    ("d_settled_age", ["customer"], "age(c_settled_last_1d)"),
    ("d_settled_parts", ["customer"],
     "hour_of_day(c_settled_last_1h_dflt) * 10 + day_of_week(c_settled_last_1h_dflt)"),
    ("d_embedding_norm", ["customer"], "norm(customer_embedding) + dot(customer_embedding, "
     "customer_embedding)"),
    ("d_req_amount", ["customer"], "coalesce(request.req_amount, 0.0) + c_amount_sum_1d"),
    ("d_req_choice", ["customer"], "if(request.req_flag, request.req_n * 2, c_txn_count_1h)"),
    ("d_req_text", ["customer"],
     "concat(request.req_tag, '/', to_string(request.req_at), '/', "
     "lower(coalesce(c_channel_first_life, 'X')))"),
    ("d_req_age", ["customer"], "age(request.req_at) + length(request.req_tag)"),
    ("d_req_geo", ["customer"],
     "haversine_km(coalesce(request.req_amount, 0.0) / 10, 2.35, 48.85, c_qty_sum_7d / 1000)"),
    ("m_amount_gap", ["customer", "store"], "customer.c_amount_sum_1d - store.s_amount_sum_7d"),
    ("m_who", ["store", "customer"],
     "concat(to_string(s_customer_last_life), '@', coalesce(customer.c_channel_min_life, '-'), "
     "'#', to_string(s_qty_max_1h_dflt))"),
    ("m_store_channel", ["customer", "store_channel"],
     "sc_amount_sum_1d + coalesce(c_amount_mean_1d, 0) - sc_txn_count_1d"),
    ("m_three", ["customer", "store", "store_channel"],
     "greatest(sc_qty_last_life, s_qty_min_life, c_qty_sum_7d)"),
    ("m_sc_text", ["store_channel"], "concat(sc_customer_max_7d, '|', upper(sc_customer_max_7d))"),
    # Derived features reading derived features (and a default).
    ("dd_chain", ["customer", "store"], "d_log_sum * 2 + m_amount_gap"),
    ("dd_text", ["customer", "store", "store_channel"],
     "concat(d_label, '~', m_who, '~', coalesce(m_sc_text, 'none'))"),
    # Over the newer aggregations: vectors they return, a variance default.
    ("d_k_norms", ["customer"],
     "norm(c_amount_last5_life) + dot(c_qty_last1_1h, c_qty_last1_1h) + c_amount_var_1d_dflt"),
    ("m_spread", ["customer", "store"],
     "c_amount_std_7d / (1 + s_customer_cd_life) + s_amount_p25_7d - c_amount_p50_1d"),
    # Over the sketches and a top_k: a derived feature re-reads the top_k
    # within the same set read, whose own column must stay intact.
    # Over hopped aggregations, beside their exact counterparts.
    ("m_hopped", ["customer", "store"],
     "coalesce(c_amount_sum_1d_h1h, 0) - coalesce(c_amount_sum_1d, 0) + c_txn_count_1d_h1h "
     "+ s_customer_acd_1d_h30m"),
    ("m_sketches", ["customer", "store"],
     "concat(to_string(c_amount_acd_life + s_qty_acd_life), '|', "
     "to_string(c_amount_ap90_life), '|', to_string(s_duration_ap37_life), '|', "
     "coalesce(c_channel_top2_1d, '-'))"),
]

# Defaults (YAML text), on aggregations and on derived features.
DEFAULTS = {
    "c_amount_mean_7d_dflt": "-1.5",
    "c_page_last_1h_dflt": "none",
    "c_settled_last_1h_dflt": '"2024-03-01T00:00:00Z"',
    "s_qty_max_1h_dflt": "-1",
    "sc_flag_first_7d": "false",
    "d_log_sum": "0",
    "d_req_choice": "7",
    "m_sc_text": "'n/a'",
    "c_amount_var_1d_dflt": "-2.5",
}

ENTITY_KEY = {"customer": "customer_id", "store": "store_id"}

EMBEDDING_DIMENSION = 3


def yaml_quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_definitions(path):
    lines = [
        "# Generated by tests/dual_path/make_case.py: every aggregation, both key types.",
        "entities:",
        "  - {name: customer, join_key: customer_id}",
        "  - {name: store, join_key: store_id, key_type: int64}",
        "  - name: store_channel",
        "    join_keys: [store_id, channel]",
        "    key_types: [int64, string]",
        "",
        "sources:",
        "  - name: txns",
        "    timestamp: ts",
        "    fields:",
        "      - {name: ts, type: timestamp}",
        "      - {name: customer_id, type: string}",
        "      - {name: store_id, type: int64}",
        "      - {name: amount, type: float64}",
        "      - {name: qty, type: int64}",
        "      - {name: channel, type: string}",
        "      - {name: flagged, type: bool}",
        "      - {name: settled_at, type: timestamp}",
        "  - name: visits",
        "    timestamp: ts",
        "    fields:",
        "      - {name: customer_id, type: string}",
        "      - {name: store_id, type: int64}",
        "      - {name: duration, type: int64}",
        "      - {name: page, type: string}",
        "",
        "embeddings:",
        "  - name: customer_vec",
        "    entity: customer",
        f"    dimension: {EMBEDDING_DIMENSION}",
        "    path: embedding_default.csv",
        "",
        "features:",
        "  - name: customer_embedding",
        "    entity: customer",
        "    computation: {function: lookup_embedding, model: customer_vec}",
    ]
    for name, entity, function, source, window, where in AGGREGATIONS:
        lines += [
            f"  - name: {name}",
            f"    entity: {entity}",
            "    aggregation:",
            f"      function: {function}",
            f"      source: {source}",
            f"      window: {window}",
        ]
        if name in HOPS:
            lines.append(f"      hop: {HOPS[name]}")
        if name in PARAMETERS:
            lines.append("      %s: %s" % PARAMETERS[name])
        if where is not None:
            lines.append(f"      where: {yaml_quote(where)}")
        if name in DEFAULTS:
            lines.append(f"    default: {DEFAULTS[name]}")
    for name, entities, expr in DERIVED:
        lines += [f"  - name: {name}", f"    entities: [{', '.join(entities)}]",
                  f"    expr: {yaml_quote(expr)}"]
        if name in DEFAULTS:
            lines.append(f"    default: {DEFAULTS[name]}")
    lines += ["", "feature_sets:", "  - name: all_aggregations", "    features:"]
    lines += ["      - customer_embedding"] + [f"      - {a[0]}" for a in AGGREGATIONS]
    lines += [f"      - {d[0]}" for d in DERIVED]
    lines += ["    request:"] + [f"      - {{name: {n}, type: {t}}}" for n, t in REQUEST]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def stamp(seconds):
    """A time in one of the accepted spellings (all parse to the same instant)."""
    t = START + timedelta(seconds=seconds)
    form = rng.random()
    if form < 0.6:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form < 0.75:
        return str(int(t.timestamp()))
    if form < 0.9:
        return t.astimezone(timezone(timedelta(hours=-5))).strftime("%Y-%m-%dT%H:%M:%S-05:00")
    return t.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def event_seconds():
    """Mostly on the grid (ties); some a second off it, some sub-second."""
    base = rng.randrange(SPAN // GRID) * GRID
    r = rng.random()
    if r < 0.8:
        return base
    if r < 0.9:
        return base + 1
    return base - 1


def maybe_null(value, probability):
    return None if rng.random() < probability else value


def amount():
    r = rng.random()
    if r < 0.04:
        return rng.choice(["1e16", "-1e16", "1", "-1"])    # cancelling sums
    if r < 0.07:
        return rng.choice(["0", "-0.0", "0.0"])             # signed zeros
    if r < 0.10:
        return "%.17g" % rng.uniform(-1e-3, 1e-3)
    return "%.2f" % rng.uniform(-50, 500)


def qty():
    if rng.random() < 0.03:
        return str(rng.choice([4 * 10**18, -4 * 10**18, 9 * 10**18]))   # int64 sums overflow
    return str(rng.randrange(-3, 40))


def cell(value):
    return "" if value is None else value


def write_events(path, header, rows):
    """Rows in time order but for some swapped pairs; None cells unquoted empty."""
    rows.sort(key=lambda r: r[0])
    for _ in range(len(rows) // 40):
        i, j = rng.randrange(len(rows)), rng.randrange(len(rows))
        rows[i], rows[j] = rows[j], rows[i]
    with open(path, "w", newline="") as f:
        # QUOTE_MINIMAL writes "" for the empty string only when asked: the
        # writer below quotes empty strings itself and leaves None empty.
        for line in [header] + [r[1] for r in rows]:
            f.write(",".join(encode(c) for c in line) + "\n")


def encode(value):
    if value is None:
        return ""
    if value == "" or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def txns(n):
    # Columns in another order than the fields, plus a column no field reads.
    header = ["amount", "note", "customer_id", "ts", "channel", "store_id", "qty",
              "flagged", "settled_at"]
    rows = []
    for _ in range(n):
        t = event_seconds()
        settled = None if rng.random() < 0.3 else stamp(t + rng.randrange(0, 7200))
        values = {
            "amount": maybe_null(amount(), 0.08),
            "note": rng.choice(["x", "", None]),
            "customer_id": maybe_null(rng.choice(CUSTOMERS), 0.04),
            "ts": stamp(t),
            "channel": maybe_null(rng.choice(CHANNELS), 0.1),
            "store_id": maybe_null(str(rng.choice(STORES)), 0.05),
            "qty": maybe_null(qty(), 0.1),
            "flagged": maybe_null(rng.choice(["true", "false", "TRUE", "0", "1"]), 0.1),
            "settled_at": settled,
        }
        rows.append((t, [values[h] for h in header]))
    write_events(os.path.join(args.out, "txns.csv"), header, rows)


def visits(n):
    header = ["page", "ts", "store_id", "customer_id", "duration"]
    rows = []
    for _ in range(n):
        t = event_seconds()
        values = {
            "page": maybe_null(rng.choice(PAGES), 0.1),
            "ts": stamp(t),
            "store_id": maybe_null(str(rng.choice(STORES)), 0.05),
            "customer_id": maybe_null(rng.choice(CUSTOMERS), 0.04),
            "duration": maybe_null(str(rng.randrange(0, 3600)), 0.1),
        }
        rows.append((t, [values[h] for h in header]))
    write_events(os.path.join(args.out, "visits.csv"), header, rows)


def request_cells(t):
    """The spine's request columns: nulls, the empty string, every type."""
    at = START + timedelta(seconds=t - rng.randrange(-86400, 3 * 86400))
    return [maybe_null("%.3f" % rng.uniform(-900, 900), 0.15),
            maybe_null(str(rng.randrange(-50, 50)), 0.15),
            maybe_null(rng.choice(CHANNELS + ["\u00fcber"]), 0.15),
            maybe_null(at.strftime("%Y-%m-%dT%H:%M:%SZ"), 0.15),
            maybe_null(rng.choice(["true", "false", "1", "0", "TRUE"]), 0.15)]


def spine(n):
    header = ["store_id", "customer_id", "label", "timestamp", "channel"] + \
        [name for name, _ in REQUEST]
    with open(os.path.join(args.out, "spine.csv"), "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for _ in range(n):
            r = rng.random()
            if r < 0.5:
                t = rng.randrange(SPAN // GRID + 10) * GRID        # at event times
            elif r < 0.6:
                t = rng.randrange(SPAN // GRID) * GRID + 3600      # a 1h window's start
            elif r < 0.7:
                t = rng.randrange(SPAN // GRID) * GRID + 86400     # a 1d window's start
            else:
                t = rng.randrange(-3600, SPAN + 3 * 86400)
            customer = rng.choice(CUSTOMERS + ["c999"])            # c999: never seen
            customer = None if rng.random() < 0.03 else customer
            store = maybe_null(str(rng.choice(STORES + [42])), 0.03)
            channel = maybe_null(rng.choice(CHANNELS + ["never"]), 0.05)
            f.write(",".join(encode(c) for c in [store, customer, str(rng.randrange(2)),
                                                 stamp(t), channel] + request_cells(t)) + "\n")


def embedding(name, scale):
    with open(os.path.join(args.out, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["key"] + [f"v{i}" for i in range(EMBEDDING_DIMENSION)])
        for c in CUSTOMERS[:-1][: len(CUSTOMERS) - 5]:
            w.writerow([c] + ["%.6f" % (scale * rng.uniform(-1, 1))
                              for _ in range(EMBEDDING_DIMENSION)])


write_definitions(os.path.join(args.out, "definitions.yaml"))
txns(args.events)
visits(args.events // 2)
spine(args.spine)
embedding("embedding_default.csv", 1.0)
embedding("embedding_override.csv", 100.0)
