#!/usr/bin/env bash
# bench_batch.sh - batch-path benchmark: `fdlc batch` on a large version of
# the seed example's data (bench/gen_seed_data.py), feature set ranking_v1.
#
# Generates the data when absent (or made with other parameters), runs once
# into an empty compile cache (that run builds the generated library; its
# time is shown apart), then RUNS more times and prints: events, spine rows,
# wall seconds (median), events/s, spine rows/s, peak RSS (with GNU time), and
# the split between fdl_batch_run (the time fdlc itself reports) and the rest
# (checking the definitions, generating C, finding the cached library), CPU
# seconds, and a breakdown by difference between variant runs: loading and
# ingesting the events, the spine's reads, writing the vector columns.
#
# Usage: bench_batch.sh [--fdlc PATH] [--data DIR] [--runs N] [--threads N]
#                       [--quick] [--profile] [--generate-only]
#   --fdlc PATH      fdlc to run (default: build-bench/, else build/ of this checkout)
#   --data DIR       where the data lives (default: build-bench/bench/data)
#   --runs N         timed runs after the first (default 3; the median is reported)
#   --threads N      fdlc batch --threads N (default 1: one core, the figure
#                    that compares across machines); each run's parts
#                    (fdlc batch --timings) are printed too
#   --quick          small data and one timed run: checks that it works, nothing more
#   --profile        also record one run with perf and print the hottest functions
#   --generate-only  only make sure the data exists
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
fdlc=""
data=""
runs=3
threads=1
quick=0
profile=0
generate_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --fdlc) fdlc=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        --profile) profile=1; shift ;;
        --generate-only) generate_only=1; shift ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_batch.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

if [ -z "$data" ]; then
    data=$root/build-bench/bench/data
    [ $quick = 1 ] && data=$root/build-bench/bench/data-quick
fi
generator_sizes=()
if [ $quick = 1 ]; then
    generator_sizes=(--purchases 20000 --orders 5000 --users 1000 --products 200 --spine 2000)
    runs=1
fi
case "$runs" in
    ''|*[!0-9]*|0) echo "bench_batch.sh: --runs takes a positive integer" >&2; exit 2 ;;
esac
case "$threads" in
    ''|*[!0-9]*|0) echo "bench_batch.sh: --threads takes a positive integer" >&2; exit 2 ;;
esac

command -v python3 >/dev/null || { echo "bench_batch.sh: python3 is needed to generate the data" >&2; exit 2; }
python3 "$here/gen_seed_data.py" "$data" "${generator_sizes[@]}" --if-changed
[ $generate_only = 1 ] && exit 0

if [ -z "$fdlc" ]; then
    for candidate in "$root/build-bench/compiler/fdlc" "$root/build/compiler/fdlc"; do
        if [ -x "$candidate" ]; then fdlc=$candidate; break; fi
    done
fi
[ -n "$fdlc" ] && [ -x "$fdlc" ] || { echo "bench_batch.sh: no fdlc (build first, or --fdlc PATH)" >&2; exit 2; }

seed=$root/examples/seed
out=$data/train.csv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM    # still runs the EXIT trap
# A cache of our own, emptied first: the first run must build the library.
export FDLC_CACHE_DIR=$data/fdlc-cache
rm -rf "$FDLC_CACHE_DIR"

gnu_time=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true 2>/dev/null; then
    gnu_time=/usr/bin/time
fi
# On a shared machine wall time also measures the neighbours; CPU time
# (user + system, from GNU time) much less so: both are printed.

# set_command CATALOG SPINE SET OUT: the fdlc batch command line, in batch_command.
set_command() {
    batch_command=("$fdlc" batch "$1" "$seed/features.yaml"
        --source "purchases=$data/purchases.csv" --source "orders=$data/orders.csv"
        --embedding "product2vec_v3=$data/product2vec_v3.csv"
        --embedding "user2vec_v3=$data/user2vec_v3.csv"
        --spine "$2" --set "$3" --out "$4" --threads "$threads" --timings)
}
set_command "$seed/catalog.yaml" "$data/spine.csv" ranking_v1 "$out"

