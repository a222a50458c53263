#!/usr/bin/env bash
# test.sh - installs the dependencies, then builds and runs the whole test
# suite twice: a normal build (build/) and a sanitizer build with
# AddressSanitizer and UndefinedBehaviorSanitizer (build-sanitize/). Each
# runs ctest --output-on-failure. The last line sums both:
#
#   N passed, M failed
#
# and the exit status is non-zero if anything failed, a build included.
#
#   bash scripts/test.sh            (what CI runs, through .ci/run)
#
# JOBS sets the build and ctest parallelism (default 2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jobs=${JOBS:-2}

bash scripts/install-deps.sh

total_passed=0
total_failed=0
status=0

# Sanitizers: report leaks, print stacks, stop at the first UB report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run_suite LABEL BUILD_DIR [CMAKE_ARGS...]
run_suite() {
  local label=$1 dir=$2
  shift 2
  local log="$dir/ctest.log"
  echo
  echo "=== $label: configure and build in $dir ==="
  # Each build has its own cache of generated libraries.
  export FDLC_CACHE_DIR="$root/$dir/fdlc-cache"
  if ! cmake -S . -B "$dir" "$@" </dev/null || ! cmake --build "$dir" -j "$jobs" </dev/null; then
    echo "=== $label: BUILD FAILED ==="
    total_failed=$((total_failed + 1))
    status=1
    return
  fi
  echo
  echo "=== $label: ctest ==="
  local ctest_status=0
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900 </dev/null) 2>&1 | tee "$log" ||
    ctest_status=$?
  # ctest's summary: "100% tests passed, 0 tests failed out of 42"
  local summary failed_count all_count
  summary=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$summary" ]; then
    echo "=== $label: no ctest summary (no tests, or ctest failed) ==="
    total_failed=$((total_failed + 1))
    status=1
    return
  fi
  failed_count=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
  all_count=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$summary")
  total_passed=$((total_passed + all_count - failed_count))
  total_failed=$((total_failed + failed_count))
  if [ "$ctest_status" -ne 0 ] || [ "$failed_count" -ne 0 ]; then
    status=1
  fi
}

run_suite "normal build" build -DFDL_SANITIZE=OFF -DFDL_TESTS=ON
run_suite "sanitizer build (ASan + UBSan)" build-sanitize -DFDL_SANITIZE=ON -DFDL_TESTS=ON

echo
echo "$total_passed passed, $total_failed failed"
exit "$status"
