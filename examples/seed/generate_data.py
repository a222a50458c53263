#!/usr/bin/env python3
"""Generates the seed example's data deterministically (fixed seed).

  data/purchases.csv, data/orders.csv  events over ~120 days, mostly in time
                                        order with a few late rows
  data/user2vec_v3.csv, data/product2vec_v3.csv  128-d embeddings
  data/spine.csv                        training rows: user, product, time

Usage: generate_data.py [OUT_DIR] [--users N] [--products N] [--events N] [--spine N]
"""
import argparse
import csv
import os
import random
from datetime import datetime, timedelta, timezone

parser = argparse.ArgumentParser()
parser.add_argument("out", nargs="?", default=os.path.join(os.path.dirname(__file__), "data"))
parser.add_argument("--users", type=int, default=40)
parser.add_argument("--products", type=int, default=30)
parser.add_argument("--events", type=int, default=2000)
parser.add_argument("--spine", type=int, default=200)
parser.add_argument("--seed", type=int, default=7)
args = parser.parse_args()
rng = random.Random(args.seed)
os.makedirs(args.out, exist_ok=True)

start = datetime(2024, 1, 1, tzinfo=timezone.utc)
span_seconds = 120 * 86400
users = [f"u{i:04d}" for i in range(args.users)]
products = [f"p{i:04d}" for i in range(args.products)]
categories = ["electronics", "clothing", "food", "other"]


def stamp(seconds):
    t = start + timedelta(seconds=seconds)
    # Mix the accepted spellings: Z, an offset, fractions, epoch seconds.
    form = rng.random()
    if form < 0.7:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form < 0.8:
        return str(int(t.timestamp()))
    if form < 0.9:
        local = t.astimezone(timezone(timedelta(hours=2)))
        return local.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    return t.strftime("%Y-%m-%dT%H:%M:%S.250Z")


def events(n):
    times = sorted(rng.randrange(span_seconds) for _ in range(n))
    # A few rows out of order, as real exports have.
    for _ in range(n // 50):
        i, j = rng.randrange(n), rng.randrange(n)
        times[i], times[j] = times[j], times[i]
    return times


with open(os.path.join(args.out, "purchases.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["ts", "user_id", "product_id", "amount", "category"])
    for t in events(args.events):
        amount = "" if rng.random() < 0.02 else f"{rng.randrange(100, 50000) / 100:.2f}"
        w.writerow([stamp(t), rng.choice(users), rng.choice(products), amount, rng.choice(categories)])

with open(os.path.join(args.out, "orders.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["order_id", "user_id", "ordered_at", "total_amount"])
    for i, t in enumerate(events(args.events // 2)):
        total = "" if rng.random() < 0.02 else repr(rng.randrange(1, 10**6) / 64)
        w.writerow([i + 1, rng.choice(users), stamp(t), total])

for name, keys, missing in (("user2vec_v3", users, 3), ("product2vec_v3", products, 2)):
    with open(os.path.join(args.out, name + ".csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["key"] + [f"v{i}" for i in range(128)])
        for k in keys[:-missing]:  # a few keys have no embedding
            w.writerow([k] + [repr(round(rng.gauss(0, 1), 6)) for _ in range(128)])

with open(os.path.join(args.out, "spine.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["user_id", "product_id", "timestamp", "label"])
    for _ in range(args.spine):
        t = rng.randrange(span_seconds + 10 * 86400)
        w.writerow([rng.choice(users + ["u_unknown"]), rng.choice(products),
                    (start + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ"), rng.randrange(2)])
