#!/usr/bin/env python3
"""server_snapshot.py - background snapshots and recovery from them.

fdl-server runs with --snapshot-every 1s: the seed's purchases are pushed,
a snapshot is awaited (/metrics), the WAL segments it covers must be gone
and one snapshot file left; then the orders are pushed and the server is
killed (-9). The restart restores the snapshot and replays the WAL after
it: every event counted once (fdl_events_ingested_total = 3,000) and
every spine value equal to `fdlc batch`, bit for bit. A damaged snapshot
stops the start naming the file.

    server_snapshot.py FDLC FDL_SERVER SEED_DIR WORK_DIR
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import Server, compare_with_batch, fail, fresh_dir, run_fdlc, stop_cleanly, table  # noqa: E402

KEYS = ["user_id", "product_id"]


def metric(srv, name):
    status, text = srv.request("GET", "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    fail("no metric %s" % name)


def push_source(srv, seed, source, name, as_csv):
    header, rows = table(os.path.join(seed, "data", name))
    if as_csv:
        with open(os.path.join(seed, "data", name)) as f:
            lines = f.read().splitlines()
        bodies = [{"source": source, "csv": "\n".join([lines[0]] + lines[i:i + 200]) + "\n"}
                  for i in range(1, len(lines), 200)]
    else:
        bodies = [{"source": source, "rows": [dict(zip(header, r)) for r in rows[i:i + 200]]}
                  for i in range(0, len(rows), 200)]
    for body in bodies:
        status, answer = srv.request("POST", "/push", body)
        if status != 200 or answer["failed"]:
            fail("push %s: %d %s" % (source, status, answer))


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
    data = os.path.join(work, "data")
    args = defs + ["--data", data, "--keep-history"]
    log = os.path.join(work, "fdl-server.log")

    srv = Server(server, args + ["--snapshot-every", "1s", "--segment-bytes", "65536"], cwd=seed, env=env, log=log)
    try:
        push_source(srv, seed, "purchases", "purchases.csv", as_csv=False)
        deadline = time.time() + 20
        while metric(srv, "fdl_snapshots_total") < 1 and time.time() < deadline:
            time.sleep(0.2)
        if metric(srv, "fdl_snapshots_total") < 1:
            fail("no snapshot in 20 s")
        tag = int(metric(srv, "fdl_snapshot_last_segment"))
        pause = metric(srv, "fdl_snapshot_pause_max_seconds")
        segments = [int(n[:20]) for n in os.listdir(os.path.join(data, "wal"))]
        if any(s <= tag for s in segments):
            fail("WAL segments %s left though the snapshot covers up to %d" % (sorted(segments), tag))
        push_source(srv, seed, "orders", "orders.csv", as_csv=True)
    finally:
        srv.kill()
    snapshots = [n for n in os.listdir(data) if n.startswith("snapshot-")]
    if len(snapshots) != 1 or not snapshots[0].endswith(".fdls"):
        fail("expected one snapshot file: %s" % snapshots)

    srv = Server(server, args, cwd=seed, env=env, log=log)
    try:
        if "restored" not in srv.first_line:
            fail("the restart did not restore the snapshot: %s" % srv.first_line)
        ingested = metric(srv, "fdl_events_ingested_total")
        if ingested != 3000:
            fail("after the restart the store counts %d events ingested, not 3000" % ingested)
        cells = compare_with_batch(srv, train, "ranking_v1", KEYS, "timestamp")
    finally:
        stop_cleanly(srv)

    # A damaged snapshot: the start stops, naming it.
    path = os.path.join(data, snapshots[0])
    blob = bytearray(open(path, "rb").read())
    blob[len(blob) // 2] ^= 0x10
    with open(path, "wb") as f:
        f.write(blob)
    import subprocess
    proc = subprocess.run([server] + args + ["--listen", "127.0.0.1:0"], cwd=seed, env=env,
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 2 or snapshots[0] not in proc.stderr:
        fail("a damaged snapshot: exit %d, %s" % (proc.returncode, proc.stderr))
    print("ok: snapshot of segment %d taken in the background (pause %.6f s), WAL before it deleted; "
          "kill -9 and restart: %d cells equal fdlc batch; a damaged snapshot refused" % (tag, pause, cells))


if __name__ == "__main__":
    main()
