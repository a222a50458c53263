#!/usr/bin/env python3
"""verify_oracle.py - fdlc verify finds planted skew, and only planted skew.

Serves the seed's events through fdl-serve --log three ways and runs
`fdlc verify` on each log:
  * every event served: zero differences, exit 0;
  * one purchase left out of the serving path: exit 4, and every reported
    difference names that purchase's user and user_purchase_count_30d at a
    time inside its 30-day window;
  * a log from other definitions: refused (exit 2) unless
    --allow-other-fingerprint.

    verify_oracle.py FDLC FDL_SERVE SEED_DIR WORK_DIR
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import fail, fresh_dir, parse_time  # noqa: E402
from predlog_oracle import serving_requests  # noqa: E402

DAY = 86400 * 10**6


def serve(serve_path, seed, log, drop=None):
    requests, _ = serving_requests(serve_path, seed, drop)
    proc = subprocess.run([serve_path, "--log", log], input="\n".join(requests) + "\nquit\n",
                          capture_output=True, text=True, cwd=seed, timeout=120)
    if proc.returncode != 0:
        fail("fdl-serve failed: " + proc.stderr)
    return requests


def verify(fdlc, seed, log, *extra):
    return subprocess.run([fdlc, "verify", "catalog.yaml", "features.yaml", "--log", log,
                           "--source", "purchases=data/purchases.csv",
                           "--source", "orders=data/orders.csv", *extra],
                          capture_output=True, text=True, cwd=seed, timeout=120)


def main():
    fdlc, serve_path, seed, work = sys.argv[1:5]
    fresh_dir(work)

    clean = os.path.join(work, "clean.jsonl")
    serve(serve_path, seed, clean)
    proc = verify(fdlc, seed, clean)
    if proc.returncode != 0 or " 0 differences" not in proc.stdout:
        fail("clean log: exit %d\n%s%s" % (proc.returncode, proc.stdout, proc.stderr))

    # Leave out one purchase that a later read sees: the first one (in batch
    # order) whose user has a spine row within the next 30 days.
    requests, spine = serving_requests(serve_path, seed)
    ingests = [r for r in requests if r.startswith("ingest ")]
    drop = None
    for i, request in enumerate(ingests):
        if not request.startswith("ingest purchases "):
            continue
        fields = request.split(" ", 2)[2].split(",")
        t = parse_time(fields[0])
        if any(cells["user_id"] == fields[1] and t < at <= t + 30 * DAY for at, _, cells in spine):
            drop = i
            break
    if drop is None:
        fail("the seed data has no purchase a later read sees")
    dropped = ingests[drop].split(" ", 2)[2].split(",")
    user, when = dropped[1], parse_time(dropped[0])
    skewed = os.path.join(work, "skewed.jsonl")
    serve(serve_path, seed, skewed, drop)
    proc = verify(fdlc, seed, skewed)
    if proc.returncode != 4:
        fail("skewed log: expected exit 4, got %d\n%s%s" % (proc.returncode, proc.stdout, proc.stderr))
    reported = [l for l in proc.stdout.splitlines() if " served " in l]
    if not reported:
        fail("skewed log: no difference reported\n" + proc.stdout)
    for line in reported:
        m = re.search(r" at (\S+), keys user_id=(\S+) .*: (\S+) served (\S+), recomputed (\S+)$", line)
        if not m:
            fail("unreadable difference line: " + line)
        at, key, feature = parse_time(m.group(1)), m.group(2), m.group(3)
        if key != user or feature != "user_purchase_count_30d" or not (when < at <= when + 30 * DAY):
            fail("difference not explained by the dropped purchase (%s at %s): %s" % (user, dropped[0], line))
        if int(m.group(4)) + 1 != int(m.group(5)):
            fail("served count should be one less than recomputed: " + line)

    # Another fingerprint: refused, unless allowed.
    other = os.path.join(work, "other.jsonl")
    with open(clean) as f, open(other, "w") as g:
        for line in f:
            g.write(re.sub(r'"fingerprint":"[0-9a-f]+"', '"fingerprint":"' + "0" * 64 + '"', line))
    proc = verify(fdlc, seed, other)
    if proc.returncode != 2 or "other definitions" not in proc.stderr:
        fail("other fingerprint: expected exit 2\n" + proc.stderr)
    proc = verify(fdlc, seed, other, "--allow-other-fingerprint")
    if proc.returncode != 0:
        fail("--allow-other-fingerprint: exit %d\n%s" % (proc.returncode, proc.stderr))
    print("verify: clean log 0 differences; dropped purchase of %s found in %d reads; "
          "foreign fingerprint refused" % (user, len(reported)))


if __name__ == "__main__":
    main()
