#!/usr/bin/env bash
# check_functions_documented.sh - every function `fdlc functions` lists must
# appear in docs/language.md with its exact signature, and the docs must not
# describe a function the table does not have.
#
#   check_functions_documented.sh FDLC SOURCE_DIR
set -euo pipefail
fdlc=$1
docs=$2/docs/language.md
status=0
listed=0
while IFS= read -r signature; do
  listed=$((listed + 1))
  if ! grep -qF "\`$signature\`" "$docs"; then
    echo "not documented in docs/language.md: $signature" >&2
    status=1
  fi
done < <("$fdlc" functions | grep -E '^[a-z_0-9]+\(.*\) -> ')
# The other way: every signature row of the docs names a listed function.
while IFS= read -r row; do
  name=${row%%(*}
  if ! "$fdlc" functions | grep -qE "^$name\("; then
    echo "docs/language.md documents '$name', which fdlc does not have" >&2
    status=1
  fi
done < <(grep -oE '^\| `[a-z_0-9]+\([^`]*\) -> [a-z0-9T]+`' "$docs" | sed 's/^| `//')
if [ "$listed" -lt 30 ]; then
  echo "fdlc functions listed only $listed functions" >&2
  status=1
fi
[ $status -eq 0 ] && echo "$listed functions, all documented"
exit $status
