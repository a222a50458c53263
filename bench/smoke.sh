#!/usr/bin/env bash
# smoke.sh - ctest bench/smoke: both benchmarks run to the end on small inputs
# (--quick). Checks that they work and print their figures; never checks a
# time, which depends on the machine and its load.
# Usage: smoke.sh BENCH_SERVING FDLC WORK_DIR
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: smoke.sh BENCH_SERVING FDLC WORK_DIR" >&2; exit 2; }
bench_serving=$1 fdlc=$2 work=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$work"

"$bench_serving" --quick >"$work/serving.out"
cat "$work/serving.out"
for figure in 'events/s' 'p99.9' 'set ranking_v1 @now' '@random past' 'peak RSS'; do
    grep -qF -- "$figure" "$work/serving.out" ||
        { echo "smoke: bench_serving printed no '$figure'" >&2; exit 1; }
done

if ! command -v python3 >/dev/null; then
    echo "smoke: python3 missing, bench_batch.sh skipped"
    exit 77
fi
bash "$here/bench_batch.sh" --quick --fdlc "$fdlc" --data "$work/data" >"$work/batch.out"
cat "$work/batch.out"
for figure in 'events/s:' 'spine rows/s:' 'wall seconds'; do
    grep -qF -- "$figure" "$work/batch.out" ||
        { echo "smoke: bench_batch.sh printed no '$figure'" >&2; exit 1; }
done
