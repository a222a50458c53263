#!/usr/bin/env bash
# fmt_roundtrip.sh - fdlc fmt is idempotent and converts losslessly: for each
# program, the canonical .fdl and YAML forms (converted either way, and back)
# have the fingerprint of the original, converting there and back gives the
# same text, and formatting a canonical form again changes nothing.
#
#   fmt_roundtrip.sh FDLC SOURCE_DIR
set -u
fdlc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

fingerprint() { "$fdlc" check --dump-ir "$@" | head -n 1; }

# check_program NAME DIR FILE...: the files together are one valid program.
check_program() {
  local name=$1 dir=$2
  shift 2
  # A copy of the directory, so embedding paths resolve as for the original.
  local out="$work/$name"
  mkdir -p "$out"
  cp -r "$dir"/. "$out/"
  local original
  original=$(cd "$dir" && fingerprint "$@")
  case $original in
    fingerprint\ ????????????????*) ;;
    *) echo "FAIL $name: the original program does not check"; failed=1; return ;;
  esac
  for file in "$@"; do
    local base=${file##*/}
    base=${base%.*}
    (cd "$dir" && "$fdlc" fmt --to fdl "$file") >"$out/$base.canon.fdl" || { echo "FAIL $name: fmt --to fdl $file"; failed=1; return; }
    (cd "$dir" && "$fdlc" fmt --to yaml "$file") >"$out/$base.canon.yaml" || { echo "FAIL $name: fmt --to yaml $file"; failed=1; return; }
  done
  for form in fdl yaml; do
    local files=()
    for file in "$@"; do
      local base=${file##*/}
      files+=("$out/${base%.*}.canon.$form")
    done
    local got
    got=$(cd "$out" && fingerprint "${files[@]}")
    if [ "$got" != "$original" ]; then
      echo "FAIL $name: the $form form has another fingerprint"
      failed=1
    fi
    for file in "${files[@]}"; do
      (cd "$out" && "$fdlc" fmt "$file") >"$file.again"
      if ! cmp -s "$file" "$file.again"; then
        echo "FAIL $name: fmt is not idempotent on $(basename "$file")"
        diff -u "$file" "$file.again" | head -20
        failed=1
      fi
    done
  done
  # There and back: fdl -> yaml -> fdl and yaml -> fdl -> yaml give the
  # same canonical text, blank lines aside (fmt keeps a file's blank lines
  # between items in its own syntax only: .fdl always separates definitions,
  # so it cannot carry YAML's).
  for file in "$@"; do
    local base=${file##*/}
    base=${base%.*}
    (cd "$out" && "$fdlc" fmt --to yaml "$base.canon.fdl" >"$base.back.yaml" && "$fdlc" fmt --to fdl "$base.back.yaml") >"$out/$base.back.fdl"
    if ! cmp -s <(grep -v '^$' "$out/$base.canon.fdl") <(grep -v '^$' "$out/$base.back.fdl"); then
      echo "FAIL $name: $base.fdl -> yaml -> fdl changed"
      diff -u "$out/$base.canon.fdl" "$out/$base.back.fdl" | head -20
      failed=1
    fi
    (cd "$out" && "$fdlc" fmt --to fdl "$base.canon.yaml" >"$base.forth.fdl" && "$fdlc" fmt --to yaml "$base.forth.fdl") >"$out/$base.forth.yaml"
    if ! cmp -s <(grep -v '^$' "$out/$base.canon.yaml") <(grep -v '^$' "$out/$base.forth.yaml"); then
      echo "FAIL $name: $base.yaml -> fdl -> yaml changed"
      diff -u "$out/$base.canon.yaml" "$out/$base.forth.yaml" | head -20
      failed=1
    fi
  done
  [ $failed -eq 0 ] && echo "ok $name"
}

check_program seed "$src/examples/seed" catalog.yaml features.yaml
check_program seed-fdl "$src/examples/seed" catalog.fdl features.fdl
check_program all-yaml "$src/tests/fdl" all.yaml
check_program all-fdl "$src/tests/fdl" all.fdl
check_program awkward-names "$src/tests/fdl" awkward.yaml
check_program expectation-values "$src/tests/fdl" values.yaml

# all.yaml and all.fdl are one program: the same canonical text, which
# compares what the fingerprint may not cover (every expectation, policy
# and SLA as written). Their comments differ: compared without them (no
# string in these files holds "  #").
uncommented() { sed -e '/^ *#/d' -e 's/  #.*$//'; }
(cd "$src/tests/fdl" && "$fdlc" fmt --to fdl all.yaml) | uncommented >"$work/all-from-yaml.fdl"
(cd "$src/tests/fdl" && "$fdlc" fmt all.fdl) | uncommented >"$work/all-from-fdl.fdl"
if cmp -s "$work/all-from-yaml.fdl" "$work/all-from-fdl.fdl"; then
  echo "ok all.yaml and all.fdl format alike"
else
  echo "FAIL all.yaml and all.fdl format differently"
  diff -u "$work/all-from-yaml.fdl" "$work/all-from-fdl.fdl" | head -20
  failed=1
fi
exit $failed
