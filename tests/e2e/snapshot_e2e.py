#!/usr/bin/env python3
"""snapshot_e2e.py - offline -> online: `fdlc materialize` then fdl-serve --restore.

    snapshot_e2e.py FDLC FDL_SERVE SEED_DIR WORK_DIR

With the seed example: materialize the events before a cut time into a data
directory, start fdl-serve from that snapshot and push the rest through its
`ingest` (fdl_ingest_row); a second fdl-serve ingests every event. Both get
the events in the same order (time, ties by file order, purchases before
orders: materialize's order), then both answer `get ranking_v1` for every
spine key pair at several times after the last event, and their `checks`
counters: every answer must be the same text (values print shortest
round-trip, so the same text is the same bits). Three cut times (before
everything, in the middle, after everything). Also: materialize refuses a
data directory that holds anything else, and a missing or damaged
snapshot stops fdl-serve with the file (and the offset) named. (Other
definitions: tests/unit/test_snapshot.c.)
"""
import csv
import datetime
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import fail, fresh_dir  # noqa: E402

SNAPSHOT = "snapshot-00000000000000000000.fdls"


def micros(text):
    """An event time as fdl parses the seed's forms: RFC 3339 or epoch seconds."""
    if text.lstrip("-").replace(".", "", 1).isdigit():
        return int(round(float(text) * 1000000))
    when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    delta = when - epoch
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def schema(serve, seed):
    """Per source, its fields in the order `ingest` takes them."""
    out = run_serve(serve, seed, [], ["schema"])
    fields = {}
    for line in out:
        if line.startswith("source "):
            name, rest = line[len("source "):].split(":", 1)
            fields[name] = [f.strip().split()[0] for f in rest.split(",")]
    return fields


def events(seed, fields):
    """(time, source, ingest line) in materialize's order."""
    found = []
    for source, time_field in (("purchases", "ts"), ("orders", "ordered_at")):
        with open(os.path.join(seed, "data", source + ".csv"), newline="") as f:
            for row in csv.DictReader(f):
                cells = [row[name] for name in fields[source]]
                if any("," in c or '"' in c for c in cells):
                    fail("a cell the line protocol cannot carry: %r" % cells)
                found.append((micros(row[time_field]), source, "ingest %s %s" % (source, ",".join(cells))))
    found.sort(key=lambda e: e[0])     # stable: file order, purchases first
    return found


def embeddings(seed):
    return ["--embedding", "product2vec_v3=" + os.path.join(seed, "data/product2vec_v3.csv"),
            "--embedding", "user2vec_v3=" + os.path.join(seed, "data/user2vec_v3.csv")]


def run_serve(serve, seed, options, requests):
    done = subprocess.run([serve] + embeddings(seed) + options,
                          input="".join(r + "\n" for r in requests) + "quit\n",
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        fail("fdl-serve %s: exit %d: %s" % (" ".join(options), done.returncode, done.stderr))
    return done.stdout.splitlines()


def reads(seed, last_time):
    """get requests: every spine pair at times after the last event."""
    with open(os.path.join(seed, "data", "spine.csv"), newline="") as f:
        pairs = sorted({(r["user_id"], r["product_id"]) for r in csv.DictReader(f)})
    lines = []
    for offset in (1, 3600, 86400 * 7, 86400 * 40):
        at = (last_time // 1000000) + offset
        lines += ["get ranking_v1 %s %s @%d" % (u, p, at) for u, p in pairs]
    return lines + ["checks"]


def materialize(fdlc, seed, data, until=None, expect=0):
    args = [fdlc, "materialize", os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml"),
            "--source", "purchases=" + os.path.join(seed, "data/purchases.csv"),
            "--source", "orders=" + os.path.join(seed, "data/orders.csv"), "--data", data]
    if until is not None:
        when = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=until)
        args += ["--until", when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if done.returncode != expect:
        fail("fdlc materialize: exit %d (want %d): %s" % (done.returncode, expect, done.stderr))
    return done.stderr


def main():
    fdlc, serve, seed, work = sys.argv[1:5]
    fresh_dir(work)
    os.environ["FDLC_CACHE_DIR"] = os.path.join(work, "fdlc-cache")
    fields = schema(serve, seed)
    all_events = events(seed, fields)
    requests = reads(seed, all_events[-1][0])
    pushed = run_serve(serve, seed, [], [e[2] for e in all_events] + requests)
    if pushed[:len(all_events)] != ["ok"] * len(all_events):
        fail("an ingest was not accepted: %r" % [a for a in pushed[:len(all_events)] if a != "ok"][:3])
    everything = pushed[len(all_events):]
    if not any(line.startswith("ok [") for line in everything):
        fail("no vectors read: %r" % everything[:5])
    times = [e[0] for e in all_events]
    cuts = [times[0], times[len(times) // 2], times[-1] + 1]
    for k, cut in enumerate(cuts):
        data = os.path.join(work, "data_%d" % k)
        materialize(fdlc, seed, data, until=cut)
        rest = [e[2] for e in all_events if e[0] >= cut]
        answers = run_serve(serve, seed, ["--restore", os.path.join(data, SNAPSHOT)], rest + requests)
        restored = answers[len(rest):]
        if restored != everything:
            diff = next(i for i in range(min(len(restored), len(everything)))
                        if restored[i] != everything[i]) if len(restored) == len(everything) else -1
            fail("cut %d: materialize + restore + %d pushes differs from %d pushes at answer %d:\n"
                 "  restored:   %s\n  everything: %s" % (cut, len(rest), len(all_events), diff,
                                                         restored[diff][:300], everything[diff][:300]))
        print("cut %d: %d events materialized, %d pushed, %d answers identical"
              % (cut, len(all_events) - len(rest), len(rest), len(requests)))

    # Materialize again into the same directory: allowed (the snapshot is replaced) ...
    materialize(fdlc, seed, os.path.join(work, "data_1"))
    # ... but not into a directory that holds anything else.
    with open(os.path.join(work, "data_1", "wal-0001.log"), "w") as f:
        f.write("x")
    err = materialize(fdlc, seed, os.path.join(work, "data_1"), expect=2)
    if "wal-0001.log" not in err:
        fail("a non-empty data directory refused without naming what is there: %s" % err)
    # A missing or damaged snapshot: fdl-serve refuses to start, naming the file (and offset).
    done = subprocess.run([serve] + embeddings(seed) + ["--restore", os.path.join(work, "missing.fdls")],
                          input="quit\n", capture_output=True, text=True, timeout=60)
    if done.returncode != 2 or "missing.fdls" not in done.stderr:
        fail("a missing snapshot: exit %d, %r" % (done.returncode, done.stderr))
    path = os.path.join(work, "data_1", SNAPSHOT)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0x40
    damaged = os.path.join(work, "damaged.fdls")
    with open(damaged, "wb") as f:
        f.write(data)
    done = subprocess.run([serve] + embeddings(seed) + ["--restore", damaged],
                          input="quit\n", capture_output=True, text=True, timeout=60)
    if done.returncode != 2 or "damaged.fdls: offset" not in done.stderr or "CRC" not in done.stderr:
        fail("a damaged snapshot: exit %d, %r" % (done.returncode, done.stderr))
    print("snapshot_e2e: ok")


if __name__ == "__main__":
    main()
