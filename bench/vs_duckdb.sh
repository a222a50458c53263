#!/usr/bin/env bash
# vs_duckdb.sh - fdlc batch against DuckDB on the same files, producing the
# same training set: the seed example's ranking_v1 (examples/seed) over the
# large generated data (bench/gen_seed_data.py), with the same thread count.
#
# Installs the DuckDB Node package pinned in bench/duckdb/package.json (and
# its lock file) into BUILD/bench/duckdb (npm ci; skipped when that version
# is already there), warms fdlc's compile cache with an untimed run on empty
# sources and the data files into the page cache, then alternates `fdlc batch
# --set ranking_v1` and bench/duckdb/duckdb_seed_ranking.mjs, RUNS times
# each, both writing CSV into a temporary directory under BUILD/bench. Prints
# each run, then the medians of wall and CPU seconds (GNU time: user +
# system), the peak RSS and the ratio DuckDB/fdlc, and last compares the two
# training sets cell by cell as values (bench/compare_training_sets.py):
# exit status 1 and FAILED when any cell differs.
#
# DuckDB is a benchmark tool only, never a build or test dependency: nothing
# else in the project uses it, and no ctest runs this script.
#
# Usage: vs_duckdb.sh [--quick] [--data DIR] [--runs N] [--threads N]
#                     [--fdlc PATH] [--build DIR] [--keep]
#   --quick        examples/seed/data (tiny), one run each: does it work, do
#                  the cells agree? Needs no network once DuckDB is installed
#   --data DIR     the five CSV files (default: BUILD/bench/data, generated
#                  there when absent or made with other parameters; another
#                  DIR is generated into only when it lacks the files)
#   --runs N       timed runs of each (default 3; medians are reported)
#   --threads N    threads of both (default 1); fdlc gets --threads only when
#                  `fdlc batch --help` lists it
#   --fdlc PATH    fdlc to run (default: BUILD/compiler/fdlc, configured as a
#                  Release build and brought up to date first)
#   --build DIR    the build directory (default: build-bench of this checkout)
#   --keep         keep the two training sets (and print where they are)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
quick=0 data="" runs=3 threads=1 fdlc="" build="" keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; shift ;;
        --data) data=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --fdlc) fdlc=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "vs_duckdb.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ $quick = 1 ] && runs=1
for n in "$runs" "$threads"; do
    case "$n" in
        ''|*[!0-9]*|0) echo "vs_duckdb.sh: --runs and --threads take a positive integer" >&2; exit 2 ;;
    esac
done
say() { echo "vs_duckdb.sh: $*" >&2; }
build=${build:-$root/build-bench}
mkdir -p "$build/bench"
build=$(cd "$build" && pwd)

# ---- fdlc: a Release build unless told otherwise --------------------------
if [ -z "$fdlc" ]; then
    if [ ! -f "$build/CMakeCache.txt" ]; then
        say "configuring $build (Release)"
        cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    fi
    cmake --build "$build" --target fdlc -j2 >"$build/bench/vs_duckdb.build.log" 2>&1 ||
        { cat "$build/bench/vs_duckdb.build.log" >&2; say "building fdlc failed"; exit 2; }
    fdlc=$build/compiler/fdlc
fi
[ -x "$fdlc" ] || { say "no fdlc at '$fdlc'"; exit 2; }
fdlc=$(cd "$(dirname "$fdlc")" && pwd)/$(basename "$fdlc")
build_type=unknown
cache_file=$(dirname "$(dirname "$fdlc")")/CMakeCache.txt
if [ -f "$cache_file" ]; then
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache_file")
    build_type=${build_type:-none}
fi
[ "$build_type" = Release ] || say "warning: fdlc is not a Release build ($build_type): the figures undersell it"

