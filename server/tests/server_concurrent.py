#!/usr/bin/env python3
"""server_concurrent.py - reads in parallel with pushes (--threads 4).

WRITERS threads push requests with a marker row (a user of their own)
and, as soon as the push is answered, read that user's purchase count on
another connection: it must be 1 (a row acknowledged to a client is
visible to its next read). READERS threads read ranking_v1 for random
keys meanwhile: every answer 200 and whole. Run under ThreadSanitizer by
scripts/test.sh (run_tsan_server) to find data races in the server.

    server_concurrent.py FDLC FDL_SERVER SEED_DIR WORK_DIR [SECONDS]
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import Server, fail, fresh_dir, stop_cleanly  # noqa: E402

WRITERS, READERS = 2, 3
errors = []


def writer(srv, tag, until, counts):
    rng = random.Random(tag)
    push, read = srv.connection(), srv.connection()
    n = 0
    while time.time() < until and not errors:
        marker = "w%d_%d" % (tag, n)
        rows = [{"ts": "2024-02-15T12:00:00Z", "user_id": marker, "product_id": "p0001", "amount": 2.5,
                 "category": "x"}]
        rows += [{"ts": "2024-02-%02dT10:00:00Z" % rng.randrange(1, 28), "user_id": "u%04d" % rng.randrange(40),
                  "product_id": "p%04d" % rng.randrange(28), "amount": rng.randrange(1, 9999) / 100.0,
                  "category": "food"} for _ in range(9)]
        status, answer = srv.request("POST", "/push", {"source": "purchases", "rows": rows}, conn=push)
        if status != 200 or answer["accepted"] != 10:
            errors.append("push: %d %s" % (status, answer))
            return
        status, answer = srv.request("POST", "/get-online-features",
                                     {"features": ["user_purchase_count_30d"], "as_of": "2024-03-01T00:00:00Z",
                                      "entities": {"user_id": [marker]}}, conn=read)
        if status != 200 or answer["results"][1]["values"] != [1]:
            errors.append("read after an acknowledged push of %s: %d %s" % (marker, status, answer))
            return
        n += 1
    counts[tag] = n


def reader(srv, tag, until, counts):
    rng = random.Random(100 + tag)
    conn = srv.connection()
    n = 0
    while time.time() < until and not errors:
        keys = rng.randrange(1, 50)
        body = {"feature_set": "ranking_v1", "as_of": "2024-02-20T00:00:00Z",
                "entities": {"user_id": ["u%04d" % rng.randrange(40) for _ in range(keys)],
                             "product_id": ["p%04d" % rng.randrange(28) for _ in range(keys)]}}
        status, answer = srv.request("POST", "/get-online-features", body, conn=conn)
        if status != 200 or any(len(r["values"]) != keys for r in answer["results"]):
            errors.append("read: %d %s" % (status, str(answer)[:300]))
            return
        n += 1
    counts[100 + tag] = n


def main():
    fdlc, server, seed, work = (os.path.abspath(a) for a in sys.argv[1:5])
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 4
    fresh_dir(work)
    env = dict(os.environ)
    env.setdefault("FDLC_CACHE_DIR", os.path.join(work, "cache"))
    env["FDLC"] = fdlc
    defs = [os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml")]
    srv = Server(server, defs + ["--data", os.path.join(work, "data"), "--keep-history", "--threads", "4",
                                 "--fsync", "always"], cwd=seed, env=env, log=os.path.join(work, "fdl-server.log"))
    counts = {}
    try:
        until = time.time() + seconds
        threads = [threading.Thread(target=writer, args=(srv, i, until, counts)) for i in range(WRITERS)]
        threads += [threading.Thread(target=reader, args=(srv, i, until, counts)) for i in range(READERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            fail(errors[0])
    finally:
        stop_cleanly(srv)
    pushes = sum(v for k, v in counts.items() if k < 100)
    reads = sum(v for k, v in counts.items() if k >= 100)
    print("ok: %d pushes each read back at once, %d concurrent set reads, in %.0f s" % (pushes, reads, seconds))


if __name__ == "__main__":
    main()
