#!/usr/bin/env python3
"""seed_oracle.py - checks every cell of `fdlc batch` on examples/seed.

Usage: seed_oracle.py FDLC SEED_DIR WORK_DIR

Runs the real fdlc on the seed definitions and data twice (with
`--set ranking_v1`, and without --set, where the columns are every feature
in program order) and recomputes each feature by brute force from the CSV
files, independently of fdlc:

  user_purchase_count_30d   purchases with t - 30d <= e < t for the user
  user_avg_order_value_90d  math.fsum of non-null total_amount / count, null
                            when no order is in the window
  product_embedding,        the key's row of the embedding table (Python
  user_embedding            float()), empty cell when the key is missing
  user_product_affinity     cosine similarity in runtime/ops.c's operation
                            order: dot, |a|^2, |b|^2 accumulated left to
                            right in one loop, dot / (sqrt(na) * sqrt(nb)),
                            clamped to [-1, 1]. Python floats are IEEE
                            doubles with the same correctly rounded + * /
                            and sqrt, and the build uses -ffp-contract=off,
                            so the value is compared bit for bit.

Each float cell must be the documented shortest round-trip text and parse
back to exactly the expected double.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (MICROS, Mismatches, describe_run, fail, float_cell_check,  # noqa: E402
                        format_float, format_vector, fresh_dir, parse_time, read_csv,
                        run_fdlc, vector_cell_check)

DAY = 86400 * MICROS


def table(path):
    """A CSV file as a list of {column: Cell} rows."""
    records = read_csv(path)
    header = [c.text for c in records[0]]
    return header, [dict(zip(header, r)) for r in records[1:]]


def load_embedding(path, dimension):
    records = read_csv(path)
    vectors = {}
    for r in records[1:]:
        assert len(r) == dimension + 1, path
        vectors[r[0].text] = [float(c.text) for c in r[1:]]
    return vectors


def cosine(a, b):
    """runtime/ops.c fdl_cosine_similarity, operation for operation."""
    dot = norm_a = norm_b = 0.0
    for x, y in zip(a, b):
        dot += x * y
        norm_a += x * x
        norm_b += y * y
    if norm_a == 0.0 or norm_b == 0.0:
        return None
    similarity = dot / (math.sqrt(norm_a) * math.sqrt(norm_b))
    return max(-1.0, min(1.0, similarity))


def expected_rows(seed):
    data = os.path.join(seed, "data")
    _, purchases = table(os.path.join(data, "purchases.csv"))
    _, orders = table(os.path.join(data, "orders.csv"))
    spine_header, spine = table(os.path.join(data, "spine.csv"))
    products = load_embedding(os.path.join(data, "product2vec_v3.csv"), 128)
    users = load_embedding(os.path.join(data, "user2vec_v3.csv"), 128)

    purchase_events = [(parse_time(p["ts"].text), p["user_id"].text) for p in purchases]
    order_events = [(parse_time(o["ordered_at"].text), o["user_id"].text,
                     None if o["total_amount"].text == "" else float(o["total_amount"].text))
                    for o in orders]

    rows = []
    for s in spine:
        t = parse_time(s["timestamp"].text)
        user, product = s["user_id"].text, s["product_id"].text
        count = sum(1 for e, u in purchase_events if u == user and t - 30 * DAY <= e < t)
        amounts = [a for e, u, a in order_events
                   if u == user and a is not None and t - 90 * DAY <= e < t]
        mean = math.fsum(amounts) / len(amounts) if amounts else None
        u_vec, p_vec = users.get(user), products.get(product)
        affinity = cosine(u_vec, p_vec) if u_vec is not None and p_vec is not None else None
        rows.append({
            "spine": [s[c] for c in spine_header],
            "user_purchase_count_30d": ("int", count),
            "user_avg_order_value_90d": ("float", mean),
            "product_embedding": ("vector", p_vec),
            "user_embedding": ("vector", u_vec),
            "user_product_affinity": ("float", affinity),
        })
    return spine_header, rows


def check_output(path, spine_header, rows, features, label):
    records = read_csv(path)
    want_header = spine_header + features
    got_header = [c.text for c in records[0]]
    if got_header != want_header:
        fail("%s: header %r, expected %r" % (label, got_header, want_header))
    if len(records) - 1 != len(rows):
        fail("%s: %d rows, expected %d" % (label, len(records) - 1, len(rows)))
    bad = Mismatches(label)
    checked = 0
    for i, (record, row) in enumerate(zip(records[1:], rows), start=1):
        if len(record) != len(want_header):
            bad.add(i, "*", len(want_header), len(record), "cell count")
            continue
        for k, cell in enumerate(row["spine"]):
            bad.check_cell(i, spine_header[k], (cell.text, None), record[k])
        for k, name in enumerate(features):
            got = record[len(spine_header) + k]
            kind, value = row[name]
            checked += 1
            if value is None:
                bad.check_cell(i, name, ("", False), got)
            elif kind == "int":
                bad.check_cell(i, name, (str(value), False), got)
            elif kind == "float":
                bad.check_cell(i, name, (format_float(value), False), got, float_cell_check(value))
            else:
                bad.check_cell(i, name, (format_vector(value), True), got, vector_cell_check(value))
    if bad.count:
        fail("%s: %d of %d feature cells differ" % (label, bad.count, checked))
    nulls = sum(1 for row in rows for name in features if row[name][1] is None)
    print("%s: %d rows, %d feature cells equal (%d null)" % (label, len(rows), checked, nulls))


def main():
    if len(sys.argv) != 4:
        fail("usage: seed_oracle.py FDLC SEED_DIR WORK_DIR")
    fdlc, seed, work = (os.path.abspath(a) for a in sys.argv[1:])
    fresh_dir(work)
    spine_header, rows = expected_rows(seed)
    # The oracle must see the cases that matter, or it proves little.
    if not any(r["user_embedding"][1] is None for r in rows) or \
       not any(r["user_avg_order_value_90d"][1] is None for r in rows):
        fail("seed data lost its missing-embedding or empty-window rows")

    base = ["batch", "catalog.yaml", "features.yaml",
            "--source", "purchases=data/purchases.csv", "--source", "orders=data/orders.csv",
            "--spine", "data/spine.csv"]
    runs = [
        ("with --set ranking_v1", ["--set", "ranking_v1"],
         ["user_purchase_count_30d", "user_avg_order_value_90d", "product_embedding",
          "user_embedding", "user_product_affinity"]),
        # Program order: catalog.yaml's user_embedding comes first (files in
        # command-line order), the affinity after the embeddings it reads.
        ("without --set", [],
         ["user_embedding", "user_purchase_count_30d", "user_avg_order_value_90d",
          "product_embedding", "user_product_affinity"]),
    ]
    for n, (label, extra, features) in enumerate(runs):
        out = os.path.join(work, "train%d.csv" % n)
        proc = run_fdlc(fdlc, base + extra + ["--out", out], cwd=seed, work=work)
        if proc.returncode != 0:
            fail("%s: fdlc batch failed\n%s" % (label, describe_run(proc)))
        check_output(out, spine_header, rows, features, label)
    print("PASS")


if __name__ == "__main__":
    main()
