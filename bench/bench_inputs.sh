#!/usr/bin/env bash
# bench_inputs.sh - what `fdlc batch`'s input options cost, each against the
# plain run measured in the same session (times are noisy on a shared
# machine: read the ratios):
#   plain       --source purchases=purchases.csv (the fast path)
#   progress    the same with --progress (counters, a reporting thread)
#   gzip        purchases and orders as .csv.gz (zlib)
#   two files   purchases split in two files, given twice
# Prints each one's best CPU seconds (user + system) of RUNS rounds and its
# ratio to plain. Needs GNU time (/usr/bin/time) and bc.
#
# Usage: bench_inputs.sh [--fdlc PATH] [--data DIR] [--runs N] [--work DIR]
#   --data DIR   the large seed data (bench/gen_seed_data.py; default
#                build-bench/bench/data); only read
#   --work DIR   where the gzip and split copies go (default: a temporary directory)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
fdlc="$root/build/compiler/fdlc"
data="$root/build-bench/bench/data"
runs=3
work=""
while [ $# -gt 0 ]; do
    case "$1" in
        --fdlc) fdlc=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        *) echo "usage: bench_inputs.sh [--fdlc PATH] [--data DIR] [--runs N] [--work DIR]" >&2; exit 2 ;;
    esac
done
seed="$root/examples/seed"
cleanup=""
if [ -z "$work" ]; then
    work=$(mktemp -d)
    cleanup=$work
fi
trap '[ -n "$cleanup" ] && rm -rf "$cleanup"' EXIT
export FDLC_CACHE_DIR="$work/fdlc-cache"

gzip -c "$data/purchases.csv" > "$work/purchases.csv.gz"
gzip -c "$data/orders.csv" > "$work/orders.csv.gz"
rows=$(wc -l < "$data/purchases.csv")
half=$(( rows / 2 ))
head -n "$half" "$data/purchases.csv" > "$work/purchases-1.csv"
{ head -n 1 "$data/purchases.csv"; tail -n +"$(( half + 1 ))" "$data/purchases.csv"; } > "$work/purchases-2.csv"

common=("$seed/catalog.yaml" "$seed/features.yaml"
        --embedding "product2vec_v3=$data/product2vec_v3.csv"
        --embedding "user2vec_v3=$data/user2vec_v3.csv"
        --spine "$data/spine.csv" --set ranking_v1 --out /dev/null --threads 1)

# One run of a variant: its CPU seconds (user + system, GNU time), which a
# loaded machine disturbs far less than wall time.
timed() {
    /usr/bin/time -f "%U %S" -o "$work/time" "$fdlc" batch "${common[@]}" "$@" 2>/dev/null
    read -r user system < "$work/time"
    echo "$user + $system" | bc
}

declare -A args=(
    [plain]="purchases=$data/purchases.csv orders=$data/orders.csv"
    [progress]="purchases=$data/purchases.csv orders=$data/orders.csv"
    [gz]="purchases=$work/purchases.csv.gz orders=$work/orders.csv.gz"
    [two]="purchases=$work/purchases-1.csv purchases=$work/purchases-2.csv orders=$data/orders.csv"
)
names=(plain progress gz two)
declare -A best
"$fdlc" batch "${common[@]}" --source "purchases=$data/purchases.csv" \
    --source "orders=$data/orders.csv" 2>/dev/null   # builds the library once
# Round after round, every variant once per round: a neighbour's burst of
# load falls on all of them alike; each variant's best round counts.
for _ in $(seq "$runs"); do
    for name in "${names[@]}"; do
        sources=()
        for assignment in ${args[$name]}; do sources+=(--source "$assignment"); done
        extra=()
        [ "$name" = progress ] && extra=(--progress)
        t=$(timed "${sources[@]}" "${extra[@]}")
        if [ -z "${best[$name]:-}" ] || [ "$(echo "$t < ${best[$name]}" | bc)" = 1 ]; then best[$name]=$t; fi
    done
done
printf '%-10s %8s  %s\n' input "cpu s" "ratio to plain"
for name in "${names[@]}"; do
    printf '%-10s %8.3f  %.3f\n' "$name" "${best[$name]}" "$(echo "${best[$name]} / ${best[plain]}" | bc -l)"
done
