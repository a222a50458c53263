#!/usr/bin/env python3
"""server_stream.py - Redis stream ingest, exactly once through kill -9.

A redis-server of its own; the seed's purchases and orders as entries of
two streams (events:purchases, events:orders), a quarter XADDed before the
first start. Then ROUNDS rounds: fdl-server consumes both streams (--fsync
always, everysec and no in turn, background snapshots every other round)
while a thread XADDs more, and is killed with SIGKILL at a random moment.
After the last round the rest is XADDed and a clean start must take every
entry (the group's lag and pending list empty), with every row counted
once: the store's event count equal to the entries, and the ranking_v1
vector of every spine row equal to `fdlc batch` over the seed's files, bit
for bit. Last, the group is rewound to ID 0 under the running server:
everything is delivered again and must be skipped as duplicates.

    server_stream.py FDLC FDL_SERVER SEED_DIR WORK_DIR [ROUNDS] [SEED]
"""
import os
import random
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import Server, compare_with_batch, fail, fresh_dir, run_fdlc, stop_cleanly  # noqa: E402
from redis_common import RedisServer, Resp, metric, seed_entries, wait_drained, xadd  # noqa: E402

KEYS = {"purchases": "events:purchases", "orders": "events:orders"}
GROUP = "crash-test"


class Feeder(threading.Thread):
    """XADDs pieces of the remaining entries, a little at a time, up to count of them."""

    def __init__(self, port, queues, count, rng):
        super().__init__()
        self.port, self.queues, self.count, self.rng = port, queues, count, rng

    def run(self):
        client = Resp(self.port)
        added = 0
        while added < self.count and any(self.queues.values()):
            for source, queue in self.queues.items():
                n = min(len(queue), self.rng.randrange(5, 60))
                if n:
                    xadd(client, KEYS[source], queue[:n])
                    del queue[:n]
                    added += n
            time.sleep(self.rng.uniform(0.005, 0.03))
        client.close()


def batch_train(fdlc, seed, defs, work):
    train = os.path.join(work, "train.csv")
    proc = run_fdlc(fdlc, ["batch"] + defs + ["--source", "purchases=data/purchases.csv",
                                               "--source", "orders=data/orders.csv",
                                               "--spine", "data/spine.csv", "--set", "ranking_v1",
                                               "--out", train], cwd=seed, work=work)
    if proc.returncode != 0:
        fail("fdlc batch: %s" % proc.stderr)
    return train


