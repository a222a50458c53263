#!/usr/bin/env python3
"""server_crash.py - kill -9 fdl-server under concurrent pushes, repeatedly.

Each round starts fdl-server on the same data directory (fsync policy
always, everysec and no in turn: all three must survive a process crash;
every other round also takes snapshots in the background every second),
lets CLIENTS threads push requests of ROWS purchases each, and kills it
with SIGKILL at a random moment. A request answered 200 is acknowledged;
one cut off by the kill is unknown. Each request carries one marker row,
for a user of its own, so whether a request is in the store shows in
that user's purchase count (a push is one WAL record: whole or absent).
The restarts recover from the newest snapshot and the WAL after it.

After the last round a clean start must show: every acknowledged
request's marker counted exactly once, every unknown one at most once,
the rows recovered equal to the rows of the requests present, and the
ranking_v1 vector of SPINE random (user, product, time) rows equal to
`fdlc batch` over the rows present, bit for bit.

    server_crash.py FDLC FDL_SERVER SEED_DIR WORK_DIR [ROUNDS] [SEED]
"""
import csv
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_common import Server, compare_with_batch, fail, fresh_dir, run_fdlc, stop_cleanly  # noqa: E402

CLIENTS = 4
ROWS = 25
SPINE = 60
DAY = 86400
BASE = 1706745600            # 2024-02-01T00:00:00Z
MARKER_TIME = "2024-02-15T12:00:00Z"


def iso(seconds, micros=0):
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return text + (".%06d" % micros if micros else "") + "Z"


def make_request(rng, name):
    """A marker row (user `name`) and ROWS - 1 rows of shared users."""
    rows = [{"ts": MARKER_TIME, "user_id": name, "product_id": "p0000", "amount": 1.0, "category": "marker"}]
    for _ in range(ROWS - 1):
        rows.append({"ts": iso(BASE + rng.randrange(28 * DAY), rng.randrange(1000000)),
                     "user_id": "u%04d" % rng.randrange(40), "product_id": "p%04d" % rng.randrange(28),
                     "amount": rng.randrange(1, 100000) / 100.0,
                     "category": rng.choice(["food", "books", "toys"])})
    return rows


class Client(threading.Thread):
    """Pushes until the server dies; records what was acknowledged."""

    def __init__(self, srv, rng, tag, outcomes):
        super().__init__()
        self.srv, self.rng, self.tag, self.outcomes = srv, rng, tag, outcomes

    def run(self):
        n = 0
        try:
            conn = self.srv.connection(timeout=20)
        except OSError:
            return
        while True:
            name = "m%s_%d" % (self.tag, n)
            rows = make_request(self.rng, name)
            self.outcomes[name] = ("unknown", rows)
            try:
                status, answer = self.srv.request("POST", "/push", {"source": "purchases", "rows": rows},
                                                  conn=conn)
            except Exception:
                return          # the kill: this request's fate is unknown
            if status != 200 or answer["accepted"] != ROWS:
                self.outcomes[name] = ("refused", rows)
                return
            self.outcomes[name] = ("acked", rows)
            n += 1


def crash_rounds(server, args, seed, env, work, rounds, rng):
    outcomes = {}
    policies = ["always", "everysec", "no"]
    for r in range(rounds):
        # Every other round also snapshots in the background (fork), every second.
        extra = ["--snapshot-every", "1s"] if r % 2 else []
        srv = Server(server, args + ["--fsync", policies[r % 3]] + extra, cwd=seed, env=env,
                     log=os.path.join(work, "fdl-server.log"))
        clients = [Client(srv, random.Random(rng.random()), "%d_%d" % (r, c), outcomes)
                   for c in range(CLIENTS)]
        for c in clients:
            c.start()
        time.sleep(rng.uniform(0.3, 1.5))
        srv.kill()
        for c in clients:
            c.join()
    return outcomes


