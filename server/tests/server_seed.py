#!/usr/bin/env python3
"""server_seed.py - fdl-server against `fdlc batch` on the seed example.

Pushes the seed's events (purchases as JSON rows, orders as CSV, in
chunks, in file order), reads every spine row through
/get-online-features as of its time, and checks each value is the one
`fdlc batch --set ranking_v1` wrote, bit for bit. Then stops the server,
starts it again on the same data directory (recovery from the WAL) and
checks every value again; also one request of several keys at once.

    server_seed.py FDLC FDL_SERVER SEED_DIR WORK_DIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import Server, compare_with_batch, stop_cleanly, fail, fresh_dir, read_csv, run_fdlc, table  # noqa: E402

KEYS = ["user_id", "product_id"]


def push_all(srv, seed):
    conn = srv.connection()
    # purchases: JSON rows, numbers as JSON numbers.
    header, rows = table(os.path.join(seed, "data", "purchases.csv"))
    for start in range(0, len(rows), 300):
        batch = []
        for row in rows[start:start + 300]:
            record = dict(zip(header, row))
            record["amount"] = float(record["amount"]) if record["amount"] else None
            batch.append(record)
        status, answer = srv.request("POST", "/push", {"source": "purchases", "rows": batch}, conn=conn)
        if status != 200 or answer["failed"]:
            fail("push purchases: %d %s" % (status, answer))
    # orders: CSV text, as the file has it.
    with open(os.path.join(seed, "data", "orders.csv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    for start in range(1, len(lines), 250):
        text = "\n".join([lines[0]] + lines[start:start + 250]) + "\n"
        status, answer = srv.request("POST", "/push", {"source": "orders", "csv": text}, conn=conn)
        if status != 200 or answer["failed"]:
            fail("push orders: %d %s" % (status, answer))
    conn.close()


def several_keys(srv, train):
    """Rows of one time asked at once: the same values as one by one."""
    header, rows = table(train)
    record = dict(zip(header, rows[-1]))
    users = [dict(zip(header, r))["user_id"] for r in rows[:20]]
    products = [dict(zip(header, r))["product_id"] for r in rows[:20]]
    body = {"feature_set": "ranking_v1", "as_of": record["timestamp"],
            "entities": {"user_id": users, "product_id": products}}
    status, many = srv.request("POST", "/get-online-features", body)
    if status != 200 or len(many["results"][0]["values"]) != 20:
        fail("20 keys at once: %d %s" % (status, many))
    for i in range(20):
        body["entities"] = {"user_id": [users[i]], "product_id": [products[i]]}
        status, one = srv.request("POST", "/get-online-features", body)
        for a, b in zip(many["results"], one["results"]):
            if json.dumps(a["values"][i]) != json.dumps(b["values"][0]) or a["statuses"][i] != b["statuses"][0]:
                fail("key %d: at once %r, alone %r" % (i, a["values"][i], b["values"][0]))


def main():
    fdlc, server, seed, work = (os.path.abspath(a) for a in sys.argv[1:5])
    fresh_dir(work)
    defs = [os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml")]
    train = os.path.join(work, "train.csv")
    proc = run_fdlc(fdlc, ["batch"] + defs + ["--source", "purchases=data/purchases.csv",
                                               "--source", "orders=data/orders.csv",
                                               "--spine", "data/spine.csv", "--set", "ranking_v1",
                                               "--out", train], cwd=seed, work=work)
    if proc.returncode != 0:
        fail("fdlc batch: %s" % proc.stderr)
    env = dict(os.environ)
    env.setdefault("FDLC_CACHE_DIR", os.path.join(work, "cache"))
    env["FDLC"] = fdlc
    args = defs + ["--data", os.path.join(work, "data"), "--keep-history"]
    srv = Server(server, args, cwd=seed, env=env, log=os.path.join(work, "fdl-server.log"))
    try:
        push_all(srv, seed)
        cells = compare_with_batch(srv, train, "ranking_v1", KEYS, "timestamp")
        several_keys(srv, train)
    finally:
        if srv.proc.poll() is None:
            stop_cleanly(srv)
    srv = Server(server, args, cwd=seed, env=env, log=os.path.join(work, "fdl-server.log"))
    try:
        if "recovered 3000 rows" not in srv.first_line:
            fail("restart: expected 3000 rows recovered: %s" % srv.first_line)
        compare_with_batch(srv, train, "ranking_v1", KEYS, "timestamp")
    finally:
        if srv.proc.poll() is None:
            stop_cleanly(srv)
    print("ok: %d cells served equal fdlc batch, before and after a restart" % cells)


if __name__ == "__main__":
    main()
