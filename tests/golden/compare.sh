# compare.sh - sourced by the golden test scripts (run_golden.sh,
# tests/fdl/run_fdl.sh): one expected-vs-actual comparison, counted in
# $passed / $failed, or the expected file rewritten under --update.
# Uses the caller's $update and $work.

compare() {  # expected actual label
  if [ "$update" = "--update" ]; then
    cp "$2" "$1"
  elif ! diff -u "$1" "$2" >"$work/diff"; then
    echo "FAIL: $3"
    head -60 "$work/diff"
    failed=$((failed + 1))
    return
  fi
  passed=$((passed + 1))
}