def marker_counts(srv, names):
    counts = {}
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        body = {"features": ["user_purchase_count_30d"], "as_of": "2024-03-10T00:00:00Z",
                "entities": {"user_id": chunk}}
        status, answer = srv.request("POST", "/get-online-features", body)
        if status != 200:
            fail("marker read: %d %s" % (status, answer))
        counts.update(zip(chunk, answer["results"][1]["values"]))
    return counts


def write_batch_inputs(work, present, rng):
    fields = ["ts", "user_id", "product_id", "amount", "category"]
    with open(os.path.join(work, "purchases.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(fields)
        for rows in present:
            for row in rows:
                w.writerow([repr(row[k]) if k == "amount" else row[k] for k in fields])
    with open(os.path.join(work, "orders.csv"), "w") as f:
        f.write("ordered_at,order_id,user_id,total_amount\n")
    with open(os.path.join(work, "spine.csv"), "w") as f:
        f.write("user_id,product_id,timestamp\n")
        for _ in range(SPINE):
            f.write("u%04d,p%04d,%s\n" % (rng.randrange(40), rng.randrange(28),
                                          iso(BASE + rng.randrange(30 * DAY), rng.randrange(1000000))))


def main():
    fdlc, server, seed, work = (os.path.abspath(a) for a in sys.argv[1:5])
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 9
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 10)
    fresh_dir(work)
    env = dict(os.environ)
    env.setdefault("FDLC_CACHE_DIR", os.path.join(work, "cache"))
    env["FDLC"] = fdlc
    defs = [os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml")]
    args = defs + ["--data", os.path.join(work, "data"), "--keep-history"]
    began = time.time()
    outcomes = crash_rounds(server, args, seed, env, work, rounds, rng)

    srv = Server(server, args, cwd=seed, env=env, log=os.path.join(work, "fdl-server.log"))
    try:
        counts = marker_counts(srv, sorted(outcomes))
        acked = [n for n, (state, _) in outcomes.items() if state == "acked"]
        present = []
        for name, (state, rows) in sorted(outcomes.items()):
            count = counts[name]
            if state == "acked" and count != 1:
                fail("acknowledged request %s: its marker counted %r times, not once" % (name, count))
            if count not in (0, 1):
                fail("request %s (%s): its marker counted %r times" % (name, state, count))
            if count == 1:
                present.append(rows)
        # Snapshot and WAL tail together: the store's own count of events.
        status, text = srv.request("GET", "/metrics")
        recovered = int(float([l for l in text.splitlines() if l.startswith("fdl_events_ingested_total ")][0]
                              .split()[1]))
        if recovered != len(present) * ROWS:
            fail("the store holds %d events; the requests present hold %d" % (recovered, len(present) * ROWS))
        write_batch_inputs(work, present, rng)
        train = os.path.join(work, "train.csv")
        proc = run_fdlc(fdlc, ["batch"] + defs + ["--source", "purchases=" + os.path.join(work, "purchases.csv"),
                                                   "--source", "orders=" + os.path.join(work, "orders.csv"),
                                                   "--spine", os.path.join(work, "spine.csv"),
                                                   "--set", "ranking_v1", "--out", train],
                        cwd=seed, work=work)
        if proc.returncode != 0:
            fail("fdlc batch: %s" % proc.stderr)
        cells = compare_with_batch(srv, train, "ranking_v1", ["user_id", "product_id"], "timestamp")
    finally:
        if srv.proc.poll() is None:
            stop_cleanly(srv)
    unknown = sum(1 for s, _ in outcomes.values() if s == "unknown")
    print("ok: %d kill -9 rounds in %.1f s: %d requests acknowledged (%d rows), all present once; "
          "%d cut off by a kill (%d of them present); %d events in the store; %d cells equal fdlc batch"
          % (rounds, time.time() - began, len(acked), len(acked) * ROWS, unknown,
             len(present) - len(acked), recovered, cells))


if __name__ == "__main__":
    main()
