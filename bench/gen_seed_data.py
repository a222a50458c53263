#!/usr/bin/env python3
"""Generates a large version of the seed example's data for the benchmarks.

Same files and columns as examples/seed/data/, deterministic (fixed seed):

  purchases.csv        ts,user_id,product_id,amount,category
  orders.csv           order_id,user_id,ordered_at,total_amount
  spine.csv            user_id,product_id,timestamp,label
  user2vec_v3.csv      key,v0..v127
  product2vec_v3.csv   key,v0..v127

Events cover `--days` days from 2024-01-01, with RFC 3339 timestamps (mostly
"Z", some with a fraction, some with a +02:00 offset, all naming the same
instant). Rows are in time order except for some written late: 2% of the
rows carry a time up to an hour before their position, 0.1% up to a week,
as exports of real event streams do. User activity is skewed (a few heavy
users, many light ones) so per-user windows vary in size, as in production.

Usage:
  gen_seed_data.py OUT_DIR [--purchases N] [--orders N] [--users N]
                   [--products N] [--spine N] [--days N] [--seed N] [--if-changed]

OUT_DIR is created if needed; write it into a build directory, never into
the source tree.
"""
import argparse
import os
import random
import sys
from datetime import datetime, timedelta, timezone

DIMENSION = 128
CATEGORIES = ["electronics", "clothing", "food", "other"]
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="output directory (created if needed)")
    parser.add_argument("--purchases", type=int, default=2_000_000)
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--spine", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--if-changed", action="store_true",
                        help="do nothing when OUT_DIR already holds data made with these parameters")
    args = parser.parse_args()
    for name in ("purchases", "orders", "users", "products", "spine", "days"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


class Stamps:
    """RFC 3339 spellings of epoch offsets, fast: the date part is cached per day."""

    def __init__(self, days):
        # Covers the late-row shifts before START and the spine's 10 extra days.
        self.first_day = -8
        self.utc_days = []
        self.plus2_days = []
        for d in range(self.first_day, days + 12):
            day = START + timedelta(days=d)
            self.utc_days.append(day.strftime("%Y-%m-%d"))
        for d in range(self.first_day, days + 13):
            self.plus2_days.append((START + timedelta(days=d)).strftime("%Y-%m-%d"))

    def utc(self, seconds, fraction=""):
        day, rest = divmod(seconds, 86400)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return "%sT%02d:%02d:%02d%sZ" % (self.utc_days[day - self.first_day],
                                         hour, minute, second, fraction)

    def plus2(self, seconds):
        # The same instant in local time at +02:00.
        day, rest = divmod(seconds + 7200, 86400)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return "%sT%02d:%02d:%02d+02:00" % (self.plus2_days[day - self.first_day],
                                            hour, minute, second)

    def any_spelling(self, rng, seconds):
        form = rng.random()
        if form < 0.85:
            return self.utc(seconds)
        if form < 0.95:
            return self.plus2(seconds)
        return self.utc(seconds, ".250")


def event_times(rng, n, span_seconds):
    """Sorted times with some rows moved earlier than their position (late rows)."""
    times = sorted(rng.randrange(span_seconds) for _ in range(n))
    for _ in range(n // 50):
        i = rng.randrange(n)
        times[i] -= rng.randrange(1, 3600)
    for _ in range(n // 1000):
        i = rng.randrange(n)
        times[i] -= rng.randrange(3600, 7 * 86400)
    return times


def skewed_picker(rng, keys):
    """Picks keys with a heavy head: about 20% of the keys get 80% of the picks."""
    n = len(keys)
    head = max(1, n // 5)

    def pick():
        if rng.random() < 0.8:
            return keys[rng.randrange(head)]
        return keys[rng.randrange(n)]

    return pick


def write_lines(path, header, lines):
    with open(path, "w", newline="") as f:
        f.write(header + "\n")
        batch = []
        for line in lines:
            batch.append(line)
            if len(batch) == 10000:
                f.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            f.write("\n".join(batch) + "\n")


def main():
    args = parse_args()
    marker = os.path.join(args.out, "PARAMETERS")
    if args.if_changed and os.path.exists(marker):
        with open(marker) as f:
            if f.read() == parameters_text(args):
                print(f"{args.out}: up to date", file=sys.stderr)
                return
    if os.path.exists(marker):
        os.remove(marker)   # until the new set is complete
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    span = args.days * 86400
    stamps = Stamps(args.days)
    users = [f"u{i:06d}" for i in range(args.users)]
    products = [f"p{i:05d}" for i in range(args.products)]
    # Shuffle before skewing so heavy users are spread over the key space.
    shuffled_users = users[:]
    rng.shuffle(shuffled_users)
    pick_user = skewed_picker(rng, shuffled_users)
    pick_product = skewed_picker(rng, products)

    def purchases():
        for t in event_times(rng, args.purchases, span):
            amount = "" if rng.random() < 0.02 else "%.2f" % (rng.randrange(100, 50000) / 100)
            yield ",".join((stamps.any_spelling(rng, t), pick_user(), pick_product(), amount,
                            CATEGORIES[rng.randrange(4)]))

    def orders():
        for i, t in enumerate(event_times(rng, args.orders, span)):
            total = "" if rng.random() < 0.02 else repr(rng.randrange(1, 10**6) / 64)
            yield ",".join((str(i + 1), pick_user(), stamps.any_spelling(rng, t), total))

    def embedding(keys, missing):
        # The last few keys have no embedding (as in the seed data).
        for k in keys[:len(keys) - missing]:
            yield k + "," + ",".join(["%.6f" % rng.gauss(0, 1) for _ in range(DIMENSION)])

    def spine():
        unknown = ["u_unknown"]
        for _ in range(args.spine):
            t = rng.randrange(span + 10 * 86400)
            user = unknown[0] if rng.random() < 0.01 else pick_user()
            yield ",".join((user, pick_product(), stamps.utc(t), str(rng.randrange(2))))

    vector_header = "key," + ",".join(f"v{i}" for i in range(DIMENSION))
    files = [
        ("purchases.csv", "ts,user_id,product_id,amount,category", purchases()),
        ("orders.csv", "order_id,user_id,ordered_at,total_amount", orders()),
        ("user2vec_v3.csv", vector_header, embedding(users, min(3, args.users - 1))),
        ("product2vec_v3.csv", vector_header, embedding(products, min(2, args.products - 1))),
        ("spine.csv", "user_id,product_id,timestamp,label", spine()),
    ]
    for name, header, lines in files:
        path = os.path.join(args.out, name)
        write_lines(path + ".tmp", header, lines)
        os.replace(path + ".tmp", path)  # a partial file never looks complete
        print(f"wrote {path}", file=sys.stderr)
    # Written last: its presence means the set is complete, its text says how
    # it was made (bench_batch.sh regenerates when the parameters differ).
    with open(os.path.join(args.out, "PARAMETERS"), "w") as f:
        f.write(parameters_text(args))


def parameters_text(args):
    return " ".join(f"{k}={v}" for k, v in sorted(vars(args).items())
                    if k not in ("out", "if_changed")) + "\n"


if __name__ == "__main__":
    main()
