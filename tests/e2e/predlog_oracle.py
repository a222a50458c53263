#!/usr/bin/env python3
"""predlog_oracle.py - the prediction log against the training set.

Feeds the seed example's events through the example service (fdl-serve
--log), asking for every spine row's vector at its own time, as a live
service would answer it, then checks that each logged line names the right
set, fingerprint, time and keys, and that every value it logged is the very
value `fdlc batch` wrote for that row: bit for bit.

    predlog_oracle.py FDLC FDL_SERVE SEED_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import fail, fresh_dir, parse_time, read_csv, run_fdlc  # noqa: E402


def cell_matches(cell, value):
    """A training-set cell (text, None for null) against a logged JSON value."""
    if value is None:
        return cell is None or cell == ""
    if cell is None:
        return False
    if isinstance(value, bool):
        return cell == ("true" if value else "false")
    if isinstance(value, int):
        return cell == str(value)
    if isinstance(value, float):
        return float(cell) == value and (cell.startswith("-") == str(value).startswith("-"))
    if isinstance(value, list):
        items = json.loads(cell)
        return len(items) == len(value) and all(float(a) == float(b) for a, b in zip(items, value))
    return cell == value


def table(path):
    """Header names and rows of cell texts (None for a null cell)."""
    records = read_csv(path)
    header = [c.text for c in records[0]]
    return header, [[c.text if (c.text or c.quoted) else None for c in r] for r in records[1:]]


def serving_requests(serve, seed, drop=None):
    """The line-protocol requests a live service would see for the seed:
    every event in batch order, and a `get` for each spine row at its time
    once every earlier event is in. drop: the index (in batch order) of one
    event to leave out, to plant skew. Returns the requests and the spine."""
    # The service's field order per source, from its schema.
    schema = subprocess.run([serve], input="schema\nquit\n", capture_output=True, text=True,
                            cwd=seed, timeout=60).stdout
    fields = {}
    for line in schema.splitlines():
        if line.startswith("source "):
            name, rest = line[len("source "):].split(":", 1)
            fields[name] = [f.split()[0] for f in rest.split(",")]

    # Events in batch order: by time, ties by file order, files in option order.
    events = []
    for order, (source, path) in enumerate([("purchases", "data/purchases.csv"),
                                            ("orders", "data/orders.csv")]):
        columns, data = table(os.path.join(seed, path))
        time_column = {"purchases": "ts", "orders": "ordered_at"}[source]
        for position, row in enumerate(data):
            cells = dict(zip(columns, [c if c is not None else "" for c in row]))
            text = ",".join(cells[f] for f in fields[source])
            events.append((parse_time(cells[time_column]), order, position, source, text))
    events.sort(key=lambda e: e[:3])
    spine_header, spine_rows = table(os.path.join(seed, "data/spine.csv"))
    spine = []
    for position, row in enumerate(spine_rows):
        cells = dict(zip(spine_header, row))
        spine.append((parse_time(cells["timestamp"]), position, cells))
    spine.sort(key=lambda s: s[:2])

    requests, next_event = [], 0
    for t, _, cells in spine:
        while next_event < len(events) and events[next_event][0] < t:
            if next_event != drop:
                requests.append("ingest %s %s" % (events[next_event][3], events[next_event][4]))
            next_event += 1
        requests.append("get ranking_v1 %s %s @%s" % (cells["user_id"] or "-",
                                                    cells["product_id"] or "-",
                                                    cells["timestamp"]))
    requests.append("stats")
    return requests, spine


def main():
    fdlc, serve, seed, work = sys.argv[1:5]
    fresh_dir(work)
    out = os.path.join(work, "training.csv")
    proc = run_fdlc(fdlc, ["batch", "catalog.yaml", "features.yaml",
                           "--source", "purchases=data/purchases.csv",
                           "--source", "orders=data/orders.csv",
                           "--spine", "data/spine.csv", "--set", "ranking_v1", "--out", out],
                    cwd=seed, work=work)
    if proc.returncode != 0:
        fail("fdlc batch failed: " + proc.stderr)
    header, rows = table(out)
    training = {}
    for row in rows:
        cells = dict(zip(header, row))
        training[(cells["user_id"], cells["product_id"], parse_time(cells["timestamp"]))] = cells

    requests, spine = serving_requests(serve, seed)
    log = os.path.join(work, "predictions.jsonl")
    served = subprocess.run([serve, "--log", log], input="\n".join(requests) + "\nquit\n",
                            capture_output=True, text=True, cwd=seed, timeout=120)
    errors = [line for line in served.stdout.splitlines() if line.startswith("error")]
    if served.returncode != 0 or errors:
        fail("fdl-serve failed: " + served.stderr + "\n".join(errors[:5]))

    fingerprint = subprocess.run([fdlc, "check", "catalog.yaml", "features.yaml", "--dump-ir"],
                                 capture_output=True, text=True, cwd=seed).stdout.split()[1]
    lines = open(log, encoding="utf-8").read().splitlines()
    if len(lines) != len(spine):
        fail("%d spine rows but %d logged reads" % (len(spine), len(lines)))
    compared = 0
    for line in lines:
        entry = json.loads(line)
        if entry["set"] != "ranking_v1" or entry["fingerprint"] != fingerprint:
            fail("wrong set or fingerprint in " + line[:200])
        key = (entry["keys"]["user_id"], entry["keys"]["product_id"], parse_time(entry["time"]))
        row = training.get(key)
        if row is None:
            fail("logged read %r has no training row" % (key,))
        for feature, value in entry["values"].items():
            if not cell_matches(row[feature], value):
                fail("%r %s: training %r, served %r" % (key, feature, row[feature], value))
            compared += 1
    print("predlog: %d reads logged, %d values equal to the training set" % (len(lines), compared))


if __name__ == "__main__":
    main()
