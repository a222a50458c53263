#!/usr/bin/env python3
"""server_materialize.py - offline to online: `fdlc materialize` the seed's
history before 2024-03-01 into a data directory, start fdl-server on it
(the snapshot is restored: tag 0), push the rest of the events over HTTP,
and read every spine row from that date on: each value equals `fdlc batch`
over all the events, bit for bit.

    server_materialize.py FDLC FDL_SERVER SEED_DIR WORK_DIR
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import Server, compare_with_batch, fail, fresh_dir, run_fdlc, stop_cleanly, table  # noqa: E402
from e2e_common import parse_time  # noqa: E402

UNTIL = "2024-03-01T00:00:00Z"


def push_after(srv, seed, source, name, time_field):
    header, rows = table(os.path.join(seed, "data", name))
    until = parse_time(UNTIL)
    later = [dict(zip(header, r)) for r in rows if parse_time(r[header.index(time_field)]) >= until]
    for i in range(0, len(later), 200):
        status, answer = srv.request("POST", "/push", {"source": source, "rows": later[i:i + 200]})
        if status != 200 or answer["failed"] or answer["accepted"] != len(later[i:i + 200]):
            fail("push %s: %d %s" % (source, status, answer))
    return len(later)


def main():
    fdlc, server, seed, work = (os.path.abspath(a) for a in sys.argv[1:5])
    fresh_dir(work)
    defs = [os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml")]
    sources = ["--source", "purchases=data/purchases.csv", "--source", "orders=data/orders.csv"]
    train = os.path.join(work, "train.csv")
    proc = run_fdlc(fdlc, ["batch"] + defs + sources + ["--spine", "data/spine.csv", "--set", "ranking_v1",
                                                         "--out", train], cwd=seed, work=work)
    if proc.returncode != 0:
        fail("fdlc batch: %s" % proc.stderr)
    data = os.path.join(work, "data")
    proc = run_fdlc(fdlc, ["materialize"] + defs + sources + ["--data", data, "--until", UNTIL], cwd=seed, work=work)
    if proc.returncode != 0:
        fail("fdlc materialize: %s" % proc.stderr)
    env = dict(os.environ)
    env.setdefault("FDLC_CACHE_DIR", os.path.join(work, "cache"))
    env["FDLC"] = fdlc
    srv = Server(server, defs + ["--data", data, "--keep-history"], cwd=seed, env=env,
                 log=os.path.join(work, "fdl-server.log"))
    try:
        if "snapshot of WAL segment 0 restored" not in srv.first_line:
            fail("the materialized snapshot was not restored: %s" % srv.first_line)
        pushed = push_after(srv, seed, "purchases", "purchases.csv", "ts")
        pushed += push_after(srv, seed, "orders", "orders.csv", "ordered_at")
        until = parse_time(UNTIL)
        cells = compare_with_batch(srv, train, "ranking_v1", ["user_id", "product_id"], "timestamp",
                                   keep=lambda r: parse_time(r["timestamp"]) >= until)
    finally:
        stop_cleanly(srv)
    if cells == 0:
        fail("no spine row after %s" % UNTIL)
    print("ok: history materialized, %d later events pushed, %d cells equal fdlc batch" % (pushed, cells))


if __name__ == "__main__":
    main()
