#!/usr/bin/env python3
"""server_replicas.py - read replicas: two fdl-servers on the same Redis
streams, each with its own consumer group (the default one, derived from
its data directory), must give identical answers.

The seed's events are XADDed in pieces while both servers run (the second
one starts after part of them is in); once both groups have taken every
entry, every spine row is read from both through /get-online-features
(as_of its time, and without as_of), the answers compared byte for byte,
and the first replica's compared with `fdlc batch` bit for bit. Replica b
(background snapshots every second) is then restarted on its data
directory once a snapshot is taken (restore, then the WAL after it, whose
first segment holds the stream positions): the same answers, nothing
taken twice.

    server_replicas.py FDLC FDL_SERVER SEED_DIR WORK_DIR
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import Server, compare_with_batch, fail, fresh_dir, stop_cleanly, table  # noqa: E402
from redis_common import RedisServer, Resp, metric, seed_entries, wait_drained, xadd  # noqa: E402
from server_stream import KEYS, batch_train  # noqa: E402


def answers(srv, train):
    """Every spine row's ranking_v1 answer (as of its time, and now), as JSON text."""
    header, rows = table(train)
    out = []
    conn = srv.connection()
    for row in rows:
        record = dict(zip(header, row))
        for as_of in (record["timestamp"], None):
            body = {"feature_set": "ranking_v1",
                    "entities": {"user_id": [record["user_id"]], "product_id": [record["product_id"]]}}
            if as_of:
                body["as_of"] = as_of
            status, answer = srv.request("POST", "/get-online-features", body, conn=conn)
            if status != 200:
                fail("read: %d %s" % (status, answer))
            out.append(json.dumps(answer["results"], sort_keys=True))
    conn.close()
    return out


def reads(srv, train, n):
    header, rows = table(train)
    conn = srv.connection()
    out = []
    for row in rows[:n]:
        record = dict(zip(header, row))
        body = {"feature_set": "ranking_v1",
                "entities": {"user_id": [record["user_id"]], "product_id": [record["product_id"]]}}
        out.append(srv.request("POST", "/get-online-features", body, conn=conn)[0])
    conn.close()
    return out


def main():
    fdlc, server, seed, work = (os.path.abspath(a) for a in sys.argv[1:5])
    fresh_dir(work)
    began = time.time()
    defs = [os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml")]
    train = batch_train(fdlc, seed, defs, work)
    env = dict(os.environ)
    env.setdefault("FDLC_CACHE_DIR", os.path.join(work, "cache"))
    env["FDLC"] = fdlc
    redis = RedisServer()
    servers = []
    try:
        client = Resp(redis.port)
        entries = seed_entries(seed)
        total = sum(len(e) for e in entries.values())
        streams = [a for s, k in KEYS.items() for a in ("--stream", "%s=%s" % (s, k))]

        def start(name, extra=()):
            data = os.path.join(work, name)
            os.makedirs(data, exist_ok=True)
            srv = Server(server, defs + ["--data", data, "--keep-history", "--redis", redis.address()] + streams
                         + list(extra),
                         cwd=seed, env=env, log=os.path.join(work, name + ".log"))
            servers.append(srv)
            return srv, "fdl-server:" + os.path.realpath(data)

        a, group_a = start("replica-a")
        pieces = 4
        for p in range(pieces):
            for source, rows in entries.items():
                n = (len(rows) + pieces - 1) // pieces
                xadd(client, KEYS[source], rows[p * n:(p + 1) * n])
            if p == 1:
                b, group_b = start("replica-b", ["--snapshot-every", "1s"])
            # Reads while the stream threads ingest (ThreadSanitizer runs this too).
            for srv in servers:
                for status in reads(srv, train, 25):
                    if status != 200:
                        fail("a read during stream ingest: status %d" % status)
        for group in (group_a, group_b):
            wait_drained(client, list(KEYS.values()), group)
        for srv in (a, b):
            if metric(srv, "fdl_events_ingested_total") != total:
                fail("a replica took %d events of %d" % (metric(srv, "fdl_events_ingested_total"), total))
        first, second = answers(a, train), answers(b, train)
        for i, (x, y) in enumerate(zip(first, second)):
            if x != y:
                fail("read %d: replica a answered %s, replica b %s" % (i, x, y))
        cells = compare_with_batch(a, train, "ranking_v1", ["user_id", "product_id"], "timestamp")
        # Replica b again, from its snapshot (which deleted the WAL segments
        # holding the stream positions) and WAL: the same answers, nothing
        # taken twice.
        deadline = time.time() + 20
        while metric(b, "fdl_snapshots_total") < 1 and time.time() < deadline:
            time.sleep(0.1)
        if metric(b, "fdl_snapshots_total") < 1:
            fail("replica b took no snapshot within 20 s")
        stop_cleanly(b)
        b, _ = start("replica-b")
        wait_drained(client, list(KEYS.values()), group_b)
        if metric(b, "fdl_recovery_snapshot_restored") != 1:
            fail("replica b did not restart from its snapshot")
        if answers(b, train) != first or metric(b, "fdl_events_ingested_total") != total:
            fail("replica b after a restart from its snapshot answers differently (%d events)"
                 % metric(b, "fdl_events_ingested_total"))
        for srv in (a, b):
            stop_cleanly(srv)
        client.close()
    finally:
        for srv in servers:
            if srv.proc.poll() is None:
                srv.kill()
        redis.stop()
    print("ok: 2 replicas (own consumer groups) took %d entries each; %d answers identical; %d cells equal"
          " fdlc batch; %.1f s" % (total, len(first), cells, time.time() - began))


if __name__ == "__main__":
    main()
