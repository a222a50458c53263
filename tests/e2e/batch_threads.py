#!/usr/bin/env python3
"""batch_threads.py - `fdlc batch --threads N` writes the same bytes for
every N, and reports the same error.

Usage: batch_threads.py FDLC SOURCE_DIR WORK_DIR

The replay runs in entity partitions, one thread each (docs/architecture.md,
"Batch"). Nothing about the output may depend on how many there are:

  * random_oracle's definitions and data (every aggregation kind, hopped
    windows, a string- and an int64-keyed entity, filters, ties, late rows)
    for three seeds, run with --threads 1, 2, 3 and 8: every cell checked
    against the oracle, and the files equal byte for byte. One program has
    features of both entities (the replay in time order), one of the
    string-keyed entity only and one of the int64-keyed one only (the
    replay key by key);
  * the seed example (two entities, embeddings, a cosine) with the same
    counts: equal bytes; with a table that is missing, the same error and
    no output or quarantine (tables load while sources are read);
  * a spine whose request column has bad values for nine keys (rows in
    several partitions), each line earlier in time than the one before:
    every N reports the one the one-thread replay meets first;
  * --threads 0, 257 and "two" are usage errors (exit 2).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import random_oracle  # noqa: E402
from e2e_common import describe_run, fresh_dir, run_fdlc  # noqa: E402

COUNTS = (1, 2, 3, 8)


def check_seed_example(fdlc, source_dir, work):
    seed = os.path.join(source_dir, "examples", "seed")
    data = os.path.join(seed, "data")
    outputs = {}
    ok = True
    for n in COUNTS:
        out = os.path.join(work, "seed-%d.csv" % n)
        args = ["batch", os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml"),
                "--source", "purchases=" + os.path.join(data, "purchases.csv"),
                "--source", "orders=" + os.path.join(data, "orders.csv"),
                "--spine", os.path.join(data, "spine.csv"), "--set", "ranking_v1",
                "--out", out, "--threads", str(n)]
        proc = run_fdlc(fdlc, args, cwd=work, work=work)
        if proc.returncode != 0:
            print("FAIL seed example, --threads %d: %s" % (n, describe_run(proc)))
            return False
        with open(out, "rb") as f:
            outputs[n] = f.read()
        if outputs[n] != outputs[COUNTS[0]]:
            print("FAIL seed example: --threads %d wrote other bytes than --threads %d"
                  % (n, COUNTS[0]))
            ok = False
    print("seed example: %d bytes, the same for --threads %s" % (len(outputs[1]), COUNTS))
    # A table that cannot be read (loaded while the sources are read when
    # there are threads): the same error, no output and no quarantine.
    messages = set()
    for n in COUNTS:
        out, quarantine = (os.path.join(work, "bad-%s-%d.csv" % (what, n)) for what in ("out", "q"))
        args = ["batch", os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml"),
                "--source", "purchases=" + os.path.join(data, "purchases.csv"),
                "--source", "orders=" + os.path.join(data, "orders.csv"),
                "--embedding", "user2vec_v3=" + os.path.join(work, "missing.csv"),
                "--spine", os.path.join(data, "spine.csv"), "--set", "ranking_v1",
                "--out", out, "--quarantine", quarantine, "--threads", str(n)]
        proc = run_fdlc(fdlc, args, cwd=work, work=work)
        messages.add(proc.stderr)
        if proc.returncode != 2 or "missing.csv" not in proc.stderr:
            print("FAIL missing table, --threads %d: expected exit 2 naming it\n%s" % (n, describe_run(proc)))
            ok = False
        if os.path.exists(out) or os.path.exists(quarantine):
            print("FAIL missing table, --threads %d: an output or quarantine was written" % n)
            ok = False
    if len(messages) != 1:
        print("FAIL missing table: the message depends on --threads:\n%s" % "\n".join(sorted(messages)))
        ok = False
    return ok


DEFINITIONS = """\
entities:
  - name: shop
    join_key: shop_id
    key_type: int64