# ---- the data --------------------------------------------------------------
files=(purchases.csv orders.csv spine.csv user2vec_v3.csv product2vec_v3.csv)
complete() { local f; for f in "${files[@]}"; do [ -f "$1/$f" ] || return 1; done; }
generator_sizes=()
if [ -z "$data" ]; then
    if [ $quick = 1 ]; then
        data=$root/examples/seed/data      # in the source tree: read only, never generated
    else
        data=$build/bench/data             # bench_batch.sh's, kept in step with the generator
        command -v python3 >/dev/null || { say "python3 is needed to generate the data"; exit 2; }
        python3 "$here/gen_seed_data.py" "$data" --if-changed
    fi
elif ! complete "$data"; then
    [ $quick = 1 ] && generator_sizes=(--purchases 20000 --orders 5000 --users 1000 --products 200 --spine 2000)
    command -v python3 >/dev/null || { say "python3 is needed to generate the data"; exit 2; }
    python3 "$here/gen_seed_data.py" "$data" "${generator_sizes[@]}" --if-changed
fi
complete "$data" || { say "$data lacks one of: ${files[*]}"; exit 2; }
data=$(cd "$data" && pwd)

# ---- node, npm and the DuckDB package --------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "node/npm missing: installing Debian's nodejs and npm"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null ||
            { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null; } ||
            { say "apt-get could not install nodejs npm"; exit 2; }
    else
        say "node and npm are needed (Debian: sudo apt-get install nodejs npm)"
        exit 2
    fi
fi
# version FILE: the "version" of a package.json ("" when absent).
version() { node -e 'try { console.log(require(process.argv[1]).version) } catch { console.log("") }' "$1"; }
peer=$build/bench/duckdb
want=$(node -e 'console.log(require(process.argv[1]).dependencies["@duckdb/node-api"])' \
    "$here/duckdb/package.json")
