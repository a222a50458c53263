#!/usr/bin/env bash
# test.sh - installs the dependencies, then builds and runs the whole test
# suite three times: a normal build (build/), a gcc sanitizer build with
# AddressSanitizer and UndefinedBehaviorSanitizer (build-sanitize/) and the
# same with clang (build-clang-sanitize/), so both compilers' sanitizers
# run. Each runs ctest --output-on-failure. Then fdlc built with
# ThreadSanitizer (build-tsan/) runs e2e/batch_threads and catalog/inputs, and
# fdl-server runs server/concurrent, and each fuzz harness of
# tests/fuzz runs for FUZZ_SECONDS (default 30) under libFuzzer
# (scripts/fuzz.sh, clang, build-fuzz/), each counted as one test. The last
# line sums it all:
#
#   N passed, M failed
#
# and the exit status is non-zero if anything failed, a build included.
#
#   bash scripts/test.sh            (what CI runs, through .ci/run)
#
# JOBS sets the build and ctest parallelism (default 2); FUZZ_SECONDS=0
# skips the fuzz runs.
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

# run_tsan: fdlc built with ThreadSanitizer (build-tsan/) runs
# e2e/batch_threads (--threads 1, 2, 3, 8 over both replay orders) and
# catalog/inputs (the progress thread beside the workers): any data race
# among batch's threads fails it. One test.
run_tsan() {
  local dir=build-tsan
  echo
  echo "=== ThreadSanitizer: fdlc in $dir, e2e/batch_threads, catalog/inputs ==="
  export FDLC_CACHE_DIR="$root/$dir/fdlc-cache"
  if cmake -S . -B "$dir" -DFDL_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
       -DCMAKE_C_FLAGS="-fsanitize=thread -g" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
       -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" </dev/null &&
     cmake --build "$dir" -j "$jobs" --target fdlc </dev/null &&
     TSAN_OPTIONS=halt_on_error=1:exitcode=66 python3 tests/e2e/batch_threads.py \
       "$dir/compiler/fdlc" . "$dir/work" </dev/null &&
     TSAN_OPTIONS=halt_on_error=1:exitcode=66 python3 tests/catalog/inputs_test.py \
       "$dir/compiler/fdlc" . "$dir/work-inputs" </dev/null; then
    total_passed=$((total_passed + 1))
  else
    echo "=== ThreadSanitizer: FAILED ==="
    total_failed=$((total_failed + 1))
    status=1
  fi
}

# run_tsan_server: fdl-server built with ThreadSanitizer (build-tsan/) runs
# server/concurrent (readers on 4 HTTP threads in parallel with pushes,
# each push read back at once) and, when redis-server is installed,
# server/replicas (Redis stream threads ingesting while HTTP threads read):
# any data race in the server fails it. One test.
run_tsan_server() {
  local dir=build-tsan
  echo
  echo "=== ThreadSanitizer: fdl-server in $dir, server/concurrent, server/replicas ==="
  export FDLC_CACHE_DIR="$root/$dir/fdlc-cache"
  if cmake -S . -B "$dir" -DFDL_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
       -DCMAKE_C_FLAGS="-fsanitize=thread -g" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
       -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" </dev/null &&
     cmake --build "$dir" -j "$jobs" --target fdlc fdl-server </dev/null &&
     TSAN_OPTIONS=halt_on_error=1:exitcode=66 python3 server/tests/server_concurrent.py \
       "$dir/compiler/fdlc" "$dir/server/fdl-server" examples/seed "$dir/work/server_concurrent" 6 </dev/null &&
     { ! command -v redis-server >/dev/null ||
       TSAN_OPTIONS=halt_on_error=1:exitcode=66 python3 server/tests/server_replicas.py \
         "$dir/compiler/fdlc" "$dir/server/fdl-server" examples/seed "$dir/work/server_replicas" </dev/null; }; then
    total_passed=$((total_passed + 1))
  else
    echo "=== ThreadSanitizer (fdl-server): FAILED ==="
    total_failed=$((total_failed + 1))
    status=1
  fi
}

# run_fuzz SECONDS: each harness for SECONDS, seeded; one test per harness.
run_fuzz() {
  echo
  echo "=== fuzzing: each harness for $1 s (scripts/fuzz.sh) ==="
  mkdir -p build-fuzz
  bash scripts/fuzz.sh "$1" 2>&1 | tee "build-fuzz/fuzz.out" || true
  local passed failed
  passed=$(grep -cE '^fuzz [a-z]+: passed' build-fuzz/fuzz.out || true)
  failed=$(grep -cE '^fuzz [a-z]+: FAILED' build-fuzz/fuzz.out || true)
  if grep -q '^fuzz: BUILD FAILED' build-fuzz/fuzz.out; then
    failed=$((failed + 1))
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && total_failed=$((total_failed + 1))
    status=1
  fi
}

run_suite "normal build" build -DFDL_SANITIZE=OFF -DFDL_TESTS=ON
run_suite "sanitizer build (ASan + UBSan)" build-sanitize -DFDL_SANITIZE=ON -DFDL_TESTS=ON
run_suite "clang sanitizer build (ASan + UBSan)" build-clang-sanitize -DCMAKE_C_COMPILER=clang \
  -DFDL_SANITIZE=ON -DFDL_TESTS=ON
run_tsan
run_tsan_server
if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
  run_fuzz "${FUZZ_SECONDS:-30}"
fi

echo
echo "$total_passed passed, $total_failed failed"
exit "$status"
