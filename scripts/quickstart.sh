#!/usr/bin/env bash
# quickstart.sh - the seed example end to end, from a fresh machine:
#
#   1. installs the dependencies that are missing (scripts/install-deps.sh)
#   2. builds fdlc, the runtime and the example service (build/)
#   3. fdlc check    type-checks examples/seed/{catalog,features}.yaml
#   4. fdlc compile  writes the generated C (build/quickstart/gen/)
#   5. fdlc batch    builds a point-in-time correct training set
#                    (build/quickstart/training.csv) and shows its first rows
#   6. serving       feeds a few ingest/get requests to build/examples/fdl-serve
#                    and shows each answer
#
#   bash scripts/quickstart.sh
#
# Vectors (128 numbers each) are shortened in what is shown, not in the files.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jobs=${JOBS:-2}
fdlc=$root/build/compiler/fdlc
serve=$root/build/examples/fdl-serve
out=$root/build/quickstart

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# Shows a command (paths relative to the repository) and runs it.
show() { local line="$*"; printf '$ %s\n' "${line//$root\//}"; "$@"; }

step "Dependencies"
bash scripts/install-deps.sh

step "Build fdlc, libfdlrt and the example service"
mkdir -p build
if ! { cmake -S . -B build -DFDL_SANITIZE=OFF &&
       cmake --build build -j "$jobs" --target fdlc fdl-serve; } </dev/null >build/quickstart-build.log 2>&1; then
  tail -n 40 build/quickstart-build.log
  echo "quickstart: the build failed; the whole log is build/quickstart-build.log" >&2
  exit 1
fi
echo "built build/compiler/fdlc and build/examples/fdl-serve (log: build/quickstart-build.log)"
rm -rf "$out"
mkdir -p "$out"

cd examples/seed
step "fdlc check: names, types and rules of the seed definitions (--dump-ir shows the plan)"
show "$fdlc" check catalog.yaml features.yaml --dump-ir
echo "(exit status $?: no errors)"

step "fdlc compile: generated C, header and manifest"
show "$fdlc" compile catalog.yaml features.yaml -o "$out/gen"   # --name fdlfeatures, the default
ls -l "$out/gen"
echo "Entry points in fdlfeatures.h:"
sed -e :a -e '/,$/N; s/,\n */, /; ta' "$out/gen/fdlfeatures.h" |
  grep -E '^(fdl_status|const fdl_program) ' | sed 's/^/    /'
echo "One generated function, from fdlfeatures.c:"
sed -n '/^\/\* user_avg_order_value_90d /,/^}/p' "$out/gen/fdlfeatures.c" | sed 's/^/    /'

step "fdlc batch: a training set, each spine row's features as of its own time"
show "$fdlc" batch catalog.yaml features.yaml \
  --source purchases=data/purchases.csv --source orders=data/orders.csv \
  --spine data/spine.csv --set ranking_v1 --out "$out/training.csv"
echo "First rows of $out/training.csv ($(($(wc -l <"$out/training.csv") - 1)) rows):"
python3 - "$out/training.csv" <<'PY'
import csv, json, sys

def short(cell):
    if cell.startswith("[") and cell.count(",") > 3:
        values = json.loads(cell)
        return "[%s, ... %d values]" % (", ".join(f"{v:.4g}" for v in values[:3]), len(values))
    return cell if cell != "" else "(null)"

with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(f))
header = rows[0]
for row in rows[1:6]:
    print()
    for name, cell in zip(header, row):
        print(f"    {name:26} {short(cell)}")
PY

step "Serving: the same generated functions behind a line protocol (examples/serve/serve.c)"
python3 - "$serve" <<'PY'
import re, subprocess, sys

requests = [
    "schema",
    # purchases: ts,user_id,product_id,amount,category; orders: ordered_at,order_id,user_id,total_amount
    "ingest purchases 2024-03-01T09:30:00Z,u0001,p0003,19.99,food",
    "ingest purchases 2024-03-20T18:05:00Z,u0001,p0007,250.00,electronics",
    "ingest orders 2024-03-20T18:06:00Z,9001,u0001,269.99",
    "ingest orders 2024-02-10T12:00:00Z,9000,u0001,35.5",   # out of order: lands in its place
    "ingest purchases 2024-03-25T08:00:00Z,u0001,p0009,,food",  # null amount: still a purchase
    "get ranking_v1 u0001 p0003 @2024-03-21T00:00:00Z",
    "get ranking_v1 u0001 p0003 @2024-04-20T00:00:00Z",     # 30d window: only the March 25 purchase
    "get ranking_v1 u0039 p0003 @2024-04-20T00:00:00Z",     # no events, no user embedding
    "get ranking_v1 u0001 p0003 @2024-03-01T00:00:00Z",     # going back before what the store evicted: refused
    "stats",
]

def short(line):
    def vector(m):
        values = m.group(1).split(",")
        return "[%s, ... %d values]" % (", ".join(values[:3]), len(values))
    return re.sub(r"\[((?:[-+0-9.eE]+,){4,}[-+0-9.eE]+)\]", vector, line)

service = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
notes = {
    "ingest orders 2024-02-10T12:00:00Z,9000,u0001,35.5": "out of order: lands in its place",
    "ingest purchases 2024-03-25T08:00:00Z,u0001,p0009,,food": "null amount: still a purchase",
    "get ranking_v1 u0001 p0003 @2024-04-20T00:00:00Z": "30d window: only the March 25 purchase",
    "get ranking_v1 u0039 p0003 @2024-04-20T00:00:00Z": "no events, no user embedding",
    "get ranking_v1 u0001 p0003 @2024-03-01T00:00:00Z":
        "back before what reads already evicted: refused (fdl-serve --keep-history allows it)",
}
for request in requests:
    print("> " + request + ("    # " + notes[request] if request in notes else ""))
    service.stdin.write(request + "\n")
    service.stdin.flush()
    while True:
        answer = service.stdout.readline()
        if not answer:
            sys.exit("fdl-serve stopped unexpectedly")
        print("  " + short(answer.rstrip("\n")))
        if request != "schema" or answer.strip() == "end":
            break
service.stdin.write("quit\n")
service.stdin.close()
sys.exit(service.wait())
PY

step "Done"
echo "Generated code: $out/gen    Training set: $out/training.csv"
echo "Run the tests with: bash scripts/test.sh"
