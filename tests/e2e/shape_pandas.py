#!/usr/bin/env python3
"""shape_pandas.py - fdlc batch's skewness and kurtosis against pandas.

Usage: shape_pandas.py FDLC WORK_DIR

docs/language.md defines skewness and kurtosis as pandas' Series.skew()
and Series.kurt() (bias-corrected, excess kurtosis). This test generates
events (several users, values of several scales and means: small ints,
floats around 0, around 1e6 with a small spread, heavy tails), runs the real
fdlc over windows and lifetime, and compares every cell with pandas on the
same window's values:

  * where pandas has a value and the window's variance is not tiny against
    its mean (pandas' two-pass arithmetic loses digits there; the runtime
    does not: random_oracle.py checks those against exact rationals), the
    cell must agree within 1e-9 relative (kurtosis: of |k| + 3);
  * fewer than 3 (4) values: both null;
  * equal values: pandas says 0, the docs say null: the cell must be null;
  * where pandas' own arithmetic cancels (a shape near 0 against a mean of
    1e6), the cell may differ from pandas by more, but only when it is
    within 1e-13 of the exact value (rationals) and nearer to it than
    pandas.

Run with a Python that has pandas (Debian's python3-pandas: ctest passes
FDL_SYSTEM_PYTHON); without pandas it says so and fails.
"""
import math
import os
import random
import sys
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (EPOCH, MICROS, describe_run, format_time, fresh_dir,  # noqa: E402
                        read_csv, run_fdlc)

try:
    import pandas as pd
except ImportError:
    print("FAIL: pandas is needed (Debian's python3-pandas; run with /usr/bin/python3)")
    sys.exit(1)

WINDOWS = [("1h", 3600), ("1d", 86400), ("lifetime", None)]
T0 = 1714521600 * MICROS        # 2024-05-01T00:00:00Z


def make_events(rng):
    events = []
    kinds = ["ints", "unit", "offset", "tails", "equal"]
    for u in range(25):
        kind = kinds[u % len(kinds)]
        t = T0
        for _ in range(rng.randint(0, 60)):
            t += rng.randint(1, 3600) * MICROS
            if kind == "ints":
                x = rng.randint(-20, 50)
            elif kind == "unit":
                x = rng.gauss(0.0, 1.0)
            elif kind == "offset":
                x = 1e6 + rng.gauss(0.0, 10.0)
            elif kind == "tails":
                x = rng.paretovariate(1.5) * rng.choice([-1, 1])
            else:
                x = 4.25
            events.append({"t": t, "user": "u%d" % u, "x": x, "n": rng.randint(-20, 50)})
    rng.shuffle(events)
    return events


def definitions():
    lines = ["entities:", "  - name: user", "    join_key: user_id",
             "sources:", "  - name: obs", "    timestamp: ts", "    fields:",
             "      - {name: ts, type: timestamp}", "      - {name: user_id, type: string}",
             "      - {name: x, type: float64}", "      - {name: n, type: int64}",
             "features:"]
    names = []
    for function in ("skewness", "kurtosis"):
        for field in ("x", "n"):
            for window, _ in WINDOWS:
                name = "%s_%s_%s" % (function, field, window)
                names.append((name, function, field, window))
                lines += ["  - name: " + name, "    entity: user", "    aggregation:",
                          "      function: " + function, "      source: obs." + field,
                          "      window: " + window]
    lines += ["feature_sets:", "  - name: shape", "    features:"]
    lines += ["      - " + n[0] for n in names]
    return "\n".join(lines) + "\n", names


def exact_value(values, function):
    """The same formula on exact rationals (then one float rounding of
    each square root's argument)."""
    xs = [Fraction(v) for v in values]
    n = len(xs)
    mean = sum(xs, Fraction(0)) / n
    m2 = sum(((x - mean) ** 2 for x in xs), Fraction(0))
    if function == "skewness":
        m3 = sum(((x - mean) ** 3 for x in xs), Fraction(0))
        square = Fraction(n * n * (n - 1), (n - 2) ** 2) * m3 * m3 / m2 ** 3
        return math.copysign(math.sqrt(float(square)), float(m3)) if m3 else 0.0
    m4 = sum(((x - mean) ** 4 for x in xs), Fraction(0))
    return float(Fraction(n * (n + 1) * (n - 1), (n - 2) * (n - 3)) * m4 / (m2 * m2)
                 - Fraction(3 * (n - 1) ** 2, (n - 2) * (n - 3)))


