#!/usr/bin/env bash
# install-deps.sh - installs what fdlc needs to build and test, on Debian or
# Ubuntu, and only what is missing: a machine that has everything is left
# alone (no apt-get at all), so the script is cheap to run every time.
#
#   bash scripts/install-deps.sh
#
# Needs root, or sudo for a normal user. Never removes anything.
set -euo pipefail

# libclang-rt-14-dev: clang's sanitizer runtimes and libFuzzer
# (libclang_rt.fuzzer*.a), for the clang sanitizer build and tests/fuzz.
# zlib1g-dev: .csv.gz sources. graphviz: fdlc docs draws the lineage with dot.
# chromium, python3-jsonschema, python3-yaml: the catalog tests (a headless
# screenshot of fdlc docs; docs/fdl.schema.json against the examples).
# binutils (readelf), dpkg-dev (dpkg-shlibdeps for cpack -G DEB), groff-base
# (the man page checked): tests/install.
packages=(cmake gcc g++ clang libclang-rt-14-dev make flex bison libyaml-dev libcmocka-dev pkg-config
          libjansson-dev
          python3 sqlite3 binutils dpkg-dev groff-base
          libmicrohttpd-dev wrk curl   # fdl-server: HTTP; bench/bench_server, quickstart
          zlib1g-dev graphviz chromium python3-yaml)
# fdl-server's Redis stream ingest (hiredis) and its tests (redis-server, redis-cli).
packages+=(libhiredis-dev redis-server redis-tools)
# The Python module fdl (python/): built with the system Python's headers
# and pip, offline (setuptools, wheel), used with numpy and pandas, tested
# with pytest.
packages+=(python3-dev python3-pip python3-setuptools python3-wheel python3-numpy python3-pandas
           python3-pytest)
# python3-jsonschema: tests/e2e/diagnostics_formats.py checks fdlc's SARIF with it.
packages+=(python3-jsonschema)

is_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: this script needs a Debian-based system (dpkg and apt-get)." >&2
  echo "install-deps: install these yourself: ${packages[*]}" >&2
  exit 2
fi

missing=()
for package in "${packages[@]}"; do
  is_installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all dependencies are installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 2
  fi
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update </dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