def bad_options(server, defs, seed, env, work, address):
    """Options that do not hold: exit 2 with a reason; Redis away: the server
    serves anyway and retries."""
    data = ["--data", os.path.join(work, "data-options")]
    cases = [(["--redis", address], "go together"),
             (["--stream", "purchases=k"], "go together"),
             (["--redis", address, "--stream", "purchases"], "SOURCE=KEY"),
             (["--redis", address, "--stream", "purchases=k", "--stream", "orders=k"], "given twice"),
             (["--redis", address, "--stream", "nosuch=k"], "no source 'nosuch'"),
             (["--redis", "nohostport", "--stream", "purchases=k"], "HOST:PORT")]
    for extra, said in cases:
        proc = subprocess.run([server] + defs + data + extra + ["--listen", "127.0.0.1:0"], cwd=seed, env=env,
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 2 or said not in proc.stderr:
            fail("fdl-server %s: exit %d (expected 2 saying %r): %s" % (extra, proc.returncode, said, proc.stderr))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nobody = "127.0.0.1:%d" % s.getsockname()[1]
        srv = Server(server, defs + data + ["--redis", nobody, "--stream", "purchases=k"], cwd=seed, env=env,
                     log=os.path.join(work, "fdl-server-away.log"))
        try:
            time.sleep(1.5)
            if metric(srv, "fdl_stream_reconnects_total") < 1:
                fail("Redis away: no reconnect attempts counted")
            status, _ = srv.request("GET", "/ready")
            if status != 200:
                fail("Redis away: /ready %d" % status)
            stop_cleanly(srv)
        finally:
            if srv.proc.poll() is None:
                srv.kill()


def main():
    fdlc, server, seed, work = (os.path.abspath(a) for a in sys.argv[1:5])
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 6
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 10)
    fresh_dir(work)
    began = time.time()
    defs = [os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml")]
    train = batch_train(fdlc, seed, defs, work)
    env = dict(os.environ)
    env.setdefault("FDLC_CACHE_DIR", os.path.join(work, "cache"))
    env["FDLC"] = fdlc
    log = os.path.join(work, "fdl-server.log")
    redis = RedisServer()
    srv = None
    try:
        client = Resp(redis.port)
        entries = seed_entries(seed)
        total = sum(len(e) for e in entries.values())
        queues = {s: list(e) for s, e in entries.items()}
        for source, queue in queues.items():
            n = len(queue) // 4
            xadd(client, KEYS[source], queue[:n])
            del queue[:n]
        args = defs + ["--data", os.path.join(work, "data"), "--keep-history", "--redis", redis.address(),
                       "--group", GROUP] + [a for s, k in KEYS.items() for a in ("--stream", "%s=%s" % (s, k))]
        policies = ["always", "everysec", "no"]
        per_round = sum(len(q) for q in queues.values()) // (rounds + 1)
        for r in range(rounds):
            extra = ["--snapshot-every", "1s"] if r % 2 else []
            srv = Server(server, args + ["--fsync", policies[r % 3]] + extra, cwd=seed, env=env, log=log)
            feeder = Feeder(redis.port, queues, per_round, random.Random(rng.random()))
            feeder.start()
            time.sleep(rng.uniform(0.2, 1.2))
            srv.kill()
            feeder.join()
        ids = {}
        for source, queue in queues.items():
            xadd(client, KEYS[source], queue)
            queue.clear()
            ids[source] = [e[0] for e in client.command("XRANGE", KEYS[source], "-", "+")]
        # A crash between delivery and XACK, made sure of: the first 100
        # entries (in the WAL already) and the last 50 (not yet) delivered
        # to fdl-server's consumer again and left pending.
        for source, key in KEYS.items():
            client.command("XGROUP", "SETID", key, GROUP, "0")
            client.command("XREADGROUP", "GROUP", GROUP, "fdl-server", "COUNT", "100", "STREAMS", key, ">")
            client.command("XGROUP", "SETID", key, GROUP, ids[source][-51])
            client.command("XREADGROUP", "GROUP", GROUP, "fdl-server", "COUNT", "100", "STREAMS", key, ">")

        srv = Server(server, args, cwd=seed, env=env, log=log)
        wait_drained(client, list(KEYS.values()), GROUP)
        events = metric(srv, "fdl_events_ingested_total")
        if events != total:
            fail("the store took %d events; the streams hold %d entries (each must count once)" % (events, total))
        cells = compare_with_batch(srv, train, "ranking_v1", ["user_id", "product_id"], "timestamp")

        # Everything delivered again: all of it skipped by ID.
        before = metric(srv, "fdl_stream_duplicates_total")
        for key in KEYS.values():
            client.command("XGROUP", "SETID", key, GROUP, "0")
        wait_drained(client, list(KEYS.values()), GROUP)
        duplicates = metric(srv, "fdl_stream_duplicates_total") - before
        if duplicates != total or metric(srv, "fdl_events_ingested_total") != total:
            fail("after a rewind to ID 0: %d duplicates skipped (expected %d), %d events" %
                 (duplicates, total, metric(srv, "fdl_events_ingested_total")))
        # A row with a field the source does not have: failed, acknowledged, not ingested.
        xadd(client, KEYS["purchases"], [["ts", "2024-03-01T00:00:00Z", "user_id", "u1", "bogus", "1"]])
        wait_drained(client, list(KEYS.values()), GROUP)
        if metric(srv, "fdl_stream_rows_failed_total") != 1 or metric(srv, "fdl_events_ingested_total") != total:
            fail("an entry with an unknown field: %d failed, %d events" %
                 (metric(srv, "fdl_stream_rows_failed_total"), metric(srv, "fdl_events_ingested_total")))
        stop_cleanly(srv)
        client.close()
        bad_options(server, defs, seed, env, work, redis.address())
    finally:
        if srv is not None and srv.proc.poll() is None:
            srv.kill()
        redis.stop()
    print("ok: %d kill -9 rounds, %d stream entries each counted once (%d delivered again after the last"
          " crash, skipped), %d cells equal fdlc batch, a full redelivery skipped; %.1f s"
          % (rounds, total, before, cells, time.time() - began))


if __name__ == "__main__":
    main()