def pandas_value(values, function):
    s = pd.Series(values, dtype="float64")
    return s.skew() if function == "skewness" else s.kurt()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    fdlc, work = os.path.abspath(sys.argv[1]), fresh_dir(os.path.abspath(sys.argv[2]))
    rng = random.Random(20261206)
    events = make_events(rng)
    text, features = definitions()
    with open(os.path.join(work, "shape.yaml"), "w") as f:
        f.write(text)
    with open(os.path.join(work, "obs.csv"), "w") as f:
        f.write("ts,user_id,x,n\n")
        for ev in events:
            f.write("%s,%s,%r,%d\n" % (format_time(ev["t"]), ev["user"], ev["x"], ev["n"]))
    spine = []
    for _ in range(300):
        spine.append(("u%d" % rng.randint(0, 26), T0 + rng.randint(0, 60 * 3600) * MICROS))
    with open(os.path.join(work, "spine.csv"), "w") as f:
        f.write("user_id,timestamp\n")
        for user, t in spine:
            f.write("%s,%s\n" % (user, format_time(t)))
    out = os.path.join(work, "out.csv")
    proc = run_fdlc(fdlc, ["batch", "shape.yaml", "--source", "obs=obs.csv", "--spine", "spine.csv",
                           "--set", "shape", "--out", out], cwd=work, work=work)
    if proc.returncode != 0:
        print("FAIL: fdlc batch\n" + describe_run(proc))
        sys.exit(1)
    records = read_csv(out)
    header = [c.text for c in records[0]]
    problems, counts = [], {"compared": 0, "null below n": 0, "null for equal values": 0,
                            "skipped: tiny variance": 0, "pandas off by cancellation, cell exact": 0}
    worst = 0.0
    for row, (user, t) in zip(records[1:], spine):
        cells = {h: c.text for h, c in zip(header, row)}
        for name, function, field, window in features:
            span = dict(WINDOWS)[window]
            values = [ev[field] for ev in events if ev["user"] == user and ev["t"] < t
                      and (span is None or ev["t"] >= t - span * MICROS)]
            got = cells[name]
            least = 3 if function == "skewness" else 4
            where = "%s at %s for %s (%d values)" % (name, format_time(t), user, len(values))
            if len(values) < least:
                counts["null below n"] += 1
                if got != "":
                    problems.append("%s: %s, want null" % (where, got))
                continue
            if len(set(values)) == 1:
                counts["null for equal values"] += 1
                if got != "":
                    problems.append("%s: %s, want null (equal values)" % (where, got))
                continue
            mean = math.fsum(values) / len(values)
            spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
            if spread < 1e-6 * max(1.0, abs(mean)):
                counts["skipped: tiny variance"] += 1
                continue
            want = pandas_value(values, function)
            if got == "" or math.isnan(want):
                problems.append("%s: %r, pandas %r" % (where, got, want))
                continue
            scale = abs(want) + (3.0 if function == "kurtosis" else 0.0)
            error = abs(float(got) - want) / max(scale, 1e-300)
            worst = max(worst, error)
            counts["compared"] += 1
            if error > 1e-9:
                # pandas' two-pass sums cancel when the shape is near 0 against
                # a large mean: then the exact value must side with the cell.
                exact = exact_value(values, function)
                if abs(float(got) - exact) <= 1e-13 * (abs(exact) + scale - abs(want)) and \
                        abs(want - exact) > abs(float(got) - exact):
                    counts["pandas off by cancellation, cell exact"] += 1
                    continue
                problems.append("%s: %s, pandas %r (relative error %.3g)" % (where, got, want, error))
    print("cells: " + ", ".join("%s %d" % item for item in counts.items()))
    print("largest relative difference from pandas: %.3g" % worst)
    for p in problems[:20]:
        print("FAIL " + p)
    if problems or counts["compared"] < 500:
        print("FAIL: %d problems, %d cells compared" % (len(problems), counts["compared"]))
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