sources:
  - name: sales
    timestamp: ts
    fields:
      - {name: ts, type: timestamp}
      - {name: shop_id, type: int64}
      - {name: amount, type: float64}
features:
  - name: shop_sales_7d
    entity: shop
    aggregation: {function: sum, source: sales.amount, window: 7d}
    value_type: float64
  - name: shop_net_7d
    entity: shop
    expr: 'shop_sales_7d * (1 - request.discount)'
feature_sets:
  - name: net
    features: [shop_sales_7d, shop_net_7d]
    request:
      - {name: discount, type: float64}
"""


def check_error(fdlc, work):
    with open(os.path.join(work, "defs.yaml"), "w") as f:
        f.write(DEFINITIONS)
    with open(os.path.join(work, "sales.csv"), "w") as f:
        f.write("ts,shop_id,amount\n")
        for i in range(200):
            f.write("2024-01-%02dT00:00:00Z,%d,%d.5\n" % (1 + i % 28, i % 37, i))
    # Bad request values for nine shops (so in several partitions), each
    # line earlier in time than the one before: the one-thread replay
    # meets the last line (111) first.
    with open(os.path.join(work, "spine.csv"), "w") as f:
        f.write("shop_id,timestamp,discount\n")
        for i in range(100):
            f.write("%d,2024-02-%02dT00:00:00Z,0.%d\n" % (i % 37, 1 + i % 28, i % 10))
        for i in range(10):
            f.write("%d,2024-02-%02dT00:00:00Z,%s\n" % (i, 25 - i, "ten" if i else "0.5"))
    ok = True
    messages = set()
    for n in COUNTS:
        args = ["batch", "defs.yaml", "--source", "sales=sales.csv", "--spine", "spine.csv",
                "--set", "net", "--out", "out-%d.csv" % n, "--threads", str(n)]
        proc = run_fdlc(fdlc, args, cwd=work, work=work)
        if proc.returncode != 2 or "spine.csv:111:" not in proc.stderr:
            print("FAIL bad value, --threads %d: expected exit 2 naming spine.csv:111\n%s"
                  % (n, describe_run(proc)))
            ok = False
        messages.add(proc.stderr)
        if os.path.exists(os.path.join(work, "out-%d.csv" % n)):
            print("FAIL bad value, --threads %d: an output was written" % n)
            ok = False
    if len(messages) != 1:
        print("FAIL bad value: the message depends on --threads:\n%s" % "\n".join(sorted(messages)))
        ok = False
    for bad in ("0", "257", "two", ""):
        args = ["batch", "defs.yaml", "--source", "sales=sales.csv", "--spine", "spine.csv",
                "--set", "net", "--out", "out-bad.csv", "--threads", bad]
        proc = run_fdlc(fdlc, args, cwd=work, work=work)
        if proc.returncode != 2 or "--threads" not in proc.stderr:
            print("FAIL --threads '%s': expected a usage error (exit 2)\n%s" % (bad, describe_run(proc)))
            ok = False
    return ok


def main():
    if len(sys.argv) != 4:
        print("usage: batch_threads.py FDLC SOURCE_DIR WORK_DIR")
        sys.exit(2)
    fdlc, source_dir, work = (os.path.abspath(a) for a in sys.argv[1:])
    ok = True
    # Features of both entities (replayed in time order), of the string-keyed
    # one only and of the int64-keyed one only (replayed key by key).
    for seed, only in ((6, None), (7, "user"), (8, "shop")):
        seed_dir = fresh_dir(os.path.join(work, "random%d" % seed))
        ok = random_oracle.run_seed(fdlc, seed_dir, seed, threads=COUNTS, only_entity=only) and ok
    ok = check_seed_example(fdlc, source_dir, fresh_dir(os.path.join(work, "seed"))) and ok
    ok = check_error(fdlc, fresh_dir(os.path.join(work, "error"))) and ok
    if not ok:
        print("FAIL")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
