#!/usr/bin/env bash
# bench_compile.sh - compile-time benchmark (issue 9, goal 6): fdlc on a
# definitions file with many features (bench/gen_many_features.py, 10,000 by
# default).
#
# Generates the definitions into a work directory, then runs, each once:
#   fdlc check    the front end and sema;
#   fdlc compile  the same plus writing the generated C;
#   fdlc build    the same plus the C compiler and linker (the library);
#   fdlc batch    on an empty compile cache, with the seed's tiny data
#                 (examples/seed/data) and set ranking_v1: the cache's build
#                 path, then a tiny batch run;
# and prints for each the wall seconds, the CPU seconds (user + system,
# children included: the C compilers) and the peak RSS (GNU time %M: the
# largest single process, fdlc or one cc), then the generated C's size and
# file count. Nothing here asserts a time.
#
# With --peer PATH, the same steps (but batch) also run with another fdlc
# (e.g. one built from an older commit), alternating with this one, and the
# ratios are printed: on a shared machine only figures of one run compare.
#
# Usage: bench_compile.sh [--fdlc PATH] [--peer PATH] [--features N] [--work DIR] [--keep]
#   --fdlc PATH     fdlc to run (default: build-bench/, else build/ of this checkout)
#   --peer PATH     another fdlc to measure in the same run (check, compile, build)
#   --features N    how many features (default 10000)
#   --work DIR      where to write (default: a temporary directory, removed at the end)
#   --keep          keep the work directory
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
fdlc=""
peer=""
features=10000
work=""
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --fdlc) fdlc=$2; shift 2 ;;
        --peer) peer=$2; shift 2 ;;
        --features) features=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_compile.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$features" in
    ''|*[!0-9]*) echo "bench_compile.sh: --features takes a positive integer" >&2; exit 2 ;;
esac
if [ -z "$fdlc" ]; then
    for candidate in "$root/build-bench/compiler/fdlc" "$root/build/compiler/fdlc"; do
        if [ -x "$candidate" ]; then fdlc=$candidate; break; fi
    done
fi
[ -n "$fdlc" ] && [ -x "$fdlc" ] || { echo "bench_compile.sh: no fdlc (build first, or --fdlc PATH)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench_compile.sh: python3 is needed" >&2; exit 2; }

if [ -z "$work" ]; then
    work=$(mktemp -d)
    [ $keep = 1 ] || trap 'rm -rf "$work"' EXIT
else
    mkdir -p "$work"
fi
trap 'exit 130' INT TERM    # still runs the EXIT trap

gnu_time=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true 2>/dev/null; then
    gnu_time=/usr/bin/time
fi

defs=$work/many.yaml
python3 "$here/gen_many_features.py" "$defs" --features "$features"
seed=$root/examples/seed

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: //' || true)
echo "machine: $(nproc) CPUs online, ${cpu:-unknown CPU}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fdlc: $fdlc"
echo "definitions: $defs ($features features, $(wc -c <"$defs") bytes)"
echo "CC: ${CC:-cc} ($(${CC:-cc} --version 2>/dev/null | head -n 1))"
echo

# run LABEL COMMAND...: one timed run; prints wall, CPU and peak RSS, and
# leaves wall and CPU seconds in run_wall, run_cpu.
run() {
    local label=$1 start end wall
    shift
    start=$(date +%s%N)
    if [ -n "$gnu_time" ]; then
        "$gnu_time" -f '%e %U %S %M' -o "$work/time.txt" "$@" >"$work/stdout.txt" 2>"$work/stderr.txt" ||
            { echo "bench_compile.sh: $label failed:" >&2; cat "$work/stderr.txt" >&2; exit 1; }
    else
        "$@" >"$work/stdout.txt" 2>"$work/stderr.txt" ||
            { echo "bench_compile.sh: $label failed:" >&2; cat "$work/stderr.txt" >&2; exit 1; }
    fi
    end=$(date +%s%N)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    run_wall=$wall
    run_cpu=""
    [ -n "$gnu_time" ] && run_cpu=$(tail -n 1 "$work/time.txt" | awk '{ printf "%.2f", $2 + $3 }')
    if [ -n "$gnu_time" ]; then
        tail -n 1 "$work/time.txt" | awk -v l="$label" -v w="$wall" '{
            printf "%-26s wall %7.2f s   CPU %7.2f s   peak RSS %6.0f MiB\n", l, w, $2 + $3, $4 / 1024 }'
    else
        printf "%-26s wall %7.2f s   (no GNU time: no CPU or RSS)\n" "$label" "$wall"
    fi
}

# ratio LABEL: this run's figures over the peer's (kept in peer_wall, peer_cpu).
ratio() {
    awk -v l="$1" -v w="$run_wall" -v c="$run_cpu" -v pw="$peer_wall" -v pc="$peer_cpu" 'BEGIN {
        printf "%-26s peer/this: wall %.1fx", l, pw / (w > 0 ? w : 0.01)
        if (c != "" && pc != "") printf ", CPU %.1fx", pc / (c > 0 ? c : 0.01)
        printf "\n" }'
}

for step in check compile build; do
    if [ -n "$peer" ]; then
        rm -rf "$work/peer-out"
        if [ $step = check ]; then
            run "peer: fdlc $step" "$peer" check "$defs"
        else
            run "peer: fdlc $step" "$peer" "$step" "$defs" -o "$work/peer-out"
        fi
        peer_wall=$run_wall peer_cpu=$run_cpu
    fi
    case $step in
        check) run "fdlc check" "$fdlc" check "$defs" ;;
        compile) rm -rf "$work/compiled"; run "fdlc compile" "$fdlc" compile "$defs" -o "$work/compiled" ;;
        build) rm -rf "$work/built"; run "fdlc build" "$fdlc" build "$defs" -o "$work/built" ;;
    esac
    [ -n "$peer" ] && ratio "fdlc $step"
done
if [ -n "$peer" ]; then
    peer_files=$(find "$work/peer-out" -name '*.c' | sort)
    echo "peer's generated C: $(echo "$peer_files" | wc -l) .c file(s), $(cat $peer_files | wc -c) bytes"
fi
export FDLC_CACHE_DIR=$work/fdlc-cache
rm -rf "$FDLC_CACHE_DIR"
run "fdlc batch (cache miss)" "$fdlc" batch "$defs" \
    --source "purchases=$seed/data/purchases.csv" --source "orders=$seed/data/orders.csv" \
    --embedding "product2vec_v3=$seed/data/product2vec_v3.csv" \
    --embedding "user2vec_v3=$seed/data/user2vec_v3.csv" \
    --spine "$seed/data/spine.csv" --set ranking_v1 --out "$work/train.csv"
run "fdlc batch (cache hit)" "$fdlc" batch "$defs" \
    --source "purchases=$seed/data/purchases.csv" --source "orders=$seed/data/orders.csv" \
    --embedding "product2vec_v3=$seed/data/product2vec_v3.csv" \
    --embedding "user2vec_v3=$seed/data/user2vec_v3.csv" \
    --spine "$seed/data/spine.csv" --set ranking_v1 --out "$work/train.csv"
echo
files=$(find "$work/compiled" -name '*.c' | sort)
bytes=$(cat $files | wc -c)
largest=$(for f in $files; do wc -c <"$f"; done | sort -n | tail -n 1)
echo "generated C: $(echo "$files" | wc -l) .c file(s), $bytes bytes in all, largest $largest bytes;" \
     "header $(cat "$work"/compiled/*.h | wc -c) bytes"
echo "library: $(cat "$work"/built/lib*.so | wc -c) bytes"
[ $keep = 1 ] && echo "kept: $work"
exit 0