mkdir -p "$peer"
cp "$here/duckdb/package.json" "$here/duckdb/package-lock.json" "$here/duckdb/duckdb_seed_ranking.mjs" "$peer/"
have=$(version "$peer/node_modules/@duckdb/node-api/package.json")
if [ "$have" != "$want" ]; then
    say "installing @duckdb/node-api $want into $peer (npm ci; needs the network)"
    (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
        { say "npm ci failed: DuckDB is not installed (offline? run once with the network)"; exit 2; }
fi
duckdb_version=$(version "$peer/node_modules/@duckdb/node-api/package.json")

# ---- the runs --------------------------------------------------------------
work=$(mktemp -d "$build/bench/vs-duckdb.XXXXXX")
if [ $keep = 1 ]; then trap 'echo "training sets kept in $work"' EXIT
else trap 'rm -rf "$work"' EXIT; fi
trap 'exit 130' INT TERM    # still runs the EXIT trap
export FDLC_CACHE_DIR=${FDLC_CACHE_DIR:-$build/bench/fdlc-cache}

gnu_time=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true 2>/dev/null; then
    gnu_time=/usr/bin/time
fi
fdlc_threads=()
threads_text="$threads thread(s) each"
fdlc_help=$("$fdlc" batch --help 2>&1 || true)
if grep -q -e '--threads' <<<"$fdlc_help"; then
    fdlc_threads=(--threads "$threads")
elif [ "$threads" != 1 ]; then
    say "warning: this fdlc has no --threads: it runs on one thread, DuckDB on $threads"
    threads_text="fdlc 1 thread (it has no --threads), DuckDB $threads"
fi

seed=$root/examples/seed
# fdlc_command SOURCES_DIR SPINE OUT: the fdlc batch command line, in command.
fdlc_command() {
    command=("$fdlc" batch "$seed/catalog.yaml" "$seed/features.yaml"
        --source "purchases=$1/purchases.csv" --source "orders=$1/orders.csv"
        --embedding "product2vec_v3=$data/product2vec_v3.csv"
        --embedding "user2vec_v3=$data/user2vec_v3.csv"
        --spine "$2" --set ranking_v1 --out "$3" "${fdlc_threads[@]}")
}

# Untimed: builds the generated library into the compile cache if it is not
# there (empty sources, one spine row), and reads the data files once so
# that neither system's first run pays for the disk.
mkdir -p "$work/empty"
head -n 1 "$data/purchases.csv" >"$work/empty/purchases.csv"
head -n 1 "$data/orders.csv" >"$work/empty/orders.csv"
head -n 2 "$data/spine.csv" >"$work/empty/spine.csv"
fdlc_command "$work/empty" "$work/empty/spine.csv" "$work/warm.csv"
"${command[@]}" 2>"$work/warm.err" || { cat "$work/warm.err" >&2; say "fdlc failed"; exit 1; }
cat "${files[@]/#/$data/}" >/dev/null

# timed NAME COMMAND...: runs it; leaves wall seconds, CPU seconds and peak
# RSS (KiB) in run_wall, run_cpu, run_rss (the last two "" without GNU
# time), its stderr in $work/NAME.err.
timed() {
    local name=$1 start end
    shift
    start=$(date +%s%N)
    if [ -n "$gnu_time" ]; then
        "$gnu_time" -f '%U %S %M' -o "$work/$name.time" "$@" 2>"$work/$name.err" ||
            { cat "$work/$name.err" >&2; say "$name failed"; exit 1; }
        run_cpu=$(tail -n 1 "$work/$name.time" | awk '{ printf "%.3f", $1 + $2 }')
        run_rss=$(tail -n 1 "$work/$name.time" | awk '{ print $3 }')
    else
        "$@" 2>"$work/$name.err" || { cat "$work/$name.err" >&2; say "$name failed"; exit 1; }
        run_cpu="" run_rss=""
    fi
    end=$(date +%s%N)
    run_wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }' || echo "n/a"; }
maximum() { tr ' ' '\n' | sed '/^$/d' | sort -g | tail -n 1; }

cpu_model=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: //' || true)
echo "machine: $(nproc) CPUs online, ${cpu_model:-unknown CPU}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fdlc:    $fdlc ($build_type build)${fdlc_threads[*]:+, ${fdlc_threads[*]}}"
echo "DuckDB:  @duckdb/node-api $duckdb_version, node $(node --version), threads $threads"
params=""
[ -f "$data/PARAMETERS" ] && params=" ($(cat "$data/PARAMETERS"))"
echo "data:    $data$params"
[ -n "$gnu_time" ] || echo "(no GNU time: CPU seconds and peak RSS are not measured)"
echo

fdlc_command "$data" "$data/spine.csv" "$work/fdlc.csv"
f_walls="" f_cpus="" f_rss="" f_inner="" d_walls="" d_cpus="" d_rss=""
d_load="" d_compute="" d_write="" d_total=""
for i in $(seq 1 "$runs"); do
    timed "fdlc.$i" "${command[@]}"
    f_walls+=" $run_wall" f_cpus+=" $run_cpu" f_rss+=" $run_rss"
    # fdlc: batch: 2500000 rows read (...), 200000 spine rows -> OUT in 9.876 s
    stats=$(grep -E '^fdlc: batch: [0-9]+ rows read .*, [0-9]+ spine rows' "$work/fdlc.$i.err" | tail -n 1 || true)
    [ -n "$stats" ] || { cat "$work/fdlc.$i.err" >&2; say "fdlc printed no statistics line"; exit 1; }
    events=$(sed -E 's/^fdlc: batch: ([0-9]+) rows read.*/\1/' <<<"$stats")
    spine_rows=$(sed -E 's/.* ([0-9]+) spine rows.*/\1/' <<<"$stats")
    f_inner+=" $(sed -E 's/.* in ([0-9.]+) s$/\1/' <<<"$stats")"
    echo "run $i: fdlc   wall ${run_wall} s, CPU ${run_cpu:-n/a} s, peak RSS $(mib "$run_rss")"

    (cd "$work" && timed "duckdb.$i" node "$peer/duckdb_seed_ranking.mjs" "$data" "$work/duckdb.csv" "$threads"
     echo "$run_wall $run_cpu $run_rss" >"$work/duckdb.$i.run")
    read -r run_wall run_cpu run_rss <"$work/duckdb.$i.run" || true
    d_walls+=" $run_wall" d_cpus+=" $run_cpu" d_rss+=" $run_rss"
    # {"load_s":6.977,"compute_s":4.735,"write_s":15.68,"total_s":27.392}
    phases=$(grep -E '^\{"load_s"' "$work/duckdb.$i.err" | tail -n 1 || true)
    phase() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/" <<<"$phases"; }
    if [ -n "$phases" ]; then
        d_load+=" $(phase load_s)" d_compute+=" $(phase compute_s)" d_write+=" $(phase write_s)"
        d_total+=" $(phase total_s)"
    fi
    echo "run $i: DuckDB wall ${run_wall} s, CPU ${run_cpu:-n/a} s, peak RSS $(mib "$run_rss")"
done

fw=$(echo "$f_walls" | median) dw=$(echo "$d_walls" | median)
fc=$(echo "$f_cpus" | median) dc=$(echo "$d_cpus" | median)
fr=$(echo "$f_rss" | maximum) dr=$(echo "$d_rss" | maximum)
echo
echo "$events events, $spine_rows spine rows, ranking_v1, $threads_text; medians of $runs run(s):"
printf '%-24s %14s %14s %12s\n' "" "wall seconds" "CPU seconds" "peak RSS"
printf '%-24s %14s %14s %12s\n' "fdlc batch" "$fw" "${fc:-n/a}" "$(mib "$fr")"
printf '%-24s %14s %14s %12s\n' "DuckDB $duckdb_version" "$dw" "${dc:-n/a}" "$(mib "$dr")"
awk -v fw="$fw" -v dw="$dw" -v fc="$fc" -v dc="$dc" 'BEGIN {
    printf "ratio DuckDB/fdlc: %.2fx wall", dw / fw
    if (fc > 0 && dc > 0) printf ", %.2fx CPU", dc / fc
    printf " (above 1: fdlc is faster)\n" }'
