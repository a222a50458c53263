#!/usr/bin/env bash
# Golden tests: fdlc's diagnostics and generated code compared with expected
# files, as cproc does with test/x.c beside x.err.
#
#   run_golden.sh FDLC SOURCE_DIR [--update]
#
# diagnostics/NAME.yaml is checked together with diagnostics/_base.yaml
# (unless its first line is "# alone"); stderr and the exit status must match
# diagnostics/NAME.err. codegen/: the seed example's generated files must
# match codegen/fdlfeatures.{h,c,json}, those of codegen/by_and_lists.yaml
# codegen/by_and_lists.{h,c,json}, and the validation example's
# (expectations, policies, SLAs) codegen/validation.{h,c} (the source path
# shown as @SRC@).
set -u
fdlc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
update=${3:-}
here=$src/tests/golden
failed=0
passed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/compare.sh"

cd "$here/diagnostics" || exit 2
for case in *.yaml; do
  [ "$case" = "_base.yaml" ] && continue
  name=${case%.yaml}
  if head -n 1 "$case" | grep -q '^# alone'; then
    timeout 20 "$fdlc" check "$case" >"$work/out" 2>&1
  else
    timeout 20 "$fdlc" check _base.yaml "$case" >"$work/out" 2>&1
  fi
  echo "exit status $?" >>"$work/out"
  compare "$name.err" "$work/out" "diagnostics/$name"
done

# Inputs too big or too odd to keep as files are made here.
gen() {  # name, then a command writing the input to stdout
  local name=$1; shift
  "$@" >"$work/$name.yaml"
  (cd "$work" && timeout 20 "$fdlc" check "$name.yaml") >"$work/out" 2>&1
  echo "exit status $?" >>"$work/out"
  compare "$here/diagnostics/generated-$name.err" "$work/out" "diagnostics/generated-$name"
}
gen deep-nesting python3 -c 'print("features: " + "[" * 100000 + "]" * 100000)'
gen deep-expression python3 -c 'print("features:\n  - name: f\n    entity: e\n    aggregation: {function: count, source: s, window: 1d, where: \"" + "(" * 5000 + "1" + ")" * 5000 + "\"}")'
gen binary-garbage python3 -c 'import random, sys; r = random.Random(1); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(4096)))'
gen nul-bytes printf 'entities:\n  - name: us\0er\n    join_key: id\n'
gen billion-laughs python3 -c '
lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
for i in range(1, 12):
    lines.append("a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))
print("\n".join(lines))'
gen huge-file python3 -c 'import sys; sys.stdout.write("features:\n" + "  - {name: f, entity: e}\n" * 1100000)'
gen many-errors python3 -c '
print("features:")
for i in range(300):
    print("  - {name: f%d, entity: nobody, aggregation: {function: count, source: s, window: 1d}}" % i)'

# Generated code: DIR, then fdlc compile's NAME, the files to compare, and
# the definition files (the source path shown as @SRC@).
codegen() {
  local dir=$1 name=$2 files=$3; shift 3
  cd "$dir" || exit 2
  if "$fdlc" compile "$@" -o "$work/gen_$name" --name "$name" 2>"$work/gen.err"; then
    for f in $files; do
      sed "s|$src|@SRC@|g" "$work/gen_$name/$f" >"$work/$f.norm"
      compare "$here/codegen/$f" "$work/$f.norm" "codegen/$f"
    done
  else
    echo "FAIL: codegen: fdlc compile $* failed"; cat "$work/gen.err"; failed=$((failed + 1))
  fi
}
# The seed example; the validation example (expectations, policies, SLAs);
# percentile lists and min_by/max_by.
codegen "$src/examples/seed" fdlfeatures "fdlfeatures.h fdlfeatures.c fdlfeatures.json" catalog.yaml features.yaml
codegen "$src/examples/validation" validation "validation.h validation.c" definitions.yaml
codegen "$here/codegen" by_and_lists "by_and_lists.h by_and_lists.c by_and_lists.json" by_and_lists.yaml

echo "golden: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
