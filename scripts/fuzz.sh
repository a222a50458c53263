#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer harnesses of tests/fuzz with clang (ASan +
# UBSan + libFuzzer, in build-fuzz/) and runs each for SECONDS (default 30),
# one at a time on one core, seeded, starting from the checked-in seed
# corpus. See docs/fuzzing.md.
#
#   bash scripts/fuzz.sh [SECONDS] [HARNESS...]     (harnesses: yaml fdl csv batch serve snapshot)
#
# Each harness's new inputs go to build-fuzz/fuzz-corpus/NAME (emptied first
# unless FUZZ_KEEP_CORPUS=1), a crash to build-fuzz/fuzz-artifacts/NAME/ and
# its log to build-fuzz/fuzz-NAME.log. One line per harness:
#
#   fuzz NAME: passed (N runs in S s)      or      fuzz NAME: FAILED (see LOG)
#
# and the exit status is non-zero if any failed (or the build did).
# FUZZ_SEED sets libFuzzer's seed (default 1); FUZZ_ARGS adds options;
# FUZZ_BUILD_DIR builds elsewhere (default build-fuzz) and FUZZ_CFLAGS adds
# compiler flags there (e.g. -fno-sanitize=pointer-overflow, to fuzz on past
# a known report).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-30}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(yaml fdl csv batch serve snapshot)
dir=${FUZZ_BUILD_DIR:-build-fuzz}
seed=${FUZZ_SEED:-1}

targets=()
for name in "${harnesses[@]}"; do targets+=("fuzz_$name"); done
export FDLC_CACHE_DIR="$root/$dir/fdlc-cache"
if ! CC=clang cmake -S . -B "$dir" -DFDL_FUZZ=ON -DFDL_TESTS=OFF -DFDL_FUZZ_EXTRA_FLAGS="$(tr ' ' ';' <<<"${FUZZ_CFLAGS:-}")" \
       </dev/null >/dev/null ||
   ! cmake --build "$dir" -j "${JOBS:-2}" --target "${targets[@]}" </dev/null; then
  echo "fuzz: BUILD FAILED"
  exit 1
fi

# Leaks count as crashes (libFuzzer's default); UBSan stops at its first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for name in "${harnesses[@]}"; do
  corpus="$dir/fuzz-corpus/$name"
  artifacts="$dir/fuzz-artifacts/$name"
  log="$dir/fuzz-$name.log"
  [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts"
  # The first directory takes new inputs; the seeds and the regressions
  # are read only.
  seeds=("tests/fuzz/corpus/$name")
  [ -d "tests/fuzz/regressions/$name" ] && seeds+=("tests/fuzz/regressions/$name")
  # Words of the input's language help the mutator past the parsers.
  case $name in
    yaml | fdl) dict=tests/fuzz/definitions.dict ;;
    csv | batch) dict=tests/fuzz/csv.dict ;;
    serve) dict=tests/fuzz/serve.dict ;;
    snapshot) dict=tests/fuzz/snapshot.dict ;;
  esac
  # shellcheck disable=SC2086
  if "$dir/tests/fuzz/fuzz_$name" -seed="$seed" -max_total_time="$seconds" -timeout=60 \
       -dict="$dict" -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} \
       "$corpus" "${seeds[@]}" </dev/null >"$log" 2>&1; then
    # The last count, in the normal or in the -fork mode's lines.
    runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p; s/^#([0-9]+):.*/\1/p' "$log" |
           tail -n 1)
    echo "fuzz $name: passed (${runs:-?} runs in $seconds s)"
  else
    echo "fuzz $name: FAILED (see $log; the input is in $artifacts/)"
    tail -n 40 "$log"
    status=1
  fi
done
exit "$status"