# Inside the processes: fdlc's own clock around fdl_batch_run, and DuckDB's
# around its SQL (without starting node and loading the package).
fi_=$(echo "$f_inner" | median)
echo "  fdlc: fdl_batch_run $fi_ s of the process's wall time"
if [ -n "$d_load" ]; then
    dt=$(echo "$d_total" | median)
    echo "  DuckDB: load $(echo "$d_load" | median) s, compute $(echo "$d_compute" | median) s," \
         "write $(echo "$d_write" | median) s, total $dt s of the process's wall time"
    awk -v f="$fi_" -v d="$dt" 'BEGIN { if (f > 0) printf "  ratio of those inner times: %.2fx\n", d / f }'
fi
awk -v fw="$fw" -v fc="$fc" -v dw="$dw" -v dc="$dc" 'BEGIN {
    if (fc > 0 && dc > 0) printf "  wall/CPU: fdlc %.2f, DuckDB %.2f (about 1/threads when a run had its cores; more: it waited for the neighbours)\n", fw / fc, dw / dc }'

echo
echo "cells (bench/compare_training_sets.py, last run of each):"
status=0
python3 "$here/compare_training_sets.py" "$work/fdlc.csv" "$work/duckdb.csv" >"$work/compare.out" || status=$?
sed 's/^/  /' "$work/compare.out"
compared_rows=$(sed -n 's/^rows: \([0-9,]*\),.*/\1/p' "$work/compare.out" | tr -d ,)
if [ $status -ne 0 ]; then
    echo "FAILED: fdlc's and DuckDB's training sets differ (status $status)"
    exit 1
fi
if [ "$compared_rows" != "$spine_rows" ]; then
    echo "FAILED: $compared_rows rows compared, but the spine has $spine_rows"
    exit 1
fi
echo "cells equal: every cell of the $spine_rows rows"
