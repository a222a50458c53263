#!/usr/bin/env bash
# The table of diagnostic codes (compiler/diagnostics.def) against what is
# said about it: docs/diagnostics.md must be exactly `fdlc explain
# --markdown` (regenerate it with that command), codes are unique, every
# code is used by the compiler, and every code the golden files show is in
# the table.
#
#   check_diagnostics_doc.sh FDLC SOURCE_DIR
set -u
fdlc=$1
src=$2
failed=0
fail() { echo "FAIL: $*"; failed=1; }

if ! "$fdlc" explain --markdown | diff -u "$src/docs/diagnostics.md" - >&2; then
  fail "docs/diagnostics.md differs from 'fdlc explain --markdown' (regenerate it)"
fi
def=$src/compiler/diagnostics.def
codes=$(sed -n 's/^DIAG([A-Z_0-9]*, "\([EW][0-9]*\)".*/\1/p' "$def")
ids=$(sed -n 's/^DIAG(\([A-Z_0-9]*\),.*/\1/p' "$def")
[ -n "$codes" ] || fail "no codes read from $def"
dups=$(printf '%s\n' $codes | sort | uniq -d)
[ -z "$dups" ] || fail "codes given twice: $dups"
for id in $ids; do
  grep -q "DIAG_$id\b" "$src"/compiler/*.c "$src"/grammar/*.y "$src"/grammar/*.l ||
    fail "DIAG_$id is in the table but no diagnostic uses it"
done
for code in $(cat "$src"/tests/golden/diagnostics/*.err "$src"/tests/fdl/diagnostics/*.err |
              sed -n 's/.*\(error\|warning\)\[\([EW][0-9]*\)\].*/\2/p' | sort -u); do
  printf '%s\n' $codes | grep -qx "$code" || fail "golden files show $code, which the table lacks"
  "$fdlc" explain "$code" >/dev/null || fail "fdlc explain $code fails"
done
[ $failed = 0 ] && echo "diagnostics table: $(printf '%s\n' $codes | wc -l) codes, doc in step"
exit $failed