# run_batch N: one run; leaves wall seconds, fdlc's own seconds, events,
# spine rows, CPU seconds and peak RSS (KiB) in run_wall, run_inner,
# run_events, run_spine, run_cpu, run_rss (the last two "" without GNU time).
run_batch() {
    local stderr=$work/stderr.$1 start end
    start=$(date +%s%N)
    if [ -n "$gnu_time" ]; then
        "$gnu_time" -f '%U %S %M' -o "$work/time.$1" "${batch_command[@]}" 2>"$stderr" ||
            { cat "$stderr" >&2; exit 1; }
        run_cpu=$(tail -n 1 "$work/time.$1" | awk '{ printf "%.3f", $1 + $2 }')
        run_rss=$(tail -n 1 "$work/time.$1" | awk '{ print $3 }')
    else
        "${batch_command[@]}" 2>"$stderr" || { cat "$stderr" >&2; exit 1; }
        run_cpu=""
        run_rss=""
    fi
    end=$(date +%s%N)
    run_wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    # fdlc: batch: 2500000 rows read (2500000 accepted, 0 dropped), 200000 spine rows -> OUT in 9.876 s
    local stats
    stats=$(grep -E '^fdlc: batch: [0-9]+ rows read .*, [0-9]+ spine rows' "$stderr" | tail -n 1 || true)
    if [ -z "$stats" ]; then
        echo "bench_batch.sh: fdlc printed no statistics line; its stderr:" >&2
        cat "$stderr" >&2
        exit 1
    fi
    run_events=$(sed -E 's/^fdlc: batch: ([0-9]+) rows read.*/\1/' <<<"$stats")
    run_spine=$(sed -E 's/.* ([0-9]+) spine rows.*/\1/' <<<"$stats")
    run_inner=$(sed -E 's/.* in ([0-9.]+) s$/\1/' <<<"$stats")
}

median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }' || echo "n/a (no GNU time)"; }

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: //' || true)
echo "machine: $(nproc) CPUs online, ${cpu:-unknown CPU}"
echo "fdlc: $fdlc (--threads $threads)"
echo "data: $data ($(cat "$data/PARAMETERS"))"
echo

run_batch first
echo "first run, empty compile cache (generates C, builds the library): wall ${run_wall} s, fdl_batch_run ${run_inner} s"

walls=() inners=() cpus=() peak=""
for i in $(seq 1 "$runs"); do
    run_batch "$i"
    walls+=("$run_wall")
    inners+=("$run_inner")
    [ -n "$run_cpu" ] && cpus+=("$run_cpu")
    if [ -n "$run_rss" ] && { [ -z "$peak" ] || [ "$run_rss" -gt "$peak" ]; }; then peak=$run_rss; fi
    echo "run $i: wall ${run_wall} s, fdl_batch_run ${run_inner} s, CPU ${run_cpu:-n/a} s, peak RSS $(mib "$run_rss")"
    grep -E '^fdlc: batch: .* load embeddings' "$work/stderr.$i" | sed 's/^fdlc: batch: /       parts: /' || true
done

# The output must have one row per spine row (plus the header): a benchmark
# of a run that dropped rows would be meaningless.
lines=$(wc -l <"$out")
if [ "$lines" -ne $((run_spine + 1)) ]; then
    echo "bench_batch.sh: $out has $lines lines, expected $((run_spine + 1))" >&2
    exit 1
fi

spine_rows=$run_spine
events=$run_events
wall=$(echo "${walls[*]}" | median)
inner=$(echo "${inners[*]}" | median)
cpu_seconds=""
[ ${#cpus[@]} -gt 0 ] && cpu_seconds=$(echo "${cpus[*]}" | median)
echo
echo "events:                 $events"
echo "spine rows:             $spine_rows"
echo "wall seconds (median of $runs): $wall"
awk -v e="$events" -v s="$spine_rows" -v w="$wall" 'BEGIN {
    printf "events/s:               %.0f\n", e / w
    printf "spine rows/s:           %.0f\n", s / w }'
if [ -n "$cpu_seconds" ]; then
    awk -v e="$events" -v c="$cpu_seconds" 'BEGIN {
        printf "CPU seconds (median):   %.3f (user + system; wall/CPU shows how contended the machine was)\n", c
        printf "events/s per CPU second: %.0f\n", e / c }'
fi
echo "peak RSS:               $(mib "$peak")"
awk -v w="$wall" -v i="$inner" 'BEGIN {
    printf "breakdown (medians):    fdl_batch_run %.3f s (read CSVs, sort, replay, read, write);", i
    printf " the rest %.3f s (check definitions, generate C, find the cached library, exit)\n", w - i }'
