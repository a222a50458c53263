#!/usr/bin/env python3
"""python_overhead.py - what the Python module fdl costs over the CLI and the C store.

    PYTHONPATH=SITE /usr/bin/python3 bench/python_overhead.py FDLC DATA_DIR [SPINE_ROWS] [READS]

DATA_DIR: bench/gen_seed_data.py's output (purchases.csv, orders.csv,
spine.csv, embeddings). Prints, measured in the same run:
  * fdlc batch (CLI, CSV out) vs fdl.training_set (the same run, then the
    CSV read into typed columns): seconds each and the ratio;
  * fdl.Store: events ingested per second from a DataFrame, and reads per
    second of the seed's ranking_v1 one key at a time (dict results).
The first SPINE_ROWS rows of the spine are used (default 20000).
"""
import os
import subprocess
import sys
import tempfile
import time

import pandas as pd

import fdl

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FILES = [os.path.join(ROOT, "examples", "seed", "catalog.yaml"),
         os.path.join(ROOT, "examples", "seed", "features.yaml")]


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    fdlc, data = argv[1], argv[2]
    rows = int(argv[3]) if len(argv) > 3 else 20000
    reads = int(argv[4]) if len(argv) > 4 else 20000
    fdl.set_fdlc(fdlc)
    sources = {"purchases": os.path.join(data, "purchases.csv"), "orders": os.path.join(data, "orders.csv")}
    embeddings = {"product2vec_v3": os.path.join(data, "product2vec_v3.csv"),
                  "user2vec_v3": os.path.join(data, "user2vec_v3.csv")}
    with tempfile.TemporaryDirectory(prefix="fdl-bench-") as work:
        spine = os.path.join(work, "spine.csv")
        with open(os.path.join(data, "spine.csv"), encoding="utf-8") as f, open(spine, "w") as out:
            for i, line in enumerate(f):
                if i > rows:
                    break
                out.write(line)
        lib = fdl.build(FILES, work, "benchfeatures")
        args = [fdlc, "batch"] + FILES + ["--lib", lib, "--spine", spine, "--set", "ranking_v1",
                                          "--out", os.path.join(work, "cli.csv")]
        for name, path in sources.items():
            args += ["--source", "%s=%s" % (name, path)]
        for name, path in embeddings.items():
            args += ["--embedding", "%s=%s" % (name, path)]
        t0 = time.perf_counter()
        subprocess.run(args, check=True, stderr=subprocess.DEVNULL)
        cli = time.perf_counter() - t0
        t0 = time.perf_counter()
        frame = fdl.training_set(FILES, sources=sources, spine=spine, feature_set="ranking_v1",
                                 embeddings=embeddings, lib=lib)
        py = time.perf_counter() - t0
        print("training set, %d spine rows: fdlc batch %.2f s, fdl.training_set %.2f s (x%.2f)"
              % (len(frame), cli, py, py / cli))

        events = pd.read_csv(sources["purchases"], dtype=str, nrows=200000)
        with fdl.Store(lib=lib, embeddings=embeddings, keep_history=True) as store:
            t0 = time.perf_counter()
            store.ingest("purchases", events)
            ingest = time.perf_counter() - t0
            keys = frame[["user_id", "product_id"]].head(reads)
            keys = list(zip(keys["user_id"], keys["product_id"]))
            t0 = time.perf_counter()
            for key in keys:
                store.get("ranking_v1", key, at="2024-07-01T00:00:00Z")
            read = time.perf_counter() - t0
        print("store: %d events ingested from a DataFrame in %.2f s (%.0f/s); %d reads in %.2f s (%.0f/s)"
              % (len(events), ingest, len(events) / ingest, len(keys), read, len(keys) / read))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
