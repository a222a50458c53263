#!/usr/bin/env bash
# bench_server.sh - fdl-server over loopback with wrk (closed loop: each
# connection sends its next request when the last is answered): requests/s
# and p50/p99/p99.9 for 1-key and 100-key ranking_v1 reads, and pushed
# rows/s for each --fsync policy. Prints figures; asserts nothing.
#
#   bench/bench_server.sh BUILD_DIR [SECONDS] [THREADS] [CONNECTIONS]
#
# BUILD_DIR holds compiler/fdlc and server/fdl-server (a Release build for
# figures worth quoting). The server gets THREADS HTTP threads (default 2),
# wrk one thread and CONNECTIONS connections (default 16), SECONDS per run
# (default 10). The store holds the seed example's events (pushed first).
# Also: the time to recover the pushed rows from the WAL at a restart.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:?usage: bench_server.sh BUILD_DIR [SECONDS] [THREADS] [CONNECTIONS]}" && pwd)
seconds=${2:-10}
threads=${3:-2}
connections=${4:-16}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench_server.XXXXXX")
export FDLC_CACHE_DIR=${FDLC_CACHE_DIR:-$build/fdlc-cache}
export FDLC=$build/compiler/fdlc
seed=$root/examples/seed
pid=

stop() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
trap 'stop; rm -rf "$work"' EXIT

# start DATA_DIR ARGS...: the server on a free port; sets pid and url.
start() {
  local data=$1
  shift
  "$build/server/fdl-server" "$seed/catalog.yaml" "$seed/features.yaml" --data "$data" \
    --listen 127.0.0.1:0 --threads "$threads" "$@" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 600); do
    grep -q "listening on" "$work/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 2; }
    sleep 0.1
  done
  url=http://$(grep -o '127.0.0.1:[0-9]*' "$work/out")
}

# The seed's events, 500 rows a push.
load_seed() {
  python3 - "$url" "$seed/data" <<'PY'
import json, sys, urllib.request
url, data = sys.argv[1], sys.argv[2]
for source, name in (("purchases", "purchases.csv"), ("orders", "orders.csv")):
    lines = open("%s/%s" % (data, name)).read().splitlines()
    for i in range(1, len(lines), 500):
        body = json.dumps({"source": source, "csv": "\n".join([lines[0]] + lines[i:i + 500]) + "\n"})
        urllib.request.urlopen(urllib.request.Request(url + "/push", body.encode(), method="POST")).read()
PY
}

echo "fdl-server bench: $seconds s per run, server --threads $threads, wrk 1 thread x $connections connections,"
echo "$(nproc) CPUs, $(uname -r)"
start "$work/read" --fsync everysec
load_seed
# The HTTP floor in the same run: GET /health through the same daemon.
printf "health (HTTP only) "
cat >"$work/health.lua" <<'LUA'
function done(summary, latency, requests)
  io.write(string.format("RESULT requests_per_s=%.0f p50_us=%d p99_us=%d p999_us=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9)))
end
LUA
wrk -t1 -c"$connections" -d"${seconds}s" -s "$work/health.lua" "$url/health" | grep RESULT
for keys in 1 100; do
  printf "read  %3d key(s)  " "$keys"
  BENCH_KEYS=$keys wrk -t1 -c"$connections" -d"${seconds}s" -s "$root/bench/server/read.lua" "$url" | grep RESULT
done
stop
for policy in no everysec always; do
  start "$work/push-$policy" --fsync "$policy"
  printf "push  fsync %-8s  " "$policy"
  BENCH_ROWS=1000 wrk -t1 -c4 -d"${seconds}s" -s "$root/bench/server/push.lua" "$url" | grep RESULT
  stop
done
# Recovery: the everysec run's WAL replayed at a restart.
start "$work/push-everysec" --fsync everysec
echo "recovery from the WAL: $(grep -o 'recovered.*' "$work/out")"
# A snapshot of that store in the background while pushes go on: the
# pause (rotation + fork) and the time to write it; then a restart
# restores it instead of replaying the WAL.
stop
start "$work/push-everysec" --fsync everysec --snapshot-every 1s
BENCH_ROWS=1000 wrk -t1 -c4 -d3s -s "$root/bench/server/push.lua" "$url" >/dev/null
for _ in $(seq 100); do
  curl -s "$url/metrics" | grep -q '^fdl_snapshots_total [1-9]' && break
  sleep 0.2
done
curl -s "$url/metrics" | grep -E '^fdl_(snapshot_pause_max_seconds|snapshot_last_seconds|store_bytes|events_held) '
stop
start "$work/push-everysec" --fsync everysec
echo "recovery from the snapshot: $(grep -o 'recovered.*' "$work/out")"
stop