echo "output:                 $out ($(du -h "$out" | cut -f1))"

# Where fdl_batch_run's time goes, by difference between variants, one run
# each (so as noisy as one run):
#  - a one-row spine after the last event: reading the CSVs and embedding
#    tables, sorting and ingesting every event, but (almost) no reads/output;
#  - the full spine with a set of ranking_v1's scalar features only (same
#    reads, but no two 128-d vectors to print per row).
# The scalar set is added to a copy of the catalog (feature_sets is its last
# key, checked); the source tree is not touched.
if [ "$(grep -E '^[a-z_]+:' "$seed/catalog.yaml" | tail -n 1)" = "feature_sets:" ]; then
    cp "$seed/catalog.yaml" "$work/catalog.yaml"
    cat >>"$work/catalog.yaml" <<'YAML'
  - name: bench_scalars
    description: "ranking_v1 without its vector columns (bench_batch.sh)"
    features:
      - user_purchase_count_30d
      - user_avg_order_value_90d
      - user_product_affinity
YAML
    last_time=$(tail -n +2 "$data/purchases.csv" | cut -d, -f1 | sort | tail -n 1)
    head -n 1 "$data/spine.csv" >"$work/spine1.csv"
    # One day after the latest purchase (times sort as text within one spelling: good enough).
    echo "u000001,p00001,$(date -u -d "${last_time:0:10} + 1 day" +%Y-%m-%dT00:00:00Z),0" >>"$work/spine1.csv"
    set_command "$seed/catalog.yaml" "$work/spine1.csv" ranking_v1 "$work/one.csv"
    run_batch load
    load=${run_cpu:-$run_inner}
    # The new catalog needs its own library: build it into the cache first,
    # on empty sources, so the timed run does not include the C compiler.
    head -n 1 "$data/purchases.csv" >"$work/no_purchases.csv"
    head -n 1 "$data/orders.csv" >"$work/no_orders.csv"
    "$fdlc" batch "$work/catalog.yaml" "$seed/features.yaml" \
        --source "purchases=$work/no_purchases.csv" --source "orders=$work/no_orders.csv" \
        --embedding "product2vec_v3=$seed/data/product2vec_v3.csv" \
        --embedding "user2vec_v3=$seed/data/user2vec_v3.csv" \
        --spine "$work/spine1.csv" --set bench_scalars --out "$work/warm.csv" 2>"$work/warm.err" ||
        { cat "$work/warm.err" >&2; exit 1; }
    set_command "$work/catalog.yaml" "$data/spine.csv" bench_scalars "$work/scalars.csv"
    run_batch scalars
    scalars=${run_cpu:-$run_inner}
    # CPU seconds when GNU time gave them: the variants run at other moments
    # than the median run, and CPU time suffers far less from the neighbours.
    all=${cpu_seconds:-$inner}
    clock="CPU seconds"
    [ -n "$cpu_seconds" ] || clock="fdl_batch_run wall seconds"
    echo
    awk -v all="$all" -v load="$load" -v sc="$scalars" -v n="$spine_rows" -v clock="$clock" 'BEGIN {
        printf "breakdown of the run (%s, by difference, one run each; median run %.3f s):\n", clock, all
        printf "  load: read CSVs + embeddings, sort, ingest all events  %7.3f s  %3.0f%%\n", load, 100 * load / all
        printf "  spine: %7d reads, scalar columns out                %7.3f s  %3.0f%%\n", n, sc - load, 100 * (sc - load) / all
        printf "  two 128-d vector columns out (float formatting)        %7.3f s  %3.0f%%\n", all - sc, 100 * (all - sc) / all }'
    set_command "$seed/catalog.yaml" "$data/spine.csv" ranking_v1 "$out"
else
    echo "(catalog.yaml does not end with feature_sets: no breakdown)"
fi

if [ $profile = 1 ]; then
    set_command "$seed/catalog.yaml" "$data/spine.csv" ranking_v1 "$out"
    if ! command -v perf >/dev/null; then
        echo "--profile: perf is not installed" >&2
        exit 2
    fi
    echo
    echo "profile of one run (perf, self time by function):"
    perf record -q -o "$work/perf.data" -F 999 -- "${batch_command[@]}" 2>/dev/null >/dev/null
    perf report -q -i "$work/perf.data" --no-children --sort dso,symbol --percent-limit 1 2>/dev/null |
        sed '/^$/d' | head -n 30
fi
