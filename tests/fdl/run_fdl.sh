#!/usr/bin/env bash
# .fdl files against their YAML equivalents, and .fdl diagnostics.
#
#   run_fdl.sh FDLC SOURCE_DIR [--update]
#
# 1. `fdlc check --dump-ir` prints the same fingerprint, and the same IR, for
#    the seed example written in YAML (catalog.yaml features.yaml), in .fdl
#    (catalog.fdl features.fdl) and mixed (either file of each), and for
#    tests/fdl/all.yaml against all.fdl (every construct).
# 2. diagnostics/NAME.fdl: stderr and exit status of `fdlc check NAME.fdl`
#    must match diagnostics/NAME.err.
set -u
fdlc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
update=${3:-}
here=$src/tests/fdl
failed=0
passed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check_same() {  # label, then two file lists separated by --
  local label=$1; shift
  local left=() right=()
  while [ "$1" != "--" ]; do left+=("$1"); shift; done
  shift
  right=("$@")
  if ! timeout 20 "$fdlc" check --dump-ir "${left[@]}" >"$work/left" 2>"$work/left.err" ||
     ! timeout 20 "$fdlc" check --dump-ir "${right[@]}" >"$work/right" 2>"$work/right.err"; then
    echo "FAIL: $label: fdlc check failed"; cat "$work/left.err" "$work/right.err"
    failed=$((failed + 1))
    return
  fi
  if [ "$(head -n 1 "$work/left")" != "$(head -n 1 "$work/right")" ] ||
     ! grep -q '^fingerprint [0-9a-f]\{64\}$' "$work/left"; then
    echo "FAIL: $label: fingerprints differ"
    head -n 1 "$work/left" "$work/right"
    failed=$((failed + 1))
    return
  fi
  if ! diff -u "$work/left" "$work/right" >"$work/diff"; then
    echo "FAIL: $label: same fingerprint, different IR"; head -40 "$work/diff"
    failed=$((failed + 1))
    return
  fi
  passed=$((passed + 1))
}

cd "$src/examples/seed" || exit 2
check_same "seed: yaml pair vs fdl pair" catalog.yaml features.yaml -- catalog.fdl features.fdl
check_same "seed: yaml pair vs catalog.yaml + features.fdl" \
  catalog.yaml features.yaml -- catalog.yaml features.fdl
check_same "seed: yaml pair vs catalog.fdl + features.yaml" \
  catalog.yaml features.yaml -- catalog.fdl features.yaml
cd "$here" || exit 2
check_same "all constructs: all.yaml vs all.fdl" all.yaml -- all.fdl
cd "$src/examples/validation" || exit 2
check_same "validation example: yaml vs fdl" definitions.yaml -- definitions.fdl

. "$src/tests/golden/compare.sh"

cd "$here/diagnostics" || exit 2
for case in *.fdl; do
  name=${case%.fdl}
  timeout 20 "$fdlc" check "$case" >"$work/out" 2>&1
  echo "exit status $?" >>"$work/out"
  compare "$name.err" "$work/out" "diagnostics/$name"
done

# Inputs too big or too odd to keep as files are made here.
gen() {  # name, then a command writing the input to stdout
  local name=$1; shift
  "$@" >"$work/$name.fdl"
  (cd "$work" && timeout 20 "$fdlc" check "$name.fdl") >"$work/out" 2>&1
  echo "exit status $?" >>"$work/out"
  compare "$here/diagnostics/generated-$name.err" "$work/out" "diagnostics/generated-$name"
}
gen binary-garbage python3 -c 'import random, sys; r = random.Random(1); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(300)))'
gen nul-bytes printf 'entity us\0er { key id }\n'
gen deep-expression python3 -c 'print("feature f of e = expr(" + "(" * 5000 + "1" + ")" * 5000 + ")")'
# Past FDL_MAX_TOKENS: one error, then the rest of the file is not read.
gen huge-file python3 -c 'import sys; sys.stdout.write("set s {\n" + "".join("  f%d,\n" % i for i in range(600000)) + "}\n")'

echo "fdl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
